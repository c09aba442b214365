/*
 * A map from 64-bit ids (tablets, inodes) to pointers the caller owns:
 * open addressing with linear probing, kept at most half full; a removal
 * shifts back the ids that probed past it, so no tombstones pile up.  Not
 * locked: its user does.
 */

#include <stdlib.h>

#include "snapfs.h"

#define IDMAP_MIN	16	/* slots at first */

struct idmap_slot {
	uint64_t	 id;
	void		*value;		/* NULL: free */
};

/* Ready for about hint ids before it grows. */
void
idmap_init(struct idmap *m, size_t hint)
{
	size_t	size;

	for (size = IDMAP_MIN; size < hint * 2; size *= 2)
		;
	m->slots = xcalloc(size, sizeof *m->slots);
	m->mask = size - 1;
	m->count = 0;
}

/* Free the map, and each value with free_value unless it is NULL. */
void
idmap_free(struct idmap *m, void (*free_value)(void *))
{
	size_t	i;

	if (free_value != NULL)
		for (i = 0; i <= m->mask; i++)
			if (m->slots[i].value != NULL)
				free_value(m->slots[i].value);
	free(m->slots);
	m->slots = NULL;
}

static uint64_t
mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (x);
}

/* The slot of id, or the free slot where it goes. */
static struct idmap_slot *
slot(struct idmap_slot *slots, size_t mask, uint64_t id)
{
	size_t	i = (size_t)mix(id) & mask;

	while (slots[i].value != NULL && slots[i].id != id)
		i = (i + 1) & mask;
	return (&slots[i]);
}

/* The value of id, or NULL. */
void *
idmap_get(const struct idmap *m, uint64_t id)
{
	return (slot(m->slots, m->mask, id)->value);
}

/*
 * Map id to value (not NULL) unless id has a value already: the value id
 * has after the call, so value when it went in.
 */
void *
idmap_put(struct idmap *m, uint64_t id, void *value)
{
	struct idmap_slot	*old, *s;
	size_t			 i, oldmask;

	if ((m->count + 1) * 2 > m->mask + 1) {
		old = m->slots;
		oldmask = m->mask;
		m->mask = m->mask * 2 + 1;
		m->slots = xcalloc(m->mask + 1, sizeof *m->slots);
		for (i = 0; i <= oldmask; i++)
			if (old[i].value != NULL)
				*slot(m->slots, m->mask, old[i].id) = old[i];
		free(old);
	}
	s = slot(m->slots, m->mask, id);
	if (s->value == NULL) {
		s->id = id;
		s->value = value;
		m->count++;
	}
	return (s->value);
}

/* Is h in the cyclic range (i, j]? */
static bool
between(size_t i, size_t h, size_t j)
{
	return (i < j ? i < h && h <= j : i < h || h <= j);
}

/* Remove id: its value, or NULL if it had none. */
void *
idmap_del(struct idmap *m, uint64_t id)
{
	struct idmap_slot	*s = slot(m->slots, m->mask, id);
	void			*value = s->value;
	size_t			 hole, j;

	if (value == NULL)
		return (NULL);
	hole = j = (size_t)(s - m->slots);
	for (;;) {
		j = (j + 1) & m->mask;
		if (m->slots[j].value == NULL)
			break;
		/* An id whose probe started after the hole stays. */
		if (!between(hole, (size_t)mix(m->slots[j].id) & m->mask, j)) {
			m->slots[hole] = m->slots[j];
			hole = j;
		}
	}
	m->slots[hole].value = NULL;
	m->count--;
	return (value);
}

/*
 * The value after slot *pos (start at 0), or NULL at the end; for a walk
 * of the map while it does not change.
 */
void *
idmap_next(const struct idmap *m, size_t *pos)
{
	while (*pos <= m->mask)
		if (m->slots[(*pos)++].value != NULL)
			return (m->slots[*pos - 1].value);
	return (NULL);
}

size_t
idmap_count(const struct idmap *m)
{
	return (m->count);
}
