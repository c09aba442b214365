/*
 * The local backend: a location that is a folder of this machine, given
 * as a path or a file:// URL.  It is the embedded default and needs no
 * server.  A missing folder lists as empty, like an S3 prefix.  Objects
 * are written as <key>.part, synced, then renamed, so a reader never sees
 * half of one and a crash leaves no object behind, only a .part.
 *
 * Others may write into the location (an NFS export many hosts share), and
 * snapfs runs as root: every key is resolved beneath the location's own
 * descriptor without following a link (file_open).  Only regular files and
 * folders are objects; a link, FIFO, socket or device is listed only to a
 * caller that asks for them (BROKER_SPECIAL: a drop removes the link
 * itself), is logged once, and is never read, written or removed through.
 */

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "snapfs.h"

#define LOGGED_MAX	4096		/* special entries named in the log */

struct broker_local {
	struct broker	 b;		/* must be first */
	int		 rootfd;
	pthread_mutex_t	 lock;		/* logged */
	struct idmap	 logged;	/* hashes of the keys logged */
};

static bool
local_match(const char *location)
{
	return (strncmp(location, "file://", 7) == 0 ||
	    strstr(location, "://") == NULL);
}

static int
local_open(const char *location, const struct broker_options *o,
    struct broker **bp, char **cause)
{
	struct broker_local	*l;
	struct stat		 st;
	const char		*path = location;
	int			 fd;

	if (strncmp(path, "file://", 7) == 0)
		path += 7;
	if (*path == '\0') {
		xasprintf(cause, "%s: empty location", location);
		return (-EINVAL);
	}
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		xasprintf(cause, "%s: %s", location, strerror(errno));
		if (fd != -1)
			close(fd);
		return (-errno);
	}
	l = xcalloc(1, sizeof *l);
	l->rootfd = fd;
	pthread_mutex_init(&l->lock, NULL);
	idmap_init(&l->logged, 16);
	*bp = &l->b;
	return (0);
}

static void
local_close(struct broker *b)
{
	struct broker_local	*l = (struct broker_local *)b;

	idmap_free(&l->logged, NULL);
	pthread_mutex_destroy(&l->lock);
	close(l->rootfd);
	free(l);
}

static const char *
local_kind(mode_t mode)
{
	if (S_ISLNK(mode))
		return ("a symbolic link");
	if (S_ISFIFO(mode))
		return ("a FIFO");
	if (S_ISSOCK(mode))
		return ("a socket");
	return ("a device");
}

/*
 * Say once (per key, up to LOGGED_MAX keys) that key is no object: what
 * it is, or (mode 0) that a link is on its way.
 */
static void
local_refuse(struct broker_local *l, const char *key, mode_t mode)
{
	uint64_t	h = 0xcbf29ce484222325ULL;
	const char	*p;
	bool		 first;

	for (p = key; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	pthread_mutex_lock(&l->lock);
	first = idmap_count(&l->logged) < LOGGED_MAX &&
	    idmap_get(&l->logged, h) == NULL;
	if (first)
		idmap_put(&l->logged, h, l);
	if (first && idmap_count(&l->logged) == LOGGED_MAX)
		log_warn("%s: more entries that are no files or folders: not "
		    "named any more", l->b.location);
	pthread_mutex_unlock(&l->lock);
	if (first && mode == 0)
		log_warn("%s/%s: a symbolic link on its way: not followed",
		    l->b.location, key);
	else if (first)
		log_warn("%s/%s: %s, not a file or folder: not shown, never "
		    "followed", l->b.location, key, local_kind(mode));
}

/*
 * Open key for reading as a regular file (or, with O_DIRECTORY in flags,
 * a folder), checked on the open descriptor: -errno, -ELOOP for a link,
 * -EISDIR for a folder, -EINVAL for anything else.  O_NONBLOCK: a FIFO
 * planted there does not hang the open.
 */
static int
local_open_key(struct broker_local *l, const char *key, int flags,
    struct stat *st)
{
	int	fd, error;

	if ((fd = file_open(l->rootfd, *key == '\0' ? "." : key, O_RDONLY |
	    O_NONBLOCK | flags, 0)) == -1) {
		if (errno == ELOOP)
			local_refuse(l, key, 0);
		return (-errno);
	}
	if (fstat(fd, st) == -1) {
		error = -errno;
		close(fd);
		return (error);
	}
	if ((flags & O_DIRECTORY) != 0 || S_ISREG(st->st_mode))
		return (fd);
	close(fd);
	if (S_ISDIR(st->st_mode))
		return (-EISDIR);
	local_refuse(l, key, st->st_mode);
	return (-EINVAL);
}

static void
local_entry(struct broker_entry *e, const struct stat *st)
{
	e->is_dir = S_ISDIR(st->st_mode);
	e->special = !e->is_dir && !S_ISREG(st->st_mode);
	e->size = e->is_dir || e->special ? 0 : (uint64_t)st->st_size;
	e->mtime = (int64_t)st->st_mtim.tv_sec * 1000000000 +
	    st->st_mtim.tv_nsec;
}

/*
 * List one folder (fd, whose key is prefix); recurse into sub-folders when
 * asked.  Nothing is followed: an entry is what lstat says it is.  An
 * abort is seen at each folder.
 */
static int
local_walk(struct broker_local *l, int fd, struct buf *prefix, int flags,
    broker_list_cb cb, void *arg, volatile bool *abort, int depth)
{
	struct broker_entry	 e;
	struct stat		 st;
	struct dirent		*d;
	DIR			*dir;
	size_t			 plen = prefix->len;
	int			 sub, error = 0;

	if (depth > 64 || (abort != NULL && *abort)) {
		close(fd);
		return (depth > 64 ? -ELOOP : -EINTR);
	}
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return (-errno);
	}
	for (;;) {
		errno = 0;
		if ((d = readdir(dir)) == NULL) {
			error = -errno;
			break;
		}
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(dir), d->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == -1) {
			if (errno == ENOENT)
				continue;
			error = -errno;
			break;
		}
		prefix->len = plen;
		if ((error = buf_add(prefix, d->d_name,
		    strlen(d->d_name))) != 0)
			break;
		local_entry(&e, &st);
		e.key = prefix->data;
		if (e.special)
			local_refuse(l, e.key, st.st_mode);
		if (!e.is_dir || (flags & BROKER_RECURSIVE) == 0) {
			if ((error = cb(arg, &e)) != 0)
				break;
			continue;
		}
		sub = openat(dirfd(dir), d->d_name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
		if (sub == -1) {
			if (errno == ENOENT)
				continue;
			error = -errno;
			break;
		}
		if ((error = buf_addc(prefix, '/')) != 0 ||
		    (error = local_walk(l, sub, prefix, flags, cb, arg, abort,
		    depth + 1)) != 0)
			break;
	}
	prefix->len = plen;
	closedir(dir);
	return (error);
}

static int
local_list(struct broker *b, const char *folder, int flags,
    broker_list_cb cb, void *arg, volatile bool *abort)
{
	struct broker_local	*l = (struct broker_local *)b;
	struct buf		 prefix;
	struct stat		 st;
	int			 fd, error;

	if ((fd = local_open_key(l, folder, O_DIRECTORY, &st)) < 0)
		return (fd == -ENOENT || fd == -ENOTDIR ? 0 : fd);
	buf_init(&prefix, PATH_MAX * 4);
	buf_add(&prefix, folder, strlen(folder));
	error = local_walk(l, fd, &prefix, flags, cb, arg, abort, 0);
	buf_free(&prefix);
	return (error);
}

static int
local_stat(struct broker *b, const char *key, struct broker_entry *e,
    volatile bool *abort)
{
	struct broker_local	*l = (struct broker_local *)b;
	struct stat		 st;
	int			 fd;

	if ((fd = local_open_key(l, key, 0, &st)) < 0 && fd != -EISDIR)
		return (fd);
	if (fd >= 0)
		close(fd);
	local_entry(e, &st);
	e->key = key;
	return (0);
}

static ssize_t
local_read(struct broker *b, const char *key, void *p, size_t len,
    uint64_t off, volatile bool *abort)
{
	struct broker_local	*l = (struct broker_local *)b;
	struct stat		 st;
	ssize_t			 n;
	int			 fd, saved;

	if ((fd = local_open_key(l, key, 0, &st)) < 0)
		return (fd);
	do
		n = pread(fd, p, len, off);
	while (n == -1 && errno == EINTR);
	saved = errno;
	close(fd);
	return (n == -1 ? -saved : n);
}

/* Write an object through <key>.part: fill(arg, fd) writes the bytes. */
static int
local_write(struct broker_local *l, const char *key, uint64_t size,
    int (*fill)(void *, int), void *arg)
{
	struct stat	 st;
	const char	*name;
	char		*part;
	int		 dfd, fd, error;

	if (strchr(key, '/') != NULL) {
		part = xstrndup(key, strrchr(key, '/') - key);
		error = file_mkdirs(l->rootfd, part, 0755);
		free(part);
		if (error != 0)
			return (error);
	}
	if ((dfd = file_parent(l->rootfd, key, &name)) == -1)
		return (-errno);
	xasprintf(&part, "%s.part", name);
	fd = openat(dfd, part, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0644);
	if (fd == -1) {
		error = -errno;
		goto out;
	}
	if ((error = fill(arg, fd)) == 0 && fsync(fd) == -1)
		error = -errno;
	if (error == 0 && fstat(fd, &st) == 0 && (uint64_t)st.st_size != size)
		error = -EIO;
	if (close(fd) == -1 && error == 0)
		error = -errno;
	if (error == 0 && renameat(dfd, part, dfd, name) == -1)
		error = -errno;
	if (error != 0)
		unlinkat(dfd, part, 0);
out:
	free(part);
	close(dfd);
	return (error);
}

struct local_buffer {
	const void	*p;
	size_t		 len;
};

static int
fill_buffer(void *arg, int fd)
{
	struct local_buffer	*b = arg;

	return (file_write_all(fd, b->p, b->len));
}

static int
local_put(struct broker *b, const char *key, const void *p, size_t len,
    volatile bool *abort)
{
	struct local_buffer	lb = { p, len };

	return (local_write((struct broker_local *)b, key, len, fill_buffer,
	    &lb));
}

struct local_copy {
	int		 fd;
	uint64_t	 size;
};

static int
fill_copy(void *arg, int out)
{
	struct local_copy	*c = arg;
	char			*chunk;
	uint64_t		 off = 0;
	ssize_t			 n;
	int			 error = 0;

	chunk = xmalloc(1024 * 1024);
	while (off < c->size) {
		n = pread(c->fd, chunk, c->size - off < 1024 * 1024 ?
		    c->size - off : 1024 * 1024, off);
		if (n <= 0) {
			error = n == 0 ? -EIO : -errno;	/* shrank */
			break;
		}
		if ((error = file_write_all(out, chunk, n)) != 0)
			break;
		off += n;
	}
	free(chunk);
	return (error);
}

static int
local_upload(struct broker *b, const char *key, int fd, uint64_t size,
    volatile bool *abort)
{
	struct local_copy	c = { fd, size };

	return (local_write((struct broker_local *)b, key, size, fill_copy,
	    &c));
}

/*
 * Remove an object (or a link, itself), then the folders it leaves empty.
 * A folder on the way that is a link is not gone through: -ELOOP.
 */
static int
local_remove(struct broker *b, const char *key, volatile bool *abort)
{
	struct broker_local	*l = (struct broker_local *)b;
	const char		*name;
	char			*path, *p;
	int			 dfd, error = 0;

	if ((dfd = file_parent(l->rootfd, key, &name)) == -1)
		return (errno == ENOENT ? 0 : -errno);
	if (unlinkat(dfd, name, 0) == -1 && errno != ENOENT) {
		/* A folder: one that a listing showed as empty. */
		if (errno != EISDIR || unlinkat(dfd, name, AT_REMOVEDIR) == -1)
			error = -errno;
	}
	close(dfd);
	path = xstrdup(key);
	while (error == 0 && (p = strrchr(path, '/')) != NULL) {
		*p = '\0';
		if ((dfd = file_parent(l->rootfd, path, &name)) == -1)
			break;
		p = (char *)name;
		if (unlinkat(dfd, p, AT_REMOVEDIR) == -1) {
			close(dfd);
			break;
		}
		close(dfd);
	}
	free(path);
	return (error);
}

const struct broker_ops broker_local_ops = {
	.name = "local",
	.match = local_match,
	.open = local_open,
	.list = local_list,
	.stat = local_stat,
	.read = local_read,
	.put = local_put,
	.upload = local_upload,
	.remove = local_remove,
	.close = local_close,
};
