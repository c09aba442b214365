/* Unit tests for window.c and budget.c: read-ahead and memory. */

#include <criterion/criterion.h>
#include <pthread.h>
#include <unistd.h>

#include "snapfs.h"

#define MiB	(1024ULL * 1024)

Test(window, sequential_reads_grow_the_window_to_its_cap)
{
	struct window	w;
	uint64_t	off, ahead, last = 0;

	window_init(&w, 8 * MiB);
	cr_assert_eq(window_update(&w, 0, 131072), WINDOW_MIN);
	for (off = 131072; off < 64 * MiB; off += 131072) {
		ahead = window_update(&w, off, 131072);
		cr_assert_geq(ahead, last, "the window never shrinks");
		cr_assert_leq(ahead, 8 * MiB, "the window stays under its cap");
		cr_assert(ahead == WINDOW_MIN || ahead % 2 == 0);
		last = ahead;
	}
	cr_assert_eq(last, 8 * MiB, "a long run reaches the cap");
}

Test(window, doubling_after_each_window_consumed)
{
	struct window	w;
	uint64_t	off = 0;

	window_init(&w, 64 * MiB);
	cr_assert_eq(window_update(&w, off, MiB), 2 * MiB);
	off += MiB;
	cr_assert_eq(window_update(&w, off, MiB), 2 * MiB);
	off += MiB;
	cr_assert_eq(window_update(&w, off, MiB), 4 * MiB);
}

Test(window, a_far_jump_is_random_and_closes_the_window)
{
	struct window	w;
	uint64_t	off;

	window_init(&w, 32 * MiB);
	for (off = 0; off < 16 * MiB; off += MiB)
		window_update(&w, off, MiB);
	cr_assert_gt(w.size, WINDOW_MIN);
	cr_assert_eq(window_update(&w, 900 * MiB, 4096), 0);
	cr_assert_eq(window_update(&w, 3 * MiB, 4096), 0, "and back");
	/* A run from there opens it again at the start size. */
	cr_assert_eq(window_update(&w, 3 * MiB + 4096, 4096), WINDOW_MIN);
}

Test(window, reordered_kernel_readahead_stays_sequential)
{
	struct window	w;

	window_init(&w, 32 * MiB);
	window_update(&w, 0, 131072);
	window_update(&w, 393216, 131072);	/* ahead of one in flight */
	cr_assert(window_sequential(&w, 131072), "a step back");
	cr_assert_gt(window_update(&w, 131072, 131072), 0);
	cr_assert_gt(window_update(&w, 262144, 131072), 0);
}

Test(window, the_cap_is_at_least_the_first_window)
{
	struct window	w;

	window_init(&w, 4096);
	cr_assert_eq(window_update(&w, 0, 4096), WINDOW_MIN);
}

Test(budget, try_takes_only_what_is_free)
{
	struct budget	*b = budget_create(2 * MiB);

	cr_assert(budget_try(b, MiB));
	cr_assert(budget_try(b, MiB));
	cr_assert(!budget_try(b, 1), "the budget is used up");
	cr_assert_eq(budget_used(b), 2 * MiB);
	budget_give(b, MiB);
	cr_assert(budget_try(b, MiB / 2));
	cr_assert_eq(budget_used(b), MiB + MiB / 2);
	cr_assert_eq(budget_peak(b), 2 * MiB);
	budget_give(b, MiB + MiB / 2);
	cr_assert_eq(budget_used(b), 0);
	budget_free(b);
}

Test(budget, a_request_larger_than_the_budget_waits_for_an_empty_one)
{
	struct budget	*b = budget_create(MiB);

	budget_take(b, 4 * MiB);	/* nothing used: goes through */
	cr_assert_eq(budget_used(b), 4 * MiB);
	budget_give(b, 4 * MiB);
	budget_free(b);
}

static void *
give_later(void *arg)
{
	usleep(100000);
	budget_give(arg, MiB);
	return (NULL);
}

Test(budget, take_waits_until_memory_is_given_back)
{
	struct budget	*b = budget_create(MiB);
	pthread_t	 t;

	budget_take(b, MiB);
	pthread_create(&t, NULL, give_later, b);
	budget_take(b, MiB);		/* returns once give_later ran */
	pthread_join(t, NULL);
	cr_assert_eq(budget_used(b), MiB);
	cr_assert_eq(budget_peak(b), MiB, "never over the budget");
	budget_give(b, MiB);
	budget_free(b);
}
