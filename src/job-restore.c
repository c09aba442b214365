/*
 * The restore state machine, as Doris runs it:
 *
 *	PENDING		the snapshot's info (read and md5-checked when the
 *			line is written: restore_check) and __meta
 *	SNAPSHOTING	empty staging folders in the job's work folder
 *	DOWNLOAD, DOWNLOADING
 *			every file of the chosen tablets, in parallel, each
 *			checked against the md5 in its name
 *	COMMIT, COMMITTING
 *			each partition switched into the data root by two
 *			renames (dataroot_switch), what it replaces kept aside
 *			until every partition is in, then removed
 *	FINISHED
 *
 * Nothing in the data root changes before COMMIT, so a cancel or a failure
 * before it leaves the data root exactly as it was; COMMIT itself is a few
 * renames and cannot be cancelled.
 */

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "snapfs.h"

#define DOWNLOAD_THREADS	4

/* A partition to restore, and where it goes. */
struct target {
	const struct info_table		*table;
	const struct info_partition	*part;
	const char			*name;	/* the table's name, or alias */
	char				*staged;
};

/* One file to download. */
struct download {
	char		*key;
	char		*path;		/* in the staging folder */
	uint64_t	 size;
};

struct restore {
	struct job		*job;
	char			*jobdir;
	struct repo_places	 places;	/* aux: 1 + target, or 0 */
	struct target		*targets;
	size_t			 ntargets;
	struct download		*files;
	size_t			 nfiles;
	bool			 keep;		/* a failed commit's aside */
};

/* Does the snapshot have the table, or the partition of the table? */
static bool
info_has(void *arg, const char *table, const char *partition)
{
	const struct info	*info = arg;
	size_t			 i, k;

	for (i = 0; i < info->ntables; i++) {
		if (strcmp(info->tables[i].name, table) != 0)
			continue;
		if (partition == NULL)
			return (true);
		for (k = 0; k < info->tables[i].npartitions; k++)
			if (strcmp(info->tables[i].partitions[k].name,
			    partition) == 0)
				return (true);
	}
	return (false);
}

/* The request's tables and partitions must be in the snapshot. */
static int
check_objects(const struct ctl_request *r, const struct info *info,
    char **cause)
{
	const char	*table, *partition;
	int		 error;

	if ((error = ctl_select_check(r, info_has, (void *)info, &table,
	    &partition)) == 0)
		return (0);
	if (partition == NULL)
		xasprintf(cause, "Table %s is not in snapshot %s", table,
		    r->label);
	else
		xasprintf(cause, "Partition %s of table %s is not in snapshot "
		    "%s", partition, table, r->label);
	return (error);
}

/* A checked object of the snapshot folder failed: why, as the job says. */
static int
object_failed(const char *key, int error, char *why, char **cause)
{
	xasprintf(cause, "%s: %s", key, why);
	free(why);
	return (error == -EBADMSG ? -EIO : error);
}

/*
 * What can be checked when the line is written: the repository, the
 * snapshot and its info (read and md5-checked: backup_timestamp picks
 * one, else the newest) and __meta, the tables and partitions asked for,
 * and the database: the one the line names, else the snapshot's.
 */
static int
restore_check(struct job *j, char **cause)
{
	struct repo_snapshot		 rs;
	const struct repo_object	*o;
	const char			*want;
	struct buf			 b;
	char				*key, *why = NULL;
	int				 error;

	if ((error = job_snapshot(j, false, &rs, cause)) != 0)
		goto out;
	want = ctl_property(j->req, "backup_timestamp");
	if ((o = repo_snapshot_info(&rs, want)) == NULL) {
		xasprintf(cause, "snapshot %s%s%s not found in repository %s",
		    j->req->label, want != NULL ? " at " : "",
		    want != NULL ? want : "", j->repo);
		error = -ENOENT;
		goto out;
	}
	xasprintf(&j->info_key, "%s%s", j->folder, o->name);
	j->timestamp = repo_timestamp(o->name);
	if ((error = repo_read_info(job_broker(j), j->info_key, o->size, false,
	    &j->info, &j->abort, &why)) != 0) {
		error = object_failed(j->info_key, error, why, cause);
		goto out;
	}
	if (rs.meta.name == NULL) {
		xasprintf(cause, "snapshot %s has no %s", j->req->label,
		    (key = layout_meta_name(NULL)));
		free(key);
		error = -ENOENT;
		goto out;
	}
	xasprintf(&key, "%s%s", j->folder, rs.meta.name);
	if ((error = repo_read_checked(job_broker(j), key, rs.meta.size, &b,
	    &j->abort, &why)) != 0)
		error = object_failed(key, error, why, cause);
	free(key);
	buf_free(&b);
	if (error == 0 && (error = check_objects(j->req, j->info, cause)) == 0)
		j->db = xstrdup(j->req->db != NULL ? j->req->db :
		    j->info->database);
out:
	repo_snapshot_free(&rs);
	return (error);
}


/* One object of the content: a download if it is a chosen tablet's. */
static int
content_entry(void *arg, const struct broker_entry *e)
{
	struct restore		*rs = arg;
	struct repo_place	*pl;
	struct target		*t;
	struct download		*d;
	const char		*p;
	size_t			 len, base;

	if (e->is_dir || (pl = repo_place_find(&rs->places, e->key +
	    strlen(rs->job->folder), &p)) == NULL || pl->aux == 0)
		return (0);
	t = &rs->targets[pl->aux - 1];
	len = strlen(p);
	if ((base = layout_md5_suffix(p, len)) == len)
		return (0);	/* a .part or stray object: not the tablet's */
	rs->files = xreallocarray(rs->files, rs->nfiles + 1,
	    sizeof *rs->files);
	d = &rs->files[rs->nfiles++];
	d->key = xstrdup(e->key);
	xasprintf(&d->path, "%s/%" PRId64 "/%.*s", t->staged, pl->tablet,
	    (int)base, p);
	d->size = e->size;
	return (0);
}

/* SNAPSHOTING: the staging folders, and the list of files to fetch. */
static int
stage(struct restore *rs)
{
	struct job		*j = rs->job;
	const struct info	*info = j->info;
	const struct ctl_table	*ct;
	struct target		*t;
	struct repo_place	*pl;
	uint64_t		 bytes = 0;
	char			*prefix, *dir;
	size_t			 i, k, m, n;
	int			 error;

	for (i = 0; i < info->ntables; i++) {
		for (k = 0; k < info->tables[i].npartitions; k++) {
			if (!ctl_select(j->req, info->tables[i].name,
			    info->tables[i].partitions[k].name, &ct))
				continue;
			rs->targets = xreallocarray(rs->targets,
			    rs->ntargets + 1, sizeof *rs->targets);
			t = &rs->targets[rs->ntargets++];
			t->table = &info->tables[i];
			t->part = &info->tables[i].partitions[k];
			t->name = ct != NULL && ct->alias != NULL ? ct->alias :
			    t->table->name;
			xasprintf(&t->staged, "%s/staging/%s/%s", rs->jobdir,
			    t->name, t->part->name);
			for (m = 0; m < t->part->nindexes; m++) {
				for (n = 0; n < t->part->indexes[m].ntablets;
				    n++) {
					xasprintf(&dir, "%s/%" PRId64,
					    t->staged,
					    t->part->indexes[m].tablets[n]);
					error = file_mkdirs(dataroot_meta(
					    job_data(j)), dir, 0755);
					free(dir);
					if (error != 0) {
						job_fail(j, "staging: %s",
						    strerror(-error));
						return (error);
					}
				}
			}
		}
	}
	if (rs->ntargets == 0) {
		job_fail(j, "nothing to restore");
		return (-ENOENT);
	}

	repo_places_init(&rs->places, info);
	for (i = 0; i < rs->places.n; i++) {
		pl = &rs->places.v[i];
		for (k = 0; k < rs->ntargets && pl->aux == 0; k++)
			if (rs->targets[k].part == pl->part)
				pl->aux = k + 1;
	}
	xasprintf(&prefix, "%s%s", j->folder, layout_content());
	error = broker_list(job_broker(j), prefix, BROKER_RECURSIVE,
	    content_entry, rs, &j->abort);
	free(prefix);
	if (error != 0) {
		job_fail(j, "cannot list the snapshot: %s", strerror(-error));
		return (error);
	}
	for (i = 0; i < rs->nfiles; i++)
		bytes += rs->files[i].size;
	job_totals(j, rs->nfiles, bytes);
	return (0);
}

static int
write_chunk(void *arg, const char *p, size_t len)
{
	return (file_write_all(*(int *)arg, p, len));
}

/* Fetch one object into its staging file, checking its md5. */
static int
download_one(struct restore *rs, struct download *d)
{
	struct job	*j = rs->job;
	char		 md5[MD5_HEX_LEN + 1];
	const char	*want = d->key + strlen(d->key) - MD5_HEX_LEN;
	int		 fd, error;

	fd = file_open(dataroot_meta(job_data(j)), d->path, O_WRONLY |
	    O_CREAT | O_TRUNC, 0644);
	if (fd == -1)
		return (-errno);
	error = repo_stream(job_broker(j), d->key, d->size, write_chunk, &fd,
	    &j->abort, md5);
	if (error == 0 && strcmp(md5, want) != 0) {
		log_warn("%s: invalid md5 of downloaded file: %s", d->key, md5);
		error = -EIO;
	}
	if (close(fd) == -1 && error == 0)
		error = -errno;
	return (error);
}

/* DOWNLOADING: one file, by a worker of job_parallel. */
static int
download_item(void *arg, size_t i)
{
	struct restore	*rs = arg;
	struct download	*d = &rs->files[i];
	int		 error;

	if ((error = download_one(rs, d)) != 0)
		job_fail(rs->job, "download %s: %s", d->key, strerror(-error));
	else
		job_progress(rs->job, 1, d->size);
	return (error);
}

/* COMMITTING: switch every partition in; then drop what they replaced. */
static int
commit(struct restore *rs)
{
	struct job	*j = rs->job;
	struct target	*t;
	char		*aside, *shown, *cause = NULL;
	size_t		 i;
	int		 error;

	for (i = 0; i < rs->ntargets; i++) {
		t = &rs->targets[i];
		xasprintf(&aside, "%s/aside/%s/%s", rs->jobdir, t->name,
		    t->part->name);
		error = dataroot_switch(job_data(j), j->db, t->name,
		    t->part->name, t->staged, aside, &cause);
		free(aside);
		if (error != 0 && i == 0) {
			/* Nothing switched: the data root is as it was. */
			job_fail(j, "commit: %s", cause);
			free(cause);
			return (error);
		}
		if (error != 0) {
			shown = dataroot_shown(job_data(j), rs->jobdir);
			job_fail(j, "commit: %s; what the switched partitions "
			    "replaced is kept in %s/aside", cause, shown);
			free(shown);
			free(cause);
			rs->keep = true;
			return (error);
		}
	}
	return (0);
}

/* A folder below DIR/.snapfs, to read, or NULL. */
static DIR *
work_folder(struct job *j, const char *rel)
{
	DIR	*dir;
	int	 fd;

	if ((fd = file_open(dataroot_meta(job_data(j)), rel, O_RDONLY |
	    O_DIRECTORY, 0)) == -1)
		return (NULL);
	if ((dir = fdopendir(fd)) == NULL)
		close(fd);
	return (dir);
}

/*
 * A restore that was committing when snapfs stopped: switch in what is
 * still staged (the partitions already switched are no longer there).
 */
static void
resume_commit(struct job *j)
{
	struct dirent	*t, *p;
	DIR		*tables, *parts;
	char		*jobdir, *staged, *aside, *path, *shown, *cause = NULL;
	int		 error = 0;

	jobdir = dataroot_work_dir(job_data(j), j->id);
	xasprintf(&staged, "%s/staging", jobdir);
	if ((tables = work_folder(j, staged)) != NULL) {
		while (error == 0 && (t = readdir(tables)) != NULL) {
			if (t->d_name[0] == '.')
				continue;
			xasprintf(&path, "%s/%s", staged, t->d_name);
			if ((parts = work_folder(j, path)) != NULL) {
				while (error == 0 &&
				    (p = readdir(parts)) != NULL) {
					if (p->d_name[0] == '.')
						continue;
					free(path);
					xasprintf(&path, "%s/%s/%s", staged,
					    t->d_name, p->d_name);
					xasprintf(&aside, "%s/aside/%s/%s",
					    jobdir, t->d_name, p->d_name);
					error = dataroot_switch(job_data(j),
					    j->db, t->d_name, p->d_name, path,
					    aside, &cause);
					free(aside);
				}
				closedir(parts);
			}
			free(path);
		}
		closedir(tables);
	}
	if (error != 0) {
		shown = dataroot_shown(job_data(j), jobdir);
		job_fail(j, "resumed commit: %s; what was replaced is kept in "
		    "%s/aside", cause, shown);
		free(shown);
		free(cause);
	} else {
		/* Gone before FINISHED shows; a crash between is resumed. */
		file_remove_tree(dataroot_meta(job_data(j)), jobdir);
		job_set_state(j, JOB_FINISHED);
	}
	free(staged);
	free(jobdir);
}

/* A restore read back at start goes on if it was committing. */
static bool
restore_resume(struct job *j)
{
	return (j->state == JOB_COMMIT || j->state == JOB_COMMITTING);
}

/* The job's thread: from PENDING (or COMMIT) to FINISHED or CANCELLED. */
static void
restore_run(struct job *j)
{
	struct restore	rs;
	size_t		i;
	bool		done = false;

	if (restore_resume(j)) {
		resume_commit(j);
		return;
	}
	memset(&rs, 0, sizeof rs);
	rs.job = j;
	rs.jobdir = dataroot_work_dir(job_data(j), j->id);

	job_set_state(j, JOB_PENDING);
	if (job_stopped(j))
		goto out;
	job_set_state(j, JOB_SNAPSHOTING);
	if (stage(&rs) != 0 || job_stopped(j))
		goto out;
	job_set_state(j, JOB_DOWNLOAD);
	job_set_state(j, JOB_DOWNLOADING);
	if (job_parallel(j, rs.nfiles, DOWNLOAD_THREADS, download_item,
	    &rs) != 0)
		goto out;
	job_set_state(j, JOB_COMMIT);
	job_set_state(j, JOB_COMMITTING);
	done = commit(&rs) == 0;
out:
	/*
	 * The staging and aside copies go before the end is shown, so that
	 * who sees FINISHED or CANCELLED finds them gone.
	 */
	if (!rs.keep)
		file_remove_tree(dataroot_meta(job_data(j)), rs.jobdir);
	if (done)
		job_set_state(j, JOB_FINISHED);
	else if (j->state != JOB_FINISHED && j->state != JOB_CANCELLED)
		job_fail(j, "cancelled");
	if (rs.places.v != NULL)
		repo_places_free(&rs.places);
	for (i = 0; i < rs.ntargets; i++)
		free(rs.targets[i].staged);
	free(rs.targets);
	for (i = 0; i < rs.nfiles; i++) {
		free(rs.files[i].key);
		free(rs.files[i].path);
	}
	free(rs.files);
	free(rs.jobdir);
}

const struct job_kind job_restore_entry = {
	.name = "restore",
	.ctl = CTL_RESTORE,
	.data = true,
	.check = restore_check,
	.run = restore_run,
	.resume = restore_resume,
	.render = job_render_transfer,
};
