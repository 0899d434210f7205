/*
 * libFuzzer harness for the CBOR codec.  Whatever decodes must form a
 * consistent tree (every item's `next' and every container's children
 * agree, strings inside the input), must encode again to at most as many
 * bytes (only non-shortest heads may shrink, so the same length means
 * the same bytes), and that encoding must decode to the same items and
 * encode to itself.  The same input also goes through tight depth and
 * item limits, and map lookups.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cbor.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	 check(const struct cbor_doc *, const uint8_t *, size_t);
static int	 same_items(const struct cbor_doc *, const struct cbor_doc *);

static void
check(const struct cbor_doc *doc, const uint8_t *buf, size_t len)
{
	const struct cbor_item	*it;
	size_t			 i, c, n, v;
	uint64_t		 k;

	if (doc->nitems == 0 || doc->item[0].next != doc->nitems)
		abort();
	for (i = 0; i < doc->nitems; i++) {
		it = &doc->item[i];
		if (it->next <= i || it->next > doc->nitems)
			abort();
		switch (it->type) {
		case CBOR_BYTES:
		case CBOR_TEXT:
			if (it->len > len || (it->len > 0 &&
			    (it->ptr < buf || it->ptr > buf + len - it->len)))
				abort();
			/* fallthrough */
		case CBOR_UINT:
		case CBOR_NEGINT:
		case CBOR_FALSE:
		case CBOR_TRUE:
		case CBOR_NULL:
		case CBOR_UNDEFINED:
		case CBOR_FLOAT:
			if (it->next != i + 1)
				abort();
			break;
		case CBOR_ARRAY:
		case CBOR_MAP:
			n = it->type == CBOR_MAP ? it->val * 2 : it->val;
			c = i + 1;
			for (k = 0; k < n; k++) {
				if (c >= it->next)
					abort();
				c = doc->item[c].next;
			}
			if (c != it->next)
				abort();
			if (it->type == CBOR_MAP) {
				(void)cbor_map_get(doc, i, "a", &v);
				(void)cbor_map_get(doc, i, "t", &v);
				if (cbor_map_get(doc, i, "", &v) == 1 &&
				    (v <= i || v >= it->next))
					abort();
			}
			break;
		}
	}
}

static int
same_items(const struct cbor_doc *a, const struct cbor_doc *b)
{
	const struct cbor_item	*x, *y;
	size_t			 i;

	if (a->nitems != b->nitems)
		return (0);
	for (i = 0; i < a->nitems; i++) {
		x = &a->item[i];
		y = &b->item[i];
		if (x->type != y->type || x->val != y->val ||
		    x->len != y->len || x->next != y->next ||
		    (x->len > 0 && (x->type == CBOR_BYTES ||
		    x->type == CBOR_TEXT) && memcmp(x->ptr, y->ptr,
		    x->len) != 0))
			return (0);
	}
	return (1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cbor_doc	 doc, doc2;
	struct cbor_buf	 b, b2;
	size_t		 depth;
	int		 r;

	r = cbor_decode(&doc, data, size, CBOR_DEPTH_MAX, size + 1);
	if (r != 0) {
		if (doc.item != NULL || doc.nitems != 0 ||
		    cbor_strerror(r) == NULL)
			abort();
	} else {
		check(&doc, data, size);
		cbor_buf_init(&b, size + 1);
		cbor_put_item(&b, &doc, 0);
		if (b.error || b.len > size ||
		    (b.len == size && memcmp(b.buf, data, size) != 0))
			abort();
		if (cbor_decode(&doc2, b.buf, b.len, CBOR_DEPTH_MAX,
		    size + 1) != 0 || !same_items(&doc, &doc2))
			abort();
		cbor_buf_init(&b2, size + 1);
		cbor_put_item(&b2, &doc2, 0);
		if (b2.error || b2.len != b.len ||
		    memcmp(b2.buf, b.buf, b.len) != 0)
			abort();
		cbor_buf_free(&b2);
		cbor_doc_free(&doc2);
		cbor_buf_free(&b);
		cbor_doc_free(&doc);
	}

	/* Tighter limits: only ever the limit errors on top. */
	for (depth = 0; depth <= 2; depth++) {
		int	 r2 = cbor_decode(&doc, data, size, depth, 8);

		if (r2 == 0) {
			if (r != 0 || doc.nitems > 8)
				abort();
			check(&doc, data, size);
			cbor_doc_free(&doc);
		} else if (r == 0 && r2 != CBOR_EDEPTH && r2 != CBOR_EITEMS)
			abort();
	}
	return (0);
}
