/*
 * Unit tests for azure-key.c: Shared Key signatures checked against
 * values computed apart from this code (Python's hmac and hashlib over
 * the string Azure's documentation defines), connection strings, and the
 * keys' sources in order.
 */

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "snapfs.h"

#define AZURITE_KEY "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2" \
	"UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
#define NOW	1796271837	/* Thu, 03 Dec 2026 04:23:57 GMT */

static void
clear_env(void)
{
	unsetenv("AZURE_STORAGE_CONNECTION_STRING");
	unsetenv("AZURE_STORAGE_ACCOUNT");
	unsetenv("AZURE_STORAGE_KEY");
	unsetenv("AZURE_STORAGE_SAS_TOKEN");
}

static struct azure_key
key_of(const char *account)
{
	struct broker_options	 o = { 0 };
	struct azure_key	 k;
	char			*from = NULL, *cause = NULL;

	clear_env();
	setenv("AZURE_STORAGE_KEY", AZURITE_KEY, 1);
	cr_assert_eq(azure_key_open(&o, account, &k, &from, &cause), 0,
	    "%s", cause);
	cr_assert_str_eq(from, "the environment");
	free(from);
	return (k);
}

static const char *
authorization(const struct http_request *req)
{
	int	i;

	for (i = 0; i < req->nheaders; i++)
		if (strncmp(req->headers[i], "Authorization: ", 15) == 0)
			return (req->headers[i] + 15);
	return ("");
}

/* A ranged GET through the emulator, whose path holds the account. */
Test(azure, sign_get)
{
	struct azure_key	k = key_of("devstoreaccount1");
	struct http_request	req = { 0 };

	req.method = "GET";
	http_header(&req, "x-ms-range: bytes=0-99");
	azure_sign(&k, &req, "/devstoreaccount1/c1/loc/a%20b%3A%2B.dat", NULL,
	    0, NOW);
	cr_assert_str_eq(authorization(&req), "SharedKey devstoreaccount1:"
	    "Ci7o1yFM4VwGsn1fyG/+QykZ8gYHkBYQJnVTVjx9Tvc=");
	http_request_free(&req);
	azure_key_clear(&k);
}

/* A listing: its query is signed sorted and decoded. */
Test(azure, sign_list)
{
	struct azure_key	 k = key_of("acct");
	struct http_request	 req = { 0 };
	const struct azure_param q[] = {
		{ "comp", "list" }, { "delimiter", "/" },
		{ "marker", "2!84!MDAw" }, { "prefix", "loc/\xc3\xa9" },
		{ "restype", "container" }
	};
	char			*sts;

	req.method = "GET";
	azure_sign(&k, &req, "/c1", q, 5, NOW);
	cr_assert_str_eq(authorization(&req),
	    "SharedKey acct:jXSrE72RvRcZnr108zFn2hAW95ei/F72FxQ+Qvg7yvw=");
	sts = azure_string_to_sign(&req, "acct", "/c1", q, 5);
	cr_assert_str_eq(sts, "GET\n\n\n\n\n\n\n\n\n\n\n\n"
	    "x-ms-date:Thu, 03 Dec 2026 04:23:57 GMT\n"
	    "x-ms-version:2021-08-06\n"
	    "/acct/c1\ncomp:list\ndelimiter:/\nmarker:2!84!MDAw\n"
	    "prefix:loc/\xc3\xa9\nrestype:container");
	free(sts);
	http_request_free(&req);
	azure_key_clear(&k);
}

/* A PUT: its length, md5 and type are signed, x-ms-* sorted. */
Test(azure, sign_put)
{
	struct azure_key	k = key_of("acct");
	struct http_request	req = { 0 };

	req.method = "PUT";
	http_header(&req, "x-ms-blob-type: BlockBlob");
	http_header(&req, "Content-Length: 5");
	http_header(&req, "Content-MD5: XUFAKrxLKna5cZ2REBfFkg==");
	http_header(&req, "Content-Type: application/octet-stream");
	azure_sign(&k, &req, "/c1/loc/x.dat", NULL, 0, NOW);
	cr_assert_str_eq(authorization(&req),
	    "SharedKey acct:/5Y34K2JkNu912IiMqGQGF0cj8KVWij8daY6g288ELU=");
	http_request_free(&req);
	azure_key_clear(&k);
}

/* With a SAS token nothing is signed. */
Test(azure, sas)
{
	struct broker_options	 o = { 0 };
	struct azure_key	 k;
	struct http_request	 req = { 0 };
	char			*from, *cause = NULL;

	clear_env();
	setenv("AZURE_STORAGE_SAS_TOKEN", "?sv=2021&sig=abc%2B", 1);
	cr_assert_eq(azure_key_open(&o, "acct", &k, &from, &cause), 0);
	cr_assert_str_eq(k.sas, "sv=2021&sig=abc%2B");
	req.method = "GET";
	azure_sign(&k, &req, "/c1", NULL, 0, NOW);
	cr_assert_str_eq(authorization(&req), "");
	free(from);
	http_request_free(&req);
	azure_key_clear(&k);
}

Test(azure, connection_string)
{
	struct broker_options	 o = { 0 };
	struct azure_key	 k;
	char			*from, *cause = NULL;

	clear_env();
	setenv("AZURE_STORAGE_KEY", "not the one", 1);
	setenv("AZURE_STORAGE_CONNECTION_STRING", "DefaultEndpointsProtocol="
	    "http;AccountName=devstoreaccount1;AccountKey=" AZURITE_KEY
	    ";BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;", 1);
	cr_assert_eq(azure_key_open(&o, "devstoreaccount1", &k, &from,
	    &cause), 0, "%s", cause);
	cr_assert_str_eq(from, "AZURE_STORAGE_CONNECTION_STRING");
	cr_assert_str_eq(k.endpoint, "http://127.0.0.1:10000/devstoreaccount1");
	cr_assert_eq(k.keylen, 64);
	free(from);
	azure_key_clear(&k);

	setenv("AZURE_STORAGE_CONNECTION_STRING", "AccountName=acct;"
	    "AccountKey=" AZURITE_KEY ";EndpointSuffix=core.chinacloudapi.cn",
	    1);
	cr_assert_eq(azure_key_open(&o, "acct", &k, &from, &cause), 0);
	cr_assert_str_eq(k.endpoint, "https://acct.blob.core.chinacloudapi.cn");
	free(from);
	azure_key_clear(&k);

	/* Keys of another account, a key that is no base64, none at all. */
	cr_assert_eq(azure_key_open(&o, "other", &k, &from, &cause), -EACCES);
	cr_assert_str_eq(cause, "the keys from AZURE_STORAGE_CONNECTION_STRING "
	    "are for account acct, not other");
	free(cause);
	setenv("AZURE_STORAGE_CONNECTION_STRING", "AccountName=acct;"
	    "AccountKey=abc", 1);
	cr_assert_eq(azure_key_open(&o, "acct", &k, &from, &cause), -EINVAL);
	cr_assert_null(strstr(cause, "abc"));
	free(cause);
	clear_env();
	cr_assert_eq(azure_key_open(&o, "acct", &k, &from, &cause), -EACCES);
	cr_assert_not_null(strstr(cause, "no Azure key for account acct"));
	free(cause);
}

/* A credentials file wins over the environment. */
Test(azure, file)
{
	struct broker_options	 o = { 0 };
	struct azure_key	 k;
	char			 path[] = "/tmp/snapfs-azure.XXXXXX";
	char			*from, *cause = NULL;
	FILE			*f;
	int			 fd;

	cr_assert_geq(fd = mkstemp(path), 0);
	cr_assert_not_null(f = fdopen(fd, "w"));
	fprintf(f, "# snapfs\naccount_name = acct\naccount_key = %s\n",
	    AZURITE_KEY);
	fclose(f);
	clear_env();
	setenv("AZURE_STORAGE_SAS_TOKEN", "sv=1", 1);
	o.credentials = path;
	cr_assert_eq(azure_key_open(&o, "acct", &k, &from, &cause), 0,
	    "%s", cause);
	cr_assert_str_eq(from, path);
	cr_assert_eq(k.keylen, 64);
	cr_assert_null(k.sas);
	free(from);
	azure_key_clear(&k);
	unlink(path);
}
