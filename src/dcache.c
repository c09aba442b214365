/*
 * The disk cache (-o cache_dir=,cache_size=): blocks of immutable objects,
 * zstd-compressed, kept across remounts.  The only file that includes
 * zstd.h.
 *
 * Only objects named after their md5 are cached: the key and the md5 name
 * the contents for ever, so an entry never needs revalidating.  Objects
 * without one are not cached.  An entry is sha256(key NUL md5) in hex; its
 * block i (bytes [i * DCACHE_BLOCK, ...) of the object) is the file
 * DIR/<first two hex>/<hex>.<i>: a header (magic, block number, lengths,
 * the entry's id) and one zstd frame with its content size and checksum.
 * A block is checked whole on every read: a bad header, a frame that does
 * not decode or whose checksum fails is a miss (and the file goes), never
 * wrong bytes.  <hex>.ok records that the object once passed its md5
 * check, so a remount need not hash it again; it takes its turn on the
 * eviction queue like a block of no size, and goes with the first of its
 * blocks evicted.
 *
 * Blocks are written by one writer thread, from the chunks the read path
 * is done with (their memory comes with them, and goes back to the budget
 * once written); when the writer is behind, blocks are dropped rather than
 * queued.  Past cache_size the least recently used blocks go (lru.c); a
 * hit updates the file's time (to the minute), so the order survives a
 * remount.
 */

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "snapfs.h"

#define MAGIC		"snapfsC2"
#define MAGIC_1MIB	"snapfsC1"	/* of 1 MiB blocks: not ours, not damaged */
#define QUEUE_MAX	64		/* blocks waiting to be written */
#define ZSTD_LEVEL	1

struct header {
	char		magic[8];
	uint64_t	block;
	uint32_t	rawlen;
	uint32_t	zlen;
	char		id[16];		/* the entry's first hex digits */
};

struct pending {
	struct pending	*next;
	char		 id[SHA256_HEX_LEN + 1];
	uint64_t	 block;
	char		*data;
	size_t		 len;
};

struct dcache {
	char		*dir;
	int		 dirfd;
	uint64_t	 max;
	struct budget	*budget;
	pthread_mutex_t	 lock;		/* the fields below */
	pthread_cond_t	 cond;
	struct lru	*lru;
	struct pending	*queue, *tail;
	size_t		 nqueue;
	bool		 quit;
	bool		 started;	/* the writer */
	pthread_t	 writer;
};

/* The entry of an object: hex of sha256(key NUL md5). */
void
dcache_id(const char *key, const char *md5, char id[SHA256_HEX_LEN + 1])
{
	struct buf	b;

	buf_init(&b, SIZE_MAX);
	buf_add(&b, key, strlen(key) + 1);
	buf_add(&b, md5, strlen(md5));
	digest_sha256_hex(b.data, b.len, id);
	buf_free(&b);
}

/* "ab/<id>.<block>" or "ab/<id>.ok", relative to the cache folder. */
static void
block_name(char *name, size_t size, const char *id, uint64_t block)
{
	if (block == UINT64_MAX)
		snprintf(name, size, "%.2s/%s.ok", id, id);
	else
		snprintf(name, size, "%.2s/%s.%llu", id, id,
		    (unsigned long long)block);
}

/*
 * Evict one file (lru.c calls it with the lock held).  A block takes its
 * object's mark along: a mark is worth keeping only beside its blocks.
 */
static void
evict_one(void *arg, const char *name)
{
	struct dcache	*dc = arg;
	const char	*dot;
	char		 ok[SHA256_HEX_LEN + 32];

	unlinkat(dc->dirfd, name, 0);
	if ((dot = strrchr(name, '.')) == NULL || strcmp(dot, ".ok") == 0)
		return;
	snprintf(ok, sizeof ok, "%.*s.ok", (int)(dot - name), name);
	if (lru_has(dc->lru, ok)) {
		unlinkat(dc->dirfd, ok, 0);
		lru_remove(dc->lru, ok);
	}
}

/* Write one block; the size it takes on disk, or 0. */
static uint64_t
block_write(struct dcache *dc, ZSTD_CCtx *z, struct pending *p)
{
	struct header	*hd;
	char		 name[SHA256_HEX_LEN + 32], dirname[3];
	char		*out;
	size_t		 bound, zlen;
	int		 error;

	bound = ZSTD_compressBound(p->len);
	out = xmalloc(sizeof *hd + bound);
	zlen = ZSTD_compress2(z, out + sizeof *hd, bound, p->data, p->len);
	if (ZSTD_isError(zlen)) {
		log_warn("cache: zstd: %s", ZSTD_getErrorName(zlen));
		free(out);
		return (0);
	}
	hd = (struct header *)out;
	memset(hd, 0, sizeof *hd);
	memcpy(hd->magic, MAGIC, sizeof hd->magic);
	hd->block = p->block;
	hd->rawlen = p->len;
	hd->zlen = zlen;
	memcpy(hd->id, p->id, sizeof hd->id);
	snprintf(dirname, sizeof dirname, "%.2s", p->id);
	if (mkdirat(dc->dirfd, dirname, 0700) == -1 && errno != EEXIST) {
		free(out);
		return (0);
	}
	block_name(name, sizeof name, p->id, p->block);
	/* No fsync: a block torn by a crash fails its check. */
	error = file_replace(dc->dirfd, name, out, sizeof *hd + zlen, 0600,
	    false);
	free(out);
	if (error != 0) {
		log_debug("cache: %s: %s", name, strerror(-error));
		return (0);
	}
	return (sizeof *hd + zlen);
}

static void *
writer(void *arg)
{
	struct dcache	*dc = arg;
	struct pending	*p;
	ZSTD_CCtx	*z;
	char		 name[SHA256_HEX_LEN + 32];
	uint64_t	 size;

	if ((z = ZSTD_createCCtx()) == NULL)
		fatalx("ZSTD_createCCtx");
	ZSTD_CCtx_setParameter(z, ZSTD_c_compressionLevel, ZSTD_LEVEL);
	ZSTD_CCtx_setParameter(z, ZSTD_c_checksumFlag, 1);
	ZSTD_CCtx_setParameter(z, ZSTD_c_contentSizeFlag, 1);
	pthread_mutex_lock(&dc->lock);
	for (;;) {
		while (dc->queue == NULL && !dc->quit)
			pthread_cond_wait(&dc->cond, &dc->lock);
		if ((p = dc->queue) == NULL)
			break;
		if ((dc->queue = p->next) == NULL)
			dc->tail = NULL;
		dc->nqueue--;
		pthread_mutex_unlock(&dc->lock);
		size = dc->quit ? 0 : block_write(dc, z, p);
		budget_give(dc->budget, p->len);
		free(p->data);
		pthread_mutex_lock(&dc->lock);
		if (size != 0) {
			block_name(name, sizeof name, p->id, p->block);
			lru_touch(dc->lru, name, size, realtime_ns());
			lru_evict(dc->lru, dc->max, evict_one, dc);
		}
		free(p);
	}
	pthread_mutex_unlock(&dc->lock);
	ZSTD_freeCCtx(z);
	return (NULL);
}

struct scanned {
	char		*name;
	uint64_t	 size;
	int64_t		 stamp;
};

/* Oldest first, as lru.c orders them (by time, then by name). */
static int
scanned_cmp(const void *a, const void *b)
{
	const struct scanned	*x = a, *y = b;

	if (x->stamp != y->stamp)
		return (x->stamp < y->stamp ? -1 : 1);
	return (strcmp(x->name, y->name));
}

/*
 * Index what an earlier mount left: every block file, by its time.  The
 * files are sorted once, oldest first, so each goes in at the index's end.
 */
static void
scan(struct dcache *dc)
{
	struct dirent	*d, *f;
	struct stat	 st;
	struct scanned	*all = NULL, *s;
	DIR		*top, *sub;
	char		 name[300];
	size_t		 i, n = 0, nalloc = 0;
	int		 fd;

	if ((fd = dup(dc->dirfd)) == -1 || (top = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return;
	}
	while ((d = readdir(top)) != NULL) {
		if (strlen(d->d_name) != 2 || d->d_name[0] == '.')
			continue;
		if ((fd = openat(dc->dirfd, d->d_name, O_RDONLY |
		    O_DIRECTORY | O_CLOEXEC)) == -1)
			continue;
		if ((sub = fdopendir(fd)) == NULL) {
			close(fd);
			continue;
		}
		while ((f = readdir(sub)) != NULL) {
			if (f->d_name[0] == '.')
				continue;
			if (fstatat(dirfd(sub), f->d_name, &st, 0) == -1 ||
			    !S_ISREG(st.st_mode))
				continue;
			snprintf(name, sizeof name, "%s/%s", d->d_name,
			    f->d_name);
			if (strchr(f->d_name, '.') == NULL ||
			    strstr(f->d_name, ".tmp") != NULL) {
				unlinkat(dc->dirfd, name, 0);	/* leftover */
				continue;
			}
			if (n == nalloc) {
				nalloc = nalloc == 0 ? 1024 : nalloc * 2;
				all = xreallocarray(all, nalloc, sizeof *all);
			}
			s = &all[n++];
			s->name = xstrdup(name);
			s->size = st.st_size;
			s->stamp = (int64_t)st.st_mtim.tv_sec * 1000000000 +
			    st.st_mtim.tv_nsec;
		}
		closedir(sub);
	}
	closedir(top);

	if (n != 0)
		qsort(all, n, sizeof *all, scanned_cmp);
	for (i = 0; i < n; i++) {
		lru_touch(dc->lru, all[i].name, all[i].size, all[i].stamp);
		free(all[i].name);
	}
	free(all);
}

int
dcache_open(const char *dir, uint64_t max, struct budget *budget,
    struct dcache **dcp, char **cause)
{
	struct dcache	*dc;
	int		 fd;

	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		xasprintf(cause, "%s: %s", dir, strerror(errno));
		return (-errno);
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		xasprintf(cause, "%s: %s", dir, strerror(errno));
		return (-errno);
	}
	dc = xcalloc(1, sizeof *dc);
	dc->dir = xstrdup(dir);
	dc->dirfd = fd;
	dc->max = max;
	dc->budget = budget;
	dc->lru = lru_create();
	pthread_mutex_init(&dc->lock, NULL);
	pthread_cond_init(&dc->cond, NULL);
	scan(dc);
	lru_evict(dc->lru, dc->max, evict_one, dc);
	*dcp = dc;
	return (0);
}

void
dcache_close(struct dcache *dc)
{
	if (dc == NULL)
		return;
	pthread_mutex_lock(&dc->lock);
	dc->quit = true;
	pthread_cond_signal(&dc->cond);
	pthread_mutex_unlock(&dc->lock);
	if (dc->started)
		pthread_join(dc->writer, NULL);
	lru_free(dc->lru);
	pthread_cond_destroy(&dc->cond);
	pthread_mutex_destroy(&dc->lock);
	close(dc->dirfd);
	free(dc->dir);
	free(dc);
}

/* Forget a block that is bad or gone. */
static void
block_drop(struct dcache *dc, const char *name)
{
	unlinkat(dc->dirfd, name, 0);
	pthread_mutex_lock(&dc->lock);
	lru_remove(dc->lru, name);
	pthread_mutex_unlock(&dc->lock);
}

/*
 * Block `block` of entry id into p, exactly len bytes: 0, or -1 on a miss
 * (absent, or failing a check, which also removes it).
 */
int
dcache_get(struct dcache *dc, const char *id, uint64_t block, void *p,
    size_t len)
{
	struct header	 hd;
	struct stat	 st;
	struct timespec	 now;
	char		 name[SHA256_HEX_LEN + 32], *z = NULL;
	size_t		 n;
	ssize_t		 r;
	int		 fd;
	bool		 older = false;

	block_name(name, sizeof name, id, block);
	if ((fd = openat(dc->dirfd, name, O_RDONLY | O_CLOEXEC)) == -1) {
		stats_add(STAT_CACHE_MISSES, 1);
		pthread_mutex_lock(&dc->lock);
		lru_remove(dc->lru, name);	/* removed behind our back */
		pthread_mutex_unlock(&dc->lock);
		return (-1);
	}
	if (fstat(fd, &st) == -1 || (size_t)st.st_size < sizeof hd)
		goto bad;
	n = st.st_size;
	z = xmalloc(n);
	for (size_t got = 0; got < n; got += r)
		if ((r = pread(fd, z + got, n - got, got)) <= 0)
			goto bad;
	memcpy(&hd, z, sizeof hd);
	if ((older = memcmp(hd.magic, MAGIC_1MIB, sizeof hd.magic) == 0))
		goto bad;
	if (memcmp(hd.magic, MAGIC, sizeof hd.magic) != 0 ||
	    hd.block != block || hd.rawlen != len ||
	    hd.zlen != n - sizeof hd || memcmp(hd.id, id, sizeof hd.id) != 0)
		goto bad;
	if (ZSTD_getFrameContentSize(z + sizeof hd, hd.zlen) != len)
		goto bad;
	/* The frame's checksum is checked as it is decoded. */
	r = ZSTD_decompress(p, len, z + sizeof hd, hd.zlen);
	if (ZSTD_isError(r) || (size_t)r != len)
		goto bad;
	free(z);
	/* The time orders eviction across remounts: a minute is close enough. */
	clock_gettime(CLOCK_REALTIME, &now);
	if (now.tv_sec - st.st_mtim.tv_sec > 60)
		futimens(fd, NULL);
	close(fd);
	pthread_mutex_lock(&dc->lock);
	lru_touch(dc->lru, name, n, realtime_ns());
	pthread_mutex_unlock(&dc->lock);
	stats_add(STAT_CACHE_HITS, 1);
	stats_add(STAT_CACHE_BYTES, len);
	return (0);
bad:
	if (!older)
		log_warn("cache: %s/%s is damaged: dropped", dc->dir, name);
	free(z);
	close(fd);
	block_drop(dc, name);
	stats_add(STAT_CACHE_MISSES, 1);
	return (-1);
}

/*
 * Store block `block` of entry id, later, from data (len bytes, taken
 * from the budget): dcache owns data from here and gives its memory back.
 */
void
dcache_put(struct dcache *dc, const char *id, uint64_t block, char *data,
    size_t len)
{
	struct pending	*p;

	pthread_mutex_lock(&dc->lock);
	if (dc->nqueue >= QUEUE_MAX || dc->quit) {
		pthread_mutex_unlock(&dc->lock);
		budget_give(dc->budget, len);
		free(data);
		return;
	}
	p = xcalloc(1, sizeof *p);
	memcpy(p->id, id, sizeof p->id);
	p->block = block;
	p->data = data;
	p->len = len;
	if (dc->tail != NULL)
		dc->tail->next = p;
	else
		dc->queue = p;
	dc->tail = p;
	dc->nqueue++;
	/* Started at the first block, in the daemon (after its fork). */
	if (!dc->started) {
		if (pthread_create(&dc->writer, NULL, writer, dc) != 0)
			fatalx("pthread_create");
		dc->started = true;
	}
	pthread_cond_signal(&dc->cond);
	pthread_mutex_unlock(&dc->lock);
}

/* Is block `block` of entry id in the cache (as far as the index knows)? */
bool
dcache_has(struct dcache *dc, const char *id, uint64_t block)
{
	char	name[SHA256_HEX_LEN + 32];
	bool	has;

	block_name(name, sizeof name, id, block);
	pthread_mutex_lock(&dc->lock);
	has = lru_has(dc->lru, name);
	pthread_mutex_unlock(&dc->lock);
	if (!has)
		stats_add(STAT_CACHE_MISSES, 1);
	return (has);
}

/* Has the object of entry id passed its md5 check before? */
bool
dcache_good(struct dcache *dc, const char *id)
{
	char	name[SHA256_HEX_LEN + 32];

	block_name(name, sizeof name, id, UINT64_MAX);
	return (faccessat(dc->dirfd, name, F_OK, 0) == 0);
}

/*
 * The object of entry id (size bytes) passed its md5 check, or failed
 * it: a failed one loses every block.
 */
void
dcache_verdict(struct dcache *dc, const char *id, uint64_t size, bool good)
{
	char		name[SHA256_HEX_LEN + 32], dirname[3];
	uint64_t	b;

	if (good) {
		snprintf(dirname, sizeof dirname, "%.2s", id);
		if (mkdirat(dc->dirfd, dirname, 0700) == -1 &&
		    errno != EEXIST)
			return;
		block_name(name, sizeof name, id, UINT64_MAX);
		if (file_replace(dc->dirfd, name, "", 0, 0600, false) != 0)
			return;
		/* On the queue, so that it goes in its turn with the blocks. */
		pthread_mutex_lock(&dc->lock);
		lru_touch(dc->lru, name, 0, realtime_ns());
		pthread_mutex_unlock(&dc->lock);
		return;
	}
	for (b = 0; b * DCACHE_BLOCK < size || b == 0; b++) {
		block_name(name, sizeof name, id, b);
		block_drop(dc, name);
	}
	block_name(name, sizeof name, id, UINT64_MAX);
	block_drop(dc, name);
}
