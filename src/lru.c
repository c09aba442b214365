/*
 * The disk cache's index: names with their sizes and when each was last
 * used, and the total.  Evicting takes the least recently used names until
 * the total is under a target.  Stamps come from the caller (file times at
 * start, the clock after), so the order survives a remount.  Entries sit
 * on a queue in (stamp, name) order, oldest at the head, and a hash table
 * finds them by name: an eviction is O(1) per name evicted, a touch O(1)
 * when its stamp is the newest (the caller feeds the start-up scan sorted).
 */

#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include "snapfs.h"

#define LRU_SLOTS_MIN	16		/* a power of two */

struct lru_entry {
	TAILQ_ENTRY(lru_entry)	 link;
	uint64_t		 hash;
	uint64_t		 size;
	int64_t			 stamp;
	char			 name[];
};
TAILQ_HEAD(lru_queue, lru_entry);

struct lru {
	struct lru_queue	  queue;	/* oldest first */
	struct lru_entry	**slots;	/* open addressing, by name */
	size_t			  nslots;	/* a power of two */
	size_t			  n;
	uint64_t		  total;
};

static uint64_t
lru_hash(const char *name)
{
	return (digest_fnv(FNV_BASIS, name, strlen(name)));
}

/* Queue order: by stamp, then by name (names are unique). */
static int
lru_cmp(const struct lru_entry *x, const struct lru_entry *y)
{
	if (x->stamp != y->stamp)
		return (x->stamp < y->stamp ? -1 : 1);
	return (strcmp(x->name, y->name));
}

/* The slot holding name, or the empty slot where it would go. */
static size_t
lru_slot(const struct lru *l, const char *name, uint64_t hash)
{
	size_t			 mask = l->nslots - 1, i;
	struct lru_entry	*e;

	for (i = hash & mask; (e = l->slots[i]) != NULL; i = (i + 1) & mask) {
		if (e->hash == hash && strcmp(e->name, name) == 0)
			break;
	}
	return (i);
}

static struct lru_entry *
lru_find(const struct lru *l, const char *name)
{
	return (l->slots[lru_slot(l, name, lru_hash(name))]);
}

/* Move every entry to a table of nslots slots. */
static void
lru_rehash(struct lru *l, size_t nslots)
{
	struct lru_entry	*e;
	size_t			 mask = nslots - 1, i;

	free(l->slots);
	l->slots = xcalloc(nslots, sizeof *l->slots);
	l->nslots = nslots;
	TAILQ_FOREACH(e, &l->queue, link) {
		i = e->hash & mask;
		while (l->slots[i] != NULL)
			i = (i + 1) & mask;
		l->slots[i] = e;
	}
}

/*
 * Empty slot i and shift back the entries after it that would no longer be
 * found past the hole, so lookups never need tombstones.
 */
static void
lru_unslot(struct lru *l, size_t i)
{
	size_t	mask = l->nslots - 1, j = i, home;

	for (;;) {
		j = (j + 1) & mask;
		if (l->slots[j] == NULL)
			break;
		home = l->slots[j]->hash & mask;
		/* Movable if the hole lies between its home and j. */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			l->slots[i] = l->slots[j];
			i = j;
		}
	}
	l->slots[i] = NULL;
}

/* Put e in the queue in order, looking back from the newest. */
static void
lru_place(struct lru *l, struct lru_entry *e)
{
	struct lru_entry	*p;

	p = TAILQ_LAST(&l->queue, lru_queue);
	while (p != NULL && lru_cmp(p, e) > 0)
		p = TAILQ_PREV(p, lru_queue, link);
	if (p == NULL)
		TAILQ_INSERT_HEAD(&l->queue, e, link);
	else
		TAILQ_INSERT_AFTER(&l->queue, p, e, link);
}

/* Take e out of the queue, the table and the totals, without freeing it. */
static void
lru_unlink(struct lru *l, struct lru_entry *e)
{
	TAILQ_REMOVE(&l->queue, e, link);
	lru_unslot(l, lru_slot(l, e->name, e->hash));
	l->total -= e->size;
	l->n--;
	/* Shrink when an eighth full, so a table that emptied gives back. */
	if (l->nslots > LRU_SLOTS_MIN && l->n < l->nslots / 8)
		lru_rehash(l, l->nslots / 2);
}

struct lru *
lru_create(void)
{
	struct lru	*l;

	l = xcalloc(1, sizeof *l);
	TAILQ_INIT(&l->queue);
	l->slots = xcalloc(LRU_SLOTS_MIN, sizeof *l->slots);
	l->nslots = LRU_SLOTS_MIN;
	return (l);
}

void
lru_free(struct lru *l)
{
	struct lru_entry	*e;

	if (l == NULL)
		return;
	while ((e = TAILQ_FIRST(&l->queue)) != NULL) {
		TAILQ_REMOVE(&l->queue, e, link);
		free(e);
	}
	free(l->slots);
	free(l);
}

uint64_t
lru_total(const struct lru *l)
{
	return (l->total);
}

size_t
lru_count(const struct lru *l)
{
	return (l->n);
}

/*
 * Record name with its size as used at stamp (added if new).  A stamp older
 * than the entry's own is ignored: the entry keeps its place.
 */
void
lru_touch(struct lru *l, const char *name, uint64_t size, int64_t stamp)
{
	struct lru_entry	*e;
	uint64_t		 hash;
	size_t			 i, len;

	hash = lru_hash(name);
	i = lru_slot(l, name, hash);
	if ((e = l->slots[i]) != NULL) {
		l->total -= e->size;
		e->size = size;
		l->total += size;
		if (stamp > e->stamp) {
			TAILQ_REMOVE(&l->queue, e, link);
			e->stamp = stamp;
			lru_place(l, e);
		}
		return;
	}

	len = strlen(name);
	e = xmalloc(sizeof *e + len + 1);
	memcpy(e->name, name, len + 1);
	e->hash = hash;
	e->size = size;
	e->stamp = stamp > 0 ? stamp : 0;	/* below 0 counts as 0 */
	l->slots[i] = e;
	l->n++;
	l->total += size;
	lru_place(l, e);
	if (l->n > l->nslots / 2)
		lru_rehash(l, l->nslots * 2);
}

bool
lru_has(struct lru *l, const char *name)
{
	return (lru_find(l, name) != NULL);
}

/* Forget name; its size if it was there, else 0. */
uint64_t
lru_remove(struct lru *l, const char *name)
{
	struct lru_entry	*e;
	uint64_t		 size;

	if ((e = lru_find(l, name)) == NULL)
		return (0);
	size = e->size;
	lru_unlink(l, e);
	free(e);
	return (size);
}

/*
 * Evict the least recently used names until the total is at most target:
 * cb(arg, name) removes each one's file.  The name is already out of the
 * index when cb sees it.  Caller serializes calls.  The count evicted.
 */
size_t
lru_evict(struct lru *l, uint64_t target, void (*cb)(void *, const char *),
    void *arg)
{
	struct lru_entry	*e;
	size_t			 done = 0;

	while (l->total > target && (e = TAILQ_FIRST(&l->queue)) != NULL) {
		lru_unlink(l, e);
		cb(arg, e->name);
		free(e);
		done++;
	}
	return (done);
}
