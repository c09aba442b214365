/*
 * What the mount shows of a repository location, as tree batches.  Each
 * loader lists what it needs through the repository model (repo.c) and
 * nothing more:
 *
 *   the root		one listing of the location (the repositories)
 *   a repository	its snapshot folders, their info objects (read,
 *			md5-checked and parsed, so a broken one is an ERROR
 *			row and not a folder), repo_info.json, snapshots.tsv
 *   a snapshot		its info again, then one recursive listing of its
 *			content for the sizes of the tablet files
 *   a .raw folder	see raw.c
 *
 * snapshots.tsv's Verified column is what verify jobs reported
 * (view_verified).  This file knows Doris and nothing of FUSE or of how
 * storage is reached.
 */

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapfs.h"

/* One info file of a snapshot label, shown as a snapshot folder. */
struct snapview {
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

struct view {
	struct broker		 *broker;
	pthread_mutex_t		  lock;		/* the fields below */
	struct snapview		**views;
	size_t			  nviews;
	struct verified		 *verified;
	size_t			  nverified;
};

struct view *
view_create(struct broker *broker)
{
	struct view	*v;

	v = xcalloc(1, sizeof *v);
	v->broker = broker;
	pthread_mutex_init(&v->lock, NULL);
	return (v);
}

void
view_free(struct view *v)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; i < v->nviews; i++) {
		free(v->views[i]->label);
		free(v->views[i]->timestamp);
		free(v->views[i]->info);
		free(v->views[i]);
	}
	free(v->views);
	for (i = 0; i < v->nverified; i++) {
		free(v->verified[i].repo);
		free(v->verified[i].label);
		free(v->verified[i].timestamp);
		free(v->verified[i].text);
	}
	free(v->verified);
	pthread_mutex_destroy(&v->lock);
	free(v);
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
	pthread_mutex_unlock(&v->lock);
}

/* The Verified column of a row: a copy, or "\N". */
static char *
verified_text(struct view *v, const char *repo, const char *label,
    const char *timestamp)
{
	struct verified	*e;
	char		*text;

	pthread_mutex_lock(&v->lock);
	e = verified_find(v, repo, label, timestamp);
	text = xstrdup(e != NULL ? e->text : "\\N");
	pthread_mutex_unlock(&v->lock);
	return (text);
}

static const char *
basename_of(const char *key)
{
	const char	*p = strrchr(key, '/');

	return (p == NULL ? key : p + 1);
}

static int64_t
ms_to_ns(int64_t ms)
{
	return (ms > 0 && ms < INT64_MAX / 1000000 ? ms * 1000000 : 0);
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
		tree_batch_mutable(b, n);
	}
	repo_folders_free(&rf);
	tree_batch_mtime(b, newest);
	tree_add_dir(b, BATCH_TOP, ".raw", newest, LOAD_RAW, NULL, 0);
	return (0);
}

/* What a repository listing finds: its labels and its __repo_info. */
struct found {
	char			**labels;
	size_t			  nlabels;
	struct broker_entry	  repo_info;
	bool			  has_repo_info;
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

static uint32_t
add_view(struct view *v, const char *label, const char *timestamp,
    const struct repo_object *o)
{
	struct snapview	*s;
	uint32_t	 i;

	s = xcalloc(1, sizeof *s);
	s->label = xstrdup(label);
	s->timestamp = xstrdup(timestamp);
	s->info = xstrdup(o->name);
	s->size = o->size;
	s->mtime = o->mtime;
	pthread_mutex_lock(&v->lock);
	v->views = xreallocarray(v->views, v->nviews + 1, sizeof *v->views);
	i = v->nviews;
	v->views[v->nviews++] = s;
	pthread_mutex_unlock(&v->lock);
	return (i);
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

/*
 * Check each info file of one label: one snapshots.tsv row each, and a
 * folder for each good one (<label> for the newest, and <label>@<ts> for
 * each when there are several).
 */
static int
load_label(struct view *v, const struct tree_dir *dir, const char *label,
    struct batch *b, struct buf *tsv)
{
	struct repo_snapshot	 rs;
	const struct repo_object *o;
	struct info		*info;
	const char		*tsp;
	char			*folder, *key, *cause, *ts, *name, *verified;
	size_t			 i, tslen, ngood = 0;
	ssize_t			 newest = -1;
	int64_t			*mtimes;
	uint32_t		*views;
	bool			 checked;
	int			 error;

	folder = layout_snapshot_dir(dir->key, label);
	error = repo_snapshot(v->broker, folder, &rs, dir->abort);
	if (error != 0) {
		free(folder);
		return (error);
	}
	if (rs.ninfos == 0) {
		verified = verified_text(v, dir->name, label, "\\N");
		buf_printf(tsv, "%s\t\\N\tERROR: No info file found\t%s\n",
		    label, verified);
		free(verified);
		goto out;
	}
	views = xcalloc(rs.ninfos, sizeof *views);
	mtimes = xcalloc(rs.ninfos, sizeof *mtimes);
	for (i = 0; i < rs.ninfos; i++) {
		o = &rs.infos[i];
		views[i] = UINT32_MAX;
		layout_info(o->name, &tsp, &tslen, &checked);
		ts = xstrndup(tsp, tslen);
		xasprintf(&key, "%s%s", folder, o->name);
		cause = NULL;
		verified = verified_text(v, dir->name, label, ts);
		if (!checked) {
			buf_printf(tsv, "%s\tInvalid: %s\tERROR: file name "
			    "should contain checksum", label, o->name);
		} else if (same_ts(&rs, i, tsp + tslen - o->name)) {
			/* Sorted by name: same timestamps are neighbours. */
			buf_printf(tsv, "%s\t%s\tERROR: more than one info "
			    "file with this timestamp", label, ts);
		} else if (repo_read_info(v->broker, key, o->size, false,
		    &info, dir->abort, &cause) != 0) {
			buf_printf(tsv, "%s\t%s\tERROR: %s", label, ts, cause);
		} else {
			buf_printf(tsv, "%s\t%s\tOK", label, ts);
			views[i] = add_view(v, label, ts, o);
			mtimes[i] = ms_to_ns(info->backup_time);
			if (mtimes[i] == 0)
				mtimes[i] = o->mtime;
			newest = i;
			ngood++;
			info_free(info);
		}
		buf_printf(tsv, "\t%s\n", verified);
		free(verified);
		free(cause);
		free(key);
		free(ts);
	}
	key = layout_snapshot_name(label);
	for (i = 0; i < rs.ninfos && ngood > 1; i++) {
		if (views[i] == UINT32_MAX)
			continue;
		layout_info(rs.infos[i].name, &tsp, &tslen, &checked);
		xasprintf(&name, "%s@%.*s", label, (int)tslen, tsp);
		tree_add_dir(b, BATCH_TOP, name, mtimes[i], LOAD_SNAPSHOT, key,
		    views[i]);
		free(name);
	}
	if (newest != -1)
		tree_add_dir(b, BATCH_TOP, label, mtimes[newest],
		    LOAD_SNAPSHOT, key, views[newest]);
	free(key);
	free(mtimes);
	free(views);
out:
	repo_snapshot_free(&rs);
	free(folder);
	return (0);
}

static int
load_repo(struct view *v, const struct tree_dir *dir, struct batch *b)
{
	struct found	 f;
	struct buf	 tsv;
	char		*folder, *key;
	size_t		 i;
	uint32_t	 n;
	int		 error;

	memset(&f, 0, sizeof f);
	xasprintf(&folder, "%s/", dir->key);
	error = broker_list(v->broker, folder, 0, repo_entry, &f,
	    dir->abort);
	free(folder);
	if (error != 0)
		goto out;
	qsort(f.labels, f.nlabels, sizeof *f.labels, label_cmp);
	buf_init(&tsv, 64 * 1024 * 1024);
	buf_printf(&tsv, "Snapshot\tTimestamp\tStatus\tVerified\n");
	for (i = 0; i < f.nlabels && error == 0; i++)
		error = load_label(v, dir, f.labels[i], b, &tsv);
	if (error == 0) {
		n = tree_add_text(b, BATCH_TOP, "snapshots.tsv", tsv.data,
		    tsv.len, dir->mtime);
		tree_batch_mutable(b, n);
	}
	buf_free(&tsv);
	if (error == 0 && f.has_repo_info) {
		key = layout_repo_info("");
		tree_add_file(b, BATCH_TOP, "repo_info.json", key,
		    f.repo_info.size, f.repo_info.mtime);
		free(key);
	}
out:
	for (i = 0; i < f.nlabels; i++)
		free(f.labels[i]);
	free(f.labels);
	return (error);
}

/* Where each tablet of a snapshot is, while its content is listed. */
struct tablet_slot {
	uint32_t			 node;
	const struct info_table		*table;
	const struct info_partition	*part;
	const struct info_index		*index;
};

struct snapshot_ctx {
	struct batch		*b;
	const struct info	*info;
	struct idmap		 tablets;	/* id -> struct tablet_slot */
	size_t			 prefixlen;	/* of "<snapshot folder>" */
	uint64_t		 files;
};

/*
 * One object of the content: file F of tablet T when the info places T
 * where the key says, shown without its md5 suffix; anything else is left
 * to .raw.
 */
static int
content_entry(void *arg, const struct broker_entry *e)
{
	struct snapshot_ctx	*ctx = arg;
	struct tablet_slot	*s;
	struct layout_tablet	 t;
	const char		*p;
	char			 name[NAME_MAX_BYTES + 1];
	size_t			 len, shown;

	if (e->is_dir || strlen(e->key) < ctx->prefixlen ||
	    !layout_tablet_file(e->key + ctx->prefixlen, &t, &p))
		return (0);
	s = idmap_get(&ctx->tablets, (uint64_t)t.tablet);
	if (s == NULL || t.db != ctx->info->id || t.table != s->table->id ||
	    t.partition != s->part->id || t.index != s->index->id)
		return (0);
	len = strlen(p);
	if ((shown = layout_md5_suffix(p, len)) == len ||
	    shown > NAME_MAX_BYTES)
		return (0);
	memcpy(name, p, shown);
	name[shown] = '\0';
	tree_add_file(ctx->b, s->node, name, p, e->size, e->mtime);
	if (shown > 4 && strcmp(name + shown - 4, ".hdr") == 0)
		tree_add_tablet(ctx->b, s->node, "tablet.txt", p, e->size,
		    e->mtime);
	ctx->files++;
	return (0);
}

static char *
partition_text(const struct info_partition *p, size_t *len)
{
	const struct info_index	*x;
	struct buf		 b;
	size_t			 i, j;

	buf_init(&b, SIZE_MAX);
	buf_printf(&b, "Partition: %s\nId: %" PRId64 "\nVersion: %" PRId64
	    "\n", p->name, p->id, p->version);
	for (i = 0; i < p->nindexes; i++) {
		x = &p->indexes[i];
		buf_printf(&b, "Index: %s\nIndexId: %" PRId64 "\nSchemaHash: %"
		    PRId64 "\nTablets:", x->name, x->id, x->schema_hash);
		for (j = 0; j < x->norder; j++)
			buf_printf(&b, " %" PRId64, x->order[j]);
		buf_addc(&b, '\n');
	}
	*len = b.len;
	return (buf_take(&b));
}

/* Table, partition and tablet folders from the info, then tablet files. */
static int
snapshot_tree(struct view *v, const struct tree_dir *dir,
    const struct info *info, struct batch *b, char **cause)
{
	struct snapshot_ctx	 ctx;
	const struct info_table	*t;
	const struct info_partition *p;
	const struct info_index	*x;
	struct tablet_slot	*slots, *s;
	char			*key, *text, id[32];
	size_t			 ntablets = 0, nslots = 0, i, j, k, m, len;
	uint32_t		 tn, pn;
	int			 error;

	memset(&ctx, 0, sizeof ctx);
	ctx.b = b;
	ctx.info = info;
	for (i = 0; i < info->ntables; i++)
		for (j = 0; j < info->tables[i].npartitions; j++)
			for (k = 0; k < info->tables[i].partitions[j].nindexes;
			    k++)
				ntablets += info->tables[i].partitions[j].
				    indexes[k].ntablets;
	idmap_init(&ctx.tablets, ntablets);
	slots = xcalloc(ntablets == 0 ? 1 : ntablets, sizeof *slots);

	for (i = 0; i < info->ntables; i++) {
		t = &info->tables[i];
		key = layout_table_key(info->id, t->id);
		tn = tree_add_dir(b, BATCH_TOP, t->name, dir->mtime, LOAD_NONE,
		    key, 0);
		free(key);
		for (j = 0; j < t->npartitions; j++) {
			p = &t->partitions[j];
			key = layout_partition_key(p->id);
			pn = tree_add_dir(b, tn, p->name, dir->mtime, LOAD_NONE,
			    key, 0);
			free(key);
			text = partition_text(p, &len);
			tree_add_text(b, pn, "partition.txt", text, len,
			    dir->mtime);
			free(text);
			for (k = 0; k < p->nindexes; k++) {
				x = &p->indexes[k];
				for (m = 0; m < x->ntablets; m++) {
					s = &slots[nslots];
					if (idmap_put(&ctx.tablets,
					    (uint64_t)x->tablets[m], s) != s)
						continue;
					nslots++;
					snprintf(id, sizeof id, "%" PRId64,
					    x->tablets[m]);
					key = layout_tablet_key(x->id,
					    x->tablets[m]);
					s->node = tree_add_dir(b, pn, id,
					    dir->mtime, LOAD_NONE, key, 0);
					free(key);
					s->table = t;
					s->part = p;
					s->index = x;
				}
			}
		}
	}

	xasprintf(&key, "%s/%s", dir->key, layout_content());
	ctx.prefixlen = strlen(dir->key) + 1;
	error = broker_list(v->broker, key, BROKER_RECURSIVE, content_entry,
	    &ctx, dir->abort);
	free(key);
	idmap_free(&ctx.tablets, NULL);
	free(slots);
	if (error != 0)
		xasprintf(cause, "listing the content: %s", strerror(-error));
	else
		log_debug("%s: %zu tablets, %" PRIu64 " files", dir->key,
		    ntablets, ctx.files);
	return (error);
}

static int
load_snapshot(struct view *v, const struct tree_dir *dir, struct batch *b,
    char **cause)
{
	struct snapview	 sv;
	struct info	*info;
	char		*key, *text;
	size_t		 len;
	int		 error;

	pthread_mutex_lock(&v->lock);
	if (dir->aux >= v->nviews) {
		pthread_mutex_unlock(&v->lock);
		return (-ESTALE);
	}
	sv = *v->views[dir->aux];
	sv.label = xstrdup(sv.label);
	sv.timestamp = xstrdup(sv.timestamp);
	sv.info = xstrdup(sv.info);
	pthread_mutex_unlock(&v->lock);

	xasprintf(&key, "%s/%s", dir->key, sv.info);
	error = repo_read_info(v->broker, key, sv.size, false, &info,
	    dir->abort, cause);
	free(key);
	if (error != 0)
		goto out;

	xasprintf(&text, "Snapshot: %s\nTimestamp: %s\nDatabase: %s\n"
	    "Status: OK\n", sv.label, sv.timestamp, info->database);
	tree_add_text(b, BATCH_TOP, "snapshot.txt", text, strlen(text),
	    dir->mtime);
	free(text);
	text = info_details(info, &len);
	tree_add_text(b, BATCH_TOP, "details.json", text, len, dir->mtime);
	free(text);
	tree_add_file(b, BATCH_TOP, "info.json", sv.info, sv.size, sv.mtime);
	error = snapshot_tree(v, dir, info, b, cause);
	info_free(info);
	if (error == 0)
		stats_add(STAT_SNAPSHOTS_LOADED, 1);
out:
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
