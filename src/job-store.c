/*
 * Jobs kept in the data root, so that their history and their fate
 * survive a restart of snapfs: one small text file per job under
 * DIR/.snapfs/history/, rewritten (through a temporary file and a rename)
 * at each change of state.  It holds the line that was written to ctl/,
 * from which the request is parsed again, and the job's state, times,
 * progress and error; a verify job's report goes beside it in <id>.report.
 * Without a data root, jobs live in memory only.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "snapfs.h"

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
job_state_name(enum job_state s)
{
	return (state_names[s]);
}

enum job_state
job_state_of(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof state_names / sizeof state_names[0]; i++)
		if (strcmp(state_names[i], name) == 0)
			return (i);
	return (JOB_CANCELLED);
}

static const char *kind_names[] = {
	"backup",
	"restore",
	"cancel",
	"verify",
	"drop"
};

const char *
job_kind_name(enum ctl_kind kind)
{
	return (kind_names[kind]);
}

static enum ctl_kind
kind_of(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++)
		if (strcmp(kind_names[i], name) == 0)
			return (i);
	return (CTL_CANCEL);	/* not a job: the record is refused */
}

/* DIR/.snapfs/history; the caller frees. */
char *
job_store_dir(struct data_root *data)
{
	char	*dir;

	xasprintf(&dir, "%s/.snapfs/history", dataroot_path(data));
	return (dir);
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
 * Write the job's record, with the state in now (NULL: the job's own
 * state as it is); a failure is logged, the job goes on.
 */
void
job_save(struct job *j, const struct job *state)
{
	struct job	 now;
	struct buf	 b;
	char		*dir, *path;
	int		 error;

	if (job_data(j) == NULL)
		return;
	if (state == NULL)
		job_copy_state(j, &now);
	else {
		now = *state;
		now.error = state->error != NULL ? xstrdup(state->error) : NULL;
	}
	buf_init(&b, SIZE_MAX);
	number(&b, "id", j->id);
	field(&b, "kind", kind_names[j->req->kind]);
	field(&b, "line", j->line);
	field(&b, "db", j->db);
	field(&b, "repo", j->repo);
	field(&b, "repo_key", j->repo_key);
	field(&b, "timestamp", j->timestamp);
	number(&b, "timeout", j->timeout);
	number(&b, "created", j->created);
	field(&b, "state", state_names[now.state]);
	number(&b, "snapshot_done", now.snapshot_done);
	number(&b, "upload_done", now.upload_done);
	number(&b, "finished", now.finished);
	number(&b, "files_total", now.files_total);
	number(&b, "files_done", now.files_done);
	number(&b, "bytes_total", now.bytes_total);
	number(&b, "bytes_done", now.bytes_done);
	number(&b, "problems", now.problems);
	if (now.error != NULL)
		field(&b, "error", now.error);
	free(now.error);

	dir = job_store_dir(job_data(j));
	xasprintf(&path, "%s/%" PRId64, dir, j->id);
	error = file_mkdirs(AT_FDCWD, dir, 0700);
	if (error == 0 && now.report != NULL && now.state == JOB_FINISHED) {
		/* The report first: a record that says FINISHED has one. */
		free(path);
		xasprintf(&path, "%s/%" PRId64 ".report", dir, j->id);
		error = file_replace(AT_FDCWD, path, now.report,
		    strlen(now.report), 0600, true);
		free(path);
		xasprintf(&path, "%s/%" PRId64, dir, j->id);
	}
	if (error == 0)
		error = file_replace(AT_FDCWD, path, b.data, b.len, 0600, true);
	if (error != 0)
		log_warn("job %" PRId64 ": cannot save %s: %s", j->id, path,
		    strerror(-error));
	free(path);
	free(dir);
	buf_free(&b);
}

/*
 * Read a job's record back.  The request is parsed again from its line;
 * a record that does not make sense is an error with a reason.
 */
struct job *
job_load(struct jobs *js, const char *path, char **cause)
{
	struct job	*j;
	FILE		*f;
	char		*line = NULL, *tab, *v;
	size_t		 size = 0;
	ssize_t		 n;
	enum ctl_kind	 kind = CTL_CANCEL;
	struct buf	 report;

	if ((f = fopen(path, "re")) == NULL) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (NULL);
	}
	j = xcalloc(1, sizeof *j);
	j->jobs = js;
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
		else if (strcmp(line, "kind") == 0)
			kind = kind_of(v);
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
			j->state = job_state_of(v);
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
	if (j->id <= 0 || j->line == NULL || kind == CTL_CANCEL ||
	    (j->db == NULL && (kind == CTL_BACKUP || kind == CTL_RESTORE)) ||
	    ctl_parse(kind, j->line, strlen(j->line), &j->req, cause) != 0) {
		if (*cause == NULL)
			xasprintf(cause, "%s: not a job record", path);
		free(j->line);
		free(j->db);
		free(j->repo);
		free(j->repo_key);
		free(j->timestamp);
		free(j->error);
		free(j);
		return (NULL);
	}
	if (kind == CTL_VERIFY && j->state == JOB_FINISHED) {
		xasprintf(&line, "%s.report", path);
		buf_init(&report, REPORT_MAX);
		if (file_read_all(AT_FDCWD, line, &report) == 0 &&
		    report.len > 0) {
			buf_addc(&report, '\0');
			j->report = buf_take(&report);
		} else
			buf_free(&report);
		free(line);
	}
	return (j);
}
