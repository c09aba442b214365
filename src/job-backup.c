/*
 * The backup state machine, as a Doris frontend and its backends run it:
 *
 *	PENDING		the request against the data root (also checked
 *			when the line is written: backup_check)
 *	SNAPSHOTING	hard links of every tablet file, so that later
 *			writes to the data root do not change the backup
 *	UPLOAD_SNAPSHOT, UPLOADING
 *			every file uploaded in parallel as <file>.<md5>
 *			under the Doris layout, through the broker (which
 *			writes .part then renames on a filesystem, and
 *			straight to the key on S3)
 *	SAVE_META	__meta and the job info (info_write)
 *	UPLOAD_INFO	__meta, then the info object last, so a snapshot
 *			is never OK before it is complete
 *	FINISHED	the snapshot shows in the mounted tree
 *
 * A cancel or a failure ends it CANCELLED; what was uploaded stays, as in
 * Doris, and without an info object the snapshot shows as ERROR.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "snapfs.h"

#define UPLOAD_THREADS	4
#define META_VERSION	140	/* Doris 3.0 */
#define MD5_CHUNK	(1024 * 1024)
#define UPLOAD_TRIES	3	/* reads of a file that changes meanwhile */

/* One file to upload. */
struct upload {
	const struct data_tablet *tablet;
	char		*path;		/* in the hard-link snapshot, below
					   DIR/.snapfs */
	char		*dir;		/* the tablet folder's key */
	const char	*name;		/* the file's name */
	uint64_t	 size;
	char		 md5[MD5_HEX_LEN + 1];
};

struct backup {
	struct job		*job;
	struct data_db		*db;
	char			*workdir;	/* below DIR/.snapfs */
	char			*snapdir;	/* the hard-link snapshot */
	struct upload		*uploads;
	size_t			 nuploads;
};

static const struct data_table *
find_table(const struct data_db *db, const char *name)
{
	size_t	i;

	for (i = 0; i < db->ntables; i++)
		if (strcmp(db->tables[i].name, name) == 0)
			return (&db->tables[i]);
	return (NULL);
}

/* Does the database have the table, or the partition of the table? */
static bool
db_has(void *arg, const char *table, const char *partition)
{
	const struct data_table	*t;
	size_t			 i;

	if ((t = find_table(arg, table)) == NULL || partition == NULL)
		return (t != NULL);
	for (i = 0; i < t->npartitions; i++)
		if (strcmp(t->partitions[i].name, partition) == 0)
			return (true);
	return (false);
}

/* The request's tables and partitions must exist in the database. */
static int
check_objects(const struct ctl_request *r, struct data_db *db, char **cause)
{
	const char	*table, *partition;
	int		 error;

	if ((error = ctl_select_check(r, db_has, db, &table,
	    &partition)) == 0)
		return (0);
	if (partition == NULL)
		xasprintf(cause, "Table %s does not exist in database %s",
		    table, db->name);
	else
		xasprintf(cause, "Partition %s does not exist in table %s",
		    partition, table);
	return (error);
}

/* The one database of the data root, when the line names none. */
static int
default_db(struct job *j, char **cause)
{
	char	**names = NULL;
	size_t	  n = 0, i;
	int	  error;

	if ((error = dataroot_databases(job_data(j), &names, &n)) != 0) {
		xasprintf(cause, "cannot list the data root: %s",
		    strerror(-error));
		return (error);
	}
	if (n == 1)
		j->db = xstrdup(names[0]);
	else {
		xasprintf(cause, n == 0 ? "the data root has no database" :
		    "the data root has %zu databases: name one (db.label)", n);
		error = n == 0 ? -ENOENT : -EINVAL;
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return (error);
}

/*
 * What can be checked when the line is written: the database and its
 * tables, the repository, and that the label is new there.
 */
static int
backup_check(struct job *j, char **cause)
{
	struct repo_snapshot	 rs;
	struct data_db		*db;
	int			 error;

	if (j->req->db != NULL)
		j->db = xstrdup(j->req->db);
	else if ((error = default_db(j, cause)) != 0)
		return (error);
	if ((error = dataroot_scan(job_data(j), j->db, &db, cause)) != 0)
		return (error);
	error = check_objects(j->req, db, cause);
	dataroot_db_free(db);
	if (error != 0)
		return (error);

	if ((error = job_find_repo(j, true, cause)) != 0)
		return (error);
	j->folder = layout_snapshot_dir(j->repo_key, j->req->label);
	if ((error = repo_snapshot(job_broker(j), j->folder, &rs,
	    &j->abort)) != 0)
		xasprintf(cause, "cannot list %s: %s", j->folder,
		    strerror(-error));
	else if (rs.nobjects != 0) {
		xasprintf(cause, "Snapshot with name '%s' already exist in "
		    "repository %s", j->req->label, j->repo);
		error = -EEXIST;
	}
	repo_snapshot_free(&rs);
	return (error);
}

/* SNAPSHOTING: hard-link each chosen tablet, and list what to upload. */
static int
snapshot(struct backup *bk)
{
	struct job			*j = bk->job;
	const struct data_table		*t;
	const struct data_partition	*p;
	const struct data_tablet	*tb;
	struct upload			*u;
	struct layout_tablet		 lt;
	char				*dest, *cause = NULL;
	uint64_t			 bytes = 0;
	size_t				 i, k, m, f;
	int				 error;

	for (i = 0; i < bk->db->ntables; i++) {
		t = &bk->db->tables[i];
		for (k = 0; k < t->npartitions; k++) {
			p = &t->partitions[k];
			if (!ctl_select(j->req, t->name, p->name, NULL))
				continue;
			xasprintf(&dest, "%s/%s/%s", bk->snapdir, t->name,
			    p->name);
			lt = (struct layout_tablet){ bk->db->id, t->id, p->id,
			    t->index_id, 0 };
			for (m = 0; m < p->ntablets; m++) {
				tb = &p->tablets[m];
				if (job_stopped(j)) {
					free(dest);
					return (-ECANCELED);
				}
				if ((error = dataroot_link(job_data(j), j->db,
				    t->name, p->name, tb, dest, &cause)) != 0) {
					job_fail(j, "snapshot: %s", cause);
					free(cause);
					free(dest);
					return (error);
				}
				for (f = 0; f < tb->nfiles; f++) {
					bk->uploads = xreallocarray(bk->uploads,
					    bk->nuploads + 1,
					    sizeof *bk->uploads);
					u = &bk->uploads[bk->nuploads++];
					memset(u, 0, sizeof *u);
					u->tablet = tb;
					xasprintf(&u->path, "%s/%" PRId64 "/%s",
					    dest, tb->id, tb->files[f]);
					lt.tablet = tb->id;
					u->dir = layout_tablet_dir(&lt);
					u->name = tb->files[f];
					u->size = tb->sizes[f];
					bytes += u->size;
				}
			}
			free(dest);
		}
	}
	if (bk->nuploads == 0) {
		job_fail(j, "nothing to back up in database %s", j->db);
		return (-ENOENT);
	}
	job_totals(j, bk->nuploads, bytes);
	return (0);
}

/* md5 of a local file, streamed. */
static int
file_md5(int fd, uint64_t size, char md5[MD5_HEX_LEN + 1])
{
	struct md5	*m;
	char		*chunk;
	uint64_t	 off = 0;
	ssize_t		 n;
	int		 error = 0;

	m = digest_md5_create();
	chunk = xmalloc(MD5_CHUNK);
	while (off < size) {
		n = pread(fd, chunk, MD5_CHUNK, off);
		if (n <= 0) {
			error = n == 0 ? -EIO : -errno;
			break;
		}
		digest_md5_update(m, chunk, n);
		off += n;
	}
	digest_md5_final(m, md5);
	digest_md5_free(m);
	free(chunk);
	return (error);
}

/* Did the file change between two looks at its descriptor? */
static bool
changed(const struct stat *a, const struct stat *b)
{
	return (a->st_size != b->st_size ||
	    a->st_mtim.tv_sec != b->st_mtim.tv_sec ||
	    a->st_mtim.tv_nsec != b->st_mtim.tv_nsec ||
	    a->st_ctim.tv_sec != b->st_ctim.tv_sec ||
	    a->st_ctim.tv_nsec != b->st_ctim.tv_nsec);
}

/*
 * Upload one file as <name>.<md5>.  A file rewritten in place while it is
 * read (the hard link shares its bytes) would go up torn, under an md5
 * name of what was read: its size and times are looked at before and
 * after, and an upload they do not agree on is removed and tried again;
 * -ESTALE when the file never held still.
 */
static int
upload_one(struct backup *bk, struct upload *u)
{
	struct job	*j = bk->job;
	struct stat	 before, after;
	char		*key;
	int		 fd, tries, error = -ESTALE;

	if ((fd = file_open(dataroot_meta(job_data(j)), u->path, O_RDONLY |
	    O_NONBLOCK, 0)) == -1)
		return (-errno);
	for (tries = 0; tries < UPLOAD_TRIES && error == -ESTALE; tries++) {
		if (fstat(fd, &before) == -1) {
			error = -errno;
			break;
		}
		if (!S_ISREG(before.st_mode) ||
		    (uint64_t)before.st_size != u->size)
			break;		/* not the file scanned: -ESTALE */
		if ((error = file_md5(fd, u->size, u->md5)) != 0)
			break;
		xasprintf(&key, "%s%s/%s.%s", j->folder, u->dir, u->name,
		    u->md5);
		error = broker_upload(job_broker(j), key, fd, u->size,
		    &j->abort);
		if (error == 0 && (fstat(fd, &after) == -1 ||
		    changed(&before, &after))) {
			log_warn("%s: changed while it was uploaded", key);
			broker_remove(job_broker(j), key, NULL);
			error = -ESTALE;
		}
		free(key);
	}
	close(fd);
	return (error);
}

/* UPLOADING: one file, by a worker of job_parallel. */
static int
upload_item(void *arg, size_t i)
{
	struct backup	*bk = arg;
	struct upload	*u = &bk->uploads[i];
	int		 error;

	if ((error = upload_one(bk, u)) == -ESTALE)
		job_fail(bk->job, "%s/%s%s: changed while it was backed up",
		    dataroot_path(job_data(bk->job)), bk->job->db, u->path +
		    strlen(bk->snapdir));
	else if (error != 0)
		job_fail(bk->job, "upload %s%s/%s: %s", bk->job->folder, u->dir,
		    u->name, strerror(-error));
	else
		job_progress(bk->job, 1, u->size);
	return (error);
}

/*
 * __meta in the 3.0 form: a 4-byte big-endian length, then JSON.  It names
 * the tables with their ids, no more: a real Doris frontend needs the full
 * catalog objects of its own version to restore (see snapfs(8)).
 */
static char *
meta_bytes(struct backup *bk, size_t *len)
{
	const struct data_table	*t;
	struct buf		 b;
	size_t			 i, n = 0, body;

	buf_init(&b, SIZE_MAX);
	buf_add(&b, "\0\0\0\0{\"tblNameMap\":{", 19);
	for (i = 0; i < bk->db->ntables; i++) {
		t = &bk->db->tables[i];
		buf_printf(&b, "%s", n++ == 0 ? "" : ",");
		json_quote(&b, t->name, strlen(t->name));
		buf_printf(&b, ":{\"clazz\":\"OlapTable\",\"id\":%" PRId64
		    ",\"name\":", t->id);
		json_quote(&b, t->name, strlen(t->name));
		buf_printf(&b, ",\"type\":\"OLAP\",\"bid\":%" PRId64 "}",
		    t->index_id);
	}
	buf_add(&b, "},\"resourceNameMap\":{}}", 23);
	body = b.len - 4;
	b.data[0] = body >> 24;
	b.data[1] = body >> 16;
	b.data[2] = body >> 8;
	b.data[3] = body;
	*len = b.len;
	return (buf_take(&b));
}

/*
 * The job info of the snapshot: each chosen partition with one index, the
 * base index, named like its table, and each tablet's files as uploaded.
 */
static struct info *
info_of(struct backup *bk)
{
	struct job			*j = bk->job;
	const struct data_table		*t;
	const struct data_partition	*p;
	struct info			*info;
	struct info_table		*it;
	struct info_partition		*ip;
	struct info_index		*x;
	struct buf			 files;
	size_t				 i, k, m, u = 0;

	info = xcalloc(1, sizeof *info);
	info->name = xstrdup(j->req->label);
	info->database = xstrdup(bk->db->name);
	info->id = bk->db->id;
	info->backup_time = (int64_t)j->created * 1000;
	info->content = xstrdup("ALL");
	info->meta_version = META_VERSION;
	info->tables = xcalloc(bk->db->ntables, sizeof *info->tables);
	for (i = 0; i < bk->db->ntables; i++) {
		t = &bk->db->tables[i];
		it = &info->tables[info->ntables];
		it->partitions = xcalloc(t->npartitions,
		    sizeof *it->partitions);
		for (k = 0; k < t->npartitions; k++) {
			p = &t->partitions[k];
			if (!ctl_select(j->req, t->name, p->name, NULL))
				continue;
			ip = &it->partitions[it->npartitions++];
			ip->name = xstrdup(p->name);
			ip->id = p->id;
			ip->version = p->version;
			ip->indexes = x = xcalloc(1, sizeof *x);
			ip->nindexes = 1;
			x->name = xstrdup(t->name);
			x->id = t->index_id;
			x->schema_hash = t->schema_hash;
			x->ntablets = x->norder = p->ntablets;
			x->tablets = xcalloc(p->ntablets + 1,
			    sizeof *x->tablets);
			x->order = xcalloc(p->ntablets + 1, sizeof *x->order);
			x->files = xcalloc(p->ntablets + 1, sizeof *x->files);
			for (m = 0; m < p->ntablets; m++) {
				x->tablets[m] = x->order[m] = p->tablets[m].id;
				buf_init(&files, SIZE_MAX);
				buf_add(&files, "", 0);
				for (; u < bk->nuploads &&
				    bk->uploads[u].tablet == &p->tablets[m];
				    u++)
					buf_printf(&files, "%s.%s\n",
					    bk->uploads[u].name,
					    bk->uploads[u].md5);
				x->files[m] = buf_take(&files);
			}
		}
		if (it->npartitions == 0) {
			free(it->partitions);
			it->partitions = NULL;
			continue;
		}
		it->name = xstrdup(t->name);
		it->id = t->id;
		info->ntables++;
	}
	return (info);
}

/*
 * Put len bytes at p in the snapshot folder, named after their md5: the
 * info of timestamp ts, or __meta when ts is NULL.
 */
static int
put_checked(struct job *j, const char *ts, const char *p, size_t len)
{
	char	 md5[MD5_HEX_LEN + 1], *name, *key;
	int	 error;

	digest_md5_hex(p, len, md5);
	name = ts != NULL ? layout_info_name(ts, md5) : layout_meta_name(md5);
	xasprintf(&key, "%s%s", j->folder, name);
	error = broker_put(job_broker(j), key, p, len, &j->abort);
	free(key);
	free(name);
	return (error);
}

/* CREATE REPOSITORY: the __repo_info of a repository named in TO. */
static int
create_repo(struct job *j)
{
	struct tm	 tm;
	char		*key, *text, when[32];
	int		 error;

	localtime_r(&j->created, &tm);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
	xasprintf(&text, "{\"name\":\"%s\",\"create_time\":\"%s\"}", j->repo,
	    when);
	key = layout_repo_info(j->repo_key);
	error = broker_put(job_broker(j), key, text, strlen(text), &j->abort);
	free(key);
	free(text);
	return (error);
}

static void
backup_free(struct backup *bk)
{
	size_t	i;

	for (i = 0; i < bk->nuploads; i++) {
		free(bk->uploads[i].path);
		free(bk->uploads[i].dir);
	}
	free(bk->uploads);
	if (bk->workdir != NULL)	/* release the snapshot */
		file_remove_tree(dataroot_meta(job_data(bk->job)),
		    bk->workdir);
	free(bk->workdir);
	free(bk->snapdir);
	dataroot_db_free(bk->db);
}

/* The job's thread: from PENDING to FINISHED or CANCELLED. */
static void
backup_run(struct job *j)
{
	struct backup	 bk;
	struct info	*info;
	char		*cause = NULL, *text, ts[LAYOUT_TS_MAX];
	size_t		 len;
	int		 error;

	memset(&bk, 0, sizeof bk);
	bk.job = j;
	job_set_state(j, JOB_PENDING);
	if (job_stopped(j))
		goto out;
	if ((error = dataroot_scan(job_data(j), j->db, &bk.db, &cause)) != 0 ||
	    (error = check_objects(j->req, bk.db, &cause)) != 0) {
		job_fail(j, "%s", cause);
		goto out;
	}
	if (j->new_repo && (error = create_repo(j)) != 0) {
		job_fail(j, "cannot create repository %s: %s", j->repo,
		    strerror(-error));
		goto out;
	}
	if (j->new_repo)
		job_notify(j);	/* it shows now, whatever becomes of the job */

	job_set_state(j, JOB_SNAPSHOTING);
	bk.workdir = dataroot_work_dir(job_data(j), j->id);
	xasprintf(&bk.snapdir, "%s/snapshot", bk.workdir);
	if (snapshot(&bk) != 0)
		goto out;

	job_set_state(j, JOB_UPLOAD_SNAPSHOT);
	job_set_state(j, JOB_UPLOADING);
	if (job_parallel(j, bk.nuploads, UPLOAD_THREADS, upload_item,
	    &bk) != 0)
		goto out;

	job_set_state(j, JOB_SAVE_META);
	job_set_state(j, JOB_UPLOAD_INFO);
	text = meta_bytes(&bk, &len);
	error = put_checked(j, NULL, text, len);
	free(text);
	if (error == 0 && job_stopped(j))
		goto out;
	info = info_of(&bk);
	text = info_write(info, &len);
	info_free(info);
	layout_timestamp(j->created, ts);
	if (error == 0)
		error = put_checked(j, ts, text, len);
	free(text);
	if (error != 0) {
		job_fail(j, "cannot upload the snapshot's meta and info: %s",
		    strerror(-error));
		goto out;
	}
	job_notify(j);	/* the view has it before the job ends */
	job_set_state(j, JOB_FINISHED);
out:
	if (j->state != JOB_FINISHED && j->state != JOB_CANCELLED)
		job_fail(j, "cancelled");
	free(cause);
	backup_free(&bk);
}

const struct job_kind job_backup_entry = {
	.name = "backup",
	.ctl = CTL_BACKUP,
	.data = true,
	.check = backup_check,
	.run = backup_run,
	.render = job_render_transfer,
};
