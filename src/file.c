/*
 * Local files, reached only beneath a folder that is already open: a path
 * is resolved below its folder's descriptor without following a symbolic
 * link in any of its steps and without leaving the folder (an absolute
 * path, ".."), with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) where
 * the kernel has it and one O_NOFOLLOW step at a time where it does not.
 * snapfs runs as root over folders that others write into (a location, a
 * data root): a link planted there is refused with ELOOP, never followed
 * out.  On top of that: write all of a buffer, read a small file whole,
 * replace a small file atomically, make a folder and its parents, remove a
 * folder tree (links themselves, never what they point to).
 */

#include <sys/stat.h>
#include <sys/syscall.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "snapfs.h"

#define TREE_DEPTH_MAX	64		/* folders removed below one */

static int	file_open_any(int, const char *, int, mode_t);
static bool	file_is_link(int, const char *);

/* Is rel something file_open may resolve: relative, without ".."? */
static bool
file_rel_ok(const char *rel)
{
	const char	*p;

	if (*rel == '/')
		return (false);
	for (p = rel; p != NULL; p = strchr(p, '/')) {
		if (*p == '/')
			p++;
		if (strncmp(p, "..", 2) == 0 && (p[2] == '/' || p[2] == '\0'))
			return (false);
	}
	return (true);
}

/* The same, one step at a time, for kernels without openat2. */
static int
file_open_steps(int dirfd, const char *rel, int flags, mode_t mode)
{
	char	*copy, *step, *next;
	int	 fd, cur = dirfd, saved;

	copy = xstrdup(rel);
	for (step = copy; ; step = next) {
		while (*step == '/')
			step++;
		if ((next = strchr(step, '/')) != NULL) {
			*next++ = '\0';
			while (*next == '/')
				next++;
			if (*next == '\0')
				next = NULL;
		}
		if (*step == '\0')
			step = ".";
		if (next == NULL)
			fd = openat(cur, step, flags | O_NOFOLLOW | O_CLOEXEC,
			    mode);
		else
			fd = openat(cur, step, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
		saved = errno;
		if (cur != dirfd)
			close(cur);
		errno = saved;
		if (fd == -1 || next == NULL)
			break;
		cur = fd;
	}
	free(copy);
	return (fd);
}

/*
 * Is the last step of rel (beneath dirfd) a link?  What O_DIRECTORY meets
 * as ENOTDIR may be one.
 */
static bool
file_is_link(int dirfd, const char *rel)
{
	struct stat	 st;
	const char	*name;
	int		 fd;
	bool		 link;

	if ((fd = file_parent(dirfd, rel, &name)) == -1)
		return (false);
	link = fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode);
	close(fd);
	return (link);
}

/*
 * openat(dirfd, rel, flags, mode), but beneath dirfd and following no
 * link: -1 with errno ELOOP for a link on the way, EXDEV for a way out.
 */
int
file_open(int dirfd, const char *rel, int flags, mode_t mode)
{
	int	fd;

	if ((fd = file_open_any(dirfd, rel, flags, mode)) == -1 &&
	    errno == ENOTDIR && (flags & O_DIRECTORY) != 0 &&
	    file_is_link(dirfd, rel))
		errno = ELOOP;
	return (fd);
}

static int
file_open_any(int dirfd, const char *rel, int flags, mode_t mode)
{
	static int	 steps = -1;	/* 1: the kernel has no openat2 */
	struct open_how	 how;
	int		 fd;

	if (!file_rel_ok(rel)) {
		errno = EXDEV;
		return (-1);
	}
	if (*rel == '\0')
		rel = ".";
	if (steps == -1)
		steps = getenv("SNAPFS_TEST_NO_OPENAT2") != NULL;
	if (steps == 0) {
		memset(&how, 0, sizeof how);
		how.flags = flags | O_NOFOLLOW | O_CLOEXEC;
		how.mode = (flags & O_CREAT) != 0 ? mode : 0;
		how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
		    RESOLVE_NO_MAGICLINKS;
		fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof how);
		if (fd != -1 || (errno != ENOSYS && errno != EPERM))
			return (fd);
		steps = 1;
	}
	return (file_open_steps(dirfd, rel, flags, mode));
}

/*
 * The folder that holds rel, open (beneath dirfd), and in *name the last
 * step of rel: what unlinkat, renameat and linkat are given.
 */
int
file_parent(int dirfd, const char *rel, const char **name)
{
	const char	*slash = strrchr(rel, '/');
	char		*dir;
	int		 fd;

	if (slash == NULL) {
		*name = rel;
		return (file_open(dirfd, ".", O_RDONLY | O_DIRECTORY, 0));
	}
	*name = slash + 1;
	dir = xstrndup(rel, slash - rel);
	fd = file_open(dirfd, dir, O_RDONLY | O_DIRECTORY, 0);
	free(dir);
	return (fd);
}

/* Write all len bytes, or return -errno. */
int
file_write_all(int fd, const void *p, size_t len)
{
	const char	*s = p;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, s, len)) == -1) {
			if (errno == EINTR)
				continue;
			return (-errno);
		}
		s += n;
		len -= n;
	}
	return (0);
}

/*
 * Append the regular file rel (beneath dirfd) to b; a missing file is
 * empty.
 */
int
file_read_all(int dirfd, const char *rel, struct buf *b)
{
	struct stat	st;
	char		chunk[16384];
	ssize_t		n;
	int		fd, error = 0;

	if ((fd = file_open(dirfd, rel, O_RDONLY | O_NONBLOCK, 0)) == -1)
		return (errno == ENOENT ? 0 : -errno);
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return (-EINVAL);
	}
	for (;;) {
		if ((n = read(fd, chunk, sizeof chunk)) == -1) {
			if (errno == EINTR)
				continue;
			error = -errno;
			break;
		}
		if (n == 0 || (error = buf_add(b, chunk, n)) != 0)
			break;
	}
	close(fd);
	return (error);
}

static int
file_syncdir(int fd)
{
	return (fsync(fd) == -1 ? -errno : 0);
}

/*
 * Replace the file rel (beneath dirfd) with len bytes of p, written to
 * rel.tmp and renamed, so a reader never sees half of one.  With durable,
 * the file and then its folder are synced too, so a crash leaves the old
 * file or the new one; without, a crash may leave a torn file.
 */
int
file_replace(int dirfd, const char *rel, const void *p, size_t len,
    mode_t mode, bool durable)
{
	const char	*name;
	char		*tmp;
	int		 pfd, fd, error = 0;

	if ((pfd = file_parent(dirfd, rel, &name)) == -1)
		return (-errno);
	xasprintf(&tmp, "%s.tmp", name);
	fd = openat(pfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, mode);
	if (fd == -1)
		error = -errno;
	else {
		if ((error = file_write_all(fd, p, len)) == 0 && durable &&
		    fsync(fd) == -1)
			error = -errno;
		if (close(fd) == -1 && error == 0)
			error = -errno;
	}
	if (error == 0 && renameat(pfd, tmp, pfd, name) == -1)
		error = -errno;
	if (error != 0)
		unlinkat(pfd, tmp, 0);
	else if (durable)
		error = file_syncdir(pfd);
	free(tmp);
	close(pfd);
	return (error);
}

/*
 * mkdir -p of rel beneath dirfd: each step made if need be, then entered
 * without following a link (a link on the way is -ELOOP).
 */
int
file_mkdirs(int dirfd, const char *rel, mode_t mode)
{
	char	*copy, *step, *next;
	int	 cur = dirfd, fd = -1, error = 0;

	if (!file_rel_ok(rel))
		return (-EXDEV);
	copy = xstrdup(rel);
	for (step = copy; step != NULL && error == 0; step = next) {
		if ((next = strchr(step, '/')) != NULL)
			*next++ = '\0';
		if (*step == '\0' || strcmp(step, ".") == 0)
			continue;
		if (mkdirat(cur, step, mode) == -1 && errno != EEXIST)
			error = -errno;
		else if ((fd = openat(cur, step, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC)) == -1)
			error = errno == ENOTDIR && file_is_link(cur, step) ?
			    -ELOOP : -errno;
		if (cur != dirfd)
			close(cur);
		cur = error == 0 ? fd : dirfd;
	}
	if (cur != dirfd)
		close(cur);
	free(copy);
	return (error);
}

/* Remove what folder fd holds, depth first; links are removed as such. */
static void
file_empty(int fd, const char *shown, int depth)
{
	struct dirent	*d;
	struct stat	 st;
	DIR		*dir;
	int		 sub;

	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((d = readdir(dir)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(dir), d->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		if (S_ISDIR(st.st_mode) && depth < TREE_DEPTH_MAX &&
		    (sub = openat(dirfd(dir), d->d_name, O_RDONLY |
		    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) != -1)
			file_empty(sub, shown, depth + 1);
		if (unlinkat(dirfd(dir), d->d_name, S_ISDIR(st.st_mode) ?
		    AT_REMOVEDIR : 0) == -1 && errno != ENOENT)
			log_warn("remove %s/.../%s: %s", shown, d->d_name,
			    strerror(errno));
	}
	closedir(dir);
}

/* rm -r of rel beneath dirfd; what cannot be removed is logged. */
void
file_remove_tree(int dirfd, const char *rel)
{
	const char	*name;
	int		 pfd, fd;

	if ((pfd = file_parent(dirfd, rel, &name)) == -1)
		return;
	fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd != -1) {
		file_empty(fd, rel, 0);
		if (unlinkat(pfd, name, AT_REMOVEDIR) == -1 && errno != ENOENT)
			log_warn("remove %s: %s", rel, strerror(errno));
	} else if (errno == ENOTDIR || errno == ELOOP)
		unlinkat(pfd, name, 0);
	close(pfd);
}
