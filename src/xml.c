/*
 * S3 answers in XML, read with libxml2's streaming reader: the only file
 * that includes libxml2.  A page of ListObjectsV2 is read as a stream
 * (the body is capped by the caller), entities are never expanded and
 * nothing is fetched from the network.
 */

#include <libxml/xmlreader.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "snapfs.h"

#define XML_DEPTH_MAX	16

struct xml_entry {
	char		*key;
	uint64_t	 size;
	int64_t		 mtime;
	bool		 is_prefix;
};

static xmlTextReaderPtr
xml_open(const char *p, size_t len)
{
	if (len > INT32_MAX)
		return (NULL);
	return (xmlReaderForMemory(p, (int)len, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
}

/*
 * "2024-03-01T08:00:00.000Z" as ns since the epoch, whole seconds; 0 when
 * it is not such a time or lies outside what 64-bit ns hold (1677-2262).
 */
static int64_t
iso8601(const char *s)
{
	struct tm	tm;
	time_t		t;
	int		n = 0;

	memset(&tm, 0, sizeof tm);
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
		return (0);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	if (t > INT64_MAX / 1000000000 || t < INT64_MIN / 1000000000)
		return (0);
	return ((int64_t)t * 1000000000);
}

/* Undo encoding-type=url in place. */
static void
url_decode(char *s)
{
	char	*out = s, hex[3] = { 0, 0, 0 };

	for (; *s != '\0'; s++) {
		if (*s == '%' && s[1] != '\0' && s[2] != '\0' &&
		    strchr("0123456789abcdefABCDEF", s[1]) != NULL &&
		    strchr("0123456789abcdefABCDEF", s[2]) != NULL) {
			hex[0] = s[1];
			hex[1] = s[2];
			*out++ = (char)strtol(hex, NULL, 16);
			s += 2;
		} else if (*s == '+')
			*out++ = ' ';
		else
			*out++ = *s;
	}
	*out = '\0';
}

/*
 * Walk the document, calling fn for every text node with the names of the
 * elements above it (path[0] is the root).  -1 on malformed XML.
 */
typedef void (*xml_text_fn)(void *, const char **, int, const char *);
typedef void (*xml_end_fn)(void *, const char **, int);

static int
xml_walk(const char *p, size_t len, xml_text_fn text, xml_end_fn end,
    void *arg)
{
	xmlTextReaderPtr	 r;
	const char		*path[XML_DEPTH_MAX];
	char			*names[XML_DEPTH_MAX];
	int			 depth, ret, type, i, top = 0;

	if ((r = xml_open(p, len)) == NULL)
		return (-1);
	while ((ret = xmlTextReaderRead(r)) == 1) {
		type = xmlTextReaderNodeType(r);
		depth = xmlTextReaderDepth(r);
		if (depth >= XML_DEPTH_MAX) {
			ret = -1;
			break;
		}
		if (type == XML_READER_TYPE_ELEMENT) {
			while (top > depth)
				free(names[--top]);
			names[top++] = xstrdup((const char *)
			    xmlTextReaderConstLocalName(r));
			if (xmlTextReaderIsEmptyElement(r) && end != NULL) {
				for (i = 0; i < top; i++)
					path[i] = names[i];
				end(arg, path, top);
			}
		} else if (type == XML_READER_TYPE_TEXT ||
		    type == XML_READER_TYPE_CDATA) {
			for (i = 0; i < top && i < depth; i++)
				path[i] = names[i];
			text(arg, path, i, (const char *)
			    xmlTextReaderConstValue(r));
		} else if (type == XML_READER_TYPE_END_ELEMENT) {
			while (top > depth + 1)
				free(names[--top]);
			if (end != NULL) {
				for (i = 0; i < top; i++)
					path[i] = names[i];
				end(arg, path, top);
			}
		}
	}
	while (top > 0)
		free(names[--top]);
	xmlFreeTextReader(r);
	return (ret == 0 ? 0 : -1);
}

/*
 * The two listings read here: S3's ListObjectsV2 and Azure's List Blobs.
 * An entry is an element under the root (S3) or under its Blobs (Azure);
 * its fields are found by name below it.
 */
struct list_dialect {
	const char	*what;		/* for messages */
	const char	*root;
	int		 depth;		/* of an entry element */
	const char	*object;	/* its element */
	const char	*prefix;	/* a common prefix's element */
	const char	*key;		/* the name, in either */
	const char	*size;
	const char	*mtime;
	int64_t		(*time)(const char *);
	const char	*next;		/* the next page's token, at depth 2 */
};

struct list_state {
	const struct list_dialect *d;
	struct xml_entry	*entries;
	size_t			 n;
	struct xml_entry	 cur;
	bool			 url;
	bool			 truncated;
	char			*next;
	bool			 is_list;
	char			*bad_size;	/* the first Size that is none */
};

/* A Size: decimal digits, at most INT64_MAX (st_size is signed). */
static bool
size_ok(const char *v, uint64_t *size)
{
	uint64_t	n = 0;

	if (*v == '\0' || strlen(v) > 19)
		return (false);
	for (; *v != '\0'; v++) {
		if (*v < '0' || *v > '9')
			return (false);
		n = n * 10 + (*v - '0');
	}
	if (n > INT64_MAX)
		return (false);
	*size = n;
	return (true);
}

/* An HTTP date, as Azure's Last-Modified: Thu, 03 Dec 2026 04:23:57 GMT. */
static int64_t
rfc1123(const char *s)
{
	struct tm	 tm;
	const char	*end;
	time_t		 t;

	memset(&tm, 0, sizeof tm);
	if ((end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm)) == NULL ||
	    *end != '\0' || (t = timegm(&tm)) < 0 ||
	    t > INT64_MAX / 1000000000)
		return (0);
	return ((int64_t)t * 1000000000);
}

static const struct list_dialect s3_list = {
	"ListObjectsV2 answer", "ListBucketResult", 2, "Contents",
	"CommonPrefixes", NULL, "Size", "LastModified", iso8601,
	"NextContinuationToken"
};
static const struct list_dialect azure_list = {
	"List Blobs answer", "EnumerationResults", 3, "Blob", "BlobPrefix",
	"Name", "Content-Length", "Last-Modified", rfc1123, "NextMarker"
};

static void
list_text(void *arg, const char **path, int depth, const char *v)
{
	struct list_state		*s = arg;
	const struct list_dialect	*d = s->d;
	const char			*name = path[depth - 1];
	const char			*entry;

	if (depth < 2 || strcmp(path[0], d->root) != 0)
		return;
	s->is_list = true;
	if (depth == 2) {
		if (strcmp(name, "IsTruncated") == 0)
			s->truncated = strcmp(v, "true") == 0;
		else if (strcmp(name, d->next) == 0) {
			free(s->next);
			s->next = xstrdup(v);
			s->truncated |= d == &azure_list && *v != '\0';
		} else if (strcmp(name, "EncodingType") == 0)
			s->url = strcmp(v, "url") == 0;
		return;
	}
	if (depth <= d->depth)
		return;
	entry = path[d->depth - 1];
	if (strcmp(entry, d->object) == 0) {
		if (depth == d->depth + 1 && strcmp(name, d->key != NULL ?
		    d->key : "Key") == 0) {
			free(s->cur.key);
			s->cur.key = xstrdup(v);
		} else if (strcmp(name, d->size) == 0) {
			if (!size_ok(v, &s->cur.size) && s->bad_size == NULL)
				s->bad_size = xstrndup(v, 64);
		} else if (strcmp(name, d->mtime) == 0)
			s->cur.mtime = d->time(v);
	} else if (strcmp(entry, d->prefix) == 0 &&
	    depth == d->depth + 1 && strcmp(name, d->key != NULL ? d->key :
	    "Prefix") == 0) {
		free(s->cur.key);
		s->cur.key = xstrdup(v);
		s->cur.is_prefix = true;
	}
}

static void
list_end(void *arg, const char **path, int depth)
{
	struct list_state		*s = arg;
	const struct list_dialect	*d = s->d;

	if (depth == 1 && strcmp(path[0], d->root) == 0)
		s->is_list = true;
	if (depth != d->depth || strcmp(path[0], d->root) != 0 ||
	    (strcmp(path[depth - 1], d->object) != 0 &&
	    strcmp(path[depth - 1], d->prefix) != 0))
		return;
	if (s->cur.key != NULL) {
		s->entries = xreallocarray(s->entries, s->n + 1,
		    sizeof *s->entries);
		s->entries[s->n++] = s->cur;
	}
	memset(&s->cur, 0, sizeof s->cur);
}

/*
 * Read one page of a listing.  Objects and common prefixes go to the
 * callbacks, keys decoded when the server used encoding-type=url.
 */
static int
list_read(const struct list_dialect *d, const char *p, size_t len,
    struct xml_list *l, char **cause)
{
	struct list_state	s;
	size_t			i;
	char			shown[4 * 64 + 4], *head;
	int			error = 0;

	memset(&s, 0, sizeof s);
	s.d = d;
	if (xml_walk(p, len, list_text, list_end, &s) != 0 || !s.is_list) {
		head = xstrndup(len > 0 ? p : "", len < 64 ? len : 64);
		xasprintf(cause, "malformed %s (%zu bytes: \"%s\")", d->what,
		    len, log_safe(head, 64, shown, sizeof shown));
		free(head);
		error = -EIO;
	} else if (s.bad_size != NULL) {
		log_safe(s.bad_size, 64, shown, sizeof shown);
		xasprintf(cause, "%s: Size \"%s\" is not a size", d->what,
		    shown);
		error = -EIO;
	}
	free(s.bad_size);
	for (i = 0; i < s.n; i++) {
		if (error == 0) {
			if (s.url)
				url_decode(s.entries[i].key);
			if (s.entries[i].is_prefix)
				error = l->prefix(l->arg, s.entries[i].key);
			else
				error = l->object(l->arg, s.entries[i].key,
				    s.entries[i].size, s.entries[i].mtime);
		}
		free(s.entries[i].key);
	}
	free(s.entries);
	free(s.cur.key);
	if (s.url && s.next != NULL)
		url_decode(s.next);
	l->truncated = error == 0 && s.truncated;
	l->next = s.next;
	if (l->truncated && (l->next == NULL || *l->next == '\0')) {
		xasprintf(cause, "truncated listing without a continuation "
		    "token");
		error = -EIO;
	}
	return (error);
}

/* One page of S3's ListObjectsV2. */
int
xml_list(const char *p, size_t len, struct xml_list *l, char **cause)
{
	return (list_read(&s3_list, p, len, l, cause));
}

/* One page of Azure's List Blobs; its NextMarker is l->next. */
int
xml_azure_list(const char *p, size_t len, struct xml_list *l, char **cause)
{
	return (list_read(&azure_list, p, len, l, cause));
}

struct error_state {
	bool	 is_error;
	char	*code;
	char	*message;
	char	*upload_id;
};

static void
error_text(void *arg, const char **path, int depth, const char *v)
{
	struct error_state	*s = arg;

	if (depth == 2 && strcmp(path[0], "Error") == 0) {
		if (strcmp(path[1], "Code") == 0 && s->code == NULL)
			s->code = xstrdup(v);
		else if (strcmp(path[1], "Message") == 0 && s->message == NULL)
			s->message = xstrdup(v);
	} else if (depth == 2 && strcmp(path[0],
	    "InitiateMultipartUploadResult") == 0 &&
	    strcmp(path[1], "UploadId") == 0 && s->upload_id == NULL)
		s->upload_id = xstrdup(v);
}

static void
error_end(void *arg, const char **path, int depth)
{
	struct error_state	*s = arg;

	if (depth == 1 && strcmp(path[0], "Error") == 0)
		s->is_error = true;
}

/*
 * Is this an S3 <Error> document?  1 with its code and message (either
 * may be NULL), 0 if it is something else, -1 if it is not XML.
 */
int
xml_error(const char *p, size_t len, char **code, char **message)
{
	struct error_state	s;

	memset(&s, 0, sizeof s);
	*code = *message = NULL;
	if (len == 0 || xml_walk(p, len, error_text, error_end, &s) != 0) {
		free(s.code);
		free(s.message);
		free(s.upload_id);
		return (-1);
	}
	free(s.upload_id);
	*code = s.code;
	*message = s.message;
	return (s.is_error ? 1 : 0);
}

/* The UploadId of an InitiateMultipartUploadResult. */
int
xml_upload_id(const char *p, size_t len, char **id)
{
	struct error_state	s;

	memset(&s, 0, sizeof s);
	*id = NULL;
	if (xml_walk(p, len, error_text, error_end, &s) != 0 ||
	    s.upload_id == NULL) {
		free(s.code);
		free(s.message);
		free(s.upload_id);
		return (-EIO);
	}
	free(s.code);
	free(s.message);
	*id = s.upload_id;
	return (0);
}

struct texts_state {
	const char	*parent;
	const char	*const *names;
	char		**values;
	size_t		 n;
};

static void
texts_text(void *arg, const char **path, int depth, const char *v)
{
	struct texts_state	*s = arg;
	size_t			 i;

	if (depth < 2 || strcmp(path[depth - 2], s->parent) != 0)
		return;
	for (i = 0; i < s->n; i++)
		if (strcmp(path[depth - 1], s->names[i]) == 0 &&
		    s->values[i] == NULL)
			s->values[i] = xstrdup(v);
}

/*
 * The text of the first child names[i] of an element named parent, at any
 * depth, into values[i] (NULL if there is none); -1 if it is no XML.
 */
int
xml_texts(const char *p, size_t len, const char *parent,
    const char *const *names, char **values, size_t n)
{
	struct texts_state	s = { parent, names, values, n };
	size_t			i;

	for (i = 0; i < n; i++)
		values[i] = NULL;
	if (len > 0 && xml_walk(p, len, texts_text, NULL, &s) == 0)
		return (0);
	for (i = 0; i < n; i++) {
		free(values[i]);
		values[i] = NULL;
	}
	return (-1);
}
