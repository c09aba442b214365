/*
 * Job records, kept in the data root so that the history of jobs and their
 * fate survive a restart of snapfs: one small text file per job in
 * DIR/.snapfs/history (reached beneath dataroot_meta), rewritten (through
 * a temporary file and a rename) at each change of state.  It holds the
 * job's kind and the line that was written to ctl/, from which the
 * request is parsed again, and the job's state, times, progress and
 * error; a report goes beside it in <id>.report.  Without a data root,
 * jobs live in memory only.  This file knows the record's format and
 * nothing of the engine, whose kinds it is given.
 */

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "snapfs.h"

#define HISTORY		"history"

static const char *state_names[] = {
	"PENDING",
	"SNAPSHOTING",
	"UPLOAD_SNAPSHOT",
	"UPLOADING",
	"SAVE_META",
	"UPLOAD_INFO",
	"DOWNLOAD",
	"DOWNLOADING",
	"COMMIT",
	"COMMITTING",
	"VERIFYING",
	"DROPPING_INFO",
	"DROPPING_CONTENT",
	"FINISHED",
	"CANCELLED"
};

const char *
job_store_state_name(enum job_state s)
{
	return (state_names[s]);
}

static enum job_state
state_of(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof state_names / sizeof state_names[0]; i++)
		if (strcmp(state_names[i], name) == 0)
			return (i);
	return (JOB_CANCELLED);
}

/* One "key TAB value" line; a value never holds a newline. */
static void
field(struct buf *b, const char *key, const char *value)
{
	const char	*p;

	buf_printf(b, "%s\t", key);
	for (p = value != NULL ? value : ""; *p != '\0'; p++)
		buf_addc(b, *p == '\n' || *p == '\t' ? ' ' : *p);
	buf_addc(b, '\n');
}

static void
number(struct buf *b, const char *key, int64_t v)
{
	buf_printf(b, "%s\t%" PRId64 "\n", key, v);
}

/*
 * Write the record of job j (a copy that no one changes meanwhile) below
 * metafd; a failure is logged, the job goes on.
 */
void
job_store_save(int metafd, const struct job *j)
{
	struct buf	 b;
	char		*path;
	int		 error;

	buf_init(&b, SIZE_MAX);
	number(&b, "id", j->id);
	field(&b, "kind", j->kind->name);
	field(&b, "line", j->line);
	field(&b, "db", j->db);
	field(&b, "repo", j->repo);
	field(&b, "repo_key", j->repo_key);
	field(&b, "timestamp", j->timestamp);
	number(&b, "timeout", j->timeout);
	number(&b, "created", j->created);
	field(&b, "state", state_names[j->state]);
	number(&b, "snapshot_done", j->snapshot_done);
	number(&b, "upload_done", j->upload_done);
	number(&b, "finished", j->finished);
	number(&b, "files_total", j->files_total);
	number(&b, "files_done", j->files_done);
	number(&b, "bytes_total", j->bytes_total);
	number(&b, "bytes_done", j->bytes_done);
	number(&b, "problems", j->problems);
	if (j->error != NULL)
		field(&b, "error", j->error);

	error = file_mkdirs(metafd, HISTORY, 0700);
	if (error == 0 && j->report != NULL && j->state == JOB_FINISHED) {
		/* The report first: a record that says FINISHED has one. */
		xasprintf(&path, HISTORY "/%" PRId64 ".report", j->id);
		error = file_replace(metafd, path, j->report,
		    strlen(j->report), 0600, true);
		free(path);
	}
	xasprintf(&path, HISTORY "/%" PRId64, j->id);
	if (error == 0)
		error = file_replace(metafd, path, b.data, b.len, 0600, true);
	if (error != 0)
		log_warn("job %" PRId64 ": cannot save %s: %s", j->id, path,
		    strerror(-error));
	free(path);
	buf_free(&b);
}

/* Remove the record of job id below metafd, and its report. */
void
job_store_remove(int metafd, int64_t id)
{
	char	name[32];
	int	fd;

	if ((fd = file_open(metafd, HISTORY, O_RDONLY | O_DIRECTORY, 0)) ==
	    -1)
		return;
	/* The record first: one left behind would need its report. */
	snprintf(name, sizeof name, "%" PRId64, id);
	if (unlinkat(fd, name, 0) == -1 && errno != ENOENT)
		log_warn("job %" PRId64 ": cannot remove %s/%s: %s", id,
		    HISTORY, name, strerror(errno));
	snprintf(name, sizeof name, "%" PRId64 ".report", id);
	unlinkat(fd, name, 0);
	close(fd);
}

/* Free a job and all it holds. */
void
job_store_free(struct job *j)
{
	if (j == NULL)
		return;
	ctl_free(j->req);
	free(j->line);
	info_free(j->info);
	free(j->db);
	free(j->repo);
	free(j->repo_key);
	free(j->info_key);
	free(j->timestamp);
	free(j->folder);
	free(j->error);
	free(j->report);
	free(j);
}

/*
 * Read record name back, with its report if it has one and its request
 * parsed again: NULL with a reason if it does not make sense.
 */
static struct job *
job_read(int metafd, const char *name, job_store_kind_fn kind_of,
    char **cause)
{
	struct job	*j;
	FILE		*f;
	char		*line = NULL, *tab, *v, *path, *kind = NULL;
	size_t		 size = 0;
	ssize_t		 n;
	struct buf	 report;
	int		 fd;

	xasprintf(&path, HISTORY "/%s", name);
	if ((fd = file_open(metafd, path, O_RDONLY, 0)) == -1 ||
	    (f = fdopen(fd, "r")) == NULL) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		free(path);
		return (NULL);
	}
	j = xcalloc(1, sizeof *j);
	j->id = -1;
	while ((n = getline(&line, &size, f)) > 0) {
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		if ((tab = strchr(line, '\t')) == NULL)
			continue;
		*tab = '\0';
		v = tab + 1;
		if (strcmp(line, "id") == 0)
			j->id = strtoll(v, NULL, 10);
		else if (strcmp(line, "kind") == 0) {
			free(kind);
			kind = xstrdup(v);
		}
		else if (strcmp(line, "line") == 0)
			j->line = xstrdup(v);
		else if (strcmp(line, "db") == 0)
			j->db = xstrdup(v);
		else if (strcmp(line, "repo") == 0)
			j->repo = xstrdup(v);
		else if (strcmp(line, "repo_key") == 0)
			j->repo_key = xstrdup(v);
		else if (strcmp(line, "timestamp") == 0 && *v != '\0')
			j->timestamp = xstrdup(v);
		else if (strcmp(line, "timeout") == 0)
			j->timeout = strtoll(v, NULL, 10);
		else if (strcmp(line, "created") == 0)
			j->created = strtoll(v, NULL, 10);
		else if (strcmp(line, "state") == 0)
			j->state = state_of(v);
		else if (strcmp(line, "snapshot_done") == 0)
			j->snapshot_done = strtoll(v, NULL, 10);
		else if (strcmp(line, "upload_done") == 0)
			j->upload_done = strtoll(v, NULL, 10);
		else if (strcmp(line, "finished") == 0)
			j->finished = strtoll(v, NULL, 10);
		else if (strcmp(line, "files_total") == 0)
			j->files_total = strtoull(v, NULL, 10);
		else if (strcmp(line, "files_done") == 0)
			j->files_done = strtoull(v, NULL, 10);
		else if (strcmp(line, "bytes_total") == 0)
			j->bytes_total = strtoull(v, NULL, 10);
		else if (strcmp(line, "bytes_done") == 0)
			j->bytes_done = strtoull(v, NULL, 10);
		else if (strcmp(line, "problems") == 0)
			j->problems = strtoull(v, NULL, 10);
		else if (strcmp(line, "error") == 0) {
			free(j->error);
			j->error = xstrdup(v);
		}
	}
	free(line);
	fclose(f);
	if (kind != NULL)
		j->kind = kind_of(kind);
	free(kind);
	if (j->id <= 0 || j->line == NULL || j->kind == NULL ||
	    (j->kind->data && j->db == NULL))
		xasprintf(cause, "%s: not a job record", path);
	else
		ctl_parse(j->kind->ctl, j->line, strlen(j->line), &j->req,
		    cause);
	if (*cause != NULL) {
		free(path);
		job_store_free(j);
		return (NULL);
	}
	if (j->state == JOB_FINISHED) {
		xasprintf(&line, "%s.report", path);
		buf_init(&report, REPORT_MAX);
		if (file_read_all(metafd, line, &report) == 0 &&
		    report.len > 0) {
			buf_addc(&report, '\0');
			j->report = buf_take(&report);
		} else
			buf_free(&report);
		free(line);
	}
	free(path);
	return (j);
}

/*
 * Every job record below metafd, read back into *jobs (the count is
 * returned); one that does not make sense is logged and left out.
 */
size_t
job_store_load(int metafd, job_store_kind_fn kind_of, struct job ***jobs)
{
	struct dirent	*d;
	struct job	*j;
	DIR		*dir;
	char		*cause;
	size_t		 n = 0;
	int		 fd;

	*jobs = NULL;
	if ((fd = file_open(metafd, HISTORY, O_RDONLY | O_DIRECTORY, 0)) ==
	    -1 || (dir = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return (0);
	}
	while ((d = readdir(dir)) != NULL) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9' ||
		    strchr(d->d_name, '.') != NULL)
			continue;
		cause = NULL;
		if ((j = job_read(metafd, d->d_name, kind_of, &cause)) ==
		    NULL) {
			log_warn("job record %s", cause);
			free(cause);
			continue;
		}
		*jobs = xreallocarray(*jobs, n + 1, sizeof **jobs);
		(*jobs)[n++] = j;
	}
	closedir(dir);
	return (n);
}
