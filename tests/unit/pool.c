/* Unit tests for pool.c: worker threads over n items. */

#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "snapfs.h"

#define ITEMS	1000

struct items {
	pthread_mutex_t	 lock;
	int		 done[ITEMS];	/* times each item ran */
	size_t		 ndone;
	size_t		 fail_at;	/* ITEMS: none */
	size_t		 stop_after;	/* ITEMS: never */
};

static int
count(void *arg, size_t i)
{
	struct items	*it = arg;

	pthread_mutex_lock(&it->lock);
	it->done[i]++;
	it->ndone++;
	pthread_mutex_unlock(&it->lock);
	return (i == it->fail_at ? -EIO : 0);
}

static bool
stop(void *arg)
{
	struct items	*it = arg;
	bool		 stopped;

	pthread_mutex_lock(&it->lock);
	stopped = it->ndone >= it->stop_after;
	pthread_mutex_unlock(&it->lock);
	return (stopped);
}

static struct items *
items(size_t fail_at, size_t stop_after)
{
	static struct items	it;

	memset(&it, 0, sizeof it);
	pthread_mutex_init(&it.lock, NULL);
	it.fail_at = fail_at;
	it.stop_after = stop_after;
	return (&it);
}

Test(pool, runs_each_item_once)
{
	struct items	*it = items(ITEMS, ITEMS);
	size_t		 i;

	cr_assert_eq(pool_run(ITEMS, 8, count, it, stop, it), 0);
	for (i = 0; i < ITEMS; i++)
		cr_assert_eq(it->done[i], 1, "item %zu ran %d times", i,
		    it->done[i]);
	cr_assert_eq(it->ndone, ITEMS);
}

Test(pool, more_threads_than_items_and_no_items)
{
	struct items	*it = items(ITEMS, ITEMS);

	cr_assert_eq(pool_run(3, 16, count, it, NULL, NULL), 0);
	cr_assert_eq(it->ndone, 3);
	cr_assert_eq(pool_run(0, 16, count, it, NULL, NULL), 0);
	cr_assert_eq(it->ndone, 3);
}

Test(pool, the_first_error_ends_the_run)
{
	struct items	*it = items(0, ITEMS);

	cr_assert_eq(pool_run(ITEMS, 1, count, it, NULL, NULL), -EIO);
	cr_assert_eq(it->ndone, 1);
	it = items(10, ITEMS);
	cr_assert_eq(pool_run(ITEMS, 4, count, it, NULL, NULL), -EIO);
	cr_assert_eq(it->done[10], 1);
	cr_assert_lt(it->ndone, ITEMS);
}

Test(pool, a_stop_ends_the_run_without_an_error)
{
	struct items	*it = items(ITEMS, 5);

	cr_assert_eq(pool_run(ITEMS, 1, count, it, stop, it), 0);
	cr_assert_eq(it->ndone, 5);
	it = items(ITEMS, 0);
	cr_assert_eq(pool_run(ITEMS, 4, count, it, stop, it), 0);
	cr_assert_eq(it->ndone, 0);
}
