/*
 * Anthropic's Messages API translated for OpenAI-compatible upstreams,
 * as Routstr Core does it through litellm: the request to a chat
 * completion request, the answer and the stream back (xlate.h).
 *
 * Everything is read in place with jscan and written as text.  A JSON
 * string is copied as its text: a checked string's text between its
 * quotes is valid inside any other string, so texts are joined and ids
 * prefixed by putting those texts side by side, and nothing is decoded.
 * Only raw JSON that becomes a string (a tool's input as "arguments")
 * is escaped, and only an upstream's "arguments" are decoded, to be
 * read as JSON again.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "hex.h"
#include "jscan.h"
#include "log.h"
#include "proxy.h"
#include "upstream.h"
#include "xlate.h"

#define XLATE_ID_BYTES	12	/* made-up ids: 24 hex digits */
#define USAGE_ZERO	"{\"input_tokens\":0,\"output_tokens\":0}"

/* A growing text; an allocation failure sticks and is seen at the end. */
struct xbuf {
	char	*b_p;
	size_t	 b_len;
	size_t	 b_cap;
	int	 b_nomem;
};

static void	 xb_add(struct xbuf *, const char *, size_t);
static void	 xb_str(struct xbuf *, const char *);
static void	 xb_span(struct xbuf *, const struct jspan *);
static void	 xb_inner(struct xbuf *, const struct jspan *);
static void	 xb_quote(struct xbuf *, const char *, size_t);
static void	 xb_id(struct xbuf *, const char *, const struct jspan *,
		    const char *);
static void	 xb_usage(struct xbuf *, const struct jspan *);
static void	 xb_sep(struct xbuf *, int *);
static char	*xb_end(struct xbuf *, size_t *);

static const char *bad_type(const char *, const struct jspan *);
static const char *block_read(const struct jspan *, struct jspan *, int *);
static const char *image_check(const struct jspan *);
static void	 put_image_url(struct xbuf *, const struct jspan *);
static size_t	 put_texts(struct xbuf *, const struct jspan *, int);
static size_t	 put_result_images(struct xbuf *, const struct jspan *, int *,
		    int);
static const char *put_system(struct xbuf *, const struct jspan *, int *);
static const char *put_message(struct xbuf *, const struct jspan *, int *);
static const char *put_user(struct xbuf *, const struct jspan *, int *);
static const char *put_assistant(struct xbuf *, const struct jspan *,
		    int *);
static const char *put_tools(struct xbuf *, const struct jspan *, int *);
static const char *put_tool_choice(struct xbuf *, const struct jspan *,
		    int);
static void	 put_arguments(struct xbuf *, const struct jspan *);
static const char *stop_reason(int, int);
static int	 finish_code(const struct jspan *);

static void
xb_add(struct xbuf *b, const char *s, size_t n)
{
	size_t	 cap;
	char	*p;

	if (b->b_nomem)
		return;
	if (n + 1 > b->b_cap - b->b_len || b->b_p == NULL) {
		cap = b->b_cap > 0 ? b->b_cap : 256;
		while (cap - b->b_len < n + 1) {
			if (cap > SIZE_MAX / 2) {
				b->b_nomem = 1;
				return;
			}
			cap *= 2;
		}
		if ((p = realloc(b->b_p, cap)) == NULL) {
			b->b_nomem = 1;
			return;
		}
		b->b_p = p;
		b->b_cap = cap;
	}
	memcpy(b->b_p + b->b_len, s, n);
	b->b_len += n;
	b->b_p[b->b_len] = '\0';
}

static void
xb_str(struct xbuf *b, const char *s)
{
	xb_add(b, s, strlen(s));
}

/* A value's JSON text as it is. */
static void
xb_span(struct xbuf *b, const struct jspan *v)
{
	xb_add(b, v->js_p, v->js_len);
}

/* A string's text without its quotes: to be joined into another. */
static void
xb_inner(struct xbuf *b, const struct jspan *s)
{
	if (jscan_type(s) == JS_STRING)
		xb_add(b, s->js_p + 1, s->js_len - 2);
}

/* Bytes without a NUL (JSON text, a model's name) as a JSON string. */
static void
xb_quote(struct xbuf *b, const char *s, size_t n)
{
	char	*c, *q;

	if ((c = strndup(s, n)) == NULL) {
		b->b_nomem = 1;
		return;
	}
	q = jscan_quote(c);
	free(c);
	xb_str(b, q);
	free(q);
}

/*
 * prefix and the string id as one string; if id is none or empty, made
 * up: made and random hex digits.
 */
static void
xb_id(struct xbuf *b, const char *prefix, const struct jspan *id,
    const char *made)
{
	uint8_t			 r[XLATE_ID_BYTES];
	char			 h[2 * XLATE_ID_BYTES + 1];

	xb_add(b, "\"", 1);
	xb_str(b, prefix);
	if (jscan_type(id) == JS_STRING && id->js_len > 2)
		xb_inner(b, id);
	else {
		xb_str(b, made);
		arc4random_buf(r, sizeof(r));
		hex_encode(h, r, sizeof(r));
		xb_str(b, h);
	}
	xb_add(b, "\"", 1);
}

/*
 * An OpenAI usage object as Anthropic's, through struct usage, so that
 * billing reads the same counts from either; zeros if it is unusable.
 */
static void
xb_usage(struct xbuf *b, const struct jspan *u)
{
	struct usage	 us;
	json_t		*o;
	char		*s;

	if (jscan_type(u) != JS_OBJECT || usage_from_spans(u, 1, &us) == -1) {
		xb_str(b, USAGE_ZERO);
		return;
	}
	if ((o = usage_to_json(&us, UPSTREAM_API_MESSAGES)) == NULL) {
		b->b_nomem = 1;
		return;
	}
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (s == NULL) {
		b->b_nomem = 1;
		return;
	}
	xb_str(b, s);
	free(s);
}

/* A comma before every element but the first. */
static void
xb_sep(struct xbuf *b, int *first)
{
	if (!*first)
		xb_add(b, ",", 1);
	*first = 0;
}

/* The text handed over, or NULL (freed) if memory ran out. */
static char *
xb_end(struct xbuf *b, size_t *lenp)
{
	xb_add(b, "", 0);
	if (b->b_nomem) {
		free(b->b_p);
		b->b_p = NULL;
		return (NULL);
	}
	if (lenp != NULL)
		*lenp = b->b_len;
	return (b->b_p);
}

/*
 * The request.
 */

/* An error naming a type (printable, short): valid until the next one. */
static const char *
bad_type(const char *what, const struct jspan *type)
{
	static char	 msg[128];
	char		 t[40];
	size_t		 i;

	(void)jscan_strlcpy(type, t, sizeof(t));
	for (i = 0; t[i] != '\0'; i++)
		if ((unsigned char)t[i] < 0x20 || (unsigned char)t[i] > 0x7e ||
		    t[i] == '"' || t[i] == '\\')
			t[i] = '?';
	(void)snprintf(msg, sizeof(msg), "%s type not supported: %s", what, t);
	return (msg);
}

enum { K_TYPE, K_TEXT, K_SOURCE, K_ID, K_NAME, K_INPUT, K_TOOL_USE_ID,
    K_CONTENT, K_N };
static const char * const block_keys[K_N + 1] = {
	"type", "text", "source", "id", "name", "input", "tool_use_id",
	"content", NULL
};

/* block kinds */
#define B_TEXT		0
#define B_IMAGE		1
#define B_TOOL_USE	2
#define B_TOOL_RESULT	3
#define B_SKIP		4	/* thinking: not for another model */

/* A content block checked: its kind, and its members in k[]. */
static const char *
block_read(const struct jspan *blk, struct jspan *k, int *kind)
{
	struct jspan	 it, t, tt;
	const char	*err;

	if (jscan_type(blk) != JS_OBJECT)
		return ("messages: a content block is not an object");
	(void)jscan_getv(blk, block_keys, k);
	if (jscan_type(&k[K_TYPE]) != JS_STRING)
		return ("messages: a content block has no type");
	if (jscan_streq(&k[K_TYPE], "text")) {
		if (jscan_type(&k[K_TEXT]) != JS_STRING)
			return ("messages: a text block has no text");
		*kind = B_TEXT;
	} else if (jscan_streq(&k[K_TYPE], "image")) {
		if ((err = image_check(&k[K_SOURCE])) != NULL)
			return (err);
		*kind = B_IMAGE;
	} else if (jscan_streq(&k[K_TYPE], "tool_use")) {
		if (jscan_type(&k[K_ID]) != JS_STRING ||
		    jscan_type(&k[K_NAME]) != JS_STRING)
			return ("messages: a tool_use block needs an id and "
			    "a name");
		if (jscan_type(&k[K_INPUT]) != JS_NONE &&
		    jscan_type(&k[K_INPUT]) != JS_OBJECT)
			return ("messages: a tool_use input is not an object");
		*kind = B_TOOL_USE;
	} else if (jscan_streq(&k[K_TYPE], "tool_result")) {
		if (jscan_type(&k[K_TOOL_USE_ID]) != JS_STRING)
			return ("messages: a tool_result block needs a "
			    "tool_use_id");
		switch (jscan_type(&k[K_CONTENT])) {
		case JS_NONE:
		case JS_NULL:
		case JS_STRING:
			break;
		case JS_ARRAY:
			it.js_p = NULL;
			while (jscan_next(&k[K_CONTENT], &it)) {
				if (jscan_type(&it) != JS_OBJECT ||
				    jscan_get(&it, "type", &t) == -1 ||
				    jscan_type(&t) != JS_STRING)
					return ("messages: a tool_result "
					    "content block has no type");
				if (jscan_streq(&t, "image")) {
					(void)jscan_get(&it, "source", &tt);
					if ((err = image_check(&tt)) != NULL)
						return (err);
					continue;
				}
				if (!jscan_streq(&t, "text"))
					return (bad_type("tool_result content "
					    "block", &t));
				if (jscan_get(&it, "text", &tt) == -1 ||
				    jscan_type(&tt) != JS_STRING)
					return ("messages: a text block has "
					    "no text");
			}
			break;
		default:
			return ("messages: a tool_result content is neither "
			    "a string nor an array");
		}
		*kind = B_TOOL_RESULT;
	} else if (jscan_streq(&k[K_TYPE], "thinking") ||
	    jscan_streq(&k[K_TYPE], "redacted_thinking"))
		*kind = B_SKIP;
	else
		return (bad_type("content block", &k[K_TYPE]));
	return (NULL);
}

enum { S_TYPE, S_MEDIA_TYPE, S_DATA, S_URL, S_N };
static const char * const source_keys[S_N + 1] = {
	"type", "media_type", "data", "url", NULL
};

static const char *
image_check(const struct jspan *src)
{
	struct jspan	 s[S_N];

	if (jscan_type(src) != JS_OBJECT)
		return ("messages: an image block has no source");
	(void)jscan_getv(src, source_keys, s);
	if (jscan_streq(&s[S_TYPE], "base64")) {
		if (jscan_type(&s[S_MEDIA_TYPE]) != JS_STRING ||
		    jscan_type(&s[S_DATA]) != JS_STRING)
			return ("messages: a base64 image needs media_type "
			    "and data");
	} else if (jscan_streq(&s[S_TYPE], "url")) {
		if (jscan_type(&s[S_URL]) != JS_STRING)
			return ("messages: a url image needs a url");
	} else if (jscan_type(&s[S_TYPE]) == JS_STRING)
		return (bad_type("image source", &s[S_TYPE]));
	else
		return ("messages: an image source has no type");
	return (NULL);
}

/* A checked image source as a URL string: a data: URL for base64. */
static void
put_image_url(struct xbuf *b, const struct jspan *src)
{
	struct jspan	 s[S_N];

	(void)jscan_getv(src, source_keys, s);
	if (jscan_streq(&s[S_TYPE], "base64")) {
		xb_str(b, "\"data:");
		xb_inner(b, &s[S_MEDIA_TYPE]);
		xb_str(b, ";base64,");
		xb_inner(b, &s[S_DATA]);
		xb_str(b, "\"");
	} else
		xb_span(b, &s[S_URL]);
}

/*
 * The non-empty texts of the text blocks of an array, joined with
 * "\n\n", as one string written if write; how many.
 */
static size_t
put_texts(struct xbuf *b, const struct jspan *arr, int write)
{
	struct jspan	 it, t;
	size_t		 n = 0;

	it.js_p = NULL;
	while (jscan_next(arr, &it)) {
		if (jscan_get(&it, "type", &t) == -1 ||
		    !jscan_streq(&t, "text") ||
		    jscan_get(&it, "text", &t) == -1 ||
		    jscan_type(&t) != JS_STRING || t.js_len <= 2)
			continue;
		if (write)
			xb_str(b, n == 0 ? "\"" : "\\n\\n");
		if (write)
			xb_inner(b, &t);
		n++;
	}
	if (write && n > 0)
		xb_str(b, "\"");
	return (n);
}

static const char *
put_system(struct xbuf *b, const struct jspan *sys, int *first)
{
	struct jspan	 it, t;

	switch (jscan_type(sys)) {
	case JS_NONE:
	case JS_NULL:
		return (NULL);
	case JS_STRING:
		if (sys->js_len <= 2)
			return (NULL);
		xb_sep(b, first);
		xb_str(b, "{\"role\":\"system\",\"content\":");
		xb_span(b, sys);
		xb_str(b, "}");
		return (NULL);
	case JS_ARRAY:
		it.js_p = NULL;
		while (jscan_next(sys, &it)) {
			if (jscan_type(&it) != JS_OBJECT ||
			    jscan_get(&it, "type", &t) == -1 ||
			    jscan_type(&t) != JS_STRING)
				return ("system: a block has no type");
			if (!jscan_streq(&t, "text"))
				return (bad_type("system block", &t));
			if (jscan_get(&it, "text", &t) == -1 ||
			    jscan_type(&t) != JS_STRING)
				return ("system: a text block has no text");
		}
		if (put_texts(b, sys, 0) == 0)
			return (NULL);
		xb_sep(b, first);
		xb_str(b, "{\"role\":\"system\",\"content\":");
		(void)put_texts(b, sys, 1);
		xb_str(b, "}");
		return (NULL);
	default:
		return ("system: neither a string nor an array");
	}
}

static const char *
put_message(struct xbuf *b, const struct jspan *msg, int *first)
{
	struct jspan	 role, content;
	int		 user;

	if (jscan_type(msg) != JS_OBJECT)
		return ("messages: a message is not an object");
	(void)jscan_get(msg, "role", &role);
	(void)jscan_get(msg, "content", &content);
	if (jscan_streq(&role, "user"))
		user = 1;
	else if (jscan_streq(&role, "assistant"))
		user = 0;
	else
		return ("messages: a role is neither user nor assistant");
	switch (jscan_type(&content)) {
	case JS_STRING:
		xb_sep(b, first);
		xb_str(b, user ? "{\"role\":\"user\",\"content\":" :
		    "{\"role\":\"assistant\",\"content\":");
		xb_span(b, &content);
		xb_str(b, "}");
		return (NULL);
	case JS_ARRAY:
		return (user ? put_user(b, &content, first) :
		    put_assistant(b, &content, first));
	default:
		return ("messages: a content is neither a string nor an "
		    "array");
	}
}

/*
 * The images of a tool result (an array of blocks, checked) as parts,
 * written if write; how many.
 */
static size_t
put_result_images(struct xbuf *b, const struct jspan *arr, int *pfirst,
    int write)
{
	struct jspan	 it, t;
	size_t		 n = 0;

	it.js_p = NULL;
	while (jscan_next(arr, &it)) {
		if (jscan_get(&it, "type", &t) == -1 ||
		    !jscan_streq(&t, "image"))
			continue;
		n++;
		if (!write)
			continue;
		(void)jscan_get(&it, "source", &t);
		xb_sep(b, pfirst);
		xb_str(b, "{\"type\":\"image_url\",\"image_url\":{\"url\":");
		put_image_url(b, &t);
		xb_str(b, "}}");
	}
	return (n);
}

/*
 * Tool results first, each a "tool" message (they must follow the
 * assistant's tool calls), then the rest as one user message: a string
 * if it is only text, else parts.  A tool message holds only text, so
 * the images of tool results (a screenshot, a file read) come first in
 * that user message.
 */
static const char *
put_user(struct xbuf *b, const struct jspan *content, int *first)
{
	struct jspan	 blk, k[K_N];
	const char	*err;
	size_t		 ntext = 0, nimage = 0, nresult = 0;
	int		 kind, pfirst;

	blk.js_p = NULL;
	while (jscan_next(content, &blk)) {
		if ((err = block_read(&blk, k, &kind)) != NULL)
			return (err);
		switch (kind) {
		case B_TEXT:
			ntext++;
			break;
		case B_IMAGE:
			nimage++;
			break;
		case B_TOOL_USE:
			return ("messages: a tool_use block in a user message");
		case B_TOOL_RESULT:
			nresult++;
			xb_sep(b, first);
			xb_str(b, "{\"role\":\"tool\",\"tool_call_id\":");
			xb_span(b, &k[K_TOOL_USE_ID]);
			xb_str(b, ",\"content\":");
			if (jscan_type(&k[K_CONTENT]) == JS_STRING)
				xb_span(b, &k[K_CONTENT]);
			else if (jscan_type(&k[K_CONTENT]) != JS_ARRAY ||
			    put_texts(b, &k[K_CONTENT], 1) == 0)
				xb_str(b, "\"\"");
			xb_str(b, "}");
			nimage += put_result_images(b, &k[K_CONTENT], NULL, 0);
			break;
		}
	}
	if (ntext + nimage == 0 && nresult > 0)
		return (NULL);
	xb_sep(b, first);
	xb_str(b, "{\"role\":\"user\",\"content\":");
	if (nimage == 0) {
		if (put_texts(b, content, 1) == 0)
			xb_str(b, "\"\"");
		xb_str(b, "}");
		return (NULL);
	}
	xb_str(b, "[");
	pfirst = 1;
	blk.js_p = NULL;
	while (jscan_next(content, &blk)) {
		(void)block_read(&blk, k, &kind);
		if (kind == B_TOOL_RESULT)
			(void)put_result_images(b, &k[K_CONTENT], &pfirst, 1);
	}
	blk.js_p = NULL;
	while (jscan_next(content, &blk)) {
		(void)block_read(&blk, k, &kind);
		if (kind == B_TEXT && k[K_TEXT].js_len > 2) {
			xb_sep(b, &pfirst);
			xb_str(b, "{\"type\":\"text\",\"text\":");
			xb_span(b, &k[K_TEXT]);
			xb_str(b, "}");
		} else if (kind == B_IMAGE) {
			xb_sep(b, &pfirst);
			xb_str(b, "{\"type\":\"image_url\",\"image_url\":"
			    "{\"url\":");
			put_image_url(b, &k[K_SOURCE]);
			xb_str(b, "}}");
		}
	}
	xb_str(b, "]}");
	return (NULL);
}

/* Texts joined as the content; tool_use blocks as tool_calls. */
static const char *
put_assistant(struct xbuf *b, const struct jspan *content, int *first)
{
	struct jspan	 blk, k[K_N];
	const char	*err;
	size_t		 ntool = 0;
	int		 kind, tfirst;

	blk.js_p = NULL;
	while (jscan_next(content, &blk)) {
		if ((err = block_read(&blk, k, &kind)) != NULL)
			return (err);
		if (kind == B_IMAGE)
			return ("messages: an image block in an assistant "
			    "message");
		if (kind == B_TOOL_RESULT)
			return ("messages: a tool_result block in an "
			    "assistant message");
		if (kind == B_TOOL_USE)
			ntool++;
	}
	xb_sep(b, first);
	xb_str(b, "{\"role\":\"assistant\",\"content\":");
	if (put_texts(b, content, 1) == 0)
		xb_str(b, ntool > 0 ? "null" : "\"\"");
	if (ntool > 0) {
		xb_str(b, ",\"tool_calls\":[");
		tfirst = 1;
		blk.js_p = NULL;
		while (jscan_next(content, &blk)) {
			(void)block_read(&blk, k, &kind);
			if (kind != B_TOOL_USE)
				continue;
			xb_sep(b, &tfirst);
			xb_str(b, "{\"id\":");
			xb_span(b, &k[K_ID]);
			xb_str(b, ",\"type\":\"function\",\"function\":"
			    "{\"name\":");
			xb_span(b, &k[K_NAME]);
			xb_str(b, ",\"arguments\":");
			if (jscan_type(&k[K_INPUT]) == JS_OBJECT)
				xb_quote(b, k[K_INPUT].js_p, k[K_INPUT].js_len);
			else
				xb_str(b, "\"{}\"");
			xb_str(b, "}}");
		}
		xb_str(b, "]");
	}
	xb_str(b, "}");
	return (NULL);
}

enum { T_TYPE, T_NAME, T_DESCRIPTION, T_INPUT_SCHEMA, T_N };
static const char * const tool_keys[T_N + 1] = {
	"type", "name", "description", "input_schema", NULL
};

/* Custom tools as functions; Anthropic's own (server) tools: none. */
static const char *
put_tools(struct xbuf *b, const struct jspan *tools, int *ntools)
{
	struct jspan	 it, t[T_N];
	int		 first = 1;

	*ntools = 0;
	if (jscan_type(tools) == JS_NONE || jscan_type(tools) == JS_NULL)
		return (NULL);
	if (jscan_type(tools) != JS_ARRAY)
		return ("tools: not an array");
	it.js_p = NULL;
	while (jscan_next(tools, &it)) {
		if (jscan_type(&it) != JS_OBJECT)
			return ("tools: a tool is not an object");
		(void)jscan_getv(&it, tool_keys, t);
		if (jscan_type(&t[T_TYPE]) == JS_STRING &&
		    !jscan_streq(&t[T_TYPE], "custom"))
			return (bad_type("tool", &t[T_TYPE]));
		if (jscan_type(&t[T_TYPE]) != JS_NONE &&
		    jscan_type(&t[T_TYPE]) != JS_NULL &&
		    jscan_type(&t[T_TYPE]) != JS_STRING)
			return ("tools: a tool's type is not a string");
		if (jscan_type(&t[T_NAME]) != JS_STRING)
			return ("tools: a tool has no name");
		if (jscan_type(&t[T_INPUT_SCHEMA]) != JS_OBJECT)
			return ("tools: a tool has no input_schema");
		if (jscan_type(&t[T_DESCRIPTION]) != JS_NONE &&
		    jscan_type(&t[T_DESCRIPTION]) != JS_NULL &&
		    jscan_type(&t[T_DESCRIPTION]) != JS_STRING)
			return ("tools: a tool's description is not a string");
		xb_str(b, first ? ",\"tools\":[" : ",");
		first = 0;
		xb_str(b, "{\"type\":\"function\",\"function\":{\"name\":");
		xb_span(b, &t[T_NAME]);
		if (jscan_type(&t[T_DESCRIPTION]) == JS_STRING) {
			xb_str(b, ",\"description\":");
			xb_span(b, &t[T_DESCRIPTION]);
		}
		xb_str(b, ",\"parameters\":");
		xb_span(b, &t[T_INPUT_SCHEMA]);
		xb_str(b, "}}");
		(*ntools)++;
	}
	if (!first)
		xb_str(b, "]");
	return (NULL);
}

/* Checked always; written only with tools (OpenAI wants none without). */
static const char *
put_tool_choice(struct xbuf *b, const struct jspan *tc, int ntools)
{
	struct jspan	 type, name, dis;
	int		 none = 0;

	if (jscan_type(tc) == JS_NONE || jscan_type(tc) == JS_NULL)
		return (NULL);
	if (jscan_type(tc) != JS_OBJECT ||
	    jscan_get(tc, "type", &type) == -1 ||
	    jscan_type(&type) != JS_STRING)
		return ("tool_choice: not an object with a type");
	(void)jscan_get(tc, "name", &name);
	(void)jscan_get(tc, "disable_parallel_tool_use", &dis);
	if (jscan_streq(&type, "tool")) {
		if (jscan_type(&name) != JS_STRING)
			return ("tool_choice: a tool choice needs a name");
	} else if (jscan_streq(&type, "none"))
		none = 1;
	else if (!jscan_streq(&type, "auto") && !jscan_streq(&type, "any"))
		return (bad_type("tool_choice", &type));
	if (ntools == 0)
		return (NULL);
	xb_str(b, ",\"tool_choice\":");
	if (jscan_streq(&type, "tool")) {
		xb_str(b, "{\"type\":\"function\",\"function\":{\"name\":");
		xb_span(b, &name);
		xb_str(b, "}}");
	} else if (jscan_streq(&type, "any"))
		xb_str(b, "\"required\"");
	else
		xb_str(b, none ? "\"none\"" : "\"auto\"");
	if (!none && jscan_type(&dis) == JS_TRUE)
		xb_str(b, ",\"parallel_tool_calls\":false");
	return (NULL);
}

/*
 * metadata.user_id is not sent as "user": Claude Code's is some 150
 * bytes, which OpenAI (64) and OpenRouter (128) refuse.
 */
enum { R_MODEL, R_MAX_TOKENS, R_TEMPERATURE, R_TOP_P, R_STOP, R_SYSTEM,
    R_MESSAGES, R_TOOLS, R_TOOL_CHOICE, R_STREAM, R_N };
static const char * const request_keys[R_N + 1] = {
	"model", "max_tokens", "temperature", "top_p", "stop_sequences",
	"system", "messages", "tools", "tool_choice", "stream", NULL
};

char *
xlate_request(const struct jspan *body, const char *model, size_t *lenp,
    const char **errp)
{
	struct xbuf	 b;
	struct jspan	 m[R_N], it;
	const char	*err = NULL;
	int64_t		 n;
	int		 first = 1, ntools = 0, i;

	*errp = NULL;
	memset(&b, 0, sizeof(b));
	if (jscan_type(body) != JS_OBJECT) {
		*errp = "the body is not a JSON object";
		return (NULL);
	}
	(void)jscan_getv(body, request_keys, m);

	xb_str(&b, "{\"model\":");
	if (model != NULL)
		xb_quote(&b, model, strlen(model));
	else if (jscan_type(&m[R_MODEL]) == JS_STRING)
		xb_span(&b, &m[R_MODEL]);
	else {
		err = "model: a string is required";
		goto fail;
	}

	xb_str(&b, ",\"messages\":[");
	if ((err = put_system(&b, &m[R_SYSTEM], &first)) != NULL)
		goto fail;
	if (jscan_type(&m[R_MESSAGES]) != JS_ARRAY ||
	    jscan_empty(&m[R_MESSAGES])) {
		err = "messages: a non-empty array is required";
		goto fail;
	}
	it.js_p = NULL;
	while (jscan_next(&m[R_MESSAGES], &it))
		if ((err = put_message(&b, &it, &first)) != NULL)
			goto fail;
	xb_str(&b, "]");

	if (jscan_type(&m[R_MAX_TOKENS]) != JS_NONE) {
		if (jscan_int(&m[R_MAX_TOKENS], &n) == -1 || n < 1) {
			err = "max_tokens: a positive integer is required";
			goto fail;
		}
		xb_str(&b, ",\"max_tokens\":");
		xb_span(&b, &m[R_MAX_TOKENS]);
	}
	for (i = R_TEMPERATURE; i <= R_TOP_P; i++) {
		if (jscan_type(&m[i]) == JS_NONE || jscan_type(&m[i]) == JS_NULL)
			continue;
		if (jscan_type(&m[i]) != JS_NUMBER) {
			err = i == R_TEMPERATURE ?
			    "temperature: not a number" : "top_p: not a number";
			goto fail;
		}
		xb_str(&b, i == R_TEMPERATURE ? ",\"temperature\":" :
		    ",\"top_p\":");
		xb_span(&b, &m[i]);
	}
	if (jscan_type(&m[R_STOP]) != JS_NONE &&
	    jscan_type(&m[R_STOP]) != JS_NULL) {
		if (jscan_type(&m[R_STOP]) != JS_ARRAY) {
			err = "stop_sequences: not an array";
			goto fail;
		}
		it.js_p = NULL;
		while (jscan_next(&m[R_STOP], &it))
			if (jscan_type(&it) != JS_STRING) {
				err = "stop_sequences: not all strings";
				goto fail;
			}
		if (!jscan_empty(&m[R_STOP])) {
			xb_str(&b, ",\"stop\":");
			xb_span(&b, &m[R_STOP]);
		}
	}
	if ((err = put_tools(&b, &m[R_TOOLS], &ntools)) != NULL ||
	    (err = put_tool_choice(&b, &m[R_TOOL_CHOICE], ntools)) != NULL)
		goto fail;
	switch (jscan_type(&m[R_STREAM])) {
	case JS_TRUE:
		xb_str(&b, ",\"stream\":true,\"stream_options\":"
		    "{\"include_usage\":true}");
		break;
	case JS_NONE:
	case JS_NULL:
	case JS_FALSE:
		break;
	default:
		err = "stream: not a boolean";
		goto fail;
	}
	xb_str(&b, "}");
	return (xb_end(&b, lenp));
 fail:
	free(b.b_p);
	*errp = err;
	return (NULL);
}

/*
 * The answer.
 */

/* finish_reason, remembered */
#define FR_NONE		0
#define FR_STOP		1
#define FR_LENGTH	2
#define FR_TOOLS	3
#define FR_FILTER	4
#define FR_OTHER	5

static int
finish_code(const struct jspan *fr)
{
	if (jscan_type(fr) != JS_STRING)
		return (FR_NONE);
	if (jscan_streq(fr, "stop"))
		return (FR_STOP);
	if (jscan_streq(fr, "length"))
		return (FR_LENGTH);
	if (jscan_streq(fr, "tool_calls") || jscan_streq(fr, "function_call"))
		return (FR_TOOLS);
	if (jscan_streq(fr, "content_filter"))
		return (FR_FILTER);
	return (FR_OTHER);
}

/*
 * An answer that called tools ends in tool_use unless it was cut short:
 * some servers say "stop" (or nothing) after tool calls, and a client
 * such as Claude Code runs the tools only on tool_use.
 */
static const char *
stop_reason(int fr, int tools)
{
	switch (fr) {
	case FR_LENGTH:
		return ("max_tokens");
	case FR_TOOLS:
		return ("tool_use");
	case FR_FILTER:
		return ("refusal");
	default:
		return (tools ? "tool_use" : "end_turn");
	}
}

/* An upstream's "arguments" (a string of JSON) as the input object. */
static void
put_arguments(struct xbuf *b, const struct jspan *args)
{
	struct jspan	 o;
	size_t		 len;
	char		*s;

	if (jscan_type(args) == JS_OBJECT) {
		xb_span(b, args);
		return;
	}
	if (jscan_type(args) != JS_STRING) {
		xb_str(b, "{}");
		return;
	}
	len = jscan_strlen(args);
	if ((s = malloc(len + 1)) == NULL) {
		b->b_nomem = 1;
		return;
	}
	(void)jscan_strlcpy(args, s, len + 1);
	if (jscan_parse(s, len, &o) == 0 && jscan_type(&o) == JS_OBJECT)
		xb_span(b, &o);
	else
		xb_str(b, "{}");
	free(s);
}

enum { A_ID, A_MODEL, A_CHOICES, A_USAGE, A_N };
static const char * const answer_keys[A_N + 1] = {
	"id", "model", "choices", "usage", NULL
};

enum { M_CONTENT, M_TOOL_CALLS, M_REFUSAL, M_REASONING_CONTENT,
    M_REASONING, M_N };
static const char * const message_keys[M_N + 1] = {
	"content", "tool_calls", "refusal", "reasoning_content", "reasoning",
	NULL
};

char *
xlate_answer(const struct jspan *root, size_t *lenp)
{
	struct xbuf	 b;
	struct jspan	 a[A_N], choice, msg, fr, m[M_N], it, t, id, fn, name,
			 args;
	int		 first = 1, ntext = 0, ntool = 0;

	if (jscan_type(root) != JS_OBJECT)
		return (NULL);
	(void)jscan_getv(root, answer_keys, a);
	choice.js_p = NULL;
	if (!jscan_next(&a[A_CHOICES], &choice) ||
	    jscan_get(&choice, "message", &msg) == -1 ||
	    jscan_type(&msg) != JS_OBJECT)
		return (NULL);
	(void)jscan_get(&choice, "finish_reason", &fr);
	(void)jscan_getv(&msg, message_keys, m);

	memset(&b, 0, sizeof(b));
	xb_str(&b, "{\"id\":");
	xb_id(&b, "msg_", &a[A_ID], "xlate_");
	xb_str(&b, ",\"type\":\"message\",\"role\":\"assistant\",\"model\":");
	if (jscan_type(&a[A_MODEL]) == JS_STRING)
		xb_span(&b, &a[A_MODEL]);
	else
		xb_str(&b, "\"\"");
	xb_str(&b, ",\"content\":[");
	/* reasoning as thinking, as in the stream (xs_text) */
	t = jscan_type(&m[M_REASONING_CONTENT]) == JS_STRING ?
	    m[M_REASONING_CONTENT] : m[M_REASONING];
	if (jscan_type(&t) == JS_STRING && t.js_len > 2) {
		xb_sep(&b, &first);
		xb_str(&b, "{\"type\":\"thinking\",\"thinking\":");
		xb_span(&b, &t);
		xb_str(&b, ",\"signature\":\"\"}");
	}
	if (jscan_type(&m[M_CONTENT]) == JS_STRING &&
	    m[M_CONTENT].js_len > 2) {
		xb_sep(&b, &first);
		xb_str(&b, "{\"type\":\"text\",\"text\":");
		xb_span(&b, &m[M_CONTENT]);
		xb_str(&b, "}");
		ntext++;
	} else if (jscan_type(&m[M_CONTENT]) == JS_ARRAY) {
		/* parts, from some servers: their texts */
		it.js_p = NULL;
		while (jscan_next(&m[M_CONTENT], &it)) {
			if (jscan_get(&it, "type", &t) == -1 ||
			    !jscan_streq(&t, "text") ||
			    jscan_get(&it, "text", &t) == -1 ||
			    jscan_type(&t) != JS_STRING || t.js_len <= 2)
				continue;
			xb_sep(&b, &first);
			xb_str(&b, "{\"type\":\"text\",\"text\":");
			xb_span(&b, &t);
			xb_str(&b, "}");
			ntext++;
		}
	}
	if (ntext == 0 && jscan_type(&m[M_REFUSAL]) == JS_STRING &&
	    m[M_REFUSAL].js_len > 2) {
		xb_sep(&b, &first);
		xb_str(&b, "{\"type\":\"text\",\"text\":");
		xb_span(&b, &m[M_REFUSAL]);
		xb_str(&b, "}");
	}
	it.js_p = NULL;
	while (jscan_next(&m[M_TOOL_CALLS], &it)) {
		if (jscan_type(&it) != JS_OBJECT)
			continue;
		(void)jscan_get(&it, "id", &id);
		(void)jscan_get(&it, "function", &fn);
		(void)jscan_get(&fn, "name", &name);
		(void)jscan_get(&fn, "arguments", &args);
		xb_sep(&b, &first);
		xb_str(&b, "{\"type\":\"tool_use\",\"id\":");
		xb_id(&b, "", &id, "toolu_xlate_");
		xb_str(&b, ",\"name\":");
		if (jscan_type(&name) == JS_STRING)
			xb_span(&b, &name);
		else
			xb_str(&b, "\"\"");
		xb_str(&b, ",\"input\":");
		put_arguments(&b, &args);
		xb_str(&b, "}");
		ntool++;
	}
	xb_str(&b, "],\"stop_reason\":\"");
	xb_str(&b, stop_reason(finish_code(&fr), ntool > 0));
	xb_str(&b, "\",\"stop_sequence\":null,\"usage\":");
	xb_usage(&b, &a[A_USAGE]);
	xb_str(&b, "}");
	return (xb_end(&b, lenp));
}

/*
 * The stream.  Each upstream event is translated into xs_ev, which goes
 * out whole; the SSE parser keeps events whole across any split.
 */

#define BLK_TEXT	0
#define BLK_TOOL	1
#define BLK_THINKING	2

struct xlate_stream {
	struct sse_parser	 xs_sp;
	int			(*xs_out)(const char *, size_t, void *);
	void			*xs_arg;
	struct xbuf		 xs_ev;		/* one event's translation */
	int			 xs_started;	/* message_start went out */
	int			 xs_ended;	/* [DONE] or an error: no more */
	int			 xs_done;	/* message_stop went out */
	int			 xs_stopped;
	int			 xs_garbage;
	int64_t			 xs_nblocks;	/* blocks opened */
	int64_t			 xs_block;	/* the open one, -1: none */
	int			 xs_kind;	/* its BLK_* */
	int64_t			 xs_tool;	/* a tool's index upstream */
	struct xbuf		 xs_toolid;	/* and its id's text */
	int			 xs_tools;	/* tool blocks opened */
	int			 xs_finish;	/* FR_* */
	int			 xs_finished;	/* a finish_reason came */
	struct xbuf		 xs_usage;	/* the last usage object */
};

static int	 xs_event(const struct sse_event *, void *);
static int	 xs_pass(const char *, size_t, void *);
static void	 xs_chunk(struct xlate_stream *, const struct jspan *);
static void	 xs_tool_delta(struct xlate_stream *, const struct jspan *);
static void	 xs_start(struct xlate_stream *, const struct jspan *,
		    const struct jspan *);
static void	 xs_begin(struct xlate_stream *, const char *);
static void	 xs_endev(struct xlate_stream *);
static void	 xs_close(struct xlate_stream *);
static void	 xs_open(struct xlate_stream *, int);
static void	 xs_delta(struct xlate_stream *);
static void	 xs_finish_msg(struct xlate_stream *);
static void	 xs_message_delta(struct xlate_stream *);
static void	 xs_text(struct xlate_stream *, int, const struct jspan *);

struct xlate_stream *
xlate_stream_new(int (*out)(const char *, size_t, void *), void *arg)
{
	struct xlate_stream	*xs;

	if ((xs = calloc(1, sizeof(*xs))) == NULL)
		return (NULL);
	xs->xs_out = out;
	xs->xs_arg = arg;
	xs->xs_block = -1;
	sse_init(&xs->xs_sp, SSE_EVENT_MAX, xs_event, xs_pass, xs);
	return (xs);
}

void
xlate_stream_free(struct xlate_stream *xs)
{
	if (xs == NULL)
		return;
	sse_free(&xs->xs_sp);
	free(xs->xs_ev.b_p);
	free(xs->xs_toolid.b_p);
	free(xs->xs_usage.b_p);
	free(xs);
}

int
xlate_stream_feed(struct xlate_stream *xs, const void *p, size_t len)
{
	if (xs->xs_stopped)
		return (-1);
	if (sse_feed(&xs->xs_sp, p, len) == -1) {
		xs->xs_stopped = 1;
		return (-1);
	}
	return (0);
}

/*
 * Without [DONE] the answer is cut short (no message_stop), but what
 * the upstream said of its end, finish reason and usage, still goes out
 * in a message_delta, as it would have: billing reads the usage there.
 */
int
xlate_stream_finish(struct xlate_stream *xs)
{
	if (xs->xs_stopped)
		return (-1);
	if (sse_finish(&xs->xs_sp) == -1) {
		xs->xs_stopped = 1;
		return (-1);
	}
	if (!xs->xs_started || xs->xs_ended ||
	    (!xs->xs_finished && xs->xs_usage.b_len == 0))
		return (0);
	xs->xs_ev.b_len = 0;
	xs_message_delta(xs);
	xs->xs_ended = 1;
	if (xs->xs_ev.b_nomem ||
	    xs->xs_out(xs->xs_ev.b_p, xs->xs_ev.b_len, xs->xs_arg) != 0) {
		xs->xs_stopped = 1;
		return (-1);
	}
	return (0);
}

int
xlate_stream_garbage(const struct xlate_stream *xs)
{
	return (xs->xs_garbage);
}

int
xlate_stream_done(const struct xlate_stream *xs)
{
	return (xs->xs_done);
}

/*
 * Every event is dropped (translated instead), so the only bytes passed
 * on are those of an event too large to be read: not translatable.
 */
static int
xs_pass(const char *p, size_t len, void *arg)
{
	struct xlate_stream	*xs = arg;

	if (xs->xs_ended)
		return (0);
	log_debug("xlate: an upstream event too large to translate");
	xs->xs_garbage = 1;
	return (1);
}

static int
xs_event(const struct sse_event *ev, void *arg)
{
	struct xlate_stream	*xs = arg;
	struct jspan		 o;
	const char		*d = ev->ev_data;
	size_t			 len = ev->ev_datalen;

	if (xs->xs_ended)
		return (SSE_DROP);
	xs->xs_ev.b_len = 0;
	if (!ev->ev_hasdata) {
		if (ev->ev_ncomments > 0)
			xb_str(&xs->xs_ev,
			    "event: ping\ndata: {\"type\":\"ping\"}\n\n");
	} else {
		while (len > 0 && (*d == ' ' || *d == '\t'))
			d++, len--;
		while (len > 0 && (d[len - 1] == ' ' || d[len - 1] == '\t'))
			len--;
		if (len == 6 && memcmp(d, "[DONE]", 6) == 0)
			xs_finish_msg(xs);
		else if (len > 0) {
			if (jscan_parse(d, len, &o) == -1 ||
			    jscan_type(&o) != JS_OBJECT) {
				log_debug("xlate: an event whose data is not "
				    "a JSON object");
				xs->xs_garbage = 1;
				return (SSE_STOP);
			}
			xs_chunk(xs, &o);
		}
	}
	if (xs->xs_ev.b_nomem)
		return (SSE_STOP);
	if (xs->xs_ev.b_len > 0 &&
	    xs->xs_out(xs->xs_ev.b_p, xs->xs_ev.b_len, xs->xs_arg) != 0)
		return (SSE_STOP);
	return (SSE_DROP);
}

static void
xs_begin(struct xlate_stream *xs, const char *name)
{
	xb_str(&xs->xs_ev, "event: ");
	xb_str(&xs->xs_ev, name);
	xb_str(&xs->xs_ev, "\ndata: ");
}

static void
xs_endev(struct xlate_stream *xs)
{
	xb_str(&xs->xs_ev, "\n\n");
}

static void
xs_start(struct xlate_stream *xs, const struct jspan *id,
    const struct jspan *model)
{
	struct xbuf	*b = &xs->xs_ev;

	xs_begin(xs, "message_start");
	xb_str(b, "{\"type\":\"message_start\",\"message\":{\"id\":");
	xb_id(b, "msg_", id, "xlate_");
	xb_str(b, ",\"type\":\"message\",\"role\":\"assistant\",\"model\":");
	if (jscan_type(model) == JS_STRING)
		xb_span(b, model);
	else
		xb_str(b, "\"\"");
	xb_str(b, ",\"content\":[],\"stop_reason\":null,"
	    "\"stop_sequence\":null,\"usage\":" USAGE_ZERO "}}");
	xs_endev(xs);
	xs->xs_started = 1;
}

static void
xs_close(struct xlate_stream *xs)
{
	char	 n[32];

	if (xs->xs_block < 0)
		return;
	(void)snprintf(n, sizeof(n), "%lld", (long long)xs->xs_block);
	xs_begin(xs, "content_block_stop");
	xb_str(&xs->xs_ev, "{\"type\":\"content_block_stop\",\"index\":");
	xb_str(&xs->xs_ev, n);
	xb_str(&xs->xs_ev, "}");
	xs_endev(xs);
	xs->xs_block = -1;
}

/* A block opened: its content_block_start up to the content_block. */
static void
xs_open(struct xlate_stream *xs, int kind)
{
	char	 n[32];

	xs_close(xs);
	xs->xs_block = xs->xs_nblocks++;
	xs->xs_kind = kind;
	(void)snprintf(n, sizeof(n), "%lld", (long long)xs->xs_block);
	xs_begin(xs, "content_block_start");
	xb_str(&xs->xs_ev, "{\"type\":\"content_block_start\",\"index\":");
	xb_str(&xs->xs_ev, n);
	xb_str(&xs->xs_ev, ",\"content_block\":");
}

/* A content_block_delta's start, up to its delta's object. */
static void
xs_delta(struct xlate_stream *xs)
{
	char	 n[32];

	(void)snprintf(n, sizeof(n), "%lld", (long long)xs->xs_block);
	xs_begin(xs, "content_block_delta");
	xb_str(&xs->xs_ev, "{\"type\":\"content_block_delta\",\"index\":");
	xb_str(&xs->xs_ev, n);
	xb_str(&xs->xs_ev, ",\"delta\":");
}

enum { C_ID, C_MODEL, C_CHOICES, C_USAGE, C_ERROR, C_N };
static const char * const chunk_keys[C_N + 1] = {
	"id", "model", "choices", "usage", "error", NULL
};

enum { D_CONTENT, D_REFUSAL, D_REASONING_CONTENT, D_REASONING,
    D_TOOL_CALLS, D_N };
static const char * const delta_keys[D_N + 1] = {
	"content", "refusal", "reasoning_content", "reasoning", "tool_calls",
	NULL
};

/*
 * A piece of text or of reasoning: into the open block of its kind, or
 * a new one.  Reasoning goes out as Anthropic's thinking, without a
 * signature (none can be made for it): a client sending it back gets
 * it left out of the next request.
 */
static void
xs_text(struct xlate_stream *xs, int kind, const struct jspan *t)
{
	struct xbuf	*b = &xs->xs_ev;

	if (jscan_type(t) != JS_STRING || t->js_len <= 2)
		return;
	if (xs->xs_block < 0 || xs->xs_kind != kind) {
		xs_open(xs, kind);
		xb_str(b, kind == BLK_TEXT ? "{\"type\":\"text\",\"text\":\"\"}}" :
		    "{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}}");
		xs_endev(xs);
	}
	xs_delta(xs);
	xb_str(b, kind == BLK_TEXT ? "{\"type\":\"text_delta\",\"text\":" :
	    "{\"type\":\"thinking_delta\",\"thinking\":");
	xb_span(b, t);
	xb_str(b, "}}");
	xs_endev(xs);
}

static void
xs_chunk(struct xlate_stream *xs, const struct jspan *o)
{
	struct jspan	 c[C_N], choice, idx, delta, fr, d[D_N], it, msg;
	struct xbuf	*b = &xs->xs_ev;
	int64_t		 i;

	(void)jscan_getv(o, chunk_keys, c);
	if (jscan_type(&c[C_ERROR]) == JS_OBJECT) {
		xs_begin(xs, "error");
		xb_str(b, "{\"type\":\"error\",\"error\":{\"type\":"
		    "\"api_error\",\"message\":");
		if (jscan_get(&c[C_ERROR], "message", &msg) == 0 &&
		    jscan_type(&msg) == JS_STRING)
			xb_span(b, &msg);
		else
			xb_str(b, "\"upstream error\"");
		xb_str(b, "}}");
		xs_endev(xs);
		/* the stream is over, cut short: no message_stop */
		xs->xs_ended = 1;
		return;
	}
	if (!xs->xs_started)
		xs_start(xs, &c[C_ID], &c[C_MODEL]);
	choice.js_p = NULL;
	while (jscan_next(&c[C_CHOICES], &choice)) {
		/* the first choice only (n > 1 has no Anthropic form) */
		if (jscan_get(&choice, "index", &idx) == 0 &&
		    (jscan_int(&idx, &i) == -1 || i != 0))
			continue;
		(void)jscan_get(&choice, "delta", &delta);
		(void)jscan_getv(&delta, delta_keys, d);
		/* reasoning (DeepSeek, vLLM; OpenRouter's name) first */
		xs_text(xs, BLK_THINKING, jscan_type(&d[D_REASONING_CONTENT]) ==
		    JS_STRING ? &d[D_REASONING_CONTENT] : &d[D_REASONING]);
		xs_text(xs, BLK_TEXT, jscan_type(&d[D_CONTENT]) == JS_STRING ?
		    &d[D_CONTENT] : &d[D_REFUSAL]);
		it.js_p = NULL;
		while (jscan_next(&d[D_TOOL_CALLS], &it))
			if (jscan_type(&it) == JS_OBJECT)
				xs_tool_delta(xs, &it);
		if (jscan_get(&choice, "finish_reason", &fr) == 0 &&
		    jscan_type(&fr) == JS_STRING) {
			xs->xs_finish = finish_code(&fr);
			xs->xs_finished = 1;
		}
		break;
	}
	/* an empty usage ({}) after the real one does not erase it */
	if (jscan_type(&c[C_USAGE]) == JS_OBJECT && !jscan_empty(&c[C_USAGE])) {
		xs->xs_usage.b_len = 0;
		xb_span(&xs->xs_usage, &c[C_USAGE]);
		if (xs->xs_usage.b_nomem)
			b->b_nomem = 1;
	}
}

/*
 * A tool call's piece: a new call (another index, or another id) closes
 * the open block and opens a tool_use block; arguments are its input's
 * pieces.
 */
static void
xs_tool_delta(struct xlate_stream *xs, const struct jspan *tc)
{
	struct jspan	 idx, id, fn, name, args;
	struct xbuf	*b = &xs->xs_ev;
	int64_t		 i = -1;
	int		 fresh;

	(void)jscan_get(tc, "index", &idx);
	(void)jscan_get(tc, "id", &id);
	(void)jscan_get(tc, "function", &fn);
	(void)jscan_get(&fn, "name", &name);
	(void)jscan_get(&fn, "arguments", &args);
	if (jscan_int(&idx, &i) == -1)
		i = -1;
	if (jscan_type(&id) != JS_STRING || id.js_len <= 2)
		id.js_p = NULL;
	/* an id first seen on a later piece of the call is the same call */
	fresh = xs->xs_block < 0 || xs->xs_kind != BLK_TOOL ||
	    (i >= 0 && i != xs->xs_tool) ||
	    (id.js_p != NULL && xs->xs_toolid.b_len > 0 &&
	    (id.js_len != xs->xs_toolid.b_len ||
	    memcmp(id.js_p, xs->xs_toolid.b_p, id.js_len) != 0));
	if (fresh) {
		xs_open(xs, BLK_TOOL);
		xs->xs_tool = i >= 0 ? i : xs->xs_tools;
		xs->xs_tools++;
		xs->xs_toolid.b_len = 0;
		if (id.js_p != NULL) {
			xb_span(&xs->xs_toolid, &id);
			if (xs->xs_toolid.b_nomem)
				b->b_nomem = 1;
		}
		xb_str(b, "{\"type\":\"tool_use\",\"id\":");
		xb_id(b, "", &id, "toolu_xlate_");
		xb_str(b, ",\"name\":");
		if (jscan_type(&name) == JS_STRING)
			xb_span(b, &name);
		else
			xb_str(b, "\"\"");
		xb_str(b, ",\"input\":{}}}");
		xs_endev(xs);
	}
	if (jscan_type(&args) == JS_STRING && args.js_len > 2) {
		xs_delta(xs);
		xb_str(b, "{\"type\":\"input_json_delta\",\"partial_json\":");
		xb_span(b, &args);
		xb_str(b, "}}");
		xs_endev(xs);
	}
}

/* [DONE]: the open block closed, the stop reason and usage, the end. */
static void
xs_finish_msg(struct xlate_stream *xs)
{
	struct xbuf	*b = &xs->xs_ev;
	struct jspan	 none;

	memset(&none, 0, sizeof(none));
	if (!xs->xs_started)
		xs_start(xs, &none, &none);
	xs_message_delta(xs);
	xs_begin(xs, "message_stop");
	xb_str(b, "{\"type\":\"message_stop\"}");
	xs_endev(xs);
	xs->xs_ended = xs->xs_done = 1;
}

/* The open block closed, then the stop reason and the usage. */
static void
xs_message_delta(struct xlate_stream *xs)
{
	struct xbuf	*b = &xs->xs_ev;
	struct jspan	 u;

	xs_close(xs);
	xs_begin(xs, "message_delta");
	xb_str(b, "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"");
	xb_str(b, stop_reason(xs->xs_finish, xs->xs_tools > 0));
	xb_str(b, "\",\"stop_sequence\":null},\"usage\":");
	u.js_p = xs->xs_usage.b_len > 0 ? xs->xs_usage.b_p : NULL;
	u.js_len = xs->xs_usage.b_len;
	xb_usage(b, &u);
	xb_str(b, "}");
	xs_endev(xs);
}
