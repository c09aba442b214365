/*
 * The ids file of the data root, DIR/.snapfs/ids: one line for every
 * database, table and partition ever seen, with the ids it was given, so
 * that they stay the same from one backup to the next.  This file loads and
 * checks it, hands out new ids (in Doris's style, from 10001 up) to what a
 * scan finds that has none, and saves the file again atomically, with a
 * temporary file, fsync and rename.  Walking the data root is dataroot.c.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "snapfs.h"

#define DATA_IDS	"ids"
#define DATA_IDS_MAX	(256U * 1024 * 1024)	/* largest ids file read */
#define DATA_FIRST_ID	10001			/* where Doris starts */
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

/* The ids of one data root, and DIR/.snapfs, where they are kept. */
struct data_ids {
	char		*path;			/* the ids file, for messages */
	int		 metafd;		/* the folder that holds it */

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

static int
data_id_cmp(const void *a0, const void *b0)
{
	const struct data_id	*a = a0, *b = b0;

	if (a->kind != b->kind)
		return (a->kind < b->kind ? -1 : 1);
	return (strcmp(a->key, b->key));
}

static int
data_int64_cmp(const void *a0, const void *b0)
{
	const int64_t	*a = a0, *b = b0;

	return (*a < *b ? -1 : *a > *b);
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

/* Append a record; the caller sorts the table again before unlocking. */
static struct data_id *
data_id_add(struct data_ids *di, enum data_kind kind, const char *key)
{
	struct data_id	*id;

	if (di->nids == di->idscap) {
		di->idscap = di->idscap == 0 ? 64 : di->idscap * 2;
		di->ids = xreallocarray(di->ids, di->idscap, sizeof *di->ids);
	}
	id = &di->ids[di->nids++];
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
data_id_get(struct data_ids *di, size_t nsorted, enum data_kind kind,
    const char *key)
{
	struct data_id	 find, *id;

	find.kind = kind;
	find.key = (char *)key;
	if (nsorted != 0 && (id = bsearch(&find, di->ids, nsorted,
	    sizeof *di->ids, data_id_cmp)) != NULL)
		return (id);
	id = data_id_add(di, kind, key);
	id->id = di->next++;
	if (kind == DATA_TABLE) {
		id->extra = di->next++;
		id->schema_hash = data_schema_hash(key);
	} else if (kind == DATA_PARTITION)
		id->extra = 1;
	di->gen++;
	return (id);
}

/* Give ids to everything in d that has none and copy them into d. */
void
dataroot_ids_assign(struct data_ids *di, struct data_db *d)
{
	struct data_id		*id;
	struct data_table	*t;
	struct data_partition	*p;
	char			*key;
	size_t			 nsorted, i, j;

	pthread_mutex_lock(&di->lock);
	nsorted = di->nids;
	d->id = data_id_get(di, nsorted, DATA_DB, d->name)->id;
	for (i = 0; i < d->ntables; i++) {
		t = &d->tables[i];
		xasprintf(&key, "%s/%s", d->name, t->name);
		id = data_id_get(di, nsorted, DATA_TABLE, key);
		t->id = id->id;
		t->index_id = id->extra;
		t->schema_hash = id->schema_hash;
		free(key);
		for (j = 0; j < t->npartitions; j++) {
			p = &t->partitions[j];
			xasprintf(&key, "%s/%s/%s", d->name, t->name, p->name);
			id = data_id_get(di, nsorted, DATA_PARTITION, key);
			p->id = id->id;
			p->version = id->extra;
			free(key);
		}
	}
	if (di->nids != nsorted)
		qsort(di->ids, di->nids, sizeof *di->ids, data_id_cmp);
	pthread_mutex_unlock(&di->lock);
}

/* Rewrite the ids file if ids were given since it was last written. */
int
dataroot_ids_save(struct data_ids *di, char **cause)
{
	struct data_id	*id;
	struct buf	 b;
	uint64_t	 gen;
	size_t		 i;
	int		 error = 0;

	pthread_mutex_lock(&di->save_lock);
	pthread_mutex_lock(&di->lock);
	if ((gen = di->gen) == di->saved) {
		pthread_mutex_unlock(&di->lock);
		pthread_mutex_unlock(&di->save_lock);
		return (0);
	}
	buf_init(&b, SIZE_MAX / 2);
	for (i = 0; i < di->nids; i++) {
		id = &di->ids[i];
		buf_printf(&b, "%s\t%s\t%lld", data_kinds[id->kind], id->key,
		    (long long)id->id);
		if (id->kind == DATA_TABLE)
			buf_printf(&b, "\t%lld\t%d", (long long)id->extra,
			    (int)id->schema_hash);
		else if (id->kind == DATA_PARTITION)
			buf_printf(&b, "\t%lld", (long long)id->extra);
		buf_addc(&b, '\n');
	}
	buf_printf(&b, "next\t%lld\n", (long long)di->next);
	pthread_mutex_unlock(&di->lock);

	error = file_replace(di->metafd, DATA_IDS, b.data, b.len, 0600, true);
	if (error != 0)
		xasprintf(cause, "%s: %s", di->path, strerror(-error));
	else {
		pthread_mutex_lock(&di->lock);
		if (gen > di->saved)
			di->saved = gen;
		pthread_mutex_unlock(&di->lock);
	}
	pthread_mutex_unlock(&di->save_lock);
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
		ok = (layout_name_bad(part) == NULL);
		n++;
	}
	free(copy);
	return (ok && n == want);
}

/* Check one line of the ids file, split into nf fields, and add it. */
static const char *
data_load_line(struct data_ids *di, char **f, size_t nf, unsigned int line,
    int64_t *next)
{
	struct data_id	*id;
	enum data_kind	 kind;
	int64_t		 v;

	if (strcmp(f[0], "next") == 0) {
		if (nf != 2 || !layout_number(f[1], DATA_ID_MAX, next))
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
	id = data_id_add(di, kind, f[1]);
	id->line = line;
	if (!layout_number(f[2], DATA_ID_MAX, &id->id))
		return ("bad id");
	if (kind == DATA_TABLE) {
		if (!layout_number(f[3], DATA_ID_MAX, &id->extra))
			return ("bad index id");
		if (!layout_number(f[4], INT32_MAX, &v))
			return ("bad schema hash");
		id->schema_hash = v;
	} else if (kind == DATA_PARTITION &&
	    !layout_number(f[3], INT64_MAX, &id->extra))
		return ("bad version");
	return (NULL);
}

/* Refuse a key or an id that appears twice; set next past every id. */
static int
data_load_check(struct data_ids *di, const char *file, int64_t next,
    char **cause)
{
	int64_t	*all;
	size_t	 n = 0, i;
	int	 error = 0;

	if (di->nids != 0)
		qsort(di->ids, di->nids, sizeof *di->ids, data_id_cmp);
	for (i = 1; i < di->nids; i++) {
		if (data_id_cmp(&di->ids[i - 1], &di->ids[i]) == 0) {
			xasprintf(cause, "%s:%u: %s %s appears twice", file,
			    di->ids[i].line > di->ids[i - 1].line ?
			    di->ids[i].line : di->ids[i - 1].line,
			    data_kinds[di->ids[i].kind], di->ids[i].key);
			return (-EINVAL);
		}
	}
	all = xcalloc(di->nids * 2, sizeof *all);
	for (i = 0; i < di->nids; i++) {
		all[n++] = di->ids[i].id;
		if (di->ids[i].kind == DATA_TABLE)
			all[n++] = di->ids[i].extra;
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
	di->next = next;
	free(all);
	return (error);
}

/* Load DIR/.snapfs/ids, which may not exist yet. */
static int
data_load(struct data_ids *di, char **cause)
{
	struct buf	 b;
	char		*file, *line, *end, *nul, *f[6];
	const char	*why;
	size_t		 nf;
	unsigned int	 lineno = 0;
	int64_t		 next = 0;
	int		 error;

	file = xstrdup(di->path);
	buf_init(&b, DATA_IDS_MAX);
	if ((error = file_read_all(di->metafd, DATA_IDS, &b)) != 0) {
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
			why = data_load_line(di, f, nf, lineno, &next);
		if (why != NULL) {
			xasprintf(cause, "%s:%u: %s", file, lineno, why);
			error = -EINVAL;
			goto out;
		}
	}
	error = data_load_check(di, file, next, cause);
out:
	buf_free(&b);
	free(file);
	return (error);
}

/*
 * Load the ids kept in folder metafd (dir, for messages), if any; the
 * folder stays open and is the caller's.
 */
int
dataroot_ids_open(int metafd, const char *dir, struct data_ids **dip,
    char **cause)
{
	struct data_ids	*di;
	size_t		 i;
	int		 error;

	di = xcalloc(1, sizeof *di);
	xasprintf(&di->path, "%s/%s", dir, DATA_IDS);
	di->metafd = metafd;
	if ((error = data_load(di, cause)) != 0)
		goto fail;
	pthread_mutex_init(&di->lock, NULL);
	pthread_mutex_init(&di->save_lock, NULL);
	*dip = di;
	return (0);

fail:
	for (i = 0; i < di->nids; i++)
		free(di->ids[i].key);
	free(di->ids);
	free(di->path);
	free(di);
	return (error);
}

void
dataroot_ids_close(struct data_ids *di)
{
	size_t	i;

	if (di == NULL)
		return;
	for (i = 0; i < di->nids; i++)
		free(di->ids[i].key);
	free(di->ids);
	pthread_mutex_destroy(&di->lock);
	pthread_mutex_destroy(&di->save_lock);
	free(di->path);
	free(di);
}
