/*
 * snapfs: options, start-up checks, then the FUSE session.
 *
 * Everything that can fail at start fails before the mount: a bad option,
 * a missing mount point, a location that cannot be listed.  The user gets
 * one line on stderr and a non-zero exit, and no half-mounted folder.
 */

#include <sys/stat.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <fuse_lowlevel.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "snapfs.h"

struct options {
	char	*location;
	char	*mountpoint;
	int	 foreground;
	int	 debug;
	int	 help;
	int	 version;
	int	 allow_other;
	char	*data;
	char	*endpoint;
	char	*region;
	int	 path_style;
	char	*credentials;
	char	*profile;
	char	*cafile;
	char	*list_chunk;
	char	*memory;
	char	*meta_memory;
	char	*cache_dir;
	char	*cache_size;
	char	*refresh;
	char	*history;
};

enum {
	KEY_FOREGROUND,
	KEY_DEBUG,
	KEY_HELP,
	KEY_VERSION,
	KEY_ALLOW_OTHER
};

#define OPT(t, p)	{ t, offsetof(struct options, p), 1 }
static const struct fuse_opt option_spec[] = {
	OPT("data=%s", data),
	OPT("endpoint=%s", endpoint),
	OPT("region=%s", region),
	OPT("path_style", path_style),
	OPT("credentials=%s", credentials),
	OPT("profile=%s", profile),
	OPT("cafile=%s", cafile),
	OPT("list_chunk=%s", list_chunk),
	OPT("memory=%s", memory),
	OPT("meta_memory=%s", meta_memory),
	OPT("cache_dir=%s", cache_dir),
	OPT("cache_size=%s", cache_size),
	OPT("refresh=%s", refresh),
	OPT("history=%s", history),
	FUSE_OPT_KEY("-f", KEY_FOREGROUND),
	FUSE_OPT_KEY("-d", KEY_DEBUG),
	FUSE_OPT_KEY("debug", KEY_DEBUG),
	FUSE_OPT_KEY("-h", KEY_HELP),
	FUSE_OPT_KEY("--help", KEY_HELP),
	FUSE_OPT_KEY("-V", KEY_VERSION),
	FUSE_OPT_KEY("--version", KEY_VERSION),
	FUSE_OPT_KEY("allow_other", KEY_ALLOW_OTHER),
	FUSE_OPT_END
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: snapfs [-dfhV] [-o option[,option...]] location "
	    "mountpoint\n");
}

static int
option_key(void *data, const char *arg, int key, struct fuse_args *out)
{
	struct options	*o = data;

	switch (key) {
	case FUSE_OPT_KEY_NONOPT:
		if (o->location == NULL)
			o->location = xstrdup(arg);
		else if (o->mountpoint == NULL)
			o->mountpoint = xstrdup(arg);
		else {
			fprintf(stderr, "snapfs: too many arguments: %s\n",
			    arg);
			return (-1);
		}
		return (0);
	case KEY_FOREGROUND:
		o->foreground = 1;
		return (0);
	case KEY_DEBUG:
		o->debug = o->foreground = 1;
		return (0);
	case KEY_HELP:
		o->help = 1;
		return (0);
	case KEY_VERSION:
		o->version = 1;
		return (0);
	case KEY_ALLOW_OTHER:
		o->allow_other = 1;
		return (1);
	}
	return (1);		/* a FUSE option: pass it on */
}

/* A size: a number with an optional K, M, G or T; -1 if not one. */
static int
parse_size(const char *s, uint64_t *size)
{
	char			*end;
	unsigned long long	 n;
	int			 shift = 0;

	if (*s < '0' || *s > '9')
		return (-1);
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno != 0)
		return (-1);
	switch (*end) {
	case 'T': case 't':
		shift += 10;
		/* FALLTHROUGH */
	case 'G': case 'g':
		shift += 10;
		/* FALLTHROUGH */
	case 'M': case 'm':
		shift += 10;
		/* FALLTHROUGH */
	case 'K': case 'k':
		shift += 10;
		end++;
		break;
	}
	if (*end != '\0' || n > (UINT64_MAX >> shift))
		return (-1);
	*size = (uint64_t)n << shift;
	return (0);
}

/* A decimal number from 0 to max. */
static int
parse_number(const char *s, long long max, long long *n)
{
	char	*end;

	if (*s < '0' || *s > '9')
		return (-1);
	errno = 0;
	*n = strtoll(s, &end, 10);
	return (errno != 0 || *end != '\0' || *n > max ? -1 : 0);
}

static void
changed(void *arg, const char *repo)
{
	fs_changed(arg, repo);
}

static int
no_entry(void *arg, const char *name, const struct tree_attr *a,
    uint64_t next)
{
	return (TREE_ENTRY_FULL);
}

int
main(int argc, char **argv)
{
	struct fuse_args		 args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_loop_config		*loop;
	struct fuse_session		*se;
	struct options			 o;
	struct broker_options		 bo;
	struct data_root		*data = NULL;
	struct snapfs			 fs;
	struct stat			 st;
	uint64_t			 memory = MEMORY_DEFAULT;
	uint64_t			 meta_memory = META_MEMORY_DEFAULT;
	uint64_t			 cache_size = CACHE_SIZE_DEFAULT;
	long long			 refresh = REFRESH_DEFAULT, list_chunk = 0;
	long long			 history = JOBS_HISTORY_DEFAULT;
	const void			*ops;
	char				*cause = NULL;
	size_t				 opsize;
	int				 error, status = 1;

	memset(&o, 0, sizeof o);
	memset(&fs, 0, sizeof fs);
	pthread_mutex_init(&fs.files_lock, NULL);
	memset(&bo, 0, sizeof bo);
	if (fuse_opt_parse(&args, &o, option_spec, option_key) == -1) {
		usage(stderr);
		goto out;
	}
	if (o.help || o.version) {
		if (o.help)
			usage(stdout);
		printf("snapfs %s; see snapfs(8) for the options\n",
		    SNAPFS_VERSION);
		status = 0;
		goto out;
	}
	if (o.location == NULL || o.mountpoint == NULL) {
		usage(stderr);
		goto out;
	}
	log_open(true, o.debug);
	if (stat(o.mountpoint, &st) == -1)
		error = errno;
	else
		error = S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
	if (error == 0 &&
	    (fs.mountpoint = realpath(o.mountpoint, NULL)) == NULL)
		error = errno;
	if (error != 0) {
		fprintf(stderr, "snapfs: %s: %s\n", o.mountpoint,
		    strerror(error));
		goto out;
	}
	if (broker_is_local(o.location) && (o.endpoint != NULL ||
	    o.region != NULL || o.path_style || o.credentials != NULL ||
	    o.profile != NULL || o.cafile != NULL || o.list_chunk != NULL)) {
		fprintf(stderr, "snapfs: %s: S3 and Azure options need an "
		    "s3://, oss://, cos://, obs://, gs://, https:// or abfs:// "
		    "location\n", o.location);
		goto out;
	}
	if (o.list_chunk != NULL && (parse_number(o.list_chunk, 5000,
	    &list_chunk) == -1 || list_chunk < 1)) {
		fprintf(stderr, "snapfs: list_chunk=%s: not a number from 1 "
		    "to 5000\n", o.list_chunk);
		goto out;
	}
	if (o.memory != NULL && (parse_size(o.memory, &memory) == -1 ||
	    memory < MEMORY_MIN || memory > SIZE_MAX)) {
		fprintf(stderr, "snapfs: memory=%s: not a size of 1M or "
		    "more\n", o.memory);
		goto out;
	}
	if (o.meta_memory != NULL && (parse_size(o.meta_memory,
	    &meta_memory) == -1 || (meta_memory != 0 &&
	    meta_memory < MEMORY_MIN) || meta_memory > SIZE_MAX)) {
		fprintf(stderr, "snapfs: meta_memory=%s: not 0 or a size of "
		    "1M or more\n", o.meta_memory);
		goto out;
	}
	if (o.cache_size != NULL && (o.cache_dir == NULL ||
	    parse_size(o.cache_size, &cache_size) == -1)) {
		fprintf(stderr, "snapfs: cache_size=%s: %s\n", o.cache_size,
		    o.cache_dir == NULL ? "needs cache_dir=" : "not a size");
		goto out;
	}
	if (o.refresh != NULL && parse_number(o.refresh, 366 * 86400,
	    &refresh) == -1) {	/* up to a year */
		fprintf(stderr, "snapfs: refresh=%s: not a number of seconds\n",
		    o.refresh);
		goto out;
	}
	if (o.history != NULL && (parse_number(o.history, 1000000,
	    &history) == -1 || history < 1)) {
		fprintf(stderr, "snapfs: history=%s: not a number from 1 to "
		    "1000000\n", o.history);
		goto out;
	}
	bo.endpoint = o.endpoint;
	bo.region = o.region;
	bo.path_style = o.path_style;
	bo.credentials = o.credentials;
	bo.profile = o.profile;
	bo.cafile = o.cafile;
	bo.list_chunk = (int)list_chunk;
	if ((error = broker_open(o.location, &bo, &fs.broker, &cause)) != 0) {
		fprintf(stderr, "snapfs: %s\n", cause);
		free(cause);
		goto out;
	}
	if (o.data != NULL) {
		if ((error = dataroot_open(o.data, &data, &cause)) != 0) {
			fprintf(stderr, "snapfs: %s\n", cause);
			free(cause);
			goto out;
		}
	}
	fs.view = view_create(fs.broker);
	fs.jobs = jobs_create(fs.broker, data, fs.view, (size_t)history,
	    changed, &fs);
	fs.uid = getuid();
	fs.gid = getgid();
	fs.tree = tree_create(ns_load, &fs);
	tree_budget(fs.tree, meta_memory);
	fs.cache = cache_create(fs.broker, fs.tree, memory);
	if (o.cache_dir != NULL && (error = cache_disk(fs.cache, o.cache_dir,
	    cache_size, &cause)) != 0) {
		fprintf(stderr, "snapfs: cache_dir=%s\n", cause);
		free(cause);
		goto out;
	}
	fs.hdrtext = hdrtext_create(fs.cache, fs.tree, meta_memory / 8);
	if ((error = tree_readdir(fs.tree, 1, 0, no_entry, NULL,
	    NULL)) != 0) {
		fprintf(stderr, "snapfs: %s: cannot list: %s\n", o.location,
		    strerror(-error));
		goto out;
	}

	fuse_opt_add_arg(&args, "-ofsname=snapfs,subtype=snapfs");
	if (o.allow_other)
		fuse_opt_add_arg(&args, "-odefault_permissions");
	ops = fs_ops(&opsize);
	if ((se = fuse_session_new(&args, ops, opsize, &fs)) == NULL)
		goto out;
	if (fuse_set_signal_handlers(se) != 0)
		goto out_session;
	if (fuse_session_mount(se, o.mountpoint) != 0)
		goto out_signals;
	fs.session = se;
	if (fuse_daemonize(o.foreground) != 0)
		goto out_unmount;
	/* Threads started before the fork would not be in the daemon. */
	broker_start(fs.broker);
	jobs_start(fs.jobs);
	fs_notify_start(&fs);
	tree_refresh_setup(fs.tree, (time_t)refresh, fs_notify, &fs);
	log_open(o.foreground, o.debug);
	log_info("mounted %s on %s", o.location, o.mountpoint);

	loop = fuse_loop_cfg_create();
	fuse_loop_cfg_set_max_threads(loop, 16);
	fuse_loop_cfg_set_idle_threads(loop, 16);
	/* libfuse gives the number of the signal that stopped the loop. */
	error = fuse_session_loop_mt(se, loop);
	fuse_loop_cfg_destroy(loop);
	if (error == SIGTERM || error == SIGINT || error == SIGHUP) {
		log_info("%s: unmounting %s", strsignal(error), o.mountpoint);
		status = 0;
	} else {
		log_info("unmounting %s", o.mountpoint);
		status = error == 0 ? 0 : 1;
	}

out_unmount:
	jobs_free(fs.jobs);
	fs.jobs = NULL;
	tree_refresh_setup(fs.tree, (time_t)refresh, NULL, NULL);
	fs_notify_stop(&fs);
	fs.session = NULL;
	fuse_session_unmount(se);
out_signals:
	fuse_remove_signal_handlers(se);
out_session:
	fuse_session_destroy(se);
out:
	fs_close_all(&fs);
	jobs_free(fs.jobs);
	dataroot_close(data);
	hdrtext_free(fs.hdrtext);
	cache_free(fs.cache);
	tree_free(fs.tree);
	view_free(fs.view);
	broker_close(fs.broker);
	fuse_opt_free_args(&args);
	free(o.location);
	free(o.mountpoint);
	free(fs.mountpoint);
	free(o.data);
	free(o.endpoint);
	free(o.region);
	free(o.credentials);
	free(o.profile);
	free(o.memory);
	free(o.meta_memory);
	free(o.cache_dir);
	free(o.cache_size);
	free(o.refresh);
	free(o.history);
	free(o.cafile);
	free(o.list_chunk);
	return (status);
}
