/*
 * Payments to the node in its own ecash.  Redeem: a token's proofs,
 * checked here, spent and credited to an account by the ledger in one
 * transaction.  Cash out: an account's balance paid back as a fresh
 * token of the mint, the account closed and the token recorded in the
 * same transaction, so that it can be handed out again if the answer
 * is lost.  Tokens of another mint that the configuration trusts go to
 * the wallet (mint_wallet.c), which swaps them at their mint.
 */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imsg.h"
#include "ipc.h"
#include "ledger.h"
#include "log.h"
#include "mintd.h"
#include "money.h"
#include "proc.h"
#include "token.h"

/* A request of a proxy waiting for the ledger. */
struct payment {
	int		 p_instance;	/* the proxy */
	uint32_t	 p_id;		/* its request id */
	struct ipc_mint_cashout p_mc;
	uint64_t	 p_balance;	/* cashout: what the account held */
	char		*p_token;	/* cashout: sent once committed */
};

static struct payment	*payment_new(struct peer *, struct imsg *);
static void		 payment_free(struct payment *);
static void		 redeemed(struct imsg *, void *);
static void		 cashout_account(struct imsg *, void *);
static void		 cashout_done(struct imsg *, void *);

static struct payment *
payment_new(struct peer *p, struct imsg *imsg)
{
	struct payment	*pm;

	if ((pm = calloc(1, sizeof(*pm))) == NULL)
		fatal(NULL);
	pm->p_instance = p->p_instance;
	pm->p_id = imsg_get_id(imsg);
	return (pm);
}

static void
payment_free(struct payment *pm)
{
	token_str_free(pm->p_token);
	free(pm);
}

/*
 * IMSG_MINT_REDEEM: the proofs of a token, paid into an account.  Net of
 * the keysets' input fees (NUT-02), in msat.  The reply carries the
 * ledger's answer (LEDGER_SPENT: spent before; LEDGER_EXISTS: the
 * account exists and nothing was spent), or MINT_END with a NUT code
 * when the proofs are not good.
 */
int
mint_redeem_request(struct peer *p, struct imsg *imsg)
{
	struct ipc_mint_redeem	 mr;
	struct ipc_redeem	 rd;
	struct ipc_proof_in	*in;
	struct ipc_input	*ys;
	struct payment		*pm;
	unsigned char		*buf;
	const char		*unit, *detail;
	uint64_t		 sum, fee, net, msat;
	size_t			 len = imsg_get_len(imsg), blen;
	uint32_t		 id = imsg_get_id(imsg);
	int			 code;

	if (imsg_get_buf(imsg, &mr, sizeof(mr)) == -1 ||
	    mr.mr_nproofs == 0 || mr.mr_nproofs > IPC_INPUTS_MAX ||
	    len != sizeof(mr) + mr.mr_nproofs * sizeof(*in) ||
	    mr.mr_mode < REDEEM_CREATE || mr.mr_mode > REDEEM_ANY ||
	    (mr.mr_has_record != 0 && mr.mr_has_record != 1) ||
	    !ipc_str_ok(mr.mr_unit, sizeof(mr.mr_unit)) ||
	    !ipc_str_ok(mr.mr_mint, sizeof(mr.mr_mint)))
		return (-1);
	if ((in = calloc(mr.mr_nproofs, sizeof(*in))) == NULL ||
	    (ys = calloc(mr.mr_nproofs, sizeof(*ys))) == NULL)
		fatal(NULL);
	if (imsg_get_buf(imsg, in, mr.mr_nproofs * sizeof(*in)) == -1) {
		freezero(in, mr.mr_nproofs * sizeof(*in));
		free(ys);
		return (-1);
	}
	/* Not our ecash: a trusted mint's, swapped there by the wallet. */
	if (wallet_trusted() && (!mintd->m_local ||
	    mint_keyset_find(in[0].pi_id, in[0].pi_idlen) == NULL)) {
		free(ys);
		wallet_redeem(p, id, &mr, in);
		return (0);
	}
	code = 0;
	if (!mintd->m_local) {
		code = E_KEYSET;
		detail = "this node runs no mint";
	} else if (mint_verify_inputs(in, mr.mr_nproofs, ys, &sum, &fee, &unit,
	    &code, &detail) == -1)
		;
	else if (strcmp(unit, MINT_UNIT) != 0 ||
	    (mr.mr_unit[0] != '\0' && strcmp(mr.mr_unit, unit) != 0)) {
		code = E_UNIT;
		detail = "unit is not supported";
	} else if (money_sub(&net, sum, fee) == -1 || net == 0) {
		code = E_UNBALANCED;
		detail = "the token is worth nothing after its fees";
	} else if (money_mul(&msat, net, MSAT_PER_SAT) == -1) {
		code = E_LIMIT;
		detail = "amount outside the limits";
	}
	freezero(in, mr.mr_nproofs * sizeof(*in));
	if (code != 0) {
		mint_end(p, id, code, detail);
		free(ys);
		return (0);
	}

	memset(&rd, 0, sizeof(rd));
	memcpy(rd.rd_key, mr.mr_key, sizeof(rd.rd_key));
	memcpy(rd.rd_reqid, mr.mr_reqid, sizeof(rd.rd_reqid));
	rd.rd_amount = msat;
	rd.rd_limit = mr.mr_limit;
	rd.rd_expiry = mr.mr_expiry;
	rd.rd_mode = mr.mr_mode;
	memcpy(rd.rd_record, mr.mr_record, sizeof(rd.rd_record));
	rd.rd_has_record = mr.mr_has_record;
	rd.rd_nys = mr.mr_nproofs;
	(void)strlcpy(rd.rd_unit, MINT_UNIT, sizeof(rd.rd_unit));
	memcpy(rd.rd_mint, mr.mr_mint, sizeof(rd.rd_mint));
	blen = sizeof(rd) + rd.rd_nys * sizeof(*ys);
	if ((buf = malloc(blen)) == NULL)
		fatal(NULL);
	memcpy(buf, &rd, sizeof(rd));
	memcpy(buf + sizeof(rd), ys, rd.rd_nys * sizeof(*ys));
	free(ys);
	pm = payment_new(p, imsg);
	if (proc_request(mint_ledger(), IMSG_LEDGER_REDEEM, buf, blen,
	    IPC_TIMEOUT_MS, redeemed, pm) == 0) {
		mint_end(p, id, E_PROOF, "the ledger is not available");
		payment_free(pm);
	}
	free(buf);
	return (0);
}

static void
redeemed(struct imsg *imsg, void *arg)
{
	struct payment		*pm = arg;
	struct ipc_ledger_reply	 lr;
	struct peer		*p;

	(void)ipc_ledger_reply_get(imsg, &lr);
	if ((p = peer_find(PROC_PROXY, pm->p_instance)) != NULL)
		peer_compose(p, IMSG_MINT_REDEEMED, pm->p_id, -1, &lr,
		    sizeof(lr));
	payment_free(pm);
}

/*
 * IMSG_MINT_CASHOUT: the account's balance out as a token.  Its whole
 * sats go into the token; what is left under a sat stays with the node.
 * The reply is MINT_TOKEN with the ledger's answer and, when it says
 * LEDGER_OK and the balance held a sat, the token.
 */
int
mint_cashout_request(struct peer *p, struct imsg *imsg)
{
	struct payment	*pm;
	struct ipc_key	 k;

	pm = payment_new(p, imsg);
	if (imsg_get_data(imsg, &pm->p_mc, sizeof(pm->p_mc)) == -1 ||
	    !ipc_str_ok(pm->p_mc.mc_url, sizeof(pm->p_mc.mc_url))) {
		payment_free(pm);
		return (-1);
	}
	/* Paying out in another mint's ecash is not done: nothing moves. */
	if (!mintd->m_local) {
		mint_end(p, pm->p_id, E_DISABLED, "this node runs no mint: "
		    "balances cannot be paid out as ecash");
		payment_free(pm);
		return (0);
	}
	memset(&k, 0, sizeof(k));
	memcpy(k.k_key, pm->p_mc.mc_key, sizeof(k.k_key));
	if (proc_request(mint_ledger(), IMSG_LEDGER_ACCOUNT_GET, &k, sizeof(k),
	    IPC_TIMEOUT_MS, cashout_account, pm) == 0) {
		mint_end(p, pm->p_id, E_PROOF, "the ledger is not available");
		payment_free(pm);
	}
	return (0);
}

static void
cashout_account(struct imsg *imsg, void *arg)
{
	struct payment		*pm = arg;
	struct ipc_account	 a;
	struct ipc_ledger_reply	 lr;
	struct ipc_cashout	 co;
	struct ipc_issued	 iss[KEYSET_MAX_KEYS];
	struct peer		*p;
	unsigned char		*buf;
	char			 err[128];
	size_t			 blen, tlen = 0;
	uint32_t		 n = 0;

	memset(&lr, 0, sizeof(lr));
	if (imsg == NULL)
		lr.lr_error = LEDGER_DBERR;
	else if (imsg_get_type(imsg) == IMSG_LEDGER_REPLY)
		(void)ipc_ledger_reply_get(imsg, &lr);
	else if (imsg_get_type(imsg) != IMSG_LEDGER_ACCOUNT ||
	    imsg_get_data(imsg, &a, sizeof(a)) == -1)
		lr.lr_error = LEDGER_DBERR;
	else if (a.a_flags & LEDGER_ACCOUNT_CLOSED)
		lr.lr_error = LEDGER_CLOSED;
	else if (a.a_reserved != 0)
		lr.lr_error = LEDGER_RESERVED;
	if (lr.lr_error == LEDGER_OK && a.a_balance >= MSAT_PER_SAT &&
	    mint_token_make(a.a_balance / MSAT_PER_SAT, pm->p_mc.mc_url, 1,
	    iss, &n, &pm->p_token, err, sizeof(err)) == -1) {
		log_warnx("cashout: %s", err);
		lr.lr_error = LEDGER_INVALID;
	}
	if (lr.lr_error != LEDGER_OK) {
		if ((p = peer_find(PROC_PROXY, pm->p_instance)) != NULL)
			peer_compose(p, IMSG_MINT_TOKEN, pm->p_id, -1, &lr,
			    sizeof(lr));
		payment_free(pm);
		return;
	}
	pm->p_balance = a.a_balance;

	memset(&co, 0, sizeof(co));
	memcpy(co.co_key, pm->p_mc.mc_key, sizeof(co.co_key));
	memcpy(co.co_reqid, pm->p_mc.mc_reqid, sizeof(co.co_reqid));
	memcpy(co.co_record, pm->p_mc.mc_record, sizeof(co.co_record));
	co.co_expect = a.a_balance;
	co.co_paid = pm->p_mc.mc_paid;
	co.co_nissued = n;
	if (pm->p_token != NULL)
		tlen = strlen(pm->p_token);
	co.co_bloblen = tlen;
	blen = sizeof(co) + n * sizeof(iss[0]) + tlen;
	if ((buf = malloc(blen)) == NULL)
		fatal(NULL);
	memcpy(buf, &co, sizeof(co));
	memcpy(buf + sizeof(co), iss, n * sizeof(iss[0]));
	if (tlen > 0)
		memcpy(buf + sizeof(co) + n * sizeof(iss[0]), pm->p_token,
		    tlen);
	if (proc_request(mint_ledger(), IMSG_LEDGER_CASHOUT, buf, blen,
	    IPC_TIMEOUT_MS, cashout_done, pm) == 0) {
		lr.lr_error = LEDGER_DBERR;
		if ((p = peer_find(PROC_PROXY, pm->p_instance)) != NULL)
			peer_compose(p, IMSG_MINT_TOKEN, pm->p_id, -1, &lr,
			    sizeof(lr));
		payment_free(pm);
	}
	freezero(buf, blen);
}

static void
cashout_done(struct imsg *imsg, void *arg)
{
	struct payment		*pm = arg;
	struct ipc_ledger_reply	 lr;
	struct peer		*p;
	unsigned char		*buf;
	size_t			 tlen = 0;

	(void)ipc_ledger_reply_get(imsg, &lr);
	/* The token only once the ledger has it. */
	if (lr.lr_error == LEDGER_OK && pm->p_token != NULL)
		tlen = strlen(pm->p_token) + 1;
	if ((buf = malloc(sizeof(lr) + tlen)) == NULL)
		fatal(NULL);
	memcpy(buf, &lr, sizeof(lr));
	if (tlen > 0)
		memcpy(buf + sizeof(lr), pm->p_token, tlen);
	if ((p = peer_find(PROC_PROXY, pm->p_instance)) != NULL)
		peer_compose(p, IMSG_MINT_TOKEN, pm->p_id, -1, buf,
		    sizeof(lr) + tlen);
	freezero(buf, sizeof(lr) + tlen);
	payment_free(pm);
}
