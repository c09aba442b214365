/*
 * Unit tests for info.c: one fixture per era of the Doris job-info JSON
 * (tests/data/info/, found under $srcdir), the values each must give, the
 * Details text of SHOW SNAPSHOT, the messages for malformed files, and a
 * smoke fuzz (every truncation and byte flips of every fixture) that must
 * never crash or leak.  And for info-write.c: the bytes a backup uploads,
 * and every fixture read, written and read back equal.
 */

#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapfs.h"

/* Read a fixture into an exact-size buffer, so ASan sees overreads. */
static char *
load(const char *name, size_t *len)
{
	const char	*srcdir = getenv("srcdir");
	char		*path, *data;
	FILE		*f;
	long		 n;

	xasprintf(&path, "%s/tests/data/info/%s",
	    srcdir != NULL ? srcdir : ".", name);
	f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	data = xmalloc(n == 0 ? 1 : n);
	cr_assert_eq(fread(data, 1, n, f), (size_t)n);
	fclose(f);
	free(path);
	*len = n;
	return (data);
}

static struct info *
parse_file(const char *name)
{
	struct info	*info;
	char		*data, *cause = NULL;
	size_t		 len;
	int		 r;

	data = load(name, &len);
	r = info_parse(data, len, &info, &cause);
	cr_assert_eq(r, 0, "%s: %s", name, cause != NULL ? cause : "?");
	cr_assert_null(cause);
	free(data);
	return (info);
}

/* Parse a document that must fail; return the cause (caller frees). */
static char *
fail_doc(const char *doc, size_t len)
{
	struct info	*info = (struct info *)1;
	char		*cause = NULL;

	cr_assert_eq(info_parse(doc, len, &info, &cause), -EINVAL,
	    "accepted: %.*s", (int)len, doc);
	cr_assert_null(info);
	cr_assert_not_null(cause);
	return (cause);
}

static void
fail_file(const char *name, const char *want)
{
	char	*data, *cause;
	size_t	 len;

	data = load(name, &len);
	cause = fail_doc(data, len);
	cr_expect_str_eq(cause, want, "%s: got %s", name, cause);
	free(cause);
	free(data);
}

static void
fail_str(const char *doc, const char *want)
{
	char	*cause;

	cause = fail_doc(doc, strlen(doc));
	cr_expect_str_eq(cause, want, "%s: got %s", doc, cause);
	free(cause);
}

static void
ids_are(const int64_t *got, size_t n, const int64_t *want, size_t nwant)
{
	size_t	i;

	cr_assert_eq(n, nwant);
	for (i = 0; i < n; i++)
		cr_expect_eq(got[i], want[i], "[%zu]: %lld", i,
		    (long long)got[i]);
}
#define IDS(got, n, ...) do {						\
	const int64_t want_[] = { __VA_ARGS__ };			\
	ids_are(got, n, want_, sizeof want_ / sizeof want_[0]);	\
} while (0)

static void
index_is(const struct info_index *x, const char *name, int64_t id,
    int64_t schema_hash)
{
	cr_expect_str_eq(x->name, name);
	cr_expect_eq(x->id, id);
	cr_expect_eq(x->schema_hash, schema_hash);
}

static const char details_example[] =
	    "{\n"
	    "  \"name\": \"snap_20240301\",\n"
	    "  \"database\": \"sales\",\n"
	    "  \"backup_time\": 1709280000000,\n"
	    "  \"content\": \"ALL\",\n"
	    "  \"olap_table_list\": [\n"
	    "    {\n"
	    "      \"name\": \"orders\",\n"
	    "      \"partition_names\": [\n"
	    "        \"p202401\",\n"
	    "        \"p202402\"\n"
	    "      ]\n"
	    "    },\n"
	    "    {\n"
	    "      \"name\": \"users\",\n"
	    "      \"partition_names\": [\n"
	    "        \"users\"\n"
	    "      ]\n"
	    "    }\n"
	    "  ],\n"
	    "  \"view_list\": [\n"
	    "    {\n"
	    "      \"id\": 10040,\n"
	    "      \"name\": \"v_orders_daily\"\n"
	    "    }\n"
	    "  ],\n"
	    "  \"odbc_table_list\": [],\n"
	    "  \"odbc_resource_list\": []\n"
	    "}\n";

static const char details_21[] =
	    "{\n"
	    "  \"name\": \"snap_21\",\n"
	    "  \"database\": \"dw\",\n"
	    "  \"backup_time\": 1711929600000,\n"
	    "  \"content\": \"METADATA_ONLY\",\n"
	    "  \"olap_table_list\": [\n"
	    "    {\n"
	    "      \"name\": \"events\",\n"
	    "      \"partition_names\": [\n"
	    "        \"p20240101\"\n"
	    "      ]\n"
	    "    }\n"
	    "  ],\n"
	    "  \"view_list\": [\n"
	    "    {\n"
	    "      \"id\": 40040,\n"
	    "      \"name\": \"v_a\"\n"
	    "    },\n"
	    "    {\n"
	    "      \"id\": 40041,\n"
	    "      \"name\": \"v_b\"\n"
	    "    }\n"
	    "  ],\n"
	    "  \"odbc_table_list\": [\n"
	    "    {\n"
	    "      \"doris_table_name\": \"ext_mysql\"\n"
	    "    }\n"
	    "  ],\n"
	    "  \"odbc_resource_list\": [\n"
	    "    {\n"
	    "      \"name\": \"odbc_res\"\n"
	    "    }\n"
	    "  ]\n"
	    "}\n";

Test(info, doris_3_0_example)
{
	struct info		*info = parse_file("doris-3.0-example.json");
	struct info_table	*t;
	struct info_partition	*p;

	cr_expect_str_eq(info->name, "snap_20240301");
	cr_expect_str_eq(info->database, "sales");
	cr_expect_eq(info->id, 10001);
	cr_expect_eq(info->backup_time, 1709280000000LL);
	cr_expect_str_eq(info->content, "ALL");
	cr_expect_eq(info->meta_version, 140);
	cr_assert_eq(info->ntables, 2);

	t = &info->tables[0];
	cr_expect_str_eq(t->name, "orders");
	cr_expect_eq(t->id, 10010);
	cr_assert_eq(t->npartitions, 2);
	p = &t->partitions[0];
	cr_expect_str_eq(p->name, "p202401");
	cr_expect_eq(p->id, 10011);
	cr_expect_eq(p->version, 5);
	cr_assert_eq(p->nindexes, 1);
	index_is(&p->indexes[0], "orders", 10012, 1520397563);
	IDS(p->indexes[0].tablets, p->indexes[0].ntablets, 10013, 10014);
	IDS(p->indexes[0].order, p->indexes[0].norder, 10013, 10014);
	p = &t->partitions[1];
	cr_expect_str_eq(p->name, "p202402");
	cr_expect_eq(p->id, 10021);
	cr_expect_eq(p->version, 3);
	cr_assert_eq(p->nindexes, 1);
	index_is(&p->indexes[0], "orders", 10012, 1520397563);
	IDS(p->indexes[0].order, p->indexes[0].norder, 10023, 10024);

	t = &info->tables[1];
	cr_expect_str_eq(t->name, "users");
	cr_expect_eq(t->id, 10030);
	cr_assert_eq(t->npartitions, 1);
	p = &t->partitions[0];
	cr_expect_str_eq(p->name, "users");
	cr_expect_eq(p->id, 10031);
	cr_expect_eq(p->version, 2);
	cr_assert_eq(p->nindexes, 1);
	index_is(&p->indexes[0], "users", 10032, 998877665);
	IDS(p->indexes[0].tablets, p->indexes[0].ntablets, 10033);
	IDS(p->indexes[0].order, p->indexes[0].norder, 10033);

	cr_assert_eq(info->nviews, 1);
	cr_expect_eq(info->views[0].id, 10040);
	cr_expect_str_eq(info->views[0].name, "v_orders_daily");
	cr_expect_eq(info->nodbc_tables, 0);
	cr_expect_eq(info->nodbc_resources, 0);
	info_free(info);
}

Test(info, details_of_the_example)
{
	struct info	*info = parse_file("doris-3.0-example.json");
	char		*text;
	size_t		 len;

	text = info_details(info, &len);
	cr_expect_str_eq(text, details_example);
	cr_expect_eq(len, strlen(details_example));
	free(text);
	info_free(info);
}

Test(info, doris_0_13)
{
	struct info		*info = parse_file("doris-0.13.json");
	struct info_table	*t;
	struct info_index	*x;

	cr_expect_str_eq(info->name, "snap_013");
	cr_expect_str_eq(info->database, "sales_old");
	cr_expect_eq(info->id, 20001);
	cr_expect_eq(info->backup_time, 1600000000123LL);
	cr_expect_str_eq(info->content, "ALL");	/* absent before 0.14 */
	cr_expect_eq(info->meta_version, 91);
	cr_expect_eq(info->nviews, 0);
	cr_assert_eq(info->ntables, 2);

	/* File order, whatever the key order inside each object. */
	t = &info->tables[0];
	cr_expect_str_eq(t->name, "users");
	cr_expect_eq(t->id, 20028);
	cr_assert_eq(t->npartitions, 1);
	cr_expect_eq(t->partitions[0].id, 20029);
	cr_expect_eq(t->partitions[0].version, 2);
	cr_assert_eq(t->partitions[0].nindexes, 1);
	x = &t->partitions[0].indexes[0];
	index_is(x, "users", 20030, 998877665);
	IDS(x->tablets, x->ntablets, 20033, 20031, 20032);
	/* No tablets_order: the ids sorted, as Doris does. */
	IDS(x->order, x->norder, 20031, 20032, 20033);

	t = &info->tables[1];
	cr_expect_str_eq(t->name, "orders");
	cr_expect_eq(t->id, 20010);
	cr_assert_eq(t->npartitions, 2);
	cr_expect_str_eq(t->partitions[0].name, "p2");
	cr_expect_eq(t->partitions[0].id, 20021);
	cr_expect_eq(t->partitions[0].version, 3);
	x = &t->partitions[0].indexes[0];
	index_is(x, "orders", 20012, 1520397563);
	IDS(x->tablets, x->ntablets, 20023, 20024);
	IDS(x->order, x->norder, 20024, 20023);	/* strings, in order */
	cr_expect_str_eq(t->partitions[1].name, "p1");
	cr_expect_eq(t->partitions[1].version, 5);
	x = &t->partitions[1].indexes[0];
	IDS(x->order, x->norder, 20013);
	info_free(info);
}

Test(info, doris_0_14)
{
	struct info		*info = parse_file("doris-0.14.json");
	struct info_partition	*p;
	char			*text;

	cr_expect_str_eq(info->name, "snap_014");
	cr_expect_str_eq(info->content, "ALL");
	cr_expect_eq(info->meta_version, 96);
	cr_assert_eq(info->ntables, 1);
	cr_assert_eq(info->tables[0].npartitions, 1);
	p = &info->tables[0].partitions[0];
	cr_expect_str_eq(p->name, "orders");
	cr_expect_eq(p->version, 7);
	cr_assert_eq(p->nindexes, 1);
	index_is(&p->indexes[0], "orders", 30012, 111222333);
	IDS(p->indexes[0].tablets, p->indexes[0].ntablets, 30013, 30014);
	IDS(p->indexes[0].order, p->indexes[0].norder, 30014, 30013);
	cr_expect_eq(info->nviews, 0);
	text = info_details(info, NULL);
	cr_expect_not_null(strstr(text, "\"view_list\": [],\n"));
	free(text);
	info_free(info);
}

Test(info, doris_2_1)
{
	struct info		*info = parse_file("doris-2.1.json");
	struct info_index	*x;
	char			*text;

	cr_expect_str_eq(info->content, "METADATA_ONLY");
	cr_expect_eq(info->meta_version, 129);
	cr_assert_eq(info->ntables, 1);
	x = &info->tables[0].partitions[0].indexes[0];
	index_is(x, "events", 40012, -1928374650);
	IDS(x->tablets, x->ntablets, 40013, 40014, 40015);
	IDS(x->order, x->norder, 40015, 40013, 40014);
	cr_assert_eq(info->nviews, 2);
	cr_expect_eq(info->views[1].id, 40041);
	cr_expect_str_eq(info->views[1].name, "v_b");
	cr_assert_eq(info->nodbc_tables, 1);
	cr_expect_str_eq(info->odbc_tables[0], "ext_mysql");
	cr_assert_eq(info->nodbc_resources, 1);
	cr_expect_str_eq(info->odbc_resources[0], "odbc_res");
	text = info_details(info, NULL);
	cr_expect_str_eq(text, details_21);
	free(text);
	info_free(info);
}

Test(info, doris_3_0_manifest_and_string_ids)
{
	struct info		*info = parse_file("doris-3.0-manifest.json");
	struct info_partition	*p;

	cr_expect_eq(info->id, 50001);
	cr_expect_eq(info->backup_time, 1735689600000LL);
	cr_assert_eq(info->ntables, 1);
	cr_expect_eq(info->tables[0].id, 50010);
	p = &info->tables[0].partitions[0];
	cr_expect_eq(p->id, 50011);
	cr_expect_eq(p->version, 9);
	index_is(&p->indexes[0], "orders", 50012, 424242);
	IDS(p->indexes[0].tablets, p->indexes[0].ntablets, 50013);
	IDS(p->indexes[0].order, p->indexes[0].norder, 50013);
	info_free(info);
}

Test(info, rollup_beside_base_index)
{
	struct info		*info = parse_file("rollup.json");
	struct info_partition	*p;

	cr_assert_eq(info->ntables, 1);
	p = &info->tables[0].partitions[0];
	cr_assert_eq(p->nindexes, 2);
	index_is(&p->indexes[0], "orders", 60012, 1001);
	IDS(p->indexes[0].order, p->indexes[0].norder, 60013, 60014);
	index_is(&p->indexes[1], "r_by_day", 60020, 2002);
	IDS(p->indexes[1].tablets, p->indexes[1].ntablets, 60021, 60022);
	IDS(p->indexes[1].order, p->indexes[1].norder, 60022, 60021);
	info_free(info);
}

Test(info, starrocks)
{
	struct info		*info = parse_file("starrocks.json");
	struct info_index	*x;

	cr_expect_str_eq(info->name, "sr_snap");
	cr_expect_str_eq(info->database, "ssb");
	cr_expect_eq(info->meta_version, 92);
	cr_expect_str_eq(info->content, "ALL");
	cr_assert_eq(info->ntables, 1);
	cr_expect_str_eq(info->tables[0].name, "lineorder");
	cr_expect_eq(info->tables[0].id, 70010);
	x = &info->tables[0].partitions[0].indexes[0];
	index_is(x, "lineorder", 70012, 12345);
	IDS(x->tablets, x->ntablets, 70014, 70013);
	IDS(x->order, x->norder, 70013, 70014);
	info_free(info);
}

Test(info, duplicate_names_keep_the_first)
{
	struct info		*info = parse_file("duplicates.json");
	struct info_table	*t;

	cr_assert_eq(info->ntables, 2);
	t = &info->tables[0];
	cr_expect_str_eq(t->name, "t");
	cr_expect_eq(t->id, 10);
	cr_assert_eq(t->npartitions, 2);
	cr_expect_str_eq(t->partitions[0].name, "p");
	cr_expect_eq(t->partitions[0].id, 11);
	cr_expect_str_eq(t->partitions[1].name, "q");
	cr_assert_eq(t->partitions[0].nindexes, 1);
	cr_expect_eq(t->partitions[0].indexes[0].id, 12);
	IDS(t->partitions[0].indexes[0].tablets,
	    t->partitions[0].indexes[0].ntablets, 13);
	cr_expect_str_eq(info->tables[1].name, "u");
	cr_expect_eq(info->tables[1].id, 20);
	cr_expect_eq(info->database[0], 'd');
	info_free(info);
}

Test(info, escapes_and_chinese_names)
{
	struct info		*info = parse_file("escapes.json");
	struct info_table	*t;
	char			*text;

	cr_expect_str_eq(info->name, "snap_中文");
	cr_expect_str_eq(info->database, "销售");
	cr_assert_eq(info->ntables, 2);
	t = &info->tables[0];
	cr_expect_str_eq(t->name, "订单");
	cr_assert_eq(t->npartitions, 1);
	cr_expect_str_eq(t->partitions[0].name, "p1=<>");
	cr_expect_str_eq(t->partitions[0].indexes[0].name, "订单");
	cr_expect_str_eq(info->tables[1].name, "a\"b\\c/d'");
	cr_assert_eq(info->nviews, 1);
	cr_expect_str_eq(info->views[0].name, "v_\xf0\x9f\x98\x80_\xc3\xa9");

	/* Details escapes as Gson does and keeps UTF-8. */
	text = info_details(info, NULL);
	cr_expect_not_null(strstr(text, "\"name\": \"snap_中文\",\n"));
	cr_expect_not_null(strstr(text, "\"p1\\u003d\\u003c\\u003e\"\n"));
	cr_expect_not_null(strstr(text, "\"a\\\"b\\\\c/d\\u0027\",\n"));
	cr_expect_not_null(strstr(text, "\"partition_names\": []\n"));
	free(text);
	info_free(info);
}

Test(info, malformed_fixtures)
{
	fail_file("bad-types.json", "info JSON: "
	    "backup_objects.orders.partitions: expected an object");
	fail_file("bad-not-object.json", "info JSON: not an object");
	fail_file("bad-no-name.json", "info JSON: missing \"name\"");
	fail_file("bad-no-objects.json",
	    "info JSON: missing \"backup_objects\"");
	fail_file("bad-garbage.json",
	    "info JSON: offset 0: expected a value");
	fail_file("bad-tablet-id.json", "info JSON: backup_objects.t."
	    "partitions.p.indexes.t.tablets.abc: tablet id is not an integer");
	fail_file("bad-order.json", "info JSON: backup_objects.t.partitions.p."
	    "indexes.t.tablets_order[1]: offset 110: expected an integer, "
	    "not a fraction");
	fail_file("bad-trailing.json",
	    "info JSON: offset 32: unexpected data after the end");
	fail_file("bad-utf8.json", "info JSON: offset 32: invalid UTF-8");
	fail_file("bad-truncated.json",
	    "info JSON: offset 700: unterminated string");
	fail_file("bad-name-type.json", "info JSON: name: expected a string");
}

Test(info, wrong_types_inline)
{
	fail_str("", "info JSON: offset 0: unexpected end, expected a value");
	fail_str("\"x\"", "info JSON: not an object");
	fail_str("{\"name\":\"x\",\"backup_objects\":[]}",
	    "info JSON: backup_objects: expected an object");
	fail_str("{\"name\":\"x\",\"id\":true,\"backup_objects\":{}}",
	    "info JSON: id: expected an integer");
	fail_str("{\"name\":\"x\",\"backup_time\":\"soon\","
	    "\"backup_objects\":{}}",
	    "info JSON: backup_time: offset 26: expected an integer");
	fail_str("{\"name\":\"x\",\"backup_objects\":{\"t\":[]}}",
	    "info JSON: backup_objects.t: expected an object");
	fail_str("{\"name\":\"x\",\"backup_objects\":{\"t\":"
	    "{\"partitions\":{\"p\":"
	    "{\"indexes\":{\"i\":{\"tablets\":[]}}}}}}}",
	    "info JSON: backup_objects.t.partitions.p.indexes.i.tablets: "
	    "expected an object");
	fail_str("{\"name\":\"x\",\"backup_objects\":{\"t\":"
	    "{\"partitions\":{\"p\":"
	    "{\"indexes\":{\"i\":{\"tablets\":{\"1\":\"f\"}}}}}}}}",
	    "info JSON: backup_objects.t.partitions.p.indexes.i.tablets.1: "
	    "expected an array");
	fail_str("{\"name\":\"x\",\"backup_objects\":{\"t\":"
	    "{\"partitions\":{\"p\":"
	    "{\"indexes\":{\"i\":{\"tablets_order\":[1,null]}}}}}}}",
	    "info JSON: backup_objects.t.partitions.p.indexes.i."
	    "tablets_order[1]: expected an integer");
	fail_str("{\"name\":\"x\",\"backup_objects\":{},"
	    "\"new_backup_objects\":{\"views\":{}}}",
	    "info JSON: new_backup_objects.views: expected an array");
	fail_str("{\"name\":\"x\",\"backup_objects\":{},"
	    "\"new_backup_objects\":{\"views\":[{\"id\":1},2]}}",
	    "info JSON: new_backup_objects.views[1]: expected an object");
	fail_str("{\"name\":\"x\\u0000y\",\"backup_objects\":{}}",
	    "info JSON: name: string contains a NUL character");
	fail_str("{\"name\":\"x\",\"backup_objects\":{\"a\\u0000\":{}}}",
	    "info JSON: backup_objects.a: name contains a NUL character");
	fail_str("{\"name\":\"x\",\"backup_objects\":{\"t\":"
	    "{\"partitions\":{\"p\\u001b[2J\":{}}}}}",
	    "info JSON: backup_objects.t.partitions.p?[2J: name contains a "
	    "control character");
	fail_str("{\"name\":\"x\",\"database\":\"d\\n\","
	    "\"backup_objects\":{}}",
	    "info JSON: database: string contains a control character");
	fail_str("{\"name\":\"x\",\"backup_objects\":null}",
	    "info JSON: missing \"backup_objects\"");
	fail_str("{\"name\":\"x\",\"backup_objects\":{}",
	    "info JSON: offset 31: unexpected end, expected ',' or '}'");
	fail_str("{\"name\":\"x\" \"backup_objects\":{}}",
	    "info JSON: offset 12: expected ',' or '}'");
}

Test(info, tolerated_oddities)
{
	static const char doc[] =
	    "{\"backup_objects\":{\"t\":{\"partitions\":{\"p\":{\"indexes\":"
	    "{\"i\":{\"tablets\":{\"5\":null,\"-3\":[],\"4\":[\"x\"]},"
	    "\"tablets_order\":[],\"tablet_manifests\":{\"5\":{}}}}}}}},"
	    "\"name\":\"late\",\"database\":null,\"unknown\":[{\"deep\":[[]]}],"
	    "\"name\\u0000\":5,\"new_backup_objects\":null,\"content\":null}";
	struct info		*info;
	struct info_index	*x;
	char			*cause = NULL;

	cr_assert_eq(info_parse(doc, sizeof doc - 1, &info, &cause), 0,
	    "%s", cause);
	cr_expect_str_eq(info->name, "late");
	cr_expect_str_eq(info->database, "");
	cr_expect_str_eq(info->content, "ALL");
	cr_expect_eq(info->id, 0);
	x = &info->tables[0].partitions[0].indexes[0];
	IDS(x->tablets, x->ntablets, 5, -3, 4);
	IDS(x->order, x->norder, -3, 4, 5);	/* empty order: sorted */
	info_free(info);
	info_free(NULL);

	/* A NULL cause is allowed. */
	cr_expect_eq(info_parse("[]", 2, &info, NULL), -EINVAL);
}

Test(info, many_tablets)
{
	struct buf		 b;
	struct info		*info;
	struct info_index	*x;
	char			*cause = NULL;
	int			 i, n = 300000;

	buf_init(&b, SIZE_MAX / 2);
	buf_printf(&b, "{\"name\":\"big\",\"backup_objects\":{\"t\":"
	    "{\"partitions\":{\"p\":{\"indexes\":{\"t\":{\"tablets\":{");
	for (i = 0; i < n; i++)
		buf_printf(&b, "%s\"%d\":[\"%d.hdr.df290ba5b1e4840507b6391d5"
		    "546449c\",\"x_0.dat.c8a380254573a1d0664475eb8d01a455\"]",
		    i ? "," : "", n - i, n - i);
	buf_printf(&b, "}}}}}}}}");
	cr_assert_eq(info_parse(b.data, b.len, &info, &cause), 0, "%s",
	    cause);
	x = &info->tables[0].partitions[0].indexes[0];
	cr_assert_eq(x->ntablets, (size_t)n);
	cr_assert_eq(x->norder, (size_t)n);
	for (i = 0; i < n; i++) {
		cr_assert_eq(x->tablets[i], n - i);
		cr_assert_eq(x->order[i], i + 1);
	}
	info_free(info);
	buf_free(&b);
}

/* Parse a possibly broken document; it may fail, never crash or leak. */
static void
try_parse(const char *data, size_t len, bool must_fail, const char *what)
{
	struct info	*info;
	char		*cause = NULL, *text;
	int		 r;

	r = info_parse(data, len, &info, &cause);
	if (r == 0) {
		cr_assert(!must_fail, "%s accepted", what);
		cr_assert_null(cause);
		text = info_details(info, NULL);
		cr_assert_not_null(text);
		free(text);
		info_free(info);
	} else {
		cr_assert_eq(r, -EINVAL);
		cr_assert_null(info);
		cr_assert_not_null(cause, "%s: no cause", what);
		cr_assert_eq(strncmp(cause, "info JSON: ", 11), 0, "%s", cause);
		free(cause);
	}
}

Test(info, fuzz_smoke)
{
	static const unsigned char flips[] = {
		0x01, 0x20, 0x80, 0xff
	};
	static const char sets[] = "\"{}[],:\\0-";
	const char	*srcdir = getenv("srcdir");
	struct dirent	*de;
	char		*path, *data, *copy;
	size_t		 len, n, i, k, nfiles = 0;
	bool		 good;
	DIR		*d;

	xasprintf(&path, "%s/tests/data/info", srcdir ? srcdir : ".");
	d = opendir(path);
	cr_assert_not_null(d, "%s", path);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		nfiles++;
		good = strncmp(de->d_name, "bad-", 4) != 0;
		data = load(de->d_name, &len);
		if (good)
			try_parse(data, len, false, de->d_name);
		/* Every proper prefix of a valid object is invalid. */
		for (n = 0; n < len; n++) {
			copy = xmalloc(n == 0 ? 1 : n);
			memcpy(copy, data, n);
			try_parse(copy, n, good, de->d_name);
			free(copy);
		}
		copy = xmalloc(len);
		for (i = 0; i < len; i++) {
			memcpy(copy, data, len);
			for (k = 0; k < sizeof flips; k++) {
				copy[i] = data[i] ^ flips[k];
				try_parse(copy, len, false, de->d_name);
			}
			for (k = 0; k < sizeof sets - 1; k++) {
				copy[i] = sets[k];
				try_parse(copy, len, false, de->d_name);
			}
		}
		free(copy);
		free(data);
	}
	closedir(d);
	free(path);
	cr_expect_geq(nfiles, 20);
}

/* info_parse_files keeps each tablet's file list; info_parse does not. */
Test(info, file_lists)
{
	struct info		*info;
	struct info_index	*x;
	char			*data, *cause = NULL;
	size_t			 len;

	data = load("doris-3.0-example.json", &len);
	cr_assert_eq(info_parse_files(data, len, &info, &cause), 0, "%s",
	    cause != NULL ? cause : "?");
	x = &info->tables[0].partitions[0].indexes[0];
	cr_assert_eq(x->ntablets, 2);
	cr_assert_not_null(x->files);
	cr_expect_str_eq(x->files[0],
	    "0200000000000034b0400c3870adc1c7d4e9f04c07630c99_0.dat."
	    "c8a380254573a1d0664475eb8d01a455\n"
	    "0200000000000035b0400c3870adc1c7d4e9f04c07630c99_0.dat."
	    "2f3387235b14d040e140d25553f9b9cf\n"
	    "10013.hdr.df290ba5b1e4840507b6391d5546449c\n");
	info_free(info);

	cr_assert_eq(info_parse(data, len, &info, &cause), 0);
	cr_expect_null(info->tables[0].partitions[0].indexes[0].files);
	info_free(info);
	free(data);
}

/* A file name that is not a plain string is an error, not a list. */
Test(info, file_lists_refused)
{
	const char	*doc = "{\"name\":\"s\",\"backup_objects\":{\"t\":{"
	    "\"id\":1,\"partitions\":{\"p\":{\"id\":2,\"indexes\":{\"t\":{"
	    "\"id\":3,\"tablets\":{\"4\":[\"a\\nb\"]}}}}}}}}";
	struct info	*info;
	char		*cause = NULL;

	cr_assert_neq(info_parse_files(doc, strlen(doc), &info, &cause), 0);
	cr_expect_not_null(strstr(cause, "bad tablet file name"), "%s", cause);
	free(cause);
	cr_assert_eq(info_parse(doc, strlen(doc), &info, &cause), 0);
	info_free(info);
}

/* A tablet's file list; none (NULL) and an empty one are the same. */
static const char *
files_of(const struct info_index *x, size_t i)
{
	if (x->files == NULL || x->files[i] == NULL)
		return ("");
	return (x->files[i]);
}

static void
index_equal(const struct info_index *a, const struct info_index *b,
    bool files, const char *where)
{
	size_t	i;

	cr_expect_str_eq(b->name, a->name, "%s", where);
	cr_expect_eq(b->id, a->id, "%s: id", where);
	cr_expect_eq(b->schema_hash, a->schema_hash, "%s: schema_hash", where);
	ids_are(b->tablets, b->ntablets, a->tablets, a->ntablets);
	ids_are(b->order, b->norder, a->order, a->norder);
	for (i = 0; files && i < a->ntablets; i++)
		cr_expect_str_eq(files_of(b, i), files_of(a, i),
		    "%s: tablet %lld", where, (long long)a->tablets[i]);
}

/* b, read back from what a was written as, holds what a holds. */
static void
info_equal(const struct info *a, const struct info *b, bool files,
    const char *what)
{
	const struct info_table		*ta, *tb;
	const struct info_partition	*pa, *pb;
	char				*where;
	size_t				 i, k, m;

	cr_expect_str_eq(b->name, a->name, "%s", what);
	cr_expect_str_eq(b->database, a->database, "%s", what);
	cr_expect_eq(b->id, a->id, "%s: id", what);
	cr_expect_eq(b->backup_time, a->backup_time, "%s", what);
	cr_expect_str_eq(b->content, a->content, "%s", what);
	cr_expect_eq(b->meta_version, a->meta_version, "%s", what);
	cr_assert_eq(b->ntables, a->ntables, "%s: tables", what);
	for (i = 0; i < a->ntables; i++) {
		ta = &a->tables[i];
		tb = &b->tables[i];
		cr_expect_str_eq(tb->name, ta->name, "%s", what);
		cr_expect_eq(tb->id, ta->id, "%s: %s", what, ta->name);
		cr_assert_eq(tb->npartitions, ta->npartitions, "%s: %s", what,
		    ta->name);
		for (k = 0; k < ta->npartitions; k++) {
			pa = &ta->partitions[k];
			pb = &tb->partitions[k];
			xasprintf(&where, "%s: %s.%s", what, ta->name,
			    pa->name);
			cr_expect_str_eq(pb->name, pa->name, "%s", where);
			cr_expect_eq(pb->id, pa->id, "%s: id", where);
			cr_expect_eq(pb->version, pa->version, "%s", where);
			cr_assert_eq(pb->nindexes, pa->nindexes, "%s", where);
			for (m = 0; m < pa->nindexes; m++)
				index_equal(&pa->indexes[m], &pb->indexes[m],
				    files, where);
			free(where);
		}
	}
	cr_assert_eq(b->nviews, a->nviews, "%s: views", what);
	for (i = 0; i < a->nviews; i++) {
		cr_expect_eq(b->views[i].id, a->views[i].id, "%s", what);
		cr_expect_str_eq(b->views[i].name, a->views[i].name, "%s",
		    what);
	}
	cr_assert_eq(b->nodbc_tables, a->nodbc_tables, "%s", what);
	for (i = 0; i < a->nodbc_tables; i++)
		cr_expect_str_eq(b->odbc_tables[i], a->odbc_tables[i], "%s",
		    what);
	cr_assert_eq(b->nodbc_resources, a->nodbc_resources, "%s", what);
	for (i = 0; i < a->nodbc_resources; i++)
		cr_expect_str_eq(b->odbc_resources[i], a->odbc_resources[i],
		    "%s", what);
}

/*
 * Write info, read it back with the file lists, and check it holds the
 * same; the text written is returned (caller frees).
 */
static char *
write_read(const struct info *info, bool files, const char *what)
{
	struct info	*back;
	char		*text, *cause = NULL;
	size_t		 len;

	text = info_write(info, &len);
	cr_assert_not_null(text);
	cr_assert_eq(len, strlen(text), "%s", what);
	cr_assert_eq(info_parse_files(text, len, &back, &cause), 0,
	    "%s: %s\n%s", what, cause != NULL ? cause : "?", text);
	info_equal(info, back, files, what);
	info_free(back);
	return (text);
}

/*
 * What job-backup.c builds from a backup of two tables, two partitions
 * and three tablets (one index per partition named like its table, the
 * files of each tablet in order, tablets_order the tablet ids in order,
 * content ALL, no views) is written byte for byte as its info_json() did.
 */
static const char backup_json[] =
	    "{\"name\":\"snap_20240301\",\"database\":\"sales\",\"id\":10001,"
	    "\"backup_time\":1709280000000,\"content\":\"ALL\","
	    "\"backup_objects\":{"
	    "\"orders\":{\"id\":10010,\"partitions\":{"
	    "\"p202401\":{\"id\":10011,\"version\":5,\"indexes\":{"
	    "\"orders\":{\"id\":10012,\"schema_hash\":1520397563,"
	    "\"tablets\":{"
	    "\"10013\":[\"10013.hdr.df290ba5b1e4840507b6391d5546449c\","
	    "\"x_0.dat.c8a380254573a1d0664475eb8d01a455\"],"
	    "\"10014\":[\"10014.hdr.c49293d8739a7dcdcdc8294718fb73b0\"]},"
	    "\"tablets_order\":[10013,10014]}}}}},"
	    "\"users\":{\"id\":10030,\"partitions\":{"
	    "\"users\":{\"id\":10031,\"version\":2,\"indexes\":{"
	    "\"users\":{\"id\":10032,\"schema_hash\":-1928374650,"
	    "\"tablets\":{"
	    "\"10033\":[\"10033.hdr.43c413a0f524807baf4b74d6749a807a\"]},"
	    "\"tablets_order\":[10033]}}}}}},"
	    "\"new_backup_objects\":{\"views\":[],\"odbc_tables\":[],"
	    "\"odbc_resources\":[]},"
	    "\"backup_result\":\"succeed\",\"meta_version\":140,"
	    "\"major_version\":3,\"minor_version\":0,\"patch_version\":0,"
	    "\"is_force_replication_allocation\":false,\"tablet_be_map\":{},"
	    "\"tablet_snapshot_path_map\":{},\"table_commit_seq_map\":{},"
	    "\"tblalias\":{}}";

Test(info, write_as_backup_does)
{
	int64_t			 orders_ids[] = { 10013, 10014 };
	int64_t			 users_ids[] = { 10033 };
	char			*orders_files[] = {
		"10013.hdr.df290ba5b1e4840507b6391d5546449c\n"
		"x_0.dat.c8a380254573a1d0664475eb8d01a455\n",
		"10014.hdr.c49293d8739a7dcdcdc8294718fb73b0\n"
	};
	char			*users_files[] = {
		"10033.hdr.43c413a0f524807baf4b74d6749a807a\n"
	};
	struct info_index	 orders_index = {
		.name = "orders", .id = 10012, .schema_hash = 1520397563,
		.tablets = orders_ids, .ntablets = 2,
		.order = orders_ids, .norder = 2, .files = orders_files
	};
	struct info_index	 users_index = {
		.name = "users", .id = 10032, .schema_hash = -1928374650,
		.tablets = users_ids, .ntablets = 1,
		.order = users_ids, .norder = 1, .files = users_files
	};
	struct info_partition	 orders_part = {
		.name = "p202401", .id = 10011, .version = 5,
		.indexes = &orders_index, .nindexes = 1
	};
	struct info_partition	 users_part = {
		.name = "users", .id = 10031, .version = 2,
		.indexes = &users_index, .nindexes = 1
	};
	struct info_table	 tables[] = {
		{ .name = "orders", .id = 10010, .partitions = &orders_part,
		  .npartitions = 1 },
		{ .name = "users", .id = 10030, .partitions = &users_part,
		  .npartitions = 1 }
	};
	struct info		 info = {
		.name = "snap_20240301", .database = "sales", .id = 10001,
		.backup_time = 1709280000000LL, .content = "ALL",
		.meta_version = 140, .tables = tables, .ntables = 2
	};
	char			*text;
	size_t			 len;

	text = info_write(&info, &len);
	cr_expect_str_eq(text, backup_json);
	cr_expect_eq(len, sizeof backup_json - 1);
	free(text);

	free(write_read(&info, true, "backup"));
}

/* Every good fixture: read, written, read back equal, written the same. */
Test(info, write_round_trip_fixtures)
{
	const char	*srcdir = getenv("srcdir");
	struct dirent	*de;
	struct info	*info, *back;
	char		*path, *data, *text, *again, *cause = NULL;
	size_t		 len, n2, n = 0;
	DIR		*d;

	xasprintf(&path, "%s/tests/data/info", srcdir ? srcdir : ".");
	d = opendir(path);
	cr_assert_not_null(d, "%s", path);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strncmp(de->d_name, "bad-", 4) == 0)
			continue;
		n++;
		data = load(de->d_name, &len);
		cr_assert_eq(info_parse_files(data, len, &info, &cause), 0,
		    "%s: %s", de->d_name, cause != NULL ? cause : "?");
		text = write_read(info, true, de->d_name);

		/* What was written once is written again the same. */
		cr_assert_eq(info_parse_files(text, strlen(text), &back,
		    &cause), 0);
		again = info_write(back, &n2);
		cr_expect_str_eq(again, text, "%s", de->d_name);
		cr_expect_eq(n2, strlen(text), "%s", de->d_name);
		free(again);
		info_free(back);
		free(text);
		info_free(info);

		/* Without file lists (info_parse), every tablet has none. */
		cr_assert_eq(info_parse(data, len, &info, &cause), 0);
		free(write_read(info, false, de->d_name));
		info_free(info);
		free(data);
	}
	closedir(d);
	free(path);
	cr_expect_geq(n, 9);
}

/*
 * Names that need escaping (quotes, backslashes, Gson's HTML characters,
 * U+2028, UTF-8 of two to four bytes), several indexes, an order that is
 * not the key order, views and ODBC lists, read back as they were.
 */
Test(info, write_escapes)
{
	int64_t			 ids_a[] = { 7, -3, 5 }, ids_b[] = { 9 };
	int64_t			 order_a[] = { -3, 5, 7 };
	char			*files_a[] = {
		"a\"b.dat.c8a380254573a1d0664475eb8d01a455\n"
		"c\\d_0.dat.2f3387235b14d040e140d25553f9b9cf\n",
		"",
		"<&='>/\xe4\xb8\xad\xe2\x80\xa8.idx\n"
	};
	char			*files_b[] = { NULL };
	struct info_index	 indexes[] = {
		{ .name = "t\"\\\xe2\x80\xa8", .id = 12, .schema_hash = -1,
		  .tablets = ids_a, .ntablets = 3, .order = order_a,
		  .norder = 3, .files = files_a },
		{ .name = "r_\xf0\x9f\x98\x80", .id = INT64_MAX,
		  .schema_hash = INT32_MIN, .tablets = ids_b, .ntablets = 1,
		  .order = ids_b, .norder = 1, .files = files_b }
	};
	struct info_partition	 parts[] = {
		{ .name = "p1=<>", .id = 11, .version = 3, .indexes = indexes,
		  .nindexes = 2 },
		{ .name = "empty", .id = 13, .version = 0 }
	};
	struct info_table	 tables[] = {
		{ .name = "t\"\\\xe2\x80\xa8", .id = -10, .partitions = parts,
		  .npartitions = 2 },
		{ .name = "\xe8\xae\xa2\xe5\x8d\x95 \xc3\xa9", .id = 20 }
	};
	struct info_view	 views[] = {
		{ .name = "v_\"\xc3\xa9\"", .id = 40 },
		{ .name = "", .id = 41 }
	};
	char			*odbc_tables[] = { "ext_\\x", "ext_'y'" };
	char			*odbc_resources[] = {
		"res_&_\xf0\x9f\x98\x80"
	};
	struct info		 info = {
		.name = "snap_\"q\"_\\_\xe4\xb8\xad\xe6\x96\x87",
		.database = "db/<&='>", .id = 1, .backup_time = -1,
		.content = "METADATA_ONLY", .meta_version = 129,
		.tables = tables, .ntables = 2, .views = views, .nviews = 2,
		.odbc_tables = odbc_tables, .nodbc_tables = 2,
		.odbc_resources = odbc_resources, .nodbc_resources = 1
	};
	struct info		*back;
	char			*text, *cause = NULL;

	text = write_read(&info, true, "escapes");
	cr_expect_not_null(strstr(text, "{\"name\":\"snap_\\\"q\\\"_\\\\_"
	    "\xe4\xb8\xad\xe6\x96\x87\",\"database\":"
	    "\"db/\\u003c\\u0026\\u003d\\u0027\\u003e\","), "%s", text);
	cr_expect_not_null(strstr(text, "\"t\\\"\\\\\\u2028\":"), "%s", text);
	cr_expect_not_null(strstr(text, "\"tablets\":{\"9\":[]},"
	    "\"tablets_order\":[9]}"), "%s", text);
	cr_expect_not_null(strstr(text, "\"odbc_tables\":[{\"doris_table_"
	    "name\":\"ext_\\\\x\"},{\"doris_table_name\":\"ext_\\u0027y\\u0027"
	    "\"}],\"odbc_resources\":[{\"name\":\"res_\\u0026_"
	    "\xf0\x9f\x98\x80\"}]},"), "%s", text);

	/* info_parse reads the same, without the file lists. */
	cr_assert_eq(info_parse(text, strlen(text), &back, &cause), 0);
	info_equal(&info, back, false, "escapes, info_parse");
	cr_expect_null(back->tables[0].partitions[0].indexes[0].files);
	info_free(back);
	free(text);
}
