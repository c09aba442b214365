/*
 * Every read of file bytes: the read window and the md5 check.
 *
 * Where storage is remote (broker_can_fetch), each open file has a window
 * (window.c): sequential reads keep up to a window of CHUNK-sized chunks
 * in flight ahead of the reader, fetched in parallel on the transfer
 * thread, as many as the link needs (the time a chunk takes to arrive
 * sizes the window); a random read fetches just what it asks for,
 * straight into the reply.  Small files a walk is about to open are
 * fetched ahead by cache-warm.c.  Every chunk is taken from the memory
 * budget (budget.c); read-ahead takes only what is free, and a read that
 * finds none reads directly.  Local storage is read with pread straight
 * into the reply.
 *
 * An object whose name ends in ".<md5>" never gives out bad bytes
 * silently.  One up to SMALL_OBJECT_MAX is read whole at open and checked
 * before the first byte is returned.  A larger one is hashed in order as
 * its bytes go by: each read hashes what it got if it continues the
 * digest, and chunks fetched ahead are hashed as the reader reaches them.
 * The read that reaches the end of the object completes the digest
 * (fetching any small gap a reordered read left) and fails with EIO if
 * it is wrong, so no copy of a damaged object can complete.  A FUSE read
 * (cache_read_early) leaves that digest to cache_digest, which runs after
 * the reply is sent: a reader waits for md5 only at the end, or when it
 * is DIGEST_LAG ahead of it.  A handle that jumps far ahead of its digest
 * gives it up: a random read is never made to fetch the whole object
 * first.  Such objects are not kept in the kernel's page cache until
 * checked (cache_keep), so a later copy reads every byte through here
 * again.  The verdict is kept in the tree, so a damaged object fails at
 * once from then on and a good one is not hashed again.  No lock is held
 * across a fetch or a digest.
 */

#include <sys/mman.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "snapfs.h"

#define CHUNK		DCACHE_BLOCK	/* a chunk is a disk cache block */
#define SLOTS		((int)(WINDOW_CEIL / CHUNK) + 16) /* chunks a handle holds */
#define HASH_GAP_MAX	(WINDOW_MAX + CHUNK)	/* past this, no digest */
#define DIGEST_LAG	(WINDOW_MAX / 2)	/* a reader waits for md5 past this */
#define GAP_WAIT_MS	20		/* for a reordered read to arrive */
#define GAP_BUF		(128 * 1024)	/* a gap is hashed in such steps */
#define SPARE_MAX	8		/* chunk buffers kept for reuse */
#define HUGE_PAGE	(2U * 1024 * 1024)

enum {
	CH_FREE,
	CH_WAIT,		/* in flight */
	CH_READY,
	CH_FAILED
};

struct chunk {
	struct handle	*h;
	uint64_t	 off;
	size_t		 len;
	char		*data;
	int		 state;
	int		 error;
	uint64_t	 sent;		/* us, when its fetch began */
	bool		 disk;		/* in the disk cache: to be loaded */
	bool		 claimed;	/* a reader is loading it */
	bool		 cached;	/* came from the disk cache */
};

struct cache {
	struct broker	*broker;
	struct tree	*tree;
	struct budget	*budget;
	struct dcache	*dc;		/* or NULL */
	bool		 remote;	/* fetches are worth doing ahead */
	struct cache_warm *warm;	/* or NULL */
	struct window_link link;	/* how long a chunk takes */
	pthread_mutex_t	 spare_lock;	/* spare, nspare */
	char		*spare[SPARE_MAX];
	int		 nspare;
};

struct handle {
	struct cache		*c;
	uint64_t		 ino;
	struct tree_object	 obj;
	char			 id[SHA256_HEX_LEN + 1]; /* disk cache entry */
	char			*whole;		/* a small object, checked */
	pthread_mutex_t		 lock;		/* the fields below */
	pthread_cond_t		 cond;
	struct window		 w;
	struct chunk		 chunks[SLOTS];
	int			 inflight;
	int			 digests;	/* cache_digest calls owed */
	struct md5		*md5;		/* the running digest */
	uint64_t		 hashed;	/* [0, hashed) is in md5 */
	bool			 hashing;	/* a thread is adding to md5 */
	bool			 nohash;	/* given up on this handle */
	int			 verdict;	/* 1 good, -1 damaged, 0 none */
	volatile bool		 closing;	/* fetches in flight give up */
};

/* A fetch waited for. */
struct waiter {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	bool		 done;
	ssize_t		 n;
};

static ssize_t	serve(struct cache *, struct handle *, char *, size_t,
		    uint64_t, bool, volatile bool *);

struct cache *
cache_create(struct broker *broker, struct tree *tree, size_t memory)
{
	struct cache	*c;

	c = xcalloc(1, sizeof *c);
	c->broker = broker;
	c->tree = tree;
	c->budget = budget_create(memory);
	c->remote = broker_can_fetch(broker);
	if (c->remote)
		c->warm = cache_warm_create(broker, tree, c->budget);
	pthread_mutex_init(&c->spare_lock, NULL);
	return (c);
}

/* Keep objects on disk in dir, up to size bytes (-o cache_dir=). */
int
cache_disk(struct cache *c, const char *dir, uint64_t size, char **cause)
{
	return (dcache_open(dir, size, c->budget, &c->dc, cause));
}

void
cache_free(struct cache *c)
{
	if (c == NULL)
		return;
	cache_warm_free(c->warm);
	dcache_close(c->dc);
	budget_free(c->budget);
	while (c->nspare > 0)
		free(c->spare[--c->nspare]);
	pthread_mutex_destroy(&c->spare_lock);
	free(c);
}

/*
 * A buffer for a chunk of len bytes.  A large one is of CHUNK bytes, a
 * spare one if there is: its pages are mapped in already.  The C library
 * gives a freed chunk buffer back to the kernel, and faulting the next
 * one's pages in again cost a third of the daemon's CPU in a cold read.
 * A new one is asked for in huge pages, where the kernel has them: a read
 * that fills the budget with new chunks then takes two page faults a
 * chunk, not a thousand.  A small file (a tablet header) gets a buffer
 * of its size from malloc, not a mapping of CHUNK bytes of its own.
 */
static char *
chunk_buf(struct cache *c, size_t len)
{
	void	*p = NULL;

	if (len < HUGE_PAGE)
		return (xmalloc(len));
	pthread_mutex_lock(&c->spare_lock);
	if (c->nspare > 0)
		p = c->spare[--c->nspare];
	pthread_mutex_unlock(&c->spare_lock);
	if (p != NULL)
		return (p);
	if (posix_memalign(&p, HUGE_PAGE, CHUNK) != 0)
		fatalx("out of memory");
	(void)madvise(p, CHUNK, MADV_HUGEPAGE);
	return (p);
}

/* Keep large buffer p of chunk_buf as a spare, up to SPARE_MAX. */
static void
chunk_buf_put(struct cache *c, char *p, size_t len)
{
	if (len < HUGE_PAGE) {
		free(p);
		return;
	}
	pthread_mutex_lock(&c->spare_lock);
	if (c->nspare < SPARE_MAX) {
		c->spare[c->nspare++] = p;
		p = NULL;
	}
	pthread_mutex_unlock(&c->spare_lock);
	free(p);
}

/*
 * Wait for a change on h, unless the reader's abort flag is set (the
 * reader was killed): -EINTR then, else 0.  Caller holds h->lock.
 */
static int
handle_wait(struct handle *h, volatile bool *abort)
{
	if (abort != NULL && *abort) {
		log_info("%s: read interrupted", h->obj.key);
		return (-EINTR);
	}
	pthread_cond_wait(&h->cond, &h->lock);
	return (0);
}

/* A reader of h was aborted: its waits end (handle_wait). */
void
cache_wake(struct cache *c, struct handle *h)
{
	pthread_mutex_lock(&h->lock);
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
}

static void
waiter_done(void *arg, ssize_t n)
{
	struct waiter	*w = arg;

	pthread_mutex_lock(&w->lock);
	w->n = n;
	w->done = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

/* One read of up to len bytes at off: the count, or -errno. */
static ssize_t
read_once(struct cache *c, const char *key, char *p, size_t len,
    uint64_t off, volatile bool *abort)
{
	struct waiter	w;

	if (!c->remote)
		return (broker_read(c->broker, key, p, len, off, abort));
	memset(&w, 0, sizeof w);
	pthread_mutex_init(&w.lock, NULL);
	pthread_cond_init(&w.cond, NULL);
	broker_fetch(c->broker, key, p, len, off, abort, waiter_done, &w);
	pthread_mutex_lock(&w.lock);
	/* p is the caller's: wait for the end even if aborted. */
	while (!w.done)
		pthread_cond_wait(&w.cond, &w.lock);
	pthread_mutex_unlock(&w.lock);
	pthread_cond_destroy(&w.cond);
	pthread_mutex_destroy(&w.lock);
	return (w.n);
}

static int
io_errno(ssize_t n)
{
	return (n == -ENOENT || n == -EACCES || n == -EINTR ? n : -EIO);
}

/* Read exactly len bytes at off; a short object is an error. */
static int
read_exact(struct cache *c, struct handle *h, char *p, size_t len,
    uint64_t off, volatile bool *abort)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = read_once(c, h->obj.key, p, len, off, abort)) < 0)
			return (io_errno(n));
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
		h->verdict = 1;
		if (h->id[0] != '\0')
			dcache_verdict(c->dc, h->id, h->obj.size, true);
		return (0);
	}
	stats_add(STAT_MD5_ERRORS, 1);
	log_warn("%s: md5 mismatch: content is %s", h->obj.key, md5);
	tree_mark_checked(c->tree, h->ino, false);
	h->verdict = -1;
	if (h->id[0] != '\0')
		dcache_verdict(c->dc, h->id, h->obj.size, false);
	return (-EIO);
}

/* A small object from the disk cache, block by block: 0, or -1. */
static int
disk_read(struct cache *c, const char *id, char *data, size_t size)
{
	size_t	off, n;

	for (off = 0; off < size; off += CHUNK)
		if (!dcache_has(c->dc, id, off / CHUNK))
			return (-1);
	for (off = 0; off < size; off += n) {
		n = size - off < CHUNK ? size - off : CHUNK;
		if (dcache_get(c->dc, id, off / CHUNK, data + off, n) != 0)
			return (-1);
	}
	return (0);
}

/* A copy of a small object for the disk cache, as memory allows. */
static void
disk_write(struct cache *c, const char *id, const char *data, size_t size)
{
	char	*copy;
	size_t	 off, n;

	for (off = 0; off < size; off += n) {
		n = size - off < CHUNK ? size - off : CHUNK;
		if (!budget_try(c->budget, n))
			return;
		copy = xmalloc(n);
		memcpy(copy, data + off, n);
		dcache_put(c->dc, id, off / CHUNK, copy, n);
	}
}

/* Load a small object whole into h->whole (unless warmed), check it. */
static int
load_small(struct cache *c, struct handle *h, char *data, bool check,
    volatile bool *abort)
{
	char	md5[MD5_HEX_LEN + 1];
	size_t	size = h->obj.size;
	ssize_t	n;
	int	error;
	bool	disk = false;

	if (data == NULL) {
		budget_take(c->budget, size + 1);
		data = xmalloc(size + 1);
		if (h->id[0] != '\0' && size > 0 &&
		    disk_read(c, h->id, data, size) == 0)
			error = 0, disk = true;
		else if (c->remote && size > 0) {
			n = read_once(c, h->obj.key, data, size + 1, 0, abort);
			if (n >= 0 && (size_t)n != size) {
				log_warn("%s/%s: size changed while reading",
				    c->broker->location, h->obj.key);
				n = -EIO;
			}
			error = n < 0 ? io_errno(n) : 0;
		} else {
			struct buf	b;

			buf_init(&b, size);
			error = broker_read_all(c->broker, h->obj.key, size,
			    &b, abort);
			if (error == 0)
				memcpy(data, b.data, size);
			else
				error = io_errno(error);
			buf_free(&b);
		}
		if (error != 0) {
			free(data);
			budget_give(c->budget, size + 1);
			return (error);
		}
	}
	h->whole = data;
	if (!check)
		return (0);
	digest_md5_hex(h->whole, size, md5);
	if ((error = verdict(c, h, md5)) == 0 && h->id[0] != '\0' && !disk)
		disk_write(c, h->id, data, size);
	return (error);
}

int
cache_open(struct cache *c, uint64_t ino, volatile bool *abort,
    struct handle **hp)
{
	struct handle	*h;
	char		*warmed;
	int		 error = 0, checked;

	h = xcalloc(1, sizeof *h);
	if ((error = tree_object(c->tree, ino, &h->obj)) != 0) {
		free(h);
		return (error);
	}
	h->c = c;
	h->ino = ino;
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cond, NULL);
	window_init(&h->w, WINDOW_CEIL < budget_max(c->budget) / 4 ?
	    WINDOW_CEIL : budget_max(c->budget) / 4);
	if (c->warm != NULL)
		cache_warm_ahead(c->warm, ino, c->dc);

	/*
	 * A small object is checked at open: the kernel never asks to read
	 * an empty file, and an empty object with a wrong md5 is exactly
	 * what a failed upload leaves behind.
	 */
	checked = h->obj.md5[0] != '\0' ? tree_checked(c->tree, ino) : 1;
	if (c->dc != NULL && c->remote && h->obj.md5[0] != '\0') {
		dcache_id(h->obj.key, h->obj.md5, h->id);
		if (checked == 0 && dcache_good(c->dc, h->id)) {
			tree_mark_checked(c->tree, ino, true);
			checked = 1;
		}
	}
	warmed = c->warm != NULL ? cache_warm_take(c->warm, ino, h->obj.size) :
	    NULL;
	if (checked < 0) {
		error = -EIO;
		if (warmed != NULL) {
			budget_give(c->budget, h->obj.size + 1);
			free(warmed);
		}
	} else if (warmed != NULL || (h->obj.size <= SMALL_OBJECT_MAX &&
	    checked == 0))
		error = load_small(c, h, warmed, checked == 0, abort);
	else if (checked == 0)
		h->md5 = digest_md5_create();
	if (error != 0) {
		cache_close(c, h);
		return (error);
	}
	*hp = h;
	return (0);
}

/* Free a chunk that is not in flight; a fetched one goes to disk. */
static void
chunk_free(struct handle *h, struct chunk *ch)
{
	if (ch->state == CH_READY && !ch->cached && h->id[0] != '\0' &&
	    h->verdict >= 0)
		dcache_put(h->c->dc, h->id, ch->off / CHUNK, ch->data,
		    ch->len);
	else {
		budget_give(h->c->budget, ch->len);
		chunk_buf_put(h->c, ch->data, ch->len);
	}
	ch->data = NULL;
	ch->state = CH_FREE;
}

void
cache_close(struct cache *c, struct handle *h)
{
	int	i;

	if (h == NULL)
		return;
	pthread_mutex_lock(&h->lock);
	h->closing = true;	/* nobody reads what is still on its way */
	for (i = 0; i < SLOTS; i++)
		if (h->chunks[i].state == CH_WAIT && h->chunks[i].disk &&
		    !h->chunks[i].claimed) {
			h->chunks[i].state = CH_FAILED;	/* never loaded */
			h->inflight--;
		}
	while (h->inflight > 0 || h->digests > 0)
		pthread_cond_wait(&h->cond, &h->lock);
	for (i = 0; i < SLOTS; i++)
		if (h->chunks[i].state != CH_FREE)
			chunk_free(h, &h->chunks[i]);
	pthread_mutex_unlock(&h->lock);
	if (h->whole != NULL) {
		budget_give(c->budget, h->obj.size + 1);
		free(h->whole);
	}
	digest_md5_free(h->md5);
	free(h->obj.key);
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

/* May the kernel keep this file's pages from one open to the next? */
bool
cache_keep(struct cache *c, struct handle *h)
{
	return (h->obj.md5[0] == '\0' || h->whole != NULL ||
	    tree_checked(c->tree, h->ino) > 0);
}

/* Is the digest still being made on h?  Caller holds h->lock. */
static bool
hash_wanted(struct handle *h)
{
	return (h->md5 != NULL && !h->nohash && h->verdict == 0 &&
	    h->hashed < h->obj.size);
}

/* The chunk holding off, or NULL.  Caller holds h->lock. */
static struct chunk *
chunk_find(struct handle *h, uint64_t off)
{
	uint64_t	start = off - off % CHUNK;
	int		i;

	for (i = 0; i < SLOTS; i++)
		if (h->chunks[i].state != CH_FREE &&
		    h->chunks[i].off == start)
			return (&h->chunks[i]);
	return (NULL);
}

/* Drop chunks the reader is done with.  Caller holds h->lock. */
static void
chunk_reclaim(struct handle *h)
{
	struct chunk	*ch;
	uint64_t	 end, ahead;
	int		 i;

	ahead = h->w.next + (h->w.size > CHUNK ? h->w.size : CHUNK);
	for (i = 0; i < SLOTS; i++) {
		ch = &h->chunks[i];
		if (ch->state != CH_READY && ch->state != CH_FAILED)
			continue;
		end = ch->off + ch->len;
		if (hash_wanted(h) && end > h->hashed && ch->state == CH_READY)
			continue;
		if (h->hashing && ch->off <= h->hashed && end > h->hashed)
			continue;	/* being hashed */
		if (end + WINDOW_BACK <= h->w.next || ch->off >= ahead ||
		    ch->state == CH_FAILED)
			chunk_free(h, ch);
	}
	/* Blocks on disk that the reader has passed need not be loaded. */
	for (i = 0; i < SLOTS; i++) {
		ch = &h->chunks[i];
		if (ch->state != CH_WAIT || !ch->disk || ch->claimed)
			continue;
		if (ch->off + ch->len + WINDOW_BACK <= h->w.next ||
		    ch->off >= ahead) {
			if (hash_wanted(h) && ch->off + ch->len > h->hashed)
				continue;
			ch->state = CH_FAILED;
			h->inflight--;
			chunk_free(h, ch);
		}
	}
}

static void
chunk_done(void *arg, ssize_t n)
{
	struct chunk	*ch = arg;
	struct handle	*h = ch->h;
	uint64_t	 now;

	pthread_mutex_lock(&h->lock);
	if (n >= 0 && (size_t)n == CHUNK) {
		now = monotonic_us();
		window_link_seen(&h->c->link, now / 1000, now - ch->sent);
	}
	if (n >= 0 && (size_t)n == ch->len)
		ch->state = CH_READY;
	else {
		if (n >= 0)
			log_warn("%s: object is shorter than its listed size",
			    h->obj.key);
		ch->state = CH_FAILED;
		ch->error = n < 0 ? io_errno(n) : -EIO;
	}
	h->inflight--;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
}

/*
 * Start fetching the chunk at start, if a slot and memory are free; the
 * chunk or NULL.  Caller holds h->lock.
 */
static struct chunk *
chunk_start(struct handle *h, uint64_t start)
{
	struct chunk	*ch = NULL;
	size_t		 len;
	int		 i;

	for (i = 0; i < SLOTS; i++)
		if (h->chunks[i].state == CH_FREE) {
			ch = &h->chunks[i];
			break;
		}
	if (ch == NULL) {
		chunk_reclaim(h);
		for (i = 0; i < SLOTS && ch == NULL; i++)
			if (h->chunks[i].state == CH_FREE)
				ch = &h->chunks[i];
		if (ch == NULL)
			return (NULL);
	}
	len = h->obj.size - start < CHUNK ? h->obj.size - start : CHUNK;
	if (!budget_try(h->c->budget, len))
		return (NULL);
	ch->h = h;
	ch->off = start;
	ch->len = len;
	ch->data = chunk_buf(h->c, len);
	ch->state = CH_WAIT;
	ch->error = 0;
	ch->claimed = ch->cached = false;
	h->inflight++;
	ch->sent = monotonic_us();
	/* A block on disk is loaded by the reader that needs it. */
	if (!(ch->disk = h->id[0] != '\0' &&
	    dcache_has(h->c->dc, h->id, start / CHUNK)))
		broker_fetch(h->c->broker, h->obj.key, ch->data, len, start,
		    &h->closing, chunk_done, ch);
	return (ch);
}

/*
 * Load chunk ch from the disk cache, or fetch it if the block fails its
 * check.  Caller holds h->lock, which is dropped meanwhile.
 */
static void
chunk_load(struct handle *h, struct chunk *ch)
{
	int	error;

	ch->claimed = true;
	pthread_mutex_unlock(&h->lock);
	error = dcache_get(h->c->dc, h->id, ch->off / CHUNK, ch->data,
	    ch->len);
	pthread_mutex_lock(&h->lock);
	ch->disk = ch->claimed = false;
	if (error != 0) {
		ch->sent = monotonic_us();
		broker_fetch(h->c->broker, h->obj.key, ch->data, ch->len,
		    ch->off, &h->closing, chunk_done, ch);
		return;
	}
	ch->cached = true;
	ch->state = CH_READY;
	h->inflight--;
	pthread_cond_broadcast(&h->cond);
}

/* Have the window [off, off + ahead) in flight.  Caller holds h->lock. */
static void
prefetch(struct handle *h, uint64_t off, uint64_t ahead)
{
	uint64_t	start, end;

	end = off + ahead > h->obj.size ? h->obj.size : off + ahead;
	for (start = off - off % CHUNK; start < end; start += CHUNK)
		if (chunk_find(h, start) == NULL &&
		    chunk_start(h, start) == NULL)
			break;
}

/*
 * Add [hashed, target) to the digest from chunks that are in; with must,
 * wait for chunks in flight and fetch what no chunk holds.  Caller holds
 * h->lock, which is dropped while hashing or fetching.
 */
static int
hash_to(struct cache *c, struct handle *h, uint64_t target, bool must,
    volatile bool *abort)
{
	struct chunk	*ch;
	char		*tmp;
	uint64_t	 from;
	size_t		 n;
	int		 error;

	if (target > h->obj.size)
		target = h->obj.size;
	while (hash_wanted(h) && h->hashed < target) {
		if (h->hashing) {
			if (!must)
				break;
			if ((error = handle_wait(h, abort)) != 0)
				return (error);
			continue;
		}
		from = h->hashed;
		if ((ch = chunk_find(h, from)) != NULL &&
		    ch->state == CH_WAIT) {
			if (!must)
				break;
			if (ch->disk && !ch->claimed)
				chunk_load(h, ch);
			else if ((error = handle_wait(h, abort)) != 0)
				return (error);
			continue;
		}
		h->hashing = true;
		if (ch != NULL && ch->state == CH_READY) {
			/* The chunk stays: only what is hashed is freed. */
			pthread_mutex_unlock(&h->lock);
			digest_md5_update(h->md5, ch->data + (from - ch->off),
			    ch->off + ch->len - from);
			pthread_mutex_lock(&h->lock);
			h->hashed = ch->off + ch->len;
			error = 0;
		} else if (!must) {
			h->hashing = false;
			break;
		} else {
			/*
			 * A small buffer of this thread's, like the one a
			 * FUSE request has: waiting for memory here could
			 * wait on readers that wait on this digest.
			 */
			n = GAP_BUF - from % GAP_BUF;
			if (n > target - from)
				n = target - from;
			pthread_mutex_unlock(&h->lock);
			tmp = xmalloc(n);
			if ((error = read_exact(c, h, tmp, n, from,
			    abort)) == 0)
				digest_md5_update(h->md5, tmp, n);
			free(tmp);
			pthread_mutex_lock(&h->lock);
			if (error == 0)
				h->hashed = from + n;
		}
		h->hashing = false;
		pthread_cond_broadcast(&h->cond);
		if (error != 0)
			return (error);
	}
	return (0);
}

/*
 * Bring the digest up to date after a read of [off, off + len) into p,
 * and judge the object at its end.  Caller holds h->lock.
 */
static int
hash_read(struct cache *c, struct handle *h, const char *p, size_t len,
    uint64_t off, volatile bool *abort)
{
	struct timespec	ts;
	char		md5[MD5_HEX_LEN + 1];
	uint64_t	from;
	int		error;

	if (!hash_wanted(h))
		goto end;
	if (off > h->hashed + HASH_GAP_MAX) {
		log_debug("%s: read at %llu, far past the digest: no md5 "
		    "check on this handle", h->obj.key,
		    (unsigned long long)off);
		h->nohash = true;
		return (0);
	}
	/*
	 * Chunks first; then give a reordered read that is on its way a
	 * moment to fill the gap; then fill it.
	 */
	if ((error = hash_to(c, h, off, false, abort)) != 0)
		return (error);
	if (hash_wanted(h) && h->hashed < off) {
		deadline_in(&ts, GAP_WAIT_MS);
		while (hash_wanted(h) && h->hashed < off &&
		    pthread_cond_timedwait(&h->cond, &h->lock, &ts) == 0)
			;
	}
	if ((error = hash_to(c, h, off, true, abort)) != 0)
		return (error);
	while (hash_wanted(h) && h->hashing && h->hashed < off + len)
		if ((error = handle_wait(h, abort)) != 0)
			return (error);
	if (hash_wanted(h) && h->hashed >= off && h->hashed < off + len) {
		from = h->hashed;
		h->hashing = true;
		pthread_mutex_unlock(&h->lock);
		digest_md5_update(h->md5, p + (from - off), off + len - from);
		pthread_mutex_lock(&h->lock);
		h->hashed = off + len;
		h->hashing = false;
		pthread_cond_broadcast(&h->cond);
	}
	if ((error = hash_to(c, h, h->obj.size, false, abort)) != 0)
		return (error);
end:
	if (off + len < h->obj.size || h->md5 == NULL || h->nohash)
		return (h->verdict < 0 ? -EIO : 0);
	if ((error = hash_to(c, h, h->obj.size, true, abort)) != 0)
		return (error);
	while (h->hashing)
		if ((error = handle_wait(h, abort)) != 0)
			return (error);
	if (h->verdict == 0 && h->hashed == h->obj.size) {
		digest_md5_final(h->md5, md5);
		return (verdict(c, h, md5));
	}
	return (h->verdict < 0 ? -EIO : 0);
}

/*
 * Serve what the disk cache holds of [off, off + len) into p, from the
 * start: the count of bytes.  Whole blocks go straight into p.
 */
static size_t
disk_span(struct cache *c, struct handle *h, char *p, size_t len,
    uint64_t off)
{
	char		*tmp;
	uint64_t	 b, start;
	size_t		 done = 0, blen, n;
	int		 error;

	while (done < len) {
		b = (off + done) / CHUNK;
		start = b * CHUNK;
		blen = h->obj.size - start < CHUNK ? h->obj.size - start : CHUNK;
		n = start + blen - (off + done);
		if (n > len - done)
			n = len - done;
		if (!dcache_has(c->dc, h->id, b))
			break;
		if (n == blen) {
			if (dcache_get(c->dc, h->id, b, p + done, n) != 0)
				break;
		} else {
			if (!budget_try(c->budget, blen))
				break;
			tmp = xmalloc(blen);
			if ((error = dcache_get(c->dc, h->id, b, tmp, blen)) == 0)
				memcpy(p + done, tmp + (off + done - start), n);
			free(tmp);
			budget_give(c->budget, blen);
			if (error != 0)
				break;
		}
		done += n;
	}
	return (done);
}

/* Up to len bytes of the object at off: the count, 0 at the end, -errno. */
ssize_t
cache_read(struct cache *c, struct handle *h, char *p, size_t len,
    uint64_t off, volatile bool *abort)
{
	return (serve(c, h, p, len, off, false, abort));
}

/*
 * The same, but the digest of a read that does not reach the end of the
 * object is left for later: the caller must call cache_digest with the
 * same arguments and the count once it has used the bytes, even on error.
 */
ssize_t
cache_read_early(struct cache *c, struct handle *h, char *p, size_t len,
    uint64_t off, volatile bool *abort)
{
	return (serve(c, h, p, len, off, true, abort));
}

/* Are [off, off + len) hashed, or in chunks kept until they are? */
static bool
in_chunks(struct handle *h, uint64_t off, size_t len)
{
	struct chunk	*ch;
	uint64_t	 at;

	for (at = off > h->hashed ? off : h->hashed; at < off + len;
	    at = ch->off + ch->len)
		if ((ch = chunk_find(h, at)) == NULL || ch->state != CH_READY)
			return (false);
	return (true);
}

/*
 * The digest cache_read_early left; h stays open until it is done.  Bytes
 * held by chunks are hashed by whichever thread gets there first, without
 * waiting; bytes read straight into p are hashed from p, in order.
 */
void
cache_digest(struct cache *c, struct handle *h, const char *p, ssize_t n,
    uint64_t off)
{
	pthread_mutex_lock(&h->lock);
	/* The read that reached the end was judged before its reply. */
	if (n > 0 && off + n < h->obj.size && hash_wanted(h)) {
		if (in_chunks(h, off, n))
			hash_to(c, h, h->obj.size, false, NULL);
		else
			hash_read(c, h, p, n, off, NULL);
	}
	chunk_reclaim(h);
	h->digests--;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
}

static ssize_t
serve(struct cache *c, struct handle *h, char *p, size_t len, uint64_t off,
    bool early, volatile bool *abort)
{
	struct chunk	*ch;
	uint64_t	 ahead;
	size_t		 done = 0, n;
	int		 error = 0;
	bool		 first;

	if (early) {
		pthread_mutex_lock(&h->lock);
		h->digests++;
		pthread_mutex_unlock(&h->lock);
	}
	if (off >= h->obj.size)
		return (0);
	if (len > h->obj.size - off)
		len = h->obj.size - off;
	if (h->obj.md5[0] != '\0' && tree_checked(c->tree, h->ino) < 0)
		return (-EIO);
	if (h->whole != NULL) {
		memcpy(p, h->whole + off, len);
		return (len);
	}

	pthread_mutex_lock(&h->lock);
	first = h->w.next == 0 && h->w.size == 0;
	window_fit(&h->w, window_link_time(&c->link), CHUNK);
	ahead = window_update(&h->w, off, len);
	if (c->remote && ahead > 0)
		prefetch(h, off, ahead);
	/*
	 * A reader that got too far ahead of the digest left for later
	 * brings it up to here first: a fast sequential read must not look
	 * like a jump, which gives up the check.
	 */
	if (early && hash_wanted(h) && off > h->hashed + DIGEST_LAG &&
	    off <= h->hashed + HASH_GAP_MAX &&
	    (error = hash_to(c, h, off, true, abort)) != 0) {
		pthread_mutex_unlock(&h->lock);
		return (error);
	}
	while (done < len && (ch = chunk_find(h, off + done)) != NULL) {
		if (ch->state == CH_WAIT) {
			/* The first bytes do not wait for a whole chunk. */
			if (first && !ch->disk)
				break;
			/* Look again after: the slot may be reused. */
			if (ch->disk && !ch->claimed)
				chunk_load(h, ch);
			else if ((error = handle_wait(h, abort)) != 0)
				break;
			continue;
		}
		if (ch->state == CH_FAILED) {
			error = ch->error;
			break;
		}
		n = ch->off + ch->len - (off + done);
		if (n > len - done)
			n = len - done;
		memcpy(p + done, ch->data + (off + done - ch->off), n);
		done += n;
	}
	pthread_mutex_unlock(&h->lock);
	/* Random, or no memory for read-ahead: the disk cache, or storage. */
	if (error == 0 && done < len && h->id[0] != '\0')
		done += disk_span(c, h, p + done, len - done, off + done);
	if (error == 0 && done < len)
		error = read_exact(c, h, p + done, len - done, off + done,
		    abort);
	pthread_mutex_lock(&h->lock);
	if (error == 0 && h->md5 != NULL &&
	    (!early || off + len == h->obj.size))
		error = hash_read(c, h, p, len, off, abort);
	chunk_reclaim(h);
	pthread_mutex_unlock(&h->lock);
	return (error != 0 ? error : (ssize_t)len);
}
