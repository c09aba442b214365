/*
 * The storage interface: list a folder, stat, read a byte range, and for
 * the jobs put, upload and remove objects.  Every backend implements
 * struct broker_ops; this file picks one by the form of the location,
 * counts requests and failures, and logs the failures of a backend that
 * does not log them itself (a remote one knows why: the HTTP status and
 * the server's error, or the attempts that got no answer).  Keys are relative to the location
 * and use '/' as the separator; a folder key is "" or ends with '/'.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "snapfs.h"

static const struct broker_ops *brokers[] = {
	&broker_s3_ops,
	&broker_azure_ops,
	&broker_local_ops,
};

bool
broker_is_local(const char *location)
{
	return (broker_local_ops.match(location));
}

/*
 * An object of an object store's listing, its key below the location's
 * prefix, to cb: none for a key outside the prefix or a folder marker
 * ("dir/", as some tools make).
 */
int
broker_list_object(const char *prefix, const char *key, uint64_t size,
    int64_t mtime, broker_list_cb cb, void *arg)
{
	struct broker_entry	e;
	size_t			plen = strlen(prefix);

	if (strncmp(key, prefix, plen) != 0)
		return (0);
	key += plen;
	if (*key == '\0' || key[strlen(key) - 1] == '/')
		return (0);
	memset(&e, 0, sizeof e);
	e.key = key;
	e.size = size;
	e.mtime = mtime;
	return (cb(arg, &e));
}

/* A common prefix of a delimiter listing of folder, as a folder to cb. */
int
broker_list_prefix(const char *prefix, const char *folder, const char *p,
    broker_list_cb cb, void *arg)
{
	struct broker_entry	 e;
	size_t			 plen = strlen(prefix), len;
	char			*key;
	int			 error = 0;

	if (strncmp(p, prefix, plen) != 0)
		return (0);
	key = xstrdup(p + plen);
	len = strlen(key);
	if (len > 0 && key[len - 1] == '/')
		key[--len] = '\0';
	if (len > strlen(folder)) {
		memset(&e, 0, sizeof e);
		e.key = key;
		e.is_dir = true;
		error = cb(arg, &e);
	}
	free(key);
	return (error);
}

/*
 * A listing goes on to the page of token (a what): -EIO with a cause if
 * that token came before, as a server that hands one out again would
 * list forever.  Brent's cycle finding: keep the token of every page
 * whose number is a power of two and compare.  p starts zeroed; free
 * p->seen at the end.
 */
int
broker_pages_next(struct broker_pages *p, const char *what,
    const char *token, char **cause)
{
	if (token == NULL || *token == '\0') {
		xasprintf(cause, "a page of the listing is truncated but "
		    "gives no %s", what);
		return (-EIO);
	}
	if (p->seen != NULL && strcmp(p->seen, token) == 0) {
		xasprintf(cause, "the listing loops: %s \"%.64s\" came back "
		    "after %zu pages", what, token, p->n);
		return (-EIO);
	}
	p->n++;
	if ((p->n & (p->n - 1)) == 0) {
		free(p->seen);
		p->seen = xstrdup(token);
	}
	return (0);
}

int
broker_open(const char *location, const struct broker_options *o,
    struct broker **bp, char **cause)
{
	size_t	i;
	int	error;

	*bp = NULL;
	for (i = 0; i < sizeof brokers / sizeof brokers[0]; i++) {
		if (!brokers[i]->match(location))
			continue;
		if ((error = brokers[i]->open(location, o, bp, cause)) != 0)
			return (error);
		(*bp)->ops = brokers[i];
		(*bp)->location = xstrdup(location);
		return (0);
	}
	xasprintf(cause, "%s: unsupported location", location);
	return (-EINVAL);
}

/* Threads started before the daemon forks would not be in it. */
void
broker_start(struct broker *b)
{
	if (b->ops->start != NULL)
		b->ops->start(b);
}

void
broker_close(struct broker *b)
{
	char	*location;

	if (b == NULL)
		return;
	location = b->location;
	b->ops->close(b);
	free(location);
}

/*
 * Count a failure of an operation on key, and log it if the backend does
 * not log its own.
 */
static void
failed(struct broker *b, const char *op, const char *key, int error)
{
	stats_add(STAT_ERRORS, 1);
	if (!b->ops->logs)
		log_warn("%s %s/%s: %s", op, b->location, key,
		    strerror(-error));
}

struct list {
	broker_list_cb	 cb;
	void		*arg;
};

/* An entry that is no object goes only to who asked for them. */
static int
list_objects(void *arg, const struct broker_entry *e)
{
	struct list	*l = arg;

	return (e->special ? 0 : l->cb(l->arg, e));
}

/*
 * Call cb for each entry below folder (flags: BROKER_RECURSIVE,
 * BROKER_SPECIAL); on error nothing is partial.
 */
int
broker_list(struct broker *b, const char *folder, int flags,
    broker_list_cb cb, void *arg, volatile bool *abort)
{
	struct list	l = { cb, arg };
	int		error;

	stats_add(STAT_LIST_REQUESTS, 1);
	if ((flags & BROKER_SPECIAL) == 0) {
		cb = list_objects;
		arg = &l;
	}
	if ((error = b->ops->list(b, folder, flags, cb, arg, abort)) < 0)
		failed(b, "list", folder, error);
	return (error);
}

int
broker_stat(struct broker *b, const char *key, struct broker_entry *e,
    volatile bool *abort)
{
	int	error;

	stats_add(STAT_STAT_REQUESTS, 1);
	error = b->ops->stat(b, key, e, abort);
	if (error < 0 && error != -ENOENT)
		failed(b, "stat", key, error);
	return (error);
}

ssize_t
broker_read(struct broker *b, const char *key, void *p, size_t len,
    uint64_t off, volatile bool *abort)
{
	ssize_t	n;

	stats_add(STAT_READ_REQUESTS, 1);
	if ((n = b->ops->read(b, key, p, len, off, abort)) < 0)
		failed(b, "read", key, n);
	else
		stats_add(STAT_BYTES_READ, n);
	return (n);
}

bool
broker_can_fetch(struct broker *b)
{
	return (b->ops->fetch != NULL);
}

struct fetch {
	struct broker	*b;
	char		*key;
	broker_done_cb	 done;
	void		*arg;
};

static void
fetch_done(void *arg, ssize_t n)
{
	struct fetch	*f = arg;

	if (n < 0 && n != -EINTR)
		failed(f->b, "read", f->key, n);
	else if (n >= 0)
		stats_add(STAT_BYTES_READ, n);
	f->done(f->arg, n);
	free(f->key);
	free(f);
}

/*
 * Start reading up to len bytes of key at off into p; done(arg, n) is
 * called with the count or -errno, maybe on another thread, and must not
 * block.  Setting *abort (if given) ends it soon with -EINTR.  Only for a
 * broker_can_fetch() broker.
 */
void
broker_fetch(struct broker *b, const char *key, void *p, size_t len,
    uint64_t off, volatile bool *abort, broker_done_cb done, void *arg)
{
	struct fetch	*f;

	stats_add(STAT_READ_REQUESTS, 1);
	f = xmalloc(sizeof *f);
	f->b = b;
	f->key = xstrdup(key);
	f->done = done;
	f->arg = arg;
	b->ops->fetch(b, key, p, len, off, abort, fetch_done, f);
}

/*
 * Read a whole object of a known size into an empty buffer.  An object
 * shorter or longer than the listing said is an error (-EIO): a truncated
 * transfer must never pass for the object.
 */
int
broker_read_all(struct broker *b, const char *key, uint64_t size,
    struct buf *out, volatile bool *abort)
{
	uint64_t	off = 0;
	ssize_t		n;
	char		extra;

	if (size > out->max)
		return (-EFBIG);
	out->data = xreallocarray(out->data, 1, size + 1);
	out->size = size + 1;
	while (off < size) {
		if ((n = broker_read(b, key, out->data + off, size - off,
		    off, abort)) < 0)
			return (n);
		if (n == 0)
			break;
		off += n;
	}
	out->len = off;
	out->data[off] = '\0';
	if (off != size || broker_read(b, key, &extra, 1, off, abort) != 0) {
		log_warn("%s/%s: size changed while reading", b->location,
		    key);
		return (-EIO);
	}
	return (0);
}

int
broker_put(struct broker *b, const char *key, const void *p, size_t len,
    volatile bool *abort)
{
	int	error;

	stats_add(STAT_WRITE_REQUESTS, 1);
	if ((error = b->ops->put(b, key, p, len, abort)) != 0)
		failed(b, "put", key, error);
	else
		stats_add(STAT_BYTES_WRITTEN, len);
	return (error);
}

/* Store size bytes of the local file fd as key. */
int
broker_upload(struct broker *b, const char *key, int fd, uint64_t size,
    volatile bool *abort)
{
	int	error;

	stats_add(STAT_WRITE_REQUESTS, 1);
	if ((error = b->ops->upload(b, key, fd, size, abort)) != 0)
		failed(b, "upload", key, error);
	else
		stats_add(STAT_BYTES_WRITTEN, size);
	return (error);
}

/*
 * len bytes of the local file fd at off, for an upload to key: 0, or
 * -errno (-EIO for a file shorter than its size), logged.
 */
int
broker_upload_read(int fd, void *p, size_t len, uint64_t off,
    const char *key)
{
	ssize_t	n;
	int	error;

	if ((n = pread(fd, p, len, off)) >= 0 && (size_t)n == len)
		return (0);
	error = n < 0 ? -errno : -EIO;
	log_warn("upload %s: the local file: %s", key, n < 0 ?
	    strerror(-error) : "shorter than its size");
	return (error);
}

/* Delete key; a key that is not there is no error. */
int
broker_remove(struct broker *b, const char *key, volatile bool *abort)
{
	int	error;

	stats_add(STAT_WRITE_REQUESTS, 1);
	if ((error = b->ops->remove(b, key, abort)) != 0)
		failed(b, "remove", key, error);
	return (error);
}
