/*
 * HTTP over libcurl: the only file that includes curl.h.
 *
 * One engine: every request is a transfer on the one thread that drives a
 * curl multi handle.  http_submit starts one and calls back when it is
 * over; http_do submits one and waits for it.  Many transfers are in
 * flight at once over one connection cache that only that thread
 * touches (libcurl does not support one connection cache shared by
 * concurrent threads: two of them could be handed one connection, and one
 * read the other's answer).  Every transfer has a connect timeout and a
 * stall timeout.  A failure that may pass (a refused or reset connection,
 * a stall, a truncated body, a 5xx or 429 answer) is retried on a timer
 * with exponential backoff and full jitter, HTTP_ATTEMPTS times at most,
 * so a dead endpoint fails within about a minute and never hangs.  A
 * request that got no answer in all its attempts marks the endpoint down
 * for HTTP_DOWN_TIME seconds, in which requests fail at once but one, the
 * probe, tried once: a read that needs many requests fails in one
 * deadline, and the first request after the server is back gets through.
 * Whoever starts a request passes its cancellation down as the request's
 * abort flag (an interrupted FUSE request, a cancelled job): once set,
 * the request ends with -EINTR and is not retried.  A request that must
 * run whatever happens (the DELETE that aborts an upload) is given none.
 *
 * Some servers (radosgw) write a response's headers and its body apart,
 * with Nagle's algorithm on: the body waits for the ACK of the headers,
 * which Linux delays by 40 ms on a reused connection.  At the end of the
 * headers the ACK is sent at once (TCP_QUICKACK): a small GET there goes
 * from 44 ms to 0.3 ms.  libcurl does not tell a callback its socket, so
 * our sockets are known by their local port.
 * libcurl's codes become errno values here.
 */

#include <curl/curl.h>

#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "snapfs.h"

#define HTTP_CONNECT_TIMEOUT	5	/* seconds */
#define HTTP_STALL_TIME		10	/* seconds below 1 byte/s */
#define HTTP_BACKOFF_BASE	100	/* ms, doubled each attempt */
#define HTTP_BACKOFF_CAP	2000	/* ms */
#define HTTP_DOWN_TIME		5	/* seconds a dead endpoint is not tried */
#define HTTP_BUFFER		(256 * 1024)	/* receive buffer of a big fetch */
#define HTTP_IDLE_MAX		256	/* connections kept open, idle */

/* A transfer on the multi loop. */
struct xfer {
	struct xfer		*next;
	struct xfer		*prev;		/* in the active list */
	struct http_request	*req;
	struct curl_slist	*headers;
	CURL			*c;
	http_done_cb		 done;
	void			*arg;
	int			 attempt;
	uint64_t		 due;		/* ms, when retried */
	char			 errbuf[CURL_ERROR_SIZE];
};

struct http {
	struct http	 *next_http;	/* in all */
	CURLM		 *multi;
	pthread_t	  thread;
	bool		  started;
	bool		  quit;
	struct xfer	 *incoming;	/* under lock */
	struct xfer	 *delayed;	/* the loop's own */
	struct xfer	 *active;	/* the loop's own */
	struct xfer	 *probe;	/* the loop's own: tried while down */
	pthread_mutex_t	  lock;		/* incoming, quit, pool, npool */
	CURL		**pool;
	size_t		  npool;
	uint64_t	  down_until;	/* the loop's own: monotonic ms */
	int		  down_error;
	char		 *cafile;
};

/* The sockets libcurl opened through us, for quick_ack(). */
struct sock {
	int	fd;
	long	port;		/* 0 until known */
};
static pthread_mutex_t	socks_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sock	*socks;
static size_t		 nsocks;

static pthread_once_t	http_once = PTHREAD_ONCE_INIT;

static void	xfer_end(struct http *, struct xfer *, int);

/* Every struct http, for a fork. */
static pthread_mutex_t	 all_lock = PTHREAD_MUTEX_INITIALIZER;
static struct http	*all;

/*
 * End h's transfer thread once what it runs is over; the next request
 * starts another.
 */
static void
loop_stop(struct http *h)
{
	struct xfer	*x, *late;

	if (!h->started)
		return;
	pthread_mutex_lock(&h->lock);
	h->quit = true;
	pthread_mutex_unlock(&h->lock);
	curl_multi_wakeup(h->multi);
	pthread_join(h->thread, NULL);
	pthread_mutex_lock(&h->lock);
	late = h->incoming;	/* submitted as the loop ended */
	h->incoming = NULL;
	h->quit = false;
	h->started = false;
	pthread_mutex_unlock(&h->lock);
	while ((x = late) != NULL) {
		late = x->next;
		xfer_end(h, x, -ECANCELED);
	}
	curl_multi_cleanup(h->multi);
	h->multi = NULL;
}

/*
 * Before a fork (the daemon's, at mount, when nothing is in flight): a
 * thread does not cross it, so each side starts its own at its next
 * request, with connections of its own.
 */
static void
before_fork(void)
{
	struct http	*h;

	pthread_mutex_lock(&all_lock);
	for (h = all; h != NULL; h = h->next_http)
		loop_stop(h);
	pthread_mutex_unlock(&all_lock);
}

static void
http_global_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fatalx("curl_global_init failed");
	if (pthread_atfork(before_fork, NULL, NULL) != 0)
		fatalx("pthread_atfork");
}

struct http *
http_create(const char *cafile)
{
	struct http	*h;

	pthread_once(&http_once, http_global_init);
	h = xcalloc(1, sizeof *h);
	pthread_mutex_init(&h->lock, NULL);
	h->cafile = cafile != NULL ? xstrdup(cafile) : NULL;
	pthread_mutex_lock(&all_lock);
	h->next_http = all;
	all = h;
	pthread_mutex_unlock(&all_lock);
	return (h);
}

void
http_free(struct http *h)
{
	struct http	**hp;
	size_t		  i;

	if (h == NULL)
		return;
	pthread_mutex_lock(&all_lock);
	for (hp = &all; *hp != h; hp = &(*hp)->next_http)
		;
	*hp = h->next_http;
	pthread_mutex_unlock(&all_lock);
	loop_stop(h);
	for (i = 0; i < h->npool; i++)
		curl_easy_cleanup(h->pool[i]);
	free(h->pool);
	pthread_mutex_destroy(&h->lock);
	free(h->cafile);
	free(h);
}

static CURL *
easy_get(struct http *h)
{
	CURL	*c = NULL;

	pthread_mutex_lock(&h->lock);
	if (h->npool > 0)
		c = h->pool[--h->npool];
	pthread_mutex_unlock(&h->lock);
	if (c == NULL && (c = curl_easy_init()) == NULL)
		fatalx("curl_easy_init failed");
	return (c);
}

static void
easy_put(struct http *h, CURL *c)
{
	curl_easy_reset(c);
	pthread_mutex_lock(&h->lock);
	h->pool = xreallocarray(h->pool, h->npool + 1, sizeof *h->pool);
	h->pool[h->npool++] = c;
	pthread_mutex_unlock(&h->lock);
}

void
http_header(struct http_request *req, const char *fmt, ...)
{
	va_list	ap;

	if (req->nheaders == HTTP_HEADERS_MAX)
		fatalx("http: too many headers");
	va_start(ap, fmt);
	if (vasprintf(&req->headers[req->nheaders], fmt, ap) == -1)
		fatalx("http_header");
	va_end(ap);
	req->nheaders++;
}

void
http_request_free(struct http_request *req)
{
	int	i;

	for (i = 0; i < req->nheaders; i++) {
		/* Authorization and token lines are credentials. */
		explicit_bzero(req->headers[i], strlen(req->headers[i]));
		free(req->headers[i]);
	}
	req->nheaders = 0;
	free(req->url);
	req->url = NULL;
}

/*
 * The errno of req's answer, 0 for 2xx.  For an error, why: the status
 * with the code and message of its XML error body (S3 and Azure write the
 * same), into *cause when the caller takes it (it says it, once), else in
 * the log; a 404 is logged only with the code loud404 (the bucket or
 * container is gone), as a missing key is an answer, not a failure.
 */
int
http_status(const struct http_request *req, const char *loud404,
    char **cause)
{
	char	*code = NULL, *message = NULL;
	int	 error;

	switch (req->status) {
	case 400:
		error = -EINVAL;
		break;
	case 401:
	case 403:
		error = -EACCES;
		break;
	case 404:
		error = -ENOENT;
		break;
	default:
		error = req->status >= 200 && req->status < 300 ? 0 : -EIO;
		break;
	}
	if (error == 0)
		return (0);
	if (req->out != NULL)
		xml_error(req->out->data, req->out->len, &code, &message);
	if (message != NULL)	/* Azure's: "...\nRequestId:...\nTime:..." */
		message[strcspn(message, "\n")] = '\0';
	if (cause != NULL)
		xasprintf(cause, "HTTP %ld%s%s%s%s", req->status,
		    code != NULL ? " " : "", code != NULL ? code : "",
		    message != NULL ? ": " : "", message != NULL ? message : "");
	else if (req->status != 404 || (code != NULL &&
	    strcmp(code, loud404) == 0))
		log_warn("%s %s: HTTP %ld %s%s%s", req->method, req->log_name,
		    req->status, code != NULL ? code : "",
		    message != NULL ? ": " : "", message != NULL ? message : "");
	free(code);
	free(message);
	return (error);
}

/*
 * The verdict on a ranged GET of len bytes at off that brought got bytes:
 * true with *n the count (0 at or past the end, -EIO for data that is not
 * the range asked for, logged), false for an error status, which the
 * backend judges.
 */
bool
http_range(const struct http_request *req, uint64_t off, size_t got,
    size_t len, ssize_t *n)
{
	if (req->status == 416)
		*n = 0;
	else if ((req->status == 206 || (req->status == 200 && off == 0)) &&
	    got <= len)
		*n = (ssize_t)got;
	else if (req->status < 300) {
		log_warn("%s %s: HTTP %ld, not the range asked for",
		    req->method, req->log_name, req->status);
		*n = -EIO;
	} else
		return (false);
	return (true);
}

static bool
aborted(const struct http_request *req)
{
	return (req->abort != NULL && *req->abort);
}

/* Called about once a second, even when nothing moves. */
static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	return (aborted(arg) ? 1 : 0);
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct http_request	*req = arg;

	if (req->into != NULL) {
		if (size * n > req->intolen - req->got)
			return (0);	/* more than asked for: abort */
		memcpy(req->into + req->got, p, size * n);
		req->got += size * n;
		return (size * n);
	}
	if (req->out == NULL)
		return (size * n);
	if (buf_add(req->out, p, size * n) != 0)
		return (0);	/* larger than allowed: abort */
	return (size * n);
}

static curl_socket_t
on_open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	int	fd;

	if ((fd = socket(a->family, a->socktype | SOCK_CLOEXEC,
	    a->protocol)) == -1)
		return (CURL_SOCKET_BAD);
	pthread_mutex_lock(&socks_lock);
	socks = xreallocarray(socks, nsocks + 1, sizeof *socks);
	socks[nsocks++] = (struct sock){ fd, 0 };
	pthread_mutex_unlock(&socks_lock);
	return (fd);
}

static int
on_close_socket(void *arg, curl_socket_t fd)
{
	size_t	i;

	pthread_mutex_lock(&socks_lock);
	for (i = 0; i < nsocks; i++)
		if (socks[i].fd == fd) {
			socks[i] = socks[--nsocks];
			break;
		}
	pthread_mutex_unlock(&socks_lock);
	return (close(fd));
}

static long
local_port(int fd)
{
	struct sockaddr_storage	ss;
	socklen_t		len = sizeof ss;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return (0);
	if (ss.ss_family == AF_INET)
		return (ntohs(((struct sockaddr_in *)&ss)->sin_port));
	if (ss.ss_family == AF_INET6)
		return (ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
	return (0);
}

/* Send the ACK of the headers c just read now, not 40 ms later. */
static void
quick_ack(CURL *c)
{
	long	port;
	int	one = 1;
	size_t	i;

	if (curl_easy_getinfo(c, CURLINFO_LOCAL_PORT, &port) != CURLE_OK ||
	    port <= 0)
		return;
	pthread_mutex_lock(&socks_lock);
	for (i = 0; i < nsocks; i++) {
		if (socks[i].port == 0)
			socks[i].port = local_port(socks[i].fd);
		if (socks[i].port == port) {
			setsockopt(socks[i].fd, IPPROTO_TCP, TCP_QUICKACK,
			    &one, sizeof one);
			break;
		}
	}
	pthread_mutex_unlock(&socks_lock);
}

/* Keep the few response headers the brokers need. */
static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct xfer		*x = arg;
	struct http_request	*req = x->req;
	size_t			 len = size * n, vlen;
	char			 value[128];
	const char		*v;

	if (len == 2 && p[0] == '\r') {
		quick_ack(x->c);
		return (len);
	}
	if ((v = memchr(p, ':', len)) == NULL)
		return (len);
	v++;
	while (v < p + len && (*v == ' ' || *v == '\t'))
		v++;
	vlen = p + len - v;
	while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' ||
	    v[vlen - 1] == ' '))
		vlen--;
	if (vlen >= sizeof value)
		return (len);
	memcpy(value, v, vlen);
	value[vlen] = '\0';
	if (strncasecmp(p, "content-length:", 15) == 0)
		req->length = strtoull(value, NULL, 10);
	else if (strncasecmp(p, "last-modified:", 14) == 0)
		req->mtime = (int64_t)curl_getdate(value, NULL) * 1000000000;
	else if (strncasecmp(p, "etag:", 5) == 0)
		snprintf(req->etag, sizeof req->etag, "%s", value);
	else if (strncasecmp(p, "x-amz-bucket-region:", 20) == 0)
		snprintf(req->bucket_region, sizeof req->bucket_region, "%.63s",
		    value);
	return (len);
}

static bool
retryable_code(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return (true);
	default:
		return (false);
	}
}

static int
code_errno(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
		return (-EHOSTUNREACH);
	case CURLE_COULDNT_CONNECT:
		return (-ECONNREFUSED);
	case CURLE_OPERATION_TIMEDOUT:
		return (-ETIMEDOUT);
	case CURLE_WRITE_ERROR:
		return (-EFBIG);
	case CURLE_ABORTED_BY_CALLBACK:
		return (-EINTR);
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CACERT_BADFILE:
		return (-EPROTO);
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return (-EINVAL);
	default:
		return (-EIO);
	}
}

/* -errno while the endpoint is marked down, else 0. */
static int
down_error(struct http *h)
{
	if (h->down_until != 0 && monotonic_ms() < h->down_until)
		return (h->down_error);
	return (0);
}

/* The end of a request's attempts: the endpoint is up, or down. */
static void
mark(struct http *h, CURLcode rc, int error)
{
	if (rc == CURLE_OK) {
		if (h->down_until != 0)
			log_info("the endpoint answers again");
		h->down_until = 0;
	} else if (retryable_code(rc)) {
		if (h->down_until == 0)
			log_warn("no answer in %d attempts: failing requests "
			    "at once for %d s but one, the probe",
			    HTTP_ATTEMPTS, HTTP_DOWN_TIME);
		h->down_until = monotonic_ms() + HTTP_DOWN_TIME * 1000;
		h->down_error = error;
	}
}

static uint32_t
backoff_ms(int attempt)
{
	uint32_t	cap = HTTP_BACKOFF_BASE << attempt;

	if (cap > HTTP_BACKOFF_CAP)
		cap = HTTP_BACKOFF_CAP;
	return (arc4random_uniform(cap + 1));
}

/* Set x up for one attempt. */
static void
setup(struct http *h, struct xfer *x)
{
	CURL			*c = x->c;
	struct http_request	*req = x->req;

	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, req->once ? 1L :
	    (long)HTTP_CONNECT_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, req->once ? 5L : 0L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long)HTTP_STALL_TIME);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, x->headers);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, req);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(c, CURLOPT_PRIVATE, x);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
	curl_easy_setopt(c, CURLOPT_CLOSESOCKETFUNCTION, on_close_socket);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, req);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (req->into != NULL && req->intolen >= HTTP_BUFFER)
		curl_easy_setopt(c, CURLOPT_BUFFERSIZE, (long)HTTP_BUFFER);
	if (h->cafile != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, h->cafile);
	if (strcmp(req->method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else if (strcmp(req->method, "GET") != 0)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
	if (req->body != NULL || strcmp(req->method, "PUT") == 0 ||
	    strcmp(req->method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS,
		    req->body != NULL ? req->body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)req->bodylen);
	}
	x->errbuf[0] = '\0';
}

/* Clear what an earlier attempt left in req. */
static void
reset(struct http_request *req)
{
	if (req->out != NULL)
		req->out->len = 0;
	req->got = 0;
	req->status = 0;
	req->length = 0;
	req->mtime = 0;
	req->etag[0] = '\0';
	req->why[0] = '\0';
}

static struct curl_slist *
header_list(struct http_request *req)
{
	struct curl_slist	*headers = NULL, *l;
	bool			 typed = false;
	int			 i;

	for (i = 0; i < req->nheaders; i++) {
		if ((l = curl_slist_append(headers, req->headers[i])) == NULL)
			fatalx("curl_slist_append");
		headers = l;
		typed |= strncasecmp(req->headers[i], "Content-Type:", 13) == 0;
	}
	/* No form content type unless asked, no 100-continue round trip. */
	if (req->body != NULL || strcmp(req->method, "PUT") == 0 ||
	    strcmp(req->method, "POST") == 0) {
		headers = curl_slist_append(headers, "Expect:");
		if (!typed)
			headers = curl_slist_append(headers,
			    "Content-Type: application/octet-stream");
	}
	return (headers);
}

static void
xfer_start(struct http *h, struct xfer *x)
{
	reset(x->req);
	setup(h, x);
	if (curl_multi_add_handle(h->multi, x->c) != CURLM_OK)
		fatalx("curl_multi_add_handle failed");
	x->prev = NULL;
	if ((x->next = h->active) != NULL)
		h->active->prev = x;
	h->active = x;
}

static void
xfer_end(struct http *h, struct xfer *x, int error)
{
	struct http_request	*req = x->req;

	if (req->out != NULL && req->out->data == NULL)
		buf_add(req->out, "", 0);
	if (h->probe == x)
		h->probe = NULL;
	easy_put(h, x->c);
	curl_slist_free_all(x->headers);
	x->done(x->arg, error);
	free(x);
}

/* Take x off the multi handle and the active list. */
static void
xfer_remove(struct http *h, struct xfer *x)
{
	curl_multi_remove_handle(h->multi, x->c);
	if (x->prev != NULL)
		x->prev->next = x->next;
	else
		h->active = x->next;
	if (x->next != NULL)
		x->next->prev = x->prev;
}

/* Why attempt x ended as it did (rc), for a message. */
static void
reason(const struct xfer *x, CURLcode rc, char *s, size_t size)
{
	if (rc == CURLE_OK)
		snprintf(s, size, "HTTP %ld", x->req->status);
	else
		snprintf(s, size, "%s", *x->errbuf != '\0' ? x->errbuf :
		    curl_easy_strerror(rc));
}

/* Is an attempt that ended so worth another one? */
static bool
may_pass(const struct http_request *req, CURLcode rc)
{
	if (rc == CURLE_OK)
		return (req->status >= 500 || req->status == 429);
	return (retryable_code(rc));
}

/*
 * A transfer is over: retry it later, or tell its owner.  A retry is no
 * failure yet (debug only); a request that got no answer in the end is
 * logged once, with why, unless its caller says why (quiet, once).  An
 * answer, whatever its status, is the caller's to judge.
 */
static void
xfer_done(struct http *h, struct xfer *x, CURLcode rc)
{
	struct http_request	*req = x->req;
	char			 why[CURL_ERROR_SIZE];
	int			 error;

	xfer_remove(h, x);
	if (rc == CURLE_OK)
		curl_easy_getinfo(x->c, CURLINFO_RESPONSE_CODE, &req->status);
	reason(x, rc, why, sizeof why);
	if (!h->quit && !aborted(req) && h->probe != x && !req->once &&
	    x->attempt + 1 < HTTP_ATTEMPTS && may_pass(req, rc)) {
		log_debug("%s %s: %s, attempt %d of %d", req->method,
		    req->log_name, why, x->attempt + 1, HTTP_ATTEMPTS);
		x->attempt++;
		x->due = monotonic_ms() + backoff_ms(x->attempt);
		x->next = h->delayed;
		h->delayed = x;
		return;
	}
	error = rc == CURLE_OK ? 0 : code_errno(rc);
	if (rc == CURLE_ABORTED_BY_CALLBACK)
		log_info("%s %s: interrupted", req->method, req->log_name);
	else if (error != 0) {
		if (x->attempt > 0)
			snprintf(req->why, sizeof req->why,
			    "%s (%s; %d attempts)", strerror(-error), why,
			    x->attempt + 1);
		else
			snprintf(req->why, sizeof req->why, "%s (%s)",
			    strerror(-error), why);
		if (!req->quiet)
			log_warn("%s %s: %s", req->method, req->log_name,
			    req->why);
	}
	if (rc != CURLE_ABORTED_BY_CALLBACK && !req->once)
		mark(h, rc, error);
	xfer_end(h, x, error);
}

/* The transfer thread: start what comes in and what is due, run, finish. */
static void *
loop(void *arg)
{
	struct http	*h = arg;
	struct xfer	*x, *in, *next_in, **xp;
	CURLMsg		*msg;
	uint64_t	 now, next;
	int		 running = 0, left, quit, error;
	bool		 abortable;

	for (;;) {
		pthread_mutex_lock(&h->lock);
		in = h->incoming;
		h->incoming = NULL;
		quit = h->quit;
		pthread_mutex_unlock(&h->lock);
		for (x = NULL; in != NULL; in = next_in) {	/* in order */
			next_in = in->next;
			in->next = x;
			x = in;
		}
		for (; x != NULL; x = in) {
			in = x->next;
			error = quit ? -ECANCELED : down_error(h);
			if (error != 0 && !quit && h->probe == NULL)
				h->probe = x;	/* tried once, alone */
			else if (error != 0) {
				snprintf(x->req->why, sizeof x->req->why,
				    "%s", quit ? "shutting down" :
				    "the endpoint is down: not tried");
				log_debug("%s %s: %s", x->req->method,
				    x->req->log_name, x->req->why);
				xfer_end(h, x, error);
				continue;
			}
			xfer_start(h, x);
		}
		now = monotonic_ms();
		next = now + 1000;
		for (xp = &h->delayed; (x = *xp) != NULL;) {
			if (quit || aborted(x->req) || x->due <= now) {
				*xp = x->next;
				if (quit || aborted(x->req))
					xfer_end(h, x, quit ? -ECANCELED :
					    -EINTR);
				else
					xfer_start(h, x);
			} else {
				if (x->due < next)
					next = x->due;
				xp = &x->next;
			}
		}
		/* A reader that gave up does not wait for curl's progress. */
		abortable = false;
		for (x = h->active; x != NULL; x = in) {
			in = x->next;
			if (aborted(x->req)) {
				xfer_remove(h, x);
				log_debug("%s %s: interrupted", x->req->method,
				    x->req->log_name);
				xfer_end(h, x, -EINTR);
			} else if (x->req->abort != NULL)
				abortable = true;
		}
		curl_multi_perform(h->multi, &running);
		while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			    (char **)&x);
			xfer_done(h, x, msg->data.result);
		}
		if (quit && h->active == NULL && h->delayed == NULL)
			break;
		if (abortable && next > now + 50)
			next = now + 50;
		curl_multi_poll(h->multi, NULL, 0, quit ? 100 :
		    (int)(next - now), NULL);
	}
	return (NULL);
}

/*
 * Start req on the transfer thread; done(arg, error) is called there once
 * it is over (here for a request that is not sent), with 0 once the
 * server has answered (any status: the caller judges it), -errno when no
 * answer came, or -EINTR once *req->abort is set.  done must not block.
 * req and what it points to stay the caller's until then.
 */
void
http_submit(struct http *h, struct http_request *req, http_done_cb done,
    void *arg)
{
	struct xfer	*x;

	if (req->fail != 0) {
		log_debug("%s %s: no keys, not tried", req->method,
		    req->log_name);
		if (req->out != NULL && req->out->data == NULL)
			buf_add(req->out, "", 0);
		done(arg, req->fail);
		return;
	}
	x = xcalloc(1, sizeof *x);
	x->req = req;
	x->done = done;
	x->arg = arg;
	x->headers = header_list(req);
	x->c = easy_get(h);
	pthread_mutex_lock(&h->lock);
	if (!h->started) {
		if ((h->multi = curl_multi_init()) == NULL)
			fatalx("curl_multi_init failed");
		/* Idle connections kept: each new one costs the server. */
		curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS,
		    (long)HTTP_IDLE_MAX);
		if (pthread_create(&h->thread, NULL, loop, h) != 0)
			fatalx("pthread_create");
		h->started = true;
	}
	x->next = h->incoming;
	h->incoming = x;
	pthread_mutex_unlock(&h->lock);
	curl_multi_wakeup(h->multi);
}

struct sync {
	pthread_mutex_t	lock;
	pthread_cond_t	cond;
	bool		done;
	int		error;
};

static void
sync_done(void *arg, int error)
{
	struct sync	*s = arg;

	pthread_mutex_lock(&s->lock);
	s->error = error;
	s->done = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

/*
 * Perform req and wait for it: http_submit's result.  A caller that takes
 * a cause gets why no answer came in *cause, after who (a request with no
 * answer is logged only when cause is NULL).
 */
int
http_do(struct http *h, struct http_request *req, const char *who,
    char **cause)
{
	struct sync	s;
	bool		on_loop;

	pthread_mutex_lock(&h->lock);
	on_loop = h->started && pthread_equal(pthread_self(), h->thread);
	pthread_mutex_unlock(&h->lock);
	if (on_loop)
		fatalx("http_do on the transfer thread would wait forever");
	memset(&s, 0, sizeof s);
	pthread_mutex_init(&s.lock, NULL);
	pthread_cond_init(&s.cond, NULL);
	req->quiet = cause != NULL;
	http_submit(h, req, sync_done, &s);
	pthread_mutex_lock(&s.lock);
	while (!s.done)
		pthread_cond_wait(&s.cond, &s.lock);
	pthread_mutex_unlock(&s.lock);
	pthread_cond_destroy(&s.cond);
	pthread_mutex_destroy(&s.lock);
	if (s.error != 0 && cause != NULL)
		xasprintf(cause, "%s: %s", who, *req->why != '\0' ? req->why :
		    strerror(-s.error));
	return (s.error);
}
