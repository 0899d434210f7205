/*
 * test_sse: the SSE reader of routstrd/upstream_sse.c on its own
 * (framing: LF, CRLF, CR, lines and events split across reads at every
 * point, comments, fields, the bounded buffer, garbage, the unfinished
 * last event) and the scanner of each API's events (usage, the usage
 * chunk swallowed, the terminal held back, the completion text).
 */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "log.h"
#include "proxy.h"
#include "upstream.h"
#include "test.h"

#define MAXEV	64

struct got {
	int		 nev;
	char		*type[MAXEV];
	char		*data[MAXEV];
	int		 hasdata[MAXEV];
	u_int		 ncomments[MAXEV];
	size_t		 rawlen[MAXEV];
	char		*out;		/* what was passed on */
	size_t		 outlen;
	int		 npass;
	int		 drop_at;	/* drop this event (-1: none) */
	int		 stop_at;
	int		 partial;	/* a pass that did not end an event */
	struct upstream_scan *sc;
};

static int
on_event(const struct sse_event *ev, void *arg)
{
	struct got	*g = arg;
	int		 i = g->nev;

	if (g->sc != NULL)
		return (upstream_scan_event(g->sc, ev));
	if (i < MAXEV) {
		g->type[i] = strdup(ev->ev_type);
		g->data[i] = strndup(ev->ev_data, ev->ev_datalen);
		g->hasdata[i] = ev->ev_hasdata;
		g->ncomments[i] = ev->ev_ncomments;
		g->rawlen[i] = ev->ev_rawlen;
	}
	g->nev++;
	if (i == g->drop_at)
		return (SSE_DROP);
	if (i == g->stop_at)
		return (SSE_STOP);
	return (SSE_PASS);
}

static int
on_pass(const char *p, size_t len, void *arg)
{
	struct got	*g = arg;

	g->out = realloc(g->out, g->outlen + len + 1);
	memcpy(g->out + g->outlen, p, len);
	g->outlen += len;
	g->out[g->outlen] = '\0';
	g->npass++;
	if (p[len - 1] != '\n' && p[len - 1] != '\r')
		g->partial = 1;
	return (0);
}

static void
got_init(struct got *g)
{
	memset(g, 0, sizeof(*g));
	g->drop_at = g->stop_at = -1;
}

static void
got_free(struct got *g)
{
	int	 i;

	for (i = 0; i < g->nev && i < MAXEV; i++) {
		free(g->type[i]);
		free(g->data[i]);
	}
	free(g->out);
	memset(g, 0, sizeof(*g));
}

/* Feed s in pieces cut at the offsets in cuts (ascending, 0-ended). */
static int
feed(struct got *g, size_t max, const char *s, size_t len,
    const size_t *cuts)
{
	struct sse_parser	 p;
	size_t			 at = 0;
	int			 r = 0;

	sse_init(&p, max, on_event, on_pass, g);
	for (; cuts != NULL && *cuts > 0 && *cuts < len; cuts++) {
		r |= sse_feed(&p, s + at, *cuts - at);
		at = *cuts;
	}
	r |= sse_feed(&p, s + at, len - at);
	r |= sse_finish(&p);
	sse_free(&p);
	return (r);
}

static int
feeds(struct got *g, const char *s)
{
	got_init(g);
	return (feed(g, 0, s, strlen(s), NULL));
}

static void
test_basic(void)
{
	struct got	 g;
	const char	*s;

	s = "data: a\n\n";
	T(feeds(&g, s) == 0 && g.nev == 1 && strcmp(g.data[0], "a") == 0 &&
	    g.hasdata[0] && g.type[0][0] == '\0' && g.rawlen[0] == 9,
	    "one event, LF");
	T(g.outlen == strlen(s) && memcmp(g.out, s, g.outlen) == 0,
	    "passed on unchanged");
	got_free(&g);

	s = "data: a\n\ndata: b\n\ndata: c\n\n";
	T(feeds(&g, s) == 0 && g.nev == 3 && strcmp(g.data[2], "c") == 0 &&
	    g.npass == 1 && strcmp(g.out, s) == 0,
	    "three events in one read go on in one write");
	got_free(&g);

	s = "data: a\r\n\r\n";
	T(feeds(&g, s) == 0 && g.nev == 1 && strcmp(g.data[0], "a") == 0 &&
	    g.rawlen[0] == 11 && strcmp(g.out, s) == 0, "CRLF");
	got_free(&g);

	s = "data: a\r\rdata: b\r\r";
	T(feeds(&g, s) == 0 && g.nev == 2 && strcmp(g.data[1], "b") == 0 &&
	    strcmp(g.out, s) == 0, "CR alone, the last one at the end");
	got_free(&g);

	s = "data: a\ndata: b\n\n";
	T(feeds(&g, s) == 0 && g.nev == 1 && strcmp(g.data[0], "a\nb") == 0,
	    "two data lines joined with LF");
	got_free(&g);

	s = "data:x\n\ndata:  y\n\ndata\n\ndata:\n\n";
	T(feeds(&g, s) == 0 && g.nev == 4 && strcmp(g.data[0], "x") == 0 &&
	    strcmp(g.data[1], " y") == 0 && strcmp(g.data[2], "") == 0 &&
	    g.hasdata[2] && strcmp(g.data[3], "") == 0,
	    "one space dropped, no colon, empty value");
	got_free(&g);

	s = ": keepalive\n\n: a\n: b\ndata: x\n\n";
	T(feeds(&g, s) == 0 && g.nev == 2 && !g.hasdata[0] &&
	    g.ncomments[0] == 1 && g.ncomments[1] == 2 &&
	    strcmp(g.data[1], "x") == 0 && strcmp(g.out, s) == 0,
	    "comments counted and passed on");
	got_free(&g);

	s = "event: message_stop\nid: 7\nretry: 10\ndata: {}\n\n";
	T(feeds(&g, s) == 0 && g.nev == 1 &&
	    strcmp(g.type[0], "message_stop") == 0 &&
	    strcmp(g.data[0], "{}") == 0 && strcmp(g.out, s) == 0,
	    "event, id and retry lines");
	got_free(&g);

	s = "\n\n\n";
	T(feeds(&g, s) == 0 && g.nev == 3 && !g.hasdata[0] &&
	    strcmp(g.out, s) == 0, "empty lines: empty events, passed on");
	got_free(&g);

	s = "\xef\xbb\xbf" "data: a\n\n";
	T(feeds(&g, s) == 0 && g.nev == 1 && strcmp(g.data[0], "a") == 0 &&
	    strcmp(g.out, s) == 0, "a BOM at the start");
	got_free(&g);

	s = "data: a\n\ndata: b\n";
	T(feeds(&g, s) == 0 && g.nev == 1 &&
	    strcmp(g.out, "data: a\n\n") == 0,
	    "an unfinished last event is neither dispatched nor passed");
	got_free(&g);

	s = "event: x\ndata: a\n\ndata: b\n\n";
	T(feeds(&g, s) == 0 && g.nev == 2 && g.type[1][0] == '\0',
	    "the type does not carry over to the next event");
	got_free(&g);
}

/* Every split point, and byte by byte: the same events, the same bytes. */
static void
test_splits(void)
{
	const char	*s = ": ping\r\n\r\nevent: e1\r\ndata: one\r\n\r\n"
	    "data: two\ndata: lines\n\n:c\rdata: three\r\rid: 1\n"
	    "data: {\"x\":\"\\r\\n\"}\r\n\r\ndata: last\n\n";
	struct got	 ref, g;
	size_t		 len = strlen(s), i, j, cuts[3], *all;
	int		 bad = 0, partial = 0, k;

	got_init(&ref);
	T(feed(&ref, 0, s, len, NULL) == 0 && ref.nev == 6 &&
	    strcmp(ref.data[1], "one") == 0 &&
	    strcmp(ref.data[2], "two\nlines") == 0 &&
	    strcmp(ref.data[3], "three") == 0 &&
	    strcmp(ref.data[4], "{\"x\":\"\\r\\n\"}") == 0 &&
	    strcmp(ref.type[1], "e1") == 0 && ref.ncomments[3] == 1 &&
	    strcmp(ref.data[5], "last") == 0, "mixed framing, in one read");
	for (i = 1; i < len; i++) {
		for (j = i; j < len; j += 7) {
			got_init(&g);
			cuts[0] = i;
			cuts[1] = j > i ? j : 0;
			cuts[2] = 0;
			(void)feed(&g, 0, s, len, cuts);
			if (g.nev != ref.nev || g.outlen != len ||
			    memcmp(g.out, s, len) != 0)
				bad++;
			for (k = 0; k < g.nev && k < ref.nev; k++)
				if (strcmp(g.data[k], ref.data[k]) != 0 ||
				    strcmp(g.type[k], ref.type[k]) != 0)
					bad++;
			partial |= g.partial;
			got_free(&g);
		}
	}
	T(bad == 0, "split at every point (and a second one): same events, "
	    "same bytes");
	T(partial == 0, "never a part of an event passed on");

	all = calloc(len + 1, sizeof(*all));
	for (i = 0; i < len; i++)
		all[i] = i + 1;
	got_init(&g);
	(void)feed(&g, 0, s, len, all);
	T(g.nev == ref.nev && g.outlen == len && memcmp(g.out, s, len) == 0 &&
	    !g.partial, "a byte at a time");
	got_free(&g);
	free(all);

	got_init(&g);
	cuts[0] = strlen(": ping\r");
	cuts[1] = 0;
	(void)feed(&g, 0, s, len, cuts);
	T(g.nev == ref.nev && g.rawlen[0] == strlen(": ping\r\n\r\n"),
	    "a CRLF split between reads is one line end");
	got_free(&g);
	got_free(&ref);
}

static void
test_drop_stop(void)
{
	struct got		 g;
	struct sse_parser	 p;
	const char		*s = "data: a\n\ndata: b\n\ndata: c\n\n";

	got_init(&g);
	g.drop_at = 1;
	T(feed(&g, 0, s, strlen(s), NULL) == 0 && g.nev == 3 &&
	    strcmp(g.out, "data: a\n\ndata: c\n\n") == 0 && g.npass == 2,
	    "a dropped event: the rest in two writes");
	got_free(&g);

	got_init(&g);
	g.stop_at = 1;
	sse_init(&p, 0, on_event, on_pass, &g);
	T(sse_feed(&p, s, strlen(s)) == -1 && g.nev == 2 &&
	    strcmp(g.out, "data: a\n\n") == 0,
	    "stop: what came before goes on, the bad event does not");
	T(sse_feed(&p, s, strlen(s)) == -1 && sse_finish(&p) == -1 &&
	    g.nev == 2, "stopped for good");
	sse_free(&p);
	got_free(&g);
}

/* The buffer holds one event: bigger ones go on unread. */
static void
test_bounded(void)
{
	struct got		 g;
	struct sse_parser	 p;
	char			*s, *junk;
	size_t			 len, i, n, maxcap = 0;
	int			 bad = 0;

	len = 20000;
	s = malloc(len + 64);
	memcpy(s, "data: ", 6);
	memset(s + 6, 'x', len - 6);
	n = len;
	n += snprintf(s + n, 64, "\r\n\r\ndata: small\n\n");

	got_init(&g);
	sse_init(&p, 100, on_event, on_pass, &g);
	for (i = 0; i < n; i += 777) {
		if (sse_feed(&p, s + i, n - i < 777 ? n - i : 777) == -1)
			bad++;
		if (p.sp_cap > maxcap)
			maxcap = p.sp_cap;
	}
	T(sse_finish(&p) == 0 && bad == 0, "a 20 kB event with a 100 byte "
	    "limit");
	T(g.nev == 1 && strcmp(g.data[0], "small") == 0,
	    "... not dispatched; the next one is");
	T(g.outlen == n && memcmp(g.out, s, n) == 0, "... passed on whole");
	T(p.sp_skipped == len + 4, "... its bytes counted as skipped (%llu)",
	    (unsigned long long)p.sp_skipped);
	T(maxcap <= 16384, "... the buffer stayed small (%zu)", maxcap);
	sse_free(&p);
	got_free(&g);

	/* long lines with line ends at the limit */
	got_init(&g);
	n = 0;
	for (i = 0; i < 40; i++)
		n += snprintf(s + n, len + 64 - n, "data: %040zu\r\n", i);
	n += snprintf(s + n, len + 64 - n, "\r\ndata: z\r\n\r\n");
	T(feed(&g, 64, s, n, NULL) == 0 && g.nev == 1 &&
	    strcmp(g.data[0], "z") == 0 && g.outlen == n &&
	    memcmp(g.out, s, n) == 0, "many lines over the limit, then one");
	got_free(&g);

	/* garbage: binary, NULs, no line end */
	junk = malloc(100000);
	for (i = 0; i < 100000; i++)
		junk[i] = (char)(i * 7 + (i >> 3));
	got_init(&g);
	sse_init(&p, 1024, on_event, on_pass, &g);
	for (i = 0; i < 100000; i += 4096)
		(void)sse_feed(&p, junk + i, 100000 - i < 4096 ?
		    100000 - i : 4096);
	T(p.sp_cap <= 16384, "garbage: the buffer stayed small (%zu)",
	    p.sp_cap);
	(void)sse_finish(&p);
	sse_free(&p);
	T(g.outlen <= 100000, "garbage: nothing invented");
	got_free(&g);
	free(junk);
	free(s);
}

static struct upstream_scan *
scan(struct got *g, struct upstream_scan *sc, int api, int hold,
    const char *s)
{
	upstream_scan_init(sc, api, hold);
	got_init(g);
	g->sc = sc;
	(void)feed(g, 0, s, strlen(s), NULL);
	return (sc);
}


/* upstream_scan_final()'s text as a tree, NULL if none or not JSON. */
static json_t *
final_json(struct upstream_scan *sc, const struct usage *u)
{
	json_error_t	 err;
	json_t		*f;
	char		*s;

	if ((s = upstream_scan_final(sc, u)) == NULL)
		return (NULL);
	f = json_loads(s, 0, &err);
	free(s);
	return (f);
}

static void
test_openai(void)
{
	struct upstream_scan	 sc;
	struct usage		 u;
	struct got		 g;
	json_t			*f;
	const char		*c1 = "data: {\"id\":\"c1\",\"object\":"
	    "\"chat.completion.chunk\",\"created\":5,\"model\":\"m\","
	    "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
	    "\"content\":\"Hello\"}}],\"usage\":null}\n\n";
	const char		*c2 = "data: {\"id\":\"c1\",\"choices\":[{"
	    "\"index\":0,\"delta\":{\"content\":\" world\","
	    "\"reasoning_content\":\"hm\"},\"finish_reason\":\"stop\"}]}"
	    "\n\n";
	const char		*uc = "data: {\"id\":\"c1\",\"choices\":[],"
	    "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2,"
	    "\"total_tokens\":11}}\n\n";
	char			 s[2048];

	(void)snprintf(s, sizeof(s), "%s%s: keep\n\n%sdata: [DONE]\n\n", c1,
	    c2, uc);
	scan(&g, &sc, UPSTREAM_API_CHAT, 1, s);
	T(g.outlen == strlen(c1) + strlen(c2) + 8 &&
	    strstr(g.out, "choices\":[]") == NULL &&
	    strstr(g.out, "[DONE]") == NULL && strstr(g.out, ": keep") != NULL,
	    "openai: the usage chunk swallowed, [DONE] held, the rest passed");
	T(sc.sc_terminal && sc.sc_final != NULL && sc.sc_chars == 13,
	    "openai: the end seen, the usage chunk kept, 13 characters");
	upstream_scan_usage(&sc, 40, 1, &u);
	T(u.us_prompt == 9 && u.us_completion == 2 && !u.us_estimated,
	    "openai: usage from the usage chunk");
	f = final_json(&sc, &u);
	T(f != NULL && json_array_size(json_object_get(f, "choices")) == 0 &&
	    json_integer_value(json_object_get(json_object_get(f, "usage"),
	    "prompt_tokens")) == 9, "openai: the final chunk is the usage "
	    "chunk");
	json_decref(f);
	upstream_scan_free(&sc);
	got_free(&g);

	(void)snprintf(s, sizeof(s), "%s%sdata: [DONE]\n\n", c1, c2);
	scan(&g, &sc, UPSTREAM_API_CHAT, 0, s);
	T(g.outlen == strlen(s), "openai, not held: everything passed");
	upstream_scan_free(&sc);
	got_free(&g);

	/* a usage chunk over two data: lines goes out on one */
	scan(&g, &sc, UPSTREAM_API_CHAT, 1, "data: {\"id\":\"x\",\"choices\":[],"
	    "\r\ndata: \"usage\":{\"prompt_tokens\":2,\r\ndata: "
	    "\"completion_tokens\":1}}\r\n\r\ndata: [DONE]\n\n");
	upstream_scan_usage(&sc, 0, 1, &u);
	{
		char	*t = upstream_scan_final(&sc, &u);

		T(t != NULL && strchr(t, '\n') == NULL &&
		    strchr(t, '\r') == NULL && strstr(t, "\"usage\":") !=
		    NULL && u.us_prompt == 2 && u.us_completion == 1,
		    "openai: a usage chunk of several lines kept on one");
		free(t);
	}
	upstream_scan_free(&sc);
	got_free(&g);

	/* usage inside a content chunk, no usage chunk */
	(void)snprintf(s, sizeof(s), "%sdata: {\"id\":\"c1\",\"model\":"
	    "\"m2\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"!\"}}],"
	    "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}\n\n"
	    "data: [DONE]\n\n", c1);
	scan(&g, &sc, UPSTREAM_API_CHAT, 1, s);
	T(strstr(g.out, "\"content\":\"!\"") != NULL && sc.sc_final == NULL,
	    "openai: usage in a content chunk: the chunk passed");
	upstream_scan_usage(&sc, 0, 1, &u);
	T(u.us_prompt == 3 && u.us_completion == 4, "... its usage read");
	f = final_json(&sc, &u);
	T(f != NULL && strcmp(json_string_value(json_object_get(f, "id")),
	    "c1") == 0 && strcmp(json_string_value(json_object_get(f,
	    "model")), "m2") == 0 && json_integer_value(json_object_get(f,
	    "created")) == 5 && json_integer_value(json_object_get(
	    json_object_get(f, "usage"), "completion_tokens")) == 4,
	    "... a final chunk made up with its id, model and usage");
	json_decref(f);
	upstream_scan_free(&sc);
	got_free(&g);

	/* no usage at all: estimated */
	(void)snprintf(s, sizeof(s), "%s%sdata: [DONE]\n\ndata: {\"late\":1}"
	    "\n\n", c1, c2);
	scan(&g, &sc, UPSTREAM_API_CHAT, 1, s);
	T(strstr(g.out, "late") == NULL, "openai: nothing after [DONE]");
	upstream_scan_usage(&sc, 41, 1, &u);
	T(u.us_estimated && u.us_prompt == 11 && u.us_completion == 4,
	    "openai: no usage: 41 and 13 characters estimated as 11 and 4 "
	    "tokens");
	f = final_json(&sc, &u);
	T(json_is_true(json_object_get(json_object_get(f, "usage"),
	    "estimated")), "... the made-up final chunk says estimated");
	json_decref(f);
	upstream_scan_free(&sc);
	got_free(&g);

	/* completions */
	scan(&g, &sc, UPSTREAM_API_COMPLETIONS, 1, "data: {\"choices\":[{"
	    "\"text\":\"abcde\"}]}\n\ndata: [DONE]\n\n");
	T(sc.sc_chars == 5 && sc.sc_terminal, "completions: text counted");
	upstream_scan_free(&sc);
	got_free(&g);

	/* tool calls */
	scan(&g, &sc, UPSTREAM_API_CHAT, 1, "data: {\"choices\":[{\"delta\":"
	    "{\"tool_calls\":[{\"function\":{\"arguments\":\"{\\\"a\\\":1}\"}}"
	    "]}}]}\n\n");
	T(sc.sc_chars == 7, "tool call arguments counted");
	upstream_scan_free(&sc);
	got_free(&g);

	/* garbage and errors */
	scan(&g, &sc, UPSTREAM_API_CHAT, 1, "data: {\"choices\":[]}\n\n"
	    "data: not json\n\ndata: {\"choices\":[]}\n\n");
	T(sc.sc_garbage && g.outlen == strlen("data: {\"choices\":[]}\n\n"),
	    "data that is not JSON stops the stream after what came before");
	upstream_scan_free(&sc);
	got_free(&g);
	scan(&g, &sc, UPSTREAM_API_CHAT, 1, "data: [1,2]\n\n");
	T(sc.sc_garbage, "data that is JSON but not an object too");
	upstream_scan_free(&sc);
	got_free(&g);
	scan(&g, &sc, UPSTREAM_API_CHAT, 1, "data: {\"error\":{\"message\":"
	    "\"overloaded\"}}\n\n");
	T(sc.sc_error && !sc.sc_garbage && g.outlen > 0,
	    "an error event: passed on, noted");
	upstream_scan_free(&sc);
	got_free(&g);
}

static void
test_anthropic(void)
{
	struct upstream_scan	 sc;
	struct usage		 u;
	struct got		 g;
	const char		*start = "event: message_start\ndata: {\"type\":"
	    "\"message_start\",\"message\":{\"id\":\"msg_1\",\"usage\":{"
	    "\"input_tokens\":25,\"cache_read_input_tokens\":10,"
	    "\"cache_creation_input_tokens\":5,\"output_tokens\":1}}}\n\n"
	    "event: content_block_delta\ndata: {\"type\":"
	    "\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
	    "\"text_delta\",\"text\":\"0123456789012345678901234567890123456"
	    "789\"}}\n\nevent: ping\ndata: {\"type\": \"ping\"}\n\n";
	const char		*end = "event: message_delta\ndata: {\"type\":"
	    "\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
	    "\"usage\":{\"output_tokens\":15}}\n\nevent: message_stop\n"
	    "data: {\"type\":\"message_stop\"}\n\n";
	char			 s[4096];

	(void)snprintf(s, sizeof(s), "%s%s", start, end);
	scan(&g, &sc, UPSTREAM_API_MESSAGES, 1, s);
	T(strstr(g.out, "message_stop") == NULL &&
	    strstr(g.out, "message_delta") != NULL && sc.sc_terminal,
	    "anthropic: message_stop held back, the rest passed");
	upstream_scan_usage(&sc, 0, 1, &u);
	T(u.us_prompt == 25 && u.us_cache_read == 10 &&
	    u.us_cache_write == 5 && u.us_completion == 15 && !u.us_estimated,
	    "anthropic: message_start and message_delta usage merged");
	T(upstream_scan_final(&sc, &u) == NULL, "anthropic: no final chunk");
	upstream_scan_free(&sc);
	got_free(&g);

	/*
	 * More usage objects than are kept: merged as they come, the first
	 * one's input_tokens (in no later one) still read.
	 */
	{
		char	*p = s;
		int	 i;

		p += snprintf(p, sizeof(s), "%s", start);
		for (i = 1; i <= 9; i++)
			p += snprintf(p, sizeof(s) - (p - s), "event: "
			    "message_delta\ndata: {\"type\":\"message_delta\","
			    "\"usage\":{\"output_tokens\":%d%s}}\n\n", i * 10,
			    i == 3 ? ",\"cache_read_input_tokens\":7" : "");
		scan(&g, &sc, UPSTREAM_API_MESSAGES, 1, s);
		T(sc.sc_nusage <= UPSTREAM_USAGE_MAX,
		    "anthropic, ten usages: %zu kept", sc.sc_nusage);
		upstream_scan_usage(&sc, 0, 1, &u);
		T(u.us_prompt == 25 && u.us_cache_read == 7 &&
		    u.us_cache_write == 5 && u.us_completion == 90 &&
		    !u.us_estimated, "anthropic, ten usages: each member the "
		    "last said");
		upstream_scan_free(&sc);
		got_free(&g);
	}

	/* cut after message_start: what came is more than reported */
	scan(&g, &sc, UPSTREAM_API_MESSAGES, 1, start);
	upstream_scan_usage(&sc, 0, 0, &u);
	T(u.us_prompt == 25 && u.us_completion == 10 && u.us_estimated,
	    "anthropic, cut: input reported, output from 40 characters");
	upstream_scan_free(&sc);
	got_free(&g);
}

static void
test_responses(void)
{
	struct upstream_scan	 sc;
	struct usage		 u;
	struct got		 g;
	json_t			*f;

	scan(&g, &sc, UPSTREAM_API_RESPONSES, 1, "event: response.created\n"
	    "data: {\"type\":\"response.created\",\"response\":{\"usage\":"
	    "null}}\n\nevent: response.output_text.delta\ndata: {\"type\":"
	    "\"response.output_text.delta\",\"delta\":\"abcdef\"}\n\n"
	    "event: response.completed\ndata: {\"type\":\"response.completed\""
	    ",\"response\":{\"usage\":{\"input_tokens\":30,"
	    "\"input_tokens_details\":{\"cached_tokens\":20},"
	    "\"output_tokens\":6,\"total_tokens\":36}}}\n\n");
	T(strstr(g.out, "response.completed") == NULL &&
	    strstr(g.out, "output_text.delta") != NULL && sc.sc_terminal &&
	    sc.sc_chars == 6, "responses: all passed but the end, held back");
	upstream_scan_usage(&sc, 0, 1, &u);
	T(u.us_prompt == 10 && u.us_cache_read == 20 && u.us_completion == 6,
	    "responses: usage from response.completed");
	f = final_json(&sc, &u);
	T(f != NULL && json_is_string(json_object_get(f, "type")) &&
	    strcmp(json_string_value(json_object_get(f, "type")),
	    "response.completed") == 0 &&
	    json_is_object(json_object_get(json_object_get(f, "response"),
	    "usage")), "responses: the held end is the final event");
	json_decref(f);
	upstream_scan_free(&sc);
	got_free(&g);
}

int
main(void)
{
	log_init(1, LOG_DAEMON);
	log_setverbose(0);
	test_basic();
	test_splits();
	test_drop_stop();
	test_bounded();
	test_openai();
	test_anthropic();
	test_responses();
	return (test_done());
}
