/*
 * The local backend: a location that is a folder of this machine, given
 * as a path or a file:// URL.  It is the embedded default and needs no
 * server.  A missing folder lists as empty, like an S3 prefix.  Objects
 * are written as <key>.part, synced, then renamed, so a reader never sees
 * half of one and a crash leaves no object behind, only a .part.
 */

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "snapfs.h"

struct broker_local {
	struct broker	 b;		/* must be first */
	int		 rootfd;
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
	*bp = &l->b;
	return (0);
}

static void
local_close(struct broker *b)
{
	struct broker_local	*l = (struct broker_local *)b;

	close(l->rootfd);
	free(l);
}

/* Keys come from our own listings, but never let one leave the root. */
static bool
local_key_ok(const char *key)
{
	const char	*p;

	if (*key == '/')
		return (false);
	for (p = key; p != NULL; p = strchr(p, '/')) {
		if (*p == '/')
			p++;
		if (strncmp(p, "..", 2) == 0 && (p[2] == '/' || p[2] == '\0'))
			return (false);
	}
	return (true);
}

static void
local_entry(struct broker_entry *e, const struct stat *st)
{
	e->is_dir = S_ISDIR(st->st_mode);
	e->size = e->is_dir ? 0 : (uint64_t)st->st_size;
	e->mtime = (int64_t)st->st_mtim.tv_sec * 1000000000 +
	    st->st_mtim.tv_nsec;
}

/*
 * List one folder (fd, whose key is prefix); recurse into sub-folders when
 * asked.  Only regular files and folders are shown; links are followed to
 * files but never into folders, so a link loop cannot trap the walk.  An
 * abort is seen at each folder.
 */
static int
local_walk(int fd, struct buf *prefix, bool recursive, broker_list_cb cb,
    void *arg, volatile bool *abort, int depth)
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
		if (fstatat(dirfd(dir), d->d_name, &st, 0) == -1) {
			if (errno == ENOENT)
				continue;
			error = -errno;
			break;
		}
		if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
			continue;
		if (S_ISDIR(st.st_mode) && d->d_type == DT_LNK)
			continue;
		prefix->len = plen;
		if ((error = buf_add(prefix, d->d_name,
		    strlen(d->d_name))) != 0)
			break;
		local_entry(&e, &st);
		e.key = prefix->data;
		if (!e.is_dir || !recursive) {
			if ((error = cb(arg, &e)) != 0)
				break;
			continue;
		}
		sub = openat(dirfd(dir), d->d_name,
		    O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (sub == -1) {
			error = -errno;
			break;
		}
		if ((error = buf_addc(prefix, '/')) != 0 ||
		    (error = local_walk(sub, prefix, true, cb, arg, abort,
		    depth + 1)) != 0)
			break;
	}
	prefix->len = plen;
	closedir(dir);
	return (error);
}

static int
local_list(struct broker *b, const char *folder, bool recursive,
    broker_list_cb cb, void *arg, volatile bool *abort)
{
	struct broker_local	*l = (struct broker_local *)b;
	struct buf		 prefix;
	int			 fd, error;

	if (!local_key_ok(folder))
		return (-EINVAL);
	fd = openat(l->rootfd, *folder == '\0' ? "." : folder,
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return (errno == ENOENT || errno == ENOTDIR ? 0 : -errno);
	buf_init(&prefix, PATH_MAX * 4);
	buf_add(&prefix, folder, strlen(folder));
	error = local_walk(fd, &prefix, recursive, cb, arg, abort, 0);
	buf_free(&prefix);
	return (error);
}

static int
local_stat(struct broker *b, const char *key, struct broker_entry *e,
    volatile bool *abort)
{
	struct broker_local	*l = (struct broker_local *)b;
	struct stat		 st;

	if (!local_key_ok(key))
		return (-EINVAL);
	if (fstatat(l->rootfd, key, &st, 0) == -1)
		return (-errno);
	local_entry(e, &st);
	e->key = key;
	return (0);
}

static ssize_t
local_read(struct broker *b, const char *key, void *p, size_t len,
    uint64_t off, volatile bool *abort)
{
	struct broker_local	*l = (struct broker_local *)b;
	ssize_t			 n;
	int			 fd, saved;

	if (!local_key_ok(key))
		return (-EINVAL);
	if ((fd = openat(l->rootfd, key, O_RDONLY | O_CLOEXEC)) == -1)
		return (-errno);
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
	char		*part;
	int		 fd, error;

	if (!local_key_ok(key))
		return (-EINVAL);
	if (strchr(key, '/') != NULL) {
		part = xstrndup(key, strrchr(key, '/') - key);
		error = file_mkdirs(l->rootfd, part, 0755);
		free(part);
		if (error != 0)
			return (error);
	}
	xasprintf(&part, "%s.part", key);
	fd = openat(l->rootfd, part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644);
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
	if (error == 0 && renameat(l->rootfd, part, l->rootfd, key) == -1)
		error = -errno;
	if (error != 0)
		unlinkat(l->rootfd, part, 0);
out:
	free(part);
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

/* Remove an object, then the folders it leaves empty. */
static int
local_remove(struct broker *b, const char *key, volatile bool *abort)
{
	struct broker_local	*l = (struct broker_local *)b;
	char			*path, *p;

	if (!local_key_ok(key))
		return (-EINVAL);
	if (unlinkat(l->rootfd, key, 0) == -1 && errno != ENOENT)
		return (-errno);
	path = xstrdup(key);
	while ((p = strrchr(path, '/')) != NULL) {
		*p = '\0';
		if (unlinkat(l->rootfd, path, AT_REMOVEDIR) == -1)
			break;
	}
	free(path);
	return (0);
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
