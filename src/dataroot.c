/*
 * The data root (-o data=DIR): a local folder that plays the Doris cluster,
 * DIR/<db>/<table>/<partition>/<tabletId>/<files>.  This file reads it
 * (one database at a time, sorted), gives every database, table, index and
 * partition an id the first time it is seen and keeps those ids in
 * DIR/.snapfs/ids so that they stay the same from one backup to the next,
 * snapshots a tablet with hard links as a Doris backend does, and switches
 * a restored partition in with renames, keeping the old one aside.
 */

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "snapfs.h"

#define DATA_META	".snapfs"
#define DATA_IDS	"ids"
#define DATA_IDS_TMP	"ids.tmp"
#define DATA_IDS_MAX	(256U * 1024 * 1024)	/* largest ids file read */
#define DATA_FIRST_ID	10001			/* where Doris starts */
#define DATA_NAME_MAX	256
#define DATA_ID_MAX	(INT64_MAX / 2)		/* leaves room to count up */

enum data_kind {
	DATA_DB,
	DATA_TABLE,
	DATA_PARTITION
};
static const char *data_kinds[] = { "db", "table", "partition" };

/* One line of the ids file; the key is the path below the root. */
struct data_id {
	enum data_kind	 kind;
	char		*key;
	int64_t		 id;
	int64_t		 extra;		/* index id, or partition version */
	int32_t		 schema_hash;	/* tables only */
	unsigned int	 line;		/* where it was read, for messages */
};

struct data_root {
	char		*path;
	int		 fd;
	int		 metafd;		/* DIR/.snapfs */

	pthread_mutex_t	 lock;
	struct data_id	*ids;		/* lock; sorted by kind and key */
	size_t		 nids;		/* lock */
	size_t		 idscap;	/* lock */
	int64_t		 next;		/* lock; the next id to give */
	uint64_t	 gen;		/* lock; bumped when an id is given */
	uint64_t	 saved;		/* lock; the gen in the ids file */

	/* Serializes writers of the ids file; held across that I/O only. */
	pthread_mutex_t	 save_lock;
};

/* A folder entry, with what lstat says about it. */
struct data_ent {
	char		*name;
	struct stat	 st;
};

static int
data_id_cmp(const void *a0, const void *b0)
{
	const struct data_id	*a = a0, *b = b0;

	if (a->kind != b->kind)
		return (a->kind < b->kind ? -1 : 1);
	return (strcmp(a->key, b->key));
}

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

static int
data_int64_cmp(const void *a0, const void *b0)
{
	const int64_t	*a = a0, *b = b0;

	return (*a < *b ? -1 : *a > *b);
}

/* Why name cannot be a database, table or partition, or NULL if it can. */
static const char *
data_name_bad(const char *name)
{
	const unsigned char	*p;

	if (*name == '\0')
		return ("empty name");
	if (strlen(name) > DATA_NAME_MAX)
		return ("name longer than 256 bytes");
	for (p = (const unsigned char *)name; *p != '\0'; p++) {
		if (*p == '.')
			return ("name must not contain '.'");
		if (*p == '/')
			return ("name must not contain '/'");
		if (*p < 0x20 || *p == 0x7f)
			return ("name must not contain control characters");
	}
	return (NULL);
}

/* Check every part of db/table/partition given to data_link or data_switch. */
static int
data_names_ok(const char *db, const char *table, const char *partition,
    char **cause)
{
	const char	*names[] = { db, table, partition }, *why;
	size_t		 i;

	for (i = 0; i < 3; i++) {
		if ((why = data_name_bad(names[i])) != NULL) {
			xasprintf(cause, "\"%s\": %s", names[i], why);
			return (-EINVAL);
		}
	}
	return (0);
}

/* A positive decimal number up to max, with no sign or leading zero. */
static bool
data_number(const char *s, int64_t max, int64_t *v)
{
	int64_t	n = 0;

	if (*s < '1' || *s > '9')
		return (false);
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || n > (max - (*s - '0')) / 10)
			return (false);
		n = n * 10 + (*s - '0');
	}
	*v = n;
	return (true);
}

/* A stable, positive int32 for a table, since nothing else gives one. */
static int32_t
data_schema_hash(const char *key)
{
	uint32_t	h = 2166136261U;

	for (; *key != '\0'; key++)
		h = (h ^ (unsigned char)*key) * 16777619U;
	h &= 0x7fffffff;
	return (h == 0 ? 1 : (int32_t)h);
}

static int
data_syncdir(int dirfd, const char *path)
{
	int	fd, error = 0;

	fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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

	fd = openat(rootfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
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
		if (!data_number(e[i].name, INT64_MAX, &p->tablets[i].id)) {
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
		why = data_name_bad((*ep)[i].name);
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

/* Append a record; the caller sorts the table again before unlocking. */
static struct data_id *
data_id_add(struct data_root *r, enum data_kind kind, const char *key)
{
	struct data_id	*id;

	if (r->nids == r->idscap) {
		r->idscap = r->idscap == 0 ? 64 : r->idscap * 2;
		r->ids = xreallocarray(r->ids, r->idscap, sizeof *r->ids);
	}
	id = &r->ids[r->nids++];
	memset(id, 0, sizeof *id);
	id->kind = kind;
	id->key = xstrdup(key);
	return (id);
}

/*
 * The record for key, looked up among the first nsorted (the ones sorted
 * before this scan), or a new one with fresh ids.  Called with lock held.
 */
static struct data_id *
data_id_get(struct data_root *r, size_t nsorted, enum data_kind kind,
    const char *key)
{
	struct data_id	 find, *id;

	find.kind = kind;
	find.key = (char *)key;
	if (nsorted != 0 && (id = bsearch(&find, r->ids, nsorted,
	    sizeof *r->ids, data_id_cmp)) != NULL)
		return (id);
	id = data_id_add(r, kind, key);
	id->id = r->next++;
	if (kind == DATA_TABLE) {
		id->extra = r->next++;
		id->schema_hash = data_schema_hash(key);
	} else if (kind == DATA_PARTITION)
		id->extra = 1;
	r->gen++;
	return (id);
}

/* Give ids to everything in d that has none and copy them into d. */
static void
data_assign(struct data_root *r, struct data_db *d)
{
	struct data_id		*id;
	struct data_table	*t;
	struct data_partition	*p;
	char			*key;
	size_t			 nsorted, i, j;

	pthread_mutex_lock(&r->lock);
	nsorted = r->nids;
	d->id = data_id_get(r, nsorted, DATA_DB, d->name)->id;
	for (i = 0; i < d->ntables; i++) {
		t = &d->tables[i];
		xasprintf(&key, "%s/%s", d->name, t->name);
		id = data_id_get(r, nsorted, DATA_TABLE, key);
		t->id = id->id;
		t->index_id = id->extra;
		t->schema_hash = id->schema_hash;
		free(key);
		for (j = 0; j < t->npartitions; j++) {
			p = &t->partitions[j];
			xasprintf(&key, "%s/%s/%s", d->name, t->name, p->name);
			id = data_id_get(r, nsorted, DATA_PARTITION, key);
			p->id = id->id;
			p->version = id->extra;
			free(key);
		}
	}
	if (r->nids != nsorted)
		qsort(r->ids, r->nids, sizeof *r->ids, data_id_cmp);
	pthread_mutex_unlock(&r->lock);
}

/* Rewrite the ids file if ids were given since it was last written. */
static int
data_save(struct data_root *r, char **cause)
{
	struct data_id	*id;
	struct buf	 b;
	uint64_t	 gen;
	size_t		 i;
	int		 fd, error = 0;

	pthread_mutex_lock(&r->save_lock);
	pthread_mutex_lock(&r->lock);
	if ((gen = r->gen) == r->saved) {
		pthread_mutex_unlock(&r->lock);
		pthread_mutex_unlock(&r->save_lock);
		return (0);
	}
	buf_init(&b, SIZE_MAX / 2);
	for (i = 0; i < r->nids; i++) {
		id = &r->ids[i];
		buf_printf(&b, "%s\t%s\t%lld", data_kinds[id->kind], id->key,
		    (long long)id->id);
		if (id->kind == DATA_TABLE)
			buf_printf(&b, "\t%lld\t%d", (long long)id->extra,
			    (int)id->schema_hash);
		else if (id->kind == DATA_PARTITION)
			buf_printf(&b, "\t%lld", (long long)id->extra);
		buf_addc(&b, '\n');
	}
	buf_printf(&b, "next\t%lld\n", (long long)r->next);
	pthread_mutex_unlock(&r->lock);

	fd = openat(r->metafd, DATA_IDS_TMP, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0600);
	if (fd == -1)
		error = -errno;
	else {
		if ((error = file_write_all(fd, b.data, b.len)) == 0 &&
		    fsync(fd) == -1)
			error = -errno;
		if (close(fd) == -1 && error == 0)
			error = -errno;
	}
	if (error == 0 && renameat(r->metafd, DATA_IDS_TMP, r->metafd,
	    DATA_IDS) == -1)
		error = -errno;
	if (error == 0 && fsync(r->metafd) == -1)
		error = -errno;
	if (error != 0)
		xasprintf(cause, "%s/%s/%s: %s", r->path, DATA_META, DATA_IDS,
		    strerror(-error));
	else {
		pthread_mutex_lock(&r->lock);
		if (gen > r->saved)
			r->saved = gen;
		pthread_mutex_unlock(&r->lock);
	}
	pthread_mutex_unlock(&r->save_lock);
	buf_free(&b);
	return (error);
}

/* Whether key is want good names joined by '/'. */
static bool
data_key_ok(const char *key, size_t want)
{
	char	*copy, *p, *part;
	size_t	 n = 0;
	bool	 ok = true;

	p = copy = xstrdup(key);
	while (ok && (part = strsep(&p, "/")) != NULL) {
		ok = (data_name_bad(part) == NULL);
		n++;
	}
	free(copy);
	return (ok && n == want);
}

/* Check one line of the ids file, split into nf fields, and add it. */
static const char *
data_load_line(struct data_root *r, char **f, size_t nf, unsigned int line,
    int64_t *next)
{
	struct data_id	*id;
	enum data_kind	 kind;
	int64_t		 v;

	if (strcmp(f[0], "next") == 0) {
		if (nf != 2 || !data_number(f[1], DATA_ID_MAX, next))
			return ("expected next, an id");
		return (NULL);
	}
	for (kind = DATA_DB; kind <= DATA_PARTITION; kind++)
		if (strcmp(f[0], data_kinds[kind]) == 0)
			break;
	if (kind > DATA_PARTITION)
		return ("unknown record");
	if (nf != (kind == DATA_DB ? 3U : kind == DATA_TABLE ? 5U : 4U))
		return ("wrong number of fields");
	if (!data_key_ok(f[1], (size_t)kind + 1))
		return ("bad name");
	id = data_id_add(r, kind, f[1]);
	id->line = line;
	if (!data_number(f[2], DATA_ID_MAX, &id->id))
		return ("bad id");
	if (kind == DATA_TABLE) {
		if (!data_number(f[3], DATA_ID_MAX, &id->extra))
			return ("bad index id");
		if (!data_number(f[4], INT32_MAX, &v))
			return ("bad schema hash");
		id->schema_hash = v;
	} else if (kind == DATA_PARTITION &&
	    !data_number(f[3], INT64_MAX, &id->extra))
		return ("bad version");
	return (NULL);
}

/* Refuse a key or an id that appears twice; set next past every id. */
static int
data_load_check(struct data_root *r, const char *file, int64_t next,
    char **cause)
{
	int64_t	*all;
	size_t	 n = 0, i;
	int	 error = 0;

	if (r->nids != 0)
		qsort(r->ids, r->nids, sizeof *r->ids, data_id_cmp);
	for (i = 1; i < r->nids; i++) {
		if (data_id_cmp(&r->ids[i - 1], &r->ids[i]) == 0) {
			xasprintf(cause, "%s:%u: %s %s appears twice", file,
			    r->ids[i].line > r->ids[i - 1].line ?
			    r->ids[i].line : r->ids[i - 1].line,
			    data_kinds[r->ids[i].kind], r->ids[i].key);
			return (-EINVAL);
		}
	}
	all = xcalloc(r->nids * 2, sizeof *all);
	for (i = 0; i < r->nids; i++) {
		all[n++] = r->ids[i].id;
		if (r->ids[i].kind == DATA_TABLE)
			all[n++] = r->ids[i].extra;
	}
	qsort(all, n, sizeof *all, data_int64_cmp);
	for (i = 1; i < n && error == 0; i++) {
		if (all[i - 1] == all[i]) {
			xasprintf(cause, "%s: id %lld is given twice", file,
			    (long long)all[i]);
			error = -EINVAL;
		}
	}
	if (next < DATA_FIRST_ID)
		next = DATA_FIRST_ID;
	if (n > 0 && next <= all[n - 1])
		next = all[n - 1] + 1;
	r->next = next;
	free(all);
	return (error);
}

/* Read the whole ids file into b; a missing file reads as empty. */
static int
data_read_ids(struct data_root *r, struct buf *b)
{
	char	chunk[16384];
	ssize_t	n;
	int	fd, error = 0;

	if ((fd = openat(r->metafd, DATA_IDS, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return (errno == ENOENT ? 0 : -errno);
	for (;;) {
		if ((n = read(fd, chunk, sizeof chunk)) == -1) {
			if (errno == EINTR)
				continue;
			error = -errno;
			break;
		}
		if (n == 0 || (error = buf_add(b, chunk, n)) != 0)
			break;
	}
	close(fd);
	return (error);
}

/* Load DIR/.snapfs/ids, which may not exist yet. */
static int
data_load(struct data_root *r, char **cause)
{
	struct buf	 b;
	char		*file, *line, *end, *nul, *f[6];
	const char	*why;
	size_t		 nf;
	unsigned int	 lineno = 0;
	int64_t		 next = 0;
	int		 error;

	xasprintf(&file, "%s/%s/%s", r->path, DATA_META, DATA_IDS);
	buf_init(&b, DATA_IDS_MAX);
	if ((error = data_read_ids(r, &b)) != 0) {
		xasprintf(cause, "%s: %s", file, strerror(-error));
		goto out;
	}
	if (b.len != 0 && (nul = memchr(b.data, '\0', b.len)) != NULL) {
		for (line = b.data; line < nul; line++)
			lineno += (*line == '\n');
		xasprintf(cause, "%s:%u: NUL byte", file, lineno + 1);
		error = -EINVAL;
		goto out;
	}
	for (line = b.data; line != NULL && *line != '\0'; line = end) {
		lineno++;
		if ((end = strchr(line, '\n')) != NULL)
			*end++ = '\0';
		if (*line == '\0')
			continue;
		nf = 0;
		f[nf++] = line;
		while (nf < 6 && (f[nf] = strchr(f[nf - 1], '\t')) != NULL)
			*f[nf++]++ = '\0';
		if (nf == 6)
			why = "too many fields";
		else if (nf < 2)
			why = "wrong number of fields";
		else
			why = data_load_line(r, f, nf, lineno, &next);
		if (why != NULL) {
			xasprintf(cause, "%s:%u: %s", file, lineno, why);
			error = -EINVAL;
			goto out;
		}
	}
	error = data_load_check(r, file, next, cause);
out:
	buf_free(&b);
	free(file);
	return (error);
}

int
data_open(const char *dir, struct data_root **rp, char **cause)
{
	struct data_root	*r;
	size_t			 i;
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
	r = xcalloc(1, sizeof *r);
	r->path = xstrdup(dir);
	r->fd = fd;
	r->metafd = -1;
	if ((mkdirat(fd, DATA_META, 0700) == -1 ? errno != EEXIST :
	    fsync(fd) == -1) ||
	    (r->metafd = openat(fd, DATA_META, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) == -1) {
		error = -errno;
		xasprintf(cause, "%s/%s: %s", dir, DATA_META, strerror(errno));
		goto fail;
	}
	if ((error = data_load(r, cause)) != 0)
		goto fail;
	pthread_mutex_init(&r->lock, NULL);
	pthread_mutex_init(&r->save_lock, NULL);
	*rp = r;
	return (0);

fail:
	for (i = 0; i < r->nids; i++)
		free(r->ids[i].key);
	free(r->ids);
	if (r->metafd != -1)
		close(r->metafd);
	close(r->fd);
	free(r->path);
	free(r);
	return (error);
}

void
data_close(struct data_root *r)
{
	size_t	i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nids; i++)
		free(r->ids[i].key);
	free(r->ids);
	pthread_mutex_destroy(&r->lock);
	pthread_mutex_destroy(&r->save_lock);
	close(r->metafd);
	close(r->fd);
	free(r->path);
	free(r);
}

const char *
data_path(const struct data_root *r)
{
	return (r->path);
}

/* The database folders, sorted; the caller frees each name and the array. */
int
data_databases(struct data_root *r, char ***namesp, size_t *np)
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
data_scan(struct data_root *r, const char *db, struct data_db **dbp,
    char **cause)
{
	struct data_db	*d;
	struct stat	 st;
	const char	*why;
	int		 error;

	if ((why = data_name_bad(db)) != NULL) {
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

	data_assign(r, d);
	if ((error = data_save(r, cause)) != 0)
		goto fail;
	*dbp = d;
	return (0);

fail:
	data_db_free(d);
	return (error);
}

void
data_db_free(struct data_db *d)
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
 * Snapshot one tablet into dest/<tabletId>/ with hard links.  A link that
 * is already there and is the same file is fine, so that a resumed job can
 * do it again.
 */
int
data_link(const struct data_root *r, const char *db, const char *table,
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
	sfd = openat(r->fd, src, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (sfd == -1) {
		error = -errno;
		xasprintf(cause, "\"%s\": %s", src, strerror(errno));
		goto out;
	}
	if ((error = file_mkdirs(AT_FDCWD, to, 0755)) != 0 ||
	    (dfd = open(to, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		if (error == 0)
			error = -errno;
		xasprintf(cause, "%s: %s", to, strerror(-error));
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
		if (linkat(sfd, f, dfd, f, 0) == 0)
			continue;
		error = -errno;
		if (errno == EEXIST &&
		    fstatat(sfd, f, &sst, AT_SYMLINK_NOFOLLOW) == 0 &&
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

/* The folder that holds path. */
static char *
data_parent(const char *path)
{
	char	*copy, *parent;

	copy = xstrdup(path);
	parent = xstrdup(dirname(copy));
	free(copy);
	return (parent);
}

/*
 * Switch a restored partition in: move the one in place (if any) to aside,
 * then staged into its place; on failure put the old one back, so that the
 * partition is never missing.  A switch already done (staged gone and the
 * partition there) is done again as a no-op.
 */
int
data_switch(struct data_root *r, const char *db, const char *table,
    const char *partition, const char *staged, const char *aside,
    char **cause)
{
	struct stat	 sst, st;
	char		*tdir, *target, *aparent = NULL, *sparent = NULL;
	bool		 moved = false, made_db, made_table;
	int		 pfd = -1, error, saved;

	if ((error = data_names_ok(db, table, partition, cause)) != 0)
		return (error);
	xasprintf(&tdir, "%s/%s", db, table);
	xasprintf(&target, "%s/%s", tdir, partition);
	if (lstat(staged, &sst) == -1) {
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
	    (pfd = openat(r->fd, tdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1 || fstat(pfd, &st) == -1) {
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

	aparent = data_parent(aside);
	if (fstatat(pfd, partition, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if ((error = file_mkdirs(AT_FDCWD, aparent, 0755)) != 0) {
			xasprintf(cause, "%s: %s", aparent, strerror(-error));
			goto out;
		}
		if (renameat(pfd, partition, AT_FDCWD, aside) == -1) {
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
	if (renameat(AT_FDCWD, staged, pfd, partition) == -1) {
		saved = errno;
		if (moved && renameat(AT_FDCWD, aside, pfd, partition) == -1)
			log_warn("%s: moving %s back to \"%s\": %s", r->path,
			    aside, target, strerror(errno));
		xasprintf(cause, "moving %s to \"%s\": %s", staged, target,
		    strerror(saved));
		error = -saved;
		goto out;
	}

	/* Make the renames, and any folder made for them, durable. */
	sparent = data_parent(staged);
	if (fsync(pfd) == -1)
		error = -errno;
	if (error == 0 && moved)
		error = data_syncdir(AT_FDCWD, aparent);
	if (error == 0)
		error = data_syncdir(AT_FDCWD, sparent);
	if (error == 0 && made_table)
		error = data_syncdir(r->fd, db);
	if (error == 0 && made_db)
		error = data_syncdir(r->fd, ".");
	if (error != 0)
		xasprintf(cause, "syncing after the switch of \"%s\": %s",
		    target, strerror(-error));
out:
	if (pfd != -1)
		close(pfd);
	free(sparent);
	free(aparent);
	free(target);
	free(tdir);
	return (error);
}
