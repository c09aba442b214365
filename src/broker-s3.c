/*
 * The S3 backend: s3://bucket[/prefix] on AWS or any S3-compatible store
 * (Ceph radosgw, MinIO, OSS, COS, BOS, ...); oss://, cos://, obs:// and
 * gs:// locations, as Doris takes them, are the same with their
 * provider's endpoint.
 *
 * Listings are ListObjectsV2 pages (a delimiter for one folder, none for a
 * recursive walk), reads are ranged GETs, stats are HEADs; writes are PUTs
 * with Content-MD5 or, past PART_SIZE, multipart uploads that are aborted
 * on any failure so nothing is left half-uploaded.  Requests are signed
 * with SigV4 (sigv4.c) and sent by http.c; addressing is virtual-host
 * style by default, as Doris does, or path style.
 */

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "snapfs.h"

#define LIST_PAGE_MAX	(64U * 1024 * 1024)	/* one answer's body */
#define ERROR_BODY_MAX	(1024U * 1024)
#define PART_SIZE	(16U * 1024 * 1024)
#define PARTS_MAX	10000

struct broker_s3 {
	struct broker	 b;		/* must be first */
	struct http	*http;
	struct aws_creds *creds;
	char		*region;	/* signed for */
	char		*scheme;	/* http or https */
	char		*host;		/* the endpoint's host[:port] */
	char		*origin;	/* scheme://host, for messages */
	char		*bucket;
	char		*prefix;	/* "" or ending with '/' */
	bool		 path_style;
	int		 list_chunk;	/* max-keys of a listing page */
	char		 moved[64];	/* the bucket's region, S3 says */
};

/* The location schemes of S3 APIs, as Doris's storage properties have. */
static const struct scheme {
	const char	*prefix;
	const char	*provider;
	const char	*endpoint;	/* the default, or NULL */
	const char	*example;	/* of the endpoint= it needs, or NULL */
} schemes[] = {
	{ "s3://", "S3", NULL, NULL },
	{ "oss://", "Alibaba Cloud OSS", NULL,
	    "https://oss-REGION.aliyuncs.com" },
	{ "cos://", "Tencent Cloud COS", NULL,
	    "https://cos.REGION.myqcloud.com" },
	{ "obs://", "Huawei Cloud OBS", NULL,
	    "https://obs.REGION.myhuaweicloud.com" },
	{ "gs://", "Google Cloud Storage", "https://storage.googleapis.com",
	    NULL },
};

static const struct scheme *
scheme_of(const char *location)
{
	size_t	i;

	for (i = 0; i < sizeof schemes / sizeof schemes[0]; i++)
		if (strncmp(location, schemes[i].prefix,
		    strlen(schemes[i].prefix)) == 0)
			return (&schemes[i]);
	return (NULL);
}

static bool
s3_match(const char *location)
{
	return (scheme_of(location) != NULL);
}

/*
 * Make req a signed request for key ("" for the bucket), with the query
 * given in canonical form (sorted, encoded) or "".  Without keys to sign
 * it with (they expired), req fails unsent.
 */
static void
s3_request(struct broker_s3 *s, struct http_request *req, const char *method,
    const char *key, const char *query, const char *payload)
{
	struct buf	 path;
	char		*host;

	buf_init(&path, SIZE_MAX);
	buf_addc(&path, '/');
	if (s->path_style) {
		sigv4_encode(&path, s->bucket, strlen(s->bucket), false);
		buf_addc(&path, '/');
		host = xstrdup(s->host);
	} else
		xasprintf(&host, "%s.%s", s->bucket, s->host);
	sigv4_encode(&path, key, strlen(key), true);
	req->method = method;
	xasprintf(&req->url, "%s://%s%s%s%s", s->scheme, host, path.data,
	    *query != '\0' ? "?" : "", query);
	if (req->log_name == NULL)
		req->log_name = *key != '\0' ? key : s->bucket;
	req->fail = aws_creds_sign(s->creds, s->region, req, host, path.data,
	    query, payload != NULL ? payload : "UNSIGNED-PAYLOAD");
	free(host);
	buf_free(&path);
}

/* The errno for an HTTP answer, and why (see http_status). */
static int
s3_status(struct broker_s3 *s, struct http_request *req, char **cause)
{
	/* Signed for another region than the bucket's: s3_open moves. */
	if ((req->status == 301 || req->status == 400) &&
	    *req->bucket_region != '\0' && strcmp(req->bucket_region,
	    s->region) != 0) {
		snprintf(s->moved, sizeof s->moved, "%s", req->bucket_region);
		if (cause != NULL)
			xasprintf(cause, "the bucket is in region %s",
			    s->moved);
		return (-EIO);
	}
	return (http_status(req, "NoSuchBucket", cause));
}

/* Perform req: 0, or -errno with a reason in *cause if asked. */
static int
s3_do(struct broker_s3 *s, struct http_request *req, char **cause)
{
	int	error;

	if ((error = http_do(s->http, req, s->origin, cause)) != 0)
		return (error);
	return (s3_status(s, req, cause));
}

struct s3_list {
	struct broker_s3	*s;
	const char		*folder;
	broker_list_cb		 cb;
	void			*arg;
};

static int
list_object(void *arg, const char *key, uint64_t size, int64_t mtime)
{
	struct s3_list	*l = arg;

	return (broker_list_object(l->s->prefix, key, size, mtime, l->cb,
	    l->arg));
}

static int
list_prefix(void *arg, const char *prefix)
{
	struct s3_list	*l = arg;

	return (broker_list_prefix(l->s->prefix, l->folder, prefix, l->cb,
	    l->arg));
}

/* The canonical query of one ListObjectsV2 page. */
static char *
list_query(const char *prefix, const char *token, bool delimiter,
    int max_keys)
{
	struct buf	q;

	buf_init(&q, SIZE_MAX);
	if (token != NULL) {
		buf_add(&q, "continuation-token=", 19);
		sigv4_encode(&q, token, strlen(token), false);
		buf_addc(&q, '&');
	}
	if (delimiter)
		buf_printf(&q, "delimiter=%%2F&");
	buf_printf(&q, "encoding-type=url&list-type=2&max-keys=%d&prefix=",
	    max_keys);
	sigv4_encode(&q, prefix, strlen(prefix), false);
	return (buf_take(&q));
}

static int
list_pages(struct broker_s3 *s, const char *folder, bool recursive,
    int max_keys, bool one_page, broker_list_cb cb, void *arg,
    volatile bool *abort, char **cause)
{
	struct http_request	 req;
	struct xml_list		 x;
	struct s3_list		 l = { s, folder, cb, arg };
	struct buf		 body;
	struct broker_pages	 pages = { NULL, 0 };
	char			*prefix, *query, *token = NULL;
	int			 error;

	xasprintf(&prefix, "%s%s", s->prefix, folder);
	buf_init(&body, LIST_PAGE_MAX);
	for (;;) {
		memset(&req, 0, sizeof req);
		req.out = &body;
		req.abort = abort;
		req.log_name = *prefix != '\0' ? prefix : s->bucket;
		query = list_query(prefix, token, !recursive, max_keys);
		s3_request(s, &req, "GET", "", query, NULL);
		free(query);
		error = s3_do(s, &req, cause);
		http_request_free(&req);
		if (error != 0)
			break;
		memset(&x, 0, sizeof x);
		x.object = list_object;
		x.prefix = list_prefix;
		x.arg = &l;
		error = xml_list(body.data, body.len, &x, cause);
		free(token);
		token = x.next;
		if (error != 0 || !x.truncated || one_page)
			break;
		if ((error = broker_pages_next(&pages, "continuation token",
		    token, cause)) != 0)
			break;
	}
	free(pages.seen);
	free(token);
	free(prefix);
	buf_free(&body);
	return (error);
}

static int
s3_list(struct broker *b, const char *folder, int flags,
    broker_list_cb cb, void *arg, volatile bool *abort)
{
	struct broker_s3	*s = (struct broker_s3 *)b;
	char			*cause = NULL;
	int			 error;

	error = list_pages(s, folder, flags & BROKER_RECURSIVE, s->list_chunk,
	    false, cb, arg, abort, &cause);
	if (error != 0)
		log_warn("list %s%s: %s", s->prefix, folder,
		    cause != NULL ? cause : strerror(-error));
	free(cause);
	return (error);
}

static int
s3_stat(struct broker *b, const char *key, struct broker_entry *e,
    volatile bool *abort)
{
	struct broker_s3	*s = (struct broker_s3 *)b;
	struct http_request	 req;
	char			*full;
	int			 error;

	xasprintf(&full, "%s%s", s->prefix, key);
	memset(&req, 0, sizeof req);
	req.abort = abort;
	s3_request(s, &req, "HEAD", full, "", NULL);
	if ((error = s3_do(s, &req, NULL)) == 0) {
		memset(e, 0, sizeof *e);
		e->key = key;
		e->size = req.length;
		e->mtime = req.mtime;
	}
	http_request_free(&req);
	free(full);
	return (error);
}

static ssize_t
s3_read(struct broker *b, const char *key, void *p, size_t len, uint64_t off,
    volatile bool *abort)
{
	struct broker_s3	*s = (struct broker_s3 *)b;
	struct http_request	 req;
	struct buf		 out;
	char			*full;
	ssize_t			 n;

	if (len == 0)
		return (0);
	xasprintf(&full, "%s%s", s->prefix, key);
	buf_init(&out, len + ERROR_BODY_MAX);	/* room for an error body */
	memset(&req, 0, sizeof req);
	req.out = &out;
	req.abort = abort;
	http_header(&req, "Range: bytes=%llu-%llu", (unsigned long long)off,
	    (unsigned long long)(off + len - 1));
	s3_request(s, &req, "GET", full, "", NULL);
	if ((n = http_do(s->http, &req, NULL, NULL)) == 0 &&
	    !http_range(&req, off, out.len, len, &n))
		n = s3_status(s, &req, NULL);
	if (n > 0)
		memcpy(p, out.data, n);
	http_request_free(&req);
	buf_free(&out);
	free(full);
	return (n);
}

struct s3_fetch {
	struct broker_s3	*s;
	struct http_request	 req;
	char			*full;
	uint64_t		 off;
	size_t			 len;
	broker_done_cb		 done;
	void			*arg;
};

static void
s3_fetch_done(void *arg, int error)
{
	struct s3_fetch		*f = arg;
	struct http_request	*req = &f->req;
	ssize_t			 n = error;

	if (error == 0 && !http_range(req, f->off, req->got, f->len, &n))
		n = s3_status(f->s, req, NULL);
	http_request_free(req);
	free(f->full);
	f->done(f->arg, n);
	free(f);
}

/* A ranged GET on the transfer thread, straight into p. */
static void
s3_fetch(struct broker *b, const char *key, void *p, size_t len,
    uint64_t off, volatile bool *abort, broker_done_cb done, void *arg)
{
	struct broker_s3	*s = (struct broker_s3 *)b;
	struct s3_fetch		*f;

	if (len == 0) {
		done(arg, 0);
		return;
	}
	f = xcalloc(1, sizeof *f);
	f->s = s;
	f->off = off;
	f->len = len;
	f->done = done;
	f->arg = arg;
	xasprintf(&f->full, "%s%s", s->prefix, key);
	f->req.into = p;
	f->req.intolen = len;
	f->req.abort = abort;
	http_header(&f->req, "Range: bytes=%llu-%llu",
	    (unsigned long long)off, (unsigned long long)(off + len - 1));
	s3_request(s, &f->req, "GET", f->full, "", NULL);
	http_submit(s->http, &f->req, s3_fetch_done, f);
}

/* PUT one object, or one part of an upload, checked with Content-MD5. */
static int
s3_put_part(struct broker_s3 *s, const char *key, const char *query,
    const void *p, size_t len, char *etag, size_t etagsize,
    volatile bool *abort)
{
	struct http_request	 req;
	struct buf		 out;
	char			 md5[MD5_HEX_LEN + 1], b64[MD5_BASE64_LEN + 1];
	char			 want[MD5_HEX_LEN + 3];
	int			 error;

	digest_md5_hex(p, len, md5);
	digest_md5_base64(md5, b64);
	buf_init(&out, ERROR_BODY_MAX);
	memset(&req, 0, sizeof req);
	req.out = &out;
	req.abort = abort;
	req.body = p;
	req.bodylen = len;
	http_header(&req, "Content-MD5: %s", b64);
	s3_request(s, &req, "PUT", key, query, NULL);
	error = s3_do(s, &req, NULL);
	snprintf(want, sizeof want, "\"%s\"", md5);
	if (error == 0 && strcmp(req.etag, want) != 0 &&
	    strcmp(req.etag, md5) != 0) {
		log_warn("PUT %s: the server stored md5 %s, we sent %s", key,
		    req.etag, md5);
		error = -EIO;
	}
	if (error == 0 && etag != NULL)
		snprintf(etag, etagsize, "%s", req.etag);
	http_request_free(&req);
	buf_free(&out);
	return (error);
}

static int
s3_put(struct broker *b, const char *key, const void *p, size_t len,
    volatile bool *abort)
{
	struct broker_s3	*s = (struct broker_s3 *)b;
	char			*full;
	int			 error;

	xasprintf(&full, "%s%s", s->prefix, key);
	error = s3_put_part(s, full, "", p, len, NULL, 0, abort);
	free(full);
	return (error);
}

/*
 * A POST or DELETE on an upload, whose answer must not be an <Error>.
 * The DELETE that aborts an upload is given no abort flag: it is sent
 * even by a cancelled job.
 */
static int
s3_upload_call(struct broker_s3 *s, const char *method, const char *key,
    const char *query, const char *body, struct buf *out,
    volatile bool *abort)
{
	struct http_request	 req;
	char			*code, *message;
	int			 error;

	memset(&req, 0, sizeof req);
	req.abort = abort;
	req.out = out;
	req.body = body;
	req.bodylen = body != NULL ? strlen(body) : 0;
	s3_request(s, &req, method, key, query, NULL);
	error = s3_do(s, &req, NULL);
	if (error == 0 && out != NULL &&
	    xml_error(out->data, out->len, &code, &message) == 1) {
		log_warn("%s %s: %s: %s", method, key,
		    code != NULL ? code : "", message != NULL ? message : "");
		free(code);
		free(message);
		error = -EIO;
	}
	http_request_free(&req);
	return (error);
}

/* Upload size bytes of fd in parts; abort the upload on any failure. */
static int
s3_multipart(struct broker_s3 *s, const char *key, int fd, uint64_t size,
    volatile bool *abort)
{
	struct buf	 out, done, q;
	char		*id = NULL, *part, etag[128];
	uint64_t	 off;
	ssize_t		 n;
	int		 nparts, i, error;

	buf_init(&out, ERROR_BODY_MAX);
	error = s3_upload_call(s, "POST", key, "uploads=", NULL, &out,
	    abort);
	if (error == 0 && (error = xml_upload_id(out.data, out.len, &id)) != 0)
		log_warn("POST %s?uploads: no UploadId in the answer", key);
	buf_free(&out);
	if (error != 0)
		return (error);

	buf_init(&done, SIZE_MAX);
	buf_printf(&done, "<CompleteMultipartUpload>");
	part = xmalloc(PART_SIZE);
	nparts = (size + PART_SIZE - 1) / PART_SIZE;
	for (i = 0, off = 0; error == 0 && i < nparts; i++, off += n) {
		n = size - off < PART_SIZE ? size - off : PART_SIZE;
		if ((error = broker_upload_read(fd, part, n, off, key)) != 0)
			break;
		buf_init(&q, SIZE_MAX);
		buf_printf(&q, "partNumber=%d&uploadId=", i + 1);
		sigv4_encode(&q, id, strlen(id), false);
		error = s3_put_part(s, key, q.data, part, n, etag, sizeof etag,
		    abort);
		buf_free(&q);
		buf_printf(&done, "<Part><PartNumber>%d</PartNumber>"
		    "<ETag>%s</ETag></Part>", i + 1, etag);
	}
	free(part);
	buf_printf(&done, "</CompleteMultipartUpload>");
	buf_init(&q, SIZE_MAX);
	buf_add(&q, "uploadId=", 9);
	sigv4_encode(&q, id, strlen(id), false);
	if (error == 0 && off != size)
		error = -EIO;
	if (error == 0) {
		buf_init(&out, ERROR_BODY_MAX);
		error = s3_upload_call(s, "POST", key, q.data, done.data, &out,
		    abort);
		buf_free(&out);
	}
	if (error != 0 && s3_upload_call(s, "DELETE", key, q.data, NULL,
	    NULL, NULL) != 0)
		log_warn("%s: could not abort upload %s", key, id);
	buf_free(&q);
	buf_free(&done);
	free(id);
	return (error);
}

static int
s3_upload(struct broker *b, const char *key, int fd, uint64_t size,
    volatile bool *abort)
{
	struct broker_s3	*s = (struct broker_s3 *)b;
	char			*full, *p;
	int			 error;

	xasprintf(&full, "%s%s", s->prefix, key);
	if (size > PART_SIZE)
		error = s3_multipart(s, full, fd, size, abort);
	else {
		p = xmalloc(size > 0 ? size : 1);
		if ((error = broker_upload_read(fd, p, size, 0, full)) == 0)
			error = s3_put_part(s, full, "", p, size, NULL, 0,
			    abort);
		free(p);
	}
	free(full);
	return (error);
}

static int
s3_remove(struct broker *b, const char *key, volatile bool *abort)
{
	struct broker_s3	*s = (struct broker_s3 *)b;
	struct http_request	 req;
	struct buf		 out;
	char			*full;
	int			 error;

	xasprintf(&full, "%s%s", s->prefix, key);
	buf_init(&out, ERROR_BODY_MAX);
	memset(&req, 0, sizeof req);
	req.out = &out;
	req.abort = abort;
	s3_request(s, &req, "DELETE", full, "", NULL);
	error = s3_do(s, &req, NULL);
	if (error == -ENOENT)
		error = 0;
	http_request_free(&req);
	buf_free(&out);
	free(full);
	return (error);
}

static void
s3_close(struct broker *b)
{
	struct broker_s3	*s = (struct broker_s3 *)b;

	http_free(s->http);
	aws_creds_close(s->creds);
	free(s->region);
	free(s->scheme);
	free(s->host);
	free(s->origin);
	free(s->bucket);
	free(s->prefix);
	free(s);
}

/* Keys that expire are renewed from now on. */
static void
s3_start(struct broker *b)
{
	aws_creds_start(((struct broker_s3 *)b)->creds);
}

/* Split an endpoint URL into scheme and host[:port]. */
static int
s3_endpoint(struct broker_s3 *s, const char *endpoint, char **cause)
{
	const char	*p;
	size_t		 len;

	if ((p = strstr(endpoint, "://")) == NULL ||
	    (strncmp(endpoint, "http://", 7) != 0 &&
	    strncmp(endpoint, "https://", 8) != 0)) {
		xasprintf(cause, "endpoint %s: expected http://HOST[:PORT] or "
		    "https://HOST[:PORT]", endpoint);
		return (-EINVAL);
	}
	s->scheme = xstrndup(endpoint, p - endpoint);
	p += 3;
	len = strcspn(p, "/?#");
	if (len == 0 || strchr(p + len, '?') != NULL) {
		xasprintf(cause, "endpoint %s: no host", endpoint);
		return (-EINVAL);
	}
	s->host = xstrndup(p, len);
	xasprintf(&s->origin, "%s://%s", s->scheme, s->host);
	return (0);
}

static int
probe_entry(void *arg, const struct broker_entry *e)
{
	return (0);
}

static int
s3_open(const char *location, const struct broker_options *o,
    struct broker **bp, char **cause)
{
	const struct scheme	*sc = scheme_of(location);
	struct broker_s3	*s;
	const char		*p = location + strlen(sc->prefix), *slash;
	char			*endpoint = NULL, *why = NULL;
	bool			 own, moved = false;
	int			 error;

	s = xcalloc(1, sizeof *s);
	slash = strchr(p, '/');
	s->bucket = slash == NULL ? xstrdup(p) : xstrndup(p, slash - p);
	s->prefix = xstrdup(slash == NULL ? "" : slash + 1);
	if (*s->bucket == '\0') {
		xasprintf(cause, "%s: no bucket", location);
		error = -EINVAL;
		goto fail;
	}
	if (*s->prefix != '\0' && s->prefix[strlen(s->prefix) - 1] != '/') {
		free(s->prefix);
		xasprintf(&s->prefix, "%s/", slash + 1);
	}
	s->path_style = o->path_style;
	if (o->list_chunk > 1000) {
		xasprintf(cause, "list_chunk=%d: S3 lists 1000 keys a page at "
		    "most", o->list_chunk);
		error = -EINVAL;
		goto fail;
	}
	s->list_chunk = o->list_chunk != 0 ? o->list_chunk : 1000;
	if ((error = aws_settings(o, &s->region, &endpoint, cause)) != 0)
		goto fail;
	if (endpoint == NULL && sc->example != NULL) {
		xasprintf(cause, "%s: %s needs -o endpoint=%s (or "
		    "AWS_ENDPOINT_URL_S3)", location, sc->provider,
		    sc->example);
		error = -EINVAL;
		goto fail;
	}
	if (endpoint == NULL && sc->endpoint != NULL)
		endpoint = xstrdup(sc->endpoint);
	own = endpoint == NULL;
	if (own)
		xasprintf(&endpoint, "https://s3.%s.amazonaws.com",
		    s->region);
	if ((error = s3_endpoint(s, endpoint, cause)) != 0 ||
	    (error = aws_creds_open(o, s->region, o->cafile, &s->creds,
	    cause)) != 0)
		goto fail;
	s->http = http_create(o->cafile);

	/*
	 * One cheap request proves the endpoint, the bucket and the key.  A
	 * bucket in another region is signed for in its own from then on
	 * (and reached at its region's endpoint, unless one was given).
	 */
	while ((error = list_pages(s, "", true, 1, true, probe_entry, NULL,
	    NULL, &why)) != 0 && *s->moved != '\0' && !moved) {
		log_info("%s: the bucket is in region %s, not %s: signing "
		    "for it", location, s->moved, s->region);
		free(s->region);
		s->region = xstrdup(s->moved);
		moved = true;
		free(why);
		why = NULL;
		if (own) {
			free(endpoint);
			free(s->scheme);
			free(s->host);
			free(s->origin);
			xasprintf(&endpoint, "https://s3.%s.amazonaws.com",
			    s->region);
			if ((error = s3_endpoint(s, endpoint, cause)) != 0)
				goto fail;
		}
	}
	if (error != 0) {
		xasprintf(cause, "%s: %s", location, why);
		free(why);
		goto fail;
	}
	log_info("%s: S3 credentials from %s, region %s", location,
	    aws_creds_from(s->creds), s->region);
	free(endpoint);
	*bp = &s->b;
	return (0);
fail:
	free(endpoint);
	s3_close(&s->b);
	return (error);
}

const struct broker_ops broker_s3_ops = {
	.name = "s3",
	.logs = true,
	.match = s3_match,
	.open = s3_open,
	.list = s3_list,
	.stat = s3_stat,
	.read = s3_read,
	.fetch = s3_fetch,
	.put = s3_put,
	.upload = s3_upload,
	.remove = s3_remove,
	.start = s3_start,
	.close = s3_close,
};
