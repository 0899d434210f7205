/*
 * Cashu tokens, V3 (JSON) and V4 (CBOR).  Decoding is strict about what
 * it keeps (types, lengths, limits) and ignores keys it does not know, as
 * NUT-00 requires.  Error messages name the field and the proof's index,
 * never a value: the text is money.  Every copy of a secret is wiped.
 *
 * Decisions:
 * - Amounts: any value from 1 to UINT64_MAX per proof (whether the keyset
 *   has that amount is the mint's question), but the total must fit in 64
 *   bits.  V3 JSON amounts above INT64_MAX do not survive jansson and are
 *   rejected.
 * - Keyset ids: 8 bytes (v00, or the short form of a v01 id) or 33 bytes
 *   (v01).  Old base64 ids are not hex and are rejected.  Resolving short
 *   ids is the mint's business.
 * - C: 33 bytes starting 02 or 03.  DLEQ: e, s and r, 32 bytes each, all
 *   three or none.  null counts as absent for every optional field.
 * - V3: several "token" entries are accepted when they name the same mint;
 *   proofs are grouped by keyset id in order of first appearance.
 * - V4: "m", "u" and "t" are required (nutshell's model too); entries of
 *   "t" with the same id end up in one group.
 * - The mint URL: http:// or https://, trailing '/' stripped.
 */

#include <sys/types.h>

#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base64.h"
#include "cbor.h"
#include "money.h"
#include "token.h"

#define TOKEN_PREFIX	"cashu"
#define TOKEN_URI	"cashu:"
#define TOKEN_RAW	"craw"
#define CBOR_ITEMS_MAX	(TOKEN_PROOFS_MAX * 32)

enum str_kind {
	STR_MINT,
	STR_UNIT,
	STR_MEMO,
	STR_SECRET,
	STR_WITNESS
};

static int	 fail(char *, size_t, const char *, ...)
		    __attribute__((__format__ (printf, 3, 4)));
static int	 utf8_ok(const uint8_t *, size_t);
static int	 streq_null(const char *, const char *);
static int	 str_copy(char **, const char *, size_t, enum str_kind,
		    char *, size_t);
static int	 hex_decode(uint8_t *, size_t, const char *, size_t);
static void	 hex_encode(char *, const uint8_t *, size_t);
static int	 proof_add(struct cashu_token *, const struct cashu_proof *,
		    const char *, size_t, const char *, size_t, char *, size_t);
static struct cashu_token *token_alloc(const char *, size_t, const char *,
		    size_t, const char *, size_t, char *, size_t);
static int	 check_fixed(const struct cashu_proof *, size_t, char *,
		    size_t);
static int	 decode_v3(const uint8_t *, size_t, struct cashu_token **,
		    char *, size_t);
static int	 v3_proof(struct cashu_token *, json_t *, size_t, char *,
		    size_t);
static int	 v3_hex(json_t *, const char *, uint8_t *, size_t, size_t,
		    size_t *, size_t, char *, size_t);
static int	 v3_optstr(json_t *, const char *, const char **, size_t *,
		    const char *, char *, size_t);
static int	 decode_v4(const uint8_t *, size_t, struct cashu_token **,
		    char *, size_t);
static int	 v4_proof(struct cashu_token *, const struct cbor_doc *,
		    size_t, const uint8_t *, size_t, size_t, char *, size_t);
static int	 v4_get(const struct cbor_doc *, size_t, const char *,
		    size_t *, int, enum cbor_type, const char *, size_t,
		    char *, size_t);
static int	 encode_cbor(const struct cashu_token *, struct cbor_buf *,
		    char *, size_t);
static int	 encode_text(const char *, const uint8_t *, size_t, int,
		    char **, char *, size_t);
static json_t	*v3_json(const struct cashu_token *, char *, size_t);
static int	 jset(json_t *, const char *, json_t *);
static json_t	*jhex(const uint8_t *, size_t);

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return (-1);
}

/* RFC 3629: shortest forms only, no surrogates, nothing above U+10FFFF. */
static int
utf8_ok(const uint8_t *s, size_t len)
{
	size_t		 i = 0, n, k;
	uint32_t	 cp;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			n = 1;
			cp = s[i] & 0x1f;
		} else if ((s[i] & 0xf0) == 0xe0) {
			n = 2;
			cp = s[i] & 0x0f;
		} else if ((s[i] & 0xf8) == 0xf0) {
			n = 3;
			cp = s[i] & 0x07;
		} else
			return (0);
		if (len - i - 1 < n)
			return (0);
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return (0);
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return (0);
		i += n + 1;
	}
	return (1);
}

/*
 * Check a string field and store a NUL-terminated copy in *dst.  The
 * caller's error message gets the field's name from the caller.
 */
static int
str_copy(char **dst, const char *s, size_t len, enum str_kind kind,
    char *err, size_t errlen)
{
	static const char	*names[] = { "mint URL", "unit", "memo",
				    "secret", "witness" };
	const char		*name = names[kind];
	size_t			 max = 0, i;
	char			*p;

	switch (kind) {
	case STR_MINT:
		while (len > 0 && s[len - 1] == '/')
			len--;
		max = TOKEN_URL_MAX;
		break;
	case STR_UNIT:
		max = TOKEN_UNIT_MAX;
		break;
	case STR_MEMO:
		max = TOKEN_MEMO_MAX;
		break;
	case STR_SECRET:
		max = TOKEN_SECRET_MAX;
		break;
	case STR_WITNESS:
		max = TOKEN_WITNESS_MAX;
		break;
	}
	if (len > max)
		return (fail(err, errlen, "%s too long (%zu bytes, at most %zu)",
		    name, len, max));
	if (len == 0 && (kind == STR_MINT || kind == STR_UNIT ||
	    kind == STR_SECRET))
		return (fail(err, errlen, "%s is empty", name));
	if (memchr(s, '\0', len) != NULL || !utf8_ok((const uint8_t *)s, len))
		return (fail(err, errlen, "%s is not a UTF-8 string", name));
	if (kind == STR_MINT) {
		for (i = 0; i < len; i++)
			if ((unsigned char)s[i] <= ' ' ||
			    (unsigned char)s[i] == 0x7f)
				return (fail(err, errlen,
				    "mint URL has a space or control character"));
		if (!(len > 7 && strncasecmp(s, "http://", 7) == 0) &&
		    !(len > 8 && strncasecmp(s, "https://", 8) == 0))
			return (fail(err, errlen,
			    "mint URL is not an http or https URL"));
	}
	if (kind == STR_UNIT)
		for (i = 0; i < len; i++)
			if ((unsigned char)s[i] <= ' ' ||
			    (unsigned char)s[i] >= 0x7f)
				return (fail(err, errlen,
				    "unit is not printable ASCII"));
	if ((p = malloc(len + 1)) == NULL)
		return (fail(err, errlen, "out of memory"));
	memcpy(p, s, len);
	p[len] = '\0';
	*dst = p;
	return (0);
}

/* Exactly outlen bytes from 2 * outlen hex digits of either case. */
static int
hex_decode(uint8_t *out, size_t outlen, const char *s, size_t slen)
{
	size_t	 i;
	int	 hi, lo, c, k;

	if (slen != outlen * 2)
		return (-1);
	for (i = 0; i < outlen; i++) {
		hi = lo = -1;
		for (k = 0; k < 2; k++) {
			c = (unsigned char)s[2 * i + k];
			if (c >= '0' && c <= '9')
				c -= '0';
			else if (c >= 'a' && c <= 'f')
				c -= 'a' - 10;
			else if (c >= 'A' && c <= 'F')
				c -= 'A' - 10;
			else
				return (-1);
			if (k == 0)
				hi = c;
			else
				lo = c;
		}
		out[i] = hi << 4 | lo;
	}
	return (0);
}

/* 2 * len lowercase digits and a NUL. */
static void
hex_encode(char *out, const uint8_t *p, size_t len)
{
	static const char	 digits[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

static struct cashu_token *
token_alloc(const char *mint, size_t mintlen, const char *unit,
    size_t unitlen, const char *memo, size_t memolen, char *err,
    size_t errlen)
{
	struct cashu_token	*tok;

	if ((tok = calloc(1, sizeof(*tok))) == NULL) {
		fail(err, errlen, "out of memory");
		return (NULL);
	}
	if (str_copy(&tok->mint, mint, mintlen, STR_MINT, err, errlen) == -1 ||
	    (unit != NULL &&
	    str_copy(&tok->unit, unit, unitlen, STR_UNIT, err, errlen) == -1) ||
	    (memo != NULL &&
	    str_copy(&tok->memo, memo, memolen, STR_MEMO, err, errlen) == -1)) {
		token_free(tok);
		return (NULL);
	}
	return (tok);
}

/*
 * A token to fill with token_add_proof().  unit and memo may be NULL
 * (a V4 token needs a unit, though).
 */
struct cashu_token *
token_new(const char *mint, const char *unit, const char *memo, char *err,
    size_t errlen)
{
	if (mint == NULL) {
		fail(err, errlen, "no mint URL");
		return (NULL);
	}
	return (token_alloc(mint, strlen(mint), unit,
	    unit == NULL ? 0 : strlen(unit), memo,
	    memo == NULL ? 0 : strlen(memo), err, errlen));
}

/* The fields of a proof that are not strings. */
static int
check_fixed(const struct cashu_proof *p, size_t n, char *err, size_t errlen)
{
	if (p->amount == 0)
		return (fail(err, errlen, "proof %zu: amount is zero", n));
	if (p->idlen != TOKEN_ID_SHORT && p->idlen != TOKEN_ID_LEN_MAX)
		return (fail(err, errlen,
		    "proof %zu: keyset id is neither 8 nor 33 bytes", n));
	if (p->C[0] != 0x02 && p->C[0] != 0x03)
		return (fail(err, errlen,
		    "proof %zu: C is not a compressed point", n));
	return (0);
}

/*
 * Append a copy of p (its secret and witness given separately, witness
 * NULL for none) to the group of its keyset id.
 */
static int
proof_add(struct cashu_token *tok, const struct cashu_proof *p,
    const char *secret, size_t secretlen, const char *witness,
    size_t witnesslen, char *err, size_t errlen)
{
	struct cashu_group	*g = NULL, *ng;
	struct cashu_proof	 np, *pp;
	size_t			 i, n = tok->nproofs, ncap;
	int			 newgroup = 0;
	char			 sub[128];

	if (tok->nproofs >= TOKEN_PROOFS_MAX)
		return (fail(err, errlen, "more than %d proofs",
		    TOKEN_PROOFS_MAX));
	if (check_fixed(p, n, err, errlen) == -1)
		return (-1);

	np = *p;
	np.secret = np.witness = NULL;
	np.has_dleq = p->has_dleq != 0;
	if (!np.has_dleq)
		memset(&np.dleq, 0, sizeof(np.dleq));
	if (np.idlen < sizeof(np.id))
		memset(np.id + np.idlen, 0, sizeof(np.id) - np.idlen);
	if (str_copy(&np.secret, secret, secretlen, STR_SECRET, sub,
	    sizeof(sub)) == -1 ||
	    (witness != NULL && str_copy(&np.witness, witness, witnesslen,
	    STR_WITNESS, sub, sizeof(sub)) == -1)) {
		fail(err, errlen, "proof %zu: %s", n, sub);
		goto fail;
	}
	if (money_add(&tok->amount, tok->amount, np.amount) == -1) {
		fail(err, errlen, "proof %zu: the amounts add up to more "
		    "than 2^64-1", n);
		goto fail;
	}

	for (i = 0; i < tok->ngroups; i++)
		if (tok->groups[i].idlen == np.idlen &&
		    memcmp(tok->groups[i].id, np.id, np.idlen) == 0) {
			g = &tok->groups[i];
			break;
		}
	if (g == NULL) {
		if (tok->ngroups == tok->cap) {
			ncap = tok->cap == 0 ? 4 : tok->cap * 2;
			if ((ng = recallocarray(tok->groups, tok->cap, ncap,
			    sizeof(*ng))) == NULL)
				goto nomem;
			tok->groups = ng;
			tok->cap = ncap;
		}
		g = &tok->groups[tok->ngroups++];
		newgroup = 1;
		memset(g, 0, sizeof(*g));
		memcpy(g->id, np.id, sizeof(g->id));
		g->idlen = np.idlen;
	}
	if (g->nproofs == g->cap) {
		ncap = g->cap == 0 ? 8 : g->cap * 2;
		/* recallocarray() wipes the old array. */
		if ((pp = recallocarray(g->proofs, g->cap, ncap,
		    sizeof(*pp))) == NULL)
			goto nomem;
		g->proofs = pp;
		g->cap = ncap;
	}
	g->proofs[g->nproofs++] = np;
	tok->nproofs++;
	explicit_bzero(&np, sizeof(np));
	return (0);

 nomem:
	fail(err, errlen, "out of memory");
	/* Undo: no empty group, and the amount went in already. */
	if (newgroup)
		tok->ngroups--;
	tok->amount -= np.amount;
 fail:
	if (np.secret != NULL)
		freezero(np.secret, strlen(np.secret) + 1);
	if (np.witness != NULL)
		freezero(np.witness, strlen(np.witness) + 1);
	explicit_bzero(&np, sizeof(np));
	return (-1);
}

/* Add a copy of p (secret and witness copied too) to its keyset's group. */
int
token_add_proof(struct cashu_token *tok, const struct cashu_proof *p,
    char *err, size_t errlen)
{
	if (p->secret == NULL)
		return (fail(err, errlen, "proof %zu: no secret",
		    tok->nproofs));
	return (proof_add(tok, p, p->secret, strlen(p->secret), p->witness,
	    p->witness == NULL ? 0 : strlen(p->witness), err, errlen));
}

/* The sum of the amounts, checked: -1 if it does not fit. */
int
token_sum(const struct cashu_token *tok, uint64_t *sum)
{
	const struct cashu_group	*g;
	uint64_t			 s = 0;
	size_t				 i, j;

	for (i = 0; i < tok->ngroups; i++) {
		g = &tok->groups[i];
		for (j = 0; j < g->nproofs; j++)
			if (money_add(&s, s, g->proofs[j].amount) == -1)
				return (-1);
	}
	*sum = s;
	return (0);
}

static int
streq_null(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == b);
	return (strcmp(a, b) == 0);
}

/* Same content, group by group and proof by proof (for tests). */
int
token_equal(const struct cashu_token *a, const struct cashu_token *b)
{
	const struct cashu_group	*ga, *gb;
	const struct cashu_proof	*pa, *pb;
	size_t				 i, j;

	if (!streq_null(a->mint, b->mint) || !streq_null(a->unit, b->unit) ||
	    !streq_null(a->memo, b->memo) || a->ngroups != b->ngroups ||
	    a->nproofs != b->nproofs || a->amount != b->amount)
		return (0);
	for (i = 0; i < a->ngroups; i++) {
		ga = &a->groups[i];
		gb = &b->groups[i];
		if (ga->idlen != gb->idlen || ga->nproofs != gb->nproofs ||
		    memcmp(ga->id, gb->id, ga->idlen) != 0)
			return (0);
		for (j = 0; j < ga->nproofs; j++) {
			pa = &ga->proofs[j];
			pb = &gb->proofs[j];
			if (pa->amount != pb->amount ||
			    pa->idlen != pb->idlen ||
			    memcmp(pa->id, pb->id, pa->idlen) != 0 ||
			    !streq_null(pa->secret, pb->secret) ||
			    memcmp(pa->C, pb->C, sizeof(pa->C)) != 0 ||
			    pa->has_dleq != pb->has_dleq ||
			    (pa->has_dleq && memcmp(&pa->dleq, &pb->dleq,
			    sizeof(pa->dleq)) != 0) ||
			    !streq_null(pa->witness, pb->witness))
				return (0);
		}
	}
	return (1);
}

void
token_free(struct cashu_token *tok)
{
	struct cashu_group	*g;
	struct cashu_proof	*p;
	size_t			 i, j;

	if (tok == NULL)
		return;
	for (i = 0; i < tok->ngroups; i++) {
		g = &tok->groups[i];
		for (j = 0; j < g->nproofs; j++) {
			p = &g->proofs[j];
			token_str_free(p->secret);
			token_str_free(p->witness);
		}
		freezero(g->proofs, g->cap * sizeof(*g->proofs));
	}
	freezero(tok->groups, tok->cap * sizeof(*tok->groups));
	token_str_free(tok->mint);
	token_str_free(tok->unit);
	token_str_free(tok->memo);
	freezero(tok, sizeof(*tok));
}

/* Free a string after wiping it: encoded tokens, secrets. */
void
token_str_free(char *s)
{
	if (s != NULL)
		freezero(s, strlen(s) + 1);
}

/*
 * Decoding.
 */

/*
 * text: "cashuA..." or "cashuB...", maybe after "cashu:" (NUT-00 URI
 * form); no NUL needed.  On success *tokp is the token, else NULL and a
 * message in err.
 */
int
token_decode(const char *text, size_t len, struct cashu_token **tokp,
    char *err, size_t errlen)
{
	uint8_t		*buf;
	size_t		 buflen, n;
	int		 rv;
	char		 version;

	*tokp = NULL;
	if (text == NULL)
		return (fail(err, errlen, "no token"));
	if (len > TOKEN_LEN_MAX)
		return (fail(err, errlen, "token longer than %d characters",
		    TOKEN_LEN_MAX));
	n = sizeof(TOKEN_URI) - 1;
	if (len > n && memcmp(text, TOKEN_URI, n) == 0) {
		text += n;
		len -= n;
	}
	n = sizeof(TOKEN_PREFIX) - 1;
	if (len < n + 1 || memcmp(text, TOKEN_PREFIX, n) != 0)
		return (fail(err, errlen, "not a Cashu token (no cashu prefix)"));
	version = text[n];
	text += n + 1;
	len -= n + 1;
	if (version != 'A' && version != 'B')
		return (fail(err, errlen, "unsupported token version"));
	if (len == 0)
		return (fail(err, errlen, "token is empty"));

	buflen = base64_decoded_maxlen(len);
	if ((buf = malloc(buflen)) == NULL)
		return (fail(err, errlen, "out of memory"));
	if (base64_decode(buf, buflen, &n, text, len, B64_URL) == -1) {
		freezero(buf, buflen);
		return (fail(err, errlen, "token is not valid base64url"));
	}
	if (version == 'A')
		rv = decode_v3(buf, n, tokp, err, errlen);
	else
		rv = decode_v4(buf, n, tokp, err, errlen);
	freezero(buf, buflen);
	return (rv);
}

/* The binary form: "craw" "B" CBOR. */
int
token_decode_raw(const uint8_t *raw, size_t len, struct cashu_token **tokp,
    char *err, size_t errlen)
{
	size_t	 n = sizeof(TOKEN_RAW) - 1;

	*tokp = NULL;
	if (raw == NULL || len < n + 1 || memcmp(raw, TOKEN_RAW, n) != 0)
		return (fail(err, errlen, "not a raw Cashu token"));
	if (raw[n] != 'B')
		return (fail(err, errlen, "unsupported raw token version"));
	if (len > TOKEN_LEN_MAX)
		return (fail(err, errlen, "token longer than %d bytes",
		    TOKEN_LEN_MAX));
	return (decode_v4(raw + n + 1, len - n - 1, tokp, err, errlen));
}

/* V3: JSON. */

static int
decode_v3(const uint8_t *buf, size_t len, struct cashu_token **tokp,
    char *err, size_t errlen)
{
	struct cashu_token	*tok = NULL;
	json_t			*root, *entries, *entry, *proofs, *jmint, *p;
	json_error_t		 jerr;
	const char		*unit = NULL, *memo = NULL, *mint;
	size_t			 unitlen = 0, memolen = 0, mintlen, i, j;
	char			*first = NULL;
	int			 same;

	/*
	 * jansson's own message quotes the text near the error: only its
	 * kind and position may leave here.
	 */
	root = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES,
	    &jerr);
	if (root == NULL) {
		switch (json_error_code(&jerr)) {
		case json_error_numeric_overflow:
			fail(err, errlen, "token JSON has a number out of range");
			break;
		case json_error_duplicate_key:
			fail(err, errlen, "token JSON has a duplicate key");
			break;
		default:
			fail(err, errlen, "token is not valid JSON (at byte %d)",
			    jerr.position);
			break;
		}
		explicit_bzero(&jerr, sizeof(jerr));
		return (-1);
	}
	if (!json_is_object(root)) {
		fail(err, errlen, "token JSON is not an object");
		goto fail;
	}
	entries = json_object_get(root, "token");
	if (!json_is_array(entries) || json_array_size(entries) == 0) {
		fail(err, errlen, "token: \"token\" is not a non-empty array");
		goto fail;
	}
	if (v3_optstr(root, "unit", &unit, &unitlen, "unit", err,
	    errlen) == -1 ||
	    v3_optstr(root, "memo", &memo, &memolen, "memo", err,
	    errlen) == -1)
		goto fail;

	json_array_foreach(entries, i, entry) {
		if (!json_is_object(entry)) {
			fail(err, errlen, "token entry %zu is not an object", i);
			goto fail;
		}
		jmint = json_object_get(entry, "mint");
		if (!json_is_string(jmint)) {
			fail(err, errlen, "token entry %zu: no mint URL", i);
			goto fail;
		}
		mint = json_string_value(jmint);
		mintlen = json_string_length(jmint);
		if (tok == NULL) {
			if ((tok = token_alloc(mint, mintlen, unit, unitlen,
			    memo, memolen, err, errlen)) == NULL)
				goto fail;
		} else {
			/* One mint per token: the same URL, modulo '/'. */
			if (str_copy(&first, mint, mintlen, STR_MINT, err,
			    errlen) == -1)
				goto fail;
			same = strcmp(first, tok->mint) == 0;
			token_str_free(first);
			first = NULL;
			if (!same) {
				fail(err, errlen,
				    "token holds proofs of more than one mint");
				goto fail;
			}
		}
		proofs = json_object_get(entry, "proofs");
		if (!json_is_array(proofs) || json_array_size(proofs) == 0) {
			fail(err, errlen, "token entry %zu: \"proofs\" is not "
			    "a non-empty array", i);
			goto fail;
		}
		json_array_foreach(proofs, j, p) {
			if (v3_proof(tok, p, tok->nproofs, err,
			    errlen) == -1)
				goto fail;
		}
	}
	json_decref(root);
	*tokp = tok;
	return (0);
 fail:
	token_free(tok);
	json_decref(root);
	return (-1);
}

/* An optional string member; null is as good as absent. */
static int
v3_optstr(json_t *obj, const char *key, const char **s, size_t *len,
    const char *what, char *err, size_t errlen)
{
	json_t	*v;

	*s = NULL;
	*len = 0;
	if ((v = json_object_get(obj, key)) == NULL || json_is_null(v))
		return (0);
	if (!json_is_string(v))
		return (fail(err, errlen, "%s is not a string", what));
	*s = json_string_value(v);
	*len = json_string_length(v);
	return (0);
}

/*
 * A hex string member: exactly len1 or len2 (if not 0) bytes.  The
 * length found goes into *outlen if outlen is not NULL.
 */
static int
v3_hex(json_t *obj, const char *key, uint8_t *out, size_t len1,
    size_t len2, size_t *outlen, size_t n, char *err, size_t errlen)
{
	json_t		*v = json_object_get(obj, key);
	const char	*s;
	size_t		 slen;

	if (v == NULL)
		return (fail(err, errlen, "proof %zu: no \"%s\"", n, key));
	if (!json_is_string(v))
		return (fail(err, errlen, "proof %zu: \"%s\" is not a string",
		    n, key));
	s = json_string_value(v);
	slen = json_string_length(v);
	if (hex_decode(out, len1, s, slen) == 0) {
		if (outlen != NULL)
			*outlen = len1;
		return (0);
	}
	if (len2 != 0 && hex_decode(out, len2, s, slen) == 0) {
		if (outlen != NULL)
			*outlen = len2;
		return (0);
	}
	if (len2 != 0)
		return (fail(err, errlen, "proof %zu: \"%s\" is not %zu or %zu "
		    "bytes of hex", n, key, len1, len2));
	return (fail(err, errlen, "proof %zu: \"%s\" is not %zu bytes of hex",
	    n, key, len1));
}

static int
v3_proof(struct cashu_token *tok, json_t *jp, size_t n, char *err,
    size_t errlen)
{
	struct cashu_proof	 p;
	json_t			*v, *d;
	const char		*secret, *witness = NULL;
	size_t			 secretlen, witnesslen = 0;
	json_int_t		 amount;
	int			 rv = -1;

	memset(&p, 0, sizeof(p));
	if (!json_is_object(jp))
		return (fail(err, errlen, "proof %zu is not an object", n));

	v = json_object_get(jp, "amount");
	if (!json_is_integer(v) || (amount = json_integer_value(v)) <= 0) {
		fail(err, errlen, "proof %zu: \"amount\" is not a positive "
		    "integer", n);
		goto done;
	}
	p.amount = (uint64_t)amount;
	if (v3_hex(jp, "id", p.id, TOKEN_ID_SHORT, TOKEN_ID_LEN_MAX,
	    &p.idlen, n, err, errlen) == -1 ||
	    v3_hex(jp, "C", p.C, TOKEN_C_LEN, 0, NULL, n, err, errlen) == -1)
		goto done;

	v = json_object_get(jp, "secret");
	if (!json_is_string(v)) {
		fail(err, errlen, "proof %zu: \"secret\" is %s", n,
		    v == NULL ? "missing" : "not a string");
		goto done;
	}
	secret = json_string_value(v);
	secretlen = json_string_length(v);

	d = json_object_get(jp, "dleq");
	if (d != NULL && !json_is_null(d)) {
		if (!json_is_object(d)) {
			fail(err, errlen, "proof %zu: \"dleq\" is not an "
			    "object", n);
			goto done;
		}
		if (v3_hex(d, "e", p.dleq.e, TOKEN_SCALAR_LEN, 0, NULL, n,
		    err, errlen) == -1 ||
		    v3_hex(d, "s", p.dleq.s, TOKEN_SCALAR_LEN, 0, NULL, n,
		    err, errlen) == -1 ||
		    v3_hex(d, "r", p.dleq.r, TOKEN_SCALAR_LEN, 0, NULL, n,
		    err, errlen) == -1)
			goto done;
		p.has_dleq = 1;
	}
	v = json_object_get(jp, "witness");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_string(v)) {
			fail(err, errlen, "proof %zu: \"witness\" is not a "
			    "string", n);
			goto done;
		}
		witness = json_string_value(v);
		witnesslen = json_string_length(v);
	}
	rv = proof_add(tok, &p, secret, secretlen, witness, witnesslen, err,
	    errlen);
 done:
	explicit_bzero(&p, sizeof(p));
	return (rv);
}

/* V4: CBOR. */

/*
 * Look up key in the map at index map: its value's index in *val, or
 * -1 with a message if it is missing (and required), there twice or of
 * the wrong type.  Returns 1 if found, 0 if absent or null.
 */
static int
v4_get(const struct cbor_doc *doc, size_t map, const char *key, size_t *val,
    int required, enum cbor_type type, const char *what, size_t n,
    char *err, size_t errlen)
{
	char	 where[32] = "";
	int	 r;

	if (n != SIZE_MAX)
		snprintf(where, sizeof(where), "proof %zu: ", n);
	r = cbor_map_get(doc, map, key, val);
	if (r == -1)
		return (fail(err, errlen, "%s\"%s\" (%s) appears twice", where,
		    key, what));
	if (r == 0 || (!required && doc->item[*val].type == CBOR_NULL)) {
		if (required)
			return (fail(err, errlen, "%s\"%s\" (%s) is missing",
			    where, key, what));
		return (0);
	}
	if (doc->item[*val].type != type)
		return (fail(err, errlen, "%s\"%s\" (%s) has the wrong type",
		    where, key, what));
	return (1);
}

static int
decode_v4(const uint8_t *buf, size_t len, struct cashu_token **tokp,
    char *err, size_t errlen)
{
	struct cashu_token	*tok = NULL;
	struct cbor_doc		 doc;
	const struct cbor_item	*m, *u = NULL, *d = NULL, *it;
	size_t			 vm, vu, vd, vt, e, vi, vp, q, i, j;
	int			 r;

	if ((r = cbor_decode(&doc, buf, len, TOKEN_DEPTH_MAX,
	    CBOR_ITEMS_MAX)) != 0)
		return (fail(err, errlen, "token is not valid CBOR (%s)",
		    cbor_strerror(r)));
	if (doc.item[0].type != CBOR_MAP) {
		fail(err, errlen, "token is not a CBOR map");
		goto fail;
	}
	if (v4_get(&doc, 0, "m", &vm, 1, CBOR_TEXT, "mint URL", SIZE_MAX,
	    err, errlen) == -1 ||
	    v4_get(&doc, 0, "u", &vu, 1, CBOR_TEXT, "unit", SIZE_MAX,
	    err, errlen) == -1 ||
	    (r = v4_get(&doc, 0, "d", &vd, 0, CBOR_TEXT, "memo", SIZE_MAX,
	    err, errlen)) == -1 ||
	    v4_get(&doc, 0, "t", &vt, 1, CBOR_ARRAY, "proofs by keyset",
	    SIZE_MAX, err, errlen) == -1)
		goto fail;
	m = &doc.item[vm];
	u = &doc.item[vu];
	if (r == 1)
		d = &doc.item[vd];
	if (doc.item[vt].val == 0) {
		fail(err, errlen, "token has no proofs");
		goto fail;
	}
	if ((tok = token_alloc((const char *)m->ptr, m->len,
	    (const char *)u->ptr, u->len, d == NULL ? NULL :
	    (const char *)d->ptr, d == NULL ? 0 : d->len, err, errlen)) == NULL)
		goto fail;

	e = vt + 1;
	for (i = 0; i < doc.item[vt].val; i++, e = doc.item[e].next) {
		if (doc.item[e].type != CBOR_MAP) {
			fail(err, errlen, "keyset entry %zu is not a map", i);
			goto fail;
		}
		if (v4_get(&doc, e, "i", &vi, 1, CBOR_BYTES, "keyset id",
		    SIZE_MAX, err, errlen) == -1 ||
		    v4_get(&doc, e, "p", &vp, 1, CBOR_ARRAY, "proofs",
		    SIZE_MAX, err, errlen) == -1)
			goto fail;
		it = &doc.item[vi];
		if (it->len != TOKEN_ID_SHORT && it->len != TOKEN_ID_LEN_MAX) {
			fail(err, errlen, "keyset entry %zu: id is neither 8 "
			    "nor 33 bytes", i);
			goto fail;
		}
		if (doc.item[vp].val == 0) {
			fail(err, errlen, "keyset entry %zu has no proofs", i);
			goto fail;
		}
		q = vp + 1;
		for (j = 0; j < doc.item[vp].val; j++, q = doc.item[q].next)
			if (v4_proof(tok, &doc, q, it->ptr, it->len,
			    tok->nproofs, err, errlen) == -1)
				goto fail;
	}
	cbor_doc_free(&doc);
	*tokp = tok;
	return (0);
 fail:
	token_free(tok);
	cbor_doc_free(&doc);
	return (-1);
}

static int
v4_proof(struct cashu_token *tok, const struct cbor_doc *doc, size_t q,
    const uint8_t *id, size_t idlen, size_t n, char *err, size_t errlen)
{
	struct cashu_proof	 p;
	const struct cbor_item	*s, *c, *w = NULL, *x;
	size_t			 va, vs, vc, vd, vw, ve, vs2, vr;
	int			 hd, hw, rv = -1;

	memset(&p, 0, sizeof(p));
	if (doc->item[q].type != CBOR_MAP)
		return (fail(err, errlen, "proof %zu is not a map", n));
	if (v4_get(doc, q, "a", &va, 1, CBOR_UINT, "amount", n, err,
	    errlen) == -1 ||
	    v4_get(doc, q, "s", &vs, 1, CBOR_TEXT, "secret", n, err,
	    errlen) == -1 ||
	    v4_get(doc, q, "c", &vc, 1, CBOR_BYTES, "signature C", n, err,
	    errlen) == -1 ||
	    (hd = v4_get(doc, q, "d", &vd, 0, CBOR_MAP, "DLEQ proof", n, err,
	    errlen)) == -1 ||
	    (hw = v4_get(doc, q, "w", &vw, 0, CBOR_TEXT, "witness", n, err,
	    errlen)) == -1)
		goto done;
	p.amount = doc->item[va].val;
	memcpy(p.id, id, idlen);
	p.idlen = idlen;
	s = &doc->item[vs];
	c = &doc->item[vc];
	if (c->len != TOKEN_C_LEN) {
		fail(err, errlen, "proof %zu: C is not %d bytes", n,
		    TOKEN_C_LEN);
		goto done;
	}
	memcpy(p.C, c->ptr, TOKEN_C_LEN);
	if (hd) {
		if (v4_get(doc, vd, "e", &ve, 1, CBOR_BYTES, "DLEQ e", n, err,
		    errlen) == -1 ||
		    v4_get(doc, vd, "s", &vs2, 1, CBOR_BYTES, "DLEQ s", n, err,
		    errlen) == -1 ||
		    v4_get(doc, vd, "r", &vr, 1, CBOR_BYTES, "DLEQ r", n, err,
		    errlen) == -1)
			goto done;
		if (doc->item[ve].len != TOKEN_SCALAR_LEN ||
		    doc->item[vs2].len != TOKEN_SCALAR_LEN ||
		    doc->item[vr].len != TOKEN_SCALAR_LEN) {
			fail(err, errlen, "proof %zu: DLEQ values are not %d "
			    "bytes", n, TOKEN_SCALAR_LEN);
			goto done;
		}
		x = &doc->item[ve];
		memcpy(p.dleq.e, x->ptr, TOKEN_SCALAR_LEN);
		x = &doc->item[vs2];
		memcpy(p.dleq.s, x->ptr, TOKEN_SCALAR_LEN);
		x = &doc->item[vr];
		memcpy(p.dleq.r, x->ptr, TOKEN_SCALAR_LEN);
		p.has_dleq = 1;
	}
	if (hw)
		w = &doc->item[vw];
	rv = proof_add(tok, &p, (const char *)s->ptr, s->len,
	    w == NULL ? NULL : (const char *)w->ptr, w == NULL ? 0 : w->len,
	    err, errlen);
 done:
	explicit_bzero(&p, sizeof(p));
	return (rv);
}

/*
 * Encoding.
 */

/*
 * The CBOR of a V4 token, keys in the order of the NUT-00 vectors:
 * t, d, m, u; i, p; a, s, c, d, w; e, s, r.
 */
static int
encode_cbor(const struct cashu_token *tok, struct cbor_buf *b, char *err,
    size_t errlen)
{
	const struct cashu_group	*g;
	const struct cashu_proof	*p;
	size_t				 i, j;

	if (tok->nproofs == 0 || tok->ngroups == 0)
		return (fail(err, errlen, "token has no proofs"));
	if (tok->mint == NULL || tok->unit == NULL)
		return (fail(err, errlen, "a V4 token needs a mint and a "
		    "unit"));
	cbor_buf_init(b, TOKEN_LEN_MAX);
	cbor_put_map(b, tok->memo != NULL ? 4 : 3);
	cbor_put_str(b, "t");
	cbor_put_array(b, tok->ngroups);
	for (i = 0; i < tok->ngroups; i++) {
		g = &tok->groups[i];
		cbor_put_map(b, 2);
		cbor_put_str(b, "i");
		cbor_put_bytes(b, g->id, g->idlen);
		cbor_put_str(b, "p");
		cbor_put_array(b, g->nproofs);
		for (j = 0; j < g->nproofs; j++) {
			p = &g->proofs[j];
			cbor_put_map(b, 3 + (p->has_dleq != 0) +
			    (p->witness != NULL));
			cbor_put_str(b, "a");
			cbor_put_uint(b, p->amount);
			cbor_put_str(b, "s");
			cbor_put_str(b, p->secret);
			cbor_put_str(b, "c");
			cbor_put_bytes(b, p->C, sizeof(p->C));
			if (p->has_dleq) {
				cbor_put_str(b, "d");
				cbor_put_map(b, 3);
				cbor_put_str(b, "e");
				cbor_put_bytes(b, p->dleq.e, TOKEN_SCALAR_LEN);
				cbor_put_str(b, "s");
				cbor_put_bytes(b, p->dleq.s, TOKEN_SCALAR_LEN);
				cbor_put_str(b, "r");
				cbor_put_bytes(b, p->dleq.r, TOKEN_SCALAR_LEN);
			}
			if (p->witness != NULL) {
				cbor_put_str(b, "w");
				cbor_put_str(b, p->witness);
			}
		}
	}
	if (tok->memo != NULL) {
		cbor_put_str(b, "d");
		cbor_put_str(b, tok->memo);
	}
	cbor_put_str(b, "m");
	cbor_put_str(b, tok->mint);
	cbor_put_str(b, "u");
	cbor_put_str(b, tok->unit);
	if (b->error) {
		cbor_buf_free(b);
		return (fail(err, errlen, "token too large to encode"));
	}
	return (0);
}

/* prefix + base64url(data) into a new string. */
static int
encode_text(const char *prefix, const uint8_t *data, size_t len, int flags,
    char **out, char *err, size_t errlen)
{
	size_t	 plen = strlen(prefix), n;
	char	*s;
	int	 b64 = B64_URL | ((flags & TOKEN_PAD) ? 0 : B64_NOPAD);

	n = base64_encoded_len(len, b64);
	if (n > TOKEN_LEN_MAX - plen)
		return (fail(err, errlen, "token too large to encode"));
	if ((s = malloc(plen + n + 1)) == NULL)
		return (fail(err, errlen, "out of memory"));
	memcpy(s, prefix, plen);
	if (base64_encode(s + plen, n + 1, data, len, b64) == -1) {
		freezero(s, plen + n + 1);
		return (fail(err, errlen, "token too large to encode"));
	}
	*out = s;
	return (0);
}

/*
 * "cashuB" + base64url(CBOR); TOKEN_PAD in flags adds '=' padding
 * (cashu-ts writes none).  Free *out with token_str_free().
 */
int
token_encode_v4(const struct cashu_token *tok, int flags, char **out,
    char *err, size_t errlen)
{
	struct cbor_buf	 b;
	int		 rv;

	*out = NULL;
	if (encode_cbor(tok, &b, err, errlen) == -1)
		return (-1);
	rv = encode_text(TOKEN_PREFIX "B", b.buf, b.len, flags, out, err,
	    errlen);
	cbor_buf_free(&b);
	return (rv);
}

/* "craw" "B" CBOR; free *out with freezero(*out, *outlen). */
int
token_encode_raw(const struct cashu_token *tok, uint8_t **out,
    size_t *outlen, char *err, size_t errlen)
{
	struct cbor_buf	 b;
	size_t		 n = sizeof(TOKEN_RAW) - 1;
	uint8_t		*p;

	*out = NULL;
	*outlen = 0;
	if (encode_cbor(tok, &b, err, errlen) == -1)
		return (-1);
	if ((p = malloc(n + 1 + b.len)) == NULL) {
		cbor_buf_free(&b);
		return (fail(err, errlen, "out of memory"));
	}
	memcpy(p, TOKEN_RAW, n);
	p[n] = 'B';
	memcpy(p + n + 1, b.buf, b.len);
	*out = p;
	*outlen = n + 1 + b.len;
	cbor_buf_free(&b);
	return (0);
}

static int
jset(json_t *obj, const char *key, json_t *v)
{
	return (v == NULL ? -1 : json_object_set_new(obj, key, v));
}

static json_t *
jhex(const uint8_t *p, size_t len)
{
	char	 hex[2 * TOKEN_ID_LEN_MAX + 1];
	json_t	*v;

	if (len > TOKEN_ID_LEN_MAX)
		return (NULL);
	hex_encode(hex, p, len);
	v = json_string(hex);
	explicit_bzero(hex, sizeof(hex));
	return (v);
}

/* Keys in the order of the NUT-00 vector: token, unit, memo. */
static json_t *
v3_json(const struct cashu_token *tok, char *err, size_t errlen)
{
	const struct cashu_group	*g;
	const struct cashu_proof	*p;
	json_t				*root, *entries, *entry, *proofs;
	json_t				*jp, *d;
	size_t				 i, j;

	if ((root = json_object()) == NULL ||
	    (entries = json_array()) == NULL ||
	    json_object_set_new(root, "token", entries) == -1 ||
	    (entry = json_object()) == NULL ||
	    json_array_append_new(entries, entry) == -1 ||
	    jset(entry, "mint", json_string(tok->mint)) == -1 ||
	    (proofs = json_array()) == NULL ||
	    json_object_set_new(entry, "proofs", proofs) == -1)
		goto nomem;
	for (i = 0; i < tok->ngroups; i++) {
		g = &tok->groups[i];
		for (j = 0; j < g->nproofs; j++) {
			p = &g->proofs[j];
			if (p->amount > INT64_MAX) {
				json_decref(root);
				fail(err, errlen, "proof amount too large for a "
				    "V3 token");
				return (NULL);
			}
			if ((jp = json_object()) == NULL ||
			    json_array_append_new(proofs, jp) == -1 ||
			    jset(jp, "amount",
			    json_integer((json_int_t)p->amount)) == -1 ||
			    jset(jp, "id", jhex(g->id, g->idlen)) == -1 ||
			    jset(jp, "secret", json_string(p->secret)) == -1 ||
			    jset(jp, "C", jhex(p->C, sizeof(p->C))) == -1)
				goto nomem;
			if (p->has_dleq &&
			    ((d = json_object()) == NULL ||
			    json_object_set_new(jp, "dleq", d) == -1 ||
			    jset(d, "e", jhex(p->dleq.e,
			    TOKEN_SCALAR_LEN)) == -1 ||
			    jset(d, "s", jhex(p->dleq.s,
			    TOKEN_SCALAR_LEN)) == -1 ||
			    jset(d, "r", jhex(p->dleq.r,
			    TOKEN_SCALAR_LEN)) == -1))
				goto nomem;
			if (p->witness != NULL && jset(jp, "witness",
			    json_string(p->witness)) == -1)
				goto nomem;
		}
	}
	if ((tok->unit != NULL &&
	    jset(root, "unit", json_string(tok->unit)) == -1) ||
	    (tok->memo != NULL &&
	    jset(root, "memo", json_string(tok->memo)) == -1))
		goto nomem;
	return (root);
 nomem:
	json_decref(root);
	fail(err, errlen, "out of memory");
	return (NULL);
}

/*
 * "cashuA" + base64url(JSON without whitespace); TOKEN_PAD in flags adds
 * '=' padding, as nutshell does.  Free *out with token_str_free().
 */
int
token_encode_v3(const struct cashu_token *tok, int flags, char **out,
    char *err, size_t errlen)
{
	json_t	*root;
	char	*s;
	int	 rv;

	*out = NULL;
	if (tok->nproofs == 0 || tok->ngroups == 0)
		return (fail(err, errlen, "token has no proofs"));
	if (tok->mint == NULL)
		return (fail(err, errlen, "token has no mint URL"));
	if ((root = v3_json(tok, err, errlen)) == NULL)
		return (-1);
	s = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	if (s == NULL)
		return (fail(err, errlen, "out of memory"));
	rv = encode_text(TOKEN_PREFIX "A", (const uint8_t *)s, strlen(s),
	    flags, out, err, errlen);
	token_str_free(s);
	return (rv);
}
