/*
 * The Azure Blob backend, in the location forms Doris takes:
 *
 *   https://<account>.blob.core.windows.net/<container>[/<prefix>]
 *   abfs[s]://<container>@<account>.dfs.core.windows.net[/<prefix>]
 *
 * reached at https://<account>.blob.<suffix>, a connection string's
 * BlobEndpoint, or -o endpoint= (the emulator, sovereign clouds).
 * Listings are List Blobs pages (a delimiter for one folder, none for a
 * recursive walk), reads are ranged Get Blob, stats Get Blob Properties;
 * writes are Put Blob with Content-MD5, which Azure checks, or past
 * BLOCK_SIZE blocks (Put Block, each checked) and a Put Block List.
 * Requests are signed with Shared Key or carry a SAS token (azure-key.c)
 * and are sent by http.c, with its retries, deadlines and transfer
 * thread, as S3's are.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "snapfs.h"

#define LIST_PAGE_MAX	(64U * 1024 * 1024)	/* one answer's body */
#define ERROR_BODY_MAX	(1024U * 1024)
#define BLOCK_SIZE	(16U * 1024 * 1024)
#define BLOCKS_MAX	50000

struct broker_azure {
	struct broker	 b;		/* must be first */
	struct http	*http;
	struct azure_key key;
	char		*origin;	/* scheme://host[:port] */
	char		*root;		/* the endpoint's path: "" or "/acct" */
	char		*container;
	char		*prefix;	/* "" or ending with '/' */
	char		 list_chunk[8];	/* maxresults of a listing page */
};

static bool
has_suffix_host(const char *location, const char *scheme, const char *mid)
{
	const char	*host, *end;

	if (strncmp(location, scheme, strlen(scheme)) != 0)
		return (false);
	host = location + strlen(scheme);
	end = host + strcspn(host, "/");
	return (memmem(host, end - host, mid, strlen(mid)) != NULL);
}

static bool
az_match(const char *location)
{
	return (has_suffix_host(location, "https://", ".blob.core.") ||
	    has_suffix_host(location, "abfs://", ".dfs.core.") ||
	    has_suffix_host(location, "abfss://", ".dfs.core."));
}

/*
 * Account, container, prefix and the default endpoint of a location;
 * -EINVAL with a cause.
 */
static int
az_parse(struct broker_azure *a, const char *location, char **account,
    char **endpoint, char **cause)
{
	const char	*host, *at, *dot, *path;
	char		*suffix;

	if (strncmp(location, "https://", 8) == 0) {
		host = location + 8;
		path = host + strcspn(host, "/");
		dot = strchr(host, '.');
		*account = xstrndup(host, dot - host);
		*endpoint = xstrndup(location, path - location);
		if (*path == '/')
			path++;
		a->container = xstrndup(path, strcspn(path, "/"));
		path += strlen(a->container);
	} else {
		host = strstr(location, "://") + 3;
		path = host + strcspn(host, "/");
		if ((at = memchr(host, '@', path - host)) == NULL) {
			xasprintf(cause, "%s: expected abfs://CONTAINER@"
			    "ACCOUNT.dfs.core.windows.net/PREFIX", location);
			return (-EINVAL);
		}
		a->container = xstrndup(host, at - host);
		dot = strchr(at, '.');
		*account = xstrndup(at + 1, dot - at - 1);
		/* The same account's Blob service: .dfs. becomes .blob. */
		suffix = xstrndup(dot + 5, path - dot - 5);
		xasprintf(endpoint, "https://%s.blob.%s", *account, suffix);
		free(suffix);
	}
	if (**account == '\0' || *a->container == '\0') {
		xasprintf(cause, "%s: no %s", location, **account == '\0' ?
		    "account" : "container");
		return (-EINVAL);
	}
	while (*path == '/')
		path++;
	if (*path == '\0')
		a->prefix = xstrdup("");
	else if (path[strlen(path) - 1] == '/')
		a->prefix = xstrdup(path);
	else
		xasprintf(&a->prefix, "%s/", path);
	return (0);
}

/* Split an endpoint URL into its origin and its path. */
static int
az_endpoint(struct broker_azure *a, const char *endpoint, char **cause)
{
	const char	*host, *path;
	size_t		 len;

	if (strncmp(endpoint, "http://", 7) != 0 &&
	    strncmp(endpoint, "https://", 8) != 0) {
		xasprintf(cause, "endpoint %s: expected http[s]://HOST[:PORT]"
		    "[/ACCOUNT]", endpoint);
		return (-EINVAL);
	}
	host = strstr(endpoint, "://") + 3;
	path = host + strcspn(host, "/?#");
	if (path == host || *path == '?' || *path == '#') {
		xasprintf(cause, "endpoint %s: no host", endpoint);
		return (-EINVAL);
	}
	a->origin = xstrndup(endpoint, path - endpoint);
	len = strlen(path);
	while (len > 0 && path[len - 1] == '/')
		len--;
	a->root = xstrndup(path, len);
	return (0);
}

/*
 * Make req a signed request on blob (NULL: the container), with its query
 * parameters q sorted by name.
 */
static void
az_request(struct broker_azure *a, struct http_request *req,
    const char *method, const char *blob, const struct azure_param *q,
    size_t nq)
{
	struct buf	path, query;
	size_t		i;

	buf_init(&path, SIZE_MAX);
	buf_printf(&path, "%s/", a->root);
	sigv4_encode(&path, a->container, strlen(a->container), false);
	if (blob != NULL) {
		buf_addc(&path, '/');
		sigv4_encode(&path, blob, strlen(blob), true);
	}
	buf_init(&query, SIZE_MAX);
	for (i = 0; i < nq; i++) {
		buf_printf(&query, "%s%s=", i == 0 ? "?" : "&", q[i].name);
		sigv4_encode(&query, q[i].value, strlen(q[i].value), false);
	}
	if (a->key.sas != NULL)
		buf_printf(&query, "%s%s", nq == 0 ? "?" : "&", a->key.sas);
	req->method = method;
	xasprintf(&req->url, "%s%s%s", a->origin, path.data,
	    query.data != NULL ? query.data : "");
	if (req->log_name == NULL)
		req->log_name = blob != NULL ? blob : a->container;
	azure_sign(&a->key, req, path.data, q, nq, time(NULL));
	if (query.data != NULL)
		explicit_bzero(query.data, query.len);	/* the SAS */
	buf_free(&query);
	buf_free(&path);
}

/* Perform req: 0, or -errno with a reason in *cause if asked. */
static int
az_do(struct broker_azure *a, struct http_request *req, char **cause)
{
	int	error;

	if ((error = http_do(a->http, req, a->origin, cause)) != 0)
		return (error);
	return (http_status(req, "ContainerNotFound", cause));
}

struct az_list {
	struct broker_azure	*a;
	const char		*folder;
	broker_list_cb		 cb;
	void			*arg;
};

static int
list_object(void *arg, const char *key, uint64_t size, int64_t mtime)
{
	struct az_list	*l = arg;

	return (broker_list_object(l->a->prefix, key, size, mtime, l->cb,
	    l->arg));
}

static int
list_prefix(void *arg, const char *prefix)
{
	struct az_list	*l = arg;

	return (broker_list_prefix(l->a->prefix, l->folder, prefix, l->cb,
	    l->arg));
}

static int
list_pages(struct broker_azure *a, const char *folder, bool recursive,
    const char *results, bool one_page, broker_list_cb cb, void *arg,
    volatile bool *abort, char **cause)
{
	struct http_request	 req;
	struct xml_list		 x;
	struct az_list		 l = { a, folder, cb, arg };
	struct azure_param	 q[6];
	struct buf		 body;
	struct broker_pages	 pages = { NULL, 0 };
	char			*prefix, *marker = NULL;
	size_t			 nq;
	int			 error;

	xasprintf(&prefix, "%s%s", a->prefix, folder);
	buf_init(&body, LIST_PAGE_MAX);
	for (;;) {
		nq = 0;
		q[nq++] = (struct azure_param){ "comp", "list" };
		if (!recursive)
			q[nq++] = (struct azure_param){ "delimiter", "/" };
		if (marker != NULL)
			q[nq++] = (struct azure_param){ "marker", marker };
		q[nq++] = (struct azure_param){ "maxresults", results };
		q[nq++] = (struct azure_param){ "prefix", prefix };
		q[nq++] = (struct azure_param){ "restype", "container" };
		memset(&req, 0, sizeof req);
		req.out = &body;
		req.abort = abort;
		req.log_name = *prefix != '\0' ? prefix : a->container;
		az_request(a, &req, "GET", NULL, q, nq);
		error = az_do(a, &req, cause);
		http_request_free(&req);
		if (error != 0)
			break;
		memset(&x, 0, sizeof x);
		x.object = list_object;
		x.prefix = list_prefix;
		x.arg = &l;
		error = xml_azure_list(body.data, body.len, &x, cause);
		free(marker);
		marker = x.next;
		if (error != 0 || !x.truncated || one_page)
			break;
		if ((error = broker_pages_next(&pages, "marker", marker,
		    cause)) != 0)
			break;
	}
	free(pages.seen);
	free(marker);
	free(prefix);
	buf_free(&body);
	return (error);
}

static int
az_list(struct broker *b, const char *folder, int flags, broker_list_cb cb,
    void *arg, volatile bool *abort)
{
	struct broker_azure	*a = (struct broker_azure *)b;
	char			*cause = NULL;
	int			 error;

	error = list_pages(a, folder, (flags & BROKER_RECURSIVE) != 0,
	    a->list_chunk, false, cb, arg, abort, &cause);
	if (error != 0)
		log_warn("list %s%s: %s", a->prefix, folder,
		    cause != NULL ? cause : strerror(-error));
	free(cause);
	return (error);
}

static int
az_stat(struct broker *b, const char *key, struct broker_entry *e,
    volatile bool *abort)
{
	struct broker_azure	*a = (struct broker_azure *)b;
	struct http_request	 req;
	char			*full;
	int			 error;

	xasprintf(&full, "%s%s", a->prefix, key);
	memset(&req, 0, sizeof req);
	req.abort = abort;
	az_request(a, &req, "HEAD", full, NULL, 0);
	if ((error = az_do(a, &req, NULL)) == 0) {
		memset(e, 0, sizeof *e);
		e->key = key;
		e->size = req.length;
		e->mtime = req.mtime;
	}
	http_request_free(&req);
	free(full);
	return (error);
}

/* The bytes a ranged GET gave: n, 0 past the end, or -errno. */
static ssize_t
range_got(const struct http_request *req, uint64_t off, size_t got,
    size_t len)
{
	ssize_t	n;

	if (http_range(req, off, got, len, &n))
		return (n);
	return (http_status(req, "ContainerNotFound", NULL));
}

static ssize_t
az_read(struct broker *b, const char *key, void *p, size_t len, uint64_t off,
    volatile bool *abort)
{
	struct broker_azure	*a = (struct broker_azure *)b;
	struct http_request	 req;
	struct buf		 out;
	char			*full;
	ssize_t			 n;

	if (len == 0)
		return (0);
	xasprintf(&full, "%s%s", a->prefix, key);
	buf_init(&out, len + ERROR_BODY_MAX);	/* room for an error body */
	memset(&req, 0, sizeof req);
	req.out = &out;
	req.abort = abort;
	http_header(&req, "x-ms-range: bytes=%llu-%llu",
	    (unsigned long long)off, (unsigned long long)(off + len - 1));
	az_request(a, &req, "GET", full, NULL, 0);
	if ((n = http_do(a->http, &req, NULL, NULL)) == 0)
		n = range_got(&req, off, out.len, len);
	if (n > 0)
		memcpy(p, out.data, n);
	http_request_free(&req);
	buf_free(&out);
	free(full);
	return (n);
}

struct az_fetch {
	struct http_request	 req;
	char			*full;
	uint64_t		 off;
	size_t			 len;
	broker_done_cb		 done;
	void			*arg;
};

static void
az_fetch_done(void *arg, int error)
{
	struct az_fetch	*f = arg;
	ssize_t		 n = error;

	if (error == 0)
		n = range_got(&f->req, f->off, f->req.got, f->len);
	http_request_free(&f->req);
	free(f->full);
	f->done(f->arg, n);
	free(f);
}

/* A ranged GET on the transfer thread, straight into p. */
static void
az_fetch(struct broker *b, const char *key, void *p, size_t len,
    uint64_t off, volatile bool *abort, broker_done_cb done, void *arg)
{
	struct broker_azure	*a = (struct broker_azure *)b;
	struct az_fetch		*f;

	if (len == 0) {
		done(arg, 0);
		return;
	}
	f = xcalloc(1, sizeof *f);
	f->off = off;
	f->len = len;
	f->done = done;
	f->arg = arg;
	xasprintf(&f->full, "%s%s", a->prefix, key);
	f->req.into = p;
	f->req.intolen = len;
	f->req.abort = abort;
	http_header(&f->req, "x-ms-range: bytes=%llu-%llu",
	    (unsigned long long)off, (unsigned long long)(off + len - 1));
	az_request(a, &f->req, "GET", f->full, NULL, 0);
	http_submit(a->http, &f->req, az_fetch_done, f);
}

/*
 * PUT len bytes to blob, a whole blob or (q) a block or the block list,
 * with Content-MD5, which Azure checks.
 */
static int
az_put_call(struct broker_azure *a, const char *blob,
    const struct azure_param *q, size_t nq, const void *p, size_t len,
    volatile bool *abort)
{
	struct http_request	 req;
	struct buf		 out;
	char			 md5[MD5_HEX_LEN + 1], b64[MD5_BASE64_LEN + 1];
	int			 error;

	digest_md5_hex(p, len, md5);
	digest_md5_base64(md5, b64);
	buf_init(&out, ERROR_BODY_MAX);
	memset(&req, 0, sizeof req);
	req.out = &out;
	req.abort = abort;
	req.body = p;
	req.bodylen = len;
	http_header(&req, "Content-Length: %zu", len);
	http_header(&req, "Content-MD5: %s", b64);
	http_header(&req, "Content-Type: application/octet-stream");
	if (nq == 0)
		http_header(&req, "x-ms-blob-type: BlockBlob");
	az_request(a, &req, "PUT", blob, q, nq);
	error = az_do(a, &req, NULL);
	http_request_free(&req);
	buf_free(&out);
	return (error);
}

static int
az_put(struct broker *b, const char *key, const void *p, size_t len,
    volatile bool *abort)
{
	struct broker_azure	*a = (struct broker_azure *)b;
	char			*full;
	int			 error;

	xasprintf(&full, "%s%s", a->prefix, key);
	error = az_put_call(a, full, NULL, 0, p, len, abort);
	free(full);
	return (error);
}

/*
 * Upload size bytes of fd as blocks, then commit them.  Blocks that are
 * never committed are dropped by Azure: a failure leaves no blob.
 */
static int
az_blocks(struct broker_azure *a, const char *blob, int fd, uint64_t size,
    volatile bool *abort)
{
	struct azure_param	 q[2];
	struct buf		 list;
	char			*block, raw[16], id[32];
	uint64_t		 off;
	ssize_t			 n;
	int			 nblocks, i, error = 0;

	nblocks = (size + BLOCK_SIZE - 1) / BLOCK_SIZE;
	if (nblocks > BLOCKS_MAX)
		return (-EFBIG);
	buf_init(&list, SIZE_MAX);
	buf_printf(&list, "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
	    "<BlockList>");
	block = xmalloc(BLOCK_SIZE);
	for (i = 0, off = 0; error == 0 && i < nblocks; i++, off += n) {
		n = size - off < BLOCK_SIZE ? size - off : BLOCK_SIZE;
		if ((error = broker_upload_read(fd, block, n, off, blob)) != 0)
			break;
		/* Every id of a blob has the same length. */
		snprintf(raw, sizeof raw, "snapfs%08d", i);
		digest_base64_encode(raw, 14, id);
		q[0] = (struct azure_param){ "blockid", id };
		q[1] = (struct azure_param){ "comp", "block" };
		error = az_put_call(a, blob, q, 2, block, n, abort);
		buf_printf(&list, "<Latest>%s</Latest>", id);
	}
	free(block);
	buf_printf(&list, "</BlockList>");
	if (error == 0 && off != size)
		error = -EIO;
	if (error == 0) {
		q[0] = (struct azure_param){ "comp", "blocklist" };
		error = az_put_call(a, blob, q, 1, list.data, list.len, abort);
	}
	buf_free(&list);
	return (error);
}

static int
az_upload(struct broker *b, const char *key, int fd, uint64_t size,
    volatile bool *abort)
{
	struct broker_azure	*a = (struct broker_azure *)b;
	char			*full, *p;
	int			 error;

	xasprintf(&full, "%s%s", a->prefix, key);
	if (size > BLOCK_SIZE)
		error = az_blocks(a, full, fd, size, abort);
	else {
		p = xmalloc(size > 0 ? size : 1);
		if ((error = broker_upload_read(fd, p, size, 0, full)) == 0)
			error = az_put_call(a, full, NULL, 0, p, size, abort);
		free(p);
	}
	free(full);
	return (error);
}

static int
az_remove(struct broker *b, const char *key, volatile bool *abort)
{
	struct broker_azure	*a = (struct broker_azure *)b;
	struct http_request	 req;
	struct buf		 out;
	char			*full;
	int			 error;

	xasprintf(&full, "%s%s", a->prefix, key);
	buf_init(&out, ERROR_BODY_MAX);
	memset(&req, 0, sizeof req);
	req.out = &out;
	req.abort = abort;
	az_request(a, &req, "DELETE", full, NULL, 0);
	error = az_do(a, &req, NULL);
	if (error == -ENOENT)
		error = 0;
	http_request_free(&req);
	buf_free(&out);
	free(full);
	return (error);
}

static void
az_close(struct broker *b)
{
	struct broker_azure	*a = (struct broker_azure *)b;

	if (a->http != NULL)
		http_free(a->http);
	azure_key_clear(&a->key);
	free(a->origin);
	free(a->root);
	free(a->container);
	free(a->prefix);
	free(a);
}

static int
probe_entry(void *arg, const struct broker_entry *e)
{
	return (0);
}

static int
az_open(const char *location, const struct broker_options *o,
    struct broker **bp, char **cause)
{
	struct broker_azure	*a;
	char			*account = NULL, *endpoint = NULL, *from = NULL;
	char			*why = NULL;
	int			 error;

	a = xcalloc(1, sizeof *a);
	if (o->region != NULL || o->path_style || o->profile != NULL) {
		xasprintf(cause, "%s: region=, path_style and profile= are "
		    "S3 options", location);
		error = -EINVAL;
		goto fail;
	}
	if ((error = az_parse(a, location, &account, &endpoint,
	    cause)) != 0 ||
	    (error = azure_key_open(o, account, &a->key, &from, cause)) != 0)
		goto fail;
	if ((error = az_endpoint(a, o->endpoint != NULL ? o->endpoint :
	    a->key.endpoint != NULL ? a->key.endpoint : endpoint,
	    cause)) != 0)
		goto fail;
	a->http = http_create(o->cafile);
	snprintf(a->list_chunk, sizeof a->list_chunk, "%d",
	    o->list_chunk != 0 ? o->list_chunk : 5000);

	/*
	 * One cheap request proves the endpoint, the container and the key:
	 * a page of one blob, without a delimiter (for which Azurite scans
	 * every blob below the prefix).
	 */
	if ((error = list_pages(a, "", true, "1", true, probe_entry, NULL,
	    NULL, &why)) != 0) {
		xasprintf(cause, "%s: %s", location, why);
		free(why);
		goto fail;
	}
	log_info("%s: Azure %s from %s", location, a->key.key != NULL ?
	    "account key" : "SAS token", from);
	free(account);
	free(endpoint);
	free(from);
	*bp = &a->b;
	return (0);
fail:
	free(account);
	free(endpoint);
	free(from);
	az_close(&a->b);
	return (error);
}

const struct broker_ops broker_azure_ops = {
	.name = "azure",
	.logs = true,
	.match = az_match,
	.open = az_open,
	.list = az_list,
	.stat = az_stat,
	.read = az_read,
	.fetch = az_fetch,
	.put = az_put,
	.upload = az_upload,
	.remove = az_remove,
	.close = az_close,
};
