/*
 * AWS Signature Version 4 for S3 requests.
 *
 * The canonical request is built exactly as strict servers (radosgw,
 * Swift) rebuild it: the path and query encoded as RFC 3986 says, the
 * query sorted, every header we send signed, and the payload hash sent in
 * x-amz-content-sha256.  libcurl's own signer does neither the encoding
 * nor the sorting, so it is not used.  The secret only ever enters an
 * HMAC; it is never copied into a message.
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "snapfs.h"

/* Append s, percent-encoding all but unreserved bytes (and '/', if kept). */
void
sigv4_encode(struct buf *b, const char *s, size_t len, bool keep_slash)
{
	static const char	hex[] = "0123456789ABCDEF";
	unsigned char		c;
	size_t			i;

	for (i = 0; i < len; i++) {
		c = s[i];
		if (isalnum(c) || c == '-' || c == '_' || c == '.' ||
		    c == '~' || (c == '/' && keep_slash))
			buf_addc(b, c);
		else {
			buf_addc(b, '%');
			buf_addc(b, hex[c >> 4]);
			buf_addc(b, hex[c & 15]);
		}
	}
}

struct sig_header {
	char	*name;		/* lower case */
	char	*value;		/* trimmed */
};

static int
header_cmp(const void *a, const void *b)
{
	return (strcmp(((const struct sig_header *)a)->name,
	    ((const struct sig_header *)b)->name));
}

/* The headers to sign: those of req with a value, names lower-cased. */
static size_t
collect_headers(const struct http_request *req, struct sig_header *h)
{
	const char	*colon, *v;
	size_t		 n = 0, i, j, len;

	for (i = 0; i < (size_t)req->nheaders; i++) {
		if ((colon = strchr(req->headers[i], ':')) == NULL)
			continue;
		for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
			;
		len = strlen(v);
		while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
			len--;
		if (len == 0)
			continue;
		h[n].value = xstrndup(v, len);
		h[n].name = xstrndup(req->headers[i], colon - req->headers[i]);
		for (j = 0; h[n].name[j] != '\0'; j++)
			h[n].name[j] = tolower((unsigned char)h[n].name[j]);
		n++;
	}
	qsort(h, n, sizeof *h, header_cmp);
	return (n);
}

/*
 * Sign req for the key: adds Host, x-amz-date, x-amz-content-sha256,
 * x-amz-security-token (with a session token) and Authorization.  path
 * and query must be given already in canonical (encoded, sorted) form,
 * as they are sent.
 */
void
sigv4_sign(const struct sigv4_key *key, struct http_request *req,
    const char *host, const char *path, const char *query,
    const char *payload, time_t now)
{
	struct sig_header	 h[HTTP_HEADERS_MAX];
	struct buf		 creq, sts, names;
	struct tm		 tm;
	unsigned char		 k[2][32];
	char			 date[9], stamp[17], hash[SHA256_HEX_LEN + 1];
	char			 sig[65], *secret;
	size_t			 n, i;

	gmtime_r(&now, &tm);
	strftime(date, sizeof date, "%Y%m%d", &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	http_header(req, "Host: %s", host);
	http_header(req, "x-amz-content-sha256: %s", payload);
	http_header(req, "x-amz-date: %s", stamp);
	if (key->token != NULL)
		http_header(req, "x-amz-security-token: %s", key->token);

	buf_init(&creq, SIZE_MAX);
	buf_init(&names, SIZE_MAX);
	buf_printf(&creq, "%s\n%s\n%s\n", req->method, path, query);
	n = collect_headers(req, h);
	for (i = 0; i < n; i++) {
		buf_printf(&creq, "%s:%s\n", h[i].name, h[i].value);
		buf_printf(&names, "%s%s", i == 0 ? "" : ";", h[i].name);
		free(h[i].name);
		free(h[i].value);
	}
	buf_printf(&creq, "\n%s\n%s", names.data, payload);
	digest_sha256_hex(creq.data, creq.len, hash);

	buf_init(&sts, SIZE_MAX);
	buf_printf(&sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/s3/aws4_request\n%s",
	    stamp, date, key->region, hash);

	/* The signing key: HMACs chained from the secret; no output aliases. */
	xasprintf(&secret, "AWS4%s", key->secret);
	digest_hmac_sha256(secret, strlen(secret), date, strlen(date), k[0]);
	explicit_bzero(secret, strlen(secret));
	free(secret);
	digest_hmac_sha256(k[0], 32, key->region, strlen(key->region), k[1]);
	digest_hmac_sha256(k[1], 32, "s3", 2, k[0]);
	digest_hmac_sha256(k[0], 32, "aws4_request", 12, k[1]);
	digest_hmac_sha256(k[1], 32, sts.data, sts.len, k[0]);
	digest_hex(k[0], 32, sig);
	explicit_bzero(k, sizeof k);

	http_header(req, "Authorization: AWS4-HMAC-SHA256 Credential=%s/%s/%s/"
	    "s3/aws4_request, SignedHeaders=%s, Signature=%s",
	    key->access_key, date, key->region, names.data, sig);
	buf_free(&creq);
	buf_free(&sts);
	buf_free(&names);
}
