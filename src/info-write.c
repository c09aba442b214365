/*
 * The Doris job-info JSON (__info_<timestamp>.<md5>) written from struct
 * info, the writer beside info.c's reader: what a backup uploads last,
 * compact on one line, with the keys of a Doris 3.0 writer in its order
 * (doris-format.md section 2.2), so that a Doris frontend can restore from
 * it and info_parse_files reads back the struct it was written from.  What
 * struct info does not hold is written as constants (backup_result, version
 * 3.0.0, empty tablet and commit maps) or left out (an ODBC table's details
 * beside its name).
 */

#include <inttypes.h>
#include <string.h>

#include "snapfs.h"

/* A member's name: a comma unless it comes first, the quoted name, ':'. */
static void
info_write_key(struct buf *b, size_t i, const char *name)
{
	if (i != 0)
		buf_addc(b, ',');
	json_quote(b, name, strlen(name));
	buf_addc(b, ':');
}

/* A tablet's file list, from its names each ending in '\n' (or NULL). */
static void
info_write_files(struct buf *b, const char *files)
{
	const char	*p = files, *end;
	size_t		 n = 0;

	buf_addc(b, '[');
	while (p != NULL && *p != '\0') {
		if ((end = strchr(p, '\n')) == NULL)
			end = p + strlen(p);
		if (end != p) {
			if (n++ != 0)
				buf_addc(b, ',');
			json_quote(b, p, end - p);
		}
		p = *end == '\0' ? end : end + 1;
	}
	buf_addc(b, ']');
}

/* The value of an index: its ids, its tablets' files and their order. */
static void
info_write_index(struct buf *b, const struct info_index *x)
{
	size_t	i;

	buf_printf(b, "{\"id\":%" PRId64 ",\"schema_hash\":%" PRId64
	    ",\"tablets\":{", x->id, x->schema_hash);
	for (i = 0; i < x->ntablets; i++) {
		buf_printf(b, "%s\"%" PRId64 "\":", i == 0 ? "" : ",",
		    x->tablets[i]);
		info_write_files(b, x->files != NULL ? x->files[i] : NULL);
	}
	buf_add(b, "},\"tablets_order\":[", 19);
	for (i = 0; i < x->norder; i++)
		buf_printf(b, "%s%" PRId64, i == 0 ? "" : ",", x->order[i]);
	buf_add(b, "]}", 2);
}

/* A new_backup_objects list of objects that keep only a name. */
static void
info_write_names(struct buf *b, const char *list, const char *field,
    char **names, size_t n)
{
	size_t	i;

	buf_printf(b, ",\"%s\":[", list);
	for (i = 0; i < n; i++) {
		buf_printf(b, "%s{", i == 0 ? "" : ",");
		info_write_key(b, 0, field);
		json_quote(b, names[i], strlen(names[i]));
		buf_addc(b, '}');
	}
	buf_addc(b, ']');
}

/*
 * The info as JSON, NUL-terminated, its length in *len (unless NULL); the
 * caller frees it.  name, database and content must be set, as info_parse
 * leaves them.  An index without file lists (info_parse) has empty ones.
 */
char *
info_write(const struct info *info, size_t *len)
{
	const struct info_table		*t;
	const struct info_partition	*p;
	struct buf			 b;
	size_t				 i, k, m;

	buf_init(&b, SIZE_MAX);
	buf_add(&b, "{\"name\":", 8);
	json_quote(&b, info->name, strlen(info->name));
	buf_add(&b, ",\"database\":", 12);
	json_quote(&b, info->database, strlen(info->database));
	buf_printf(&b, ",\"id\":%" PRId64 ",\"backup_time\":%" PRId64
	    ",\"content\":", info->id, info->backup_time);
	json_quote(&b, info->content, strlen(info->content));
	buf_add(&b, ",\"backup_objects\":{", 19);
	for (i = 0; i < info->ntables; i++) {
		t = &info->tables[i];
		info_write_key(&b, i, t->name);
		buf_printf(&b, "{\"id\":%" PRId64 ",\"partitions\":{", t->id);
		for (k = 0; k < t->npartitions; k++) {
			p = &t->partitions[k];
			info_write_key(&b, k, p->name);
			buf_printf(&b, "{\"id\":%" PRId64 ",\"version\":%"
			    PRId64 ",\"indexes\":{", p->id, p->version);
			for (m = 0; m < p->nindexes; m++) {
				info_write_key(&b, m, p->indexes[m].name);
				info_write_index(&b, &p->indexes[m]);
			}
			buf_add(&b, "}}", 2);
		}
		buf_add(&b, "}}", 2);
	}

	buf_add(&b, "},\"new_backup_objects\":{\"views\":[", 33);
	for (i = 0; i < info->nviews; i++) {
		buf_printf(&b, "%s{\"id\":%" PRId64 ",\"name\":",
		    i == 0 ? "" : ",", info->views[i].id);
		json_quote(&b, info->views[i].name,
		    strlen(info->views[i].name));
		buf_addc(&b, '}');
	}
	buf_addc(&b, ']');
	info_write_names(&b, "odbc_tables", "doris_table_name",
	    info->odbc_tables, info->nodbc_tables);
	info_write_names(&b, "odbc_resources", "name", info->odbc_resources,
	    info->nodbc_resources);

	buf_printf(&b, "},\"backup_result\":\"succeed\",\"meta_version\":%"
	    PRId64 ",\"major_version\":3,\"minor_version\":0,"
	    "\"patch_version\":0,\"is_force_replication_allocation\":false,"
	    "\"tablet_be_map\":{},\"tablet_snapshot_path_map\":{},"
	    "\"table_commit_seq_map\":{},\"tblalias\":{}}", info->meta_version);
	if (len != NULL)
		*len = b.len;
	return (buf_take(&b));
}
