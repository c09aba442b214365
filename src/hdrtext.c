/*
 * tablet.txt: what a tablet header (<tabletId>.hdr) says, in words.
 *
 * The text is made on first use, not when the snapshot is listed: its
 * size is only known once the header is fetched and decoded, and a
 * snapshot has up to millions of tablets.  fs.c asks for it on lookup,
 * getattr and open, never from a folder listing, so find(1) costs no
 * fetch and ls -l one per tablet.  Headers never change, so a text is
 * kept, but within a bound (an eighth of -o meta_memory=): past it the
 * least recently used texts are dropped, to be made again if asked for.
 * A header that cannot be fetched is an error (tried again next time);
 * one that is damaged or does not decode gives a text that says why.  A
 * header is decoded only if it is the TabletMetaPB of its folder's tablet.
 *
 * ls -lR looks up one tablet after the other, so a miss fetches the
 * headers of the next HDRTEXT_BATCH tablets at once (one round trip; on
 * into the next partitions), and then, in the background, the batch
 * after those, which is in by the time the walk gets there.  A text
 * being made is marked so: whoever needs it waits for it instead of
 * fetching it again.  The asker's abort flag reaches every fetch of its
 * own batch.
 */

#include <sys/queue.h>

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "snapfs.h"

#define HDRTEXT_MAX	(16U * 1024 * 1024)	/* largest header read */
#define HDRTEXT_BATCH	64	/* headers fetched at once */

enum {
	TEXT_MAKING,
	TEXT_READY
};

struct hdrtext_entry {
	TAILQ_ENTRY(hdrtext_entry) link;	/* on kept, once ready */
	uint64_t	 ino;
	char		*text;
	size_t		 len;
	int		 state;
};
TAILQ_HEAD(hdrtext_queue, hdrtext_entry);

/* What a ready text takes: itself, its entry and its slots in texts. */
#define ENTRY_BYTES(e)	((e)->len + sizeof *(e) + 32)

struct hdrtext {
	struct cache	*cache;
	struct tree	*tree;
	pthread_mutex_t	 lock;		/* the fields below */
	pthread_cond_t	 cond;		/* a text made */
	struct idmap	 texts;		/* ino -> struct hdrtext_entry */
	struct hdrtext_queue kept;	/* ready, least recently used first */
	size_t		 bytes;		/* of the ready texts */
	size_t		 max;		/* 0: no bound */
	pthread_t	 ahead;		/* the batch made in the background */
	bool		 ahead_started;	/* to be joined */
	bool		 ahead_running;
};

/* Ready texts are kept up to max bytes (0: all). */
struct hdrtext *
hdrtext_create(struct cache *cache, struct tree *tree, size_t max)
{
	struct hdrtext	*h;

	h = xcalloc(1, sizeof *h);
	h->cache = cache;
	h->tree = tree;
	h->max = max;
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cond, NULL);
	idmap_init(&h->texts, 32);
	TAILQ_INIT(&h->kept);
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
	if (h->ahead_started)
		pthread_join(h->ahead, NULL);
	idmap_free(&h->texts, entry_free);
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

/*
 * Mark the texts of inos that nobody has or makes as being made; the
 * inos claimed so are moved to the front.  Their count.
 */
static size_t
claim(struct hdrtext *h, uint64_t *inos, size_t n)
{
	struct hdrtext_entry	*e;
	size_t			 i, claimed = 0;

	pthread_mutex_lock(&h->lock);
	for (i = 0; i < n; i++) {
		if (idmap_get(&h->texts, inos[i]) != NULL)
			continue;
		e = xcalloc(1, sizeof *e);
		e->ino = inos[i];
		e->state = TEXT_MAKING;
		idmap_put(&h->texts, inos[i], e);
		inos[claimed++] = inos[i];
	}
	pthread_mutex_unlock(&h->lock);
	return (claimed);
}

/* Forget the text of e.  Caller holds the lock. */
static void
drop(struct hdrtext *h, struct hdrtext_entry *e)
{
	if (e->state == TEXT_READY) {
		TAILQ_REMOVE(&h->kept, e, link);
		h->bytes -= ENTRY_BYTES(e);
		stats_add(STAT_TEXT_BYTES, -(uint64_t)ENTRY_BYTES(e));
	}
	idmap_del(&h->texts, e->ino);
	entry_free(e);
}

/*
 * The text of a claimed ino is made (text) or could not be (NULL); the
 * least recently used texts but this one go past the bound.
 */
static void
settle(struct hdrtext *h, uint64_t ino, char *text, size_t len)
{
	struct hdrtext_entry	*e, *old;

	pthread_mutex_lock(&h->lock);
	e = idmap_get(&h->texts, ino);
	if (text == NULL)
		drop(h, e);
	else {
		e->text = text;
		e->len = len;
		e->state = TEXT_READY;
		TAILQ_INSERT_TAIL(&h->kept, e, link);
		h->bytes += ENTRY_BYTES(e);
		stats_add(STAT_TEXT_BYTES, ENTRY_BYTES(e));
		while (h->max != 0 && h->bytes > h->max &&
		    (old = TAILQ_FIRST(&h->kept)) != e) {
			drop(h, old);
			stats_add(STAT_TEXTS_EVICTED, 1);
		}
	}
	pthread_cond_broadcast(&h->cond);
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
	volatile bool	*abort;		/* the asker's, or NULL */
	char		**text;		/* the asker's: a copy of the first */
	size_t		*len;		/* ino's text, unless NULL */
	uint64_t	 inos[HDRTEXT_BATCH];	/* claimed */
	bool		 done[HDRTEXT_BATCH];
	size_t		 n;
	int		 error;		/* of the first ino */
};

static int
fetch_item(void *arg, size_t i)
{
	struct fetch	*f = arg;
	char		*text = NULL;
	size_t		 len = 0;
	int		 error;

	if ((error = make(f->h, f->inos[i], &text, &len, f->abort)) != 0)
		text = NULL;
	if (i == 0) {
		f->error = error;
		if (text != NULL && f->len != NULL) {
			*f->len = len;
			if (f->text != NULL)
				*f->text = xstrndup(text, len);
		}
	}
	settle(f->h, f->inos[i], text, len);
	f->done[i] = true;
	return (0);
}

static bool
fetch_stop(void *arg)
{
	struct fetch	*f = arg;

	return (f->abort != NULL && *f->abort);
}

/* Make the texts of f's inos, claimed already, all at once. */
static void
fetch_all(struct fetch *f)
{
	size_t	i;

	memset(f->done, 0, sizeof f->done);
	pool_run(f->n, f->n, fetch_item, f, fetch_stop, f);
	for (i = 0; i < f->n; i++)	/* those the abort left undone */
		if (!f->done[i])
			settle(f->h, f->inos[i], NULL, 0);
}

static void *
fetch_ahead(void *arg)
{
	struct fetch	*f = arg;
	struct hdrtext	*h = f->h;

	fetch_all(f);
	free(f);
	pthread_mutex_lock(&h->lock);
	h->ahead_running = false;
	pthread_mutex_unlock(&h->lock);
	return (NULL);
}

/*
 * Make the text of ino, claimed already, with the texts of the next
 * tablets, and give it as hdrtext_get does; then have the batch after
 * them made in the background.
 */
static int
fetch_batch(struct hdrtext *h, uint64_t ino, char **text, size_t *len,
    volatile bool *abort)
{
	struct fetch	 f, *next;
	uint64_t	 last;
	size_t		 n;

	f.h = h;
	f.abort = abort;
	f.text = text;
	f.len = len;
	f.inos[0] = ino;
	n = tree_cousins(h->tree, ino, f.inos + 1, HDRTEXT_BATCH - 1);
	last = f.inos[n];
	f.n = 1 + claim(h, f.inos + 1, n);
	fetch_all(&f);
	if (f.error != 0 || !f.done[0])
		return (f.error != 0 ? f.error : -EINTR);
	if (fetch_stop(&f))
		return (0);

	/* One batch at a time in the background. */
	pthread_mutex_lock(&h->lock);
	if (h->ahead_running) {
		pthread_mutex_unlock(&h->lock);
		return (0);
	}
	if (h->ahead_started)
		pthread_join(h->ahead, NULL);	/* it has ended */
	h->ahead_started = false;
	h->ahead_running = true;
	pthread_mutex_unlock(&h->lock);

	next = xcalloc(1, sizeof *next);
	next->h = h;
	n = tree_cousins(h->tree, last, next->inos, HDRTEXT_BATCH);
	next->n = claim(h, next->inos, n);
	pthread_mutex_lock(&h->lock);
	if (next->n == 0) {
		h->ahead_running = false;
		free(next);
	} else {
		h->ahead_started = true;
		if (pthread_create(&h->ahead, NULL, fetch_ahead, next) != 0)
			fatal("pthread_create");
	}
	pthread_mutex_unlock(&h->lock);
	return (0);
}

/*
 * The text of tablet.txt node ino (a copy, when text is not NULL) and its
 * length.  Unless fetch is set, only a text already made is given, else
 * -EAGAIN.  A text being made is waited for.
 */
int
hdrtext_get(struct hdrtext *h, uint64_t ino, bool fetch, char **text,
    size_t *len, volatile bool *abort)
{
	struct hdrtext_entry	*e;
	uint64_t		 one = ino;

	pthread_mutex_lock(&h->lock);
	while ((e = idmap_get(&h->texts, ino)) != NULL &&
	    e->state == TEXT_MAKING && fetch &&
	    (abort == NULL || !*abort))
		pthread_cond_wait(&h->cond, &h->lock);
	if (e != NULL && e->state == TEXT_READY) {
		TAILQ_REMOVE(&h->kept, e, link);	/* used now */
		TAILQ_INSERT_TAIL(&h->kept, e, link);
		*len = e->len;
		if (text != NULL)
			*text = xstrndup(e->text, e->len);
		pthread_mutex_unlock(&h->lock);
		return (0);
	}
	pthread_mutex_unlock(&h->lock);
	if (!fetch || (abort != NULL && *abort))
		return (fetch ? -EINTR : -EAGAIN);
	if (claim(h, &one, 1) == 1)
		return (fetch_batch(h, ino, text, len, abort));
	return (hdrtext_get(h, ino, true, text, len, abort));	/* made */
}
