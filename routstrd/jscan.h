/*
 * JSON read in place: a text is checked once, as strictly as jansson
 * reads it, then looked into without building a tree.  The proxy reads
 * every answer and every streamed event of an upstream this way: it
 * needs a few members of each, and jansson's tree of a small answer
 * costs more than the rest of the request.
 *
 * A span is a value's text, from its first byte to its last, without
 * the white space around it.  Only jscan_parse() checks; every other
 * function takes a span that jscan_parse() returned or one found inside
 * it, and a span with js_p NULL (nothing found) wherever it takes one.
 */

#ifndef JSCAN_H
#define JSCAN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define JSCAN_DEPTH_MAX	2048	/* jansson's JSON_PARSER_MAX_DEPTH */

enum jscan_type {
	JS_NONE = 0,		/* an empty span: nothing found */
	JS_OBJECT,
	JS_ARRAY,
	JS_STRING,
	JS_NUMBER,
	JS_TRUE,
	JS_FALSE,
	JS_NULL
};

struct jspan {
	const char	*js_p;
	size_t		 js_len;
};

/*
 * One JSON value (of any type) with only white space around it, checked
 * as jansson's json_loadb(p, len, JSON_DECODE_ANY) checks it: strict
 * numbers, integers that fit in 64 bits signed, strings of valid UTF-8
 * with no control characters, valid escapes, \u surrogates in pairs and
 * no \u0000, nesting at most JSCAN_DEPTH_MAX deep.  0 and the value's
 * span in *v, else -1 (*v empty).
 */
int		 jscan_parse(const char *, size_t, struct jspan *);

enum jscan_type	 jscan_type(const struct jspan *);

/*
 * An object's member: 0 and its value, else -1 (not an object, no such
 * key; *v empty).  Of duplicate keys the last counts, as in jansson.
 */
int		 jscan_get(const struct jspan *, const char *, struct jspan *);

/*
 * Several members in one pass: keys NULL-terminated (at most
 * JSCAN_GETV_MAX), their values in v[] in the same order (empty when
 * absent).  How many were found, 0 if not an object, -1 if too many keys.
 */
#define JSCAN_GETV_MAX	32
int		 jscan_getv(const struct jspan *, const char * const *,
		    struct jspan *);

/*
 * The elements of an array, in order: *it empty to start; 1 and the next
 * element in *it, else 0 (the end, or not an array).
 */
int		 jscan_next(const struct jspan *, struct jspan *);

/*
 * The members of an object, in order: *k empty to start; 1 and the next
 * key (its string's span, quotes included) and value, else 0 (the end,
 * or not an object).
 */
int		 jscan_member(const struct jspan *, struct jspan *,
		    struct jspan *);

/* 1 if an object or an array has no members, else 0. */
int		 jscan_empty(const struct jspan *);

/*
 * 1 if an object anywhere in the value has a key twice (compared once
 * decoded, as jansson's JSON_REJECT_DUPLICATES does), else 0; -1 when
 * out of memory.
 */
int		 jscan_dupkeys(const struct jspan *);

/*
 * Changes to a text: je_cut bytes at je_at replaced by je_text (a
 * NUL-terminated string; je_cut 0 inserts).  jscan_edit() makes them
 * (in any order; they must neither overlap nor start at one place) in
 * a new text that it returns, NUL-terminated, its length in *len; NULL
 * when out of memory.
 */
struct jedit {
	const char	*je_at;
	size_t		 je_cut;
	const char	*je_text;
};

char		*jscan_edit(const char *, size_t, struct jedit *, size_t,
		    size_t *);

/* A string as a JSON string, escaped as jansson escapes it; malloc'd. */
char		*jscan_quote(const char *);

/* Bytes of a string once decoded (UTF-8), 0 if not a string. */
size_t		 jscan_strlen(const struct jspan *);

/*
 * A string decoded into buf as strlcpy(3) copies (NUL-terminated,
 * truncated); its decoded length (0 if not a string).
 */
size_t		 jscan_strlcpy(const struct jspan *, char *, size_t);

/* 1 if a string equal, once decoded, to the NUL-terminated one. */
int		 jscan_streq(const struct jspan *, const char *);

/* 0 and an integer (no fraction, no exponent), else -1. */
int		 jscan_int(const struct jspan *, int64_t *);

/* The value as jansson's tree (NULL if empty), for the rare deep work. */
json_t		*jscan_json(const struct jspan *);

#endif /* JSCAN_H */
