/*
 * Azure Storage keys and their signatures.
 *
 * The account and its key or SAS token come from the first of: the file
 * named with -o credentials= (lines "name = value": account_name,
 * account_key, sas_token or connection_string), the environment the az
 * CLI reads (AZURE_STORAGE_CONNECTION_STRING, else AZURE_STORAGE_ACCOUNT
 * with AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN).  A connection
 * string's BlobEndpoint is the endpoint, as for the az CLI.
 *
 * A request is signed with Shared Key: an HMAC-SHA256, with the account
 * key, of the verb, the standard headers, the x-ms-* headers and the
 * resource with its query, in the order Azure defines.  A SAS token is
 * put in the query instead.  No key or token is ever put in a message.
 */

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "snapfs.h"

#define AZURE_VERSION	"2021-08-06"

void
azure_key_clear(struct azure_key *k)
{
	if (k->key != NULL)
		explicit_bzero(k->key, k->keylen);
	if (k->sas != NULL)
		explicit_bzero(k->sas, strlen(k->sas));
	free(k->account);
	free(k->key);
	free(k->sas);
	free(k->endpoint);
	memset(k, 0, sizeof *k);
}

/* The account key, base64, decoded into k; -EINVAL if it is not base64. */
static int
key_decode(struct azure_key *k, const char *b64)
{
	size_t	len = strlen(b64);
	int	n;

	if (len == 0 || len % 4 != 0)
		return (-EINVAL);
	k->key = xmalloc(len);
	if ((n = digest_base64_decode(b64, len, k->key)) <= 0) {
		free(k->key);
		k->key = NULL;
		return (-EINVAL);
	}
	k->keylen = n;
	return (0);
}

/* A SAS token without its leading '?'. */
static char *
sas_of(const char *v)
{
	return (xstrdup(*v == '?' ? v + 1 : v));
}

/*
 * A connection string: "Name=value;..." with AccountName, AccountKey,
 * SharedAccessSignature, BlobEndpoint, DefaultEndpointsProtocol and
 * EndpointSuffix.
 */
static int
connection_string(struct azure_key *k, const char *cs, char **cause)
{
	char	*copy, *p, *item, *eq, *proto = NULL, *suffix = NULL;
	int	 error = 0;

	copy = p = xstrdup(cs);
	while (error == 0 && (item = strsep(&p, ";")) != NULL) {
		if (*item == '\0')
			continue;
		if ((eq = strchr(item, '=')) == NULL) {
			xasprintf(cause, "connection string: an item without "
			    "'='");
			error = -EINVAL;
			break;
		}
		*eq++ = '\0';
		if (strcasecmp(item, "AccountName") == 0) {
			free(k->account);
			k->account = xstrdup(eq);
		} else if (strcasecmp(item, "AccountKey") == 0) {
			if (k->key != NULL || key_decode(k, eq) != 0) {
				xasprintf(cause, "connection string: "
				    "AccountKey is not base64");
				error = -EINVAL;
			}
		} else if (strcasecmp(item, "SharedAccessSignature") == 0) {
			free(k->sas);
			k->sas = sas_of(eq);
		} else if (strcasecmp(item, "BlobEndpoint") == 0) {
			free(k->endpoint);
			k->endpoint = xstrdup(eq);
		} else if (strcasecmp(item, "DefaultEndpointsProtocol") == 0)
			proto = eq;
		else if (strcasecmp(item, "EndpointSuffix") == 0)
			suffix = eq;
	}
	if (error == 0 && k->endpoint == NULL && k->account != NULL &&
	    suffix != NULL)
		xasprintf(&k->endpoint, "%s://%s.blob.%s", proto != NULL ?
		    proto : "https", k->account, suffix);
	explicit_bzero(copy, strlen(cs));
	free(copy);
	return (error);
}

/* The keys of a credentials file. */
static int
key_file(struct azure_key *k, const char *path, char **cause)
{
	static const char *const names[] = {
		"connection_string", "account_name", "account_key", "sas_token"
	};
	char	*v[4];
	size_t	 i;
	int	 error = 0;

	for (i = 0; i < 4; i++)
		v[i] = NULL;
	for (i = 0; i < 4 && error == 0; i++)
		error = aws_ini_get(path, NULL, names[i], &v[i], NULL, cause);
	if (error == 0 && v[0] != NULL)
		error = connection_string(k, v[0], cause);
	if (error == 0 && v[1] != NULL) {
		free(k->account);
		k->account = xstrdup(v[1]);
	}
	if (error == 0 && v[2] != NULL && key_decode(k, v[2]) != 0) {
		xasprintf(cause, "%s: account_key is not base64", path);
		error = -EINVAL;
	}
	if (error == 0 && v[3] != NULL)
		k->sas = sas_of(v[3]);
	for (i = 0; i < 4; i++) {
		if (v[i] != NULL)
			explicit_bzero(v[i], strlen(v[i]));
		free(v[i]);
	}
	return (error);
}

static const char *
env(const char *name)
{
	const char	*v = getenv(name);

	return (v != NULL && *v != '\0' ? v : NULL);
}

/*
 * The keys for account (as the location names it) into k, and where
 * they came from into *from.  -errno with a cause.
 */
int
azure_key_open(const struct broker_options *o, const char *account,
    struct azure_key *k, char **from, char **cause)
{
	const char	*v;
	int		 error = 0;

	memset(k, 0, sizeof *k);
	if (o->credentials != NULL) {
		error = key_file(k, o->credentials, cause);
		*from = xstrdup(o->credentials);
	} else if ((v = env("AZURE_STORAGE_CONNECTION_STRING")) != NULL) {
		error = connection_string(k, v, cause);
		*from = xstrdup("AZURE_STORAGE_CONNECTION_STRING");
	} else {
		if ((v = env("AZURE_STORAGE_ACCOUNT")) != NULL)
			k->account = xstrdup(v);
		if ((v = env("AZURE_STORAGE_KEY")) != NULL &&
		    key_decode(k, v) != 0) {
			xasprintf(cause, "AZURE_STORAGE_KEY is not base64");
			error = -EINVAL;
		}
		if ((v = env("AZURE_STORAGE_SAS_TOKEN")) != NULL)
			k->sas = sas_of(v);
		*from = xstrdup("the environment");
	}
	if (error == 0 && k->account == NULL)
		k->account = xstrdup(account);
	if (error == 0 && strcmp(k->account, account) != 0) {
		xasprintf(cause, "the keys from %s are for account %s, not %s",
		    *from, k->account, account);
		error = -EACCES;
	}
	if (error == 0 && k->key == NULL && k->sas == NULL) {
		xasprintf(cause, "no Azure key for account %s: set "
		    "AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN or "
		    "AZURE_STORAGE_CONNECTION_STRING, or use "
		    "-o credentials=FILE", account);
		error = -EACCES;
	}
	if (error != 0) {
		azure_key_clear(k);
		free(*from);
		*from = NULL;
	}
	return (error);
}

struct header {
	char	*name;		/* lowercase */
	char	*value;
};

static int
header_cmp(const void *a, const void *b)
{
	return (strcmp(((const struct header *)a)->name,
	    ((const struct header *)b)->name));
}

/* The value of header name (case aside) in req, or "". */
static const char *
header_of(const struct http_request *req, const char *name)
{
	size_t	len = strlen(name);
	int	i;

	for (i = 0; i < req->nheaders; i++)
		if (strncasecmp(req->headers[i], name, len) == 0 &&
		    req->headers[i][len] == ':')
			return (req->headers[i] + len + 1 +
			    (req->headers[i][len + 1] == ' '));
	return ("");
}

/*
 * What Shared Key signs: the verb, twelve standard headers (an empty
 * Content-Length for 0), the x-ms-* headers sorted, then the resource:
 * /account + the path as sent + "\nname:value" for each query parameter
 * (sorted, decoded).  req holds every header but Authorization.
 */
char *
azure_string_to_sign(const struct http_request *req, const char *account,
    const char *path, const struct azure_param *q, size_t nq)
{
	static const char *const standard[] = {
		"Content-Encoding", "Content-Language", "Content-Length",
		"Content-MD5", "Content-Type", "Date", "If-Modified-Since",
		"If-Match", "If-None-Match", "If-Unmodified-Since", "Range"
	};
	struct header	 h[HTTP_HEADERS_MAX];
	struct buf	 b;
	const char	*v, *colon;
	size_t		 i, n = 0, j;
	int		 k;

	buf_init(&b, SIZE_MAX);
	buf_printf(&b, "%s\n", req->method);
	for (i = 0; i < sizeof standard / sizeof standard[0]; i++) {
		v = header_of(req, standard[i]);
		if (strcmp(standard[i], "Content-Length") == 0 &&
		    strcmp(v, "0") == 0)
			v = "";
		buf_printf(&b, "%s\n", v);
	}
	for (k = 0; k < req->nheaders; k++) {
		if (strncasecmp(req->headers[k], "x-ms-", 5) != 0 ||
		    (colon = strchr(req->headers[k], ':')) == NULL)
			continue;
		h[n].name = xstrndup(req->headers[k], colon - req->headers[k]);
		for (j = 0; h[n].name[j] != '\0'; j++)
			h[n].name[j] = tolower((unsigned char)h[n].name[j]);
		v = colon + 1;
		while (*v == ' ')
			v++;
		h[n++].value = xstrdup(v);
	}
	qsort(h, n, sizeof *h, header_cmp);
	for (i = 0; i < n; i++) {
		buf_printf(&b, "%s:%s\n", h[i].name, h[i].value);
		free(h[i].name);
		free(h[i].value);
	}
	buf_printf(&b, "/%s%s", account, path);
	for (i = 0; i < nq; i++)
		buf_printf(&b, "\n%s:%s", q[i].name, q[i].value);
	return (buf_take(&b));
}

/*
 * Sign req (its headers all added, its path as sent, its query q sorted
 * by name) with the account key: adds x-ms-date, x-ms-version and
 * Authorization.  With a SAS token only the first two are added; the
 * caller puts the token in the URL.
 */
void
azure_sign(const struct azure_key *k, struct http_request *req,
    const char *path, const struct azure_param *q, size_t nq, time_t now)
{
	struct tm	 tm;
	unsigned char	 mac[32];
	char		 date[64], sig[64], *sts;

	gmtime_r(&now, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	http_header(req, "x-ms-date: %s", date);
	http_header(req, "x-ms-version: %s", AZURE_VERSION);
	if (k->key == NULL)
		return;
	sts = azure_string_to_sign(req, k->account, path, q, nq);
	digest_hmac_sha256(k->key, k->keylen, sts, strlen(sts), mac);
	digest_base64_encode(mac, sizeof mac, sig);
	explicit_bzero(mac, sizeof mac);
	http_header(req, "Authorization: SharedKey %s:%s", k->account, sig);
	free(sts);
}
