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
 * ls -lR looks up one tablet after the other, so a text that is not
 * there is queued first with the headers of the next HDRTEXT_AHEAD
 * tablets behind it (on into the next partitions), and the queue is
 * topped up whenever the walk has asked for half of those: a window that
 * moves with the walk and never runs further ahead of it.  Up to
 * HDRTEXT_PARALLEL drains (tasks on pool.c's threads) take the queue in
 * order, each fetch on its own, so that a slow one holds up no other.
 * Whoever needs a text being made waits for it instead of fetching it
 * again, and gives up when its request is interrupted (hdrtext_wake); a
 * fetch that fails is told to all who wait for it.  The fetches end when
 * the mount does.
 */

#include <sys/queue.h>

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "snapfs.h"

#define HDRTEXT_MAX	(16U * 1024 * 1024)	/* largest header read */
#define HDRTEXT_AHEAD	512	/* tablets queued ahead of a walk */
#define HDRTEXT_PARALLEL 128	/* drains: headers fetched at once */

enum {
	TEXT_QUEUED,
	TEXT_MAKING,
	TEXT_READY,
	TEXT_FAILED
};

struct hdrtext_entry {
	TAILQ_ENTRY(hdrtext_entry) link;	/* on queue, or on kept */
	uint64_t	 ino;
	char		*text;
	size_t		 len;
	int		 state;
	int		 error;		/* once failed */
	unsigned	 waiters;	/* pin it: not dropped while > 0 */
	bool		 unasked;	/* queued ahead, not asked for yet */
	uint64_t	 walk;		/* the walk that queued it ahead */
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
	struct hdrtext_queue queue;	/* to be made, in this order */
	size_t		 queued;
	uint64_t	 walk;		/* counts the walks: a miss starts one */
	size_t		 ahead;		/* queued ahead by this walk, unasked */
	uint64_t	 frontier;	/* the walk's last tablet queued, or 0 */
	size_t		 drains;	/* running */
	size_t		 making;	/* texts being made by them */
	pthread_cond_t	 gone;		/* the last drain ended */
	volatile bool	 quit;
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
	pthread_cond_init(&h->gone, NULL);
	idmap_init(&h->texts, 32);
	TAILQ_INIT(&h->kept);
	TAILQ_INIT(&h->queue);
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
	pthread_mutex_lock(&h->lock);
	h->quit = true;
	while (h->drains > 0)
		pthread_cond_wait(&h->gone, &h->lock);
	pthread_mutex_unlock(&h->lock);
	idmap_free(&h->texts, entry_free);
	pthread_cond_destroy(&h->cond);
	pthread_cond_destroy(&h->gone);
	pthread_mutex_destroy(&h->lock);
	free(h);
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
	if (e->unasked && e->walk == h->walk)
		h->ahead--;
	idmap_del(&h->texts, e->ino);
	entry_free(e);
}

/*
 * The text of ino is made (text) or could not be (error): a failure is
 * told to those who wait for it, and forgotten.  The least recently used
 * texts but this one go past the bound.
 */
static void
settle(struct hdrtext *h, uint64_t ino, char *text, size_t len, int error)
{
	struct hdrtext_entry	*e, *old;

	pthread_mutex_lock(&h->lock);
	e = idmap_get(&h->texts, ino);
	if (text == NULL && e->waiters == 0)
		drop(h, e);
	else if (text == NULL) {
		e->state = TEXT_FAILED;
		e->error = error;
	} else {
		e->text = text;
		e->len = len;
		e->state = TEXT_READY;
		TAILQ_INSERT_TAIL(&h->kept, e, link);
		h->bytes += ENTRY_BYTES(e);
		stats_add(STAT_TEXT_BYTES, ENTRY_BYTES(e));
		while (h->max != 0 && h->bytes > h->max &&
		    (old = TAILQ_FIRST(&h->kept)) != e && old->waiters == 0) {
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

static void	top_up(struct hdrtext *, uint64_t);

/* A drain: make the texts of the queue in its order until it is empty. */
static void
drain(void *arg)
{
	struct hdrtext		*h = arg;
	struct hdrtext_entry	*e;
	uint64_t		 ino;
	char			*text;
	size_t			 len;
	int			 error;

	pthread_mutex_lock(&h->lock);
	while (!h->quit && (e = TAILQ_FIRST(&h->queue)) != NULL) {
		TAILQ_REMOVE(&h->queue, e, link);
		h->queued--;
		h->making++;
		e->state = TEXT_MAKING;
		ino = e->ino;
		pthread_mutex_unlock(&h->lock);
		text = NULL;
		len = 0;
		if ((error = make(h, ino, &text, &len, &h->quit)) != 0)
			text = NULL;
		settle(h, ino, text, len, error);
		top_up(h, 0);
		pthread_mutex_lock(&h->lock);
		h->making--;
	}
	if (--h->drains == 0)
		pthread_cond_broadcast(&h->gone);
	pthread_mutex_unlock(&h->lock);
}

/*
 * Queue the texts of inos that nobody has or makes: at the front, one
 * asked for; at the back, the tablets ahead of the walk.  Drains are
 * started for what those running cannot take.  Caller holds the lock.
 */
static void
enqueue(struct hdrtext *h, const uint64_t *inos, size_t n, bool ahead)
{
	struct hdrtext_entry	*e;
	size_t			 i;

	for (i = 0; i < n; i++) {
		if (idmap_get(&h->texts, inos[i]) != NULL)
			continue;
		e = xcalloc(1, sizeof *e);
		e->ino = inos[i];
		e->state = TEXT_QUEUED;
		idmap_put(&h->texts, inos[i], e);
		if (ahead) {
			e->unasked = true;
			e->walk = h->walk;
			h->ahead++;
			TAILQ_INSERT_TAIL(&h->queue, e, link);
		} else
			TAILQ_INSERT_HEAD(&h->queue, e, link);
		h->queued++;
	}
	while (!h->quit && h->drains < HDRTEXT_PARALLEL &&
	    h->drains < h->making + h->queued) {
		h->drains++;
		pool_spawn(drain, h);
	}
}

/*
 * Queue the tablets after from (0: after the walk's frontier) while fewer
 * than half of HDRTEXT_AHEAD are queued or made and not yet asked for.
 */
static void
top_up(struct hdrtext *h, uint64_t from)
{
	uint64_t	inos[HDRTEXT_AHEAD];
	uint64_t	walk;
	size_t		n;

	pthread_mutex_lock(&h->lock);
	if (from == 0)
		from = h->frontier;
	if (from == 0 || h->quit || h->ahead >= HDRTEXT_AHEAD / 2) {
		pthread_mutex_unlock(&h->lock);
		return;
	}
	n = HDRTEXT_AHEAD - h->ahead;
	walk = h->walk;
	pthread_mutex_unlock(&h->lock);
	n = tree_cousins(h->tree, from, inos, n);
	pthread_mutex_lock(&h->lock);
	if (h->walk == walk) {		/* not moved elsewhere meanwhile */
		enqueue(h, inos, n, true);
		h->frontier = n > 0 ? inos[n - 1] : 0;
	}
	pthread_mutex_unlock(&h->lock);
}

/*
 * The text of tablet.txt node ino (a copy, when text is not NULL) and its
 * length.  Unless fetch is set, only a text already made is given, else
 * -EAGAIN.  A text not there is queued first, with the tablets after it
 * behind it; one being made is waited for.
 */
int
hdrtext_get(struct hdrtext *h, uint64_t ino, bool fetch, char **text,
    size_t *len, volatile bool *abort)
{
	struct hdrtext_entry	*e;
	int			 error;

	pthread_mutex_lock(&h->lock);
	for (;;) {
		if ((e = idmap_get(&h->texts, ino)) == NULL) {
			if (!fetch || (abort != NULL && *abort))
				break;
			/* The walk is here now: the window starts anew. */
			h->walk++;
			h->ahead = 0;
			enqueue(h, &ino, 1, false);
			pthread_mutex_unlock(&h->lock);
			top_up(h, ino);
			pthread_mutex_lock(&h->lock);
			continue;
		}
		if (e->unasked) {
			e->unasked = false;
			if (e->walk == h->walk)
				h->ahead--;
		}
		if (e->state == TEXT_READY) {
			TAILQ_REMOVE(&h->kept, e, link);	/* used now */
			TAILQ_INSERT_TAIL(&h->kept, e, link);
			*len = e->len;
			if (text != NULL)
				*text = xstrndup(e->text, e->len);
			pthread_mutex_unlock(&h->lock);
			if (fetch)
				top_up(h, 0);
			return (0);
		}
		if (e->state == TEXT_FAILED) {
			/* Told to every waiter; the last forgets it. */
			error = e->error;
			if (e->waiters == 0)
				drop(h, e);
			pthread_mutex_unlock(&h->lock);
			return (error);
		}
		if (!fetch || (abort != NULL && *abort))
			break;
		e->waiters++;
		pthread_cond_wait(&h->cond, &h->lock);
		e->waiters--;
	}
	pthread_mutex_unlock(&h->lock);
	return (fetch ? -EINTR : -EAGAIN);
}

/* A request was interrupted: its waits end, to see its abort flag. */
void
hdrtext_wake(struct hdrtext *h)
{
	pthread_mutex_lock(&h->lock);
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
}
