/*
 * Sequential detection and the read-ahead window of one open file.
 *
 * A read that starts near where the last one ended is sequential: the
 * kernel sends read-ahead out of order by a little, so a small step back
 * or forward still counts.  A run of sequential reads opens a window of
 * WINDOW_MIN bytes ahead of the reader, which doubles each time the reader
 * has consumed a window's worth, up to its largest.  A run that began at
 * the file's first byte is a reader of the whole file (cat, cp, rsync, a
 * restore): its second read opens the largest window at once, so that the
 * first chunks of a far link are in flight together instead of one after
 * the other.  Any other read is random: the window closes, and only what
 * was asked for is fetched.
 *
 * The largest window is sized for the link (window_fit): what a reader
 * at WINDOW_GOAL consumes while one chunk is on its way, so that enough
 * ranged GETs are in flight to keep it fed (bandwidth x latency).  The
 * time a chunk takes is the least seen in the last one or two epochs
 * (window_link_seen): queueing at a busy server only adds to it, and a
 * link that becomes slower is seen within two epochs.  It never passes
 * the cap set for the memory budget.
 */

#include "snapfs.h"

void
window_init(struct window *w, uint64_t max)
{
	w->next = 0;
	w->size = 0;
	w->used = 0;
	w->whole = false;
	w->cap = max < WINDOW_MIN ? WINDOW_MIN : max;
	w->max = w->cap < WINDOW_MAX ? w->cap : WINDOW_MAX;
}

/*
 * Size the largest window for a link on which a chunk of chunk bytes
 * takes took_us to arrive (0: not known yet).
 */
void
window_fit(struct window *w, uint64_t took_us, uint64_t chunk)
{
	uint64_t	max;

	if (took_us == 0)
		max = WINDOW_MAX;
	else
		max = WINDOW_GOAL * took_us / 1000000 + chunk;
	if (max < WINDOW_MIN)
		max = WINDOW_MIN;
	w->max = max < w->cap ? max : w->cap;
}

/*
 * A chunk took took_us to arrive, seen at now_ms.  One writer at a time
 * (the transfer thread); readers may look meanwhile.
 */
void
window_link_seen(struct window_link *l, uint64_t now_ms, uint64_t took_us)
{
	uint64_t	epoch = now_ms / WINDOW_EPOCH, least;

	if (took_us == 0)
		took_us = 1;
	if (epoch != l->epoch) {
		__atomic_store_n(&l->least[1], epoch == l->epoch + 1 ?
		    __atomic_load_n(&l->least[0], __ATOMIC_RELAXED) : 0,
		    __ATOMIC_RELAXED);
		__atomic_store_n(&l->least[0], 0, __ATOMIC_RELAXED);
		l->epoch = epoch;
	}
	least = __atomic_load_n(&l->least[0], __ATOMIC_RELAXED);
	if (least == 0 || took_us < least)
		__atomic_store_n(&l->least[0], took_us, __ATOMIC_RELAXED);
}

/* The least time a chunk took lately, in us; 0 if none was seen. */
uint64_t
window_link_time(const struct window_link *l)
{
	uint64_t	a, b;

	a = __atomic_load_n(&l->least[0], __ATOMIC_RELAXED);
	b = __atomic_load_n(&l->least[1], __ATOMIC_RELAXED);
	if (a == 0 || (b != 0 && b < a))
		return (b);
	return (a);
}

bool
window_sequential(const struct window *w, uint64_t off)
{
	return (off + WINDOW_BACK >= w->next &&
	    off <= w->next + (w->size > WINDOW_FORWARD ? w->size :
	    WINDOW_FORWARD));
}

/* Account for a read of len at off; the window to keep ahead of it. */
uint64_t
window_update(struct window *w, uint64_t off, size_t len)
{
	if (!window_sequential(w, off)) {
		w->size = 0;
		w->used = 0;
		w->next = off + len;
		return (0);
	}
	if (w->size == 0) {
		w->size = WINDOW_MIN;
		w->whole = off == 0;
	} else if (w->whole)
		w->size = w->max;
	w->used += len;
	if (w->used >= w->size) {
		w->used = 0;
		w->size *= 2;
	}
	if (w->size > w->max)
		w->size = w->max;
	if (off + len > w->next)
		w->next = off + len;
	return (w->size);
}
