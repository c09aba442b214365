/*
 * Which tables and partitions a backup or restore line takes: all, the
 * ones ON (...) names, or all but those EXCLUDE (...) names; a table
 * named with PARTITION (...) gives only those partitions, and a table
 * that EXCLUDE names goes whole.  The same rules pick from a data root's
 * database (backup) and from a snapshot's info (restore).
 */

#include <errno.h>
#include <string.h>

#include "snapfs.h"

/*
 * Does r take partition of table?  *entry (when entry is not NULL) is the
 * table's entry in r, or NULL when r does not name it.
 */
bool
ctl_select(const struct ctl_request *r, const char *table,
    const char *partition, const struct ctl_table **entry)
{
	const struct ctl_table	*t;
	size_t			 i, k;

	if (entry != NULL)
		*entry = NULL;
	for (i = 0; i < r->ntables; i++) {
		t = &r->tables[i];
		if (strcmp(t->name, table) != 0)
			continue;
		if (entry != NULL)
			*entry = t;
		if (r->exclude)
			return (false);
		if (t->npartitions == 0)
			return (true);
		for (k = 0; k < t->npartitions; k++)
			if (strcmp(t->partitions[k], partition) == 0)
				return (true);
		return (false);
	}
	return (r->exclude || r->ntables == 0);
}

/*
 * Is every table and partition that r names there?  has(arg, table,
 * NULL) says whether a table is, has(arg, table, partition) whether a
 * partition of it is.  0, or -ENOENT with *table set and *partition the
 * missing partition (NULL when the table is missing).
 */
int
ctl_select_check(const struct ctl_request *r, ctl_select_has_fn has,
    void *arg, const char **table, const char **partition)
{
	const struct ctl_table	*t;
	size_t			 i, k;

	*partition = NULL;
	for (i = 0; i < r->ntables; i++) {
		t = &r->tables[i];
		*table = t->name;
		if (!has(arg, t->name, NULL))
			return (-ENOENT);
		for (k = 0; k < t->npartitions; k++) {
			if (!has(arg, t->name, t->partitions[k])) {
				*partition = t->partitions[k];
				return (-ENOENT);
			}
		}
	}
	return (0);
}
