/*
 * The key layout of a Doris repository location (doris-format.md section
 * 1), built and parsed here and nowhere else:
 *
 *	__palo_repository_<repo>/		a repository (StarRocks:
 *						__starrocks_repository_<repo>)
 *	    __repo_info				its CREATE REPOSITORY record
 *	    __ss_<label>/			a snapshot folder
 *		__info_<timestamp>.<md5>	a backup's job info
 *		__global_info_<timestamp>.<md5>	BACKUP GLOBAL's SQL (users,
 *						grants, catalogs, workload
 *						groups), beside a job info
 *		__meta.<md5>			the catalog objects
 *		__ss_content/__db_<id>/__tbl_<id>/__part_<id>/__idx_<id>/
 *		    __<tablet id>/<file>.<md5>	a tablet's files
 *		    __<tablet id>/__starrocks_snapshot_manifest
 *						StarRocks's list of them
 *
 * A name's md5 suffix is split at the last '.', as Doris does.  Doris names
 * (databases, tables, partitions, labels) never hold a '.', which is what
 * keeps the files snapfs adds apart from them.  Pure functions: no I/O.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapfs.h"

#define PALO_REPO	"__palo_repository_"
#define STARROCKS_REPO	"__starrocks_repository_"
#define REPO_INFO	"__repo_info"
#define SNAPSHOT	"__ss_"
#define INFO		"__info_"
#define GLOBAL_INFO	"__global_info_"
#define META		"__meta"
#define CONTENT		"__ss_content/"
#define MANIFEST	"__starrocks_snapshot_manifest"
#define LAYOUT_NAME_MAX	256

/* s without prefix, or NULL when it does not start with it. */
static const char *
after(const char *s, const char *prefix)
{
	size_t	len = strlen(prefix);

	return (strncmp(s, prefix, len) == 0 ? s + len : NULL);
}

/* The name of repository folder key, or NULL if it is none. */
const char *
layout_repo_name(const char *key)
{
	const char	*name;

	if ((name = after(key, PALO_REPO)) == NULL)
		name = after(key, STARROCKS_REPO);
	if (name == NULL || *name == '\0' || strchr(name, '/') != NULL)
		return (NULL);
	return (name);
}

/* The folder of a repository that a job creates: Doris's. */
char *
layout_repo_key(const char *name)
{
	char	*key;

	xasprintf(&key, PALO_REPO "%s", name);
	return (key);
}

/* repokey/__repo_info, or the bare name for "". */
char *
layout_repo_info(const char *repokey)
{
	char	*key;

	xasprintf(&key, "%s%s" REPO_INFO, repokey, *repokey != '\0' ? "/" : "");
	return (key);
}

bool
layout_is_repo_info(const char *name)
{
	return (strcmp(name, REPO_INFO) == 0);
}

/* The label of a snapshot folder's name, or NULL. */
const char *
layout_label(const char *name)
{
	const char	*label = after(name, SNAPSHOT);

	return (label != NULL && *label != '\0' &&
	    strchr(label, '/') == NULL ? label : NULL);
}

/* The name of label's snapshot folder: __ss_<label>. */
char *
layout_snapshot_name(const char *label)
{
	char	*name;

	xasprintf(&name, SNAPSHOT "%s", label);
	return (name);
}

/* Its folder key in repository repokey, ending in '/'. */
char *
layout_snapshot_dir(const char *repokey, const char *label)
{
	char	*dir;

	xasprintf(&dir, "%s/" SNAPSHOT "%s/", repokey, label);
	return (dir);
}

/* Is key exactly a snapshot folder, <repository>/__ss_<label>? */
bool
layout_is_snapshot_dir(const char *key)
{
	const char	*slash = strchr(key, '/');
	char		*repo;
	bool		 yes;

	if (slash == NULL || layout_label(slash + 1) == NULL)
		return (false);
	repo = xstrndup(key, slash - key);
	yes = layout_repo_name(repo) != NULL;
	free(repo);
	return (yes);
}

/* Is s (len bytes) exactly 32 lowercase hex digits? */
bool
layout_md5_is_hex(const char *s, size_t len)
{
	size_t	i;

	if (len != MD5_HEX_LEN)
		return (false);
	for (i = 0; i < len; i++) {
		if (strchr("0123456789abcdef", s[i]) == NULL || s[i] == '\0')
			return (false);
	}
	return (true);
}

/*
 * The length of name without its ".<md5>" suffix, or len itself when it
 * has none.  Doris splits at the last '.', so must we.
 */
size_t
layout_md5_suffix(const char *name, size_t len)
{
	if (len > MD5_HEX_LEN + 1 && name[len - MD5_HEX_LEN - 1] == '.' &&
	    layout_md5_is_hex(name + len - MD5_HEX_LEN, MD5_HEX_LEN))
		return (len - MD5_HEX_LEN - 1);
	return (len);
}

/*
 * Is name (an object at the top of a snapshot folder) a job info,
 * __info_<timestamp>[.<md5>]?  Its timestamp runs to the md5 suffix, or
 * else to the last '.' (a leftover __info_<ts>.part); *checked says
 * whether it has an md5.
 */
bool
layout_info(const char *name, const char **ts, size_t *tslen, bool *checked)
{
	const char	*p, *dot;
	size_t		 len, base;

	if ((p = after(name, INFO)) == NULL || strchr(p, '/') != NULL)
		return (false);
	len = strlen(p);
	base = layout_md5_suffix(p, len);
	*checked = base != len;
	if (!*checked && (dot = strrchr(p, '.')) != NULL)
		base = dot - p;
	*ts = p;
	*tslen = base;
	return (true);
}

/*
 * Is name (at the top of a snapshot folder) BACKUP GLOBAL's object,
 * __global_info_<timestamp>.<md5>?  Its timestamp runs to the md5 suffix;
 * one without an md5 cannot be checked and is none.  It never starts with
 * __info_, so layout_info never takes it for a job info.
 */
bool
layout_global_info(const char *name, const char **ts, size_t *tslen)
{
	const char	*p;
	size_t		 len, base;

	if ((p = after(name, GLOBAL_INFO)) == NULL || strchr(p, '/') != NULL)
		return (false);
	len = strlen(p);
	if ((base = layout_md5_suffix(p, len)) == len || base == 0)
		return (false);
	*ts = p;
	*tslen = base;
	return (true);
}

/* __info_<ts>.<md5>, or __info_<ts> without an md5. */
char *
layout_info_name(const char *ts, const char *md5)
{
	char	*name;

	xasprintf(&name, INFO "%s%s%s", ts, md5 != NULL ? "." : "",
	    md5 != NULL ? md5 : "");
	return (name);
}

/* The timestamp of a backup made at t, as Doris names its info. */
void
layout_timestamp(time_t t, char ts[LAYOUT_TS_MAX])
{
	struct tm	tm;

	localtime_r(&t, &tm);
	strftime(ts, LAYOUT_TS_MAX, "%Y-%m-%d-%H-%M-%S", &tm);
}

/* Is name __meta.<md5>? */
bool
layout_is_meta(const char *name)
{
	size_t	len = strlen(name);

	return (strncmp(name, META, strlen(META)) == 0 &&
	    len != strlen(META) &&
	    layout_md5_suffix(name, len) == strlen(META));
}

/* __meta.<md5>, or __meta for a message about it. */
char *
layout_meta_name(const char *md5)
{
	char	*name;

	xasprintf(&name, META "%s%s", md5 != NULL ? "." : "",
	    md5 != NULL ? md5 : "");
	return (name);
}

/* Is rel (below a snapshot folder) in its content? */
bool
layout_in_content(const char *rel)
{
	return (after(rel, CONTENT) != NULL);
}

/* The content folder, below a snapshot folder, ending in '/'. */
const char *
layout_content(void)
{
	return (CONTENT);
}

/*
 * The three steps of a tablet's folder below its snapshot folder, joined
 * with '/': a table's, a partition's, an index's and tablet's.  The tree
 * keeps each on its own folder; layout_tablet_dir joins them.
 */
char *
layout_table_key(int64_t db, int64_t table)
{
	char	*key;

	xasprintf(&key, CONTENT "__db_%" PRId64 "/__tbl_%" PRId64, db, table);
	return (key);
}

char *
layout_partition_key(int64_t partition)
{
	char	*key;

	xasprintf(&key, "__part_%" PRId64, partition);
	return (key);
}

char *
layout_tablet_key(int64_t index, int64_t tablet)
{
	char	*key;

	xasprintf(&key, "__idx_%" PRId64 "/__%" PRId64, index, tablet);
	return (key);
}

/* A tablet's folder below its snapshot folder, without a final '/'. */
char *
layout_tablet_dir(const struct layout_tablet *t)
{
	char	*a, *b, *c, *dir;

	a = layout_table_key(t->db, t->table);
	b = layout_partition_key(t->partition);
	c = layout_tablet_key(t->index, t->tablet);
	xasprintf(&dir, "%s/%s/%s", a, b, c);
	free(c);
	free(b);
	free(a);
	return (dir);
}

/* Parse "<prefix><digits>/" at *p, moving past it. */
static bool
step(const char **p, const char *prefix, int64_t *id)
{
	const char	*s = after(*p, prefix), *end;
	char		*digits;
	bool		 ok;

	if (s == NULL || (end = strchr(s, '/')) == NULL)
		return (false);
	digits = xstrndup(s, end - s);
	ok = layout_number(digits, INT64_MAX, id);
	free(digits);
	*p = end + 1;
	return (ok);
}

/*
 * Is rel (below a snapshot folder) a tablet's file?  Its folder's ids go
 * to t and *file points at its name.
 */
bool
layout_tablet_file(const char *rel, struct layout_tablet *t,
    const char **file)
{
	const char	*p = rel;

	if (!step(&p, CONTENT "__db_", &t->db) ||
	    !step(&p, "__tbl_", &t->table) ||
	    !step(&p, "__part_", &t->partition) ||
	    !step(&p, "__idx_", &t->index) || !step(&p, "__", &t->tablet) ||
	    *p == '\0' || strchr(p, '/') != NULL)
		return (false);
	*file = p;
	return (true);
}

/*
 * Is name (in a tablet's folder) StarRocks's manifest of the tablet's
 * files?  It has no md5 suffix and is no file of the tablet.
 */
bool
layout_is_manifest(const char *name)
{
	return (strcmp(name, MANIFEST) == 0);
}

/*
 * The next name of a manifest's text at *p, before end: one bare file name
 * (without its md5 suffix) a line, the last line's '\n' optional, so an
 * empty text names nothing.  1 with the name in *name and *len, 0 at the
 * end, -1 when the line is no file name (empty, "." or "..", too long, or
 * holding a '/' or a NUL); *p moves past the line.
 */
int
layout_manifest_next(const char **p, const char *end, const char **name,
    size_t *len)
{
	const char	*nl;

	if (*p >= end)
		return (0);
	if ((nl = memchr(*p, '\n', end - *p)) == NULL)
		nl = end;
	*name = *p;
	*len = nl - *p;
	*p = nl == end ? end : nl + 1;
	if (*len == 0 || *len > NAME_MAX_BYTES ||
	    memchr(*name, '/', *len) != NULL ||
	    memchr(*name, '\0', *len) != NULL ||
	    (*len <= 2 && strncmp(*name, "..", *len) == 0))
		return (-1);
	return (1);
}

/* Why name cannot be a database, table or partition, or NULL if it can. */
const char *
layout_name_bad(const char *name)
{
	const unsigned char	*p;

	if (*name == '\0')
		return ("empty name");
	if (strlen(name) > LAYOUT_NAME_MAX)
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

/* An id: a positive decimal number up to max, with no sign. */
bool
layout_number(const char *s, int64_t max, int64_t *v)
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
