/*
 * A small CBOR (RFC 8949) decoder and encoder: what Cashu V4 tokens and
 * similar formats need.  Accepted: unsigned and negative integers up to
 * 64 bits, byte and text strings (UTF-8 checked), arrays, maps (any key
 * type), false, true, null, undefined and floats (kept as raw bits), all
 * of definite length.  Rejected: indefinite lengths (no Cashu encoder
 * writes them), tags, other simple values, reserved additional info,
 * trailing bytes, and nesting deeper than the caller allows.
 *
 * The decoder produces a flat array of items in document order (pre-order);
 * item i's children start at i + 1 and each item's `next' is the index
 * just past everything inside it, so the tree is walked without pointers.
 * Strings point into the caller's buffer, which must outlive the document.
 */

#ifndef CBOR_H
#define CBOR_H

#include <stddef.h>
#include <stdint.h>

#define CBOR_DEPTH_MAX	64	/* the most cbor_decode() accepts as maxdepth */

enum cbor_type {
	CBOR_UINT,
	CBOR_NEGINT,		/* the value is -1 - val */
	CBOR_BYTES,
	CBOR_TEXT,
	CBOR_ARRAY,
	CBOR_MAP,
	CBOR_FALSE,
	CBOR_TRUE,
	CBOR_NULL,
	CBOR_UNDEFINED,
	CBOR_FLOAT		/* val: the IEEE 754 bits, len: 2, 4 or 8 */
};

struct cbor_item {
	enum cbor_type	 type;
	uint64_t	 val;	/* UINT, NEGINT; ARRAY: elements; MAP: pairs */
	const uint8_t	*ptr;	/* BYTES, TEXT: into the decoded buffer */
	size_t		 len;	/* BYTES, TEXT: length in bytes */
	size_t		 next;	/* index after this item and all inside it */
};

struct cbor_doc {
	struct cbor_item	*item;
	size_t			 nitems;
};

/* cbor_decode() errors; cbor_strerror() names them. */
#define CBOR_ETRUNC	-1	/* the input ends inside an item */
#define CBOR_ETRAIL	-2	/* bytes after the top-level item */
#define CBOR_EDEPTH	-3	/* nested too deep */
#define CBOR_EITEMS	-4	/* too many items */
#define CBOR_EINDEF	-5	/* indefinite length or break */
#define CBOR_ETAG	-6	/* tags are not supported */
#define CBOR_ESIMPLE	-7	/* simple value other than false/true/null/undefined */
#define CBOR_ERESERVED	-8	/* reserved additional information 28-30 */
#define CBOR_EUTF8	-9	/* text string not UTF-8 */
#define CBOR_ENOMEM	-10
#define CBOR_EINVAL	-11	/* bad arguments */

/* An encoder's output; any error sticks and is reported at the end. */
struct cbor_buf {
	uint8_t		*buf;
	size_t		 len;
	size_t		 cap;
	size_t		 max;
	int		 error;
};

int		 cbor_decode(struct cbor_doc *, const uint8_t *, size_t, size_t,
		    size_t);
void		 cbor_doc_free(struct cbor_doc *);
const char	*cbor_strerror(int);
int		 cbor_map_get(const struct cbor_doc *, size_t, const char *,
		    size_t *);
int		 cbor_text_is(const struct cbor_item *, const char *);

void		 cbor_buf_init(struct cbor_buf *, size_t);
void		 cbor_buf_free(struct cbor_buf *);
void		 cbor_put_uint(struct cbor_buf *, uint64_t);
void		 cbor_put_negint(struct cbor_buf *, uint64_t);
void		 cbor_put_bytes(struct cbor_buf *, const void *, size_t);
void		 cbor_put_text(struct cbor_buf *, const char *, size_t);
void		 cbor_put_str(struct cbor_buf *, const char *);
void		 cbor_put_array(struct cbor_buf *, uint64_t);
void		 cbor_put_map(struct cbor_buf *, uint64_t);
void		 cbor_put_bool(struct cbor_buf *, int);
void		 cbor_put_null(struct cbor_buf *);
void		 cbor_put_undefined(struct cbor_buf *);
void		 cbor_put_float(struct cbor_buf *, uint64_t, size_t);
void		 cbor_put_item(struct cbor_buf *, const struct cbor_doc *,
		    size_t);

#endif /* CBOR_H */
