/* Unit tests for lru.c: the disk cache's index and its evictions. */

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "snapfs.h"

static char	evicted[16][32];
static int	nevicted;

static void
record(void *arg, const char *name)
{
	cr_assert_lt(nevicted, 16);
	snprintf(evicted[nevicted++], sizeof evicted[0], "%s", name);
}

Test(lru, totals_follow_touches_and_removals)
{
	struct lru	*l = lru_create();

	lru_touch(l, "a", 100, 1);
	lru_touch(l, "b", 50, 2);
	cr_assert_eq(lru_total(l), 150);
	lru_touch(l, "a", 70, 3);		/* rewritten smaller */
	cr_assert_eq(lru_total(l), 120);
	cr_assert_eq(lru_count(l), 2);
	cr_assert(lru_has(l, "b"));
	cr_assert_eq(lru_remove(l, "b"), 50);
	cr_assert(!lru_has(l, "b"));
	cr_assert_eq(lru_remove(l, "b"), 0);
	cr_assert_eq(lru_total(l), 70);
	lru_free(l);
}

Test(lru, evicts_least_recently_used_first_down_to_the_target)
{
	struct lru	*l = lru_create();

	nevicted = 0;
	lru_touch(l, "old", 10, 100);
	lru_touch(l, "mid", 10, 200);
	lru_touch(l, "new", 10, 300);
	lru_touch(l, "old", 10, 400);		/* used again: now newest */
	cr_assert_eq(lru_evict(l, 30, record, NULL), 0, "under the cap");
	cr_assert_eq(lru_evict(l, 15, record, NULL), 2);
	cr_assert_str_eq(evicted[0], "mid");
	cr_assert_str_eq(evicted[1], "new");
	cr_assert(lru_has(l, "old"));
	cr_assert_eq(lru_total(l), 10);
	cr_assert_eq(lru_evict(l, 0, record, NULL), 1);
	cr_assert_eq(lru_count(l), 0);
	lru_free(l);
}

Test(lru, an_older_stamp_never_makes_an_entry_older)
{
	struct lru	*l = lru_create();

	nevicted = 0;
	lru_touch(l, "a", 10, 500);
	lru_touch(l, "b", 10, 400);
	lru_touch(l, "a", 10, 100);		/* a file time from a scan */
	lru_evict(l, 10, record, NULL);
	cr_assert_str_eq(evicted[0], "b");
	lru_free(l);
}
