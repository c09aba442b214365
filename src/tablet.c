/*
 * The tablet header, <tabletId>.hdr, decoded into text for a person: a
 * FileHeader (the 40-byte one of Doris 0.11 and later, or the old 20-byte
 * one) followed by a TabletMetaPB protobuf.  The protobuf is read by a
 * small bounds-checked reader of our own, not libprotobuf: only the fields
 * shown below are decoded, everything else is skipped by wire type.  Byte
 * offsets in messages count from the start of the file.
 *
 * Palo and Doris up to 0.10 wrote an older message, OLAPHeaderMessage,
 * inside the same FileHeader; its field numbers mean other things (its 3
 * is cumulative_layer_point), so read as a TabletMetaPB it shows ids that
 * are not there.  When the folder's tablet id is known, a header is only
 * decoded if it looks like a TabletMetaPB: every field TabletMetaPB
 * defines has its wire type and tablet_id is the folder's.
 */

#include <sys/types.h>

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapfs.h"

#define TABLET_NEW_HEADER	40	/* FileHeader + 4-byte extra */
#define TABLET_OLD_HEADER	20	/* old 16-byte header + extra */
#define TABLET_MAX_ROWSETS	1000000
#define TABLET_TEXT_MAX		(256U * 1024 * 1024)
#define TABLET_ID_MAX		256	/* longest rowset_id_v2 shown */
#define TABLET_NFIELDS		20	/* TabletMetaPB fields 1..19 */

/* A protobuf message being read: [p, end) with file offset base of p. */
struct pb {
	const uint8_t	*start;
	const uint8_t	*p;
	const uint8_t	*end;
	size_t		 base;
	const char	*what;		/* message name, for errors */
};

/* The fields of TabletMetaPB (Doris 0.11 to 3.x) and their wire types. */
static const struct {
	const char	*name;
	u_int		 wire;
} tablet_fields[TABLET_NFIELDS] = {
	[1] = { "table_id", 0 },
	[2] = { "partition_id", 0 },
	[3] = { "tablet_id", 0 },
	[4] = { "schema_hash", 0 },
	[5] = { "shard_id", 0 },
	[6] = { "creation_time", 0 },
	[7] = { "cumulative_layer_point", 0 },
	[8] = { "tablet_state", 0 },
	[9] = { "schema", 2 },
	[10] = { "rs_metas", 2 },
	[11] = { "inc_rs_metas", 2 },
	[12] = { "alter_task", 2 },
	[13] = { "in_restore_mode", 0 },
	[14] = { "tablet_uid", 2 },
	[15] = { "end_rowset_id", 0 },
	[16] = { "preferred_rowset_type", 0 },
	[17] = { "tablet_type", 0 },
	[18] = { "stale_rs_metas", 2 },
	[19] = { "replica_id", 0 },
};

static const char *tablet_wires[] = {
	"a varint", "a fixed64", "length-delimited", "", "", "a fixed32"
};

struct rowset {
	int64_t		 id;
	int64_t		 start, end;
	int64_t		 rows;
	int64_t		 disk, data, index;
	int64_t		 segments;
	const uint8_t	*v2;
	size_t		 v2len;
};

static uint32_t
tablet_adler32(const uint8_t *p, size_t len)
{
	uint32_t	a = 1, b = 0;
	size_t		n;

	while (len > 0) {
		n = len < 5552 ? len : 5552;	/* no overflow before mod */
		len -= n;
		while (n-- > 0) {
			a += *p++;
			b += a;
		}
		a %= 65521;
		b %= 65521;
	}
	return (b << 16 | a);
}

static uint64_t
tablet_le(const uint8_t *p, size_t n)
{
	uint64_t	v = 0;

	while (n-- > 0)
		v = v << 8 | p[n];
	return (v);
}

static size_t
pb_off(struct pb *pb)
{
	return (pb->base + (size_t)(pb->p - pb->start));
}

static int
pb_varint(struct pb *pb, uint64_t *v, char **cause)
{
	size_t	at = pb_off(pb);
	u_int	shift;

	*v = 0;
	for (shift = 0; shift < 64; shift += 7) {
		if (pb->p == pb->end) {
			xasprintf(cause, "%s: truncated varint at byte %zu",
			    pb->what, at);
			return (-EINVAL);
		}
		if (shift == 63 && (*pb->p & 0xfe) != 0) {
			xasprintf(cause, "%s: varint too long at byte %zu",
			    pb->what, at);
			return (-EINVAL);
		}
		*v |= (uint64_t)(*pb->p & 0x7f) << shift;
		if ((*pb->p++ & 0x80) == 0)
			return (0);
	}
	xasprintf(cause, "%s: varint too long at byte %zu", pb->what, at);
	return (-EINVAL);
}

/*
 * Read one field's key and value.  A varint or fixed value lands in *v; a
 * length-delimited one in *data and *len.
 */
static int
pb_field(struct pb *pb, u_int *field, u_int *wire, uint64_t *v,
    const uint8_t **data, size_t *len, char **cause)
{
	uint64_t	key;
	size_t		key_at = pb_off(pb), at, left, n;
	int		error;

	if ((error = pb_varint(pb, &key, cause)) != 0)
		return (error);
	*wire = key & 7;
	if ((key >> 3) == 0 || (key >> 3) > 536870911) {
		xasprintf(cause, "%s: bad field number %" PRIu64 " at byte %zu",
		    pb->what, key >> 3, key_at);
		return (-EINVAL);
	}
	*field = key >> 3;
	at = pb_off(pb);
	switch (*wire) {
	case 0:
		return (pb_varint(pb, v, cause));
	case 1:
	case 5:
		n = *wire == 1 ? 8 : 4;
		if ((size_t)(pb->end - pb->p) < n) {
			xasprintf(cause, "%s: truncated %zu-byte value of field"
			    " %u at byte %zu", pb->what, n, *field, at);
			return (-EINVAL);
		}
		*v = tablet_le(pb->p, n);
		pb->p += n;
		return (0);
	case 2:
		if ((error = pb_varint(pb, v, cause)) != 0)
			return (error);
		left = pb->end - pb->p;
		if (*v > left) {
			xasprintf(cause, "%s: field %u at byte %zu has length"
			    " %" PRIu64 " but only %zu bytes remain", pb->what,
			    *field, at, *v, left);
			return (-EINVAL);
		}
		*data = pb->p;
		*len = *v;
		pb->p += *len;
		return (0);
	}
	xasprintf(cause, "%s: unsupported wire type %u of field %u at byte %zu",
	    pb->what, *wire, *field, key_at);
	return (-EINVAL);
}

static int
tablet_rowset(const uint8_t *p, size_t len, size_t base, struct rowset *rs,
    char **cause)
{
	struct pb	 pb = { p, p, p + len, base, "RowsetMetaPB" };
	const uint8_t	*data;
	size_t		 dlen;
	uint64_t	 v;
	u_int		 field, wire;
	int		 error;

	memset(rs, 0, sizeof *rs);
	while (pb.p < pb.end) {
		if ((error = pb_field(&pb, &field, &wire, &v, &data, &dlen,
		    cause)) != 0)
			return (error);
		if (field == 23 && wire == 2) {
			rs->v2 = data;
			rs->v2len = dlen;
			continue;
		}
		if (wire != 0)
			continue;
		switch (field) {
		case 1: rs->id = (int64_t)v; break;
		case 8: rs->start = (int64_t)v; break;
		case 9: rs->end = (int64_t)v; break;
		case 11: rs->rows = (int64_t)v; break;
		case 12: rs->disk = (int64_t)v; break;
		case 13: rs->data = (int64_t)v; break;
		case 14: rs->index = (int64_t)v; break;
		case 22: rs->segments = (int64_t)v; break;
		}
	}
	return (0);
}

static int
tablet_print_rowset(struct buf *b, const struct rowset *rs)
{
	size_t	i, n;
	int	error = 0;

	error |= buf_printf(b, "Rowset: ");
	if (rs->v2len != 0) {
		n = rs->v2len < TABLET_ID_MAX ? rs->v2len : TABLET_ID_MAX;
		for (i = 0; i < n; i++) {
			if (rs->v2[i] > 0x20 && rs->v2[i] < 0x7f &&
			    rs->v2[i] != '\\')
				error |= buf_addc(b, rs->v2[i]);
			else
				error |= buf_printf(b, "\\x%02x", rs->v2[i]);
		}
		error |= buf_addc(b, '\n');
	} else
		error |= buf_printf(b, "%" PRId64 "\n", rs->id);
	error |= buf_printf(b, "Versions: %" PRId64 "-%" PRId64 "\n"
	    "Rows: %" PRId64 "\nDiskSize: %" PRId64 "\nDataSize: %" PRId64
	    "\nIndexSize: %" PRId64 "\nSegments: %" PRId64 "\n", rs->start,
	    rs->end, rs->rows, rs->disk, rs->data, rs->index, rs->segments);
	return (error != 0 ? -EFBIG : 0);
}

/* Check the FileHeader; on success the protobuf is [*off, len). */
static int
tablet_header(const uint8_t *p, size_t len, size_t *off, char **cause)
{
	uint64_t	file_length, pb_length;
	uint32_t	version, sum, want;

	if (len < 8) {
		xasprintf(cause, "header: file has %zu bytes, too short for a"
		    " header", len);
		return (-EINVAL);
	}
	if (tablet_le(p, 8) == 0) {
		*off = TABLET_NEW_HEADER;
		if (len < TABLET_NEW_HEADER) {
			xasprintf(cause, "header: file has %zu bytes, less than"
			    " the %d-byte header", len, TABLET_NEW_HEADER);
			return (-EINVAL);
		}
		version = tablet_le(p + 8, 4);
		file_length = tablet_le(p + 12, 8);
		pb_length = tablet_le(p + 24, 8);
		want = tablet_le(p + 32, 4);
		if (version != 1) {
			xasprintf(cause, "header: version %" PRIu32 ", expected"
			    " 1", version);
			return (-EINVAL);
		}
	} else {
		*off = TABLET_OLD_HEADER;
		if (len < TABLET_OLD_HEADER) {
			xasprintf(cause, "header: file has %zu bytes, less than"
			    " the old %d-byte header", len, TABLET_OLD_HEADER);
			return (-EINVAL);
		}
		file_length = tablet_le(p, 4);
		pb_length = tablet_le(p + 8, 4);
		want = tablet_le(p + 12, 4);
	}
	if (file_length != len) {
		xasprintf(cause, "header: file length %" PRIu64 " but the file"
		    " has %zu bytes", file_length, len);
		return (-EINVAL);
	}
	if (pb_length != len - *off) {
		xasprintf(cause, "header: protobuf length %" PRIu64 " but %zu"
		    " bytes follow the header", pb_length, len - *off);
		return (-EINVAL);
	}
	sum = tablet_adler32(p + *off, len - *off);
	if (sum != want) {
		xasprintf(cause, "header: adler32 of the protobuf is %08" PRIx32
		    ", expected %08" PRIx32, sum, want);
		return (-EINVAL);
	}
	return (0);
}

/*
 * Does the protobuf at off look like the TabletMetaPB of tablet?  0 if it
 * does; if not, 1 and the reason in why; -errno if it does not parse.
 */
static int
tablet_check(const uint8_t *p, size_t len, size_t off, int64_t tablet,
    char *why, size_t whylen, char **cause)
{
	struct pb	 pb;
	const uint8_t	*data;
	size_t		 dlen;
	uint64_t	 v;
	int64_t		 id = 0;
	u_int		 field, wire;
	bool		 found = false;
	int		 error;

	pb.start = pb.p = p + off;
	pb.end = p + len;
	pb.base = off;
	pb.what = "TabletMetaPB";
	while (pb.p < pb.end) {
		if ((error = pb_field(&pb, &field, &wire, &v, &data, &dlen,
		    cause)) != 0)
			return (error);
		if (field >= TABLET_NFIELDS)
			continue;
		if (wire != tablet_fields[field].wire) {
			snprintf(why, whylen, "field %u is %s, TabletMetaPB's "
			    "%s is %s", field, tablet_wires[wire],
			    tablet_fields[field].name,
			    tablet_wires[tablet_fields[field].wire]);
			return (1);
		}
		if (field == 3) {
			id = (int64_t)v;
			found = true;
		}
	}
	if (!found) {
		snprintf(why, whylen, "no field 3 (tablet_id), the folder is "
		    "tablet %" PRId64, tablet);
		return (1);
	}
	if (id != tablet) {
		snprintf(why, whylen, "field 3 (tablet_id) is %" PRId64 ", the"
		    " folder is tablet %" PRId64, id, tablet);
		return (1);
	}
	return (0);
}

/* The text of a header that is not decoded: why, and its FileHeader. */
static void
tablet_undecoded(const uint8_t *p, size_t len, size_t off, const char *why,
    char **text, size_t *textlen)
{
	const char	*form;

	if (off == TABLET_NEW_HEADER)
		form = "40 bytes, version 1";
	else
		form = "20 bytes (old form)";
	*textlen = xasprintf(text, "Header: not a TabletMetaPB (an older "
	    "Palo/Doris header message?), not decoded\nReason: %s\n"
	    "FileHeader: %s, protobuf %zu bytes, adler32 %08" PRIx32 " ok\n",
	    why, form, len - off, tablet_adler32(p + off, len - off));
}

/* The text of a header, decoded whatever its tablet. */
int
tablet_text(const void *buf, size_t len, char **text, size_t *textlen,
    char **cause)
{
	return (tablet_text_for(buf, len, -1, text, textlen, cause));
}

/*
 * The text of the header in the folder of tablet folder, or in any folder
 * if folder is -1.  A header that is not a TabletMetaPB of that tablet is
 * not decoded: its text says so.
 */
int
tablet_text_for(const void *buf, size_t len, int64_t folder, char **text,
    size_t *textlen, char **cause)
{
	const uint8_t	*p = buf, *data;
	struct pb	 pb;
	struct rowset	 rs;
	struct buf	 out, rows;
	char		 why[128];
	size_t		 off, dlen, count = 0;
	int64_t		 table = 0, partition = 0, tablet = 0, hash = 0;
	uint64_t	 v;
	u_int		 field, wire;
	int		 error;

	*text = NULL;
	*textlen = 0;
	if ((error = tablet_header(p, len, &off, cause)) != 0)
		return (error);
	if (folder >= 0 && (error = tablet_check(p, len, off, folder, why,
	    sizeof why, cause)) != 0) {
		if (error < 0)
			return (error);
		tablet_undecoded(p, len, off, why, text, textlen);
		return (0);
	}
	pb.start = pb.p = p + off;
	pb.end = p + len;
	pb.base = off;
	pb.what = "TabletMetaPB";

	buf_init(&out, TABLET_TEXT_MAX);
	buf_init(&rows, TABLET_TEXT_MAX);
	while (pb.p < pb.end) {
		if ((error = pb_field(&pb, &field, &wire, &v, &data, &dlen,
		    cause)) != 0)
			goto fail;
		if (field == 10 && wire == 2) {
			if (++count > TABLET_MAX_ROWSETS) {
				xasprintf(cause, "TabletMetaPB: more than %d"
				    " rowsets", TABLET_MAX_ROWSETS);
				error = -EINVAL;
				goto fail;
			}
			if ((error = tablet_rowset(data, dlen, data - p, &rs,
			    cause)) != 0)
				goto fail;
			if ((error = tablet_print_rowset(&rows, &rs)) != 0)
				goto too_big;
			continue;
		}
		if (wire != 0)
			continue;
		switch (field) {
		case 1: table = (int64_t)v; break;
		case 2: partition = (int64_t)v; break;
		case 3: tablet = (int64_t)v; break;
		case 4: hash = (int32_t)v; break;
		}
	}
	if (buf_printf(&out, "Tablet: %" PRId64 "\nTable: %" PRId64
	    "\nPartition: %" PRId64 "\nSchemaHash: %" PRId64 "\nRowsets: %zu\n",
	    tablet, table, partition, hash, count) != 0 ||
	    buf_add(&out, rows.data, rows.len) != 0)
		goto too_big;
	buf_free(&rows);
	*textlen = out.len;
	*text = buf_take(&out);
	return (0);

too_big:
	xasprintf(cause, "TabletMetaPB: text longer than %u bytes",
	    TABLET_TEXT_MAX);
	error = -EFBIG;
fail:
	buf_free(&out);
	buf_free(&rows);
	return (error);
}
