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
 *	SAVE_META	__meta and the job info, with every key a Doris
 *			3.0 writer emits
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

/* One file to upload. */
struct upload {
	const struct data_tablet *tablet;
	char		*path;		/* in the hard-link snapshot */
	char		*key;		/* the tablet folder's key */
	const char	*name;		/* the file's name */
	uint64_t	 size;
	char		 md5[MD5_HEX_LEN + 1];
};

struct backup {
	struct job		*job;
	struct data_db		*db;
	bool			*chosen;	/* per table, then partition */
	char			*snapdir;	/* the hard-link snapshot */
	struct upload		*uploads;
	size_t			 nuploads;
};

static int
count_entry(void *arg, const struct broker_entry *e)
{
	(*(size_t *)arg)++;
	return (0);
}

static const struct data_table *
find_table(const struct data_db *db, const char *name)
{
	size_t	i;

	for (i = 0; i < db->ntables; i++)
		if (strcmp(db->tables[i].name, name) == 0)
			return (&db->tables[i]);
	return (NULL);
}

/* Does the request take this partition? */
static bool
wanted(const struct ctl_request *r, const struct data_table *t,
    const struct data_partition *p)
{
	size_t	i, k;

	for (i = 0; i < r->ntables; i++) {
		if (strcmp(r->tables[i].name, t->name) != 0)
			continue;
		if (r->exclude)
			return (false);
		if (r->tables[i].npartitions == 0)
			return (true);
		for (k = 0; k < r->tables[i].npartitions; k++)
			if (strcmp(r->tables[i].partitions[k], p->name) == 0)
				return (true);
		return (false);
	}
	return (r->exclude || r->ntables == 0);
}

/* The request's tables and partitions must exist in the database. */
static int
check_objects(const struct ctl_request *r, const struct data_db *db,
    char **cause)
{
	const struct data_table	*t;
	size_t			 i, k, m;

	for (i = 0; i < r->ntables; i++) {
		if ((t = find_table(db, r->tables[i].name)) == NULL) {
			xasprintf(cause, "Table %s does not exist in database "
			    "%s", r->tables[i].name, db->name);
			return (-ENOENT);
		}
		for (k = 0; k < r->tables[i].npartitions; k++) {
			for (m = 0; m < t->npartitions; m++)
				if (strcmp(t->partitions[m].name,
				    r->tables[i].partitions[k]) == 0)
					break;
			if (m == t->npartitions) {
				xasprintf(cause, "Partition %s does not exist "
				    "in table %s", r->tables[i].partitions[k],
				    t->name);
				return (-ENOENT);
			}
		}
	}
	return (0);
}

/*
 * What can be checked when the line is written: the database and its
 * tables, the repository, and that the label is new there.
 */
int
backup_check(struct job *j, char **cause)
{
	struct data_db	*db;
	char		*folder;
	size_t		 n = 0;
	int		 error;

	if ((error = dataroot_scan(job_data(j), j->db, &db, cause)) != 0)
		return (error);
	error = check_objects(j->req, db, cause);
	dataroot_db_free(db);
	if (error != 0)
		return (error);

	if ((error = job_find_repo(j, true, cause)) != 0)
		return (error);
	xasprintf(&folder, "%s/__ss_%s/", j->repo_key, j->req->label);
	error = broker_list(job_broker(j), folder, false, count_entry, &n);
	free(folder);
	if (error == 0 && n != 0) {
		xasprintf(cause, "Snapshot with name '%s' already exist in "
		    "repository %s", j->req->label, j->repo);
		error = -EEXIST;
	}
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
	char				*dest, *cause = NULL;
	uint64_t			 bytes = 0;
	size_t				 i, k, m, f;
	int				 error;

	for (i = 0; i < bk->db->ntables; i++) {
		t = &bk->db->tables[i];
		for (k = 0; k < t->npartitions; k++) {
			p = &t->partitions[k];
			if (!wanted(j->req, t, p))
				continue;
			xasprintf(&dest, "%s/%s/%s", bk->snapdir, t->name,
			    p->name);
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
					xasprintf(&u->key, "%s/__ss_%s/"
					    "__ss_content/__db_%" PRId64
					    "/__tbl_%" PRId64 "/__part_%"
					    PRId64 "/__idx_%" PRId64 "/__%"
					    PRId64, j->repo_key,
					    j->req->label, bk->db->id, t->id,
					    p->id, t->index_id, tb->id);
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
	chunk = xmalloc(1024 * 1024);
	while (off < size) {
		n = pread(fd, chunk, 1024 * 1024, off);
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

static int
upload_one(struct backup *bk, struct upload *u)
{
	struct stat	 st;
	char		*key;
	int		 fd, error;

	if ((fd = open(u->path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-errno);
	if (fstat(fd, &st) == -1 || (uint64_t)st.st_size != u->size)
		error = -EIO;	/* the data root changed under a link */
	else if ((error = file_md5(fd, u->size, u->md5)) == 0) {
		xasprintf(&key, "%s/%s.%s", u->key, u->name, u->md5);
		error = broker_upload(job_broker(bk->job), key, fd, u->size);
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

	if ((error = upload_one(bk, u)) != 0)
		job_fail(bk->job, "upload %s/%s: %s", u->key, u->name,
		    strerror(-error));
	else
		job_progress(bk->job, 1, u->size);
	return (error);
}

/* Tablet tb's file list; its uploads are the consecutive ones from *u. */
static void
info_tablet(struct backup *bk, const struct data_tablet *tb, size_t *u,
    struct buf *b)
{
	bool	first = true;

	buf_printf(b, "\"%" PRId64 "\":[", tb->id);
	for (; *u < bk->nuploads && bk->uploads[*u].tablet == tb; (*u)++) {
		buf_printf(b, "%s\"%s.%s\"", first ? "" : ",",
		    bk->uploads[*u].name, bk->uploads[*u].md5);
		first = false;
	}
	buf_addc(b, ']');
}

/*
 * SAVE_META: the job info, in the order and with the keys of a Doris 3.0
 * writer, compact, on one line.
 */
static char *
info_json(struct backup *bk, size_t *len)
{
	struct job			*j = bk->job;
	const struct data_table		*t;
	const struct data_partition	*p;
	struct buf			 b;
	size_t				 i, k, m, u = 0;
	bool				 first_t = true, first_p;

	buf_init(&b, SIZE_MAX);
	buf_add(&b, "{\"name\":", 8);
	json_quote(&b, j->req->label, strlen(j->req->label));
	buf_add(&b, ",\"database\":", 12);
	json_quote(&b, bk->db->name, strlen(bk->db->name));
	buf_printf(&b, ",\"id\":%" PRId64 ",\"backup_time\":%" PRId64
	    ",\"content\":\"ALL\",\"backup_objects\":{", bk->db->id,
	    (int64_t)j->created * 1000);
	for (i = 0; i < bk->db->ntables; i++) {
		t = &bk->db->tables[i];
		first_p = true;
		for (k = 0; k < t->npartitions; k++) {
			p = &t->partitions[k];
			if (!wanted(j->req, t, p))
				continue;
			if (first_p) {
				buf_printf(&b, "%s", first_t ? "" : ",");
				json_quote(&b, t->name, strlen(t->name));
				buf_printf(&b, ":{\"id\":%" PRId64
				    ",\"partitions\":{", t->id);
			}
			buf_printf(&b, "%s", first_p ? "" : ",");
			json_quote(&b, p->name, strlen(p->name));
			buf_printf(&b, ":{\"id\":%" PRId64 ",\"version\":%"
			    PRId64 ",\"indexes\":{", p->id, p->version);
			json_quote(&b, t->name, strlen(t->name));
			buf_printf(&b, ":{\"id\":%" PRId64 ",\"schema_hash\":%"
			    PRId32 ",\"tablets\":{", t->index_id,
			    t->schema_hash);
			for (m = 0; m < p->ntablets; m++) {
				buf_printf(&b, "%s", m == 0 ? "" : ",");
				info_tablet(bk, &p->tablets[m], &u, &b);
			}
			buf_add(&b, "},\"tablets_order\":[", 19);
			for (m = 0; m < p->ntablets; m++)
				buf_printf(&b, "%s%" PRId64, m == 0 ? "" : ",",
				    p->tablets[m].id);
			buf_add(&b, "]}}}", 4);
			first_p = false;
			first_t = false;
		}
		if (!first_p)
			buf_add(&b, "}}", 2);
	}
	buf_printf(&b, "},\"new_backup_objects\":{\"views\":[],"
	    "\"odbc_tables\":[],\"odbc_resources\":[]},"
	    "\"backup_result\":\"succeed\",\"meta_version\":%d,"
	    "\"major_version\":3,\"minor_version\":0,\"patch_version\":0,"
	    "\"is_force_replication_allocation\":false,\"tablet_be_map\":{},"
	    "\"tablet_snapshot_path_map\":{},\"table_commit_seq_map\":{},"
	    "\"tblalias\":{}}", META_VERSION);
	*len = b.len;
	return (buf_take(&b));
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

/* Put an object named <name>.<md5 of it> under the snapshot folder. */
static int
put_checked(struct job *j, const char *name, const char *p, size_t len)
{
	char	 md5[MD5_HEX_LEN + 1], *key;
	int	 error;

	digest_md5_hex(p, len, md5);
	xasprintf(&key, "%s/__ss_%s/%s.%s", j->repo_key, j->req->label, name,
	    md5);
	error = broker_put(job_broker(j), key, p, len);
	free(key);
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
	xasprintf(&key, "%s/__repo_info", j->repo_key);
	error = broker_put(job_broker(j), key, text, strlen(text));
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
		free(bk->uploads[i].key);
	}
	free(bk->uploads);
	if (bk->snapdir != NULL)
		file_remove_tree(bk->snapdir);	/* release the snapshot */
	free(bk->snapdir);
	dataroot_db_free(bk->db);
}

/* The job's thread: from PENDING to FINISHED or CANCELLED. */
void
backup_run(struct job *j)
{
	struct backup	 bk;
	struct tm	 tm;
	char		*cause = NULL, *text, stamp[32];
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

	job_set_state(j, JOB_SNAPSHOTING);
	xasprintf(&bk.snapdir, "%s/.snapfs/jobs/%" PRId64 "/snapshot",
	    dataroot_path(job_data(j)), j->id);
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
	error = put_checked(j, "__meta", text, len);
	free(text);
	if (error == 0 && job_stopped(j))
		goto out;
	localtime_r(&j->created, &tm);
	strftime(stamp, sizeof stamp, "__info_%Y-%m-%d-%H-%M-%S", &tm);
	text = info_json(&bk, &len);
	if (error == 0)
		error = put_checked(j, stamp, text, len);
	free(text);
	if (error != 0) {
		job_fail(j, "cannot upload the snapshot's meta and info: %s",
		    strerror(-error));
		goto out;
	}
	job_set_state(j, JOB_FINISHED);
	job_notify(j);
out:
	if (j->state != JOB_FINISHED && j->state != JOB_CANCELLED)
		job_fail(j, "cancelled");
	free(cause);
	backup_free(&bk);
}
