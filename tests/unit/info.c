/*
 * Unit tests for info.c: one fixture per era of the Doris job-info JSON
 * (tests/data/info/, found under $srcdir), the values each must give, the
 * Details text of SHOW SNAPSHOT, the messages for malformed files, and a
 * smoke fuzz (every truncation and byte flips of every fixture) that must
 * never crash or leak.
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
