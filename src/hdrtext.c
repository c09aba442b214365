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
 */

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "snapfs.h"

#define HDRTEXT_MAX	(16U * 1024 * 1024)	/* largest header read */
#define HDRTEXT_BATCH	64	/* headers fetched on one miss */
#define HDRTEXT_PARALLEL 16	/* of them at a time */

struct hdrtext_entry {
	uint64_t	 ino;		/* 0: free */
	char		*text;
	size_t		 len;
};

struct hdrtext {
	struct cache		*cache;
	struct tree		*tree;
	pthread_mutex_t		 lock;		/* the table */
	struct hdrtext_entry	*table;
	size_t			 mask;
	size_t			 count;
};

struct hdrtext *
hdrtext_create(struct cache *cache, struct tree *tree)
{
	struct hdrtext	*h;

	h = xcalloc(1, sizeof *h);
	h->cache = cache;
	h->tree = tree;
	pthread_mutex_init(&h->lock, NULL);
	h->mask = 63;
	h->table = xcalloc(h->mask + 1, sizeof *h->table);
	return (h);
}

void
hdrtext_free(struct hdrtext *h)
{
	size_t	i;

	if (h == NULL)
		return;
	for (i = 0; i <= h->mask; i++)
		free(h->table[i].text);
	free(h->table);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

/* The slot of ino, or the free slot where it goes.  Caller locks. */
static struct hdrtext_entry *
slot(struct hdrtext_entry *table, size_t mask, uint64_t ino)
{
	size_t	i = (size_t)(ino ^ ino >> 29) & mask;

	while (table[i].ino != 0 && table[i].ino != ino)
		i = (i + 1) & mask;
	return (&table[i]);
}

static void
keep(struct hdrtext *h, uint64_t ino, char *text, size_t len)
{
	struct hdrtext_entry	*e, *old;
	size_t			 i, oldmask;

	pthread_mutex_lock(&h->lock);
	if ((h->count + 1) * 2 > h->mask + 1) {
		old = h->table;
		oldmask = h->mask;
		h->mask = h->mask * 2 + 1;
		h->table = xcalloc(h->mask + 1, sizeof *h->table);
		for (i = 0; i <= oldmask; i++)
			if (old[i].ino != 0)
				*slot(h->table, h->mask, old[i].ino) = old[i];
		free(old);
	}
	e = slot(h->table, h->mask, ino);
	if (e->ino == 0) {
		e->ino = ino;
		e->text = text;
		e->len = len;
		h->count++;
	} else
		free(text);	/* another thread made it first */
	pthread_mutex_unlock(&h->lock);
}

/* Fetch and decode the header behind ino. */
static int
make(struct hdrtext *h, uint64_t ino, char **text, size_t *len)
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
	if ((error = cache_open(h->cache, ino, &hd)) != 0) {
		if (tree_checked(h->tree, ino) >= 0)
			goto out;	/* not fetched: try again later */
		xasprintf(text, "Error: the header's md5 does not match its "
		    "name: it is damaged\n");
		error = 0;
		goto done;
	}
	bytes = xmalloc(obj.size + 1);
	while (off < obj.size && (n = cache_read(h->cache, hd, bytes + off,
	    obj.size - off, off)) > 0)
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
	if (tablet_text(bytes, obj.size, text, len, &cause) != 0) {
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
	uint64_t	 inos[HDRTEXT_BATCH];
	size_t		 n;
	size_t		 next;		/* under lock */
	pthread_mutex_t	 lock;
};

static bool
known(struct hdrtext *h, uint64_t ino)
{
	bool	found;

	pthread_mutex_lock(&h->lock);
	found = slot(h->table, h->mask, ino)->ino == ino;
	pthread_mutex_unlock(&h->lock);
	return (found);
}

static void *
fetch_worker(void *arg)
{
	struct fetch	*f = arg;
	char		*text = NULL;
	size_t		 i, len = 0;

	for (;;) {
		pthread_mutex_lock(&f->lock);
		i = f->next++;
		pthread_mutex_unlock(&f->lock);
		if (i >= f->n)
			break;
		if (!known(f->h, f->inos[i]) &&
		    make(f->h, f->inos[i], &text, &len) == 0)
			keep(f->h, f->inos[i], text, len);
	}
	return (NULL);
}

/* Make the texts of ino and of the same file of the next tablets. */
static void
fetch_batch(struct hdrtext *h, uint64_t ino)
{
	struct fetch	 f;
	pthread_t	 t[HDRTEXT_PARALLEL];
	size_t		 i, nt;

	f.h = h;
	f.inos[0] = ino;
	f.n = 1 + tree_cousins(h->tree, ino, f.inos + 1, HDRTEXT_BATCH - 1);
	f.next = 0;
	pthread_mutex_init(&f.lock, NULL);
	nt = f.n < HDRTEXT_PARALLEL ? f.n : HDRTEXT_PARALLEL;
	for (i = 0; i < nt; i++)
		if (pthread_create(&t[i], NULL, fetch_worker, &f) != 0)
			fatal("pthread_create");
	for (i = 0; i < nt; i++)
		pthread_join(t[i], NULL);
	pthread_mutex_destroy(&f.lock);
}

/*
 * The text of tablet.txt node ino (a copy, when text is not NULL) and its
 * length.  Unless fetch is set, only a text already made is given, else
 * -EAGAIN.
 */
int
hdrtext_get(struct hdrtext *h, uint64_t ino, bool fetch, char **text,
    size_t *len)
{
	struct hdrtext_entry	*e;
	char			*made = NULL;
	size_t			 madelen = 0;
	int			 error = -EAGAIN;

	pthread_mutex_lock(&h->lock);
	e = slot(h->table, h->mask, ino);
	if (e->ino == ino) {
		*len = e->len;
		if (text != NULL)
			*text = xstrndup(e->text, e->len);
		error = 0;
	}
	pthread_mutex_unlock(&h->lock);
	if (error != -EAGAIN || !fetch)
		return (error);
	fetch_batch(h, ino);
	if (known(h, ino))
		return (hdrtext_get(h, ino, false, text, len));
	if ((error = make(h, ino, &made, &madelen)) != 0)
		return (error);
	*len = madelen;
	if (text != NULL)
		*text = xstrndup(made, madelen);
	keep(h, ino, made, madelen);
	return (0);
}
