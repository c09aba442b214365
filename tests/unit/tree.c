/*
 * Unit tests for tree.c: batches, lookups, sorted and de-duplicated
 * children, storage keys, inode numbers that follow from the path, and
 * the eviction of snapshot trees past the budget.
 */

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapfs.h"

static int	loads;

/* A loader for a tiny fixed tree: root -> a/ (-> b/ x y), t.txt */
static int
fake_load(void *arg, const struct tree_dir *dir, struct batch *b,
    char **cause)
{
	uint32_t	a, bb;
	bool		reversed = arg != NULL;

	loads++;
	if (dir->load == LOAD_ROOT) {
		if (reversed) {
			tree_add_text(b, BATCH_TOP, "t.txt", "hello\n", 6, 7);
			tree_add_dir(b, BATCH_TOP, "a", 5, LOAD_RAW, "pa", 0);
		} else {
			tree_add_dir(b, BATCH_TOP, "a", 5, LOAD_RAW, "pa", 0);
			tree_add_text(b, BATCH_TOP, "t.txt", "hello\n", 6, 7);
		}
		return (0);
	}
	if (dir->load == LOAD_RAW) {
		cr_assert_str_eq(dir->key, "pa");
		cr_assert_str_eq(dir->name, "a");
		a = tree_add_dir(b, BATCH_TOP, "b", 1, LOAD_NONE, "pb", 0);
		bb = tree_add_file(b, a, "y", "y.0123456789abcdef0123456789abcdef",
		    10, 2);
		cr_assert_neq(bb, BATCH_NONE);
		tree_add_file(b, a, "x", "obj-x", 20, 3);
		tree_add_file(b, a, "x", "obj-x2", 30, 3);	/* a repeat */
		tree_add_file(b, a, "..", "bad", 1, 1);		/* refused */
		tree_add_file(b, a, "a/b", "bad", 1, 1);		/* refused */
		cr_assert_eq(tree_add_dir(b, BATCH_NONE, "c", 0, LOAD_NONE, NULL,
		    0), BATCH_NONE);
		return (0);
	}
	*cause = strdup("unexpected load");
	return (-EINVAL);
}

struct names {
	char	buf[256];
	int	n;
};

static int
collect(void *arg, const char *name, const struct tree_attr *a,
    uint64_t next)
{
	struct names	*ns = arg;

	strcat(ns->buf, name);
	strcat(ns->buf, " ");
	ns->n++;
	return (0);
}

Test(tree, lookup_loads_once_and_finds_children)
{
	struct tree		*t;
	struct tree_attr	 a, b, x;

	loads = 0;
	t = tree_create(fake_load, NULL);
	cr_assert_eq(tree_lookup(t, 1, "a", &a, NULL), 0);
	cr_assert_eq(a.type, NODE_DIR);
	cr_assert_eq(tree_lookup(t, 1, "nope", &b, NULL), -ENOENT);
	cr_assert_eq(loads, 1);
	cr_assert_eq(tree_lookup(t, a.ino, "b", &b, NULL), 0);
	cr_assert_eq(loads, 2);
	cr_assert_eq(tree_lookup(t, b.ino, "x", &x, NULL), 0);
	cr_assert_eq(x.size, 20, "the first of two repeated names wins");
	cr_assert_eq(tree_lookup(t, x.ino, "y", &a, NULL), -ENOTDIR);
	tree_free(t);
}

Test(tree, readdir_is_sorted_and_refuses_bad_names)
{
	struct tree		*t;
	struct tree_attr	 a, b;
	struct names		 ns;

	t = tree_create(fake_load, NULL);
	memset(&ns, 0, sizeof ns);
	cr_assert_eq(tree_readdir(t, 1, 0, collect, &ns, NULL), 0);
	cr_assert_str_eq(ns.buf, "a t.txt ");
	tree_lookup(t, 1, "a", &a, NULL);
	tree_lookup(t, a.ino, "b", &b, NULL);
	memset(&ns, 0, sizeof ns);
	cr_assert_eq(tree_readdir(t, b.ino, 0, collect, &ns, NULL), 0);
	cr_assert_str_eq(ns.buf, "x y ");
	memset(&ns, 0, sizeof ns);
	cr_assert_eq(tree_readdir(t, b.ino, 1, collect, &ns, NULL), 0);
	cr_assert_str_eq(ns.buf, "y ", "offsets are positions");
	tree_free(t);
}

Test(tree, inode_numbers_follow_the_path)
{
	struct tree		*t1, *t2;
	struct tree_attr	 a1, a2, f1, f2;

	t1 = tree_create(fake_load, NULL);
	t2 = tree_create(fake_load, (void *)1);	/* other load order */
	cr_assert_eq(tree_lookup(t1, 1, "t.txt", &f1, NULL), 0);
	cr_assert_eq(tree_lookup(t2, 1, "a", &a2, NULL), 0);
	cr_assert_eq(tree_lookup(t2, 1, "t.txt", &f2, NULL), 0);
	cr_assert_eq(tree_lookup(t1, 1, "a", &a1, NULL), 0);
	cr_assert_eq(a1.ino, a2.ino);
	cr_assert_eq(f1.ino, f2.ino);
	cr_assert_neq(a1.ino, f1.ino);
	cr_assert_gt(a1.ino, 1);
	tree_free(t1);
	tree_free(t2);
}

Test(tree, objects_know_their_key_and_md5)
{
	struct tree		*t;
	struct tree_attr	 a, b, y;
	struct tree_object	 obj;
	char			*text;
	size_t			 len;

	t = tree_create(fake_load, NULL);
	tree_lookup(t, 1, "a", &a, NULL);
	tree_lookup(t, a.ino, "b", &b, NULL);
	tree_lookup(t, b.ino, "y", &y, NULL);
	cr_assert_eq(tree_object(t, y.ino, &obj), 0);
	cr_assert_str_eq(obj.key, "pa/pb/y.0123456789abcdef0123456789abcdef");
	cr_assert_str_eq(obj.md5, "0123456789abcdef0123456789abcdef");
	cr_assert_eq(obj.size, 10);
	free(obj.key);
	cr_assert_eq(tree_object(t, a.ino, &obj), -EINVAL);

	tree_lookup(t, 1, "t.txt", &a, NULL);
	cr_assert_eq(tree_text(t, a.ino, &text, &len), 0);
	cr_assert_eq(len, 6);
	cr_assert_str_eq(text, "hello\n");
	free(text);

	cr_assert_eq(tree_checked(t, y.ino), 0);
	tree_mark_checked(t, y.ino, false);
	cr_assert_eq(tree_checked(t, y.ino), -1);
	tree_free(t);
}

static int
failing_load(void *arg, const struct tree_dir *dir, struct batch *b,
    char **cause)
{
	int	*calls = arg;

	tree_add_dir(b, BATCH_TOP, "half", 0, LOAD_NONE, NULL, 0);
	if ((*calls)++ == 0)
		return (-EIO);	/* the partial batch must not show */
	return (0);
}

Test(tree, a_failed_load_shows_nothing_and_is_retried)
{
	struct tree	*t;
	struct names	 ns;
	int		 calls = 0;

	t = tree_create(failing_load, &calls);
	memset(&ns, 0, sizeof ns);
	cr_assert_eq(tree_readdir(t, 1, 0, collect, &ns, NULL), -EIO);
	cr_assert_eq(ns.n, 0);
	cr_assert_eq(tree_readdir(t, 1, 0, collect, &ns, NULL), 0);
	cr_assert_str_eq(ns.buf, "half ");
	tree_free(t);
}

/* root -> s/ (t1/ (p1/ (f1 f2) p2/ (f3)) t2/ (p3/ (f4))), s2/ (g) */
static int
walk_load(void *arg, const struct tree_dir *dir, struct batch *b,
    char **cause)
{
	uint32_t	t1, t2, p;

	if (dir->load == LOAD_ROOT) {
		tree_add_dir(b, BATCH_TOP, "s", 1, LOAD_SNAPSHOT, "s", 0);
		tree_add_dir(b, BATCH_TOP, "s2", 1, LOAD_SNAPSHOT, "s2", 0);
		return (0);
	}
	if (strcmp(dir->key, "s2") == 0) {
		tree_add_file(b, BATCH_TOP, "g", "g", 1, 1);
		return (0);
	}
	t1 = tree_add_dir(b, BATCH_TOP, "t1", 1, LOAD_NONE, NULL, 0);
	t2 = tree_add_dir(b, BATCH_TOP, "t2", 1, LOAD_NONE, NULL, 0);
	p = tree_add_dir(b, t1, "p1", 1, LOAD_NONE, NULL, 0);
	tree_add_file(b, p, "f1", "f1", 1, 1);
	tree_add_file(b, p, "f2", "f2", 1, 1);
	p = tree_add_dir(b, t1, "p2", 1, LOAD_NONE, NULL, 0);
	tree_add_file(b, p, "f3", "f3", 1, 1);
	p = tree_add_dir(b, t2, "p3", 1, LOAD_NONE, NULL, 0);
	tree_add_file(b, p, "f4", "f4", 1, 1);
	return (0);
}

static uint64_t
ino_at(struct tree *t, const char *path)
{
	struct tree_attr	 a = { .ino = 1 };
	char			*copy = strdup(path), *name, *rest = copy;

	while ((name = strsep(&rest, "/")) != NULL)
		cr_assert_eq(tree_lookup(t, a.ino, name, &a, NULL), 0, "%s",
		    name);
	free(copy);
	return (a.ino);
}

Test(tree, next_files_walk_across_folders_within_the_snapshot)
{
	struct tree	*t;
	uint64_t	 next[8];

	t = tree_create(walk_load, NULL);
	ino_at(t, "s2/g");	/* loaded too, but another snapshot */
	cr_assert_eq(tree_next_files(t, ino_at(t, "s/t1/p1/f1"), next, 8), 3);
	cr_assert_eq(next[0], ino_at(t, "s/t1/p1/f2"));
	cr_assert_eq(next[1], ino_at(t, "s/t1/p2/f3"));
	cr_assert_eq(next[2], ino_at(t, "s/t2/p3/f4"));
	cr_assert_eq(tree_next_files(t, ino_at(t, "s/t1/p1/f2"), next, 1), 1);
	cr_assert_eq(next[0], ino_at(t, "s/t1/p2/f3"));
	cr_assert_eq(tree_next_files(t, ino_at(t, "s/t2/p3/f4"), next, 8), 0);
	tree_free(t);
}

/* s/t/pN/TABLET/h: partitions p1 (10 11 12), p2 (20 21, 22 without h), p3 (30) */
static int
cousin_load(void *arg, const struct tree_dir *dir, struct batch *b,
    char **cause)
{
	static const char *const tablets[] = { "p1/10", "p1/11", "p1/12",
	    "p2/20", "p2/21", "p2/22", "p3/30" };
	char		 name[8];
	uint32_t	 s, t, p = BATCH_NONE, d;
	size_t		 i;

	if (dir->load == LOAD_ROOT) {
		tree_add_dir(b, BATCH_TOP, "s", 1, LOAD_SNAPSHOT, "s", 0);
		return (0);
	}
	s = tree_add_dir(b, BATCH_TOP, "t", 1, LOAD_NONE, "t", 0);
	for (i = 0; i < sizeof tablets / sizeof *tablets; i++) {
		if (i == 0 || strncmp(tablets[i], tablets[i - 1], 2) != 0) {
			snprintf(name, sizeof name, "%.2s", tablets[i]);
			p = tree_add_dir(b, s, name, 1, LOAD_NONE, name, 0);
		}
		t = tree_add_dir(b, p, tablets[i] + 3, 1, LOAD_NONE,
		    tablets[i] + 3, 0);
		d = tree_add_file(b, t, strcmp(tablets[i], "p2/22") == 0 ?
		    "x" : "h", "k", 1, 1);
		cr_assert_neq(d, BATCH_NONE);
	}
	return (0);
}

Test(tree, cousins_are_the_same_file_of_the_next_tablets_on_into_partitions)
{
	struct tree	*t;
	uint64_t	 c[8];

	t = tree_create(cousin_load, NULL);
	cr_assert_eq(tree_cousins(t, ino_at(t, "s/t/p1/10/h"), c, 8), 5);
	cr_assert_eq(c[0], ino_at(t, "s/t/p1/11/h"));
	cr_assert_eq(c[1], ino_at(t, "s/t/p1/12/h"));
	cr_assert_eq(c[2], ino_at(t, "s/t/p2/20/h"));
	cr_assert_eq(c[3], ino_at(t, "s/t/p2/21/h"));
	cr_assert_eq(c[4], ino_at(t, "s/t/p3/30/h"), "22 has no h");
	cr_assert_eq(tree_cousins(t, ino_at(t, "s/t/p1/11/h"), c, 2), 2);
	cr_assert_eq(c[1], ino_at(t, "s/t/p2/20/h"));
	cr_assert_eq(tree_cousins(t, ino_at(t, "s/t/p3/30/h"), c, 8), 0);
	tree_free(t);
}

/* Six snapshot folders of 50 folders of 4 files each. */
static int
snap_load(void *arg, const struct tree_dir *dir, struct batch *b,
    char **cause)
{
	char		name[32];
	uint32_t	d;
	int		i, j;

	if (dir->load == LOAD_ROOT) {
		for (i = 0; i < 6; i++) {
			snprintf(name, sizeof name, "s%d", i);
			tree_add_dir(b, BATCH_TOP, name, 1, LOAD_SNAPSHOT, name,
			    i);
		}
		return (0);
	}
	for (i = 0; i < 50; i++) {
		snprintf(name, sizeof name, "d%02d", i);
		d = tree_add_dir(b, BATCH_TOP, name, 1, LOAD_NONE, name, 0);
		for (j = 0; j < 4; j++) {
			snprintf(name, sizeof name, "f%d", j);
			tree_add_file(b, d, name, name, 10, 1);
		}
	}
	return (0);
}

/* The inode number of sK/dJJ/f0, looked up (and loaded) now. */
static uint64_t
snap_file(struct tree *t, int k, int j)
{
	struct tree_attr	a;
	char			name[8];

	snprintf(name, sizeof name, "s%d", k);
	cr_assert_eq(tree_lookup(t, 1, name, &a, NULL), 0);
	snprintf(name, sizeof name, "d%02d", j);
	cr_assert_eq(tree_lookup(t, a.ino, name, &a, NULL), 0);
	cr_assert_eq(tree_lookup(t, a.ino, "f0", &a, NULL), 0);
	return (a.ino);
}

Test(tree, past_the_budget_trees_go_and_come_back_with_their_inodes)
{
	struct tree		*t;
	struct tree_attr	 a;
	uint64_t		 inos[6][50], held, one;
	size_t			 all;
	int			 k, j, round;

	t = tree_create(snap_load, NULL);
	held = snap_file(t, 0, 7);
	tree_ref(t, held);		/* the kernel holds s0/d07/f0 */
	one = stats_get(STAT_META_BYTES);
	cr_assert_gt(one, 0);
	tree_budget(t, 2 * one + one / 2);
	for (k = 0; k < 6; k++)
		for (j = 0; j < 50; j++)
			inos[k][j] = snap_file(t, k, j);
	cr_assert_eq(inos[0][7], held);
	cr_assert_eq(stats_get(STAT_TREES_EVICTED), 4);
	cr_assert_leq(stats_get(STAT_META_BYTES), 2 * one + one / 2);
	/* Freed but for the held file's chunk: two trees, and s0's. */
	all = tree_nodes(t);
	cr_assert_eq(tree_getattr(t, held, &a), 0, "a held node stays");
	cr_assert_eq(tree_getattr(t, inos[1][0], &a), -ENOENT);

	/* s0 again: the same numbers; the old chunk goes with its count. */
	cr_assert_eq(snap_file(t, 0, 7), held);
	tree_forget(t, held, 1);
	cr_assert_eq(tree_getattr(t, held, &a), 0);
	cr_assert_leq(tree_nodes(t), all);

	/* Round after round, every path keeps its number. */
	for (round = 0; round < 300; round++) {
		k = (round * 7) % 6;
		j = (round * 13) % 50;
		cr_assert_eq(snap_file(t, k, j), inos[k][j],
		    "round %d: s%d/d%02d/f0", round, k, j);
	}
	cr_assert_leq(stats_get(STAT_META_BYTES), 2 * one + one / 2);
	tree_free(t);
}
