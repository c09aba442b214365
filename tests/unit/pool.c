/* Unit tests for pool.c: worker threads over n items. */

#include <sys/wait.h>

#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

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

/* The kernel's ids of the threads that ran items, distinct. */
static pid_t	tids[4096];
static size_t	ntids;
static pthread_mutex_t tids_lock = PTHREAD_MUTEX_INITIALIZER;

static int
record_tid(void *arg, size_t i)
{
	pid_t	tid = gettid();
	size_t	k;

	(void)arg;
	(void)i;
	usleep(100);	/* so that each worker takes some */
	pthread_mutex_lock(&tids_lock);
	for (k = 0; k < ntids && tids[k] != tid; k++)
		;
	if (k == ntids && ntids < 4096)
		tids[ntids++] = tid;
	pthread_mutex_unlock(&tids_lock);
	return (0);
}

Test(pool, workers_are_kept_for_the_next_run)
{
	int	i;

	for (i = 0; i < 50; i++)
		cr_assert_eq(pool_run(64, 16, record_tid, NULL, NULL, NULL),
		    0);
	cr_assert_leq(ntids, 32, "%zu threads for 50 runs of 16", ntids);
}

static int
nested(void *arg, size_t i)
{
	struct items	*it = arg;

	(void)i;
	return (pool_run(10, 4, count, it, NULL, NULL));
}

Test(pool, a_worker_runs_a_pool_of_its_own)
{
	struct items	*it = items(ITEMS, ITEMS);

	cr_assert_eq(pool_run(20, 8, nested, it, NULL, NULL), 0);
	cr_assert_eq(it->ndone, 200);
}

Test(pool, a_child_of_fork_runs_pools)
{
	struct items	*it = items(ITEMS, ITEMS);
	pid_t		 pid;
	int		 status;

	cr_assert_eq(pool_run(100, 8, count, it, NULL, NULL), 0);
	if ((pid = fork()) == 0) {
		alarm(10);	/* a hang fails the test */
		it = items(ITEMS, ITEMS);
		_exit(pool_run(100, 8, count, it, NULL, NULL) == 0 &&
		    it->ndone == 100 ? 0 : 1);
	}
	cr_assert_gt(pid, 0);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "the child: status %#x", status);
}

/* Tasks of pool_spawn: each counts itself; the last one tells the test. */
struct tasks {
	pthread_mutex_t	 lock;
	pthread_cond_t	 done;
	size_t		 left;
};

static void
task(void *arg)
{
	struct tasks	*t = arg;

	pthread_mutex_lock(&t->lock);
	if (--t->left == 0)
		pthread_cond_signal(&t->done);
	pthread_mutex_unlock(&t->lock);
}

Test(pool, a_spawned_task_runs_after_the_spawn_returns)
{
	struct tasks	t = { PTHREAD_MUTEX_INITIALIZER,
			    PTHREAD_COND_INITIALIZER, 200 };
	int		i;

	pthread_mutex_lock(&t.lock);
	for (i = 0; i < 200; i++)
		pool_spawn(task, &t);	/* returns while we hold the lock */
	cr_assert_eq(t.left, 200);
	while (t.left > 0)
		pthread_cond_wait(&t.done, &t.lock);
	pthread_mutex_unlock(&t.lock);
}

Test(pool, spawned_tasks_and_runs_share_the_idle_workers)
{
	struct tasks	t = { PTHREAD_MUTEX_INITIALIZER,
			    PTHREAD_COND_INITIALIZER, 0 };
	int		i, j;

	for (i = 0; i < 50; i++) {
		cr_assert_eq(pool_run(64, 16, record_tid, NULL, NULL, NULL),
		    0);
		pthread_mutex_lock(&t.lock);
		t.left = 16;
		for (j = 0; j < 16; j++)
			pool_spawn(task, &t);
		while (t.left > 0)
			pthread_cond_wait(&t.done, &t.lock);
		pthread_mutex_unlock(&t.lock);
	}
	cr_assert_leq(ntids, 48, "%zu threads for 50 runs of 16", ntids);
}
