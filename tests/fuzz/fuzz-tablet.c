/*
 * Fuzz target: the tablet header reader (tablet.c), <tabletId>.hdr to text.
 */

#include <stdint.h>
#include <stdlib.h>

#include "snapfs.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char	*text = NULL, *cause = NULL;
	size_t	 textlen;

	if (tablet_text(data, len, &text, &textlen, &cause) == 0)
		free(text);
	free(cause);
	return (0);
}
