/*
 * libFuzzer harness for jscan, against jansson: jscan_parse() accepts
 * the input iff json_loadb(p, len, JSON_DECODE_ANY) does.  When both
 * accept, the span's tree is jansson's, and so, all the way down, is
 * what the lookups find: every member jansson has by jscan_get(), every
 * element in order by jscan_next(), jansson's keys all at once by
 * jscan_getv(), strings' lengths and contents by jscan_strlen(),
 * jscan_streq() and jscan_strlcpy() (as strlcpy(3) of jansson's
 * string), integers by jscan_int(); duplicate keys anywhere by
 * jscan_dupkeys() as JSON_REJECT_DUPLICATES finds them.
 *
 * jansson 2.14's quirks, where it is no reference:
 *  - it rejects a real that overflows a double ("real number overflow",
 *    1e999); jscan need not.
 *  - it drops a NUL byte right after a number or literal ("1\0" and
 *    "[true\0]" load): jscan may reject those, but must then accept the
 *    input with those NULs made spaces, and find the same tree there.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jscan.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	check_getv(const struct jspan *, json_t *);
static void	check_strlcpy(const struct jspan *, const char *, size_t);
static void	check_tree(const struct jspan *, json_t *);

/*
 * jscan_getv() of jansson's keys (as many as it takes) and one absent
 * finds what jscan_get() finds of each.
 */
static void
check_getv(const struct jspan *o, json_t *j)
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
		abort();
	for (i = 0; i < n; i++)
		if (jscan_get(o, keys[i], &g) != (i < found ? 0 : -1) ||
		    v[i].js_p != g.js_p || v[i].js_len != g.js_len)
			abort();
}

/* jscan_strlcpy() into a few sizes does what strlcpy(3) does of want. */
static void
check_strlcpy(const struct jspan *v, const char *want, size_t len)
{
	size_t	 sizes[] = { 0, 1, 2, len / 2, len, len + 1, len + 2 };
	char	*a, *b;
	size_t	 i;

	if ((a = malloc(len + 3)) == NULL || (b = malloc(len + 3)) == NULL)
		abort();
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (sizes[i] > len + 2)
			continue;
		memset(a, 'Z', len + 3);
		memset(b, 'Z', len + 3);
		if (jscan_strlcpy(v, a, sizes[i]) != strlcpy(b, want,
		    sizes[i]) || memcmp(a, b, len + 3) != 0)
			abort();
	}
	free(a);
	free(b);
}

static void
check_tree(const struct jspan *v, json_t *j)
{
	struct jspan	 m, it;
	json_t		*k, *x;
	const char	*key;
	size_t		 n;
	int64_t		 i;

	if ((k = jscan_json(v)) == NULL || !json_equal(k, j))
		abort();
	json_decref(k);
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		if (jscan_type(v) != JS_OBJECT)
			abort();
		it.js_p = NULL;
		it.js_len = 0;
		if (jscan_next(v, &it) != 0)
			abort();
		json_object_foreach(j, key, x) {
			if (jscan_get(v, key, &m) != 0)
				abort();
			check_tree(&m, x);
		}
		check_getv(v, j);
		break;
	case JSON_ARRAY:
		if (jscan_type(v) != JS_ARRAY || jscan_get(v, "", &m) != -1 ||
		    m.js_p != NULL || m.js_len != 0)
			abort();
		it.js_p = NULL;
		it.js_len = 0;
		for (n = 0; jscan_next(v, &it) == 1; n++) {
			if (n >= json_array_size(j))
				abort();
			check_tree(&it, json_array_get(j, n));
		}
		if (n != json_array_size(j))
			abort();
		break;
	case JSON_STRING:
		if (jscan_type(v) != JS_STRING ||
		    jscan_strlen(v) != json_string_length(j) ||
		    !jscan_streq(v, json_string_value(j)))
			abort();
		check_strlcpy(v, json_string_value(j), json_string_length(j));
		break;
	case JSON_INTEGER:
		if (jscan_type(v) != JS_NUMBER || jscan_int(v, &i) != 0 ||
		    i != json_integer_value(j))
			abort();
		break;
	case JSON_REAL:
		if (jscan_type(v) != JS_NUMBER || jscan_int(v, &i) != -1)
			abort();
		break;
	case JSON_TRUE:
		if (jscan_type(v) != JS_TRUE)
			abort();
		break;
	case JSON_FALSE:
		if (jscan_type(v) != JS_FALSE)
			abort();
		break;
	case JSON_NULL:
		if (jscan_type(v) != JS_NULL)
			abort();
		break;
	}
	if (json_typeof(j) != JSON_STRING &&
	    (jscan_strlen(v) != 0 || jscan_streq(v, "")))
		abort();
	if (json_typeof(j) != JSON_OBJECT && jscan_get(v, "", &m) != -1)
		abort();
	if (json_typeof(j) != JSON_STRING) {
		char	 c = 'x';

		if (jscan_strlcpy(v, &c, 1) != 0 || c != '\0')
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*p = (const char *)data;
	struct jspan	 v, w;
	json_error_t	 e;
	json_t		*j, *d;
	char		*q;
	size_t		 i;
	int		 js;

	j = json_loadb(p, size, JSON_DECODE_ANY, &e);
	js = jscan_parse(p, size, &v) == 0;
	if (!js && (v.js_p != NULL || v.js_len != 0))
		abort();
	if (js && (v.js_p < p || v.js_len == 0 ||
	    v.js_len > size - (size_t)(v.js_p - p)))
		abort();
	if (j != NULL && js) {
		check_tree(&v, j);
		/* duplicate keys, anywhere: as JSON_REJECT_DUPLICATES */
		d = json_loadb(p, size, JSON_DECODE_ANY |
		    JSON_REJECT_DUPLICATES, &e);
		if (jscan_dupkeys(&v) != (d == NULL))
			abort();
		json_decref(d);
	} else if (j == NULL && js) {
		/* The one thing jansson rejects that jscan may take. */
		if (strstr(e.text, "real number overflow") == NULL)
			abort();
	} else if (j != NULL && !js) {
		if (memchr(p, '\0', size) == NULL)
			abort();
		if ((q = malloc(size)) == NULL)
			abort();
		memcpy(q, p, size);
		for (i = 1; i < size; i++)
			if (q[i] == '\0' && ((q[i - 1] >= '0' &&
			    q[i - 1] <= '9') || (q[i - 1] >= 'a' &&
			    q[i - 1] <= 'z') || (q[i - 1] >= 'A' &&
			    q[i - 1] <= 'Z')))
				q[i] = ' ';
		if (jscan_parse(q, size, &w) != 0)
			abort();
		check_tree(&w, j);
		free(q);
	}
	json_decref(j);
	return (0);
}
