/*
 * Unit tests for sigv4.c: the example of the S3 SigV4 documentation, and
 * the encoding of paths and queries strict servers insist on.
 */

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "snapfs.h"

static const char *
header(struct http_request *req, const char *name)
{
	size_t	len = strlen(name);
	int	i;

	for (i = 0; i < req->nheaders; i++)
		if (strncasecmp(req->headers[i], name, len) == 0 &&
		    req->headers[i][len] == ':')
			return (req->headers[i] + len + 2);
	return (NULL);
}

Test(sigv4, aws_documentation_example_get_with_range)
{
	struct sigv4_key	 key = {
		"AKIAIOSFODNN7EXAMPLE",
		"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		NULL, "us-east-1"
	};
	struct http_request	 req;

	memset(&req, 0, sizeof req);
	req.method = "GET";
	http_header(&req, "Range: bytes=0-9");
	/* 2013-05-24T00:00:00Z */
	sigv4_sign(&key, &req, "examplebucket.s3.amazonaws.com", "/test.txt",
	    "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    1369353600);
	cr_assert_str_eq(header(&req, "Authorization"),
	    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/"
	    "us-east-1/s3/aws4_request, SignedHeaders=host;range;"
	    "x-amz-content-sha256;x-amz-date, Signature="
	    "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
	cr_assert_str_eq(header(&req, "x-amz-date"), "20130524T000000Z");
	http_request_free(&req);
}

Test(sigv4, session_token_is_signed)
{
	struct sigv4_key	 key = { "AK", "SECRET", "TOKEN", "eu-west-1" };
	struct http_request	 req;

	memset(&req, 0, sizeof req);
	req.method = "HEAD";
	sigv4_sign(&key, &req, "h", "/b/k", "", "UNSIGNED-PAYLOAD", 0);
	cr_assert_str_eq(header(&req, "x-amz-security-token"), "TOKEN");
	cr_assert(strstr(header(&req, "Authorization"), "SignedHeaders=host;"
	    "x-amz-content-sha256;x-amz-date;x-amz-security-token") != NULL);
	cr_assert(strstr(header(&req, "Authorization"), "SECRET") == NULL);
	http_request_free(&req);
}

Test(sigv4, encoding_follows_rfc3986)
{
	struct buf	b;
	const char	*key = "__ss_snap:1/a b+c@d~e_f-g.h/订";

	buf_init(&b, 1024);
	sigv4_encode(&b, key, strlen(key), true);
	cr_assert_str_eq(b.data,
	    "__ss_snap%3A1/a%20b%2Bc%40d~e_f-g.h/%E8%AE%A2");
	b.len = 0;
	sigv4_encode(&b, "a/b", 3, false);
	cr_assert_str_eq(b.data, "a%2Fb");
	buf_free(&b);
}
