/*
 * The part of the Lightning backend interface that every backend shares:
 * argument checks, request ids, cancellation, and the rule that
 * callbacks come from the event loop and never from inside a call.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/time.h>

#include <event.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lightning.h"
#include "log.h"

enum req_kind {
	REQ_INVOICE,
	REQ_INVOICE_STATUS,
	REQ_PAY,
	REQ_PAYMENT_STATUS
};

struct ln_request {
	TAILQ_ENTRY(ln_request)	 entry;
	struct ln_backend	*be;
	enum req_kind		 kind;
	struct ln_call		 call;
	char			*description;
	char			*bolt11;
	int			 answered;
	int			 cancelled;
	struct event		 ev;
	union {
		ln_invoice_cb		 invoice;
		ln_invoice_status_cb	 status;
		ln_payment_cb		 payment;
	}			 cb;
	void			*arg;
	union {
		struct ln_invoice	 invoice;
		struct ln_invoice_status status;
		struct ln_payment	 payment;
	}			 res;
};

struct ln_backend {
	const struct ln_backend_ops	*ops;
	void				*softc;
	TAILQ_HEAD(, ln_request)	 reqs;
	uint64_t			 next_id;
};

static struct ln_request *req_new(struct ln_backend *, enum req_kind,
		    void *);
static void	 req_free(struct ln_request *);
static void	 req_answer(struct ln_request *, const struct timeval *);
static void	 req_deliver(int, short, void *);

struct ln_backend *
ln_backend_new(const struct ln_backend_ops *ops, void *softc)
{
	struct ln_backend	*be;

	if ((be = calloc(1, sizeof(*be))) == NULL)
		return (NULL);
	be->ops = ops;
	be->softc = softc;
	be->next_id = 1;
	TAILQ_INIT(&be->reqs);
	return (be);
}

void *
ln_backend_softc(const struct ln_backend *be)
{
	return (be->softc);
}

const struct ln_backend_ops *
ln_backend_ops(const struct ln_backend *be)
{
	return (be->ops);
}

const char *
ln_name(const struct ln_backend *be)
{
	return (be->ops->name);
}

void
ln_free(struct ln_backend *be)
{
	struct ln_request	*req;

	if (be == NULL)
		return;
	be->ops->free(be);
	while ((req = TAILQ_FIRST(&be->reqs)) != NULL) {
		TAILQ_REMOVE(&be->reqs, req, entry);
		req_free(req);
	}
	free(be);
}

uint64_t
ln_fee_reserve(const struct ln_backend *be, uint64_t amount_msat)
{
	return (be->ops->fee_reserve(be, amount_msat));
}

uint64_t
ln_create_invoice(struct ln_backend *be, uint64_t amount_msat,
    const char *description, uint32_t expiry, ln_invoice_cb cb, void *arg)
{
	struct ln_request	*req;

	if (cb == NULL || amount_msat == 0 || amount_msat > BOLT11_MAX_MSAT ||
	    expiry == 0 || expiry > LN_EXPIRY_MAX || (description != NULL &&
	    strnlen(description, BOLT11_DESC_MAX + 1) > BOLT11_DESC_MAX))
		return (0);
	if ((req = req_new(be, REQ_INVOICE, arg)) == NULL)
		return (0);
	if ((req->description = strdup(description != NULL ?
	    description : "")) == NULL) {
		req_free(req);
		return (0);
	}
	req->cb.invoice = cb;
	req->call.amount_msat = amount_msat;
	req->call.expiry = expiry;
	req->call.description = req->description;
	TAILQ_INSERT_TAIL(&be->reqs, req, entry);
	be->ops->create_invoice(be, req, &req->call);
	return (req->call.id);
}

uint64_t
ln_invoice_status(struct ln_backend *be, const uint8_t payment_hash[32],
    ln_invoice_status_cb cb, void *arg)
{
	struct ln_request	*req;

	if (cb == NULL || payment_hash == NULL ||
	    (req = req_new(be, REQ_INVOICE_STATUS, arg)) == NULL)
		return (0);
	req->cb.status = cb;
	memcpy(req->call.payment_hash, payment_hash, 32);
	TAILQ_INSERT_TAIL(&be->reqs, req, entry);
	be->ops->invoice_status(be, req, &req->call);
	return (req->call.id);
}

uint64_t
ln_pay_invoice(struct ln_backend *be, const char *bolt11,
    uint64_t amount_msat, uint64_t fee_limit_msat, ln_payment_cb cb,
    void *arg)
{
	struct ln_request	*req;

	if (cb == NULL || bolt11 == NULL ||
	    strnlen(bolt11, BOLT11_MAX_LEN + 1) > BOLT11_MAX_LEN ||
	    amount_msat > BOLT11_MAX_MSAT || fee_limit_msat > BOLT11_MAX_MSAT)
		return (0);
	if ((req = req_new(be, REQ_PAY, arg)) == NULL)
		return (0);
	if ((req->bolt11 = strdup(bolt11)) == NULL) {
		req_free(req);
		return (0);
	}
	req->cb.payment = cb;
	req->call.amount_msat = amount_msat;
	req->call.fee_limit_msat = fee_limit_msat;
	req->call.bolt11 = req->bolt11;
	TAILQ_INSERT_TAIL(&be->reqs, req, entry);
	be->ops->pay_invoice(be, req, &req->call);
	return (req->call.id);
}

uint64_t
ln_payment_status(struct ln_backend *be, const uint8_t payment_hash[32],
    ln_payment_cb cb, void *arg)
{
	struct ln_request	*req;

	if (cb == NULL || payment_hash == NULL ||
	    (req = req_new(be, REQ_PAYMENT_STATUS, arg)) == NULL)
		return (0);
	req->cb.payment = cb;
	memcpy(req->call.payment_hash, payment_hash, 32);
	TAILQ_INSERT_TAIL(&be->reqs, req, entry);
	be->ops->payment_status(be, req, &req->call);
	return (req->call.id);
}

void
ln_cancel(struct ln_backend *be, uint64_t id)
{
	struct ln_request	*req;

	TAILQ_FOREACH(req, &be->reqs, entry)
		if (req->call.id == id) {
			req->cancelled = 1;
			break;
		}
}

void
ln_done_invoice(struct ln_request *req, const struct ln_invoice *inv)
{
	if (req->kind != REQ_INVOICE || req->answered) {
		log_warnx("%s: %s answered twice or wrongly", __func__,
		    req->be->ops->name);
		return;
	}
	req->res.invoice = *inv;
	req_answer(req, NULL);
}

void
ln_done_invoice_status(struct ln_request *req,
    const struct ln_invoice_status *st)
{
	if (req->kind != REQ_INVOICE_STATUS || req->answered) {
		log_warnx("%s: %s answered twice or wrongly", __func__,
		    req->be->ops->name);
		return;
	}
	req->res.status = *st;
	req_answer(req, NULL);
}

void
ln_done_payment(struct ln_request *req, const struct ln_payment *p,
    const struct timeval *after)
{
	if ((req->kind != REQ_PAY && req->kind != REQ_PAYMENT_STATUS) ||
	    req->answered) {
		log_warnx("%s: %s answered twice or wrongly", __func__,
		    req->be->ops->name);
		return;
	}
	req->res.payment = *p;
	req_answer(req, after);
}

/*
 * max(min_msat, percent of amount_msat), both rounded up to whole sats
 * (nutshell's fee_reserve).  Saturates instead of overflowing.
 */
uint64_t
ln_reserve(uint64_t amount_msat, uint64_t min_msat, uint32_t percent)
{
	uint64_t	 r;

	if (percent > 100)
		percent = 100;
	r = amount_msat / 100 * percent +
	    ((amount_msat % 100) * percent + 99) / 100;
	if (r < min_msat)
		r = min_msat;
	if (r > UINT64_MAX - 999)
		return (UINT64_MAX / 1000 * 1000);
	return ((r + 999) / 1000 * 1000);
}

static struct ln_request *
req_new(struct ln_backend *be, enum req_kind kind, void *arg)
{
	struct ln_request	*req;

	if ((req = calloc(1, sizeof(*req))) == NULL)
		return (NULL);
	req->be = be;
	req->kind = kind;
	req->arg = arg;
	req->call.id = be->next_id++;
	evtimer_set(&req->ev, req_deliver, req);
	return (req);
}

static void
req_free(struct ln_request *req)
{
	if (evtimer_pending(&req->ev, NULL))
		evtimer_del(&req->ev);
	free(req->description);
	free(req->bolt11);
	explicit_bzero(&req->res, sizeof(req->res));
	free(req);
}

/* A timer, even of zero, runs the callback from the loop, not from here. */
static void
req_answer(struct ln_request *req, const struct timeval *after)
{
	struct timeval	 tv = { 0, 0 };

	req->answered = 1;
	if (after != NULL)
		tv = *after;
	evtimer_add(&req->ev, &tv);
}

static void
req_deliver(int fd, short events, void *arg)
{
	struct ln_request	*req = arg;

	/* Off the list first: the callback may free the backend. */
	TAILQ_REMOVE(&req->be->reqs, req, entry);
	if (!req->cancelled) {
		switch (req->kind) {
		case REQ_INVOICE:
			req->cb.invoice(&req->res.invoice, req->arg);
			break;
		case REQ_INVOICE_STATUS:
			req->cb.status(&req->res.status, req->arg);
			break;
		case REQ_PAY:
		case REQ_PAYMENT_STATUS:
			req->cb.payment(&req->res.payment, req->arg);
			break;
		}
	}
	req_free(req);
}
