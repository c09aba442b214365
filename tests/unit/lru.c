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

/* Evict everything, then compare what went with want, in order. */
static void
assert_evicts(struct lru *l, const char **want, int n)
{
	int	i;

	nevicted = 0;
	cr_assert_eq(lru_evict(l, 0, record, NULL), (size_t)n);
	cr_assert_eq(nevicted, n);
	for (i = 0; i < n; i++)
		cr_assert_str_eq(evicted[i], want[i], "eviction %d", i);
	cr_assert_eq(lru_count(l), 0);
	cr_assert_eq(lru_total(l), 0);
}

Test(lru, touches_that_reorder_entries_change_the_eviction_order)
{
	struct lru	*l = lru_create();
	const char	*want[] = { "b", "d", "c", "a", "e" };

	lru_touch(l, "a", 1, 1);
	lru_touch(l, "b", 1, 2);
	lru_touch(l, "c", 1, 3);
	lru_touch(l, "d", 1, 4);
	lru_touch(l, "e", 1, 5);
	lru_touch(l, "c", 1, 6);		/* middle to the end */
	lru_touch(l, "a", 1, 7);		/* head to the end */
	lru_touch(l, "e", 1, 8);		/* already last */
	nevicted = 0;
	cr_assert_eq(lru_evict(l, 3, record, NULL), 2);
	cr_assert_str_eq(evicted[0], "b");
	cr_assert_str_eq(evicted[1], "d");
	cr_assert_eq(lru_total(l), 3);
	lru_touch(l, "b", 1, 9);		/* back after its eviction */
	lru_touch(l, "d", 1, 10);
	want[0] = "c";
	want[1] = "a";
	want[2] = "e";
	want[3] = "b";
	want[4] = "d";
	assert_evicts(l, want, 5);
	lru_free(l);
}

Test(lru, entries_fed_out_of_stamp_order_go_oldest_first)
{
	struct lru	*l = lru_create();
	const char	*want[] = { "t10", "t15", "t20", "t30", "t40", "t50",
			    "t60" };

	/* File times in readdir order, as a start-up scan may feed them. */
	lru_touch(l, "t50", 1, 50);
	lru_touch(l, "t10", 1, 10);
	lru_touch(l, "t40", 1, 40);
	lru_touch(l, "t20", 1, 20);
	lru_touch(l, "t30", 1, 30);
	lru_touch(l, "t15", 1, 15);
	lru_touch(l, "t60", 1, 60);
	cr_assert_eq(lru_count(l), 7);
	assert_evicts(l, want, 7);
	lru_free(l);
}

Test(lru, equal_stamps_go_in_name_order)
{
	struct lru	*l = lru_create();
	const char	*want[] = { "old", "a", "b", "c", "z", "new" };

	lru_touch(l, "z", 1, 5);
	lru_touch(l, "c", 1, 5);
	lru_touch(l, "new", 1, 9);
	lru_touch(l, "a", 1, 5);
	lru_touch(l, "old", 1, 1);
	lru_touch(l, "b", 1, 1);
	lru_touch(l, "b", 1, 5);		/* moves up to its tie */
	assert_evicts(l, want, 6);
	lru_free(l);
}

Test(lru, removing_the_head_middle_and_tail_keeps_the_order)
{
	struct lru	*l = lru_create();
	const char	*want[] = { "b", "d", "f", "g" };

	lru_touch(l, "a", 1, 1);
	lru_touch(l, "b", 2, 2);
	lru_touch(l, "c", 4, 3);
	lru_touch(l, "d", 8, 4);
	lru_touch(l, "e", 16, 5);
	cr_assert_eq(lru_remove(l, "a"), 1);	/* head */
	cr_assert_eq(lru_remove(l, "c"), 4);	/* middle */
	cr_assert_eq(lru_remove(l, "e"), 16);	/* tail */
	cr_assert_eq(lru_count(l), 2);
	cr_assert_eq(lru_total(l), 10);
	cr_assert(!lru_has(l, "a"));
	cr_assert(!lru_has(l, "c"));
	cr_assert(!lru_has(l, "e"));
	cr_assert(lru_has(l, "b"));
	cr_assert(lru_has(l, "d"));
	lru_touch(l, "f", 32, 6);
	lru_touch(l, "g", 64, 7);
	cr_assert_eq(lru_total(l), 106);
	assert_evicts(l, want, 4);
	lru_free(l);
}

Test(lru, an_older_stamp_on_a_touch_leaves_the_entry_in_place)
{
	struct lru	*l = lru_create();
	const char	*want[] = { "a", "b", "c" };

	lru_touch(l, "a", 1, 10);
	lru_touch(l, "b", 1, 20);
	lru_touch(l, "c", 1, 30);
	lru_touch(l, "b", 5, 5);		/* older: size only */
	lru_touch(l, "c", 1, 30);		/* same stamp */
	lru_touch(l, "a", 1, 9);
	cr_assert_eq(lru_total(l), 7);
	assert_evicts(l, want, 3);
	lru_free(l);
}

#define MANY	5000

struct many {
	const char	*want[MANY];
	size_t		 n;
	size_t		 at;
};

static void
many_name(char *name, size_t size, unsigned i)
{
	snprintf(name, size, "%02x/%08x.%u", i % 251, i * 2654435761U, i);
}

static void
many_check(void *arg, const char *name)
{
	struct many	*m = arg;

	cr_assert_lt(m->at, m->n);
	cr_assert_str_eq(name, m->want[m->at], "eviction %zu", m->at);
	m->at++;
}

Test(lru, a_table_of_thousands_of_names_keeps_lookups_and_totals)
{
	struct lru	*l = lru_create();
	static char	 names[MANY][32];
	static struct many m;
	uint64_t	 total = 0;
	size_t		 left;
	unsigned	 i;

	for (i = 0; i < MANY; i++) {
		many_name(names[i], sizeof names[i], i);
		lru_touch(l, names[i], i + 1, i + 1);
		total += i + 1;
	}
	cr_assert_eq(lru_count(l), MANY);
	cr_assert_eq(lru_total(l), total);
	for (i = 0; i < MANY; i++)
		cr_assert(lru_has(l, names[i]), "%s", names[i]);
	cr_assert(!lru_has(l, "zz/nothing"));

	/* Every 7th used again, every 3rd removed. */
	for (i = 0; i < MANY; i += 7)
		lru_touch(l, names[i], i + 1, MANY + i + 1);
	for (i = 0; i < MANY; i += 3) {
		cr_assert_eq(lru_remove(l, names[i]), i + 1);
		total -= i + 1;
	}
	cr_assert_eq(lru_total(l), total);
	for (i = 0; i < MANY; i++)
		cr_assert_eq(lru_has(l, names[i]), i % 3 != 0, "%s", names[i]);

	m.n = m.at = 0;
	for (i = 0; i < MANY; i++) {
		if (i % 3 != 0 && i % 7 != 0)
			m.want[m.n++] = names[i];
	}
	for (i = 0; i < MANY; i += 7) {
		if (i % 3 != 0)
			m.want[m.n++] = names[i];
	}
	cr_assert_eq(lru_count(l), m.n);

	/* Down to a few: the table shrinks, lookups still work. */
	lru_evict(l, total / 100, many_check, &m);
	cr_assert_leq(lru_total(l), total / 100);
	cr_assert_eq(lru_count(l), m.n - m.at);
	for (i = 0; i < m.at; i++)
		cr_assert(!lru_has(l, m.want[i]), "%s", m.want[i]);
	for (i = m.at; i < m.n; i++)
		cr_assert(lru_has(l, m.want[i]), "%s", m.want[i]);
	left = m.n - m.at;
	cr_assert_eq(lru_evict(l, 0, many_check, &m), left);
	cr_assert_eq(m.at, m.n);
	cr_assert_eq(lru_count(l), 0);
	cr_assert_eq(lru_total(l), 0);
	lru_free(l);
}
