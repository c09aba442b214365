/* Unit tests for digest.c: md5. */

#include <criterion/criterion.h>
#include <string.h>

#include "snapfs.h"

Test(digest, md5_of_known_strings)
{
	char	hex[MD5_HEX_LEN + 1];

	digest_md5_hex("", 0, hex);
	cr_assert_str_eq(hex, "d41d8cd98f00b204e9800998ecf8427e");
	digest_md5_hex("abc", 3, hex);
	cr_assert_str_eq(hex, "900150983cd24fb0d6963f7d28e17f72");
}

Test(digest, streaming_equals_one_shot)
{
	struct md5	*m;
	char		 a[MD5_HEX_LEN + 1], b[MD5_HEX_LEN + 1];
	char		 data[10000];
	size_t		 i;

	for (i = 0; i < sizeof data; i++)
		data[i] = (char)(i * 7);
	digest_md5_hex(data, sizeof data, a);
	m = digest_md5_create();
	for (i = 0; i < sizeof data; i += 333)
		digest_md5_update(m, data + i, sizeof data - i < 333 ?
		    sizeof data - i : 333);
	digest_md5_final(m, b);
	digest_md5_free(m);
	cr_assert_str_eq(a, b);
}


Test(digest, fnv1a_known_values)
{
	cr_assert_eq(digest_fnv(FNV_BASIS, "", 0), FNV_BASIS);
	cr_assert_eq(digest_fnv(FNV_BASIS, "a", 1), 0xaf63dc4c8601ec8cULL);
	cr_assert_eq(digest_fnv(FNV_BASIS, "foobar", 6),
	    0x85944171f73967e8ULL);
	/* On from a value: the same as the whole at once. */
	cr_assert_eq(digest_fnv(digest_fnv(FNV_BASIS, "foo", 3), "bar", 3),
	    digest_fnv(FNV_BASIS, "foobar", 6));
}
