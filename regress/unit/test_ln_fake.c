/*
 * The fake Lightning backend through the backend interface, on a real
 * libevent loop: invoices that pay themselves after the delay, payments
 * of others' and of its own invoices, the fail/pending/unknown knobs,
 * fee reserves, the bound on what it keeps, cancellation, and that no
 * callback ever runs inside the call that asked for it.
 */

#include <sys/types.h>
#include <sys/time.h>

#include <event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include <secp256k1.h>

#include "bdhke.h"
#include "bolt11.h"
#include "hex.h"
#include "lightning.h"
#include "test.h"

/* One answer of any kind, and how many came. */
struct got {
	int			 n;
	struct ln_invoice	 inv;
	struct ln_invoice_status st;
	struct ln_payment	 pay;
};

static int			 in_call;	/* inside an ln_*() call */
static int			 reentered;	/* callbacks run from inside */
static secp256k1_context	*ctx;
static uint8_t			 other_key[32];

static void	 got_invoice(const struct ln_invoice *, void *);
static void	 got_status(const struct ln_invoice_status *, void *);
static void	 got_payment(const struct ln_payment *, void *);
static void	 guard(int, short, void *);
static int	 run_until(int *, int);
static void	 run_for(int);
static int	 create(struct ln_backend *, struct got *, uint64_t,
		    const char *, uint32_t);
static int	 status(struct ln_backend *, struct got *, const uint8_t *);
static int	 pay(struct ln_backend *, struct got *, const char *, uint64_t,
		    uint64_t);
static int	 pstatus(struct ln_backend *, struct got *, const uint8_t *);
static void	 foreign(char *, size_t, enum bolt11_network, uint64_t,
		    const char *, uint64_t, uint8_t *);
static void	 sha256(uint8_t[32], const void *, size_t);
static void	 free_in_callback(const struct ln_payment *, void *);

static void
got_invoice(const struct ln_invoice *inv, void *arg)
{
	struct got	*g = arg;

	if (in_call)
		reentered++;
	g->n++;
	g->inv = *inv;
}

static void
got_status(const struct ln_invoice_status *st, void *arg)
{
	struct got	*g = arg;

	if (in_call)
		reentered++;
	g->n++;
	g->st = *st;
}

static void
got_payment(const struct ln_payment *p, void *arg)
{
	struct got	*g = arg;

	if (in_call)
		reentered++;
	g->n++;
	g->pay = *p;
}

static void
guard(int fd, short ev, void *arg)
{
	*(int *)arg = 1;
}

/* Turn the loop until *flag or ms milliseconds. */
static int
run_until(int *flag, int ms)
{
	struct event	 ev;
	struct timeval	 tv = { ms / 1000, (ms % 1000) * 1000 };
	int		 expired = 0;

	evtimer_set(&ev, guard, &expired);
	evtimer_add(&ev, &tv);
	while (!*flag && !expired)
		event_loop(EVLOOP_ONCE);
	evtimer_del(&ev);
	return (*flag);
}

static void
run_for(int ms)
{
	int	 never = 0;

	run_until(&never, ms);
}

/* Each call: an id, no answer yet, then exactly one answer. */
static int
create(struct ln_backend *be, struct got *g, uint64_t msat,
    const char *desc, uint32_t expiry)
{
	uint64_t	 id;

	memset(g, 0, sizeof(*g));
	in_call = 1;
	id = ln_create_invoice(be, msat, desc, expiry, got_invoice, g);
	in_call = 0;
	if (id == 0 || g->n != 0)
		return (-1);
	run_until(&g->n, 5000);
	run_for(1);
	return (g->n == 1 ? 0 : -1);
}

static int
status(struct ln_backend *be, struct got *g, const uint8_t *hash)
{
	uint64_t	 id;

	memset(g, 0, sizeof(*g));
	in_call = 1;
	id = ln_invoice_status(be, hash, got_status, g);
	in_call = 0;
	if (id == 0 || g->n != 0)
		return (-1);
	run_until(&g->n, 5000);
	return (g->n == 1 ? 0 : -1);
}

static int
pay(struct ln_backend *be, struct got *g, const char *bolt11, uint64_t msat,
    uint64_t fee_limit)
{
	uint64_t	 id;

	memset(g, 0, sizeof(*g));
	in_call = 1;
	id = ln_pay_invoice(be, bolt11, msat, fee_limit, got_payment, g);
	in_call = 0;
	if (id == 0 || g->n != 0)
		return (-1);
	run_until(&g->n, 5000);
	return (g->n == 1 ? 0 : -1);
}

static int
pstatus(struct ln_backend *be, struct got *g, const uint8_t *hash)
{
	uint64_t	 id;

	memset(g, 0, sizeof(*g));
	in_call = 1;
	id = ln_payment_status(be, hash, got_payment, g);
	in_call = 0;
	if (id == 0 || g->n != 0)
		return (-1);
	run_until(&g->n, 5000);
	return (g->n == 1 ? 0 : -1);
}

/* Somebody else's invoice, made now unless ts says otherwise. */
static void
foreign(char *out, size_t outlen, enum bolt11_network net, uint64_t msat,
    const char *desc, uint64_t ts, uint8_t *hash)
{
	struct bolt11	 b;

	bolt11_init(&b);
	b.network = net;
	b.has_amount = msat != 0;
	b.amount_msat = msat;
	b.timestamp = ts != 0 ? ts : (uint64_t)time(NULL);
	arc4random_buf(b.payment_hash, 32);
	arc4random_buf(b.payment_secret, 32);
	b.has_description = 1;
	b.description_len = strlcpy(b.description, desc,
	    sizeof(b.description));
	bolt11_feature_set(&b, 8);
	bolt11_feature_set(&b, 14);
	if (bolt11_encode(ctx, &b, other_key, out, outlen) == -1)
		abort();
	if (hash != NULL)
		memcpy(hash, b.payment_hash, 32);
}

static void
sha256(uint8_t out[32], const void *in, size_t len)
{
	unsigned int	 n = 32;

	if (!EVP_Digest(in, len, out, &n, EVP_sha256(), NULL))
		abort();
}

static void
free_in_callback(const struct ln_payment *p, void *arg)
{
	struct ln_backend	**bep = arg;

	if (*bep != NULL) {
		ln_free(*bep);
		*bep = NULL;
	}
}

int
main(void)
{
	struct ln_fake_conf	 conf;
	struct ln_backend	*be, *be2;
	struct bolt11		 b;
	struct got		 g, g2;
	struct timespec		 t0, t1;
	char			 inv[BOLT11_MAX_LEN + 1], hex[67];
	char			 big[BOLT11_DESC_MAX + 2];
	uint8_t			 node[33], hash[32], h2[32], zero[32], pre[32];
	uint8_t			 hashes[4][32], ph[5][32];
	uint64_t		 id;
	int			 i, n;

	event_init();
	if ((ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE)) == NULL)
		abort();
	memset(other_key, 0x42, sizeof(other_key));
	memset(zero, 0, sizeof(zero));

	ln_fake_conf_init(&conf);
	T(conf.network == BOLT11_MAINNET && conf.fee_msat == 1000 &&
	    conf.reserve_min_msat == 2000 && conf.reserve_percent == 1 &&
	    conf.max_invoices == 100000, "defaults: lnbc, 1 sat fee, "
	    "reserve max(2 sat, 1%%), 100000 invoices");
	conf.paid_delay = 1;
	if (!T((be = ln_fake_new(&conf)) != NULL, "fake backend made"))
		return (test_done());
	T(strcmp(ln_name(be), "fake") == 0, "its name");
	T(ln_fake_node_id(be, node) == 0 && (node[0] == 2 || node[0] == 3),
	    "its node id");
	bdhke_tohex(hex, node, 33);
	/* SHA-256 of the documented constant; a change breaks old invoices. */
	T(strcmp(hex, "02a657f5d15449f9da3a3009b83f8858577845a15b9daa442772"
	    "abd4849257e725") == 0,
	    "node id is the documented throwaway key's");

	/* An invoice: real, signed, ours, UNPAID, then PAID after 1 s. */
	T(create(be, &g, 1337000, "test", 3600) == 0 && g.inv.ok,
	    "create: one answer, from the loop");
	T(strncmp(g.inv.bolt11, "lnbc13370n1", 11) == 0,
	    "1337 sat: lnbc13370n1... (%.16s)", g.inv.bolt11);
	T(bolt11_decode(&b, g.inv.bolt11) == 0 && b.has_amount &&
	    b.amount_msat == 1337000 &&
	    memcmp(b.payment_hash, g.inv.payment_hash, 32) == 0 &&
	    memcmp(b.payee, node, 33) == 0 && b.has_description &&
	    strcmp(b.description, "test") == 0 && b.expiry == 3600 &&
	    bolt11_feature(&b, 14) && b.network == BOLT11_MAINNET,
	    "the invoice decodes: amount, hash, payee, description, expiry");
	hex_encode(hex, g.inv.payment_hash, 32);
	T(strcmp(g.inv.checking_id, hex) == 0 &&
	    g.inv.amount_msat == 1337000 &&
	    g.inv.expires_at == (int64_t)b.timestamp + 3600,
	    "checking id is the hash in hex; amount and expiry");
	memcpy(hash, g.inv.payment_hash, 32);
	T(status(be, &g, hash) == 0 && g.st.state == LN_INVOICE_UNPAID &&
	    memcmp(g.st.payment_hash, hash, 32) == 0, "status: UNPAID");
	run_for(1100);
	T(status(be, &g, hash) == 0 && g.st.state == LN_INVOICE_PAID &&
	    g.st.amount_paid_msat == 1337000, "after the delay: PAID");
	memset(h2, 0xee, 32);
	T(status(be, &g, h2) == 0 && g.st.state == LN_INVOICE_UNKNOWN,
	    "status of a hash never seen: UNKNOWN");

	/* An invoice that expires before the delay ends. */
	T(create(be, &g, 5000, NULL, 1) == 0 && g.inv.ok &&
	    bolt11_decode(&b, g.inv.bolt11) == 0 && b.has_description &&
	    b.description_len == 0 && b.expiry == 1,
	    "create with no description, expiry 1 s");
	memcpy(h2, g.inv.payment_hash, 32);
	run_for(1100);
	T(status(be, &g, h2) == 0 && g.st.state == LN_INVOICE_EXPIRED,
	    "not paid before its expiry: EXPIRED");

	/* Somebody else's invoice. */
	foreign(inv, sizeof(inv), BOLT11_MAINNET, 21000, "coffee", 0, hash);
	T(pay(be, &g, inv, 0, 2000) == 0 &&
	    g.pay.state == LN_PAYMENT_SUCCEEDED &&
	    memcmp(g.pay.payment_hash, hash, 32) == 0 &&
	    memcmp(g.pay.preimage, zero, 32) == 0 &&
	    g.pay.fee_msat == 1000 && g.pay.amount_msat == 21000,
	    "pay another's invoice: SUCCEEDED, fee 1 sat, zero preimage");
	T(pstatus(be, &g, hash) == 0 && g.pay.state == LN_PAYMENT_SUCCEEDED &&
	    g.pay.fee_msat == 1000, "payment status: SUCCEEDED");
	T(pay(be, &g, inv, 0, 2000) == 0 && g.pay.state == LN_PAYMENT_FAILED,
	    "paying it again: FAILED (%s)", g.pay.error);
	memset(h2, 0xdd, 32);
	T(pstatus(be, &g, h2) == 0 && g.pay.state == LN_PAYMENT_UNKNOWN,
	    "status of a payment never made: UNKNOWN");

	foreign(inv, sizeof(inv), BOLT11_MAINNET, 21000, "x", 0, NULL);
	T(pay(be, &g, inv, 0, 999) == 0 && g.pay.state == LN_PAYMENT_FAILED,
	    "fee limit below the fee: FAILED (%s)", g.pay.error);
	T(pay(be, &g, inv, 21001, 2000) == 0 &&
	    g.pay.state == LN_PAYMENT_FAILED,
	    "an amount other than the invoice's: FAILED (%s)", g.pay.error);
	T(pay(be, &g, inv, 21000, 2000) == 0 &&
	    g.pay.state == LN_PAYMENT_SUCCEEDED && g.pay.amount_msat == 21000,
	    "the invoice's own amount given: SUCCEEDED");
	foreign(inv, sizeof(inv), BOLT11_MAINNET, 0, "donate", 0, NULL);
	T(pay(be, &g, inv, 0, 2000) == 0 && g.pay.state == LN_PAYMENT_FAILED,
	    "amountless without an amount: FAILED (%s)", g.pay.error);
	T(pay(be, &g, inv, 7000, 2000) == 0 &&
	    g.pay.state == LN_PAYMENT_SUCCEEDED && g.pay.amount_msat == 7000,
	    "amountless with 7 sat: SUCCEEDED");
	foreign(inv, sizeof(inv), BOLT11_REGTEST, 1000, "x", 0, NULL);
	T(pay(be, &g, inv, 0, 2000) == 0 && g.pay.state == LN_PAYMENT_FAILED,
	    "regtest invoice on mainnet: FAILED (%s)", g.pay.error);
	foreign(inv, sizeof(inv), BOLT11_MAINNET, 1000, "x", 1496314658, NULL);
	T(pay(be, &g, inv, 0, 2000) == 0 && g.pay.state == LN_PAYMENT_FAILED,
	    "expired invoice: FAILED (%s)", g.pay.error);
	T(pay(be, &g, "lnbc1garbage", 0, 2000) == 0 &&
	    g.pay.state == LN_PAYMENT_FAILED,
	    "not an invoice: FAILED (%s)", g.pay.error);

	/* The knobs. */
	foreign(inv, sizeof(inv), BOLT11_MAINNET, 1000, "x fake:fail y", 0,
	    hash);
	T(pay(be, &g, inv, 0, 2000) == 0 && g.pay.state == LN_PAYMENT_FAILED &&
	    pstatus(be, &g2, hash) == 0 && g2.pay.state == LN_PAYMENT_FAILED,
	    "fake:fail: FAILED, and so says payment status");
	T(pay(be, &g, inv, 0, 2000) == 0 && g.pay.state == LN_PAYMENT_FAILED,
	    "fake:fail: a retry is allowed and fails again");
	foreign(inv, sizeof(inv), BOLT11_MAINNET, 1000, "fake:pending", 0,
	    hash);
	T(pay(be, &g, inv, 0, 2000) == 0 &&
	    g.pay.state == LN_PAYMENT_PENDING &&
	    pstatus(be, &g2, hash) == 0 && g2.pay.state == LN_PAYMENT_PENDING,
	    "fake:pending: PENDING, and so says payment status");
	T(pay(be, &g, inv, 0, 2000) == 0 && g.pay.state == LN_PAYMENT_FAILED,
	    "paying it again while pending: FAILED (%s)", g.pay.error);
	T(ln_fake_resolve(be, hash, 1) == 0 && pstatus(be, &g, hash) == 0 &&
	    g.pay.state == LN_PAYMENT_SUCCEEDED && g.pay.fee_msat == 1000,
	    "resolved: SUCCEEDED");
	T(ln_fake_resolve(be, hash, 0) == -1, "resolving twice refused");
	foreign(inv, sizeof(inv), BOLT11_MAINNET, 1000, "fake:unknown", 0,
	    hash);
	T(pay(be, &g, inv, 0, 2000) == 0 &&
	    g.pay.state == LN_PAYMENT_UNKNOWN &&
	    pstatus(be, &g2, hash) == 0 && g2.pay.state == LN_PAYMENT_UNKNOWN,
	    "fake:unknown: UNKNOWN, and so says payment status");
	T(ln_fake_resolve(be, hash, 0) == 0 && pstatus(be, &g, hash) == 0 &&
	    g.pay.state == LN_PAYMENT_FAILED, "resolved: FAILED");
	T(pay(be, &g, inv, 0, 2000) == 0 && g.pay.state == LN_PAYMENT_UNKNOWN,
	    "after a failure it may be paid again");
	memset(h2, 0x99, 32);
	T(ln_fake_resolve(be, h2, 1) == -1, "resolving no payment refused");

	/* Fee reserve: max(2 sat, 1%), whole sats. */
	T(ln_fee_reserve(be, 0) == 2000 && ln_fee_reserve(be, 1000) == 2000 &&
	    ln_fee_reserve(be, 200000) == 2000 &&
	    ln_fee_reserve(be, 200001) == 3000 &&
	    ln_fee_reserve(be, 1000000) == 10000 &&
	    ln_fee_reserve(be, 1337000) == 14000 &&
	    ln_fee_reserve(be, BOLT11_MAX_MSAT) == BOLT11_MAX_MSAT / 100,
	    "fee reserve like nutshell's");
	T(ln_reserve(UINT64_MAX, 0, 100) == UINT64_MAX / 1000 * 1000 &&
	    ln_reserve(150, 0, 1) == 1000 && ln_reserve(0, 0, 1) == 0 &&
	    ln_reserve(100, 0, 200) == 1000, "ln_reserve edges");

	/* Bad arguments: 0 and no callback. */
	memset(&g, 0, sizeof(g));
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	T(ln_create_invoice(be, 0, "x", 60, got_invoice, &g) == 0 &&
	    ln_create_invoice(be, BOLT11_MAX_MSAT + 1, "x", 60, got_invoice,
	    &g) == 0 &&
	    ln_create_invoice(be, 1000, "x", 0, got_invoice, &g) == 0 &&
	    ln_create_invoice(be, 1000, "x", LN_EXPIRY_MAX + 1, got_invoice,
	    &g) == 0 &&
	    ln_create_invoice(be, 1000, big, 60, got_invoice, &g) == 0 &&
	    ln_create_invoice(be, 1000, "x", 60, NULL, &g) == 0 &&
	    ln_pay_invoice(be, NULL, 0, 0, got_payment, &g) == 0 &&
	    ln_invoice_status(be, NULL, got_status, &g) == 0,
	    "bad arguments: refused with 0");
	run_for(10);
	T(g.n == 0, "... and no callback");
	big[BOLT11_DESC_MAX] = '\0';
	T(create(be, &g, 1000, big, 60) == 0 && g.inv.ok,
	    "a description of %d bytes", BOLT11_DESC_MAX);
	T(create(be, &g, 1000, "caf\xe9", 60) == 0 && !g.inv.ok &&
	    g.inv.error[0] != '\0', "a description not in UTF-8: error "
	    "in the callback (%s)", g.inv.error);

	/* Cancelled: no callback. */
	memset(&g, 0, sizeof(g));
	id = ln_create_invoice(be, 1000, "x", 60, got_invoice, &g);
	ln_cancel(be, id);
	ln_cancel(be, id + 1000);
	run_for(20);
	T(id != 0 && g.n == 0, "cancelled request: no callback");
	ln_free(be);

	/* Our own invoice, paid internally. */
	conf.paid_delay = 3600;
	be = ln_fake_new(&conf);
	T(create(be, &g, 50000, "own", 600) == 0 && g.inv.ok,
	    "own invoice made (paid only after an hour)");
	memcpy(hash, g.inv.payment_hash, 32);
	memcpy(inv, g.inv.bolt11, strlen(g.inv.bolt11) + 1);
	T(pay(be, &g, inv, 0, 0) == 0 &&
	    g.pay.state == LN_PAYMENT_SUCCEEDED && g.pay.fee_msat == 0 &&
	    g.pay.amount_msat == 50000,
	    "own invoice paid internally: SUCCEEDED, fee 0 within limit 0");
	sha256(pre, g.pay.preimage, 32);
	T(memcmp(pre, hash, 32) == 0, "its preimage hashes to the hash");
	T(status(be, &g, hash) == 0 && g.st.state == LN_INVOICE_PAID,
	    "own invoice now PAID");
	T(pay(be, &g, inv, 0, 0) == 0 && g.pay.state == LN_PAYMENT_FAILED,
	    "own invoice paid twice: FAILED (%s)", g.pay.error);
	T(create(be, &g, 1000, "fake:pending own", 600) == 0 && g.inv.ok,
	    "own invoice with fake:pending");
	memcpy(hash, g.inv.payment_hash, 32);
	memcpy(inv, g.inv.bolt11, strlen(g.inv.bolt11) + 1);
	T(pay(be, &g, inv, 0, 0) == 0 && g.pay.state == LN_PAYMENT_PENDING &&
	    status(be, &g2, hash) == 0 && g2.st.state == LN_INVOICE_UNPAID,
	    "pending: the invoice stays UNPAID");
	T(ln_fake_resolve(be, hash, 1) == 0 && pstatus(be, &g, hash) == 0 &&
	    g.pay.state == LN_PAYMENT_SUCCEEDED &&
	    (sha256(pre, g.pay.preimage, 32), memcmp(pre, hash, 32) == 0) &&
	    status(be, &g2, hash) == 0 && g2.st.state == LN_INVOICE_PAID,
	    "resolved: SUCCEEDED with the preimage, invoice PAID");
	ln_free(be);

	/* Paid at once with delay 0; a payment that takes a second. */
	conf.paid_delay = 0;
	conf.pay_delay = 1;
	be = ln_fake_new(&conf);
	T(create(be, &g, 1000, "now", 60) == 0 && g.inv.ok &&
	    status(be, &g2, g.inv.payment_hash) == 0 &&
	    g2.st.state == LN_INVOICE_PAID, "delay 0: PAID at once");
	memcpy(inv, g.inv.bolt11, strlen(g.inv.bolt11) + 1);
	T(pay(be, &g, inv, 0, 0) == 0 && g.pay.state == LN_PAYMENT_SUCCEEDED,
	    "an own invoice that paid itself can still be paid once "
	    "(a melt of a mint quote's invoice)");
	T(pay(be, &g, inv, 0, 0) == 0 && g.pay.state == LN_PAYMENT_FAILED,
	    "... but not twice (%s)", g.pay.error);
	foreign(inv, sizeof(inv), BOLT11_MAINNET, 3000, "slow", 0, hash);
	memset(&g, 0, sizeof(g));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	T(ln_pay_invoice(be, inv, 0, 5000, got_payment, &g) != 0,
	    "slow payment started");
	run_for(300);
	T(g.n == 0 && pstatus(be, &g2, hash) == 0 &&
	    g2.pay.state == LN_PAYMENT_PENDING,
	    "after 0.3 s: no answer yet, status PENDING");
	run_until(&g.n, 3000);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	T(g.n == 1 && g.pay.state == LN_PAYMENT_SUCCEEDED &&
	    (t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000 >= 990,
	    "answer SUCCEEDED after a second");
	T(pstatus(be, &g2, hash) == 0 && g2.pay.state == LN_PAYMENT_SUCCEEDED,
	    "status SUCCEEDED");
	ln_free(be);

	/* The bound: the expired go first, else the oldest. */
	conf.paid_delay = 3600;
	conf.pay_delay = 0;
	conf.max_invoices = 3;
	be = ln_fake_new(&conf);
	n = create(be, &g, 1000, "B", 3600);
	memcpy(hashes[0], g.inv.payment_hash, 32);
	n |= create(be, &g, 1000, "A", 1);
	memcpy(hashes[1], g.inv.payment_hash, 32);
	n |= create(be, &g, 1000, "C", 3600);
	memcpy(hashes[2], g.inv.payment_hash, 32);
	run_for(1100);
	n |= create(be, &g, 1000, "D", 3600);
	memcpy(hashes[3], g.inv.payment_hash, 32);
	T(n == 0 && status(be, &g, hashes[1]) == 0 &&
	    g.st.state == LN_INVOICE_UNKNOWN &&
	    status(be, &g2, hashes[0]) == 0 &&
	    g2.st.state == LN_INVOICE_UNPAID,
	    "full: the expired one is forgotten, the oldest kept");
	n = create(be, &g, 1000, "E", 3600);
	T(n == 0 && status(be, &g, hashes[0]) == 0 &&
	    g.st.state == LN_INVOICE_UNKNOWN, "none expired: the oldest goes");
	for (i = 2, n = 0; i < 4; i++)
		if (status(be, &g, hashes[i]) == 0 &&
		    g.st.state == LN_INVOICE_UNPAID)
			n++;
	T(n == 2, "the others kept");
	for (i = 0; i < 10; i++)
		create(be, &g, 1000 + i, "many", 60);
	for (i = 0, n = 0; i < 5; i++) {
		foreign(inv, sizeof(inv), BOLT11_MAINNET, 1000 + i, "p", 0,
		    ph[i]);
		if (pay(be, &g, inv, 0, 2000) == 0 &&
		    g.pay.state == LN_PAYMENT_SUCCEEDED)
			n++;
	}
	for (i = 0; i < 5; i++)
		if (pstatus(be, &g, ph[i]) == 0 && g.pay.state ==
		    (i < 2 ? LN_PAYMENT_UNKNOWN : LN_PAYMENT_SUCCEEDED))
			n++;
	T(n == 10, "payments are bounded too: the oldest forgotten");

	/* A callback may free the backend while others are in flight. */
	be2 = be;
	memset(&g, 0, sizeof(g));
	id = ln_payment_status(be, hashes[0], free_in_callback, &be2);
	T(id != 0 && ln_create_invoice(be, 1000, "x", 60, got_invoice, &g) !=
	    0, "two requests in flight");
	run_for(50);
	T(be2 == NULL && g.n == 0,
	    "freed from a callback: the other one is dropped");

	T(reentered == 0, "no callback ran inside the call that asked");
	secp256k1_context_destroy(ctx);
	return (test_done());
}
