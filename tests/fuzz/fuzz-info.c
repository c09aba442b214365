/*
 * Fuzz target: the info JSON reader (info.c over json.c), and the Details
 * text rendered from what it read.
 */

#include <stdint.h>
#include <stdlib.h>

#include "snapfs.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct info	*info;
	char		*cause = NULL, *details;

	if (info_parse((const char *)data, len, &info, &cause) == 0) {
		details = info_details(info, NULL);
		free(details);
		info_free(info);
	}
	free(cause);
	return (0);
}
