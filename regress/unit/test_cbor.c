/*
 * CBOR: the examples of RFC 8949 Appendix A, decoded and encoded again
 * byte for byte where they fall inside the subset, rejected with the
 * right error where they do not (tags, indefinite lengths, simple
 * values); then lengths that lie, truncation at every length, depth and
 * item limits, UTF-8, map lookups and the encoder's own output.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbor.h"
#include "test.h"

struct example {
	const char	*what;
	const char	*hex;
	int		 error;		/* 0: must decode and re-encode */
};

static const struct example appendix_a[] = {
	{ "0", "00", 0 },
	{ "1", "01", 0 },
	{ "10", "0a", 0 },
	{ "23", "17", 0 },
	{ "24", "1818", 0 },
	{ "25", "1819", 0 },
	{ "100", "1864", 0 },
	{ "1000", "1903e8", 0 },
	{ "1000000", "1a000f4240", 0 },
	{ "1000000000000", "1b000000e8d4a51000", 0 },
	{ "18446744073709551615", "1bffffffffffffffff", 0 },
	{ "18446744073709551616 (bignum tag)", "c249010000000000000000",
	    CBOR_ETAG },
	{ "-18446744073709551616", "3bffffffffffffffff", 0 },
	{ "-18446744073709551617 (bignum tag)", "c349010000000000000000",
	    CBOR_ETAG },
	{ "-1", "20", 0 },
	{ "-10", "29", 0 },
	{ "-100", "3863", 0 },
	{ "-1000", "3903e7", 0 },
	{ "0.0", "f90000", 0 },
	{ "-0.0", "f98000", 0 },
	{ "1.0", "f93c00", 0 },
	{ "1.1", "fb3ff199999999999a", 0 },
	{ "1.5", "f93e00", 0 },
	{ "65504.0", "f97bff", 0 },
	{ "100000.0", "fa47c35000", 0 },
	{ "3.4028234663852886e+38", "fa7f7fffff", 0 },
	{ "1.0e+300", "fb7e37e43c8800759c", 0 },
	{ "5.960464477539063e-8", "f90001", 0 },
	{ "0.00006103515625", "f90400", 0 },
	{ "-4.0", "f9c400", 0 },
	{ "-4.1", "fbc010666666666666", 0 },
	{ "Infinity (half)", "f97c00", 0 },
	{ "NaN (half)", "f97e00", 0 },
	{ "-Infinity (half)", "f9fc00", 0 },
	{ "Infinity (single)", "fa7f800000", 0 },
	{ "NaN (single)", "fa7fc00000", 0 },
	{ "-Infinity (single)", "faff800000", 0 },
	{ "Infinity (double)", "fb7ff0000000000000", 0 },
	{ "NaN (double)", "fb7ff8000000000000", 0 },
	{ "-Infinity (double)", "fbfff0000000000000", 0 },
	{ "false", "f4", 0 },
	{ "true", "f5", 0 },
	{ "null", "f6", 0 },
	{ "undefined", "f7", 0 },
	{ "simple(16)", "f0", CBOR_ESIMPLE },
	{ "simple(255)", "f8ff", CBOR_ESIMPLE },
	{ "0(\"2013-03-21T20:04:00Z\")",
	    "c074323031332d30332d32315432303a30343a30305a", CBOR_ETAG },
	{ "1(1363896240)", "c11a514b67b0", CBOR_ETAG },
	{ "1(1363896240.5)", "c1fb41d452d9ec200000", CBOR_ETAG },
	{ "23(h'01020304')", "d74401020304", CBOR_ETAG },
	{ "24(h'6449455446')", "d818456449455446", CBOR_ETAG },
	{ "32(\"http://www.example.com\")",
	    "d82076687474703a2f2f7777772e6578616d706c652e636f6d", CBOR_ETAG },
	{ "h''", "40", 0 },
	{ "h'01020304'", "4401020304", 0 },
	{ "\"\"", "60", 0 },
	{ "\"a\"", "6161", 0 },
	{ "\"IETF\"", "6449455446", 0 },
	{ "\"\\\"\\\\\"", "62225c", 0 },
	{ "\"\\u00fc\"", "62c3bc", 0 },
	{ "\"\\u6c34\"", "63e6b0b4", 0 },
	{ "\"\\ud800\\udd51\"", "64f0908591", 0 },
	{ "[]", "80", 0 },
	{ "[1, 2, 3]", "83010203", 0 },
	{ "[1, [2, 3], [4, 5]]", "8301820203820405", 0 },
	{ "[1, 2, ..., 25]",
	    "98190102030405060708090a0b0c0d0e0f101112131415161718181819", 0 },
	{ "{}", "a0", 0 },
	{ "{1: 2, 3: 4}", "a201020304", 0 },
	{ "{\"a\": 1, \"b\": [2, 3]}", "a26161016162820203", 0 },
	{ "[\"a\", {\"b\": \"c\"}]", "826161a161626163", 0 },
	{ "{\"a\": \"A\", ..., \"e\": \"E\"}",
	    "a56161614161626142616361436164614461656145", 0 },
	{ "(_ h'0102', h'030405')", "5f42010243030405ff", CBOR_EINDEF },
	{ "(_ \"strea\", \"ming\")", "7f657374726561646d696e67ff",
	    CBOR_EINDEF },
	{ "[_ ]", "9fff", CBOR_EINDEF },
	{ "[_ 1, [2, 3], [_ 4, 5]]", "9f018202039f0405ffff", CBOR_EINDEF },
	{ "[_ 1, [2, 3], [4, 5]]", "9f01820203820405ff", CBOR_EINDEF },
	{ "[1, [2, 3], [_ 4, 5]]", "83018202039f0405ff", CBOR_EINDEF },
	{ "[1, [_ 2, 3], [4, 5]]", "83019f0203ff820405", CBOR_EINDEF },
	{ "[_ 1, 2, ..., 25]",
	    "9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff",
	    CBOR_EINDEF },
	{ "{_ \"a\": 1, \"b\": [_ 2, 3]}", "bf61610161629f0203ffff",
	    CBOR_EINDEF },
	{ "[\"a\", {_ \"b\": \"c\"}]", "826161bf61626163ff", CBOR_EINDEF },
	{ "{_ \"Fun\": true, \"Amt\": -2}", "bf6346756ef563416d7421ff",
	    CBOR_EINDEF },
};

/* Well-formed or not, these must fail with the error given. */
static const struct example bad[] = {
	{ "empty input", "", CBOR_ETRUNC },
	{ "uint8 without its byte", "18", CBOR_ETRUNC },
	{ "uint64 with 7 bytes", "1b00000000000000", CBOR_ETRUNC },
	{ "bytes longer than the input", "44010203", CBOR_ETRUNC },
	{ "bytes of length 2^64-1", "5bffffffffffffffff00", CBOR_ETRUNC },
	{ "text of length 2^64-1", "7bffffffffffffffff00", CBOR_ETRUNC },
	{ "array of 2^64-1 elements", "9bffffffffffffffff00", CBOR_ETRUNC },
	{ "map of 2^64-1 pairs", "bbffffffffffffffff0000", CBOR_ETRUNC },
	{ "map of 2^63 pairs (2n wraps)", "bb800000000000000000",
	    CBOR_ETRUNC },
	{ "map with a key and no value", "a16161", CBOR_ETRUNC },
	{ "array one short", "830102", CBOR_ETRUNC },
	{ "two items", "0000", CBOR_ETRAIL },
	{ "array then garbage", "8101ff", CBOR_ETRAIL },
	{ "reserved ai 28", "1c", CBOR_ERESERVED },
	{ "reserved ai 29", "3d", CBOR_ERESERVED },
	{ "reserved ai 30 in a string", "5e", CBOR_ERESERVED },
	{ "indefinite uint (ai 31)", "1f", CBOR_EINDEF },
	{ "negative ai 31", "3f", CBOR_EINDEF },
	{ "lone break", "ff", CBOR_EINDEF },
	{ "break inside an array", "81ff", CBOR_EINDEF },
	{ "tag 55799 (self-describe)", "d9d9f700", CBOR_ETAG },
	{ "simple 0", "e0", CBOR_ESIMPLE },
	{ "simple 19", "f3", CBOR_ESIMPLE },
	{ "two-byte simple 32", "f820", CBOR_ESIMPLE },
	{ "reserved ai 28 in major 7", "fc", CBOR_ERESERVED },
	{ "half float truncated", "f93c", CBOR_ETRUNC },
	{ "text: lone continuation byte", "6180", CBOR_EUTF8 },
	{ "text: truncated sequence", "62c328", CBOR_EUTF8 },
	{ "text: sequence cut by the end", "61c3", CBOR_EUTF8 },
	{ "text: overlong NUL", "62c080", CBOR_EUTF8 },
	{ "text: overlong 3-byte", "63e08080", CBOR_EUTF8 },
	{ "text: surrogate U+D800", "63eda080", CBOR_EUTF8 },
	{ "text: above U+10FFFF", "64f4908080", CBOR_EUTF8 },
	{ "text: 0xff byte", "61ff", CBOR_EUTF8 },
	{ "text: invalid in a map key", "a161ff00", CBOR_EUTF8 },
};

static size_t
unhex(uint8_t *out, size_t max, const char *hex)
{
	size_t		 n = 0;
	unsigned int	 b;

	while (hex[0] != '\0' && hex[1] != '\0' && n < max) {
		if (sscanf(hex, "%2x", &b) != 1)
			abort();
		out[n++] = b;
		hex += 2;
	}
	return (n);
}

static int
reencodes(const struct cbor_doc *doc, const uint8_t *want, size_t len)
{
	struct cbor_buf	 b;
	int		 ok;

	cbor_buf_init(&b, 1024);
	cbor_put_item(&b, doc, 0);
	ok = !b.error && b.len == len && memcmp(b.buf, want, len) == 0;
	cbor_buf_free(&b);
	return (ok);
}

static void
test_appendix_a(void)
{
	struct cbor_doc	 doc;
	uint8_t		 buf[256];
	size_t		 i, n;
	int		 r;

	for (i = 0; i < sizeof(appendix_a) / sizeof(appendix_a[0]); i++) {
		n = unhex(buf, sizeof(buf), appendix_a[i].hex);
		r = cbor_decode(&doc, buf, n, 8, 1000);
		if (appendix_a[i].error != 0) {
			T(r == appendix_a[i].error && doc.item == NULL,
			    "A: %s rejected (%s)", appendix_a[i].what,
			    cbor_strerror(appendix_a[i].error));
			continue;
		}
		T(r == 0, "A: %s decodes", appendix_a[i].what);
		if (r != 0)
			continue;
		T(doc.item[0].next == doc.nitems,
		    "A: %s: the top item spans the document",
		    appendix_a[i].what);
		T(reencodes(&doc, buf, n), "A: %s encodes back to %s",
		    appendix_a[i].what, appendix_a[i].hex);
		cbor_doc_free(&doc);
	}
}

static int
decode_hex(struct cbor_doc *doc, const char *hex)
{
	static uint8_t	 buf[256];
	size_t		 n;

	n = unhex(buf, sizeof(buf), hex);
	return (cbor_decode(doc, buf, n, 8, 1000));
}

/* The values themselves, not only the bytes. */
static void
test_values(void)
{
	struct cbor_doc	 d;
	size_t		 v;

	T(decode_hex(&d, "1bffffffffffffffff") == 0 &&
	    d.item[0].type == CBOR_UINT && d.item[0].val == UINT64_MAX,
	    "uint64 max");
	cbor_doc_free(&d);
	T(decode_hex(&d, "3903e7") == 0 && d.item[0].type == CBOR_NEGINT &&
	    d.item[0].val == 999, "-1000 is NEGINT 999");
	cbor_doc_free(&d);
	T(decode_hex(&d, "fb3ff199999999999a") == 0 &&
	    d.item[0].type == CBOR_FLOAT && d.item[0].len == 8 &&
	    d.item[0].val == 0x3ff199999999999aULL, "1.1 keeps its bits");
	cbor_doc_free(&d);
	T(decode_hex(&d, "64f0908591") == 0 && d.item[0].type == CBOR_TEXT &&
	    d.item[0].len == 4 && memcmp(d.item[0].ptr, "\xf0\x90\x85\x91",
	    4) == 0, "text U+10151");
	cbor_doc_free(&d);
	{
		static const struct {
			const char	*hex;
			enum cbor_type	 type;
		} simple[] = {
			{ "f4", CBOR_FALSE }, { "f5", CBOR_TRUE },
			{ "f6", CBOR_NULL }, { "f7", CBOR_UNDEFINED },
		};
		size_t	 i;

		for (i = 0; i < 4; i++) {
			T(decode_hex(&d, simple[i].hex) == 0 &&
			    d.nitems == 1 && d.item[0].type == simple[i].type,
			    "simple value %s", simple[i].hex);
			cbor_doc_free(&d);
		}
	}

	/* [1, [2, 3], [4, 5]]: the tree by indices. */
	T(decode_hex(&d, "8301820203820405") == 0 && d.nitems == 8 &&
	    d.item[0].type == CBOR_ARRAY && d.item[0].val == 3 &&
	    d.item[0].next == 8 && d.item[1].next == 2 &&
	    d.item[2].type == CBOR_ARRAY && d.item[2].next == 5 &&
	    d.item[5].next == 8 && d.item[6].val == 4 && d.item[7].val == 5,
	    "nested arrays: next indices");
	cbor_doc_free(&d);

	/* {"a": 1, "b": [2, 3]} */
	T(decode_hex(&d, "a26161016162820203") == 0, "map decodes");
	T(cbor_map_get(&d, 0, "a", &v) == 1 && d.item[v].type == CBOR_UINT &&
	    d.item[v].val == 1, "map: a is 1");
	T(cbor_map_get(&d, 0, "b", &v) == 1 && d.item[v].type ==
	    CBOR_ARRAY && d.item[v].val == 2 && d.item[v + 2].val == 3,
	    "map: b is [2, 3]");
	T(cbor_map_get(&d, 0, "c", &v) == 0, "map: c is absent");
	T(cbor_map_get(&d, 0, "", &v) == 0, "map: empty key absent");
	T(cbor_map_get(&d, 1, "a", &v) == -1, "map_get on a non-map");
	T(cbor_map_get(&d, 99, "a", &v) == -1, "map_get out of range");
	cbor_doc_free(&d);

	/* {"a": 1, "a": 2}: valid CBOR well-formedness, ambiguous map. */
	T(decode_hex(&d, "a2616101616102") == 0 &&
	    cbor_map_get(&d, 0, "a", &v) == -1, "map: duplicate key is -1");
	cbor_doc_free(&d);
	/* Non-text keys are skipped by lookups, values included. */
	T(decode_hex(&d, "a40161616161018100006162f6") == 0 &&
	    cbor_map_get(&d, 0, "a", &v) == 1 && d.item[v].val == 1 &&
	    cbor_map_get(&d, 0, "b", &v) == 1 && d.item[v].type == CBOR_NULL,
	    "map: integer and array keys skipped");
	cbor_doc_free(&d);

	/* Non-preferred heads decode, and encode in the shortest form. */
	T(decode_hex(&d, "1b0000000000000000") == 0 && d.item[0].val == 0 &&
	    reencodes(&d, (const uint8_t *)"\x00", 1),
	    "uint 0 in 9 bytes re-encodes in 1");
	cbor_doc_free(&d);
	T(decode_hex(&d, "5800") == 0 && d.item[0].len == 0 &&
	    reencodes(&d, (const uint8_t *)"\x40", 1),
	    "empty bytes with a 1-byte length re-encode as 40");
	cbor_doc_free(&d);
	T(decode_hex(&d, "9900020102") == 0 && d.item[0].val == 2 &&
	    reencodes(&d, (const uint8_t *)"\x82\x01\x02", 3),
	    "array with a 2-byte count re-encodes short");
	cbor_doc_free(&d);

	/* Text with a NUL is valid UTF-8 and kept. */
	T(decode_hex(&d, "62610000") == CBOR_ETRAIL, "text then a byte is trailing");
	T(decode_hex(&d, "626100") == 0 && d.item[0].len == 2,
	    "text with a NUL");
	cbor_doc_free(&d);
}

static void
test_bad(void)
{
	struct cbor_doc	 doc;
	uint8_t		 buf[64];
	size_t		 i, n;
	int		 r;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = unhex(buf, sizeof(buf), bad[i].hex);
		r = cbor_decode(&doc, buf, n, 8, 1000);
		T(r == bad[i].error && doc.item == NULL && doc.nitems == 0,
		    "bad: %s (%s, got %s)", bad[i].what,
		    cbor_strerror(bad[i].error), cbor_strerror(r));
	}
}

/*
 * Every proper prefix of a valid document is truncated, and a copy in a
 * buffer of exactly that size is read only inside it (ASan would see).
 */
static void
test_truncation(void)
{
	static const char	*docs[] = {
		"98190102030405060708090a0b0c0d0e0f101112131415161718181819",
		"a56161614161626142616361436164614461656145",
		"8301820203820405",
		"a40161616161018100006162f6",
		"1bffffffffffffffff",
		"fb7e37e43c8800759c",
		"826161a161626163",
	};
	struct cbor_doc		 doc;
	uint8_t			 buf[64], *cut;
	size_t			 i, n, len, nbad;

	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		n = unhex(buf, sizeof(buf), docs[i]);
		nbad = 0;
		for (len = 0; len < n; len++) {
			if ((cut = malloc(len == 0 ? 1 : len)) == NULL)
				abort();
			memcpy(cut, buf, len);
			if (cbor_decode(&doc, cut, len, 8, 1000) != CBOR_ETRUNC)
				nbad++;
			free(cut);
		}
		T(nbad == 0, "every prefix of %s is truncated", docs[i]);
		T(cbor_decode(&doc, buf, n, 8, 1000) == 0,
		    "and the whole of it decodes");
		cbor_doc_free(&doc);
	}
}

static void
test_limits(void)
{
	struct cbor_doc	 doc;
	uint8_t		 buf[100];
	size_t		 i;

	/* 8 nested arrays ending in [0]: depth 8. */
	for (i = 0; i < 8; i++)
		buf[i] = 0x81;
	buf[8] = 0x00;
	T(cbor_decode(&doc, buf, 9, 8, 1000) == 0 && doc.nitems == 9,
	    "depth 8 with maxdepth 8");
	T(doc.item[0].next == 9 && doc.item[7].next == 9,
	    "depth 8: every container ends at the end");
	cbor_doc_free(&doc);
	T(cbor_decode(&doc, buf, 9, 7, 1000) == CBOR_EDEPTH,
	    "depth 8 with maxdepth 7");
	/* An empty container counts as a level too. */
	buf[8] = 0x80;
	T(cbor_decode(&doc, buf, 9, 8, 1000) == CBOR_EDEPTH,
	    "empty array at depth 9");
	buf[0] = 0xa0;
	T(cbor_decode(&doc, buf, 1, 0, 1000) == CBOR_EDEPTH,
	    "empty map with maxdepth 0");
	buf[0] = 0x01;
	T(cbor_decode(&doc, buf, 1, 0, 1000) == 0, "scalar with maxdepth 0");
	cbor_doc_free(&doc);
	T(cbor_decode(&doc, buf, 1, CBOR_DEPTH_MAX + 1, 10) == CBOR_EINVAL,
	    "maxdepth above CBOR_DEPTH_MAX");
	T(cbor_decode(&doc, buf, 1, 4, 0) == CBOR_EINVAL, "maxitems 0");
	T(cbor_decode(&doc, NULL, 1, 4, 10) == CBOR_EINVAL, "NULL buffer");

	/* 64 levels is the most the stack holds; 65 is refused. */
	memset(buf, 0x81, sizeof(buf));
	buf[64] = 0x00;
	T(cbor_decode(&doc, buf, 65, CBOR_DEPTH_MAX, 1000) == 0,
	    "depth 64 with maxdepth 64");
	cbor_doc_free(&doc);
	buf[64] = 0x81;
	buf[65] = 0x00;
	T(cbor_decode(&doc, buf, 66, CBOR_DEPTH_MAX, 1000) == CBOR_EDEPTH,
	    "depth 65 with maxdepth 64");

	/* [1, 2, ..., 25] is 26 items. */
	i = unhex(buf, sizeof(buf),
	    "98190102030405060708090a0b0c0d0e0f101112131415161718181819");
	T(cbor_decode(&doc, buf, i, 2, 26) == 0 && doc.nitems == 26,
	    "26 items with maxitems 26");
	cbor_doc_free(&doc);
	T(cbor_decode(&doc, buf, i, 2, 25) == CBOR_EITEMS,
	    "26 items with maxitems 25");
}

static int
same(const struct cbor_buf *b, const char *hex)
{
	uint8_t	 want[128];
	size_t	 n;

	n = unhex(want, sizeof(want), hex);
	return (!b->error && b->len == n && memcmp(b->buf, want, n) == 0);
}

static void
test_encoder(void)
{
	struct cbor_buf	 b;
	uint8_t		 bytes[4] = { 1, 2, 3, 4 };

	cbor_buf_init(&b, 1024);
	cbor_put_uint(&b, 0);
	cbor_put_uint(&b, 23);
	cbor_put_uint(&b, 24);
	cbor_put_uint(&b, 255);
	cbor_put_uint(&b, 256);
	cbor_put_uint(&b, 65535);
	cbor_put_uint(&b, 65536);
	cbor_put_uint(&b, 0xffffffffULL);
	cbor_put_uint(&b, 0x100000000ULL);
	cbor_put_uint(&b, UINT64_MAX);
	T(same(&b, "00" "17" "1818" "18ff" "190100" "19ffff" "1a00010000"
	    "1affffffff" "1b0000000100000000" "1bffffffffffffffff"),
	    "uints at every width boundary");
	cbor_buf_free(&b);

	cbor_buf_init(&b, 1024);
	cbor_put_negint(&b, 0);
	cbor_put_negint(&b, 999);
	cbor_put_negint(&b, UINT64_MAX);
	T(same(&b, "20" "3903e7" "3bffffffffffffffff"), "negints");
	cbor_buf_free(&b);

	cbor_buf_init(&b, 1024);
	cbor_put_map(&b, 2);
	cbor_put_str(&b, "a");
	cbor_put_uint(&b, 1);
	cbor_put_str(&b, "b");
	cbor_put_array(&b, 2);
	cbor_put_uint(&b, 2);
	cbor_put_uint(&b, 3);
	T(same(&b, "a26161016162820203"), "{\"a\": 1, \"b\": [2, 3]}");
	cbor_buf_free(&b);

	cbor_buf_init(&b, 1024);
	cbor_put_bytes(&b, bytes, 4);
	cbor_put_bytes(&b, NULL, 0);
	cbor_put_text(&b, "\xc3\xbc", 2);
	cbor_put_bool(&b, 0);
	cbor_put_bool(&b, 1);
	cbor_put_null(&b);
	cbor_put_undefined(&b);
	cbor_put_float(&b, 0x3c00, 2);
	cbor_put_float(&b, 0x47c35000, 4);
	cbor_put_float(&b, 0x7e37e43c8800759cULL, 8);
	T(same(&b, "4401020304" "40" "62c3bc" "f4f5f6f7" "f93c00"
	    "fa47c35000" "fb7e37e43c8800759c"),
	    "bytes, text, simple values, floats");
	cbor_buf_free(&b);

	cbor_buf_init(&b, 1024);
	cbor_put_float(&b, 0, 3);
	cbor_put_uint(&b, 1);
	T(b.error, "float of width 3 is an error, and it sticks");
	cbor_buf_free(&b);

	/* A 24-byte string needs a 1-byte length. */
	cbor_buf_init(&b, 1024);
	cbor_put_str(&b, "abcdefghijklmnopqrstuvwx");
	T(b.len == 26 && b.buf[0] == 0x78 && b.buf[1] == 24,
	    "24-byte text has a 1-byte length");
	cbor_buf_free(&b);

	/* The limit: exactly max bytes fit, one more does not. */
	cbor_buf_init(&b, 5);
	cbor_put_bytes(&b, bytes, 4);
	T(!b.error && b.len == 5, "5 bytes fit a buffer of 5");
	cbor_put_uint(&b, 0);
	T(b.error, "the 6th does not");
	cbor_buf_free(&b);
	T(b.buf == NULL && b.len == 0, "cbor_buf_free() clears");

	/* Growth past the first allocation keeps the content. */
	{
		uint8_t		 big[1000];
		size_t		 i;
		int		 ok = 1;

		for (i = 0; i < sizeof(big); i++)
			big[i] = i;
		cbor_buf_init(&b, 4096);
		for (i = 0; i < 3; i++)
			cbor_put_bytes(&b, big, sizeof(big));
		for (i = 0; i < 3 && !b.error; i++)
			if (memcmp(b.buf + 3 + i * 1003, big, 1000) != 0 ||
			    b.buf[i * 1003] != 0x59)
				ok = 0;
		T(!b.error && b.len == 3009 && ok,
		    "3 x 1000 bytes across reallocations");
		cbor_buf_free(&b);
	}

	/* cbor_put_item on an inner item: only its subtree. */
	{
		struct cbor_doc	 d;
		size_t		 v;

		T(decode_hex(&d, "a26161016162820203") == 0 &&
		    cbor_map_get(&d, 0, "b", &v) == 1, "decode for put_item");
		cbor_buf_init(&b, 64);
		cbor_put_item(&b, &d, v);
		T(same(&b, "820203"), "put_item of a map's value");
		cbor_buf_free(&b);
		cbor_buf_init(&b, 64);
		cbor_put_item(&b, &d, d.nitems);
		T(b.error, "put_item out of range is an error");
		cbor_buf_free(&b);
		cbor_doc_free(&d);
	}
}

int
main(void)
{
	test_appendix_a();
	test_values();
	test_bad();
	test_truncation();
	test_limits();
	test_encoder();
	return (test_done());
}
