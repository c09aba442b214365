/*
 * Sequential detection and the read-ahead window of one open file.
 *
 * A read that starts near where the last one ended is sequential: the
 * kernel sends read-ahead out of order by a little, so a small step back
 * or forward still counts.  A run of sequential reads opens a window of
 * WINDOW_MIN bytes ahead of the reader, which doubles each time the reader
 * has consumed a window's worth, up to the cap.  Any other read is random:
 * the window closes, and only what was asked for is fetched.
 */

#include "snapfs.h"

void
window_init(struct window *w, uint64_t max)
{
	w->next = 0;
	w->size = 0;
	w->used = 0;
	w->max = max < WINDOW_MIN ? WINDOW_MIN : max;
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
	if (w->size == 0)
		w->size = WINDOW_MIN;
	w->used += len;
	if (w->used >= w->size) {
		w->used = 0;
		w->size = w->size * 2 > w->max ? w->max : w->size * 2;
	}
	if (off + len > w->next)
		w->next = off + len;
	return (w->size);
}
