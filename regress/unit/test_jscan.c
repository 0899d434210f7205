/*
 * jscan: JSON read in place.  jscan_parse() must accept exactly what
 * jansson's json_loadb(p, len, JSON_DECODE_ANY) accepts; the lookups
 * must find the spans that jansson's tree has.  Every input is copied
 * into a buffer of exactly its length, so that a read past its end is
 * caught under ASan.
 *
 * Where jansson 2.14 is not the reference (its quirks), see quirk_*():
 *  - "real number overflow": jansson rejects a real that overflows a
 *    double (1e999); the header does not promise that check, so either
 *    answer is taken for such a text.
 *  - a NUL byte right after a number or a literal: jansson's stream
 *    drops a byte it ungets when that byte is NUL, so "1\0" and
 *    "[true\0]" load.  jscan may reject those; when jansson accepts one,
 *    jscan must accept the text with that NUL made a space.
 */

#include <sys/types.h>

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "jscan.h"
#include "test.h"

#ifndef nitems
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#endif

struct buf {
	char	*p;
	size_t	 len;
};

static void	 bput(struct buf *, const void *, size_t);
static void	 bputs(struct buf *, const char *);
static char	*dup_exact(const char *, size_t);
static int	 janssons(const char *, size_t, json_t **, json_error_t *);
static int	 span_is(const struct jspan *, const char *);
static int	 span_empty(const struct jspan *);
static const char *esc(const char *);
static void	 show(const char *, const char *, size_t);
static void	 good(const char *, size_t, const char *, enum jscan_type);
static void	 bad(const char *, size_t);
static void	 test_valid(void);
static void	 test_invalid(void);
static void	 test_strings(void);
static void	 test_utf8(void);
static void	 test_numbers(void);
static void	 test_quirks(void);
static void	 nest(struct buf *, int, const char *, const char *,
	    const char *);
static void	 test_depth(void);
static void	 test_len(void);
static void	 get1(const char *, size_t, const char *, const char *);
static void	 test_get(void);
static void	 test_next(void);
static void	 test_getv(void);
static void	 test_strlen(void);
static void	 test_strlcpy(void);
static int	 strlcpy_agrees(const struct jspan *, const char *, size_t);
static void	 test_streq(void);
static void	 test_int(void);
static void	 test_json(void);
static void	 test_type(void);
static int	 getv_agrees(const struct jspan *, json_t *);
static int	 check_tree(const struct jspan *, json_t *);
static uint32_t	 rnd(void);
static void	 gen_value(struct buf *, int);
static void	 gen_string(struct buf *);
static void	 gen_number(struct buf *);
static void	 gen_ws(struct buf *);
static void	 mutate(struct buf *);
static int	 differ(const char *, size_t);
static int	 dups_agree(const struct jspan *, const char *, size_t);
static int	 members_agree(const struct jspan *, json_t *);
static void	 test_dupkeys(void);
static void	 test_edit(void);
static void	 test_quote(void);
static void	 test_differential(void);

#define GOOD(s, span, type)	good(s, sizeof(s) - 1, span, type)
#define BAD(s)			bad(s, sizeof(s) - 1)

static void
bput(struct buf *b, const void *p, size_t len)
{
	char	*n;

	if ((n = realloc(b->p, b->len + len + 1)) == NULL)
		abort();
	b->p = n;
	memcpy(b->p + b->len, p, len);
	b->len += len;
	b->p[b->len] = '\0';
}

static void
bputs(struct buf *b, const char *s)
{
	bput(b, s, strlen(s));
}

/* A copy of exactly len bytes, no NUL after it. */
static char *
dup_exact(const char *p, size_t len)
{
	char	*d;

	if ((d = malloc(len == 0 ? 1 : len)) == NULL)
		abort();
	memcpy(d, p, len);
	return (d);
}

static int
janssons(const char *p, size_t len, json_t **j, json_error_t *e)
{
	json_error_t	 e0;
	json_t		*t;

	t = json_loadb(p, len, JSON_DECODE_ANY, e != NULL ? e : &e0);
	if (j != NULL)
		*j = t;
	else
		json_decref(t);
	return (t != NULL);
}

static int
span_is(const struct jspan *v, const char *s)
{
	return (v->js_p != NULL && v->js_len == strlen(s) &&
	    memcmp(v->js_p, s, v->js_len) == 0);
}

static int
span_empty(const struct jspan *v)
{
	return (v->js_p == NULL && v->js_len == 0);
}

/* s, printable on one line (four at a time). */
static const char *
esc(const char *s)
{
	static char	 bufs[4][512];
	static int	 k;
	char		*b = bufs[k++ % 4];
	size_t		 i = 0;

	for (; *s != '\0' && i + 5 < sizeof(bufs[0]); s++) {
		unsigned char c = *s;

		if (c >= 0x20 && c < 0x7f)
			b[i++] = c;
		else
			i += snprintf(b + i, 5, "\\x%02x", c);
	}
	b[i] = '\0';
	return (b);
}

/* The input, escaped, on a comment line. */
static void
show(const char *what, const char *p, size_t len)
{
	size_t	 i;

	printf("# %s: \"", what);
	for (i = 0; i < len && i < 200; i++) {
		unsigned char c = p[i];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			putchar(c);
		else
			printf("\\x%02x", c);
	}
	printf("%s\" (%zu bytes)\n", i < len ? "..." : "", len);
}

/*
 * A valid text: jansson agrees, jscan_parse() finds the span and its
 * type, and the tree of the span is jansson's.
 */
static void
good(const char *s, size_t len, const char *span, enum jscan_type type)
{
	struct jspan	 v;
	json_t		*j, *k;
	char		*d;
	int		 r;

	d = dup_exact(s, len);
	if (!janssons(d, len, &j, NULL))
		show("test error: jansson rejects", s, len);
	r = jscan_parse(d, len, &v);
	if (r != 0)
		show("rejected", s, len);
	T(r == 0 && span_is(&v, span) && jscan_type(&v) == type,
	    "valid: %s", esc(span));
	k = jscan_json(&v);
	T(j != NULL && k != NULL && json_equal(j, k),
	    "valid: %s: tree equals jansson's", esc(span));
	json_decref(j);
	json_decref(k);
	free(d);
}

/* An invalid text: jansson agrees; -1 and an empty span. */
static void
bad(const char *s, size_t len)
{
	struct jspan	 v;
	char		*d;
	int		 r;

	d = dup_exact(s, len);
	if (janssons(d, len, NULL, NULL))
		show("test error: jansson accepts", s, len);
	v.js_p = d;
	v.js_len = 42;
	r = jscan_parse(d, len, &v);
	if (r != -1 || !span_empty(&v))
		show("accepted", s, len);
	T(r == -1 && span_empty(&v), "invalid rejected, span empty (%zu bytes)",
	    len);
	free(d);
}

static void
test_valid(void)
{
	static const struct {
		const char	*text;
		enum jscan_type	 type;
	} vals[] = {
		{ "{}", JS_OBJECT },
		{ "{ }", JS_OBJECT },
		{ "{\"a\":1}", JS_OBJECT },
		{ "{ \"a\" : [ 1 , { } ] , \"b\" : null }", JS_OBJECT },
		{ "[]", JS_ARRAY },
		{ "[ \t\r\n]", JS_ARRAY },
		{ "[1,\"x\",true,false,null,{},[]]", JS_ARRAY },
		{ "\"\"", JS_STRING },
		{ "\"abc\"", JS_STRING },
		{ "\"a\\\"b\\\\c\\/\\b\\f\\n\\r\\t\"", JS_STRING },
		{ "\"\\u00e9\\u20AC\\uD83D\\uDE00\"", JS_STRING },
		{ "0", JS_NUMBER },
		{ "-0", JS_NUMBER },
		{ "7", JS_NUMBER },
		{ "-12", JS_NUMBER },
		{ "1.5", JS_NUMBER },
		{ "-0.0", JS_NUMBER },
		{ "0.25e3", JS_NUMBER },
		{ "1E5", JS_NUMBER },
		{ "1e+5", JS_NUMBER },
		{ "1e-5", JS_NUMBER },
		{ "1.5e300", JS_NUMBER },
		{ "-1.5E-300", JS_NUMBER },
		{ "1e-999", JS_NUMBER },	/* underflow is no error */
		{ "123456789012345678901234567890.5", JS_NUMBER },
		{ "true", JS_TRUE },
		{ "false", JS_FALSE },
		{ "null", JS_NULL },
	};
	static const char	*wss[] = {
		"", " ", "\t", "\r", "\n", " \t\r\n", "\n\n  \r\n\t"
	};
	struct buf	 b;
	size_t		 i, w;

	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		for (w = 0; w < sizeof(wss) / sizeof(wss[0]); w += 3) {
			memset(&b, 0, sizeof(b));
			bputs(&b, wss[w]);
			bputs(&b, vals[i].text);
			bputs(&b, wss[(w + 5) % 7]);
			good(b.p, b.len, vals[i].text, vals[i].type);
			free(b.p);
		}
	}

	/* The span starts at the value, past the white space. */
	{
		const char	 s[] = " \t\r\n[1] \n";
		struct jspan	 v;

		T(jscan_parse(s, sizeof(s) - 1, &v) == 0 && v.js_p == s + 4 &&
		    v.js_len == 3, "span points into the text at the value");
	}
}

static void
test_invalid(void)
{
	BAD("");
	BAD(" ");
	BAD(" \t\r\n");
	BAD("\f1");		/* only space, tab, CR and LF are white */
	BAD("\v1");
	BAD("1\f");
	BAD("\xc2\xa0" "1");	/* no-break space */
	BAD("\xef\xbb\xbf" "1");	/* no byte order mark either */
	BAD("{} x");
	BAD("1 2");
	BAD("[] []");
	BAD("{}}");
	BAD("[]]");
	BAD("\"a\" \"b\"");
	BAD("truefalse");
	BAD("true1");
	BAD("1true");
	BAD("01");
	BAD("-01");
	BAD("00");
	BAD("1.");
	BAD(".5");
	BAD("1.e5");
	BAD("1e");
	BAD("1e+");
	BAD("1e-");
	BAD("1E+-1");
	BAD("-");
	BAD("--1");
	BAD("+1");
	BAD("-.5");
	BAD("0x10");
	BAD("1_000");
	BAD("NaN");
	BAD("-NaN");
	BAD("Infinity");
	BAD("-Infinity");
	BAD("tru");
	BAD("nul");
	BAD("fals");
	BAD("True");
	BAD("NULL");
	BAD("t");
	BAD("undefined");
	BAD("\"abc");
	BAD("\"");
	BAD("\"\\\"");
	BAD("'a'");
	BAD("{");
	BAD("{\"a\"");
	BAD("{\"a\":");
	BAD("{\"a\":1");
	BAD("{\"a\":1,");
	BAD("[");
	BAD("[1");
	BAD("[1,");
	BAD("[[]");
	BAD("]");
	BAD("}");
	BAD("[1,]");
	BAD("[,1]");
	BAD("[,]");
	BAD("[1,,2]");
	BAD("[1 2]");
	BAD("{\"a\":1,}");
	BAD("{,}");
	BAD("{\"a\":1,,\"b\":2}");
	BAD("{\"a\":1 \"b\":2}");
	BAD("{\"a\" 1}");
	BAD("{\"a\"}");
	BAD("{\"a\"::1}");
	BAD("{\"a\"=1}");
	BAD("{a:1}");
	BAD("{1:1}");
	BAD("{null:1}");
	BAD("{[]:1}");
	BAD("{{}:1}");
	BAD("{'a':1}");
	BAD("[}");
	BAD("{]");
	BAD("[1}");
	BAD("{\"a\":1]");
	BAD("/* c */ 1");
	BAD("1 // c");
	BAD("\x01");
	BAD("\0");
	BAD(" \0");
	BAD("\0 1");
	BAD("[\0]");
	BAD("\x80");
	BAD("\xff");
}

static void
test_strings(void)
{
	/* Control characters, raw, are never in a string. */
	BAD("\"\x01\"");
	BAD("\"a\x1f" "b\"");
	BAD("\"\t\"");
	BAD("\"\n\"");
	BAD("\"\r\"");
	BAD("\"a\0\"");
	BAD("{\"a\tb\":1}");
	GOOD("\"\x7f\"", "\"\x7f\"", JS_STRING);	/* DEL is no control */
	GOOD("\" \"", "\" \"", JS_STRING);

	/* Escapes. */
	BAD("\"\\x41\"");
	BAD("\"\\a\"");
	BAD("\"\\'\"");
	BAD("\"\\0\"");
	BAD("\"\\U0041\"");
	BAD("\"\\u12\"");
	BAD("\"\\u12");
	BAD("\"\\u\"");
	BAD("\"\\u12G4\"");
	BAD("\"\\u 123\"");
	BAD("\"\\");
	BAD("\"\\\"");
	BAD("\"\\\t\"");
	GOOD("\"\\u0041\"", "\"\\u0041\"", JS_STRING);
	GOOD("\"\\uabcd\\uABCD\\uFfFf\"", "\"\\uabcd\\uABCD\\uFfFf\"",
	    JS_STRING);
	GOOD("\"\\u0001\"", "\"\\u0001\"", JS_STRING);

	/* Surrogates: only in pairs, high then low. */
	BAD("\"\\uD800\"");
	BAD("\"\\uDBFF\"");
	BAD("\"\\uDC00\"");
	BAD("\"\\uDFFF\"");
	BAD("\"\\uD800\\u0041\"");
	BAD("\"\\uD800\\uD800\"");
	BAD("\"\\uD800\\uDBFF\"");
	BAD("\"\\uD800\\uE000\"");
	BAD("\"\\uDBFF\\uFFFF\"");
	BAD("\"\\uDE00\\uD83D\"");
	BAD("\"\\uD800x\"");
	BAD("\"\\uD800\\n\"");
	BAD("\"\\uD800\\\"");
	BAD("\"\\uD800\\u12\"");
	BAD("\"\\uD800\\uDC0G\"");
	GOOD("\"\\uD83D\\uDE00\"", "\"\\uD83D\\uDE00\"", JS_STRING);
	GOOD("\"\\uD800\\uDC00\"", "\"\\uD800\\uDC00\"", JS_STRING);
	GOOD("\"\\uDBFF\\uDFFF\"", "\"\\uDBFF\\uDFFF\"", JS_STRING);
	GOOD("\"\\ud83d\\ude00\"", "\"\\ud83d\\ude00\"", JS_STRING);

	/* \u0000: not without JSON_ALLOW_NUL, nor in a key. */
	BAD("\"\\u0000\"");
	BAD("\"a\\u0000b\"");
	BAD("[\"\\u0000\"]");
	BAD("{\"a\\u0000\":1}");
	BAD("{\"a\":\"\\u0000\"}");
}

static void
test_utf8(void)
{
	GOOD("\"\xc3\xa9\"", "\"\xc3\xa9\"", JS_STRING);
	GOOD("\"\xc2\x80\"", "\"\xc2\x80\"", JS_STRING);
	GOOD("\"\xdf\xbf\"", "\"\xdf\xbf\"", JS_STRING);
	GOOD("\"\xe0\xa0\x80\"", "\"\xe0\xa0\x80\"", JS_STRING);
	GOOD("\"\xe2\x82\xac\"", "\"\xe2\x82\xac\"", JS_STRING);
	GOOD("\"\xed\x9f\xbf\"", "\"\xed\x9f\xbf\"", JS_STRING);
	GOOD("\"\xee\x80\x80\"", "\"\xee\x80\x80\"", JS_STRING);
	GOOD("\"\xef\xbf\xbf\"", "\"\xef\xbf\xbf\"", JS_STRING);
	GOOD("\"\xf0\x90\x80\x80\"", "\"\xf0\x90\x80\x80\"", JS_STRING);
	GOOD("\"\xf0\x9f\x98\x80\"", "\"\xf0\x9f\x98\x80\"", JS_STRING);
	GOOD("\"\xf4\x8f\xbf\xbf\"", "\"\xf4\x8f\xbf\xbf\"", JS_STRING);
	GOOD("{\"\xc3\xa9t\xc3\xa9\":\"\xe6\x97\xa5\xe6\x9c\xac\"}",
	    "{\"\xc3\xa9t\xc3\xa9\":\"\xe6\x97\xa5\xe6\x9c\xac\"}",
	    JS_OBJECT);

	BAD("\"\xc0\x80\"");		/* overlong NUL */
	BAD("\"\xc1\xbf\"");		/* overlong */
	BAD("\"\xe0\x80\x80\"");	/* overlong */
	BAD("\"\xe0\x9f\xbf\"");	/* overlong */
	BAD("\"\xf0\x80\x80\x80\"");	/* overlong */
	BAD("\"\xf0\x8f\xbf\xbf\"");	/* overlong */
	BAD("\"\xed\xa0\x80\"");	/* U+D800 */
	BAD("\"\xed\xbf\xbf\"");	/* U+DFFF */
	BAD("\"\xed\xa0\xbd\xed\xb8\x80\"");	/* CESU-8 pair */
	BAD("\"\xf4\x90\x80\x80\"");	/* U+110000 */
	BAD("\"\xf5\x80\x80\x80\"");
	BAD("\"\xf7\xbf\xbf\xbf\"");
	BAD("\"\xf8\x88\x80\x80\x80\"");
	BAD("\"\xfc\x84\x80\x80\x80\x80\"");
	BAD("\"\xfe\"");
	BAD("\"\xff\"");
	BAD("\"\x80\"");		/* lone continuation */
	BAD("\"\xbf\"");
	BAD("\"a\x80" "b\"");
	BAD("\"\xc3\"");		/* truncated */
	BAD("\"\xc3");
	BAD("\"\xe2\x82\"");
	BAD("\"\xe2\x82");
	BAD("\"\xf0\x9f\x98\"");
	BAD("\"\xf0\x9f\x98");
	BAD("\"\xc3" "a\"");		/* not a continuation */
	BAD("\"\xe2\x82" "a\"");
	BAD("\"\xc3\xc3\xa9\"");
	BAD("\"\xc3\xa9\xa9\"");	/* one continuation too many */
	BAD("{\"\xc0\x80\":1}");
	BAD("[\"\xed\xa0\x80\"]");
	BAD("\xc3\xa9");		/* UTF-8 outside a string */
	BAD("[\xc3\xa9]");
}

static void
test_numbers(void)
{
	GOOD("9223372036854775807", "9223372036854775807", JS_NUMBER);
	GOOD("-9223372036854775808", "-9223372036854775808", JS_NUMBER);
	GOOD("[9223372036854775807,-9223372036854775808]",
	    "[9223372036854775807,-9223372036854775808]", JS_ARRAY);
	BAD("9223372036854775808");
	BAD("-9223372036854775809");
	BAD("18446744073709551616");
	BAD("99999999999999999999999999");
	BAD("-99999999999999999999999999");
	BAD("[9223372036854775808]");
	BAD("{\"a\":-9223372036854775809}");
	/* As a real it fits. */
	GOOD("9223372036854775808.0", "9223372036854775808.0", JS_NUMBER);
	GOOD("9223372036854775808e0", "9223372036854775808e0", JS_NUMBER);
	GOOD("0.5e1", "0.5e1", JS_NUMBER);
	GOOD("1.5e300", "1.5e300", JS_NUMBER);
	GOOD("1.7976931348623157e308", "1.7976931348623157e308", JS_NUMBER);
	GOOD("4.9e-324", "4.9e-324", JS_NUMBER);
	GOOD("0e0", "0e0", JS_NUMBER);
	GOOD("0E-0", "0E-0", JS_NUMBER);
	GOOD("1e0000000000000000000001", "1e0000000000000000000001",
	    JS_NUMBER);
}

/* Where jansson is not the reference (see the top). */
static void
test_quirks(void)
{
	static const char	*over[] = {
		"1e999", "-1e999", "1.8e308", "[1e400]", "{\"a\":-2E+500}"
	};
	struct jspan		 v;
	json_t			*k;
	size_t			 i;
	int			 r;

	for (i = 0; i < sizeof(over) / sizeof(over[0]); i++) {
		T(!janssons(over[i], strlen(over[i]), NULL, NULL),
		    "jansson rejects a real that overflows: %s", over[i]);
		r = jscan_parse(over[i], strlen(over[i]), &v);
		printf("# jscan %s %s\n", r == 0 ? "accepts" : "rejects",
		    over[i]);
		T((r == -1 && span_empty(&v)) ||
		    (r == 0 && span_is(&v, over[i])),
		    "real overflow %s: rejected, or accepted whole", over[i]);
		k = jscan_json(&v);
		json_decref(k);
	}

	T(janssons("1\0", 2, NULL, NULL) && janssons("[true\0]", 7, NULL, NULL)
	    && !janssons("1\0\0", 3, NULL, NULL),
	    "jansson drops a NUL right after a number or literal");
	r = jscan_parse("1\0", 2, &v);
	printf("# jscan %s \"1\\0\"\n", r == 0 ? "accepts" : "rejects");
	T((r == -1 && span_empty(&v)) || (r == 0 && span_is(&v, "1")),
	    "\"1\\0\": rejected, or the span \"1\"");
	r = jscan_parse("[true\0]", 7, &v);
	T(r == -1 || (r == 0 && v.js_len == 7),
	    "\"[true\\0]\": rejected, or the whole array");
}

/* n times open, then inner, then n times close. */
static void
nest(struct buf *b, int n, const char *open, const char *inner,
    const char *close)
{
	int	 i;

	memset(b, 0, sizeof(*b));
	for (i = 0; i < n; i++)
		bputs(b, open);
	bputs(b, inner);
	for (i = 0; i < n; i++)
		bputs(b, close);
}

static void
test_depth(void)
{
	static const struct {
		const char	*open, *inner, *close;
	} kinds[] = {
		{ "[", "", "]" },
		{ "[", "1", "]" },
		{ "[", "{}", "]" },
		{ "{\"a\":", "1", "}" },
		{ "{\"a\":", "{}", "}" },
		{ "{\"a\":", "[]", "}" },
		{ "[{\"a\":", "0", "}]" },
		{ " [ ", " \"x\" ", " ] " },
	};
	static const int	 depths[] = {
		1, 2, 100, 1023, 1024, 2046, 2047, 2048, 2049, 2050, 4096
	};
	struct buf		 b;
	struct jspan		 v;
	size_t			 k, d;
	int			 js, jn, n;

	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		for (d = 0; d < sizeof(depths) / sizeof(depths[0]); d++) {
			n = depths[d];
			if (kinds[k].open[0] == '[' && kinds[k].open[1] == '{')
				n /= 2;
			nest(&b, n, kinds[k].open, kinds[k].inner,
			    kinds[k].close);
			jn = janssons(b.p, b.len, NULL, NULL);
			js = jscan_parse(b.p, b.len, &v) == 0;
			T(js == jn, "depth: %d x %s%s%s: %s as jansson",
			    n, kinds[k].open, kinds[k].inner, kinds[k].close,
			    jn ? "accepted" : "rejected");
			free(b.p);
		}
	}

	/* What jansson 2.14 does here, said once outright. */
	nest(&b, 2048, "[", "", "]");
	T(jscan_parse(b.p, b.len, &v) == 0 && v.js_len == b.len,
	    "depth: 2048 nested arrays accepted");
	free(b.p);
	nest(&b, 2049, "[", "", "]");
	T(jscan_parse(b.p, b.len, &v) == -1 && span_empty(&v),
	    "depth: 2049 nested arrays rejected");
	free(b.p);
	nest(&b, 2047, "[", "1", "]");
	T(jscan_parse(b.p, b.len, &v) == 0,
	    "depth: 1 in 2047 arrays accepted");
	free(b.p);
	nest(&b, 2048, "[", "1", "]");
	T(jscan_parse(b.p, b.len, &v) == -1,
	    "depth: 1 in 2048 arrays rejected (the 1 is the 2049th level)");
	free(b.p);

	/* Deep within lookups. */
	nest(&b, 2047, "{\"a\":", "7", "}");
	{
		struct jspan	 o, x;
		int		 i, ok = 1;

		T(jscan_parse(b.p, b.len, &o) == 0, "depth: 2047 objects");
		for (i = 0; i < 2046 && ok; i++) {
			ok = jscan_get(&o, "a", &x) == 0 &&
			    jscan_type(&x) == JS_OBJECT;
			o = x;
		}
		T(ok && jscan_get(&o, "a", &x) == 0 && span_is(&x, "7"),
		    "depth: jscan_get down 2047 objects finds 7");
	}
	free(b.p);

	/* Far too deep, open or closed: no stack to overflow. */
	nest(&b, 200000, "[", "", "]");
	T(jscan_parse(b.p, b.len, &v) == -1, "depth: 200000 arrays rejected");
	T(jscan_parse(b.p, b.len / 2, &v) == -1,
	    "depth: 200000 unclosed arrays rejected");
	free(b.p);
	nest(&b, 100000, "{\"\":", "0", "}");
	T(jscan_parse(b.p, b.len, &v) == -1, "depth: 100000 objects rejected");
	free(b.p);
}

/* Only len bytes are read, never one more. */
static void
test_len(void)
{
	static const struct {
		const char	*text;
		size_t		 len;
		int		 ok;
	} cases[] = {
		{ "123", 2, 1 },
		{ "truex", 4, 1 },
		{ "true", 3, 0 },
		{ "{\"a\":1}garbage", 7, 1 },
		{ "{\"a\":1}", 6, 0 },
		{ "\"ab\"", 3, 0 },
		{ "\"ab\"", 1, 0 },
		{ "[1,2]", 4, 0 },
		{ "1.5", 2, 0 },
		{ "1e5", 2, 0 },
		{ "-1", 1, 0 },
		{ "\"\\u0041\"", 6, 0 },
		{ "\"\\uD83D\\uDE00\"", 8, 0 },
		{ "\"\\uD83D\\uDE00\"", 12, 0 },
		{ "\"\xe2\x82\xac\"", 3, 0 },
		{ "[1] ", 3, 1 },
		{ "nullx", 4, 1 },
		{ "0", 0, 0 },
	};
	struct jspan	 v;
	size_t		 i;
	char		*d;
	int		 r, jn;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		d = dup_exact(cases[i].text, cases[i].len);
		r = jscan_parse(d, cases[i].len, &v);
		jn = janssons(d, cases[i].len, NULL, NULL);
		T((r == 0) == cases[i].ok && jn == cases[i].ok &&
		    (r != 0 || (v.js_p == d && v.js_len == cases[i].len)),
		    "length: the first %zu bytes of %s %s", cases[i].len,
		    esc(cases[i].text), cases[i].ok ? "accepted" : "rejected");
		free(d);
	}
}

/* Of the object doc, key's value is want (NULL: absent). */
static void
get1(const char *doc, size_t len, const char *key, const char *want)
{
	struct jspan	 r, v;
	char		*d;
	int		 ok;

	d = dup_exact(doc, len);
	ok = jscan_parse(d, len, &r) == 0;
	if (want == NULL)
		ok = ok && jscan_get(&r, key, &v) == -1 && span_empty(&v);
	else
		ok = ok && jscan_get(&r, key, &v) == 0 && span_is(&v, want);
	T(ok, "get: %s [%s] -> %s", esc(doc), esc(key),
	    want == NULL ? "absent" : esc(want));
	free(d);
}

static void
test_get(void)
{
	const char	 doc[] = " {\"id\":\"chatcmpl-1\", \"usage\" : "
	    "{\"prompt_tokens\":10,\"completion_tokens\":20, "
	    "\"total_tokens\":30},\n\"choices\":[{\"index\":0,"
	    "\"message\":{\"role\":\"assistant\",\"content\":\"hi\"}}],"
	    "\"n\":null,\"t\":true,\"f\":false,\"x\":-1.5e3,\"e\":{},"
	    "\"a\":[]} ";
	struct jspan	 root, v, u, w;
	char		*d;

	d = dup_exact(doc, sizeof(doc) - 1);
	T(jscan_parse(d, sizeof(doc) - 1, &root) == 0, "get: the document");
	T(jscan_get(&root, "id", &v) == 0 && span_is(&v, "\"chatcmpl-1\""),
	    "get: a string member, quotes included");
	T(jscan_get(&root, "usage", &u) == 0 && span_is(&u,
	    "{\"prompt_tokens\":10,\"completion_tokens\":20, "
	    "\"total_tokens\":30}"), "get: an object member, exact span");
	T(jscan_get(&u, "prompt_tokens", &v) == 0 && span_is(&v, "10"),
	    "get: nested prompt_tokens");
	T(jscan_get(&u, "completion_tokens", &v) == 0 && span_is(&v, "20"),
	    "get: nested completion_tokens");
	T(jscan_get(&u, "total_tokens", &v) == 0 && span_is(&v, "30"),
	    "get: the last member of an object");
	T(jscan_get(&root, "choices", &v) == 0 && span_is(&v,
	    "[{\"index\":0,\"message\":{\"role\":\"assistant\","
	    "\"content\":\"hi\"}}]"), "get: an array member, exact span");
	w.js_p = NULL;
	w.js_len = 0;
	T(jscan_next(&v, &w) == 1 &&
	    jscan_get(&w, "message", &u) == 0 &&
	    jscan_get(&u, "content", &v) == 0 && span_is(&v, "\"hi\""),
	    "get: choices[0].message.content");
	T(jscan_get(&root, "n", &v) == 0 && span_is(&v, "null") &&
	    jscan_type(&v) == JS_NULL, "get: null member");
	T(jscan_get(&root, "t", &v) == 0 && span_is(&v, "true"),
	    "get: true member");
	T(jscan_get(&root, "f", &v) == 0 && span_is(&v, "false"),
	    "get: false member");
	T(jscan_get(&root, "x", &v) == 0 && span_is(&v, "-1.5e3"),
	    "get: real member");
	T(jscan_get(&root, "e", &v) == 0 && span_is(&v, "{}"),
	    "get: empty object member");
	T(jscan_get(&root, "a", &v) == 0 && span_is(&v, "[]"),
	    "get: empty array member, last in the object");
	v.js_p = d;
	v.js_len = 3;
	T(jscan_get(&root, "model", &v) == -1 && span_empty(&v),
	    "get: absent key: -1, empty span");
	T(jscan_get(&root, "", &v) == -1 && span_empty(&v),
	    "get: absent empty key");
	T(jscan_get(&root, "prompt_tokens", &v) == -1 && span_empty(&v),
	    "get: a key of a nested object is not the root's");
	T(jscan_get(&root, "role", &v) == -1, "get: nor one deeper");
	T(jscan_get(&root, "i", &v) == -1 && jscan_get(&root, "idx", &v) == -1
	    && jscan_get(&root, "ID", &v) == -1,
	    "get: prefix, longer, other case: absent");
	free(d);

#define GET(doc, key, want)	get1(doc, sizeof(doc) - 1, key, want)

	GET("{\"a\":1,\"a\":2}", "a", "2");
	GET("{\"a\":1,\"b\":3,\"a\":[2]}", "a", "[2]");
	GET("{\"a\":{\"x\":1},\"b\":0,\"a\":\"s\",\"c\":1}", "a", "\"s\"");
	GET("{\"a\":1,\"a\":2,\"a\":3}", "a", "3");
	GET("{\"a\\u0062\":1}", "ab", "1");
	GET("{\"a\\u0062\":1}", "a\\u0062", NULL);
	GET("{\"\\u0061b\":1,\"ab\":2}", "ab", "2");
	GET("{\"ab\":2,\"\\u0061\\u0062\":1}", "ab", "1");
	GET("{\"a\\\"b\":1}", "a\"b", "1");
	GET("{\"a\\\\b\":1}", "a\\b", "1");
	GET("{\"a\\/b\":1}", "a/b", "1");
	GET("{\"a\\nb\":1}", "a\nb", "1");
	GET("{\"a\\tb\":1}", "a\tb", "1");
	GET("{\"\\u00e9\":1}", "\xc3\xa9", "1");
	GET("{\"\xc3\xa9\":1}", "\xc3\xa9", "1");
	GET("{\"\\uD83D\\uDE00\":1}", "\xf0\x9f\x98\x80", "1");
	GET("{\"\\u00e9\":1}", "\xc3", NULL);
	GET("{\"\":5}", "", "5");
	GET("{\"\":5,\"a\":6}", "a", "6");
	GET("{\"abc\":1}", "ab", NULL);
	GET("{\"ab\":1}", "abc", NULL);
	GET("{}", "a", NULL);
	GET("{ }", "", NULL);
	GET("{ \"a\" : 1 , \"b\" : 2 }", "a", "1");
	GET("{ \"a\" : 1 , \"b\" : 2 }", "b", "2");
	GET("{\"a\"\t:\n\"v\"\r}", "a", "\"v\"");
	GET("{\"a\":\"x\\\"y\",\"b\":2}", "a", "\"x\\\"y\"");
	GET("{\"a\":\"x\\\"y\",\"b\":2}", "b", "2");
	GET("{\"a\":\"x\\\\\",\"b\":2}", "b", "2");
	GET("{\"a\":\"}]\",\"b\":1}", "b", "1");
	GET("{\"a\":\"{[\",\"b\":1}", "b", "1");
	GET("{\"a\":\",\\\"b\\\":9\",\"b\":1}", "b", "1");

	/* The same name deeper must not be taken for a member. */
	GET("{\"x\":{\"a\":1},\"a\":2}", "a", "2");
	GET("{\"a\":2,\"x\":{\"a\":1}}", "a", "2");
	GET("{\"x\":{\"a\":1}}", "a", NULL);
	GET("{\"x\":[\"a\",{\"a\":1}],\"y\":\"a\"}", "a", NULL);
	GET("{\"x\":\"\\\"a\\\":1\"}", "a", NULL);
	GET("{\"x\":\"a\"}", "a", NULL);
	GET("{\"a\":{\"a\":{\"a\":3}}}", "a", "{\"a\":{\"a\":3}}");
	GET("{\"x\":{\"a\":{\"a\":3}},\"a\":{\"a\":4}}", "a", "{\"a\":4}");
	GET("{\"x\":[[{\"a\":1}],{\"a\":2}],\"b\":{\"a\":3}}", "a", NULL);
	GET("{\"a\":[{\"a\":1}],\"b\":{\"a\":3}}", "a", "[{\"a\":1}]");

	/* Not an object: -1 and an empty span. */
	GET("[\"a\",1]", "a", NULL);
	GET("[{\"a\":1}]", "a", NULL);
	GET("\"a\"", "a", NULL);
	GET("\"{\\\"a\\\":1}\"", "a", NULL);
	GET("1", "a", NULL);
	GET("true", "a", NULL);
	GET("null", "a", NULL);
#undef GET
	{
		struct jspan	 e = { NULL, 0 }, x;

		x.js_p = "x";
		x.js_len = 1;
		T(jscan_get(&e, "a", &x) == -1 && span_empty(&x),
		    "get: on an empty span: -1, empty span");
	}
}

static void
test_next(void)
{
	static const char	*want[] = {
		"1", "\"a\"", "{\"b\":[2]}", "[]"
	};
	const char		 s1[] = "[1,\"a\",{\"b\":[2]},[]]";
	struct jspan		 a, it, e = { NULL, 0 };
	size_t			 n;
	char			*d;
	int			 ok;

	d = dup_exact(s1, sizeof(s1) - 1);

	T(jscan_parse(d, sizeof(s1) - 1, &a) == 0, "next: the array");
	it.js_p = NULL;
	it.js_len = 0;
	for (n = 0, ok = 1; jscan_next(&a, &it) == 1; n++)
		ok = ok && n < 4 && span_is(&it, want[n]);
	T(ok && n == 4, "next: [1,\"a\",{\"b\":[2]},[]]: 4 exact spans");
	free(d);

#define NEXT(doc, ...) do {						\
	static const char *w_[] = { __VA_ARGS__ };			\
	struct jspan	 a_, i_ = { NULL, 0 };				\
	char		*d_ = dup_exact(doc, sizeof(doc) - 1);		\
	size_t		 n_ = 0, c_ = sizeof(w_) / sizeof(w_[0]) - 1;	\
	int		 ok_;						\
	ok_ = jscan_parse(d_, sizeof(doc) - 1, &a_) == 0;		\
	while (ok_ && jscan_next(&a_, &i_) == 1) {			\
		ok_ = n_ < c_ && span_is(&i_, w_[n_ + 1]);		\
		n_++;							\
	}								\
	T(ok_ && n_ == c_, "next: %s: %zu elements", esc(doc), c_);		\
	free(d_);							\
} while (0)

	NEXT("[]", "");
	NEXT("[ ]", "");
	NEXT(" [ \n\t\r ] ", "");
	NEXT("[1]", "", "1");
	NEXT("[ 1 , 2 ]", "", "1", "2");
	NEXT("[\n\"a\"\n,\n\"b\"\n]", "", "\"a\"", "\"b\"");
	NEXT("[\"a,b\",\"]\",\"[\",\"\\\"\",\"\\\\\"]", "", "\"a,b\"",
	    "\"]\"", "\"[\"", "\"\\\"\"", "\"\\\\\"");
	NEXT("[[1,2],[3]]", "", "[1,2]", "[3]");
	NEXT("[[[]],{}]", "", "[[]]", "{}");
	NEXT("[{\"a\":[1,{\"b\":\"]\"}]},null]", "",
	    "{\"a\":[1,{\"b\":\"]\"}]}", "null");
	NEXT("[true,false,null,-0.5e-3,0]", "", "true", "false", "null",
	    "-0.5e-3", "0");
	NEXT("[\"\xc3\xa9\",\"\\u00e9\"]", "", "\"\xc3\xa9\"",
	    "\"\\u00e9\"");

	/* Not an array: 0 at once. */
#define NOTARRAY(doc) do {						\
	struct jspan	 a_, i_ = { NULL, 0 };				\
	T(jscan_parse(doc, sizeof(doc) - 1, &a_) == 0 &&		\
	    jscan_next(&a_, &i_) == 0, "next: %s is no array", esc(doc));	\
} while (0)
	NOTARRAY("{}");
	NOTARRAY("{\"a\":[1]}");
	NOTARRAY("\"[1,2]\"");
	NOTARRAY("1");
	NOTARRAY("null");
#undef NOTARRAY
#undef NEXT
	it.js_p = NULL;
	it.js_len = 0;
	T(jscan_next(&e, &it) == 0, "next: on an empty span: 0");
}

static void
test_getv(void)
{
	const char	 doc[] = "{\"total_tokens\":30,\"x\":{\"prompt_tokens\":"
	    "1},\"prompt_tokens\":10, \"completion_tokens\" : 20 ,"
	    "\"prompt_tokens\":11,\"a\\u0062\":\"s\"}";
	const char	*keys[] = { "prompt_tokens", "completion_tokens",
	    "absent", "total_tokens", "ab", NULL };
	const char	*none[] = { NULL };
	const char	*many[JSCAN_GETV_MAX + 2];
	char		 names[JSCAN_GETV_MAX + 1][8];
	struct jspan	 o, v[JSCAN_GETV_MAX + 1], e = { NULL, 0 };
	char		*d;
	size_t		 i;
	int		 ok;

	d = dup_exact(doc, sizeof(doc) - 1);
	T(jscan_parse(d, sizeof(doc) - 1, &o) == 0, "getv: the document");
	for (i = 0; i < 6; i++) {
		v[i].js_p = d;
		v[i].js_len = 1;
	}
	T(jscan_getv(&o, keys, v) == 4, "getv: 4 of 5 keys found");
	T(span_is(&v[0], "11"), "getv: the last of a duplicate key, not "
	    "the nested one");
	T(span_is(&v[1], "20"), "getv: a value with white space around it");
	T(span_empty(&v[2]), "getv: an absent key's value is empty");
	T(span_is(&v[3], "30"), "getv: in the keys' order, not the text's");
	T(span_is(&v[4], "\"s\""), "getv: an escaped key");
	T(v[5].js_p == d && v[5].js_len == 1,
	    "getv: nothing written past the keys");
	for (i = 0, ok = 1; keys[i] != NULL; i++) {
		struct jspan	 g;
		int		 r;

		r = jscan_get(&o, keys[i], &g);
		ok = ok && (r == 0 ? v[i].js_p == g.js_p &&
		    v[i].js_len == g.js_len : span_empty(&v[i]));
	}
	T(ok, "getv: as jscan_get() one by one");
	T(jscan_getv(&o, none, v) == 0, "getv: no keys: 0");

	/* At most JSCAN_GETV_MAX keys. */
	for (i = 0; i <= JSCAN_GETV_MAX; i++) {
		(void)snprintf(names[i], sizeof(names[i]), "k%zu", i);
		many[i] = names[i];
	}
	many[JSCAN_GETV_MAX] = NULL;
	T(jscan_getv(&o, many, v) == 0, "getv: JSCAN_GETV_MAX keys");
	many[JSCAN_GETV_MAX - 1] = "ab";
	T(jscan_getv(&o, many, v) == 1 &&
	    span_is(&v[JSCAN_GETV_MAX - 1], "\"s\""),
	    "getv: the last of JSCAN_GETV_MAX keys found");
	many[JSCAN_GETV_MAX] = names[JSCAN_GETV_MAX];
	many[JSCAN_GETV_MAX + 1] = NULL;
	T(jscan_getv(&o, many, v) == -1, "getv: one key too many: -1");
	free(d);

	/* Not an object: 0, every value empty. */
	{
		static const char	*docs[] = { "[{\"a\":1}]", "\"a\"", "1",
		    "null", "{}" };
		const char		*ka[] = { "a", "b", NULL };
		struct jspan		 x;

		for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
			v[0].js_p = v[1].js_p = "junk";
			v[0].js_len = v[1].js_len = 4;
			T(jscan_parse(docs[i], strlen(docs[i]), &x) == 0 &&
			    jscan_getv(&x, ka, v) == 0 && span_empty(&v[0]) &&
			    span_empty(&v[1]), "getv: %s: 0, values empty",
			    esc(docs[i]));
		}
		v[0].js_p = "junk";
		T(jscan_getv(&e, ka, v) == 0 && span_empty(&v[0]) &&
		    span_empty(&v[1]), "getv: empty span: 0, values empty");
	}
}

static void
test_strlen(void)
{
#define SL(doc, n) do {							\
	struct jspan	 v_;						\
	char		*d_ = dup_exact(doc, sizeof(doc) - 1);		\
	T(jscan_parse(d_, sizeof(doc) - 1, &v_) == 0 &&			\
	    jscan_strlen(&v_) == (n), "strlen: %s is %d", esc(doc), n);	\
	free(d_);							\
} while (0)
	SL("\"\"", 0);
	SL("\"abc\"", 3);
	SL(" \"abc\" ", 3);
	SL("\"a\\nb\"", 3);
	SL("\"\\n\"", 1);
	SL("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", 8);
	SL("\"\\u0041\"", 1);
	SL("\"\\u007f\"", 1);
	SL("\"\\u0080\"", 2);
	SL("\"\\u00e9\"", 2);
	SL("\"\\u07FF\"", 2);
	SL("\"\\u0800\"", 3);
	SL("\"\\u20ac\"", 3);
	SL("\"\\uFFFF\"", 3);
	SL("\"\\uD83D\\uDE00\"", 4);
	SL("\"\\uDBFF\\uDFFF\"", 4);
	SL("\"\xc3\xa9\"", 2);
	SL("\"\xe2\x82\xac\"", 3);
	SL("\"\xf0\x9f\x98\x80\"", 4);
	SL("\"a\\u00e9b\\u20acc\\uD83D\\uDE00d\\n\"", 14);
	SL("1", 0);
	SL("[]", 0);
	SL("[\"abc\"]", 0);
	SL("{\"a\":\"b\"}", 0);
	SL("null", 0);
	SL("true", 0);
#undef SL
	{
		struct jspan	 e = { NULL, 0 };

		T(jscan_strlen(&e) == 0, "strlen: empty span is 0");
	}
}

/*
 * jscan_strlcpy() of v into buffers of every size up to len + 2 does
 * what strlcpy(3) does with the decoded string want.
 */
static int
strlcpy_agrees(const struct jspan *v, const char *want, size_t len)
{
	char	*a, *b;
	size_t	 size, ra, rb;
	int	 ok = 1;

	if ((a = malloc(len + 3)) == NULL || (b = malloc(len + 3)) == NULL)
		abort();
	for (size = 0; size <= len + 2 && ok; size++) {
		memset(a, 'Z', len + 3);
		memset(b, 'Z', len + 3);
		ra = jscan_strlcpy(v, a, size);
		rb = strlcpy(b, want, size);
		ok = ra == rb && memcmp(a, b, len + 3) == 0;
	}
	free(a);
	free(b);
	return (ok);
}

static void
test_strlcpy(void)
{
	static const struct {
		const char	*text, *want;
	} cases[] = {
		{ "\"\"", "" },
		{ "\"abc\"", "abc" },
		{ "\"a\\nb\"", "a\nb" },
		{ "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t" },
		{ "\"\\u00e9t\\u00E9\"", "\xc3\xa9t\xc3\xa9" },
		{ "\"\\u20ac\\uD83D\\uDE00!\"", "\xe2\x82\xac\xf0\x9f\x98\x80!" },
		{ "\"\xc3\xa9\xe6\x97\xa5\"", "\xc3\xa9\xe6\x97\xa5" },
		{ "\"\\u0001\\u007f\"", "\x01\x7f" },
		{ "\"a\\u0062c\"", "abc" },
	};
	struct jspan	 v, e = { NULL, 0 };
	char		 buf[8];
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		T(jscan_parse(cases[i].text, strlen(cases[i].text), &v) == 0 &&
		    strlcpy_agrees(&v, cases[i].want, strlen(cases[i].want)),
		    "strlcpy: %s, into buffers of every size, as strlcpy(3)",
		    esc(cases[i].text));
	}
	T(jscan_parse("\"abcdef\"", 8, &v) == 0 &&
	    jscan_strlcpy(&v, buf, 4) == 6 && strcmp(buf, "abc") == 0,
	    "strlcpy: truncated, NUL-terminated, the whole length returned");
	memcpy(buf, "xyz", 4);
	T(jscan_strlcpy(&v, buf, 0) == 6 && strcmp(buf, "xyz") == 0,
	    "strlcpy: size 0 writes nothing");
	memcpy(buf, "xyz", 4);
	T(jscan_parse("[\"a\"]", 5, &v) == 0 &&
	    jscan_strlcpy(&v, buf, sizeof(buf)) == 0 && buf[0] == '\0',
	    "strlcpy: not a string: 0, an empty string");
	memcpy(buf, "xyz", 4);
	T(jscan_parse("12", 2, &v) == 0 &&
	    jscan_strlcpy(&v, buf, sizeof(buf)) == 0 && buf[0] == '\0',
	    "strlcpy: a number: 0, an empty string");
	memcpy(buf, "xyz", 4);
	T(jscan_strlcpy(&e, buf, sizeof(buf)) == 0 && buf[0] == '\0',
	    "strlcpy: empty span: 0, an empty string");
}

static void
test_streq(void)
{
#define SE(doc, s, want) do {						\
	struct jspan	 v_;						\
	char		*d_ = dup_exact(doc, sizeof(doc) - 1);		\
	T(jscan_parse(d_, sizeof(doc) - 1, &v_) == 0 &&			\
	    jscan_streq(&v_, s) == (want), "streq: %s %s %s", esc(doc),	\
	    (want) ? "==" : "!=", esc(s));					\
	free(d_);							\
} while (0)
	SE("\"abc\"", "abc", 1);
	SE("\"abc\"", "ab", 0);
	SE("\"abc\"", "abcd", 0);
	SE("\"abc\"", "abd", 0);
	SE("\"abc\"", "", 0);
	SE("\"abc\"", "ABC", 0);
	SE("\"ab\"", "abc", 0);
	SE("\"\"", "", 1);
	SE("\"\"", "a", 0);
	SE("\"a\\u0062c\"", "abc", 1);
	SE("\"a\\u0062c\"", "a\\u0062c", 0);
	SE("\"\\u00e9\"", "\xc3\xa9", 1);
	SE("\"\xc3\xa9\"", "\xc3\xa9", 1);
	SE("\"\\u00e9\"", "\xc3", 0);
	SE("\"\\u00e9\"", "\xc3\xa9x", 0);
	SE("\"\\n\"", "\n", 1);
	SE("\"\\\\n\"", "\\n", 1);
	SE("\"\\\\n\"", "\n", 0);
	SE("\"\\/\"", "/", 1);
	SE("\"\\\"q\\\"\"", "\"q\"", 1);
	SE("\"\\uD83D\\uDE00\"", "\xf0\x9f\x98\x80", 1);
	SE("\"\\uD83D\\uDE00\"", "\xf0\x9f\x98", 0);
	SE("\"stop\"", "stop", 1);
	SE("\"end_turn\"", "end_turn", 1);
	SE("1", "1", 0);
	SE("true", "true", 0);
	SE("null", "null", 0);
	SE("[\"a\"]", "a", 0);
	SE("{\"a\":1}", "a", 0);
#undef SE
	{
		struct jspan	 e = { NULL, 0 };

		T(jscan_streq(&e, "") == 0, "streq: empty span equals nothing");
	}
}

static void
test_int(void)
{
#define IN(doc, want) do {						\
	struct jspan	 v_;						\
	int64_t		 n_ = 12345;					\
	T(jscan_parse(doc, sizeof(doc) - 1, &v_) == 0 &&		\
	    jscan_int(&v_, &n_) == 0 && n_ == (want),			\
	    "int: %s is %" PRId64, doc, (int64_t)(want));		\
} while (0)
#define NOTINT(doc) do {						\
	struct jspan	 v_;						\
	int64_t		 n_;						\
	T(jscan_parse(doc, sizeof(doc) - 1, &v_) == 0 &&		\
	    jscan_int(&v_, &n_) == -1, "int: %s is no integer", doc);	\
} while (0)
	IN("0", 0);
	IN("-0", 0);
	IN("7", 7);
	IN(" 42 ", 42);
	IN("-42", -42);
	IN("1000000", 1000000);
	IN("4294967296", INT64_C(4294967296));
	IN("-4294967297", INT64_C(-4294967297));
	IN("9223372036854775807", INT64_MAX);
	IN("-9223372036854775808", INT64_MIN);
	IN("9223372036854775806", INT64_MAX - 1);
	IN("-9223372036854775807", INT64_MIN + 1);
	NOTINT("1.0");
	NOTINT("0.0");
	NOTINT("1e2");
	NOTINT("1E2");
	NOTINT("1e0");
	NOTINT("-1.5");
	NOTINT("1.5e3");
	NOTINT("9223372036854775808.0");
	NOTINT("\"1\"");
	NOTINT("true");
	NOTINT("false");
	NOTINT("null");
	NOTINT("[1]");
	NOTINT("{\"a\":1}");
#undef IN
#undef NOTINT
	{
		struct jspan	 e = { NULL, 0 };
		int64_t		 n;

		T(jscan_int(&e, &n) == -1, "int: empty span: -1");
	}
}

static void
test_type(void)
{
	struct jspan	 e = { NULL, 0 };

	T(jscan_type(&e) == JS_NONE, "type: empty span is JS_NONE");
}

/*
 * jscan_getv() of jansson's keys (as many as it takes) and one absent
 * key finds what jscan_get() finds of each.
 */
static int
getv_agrees(const struct jspan *o, json_t *j)
{
	const char	*keys[JSCAN_GETV_MAX + 1], *key;
	struct jspan	 v[JSCAN_GETV_MAX], g;
	json_t		*x;
	size_t		 n = 0, i, found;

	json_object_foreach(j, key, x) {
		if (n == JSCAN_GETV_MAX - 1)
			break;
		keys[n++] = key;
	}
	found = n;
	if (json_object_get(j, "no such key \x7f") == NULL)
		keys[n++] = "no such key \x7f";
	keys[n] = NULL;
	if (jscan_getv(o, keys, v) != (int)found)
		return (0);
	for (i = 0; i < n; i++) {
		if (jscan_get(o, keys[i], &g) != (i < found ? 0 : -1) ||
		    v[i].js_p != g.js_p || v[i].js_len != g.js_len)
			return (0);
	}
	return (1);
}

/*
 * The span and jansson's tree agree, all the way down: types, every
 * member jansson has found by jscan_get(), every element in order by
 * jscan_next(), strings' lengths and contents, integers.
 */
static int
check_tree(const struct jspan *v, json_t *j)
{
	struct jspan	 m, it;
	json_t		*k, *x;
	const char	*key;
	size_t		 n;
	int64_t		 i;

	if ((k = jscan_json(v)) == NULL)
		return (0);
	n = json_equal(k, j);
	json_decref(k);
	if (!n)
		return (0);
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		it.js_p = NULL;
		it.js_len = 0;
		if (jscan_type(v) != JS_OBJECT || jscan_next(v, &it) != 0)
			return (0);
		json_object_foreach(j, key, x) {
			if (jscan_get(v, key, &m) != 0 || !check_tree(&m, x))
				return (0);
		}
		if (!getv_agrees(v, j) || !members_agree(v, j))
			return (0);
		break;
	case JSON_ARRAY:
		if (jscan_type(v) != JS_ARRAY || jscan_get(v, "", &m) != -1)
			return (0);
		it.js_p = NULL;
		it.js_len = 0;
		for (n = 0; jscan_next(v, &it) == 1; n++) {
			if (n >= json_array_size(j) ||
			    !check_tree(&it, json_array_get(j, n)))
				return (0);
		}
		if (n != json_array_size(j))
			return (0);
		break;
	case JSON_STRING:
		if (jscan_type(v) != JS_STRING ||
		    jscan_strlen(v) != json_string_length(j) ||
		    !jscan_streq(v, json_string_value(j)) ||
		    !strlcpy_agrees(v, json_string_value(j),
		    json_string_length(j)))
			return (0);
		break;
	case JSON_INTEGER:
		if (jscan_type(v) != JS_NUMBER || jscan_int(v, &i) != 0 ||
		    i != json_integer_value(j))
			return (0);
		break;
	case JSON_REAL:
		if (jscan_type(v) != JS_NUMBER || jscan_int(v, &i) != -1)
			return (0);
		break;
	case JSON_TRUE:
		return (jscan_type(v) == JS_TRUE);
	case JSON_FALSE:
		return (jscan_type(v) == JS_FALSE);
	case JSON_NULL:
		return (jscan_type(v) == JS_NULL);
	}
	if (json_typeof(j) != JSON_STRING && (jscan_strlen(v) != 0 ||
	    jscan_streq(v, "")))
		return (0);
	if (json_typeof(j) != JSON_OBJECT && (jscan_get(v, "", &m) != -1 ||
	    m.js_p != NULL || m.js_len != 0))
		return (0);
	return (1);
}

static void
test_json(void)
{
	static const char	*docs[] = {
		"{\"id\":\"x\",\"usage\":{\"prompt_tokens\":1}}",
		"[1,2.5,\"\\u00e9\",true,false,null,{},[]]",
		"\"a\\nb\\uD83D\\uDE00\"",
		"-9223372036854775808",
		"1.5e300",
		"{\"a\":1,\"a\":2}",
		" { \"k\" : [ { \"k\" : [ ] } ] } ",
	};
	struct jspan		 v, m, e = { NULL, 0 };
	json_t			*j, *k = NULL;
	size_t			 i;

	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		j = json_loads(docs[i], JSON_DECODE_ANY, NULL);
		T(j != NULL && jscan_parse(docs[i], strlen(docs[i]), &v) == 0
		    && check_tree(&v, j), "json: %s: the tree is jansson's",
		    esc(docs[i]));
		json_decref(j);
	}

	/* A member's tree, alone. */
	T(jscan_parse(docs[0], strlen(docs[0]), &v) == 0 &&
	    jscan_get(&v, "usage", &m) == 0 && (k = jscan_json(&m)) != NULL,
	    "json: a member's tree");
	j = json_loads("{\"prompt_tokens\":1}", 0, NULL);
	T(k != NULL && json_equal(j, k) && json_is_object(k) &&
	    json_integer_value(json_object_get(k, "prompt_tokens")) == 1,
	    "json: the member's tree is that member");
	json_decref(j);
	json_decref(k);

	T(jscan_json(&e) == NULL, "json: empty span: NULL");
	T(jscan_get(&v, "nothere", &m) == -1 && jscan_json(&m) == NULL,
	    "json: what was not found: NULL");
}

/* A small deterministic PRNG (xorshift32), the same run every time. */
static uint32_t	 rnd_state = 2463534242U;

static uint32_t
rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return (rnd_state);
}

#define PICK(a)	((a)[rnd() % (sizeof(a) / sizeof((a)[0]))])

static void
gen_ws(struct buf *b)
{
	static const char	*ws[] = { "", "", "", " ", "\n", "\t", "\r\n",
	    "  " };

	bputs(b, PICK(ws));
}

static void
gen_string(struct buf *b)
{
	static const char	*parts[] = {
		"a", "b", "key", " ", "\\n", "\\\"", "\\\\", "\\/", "\\t",
		"\\u0041", "\\u00e9", "\\u20AC", "\\uD83D\\uDE00", "\\uffff",
		"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\x7f",
		"prompt_tokens", "usage", "{", "}", "[", "]", ",", ":",
	};
	int			 n;

	bputs(b, "\"");
	for (n = rnd() % 5; n > 0; n--)
		bputs(b, PICK(parts));
	bputs(b, "\"");
}

static void
gen_number(struct buf *b)
{
	static const char	*nums[] = {
		"0", "-0", "1", "-1", "42", "1.5", "-0.25", "1e3", "1E-3",
		"2.5e+10", "9223372036854775807", "-9223372036854775808",
		"1e308", "123456789", "0.000001", "100",
	};

	bputs(b, PICK(nums));
}

/* A valid value, depth levels at most. */
static void
gen_value(struct buf *b, int depth)
{
	static const char	*keys[] = { "a", "b", "id", "usage", "",
	    "a\\u0062", "\\u00e9", "prompt_tokens", "choices" };
	int			 n, i, k;

	k = rnd() % (depth > 0 ? 8 : 6);
	gen_ws(b);
	switch (k) {
	case 0:
		gen_string(b);
		break;
	case 1:
	case 2:
		gen_number(b);
		break;
	case 3:
		bputs(b, "true");
		break;
	case 4:
		bputs(b, "false");
		break;
	case 5:
		bputs(b, "null");
		break;
	case 6:
		bputs(b, "[");
		for (n = rnd() % 4, i = 0; i < n; i++) {
			if (i > 0)
				bputs(b, ",");
			gen_value(b, depth - 1);
		}
		gen_ws(b);
		bputs(b, "]");
		break;
	default:
		bputs(b, "{");
		for (n = rnd() % 4, i = 0; i < n; i++) {
			if (i > 0)
				bputs(b, ",");
			gen_ws(b);
			bputs(b, "\"");
			bputs(b, PICK(keys));
			bputs(b, "\"");
			gen_ws(b);
			bputs(b, ":");
			gen_value(b, depth - 1);
		}
		gen_ws(b);
		bputs(b, "}");
		break;
	}
	gen_ws(b);
}

/* One change: a byte replaced, inserted, removed; a snippet; a cut. */
static void
mutate(struct buf *b)
{
	static const unsigned char	 bytes[] = {
		'{', '}', '[', ']', '"', ':', ',', '\\', 'u', '0', '1', '9',
		'-', '+', '.', 'e', 'E', ' ', '\t', '\n', '\r', 'a', 't', 'n',
		'f', 'D', 0x00, 0x01, 0x1f, 0x7f, 0x80, 0xbf, 0xc0, 0xc3,
		0xe2, 0xed, 0xf0, 0xf4, 0xf5, 0xff,
	};
	static const char		*snips[] = {
		"\\u", "\\uD800", "\\uDC00", "\\u0000", "\\uD83D", "\\uDE00",
		"1e999", "-", "[", "{", "\"", "true", "null", ",", "\":",
		"9223372036854775808", "00", "\xed\xa0\x80", "\xc0\x80",
		"\xf4\x90\x80\x80", "[[[[", "]]]]", "{\"a\":", "0.", ".0",
	};
	size_t				 at, n;
	char				 c;
	const char			*s;

	at = b->len == 0 ? 0 : rnd() % (b->len + 1);
	switch (rnd() % 8) {
	case 0:		/* replace a byte */
		if (at < b->len)
			b->p[at] = rnd() % 2 ? (char)PICK(bytes) : (char)rnd();
		break;
	case 1:		/* flip a bit */
		if (at < b->len)
			b->p[at] ^= 1 << (rnd() % 8);
		break;
	case 2:		/* insert a byte */
	case 3:
		c = rnd() % 4 ? (char)PICK(bytes) : (char)rnd();
		bput(b, "", 1);
		memmove(b->p + at + 1, b->p + at, b->len - 1 - at);
		b->p[at] = c;
		break;
	case 4:		/* remove a few bytes */
		n = 1 + rnd() % 3;
		if (at + n > b->len)
			n = b->len - at;
		memmove(b->p + at, b->p + at + n, b->len - at - n);
		b->len -= n;
		break;
	case 5:		/* insert a snippet */
		s = PICK(snips);
		n = strlen(s);
		bput(b, s, n);
		memmove(b->p + at + n, b->p + at, b->len - n - at);
		memcpy(b->p + at, s, n);
		break;
	case 6:		/* cut the tail */
		b->len = at;
		break;
	default:	/* the head goes */
		memmove(b->p, b->p + at, b->len - at);
		b->len -= at;
		break;
	}
}

static size_t	 n_accept, n_reject, n_overflow, n_nul, n_dups;

/*
 * jscan_parse() and jansson agree on p; when both accept, the trees and
 * every lookup agree.  1 if so, else 0 (and the input is shown).
 */
static int
differ(const char *p, size_t len)
{
	struct jspan	 v, w;
	json_error_t	 e;
	json_t		*j;
	char		*d, *q;
	size_t		 i;
	int		 js, jn, ok = 1;

	d = dup_exact(p, len);
	jn = janssons(d, len, &j, &e);
	js = jscan_parse(d, len, &v) == 0;
	if (!js && !span_empty(&v))
		ok = 0;
	if (jn && js) {
		n_accept++;
		if (!check_tree(&v, j) || !dups_agree(&v, d, len))
			ok = 0;
	} else if (!jn && !js) {
		n_reject++;
	} else if (!jn && js && strstr(e.text, "real number overflow")) {
		n_overflow++;	/* a quirk: see the top */
	} else if (jn && !js && memchr(d, '\0', len) != NULL) {
		/* A quirk: the text with those NULs made spaces must do. */
		n_nul++;
		q = dup_exact(d, len);
		for (i = 1; i < len; i++)
			if (q[i] == '\0' && ((q[i - 1] >= '0' &&
			    q[i - 1] <= '9') || (q[i - 1] >= 'a' &&
			    q[i - 1] <= 'z') || (q[i - 1] >= 'A' &&
			    q[i - 1] <= 'Z')))
				q[i] = ' ';
		if (jscan_parse(q, len, &w) != 0 || !check_tree(&w, j))
			ok = 0;
		free(q);
	} else
		ok = 0;
	if (!ok) {
		show(js ? "jscan accepts" : "jscan rejects", p, len);
		printf("#   jansson: %s\n", jn ? "accepts" : e.text);
	}
	json_decref(j);
	free(d);
	return (ok);
}

/* jscan_dupkeys() says what jansson's JSON_REJECT_DUPLICATES says. */
static int
dups_agree(const struct jspan *v, const char *p, size_t len)
{
	json_error_t	 e;
	json_t		*j;
	int		 dup;

	j = json_loadb(p, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &e);
	dup = j == NULL;
	json_decref(j);
	if (dup)
		n_dups++;
	return (jscan_dupkeys(v) == dup);
}

/*
 * jscan_member() walks every member as written: each key is one of the
 * tree's, each value's span is a value of the text, and without
 * duplicates there are as many as the tree has.
 */
static int
members_agree(const struct jspan *v, json_t *j)
{
	struct jspan	 k, m, w;
	char		 key[256];
	size_t		 n = 0;

	k.js_p = NULL;
	while (jscan_member(v, &k, &m)) {
		n++;
		if (jscan_type(&k) != JS_STRING ||
		    jscan_strlcpy(&k, key, sizeof(key)) >= sizeof(key))
			return (0);
		if (json_object_get(j, key) == NULL ||
		    jscan_parse(m.js_p, m.js_len, &w) != 0 ||
		    w.js_len != m.js_len)
			return (0);
	}
	if (k.js_p != NULL || m.js_p != NULL)
		return (0);
	return (n >= json_object_size(j) &&
	    (jscan_dupkeys(v) != 0 || n == json_object_size(j)));
}

static int
dupkeys_of(const char *s)
{
	struct jspan	 v;

	if (jscan_parse(s, strlen(s), &v) != 0)
		return (-2);
	return (jscan_dupkeys(&v));
}

static void
test_dupkeys(void)
{
	struct buf	 b = { NULL, 0 };
	char		 k[32];
	int		 i;

	T(dupkeys_of("{\"a\":1,\"b\":2}") == 0 &&
	    dupkeys_of("{\"a\":1,\"a\":2}") == 1 &&
	    dupkeys_of("{\"a\":1,\"\\u0061\":2}") == 1 &&
	    dupkeys_of("{\"a\\/\":1,\"a/\":2}") == 1 &&
	    dupkeys_of("{\"a\":{\"a\":{\"a\":1}}}") == 0 &&
	    dupkeys_of("[{\"x\":1},[{\"y\":[{\"z\":1,\"z\":1}]}]]") == 1 &&
	    dupkeys_of("{\"\":1,\"\":2}") == 1 &&
	    dupkeys_of("{\"ab\":1,\"a\":2,\"abc\":3}") == 0 &&
	    dupkeys_of("[]") == 0 && dupkeys_of("\"a\"") == 0,
	    "dupkeys: small objects, escapes, nested, prefixes");
	/* past DUPKEYS_PAIRWISE: sorted */
	bputs(&b, "{");
	for (i = 0; i < 40; i++) {
		(void)snprintf(k, sizeof(k), "%s\"k%d\":%d", i ? "," : "",
		    (i * 7) % 40, i);
		bputs(&b, k);
	}
	bputs(&b, "}");
	bput(&b, "", 1);
	T(dupkeys_of(b.p) == 0, "dupkeys: 40 keys, none twice");
	b.len--;
	b.p[b.len - 1] = ',';
	bputs(&b, "\"k\\u00331\":0}");
	bput(&b, "", 1);
	T(dupkeys_of(b.p) == 1, "dupkeys: 41 keys, the last escaped and a "
	    "repeat of the 32nd");
	free(b.p);
	/*
	 * Deep and long: each byte read once, not once per level (that
	 * would be 2047 x 4 MB here, many seconds, against milliseconds).
	 */
	{
		struct jspan	 v;
		clock_t		 t0;
		size_t		 i2, len = 2047 + 2 * 2 * 1024 * 1024 + 2048;
		char		*d;
		int		 r;

		if ((d = malloc(len)) == NULL)
			abort();
		memset(d, '[', 2047);
		for (i2 = 2047; i2 < len - 2048; i2 += 2)
			memcpy(d + i2, "1,", 2);
		d[len - 2049] = '1';
		memset(d + len - 2048, ']', 2047);
		d[len - 1] = ' ';
		t0 = clock();
		r = jscan_parse(d, len, &v) == 0 ? jscan_dupkeys(&v) : -2;
		T(r == 0 && clock() - t0 < 3 * CLOCKS_PER_SEC,
		    "dupkeys: 2047 deep, 4 MB: one pass (%.3f s)",
		    (double)(clock() - t0) / CLOCKS_PER_SEC);
		free(d);
	}
}

static void
test_edit(void)
{
	static const char	 text[] = "{\"a\":1,\"b\":[2]}";
	struct jedit		 ed[3];
	char			*s;
	size_t			 len;

	ed[0] = (struct jedit){ text + 13, 0, ",3" };	/* after the 2 */
	ed[1] = (struct jedit){ text + 5, 1, "\"one\"" };
	ed[2] = (struct jedit){ text, 0, " " };
	s = jscan_edit(text, sizeof(text) - 1, ed, 3, &len);
	T(s != NULL && strcmp(s, " {\"a\":\"one\",\"b\":[2,3]}") == 0 &&
	    len == strlen(s), "edit: out of order, insert, replace, at 0");
	free(s);
	ed[0] = (struct jedit){ text, sizeof(text) - 1, "" };
	s = jscan_edit(text, sizeof(text) - 1, ed, 1, &len);
	T(s != NULL && len == 0 && *s == '\0', "edit: all cut");
	free(s);
	s = jscan_edit(text, sizeof(text) - 1, ed, 0, &len);
	T(s != NULL && strcmp(s, text) == 0, "edit: none, a copy");
	free(s);
	ed[0] = (struct jedit){ text + sizeof(text) - 1, 0, "!" };
	s = jscan_edit(text, sizeof(text) - 1, ed, 1, &len);
	T(s != NULL && len == sizeof(text) && s[len - 1] == '!',
	    "edit: at the end");
	free(s);
}

static void
test_quote(void)
{
	static const char	*more[] = { "", "gpt-4o", "a\"b\\c/d",
	    "\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80", "\x7f", "line\r\n\t\b\f" };
	char			 one[2], *q, *r;
	json_t			*j;
	size_t			 i, bad = 0;

	for (i = 1; i < 128 + nitems(more); i++) {
		if (i < 128) {
			one[0] = (char)i;
			one[1] = '\0';
		}
		j = json_string(i < 128 ? one : more[i - 128]);
		q = jscan_quote(i < 128 ? one : more[i - 128]);
		r = json_dumps(j, JSON_ENCODE_ANY);
		if (r == NULL || strcmp(q, r) != 0)
			bad++;
		free(q);
		free(r);
		json_decref(j);
	}
	T(bad == 0, "quote: every ASCII character and some UTF-8, as "
	    "jansson writes them");
	T(jscan_empty(&(struct jspan){ "{ }", 3 }) &&
	    jscan_empty(&(struct jspan){ "[\n]", 3 }) &&
	    !jscan_empty(&(struct jspan){ "[ 1 ]", 5 }) &&
	    !jscan_empty(&(struct jspan){ "{\"a\":1}", 7 }) &&
	    !jscan_empty(&(struct jspan){ "0", 1 }) &&
	    !jscan_empty(&(struct jspan){ NULL, 0 }), "empty: {} and [] only");
}

static void
test_differential(void)
{
	static const char	*seeds[] = {
		"{\"id\":\"chatcmpl-9\",\"object\":\"chat.completion\","
		    "\"created\":1700000000,\"model\":\"gpt-4o\",\"choices\":"
		    "[{\"index\":0,\"message\":{\"role\":\"assistant\","
		    "\"content\":\"Hello \\u00e9\\n\"},\"finish_reason\":"
		    "\"stop\"}],\"usage\":{\"prompt_tokens\":12,"
		    "\"completion_tokens\":7,\"total_tokens\":19}}",
		"{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":"
		    "{\"content\":\"Hi\"},\"finish_reason\":null}]}",
		"{\"type\":\"message\",\"role\":\"assistant\",\"content\":"
		    "[{\"type\":\"text\",\"text\":\"\xe6\x97\xa5\"}],"
		    "\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":"
		    "5,\"output_tokens\":3}}",
		"[1,-2,3.5,-4e-2,0,9223372036854775807,-9223372036854775808]",
		"\"\\uD83D\\uDE00 \\\" \\\\ \\/ \\b\\f\\n\\r\\t \\u0001\"",
		"{\"a\":{\"b\":{\"c\":[[],[{}],{\"d\":null}]}}}",
		" [ true , false , null ] ",
		"{\"a\\u0062\":1,\"ab\":2,\"\":3}",
		"\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbf\"",
		"-0.0e+0",
		"{\"x\":\"\\u00e9\",\"y\":[\"\\u20ac\",1e10]}",
		"[[[[[[1]]]]]]",
	};
	struct buf		 b;
	size_t			 i, s, total = 0, bad = 0;
	int			 m;

	/* The seeds, then many mutations of them. */
	for (s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
		T(differ(seeds[s], strlen(seeds[s])), "differential: seed %zu",
		    s);
		for (i = 0; i < 1500; i++) {
			memset(&b, 0, sizeof(b));
			bputs(&b, seeds[s]);
			for (m = 1 + rnd() % 3; m > 0; m--)
				mutate(&b);
			total++;
			if (!differ(b.p, b.len))
				bad++;
			free(b.p);
		}
	}
	T(bad == 0, "differential: %zu mutated seeds, %zu disagree", total,
	    bad);

	/* Generated values, valid, then mutated. */
	total = bad = 0;
	for (i = 0; i < 8000; i++) {
		memset(&b, 0, sizeof(b));
		gen_value(&b, 1 + rnd() % 4);
		if (i % 2 == 0)
			for (m = 1 + rnd() % 2; m > 0; m--)
				mutate(&b);
		total++;
		if (!differ(b.p, b.len))
			bad++;
		free(b.p);
	}
	T(bad == 0, "differential: %zu generated texts, %zu disagree", total,
	    bad);

	/* Short strings of tokens and bytes, JSON-ish. */
	{
		static const char	*toks[] = {
			"{", "}", "[", "]", ",", ":", " ", "\"", "\"a\"", "1",
			"-", "0", ".", "e", "true", "null", "\\", "u", "\\u",
			"D800", "00e9", "\xc3", "\xa9", "\x80", "\t", "\0",
			"9", "E", "+", "f",
		};
		const char		*t;
		size_t			 n;

		total = bad = 0;
		for (i = 0; i < 8000; i++) {
			memset(&b, 0, sizeof(b));
			for (n = rnd() % 8; n > 0; n--) {
				t = PICK(toks);
				bput(&b, t, t[0] == '\0' ? 1 : strlen(t));
			}
			total++;
			if (!differ(b.len ? b.p : "", b.len))
				bad++;
			free(b.p);
		}
		T(bad == 0, "differential: %zu token strings, %zu disagree",
		    total, bad);
	}
	printf("# differential: %zu both accept, %zu both reject, "
	    "%zu real overflows and %zu NUL quirks of jansson excluded\n",
	    n_accept, n_reject, n_overflow, n_nul);
	T(n_accept > 1000 && n_reject > 1000,
	    "differential: many of each, accepted and rejected");
	printf("# differential: %zu accepted texts with duplicate keys\n",
	    n_dups);
	T(n_dups > 50 && n_dups < n_accept / 2,
	    "differential: duplicate keys, many but not most");
}

int
main(void)
{
	test_valid();
	test_invalid();
	test_strings();
	test_utf8();
	test_numbers();
	test_quirks();
	test_depth();
	test_len();
	test_get();
	test_next();
	test_getv();
	test_strlen();
	test_strlcpy();
	test_streq();
	test_int();
	test_json();
	test_type();
	test_dupkeys();
	test_edit();
	test_quote();
	test_differential();
	return (test_done());
}
