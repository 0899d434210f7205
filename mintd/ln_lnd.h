/*
 * ln_lnd.c: LND's REST API as the mint's Lightning backend, over
 * curlev (common/curlev.h), so that it runs in mintd's sandbox: names
 * resolved by the parent, LND's self-signed tls.cert as the only CA,
 * the macaroon (hex) in Grpc-Metadata-macaroon.
 *
 *	create_invoice	POST /v1/invoices
 *	invoice_status	GET  /v1/invoice/{payment hash, hex}
 *	pay		POST /v2/router/send (NDJSON until a final status)
 *	track		GET  /v2/router/track/{payment hash, base64url}
 *
 * Every operation is asynchronous: it returns a handle, or NULL when it
 * cannot even start (bad arguments, no memory), and later calls its
 * callback once, from the event loop, unless cancelled.  The result is
 * valid during the callback only.
 *
 * Money rules for pay and track (cashu.md section 9): only a status
 * line from LND says SUCCEEDED (with a preimage that hashes to the
 * payment hash) or FAILED.  Anything uncertain is IN_FLIGHT (LND said
 * so and no final status came in time) or UNKNOWN (an error line, an
 * answer we do not understand, a timeout after the request went out):
 * the caller keeps the quote pending and asks again with track.  A pay
 * request that never reached LND (no connection, TLS refused) FAILED.
 */

#ifndef LN_LND_H
#define LN_LND_H

#include <stddef.h>
#include <stdint.h>

#define LND_HASH_LEN		32
#define LND_BOLT11_MAX		2048		/* IPC_BOLT11_MAX */
#define LND_TEXT_MAX		256		/* reasons, errors */
#define LND_MACAROON_MAX	8192		/* bytes */
#define LND_CERT_MAX		(64 * 1024)	/* tls.cert, PEM */
#define LND_MEMO_MAX		639		/* BOLT11 'd' field */
#define LND_CALL_MS		30000		/* unary calls, track */
#define LND_PAY_SLACK_MS	30000		/* pay: LND's + this */

/* lr_error */
#define LND_OK			0
#define LND_E_TRANSPORT		1	/* no answer: connect, TLS... */
#define LND_E_LND		2	/* LND said no: lr_code, lr_errstr */
#define LND_E_PROTOCOL		3	/* an answer not understood */

/* lr_invoice */
#define LND_INVOICE_OPEN	1
#define LND_INVOICE_SETTLED	2
#define LND_INVOICE_CANCELED	3
#define LND_INVOICE_ACCEPTED	4	/* held, not settled: not paid */

/* lr_payment */
#define LND_PAY_SUCCEEDED	1
#define LND_PAY_FAILED		2
#define LND_PAY_IN_FLIGHT	3
#define LND_PAY_UNKNOWN		4
#define LND_PAY_NOT_FOUND	5	/* track: LND never started one */

struct lnd_result {
	/* create_invoice, invoice_status: 0 or LND_E_* */
	int		 lr_error;
	int		 lr_code;	/* LND's gRPC code, or -1 */
	char		 lr_errstr[LND_TEXT_MAX];

	/* create_invoice */
	char		 lr_bolt11[LND_BOLT11_MAX];
	uint8_t		 lr_hash[LND_HASH_LEN];
	uint64_t	 lr_add_index;

	/* invoice_status */
	int		 lr_invoice;		/* LND_INVOICE_* */
	uint64_t	 lr_paid_msat;

	/* pay, track: always set, lr_error stays 0 */
	int		 lr_payment;		/* LND_PAY_* */
	int		 lr_has_preimage;	/* SUCCEEDED */
	uint8_t		 lr_preimage[LND_HASH_LEN];
	uint64_t	 lr_fee_msat;		/* SUCCEEDED */
	char		 lr_reason[LND_TEXT_MAX]; /* why not SUCCEEDED */
};

struct lnd;
struct lnd_op;

/*
 * url: "https://host:port" of LND's REST listener (a path prefix is
 * kept); macaroon: the file's bytes; ca: LND's tls.cert (PEM), or NULL
 * to use the system's bundle.  All copied.  Call it before the sandbox,
 * after curlev_init(): it seeds jansson, which reads /dev/urandom.
 */
struct lnd	*lnd_new(const char *, const void *, size_t, const void *,
		    size_t);
/* Cancels every operation in flight, without callbacks. */
void		 lnd_free(struct lnd *);
/*
 * Unary calls and track time out after call_ms (LND_CALL_MS); pay after
 * LND's timeout_seconds plus slack_ms (LND_PAY_SLACK_MS).  0: default.
 */
void		 lnd_set_timeouts(struct lnd *, uint32_t, uint32_t);

struct lnd_op	*lnd_create_invoice(struct lnd *, uint64_t, const char *,
		    uint32_t, void (*)(const struct lnd_result *, void *),
		    void *);
struct lnd_op	*lnd_invoice_status(struct lnd *, const uint8_t *,
		    void (*)(const struct lnd_result *, void *), void *);
/* bolt11, amount in msat (0: the invoice's), fee limit in msat, LND's
 * timeout_seconds */
struct lnd_op	*lnd_pay(struct lnd *, const char *, uint64_t, uint64_t,
		    uint32_t, void (*)(const struct lnd_result *, void *),
		    void *);
struct lnd_op	*lnd_track(struct lnd *, const uint8_t *,
		    void (*)(const struct lnd_result *, void *), void *);
/* No callback after this; not from the op's own callback. */
void		 lnd_cancel(struct lnd_op *);

const char	*lnd_payment_name(int);
const char	*lnd_invoice_name(int);

#endif /* LN_LND_H */
