/*
 * libFuzzer harness for Cashu token decoding.  The input is tried as a
 * token's text (cashuA / cashuB / cashu:) and as the raw binary form.
 * Whatever decodes must keep the decoder's promises (limits, lengths,
 * the sum), and must survive encoding: V4 (padded and not), V3 and raw
 * each decode again to the same token.  Encoding may refuse only for the
 * reasons it documents (no unit for V4, amounts above 2^63-1 or a result
 * over TOKEN_LEN_MAX for V3).
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "token.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	 check(const struct cashu_token *);
static void	 again(const struct cashu_token *);

/* What token_decode() promises about what it returns. */
static void
check(const struct cashu_token *tok)
{
	const struct cashu_group	*g;
	const struct cashu_proof	*p;
	uint64_t			 sum;
	size_t				 i, j, n = 0, k;

	if (tok->mint == NULL || strlen(tok->mint) > TOKEN_URL_MAX ||
	    tok->mint[strlen(tok->mint) - 1] == '/' ||
	    (tok->unit != NULL && (strlen(tok->unit) == 0 ||
	    strlen(tok->unit) > TOKEN_UNIT_MAX)) ||
	    (tok->memo != NULL && strlen(tok->memo) > TOKEN_MEMO_MAX) ||
	    tok->ngroups == 0 || tok->nproofs == 0 ||
	    tok->nproofs > TOKEN_PROOFS_MAX)
		abort();
	for (i = 0; i < tok->ngroups; i++) {
		g = &tok->groups[i];
		if (g->nproofs == 0 || (g->idlen != TOKEN_ID_SHORT &&
		    g->idlen != TOKEN_ID_LEN_MAX))
			abort();
		/* One group per keyset id. */
		for (k = 0; k < i; k++)
			if (tok->groups[k].idlen == g->idlen &&
			    memcmp(tok->groups[k].id, g->id, g->idlen) == 0)
				abort();
		for (j = 0; j < g->nproofs; j++, n++) {
			p = &g->proofs[j];
			if (p->amount == 0 || p->idlen != g->idlen ||
			    memcmp(p->id, g->id, g->idlen) != 0 ||
			    p->secret == NULL || strlen(p->secret) == 0 ||
			    strlen(p->secret) > TOKEN_SECRET_MAX ||
			    (p->C[0] != 2 && p->C[0] != 3) ||
			    (p->witness != NULL &&
			    strlen(p->witness) > TOKEN_WITNESS_MAX))
				abort();
		}
	}
	if (n != tok->nproofs || token_sum(tok, &sum) == -1 ||
	    sum != tok->amount)
		abort();
}

static void
again(const struct cashu_token *tok)
{
	struct cashu_token	*t2;
	const struct cashu_group *g;
	char			*s, err[256];
	uint8_t			*raw;
	size_t			 rawlen, i, j;
	int			 flags, big = 0;

	for (flags = 0; flags <= TOKEN_PAD; flags += TOKEN_PAD) {
		if (token_encode_v4(tok, flags, &s, err, sizeof(err)) == -1) {
			if (tok->unit != NULL)
				abort();
		} else {
			if (token_decode(s, strlen(s), &t2, err,
			    sizeof(err)) == -1 || !token_equal(tok, t2))
				abort();
			token_free(t2);
			token_str_free(s);
		}

		for (i = 0; i < tok->ngroups; i++) {
			g = &tok->groups[i];
			for (j = 0; j < g->nproofs; j++)
				if (g->proofs[j].amount > INT64_MAX)
					big = 1;
		}
		if (token_encode_v3(tok, flags, &s, err, sizeof(err)) == -1) {
			if (!big && strstr(err, "too large") == NULL)
				abort();
		} else {
			if (big || token_decode(s, strlen(s), &t2, err,
			    sizeof(err)) == -1 || !token_equal(tok, t2))
				abort();
			token_free(t2);
			token_str_free(s);
		}
	}

	if (token_encode_raw(tok, &raw, &rawlen, err, sizeof(err)) == 0) {
		if (token_decode_raw(raw, rawlen, &t2, err,
		    sizeof(err)) == -1 || !token_equal(tok, t2))
			abort();
		token_free(t2);
		freezero(raw, rawlen);
	} else if (tok->unit != NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cashu_token	*tok;
	char			 err[256];

	err[0] = '\0';
	if (token_decode((const char *)data, size, &tok, err,
	    sizeof(err)) == 0) {
		check(tok);
		again(tok);
		token_free(tok);
	} else if (tok != NULL || err[0] == '\0')
		abort();

	err[0] = '\0';
	if (token_decode_raw(data, size, &tok, err, sizeof(err)) == 0) {
		check(tok);
		again(tok);
		token_free(tok);
	} else if (tok != NULL || err[0] == '\0')
		abort();
	return (0);
}
