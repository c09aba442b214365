/*
 * The verify job: check a snapshot in its repository without restoring
 * it.
 *
 *	PENDING		the snapshot and its info exist (verify_check, when
 *			the line is written)
 *	VERIFYING	one recursive listing of the snapshot folder; the info
 *			read, md5-checked and parsed with its file lists; the
 *			__meta checked and parsed; each index's tablets_order
 *			against its tablets; every tablet against its folder;
 *			every object of the content read in parallel, its md5
 *			checked, each tablet header decoded and each StarRocks
 *			manifest checked against its tablet's folder
 *	FINISHED	whatever was found: report.txt says OK or lists each
 *			problem, one a line, sorted
 *
 * A problem is never an error of the job: the job ends CANCELLED only
 * when it is cancelled or times out.
 */

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapfs.h"

#define VERIFY_THREADS		16
#define VERIFY_KEEP_MAX		(16U * 1024 * 1024) /* a header, a manifest */
#define VERIFY_LINES_MAX	10000	/* problems listed in the report */
#define META_JSON_VERSION	136	/* __meta is JSON from this on */

struct vobject {
	char		*key;		/* below the snapshot folder */
	uint64_t	 size;
	bool		 known;		/* the info or the layout names it */
};

struct verify {
	struct job	 *job;
	struct vobject	 *objs;		/* sorted by key */
	size_t		  nobjs;
	size_t		 *reads;	/* objects of the content, to read */
	size_t		  nreads;
	pthread_mutex_t	  lock;		/* the problems */
	char		**problems;
	size_t		  nproblems;
	uint64_t	  total;
};

static void	problem(struct verify *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static void
problem(struct verify *v, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		fatalx("problem");
	va_end(ap);
	pthread_mutex_lock(&v->lock);
	v->total++;
	if (v->nproblems < VERIFY_LINES_MAX) {
		v->problems = xreallocarray(v->problems, v->nproblems + 1,
		    sizeof *v->problems);
		v->problems[v->nproblems++] = s;
	} else
		free(s);
	pthread_mutex_unlock(&v->lock);
}

static int
verify_check(struct job *j, char **cause)
{
	struct repo_snapshot		 rs;
	const struct repo_object	*o = NULL;
	const char			*want = j->req->timestamp;
	int				 error;

	/* A folder without an info is verified too: it has a row. */
	if ((error = job_snapshot(j, true, &rs, cause)) == 0 &&
	    (o = repo_snapshot_info(&rs, want)) == NULL && want != NULL) {
		xasprintf(cause, "snapshot %s has no info file at %s",
		    j->req->label, want);
		error = -ENOENT;
	} else if (error == 0 && o != NULL) {
		j->timestamp = repo_timestamp(o->name);
		xasprintf(&j->info_key, "%s%s", j->folder, o->name);
	}
	repo_snapshot_free(&rs);
	return (error);
}

static int
object_entry(void *arg, const struct broker_entry *e)
{
	struct verify	*v = arg;
	const char	*folder = v->job->folder;

	if (e->is_dir || strncmp(e->key, folder, strlen(folder)) != 0)
		return (0);
	v->objs = xreallocarray(v->objs, v->nobjs + 1, sizeof *v->objs);
	v->objs[v->nobjs].key = xstrdup(e->key + strlen(folder));
	v->objs[v->nobjs].size = e->size;
	v->objs[v->nobjs].known = false;
	v->nobjs++;
	return (0);
}

static int
object_cmp(const void *a, const void *b)
{
	return (strcmp(((const struct vobject *)a)->key,
	    ((const struct vobject *)b)->key));
}

/* The object named key, or NULL. */
static struct vobject *
object_find(struct verify *v, const char *key)
{
	struct vobject	want = { (char *)key, 0, false };

	if (v->nobjs == 0)
		return (NULL);
	return (bsearch(&want, v->objs, v->nobjs, sizeof *v->objs,
	    object_cmp));
}

/* The index of the first object whose key starts with prefix. */
static size_t
object_first(struct verify *v, const char *prefix)
{
	size_t	lo = 0, hi = v->nobjs, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (strcmp(v->objs[mid].key, prefix) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo);
}

static bool
has_prefix(const char *s, const char *prefix)
{
	return (strncmp(s, prefix, strlen(prefix)) == 0);
}

/*
 * The __meta object parses: from meta_version 136 on, a 4-byte big-endian
 * length and a JSON object; before, Java binary whose table records only
 * a Java reader can walk, so only its table count and the first table's
 * type name are checked.
 */
static const char *
meta_problem(const char *p, size_t len, int64_t meta_version, char *why,
    size_t size)
{
	struct json	j;
	uint32_t	n, m;
	size_t		i;

	if (len < 4)
		return ("shorter than 4 bytes");
	n = (uint32_t)(uint8_t)p[0] << 24 | (uint32_t)(uint8_t)p[1] << 16 |
	    (uint32_t)(uint8_t)p[2] << 8 | (uint8_t)p[3];
	if (meta_version >= META_JSON_VERSION ||
	    (n == len - 4 && len > 4 && p[4] == '{')) {
		if (n != len - 4) {
			snprintf(why, size, "its length field says %" PRIu32
			    " bytes of JSON, it holds %zu", n, len - 4);
			return (why);
		}
		json_init(&j, p + 4, n);
		if (json_peek(&j) != JSON_OBJECT || json_skip(&j) != 0 ||
		    json_finish(&j) != 0)
			snprintf(why, size, "its JSON does not parse: %s",
			    j.error[0] != '\0' ? j.error : "not an object");
		else
			why = NULL;
		json_free(&j);
		return (why);
	}
	if (n > 1000000) {
		snprintf(why, size, "table count %" PRIu32 " is absurd", n);
		return (why);
	}
	if (n == 0)
		return (len == 4 || len == 8 ? NULL : "trailing bytes after "
		    "an empty table list");
	if (len < 8)
		return ("cut short after the table count");
	m = (uint32_t)(uint8_t)p[4] << 24 | (uint32_t)(uint8_t)p[5] << 16 |
	    (uint32_t)(uint8_t)p[6] << 8 | (uint8_t)p[7];
	if (m == 0 || m > 32 || len < 8 + m)
		return ("the first table has no type name");
	for (i = 0; i < m; i++)
		if (!((p[8 + i] >= 'A' && p[8 + i] <= 'Z') || p[8 + i] == '_'))
			return ("the first table's type is not a name");
	return (NULL);
}

static void
check_meta(struct verify *v, int64_t meta_version)
{
	struct job	*j = v->job;
	struct buf	 b;
	char		*key, *cause = NULL, why[256];
	const char	*bad;
	size_t		 i, n = 0;

	for (i = 0; i < v->nobjs; i++) {
		if (!layout_is_meta(v->objs[i].key))
			continue;
		v->objs[i].known = true;
		n++;
		xasprintf(&key, "%s%s", j->folder, v->objs[i].key);
		if (repo_read_checked(job_broker(j), key, v->objs[i].size, &b,
		    &j->abort, &cause) != 0)
			problem(v, "%s: %s", v->objs[i].key, cause);
		else if ((bad = meta_problem(b.data, b.len, meta_version, why,
		    sizeof why)) != NULL)
			problem(v, "%s: does not parse: %s", v->objs[i].key,
			    bad);
		free(cause);
		cause = NULL;
		free(key);
		buf_free(&b);
	}
	key = layout_meta_name(NULL);
	if (n == 0)
		problem(v, "%s: missing", key);
	else if (n > 1)
		problem(v, "%s: %zu copies (a restore needs exactly one)", key,
		    n);
	free(key);
}

static int
id_cmp(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x < y ? -1 : x > y);
}

static int
str_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* tablets_order names the same tablets as tablets. */
static void
check_order(struct verify *v, const char *where, const struct info_index *x)
{
	int64_t	*ids;
	size_t	 i;

	if (x->norder != x->ntablets) {
		problem(v, "%s: tablets_order lists %zu tablets, tablets %zu",
		    where, x->norder, x->ntablets);
		return;
	}
	if (x->ntablets == 0)
		return;
	ids = xreallocarray(NULL, x->ntablets, sizeof *ids);
	memcpy(ids, x->tablets, x->ntablets * sizeof *ids);
	qsort(ids, x->ntablets, sizeof *ids, id_cmp);
	for (i = 0; i < x->norder; i++)
		if (bsearch(&x->order[i], ids, x->ntablets, sizeof *ids,
		    id_cmp) == NULL)
			problem(v, "%s: tablets_order names tablet %" PRId64
			    ", not in tablets", where, x->order[i]);
	free(ids);
}

/* A tablet's folder holds exactly the files its info lists. */
static void
check_tablet(struct verify *v, const char *where, const char *dir,
    int64_t id, const char *files)
{
	struct vobject	*o;
	const char	*p, *nl;
	char		*key;
	size_t		 first;

	first = object_first(v, dir);
	if (*files != '\0' && (first == v->nobjs ||
	    !has_prefix(v->objs[first].key, dir))) {
		problem(v, "%s: tablet %" PRId64 " missing (no folder %s)",
		    where, id, dir);
		return;
	}
	for (p = files; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		xasprintf(&key, "%s%.*s", dir, (int)(nl - p), p);
		if ((o = object_find(v, key)) != NULL)
			o->known = true;
		else
			problem(v, "%s: missing", key);
		free(key);
	}
}

/* Compare the info's tablets with the listing; mark what it names. */
static void
check_layout(struct verify *v, const struct info *info)
{
	const struct info_table		*t;
	const struct info_partition	*p;
	const struct info_index		*x;
	struct layout_tablet		 lt;
	char				*where, *dir, *tablet;
	size_t				 a, b, c, d;

	for (a = 0; a < info->ntables; a++) {
		t = &info->tables[a];
		for (b = 0; b < t->npartitions; b++) {
			p = &t->partitions[b];
			for (c = 0; c < p->nindexes; c++) {
				x = &p->indexes[c];
				xasprintf(&where, "table %s partition %s "
				    "index %s", t->name, p->name, x->name);
				check_order(v, where, x);
				lt = (struct layout_tablet){ info->id, t->id,
				    p->id, x->id, 0 };
				for (d = 0; d < x->ntablets; d++) {
					lt.tablet = x->tablets[d];
					tablet = layout_tablet_dir(&lt);
					xasprintf(&dir, "%s/", tablet);
					check_tablet(v, where, dir,
					    x->tablets[d], x->files[d]);
					free(dir);
					free(tablet);
				}
				free(where);
			}
		}
	}
}

/* Is key (below the snapshot folder) a tablet's StarRocks manifest? */
static bool
is_manifest(const char *key)
{
	struct layout_tablet	 t;
	const char		*file;

	return (layout_tablet_file(key, &t, &file) &&
	    layout_is_manifest(file));
}

static void
names_free(char **names, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Sort names and drop repeats: how many are left. */
static size_t
names_sort(char **names, size_t n)
{
	size_t	i, k = 0;

	if (n > 0)
		qsort(names, n, sizeof *names, str_cmp);
	for (i = 0; i < n; i++) {
		if (k > 0 && strcmp(names[k - 1], names[i]) == 0)
			free(names[i]);
		else
			names[k++] = names[i];
	}
	return (k);
}

/*
 * The names manifest key (len bytes of text) lists, sorted, or -1 and a
 * problem when a line is no file name.
 */
static int
manifest_names(struct verify *v, const char *key, const char *text,
    size_t len, char ***names, size_t *n)
{
	const char	*p = text, *name;
	size_t		 namelen, line = 0;
	int		 found;

	*names = NULL;
	*n = 0;
	while ((found = layout_manifest_next(&p, text + len, &name,
	    &namelen)) != 0) {
		line++;
		if (found == -1) {
			problem(v, "%s: cannot be read: line %zu is no file "
			    "name", key, line);
			names_free(*names, *n);
			return (-1);
		}
		*names = xreallocarray(*names, *n + 1, sizeof **names);
		(*names)[(*n)++] = xstrndup(name, namelen);
	}
	*n = names_sort(*names, *n);
	return (0);
}

/* The files of tablet folder dir in storage, without md5s, sorted. */
static char **
folder_names(struct verify *v, const char *dir, size_t *n)
{
	const char	*name;
	char		**names = NULL;
	size_t		 i;

	*n = 0;
	for (i = object_first(v, dir); i < v->nobjs &&
	    has_prefix(v->objs[i].key, dir); i++) {
		name = v->objs[i].key + strlen(dir);
		if (strchr(name, '/') != NULL || layout_is_manifest(name))
			continue;
		names = xreallocarray(names, *n + 1, sizeof *names);
		names[(*n)++] = xstrndup(name, layout_md5_suffix(name,
		    strlen(name)));
	}
	*n = names_sort(names, *n);
	return (names);
}

/*
 * A tablet's manifest (key, len bytes of text) and its folder in storage
 * name the same files.
 */
static void
check_manifest(struct verify *v, const char *key, const char *text,
    size_t len)
{
	char	**want, **have, *dir;
	size_t	  nwant, nhave, i = 0, k = 0;
	int	  c;

	if (manifest_names(v, key, text, len, &want, &nwant) != 0)
		return;
	dir = xstrndup(key, strrchr(key, '/') - key + 1);
	have = folder_names(v, dir, &nhave);
	dir[strlen(dir) - 1] = '\0';
	while (i < nwant || k < nhave) {
		c = i == nwant ? 1 : k == nhave ? -1 : strcmp(want[i], have[k]);
		if (c < 0)
			problem(v, "%s: %s: in the manifest, missing from "
			    "storage", dir, want[i++]);
		else if (c > 0)
			problem(v, "%s: %s: not in the manifest", dir,
			    have[k++]);
		else {
			i++;
			k++;
		}
	}
	free(dir);
	names_free(have, nhave);
	names_free(want, nwant);
}

/* What one object's read keeps: a tablet header's or manifest's bytes. */
struct vread {
	struct job	*job;
	struct buf	 kept;
	bool		 keep;		/* false once they overflow */
};

static int
read_chunk(void *arg, const char *p, size_t len)
{
	struct vread	*r = arg;

	if (r->keep && buf_add(&r->kept, p, len) != 0)
		r->keep = false;
	job_progress(r->job, 0, len);
	return (0);
}

/*
 * Read one object whole: its md5, a tablet header's decoding, or a
 * manifest (which has no md5) against its folder.
 */
static int
verify_item(void *arg, size_t i)
{
	struct verify	*v = arg;
	struct job	*j = v->job;
	struct vobject	*o = &v->objs[v->reads[i]];
	struct vread	 r;
	char		*key, *text, *cause = NULL, hex[MD5_HEX_LEN + 1];
	const char	*name, *tdir, *why;
	size_t		 len, base, textlen;
	int64_t		 id;
	bool		 is_hdr, manifest;
	int		 error;

	name = strrchr(o->key, '/') != NULL ? strrchr(o->key, '/') + 1 :
	    o->key;
	len = strlen(name);
	base = layout_md5_suffix(name, len);
	is_hdr = base >= 4 && strncmp(name + base - 4, ".hdr", 4) == 0;
	manifest = is_manifest(o->key);
	r.job = j;
	r.keep = is_hdr || manifest;
	buf_init(&r.kept, VERIFY_KEEP_MAX);
	xasprintf(&key, "%s%s", j->folder, o->key);
	error = repo_stream(job_broker(j), key, o->size, read_chunk, &r,
	    &j->abort, hex);
	if (error == -EINTR && job_stopped(j))
		;	/* cancelled: not a problem of the snapshot */
	else if (error != 0)
		problem(v, "%s: %s", o->key, error == -EIO ? "shorter than "
		    "listed" : strerror(-error));
	else if (manifest && !r.keep)
		problem(v, "%s: cannot be read: over %u bytes", o->key,
		    VERIFY_KEEP_MAX);
	else if (manifest)
		check_manifest(v, o->key, r.kept.data, r.kept.len);
	else if (base == len)
		problem(v, "%s: no md5 in its name", o->key);
	else if (strcmp(hex, name + base + 1) != 0)
		problem(v, "%s: md5 mismatch (the bytes hash to %s)", o->key,
		    hex);
	else if (is_hdr && r.keep) {
		/* The folder is __<tabletId>: the header must be its own. */
		tdir = strrchr(o->key, '/');
		while (tdir > o->key && tdir[-1] != '/')
			tdir--;
		id = strtoll(tdir + 2, NULL, 10);
		if (tablet_text_for(r.kept.data, r.kept.len, id, &text,
		    &textlen, &cause) != 0)
			problem(v, "%s: bad tablet header: %s", o->key, cause);
		else {
			/* Not decoded: its Reason line says why. */
			if (strncmp(text, "Header: ", 8) == 0 &&
			    (why = strstr(text, "\nReason: ")) != NULL)
				problem(v, "%s: not its tablet's header: %.*s",
				    o->key, (int)strcspn(why + 9, "\n"),
				    why + 9);
			free(text);
		}
		free(cause);
	}
	job_progress(j, 1, 0);
	buf_free(&r.kept);
	free(key);
	return (0);
}

/* What a finished verify found goes into its snapshots.tsv row. */
static void
publish(struct job *j)
{
	char	*text;

	if (j->problems == 0)
		xasprintf(&text, "OK (job %" PRId64 ")", j->id);
	else
		xasprintf(&text, "%" PRIu64 " problem%s (job %" PRId64 ")",
		    j->problems, j->problems == 1 ? "" : "s", j->id);
	view_verified(job_view(j), j->repo, j->req->label,
	    j->timestamp != NULL ? j->timestamp : "\\N", text);
	free(text);
}

/* report.txt: OK, or the problems sorted, one a line. */
static void
finish(struct verify *v)
{
	struct buf	b;
	size_t		i;

	buf_init(&b, REPORT_MAX);
	if (v->nproblems > 0)
		qsort(v->problems, v->nproblems, sizeof *v->problems,
		    str_cmp);
	for (i = 0; i < v->nproblems; i++)
		buf_printf(&b, "%s\n", v->problems[i]);
	if (v->total > v->nproblems)
		buf_printf(&b, "... and %" PRIu64 " more problems\n",
		    v->total - v->nproblems);
	if (v->total == 0)
		buf_printf(&b, "OK\n");
	buf_addc(&b, '\0');
	job_report(v->job, buf_take(&b), v->total);
	publish(v->job);
	job_notify(v->job);
	job_set_state(v->job, JOB_FINISHED);
}

static void
verify_run(struct job *j)
{
	struct verify	 v;
	struct info	*info = NULL;
	struct vobject	*o;
	const char	*ts;
	char		*cause = NULL, *infoname;
	uint64_t	 bytes = 0;
	size_t		 i, tslen;
	bool		 checked, global;
	int		 error;

	memset(&v, 0, sizeof v);
	v.job = j;
	pthread_mutex_init(&v.lock, NULL);
	job_set_state(j, JOB_PENDING);
	if (job_stopped(j))
		goto out;
	job_set_state(j, JOB_VERIFYING);
	if ((error = broker_list(job_broker(j), j->folder, BROKER_RECURSIVE,
	    object_entry, &v, &j->abort)) != 0) {
		job_fail(j, "cannot list %s: %s", j->folder, strerror(-error));
		goto out;
	}
	if (v.nobjs > 0)
		qsort(v.objs, v.nobjs, sizeof *v.objs, object_cmp);

	/*
	 * Every info file of the folder is in its place; this one is read.
	 * Without one, what is there is still read and checked against the
	 * md5 in its name.
	 */
	for (i = 0; i < v.nobjs; i++)
		if (layout_info(v.objs[i].key, &ts, &tslen, &checked))
			v.objs[i].known = checked;
	if (j->info_key == NULL)
		problem(&v, "no info file: nothing to check the content "
		    "against but the md5 in each name");
	else if ((o = object_find(&v, (infoname = j->info_key +
	    strlen(j->folder)))) == NULL)
		problem(&v, "%s: missing", infoname);
	else if (repo_read_info(job_broker(j), j->info_key, o->size, true,
	    &info, &j->abort, &cause) != 0)
		problem(&v, "%s: %s", infoname, cause);
	if (info == NULL && j->info_key != NULL) {
		finish(&v);
		goto out;
	}
	check_meta(&v, info != NULL ? info->meta_version : 0);
	if (info != NULL)
		check_layout(&v, info);

	for (i = 0; i < v.nobjs; i++) {
		o = &v.objs[i];
		/* A manifest is no file of its tablet, but is read too. */
		if (is_manifest(o->key))
			o->known = true;
		/* BACKUP GLOBAL's objects are read and checked too. */
		global = layout_global_info(o->key, &ts, &tslen);
		if (!o->known && !global && !layout_in_content(o->key))
			problem(&v, "%s: unexpected object", o->key);
		else if (!o->known && !global && info != NULL)
			problem(&v, "%s: not in the info", o->key);
		if (layout_in_content(o->key) || global) {
			v.reads = xreallocarray(v.reads, v.nreads + 1,
			    sizeof *v.reads);
			v.reads[v.nreads++] = i;
			bytes += o->size;
		}
	}
	job_totals(j, v.nreads, bytes);
	if (job_parallel(j, v.nreads, VERIFY_THREADS, verify_item, &v) != 0)
		goto out;
	finish(&v);
out:
	if (j->state != JOB_FINISHED && j->state != JOB_CANCELLED)
		job_fail(j, "cancelled");
	free(cause);
	info_free(info);
	for (i = 0; i < v.nobjs; i++)
		free(v.objs[i].key);
	free(v.objs);
	free(v.reads);
	for (i = 0; i < v.nproblems; i++)
		free(v.problems[i]);
	free(v.problems);
	pthread_mutex_destroy(&v.lock);
}

/* A finished verify read back at start: its result shows again. */
static bool
verify_resume(struct job *j)
{
	if (j->state == JOB_FINISHED)
		publish(j);
	return (false);
}

const struct job_kind job_verify_entry = {
	.name = "verify",
	.ctl = CTL_VERIFY,
	.report = true,
	.check = verify_check,
	.run = verify_run,
	.resume = verify_resume,
	.render = job_render_check,
};
