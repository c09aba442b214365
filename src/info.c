/*
 * The Doris job-info JSON (__info_<timestamp>.<md5>) of every era, 0.9 to
 * 3.x and the manifest addendum (doris-format.md sections 2 and 10), read
 * into struct info: the names and ids of tables, partitions and indexes,
 * and per index its tablet ids and their order.  Tablet file lists and
 * manifests are checked and skipped, so a 100 MB info costs little more
 * than its ids; info_parse_files keeps the file lists too, for verify.  Ids may be numbers or strings, keys come in
 * any order, unknown keys are ignored, as Gson does.  info_details renders
 * the Details column of SHOW SNAPSHOT ... WHERE TIMESTAMP from the result.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapfs.h"

/* Caps on what one info may hold: tablet ids, and named objects. */
#define INFO_COUNT_MAX	(10U * 1000 * 1000)

struct info_ctx {
	struct json	 j;
	char		*cause;
	char		 path[192];	/* where the reader is, for messages */
	size_t		 pathlen;
	size_t		 nobjects;	/* tables, partitions, indexes, ... */
	size_t		 ntablets;	/* keys of "tablets" */
	size_t		 norder;	/* entries of "tablets_order" */
	bool		 have_objects;
	bool		 files;		/* keep tablet file lists */
};

struct info_dup {
	const char	*name;
	size_t		 i;
};

static void	info_free_files(struct info_index *);
static int	info_fail(struct info_ctx *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* Append ".name" (or "[i]" style text) to the path; return the old length. */
static size_t
info_push(struct info_ctx *c, const char *sep, const char *name)
{
	size_t	saved = c->pathlen, n;

	n = snprintf(c->path + saved, sizeof c->path - saved, "%s%s",
	    saved == 0 ? "" : sep, name);
	c->pathlen += n;
	if (c->pathlen >= sizeof c->path)
		c->pathlen = sizeof c->path - 1;
	for (n = saved; n < c->pathlen; n++) {
		if ((unsigned char)c->path[n] < 0x20 || c->path[n] == 0x7f)
			c->path[n] = '?';
	}
	return (saved);
}

static void
info_pop(struct info_ctx *c, size_t saved)
{
	c->pathlen = saved;
	c->path[saved] = '\0';
}

/* A problem with the value at the current path; keeps the first one. */
static int
info_fail(struct info_ctx *c, const char *fmt, ...)
{
	char	msg[256];
	va_list	ap;

	if (c->cause != NULL)
		return (-EINVAL);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	xasprintf(&c->cause, "info JSON: %s%s%s", c->path,
	    c->pathlen == 0 ? "" : ": ", msg);
	return (-EINVAL);
}

/* A syntax error: the reader's message carries the offset. */
static int
info_fail_json(struct info_ctx *c)
{
	if (c->cause == NULL)
		xasprintf(&c->cause, "info JSON: %s", c->j.error);
	return (-EINVAL);
}

/* Grow an array of n elements by one; capacity is the next power of two. */
static void *
info_grow(void *p, size_t n, size_t size)
{
	if (n != 0 && (n & (n - 1)) != 0)
		return (p);
	return (xreallocarray(p, n == 0 ? 1 : n * 2, size));
}

static int
info_count(struct info_ctx *c, size_t *count, const char *what)
{
	if (++*count > INFO_COUNT_MAX)
		return (info_fail(c, "more than %u %s", INFO_COUNT_MAX, what));
	return (0);
}

/* A NUL or another control character in s: no Doris name has one. */
static const char *
info_bad_char(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (s[i] == '\0')
			return ("a NUL character");
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return ("a control character");
	}
	return (NULL);
}

/* The key just read equals want (a key with a NUL in it matches nothing). */
static bool
info_is(struct info_ctx *c, const char *key, const char *want)
{
	return (strcmp(key, want) == 0 && c->j.key.len == strlen(want));
}

static int
info_skip(struct info_ctx *c)
{
	if (json_skip(&c->j) != 0)
		return (info_fail_json(c));
	return (0);
}

/*
 * Check the type of a known key's value: 1 when it is a or b, 0 when it is
 * null (Gson's "absent", skipped), or an error for any other type.
 */
static int
info_want(struct info_ctx *c, enum json_type a, enum json_type b,
    const char *what)
{
	enum json_type	t;

	if ((t = json_peek(&c->j)) == JSON_ERROR)
		return (info_fail_json(c));
	if (t == JSON_NULL)
		return (info_skip(c));
	if (t != a && t != b)
		return (info_fail(c, "expected %s", what));
	return (1);
}

/* Open the object or array of a known key: 1 when open, 0 for null. */
static int
info_open(struct info_ctx *c, enum json_type want)
{
	bool	obj = (want == JSON_OBJECT);
	int	r;

	r = info_want(c, want, want, obj ? "an object" : "an array");
	if (r == 1 && (obj ? json_object_begin(&c->j) :
	    json_array_begin(&c->j)) != 0)
		return (info_fail_json(c));
	return (r);
}

/* A string for a known key; null leaves *out alone. */
static int
info_str(struct info_ctx *c, char **out)
{
	const char	*s, *bad;
	size_t		 len;
	int		 r;

	if ((r = info_want(c, JSON_STRING, JSON_STRING, "a string")) <= 0)
		return (r);
	if (json_string(&c->j, &s, &len) != 0)
		return (info_fail_json(c));
	if ((bad = info_bad_char(s, len)) != NULL)
		return (info_fail(c, "string contains %s", bad));
	free(*out);
	*out = xstrndup(s, len);
	return (0);
}

/* An integer, as a number or a string; null leaves *out alone. */
static int
info_int(struct info_ctx *c, int64_t *out)
{
	int	r;

	if ((r = info_want(c, JSON_NUMBER, JSON_STRING, "an integer")) <= 0)
		return (r);
	if (json_int(&c->j, out) != 0)
		return (info_fail(c, "%s", c->j.error));
	return (0);
}

/* A tablet's file list, as names each ending in '\n'. */
static int
info_files(struct info_ctx *c, char **out)
{
	struct buf	b;
	const char	*s;
	size_t		 len;
	int		 r;

	if ((r = info_open(c, JSON_ARRAY)) <= 0)
		return (r);
	buf_init(&b, INFO_MAX);
	while ((r = json_array_next(&c->j)) == 1) {
		if (json_string(&c->j, &s, &len) != 0)
			break;
		if (len == 0 || memchr(s, '\n', len) != NULL ||
		    memchr(s, '\0', len) != NULL) {
			buf_free(&b);
			return (info_fail(c, "bad tablet file name"));
		}
		buf_add(&b, s, len);
		buf_addc(&b, '\n');
	}
	if (r != 0) {
		buf_free(&b);
		return (info_fail_json(c));
	}
	*out = buf_take(&b);
	return (0);
}

/*
 * A member of "tablets": a tablet id (a decimal integer, nothing else) and
 * its file list, checked and skipped unless asked for.
 */
static int
info_tablet(struct info_ctx *c, void *arg, const char *key)
{
	struct info_index	*x = arg;
	char			*end;
	long long		 id;
	int			 r;

	errno = 0;
	id = strtoll(key, &end, 10);
	if (!(key[0] == '-' || (key[0] >= '0' && key[0] <= '9')) ||
	    *end != '\0' || errno != 0 || c->j.key.len != strlen(key))
		return (info_fail(c, "tablet id is not an integer"));
	if ((r = info_count(c, &c->ntablets, "tablets")) != 0)
		return (r);
	x->tablets = info_grow(x->tablets, x->ntablets, sizeof *x->tablets);
	x->tablets[x->ntablets] = id;
	if (c->files) {
		x->files = info_grow(x->files, x->ntablets, sizeof *x->files);
		x->files[x->ntablets] = NULL;
		x->ntablets++;
		return (info_files(c, &x->files[x->ntablets - 1]));
	}
	x->ntablets++;
	return (info_want(c, JSON_ARRAY, JSON_ARRAY, "an array"));
}

/* "tablets_order": tablet ids, as numbers (or strings before 0.14). */
static int
info_order(struct info_ctx *c, struct info_index *x)
{
	char	elem[32];
	size_t	saved;
	int	r;

	if ((r = info_open(c, JSON_ARRAY)) <= 0)
		return (r);
	free(x->order);
	x->order = NULL;
	x->norder = 0;
	while ((r = json_array_next(&c->j)) == 1) {
		if ((r = info_count(c, &c->norder, "tablets")) != 0)
			return (r);
		x->order = info_grow(x->order, x->norder, sizeof *x->order);
		snprintf(elem, sizeof elem, "[%zu]", x->norder);
		saved = info_push(c, "", elem);
		if (json_peek(&c->j) == JSON_NULL)
			return (info_fail(c, "expected an integer"));
		if ((r = info_int(c, &x->order[x->norder])) != 0)
			return (r);
		info_pop(c, saved);
		x->norder++;
	}
	return (r < 0 ? info_fail_json(c) : 0);
}

/*
 * Read an object member by member: fn reads the value of a key it knows
 * and returns 1 for any other key, whose value is skipped.  null stands
 * for an absent object.
 */
static int
info_members(struct info_ctx *c, void *arg,
    int (*fn)(struct info_ctx *, void *, const char *))
{
	const char	*key;
	size_t		 saved;
	int		 r;

	if ((r = info_open(c, JSON_OBJECT)) <= 0)
		return (r);
	while ((r = json_object_next(&c->j, &key)) == 1) {
		saved = info_push(c, ".", key);
		if ((r = fn(c, arg, key)) == 1)
			r = info_skip(c);
		if (r != 0)
			return (r);
		info_pop(c, saved);
	}
	return (r < 0 ? info_fail_json(c) : 0);
}

static void *
info_add_table(void *owner)
{
	struct info	*info = owner;

	info->tables = info_grow(info->tables, info->ntables,
	    sizeof *info->tables);
	return (memset(&info->tables[info->ntables++], 0,
	    sizeof *info->tables));
}

static void *
info_add_partition(void *owner)
{
	struct info_table	*t = owner;

	t->partitions = info_grow(t->partitions, t->npartitions,
	    sizeof *t->partitions);
	return (memset(&t->partitions[t->npartitions++], 0,
	    sizeof *t->partitions));
}

static void *
info_add_index(void *owner)
{
	struct info_partition	*part = owner;

	part->indexes = info_grow(part->indexes, part->nindexes,
	    sizeof *part->indexes);
	return (memset(&part->indexes[part->nindexes++], 0,
	    sizeof *part->indexes));
}

/*
 * An object of named objects ("backup_objects", "partitions", "indexes"):
 * add appends a zeroed element to owner, fn reads its members.  Duplicate
 * names are appended too and dropped at the end.
 */
static int
info_named(struct info_ctx *c, void *owner, void *(*add)(void *),
    int (*fn)(struct info_ctx *, void *, const char *))
{
	const char	*key, *bad;
	size_t		 saved;
	void		*elem;
	int		 r;

	if ((r = info_open(c, JSON_OBJECT)) <= 0)
		return (r);
	while ((r = json_object_next(&c->j, &key)) == 1) {
		saved = info_push(c, ".", key);
		if ((r = info_count(c, &c->nobjects, "objects")) != 0)
			return (r);
		if ((bad = info_bad_char(key, c->j.key.len)) != NULL)
			return (info_fail(c, "name contains %s", bad));
		/* Every element struct starts with its char *name. */
		elem = add(owner);
		*(char **)elem = xstrdup(key);
		if ((r = info_members(c, elem, fn)) != 0)
			return (r);
		info_pop(c, saved);
	}
	return (r < 0 ? info_fail_json(c) : 0);
}

static int
info_index(struct info_ctx *c, void *arg, const char *key)
{
	struct info_index	*x = arg;

	if (info_is(c, key, "id"))
		return (info_int(c, &x->id));
	if (info_is(c, key, "schema_hash"))
		return (info_int(c, &x->schema_hash));
	if (info_is(c, key, "tablets")) {
		/* A repeated key replaces, as in Gson. */
		info_free_files(x);
		free(x->tablets);
		x->tablets = NULL;
		x->ntablets = 0;
		return (info_members(c, x, info_tablet));
	}
	if (info_is(c, key, "tablets_order"))
		return (info_order(c, x));
	return (1);	/* sortedTabletInfoList, tablet_manifests, ... */
}

static int
info_partition(struct info_ctx *c, void *arg, const char *key)
{
	struct info_partition	*part = arg;

	if (info_is(c, key, "id"))
		return (info_int(c, &part->id));
	if (info_is(c, key, "version"))
		return (info_int(c, &part->version));
	if (info_is(c, key, "indexes"))
		return (info_named(c, part, info_add_index, info_index));
	return (1);	/* version_hash, ... */
}

static int
info_table(struct info_ctx *c, void *arg, const char *key)
{
	struct info_table	*t = arg;

	if (info_is(c, key, "id"))
		return (info_int(c, &t->id));
	if (info_is(c, key, "partitions"))
		return (info_named(c, t, info_add_partition, info_partition));
	return (1);
}

/* An element of a new_backup_objects list. */
struct info_item {
	const char	 *field;	/* the key that holds its name */
	char		**name;
	int64_t		 *id;		/* NULL when not kept */
};

static int
info_item(struct info_ctx *c, void *arg, const char *key)
{
	struct info_item	*it = arg;

	if (info_is(c, key, it->field))
		return (info_str(c, it->name));
	if (it->id != NULL && info_is(c, key, "id"))
		return (info_int(c, it->id));
	return (1);
}

/*
 * A list of new_backup_objects: views keep id and name, ODBC tables their
 * doris_table_name, ODBC resources their name.
 */
static int
info_list(struct info_ctx *c, const char *field, struct info_view **views,
    char ***names, size_t *n)
{
	struct info_item	 it;
	enum json_type		 t;
	char			 elem[32];
	size_t			 saved;
	int			 r;

	if ((r = info_open(c, JSON_ARRAY)) <= 0)
		return (r);
	it.field = field;
	while ((r = json_array_next(&c->j)) == 1) {
		snprintf(elem, sizeof elem, "[%zu]", *n);
		saved = info_push(c, "", elem);
		if ((r = info_count(c, &c->nobjects, "objects")) != 0)
			return (r);
		if (views != NULL) {
			*views = info_grow(*views, *n, sizeof **views);
			it.name = &(*views)[*n].name;
			it.id = &(*views)[*n].id;
			*it.id = 0;
		} else {
			*names = info_grow(*names, *n, sizeof **names);
			it.name = &(*names)[*n];
			it.id = NULL;
		}
		*it.name = NULL;
		(*n)++;
		if ((t = json_peek(&c->j)) != JSON_OBJECT)
			return (t == JSON_ERROR ? info_fail_json(c) :
			    info_fail(c, "expected an object"));
		if ((r = info_members(c, &it, info_item)) != 0)
			return (r);
		if (*it.name == NULL)
			*it.name = xstrdup("");
		info_pop(c, saved);
	}
	return (r < 0 ? info_fail_json(c) : 0);
}

static int
info_new_objects(struct info_ctx *c, void *arg, const char *key)
{
	struct info	*info = arg;

	if (info_is(c, key, "views"))
		return (info_list(c, "name", &info->views, NULL,
		    &info->nviews));
	if (info_is(c, key, "odbc_tables"))
		return (info_list(c, "doris_table_name", NULL,
		    &info->odbc_tables, &info->nodbc_tables));
	if (info_is(c, key, "odbc_resources"))
		return (info_list(c, "name", NULL, &info->odbc_resources,
		    &info->nodbc_resources));
	return (1);
}

static int
info_top(struct info_ctx *c, void *arg, const char *key)
{
	struct info	*info = arg;

	if (info_is(c, key, "name"))
		return (info_str(c, &info->name));
	if (info_is(c, key, "database"))
		return (info_str(c, &info->database));
	if (info_is(c, key, "id"))
		return (info_int(c, &info->id));
	if (info_is(c, key, "backup_time"))
		return (info_int(c, &info->backup_time));
	if (info_is(c, key, "content"))
		return (info_str(c, &info->content));
	if (info_is(c, key, "meta_version"))
		return (info_int(c, &info->meta_version));
	if (info_is(c, key, "backup_objects")) {
		if (json_peek(&c->j) == JSON_OBJECT)
			c->have_objects = true;
		return (info_named(c, info, info_add_table, info_table));
	}
	if (info_is(c, key, "new_backup_objects"))
		return (info_members(c, info, info_new_objects));
	return (1);
}

static int
info_dup_cmp(const void *a, const void *b)
{
	const struct info_dup	*x = a, *y = b;
	int			 r;

	if ((r = strcmp(x->name, y->name)) != 0)
		return (r);
	return (x->i < y->i ? -1 : x->i > y->i);
}

/*
 * Drop every element whose name an earlier one has, keeping the order of
 * the rest; return the new count.  Gson refuses a map with a duplicate key;
 * snapfs is lenient and the first wins, as a directory shows one entry per
 * name.  Each element starts with its char *name.  Runs once the whole
 * document is read: nothing is appended to a shrunk array afterwards.
 */
static size_t
info_dedup(void *base, size_t n, size_t size, void (*drop)(void *))
{
	struct info_dup	*d;
	bool		*gone;
	char		*p = base;
	size_t		 i, w;

	if (n < 2)
		return (n);
	d = xreallocarray(NULL, n, sizeof *d);
	for (i = 0; i < n; i++) {
		d[i].name = *(char **)(p + i * size);
		d[i].i = i;
	}
	qsort(d, n, sizeof *d, info_dup_cmp);
	gone = xcalloc(n, sizeof *gone);
	for (i = 1; i < n; i++) {
		if (strcmp(d[i].name, d[i - 1].name) == 0)
			gone[d[i].i] = true;
	}
	free(d);
	for (i = w = 0; i < n; i++) {
		if (gone[i]) {
			drop(p + i * size);
			continue;
		}
		if (w != i)
			memcpy(p + w * size, p + i * size, size);
		w++;
	}
	free(gone);
	return (w);
}

static void
info_free_files(struct info_index *x)
{
	size_t	i;

	if (x->files != NULL)
		for (i = 0; i < x->ntablets; i++)
			free(x->files[i]);
	free(x->files);
	x->files = NULL;
}

static void
info_free_index(void *p)
{
	struct info_index	*x = p;

	info_free_files(x);
	free(x->name);
	free(x->tablets);
	free(x->order);
}

static void
info_free_partition(void *p)
{
	struct info_partition	*part = p;
	size_t			 i;

	for (i = 0; i < part->nindexes; i++)
		info_free_index(&part->indexes[i]);
	free(part->indexes);
	free(part->name);
}

static void
info_free_table(void *p)
{
	struct info_table	*t = p;
	size_t			 i;

	for (i = 0; i < t->npartitions; i++)
		info_free_partition(&t->partitions[i]);
	free(t->partitions);
	free(t->name);
}

static int
info_id_cmp(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x < y ? -1 : x > y);
}

/* Drop duplicate names; give indexes without tablets_order sorted ids. */
static void
info_settle(struct info *info)
{
	struct info_table	*t;
	struct info_partition	*part;
	struct info_index	*x;
	size_t			 i, k, m;

	info->ntables = info_dedup(info->tables, info->ntables,
	    sizeof *info->tables, info_free_table);
	for (i = 0; i < info->ntables; i++) {
		t = &info->tables[i];
		t->npartitions = info_dedup(t->partitions, t->npartitions,
		    sizeof *t->partitions, info_free_partition);
		for (k = 0; k < t->npartitions; k++) {
			part = &t->partitions[k];
			part->nindexes = info_dedup(part->indexes,
			    part->nindexes, sizeof *part->indexes,
			    info_free_index);
			for (m = 0; m < part->nindexes; m++) {
				x = &part->indexes[m];
				if (x->norder != 0 || x->ntablets == 0)
					continue;
				free(x->order);
				x->order = xreallocarray(NULL, x->ntablets,
				    sizeof *x->order);
				memcpy(x->order, x->tablets,
				    x->ntablets * sizeof *x->order);
				x->norder = x->ntablets;
				qsort(x->order, x->norder, sizeof *x->order,
				    info_id_cmp);
			}
		}
	}
}

static int
info_read(const char *buf, size_t len, bool files, struct info **infop,
    char **cause)
{
	struct info_ctx	 c;
	struct info	*info;
	enum json_type	 t;
	int		 error;

	*infop = NULL;
	if (len > INFO_MAX) {
		if (cause != NULL)
			xasprintf(cause, "info JSON: larger than %llu bytes",
			    INFO_MAX);
		return (-EFBIG);
	}
	memset(&c, 0, sizeof c);
	c.files = files;
	json_init(&c.j, buf, len);
	info = xcalloc(1, sizeof *info);

	if ((t = json_peek(&c.j)) != JSON_OBJECT)
		error = t == JSON_ERROR ? info_fail_json(&c) :
		    info_fail(&c, "not an object");
	else if ((error = info_members(&c, info, info_top)) == 0 &&
	    json_finish(&c.j) != 0)
		error = info_fail_json(&c);
	if (error == 0 && info->name == NULL)
		error = info_fail(&c, "missing \"name\"");
	if (error == 0 && !c.have_objects)
		error = info_fail(&c, "missing \"backup_objects\"");
	if (error != 0)
		goto fail;
	if (info->database == NULL) {
		/* Doris always writes it; show an empty Database column. */
		log_debug("info %s: no database", info->name);
		info->database = xstrdup("");
	}
	if (info->content == NULL)
		info->content = xstrdup("ALL");	/* before 0.14 */
	info_settle(info);
	json_free(&c.j);
	*infop = info;
	return (0);

fail:
	json_free(&c.j);
	info_free(info);
	if (cause != NULL)
		*cause = c.cause;
	else
		free(c.cause);
	return (error);
}

int
info_parse(const char *buf, size_t len, struct info **infop, char **cause)
{
	return (info_read(buf, len, false, infop, cause));
}

int
info_parse_files(const char *buf, size_t len, struct info **infop,
    char **cause)
{
	return (info_read(buf, len, true, infop, cause));
}

void
info_free(struct info *info)
{
	size_t	i;

	if (info == NULL)
		return;
	for (i = 0; i < info->ntables; i++)
		info_free_table(&info->tables[i]);
	free(info->tables);
	for (i = 0; i < info->nviews; i++)
		free(info->views[i].name);
	free(info->views);
	for (i = 0; i < info->nodbc_tables; i++)
		free(info->odbc_tables[i]);
	for (i = 0; i < info->nodbc_resources; i++)
		free(info->odbc_resources[i]);
	free(info->odbc_tables);
	free(info->odbc_resources);
	free(info->name);
	free(info->database);
	free(info->content);
	free(info);
}

static void
info_quote(struct buf *b, const char *s)
{
	json_quote(b, s, strlen(s));
}

/* End a pretty-printed list of n elements: "[]" when empty. */
static void
info_close_list(struct buf *b, size_t n, const char *indent)
{
	if (n != 0)
		buf_printf(b, "\n%s", indent);
	buf_addc(b, ']');
}

/* A Details list of objects that have one string each. */
static void
info_name_list(struct buf *b, const char *list, const char *field,
    char **names, size_t n)
{
	size_t	i;

	buf_printf(b, ",\n  \"%s\": [", list);
	for (i = 0; i < n; i++) {
		buf_printf(b, "%s\n    {\n      \"%s\": ", i ? "," : "", field);
		info_quote(b, names[i]);
		buf_printf(b, "\n    }");
	}
	info_close_list(b, n, "  ");
}

/*
 * The Details column: BriefBackupJobInfo as Gson pretty-prints it (2-space
 * indent, one array element a line, "[]" for empty arrays), with tables and
 * partitions in file order where Doris has HashMap order, and a final
 * newline.
 */
char *
info_details(const struct info *info, size_t *lenp)
{
	const struct info_table	*t;
	struct buf		 b;
	size_t			 i, k;

	buf_init(&b, SIZE_MAX / 2);
	buf_printf(&b, "{\n  \"name\": ");
	info_quote(&b, info->name);
	buf_printf(&b, ",\n  \"database\": ");
	info_quote(&b, info->database);
	buf_printf(&b, ",\n  \"backup_time\": %lld,\n  \"content\": ",
	    (long long)info->backup_time);
	info_quote(&b, info->content);

	buf_printf(&b, ",\n  \"olap_table_list\": [");
	for (i = 0; i < info->ntables; i++) {
		t = &info->tables[i];
		buf_printf(&b, "%s\n    {\n      \"name\": ", i ? "," : "");
		info_quote(&b, t->name);
		buf_printf(&b, ",\n      \"partition_names\": [");
		for (k = 0; k < t->npartitions; k++) {
			buf_printf(&b, "%s\n        ", k ? "," : "");
			info_quote(&b, t->partitions[k].name);
		}
		info_close_list(&b, t->npartitions, "      ");
		buf_printf(&b, "\n    }");
	}
	info_close_list(&b, info->ntables, "  ");

	buf_printf(&b, ",\n  \"view_list\": [");
	for (i = 0; i < info->nviews; i++) {
		buf_printf(&b, "%s\n    {\n      \"id\": %lld,\n"
		    "      \"name\": ", i ? "," : "",
		    (long long)info->views[i].id);
		info_quote(&b, info->views[i].name);
		buf_printf(&b, "\n    }");
	}
	info_close_list(&b, info->nviews, "  ");

	info_name_list(&b, "odbc_table_list", "doris_table_name",
	    info->odbc_tables, info->nodbc_tables);
	info_name_list(&b, "odbc_resource_list", "name",
	    info->odbc_resources, info->nodbc_resources);
	buf_printf(&b, "\n}\n");

	if (lenp != NULL)
		*lenp = b.len;
	return (buf_take(&b));
}
