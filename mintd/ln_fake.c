/*
 * The fake Lightning backend, for tests and demos (cashu.md 8.3, after
 * nutshell's and cdk's FakeWallet).  Nothing leaves the process.
 *
 * Invoices.  Real BOLT 11 invoices, signed by a throwaway node key that
 * is SHA-256 of the constant FAKE_KEY_SEED below: anyone can derive it,
 * so it must never hold funds.  The prefix is lnbc (mainnet) by default,
 * as nutshell's FakeWallet does, so that wallets which check the network
 * of a mainnet mint accept the invoices; ln_fake_conf.network picks
 * another.  Each invoice has a random preimage, payment hash =
 * SHA-256(preimage), a random payment secret, the description as a d
 * field, the expiry as x, and features 8 and 14 (var_onion_optin and
 * payment_secret, required), as the BOLT 11 examples.  An invoice counts
 * as paid paid_delay seconds after it was made (0: at once), unless it
 * expires first.  At most max_invoices are kept: when full, the one that
 * expired first goes, else the oldest; a forgotten one is UNKNOWN.
 *
 * Payments.  pay_invoice decodes the invoice and checks its network,
 * amount and expiry, then "pays" it after pay_delay seconds: SUCCEEDED
 * with fee fee_msat (fee_limit_msat lower than that fails it, as a real
 * node finds no route), and preimage 32 zero bytes: the real one is not
 * known.  Our own invoices are paid internally and at once: fee 0, the
 * real preimage, and the invoice becomes PAID.  Paying one fails only
 * once a payment paid it or it expired: one that merely paid itself
 * after paid_delay can still be paid, so that a wallet may melt a
 * mint quote's invoice at any time.  Paying an invoice whose
 * payment is still under way or done fails.
 * A description containing
 *	"fake:fail"	makes the payment FAILED,
 *	"fake:pending"	keeps it PENDING,
 *	"fake:unknown"	keeps it UNKNOWN,
 * the last two until ln_fake_resolve() settles it.  Payments are kept
 * as many as invoices, the oldest forgotten first.
 *
 * The fee reserve is nutshell's: max(reserve_min_msat, reserve_percent
 * of the amount), rounded up to whole sats.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/time.h>
#include <sys/tree.h>

#include <event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include <secp256k1.h>

#include "bolt11.h"
#include "hex.h"
#include "lightning.h"
#include "log.h"

/* The fake node's key is SHA-256 of this: public, worthless, on purpose. */
#define FAKE_KEY_SEED	"routstrd fake lightning node key: NOT A SECRET"
#define FAKE_CLTV	BOLT11_DEFAULT_CLTV

#define PAY_STATUS_MARGIN_MS	100	/* see fake_pay_invoice */

struct fake_invoice {
	RB_ENTRY(fake_invoice)	 i_by_hash;
	RB_ENTRY(fake_invoice)	 i_by_expiry;
	TAILQ_ENTRY(fake_invoice) i_by_age;
	uint64_t		 i_seq;
	uint8_t			 i_hash[32];
	uint8_t			 i_preimage[32];
	uint64_t		 i_amount_msat;
	int64_t			 i_expires_at;		/* wall clock */
	int64_t			 i_paid_at_ms;		/* monotonic */
	int			 i_autopay;	/* paid at i_paid_at_ms */
	int			 i_paid;	/* paid internally */
};

struct fake_payment {
	RB_ENTRY(fake_payment)	 p_by_hash;
	TAILQ_ENTRY(fake_payment) p_by_age;
	struct ln_payment	 p_result;	/* its final state */
	int64_t			 p_done_ms;	/* PENDING before */
	int			 p_held;	/* waits for ln_fake_resolve */
	struct fake_invoice	*p_own;		/* or NULL; weak, see evict */
};

RB_HEAD(inv_hash, fake_invoice);
RB_HEAD(inv_expiry, fake_invoice);
RB_HEAD(pay_hash, fake_payment);

struct fake {
	struct ln_fake_conf		 conf;
	secp256k1_context		*secp;
	uint8_t				 key[32];
	uint8_t				 node_id[33];
	struct inv_hash			 invoices;
	struct inv_expiry		 expiries;
	TAILQ_HEAD(, fake_invoice)	 inv_age;
	size_t				 ninvoices;
	uint64_t			 seq;
	struct pay_hash			 payments;
	TAILQ_HEAD(, fake_payment)	 pay_age;
	size_t				 npayments;
};

static int	 inv_hash_cmp(struct fake_invoice *, struct fake_invoice *);
static int	 inv_expiry_cmp(struct fake_invoice *, struct fake_invoice *);
static int	 pay_hash_cmp(struct fake_payment *, struct fake_payment *);
/* Unused generated functions must not break -Werror. */
#define RB_STATIC	__attribute__((__unused__)) static
RB_PROTOTYPE_INTERNAL(inv_hash, fake_invoice, i_by_hash, inv_hash_cmp,
    RB_STATIC);
RB_PROTOTYPE_INTERNAL(inv_expiry, fake_invoice, i_by_expiry, inv_expiry_cmp,
    RB_STATIC);
RB_PROTOTYPE_INTERNAL(pay_hash, fake_payment, p_by_hash, pay_hash_cmp,
    RB_STATIC);

static void	 fake_create_invoice(struct ln_backend *, struct ln_request *,
		    const struct ln_call *);
static void	 fake_invoice_status(struct ln_backend *, struct ln_request *,
		    const struct ln_call *);
static void	 fake_pay_invoice(struct ln_backend *, struct ln_request *,
		    const struct ln_call *);
static void	 fake_payment_status(struct ln_backend *, struct ln_request *,
		    const struct ln_call *);
static uint64_t	 fake_fee_reserve(const struct ln_backend *, uint64_t);
static void	 fake_free(struct ln_backend *);

static int64_t	 mono_ms(void);
static int	 sha256(uint8_t[32], const void *, size_t);
static enum ln_invoice_state inv_state(const struct fake_invoice *);
static void	 inv_remove(struct fake *, struct fake_invoice *);
static void	 inv_evict(struct fake *);
static struct fake_invoice *inv_find(struct fake *, const uint8_t[32]);
static struct fake_payment *pay_find(struct fake *, const uint8_t[32]);
static void	 pay_remove(struct fake *, struct fake_payment *);
static void	 pay_state(const struct fake_payment *, struct ln_payment *);
static void	 pay_fail(struct ln_request *, struct ln_payment *,
		    const char *);

static const struct ln_backend_ops fake_ops = {
	.name = "fake",
	.create_invoice = fake_create_invoice,
	.invoice_status = fake_invoice_status,
	.pay_invoice = fake_pay_invoice,
	.payment_status = fake_payment_status,
	.fee_reserve = fake_fee_reserve,
	.free = fake_free,
};

RB_GENERATE_INTERNAL(inv_hash, fake_invoice, i_by_hash, inv_hash_cmp,
    RB_STATIC);
RB_GENERATE_INTERNAL(inv_expiry, fake_invoice, i_by_expiry, inv_expiry_cmp,
    RB_STATIC);
RB_GENERATE_INTERNAL(pay_hash, fake_payment, p_by_hash, pay_hash_cmp,
    RB_STATIC);

static int
inv_hash_cmp(struct fake_invoice *a, struct fake_invoice *b)
{
	return (memcmp(a->i_hash, b->i_hash, sizeof(a->i_hash)));
}

static int
inv_expiry_cmp(struct fake_invoice *a, struct fake_invoice *b)
{
	if (a->i_expires_at != b->i_expires_at)
		return (a->i_expires_at < b->i_expires_at ? -1 : 1);
	if (a->i_seq != b->i_seq)
		return (a->i_seq < b->i_seq ? -1 : 1);
	return (0);
}

static int
pay_hash_cmp(struct fake_payment *a, struct fake_payment *b)
{
	return (memcmp(a->p_result.payment_hash, b->p_result.payment_hash,
	    sizeof(a->p_result.payment_hash)));
}

void
ln_fake_conf_init(struct ln_fake_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->network = BOLT11_MAINNET;
	conf->paid_delay = 1;
	conf->pay_delay = 0;
	conf->fee_msat = LN_FAKE_FEE_MSAT;
	conf->reserve_min_msat = LN_RESERVE_MIN_MSAT;
	conf->reserve_percent = LN_RESERVE_PERCENT;
	conf->max_invoices = LN_FAKE_MAX_INVOICES;
}

struct ln_backend *
ln_fake_new(const struct ln_fake_conf *conf)
{
	struct ln_backend	*be;
	struct fake		*f;
	secp256k1_pubkey	 pub;
	uint8_t			 seed[32];
	size_t			 len = sizeof(f->node_id);

	if (bolt11_network_prefix(conf->network) == NULL ||
	    conf->max_invoices == 0 || conf->reserve_percent > 100)
		return (NULL);
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return (NULL);
	f->conf = *conf;
	RB_INIT(&f->invoices);
	RB_INIT(&f->expiries);
	RB_INIT(&f->payments);
	TAILQ_INIT(&f->inv_age);
	TAILQ_INIT(&f->pay_age);

	arc4random_buf(seed, sizeof(seed));
	if ((f->secp = secp256k1_context_create(SECP256K1_CONTEXT_NONE)) ==
	    NULL || !secp256k1_context_randomize(f->secp, seed) ||
	    sha256(f->key, FAKE_KEY_SEED, sizeof(FAKE_KEY_SEED) - 1) == -1 ||
	    !secp256k1_ec_pubkey_create(f->secp, &pub, f->key) ||
	    !secp256k1_ec_pubkey_serialize(f->secp, f->node_id, &len, &pub,
	    SECP256K1_EC_COMPRESSED) ||
	    (be = ln_backend_new(&fake_ops, f)) == NULL) {
		if (f->secp != NULL)
			secp256k1_context_destroy(f->secp);
		free(f);
		return (NULL);
	}
	explicit_bzero(seed, sizeof(seed));
	return (be);
}

int
ln_fake_node_id(const struct ln_backend *be, uint8_t id[33])
{
	struct fake	*f;

	if (ln_backend_ops(be) != &fake_ops)
		return (-1);
	f = ln_backend_softc(be);
	memcpy(id, f->node_id, sizeof(f->node_id));
	return (0);
}

int
ln_fake_resolve(struct ln_backend *be, const uint8_t hash[32],
    int succeeded)
{
	struct fake		*f;
	struct fake_payment	*p;

	if (ln_backend_ops(be) != &fake_ops)
		return (-1);
	f = ln_backend_softc(be);
	if ((p = pay_find(f, hash)) == NULL || !p->p_held)
		return (-1);
	p->p_held = 0;
	p->p_done_ms = mono_ms();
	p->p_result.error[0] = '\0';
	if (succeeded) {
		p->p_result.state = LN_PAYMENT_SUCCEEDED;
		if (p->p_own != NULL) {
			memcpy(p->p_result.preimage, p->p_own->i_preimage, 32);
			p->p_own->i_paid = 1;
		}
	} else {
		p->p_result.state = LN_PAYMENT_FAILED;
		p->p_result.fee_msat = 0;
		memset(p->p_result.preimage, 0, 32);
		strlcpy(p->p_result.error, "payment failed (resolved)",
		    sizeof(p->p_result.error));
	}
	return (0);
}

static void
fake_create_invoice(struct ln_backend *be, struct ln_request *req,
    const struct ln_call *call)
{
	struct fake		*f = ln_backend_softc(be);
	struct fake_invoice	*inv;
	struct ln_invoice	 res;
	struct bolt11		 b;

	memset(&res, 0, sizeof(res));
	if ((inv = calloc(1, sizeof(*inv))) == NULL) {
		strlcpy(res.error, "out of memory", sizeof(res.error));
		goto done;
	}
	arc4random_buf(inv->i_preimage, sizeof(inv->i_preimage));
	if (sha256(inv->i_hash, inv->i_preimage, 32) == -1) {
		strlcpy(res.error, "sha256 failed", sizeof(res.error));
		goto done;
	}

	bolt11_init(&b);
	b.network = f->conf.network;
	b.has_amount = 1;
	b.amount_msat = call->amount_msat;
	b.timestamp = time(NULL);
	memcpy(b.payment_hash, inv->i_hash, 32);
	arc4random_buf(b.payment_secret, sizeof(b.payment_secret));
	b.has_description = 1;
	b.description_len = strlcpy(b.description, call->description,
	    sizeof(b.description));
	b.expiry = call->expiry;
	b.min_final_cltv = FAKE_CLTV;
	bolt11_feature_set(&b, BOLT11_F_VAR_ONION);
	bolt11_feature_set(&b, BOLT11_F_PAYMENT_SECRET);
	if (b.description_len >= sizeof(b.description) ||
	    bolt11_encode(f->secp, &b, f->key, res.bolt11,
	    sizeof(res.bolt11)) == -1) {
		strlcpy(res.error, "cannot encode the invoice (description "
		    "not UTF-8?)", sizeof(res.error));
		goto done;
	}
	if (inv_find(f, inv->i_hash) != NULL) {
		strlcpy(res.error, "duplicate payment hash", sizeof(res.error));
		goto done;
	}

	while (f->ninvoices >= f->conf.max_invoices)
		inv_evict(f);
	inv->i_seq = f->seq++;
	inv->i_amount_msat = call->amount_msat;
	inv->i_expires_at = (int64_t)b.timestamp + call->expiry;
	/* Paid only if the delay ends before the invoice does. */
	inv->i_autopay = f->conf.paid_delay < call->expiry;
	inv->i_paid_at_ms = mono_ms() + (int64_t)f->conf.paid_delay * 1000;
	RB_INSERT(inv_hash, &f->invoices, inv);
	RB_INSERT(inv_expiry, &f->expiries, inv);
	TAILQ_INSERT_TAIL(&f->inv_age, inv, i_by_age);
	f->ninvoices++;

	res.ok = 1;
	memcpy(res.payment_hash, inv->i_hash, 32);
	hex_encode(res.checking_id, inv->i_hash, 32);
	res.amount_msat = call->amount_msat;
	res.expires_at = inv->i_expires_at;
	inv = NULL;
 done:
	if (inv != NULL)
		freezero(inv, sizeof(*inv));
	ln_done_invoice(req, &res);
}

static void
fake_invoice_status(struct ln_backend *be, struct ln_request *req,
    const struct ln_call *call)
{
	struct fake		*f = ln_backend_softc(be);
	struct fake_invoice	*inv;
	struct ln_invoice_status st;

	memset(&st, 0, sizeof(st));
	memcpy(st.payment_hash, call->payment_hash, 32);
	if ((inv = inv_find(f, call->payment_hash)) == NULL) {
		st.state = LN_INVOICE_UNKNOWN;
		strlcpy(st.error, "no such invoice", sizeof(st.error));
	} else if ((st.state = inv_state(inv)) == LN_INVOICE_PAID)
		st.amount_paid_msat = inv->i_amount_msat;
	ln_done_invoice_status(req, &st);
}

static void
fake_pay_invoice(struct ln_backend *be, struct ln_request *req,
    const struct ln_call *call)
{
	struct fake		*f = ln_backend_softc(be);
	struct fake_invoice	*own;
	struct fake_payment	*p;
	struct ln_payment	 res;
	struct timeval		 tv;
	struct bolt11		 b;
	enum { KNOB_NONE, KNOB_FAIL, KNOB_PENDING, KNOB_UNKNOWN } knob;

	memset(&res, 0, sizeof(res));
	if (bolt11_decode(&b, call->bolt11) == -1) {
		pay_fail(req, &res, "invalid invoice");
		return;
	}
	memcpy(res.payment_hash, b.payment_hash, 32);
	if (b.network != f->conf.network) {
		pay_fail(req, &res, "invoice of another network");
		return;
	}
	if (b.has_amount) {
		if (call->amount_msat != 0 &&
		    call->amount_msat != b.amount_msat) {
			pay_fail(req, &res, "amount differs from the "
			    "invoice's");
			return;
		}
		res.amount_msat = b.amount_msat;
	} else {
		if (call->amount_msat == 0) {
			pay_fail(req, &res, "amountless invoice: no amount "
			    "given");
			return;
		}
		res.amount_msat = call->amount_msat;
	}
	if ((uint64_t)time(NULL) >= bolt11_expires_at(&b)) {
		pay_fail(req, &res, "invoice expired");
		return;
	}

	if ((p = pay_find(f, b.payment_hash)) != NULL) {
		pay_state(p, &res);
		switch (res.state) {
		case LN_PAYMENT_FAILED:
			pay_remove(f, p);	/* try again */
			break;
		case LN_PAYMENT_SUCCEEDED:
			memset(res.preimage, 0, sizeof(res.preimage));
			res.fee_msat = 0;
			pay_fail(req, &res, "invoice already paid");
			return;
		default:
			pay_fail(req, &res, "payment already in flight");
			return;
		}
	}
	/*
	 * Its own invoice: refused once a payment paid it, not when it only
	 * counts as paid because fake invoices pay themselves (a melt of a
	 * mint quote of the same mint must work whenever it comes).
	 */
	if ((own = inv_find(f, b.payment_hash)) != NULL &&
	    (own->i_paid || time(NULL) >= own->i_expires_at)) {
		pay_fail(req, &res, own->i_paid ? "invoice already paid" :
		    "invoice expired");
		return;
	}
	res.fee_msat = own != NULL ? 0 : f->conf.fee_msat;
	if (res.fee_msat > call->fee_limit_msat) {
		res.fee_msat = 0;
		pay_fail(req, &res, "no route within the fee limit");
		return;
	}

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		res.state = LN_PAYMENT_UNKNOWN;
		strlcpy(res.error, "out of memory", sizeof(res.error));
		ln_done_payment(req, &res, NULL);
		return;
	}
	knob = KNOB_NONE;
	if (b.has_description) {
		if (strstr(b.description, LN_FAKE_FAIL) != NULL)
			knob = KNOB_FAIL;
		else if (strstr(b.description, LN_FAKE_PENDING) != NULL)
			knob = KNOB_PENDING;
		else if (strstr(b.description, LN_FAKE_UNKNOWN) != NULL)
			knob = KNOB_UNKNOWN;
	}
	if (knob == KNOB_NONE) {
		res.state = LN_PAYMENT_SUCCEEDED;
		if (own != NULL) {
			memcpy(res.preimage, own->i_preimage, 32);
			own->i_paid = 1;
		}
	} else if (knob == KNOB_FAIL) {
		res.state = LN_PAYMENT_FAILED;
		res.fee_msat = 0;
		strlcpy(res.error, "payment failed (" LN_FAKE_FAIL ")",
		    sizeof(res.error));
	} else {
		res.state = knob == KNOB_PENDING ? LN_PAYMENT_PENDING :
		    LN_PAYMENT_UNKNOWN;
		p->p_held = 1;
		if (knob == KNOB_UNKNOWN)
			strlcpy(res.error, "payment state unknown ("
			    LN_FAKE_UNKNOWN ")", sizeof(res.error));
	}
	p->p_result = res;
	p->p_own = own;
	/* Internal payments settle at once, as in a mint's database. */
	timerclear(&tv);
	if (own == NULL)
		tv.tv_sec = f->conf.pay_delay;
	/*
	 * The answer's timer counts from the start of this turn of the
	 * event loop, a little before now: the status turns with a margin
	 * so that it is never behind the answer.
	 */
	p->p_done_ms = mono_ms() + (int64_t)tv.tv_sec * 1000 -
	    (tv.tv_sec > 0 ? PAY_STATUS_MARGIN_MS : 0);
	while (f->npayments >= f->conf.max_invoices)
		pay_remove(f, TAILQ_FIRST(&f->pay_age));
	RB_INSERT(pay_hash, &f->payments, p);
	TAILQ_INSERT_TAIL(&f->pay_age, p, p_by_age);
	f->npayments++;
	ln_done_payment(req, &res, &tv);
}

static void
fake_payment_status(struct ln_backend *be, struct ln_request *req,
    const struct ln_call *call)
{
	struct fake		*f = ln_backend_softc(be);
	struct fake_payment	*p;
	struct ln_payment	 res;

	memset(&res, 0, sizeof(res));
	memcpy(res.payment_hash, call->payment_hash, 32);
	if ((p = pay_find(f, call->payment_hash)) == NULL) {
		res.state = LN_PAYMENT_UNKNOWN;
		strlcpy(res.error, "no such payment", sizeof(res.error));
	} else
		pay_state(p, &res);
	ln_done_payment(req, &res, NULL);
}

static uint64_t
fake_fee_reserve(const struct ln_backend *be, uint64_t amount_msat)
{
	struct fake	*f = ln_backend_softc(be);

	return (ln_reserve(amount_msat, f->conf.reserve_min_msat,
	    f->conf.reserve_percent));
}

static void
fake_free(struct ln_backend *be)
{
	struct fake		*f = ln_backend_softc(be);
	struct fake_invoice	*inv;
	struct fake_payment	*p;

	while ((inv = TAILQ_FIRST(&f->inv_age)) != NULL)
		inv_remove(f, inv);
	while ((p = TAILQ_FIRST(&f->pay_age)) != NULL)
		pay_remove(f, p);
	secp256k1_context_destroy(f->secp);
	freezero(f, sizeof(*f));
}

static int64_t
mono_ms(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		fatal("clock_gettime");
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static int
sha256(uint8_t out[32], const void *in, size_t len)
{
	unsigned int	 n = 32;

	return (EVP_Digest(in, len, out, &n, EVP_sha256(), NULL) ? 0 : -1);
}

static enum ln_invoice_state
inv_state(const struct fake_invoice *inv)
{
	if (inv->i_paid || (inv->i_autopay && mono_ms() >= inv->i_paid_at_ms))
		return (LN_INVOICE_PAID);
	if (time(NULL) >= inv->i_expires_at)
		return (LN_INVOICE_EXPIRED);
	return (LN_INVOICE_UNPAID);
}

static struct fake_invoice *
inv_find(struct fake *f, const uint8_t hash[32])
{
	struct fake_invoice	 key;

	memcpy(key.i_hash, hash, sizeof(key.i_hash));
	return (RB_FIND(inv_hash, &f->invoices, &key));
}

static void
inv_remove(struct fake *f, struct fake_invoice *inv)
{
	struct fake_payment	*p;

	/* A payment of it must not point at it any longer. */
	if ((p = pay_find(f, inv->i_hash)) != NULL && p->p_own == inv)
		p->p_own = NULL;
	RB_REMOVE(inv_hash, &f->invoices, inv);
	RB_REMOVE(inv_expiry, &f->expiries, inv);
	TAILQ_REMOVE(&f->inv_age, inv, i_by_age);
	f->ninvoices--;
	freezero(inv, sizeof(*inv));
}

/* Make room: the invoice that expired first, else the oldest. */
static void
inv_evict(struct fake *f)
{
	struct fake_invoice	*inv;

	inv = RB_MIN(inv_expiry, &f->expiries);
	if (inv == NULL || inv->i_expires_at > time(NULL))
		inv = TAILQ_FIRST(&f->inv_age);
	inv_remove(f, inv);
}

static struct fake_payment *
pay_find(struct fake *f, const uint8_t hash[32])
{
	struct fake_payment	 key;

	memcpy(key.p_result.payment_hash, hash, 32);
	return (RB_FIND(pay_hash, &f->payments, &key));
}

static void
pay_remove(struct fake *f, struct fake_payment *p)
{
	RB_REMOVE(pay_hash, &f->payments, p);
	TAILQ_REMOVE(&f->pay_age, p, p_by_age);
	f->npayments--;
	freezero(p, sizeof(*p));
}

/* What a payment looks like now: PENDING until its time has come. */
static void
pay_state(const struct fake_payment *p, struct ln_payment *res)
{
	*res = p->p_result;
	if (!p->p_held && mono_ms() < p->p_done_ms) {
		res->state = LN_PAYMENT_PENDING;
		memset(res->preimage, 0, sizeof(res->preimage));
		res->fee_msat = 0;
		res->error[0] = '\0';
	}
}

static void
pay_fail(struct ln_request *req, struct ln_payment *res, const char *why)
{
	res->state = LN_PAYMENT_FAILED;
	strlcpy(res->error, why, sizeof(res->error));
	ln_done_payment(req, res, NULL);
}
