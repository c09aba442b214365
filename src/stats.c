/*
 * Counters for /stats.json: lock-free, updated from any thread.
 */

#include <stdlib.h>

#include "snapfs.h"

static uint64_t	counters[STAT__COUNT];

static const char *names[STAT__COUNT] = {
	"list_requests",
	"stat_requests",
	"read_requests",
	"bytes_read",
	"write_requests",
	"bytes_written",
	"cache_hits",
	"cache_misses",
	"cache_bytes",
	"warm_hits",
	"md5_checked",
	"md5_errors",
	"errors",
	"snapshots_loaded",
	"nodes",
	"meta_bytes",
	"trees_evicted",
	"text_bytes",
	"texts_evicted",
	"backups_listed"
};

void
stats_add(enum stat_counter c, uint64_t n)
{
	__atomic_add_fetch(&counters[c], n, __ATOMIC_RELAXED);
}

uint64_t
stats_get(enum stat_counter c)
{
	return (__atomic_load_n(&counters[c], __ATOMIC_RELAXED));
}

/* The counters as a JSON object, one per line; the caller frees. */
char *
stats_render(size_t *lenp)
{
	struct buf	b;
	int		i;

	buf_init(&b, 64 * 1024);
	buf_add(&b, "{\n", 2);
	for (i = 0; i < STAT__COUNT; i++) {
		buf_printf(&b, "  \"%s\": %llu%s\n", names[i],
		    (unsigned long long)stats_get(i),
		    i == STAT__COUNT - 1 ? "" : ",");
	}
	buf_add(&b, "}\n", 2);
	*lenp = b.len;
	return (buf_take(&b));
}
