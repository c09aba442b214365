/*
 * A growable byte buffer with a hard cap, for everything whose size comes
 * from outside (objects, listings, rendered text).  Going past the cap is
 * an error the caller reports, never an allocation failure.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapfs.h"

void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->size = 0;
	b->max = max;
}

/* Make room for n more bytes and a NUL. */
static int
buf_reserve(struct buf *b, size_t n)
{
	size_t	want;

	if (n > b->max || b->len > b->max - n)
		return (-EFBIG);
	want = b->len + n + 1;
	if (want <= b->size)
		return (0);
	if (want < 64)
		want = 64;
	if (want < b->size * 2)
		want = b->size * 2;
	b->data = xreallocarray(b->data, 1, want);
	b->size = want;
	return (0);
}

int
buf_add(struct buf *b, const void *p, size_t n)
{
	int	error;

	if ((error = buf_reserve(b, n)) != 0)
		return (error);
	if (n != 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return (0);
}

int
buf_addc(struct buf *b, char c)
{
	return (buf_add(b, &c, 1));
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	ap;
	int	n, error;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return (-EINVAL);
	if ((error = buf_reserve(b, n)) != 0)
		return (error);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, n + 1, fmt, ap);
	va_end(ap);
	b->len += n;
	return (0);
}

/* Hand the bytes (NUL-terminated) to the caller and empty the buffer. */
char *
buf_take(struct buf *b)
{
	char	*p;

	if (b->data == NULL)
		return (xstrdup(""));
	p = b->data;
	b->data = NULL;
	b->len = b->size = 0;
	return (p);
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->size = 0;
}
