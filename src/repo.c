/*
 * The Doris repository model: what a repository location holds, read
 * through the broker, for the mounted view and the jobs alike.  It finds
 * the repositories of a location and lists a snapshot folder; it reads an
 * object whole and checks it against the md5 in its name, reads a job
 * info so (checked, then parsed), and streams a large object through its
 * md5.  Keys are made and parsed by layout.c.  Nothing here knows FUSE or
 * the tree; every read takes its caller's abort flag.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "snapfs.h"

#define STREAM_CHUNK	(4U * 1024 * 1024)

static int
folder_entry(void *arg, const struct broker_entry *e)
{
	struct repo_folders	*rf = arg;
	struct repo_folder	*f;
	const char		*name;

	if (!e->is_dir || (name = layout_repo_name(e->key)) == NULL)
		return (0);
	rf->v = xreallocarray(rf->v, rf->n + 1, sizeof *rf->v);
	f = &rf->v[rf->n++];
	f->name = xstrdup(name);
	f->key = xstrdup(e->key);
	f->mtime = e->mtime;
	return (0);
}

/* The repository folders of the location, in listing order. */
int
repo_folders(struct broker *b, struct repo_folders *rf, volatile bool *abort)
{
	int	error;

	memset(rf, 0, sizeof *rf);
	if ((error = broker_list(b, "", 0, folder_entry, rf, abort)) != 0)
		repo_folders_free(rf);
	return (error);
}

void
repo_folders_free(struct repo_folders *rf)
{
	size_t	i;

	for (i = 0; i < rf->n; i++) {
		free(rf->v[i].name);
		free(rf->v[i].key);
	}
	free(rf->v);
	memset(rf, 0, sizeof *rf);
}

static int
snapshot_entry(void *arg, const struct broker_entry *e)
{
	struct repo_snapshot	*rs = arg;
	struct repo_object	*o;
	const char		*name = strrchr(e->key, '/'), *ts;
	size_t			 tslen;
	bool			 checked;

	name = name == NULL ? e->key : name + 1;
	rs->nobjects++;
	if (e->is_dir)
		return (0);
	if (layout_is_meta(name)) {
		free(rs->meta.name);
		rs->meta.name = xstrdup(name);
		rs->meta.size = e->size;
		rs->meta.mtime = e->mtime;
	} else if (layout_info(name, &ts, &tslen, &checked)) {
		rs->infos = xreallocarray(rs->infos, rs->ninfos + 1,
		    sizeof *rs->infos);
		o = &rs->infos[rs->ninfos++];
		o->name = xstrdup(name);
		o->size = e->size;
		o->mtime = e->mtime;
	}
	return (0);
}

static int
object_cmp(const void *a, const void *b)
{
	return (strcmp(((const struct repo_object *)a)->name,
	    ((const struct repo_object *)b)->name));
}

/*
 * What snapshot folder dir (ending in '/') holds at its top: its info
 * objects sorted by name, its __meta, and a count of everything.  A
 * folder that is not there holds nothing.
 */
int
repo_snapshot(struct broker *b, const char *dir, struct repo_snapshot *rs,
    volatile bool *abort)
{
	int	error;

	memset(rs, 0, sizeof *rs);
	if ((error = broker_list(b, dir, 0, snapshot_entry, rs,
	    abort)) != 0) {
		repo_snapshot_free(rs);
		return (error);
	}
	if (rs->ninfos > 1)
		qsort(rs->infos, rs->ninfos, sizeof *rs->infos, object_cmp);
	return (0);
}

void
repo_snapshot_free(struct repo_snapshot *rs)
{
	size_t	i;

	for (i = 0; i < rs->ninfos; i++)
		free(rs->infos[i].name);
	free(rs->infos);
	free(rs->meta.name);
	memset(rs, 0, sizeof *rs);
}

/*
 * The info object of the backup at timestamp want, or of the newest one
 * when want is NULL; only objects with an md5 count.  NULL if none.
 */
const struct repo_object *
repo_snapshot_info(const struct repo_snapshot *rs, const char *want)
{
	const struct repo_object	*found = NULL;
	const char			*ts;
	size_t				 tslen, i;
	bool				 checked;

	for (i = 0; i < rs->ninfos; i++) {
		layout_info(rs->infos[i].name, &ts, &tslen, &checked);
		if (!checked)
			continue;
		if (want == NULL || (tslen == strlen(want) &&
		    strncmp(ts, want, tslen) == 0))
			found = &rs->infos[i];	/* sorted: the newest last */
	}
	return (found);
}

/* The timestamp of an info object's name. */
char *
repo_timestamp(const char *info)
{
	const char	*ts;
	size_t		 tslen;
	bool		 checked;

	if (!layout_info(info, &ts, &tslen, &checked))
		return (xstrdup(""));
	return (xstrndup(ts, tslen));
}

/*
 * Read object key (size bytes, named <name>.<md5>) whole into b and check
 * its md5: -EBADMSG when it does not match.  On failure *cause says why,
 * as SHOW SNAPSHOT words it: "md5sum does not equal (content <md5>)", or
 * what the read met.
 */
int
repo_read_checked(struct broker *b, const char *key, uint64_t size,
    struct buf *out, volatile bool *abort, char **cause)
{
	char	md5[MD5_HEX_LEN + 1];
	size_t	len = strlen(key), base;
	int	error;

	buf_init(out, INFO_MAX);
	if ((base = layout_md5_suffix(key, len)) == len) {
		xasprintf(cause, "file name should contain checksum");
		return (-EINVAL);
	}
	if ((error = broker_read_all(b, key, size, out, abort)) != 0) {
		xasprintf(cause, "%s", strerror(-error));
		return (error);
	}
	digest_md5_hex(out->data, out->len, md5);
	stats_add(STAT_MD5_CHECKED, 1);
	if (memcmp(md5, key + base + 1, MD5_HEX_LEN) != 0) {
		stats_add(STAT_MD5_ERRORS, 1);
		log_warn("%s: md5 of content is %s", key, md5);
		xasprintf(cause, "md5sum does not equal (content %s)", md5);
		return (-EBADMSG);
	}
	return (0);
}

/*
 * Read the info object key, check it and parse it (with each tablet's
 * file list if files is set): -EBADMSG when it is damaged, -EINVAL when
 * it is malformed, else what the read met; *cause says why.
 */
int
repo_read_info(struct broker *b, const char *key, uint64_t size, bool files,
    struct info **ip, volatile bool *abort, char **cause)
{
	struct buf	 out;
	int		 error;

	*ip = NULL;
	if ((error = repo_read_checked(b, key, size, &out, abort,
	    cause)) == 0 && (error = (files ? info_parse_files :
	    info_parse)(out.data, out.len, ip, cause)) != 0)
		log_warn("%s: %s", key, *cause);
	buf_free(&out);
	return (error);
}

/*
 * Read object key of size bytes in chunks, each given to cb (if not NULL)
 * as it comes, and its md5 into md5: 0, -EIO if it is shorter than size,
 * or the error of a read or of cb.
 */
int
repo_stream(struct broker *b, const char *key, uint64_t size,
    repo_chunk_cb cb, void *arg, volatile bool *abort,
    char md5[MD5_HEX_LEN + 1])
{
	struct md5	*m;
	char		*chunk;
	uint64_t	 off = 0;
	ssize_t		 n;
	int		 error = 0;

	m = digest_md5_create();
	chunk = xmalloc(size < STREAM_CHUNK ? size + 1 : STREAM_CHUNK);
	while (error == 0 && off < size) {
		n = broker_read(b, key, chunk, size - off < STREAM_CHUNK ?
		    size - off : STREAM_CHUNK, off, abort);
		if (n <= 0)
			error = n == 0 ? -EIO : n;
		else if (cb == NULL || (error = cb(arg, chunk, n)) == 0) {
			digest_md5_update(m, chunk, n);
			off += n;
		}
	}
	digest_md5_final(m, md5);
	digest_md5_free(m);
	free(chunk);
	return (error);
}

/*
 * Where each tablet of an info is, by tablet id: its table, partition and
 * index (the first, when the info lists a tablet twice), and a word for
 * the caller.
 */
void
repo_places_init(struct repo_places *pl, const struct info *info)
{
	const struct info_table		*t;
	const struct info_partition	*p;
	const struct info_index		*x;
	struct repo_place		*s;
	size_t				 n = 0, i, j, k, m;

	for (i = 0; i < info->ntables; i++)
		for (j = 0; j < info->tables[i].npartitions; j++)
			for (k = 0; k < info->tables[i].partitions[j].nindexes;
			    k++)
				n += info->tables[i].partitions[j].indexes[k].
				    ntablets;
	pl->info = info;
	pl->v = xcalloc(n == 0 ? 1 : n, sizeof *pl->v);
	pl->n = 0;
	idmap_init(&pl->map, n);
	for (i = 0; i < info->ntables; i++) {
		t = &info->tables[i];
		for (j = 0; j < t->npartitions; j++) {
			p = &t->partitions[j];
			for (k = 0; k < p->nindexes; k++) {
				x = &p->indexes[k];
				for (m = 0; m < x->ntablets; m++) {
					s = &pl->v[pl->n];
					if (idmap_put(&pl->map,
					    (uint64_t)x->tablets[m], s) != s)
						continue;
					s->tablet = x->tablets[m];
					s->table = t;
					s->part = p;
					s->index = x;
					pl->n++;
				}
			}
		}
	}
}

void
repo_places_free(struct repo_places *pl)
{
	idmap_free(&pl->map, NULL);
	free(pl->v);
}

/* The place of tablet id, or NULL. */
struct repo_place *
repo_place_of(const struct repo_places *pl, int64_t id)
{
	return (idmap_get(&pl->map, (uint64_t)id));
}

/*
 * The place of the tablet whose file key rel (below the snapshot folder)
 * is, when the info puts that tablet there; *file is the file's name.
 */
struct repo_place *
repo_place_find(const struct repo_places *pl, const char *rel,
    const char **file)
{
	struct layout_tablet	 t;
	struct repo_place	*s;

	if (!layout_tablet_file(rel, &t, file) || t.db != pl->info->id ||
	    (s = repo_place_of(pl, t.tablet)) == NULL ||
	    t.table != s->table->id || t.partition != s->part->id ||
	    t.index != s->index->id)
		return (NULL);
	return (s);
}
