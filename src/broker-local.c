/*
 * The local backend: a location that is a folder of this machine, given
 * as a path or a file:// URL.  It is the embedded default and needs no
 * server.  A missing folder lists as empty, like an S3 prefix.
 */

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
local_open(const char *location, struct broker **bp, char **cause)
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
 * files but never into folders, so a link loop cannot trap the walk.
 */
static int
local_walk(int fd, struct buf *prefix, bool recursive, broker_list_cb cb,
    void *arg, int depth)
{
	struct broker_entry	 e;
	struct stat		 st;
	struct dirent		*d;
	DIR			*dir;
	size_t			 plen = prefix->len;
	int			 sub, error = 0;

	if (depth > 64)
		return (-ELOOP);
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
		if ((error = buf_add(prefix, d->d_name, strlen(d->d_name))) != 0)
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
		    (error = local_walk(sub, prefix, true, cb, arg,
		    depth + 1)) != 0)
			break;
	}
	prefix->len = plen;
	closedir(dir);
	return (error);
}

static int
local_list(struct broker *b, const char *folder, bool recursive,
    broker_list_cb cb, void *arg)
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
	error = local_walk(fd, &prefix, recursive, cb, arg, 0);
	buf_free(&prefix);
	return (error);
}

static int
local_stat(struct broker *b, const char *key, struct broker_entry *e)
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
    uint64_t off)
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

const struct broker_ops broker_local_ops = {
	.name = "local",
	.match = local_match,
	.open = local_open,
	.list = local_list,
	.stat = local_stat,
	.read = local_read,
	.close = local_close,
};
