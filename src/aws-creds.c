/*
 * The keys S3 requests are signed with, and their renewal.  The first
 * source of the AWS SDKs' chain that has keys gives them:
 *
 *   static	aws.c: -o credentials=FILE, the environment, the shared
 *		files (never renewed)
 *   web identity	AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN, else the
 *		profile's web_identity_token_file and role_arn: STS
 *		AssumeRoleWithWebIdentity (AWS_ENDPOINT_URL_STS,
 *		AWS_ENDPOINT_URL or sts.REGION.amazonaws.com) with the
 *		token, read again at each renewal
 *   container	AWS_CONTAINER_CREDENTIALS_FULL_URI, else
 *		http://169.254.170.2 + AWS_CONTAINER_CREDENTIALS_RELATIVE_URI,
 *		with the Authorization token of
 *		AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or _TOKEN
 *   instance	EC2's instance metadata (AWS_EC2_METADATA_SERVICE_ENDPOINT
 *		or http://169.254.169.254), IMDSv2 only: a session token,
 *		then the role's name and its keys; skipped when
 *		AWS_EC2_METADATA_DISABLED is true
 *
 * Keys that expire are renewed by a thread before they do (half their
 * life before, 5 minutes at most), so no request waits or fails for it.
 * A renewal that fails is logged and tried again, 1 s, 2 s ... 30 s
 * later, while requests go on with the keys in hand; once those have
 * expired, requests fail with EACCES (logged once) until one succeeds.
 * No secret key, session token or identity token is ever put in a log
 * line or a message.
 */

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "snapfs.h"

#define RENEW_BEFORE	300	/* seconds before expiry, at most */
#define RETRY_MAX	30	/* seconds between failed renewals, at most */
#define ANSWER_MAX	(64 * 1024)
#define TOKEN_MAX	(16 * 1024)
#define ECS_HOST	"http://169.254.170.2"
#define IMDS_HOST	"http://169.254.169.254"
#define IMDS_CREDS	"/latest/meta-data/iam/security-credentials/"

enum source {
	SRC_STATIC,
	SRC_WEB_IDENTITY,
	SRC_CONTAINER,
	SRC_INSTANCE
};

struct keys {
	char	*id;
	char	*secret;
	char	*token;		/* or NULL */
	time_t	 expires;	/* 0: never */
};

struct aws_creds {
	pthread_mutex_t	 lock;		/* keys and the fields to thread */
	pthread_cond_t	 cond;
	struct keys	 keys;
	time_t		 obtained;	/* when keys came */
	time_t		 tried;		/* the last renewal */
	int		 failures;	/* renewals failed in a row */
	bool		 said;		/* their expiry was logged */
	bool		 wake;		/* renew now */
	bool		 quit;
	bool		 started;
	pthread_t	 thread;

	enum source	 source;
	char		*from;		/* where they come from, for the log */
	struct http	*http;
	char		*url;		/* STS, the container's, IMDS */
	char		*role_arn;	/* web identity */
	char		*token_file;	/* web identity, container */
	char		*session;	/* web identity */
	char		*auth;		/* container: the token itself */
};

static void
keys_clear(struct keys *k)
{
	if (k->secret != NULL)
		explicit_bzero(k->secret, strlen(k->secret));
	if (k->token != NULL)
		explicit_bzero(k->token, strlen(k->token));
	free(k->id);
	free(k->secret);
	free(k->token);
	memset(k, 0, sizeof *k);
}

static void
secret_free(char *s)
{
	if (s != NULL)
		explicit_bzero(s, strlen(s));
	free(s);
}

/*
 * An ISO 8601 time as AWS writes it: 2026-12-03T04:23:57Z, maybe with a
 * fraction of a second, maybe with +HH:MM instead of Z.
 */
int
aws_time(const char *s, time_t *t)
{
	struct tm	tm;
	int		n = 0, oh, om;
	time_t		off = 0;

	memset(&tm, 0, sizeof tm);
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 ||
	    n != 19 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
	    tm.tm_sec > 60)
		return (-1);
	s += n;
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++)
			;
	if ((*s == '+' || *s == '-') && sscanf(s + 1, "%2d:%2d%n", &oh, &om,
	    &n) == 2 && n == 5 && oh <= 23 && om <= 59) {
		off = (oh * 60 + om) * 60;
		if (*s == '-')
			off = -off;
		s += 6;
	} else if (*s == 'Z')
		s++;
	if (*s != '\0')
		return (-1);
	tm.tm_year -= 1900;
	tm.tm_mon--;
	*t = timegm(&tm) - off;
	return (0);
}

static void
time_text(time_t t, char *s, size_t len)
{
	struct tm	tm;

	gmtime_r(&t, &tm);
	strftime(s, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Keys from the answer's four values (taken); -EPROTO if one is bad. */
static int
keys_take(char *v[4], struct keys *k, char **cause)
{
	int	error = 0;

	memset(k, 0, sizeof *k);
	if (v[0] == NULL || *v[0] == '\0' || v[1] == NULL || *v[1] == '\0') {
		xasprintf(cause, "no AccessKeyId and SecretAccessKey in the "
		    "answer");
		error = -EPROTO;
	} else if (v[3] != NULL && aws_time(v[3], &k->expires) != 0) {
		xasprintf(cause, "an Expiration that is no time");
		error = -EPROTO;
	}
	k->id = v[0];
	k->secret = v[1];
	k->token = v[2];
	if (k->token != NULL && *k->token == '\0') {
		free(k->token);
		k->token = NULL;
	}
	free(v[3]);
	if (error != 0)
		keys_clear(k);
	return (error);
}

/* Keys from the JSON of the container and instance services. */
static int
keys_json(const struct buf *out, struct keys *k, char **cause)
{
	static const char *const names[] = {
		"AccessKeyId", "SecretAccessKey", "Token", "Expiration", "Code"
	};
	struct json	 j;
	const char	*key, *s;
	char		*v[5] = { NULL };
	size_t		 len, i;
	int		 r;

	json_init(&j, out->data, out->len);
	if ((r = json_object_begin(&j)) == 0)
		while ((r = json_object_next(&j, &key)) == 1) {
			for (i = 0; i < 5 && strcmp(key, names[i]) != 0; i++)
				;
			if (i == 5 || json_peek(&j) != JSON_STRING)
				r = json_skip(&j);
			else if ((r = json_string(&j, &s, &len)) == 0) {
				secret_free(v[i]);
				v[i] = xstrndup(s, len);
			}
			if (r != 0)
				break;
		}
	if (r == 0)
		r = json_finish(&j);
	if (j.str.data != NULL)
		explicit_bzero(j.str.data, j.str.size);
	json_free(&j);
	if (r != 0 || (v[4] != NULL && strcmp(v[4], "Success") != 0)) {
		xasprintf(cause, r != 0 ? "an answer that is no JSON object" :
		    "the answer's Code is %s", v[4]);
		for (i = 0; i < 5; i++)
			secret_free(v[i]);
		return (-EPROTO);
	}
	free(v[4]);
	return (keys_take(v, k, cause));
}

/* The file's first line; -errno with a cause. */
static int
read_token(const char *path, char **token, char **cause)
{
	FILE	*f;
	char	*line;
	size_t	 len;
	int	 error = 0;

	if ((f = fopen(path, "re")) == NULL) {
		error = -errno;
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (error);
	}
	line = xmalloc(TOKEN_MAX);
	len = fread(line, 1, TOKEN_MAX - 1, f);
	line[len] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	if (ferror(f) || *line == '\0') {
		xasprintf(cause, "%s: %s", path, ferror(f) ? "cannot read it" :
		    "empty");
		secret_free(line);
		error = -EINVAL;
	} else
		*token = line;
	fclose(f);
	return (error);
}

/* Free a buffer that held secrets, wiped first. */
static void
secret_buf_free(struct buf *b)
{
	if (b->data != NULL)
		explicit_bzero(b->data, b->len);
	buf_free(b);
}

/*
 * Perform req into out: 0 for a 200, else -errno with a cause naming
 * what (never the request's secrets).
 */
static int
ask(struct aws_creds *c, struct http_request *req, struct buf *out,
    const char *what, char **cause)
{
	const char *const names[] = { "Code", "Message" };
	char	*v[2];
	int	 error;

	buf_init(out, ANSWER_MAX);
	req->out = out;
	req->log_name = what;
	req->once |= c->started;	/* the renewer tries again itself */
	if ((error = http_do(c->http, req, what, cause)) != 0)
		return (error);
	if (req->status == 200)
		return (0);
	if (xml_texts(out->data, out->len, "Error", names, v, 2) == 0 &&
	    v[0] != NULL)
		xasprintf(cause, "%s: HTTP %ld %s%s%s", what, req->status,
		    v[0], v[1] != NULL ? ": " : "", v[1] != NULL ? v[1] : "");
	else
		xasprintf(cause, "%s: HTTP %ld", what, req->status);
	free(v[0]);
	free(v[1]);
	return (req->status == 401 || req->status == 403 ? -EACCES : -EIO);
}

static void
form_add(struct buf *b, const char *name, const char *value)
{
	buf_printf(b, "%s%s=", b->len > 0 ? "&" : "", name);
	sigv4_encode(b, value, strlen(value), false);
}

static int
fetch_web_identity(struct aws_creds *c, struct keys *k, char **cause)
{
	static const char *const names[] = {
		"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"
	};
	struct http_request	 req;
	struct buf		 body, out;
	char			*token, *v[4];
	int			 error;

	if ((error = read_token(c->token_file, &token, cause)) != 0)
		return (error);
	buf_init(&body, SIZE_MAX);
	form_add(&body, "Action", "AssumeRoleWithWebIdentity");
	form_add(&body, "Version", "2011-06-15");
	form_add(&body, "RoleArn", c->role_arn);
	form_add(&body, "RoleSessionName", c->session);
	form_add(&body, "WebIdentityToken", token);
	secret_free(token);
	memset(&req, 0, sizeof req);
	req.method = "POST";
	xasprintf(&req.url, "%s/", c->url);
	req.body = body.data;
	req.bodylen = body.len;
	http_header(&req, "Content-Type: application/x-www-form-urlencoded");
	if ((error = ask(c, &req, &out, "STS AssumeRoleWithWebIdentity",
	    cause)) == 0) {
		if (xml_texts(out.data, out.len, "Credentials", names, v,
		    4) != 0) {
			xasprintf(cause, "STS: an answer that is no XML");
			error = -EPROTO;
		} else
			error = keys_take(v, k, cause);
	}
	secret_buf_free(&body);
	secret_buf_free(&out);
	http_request_free(&req);
	return (error);
}

static int
fetch_container(struct aws_creds *c, struct keys *k, char **cause)
{
	struct http_request	 req;
	struct buf		 out;
	char			*token = NULL;
	int			 error;

	if (c->token_file != NULL &&
	    (error = read_token(c->token_file, &token, cause)) != 0)
		return (error);
	memset(&req, 0, sizeof req);
	req.method = "GET";
	req.url = xstrdup(c->url);
	if (token != NULL || c->auth != NULL)
		http_header(&req, "Authorization: %s",
		    token != NULL ? token : c->auth);
	secret_free(token);
	if ((error = ask(c, &req, &out, "container credentials",
	    cause)) == 0)
		error = keys_json(&out, k, cause);
	secret_buf_free(&out);
	http_request_free(&req);
	return (error);
}

/* One IMDS request with the session token (NULL: get one) into out. */
static int
imds(struct aws_creds *c, const char *path, const char *token,
    struct buf *out, char **cause)
{
	struct http_request	req;
	int			error;

	memset(&req, 0, sizeof req);
	req.method = token == NULL ? "PUT" : "GET";
	req.once = true;	/* off EC2, nobody answers */
	xasprintf(&req.url, "%s%s", c->url, path);
	if (token == NULL)
		http_header(&req, "X-aws-ec2-metadata-token-ttl-seconds: 21600");
	else
		http_header(&req, "X-aws-ec2-metadata-token: %s", token);
	error = ask(c, &req, out, "EC2 instance metadata", cause);
	http_request_free(&req);
	return (error);
}

static int
fetch_instance(struct aws_creds *c, struct keys *k, char **cause)
{
	struct buf	 tok, role, out;
	char		*path;
	int		 error;

	if ((error = imds(c, "/latest/api/token", NULL, &tok, cause)) != 0) {
		secret_buf_free(&tok);
		return (error);
	}
	buf_addc(&tok, '\0');
	if ((error = imds(c, IMDS_CREDS, tok.data, &role, cause)) == 0) {
		buf_addc(&role, '\0');
		role.data[strcspn(role.data, "\r\n")] = '\0';
		if (*role.data == '\0' || strchr(role.data, '/') != NULL) {
			xasprintf(cause, "EC2 instance metadata: no role");
			error = -EACCES;
		}
	}
	if (error == 0) {
		xasprintf(&path, "%s%s", IMDS_CREDS, role.data);
		if ((error = imds(c, path, tok.data, &out, cause)) == 0)
			error = keys_json(&out, k, cause);
		free(path);
		secret_buf_free(&out);
	}
	secret_buf_free(&tok);
	buf_free(&role);
	return (error);
}

static int
fetch(struct aws_creds *c, struct keys *k, char **cause)
{
	switch (c->source) {
	case SRC_WEB_IDENTITY:
		return (fetch_web_identity(c, k, cause));
	case SRC_CONTAINER:
		return (fetch_container(c, k, cause));
	case SRC_INSTANCE:
		return (fetch_instance(c, k, cause));
	default:
		fatalx("no source to renew credentials from");
	}
}

/* When keys obtained at obtained are renewed. */
static time_t
renew_at(const struct keys *k, time_t obtained)
{
	time_t	margin = (k->expires - obtained) / 2;

	return (k->expires - (margin < RENEW_BEFORE ? margin : RENEW_BEFORE));
}

static void *
renewer(void *arg)
{
	struct aws_creds	*c = arg;
	struct keys		 k;
	struct timespec		 ts;
	time_t			 next;
	char			*cause, until[32];
	int			 error;

	pthread_mutex_lock(&c->lock);
	while (!c->quit) {
		if (c->keys.expires == 0 && !c->wake) {	/* for good */
			pthread_cond_wait(&c->cond, &c->lock);
			continue;
		}
		if (c->failures == 0)
			next = renew_at(&c->keys, c->obtained);
		else
			next = c->tried + (c->failures > 5 ? RETRY_MAX :
			    1 << (c->failures - 1));
		if (next <= c->tried)	/* keys that came expired */
			next = c->tried + 1;
		if (!c->wake && time(NULL) < next) {
			ts.tv_sec = next;
			ts.tv_nsec = 0;
			pthread_cond_timedwait(&c->cond, &c->lock, &ts);
			continue;
		}
		c->wake = false;
		pthread_mutex_unlock(&c->lock);
		cause = NULL;
		error = fetch(c, &k, &cause);
		pthread_mutex_lock(&c->lock);
		c->tried = time(NULL);
		if (error == 0) {
			keys_clear(&c->keys);
			c->keys = k;
			c->obtained = c->tried;
			c->failures = 0;
			c->said = false;
			time_text(k.expires, until, sizeof until);
			log_info("S3 credentials from %s renewed, valid until "
			    "%s", c->from, until);
		} else {
			c->failures++;
			time_text(c->keys.expires, until, sizeof until);
			log_warn("S3 credentials from %s: cannot renew them: "
			    "%s; the ones in hand %s %s", c->from, cause,
			    c->tried < c->keys.expires ? "are valid until" :
			    "expired at", until);
		}
		free(cause);
	}
	pthread_mutex_unlock(&c->lock);
	return (NULL);
}

/* Keys that expire are renewed from now on (once the daemon runs). */
void
aws_creds_start(struct aws_creds *c)
{
	if (c->source == SRC_STATIC || c->keys.expires == 0 || c->started)
		return;
	c->started = true;
	if (pthread_create(&c->thread, NULL, renewer, c) != 0)
		fatal("pthread_create");
}

/*
 * Sign req with the keys in hand for region; -EACCES when they have
 * expired (a renewal is asked for).
 */
int
aws_creds_sign(struct aws_creds *c, const char *region,
    struct http_request *req, const char *host, const char *path,
    const char *query, const char *payload)
{
	struct sigv4_key	key;
	time_t			now = time(NULL);
	char			when[32];

	pthread_mutex_lock(&c->lock);
	if (c->keys.expires != 0 && now >= c->keys.expires) {
		if (!c->said) {
			time_text(c->keys.expires, when, sizeof when);
			log_warn("S3 credentials from %s expired at %s: "
			    "requests fail until they are renewed", c->from,
			    when);
			c->said = true;
		}
		if (now > c->tried) {
			c->wake = true;
			pthread_cond_signal(&c->cond);
		}
		pthread_mutex_unlock(&c->lock);
		return (-EACCES);
	}
	key.access_key = c->keys.id;
	key.secret = c->keys.secret;
	key.token = c->keys.token;
	key.region = (char *)region;
	sigv4_sign(&key, req, host, path, query, payload, now);
	pthread_mutex_unlock(&c->lock);
	return (0);
}

/* The variable's value if it is set and not empty, else NULL. */
static const char *
env(const char *name)
{
	const char	*v = getenv(name);

	return (v != NULL && *v != '\0' ? v : NULL);
}

/* url without a trailing '/'. */
static char *
base_url(const char *url)
{
	size_t	len = strlen(url);

	return (xstrndup(url, len - (len > 0 && url[len - 1] == '/')));
}

/* May the container's URI be plain http?  Only on the SDKs' hosts. */
static bool
container_host_ok(const char *url)
{
	static const char *const hosts[] = {
		"http://127.", "http://localhost", "http://[::1]",
		"http://169.254.170.2", "http://169.254.170.23",
		"http://[fd00:ec2::23]", NULL
	};
	const char *const	*h;
	size_t			 len;

	if (strncmp(url, "https://", 8) == 0)
		return (true);
	for (h = hosts; *h != NULL; h++) {
		len = strlen(*h);
		if (strncmp(url, *h, len) == 0 && ((*h)[len - 1] == '.' ||
		    url[len] == '\0' || url[len] == ':' || url[len] == '/'))
			return (true);
	}
	return (false);
}

/*
 * Which source of temporary keys this machine is set up for: 1 with it
 * set in c, 0 if none, -errno with a cause.  A profile that was named
 * gives web identity only.
 */
static int
configure(struct aws_creds *c, const struct broker_options *o,
    const char *region, bool named, char **cause)
{
	const char	*v, *uri;
	char		*file = NULL, *role = NULL, *name = NULL;
	int		 error;

	if ((v = env("AWS_WEB_IDENTITY_TOKEN_FILE")) != NULL)
		file = xstrdup(v);
	if ((v = env("AWS_ROLE_ARN")) != NULL)
		role = xstrdup(v);
	if (file == NULL && role == NULL &&
	    ((error = aws_config_get(o, "web_identity_token_file", &file,
	    cause)) != 0 || (error = aws_config_get(o, "role_arn", &role,
	    cause)) != 0 || (error = aws_config_get(o, "role_session_name",
	    &name, cause)) != 0))
		goto fail;
	if (file != NULL || role != NULL) {
		if (file == NULL || role == NULL) {
			xasprintf(cause, "web identity: %s without %s",
			    file != NULL ? "a token file" : "a role",
			    file != NULL ? "AWS_ROLE_ARN (role_arn)" :
			    "AWS_WEB_IDENTITY_TOKEN_FILE "
			    "(web_identity_token_file)");
			error = -EINVAL;
			goto fail;
		}
		c->source = SRC_WEB_IDENTITY;
		c->token_file = file;
		c->role_arn = role;
		if ((v = env("AWS_ROLE_SESSION_NAME")) != NULL) {
			free(name);
			name = xstrdup(v);
		}
		if (name == NULL)
			xasprintf(&name, "snapfs-%ld", (long)getpid());
		c->session = name;
		if ((v = env("AWS_ENDPOINT_URL_STS")) != NULL ||
		    (v = env("AWS_ENDPOINT_URL")) != NULL)
			c->url = base_url(v);
		else
			xasprintf(&c->url, "https://sts.%s.amazonaws.com",
			    region);
		xasprintf(&c->from, "web identity (role %s)", role);
		return (1);
	}
	free(name);
	if (named)
		return (0);
	if ((uri = env("AWS_CONTAINER_CREDENTIALS_FULL_URI")) != NULL ||
	    (v = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) != NULL) {
		if (uri != NULL && !container_host_ok(uri)) {
			xasprintf(cause, "AWS_CONTAINER_CREDENTIALS_FULL_URI: "
			    "plain http only to a loopback or the container "
			    "service's address");
			return (-EINVAL);
		}
		c->source = SRC_CONTAINER;
		if (uri != NULL)
			c->url = xstrdup(uri);
		else
			xasprintf(&c->url, "%s%s", ECS_HOST, v);
		if ((v = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) != NULL)
			c->token_file = xstrdup(v);
		else if ((v = env("AWS_CONTAINER_AUTHORIZATION_TOKEN")) !=
		    NULL)
			c->auth = xstrdup(v);
		xasprintf(&c->from, "container credentials (%s)", c->url);
		return (1);
	}
	if ((v = env("AWS_EC2_METADATA_DISABLED")) != NULL &&
	    strcasecmp(v, "true") == 0)
		return (0);
	c->source = SRC_INSTANCE;
	v = env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	c->url = base_url(v != NULL ? v : IMDS_HOST);
	xasprintf(&c->from, "EC2 instance metadata (%s)", c->url);
	return (1);
fail:
	free(file);
	free(role);
	free(name);
	return (error);
}

/*
 * The keys for this mount, from the first source that has them, into
 * *cp; where they came from is logged.  -errno with a cause.
 */
int
aws_creds_open(const struct broker_options *o, const char *region,
    const char *cafile, struct aws_creds **cp, char **cause)
{
	struct aws_creds	*c;
	struct sigv4_key	 k = { NULL };
	char			*why = NULL, *why2 = NULL;
	bool			 named;
	int			 error;

	c = xcalloc(1, sizeof *c);
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	error = aws_credentials(o, &k, &c->from, &why);
	if (error == 0) {
		c->keys.id = k.access_key;
		c->keys.secret = k.secret;
		c->keys.token = k.token;
		*cp = c;
		return (0);
	}
	/* A file that was named must have them. */
	named = o->profile != NULL || env("AWS_PROFILE") != NULL;
	if (error != -EACCES || o->credentials != NULL ||
	    (error = configure(c, o, region, named, &why2)) <= 0) {
		if (error == 0)
			error = -EACCES;
		*cause = why2 != NULL ? why2 : why;
		if (why2 != NULL)
			free(why);
		aws_creds_close(c);
		return (error);
	}
	c->http = http_create(cafile);
	if ((error = fetch(c, &c->keys, &why2)) != 0) {
		if (c->source == SRC_INSTANCE)	/* the last resort */
			xasprintf(cause, "%s, or run where a role gives them "
			    "(%s)", why, why2);
		else
			xasprintf(cause, "S3 credentials from %s: %s",
			    c->from, why2);
		free(why);
		free(why2);
		aws_creds_close(c);
		return (error);
	}
	free(why);
	c->obtained = c->tried = time(NULL);
	*cp = c;
	return (0);
}

/* Where the keys come from (no secret): for the log. */
const char *
aws_creds_from(const struct aws_creds *c)
{
	return (c->from);
}

void
aws_creds_close(struct aws_creds *c)
{
	if (c == NULL)
		return;
	if (c->started) {
		pthread_mutex_lock(&c->lock);
		c->quit = true;
		pthread_cond_signal(&c->cond);
		pthread_mutex_unlock(&c->lock);
		pthread_join(c->thread, NULL);
	}
	keys_clear(&c->keys);
	if (c->http != NULL)
		http_free(c->http);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c->from);
	free(c->url);
	free(c->role_arn);
	free(c->token_file);
	free(c->session);
	secret_free(c->auth);
	free(c);
}
