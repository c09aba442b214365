/*
 * Every read of file bytes, and the md5 check that guards it.
 *
 * An object whose name ends in ".<md5>" never gives out bad bytes
 * silently.  One up to SMALL_OBJECT_MAX is read whole into its handle and
 * checked before the first byte is returned.  A larger one is hashed as
 * it streams: the handle keeps a running md5 of the bytes up to a cursor,
 * a read beyond the cursor first hashes the gap, and the read that reaches
 * the end of the object fails with EIO if the digest is wrong, so no copy
 * of a damaged object can complete.  On the normal path (a sequential
 * read) each byte is fetched once.  The verdict is kept in the tree, so a
 * damaged object fails at once from then on and a good one is not hashed
 * again.
 */

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "snapfs.h"

#define GAP_CHUNK	(1024 * 1024)

struct cache {
	struct broker	*broker;
	struct tree	*tree;
};

struct handle {
	uint64_t		 ino;
	struct tree_object	 obj;
	pthread_mutex_t		 lock;		/* the fields below */
	struct buf		 whole;		/* a small object, checked */
	bool			 loaded;
	struct md5		*md5;		/* a large object's running md5 */
	uint64_t		 hashed;	/* bytes [0, hashed) are in md5 */
};

static int	load_small(struct cache *, struct handle *);

struct cache *
cache_create(struct broker *broker, struct tree *tree)
{
	struct cache	*c;

	c = xcalloc(1, sizeof *c);
	c->broker = broker;
	c->tree = tree;
	return (c);
}

void
cache_free(struct cache *c)
{
	free(c);
}

int
cache_open(struct cache *c, uint64_t ino, struct handle **hp)
{
	struct handle	*h;
	int		 error;

	h = xcalloc(1, sizeof *h);
	if ((error = tree_object(c->tree, ino, &h->obj)) != 0) {
		free(h);
		return (error);
	}
	h->ino = ino;
	pthread_mutex_init(&h->lock, NULL);
	buf_init(&h->whole, SMALL_OBJECT_MAX);

	/*
	 * A small object is checked at open: the kernel never asks to read
	 * an empty file, and an empty object with a wrong md5 is exactly
	 * what a failed upload leaves behind.
	 */
	if (h->obj.md5[0] != '\0' && h->obj.size <= SMALL_OBJECT_MAX &&
	    (error = tree_checked(c->tree, ino)) <= 0) {
		if (error < 0)
			error = -EIO;
		else
			error = load_small(c, h);
		if (error != 0) {
			cache_close(c, h);
			return (error);
		}
	}
	*hp = h;
	return (0);
}

void
cache_close(struct cache *c, struct handle *h)
{
	if (h == NULL)
		return;
	md5_free(h->md5);
	buf_free(&h->whole);
	free(h->obj.key);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

/* Read exactly len bytes at off; a short object is an error. */
static int
read_exact(struct cache *c, struct handle *h, char *p, size_t len,
    uint64_t off)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = broker_read(c->broker, h->obj.key, p, len, off)) < 0)
			return (n == -ENOENT || n == -EACCES ? n : -EIO);
		if (n == 0) {
			log_warn("%s: object is shorter than its listed size",
			    h->obj.key);
			return (-EIO);
		}
		p += n;
		off += n;
		len -= n;
	}
	return (0);
}

/* Record the verdict on the object; -EIO if it is damaged. */
static int
verdict(struct cache *c, struct handle *h, const char *md5)
{
	stats_add(STAT_MD5_CHECKED, 1);
	if (strcmp(md5, h->obj.md5) == 0) {
		tree_mark_checked(c->tree, h->ino, true);
		return (0);
	}
	stats_add(STAT_MD5_ERRORS, 1);
	log_warn("%s: md5 mismatch: content is %s", h->obj.key, md5);
	tree_mark_checked(c->tree, h->ino, false);
	return (-EIO);
}

static int
load_small(struct cache *c, struct handle *h)
{
	char	md5[MD5_HEX_LEN + 1];
	int	error;

	if (h->loaded)
		return (0);
	if ((error = broker_read_all(c->broker, h->obj.key, h->obj.size,
	    &h->whole)) != 0)
		return (error == -ENOENT || error == -EACCES ? error : -EIO);
	md5_hex(h->whole.data, h->whole.len, md5);
	if ((error = verdict(c, h, md5)) != 0)
		return (error);
	h->loaded = true;
	return (0);
}

/* Hash [h->hashed, off) before a read at off can be answered. */
static int
hash_gap(struct cache *c, struct handle *h, uint64_t off)
{
	char	*tmp;
	size_t	 n;
	int	 error = 0;

	tmp = xmalloc(GAP_CHUNK);
	while (h->hashed < off) {
		n = off - h->hashed > GAP_CHUNK ? GAP_CHUNK : off - h->hashed;
		if ((error = read_exact(c, h, tmp, n, h->hashed)) != 0)
			break;
		md5_update(h->md5, tmp, n);
		h->hashed += n;
	}
	free(tmp);
	return (error);
}

static int
read_streaming(struct cache *c, struct handle *h, char *p, size_t len,
    uint64_t off)
{
	char	md5[MD5_HEX_LEN + 1];
	int	error;

	if (h->md5 == NULL)
		h->md5 = md5_create();
	if (off > h->hashed && (error = hash_gap(c, h, off)) != 0)
		return (error);
	if ((error = read_exact(c, h, p, len, off)) != 0)
		return (error);
	if (off + len > h->hashed) {
		md5_update(h->md5, p + (h->hashed - off),
		    off + len - h->hashed);
		h->hashed = off + len;
	}
	if (h->hashed < h->obj.size)
		return (0);
	md5_final_hex(h->md5, md5);
	md5_free(h->md5);
	h->md5 = NULL;
	return (verdict(c, h, md5));
}

/* Up to len bytes of the object at off: the count, 0 at the end, -errno. */
ssize_t
cache_read(struct cache *c, struct handle *h, char *p, size_t len,
    uint64_t off)
{
	int	error, checked;

	if (off >= h->obj.size)
		return (0);
	if (len > h->obj.size - off)
		len = h->obj.size - off;
	if (h->obj.md5[0] == '\0') {
		error = read_exact(c, h, p, len, off);
		return (error != 0 ? error : (ssize_t)len);
	}
	/*
	 * Under the handle's lock: reads of one handle can come in
	 * parallel, and the one that finished the digest may have run
	 * since this one started.
	 */
	pthread_mutex_lock(&h->lock);
	if ((checked = tree_checked(c->tree, h->ino)) < 0)
		error = -EIO;
	else if (h->obj.size <= SMALL_OBJECT_MAX) {
		if ((error = load_small(c, h)) == 0)
			memcpy(p, h->whole.data + off, len);
	} else if (checked > 0 || h->hashed >= h->obj.size)
		error = read_exact(c, h, p, len, off);
	else
		error = read_streaming(c, h, p, len, off);
	pthread_mutex_unlock(&h->lock);
	return (error != 0 ? error : (ssize_t)len);
}
