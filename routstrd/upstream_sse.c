/*
 * Server-Sent Events read on the side of a stream passed through, and
 * what the events of each API say (usage, completion text, the end).
 *
 * The parser keeps one event at a time: the bytes of the event being
 * read, from sp_start to sp_len, in sp_buf.  Lines are split as they
 * complete; a CR at the end of the input waits for the next byte, so
 * that a CRLF split across two reads is one line end and an event is
 * only ever passed on whole, its last line end included.  The input is
 * taken in steps of at most sp_max bytes, so the buffer never holds
 * more than an event and a step.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "jscan.h"
#include "log.h"
#include "proxy.h"
#include "upstream.h"

#define SSE_STEP_MIN	4096

static int	 sse_lines(struct sse_parser *, int);
static int	 sse_oversize(struct sse_parser *);
static int	 sse_line(struct sse_parser *, size_t, size_t, size_t);
static int	 sse_dispatch(struct sse_parser *, size_t);
static int	 sse_pass(struct sse_parser *, size_t, size_t);
static int	 sse_flush(struct sse_parser *);
static void	 sse_compact(struct sse_parser *);
static int	 sse_reserve(struct sse_parser *, size_t);
static void	 sse_event_reset(struct sse_parser *);
static int	 sse_data_add(struct sse_parser *, const char *, size_t);

void
sse_init(struct sse_parser *p, size_t max,
    int (*on_event)(const struct sse_event *, void *),
    int (*on_pass)(const char *, size_t, void *), void *arg)
{
	memset(p, 0, sizeof(*p));
	p->sp_on_event = on_event;
	p->sp_on_pass = on_pass;
	p->sp_arg = arg;
	p->sp_max = max > 0 ? max : SSE_EVENT_MAX;
}

void
sse_free(struct sse_parser *p)
{
	free(p->sp_buf);
	free(p->sp_data);
	p->sp_buf = p->sp_data = NULL;
	p->sp_len = p->sp_cap = p->sp_datalen = p->sp_datacap = 0;
}

static int
sse_reserve(struct sse_parser *p, size_t more)
{
	size_t	 cap;
	char	*nb;

	if (p->sp_len + more <= p->sp_cap)
		return (0);
	cap = p->sp_cap > 0 ? p->sp_cap : 1024;
	while (cap < p->sp_len + more)
		cap *= 2;
	if ((nb = realloc(p->sp_buf, cap)) == NULL)
		return (-1);
	p->sp_buf = nb;
	p->sp_cap = cap;
	return (0);
}

int
sse_feed(struct sse_parser *p, const void *data, size_t len)
{
	const char	*d = data;
	size_t		 step, n;

	if (p->sp_stopped)
		return (-1);
	step = p->sp_max < SSE_STEP_MIN ? SSE_STEP_MIN : p->sp_max;
	while (len > 0) {
		n = len < step ? len : step;
		if (sse_reserve(p, n) == -1) {
			p->sp_stopped = 1;
			return (-1);
		}
		memcpy(p->sp_buf + p->sp_len, d, n);
		p->sp_len += n;
		d += n;
		len -= n;
		if (sse_lines(p, 0) == -1 || sse_flush(p) == -1) {
			p->sp_stopped = 1;
			return (-1);
		}
		sse_compact(p);
	}
	return (0);
}

int
sse_finish(struct sse_parser *p)
{
	if (p->sp_stopped)
		return (-1);
	if (sse_lines(p, 1) == -1 || sse_flush(p) == -1) {
		p->sp_stopped = 1;
		return (-1);
	}
	/* an event without its empty line is not dispatched, nor passed */
	p->sp_start = p->sp_line = p->sp_pos = p->sp_len = 0;
	sse_event_reset(p);
	p->sp_oversize = 0;
	p->sp_stopped = 1;
	return (0);
}

/* Split what came into lines; at the end, a CR ends a line by itself. */
static int
sse_lines(struct sse_parser *p, int end)
{
	size_t	 pos, term;
	char	 c;

	for (pos = p->sp_pos; pos < p->sp_len; pos++) {
		c = p->sp_buf[pos];
		if (c != '\r' && c != '\n')
			continue;
		if (c == '\r') {
			if (pos + 1 == p->sp_len && !end)
				break;		/* an LF may follow */
			term = pos + 1 < p->sp_len &&
			    p->sp_buf[pos + 1] == '\n' ? 2 : 1;
		} else
			term = 1;
		p->sp_pos = pos + term;
		if (sse_line(p, p->sp_line, pos, pos + term) == -1)
			return (-1);
		p->sp_line = pos + term;
		pos += term - 1;
		if (p->sp_stopped)
			return (-1);
		if (!p->sp_oversize &&
		    p->sp_line - p->sp_start > p->sp_max &&
		    sse_oversize(p) == -1)
			return (-1);
	}
	p->sp_pos = pos;

	if (p->sp_oversize) {
		/* on with the big event's bytes, as far as we are */
		if (p->sp_pos > p->sp_start) {
			if (p->sp_line < p->sp_pos)
				p->sp_partial = 1;
			p->sp_skipped += p->sp_pos - p->sp_start;
			if (sse_pass(p, p->sp_start, p->sp_pos - p->sp_start) ==
			    -1)
				return (-1);
			p->sp_start = p->sp_line = p->sp_pos;
		}
	} else if (p->sp_len - p->sp_start > p->sp_max)
		return (sse_oversize(p));
	return (0);
}

/* Too large to keep: what we have goes on, not looked at, and the rest. */
static int
sse_oversize(struct sse_parser *p)
{
	log_debug("sse: an event over %zu bytes passed unread", p->sp_max);
	p->sp_oversize = 1;
	sse_event_reset(p);
	if (p->sp_line < p->sp_pos)
		p->sp_partial = 1;
	p->sp_skipped += p->sp_pos - p->sp_start;
	if (sse_pass(p, p->sp_start, p->sp_pos - p->sp_start) == -1)
		return (-1);
	p->sp_start = p->sp_line = p->sp_pos;
	return (0);
}

/* One line: [start, eol) and its end, up to next. */
static int
sse_line(struct sse_parser *p, size_t start, size_t eol, size_t next)
{
	const char	*s = p->sp_buf + start, *colon, *v;
	size_t		 len = eol - start, nlen, vlen;

	if (p->sp_oversize) {
		if (len > 0 || p->sp_partial) {
			p->sp_partial = 0;
			return (0);
		}
		/* the big event ends */
		p->sp_skipped += next - p->sp_start;
		if (sse_pass(p, p->sp_start, next - p->sp_start) == -1)
			return (-1);
		p->sp_start = next;
		p->sp_oversize = 0;
		sse_event_reset(p);
		return (0);
	}
	if (!p->sp_bom) {
		p->sp_bom = 1;
		if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
			s += 3;
			len -= 3;
			if (len == 0)
				return (0);	/* not an empty line */
		}
	}
	if (len == 0)
		return (sse_dispatch(p, next));
	if (*s == ':') {
		p->sp_ncomments++;
		return (0);
	}
	if ((colon = memchr(s, ':', len)) != NULL) {
		nlen = colon - s;
		v = colon + 1;
		vlen = len - nlen - 1;
		if (vlen > 0 && *v == ' ') {
			v++;
			vlen--;
		}
	} else {
		nlen = len;
		v = s + len;
		vlen = 0;
	}
	if (nlen == 4 && memcmp(s, "data", 4) == 0) {
		if (sse_data_add(p, v, vlen) == -1)
			return (-1);
		p->sp_hasdata = 1;
	} else if (nlen == 5 && memcmp(s, "event", 5) == 0) {
		if (vlen >= sizeof(p->sp_type))
			vlen = sizeof(p->sp_type) - 1;
		memcpy(p->sp_type, v, vlen);
		p->sp_type[vlen] = '\0';
	}
	/* id, retry and the rest: the client's business */
	return (0);
}

static int
sse_data_add(struct sse_parser *p, const char *v, size_t vlen)
{
	size_t	 cap;
	char	*nd;

	if (p->sp_datalen + vlen + 2 > p->sp_datacap) {
		cap = p->sp_datacap > 0 ? p->sp_datacap : 256;
		while (cap < p->sp_datalen + vlen + 2)
			cap *= 2;
		if ((nd = realloc(p->sp_data, cap)) == NULL)
			return (-1);
		p->sp_data = nd;
		p->sp_datacap = cap;
	}
	memcpy(p->sp_data + p->sp_datalen, v, vlen);
	p->sp_datalen += vlen;
	p->sp_data[p->sp_datalen++] = '\n';
	p->sp_data[p->sp_datalen] = '\0';
	return (0);
}

static void
sse_event_reset(struct sse_parser *p)
{
	p->sp_datalen = 0;
	if (p->sp_data != NULL)
		p->sp_data[0] = '\0';
	p->sp_type[0] = '\0';
	p->sp_hasdata = 0;
	p->sp_ncomments = 0;
	p->sp_partial = 0;
}

/* An empty line: the event from sp_start to end is complete. */
static int
sse_dispatch(struct sse_parser *p, size_t end)
{
	struct sse_event	 ev;
	size_t			 start = p->sp_start;
	int			 r;

	memset(&ev, 0, sizeof(ev));
	ev.ev_raw = p->sp_buf + start;
	ev.ev_rawlen = end - start;
	ev.ev_type = p->sp_type;
	if (p->sp_datalen > 0)
		p->sp_data[--p->sp_datalen] = '\0';	/* the last "\n" */
	ev.ev_data = p->sp_data != NULL ? p->sp_data : "";
	ev.ev_datalen = p->sp_datalen;
	ev.ev_hasdata = p->sp_hasdata;
	ev.ev_ncomments = p->sp_ncomments;
	p->sp_events++;
	p->sp_start = end;

	r = p->sp_on_event != NULL ? p->sp_on_event(&ev, p->sp_arg) :
	    SSE_PASS;
	sse_event_reset(p);
	switch (r) {
	case SSE_PASS:
		return (sse_pass(p, start, end - start));
	case SSE_DROP:
		return (sse_flush(p));
	default:
		(void)sse_flush(p);
		p->sp_stopped = 1;
		return (-1);
	}
}

/* Bytes [off, off + len) go on, after the run already waiting. */
static int
sse_pass(struct sse_parser *p, size_t off, size_t len)
{
	if (len == 0)
		return (0);
	if (p->sp_passlen > 0 && p->sp_passoff + p->sp_passlen != off &&
	    sse_flush(p) == -1)
		return (-1);
	if (p->sp_passlen == 0)
		p->sp_passoff = off;
	p->sp_passlen += len;
	return (0);
}

static int
sse_flush(struct sse_parser *p)
{
	size_t	 off = p->sp_passoff, len = p->sp_passlen;

	if (len == 0)
		return (0);
	p->sp_passlen = 0;
	if (p->sp_on_pass != NULL &&
	    p->sp_on_pass(p->sp_buf + off, len, p->sp_arg) != 0)
		return (-1);
	return (0);
}

/* Keep only the event being read. */
static void
sse_compact(struct sse_parser *p)
{
	size_t	 s = p->sp_start;

	if (s == 0)
		return;
	memmove(p->sp_buf, p->sp_buf + s, p->sp_len - s);
	p->sp_len -= s;
	p->sp_pos -= s;
	p->sp_line -= s;
	p->sp_start = 0;
}

/*
 * The events of the APIs.
 */

/* The members of an event looked at, fetched in one pass. */
enum {
	K_TYPE, K_ERROR, K_CHOICES, K_USAGE, K_DELTA, K_MESSAGE, K_RESPONSE,
	K_ID, K_OBJECT, K_CREATED, K_MODEL, K_N
};
static const char * const event_keys[K_N + 1] = {
	"type", "error", "choices", "usage", "delta", "message", "response",
	"id", "object", "created", "model", NULL
};

static int	 scan_openai(struct upstream_scan *, const struct jspan *,
		    const struct jspan *);
static int	 scan_anthropic(struct upstream_scan *, const struct jspan *,
		    const char *);
static int	 scan_responses(struct upstream_scan *, const struct jspan *,
		    const struct jspan *, const char *);
static void	 scan_final(struct upstream_scan *, const struct jspan *);
static void	 scan_usage_add(struct upstream_scan *, const struct jspan *);
static size_t	 scan_usage_spans(const struct upstream_scan *,
		    struct jspan *);
static void	 scan_keep(struct upstream_scan *, const struct jspan *);
static json_t	*kept(const struct upstream_scan *, int);
static void	 scan_chars(struct upstream_scan *, const struct jspan *,
		    const char *);
static void	 scan_turn(struct upstream_scan *, const struct jspan *);
static int	 is_type(const char *, const char *);

void
upstream_scan_init(struct upstream_scan *sc, int api, int hold)
{
	memset(sc, 0, sizeof(*sc));
	sc->sc_api = api;
	sc->sc_hold = hold;
}

void
upstream_scan_free(struct upstream_scan *sc)
{
	size_t	 i;

	for (i = 0; i < sc->sc_nusage; i++)
		free(sc->sc_usage[i].t_p);
	sc->sc_nusage = 0;
	free(sc->sc_final);
	sc->sc_final = NULL;
}

/* The event the caller sends itself, at the end: its text kept. */
static void
scan_final(struct upstream_scan *sc, const struct jspan *o)
{
	size_t	 i;

	free(sc->sc_final);
	if ((sc->sc_final = malloc(o->js_len + 1)) == NULL)
		fatal(NULL);
	/*
	 * On one line: it goes out as one "data:" field.  A line break in
	 * checked JSON is white space (strings cannot hold one raw).
	 */
	for (i = 0; i < o->js_len; i++)
		sc->sc_final[i] = o->js_p[i] == '\n' || o->js_p[i] == '\r' ?
		    ' ' : o->js_p[i];
	sc->sc_final[o->js_len] = '\0';
}

/* The usage objects' spans, read from the kept copies. */
static size_t
scan_usage_spans(const struct upstream_scan *sc, struct jspan *v)
{
	size_t	 i;

	for (i = 0; i < sc->sc_nusage; i++) {
		v[i].js_p = sc->sc_usage[i].t_p;
		v[i].js_len = sc->sc_usage[i].t_len;
	}
	return (i);
}

/*
 * Usage objects are kept, to be read merged at the end (Anthropic's come
 * in two halves): their text copied, checked already.  Past the few
 * kept, those are merged into one first: a stream of many stays small.
 */
static void
scan_usage_add(struct upstream_scan *sc, const struct jspan *u)
{
	struct jspan		 v[UPSTREAM_USAGE_MAX];
	struct upstream_text	*t;
	size_t			 i, n, len;
	char			*m;

	if (jscan_type(u) != JS_OBJECT)
		return;
	if (sc->sc_nusage == UPSTREAM_USAGE_MAX) {
		n = scan_usage_spans(sc, v);
		if ((m = usage_merge(v, n, &len)) == NULL)
			fatal(NULL);
		for (i = 0; i < n; i++)
			free(sc->sc_usage[i].t_p);
		sc->sc_usage[0].t_p = m;
		sc->sc_usage[0].t_len = len;
		sc->sc_nusage = 1;
	}
	t = &sc->sc_usage[sc->sc_nusage];
	if ((t->t_p = malloc(u->js_len + 1)) == NULL)
		fatal(NULL);
	memcpy(t->t_p, u->js_p, u->js_len);
	t->t_p[u->js_len] = '\0';
	t->t_len = u->js_len;
	sc->sc_nusage++;
}

/* A string member's length, as completion text. */
static void
scan_chars(struct upstream_scan *sc, const struct jspan *o, const char *key)
{
	struct jspan	 v;

	if (jscan_get(o, key, &v) == 0 && jscan_type(&v) == JS_STRING)
		sc->sc_chars += jscan_strlen(&v);
}

/*
 * An OpenAI message, whole or a streamed delta of one: its content (a
 * string or parts), reasoning, refusal and the tool calls' arguments.
 */
static void
scan_turn(struct upstream_scan *sc, const struct jspan *m)
{
	struct jspan	 v, call, fn;

	(void)jscan_get(m, "content", &v);
	sc->sc_chars += usage_text_chars_span(&v);
	scan_chars(sc, m, "reasoning_content");
	scan_chars(sc, m, "reasoning");
	scan_chars(sc, m, "refusal");
	(void)jscan_get(m, "tool_calls", &v);
	call.js_p = NULL;
	while (jscan_next(&v, &call)) {
		(void)jscan_get(&call, "function", &fn);
		scan_chars(sc, &fn, "arguments");
	}
}

static int
is_type(const char *type, const char *want)
{
	return (type != NULL && strcmp(type, want) == 0);
}

int
upstream_scan_event(struct upstream_scan *sc, const struct sse_event *ev)
{
	struct jspan	 o, m[K_N];
	const char	*type = ev->ev_type, *d = ev->ev_data;
	char		 tbuf[128];
	size_t		 len = ev->ev_datalen;
	int		 r;

	if (sc->sc_terminal && sc->sc_hold)
		return (SSE_DROP);	/* nothing after the end */
	if (!ev->ev_hasdata)
		return (SSE_PASS);	/* comments, keepalives */
	while (len > 0 && (*d == ' ' || *d == '\t'))
		d++, len--;
	while (len > 0 && (d[len - 1] == ' ' || d[len - 1] == '\t'))
		len--;
	if (len == 0)
		return (SSE_PASS);
	if (len == 6 && memcmp(d, "[DONE]", 6) == 0) {
		sc->sc_terminal = 1;
		return (sc->sc_hold ? SSE_DROP : SSE_PASS);
	}
	if (jscan_parse(d, len, &o) == -1 || jscan_type(&o) != JS_OBJECT) {
		log_debug("sse: an event whose data is not a JSON object");
		sc->sc_garbage = 1;
		return (SSE_STOP);
	}
	sc->sc_events++;
	(void)jscan_getv(&o, event_keys, m);
	if (jscan_type(&m[K_TYPE]) == JS_STRING) {
		/* a longer type is none of those looked for */
		if (jscan_strlcpy(&m[K_TYPE], tbuf, sizeof(tbuf)) >=
		    sizeof(tbuf))
			tbuf[0] = '\0';
		type = tbuf;
	}
	if (jscan_type(&m[K_ERROR]) == JS_OBJECT || is_type(type, "error"))
		sc->sc_error = 1;

	switch (sc->sc_api) {
	case UPSTREAM_API_MESSAGES:
		r = scan_anthropic(sc, m, type);
		break;
	case UPSTREAM_API_RESPONSES:
		r = scan_responses(sc, &o, m, type);
		break;
	default:
		r = scan_openai(sc, &o, m);
		break;
	}
	return (r);
}

/* What a made-up final chunk needs: the latest id, object, ... */
static void
scan_keep(struct upstream_scan *sc, const struct jspan *m)
{
	struct upstream_keep	*k;
	int64_t			 n;
	int			 i;

	for (i = 0; i < UPSTREAM_KEEP_N; i++) {
		k = &sc->sc_keep[i];
		if (jscan_type(&m[i]) != JS_STRING &&
		    jscan_int(&m[i], &n) == -1)
			continue;
		if (m[i].js_len >= sizeof(k->k_json))
			continue;	/* not worth keeping */
		memcpy(k->k_json, m[i].js_p, m[i].js_len);
		k->k_len = m[i].js_len;
	}
}

static int
scan_openai(struct upstream_scan *sc, const struct jspan *o,
    const struct jspan *m)
{
	struct jspan	 c, delta;

	scan_keep(sc, &m[K_ID]);
	c.js_p = NULL;
	while (jscan_next(&m[K_CHOICES], &c)) {
		scan_chars(sc, &c, "text");
		(void)jscan_get(&c, "delta", &delta);
		scan_turn(sc, &delta);
	}

	if (jscan_type(&m[K_USAGE]) != JS_OBJECT)
		return (SSE_PASS);
	scan_usage_add(sc, &m[K_USAGE]);
	c.js_p = NULL;
	if (sc->sc_hold && (jscan_type(&m[K_CHOICES]) == JS_NONE ||
	    (jscan_type(&m[K_CHOICES]) == JS_ARRAY &&
	    !jscan_next(&m[K_CHOICES], &c)))) {
		/* the usage-only chunk: the caller sends its own */
		scan_final(sc, o);
		return (SSE_DROP);
	}
	return (SSE_PASS);
}

static int
scan_anthropic(struct upstream_scan *sc, const struct jspan *m,
    const char *type)
{
	struct jspan	 u;

	if (is_type(type, "message_start")) {
		(void)jscan_get(&m[K_MESSAGE], "usage", &u);
		scan_usage_add(sc, &u);
	} else if (is_type(type, "message_delta"))
		scan_usage_add(sc, &m[K_USAGE]);
	else if (is_type(type, "content_block_delta")) {
		scan_chars(sc, &m[K_DELTA], "text");
		scan_chars(sc, &m[K_DELTA], "thinking");
		scan_chars(sc, &m[K_DELTA], "partial_json");
	} else if (is_type(type, "message_stop")) {
		sc->sc_terminal = 1;
		return (sc->sc_hold ? SSE_DROP : SSE_PASS);
	}
	return (SSE_PASS);
}

static int
scan_responses(struct upstream_scan *sc, const struct jspan *o,
    const struct jspan *m, const char *type)
{
	struct jspan	 u;
	size_t		 len = type != NULL ? strlen(type) : 0;

	/* output_text, refusal, reasoning, function_call_arguments */
	if (len > 15 && strncmp(type, "response.", 9) == 0 &&
	    strcmp(type + len - 6, ".delta") == 0 &&
	    jscan_type(&m[K_DELTA]) == JS_STRING)
		sc->sc_chars += jscan_strlen(&m[K_DELTA]);
	if (is_type(type, "response.completed") ||
	    is_type(type, "response.incomplete") ||
	    is_type(type, "response.failed")) {
		(void)jscan_get(&m[K_RESPONSE], "usage", &u);
		scan_usage_add(sc, &u);
		sc->sc_terminal = 1;
		if (is_type(type, "response.failed"))
			sc->sc_error = 1;
		if (sc->sc_hold) {
			/* the caller sends it, with the cost */
			scan_final(sc, o);
			return (SSE_DROP);
		}
	}
	return (SSE_PASS);
}

/* A collected JSON answer: its usage and the text it holds. */
void
upstream_scan_body(struct upstream_scan *sc, const struct jspan *body)
{
	static const char * const keys[] = { "usage", "content", "output",
	    "choices", NULL };
	struct jspan	 b[4], e, m, v;
	json_t		*j;
	char		*s;

	if (jscan_type(body) != JS_OBJECT)
		return;
	(void)jscan_getv(body, keys, b);
	scan_usage_add(sc, &b[0]);
	sc->sc_terminal = 1;
	e.js_p = NULL;
	switch (sc->sc_api) {
	case UPSTREAM_API_MESSAGES:
		while (jscan_next(&b[1], &e)) {
			scan_chars(sc, &e, "text");
			scan_chars(sc, &e, "thinking");
			/* a tool call: its arguments, as written */
			if (jscan_get(&e, "input", &v) == 0 &&
			    jscan_type(&v) == JS_OBJECT &&
			    (j = jscan_json(&v)) != NULL) {
				if ((s = json_dumps(j, JSON_COMPACT)) != NULL)
					sc->sc_chars += strlen(s);
				free(s);
				json_decref(j);
			}
		}
		break;
	case UPSTREAM_API_RESPONSES:
		while (jscan_next(&b[2], &e)) {
			(void)jscan_get(&e, "content", &v);
			sc->sc_chars += usage_text_chars_span(&v);
			(void)jscan_get(&e, "summary", &v);
			sc->sc_chars += usage_text_chars_span(&v);
			scan_chars(sc, &e, "arguments");
		}
		break;
	case UPSTREAM_API_EMBEDDINGS:
		break;
	default:
		while (jscan_next(&b[3], &e)) {
			scan_chars(sc, &e, "text");
			(void)jscan_get(&e, "message", &m);
			scan_turn(sc, &m);
		}
		break;
	}
}

void
upstream_scan_usage(struct upstream_scan *sc, uint64_t prompt_chars,
    int complete, struct usage *out)
{
	struct jspan	 v[UPSTREAM_USAGE_MAX];
	struct usage	 est;
	size_t		 n;

	usage_estimate(&est, prompt_chars, sc->sc_chars);
	n = scan_usage_spans(sc, v);
	if (usage_from_spans(v, n, out) == -1) {
		*out = est;
		return;
	}
	/* cut short: what came may be more than what was reported */
	if (!complete && est.us_completion > out->us_completion) {
		out->us_completion = est.us_completion;
		out->us_estimated = 1;
	}
}

/* A kept member of the events (a new reference), or NULL. */
static json_t *
kept(const struct upstream_scan *sc, int i)
{
	const struct upstream_keep	*k = &sc->sc_keep[i];
	json_error_t			 err;

	if (k->k_len == 0)
		return (NULL);
	return (json_loadb(k->k_json, k->k_len, JSON_DECODE_ANY, &err));
}

char *
upstream_scan_final(struct upstream_scan *sc, const struct usage *u)
{
	json_t		*f, *v, *uj;
	const char	*object;
	char		*s;

	if (sc->sc_api == UPSTREAM_API_RESPONSES && sc->sc_final != NULL)
		return (strdup(sc->sc_final));
	if (sc->sc_api != UPSTREAM_API_CHAT &&
	    sc->sc_api != UPSTREAM_API_COMPLETIONS)
		return (NULL);
	if (sc->sc_final != NULL && !u->us_estimated)
		return (strdup(sc->sc_final));

	object = sc->sc_api == UPSTREAM_API_CHAT ? "chat.completion.chunk" :
	    "text_completion";
	if ((f = json_object()) == NULL)
		return (NULL);
	v = kept(sc, 0);
	(void)json_object_set_new(f, "id", v != NULL ? v :
	    json_string("chatcmpl-routstr"));
	v = kept(sc, 1);
	(void)json_object_set_new(f, "object", v != NULL ? v :
	    json_string(object));
	v = kept(sc, 2);
	(void)json_object_set_new(f, "created", v != NULL ? v :
	    json_integer(time(NULL)));
	v = kept(sc, 3);
	(void)json_object_set_new(f, "model", v != NULL ? v :
	    json_string(""));
	(void)json_object_set_new(f, "choices", json_array());
	if ((uj = usage_to_json(u, sc->sc_api)) == NULL ||
	    json_object_set_new(f, "usage", uj) == -1) {
		json_decref(f);
		return (NULL);
	}
	s = json_dumps(f, JSON_COMPACT);
	json_decref(f);
	return (s);
}
