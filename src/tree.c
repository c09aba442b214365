/*
 * The namespace: every node the mount shows, with stable inode numbers.
 *
 * The tree grows in batches.  A directory that is not loaded yet carries a
 * loader kind (the root, a repository, a snapshot, a .raw folder); on its
 * first lookup or readdir the loader (repo.c) fills a batch with all the
 * nodes below it, and the batch becomes one chunk of the tree as it is, with
 * no copy.  Chunks never change once merged, so a snapshot of a million
 * files costs one node array and one string arena, not a malloc per name.
 *
 * Inode numbers are a hash of the parent's inode number and the name, so
 * they follow from the path and stay the same from one mount to the next.
 *
 * A folder its loader marks refreshable (the root, a repository, a .raw
 * folder) is listed again when it is looked at and its listing is older
 * than the refresh time, or was declared stale (tree_stale).  Meanwhile
 * readers see the last listing.  What did not change keeps its node, and
 * with it all that was loaded below (a snapshot's tree); what changed is
 * merged in as a small chunk, what went is orphaned, and the kernel is
 * told of each name (the notify callback, which must not block on the
 * kernel: it is called while a FUSE request may wait).  A listing that
 * fails keeps the last one.
 *
 * Memory is bounded (tree_budget): past the budget, the least recently
 * used snapshot trees are unloaded, and the kernel is asked to forget
 * their entries.  Each node counts the
 * kernel's lookups of it (tree_ref, tree_forget); a chunk is freed once
 * none of its nodes is shown any more (all orphaned), the kernel knows
 * none, no load works in it and no chunk below it is left.  The count
 * follows the inode number: a node loaded again in an orphan's place takes
 * over the orphan's count, so it frees at once and the kernel never sees
 * the change.
 */

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "snapfs.h"

#define INO_RESERVED	16		/* 1 is the root; the rest for later */
#define INDEX_MAX	(UINT32_MAX - 1)	/* inos holds index + 1 */

enum {
	NF_MUTABLE = 0x01,		/* may change: short kernel timeouts */
	NF_CHECKED = 0x02,		/* md5 verified */
	NF_DAMAGED = 0x04,		/* md5 mismatch seen */
	NF_ORPHAN = 0x08,		/* dropped by a reload; ino is free */
	NF_REFRESH = 0x10,		/* listed again when it is old */
	NF_PRIVATE = 0x20		/* for the mount's owner alone */
};

enum {
	LS_UNLOADED,
	LS_LOADING,
	LS_LOADED,
	LS_REFRESHING			/* loaded, being listed again */
};

/* When a refreshable folder was last listed. */
struct fresh {
	uint32_t	 node;
	uint64_t	 at;		/* monotonic ms */
	uint64_t	 listed;	/* the tree's stales when it began */
	uint64_t	 marked;	/* the tree's stales when made stale */
};

/*
 * A node.  For a directory, key is its part of the storage key (joined to
 * its ancestors' parts with '/'); for a file, key is the object's last
 * path element; for a text node, the text.  Offsets are into the arena of
 * the node's chunk.
 */
struct node {
	uint64_t	ino;
	uint64_t	size;
	int64_t		mtime;		/* ns since the epoch */
	uint32_t	parent;		/* global index */
	uint32_t	name;
	uint32_t	key;
	uint32_t	keylen;
	uint32_t	first;		/* children[first .. first + count) */
	uint32_t	count;
	uint32_t	aux;		/* the loader's reference */
	uint32_t	nlookup;	/* the kernel's lookups, atomic */
	uint16_t	namelen;
	uint8_t		type;
	uint8_t		load;		/* enum node_load */
	uint8_t		flags;		/* NF_*, atomic */
	uint8_t		state;		/* LS_*, protected by load_lock */
};

struct batch {
	uint32_t	 base;		/* global index of nodes[0] once merged */
	int64_t		 mtime;		/* new mtime of the loaded folder, or 0 */
	struct node	*nodes;
	uint32_t	 n;
	uint32_t	 size;
	struct buf	 arena;

	/* Once merged: */
	uint32_t	 owner;		/* the folder it was loaded into */
	uint32_t	 live;		/* nodes not orphaned */
	uint32_t	 pins;		/* known nodes, loads, chunks below */
	bool		 evictable;	/* a snapshot's tree */
	uint64_t	 used;		/* the tree's clock when last used */
	size_t		 bytes;
};

struct note;

static void	orphan(struct tree *, uint32_t);
static void	evict(struct tree *, struct batch *, struct note **, size_t *);
static void	sweep(struct tree *);
static void	node_ref(struct tree *, uint32_t);
static void	unpin(struct tree *, struct batch *);

struct tree {
	pthread_rwlock_t lock;		/* the fields below up to load_lock */
	struct batch	**chunks;	/* sorted by base */
	size_t		 nchunks;
	uint32_t	 next;		/* the index after the last ever used */
	size_t		 nodes;		/* in chunks */
	size_t		 bytes;		/* of evictable chunks not orphaned */
	size_t		 budget;	/* for them; 0: none */
	uint64_t	 clock;		/* ticks at each use, atomic */
	uint32_t	*children;
	size_t		 nchildren;
	size_t		 childsize;
	uint32_t	*inos;		/* global index + 1, 0 when empty */
	size_t		 inomask;
	size_t		 inocount;

	pthread_mutex_t	 load_lock;	/* node states and the fields below */
	pthread_cond_t	 load_done;
	bool		 sweep;		/* a chunk may be free (with lock) */
	struct fresh	*fresh;
	size_t		 nfresh;
	uint64_t	 stales;	/* counts tree_stale calls */
	uint64_t	 all_stale;	/* stales when all became stale */
	time_t		 refresh;	/* seconds a listing is good; 0: ever */

	tree_load_cb	 load;
	void		*arg;
	tree_notify_cb	 notify;
	void		*notify_arg;
};

static uint64_t
mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return (x);
}

static uint64_t
ino_of(uint64_t parent, const char *name, size_t len)
{
	uint64_t	h = 0xcbf29ce484222325ULL ^ mix64(parent);
	size_t		i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)name[i];
		h *= 0x100000001b3ULL;
	}
	h = mix64(h);
	return (h < INO_RESERVED ? h + INO_RESERVED : h);
}

/* The chunk holding global index i.  Caller holds the lock. */
static struct batch *
chunk_of(struct tree *t, uint32_t i)
{
	size_t	lo = 0, hi = t->nchunks, mid;

	while (hi - lo > 1) {
		mid = (lo + hi) / 2;
		if (t->chunks[mid]->base <= i)
			lo = mid;
		else
			hi = mid;
	}
	return (t->chunks[lo]);
}

static struct node *
node_at(struct tree *t, uint32_t i, struct batch **cp)
{
	struct batch	*c = chunk_of(t, i);

	if (cp != NULL)
		*cp = c;
	return (&c->nodes[i - c->base]);
}

static const char *
node_str(struct batch *c, uint32_t off)
{
	return (c->arena.data + off);
}

/* Look up an inode number; UINT32_MAX if unknown.  Caller holds the lock. */
static uint32_t
ino_find(struct tree *t, uint64_t ino)
{
	size_t		 slot;
	uint32_t	 v;

	for (slot = ino & t->inomask; (v = t->inos[slot]) != 0;
	    slot = (slot + 1) & t->inomask) {
		if (node_at(t, v - 1, NULL)->ino == ino)
			return (v - 1);
	}
	return (UINT32_MAX);
}

static void
ino_insert(struct tree *t, uint32_t i, uint64_t ino)
{
	size_t	slot;

	slot = ino & t->inomask;
	while (t->inos[slot] != 0)
		slot = (slot + 1) & t->inomask;
	t->inos[slot] = i + 1;
	t->inocount++;
}

/* Point inode number ino, now held by an orphan, at node i. */
static void
ino_replace(struct tree *t, uint64_t ino, uint32_t i)
{
	size_t	slot;

	for (slot = ino & t->inomask; t->inos[slot] != 0;
	    slot = (slot + 1) & t->inomask) {
		if (node_at(t, t->inos[slot] - 1, NULL)->ino == ino) {
			t->inos[slot] = i + 1;
			return;
		}
	}
}

/*
 * Forget node i's inode number if it is i's (and not a newer node's),
 * shifting back what follows in its run.
 */
static void
ino_delete(struct tree *t, uint32_t i)
{
	size_t	slot, next, home;

	for (slot = node_at(t, i, NULL)->ino & t->inomask;
	    t->inos[slot] != i + 1; slot = (slot + 1) & t->inomask)
		if (t->inos[slot] == 0)
			return;
	t->inos[slot] = 0;
	t->inocount--;
	for (next = (slot + 1) & t->inomask; t->inos[next] != 0;
	    next = (next + 1) & t->inomask) {
		home = node_at(t, t->inos[next] - 1, NULL)->ino & t->inomask;
		/* Stays if its home is cyclically in (slot, next]. */
		if (slot < next ? home > slot && home <= next :
		    home > slot || home <= next)
			continue;
		t->inos[slot] = t->inos[next];
		t->inos[next] = 0;
		slot = next;
	}
}

static void
ino_grow(struct tree *t, size_t want)
{
	uint32_t	*old = t->inos;
	size_t		 oldsize = t->inomask + 1, size = oldsize, slot;

	while (want * 2 > size)
		size *= 2;
	if (size == oldsize)
		return;
	t->inos = xcalloc(size, sizeof *t->inos);
	t->inomask = size - 1;
	t->inocount = 0;
	for (slot = 0; slot < oldsize; slot++) {
		if (old[slot] != 0)
			ino_insert(t, old[slot] - 1,
			    node_at(t, old[slot] - 1, NULL)->ino);
	}
	free(old);
}

struct batch *
tree_batch_create(void)
{
	struct batch	*b;

	b = xcalloc(1, sizeof *b);
	buf_init(&b->arena, UINT32_MAX);
	return (b);
}

void
tree_batch_free(struct batch *b)
{
	if (b == NULL)
		return;
	free(b->nodes);
	buf_free(&b->arena);
	free(b);
}

size_t
tree_batch_count(struct batch *b)
{
	return (b->n);
}

/* Store a string in the arena; its offset, or UINT32_MAX when full. */
static uint32_t
batch_str(struct batch *b, const char *s, size_t len)
{
	size_t	off = b->arena.len;

	if (buf_add(&b->arena, s, len) != 0)
		return (UINT32_MAX);
	return ((uint32_t)off);
}

/*
 * A name shown must be a file name: not empty, ".", ".." or over 255
 * bytes, without '/' and without control characters (which no Doris name
 * has, and which would break lines in snapshots.tsv and in scripts).
 */
static bool
name_ok(const char *name, size_t len)
{
	size_t	i;

	if (len == 0 || len > NAME_MAX_BYTES || memchr(name, '/', len) ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return (false);
	for (i = 0; i < len; i++) {
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			return (false);
	}
	return (true);
}

static uint32_t
batch_node(struct batch *b, uint32_t parent, const char *name,
    enum node_type type, int64_t mtime)
{
	struct node	*n;
	size_t		 len = strlen(name);
	char		 shown[4 * 64 + 4];

	if (parent == BATCH_NONE)
		return (BATCH_NONE);
	if (!name_ok(name, len)) {
		log_warn("refusing a name that is no file name: \"%s\"",
		    log_safe(name, 64, shown, sizeof shown));
		return (BATCH_NONE);
	}
	if (b->n == b->size) {
		b->size = b->size == 0 ? 64 : b->size * 2;
		b->nodes = xreallocarray(b->nodes, b->size, sizeof *b->nodes);
	}
	n = &b->nodes[b->n];
	memset(n, 0, sizeof *n);
	n->parent = parent;
	n->type = type;
	n->mtime = mtime;
	n->namelen = len;
	n->name = batch_str(b, name, len);
	n->key = n->name;
	return (b->n++);
}

/*
 * Add a directory below parent.  key is its part of the storage key (NULL
 * for none) and load says how its children will be found (LOAD_NONE when
 * this batch adds them).
 */
uint32_t
tree_add_dir(struct batch *b, uint32_t parent, const char *name, int64_t mtime,
    enum node_load load, const char *key, uint32_t aux)
{
	uint32_t	 i;
	struct node	*n;

	if ((i = batch_node(b, parent, name, NODE_DIR, mtime)) == BATCH_NONE)
		return (i);
	n = &b->nodes[i];
	n->load = load;
	n->state = load == LOAD_NONE ? LS_LOADED : LS_UNLOADED;
	n->aux = aux;
	n->keylen = key == NULL ? 0 : strlen(key);
	if (n->keylen != 0)
		n->key = batch_str(b, key, n->keylen);
	return (i);
}

/*
 * Add a file backed by the object named obj in parent's storage folder.
 * When the shown name is a prefix of obj (a name without its md5 suffix),
 * the two share their bytes.
 */
static uint32_t
batch_object(struct batch *b, uint32_t parent, const char *name,
    enum node_type type, const char *obj, uint64_t size, int64_t mtime)
{
	uint32_t	 i;
	struct node	*n;
	size_t		 len = strlen(obj);

	if ((i = batch_node(b, parent, name, type, mtime)) == BATCH_NONE)
		return (i);
	n = &b->nodes[i];
	n->size = size;
	n->keylen = len;
	if (len >= n->namelen && memcmp(obj, name, n->namelen) == 0) {
		b->arena.len = n->name;
		n->key = n->name = batch_str(b, obj, len);
	} else
		n->key = batch_str(b, obj, len);
	return (i);
}

uint32_t
tree_add_file(struct batch *b, uint32_t parent, const char *name,
    const char *obj, uint64_t size, int64_t mtime)
{
	return (batch_object(b, parent, name, NODE_FILE, obj, size, mtime));
}

/* A text made from the tablet header obj when it is first asked for. */
uint32_t
tree_add_tablet(struct batch *b, uint32_t parent, const char *name,
    const char *obj, uint64_t size, int64_t mtime)
{
	return (batch_object(b, parent, name, NODE_TABLET, obj, size, mtime));
}

uint32_t
tree_add_text(struct batch *b, uint32_t parent, const char *name,
    const char *text, size_t len, int64_t mtime)
{
	uint32_t	 i;
	struct node	*n;

	if ((i = batch_node(b, parent, name, NODE_TEXT, mtime)) == BATCH_NONE)
		return (i);
	n = &b->nodes[i];
	n->size = len;
	n->keylen = len;
	n->key = batch_str(b, text, len);
	return (i);
}

/* A file whose content is made when it is opened; aux says which. */
uint32_t
tree_add_dynamic(struct batch *b, uint32_t parent, const char *name,
    uint32_t aux)
{
	uint32_t	i;

	if ((i = batch_node(b, parent, name, NODE_DYNAMIC, 0)) < b->n) {
		b->nodes[i].aux = aux;
		b->nodes[i].flags |= NF_MUTABLE;
	}
	return (i);
}

/* A control file: lines written to it are requests of kind aux. */
uint32_t
tree_add_ctl(struct batch *b, uint32_t parent, const char *name, uint32_t aux)
{
	uint32_t	i;

	if ((i = batch_node(b, parent, name, NODE_CTL, 0)) < b->n) {
		b->nodes[i].aux = aux;
		b->nodes[i].flags |= NF_MUTABLE;
	}
	return (i);
}

/* Give the folder being loaded a time, when only its loader knows it. */
void
tree_batch_mtime(struct batch *b, int64_t mtime)
{
	b->mtime = mtime;
}

/* Make node i at least as new as mtime. */
void
tree_batch_touch(struct batch *b, uint32_t i, int64_t mtime)
{
	if (i < b->n && b->nodes[i].mtime < mtime)
		b->nodes[i].mtime = mtime;
}

void
tree_batch_mutable(struct batch *b, uint32_t i)
{
	if (i < b->n)
		b->nodes[i].flags |= NF_MUTABLE;
}

/* File i holds secrets (password hashes): only the mount's owner reads it. */
void
tree_batch_private(struct batch *b, uint32_t i)
{
	if (i < b->n)
		b->nodes[i].flags |= NF_PRIVATE;
}

/* Folder i is listed again when it is old (see tree_refresh_setup). */
void
tree_batch_refreshable(struct batch *b, uint32_t i)
{
	if (i < b->n)
		b->nodes[i].flags |= NF_MUTABLE | NF_REFRESH;
}

struct tree *
tree_create(tree_load_cb load, void *arg)
{
	struct tree	*t;
	struct batch	*root;
	uint32_t	 i;

	t = xcalloc(1, sizeof *t);
	pthread_rwlock_init(&t->lock, NULL);
	pthread_mutex_init(&t->load_lock, NULL);
	pthread_cond_init(&t->load_done, NULL);
	t->load = load;
	t->arg = arg;
	t->inomask = 1023;
	t->inos = xcalloc(t->inomask + 1, sizeof *t->inos);

	root = tree_batch_create();
	i = tree_add_dir(root, BATCH_TOP, "root", 0, LOAD_ROOT, NULL, 0);
	root->nodes[i].parent = 0;
	root->nodes[i].ino = 1;
	root->nodes[i].flags = NF_MUTABLE | NF_REFRESH;
	root->live = 1;
	t->chunks = xmalloc(sizeof *t->chunks);
	t->chunks[t->nchunks++] = root;
	t->next = 1;
	t->nodes = 1;
	ino_insert(t, 0, 1);
	return (t);
}

void
tree_free(struct tree *t)
{
	size_t	i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nchunks; i++)
		tree_batch_free(t->chunks[i]);
	free(t->chunks);
	free(t->children);
	free(t->inos);
	free(t->fresh);
	pthread_rwlock_destroy(&t->lock);
	pthread_mutex_destroy(&t->load_lock);
	pthread_cond_destroy(&t->load_done);
	free(t);
}

size_t
tree_nodes(struct tree *t)
{
	size_t	n;

	pthread_rwlock_rdlock(&t->lock);
	n = t->nodes;
	pthread_rwlock_unlock(&t->lock);
	return (n);
}

/* Name order: bytes, then length; children are sorted by it. */
static int
name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int	r;

	r = memcmp(a, b, alen < blen ? alen : blen);
	if (r != 0)
		return (r);
	return (alen < blen ? -1 : alen > blen);
}

static int
child_cmp(const void *va, const void *vb, void *arg)
{
	struct batch		*b = arg;
	const struct node	*x, *y;
	uint32_t		 i = *(const uint32_t *)va - b->base;
	uint32_t		 j = *(const uint32_t *)vb - b->base;
	int			 r;

	x = &b->nodes[i];
	y = &b->nodes[j];
	r = name_cmp(node_str(b, x->name), x->namelen,
	    node_str(b, y->name), y->namelen);
	if (r != 0)
		return (r);
	return (i < j ? -1 : i > j);	/* the first one added wins */
}

/* Name order of nodes of any chunk, for qsort_r; 0 for the same name. */
static int
node_cmp(const void *va, const void *vb, void *arg)
{
	struct tree		*t = arg;
	struct batch		*bx, *by;
	const struct node	*x, *y;

	uint32_t		 i = *(const uint32_t *)va;
	uint32_t		 j = *(const uint32_t *)vb;
	int			 r;

	x = node_at(t, i, &bx);
	y = node_at(t, j, &by);
	r = name_cmp(node_str(bx, x->name), x->namelen,
	    node_str(by, y->name), y->namelen);
	if (r != 0)
		return (r);
	return (i < j ? -1 : i > j);	/* the first one added wins */
}

static bool
same_name_any(struct tree *t, uint32_t i, uint32_t j)
{
	struct batch		*bx, *by;
	const struct node	*x, *y;

	x = node_at(t, i, &bx);
	y = node_at(t, j, &by);
	return (name_cmp(node_str(bx, x->name), x->namelen,
	    node_str(by, y->name), y->namelen) == 0);
}

static bool
same_name(struct batch *b, uint32_t x, uint32_t y)
{
	const struct node	*nx = &b->nodes[x - b->base];
	const struct node	*ny = &b->nodes[y - b->base];

	return (name_cmp(node_str(b, nx->name), nx->namelen,
	    node_str(b, ny->name), ny->namelen) == 0);
}

/*
 * Give batch b a range of node indices and its place in the sorted chunks:
 * after the last, or once four billion were used, the first gap that
 * freed chunks left.  Caller holds the lock for writing.
 */
static void
chunk_insert(struct tree *t, struct batch *b)
{
	size_t		k = t->nchunks;
	uint32_t	end = 0;

	if (b->n <= INDEX_MAX - t->next) {
		b->base = t->next;
		t->next += b->n;
	} else {
		for (k = 0; k <= t->nchunks; k++) {
			if ((k == t->nchunks ? INDEX_MAX : t->chunks[k]->base) -
			    end >= b->n)
				break;
			end = t->chunks[k]->base + t->chunks[k]->n;
		}
		if (k > t->nchunks)
			fatalx("no %u node indices left", b->n);
		b->base = end;
	}
	t->chunks = xreallocarray(t->chunks, t->nchunks + 1,
	    sizeof *t->chunks);
	memmove(t->chunks + k + 1, t->chunks + k,
	    (t->nchunks - k) * sizeof *t->chunks);
	t->chunks[k] = b;
	t->nchunks++;
	t->nodes += b->n;
}

/*
 * Move the children lists in use to a new array, leaving behind those of
 * folders listed again or unloaded.  Caller holds the lock for writing.
 */
static void
children_compact(struct tree *t)
{
	struct node	*n;
	uint32_t	*to;
	size_t		 k, i, used = 0, total = 0;

	for (k = 0; k < t->nchunks; k++)
		for (i = 0; i < t->chunks[k]->n; i++)
			total += t->chunks[k]->nodes[i].count;
	t->childsize = total + 1024;
	to = xreallocarray(NULL, t->childsize, sizeof *to);
	for (k = 0; k < t->nchunks; k++) {
		for (i = 0; i < t->chunks[k]->n; i++) {
			n = &t->chunks[k]->nodes[i];
			if (n->count != 0)
				memcpy(to + used, t->children + n->first,
				    n->count * sizeof *to);
			n->first = used;
			used += n->count;
		}
	}
	free(t->children);
	t->children = to;
	t->nchildren = used;
}

/*
 * Is what folder d loads evicted past the budget?  A snapshot's tree, in
 * one chunk, also under .raw (the .raw folder not listed again); not the
 * many small chunks of the other .raw folders, which evict() and sweep()
 * would scan once each.
 */
static bool
evictable(const struct node *d)
{
	return (d->load == LOAD_SNAPSHOT ||
	    (d->load == LOAD_RAW && (d->flags & NF_REFRESH) == 0));
}

/* Chunk c was used now (the clock orders evictions). */
static void
touch(struct tree *t, struct batch *c)
{
	if (c->evictable)
		__atomic_store_n(&c->used, __atomic_add_fetch(&t->clock, 1,
		    __ATOMIC_RELAXED), __ATOMIC_RELAXED);
}

/*
 * Give the loaded directory d the nodes of batch b: fix up indices, make
 * inode numbers, build every directory's sorted list of children (counting
 * sort by parent, then a sort by name; a repeated name keeps its first
 * node), and publish.  The nodes in keep (of other chunks) join d's
 * list.  A node taking an orphan's inode number takes over the kernel's
 * count of it.  The new chunk, or NULL when b had no node (b is freed).
 * Caller holds the lock for writing.
 */
static struct batch *
tree_merge(struct tree *t, uint32_t d, struct batch *b, const uint32_t *keep,
    size_t nkeep)
{
	struct batch	*oc, *dc;
	struct node	*n, *p, *o;
	uint32_t	*end, *slice, i, j, s, start, count, kept;
	uint64_t	 ino;
	size_t		 need;

	if (t->nchildren > 2 * t->nodes + 65536)
		children_compact(t);
	if (b->n != 0) {
		if (b->n < b->size) {
			b->nodes = xreallocarray(b->nodes, b->n,
			    sizeof *b->nodes);
			b->size = b->n;
		}
		chunk_insert(t, b);
		p = node_at(t, d, &dc);
		dc->pins++;		/* d stays while b does */
		b->owner = d;
		b->live = b->n;
		b->evictable = evictable(p);
		b->bytes = (size_t)b->n * (sizeof *b->nodes +
		    3 * sizeof *t->inos) + b->arena.size;
		if (b->evictable) {
			t->bytes += b->bytes;
			stats_add(STAT_META_BYTES, b->bytes);
		}
		touch(t, b);
	}
	ino_grow(t, t->inocount + b->n);

	/* Slot 0 is d, slot i + 1 is node i; parents come before children. */
	end = xcalloc((size_t)b->n + 1, sizeof *end);
	for (i = 0; i < b->n; i++) {
		n = &b->nodes[i];
		if (n->parent == BATCH_TOP) {
			n->parent = d;
			end[0]++;
		} else {
			end[n->parent + 1]++;
			n->parent += b->base;
		}
		ino = ino_of(node_at(t, n->parent, NULL)->ino,
		    node_str(b, n->name), n->namelen);
		while ((j = ino_find(t, ino)) != UINT32_MAX &&
		    (node_at(t, j, NULL)->flags & NF_ORPHAN) == 0)
			ino = ino + 1 < INO_RESERVED ? INO_RESERVED : ino + 1;
		n->ino = ino;
		if (j == UINT32_MAX) {
			ino_insert(t, b->base + i, ino);
			continue;
		}
		ino_replace(t, ino, b->base + i);
		if ((o = node_at(t, j, &oc))->nlookup != 0) {
			n->nlookup = o->nlookup;
			o->nlookup = 0;
			b->pins++;
			if (--oc->pins == 0 && oc->live == 0)
				t->sweep = true;	/* oc may go */
		}
	}
	end[0] += nkeep;
	need = t->nchildren + b->n + nkeep;
	if (need > t->childsize) {
		t->childsize = need > t->childsize * 2 ? need :
		    t->childsize * 2;
		t->children = xreallocarray(t->children, t->childsize,
		    sizeof *t->children);
	}
	for (start = t->nchildren, s = 0; s <= b->n; s++) {
		count = end[s];
		end[s] = start;
		start += count;
	}
	for (i = 0; i < b->n; i++) {
		n = &b->nodes[i];
		s = n->parent == d ? 0 : n->parent - b->base + 1;
		t->children[end[s]++] = b->base + i;
	}
	for (i = 0; i < nkeep; i++)
		t->children[end[0]++] = keep[i];

	/* end[s] is where slot s's slice ends; it starts where s-1 ends. */
	for (s = 0; s <= b->n; s++) {
		p = s == 0 ? node_at(t, d, NULL) : &b->nodes[s - 1];
		start = s == 0 ? t->nchildren : end[s - 1];
		count = end[s] - start;
		if (p->type != NODE_DIR || (s != 0 && p->load != LOAD_NONE))
			continue;
		slice = t->children + start;
		if (s == 0 && nkeep != 0)
			qsort_r(slice, count, sizeof *slice, node_cmp, t);
		else
			qsort_r(slice, count, sizeof *slice, child_cmp, b);
		for (kept = 0, i = 0; i < count; i++) {
			if (kept != 0 && (s == 0 && nkeep != 0 ?
			    same_name_any(t, slice[kept - 1], slice[i]) :
			    same_name(b, slice[kept - 1], slice[i])))
				continue;
			slice[kept++] = slice[i];
		}
		p->first = start;
		p->count = kept;
	}
	t->nchildren += b->n + nkeep;
	free(end);
	stats_add(STAT_NODES, b->n);
	/* Loaded into a folder that went meanwhile: gone as well. */
	p = node_at(t, d, NULL);
	if ((p->flags & NF_ORPHAN) != 0)
		for (i = 0; i < p->count; i++)
			orphan(t, t->children[p->first + i]);
	if (b->n != 0)
		return (b);
	tree_batch_free(b);
	return (NULL);
}

/* Copy what a node shows into attr.  Caller holds the lock. */
static void
node_attr(const struct node *n, struct tree_attr *attr)
{
	attr->ino = n->ino;
	attr->type = n->type;
	attr->size = n->size;
	attr->mtime = n->mtime;
	attr->aux = n->aux;
	attr->immutable = (n->flags & NF_MUTABLE) == 0;
	attr->private = (n->flags & NF_PRIVATE) != 0;
}

/*
 * The storage key of node i: the key parts of its folders and, for a
 * file, its object name, joined with '/'.  Caller holds the lock.
 */
static void
node_key(struct tree *t, uint32_t i, struct buf *key)
{
	struct batch	*c;
	struct node	*n;
	uint32_t	*path = NULL;
	size_t		 depth = 0;

	for (;;) {
		n = node_at(t, i, NULL);
		if (n->keylen != 0 && n->type != NODE_TEXT) {
			path = xreallocarray(path, depth + 1, sizeof *path);
			path[depth++] = i;
		}
		if (i == 0)
			break;
		i = n->parent;
	}
	buf_add(key, "", 0);
	while (depth-- > 0) {
		n = node_at(t, path[depth], &c);
		if (key->len != 0)
			buf_addc(key, '/');
		buf_add(key, node_str(c, n->key), n->keylen);
	}
	free(path);
}

/* The listing record of folder i, or NULL.  Caller holds load_lock. */
static struct fresh *
fresh_of(struct tree *t, uint32_t i)
{
	size_t	k;

	for (k = 0; k < t->nfresh; k++)
		if (t->fresh[k].node == i)
			return (&t->fresh[k]);
	return (NULL);
}

/* Folder i's entry, made if it has none.  Caller holds load_lock. */
static struct fresh *
fresh_get(struct tree *t, uint32_t i)
{
	struct fresh	*f;

	if ((f = fresh_of(t, i)) == NULL) {
		t->fresh = xreallocarray(t->fresh, t->nfresh + 1,
		    sizeof *t->fresh);
		f = &t->fresh[t->nfresh++];
		memset(f, 0, sizeof *f);
		f->node = i;
	}
	return (f);
}

/* Is loaded folder n (index i) to be listed again?  Caller holds load_lock. */
static bool
refresh_due(struct tree *t, uint32_t i, const struct node *n)
{
	struct fresh	*f;

	if ((n->flags & NF_REFRESH) == 0 || (n->flags & NF_ORPHAN) != 0)
		return (false);
	/* Made stale after its listing began: that listing may be older. */
	if ((f = fresh_of(t, i)) == NULL || f->listed < t->all_stale ||
	    f->listed < f->marked)
		return (true);
	return (t->refresh > 0 &&
	    monotonic_ms() - f->at >= (uint64_t)t->refresh * 1000);
}

/*
 * Do nodes a and b show the same thing (so a can stay for b)?  A folder
 * that is listed again on its own keeps its node whatever its time.
 */
static bool
same_node(struct batch *ca, const struct node *a, struct batch *cb,
    const struct node *b)
{
	return (a->type == b->type && a->load == b->load &&
	    a->aux == b->aux && a->size == b->size && (a->mtime == b->mtime ||
	    (a->flags & b->flags & NF_REFRESH) != 0) &&
	    (a->flags & (NF_MUTABLE | NF_REFRESH | NF_PRIVATE)) ==
	    (b->flags & (NF_MUTABLE | NF_REFRESH | NF_PRIVATE)) &&
	    a->keylen == b->keylen && memcmp(node_str(ca, a->key),
	    node_str(cb, b->key), a->keylen) == 0);
}

/* Copy node k of batch from, with what is below it, into batch to. */
static void
batch_copy(struct batch *to, struct batch *from, uint32_t k, uint32_t parent)
{
	struct node	 n = from->nodes[k];
	uint32_t	 i, j;

	if (to->n == to->size) {
		to->size = to->size == 0 ? 16 : to->size * 2;
		to->nodes = xreallocarray(to->nodes, to->size,
		    sizeof *to->nodes);
	}
	n.parent = parent;
	if (n.key == n.name && n.keylen >= n.namelen)
		n.key = n.name = batch_str(to, node_str(from, n.key),
		    n.keylen);
	else {
		n.name = batch_str(to, node_str(from, n.name), n.namelen);
		n.key = batch_str(to, node_str(from, n.key), n.keylen);
	}
	i = to->n;
	to->nodes[to->n++] = n;
	for (j = k + 1; j < from->n; j++)	/* children come after */
		if (from->nodes[j].parent == k)
			batch_copy(to, from, j, i);
}

/* A change to tell the kernel of: parent's name (NULL: parent itself). */
struct note {
	uint64_t	 parent;
	char		*name;
};

static void
note_add(struct note **notes, size_t *n, uint64_t parent, const char *name,
    size_t len)
{
	*notes = xreallocarray(*notes, *n + 1, sizeof **notes);
	(*notes)[*n].parent = parent;
	(*notes)[(*n)++].name = name != NULL ? xstrndup(name, len) : NULL;
}

/*
 * Folder d was listed again into b: keep each child that shows the same,
 * merge what is new or changed, orphan what went, and note each name for
 * the kernel.  False (b untouched) when nothing changed.  Caller holds
 * the lock for writing.
 */
static bool
tree_update(struct tree *t, uint32_t d, struct batch *b, struct note **notes,
    size_t *nnotes)
{
	struct batch	*oc, *nb;
	struct node	*dn = node_at(t, d, NULL), *o, *n;
	uint32_t	*old, *keep, k, lo, hi, mid;
	size_t		 nold = dn->count, nkeep = 0, i;
	int64_t		 now;
	bool		*kept;
	int		 r;

	old = xcalloc(nold + 1, sizeof *old);
	memcpy(old, t->children + dn->first, nold * sizeof *old);
	kept = xcalloc(nold + 1, sizeof *kept);
	nb = tree_batch_create();
	for (k = 0; k < b->n; k++) {
		n = &b->nodes[k];
		if (n->parent != BATCH_TOP)
			continue;
		for (lo = 0, hi = nold, o = NULL; lo < hi && o == NULL;) {
			mid = lo + (hi - lo) / 2;
			o = node_at(t, old[mid], &oc);
			r = name_cmp(node_str(b, n->name), n->namelen,
			    node_str(oc, o->name), o->namelen);
			if (r != 0) {
				o = NULL;
				if (r < 0)
					hi = mid;
				else
					lo = mid + 1;
			}
		}
		if (o != NULL && !kept[mid] && same_node(oc, o, b, n)) {
			kept[mid] = true;
			continue;
		}
		batch_copy(nb, b, k, BATCH_TOP);
		note_add(notes, nnotes, dn->ino, node_str(b, n->name),
		    n->namelen);
	}
	keep = xcalloc(nold + 1, sizeof *keep);
	for (i = 0; i < nold; i++) {
		if (kept[i]) {
			keep[nkeep++] = old[i];
			continue;
		}
		o = node_at(t, old[i], &oc);
		note_add(notes, nnotes, dn->ino, node_str(oc, o->name),
		    o->namelen);
		orphan(t, old[i]);
	}
	if (nb->n == 0 && nkeep == nold) {
		tree_batch_free(nb);
	} else {
		tree_merge(t, d, nb, keep, nkeep);
		/* A new time: the kernel drops what it cached of the folder. */
		now = realtime_ns();
		dn->mtime = now > dn->mtime ? now : dn->mtime + 1;
		note_add(notes, nnotes, dn->ino, NULL, 0);
	}
	free(keep);
	free(kept);
	free(old);
	return (*nnotes != 0);
}

/* Tell the kernel of each change noted, then free the notes. */
static void
notes_send(struct tree *t, struct note *notes, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (t->notify != NULL)
			t->notify(t->notify_arg, notes[i].parent,
			    notes[i].name);
		free(notes[i].name);
	}
	free(notes);
}

/*
 * Make sure directory ino has its children, calling the loader once; other
 * threads wait for that load rather than start their own.  A failed load
 * leaves the directory unloaded, so a later access tries again.  A loaded
 * refreshable folder whose listing is due is listed again (tree_update);
 * readers meanwhile see the last listing, and a failed listing keeps it.
 * A snapshot's tree loaded past the budget evicts the least recently used.
 * With wait, a listing already under way is waited for, and a folder that
 * is loaded is listed again if it is due after it.
 */
static int
tree_load_dir(struct tree *t, uint64_t ino, volatile bool *abort, bool wait)
{
	struct tree_dir	 dir;
	struct batch	*b, *c, *merged = NULL;
	struct node	*n = NULL;
	struct fresh	*f;
	uint64_t	 listed;
	struct note	*notes = NULL;
	struct buf	 key;
	char		*name, *cause = NULL;
	size_t		 nnotes = 0;
	uint32_t	 i;
	bool		 again, over;
	int		 error = 0;

	pthread_mutex_lock(&t->load_lock);
	pthread_rwlock_rdlock(&t->lock);
	if ((i = ino_find(t, ino)) == UINT32_MAX)
		error = -ENOENT;
	else if ((n = node_at(t, i, &c))->type != NODE_DIR)
		error = -ENOTDIR;
	else	/* n stays while this runs */
		__atomic_add_fetch(&c->pins, 1, __ATOMIC_RELAXED);
	pthread_rwlock_unlock(&t->lock);
	if (error != 0) {
		pthread_mutex_unlock(&t->load_lock);
		return (error);
	}
	while (n->state == LS_LOADING ||
	    (wait && n->state == LS_REFRESHING))
		pthread_cond_wait(&t->load_done, &t->load_lock);
	if (n->state == LS_REFRESHING || (wait && n->state == LS_UNLOADED) ||
	    (n->state == LS_LOADED && !refresh_due(t, i, n))) {
		again = true;
		goto done;
	}
	again = n->state == LS_LOADED;
	n->state = again ? LS_REFRESHING : LS_LOADING;
	listed = t->stales;
	pthread_mutex_unlock(&t->load_lock);

	buf_init(&key, 64 * 1024);
	pthread_rwlock_rdlock(&t->lock);
	node_key(t, i, &key);
	dir.load = n->load;
	dir.aux = n->aux;
	dir.mtime = n->mtime;
	name = xstrndup(node_str(c, n->name), n->namelen);
	pthread_rwlock_unlock(&t->lock);
	dir.key = key.data == NULL ? "" : key.data;
	dir.name = name;
	dir.abort = abort;

	b = tree_batch_create();
	error = t->load(t->arg, &dir, b, &cause);
	if (error == 0) {
		pthread_rwlock_wrlock(&t->lock);
		if (!again)
			merged = tree_merge(t, i, b, NULL, 0);
		else if (tree_update(t, i, b, &notes, &nnotes))
			log_info("%s: listed again: %zu changes",
			    *dir.key != '\0' ? dir.key : "/", nnotes - 1);
		pthread_rwlock_unlock(&t->lock);
		if (again)
			tree_batch_free(b);
	} else {
		log_warn("%s: %s%s", *dir.key != '\0' ? dir.key : "/",
		    cause != NULL ? cause : strerror(-error),
		    again ? "; the last listing stays" : "");
		tree_batch_free(b);
	}
	free(cause);
	free(name);
	buf_free(&key);

	pthread_mutex_lock(&t->load_lock);
	n->state = error == 0 || again ? LS_LOADED : LS_UNLOADED;
	if (n->state == LS_LOADED && (n->flags & NF_REFRESH) != 0) {
		f = fresh_get(t, i);
		f->at = monotonic_ms();
		f->listed = listed;
	}
	pthread_cond_broadcast(&t->load_done);
done:
	/* Without the write lock where it can: a reader may be slow. */
	pthread_rwlock_rdlock(&t->lock);
	unpin(t, c);
	over = merged != NULL && merged->evictable && t->budget != 0 &&
	    t->bytes > t->budget;
	pthread_rwlock_unlock(&t->lock);
	if (over || __atomic_load_n(&t->sweep, __ATOMIC_RELAXED)) {
		pthread_rwlock_wrlock(&t->lock);
		if (merged != NULL && merged->evictable)
			evict(t, merged, &notes, &nnotes);
		sweep(t);
		pthread_rwlock_unlock(&t->lock);
	}
	pthread_mutex_unlock(&t->load_lock);
	notes_send(t, notes, nnotes);
	if (again)
		return (0);
	/* What went wrong was logged; a reader of the folder sees EIO. */
	return (error == 0 || error == -EACCES ? error : -EIO);
}

/*
 * Refreshable folders are listed again when older than secs (0: only when
 * stale); notify(arg, parent, name) is told each name that changed, and
 * (name NULL) each folder whose listing changed.
 */
void
tree_refresh_setup(struct tree *t, time_t secs, tree_notify_cb notify,
    void *arg)
{
	pthread_mutex_lock(&t->load_lock);
	t->refresh = secs;
	t->notify = notify;
	t->notify_arg = arg;
	pthread_mutex_unlock(&t->load_lock);
}

/*
 * Folder ino's listing is stale: it is listed again when next looked at;
 * 0 makes every listing stale.  The kernel is told to look again.
 */
void
tree_stale(struct tree *t, uint64_t ino)
{
	struct note	*notes = NULL;
	uint32_t	 i;
	size_t		 nnotes = 0, k;

	pthread_mutex_lock(&t->load_lock);
	pthread_rwlock_rdlock(&t->lock);
	t->stales++;
	if (ino == 0) {
		t->all_stale = t->stales;
		for (k = 0; k < t->nfresh; k++)
			note_add(&notes, &nnotes, node_at(t, t->fresh[k].node,
			    NULL)->ino, NULL, 0);
	} else if ((i = ino_find(t, ino)) != UINT32_MAX &&
	    (node_at(t, i, NULL)->flags & NF_REFRESH) != 0) {
		/* Even while it is listed: that listing may be older. */
		fresh_get(t, i)->marked = t->stales;
		note_add(&notes, &nnotes, ino, NULL, 0);
	}
	pthread_rwlock_unlock(&t->lock);
	pthread_mutex_unlock(&t->load_lock);
	notes_send(t, notes, nnotes);
}

/* List folder ino again if that is due (a getattr on it, say). */
int
tree_refresh(struct tree *t, uint64_t ino, volatile bool *abort)
{
	struct node	*n;
	uint32_t	 i;
	bool		 due = false;

	pthread_mutex_lock(&t->load_lock);
	pthread_rwlock_rdlock(&t->lock);
	if ((i = ino_find(t, ino)) != UINT32_MAX) {
		n = node_at(t, i, NULL);
		due = n->type == NODE_DIR && n->state == LS_LOADED &&
		    refresh_due(t, i, n);
	}
	pthread_rwlock_unlock(&t->lock);
	pthread_mutex_unlock(&t->load_lock);
	return (due ? tree_load_dir(t, ino, abort, false) : 0);
}

/*
 * Folder ino changed (a job wrote into it): a listing under way may be
 * older, so it is waited for, and the folder is listed again now if it
 * was loaded.
 */
int
tree_relist(struct tree *t, uint64_t ino)
{
	tree_stale(t, ino);
	return (tree_load_dir(t, ino, NULL, true));
}

int
tree_getattr(struct tree *t, uint64_t ino, struct tree_attr *attr)
{
	struct batch	*c;
	uint32_t	i;
	int		error = 0;

	pthread_rwlock_rdlock(&t->lock);
	if ((i = ino_find(t, ino)) == UINT32_MAX)
		error = -ENOENT;
	else {
		node_attr(node_at(t, i, &c), attr);
		touch(t, c);
	}
	pthread_rwlock_unlock(&t->lock);
	return (error);
}

/*
 * Load directory ino and take the lock for reading: its index, or -errno
 * (and the lock not held).  A folder evicted before the lock was taken is
 * loaded again.
 */
static int64_t
dir_held(struct tree *t, uint64_t ino, volatile bool *abort)
{
	uint32_t	i;
	uint8_t		state;
	int		tries, error;

	for (tries = 0; tries < 10; tries++) {
		if ((error = tree_load_dir(t, ino, abort, false)) != 0)
			return (error);
		pthread_rwlock_rdlock(&t->lock);
		if ((i = ino_find(t, ino)) == UINT32_MAX) {
			pthread_rwlock_unlock(&t->lock);
			return (-ENOENT);
		}
		state = __atomic_load_n(&node_at(t, i, NULL)->state,
		    __ATOMIC_RELAXED);
		if (state == LS_LOADED || state == LS_REFRESHING)
			return (i);
		pthread_rwlock_unlock(&t->lock);
	}
	log_warn("a folder was evicted %d times while it was read", tries);
	return (-EIO);
}

int
tree_lookup(struct tree *t, uint64_t parent, const char *name,
    struct tree_attr *attr, volatile bool *abort)
{
	struct batch	*c;
	struct node	*d, *n;
	size_t		 len = strlen(name), lo, hi, mid;
	int64_t		 i;
	int		 r, error = -ENOENT;

	if ((i = dir_held(t, parent, abort)) < 0)
		return (i);
	d = node_at(t, i, NULL);
	lo = d->first;
	hi = d->first + d->count;
	while (lo < hi) {
		mid = (lo + hi) / 2;
		n = node_at(t, t->children[mid], &c);
		r = name_cmp(name, len, node_str(c, n->name), n->namelen);
		if (r == 0) {
			node_attr(n, attr);
			touch(t, c);
			error = 0;
			break;
		}
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	pthread_rwlock_unlock(&t->lock);
	return (error);
}

/*
 * Call cb for each child of directory ino from position off on, with the
 * position of the next one, until cb returns TREE_ENTRY_FULL; an entry
 * given as TREE_ENTRY_LOOKED_UP counts as a lookup (readdirplus).
 * Positions are stable: a listing only changes when it is listed again.
 */
int
tree_readdir(struct tree *t, uint64_t ino, uint64_t off, tree_readdir_cb cb,
    void *arg, volatile bool *abort)
{
	struct tree_attr	 attr;
	struct batch		*c;
	struct node		*d, *n;
	char			 name[NAME_MAX_BYTES + 1];
	int64_t			 i;
	uint64_t		 k;
	int			 r;

	if ((i = dir_held(t, ino, abort)) < 0)
		return (i);
	d = node_at(t, i, NULL);
	for (k = off; k < d->count; k++) {
		n = node_at(t, t->children[d->first + k], &c);
		memcpy(name, node_str(c, n->name), n->namelen);
		name[n->namelen] = '\0';
		node_attr(n, &attr);
		touch(t, c);
		r = cb(arg, name, &attr, k + 1);
		if (r == TREE_ENTRY_FULL)
			break;
		if (r == TREE_ENTRY_LOOKED_UP)
			node_ref(t, t->children[d->first + k]);
	}
	pthread_rwlock_unlock(&t->lock);
	return (0);
}

/* Where the bytes of file ino (or of a tablet text's header) live. */
int
tree_object(struct tree *t, uint64_t ino, struct tree_object *obj)
{
	struct batch	*c;
	struct node	*n;
	struct buf	 key;
	const char	*name;
	uint32_t	 i;
	size_t		 len;
	int		 error = 0;

	buf_init(&key, 64 * 1024);
	pthread_rwlock_rdlock(&t->lock);
	if ((i = ino_find(t, ino)) == UINT32_MAX)
		error = -ENOENT;
	else if ((n = node_at(t, i, &c))->type != NODE_FILE &&
	    n->type != NODE_TABLET)
		error = -EINVAL;
	else {
		touch(t, c);
		node_key(t, i, &key);
		obj->size = n->size;
		name = node_str(c, n->key);
		len = layout_md5_suffix(name, n->keylen);
		if (len != n->keylen)
			memcpy(obj->md5, name + len + 1, MD5_HEX_LEN + 1);
		else
			obj->md5[0] = '\0';
		obj->md5[MD5_HEX_LEN] = '\0';
	}
	pthread_rwlock_unlock(&t->lock);
	obj->key = error == 0 ? buf_take(&key) : NULL;
	buf_free(&key);
	return (error);
}

/* A copy of the text of node ino; the caller frees it. */
int
tree_text(struct tree *t, uint64_t ino, char **text, size_t *len)
{
	struct batch	*c;
	struct node	*n;
	uint32_t	 i;
	int		 error = 0;

	*text = NULL;
	pthread_rwlock_rdlock(&t->lock);
	if ((i = ino_find(t, ino)) == UINT32_MAX)
		error = -ENOENT;
	else if ((n = node_at(t, i, &c))->type != NODE_TEXT)
		error = -EINVAL;
	else {
		*text = xmalloc(n->size + 1);
		memcpy(*text, node_str(c, n->key), n->size);
		(*text)[n->size] = '\0';
		*len = n->size;
	}
	pthread_rwlock_unlock(&t->lock);
	return (error);
}

/*
 * Where node f is among the children of its folder d: an index into
 * t->children, or UINT32_MAX.  Children are sorted by name.  Caller holds
 * t->lock.
 */
static uint32_t
child_pos(struct tree *t, struct node *d, struct node *f, struct batch *fc)
{
	struct batch	*c;
	struct node	*m;
	uint32_t	 lo = d->first, hi = d->first + d->count, mid;
	int		 r;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		m = node_at(t, t->children[mid], &c);
		r = name_cmp(node_str(fc, f->name), f->namelen,
		    node_str(c, m->name), m->namelen);
		if (r == 0)
			return (mid);
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return (UINT32_MAX);
}

/*
 * Add to inos the files among children [k, end) of folder d and in the
 * folders there, depth first, visiting at most *budget nodes.  Caller
 * holds t->lock.
 */
static size_t
files_from(struct tree *t, struct node *d, uint32_t k, uint64_t *inos,
    size_t n, size_t *budget)
{
	struct node	*m;
	size_t		 found = 0;

	for (; k < d->first + d->count && found < n && *budget > 0; k++) {
		(*budget)--;
		m = node_at(t, t->children[k], NULL);
		if (m->type == NODE_FILE)
			inos[found++] = m->ino;
		else if (m->type == NODE_DIR)
			found += files_from(t, m, m->first, inos + found,
			    n - found, budget);
	}
	return (found);
}

/*
 * The inode numbers of up to n files that follow file ino in a depth-first
 * walk of its snapshot (or other folder that is loaded at once), as far as
 * it is loaded: what a walk like rsync's reads next, across folders.  The
 * count.
 */
size_t
tree_next_files(struct tree *t, uint64_t ino, uint64_t *inos, size_t n)
{
	struct batch	*c, *dc;
	struct node	*d, *cur;
	uint32_t	 i, k;
	size_t		 found = 0, budget = 8 * n;

	pthread_rwlock_rdlock(&t->lock);
	if ((i = ino_find(t, ino)) == UINT32_MAX || i == 0)
		goto out;
	cur = node_at(t, i, &c);
	while (found < n && budget > 0 && cur->load == LOAD_NONE) {
		d = node_at(t, cur->parent, &dc);
		if ((k = child_pos(t, d, cur, c)) == UINT32_MAX)
			break;
		found += files_from(t, d, k + 1, inos + found, n - found,
		    &budget);
		cur = d;
		c = dc;
	}
out:
	pthread_rwlock_unlock(&t->lock);
	return (found);
}

/*
 * Up to n nodes named like f (in batch fc), of its type, in the folders
 * of folder g from its child k on; their inode numbers, the count.
 * Caller holds the lock.
 */
static size_t
cousins_in(struct tree *t, struct node *g, uint32_t k, struct node *f,
    struct batch *fc, uint64_t *inos, size_t n)
{
	struct node	*s, *m;
	uint32_t	 j, end = g->first + g->count;
	uint64_t	 want;
	size_t		 found = 0;

	for (; k < end && found < n; k++) {
		s = node_at(t, t->children[k], NULL);
		if (s->type != NODE_DIR)
			continue;
		want = ino_of(s->ino, node_str(fc, f->name), f->namelen);
		if ((j = ino_find(t, want)) == UINT32_MAX)
			continue;
		m = node_at(t, j, NULL);
		if (m->parent == t->children[k] && m->type == f->type)
			inos[found++] = want;
	}
	return (found);
}

/*
 * The inode numbers of up to n nodes named like ino in the folders that
 * follow ino's folder in its parent, and on in the folders beside that
 * parent: the same file of the next tablets, of this partition and the
 * next ones.  The count.
 */
size_t
tree_cousins(struct tree *t, uint64_t ino, uint64_t *inos, size_t n)
{
	struct batch	*fc, *dc, *gc;
	struct node	*f, *d, *g, *gg, *s;
	uint32_t	 i, k, end;
	size_t		 found = 0;

	pthread_rwlock_rdlock(&t->lock);
	if ((i = ino_find(t, ino)) == UINT32_MAX || i == 0)
		goto out;
	f = node_at(t, i, &fc);
	if (f->parent == 0)
		goto out;
	d = node_at(t, f->parent, &dc);
	g = node_at(t, d->parent, &gc);
	if ((k = child_pos(t, g, d, dc)) == UINT32_MAX)
		goto out;
	found = cousins_in(t, g, k + 1, f, fc, inos, n);
	if (found == n || d->parent == 0)
		goto out;
	gg = node_at(t, g->parent, NULL);
	if ((k = child_pos(t, gg, g, gc)) == UINT32_MAX)
		goto out;
	end = gg->first + gg->count;
	for (k++; k < end && found < n; k++) {
		s = node_at(t, t->children[k], NULL);
		if (s->type == NODE_DIR)
			found += cousins_in(t, s, s->first, f, fc,
			    inos + found, n - found);
	}
out:
	pthread_rwlock_unlock(&t->lock);
	return (found);
}

/* Remember that file ino matched its md5 (ok) or did not. */
void
tree_mark_checked(struct tree *t, uint64_t ino, bool ok)
{
	uint32_t	i;

	pthread_rwlock_rdlock(&t->lock);
	if ((i = ino_find(t, ino)) != UINT32_MAX)
		__atomic_or_fetch(&node_at(t, i, NULL)->flags,
		    ok ? NF_CHECKED : NF_DAMAGED, __ATOMIC_RELAXED);
	pthread_rwlock_unlock(&t->lock);
}

/* 1 if file ino is known good, -1 if known damaged, 0 if not checked. */
int
tree_checked(struct tree *t, uint64_t ino)
{
	uint32_t	i;
	uint8_t		flags = 0;

	pthread_rwlock_rdlock(&t->lock);
	if ((i = ino_find(t, ino)) != UINT32_MAX)
		flags = __atomic_load_n(&node_at(t, i, NULL)->flags,
		    __ATOMIC_RELAXED);
	pthread_rwlock_unlock(&t->lock);
	if (flags & NF_DAMAGED)
		return (-1);
	return ((flags & NF_CHECKED) != 0);
}

/* Mark node i and everything below it as dropped. */
static void
orphan(struct tree *t, uint32_t i)
{
	struct batch	*c;
	struct node	*n = node_at(t, i, &c);
	uint32_t	 k;

	if ((__atomic_fetch_or(&n->flags, NF_ORPHAN, __ATOMIC_RELAXED) &
	    NF_ORPHAN) == 0 && --c->live == 0) {
		t->sweep = true;
		if (c->evictable) {
			t->bytes -= c->bytes;
			stats_add(STAT_META_BYTES, -(uint64_t)c->bytes);
		}
	}
	if (n->type == NODE_DIR)
		for (k = 0; k < n->count; k++)
			orphan(t, t->children[n->first + k]);
}

/* Folder i forgets its children, to be listed again when next asked. */
static void
unload(struct tree *t, uint32_t i)
{
	struct node	*n = node_at(t, i, NULL);
	uint32_t	 k;

	for (k = 0; k < n->count; k++)
		orphan(t, t->children[n->first + k]);
	n->count = 0;
	n->state = LS_UNLOADED;
}

/*
 * Unload the least recently used snapshot trees but keep until those
 * loaded fit the budget, and note each for the kernel to forget.  Caller
 * holds load_lock and the lock for writing.
 */
static void
evict(struct tree *t, struct batch *keep, struct note **notes, size_t *nnotes)
{
	struct batch	*c, *lru, *oc;
	struct node	*o;
	size_t		 k;
	uint32_t	 i;

	while (t->budget != 0 && t->bytes > t->budget) {
		for (lru = NULL, k = 0; k < t->nchunks; k++) {
			c = t->chunks[k];
			if (c->evictable && c->live != 0 && c != keep &&
			    (lru == NULL || c->used < lru->used))
				lru = c;
		}
		if (lru == NULL)
			break;
		for (i = 0; i < lru->n; i++)
			orphan(t, lru->base + i);
		unload(t, lru->owner);
		o = node_at(t, lru->owner, &oc);
		note_add(notes, nnotes, node_at(t, o->parent, NULL)->ino,
		    node_str(oc, o->name), o->namelen);
		stats_add(STAT_TREES_EVICTED, 1);
	}
}

/*
 * Free chunk c, which shows nothing, and the chunks above it that are left
 * with nothing.  Caller holds load_lock and the lock for writing.
 */
static void
chunk_free(struct tree *t, struct batch *c)
{
	struct batch	*up;
	struct node	*o;
	size_t		 k, lo, hi;
	uint32_t	 i;
	bool		 trim;

	while (c != t->chunks[0] && c->live == 0 && c->pins == 0) {
		/* A dropped folder that still lists part of c forgets it. */
		o = node_at(t, c->owner, &up);
		for (k = 0; k < o->count; k++) {
			i = t->children[o->first + k];
			if (i >= c->base && i - c->base < c->n) {
				o->count = 0;
				o->state = LS_UNLOADED;
				break;
			}
		}
		for (i = 0; i < c->n; i++)
			ino_delete(t, c->base + i);
		for (k = 0; k < t->nfresh;) {
			if (t->fresh[k].node - c->base < c->n)
				t->fresh[k] = t->fresh[--t->nfresh];
			else
				k++;
		}
		for (lo = 0, hi = t->nchunks; hi - lo > 1;) {
			k = (lo + hi) / 2;
			if (t->chunks[k]->base <= c->base)
				lo = k;
			else
				hi = k;
		}
		if (t->chunks[lo] != c)
			fatalx("a chunk to free is not in the tree");
		t->nchunks--;
		memmove(t->chunks + lo, t->chunks + lo + 1,
		    (t->nchunks - lo) * sizeof *t->chunks);
		t->nodes -= c->n;
		stats_add(STAT_NODES, -(uint64_t)c->n);
		trim = c->bytes >= 1024 * 1024;
		tree_batch_free(c);
		if (trim)	/* the heap gives a big tree back */
			malloc_trim(0);
		up->pins--;
		c = up;
	}
}

/* Free every chunk that shows nothing.  Caller holds both locks. */
static void
sweep(struct tree *t)
{
	size_t	k;

	if (!__atomic_exchange_n(&t->sweep, false, __ATOMIC_RELAXED))
		return;
	for (k = t->nchunks; k-- > 1;)
		if (k < t->nchunks)
			chunk_free(t, t->chunks[k]);
}

/* The kernel learnt of node i (a lookup).  Caller holds the lock. */
static void
node_ref(struct tree *t, uint32_t i)
{
	struct batch	*c;
	struct node	*n = node_at(t, i, &c);

	if (__atomic_fetch_add(&n->nlookup, 1, __ATOMIC_RELAXED) == 0)
		__atomic_add_fetch(&c->pins, 1, __ATOMIC_RELAXED);
}

/* The kernel learnt of node ino: a lookup it will forget. */
void
tree_ref(struct tree *t, uint64_t ino)
{
	uint32_t	i;

	pthread_rwlock_rdlock(&t->lock);
	if ((i = ino_find(t, ino)) != UINT32_MAX)
		node_ref(t, i);
	pthread_rwlock_unlock(&t->lock);
}

/*
 * One pin of chunk c less; if that was the last, c may go at the next
 * sweep.  Caller holds the lock (for reading will do).
 */
static void
unpin(struct tree *t, struct batch *c)
{
	if (__atomic_sub_fetch(&c->pins, 1, __ATOMIC_RELAXED) == 0 &&
	    __atomic_load_n(&c->live, __ATOMIC_RELAXED) == 0)
		__atomic_store_n(&t->sweep, true, __ATOMIC_RELAXED);
}

/*
 * The kernel forgot count lookups of node ino (FORGET).  Counts change
 * under the read lock; only a chunk left with nothing takes the write
 * lock, to be freed.
 */
void
tree_forget(struct tree *t, uint64_t ino, uint64_t count)
{
	struct batch	*c;
	struct node	*n;
	uint32_t	 i, old, left;

	pthread_rwlock_rdlock(&t->lock);
	if ((i = ino_find(t, ino)) != UINT32_MAX) {
		n = node_at(t, i, &c);
		old = __atomic_load_n(&n->nlookup, __ATOMIC_RELAXED);
		do {
			left = count < old ? old - count : 0;
		} while (old != 0 && !__atomic_compare_exchange_n(&n->nlookup,
		    &old, left, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
		if (old != 0 && left == 0)
			unpin(t, c);
	}
	pthread_rwlock_unlock(&t->lock);
	if (__atomic_load_n(&t->sweep, __ATOMIC_RELAXED)) {
		pthread_mutex_lock(&t->load_lock);
		pthread_rwlock_wrlock(&t->lock);
		sweep(t);
		pthread_rwlock_unlock(&t->lock);
		pthread_mutex_unlock(&t->load_lock);
	}
}

/* Loaded snapshot trees are evicted past bytes (0: never). */
void
tree_budget(struct tree *t, size_t bytes)
{
	pthread_mutex_lock(&t->load_lock);
	t->budget = bytes;
	pthread_mutex_unlock(&t->load_lock);
}

/*
 * Forget the children of folder ino, which its loader will list again on
 * the next access (a job changed what is there).  What is below keeps its
 * inode numbers when it comes back under the same names.
 */
int
tree_reload(struct tree *t, uint64_t ino)
{
	struct node	*n;
	uint32_t	 i;
	int		 error = 0;

	pthread_mutex_lock(&t->load_lock);
again:
	pthread_rwlock_wrlock(&t->lock);
	if ((i = ino_find(t, ino)) == UINT32_MAX)
		error = -ENOENT;
	else if ((n = node_at(t, i, NULL))->type != NODE_DIR ||
	    n->load == LOAD_NONE)
		error = -EINVAL;
	else if (n->state == LS_LOADING || n->state == LS_REFRESHING) {
		/* A listing taken before the change must not be kept. */
		pthread_rwlock_unlock(&t->lock);
		pthread_cond_wait(&t->load_done, &t->load_lock);
		goto again;
	} else if (n->state == LS_LOADED) {
		unload(t, i);
		sweep(t);
	}
	pthread_rwlock_unlock(&t->lock);
	pthread_mutex_unlock(&t->load_lock);
	return (error);
}
