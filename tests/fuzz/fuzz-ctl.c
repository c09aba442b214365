/*
 * Fuzz target: the control-line grammar (ctl.c, ctl-props.c), one line
 * read as a request of every kind.
 */

#include <stdint.h>
#include <stdlib.h>

#include "snapfs.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const enum ctl_kind	 kinds[] = { CTL_BACKUP, CTL_RESTORE,
	    CTL_CANCEL, CTL_VERIFY, CTL_DROP };
	struct ctl_request		*req;
	char				*cause;
	size_t				 i;

	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		cause = NULL;
		if (ctl_parse(kinds[i], (const char *)data, len, &req,
		    &cause) == 0) {
			(void)ctl_property(req, "type");
			ctl_free(req);
		}
		free(cause);
	}
	return (0);
}
