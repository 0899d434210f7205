/*
 * routstrctl mint token N: ecash of N sats from a mint whose Lightning
 * is fake, in one command, for demos and tests.  The mint plays the
 * wallet too: blinds, signs, unblinds.  The signed outputs go to the
 * ledger like any others, so the audit counts them as issued.
 */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bdhke.h"
#include "hex.h"
#include "imsg.h"
#include "ipc.h"
#include "ledger.h"
#include "log.h"
#include "mintd.h"
#include "proc.h"
#include "token.h"

#define TEST_TOKEN_MAX	1000000		/* sat: a million is plenty */

struct minting {
	uint32_t		 mt_id;
	char			*mt_token;	/* encoded, sent when committed */
};

static void	 token_committed(struct imsg *, void *);
static void	 fail(struct peer *, uint32_t, const char *);

static void
fail(struct peer *p, uint32_t id, const char *why)
{
	peer_compose(p, IMSG_CTL_FAIL, id, -1, why, strlen(why) + 1);
}

/*
 * A token of amount sats of the active keyset, made here: secrets,
 * blinding, signatures, unblinding.  iss (KEYSET_MAX_KEYS entries) gets
 * the outputs for the ledger to record, *n of them; *token the encoded
 * token (token_str_free()).  Without dleq, or when the token would not
 * fit in IPC_BLOB_MAX with them, the proofs carry no DLEQ proofs.
 */
int
mint_token_make(uint64_t amount, const char *url, int dleq,
    struct ipc_issued *iss, uint32_t *n, char **token, char *err,
    size_t errlen)
{
	struct mint_keyset	*mk;
	struct cashu_token	*tok;
	struct cashu_proof	 pr;
	uint8_t			 secret[32], r[32], b[33], c_[33], e[32], s[32];
	char			 hexsecret[65];
	uint64_t		 left = amount;
	size_t			 g, j;
	int			 i, rc = -1;

	*n = 0;
	*token = NULL;
	if ((mk = mint_keyset_active(MINT_UNIT)) == NULL) {
		(void)strlcpy(err, "no active keyset", errlen);
		return (-1);
	}
	if ((tok = token_new(url, MINT_UNIT, NULL, err, errlen)) == NULL)
		return (-1);
	for (i = 0; i < KEYSET_MAX_KEYS && left != 0; i++) {
		if ((left & (1ULL << i)) == 0)
			continue;
		left &= ~(1ULL << i);
		if ((size_t)i >= mk->mk_ks.ks_nkeys) {
			(void)strlcpy(err, "amount too large", errlen);
			goto done;
		}
		arc4random_buf(secret, sizeof(secret));
		hex_encode(hexsecret, secret, sizeof(secret));
		if (bdhke_random_scalar(mintd->m_bd, r) == -1 ||
		    bdhke_blind(mintd->m_bd, hexsecret, 64, r, b) == -1 ||
		    bdhke_sign_dleq(mintd->m_bd, mk->mk_ks.ks_priv[i],
		    mk->mk_ks.ks_pub[i], b, c_, e, s) == -1)
			fatalx("cannot sign a proof");
		memset(&pr, 0, sizeof(pr));
		if (bdhke_unblind(mintd->m_bd, c_, r, mk->mk_ks.ks_pub[i],
		    pr.C) == -1)
			fatalx("cannot unblind a proof");
		pr.amount = 1ULL << i;
		memcpy(pr.id, mk->mk_ks.ks_id, mk->mk_ks.ks_idlen);
		pr.idlen = mk->mk_ks.ks_idlen;
		pr.secret = hexsecret;
		pr.has_dleq = dleq;
		memcpy(pr.dleq.e, e, 32);
		memcpy(pr.dleq.s, s, 32);
		memcpy(pr.dleq.r, r, 32);
		if (token_add_proof(tok, &pr, err, errlen) == -1)
			goto done;

		memset(&iss[*n], 0, sizeof(iss[*n]));
		memcpy(iss[*n].i_b, b, sizeof(b));
		memcpy(iss[*n].i_c, c_, sizeof(c_));
		memcpy(iss[*n].i_keyset, mk->mk_ks.ks_id, mk->mk_ks.ks_idlen);
		iss[*n].i_keyset_len = mk->mk_ks.ks_idlen;
		iss[*n].i_amount = 1ULL << i;
		memcpy(iss[*n].i_dleq_e, e, 32);
		memcpy(iss[*n].i_dleq_s, s, 32);
		iss[*n].i_time = time(NULL);
		(*n)++;
	}
	if (token_encode_v4(tok, 0, token, err, errlen) == -1)
		goto done;
	if (dleq && strlen(*token) >= IPC_BLOB_MAX) {
		/* Too long to keep: the same proofs, without their DLEQ. */
		token_str_free(*token);
		*token = NULL;
		for (g = 0; g < tok->ngroups; g++)
			for (j = 0; j < tok->groups[g].nproofs; j++)
				tok->groups[g].proofs[j].has_dleq = 0;
		if (token_encode_v4(tok, 0, token, err, errlen) == -1)
			goto done;
	}
	rc = 0;
 done:
	explicit_bzero(secret, sizeof(secret));
	explicit_bzero(hexsecret, sizeof(hexsecret));
	explicit_bzero(r, sizeof(r));
	token_free(tok);
	if (rc == -1) {
		token_str_free(*token);
		*token = NULL;
	}
	return (rc);
}

int
mint_token_request(struct peer *p, struct imsg *imsg)
{
	struct ipc_mint_token	 mt;
	struct ipc_issued	 iss[KEYSET_MAX_KEYS];
	struct minting		*m;
	unsigned char		 buf[sizeof(uint32_t) + sizeof(iss)];
	char			 err[128];
	uint32_t		 id = imsg_get_id(imsg), n = 0;

	if (imsg_get_data(imsg, &mt, sizeof(mt)) == -1 ||
	    !ipc_str_ok(mt.mt_url, sizeof(mt.mt_url)))
		return (-1);
	if (!mintd->m_local || mintd->m_lightning != LIGHTNING_FAKE) {
		fail(p, id, "only a mint with fake Lightning makes test tokens");
		return (0);
	}
	if (mt.mt_amount == 0 || mt.mt_amount > TEST_TOKEN_MAX) {
		fail(p, id, "between 1 and 1000000 sat");
		return (0);
	}
	if (mt.mt_url[0] == '\0') {
		fail(p, id, "the node has no http url: set one in "
		    "routstrd.conf");
		return (0);
	}
	if ((m = calloc(1, sizeof(*m))) == NULL)
		fatal(NULL);
	m->mt_id = id;
	if (mint_token_make(mt.mt_amount, mt.mt_url, 1, iss, &n,
	    &m->mt_token, err, sizeof(err)) == -1) {
		free(m);
		fail(p, id, err);
		return (0);
	}

	/* Issued once the ledger says so, then the token goes out. */
	memcpy(buf, &n, sizeof(n));
	memcpy(buf + sizeof(n), iss, n * sizeof(iss[0]));
	if (proc_request(peer_find(PROC_LEDGER, 0), IMSG_LEDGER_ISSUED_ADD,
	    buf, sizeof(n) + n * sizeof(iss[0]), IPC_TIMEOUT_MS,
	    token_committed, m) == 0) {
		token_str_free(m->mt_token);
		free(m);
		fail(p, id, "the ledger is not available");
	}
	return (0);
}

static void
token_committed(struct imsg *imsg, void *arg)
{
	struct minting		*m = arg;
	struct ipc_ledger_reply	 lr;
	struct peer		*p = proc_parent();

	if (imsg == NULL || imsg_get_type(imsg) != IMSG_LEDGER_REPLY ||
	    imsg_get_data(imsg, &lr, sizeof(lr)) == -1 ||
	    lr.lr_error != LEDGER_OK)
		fail(p, m->mt_id, "the ledger did not record the proofs");
	else
		peer_compose(p, IMSG_CTL_OK, m->mt_id, -1, m->mt_token,
		    strlen(m->mt_token) + 1);
	token_str_free(m->mt_token);
	free(m);
}
