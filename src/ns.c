/*
 * The top of the namespace: what the root holds besides the repositories,
 * and which module lists each kind of folder.
 *
 *	/ctl/		control files
 *	/jobs/		one folder per job, listed by job.c
 *	/<repo>/	one per repository, listed by view.c
 *	/.raw/		every object, listed by raw.c
 *	/stats.json	counters
 *
 * ctl and jobs come first in the root's batch, so a repository of the same
 * name is shadowed (it stays reachable under .raw).
 */

#include <stdlib.h>

#include "snapfs.h"

static const struct {
	const char	*name;
	enum ctl_kind	 kind;
} ctl_files[] = {
	{ "backup", CTL_BACKUP },
	{ "cancel", CTL_CANCEL },
	{ "drop", CTL_DROP },
	{ "refresh", CTL_REFRESH },
	{ "restore", CTL_RESTORE },
	{ "verify", CTL_VERIFY },
};

int
ns_load(void *arg, const struct tree_dir *dir, struct batch *b, char **cause)
{
	struct snapfs	*fs = arg;
	uint32_t	 ctl;
	size_t		 i;

	switch (dir->load) {
	case LOAD_ROOT:
		if (fs->jobs != NULL) {
			ctl = tree_add_dir(b, BATCH_TOP, "ctl", 0, LOAD_NONE,
			    NULL, 0);
			for (i = 0; i < sizeof ctl_files / sizeof ctl_files[0];
			    i++)
				tree_add_ctl(b, ctl, ctl_files[i].name,
				    ctl_files[i].kind);
			tree_add_dynamic(b, ctl, "last_error", DYN_LAST_ERROR);
			tree_batch_mutable(b, tree_add_dir(b, BATCH_TOP,
			    "jobs", 0, LOAD_JOBS, NULL, 0));
		}
		tree_add_dynamic(b, BATCH_TOP, "stats.json", DYN_STATS);
		return (view_load(fs->view, dir, b, cause));
	case LOAD_JOBS:
		return (jobs_load(fs->jobs, dir, b));
	case LOAD_RAW:
		return (raw_load(fs->broker, dir, b));
	default:
		return (view_load(fs->view, dir, b, cause));
	}
}

/*
 * The text of a file made when it is read (aux says which), and when it
 * last changed into *mtime (if not NULL; 0: it changes as it is read).
 */
char *
ns_text(struct snapfs *fs, uint32_t aux, size_t *len, int64_t *mtime)
{
	int64_t	 changed = 0;
	char	*text;

	if (DYN_IS_TSV(aux))
		text = view_render_tsv(fs->view, DYN_TSV_INDEX(aux), len,
		    &changed);
	else if (aux == DYN_STATS)
		text = stats_render(len);
	else
		text = jobs_render(fs->jobs, aux, len);
	if (mtime != NULL)
		*mtime = changed;
	return (text);
}
