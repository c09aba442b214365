/*
 * Unit tests for json.c: the RFC 8259 grammar (what is accepted and what is
 * refused, with the offset of the error), string decoding with escapes and
 * surrogate pairs, integers as numbers or strings, the depth cap, skipping,
 * truncated input at every length, and Gson-style quoting.
 */

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapfs.h"

/* Skip one value and require the end: 0 for a valid document. */
static int
check(const char *doc, size_t len, char *error, size_t errlen)
{
	struct json	j;
	int		r;

	json_init(&j, doc, len);
	r = json_skip(&j);
	if (r == 0)
		r = json_finish(&j);
	if (error != NULL)
		snprintf(error, errlen, "%s", j.error);
	json_free(&j);
	return (r);
}

static int
check_str(const char *doc)
{
	return (check(doc, strlen(doc), NULL, 0));
}

/* Decode one string value into out (a copy), returning its length. */
static ssize_t
decode(const char *doc, char *out, size_t outlen)
{
	struct json	 j;
	const char	*s;
	size_t		 len;
	ssize_t		 r = -1;

	json_init(&j, doc, strlen(doc));
	if (json_string(&j, &s, &len) == 0 && json_finish(&j) == 0 &&
	    len < outlen) {
		memcpy(out, s, len + 1);
		r = len;
	}
	json_free(&j);
	return (r);
}

static int
get_int(const char *doc, int64_t *v)
{
	struct json	j;
	int		r;

	json_init(&j, doc, strlen(doc));
	r = json_int(&j, v);
	if (r == 0)
		r = json_finish(&j);
	json_free(&j);
	return (r);
}

Test(json, accepts_valid_documents)
{
	static const char *good[] = {
		"{}", "[]", " \t\r\n[ ]\n", "0", "-0", "1", "-12", "1.5",
		"1.5e10", "1E+2", "-0.0e-7", "\"\"", "true", "false", "null",
		"[null,false,true,0,\"x\",{},[]]",
		"{\"a\":{\"b\":[1,{\"c\":\"d\"}]},\"e\":[]}",
		"\"\\ud83d\\ude00\"", "\"\\u0000\"", "\"\xe8\xae\xa2\"",
		"\"\xf4\x8f\xbf\xbf\"", "{ \"a\" : 1 , \"b\" : [ 2 , 3 ] }",
	};
	size_t	i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++)
		cr_expect_eq(check_str(good[i]), 0, "refused: %s", good[i]);
}

Test(json, refuses_invalid_documents)
{
	static const char *bad[] = {
		"", " ", "{", "}", "[", "]", "[1,]", "[,1]", "[1 2]", "{,}",
		"{\"a\":1,}", "{\"a\" 1}", "{a:1}", "{\"a\":}", "{\"a\"}",
		"{1:2}", "['a']", "01", "-01", "1.", ".5", "-", "1e", "1e+",
		"+1", "0x10", "NaN", "Infinity", "tru", "True", "nul", "nulll",
		"\"abc", "\"\\x\"", "\"\\u12\"", "\"\\u12g4\"", "\"\x01\"",
		"\"a\nb\"", "\"\xff\"", "\"\xc0\xaf\"", "\"\xe0\x80\xaf\"",
		"\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xc3\"",
		"\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"",
		"\"\\ud800x\"", "\"\\ude00\\ud83d\"", "[1]x", "{}{}", "1 2",
		"{\"a\":1 \"b\":2}", "[1}", "{\"a\":1]", "/* */ 1",
	};
	size_t	i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_expect_neq(check_str(bad[i]), 0, "accepted: %s", bad[i]);
}

Test(json, nul_byte_in_document)
{
	cr_expect_neq(check("[1,\0]", 5, NULL, 0), 0);
	cr_expect_neq(check("\"a\0\"", 4, NULL, 0), 0);
	cr_expect_neq(check("1\0", 2, NULL, 0), 0);
	cr_expect_neq(check(NULL, 0, NULL, 0), 0);
}

Test(json, errors_carry_offsets)
{
	char	e[160];

	check_str("");
	check("{\"a\" 1}", 7, e, sizeof e);
	cr_expect_str_eq(e, "offset 5: expected ':'");
	check("[1,]", 4, e, sizeof e);
	cr_expect_str_eq(e, "offset 3: expected a value");
	check("[1 2]", 5, e, sizeof e);
	cr_expect_str_eq(e, "offset 3: expected ',' or ']'");
	check("{\"a\":1,}", 8, e, sizeof e);
	cr_expect_str_eq(e, "offset 7: expected a key");
	check("{", 1, e, sizeof e);
	cr_expect_str_eq(e, "offset 1: unexpected end, expected a key or '}'");
	check("\"ab", 3, e, sizeof e);
	cr_expect_str_eq(e, "offset 3: unterminated string");
	check("[\"a\\q\"]", 7, e, sizeof e);
	cr_expect_str_eq(e, "offset 3: invalid escape");
	check("\"\\udc00\"", 8, e, sizeof e);
	cr_expect_str_eq(e, "offset 1: lone low surrogate");
	check("\"xy\\ud800\"", 10, e, sizeof e);
	cr_expect_str_eq(e, "offset 3: lone high surrogate");
	check("\"a\tb\"", 5, e, sizeof e);
	cr_expect_str_eq(e, "offset 2: control character in string");
	check("[\"\xc3\x28\"]", 6, e, sizeof e);
	cr_expect_str_eq(e, "offset 2: invalid UTF-8");
	check("{} x", 4, e, sizeof e);
	cr_expect_str_eq(e, "offset 3: unexpected data after the end");
	check("[01]", 4, e, sizeof e);
	cr_expect_str_eq(e, "offset 2: leading zero in number");
}

Test(json, decodes_escapes)
{
	char	s[64];

	cr_assert_eq(decode("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"", s, sizeof s),
	    12);
	cr_expect_str_eq(s, "a\"b\\c/d\b\f\n\r\t");
	cr_assert_eq(decode("\"\\u00e9\\u4E2D\"", s, sizeof s), 5);
	cr_expect_str_eq(s, "\xc3\xa9\xe4\xb8\xad");
	cr_assert_eq(decode("\"\\ud83d\\ude00!\"", s, sizeof s), 5);
	cr_expect_str_eq(s, "\xf0\x9f\x98\x80!");
	cr_assert_eq(decode("\"\\udbff\\udfff\"", s, sizeof s), 4);
	cr_expect_str_eq(s, "\xf4\x8f\xbf\xbf");
	cr_assert_eq(decode("\"\\u003c\\u003e\\u0026\\u003d\\u0027\"", s,
	    sizeof s), 5);
	cr_expect_str_eq(s, "<>&='");
	cr_assert_eq(decode("\"\xe8\xae\xa2\xe5\x8d\x95\"", s, sizeof s), 6);
	cr_expect_str_eq(s, "订单");
	cr_assert_eq(decode("\"\"", s, sizeof s), 0);
	cr_expect_str_eq(s, "");
	/* An escaped NUL is kept; the length tells. */
	cr_assert_eq(decode("\"a\\u0000b\"", s, sizeof s), 3);
	cr_expect_eq(memcmp(s, "a\0b", 4), 0);
}

Test(json, objects_and_keys)
{
	static const char doc[] =
	    "{\"id\": 7, \"na\\u006de\": \"orders\", \"list\": [1, \"2\"],"
	    " \"deep\": {\"x\": [[], {}]}, \"t\": true, \"f\": false}";
	struct json	 j;
	const char	*key, *s;
	size_t		 len;
	int64_t		 v;
	bool		 b;

	json_init(&j, doc, sizeof doc - 1);
	cr_assert_eq(json_peek(&j), JSON_OBJECT);
	cr_assert_eq(json_object_begin(&j), 0);
	cr_assert_eq(json_object_next(&j, &key), 1);
	cr_expect_str_eq(key, "id");
	cr_assert_eq(json_peek(&j), JSON_NUMBER);
	/* peek consumes nothing */
	cr_assert_eq(json_peek(&j), JSON_NUMBER);
	cr_assert_eq(json_int(&j, &v), 0);
	cr_expect_eq(v, 7);
	cr_assert_eq(json_object_next(&j, &key), 1);
	cr_expect_str_eq(key, "name");
	cr_assert_eq(json_string(&j, &s, &len), 0);
	cr_expect_str_eq(s, "orders");
	cr_expect_eq(len, 6);
	cr_assert_eq(json_object_next(&j, &key), 1);
	cr_expect_str_eq(key, "list");
	cr_assert_eq(json_array_begin(&j), 0);
	cr_assert_eq(json_array_next(&j), 1);
	cr_assert_eq(json_int(&j, &v), 0);
	cr_expect_eq(v, 1);
	cr_assert_eq(json_array_next(&j), 1);
	cr_assert_eq(json_peek(&j), JSON_STRING);
	cr_assert_eq(json_int(&j, &v), 0);
	cr_expect_eq(v, 2);
	cr_assert_eq(json_array_next(&j), 0);
	cr_assert_eq(json_object_next(&j, &key), 1);
	cr_expect_str_eq(key, "deep");
	cr_assert_eq(json_skip(&j), 0);
	cr_assert_eq(json_object_next(&j, &key), 1);
	cr_expect_str_eq(key, "t");
	cr_assert_eq(json_bool(&j, &b), 0);
	cr_expect(b);
	cr_assert_eq(json_object_next(&j, &key), 1);
	cr_assert_eq(json_bool(&j, &b), 0);
	cr_expect(!b);
	cr_assert_eq(json_object_next(&j, &key), 0);
	cr_expect_eq(key, NULL);
	cr_expect_eq(j.depth, 0);
	cr_assert_eq(json_finish(&j), 0);
	json_free(&j);
}

Test(json, empty_containers)
{
	struct json	 j;
	const char	*key;

	json_init(&j, "[{}, []]", 8);
	cr_assert_eq(json_array_begin(&j), 0);
	cr_assert_eq(json_array_next(&j), 1);
	cr_assert_eq(json_object_begin(&j), 0);
	cr_assert_eq(json_object_next(&j, &key), 0);
	cr_assert_eq(json_array_next(&j), 1);
	cr_assert_eq(json_array_begin(&j), 0);
	cr_assert_eq(json_array_next(&j), 0);
	cr_assert_eq(json_array_next(&j), 0);
	cr_assert_eq(json_finish(&j), 0);
	json_free(&j);
}

Test(json, integers)
{
	int64_t	v;

	cr_assert_eq(get_int("0", &v), 0);
	cr_expect_eq(v, 0);
	cr_assert_eq(get_int("-42", &v), 0);
	cr_expect_eq(v, -42);
	cr_assert_eq(get_int("9223372036854775807", &v), 0);
	cr_expect_eq(v, INT64_MAX);
	cr_assert_eq(get_int("-9223372036854775808", &v), 0);
	cr_expect_eq(v, INT64_MIN);
	cr_assert_eq(get_int("\"10013\"", &v), 0);
	cr_expect_eq(v, 10013);
	cr_assert_eq(get_int("\"-7\"", &v), 0);
	cr_expect_eq(v, -7);
	/* Leading zeros in a string: Long.parseLong takes them. */
	cr_assert_eq(get_int("\"007\"", &v), 0);
	cr_expect_eq(v, 7);
	cr_assert_eq(get_int("\"\\u0031\\u0032\"", &v), 0);
	cr_expect_eq(v, 12);
	cr_assert_eq(get_int("\"-9223372036854775808\"", &v), 0);
	cr_expect_eq(v, INT64_MIN);

	cr_expect_neq(get_int("9223372036854775808", &v), 0);
	cr_expect_neq(get_int("-9223372036854775809", &v), 0);
	cr_expect_neq(get_int("\"99999999999999999999\"", &v), 0);
	cr_expect_neq(get_int("1.5", &v), 0);
	cr_expect_neq(get_int("1e3", &v), 0);
	cr_expect_neq(get_int("\"\"", &v), 0);
	cr_expect_neq(get_int("\"-\"", &v), 0);
	cr_expect_neq(get_int("\"12a\"", &v), 0);
	cr_expect_neq(get_int("\" 12\"", &v), 0);
	cr_expect_neq(get_int("\"1.0\"", &v), 0);
	cr_expect_neq(get_int("true", &v), 0);
	cr_expect_neq(get_int("null", &v), 0);
	cr_expect_neq(get_int("[1]", &v), 0);
}

Test(json, int_error_messages)
{
	struct json	j;
	int64_t		v;

	json_init(&j, "[1.5]", 5);
	json_array_begin(&j);
	json_array_next(&j);
	cr_assert_neq(json_int(&j, &v), 0);
	cr_expect_str_eq(j.error,
	    "offset 1: expected an integer, not a fraction");
	json_free(&j);
	json_init(&j, " 99999999999999999999", 21);
	cr_assert_neq(json_int(&j, &v), 0);
	cr_expect_str_eq(j.error, "offset 1: integer out of range");
	json_free(&j);
}

Test(json, wrong_types_and_sticky_errors)
{
	struct json	 j;
	const char	*s, *key;
	size_t		 len;
	bool		 b;

	json_init(&j, "[1]", 3);
	cr_expect_neq(json_object_begin(&j), 0);
	cr_expect_str_eq(j.error, "offset 0: expected '{'");
	/* Once failed, everything fails and the first message stays. */
	cr_expect_neq(json_array_begin(&j), 0);
	cr_expect_eq(json_peek(&j), JSON_ERROR);
	cr_expect_neq(json_skip(&j), 0);
	cr_expect_neq(json_finish(&j), 0);
	cr_expect_str_eq(j.error, "offset 0: expected '{'");
	json_free(&j);

	json_init(&j, "1", 1);
	cr_expect_neq(json_string(&j, &s, &len), 0);
	json_free(&j);
	json_init(&j, "\"true\"", 6);
	cr_expect_neq(json_bool(&j, &b), 0);
	json_free(&j);
	json_init(&j, "1", 1);
	cr_expect_neq(json_object_next(&j, &key), 0);	/* not in a container */
	json_free(&j);
	json_init(&j, "[1", 2);
	cr_assert_eq(json_skip(&j), -1);
	json_free(&j);
}

/* n nested arrays: "[[[...]]]" */
static char *
nested(size_t n)
{
	char	*s = xmalloc(2 * n + 1);

	memset(s, '[', n);
	memset(s + n, ']', n);
	s[2 * n] = '\0';
	return (s);
}

Test(json, depth_cap)
{
	struct json	 j;
	char		*s;
	int		 i;

	s = nested(JSON_DEPTH_MAX);
	cr_expect_eq(check_str(s), 0);
	free(s);
	s = nested(JSON_DEPTH_MAX + 1);
	cr_expect_neq(check_str(s), 0);
	free(s);
	/* Far deeper input fails cleanly, without recursion. */
	s = nested(1000000);
	cr_expect_neq(check_str(s), 0);
	free(s);

	s = nested(JSON_DEPTH_MAX + 1);
	json_init(&j, s, strlen(s));
	for (i = 0; i < JSON_DEPTH_MAX; i++) {
		cr_assert_eq(json_array_begin(&j), 0);
		cr_assert_eq(json_array_next(&j), 1);
	}
	cr_expect_neq(json_array_begin(&j), 0);
	cr_expect_str_eq(j.error, "offset 64: nested deeper than 64");
	json_free(&j);
	free(s);
}

Test(json, skip_then_continue)
{
	static const char doc[] =
	    "{\"skip\":{\"a\":[1,2,{\"b\":\"\\u00e9\\\"}\"}],\"c\":null},"
	    "\"n\":-1.5e3,\"s\":\"]}\",\"keep\":5}";
	struct json	 j;
	const char	*key;
	int64_t		 v = 0;
	int		 r;

	json_init(&j, doc, sizeof doc - 1);
	cr_assert_eq(json_object_begin(&j), 0);
	while ((r = json_object_next(&j, &key)) == 1) {
		if (strcmp(key, "keep") == 0)
			cr_assert_eq(json_int(&j, &v), 0);
		else
			cr_assert_eq(json_skip(&j), 0);
	}
	cr_assert_eq(r, 0);
	cr_expect_eq(v, 5);
	cr_expect_eq(json_finish(&j), 0);
	json_free(&j);
}

static const char sample[] =
    "{\"name\":\"snap\",\"id\":\"10001\",\"list\":[1,-2.5e3,true,false,null,"
    "\"\\ud83d\\ude00\\n\"],\"obj\":{\"k\":{},\"l\":[]},\"zh\":\"订单\"}";

/* Walk the document the way info.c does, reading every scalar. */
static int
walk(struct json *j)
{
	const char	*key, *s;
	size_t		 len;
	int64_t		 v;
	bool		 b;
	int		 r;

	if (json_object_begin(j) != 0)
		return (-1);
	while ((r = json_object_next(j, &key)) == 1) {
		if (strcmp(key, "name") == 0 || strcmp(key, "zh") == 0)
			r = json_string(j, &s, &len);
		else if (strcmp(key, "id") == 0)
			r = json_int(j, &v);
		else if (strcmp(key, "list") == 0) {
			if (json_array_begin(j) != 0)
				return (-1);
			while ((r = json_array_next(j)) == 1) {
				if (json_peek(j) == JSON_TRUE ||
				    json_peek(j) == JSON_FALSE)
					r = json_bool(j, &b);
				else
					r = json_skip(j);
				if (r != 0)
					return (-1);
			}
		} else
			r = json_skip(j);
		if (r != 0)
			return (-1);
	}
	if (r != 0)
		return (-1);
	return (json_finish(j));
}

Test(json, every_truncation_fails)
{
	struct json	 j;
	size_t		 n, len = sizeof sample - 1;
	char		*copy;

	json_init(&j, sample, len);
	cr_assert_eq(walk(&j), 0, "%s", j.error);
	json_free(&j);
	cr_assert_eq(check(sample, len, NULL, 0), 0);
	for (n = 0; n < len; n++) {
		/* An exact-size copy, so ASan sees any read past the end. */
		copy = xmalloc(n + 1);
		memcpy(copy, sample, n);
		json_init(&j, copy, n);
		cr_expect_neq(walk(&j), 0, "prefix %zu accepted", n);
		cr_expect_neq(j.error[0], '\0', "prefix %zu: no message", n);
		json_free(&j);
		cr_expect_neq(check(copy, n, NULL, 0), 0);
		free(copy);
	}
}

Test(json, long_strings_are_capped)
{
	size_t	 n = 17 * 1024 * 1024;
	char	*s = xmalloc(n + 3);
	char	 e[160];
	struct json j;
	const char *v;
	size_t	 len;

	s[0] = '"';
	memset(s + 1, 'a', n);
	s[n + 1] = '"';
	s[n + 2] = '\0';
	/* Skipping only validates, so no cap applies... */
	cr_expect_eq(check(s, n + 2, e, sizeof e), 0);
	/* ...but decoding is capped. */
	json_init(&j, s, n + 2);
	cr_expect_neq(json_string(&j, &v, &len), 0);
	cr_expect_str_eq(j.error,
	    "offset 0: string longer than 16777216 bytes");
	json_free(&j);
	free(s);
}

static void
quote_is(const char *in, size_t len, const char *want)
{
	struct buf	b;

	buf_init(&b, 1024);
	json_quote(&b, in, len);
	cr_expect_str_eq(b.data, want);
	buf_free(&b);
}

Test(json, quote_like_gson)
{
	quote_is("", 0, "\"\"");
	quote_is("orders", 6, "\"orders\"");
	quote_is("a\"b\\c/d", 7, "\"a\\\"b\\\\c/d\"");
	quote_is("\b\f\n\r\t", 5, "\"\\b\\f\\n\\r\\t\"");
	quote_is("\x01\x1f\x7f", 3, "\"\\u0001\\u001f\x7f\"");
	quote_is("a\0b", 3, "\"a\\u0000b\"");
	quote_is("<>&='", 5, "\"\\u003c\\u003e\\u0026\\u003d\\u0027\"");
	quote_is("订单é", 8, "\"订单é\"");
	quote_is("\xe2\x80\xa8\xe2\x80\xa9\xe2\x80\xaa", 9,
	    "\"\\u2028\\u2029\xe2\x80\xaa\"");
}

Test(json, quote_then_parse_round_trips)
{
	static const char in[] = "x\"\\\n\x01<=>&'\xe2\x80\xa8订";
	struct buf	 b;
	struct json	 j;
	const char	*s;
	size_t		 len;

	buf_init(&b, 1024);
	json_quote(&b, in, sizeof in - 1);
	json_init(&j, b.data, b.len);
	cr_assert_eq(json_string(&j, &s, &len), 0);
	cr_expect_eq(len, sizeof in - 1);
	cr_expect_eq(memcmp(s, in, len), 0);
	json_free(&j);
	buf_free(&b);
}
