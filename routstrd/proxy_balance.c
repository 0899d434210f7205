/*
 * Routstr Core's balances: /v1/balance/create, /info, /topup and
 * /refund (and the deprecated /v1/wallet/... names).  A balance is a
 * ledger account paid with tokens of our own mint (proxy_pay.c).
 *
 * Differences from Routstr Core, on purpose: the keys /create makes are
 * random (Routstr's are SHA-256 of the token, which whoever saw the
 * token can compute); a refund is in whole sats and what is left under
 * a sat stays with the node (a token cannot carry it); a refund closes
 * the balance, and asking again gives the same token.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "hex.h"
#include "imsg.h"
#include "ipc.h"
#include "ledger.h"
#include "log.h"
#include "money.h"
#include "proc.h"
#include "proxy.h"
#include "token.h"

#define TOKEN_PARAM_MAX		(64 * 1024)

/* A balance request waiting for the mint or the ledger. */
struct balance_req {
	struct credential	 br_cred;
	char			*br_token;	/* the token paid in */
	uint32_t		 br_reqid;
	struct http_conn	*br_conn;
	int			 br_history;	/* info: /history instead */
	int			 br_retried;	/* X-Cashu: change made here */
};

static int	 route_is(const char *, const char *);
static char	*param_token(struct http_request *, json_t *, const char *);
static int	 balance_key(struct http_conn *, struct http_request *,
		    struct credential *);
static void	 create(struct http_conn *, struct http_request *);
static void	 redeem_param(struct http_conn *, struct http_request *,
		    const struct credential *, const char *, int,
		    pay_redeem_cb);
static void	 created(struct http_conn *, void *, int,
		    const struct ipc_ledger_reply *, const char *);
static void	 info(struct http_conn *, struct http_request *);
static void	 info_account(struct http_conn *, void *,
		    const struct ipc_account *);
static void	 topup(struct http_conn *, struct http_request *);
static void	 topped_up(struct http_conn *, void *, int,
		    const struct ipc_ledger_reply *, const char *);
static void	 refund(struct http_conn *, struct http_request *);
static void	 refunded(struct http_conn *, void *, int,
		    const struct ipc_ledger_reply *, const char *);
static void	 refund_record(struct http_conn *, struct balance_req *);
static void	 refund_recorded(struct imsg *, void *);
static void	 ledger_call_closed(struct http_conn *, void *);
static void	 history_got(struct imsg *, void *);
static void	 inflight_cashed(struct http_conn *, void *, int,
		    const struct ipc_ledger_reply *, const char *);
static struct balance_req *req_new(const struct credential *);
static void	 req_free(struct balance_req *);

/* /v1/balance/NAME, /v1/wallet/NAME, with or without a trailing '/'. */
static int
route_is(const char *path, const char *name)
{
	size_t	 n = strlen(name);

	if (strncmp(path, "/v1/balance/", 12) == 0)
		path += 12;
	else if (strncmp(path, "/v1/wallet/", 11) == 0)
		path += 11;
	else
		return (0);
	return (strncmp(path, name, n) == 0 &&
	    (path[n] == '\0' || (path[n] == '/' && path[n + 1] == '\0')));
}

int
balance_route(struct http_conn *conn, struct http_request *req)
{
	int	 get = strcmp(req->method, "GET") == 0,
		 post = strcmp(req->method, "POST") == 0;

	if (route_is(req->path, "create") && (get || post))
		create(conn, req);
	else if ((route_is(req->path, "info") ||
	    route_is(req->path, "history")) && get)
		info(conn, req);
	else if (route_is(req->path, "topup") && post)
		topup(conn, req);
	else if (route_is(req->path, "refund") && post)
		refund(conn, req);
	else if (route_is(req->path, "create") || route_is(req->path, "info") ||
	    route_is(req->path, "topup") || route_is(req->path, "refund") ||
	    route_is(req->path, "history"))
		proxy_reply_json(conn, 405, "{\"detail\":\"Method Not "
		    "Allowed\"}");
	else
		return (-1);
	return (0);
}

static struct balance_req *
req_new(const struct credential *cr)
{
	struct balance_req	*br;

	if ((br = calloc(1, sizeof(*br))) == NULL)
		fatal(NULL);
	br->br_cred = *cr;
	br->br_cred.cr_token = NULL;
	return (br);
}

static void
req_free(struct balance_req *br)
{
	if (br->br_token != NULL)
		freezero(br->br_token, strlen(br->br_token) + 1);
	explicit_bzero(&br->br_cred, sizeof(br->br_cred));
	free(br);
}

/* A token from the query (name=...) or the JSON body's field name. */
static char *
param_token(struct http_request *req, json_t *body, const char *name)
{
	json_t	*v;
	char	*t;
	int	 r;

	if (body != NULL && (v = json_object_get(body, name)) != NULL) {
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    json_string_length(v) > TOKEN_PARAM_MAX)
			return (NULL);
		if ((t = strdup(json_string_value(v))) == NULL)
			fatal(NULL);
		return (t);
	}
	if (req->query == NULL)
		return (NULL);
	if ((t = malloc(TOKEN_PARAM_MAX + 1)) == NULL)
		fatal(NULL);
	if ((r = url_query_get(req->query, name, t, TOKEN_PARAM_MAX + 1)) !=
	    1 || t[0] == '\0') {
		free(t);
		return (NULL);
	}
	return (t);
}

/*
 * POST /v1/balance/create {"initial_balance_token": "cashu..."}, or GET
 * ?initial_balance_token=...: a new balance with a random key.
 */
static void
create(struct http_conn *conn, struct http_request *req)
{
	struct credential	 cr;

	pay_new_key(&cr);
	redeem_param(conn, req, &cr, "initial_balance_token", REDEEM_CREATE,
	    created);
	explicit_bzero(&cr, sizeof(cr));
}

/* The token of the parameter name paid into cr's account (mode). */
static void
redeem_param(struct http_conn *conn, struct http_request *req,
    const struct credential *cr, const char *name, int mode,
    pay_redeem_cb cb)
{
	struct balance_req	*br;
	json_t			*body = NULL;
	char			 msg[64];

	if (req->bodylen > 0 && (body = proxy_body_json(req)) == NULL) {
		pay_error(conn, 400, "invalid_request_error", "invalid_json",
		    "the body is not a JSON object");
		return;
	}
	br = req_new(cr);
	br->br_token = param_token(req, body, name);
	json_decref(body);
	if (br->br_token == NULL) {
		req_free(br);
		(void)snprintf(msg, sizeof(msg), "%s: a Cashu token is needed",
		    name);
		pay_error(conn, 400, "invalid_request_error",
		    "invalid_cashu_token", msg);
		return;
	}
	pay_redeem(conn, &br->br_cred, br->br_token, mode, NULL, 0, 0, cb, br);
}

static void
created(struct http_conn *conn, void *arg, int code,
    const struct ipc_ledger_reply *lr, const char *detail)
{
	struct balance_req	*br = arg;
	char			 key[3 + 2 * CRED_SECRET_LEN + 1];
	json_t			*j;

	if (conn == NULL) {	/* the client left */
		req_free(br);
		return;
	}

	if (code != LEDGER_OK) {
		req_free(br);
		pay_redeem_error(conn, code, detail);
		return;
	}
	pay_api_key(&br->br_cred, key, sizeof(key));
	req_free(br);
	if ((j = json_pack("{s:s, s:I}", "api_key", key, "balance",
	    (json_int_t)lr->lr_balance)) == NULL)
		fatalx("json_pack");
	explicit_bzero(key, sizeof(key));
	proxy_reply_jt(conn, 200, j);
}

/* The balance's key (Bearer sk-... or a token); -1 after a 401. */
static int
balance_key(struct http_conn *conn, struct http_request *req,
    struct credential *cr)
{
	const char	*why = NULL;

	if (pay_credential(req, cr, &why) == -1 || cr->cr_kind == CRED_NONE ||
	    cr->cr_kind == CRED_XCASHU) {
		pay_error(conn, 401, "invalid_request_error",
		    cr->cr_kind == CRED_NONE && why == NULL ?
		    "missing_api_key" : "invalid_api_key",
		    why != NULL ? why : "an API key is needed");
		explicit_bzero(cr, sizeof(*cr));
		return (-1);
	}
	return (0);
}

/* GET /v1/balance/info and /history, Bearer sk-... or a token. */
static void
info(struct http_conn *conn, struct http_request *req)
{
	struct credential	 cr;
	struct balance_req	*br;

	if (balance_key(conn, req, &cr) == -1)
		return;
	br = req_new(&cr);
	br->br_history = route_is(req->path, "history");
	pay_account(conn, &cr, info_account, br);
	explicit_bzero(&cr, sizeof(cr));
}

static void
info_account(struct http_conn *conn, void *arg, const struct ipc_account *a)
{
	struct balance_req	*br = arg;
	char			 key[3 + 2 * CRED_SECRET_LEN + 1];
	uint64_t		 spendable;
	json_t			*j;

	if (conn == NULL) {	/* the client left */
		req_free(br);
		return;
	}

	if (a == NULL) {
		req_free(br);
		return;
	}
	if (br->br_history) {
		struct ipc_key	 k;
		struct peer	*p;

		memset(&k, 0, sizeof(k));
		memcpy(k.k_key, br->br_cred.cr_account, sizeof(k.k_key));
		br->br_conn = conn;
		http_conn_set_closecb(conn, ledger_call_closed, br);
		if ((p = peer_find(PROC_LEDGER, 0)) == NULL ||
		    (br->br_reqid = proc_request(p, IMSG_LEDGER_HISTORY, &k,
		    sizeof(k), IPC_TIMEOUT_MS, history_got, br)) == 0) {
			http_conn_set_closecb(conn, NULL, NULL);
			req_free(br);
			pay_error(conn, 503, "internal_error",
			    "internal_error", "the ledger is not available");
		}
		return;
	}
	pay_api_key(&br->br_cred, key, sizeof(key));
	req_free(br);
	if (money_sub(&spendable, a->a_balance, a->a_reserved) == -1)
		spendable = 0;
	if ((j = json_pack("{s:s, s:I, s:I, s:b, s:I, s:I, s:n, s:n, s:n}",
	    "api_key", key, "balance", (json_int_t)spendable, "reserved",
	    (json_int_t)a->a_reserved, "is_child", 0, "total_requests",
	    (json_int_t)a->a_requests, "total_spent", (json_int_t)a->a_spent,
	    "balance_limit", "balance_limit_reset", "validity_date")) == NULL)
		fatalx("json_pack");
	if (a->a_limit != 0)
		json_object_set_new(j, "balance_limit",
		    json_integer((json_int_t)a->a_limit));
	if (a->a_expiry != 0)
		json_object_set_new(j, "validity_date",
		    json_integer((json_int_t)a->a_expiry));
	explicit_bzero(key, sizeof(key));
	proxy_reply_jt(conn, 200, j);
}

/* POST /v1/balance/topup {"cashu_token": ...} or ?cashu_token=... */
static void
topup(struct http_conn *conn, struct http_request *req)
{
	struct credential	 cr;

	if (balance_key(conn, req, &cr) == -1)
		return;
	redeem_param(conn, req, &cr, "cashu_token", REDEEM_CREDIT, topped_up);
	explicit_bzero(&cr, sizeof(cr));
}

static void
topped_up(struct http_conn *conn, void *arg, int code,
    const struct ipc_ledger_reply *lr, const char *detail)
{
	struct balance_req	*br = arg;
	json_t			*j;

	if (conn == NULL) {	/* the client left */
		req_free(br);
		return;
	}

	req_free(br);
	if (code != LEDGER_OK) {
		pay_redeem_error(conn, code, detail);
		return;
	}
	if ((j = json_pack("{s:I}", "msats", (json_int_t)lr->lr_amount)) ==
	    NULL)
		fatalx("json_pack");
	proxy_reply_jt(conn, 200, j);
}

/*
 * POST /v1/balance/refund: the whole balance back as a token, the
 * balance closed.  Asked again, the same token.  With X-Cashu and the
 * token of an earlier X-Cashu payment: that payment's change, 425 while
 * its request still runs.
 */
static void
refund(struct http_conn *conn, struct http_request *req)
{
	struct credential	 cr;
	struct balance_req	*br;
	const char		*why = NULL;

	if (pay_credential(req, &cr, &why) == -1 || cr.cr_kind == CRED_NONE) {
		pay_error(conn, 401, "invalid_request_error",
		    cr.cr_kind == CRED_NONE && why == NULL ?
		    "missing_api_key" : "invalid_api_key",
		    why != NULL ? why : "an API key is needed");
		return;
	}
	br = req_new(&cr);
	explicit_bzero(&cr, sizeof(cr));
	if (br->br_cred.cr_kind == CRED_XCASHU) {
		refund_record(conn, br);
		return;
	}
	pay_cashout(conn, NULL, &br->br_cred, br->br_cred.cr_account, 0,
	    refunded, br);
}

static void
refunded(struct http_conn *conn, void *arg, int code,
    const struct ipc_ledger_reply *lr, const char *token)
{
	struct balance_req	*br = arg;
	char			 sats[24];
	json_t			*j;

	if (conn == NULL) {	/* the client left */
		req_free(br);
		return;
	}

	switch (code) {
	case LEDGER_OK:
		break;
	case LEDGER_CLOSED:
		/* Refunded before: the same token again. */
		refund_record(conn, br);
		return;
	case LEDGER_NOTFOUND:
		req_free(br);
		pay_error(conn, 401, "invalid_request_error",
		    "invalid_api_key", "Invalid API key");
		return;
	case LEDGER_RESERVED:
		req_free(br);
		pay_error(conn, 400, "invalid_request_error",
		    "balance_reserved", "a request is still using this "
		    "balance; try again when it is done");
		return;
	case LEDGER_STATE:
		req_free(br);
		pay_error(conn, 409, "invalid_request_error",
		    "balance_changed", "the balance changed meanwhile; try "
		    "again");
		return;
	case E_DISABLED:
		req_free(br);
		pay_error(conn, 503, "service_unavailable",
		    "refund_unavailable", "this node runs no mint of its own "
		    "and cannot pay balances out as ecash; the balance is "
		    "untouched and can still be spent here");
		return;
	default:
		req_free(br);
		pay_error(conn, 503, "internal_error", "internal_error",
		    "the refund could not be made; nothing was taken");
		return;
	}
	req_free(br);
	if (token == NULL) {
		pay_error(conn, 400, "invalid_request_error",
		    "balance_too_small", "Balance too small to refund");
		return;
	}
	(void)snprintf(sats, sizeof(sats), "%llu",
	    (unsigned long long)(lr->lr_amount / MSAT_PER_SAT));
	if ((j = json_pack("{s:s, s:s}", "token", token, "sats", sats)) ==
	    NULL)
		fatalx("json_pack");
	http_reply_header(conn, "X-Cashu", token);
	proxy_reply_jt(conn, 200, j);
}

/* The refund record of the credential's account, from the ledger. */
static void
refund_record(struct http_conn *conn, struct balance_req *br)
{
	struct ipc_key	 k;
	struct peer	*p;

	memset(&k, 0, sizeof(k));
	memcpy(k.k_key, br->br_cred.cr_account, sizeof(k.k_key));
	br->br_conn = conn;
	http_conn_set_closecb(conn, ledger_call_closed, br);
	if ((p = peer_find(PROC_LEDGER, 0)) == NULL ||
	    (br->br_reqid = proc_request(p, IMSG_LEDGER_REFUND_GET, &k,
	    sizeof(k), IPC_TIMEOUT_MS, refund_recorded, br)) == 0) {
		http_conn_set_closecb(conn, NULL, NULL);
		req_free(br);
		pay_error(conn, 503, "internal_error", "internal_error",
		    "the ledger is not available");
	}
}

static void
ledger_call_closed(struct http_conn *conn, void *arg)
{
	struct balance_req	*br = arg;

	proc_request_cancel(br->br_reqid);
	req_free(br);
}

static void
refund_recorded(struct imsg *imsg, void *arg)
{
	struct balance_req	*br = arg;
	struct http_conn	*conn = br->br_conn;
	struct ipc_refund	 rr;
	struct ipc_ledger_reply	 lr;
	struct ibuf		 ib;
	struct cashu_token	*tok;
	char			*token = NULL, sats[24], err[128];
	json_t			*j;

	http_conn_set_closecb(conn, NULL, NULL);
	if (imsg != NULL && imsg_get_type(imsg) == IMSG_LEDGER_REPLY &&
	    imsg_get_data(imsg, &lr, sizeof(lr)) == 0 &&
	    lr.lr_error == LEDGER_NOTFOUND) {
		req_free(br);
		pay_error(conn, 404, "invalid_request_error", "not_found",
		    "no refund is known for this key or token");
		return;
	}
	/* A record still in flight (or empty) comes without a token. */
	if (imsg == NULL || imsg_get_type(imsg) != IMSG_LEDGER_REFUND_RECORD ||
	    imsg_get_buf(imsg, &rr, sizeof(rr)) == -1 ||
	    (rr.rf_bloblen > 0 && (imsg_get_ibuf(imsg, &ib) == -1 ||
	    ibuf_size(&ib) != rr.rf_bloblen))) {
		req_free(br);
		pay_error(conn, 503, "internal_error", "internal_error",
		    "the ledger is not available");
		return;
	}
	if (rr.rf_state == LEDGER_REFUND_INFLIGHT && !br->br_retried) {
		/*
		 * Its request runs, or ended without making the change (the
		 * mint was away): the change is made now, unless a
		 * reservation shows the request still runs.
		 */
		br->br_retried = 1;
		pay_cashout(conn, NULL, &br->br_cred, br->br_cred.cr_account,
		    0, inflight_cashed, br);
		return;
	}
	req_free(br);
	switch (rr.rf_state) {
	case LEDGER_REFUND_INFLIGHT:
		http_reply_header(conn, "Retry-After", "2");
		pay_error(conn, 425, "invalid_request_error", "too_early",
		    "the request paid with this token is still running");
		return;
	case LEDGER_REFUND_NONE:
		pay_error(conn, 400, "invalid_request_error",
		    "balance_too_small", "No balance to refund");
		return;
	case LEDGER_REFUND_READY:
	case LEDGER_REFUND_TAKEN:
		break;
	default:
		pay_error(conn, 503, "internal_error", "internal_error",
		    "the refund record is not valid");
		return;
	}
	if (rr.rf_bloblen == 0 || rr.rf_bloblen > IPC_BLOB_MAX ||
	    (token = malloc(rr.rf_bloblen + 1)) == NULL) {
		pay_error(conn, 503, "internal_error", "internal_error",
		    "the refund record is not valid");
		return;
	}
	memcpy(token, ibuf_data(&ib), rr.rf_bloblen);
	token[rr.rf_bloblen] = '\0';
	if (strlen(token) != rr.rf_bloblen || strncmp(token, "cashu", 5) != 0) {
		freezero(token, rr.rf_bloblen + 1);
		pay_error(conn, 503, "internal_error", "internal_error",
		    "the refund record is not valid");
		return;
	}
	/* What it is worth, from the token itself. */
	if (token_decode(token, rr.rf_bloblen, &tok, err, sizeof(err)) == -1) {
		freezero(token, rr.rf_bloblen + 1);
		pay_error(conn, 503, "internal_error", "internal_error",
		    "the refund record is not valid");
		return;
	}
	(void)snprintf(sats, sizeof(sats), "%llu",
	    (unsigned long long)tok->amount);
	token_free(tok);
	if ((j = json_pack("{s:s, s:s}", "token", token, "sats", sats)) ==
	    NULL)
		fatalx("json_pack");
	http_reply_header(conn, "X-Cashu", token);
	freezero(token, rr.rf_bloblen + 1);
	proxy_reply_jt(conn, 200, j);
}

/*
 * GET /v1/balance/history: the balance's changes, oldest first (the
 * newest IPC_HISTORY_MAX), in msat: tokens paid in, requests charged,
 * the refund.
 */
static void
history_got(struct imsg *imsg, void *arg)
{
	struct balance_req	*br = arg;
	struct http_conn	*conn = br->br_conn;
	struct ipc_journal	*ent;
	struct ibuf		 ib;
	uint32_t		 n, i;
	char			 key[3 + 2 * CRED_SECRET_LEN + 1];
	char			 hex[2 * IPC_REQID_LEN + 1];
	char			 rid[PROXY_REQID_LEN];
	const char		*type, *source;
	json_t			*list, *j, *e;

	http_conn_set_closecb(conn, NULL, NULL);
	pay_api_key(&br->br_cred, key, sizeof(key));
	req_free(br);
	if (imsg == NULL || imsg_get_type(imsg) != IMSG_LEDGER_JOURNAL ||
	    imsg_get_ibuf(imsg, &ib) == -1 || ibuf_get(&ib, &n,
	    sizeof(n)) == -1 || n > IPC_HISTORY_MAX ||
	    ibuf_size(&ib) != n * sizeof(*ent)) {
		explicit_bzero(key, sizeof(key));
		pay_error(conn, 503, "internal_error", "internal_error",
		    "the ledger is not available");
		return;
	}
	ent = ibuf_data(&ib);
	if ((list = json_array()) == NULL)
		fatal(NULL);
	for (i = 0; i < n; i++) {
		switch (ent[i].j_reason) {
		case LEDGER_R_CREATE:
			type = "in";
			source = "create";
			break;
		case LEDGER_R_TOPUP:
			type = "in";
			source = "topup";
			break;
		case LEDGER_R_SETTLE:
			type = "spend";
			source = "request";
			break;
		case LEDGER_R_REFUND:
			type = "out";
			source = "refund";
			break;
		default:
			type = ent[i].j_credit ? "in" : "out";
			source = "operator";
			break;
		}
		if ((e = json_pack("{s:I, s:s, s:s, s:I, s:s, s:I, s:I}",
		    "id", (json_int_t)ent[i].j_seq, "type", type, "source",
		    source, "amount", (json_int_t)ent[i].j_amount, "unit",
		    "msat", "balance", (json_int_t)ent[i].j_balance,
		    "created_at", (json_int_t)ent[i].j_time)) == NULL)
			fatalx("json_pack");
		if (ent[i].j_reason == LEDGER_R_SETTLE) {
			/* The request's x-routstr-request-id, a UUID. */
			hex_encode(hex, ent[i].j_reqid, sizeof(ent[i].j_reqid));
			(void)snprintf(rid, sizeof(rid), "%.8s-%.4s-%.4s-%.4s-"
			    "%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
			json_object_set_new(e, "request_id", json_string(rid));
		}
		if (json_array_append_new(list, e) == -1)
			fatal(NULL);
	}
	if ((j = json_pack("{s:s, s:o}", "api_key", key, "transactions",
	    list)) == NULL)
		fatalx("json_pack");
	explicit_bzero(key, sizeof(key));
	proxy_reply_jt(conn, 200, j);
}

/* X-Cashu recovery of a refund still in flight: see refund_recorded. */
static void
inflight_cashed(struct http_conn *conn, void *arg, int code,
    const struct ipc_ledger_reply *lr, const char *token)
{
	struct balance_req	*br = arg;

	if (conn == NULL) {
		req_free(br);
		return;
	}
	switch (code) {
	case LEDGER_RESERVED:
		req_free(br);
		http_reply_header(conn, "Retry-After", "2");
		pay_error(conn, 425, "invalid_request_error", "too_early",
		    "the request paid with this token is still running");
		return;
	case LEDGER_OK:
	case LEDGER_CLOSED:
		/* Made now, or by the request meanwhile: the record has it. */
		refund_record(conn, br);
		return;
	case E_DISABLED:
		req_free(br);
		pay_error(conn, 503, "service_unavailable",
		    "refund_unavailable", "this node runs no mint of its own "
		    "and cannot pay change out as ecash; the balance stays "
		    "with the token, which still pays for requests here");
		return;
	default:
		req_free(br);
		pay_error(conn, 503, "internal_error", "internal_error",
		    "the change could not be made now; try again");
		return;
	}
}
