/*
 * The Doris repository model: what the folders and files of a repository
 * location mean, turned into tree batches.  Each loader lists what it needs
 * through the broker and nothing more:
 *
 *   the root		one listing of the location (the repositories)
 *   a repository	its snapshot folders, their info objects (read,
 *			md5-checked and parsed, so a broken one is an ERROR
 *			row and not a folder), repo_info.json, snapshots.tsv
 *   a snapshot		its info again, then one recursive listing of its
 *			__ss_content for the sizes of the tablet files
 *   a .raw folder	see raw.c
 *
 * This file knows Doris and nothing of FUSE or of how storage is reached.
 */

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapfs.h"

#define PALO_PREFIX	"__palo_repository_"
#define SR_PREFIX	"__starrocks_repository_"
#define SNAPSHOT_PREFIX	"__ss_"
#define INFO_PREFIX	"__info_"
#define CONTENT_DIR	"__ss_content"

/* One info file of a snapshot label, shown as a snapshot folder. */
struct snapview {
	char		*label;
	char		*timestamp;
	char		*info;		/* object name of the info file */
	uint64_t	 size;
	int64_t		 mtime;
};

struct repo {
	struct broker		 *broker;
	struct jobs		 *jobs;		/* verify results */
	pthread_mutex_t		  lock;		/* views */
	struct snapview		**views;
	size_t			  nviews;
};

/* What a repository load finds for one info file of a label. */
struct found_info {
	char		*name;		/* object name */
	uint64_t	 size;
	int64_t		 mtime;
};

struct found_label {
	char			*label;
	struct found_info	*infos;
	size_t			 ninfos;
};

struct found {
	const char		*prefix;	/* what the listing is under */
	struct found_label	*labels;
	size_t			 nlabels;
	struct broker_entry	 repo_info;
	bool			 has_repo_info;
};

struct repo *
repo_create(struct broker *broker, struct jobs *jobs)
{
	struct repo	*r;

	r = xcalloc(1, sizeof *r);
	r->broker = broker;
	r->jobs = jobs;
	pthread_mutex_init(&r->lock, NULL);
	return (r);
}

void
repo_free(struct repo *r)
{
	size_t	i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nviews; i++) {
		free(r->views[i]->label);
		free(r->views[i]->timestamp);
		free(r->views[i]->info);
		free(r->views[i]);
	}
	free(r->views);
	pthread_mutex_destroy(&r->lock);
	free(r);
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

/*
 * Read an info object, check it against the md5 in its name and parse it.
 * On failure *cause says why, in words for snapshots.tsv.
 */
static int
read_info(struct repo *r, const char *key, uint64_t size, struct info **ip,
    char **cause)
{
	struct buf	 b;
	char		 md5[MD5_HEX_LEN + 1];
	size_t		 len = strlen(key), base;
	int		 error;

	*ip = NULL;
	base = layout_md5_suffix(key, len);
	if (base == len) {
		xasprintf(cause, "file name should contain checksum");
		return (-EINVAL);
	}
	buf_init(&b, INFO_MAX);
	if ((error = broker_read_all(r->broker, key, size, &b)) != 0) {
		xasprintf(cause, "Failed to get info: %s", strerror(-error));
		goto out;
	}
	digest_md5_hex(b.data, b.len, md5);
	stats_add(STAT_MD5_CHECKED, 1);
	if (memcmp(md5, key + base + 1, MD5_HEX_LEN) != 0) {
		stats_add(STAT_MD5_ERRORS, 1);
		log_warn("%s: md5 of content is %s", key, md5);
		xasprintf(cause, "Failed to get info: md5sum does not equal "
		    "(content %s)", md5);
		error = -EIO;
		goto out;
	}
	if ((error = info_parse(b.data, b.len, ip, cause)) != 0)
		log_warn("%s: %s", key, *cause);
out:
	buf_free(&b);
	return (error);
}

/* The root: one folder per repository, .raw and stats.json. */
struct root_ctx {
	struct repo	*r;
	struct batch	*b;
	int64_t		 newest;	/* the root shows its newest repository */
};

static int
root_entry(void *arg, const struct broker_entry *e)
{
	struct root_ctx		*ctx = arg;
	struct broker_entry	 st;
	const char		*name;
	char			*key;
	uint32_t		 i;

	if (!e->is_dir)
		return (0);
	if (strncmp(e->key, PALO_PREFIX, strlen(PALO_PREFIX)) == 0)
		name = e->key + strlen(PALO_PREFIX);
	else if (strncmp(e->key, SR_PREFIX, strlen(SR_PREFIX)) == 0)
		name = e->key + strlen(SR_PREFIX);
	else
		return (0);

	/* A repository folder shows the time of its __repo_info. */
	xasprintf(&key, "%s/__repo_info", e->key);
	if (broker_stat(ctx->r->broker, key, &st) != 0)
		st.mtime = e->mtime;
	free(key);
	if (st.mtime > ctx->newest)
		ctx->newest = st.mtime;
	i = tree_add_dir(ctx->b, BATCH_TOP, name, st.mtime, LOAD_REPO, e->key, 0);
	tree_batch_mutable(ctx->b, i);
	return (0);
}

static int
load_root(struct repo *r, struct batch *b)
{
	struct root_ctx	ctx = { r, b, 0 };
	int		error;

	if ((error = broker_list(r->broker, "", false, root_entry, &ctx)) != 0)
		return (error);
	tree_batch_mtime(b, ctx.newest);
	tree_add_dir(b, BATCH_TOP, ".raw", ctx.newest, LOAD_RAW, NULL, 0);
	return (0);
}

/* A repository: collect its labels and their info files. */
static int
repo_entry(void *arg, const struct broker_entry *e)
{
	struct found		*f = arg;
	struct found_label	*l;
	const char		*name = basename_of(e->key), *p;
	char			 shown[4 * 64 + 4];

	if (e->is_dir && strncmp(name, SNAPSHOT_PREFIX,
	    strlen(SNAPSHOT_PREFIX)) == 0) {
		/* No row in snapshots.tsv may be broken by its label. */
		for (p = name; *p != '\0'; p++) {
			if ((unsigned char)*p < 0x20 || *p == 0x7f) {
				log_warn("refusing a label with a control "
				    "character: \"%s\"", log_safe(name +
				    strlen(SNAPSHOT_PREFIX), 64, shown,
				    sizeof shown));
				return (0);
			}
		}
		f->labels = xreallocarray(f->labels, f->nlabels + 1,
		    sizeof *f->labels);
		l = &f->labels[f->nlabels++];
		l->label = xstrdup(name + strlen(SNAPSHOT_PREFIX));
		l->infos = NULL;
		l->ninfos = 0;
	} else if (!e->is_dir && strcmp(name, "__repo_info") == 0) {
		f->repo_info = *e;
		f->repo_info.key = NULL;
		f->has_repo_info = true;
	}
	return (0);
}

static int
label_entry(void *arg, const struct broker_entry *e)
{
	struct found_label	*l = arg;
	struct found_info	*fi;
	const char		*name = basename_of(e->key);

	if (e->is_dir || strncmp(name, INFO_PREFIX, strlen(INFO_PREFIX)) != 0)
		return (0);
	l->infos = xreallocarray(l->infos, l->ninfos + 1, sizeof *l->infos);
	fi = &l->infos[l->ninfos++];
	fi->name = xstrdup(name);
	fi->size = e->size;
	fi->mtime = e->mtime;
	return (0);
}

static int
label_cmp(const void *a, const void *b)
{
	return (strcmp(((const struct found_label *)a)->label,
	    ((const struct found_label *)b)->label));
}

static int
info_cmp(const void *a, const void *b)
{
	return (strcmp(((const struct found_info *)a)->name,
	    ((const struct found_info *)b)->name));
}

static void
found_free(struct found *f)
{
	size_t	i, j;

	for (i = 0; i < f->nlabels; i++) {
		for (j = 0; j < f->labels[i].ninfos; j++)
			free(f->labels[i].infos[j].name);
		free(f->labels[i].infos);
		free(f->labels[i].label);
	}
	free(f->labels);
}

static uint32_t
repo_add_view(struct repo *r, const char *label, const char *timestamp,
    const struct found_info *fi)
{
	struct snapview	*v;
	uint32_t	 i;

	v = xcalloc(1, sizeof *v);
	v->label = xstrdup(label);
	v->timestamp = xstrdup(timestamp);
	v->info = xstrdup(fi->name);
	v->size = fi->size;
	v->mtime = fi->mtime;
	pthread_mutex_lock(&r->lock);
	r->views = xreallocarray(r->views, r->nviews + 1, sizeof *r->views);
	i = r->nviews;
	r->views[r->nviews++] = v;
	pthread_mutex_unlock(&r->lock);
	return (i);
}

/*
 * Does info i (base: its name without the md5 suffix) share its timestamp
 * with another info that has an md5 suffix?  Which one is meant is unknown.
 */
static bool
same_ts(const struct found_label *l, size_t i, size_t base)
{
	const char	*o;
	size_t		 k;

	for (k = i == 0 ? 1 : i - 1; k <= i + 1 && k < l->ninfos; k += 2) {
		o = l->infos[k].name;
		if (layout_md5_suffix(o, strlen(o)) == base &&
		    strncmp(o, l->infos[i].name, base) == 0)
			return (true);
	}
	return (false);
}

/*
 * Check each info file of one label: one snapshots.tsv row each, and a
 * folder for each good one (<label> for the newest, and <label>@<ts> for
 * each when there are several).
 */
static void
repo_label(struct repo *r, const struct tree_dir *dir, struct found_label *l,
    struct batch *b, struct buf *tsv)
{
	const char	*repokey = dir->key;
	struct info	*info;
	char		*key, *cause, *ts, *name, *verified;
	size_t		 i, base, ngood = 0;
	ssize_t		 newest = -1;
	int64_t		*mtimes;
	uint32_t	*views;

	if (l->ninfos == 0) {
		buf_printf(tsv, "%s\t\\N\tERROR: No info file found\t\\N\n",
		    l->label);
		return;
	}
	qsort(l->infos, l->ninfos, sizeof *l->infos, info_cmp);
	views = xcalloc(l->ninfos, sizeof *views);
	mtimes = xcalloc(l->ninfos, sizeof *mtimes);
	for (i = 0; i < l->ninfos; i++) {
		views[i] = UINT32_MAX;
		base = layout_md5_suffix(l->infos[i].name, strlen(l->infos[i].name));
		ts = xstrndup(l->infos[i].name + strlen(INFO_PREFIX),
		    base - strlen(INFO_PREFIX));
		xasprintf(&key, "%s/%s%s/%s", repokey, SNAPSHOT_PREFIX,
		    l->label, l->infos[i].name);
		cause = NULL;
		verified = NULL;
		if (base == strlen(l->infos[i].name)) {
			buf_printf(tsv, "%s\tInvalid: %s\tERROR: file name "
			    "should contain checksum", l->label,
			    l->infos[i].name);
		} else if (same_ts(l, i, base)) {
			/* Sorted by name: same timestamps are neighbours. */
			buf_printf(tsv, "%s\t%s\tERROR: more than one info "
			    "file with this timestamp", l->label, ts);
		} else if (read_info(r, key, l->infos[i].size, &info,
		    &cause) != 0) {
			buf_printf(tsv, "%s\t%s\tERROR: %s", l->label, ts,
			    cause);
		} else {
			buf_printf(tsv, "%s\t%s\tOK", l->label, ts);
			verified = jobs_verified(r->jobs, dir->name, l->label,
			    ts);
			views[i] = repo_add_view(r, l->label, ts,
			    &l->infos[i]);
			mtimes[i] = ms_to_ns(info->backup_time);
			if (mtimes[i] == 0)
				mtimes[i] = l->infos[i].mtime;
			newest = i;
			ngood++;
			info_free(info);
		}
		buf_printf(tsv, "\t%s\n", verified != NULL ? verified : "\\N");
		free(verified);
		free(cause);
		free(key);
		free(ts);
	}
	for (i = 0; i < l->ninfos && ngood > 1; i++) {
		if (views[i] == UINT32_MAX)
			continue;
		base = layout_md5_suffix(l->infos[i].name, strlen(l->infos[i].name));
		xasprintf(&name, "%s@%.*s", l->label,
		    (int)(base - strlen(INFO_PREFIX)),
		    l->infos[i].name + strlen(INFO_PREFIX));
		xasprintf(&key, "%s%s", SNAPSHOT_PREFIX, l->label);
		tree_add_dir(b, BATCH_TOP, name, mtimes[i], LOAD_SNAPSHOT, key,
		    views[i]);
		free(key);
		free(name);
	}
	if (newest != -1) {
		xasprintf(&key, "%s%s", SNAPSHOT_PREFIX, l->label);
		tree_add_dir(b, BATCH_TOP, l->label, mtimes[newest],
		    LOAD_SNAPSHOT, key, views[newest]);
		free(key);
	}
	free(mtimes);
	free(views);
}

static int
load_repo(struct repo *r, const struct tree_dir *dir, struct batch *b)
{
	struct found	 f;
	struct buf	 tsv;
	char		*folder;
	size_t		 i;
	uint32_t	 n;
	int		 error;

	memset(&f, 0, sizeof f);
	xasprintf(&folder, "%s/", dir->key);
	error = broker_list(r->broker, folder, false, repo_entry, &f);
	free(folder);
	if (error != 0)
		goto out;
	qsort(f.labels, f.nlabels, sizeof *f.labels, label_cmp);
	for (i = 0; i < f.nlabels; i++) {
		xasprintf(&folder, "%s/%s%s/", dir->key, SNAPSHOT_PREFIX,
		    f.labels[i].label);
		error = broker_list(r->broker, folder, false, label_entry,
		    &f.labels[i]);
		free(folder);
		if (error != 0)
			goto out;
	}

	buf_init(&tsv, 64 * 1024 * 1024);
	buf_printf(&tsv, "Snapshot\tTimestamp\tStatus\tVerified\n");
	for (i = 0; i < f.nlabels; i++)
		repo_label(r, dir, &f.labels[i], b, &tsv);
	n = tree_add_text(b, BATCH_TOP, "snapshots.tsv", tsv.data, tsv.len,
	    dir->mtime);
	tree_batch_mutable(b, n);
	buf_free(&tsv);
	if (f.has_repo_info)
		tree_add_file(b, BATCH_TOP, "repo_info.json", "__repo_info",
		    f.repo_info.size, f.repo_info.mtime);
out:
	found_free(&f);
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
	size_t			 prefixlen;	/* of "<snapshot>/__ss_content/" */
	uint64_t		 files;
};

/* Parse "<prefix><id>/" at *p, moving past it. */
static bool
path_id(const char **p, const char *prefix, int64_t *id)
{
	size_t	len = strlen(prefix);
	char	*end;

	if (strncmp(*p, prefix, len) != 0)
		return (false);
	errno = 0;
	*id = strtoll(*p + len, &end, 10);
	if (errno != 0 || end == *p + len || *end != '/')
		return (false);
	*p = end + 1;
	return (true);
}

/*
 * One object under __ss_content: __db_D/__tbl_T/__part_P/__idx_I/__TAB/F.
 * It becomes file F (shown without its md5 suffix) of tablet TAB when the
 * info places TAB there; anything else is left to .raw.
 */
static int
content_entry(void *arg, const struct broker_entry *e)
{
	struct snapshot_ctx	*ctx = arg;
	struct tablet_slot	*s;
	const char		*p = e->key + ctx->prefixlen;
	char			 name[NAME_MAX_BYTES + 1];
	int64_t			 db, tbl, part, idx, tablet;
	size_t			 len, shown;

	if (e->is_dir || strlen(e->key) < ctx->prefixlen)
		return (0);
	if (!path_id(&p, "__db_", &db) || !path_id(&p, "__tbl_", &tbl) ||
	    !path_id(&p, "__part_", &part) || !path_id(&p, "__idx_", &idx) ||
	    !path_id(&p, "__", &tablet) || strchr(p, '/') != NULL)
		return (0);
	s = idmap_get(&ctx->tablets, (uint64_t)tablet);
	if (s == NULL || db != ctx->info->id ||
	    tbl != s->table->id || part != s->part->id || idx != s->index->id)
		return (0);
	len = strlen(p);
	if ((shown = layout_md5_suffix(p, len)) == len || shown > NAME_MAX_BYTES)
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
snapshot_tree(struct repo *r, const char *snapkey, const struct info *info,
    int64_t mtime, struct batch *b, char **cause)
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
		xasprintf(&key, "%s/__db_%" PRId64 "/__tbl_%" PRId64,
		    CONTENT_DIR, info->id, t->id);
		tn = tree_add_dir(b, BATCH_TOP, t->name, mtime, LOAD_NONE, key, 0);
		free(key);
		for (j = 0; j < t->npartitions; j++) {
			p = &t->partitions[j];
			xasprintf(&key, "__part_%" PRId64, p->id);
			pn = tree_add_dir(b, tn, p->name, mtime, LOAD_NONE, key, 0);
			free(key);
			text = partition_text(p, &len);
			tree_add_text(b, pn, "partition.txt", text, len, mtime);
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
					xasprintf(&key, "__idx_%" PRId64 "/__%s",
					    x->id, id);
					s->node = tree_add_dir(b, pn, id, mtime,
					    LOAD_NONE, key, 0);
					free(key);
					s->table = t;
					s->part = p;
					s->index = x;
				}
			}
		}
	}

	xasprintf(&key, "%s/%s/", snapkey, CONTENT_DIR);
	ctx.prefixlen = strlen(key);
	error = broker_list(r->broker, key, true, content_entry, &ctx);
	free(key);
	idmap_free(&ctx.tablets, NULL);
	free(slots);
	if (error != 0)
		xasprintf(cause, "listing %s: %s", CONTENT_DIR, strerror(-error));
	else
		log_debug("%s: %zu tablets, %" PRIu64 " files", snapkey,
		    ntablets, ctx.files);
	return (error);
}

static int
load_snapshot(struct repo *r, const struct tree_dir *dir, struct batch *b,
    char **cause)
{
	struct snapview	 v;
	struct info	*info;
	char		*key, *text;
	size_t		 len;
	int		 error;

	pthread_mutex_lock(&r->lock);
	if (dir->aux >= r->nviews) {
		pthread_mutex_unlock(&r->lock);
		return (-ESTALE);
	}
	v = *r->views[dir->aux];
	v.label = xstrdup(v.label);
	v.timestamp = xstrdup(v.timestamp);
	v.info = xstrdup(v.info);
	pthread_mutex_unlock(&r->lock);

	xasprintf(&key, "%s/%s", dir->key, v.info);
	error = read_info(r, key, v.size, &info, cause);
	free(key);
	if (error != 0)
		goto out;

	xasprintf(&text, "Snapshot: %s\nTimestamp: %s\nDatabase: %s\n"
	    "Status: OK\n", v.label, v.timestamp, info->database);
	tree_add_text(b, BATCH_TOP, "snapshot.txt", text, strlen(text),
	    dir->mtime);
	free(text);
	text = info_details(info, &len);
	tree_add_text(b, BATCH_TOP, "details.json", text, len, dir->mtime);
	free(text);
	tree_add_file(b, BATCH_TOP, "info.json", v.info, v.size, v.mtime);
	error = snapshot_tree(r, dir->key, info, dir->mtime, b, cause);
	info_free(info);
	if (error == 0)
		stats_add(STAT_SNAPSHOTS_LOADED, 1);
out:
	free(v.label);
	free(v.timestamp);
	free(v.info);
	return (error);
}

/* The tree's loader: fill b with the children of dir. */
int
repo_load(void *arg, const struct tree_dir *dir, struct batch *b,
    char **cause)
{
	struct repo	*r = arg;

	switch (dir->load) {
	case LOAD_ROOT:
		return (load_root(r, b));
	case LOAD_REPO:
		return (load_repo(r, dir, b));
	case LOAD_SNAPSHOT:
		return (load_snapshot(r, dir, b, cause));
	case LOAD_RAW:
		return (raw_load(r->broker, dir, b));
	default:
		break;
	}
	return (0);
}
