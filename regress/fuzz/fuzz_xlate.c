/*
 * libFuzzer harness for routstrd/upstream_xlate.c: the input goes to all
 * three translators.  As JSON (if it is): the request, with and without a
 * model, and the answer; each output must be one JSON object of the
 * length said, and a refused request must say why.  As a stream: fed
 * whole, byte by byte and in pieces (their size from the first byte),
 * the three must write the same bytes and end the same way; every write
 * is whole events "event: NAME\ndata: JSON\n\n" whose data is an object
 * of that type, and nothing follows message_stop.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "upstream.h"
#include "xlate.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct run;
static void	check_object(const char *, size_t);
static int	out(const char *, size_t, void *);
static void	stream(struct run *, const uint8_t *, size_t, size_t);
static void	unrandom(struct run *);
static void	same(const struct run *, const struct run *);

struct run {
	char	*out;
	size_t	 len;
	int	 rc;
	int	 garbage;
	int	 done;
	int	 stopped;	/* message_stop seen */
};

/* One object, nothing around it, of length len. */
static void
check_object(const char *s, size_t len)
{
	struct jspan	 v;

	if (s == NULL)
		return;
	if (strlen(s) != len || jscan_parse(s, len, &v) != 0 ||
	    jscan_type(&v) != JS_OBJECT || v.js_p != s || v.js_len != len)
		abort();
}

/* Whole events, each of a known shape. */
static int
out(const char *p, size_t len, void *arg)
{
	struct run	*r = arg;
	const char	*end = p + len, *nl, *d;
	char		 name[64];
	struct jspan	 v, t;
	char		*n;
	size_t		 nlen;

	if ((n = realloc(r->out, r->len + len)) == NULL)
		abort();
	r->out = n;
	memcpy(r->out + r->len, p, len);
	r->len += len;
	while (p < end) {
		if (r->stopped)
			abort();	/* nothing after message_stop */
		if (end - p < 7 || memcmp(p, "event: ", 7) != 0 ||
		    (nl = memchr(p, '\n', end - p)) == NULL)
			abort();
		nlen = nl - p - 7;
		if (nlen == 0 || nlen >= sizeof(name))
			abort();
		memcpy(name, p + 7, nlen);
		name[nlen] = '\0';
		d = nl + 1;
		if (end - d < 6 || memcmp(d, "data: ", 6) != 0)
			abort();
		d += 6;
		if ((nl = memchr(d, '\n', end - d)) == NULL ||
		    nl + 1 >= end || nl[1] != '\n')
			abort();
		if (jscan_parse(d, nl - d, &v) != 0 ||
		    jscan_type(&v) != JS_OBJECT ||
		    jscan_get(&v, "type", &t) != 0 || !jscan_streq(&t, name))
			abort();
		if (strcmp(name, "message_stop") == 0)
			r->stopped = 1;
		p = nl + 2;
	}
	return (0);
}

static void
stream(struct run *r, const uint8_t *d, size_t len, size_t piece)
{
	struct xlate_stream	*xs;
	size_t			 off, n;

	memset(r, 0, sizeof(*r));
	if ((xs = xlate_stream_new(out, r)) == NULL)
		abort();
	for (off = 0; off < len; off += n) {
		n = piece == 0 ? len - off : piece;
		if (n > len - off)
			n = len - off;
		if (xlate_stream_feed(xs, d + off, n) == -1) {
			r->rc = -1;
			break;
		}
	}
	if (r->rc == 0)
		r->rc = xlate_stream_finish(xs);
	r->garbage = xlate_stream_garbage(xs);
	r->done = xlate_stream_done(xs);
	xlate_stream_free(xs);
	if (r->done != r->stopped || (r->garbage && r->rc != -1))
		abort();
	unrandom(r);
}

/* Made-up ids ("xlate_" and random hex digits) zeroed, to compare. */
static void
unrandom(struct run *r)
{
	size_t	 i, j;

	for (i = 0; i + 6 + 24 <= r->len; i++) {
		if (memcmp(r->out + i, "xlate_", 6) != 0)
			continue;
		for (j = i + 6; j < i + 6 + 24; j++)
			if (strchr("0123456789abcdef", r->out[j]) != NULL &&
			    r->out[j] != '\0')
				r->out[j] = '0';
	}
}

static void
same(const struct run *a, const struct run *b)
{
	if (a->rc != b->rc || a->garbage != b->garbage || a->done != b->done ||
	    a->len != b->len || (a->len > 0 &&
	    memcmp(a->out, b->out, a->len) != 0))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jspan	 v;
	struct run	 whole, bytes, pieces;
	const char	*err;
	char		*s;
	size_t		 len;

	if (jscan_parse((const char *)data, size, &v) == 0) {
		len = 0;
		err = NULL;
		s = xlate_request(&v, NULL, &len, &err);
		if (s == NULL && err == NULL)
			abort();
		check_object(s, len);
		free(s);
		err = NULL;
		s = xlate_request(&v, "up\"stream\xc3\xa9", &len, &err);
		if (s == NULL && err == NULL)
			abort();
		check_object(s, len);
		free(s);
		s = xlate_answer(&v, &len);
		check_object(s, len);
		free(s);
	}

	stream(&whole, data, size, 0);
	stream(&bytes, data, size, 1);
	stream(&pieces, data, size, size > 0 ? 2 + data[0] % 31 : 1);
	same(&whole, &bytes);
	same(&whole, &pieces);
	free(whole.out);
	free(bytes.out);
	free(pieces.out);
	return (0);
}
