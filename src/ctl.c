/*
 * Control lines, as written to ctl/backup, ctl/restore, ctl/cancel,
 * ctl/verify and ctl/drop, parsed into a struct ctl_request.  The grammar
 * is Doris's BACKUP, RESTORE and CANCEL SQL with the repository optional,
 * so a pasted statement works (a leading BACKUP SNAPSHOT, RESTORE SNAPSHOT
 * or CANCEL is skipped); verify and drop take [repo.]label [@timestamp].
 * A small tokenizer (words, `identifiers`, 'strings' or "strings", and
 * single punctuation characters) feeds a recursive-descent parser.
 * Keywords are case-insensitive, recognised only where they may stand, and
 * never backquoted.  Properties are checked as Doris checks them, by
 * ctl-props.c; keys and enumerated or boolean values are stored in lower
 * case.  The first error is returned as -EINVAL with a message for a
 * person that quotes at most CTL_ECHO_MAX bytes of the line.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "snapfs.h"

#define CTL_LINE_MAX	(64U * 1024)	/* longest line accepted */
#define CTL_LABEL_MAX	128
#define CTL_ECHO_MAX	64		/* bytes of input quoted in a message */

enum ctl_tok_type {
	CTL_TOK_END,
	CTL_TOK_WORD,		/* bare word: keyword, name, number */
	CTL_TOK_IDENT,		/* `backquoted`: always a name */
	CTL_TOK_STRING,		/* 'quoted' or "quoted" */
	CTL_TOK_PUNCT		/* one character: ( ) , . = @ and others */
};

struct ctl_tok {
	enum ctl_tok_type	 type;
	char			*text;	/* decoded; the input holds no NUL */
};

struct ctl_parser {
	enum ctl_kind		 kind;
	struct ctl_tok		*toks;	/* ends with a CTL_TOK_END */
	size_t			 ntoks;
	size_t			 i;	/* the next token */
	struct ctl_request	*req;
	char			*cause;
	char			 echo[CTL_ECHO_MAX + 32];
};

static int	ctl_fail(struct ctl_parser *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* Record the first error; always -EINVAL. */
static int
ctl_fail(struct ctl_parser *p, const char *fmt, ...)
{
	char	msg[256];
	va_list	ap;

	if (p->cause != NULL)
		return (-EINVAL);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	p->cause = xstrdup(msg);
	return (-EINVAL);
}

/* pre, s cut to CTL_ECHO_MAX bytes on a character edge, and post. */
static const char *
ctl_echo(struct ctl_parser *p, const char *pre, const char *s,
    const char *post)
{
	size_t	len = strlen(s), n = len;

	if (n > CTL_ECHO_MAX) {
		n = CTL_ECHO_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	snprintf(p->echo, sizeof p->echo, "%s%.*s%s%s", pre, (int)n, s,
	    n < len ? "..." : "", post);
	return (p->echo);
}

static const char *
ctl_show(struct ctl_parser *p, const char *s)
{
	return (ctl_echo(p, "\"", s, "\""));
}

/* What a token is, for "expected ..., got ..." messages. */
static const char *
ctl_got(struct ctl_parser *p, const struct ctl_tok *t)
{
	switch (t->type) {
	case CTL_TOK_END:
		return ("the end of the line");
	case CTL_TOK_PUNCT:
		return (ctl_echo(p, "'", t->text, "'"));
	case CTL_TOK_STRING:
		return (ctl_echo(p, "the string \"", t->text, "\""));
	default:
		return (ctl_show(p, t->text));
	}
}

static void
ctl_add_tok(struct ctl_parser *p, enum ctl_tok_type type, char *text)
{
	p->toks = xreallocarray(p->toks, p->ntoks + 1, sizeof *p->toks);
	p->toks[p->ntoks].type = type;
	p->toks[p->ntoks++].text = text;
}

static bool
ctl_word_char(char c)
{
	return ((unsigned char)c >= 0x80 ||
	    (c != '\0' && strchr(CTL_ALNUM "_-:", c) != NULL));
}

/*
 * Split the line into tokens.  A quote doubled stands for itself; in a
 * string, a backslash takes the next character as it is.
 */
static int
ctl_lex(struct ctl_parser *p, const char *s, size_t len)
{
	size_t	 i = 0, start, n;
	char	 q, *text;

	while (i < len) {
		start = i;
		if ((q = s[i]) == ' ' || q == '\t')
			i++;
		else if (ctl_word_char(q)) {
			while (i < len && ctl_word_char(s[i]))
				i++;
			ctl_add_tok(p, CTL_TOK_WORD, xstrndup(s + start,
			    i - start));
		} else if (q != '`' && q != '\'' && q != '"')
			ctl_add_tok(p, CTL_TOK_PUNCT, xstrndup(s + i++, 1));
		else {
			text = xmalloc(len - i);
			for (n = 0, i++; i < len; i++) {
				if (s[i] == q &&
				    (i + 1 == len || s[i + 1] != q))
					break;
				if (s[i] == q || (s[i] == '\\' && q != '`' &&
				    i + 1 < len))
					i++;
				text[n++] = s[i];
			}
			text[n] = '\0';
			ctl_add_tok(p, q == '`' ? CTL_TOK_IDENT :
			    CTL_TOK_STRING, text);
			if (i++ == len)
				return (ctl_fail(p, "unterminated %s at offset "
				    "%zu", q == '`' ? "backquote" : "string",
				    start));
		}
	}
	ctl_add_tok(p, CTL_TOK_END, xstrdup(""));
	return (0);
}

static bool
ctl_is_name(const struct ctl_tok *t)
{
	return (t->type == CTL_TOK_WORD || t->type == CTL_TOK_IDENT);
}

static bool
ctl_is_value(const struct ctl_tok *t)
{
	return (ctl_is_name(t) || t->type == CTL_TOK_STRING);
}

static bool
ctl_is_punct(const struct ctl_tok *t, char c)
{
	return (t->type == CTL_TOK_PUNCT && t->text[0] == c);
}

static bool
ctl_is_kw(const struct ctl_tok *t, const char *kw)
{
	return (t->type == CTL_TOK_WORD && strcasecmp(t->text, kw) == 0);
}

static struct ctl_tok *
ctl_peek(struct ctl_parser *p)
{
	return (&p->toks[p->i]);
}

static struct ctl_tok *
ctl_next(struct ctl_parser *p)
{
	struct ctl_tok	*t = &p->toks[p->i];

	if (t->type != CTL_TOK_END)
		p->i++;
	return (t);
}

static bool
ctl_accept_kw(struct ctl_parser *p, const char *kw)
{
	if (!ctl_is_kw(ctl_peek(p), kw))
		return (false);
	p->i++;
	return (true);
}

static bool
ctl_accept(struct ctl_parser *p, char c)
{
	if (!ctl_is_punct(ctl_peek(p), c))
		return (false);
	p->i++;
	return (true);
}

/* Fail unless the line ends here; expect says what else could come. */
static int
ctl_end(struct ctl_parser *p, const char *expect)
{
	if (ctl_peek(p)->type == CTL_TOK_END)
		return (0);
	return (ctl_fail(p, "expected %s, got %s", expect,
	    ctl_got(p, ctl_peek(p))));
}

/* Check a name; what is "database", "table" and so on. */
static int
ctl_check_name(struct ctl_parser *p, const char *what, const char *name)
{
	if (*name == '\0')
		return (ctl_fail(p, "empty %s name", what));
	if (strlen(name) > CTL_NAME_MAX)
		return (ctl_fail(p, "%s name %s is longer than %d bytes", what,
		    ctl_show(p, name), CTL_NAME_MAX));
	if (!ctl_props_name_ok(name))
		return (ctl_fail(p, "%s name %s may hold only letters, digits, "
		    "'_' and '-'", what, ctl_show(p, name)));
	return (0);
}

/* Take a name into *out; after says where, for the message. */
static int
ctl_name(struct ctl_parser *p, const char *what, const char *after,
    char **out)
{
	struct ctl_tok	*t = ctl_next(p);
	int		 error;

	if (!ctl_is_name(t))
		return (ctl_fail(p, "expected %s %s name %s, got %s",
		    strchr("aeiou", what[0]) != NULL ? "an" : "a", what, after,
		    ctl_got(p, t)));
	if ((error = ctl_check_name(p, what, t->text)) != 0)
		return (error);
	*out = xstrdup(t->text);
	return (0);
}

/* [prefix.]label: the prefix names a database or a repository. */
static int
ctl_parse_label(struct ctl_parser *p, const char *what, char **prefix)
{
	struct ctl_tok	*t, *label;
	const char	*form;
	size_t		 len;
	int		 error;

	form = *what == 'd' ? "[db.]label" : "[repo.]label";
	if (!ctl_is_name((t = label = ctl_next(p))))
		return (ctl_fail(p, "expected %s, got %s", form,
		    ctl_got(p, t)));
	if (ctl_accept(p, '.')) {
		if ((error = ctl_check_name(p, what, t->text)) != 0)
			return (error);
		if (!ctl_is_name((label = ctl_next(p))))
			return (ctl_fail(p, "expected a label after the '.', "
			    "got %s", ctl_got(p, label)));
		*prefix = xstrdup(t->text);
	}
	if (ctl_is_punct(ctl_peek(p), '.'))
		return (ctl_fail(p, "expected %s, got a second '.'", form));
	if ((len = strlen(label->text)) > CTL_LABEL_MAX)
		return (ctl_fail(p, "label %s is longer than %d bytes",
		    ctl_show(p, label->text), CTL_LABEL_MAX));
	if (len == 0 || strspn(label->text, CTL_ALNUM "-_:") != len)
		return (ctl_fail(p, "label %s must match [-_A-Za-z0-9:]{1,%d}",
		    ctl_show(p, label->text), CTL_LABEL_MAX));
	p->req->label = xstrdup(label->text);
	return (0);
}

/* Open a list: '(' and not ')' at once. */
static int
ctl_open(struct ctl_parser *p, const char *after, const char *empty)
{
	struct ctl_tok	*t = ctl_next(p);

	if (!ctl_is_punct(t, '('))
		return (ctl_fail(p, "expected '(' after %s, got %s", after,
		    ctl_got(p, t)));
	if (ctl_is_punct(ctl_peek(p), ')'))
		return (ctl_fail(p, "%s", empty));
	return (0);
}

/* After an item: 1 for ',', 0 for ')', or an error. */
static int
ctl_more(struct ctl_parser *p, const char *expect)
{
	struct ctl_tok	*t = ctl_next(p);

	if (ctl_is_punct(t, ','))
		return (1);
	if (ctl_is_punct(t, ')'))
		return (0);
	return (ctl_fail(p, "expected %s, got %s", expect, ctl_got(p, t)));
}

/* PARTITION p | PARTITION (p, ...) | PARTITIONS (p, ...), keyword read. */
static int
ctl_parse_partitions(struct ctl_parser *p, struct ctl_table *tbl)
{
	const char	*after = "after PARTITION";
	char		*name, empty[CTL_ECHO_MAX + 64];
	size_t		 i;
	int		 error, paren = 0;

	if (!ctl_is_name(ctl_peek(p))) {
		if (!ctl_is_punct(ctl_peek(p), '('))
			return (ctl_fail(p, "expected '(' or a partition name "
			    "after PARTITION, got %s",
			    ctl_got(p, ctl_peek(p))));
		snprintf(empty, sizeof empty, "empty PARTITION list for "
		    "table %s", ctl_show(p, tbl->name));
		if ((error = ctl_open(p, "PARTITION", empty)) != 0)
			return (error);
		after = "after '('";
		paren = 1;
	}
	do {
		if ((error = ctl_name(p, "partition", after, &name)) != 0)
			return (error);
		for (i = 0; i < tbl->npartitions; i++) {
			if (strcmp(tbl->partitions[i], name) != 0)
				continue;
			free(name);
			return (ctl_fail(p, "partition %s is listed twice",
			    ctl_show(p, tbl->partitions[i])));
		}
		tbl->partitions = xreallocarray(tbl->partitions,
		    tbl->npartitions + 1, sizeof *tbl->partitions);
		tbl->partitions[tbl->npartitions++] = name;
		after = "after ','";
	} while (paren && (paren = ctl_more(p, "',' or ')' in the "
	    "PARTITION list")) == 1);
	return (paren < 0 ? paren : 0);
}

/* An alias may name neither a table of the list nor another alias. */
static int
ctl_check_aliases(struct ctl_parser *p)
{
	struct ctl_request	*req = p->req;
	const char		*alias;
	size_t			 i, j;

	for (i = 0; i < req->ntables; i++) {
		if ((alias = req->tables[i].alias) == NULL)
			continue;
		for (j = 0; j < req->ntables; j++) {
			if (strcmp(req->tables[j].name, alias) == 0 ||
			    (j < i && req->tables[j].alias != NULL &&
			    strcmp(req->tables[j].alias, alias) == 0))
				return (ctl_fail(p, "alias %s is already a "
				    "table or an alias of the list",
				    ctl_show(p, alias)));
		}
	}
	return (0);
}

/* ( tbl [PARTITION (p, ...)] [AS alias], ... ), after ON or EXCLUDE. */
static int
ctl_parse_tables(struct ctl_parser *p, const char *kw)
{
	struct ctl_request	*req = p->req;
	struct ctl_table	*tbl;
	const char		*after = "after '('", *expect;
	char			 empty[64];
	bool			 aliases;
	size_t			 i;
	int			 error, more;

	aliases = p->kind == CTL_RESTORE && !req->exclude;
	snprintf(empty, sizeof empty, "empty table list after %s", kw);
	if ((error = ctl_open(p, kw, empty)) != 0)
		return (error);
	do {
		req->tables = xreallocarray(req->tables, req->ntables + 1,
		    sizeof *req->tables);
		tbl = &req->tables[req->ntables++];
		memset(tbl, 0, sizeof *tbl);
		if ((error = ctl_name(p, "table", after, &tbl->name)) != 0)
			return (error);
		for (i = 0; i + 1 < req->ntables; i++) {
			if (strcmp(req->tables[i].name, tbl->name) == 0)
				return (ctl_fail(p, "table %s is listed twice",
				    ctl_show(p, tbl->name)));
		}
		if (ctl_is_punct(ctl_peek(p), '.'))
			return (ctl_fail(p, "table %s: give the database "
			    "before the label, not in the table list",
			    ctl_show(p, tbl->name)));
		if ((ctl_accept_kw(p, "PARTITION") ||
		    ctl_accept_kw(p, "PARTITIONS")) &&
		    (error = ctl_parse_partitions(p, tbl)) != 0)
			return (error);
		if (ctl_accept_kw(p, "AS")) {
			if (p->kind == CTL_BACKUP)
				return (ctl_fail(p, "AS alias is only allowed "
				    "in a restore"));
			if (req->exclude)
				return (ctl_fail(p, "AS alias is not allowed "
				    "in an EXCLUDE list"));
			if ((error = ctl_name(p, "alias", "after AS",
			    &tbl->alias)) != 0)
				return (error);
		}
		expect = "',' or ')' after the table name";
		if (tbl->npartitions == 0 && tbl->alias == NULL)
			expect = aliases ? "PARTITION, AS, ',' or ')' after "
			    "the table name" : "PARTITION, ',' or ')' after "
			    "the table name";
		else if (tbl->alias == NULL && aliases)
			expect = "AS, ',' or ')' after the table name";
		after = "after ','";
	} while ((more = ctl_more(p, expect)) == 1);
	return (more < 0 ? more : ctl_check_aliases(p));
}

/* Check one property; the messages are Doris's. */
static int
ctl_check_prop(struct ctl_parser *p, struct ctl_property *prop)
{
	const char	*hint;
	int		 error;

	if ((error = ctl_props_check(p->kind, prop, &hint)) == -ENOENT)
		return (ctl_fail(p, "Unknown %s job properties: %s",
		    p->kind == CTL_BACKUP ? "backup" : "restore",
		    ctl_echo(p, "", prop->key, "")));
	if (error != 0)
		return (ctl_fail(p, "Invalid %s value: %s (%s)", prop->key,
		    ctl_show(p, prop->value), hint));
	return (0);
}

/* ( "k" = "v", ... ), after PROPERTIES. */
static int
ctl_parse_props(struct ctl_parser *p)
{
	struct ctl_request	*req = p->req;
	struct ctl_property	*prop;
	struct ctl_tok		*k, *v, *t;
	const char		*after = "after '('";
	size_t			 i;
	int			 error, more;

	if ((error = ctl_open(p, "PROPERTIES", "empty PROPERTIES list")) != 0)
		return (error);
	do {
		if (!ctl_is_value((k = ctl_next(p))))
			return (ctl_fail(p, "expected a property key %s, got "
			    "%s", after, ctl_got(p, k)));
		if (*k->text == '\0')
			return (ctl_fail(p, "empty property key"));
		if (!ctl_is_punct((t = ctl_next(p)), '='))
			return (ctl_fail(p, "expected '=' after the property "
			    "key, got %s", ctl_got(p, t)));
		if (!ctl_is_value((v = ctl_next(p))))
			return (ctl_fail(p, "expected a property value after "
			    "'=', got %s", ctl_got(p, v)));
		req->props = xreallocarray(req->props, req->nprops + 1,
		    sizeof *req->props);
		prop = &req->props[req->nprops++];
		prop->key = xstrdup(k->text);
		prop->value = xstrdup(v->text);
		ctl_props_lower(prop->key);
		for (i = 0; i + 1 < req->nprops; i++) {
			if (strcmp(req->props[i].key, prop->key) == 0)
				return (ctl_fail(p, "property %s is given "
				    "twice", ctl_show(p, prop->key)));
		}
		if ((error = ctl_check_prop(p, prop)) != 0)
			return (error);
		after = "after ','";
	} while ((more = ctl_more(p, "',' or ')' in the PROPERTIES "
	    "list")) == 1);
	return (more);
}

/*
 * [BACKUP|RESTORE SNAPSHOT] [db.]label [TO|FROM repo]
 * [ON|EXCLUDE (...)] [PROPERTIES (...)]
 */
static int
ctl_parse_job(struct ctl_parser *p)
{
	struct ctl_request	*req = p->req;
	const char		*to, *other, *expect;
	int			 error;

	to = p->kind == CTL_BACKUP ? "BACKUP" : "RESTORE";
	other = p->kind == CTL_BACKUP ? "RESTORE" : "BACKUP";
	if (p->ntoks > 2 && ctl_is_kw(&p->toks[1], "SNAPSHOT")) {
		if (ctl_is_kw(&p->toks[0], other))
			return (ctl_fail(p, "%s SNAPSHOT lines go to ctl/%s",
			    other, p->kind == CTL_BACKUP ? "restore" :
			    "backup"));
		if (ctl_is_kw(&p->toks[0], to))
			p->i = 2;
		if (p->i == 2 && p->ntoks == 3)
			return (ctl_fail(p, "expected [db.]label after %s "
			    "SNAPSHOT", to));
	}
	if ((error = ctl_parse_label(p, "database", &req->db)) != 0)
		return (error);
	to = p->kind == CTL_BACKUP ? "TO" : "FROM";
	expect = p->kind == CTL_BACKUP ? "TO, ON, EXCLUDE or PROPERTIES "
	    "after the label" : "FROM, ON, EXCLUDE or PROPERTIES after the "
	    "label";
	if (ctl_accept_kw(p, to)) {
		if ((error = ctl_name(p, "repository", p->kind == CTL_BACKUP ?
		    "after TO" : "after FROM", &req->repo)) != 0)
			return (error);
		expect = "ON, EXCLUDE or PROPERTIES after the repository";
	}
	if (ctl_accept_kw(p, "ON") ||
	    (req->exclude = ctl_accept_kw(p, "EXCLUDE"))) {
		if ((error = ctl_parse_tables(p, req->exclude ? "EXCLUDE" :
		    "ON")) != 0)
			return (error);
		expect = "PROPERTIES or the end of the line after the table "
		    "list";
	}
	if (ctl_accept_kw(p, "PROPERTIES")) {
		if ((error = ctl_parse_props(p)) != 0)
			return (error);
		expect = "the end of the line after PROPERTIES (...)";
	}
	return (ctl_end(p, expect));
}

/* [CANCEL] <job id> | BACKUP [FROM|IN db] | RESTORE [FROM|IN db] */
static int
ctl_parse_cancel(struct ctl_parser *p)
{
	struct ctl_request	*req = p->req;
	struct ctl_tok		*t;
	uint64_t		 id;
	int			 error;

	ctl_accept_kw(p, "CANCEL");
	t = ctl_next(p);
	if (ctl_is_kw(t, "BACKUP") || ctl_is_kw(t, "RESTORE")) {
		req->cancel_kind = ctl_is_kw(t, "BACKUP") ? CTL_BACKUP :
		    CTL_RESTORE;
		if (ctl_accept_kw(p, "FROM") || ctl_accept_kw(p, "IN")) {
			t = &p->toks[p->i - 1];
			error = ctl_name(p, "database", ctl_is_kw(t, "IN") ?
			    "after IN" : "after FROM", &req->db);
			return (error != 0 ? error : ctl_end(p, "the end of "
			    "the line after the database name"));
		}
		return (ctl_end(p, req->cancel_kind == CTL_BACKUP ? "FROM, "
		    "IN or the end of the line after BACKUP" : "FROM, IN or "
		    "the end of the line after RESTORE"));
	}
	if (t->type != CTL_TOK_WORD || !CTL_DIGIT(t->text[0]) ||
	    (error = ctl_props_number(t->text, INT64_MAX, &id)) == -EINVAL)
		return (ctl_fail(p, "expected a job id, BACKUP or RESTORE, "
		    "got %s", ctl_got(p, t)));
	if (error != 0)
		return (ctl_fail(p, "job id %s is too large",
		    ctl_show(p, t->text)));
	if (id == 0)
		return (ctl_fail(p, "job id must be a positive integer, got "
		    "%s", ctl_show(p, t->text)));
	req->job_id = id;
	return (ctl_end(p, "the end of the line after the job id"));
}

/* [repo.]label [@timestamp], for verify and drop. */
static int
ctl_parse_snapshot(struct ctl_parser *p)
{
	struct ctl_tok	*t;
	int		 error;

	if ((error = ctl_parse_label(p, "repository", &p->req->repo)) != 0)
		return (error);
	if (!ctl_accept(p, '@'))
		return (ctl_end(p, "'@timestamp' or the end of the line "
		    "after the label"));
	if (!ctl_is_value((t = ctl_next(p))))
		return (ctl_fail(p, "expected a timestamp after '@', got %s",
		    ctl_got(p, t)));
	if (!ctl_props_timestamp_ok(t->text))
		return (ctl_fail(p, "timestamp %s must be yyyy-MM-dd-HH-mm-ss, "
		    "like 2026-11-25-10-00-00", ctl_show(p, t->text)));
	p->req->timestamp = xstrdup(t->text);
	return (ctl_end(p, "the end of the line after the timestamp"));
}

/*
 * Trim the newline, spaces and one ';' at the end; refuse long lines,
 * control characters and bytes that are not UTF-8.
 */
static int
ctl_scan(struct ctl_parser *p, const char *line, size_t *lenp)
{
	const unsigned char	*u = (const unsigned char *)line;
	size_t			 len = *lenp, i, n;
	uint32_t		 c;
	int			 pass;

	if (len > CTL_LINE_MAX)
		return (ctl_fail(p, "the line is longer than 64 KiB (%zu "
		    "bytes)", len));
	for (pass = 0; pass < 2; pass++) {
		while (len > 0 && (u[len - 1] == ' ' || u[len - 1] == '\t' ||
		    u[len - 1] == '\n' || u[len - 1] == '\r'))
			len--;
		if (pass == 0 && len > 0 && u[len - 1] == ';')
			len--;
	}
	for (i = 0; i < len; i += n) {
		if (u[i] == '\0')
			return (ctl_fail(p, "NUL byte at offset %zu", i));
		if (u[i] == '\n')
			return (ctl_fail(p, "newline at offset %zu: write one "
			    "line at a time", i));
		if ((u[i] < 0x20 && u[i] != '\t') || u[i] == 0x7f)
			return (ctl_fail(p, "control character 0x%02x at "
			    "offset %zu", u[i], i));
		if ((n = ctl_props_utf8(u + i, len - i, &c)) == 0)
			return (ctl_fail(p, "invalid UTF-8 at offset %zu", i));
	}
	*lenp = len;
	return (0);
}

int
ctl_parse(enum ctl_kind kind, const char *line, size_t len,
    struct ctl_request **reqp, char **cause)
{
	static const char	*usage[] = {
		"[db.]label [TO repo] [ON|EXCLUDE (...)] [PROPERTIES (...)]",
		"[db.]label [FROM repo] [ON|EXCLUDE (...)] [PROPERTIES (...)]",
		"a job id, BACKUP [FROM db] or RESTORE [FROM db]",
		"[repo.]label [@timestamp]",
		"[repo.]label [@timestamp]"
	};
	struct ctl_parser	 p;
	size_t			 i;
	int			 error;

	*reqp = NULL;
	memset(&p, 0, sizeof p);
	p.kind = kind;
	p.req = xcalloc(1, sizeof *p.req);
	p.req->kind = kind;
	p.req->job_id = -1;
	p.req->cancel_kind = kind;
	if (line == NULL)
		len = 0;
	if ((error = ctl_scan(&p, line, &len)) != 0 ||
	    (error = ctl_lex(&p, line, len)) != 0)
		goto out;
	if (p.ntoks == 1)
		error = ctl_fail(&p, "empty line: expected %s", usage[kind]);
	else if (kind == CTL_BACKUP || kind == CTL_RESTORE)
		error = ctl_parse_job(&p);
	else if (kind == CTL_CANCEL)
		error = ctl_parse_cancel(&p);
	else
		error = ctl_parse_snapshot(&p);

out:
	for (i = 0; i < p.ntoks; i++)
		free(p.toks[i].text);
	free(p.toks);
	if (error == 0) {
		*reqp = p.req;
		return (0);
	}
	ctl_free(p.req);
	if (cause != NULL)
		*cause = p.cause;
	else
		free(p.cause);
	return (error);
}

void
ctl_free(struct ctl_request *req)
{
	size_t	i, j;

	if (req == NULL)
		return;
	for (i = 0; i < req->ntables; i++) {
		free(req->tables[i].name);
		for (j = 0; j < req->tables[i].npartitions; j++)
			free(req->tables[i].partitions[j]);
		free(req->tables[i].partitions);
		free(req->tables[i].alias);
	}
	free(req->tables);
	for (i = 0; i < req->nprops; i++) {
		free(req->props[i].key);
		free(req->props[i].value);
	}
	free(req->props);
	free(req->db);
	free(req->label);
	free(req->repo);
	free(req->timestamp);
	free(req);
}

const char *
ctl_property(const struct ctl_request *req, const char *key)
{
	size_t	i;

	if (req == NULL || key == NULL)
		return (NULL);
	for (i = 0; i < req->nprops; i++) {
		if (strcasecmp(req->props[i].key, key) == 0)
			return (req->props[i].value);
	}
	return (NULL);
}
