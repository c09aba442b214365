/*
 * Fuzz target: the S3 answers read by xml.c (a ListObjectsV2 page, an
 * <Error> body, an InitiateMultipartUploadResult), each on the same input.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "snapfs.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
on_object(void *arg, const char *key, uint64_t size, int64_t mtime)
{
	(*(size_t *)arg) += strlen(key) + (size & 1) + (mtime & 1);
	return (0);
}

static int
on_prefix(void *arg, const char *key)
{
	(*(size_t *)arg) += strlen(key);
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const char	*p = (const char *)data;
	struct xml_list	 l;
	size_t		 n = 0;
	char		*cause = NULL, *code, *message, *id;

	memset(&l, 0, sizeof l);
	l.object = on_object;
	l.prefix = on_prefix;
	l.arg = &n;
	xml_list(p, len, &l, &cause);
	free(l.next);
	free(cause);
	xml_error(p, len, &code, &message);
	free(code);
	free(message);
	if (xml_upload_id(p, len, &id) == 0)
		free(id);
	return (0);
}
