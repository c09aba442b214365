/*
 * Digests over OpenSSL's libcrypto (the only file that includes it): md5,
 * the checksum Doris appends to every object name, with the helpers that
 * find and check a ".<32 lowercase hex>" suffix; SHA-256 and
 * HMAC-SHA256 for S3 request signatures; and FNV-1a, not a digest but the
 * hash of the in-memory tables.
 */

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdlib.h>
#include <string.h>

#include "snapfs.h"

struct md5 {
	EVP_MD_CTX	*ctx;
};

struct md5 *
digest_md5_create(void)
{
	struct md5	*m;

	m = xmalloc(sizeof *m);
	if ((m->ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(m->ctx, EVP_md5(), NULL) != 1)
		fatalx("md5: cannot initialise libcrypto digest");
	return (m);
}

void
digest_md5_update(struct md5 *m, const void *p, size_t len)
{
	if (EVP_DigestUpdate(m->ctx, p, len) != 1)
		fatalx("md5: digest update failed");
}

/* Write n bytes as 2n lowercase hex digits and a NUL. */
void
digest_hex(const unsigned char *p, size_t n, char *hex)
{
	static const char	digits[] = "0123456789abcdef";
	size_t			i;

	for (i = 0; i < n; i++) {
		hex[2 * i] = digits[p[i] >> 4];
		hex[2 * i + 1] = digits[p[i] & 15];
	}
	hex[2 * n] = '\0';
}

/* Finish the digest as 32 lowercase hex characters; m can be freed. */
void
digest_md5_final(struct md5 *m, char hex[MD5_HEX_LEN + 1])
{
	unsigned char	d[EVP_MAX_MD_SIZE];
	unsigned int	n;

	if (EVP_DigestFinal_ex(m->ctx, d, &n) != 1 || n != 16)
		fatalx("md5: digest final failed");
	digest_hex(d, 16, hex);
}

void
digest_md5_free(struct md5 *m)
{
	if (m == NULL)
		return;
	EVP_MD_CTX_free(m->ctx);
	free(m);
}

void
digest_md5_hex(const void *p, size_t len, char hex[MD5_HEX_LEN + 1])
{
	struct md5	*m;

	m = digest_md5_create();
	digest_md5_update(m, p, len);
	digest_md5_final(m, hex);
	digest_md5_free(m);
}

/* The base64 of the 16 bytes that md5 hex digits stand for (Content-MD5). */
void
digest_md5_base64(const char hex[MD5_HEX_LEN], char b64[MD5_BASE64_LEN + 1])
{
	unsigned char	raw[16];
	int		i, hi, lo;

	for (i = 0; i < 16; i++) {
		hi = hex[2 * i] <= '9' ? hex[2 * i] - '0' : hex[2 * i] - 'a' + 10;
		lo = hex[2 * i + 1] <= '9' ? hex[2 * i + 1] - '0' :
		    hex[2 * i + 1] - 'a' + 10;
		raw[i] = hi << 4 | lo;
	}
	if (EVP_EncodeBlock((unsigned char *)b64, raw, 16) != MD5_BASE64_LEN)
		fatalx("md5: base64 failed");
}

void
digest_sha256_hex(const void *p, size_t len, char hex[SHA256_HEX_LEN + 1])
{
	unsigned char	d[EVP_MAX_MD_SIZE];
	unsigned int	n;

	if (EVP_Digest(p, len, d, &n, EVP_sha256(), NULL) != 1 || n != 32)
		fatalx("sha256: digest failed");
	digest_hex(d, 32, hex);
}

void
digest_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t len,
    unsigned char out[32])
{
	unsigned int	n;

	if (HMAC(EVP_sha256(), key, keylen, msg, len, out, &n) == NULL ||
	    n != 32)
		fatalx("hmac-sha256 failed");
}

/* The base64 of n bytes into out, which has room for 4 * ((n + 2) / 3) + 1. */
void
digest_base64_encode(const void *p, size_t n, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, p, n);
}

/*
 * Decode len base64 characters into out (room for len * 3 / 4): the
 * number of bytes, or -1 if it is not base64.
 */
int
digest_base64_decode(const char *b64, size_t len, unsigned char *out)
{
	int	n, pad = 0;

	if (len % 4 != 0 || len > INT32_MAX)
		return (-1);
	if ((n = EVP_DecodeBlock(out, (const unsigned char *)b64, len)) < 0)
		return (-1);
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	while (pad < 2 && len > (size_t)pad && b64[len - 1 - pad] == '=')
		pad++;
	return (n - pad);
}

/* FNV-1a, 64 bits, of len bytes at p, on from h (FNV_BASIS to start). */
uint64_t
digest_fnv(uint64_t h, const void *p, size_t len)
{
	const unsigned char	*c = p;

	while (len-- > 0) {
		h ^= *c++;
		h *= 1099511628211ULL;
	}
	return (h);
}
