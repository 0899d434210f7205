/*
 * The built-in echo upstream: no network, answers every API the proxy
 * sells deterministically, in the upstream's own shapes, so that the
 * rest of the proxy cannot tell it from a real one (upstream.c drives
 * its answer through the same callbacks and the same SSE reading).
 *
 * - The answer is "echo: " and the text of the last user message
 *   (chat, messages), of the prompt (completions, its last one), or of
 *   the input (responses, its last user item), cut to max_tokens
 *   tokens (finish_reason "length", stop_reason "max_tokens").
 * - Tokens are words: runs of bytes other than space, tab, CR and LF
 *   (echo_tokens()), at least 1 for a text that is not empty.  The
 *   prompt's count is the sum over every text the request holds
 *   (messages, system, prompt, input, instructions); the completion's
 *   is the answer's.  Usage is reported exactly, in the API's shape.
 * - Streamed (the body says "stream": true): one event per token,
 *   after a first one (role, message_start, response.created) and
 *   before the last ones (finish_reason, message_delta, completed), the
 *   usage-only chunk when stream_options.include_usage asks for it, and
 *   "data: [DONE]" (OpenAI), message_stop (Anthropic).  upstream.c waits
 *   upstream_echo_delay() ms between events (0 by default).
 * - Embeddings: a unit vector of "dimensions" (default
 *   UPSTREAM_ECHO_DIMS) numbers made from FNV-1a hashes of the input,
 *   as JSON numbers or, with "encoding_format": "base64" (which the
 *   OpenAI SDKs ask for), as little-endian float32 in base64.
 * - A body that is not a JSON object: 400; another path: 404; both with
 *   OpenAI's error body.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "base64.h"
#include "log.h"
#include "proxy.h"
#include "upstream.h"

#define ECHO_PREFIX	"echo: "
#define ECHO_ID_MAX	64
#define ECHO_DEPTH_MAX	32

struct echo {
	int		 e_api;
	json_t		*e_body;
	const char	*e_model;
	char		*e_text;	/* the answer */
	size_t		 e_textlen;
	int		 e_cut;		/* cut to max_tokens */
	uint64_t	 e_prompt;	/* tokens */
	uint64_t	 e_completion;
	char		 e_id[ECHO_ID_MAX];
	char		 e_msgid[ECHO_ID_MAX];
	time_t		 e_created;
	int		 e_seq;		/* responses: sequence_number */
};

static u_int	 echo_delay_ms;
static uint64_t	 echo_serial;

static int	 is_space(char);
static uint64_t	 words(const json_t *, int);
static char	*last_text(const json_t *, const char *, size_t *);
static double	 root(double);
static char	*parts_text(const json_t *, size_t *);
static int	 echo_prepare(struct echo *, int, const char *, size_t);
static void	 echo_reply_text(struct echo *, const char *, size_t,
		    uint64_t);
static json_t	*echo_usage(const struct echo *);
static char	*echo_body(struct echo *);
static json_t	*echo_embeddings(struct echo *);
static int	 echo_events(struct echo *, struct echo_answer *);
static int	 ev_push(struct echo_answer *, char *);
static int	 ev_add(struct echo_answer *, const char *, json_t *);
static int	 error_answer(struct echo_answer *, long, const char *);

void
upstream_echo_set_delay(u_int ms)
{
	echo_delay_ms = ms;
}

u_int
upstream_echo_delay(void)
{
	return (echo_delay_ms);
}

static int
is_space(char c)
{
	return (c == ' ' || c == '\t' || c == '\r' || c == '\n');
}

uint64_t
echo_tokens(const char *s, size_t len)
{
	uint64_t	 n = 0;
	size_t		 i;
	int		 in = 0;

	for (i = 0; i < len; i++) {
		if (is_space(s[i]))
			in = 0;
		else if (!in) {
			in = 1;
			n++;
		}
	}
	return (n == 0 && len > 0 ? 1 : n);
}

/* Tokens of every text a value holds (as usage_text_chars_span() reads). */
static uint64_t
words(const json_t *v, int depth)
{
	const json_t	*e;
	uint64_t	 n = 0;
	size_t		 i;

	if (v == NULL || depth > ECHO_DEPTH_MAX)
		return (0);
	if (json_is_string(v))
		return (echo_tokens(json_string_value(v),
		    json_string_length(v)));
	if (json_is_integer(v))
		return (1);
	if (json_is_array(v)) {
		json_array_foreach(v, i, e)
			n += words(e, depth + 1);
		return (n);
	}
	if (json_is_object(v)) {
		if ((e = json_object_get(v, "text")) != NULL &&
		    json_is_string(e))
			n += words(e, depth + 1);
		n += words(json_object_get(v, "content"), depth + 1);
	}
	return (n);
}

/* The text parts of a content value, joined; malloc'd. */
static char *
parts_text(const json_t *content, size_t *lenp)
{
	const json_t	*e, *t;
	char		*s = NULL, *ns;
	size_t		 len = 0, n, i;

	if (json_is_string(content)) {
		*lenp = json_string_length(content);
		return (strndup(json_string_value(content), *lenp));
	}
	json_array_foreach(content, i, e) {
		t = json_is_string(e) ? e : json_object_get(e, "text");
		if (t == NULL || !json_is_string(t))
			continue;
		n = json_string_length(t);
		if ((ns = realloc(s, len + n + 1)) == NULL) {
			free(s);
			return (NULL);
		}
		s = ns;
		memcpy(s + len, json_string_value(t), n);
		len += n;
		s[len] = '\0';
	}
	if (s == NULL)
		s = strdup("");
	*lenp = len;
	return (s);
}

/*
 * The last user message of an array of messages or items, or the last
 * string; its text, malloc'd.
 */
static char *
last_text(const json_t *v, const char *role, size_t *lenp)
{
	const json_t	*e, *r;
	size_t		 i;

	if (json_is_string(v))
		return (parts_text(v, lenp));
	if (!json_is_array(v))
		return (NULL);
	for (i = json_array_size(v); i > 0; i--) {
		e = json_array_get(v, i - 1);
		if (json_is_string(e))
			return (parts_text(e, lenp));
		r = json_object_get(e, "role");
		if (json_is_object(e) && (role == NULL || (json_is_string(r) &&
		    strcmp(json_string_value(r), role) == 0)))
			return (parts_text(json_object_get(e, "content"),
			    lenp));
	}
	return (NULL);
}

static void
echo_reply_text(struct echo *e, const char *text, size_t len, uint64_t max)
{
	size_t	 plen = strlen(ECHO_PREFIX), i, end;
	uint64_t n = 0;
	int	 in = 0;

	if ((e->e_text = malloc(plen + len + 1)) == NULL)
		return;
	memcpy(e->e_text, ECHO_PREFIX, plen);
	memcpy(e->e_text + plen, text, len);
	end = plen + len;
	/* no trailing blanks: an answer ends with its last word */
	while (end > 0 && is_space(e->e_text[end - 1]))
		end--;
	if (max > 0) {
		for (i = 0; i < end; i++) {
			if (is_space(e->e_text[i])) {
				in = 0;
				continue;
			}
			if (!in && ++n > max) {
				/* cut before this word and its blanks */
				while (i > 0 && is_space(e->e_text[i - 1]))
					i--;
				end = i;
				e->e_cut = 1;
				break;
			}
			in = 1;
		}
	}
	e->e_text[end] = '\0';
	e->e_textlen = end;
	e->e_completion = echo_tokens(e->e_text, end);
}

static int
echo_prepare(struct echo *e, int api, const char *body, size_t len)
{
	static const char * const texts[] = { "messages", "system", "prompt",
	    "input", "instructions", NULL };
	const char * const	*k;
	struct request_shape	 rs;
	struct jspan		 root;
	json_error_t		 err;
	char			*text = NULL;
	json_t			*m;
	size_t			 tlen = 0;

	memset(e, 0, sizeof(*e));
	e->e_api = api;
	if ((e->e_body = json_loadb(body, len, 0, &err)) == NULL ||
	    !json_is_object(e->e_body))
		return (-1);
	m = json_object_get(e->e_body, "model");
	e->e_model = json_is_string(m) ? json_string_value(m) : "echo";
	for (k = texts; *k != NULL; k++)
		e->e_prompt += words(json_object_get(e->e_body, *k), 0);
	if (jscan_parse(body, len, &root) == 0)
		(void)request_shape_parse(&root, &rs);
	else
		memset(&rs, 0, sizeof(rs));
	e->e_created = time(NULL);
	echo_serial++;

	switch (api) {
	case UPSTREAM_API_CHAT:
	case UPSTREAM_API_MESSAGES:
		text = last_text(json_object_get(e->e_body, "messages"),
		    "user", &tlen);
		break;
	case UPSTREAM_API_COMPLETIONS:
		text = last_text(json_object_get(e->e_body, "prompt"), NULL,
		    &tlen);
		break;
	case UPSTREAM_API_RESPONSES:
		text = last_text(json_object_get(e->e_body, "input"), "user",
		    &tlen);
		break;
	default:
		break;
	}
	echo_reply_text(e, text != NULL ? text : "", tlen, rs.rs_max_tokens);
	free(text);
	if (e->e_text == NULL)
		return (-1);

	switch (api) {
	case UPSTREAM_API_CHAT:
		(void)snprintf(e->e_id, sizeof(e->e_id), "chatcmpl-echo%llu",
		    (unsigned long long)echo_serial);
		break;
	case UPSTREAM_API_COMPLETIONS:
		(void)snprintf(e->e_id, sizeof(e->e_id), "cmpl-echo%llu",
		    (unsigned long long)echo_serial);
		break;
	case UPSTREAM_API_RESPONSES:
		(void)snprintf(e->e_id, sizeof(e->e_id), "resp_echo%llu",
		    (unsigned long long)echo_serial);
		(void)snprintf(e->e_msgid, sizeof(e->e_msgid),
		    "msg_echo%llu", (unsigned long long)echo_serial);
		break;
	case UPSTREAM_API_MESSAGES:
		(void)snprintf(e->e_id, sizeof(e->e_id), "msg_echo%llu",
		    (unsigned long long)echo_serial);
		break;
	default:
		break;
	}
	return (0);
}

static void
echo_free(struct echo *e)
{
	json_decref(e->e_body);
	free(e->e_text);
}

static json_t *
echo_usage(const struct echo *e)
{
	switch (e->e_api) {
	case UPSTREAM_API_MESSAGES:
		return (json_pack("{s:I,s:I}", "input_tokens",
		    (json_int_t)e->e_prompt, "output_tokens",
		    (json_int_t)e->e_completion));
	case UPSTREAM_API_RESPONSES:
		return (json_pack("{s:I,s:{s:i},s:I,s:{s:i},s:I}",
		    "input_tokens", (json_int_t)e->e_prompt,
		    "input_tokens_details", "cached_tokens", 0,
		    "output_tokens", (json_int_t)e->e_completion,
		    "output_tokens_details", "reasoning_tokens", 0,
		    "total_tokens", (json_int_t)(e->e_prompt +
		    e->e_completion)));
	case UPSTREAM_API_EMBEDDINGS:
		return (json_pack("{s:I,s:I}", "prompt_tokens",
		    (json_int_t)e->e_prompt, "total_tokens",
		    (json_int_t)e->e_prompt));
	default:
		return (json_pack("{s:I,s:I,s:I}", "prompt_tokens",
		    (json_int_t)e->e_prompt, "completion_tokens",
		    (json_int_t)e->e_completion, "total_tokens",
		    (json_int_t)(e->e_prompt + e->e_completion)));
	}
}

static json_t *
responses_message(const struct echo *e, const char *status, int full)
{
	return (json_pack("{s:s,s:s,s:s,s:s,s:o}", "id", e->e_msgid,
	    "type", "message", "status", status, "role", "assistant",
	    "content", full ? json_pack("[{s:s,s:s%,s:[]}]", "type",
	    "output_text", "text", e->e_text, e->e_textlen, "annotations") :
	    json_array()));
}

static json_t *
responses_response(const struct echo *e, int done)
{
	return (json_pack("{s:s,s:s,s:I,s:s,s:s,s:o,s:o}", "id", e->e_id,
	    "object", "response", "created_at", (json_int_t)e->e_created,
	    "status", done ? (e->e_cut ? "incomplete" : "completed") :
	    "in_progress", "model", e->e_model, "output", done ?
	    json_pack("[o]", responses_message(e, "completed", 1)) :
	    json_array(), "usage", done ? echo_usage(e) : json_null()));
}

/* The whole answer of a request not streamed; malloc'd. */
static char *
echo_body(struct echo *e)
{
	const char	*finish = e->e_cut ? "length" : "stop";
	json_t		*o = NULL;
	char		*s;

	switch (e->e_api) {
	case UPSTREAM_API_CHAT:
		o = json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:{s:s,s:s%},"
		    "s:n,s:s}],s:o}", "id", e->e_id, "object",
		    "chat.completion", "created", (json_int_t)e->e_created,
		    "model", e->e_model, "choices", "index", 0, "message",
		    "role", "assistant", "content", e->e_text, e->e_textlen,
		    "logprobs", "finish_reason", finish, "usage",
		    echo_usage(e));
		break;
	case UPSTREAM_API_COMPLETIONS:
		o = json_pack("{s:s,s:s,s:I,s:s,s:[{s:s%,s:i,s:n,s:s}],s:o}",
		    "id", e->e_id, "object", "text_completion", "created",
		    (json_int_t)e->e_created, "model", e->e_model, "choices",
		    "text", e->e_text, e->e_textlen, "index", 0, "logprobs",
		    "finish_reason", finish, "usage", echo_usage(e));
		break;
	case UPSTREAM_API_RESPONSES:
		o = responses_response(e, 1);
		break;
	case UPSTREAM_API_MESSAGES:
		o = json_pack("{s:s,s:s,s:s,s:s,s:[{s:s,s:s%}],s:s,s:n,s:o}",
		    "id", e->e_id, "type", "message", "role", "assistant",
		    "model", e->e_model, "content", "type", "text", "text",
		    e->e_text, e->e_textlen, "stop_reason", e->e_cut ?
		    "max_tokens" : "end_turn", "stop_sequence", "usage",
		    echo_usage(e));
		break;
	case UPSTREAM_API_EMBEDDINGS:
		o = echo_embeddings(e);
		break;
	}
	if (o == NULL)
		return (NULL);
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return (s);
}

static uint64_t
fnv1a(uint64_t h, const void *p, size_t len)
{
	const unsigned char	*s = p;
	size_t			 i;

	for (i = 0; i < len; i++) {
		h ^= s[i];
		h *= 1099511628211ULL;
	}
	return (h);
}

/* A square root by Newton's method: no libm for one call. */
static double
root(double x)
{
	double	 r = x > 1 ? x : 1;
	int	 i;

	if (x <= 0)
		return (0);
	for (i = 0; i < 64; i++)
		r = (r + x / r) / 2;
	return (r);
}

/* One input's vector: dims hashes of (text, i), made a unit vector. */
static json_t *
embedding(const char *text, size_t len, size_t dims, int b64)
{
	float		*v;
	double		 norm = 0;
	uint64_t	 h;
	uint32_t	 k;
	size_t		 i, blen;
	char		*b;
	json_t		*o = NULL, *a;

	if ((v = calloc(dims, sizeof(*v))) == NULL)
		return (NULL);
	for (i = 0; i < dims; i++) {
		k = (uint32_t)i;
		h = fnv1a(fnv1a(14695981039346656037ULL, text, len), &k,
		    sizeof(k));
		v[i] = (float)((double)(h >> 11) / 9007199254740992.0 * 2 - 1);
		norm += (double)v[i] * v[i];
	}
	norm = root(norm);
	for (i = 0; i < dims; i++)
		v[i] = norm > 0 ? (float)(v[i] / norm) : 0;
	if (b64) {
		/* little-endian float32, as the SDKs decode it */
		blen = base64_encoded_len(dims * sizeof(*v), 0) + 1;
		if ((b = malloc(blen)) != NULL &&
		    base64_encode(b, blen, v, dims * sizeof(*v), 0) == 0)
			o = json_string(b);
		free(b);
	} else if ((a = json_array()) != NULL) {
		for (i = 0; i < dims; i++)
			if (json_array_append_new(a, json_real(v[i])) == -1)
				break;
		o = a;
	}
	free(v);
	return (o);
}

static json_t *
echo_embeddings(struct echo *e)
{
	json_t		*in, *data, *x, *vec, *d;
	const char	*text;
	size_t		 i, dims = UPSTREAM_ECHO_DIMS;
	int		 b64;

	d = json_object_get(e->e_body, "dimensions");
	if (json_is_integer(d) && json_integer_value(d) > 0 &&
	    json_integer_value(d) <= UPSTREAM_ECHO_DIMS_MAX)
		dims = (size_t)json_integer_value(d);
	x = json_object_get(e->e_body, "encoding_format");
	b64 = json_is_string(x) && strcmp(json_string_value(x), "base64") == 0;
	in = json_object_get(e->e_body, "input");
	if ((data = json_array()) == NULL)
		return (NULL);
	for (i = 0; i < (json_is_array(in) ? json_array_size(in) : 1); i++) {
		x = json_is_array(in) ? json_array_get(in, i) : in;
		text = json_is_string(x) ? json_string_value(x) : "";
		if ((vec = embedding(text, strlen(text), dims, b64)) == NULL ||
		    json_array_append_new(data, json_pack("{s:s,s:I,s:o}",
		    "object", "embedding", "index", (json_int_t)i, "embedding",
		    vec)) == -1) {
			json_decref(data);
			return (NULL);
		}
	}
	return (json_pack("{s:s,s:o,s:s,s:o}", "object", "list", "data", data,
	    "model", e->e_model, "usage", echo_usage(e)));
}

/*
 * An event (ours now) at the end, the list NULL-terminated.  The list
 * doubles: one event a token, growing it by one each time is quadratic
 * for a long answer (every realloc a copy under ASan, say).
 */
static int
ev_push(struct echo_answer *a, char *ev)
{
	char	**ne;
	size_t	 cap;

	if (a->ea_nevents + 2 > a->ea_cap) {
		cap = a->ea_cap > 0 ? a->ea_cap * 2 : 16;
		if ((ne = reallocarray(a->ea_events, cap,
		    sizeof(*ne))) == NULL) {
			free(ev);
			return (-1);
		}
		a->ea_events = ne;
		a->ea_cap = cap;
	}
	a->ea_events[a->ea_nevents++] = ev;
	a->ea_events[a->ea_nevents] = NULL;
	return (0);
}

/* One event: "event: type\n" if type, "data: json\n\n". */
static int
ev_add(struct echo_answer *a, const char *type, json_t *o)
{
	char	*s, *ev;
	int	 r;

	if (o == NULL)
		return (-1);
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (s == NULL)
		return (-1);
	if (type != NULL)
		r = asprintf(&ev, "event: %s\ndata: %s\n\n", type, s);
	else
		r = asprintf(&ev, "data: %s\n\n", s);
	free(s);
	if (r == -1)
		return (-1);
	return (ev_push(a, ev));
}

static int
ev_raw(struct echo_answer *a, const char *text)
{
	char	*ev;

	if ((ev = strdup(text)) == NULL)
		return (-1);
	return (ev_push(a, ev));
}

/* A response event, numbered. */
static json_t *
rev(struct echo *e, json_t *o, const char *type)
{
	if (o != NULL && (json_object_set_new(o, "type",
	    json_string(type)) == -1 || json_object_set_new(o,
	    "sequence_number", json_integer(e->e_seq++)) == -1)) {
		json_decref(o);
		return (NULL);
	}
	return (o);
}

/* The answer's pieces: a word each, with the blanks before it. */
static size_t
next_piece(const struct echo *e, size_t off)
{
	size_t	 i = off;

	while (i < e->e_textlen && is_space(e->e_text[i]))
		i++;
	while (i < e->e_textlen && !is_space(e->e_text[i]))
		i++;
	return (i);
}

static int
echo_events(struct echo *e, struct echo_answer *a)
{
	const char	*finish = e->e_cut ? "length" : "stop";
	json_t		*so;
	size_t		 off, end;
	int		 bad = 0, usage;

	so = json_object_get(e->e_body, "stream_options");
	usage = json_is_true(json_object_get(so, "include_usage"));

	switch (e->e_api) {
	case UPSTREAM_API_CHAT:
		bad |= ev_add(a, NULL, json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,"
		    "s:{s:s,s:s},s:n}]}", "id", e->e_id, "object",
		    "chat.completion.chunk", "created",
		    (json_int_t)e->e_created, "model", e->e_model, "choices",
		    "index", 0, "delta", "role", "assistant", "content", "",
		    "finish_reason"));
		for (off = 0; off < e->e_textlen; off = end) {
			end = next_piece(e, off);
			bad |= ev_add(a, NULL, json_pack("{s:s,s:s,s:I,s:s,"
			    "s:[{s:i,s:{s:s%},s:n}]}", "id", e->e_id, "object",
			    "chat.completion.chunk", "created",
			    (json_int_t)e->e_created, "model", e->e_model,
			    "choices", "index", 0, "delta", "content",
			    e->e_text + off, end - off, "finish_reason"));
		}
		bad |= ev_add(a, NULL, json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,"
		    "s:{},s:s}]}", "id", e->e_id, "object",
		    "chat.completion.chunk", "created",
		    (json_int_t)e->e_created, "model", e->e_model, "choices",
		    "index", 0, "delta", "finish_reason", finish));
		if (usage)
			bad |= ev_add(a, NULL, json_pack("{s:s,s:s,s:I,s:s,"
			    "s:[],s:o}", "id", e->e_id, "object",
			    "chat.completion.chunk", "created",
			    (json_int_t)e->e_created, "model", e->e_model,
			    "choices", "usage", echo_usage(e)));
		bad |= ev_raw(a, "data: [DONE]\n\n");
		break;
	case UPSTREAM_API_COMPLETIONS:
		for (off = 0; off < e->e_textlen; off = end) {
			end = next_piece(e, off);
			bad |= ev_add(a, NULL, json_pack("{s:s,s:s,s:I,s:s,"
			    "s:[{s:s%,s:i,s:n,s:n}]}", "id", e->e_id, "object",
			    "text_completion", "created",
			    (json_int_t)e->e_created, "model", e->e_model,
			    "choices", "text", e->e_text + off, end - off,
			    "index", 0, "logprobs", "finish_reason"));
		}
		bad |= ev_add(a, NULL, json_pack("{s:s,s:s,s:I,s:s,"
		    "s:[{s:s,s:i,s:n,s:s}]}", "id", e->e_id, "object",
		    "text_completion", "created", (json_int_t)e->e_created,
		    "model", e->e_model, "choices", "text", "", "index", 0,
		    "logprobs", "finish_reason", finish));
		if (usage)
			bad |= ev_add(a, NULL, json_pack("{s:s,s:s,s:I,s:s,"
			    "s:[],s:o}", "id", e->e_id, "object",
			    "text_completion", "created",
			    (json_int_t)e->e_created, "model", e->e_model,
			    "choices", "usage", echo_usage(e)));
		bad |= ev_raw(a, "data: [DONE]\n\n");
		break;
	case UPSTREAM_API_MESSAGES:
		bad |= ev_add(a, "message_start", json_pack("{s:s,s:{s:s,s:s,"
		    "s:s,s:s,s:[],s:n,s:n,s:{s:I,s:i}}}", "type",
		    "message_start", "message", "id", e->e_id, "type",
		    "message", "role", "assistant", "model", e->e_model,
		    "content", "stop_reason", "stop_sequence", "usage",
		    "input_tokens", (json_int_t)e->e_prompt, "output_tokens",
		    1));
		bad |= ev_add(a, "content_block_start", json_pack("{s:s,s:i,"
		    "s:{s:s,s:s}}", "type", "content_block_start", "index", 0,
		    "content_block", "type", "text", "text", ""));
		bad |= ev_add(a, "ping", json_pack("{s:s}", "type", "ping"));
		for (off = 0; off < e->e_textlen; off = end) {
			end = next_piece(e, off);
			bad |= ev_add(a, "content_block_delta", json_pack(
			    "{s:s,s:i,s:{s:s,s:s%}}", "type",
			    "content_block_delta", "index", 0, "delta", "type",
			    "text_delta", "text", e->e_text + off, end - off));
		}
		bad |= ev_add(a, "content_block_stop", json_pack("{s:s,s:i}",
		    "type", "content_block_stop", "index", 0));
		bad |= ev_add(a, "message_delta", json_pack("{s:s,s:{s:s,s:n},"
		    "s:{s:I}}", "type", "message_delta", "delta",
		    "stop_reason", e->e_cut ? "max_tokens" : "end_turn",
		    "stop_sequence", "usage", "output_tokens",
		    (json_int_t)e->e_completion));
		bad |= ev_add(a, "message_stop", json_pack("{s:s}", "type",
		    "message_stop"));
		break;
	case UPSTREAM_API_RESPONSES:
		bad |= ev_add(a, "response.created", rev(e, json_pack("{s:o}",
		    "response", responses_response(e, 0)),
		    "response.created"));
		bad |= ev_add(a, "response.output_item.added", rev(e,
		    json_pack("{s:i,s:o}", "output_index", 0, "item",
		    responses_message(e, "in_progress", 0)),
		    "response.output_item.added"));
		bad |= ev_add(a, "response.content_part.added", rev(e,
		    json_pack("{s:s,s:i,s:i,s:{s:s,s:s,s:[]}}", "item_id",
		    e->e_msgid, "output_index", 0, "content_index", 0, "part",
		    "type", "output_text", "text", "", "annotations"),
		    "response.content_part.added"));
		for (off = 0; off < e->e_textlen; off = end) {
			end = next_piece(e, off);
			bad |= ev_add(a, "response.output_text.delta", rev(e,
			    json_pack("{s:s,s:i,s:i,s:s%}", "item_id",
			    e->e_msgid, "output_index", 0, "content_index", 0,
			    "delta", e->e_text + off, end - off),
			    "response.output_text.delta"));
		}
		bad |= ev_add(a, "response.output_text.done", rev(e,
		    json_pack("{s:s,s:i,s:i,s:s%}", "item_id", e->e_msgid,
		    "output_index", 0, "content_index", 0, "text", e->e_text,
		    e->e_textlen), "response.output_text.done"));
		bad |= ev_add(a, "response.content_part.done", rev(e,
		    json_pack("{s:s,s:i,s:i,s:{s:s,s:s%,s:[]}}", "item_id",
		    e->e_msgid, "output_index", 0, "content_index", 0, "part",
		    "type", "output_text", "text", e->e_text, e->e_textlen,
		    "annotations"), "response.content_part.done"));
		bad |= ev_add(a, "response.output_item.done", rev(e,
		    json_pack("{s:i,s:o}", "output_index", 0, "item",
		    responses_message(e, "completed", 1)),
		    "response.output_item.done"));
		bad |= ev_add(a, e->e_cut ? "response.incomplete" :
		    "response.completed", rev(e, json_pack("{s:o}",
		    "response", responses_response(e, 1)), e->e_cut ?
		    "response.incomplete" : "response.completed"));
		break;
	default:
		return (-1);
	}
	return (bad ? -1 : 0);
}

static int
error_answer(struct echo_answer *a, long status, const char *msg)
{
	json_t	*o;

	a->ea_status = status;
	a->ea_ctype = "application/json";
	if ((o = json_pack("{s:{s:s,s:s,s:I}}", "error", "message", msg,
	    "type", "invalid_request_error", "code", (json_int_t)status)) ==
	    NULL || (a->ea_body = json_dumps(o, JSON_COMPACT)) == NULL) {
		json_decref(o);
		return (-1);
	}
	json_decref(o);
	a->ea_bodylen = strlen(a->ea_body);
	return (0);
}

int
echo_answer(int api, const char *body, size_t len, struct echo_answer *a)
{
	struct echo	 e;
	int		 stream, r = 0;

	memset(a, 0, sizeof(*a));
	if (api == UPSTREAM_API_OTHER)
		return (error_answer(a, 404, "echo: no such endpoint"));
	if (echo_prepare(&e, api, body, len) == -1) {
		echo_free(&e);
		return (error_answer(a, 400, "echo: the body is not a JSON "
		    "object"));
	}
	stream = json_is_true(json_object_get(e.e_body, "stream")) &&
	    api != UPSTREAM_API_EMBEDDINGS;
	a->ea_status = 200;
	if (stream) {
		a->ea_ctype = "text/event-stream";
		r = echo_events(&e, a);
	} else {
		a->ea_ctype = "application/json";
		if ((a->ea_body = echo_body(&e)) == NULL)
			r = -1;
		else
			a->ea_bodylen = strlen(a->ea_body);
	}
	echo_free(&e);
	if (r == -1) {
		echo_answer_free(a);
		log_warnx("echo: out of memory");
	}
	return (r);
}

void
echo_answer_free(struct echo_answer *a)
{
	size_t	 i;

	for (i = 0; i < a->ea_nevents; i++)
		free(a->ea_events[i]);
	free(a->ea_events);
	free(a->ea_body);
	memset(a, 0, sizeof(*a));
}
