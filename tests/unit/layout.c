/*
 * Unit tests for layout.c: every key it builds parses back to what it was
 * built from, and names that are not of the layout are refused.
 */

#include <criterion/criterion.h>
#include <string.h>

#include "snapfs.h"

static void
assert_freed_eq(char *got, const char *want)
{
	cr_assert_str_eq(got, want);
	free(got);
}

Test(layout, repositories_of_doris_and_starrocks)
{
	char	*key;

	cr_assert_str_eq(layout_repo_name("__palo_repository_repo1"), "repo1");
	cr_assert_str_eq(layout_repo_name("__starrocks_repository_sr"), "sr");
	cr_assert_null(layout_repo_name("__palo_repository_"));
	cr_assert_null(layout_repo_name("__palo_repository_a/b"));
	cr_assert_null(layout_repo_name("palo_repository_x"));
	cr_assert_null(layout_repo_name("__ss_x"));
	key = layout_repo_key("r2");
	cr_assert_str_eq(layout_repo_name(key), "r2");
	assert_freed_eq(key, "__palo_repository_r2");
	assert_freed_eq(layout_repo_info("__palo_repository_r2"),
	    "__palo_repository_r2/__repo_info");
	key = layout_repo_info("");
	cr_assert(layout_is_repo_info(key));
	free(key);
	cr_assert_not(layout_is_repo_info("__repo_info.part"));
}

Test(layout, snapshot_folders)
{
	char	*name, *dir;

	name = layout_snapshot_name("snap_1");
	cr_assert_str_eq(layout_label(name), "snap_1");
	assert_freed_eq(name, "__ss_snap_1");
	dir = layout_snapshot_dir("__palo_repository_r", "snap_1");
	cr_assert_str_eq(dir, "__palo_repository_r/__ss_snap_1/");
	dir[strlen(dir) - 1] = '\0';
	cr_assert(layout_is_snapshot_dir(dir));
	free(dir);
	cr_assert_null(layout_label("__ss_"));
	cr_assert_null(layout_label("__ss_a/b"));
	cr_assert_null(layout_label("__ss"));
	cr_assert(layout_is_snapshot_dir("__starrocks_repository_r/__ss_x"));
	cr_assert_not(layout_is_snapshot_dir("__palo_repository_r"));
	cr_assert_not(layout_is_snapshot_dir("__palo_repository_r/__ss_x/y"));
	cr_assert_not(layout_is_snapshot_dir("other/__ss_x"));
	cr_assert_not(layout_is_snapshot_dir("__palo_repository_r/x"));
}

Test(layout, suffix_is_split_at_the_last_dot)
{
	const char	*hdr = "10013.hdr.df290ba5b1e4840507b6391d5546449c";
	const char	*dat = "0200000000000034b0400c3870adc1c7d4e9f04c07630c99"
			    "_0.dat.c8a380254573a1d0664475eb8d01a455";

	cr_assert_eq(layout_md5_suffix(hdr, strlen(hdr)), strlen("10013.hdr"));
	cr_assert_eq(layout_md5_suffix(dat, strlen(dat)), strlen(dat) - 33);
}

Test(layout, names_without_a_valid_suffix_are_kept_whole)
{
	const char	*names[] = {
		"__repo_info",
		"10013.hdr",
		"10013.hdr.part",
		"10013.hdr.DF290BA5B1E4840507B6391D5546449C",	/* upper */
		"10013.hdr.df290ba5b1e4840507b6391d5546449",	/* 31 */
		"10013.hdr.df290ba5b1e4840507b6391d5546449cc",	/* 33 */
		".df290ba5b1e4840507b6391d5546449c",		/* no base */
		"x_df290ba5b1e4840507b6391d5546449c",
	};
	size_t		 i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		cr_assert_eq(layout_md5_suffix(names[i], strlen(names[i])),
		    strlen(names[i]), "%s", names[i]);
}

Test(layout, is_hex)
{
	cr_assert(layout_md5_is_hex("0123456789abcdef0123456789abcdef", 32));
	cr_assert_not(layout_md5_is_hex("0123456789abcdef0123456789abcdeg",
	    32));
	cr_assert_not(layout_md5_is_hex("0123456789abcdef", 16));
	cr_assert_not(layout_md5_is_hex("0123456789abcdef0123456789abcd\0f",
	    32));
}

Test(layout, info_names_round_trip)
{
	const char	*md5 = "0123456789abcdef0123456789abcdef", *ts;
	char		*name, stamp[LAYOUT_TS_MAX];
	size_t		 len;
	bool		 checked;

	layout_timestamp(1709308800, stamp);
	cr_assert_eq(strlen(stamp), 19, "%s", stamp);
	name = layout_info_name(stamp, md5);
	cr_assert(layout_info(name, &ts, &len, &checked));
	cr_assert(checked);
	cr_assert_eq(len, strlen(stamp));
	cr_assert_eq(strncmp(ts, stamp, len), 0);
	cr_assert_str_eq(ts + len + 1, md5);
	free(name);

	/* StarRocks' milliseconds; a leftover .part; no suffix at all. */
	cr_assert(layout_info("__info_2018-04-12-20-46-45-000."
	    "0123456789abcdef0123456789abcdef", &ts, &len, &checked));
	cr_assert(checked && len == 23);
	cr_assert(layout_info("__info_2024-03-01-16-00-00.part", &ts, &len,
	    &checked));
	cr_assert(!checked && len == 19);
	cr_assert(layout_info("__info_x", &ts, &len, &checked));
	cr_assert(!checked && len == 1);
	cr_assert_not(layout_info("__info_x/y", &ts, &len, &checked));
	cr_assert_not(layout_info("__meta.0123456789abcdef0123456789abcdef",
	    &ts, &len, &checked));
}

/* BACKUP GLOBAL's object is no job info, and needs its md5. */
Test(layout, global_info_names)
{
	const char	*g = "__global_info_2024-03-01-16-00-00."
			    "0123456789abcdef0123456789abcdef", *ts;
	size_t		 len;
	bool		 checked;

	cr_assert_not(layout_info(g, &ts, &len, &checked));
	cr_assert(layout_global_info(g, &ts, &len));
	cr_assert_eq(len, 19);
	cr_assert_eq(strncmp(ts, "2024-03-01-16-00-00", len), 0);
	cr_assert_not(layout_global_info("__global_info_2024-03-01-16-00-00",
	    &ts, &len));
	cr_assert_not(layout_global_info("__global_info_2024-03-01-16-00-00."
	    "part", &ts, &len));
	cr_assert_not(layout_global_info("__global_info_."
	    "0123456789abcdef0123456789abcdef", &ts, &len));
	cr_assert_not(layout_global_info("__global_info_x/y."
	    "0123456789abcdef0123456789abcdef", &ts, &len));
	cr_assert_not(layout_global_info("__info_2024-03-01-16-00-00."
	    "0123456789abcdef0123456789abcdef", &ts, &len));
	cr_assert_not(layout_is_meta(g));
}

Test(layout, meta_names)
{
	char	*name;

	name = layout_meta_name("0123456789abcdef0123456789abcdef");
	cr_assert(layout_is_meta(name));
	assert_freed_eq(name, "__meta.0123456789abcdef0123456789abcdef");
	assert_freed_eq(layout_meta_name(NULL), "__meta");
	cr_assert_not(layout_is_meta("__meta"));
	cr_assert_not(layout_is_meta("__meta.part"));
	cr_assert_not(layout_is_meta(
	    "__metax.0123456789abcdef0123456789abcdef"));
}

Test(layout, tablet_files_round_trip)
{
	struct layout_tablet	 t = { 10001, 10010, 10011, 10012, 10013 }, u;
	const char		*file;
	char			*dir, *rel;

	dir = layout_tablet_dir(&t);
	cr_assert_str_eq(dir, "__ss_content/__db_10001/__tbl_10010/"
	    "__part_10011/__idx_10012/__10013");
	cr_assert(layout_in_content(dir));
	cr_assert_eq(strncmp(dir, layout_content(), strlen(layout_content())),
	    0);
	xasprintf(&rel, "%s/10013.hdr.0123456789abcdef0123456789abcdef", dir);
	memset(&u, 0, sizeof u);
	cr_assert(layout_tablet_file(rel, &u, &file));
	cr_assert_eq(memcmp(&t, &u, sizeof t), 0);
	cr_assert_str_eq(file, "10013.hdr.0123456789abcdef0123456789abcdef");
	free(rel);
	free(dir);
}

Test(layout, content_keys_that_are_no_tablet_file)
{
	const char		*bad[] = {
		"__ss_content/__db_1/__tbl_2/__part_3/__idx_4/__5/",
		"__ss_content/__db_1/__tbl_2/__part_3/__idx_4/__5",
		"__ss_content/__db_1/__tbl_2/__part_3/__idx_4/__5/a/b",
		"__ss_content/__db_1/__tbl_2/__part_3/__idx_4/5/f",
		"__ss_content/__db_x/__tbl_2/__part_3/__idx_4/__5/f",
		"__ss_content/__db_-1/__tbl_2/__part_3/__idx_4/__5/f",
		"__ss_content/__db_1/__tbl_2/__part_3/__idx_4/"
		    "__99999999999999999999/f",
		"__ss_content/__db_1/__tbl_2/__part_3/__5/f",
		"__meta.0123456789abcdef0123456789abcdef",
		"x/__ss_content/__db_1/__tbl_2/__part_3/__idx_4/__5/f",
	};
	struct layout_tablet	 t;
	const char		*file;
	size_t			 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_assert_not(layout_tablet_file(bad[i], &t, &file), "%s",
		    bad[i]);
}

Test(layout, doris_names_and_ids)
{
	int64_t	v;

	cr_assert_null(layout_name_bad("orders"));
	cr_assert_str_eq(layout_name_bad(""), "empty name");
	cr_assert_str_eq(layout_name_bad("a.b"), "name must not contain '.'");
	cr_assert_str_eq(layout_name_bad("a/b"), "name must not contain '/'");
	cr_assert_str_eq(layout_name_bad("a\nb"),
	    "name must not contain control characters");
	cr_assert(layout_number("10013", INT64_MAX, &v) && v == 10013);
	cr_assert_not(layout_number("0", INT64_MAX, &v));
	cr_assert_not(layout_number("012", INT64_MAX, &v));
	cr_assert_not(layout_number("+1", INT64_MAX, &v));
	cr_assert_not(layout_number("9223372036854775808", INT64_MAX, &v));
	cr_assert(layout_number("9223372036854775807", INT64_MAX, &v));
	cr_assert_not(layout_number("128", 127, &v));
}

/* Each name of text, a line of out; "!" for a line that is no name. */
static void
manifest_lines(const char *text, size_t len, char *out, size_t size)
{
	const char	*p = text, *name;
	size_t		 n;
	int		 found;

	*out = '\0';
	while ((found = layout_manifest_next(&p, text + len, &name, &n)) != 0)
		snprintf(out + strlen(out), size - strlen(out), "%.*s\n",
		    found == 1 ? (int)n : 1, found == 1 ? name : "!");
}

Test(layout, starrocks_manifests)
{
	char	out[512], name[300];

	cr_assert(layout_is_manifest("__starrocks_snapshot_manifest"));
	cr_assert_not(layout_is_manifest(
	    "__starrocks_snapshot_manifest.0123456789abcdef0123456789abcdef"));
	cr_assert_not(layout_is_manifest("10013.hdr"));

	manifest_lines("", 0, out, sizeof out);
	cr_assert_str_eq(out, "");
	manifest_lines("0_0_0.dat\n10013.hdr\nmeta\n", 25, out, sizeof out);
	cr_assert_str_eq(out, "0_0_0.dat\n10013.hdr\nmeta\n");
	manifest_lines("0_0_0.dat\nmeta", 14, out, sizeof out);
	cr_assert_str_eq(out, "0_0_0.dat\nmeta\n");
	manifest_lines("a\n\nb\n", 5, out, sizeof out);
	cr_assert_str_eq(out, "a\n!\nb\n");
	manifest_lines("\n", 1, out, sizeof out);
	cr_assert_str_eq(out, "!\n");
	manifest_lines("x/y\n.\n..\n...\nc\0d\n", 17, out, sizeof out);
	cr_assert_str_eq(out, "!\n!\n!\n...\n!\n");
	/* The text need not end in a NUL: len bounds it. */
	manifest_lines("ab\ncd", 4, out, sizeof out);
	cr_assert_str_eq(out, "ab\nc\n");
	memset(name, 'n', 256);
	manifest_lines(name, 256, out, sizeof out);
	cr_assert_str_eq(out, "!\n");
	manifest_lines(name, 255, out, sizeof out);
	cr_assert_eq(strlen(out), 256);
}
