/*
 * A snapshot folder of the mount, made when it is first opened: its info
 * object is read (checked against its md5, parsed) and gives
 * snapshot.txt, details.json, info.json and a folder per table, partition
 * and tablet; one recursive listing of the folder gives each tablet its
 * files, and global.sql when BACKUP GLOBAL left an object of the same
 * timestamp (its users' password hashes make it the mount owner's alone).
 * An info that is damaged or malformed gives only snapshot.txt, whose
 * Status says why, as SHOW SNAPSHOT ... WHERE does.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapfs.h"

/* snapshot.txt's last line: did BACKUP GLOBAL save the backup's globals? */
#define GLOBAL_YES	"global.sql (users, grants, catalogs, workload groups)"

struct snapshot_ctx {
	struct batch		*b;
	struct repo_places	 places;	/* aux: the tablet's node */
	size_t			 prefixlen;	/* of "<snapshot folder>/" */
	uint64_t		 files;
	const char		*timestamp;	/* of the backup shown */
	struct repo_object	 global;	/* its BACKUP GLOBAL object */
	size_t			 nglobals;	/* with that timestamp */
};

/* A BACKUP GLOBAL object at the top of the folder, if of our backup. */
static void
global_entry(struct snapshot_ctx *ctx, const struct broker_entry *e,
    const char *name)
{
	const char	*ts;
	size_t		 tslen;

	if (!layout_global_info(name, &ts, &tslen) ||
	    tslen != strlen(ctx->timestamp) ||
	    strncmp(ts, ctx->timestamp, tslen) != 0)
		return;
	if (ctx->nglobals++ == 0) {
		ctx->global.name = xstrdup(name);
		ctx->global.size = e->size;
		ctx->global.mtime = e->mtime;
	}
}

/*
 * One object of the folder: file F of tablet T when the info places T
 * where the key says, shown without its md5 suffix, or a BACKUP GLOBAL
 * object; anything else is left to .raw: a name without an md5 suffix
 * too, as StarRocks's manifest of a tablet's files.
 */
static int
content_entry(void *arg, const struct broker_entry *e)
{
	struct snapshot_ctx	*ctx = arg;
	struct repo_place	*pl;
	const char		*p;
	char			 name[NAME_MAX_BYTES + 1];
	size_t			 len, shown;

	if (e->is_dir || strlen(e->key) < ctx->prefixlen)
		return (0);
	p = e->key + ctx->prefixlen;
	if (strchr(p, '/') == NULL) {
		global_entry(ctx, e, p);
		return (0);
	}
	if ((pl = repo_place_find(&ctx->places, p, &p)) == NULL)
		return (0);
	len = strlen(p);
	if ((shown = layout_md5_suffix(p, len)) == len ||
	    shown > NAME_MAX_BYTES)
		return (0);
	memcpy(name, p, shown);
	name[shown] = '\0';
	tree_add_file(ctx->b, pl->aux, name, p, e->size, e->mtime);
	if (shown > 4 && strcmp(name + shown - 4, ".hdr") == 0)
		tree_add_tablet(ctx->b, pl->aux, "tablet.txt", p, e->size,
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

/* global.sql, from the one BACKUP GLOBAL object of the backup. */
static bool
snapshot_global(const struct tree_dir *dir, struct snapshot_ctx *ctx)
{
	uint32_t	i;

	if (ctx->nglobals > 1)
		log_warn("%s: %zu global infos of %s, none shown", dir->key,
		    ctx->nglobals, ctx->timestamp);
	if (ctx->nglobals != 1)
		return (false);
	i = tree_add_file(ctx->b, BATCH_TOP, "global.sql", ctx->global.name,
	    ctx->global.size, ctx->global.mtime);
	tree_batch_private(ctx->b, i);
	return (true);
}

/*
 * Table, partition and tablet folders from the info, then tablet files
 * and global.sql; *global says whether there is one.
 */
static int
snapshot_tree(struct broker *broker, const struct tree_dir *dir,
    const struct info *info, const char *timestamp, struct batch *b,
    bool *global, char **cause)
{
	struct snapshot_ctx	 ctx;
	const struct info_table	*t;
	const struct info_partition *p;
	const struct info_index	*x;
	struct repo_place	*pl;
	char			*key, *text, id[32];
	size_t			 i, j, k, m, len;
	uint32_t		 tn, pn;
	int			 error;

	memset(&ctx, 0, sizeof ctx);
	ctx.b = b;
	ctx.timestamp = timestamp;
	repo_places_init(&ctx.places, info);
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
					pl = repo_place_of(&ctx.places,
					    x->tablets[m]);
					if (pl->index != x)
						continue;	/* listed twice */
					snprintf(id, sizeof id, "%" PRId64,
					    x->tablets[m]);
					key = layout_tablet_key(x->id,
					    x->tablets[m]);
					pl->aux = tree_add_dir(b, pn, id,
					    dir->mtime, LOAD_NONE, key, 0);
					free(key);
				}
			}
		}
	}

	/* The whole folder: its content, and the objects beside the info. */
	xasprintf(&key, "%s/", dir->key);
	ctx.prefixlen = strlen(key);
	error = broker_list(broker, key, BROKER_RECURSIVE, content_entry,
	    &ctx, dir->abort);
	free(key);
	if (error != 0)
		xasprintf(cause, "listing the content: %s", strerror(-error));
	else {
		*global = snapshot_global(dir, &ctx);
		log_debug("%s: %zu tablets, %" PRIu64 " files", dir->key,
		    ctx.places.n, ctx.files);
	}
	free(ctx.global.name);
	repo_places_free(&ctx.places);
	return (error);
}

/*
 * Fill b with snapshot folder dir, whose backup at timestamp has info
 * object o.  An info that cannot be read for good (damaged, malformed)
 * gives only snapshot.txt, and why in *found; one that cannot be read
 * now is an error, tried again on the next access.
 */
int
view_snapshot_load(struct broker *broker, const struct tree_dir *dir,
    const char *label, const char *timestamp, const struct repo_object *o,
    struct batch *b, char **found, char **cause)
{
	struct info	*info;
	char		*key, *text, *why = NULL;
	size_t		 len;
	bool		 global = false;
	int		 error;

	*found = NULL;
	xasprintf(&key, "%s/%s", dir->key, o->name);
	error = repo_read_info(broker, key, o->size, false, &info, dir->abort,
	    &why);
	free(key);
	if (error == -EBADMSG || error == -EINVAL) {
		xasprintf(found, "Failed to get info: %s", why);
		xasprintf(&text, "Snapshot: %s\nTimestamp: %s\nDatabase: \\N\n"
		    "Status: %s\n", label, timestamp, *found);
		tree_add_text(b, BATCH_TOP, "snapshot.txt", text,
		    strlen(text), dir->mtime);
		free(text);
		free(why);
		return (0);
	}
	if (error != 0) {
		xasprintf(cause, "%s: %s", o->name, why);
		free(why);
		return (error);
	}

	text = info_details(info, &len);
	tree_add_text(b, BATCH_TOP, "details.json", text, len, dir->mtime);
	free(text);
	tree_add_file(b, BATCH_TOP, "info.json", o->name, o->size, o->mtime);
	error = snapshot_tree(broker, dir, info, timestamp, b, &global, cause);
	if (error == 0) {
		xasprintf(&text, "Snapshot: %s\nTimestamp: %s\nDatabase: %s\n"
		    "Status: OK\nGlobal: %s\n", label, timestamp,
		    info->database, global ? GLOBAL_YES : "none");
		tree_add_text(b, BATCH_TOP, "snapshot.txt", text,
		    strlen(text), dir->mtime);
		free(text);
		stats_add(STAT_SNAPSHOTS_LOADED, 1);
	}
	info_free(info);
	return (error);
}
