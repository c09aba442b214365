/*
 * Small helpers for local files that several modules need: write all of
 * a buffer, read a small file whole, replace a small file atomically, make a folder and its
 * parents, remove a folder tree.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "snapfs.h"

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

/* Append the file name (relative to dirfd) to b; a missing file is empty. */
int
file_read_all(int dirfd, const char *name, struct buf *b)
{
	char	chunk[16384];
	ssize_t	n;
	int	fd, error = 0;

	if ((fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) ==
	    -1)
		return (errno == ENOENT ? 0 : -errno);
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

/*
 * Replace the file name (relative to dirfd) with len bytes of p, written
 * to name.tmp and renamed, so a reader never sees half of one.  With
 * durable, the file and then its folder are synced too, so a crash leaves
 * the old file or the new one; without, a crash may leave a torn file.
 */
int
file_replace(int dirfd, const char *name, const void *p, size_t len,
    mode_t mode, bool durable)
{
	char	*tmp, *slash, *dir;
	int	 fd, dfd, error;

	xasprintf(&tmp, "%s.tmp", name);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd == -1)
		error = -errno;
	else {
		if ((error = file_write_all(fd, p, len)) == 0 && durable &&
		    fsync(fd) == -1)
			error = -errno;
		if (close(fd) == -1 && error == 0)
			error = -errno;
	}
	if (error == 0 && renameat(dirfd, tmp, dirfd, name) == -1)
		error = -errno;
	if (error != 0)
		unlinkat(dirfd, tmp, 0);
	free(tmp);
	if (error != 0 || !durable)
		return (error);

	dir = (slash = strrchr(name, '/')) != NULL ?
	    xstrndup(name, slash - name) : xstrdup(".");
	if ((dfd = openat(dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC))
	    != -1) {
		if (fsync(dfd) == -1)
			error = -errno;
		close(dfd);
	}
	free(dir);
	return (error);
}

/* mkdir -p of path, relative to dirfd (or AT_FDCWD). */
int
file_mkdirs(int dirfd, const char *path, mode_t mode)
{
	struct stat	 st;
	char		*copy, *p;
	int		 error = 0;

	copy = xstrdup(path);
	for (p = copy; error == 0 && p != NULL; ) {
		if ((p = strchr(p + 1, '/')) != NULL)
			*p = '\0';
		if (mkdirat(dirfd, copy, mode) == -1 && (errno != EEXIST ||
		    fstatat(dirfd, copy, &st, 0) == -1 || !S_ISDIR(st.st_mode)))
			error = (errno == EEXIST ? -ENOTDIR : -errno);
		if (p != NULL)
			*p = '/';
	}
	free(copy);
	return (error);
}

static int
remove_entry(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	if (remove(path) == -1)
		log_warn("remove %s: %s", path, strerror(errno));
	return (0);
}

/* rm -r path; what cannot be removed is logged. */
void
file_remove_tree(const char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}
