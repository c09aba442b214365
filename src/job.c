/*
 * The job engine: a line written to a control file becomes a job with an
 * id, runs on a thread of its own, and shows its state under /jobs/<id>/.
 *
 * Submitting checks what can be checked at once (the grammar, the
 * database, the repository, the label, one job per database) so that a
 * refused line fails the write with an errno and a reason in
 * /ctl/last_error; the rest happens on the job's thread.  Each kind of job
 * (job-backup.c, job-restore.c, job-verify.c, job-drop.c) is an entry of
 * job_kinds, and the engine calls it only through that entry; the kinds
 * call the engine's job_* functions.  A job ends FINISHED or CANCELLED,
 * with the reason of a failure in its job.txt.  A cancel or a timeout sets
 * the job's abort flag, which every transfer it started is given.
 */

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "snapfs.h"

#define JOB_TIMEOUT_DEFAULT	86400	/* seconds, as Doris */

static const struct job_kind *job_kinds[] = {
	&job_backup_entry,
	&job_restore_entry,
	&job_verify_entry,
	&job_drop_entry,
};

struct jobs {
	struct broker		 *broker;
	struct data_root	 *data;
	struct view		 *view;		/* verify results go there */
	jobs_notify_cb		  notify;
	void			 *arg;

	pthread_mutex_t		  lock;		/* below, and the jobs' */
	struct job		**list;
	pthread_t		 *threads;
	size_t			  n;
	int64_t			  next_id;
	long			  pause_ms;	/* SNAPFS_TEST_PAUSE_MS */
	char			 *last_error;
	size_t			  history;	/* ended jobs kept */
	bool			  started;	/* jobs run (jobs_start) */
	bool			  stopping;
};


static bool	 running(const struct job *);
static void	 add_job(struct jobs *, struct job *);
static void	 save(struct job *, const struct job *);
static void	 job_copy_state(struct job *, struct job *);

static int
id_cmp(const void *a, const void *b)
{
	const struct job	*x = *(struct job *const *)a;
	const struct job	*y = *(struct job *const *)b;

	return (x->id < y->id ? -1 : x->id > y->id);
}

static const struct job_kind *
kind_of(const char *name, enum ctl_kind ctl)
{
	size_t	i;

	for (i = 0; i < sizeof job_kinds / sizeof job_kinds[0]; i++) {
		if (name != NULL ? strcmp(job_kinds[i]->name, name) == 0 :
		    job_kinds[i]->ctl == ctl)
			return (job_kinds[i]);
	}
	return (NULL);
}

static const struct job_kind *
kind_named(const char *name)
{
	return (kind_of(name, 0));
}

/*
 * The jobs of earlier runs, from their records.  Each kind picks up what
 * its job left; one that was running when snapfs stopped and that its kind
 * does not take on again ends CANCELLED with the reason, its work folder
 * removed.
 */
static void
jobs_reload(struct jobs *js)
{
	struct job	**all, *j;
	char		 *work;
	size_t		  n, i;

	if (js->data == NULL)
		return;
	n = job_store_load(dataroot_meta(js->data), kind_named, &all);
	for (i = 0; i < n; i++)
		all[i]->jobs = js;
	if (n > 1)
		qsort(all, n, sizeof *all, id_cmp);
	for (i = 0; i < n; i++) {
		j = all[i];
		if ((j->kind->resume == NULL || !j->kind->resume(j)) &&
		    running(j)) {
			xasprintf(&j->error, "interrupted by a restart of "
			    "snapfs in %s", job_store_state_name(j->state));
			j->state = JOB_CANCELLED;
			j->finished = time(NULL);
			work = dataroot_work_dir(js->data, j->id);
			file_remove_tree(dataroot_meta(js->data), work);
			free(work);
			save(j, NULL);
			log_warn("job %" PRId64 ": %s", j->id, j->error);
		}
		if (j->id > js->next_id)
			js->next_id = j->id;
		pthread_mutex_lock(&js->lock);
		add_job(js, j);
		pthread_mutex_unlock(&js->lock);
	}
	free(all);
}

struct jobs *
jobs_create(struct broker *broker, struct data_root *data, struct view *view,
    size_t history, jobs_notify_cb notify, void *arg)
{
	struct jobs	*js;
	const char	*pause;

	js = xcalloc(1, sizeof *js);
	js->broker = broker;
	js->data = data;
	js->view = view;
	js->history = history;
	js->notify = notify;
	js->arg = arg;
	pthread_mutex_init(&js->lock, NULL);
	/* For the tests: linger in each state, so a cancel can catch it. */
	if ((pause = getenv("SNAPFS_TEST_PAUSE_MS")) != NULL)
		js->pause_ms = strtol(pause, NULL, 10);
	jobs_reload(js);
	return (js);
}

/* Stop every running job and wait for its thread. */
void
jobs_free(struct jobs *js)
{
	size_t	i;

	if (js == NULL)
		return;
	pthread_mutex_lock(&js->lock);
	js->stopping = true;
	for (i = 0; i < js->n; i++)
		js->list[i]->abort = true;
	pthread_mutex_unlock(&js->lock);
	for (i = 0; i < js->n; i++) {
		if (js->list[i]->threaded)
			pthread_join(js->threads[i], NULL);
		job_store_free(js->list[i]);
	}
	free(js->list);
	free(js->threads);
	free(js->last_error);
	pthread_mutex_destroy(&js->lock);
	free(js);
}

struct broker *
job_broker(struct job *j)
{
	return (j->jobs->broker);
}

struct data_root *
job_data(struct job *j)
{
	return (j->jobs->data);
}

struct view *
job_view(struct job *j)
{
	return (j->jobs->view);
}

/*
 * Write j's record with the state in state (NULL: j's own, as it is now).
 */
static void
save(struct job *j, const struct job *state)
{
	struct job	 copy;

	if (j->jobs->data == NULL)
		return;
	if (state == NULL)
		job_copy_state(j, &copy);
	else {
		copy = *state;
		copy.error = state->error != NULL ? xstrdup(state->error) :
		    NULL;
	}
	job_store_save(dataroot_meta(j->jobs->data), &copy);
	free(copy.error);
}

void
job_set_state(struct job *j, enum job_state state)
{
	struct job	next;
	struct timespec	ts;
	time_t		now = time(NULL);

	/*
	 * The record is written before the state is shown, so what
	 * jobs/<id>/state says has always reached the disk: a restart
	 * never finds the job in an earlier state than a reader saw.
	 */
	job_copy_state(j, &next);
	if (next.state == JOB_SNAPSHOTING && state > JOB_SNAPSHOTING)
		next.snapshot_done = now;
	if ((next.state == JOB_UPLOADING || next.state == JOB_DOWNLOADING) &&
	    state > next.state)
		next.upload_done = now;
	if (state == JOB_FINISHED || state == JOB_CANCELLED)
		next.finished = now;
	next.state = state;
	save(j, &next);
	free(next.error);

	pthread_mutex_lock(&j->jobs->lock);
	j->snapshot_done = next.snapshot_done;
	j->upload_done = next.upload_done;
	j->finished = next.finished;
	j->state = state;
	pthread_mutex_unlock(&j->jobs->lock);
	log_info("job %" PRId64 ": %s", j->id, job_store_state_name(state));
	if (j->jobs->pause_ms > 0 && state != JOB_FINISHED &&
	    state != JOB_CANCELLED) {
		ts.tv_sec = j->jobs->pause_ms / 1000;
		ts.tv_nsec = j->jobs->pause_ms % 1000 * 1000000;
		nanosleep(&ts, NULL);
	}
}

/* A copy of what the lock protects; free copy->error. */
static void
job_copy_state(struct job *j, struct job *copy)
{
	pthread_mutex_lock(&j->jobs->lock);
	*copy = *j;
	copy->error = j->error != NULL ? xstrdup(j->error) : NULL;
	pthread_mutex_unlock(&j->jobs->lock);
}

/*
 * Has the job been cancelled, or run past its timeout?  A timeout ends it
 * with that reason and sets its abort flag.
 */
bool
job_stopped(struct job *j)
{
	if (j->abort)
		return (true);
	if (time(NULL) - j->created <= j->timeout)
		return (false);
	job_fail(j, "timeout after %" PRId64 " seconds", j->timeout);
	return (true);
}

/*
 * End the job CANCELLED with a reason (the first one given is kept).  Once
 * the job is cancelled, the reason is that: a transfer the cancel cut
 * short fails too, but the cancel is why.  A failure stops the job as a
 * cancel does: its other transfers are given up, so that nothing of a
 * CANCELLED job goes on (an upload of a parallel worker, say, that would
 * otherwise finish, or be left open, after the job has ended).
 */
void
job_fail(struct job *j, const char *fmt, ...)
{
	va_list	 ap;
	char	*why;

	va_start(ap, fmt);
	if (vasprintf(&why, fmt, ap) == -1)
		fatalx("job_fail");
	va_end(ap);
	pthread_mutex_lock(&j->jobs->lock);
	if (j->error == NULL && j->abort) {
		free(why);
		why = xstrdup("cancelled");
	}
	if (j->error == NULL)
		j->error = why;
	else
		free(why);
	j->abort = true;
	pthread_mutex_unlock(&j->jobs->lock);
	log_warn("job %" PRId64 ": %s", j->id, j->error);
	job_set_state(j, JOB_CANCELLED);
}

/* A verify job's report and its count of problems; the job owns text. */
void
job_report(struct job *j, char *text, uint64_t problems)
{
	pthread_mutex_lock(&j->jobs->lock);
	free(j->report);
	j->report = text;
	j->problems = problems;
	pthread_mutex_unlock(&j->jobs->lock);
}

void
job_totals(struct job *j, uint64_t files, uint64_t bytes)
{
	pthread_mutex_lock(&j->jobs->lock);
	j->files_total = files;
	j->bytes_total = bytes;
	pthread_mutex_unlock(&j->jobs->lock);
}

void
job_progress(struct job *j, uint64_t files, uint64_t bytes)
{
	pthread_mutex_lock(&j->jobs->lock);
	j->files_done += files;
	j->bytes_done += bytes;
	pthread_mutex_unlock(&j->jobs->lock);
}

/*
 * The repository the request names (TO/FROM repo), or the only one of the
 * location.  A backup may name one that does not exist: it is created.
 */
int
job_find_repo(struct job *j, bool may_create, char **cause)
{
	struct repo_folders	 rf;
	size_t			 i;
	int			 error;

	if ((error = repo_folders(j->jobs->broker, &rf, &j->abort)) != 0) {
		xasprintf(cause, "cannot list the location: %s",
		    strerror(-error));
		return (error);
	}
	for (i = 0; i < rf.n; i++) {
		if (j->req->repo != NULL ? strcmp(rf.v[i].name,
		    j->req->repo) == 0 : j->repo_key == NULL) {
			free(j->repo);
			free(j->repo_key);
			j->repo = xstrdup(rf.v[i].name);
			j->repo_key = xstrdup(rf.v[i].key);
		} else if (j->req->repo == NULL)
			j->new_repo = true;	/* a second one: ambiguous */
	}
	repo_folders_free(&rf);
	if (j->req->repo == NULL && (j->repo == NULL || j->new_repo)) {
		xasprintf(cause, j->repo == NULL ? "there is no repository%s" :
		    "there are several repositories: name one", may_create ?
		    ": name one to create (label TO repo)" : "");
		return (j->repo == NULL && !may_create ? -ENOENT : -EINVAL);
	}
	if (j->repo == NULL && !may_create) {
		xasprintf(cause, "unknown repository %s", j->req->repo);
		return (-ENOENT);
	}
	if (j->repo == NULL) {
		j->repo = xstrdup(j->req->repo);
		j->repo_key = layout_repo_key(j->repo);
		j->new_repo = true;
	}
	return (0);
}

/*
 * The repository and snapshot folder the line names, listed into rs (free
 * it with repo_snapshot_free).  With must_exist, an empty folder is
 * -ENOENT: the snapshot is not there.
 */
int
job_snapshot(struct job *j, bool must_exist, struct repo_snapshot *rs,
    char **cause)
{
	int	error;

	memset(rs, 0, sizeof *rs);
	if ((error = job_find_repo(j, false, cause)) != 0)
		return (error);
	free(j->folder);
	j->folder = layout_snapshot_dir(j->repo_key, j->req->label);
	if ((error = repo_snapshot(j->jobs->broker, j->folder, rs,
	    &j->abort)) != 0) {
		xasprintf(cause, "cannot list %s: %s", j->folder,
		    strerror(-error));
		return (error);
	}
	if (must_exist && rs->nobjects == 0) {
		xasprintf(cause, "snapshot %s not found in repository %s",
		    j->req->label, j->repo);
		return (-ENOENT);
	}
	return (0);
}

static bool
stopped(void *arg)
{
	return (job_stopped(arg));
}

/*
 * Run fn(arg, i) for each i below n on nthreads threads; stop at the first
 * error (returned) or when the job is stopped (-ECANCELED).
 */
int
job_parallel(struct job *j, size_t n, int nthreads, pool_fn fn, void *arg)
{
	int	error;

	if ((error = pool_run(n, nthreads, fn, arg, stopped, j)) != 0)
		return (error);
	return (job_stopped(j) ? -ECANCELED : 0);
}

/* The job changed what its repository holds. */
void
job_notify(struct job *j)
{
	j->jobs->notify(j->jobs->arg, j->repo);
}

static void *
job_thread(void *arg)
{
	struct job	*j = arg;

	j->kind->run(j);
	info_free(j->info);	/* a restore's, needed only while it ran */
	j->info = NULL;
	pthread_mutex_lock(&j->jobs->lock);
	j->ended = true;
	pthread_mutex_unlock(&j->jobs->lock);
	return (NULL);
}

static bool
running(const struct job *j)
{
	return (j->state != JOB_FINISHED && j->state != JOB_CANCELLED);
}
/* Give job k its thread.  Caller holds the lock. */
static void
run_job(struct jobs *js, size_t k)
{
	if (pthread_create(&js->threads[k], NULL, job_thread,
	    js->list[k]) != 0)
		fatal("pthread_create");
	js->list[k]->threaded = true;
}

/*
 * Join the threads of the jobs that have ended, so that a mount that runs
 * jobs for months does not keep a stack for each.  Caller holds the lock,
 * which an ended thread takes no more.
 */
static void
reap(struct jobs *js)
{
	size_t	k;

	for (k = 0; k < js->n; k++)
		if (js->list[k]->threaded && js->list[k]->ended) {
			pthread_join(js->threads[k], NULL);
			js->list[k]->threaded = false;
		}
}

/* Has j ended, its thread joined? */
static bool
forgettable(const struct job *j)
{
	return (!running(j) && !j->threaded);
}

/*
 * Past js->history ended jobs, forget the oldest, and their records.
 * Caller holds the lock.
 */
static void
prune(struct jobs *js)
{
	size_t	k, ended = 0;

	for (k = 0; k < js->n; k++)
		if (forgettable(js->list[k]))
			ended++;
	for (k = 0; k < js->n && ended > js->history; ) {
		if (!forgettable(js->list[k])) {
			k++;
			continue;
		}
		if (js->data != NULL)
			job_store_remove(dataroot_meta(js->data),
			    js->list[k]->id);
		job_store_free(js->list[k]);
		js->n--;
		memmove(js->list + k, js->list + k + 1,
		    (js->n - k) * sizeof *js->list);
		memmove(js->threads + k, js->threads + k + 1,
		    (js->n - k) * sizeof *js->threads);
		ended--;
	}
}

/*
 * Add j to the list, with a thread if it runs and jobs were started.
 * Caller holds the lock.
 */
static void
add_job(struct jobs *js, struct job *j)
{
	reap(js);
	js->list = xreallocarray(js->list, js->n + 1, sizeof *js->list);
	js->threads = xreallocarray(js->threads, js->n + 1,
	    sizeof *js->threads);
	js->list[js->n] = j;
	if (running(j) && js->started)
		run_job(js, js->n);
	js->n++;
	prune(js);
}

/*
 * Run the jobs resumed at start, and from now on each job submitted: in
 * the daemon, once it has forked (threads do not cross a fork).
 */
void
jobs_start(struct jobs *js)
{
	size_t	k;

	pthread_mutex_lock(&js->lock);
	js->started = true;
	for (k = 0; k < js->n; k++)
		if (running(js->list[k]) && !js->list[k]->threaded)
			run_job(js, k);
	pthread_mutex_unlock(&js->lock);
}

static void
set_last_error(struct jobs *js, const char *why)
{
	pthread_mutex_lock(&js->lock);
	free(js->last_error);
	js->last_error = why != NULL ? xstrdup(why) : NULL;
	pthread_mutex_unlock(&js->lock);
}

/*
 * A line refused before it was parsed: why goes to ctl/last_error; NULL
 * for a line taken without a job (ctl/refresh).
 */
void
jobs_refuse(struct jobs *js, const char *why)
{
	if (why != NULL)
		log_warn("refused: %s", why);
	set_last_error(js, why);
}


/*
 * CANCEL <id> | BACKUP [FROM db] | RESTORE [FROM db]: mark the job; its
 * thread stops.  Without a database, the running job of that kind.
 */
static int
cancel(struct jobs *js, const struct ctl_request *req, char **cause)
{
	struct job	*j = NULL, *c;
	size_t		 i;
	int		 error = 0;

	pthread_mutex_lock(&js->lock);
	for (i = 0; i < js->n && j == NULL; i++) {
		c = js->list[i];
		if (req->job_id >= 0 ? c->id == req->job_id :
		    (c->kind->ctl == req->cancel_kind && running(c) &&
		    (req->db == NULL || strcmp(c->db, req->db) == 0)))
			j = c;
	}
	if (j == NULL) {
		if (req->job_id >= 0)
			xasprintf(cause, "no job %" PRId64, req->job_id);
		else
			xasprintf(cause, "No %s job is currently running",
			    req->cancel_kind == CTL_BACKUP ? "backup" :
			    "restore");
		error = -ENOENT;
	} else if (!running(j)) {
		xasprintf(cause, "job %" PRId64 " is already %s", j->id,
		    job_store_state_name(j->state));
		error = -EINVAL;
	} else if (j->state == JOB_COMMIT || j->state == JOB_COMMITTING) {
		xasprintf(cause, "job %" PRId64 " is committing and cannot be "
		    "cancelled", j->id);
		error = -EBUSY;
	} else
		j->abort = true;
	pthread_mutex_unlock(&js->lock);
	return (error);
}

/*
 * A running job that the new job j may not run beside: one of the same
 * database, or, when either is a drop, one on the same snapshot.  Caller
 * holds the lock.
 */
static const struct job *
conflict(struct jobs *js, const struct job *j)
{
	const struct job	*c;
	size_t			 i;

	for (i = 0; i < js->n; i++) {
		c = js->list[i];
		if (!running(c))
			continue;
		if (j->db != NULL && c->db != NULL && strcmp(c->db, j->db) == 0)
			return (c);
		if ((j->kind->exclusive || c->kind->exclusive) &&
		    c->repo != NULL && strcmp(c->repo, j->repo) == 0 &&
		    strcmp(c->req->label, j->req->label) == 0)
			return (c);
	}
	return (NULL);
}

/*
 * Take one line of a control file.  0 once the job is accepted (or the
 * cancel done), else -errno with the reason in *cause and last_error.
 */
int
jobs_submit(struct jobs *js, enum ctl_kind kind, const char *line,
    size_t len, char **cause)
{
	struct ctl_request	*req = NULL;
	struct job		*j = NULL;
	const struct job	*c = NULL;
	const char		*timeout;
	int			 error;

	*cause = NULL;
	if ((error = ctl_parse(kind, line, len, &req, cause)) != 0)
		goto out;
	if (kind == CTL_CANCEL) {
		error = cancel(js, req, cause);
		goto out;
	}

	j = xcalloc(1, sizeof *j);
	j->jobs = js;
	if ((j->kind = kind_of(NULL, kind)) == NULL)
		fatalx("no job of kind %d", kind);
	j->req = req;
	j->line = xstrndup(line, len);
	req = NULL;
	j->created = time(NULL);
	j->timeout = JOB_TIMEOUT_DEFAULT;
	if ((timeout = ctl_property(j->req, "timeout")) != NULL)
		j->timeout = strtoll(timeout, NULL, 10);
	if (j->kind->data && js->data == NULL) {
		xasprintf(cause, "no data root: mount with -o data=DIR to back "
		    "up or restore");
		error = -EINVAL;
		goto out;
	}
	if ((error = j->kind->check(j, cause)) != 0)
		goto out;

	pthread_mutex_lock(&js->lock);
	if (js->stopping || (c = conflict(js, j)) != NULL) {
		pthread_mutex_unlock(&js->lock);
		if (js->stopping)
			xasprintf(cause, "snapfs is stopping");
		else if (j->db != NULL && c->db != NULL &&
		    strcmp(c->db, j->db) == 0)
			xasprintf(cause, "Can only run one backup or restore "
			    "job of a database at same time (database %s)",
			    j->db);
		else
			xasprintf(cause, "snapshot %s of repository %s is in "
			    "use by job %" PRId64, j->req->label, j->repo,
			    c->id);
		error = -EBUSY;
		goto out;
	}
	/*
	 * The first record is written before the job is listed or its
	 * thread runs: no later state can be overwritten by it, and a job
	 * that is shown has a record.  j is not shared yet, so it is its
	 * own state.
	 */
	j->id = ++js->next_id;
	save(j, j);
	add_job(js, j);
	pthread_mutex_unlock(&js->lock);
	log_info("job %" PRId64 ": %s %s%s%s, repository %s", j->id,
	    j->kind->name, j->db != NULL ? j->db : "",
	    j->db != NULL ? "." : "", j->req->label, j->repo);
	js->notify(js->arg, NULL);
	set_last_error(js, NULL);
	return (0);

out:
	set_last_error(js, *cause);
	if (j != NULL)
		job_store_free(j);
	ctl_free(req);
	return (error);
}

static const char *
time_text(time_t t, char *buf, size_t size)
{
	struct tm	tm;

	if (t == 0)
		return ("\\N");
	localtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
	return (buf);
}

/* A verify or drop job: the columns of SHOW BACKUP that make sense. */
void
job_render_check(const struct job *j, struct buf *b)
{
	char	t[2][32];

	buf_printf(b, "JobId: %" PRId64 "\nType: %s\nSnapshotName: %s\n"
	    "Timestamp: %s\nState: %s\nRepository: %s\nCreateTime: %s\n"
	    "FinishedTime: %s\nUnfinishedTasks: %" PRIu64 "\n"
	    "Progress: %" PRIu64 "/%" PRIu64 " files, %" PRIu64 "/%" PRIu64
	    " bytes\n", j->id, j->kind->ctl == CTL_VERIFY ? "VERIFY" : "DROP",
	    j->req->label, j->timestamp != NULL ? j->timestamp : "\\N",
	    job_store_state_name(j->state), j->repo,
	    time_text(j->created, t[0], sizeof t[0]),
	    time_text(j->finished, t[1], sizeof t[1]),
	    j->files_total - j->files_done, j->files_done, j->files_total,
	    j->bytes_done, j->bytes_total);
	if (j->kind->report)
		buf_printf(b, "Problems: %" PRIu64 "\n", j->problems);
	buf_printf(b, "TaskErrMsg: %s\nStatus: [%s]\nTimeout: %" PRId64 "\n",
	    j->error != NULL ? j->error : "",
	    j->error != NULL ? j->error : "OK", j->timeout);
}

/*
 * The columns of SHOW BACKUP or SHOW RESTORE, one "Key: value" line each
 * (a restore's Upload.. time is its DownloadFinishedTime).
 */
void
job_render_transfer(const struct job *j, struct buf *b)
{
	const struct ctl_request	*r = j->req;
	bool				 backup = j->kind->ctl == CTL_BACKUP;
	char				 t[4][32];
	size_t				 i, k;

	if (backup)
		buf_printf(b, "JobId: %" PRId64 "\nSnapshotName: %s\n",
		    j->id, r->label);
	else
		buf_printf(b, "JobId: %" PRId64 "\nLabel: %s\nTimestamp: %s\n",
		    j->id, r->label, j->timestamp);
	buf_printf(b, "DbName: %s\nState: %s\n%s: ", j->db,
	    job_store_state_name(j->state), backup ? "BackupObjs" :
	    "RestoreObjs");
	if (r->ntables == 0)
		buf_printf(b, "[%s.*]", j->db);
	for (i = 0; i < r->ntables; i++) {
		buf_printf(b, "%s%s[%s.%s", i == 0 ? "" : ", ",
		    r->exclude ? "EXCLUDE " : "", j->db, r->tables[i].name);
		for (k = 0; k < r->tables[i].npartitions; k++)
			buf_printf(b, "%s%s", k == 0 ? "/" : ",",
			    r->tables[i].partitions[k]);
		if (r->tables[i].alias != NULL)
			buf_printf(b, " AS %s", r->tables[i].alias);
		buf_addc(b, ']');
	}
	buf_printf(b, "\nRepository: %s\nCreateTime: %s\n"
	    "SnapshotFinishedTime: %s\n%s: %s\n"
	    "FinishedTime: %s\nUnfinishedTasks: %" PRIu64 "\n"
	    "Progress: %" PRIu64 "/%" PRIu64 " files, %" PRIu64 "/%" PRIu64
	    " bytes\nTaskErrMsg: %s\nStatus: [%s]\nTimeout: %" PRId64 "\n",
	    j->repo, time_text(j->created, t[0], sizeof t[0]),
	    time_text(j->snapshot_done, t[1], sizeof t[1]),
	    backup ? "UploadFinishedTime" : "DownloadFinishedTime",
	    time_text(j->upload_done, t[2], sizeof t[2]),
	    time_text(j->finished, t[3], sizeof t[3]),
	    j->files_total - j->files_done, j->files_done, j->files_total,
	    j->bytes_done, j->bytes_total,
	    j->error != NULL ? j->error : "",
	    j->error != NULL ? j->error : "OK", j->timeout);
}

/* The text of a file of /jobs/<id>/, or of /ctl/last_error. */
char *
jobs_render(struct jobs *js, uint32_t aux, size_t *len)
{
	struct buf	 b;
	struct job	*j = NULL;
	size_t		 i;

	buf_init(&b, SIZE_MAX);
	pthread_mutex_lock(&js->lock);
	if (aux == DYN_LAST_ERROR) {
		if (js->last_error != NULL)
			buf_printf(&b, "%s\n", js->last_error);
	} else {
		for (i = 0; i < js->n; i++)
			if (js->list[i]->id == DYN_JOB_ID(aux))
				j = js->list[i];
		if (j != NULL && DYN_JOB_FILE(aux) == 0)
			buf_printf(&b, "%s\n", job_store_state_name(j->state));
		else if (j != NULL && DYN_JOB_FILE(aux) == 1)
			j->kind->render(j, &b);
		else if (j != NULL && j->report != NULL &&
		    j->state == JOB_FINISHED)
			buf_add(&b, j->report, strlen(j->report));
	}
	pthread_mutex_unlock(&js->lock);
	*len = b.len;
	return (buf_take(&b));
}

/* /jobs: a folder per job, with its state and job.txt. */
int
jobs_load(struct jobs *js, const struct tree_dir *dir, struct batch *b)
{
	char		name[32];
	uint32_t	d;
	size_t		i;
	int64_t		newest = 0, t;

	pthread_mutex_lock(&js->lock);
	for (i = 0; i < js->n; i++) {
		t = (int64_t)js->list[i]->created * 1000000000;
		if (t > newest)
			newest = t;
		snprintf(name, sizeof name, "%" PRId64, js->list[i]->id);
		d = tree_add_dir(b, BATCH_TOP, name, t, LOAD_NONE, NULL, 0);
		tree_add_dynamic(b, d, "state", DYN_JOB(js->list[i]->id, 0));
		tree_add_dynamic(b, d, "job.txt", DYN_JOB(js->list[i]->id, 1));
		if (js->list[i]->kind->report)
			tree_add_dynamic(b, d, "report.txt",
			    DYN_JOB(js->list[i]->id, 2));
	}
	pthread_mutex_unlock(&js->lock);
	tree_batch_mtime(b, newest);
	return (0);
}
