/*
 * Worker threads.  pool_run is a run over n items: fn(arg, i) for each i
 * below n, on up to nthreads threads that take the next item as they go.
 * The first error ends the run, and so does a stop test that says so (a
 * job cancelled); the items not started are left undone.  pool_spawn
 * runs one task on such a thread and returns at once, for a task that
 * takes a queue of its own (tablet headers, hdrtext.c).
 *
 * Walks start tasks by the hundred (snapshot folders, tablet headers), so
 * the workers outlive their task: one done waits, idle, for the next task
 * to take it, and ends after POOL_IDLE_SECONDS or when POOL_IDLE_MAX wait
 * already.  A thread created for each task cost a clone, an exit and the
 * scheduling around them: a tenth of the daemon's CPU in ls -lR.  Workers
 * have small stacks.  A child of fork(2) has none of its parent's idle
 * workers.
 */

#include <sys/queue.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "snapfs.h"

#define POOL_STACK		(256 * 1024)
#define POOL_IDLE_MAX		256	/* workers that wait for a run */
#define POOL_IDLE_SECONDS	10

struct pool {
	size_t		 n;
	pool_fn		 fn;
	void		*arg;
	pool_stop_fn	 stop;
	void		*stoparg;
	pthread_mutex_t	 lock;		/* the fields below */
	pthread_cond_t	 done;		/* the last worker has left */
	size_t		 next;
	size_t		 working;	/* workers on the run */
	int		 error;
};

struct worker {
	TAILQ_ENTRY(worker) link;	/* on idle */
	pthread_cond_t	 wake;
	pool_task_fn	 task;		/* the task to run, or NULL */
	void		*arg;
};

static TAILQ_HEAD(, worker) idle = TAILQ_HEAD_INITIALIZER(idle);
static pthread_mutex_t	idle_lock = PTHREAD_MUTEX_INITIALIZER;
static size_t		nidle;
static pthread_once_t	once = PTHREAD_ONCE_INIT;

/* In a child of fork(2) the idle workers' threads are gone. */
static void
forget_idle(void)
{
	TAILQ_INIT(&idle);
	nidle = 0;
}

static void
setup(void)
{
	pthread_atfork(NULL, NULL, forget_idle);
}

/* Take the items of run arg until none is left, then leave it. */
static void
work(void *arg)
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
	pthread_mutex_lock(&p->lock);
	if (--p->working == 0)
		pthread_cond_signal(&p->done);
	pthread_mutex_unlock(&p->lock);
}

/* Wait idle for a task to be given; false when none came in time. */
static bool
wait_task(struct worker *w)
{
	struct timespec	deadline;

	deadline_in(&deadline, POOL_IDLE_SECONDS * 1000);
	pthread_mutex_lock(&idle_lock);
	w->task = NULL;
	if (nidle >= POOL_IDLE_MAX) {
		pthread_mutex_unlock(&idle_lock);
		return (false);
	}
	TAILQ_INSERT_HEAD(&idle, w, link);
	nidle++;
	while (w->task == NULL)
		if (pthread_cond_timedwait(&w->wake, &idle_lock,
		    &deadline) == ETIMEDOUT && w->task == NULL) {
			TAILQ_REMOVE(&idle, w, link);
			nidle--;
			break;
		}
	pthread_mutex_unlock(&idle_lock);
	return (w->task != NULL);
}

static void *
worker_main(void *arg)
{
	struct worker	*w = arg;

	do
		w->task(w->arg);
	while (wait_task(w));
	pthread_cond_destroy(&w->wake);
	free(w);
	return (NULL);
}

/* Run task(arg) on a worker, idle or new, and return at once. */
void
pool_spawn(pool_task_fn task, void *arg)
{
	struct worker	*w;
	pthread_attr_t	 attr;
	pthread_t	 t;

	pthread_once(&once, setup);
	pthread_mutex_lock(&idle_lock);
	if ((w = TAILQ_FIRST(&idle)) != NULL) {
		TAILQ_REMOVE(&idle, w, link);
		nidle--;
		w->task = task;
		w->arg = arg;
		pthread_cond_signal(&w->wake);
	}
	pthread_mutex_unlock(&idle_lock);
	if (w != NULL)
		return;
	w = xcalloc(1, sizeof *w);
	pthread_cond_init(&w->wake, NULL);
	w->task = task;
	w->arg = arg;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, POOL_STACK);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, worker_main, w) != 0)
		fatal("pthread_create");
	pthread_attr_destroy(&attr);
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
			    PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
			    0, 0, 0 };
	size_t		 i;

	if (nthreads > n)
		nthreads = n;
	p.working = nthreads;
	for (i = 0; i < nthreads; i++)
		pool_spawn(work, &p);
	pthread_mutex_lock(&p.lock);
	while (p.working > 0)
		pthread_cond_wait(&p.done, &p.lock);
	pthread_mutex_unlock(&p.lock);
	pthread_cond_destroy(&p.done);
	pthread_mutex_destroy(&p.lock);
	return (p.error);
}
