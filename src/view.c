/*
 * What the mount shows of a repository location, as tree batches.  Each
 * loader lists what it needs through the repository model (repo.c) and
 * nothing more:
 *
 *   the root		one listing of the location (the repositories)
 *   a repository	one listing of it, then one of each snapshot folder,
 *			LIST_PARALLEL at a time: snapshots.tsv and a folder
 *			per backup come from the names alone, as Doris's
 *			SHOW SNAPSHOT without WHERE does; no object is read
 *   a snapshot		its info, read when it is first opened
 *			(view-snapshot.c)
 *   a .raw folder	see raw.c
 *
 * snapshots.tsv is rendered when it is read, from the rows of the last
 * listing and their Verified column: what verify jobs reported, or what
 * opening the snapshot found of its info (view_verified).  This file knows
 * Doris and nothing of FUSE or of how storage is reached.
 *
 * What is kept follows the storage: the backups, rows and verify results
 * of a repository are those of its last listing, and a repository gone
 * from the root's last listing keeps nothing, so that a mount that sees
 * a backup a day for years holds only what the storage holds now.
 */

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapfs.h"

#define LIST_PARALLEL	32	/* snapshot folders listed at once */

/* One info file of a snapshot label, shown as a snapshot folder. */
struct snapview {
	uint64_t	 hash;		/* of what follows */
	uint32_t	 id;		/* its folders' aux */
	char		*label;
	char		*timestamp;
	char		*info;		/* object name of the info file */
	uint64_t	 size;
	int64_t		 mtime;
};

/* What the newest verify of a snapshot backup found. */
struct verified {
	char		*repo;
	char		*label;
	char		*timestamp;
	char		*text;		/* "OK (job 12)", "3 problems ..." */
};

/* One row of a repository's snapshots.tsv, from names alone. */
struct vrow {
	char		*label;
	char		*timestamp;	/* the Timestamp column */
	char		*status;	/* the Status column */
};

/* A repository as its last listing found it. */
struct vrepo {
	char		*name;
	struct vrow	*rows;
	size_t		 nrows;
	struct idmap	 views;		/* hash -> struct snapview */
	int64_t		 mtime;		/* when its rows last changed, ns */
};

struct view {
	struct broker		 *broker;
	pthread_mutex_t		  lock;		/* the fields below */
	struct idmap		  views;	/* id -> struct snapview */
	uint32_t		  last_id;
	struct verified		 *verified;
	size_t			  nverified;
	struct vrepo		 *repos;	/* by DYN_TSV index */
	size_t			  nrepos;
};

static void
snapview_free(void *arg)
{
	struct snapview	*s = arg;

	free(s->label);
	free(s->timestamp);
	free(s->info);
	free(s);
}

static void
vrows_free(struct vrow *rows, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(rows[i].label);
		free(rows[i].timestamp);
		free(rows[i].status);
	}
	free(rows);
}

/*
 * Forget the backups of map views but those of map keep (NULL: none).
 * Caller holds v->lock.
 */
static void
forget_views(struct view *v, const struct idmap *views,
    const struct idmap *keep)
{
	struct snapview	*s;
	size_t		 pos = 0;

	while ((s = idmap_next(views, &pos)) != NULL)
		if (keep == NULL || idmap_get(keep, s->hash) != s) {
			idmap_del(&v->views, s->id);
			snapview_free(s);
			stats_add(STAT_BACKUPS_LISTED, (uint64_t)-1);
		}
}

static void
verified_clear(struct verified *e)
{
	free(e->repo);
	free(e->label);
	free(e->timestamp);
	free(e->text);
}

/*
 * Forget what verifies found of repo's rows but those in rows.  Caller
 * holds v->lock.
 */
static void
forget_verified(struct view *v, const char *repo, const struct vrow *rows,
    size_t nrows)
{
	struct verified	*e;
	size_t		 i, k, n = 0;

	for (i = 0; i < v->nverified; i++) {
		e = &v->verified[i];
		for (k = 0; k < nrows && strcmp(e->repo, repo) == 0; k++)
			if (strcmp(rows[k].label, e->label) == 0 &&
			    strcmp(rows[k].timestamp, e->timestamp) == 0)
				break;
		if (strcmp(e->repo, repo) != 0 || k < nrows)
			v->verified[n++] = *e;
		else
			verified_clear(e);
	}
	v->nverified = n;
}

struct view *
view_create(struct broker *broker)
{
	struct view	*v;

	v = xcalloc(1, sizeof *v);
	v->broker = broker;
	pthread_mutex_init(&v->lock, NULL);
	idmap_init(&v->views, 64);
	return (v);
}

void
view_free(struct view *v)
{
	size_t	i;

	if (v == NULL)
		return;
	idmap_free(&v->views, snapview_free);
	for (i = 0; i < v->nrepos; i++) {
		free(v->repos[i].name);
		vrows_free(v->repos[i].rows, v->repos[i].nrows);
		idmap_free(&v->repos[i].views, NULL);
	}
	free(v->repos);
	for (i = 0; i < v->nverified; i++)
		verified_clear(&v->verified[i]);
	free(v->verified);
	pthread_mutex_destroy(&v->lock);
	free(v);
}

/* The index of repository name, or v->nrepos.  Caller holds v->lock. */
static size_t
repo_index(const struct view *v, const char *name)
{
	size_t	i;

	for (i = 0; i < v->nrepos && strcmp(v->repos[i].name, name); i++)
		;
	return (i);
}

/* What a verify found of a row, or NULL.  Caller holds v->lock. */
static struct verified *
verified_find(struct view *v, const char *repo, const char *label,
    const char *timestamp)
{
	struct verified	*e;
	size_t		 i;

	for (i = 0; i < v->nverified; i++) {
		e = &v->verified[i];
		if (strcmp(e->repo, repo) == 0 &&
		    strcmp(e->label, label) == 0 &&
		    strcmp(e->timestamp, timestamp) == 0)
			return (e);
	}
	return (NULL);
}

/*
 * A verify of repo's label at timestamp (its snapshots.tsv row's, "\N"
 * for none) found text: the row's Verified column says so from its next
 * listing on.
 */
void
view_verified(struct view *v, const char *repo, const char *label,
    const char *timestamp, const char *text)
{
	struct verified	*e;
	size_t		 i;

	if (v == NULL)
		return;
	pthread_mutex_lock(&v->lock);
	if ((e = verified_find(v, repo, label, timestamp)) == NULL) {
		v->verified = xreallocarray(v->verified, v->nverified + 1,
		    sizeof *v->verified);
		e = &v->verified[v->nverified++];
		e->repo = xstrdup(repo);
		e->label = xstrdup(label);
		e->timestamp = xstrdup(timestamp);
	} else
		free(e->text);
	e->text = xstrdup(text);
	if ((i = repo_index(v, repo)) < v->nrepos)
		v->repos[i].mtime = realtime_ns();
	pthread_mutex_unlock(&v->lock);
}

static const char *
basename_of(const char *key)
{
	const char	*p = strrchr(key, '/');

	return (p == NULL ? key : p + 1);
}

/*
 * Repository i keeps rows and the backups of seen (both taken) and
 * forgets what it kept before.  Caller holds v->lock.
 */
static void
repo_keep(struct view *v, size_t i, struct vrow *rows, size_t nrows,
    struct idmap *seen)
{
	struct vrepo	*r = &v->repos[i];

	forget_views(v, &r->views, seen);
	idmap_free(&r->views, NULL);
	vrows_free(r->rows, r->nrows);
	r->views = *seen;
	r->rows = rows;
	r->nrows = nrows;
	r->mtime = realtime_ns();
	forget_verified(v, r->name, rows, nrows);
}

/*
 * A repository gone from the root's listing rf keeps nothing but its name
 * (its snapshots.tsv's index).
 */
static void
forget_repos(struct view *v, const struct repo_folders *rf)
{
	struct idmap	 none;
	size_t		 i, k;

	pthread_mutex_lock(&v->lock);
	for (i = 0; i < v->nrepos; i++) {
		for (k = 0; k < rf->n &&
		    strcmp(rf->v[k].name, v->repos[i].name) != 0; k++)
			;
		if (k == rf->n) {
			idmap_init(&none, 0);
			repo_keep(v, i, NULL, 0, &none);
		}
	}
	pthread_mutex_unlock(&v->lock);
}

/* The root: one folder per repository, and .raw. */
static int
load_root(struct view *v, const struct tree_dir *dir, struct batch *b)
{
	struct repo_folders	 rf;
	struct broker_entry	 st;
	char			*key;
	int64_t			 newest = 0;
	size_t			 i;
	uint32_t		 n;
	int			 error;

	if ((error = repo_folders(v->broker, &rf, dir->abort)) != 0)
		return (error);
	for (i = 0; i < rf.n; i++) {
		/* A repository folder shows the time of its __repo_info. */
		key = layout_repo_info(rf.v[i].key);
		if (broker_stat(v->broker, key, &st, dir->abort) != 0)
			st.mtime = rf.v[i].mtime;
		free(key);
		if (st.mtime > newest)
			newest = st.mtime;
		n = tree_add_dir(b, BATCH_TOP, rf.v[i].name, st.mtime,
		    LOAD_REPO, rf.v[i].key, 0);
		tree_batch_refreshable(b, n);
	}
	forget_repos(v, &rf);
	repo_folders_free(&rf);
	tree_batch_mtime(b, newest);
	tree_batch_refreshable(b, tree_add_dir(b, BATCH_TOP, ".raw", newest,
	    LOAD_RAW, NULL, 0));
	return (0);
}

/* What a repository listing finds: its labels and its __repo_info. */
struct found {
	char			**labels;
	size_t			  nlabels;
	struct broker_entry	  repo_info;
	bool			  has_repo_info;
	struct repo_snapshot	 *folders;	/* each label's */
	int			 *errors;	/* of their listings */
	const struct tree_dir	 *dir;
	struct broker		 *broker;
	struct idmap		  seen;		/* hash -> struct snapview */
};

static int
repo_entry(void *arg, const struct broker_entry *e)
{
	struct found	*f = arg;
	const char	*name = basename_of(e->key), *label, *p;
	char		 shown[4 * 64 + 4];

	if (e->is_dir && (label = layout_label(name)) != NULL) {
		/* No row in snapshots.tsv may be broken by its label. */
		for (p = label; *p != '\0'; p++) {
			if ((unsigned char)*p < 0x20 || *p == 0x7f) {
				log_warn("refusing a label with a control "
				    "character: \"%s\"", log_safe(label, 64,
				    shown, sizeof shown));
				return (0);
			}
		}
		f->labels = xreallocarray(f->labels, f->nlabels + 1,
		    sizeof *f->labels);
		f->labels[f->nlabels++] = xstrdup(label);
	} else if (!e->is_dir && layout_is_repo_info(name)) {
		f->repo_info = *e;
		f->repo_info.key = NULL;
		f->has_repo_info = true;
	}
	return (0);
}

static int
label_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* List snapshot folder i, by a worker of pool_run. */
static int
list_label(void *arg, size_t i)
{
	struct found	*f = arg;
	char		*folder;

	folder = layout_snapshot_dir(f->dir->key, f->labels[i]);
	f->errors[i] = repo_snapshot(f->broker, folder, &f->folders[i],
	    f->dir->abort);
	free(folder);
	return (0);
}

static bool
aborted(void *arg)
{
	volatile bool	*abort = arg;

	return (abort != NULL && *abort);
}

/*
 * The id of a snapshot folder's backup (its aux): the same for the same
 * info object as in the repository's last listing, so that a folder
 * listed again keeps its node; a new one otherwise.  Either goes into
 * f->seen.
 */
static uint32_t
add_view(struct view *v, struct found *f, const char *label,
    const char *timestamp, const struct repo_object *o)
{
	struct snapview	*s = NULL;
	uint64_t	 h;
	size_t		 i;

	h = digest_fnv(FNV_BASIS, label, strlen(label) + 1);
	h = digest_fnv(h, o->name, strlen(o->name) + 1);
	h = digest_fnv(h, &o->size, sizeof o->size);
	h = digest_fnv(h, &o->mtime, sizeof o->mtime);
	pthread_mutex_lock(&v->lock);
	while (idmap_get(&f->seen, h) != NULL)	/* two backups, one hash */
		h++;
	if ((i = repo_index(v, f->dir->name)) < v->nrepos)
		s = idmap_get(&v->repos[i].views, h);
	if (s == NULL || strcmp(s->label, label) != 0 ||
	    strcmp(s->info, o->name) != 0 || s->size != o->size ||
	    s->mtime != o->mtime) {
		s = xcalloc(1, sizeof *s);
		s->hash = h;
		s->label = xstrdup(label);
		s->timestamp = xstrdup(timestamp);
		s->info = xstrdup(o->name);
		s->size = o->size;
		s->mtime = o->mtime;
		/* Never an id in use, nor UINT32_MAX (none). */
		do
			s->id = ++v->last_id;
		while (s->id == UINT32_MAX || idmap_get(&v->views, s->id));
		idmap_put(&v->views, s->id, s);
		stats_add(STAT_BACKUPS_LISTED, 1);
	}
	idmap_put(&f->seen, h, s);
	pthread_mutex_unlock(&v->lock);
	return (s->id);
}

/*
 * Does info i (base: its name without the md5 suffix) share its timestamp
 * with another info that has an md5 suffix?  Which one is meant is unknown.
 */
static bool
same_ts(const struct repo_snapshot *rs, size_t i, size_t base)
{
	const char	*o;
	size_t		 k;

	for (k = i == 0 ? 1 : i - 1; k <= i + 1 && k < rs->ninfos; k += 2) {
		o = rs->infos[k].name;
		if (layout_md5_suffix(o, strlen(o)) == base &&
		    strncmp(o, rs->infos[i].name, base) == 0)
			return (true);
	}
	return (false);
}

static void
add_row(struct vrepo *vr, const char *label, const char *timestamp,
    size_t tslen, const char *status)
{
	struct vrow	*r;

	vr->rows = xreallocarray(vr->rows, vr->nrows + 1, sizeof *vr->rows);
	r = &vr->rows[vr->nrows++];
	r->label = xstrdup(label);
	r->timestamp = xstrndup(timestamp, tslen);
	r->status = xstrdup(status);
}

/*
 * The rows of one label, from the names its folder listing found (or
 * error), and a folder for each good one: <label> for the newest, and
 * <label>@<ts> for each when there are several; a folder shows the time
 * of its info object.
 */
static void
label_rows(struct view *v, struct found *f, const char *label,
    const struct repo_snapshot *rs, int error, struct batch *b,
    struct vrepo *vr)
{
	const struct repo_object	*o;
	const char			*ts;
	char				*key, *name, *why;
	size_t				 i, tslen, ngood = 0, base;
	ssize_t				 newest = -1;
	uint32_t			*views;
	bool				 checked;

	if (error != 0 || rs->ninfos == 0) {
		if (error != 0)
			xasprintf(&why, "ERROR: Failed to get info: %s",
			    strerror(-error));
		add_row(vr, label, "\\N", 2, error != 0 ? why :
		    "ERROR: No info file found");
		if (error != 0)
			free(why);
		return;
	}
	views = xcalloc(rs->ninfos, sizeof *views);
	for (i = 0; i < rs->ninfos; i++) {
		o = &rs->infos[i];
		views[i] = UINT32_MAX;
		layout_info(o->name, &ts, &tslen, &checked);
		base = ts + tslen - o->name;
		if (!checked) {
			xasprintf(&name, "Invalid: %s", o->name);
			add_row(vr, label, name, strlen(name),
			    "ERROR: file name should contain checksum");
			free(name);
		} else if (same_ts(rs, i, base))
			/* Sorted by name: same timestamps are neighbours. */
			add_row(vr, label, ts, tslen, "ERROR: more than one "
			    "info file with this timestamp");
		else {
			add_row(vr, label, ts, tslen, "OK");
			views[i] = add_view(v, f, label,
			    vr->rows[vr->nrows - 1].timestamp, o);
			newest = i;
			ngood++;
		}
	}
	key = layout_snapshot_name(label);
	for (i = 0; i < rs->ninfos && ngood > 1; i++) {
		if (views[i] == UINT32_MAX)
			continue;
		layout_info(rs->infos[i].name, &ts, &tslen, &checked);
		xasprintf(&name, "%s@%.*s", label, (int)tslen, ts);
		tree_add_dir(b, BATCH_TOP, name, rs->infos[i].mtime,
		    LOAD_SNAPSHOT, key, views[i]);
		free(name);
	}
	if (newest != -1)
		tree_add_dir(b, BATCH_TOP, label, rs->infos[newest].mtime,
		    LOAD_SNAPSHOT, key, views[newest]);
	free(key);
	free(views);
}

/*
 * Keep the rows and backups of repository name as of its listing now (the
 * rows of vr, the backups of seen), and forget those of the last one; its
 * index for DYN_TSV.
 */
static uint32_t
keep_rows(struct view *v, const char *name, struct vrepo *vr,
    struct idmap *seen)
{
	size_t	i;

	pthread_mutex_lock(&v->lock);
	if ((i = repo_index(v, name)) == v->nrepos) {
		v->repos = xreallocarray(v->repos, v->nrepos + 1,
		    sizeof *v->repos);
		memset(&v->repos[i], 0, sizeof v->repos[i]);
		v->repos[v->nrepos++].name = xstrdup(name);
		idmap_init(&v->repos[i].views, 0);
	}
	repo_keep(v, i, vr->rows, vr->nrows, seen);
	pthread_mutex_unlock(&v->lock);
	return (i);
}

static int
load_repo(struct view *v, const struct tree_dir *dir, struct batch *b)
{
	struct found	 f;
	struct vrepo	 vr;
	char		*folder, *key;
	size_t		 i;
	int		 error;

	memset(&f, 0, sizeof f);
	memset(&vr, 0, sizeof vr);
	f.dir = dir;
	f.broker = v->broker;
	idmap_init(&f.seen, 16);
	xasprintf(&folder, "%s/", dir->key);
	error = broker_list(v->broker, folder, 0, repo_entry, &f, dir->abort);
	free(folder);
	if (error != 0)
		goto out;
	if (f.nlabels > 1)
		qsort(f.labels, f.nlabels, sizeof *f.labels, label_cmp);
	f.folders = xcalloc(f.nlabels + 1, sizeof *f.folders);
	f.errors = xcalloc(f.nlabels + 1, sizeof *f.errors);
	pool_run(f.nlabels, LIST_PARALLEL, list_label, &f, aborted,
	    (void *)dir->abort);
	if (aborted((void *)dir->abort)) {
		error = -EINTR;
		goto out;
	}
	for (i = 0; i < f.nlabels; i++)
		label_rows(v, &f, f.labels[i], &f.folders[i], f.errors[i], b,
		    &vr);
	tree_add_dynamic(b, BATCH_TOP, "snapshots.tsv",
	    DYN_TSV(keep_rows(v, dir->name, &vr, &f.seen)));
	vr.rows = NULL;		/* kept */
	vr.nrows = 0;
	f.seen.slots = NULL;
	if (f.has_repo_info) {
		key = layout_repo_info("");
		tree_add_file(b, BATCH_TOP, "repo_info.json", key,
		    f.repo_info.size, f.repo_info.mtime);
		free(key);
	}
out:
	if (f.seen.slots != NULL) {
		/* Not shown: the backups it found anew go. */
		pthread_mutex_lock(&v->lock);
		i = repo_index(v, dir->name);
		forget_views(v, &f.seen, i < v->nrepos ? &v->repos[i].views :
		    NULL);
		pthread_mutex_unlock(&v->lock);
		idmap_free(&f.seen, NULL);
	}
	vrows_free(vr.rows, vr.nrows);
	for (i = 0; i < f.nlabels; i++) {
		if (f.folders != NULL)
			repo_snapshot_free(&f.folders[i]);
		free(f.labels[i]);
	}
	free(f.folders);
	free(f.errors);
	free(f.labels);
	return (error);
}

/*
 * The text of snapshots.tsv of repository index i (DYN_TSV), and when it
 * last changed.
 */
char *
view_render_tsv(struct view *v, uint32_t i, size_t *len, int64_t *mtime)
{
	struct vrepo	*vr;
	struct verified	*e;
	struct buf	 b;
	size_t		 k;

	buf_init(&b, SIZE_MAX);
	buf_printf(&b, "Snapshot\tTimestamp\tStatus\tVerified\n");
	pthread_mutex_lock(&v->lock);
	*mtime = i < v->nrepos ? v->repos[i].mtime : 0;
	for (k = 0; i < v->nrepos && k < v->repos[i].nrows; k++) {
		vr = &v->repos[i];
		e = verified_find(v, vr->name, vr->rows[k].label,
		    vr->rows[k].timestamp);
		buf_printf(&b, "%s\t%s\t%s\t%s\n", vr->rows[k].label,
		    vr->rows[k].timestamp, vr->rows[k].status,
		    e != NULL ? e->text : "\\N");
	}
	pthread_mutex_unlock(&v->lock);
	*len = b.len;
	return (buf_take(&b));
}

/*
 * A snapshot folder: its info is read now.  What a damaged or malformed
 * one is found to be goes into the Verified column of its row.
 */
static int
load_snapshot(struct view *v, const struct tree_dir *dir, struct batch *b,
    char **cause)
{
	struct snapview		 sv, *s;
	struct repo_object	 o;
	char			*found, *repo, *slash;
	int			 error;

	pthread_mutex_lock(&v->lock);
	if ((s = idmap_get(&v->views, dir->aux)) == NULL) {
		pthread_mutex_unlock(&v->lock);
		return (-ESTALE);	/* gone from the storage */
	}
	sv = *s;
	sv.label = xstrdup(sv.label);
	sv.timestamp = xstrdup(sv.timestamp);
	sv.info = xstrdup(sv.info);
	pthread_mutex_unlock(&v->lock);

	o.name = sv.info;
	o.size = sv.size;
	o.mtime = sv.mtime;
	error = view_snapshot_load(v->broker, dir, sv.label, sv.timestamp, &o,
	    b, &found, cause);
	if (found != NULL) {
		/* The repository's name: its folder's, less the prefix. */
		repo = xstrndup(dir->key, (slash = strchr(dir->key, '/')) !=
		    NULL ? (size_t)(slash - dir->key) : strlen(dir->key));
		if (layout_repo_name(repo) != NULL)
			view_verified(v, layout_repo_name(repo), sv.label,
			    sv.timestamp, found);
		free(repo);
		free(found);
	}
	free(sv.label);
	free(sv.timestamp);
	free(sv.info);
	return (error);
}

/* The tree's loader: fill b with the children of dir. */
int
view_load(struct view *v, const struct tree_dir *dir, struct batch *b,
    char **cause)
{
	switch (dir->load) {
	case LOAD_ROOT:
		return (load_root(v, dir, b));
	case LOAD_REPO:
		return (load_repo(v, dir, b));
	case LOAD_SNAPSHOT:
		return (load_snapshot(v, dir, b, cause));
	default:
		break;
	}
	return (0);
}
