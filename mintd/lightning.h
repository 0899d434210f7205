/*
 * The Lightning backend of the mint: the small interface that the fake
 * backend (ln_fake.c) and a real one (LND REST) implement, for mintd's
 * single-threaded libevent loop (the event_init() base).
 *
 * Every call returns a request id (never 0) and later calls its callback
 * exactly once, from the event loop: never from inside the call itself,
 * not even when the answer is known at once.  The result passed to the
 * callback, and every pointer in it, is valid only during the callback.
 * A call returns 0, and never calls back, only when its arguments are
 * bad (see each call) or memory runs out; every other failure arrives in
 * the callback.  ln_cancel() forgets a request: its callback is not
 * called, but what it started (a payment!) is not undone.
 *
 * All amounts are millisatoshi.  Times are seconds since 1970.
 */

#ifndef LIGHTNING_H
#define LIGHTNING_H

#include <sys/time.h>

#include <stdint.h>

#include "bolt11.h"

#define LN_CHECKING_ID_MAX	128
#define LN_ERROR_MAX		128
#define LN_EXPIRY_MAX		(365 * 24 * 3600)	/* create_invoice */
/* The fee reserve of a payment, as nutshell's: max(2 sat, 1%). */
#define LN_RESERVE_MIN_MSAT	2000
#define LN_RESERVE_PERCENT	1

struct ln_backend;

enum ln_invoice_state {
	LN_INVOICE_UNKNOWN,	/* not known to the backend, or no answer */
	LN_INVOICE_UNPAID,
	LN_INVOICE_PAID,
	LN_INVOICE_EXPIRED	/* unpaid and past its expiry */
};

enum ln_payment_state {
	LN_PAYMENT_UNKNOWN,	/* outcome not known: keep the funds locked */
	LN_PAYMENT_PENDING,	/* in flight: ask again with payment_status */
	LN_PAYMENT_SUCCEEDED,	/* preimage and fee_msat are set */
	LN_PAYMENT_FAILED	/* definitely not paid: funds may be released */
};

/* create_invoice: ok 1 with the invoice, or ok 0 and error. */
struct ln_invoice {
	int		 ok;
	char		 error[LN_ERROR_MAX];
	char		 bolt11[BOLT11_MAX_LEN + 1];
	uint8_t		 payment_hash[32];
	/* The backend's own key for the invoice (lower case hex of the hash
	 * for both ours); stored by the mint with the quote. */
	char		 checking_id[LN_CHECKING_ID_MAX];
	uint64_t	 amount_msat;
	int64_t		 expires_at;
};

struct ln_invoice_status {
	enum ln_invoice_state	 state;
	uint8_t			 payment_hash[32];
	uint64_t		 amount_paid_msat;	/* PAID */
	char			 error[LN_ERROR_MAX];	/* UNKNOWN: why */
};

/* pay_invoice and payment_status. */
struct ln_payment {
	enum ln_payment_state	 state;
	uint8_t			 payment_hash[32];	/* "" if undecodable */
	uint8_t			 preimage[32];		/* SUCCEEDED */
	uint64_t		 amount_msat;		/* to the payee */
	uint64_t		 fee_msat;		/* SUCCEEDED */
	char			 error[LN_ERROR_MAX];	/* FAILED, UNKNOWN */
};

typedef void	(*ln_invoice_cb)(const struct ln_invoice *, void *);
typedef void	(*ln_invoice_status_cb)(const struct ln_invoice_status *,
		    void *);
typedef void	(*ln_payment_cb)(const struct ln_payment *, void *);

/*
 * An invoice for amount_msat (1 .. BOLT11_MAX_MSAT) with a description
 * (NULL for none; UTF-8 up to BOLT11_DESC_MAX bytes) valid for expiry
 * seconds (1 .. LN_EXPIRY_MAX).
 */
uint64_t	 ln_create_invoice(struct ln_backend *, uint64_t amount_msat,
		    const char *description, uint32_t expiry, ln_invoice_cb,
		    void *arg);
/* Has the invoice with this payment hash been paid? */
uint64_t	 ln_invoice_status(struct ln_backend *,
		    const uint8_t payment_hash[32], ln_invoice_status_cb,
		    void *arg);
/*
 * Pay bolt11 (at most BOLT11_MAX_LEN characters).  amount_msat is 0 to
 * pay the invoice's amount, else the amount for an amountless invoice
 * (for an invoice with an amount it must be that amount).  Routing fees
 * above fee_limit_msat make the payment fail.  The backend decodes the
 * invoice first: one it cannot decode, of another network, expired or
 * already paid fails at once (FAILED).
 */
uint64_t	 ln_pay_invoice(struct ln_backend *, const char *bolt11,
		    uint64_t amount_msat, uint64_t fee_limit_msat,
		    ln_payment_cb, void *arg);
/* The state of an earlier payment by its payment hash. */
uint64_t	 ln_payment_status(struct ln_backend *,
		    const uint8_t payment_hash[32], ln_payment_cb, void *arg);
void		 ln_cancel(struct ln_backend *, uint64_t id);
/* What to hold back for routing fees when paying amount_msat, in whole
 * sats (a multiple of 1000 msat).  Synchronous. */
uint64_t	 ln_fee_reserve(const struct ln_backend *,
		    uint64_t amount_msat);
const char	*ln_name(const struct ln_backend *);
/* Requests still in flight are dropped without their callbacks. */
void		 ln_free(struct ln_backend *);

/*
 * The fake backend (ln_fake.c).  Its invoices are real, signed BOLT 11
 * invoices; they count as paid paid_delay seconds after they were made.
 * It pays any invoice of its network; see ln_fake.c for the knobs.
 */
struct ln_fake_conf {
	enum bolt11_network	 network;	/* default BOLT11_MAINNET */
	uint32_t		 paid_delay;	/* s until invoices are paid */
	uint32_t		 pay_delay;	/* s until a payment settles */
	uint64_t		 fee_msat;	/* routing fee of a payment */
	uint64_t		 reserve_min_msat;	/* fee reserve floor */
	uint32_t		 reserve_percent;	/* 0 .. 100 */
	size_t			 max_invoices;	/* and as many payments */
};

#define LN_FAKE_FEE_MSAT	1000	/* nutshell's FakeWallet: 1 sat */
#define LN_FAKE_MAX_INVOICES	100000
#define LN_FAKE_EXPIRY		3600	/* nutshell's default */

/* A description with one of these words makes a payment of it... */
#define LN_FAKE_FAIL		"fake:fail"	/* FAILED */
#define LN_FAKE_PENDING		"fake:pending"	/* PENDING until resolved */
#define LN_FAKE_UNKNOWN		"fake:unknown"	/* UNKNOWN until resolved */

void		 ln_fake_conf_init(struct ln_fake_conf *);
/* Before the sandbox: it sets up libcrypto and a secp256k1 context. */
struct ln_backend *ln_fake_new(const struct ln_fake_conf *);
/* The fake node's public key, the payee of its invoices. */
int		 ln_fake_node_id(const struct ln_backend *, uint8_t[33]);
/* Settle a PENDING or UNKNOWN payment: 1 succeeded, 0 failed.  -1 if
 * there is no such payment or it is settled already. */
int		 ln_fake_resolve(struct ln_backend *,
		    const uint8_t payment_hash[32], int succeeded);

/*
 * LND over its REST API (ln_lnd.c): url "https://host:port", the bytes
 * of the macaroon file, LND's tls.cert in PEM (NULL: the system's CAs),
 * all copied.  Before the sandbox, after curlev_init().  Payments give
 * up after LN_LND_PAY_TIMEOUT seconds of trying routes.
 */
#define LN_LND_PAY_TIMEOUT	60
struct ln_backend *ln_lnd_new(const char *, const void *, size_t,
		    const void *, size_t);

/*
 * For backends.  ln_backend_new() wraps a backend's state (softc) and
 * its operations; lightning.c checks the arguments, keeps the requests
 * and calls back from the event loop.  An operation must answer each
 * request exactly once with the matching ln_done_*() (at once or later)
 * until the backend's free operation has run.
 */
struct ln_request;

struct ln_call {
	uint64_t	 id;
	uint64_t	 amount_msat;
	uint64_t	 fee_limit_msat;
	uint32_t	 expiry;
	uint8_t		 payment_hash[32];
	const char	*description;	/* create_invoice: "" if none */
	const char	*bolt11;	/* pay_invoice */
};

struct ln_backend_ops {
	const char	*name;
	void		(*create_invoice)(struct ln_backend *,
			    struct ln_request *, const struct ln_call *);
	void		(*invoice_status)(struct ln_backend *,
			    struct ln_request *, const struct ln_call *);
	void		(*pay_invoice)(struct ln_backend *,
			    struct ln_request *, const struct ln_call *);
	void		(*payment_status)(struct ln_backend *,
			    struct ln_request *, const struct ln_call *);
	uint64_t	(*fee_reserve)(const struct ln_backend *, uint64_t);
	void		(*free)(struct ln_backend *);
};

struct ln_backend *ln_backend_new(const struct ln_backend_ops *, void *);
void		*ln_backend_softc(const struct ln_backend *);
const struct ln_backend_ops *ln_backend_ops(const struct ln_backend *);
void		 ln_done_invoice(struct ln_request *,
		    const struct ln_invoice *);
void		 ln_done_invoice_status(struct ln_request *,
		    const struct ln_invoice_status *);
/* after: when to call back (NULL: the next turn of the loop). */
void		 ln_done_payment(struct ln_request *, const struct ln_payment *,
		    const struct timeval *after);

/* For backends: the fee reserve. */
uint64_t	 ln_reserve(uint64_t amount_msat, uint64_t min_msat,
		    uint32_t percent);

#endif /* LIGHTNING_H */
