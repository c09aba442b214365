/*
 * The data root (-o data=DIR): a local folder that plays the Doris cluster,
 * DIR/<db>/<table>/<partition>/<tabletId>/<files>.  This file reads it
 * (one database at a time, sorted), snapshots a tablet with hard links as
 * a Doris backend does, and switches a restored partition in with renames,
 * keeping the old one aside.  snapfs keeps its own files in DIR/.snapfs:
 * ids (the ids that every database, table, index and partition is given
 * the first time it is seen, so that they stay the same from one backup to
 * the next: dataroot-ids.c), history (job records: job-store.c) and
 * jobs/<id> (a running job's work folder).
 */

#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "snapfs.h"

#define DATA_META	".snapfs"

struct data_root {
	char		*path;
	int		 fd;
	int		 metafd;	/* DIR/.snapfs */
	struct data_ids	*ids;		/* its ids, dataroot-ids.c */
};

/* A folder entry, with what lstat says about it. */
struct data_ent {
	char		*name;
	struct stat	 st;
};

static int
data_ent_cmp(const void *a0, const void *b0)
{
	const struct data_ent	*a = a0, *b = b0;

	return (strcmp(a->name, b->name));
}

static int
data_tablet_cmp(const void *a0, const void *b0)
{
	const struct data_tablet	*a = a0, *b = b0;

	return (a->id < b->id ? -1 : a->id > b->id);
}

/* Check each name of db/table/partition given to dataroot_link, _switch. */
static int
data_names_ok(const char *db, const char *table, const char *partition,
    char **cause)
{
	const char	*names[] = { db, table, partition }, *why;
	size_t		 i;

	for (i = 0; i < 3; i++) {
		if ((why = layout_name_bad(names[i])) != NULL) {
			xasprintf(cause, "\"%s\": %s", names[i], why);
			return (-EINVAL);
		}
	}
	return (0);
}

static int
data_syncdir(int dirfd, const char *path)
{
	int	fd, error = 0;

	fd = file_open(dirfd, path, O_RDONLY | O_DIRECTORY, 0);
	if (fd == -1)
		return (-errno);
	if (fsync(fd) == -1)
		error = -errno;
	close(fd);
	return (error);
}

static void
data_ents_free(struct data_ent *e, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(e[i].name);
	free(e);
}

/*
 * Read the folder rel (below the root) into entries sorted by name.
 * Hidden names are never part of the cluster and are left out, and so are
 * entries that vanish while the folder is read.
 */
static int
data_list(int rootfd, const char *rel, struct data_ent **ep, size_t *np,
    char **cause)
{
	struct data_ent	*e = NULL;
	struct dirent	*d;
	DIR		*dir;
	size_t		 n = 0, cap = 0;
	int		 fd, error = 0;

	fd = file_open(rootfd, rel, O_RDONLY | O_DIRECTORY, 0);
	if (fd == -1 || (dir = fdopendir(fd)) == NULL) {
		error = -errno;
		if (fd != -1)
			close(fd);
		xasprintf(cause, "\"%s\": %s", rel, strerror(-error));
		return (error);
	}
	for (;;) {
		errno = 0;
		if ((d = readdir(dir)) == NULL) {
			if ((error = -errno) != 0)
				xasprintf(cause, "\"%s\": %s", rel,
				    strerror(errno));
			break;
		}
		if (d->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			e = xreallocarray(e, cap, sizeof *e);
		}
		if (fstatat(dirfd(dir), d->d_name, &e[n].st,
		    AT_SYMLINK_NOFOLLOW) == -1) {
			if (errno == ENOENT)
				continue;
			error = -errno;
			xasprintf(cause, "\"%s/%s\": %s", rel, d->d_name,
			    strerror(errno));
			break;
		}
		e[n++].name = xstrdup(d->d_name);
	}
	closedir(dir);
	if (error != 0) {
		data_ents_free(e, n);
		return (error);
	}
	if (n > 1)
		qsort(e, n, sizeof *e, data_ent_cmp);
	*ep = e;
	*np = n;
	return (0);
}

/* Read the files of one tablet folder. */
static int
data_walk_tablet(int rootfd, const char *rel, struct data_tablet *t,
    char **cause)
{
	struct data_ent	*e;
	size_t		 n, i;
	int		 error;

	if ((error = data_list(rootfd, rel, &e, &n, cause)) != 0)
		return (error);
	t->files = xcalloc(n, sizeof *t->files);
	t->sizes = xcalloc(n, sizeof *t->sizes);
	t->nfiles = n;
	for (i = 0; i < n; i++) {
		if (!S_ISREG(e[i].st.st_mode)) {
			xasprintf(cause, "\"%s/%s\": only files belong in a "
			    "tablet folder", rel, e[i].name);
			error = -EINVAL;
			break;
		}
		t->files[i] = xstrdup(e[i].name);
		t->sizes[i] = e[i].st.st_size;
	}
	data_ents_free(e, n);
	return (error);
}

static int
data_walk_partition(int rootfd, const char *rel, struct data_partition *p,
    char **cause)
{
	struct data_ent	*e;
	char		*sub;
	size_t		 n, i;
	int		 error;

	if ((error = data_list(rootfd, rel, &e, &n, cause)) != 0)
		return (error);
	p->tablets = xcalloc(n, sizeof *p->tablets);
	p->ntablets = n;
	for (i = 0; i < n; i++) {
		if (!layout_number(e[i].name, INT64_MAX, &p->tablets[i].id)) {
			xasprintf(cause, "\"%s/%s\": a tablet folder must be "
			    "named by its tablet id", rel, e[i].name);
			error = -EINVAL;
			goto out;
		}
		if (!S_ISDIR(e[i].st.st_mode)) {
			xasprintf(cause, "\"%s/%s\": a tablet must be a folder",
			    rel, e[i].name);
			error = -EINVAL;
			goto out;
		}
	}
	qsort(p->tablets, n, sizeof *p->tablets, data_tablet_cmp);
	for (i = 0; i < n; i++) {
		xasprintf(&sub, "%s/%lld", rel, (long long)p->tablets[i].id);
		error = data_walk_tablet(rootfd, sub, &p->tablets[i], cause);
		free(sub);
		if (error != 0)
			break;
	}
out:
	data_ents_free(e, n);
	return (error);
}

/*
 * The folders of rel, which must all be folders with good names: the tables
 * of a database or the partitions of a table.
 */
static int
data_subfolders(int rootfd, const char *rel, const char *what,
    struct data_ent **ep, size_t *np, char **cause)
{
	const char	*why;
	size_t		 i;
	int		 error;

	if ((error = data_list(rootfd, rel, ep, np, cause)) != 0)
		return (error);
	for (i = 0; i < *np; i++) {
		why = layout_name_bad((*ep)[i].name);
		if (why == NULL && !S_ISDIR((*ep)[i].st.st_mode))
			why = what;
		if (why != NULL) {
			xasprintf(cause, "\"%s/%s\": %s", rel, (*ep)[i].name,
			    why);
			data_ents_free(*ep, *np);
			return (-EINVAL);
		}
	}
	return (0);
}

static int
data_walk_table(int rootfd, const char *rel, struct data_table *t,
    char **cause)
{
	struct data_ent	*e;
	char		*sub;
	size_t		 n, i;
	int		 error;

	error = data_subfolders(rootfd, rel, "a partition must be a folder",
	    &e, &n, cause);
	if (error != 0)
		return (error);
	t->partitions = xcalloc(n, sizeof *t->partitions);
	t->npartitions = n;
	for (i = 0; i < n && error == 0; i++) {
		t->partitions[i].name = xstrdup(e[i].name);
		xasprintf(&sub, "%s/%s", rel, e[i].name);
		error = data_walk_partition(rootfd, sub, &t->partitions[i],
		    cause);
		free(sub);
	}
	data_ents_free(e, n);
	return (error);
}

static int
data_walk_db(int rootfd, struct data_db *d, char **cause)
{
	struct data_ent	*e;
	char		*sub;
	size_t		 n, i;
	int		 error;

	error = data_subfolders(rootfd, d->name, "a table must be a folder",
	    &e, &n, cause);
	if (error != 0)
		return (error);
	d->tables = xcalloc(n, sizeof *d->tables);
	d->ntables = n;
	for (i = 0; i < n && error == 0; i++) {
		d->tables[i].name = xstrdup(e[i].name);
		xasprintf(&sub, "%s/%s", d->name, e[i].name);
		error = data_walk_table(rootfd, sub, &d->tables[i], cause);
		free(sub);
	}
	data_ents_free(e, n);
	return (error);
}

int
dataroot_open(const char *dir, struct data_root **rp, char **cause)
{
	struct data_root	*r;
	char			*meta;
	int			 fd, error;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		error = -errno;
		if (errno == ENOTDIR)
			xasprintf(cause, "data root %s: not a folder", dir);
		else
			xasprintf(cause, "data root %s: %s", dir,
			    strerror(errno));
		return (error);
	}
	/* One snapfs per data root: jobs of two would trample each other. */
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		error = errno == EWOULDBLOCK ? -EBUSY : -errno;
		xasprintf(cause, "data root %s: %s", dir, error == -EBUSY ?
		    "in use by another snapfs" : strerror(errno));
		close(fd);
		return (error);
	}
	r = xcalloc(1, sizeof *r);
	r->path = xstrdup(dir);
	r->fd = fd;
	xasprintf(&meta, "%s/%s", dir, DATA_META);
	if ((mkdirat(fd, DATA_META, 0700) == -1 ? errno != EEXIST :
	    fsync(fd) == -1) ||
	    (r->metafd = openat(fd, DATA_META, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) == -1) {
		error = -errno;
		xasprintf(cause, "%s: %s", meta, strerror(errno));
		r->metafd = -1;
	} else
		error = dataroot_ids_open(r->metafd, meta, &r->ids, cause);
	free(meta);
	if (error != 0) {
		if (r->metafd != -1)
			close(r->metafd);
		close(r->fd);
		free(r->path);
		free(r);
		return (error);
	}
	*rp = r;
	return (0);
}

void
dataroot_close(struct data_root *r)
{
	if (r == NULL)
		return;
	dataroot_ids_close(r->ids);
	close(r->metafd);
	close(r->fd);
	free(r->path);
	free(r);
}

const char *
dataroot_path(const struct data_root *r)
{
	return (r->path);
}

/*
 * DIR/.snapfs, open: snapfs's own files (job records, work folders) are
 * reached beneath it, so that a link planted in the data root is never
 * followed.
 */
int
dataroot_meta(const struct data_root *r)
{
	return (r->metafd);
}

/* The work folder of job id, below DIR/.snapfs. */
char *
dataroot_work_dir(const struct data_root *r, int64_t id)
{
	char	*dir;

	xasprintf(&dir, "jobs/%lld", (long long)id);
	return (dir);
}

/* rel (below DIR/.snapfs) as a path, for messages. */
char *
dataroot_shown(const struct data_root *r, const char *rel)
{
	char	*path;

	xasprintf(&path, "%s/%s/%s", r->path, DATA_META, rel);
	return (path);
}

/* The database folders, sorted; the caller frees each name and the array. */
int
dataroot_databases(struct data_root *r, char ***namesp, size_t *np)
{
	struct data_ent	*e;
	char		*cause = NULL, **names;
	size_t		 n, i, k = 0;
	int		 error;

	if ((error = data_list(r->fd, ".", &e, &n, &cause)) != 0) {
		log_warn("data root %s: %s", r->path, cause);
		free(cause);
		return (error);
	}
	names = xcalloc(n, sizeof *names);
	for (i = 0; i < n; i++) {
		if (S_ISDIR(e[i].st.st_mode)) {
			names[k++] = e[i].name;
			e[i].name = NULL;
		}
	}
	data_ents_free(e, n);
	if (k == 0) {
		free(names);
		names = NULL;
	}
	*namesp = names;
	*np = k;
	return (0);
}

int
dataroot_scan(struct data_root *r, const char *db, struct data_db **dbp,
    char **cause)
{
	struct data_db	*d;
	struct stat	 st;
	const char	*why;
	int		 error;

	if ((why = layout_name_bad(db)) != NULL) {
		xasprintf(cause, "bad database name \"%s\": %s", db, why);
		return (-EINVAL);
	}
	if (fstatat(r->fd, db, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		error = -errno;
		if (errno == ENOENT)
			xasprintf(cause, "unknown database %s", db);
		else
			xasprintf(cause, "\"%s\": %s", db, strerror(errno));
		return (error);
	}
	if (!S_ISDIR(st.st_mode)) {
		xasprintf(cause, "\"%s\": a database must be a folder", db);
		return (-ENOTDIR);
	}
	d = xcalloc(1, sizeof *d);
	d->name = xstrdup(db);
	if ((error = data_walk_db(r->fd, d, cause)) != 0)
		goto fail;

	dataroot_ids_assign(r->ids, d);
	if ((error = dataroot_ids_save(r->ids, cause)) != 0)
		goto fail;
	*dbp = d;
	return (0);

fail:
	dataroot_db_free(d);
	return (error);
}

void
dataroot_db_free(struct data_db *d)
{
	struct data_table	*t;
	struct data_partition	*p;
	struct data_tablet	*tb;
	size_t			 i, j, k, l;

	if (d == NULL)
		return;
	for (i = 0; i < d->ntables; i++) {
		t = &d->tables[i];
		for (j = 0; j < t->npartitions; j++) {
			p = &t->partitions[j];
			for (k = 0; k < p->ntablets; k++) {
				tb = &p->tablets[k];
				for (l = 0; l < tb->nfiles; l++)
					free(tb->files[l]);
				free(tb->files);
				free(tb->sizes);
			}
			free(p->tablets);
			free(p->name);
		}
		free(t->partitions);
		free(t->name);
	}
	free(d->tables);
	free(d->name);
	free(d);
}

/*
 * Snapshot one tablet into dest/<tabletId>/ (dest below DIR/.snapfs) with
 * hard links.  Only regular files are linked: a link or anything else in
 * the tablet folder fails it.  A link that is already there and is the
 * same file is fine, so that a resumed job can do it again.
 */
int
dataroot_link(const struct data_root *r, const char *db, const char *table,
    const char *partition, const struct data_tablet *t, const char *dest,
    char **cause)
{
	struct stat	 sst, dst;
	const char	*f;
	char		*src, *to;
	size_t		 i;
	int		 sfd = -1, dfd = -1, error;

	if ((error = data_names_ok(db, table, partition, cause)) != 0)
		return (error);
	xasprintf(&src, "%s/%s/%s/%lld", db, table, partition,
	    (long long)t->id);
	xasprintf(&to, "%s/%lld", dest, (long long)t->id);
	if ((sfd = file_open(r->fd, src, O_RDONLY | O_DIRECTORY, 0)) == -1) {
		error = -errno;
		xasprintf(cause, "\"%s\": %s", src, strerror(errno));
		goto out;
	}
	if ((error = file_mkdirs(r->metafd, to, 0755)) != 0 ||
	    (dfd = file_open(r->metafd, to, O_RDONLY | O_DIRECTORY, 0)) ==
	    -1) {
		if (error == 0)
			error = -errno;
		xasprintf(cause, "%s/%s/%s: %s", r->path, DATA_META, to,
		    strerror(-error));
		goto out;
	}
	for (i = 0; i < t->nfiles; i++) {
		f = t->files[i];
		if (strchr(f, '/') != NULL || strcmp(f, ".") == 0 ||
		    strcmp(f, "..") == 0 || *f == '\0') {
			xasprintf(cause, "\"%s/%s\": bad file name", src, f);
			error = -EINVAL;
			goto out;
		}
		if (fstatat(sfd, f, &sst, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISREG(sst.st_mode)) {
			error = errno == ENOENT ? -ENOENT : -EINVAL;
			xasprintf(cause, "\"%s/%s\": %s", src, f, error ==
			    -ENOENT ? "gone" : "not a regular file");
			goto out;
		}
		if (linkat(sfd, f, dfd, f, 0) == 0)
			continue;
		error = -errno;
		if (errno == EEXIST &&
		    fstatat(dfd, f, &dst, AT_SYMLINK_NOFOLLOW) == 0 &&
		    sst.st_dev == dst.st_dev && sst.st_ino == dst.st_ino) {
			error = 0;
			continue;
		}
		if (error == -EEXIST)
			xasprintf(cause, "%s/%s: exists and is not \"%s/%s\"",
			    to, f, src, f);
		else
			xasprintf(cause, "linking \"%s/%s\" into %s: %s", src,
			    f, to, strerror(-error));
		goto out;
	}
out:
	if (dfd != -1)
		close(dfd);
	if (sfd != -1)
		close(sfd);
	free(to);
	free(src);
	return (error);
}

/* The folder that holds rel (beneath DIR/.snapfs), open, and its name. */
static int
meta_parent(const struct data_root *r, const char *rel, const char **name,
    bool make)
{
	char	*dir;
	int	 error;

	if (make && strchr(rel, '/') != NULL) {
		dir = xstrndup(rel, strrchr(rel, '/') - rel);
		error = file_mkdirs(r->metafd, dir, 0755);
		free(dir);
		if (error != 0) {
			errno = -error;
			return (-1);
		}
	}
	return (file_parent(r->metafd, rel, name));
}

/*
 * Switch a restored partition in: move the one in place (if any) to aside,
 * then staged into its place; on failure put the old one back, so that the
 * partition is never missing.  staged and aside are below DIR/.snapfs.  A
 * switch already done (staged gone and the partition there) is done again
 * as a no-op.
 */
int
dataroot_switch(struct data_root *r, const char *db, const char *table,
    const char *partition, const char *staged, const char *aside,
    char **cause)
{
	struct stat	 sst, st;
	const char	*sname, *aname;
	char		*tdir, *target;
	bool		 moved = false, made_db, made_table;
	int		 pfd = -1, spfd = -1, apfd = -1, error = 0, saved;

	if ((error = data_names_ok(db, table, partition, cause)) != 0)
		return (error);
	xasprintf(&tdir, "%s/%s", db, table);
	xasprintf(&target, "%s/%s", tdir, partition);
	if ((spfd = meta_parent(r, staged, &sname, false)) == -1 ||
	    fstatat(spfd, sname, &sst, AT_SYMLINK_NOFOLLOW) == -1) {
		error = -errno;
		if (errno == ENOENT &&
		    fstatat(r->fd, target, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISDIR(st.st_mode)) {
			log_debug("%s: %s already switched", r->path, target);
			error = 0;
		} else
			xasprintf(cause, "%s: %s", staged, strerror(-error));
		goto out;
	}
	if (!S_ISDIR(sst.st_mode)) {
		xasprintf(cause, "%s: not a folder", staged);
		error = -ENOTDIR;
		goto out;
	}
	made_db = (mkdirat(r->fd, db, 0755) == 0);
	if ((!made_db && errno != EEXIST) ||
	    (!(made_table = (mkdirat(r->fd, tdir, 0755) == 0)) &&
	    errno != EEXIST) ||
	    (pfd = file_open(r->fd, tdir, O_RDONLY | O_DIRECTORY, 0)) == -1 ||
	    fstat(pfd, &st) == -1) {
		error = -errno;
		xasprintf(cause, "\"%s\": %s", tdir, strerror(errno));
		goto out;
	}
	if (st.st_dev != sst.st_dev) {
		xasprintf(cause, "%s and \"%s\" are on different file systems",
		    staged, tdir);
		error = -EXDEV;
		goto out;
	}

	if ((apfd = meta_parent(r, aside, &aname, true)) == -1) {
		error = -errno;
		xasprintf(cause, "%s: %s", aside, strerror(errno));
		goto out;
	}
	if (fstatat(pfd, partition, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (renameat(pfd, partition, apfd, aname) == -1) {
			error = -errno;
			xasprintf(cause, "moving \"%s\" to %s: %s", target,
			    aside, strerror(errno));
			goto out;
		}
		moved = true;
	} else if (errno != ENOENT) {
		error = -errno;
		xasprintf(cause, "\"%s\": %s", target, strerror(errno));
		goto out;
	}
	if (renameat(spfd, sname, pfd, partition) == -1) {
		saved = errno;
		if (moved && renameat(apfd, aname, pfd, partition) == -1)
			log_warn("%s: moving %s back to \"%s\": %s", r->path,
			    aside, target, strerror(errno));
		xasprintf(cause, "moving %s to \"%s\": %s", staged, target,
		    strerror(saved));
		error = -saved;
		goto out;
	}

	/* Make the renames, and any folder made for them, durable. */
	if (fsync(pfd) == -1 || (moved && fsync(apfd) == -1) ||
	    fsync(spfd) == -1)
		error = -errno;
	if (error == 0 && made_table)
		error = data_syncdir(r->fd, db);
	if (error == 0 && made_db)
		error = data_syncdir(r->fd, ".");
	if (error != 0)
		xasprintf(cause, "syncing after the switch of \"%s\": %s",
		    target, strerror(-error));
out:
	if (apfd != -1)
		close(apfd);
	if (spfd != -1)
		close(spfd);
	if (pfd != -1)
		close(pfd);
	free(target);
	free(tdir);
	return (error);
}
