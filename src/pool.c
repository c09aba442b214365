/*
 * A pool of worker threads over n items: fn(arg, i) for each i below n,
 * on up to nthreads threads that take the next item as they go.  The
 * first error ends the run, and so does a stop test that says so (a job
 * cancelled); the items not started are left undone.  The workers have
 * small stacks, which the C library keeps for the next pool: a pool is
 * started for each batch of a walk, and a thread with a new stack of the
 * default 8 MiB costs a map, an unmap and a TLB flush on every core.
 */

#include <pthread.h>
#include <stdlib.h>

#include "snapfs.h"

#define POOL_STACK	(256 * 1024)

struct pool {
	size_t		 n;
	pool_fn		 fn;
	void		*arg;
	pool_stop_fn	 stop;
	void		*stoparg;
	pthread_mutex_t	 lock;		/* next, error */
	size_t		 next;
	int		 error;
};

static void *
pool_worker(void *arg)
{
	struct pool	*p = arg;
	size_t		 i;
	int		 error;

	for (;;) {
		pthread_mutex_lock(&p->lock);
		i = p->error == 0 && p->next < p->n ? p->next++ : p->n;
		pthread_mutex_unlock(&p->lock);
		if (i == p->n || (p->stop != NULL && p->stop(p->stoparg)))
			break;
		if ((error = p->fn(p->arg, i)) != 0) {
			pthread_mutex_lock(&p->lock);
			if (p->error == 0)
				p->error = error;
			pthread_mutex_unlock(&p->lock);
			break;
		}
	}
	return (NULL);
}

/*
 * Run fn(arg, i) for each i below n on up to nthreads threads, until the
 * first error, which is returned, or until stop(stoparg) (when not NULL)
 * is true before an item.
 */
int
pool_run(size_t n, size_t nthreads, pool_fn fn, void *arg, pool_stop_fn stop,
    void *stoparg)
{
	struct pool	 p = { n, fn, arg, stop, stoparg,
			    PTHREAD_MUTEX_INITIALIZER, 0, 0 };
	pthread_attr_t	 attr;
	pthread_t	*t;
	size_t		 i;

	if (nthreads > n)
		nthreads = n;
	t = xcalloc(nthreads == 0 ? 1 : nthreads, sizeof *t);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, POOL_STACK);
	for (i = 0; i < nthreads; i++)
		if (pthread_create(&t[i], &attr, pool_worker, &p) != 0)
			fatal("pthread_create");
	pthread_attr_destroy(&attr);
	for (i = 0; i < nthreads; i++)
		pthread_join(t[i], NULL);
	free(t);
	pthread_mutex_destroy(&p.lock);
	return (p.error);
}
