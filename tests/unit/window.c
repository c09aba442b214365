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
	cr_assert_eq(window_update(&w, 900 * MiB, 131072), 0, "a jump");
	cr_assert_eq(window_update(&w, 900 * MiB + 131072, 131072),
	    WINDOW_MIN);
	for (off = 900 * MiB + 262144; off < 964 * MiB; off += 131072) {
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
	uint64_t	off = 900 * MiB;

	window_init(&w, 64 * MiB);
	window_update(&w, off - MiB, MiB);	/* random: a jump */
	cr_assert_eq(window_update(&w, off, MiB), 2 * MiB);
	off += MiB;
	cr_assert_eq(window_update(&w, off, MiB), 2 * MiB);
	off += MiB;
	cr_assert_eq(window_update(&w, off, MiB), 4 * MiB);
}

Test(window, a_run_from_the_first_byte_opens_the_largest_window_next)
{
	struct window	w;

	window_init(&w, 64 * MiB);
	cr_assert_eq(window_update(&w, 0, 131072), WINDOW_MIN);
	cr_assert_eq(window_update(&w, 131072, 131072), WINDOW_MAX,
	    "a reader of the whole file");
	/* Random, then a run from the middle: it doubles as before. */
	cr_assert_eq(window_update(&w, 900 * MiB, 131072), 0);
	cr_assert_eq(window_update(&w, 900 * MiB + 131072, 131072),
	    WINDOW_MIN);
	cr_assert_eq(window_update(&w, 900 * MiB + 262144, 131072),
	    WINDOW_MIN);
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

Test(window, the_largest_window_is_what_a_fast_reader_needs_meanwhile)
{
	struct window	w;

	window_init(&w, 64 * MiB);
	cr_assert_eq(w.max, WINDOW_MAX, "the link not known yet");
	/* 20 ms to the first byte and 80 MB/s: a chunk in 33 ms. */
	window_fit(&w, 33000, MiB);
	cr_assert_eq(w.max, WINDOW_GOAL * 33 / 1000 + MiB);
	/* Loopback: a chunk in 2 ms needs a few in flight. */
	window_fit(&w, 2000, MiB);
	cr_assert_eq(w.max, WINDOW_GOAL * 2 / 1000 + MiB);
	window_fit(&w, 10, 4096);
	cr_assert_eq(w.max, WINDOW_MIN, "never below the first window");
	/* A link farther than the memory allows: the cap. */
	window_fit(&w, 200000, MiB);
	cr_assert_eq(w.max, 64 * MiB);
}

Test(window, a_window_past_a_new_largest_shrinks_to_it)
{
	struct window	w;
	uint64_t	off;

	window_init(&w, 64 * MiB);
	for (off = 0; off < 64 * MiB; off += MiB)
		window_update(&w, off, MiB);
	cr_assert_eq(w.size, WINDOW_MAX);
	window_fit(&w, 2000, MiB);
	cr_assert_eq(window_update(&w, off, MiB), WINDOW_GOAL * 2 / 1000 +
	    MiB);
}

Test(window, the_link_is_the_least_chunk_time_of_the_last_epochs)
{
	struct window_link	l = { { 0, 0 }, 0 };

	cr_assert_eq(window_link_time(&l), 0, "nothing seen");
	window_link_seen(&l, 1000, 40000);
	window_link_seen(&l, 2000, 33000);
	window_link_seen(&l, 3000, 90000);	/* queued at the server */
	cr_assert_eq(window_link_time(&l), 33000);
	/* The next epoch still knows the last one's least. */
	window_link_seen(&l, WINDOW_EPOCH + 1000, 50000);
	cr_assert_eq(window_link_time(&l), 33000);
	/* Two epochs on, only what was seen lately counts. */
	window_link_seen(&l, 2 * WINDOW_EPOCH + 1000, 60000);
	cr_assert_eq(window_link_time(&l), 50000);
	/* After a pause, only what is seen now. */
	window_link_seen(&l, 9 * WINDOW_EPOCH, 70000);
	cr_assert_eq(window_link_time(&l), 70000);
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
