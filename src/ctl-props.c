/*
 * The values of control lines: the BACKUP and RESTORE PROPERTIES Doris
 * accepts, each with what its value must be (one of a few words, a number
 * in a range, a snapshot timestamp, a replica allocation or a name), and
 * the checks of names, numbers and timestamps that the parser in ctl.c
 * shares.  A property is checked as Doris checks it; enumerated and
 * boolean values are stored in lower case.  The messages for a person are
 * written by ctl.c, which alone sees the line.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "snapfs.h"

/*
 * The properties Doris accepts, and what their values must be: one of the
 * words of hint ("a or b"), a number from min to max, a timestamp, a
 * replica allocation or a name.
 */
enum ctl_check {
	CTL_CHECK_WORD,
	CTL_CHECK_NUMBER,
	CTL_CHECK_TIMESTAMP,
	CTL_CHECK_ALLOCATION,
	CTL_CHECK_NAME
};

struct ctl_propdef {
	enum ctl_kind	 kind;
	const char	*key;
	enum ctl_check	 check;
	const char	*hint;
	uint64_t	 min;
	uint64_t	 max;
};

#define CTL_BOOL(k)	{ CTL_RESTORE, k, CTL_CHECK_WORD, "true or false", \
			    0, 0 }
#define CTL_TIMEOUT(k)	{ k, "timeout", CTL_CHECK_NUMBER, \
			    "seconds, 600 or more", 600, \
			    INT64_MAX / 1000 }

static const struct ctl_propdef ctl_propdefs[] = {
	{ CTL_BACKUP, "type", CTL_CHECK_WORD, "full or incremental", 0, 0 },
	{ CTL_BACKUP, "content", CTL_CHECK_WORD, "all or metadata_only", 0, 0 },
	CTL_TIMEOUT(CTL_BACKUP),
	CTL_TIMEOUT(CTL_RESTORE),
	{ CTL_RESTORE, "backup_timestamp", CTL_CHECK_TIMESTAMP,
	    "yyyy-MM-dd-HH-mm-ss, like 2026-11-25-10-00-00", 0, 0 },
	{ CTL_RESTORE, "replication_num", CTL_CHECK_NUMBER, "1 to 32767",
	    1, 32767 },
	{ CTL_RESTORE, "replication_allocation", CTL_CHECK_ALLOCATION,
	    "like tag.location.default: 3", 0, 0 },
	{ CTL_RESTORE, "meta_version", CTL_CHECK_NUMBER,
	    "an integer, 0 or more", 0, INT32_MAX },
	{ CTL_RESTORE, "storage_vault_name", CTL_CHECK_NAME,
	    "letters, digits, '_' and '-'", 0, 0 },
	CTL_BOOL("reserve_replica"),
	CTL_BOOL("reserve_dynamic_partition_enable"),
	CTL_BOOL("reserve_colocate"),
	CTL_BOOL("allow_load"),
	CTL_BOOL("clean_tables"),
	CTL_BOOL("clean_partitions"),
	CTL_BOOL("atomic_restore"),
	CTL_BOOL("force_replace")
};

/* Length of the well-formed UTF-8 character at s, 0 if none; *cp is it. */
size_t
ctl_props_utf8(const unsigned char *s, size_t left, uint32_t *cp)
{
	static const uint32_t	least[] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t			n, i;
	uint32_t		c;

	if ((*cp = s[0]) < 0x80)
		return (1);
	if (s[0] < 0xc2 || s[0] > 0xf4)
		return (0);
	n = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (n > left)
		return (0);
	c = s[0] & (0x7f >> n);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < least[n] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return (0);
	*cp = c;
	return (n);
}

/*
 * A name (database, table, partition, alias, repository): ASCII letters,
 * digits, '_' and '-', and letters beyond ASCII, told apart from the
 * spaces, punctuation and invisible characters of the ranges refused.
 */
bool
ctl_props_name_ok(const char *s)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 len = strlen(s), i, n;
	uint32_t		 c;

	for (i = 0; i < len; i += n) {
		if ((n = ctl_props_utf8(u + i, len - i, &c)) == 0)
			return (false);
		if (c < 0x80 && strchr(CTL_ALNUM "_-", c) == NULL)
			return (false);
		if (c >= 0x80 && (c < 0xc0 || c == 0xd7 || c == 0xf7 ||
		    (c >= 0x2000 && c <= 0x206f) ||
		    (c >= 0x3000 && c <= 0x3003) ||
		    (c >= 0xfe00 && c <= 0xfe0f) || c == 0xfeff ||
		    (c >= 0xff00 && c <= 0xff0f) || c >= 0xfff0))
			return (false);
	}
	return (len != 0 && len <= CTL_NAME_MAX);
}

/* Decimal digits at *sp, up to max: 0, -EINVAL or -ERANGE. */
static int
ctl_uint(const char **sp, uint64_t max, uint64_t *v)
{
	const char	*s = *sp;

	if (!CTL_DIGIT(*s))
		return (-EINVAL);
	for (*v = 0; CTL_DIGIT(*s); s++) {
		if (*v > (max - (*s - '0')) / 10)
			return (-ERANGE);
		*v = *v * 10 + (*s - '0');
	}
	*sp = s;
	return (0);
}

/* All of s is a decimal number up to max. */
int
ctl_props_number(const char *s, uint64_t max, uint64_t *v)
{
	int	error;

	if ((error = ctl_uint(&s, max, v)) != 0)
		return (error);
	return (*s == '\0' ? 0 : -EINVAL);
}

/* A snapshot timestamp: yyyy-MM-dd-HH-mm-ss with an optional -SSS. */
bool
ctl_props_timestamp_ok(const char *s)
{
	static const char	pat[] = "dddd-dd-dd-dd-dd-dd-ddd";
	static const int	mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31,
				    30, 31, 30, 31 };
	size_t			len = strlen(s), i;
	int			f[6], y;

	if (len != 19 && len != 23)
		return (false);
	for (i = 0; i < len; i++) {
		if (pat[i] == 'd' ? !CTL_DIGIT(s[i]) : s[i] != '-')
			return (false);
	}
	for (i = 0; i < 6; i++)
		f[i] = (s[i * 3 + 2] - '0') * 10 + (s[i * 3 + 3] - '0');
	y = (s[0] - '0') * 10 + (s[1] - '0');
	y = y * 100 + f[0];
	if (f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > mdays[f[1] - 1] ||
	    f[3] > 23 || f[4] > 59 || f[5] > 59)
		return (false);
	return (f[1] != 2 || f[2] != 29 ||
	    (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)));
}

/* "tag.location.<tag>: <n>[, ...]" with a total above zero. */
static bool
ctl_allocation_ok(const char *s)
{
	uint64_t	n, total = 0;
	size_t		len;

	for (;;) {
		s += strspn(s, " ");
		if (strncmp(s, "tag.location.", 13) != 0)
			return (false);
		if ((len = strspn(s += 13, CTL_ALNUM "_-")) == 0)
			return (false);
		s += len + strspn(s + len, " ");
		if (*s++ != ':')
			return (false);
		s += strspn(s, " ");
		if (ctl_uint(&s, 32767, &n) != 0)
			return (false);
		total += n;
		s += strspn(s, " ");
		if (*s == '\0')
			return (total > 0);
		if (*s++ != ',')
			return (false);
	}
}

/* v is one of the words of list, "a or b or c", in any case. */
static bool
ctl_one_of(const char *v, const char *list)
{
	size_t	len = strlen(v);

	if (len == 0 || strchr(v, ' ') != NULL)
		return (false);
	for (; list != NULL; list = strstr(list, " or ")) {
		list += *list == ' ' ? 4 : 0;
		if (strncasecmp(list, v, len) == 0 &&
		    (list[len] == ' ' || list[len] == '\0'))
			return (true);
	}
	return (false);
}

void
ctl_props_lower(char *s)
{
	for (; *s != '\0'; s++) {
		if (*s >= 'A' && *s <= 'Z')
			*s += 'a' - 'A';
	}
}

/*
 * Check one property of a job of the given kind as Doris does, and
 * lower-case an enumerated value: 0, -ENOENT for a key Doris does not
 * know, or -EINVAL for a bad value, with *hint saying what it must be.
 */
int
ctl_props_check(enum ctl_kind kind, struct ctl_property *prop,
    const char **hint)
{
	const struct ctl_propdef	*d = NULL;
	char				*v = prop->value;
	uint64_t			 n;
	size_t				 i;
	bool				 ok = false;

	for (i = 0; i < sizeof ctl_propdefs / sizeof *ctl_propdefs; i++) {
		if (ctl_propdefs[i].kind == kind &&
		    strcmp(ctl_propdefs[i].key, prop->key) == 0)
			d = &ctl_propdefs[i];
	}
	if (d == NULL)
		return (-ENOENT);
	switch (d->check) {
	case CTL_CHECK_WORD:
		if ((ok = ctl_one_of(v, d->hint)))
			ctl_props_lower(v);
		break;
	case CTL_CHECK_NUMBER:
		ok = ctl_props_number(v, d->max, &n) == 0 && n >= d->min;
		break;
	case CTL_CHECK_TIMESTAMP:
		ok = ctl_props_timestamp_ok(v);
		break;
	case CTL_CHECK_ALLOCATION:
		ok = ctl_allocation_ok(v);
		break;
	case CTL_CHECK_NAME:
		ok = ctl_props_name_ok(v);
		break;
	}
	if (!ok) {
		*hint = d->hint;
		return (-EINVAL);
	}
	return (0);
}
