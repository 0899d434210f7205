/*
 * CBOR (RFC 8949), the definite-length subset described in cbor.h.  The
 * decoder is iterative (an explicit stack bounded by maxdepth), checks
 * every length against the bytes that remain before it reads, and never
 * reads past buf + len.  The encoder appends to a growing buffer whose old
 * copies are wiped, since what it encodes is often money.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cbor.h"

#define CBOR_BUF_MIN	256

struct cbor_frame {
	size_t		 idx;		/* the array or map */
	uint64_t	 left;		/* items still to come inside it */
};

static int	 utf8_ok(const uint8_t *, size_t);
static int	 grow_items(struct cbor_doc *, size_t *, size_t);
static int	 buf_reserve(struct cbor_buf *, size_t);
static void	 put_head(struct cbor_buf *, int, uint64_t);
static void	 put_raw(struct cbor_buf *, const void *, size_t);

/* RFC 3629: shortest forms only, no surrogates, nothing above U+10FFFF. */
static int
utf8_ok(const uint8_t *s, size_t len)
{
	size_t		 i = 0, n, k;
	uint32_t	 cp;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			n = 1;
			cp = s[i] & 0x1f;
		} else if ((s[i] & 0xf0) == 0xe0) {
			n = 2;
			cp = s[i] & 0x0f;
		} else if ((s[i] & 0xf8) == 0xf0) {
			n = 3;
			cp = s[i] & 0x07;
		} else
			return (0);
		if (len - i - 1 < n)
			return (0);
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return (0);
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return (0);
		i += n + 1;
	}
	return (1);
}

static int
grow_items(struct cbor_doc *doc, size_t *cap, size_t maxitems)
{
	struct cbor_item	*p;
	size_t			 ncap;

	if (doc->nitems < *cap)
		return (0);
	if (doc->nitems >= maxitems)
		return (CBOR_EITEMS);
	ncap = *cap == 0 ? 16 : *cap * 2;
	if (ncap > maxitems)
		ncap = maxitems;
	if ((p = reallocarray(doc->item, ncap, sizeof(*p))) == NULL)
		return (CBOR_ENOMEM);
	doc->item = p;
	*cap = ncap;
	return (0);
}

/*
 * Decode exactly one item that fills buf[0..len).  Arrays and maps may
 * nest maxdepth deep (1 allows a flat array), and the document may hold
 * at most maxitems items.  Returns 0, or one of the CBOR_E* codes with
 * doc empty.
 */
int
cbor_decode(struct cbor_doc *doc, const uint8_t *buf, size_t len,
    size_t maxdepth, size_t maxitems)
{
	struct cbor_frame	 stack[CBOR_DEPTH_MAX];
	struct cbor_item	*it;
	size_t			 sp = 0, off = 0, cap = 0, need, i;
	uint64_t		 arg;
	int			 major, ai, rv;

	memset(doc, 0, sizeof(*doc));
	if (maxdepth > CBOR_DEPTH_MAX || maxitems == 0 ||
	    (buf == NULL && len != 0))
		return (CBOR_EINVAL);

	for (;;) {
		if (off >= len) {
			rv = CBOR_ETRUNC;
			goto fail;
		}
		major = buf[off] >> 5;
		ai = buf[off] & 0x1f;
		off++;

		/* The argument: in the initial byte or in 1, 2, 4, 8 more. */
		if (ai < 24) {
			arg = ai;
		} else if (ai <= 27) {
			need = (size_t)1 << (ai - 24);
			if (len - off < need) {
				rv = CBOR_ETRUNC;
				goto fail;
			}
			arg = 0;
			for (i = 0; i < need; i++)
				arg = arg << 8 | buf[off + i];
			off += need;
		} else if (ai == 31) {
			rv = CBOR_EINDEF;
			goto fail;
		} else {
			rv = CBOR_ERESERVED;
			goto fail;
		}

		if ((rv = grow_items(doc, &cap, maxitems)) != 0)
			goto fail;
		it = &doc->item[doc->nitems];
		memset(it, 0, sizeof(*it));
		if (sp > 0)
			stack[sp - 1].left--;

		switch (major) {
		case 0:
			it->type = CBOR_UINT;
			it->val = arg;
			break;
		case 1:
			it->type = CBOR_NEGINT;
			it->val = arg;
			break;
		case 2:
		case 3:
			if (arg > len - off) {
				rv = CBOR_ETRUNC;
				goto fail;
			}
			it->type = major == 2 ? CBOR_BYTES : CBOR_TEXT;
			it->ptr = buf + off;
			it->len = arg;
			if (major == 3 && !utf8_ok(it->ptr, it->len)) {
				rv = CBOR_EUTF8;
				goto fail;
			}
			off += arg;
			break;
		case 4:
		case 5:
			/* Every element takes a byte at least. */
			if (arg > (len - off) / (major == 4 ? 1 : 2)) {
				rv = CBOR_ETRUNC;
				goto fail;
			}
			it->type = major == 4 ? CBOR_ARRAY : CBOR_MAP;
			it->val = arg;
			break;
		case 6:
			rv = CBOR_ETAG;
			goto fail;
		case 7:
			if (ai == 20)
				it->type = CBOR_FALSE;
			else if (ai == 21)
				it->type = CBOR_TRUE;
			else if (ai == 22)
				it->type = CBOR_NULL;
			else if (ai == 23)
				it->type = CBOR_UNDEFINED;
			else if (ai >= 25 && ai <= 27) {
				it->type = CBOR_FLOAT;
				it->val = arg;
				it->len = (size_t)1 << (ai - 24);
			} else {
				rv = CBOR_ESIMPLE;
				goto fail;
			}
			break;
		}
		doc->nitems++;

		if ((it->type == CBOR_ARRAY || it->type == CBOR_MAP) &&
		    it->val > 0) {
			if (sp >= maxdepth) {
				rv = CBOR_EDEPTH;
				goto fail;
			}
			stack[sp].idx = doc->nitems - 1;
			stack[sp].left = it->type == CBOR_MAP ?
			    it->val * 2 : it->val;
			sp++;
			continue;
		}
		if ((it->type == CBOR_ARRAY || it->type == CBOR_MAP) &&
		    sp >= maxdepth) {
			rv = CBOR_EDEPTH;
			goto fail;
		}
		it->next = doc->nitems;
		/* Close every container this item was the last one of. */
		while (sp > 0 && stack[sp - 1].left == 0) {
			doc->item[stack[sp - 1].idx].next = doc->nitems;
			sp--;
		}
		if (sp == 0)
			break;
	}
	if (off != len) {
		rv = CBOR_ETRAIL;
		goto fail;
	}
	return (0);
 fail:
	cbor_doc_free(doc);
	return (rv);
}

void
cbor_doc_free(struct cbor_doc *doc)
{
	free(doc->item);
	doc->item = NULL;
	doc->nitems = 0;
}

const char *
cbor_strerror(int e)
{
	switch (e) {
	case 0:
		return ("no error");
	case CBOR_ETRUNC:
		return ("truncated");
	case CBOR_ETRAIL:
		return ("trailing bytes");
	case CBOR_EDEPTH:
		return ("nested too deep");
	case CBOR_EITEMS:
		return ("too many items");
	case CBOR_EINDEF:
		return ("indefinite length");
	case CBOR_ETAG:
		return ("tag");
	case CBOR_ESIMPLE:
		return ("unsupported simple value");
	case CBOR_ERESERVED:
		return ("reserved additional information");
	case CBOR_EUTF8:
		return ("text string is not UTF-8");
	case CBOR_ENOMEM:
		return ("out of memory");
	default:
		return ("invalid arguments");
	}
}

int
cbor_text_is(const struct cbor_item *it, const char *s)
{
	size_t	 n = strlen(s);

	return (it->type == CBOR_TEXT && it->len == n &&
	    (n == 0 || memcmp(it->ptr, s, n) == 0));
}

/*
 * Look up a text key in the map at index map.  Returns 1 and the value's
 * index in *val, 0 if absent, -1 if it is there twice (RFC 8949 5.6: such
 * a map is invalid, and which value counts would be up to the reader) or
 * map is not a map.
 */
int
cbor_map_get(const struct cbor_doc *doc, size_t map, const char *key,
    size_t *val)
{
	const struct cbor_item	*m;
	size_t			 k, v;
	uint64_t		 n;
	int			 found = 0;

	if (map >= doc->nitems || doc->item[map].type != CBOR_MAP)
		return (-1);
	m = &doc->item[map];
	k = map + 1;
	for (n = 0; n < m->val; n++) {
		v = doc->item[k].next;
		if (cbor_text_is(&doc->item[k], key)) {
			if (found)
				return (-1);
			found = 1;
			*val = v;
		}
		k = doc->item[v].next;
	}
	return (found);
}

/* Encoder. */

void
cbor_buf_init(struct cbor_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void
cbor_buf_free(struct cbor_buf *b)
{
	freezero(b->buf, b->cap);
	memset(b, 0, sizeof(*b));
}

static int
buf_reserve(struct cbor_buf *b, size_t n)
{
	uint8_t		*p;
	size_t		 ncap;

	if (b->error)
		return (-1);
	if (n > b->max || b->len > b->max - n) {
		b->error = 1;
		return (-1);
	}
	if (b->len + n <= b->cap)
		return (0);
	ncap = b->cap < CBOR_BUF_MIN ? CBOR_BUF_MIN : b->cap;
	while (ncap < b->len + n)
		ncap = ncap > SIZE_MAX / 2 ? b->len + n : ncap * 2;
	if (ncap > b->max)
		ncap = b->max;
	/* recallocarray() wipes the old copy. */
	if ((p = recallocarray(b->buf, b->cap, ncap, 1)) == NULL) {
		b->error = 1;
		return (-1);
	}
	b->buf = p;
	b->cap = ncap;
	return (0);
}

static void
put_raw(struct cbor_buf *b, const void *p, size_t n)
{
	if (buf_reserve(b, n) == -1)
		return;
	if (n > 0)
		memcpy(b->buf + b->len, p, n);
	b->len += n;
}

/* The shortest head for arg (RFC 8949 4.2.1, preferred serialization). */
static void
put_head(struct cbor_buf *b, int major, uint64_t arg)
{
	uint8_t		 h[9];
	size_t		 n, i;

	if (arg < 24) {
		h[0] = major << 5 | arg;
		put_raw(b, h, 1);
		return;
	}
	if (arg <= 0xff) {
		h[0] = major << 5 | 24;
		n = 1;
	} else if (arg <= 0xffff) {
		h[0] = major << 5 | 25;
		n = 2;
	} else if (arg <= 0xffffffffULL) {
		h[0] = major << 5 | 26;
		n = 4;
	} else {
		h[0] = major << 5 | 27;
		n = 8;
	}
	for (i = 0; i < n; i++)
		h[1 + i] = arg >> (8 * (n - 1 - i));
	put_raw(b, h, 1 + n);
}

void
cbor_put_uint(struct cbor_buf *b, uint64_t v)
{
	put_head(b, 0, v);
}

/* Encodes -1 - v. */
void
cbor_put_negint(struct cbor_buf *b, uint64_t v)
{
	put_head(b, 1, v);
}

void
cbor_put_bytes(struct cbor_buf *b, const void *p, size_t n)
{
	put_head(b, 2, n);
	put_raw(b, p, n);
}

/* The caller vouches that s is UTF-8. */
void
cbor_put_text(struct cbor_buf *b, const char *s, size_t n)
{
	put_head(b, 3, n);
	put_raw(b, s, n);
}

void
cbor_put_str(struct cbor_buf *b, const char *s)
{
	cbor_put_text(b, s, strlen(s));
}

void
cbor_put_array(struct cbor_buf *b, uint64_t n)
{
	put_head(b, 4, n);
}

void
cbor_put_map(struct cbor_buf *b, uint64_t npairs)
{
	put_head(b, 5, npairs);
}

void
cbor_put_bool(struct cbor_buf *b, int v)
{
	uint8_t	 c = v ? 0xf5 : 0xf4;

	put_raw(b, &c, 1);
}

void
cbor_put_null(struct cbor_buf *b)
{
	uint8_t	 c = 0xf6;

	put_raw(b, &c, 1);
}

void
cbor_put_undefined(struct cbor_buf *b)
{
	uint8_t	 c = 0xf7;

	put_raw(b, &c, 1);
}

/* A float of width 2, 4 or 8 bytes from its bits, as given. */
void
cbor_put_float(struct cbor_buf *b, uint64_t bits, size_t width)
{
	uint8_t		 h[9];
	size_t		 i;

	switch (width) {
	case 2:
		h[0] = 0xf9;
		break;
	case 4:
		h[0] = 0xfa;
		break;
	case 8:
		h[0] = 0xfb;
		break;
	default:
		b->error = 1;
		return;
	}
	for (i = 0; i < width; i++)
		h[1 + i] = bits >> (8 * (width - 1 - i));
	put_raw(b, h, 1 + width);
}

/*
 * Encode item idx of doc and everything inside it.  The items are in
 * document order, so this is every item from idx to its next, each with
 * its own head.
 */
void
cbor_put_item(struct cbor_buf *b, const struct cbor_doc *doc, size_t idx)
{
	const struct cbor_item	*it;
	size_t			 i;

	if (idx >= doc->nitems) {
		b->error = 1;
		return;
	}
	for (i = idx; i < doc->item[idx].next; i++) {
		it = &doc->item[i];
		switch (it->type) {
		case CBOR_UINT:
			cbor_put_uint(b, it->val);
			break;
		case CBOR_NEGINT:
			cbor_put_negint(b, it->val);
			break;
		case CBOR_BYTES:
			cbor_put_bytes(b, it->ptr, it->len);
			break;
		case CBOR_TEXT:
			cbor_put_text(b, (const char *)it->ptr, it->len);
			break;
		case CBOR_ARRAY:
			cbor_put_array(b, it->val);
			break;
		case CBOR_MAP:
			cbor_put_map(b, it->val);
			break;
		case CBOR_FALSE:
			cbor_put_bool(b, 0);
			break;
		case CBOR_TRUE:
			cbor_put_bool(b, 1);
			break;
		case CBOR_NULL:
			cbor_put_null(b);
			break;
		case CBOR_UNDEFINED:
			cbor_put_undefined(b);
			break;
		case CBOR_FLOAT:
			cbor_put_float(b, it->val, it->len);
			break;
		}
	}
}
