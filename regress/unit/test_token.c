/*
 * Cashu tokens: every NUT-00 token vector (cashubtc/nuts tests/00-tests.md,
 * copied in /work/shared/specs/cashu.md 12.1), round trips V3 -> struct ->
 * V3 and V4 -> struct -> V4 to the byte, and every way of being wrong:
 * prefixes, base64, truncation at every length, each field missing, null,
 * of the wrong type or twice, limits on proofs, secrets, lengths and sums.
 * No error message may carry any piece of the token.  base64 is tested
 * here too.
 */

#include <sys/types.h>

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "cbor.h"
#include "token.h"
#include "test.h"

static const char v3_ser[] =
    "cashuAeyJ0b2tlbiI6W3sibWludCI6Imh0dHBzOi8vODMzMy5zcGFjZTozMz"
    "M4IiwicHJvb2ZzIjpbeyJhbW91bnQiOjIsImlkIjoiMDA5YTFmMjkzMjUzZT"
    "QxZSIsInNlY3JldCI6IjQwNzkxNWJjMjEyYmU2MWE3N2UzZTZkMmFlYjRjNz"
    "I3OTgwYmRhNTFjZDA2YTZhZmMyOWUyODYxNzY4YTc4MzciLCJDIjoiMDJiYz"
    "kwOTc5OTdkODFhZmIyY2M3MzQ2YjVlNDM0NWE5MzQ2YmQyYTUwNmViNzk1OD"
    "U5OGE3MmYwY2Y4NTE2M2VhIn0seyJhbW91bnQiOjgsImlkIjoiMDA5YTFmMj"
    "kzMjUzZTQxZSIsInNlY3JldCI6ImZlMTUxMDkzMTRlNjFkNzc1NmIwZjhlZT"
    "BmMjNhNjI0YWNhYTNmNGUwNDJmNjE0MzNjNzI4YzcwNTdiOTMxYmUiLCJDIj"
    "oiMDI5ZThlNTA1MGI4OTBhN2Q2YzA5NjhkYjE2YmMxZDVkNWZhMDQwZWExZG"
    "UyODRmNmVjNjlkNjEyOTlmNjcxMDU5In1dfV0sInVuaXQiOiJzYXQiLCJtZW"
    "1vIjoiVGhhbmsgeW91LiJ9";

static const char v3_bad_prefix[] =
    "casshuAeyJ0b2tlbiI6W3sibWludCI6Imh0dHBzOi8vODMzMy5zcGFjZTozM"
    "zM4IiwicHJvb2ZzIjpbeyJhbW91bnQiOjIsImlkIjoiMDA5YTFmMjkzMjUzZ"
    "TQxZSIsInNlY3JldCI6IjQwNzkxNWJjMjEyYmU2MWE3N2UzZTZkMmFlYjRjN"
    "zI3OTgwYmRhNTFjZDA2YTZhZmMyOWUyODYxNzY4YTc4MzciLCJDIjoiMDJiY"
    "zkwOTc5OTdkODFhZmIyY2M3MzQ2YjVlNDM0NWE5MzQ2YmQyYTUwNmViNzk1O"
    "DU5OGE3MmYwY2Y4NTE2M2VhIn0seyJhbW91bnQiOjgsImlkIjoiMDA5YTFmM"
    "jkzMjUzZTQxZSIsInNlY3JldCI6ImZlMTUxMDkzMTRlNjFkNzc1NmIwZjhlZ"
    "TBmMjNhNjI0YWNhYTNmNGUwNDJmNjE0MzNjNzI4YzcwNTdiOTMxYmUiLCJDI"
    "joiMDI5ZThlNTA1MGI4OTBhN2Q2YzA5NjhkYjE2YmMxZDVkNWZhMDQwZWExZ"
    "GUyODRmNmVjNjlkNjEyOTlmNjcxMDU5In1dfV0sInVuaXQiOiJzYXQiLCJtZ"
    "W1vIjoiVGhhbmsgeW91LiJ9";

static const char v3_no_prefix[] =
    "eyJ0b2tlbiI6W3sibWludCI6Imh0dHBzOi8vODMzMy5zcGFjZTozMzM4Iiwi"
    "cHJvb2ZzIjpbeyJhbW91bnQiOjIsImlkIjoiMDA5YTFmMjkzMjUzZTQxZSIs"
    "InNlY3JldCI6IjQwNzkxNWJjMjEyYmU2MWE3N2UzZTZkMmFlYjRjNzI3OTgw"
    "YmRhNTFjZDA2YTZhZmMyOWUyODYxNzY4YTc4MzciLCJDIjoiMDJiYzkwOTc5"
    "OTdkODFhZmIyY2M3MzQ2YjVlNDM0NWE5MzQ2YmQyYTUwNmViNzk1ODU5OGE3"
    "MmYwY2Y4NTE2M2VhIn0seyJhbW91bnQiOjgsImlkIjoiMDA5YTFmMjkzMjUz"
    "ZTQxZSIsInNlY3JldCI6ImZlMTUxMDkzMTRlNjFkNzc1NmIwZjhlZTBmMjNh"
    "NjI0YWNhYTNmNGUwNDJmNjE0MzNjNzI4YzcwNTdiOTMxYmUiLCJDIjoiMDI5"
    "ZThlNTA1MGI4OTBhN2Q2YzA5NjhkYjE2YmMxZDVkNWZhMDQwZWExZGUyODRm"
    "NmVjNjlkNjEyOTlmNjcxMDU5In1dfV0sInVuaXQiOiJzYXQiLCJtZW1vIjoi"
    "VGhhbmsgeW91LiJ9";

static const char v3_valid[] =
    "cashuAeyJ0b2tlbiI6W3sibWludCI6Imh0dHBzOi8vODMzMy5zcGFjZTozMz"
    "M4IiwicHJvb2ZzIjpbeyJhbW91bnQiOjIsImlkIjoiMDA5YTFmMjkzMjUzZT"
    "QxZSIsInNlY3JldCI6IjQwNzkxNWJjMjEyYmU2MWE3N2UzZTZkMmFlYjRjNz"
    "I3OTgwYmRhNTFjZDA2YTZhZmMyOWUyODYxNzY4YTc4MzciLCJDIjoiMDJiYz"
    "kwOTc5OTdkODFhZmIyY2M3MzQ2YjVlNDM0NWE5MzQ2YmQyYTUwNmViNzk1OD"
    "U5OGE3MmYwY2Y4NTE2M2VhIn0seyJhbW91bnQiOjgsImlkIjoiMDA5YTFmMj"
    "kzMjUzZTQxZSIsInNlY3JldCI6ImZlMTUxMDkzMTRlNjFkNzc1NmIwZjhlZT"
    "BmMjNhNjI0YWNhYTNmNGUwNDJmNjE0MzNjNzI4YzcwNTdiOTMxYmUiLCJDIj"
    "oiMDI5ZThlNTA1MGI4OTBhN2Q2YzA5NjhkYjE2YmMxZDVkNWZhMDQwZWExZG"
    "UyODRmNmVjNjlkNjEyOTlmNjcxMDU5In1dfV0sInVuaXQiOiJzYXQiLCJtZW"
    "1vIjoiVGhhbmsgeW91LiJ9";

static const char v3_padded[] =
    "cashuAeyJ0b2tlbiI6W3sibWludCI6Imh0dHBzOi8vODMzMy5zcGFjZTozMz"
    "M4IiwicHJvb2ZzIjpbeyJhbW91bnQiOjIsImlkIjoiMDA5YTFmMjkzMjUzZT"
    "QxZSIsInNlY3JldCI6IjQwNzkxNWJjMjEyYmU2MWE3N2UzZTZkMmFlYjRjNz"
    "I3OTgwYmRhNTFjZDA2YTZhZmMyOWUyODYxNzY4YTc4MzciLCJDIjoiMDJiYz"
    "kwOTc5OTdkODFhZmIyY2M3MzQ2YjVlNDM0NWE5MzQ2YmQyYTUwNmViNzk1OD"
    "U5OGE3MmYwY2Y4NTE2M2VhIn0seyJhbW91bnQiOjgsImlkIjoiMDA5YTFmMj"
    "kzMjUzZTQxZSIsInNlY3JldCI6ImZlMTUxMDkzMTRlNjFkNzc1NmIwZjhlZT"
    "BmMjNhNjI0YWNhYTNmNGUwNDJmNjE0MzNjNzI4YzcwNTdiOTMxYmUiLCJDIj"
    "oiMDI5ZThlNTA1MGI4OTBhN2Q2YzA5NjhkYjE2YmMxZDVkNWZhMDQwZWExZG"
    "UyODRmNmVjNjlkNjEyOTlmNjcxMDU5In1dfV0sInVuaXQiOiJzYXQiLCJtZW"
    "1vIjoiVGhhbmsgeW91IHZlcnkgbXVjaC4ifQ==";

static const char v3_unpadded[] =
    "cashuAeyJ0b2tlbiI6W3sibWludCI6Imh0dHBzOi8vODMzMy5zcGFjZTozMz"
    "M4IiwicHJvb2ZzIjpbeyJhbW91bnQiOjIsImlkIjoiMDA5YTFmMjkzMjUzZT"
    "QxZSIsInNlY3JldCI6IjQwNzkxNWJjMjEyYmU2MWE3N2UzZTZkMmFlYjRjNz"
    "I3OTgwYmRhNTFjZDA2YTZhZmMyOWUyODYxNzY4YTc4MzciLCJDIjoiMDJiYz"
    "kwOTc5OTdkODFhZmIyY2M3MzQ2YjVlNDM0NWE5MzQ2YmQyYTUwNmViNzk1OD"
    "U5OGE3MmYwY2Y4NTE2M2VhIn0seyJhbW91bnQiOjgsImlkIjoiMDA5YTFmMj"
    "kzMjUzZTQxZSIsInNlY3JldCI6ImZlMTUxMDkzMTRlNjFkNzc1NmIwZjhlZT"
    "BmMjNhNjI0YWNhYTNmNGUwNDJmNjE0MzNjNzI4YzcwNTdiOTMxYmUiLCJDIj"
    "oiMDI5ZThlNTA1MGI4OTBhN2Q2YzA5NjhkYjE2YmMxZDVkNWZhMDQwZWExZG"
    "UyODRmNmVjNjlkNjEyOTlmNjcxMDU5In1dfV0sInVuaXQiOiJzYXQiLCJtZW"
    "1vIjoiVGhhbmsgeW91IHZlcnkgbXVjaC4ifQ";

static const char v4_single[] =
    "cashuBpGF0gaJhaUgArSaMTR9YJmFwgaNhYQFhc3hAOWE2ZGJiODQ3YmQyMz"
    "JiYTc2ZGIwZGYxOTcyMTZiMjlkM2I4Y2MxNDU1M2NkMjc4MjdmYzFjYzk0Mm"
    "ZlZGI0ZWFjWCEDhhhUP_trhpXfStS6vN6So0qWvc2X3O4NfM-Y1HISZ5JhZG"
    "lUaGFuayB5b3VhbXVodHRwOi8vbG9jYWxob3N0OjMzMzhhdWNzYXQ=";

static const char v4_multi[] =
    "cashuBo2F0gqJhaUgA_9SLj17PgGFwgaNhYQFhc3hAYWNjMTI0MzVlN2I4ND"
    "g0YzNjZjE4NTAxNDkyMThhZjkwZjcxNmE1MmJmNGE1ZWQzNDdlNDhlY2MxM2"
    "Y3NzM4OGFjWCECRFODGd5IXVW-07KaZCvuWHk3WrnnpiDhHki6SCQh88-iYW"
    "lIAK0mjE0fWCZhcIKjYWECYXN4QDEzMjNkM2Q0NzA3YTU4YWQyZTIzYWRhNG"
    "U5ZjFmNDlmNWE1YjRhYzdiNzA4ZWIwZDYxZjczOGY0ODMwN2U4ZWVhY1ghAj"
    "RWqhENhLSsdHrr2Cw7AFrKUL9Ffr1XN6RBT6w659lNo2FhAWFzeEA1NmJjYm"
    "NiYjdjYzY0MDZiM2ZhNWQ1N2QyMTc0ZjRlZmY4YjQ0MDJiMTc2OTI2ZDNhNT"
    "dkM2MzZGNiYjU5ZDU3YWNYIQJzEpxXGeWZN5qXSmJjY8MzxWyvwObQGr5G1Y"
    "CCgHicY2FtdWh0dHA6Ly9sb2NhbGhvc3Q6MzMzOGF1Y3NhdA";

static const char raw_hex[] =
    "6372617742a4617481a261694800ad268c4d1f5826617081a36161016173"
    "784039613664626238343762643233326261373664623064663139373231"
    "366232396433623863633134353533636432373832376663316363393432"
    "66656462346561635821038618543ffb6b8695df4ad4babcde92a34a96bd"
    "cd97dcee0d7ccf98d4721267926164695468616e6b20796f75616d756874"
    "74703a2f2f6c6f63616c686f73743a33333338617563736174";


/* The proofs of the vectors, as their JSON shows them. */
struct vproof {
	uint64_t	 amount;
	const char	*id;
	const char	*secret;
	const char	*C;
};

static const struct vproof v3_proofs[] = {
	{ 2, "009a1f293253e41e",
	    "407915bc212be61a77e3e6d2aeb4c727980bda51cd06a6afc29e2861768a7837",
	    "02bc9097997d81afb2cc7346b5e4345a9346bd2a506eb7958598a72f0cf85163ea" },
	{ 8, "009a1f293253e41e",
	    "fe15109314e61d7756b0f8ee0f23a624acaa3f4e042f61433c728c7057b931be",
	    "029e8e5050b890a7d6c0968db16bc1d5d5fa040ea1de284f6ec69d61299f671059" },
};

static const struct vproof v4_single_proofs[] = {
	{ 1, "00ad268c4d1f5826",
	    "9a6dbb847bd232ba76db0df197216b29d3b8cc14553cd27827fc1cc942fedb4e",
	    "038618543ffb6b8695df4ad4babcde92a34a96bdcd97dcee0d7ccf98d472126792" },
};

static const struct vproof v4_multi_proofs[] = {
	{ 1, "00ffd48b8f5ecf80",
	    "acc12435e7b8484c3cf1850149218af90f716a52bf4a5ed347e48ecc13f77388",
	    "0244538319de485d55bed3b29a642bee5879375ab9e7a620e11e48ba482421f3cf" },
	{ 2, "00ad268c4d1f5826",
	    "1323d3d4707a58ad2e23ada4e9f1f49f5a5b4ac7b708eb0d61f738f48307e8ee",
	    "023456aa110d84b4ac747aebd82c3b005aca50bf457ebd5737a4414fac3ae7d94d" },
	{ 1, "00ad268c4d1f5826",
	    "56bcbcbb7cc6406b3fa5d57d2174f4eff8b4402b176926d3a57d3c3dcbb59d57",
	    "0273129c5719e599379a974a626363c333c56cafc0e6d01abe46d5808280789c63" },
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static char	 err[256];

static size_t
unhex(uint8_t *out, size_t max, const char *hex)
{
	size_t		 n = 0;
	unsigned int	 b;

	while (hex[0] != '\0' && hex[1] != '\0' && n < max) {
		if (sscanf(hex, "%2x", &b) != 1)
			abort();
		out[n++] = b;
		hex += 2;
	}
	return (n);
}

static int
decode(const char *s, struct cashu_token **tok)
{
	return (token_decode(s, strlen(s), tok, err, sizeof(err)));
}

/*
 * Nothing of the token may show in a message: no 10-character piece of
 * the text, and no piece of any secret.
 */
static int
no_leak_len(const char *msg, const char *text, size_t n, const char *secret)
{
	char	 piece[11];
	size_t	 i;

	for (i = 0; i + 10 <= n; i++) {
		memcpy(piece, text + i, 10);
		piece[10] = '\0';
		if (strstr(msg, piece) != NULL)
			return (0);
	}
	if (secret != NULL) {
		n = strlen(secret);
		for (i = 0; i + 8 <= n; i++) {
			memcpy(piece, secret + i, 8);
			piece[8] = '\0';
			if (strstr(msg, piece) != NULL)
				return (0);
		}
	}
	return (1);
}

static int
no_leak(const char *msg, const char *text, const char *secret)
{
	return (no_leak_len(msg, text, strlen(text), secret));
}

/* Decoding must fail, with a message, and without the token in it. */
static int
rejects(const char *text, size_t len, const char *secret)
{
	struct cashu_token	*tok = (struct cashu_token *)1;
	int			 r;

	err[0] = '\0';
	r = token_decode(text, len, &tok, err, sizeof(err));
	if (r == 0)
		token_free(tok);
	return (r == -1 && tok == NULL && err[0] != '\0' &&
	    no_leak_len(err, text, len, secret));
}

/* The token holds exactly these proofs, in this order. */
static int
has_proofs(const struct cashu_token *tok, const struct vproof *vp, size_t n)
{
	const struct cashu_group	*g;
	const struct cashu_proof	*p;
	uint8_t				 id[33], C[33];
	size_t				 i, j, k = 0, idlen;

	if (tok->nproofs != n)
		return (0);
	for (i = 0; i < tok->ngroups; i++) {
		g = &tok->groups[i];
		for (j = 0; j < g->nproofs; j++, k++) {
			p = &g->proofs[j];
			if (k >= n)
				return (0);
			idlen = unhex(id, sizeof(id), vp[k].id);
			unhex(C, sizeof(C), vp[k].C);
			if (p->amount != vp[k].amount || p->idlen != idlen ||
			    g->idlen != idlen ||
			    memcmp(p->id, id, idlen) != 0 ||
			    memcmp(g->id, id, idlen) != 0 ||
			    strcmp(p->secret, vp[k].secret) != 0 ||
			    memcmp(p->C, C, 33) != 0 || p->has_dleq ||
			    p->witness != NULL)
				return (0);
		}
	}
	return (k == n);
}

/* A token built with the API from the vector's values. */
static struct cashu_token *
build(const char *mint, const char *unit, const char *memo,
    const struct vproof *vp, size_t n)
{
	struct cashu_token	*tok;
	struct cashu_proof	 p;
	size_t			 i;
	char			 secret[128];

	if ((tok = token_new(mint, unit, memo, err, sizeof(err))) == NULL)
		return (NULL);
	for (i = 0; i < n; i++) {
		memset(&p, 0, sizeof(p));
		p.amount = vp[i].amount;
		p.idlen = unhex(p.id, sizeof(p.id), vp[i].id);
		unhex(p.C, sizeof(p.C), vp[i].C);
		strlcpy(secret, vp[i].secret, sizeof(secret));
		p.secret = secret;
		if (token_add_proof(tok, &p, err, sizeof(err)) == -1) {
			token_free(tok);
			return (NULL);
		}
	}
	return (tok);
}

/* Encode with the given version and flags, compare with want. */
static int
encodes_to(const struct cashu_token *tok, int v4, int flags,
    const char *want)
{
	char	*s;
	int	 ok;

	if ((v4 ? token_encode_v4(tok, flags, &s, err, sizeof(err)) :
	    token_encode_v3(tok, flags, &s, err, sizeof(err))) == -1)
		return (0);
	ok = strcmp(s, want) == 0;
	token_str_free(s);
	return (ok);
}

/* Decode, encode in the other version, decode: the same token. */
static int
crosses(const struct cashu_token *tok, int v4)
{
	struct cashu_token	*t2;
	char			*s;
	int			 ok;

	if ((v4 ? token_encode_v4(tok, 0, &s, err, sizeof(err)) :
	    token_encode_v3(tok, 0, &s, err, sizeof(err))) == -1)
		return (0);
	if (decode(s, &t2) == -1) {
		token_str_free(s);
		return (0);
	}
	ok = token_equal(tok, t2);
	token_free(t2);
	token_str_free(s);
	return (ok);
}

/*
 * base64
 */

static const char	 std_alpha[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char	 url_alpha[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* A plain table-driven encoder to check the constant-time one. */
static void
ref_encode(char *out, const uint8_t *p, size_t len, const char *alpha,
    int pad)
{
	size_t	 i, o = 0;

	for (i = 0; i + 3 <= len; i += 3) {
		out[o++] = alpha[p[i] >> 2];
		out[o++] = alpha[(p[i] & 3) << 4 | p[i + 1] >> 4];
		out[o++] = alpha[(p[i + 1] & 15) << 2 | p[i + 2] >> 6];
		out[o++] = alpha[p[i + 2] & 63];
	}
	if (len - i == 1) {
		out[o++] = alpha[p[i] >> 2];
		out[o++] = alpha[(p[i] & 3) << 4];
		if (pad) {
			out[o++] = '=';
			out[o++] = '=';
		}
	} else if (len - i == 2) {
		out[o++] = alpha[p[i] >> 2];
		out[o++] = alpha[(p[i] & 3) << 4 | p[i + 1] >> 4];
		out[o++] = alpha[(p[i + 1] & 15) << 2];
		if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
}

static int
b64dec(const char *s, int flags, uint8_t *out, size_t *outlen)
{
	return (base64_decode(out, 64, outlen, s, strlen(s), flags));
}

static void
test_base64(void)
{
	static const char	*rfc[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" },
		{ "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	static const char	*bad[] = {
		"Z", "Zm9vY", "Zg=", "Zg===", "Zm8==", "Zm9v=", "Zm9v====",
		"=", "==", "Zg==Zg==", "Z=g=", "Zm 9v", "Zm9v\n", " Zm9v",
		"Zh==", "Zh", "Zm9=", "Zm9", "Zm+v", "Zm/v", "Zm\x80v",
		"Zm.v", "Zm9v!",
	};
	uint8_t			 all[256], out[512], back[512];
	char			 enc[1024], ref[1024];
	size_t			 i, n, len;
	int			 ok, flags;

	for (i = 0; i < NELEM(rfc); i++) {
		len = strlen(rfc[i][0]);
		T(base64_encode(enc, sizeof(enc), rfc[i][0], len, 0) == 0 &&
		    strcmp(enc, rfc[i][1]) == 0, "base64 \"%s\" is \"%s\"",
		    rfc[i][0], rfc[i][1]);
		T(base64_encoded_len(len, 0) == strlen(rfc[i][1]),
		    "base64 length of \"%s\"", rfc[i][0]);
		T(b64dec(rfc[i][1], 0, out, &n) == 0 && n == len &&
		    memcmp(out, rfc[i][0], len) == 0, "decode \"%s\"",
		    rfc[i][1]);
		/* Unpadded: the same bytes. */
		base64_encode(enc, sizeof(enc), rfc[i][0], len, B64_NOPAD);
		T(strchr(enc, '=') == NULL && b64dec(enc, B64_URL, out,
		    &n) == 0 && n == len && memcmp(out, rfc[i][0], len) == 0,
		    "unpadded \"%s\" decodes", enc);
	}
	for (i = 0; i < NELEM(bad); i++)
		T(base64_decode(out, sizeof(out), &n, bad[i], strlen(bad[i]),
		    B64_URL) == -1, "base64url rejects bad input %zu", i);
	T(base64_decode(out, sizeof(out), &n, "Zg=\0", 4, B64_URL) == -1,
	    "base64url rejects a NUL after the padding");
	T(b64dec("Zm+v", 0, out, &n) == 0 && b64dec("Zm-v", 0, out, &n) == -1,
	    "standard alphabet: '+' yes, '-' no");
	T(b64dec("Zm_v", B64_URL, out, &n) == 0 &&
	    b64dec("Zm/v", B64_URL, out, &n) == -1,
	    "url alphabet: '_' yes, '/' no");
	T(base64_decode(out, 2, &n, "Zm9v", 4, 0) == -1 &&
	    base64_decode(out, 3, &n, "Zm9v", 4, 0) == 0 && n == 3,
	    "decode checks the output size");
	T(base64_encode(enc, 4, "foo", 3, 0) == -1 &&
	    base64_encode(enc, 5, "foo", 3, 0) == 0,
	    "encode needs room for the NUL");
	T(base64_decoded_maxlen(3) >= 2 &&
	    base64_decoded_maxlen(4) >= 3 && base64_decoded_maxlen(7) >= 5,
	    "decoded_maxlen bounds");
	memset(out, 0xaa, 8);
	T(base64_decode(out, 8, &n, "Zm9vYh", 6, 0) == -1 &&
	    out[0] == 0 && out[3] == 0, "a failed decode leaves zeros");

	/* Every byte value, every length, both alphabets, vs a table. */
	for (i = 0; i < sizeof(all); i++)
		all[i] = i;
	ok = 1;
	for (len = 0; len <= sizeof(all); len++) {
		for (flags = 0; flags < 4; flags++) {
			if (base64_encode(enc, sizeof(enc), all + 256 - len,
			    len, flags) == -1) {
				ok = 0;
				break;
			}
			ref_encode(ref, all + 256 - len, len,
			    (flags & B64_URL) ? url_alpha : std_alpha,
			    !(flags & B64_NOPAD));
			if (strcmp(enc, ref) != 0 ||
			    strlen(enc) != base64_encoded_len(len, flags) ||
			    base64_decode(back, sizeof(back), &n, enc,
			    strlen(enc), flags & B64_URL) == -1 || n != len ||
			    memcmp(back, all + 256 - len, len) != 0)
				ok = 0;
		}
	}
	T(ok, "all bytes, lengths 0-256, 4 modes: table agrees, round trip");

	/* Each of the 256 characters alone in a group: 64 decode. */
	for (flags = 0; flags <= B64_URL; flags += B64_URL) {
		n = 0;
		for (i = 0; i < 256; i++) {
			char	 g[5] = { 'A', 'A', 'A', (char)i, '\0' };
			size_t	 m;

			if (i != '=' && base64_decode(out, sizeof(out), &m, g,
			    4, flags) == 0)
				n++;
		}
		T(n == 64, "%s: exactly 64 characters decode",
		    flags ? "url" : "std");
	}
}

/*
 * The NUT-00 vectors.
 */

static void
test_v3_vectors(void)
{
	struct cashu_token	*tok, *tok2;
	uint64_t		 sum;

	/* Serialization of TokenV3. */
	tok = build("https://8333.space:3338", "sat", "Thank you.", v3_proofs,
	    NELEM(v3_proofs));
	T(tok != NULL, "V3: token built from the JSON's values");
	T(tok != NULL && encodes_to(tok, 0, TOKEN_PAD, v3_ser),
	    "V3 serialization vector: exact string");
	T(tok != NULL && encodes_to(tok, 0, 0, v3_ser),
	    "V3 serialization vector: no padding is needed either way");
	T(decode(v3_ser, &tok2) == 0, "V3 serialization vector decodes");
	T(tok != NULL && tok2 != NULL && token_equal(tok, tok2),
	    "V3: decoded equals built");
	T(tok2 != NULL && strcmp(tok2->mint, "https://8333.space:3338") == 0 &&
	    strcmp(tok2->unit, "sat") == 0 &&
	    strcmp(tok2->memo, "Thank you.") == 0 && tok2->ngroups == 1 &&
	    has_proofs(tok2, v3_proofs, NELEM(v3_proofs)),
	    "V3: mint, unit, memo and both proofs");
	T(tok2 != NULL && token_sum(tok2, &sum) == 0 && sum == 10 &&
	    tok2->amount == 10, "V3: sum 10");
	T(tok2 != NULL && encodes_to(tok2, 0, TOKEN_PAD, v3_ser),
	    "V3 -> struct -> V3: the same string");
	T(tok2 != NULL && crosses(tok2, 1), "V3 -> V4 -> struct: the same");
	token_free(tok);
	token_free(tok2);

	/* Deserialization of TokenV3. */
	T(rejects(v3_bad_prefix, strlen(v3_bad_prefix), v3_proofs[0].secret),
	    "V3: incorrect prefix casshuA rejected");
	T(rejects(v3_no_prefix, strlen(v3_no_prefix), v3_proofs[0].secret),
	    "V3: no prefix rejected");
	T(decode(v3_valid, &tok) == 0 &&
	    has_proofs(tok, v3_proofs, NELEM(v3_proofs)),
	    "V3: the correctly serialized token decodes");
	token_free(tok);

	/* Padded and unpadded. */
	T(decode(v3_padded, &tok) == 0, "V3 with padding decodes");
	T(decode(v3_unpadded, &tok2) == 0, "V3 without padding decodes");
	T(tok != NULL && tok2 != NULL && token_equal(tok, tok2) &&
	    strcmp(tok->memo, "Thank you very much.") == 0 &&
	    has_proofs(tok, v3_proofs, NELEM(v3_proofs)),
	    "V3 padded and unpadded: the same token");
	T(tok != NULL && encodes_to(tok, 0, TOKEN_PAD, v3_padded),
	    "V3 padded -> struct -> V3: the padded string");
	T(tok2 != NULL && encodes_to(tok2, 0, 0, v3_unpadded),
	    "V3 unpadded -> struct -> V3: the unpadded string");
	token_free(tok);
	token_free(tok2);
}

static void
test_v4_vectors(void)
{
	struct cashu_token	*tok, *tok2;
	uint8_t			 raw[512], *enc = NULL;
	size_t			 rawlen, enclen;
	uint64_t		 sum;

	/* Single keyset. */
	T(decode(v4_single, &tok) == 0, "V4 single keyset decodes");
	T(tok != NULL && strcmp(tok->mint, "http://localhost:3338") == 0 &&
	    strcmp(tok->unit, "sat") == 0 &&
	    strcmp(tok->memo, "Thank you") == 0 && tok->ngroups == 1 &&
	    has_proofs(tok, v4_single_proofs, NELEM(v4_single_proofs)),
	    "V4 single: mint, unit, memo, the proof");
	T(tok != NULL && encodes_to(tok, 1, TOKEN_PAD, v4_single),
	    "V4 single -> struct -> V4: the vector's string (padded)");
	tok2 = build("http://localhost:3338", "sat", "Thank you",
	    v4_single_proofs, NELEM(v4_single_proofs));
	T(tok2 != NULL && token_equal(tok, tok2) &&
	    encodes_to(tok2, 1, TOKEN_PAD, v4_single),
	    "V4 single: built from the JSON's values, the same string");
	T(tok != NULL && crosses(tok, 0), "V4 single -> V3 -> struct: same");
	token_free(tok2);

	/* Raw token serialization. */
	rawlen = unhex(raw, sizeof(raw), raw_hex);
	T(token_decode_raw(raw, rawlen, &tok2, err, sizeof(err)) == 0 &&
	    tok != NULL && token_equal(tok, tok2),
	    "raw V4 decodes to the single-keyset token");
	token_free(tok2);
	T(tok != NULL && token_encode_raw(tok, &enc, &enclen, err,
	    sizeof(err)) == 0 && enclen == rawlen &&
	    memcmp(enc, raw, rawlen) == 0, "raw V4 encoding: exact bytes");
	if (tok != NULL && enc != NULL)
		freezero(enc, enclen);
	raw[4] = 'A';
	T(token_decode_raw(raw, rawlen, &tok2, err, sizeof(err)) == -1 &&
	    tok2 == NULL, "raw with version A rejected");
	raw[4] = 'B';
	raw[0] = 'C';
	T(token_decode_raw(raw, rawlen, &tok2, err, sizeof(err)) == -1,
	    "raw without craw rejected");
	raw[0] = 'c';
	T(token_decode_raw(raw, 5, &tok2, err, sizeof(err)) == -1,
	    "raw with no CBOR rejected");
	token_free(tok);

	/* Multiple keysets. */
	T(decode(v4_multi, &tok) == 0, "V4 multiple keysets decodes");
	T(tok != NULL && strcmp(tok->mint, "http://localhost:3338") == 0 &&
	    strcmp(tok->unit, "sat") == 0 && tok->memo == NULL &&
	    tok->ngroups == 2 && tok->groups[0].nproofs == 1 &&
	    tok->groups[1].nproofs == 2 &&
	    has_proofs(tok, v4_multi_proofs, NELEM(v4_multi_proofs)),
	    "V4 multi: two keysets, three proofs, no memo");
	T(tok != NULL && token_sum(tok, &sum) == 0 && sum == 4,
	    "V4 multi: sum 4");
	T(tok != NULL && encodes_to(tok, 1, 0, v4_multi),
	    "V4 multi -> struct -> V4: the vector's string (unpadded)");
	tok2 = build("http://localhost:3338", "sat", NULL, v4_multi_proofs,
	    NELEM(v4_multi_proofs));
	T(tok2 != NULL && token_equal(tok, tok2) &&
	    encodes_to(tok2, 1, 0, v4_multi),
	    "V4 multi: built from the JSON's values, the same string");
	T(tok != NULL && crosses(tok, 0), "V4 multi -> V3 -> struct: same");
	token_free(tok2);
	token_free(tok);

	/* The URI form. */
	{
		char	 uri[1024];

		snprintf(uri, sizeof(uri), "cashu:%s", v4_multi);
		T(decode(uri, &tok) == 0 && has_proofs(tok, v4_multi_proofs,
		    NELEM(v4_multi_proofs)), "cashu:cashuB... decodes");
		token_free(tok);
		snprintf(uri, sizeof(uri), "cashu:cashu:%s", v4_multi);
		T(rejects(uri, strlen(uri), NULL), "cashu: twice rejected");
	}
}

/*
 * Rejections of the text form.
 */

static void
test_prefix_and_base64(void)
{
	char	 buf[2048];
	size_t	 n = strlen(v4_multi), i;
	int	 ok;

	T(rejects("", 0, NULL), "empty text");
	T(rejects("cashu", 5, NULL), "cashu alone");
	T(rejects("cashuA", 6, NULL), "cashuA with nothing");
	T(rejects("cashuB", 6, NULL), "cashuB with nothing");
	T(rejects("cashu:", 6, NULL), "cashu: alone");
	snprintf(buf, sizeof(buf), "cashuC%s", v4_multi + 6);
	T(rejects(buf, strlen(buf), NULL), "version C");
	snprintf(buf, sizeof(buf), "Cashu%s", v4_multi + 5);
	T(rejects(buf, strlen(buf), NULL), "Cashu with a capital");
	snprintf(buf, sizeof(buf), "cashuA%s", v4_multi + 6);
	T(rejects(buf, strlen(buf), NULL), "V4 payload with version A");
	snprintf(buf, sizeof(buf), "cashuB%s", v3_ser + 6);
	T(rejects(buf, strlen(buf), NULL), "V3 payload with version B");
	snprintf(buf, sizeof(buf), " %s", v4_multi);
	T(rejects(buf, strlen(buf), NULL), "leading space");
	snprintf(buf, sizeof(buf), "%s\n", v4_multi);
	T(rejects(buf, strlen(buf), NULL), "trailing newline");
	snprintf(buf, sizeof(buf), "%s=", v4_multi);
	T(rejects(buf, strlen(buf), NULL), "V4 multi with partial padding");
	{
		struct cashu_token	*tok;

		snprintf(buf, sizeof(buf), "%s==", v4_multi);
		T(decode(buf, &tok) == 0 && has_proofs(tok, v4_multi_proofs,
		    NELEM(v4_multi_proofs)), "V4 multi padded decodes");
		token_free(tok);
	}
	snprintf(buf, sizeof(buf), "%s=", v4_single);
	T(rejects(buf, strlen(buf), NULL), "V4 single with one '=' too many");
	T(rejects(v4_multi, n + 1, NULL), "the NUL counted in the length");

	/* A character changed to one outside the alphabet, anywhere. */
	ok = 1;
	for (i = 6; i < n; i++) {
		static const char	 badc[] = "+/= .\n\x01\xc3*";
		size_t			 k;

		for (k = 0; k < sizeof(badc) - 1; k++) {
			memcpy(buf, v4_multi, n + 1);
			buf[i] = badc[k];
			if (!rejects(buf, n, NULL))
				ok = 0;
		}
	}
	T(ok, "every position, every bad character: rejected");

	/* Non-zero unused bits in the last character. */
	memcpy(buf, v4_multi, n + 1);
	buf[n - 1] = 'B';	/* "dA" -> "dB": the low 4 bits set */
	T(rejects(buf, n, NULL), "V4: non-canonical last character");
	memcpy(buf, v4_single, strlen(v4_single) + 1);
	buf[strlen(v4_single) - 2] = 'R';	/* "YXQ=" -> "YXR=" */
	T(rejects(buf, strlen(buf), NULL),
	    "V4 padded: non-canonical last character");

	/* Too long, whatever it is. */
	{
		char	*big;
		size_t	 len = TOKEN_LEN_MAX + 1;

		if ((big = malloc(len)) == NULL)
			abort();
		memset(big, 'A', len);
		memcpy(big, "cashuB", 6);
		T(rejects(big, len, NULL), "text over TOKEN_LEN_MAX");
		free(big);
	}
}

/* Every proper prefix, in a buffer of exactly its size: fails cleanly. */
static void
test_truncation(void)
{
	const char	*texts[] = { v4_multi, v4_single, v3_ser, v3_padded };
	uint8_t		 raw[512], *cut;
	size_t		 i, len, n, fails;
	char		*p;
	struct cashu_token *tok;

	for (i = 0; i < NELEM(texts); i++) {
		n = strlen(texts[i]);
		fails = 0;
		for (len = 0; len < n; len++) {
			if ((p = malloc(len == 0 ? 1 : len)) == NULL)
				abort();
			memcpy(p, texts[i], len);
			if (token_decode(p, len, &tok, err, sizeof(err)) == 0) {
				/* Only dropping '=' may still decode. */
				if (texts[i][len] != '=')
					fails++;
				token_free(tok);
			}
			free(p);
		}
		T(fails == 0, "every prefix of vector %zu fails (%zu tried)",
		    i, n);
	}

	n = unhex(raw, sizeof(raw), raw_hex);
	fails = 0;
	for (len = 0; len < n; len++) {
		if ((cut = malloc(len == 0 ? 1 : len)) == NULL)
			abort();
		memcpy(cut, raw, len);
		if (token_decode_raw(cut, len, &tok, err, sizeof(err)) == 0) {
			fails++;
			token_free(tok);
		}
		free(cut);
	}
	T(fails == 0, "every prefix of the raw CBOR fails (%zu tried)", n);

	/* Trailing garbage after the CBOR, and after the JSON. */
	raw[n] = 0x00;
	T(token_decode_raw(raw, n + 1, &tok, err, sizeof(err)) == -1 &&
	    strstr(err, "trailing") != NULL, "raw: a byte after the CBOR");
}

/*
 * V4 built by hand, one field at a time wrong.
 */

enum mode { M_OK, M_MISSING, M_WRONG, M_NULL, M_DUP, M_UNKNOWN };

struct field {
	const char	*name;		/* unique name in these tests */
	const char	*key;		/* the CBOR key */
	int		 kind;		/* 'u' uint, 't' text, 'b' bytes, 'a', 'm' */
};

static const struct field top_fields[] = {
	{ "t", "t", 'a' }, { "memo", "d", 't' }, { "m", "m", 't' },
	{ "u", "u", 't' },
};
static const struct field entry_fields[] = {
	{ "i", "i", 'b' }, { "p", "p", 'a' },
};
static const struct field proof_fields[] = {
	{ "a", "a", 'u' }, { "s", "s", 't' }, { "c", "c", 'b' },
	{ "dleq", "d", 'm' }, { "w", "w", 't' },
};
static const struct field dleq_fields[] = {
	{ "e", "e", 'b' }, { "ds", "s", 'b' }, { "r", "r", 'b' },
};

static const char	 k_secret[] =
    "9a6dbb847bd232ba76db0df197216b29d3b8cc14553cd27827fc1cc942fedb4e";
static const char	 k_witness[] = "{\"signatures\":[]}";

static void	 put_map(struct cbor_buf *, const char *,
		    const struct field *, size_t);

static void
put_value(struct cbor_buf *b, const struct field *f)
{
	uint8_t	 x[33];

	if (strcmp(f->name, "t") == 0) {
		cbor_put_array(b, 1);
		put_map(b, "entry", entry_fields, NELEM(entry_fields));
	} else if (strcmp(f->name, "p") == 0) {
		cbor_put_array(b, 1);
		put_map(b, "proof", proof_fields, NELEM(proof_fields));
	} else if (strcmp(f->name, "dleq") == 0)
		put_map(b, "dleq", dleq_fields, NELEM(dleq_fields));
	else if (strcmp(f->name, "memo") == 0)
		cbor_put_str(b, "Thank you");
	else if (strcmp(f->name, "m") == 0)
		cbor_put_str(b, "http://localhost:3338/");
	else if (strcmp(f->name, "u") == 0)
		cbor_put_str(b, "sat");
	else if (strcmp(f->name, "i") == 0)
		cbor_put_bytes(b, "\x00\xad\x26\x8c\x4d\x1f\x58\x26", 8);
	else if (strcmp(f->name, "a") == 0)
		cbor_put_uint(b, 1);
	else if (strcmp(f->name, "s") == 0)
		cbor_put_str(b, k_secret);
	else if (strcmp(f->name, "c") == 0) {
		unhex(x, 33, v4_single_proofs[0].C);
		cbor_put_bytes(b, x, 33);
	} else if (strcmp(f->name, "w") == 0)
		cbor_put_str(b, k_witness);
	else {
		memset(x, f->name[0], 32);
		cbor_put_bytes(b, x, 32);
	}
}

/* The one field and mode under test, for put_map() to see everywhere. */
static const char	*sel_field;
static enum mode	 sel_mode;

static void
put_wrong(struct cbor_buf *b, int kind)
{
	switch (kind) {
	case 'u':
		cbor_put_str(b, "1");
		break;
	case 't':
		cbor_put_uint(b, 7);
		break;
	case 'b':
		cbor_put_str(b, "00ad268c4d1f5826");
		break;
	case 'a':
		cbor_put_map(b, 0);
		break;
	case 'm':
		cbor_put_array(b, 0);
		break;
	}
}

static void
put_map(struct cbor_buf *b, const char *mapname, const struct field *fs,
    size_t n)
{
	size_t	 i, count = n;
	int	 mine;

	for (i = 0; i < n; i++) {
		mine = sel_field != NULL && strcmp(fs[i].name, sel_field) == 0;
		if (mine && sel_mode == M_MISSING)
			count--;
		if (mine && sel_mode == M_DUP)
			count++;
	}
	if (sel_mode == M_UNKNOWN && sel_field != NULL &&
	    strcmp(sel_field, mapname) == 0)
		count += 2;
	cbor_put_map(b, count);
	if (sel_mode == M_UNKNOWN && sel_field != NULL &&
	    strcmp(sel_field, mapname) == 0) {
		/* Before the known keys: an unknown text key, an int key. */
		cbor_put_str(b, "zz");
		cbor_put_array(b, 3);
		cbor_put_negint(b, 5);
		cbor_put_map(b, 1);
		cbor_put_str(b, "q");
		cbor_put_float(b, 0x3c00, 2);
		cbor_put_null(b);
		cbor_put_uint(b, 1);
		cbor_put_bytes(b, "x", 1);
	}
	for (i = 0; i < n; i++) {
		mine = sel_field != NULL && strcmp(fs[i].name, sel_field) == 0;
		if (mine && sel_mode == M_MISSING)
			continue;
		cbor_put_str(b, fs[i].key);
		if (mine && sel_mode == M_WRONG)
			put_wrong(b, fs[i].kind);
		else if (mine && sel_mode == M_NULL)
			cbor_put_null(b);
		else
			put_value(b, &fs[i]);
		if (mine && sel_mode == M_DUP) {
			cbor_put_str(b, fs[i].key);
			put_value(b, &fs[i]);
		}
	}
}

/* "cashuB..." with field in the given mode; the caller frees it. */
static char *
v4_with(const char *field, enum mode mode)
{
	struct cbor_buf	 b;
	char		*s;
	size_t		 n;

	sel_field = field;
	sel_mode = mode;
	cbor_buf_init(&b, 1 << 20);
	put_map(&b, "top", top_fields, NELEM(top_fields));
	if (b.error)
		abort();
	n = base64_encoded_len(b.len, B64_URL | B64_NOPAD);
	if ((s = malloc(6 + n + 1)) == NULL)
		abort();
	memcpy(s, "cashuB", 6);
	base64_encode(s + 6, n + 1, b.buf, b.len, B64_URL | B64_NOPAD);
	cbor_buf_free(&b);
	return (s);
}

static void
test_v4_fields(void)
{
	static const struct {
		const char	*field;
		int		 missing, wrong, null;	/* 1: accepted */
	} cases[] = {
		{ "t", 0, 0, 0 }, { "memo", 1, 0, 1 }, { "m", 0, 0, 0 },
		{ "u", 0, 0, 0 }, { "i", 0, 0, 0 }, { "p", 0, 0, 0 },
		{ "a", 0, 0, 0 }, { "s", 0, 0, 0 }, { "c", 0, 0, 0 },
		{ "dleq", 1, 0, 1 }, { "w", 1, 0, 1 }, { "e", 0, 0, 0 },
		{ "ds", 0, 0, 0 }, { "r", 0, 0, 0 },
	};
	static const char	*maps[] = { "top", "entry", "proof", "dleq" };
	struct cashu_token	*tok, *base;
	const struct cashu_proof *p;
	char			*s;
	size_t			 i;
	int			 r, want;
	enum mode		 m;

	s = v4_with(NULL, M_OK);
	T(decode(s, &base) == 0, "V4 by hand, every field: decodes");
	token_str_free(s);
	if (base == NULL)
		return;
	p = &base->groups[0].proofs[0];
	T(strcmp(base->mint, "http://localhost:3338") == 0,
	    "V4: trailing '/' of the mint URL stripped");
	T(p->has_dleq && p->dleq.e[0] == 'e' && p->dleq.s[31] == 'd' &&
	    p->dleq.r[5] == 'r' && strcmp(p->witness, k_witness) == 0,
	    "V4: DLEQ e, s, r and the witness");
	s = NULL;
	T(token_encode_v4(base, 0, &s, err, sizeof(err)) == 0 &&
	    crosses(base, 1) && crosses(base, 0),
	    "V4 with DLEQ and witness: round trips through V4 and V3");
	token_str_free(s);

	for (i = 0; i < NELEM(cases); i++) {
		for (m = M_MISSING; m <= M_DUP; m++) {
			s = v4_with(cases[i].field, m);
			err[0] = '\0';
			r = decode(s, &tok);
			want = m == M_MISSING ? cases[i].missing :
			    m == M_WRONG ? cases[i].wrong :
			    m == M_NULL ? cases[i].null : 0;
			T((r == 0) == want && (r == 0 || (err[0] != '\0' &&
			    no_leak(err, s, k_secret))),
			    "V4 field %s %s: %s (%s)", cases[i].field,
			    m == M_MISSING ? "missing" : m == M_WRONG ?
			    "of the wrong type" : m == M_NULL ? "null" :
			    "twice", want ? "accepted" : "rejected",
			    r == 0 ? "ok" : err);
			if (r == 0) {
				p = &tok->groups[0].proofs[0];
				if (strcmp(cases[i].field, "memo") == 0)
					T(tok->memo == NULL, "  memo absent");
				if (strcmp(cases[i].field, "dleq") == 0)
					T(!p->has_dleq, "  no DLEQ");
				if (strcmp(cases[i].field, "w") == 0)
					T(p->witness == NULL, "  no witness");
				token_free(tok);
			}
			token_str_free(s);
		}
	}
	for (i = 0; i < NELEM(maps); i++) {
		s = v4_with(maps[i], M_UNKNOWN);
		T(decode(s, &tok) == 0 && token_equal(tok, base),
		    "V4: unknown keys in the %s map are ignored", maps[i]);
		token_free(tok);
		token_str_free(s);
	}
	token_free(base);
}

/* A V4 token from raw CBOR hex. */
static int
v4_hex_decodes(const char *hex, struct cashu_token **tok)
{
	uint8_t	 buf[4096];
	char	 text[8192];
	size_t	 n;

	n = unhex(buf, sizeof(buf), hex);
	memcpy(text, "cashuB", 6);
	base64_encode(text + 6, sizeof(text) - 6, buf, n,
	    B64_URL | B64_NOPAD);
	return (decode(text, tok));
}

/*
 * {"t": [{"i": <id>, "p": [{"a": <a>, "s": <s>, "c": <c>}]}],
 *  "m": <m>, "u": "sat"} in hex, the parts given as hex.
 */
static void
v4_one(char *out, size_t outlen, const char *id, const char *a,
    const char *s, const char *c, const char *m)
{
	snprintf(out, outlen, "a3" "6174" "81" "a2" "6169" "%s" "6170" "81"
	    "a3" "6161" "%s" "6173" "%s" "6163" "%s" "616d" "%s" "6175"
	    "63736174", id, a, s, c, m);
}

#define H_ID	"4800ad268c4d1f5826"
#define H_S	"6131"		/* "1" */
#define H_C	"5821038618543ffb6b8695df4ad4babcde92a34a96bdcd97dcee0d7ccf98d472126792"
#define H_M	"75687474703a2f2f6c6f63616c686f73743a33333338"

static void
test_v4_values(void)
{
	struct cashu_token	*tok;
	char			 hex[4096], id33[80], *s3;
	size_t			 i;
	uint64_t		 sum;

	v4_one(hex, sizeof(hex), H_ID, "01", H_S, H_C, H_M);
	T(v4_hex_decodes(hex, &tok) == 0, "V4 minimal token decodes");
	token_free(tok);

	/* Amounts. */
	v4_one(hex, sizeof(hex), H_ID, "1bffffffffffffffff", H_S, H_C, H_M);
	T(v4_hex_decodes(hex, &tok) == 0 && token_sum(tok, &sum) == 0 &&
	    sum == UINT64_MAX, "amount 2^64-1 accepted, sum exact");
	s3 = (char *)1;
	T(tok != NULL && token_encode_v3(tok, 0, &s3, err, sizeof(err)) == -1 &&
	    s3 == NULL && strstr(err, "V3") != NULL,
	    "amount above 2^63-1 cannot be written as V3");
	token_free(tok);
	v4_one(hex, sizeof(hex), H_ID, "1b8000000000000000", H_S, H_C, H_M);
	T(v4_hex_decodes(hex, &tok) == 0 &&
	    tok->groups[0].proofs[0].amount == 9223372036854775808ULL,
	    "amount 2^63 accepted (NUT-01 allows it)");
	token_free(tok);
	v4_one(hex, sizeof(hex), H_ID, "00", H_S, H_C, H_M);
	T(v4_hex_decodes(hex, &tok) == -1 && strstr(err, "amount") != NULL,
	    "amount 0 rejected");
	v4_one(hex, sizeof(hex), H_ID, "20", H_S, H_C, H_M);
	T(v4_hex_decodes(hex, &tok) == -1, "amount -1 rejected");
	v4_one(hex, sizeof(hex), H_ID, "f93c00", H_S, H_C, H_M);
	T(v4_hex_decodes(hex, &tok) == -1, "amount 1.0 (float) rejected");
	v4_one(hex, sizeof(hex), H_ID, "1b0000000000000001", H_S, H_C, H_M);
	T(v4_hex_decodes(hex, &tok) == 0 &&
	    tok->groups[0].proofs[0].amount == 1,
	    "amount 1 in 9 bytes accepted");
	token_free(tok);

	/* Sum overflow: 2^64-1 and 1. */
	snprintf(hex, sizeof(hex), "a3" "6174" "81" "a2" "6169" H_ID "6170"
	    "82" "a3" "6161" "1bffffffffffffffff" "6173" "6131" "6163" H_C
	    "a3" "6161" "01" "6173" "6132" "6163" H_C
	    "616d" H_M "6175" "63736174");
	T(v4_hex_decodes(hex, &tok) == -1 && strstr(err, "2^64") != NULL,
	    "amounts adding up past 2^64-1 rejected");
	/* The same two in separate keyset entries. */
	snprintf(hex, sizeof(hex), "a3" "6174" "82"
	    "a2" "6169" H_ID "6170" "81"
	    "a3" "6161" "1bffffffffffffffff" "6173" "6131" "6163" H_C
	    "a2" "6169" "48ffffffffffffffff" "6170" "81"
	    "a3" "6161" "01" "6173" "6132" "6163" H_C
	    "616d" H_M "6175" "63736174");
	T(v4_hex_decodes(hex, &tok) == -1 && strstr(err, "2^64") != NULL,
	    "overflow across keyset entries rejected");

	/* Keyset ids: 8 or 33 bytes. */
	snprintf(id33, sizeof(id33), "5821%s",
	    "015ba18a3e2a4c5fb1c5bf2a9e4c8a9e0c8d7b6a5f4e3d2c1b0a9f8e7d6c5bf76a");
	v4_one(hex, sizeof(hex), id33, "01", H_S, H_C, H_M);
	T(v4_hex_decodes(hex, &tok) == 0 && tok->groups[0].idlen == 33 &&
	    tok->groups[0].id[0] == 0x01, "33-byte v01 id accepted");
	T(tok != NULL && crosses(tok, 0) && crosses(tok, 1),
	    "33-byte id round trips through V3 and V4");
	token_free(tok);
	{
		static const char	*ids[] = { "40", "4700ad268c4d1f58",
		    "4900ad268c4d1f582601", "5000ad268c4d1f582600ad268c4d1f5826",
		    "58200000000000000000000000000000000000000000000000000000"
		    "000000000000",
		    "5822000000000000000000000000000000000000000000000000000000"
		    "00000000000000" };

		for (i = 0; i < NELEM(ids); i++) {
			v4_one(hex, sizeof(hex), ids[i], "01", H_S, H_C, H_M);
			T(v4_hex_decodes(hex, &tok) == -1 &&
			    strstr(err, "keyset") != NULL,
			    "keyset id of bad length %zu rejected", i);
		}
	}

	/* C. */
	v4_one(hex, sizeof(hex), H_ID, "01", H_S, "5820" "0386185"
	    "43ffb6b8695df4ad4babcde92a34a96bdcd97dcee0d7ccf98d4721267", H_M);
	T(v4_hex_decodes(hex, &tok) == -1, "C of 32 bytes rejected");
	v4_one(hex, sizeof(hex), H_ID, "01", H_S, "5822" "038618543ffb6b86"
	    "95df4ad4babcde92a34a96bdcd97dcee0d7ccf98d47212679200", H_M);
	T(v4_hex_decodes(hex, &tok) == -1, "C of 34 bytes rejected");
	v4_one(hex, sizeof(hex), H_ID, "01", H_S, "5821" "048618543ffb6b86"
	    "95df4ad4babcde92a34a96bdcd97dcee0d7ccf98d472126792", H_M);
	T(v4_hex_decodes(hex, &tok) == -1 && strstr(err, "C") != NULL,
	    "C starting 04 rejected");

	/* Secrets: 512 bytes yes, 513 no, NUL no, empty no. */
	{
		char	 s512[2 * 515 + 16];

		strlcpy(s512, "790200", sizeof(s512));
		for (i = 0; i < 512; i++)
			strlcat(s512, "61", sizeof(s512));
		v4_one(hex, sizeof(hex), H_ID, "01", s512, H_C, H_M);
		T(v4_hex_decodes(hex, &tok) == 0 &&
		    strlen(tok->groups[0].proofs[0].secret) == 512,
		    "secret of 512 bytes accepted");
		token_free(tok);
		strlcpy(s512, "790201", sizeof(s512));
		for (i = 0; i < 513; i++)
			strlcat(s512, "61", sizeof(s512));
		v4_one(hex, sizeof(hex), H_ID, "01", s512, H_C, H_M);
		T(v4_hex_decodes(hex, &tok) == -1 &&
		    strstr(err, "secret too long") != NULL,
		    "secret of 513 bytes rejected");
	}
	v4_one(hex, sizeof(hex), H_ID, "01", "63610062", H_C, H_M);
	T(v4_hex_decodes(hex, &tok) == -1 && strstr(err, "secret") != NULL,
	    "secret with a NUL rejected");
	v4_one(hex, sizeof(hex), H_ID, "01", "60", H_C, H_M);
	T(v4_hex_decodes(hex, &tok) == -1 && strstr(err, "secret") != NULL,
	    "empty secret rejected");
	v4_one(hex, sizeof(hex), H_ID, "01", "62c328", H_C, H_M);
	T(v4_hex_decodes(hex, &tok) == -1, "secret not UTF-8 rejected");
	v4_one(hex, sizeof(hex), H_ID, "01", "6cc3bc6265722d67656865696d",
	    H_C, H_M);
	T(v4_hex_decodes(hex, &tok) == 0 &&
	    strcmp(tok->groups[0].proofs[0].secret, "\xc3\xbc"
	    "ber-geheim") == 0, "UTF-8 secret accepted");
	T(tok != NULL && crosses(tok, 0), "UTF-8 secret through V3");
	token_free(tok);

	/* Mint URLs. */
	{
		static const struct {
			const char	*hex, *what;
			int		 ok;
		} urls[] = {
			{ "60", "empty", 0 },
			{ "6868747470733a2f2f", "https:// alone", 0 },
			{ "68667470733a2f2f78", "ftp", 0 },
			{ "6c68747470733a2f2f6120622f", "with a space", 0 },
			{ "6948545450533a2f2f58", "HTTPS://X", 1 },
			{ "6a68747470733a2f2f782f", "one trailing /", 1 },
			{ "6c68747470733a2f2f782f2f2f", "three trailing /",
			    1 },
			{ "6268ff", "not UTF-8", 0 },
		};

		for (i = 0; i < NELEM(urls); i++) {
			v4_one(hex, sizeof(hex), H_ID, "01", H_S, H_C,
			    urls[i].hex);
			T((v4_hex_decodes(hex, &tok) == 0) == urls[i].ok,
			    "mint URL %s: %s", urls[i].what,
			    urls[i].ok ? "accepted" : "rejected");
			if (tok != NULL) {
				T(tok->mint[strlen(tok->mint) - 1] != '/',
				    "  no trailing '/'");
				token_free(tok);
			}
		}
	}

	/* A long mint URL: 511 bytes fit, 512 do not. */
	for (i = 511; i <= 512; i++) {
		char	 m[1100];
		size_t	 k;

		snprintf(m, sizeof(m), "79%02x%02x" "68747470733a2f2f",
		    (unsigned)(i >> 8), (unsigned)(i & 0xff));
		for (k = 8; k < i; k++)
			strlcat(m, "61", sizeof(m));
		v4_one(hex, sizeof(hex), H_ID, "01", H_S, H_C, m);
		T((v4_hex_decodes(hex, &tok) == 0) == (i == 511),
		    "mint URL of %zu bytes %s", i, i == 511 ? "accepted" :
		    "rejected");
		token_free(tok);
	}

	/* The top level must be a map; no proofs at all is no token. */
	T(v4_hex_decodes("80", &tok) == -1, "top-level array rejected");
	T(v4_hex_decodes("a3617480616d" H_M "617563736174", &tok) == -1 &&
	    strstr(err, "no proofs") != NULL, "empty t rejected");
	T(v4_hex_decodes("a36174" "81" "a2" "6169" H_ID "6170" "80"
	    "616d" H_M "617563736174", &tok) == -1 &&
	    strstr(err, "no proofs") != NULL, "empty p rejected");
	T(v4_hex_decodes("a36174" "81" "01" "616d" H_M "617563736174",
	    &tok) == -1, "t entry not a map rejected");
	T(v4_hex_decodes("a36174" "81" "a2" "6169" H_ID "6170" "81" "01"
	    "616d" H_M "617563736174", &tok) == -1, "proof not a map rejected");
	/* Units. */
	T(v4_hex_decodes("a3" "6174" "81" "a2" "6169" H_ID "6170" "81" "a3"
	    "6161" "01" "6173" H_S "6163" H_C "616d" H_M "6175" "63732074",
	    &tok) == -1 && strstr(err, "unit") != NULL,
	    "unit with a space rejected");
	T(v4_hex_decodes("a3" "6174" "81" "a2" "6169" H_ID "6170" "81" "a3"
	    "6161" "01" "6173" H_S "6163" H_C "616d" H_M "6175" "60",
	    &tok) == -1 && strstr(err, "unit") != NULL, "empty unit rejected");
	/* DLEQ value of 31 bytes. */
	T(v4_hex_decodes("a3" "6174" "81" "a2" "6169" H_ID "6170" "81" "a4"
	    "6161" "01" "6173" H_S "6163" H_C "6164" "a3"
	    "6165" "5820" "0000000000000000000000000000000000000000000000000000000000000000"
	    "6173" "581f" "00000000000000000000000000000000000000000000000000000000000000"
	    "6172" "5820" "0000000000000000000000000000000000000000000000000000000000000000"
	    "616d" H_M "6175" "63736174", &tok) == -1 &&
	    strstr(err, "DLEQ") != NULL, "DLEQ s of 31 bytes rejected");
	/* Trailing byte after the map. */
	v4_one(hex, sizeof(hex), H_ID, "01", H_S, H_C, H_M);
	strlcat(hex, "00", sizeof(hex));
	T(v4_hex_decodes(hex, &tok) == -1 && strstr(err, "trailing") != NULL,
	    "V4: a byte after the CBOR rejected");
	/* Indefinite-length map, as no Cashu encoder writes. */
	T(v4_hex_decodes("bf" "6174" "81" "a2" "6169" H_ID "6170" "81" "a3"
	    "6161" "01" "6173" H_S "6163" H_C "616d" H_M "6175" "63736174" "ff",
	    &tok) == -1 && strstr(err, "indefinite") != NULL,
	    "indefinite-length map rejected");
	/* A tag around the keyset id. */
	T(v4_hex_decodes("a3" "6174" "81" "a2" "6169" "d818" H_ID "6170" "81"
	    "a3" "6161" "01" "6173" H_S "6163" H_C "616d" H_M "6175"
	    "63736174", &tok) == -1, "tagged keyset id rejected");
	/* Deep nesting in an unknown key: 16 levels ok, 17 no. */
	for (i = 15; i <= 16; i++) {
		size_t	 k;

		snprintf(hex, sizeof(hex), "a4" "627a7a");
		for (k = 0; k < i; k++)
			strlcat(hex, "81", sizeof(hex));
		strlcat(hex, "00" "6174" "81" "a2" "6169" H_ID "6170" "81" "a3"
		    "6161" "01" "6173" H_S "6163" H_C "616d" H_M "6175"
		    "63736174", sizeof(hex));
		T((v4_hex_decodes(hex, &tok) == 0) == (i == 15),
		    "unknown value nested to depth %zu %s", i + 1,
		    i == 15 ? "accepted" : "rejected");
		token_free(tok);
	}
}

/* 'n' proofs of one keyset, all of amount a, secrets of slen bytes. */
static char *
v4_many(size_t n, uint64_t a, size_t slen)
{
	struct cbor_buf	 b;
	uint8_t		 c[33];
	char		 secret[600];
	char		*s;
	size_t		 i, len;

	unhex(c, 33, v4_single_proofs[0].C);
	cbor_buf_init(&b, 1 << 22);
	cbor_put_map(&b, 3);
	cbor_put_str(&b, "t");
	cbor_put_array(&b, 1);
	cbor_put_map(&b, 2);
	cbor_put_str(&b, "i");
	cbor_put_bytes(&b, "\x00\xad\x26\x8c\x4d\x1f\x58\x26", 8);
	cbor_put_str(&b, "p");
	cbor_put_array(&b, n);
	for (i = 0; i < n; i++) {
		snprintf(secret, sizeof(secret), "%0*zu", (int)slen, i);
		cbor_put_map(&b, 3);
		cbor_put_str(&b, "a");
		cbor_put_uint(&b, a);
		cbor_put_str(&b, "s");
		cbor_put_str(&b, secret);
		cbor_put_str(&b, "c");
		cbor_put_bytes(&b, c, 33);
	}
	cbor_put_str(&b, "m");
	cbor_put_str(&b, "https://mint.example");
	cbor_put_str(&b, "u");
	cbor_put_str(&b, "sat");
	len = base64_encoded_len(b.len, B64_URL | B64_NOPAD);
	if (b.error || (s = malloc(6 + len + 1)) == NULL)
		abort();
	memcpy(s, "cashuB", 6);
	base64_encode(s + 6, len + 1, b.buf, b.len, B64_URL | B64_NOPAD);
	cbor_buf_free(&b);
	return (s);
}

static void
test_limits(void)
{
	struct cashu_token	*tok;
	struct cashu_proof	 p;
	char			*s, *s2;
	uint64_t		 sum;
	size_t			 i;

	/* 1000 proofs of 1 sat with 2-byte secrets: about 40 KiB. */
	s = v4_many(1000, 1, 2);
	T(strlen(s) <= TOKEN_LEN_MAX && decode(s, &tok) == 0 &&
	    tok->nproofs == 1000 && token_sum(tok, &sum) == 0 && sum == 1000,
	    "1000 proofs accepted (%zu characters)", strlen(s));
	T(tok != NULL && token_encode_v4(tok, 0, &s2, err,
	    sizeof(err)) == 0 && strcmp(s, s2) == 0,
	    "1000 proofs: V4 -> struct -> V4 the same string");
	token_str_free(s2);
	T(tok != NULL && crosses(tok, 1), "1000 proofs: V4 again decodes");
	/* A 1001st through the API. */
	memset(&p, 0, sizeof(p));
	p.amount = 1;
	p.idlen = 8;
	p.C[0] = 2;
	p.secret = "x";
	T(tok != NULL && token_add_proof(tok, &p, err, sizeof(err)) == -1 &&
	    tok->nproofs == 1000, "token_add_proof: the 1001st refused");
	token_free(tok);
	token_str_free(s);
	s = v4_many(1001, 1, 2);
	T(rejects(s, strlen(s), NULL) && strstr(err, "more than 1000") !=
	    NULL, "1001 proofs rejected");
	token_str_free(s);

	/* Over 64 KiB of text. */
	s = v4_many(300, 1, 200);
	T(strlen(s) > TOKEN_LEN_MAX && rejects(s, strlen(s), NULL),
	    "%zu characters rejected", strlen(s));
	token_str_free(s);

	/* Sum exactly 2^64-1 over many proofs is fine, one more is not. */
	s = v4_many(1, UINT64_MAX, 4);
	T(decode(s, &tok) == 0 && tok->amount == UINT64_MAX,
	    "one proof of 2^64-1");
	p.amount = 1;
	T(tok != NULL && token_add_proof(tok, &p, err, sizeof(err)) == -1 &&
	    tok->nproofs == 1 && tok->amount == UINT64_MAX,
	    "token_add_proof refuses to overflow the sum");
	token_free(tok);
	token_str_free(s);
	s = v4_many(2, 1ULL << 63, 4);
	T(rejects(s, strlen(s), NULL), "two proofs of 2^63 rejected");
	token_str_free(s);

	/* Many keysets: each its own group. */
	tok = token_new("https://m.example/", "sat", NULL, err, sizeof(err));
	T(tok != NULL && strcmp(tok->mint, "https://m.example") == 0,
	    "token_new strips the '/'");
	for (i = 0; i < 40 && tok != NULL; i++) {
		p.id[0] = 0;
		p.id[7] = i % 20;
		p.amount = 1ULL << (i % 20);
		if (token_add_proof(tok, &p, err, sizeof(err)) == -1)
			break;
	}
	T(tok != NULL && tok->ngroups == 20 && tok->nproofs == 40 &&
	    tok->groups[0].nproofs == 2 && tok->groups[19].id[7] == 19,
	    "token_add_proof groups by keyset id, first seen first");
	T(tok != NULL && crosses(tok, 1) && crosses(tok, 0),
	    "20 groups round trip through V4 and V3");
	token_free(tok);
}

/*
 * V3 built with jansson, one field at a time wrong.
 */

static json_t *
v3_base(void)
{
	json_t	*root;

	root = json_pack("{s:[{s:s,s:[{s:i,s:s,s:s,s:s,s:{s:s,s:s,s:s},s:s}]}],"
	    "s:s,s:s}",
	    "token", "mint", "https://8333.space:3338/", "proofs",
	    "amount", 2, "id", "009a1f293253e41e", "secret", k_secret,
	    "C", v3_proofs[0].C, "dleq",
	    "e", "6565656565656565656565656565656565656565656565656565656565656565",
	    "s", "7373737373737373737373737373737373737373737373737373737373737373",
	    "r", "7272727272727272727272727272727272727272727272727272727272727272",
	    "witness", k_witness, "unit", "sat", "memo", "hi");
	if (root == NULL)
		abort();
	return (root);
}

static char *
v3_text(json_t *root)
{
	char	*js, *s;
	size_t	 n, len;

	if ((js = json_dumps(root, JSON_COMPACT)) == NULL)
		abort();
	json_decref(root);
	len = strlen(js);
	n = base64_encoded_len(len, B64_URL);
	if ((s = malloc(6 + n + 1)) == NULL)
		abort();
	memcpy(s, "cashuA", 6);
	base64_encode(s + 6, n + 1, js, len, B64_URL);
	free(js);
	return (s);
}

static char *
v3_raw(const char *json)
{
	size_t	 len = strlen(json), n;
	char	*s;

	n = base64_encoded_len(len, B64_URL);
	if ((s = malloc(6 + n + 1)) == NULL)
		abort();
	memcpy(s, "cashuA", 6);
	base64_encode(s + 6, n + 1, json, len, B64_URL);
	return (s);
}

/* The object of root that holds key: top, the entry, the proof, dleq. */
static json_t *
v3_holder(json_t *root, const char *key)
{
	json_t	*entry, *proof;

	entry = json_array_get(json_object_get(root, "token"), 0);
	proof = json_array_get(json_object_get(entry, "proofs"), 0);
	if (strcmp(key, "token") == 0 || strcmp(key, "unit") == 0 ||
	    strcmp(key, "memo") == 0)
		return (root);
	if (strcmp(key, "mint") == 0 || strcmp(key, "proofs") == 0)
		return (entry);
	if (strcmp(key, "e") == 0 || strcmp(key, "s") == 0 ||
	    strcmp(key, "r") == 0)
		return (json_object_get(proof, "dleq"));
	return (proof);
}

static void
test_v3_fields(void)
{
	static const struct {
		const char	*key;
		int		 missing, null;	/* 1: accepted */
	} cases[] = {
		{ "token", 0, 0 }, { "unit", 1, 1 }, { "memo", 1, 1 },
		{ "mint", 0, 0 }, { "proofs", 0, 0 }, { "amount", 0, 0 },
		{ "id", 0, 0 }, { "secret", 0, 0 }, { "C", 0, 0 },
		{ "dleq", 1, 1 }, { "witness", 1, 1 }, { "e", 0, 0 },
		{ "s", 0, 0 }, { "r", 0, 0 },
	};
	struct cashu_token	*tok, *base;
	json_t			*root, *h, *v;
	char			*s;
	size_t			 i;
	int			 m, r, want;

	s = v3_text(v3_base());
	T(decode(s, &base) == 0, "V3 by hand with DLEQ and witness decodes");
	token_str_free(s);
	if (base == NULL)
		return;
	T(strcmp(base->mint, "https://8333.space:3338") == 0 &&
	    strcmp(base->memo, "hi") == 0 &&
	    base->groups[0].proofs[0].has_dleq &&
	    base->groups[0].proofs[0].dleq.s[0] == 0x73 &&
	    strcmp(base->groups[0].proofs[0].witness, k_witness) == 0,
	    "V3: mint without '/', memo, DLEQ, witness");
	T(crosses(base, 0) && crosses(base, 1),
	    "V3 with DLEQ and witness through V3 and V4");

	for (i = 0; i < NELEM(cases); i++) {
		for (m = 0; m < 3; m++) {
			root = v3_base();
			h = v3_holder(root, cases[i].key);
			if (m == 0)
				json_object_del(h, cases[i].key);
			else if (m == 2)
				json_object_set_new(h, cases[i].key,
				    json_null());
			else {
				v = json_object_get(h, cases[i].key);
				json_object_set_new(h, cases[i].key,
				    json_is_string(v) ? json_integer(7) :
				    json_is_integer(v) ? json_string("2") :
				    json_is_object(v) ? json_array() :
				    json_object());
			}
			s = v3_text(root);
			r = decode(s, &tok);
			want = m == 0 ? cases[i].missing : m == 2 ?
			    cases[i].null : 0;
			T((r == 0) == want && (r == 0 || no_leak(err, s,
			    k_secret)), "V3 \"%s\" %s: %s (%s)", cases[i].key,
			    m == 0 ? "missing" : m == 1 ? "of the wrong type" :
			    "null", want ? "accepted" : "rejected",
			    r == 0 ? "ok" : err);
			token_free(tok);
			token_str_free(s);
		}
	}

	/* Unknown keys at each level. */
	root = v3_base();
	json_object_set_new(root, "zz", json_pack("[i,{s:n}]", 1, "q"));
	json_object_set_new(v3_holder(root, "mint"), "zz", json_true());
	json_object_set_new(v3_holder(root, "amount"), "zz", json_real(1.5));
	json_object_set_new(v3_holder(root, "e"), "zz", json_string("x"));
	s = v3_text(root);
	T(decode(s, &tok) == 0 && token_equal(tok, base),
	    "V3: unknown keys at every level ignored");
	token_free(tok);
	token_str_free(s);
	token_free(base);
}

static void
test_v3_values(void)
{
	static const struct {
		const char	*json, *what;
		int		 ok;
	} cases[] = {
#define P(a, id, c) "{\"token\":[{\"mint\":\"https://m.example\",\"proofs\":" \
	"[{\"amount\":" a ",\"id\":\"" id "\",\"secret\":\"x\",\"C\":\"" c \
	"\"}]}]}"
#define ID8	"009a1f293253e41e"
#define C33	"02bc9097997d81afb2cc7346b5e4345a9346bd2a506eb7958598a72f0cf85163ea"
		{ P("1", ID8, C33), "minimal", 1 },
		{ P("9223372036854775807", ID8, C33), "amount 2^63-1", 1 },
		{ P("9223372036854775808", ID8, C33), "amount 2^63", 0 },
		{ P("18446744073709551616", ID8, C33), "amount 2^64", 0 },
		{ P("0", ID8, C33), "amount 0", 0 },
		{ P("-1", ID8, C33), "amount -1", 0 },
		{ P("1.0", ID8, C33), "amount 1.0", 0 },
		{ P("1e3", ID8, C33), "amount 1e3", 0 },
		{ P("\"1\"", ID8, C33), "amount \"1\"", 0 },
		{ P("01", ID8, C33), "amount 01", 0 },
		{ P("1", "009A1F293253E41E", C33), "upper-case id", 1 },
		{ P("1", "009a1f293253e41", C33), "id of 15 digits", 0 },
		{ P("1", "009a1f293253e41e00", C33), "id of 9 bytes", 0 },
		{ P("1", "009a1f293253e41g", C33), "id not hex", 0 },
		{ P("1", "I2yN+iRYfkzT", C33), "base64 id", 0 },
		{ P("1", "01" "5ba18a3e2a4c5fb1c5bf2a9e4c8a9e0c8d7b6a5f4e3d2c1b0a9f8e7d6c5bf76a",
		    C33), "id of 33 bytes", 1 },
		{ P("1", ID8, "04bc9097997d81afb2cc7346b5e4345a9346bd2a506eb7958598a72f0cf85163ea"),
		    "C starting 04", 0 },
		{ P("1", ID8, "02bc9097997d81afb2cc7346b5e4345a9346bd2a506eb7958598a72f0cf85163"),
		    "C of 32 bytes", 0 },
		{ "{\"token\":[]}", "empty token array", 0 },
		{ "{\"token\":[{\"mint\":\"https://m.example\",\"proofs\":[]}]}",
		    "empty proofs", 0 },
		{ "{\"token\":{}}", "token not an array", 0 },
		{ "[]", "top-level array", 0 },
		{ "\"x\"", "top-level string", 0 },
		{ "", "empty JSON", 0 },
		{ P("1", ID8, C33) "x", "trailing garbage", 0 },
		{ P("1", ID8, C33) " ", "trailing space", 1 },
		{ "{\"token\":[{\"mint\":\"https://m.example\",\"proofs\":[{"
		    "\"amount\":1,\"amount\":2,\"id\":\"" ID8 "\",\"secret\":"
		    "\"x\",\"C\":\"" C33 "\"}]}]}", "duplicate amount", 0 },
		{ "{\"token\":[{\"mint\":\"https://m.example\",\"proofs\":[{"
		    "\"amount\":1,\"id\":\"" ID8 "\",\"secret\":\"x\\u0000y\","
		    "\"C\":\"" C33 "\"}]}]}", "secret with \\u0000", 0 },
		{ "{\"token\":[{\"mint\":\"https://m.example\",\"proofs\":[{"
		    "\"amount\":1,\"id\":\"" ID8 "\",\"secret\":\"\","
		    "\"C\":\"" C33 "\"}]}]}", "empty secret", 0 },
		{ "{\"token\":[{\"mint\":\"https://m.example\",\"proofs\":[{"
		    "\"amount\":1,\"id\":\"" ID8 "\",\"secret\":\"\\u00fc\","
		    "\"C\":\"" C33 "\"}]}]}", "secret \\u00fc", 1 },
		{ "{\"token\":[{\"mint\":\"https://m.example\",\"proofs\":[{"
		    "\"amount\":1,\"id\":\"" ID8 "\",\"secret\":\"\\ud800\","
		    "\"C\":\"" C33 "\"}]}]}", "secret lone surrogate", 0 },
		{ "{\"token\":[{\"mint\":\"https://m.example\",\"proofs\":[{"
		    "\"amount\":1,\"id\":\"" ID8 "\",\"secret\":\"x\",\"C\":\""
		    C33 "\",\"dleq\":{\"e\":\"00\",\"s\":\"00\",\"r\":\"00\"}}"
		    "]}]}", "DLEQ of 1-byte values", 0 },
		{ "{\"token\":[{\"mint\":\"https://m.example\",\"proofs\":[{"
		    "\"amount\":1,\"id\":\"" ID8 "\",\"secret\":\"x\",\"C\":\""
		    C33 "\"}]},{\"mint\":\"https://m.example/\",\"proofs\":[{"
		    "\"amount\":2,\"id\":\"00ffd48b8f5ecf80\",\"secret\":\"y\","
		    "\"C\":\"" C33 "\"},{\"amount\":4,\"id\":\"" ID8 "\","
		    "\"secret\":\"z\",\"C\":\"" C33 "\"}]}]}",
		    "two entries of one mint", 1 },
		{ "{\"token\":[{\"mint\":\"https://m.example\",\"proofs\":[{"
		    "\"amount\":1,\"id\":\"" ID8 "\",\"secret\":\"x\",\"C\":\""
		    C33 "\"}]},{\"mint\":\"https://other.example\",\"proofs\":"
		    "[{\"amount\":1,\"id\":\"" ID8 "\",\"secret\":\"y\",\"C\":\""
		    C33 "\"}]}]}", "two mints", 0 },
		{ "{\"token\":[{\"mint\":\"https://m.example\",\"proofs\":[{"
		    "\"amount\":9223372036854775807,\"id\":\"" ID8 "\","
		    "\"secret\":\"x\",\"C\":\"" C33 "\"},{\"amount\":"
		    "9223372036854775807,\"id\":\"" ID8 "\",\"secret\":\"y\","
		    "\"C\":\"" C33 "\"},{\"amount\":2,\"id\":\"" ID8 "\","
		    "\"secret\":\"z\",\"C\":\"" C33 "\"}]}]}",
		    "sum past 2^64-1", 0 },
		{ "{\"token\":[{\"mint\":\"https://m.example\",\"proofs\":[{"
		    "\"amount\":9223372036854775807,\"id\":\"" ID8 "\","
		    "\"secret\":\"x\",\"C\":\"" C33 "\"},{\"amount\":"
		    "9223372036854775807,\"id\":\"" ID8 "\",\"secret\":\"y\","
		    "\"C\":\"" C33 "\"},{\"amount\":1,\"id\":\"" ID8 "\","
		    "\"secret\":\"z\",\"C\":\"" C33 "\"}]}]}",
		    "sum exactly 2^64-1", 1 },
		{ "{\"token\":[{\"mint\":\"https://m.example\",\"proofs\":[{"
		    "\"amount\":1,\"id\":\"" ID8 "\",\"secret\":\"x\",\"C\":\""
		    C33 "\"}]}],\"unit\":\"\"}", "empty unit", 0 },
#undef P
	};
	struct cashu_token	*tok;
	char			*s;
	size_t			 i;
	int			 r;

	for (i = 0; i < NELEM(cases); i++) {
		s = v3_raw(cases[i].json);
		r = decode(s, &tok);
		T((r == 0) == cases[i].ok && (r == 0 || no_leak(err, s, NULL)),
		    "V3 %s: %s (%s)", cases[i].what, cases[i].ok ? "accepted" :
		    "rejected", r == 0 ? "ok" : err);
		if (r == 0 && strcmp(cases[i].what, "two entries of one mint")
		    == 0)
			T(tok->ngroups == 2 && tok->groups[0].nproofs == 2 &&
			    tok->groups[1].nproofs == 1 &&
			    tok->groups[0].proofs[1].amount == 4 &&
			    tok->amount == 7, "  grouped by keyset id");
		if (r == 0 && strcmp(cases[i].what, "upper-case id") == 0)
			T(tok->groups[0].id[1] == 0x9a, "  upper-case hex read");
		token_free(tok);
		token_str_free(s);
	}
	/* The number jansson refuses: no JSON text in the message. */
	s = v3_raw("{\"token\":[{\"mint\":\"https://m.example\",\"proofs\":[{"
	    "\"amount\":99999999999999999999,\"id\":\"" ID8 "\",\"secret\":"
	    "\"sekritsekrit\",\"C\":\"" C33 "\"}]}]}");
	T(decode(s, &tok) == -1 && strstr(err, "99999") == NULL &&
	    strstr(err, "range") != NULL && no_leak(err, s, "sekritsekrit"),
	    "V3: jansson's message (it quotes the text) is not passed on");
	token_str_free(s);
	s = v3_raw("{\"token\":[{\"mint\":\"https://m.example\",\"proofs\":[{"
	    "\"amount\":1,\"id\":\"" ID8 "\",\"secret\":\"sekritsekrit\","
	    "\"C\":\"" C33 "\"]}]}");
	T(decode(s, &tok) == -1 && strstr(err, "sekrit") == NULL &&
	    no_leak(err, s, "sekritsekrit"), "V3: syntax error, no echo");
	token_str_free(s);
#undef ID8
#undef C33
}

static void
test_api(void)
{
	struct cashu_token	*tok;
	struct cashu_proof	 p;
	char			*s;

	T(token_new(NULL, "sat", NULL, err, sizeof(err)) == NULL,
	    "token_new without a mint");
	T(token_new("mint.example", "sat", NULL, err, sizeof(err)) == NULL,
	    "token_new with a mint that is not a URL");
	T(token_new("https://m.example", "s a t", NULL, err,
	    sizeof(err)) == NULL, "token_new with a bad unit");
	tok = token_new("https://m.example", NULL, NULL, err, sizeof(err));
	T(tok != NULL && tok->unit == NULL, "token_new without a unit");
	T(tok != NULL && token_encode_v4(tok, 0, &s, err, sizeof(err)) == -1 &&
	    s == NULL, "encoding an empty token fails");
	memset(&p, 0, sizeof(p));
	p.amount = 1;
	p.idlen = 8;
	p.C[0] = 3;
	p.secret = "s";
	T(tok != NULL && token_add_proof(tok, &p, err, sizeof(err)) == 0,
	    "token_add_proof");
	T(tok != NULL && token_encode_v4(tok, 0, &s, err, sizeof(err)) == -1 &&
	    strstr(err, "unit") != NULL, "V4 needs a unit");
	T(tok != NULL && token_encode_v3(tok, 0, &s, err, sizeof(err)) == 0 &&
	    crosses(tok, 0), "V3 without a unit is fine");
	token_str_free(s);
	p.idlen = 9;
	T(tok != NULL && token_add_proof(tok, &p, err, sizeof(err)) == -1,
	    "token_add_proof: id of 9 bytes");
	p.idlen = 8;
	p.C[0] = 4;
	T(tok != NULL && token_add_proof(tok, &p, err, sizeof(err)) == -1,
	    "token_add_proof: C starting 04");
	p.C[0] = 2;
	p.amount = 0;
	T(tok != NULL && token_add_proof(tok, &p, err, sizeof(err)) == -1,
	    "token_add_proof: amount 0");
	p.amount = 1;
	p.secret = NULL;
	T(tok != NULL && token_add_proof(tok, &p, err, sizeof(err)) == -1,
	    "token_add_proof: no secret");
	p.secret = "\xff";
	T(tok != NULL && token_add_proof(tok, &p, err, sizeof(err)) == -1,
	    "token_add_proof: secret not UTF-8");
	T(tok != NULL && tok->nproofs == 1 && tok->ngroups == 1 &&
	    tok->amount == 1, "failed adds change nothing");
	token_free(tok);
	token_free(NULL);
	token_str_free(NULL);
	T(token_decode(NULL, 0, &tok, NULL, 0) == -1 && tok == NULL,
	    "NULL text, NULL err");
}

int
main(void)
{
	test_base64();
	test_v3_vectors();
	test_v4_vectors();
	test_prefix_and_base64();
	test_truncation();
	test_v4_fields();
	test_v4_values();
	test_limits();
	test_v3_fields();
	test_v3_values();
	test_api();
	return (test_done());
}
