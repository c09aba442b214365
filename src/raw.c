/*
 * The .raw view: every object under the location at its exact key, for
 * rsync migrations from one storage to another.
 *
 * A folder is listed when it is first opened, with one delimiter listing.
 * A snapshot folder (layout_is_snapshot_dir) and all below it is listed
 * at once instead, with one recursive listing, so copying a
 * snapshot of 300,000 tablets costs a few list pages, not a request per
 * folder.  A folder made up from a recursive listing shows the time of the
 * newest object below it.  BACKUP GLOBAL's objects hold password hashes
 * and are the mount owner's alone, as in their snapshot folder.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "snapfs.h"

static const char *
last_part(const char *key)
{
	const char	*p = strrchr(key, '/');

	return (p == NULL ? key : p + 1);
}

/* Object name of listing entry e in parent. */
static void
add_object(struct batch *b, uint32_t parent, const char *name,
    const struct broker_entry *e)
{
	const char	*ts;
	size_t		 tslen;
	uint32_t	 i;

	i = tree_add_file(b, parent, name, name, e->size, e->mtime);
	if (layout_global_info(name, &ts, &tslen))
		tree_batch_private(b, i);
}

static int
folder_entry(void *arg, const struct broker_entry *e)
{
	struct batch	*b = arg;
	const char	*name = last_part(e->key);
	uint32_t	 i;

	if (e->is_dir) {
		i = tree_add_dir(b, BATCH_TOP, name, e->mtime, LOAD_RAW, name,
		    0);
		/* Listed again when old, but for a snapshot's whole tree. */
		if (!layout_is_snapshot_dir(e->key))
			tree_batch_refreshable(b, i);
	} else
		add_object(b, BATCH_TOP, name, e);
	return (0);
}

/* Folders made so far, by path below the listed folder. */
struct folder_slot {
	char		*path;
	uint32_t	 node;
};

struct walk {
	struct batch		*b;
	size_t			 prefixlen;
	struct folder_slot	*slots;
	size_t			 mask;
	size_t			 count;
};

static uint64_t
path_hash(const char *p, size_t len)
{
	uint64_t	h = 0xcbf29ce484222325ULL;

	while (len-- > 0) {
		h ^= (unsigned char)*p++;
		h *= 0x100000001b3ULL;
	}
	return (h);
}

static struct folder_slot *
folder_slot(struct walk *w, const char *path, size_t len)
{
	size_t	i = path_hash(path, len) & w->mask;

	while (w->slots[i].path != NULL && (strlen(w->slots[i].path) != len ||
	    memcmp(w->slots[i].path, path, len) != 0))
		i = (i + 1) & w->mask;
	return (&w->slots[i]);
}

static void
walk_grow(struct walk *w)
{
	struct folder_slot	*old = w->slots, *s;
	size_t			 oldmask = w->mask, i;

	w->mask = w->mask * 2 + 1;
	w->slots = xcalloc(w->mask + 1, sizeof *w->slots);
	for (i = 0; i <= oldmask; i++) {
		if (old[i].path == NULL)
			continue;
		s = folder_slot(w, old[i].path, strlen(old[i].path));
		*s = old[i];
	}
	free(old);
}

/* The folder at path[0, len), made with its parents if need be. */
static uint32_t
walk_folder(struct walk *w, const char *path, size_t len, int64_t mtime)
{
	struct folder_slot	*s;
	const char		*slash;
	uint32_t		 parent = BATCH_TOP, node;
	char			*name;

	if (len == 0)
		return (BATCH_TOP);
	s = folder_slot(w, path, len);
	if (s->path != NULL) {
		tree_batch_touch(w->b, s->node, mtime);
		return (s->node);
	}
	slash = memrchr(path, '/', len);
	if (slash != NULL)
		parent = walk_folder(w, path, slash - path, mtime);
	name = xstrndup(slash != NULL ? slash + 1 : path,
	    len - (slash != NULL ? slash + 1 - path : 0));
	node = tree_add_dir(w->b, parent, name, mtime, LOAD_NONE, name, 0);
	free(name);
	if ((w->count + 1) * 2 > w->mask)
		walk_grow(w);
	s = folder_slot(w, path, len);
	s->path = xstrndup(path, len);
	s->node = node;
	w->count++;
	return (node);
}

static int
walk_entry(void *arg, const struct broker_entry *e)
{
	struct walk	*w = arg;
	const char	*rel = e->key + w->prefixlen, *slash;
	uint32_t	 parent;

	if (strlen(e->key) <= w->prefixlen || e->is_dir)
		return (0);
	slash = strrchr(rel, '/');
	parent = walk_folder(w, rel, slash != NULL ? slash - rel : 0,
	    e->mtime);
	add_object(w->b, parent, last_part(rel), e);
	return (0);
}

static int
load_tree(struct broker *broker, const char *folder, struct batch *b,
    volatile bool *abort)
{
	struct walk	w;
	size_t		i;
	int		error;

	memset(&w, 0, sizeof w);
	w.b = b;
	w.prefixlen = strlen(folder);
	w.mask = 1023;
	w.slots = xcalloc(w.mask + 1, sizeof *w.slots);
	error = broker_list(broker, folder, BROKER_RECURSIVE, walk_entry, &w,
	    abort);
	for (i = 0; i <= w.mask; i++)
		free(w.slots[i].path);
	free(w.slots);
	return (error);
}

int
raw_load(struct broker *broker, const struct tree_dir *dir, struct batch *b)
{
	char	*folder;
	int	 error;

	xasprintf(&folder, "%s%s", dir->key, *dir->key != '\0' ? "/" : "");
	if (layout_is_snapshot_dir(dir->key))
		error = load_tree(broker, folder, b, dir->abort);
	else
		error = broker_list(broker, folder, 0, folder_entry, b,
		    dir->abort);
	free(folder);
	return (error);
}
