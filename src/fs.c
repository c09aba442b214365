/*
 * The FUSE low-level operations.  Each one asks the tree or the cache for
 * an answer, which never replies itself, and then replies exactly once.
 * This file knows FUSE and nothing of Doris.
 *
 * What never changes (everything inside a snapshot) is given to the kernel
 * with timeouts of a year and keep_cache, so ls -l, find and a second
 * rsync are answered from the kernel's caches; what can change (the top
 * level, a repository's list of snapshots, stats.json) gets one second.
 * When a listing changes (tree_refresh_setup), the kernel is told by the
 * notifier thread, never from a request: it may hold the folder's lock.
 * SIGHUP and a line written to ctl/refresh make listings stale.
 */

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "snapfs.h"

#define TIMEOUT_FOREVER	(365.0 * 24 * 3600)
#define TIMEOUT_SHORT	1.0
#define READ_AHEAD_KB	1024		/* FUSE's largest read request */
#define BLOCK_SIZE	131072
#define FS_NOTES_MAX	65536	/* queued for the kernel to forget */

/* What an open file or text is; in fi->fh. */
struct fs_file {
	struct fs_file	*next, **prevp;	/* in fs->files */
	struct handle	*handle;	/* a storage object */
	char		*text;		/* or generated text */
	size_t		 len;
	struct buf	 line;		/* a control file: what is written */
	uint32_t	 kind;		/* a control file: its request kind */
};

#define CTL_LINE_MAX	(64 * 1024)

/*
 * What an interrupted request stops (its caller got a signal): the work
 * it started sees its flag, and its waits, on a read's handle or for a
 * tablet header, end.
 */
struct fs_abort {
	volatile bool	 set;
	struct snapfs	*fs;
	struct handle	*handle;	/* a read's, or NULL */
};

static struct snapfs *
fs_of(fuse_req_t req)
{
	return (fuse_req_userdata(req));
}

/* Only the mounting user and root may start jobs. */
static bool
allowed(fuse_req_t req, struct snapfs *fs)
{
	const struct fuse_ctx	*ctx = fuse_req_ctx(req);

	return (ctx->uid == 0 || ctx->uid == fs->uid);
}

/*
 * Immutable: for ever.  A folder that can change: a second.  A file that
 * can change (snapshots.tsv, stats.json, job files): not at all, and it
 * is read with direct_io, so that a stale size never cuts it short.
 */
static double
timeout_of(const struct tree_attr *a)
{
	if (a->immutable)
		return (TIMEOUT_FOREVER);
	return (a->type == NODE_DIR ? TIMEOUT_SHORT : 0);
}

static void
fill_stat(struct snapfs *fs, const struct tree_attr *a, struct stat *st)
{
	char	*text;
	size_t	 len = a->size;
	int64_t	 mtime;

	memset(st, 0, sizeof *st);
	st->st_ino = a->ino;
	mtime = a->mtime;
	if (a->type == NODE_DYNAMIC) {
		text = ns_text(fs, a->aux, &len, &mtime);
		free(text);
	}
	if (a->type == NODE_DYNAMIC && mtime == 0)	/* changes as read */
		clock_gettime(CLOCK_REALTIME, &st->st_mtim);
	else {
		st->st_mtim.tv_sec = mtime / 1000000000;
		st->st_mtim.tv_nsec = mtime % 1000000000;
	}
	if (a->type == NODE_DIR)
		st->st_mode = S_IFDIR | 0555;
	else if (a->type == NODE_CTL) {
		st->st_mode = S_IFREG | 0200;
		len = 0;
	} else
		st->st_mode = S_IFREG | (a->private ? 0400 : 0444);
	st->st_size = a->type == NODE_DIR ? 0 : len;
	st->st_nlink = 1;
	st->st_uid = fs->uid;
	st->st_gid = fs->gid;
	st->st_blksize = BLOCK_SIZE;
	st->st_blocks = (st->st_size + 511) / 512;
	st->st_atim = st->st_ctim = st->st_mtim;
}

/* A tablet.txt shows the size of its text, made if abort is given. */
static int
tablet_size(struct snapfs *fs, struct tree_attr *a, volatile bool *abort)
{
	if (a->type != NODE_TABLET)
		return (0);
	return (hdrtext_get(fs->hdrtext, a->ino, abort != NULL, NULL,
	    &a->size, abort));
}

static void
fill_entry(struct snapfs *fs, const struct tree_attr *a,
    struct fuse_entry_param *e)
{
	memset(e, 0, sizeof *e);
	e->ino = a->ino;
	e->generation = 1;
	e->attr_timeout = e->entry_timeout = timeout_of(a);
	fill_stat(fs, a, &e->attr);
}

/* Undo mountinfo's octal escapes (\040 for a space) in place. */
static void
unescape_octal(char *s)
{
	char	*d = s;

	for (; *s != '\0'; s++, d++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*d = (s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0');
			s += 3;
		} else
			*d = *s;
	}
	*d = '\0';
}

/*
 * The kernel reads a file ahead 128 KiB at a time: let it read ahead
 * READ_AHEAD_KB, the largest request FUSE takes, so that a sequential
 * read costs an eighth of the requests (a cold cat on loopback: 7-10%
 * more MB/s for 10% less of the daemon's CPU).  The setting belongs to
 * the mount (its bdi, found in mountinfo) and goes with it; only root may
 * change it.  0, or -1 when it stays as it was.
 */
static int
raise_read_ahead(const char *mountpoint)
{
	FILE		*f;
	char		*line = NULL, path[PATH_MAX], sys[64] = "";
	size_t		 size = 0;
	unsigned	 major, minor;
	int		 fd, n;

	if ((f = fopen("/proc/self/mountinfo", "re")) == NULL)
		return (-1);
	/* The last mount on the mount point is ours. */
	while (getline(&line, &size, f) != -1) {
		if (sscanf(line, "%*s %*s %u:%u %*s %4095s", &major, &minor,
		    path) != 3 || strstr(line, " - fuse") == NULL)
			continue;
		unescape_octal(path);
		if (strcmp(path, mountpoint) == 0)
			snprintf(sys, sizeof sys,
			    "/sys/class/bdi/%u:%u/read_ahead_kb", major, minor);
	}
	free(line);
	fclose(f);
	if (sys[0] == '\0') {
		log_debug("read-ahead stays: %s is not in mountinfo",
		    mountpoint);
		return (-1);
	}
	if ((fd = open(sys, O_WRONLY | O_CLOEXEC)) == -1) {
		log_debug("read-ahead stays: %s: %s", sys, strerror(errno));
		return (-1);
	}
	n = dprintf(fd, "%d\n", READ_AHEAD_KB);
	close(fd);
	return (n > 0 ? 0 : -1);
}

/*
 * Before the reply: the kernel keeps the smaller of its read-ahead and the
 * one replied.
 */
static void
fs_init(void *arg, struct fuse_conn_info *conn)
{
	struct snapfs	*fs = arg;

	if (raise_read_ahead(fs->mountpoint) == 0)
		conn->max_readahead = READ_AHEAD_KB * 1024;
	if (conn->capable & FUSE_CAP_READDIRPLUS)
		conn->want |= FUSE_CAP_READDIRPLUS;
	conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;
	if (conn->capable & FUSE_CAP_PARALLEL_DIROPS)
		conn->want |= FUSE_CAP_PARALLEL_DIROPS;
	if (conn->capable & FUSE_CAP_NO_OPENDIR_SUPPORT)
		conn->want |= FUSE_CAP_NO_OPENDIR_SUPPORT;
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
}

static void
fs_interrupt(fuse_req_t req, void *arg)
{
	struct fs_abort	*a = arg;

	a->set = true;
	if (a->handle != NULL)
		cache_wake(a->fs->cache, a->handle);
	hdrtext_wake(a->fs->hdrtext);
}

/*
 * Until abort_end, an INTERRUPT of req sets the flag returned, which the
 * work req starts is given.  abort_end comes before the reply.
 */
static volatile bool *
abort_begin(fuse_req_t req, struct fs_abort *a, struct handle *h)
{
	a->set = false;
	a->fs = fs_of(req);
	a->handle = h;
	fuse_req_interrupt_func(req, fs_interrupt, a);
	return (&a->set);
}

static void
abort_end(fuse_req_t req)
{
	fuse_req_interrupt_func(req, NULL, NULL);
}

static void
fs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct snapfs		*fs = fs_of(req);
	struct fuse_entry_param	 e;
	struct tree_attr	 a, pa;
	struct fs_abort		 ab;
	volatile bool		*abort;
	int			 error;

	/* A listing this needs stops when the caller is killed. */
	abort = abort_begin(req, &ab, NULL);
	if ((error = tree_lookup(fs->tree, parent, name, &a, abort)) == 0) {
		/* Counted at once: the node stays while this goes on. */
		tree_ref(fs->tree, a.ino);
		if (a.type == NODE_DIR && (error = tree_refresh(fs->tree,
		    a.ino, abort)) == 0)
			error = tree_getattr(fs->tree, a.ino, &a);
		if (error == 0)
			error = tablet_size(fs, &a, abort);
		if (error != 0)
			tree_forget(fs->tree, a.ino, 1);
	}
	abort_end(req);
	if (error == -ENOENT && tree_getattr(fs->tree, parent, &pa) == 0) {
		/* Remember the miss as long as the folder stays the same. */
		memset(&e, 0, sizeof e);
		e.entry_timeout = timeout_of(&pa);
		fuse_reply_entry(req, &e);
		return;
	}
	if (error != 0) {
		fuse_reply_err(req, -error);
		return;
	}
	fill_entry(fs, &a, &e);
	fuse_reply_entry(req, &e);
}

/* The kernel forgot a node: it may be freed (tree.c). */
static void
fs_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	tree_forget(fs_of(req)->tree, ino, nlookup);
	fuse_reply_none(req);
}

static void
fs_forget_multi(fuse_req_t req, size_t count,
    struct fuse_forget_data *forgets)
{
	size_t	i;

	for (i = 0; i < count; i++)
		tree_forget(fs_of(req)->tree, forgets[i].ino,
		    forgets[i].nlookup);
	fuse_reply_none(req);
}

static void
fs_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct snapfs		*fs = fs_of(req);
	struct tree_attr	 a;
	struct stat		 st;
	struct fs_abort		 ab;
	int			 error;

	if ((error = tree_getattr(fs->tree, ino, &a)) == 0) {
		abort_begin(req, &ab, NULL);
		/* A folder whose listing is old is listed again now. */
		if (a.type == NODE_DIR &&
		    (error = tree_refresh(fs->tree, ino, &ab.set)) == 0)
			error = tree_getattr(fs->tree, ino, &a);
		if (error == 0)
			error = tablet_size(fs, &a, &ab.set);
		abort_end(req);
	}
	if (error != 0) {
		fuse_reply_err(req, -error);
		return;
	}
	fill_stat(fs, &a, &st);
	fuse_reply_attr(req, &st, timeout_of(&a));
}

/*
 * No opendir: the kernel then sends no OPENDIR and RELEASEDIR at all, half
 * the requests of a find(1), and caches every folder's entries, dropping
 * them when the folder's mtime changes.
 */
static void
fs_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	fuse_reply_err(req, ENOSYS);
}

struct dirbuf {
	fuse_req_t	 req;
	struct snapfs	*fs;
	char		*p;
	size_t		 size;
	size_t		 used;
	bool		 plus;
};

static int
dirbuf_add(void *arg, const char *name, const struct tree_attr *a,
    uint64_t next)
{
	struct dirbuf		*d = arg;
	struct fuse_entry_param	 e;
	struct tree_attr	 ta = *a;
	size_t			 n;

	if (tablet_size(d->fs, &ta, NULL) != 0) {
		/* No attributes yet: the kernel looks it up when asked. */
		memset(&e, 0, sizeof e);
		e.attr.st_ino = a->ino;
		e.attr.st_mode = S_IFREG;
	} else
		fill_entry(d->fs, &ta, &e);
	if (d->plus)
		n = fuse_add_direntry_plus(d->req, d->p + d->used,
		    d->size - d->used, name, &e, next + 2);
	else
		n = fuse_add_direntry(d->req, d->p + d->used,
		    d->size - d->used, name, &e.attr, next + 2);
	if (n > d->size - d->used)
		return (TREE_ENTRY_FULL);
	d->used += n;
	return (d->plus && e.ino != 0 ? TREE_ENTRY_LOOKED_UP :
	    TREE_ENTRY_ADDED);
}

/* "." and ".." are followed by offsets 1 and 2, child k by k + 3. */
static void
fs_do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    bool plus)
{
	struct dirbuf		 d;
	struct fuse_entry_param	 e;
	struct fs_abort		 ab;
	const char		*dots[] = { ".", ".." };
	size_t			 n;
	int			 error;

	d.req = req;
	d.fs = fs_of(req);
	d.p = xmalloc(size);
	d.size = size;
	d.used = 0;
	d.plus = plus;
	for (; off < 2; off++) {
		memset(&e, 0, sizeof e);
		e.attr.st_ino = off == 0 ? ino : 1;
		e.attr.st_mode = S_IFDIR;
		n = plus ? fuse_add_direntry_plus(req, d.p + d.used,
		    size - d.used, dots[off], &e, off + 1) :
		    fuse_add_direntry(req, d.p + d.used, size - d.used,
		    dots[off], &e.attr, off + 1);
		if (n > size - d.used)
			break;
		d.used += n;
	}
	error = 0;
	if (off >= 2) {
		error = tree_readdir(d.fs->tree, ino, off - 2, dirbuf_add,
		    &d, abort_begin(req, &ab, NULL));
		abort_end(req);
	}
	if (error != 0)
		fuse_reply_err(req, -error);
	else
		fuse_reply_buf(req, d.p, d.used);
	free(d.p);
}

static void
fs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	fs_do_readdir(req, ino, size, off, false);
}

static void
fs_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	fs_do_readdir(req, ino, size, off, true);
}

static void
fs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct snapfs		*fs = fs_of(req);
	struct tree_attr	 a;
	struct fs_file		*f;
	struct fs_abort		 ab;
	volatile bool		*abort;
	int			 error;

	if ((error = tree_getattr(fs->tree, ino, &a)) != 0) {
		fuse_reply_err(req, -error);
		return;
	}
	if (a.type == NODE_CTL)
		error = allowed(req, fs) ? 0 : -EACCES;
	if (error == 0 && (fi->flags & O_ACCMODE) != (a.type == NODE_CTL ?
	    O_WRONLY : O_RDONLY))
		error = a.type == NODE_CTL ? -EACCES : -EROFS;
	if (error != 0) {
		fuse_reply_err(req, -error);
		return;
	}
	f = xcalloc(1, sizeof *f);
	buf_init(&f->line, CTL_LINE_MAX);
	abort = abort_begin(req, &ab, NULL);
	switch (a.type) {
	case NODE_DIR:
		error = -EISDIR;
		break;
	case NODE_FILE:
		error = cache_open(fs->cache, ino, abort, &f->handle);
		break;
	case NODE_TEXT:
		error = tree_text(fs->tree, ino, &f->text, &f->len);
		fi->direct_io = !a.immutable;
		break;
	case NODE_TABLET:
		error = hdrtext_get(fs->hdrtext, ino, true, &f->text, &f->len,
		    abort);
		break;
	case NODE_DYNAMIC:
		f->text = ns_text(fs, a.aux, &f->len, NULL);
		fi->direct_io = 1;
		break;
	case NODE_CTL:
		f->kind = a.aux;
		fi->direct_io = 1;
		fi->nonseekable = 1;
		break;
	}
	abort_end(req);
	if (error != 0) {
		free(f);
		fuse_reply_err(req, -error);
		return;
	}
	fi->keep_cache = a.immutable && (f->handle == NULL ||
	    cache_keep(fs->cache, f->handle));
	fi->fh = (uintptr_t)f;
	pthread_mutex_lock(&fs->files_lock);
	if ((f->next = fs->files) != NULL)
		f->next->prevp = &f->next;
	f->prevp = &fs->files;
	fs->files = f;
	pthread_mutex_unlock(&fs->files_lock);
	fuse_reply_open(req, fi);
}

static void
fs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	struct snapfs	*fs = fs_of(req);
	struct fs_file	*f = (struct fs_file *)(uintptr_t)fi->fh;
	struct handle	*h = f->handle;
	struct fs_abort	 ab;
	char		*p;
	ssize_t		 n;

	/*
	 * Reply from a buffer of this request's own: once the reply is
	 * written, the reader may close and a RELEASE on another thread
	 * free the file before writev() has returned here (the handle
	 * waits for cache_digest).
	 */
	p = xmalloc(size);
	if (h == NULL) {
		n = (size_t)off >= f->len ? 0 : f->len - off;
		if ((size_t)n > size)
			n = size;
		if (n > 0)
			memcpy(p, f->text + off, n);
	} else {
		/* A reader that is killed stops waiting for the network. */
		n = cache_read_early(fs->cache, h, p, size, off,
		    abort_begin(req, &ab, h));
		abort_end(req);
	}
	if (n < 0)
		fuse_reply_err(req, -n);
	else
		fuse_reply_buf(req, p, n);
	/* The md5 of these bytes, once the reader has them. */
	if (h != NULL)
		cache_digest(fs->cache, h, p, n, off);
	free(p);
}

static void
file_close(struct snapfs *fs, struct fs_file *f)
{
	pthread_mutex_lock(&fs->files_lock);
	if ((*f->prevp = f->next) != NULL)
		f->next->prevp = f->prevp;
	pthread_mutex_unlock(&fs->files_lock);
	cache_close(fs->cache, f->handle);
	free(f->text);
	buf_free(&f->line);
	free(f);
}

static void
fs_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	file_close(fs_of(req), (struct fs_file *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

/* After the session: files whose release never came (a signal ended it). */
void
fs_close_all(struct snapfs *fs)
{
	while (fs->files != NULL)
		file_close(fs, fs->files);
}

/*
 * ctl/refresh: list a repository (or, for an empty line, everything) again
 * when it is next looked at.
 */
static int
refresh_line(struct snapfs *fs, const char *line, size_t len)
{
	struct tree_attr	 a;
	char			*name, *why;
	int			 error = 0;

	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\r'))
		len--;
	while (len > 0 && *line == ' ')
		line++, len--;
	if (len == 0) {
		tree_stale(fs->tree, 0);
		jobs_refuse(fs->jobs, NULL);
		return (0);
	}
	name = xstrndup(line, len);
	/* A repository made since the root was listed is found too. */
	tree_stale(fs->tree, 1);
	if (strchr(name, '/') != NULL || name[0] == '.' ||
	    tree_lookup(fs->tree, 1, name, &a, NULL) != 0 ||
	    a.type != NODE_DIR || strcmp(name, "ctl") == 0 ||
	    strcmp(name, "jobs") == 0) {
		xasprintf(&why, "unknown repository %s", name);
		jobs_refuse(fs->jobs, why);
		free(why);
		error = -ENOENT;
	} else {
		tree_stale(fs->tree, a.ino);
		jobs_refuse(fs->jobs, NULL);
	}
	free(name);
	return (error);
}

/*
 * Submit the line in f if it is complete (or all is set: the file is
 * closed); -errno when it is refused.  A write holds one line at most:
 * one that holds more is refused whole and starts nothing, so that a
 * write that fails has started no job.
 */
static int
submit_line(struct snapfs *fs, struct fs_file *f, bool all)
{
	const char	*end = f->line.data + f->line.len, *nl, *p;
	char		*cause = NULL;
	int		 error = 0;

	if (f->line.len == 0 ||
	    ((nl = memchr(f->line.data, '\n', f->line.len)) == NULL && !all))
		return (0);
	for (p = nl != NULL ? nl : end; p < end && *p == '\n'; p++)
		;
	if (p != end) {
		jobs_refuse(fs->jobs, "one line per write: this write holds "
		    "more than one");
		error = -EINVAL;
	} else if (f->kind == CTL_REFRESH)
		error = refresh_line(fs, f->line.data, nl != NULL ?
		    (size_t)(nl - f->line.data) : f->line.len);
	else if ((error = jobs_submit(fs->jobs, f->kind, f->line.data,
	    nl != NULL ? (size_t)(nl - f->line.data) : f->line.len,
	    &cause)) != 0) {
		log_warn("refused: %s", cause);
		free(cause);
	}
	f->line.len = 0;
	return (error);
}

static void
fs_write(fuse_req_t req, fuse_ino_t ino, const char *p, size_t size,
    off_t off, struct fuse_file_info *fi)
{
	struct snapfs	*fs = fs_of(req);
	struct fs_file	*f = (struct fs_file *)(uintptr_t)fi->fh;
	char		 why[64];
	int		 error;

	if (buf_add(&f->line, p, size) != 0) {
		f->line.len = 0;
		snprintf(why, sizeof why, "line longer than %d bytes",
		    CTL_LINE_MAX);
		jobs_refuse(fs->jobs, why);
		fuse_reply_err(req, EINVAL);
		return;
	}
	if ((error = submit_line(fs, f, false)) != 0)
		fuse_reply_err(req, -error);
	else
		fuse_reply_write(req, size);
}

/* A last line without a newline is submitted when the file is closed. */
static void
fs_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs_file	*f = (struct fs_file *)(uintptr_t)fi->fh;

	fuse_reply_err(req, -submit_line(fs_of(req), f, true));
}

static void
fs_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs	st;

	memset(&st, 0, sizeof st);
	st.f_bsize = BLOCK_SIZE;
	st.f_frsize = 512;
	st.f_files = tree_nodes(fs_of(req)->tree);
	st.f_namemax = NAME_MAX_BYTES;
	st.f_flag = ST_RDONLY;
	fuse_reply_statfs(req, &st);
}

static void
fs_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	struct snapfs		*fs = fs_of(req);
	struct tree_attr	 a;

	if (tree_getattr(fs->tree, ino, &a) == 0 && a.type == NODE_CTL)
		fuse_reply_err(req, (mask & (R_OK | X_OK)) != 0 ||
		    !allowed(req, fs) ? EACCES : 0);
	else
		fuse_reply_err(req, (mask & W_OK) ? EROFS : 0);
}

/* Every change to the tree is refused. */
static void
fs_rofs_entry(fuse_req_t req, fuse_ino_t parent, const char *name,
    mode_t mode, dev_t rdev)
{
	fuse_reply_err(req, EROFS);
}

static void
fs_rofs_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
    mode_t mode)
{
	fuse_reply_err(req, EROFS);
}

static void
fs_rofs_name(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	fuse_reply_err(req, EROFS);
}

static void
fs_rofs_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
    const char *name)
{
	fuse_reply_err(req, EROFS);
}

static void
fs_rofs_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
    fuse_ino_t newparent, const char *newname, unsigned int flags)
{
	fuse_reply_err(req, EROFS);
}

static void
fs_rofs_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
    const char *newname)
{
	fuse_reply_err(req, EROFS);
}

/* Only "truncating" a control file, as a shell's > does, is allowed. */
static void
fs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
    struct fuse_file_info *fi)
{
	struct snapfs		*fs = fs_of(req);
	struct tree_attr	 a;
	struct stat		 st;

	if (tree_getattr(fs->tree, ino, &a) != 0 || a.type != NODE_CTL ||
	    (to_set & ~(FUSE_SET_ATTR_SIZE | FUSE_SET_ATTR_MTIME |
	    FUSE_SET_ATTR_MTIME_NOW | FUSE_SET_ATTR_CTIME)) != 0) {
		fuse_reply_err(req, EROFS);
		return;
	}
	if (!allowed(req, fs)) {
		fuse_reply_err(req, EACCES);
		return;
	}
	fill_stat(fs, &a, &st);
	fuse_reply_attr(req, &st, 0);
}

static void
fs_rofs_create(fuse_req_t req, fuse_ino_t parent, const char *name,
    mode_t mode, struct fuse_file_info *fi)
{
	fuse_reply_err(req, EROFS);
}

static void
fs_rofs_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
    const char *value, size_t size, int flags)
{
	fuse_reply_err(req, EROFS);
}

static void
fs_rofs_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	fuse_reply_err(req, EROFS);
}

static const struct fuse_lowlevel_ops fs_lowlevel_ops = {
	.init = fs_init,
	.lookup = fs_lookup,
	.forget = fs_forget,
	.forget_multi = fs_forget_multi,
	.getattr = fs_getattr,
	.setattr = fs_setattr,
	.mknod = fs_rofs_entry,
	.mkdir = fs_rofs_mkdir,
	.unlink = fs_rofs_name,
	.rmdir = fs_rofs_name,
	.symlink = fs_rofs_symlink,
	.rename = fs_rofs_rename,
	.link = fs_rofs_link,
	.open = fs_open,
	.read = fs_read,
	.write = fs_write,
	.flush = fs_flush,
	.release = fs_release,
	.opendir = fs_opendir,
	.readdir = fs_readdir,
	.readdirplus = fs_readdirplus,
	.statfs = fs_statfs,
	.access = fs_access,
	.create = fs_rofs_create,
	.setxattr = fs_rofs_setxattr,
	.removexattr = fs_rofs_removexattr,
};

const void *
fs_ops(size_t *size)
{
	*size = sizeof fs_lowlevel_ops;
	return (&fs_lowlevel_ops);
}

/*
 * A job changed what a folder holds: the repository named repo (the root,
 * when a repository was created), or /jobs when repo is NULL.  A
 * repository is listed again now, /jobs on its next access; the kernel is
 * told.  A new job is told before the write of its line returns, not by
 * the notifier: whoever wrote the line lists /jobs next and must find it
 * there.  Forgetting a folder's listing takes no lock that a request may
 * hold (forgetting a name would take the folder's).
 */
void
fs_changed(struct snapfs *fs, const char *repo)
{
	struct tree_attr	a;

	if (repo == NULL) {
		if (tree_lookup(fs->tree, 1, "jobs", &a, NULL) == 0) {
			tree_reload(fs->tree, a.ino);
			fuse_lowlevel_notify_inval_inode(fs->session, a.ino,
			    0, 0);
		}
		return;
	}
	if (tree_lookup(fs->tree, 1, repo, &a, NULL) != 0 ||
	    a.type != NODE_DIR)
		a.ino = 1;
	tree_relist(fs->tree, a.ino);
}

/*
 * The notifier: what the kernel is to forget, queued here and told it by
 * a thread of its own; and SIGHUP, which makes every listing stale.
 */
struct fs_note {
	struct fs_note	*next;
	uint64_t	 parent;
	char		*name;		/* NULL: the folder itself */
};

struct fs_notifier {
	pthread_t	 thread;
	pthread_mutex_t	 lock;		/* the fields below */
	pthread_cond_t	 cond;
	struct fs_note	*head;
	struct fs_note	**tail;
	size_t		 count;		/* queued */
	bool		 full;		/* since the queue was last empty */
	bool		 quit;
};

static volatile sig_atomic_t	fs_hup;

static void
fs_on_hup(int sig)
{
	fs_hup = 1;
}

/*
 * Tell the kernel to forget parent's name (NULL: parent's own caches).
 * Past FS_NOTES_MAX queued (the kernel does not take them: a folder's
 * lock held for long), a note is dropped: what can change is kept by the
 * kernel for TIMEOUT_SHORT only.
 */
void
fs_notify(void *arg, uint64_t parent, const char *name)
{
	struct snapfs		*fs = arg;
	struct fs_notifier	*nt = fs->notifier;
	struct fs_note		*n;

	if (nt == NULL)
		return;
	pthread_mutex_lock(&nt->lock);
	if (nt->count == FS_NOTES_MAX) {
		if (!nt->full)
			log_warn("the kernel takes no notes: %d are queued, "
			    "more are dropped", FS_NOTES_MAX);
		nt->full = true;
		pthread_mutex_unlock(&nt->lock);
		return;
	}
	n = xcalloc(1, sizeof *n);
	n->parent = parent;
	n->name = name != NULL ? xstrdup(name) : NULL;
	*nt->tail = n;
	nt->tail = &n->next;
	nt->count++;
	pthread_cond_signal(&nt->cond);
	pthread_mutex_unlock(&nt->lock);
}

static void *
notifier(void *arg)
{
	struct snapfs		*fs = arg;
	struct fs_notifier	*nt = fs->notifier;
	struct fs_note		*n;
	struct timespec		 ts;

	pthread_mutex_lock(&nt->lock);
	while (!nt->quit) {
		if (fs_hup) {
			fs_hup = 0;
			log_info("SIGHUP: listing everything again");
			pthread_mutex_unlock(&nt->lock);
			tree_stale(fs->tree, 0);
			pthread_mutex_lock(&nt->lock);
			continue;
		}
		if ((n = nt->head) == NULL) {
			nt->full = false;
			deadline_in(&ts, 1000);	/* SIGHUP seen within 1 s */
			pthread_cond_timedwait(&nt->cond, &nt->lock, &ts);
			continue;
		}
		if ((nt->head = n->next) == NULL)
			nt->tail = &nt->head;
		nt->count--;
		pthread_mutex_unlock(&nt->lock);
		if (n->name != NULL)
			fuse_lowlevel_notify_inval_entry(fs->session,
			    n->parent, n->name, strlen(n->name));
		else
			fuse_lowlevel_notify_inval_inode(fs->session,
			    n->parent, 0, 0);
		free(n->name);
		free(n);
		pthread_mutex_lock(&nt->lock);
	}
	pthread_mutex_unlock(&nt->lock);
	return (NULL);
}

/* Start the notifier once the session is mounted; SIGHUP refreshes. */
void
fs_notify_start(struct snapfs *fs)
{
	struct fs_notifier	*nt;
	struct sigaction	 sa;

	nt = xcalloc(1, sizeof *nt);
	pthread_mutex_init(&nt->lock, NULL);
	pthread_cond_init(&nt->cond, NULL);
	nt->tail = &nt->head;
	fs->notifier = nt;
	if (pthread_create(&nt->thread, NULL, notifier, fs) != 0)
		fatal("pthread_create");
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fs_on_hup;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
}

void
fs_notify_stop(struct snapfs *fs)
{
	struct fs_notifier	*nt = fs->notifier;
	struct fs_note		*n;

	if (nt == NULL)
		return;
	pthread_mutex_lock(&nt->lock);
	nt->quit = true;
	pthread_cond_signal(&nt->cond);
	pthread_mutex_unlock(&nt->lock);
	pthread_join(nt->thread, NULL);
	fs->notifier = NULL;
	while ((n = nt->head) != NULL) {
		nt->head = n->next;
		free(n->name);
		free(n);
	}
	pthread_cond_destroy(&nt->cond);
	pthread_mutex_destroy(&nt->lock);
	free(nt);
}
