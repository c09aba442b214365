/*
 * Warming ahead of a walk: a walk that opens files one after another in
 * listing order (rsync, cp -r, tar) has the next WARM_FILES small files of
 * its snapshot, across folders, fetched whole and in parallel before they
 * are opened; cache_open takes a warmed copy instead of fetching.  A file
 * counts as the walk's next when the file opened before it named it so.
 * Warmed copies take only spare memory from the budget and are dropped as
 * soon as the walk has passed them.
 */

#include <pthread.h>
#include <stdlib.h>

#include "snapfs.h"

#define WARM_FILES	32		/* files warmed ahead of a walk */
#define WARM_SLOTS	64
#define WARM_SIZE_MAX	SMALL_OBJECT_MAX

enum {
	WARM_WAIT,			/* in flight */
	WARM_READY,
	WARM_FAILED
};

/* A small file fetched whole before it is opened. */
struct warm {
	struct cache_warm *cw;
	uint64_t	 ino;
	char		*data;
	size_t		 size;		/* the listed size */
	ssize_t		 got;		/* bytes, or -errno */
	int		 state;
	bool		 orphan;	/* dropped while in flight */
};

struct cache_warm {
	struct broker	*broker;
	struct tree	*tree;
	struct budget	*budget;
	pthread_mutex_t	 lock;		/* the fields below */
	pthread_cond_t	 cond;
	struct warm	*slots[WARM_SLOTS];
	uint64_t	 expect;	/* the file a walk opens next */
};

struct cache_warm *
cache_warm_create(struct broker *broker, struct tree *tree,
    struct budget *budget)
{
	struct cache_warm	*cw;

	cw = xcalloc(1, sizeof *cw);
	cw->broker = broker;
	cw->tree = tree;
	cw->budget = budget;
	pthread_mutex_init(&cw->lock, NULL);
	pthread_cond_init(&cw->cond, NULL);
	return (cw);
}

/* Drop slot i; one in flight is freed by its fetch.  Caller holds lock. */
static void
warm_drop(struct cache_warm *cw, int i)
{
	struct warm	*w = cw->slots[i];

	cw->slots[i] = NULL;
	if (w->state == WARM_WAIT) {
		w->orphan = true;
		return;
	}
	budget_give(cw->budget, w->size + 1);
	free(w->data);
	free(w);
}

void
cache_warm_free(struct cache_warm *cw)
{
	int	i;

	if (cw == NULL)
		return;
	pthread_mutex_lock(&cw->lock);
	for (i = 0; i < WARM_SLOTS; i++) {
		if (cw->slots[i] == NULL)
			continue;
		while (cw->slots[i]->state == WARM_WAIT)
			pthread_cond_wait(&cw->cond, &cw->lock);
		warm_drop(cw, i);
	}
	pthread_mutex_unlock(&cw->lock);
	pthread_cond_destroy(&cw->cond);
	pthread_mutex_destroy(&cw->lock);
	free(cw);
}

/*
 * A warmed copy of file ino, size bytes (size + 1 allocated and taken
 * from the budget, which the caller gives back), or NULL.
 */
char *
cache_warm_take(struct cache_warm *cw, uint64_t ino, size_t size)
{
	struct warm	*w;
	char		*data = NULL;
	int		 i;

	pthread_mutex_lock(&cw->lock);
	for (;;) {
		for (i = 0; i < WARM_SLOTS; i++)
			if ((w = cw->slots[i]) != NULL && w->ino == ino)
				break;
		if (i == WARM_SLOTS)
			break;
		if (w->state == WARM_WAIT) {
			/* Look again after: it may have been dropped. */
			pthread_cond_wait(&cw->cond, &cw->lock);
			continue;
		}
		cw->slots[i] = NULL;
		if (w->state == WARM_READY && w->size == size &&
		    w->got == (ssize_t)size) {
			data = w->data;	/* its budget goes with it */
			stats_add(STAT_WARM_HITS, 1);
		} else {
			budget_give(cw->budget, w->size + 1);
			free(w->data);
		}
		free(w);
		break;
	}
	pthread_mutex_unlock(&cw->lock);
	return (data);
}

static void
warm_done(void *arg, ssize_t n)
{
	struct warm		*w = arg;
	struct cache_warm	*cw = w->cw;

	pthread_mutex_lock(&cw->lock);
	w->got = n;
	w->state = n >= 0 ? WARM_READY : WARM_FAILED;
	if (w->orphan) {
		budget_give(cw->budget, w->size + 1);
		free(w->data);
		free(w);
	}
	pthread_cond_broadcast(&cw->cond);
	pthread_mutex_unlock(&cw->lock);
}

/* Is there nothing to fetch for file obj: too big, or on disk already? */
static bool
warm_skip(const struct tree_object *obj, struct dcache *dc)
{
	char	id[SHA256_HEX_LEN + 1];

	if (obj->size == 0 || obj->size > WARM_SIZE_MAX)
		return (true);
	if (dc == NULL || obj->md5[0] == '\0')
		return (false);
	dcache_id(obj->key, obj->md5, id);
	return (dcache_has(dc, id, 0));
}

/*
 * File ino is being opened: if a walk opened the file before it last,
 * fetch the next small files whole (but those dc holds), as far as memory
 * allows.
 */
void
cache_warm_ahead(struct cache_warm *cw, uint64_t ino, struct dcache *dc)
{
	struct tree_object	 obj;
	struct warm		*w;
	uint64_t		 next[WARM_FILES];
	size_t			 n, k;
	int			 i, free_slot;
	bool			 walk;

	n = tree_next_files(cw->tree, ino, next, WARM_FILES);
	pthread_mutex_lock(&cw->lock);
	walk = cw->expect == ino;
	cw->expect = n > 0 ? next[0] : 0;
	/* What the walk has passed will not be opened by it now. */
	for (i = 0; i < WARM_SLOTS; i++) {
		if (cw->slots[i] == NULL || cw->slots[i]->ino == ino)
			continue;
		for (k = 0; k < n && next[k] != cw->slots[i]->ino; k++)
			;
		if (k == n)
			warm_drop(cw, i);
	}
	pthread_mutex_unlock(&cw->lock);
	if (!walk)
		return;
	for (k = 0; k < n; k++) {
		if (tree_checked(cw->tree, next[k]) < 0 ||
		    tree_object(cw->tree, next[k], &obj) != 0)
			continue;
		if (warm_skip(&obj, dc)) {
			free(obj.key);
			continue;
		}
		pthread_mutex_lock(&cw->lock);
		free_slot = -1;
		for (i = 0; i < WARM_SLOTS; i++) {
			if (cw->slots[i] == NULL)
				free_slot = i;
			else if (cw->slots[i]->ino == next[k])
				break;
		}
		if (i < WARM_SLOTS || free_slot < 0 ||
		    !budget_try_spare(cw->budget, obj.size + 1)) {
			pthread_mutex_unlock(&cw->lock);
			free(obj.key);
			if (i < WARM_SLOTS)
				continue;
			break;
		}
		w = xcalloc(1, sizeof *w);
		w->cw = cw;
		w->ino = next[k];
		w->size = obj.size;
		w->data = xmalloc(obj.size + 1);
		w->state = WARM_WAIT;
		cw->slots[free_slot] = w;
		pthread_mutex_unlock(&cw->lock);
		/* One byte more than listed shows an object that grew. */
		broker_fetch(cw->broker, obj.key, w->data, obj.size + 1, 0,
		    NULL, warm_done, w);
		free(obj.key);
	}
}
