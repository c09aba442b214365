/*
 * A snapshot's objects in its repository, for restore, verify and drop:
 * the folder __ss_<label>/ holds one __info_<timestamp>.<md5> per backup
 * run, one __meta.<md5> and the __ss_content tree.  snap_find lists the
 * folder once and picks the info asked for (a timestamp, else the
 * newest); snap_read_checked reads a small object whole and checks it
 * against the md5 in its name.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "snapfs.h"

static int
snap_entry(void *arg, const struct broker_entry *e)
{
	struct snap_find	*f = arg;
	const char		*name = strrchr(e->key, '/') + 1;
	size_t			 len = strlen(name), base;

	f->nobjects++;
	base = layout_md5_suffix(name, len);
	if (!e->is_dir && base == 6 && strncmp(name, "__meta", 6) == 0) {
		free(f->meta);
		f->meta = xstrdup(name);
		f->meta_size = e->size;
	}
	if (e->is_dir || base == len || strncmp(name, "__info_", 7) != 0)
		return (0);
	f->ninfos++;
	if (f->want != NULL ? (base - 7 == strlen(f->want) &&
	    strncmp(name + 7, f->want, base - 7) == 0) :
	    (f->info == NULL || strcmp(name, f->info) > 0)) {
		free(f->info);
		f->info = xstrdup(name);
		f->info_size = e->size;
	}
	return (0);
}

/* List j->folder (made here from the repository and label). */
int
snap_find(struct job *j, struct snap_find *f, char **cause)
{
	int	error;

	if (j->folder == NULL)
		xasprintf(&j->folder, "%s/__ss_%s/", j->repo_key,
		    j->req->label);
	if ((error = broker_list(job_broker(j), j->folder, false, snap_entry,
	    f)) != 0)
		xasprintf(cause, "cannot list %s: %s", j->folder,
		    strerror(-error));
	return (error);
}

/*
 * The snapshot a verify or drop line names ([repo.]label [@timestamp]),
 * its folder listed into f (free it with snap_find_free): -ENOENT when
 * there is nothing in it.
 */
int
snap_check(struct job *j, struct snap_find *f, char **cause)
{
	int	error;

	memset(f, 0, sizeof *f);
	f->want = j->req->timestamp;
	if ((error = job_find_repo(j, false, cause)) != 0 ||
	    (error = snap_find(j, f, cause)) != 0)
		return (error);
	if (f->nobjects == 0) {
		xasprintf(cause, "snapshot %s not found in repository %s",
		    j->req->label, j->repo);
		return (-ENOENT);
	}
	return (0);
}

void
snap_find_free(struct snap_find *f)
{
	free(f->info);
	free(f->meta);
}

/* The timestamp of "__info_<timestamp>.<md5>". */
char *
snap_timestamp(const char *info)
{
	size_t	base = layout_md5_suffix(info, strlen(info));

	return (xstrndup(info + 7, base - 7));
}

/* Read an object named <name>.<md5> whole and check its md5. */
int
snap_read_checked(struct job *j, const char *key, uint64_t size,
    struct buf *b, char **cause)
{
	char	md5[MD5_HEX_LEN + 1];
	int	error;

	buf_init(b, INFO_MAX);
	if ((error = broker_read_all(job_broker(j), key, size, b)) != 0) {
		xasprintf(cause, "cannot read %s: %s", key, strerror(-error));
		return (error);
	}
	digest_md5_hex(b->data, b->len, md5);
	if (strcmp(md5, key + strlen(key) - MD5_HEX_LEN) != 0) {
		xasprintf(cause, "invalid md5 of %s: %s", key, md5);
		return (-EIO);
	}
	return (0);
}
