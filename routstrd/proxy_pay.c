/*
 * How clients pay: the credential of a request, the account behind it,
 * tokens paid into accounts and accounts paid out as tokens (mintd
 * checks the ecash and makes it; the ledger keeps the accounts), and
 * Routstr Core's error bodies for all of it.
 *
 * Accounts are keyed by SHA-256 of a 32-byte secret K, never by K: for
 * an "sk-" key K is its 64 hex digits, random for the keys that
 * /v1/balance/create makes; for a Cashu token K is SHA-256 of the token
 * as sent, so that "sk-" + hex(K) is the key Routstr Core reports for a
 * token-funded balance.  Who holds the token could spend its balance
 * anyway; who only sees the ledger learns nothing.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hex.h"
#include "http.h"
#include "imsg.h"
#include "ipc.h"
#include "ledger.h"
#include "log.h"
#include "money.h"
#include "proc.h"
#include "proxy.h"
#include "token.h"

#define TOKEN_TEXT_MAX	(64 * 1024)	/* a token as sent */
/* Longer than mintd's wallet takes at worst (mint_wallet.c). */
#define PAY_REDEEM_TIMEOUT_MS	(4 * 15000)

struct pay_call {
	struct http_conn	*pc_conn;	/* NULL: the client left */
	uint32_t		 pc_reqid;	/* of the IPC request */
	struct credential	 pc_cred;
	pay_account_cb		 pc_account_cb;
	pay_redeem_cb		 pc_redeem_cb;
	pay_token_cb		 pc_token_cb;
	void			*pc_arg;
	int			 pc_mode;	/* REDEEM_* */
	char			*pc_token;	/* redeem: the token */
};

static struct pay_call *call_new(struct http_conn *,
		    const struct credential *, void *);
static void	 call_free(struct pay_call *);
static void	 call_closed(struct http_conn *, void *);
static int	 call_send(struct pay_call *, struct peer *, uint32_t,
		    const void *, size_t, void (*)(struct imsg *, void *));
static void	 sha256(const void *, size_t, unsigned char *);
static void	 account_got(struct imsg *, void *);
static void	 account_redeemed(struct http_conn *, void *, int,
		    const struct ipc_ledger_reply *, const char *);
static void	 redeem_done(struct imsg *, void *);
static void	 cashout_done(struct imsg *, void *);
static int	 token_proofs(const char *, struct ipc_mint_redeem *,
		    struct ipc_proof_in **, const char **);

/*
 * SHA-256 with the digest fetched once: SHA256() fetches it on each call
 * (OpenSSL 3), a lock and a lookup on every paid request.
 */
static void
sha256(const void *p, size_t len, unsigned char *out)
{
	static EVP_MD	*md;

	if (md == NULL && (md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
		fatalx("%s: EVP_MD_fetch", __func__);
	if (EVP_Digest(p, len, out, NULL, md, NULL) != 1)
		fatalx("%s: EVP_Digest", __func__);
}

static struct peer *
peer_of(int procid)
{
	return (peer_find(procid, 0));
}

/*
 * The credential of a request: X-Cashu first, then Authorization, as
 * Routstr Core, then x-api-key.  0, or -1 with a reason (a malformed one; no credential
 * at all is CRED_NONE and 0).
 */
int
pay_credential(const struct http_request *req, struct credential *cr,
    const char **why)
{
	const char	*h, *v;
	size_t		 len;

	memset(cr, 0, sizeof(*cr));
	if ((h = http_request_header(req, "X-Cashu")) != NULL) {
		cr->cr_kind = CRED_XCASHU;
		v = h;
	} else if ((h = http_request_header(req, "Authorization")) != NULL) {
		if (strncasecmp(h, "Bearer ", 7) != 0) {
			*why = "the Authorization header is not a Bearer key";
			return (-1);
		}
		v = h + 7;
		v += strspn(v, " ");
		cr->cr_kind = strncmp(v, "sk-", 3) == 0 ? CRED_KEY :
		    CRED_TOKEN;
	} else if ((v = http_request_header(req, "x-api-key")) != NULL) {
		/*
		 * Anthropic's header: its SDK and Claude Code send the API
		 * key there (Routstr Core reads only Authorization).
		 */
		cr->cr_kind = strncmp(v, "sk-", 3) == 0 ? CRED_KEY :
		    CRED_TOKEN;
	} else
		return (0);

	len = strlen(v);
	if (cr->cr_kind == CRED_KEY) {
		if (len != 3 + 2 * CRED_SECRET_LEN ||
		    hex_decode(cr->cr_secret, sizeof(cr->cr_secret),
		    v + 3) == -1) {
			*why = "the API key is not valid";
			return (-1);
		}
	} else {
		if (strncmp(v, "cashu", 5) != 0 || len > TOKEN_TEXT_MAX) {
			*why = "the API key is neither an sk- key nor a Cashu "
			    "token";
			return (-1);
		}
		cr->cr_token = v;
		sha256(v, len, cr->cr_secret);
	}
	sha256(cr->cr_secret, sizeof(cr->cr_secret), cr->cr_account);
	return (0);
}

/* "sk-" and the hex of K: what /v1/balance/info reports as api_key. */
void
pay_api_key(const struct credential *cr, char *buf, size_t len)
{
	char	 hex[2 * CRED_SECRET_LEN + 1];

	hex_encode(hex, cr->cr_secret, sizeof(cr->cr_secret));
	(void)snprintf(buf, len, "sk-%s", hex);
	explicit_bzero(hex, sizeof(hex));
}

/* A new random key, for /v1/balance/create. */
void
pay_new_key(struct credential *cr)
{
	memset(cr, 0, sizeof(*cr));
	cr->cr_kind = CRED_KEY;
	arc4random_buf(cr->cr_secret, sizeof(cr->cr_secret));
	sha256(cr->cr_secret, sizeof(cr->cr_secret), cr->cr_account);
}

/*
 * Routstr Core's error body: {"detail": {"error": E}, "error": E,
 * "request_id": ...} with E = {"message", "type", "code"}.
 */
void
pay_error(struct http_conn *conn, int status, const char *type,
    const char *code, const char *message)
{
	json_t	*e, *j;
	char	 rid[PROXY_REQID_LEN];

	proxy_request_id(http_conn_request(conn), rid, sizeof(rid));
	if ((e = json_pack("{s:s, s:s, s:s}", "message", message, "type",
	    type, "code", code)) == NULL ||
	    (j = json_pack("{s:{s:O}, s:O, s:s}", "detail", "error", e,
	    "error", e, "request_id", rid)) == NULL)
		fatalx("json_pack");
	json_decref(e);
	proxy_reply_jt(conn, status, j);
}

/* What a failed redemption tells the client, as Routstr Core does. */
void
pay_redeem_error(struct http_conn *conn, int code, const char *detail)
{
	char	 msg[320];

	switch (code) {
	case LEDGER_SPENT:
	case E_SPENT:
		pay_error(conn, 400, "invalid_request_error",
		    "cashu_token_already_spent", "Token already spent.");
		break;
	case LEDGER_PENDING:
	case E_PENDING:
		pay_error(conn, 400, "invalid_request_error",
		    "cashu_token_already_spent", "Token is pending.");
		break;
	case E_MINT_UNREACHABLE:
		(void)snprintf(msg, sizeof(msg), "the token's mint could not "
		    "be reached; the token was not spent, try again later: %s",
		    detail != NULL ? detail : "");
		pay_error(conn, 503, "service_unavailable",
		    "cashu_mint_unreachable", msg);
		break;
	case E_SWAP_FEES:
		pay_error(conn, 422, "invalid_request_error",
		    "cashu_token_swap_fees_exceed_amount",
		    "the fees of the token's mint exceed its amount");
		break;
	case E_SWAP_FAILED:
		(void)snprintf(msg, sizeof(msg), "the swap at the token's "
		    "mint failed: %s", detail != NULL ? detail : "");
		pay_error(conn, 422, "invalid_request_error",
		    "cashu_foreign_mint_swap_failed", msg);
		break;
	case E_UNBALANCED:
		pay_error(conn, 400, "invalid_request_error",
		    "cashu_token_zero_value", detail);
		break;
	case E_KEYSET:
		(void)snprintf(msg, sizeof(msg), "tokens of this mint are not "
		    "accepted here: %s", detail);
		pay_error(conn, 400, "invalid_request_error",
		    "invalid_cashu_token", msg);
		break;
	case LEDGER_CLOSED:
		pay_error(conn, 400, "invalid_request_error",
		    "invalid_api_key", "this balance was refunded and closed");
		break;
	case LEDGER_NOTFOUND:
		pay_error(conn, 401, "invalid_request_error", "invalid_api_key",
		    "Invalid API key");
		break;
	default:
		if (code >= 10000) {
			(void)snprintf(msg, sizeof(msg), "the token was "
			    "refused: %s", detail);
			pay_error(conn, 400, "invalid_request_error",
			    "invalid_cashu_token", msg);
		} else
			pay_error(conn, 503, "internal_error",
			    "cashu_token_redemption_failed",
			    "the token could not be redeemed; try again");
		break;
	}
}

static struct pay_call *
call_new(struct http_conn *conn, const struct credential *cr, void *arg)
{
	struct pay_call	*pc;

	if ((pc = calloc(1, sizeof(*pc))) == NULL)
		fatal(NULL);
	pc->pc_conn = conn;
	if (cr != NULL)
		pc->pc_cred = *cr;
	pc->pc_arg = arg;
	if (conn != NULL)
		http_conn_set_closecb(conn, call_closed, pc);
	return (pc);
}

static void
call_free(struct pay_call *pc)
{
	if (pc->pc_conn != NULL)
		http_conn_set_closecb(pc->pc_conn, NULL, NULL);
	if (pc->pc_token != NULL)
		freezero(pc->pc_token, strlen(pc->pc_token) + 1);
	explicit_bzero(&pc->pc_cred, sizeof(pc->pc_cred));
	free(pc);
}

/*
 * The client left: its answer goes nowhere.  What was asked goes on
 * (a redemption credits the account it was for), only the reply is
 * dropped.
 */
static void
call_closed(struct http_conn *conn, void *arg)
{
	struct pay_call	*pc = arg;

	pc->pc_conn = NULL;
}

static int
call_send(struct pay_call *pc, struct peer *p, uint32_t type,
    const void *data, size_t len, void (*cb)(struct imsg *, void *))
{
	if (p == NULL || (pc->pc_reqid = proc_request(p, type, data, len,
	    IPC_TIMEOUT_MS, cb, pc)) == 0)
		return (-1);
	return (0);
}

/*
 * The account behind a credential, for a request that spends from it.
 * A token never seen is redeemed into its account first.  cb gets the
 * account, or NULL after an error reply was sent.
 */
void
pay_account(struct http_conn *conn, const struct credential *cr,
    pay_account_cb cb, void *arg)
{
	struct pay_call	*pc;
	struct ipc_key	 k;

	pc = call_new(conn, cr, arg);
	pc->pc_account_cb = cb;
	memset(&k, 0, sizeof(k));
	memcpy(k.k_key, cr->cr_account, sizeof(k.k_key));
	if (call_send(pc, peer_of(PROC_LEDGER), IMSG_LEDGER_ACCOUNT_GET, &k,
	    sizeof(k), account_got) == -1) {
		call_free(pc);
		pay_error(conn, 503, "internal_error", "internal_error",
		    "the ledger is not available");
		cb(conn, arg, NULL);
	}
}

static void
account_got(struct imsg *imsg, void *arg)
{
	struct pay_call		*pc = arg;
	struct http_conn	*conn = pc->pc_conn;
	struct ipc_account	 a;
	struct ipc_ledger_reply	 lr;
	pay_account_cb		 cb = pc->pc_account_cb;
	void			*cbarg = pc->pc_arg;
	int			 error = LEDGER_DBERR;

	if (imsg != NULL && imsg_get_type(imsg) == IMSG_LEDGER_ACCOUNT &&
	    imsg_get_data(imsg, &a, sizeof(a)) == 0) {
		call_free(pc);
		if (conn == NULL)
			cb(NULL, cbarg, NULL);
		else if (a.a_flags & LEDGER_ACCOUNT_CLOSED) {
			pay_redeem_error(conn, LEDGER_CLOSED, NULL);
			cb(conn, cbarg, NULL);
		} else
			cb(conn, cbarg, &a);
		return;
	}
	if (imsg != NULL && imsg_get_type(imsg) == IMSG_LEDGER_REPLY &&
	    imsg_get_data(imsg, &lr, sizeof(lr)) == 0)
		error = lr.lr_error;
	if (conn == NULL) {
		call_free(pc);
		cb(NULL, cbarg, NULL);
		return;
	}
	/* A token never seen: redeem it, then look again. */
	if (error == LEDGER_NOTFOUND && pc->pc_cred.cr_kind == CRED_TOKEN &&
	    pc->pc_cred.cr_token != NULL) {
		pay_redeem(conn, &pc->pc_cred, pc->pc_cred.cr_token,
		    REDEEM_ANY, NULL, 0, 0, account_redeemed, pc);
		return;
	}
	call_free(pc);
	if (error == LEDGER_NOTFOUND)
		pay_redeem_error(conn, LEDGER_NOTFOUND, NULL);
	else
		pay_error(conn, 503, "internal_error", "internal_error",
		    "the ledger is not available");
	cb(conn, cbarg, NULL);
}

/* Redeemed (or redeemed by a request that raced us): look again. */
static void
account_redeemed(struct http_conn *conn, void *arg, int code,
    const struct ipc_ledger_reply *lr, const char *detail)
{
	struct pay_call	*pc = arg;
	struct credential cr = pc->pc_cred;
	pay_account_cb	 cb = pc->pc_account_cb;
	void		*cbarg = pc->pc_arg;

	/* The redemption watched the connection: NULL if it went away. */
	pc->pc_conn = conn;
	call_free(pc);
	if (conn == NULL) {
		explicit_bzero(&cr, sizeof(cr));
		cb(NULL, cbarg, NULL);
		return;
	}
	if (code == LEDGER_OK || code == LEDGER_EXISTS) {
		cr.cr_token = NULL;	/* no second redemption */
		pay_account(conn, &cr, cb, cbarg);
		explicit_bzero(&cr, sizeof(cr));
		return;
	}
	explicit_bzero(&cr, sizeof(cr));
	pay_redeem_error(conn, code, detail);
	cb(conn, cbarg, NULL);
}

/*
 * Pay the token into the credential's account (mode REDEEM_*; limit and
 * expiry for a new one; record: the X-Cashu refund record to open, or
 * NULL).  cb gets 0 and the ledger's reply, or the
 * ledger's error (LEDGER_*) or a NUT code (>= 10000) with its detail.
 * The token's text is copied.
 */
void
pay_redeem(struct http_conn *conn, const struct credential *cr,
    const char *token, int mode, const uint8_t *record, uint64_t limit,
    int64_t expiry, pay_redeem_cb cb, void *arg)
{
	struct pay_call		*pc;
	struct ipc_mint_redeem	 mr;
	struct ipc_proof_in	*in = NULL;
	unsigned char		*buf;
	const char		*why = NULL;
	size_t			 len;

	memset(&mr, 0, sizeof(mr));
	memcpy(mr.mr_key, cr->cr_account, sizeof(mr.mr_key));
	arc4random_buf(mr.mr_reqid, sizeof(mr.mr_reqid));
	mr.mr_limit = limit;
	mr.mr_expiry = expiry;
	mr.mr_mode = mode;
	if (record != NULL) {
		memcpy(mr.mr_record, record, sizeof(mr.mr_record));
		mr.mr_has_record = 1;
	}
	if (token_proofs(token, &mr, &in, &why) == -1) {
		cb(conn, arg, E_REQUEST, NULL, why);
		return;
	}
	len = sizeof(mr) + mr.mr_nproofs * sizeof(*in);
	if ((buf = malloc(len)) == NULL)
		fatal(NULL);
	memcpy(buf, &mr, sizeof(mr));
	memcpy(buf + sizeof(mr), in, mr.mr_nproofs * sizeof(*in));
	freezero(in, mr.mr_nproofs * sizeof(*in));

	pc = call_new(conn, cr, arg);
	pc->pc_redeem_cb = cb;
	/* A trusted mint's token goes to that mint: a few round trips. */
	if (peer_of(PROC_MINT) == NULL ||
	    (pc->pc_reqid = proc_request(peer_of(PROC_MINT), IMSG_MINT_REDEEM,
	    buf, len, PAY_REDEEM_TIMEOUT_MS, redeem_done, pc)) == 0) {
		call_free(pc);
		cb(conn, arg, LEDGER_DBERR, NULL, "the mint is not available");
	}
	freezero(buf, len);
}

static void
redeem_done(struct imsg *imsg, void *arg)
{
	struct pay_call		*pc = arg;
	struct http_conn	*conn = pc->pc_conn;
	struct ipc_ledger_reply	 lr;
	struct ipc_mint_error	 me;
	pay_redeem_cb		 cb = pc->pc_redeem_cb;
	void			*cbarg = pc->pc_arg;

	call_free(pc);
	if (imsg != NULL && imsg_get_type(imsg) == IMSG_MINT_REDEEMED &&
	    imsg_get_data(imsg, &lr, sizeof(lr)) == 0)
		cb(conn, cbarg, lr.lr_error, &lr, NULL);
	else if (imsg != NULL && imsg_get_type(imsg) == IMSG_MINT_END &&
	    imsg_get_data(imsg, &me, sizeof(me)) == 0 &&
	    ipc_str_ok(me.me_detail, sizeof(me.me_detail)))
		cb(conn, cbarg, me.me_code >= 10000 ? me.me_code :
		    E_REQUEST, NULL, me.me_detail);
	else
		cb(conn, cbarg, LEDGER_DBERR, NULL, "the mint did not answer");
}

/*
 * The credential's account paid out as a token of our mint, kept as the
 * refund record `record' (usually the account's key).  cb gets the
 * ledger's error (LEDGER_OK with the token, or with NULL when the
 * balance held less than a sat), and lr_amount, what was taken.  The
 * token names the mint by url, or else by the URL conn's request used;
 * conn may be NULL (a client that left: the token waits in the record).
 */
void
pay_cashout(struct http_conn *conn, const char *url,
    const struct credential *cr, const uint8_t *record, uint64_t paid,
    pay_token_cb cb, void *arg)
{
	struct pay_call		*pc;
	struct ipc_mint_cashout	 mc;

	memset(&mc, 0, sizeof(mc));
	memcpy(mc.mc_key, cr->cr_account, sizeof(mc.mc_key));
	arc4random_buf(mc.mc_reqid, sizeof(mc.mc_reqid));
	memcpy(mc.mc_record, record, sizeof(mc.mc_record));
	mc.mc_paid = paid;
	if (url != NULL)
		(void)strlcpy(mc.mc_url, url, sizeof(mc.mc_url));
	else
		proxy_mint_url(http_conn_request(conn), mc.mc_url,
		    sizeof(mc.mc_url));

	/*
	 * No mint of our own: balances paid in another mint's ecash are
	 * not paid out in it (not built), and nothing is taken.
	 */
	if (!proxy_env->pe_mint.mi_local) {
		cb(conn, arg, E_DISABLED, NULL, NULL);
		return;
	}
	pc = call_new(conn, cr, arg);
	pc->pc_token_cb = cb;
	if (call_send(pc, peer_of(PROC_MINT), IMSG_MINT_CASHOUT, &mc,
	    sizeof(mc), cashout_done) == -1) {
		call_free(pc);
		cb(conn, arg, LEDGER_DBERR, NULL, NULL);
	}
}

static void
cashout_done(struct imsg *imsg, void *arg)
{
	struct pay_call		*pc = arg;
	struct http_conn	*conn = pc->pc_conn;
	struct ipc_ledger_reply	 lr;
	pay_token_cb		 cb = pc->pc_token_cb;
	void			*cbarg = pc->pc_arg;
	struct ibuf		 ib;
	const char		*token = NULL;
	size_t			 len;

	call_free(pc);
	if (imsg == NULL || imsg_get_type(imsg) != IMSG_MINT_TOKEN ||
	    imsg_get_buf(imsg, &lr, sizeof(lr)) == -1) {
		cb(conn, cbarg, LEDGER_DBERR, NULL, NULL);
		return;
	}
	if (imsg_get_ibuf(imsg, &ib) == 0 && (len = ibuf_size(&ib)) > 0) {
		token = ibuf_data(&ib);
		if (token[len - 1] != '\0' || strlen(token) != len - 1 ||
		    strncmp(token, "cashu", 5) != 0) {
			cb(conn, cbarg, LEDGER_DBERR, NULL, NULL);
			return;
		}
	}
	cb(conn, cbarg, lr.lr_error, &lr, token);
}

/*
 * A token as sent, decoded into what the mint checks.  The mint knows
 * its keysets by id, whatever URL the token names (users reach the node
 * by many names); the URL and unit go along for the account.
 */
static int
token_proofs(const char *text, struct ipc_mint_redeem *mr,
    struct ipc_proof_in **inp, const char **why)
{
	static char		 err[128];
	struct cashu_token	*tok;
	struct cashu_group	*g;
	struct cashu_proof	*p;
	struct ipc_proof_in	*in;
	size_t			 i, j, n = 0, slen;

	*inp = NULL;
	if (token_decode(text, strlen(text), &tok, err, sizeof(err)) == -1) {
		*why = err;
		return (-1);
	}
	if (tok->nproofs == 0 || tok->nproofs > IPC_INPUTS_MAX) {
		token_free(tok);
		*why = "too many proofs in the token";
		return (-1);
	}
	if (tok->unit != NULL &&
	    strlcpy(mr->mr_unit, tok->unit, sizeof(mr->mr_unit)) >=
	    sizeof(mr->mr_unit)) {
		token_free(tok);
		*why = "unit is not supported";
		return (-1);
	}
	(void)strlcpy(mr->mr_mint, tok->mint, sizeof(mr->mr_mint));
	if ((in = calloc(tok->nproofs, sizeof(*in))) == NULL)
		fatal(NULL);
	for (i = 0; i < tok->ngroups; i++) {
		g = &tok->groups[i];
		for (j = 0; j < g->nproofs; j++) {
			p = &g->proofs[j];
			if ((slen = strlen(p->secret)) == 0 ||
			    slen > IPC_SECRET_MAX ||
			    p->idlen > IPC_KEYSET_MAX) {
				freezero(in, tok->nproofs * sizeof(*in));
				token_free(tok);
				*why = "a proof of the token is not valid";
				return (-1);
			}
			in[n].pi_amount = p->amount;
			memcpy(in[n].pi_id, p->id, p->idlen);
			in[n].pi_idlen = p->idlen;
			memcpy(in[n].pi_c, p->C, sizeof(in[n].pi_c));
			memcpy(in[n].pi_secret, p->secret, slen);
			in[n].pi_secretlen = slen;
			in[n].pi_has_witness = p->witness != NULL;
			n++;
		}
	}
	mr->mr_nproofs = n;
	token_free(tok);
	*inp = in;
	return (0);
}

/*
 * Reservations, for the requests that spend from a balance.  Their
 * callbacks always come (with LEDGER_DBERR when the ledger did not
 * answer in time), whether or not the client is still there: money
 * moved for a request is settled or released by whoever started it.
 */
struct pay_ledger {
	pay_ledger_cb	 pl_cb;
	void		*pl_arg;
};

static void
ledger_done(struct imsg *imsg, void *arg)
{
	struct pay_ledger	*pl = arg;
	struct ipc_ledger_reply	 lr;

	(void)ipc_ledger_reply_get(imsg, &lr);
	if (pl->pl_cb != NULL)
		pl->pl_cb(pl->pl_arg, lr.lr_error, &lr);
	free(pl);
}

static int
ledger_send(uint32_t type, const void *data, size_t len, pay_ledger_cb cb,
    void *arg)
{
	struct pay_ledger	*pl;
	struct peer		*p;

	if ((pl = calloc(1, sizeof(*pl))) == NULL)
		fatal(NULL);
	pl->pl_cb = cb;
	pl->pl_arg = arg;
	if ((p = peer_of(PROC_LEDGER)) == NULL ||
	    proc_request(p, type, data, len, IPC_TIMEOUT_MS, ledger_done,
	    pl) == 0) {
		free(pl);
		return (-1);
	}
	return (0);
}

/*
 * Hold msat of the account's spendable balance for `seconds' at most
 * (then the ledger releases it by itself).  The reservation's id in
 * lr_id; LEDGER_INSUFFICIENT with the account's lr_balance and
 * lr_reserved (0 if it could not be read).
 * -1: the ledger is not there (no callback).
 */
int
pay_reserve(const uint8_t *account, const uint8_t *reqid, uint64_t msat,
    uint32_t seconds, pay_ledger_cb cb, void *arg)
{
	struct ipc_reserve	 rs;

	memset(&rs, 0, sizeof(rs));
	memcpy(rs.r_key, account, sizeof(rs.r_key));
	memcpy(rs.r_reqid, reqid, sizeof(rs.r_reqid));
	rs.r_amount = msat;
	rs.r_deadline = time(NULL) + seconds;
	return (ledger_send(IMSG_LEDGER_RESERVE, &rs, sizeof(rs), cb, arg));
}

/* Charge actual (lr_amount: what was charged) and release the rest. */
int
pay_settle(uint64_t id, const uint8_t *reqid, uint64_t actual,
    pay_ledger_cb cb, void *arg)
{
	struct ipc_settle	 st;

	memset(&st, 0, sizeof(st));
	st.s_id = id;
	st.s_actual = actual;
	memcpy(st.s_reqid, reqid, sizeof(st.s_reqid));
	return (ledger_send(IMSG_LEDGER_SETTLE, &st, sizeof(st), cb, arg));
}

int
pay_release(uint64_t id, pay_ledger_cb cb, void *arg)
{
	struct ipc_settle	 st;

	memset(&st, 0, sizeof(st));
	st.s_id = id;
	return (ledger_send(IMSG_LEDGER_RELEASE, &st, sizeof(st), cb, arg));
}
