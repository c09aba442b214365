/*
 * The restore state machine, as Doris runs it:
 *
 *	PENDING		the snapshot's info (read and md5-checked when the
 *			line is written: restore_check) and __meta
 *	SNAPSHOTING	empty staging folders under DIR/.snapfs/jobs/<id>/
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
#define DOWNLOAD_CHUNK		(4U * 1024 * 1024)

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
	struct target		*targets;
	size_t			 ntargets;
	struct download		*files;
	size_t			 nfiles;
	bool			 keep;		/* a failed commit's aside copies */
};

/* The request's entry for table t: NULL if the request leaves t out. */
static const struct ctl_table *
chosen_table(const struct ctl_request *r, const struct info_table *t,
    bool *take)
{
	size_t	i;

	for (i = 0; i < r->ntables; i++) {
		if (strcmp(r->tables[i].name, t->name) == 0) {
			*take = !r->exclude;
			return (&r->tables[i]);
		}
	}
	*take = r->exclude || r->ntables == 0;
	return (NULL);
}

static bool
chosen_partition(const struct ctl_table *ct, const struct info_partition *p)
{
	size_t	i;

	if (ct == NULL || ct->npartitions == 0)
		return (true);
	for (i = 0; i < ct->npartitions; i++)
		if (strcmp(ct->partitions[i], p->name) == 0)
			return (true);
	return (false);
}

/* The request's tables and partitions must be in the snapshot. */
static int
check_objects(const struct ctl_request *r, const struct info *info,
    char **cause)
{
	size_t	i, k, m, n;

	for (i = 0; i < r->ntables; i++) {
		for (m = 0; m < info->ntables; m++)
			if (strcmp(info->tables[m].name, r->tables[i].name) == 0)
				break;
		if (m == info->ntables) {
			xasprintf(cause, "Table %s is not in snapshot %s",
			    r->tables[i].name, r->label);
			return (-ENOENT);
		}
		for (k = 0; k < r->tables[i].npartitions; k++) {
			for (n = 0; n < info->tables[m].npartitions; n++)
				if (strcmp(info->tables[m].partitions[n].name,
				    r->tables[i].partitions[k]) == 0)
					break;
			if (n == info->tables[m].npartitions) {
				xasprintf(cause, "Partition %s of table %s is "
				    "not in snapshot %s",
				    r->tables[i].partitions[k],
				    r->tables[i].name, r->label);
				return (-ENOENT);
			}
		}
	}
	return (0);
}

/*
 * What can be checked when the line is written: the repository, the
 * snapshot and its info (read and md5-checked: backup_timestamp picks
 * one, else the newest), and the tables and partitions asked for.
 */
int
restore_check(struct job *j, char **cause)
{
	struct snap_find	 f;
	struct buf		 b;
	char			*key;
	int			 error;

	memset(&f, 0, sizeof f);
	if ((error = job_find_repo(j, false, cause)) != 0)
		return (error);
	f.want = ctl_property(j->req, "backup_timestamp");
	if ((error = snap_find(j, &f, cause)) != 0)
		goto out;
	if (f.info == NULL) {
		xasprintf(cause, "snapshot %s%s%s not found in repository %s",
		    j->req->label, f.want != NULL ? " at " : "",
		    f.want != NULL ? f.want : "", j->repo);
		error = -ENOENT;
		goto out;
	}

	xasprintf(&j->info_key, "%s%s", j->folder, f.info);
	j->timestamp = snap_timestamp(f.info);
	if ((error = snap_read_checked(j, j->info_key, f.info_size, &b,
	    cause)) == 0)
		error = info_parse(b.data, b.len, &j->info, cause);
	buf_free(&b);
	if (error == 0 && f.meta == NULL) {
		xasprintf(cause, "snapshot %s has no __meta", j->req->label);
		error = -ENOENT;
	} else if (error == 0) {
		xasprintf(&key, "%s%s", j->folder, f.meta);
		error = snap_read_checked(j, key, f.meta_size, &b, cause);
		free(key);
		buf_free(&b);
	}
	if (error == 0)
		error = check_objects(j->req, j->info, cause);
out:
	snap_find_free(&f);
	return (error);
}

/* Map each chosen tablet of the listing to its download. */
struct content {
	struct restore	*rs;
	size_t		 prefixlen;
};

static int
content_entry(void *arg, const struct broker_entry *e)
{
	struct content		*c = arg;
	struct restore		*rs = c->rs;
	const struct info_index	*x;
	struct target		*t;
	struct download		*d;
	int64_t			 tbl, part, idx, tablet;
	const char		*p = e->key + c->prefixlen;
	size_t			 i, k, m, len, base;

	if (e->is_dir || sscanf(p, "__tbl_%" SCNd64 "/__part_%" SCNd64
	    "/__idx_%" SCNd64 "/__%" SCNd64, &tbl, &part, &idx, &tablet) != 4)
		return (0);
	if ((p = strrchr(p, '/')) == NULL)
		return (0);
	p++;
	len = strlen(p);
	if ((base = layout_md5_suffix(p, len)) == len)
		return (0);	/* a .part or stray object: not the tablet's */
	for (i = 0; i < rs->ntargets; i++) {
		t = &rs->targets[i];
		if (t->table->id != tbl || t->part->id != part)
			continue;
		for (k = 0; k < t->part->nindexes; k++) {
			x = &t->part->indexes[k];
			if (x->id != idx)
				continue;
			for (m = 0; m < x->ntablets; m++) {
				if (x->tablets[m] != tablet)
					continue;
				rs->files = xreallocarray(rs->files,
				    rs->nfiles + 1, sizeof *rs->files);
				d = &rs->files[rs->nfiles++];
				d->key = xstrdup(e->key);
				xasprintf(&d->path, "%s/%" PRId64 "/%.*s",
				    t->staged, tablet, (int)base, p);
				d->size = e->size;
				return (0);
			}
		}
	}
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
	struct content		 c;
	uint64_t		 bytes = 0;
	char			*prefix, *dir;
	size_t			 i, k, m, n;
	bool			 take;
	int			 error;

	for (i = 0; i < info->ntables; i++) {
		ct = chosen_table(j->req, &info->tables[i], &take);
		for (k = 0; take && k < info->tables[i].npartitions; k++) {
			if (!chosen_partition(ct, &info->tables[i].partitions[k]))
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
					error = file_mkdirs(AT_FDCWD, dir, 0755);
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

	xasprintf(&prefix, "%s/__ss_%s/__ss_content/__db_%" PRId64 "/",
	    j->repo_key, j->req->label, info->id);
	c.rs = rs;
	c.prefixlen = strlen(prefix);
	error = broker_list(job_broker(j), prefix, true, content_entry, &c);
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

/* Fetch one object into its staging file, checking its md5. */
static int
download_one(struct restore *rs, struct download *d)
{
	struct md5	*m;
	char		*chunk, md5[MD5_HEX_LEN + 1];
	const char	*want = d->key + strlen(d->key) - MD5_HEX_LEN;
	uint64_t	 off = 0;
	ssize_t		 n;
	int		 fd, error = 0;

	fd = open(d->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1)
		return (-errno);
	m = digest_md5_create();
	chunk = xmalloc(DOWNLOAD_CHUNK);
	while (error == 0 && off < d->size) {
		n = broker_read(job_broker(rs->job), d->key, chunk,
		    d->size - off < DOWNLOAD_CHUNK ? d->size - off :
		    DOWNLOAD_CHUNK, off);
		if (n <= 0)
			error = n == 0 ? -EIO : n;
		else if ((error = file_write_all(fd, chunk, n)) == 0) {
			digest_md5_update(m, chunk, n);
			off += n;
		}
	}
	digest_md5_final(m, md5);
	digest_md5_free(m);
	free(chunk);
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
	char		*aside, *cause = NULL;
	size_t		 i;
	int		 error;

	for (i = 0; i < rs->ntargets; i++) {
		t = &rs->targets[i];
		xasprintf(&aside, "%s/aside/%s/%s", rs->jobdir, t->name,
		    t->part->name);
		error = dataroot_switch(job_data(j), j->db, t->name, t->part->name,
		    t->staged, aside, &cause);
		free(aside);
		if (error != 0) {
			job_fail(j, "commit: %s; what the switched partitions "
			    "replaced is kept in %s/aside", cause, rs->jobdir);
			free(cause);
			rs->keep = true;
			return (error);
		}
	}
	return (0);
}

/*
 * A restore that was committing when snapfs stopped: switch in what is
 * still staged (the partitions already switched are no longer there).
 */
void
restore_resume(struct job *j)
{
	struct dirent	*t, *p;
	DIR		*tables, *parts;
	char		*jobdir, *staged, *aside, *path, *cause = NULL;
	int		 error = 0;

	xasprintf(&jobdir, "%s/.snapfs/jobs/%" PRId64,
	    dataroot_path(job_data(j)), j->id);
	xasprintf(&staged, "%s/staging", jobdir);
	if ((tables = opendir(staged)) != NULL) {
		while (error == 0 && (t = readdir(tables)) != NULL) {
			if (t->d_name[0] == '.')
				continue;
			xasprintf(&path, "%s/%s", staged, t->d_name);
			if ((parts = opendir(path)) != NULL) {
				while (error == 0 &&
				    (p = readdir(parts)) != NULL) {
					if (p->d_name[0] == '.')
						continue;
					free(path);
					xasprintf(&path, "%s/%s/%s", staged,
					    t->d_name, p->d_name);
					xasprintf(&aside, "%s/aside/%s/%s",
					    jobdir, t->d_name, p->d_name);
					error = dataroot_switch(job_data(j), j->db,
					    t->d_name, p->d_name, path, aside,
					    &cause);
					free(aside);
				}
				closedir(parts);
			}
			free(path);
		}
		closedir(tables);
	}
	if (error != 0) {
		job_fail(j, "resumed commit: %s; what was replaced is kept in "
		    "%s/aside", cause, jobdir);
		free(cause);
	} else {
		/* Gone before FINISHED shows; a crash between is resumed. */
		file_remove_tree(jobdir);
		job_set_state(j, JOB_FINISHED);
	}
	free(staged);
	free(jobdir);
}

/* The job's thread: from PENDING to FINISHED or CANCELLED. */
void
restore_run(struct job *j)
{
	struct restore	rs;
	size_t		i;
	bool		done = false;

	memset(&rs, 0, sizeof rs);
	rs.job = j;
	xasprintf(&rs.jobdir, "%s/.snapfs/jobs/%" PRId64,
	    dataroot_path(job_data(j)), j->id);

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
		file_remove_tree(rs.jobdir);
	if (done)
		job_set_state(j, JOB_FINISHED);
	else if (j->state != JOB_FINISHED && j->state != JOB_CANCELLED)
		job_fail(j, "cancelled");
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
