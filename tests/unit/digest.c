/* Unit tests for digest.c: md5 and the ".<md5>" suffix rules. */

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

Test(digest, suffix_is_split_at_the_last_dot)
{
	const char	*hdr = "10013.hdr.df290ba5b1e4840507b6391d5546449c";
	const char	*dat = "0200000000000034b0400c3870adc1c7d4e9f04c07630c99"
			    "_0.dat.c8a380254573a1d0664475eb8d01a455";

	cr_assert_eq(md5_suffix(hdr, strlen(hdr)), strlen("10013.hdr"));
	cr_assert_eq(md5_suffix(dat, strlen(dat)), strlen(dat) - 33);
}

Test(digest, names_without_a_valid_suffix_are_kept_whole)
{
	const char	*names[] = {
		"__repo_info",
		"10013.hdr",
		"10013.hdr.part",
		"10013.hdr.DF290BA5B1E4840507B6391D5546449C",	/* upper */
		"10013.hdr.df290ba5b1e4840507b6391d5546449",	/* 31 */
		"10013.hdr.df290ba5b1e4840507b6391d5546449cc",	/* 33 */
		".df290ba5b1e4840507b6391d5546449c",		/* no base */
		"x_df290ba5b1e4840507b6391d5546449c",
	};
	size_t		 i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		cr_assert_eq(md5_suffix(names[i], strlen(names[i])),
		    strlen(names[i]), "%s", names[i]);
}

Test(digest, is_hex)
{
	cr_assert(md5_is_hex("0123456789abcdef0123456789abcdef", 32));
	cr_assert_not(md5_is_hex("0123456789abcdef0123456789abcdeg", 32));
	cr_assert_not(md5_is_hex("0123456789abcdef", 16));
	cr_assert_not(md5_is_hex("0123456789abcdef0123456789abcd\0f", 32));
}
