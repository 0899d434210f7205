/*
 * libFuzzer harness for what an upstream's stream goes through: the SSE
 * parser and the scan that finds usage, the completion's size and the
 * terminal event, for each API.  The input is the stream; its first byte
 * picks the API, the cap and the piece size.  The stream is fed whole,
 * byte by byte and in pieces; the three must pass the same bytes on and
 * find the same usage, and what is passed on must be a subsequence of the
 * input.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "upstream.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct run {
	struct upstream_scan	 scan;
	char			*out;
	size_t			 len;
	int			 stopped;
	struct usage		 us;
	uint64_t		 chars;
	int			 terminal;
};

static int
on_event(const struct sse_event *ev, void *arg)
{
	struct run	*r = arg;

	if (ev->ev_data[ev->ev_datalen] != '\0')
		abort();	/* data is NUL-terminated at its length */
	return (upstream_scan_event(&r->scan, ev));
}

static int
on_pass(const char *s, size_t len, void *arg)
{
	struct run	*r = arg;
	char		*n;

	if ((n = realloc(r->out, r->len + len + 1)) == NULL)
		abort();
	r->out = n;
	memcpy(r->out + r->len, s, len);
	r->len += len;
	return (0);
}

static void
feed(struct run *r, int api, size_t max, const uint8_t *d, size_t len,
    size_t piece)
{
	struct sse_parser	 sp;
	size_t			 off, n;
	struct jspan		 fv;
	char			*final;

	memset(r, 0, sizeof(*r));
	upstream_scan_init(&r->scan, api, 1);
	sse_init(&sp, max, on_event, on_pass, r);
	for (off = 0; off < len; off += n) {
		n = piece == 0 ? len - off : piece;
		if (n > len - off)
			n = len - off;
		if (sse_feed(&sp, d + off, n) == -1) {
			r->stopped = 1;
			break;
		}
	}
	if (!r->stopped && sse_finish(&sp) == -1)
		r->stopped = 1;
	sse_free(&sp);
	upstream_scan_usage(&r->scan, 100, 1, &r->us);
	r->chars = r->scan.sc_chars;
	r->terminal = r->scan.sc_terminal;
	/* the final chunk goes out as one data: line of JSON */
	if ((final = upstream_scan_final(&r->scan, &r->us)) != NULL) {
		if (strpbrk(final, "\r\n") != NULL ||
		    jscan_parse(final, strlen(final), &fv) != 0)
			abort();
		free(final);
	}
	upstream_scan_free(&r->scan);
}

/* a is a subsequence of b */
static int
subseq(const char *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t	 i = 0, j = 0;

	for (; i < alen && j < blen; j++)
		if ((uint8_t)a[i] == b[j])
			i++;
	return (i == alen);
}

static void
same(const struct run *a, const struct run *b)
{
	if (a->stopped != b->stopped)
		abort();
	if (a->stopped)
		return;
	if (a->len != b->len || (a->len > 0 &&
	    memcmp(a->out, b->out, a->len) != 0))
		abort();
	if (memcmp(&a->us, &b->us, sizeof(a->us)) != 0 ||
	    a->chars != b->chars || a->terminal != b->terminal)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int	 apis[] = {
		UPSTREAM_API_CHAT, UPSTREAM_API_COMPLETIONS,
		UPSTREAM_API_RESPONSES, UPSTREAM_API_MESSAGES
	};
	struct run		 whole, bytes, pieces;
	size_t			 max, piece;
	int			 api;

	if (size < 1)
		return (0);
	api = apis[data[0] & 3];
	max = (data[0] & 4) ? 64 : SSE_EVENT_MAX;
	piece = 2 + (data[0] >> 3);
	data++;
	size--;

	feed(&whole, api, max, data, size, 0);
	feed(&bytes, api, max, data, size, 1);
	feed(&pieces, api, max, data, size, piece);
	/*
	 * Under the cap, how the stream was cut up makes no difference.
	 * An event over it is passed on as it comes, unread, so where a
	 * broken stream's tail ends up depends on the cuts: then only the
	 * bytes passed on are checked.
	 */
	if (max == SSE_EVENT_MAX) {
		same(&whole, &bytes);
		same(&whole, &pieces);
	}
	if ((!whole.stopped && !subseq(whole.out, whole.len, data, size)) ||
	    (!bytes.stopped && !subseq(bytes.out, bytes.len, data, size)) ||
	    (!pieces.stopped && !subseq(pieces.out, pieces.len, data, size)))
		abort();
	/* Usage is never made up beyond its bounds. */
	if (whole.us.us_prompt > USAGE_TOKENS_MAX * 4 ||
	    whole.us.us_completion > USAGE_TOKENS_MAX * 4)
		abort();
	free(whole.out);
	free(bytes.out);
	free(pieces.out);
	return (0);
}
