/* Unit tests for idmap.c: 64-bit ids to pointers. */

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>

#include "snapfs.h"

#define IDS	100000

static int	freed;

static void
count_free(void *p)
{
	freed++;
	free(p);
}

Test(idmap, put_get_and_grow)
{
	struct idmap	 m;
	uint64_t	*v;
	size_t		 i;

	idmap_init(&m, 0);
	for (i = 0; i < IDS; i++) {
		v = malloc(sizeof *v);
		*v = i * 7919;
		cr_assert_eq(idmap_put(&m, i * 7919, v), v);
	}
	cr_assert_eq(idmap_count(&m), IDS);
	for (i = 0; i < IDS; i++) {
		v = idmap_get(&m, i * 7919);
		cr_assert_not_null(v, "id %zu lost", i * 7919);
		cr_assert_eq(*v, i * 7919);
	}
	cr_assert_null(idmap_get(&m, 1));
	freed = 0;
	idmap_free(&m, count_free);
	cr_assert_eq(freed, IDS);
}

Test(idmap, the_first_value_stays)
{
	struct idmap	 m;
	int		 a, b;

	idmap_init(&m, 4);
	cr_assert_eq(idmap_put(&m, 42, &a), &a);
	cr_assert_eq(idmap_put(&m, 42, &b), &a);
	cr_assert_eq(idmap_get(&m, 42), &a);
	cr_assert_eq(idmap_count(&m), 1);
	idmap_free(&m, NULL);
}

Test(idmap, any_id_even_zero_and_negative)
{
	struct idmap	 m;
	int		 a, b, c;

	idmap_init(&m, 0);
	idmap_put(&m, 0, &a);
	idmap_put(&m, (uint64_t)-1, &b);
	idmap_put(&m, (uint64_t)INT64_MIN, &c);
	cr_assert_eq(idmap_get(&m, 0), &a);
	cr_assert_eq(idmap_get(&m, (uint64_t)-1), &b);
	cr_assert_eq(idmap_get(&m, (uint64_t)INT64_MIN), &c);
	cr_assert_null(idmap_get(&m, 2));
	idmap_free(&m, NULL);
}

Test(idmap, del_keeps_every_other_id)
{
	struct idmap	 m;
	static int	 v[IDS];
	size_t		 i, k, thirds = (IDS + 2) / 3;
	uint64_t	 id;

	idmap_init(&m, 0);
	for (i = 0; i < IDS; i++)
		idmap_put(&m, i * 7919, &v[i]);
	/* Every third id goes, in an order unrelated to the slots. */
	for (k = 0; k < thirds; k++) {
		id = (k * 40503 % thirds) * 3 * 7919;
		cr_assert_not_null(idmap_del(&m, id), "id %llu not removed",
		    (unsigned long long)id);
	}
	cr_assert_null(idmap_del(&m, 3 * 7919), "removed twice");
	cr_assert_null(idmap_del(&m, 1), "an id never put");
	for (i = 0; i < IDS; i++)
		if (i % 3 == 0)
			cr_assert_null(idmap_get(&m, i * 7919));
		else
			cr_assert_eq(idmap_get(&m, i * 7919), &v[i],
			    "id %zu lost", i * 7919);
	cr_assert_eq(idmap_count(&m), IDS - thirds);
	idmap_free(&m, NULL);
}

Test(idmap, churn_does_not_grow)
{
	struct idmap	 m;
	int		 a;
	size_t		 mask;
	uint64_t	 i;

	idmap_init(&m, 0);
	for (i = 0; i < 100; i++)
		idmap_put(&m, i, &a);
	mask = m.mask;
	for (i = 100; i < 100 * 1000; i++) {
		cr_assert_eq(idmap_del(&m, i - 100), &a);
		cr_assert_eq(idmap_put(&m, i, &a), &a);
	}
	cr_assert_eq(m.mask, mask, "the table grew from %zu to %zu slots",
	    mask + 1, m.mask + 1);
	for (i = 0; i < 100; i++)
		cr_assert_eq(idmap_get(&m, 100 * 1000 - 1 - i), &a);
	idmap_free(&m, NULL);
}

Test(idmap, next_walks_every_value_once)
{
	struct idmap	 m;
	static int	 v[1000];
	int		*p;
	size_t		 i, pos = 0, n = 0;

	idmap_init(&m, 0);
	for (i = 0; i < 1000; i++)
		idmap_put(&m, i * 31, &v[i]);
	for (i = 0; i < 1000; i += 2)
		idmap_del(&m, i * 31);
	while ((p = idmap_next(&m, &pos)) != NULL) {
		cr_assert_eq((p - v) % 2, 1, "a removed value: %td", p - v);
		cr_assert_eq(*p, 0, "value %td twice", p - v);
		*p = 1;
		n++;
	}
	cr_assert_eq(n, 500);
	cr_assert_null(idmap_next(&m, &pos), "past the end");
	idmap_free(&m, NULL);
}
