/*
 * A pull reader for JSON held whole in memory, and the string quoting that
 * Gson does.  The caller walks the document: peek at the next value, open
 * objects and arrays, step through members and elements, read scalars or
 * skip whole values.  Nothing is allocated per value: the last key and the
 * last string value are decoded into two reused buffers.  The grammar is
 * RFC 8259 without extensions; the first error is kept in j->error with its
 * byte offset, and every later call fails, so a caller may check late.
 * Skipping is iterative and nesting is capped at JSON_DEPTH_MAX, so hostile
 * input cannot exhaust the stack.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "snapfs.h"

/* Longest decoded key or string: ids and names are far shorter. */
#define JSON_STRING_MAX	(16U * 1024 * 1024)

#define JSON_DIGIT(c)	((c) >= '0' && (c) <= '9')

static int	json_fail(struct json *, const char *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

void
json_init(struct json *j, const char *buf, size_t len)
{
	if (buf == NULL)
		buf = "";
	j->start = j->p = buf;
	j->end = buf + len;
	j->depth = 0;
	j->first = false;
	buf_init(&j->key, JSON_STRING_MAX);
	buf_init(&j->str, JSON_STRING_MAX);
	j->error[0] = '\0';
}

void
json_free(struct json *j)
{
	buf_free(&j->key);
	buf_free(&j->str);
}

/* Record the first error, at the given position; always returns -1. */
static int
json_fail(struct json *j, const char *at, const char *fmt, ...)
{
	char	msg[128];
	va_list	ap;

	if (j->error[0] != '\0')
		return (-1);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(j->error, sizeof j->error, "offset %zu: %s",
	    (size_t)(at - j->start), msg);
	return (-1);
}

static int
json_expected(struct json *j, const char *what)
{
	if (j->p == j->end)
		return (json_fail(j, j->p, "unexpected end, expected %s",
		    what));
	return (json_fail(j, j->p, "expected %s", what));
}

static void
json_ws(struct json *j)
{
	while (j->p != j->end && (*j->p == ' ' || *j->p == '\t' ||
	    *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

enum json_type
json_peek(struct json *j)
{
	if (j->error[0] != '\0')
		return (JSON_ERROR);
	json_ws(j);
	if (j->p == j->end) {
		json_expected(j, "a value");
		return (JSON_ERROR);
	}
	switch (*j->p) {
	case '{':
		return (JSON_OBJECT);
	case '[':
		return (JSON_ARRAY);
	case '"':
		return (JSON_STRING);
	case 't':
		return (JSON_TRUE);
	case 'f':
		return (JSON_FALSE);
	case 'n':
		return (JSON_NULL);
	default:
		if (*j->p == '-' || JSON_DIGIT(*j->p))
			return (JSON_NUMBER);
		json_expected(j, "a value");
		return (JSON_ERROR);
	}
}

/* Length of the valid UTF-8 sequence at p, 0 if it is not one. */
static size_t
json_utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned char	lo = 0x80, hi = 0xbf;
	size_t		n, i;

	if (*p >= 0xc2 && *p <= 0xdf)
		n = 2;
	else if (*p >= 0xe0 && *p <= 0xef) {
		n = 3;
		if (*p == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (*p == 0xed)
			hi = 0x9f;	/* surrogates */
	} else if (*p >= 0xf0 && *p <= 0xf4) {
		n = 4;
		if (*p == 0xf0)
			lo = 0x90;	/* overlong */
		else if (*p == 0xf4)
			hi = 0x8f;	/* past U+10FFFF */
	} else
		return (0);
	if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
		return (0);
	for (i = 2; i < n; i++) {
		if (p[i] < 0x80 || p[i] > 0xbf)
			return (0);
	}
	return (n);
}

/* Four hex digits at p, or -1. */
static long
json_hex4(const unsigned char *p, const unsigned char *end)
{
	long	v = 0;
	int	i;

	if (end - p < 4)
		return (-1);
	for (i = 0; i < 4; i++) {
		v <<= 4;
		if (JSON_DIGIT(p[i]))
			v |= p[i] - '0';
		else if (p[i] >= 'a' && p[i] <= 'f')
			v |= p[i] - 'a' + 10;
		else if (p[i] >= 'A' && p[i] <= 'F')
			v |= p[i] - 'A' + 10;
		else
			return (-1);
	}
	return (v);
}

/*
 * Decode the escape at *pp (a backslash) into UTF-8 in out; return its
 * length and move *pp past the escape, or -1.
 */
static int
json_escape(struct json *j, const unsigned char **pp, unsigned char *out)
{
	const unsigned char	*p = *pp + 1, *end = (const void *)j->end;
	const char		*at = (const char *)*pp;
	long			 cp, lo;

	if (p == end)
		return (json_fail(j, at, "unterminated string"));
	*pp = p + 1;
	switch (*p) {
	case '"':
	case '\\':
	case '/':
		out[0] = *p;
		return (1);
	case 'b':
		out[0] = '\b';
		return (1);
	case 'f':
		out[0] = '\f';
		return (1);
	case 'n':
		out[0] = '\n';
		return (1);
	case 'r':
		out[0] = '\r';
		return (1);
	case 't':
		out[0] = '\t';
		return (1);
	case 'u':
		break;
	default:
		return (json_fail(j, at, "invalid escape"));
	}
	if ((cp = json_hex4(p + 1, end)) < 0)
		return (json_fail(j, at, "invalid \\u escape"));
	*pp = p + 5;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return (json_fail(j, at, "lone low surrogate"));
	if (cp >= 0xd800 && cp <= 0xdbff) {
		p += 5;
		if (end - p < 2 || p[0] != '\\' || p[1] != 'u' ||
		    (lo = json_hex4(p + 2, end)) < 0xdc00 || lo > 0xdfff)
			return (json_fail(j, at, "lone high surrogate"));
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		*pp = p + 6;
	}
	if (cp < 0x80) {
		out[0] = cp;
		return (1);
	}
	if (cp < 0x800) {
		out[0] = 0xc0 | (cp >> 6);
		out[1] = 0x80 | (cp & 0x3f);
		return (2);
	}
	if (cp < 0x10000) {
		out[0] = 0xe0 | (cp >> 12);
		out[1] = 0x80 | ((cp >> 6) & 0x3f);
		out[2] = 0x80 | (cp & 0x3f);
		return (3);
	}
	out[0] = 0xf0 | (cp >> 18);
	out[1] = 0x80 | ((cp >> 12) & 0x3f);
	out[2] = 0x80 | ((cp >> 6) & 0x3f);
	out[3] = 0x80 | (cp & 0x3f);
	return (4);
}

/*
 * Read the string at j->p (its opening quote), decoded into out when out is
 * not NULL, validated either way.
 */
static int
json_scan_string(struct json *j, struct buf *out)
{
	const unsigned char	*p, *end, *run;
	unsigned char		 u8[4];
	size_t			 n;
	int			 len;

	p = (const unsigned char *)j->p + 1;
	end = (const unsigned char *)j->end;
	if (out != NULL) {
		out->len = 0;
		buf_add(out, "", 0);	/* always NUL-terminated */
	}
	for (;;) {
		run = p;
		while (p != end && *p >= 0x20 && *p < 0x80 && *p != '"' &&
		    *p != '\\')
			p++;
		if (out != NULL && buf_add(out, run, p - run) != 0)
			goto toolong;
		if (p == end)
			return (json_fail(j, (const char *)p,
			    "unterminated string"));
		if (*p == '"')
			break;
		if (*p == '\\') {
			if ((len = json_escape(j, &p, u8)) < 0)
				return (-1);
			if (out != NULL && buf_add(out, u8, len) != 0)
				goto toolong;
		} else if (*p < 0x20) {
			return (json_fail(j, (const char *)p,
			    "control character in string"));
		} else {
			if ((n = json_utf8_len(p, end)) == 0)
				return (json_fail(j, (const char *)p,
				    "invalid UTF-8"));
			if (out != NULL && buf_add(out, p, n) != 0)
				goto toolong;
			p += n;
		}
	}
	j->p = (const char *)p + 1;
	return (0);

toolong:
	return (json_fail(j, j->p, "string longer than %u bytes",
	    JSON_STRING_MAX));
}

/* Check the number at j->p and step over it. */
static int
json_scan_number(struct json *j, bool *integral)
{
	const char	*p = j->p, *end = j->end;

	*integral = true;
	if (p != end && *p == '-')
		p++;
	if (p == end || !JSON_DIGIT(*p))
		return (json_fail(j, p, "expected a digit"));
	if (*p == '0') {
		if (++p != end && JSON_DIGIT(*p))
			return (json_fail(j, p, "leading zero in number"));
	} else {
		while (p != end && JSON_DIGIT(*p))
			p++;
	}
	if (p != end && *p == '.') {
		*integral = false;
		if (++p == end || !JSON_DIGIT(*p))
			return (json_fail(j, p, "expected a digit"));
		while (p != end && JSON_DIGIT(*p))
			p++;
	}
	if (p != end && (*p == 'e' || *p == 'E')) {
		*integral = false;
		if (++p != end && (*p == '+' || *p == '-'))
			p++;
		if (p == end || !JSON_DIGIT(*p))
			return (json_fail(j, p, "expected a digit"));
		while (p != end && JSON_DIGIT(*p))
			p++;
	}
	j->p = p;
	return (0);
}

/* A decimal integer with an optional sign: 0, -EINVAL or -ERANGE. */
static int
json_decimal(const char *s, size_t len, int64_t *v)
{
	uint64_t	u = 0, max = INT64_MAX;
	bool		neg = false;
	size_t		i = 0;

	if (len != 0 && (s[0] == '-' || s[0] == '+')) {
		neg = (s[0] == '-');
		i++;
	}
	if (i == len)
		return (-EINVAL);
	if (neg)
		max++;
	for (; i < len; i++) {
		if (!JSON_DIGIT(s[i]))
			return (-EINVAL);
		if (u > (max - (s[i] - '0')) / 10)
			return (-ERANGE);
		u = u * 10 + (s[i] - '0');
	}
	if (neg)
		*v = (u == (uint64_t)INT64_MAX + 1) ? INT64_MIN : -(int64_t)u;
	else
		*v = u;
	return (0);
}

static int
json_literal(struct json *j, const char *word)
{
	size_t	n = strlen(word);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
		return (json_fail(j, j->p, "invalid literal"));
	j->p += n;
	return (0);
}

static int
json_open(struct json *j, char c, const char *what)
{
	if (j->error[0] != '\0')
		return (-1);
	json_ws(j);
	if (j->p == j->end || *j->p != c)
		return (json_expected(j, what));
	if (j->depth >= JSON_DEPTH_MAX)
		return (json_fail(j, j->p, "nested deeper than %d",
		    JSON_DEPTH_MAX));
	j->p++;
	j->depth++;
	j->first = true;
	return (0);
}

int
json_object_begin(struct json *j)
{
	return (json_open(j, '{', "'{'"));
}

int
json_array_begin(struct json *j)
{
	return (json_open(j, '[', "'['"));
}

/*
 * Step to the next member or element of the open container: 1 and past the
 * comma if one follows, 0 if the closing character was consumed.  A
 * container that closes leaves its parent with at least one member read, so
 * one "first" flag is enough for every level.
 */
static int
json_step(struct json *j, char close, bool *wasfirst)
{
	if (j->error[0] != '\0')
		return (-1);
	if (j->depth == 0)
		return (json_fail(j, j->p, "not inside an object or array"));
	*wasfirst = j->first;
	json_ws(j);
	if (j->p != j->end && *j->p == close) {
		j->p++;
		j->depth--;
		j->first = false;
		return (0);
	}
	if (!j->first) {
		if (j->p == j->end || *j->p != ',')
			return (json_expected(j, close == '}' ?
			    "',' or '}'" : "',' or ']'"));
		j->p++;
		json_ws(j);
	}
	j->first = false;
	return (1);
}

/* The next member's key, decoded into out if not NULL, and its colon. */
static int
json_member(struct json *j, struct buf *out)
{
	bool	wasfirst;
	int	r;

	if ((r = json_step(j, '}', &wasfirst)) <= 0)
		return (r);
	if (j->p == j->end || *j->p != '"')
		return (json_expected(j, wasfirst ? "a key or '}'" : "a key"));
	if (json_scan_string(j, out) != 0)
		return (-1);
	json_ws(j);
	if (j->p == j->end || *j->p != ':')
		return (json_expected(j, "':'"));
	j->p++;
	return (1);
}

static int
json_element(struct json *j)
{
	bool	wasfirst;
	int	r;

	if ((r = json_step(j, ']', &wasfirst)) <= 0)
		return (r);
	if (j->p == j->end || strchr("{[\"-0123456789tfn", *j->p) == NULL ||
	    *j->p == '\0')
		return (json_expected(j, wasfirst ? "a value or ']'" :
		    "a value"));
	return (1);
}

int
json_object_next(struct json *j, const char **key)
{
	int	r;

	*key = NULL;
	if ((r = json_member(j, &j->key)) == 1)
		*key = j->key.data;
	return (r);
}

int
json_array_next(struct json *j)
{
	return (json_element(j));
}

int
json_string(struct json *j, const char **s, size_t *len)
{
	if (j->error[0] != '\0')
		return (-1);
	json_ws(j);
	if (j->p == j->end || *j->p != '"')
		return (json_expected(j, "a string"));
	if (json_scan_string(j, &j->str) != 0)
		return (-1);
	*s = j->str.data;
	*len = j->str.len;
	return (0);
}

/* A JSON integer, or a string holding one, as Gson's nextLong takes. */
int
json_int(struct json *j, int64_t *v)
{
	const char	*at;
	bool		 integral;
	int		 error;

	if (j->error[0] != '\0')
		return (-1);
	json_ws(j);
	at = j->p;
	if (j->p != j->end && *j->p == '"') {
		if (json_scan_string(j, &j->str) != 0)
			return (-1);
		error = json_decimal(j->str.data, j->str.len, v);
	} else if (j->p != j->end && (*j->p == '-' || JSON_DIGIT(*j->p))) {
		if (json_scan_number(j, &integral) != 0)
			return (-1);
		if (!integral)
			return (json_fail(j, at, "expected an integer, "
			    "not a fraction"));
		error = json_decimal(at, j->p - at, v);
	} else
		return (json_expected(j, "an integer"));
	if (error == -ERANGE)
		return (json_fail(j, at, "integer out of range"));
	if (error != 0)
		return (json_fail(j, at, "expected an integer"));
	return (0);
}

int
json_bool(struct json *j, bool *v)
{
	switch (json_peek(j)) {
	case JSON_TRUE:
		*v = true;
		return (json_literal(j, "true"));
	case JSON_FALSE:
		*v = false;
		return (json_literal(j, "false"));
	case JSON_ERROR:
		return (-1);
	default:
		return (json_expected(j, "true or false"));
	}
}

/* Consume one value of any kind, without recursion. */
int
json_skip(struct json *j)
{
	char	open[JSON_DEPTH_MAX];	/* containers opened here */
	int	top = 0, r;
	bool	integral;

	for (;;) {
		switch (json_peek(j)) {
		case JSON_OBJECT:
			r = json_object_begin(j);
			if (r == 0)
				open[top++] = '{';
			break;
		case JSON_ARRAY:
			r = json_array_begin(j);
			if (r == 0)
				open[top++] = '[';
			break;
		case JSON_STRING:
			r = json_scan_string(j, NULL);
			break;
		case JSON_NUMBER:
			r = json_scan_number(j, &integral);
			break;
		case JSON_TRUE:
			r = json_literal(j, "true");
			break;
		case JSON_FALSE:
			r = json_literal(j, "false");
			break;
		case JSON_NULL:
			r = json_literal(j, "null");
			break;
		default:
			return (-1);
		}
		if (r != 0)
			return (-1);
		/* Close what ends here until another value starts. */
		for (;;) {
			if (top == 0)
				return (0);
			if (open[top - 1] == '{')
				r = json_member(j, NULL);
			else
				r = json_element(j);
			if (r < 0)
				return (-1);
			if (r == 1)
				break;
			top--;
		}
	}
}

int
json_finish(struct json *j)
{
	if (j->error[0] != '\0')
		return (-1);
	if (j->depth != 0)
		return (json_fail(j, j->p, "unclosed object or array"));
	json_ws(j);
	if (j->p != j->end)
		return (json_fail(j, j->p, "unexpected data after the end"));
	return (0);
}

/*
 * Append s as a JSON string literal as Gson writes it: control characters,
 * quote and backslash escaped, and with HTML escaping on (Gson's default,
 * and Doris's) < > & = ' as \u003c and so on; U+2028 and U+2029 too.
 * Other bytes, UTF-8 included, are copied.
 */
void
json_quote(struct buf *b, const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s, *end = p + len;
	const unsigned char	*run;
	const char		*e;
	char			 hex[8];

	buf_addc(b, '"');
	while (p != end) {
		run = p;
		while (p != end && *p >= 0x20 && strchr("\"\\<>&='", *p) ==
		    NULL && !(*p == 0xe2 && end - p >= 3 && p[1] == 0x80 &&
		    (p[2] == 0xa8 || p[2] == 0xa9)))
			p++;
		buf_add(b, run, p - run);
		if (p == end)
			break;
		switch (*p) {
		case '"':
			e = "\\\"";
			break;
		case '\\':
			e = "\\\\";
			break;
		case '\b':
			e = "\\b";
			break;
		case '\f':
			e = "\\f";
			break;
		case '\n':
			e = "\\n";
			break;
		case '\r':
			e = "\\r";
			break;
		case '\t':
			e = "\\t";
			break;
		case 0xe2:
			e = (p[2] == 0xa8) ? "\\u2028" : "\\u2029";
			p += 2;
			break;
		default:
			snprintf(hex, sizeof hex, "\\u%04x", *p);
			e = hex;
			break;
		}
		buf_add(b, e, strlen(e));
		p++;
	}
	buf_addc(b, '"');
}
