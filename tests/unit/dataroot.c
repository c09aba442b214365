/*
 * Unit tests for dataroot.c: ids given once and kept across restarts,
 * sorted scans, hidden folders, refused layouts and a malformed ids file,
 * hard-link snapshots, the partition switch of a restore (with its
 * roll-back and its resumption), and scans from several threads at once.
 * Each test works in its own mkdtemp folder.
 */

#include <sys/stat.h>

#include <criterion/criterion.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "snapfs.h"

static char	top[] = "/tmp/snapfs-dataroot.XXXXXX";
static int	fail_rename;	/* fail the nth renameat from now; 0: never */

/* Stands in for libc's, so that a test can make one rename fail. */
int
renameat(int ofd, const char *from, int nfd, const char *to)
{
	static int	(*real)(int, const char *, int, const char *);

	if (real == NULL)
		real = (int (*)(int, const char *, int, const char *))
		    dlsym(RTLD_NEXT, "renameat");
	if (fail_rename > 0 && --fail_rename == 0) {
		errno = EIO;
		return (-1);
	}
	return (real(ofd, from, nfd, to));
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return (remove(path));
}

static void
rmrf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
setup(void)
{
	cr_assert_not_null(mkdtemp(top));
}

static void
teardown(void)
{
	rmrf(top);
}

TestSuite(dataroot, .init = setup, .fini = teardown);

/* top/rel, in a static buffer that the next call reuses. */
static const char *
at(const char *rel)
{
	static char	path[4][4096];
	static int	n;

	n = (n + 1) % 4;
	snprintf(path[n], sizeof path[n], "%s/%s", top, rel);
	return (path[n]);
}

static void
mkdirs(const char *rel)
{
	char	path[4096], *p;

	snprintf(path, sizeof path, "%s/%s", top, rel);
	for (p = path + strlen(top) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		cr_assert(mkdir(path, 0755) == 0 || errno == EEXIST, "%s",
		    path);
		*p = '/';
	}
	cr_assert(mkdir(path, 0755) == 0 || errno == EEXIST, "%s", path);
}

/* Write top/rel, making its folders. */
static void
put(const char *rel, const char *text)
{
	char	dir[4096], *slash;
	FILE	*f;

	snprintf(dir, sizeof dir, "%s", rel);
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		mkdirs(dir);
	}
	cr_assert_not_null(f = fopen(at(rel), "w"), "%s", rel);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

static char *
slurp(const char *rel)
{
	static char	text[65536];
	FILE		*f;
	size_t		 n;

	cr_assert_not_null(f = fopen(at(rel), "r"), "%s", rel);
	n = fread(text, 1, sizeof text - 1, f);
	text[n] = '\0';
	fclose(f);
	return (text);
}

static bool
exists(const char *rel)
{
	struct stat	st;

	return (lstat(at(rel), &st) == 0);
}

static ino_t
inode(const char *rel)
{
	struct stat	st;

	cr_assert_eq(lstat(at(rel), &st), 0, "%s", rel);
	return (st.st_ino);
}

static struct data_root *
open_root(void)
{
	struct data_root	*r;
	char			*cause = NULL;

	cr_assert_eq(dataroot_open(top, &r, &cause), 0, "%s", cause);
	cr_assert_str_eq(dataroot_path(r), top);
	return (r);
}

static struct data_db *
scan(struct data_root *r, const char *db)
{
	struct data_db	*d;
	char		*cause = NULL;

	cr_assert_eq(dataroot_scan(r, db, &d, &cause), 0, "%s", cause);
	cr_assert_str_eq(d->name, db);
	return (d);
}

/* Scan db, expecting it to fail with error and a cause holding want. */
static void
scan_fails(struct data_root *r, const char *db, int error, const char *want)
{
	struct data_db	*d = NULL;
	char		*cause = NULL;

	cr_assert_eq(dataroot_scan(r, db, &d, &cause), error, "%s",
	    cause == NULL ? "no cause" : cause);
	cr_assert_null(d);
	cr_assert_not_null(cause);
	cr_assert_not_null(strstr(cause, want), "cause \"%s\", want \"%s\"",
	    cause, want);
	free(cause);
}

static struct data_table *
table(struct data_db *d, const char *name)
{
	size_t	i;

	for (i = 0; i < d->ntables; i++)
		if (strcmp(d->tables[i].name, name) == 0)
			return (&d->tables[i]);
	cr_assert_fail("no table %s", name);
	return (NULL);
}

static struct data_partition *
partition(struct data_table *t, const char *name)
{
	size_t	i;

	for (i = 0; i < t->npartitions; i++)
		if (strcmp(t->partitions[i].name, name) == 0)
			return (&t->partitions[i]);
	cr_assert_fail("no partition %s", name);
	return (NULL);
}

static void
small_db(void)
{
	put("db1/t1/p1/10001/a.dat", "aaa");
	put("db1/t1/p1/10001/a.hdr", "h");
	put("db1/t1/p2/10002/b.dat", "bb");
}

Test(dataroot, ids_given_once_and_kept)
{
	struct data_root	*r;
	struct data_db		*d;
	struct data_table	*t;
	ino_t			 ino;
	int			 round;

	small_db();
	r = open_root();
	cr_assert(exists(".snapfs"));
	cr_assert_not(exists(".snapfs/ids"));
	for (round = 0; round < 3; round++) {
		d = scan(r, "db1");
		t = &d->tables[0];
		cr_assert_eq(d->id, 10001);
		cr_assert_eq(t->id, 10002);
		cr_assert_eq(t->index_id, 10003);
		cr_assert_gt(t->schema_hash, 0);
		cr_assert_eq(t->npartitions, 2);
		cr_assert_eq(t->partitions[0].id, 10004);
		cr_assert_eq(t->partitions[1].id, 10005);
		cr_assert_eq(t->partitions[0].version, 1);
		cr_assert_eq(t->partitions[1].version, 1);
		if (round == 0) {
			ino = inode(".snapfs/ids");
			cr_assert_not_null(strstr(slurp(".snapfs/ids"),
			    "db\tdb1\t10001\n"));
			cr_assert_not_null(strstr(slurp(".snapfs/ids"),
			    "partition\tdb1/t1/p2\t10005\t1\n"));
			cr_assert_not_null(strstr(slurp(".snapfs/ids"),
			    "next\t10006\n"));
		} else	/* nothing new: the file is not rewritten */
			cr_assert_eq(inode(".snapfs/ids"), ino);
		dataroot_db_free(d);
		if (round == 1) {
			dataroot_close(r);
			r = open_root();
		}
	}
	dataroot_close(r);
}

Test(dataroot, new_things_get_new_ids)
{
	struct data_root	*r;
	struct data_db		*d;
	struct data_table	*t;
	int64_t			 tid, p1;
	int32_t			 hash;

	small_db();
	r = open_root();
	d = scan(r, "db1");
	tid = d->tables[0].id;
	hash = d->tables[0].schema_hash;
	p1 = d->tables[0].partitions[0].id;
	dataroot_db_free(d);

	put("db1/t1/p3/10003/c.dat", "c");
	put("db1/t0/p1/10004/d.dat", "d");
	dataroot_close(r);
	r = open_root();
	d = scan(r, "db1");
	cr_assert_eq(d->ntables, 2);
	t = table(d, "t0");
	cr_assert_eq(t->id, 10006);
	cr_assert_eq(t->index_id, 10007);
	cr_assert_eq(partition(t, "p1")->id, 10008);
	t = table(d, "t1");
	cr_assert_eq(t->id, tid);
	cr_assert_eq(partition(t, "p1")->id, p1);
	cr_assert_eq(partition(t, "p3")->id, 10009);
	dataroot_db_free(d);

	/* A table dropped and made again keeps its ids. */
	rmrf(at("db1/t1"));
	d = scan(r, "db1");
	cr_assert_eq(d->ntables, 1);
	dataroot_db_free(d);
	put("db1/t1/p1/20001/e.dat", "e");
	d = scan(r, "db1");
	t = table(d, "t1");
	cr_assert_eq(t->id, tid);
	cr_assert_eq(t->schema_hash, hash);
	cr_assert_eq(partition(t, "p1")->id, p1);
	dataroot_db_free(d);
	dataroot_close(r);
}

Test(dataroot, sorted_output)
{
	struct data_root	*r;
	struct data_db		*d;
	struct data_partition	*p;
	char			**names;
	size_t			 n, i;

	put("zdb/b/p/1/x", "");
	put("zdb/c/p/1/x", "");
	put("zdb/a/q/100/f", "");
	put("zdb/a/q/9/f", "");
	put("zdb/a/q/20/z", "zz");
	put("zdb/a/q/20/a", "a");
	put("zdb/a/q/20/m", "mmmm");
	put("zdb/a/p/5/f", "");
	mkdirs("adb");
	mkdirs("mdb");
	put("README", "not a database");
	r = open_root();

	cr_assert_eq(dataroot_databases(r, &names, &n), 0);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(names[0], "adb");
	cr_assert_str_eq(names[1], "mdb");
	cr_assert_str_eq(names[2], "zdb");
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);

	d = scan(r, "zdb");
	cr_assert_eq(d->ntables, 3);
	cr_assert_str_eq(d->tables[0].name, "a");
	cr_assert_str_eq(d->tables[1].name, "b");
	cr_assert_str_eq(d->tables[2].name, "c");
	cr_assert_eq(d->tables[0].npartitions, 2);
	cr_assert_str_eq(d->tables[0].partitions[0].name, "p");
	p = &d->tables[0].partitions[1];
	cr_assert_str_eq(p->name, "q");
	cr_assert_eq(p->ntablets, 3);
	cr_assert_eq(p->tablets[0].id, 9);
	cr_assert_eq(p->tablets[1].id, 20);
	cr_assert_eq(p->tablets[2].id, 100);
	cr_assert_eq(p->tablets[1].nfiles, 3);
	cr_assert_str_eq(p->tablets[1].files[0], "a");
	cr_assert_str_eq(p->tablets[1].files[1], "m");
	cr_assert_str_eq(p->tablets[1].files[2], "z");
	cr_assert_eq(p->tablets[1].sizes[0], 1);
	cr_assert_eq(p->tablets[1].sizes[1], 4);
	cr_assert_eq(p->tablets[1].sizes[2], 2);

	/* Ids follow the sorted order. */
	cr_assert_lt(d->tables[0].id, d->tables[1].id);
	cr_assert_lt(d->tables[0].partitions[0].id,
	    d->tables[0].partitions[1].id);
	dataroot_db_free(d);

	d = scan(r, "adb");
	cr_assert_eq(d->ntables, 0);
	dataroot_db_free(d);
	dataroot_close(r);
}

Test(dataroot, hidden_folders_ignored)
{
	struct data_root	*r;
	struct data_db		*d;
	char			**names;
	size_t			 n;

	put("db/t/p/1/f", "");
	put(".trash/t/p/1/f", "");
	put("db/.tmp/p/1/f", "");
	put("db/t/.staging/1/f", "");
	put("db/t/p/.restore/f", "");
	put("db/t/p/1/.nfs0001", "");
	r = open_root();
	cr_assert_eq(dataroot_databases(r, &names, &n), 0);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(names[0], "db");
	free(names[0]);
	free(names);

	d = scan(r, "db");
	cr_assert_eq(d->ntables, 1);
	cr_assert_eq(d->tables[0].npartitions, 1);
	cr_assert_eq(d->tables[0].partitions[0].ntablets, 1);
	cr_assert_eq(d->tables[0].partitions[0].tablets[0].nfiles, 1);
	cr_assert_str_eq(d->tables[0].partitions[0].tablets[0].files[0], "f");
	dataroot_db_free(d);
	scan_fails(r, ".trash", -EINVAL, "bad database name");
	scan_fails(r, ".snapfs", -EINVAL, "bad database name");
	dataroot_close(r);
}

Test(dataroot, empty_root)
{
	struct data_root	*r;
	char			**names;
	size_t			 n;

	r = open_root();
	cr_assert_eq(dataroot_databases(r, &names, &n), 0);
	cr_assert_eq(n, 0);
	free(names);
	scan_fails(r, "nope", -ENOENT, "unknown database nope");
	dataroot_close(r);
}

Test(dataroot, tablet_folder_names)
{
	struct data_root	*r;

	put("db/t/p/1/f", "");
	mkdirs("db/t/p/x");
	r = open_root();
	scan_fails(r, "db", -EINVAL,
	    "\"db/t/p/x\": a tablet folder must be named by its tablet id");
	rmrf(at("db/t/p/x"));
	mkdirs("db/t/p/010");
	scan_fails(r, "db", -EINVAL, "\"db/t/p/010\": a tablet folder");
	rmrf(at("db/t/p/010"));
	mkdirs("db/t/p/-5");
	scan_fails(r, "db", -EINVAL, "\"db/t/p/-5\": a tablet folder");
	rmrf(at("db/t/p/-5"));
	mkdirs("db/t/p/99999999999999999999");
	scan_fails(r, "db", -EINVAL, "a tablet folder must be named");
	rmrf(at("db/t/p/99999999999999999999"));
	put("db/t/p/7", "a file where a tablet should be");
	scan_fails(r, "db", -EINVAL, "\"db/t/p/7\": a tablet must be a folder");
	dataroot_close(r);
	cr_assert_not(exists(".snapfs/ids"));
}

Test(dataroot, only_files_in_a_tablet)
{
	struct data_root	*r;

	put("db/t/p/1/f", "");
	mkdirs("db/t/p/1/sub");
	r = open_root();
	scan_fails(r, "db", -EINVAL,
	    "\"db/t/p/1/sub\": only files belong in a tablet folder");
	rmrf(at("db/t/p/1/sub"));
	cr_assert_eq(symlink("f", at("db/t/p/1/link")), 0);
	scan_fails(r, "db", -EINVAL, "\"db/t/p/1/link\": only files");
	dataroot_close(r);
}

Test(dataroot, bad_names)
{
	struct data_root	*r;
	char			 longname[300];

	put("db/t/p/1/f", "");
	r = open_root();
	mkdirs("db/a.b");
	scan_fails(r, "db", -EINVAL, "\"db/a.b\": name must not contain '.'");
	rmrf(at("db/a.b"));
	mkdirs("db/t/p\tq");
	scan_fails(r, "db", -EINVAL, "must not contain control characters");
	rmrf(at("db/t/p\tq"));
	put("db/file", "");
	scan_fails(r, "db", -EINVAL, "\"db/file\": a table must be a folder");
	unlink(at("db/file"));
	put("db/t/file", "");
	scan_fails(r, "db", -EINVAL, "a partition must be a folder");
	unlink(at("db/t/file"));

	scan_fails(r, "a/b", -EINVAL, "must not contain '/'");
	scan_fails(r, "..", -EINVAL, "must not contain '.'");
	scan_fails(r, "", -EINVAL, "empty name");
	memset(longname, 'x', 257);
	longname[257] = '\0';
	scan_fails(r, longname, -EINVAL, "longer than 256 bytes");
	longname[255] = '\0';	/* NAME_MAX */
	scan_fails(r, longname, -ENOENT, "unknown database");
	put("notadb", "");
	scan_fails(r, "notadb", -ENOTDIR, "a database must be a folder");
	dataroot_close(r);
}

Test(dataroot, open_errors)
{
	struct data_root	*r = NULL;
	char			*cause = NULL;

	cr_assert_eq(dataroot_open(at("missing"), &r, &cause), -ENOENT);
	cr_assert_not_null(strstr(cause, "missing"));
	free(cause);
	cause = NULL;
	put("file", "");
	cr_assert_eq(dataroot_open(at("file"), &r, &cause), -ENOTDIR);
	cr_assert_not_null(strstr(cause, "not a folder"), "%s", cause);
	free(cause);
	cr_assert_null(r);
}

Test(dataroot, malformed_ids_file)
{
	static const struct {
		const char	*text;
		const char	*want;
	} cases[] = {
		{ "db\tdb\t10001\ntable\tdb/t\tabc\t10003\t7\n",
		    "ids:2: bad id" },
		{ "db\tdb\t10001\n\nnext\t1\tx\n", "ids:3: expected next" },
		{ "db\tdb\t10001\nfoo\tdb\t1\n", "ids:2: unknown record" },
		{ "db\tdb\t10001\t5\n", "ids:1: wrong number of fields" },
		{ "table\tdb\t10001\t10002\t7\n", "ids:1: bad name" },
		{ "table\tdb/t/\t10001\t10002\t7\n", "ids:1: bad name" },
		{ "table\tdb/t\t10001\t10002\t0\n", "ids:1: bad schema hash" },
		{ "table\tdb/t\t10001\t10002\t4294967296\n",
		    "ids:1: bad schema hash" },
		{ "partition\tdb/t/p\t10001\t0\n", "ids:1: bad version" },
		{ "db\ta.b\t10001\n", "ids:1: bad name" },
		{ "db\tdb\t10001\ndb\tx\t10002\ndb\tdb\t10003\n",
		    "ids:3: db db appears twice" },
		{ "db\tdb\t10001\ndb\tx\t10001\n", "id 10001 is given twice" },
		{ "db\tdb\t1\t2\t3\t4\t5\n", "ids:1: too many fields" },
		{ "db\tdb\t10001\nx\n", "ids:2: wrong number of fields" },
	};
	struct data_root	*r;
	char			*cause;
	size_t			 i;
	FILE			*f;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		put(".snapfs/ids", cases[i].text);
		r = NULL;
		cause = NULL;
		cr_assert_eq(dataroot_open(top, &r, &cause), -EINVAL, "case %zu",
		    i);
		cr_assert_null(r);
		cr_assert_not_null(cause);
		cr_assert_not_null(strstr(cause, cases[i].want),
		    "case %zu: cause \"%s\", want \"%s\"", i, cause,
		    cases[i].want);
		cr_assert_not_null(strstr(cause, ".snapfs/ids"));
		free(cause);
	}

	/* A NUL byte would hide the rest of its line. */
	cr_assert_not_null(f = fopen(at(".snapfs/ids"), "w"));
	cr_assert_eq(fwrite("db\tdb\t10001\ndb\tx\0y\t10002\n", 1, 26, f),
	    26);
	cr_assert_eq(fclose(f), 0);
	cause = NULL;
	cr_assert_eq(dataroot_open(top, &r, &cause), -EINVAL);
	cr_assert_not_null(strstr(cause, "ids:2: NUL byte"), "%s", cause);
	free(cause);
}

Test(dataroot, ids_file_read_back)
{
	struct data_root	*r;
	struct data_db		*d;

	/* Written by hand: kept as is, and next is moved past every id. */
	put(".snapfs/ids", "db\tdb\t500\ntable\tdb/t\t600\t601\t42\n"
	    "partition\tdb/t/p\t700\t9\nnext\t100\n");
	put("db/t/p/1/f", "");
	put("db/t/q/1/f", "");
	r = open_root();
	d = scan(r, "db");
	cr_assert_eq(d->id, 500);
	cr_assert_eq(d->tables[0].id, 600);
	cr_assert_eq(d->tables[0].index_id, 601);
	cr_assert_eq(d->tables[0].schema_hash, 42);
	cr_assert_eq(d->tables[0].partitions[0].id, 700);
	cr_assert_eq(d->tables[0].partitions[0].version, 9);
	cr_assert_eq(d->tables[0].partitions[1].id, 10001);
	cr_assert_eq(d->tables[0].partitions[1].version, 1);
	dataroot_db_free(d);
	cr_assert_str_eq(slurp(".snapfs/ids"),
	    "db\tdb\t500\n"
	    "table\tdb/t\t600\t601\t42\n"
	    "partition\tdb/t/p\t700\t9\n"
	    "partition\tdb/t/q\t10001\t1\n"
	    "next\t10002\n");
	dataroot_close(r);
}

Test(dataroot, link_makes_hard_links)
{
	struct data_root	*r;
	struct data_db		*d;
	struct data_tablet	*t;
	struct stat		 a, b;
	char			*cause = NULL;
	int			 round;

	small_db();
	r = open_root();
	d = scan(r, "db1");
	t = &d->tables[0].partitions[0].tablets[0];
	for (round = 0; round < 2; round++) {
		cr_assert_eq(dataroot_link(r, "db1", "t1", "p1", t,
		    "snap/job1/p1", &cause), 0, "%s", cause);
		cr_assert_eq(stat(at("db1/t1/p1/10001/a.dat"), &a), 0);
		cr_assert_eq(stat(at(".snapfs/snap/job1/p1/10001/a.dat"), &b),
		    0);
		cr_assert_eq(a.st_ino, b.st_ino);
		cr_assert_eq(a.st_dev, b.st_dev);
		cr_assert_eq(b.st_nlink, 2);
		cr_assert_eq(inode(".snapfs/snap/job1/p1/10001/a.hdr"),
		    inode("db1/t1/p1/10001/a.hdr"));
		cr_assert_str_eq(slurp(".snapfs/snap/job1/p1/10001/a.dat"),
		    "aaa");
	}

	/* Another file in the way. */
	put(".snapfs/snap/job2/10001/a.dat", "other");
	cr_assert_eq(dataroot_link(r, "db1", "t1", "p1", t, "snap/job2",
	    &cause), -EEXIST);
	cr_assert_not_null(strstr(cause, "a.dat"), "%s", cause);
	free(cause);
	cause = NULL;

	/* A file that vanished since the scan. */
	cr_assert_eq(unlink(at("db1/t1/p1/10001/a.hdr")), 0);
	cr_assert_eq(dataroot_link(r, "db1", "t1", "p1", t, "snap/job3",
	    &cause), -ENOENT);
	cr_assert_not_null(strstr(cause, "\"db1/t1/p1/10001/a.hdr\""), "%s",
	    cause);
	free(cause);
	cause = NULL;

	cr_assert_eq(dataroot_link(r, "db1", "..", "p1", t, "snap/job4",
	    &cause), -EINVAL);
	free(cause);
	cause = NULL;

	/* A link put in the tablet folder after the scan is not linked. */
	cr_assert_eq(unlink(at("db1/t1/p1/10001/a.dat")), 0);
	cr_assert_eq(symlink("/etc/passwd", at("db1/t1/p1/10001/a.dat")), 0);
	cr_assert_eq(dataroot_link(r, "db1", "t1", "p1", t, "snap/job5",
	    &cause), -EINVAL);
	cr_assert_not_null(strstr(cause, "not a regular file"), "%s", cause);
	cr_assert_not(exists(".snapfs/snap/job5/10001/a.dat"));
	free(cause);
	dataroot_db_free(d);
	dataroot_close(r);
}

Test(dataroot, switch_new_partition)
{
	struct data_root	*r;
	char			*cause = NULL;
	int			 round;

	put(".snapfs/stage/p9/5/a.dat", "new");
	r = open_root();
	for (round = 0; round < 2; round++) {
		/* The second round is a resumed job: already done. */
		cr_assert_eq(dataroot_switch(r, "newdb", "t", "p9", "stage/p9",
		    "aside/newdb/t/p9", &cause), 0, "%s", cause);
		cr_assert_str_eq(slurp("newdb/t/p9/5/a.dat"), "new");
		cr_assert_not(exists(".snapfs/stage/p9"));
		cr_assert_not(exists(".snapfs/aside/newdb/t/p9"));
	}
	dataroot_close(r);
}

Test(dataroot, switch_existing_partition)
{
	struct data_root	*r;
	struct data_db		*d;
	char			*cause = NULL;
	int			 round;

	put("db/t/p1/1/old.dat", "old");
	put("db/t/p2/2/keep.dat", "keep");
	put(".snapfs/stage/p1/3/new.dat", "new");
	r = open_root();
	for (round = 0; round < 2; round++) {
		cr_assert_eq(dataroot_switch(r, "db", "t", "p1", "stage/p1",
		    "aside/job7/db/t/p1", &cause), 0, "%s", cause);
		cr_assert_str_eq(slurp("db/t/p1/3/new.dat"), "new");
		cr_assert_not(exists("db/t/p1/1"));
		cr_assert_str_eq(slurp(".snapfs/aside/job7/db/t/p1/1/old.dat"),
		    "old");
		cr_assert_not(exists(".snapfs/aside/job7/db/t/p1/3"));
		cr_assert_str_eq(slurp("db/t/p2/2/keep.dat"), "keep");
		cr_assert_not(exists(".snapfs/stage/p1"));
	}
	d = scan(r, "db");
	cr_assert_eq(d->tables[0].partitions[0].tablets[0].id, 3);
	dataroot_db_free(d);
	dataroot_close(r);
}

Test(dataroot, switch_rolls_back)
{
	struct data_root	*r;
	char			*cause = NULL;

	put("db/t/p1/1/old.dat", "old");
	put(".snapfs/stage/p1/3/new.dat", "new");
	r = open_root();
	fail_rename = 2;	/* the one that moves the staged folder in */
	cr_assert_eq(dataroot_switch(r, "db", "t", "p1", "stage/p1",
	    "aside/p1", &cause), -EIO);
	cr_assert_eq(fail_rename, 0);
	cr_assert_not_null(strstr(cause, "stage/p1"), "%s", cause);
	free(cause);
	cause = NULL;
	cr_assert_str_eq(slurp("db/t/p1/1/old.dat"), "old");
	cr_assert_not(exists(".snapfs/aside/p1"));
	cr_assert_str_eq(slurp(".snapfs/stage/p1/3/new.dat"), "new");

	/* Once the fault is gone, the same call does the switch. */
	cr_assert_eq(dataroot_switch(r, "db", "t", "p1", "stage/p1",
	    "aside/p1", &cause), 0, "%s", cause);
	cr_assert_str_eq(slurp("db/t/p1/3/new.dat"), "new");
	cr_assert_str_eq(slurp(".snapfs/aside/p1/1/old.dat"), "old");
	dataroot_close(r);
}

Test(dataroot, switch_refuses)
{
	struct data_root	*r;
	char			*cause = NULL, shm[] = "/dev/shm/snapfs.XXXXXX";
	char			 staged[64];
	struct stat		 a;

	put("db/t/p1/1/old.dat", "old");
	r = open_root();

	/* Nothing staged and nothing in place. */
	cr_assert_eq(dataroot_switch(r, "db", "t", "p2", "stage/p2",
	    "aside/p2", &cause), -ENOENT);
	cr_assert_not_null(strstr(cause, "stage/p2"), "%s", cause);
	free(cause);
	cause = NULL;
	cr_assert_eq(dataroot_switch(r, "db", "t", "p.1", "stage/p2",
	    "aside/p2", &cause), -EINVAL);
	free(cause);
	cause = NULL;

	/* A staged folder that is a link is not followed out. */
	cr_assert_not_null(mkdtemp(shm));
	snprintf(staged, sizeof staged, "%s/p1", shm);
	cr_assert_eq(mkdir(staged, 0755), 0);
	cr_assert_eq(symlink(shm, at(".snapfs/stage")), 0);
	cr_assert_eq(dataroot_switch(r, "db", "t", "p1", "stage/p1",
	    "aside/p1", &cause), -ELOOP);
	free(cause);
	cr_assert_eq(stat(staged, &a), 0, "the link's target was moved");
	rmdir(staged);
	rmdir(shm);
	cr_assert_str_eq(slurp("db/t/p1/1/old.dat"), "old");
	cr_assert_not(exists(".snapfs/aside/p1"));
	dataroot_close(r);
}

#define NTHREADS	4
#define NTABLES		12
#define NPARTITIONS	8
#define NROUNDS		5

struct scanner {
	struct data_root	*r;
	const char		*db;
	struct data_db		*d;
	int			 error;
};

static void *
scanner(void *arg)
{
	struct scanner	*s = arg;
	struct data_db	*d;
	char		*cause = NULL;
	int		 i;

	for (i = 0; i < NROUNDS; i++) {
		if ((s->error = dataroot_scan(s->r, s->db, &d, &cause)) != 0) {
			free(cause);
			return (NULL);
		}
		if (s->d == NULL)
			s->d = d;
		else
			dataroot_db_free(d);
	}
	return (NULL);
}

/* Every id of d (db, tables, indexes, partitions) into ids. */
static size_t
collect(const struct data_db *d, int64_t *ids)
{
	size_t	n = 0, i, j;

	ids[n++] = d->id;
	for (i = 0; i < d->ntables; i++) {
		ids[n++] = d->tables[i].id;
		ids[n++] = d->tables[i].index_id;
		for (j = 0; j < d->tables[i].npartitions; j++)
			ids[n++] = d->tables[i].partitions[j].id;
	}
	return (n);
}

static int
cmp64(const void *a0, const void *b0)
{
	const int64_t	*a = a0, *b = b0;

	return (*a < *b ? -1 : *a > *b);
}

Test(dataroot, concurrent_scans)
{
	static const char	*dbs[] = { "alpha", "beta" };
	struct scanner		 s[NTHREADS];
	pthread_t		 th[NTHREADS];
	struct data_root	*r;
	struct data_db		*d;
	int64_t			 ids[2 * (1 + NTABLES * (2 + NPARTITIONS))];
	int64_t			 again[sizeof ids / sizeof ids[0]];
	char			 rel[128];
	size_t			 n = 0, m, i;
	int			 k, t, p;

	for (k = 0; k < 2; k++)
		for (t = 0; t < NTABLES; t++)
			for (p = 0; p < NPARTITIONS; p++) {
				snprintf(rel, sizeof rel, "%s/t%02d/p%d/%d/f",
				    dbs[k], t, p, 1000 + p);
				put(rel, "x");
			}
	r = open_root();
	for (i = 0; i < NTHREADS; i++) {
		s[i].r = r;
		s[i].db = dbs[i % 2];
		s[i].d = NULL;
		cr_assert_eq(pthread_create(&th[i], NULL, scanner, &s[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++)
		cr_assert_eq(pthread_join(th[i], NULL), 0);
	for (i = 0; i < NTHREADS; i++)
		cr_assert_eq(s[i].error, 0, "thread %zu: %d", i, s[i].error);

	/* Two threads on one database saw the same ids. */
	for (i = 0; i < 2; i++) {
		n = collect(s[i].d, ids);
		m = collect(s[i + 2].d, again);
		cr_assert_eq(n, m);
		cr_assert_arr_eq(ids, again, n * sizeof ids[0]);
	}
	n = collect(s[0].d, ids);
	n += collect(s[1].d, ids + n);
	cr_assert_eq(n, sizeof ids / sizeof ids[0]);
	qsort(ids, n, sizeof ids[0], cmp64);
	for (i = 1; i < n; i++)
		cr_assert_neq(ids[i - 1], ids[i], "id %lld twice",
		    (long long)ids[i]);
	cr_assert_eq(ids[0], 10001);
	cr_assert_eq(ids[n - 1], 10001 + (int64_t)n - 1);

	/* And the ids file holds them all. */
	dataroot_close(r);
	r = open_root();
	for (i = 0; i < 2; i++) {
		d = scan(r, dbs[i]);
		n = collect(s[i].d, ids);
		m = collect(d, again);
		cr_assert_eq(n, m);
		cr_assert_arr_eq(ids, again, n * sizeof ids[0]);
		dataroot_db_free(d);
	}
	for (i = 0; i < NTHREADS; i++)
		dataroot_db_free(s[i].d);
	dataroot_close(r);
}
