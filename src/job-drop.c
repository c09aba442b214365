/*
 * The drop job: delete a snapshot from its repository, in an order that
 * never shows a half-deleted snapshot as OK.
 *
 *	PENDING			the snapshot folder exists (drop_check)
 *	DROPPING_INFO		its __info_ objects deleted: from now on
 *				snapshots.tsv no longer says OK
 *	DROPPING_CONTENT	the __ss_content objects, then __meta and
 *				whatever else the folder holds
 *	FINISHED
 *
 * With @timestamp, only that backup's info goes when other backups of the
 * label remain (their content is shared).  Nothing outside the folder
 * __ss_<label>/ is touched.  Interrupted, the same line run again finds
 * what is left and finishes the job.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "snapfs.h"

#define DROP_THREADS	4

struct drop {
	struct job	 *job;
	char		**keys;		/* below the snapshot folder */
	uint64_t	 *sizes;
	size_t		  n;
	char		**doomed;	/* what this stage deletes */
	uint64_t	 *dsizes;
	size_t		  ndoomed;
};

static int
drop_check(struct job *j, char **cause)
{
	struct repo_snapshot	 rs;
	const char		*want = j->req->timestamp;
	int			 error;

	if ((error = job_snapshot(j, true, &rs, cause)) == 0 && want != NULL &&
	    repo_snapshot_info(&rs, want) == NULL &&
	    repo_snapshot_info(&rs, NULL) != NULL) {
		xasprintf(cause, "snapshot %s has no backup at %s",
		    j->req->label, want);
		error = -ENOENT;
	} else if (error == 0 && want != NULL)
		j->timestamp = xstrdup(want);
	repo_snapshot_free(&rs);
	return (error);
}

static int
drop_entry(void *arg, const struct broker_entry *e)
{
	struct drop	*d = arg;
	const char	*folder = d->job->folder;

	if (e->is_dir || strncmp(e->key, folder, strlen(folder)) != 0)
		return (0);
	d->keys = xreallocarray(d->keys, d->n + 1, sizeof *d->keys);
	d->sizes = xreallocarray(d->sizes, d->n + 1, sizeof *d->sizes);
	d->keys[d->n] = xstrdup(e->key + strlen(folder));
	d->sizes[d->n] = e->size;
	d->n++;
	return (0);
}

/*
 * An info object, or BACKUP GLOBAL's beside it; with a timestamp, of that
 * backup only.
 */
static bool
is_info(const char *key, const char *timestamp)
{
	const char	*ts;
	size_t		 tslen;
	bool		 checked;

	if (layout_global_info(key, &ts, &tslen))
		return (timestamp == NULL || (tslen == strlen(timestamp) &&
		    strncmp(ts, timestamp, tslen) == 0));
	if (!layout_info(key, &ts, &tslen, &checked))
		return (false);
	return (timestamp == NULL || (tslen == strlen(timestamp) &&
	    strncmp(ts, timestamp, tslen) == 0 && ts[tslen] == '.'));
}

/* An info object of another backup, with its md5. */
static bool
is_other_info(const char *key, const char *timestamp)
{
	const char	*ts;
	size_t		 tslen;
	bool		 checked;

	return (!is_info(key, timestamp) &&
	    layout_info(key, &ts, &tslen, &checked) && checked);
}

static int
delete_item(void *arg, size_t i)
{
	struct drop	*d = arg;
	struct job	*j = d->job;
	char		*key;
	int		 error;

	xasprintf(&key, "%s%s", j->folder, d->doomed[i]);
	if ((error = broker_remove(job_broker(j), key, &j->abort)) != 0)
		job_fail(j, "cannot delete %s: %s", key, strerror(-error));
	else
		job_progress(j, 1, d->dsizes[i]);
	free(key);
	return (error);
}

/* Delete the objects pick selects, in parallel; 0 when all are gone. */
static int
delete(struct drop *d, bool (*pick)(const char *, const char *),
    const char *arg)
{
	size_t	i;
	int	error;

	d->ndoomed = 0;
	for (i = 0; i < d->n; i++) {
		if (d->keys[i] == NULL || !pick(d->keys[i], arg))
			continue;
		d->doomed[d->ndoomed] = d->keys[i];
		d->dsizes[d->ndoomed++] = d->sizes[i];
		d->keys[i] = NULL;	/* now owned by doomed */
	}
	error = job_parallel(d->job, d->ndoomed, DROP_THREADS, delete_item,
	    d);
	for (i = 0; i < d->ndoomed; i++)
		free(d->doomed[i]);
	return (error);
}

static bool
is_content(const char *key, const char *unused)
{
	(void)unused;
	return (layout_in_content(key));
}

static bool
is_any(const char *key, const char *unused)
{
	(void)key;
	(void)unused;
	return (true);
}

static void
drop_run(struct job *j)
{
	struct drop	 d;
	uint64_t	 bytes = 0, infobytes = 0;
	size_t		 i, ninfos = 0, others = 0;
	int		 error;

	memset(&d, 0, sizeof d);
	d.job = j;
	job_set_state(j, JOB_PENDING);
	if (job_stopped(j))
		goto out;
	if ((error = broker_list(job_broker(j), j->folder, BROKER_RECURSIVE |
	    BROKER_SPECIAL, drop_entry, &d, &j->abort)) != 0) {
		job_fail(j, "cannot list %s: %s", j->folder, strerror(-error));
		goto out;
	}
	d.doomed = xreallocarray(NULL, d.n + 1, sizeof *d.doomed);
	d.dsizes = xreallocarray(NULL, d.n + 1, sizeof *d.dsizes);
	for (i = 0; i < d.n; i++) {
		bytes += d.sizes[i];
		if (is_info(d.keys[i], j->timestamp)) {
			ninfos++;
			infobytes += d.sizes[i];
		} else if (is_other_info(d.keys[i], j->timestamp))
			others++;
	}
	if (others > 0)
		job_totals(j, ninfos, infobytes);
	else
		job_totals(j, d.n, bytes);

	job_set_state(j, JOB_DROPPING_INFO);
	if (delete(&d, is_info, j->timestamp) != 0)
		goto out;
	job_notify(j);
	if (others > 0) {
		/* Other backups of the label share the content. */
		log_info("job %lld: %zu other backups of %s remain: content "
		    "kept", (long long)j->id, others, j->req->label);
	} else {
		job_set_state(j, JOB_DROPPING_CONTENT);
		if (delete(&d, is_content, NULL) != 0 ||
		    delete(&d, is_any, NULL) != 0)
			goto out;
	}
	job_notify(j);	/* the view lost it before the job ends */
	job_set_state(j, JOB_FINISHED);
out:
	if (j->state != JOB_FINISHED && j->state != JOB_CANCELLED)
		job_fail(j, "cancelled");
	for (i = 0; i < d.n; i++)
		free(d.keys[i]);
	free(d.keys);
	free(d.sizes);
	free(d.doomed);
	free(d.dsizes);
	if (j->state == JOB_CANCELLED)
		job_notify(j);	/* what it dropped before it stopped */
}

const struct job_kind job_drop_entry = {
	.name = "drop",
	.ctl = CTL_DROP,
	.exclusive = true,
	.check = drop_check,
	.run = drop_run,
	.render = job_render_check,
};
