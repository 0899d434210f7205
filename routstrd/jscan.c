/*
 * JSON read in place (jscan.h): one strict pass checks the text, then
 * lookups walk it.  Nothing is allocated but by jscan_json().
 */

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "log.h"
#include "jscan.h"

static const char	*ws(const char *, const char *);
static const char	*check_string(const char *, const char *);
static int		 hex4(const char *, unsigned int *);
static int		 utf8_len(const unsigned char *, const unsigned char *);
static const char	*check_number(const char *, const char *);
static const char	*check_literal(const char *, const char *,
			    const char *);
static const char	*skip_value(const char *, const char *);
static const char	*skip_string(const char *, const char *);
static size_t		 str_unit(const char **, unsigned char *);
static int		 key_is(const char *, const char *, const char *);
static int		 key_cmp(const void *, const void *);
static const char	*dupkeys(const char *, const char *, int *);
static int		 edit_cmp(const void *, const void *);

/* A key as dupkeys() sorts it: its bytes, decoded if it had escapes. */
struct dkey {
	const char	*dk_p;
	size_t		 dk_len;
	char		*dk_buf;	/* the decoded copy, if one */
};

#define DUPKEYS_PAIRWISE	8	/* objects this small: no sort */

static const char *
ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' ||
	    *p == '\r'))
		p++;
	return (p);
}

static int
hex4(const char *p, unsigned int *v)
{
	int	 c, i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		if ((c = hex_nibble((unsigned char)p[i])) == -1)
			return (-1);
		*v = *v << 4 | (unsigned int)c;
	}
	return (0);
}

/* The length of the UTF-8 sequence at p (RFC 3629), 0 if invalid. */
static int
utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned char	 lo = 0x80, hi = 0xbf;
	int		 n, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (p[0] == 0xed)
			hi = 0x9f;	/* surrogates */
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		if (p[0] == 0xf0)
			lo = 0x90;	/* overlong */
		else if (p[0] == 0xf4)
			hi = 0x8f;	/* beyond U+10FFFF */
	} else
		return (0);
	if (end - p < n || p[1] < lo || p[1] > hi)
		return (0);
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return (0);
	return (n);
}

/* A string at p (its opening quote): past its closing quote, or NULL. */
static const char *
check_string(const char *p, const char *end)
{
	const unsigned char	*u;
	unsigned int		 cp, lo;
	int			 n;

	for (p++; p < end; ) {
		u = (const unsigned char *)p;
		if (*u == '"')
			return (p + 1);
		if (*u < 0x20)
			return (NULL);
		if (*u < 0x80 && *u != '\\') {
			p++;
			continue;
		}
		if (*u >= 0x80) {
			if ((n = utf8_len(u, (const unsigned char *)end)) == 0)
				return (NULL);
			p += n;
			continue;
		}
		if (end - p < 2)
			return (NULL);
		switch (p[1]) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n':
		case 'r': case 't':
			p += 2;
			continue;
		case 'u':
			break;
		default:
			return (NULL);
		}
		if (end - p < 6 || hex4(p + 2, &cp) == -1 || cp == 0 ||
		    (cp >= 0xdc00 && cp <= 0xdfff))
			return (NULL);
		p += 6;
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (end - p < 6 || p[0] != '\\' || p[1] != 'u' ||
			    hex4(p + 2, &lo) == -1 || lo < 0xdc00 ||
			    lo > 0xdfff)
				return (NULL);
			p += 6;
		}
	}
	return (NULL);
}

/* A number: past it, or NULL.  Integers must fit, reals be finite. */
static const char *
check_number(const char *p, const char *end)
{
	const char	*s = p;
	char		 buf[64], *copy, *ep;
	uint64_t	 v = 0, lim;
	double		 d;
	int		 neg = 0, real = 0, over = 0;
	size_t		 len;

	if (p < end && *p == '-') {
		neg = 1;
		p++;
	}
	if (p >= end || *p < '0' || *p > '9')
		return (NULL);
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	if (*p == '0')
		p++;
	else
		for (; p < end && *p >= '0' && *p <= '9'; p++) {
			if (v > (lim - (uint64_t)(*p - '0')) / 10)
				over = 1;
			else
				v = v * 10 + (uint64_t)(*p - '0');
		}
	if (p < end && *p == '.') {
		real = 1;
		if (++p >= end || *p < '0' || *p > '9')
			return (NULL);
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		real = 1;
		if (++p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || *p < '0' || *p > '9')
			return (NULL);
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (!real)
		return (over ? NULL : p);
	/* as jansson: a real that overflows a double is refused */
	len = (size_t)(p - s);
	if (len < sizeof(buf))
		copy = buf;
	else if ((copy = malloc(len + 1)) == NULL)
		return (NULL);
	memcpy(copy, s, len);
	copy[len] = '\0';
	errno = 0;
	d = strtod(copy, &ep);
	if (copy != buf)
		free(copy);
	if (errno == ERANGE && isinf(d))
		return (NULL);
	return (p);
}

static const char *
check_literal(const char *p, const char *end, const char *lit)
{
	size_t	 n = strlen(lit);

	if ((size_t)(end - p) < n || memcmp(p, lit, n) != 0)
		return (NULL);
	return (p + n);
}

int
jscan_parse(const char *text, size_t len, struct jspan *v)
{
	char		 stack[JSCAN_DEPTH_MAX];	/* '{' or '[' */
	const char	*p, *end = text + len, *start;
	size_t		 depth = 0;

	v->js_p = NULL;
	v->js_len = 0;
	if (text == NULL)
		return (-1);
	p = ws(text, end);
	start = p;
 value:
	/* a value at nesting depth + 1 */
	if (p >= end || depth >= JSCAN_DEPTH_MAX)
		return (-1);
	switch (*p) {
	case '{':
		stack[depth++] = '{';
		p = ws(p + 1, end);
		if (p < end && *p == '}') {
			p++;
			depth--;
			goto after;
		}
		goto key;
	case '[':
		stack[depth++] = '[';
		p = ws(p + 1, end);
		if (p < end && *p == ']') {
			p++;
			depth--;
			goto after;
		}
		goto value;
	case '"':
		p = check_string(p, end);
		break;
	case 't':
		p = check_literal(p, end, "true");
		break;
	case 'f':
		p = check_literal(p, end, "false");
		break;
	case 'n':
		p = check_literal(p, end, "null");
		break;
	default:
		p = check_number(p, end);
		break;
	}
	if (p == NULL)
		return (-1);
 after:
	p = ws(p, end);
	if (depth == 0) {
		if (p != end)
			return (-1);
		while (end > start && (end[-1] == ' ' || end[-1] == '\t' ||
		    end[-1] == '\n' || end[-1] == '\r'))
			end--;
		v->js_p = start;
		v->js_len = (size_t)(end - start);
		return (0);
	}
	if (p >= end)
		return (-1);
	if (*p == ',') {
		p = ws(p + 1, end);
		if (stack[depth - 1] == '[')
			goto value;
		goto key;
	}
	if (*p != (stack[depth - 1] == '{' ? '}' : ']'))
		return (-1);
	p++;
	depth--;
	goto after;
 key:
	if (p >= end || *p != '"' || (p = check_string(p, end)) == NULL)
		return (-1);
	p = ws(p, end);
	if (p >= end || *p != ':')
		return (-1);
	p = ws(p + 1, end);
	goto value;
}

enum jscan_type
jscan_type(const struct jspan *v)
{
	if (v == NULL || v->js_p == NULL || v->js_len == 0)
		return (JS_NONE);
	switch (v->js_p[0]) {
	case '{':
		return (JS_OBJECT);
	case '[':
		return (JS_ARRAY);
	case '"':
		return (JS_STRING);
	case 't':
		return (JS_TRUE);
	case 'f':
		return (JS_FALSE);
	case 'n':
		return (JS_NULL);
	default:
		return (JS_NUMBER);
	}
}

/* Past a checked string at p (its opening quote). */
static const char *
skip_string(const char *p, const char *end)
{
	const char	*q, *b;
	int		 i;

	/* most strings are short: a plain loop before memchr */
	for (p++, i = 0; p < end && i < 32; p++, i++) {
		if (*p == '"')
			return (p + 1);
		if (*p == '\\' && ++p == end)
			return (end);
	}
	for (; p < end && (q = memchr(p, '"', (size_t)(end - p))) != NULL;
	    p = q + 1) {
		/* escaped if after an odd run of backslashes */
		for (b = q; b > p && b[-1] == '\\'; b--)
			;
		if ((q - b) % 2 == 0)
			return (q + 1);
	}
	return (end);
}

/* Past a checked value at p. */
static const char *
skip_value(const char *p, const char *end)
{
	static const unsigned char	 mark[256] = {
		['"'] = 1, ['{'] = 2, ['['] = 2, ['}'] = 3, [']'] = 3
	};
	int				 depth = 0;

	switch (*p) {
	case '"':
		return (skip_string(p, end));
	case '{':
	case '[':
		for (; p < end; p++) {
			switch (mark[(unsigned char)*p]) {
			case 0:
				continue;
			case 1:
				p = skip_string(p, end) - 1;
				continue;
			case 2:
				depth++;
				continue;
			default:
				if (--depth == 0)
					return (p + 1);
			}
		}
		return (end);
	default:
		while (p < end && *p != ',' && *p != '}' && *p != ']' &&
		    *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			p++;
		return (p);
	}
}

/*
 * The next unit of a checked string, decoded into out (1 to 4 bytes, its
 * length returned), *pp moved past it; 0 at the closing quote.
 */
static size_t
str_unit(const char **pp, unsigned char *out)
{
	const char	*p = *pp;
	unsigned int	 cp, lo;

	if (*p == '"')
		return (0);
	if (*p != '\\') {
		out[0] = (unsigned char)*p;
		*pp = p + 1;
		return (1);
	}
	switch (p[1]) {
	case 'b':
		out[0] = '\b';
		break;
	case 'f':
		out[0] = '\f';
		break;
	case 'n':
		out[0] = '\n';
		break;
	case 'r':
		out[0] = '\r';
		break;
	case 't':
		out[0] = '\t';
		break;
	case 'u':
		(void)hex4(p + 2, &cp);
		*pp = p + 6;
		if (cp >= 0xd800 && cp <= 0xdbff) {
			(void)hex4(p + 8, &lo);
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			*pp = p + 12;
		}
		if (cp < 0x80) {
			out[0] = (unsigned char)cp;
			return (1);
		}
		if (cp < 0x800) {
			out[0] = 0xc0 | (cp >> 6);
			out[1] = 0x80 | (cp & 0x3f);
			return (2);
		}
		if (cp < 0x10000) {
			out[0] = 0xe0 | (cp >> 12);
			out[1] = 0x80 | ((cp >> 6) & 0x3f);
			out[2] = 0x80 | (cp & 0x3f);
			return (3);
		}
		out[0] = 0xf0 | (cp >> 18);
		out[1] = 0x80 | ((cp >> 12) & 0x3f);
		out[2] = 0x80 | ((cp >> 6) & 0x3f);
		out[3] = 0x80 | (cp & 0x3f);
		return (4);
	default:	/* " \ / */
		out[0] = (unsigned char)p[1];
		break;
	}
	*pp = p + 2;
	return (1);
}

/* Whether the checked string at p (its opening quote) is s. */
static int
key_is(const char *p, const char *end, const char *s)
{
	unsigned char	 u[4];
	size_t		 n, slen = strlen(s);
	const char	*q;

	/* the usual case: no escapes */
	q = p + 1;
	if ((size_t)(end - q) > slen && memcmp(q, s, slen) == 0 &&
	    q[slen] == '"' && memchr(s, '\\', slen) == NULL)
		return (1);
	if (memchr(q, '\\', (size_t)(skip_string(p, end) - q)) == NULL)
		return (0);
	while ((n = str_unit(&q, u)) > 0) {
		if (slen < n || memcmp(s, u, n) != 0)
			return (0);
		s += n;
		slen -= n;
	}
	return (slen == 0);
}

int
jscan_get(const struct jspan *o, const char *key, struct jspan *v)
{
	const char	*keys[2] = { key, NULL };

	return (jscan_getv(o, keys, v) == 1 ? 0 : -1);
}

int
jscan_getv(const struct jspan *o, const char * const *keys, struct jspan *v)
{
	size_t		 klen[JSCAN_GETV_MAX], i, n, raw;
	const char	*p, *end, *k, *val;
	int		 found = 0, plain;

	for (n = 0; keys[n] != NULL; n++) {
		if (n == JSCAN_GETV_MAX)
			return (-1);
		klen[n] = strlen(keys[n]);
		v[n].js_p = NULL;
		v[n].js_len = 0;
	}
	if (jscan_type(o) != JS_OBJECT)
		return (0);
	end = o->js_p + o->js_len;
	p = ws(o->js_p + 1, end);
	while (p < end && *p == '"') {
		k = p;
		p = skip_string(p, end);
		raw = (size_t)(p - k) - 2;
		plain = memchr(k + 1, '\\', raw) == NULL;
		p = ws(p, end);				/* at the colon */
		val = ws(p + 1, end);
		p = skip_value(val, end);
		for (i = 0; i < n; i++) {
			if (plain ? raw != klen[i] ||
			    memcmp(k + 1, keys[i], raw) != 0 :
			    !key_is(k, end, keys[i]))
				continue;
			if (v[i].js_p == NULL)
				found++;
			v[i].js_p = val;
			v[i].js_len = (size_t)(p - val);
		}
		p = ws(p, end);
		if (p < end && *p == ',')
			p = ws(p + 1, end);
	}
	return (found);
}

int
jscan_next(const struct jspan *a, struct jspan *it)
{
	const char	*p, *end;

	if (jscan_type(a) != JS_ARRAY)
		return (0);
	end = a->js_p + a->js_len;
	if (it->js_p == NULL)
		p = ws(a->js_p + 1, end);
	else {
		p = ws(it->js_p + it->js_len, end);
		if (p < end && *p == ',')
			p = ws(p + 1, end);
	}
	if (p >= end || *p == ']') {
		it->js_p = NULL;
		it->js_len = 0;
		return (0);
	}
	it->js_p = p;
	it->js_len = (size_t)(skip_value(p, end) - p);
	return (1);
}

int
jscan_member(const struct jspan *o, struct jspan *k, struct jspan *v)
{
	const char	*p, *end;

	if (jscan_type(o) != JS_OBJECT)
		return (0);
	end = o->js_p + o->js_len;
	if (k->js_p == NULL)
		p = ws(o->js_p + 1, end);
	else {
		p = ws(v->js_p + v->js_len, end);
		if (p < end && *p == ',')
			p = ws(p + 1, end);
	}
	if (p >= end || *p != '"') {
		k->js_p = v->js_p = NULL;
		k->js_len = v->js_len = 0;
		return (0);
	}
	k->js_p = p;
	p = skip_string(p, end);
	k->js_len = (size_t)(p - k->js_p);
	p = ws(ws(p, end) + 1, end);		/* past the colon */
	v->js_p = p;
	v->js_len = (size_t)(skip_value(p, end) - p);
	return (1);
}

int
jscan_empty(const struct jspan *v)
{
	enum jscan_type	 t = jscan_type(v);

	if (t != JS_OBJECT && t != JS_ARRAY)
		return (0);
	return (*ws(v->js_p + 1, v->js_p + v->js_len) ==
	    (t == JS_OBJECT ? '}' : ']'));
}

static int
key_cmp(const void *a, const void *b)
{
	const struct dkey	*x = a, *y = b;
	int			 c;

	if ((c = memcmp(x->dk_p, y->dk_p, x->dk_len < y->dk_len ?
	    x->dk_len : y->dk_len)) != 0)
		return (c);
	return (x->dk_len < y->dk_len ? -1 : x->dk_len > y->dk_len);
}

/*
 * The checked value at p, walked once (every byte read once, however
 * deep: a request is checked before it is paid for): where it ends, or
 * NULL with *r set (1: a key twice in an object, -1: out of memory).
 */
static const char *
dupkeys(const char *p, const char *end, int *r)
{
	struct dkey	 few[DUPKEYS_PAIRWISE], *keys = few, *nk;
	const char	*k, *q;
	unsigned char	 u[4];
	size_t		 n = 0, cap = DUPKEYS_PAIRWISE, i, j, un, klen;
	int		 obj;

	if (*p != '{' && *p != '[')
		return (skip_value(p, end));
	obj = *p == '{';
	p = ws(p + 1, end);
	while (p < end && *p != '}' && *p != ']') {
		if (obj) {
			k = p;
			p = skip_string(p, end);
			klen = (size_t)(p - k);
			if (n == cap) {
				if ((nk = reallocarray(keys == few ? NULL :
				    keys, cap * 2, sizeof(*keys))) == NULL) {
					*r = -1;
					goto done;
				}
				if (keys == few)
					memcpy(nk, few, sizeof(few));
				keys = nk;
				cap *= 2;
			}
			keys[n].dk_p = k + 1;
			keys[n].dk_len = klen - 2;
			keys[n].dk_buf = NULL;
			if (memchr(k + 1, '\\', klen - 2) != NULL) {
				/* decoded, never longer than escaped */
				if ((keys[n].dk_buf = malloc(klen)) == NULL) {
					*r = -1;
					goto done;
				}
				q = k + 1;
				keys[n].dk_len = 0;
				while ((un = str_unit(&q, u)) > 0) {
					memcpy(keys[n].dk_buf +
					    keys[n].dk_len, u, un);
					keys[n].dk_len += un;
				}
				keys[n].dk_p = keys[n].dk_buf;
			}
			n++;
			p = ws(ws(p, end) + 1, end);	/* past the colon */
		}
		if ((p = dupkeys(p, end, r)) == NULL)
			goto done;
		p = ws(p, end);
		if (p < end && *p == ',')
			p = ws(p + 1, end);
	}
	if (n <= DUPKEYS_PAIRWISE) {
		for (i = 0; i < n && *r == 0; i++)
			for (j = i + 1; j < n && *r == 0; j++)
				*r = key_cmp(&keys[i], &keys[j]) == 0;
	} else {
		qsort(keys, n, sizeof(*keys), key_cmp);
		for (i = 1; i < n && *r == 0; i++)
			*r = key_cmp(&keys[i - 1], &keys[i]) == 0;
	}
	p = *r == 0 ? p + 1 : NULL;
 done:
	for (i = 0; i < n; i++)
		free(keys[i].dk_buf);
	if (keys != few)
		free(keys);
	return (*r == 0 ? p : NULL);
}

int
jscan_dupkeys(const struct jspan *v)
{
	int	 r = 0;

	if (jscan_type(v) == JS_NONE)
		return (0);
	(void)dupkeys(v->js_p, v->js_p + v->js_len, &r);
	return (r);
}

static int
edit_cmp(const void *a, const void *b)
{
	const struct jedit	*x = a, *y = b;

	return (x->je_at < y->je_at ? -1 : x->je_at > y->je_at);
}

char *
jscan_edit(const char *text, size_t len, struct jedit *ed, size_t n,
    size_t *lenp)
{
	const char	*p = text;
	char		*out;
	size_t		 i, size = len + 1, tl, o = 0;

	qsort(ed, n, sizeof(*ed), edit_cmp);
	for (i = 0; i < n; i++)
		size += strlen(ed[i].je_text);
	if ((out = malloc(size)) == NULL)
		return (NULL);
	for (i = 0; i < n; i++) {
		memcpy(out + o, p, (size_t)(ed[i].je_at - p));
		o += (size_t)(ed[i].je_at - p);
		tl = strlen(ed[i].je_text);
		memcpy(out + o, ed[i].je_text, tl);
		o += tl;
		p = ed[i].je_at + ed[i].je_cut;
	}
	memcpy(out + o, p, (size_t)(text + len - p));
	o += (size_t)(text + len - p);
	out[o] = '\0';
	*lenp = o;
	return (out);
}

char *
jscan_quote(const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*u;
	char			*q, *p;

	/* at most 6 bytes for each, the quotes and the NUL */
	if ((q = reallocarray(NULL, strlen(s) + 1, 6)) == NULL)
		fatal(NULL);
	p = q;
	*p++ = '"';
	for (u = (const unsigned char *)s; *u != '\0'; u++) {
		if (*u >= 0x20 && *u != '"' && *u != '\\') {
			*p++ = *u;
			continue;
		}
		*p++ = '\\';
		switch (*u) {
		case '"':
		case '\\':
			*p++ = *u;
			break;
		case '\b':
			*p++ = 'b';
			break;
		case '\f':
			*p++ = 'f';
			break;
		case '\n':
			*p++ = 'n';
			break;
		case '\r':
			*p++ = 'r';
			break;
		case '\t':
			*p++ = 't';
			break;
		default:
			*p++ = 'u';
			*p++ = '0';
			*p++ = '0';
			*p++ = hex[*u >> 4];
			*p++ = hex[*u & 0xf];
			break;
		}
	}
	*p++ = '"';
	*p = '\0';
	return (q);
}

size_t
jscan_strlen(const struct jspan *s)
{
	unsigned char	 u[4];
	const char	*p;
	size_t		 len = 0, n;

	if (jscan_type(s) != JS_STRING)
		return (0);
	p = s->js_p + 1;
	while ((n = str_unit(&p, u)) > 0)
		len += n;
	return (len);
}

int
jscan_streq(const struct jspan *s, const char *str)
{
	if (jscan_type(s) != JS_STRING)
		return (0);
	return (key_is(s->js_p, s->js_p + s->js_len, str));
}

size_t
jscan_strlcpy(const struct jspan *s, char *buf, size_t size)
{
	unsigned char	 u[4];
	const char	*p;
	size_t		 len = 0, n, i;

	if (size > 0)
		buf[0] = '\0';
	if (jscan_type(s) != JS_STRING)
		return (0);
	p = s->js_p + 1;
	while ((n = str_unit(&p, u)) > 0)
		for (i = 0; i < n; i++, len++)
			if (len + 1 < size)
				buf[len] = (char)u[i];
	if (size > 0)
		buf[len < size ? len : size - 1] = '\0';
	return (len);
}

int
jscan_int(const struct jspan *v, int64_t *out)
{
	const char	*p, *end;
	uint64_t	 u = 0;
	int		 neg = 0;

	if (jscan_type(v) != JS_NUMBER)
		return (-1);
	p = v->js_p;
	end = p + v->js_len;
	if (memchr(p, '.', v->js_len) != NULL ||
	    memchr(p, 'e', v->js_len) != NULL ||
	    memchr(p, 'E', v->js_len) != NULL)
		return (-1);
	if (*p == '-') {
		neg = 1;
		p++;
	}
	for (; p < end; p++)
		u = u * 10 + (uint64_t)(*p - '0');	/* checked: it fits */
	*out = neg ? (int64_t)(0 - u) : (int64_t)u;
	return (0);
}

json_t *
jscan_json(const struct jspan *v)
{
	json_error_t	 err;

	if (jscan_type(v) == JS_NONE)
		return (NULL);
	return (json_loadb(v->js_p, v->js_len, JSON_DECODE_ANY, &err));
}
