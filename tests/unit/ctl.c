/*
 * Unit tests for ctl.c: every form of the five control files with its
 * parsed fields, keywords in any case, backquoted and UTF-8 names, pasted
 * Doris SQL, each refused line with its exact message, and a smoke fuzz
 * (every prefix of each good line, random byte flips) that must neither
 * crash nor leak nor return anything but 0 or -EINVAL with a message;
 * and ctl-select.c's choice of tables and partitions.
 */

#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapfs.h"

static struct ctl_request *
good(enum ctl_kind kind, const char *line)
{
	struct ctl_request	*req = NULL;
	char			*cause = NULL;
	int			 r;

	r = ctl_parse(kind, line, strlen(line), &req, &cause);
	cr_assert_eq(r, 0, "[%s]: %d %s", line, r, cause ? cause : "");
	cr_assert_null(cause);
	cr_assert_not_null(req);
	cr_assert_eq(req->kind, kind);
	return (req);
}

static void
bad_len(enum ctl_kind kind, const char *line, size_t len, const char *want)
{
	struct ctl_request	*req = (struct ctl_request *)1;
	char			*cause = NULL;
	int			 r;

	r = ctl_parse(kind, line, len, &req, &cause);
	cr_assert_eq(r, -EINVAL, "[%.*s]: %d", (int)len, line, r);
	cr_assert_null(req);
	cr_assert_not_null(cause);
	cr_expect_str_eq(cause, want, "[%.*s]\n got: %s\nwant: %s",
	    (int)(len > 80 ? 80 : len), line, cause, want);
	free(cause);
}

static void
bad(enum ctl_kind kind, const char *line, const char *want)
{
	bad_len(kind, line, strlen(line), want);
}

static void
assert_str(const char *got, const char *want)
{
	if (want == NULL)
		cr_assert_null(got, "got \"%s\"", got);
	else {
		cr_assert_not_null(got, "want \"%s\"", want);
		cr_assert_str_eq(got, want);
	}
}

Test(ctl, backup_label_only)
{
	struct ctl_request	*req = good(CTL_BACKUP, "snap1\n");

	assert_str(req->db, NULL);
	assert_str(req->label, "snap1");
	assert_str(req->repo, NULL);
	assert_str(req->timestamp, NULL);
	cr_assert_eq(req->ntables, 0);
	cr_assert_eq(req->nprops, 0);
	cr_assert_eq(req->job_id, -1);
	cr_assert(!req->exclude);
	ctl_free(req);
}

Test(ctl, backup_full)
{
	struct ctl_request	*req;

	req = good(CTL_BACKUP, "sales.snap1 TO repo1 ON (t1 PARTITION (p1, "
	    "p2), t2, t3 PARTITION p9) PROPERTIES (\"type\"=\"full\", "
	    "'Timeout' = '3600', \"content\"=\"METADATA_ONLY\");  \n");
	assert_str(req->db, "sales");
	assert_str(req->label, "snap1");
	assert_str(req->repo, "repo1");
	cr_assert(!req->exclude);
	cr_assert_eq(req->ntables, 3);
	assert_str(req->tables[0].name, "t1");
	cr_assert_eq(req->tables[0].npartitions, 2);
	assert_str(req->tables[0].partitions[0], "p1");
	assert_str(req->tables[0].partitions[1], "p2");
	assert_str(req->tables[0].alias, NULL);
	assert_str(req->tables[1].name, "t2");
	cr_assert_eq(req->tables[1].npartitions, 0);
	cr_assert_null(req->tables[1].partitions);
	assert_str(req->tables[2].name, "t3");
	cr_assert_eq(req->tables[2].npartitions, 1);
	assert_str(req->tables[2].partitions[0], "p9");
	cr_assert_eq(req->nprops, 3);
	assert_str(req->props[0].key, "type");
	assert_str(req->props[1].key, "timeout");
	assert_str(req->props[1].value, "3600");
	assert_str(ctl_property(req, "timeout"), "3600");
	assert_str(ctl_property(req, "content"), "metadata_only");
	assert_str(ctl_property(req, "type"), "full");
	assert_str(ctl_property(req, "nope"), NULL);
	cr_assert_eq(req->job_id, -1);
	ctl_free(req);
}

Test(ctl, backup_exclude_and_incremental)
{
	struct ctl_request	*req;

	req = good(CTL_BACKUP, "db1.l-1:x EXCLUDE (t1, t2 PARTITION (p1)) "
	    "PROPERTIES (type = INCREMENTAL, timeout = 600)");
	assert_str(req->db, "db1");
	assert_str(req->label, "l-1:x");
	assert_str(req->repo, NULL);
	cr_assert(req->exclude);
	cr_assert_eq(req->ntables, 2);
	assert_str(req->tables[1].partitions[0], "p1");
	assert_str(ctl_property(req, "type"), "incremental");
	assert_str(ctl_property(req, "timeout"), "600");
	ctl_free(req);

	req = good(CTL_BACKUP, "snap PROPERTIES (\"content\"=\"all\")");
	assert_str(ctl_property(req, "content"), "all");
	ctl_free(req);
	req = good(CTL_BACKUP, "snap ON (t PARTITIONS (a,b))");
	cr_assert_eq(req->tables[0].npartitions, 2);
	ctl_free(req);
}

Test(ctl, restore_full)
{
	struct ctl_request	*req;

	req = good(CTL_RESTORE, "sales.snap1 FROM repo1 ON (t1 PARTITION "
	    "(p1) AS t1_new, t2 AS t2_new, t3) PROPERTIES "
	    "(\"backup_timestamp\"=\"2026-11-25-10-00-00\", "
	    "\"replication_num\"=\"1\", \"replication_allocation\"="
	    "\"tag.location.default: 2, tag.location.hot:1\", "
	    "\"reserve_replica\"=\"TRUE\", "
	    "\"reserve_dynamic_partition_enable\"=\"false\", "
	    "\"reserve_colocate\"=\"true\", \"allow_load\"=\"false\", "
	    "\"timeout\"=\"86400\", \"meta_version\"=\"100\", "
	    "\"clean_tables\"=\"true\", \"clean_partitions\"=\"false\", "
	    "\"atomic_restore\"=\"true\", \"force_replace\"=\"False\", "
	    "\"storage_vault_name\"=\"vault_1\")");
	assert_str(req->db, "sales");
	assert_str(req->label, "snap1");
	assert_str(req->repo, "repo1");
	cr_assert_eq(req->ntables, 3);
	assert_str(req->tables[0].name, "t1");
	assert_str(req->tables[0].partitions[0], "p1");
	assert_str(req->tables[0].alias, "t1_new");
	assert_str(req->tables[1].alias, "t2_new");
	assert_str(req->tables[2].alias, NULL);
	cr_assert_eq(req->nprops, 14);
	assert_str(ctl_property(req, "backup_timestamp"),
	    "2026-11-25-10-00-00");
	assert_str(ctl_property(req, "reserve_replica"), "true");
	assert_str(ctl_property(req, "force_replace"), "false");
	assert_str(ctl_property(req, "BACKUP_TIMESTAMP"),
	    "2026-11-25-10-00-00");
	ctl_free(req);

	req = good(CTL_RESTORE, "snap1 PROPERTIES ('backup_timestamp'="
	    "'2024-02-29-23-59-59-123')");
	assert_str(req->db, NULL);
	assert_str(req->repo, NULL);
	assert_str(ctl_property(req, "backup_timestamp"),
	    "2024-02-29-23-59-59-123");
	ctl_free(req);

	req = good(CTL_RESTORE, "snap1 EXCLUDE (t1 PARTITION (p1))");
	cr_assert(req->exclude);
	ctl_free(req);
}

Test(ctl, cancel_forms)
{
	struct ctl_request	*req;

	req = good(CTL_CANCEL, "12345\n");
	cr_assert_eq(req->job_id, 12345);
	cr_assert_eq(req->cancel_kind, CTL_CANCEL);
	assert_str(req->db, NULL);
	ctl_free(req);

	req = good(CTL_CANCEL, "9223372036854775807");
	cr_assert_eq(req->job_id, INT64_MAX);
	ctl_free(req);

	req = good(CTL_CANCEL, "BACKUP");
	cr_assert_eq(req->job_id, -1);
	cr_assert_eq(req->cancel_kind, CTL_BACKUP);
	assert_str(req->db, NULL);
	ctl_free(req);

	req = good(CTL_CANCEL, "backup from sales");
	cr_assert_eq(req->cancel_kind, CTL_BACKUP);
	assert_str(req->db, "sales");
	ctl_free(req);

	req = good(CTL_CANCEL, "Restore IN `sales`;");
	cr_assert_eq(req->cancel_kind, CTL_RESTORE);
	assert_str(req->db, "sales");
	ctl_free(req);

	req = good(CTL_CANCEL, "CANCEL RESTORE FROM example_db;");
	cr_assert_eq(req->cancel_kind, CTL_RESTORE);
	assert_str(req->db, "example_db");
	ctl_free(req);
}

Test(ctl, verify_and_drop)
{
	struct ctl_request	*req;
	enum ctl_kind		 kinds[] = { CTL_VERIFY, CTL_DROP };
	size_t			 i;

	for (i = 0; i < 2; i++) {
		req = good(kinds[i], "snap1");
		assert_str(req->repo, NULL);
		assert_str(req->db, NULL);
		assert_str(req->label, "snap1");
		assert_str(req->timestamp, NULL);
		ctl_free(req);

		req = good(kinds[i], "repo1.snap1@2026-11-25-10-00-00\n");
		assert_str(req->repo, "repo1");
		assert_str(req->label, "snap1");
		assert_str(req->timestamp, "2026-11-25-10-00-00");
		ctl_free(req);

		req = good(kinds[i], "`minio-repo` . snap1 @ "
		    "2026-01-31-00-00-00-999 ;");
		assert_str(req->repo, "minio-repo");
		assert_str(req->timestamp, "2026-01-31-00-00-00-999");
		ctl_free(req);
	}
}

Test(ctl, keywords_any_case)
{
	struct ctl_request	*req;

	req = good(CTL_BACKUP, "d.s to r On (t partition (p)) properties "
	    "(\"TYPE\"=\"Full\")");
	assert_str(req->repo, "r");
	assert_str(req->tables[0].partitions[0], "p");
	assert_str(ctl_property(req, "type"), "full");
	ctl_free(req);

	req = good(CTL_RESTORE, "s FrOm r exclude (t) PROPERTIES "
	    "(\"allow_load\"=\"TRUE\")");
	cr_assert(req->exclude);
	assert_str(ctl_property(req, "allow_load"), "true");
	ctl_free(req);

	req = good(CTL_RESTORE, "s ON (t As a)");
	assert_str(req->tables[0].alias, "a");
	ctl_free(req);
}

Test(ctl, backquotes)
{
	struct ctl_request	*req;

	/* Backquoted words are names even when they spell keywords. */
	req = good(CTL_BACKUP, "`db-1`.`on` TO `to` ON (`partition` "
	    "PARTITION (`as`))");
	assert_str(req->db, "db-1");
	assert_str(req->label, "on");
	assert_str(req->repo, "to");
	assert_str(req->tables[0].name, "partition");
	assert_str(req->tables[0].partitions[0], "as");
	ctl_free(req);

	/* Keywords are recognised by position only; a bare label works. */
	req = good(CTL_BACKUP, "backup");
	assert_str(req->label, "backup");
	ctl_free(req);
	req = good(CTL_RESTORE, "on from to");
	assert_str(req->label, "on");
	assert_str(req->repo, "to");
	ctl_free(req);
}

Test(ctl, utf8_names)
{
	struct ctl_request	*req;

	req = good(CTL_BACKUP, "销售.snap1 TO repo1 ON (订单表 PARTITION "
	    "(分区_2024), Überstunden)");
	assert_str(req->db, "销售");
	assert_str(req->tables[0].name, "订单表");
	assert_str(req->tables[0].partitions[0], "分区_2024");
	assert_str(req->tables[1].name, "Überstunden");
	ctl_free(req);

	req = good(CTL_RESTORE, "s ON (`订单表` AS 新订单)");
	assert_str(req->tables[0].alias, "新订单");
	ctl_free(req);
}

Test(ctl, pasted_sql)
{
	struct ctl_request	*req;

	req = good(CTL_BACKUP, "BACKUP SNAPSHOT example_db.snapshot_label1 "
	    "TO example_repo ON (example_tbl) PROPERTIES (\"type\" = "
	    "\"full\");\n");
	assert_str(req->db, "example_db");
	assert_str(req->label, "snapshot_label1");
	assert_str(req->repo, "example_repo");
	assert_str(req->tables[0].name, "example_tbl");
	ctl_free(req);

	req = good(CTL_RESTORE, "restore snapshot example_db1.`snapshot_1` "
	    "FROM `example_repo` ON ( `backup_tbl` PARTITION (`p1`, `p2`), "
	    "`backup_tbl2` AS `new_tbl` ) PROPERTIES ( \"backup_timestamp\""
	    "=\"2018-05-04-17-11-01\" );");
	assert_str(req->label, "snapshot_1");
	assert_str(req->repo, "example_repo");
	assert_str(req->tables[1].alias, "new_tbl");
	ctl_free(req);

	req = good(CTL_BACKUP, "\tsnap\t TO\trepo ;\r\n");
	assert_str(req->repo, "repo");
	ctl_free(req);
}

Test(ctl, string_escapes)
{
	struct ctl_request	*req;

	req = good(CTL_RESTORE, "s PROPERTIES ('storage_vault_name'="
	    "'v\\_1')");
	assert_str(ctl_property(req, "storage_vault_name"), "v_1");
	ctl_free(req);
	bad(CTL_RESTORE, "s PROPERTIES ('a\\qb'='1')",
	    "Unknown restore job properties: aqb");
	req = good(CTL_RESTORE, "s PROPERTIES (\"replication_allocation\"="
	    "'tag.location.default: 3')");
	ctl_free(req);
	bad(CTL_BACKUP, "s PROPERTIES ('ty''pe'='full')",
	    "Unknown backup job properties: ty'pe");
	bad(CTL_BACKUP, "s PROPERTIES (\"a\\\"b\"='full')",
	    "Unknown backup job properties: a\"b");
	bad(CTL_BACKUP, "s PROPERTIES ('a\\nb'='1')",
	    "Unknown backup job properties: anb");
	bad(CTL_BACKUP, "s PROPERTIES (\"a\\\\b\"='1')",
	    "Unknown backup job properties: a\\b");
	bad(CTL_BACKUP, "s PROPERTIES (\"a\"\"b\"='1')",
	    "Unknown backup job properties: a\"b");
}

Test(ctl, free_null_and_property_null)
{
	ctl_free(NULL);
	cr_assert_null(ctl_property(NULL, "timeout"));
}

Test(ctl, refused_lines)
{
	static const char	 at_label[] = "label \"a.b\" must match "
	    "[-_A-Za-z0-9:]{1,128}";
	char			 buf[200];

	bad(CTL_BACKUP, "", "empty line: expected [db.]label [TO repo] "
	    "[ON|EXCLUDE (...)] [PROPERTIES (...)]");
	bad(CTL_RESTORE, "  \t \n", "empty line: expected [db.]label "
	    "[FROM repo] [ON|EXCLUDE (...)] [PROPERTIES (...)]");
	bad(CTL_CANCEL, ";", "empty line: expected a job id, BACKUP [FROM "
	    "db] or RESTORE [FROM db]");
	bad(CTL_VERIFY, "\n", "empty line: expected [repo.]label "
	    "[@timestamp]");
	bad(CTL_BACKUP, "sales.snap1 FORM repo1", "expected TO, ON, "
	    "EXCLUDE or PROPERTIES after the label, got \"FORM\"");
	bad(CTL_RESTORE, "sales.snap1 TO repo1", "expected FROM, ON, "
	    "EXCLUDE or PROPERTIES after the label, got \"TO\"");
	bad(CTL_BACKUP, "snap TO repo FOO", "expected ON, EXCLUDE or "
	    "PROPERTIES after the repository, got \"FOO\"");
	bad(CTL_BACKUP, "snap ON (t) TO r", "expected PROPERTIES or the "
	    "end of the line after the table list, got \"TO\"");
	bad(CTL_BACKUP, "snap PROPERTIES ('type'='full') x", "expected "
	    "the end of the line after PROPERTIES (...), got \"x\"");
	bad(CTL_BACKUP, "`a.b`", at_label);
	bad(CTL_BACKUP, "db.sn@p", "expected TO, ON, EXCLUDE or "
	    "PROPERTIES after the label, got '@'");
	bad(CTL_BACKUP, "db.`sn ap`", "label \"sn ap\" must match "
	    "[-_A-Za-z0-9:]{1,128}");
	bad(CTL_BACKUP, "d*b.snap", "expected TO, ON, EXCLUDE or "
	    "PROPERTIES after the label, got '*'");
	bad(CTL_BACKUP, "d:b.snap", "database name \"d:b\" may hold only "
	    "letters, digits, '_' and '-'");
	memset(buf, 'x', 129);
	buf[129] = '\0';
	bad(CTL_BACKUP, buf, "label \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...\" is longer than 128 bytes");
	buf[128] = '\0';
	ctl_free(good(CTL_BACKUP, buf));
	bad(CTL_BACKUP, "snap ON (t1", "expected PARTITION, ',' or ')' "
	    "after the table name, got the end of the line");
	bad(CTL_RESTORE, "snap ON (t1 PARTITION (p1)", "expected AS, ',' "
	    "or ')' after the table name, got the end of the line");
	bad(CTL_RESTORE, "snap ON (t1 PARTITION (p1", "expected ',' or ')' "
	    "in the PARTITION list, got the end of the line");
	bad(CTL_BACKUP, "snap ON (`t``x`)", "table name \"t`x\" may hold "
	    "only letters, digits, '_' and '-'");
	bad(CTL_BACKUP, "snap ON t1", "expected '(' after ON, got \"t1\"");
	bad(CTL_BACKUP, "snap ON (t1))", "expected PROPERTIES or the end "
	    "of the line after the table list, got ')'");
	bad(CTL_BACKUP, "snap ON (t1 PARTITION)", "expected '(' or a "
	    "partition name after PARTITION, got ')'");
	bad(CTL_BACKUP, "snap ON (t1 PARTITION ())", "empty PARTITION list "
	    "for table \"t1\"");
	bad(CTL_BACKUP, "snap EXCLUDE ()", "empty table list after EXCLUDE");
	bad(CTL_BACKUP, "snap ON (t1,)", "expected a table name after ',', "
	    "got ')'");
	bad(CTL_BACKUP, "snap ON (t1 PARTITION (p1,))", "expected a "
	    "partition name after ',', got ')'");
	bad(CTL_BACKUP, "snap ON (t1 AS t2)", "AS alias is only allowed in "
	    "a restore");
	bad(CTL_RESTORE, "snap EXCLUDE (t1 AS t2)", "AS alias is not allowed "
	    "in an EXCLUDE list");
	bad(CTL_RESTORE, "snap ON (t1 AS)", "expected an alias name after "
	    "AS, got ')'");
	bad(CTL_RESTORE, "snap ON (t1 AS x, t2 AS x)", "alias \"x\" is "
	    "already a table or an alias of the list");
	bad(CTL_RESTORE, "snap ON (t1 AS t2, t2)", "alias \"t2\" is "
	    "already a table or an alias of the list");
	bad(CTL_RESTORE, "snap ON (t1 x)", "expected PARTITION, AS, ',' or "
	    "')' after the table name, got \"x\"");
	bad(CTL_RESTORE, "snap ON (t1 PARTITION p AS a b)", "expected ',' "
	    "or ')' after the table name, got \"b\"");
	bad(CTL_BACKUP, "snap ON (t1, t1)", "table \"t1\" is listed twice");
	bad(CTL_BACKUP, "snap ON (t1 PARTITION (p, p))", "partition \"p\" "
	    "is listed twice");
	bad(CTL_BACKUP, "snap ON (db.t1)", "table \"db\": give the database "
	    "before the label, not in the table list");
	bad(CTL_BACKUP, "snap PROPERTIES (\"timeout\"=\"3600\", "
	    "\"TIMEOUT\"=\"7200\")", "property \"timeout\" is given twice");
	bad(CTL_BACKUP, "snap PROPERTIES (\"foo\"=\"bar\")",
	    "Unknown backup job properties: foo");
	bad(CTL_RESTORE, "snap PROPERTIES (\"type\"=\"full\")",
	    "Unknown restore job properties: type");
	bad(CTL_BACKUP, "snap PROPERTIES ()", "empty PROPERTIES list");
	bad(CTL_BACKUP, "snap PROPERTIES (\"timeout\")", "expected '=' "
	    "after the property key, got ')'");
	bad(CTL_BACKUP, "snap PROPERTIES (\"timeout\"=)", "expected a "
	    "property value after '=', got ')'");
	bad(CTL_BACKUP, "snap PROPERTIES (''='1')", "empty property key");
	bad(CTL_BACKUP, "snap PROPERTIES ('timeout'='600' 'type'='full')",
	    "expected ',' or ')' in the PROPERTIES list, got the string "
	    "\"type\"");
	bad(CTL_BACKUP, "snap PROPERTIES (\"timeout\"=\"60\")", "Invalid "
	    "timeout value: \"60\" (seconds, 600 or more)");
	bad(CTL_BACKUP, "snap PROPERTIES (\"timeout\"=\"1h\")", "Invalid "
	    "timeout value: \"1h\" (seconds, 600 or more)");
	bad(CTL_RESTORE, "snap PROPERTIES (\"timeout\"=\"-600\")", "Invalid "
	    "timeout value: \"-600\" (seconds, 600 or more)");
	bad(CTL_BACKUP, "snap PROPERTIES (\"timeout\"="
	    "\"99999999999999999999\")", "Invalid timeout value: "
	    "\"99999999999999999999\" (seconds, 600 or more)");
	bad(CTL_BACKUP, "snap PROPERTIES (\"timeout\"=\"\")", "Invalid "
	    "timeout value: \"\" (seconds, 600 or more)");
	bad(CTL_BACKUP, "snap PROPERTIES (\"type\"=\"partial\")", "Invalid "
	    "type value: \"partial\" (full or incremental)");
	bad(CTL_BACKUP, "snap PROPERTIES (\"type\"=\"full or\")", "Invalid "
	    "type value: \"full or\" (full or incremental)");
	bad(CTL_BACKUP, "snap PROPERTIES (\"type\"=\"FUL\")", "Invalid "
	    "type value: \"FUL\" (full or incremental)");
	bad(CTL_BACKUP, "snap PROPERTIES (\"content\"=\"data\")", "Invalid "
	    "content value: \"data\" (all or metadata_only)");
	bad(CTL_RESTORE, "snap PROPERTIES (\"backup_timestamp\"="
	    "\"2026-11-25 10:00:00\")", "Invalid backup_timestamp value: "
	    "\"2026-11-25 10:00:00\" (yyyy-MM-dd-HH-mm-ss, like "
	    "2026-11-25-10-00-00)");
	bad(CTL_RESTORE, "snap PROPERTIES (\"backup_timestamp\"="
	    "\"2026-02-29-10-00-00\")", "Invalid backup_timestamp value: "
	    "\"2026-02-29-10-00-00\" (yyyy-MM-dd-HH-mm-ss, like "
	    "2026-11-25-10-00-00)");
	bad(CTL_RESTORE, "snap PROPERTIES (\"allow_load\"=\"yes\")",
	    "Invalid allow_load value: \"yes\" (true or false)");
	bad(CTL_RESTORE, "snap PROPERTIES (\"replication_num\"=\"0\")",
	    "Invalid replication_num value: \"0\" (1 to 32767)");
	bad(CTL_RESTORE, "snap PROPERTIES (\"replication_num\"=\"32768\")",
	    "Invalid replication_num value: \"32768\" (1 to 32767)");
	bad(CTL_RESTORE, "snap PROPERTIES (\"replication_allocation\"="
	    "\"default: 3\")", "Invalid replication_allocation value: "
	    "\"default: 3\" (like tag.location.default: 3)");
	bad(CTL_RESTORE, "snap PROPERTIES (\"replication_allocation\"="
	    "\"tag.location.a: 0\")", "Invalid replication_allocation "
	    "value: \"tag.location.a: 0\" (like tag.location.default: 3)");
	bad(CTL_RESTORE, "snap PROPERTIES (\"meta_version\"=\"v1\")",
	    "Invalid meta_version value: \"v1\" (an integer, 0 or more)");
	bad(CTL_RESTORE, "snap PROPERTIES (\"storage_vault_name\"=\"a b\")",
	    "Invalid storage_vault_name value: \"a b\" (letters, digits, "
	    "'_' and '-')");
	bad(CTL_RESTORE, "snap PROPERTIES (\"backup_timestamp\"=\"x\"",
	    "Invalid backup_timestamp value: \"x\" (yyyy-MM-dd-HH-mm-ss, "
	    "like 2026-11-25-10-00-00)");
	bad(CTL_RESTORE, "snap PROPERTIES ('allow_load'='true'",
	    "expected ',' or ')' in the PROPERTIES list, got the end of "
	    "the line");
	bad(CTL_BACKUP, "snap PROPERTIES ('type'='full)", "unterminated "
	    "string at offset 24");
	bad(CTL_BACKUP, "`snap", "unterminated backquote at offset 0");
	bad(CTL_BACKUP, "``", "label \"\" must match "
	    "[-_A-Za-z0-9:]{1,128}");
	bad(CTL_BACKUP, "RESTORE SNAPSHOT db.snap FROM r", "RESTORE "
	    "SNAPSHOT lines go to ctl/restore");
	bad(CTL_BACKUP, "BACKUP SNAPSHOT;", "expected [db.]label after "
	    "BACKUP SNAPSHOT");
	bad(CTL_CANCEL, "foo", "expected a job id, BACKUP or RESTORE, got "
	    "\"foo\"");
	bad(CTL_CANCEL, "12abc", "expected a job id, BACKUP or RESTORE, got "
	    "\"12abc\"");
	bad(CTL_CANCEL, "-3", "expected a job id, BACKUP or RESTORE, got "
	    "\"-3\"");
	bad(CTL_CANCEL, "0", "job id must be a positive integer, got \"0\"");
	bad(CTL_CANCEL, "9223372036854775808", "job id "
	    "\"9223372036854775808\" is too large");
	bad(CTL_CANCEL, "12 13", "expected the end of the line after the "
	    "job id, got \"13\"");
	bad(CTL_CANCEL, "BACKUP FROM", "expected a database name after "
	    "FROM, got the end of the line");
	bad(CTL_CANCEL, "RESTORE IN", "expected a database name after IN, "
	    "got the end of the line");
	bad(CTL_CANCEL, "BACKUP sales", "expected FROM, IN or the end of "
	    "the line after BACKUP, got \"sales\"");
	bad(CTL_CANCEL, "BACKUP FROM a b", "expected the end of the line "
	    "after the database name, got \"b\"");
	bad(CTL_VERIFY, "a.b.c", "expected [repo.]label, got a second '.'");
	bad(CTL_DROP, "repo.", "expected a label after the '.', got the end "
	    "of the line");
	bad(CTL_DROP, "snap@", "expected a timestamp after '@', got the end "
	    "of the line");
	bad(CTL_DROP, "snap@2026-13-01-00-00-00", "timestamp "
	    "\"2026-13-01-00-00-00\" must be yyyy-MM-dd-HH-mm-ss, like "
	    "2026-11-25-10-00-00");
	bad(CTL_VERIFY, "snap 2026-11-01-00-00-00", "expected '@timestamp' "
	    "or the end of the line after the label, got "
	    "\"2026-11-01-00-00-00\"");
	bad(CTL_VERIFY, "snap@2026-11-01-00-00-00 x", "expected the end of "
	    "the line after the timestamp, got \"x\"");
	bad(CTL_VERIFY, "(snap)", "expected [repo.]label, got '('");
	bad(CTL_BACKUP, "snap;;", "expected TO, ON, EXCLUDE or PROPERTIES "
	    "after the label, got ';'");
	bad(CTL_BACKUP, "snap\nsnap2", "newline at offset 4: write one line "
	    "at a time");
	bad(CTL_BACKUP, "snap\x1b[0m", "control character 0x1b at offset 4");
	bad(CTL_BACKUP, "snap\x7f", "control character 0x7f at offset 4");
	bad(CTL_BACKUP, "sn\xc3\x28", "invalid UTF-8 at offset 2");
	bad(CTL_BACKUP, "\xed\xa0\x80", "invalid UTF-8 at offset 0");
	bad(CTL_BACKUP, "db\xe3\x80\x80x.snap", "database name "
	    "\"db\xe3\x80\x80x\" may hold only letters, digits, '_' and '-'");
	bad_len(CTL_BACKUP, "snap\0 TO r", 10, "NUL byte at offset 4");
	bad_len(CTL_BACKUP, "snap\0", 5, "NUL byte at offset 4");
}

Test(ctl, long_lines)
{
	struct ctl_request	*req = NULL;
	char			*line, *cause = NULL, want[128];
	size_t			 len = 70 * 1024;
	int			 r;

	line = malloc(len + 1);
	memset(line, 'a', len);
	line[len] = '\0';
	snprintf(want, sizeof want, "the line is longer than 64 KiB (%zu "
	    "bytes)", len);
	bad(CTL_BACKUP, line, want);

	/* Just under the cap: a long name is refused, quoted in short. */
	len = 64 * 1024;
	memcpy(line, "db_", 3);
	line[len - 5] = '.';
	line[len] = '\0';
	r = ctl_parse(CTL_BACKUP, line, len, &req, &cause);
	cr_assert_eq(r, -EINVAL);
	cr_assert_null(req);
	snprintf(want, sizeof want, "database name \"%.64s...\" is longer "
	    "than 256 bytes", line);
	cr_assert_str_eq(cause, want);
	free(cause);

	/* A quoted fragment is cut on a character edge. */
	memset(line, 0, 512);
	strcpy(line, "snap ON (");
	for (r = 0; r < 30; r++)
		strcat(line, "表");
	strcat(line, " X)");
	bad(CTL_BACKUP, line, "expected PARTITION, ',' or ')' after the "
	    "table name, got \"X\"");
	strcpy(line, "snap ON (x ");
	for (r = 0; r < 30; r++)
		strcat(line, "表");
	strcat(line, ")");
	bad(CTL_BACKUP, line, "expected PARTITION, ',' or ')' after the "
	    "table name, got \"表表表表表表表表表表表表表"
	    "表表表表表表表表...\"");
	free(line);
}

static const char *fuzz_lines[] = {
	"sales.snap1 TO repo1 ON (t1 PARTITION (p1, p2), t2) PROPERTIES "
	    "(\"type\"=\"full\", 'timeout'='3600', content=all);\n",
	"BACKUP SNAPSHOT `销售`.`snap` TO `r-1` EXCLUDE (t PARTITION p)",
	"sales.snap1 FROM repo1 ON (t1 PARTITION (p1) AS t1_new, t2) "
	    "PROPERTIES (\"backup_timestamp\"=\"2026-11-25-10-00-00\", "
	    "\"replication_allocation\"=\"tag.location.default: 3\", "
	    "'allow_load'='TRUE', \"meta_version\"=\"1\")",
	"CANCEL RESTORE FROM `db`;",
	"12345",
	"repo1.snap1 @ 2026-11-25-10-00-00-123\n",
	"s PROPERTIES ('a\\'b'=\"c\\\"d\", `x``y`='')"
};

static void
fuzz_one(enum ctl_kind kind, const char *line, size_t len)
{
	struct ctl_request	*req = NULL;
	char			*cause = NULL;
	int			 r;

	r = ctl_parse(kind, line, len, &req, &cause);
	if (r == 0) {
		cr_assert_not_null(req);
		cr_assert_null(cause);
		if (kind != CTL_CANCEL)
			cr_assert_not_null(req->label);
		ctl_free(req);
		return;
	}
	cr_assert_eq(r, -EINVAL);
	cr_assert_null(req);
	cr_assert_not_null(cause);
	cr_assert_lt(strlen(cause), 256);
	free(cause);
}

Test(ctl, fuzz_prefixes_and_flips)
{
	static const enum ctl_kind	 kinds[] = { CTL_BACKUP, CTL_RESTORE,
	    CTL_CANCEL, CTL_VERIFY, CTL_DROP };
	char				*copy;
	size_t				 i, k, n, len, round;
	unsigned int			 seed = 20261125;

	for (i = 0; i < sizeof fuzz_lines / sizeof *fuzz_lines; i++) {
		len = strlen(fuzz_lines[i]);
		for (k = 0; k < 5; k++) {
			for (n = 0; n <= len; n++) {
				/* Exact-size copies let ASan see overreads. */
				copy = malloc(n == 0 ? 1 : n);
				memcpy(copy, fuzz_lines[i], n);
				fuzz_one(kinds[k], copy, n);
				free(copy);
			}
		}
		for (round = 0; round < 2000; round++) {
			copy = malloc(len);
			memcpy(copy, fuzz_lines[i], len);
			for (n = 0; n < 1 + round % 4; n++) {
				if (round % 3 == 0)
					copy[rand_r(&seed) % len] ^=
					    1 << (rand_r(&seed) % 8);
				else
					copy[rand_r(&seed) % len] =
					    "(),.=@`'\"\\; a0\xe8\x80"[rand_r(
					    &seed) % 17];
			}
			fuzz_one(kinds[round % 5], copy, len);
			free(copy);
		}
	}
}

/* A catalog of two tables for ctl_select_check: orders (p1, p2), users. */
static bool
has(void *arg, const char *table, const char *partition)
{
	if (strcmp(table, "orders") == 0)
		return (partition == NULL || strcmp(partition, "p1") == 0 ||
		    strcmp(partition, "p2") == 0);
	return (strcmp(table, "users") == 0 && partition == NULL);
}

Test(ctl, select_on_exclude_and_all)
{
	struct ctl_request	*r;
	const struct ctl_table	*e;

	r = good(CTL_RESTORE, "snap");
	cr_assert(ctl_select(r, "orders", "p1", &e));
	cr_assert_null(e);
	ctl_free(r);

	r = good(CTL_RESTORE, "snap ON (orders PARTITION (p2) AS o2)");
	cr_assert_not(ctl_select(r, "orders", "p1", &e));
	cr_assert(ctl_select(r, "orders", "p2", &e));
	assert_str(e->alias, "o2");
	cr_assert_not(ctl_select(r, "users", "users", &e));
	cr_assert_null(e);
	ctl_free(r);

	/* EXCLUDE takes a named table out whole, partitions or not. */
	r = good(CTL_BACKUP, "snap EXCLUDE (orders PARTITION (p1))");
	cr_assert_not(ctl_select(r, "orders", "p2", NULL));
	cr_assert(ctl_select(r, "users", "users", NULL));
	ctl_free(r);
}

Test(ctl, select_check_names_what_is_missing)
{
	struct ctl_request	*r;
	const char		*table, *partition;

	r = good(CTL_BACKUP, "snap ON (orders PARTITION (p1, p2), users)");
	cr_assert_eq(ctl_select_check(r, has, NULL, &table, &partition), 0);
	ctl_free(r);

	r = good(CTL_BACKUP, "snap ON (users, nosuch)");
	cr_assert_eq(ctl_select_check(r, has, NULL, &table, &partition),
	    -ENOENT);
	assert_str(table, "nosuch");
	cr_assert_null(partition);
	ctl_free(r);

	r = good(CTL_BACKUP, "snap EXCLUDE (orders PARTITION (p3))");
	cr_assert_eq(ctl_select_check(r, has, NULL, &table, &partition),
	    -ENOENT);
	assert_str(table, "orders");
	assert_str(partition, "p3");
	ctl_free(r);
}
