/*
 * Unit tests for job.c: the timeout of a job, a failure that stops it,
 * and job records that survive a restart (job-store.c).
 */

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "snapfs.h"

static char	root[] = "/tmp/snapfs-unit-job.XXXXXX";

static void
notify(void *arg, const char *repo)
{
}

static const struct job_kind *
backup_kind(const char *name)
{
	return (strcmp(name, "backup") == 0 ? &job_backup_entry : NULL);
}

/* Each test: a data root in a new folder, and its jobs. */
static struct data_root	*data;
static struct jobs	*js;

static void
jobs_setup(void)
{
	char	*cause = NULL;

	cr_assert_not_null(mkdtemp(root));
	cr_assert_eq(dataroot_open(root, &data, &cause), 0, "%s", cause);
	js = jobs_create(NULL, data, NULL, JOBS_HISTORY_DEFAULT, notify,
	    NULL);
}

static void
jobs_teardown(void)
{
	char	*path;

	jobs_free(js);
	dataroot_close(data);
	xasprintf(&path, "rm -rf %s", root);
	cr_assert_eq(system(path), 0);
	free(path);
}

static struct job *
make_job(const char *line, int64_t timeout, time_t created)
{
	struct job	*j;
	char		*cause = NULL;

	j = xcalloc(1, sizeof *j);
	j->jobs = js;
	j->kind = &job_backup_entry;
	j->id = 7;
	j->line = xstrdup(line);
	cr_assert_eq(ctl_parse(CTL_BACKUP, line, strlen(line), &j->req,
	    &cause), 0, "%s", cause);
	j->db = xstrdup("sales");
	j->repo = xstrdup("repo1");
	j->timeout = timeout;
	j->created = created;
	return (j);
}

Test(job, a_job_past_its_timeout_stops_cancelled, .init = jobs_setup,
    .fini = jobs_teardown)
{
	struct job	*j, *back, **all;

	j = make_job("sales.snap1 PROPERTIES (\"timeout\"=\"600\")", 600,
	    time(NULL) - 599);
	cr_assert_not(job_stopped(j), "stopped before its timeout");
	j->created = time(NULL) - 601;
	cr_assert(job_stopped(j), "not stopped after its timeout");
	cr_assert_eq(j->state, JOB_CANCELLED);
	cr_assert_str_eq(j->error, "timeout after 600 seconds");

	/* Its record reads back the same. */
	cr_assert_eq(job_store_load(dataroot_meta(data), backup_kind, &all),
	    1);
	back = all[0];
	free(all);
	cr_assert_eq(back->kind, &job_backup_entry);
	cr_assert_eq(back->id, 7);
	cr_assert_eq(back->state, JOB_CANCELLED);
	cr_assert_str_eq(back->error, "timeout after 600 seconds");
	cr_assert_str_eq(back->req->label, "snap1");
	cr_assert_eq(back->created, j->created);
	cr_assert_eq(back->timeout, 600);
	job_store_free(back);
	job_store_free(j);
}

Test(job, a_failure_stops_the_rest_of_the_job, .init = jobs_setup,
    .fini = jobs_teardown)
{
	struct job	*j;

	j = make_job("sales.snap1", 86400, time(NULL));
	cr_assert_not(job_stopped(j));
	/* One worker's upload fails: the others' transfers are given up. */
	job_fail(j, "upload %s: %s", "a.dat", "Input/output error");
	cr_assert(j->abort, "the job's transfers go on after a failure");
	cr_assert(job_stopped(j), "the job's workers go on after a failure");
	cr_assert_eq(j->state, JOB_CANCELLED);
	/* What those give up with is not the reason: the failure is. */
	job_fail(j, "upload %s: %s", "b.dat", "Interrupted system call");
	cr_assert_str_eq(j->error, "upload a.dat: Input/output error");
	job_store_free(j);
}
