/* Unit tests for xml.c: S3 listings, errors and upload ids. */

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapfs.h"

struct seen {
	char	 text[1024];
	int	 objects;
	int	 prefixes;
};

static int
on_object(void *arg, const char *key, uint64_t size, int64_t mtime)
{
	struct seen	*s = arg;
	char		 line[256];

	snprintf(line, sizeof line, "%s:%llu:%lld ", key,
	    (unsigned long long)size, (long long)(mtime / 1000000000));
	strcat(s->text, line);
	s->objects++;
	return (0);
}

static int
on_prefix(void *arg, const char *prefix)
{
	struct seen	*s = arg;

	strcat(s->text, prefix);
	strcat(s->text, " ");
	s->prefixes++;
	return (0);
}

static const char page[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Name>bkt</Name><Prefix>r/</Prefix><KeyCount>3</KeyCount>"
    "<MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter>"
    "<IsTruncated>true</IsTruncated>"
    "<NextContinuationToken>tok%2Fen</NextContinuationToken>"
    "<Contents><Key>r/a%3Ab%20c</Key>"
    "<LastModified>2024-03-01T08:00:00.123Z</LastModified>"
    "<ETag>&quot;x&quot;</ETag><Size>12</Size></Contents>"
    "<Contents><Key>r/%E8%AE%A2</Key>"
    "<LastModified>1970-01-01T00:00:01.000Z</LastModified>"
    "<Size>0</Size></Contents>"
    "<CommonPrefixes><Prefix>r/__ss_x/</Prefix></CommonPrefixes>"
    "<EncodingType>url</EncodingType>"
    "</ListBucketResult>";

Test(xml, list_page_with_url_encoding)
{
	struct xml_list	 l;
	struct seen	 s;
	char		*cause = NULL;

	memset(&s, 0, sizeof s);
	memset(&l, 0, sizeof l);
	l.object = on_object;
	l.prefix = on_prefix;
	l.arg = &s;
	cr_assert_eq(xml_list(page, strlen(page), &l, &cause), 0);
	cr_assert_str_eq(s.text,
	    "r/a:b c:12:1709280000 r/订:0:1 r/__ss_x/ ");
	cr_assert(l.truncated);
	cr_assert_str_eq(l.next, "tok/en");
	free(l.next);
}

Test(xml, malformed_pages_are_errors)
{
	const char	*bad[] = {
		"",
		"<ListBucketResult><Contents><Key>a</Key>",
		"not xml at all",
		"<Error><Code>AccessDenied</Code></Error>",
		"<ListBucketResult><IsTruncated>true</IsTruncated>"
		    "</ListBucketResult>",
		/* Sizes that are none, or that st_size cannot hold. */
		"<ListBucketResult><Contents><Key>a</Key><Size>-1</Size>"
		    "</Contents></ListBucketResult>",
		"<ListBucketResult><Contents><Key>a</Key>"
		    "<Size>9223372036854775808</Size></Contents>"
		    "</ListBucketResult>",
		"<ListBucketResult><Contents><Key>a</Key><Size>1e400</Size>"
		    "</Contents></ListBucketResult>",
	};
	struct xml_list	 l;
	struct seen	 s;
	char		*cause;
	size_t		 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&l, 0, sizeof l);
		memset(&s, 0, sizeof s);
		l.object = on_object;
		l.prefix = on_prefix;
		l.arg = &s;
		cause = NULL;
		cr_assert_neq(xml_list(bad[i], strlen(bad[i]), &l, &cause), 0,
		    "%s", bad[i]);
		cr_assert_not_null(cause);
		free(cause);
		free(l.next);
	}
}

Test(xml, error_documents)
{
	const char	*doc = "<?xml version=\"1.0\"?><Error><Code>NoSuchBucket"
			    "</Code><Message>The specified bucket does not "
			    "exist</Message><BucketName>b</BucketName></Error>";
	char		*code, *message;

	cr_assert_eq(xml_error(doc, strlen(doc), &code, &message), 1);
	cr_assert_str_eq(code, "NoSuchBucket");
	cr_assert_str_eq(message, "The specified bucket does not exist");
	free(code);
	free(message);
	cr_assert_eq(xml_error(page, strlen(page), &code, &message), 0);
	cr_assert_eq(xml_error("<a>", 3, &code, &message), -1);
}

Test(xml, upload_id)
{
	const char	*doc = "<InitiateMultipartUploadResult><Bucket>b</Bucket>"
			    "<Key>k</Key><UploadId>2~abc</UploadId>"
			    "</InitiateMultipartUploadResult>";
	char		*id;

	cr_assert_eq(xml_upload_id(doc, strlen(doc), &id), 0);
	cr_assert_str_eq(id, "2~abc");
	free(id);
	cr_assert_eq(xml_upload_id("<x/>", 4, &id), -EIO);
}
