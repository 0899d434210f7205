/*
 * NUT-04 (mint quotes and minting), NUT-05 (melt quotes and melting)
 * with NUT-08 change, NUT-20 locked quotes.  Every change of a quote's
 * state is a compare-and-set in the ledger, in the same transaction as
 * the outputs it issues or the inputs it spends, so that a quote is
 * issued once and a melt's inputs are pending while it pays.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/time.h>

#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include <openssl/evp.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>

#include "bdhke.h"
#include "bolt11.h"
#include "curlev.h"
#include "hex.h"
#include "imsg.h"
#include "ipc.h"
#include "ledger.h"
#include "lightning.h"
#include "ln_lnd.h"
#include "log.h"
#include "mintd.h"
#include "money.h"
#include "proc.h"

#define QUOTE_EXPIRY		3600	/* seconds a mint quote is offered */
#define MINT_MAX_SAT		10000000ULL	/* per quote */
#define BLANKS_MAX		64	/* NUT-08 blank outputs we sign */
/*
 * A melt whose payment takes longer is answered PENDING, before the
 * proxy gives up on us (IPC_TIMEOUT_MS); the wallet asks again.
 */
#define MELT_ANSWER_MS		7000

/* One request of a proxy in progress, whatever it waits for. */
struct op {
	int			 o_instance;	/* the proxy */
	uint32_t		 o_id;		/* its request id */
	struct ipc_quote	 o_q;
	/* mint */
	struct ipc_mint_req	 o_mr;
	struct ipc_output	*o_out;
	struct ipc_signature	*o_sig;
	/* melt */
	struct ipc_input	*o_ys;		/* inputs, with values */
	uint32_t		 o_nys;
	uint64_t		 o_provided;	/* inputs minus their fees */
	struct ipc_output	*o_blank;
	uint32_t		 o_nblank;
	int			 o_settling;	/* the payment's outcome is in */
	struct event		 o_wait;	/* MELT_ANSWER_MS */
	int			 o_waiting;
	int			 o_listed;	/* in melts */
	uint64_t		 o_pay_id;	/* the backend's requests */
	uint64_t		 o_status_id;
	TAILQ_ENTRY(op)		 o_entry;	/* melts in flight */
};
TAILQ_HEAD(, op)		 melts = TAILQ_HEAD_INITIALIZER(melts);

static struct ln_backend	*ln;

static struct op	*op_new(struct peer *, struct imsg *);
static void		 op_free(struct op *);
static void		 op_end(struct op *, int, const char *);
static void		 op_reply_quote(struct op *, const struct ipc_signature *,
			    uint32_t);
static int		 ledger_call(uint32_t, const void *, size_t,
			    void (*)(struct imsg *, void *), struct op *);
static int		 lr_error(struct imsg *);
static void		 quote_created(const struct ln_invoice *, void *);
static void		 quote_stored(struct imsg *, void *);
static void		 quote_got(struct imsg *, void *);
static void		 quote_status(const struct ln_invoice_status *, void *);
static void		 quote_paid(struct imsg *, void *);
static void		 quote_reread(struct op *);
static void		 mint_got(struct imsg *, void *);
static void		 mint_status(const struct ln_invoice_status *, void *);
static void		 mint_paid(struct imsg *, void *);
static void		 mint_issue(struct op *);
static void		 mint_issued(struct imsg *, void *);
static void		 melt_got(struct imsg *, void *);
static void		 melt_pending(struct imsg *, void *);
static void		 melt_paid(const struct ln_payment *, void *);
static void		 melt_settle(struct op *, const struct ln_payment *);
static void		 melt_answer(int, short, void *);
static void		 melt_status(const struct ln_payment *, void *);
static void		 melt_recover(const struct ipc_quote *);
static void		 melt_recovered(struct imsg *, void *);
static void		 melt_reply_pending(struct op *);
static void		 melt_finished(struct imsg *, void *);
static void		 melt_aborted(struct imsg *, void *);
static int		 nut20_verify(const struct op *);

/* Before the sandbox: the backend may load what it needs. */
void
mint_lightning_init(const struct ipc_conf_mint *cm, int macaroon_fd,
    int cert_fd)
{
	struct ln_fake_conf	 fc;
	unsigned char		*mac = NULL, *cert = NULL;
	size_t			 maclen = 0, certlen = 0;

	switch (cm->cm_lightning) {
	case LIGHTNING_FAKE:
		ln_fake_conf_init(&fc);
		fc.paid_delay = cm->cm_fake_delay;
		if ((ln = ln_fake_new(&fc)) == NULL)
			fatalx("cannot start the fake Lightning backend");
		break;
	case LIGHTNING_LND:
		if (macaroon_fd == -1)
			fatalx("lnd: no macaroon");
		if (fd_read_all(macaroon_fd, LND_MACAROON_MAX, &mac,
		    &maclen) == -1 || maclen == 0)
			fatal("lnd: the macaroon");
		if (cert_fd != -1 && fd_read_all(cert_fd, LND_CERT_MAX, &cert,
		    &certlen) == -1)
			fatal("lnd: the certificate");
		/* The system's CAs too, for an LND behind a public name. */
		if (curlev_init(NULL) == -1)
			fatalx("lnd: cannot set up libcurl");
		if ((ln = ln_lnd_new(cm->cm_lnd_url, mac, maclen, cert,
		    certlen)) == NULL)
			fatalx("lnd: cannot use %s", cm->cm_lnd_url);
		freezero(mac, maclen + 1);
		free(cert);
		break;
	default:
		fatalx("unknown Lightning backend %d", cm->cm_lightning);
	}
	if (macaroon_fd != -1)
		close(macaroon_fd);
	if (cert_fd != -1)
		close(cert_fd);
}

static struct op *
op_new(struct peer *p, struct imsg *imsg)
{
	struct op	*o;

	if ((o = calloc(1, sizeof(*o))) == NULL)
		fatal(NULL);
	o->o_instance = p->p_instance;
	o->o_id = imsg_get_id(imsg);
	return (o);
}

static void
op_free(struct op *o)
{
	if (o->o_waiting)
		evtimer_del(&o->o_wait);
	if (o->o_listed)
		TAILQ_REMOVE(&melts, o, o_entry);
	/* No answer of the backend may come for it any more. */
	if (o->o_pay_id != 0)
		ln_cancel(ln, o->o_pay_id);
	if (o->o_status_id != 0)
		ln_cancel(ln, o->o_status_id);
	free(o->o_out);
	free(o->o_sig);
	free(o->o_ys);
	free(o->o_blank);
	free(o);
}

static void
op_end(struct op *o, int code, const char *detail)
{
	struct peer	*p;

	if (o->o_id != 0 && (p = peer_find(PROC_PROXY, o->o_instance)) != NULL)
		mint_end(p, o->o_id, code, detail);
	op_free(o);
}

/* The quote, with the change of a melt; the op is done. */
static void
op_reply_quote(struct op *o, const struct ipc_signature *change, uint32_t n)
{
	struct peer	*p;
	unsigned char	*buf;
	size_t		 len = sizeof(o->o_q) + sizeof(n) + n * sizeof(*change);

	if ((p = peer_find(PROC_PROXY, o->o_instance)) != NULL) {
		if ((buf = malloc(len)) == NULL)
			fatal(NULL);
		memcpy(buf, &o->o_q, sizeof(o->o_q));
		memcpy(buf + sizeof(o->o_q), &n, sizeof(n));
		if (n > 0)
			memcpy(buf + sizeof(o->o_q) + sizeof(n), change,
			    n * sizeof(*change));
		peer_compose(p, IMSG_MINT_QUOTE, o->o_id, -1, buf, len);
		free(buf);
	}
	op_free(o);
}

static int
ledger_call(uint32_t type, const void *data, size_t len,
    void (*cb)(struct imsg *, void *), struct op *o)
{
	if (proc_request(mint_ledger(), type, data, len, IPC_TIMEOUT_MS, cb,
	    o) == 0) {
		op_end(o, E_PROOF, "the ledger is not available");
		return (-1);
	}
	return (0);
}

/* The error of a plain ledger reply; -1 when there was no answer. */
static int
lr_error(struct imsg *imsg)
{
	struct ipc_ledger_reply	 lr;

	if (imsg == NULL)
		return (-1);
	if (imsg_get_type(imsg) != IMSG_LEDGER_REPLY ||
	    imsg_get_data(imsg, &lr, sizeof(lr)) == -1)
		fatalx("bad answer from the ledger: %s",
		    imsg_type_name(imsg_get_type(imsg)));
	return (lr.lr_error);
}

/* A quote or its error from QUOTE_GET; 0 with the quote in o_q. */
static int
quote_from(struct op *o, struct imsg *imsg)
{
	int	 e;

	if (imsg != NULL && imsg_get_type(imsg) == IMSG_LEDGER_QUOTE) {
		if (imsg_get_data(imsg, &o->o_q, sizeof(o->o_q)) == -1 ||
		    !ipc_str_ok(o->o_q.q_id, sizeof(o->o_q.q_id)) ||
		    !ipc_str_ok(o->o_q.q_request, sizeof(o->o_q.q_request)) ||
		    !ipc_str_ok(o->o_q.q_unit, sizeof(o->o_q.q_unit)) ||
		    !ipc_str_ok(o->o_q.q_pubkey, sizeof(o->o_q.q_pubkey)))
			fatalx("bad quote from the ledger");
		return (0);
	}
	if ((e = lr_error(imsg)) == LEDGER_NOTFOUND)
		op_end(o, E_REQUEST, "quote not found");
	else
		op_end(o, E_PROOF, "the ledger failed");
	return (-1);
}

static void
new_quote_id(char *id, size_t len)
{
	uint8_t	 r[16];

	arc4random_buf(r, sizeof(r));
	/* 128 random bits: whoever knows a paid quote can mint it. */
	hex_encode(id, r, sizeof(r));
	(void)len;
}

/*
 * NUT-04: POST /v1/mint/quote/bolt11
 */
int
mint_quote_request(struct peer *p, struct imsg *imsg)
{
	struct ipc_mint_quote_req mq;
	struct op		*o;

	if (imsg_get_data(imsg, &mq, sizeof(mq)) == -1 ||
	    !ipc_str_ok(mq.mq_unit, sizeof(mq.mq_unit)) ||
	    !ipc_str_ok(mq.mq_description, sizeof(mq.mq_description)) ||
	    (mq.mq_has_pubkey != 0 && mq.mq_has_pubkey != 1))
		return (-1);
	o = op_new(p, imsg);
	if (strcmp(mq.mq_unit, MINT_UNIT) != 0) {
		op_end(o, E_UNIT, "unit is not supported");
		return (0);
	}
	if (mq.mq_amount == 0 || mq.mq_amount > MINT_MAX_SAT) {
		op_end(o, E_LIMIT, "amount outside the limits");
		return (0);
	}
	if (mq.mq_has_pubkey &&
	    bdhke_point_check(mintd->m_bd, mq.mq_pubkey) == -1) {
		op_end(o, 20009, "invalid pubkey");
		return (0);
	}
	new_quote_id(o->o_q.q_id, sizeof(o->o_q.q_id));
	o->o_q.q_amount = mq.mq_amount;
	strlcpy(o->o_q.q_unit, MINT_UNIT, sizeof(o->o_q.q_unit));
	o->o_q.q_state = LEDGER_QUOTE_UNPAID;
	o->o_q.q_created = time(NULL);
	if (mq.mq_has_pubkey)
		hex_encode(o->o_q.q_pubkey, mq.mq_pubkey, IPC_Y_LEN);
	if (ln_create_invoice(ln, mq.mq_amount * MSAT_PER_SAT,
	    mq.mq_description, QUOTE_EXPIRY, quote_created, o) == 0)
		op_end(o, E_DISABLED, "the Lightning backend refused");
	return (0);
}

static void
quote_created(const struct ln_invoice *inv, void *arg)
{
	struct op	*o = arg;

	if (!inv->ok) {
		log_warnx("mint quote: the Lightning backend: %s", inv->error);
		op_end(o, E_DISABLED, "the Lightning backend failed");
		return;
	}
	if (strlcpy(o->o_q.q_request, inv->bolt11, sizeof(o->o_q.q_request)) >=
	    sizeof(o->o_q.q_request)) {
		op_end(o, E_DISABLED, "invoice too long");
		return;
	}
	memcpy(o->o_q.q_payment_hash, inv->payment_hash, 32);
	o->o_q.q_expiry = inv->expires_at;
	/* Stored before it is shown: a paid invoice is never forgotten. */
	ledger_call(IMSG_LEDGER_QUOTE_ADD, &o->o_q, sizeof(o->o_q),
	    quote_stored, o);
}

static void
quote_stored(struct imsg *imsg, void *arg)
{
	struct op	*o = arg;

	if (lr_error(imsg) != LEDGER_OK) {
		op_end(o, E_PROOF, "the ledger did not store the quote");
		return;
	}
	op_reply_quote(o, NULL, 0);
}

/*
 * GET /v1/mint/quote/bolt11/{id}, /v1/melt/quote/bolt11/{id}: the quote,
 * its state brought up to date with the Lightning backend.
 */
int
mint_quote_get_request(struct peer *p, struct imsg *imsg)
{
	struct ipc_quote_ref	 qr;
	struct op		*o;

	if (imsg_get_data(imsg, &qr, sizeof(qr)) == -1 ||
	    !ipc_str_ok(qr.qr_id, sizeof(qr.qr_id)) ||
	    (qr.qr_melt != 0 && qr.qr_melt != 1))
		return (-1);
	o = op_new(p, imsg);
	ledger_call(IMSG_LEDGER_QUOTE_GET, &qr, sizeof(qr), quote_got, o);
	return (0);
}

static void
quote_got(struct imsg *imsg, void *arg)
{
	struct op	*o = arg;
	struct op	*m;

	if (quote_from(o, imsg) == -1)
		return;
	if (!o->o_q.q_melt && o->o_q.q_state == LEDGER_QUOTE_UNPAID) {
		if (ln_invoice_status(ln, o->o_q.q_payment_hash, quote_status,
		    o) == 0)
			op_reply_quote(o, NULL, 0);
		return;
	}
	if (o->o_q.q_melt && o->o_q.q_state == LEDGER_QUOTE_PENDING) {
		/* A melt in flight here: its payment may have settled. */
		TAILQ_FOREACH(m, &melts, o_entry)
			if (strcmp(m->o_q.q_id, o->o_q.q_id) == 0)
				break;
		if (m == NULL)
			melt_recover(&o->o_q);	/* from before a restart */
		else if (!m->o_settling && m->o_status_id == 0)
			m->o_status_id = ln_payment_status(ln,
			    m->o_q.q_payment_hash, melt_status, m);
	}
	op_reply_quote(o, NULL, 0);
}

static void
quote_status(const struct ln_invoice_status *st, void *arg)
{
	struct op		*o = arg;
	struct ipc_quote_ref	 qr;

	if (st->state != LN_INVOICE_PAID) {
		op_reply_quote(o, NULL, 0);
		return;
	}
	memset(&qr, 0, sizeof(qr));
	memcpy(qr.qr_id, o->o_q.q_id, sizeof(qr.qr_id));
	qr.qr_from = LEDGER_QUOTE_UNPAID;
	qr.qr_to = LEDGER_QUOTE_PAID;
	ledger_call(IMSG_LEDGER_QUOTE_CAS, &qr, sizeof(qr), quote_paid, o);
}

/* UNPAID -> PAID, by us or by a request that raced us: read it again. */
static void
quote_paid(struct imsg *imsg, void *arg)
{
	struct op	*o = arg;
	int		 e = lr_error(imsg);

	if (e != LEDGER_OK && e != LEDGER_STATE) {
		op_end(o, E_PROOF, "the ledger failed");
		return;
	}
	quote_reread(o);
}

static void
quote_reread(struct op *o)
{
	struct ipc_quote_ref	 qr;

	memset(&qr, 0, sizeof(qr));
	memcpy(qr.qr_id, o->o_q.q_id, sizeof(qr.qr_id));
	qr.qr_melt = o->o_q.q_melt;
	ledger_call(IMSG_LEDGER_QUOTE_GET, &qr, sizeof(qr), quote_got, o);
}

/*
 * NUT-04: POST /v1/mint/bolt11
 */
int
mint_mint_request(struct peer *p, struct imsg *imsg)
{
	struct ipc_quote_ref	 qr;
	struct op		*o;
	size_t			 len = imsg_get_len(imsg);

	o = op_new(p, imsg);
	if (imsg_get_buf(imsg, &o->o_mr, sizeof(o->o_mr)) == -1 ||
	    !ipc_str_ok(o->o_mr.mr_quote, sizeof(o->o_mr.mr_quote)) ||
	    (o->o_mr.mr_has_signature != 0 && o->o_mr.mr_has_signature != 1) ||
	    o->o_mr.mr_noutputs == 0 ||
	    o->o_mr.mr_noutputs > IPC_OUTPUTS_MAX ||
	    len != sizeof(o->o_mr) + o->o_mr.mr_noutputs *
	    sizeof(struct ipc_output)) {
		op_free(o);
		return (-1);
	}
	if ((o->o_out = calloc(o->o_mr.mr_noutputs, sizeof(*o->o_out))) ==
	    NULL || (o->o_sig = calloc(o->o_mr.mr_noutputs,
	    sizeof(*o->o_sig))) == NULL)
		fatal(NULL);
	if (imsg_get_buf(imsg, o->o_out, o->o_mr.mr_noutputs *
	    sizeof(*o->o_out)) == -1) {
		op_free(o);
		return (-1);
	}
	memset(&qr, 0, sizeof(qr));
	memcpy(qr.qr_id, o->o_mr.mr_quote, sizeof(qr.qr_id));
	ledger_call(IMSG_LEDGER_QUOTE_GET, &qr, sizeof(qr), mint_got, o);
	return (0);
}

static void
mint_got(struct imsg *imsg, void *arg)
{
	struct op	*o = arg;

	if (quote_from(o, imsg) == -1)
		return;
	switch (o->o_q.q_state) {
	case LEDGER_QUOTE_ISSUED:
		op_end(o, E_ISSUED, "quote already issued");
		return;
	case LEDGER_QUOTE_UNPAID:
		/* Maybe paid since the wallet last asked. */
		if (ln_invoice_status(ln, o->o_q.q_payment_hash, mint_status,
		    o) == 0)
			op_end(o, E_UNPAID, "quote not paid");
		return;
	case LEDGER_QUOTE_PAID:
		mint_issue(o);
		return;
	default:
		op_end(o, E_PROOF, "quote in an unknown state");
	}
}

static void
mint_status(const struct ln_invoice_status *st, void *arg)
{
	struct op		*o = arg;
	struct ipc_quote_ref	 qr;

	if (st->state != LN_INVOICE_PAID) {
		op_end(o, st->state == LN_INVOICE_EXPIRED ? E_EXPIRED :
		    E_UNPAID, st->state == LN_INVOICE_EXPIRED ?
		    "quote expired" : "quote not paid");
		return;
	}
	memset(&qr, 0, sizeof(qr));
	memcpy(qr.qr_id, o->o_q.q_id, sizeof(qr.qr_id));
	qr.qr_from = LEDGER_QUOTE_UNPAID;
	qr.qr_to = LEDGER_QUOTE_PAID;
	ledger_call(IMSG_LEDGER_QUOTE_CAS, &qr, sizeof(qr), mint_paid, o);
}

static void
mint_paid(struct imsg *imsg, void *arg)
{
	struct op	*o = arg;
	int		 e = lr_error(imsg);

	if (e == LEDGER_OK || e == LEDGER_STATE) {
		/* Read it again: another request may have issued it. */
		struct ipc_quote_ref	 qr;

		memset(&qr, 0, sizeof(qr));
		memcpy(qr.qr_id, o->o_q.q_id, sizeof(qr.qr_id));
		ledger_call(IMSG_LEDGER_QUOTE_GET, &qr, sizeof(qr), mint_got,
		    o);
		return;
	}
	op_end(o, E_PROOF, "the ledger failed");
}

/* NUT-20: SHA256(quote || B_0 || ... ) signed by the quote's pubkey. */
static int
nut20_verify(const struct op *o)
{
	secp256k1_xonly_pubkey	 xpk;
	secp256k1_pubkey	 pk;
	EVP_MD_CTX		*md;
	uint8_t			 pub[33], msg[32];
	char			 b[2 * IPC_Y_LEN + 1];
	uint32_t		 i;
	int			 ok;

	if (hex_decode(pub, sizeof(pub), o->o_q.q_pubkey) == -1 ||
	    !secp256k1_ec_pubkey_parse(bdhke_secp(mintd->m_bd), &pk, pub,
	    sizeof(pub)) ||
	    !secp256k1_xonly_pubkey_from_pubkey(bdhke_secp(mintd->m_bd), &xpk,
	    NULL, &pk))
		return (-1);
	if ((md = EVP_MD_CTX_new()) == NULL)
		fatal(NULL);
	ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL) &&
	    EVP_DigestUpdate(md, o->o_q.q_id, strlen(o->o_q.q_id));
	for (i = 0; ok && i < o->o_mr.mr_noutputs; i++) {
		hex_encode(b, o->o_out[i].o_b, IPC_Y_LEN);
		ok = EVP_DigestUpdate(md, b, strlen(b));
	}
	ok = ok && EVP_DigestFinal_ex(md, msg, NULL);
	EVP_MD_CTX_free(md);
	if (!ok)
		return (-1);
	return (secp256k1_schnorrsig_verify(bdhke_secp(mintd->m_bd),
	    o->o_mr.mr_signature, msg, sizeof(msg), &xpk) ? 0 : -1);
}

static void
mint_issue(struct op *o)
{
	struct ipc_quote_commit	 qc;
	struct ipc_issued	*iss;
	struct mint_keyset	*mk = NULL;
	unsigned char		*buf;
	const char		*detail;
	uint64_t		 sum;
	uint32_t		 n = o->o_mr.mr_noutputs;
	size_t			 len;
	int			 code;

	if (o->o_q.q_pubkey[0] != '\0' &&
	    (!o->o_mr.mr_has_signature || nut20_verify(o) == -1)) {
		op_end(o, E_SIGNATURE, "signature for mint request invalid");
		return;
	}
	if (mint_check_outputs(o->o_out, n, &mk, &sum, &code, &detail) ==
	    -1) {
		op_end(o, code, detail);
		return;
	}
	if (strcmp(mk->mk_ks.ks_unit, o->o_q.q_unit) != 0) {
		op_end(o, E_MULTI_UNIT, "outputs not of the quote's unit");
		return;
	}
	if (sum != o->o_q.q_amount) {
		op_end(o, E_UNBALANCED, "outputs do not match the quote "
		    "amount");
		return;
	}
	if ((iss = calloc(n, sizeof(*iss))) == NULL)
		fatal(NULL);
	if (mint_sign_outputs(o->o_out, n, mk, o->o_sig, iss) == -1) {
		free(iss);
		op_end(o, E_PROOF, "could not sign the outputs");
		return;
	}
	memset(&qc, 0, sizeof(qc));
	memcpy(qc.qc_quote, o->o_q.q_id, sizeof(qc.qc_quote));
	qc.qc_nissued = n;
	len = sizeof(qc) + n * sizeof(*iss);
	if ((buf = malloc(len)) == NULL)
		fatal(NULL);
	memcpy(buf, &qc, sizeof(qc));
	memcpy(buf + sizeof(qc), iss, n * sizeof(*iss));
	free(iss);
	ledger_call(IMSG_LEDGER_MINT_ISSUE, buf, len, mint_issued, o);
	free(buf);
}

static void
mint_issued(struct imsg *imsg, void *arg)
{
	struct op	*o = arg;
	struct peer	*p;
	unsigned char	*buf;
	uint32_t	 n = o->o_mr.mr_noutputs;
	size_t		 len;

	switch (lr_error(imsg)) {
	case LEDGER_OK:
		break;
	case LEDGER_STATE:
		op_end(o, E_ISSUED, "quote already issued");
		return;
	case LEDGER_EXISTS:
		op_end(o, E_SIGNED, "outputs have already been signed before");
		return;
	default:
		op_end(o, E_PROOF, "the ledger failed");
		return;
	}
	if ((p = peer_find(PROC_PROXY, o->o_instance)) != NULL) {
		len = sizeof(n) + n * sizeof(*o->o_sig);
		if ((buf = malloc(len)) == NULL)
			fatal(NULL);
		memcpy(buf, &n, sizeof(n));
		memcpy(buf + sizeof(n), o->o_sig, n * sizeof(*o->o_sig));
		peer_compose(p, IMSG_MINT_SIGNATURES, o->o_id, -1, buf, len);
		free(buf);
	}
	op_free(o);
}

/*
 * NUT-05: POST /v1/melt/quote/bolt11
 */
int
mint_melt_quote_request(struct peer *p, struct imsg *imsg)
{
	struct ipc_melt_quote_req mq;
	struct bolt11		 b;
	struct op		*o;
	uint64_t		 msat;

	if (imsg_get_data(imsg, &mq, sizeof(mq)) == -1 ||
	    !ipc_str_ok(mq.mq_request, sizeof(mq.mq_request)) ||
	    !ipc_str_ok(mq.mq_unit, sizeof(mq.mq_unit)))
		return (-1);
	o = op_new(p, imsg);
	if (strcmp(mq.mq_unit, MINT_UNIT) != 0) {
		op_end(o, E_UNIT, "unit is not supported");
		return (0);
	}
	if (bolt11_decode(&b, mq.mq_request) == -1) {
		op_end(o, E_REQUEST, "invalid invoice");
		return (0);
	}
	if (b.has_amount) {
		if (mq.mq_amountless_msat != 0 &&
		    mq.mq_amountless_msat != b.amount_msat) {
			op_end(o, 11012, "amount does not match the invoice");
			return (0);
		}
		msat = b.amount_msat;
	} else if ((msat = mq.mq_amountless_msat) == 0) {
		op_end(o, E_AMOUNTLESS, "amountless invoice is not supported");
		return (0);
	}
	if (msat > MINT_MAX_SAT * MSAT_PER_SAT) {
		op_end(o, E_LIMIT, "amount outside the limits");
		return (0);
	}
	new_quote_id(o->o_q.q_id, sizeof(o->o_q.q_id));
	o->o_q.q_melt = 1;
	o->o_q.q_state = LEDGER_QUOTE_UNPAID;
	o->o_q.q_amount = money_msat_to_sat_up(msat);
	o->o_q.q_fee_reserve = money_msat_to_sat_up(ln_fee_reserve(ln, msat));
	strlcpy(o->o_q.q_unit, MINT_UNIT, sizeof(o->o_q.q_unit));
	o->o_q.q_created = time(NULL);
	o->o_q.q_expiry = b.timestamp + b.expiry;
	memcpy(o->o_q.q_payment_hash, b.payment_hash, 32);
	strlcpy(o->o_q.q_request, mq.mq_request, sizeof(o->o_q.q_request));
	ledger_call(IMSG_LEDGER_QUOTE_ADD, &o->o_q, sizeof(o->o_q),
	    quote_stored, o);
	return (0);
}

/*
 * NUT-05: POST /v1/melt/bolt11, with NUT-08 blank outputs for change.
 */
int
mint_melt_request(struct peer *p, struct imsg *imsg)
{
	struct ipc_melt_req	 ml;
	struct ipc_quote_ref	 qr;
	struct ipc_proof_in	*in;
	struct op		*o;
	const char		*unit, *detail;
	uint64_t		 sum, fee;
	size_t			 len = imsg_get_len(imsg);
	int			 code;

	if (imsg_get_buf(imsg, &ml, sizeof(ml)) == -1 ||
	    !ipc_str_ok(ml.ml_quote, sizeof(ml.ml_quote)) ||
	    ml.ml_ninputs == 0 || ml.ml_ninputs > IPC_INPUTS_MAX ||
	    ml.ml_noutputs > IPC_OUTPUTS_MAX ||
	    len != sizeof(ml) + ml.ml_ninputs * sizeof(*in) +
	    ml.ml_noutputs * sizeof(struct ipc_output))
		return (-1);
	o = op_new(p, imsg);
	if ((in = calloc(ml.ml_ninputs, sizeof(*in))) == NULL ||
	    (o->o_ys = calloc(ml.ml_ninputs, sizeof(*o->o_ys))) == NULL ||
	    (o->o_blank = calloc(ml.ml_noutputs + 1,
	    sizeof(*o->o_blank))) == NULL)
		fatal(NULL);
	if (imsg_get_buf(imsg, in, ml.ml_ninputs * sizeof(*in)) == -1 ||
	    (ml.ml_noutputs > 0 && imsg_get_buf(imsg, o->o_blank,
	    ml.ml_noutputs * sizeof(*o->o_blank)) == -1)) {
		freezero(in, ml.ml_ninputs * sizeof(*in));
		op_free(o);
		return (-1);
	}
	o->o_nys = ml.ml_ninputs;
	o->o_nblank = ml.ml_noutputs;
	if (mint_verify_inputs(in, ml.ml_ninputs, o->o_ys, &sum, &fee, &unit,
	    &code, &detail) == -1) {
		freezero(in, ml.ml_ninputs * sizeof(*in));
		op_end(o, code, detail);
		return (0);
	}
	freezero(in, ml.ml_ninputs * sizeof(*in));
	if (strcmp(unit, MINT_UNIT) != 0) {
		op_end(o, E_MULTI_UNIT, "inputs not of the quote's unit");
		return (0);
	}
	/* What the inputs bring once their own fees are paid. */
	if (money_sub(&o->o_provided, sum, fee) == -1) {
		op_end(o, E_UNBALANCED, "inputs do not cover their fees");
		return (0);
	}
	memset(&qr, 0, sizeof(qr));
	memcpy(qr.qr_id, ml.ml_quote, sizeof(qr.qr_id));
	qr.qr_melt = 1;
	ledger_call(IMSG_LEDGER_QUOTE_GET, &qr, sizeof(qr), melt_got, o);
	return (0);
}

static int
blanks_check(struct op *o, struct mint_keyset **mkp)
{
	struct mint_keyset	*mk;
	uint32_t		 i, j;

	if (o->o_nblank > BLANKS_MAX)
		return (-1);
	for (i = 0; i < o->o_nblank; i++) {
		if ((mk = mint_keyset_find(o->o_blank[i].o_id,
		    o->o_blank[i].o_idlen)) == NULL || !mk->mk_active ||
		    (*mkp != NULL && *mkp != mk) ||
		    bdhke_point_check(mintd->m_bd, o->o_blank[i].o_b) == -1)
			return (-1);
		*mkp = mk;
		for (j = 0; j < i; j++)
			if (memcmp(o->o_blank[i].o_b, o->o_blank[j].o_b,
			    IPC_Y_LEN) == 0)
				return (-1);
	}
	return (0);
}

static void
melt_got(struct imsg *imsg, void *arg)
{
	struct op		*o = arg;
	struct ipc_quote_commit	 qc;
	struct mint_keyset	*mk = NULL;
	unsigned char		*buf;
	uint64_t		 need;
	size_t			 len;

	if (quote_from(o, imsg) == -1)
		return;
	if (!o->o_q.q_melt) {
		op_end(o, E_REQUEST, "not a melt quote");
		return;
	}
	switch (o->o_q.q_state) {
	case LEDGER_QUOTE_UNPAID:
		break;
	case LEDGER_QUOTE_PENDING:
		op_end(o, E_QUOTE_PENDING, "quote is pending");
		return;
	default:
		op_end(o, E_INVOICE_PAID, "invoice already paid");
		return;
	}
	if (o->o_q.q_expiry != 0 && o->o_q.q_expiry < time(NULL)) {
		op_end(o, E_EXPIRED, "quote expired");
		return;
	}
	if (money_add(&need, o->o_q.q_amount, o->o_q.q_fee_reserve) == -1 ||
	    o->o_provided < need) {
		op_end(o, E_UNBALANCED, "inputs do not cover the amount and "
		    "the fee reserve");
		return;
	}
	if (blanks_check(o, &mk) == -1) {
		op_end(o, E_PROOF, "invalid blank outputs");
		return;
	}

	/* The inputs pending with the quote, before any payment starts. */
	memset(&qc, 0, sizeof(qc));
	memcpy(qc.qc_quote, o->o_q.q_id, sizeof(qc.qc_quote));
	qc.qc_nys = o->o_nys;
	len = sizeof(qc) + o->o_nys * sizeof(*o->o_ys);
	if ((buf = malloc(len)) == NULL)
		fatal(NULL);
	memcpy(buf, &qc, sizeof(qc));
	memcpy(buf + sizeof(qc), o->o_ys, o->o_nys * sizeof(*o->o_ys));
	ledger_call(IMSG_LEDGER_MELT_BEGIN, buf, len, melt_pending, o);
	free(buf);
}

static void
melt_pending(struct imsg *imsg, void *arg)
{
	struct op	*o = arg;
	struct bolt11	 b;
	struct timeval	 tv;
	uint64_t	 msat;

	switch (lr_error(imsg)) {
	case LEDGER_OK:
		break;
	case LEDGER_SPENT:
		op_end(o, E_SPENT, "Token already spent.");
		return;
	case LEDGER_PENDING:
		op_end(o, E_PENDING, "Token is pending.");
		return;
	case LEDGER_STATE:
		op_end(o, E_QUOTE_PENDING, "quote is pending");
		return;
	case LEDGER_EXISTS:
		op_end(o, E_INVOICE_PAID, "invoice already paid");
		return;
	default:
		op_end(o, E_PROOF, "the ledger failed");
		return;
	}
	TAILQ_INSERT_TAIL(&melts, o, o_entry);
	o->o_listed = 1;
	o->o_q.q_state = LEDGER_QUOTE_PENDING;
	evtimer_set(&o->o_wait, melt_answer, o);
	tv.tv_sec = MELT_ANSWER_MS / 1000;
	tv.tv_usec = MELT_ANSWER_MS % 1000 * 1000;
	evtimer_add(&o->o_wait, &tv);
	o->o_waiting = 1;
	/* An amountless invoice is paid what the quote said. */
	if (bolt11_decode(&b, o->o_q.q_request) == -1 || b.has_amount)
		msat = 0;
	else
		msat = o->o_q.q_amount * MSAT_PER_SAT;
	if ((o->o_pay_id = ln_pay_invoice(ln, o->o_q.q_request, msat,
	    o->o_q.q_fee_reserve * MSAT_PER_SAT, melt_paid, o)) == 0) {
		struct ln_payment	 fail;

		memset(&fail, 0, sizeof(fail));
		fail.state = LN_PAYMENT_FAILED;
		melt_settle(o, &fail);
	}
}

/* The payment's outcome, from paying or from a later status check. */
static void
melt_paid(const struct ln_payment *pay, void *arg)
{
	struct op	*o = arg;

	o->o_pay_id = 0;
	melt_settle(o, pay);
}

/* A status check answered. */
static void
melt_status(const struct ln_payment *pay, void *arg)
{
	struct op	*o = arg;

	o->o_status_id = 0;
	melt_settle(o, pay);
}

/*
 * A melt pending since before a restart: its inputs from the ledger,
 * then the backend's word on its payment.  Its blank outputs are gone
 * with the old process: it gives no change.
 */
static void
melt_recover(const struct ipc_quote *q)
{
	struct ipc_quote_ref	 qr;
	struct op		*o;

	if ((o = calloc(1, sizeof(*o))) == NULL)
		fatal(NULL);
	o->o_q = *q;
	memset(&qr, 0, sizeof(qr));
	memcpy(qr.qr_id, q->q_id, sizeof(qr.qr_id));
	qr.qr_melt = 1;
	ledger_call(IMSG_LEDGER_MELT_INPUTS, &qr, sizeof(qr), melt_recovered,
	    o);
}

static void
melt_recovered(struct imsg *imsg, void *arg)
{
	struct op	*o = arg, *m;
	uint32_t	 n;
	size_t		 len;

	if (imsg == NULL || imsg_get_type(imsg) != IMSG_LEDGER_INPUTS ||
	    imsg_get_buf(imsg, &n, sizeof(n)) == -1 || n == 0 ||
	    n > IPC_INPUTS_MAX ||
	    (len = imsg_get_len(imsg)) != n * sizeof(*o->o_ys)) {
		op_free(o);	/* finished meanwhile, or no answer */
		return;
	}
	TAILQ_FOREACH(m, &melts, o_entry)
		if (strcmp(m->o_q.q_id, o->o_q.q_id) == 0) {
			op_free(o);	/* another GET was first */
			return;
		}
	if ((o->o_ys = calloc(n, sizeof(*o->o_ys))) == NULL)
		fatal(NULL);
	if (imsg_get_buf(imsg, o->o_ys, n * sizeof(*o->o_ys)) == -1) {
		op_free(o);
		return;
	}
	o->o_nys = n;
	log_info("melt: a payment pending since before the restart: asking "
	    "the %s backend", ln_name(ln));
	TAILQ_INSERT_TAIL(&melts, o, o_entry);
	o->o_listed = 1;
	o->o_status_id = ln_payment_status(ln, o->o_q.q_payment_hash,
	    melt_status, o);
}

static void
melt_settle(struct op *o, const struct ln_payment *pay)
{
	struct ipc_quote_commit	 qc;
	struct ipc_issued	*iss = NULL;
	struct mint_keyset	*mk = NULL;
	unsigned char		*buf;
	uint64_t		 fee_paid, change, parts[BLANKS_MAX];
	uint32_t		 nparts = 0, i;
	size_t			 len;
	int			 b;

	if (o->o_settling)
		return;		/* the other answer came first */
	if (o->o_waiting && (pay->state == LN_PAYMENT_SUCCEEDED ||
	    pay->state == LN_PAYMENT_FAILED)) {
		evtimer_del(&o->o_wait);
		o->o_waiting = 0;
	}
	switch (pay->state) {
	case LN_PAYMENT_SUCCEEDED:
		o->o_settling = 1;
		break;
	case LN_PAYMENT_FAILED:
		o->o_settling = 1;
		log_info("melt: the payment failed, the inputs are free again");
		memset(&qc, 0, sizeof(qc));
		memcpy(qc.qc_quote, o->o_q.q_id, sizeof(qc.qc_quote));
		qc.qc_nys = o->o_nys;
		len = sizeof(qc) + o->o_nys * IPC_Y_LEN;
		if ((buf = malloc(len)) == NULL)
			fatal(NULL);
		memcpy(buf, &qc, sizeof(qc));
		/* An abort releases: the Ys alone. */
		for (i = 0; i < o->o_nys; i++)
			memcpy(buf + sizeof(qc) + i * IPC_Y_LEN,
			    o->o_ys[i].in_y, IPC_Y_LEN);
		ledger_call(IMSG_LEDGER_MELT_ABORT, buf, len, melt_aborted, o);
		free(buf);
		return;
	default:
		/* In flight or unknown: it stays pending, the wallet asks. */
		melt_reply_pending(o);
		return;
	}

	/* NUT-08: what the fee reserve left over, on the blank outputs. */
	fee_paid = money_msat_to_sat_up(pay->fee_msat);
	if (money_sub(&change, o->o_provided, o->o_q.q_amount) == -1 ||
	    money_sub(&change, change, fee_paid) == -1)
		change = 0;
	for (b = 63; b >= 0 && nparts < o->o_nblank; b--)
		if (change & (1ULL << b))
			parts[nparts++] = 1ULL << b;
	if (nparts > 0) {
		(void)blanks_check(o, &mk);
		for (i = 0; i < nparts; i++)
			o->o_blank[i].o_amount = parts[i];
	}
	if ((o->o_sig = calloc(nparts + 1, sizeof(*o->o_sig))) == NULL ||
	    (iss = calloc(nparts + 1, sizeof(*iss))) == NULL)
		fatal(NULL);
	if (nparts > 0 && (mk == NULL || mint_sign_outputs(o->o_blank,
	    nparts, mk, o->o_sig, iss) == -1)) {
		log_warnx("melt: cannot sign the change");
		nparts = 0;
	}
	o->o_nblank = nparts;		/* the change now */
	memcpy(o->o_q.q_preimage, pay->preimage, 32);
	o->o_q.q_has_preimage = 1;
	o->o_q.q_state = LEDGER_QUOTE_PAID;

	memset(&qc, 0, sizeof(qc));
	memcpy(qc.qc_quote, o->o_q.q_id, sizeof(qc.qc_quote));
	qc.qc_nys = o->o_nys;
	qc.qc_nissued = nparts;
	qc.qc_has_preimage = 1;
	memcpy(qc.qc_preimage, pay->preimage, 32);
	len = sizeof(qc) + o->o_nys * sizeof(*o->o_ys) +
	    nparts * sizeof(*iss);
	if ((buf = malloc(len)) == NULL)
		fatal(NULL);
	memcpy(buf, &qc, sizeof(qc));
	memcpy(buf + sizeof(qc), o->o_ys, o->o_nys * sizeof(*o->o_ys));
	memcpy(buf + sizeof(qc) + o->o_nys * sizeof(*o->o_ys), iss,
	    nparts * sizeof(*iss));
	free(iss);
	ledger_call(IMSG_LEDGER_MELT_FINISH, buf, len, melt_finished, o);
	free(buf);
}

/* The payment is slow: the wallet hears PENDING now. */
static void
melt_answer(int fd, short ev, void *arg)
{
	struct op	*o = arg;

	o->o_waiting = 0;
	melt_reply_pending(o);
}

static void
melt_reply_pending(struct op *o)
{
	struct op	*reply;

	if (o->o_id == 0)
		return;		/* answered already */
	if ((reply = calloc(1, sizeof(*reply))) == NULL)
		fatal(NULL);
	reply->o_instance = o->o_instance;
	reply->o_id = o->o_id;
	reply->o_q = o->o_q;
	op_reply_quote(reply, NULL, 0);
	o->o_id = 0;
}

static void
melt_finished(struct imsg *imsg, void *arg)
{
	struct op	*o = arg;

	if (lr_error(imsg) != LEDGER_OK) {
		/* Paid, but not recorded: the inputs stay pending. */
		log_warnx("melt: paid, but the ledger did not record it");
		if (o->o_id != 0)
			op_end(o, E_PROOF, "the ledger failed");
		else
			op_free(o);
		return;
	}
	if (o->o_id == 0) {
		op_free(o);	/* the wallet was told PENDING already */
		return;
	}
	op_reply_quote(o, o->o_sig, o->o_nblank);
}

static void
melt_aborted(struct imsg *imsg, void *arg)
{
	struct op	*o = arg;

	if (lr_error(imsg) != LEDGER_OK)
		log_warnx("melt: the payment failed and the ledger did not "
		    "release the inputs");
	if (o->o_id != 0)
		op_end(o, E_LN_FAILED, "Lightning payment failed");
	else
		op_free(o);
}
