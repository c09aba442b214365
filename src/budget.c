/*
 * The memory budget (-o memory=): every buffer of file bytes the read path
 * holds (read-ahead chunks, small objects, warmed files) is taken from it
 * and given back when freed.  Read-ahead only takes what is free; a reader
 * that needs memory waits for some to be given back.  A wait is bounded,
 * so that files held open and idle cannot stop every other reader: past
 * BUDGET_WAIT the reader goes over, and says so in the log.
 */

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "snapfs.h"

#define BUDGET_WAIT	5	/* seconds */

struct budget {
	pthread_mutex_t	 lock;
	pthread_cond_t	 freed;
	size_t		 max;
	size_t		 used;
	size_t		 peak;
};

struct budget *
budget_create(size_t max)
{
	struct budget	*b;

	b = xcalloc(1, sizeof *b);
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->freed, NULL);
	b->max = max;
	return (b);
}

void
budget_free(struct budget *b)
{
	if (b == NULL)
		return;
	pthread_cond_destroy(&b->freed);
	pthread_mutex_destroy(&b->lock);
	free(b);
}

size_t
budget_max(struct budget *b)
{
	return (b->max);
}

/* A counter of b, read under its lock. */
static size_t
counter(struct budget *b, const size_t *field)
{
	size_t	n;

	pthread_mutex_lock(&b->lock);
	n = *field;
	pthread_mutex_unlock(&b->lock);
	return (n);
}

size_t
budget_used(struct budget *b)
{
	return (counter(b, &b->used));
}

size_t
budget_peak(struct budget *b)
{
	return (counter(b, &b->peak));
}

static void
take(struct budget *b, size_t n)
{
	b->used += n;
	if (b->used > b->peak)
		b->peak = b->used;
}

/* Take n bytes if used stays within limit; false if not. */
static bool
take_within(struct budget *b, size_t n, size_t limit)
{
	bool	ok;

	pthread_mutex_lock(&b->lock);
	if ((ok = b->used + n <= limit))
		take(b, n);
	pthread_mutex_unlock(&b->lock);
	return (ok);
}

/* Take n bytes if they are free; false if not. */
bool
budget_try(struct budget *b, size_t n)
{
	return (take_within(b, n, b->max));
}

/* Take n bytes if half the budget stays free: for guesses. */
bool
budget_try_spare(struct budget *b, size_t n)
{
	return (take_within(b, n, b->max / 2));
}

/*
 * Take n bytes, waiting until they are free.  Something larger than the
 * whole budget waits until nothing else is used.
 */
void
budget_take(struct budget *b, size_t n)
{
	struct timespec	ts;
	int		error = 0;

	deadline_in(&ts, BUDGET_WAIT * 1000);
	pthread_mutex_lock(&b->lock);
	while (b->used != 0 && b->used + n > b->max && error == 0)
		error = pthread_cond_timedwait(&b->freed, &b->lock, &ts);
	if (error != 0)
		log_warn("memory budget of %zu bytes used up for %d s: "
		    "going over by %zu", b->max, BUDGET_WAIT,
		    b->used + n - b->max);
	take(b, n);
	pthread_mutex_unlock(&b->lock);
}

void
budget_give(struct budget *b, size_t n)
{
	pthread_mutex_lock(&b->lock);
	if (n > b->used)
		fatalx("budget: giving back more than was taken");
	b->used -= n;
	pthread_cond_broadcast(&b->freed);
	pthread_mutex_unlock(&b->lock);
}
