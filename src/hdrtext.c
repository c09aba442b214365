/*
 * tablet.txt: what a tablet header (<tabletId>.hdr) says, in words.
 *
 * The text is made on first use, not when the snapshot is listed: its
 * size is only known once the header is fetched and decoded, and a
 * snapshot has up to millions of tablets.  fs.c asks for it on lookup,
 * getattr and open, never from a folder listing, so find(1) costs no
 * fetch and ls -l one per tablet.  Each text is kept for the life of the
 * mount: headers never change.  A header that cannot be fetched is an
 * error (tried again next time); one that is damaged or does not decode
 * gives a text that says why.  ls -l of a partition looks up one tablet
 * after the other, so the first miss fetches the headers of the next
 * tablets too, HDRTEXT_PARALLEL at a time: one round trip per batch.
 * The asker's abort flag reaches every fetch of its batch.  A header is
 * decoded only if it is the TabletMetaPB of its folder's tablet.
 */

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "snapfs.h"

#define HDRTEXT_MAX	(16U * 1024 * 1024)	/* largest header read */
#define HDRTEXT_BATCH	64	/* headers fetched on one miss */
#define HDRTEXT_PARALLEL 16	/* of them at a time */

struct hdrtext_entry {
	char		*text;
	size_t		 len;
};

struct hdrtext {
	struct cache	*cache;
	struct tree	*tree;
	pthread_mutex_t	 lock;		/* texts */
	struct idmap	 texts;		/* ino -> struct hdrtext_entry */
};

struct hdrtext *
hdrtext_create(struct cache *cache, struct tree *tree)
{
	struct hdrtext	*h;

	h = xcalloc(1, sizeof *h);
	h->cache = cache;
	h->tree = tree;
	pthread_mutex_init(&h->lock, NULL);
	idmap_init(&h->texts, 32);
	return (h);
}

static void
entry_free(void *arg)
{
	struct hdrtext_entry	*e = arg;

	free(e->text);
	free(e);
}

void
hdrtext_free(struct hdrtext *h)
{
	if (h == NULL)
		return;
	idmap_free(&h->texts, entry_free);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

static void
keep(struct hdrtext *h, uint64_t ino, char *text, size_t len)
{
	struct hdrtext_entry	*e;

	e = xmalloc(sizeof *e);
	e->text = text;
	e->len = len;
	pthread_mutex_lock(&h->lock);
	if (idmap_put(&h->texts, ino, e) != e)
		entry_free(e);	/* another thread made it first */
	pthread_mutex_unlock(&h->lock);
}

/* The tablet id of the folder of key, .../__<tabletId>/<file>, or -1. */
static int64_t
folder_tablet(const char *key)
{
	const char	*end, *p;
	char		 s[32];
	int64_t		 id;

	if ((end = strrchr(key, '/')) == NULL)
		return (-1);
	for (p = end; p > key && p[-1] != '/'; p--)
		/* nothing */;
	if (end - p < 3 || (size_t)(end - p) >= sizeof s ||
	    strncmp(p, "__", 2) != 0)
		return (-1);
	memcpy(s, p + 2, end - p - 2);
	s[end - p - 2] = '\0';
	if (!layout_number(s, INT64_MAX, &id))
		return (-1);
	return (id);
}

/* Fetch and decode the header behind ino. */
static int
make(struct hdrtext *h, uint64_t ino, char **text, size_t *len,
    volatile bool *abort)
{
	struct tree_object	 obj;
	struct handle		*hd;
	char			*bytes, *cause = NULL;
	uint64_t		 off = 0;
	ssize_t			 n;
	int			 error;

	if ((error = tree_object(h->tree, ino, &obj)) != 0)
		return (error);
	if (obj.size > HDRTEXT_MAX) {
		xasprintf(text, "Error: the header is %llu bytes, more than "
		    "%u\n", (unsigned long long)obj.size, HDRTEXT_MAX);
		goto done;
	}
	if ((error = cache_open(h->cache, ino, abort, &hd)) != 0) {
		if (tree_checked(h->tree, ino) >= 0)
			goto out;	/* not fetched: try again later */
		xasprintf(text, "Error: the header's md5 does not match its "
		    "name: it is damaged\n");
		error = 0;
		goto done;
	}
	bytes = xmalloc(obj.size + 1);
	while (off < obj.size && (n = cache_read(h->cache, hd, bytes + off,
	    obj.size - off, off, abort)) > 0)
		off += n;
	cache_close(h->cache, hd);
	if (off < obj.size) {
		free(bytes);
		error = tree_checked(h->tree, ino) < 0 ? 0 : -EIO;
		if (error != 0)
			goto out;
		xasprintf(text, "Error: the header's md5 does not match its "
		    "name: it is damaged\n");
		goto done;
	}
	if (tablet_text_for(bytes, obj.size, folder_tablet(obj.key), text, len,
	    &cause) != 0) {
		xasprintf(text, "Error: %s\n", cause);
		*len = strlen(*text);
		free(cause);
	}
	free(bytes);
	goto out;
done:
	*len = strlen(*text);
out:
	free(obj.key);
	return (error);
}

struct fetch {
	struct hdrtext	*h;
	volatile bool	*abort;		/* the asker's */
	uint64_t	 inos[HDRTEXT_BATCH];
};

static bool
known(struct hdrtext *h, uint64_t ino)
{
	bool	found;

	pthread_mutex_lock(&h->lock);
	found = idmap_get(&h->texts, ino) != NULL;
	pthread_mutex_unlock(&h->lock);
	return (found);
}

static int
fetch_item(void *arg, size_t i)
{
	struct fetch	*f = arg;
	char		*text = NULL;
	size_t		 len = 0;

	if (!known(f->h, f->inos[i]) &&
	    make(f->h, f->inos[i], &text, &len, f->abort) == 0)
		keep(f->h, f->inos[i], text, len);
	return (0);
}

static bool
fetch_stop(void *arg)
{
	struct fetch	*f = arg;

	return (f->abort != NULL && *f->abort);
}

/*
 * Make the texts of ino and of the same file of the next tablets; the
 * asker's abort flag stops every fetch of the batch.
 */
static void
fetch_batch(struct hdrtext *h, uint64_t ino, volatile bool *abort)
{
	struct fetch	 f;
	size_t		 n;

	f.h = h;
	f.abort = abort;
	f.inos[0] = ino;
	n = 1 + tree_cousins(h->tree, ino, f.inos + 1, HDRTEXT_BATCH - 1);
	pool_run(n, HDRTEXT_PARALLEL, fetch_item, &f, fetch_stop, &f);
}

/*
 * The text of tablet.txt node ino (a copy, when text is not NULL) and its
 * length.  Unless fetch is set, only a text already made is given, else
 * -EAGAIN.
 */
int
hdrtext_get(struct hdrtext *h, uint64_t ino, bool fetch, char **text,
    size_t *len, volatile bool *abort)
{
	struct hdrtext_entry	*e;
	char			*made = NULL;
	size_t			 madelen = 0;
	int			 error = -EAGAIN;

	pthread_mutex_lock(&h->lock);
	if ((e = idmap_get(&h->texts, ino)) != NULL) {
		*len = e->len;
		if (text != NULL)
			*text = xstrndup(e->text, e->len);
		error = 0;
	}
	pthread_mutex_unlock(&h->lock);
	if (error != -EAGAIN || !fetch)
		return (error);
	fetch_batch(h, ino, abort);
	if (known(h, ino))
		return (hdrtext_get(h, ino, false, text, len, NULL));
	if ((error = make(h, ino, &made, &madelen, abort)) != 0)
		return (error);
	*len = madelen;
	if (text != NULL)
		*text = xstrndup(made, madelen);
	keep(h, ino, made, madelen);
	return (0);
}
