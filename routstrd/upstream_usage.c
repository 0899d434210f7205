/*
 * Usage: what an upstream says a request used, in its dialect, brought
 * to struct usage; and, when it says nothing usable, our estimate from
 * the characters sent and received (upstream.h has the rules).
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jscan.h"
#include "log.h"
#include "proxy.h"
#include "upstream.h"

#define TEXT_DEPTH_MAX	8	/* nesting of parts looked into: each level
				   reads what is below it again */

/* usage_get() */
#define GET_ABSENT	0
#define GET_OK		1
#define GET_BAD		(-1)

/*
 * The members of a usage object read, top level: only these count, so a
 * merge of objects need keep no other.
 */
enum {
	U_PROMPT, U_COMPLETION, U_INPUT, U_OUTPUT, U_READ_TOP, U_WRITE_TOP,
	U_READ_DS, U_PTD, U_ITD, U_N
};
static const char * const usage_keys[U_N + 1] = {
	"prompt_tokens", "completion_tokens", "input_tokens", "output_tokens",
	"cache_read_input_tokens", "cache_creation_input_tokens",
	"prompt_cache_hit_tokens", "prompt_tokens_details",
	"input_tokens_details", NULL
};

/* Of the details objects */
enum { D_CACHED, D_WRITE, D_CREATION, D_N };
static const char * const details_keys[D_N + 1] = {
	"cached_tokens", "cache_write_tokens", "cache_creation_tokens", NULL
};

static int	 usage_objects(const struct jspan *, size_t, struct jspan *);
static int	 usage_get(const struct jspan *, const char *, uint64_t *);
static int	 usage_first(const struct jspan *, const char * const *,
		    const int *, uint64_t *);
static int	 usage_sub(uint64_t *, uint64_t, uint64_t);
static uint64_t	 add_sat(uint64_t, uint64_t);
static json_t	*jint(uint64_t);
static uint64_t	 text_chars_span(const struct jspan *, int);

/*
 * The members read of n objects merged, as json_object_update() merges
 * them: of each, the last object's that has it (null included).  How
 * many of the n are objects.
 */
static int
usage_objects(const struct jspan *objs, size_t n, struct jspan *m)
{
	struct jspan	 v[U_N];
	size_t		 i;
	int		 k, nobj = 0;

	for (k = 0; k < U_N; k++) {
		m[k].js_p = NULL;
		m[k].js_len = 0;
	}
	for (i = 0; i < n; i++) {
		if (jscan_type(&objs[i]) != JS_OBJECT)
			continue;
		nobj++;
		(void)jscan_getv(&objs[i], usage_keys, v);
		for (k = 0; k < U_N; k++)
			if (v[k].js_p != NULL)
				m[k] = v[k];
	}
	return (nobj);
}

/*
 * One count: absent (or null), a JSON integer (jansson's: no fraction,
 * no exponent, "-0" is 0) in [0, USAGE_TOKENS_MAX], or bad.
 */
static int
usage_get(const struct jspan *v, const char *key, uint64_t *out)
{
	int64_t		 n;

	if (jscan_type(v) == JS_NONE || jscan_type(v) == JS_NULL)
		return (GET_ABSENT);
	if (jscan_int(v, &n) == -1) {
		log_debug("usage: %s is not an integer", key);
		return (GET_BAD);
	}
	if (n < 0 || (unsigned long long)n > USAGE_TOKENS_MAX) {
		log_debug("usage: %s out of range", key);
		return (GET_BAD);
	}
	*out = (uint64_t)n;
	return (GET_OK);
}

/*
 * The first nonzero of several names for one count (dialects mirror
 * each other's fields, litellm most of all): the members m[idx[i]] for
 * idx ending in -1, named by names[]; 0 if none.  Any bad is bad.
 */
static int
usage_first(const struct jspan *m, const char * const *names,
    const int *idx, uint64_t *v)
{
	uint64_t	 n;
	int		 r;

	*v = 0;
	for (; *idx != -1; idx++) {
		if ((r = usage_get(&m[*idx], names[*idx], &n)) == GET_BAD)
			return (GET_BAD);
		if (r == GET_OK && n > 0 && *v == 0)
			*v = n;
	}
	return (GET_OK);
}

/* *total -= a + b, clamped at 0 (said at debug level). */
static int
usage_sub(uint64_t *total, uint64_t a, uint64_t b)
{
	uint64_t	 cached = a + b;	/* both <= USAGE_TOKENS_MAX */

	if (cached > *total) {
		log_debug("usage: cached tokens exceed the prompt");
		*total = 0;
		return (-1);
	}
	*total -= cached;
	return (0);
}

int
usage_from_spans(const struct jspan *objs, size_t n, struct usage *out)
{
	static const int read_top[] = { U_READ_TOP, -1 };
	static const int write_top[] = { U_WRITE_TOP, -1 };
	static const int read_ds[] = { U_READ_DS, -1 };
	static const int read_d[] = { D_CACHED, -1 };
	static const int write_d[] = { D_WRITE, D_CREATION, -1 };
	struct jspan	 m[U_N], d[D_N];
	struct usage	 us;
	uint64_t	 in = 0, outt = 0, rd = 0, wr = 0, v;
	int		 hp, hc, hi, ho;

	memset(out, 0, sizeof(*out));
	if (usage_objects(objs, n, m) == 0)
		return (-1);
	memset(&us, 0, sizeof(us));

	if ((hp = usage_get(&m[U_PROMPT], "prompt_tokens", &in)) == GET_BAD ||
	    (hc = usage_get(&m[U_COMPLETION], "completion_tokens", &outt)) ==
	    GET_BAD ||
	    (hi = usage_get(&m[U_INPUT], "input_tokens", &v)) == GET_BAD ||
	    (ho = usage_get(&m[U_OUTPUT], "output_tokens", &v)) == GET_BAD)
		return (-1);

	if (hp == GET_OK || hc == GET_OK) {
		/* OpenAI, OpenRouter, litellm, DeepSeek: inclusive */
		(void)jscan_getv(&m[U_PTD], details_keys, d);
		if (usage_first(m, usage_keys, read_top, &rd) == GET_BAD ||
		    usage_first(m, usage_keys, write_top, &wr) == GET_BAD)
			return (-1);
		if (rd == 0 && usage_first(d, details_keys, read_d, &rd) ==
		    GET_BAD)
			return (-1);
		if (wr == 0 && usage_first(d, details_keys, write_d, &wr) ==
		    GET_BAD)
			return (-1);
		if (rd == 0 && usage_first(m, usage_keys, read_ds, &rd) ==
		    GET_BAD)
			return (-1);
		(void)usage_sub(&in, rd, wr);
	} else if (hi == GET_OK || ho == GET_OK) {
		(void)usage_get(&m[U_INPUT], "input_tokens", &in);
		(void)usage_get(&m[U_OUTPUT], "output_tokens", &outt);
		if (jscan_type(&m[U_ITD]) == JS_OBJECT) {
			/* the Responses API: inclusive too */
			(void)jscan_getv(&m[U_ITD], details_keys, d);
			if (usage_first(d, details_keys, read_d, &rd) ==
			    GET_BAD ||
			    usage_first(d, details_keys, write_d, &wr) ==
			    GET_BAD)
				return (-1);
			(void)usage_sub(&in, rd, wr);
		} else if (usage_first(m, usage_keys, read_top, &rd) ==
		    GET_BAD ||
		    usage_first(m, usage_keys, write_top, &wr) == GET_BAD)
			return (-1);	/* Anthropic: additive */
	} else
		return (-1);

	if (in == 0 && outt == 0 && rd == 0 && wr == 0) {
		log_debug("usage: all zero");
		return (-1);
	}
	us.us_prompt = in;
	us.us_completion = outt;
	us.us_cache_read = rd;
	us.us_cache_write = wr;
	*out = us;
	return (0);
}

char *
usage_merge(const struct jspan *objs, size_t n, size_t *lenp)
{
	struct jspan	 m[U_N];
	char		*s, *p;
	size_t		 len = 2;
	int		 k;

	(void)usage_objects(objs, n, m);
	for (k = 0; k < U_N; k++)
		if (m[k].js_p != NULL)
			len += strlen(usage_keys[k]) + 4 + m[k].js_len;
	if ((s = malloc(len + 1)) == NULL)
		return (NULL);
	p = s;
	*p++ = '{';
	for (k = 0; k < U_N; k++) {
		if (m[k].js_p == NULL)
			continue;
		if (p > s + 1)
			*p++ = ',';
		*p++ = '"';
		memcpy(p, usage_keys[k], strlen(usage_keys[k]));
		p += strlen(usage_keys[k]);
		*p++ = '"';
		*p++ = ':';
		memcpy(p, m[k].js_p, m[k].js_len);
		p += m[k].js_len;
	}
	*p++ = '}';
	*p = '\0';
	*lenp = (size_t)(p - s);
	return (s);
}

uint64_t
usage_tokens_from_chars(uint64_t chars)
{
	return (chars / USAGE_CHARS_PER_TOKEN +
	    (chars % USAGE_CHARS_PER_TOKEN != 0));
}

void
usage_estimate(struct usage *u, uint64_t prompt_chars,
    uint64_t completion_chars)
{
	memset(u, 0, sizeof(*u));
	u->us_prompt = usage_tokens_from_chars(prompt_chars);
	u->us_completion = usage_tokens_from_chars(completion_chars);
	u->us_estimated = 1;
}

static uint64_t
add_sat(uint64_t a, uint64_t b)
{
	return (a > UINT64_MAX - b ? UINT64_MAX : a + b);
}

static json_t *
jint(uint64_t v)
{
	if (v > (uint64_t)INT64_MAX)
		v = INT64_MAX;
	return (json_integer((json_int_t)v));
}

json_t *
usage_to_json(const struct usage *u, int api)
{
	json_t		*o;
	uint64_t	 in, total;
	int		 bad = 0;

	in = add_sat(add_sat(u->us_prompt, u->us_cache_read),
	    u->us_cache_write);
	total = add_sat(in, u->us_completion);
	if ((o = json_object()) == NULL)
		return (NULL);
	switch (api) {
	case UPSTREAM_API_MESSAGES:
		bad |= json_object_set_new(o, "input_tokens",
		    jint(u->us_prompt));
		bad |= json_object_set_new(o, "output_tokens",
		    jint(u->us_completion));
		bad |= json_object_set_new(o, "cache_read_input_tokens",
		    jint(u->us_cache_read));
		bad |= json_object_set_new(o, "cache_creation_input_tokens",
		    jint(u->us_cache_write));
		break;
	case UPSTREAM_API_RESPONSES:
		bad |= json_object_set_new(o, "input_tokens", jint(in));
		bad |= json_object_set_new(o, "input_tokens_details",
		    u->us_cache_write > 0 ?
		    json_pack("{s:o,s:o}", "cached_tokens",
		    jint(u->us_cache_read), "cache_write_tokens",
		    jint(u->us_cache_write)) :
		    json_pack("{s:o}", "cached_tokens",
		    jint(u->us_cache_read)));
		bad |= json_object_set_new(o, "output_tokens",
		    jint(u->us_completion));
		bad |= json_object_set_new(o, "output_tokens_details",
		    json_pack("{s:i}", "reasoning_tokens", 0));
		bad |= json_object_set_new(o, "total_tokens", jint(total));
		break;
	default:
		bad |= json_object_set_new(o, "prompt_tokens", jint(in));
		bad |= json_object_set_new(o, "completion_tokens",
		    jint(u->us_completion));
		bad |= json_object_set_new(o, "total_tokens", jint(total));
		bad |= json_object_set_new(o, "prompt_tokens_details",
		    u->us_cache_write > 0 ?
		    json_pack("{s:o,s:o}", "cached_tokens",
		    jint(u->us_cache_read), "cache_write_tokens",
		    jint(u->us_cache_write)) :
		    json_pack("{s:o}", "cached_tokens",
		    jint(u->us_cache_read)));
		break;
	}
	if (u->us_estimated)
		bad |= json_object_set_new(o, "estimated", json_true());
	if (bad) {
		json_decref(o);
		return (NULL);
	}
	return (o);
}

/*
 * The text of a value as a model reads it: a string; an array of
 * strings, of token ids (a token each), of parts ({"type":"text",
 * "text":...}) or of items ({"role":...,"content":...}).  Images and
 * audio are not counted.
 */
static uint64_t
text_chars_span(const struct jspan *v, int depth)
{
	static const char * const keys[] = { "text", "content", NULL };
	struct jspan	 e, m[2];
	uint64_t	 n = 0;
	int64_t		 i;

	if (depth > TEXT_DEPTH_MAX)
		return (0);
	switch (jscan_type(v)) {
	case JS_STRING:
		return (jscan_strlen(v));
	case JS_NUMBER:
		return (jscan_int(v, &i) == 0 ? USAGE_CHARS_PER_TOKEN : 0);
	case JS_ARRAY:
		e.js_p = NULL;
		while (jscan_next(v, &e))
			n = add_sat(n, text_chars_span(&e, depth + 1));
		return (n);
	case JS_OBJECT:
		(void)jscan_getv(v, keys, m);
		if (jscan_type(&m[0]) == JS_STRING)
			n = add_sat(n, jscan_strlen(&m[0]));
		if (jscan_type(&m[1]) != JS_NONE)
			n = add_sat(n, text_chars_span(&m[1], depth + 1));
		return (n);
	default:
		return (0);
	}
}

uint64_t
usage_text_chars_span(const struct jspan *v)
{
	return (text_chars_span(v, 0));
}

int
request_shape_parse(const struct jspan *body, struct request_shape *rs)
{
	static const char * const keys[] = { "messages", "system", "prompt",
	    "input", "instructions", "max_tokens", "max_completion_tokens",
	    "max_output_tokens", "stream", NULL };
	struct jspan	 v[9];
	int64_t		 max;
	int		 i;

	memset(rs, 0, sizeof(*rs));
	if (body == NULL || jscan_type(body) != JS_OBJECT)
		return (-1);
	(void)jscan_getv(body, keys, v);
	for (i = 0; i < 5; i++)
		rs->rs_prompt_chars = add_sat(rs->rs_prompt_chars,
		    text_chars_span(&v[i], 0));
	for (i = 5; i < 8; i++)
		if (jscan_int(&v[i], &max) == 0 && max > 0) {
			rs->rs_max_tokens = (uint64_t)max;
			break;
		}
	rs->rs_stream = jscan_type(&v[8]) == JS_TRUE;
	return (0);
}
