/*
 * The disk cache's index: names with their sizes and when each was last
 * used, and the total.  Evicting takes the least recently used names until
 * the total is under a target.  Stamps come from the caller (file times at
 * start, the clock after), so the order survives a remount.
 */

#include <search.h>
#include <stdlib.h>
#include <string.h>

#include "snapfs.h"

struct lru_entry {
	char		*name;
	uint64_t	 size;
	int64_t		 stamp;
};

struct lru {
	void		*root;		/* tsearch tree of entries */
	size_t		 n;
	uint64_t	 total;
};

static int
entry_cmp(const void *a, const void *b)
{
	return (strcmp(((const struct lru_entry *)a)->name,
	    ((const struct lru_entry *)b)->name));
}

struct lru *
lru_create(void)
{
	return (xcalloc(1, sizeof(struct lru)));
}

static void
entry_free(void *p)
{
	struct lru_entry	*e = p;

	free(e->name);
	free(e);
}

void
lru_free(struct lru *l)
{
	if (l == NULL)
		return;
	tdestroy(l->root, entry_free);
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

/* Record name with its size as used at stamp (added if new). */
void
lru_touch(struct lru *l, const char *name, uint64_t size, int64_t stamp)
{
	struct lru_entry	 key, *e, **found;

	key.name = (char *)name;
	if ((found = tfind(&key, &l->root, entry_cmp)) != NULL) {
		e = *found;
		l->total -= e->size;
	} else {
		e = xcalloc(1, sizeof *e);
		e->name = xstrdup(name);
		if (tsearch(e, &l->root, entry_cmp) == NULL)
			fatalx("tsearch");
		l->n++;
	}
	e->size = size;
	if (stamp > e->stamp)
		e->stamp = stamp;
	l->total += size;
}

bool
lru_has(struct lru *l, const char *name)
{
	struct lru_entry	key;

	key.name = (char *)name;
	return (tfind(&key, &l->root, entry_cmp) != NULL);
}

/* Forget name; its size if it was there, else 0. */
uint64_t
lru_remove(struct lru *l, const char *name)
{
	struct lru_entry	 key, *e, **found;
	uint64_t		 size;

	key.name = (char *)name;
	if ((found = tfind(&key, &l->root, entry_cmp)) == NULL)
		return (0);
	e = *found;
	tdelete(&key, &l->root, entry_cmp);
	size = e->size;
	l->total -= size;
	l->n--;
	entry_free(e);
	return (size);
}

static struct lru_entry	**walk_out;
static size_t		  walk_n;

static void
walk_collect(const void *node, VISIT v, int depth)
{
	if (v == postorder || v == leaf)
		walk_out[walk_n++] = *(struct lru_entry *const *)node;
}

static int
stamp_cmp(const void *a, const void *b)
{
	const struct lru_entry	*x = *(struct lru_entry *const *)a;
	const struct lru_entry	*y = *(struct lru_entry *const *)b;

	if (x->stamp != y->stamp)
		return (x->stamp < y->stamp ? -1 : 1);
	return (strcmp(x->name, y->name));
}

/*
 * Evict the least recently used names until the total is at most target:
 * cb(arg, name) removes each one's file.  Caller serializes calls (twalk
 * has no argument, so the walk uses statics).  The count evicted.
 */
size_t
lru_evict(struct lru *l, uint64_t target, void (*cb)(void *, const char *),
    void *arg)
{
	struct lru_entry	**all;
	size_t			  i, n, done = 0;

	if (l->total <= target)
		return (0);
	all = xreallocarray(NULL, l->n + 1, sizeof *all);
	walk_out = all;
	walk_n = 0;
	twalk(l->root, walk_collect);
	n = walk_n;
	qsort(all, n, sizeof *all, stamp_cmp);
	for (i = 0; i < n && l->total > target; i++) {
		cb(arg, all[i]->name);
		lru_remove(l, all[i]->name);
		done++;
	}
	free(all);
	return (done);
}
