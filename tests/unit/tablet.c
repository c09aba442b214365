/*
 * Unit tests for tablet.c: headers built by a tiny protobuf encoder below,
 * in the new and old FileHeader forms, decoded to the expected text; and
 * every way a header can be broken, which must give -EINVAL, not a crash.
 * Checked against its folder, only a TabletMetaPB of the folder's tablet
 * is decoded: not the older OLAPHeaderMessage, nor another tablet's.
 */

#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapfs.h"

static void
enc_varint(struct buf *b, uint64_t v)
{
	while (v >= 0x80) {
		buf_addc(b, (char)(v | 0x80));
		v >>= 7;
	}
	buf_addc(b, (char)v);
}

static void
enc_key(struct buf *b, unsigned field, unsigned wire)
{
	enc_varint(b, (uint64_t)field << 3 | wire);
}

static void
enc_int(struct buf *b, unsigned field, int64_t v)
{
	enc_key(b, field, 0);
	enc_varint(b, (uint64_t)v);
}

static void
enc_bytes(struct buf *b, unsigned field, const void *p, size_t len)
{
	enc_key(b, field, 2);
	enc_varint(b, len);
	buf_add(b, p, len);
}

static void
enc_le(struct buf *b, uint64_t v, size_t n)
{
	while (n-- > 0) {
		buf_addc(b, (char)(v & 0xff));
		v >>= 8;
	}
}

static uint32_t
ref_adler32(const uint8_t *p, size_t len)
{
	uint32_t	a = 1, b = 0;

	while (len-- > 0) {
		a = (a + *p++) % 65521;
		b = (b + a) % 65521;
	}
	return (b << 16 | a);
}

/* The TabletMetaPB of the tests, with unknown fields of every wire type. */
static void
enc_meta(struct buf *pb)
{
	struct buf	rs;

	buf_init(pb, 1 << 20);
	enc_int(pb, 1, 10001);
	enc_int(pb, 2, 10002);
	enc_int(pb, 3, 10003);
	enc_int(pb, 4, -1234567);		/* int32, sign-extended */
	enc_key(pb, 5, 1);			/* unknown fixed64 */
	enc_le(pb, 0x1122334455667788ULL, 8);
	enc_key(pb, 6, 5);			/* unknown fixed32 */
	enc_le(pb, 0xdeadbeef, 4);
	enc_bytes(pb, 9, "schema\n", 7);	/* skipped message */
	enc_int(pb, 1000, 42);			/* unknown varint */

	buf_init(&rs, 1 << 20);
	enc_int(&rs, 1, 7);
	enc_int(&rs, 3, 10003);
	enc_int(&rs, 8, 0);
	enc_int(&rs, 9, 1);
	enc_int(&rs, 11, 0);
	enc_int(&rs, 12, 0);
	enc_int(&rs, 13, 0);
	enc_int(&rs, 14, 0);
	enc_int(&rs, 22, 0);
	enc_bytes(&rs, 23, "02000000000000014a4f", 20);
	enc_bytes(pb, 10, rs.data, rs.len);
	buf_free(&rs);

	buf_init(&rs, 1 << 20);
	enc_bytes(&rs, 99, "x", 1);		/* unknown bytes */
	enc_int(&rs, 1, 8);
	enc_int(&rs, 8, 2);
	enc_int(&rs, 9, 5);
	enc_int(&rs, 11, 123456789);
	enc_int(&rs, 12, 5000000000LL);
	enc_int(&rs, 13, 4000000000LL);
	enc_int(&rs, 14, 1000000000);
	enc_int(&rs, 22, 3);
	enc_key(&rs, 30, 5);
	enc_le(&rs, 1, 4);
	enc_bytes(pb, 10, rs.data, rs.len);
	buf_free(&rs);

	enc_bytes(pb, 14, "uid", 3);
}

static const char expected[] =
    "Tablet: 10003\n"
    "Table: 10001\n"
    "Partition: 10002\n"
    "SchemaHash: -1234567\n"
    "Rowsets: 2\n"
    "Rowset: 02000000000000014a4f\n"
    "Versions: 0-1\n"
    "Rows: 0\n"
    "DiskSize: 0\n"
    "DataSize: 0\n"
    "IndexSize: 0\n"
    "Segments: 0\n"
    "Rowset: 8\n"
    "Versions: 2-5\n"
    "Rows: 123456789\n"
    "DiskSize: 5000000000\n"
    "DataSize: 4000000000\n"
    "IndexSize: 1000000000\n"
    "Segments: 3\n";

/* Wrap a protobuf in a FileHeader, new (40 bytes) or old (20 bytes). */
static void
enc_file(struct buf *f, const struct buf *pb, int old)
{
	uint32_t	sum = ref_adler32((const uint8_t *)pb->data, pb->len);

	buf_init(f, 1 << 20);
	if (old) {
		enc_le(f, 20 + pb->len, 4);
		enc_le(f, 0, 4);
		enc_le(f, pb->len, 4);
		enc_le(f, sum, 4);
	} else {
		enc_le(f, 0, 8);
		enc_le(f, 1, 4);
		enc_le(f, 40 + pb->len, 8);
		enc_le(f, 0, 4);
		enc_le(f, pb->len, 8);
		enc_le(f, sum, 4);
	}
	enc_le(f, 0, 4);
	buf_add(f, pb->data, pb->len);
}

static void
build(struct buf *f, int old)
{
	struct buf	pb;

	enc_meta(&pb);
	enc_file(f, &pb, old);
	buf_free(&pb);
}

/* Decode and expect failure with a cause containing want. */
static void
expect_fail(const void *p, size_t len, const char *want)
{
	char	*text = NULL, *cause = NULL;
	size_t	 textlen;
	int	 error;

	error = tablet_text(p, len, &text, &textlen, &cause);
	cr_assert_eq(error, -EINVAL, "len %zu: error %d", len, error);
	cr_assert_null(text);
	cr_assert_not_null(cause);
	if (want != NULL)
		cr_assert(strstr(cause, want) != NULL, "cause: %s", cause);
	free(cause);
}

static void
expect_text(const void *p, size_t len, const char *want)
{
	char	*text = NULL, *cause = NULL;
	size_t	 textlen;
	int	 error;

	error = tablet_text(p, len, &text, &textlen, &cause);
	cr_assert_eq(error, 0, "error %d: %s", error, cause);
	cr_assert_str_eq(text, want);
	cr_assert_eq(textlen, strlen(want));
	free(text);
}

Test(tablet, new_header_two_rowsets)
{
	struct buf	f;

	build(&f, 0);
	expect_text(f.data, f.len, expected);
	buf_free(&f);
}

Test(tablet, old_header_two_rowsets)
{
	struct buf	f;

	build(&f, 1);
	expect_text(f.data, f.len, expected);
	buf_free(&f);
}

Test(tablet, empty_protobuf_gives_defaults)
{
	struct buf	f, pb;

	buf_init(&pb, 16);
	enc_file(&f, &pb, 0);
	expect_text(f.data, f.len, "Tablet: 0\nTable: 0\nPartition: 0\n"
	    "SchemaHash: 0\nRowsets: 0\n");
	buf_free(&f);
}

Test(tablet, bad_magic_version_and_lengths)
{
	struct buf	f;

	build(&f, 0);
	f.data[8] = 2;
	expect_fail(f.data, f.len, "header: version 2, expected 1");
	f.data[8] = 1;
	expect_fail(f.data, f.len - 1, "header: file length");
	f.data[12]++;
	expect_fail(f.data, f.len, "but the file has");
	f.data[12]--;
	f.data[24]++;
	expect_fail(f.data, f.len, "header: protobuf length");
	f.data[24]--;
	f.data[3] = 1;				/* magic: now an old header */
	expect_fail(f.data, f.len, "header: file length");
	buf_free(&f);

	build(&f, 1);
	f.data[0]++;
	expect_fail(f.data, f.len, "header: file length");
	buf_free(&f);
}

Test(tablet, bad_adler32)
{
	struct buf	f;
	char		want[128];

	build(&f, 0);
	f.data[f.len - 1] ^= 1;
	snprintf(want, sizeof want, "header: adler32 of the protobuf is "
	    "%08x, expected", ref_adler32((uint8_t *)f.data + 40,
	    f.len - 40));
	expect_fail(f.data, f.len, want);
	buf_free(&f);

	build(&f, 1);
	f.data[f.len - 1] ^= 1;
	expect_fail(f.data, f.len, "adler32");
	buf_free(&f);
}

/* Truncated files, with or without a header patched to match. */
Test(tablet, truncated_at_every_length)
{
	struct buf	f, pb, cut, g;
	size_t		n;
	int		old;

	for (old = 0; old < 2; old++) {
		build(&f, old);
		for (n = 0; n < f.len; n++) {
			g.data = xmalloc(n + 1);
			memcpy(g.data, f.data, n);
			expect_fail(g.data, n, NULL);
			free(g.data);
		}
		buf_free(&f);
	}

	/* A consistent header over a truncated protobuf. */
	enc_meta(&pb);
	for (n = 1; n < pb.len; n++) {
		buf_init(&cut, 1 << 20);
		buf_add(&cut, pb.data, n);
		enc_file(&f, &cut, 0);
		/* Some cuts land on a field boundary and still decode. */
		{
			char	*text = NULL, *cause = NULL;
			size_t	 textlen;
			int	 error;

			error = tablet_text(f.data, f.len, &text, &textlen,
			    &cause);
			cr_assert(error == 0 || error == -EINVAL);
			cr_assert((error == 0) == (text != NULL));
			cr_assert((error == 0) == (cause == NULL));
			free(text);
			free(cause);
		}
		buf_free(&cut);
		buf_free(&f);
	}
	buf_free(&pb);
}

Test(tablet, garbage_protobuf)
{
	static const struct {
		const char	*pb;
		size_t		 len;
		const char	*want;
	} t[] = {
		{ "\x08", 1, "TabletMetaPB: truncated varint at byte 41" },
		{ "\x08\x80\x80", 3, "TabletMetaPB: truncated varint at "
		    "byte 41" },
		{ "\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 11,
		    "TabletMetaPB: varint too long at byte 41" },
		{ "\x00\x01", 2, "TabletMetaPB: bad field number 0 at "
		    "byte 40" },
		{ "\x0b", 1, "unsupported wire type 3 of field 1" },
		{ "\x0c", 1, "unsupported wire type 4" },
		{ "\x0e", 1, "unsupported wire type 6" },
		{ "\x09\x01\x02", 3, "truncated 8-byte value of field 1 at "
		    "byte 41" },
		{ "\x0d\x01", 2, "truncated 4-byte value" },
		{ "\x52\x05\x08", 3, "TabletMetaPB: field 10 at byte 41 has "
		    "length 5 but only 1 bytes remain" },
		{ "\x52\x02\x08\x80", 4, "RowsetMetaPB: truncated varint at "
		    "byte 43" },
		{ "\x52\x01\x0f", 3, "RowsetMetaPB: unsupported wire type 7 "
		    "of field 1 at byte 42" },
	};
	struct buf	f, pb;
	size_t		i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		buf_init(&pb, 64);
		buf_add(&pb, t[i].pb, t[i].len);
		enc_file(&f, &pb, 0);
		expect_fail(f.data, f.len, t[i].want);
		buf_free(&f);
		buf_free(&pb);
	}
}

Test(tablet, unknown_fields_of_each_wire_type_skipped)
{
	struct buf	f, pb;

	buf_init(&pb, 1 << 10);
	enc_int(&pb, 3, 5);
	enc_int(&pb, 77, -1);			/* varint, 10 bytes */
	enc_key(&pb, 78, 1);
	enc_le(&pb, UINT64_MAX, 8);
	enc_bytes(&pb, 79, "\x52\x01\x07", 3);	/* garbage, not looked at */
	enc_key(&pb, 80, 5);
	enc_le(&pb, 0x52525252, 4);
	enc_key(&pb, 3, 2);			/* known number, other type */
	enc_varint(&pb, 0);
	enc_file(&f, &pb, 0);
	expect_text(f.data, f.len, "Tablet: 5\nTable: 0\nPartition: 0\n"
	    "SchemaHash: 0\nRowsets: 0\n");
	buf_free(&f);
	buf_free(&pb);
}

Test(tablet, rowset_id_v2_escaped)
{
	struct buf	f, pb, rs;

	buf_init(&rs, 64);
	enc_bytes(&rs, 23, "a\nb\\", 4);
	buf_init(&pb, 64);
	enc_bytes(&pb, 10, rs.data, rs.len);
	enc_file(&f, &pb, 0);
	expect_text(f.data, f.len, "Tablet: 0\nTable: 0\nPartition: 0\n"
	    "SchemaHash: 0\nRowsets: 1\nRowset: a\\x0ab\\x5c\nVersions: 0-0\n"
	    "Rows: 0\nDiskSize: 0\nDataSize: 0\nIndexSize: 0\nSegments: 0\n");
	buf_free(&f);
	buf_free(&pb);
	buf_free(&rs);
}

/* The adler32 sums agree with zlib's, also past the 5552-byte blocks. */
Test(tablet, adler32_long_protobuf)
{
	struct buf	 f, pb;
	char		*big;

	cr_assert_eq(ref_adler32((const uint8_t *)"Wikipedia", 9), 0x11e60398);
	big = xmalloc(20000);
	memset(big, 0xff, 20000);
	buf_init(&pb, 1 << 20);
	enc_int(&pb, 3, 9);
	enc_bytes(&pb, 50, big, 20000);
	enc_file(&f, &pb, 0);
	expect_text(f.data, f.len, "Tablet: 9\nTable: 0\nPartition: 0\n"
	    "SchemaHash: 0\nRowsets: 0\n");
	buf_free(&f);
	buf_free(&pb);
	free(big);
}

/* A TabletMetaPB as Doris writes it: every field of its wire type. */
static void
enc_real(struct buf *pb, int64_t tablet)
{
	struct buf	rs;

	buf_init(pb, 1 << 20);
	enc_int(pb, 1, 10001);
	enc_int(pb, 2, 10002);
	enc_int(pb, 3, tablet);
	enc_int(pb, 4, 368169781);
	enc_int(pb, 5, 0);
	enc_int(pb, 6, 1709280000);
	enc_int(pb, 7, -1);
	enc_int(pb, 8, 1);
	enc_bytes(pb, 9, "\x08\x02", 2);
	buf_init(&rs, 64);
	enc_int(&rs, 1, 7);
	enc_int(&rs, 8, 0);
	enc_int(&rs, 9, 1);
	enc_int(&rs, 22, 1);
	enc_bytes(pb, 10, rs.data, rs.len);
	buf_free(&rs);
	enc_int(pb, 13, 0);
	enc_bytes(pb, 14, "\x08\x01\x10\x02", 4);
	enc_int(pb, 15, 8);
	enc_int(pb, 16, 1);
	enc_int(pb, 17, 0);
	enc_int(pb, 19, 3);
	enc_bytes(pb, 21, "bitmap", 6);	/* newer fields, any type */
	enc_key(pb, 25, 5);
	enc_le(pb, 7, 4);
}

static const char real_text[] =
    "Tablet: 10003\nTable: 10001\nPartition: 10002\nSchemaHash: 368169781\n"
    "Rowsets: 1\nRowset: 7\nVersions: 0-1\nRows: 0\nDiskSize: 0\n"
    "DataSize: 0\nIndexSize: 0\nSegments: 1\n";

/*
 * An OLAPHeaderMessage of Palo and Doris up to 0.10, which a TabletMetaPB
 * reader takes for table 10007, tablet 10008, schema hash 10009.
 */
static void
enc_olap(struct buf *pb, int file_version)
{
	struct buf	m;

	buf_init(pb, 1 << 20);
	enc_int(pb, 1, 10007);			/* num_rows_per_data_block */
	if (file_version) {
		buf_init(&m, 64);
		enc_int(&m, 1, 1);
		enc_int(&m, 2, 0);
		enc_int(&m, 3, 1);
		enc_bytes(pb, 2, m.data, m.len);
		buf_free(&m);
	}
	enc_int(pb, 3, 10008);			/* cumulative_layer_point */
	enc_int(pb, 4, 10009);			/* num_short_key_fields */
	buf_init(&m, 64);
	enc_bytes(&m, 1, "k1", 2);
	enc_bytes(&m, 2, "INT", 3);
	enc_bytes(pb, 5, m.data, m.len);	/* column */
	buf_free(&m);
	enc_int(pb, 6, 1500000000);		/* creation_time */
	enc_int(pb, 9, 1);			/* data_file_type */
	enc_int(pb, 10, 2);			/* next_column_unique_id */
	enc_key(pb, 14, 1);			/* bf_fpp, a double */
	enc_le(pb, 0x3fa999999999999aULL, 8);
	enc_int(pb, 20, 10009);			/* tablet_id */
}

static void
expect_for(const void *p, size_t len, int64_t folder, const char *want)
{
	char	*text = NULL, *cause = NULL;
	size_t	 textlen;
	int	 error;

	error = tablet_text_for(p, len, folder, &text, &textlen, &cause);
	cr_assert_eq(error, 0, "error %d: %s", error, cause);
	cr_assert_str_eq(text, want);
	cr_assert_eq(textlen, strlen(want));
	free(text);
}

/* The text of a header not decoded, for the file f of protobuf pb. */
static char *
undecoded(const struct buf *f, const struct buf *pb, const char *why)
{
	char	*s;

	xasprintf(&s, "Header: not a TabletMetaPB (an older Palo/Doris header"
	    " message?), not decoded\nReason: %s\nFileHeader: %s, protobuf %zu"
	    " bytes, adler32 %08x ok\n", why, f->len - pb->len == 40 ?
	    "40 bytes, version 1" : "20 bytes (old form)", pb->len,
	    ref_adler32((const uint8_t *)pb->data, pb->len));
	return (s);
}

Test(tablet, real_tablet_meta_of_its_folder_decoded)
{
	struct buf	f, pb;
	int		old;

	for (old = 0; old < 2; old++) {
		enc_real(&pb, 10003);
		enc_file(&f, &pb, old);
		expect_for(f.data, f.len, 10003, real_text);
		expect_for(f.data, f.len, -1, real_text);
		buf_free(&f);
		buf_free(&pb);
	}
}

Test(tablet, old_header_message_not_decoded)
{
	struct buf	 f, pb;
	char		*want;

	enc_olap(&pb, 1);
	enc_file(&f, &pb, 0);
	want = undecoded(&f, &pb, "field 2 is length-delimited, "
	    "TabletMetaPB's partition_id is a varint");
	expect_for(f.data, f.len, 10009, want);
	cr_assert(strstr(want, "Tablet: 10008") == NULL);
	free(want);
	buf_free(&f);
	buf_free(&pb);

	/* Without file_version: its column tells it apart. */
	enc_olap(&pb, 0);
	enc_file(&f, &pb, 1);
	want = undecoded(&f, &pb, "field 5 is length-delimited, "
	    "TabletMetaPB's shard_id is a varint");
	expect_for(f.data, f.len, 10009, want);
	free(want);

	/* Unchecked, as verify reads it, it is misread as before. */
	expect_text(f.data, f.len, "Tablet: 10008\nTable: 10007\nPartition: 0\n"
	    "SchemaHash: 10009\nRowsets: 0\n");
	buf_free(&f);
	buf_free(&pb);
}

Test(tablet, other_tablets_header_not_decoded)
{
	struct buf	 f, pb;
	char		*want;

	enc_real(&pb, 10003);
	enc_file(&f, &pb, 0);
	want = undecoded(&f, &pb, "field 3 (tablet_id) is 10003, the folder "
	    "is tablet 10004");
	expect_for(f.data, f.len, 10004, want);
	free(want);
	buf_free(&f);
	buf_free(&pb);

	buf_init(&pb, 16);
	enc_int(&pb, 1, 10001);
	enc_file(&f, &pb, 0);
	want = undecoded(&f, &pb, "no field 3 (tablet_id), the folder is "
	    "tablet 10004");
	expect_for(f.data, f.len, 10004, want);
	free(want);
	buf_free(&f);
	buf_free(&pb);
}

Test(tablet, field_of_wrong_wire_type_not_decoded)
{
	static const struct {
		unsigned	 field, wire;
		const char	*why;
	} t[] = {
		{ 3, 2, "field 3 is length-delimited, TabletMetaPB's tablet_id "
		    "is a varint" },
		{ 10, 0, "field 10 is a varint, TabletMetaPB's rs_metas is "
		    "length-delimited" },
		{ 14, 1, "field 14 is a fixed64, TabletMetaPB's tablet_uid is "
		    "length-delimited" },
		{ 19, 5, "field 19 is a fixed32, TabletMetaPB's replica_id is "
		    "a varint" },
	};
	struct buf	 f, pb;
	char		*want;
	size_t		 i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		enc_real(&pb, 10003);
		enc_key(&pb, t[i].field, t[i].wire);
		if (t[i].wire == 0 || t[i].wire == 2)
			enc_varint(&pb, 0);
		else
			enc_le(&pb, 0, t[i].wire == 1 ? 8 : 4);
		enc_file(&f, &pb, 0);
		want = undecoded(&f, &pb, t[i].why);
		expect_for(f.data, f.len, 10003, want);
		free(want);
		buf_free(&f);
		buf_free(&pb);
	}
}

Test(tablet, checked_header_still_must_parse)
{
	struct buf	 f, pb;
	char		*text = NULL, *cause = NULL;
	size_t		 textlen;

	buf_init(&pb, 16);
	buf_add(&pb, "\x18\x80", 2);		/* field 3, truncated */
	enc_file(&f, &pb, 0);
	cr_assert_eq(tablet_text_for(f.data, f.len, 10003, &text, &textlen,
	    &cause), -EINVAL);
	cr_assert_null(text);
	cr_assert_str_eq(cause, "TabletMetaPB: truncated varint at byte 41");
	free(cause);
	buf_free(&f);
	buf_free(&pb);

	/* A damaged header is an error before it is checked. */
	build(&f, 0);
	f.data[f.len - 1] ^= 1;
	cr_assert_eq(tablet_text_for(f.data, f.len, 10003, &text, &textlen,
	    &cause), -EINVAL);
	cr_assert(strstr(cause, "adler32") != NULL, "cause: %s", cause);
	free(cause);
	buf_free(&f);
}
