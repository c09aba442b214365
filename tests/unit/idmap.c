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
