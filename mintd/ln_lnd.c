/*
 * LND's REST API (grpc-gateway in front of lnd's gRPC services) as the
 * mint's Lightning backend.  The shapes, as LND sends them: int64 and
 * uint64 fields are JSON strings, bytes fields are base64, the router's
 * payment hashes and preimages are hex strings, server streams are one
 * JSON object a line, {"result": ...} or {"error": {"code", "message"}},
 * and a call that fails before it starts answers with a non-2xx status
 * and a bare {"code", "message"}.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/time.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base64.h"
#include "curlev.h"
#include "hex.h"
#include "ipc.h"
#include "log.h"
#include "lightning.h"
#include "ln_lnd.h"

#define OP_CREATE	1
#define OP_STATUS	2
#define OP_PAY		3
#define OP_TRACK	4

#define LND_LINE_MAX	(1024 * 1024)	/* a status with its htlcs */
#define LND_REPLY_MAX	(16 * 1024 * 1024)	/* a whole stream */
#define LND_PATH_MAX	256
#define GRPC_NOT_FOUND		5
#define GRPC_ALREADY_EXISTS	6

struct lnd_op {
	TAILQ_ENTRY(lnd_op)	 o_entry;
	struct lnd		*o_lnd;
	int			 o_kind;
	struct curlev_req	*o_req;
	void			(*o_cb)(const struct lnd_result *, void *);
	void			*o_arg;
	int			 o_finishing;
	int			 o_have_hash;
	uint8_t			 o_hash[LND_HASH_LEN];
	int			 o_inflight;	/* LND said IN_FLIGHT */
	char			*o_line;	/* a partial line */
	size_t			 o_linelen;
	size_t			 o_linecap;
	struct lnd_result	 o_res;
};

struct lnd {
	char			*l_base;	/* no trailing '/' */
	char			*l_auth;	/* the macaroon header */
	size_t			 l_authlen;
	char			*l_ca;
	size_t			 l_calen;
	uint32_t		 l_call_ms;
	uint32_t		 l_slack_ms;
	TAILQ_HEAD(, lnd_op)	 l_ops;
};

static struct lnd_op *op_new(struct lnd *, int,
		    void (*)(const struct lnd_result *, void *), void *);
static int	 op_start(struct lnd_op *, const char *, const char *,
		    json_t *, int, uint32_t);
static void	 op_finish(struct lnd_op *);
static void	 op_free(struct lnd_op *);
static void	 op_unary_done(struct curlev_req *,
		    const struct curlev_result *, void *);
static int	 op_stream_body(struct curlev_req *, const void *, size_t,
		    void *);
static void	 op_stream_done(struct curlev_req *,
		    const struct curlev_result *, void *);
static int	 op_line(struct lnd_op *, const char *, size_t);
static int	 op_payment(struct lnd_op *, json_t *);
static int	 op_payment_end(struct lnd_op *, int, const char *, ...)
		    __attribute__((__format__ (printf, 3, 4)));
static int	 parse_create(struct lnd_op *, json_t *);
static int	 parse_status(struct lnd_op *, json_t *);
static int	 lnd_error(json_t *, int *, char *, size_t);
static int	 json_u64(json_t *, const char *, uint64_t *);
static void	 text_copy(char *, size_t, const char *);
static int	 bolt11_ok(const char *);

struct lnd *
lnd_new(const char *url, const void *mac, size_t maclen, const void *ca,
    size_t calen)
{
	struct lnd	*l;
	char		 scheme[8], host[IPC_HOST_MAX];
	uint16_t	 port;
	size_t		 len;
	static const char hdr[] = "Grpc-Metadata-macaroon: ";

	if (url == NULL || mac == NULL || maclen == 0 ||
	    maclen > LND_MACAROON_MAX || (ca == NULL && calen > 0) ||
	    strnlen(url, IPC_URL_MAX) >= IPC_URL_MAX ||
	    url_split(url, scheme, sizeof(scheme), host, sizeof(host),
	    &port) == -1 ||
	    (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0) ||
	    strpbrk(url, "?# \t\r\n") != NULL) {
		errno = EINVAL;
		return (NULL);
	}
	/*
	 * jansson seeds its hash tables from /dev/urandom at the first
	 * object: that must happen before the sandbox, which has no files.
	 */
	json_object_seed(0);

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return (NULL);
	TAILQ_INIT(&l->l_ops);
	lnd_set_timeouts(l, 0, 0);
	if ((l->l_base = strdup(url)) == NULL)
		goto fail;
	for (len = strlen(l->l_base); len > 0 && l->l_base[len - 1] == '/';)
		l->l_base[--len] = '\0';

	l->l_authlen = sizeof(hdr) - 1 + maclen * 2 + 1;
	if ((l->l_auth = malloc(l->l_authlen)) == NULL)
		goto fail;
	memcpy(l->l_auth, hdr, sizeof(hdr) - 1);
	hex_encode(l->l_auth + sizeof(hdr) - 1, mac, maclen);

	if (ca != NULL) {
		if ((l->l_ca = malloc(calen)) == NULL)
			goto fail;
		memcpy(l->l_ca, ca, calen);
		l->l_calen = calen;
	}
	return (l);
 fail:
	lnd_free(l);
	return (NULL);
}

void
lnd_free(struct lnd *l)
{
	struct lnd_op	*op;

	if (l == NULL)
		return;
	while ((op = TAILQ_FIRST(&l->l_ops)) != NULL)
		op_free(op);
	free(l->l_base);
	if (l->l_auth != NULL)
		freezero(l->l_auth, l->l_authlen);
	free(l->l_ca);
	free(l);
}

void
lnd_set_timeouts(struct lnd *l, uint32_t call_ms, uint32_t slack_ms)
{
	l->l_call_ms = call_ms != 0 ? call_ms : LND_CALL_MS;
	l->l_slack_ms = slack_ms != 0 ? slack_ms : LND_PAY_SLACK_MS;
}

/*
 * Operations.
 */

struct lnd_op *
lnd_create_invoice(struct lnd *l, uint64_t msat, const char *memo,
    uint32_t expiry, void (*cb)(const struct lnd_result *, void *),
    void *arg)
{
	struct lnd_op	*op;
	json_t		*body;
	char		 amt[24], exp[16];

	if (msat == 0 || expiry == 0 || cb == NULL ||
	    (memo != NULL && (strlen(memo) > LND_MEMO_MAX ||
	    !utf8_valid(memo)))) {
		errno = EINVAL;
		return (NULL);
	}
	(void)snprintf(amt, sizeof(amt), "%llu", (unsigned long long)msat);
	(void)snprintf(exp, sizeof(exp), "%u", expiry);
	body = json_pack("{s:s, s:s, s:s, s:b}", "value_msat", amt,
	    "memo", memo != NULL ? memo : "", "expiry", exp, "private", 1);
	if (body == NULL || (op = op_new(l, OP_CREATE, cb, arg)) == NULL) {
		json_decref(body);
		return (NULL);
	}
	if (op_start(op, "POST", "/v1/invoices", body, 0, l->l_call_ms) ==
	    -1) {
		json_decref(body);
		op_free(op);
		return (NULL);
	}
	json_decref(body);
	return (op);
}

struct lnd_op *
lnd_invoice_status(struct lnd *l, const uint8_t *hash,
    void (*cb)(const struct lnd_result *, void *), void *arg)
{
	struct lnd_op	*op;
	char		 path[LND_PATH_MAX], hex[LND_HASH_LEN * 2 + 1];

	if (hash == NULL || cb == NULL) {
		errno = EINVAL;
		return (NULL);
	}
	if ((op = op_new(l, OP_STATUS, cb, arg)) == NULL)
		return (NULL);
	memcpy(op->o_hash, hash, LND_HASH_LEN);
	op->o_have_hash = 1;
	hex_encode(hex, hash, LND_HASH_LEN);
	(void)snprintf(path, sizeof(path), "/v1/invoice/%s", hex);
	if (op_start(op, "GET", path, NULL, 0, l->l_call_ms) == -1) {
		op_free(op);
		return (NULL);
	}
	return (op);
}

struct lnd_op *
lnd_pay(struct lnd *l, const char *bolt11, uint64_t amount_msat,
    uint64_t fee_limit_msat, uint32_t timeout,
    void (*cb)(const struct lnd_result *, void *), void *arg)
{
	struct lnd_op	*op;
	json_t		*body;
	char		 fee[24], amt[24];
	uint64_t	 ms;

	if (bolt11 == NULL || !bolt11_ok(bolt11) || timeout == 0 ||
	    timeout > 3600 || cb == NULL) {
		errno = EINVAL;
		return (NULL);
	}
	(void)snprintf(fee, sizeof(fee), "%llu",
	    (unsigned long long)fee_limit_msat);
	(void)snprintf(amt, sizeof(amt), "%llu",
	    (unsigned long long)amount_msat);
	/*
	 * In-flight updates on: an IN_FLIGHT line tells us that LND has
	 * started, so that a stream cut short means "in flight", not
	 * "unknown".
	 */
	body = json_pack("{s:s, s:s, s:I, s:b}", "payment_request", bolt11,
	    "fee_limit_msat", fee, "timeout_seconds", (json_int_t)timeout,
	    "no_inflight_updates", 0);
	/* An amountless invoice: LND's amt_msat says how much. */
	if (body != NULL && amount_msat != 0 &&
	    json_object_set_new(body, "amt_msat", json_string(amt)) == -1) {
		json_decref(body);
		body = NULL;
	}
	if (body == NULL || (op = op_new(l, OP_PAY, cb, arg)) == NULL) {
		json_decref(body);
		return (NULL);
	}
	ms = (uint64_t)timeout * 1000 + l->l_slack_ms;
	if (op_start(op, "POST", "/v2/router/send", body, 1, ms) == -1) {
		json_decref(body);
		op_free(op);
		return (NULL);
	}
	json_decref(body);
	return (op);
}

struct lnd_op *
lnd_track(struct lnd *l, const uint8_t *hash,
    void (*cb)(const struct lnd_result *, void *), void *arg)
{
	struct lnd_op	*op;
	char		 path[LND_PATH_MAX], b64[64];

	if (hash == NULL || cb == NULL) {
		errno = EINVAL;
		return (NULL);
	}
	if ((op = op_new(l, OP_TRACK, cb, arg)) == NULL)
		return (NULL);
	memcpy(op->o_hash, hash, LND_HASH_LEN);
	op->o_have_hash = 1;
	/* bytes in a path: base64url, padded as grpc-gateway decodes it */
	if (base64_encode(b64, sizeof(b64), hash, LND_HASH_LEN, B64_URL) ==
	    -1) {
		op_free(op);
		return (NULL);
	}
	(void)snprintf(path, sizeof(path), "/v2/router/track/%s", b64);
	if (op_start(op, "GET", path, NULL, 1, l->l_call_ms) == -1) {
		op_free(op);
		return (NULL);
	}
	return (op);
}

void
lnd_cancel(struct lnd_op *op)
{
	if (op == NULL || op->o_finishing)
		return;
	op_free(op);
}

const char *
lnd_payment_name(int s)
{
	switch (s) {
	case LND_PAY_SUCCEEDED:
		return ("SUCCEEDED");
	case LND_PAY_FAILED:
		return ("FAILED");
	case LND_PAY_IN_FLIGHT:
		return ("IN_FLIGHT");
	case LND_PAY_NOT_FOUND:
		return ("NOT_FOUND");
	}
	return ("UNKNOWN");
}

const char *
lnd_invoice_name(int s)
{
	switch (s) {
	case LND_INVOICE_OPEN:
		return ("OPEN");
	case LND_INVOICE_SETTLED:
		return ("SETTLED");
	case LND_INVOICE_CANCELED:
		return ("CANCELED");
	case LND_INVOICE_ACCEPTED:
		return ("ACCEPTED");
	}
	return ("?");
}

static struct lnd_op *
op_new(struct lnd *l, int kind, void (*cb)(const struct lnd_result *,
    void *), void *arg)
{
	struct lnd_op	*op;

	if (l == NULL) {
		errno = EINVAL;
		return (NULL);
	}
	if ((op = calloc(1, sizeof(*op))) == NULL)
		return (NULL);
	op->o_lnd = l;
	op->o_kind = kind;
	op->o_cb = cb;
	op->o_arg = arg;
	op->o_res.lr_code = -1;
	TAILQ_INSERT_TAIL(&l->l_ops, op, o_entry);
	return (op);
}

static int
op_start(struct lnd_op *op, const char *method, const char *path,
    json_t *body, int stream, uint32_t timeout_ms)
{
	struct lnd		*l = op->o_lnd;
	struct curlev_params	 p;
	const char		*hdrs[4];
	char			*url = NULL, *text = NULL;
	int			 n = 0;

	if (asprintf(&url, "%s%s", l->l_base, path) == -1)
		return (-1);
	hdrs[n++] = l->l_auth;
	hdrs[n++] = "Accept: application/json";
	if (body != NULL) {
		hdrs[n++] = "Content-Type: application/json";
		if ((text = json_dumps(body, JSON_COMPACT)) == NULL) {
			free(url);
			return (-1);
		}
	}
	hdrs[n] = NULL;

	memset(&p, 0, sizeof(p));
	p.p_method = method;
	p.p_url = url;
	p.p_headers = hdrs;
	p.p_body = text;
	p.p_bodylen = text != NULL ? strlen(text) : 0;
	p.p_ca = l->l_ca;
	p.p_calen = l->l_calen;
	p.p_timeout_ms = timeout_ms;
	p.p_maxresponse = LND_REPLY_MAX;
	p.p_on_body = stream ? op_stream_body : NULL;
	p.p_on_done = stream ? op_stream_done : op_unary_done;
	p.p_arg = op;
	op->o_req = curlev_start(&p);
	free(url);
	if (text != NULL)
		freezero(text, strlen(text));
	return (op->o_req != NULL ? 0 : -1);
}

/* Tell the caller and forget the operation. */
static void
op_finish(struct lnd_op *op)
{
	op->o_finishing = 1;
	if (op->o_req != NULL) {
		/* a stream that said enough: hang up */
		curlev_cancel(op->o_req);
		op->o_req = NULL;
	}
	TAILQ_REMOVE(&op->o_lnd->l_ops, op, o_entry);
	op->o_cb(&op->o_res, op->o_arg);
	free(op->o_line);
	freezero(op, sizeof(*op));
}

static void
op_free(struct lnd_op *op)
{
	if (op->o_req != NULL)
		curlev_cancel(op->o_req);
	TAILQ_REMOVE(&op->o_lnd->l_ops, op, o_entry);
	free(op->o_line);
	freezero(op, sizeof(*op));
}

/*
 * Unary calls: create_invoice, invoice_status.
 */

static void
op_unary_done(struct curlev_req *req, const struct curlev_result *res,
    void *arg)
{
	struct lnd_op		*op = arg;
	struct lnd_result	*lr = &op->o_res;
	json_error_t		 jerr;
	json_t			*j = NULL;
	int			 rv;

	op->o_req = NULL;		/* freed when we return */
	if (res->r_error != CURLEV_OK) {
		lr->lr_error = LND_E_TRANSPORT;
		text_copy(lr->lr_errstr, sizeof(lr->lr_errstr),
		    res->r_errstr);
		goto done;
	}
	j = json_loadb(res->r_body, res->r_bodylen, JSON_REJECT_DUPLICATES,
	    &jerr);
	if (res->r_status != 200) {
		if (j != NULL && lnd_error(j, &lr->lr_code, lr->lr_errstr,
		    sizeof(lr->lr_errstr)) == 0)
			lr->lr_error = LND_E_LND;
		else {
			lr->lr_error = LND_E_PROTOCOL;
			(void)snprintf(lr->lr_errstr, sizeof(lr->lr_errstr),
			    "HTTP status %ld", res->r_status);
		}
		goto done;
	}
	if (j == NULL || !json_is_object(j))
		rv = -1;
	else if (op->o_kind == OP_CREATE)
		rv = parse_create(op, j);
	else
		rv = parse_status(op, j);
	if (rv == -1) {
		lr->lr_error = LND_E_PROTOCOL;
		if (lr->lr_errstr[0] == '\0')
			(void)strlcpy(lr->lr_errstr, "bad reply from LND",
			    sizeof(lr->lr_errstr));
	}
 done:
	json_decref(j);
	if (lr->lr_error != LND_OK)
		log_debug("lnd %s: %s", op->o_kind == OP_CREATE ?
		    "create invoice" : "invoice status", lr->lr_errstr);
	op_finish(op);
}

/* AddInvoiceResponse: r_hash (base64), payment_request, add_index. */
static int
parse_create(struct lnd_op *op, json_t *j)
{
	struct lnd_result	*lr = &op->o_res;
	const char		*hash, *pr;
	size_t			 n;

	if ((hash = json_string_value(json_object_get(j, "r_hash"))) ==
	    NULL || (pr = json_string_value(json_object_get(j,
	    "payment_request"))) == NULL)
		return (-1);
	if ((base64_decode(lr->lr_hash, sizeof(lr->lr_hash), &n, hash,
	    strlen(hash), 0) == -1 && base64_decode(lr->lr_hash,
	    sizeof(lr->lr_hash), &n, hash, strlen(hash), B64_URL) == -1) ||
	    n != LND_HASH_LEN) {
		(void)strlcpy(lr->lr_errstr, "bad r_hash",
		    sizeof(lr->lr_errstr));
		return (-1);
	}
	if (!bolt11_ok(pr)) {
		(void)strlcpy(lr->lr_errstr, "bad payment_request",
		    sizeof(lr->lr_errstr));
		return (-1);
	}
	(void)strlcpy(lr->lr_bolt11, pr, sizeof(lr->lr_bolt11));
	if (json_u64(j, "add_index", &lr->lr_add_index) == -1)
		return (-1);
	return (0);
}

/* Invoice: state (or the older settled), amt_paid_msat, r_hash. */
static int
parse_status(struct lnd_op *op, json_t *j)
{
	struct lnd_result	*lr = &op->o_res;
	const char		*state, *hash;
	uint8_t			 h[LND_HASH_LEN];
	size_t			 n;
	json_t			*settled;

	if ((hash = json_string_value(json_object_get(j, "r_hash"))) !=
	    NULL) {
		if ((base64_decode(h, sizeof(h), &n, hash, strlen(hash), 0) ==
		    -1 && base64_decode(h, sizeof(h), &n, hash, strlen(hash),
		    B64_URL) == -1) || n != LND_HASH_LEN ||
		    memcmp(h, op->o_hash, LND_HASH_LEN) != 0) {
			(void)strlcpy(lr->lr_errstr, "another invoice's r_hash",
			    sizeof(lr->lr_errstr));
			return (-1);
		}
	}
	if ((state = json_string_value(json_object_get(j, "state"))) !=
	    NULL) {
		if (strcmp(state, "OPEN") == 0)
			lr->lr_invoice = LND_INVOICE_OPEN;
		else if (strcmp(state, "SETTLED") == 0)
			lr->lr_invoice = LND_INVOICE_SETTLED;
		else if (strcmp(state, "CANCELED") == 0)
			lr->lr_invoice = LND_INVOICE_CANCELED;
		else if (strcmp(state, "ACCEPTED") == 0)
			lr->lr_invoice = LND_INVOICE_ACCEPTED;
		else {
			(void)strlcpy(lr->lr_errstr, "unknown invoice state",
			    sizeof(lr->lr_errstr));
			return (-1);
		}
	} else if ((settled = json_object_get(j, "settled")) != NULL &&
	    json_is_boolean(settled))
		lr->lr_invoice = json_is_true(settled) ?
		    LND_INVOICE_SETTLED : LND_INVOICE_OPEN;
	else
		return (-1);
	if (json_u64(j, "amt_paid_msat", &lr->lr_paid_msat) == -1)
		return (-1);
	return (0);
}

/*
 * Streams: pay and track.
 */

static int
op_stream_body(struct curlev_req *req, const void *data, size_t len,
    void *arg)
{
	struct lnd_op	*op = arg;
	const char	*p = data, *nl;
	size_t		 n, cap;
	char		*nb;

	while (len > 0) {
		nl = memchr(p, '\n', len);
		n = nl != NULL ? (size_t)(nl - p) : len;
		if (op->o_linelen + n > LND_LINE_MAX)
			return (op_payment_end(op, LND_PAY_UNKNOWN,
			    "a line from LND too long"));
		if (op->o_linelen + n + 1 > op->o_linecap) {
			cap = op->o_linecap > 0 ? op->o_linecap : 1024;
			while (cap < op->o_linelen + n + 1)
				cap *= 2;
			if ((nb = realloc(op->o_line, cap)) == NULL)
				return (op_payment_end(op, LND_PAY_UNKNOWN,
				    "out of memory"));
			op->o_line = nb;
			op->o_linecap = cap;
		}
		memcpy(op->o_line + op->o_linelen, p, n);
		op->o_linelen += n;
		p += n;
		len -= n;
		if (nl == NULL)
			break;
		p++;
		len--;
		n = op->o_linelen;
		op->o_linelen = 0;
		if (op_line(op, op->o_line, n))
			return (1);	/* op is gone */
	}
	return (0);
}

static void
op_stream_done(struct curlev_req *req, const struct curlev_result *res,
    void *arg)
{
	struct lnd_op	*op = arg;
	size_t		 n;

	op->o_req = NULL;
	/* a last line without its newline */
	if (res->r_error == CURLEV_OK && op->o_linelen > 0) {
		n = op->o_linelen;
		op->o_linelen = 0;
		if (op_line(op, op->o_line, n))
			return;
	}
	if (res->r_error != CURLEV_OK) {
		if (op->o_kind == OP_PAY && !res->r_sent)
			(void)op_payment_end(op, LND_PAY_FAILED,
			    "not sent to LND: %s", res->r_errstr);
		else
			(void)op_payment_end(op, op->o_inflight ?
			    LND_PAY_IN_FLIGHT : LND_PAY_UNKNOWN, "%s",
			    res->r_errstr);
	} else if (res->r_status != 200)
		(void)op_payment_end(op, LND_PAY_UNKNOWN, "HTTP status %ld",
		    res->r_status);
	else
		(void)op_payment_end(op, op->o_inflight ? LND_PAY_IN_FLIGHT :
		    LND_PAY_UNKNOWN, "the stream ended without a final status");
}

/* One line of a stream: 1 when it ended the operation. */
static int
op_line(struct lnd_op *op, const char *line, size_t len)
{
	struct lnd_result	*lr = &op->o_res;
	json_error_t		 jerr;
	json_t			*j, *r;
	char			 msg[LND_TEXT_MAX];
	int			 code = -1, rv;

	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (len == 0)
		return (0);
	j = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL || !json_is_object(j)) {
		json_decref(j);
		return (op_payment_end(op, LND_PAY_UNKNOWN,
		    "a line from LND that is not JSON"));
	}
	if ((r = json_object_get(j, "result")) != NULL &&
	    json_is_object(r)) {
		rv = op_payment(op, r);
		json_decref(j);
		return (rv);
	}
	if (lnd_error(j, &code, msg, sizeof(msg)) == -1) {
		json_decref(j);
		return (op_payment_end(op, LND_PAY_UNKNOWN,
		    "a line from LND without result or error"));
	}
	lr->lr_code = code;
	/*
	 * {"error": {...}} in the stream: the outcome is unknown.  A bare
	 * {"code", "message"} (the older gateway adds "error" as a string):
	 * the call failed before it started, except for AlreadyExists (in
	 * flight, or already paid).
	 */
	if (op->o_kind == OP_TRACK && code == GRPC_NOT_FOUND)
		rv = op_payment_end(op, LND_PAY_NOT_FOUND, "%s", msg);
	else if (op->o_kind == OP_PAY && !json_is_object(json_object_get(j,
	    "error")) && code != GRPC_ALREADY_EXISTS)
		rv = op_payment_end(op, LND_PAY_FAILED, "%s", msg);
	else
		rv = op_payment_end(op, LND_PAY_UNKNOWN, "%s", msg);
	json_decref(j);
	return (rv);
}

/* lnrpc.Payment: status, payment_hash, payment_preimage, fee_msat. */
static int
op_payment(struct lnd_op *op, json_t *r)
{
	struct lnd_result	*lr = &op->o_res;
	const char		*status, *s;
	uint8_t			 hash[LND_HASH_LEN], check[LND_HASH_LEN];
	uint64_t		 v;
	int			 ok;

	if ((status = json_string_value(json_object_get(r, "status"))) ==
	    NULL)
		return (op_payment_end(op, LND_PAY_UNKNOWN,
		    "a payment without a status"));
	if ((s = json_string_value(json_object_get(r, "payment_hash"))) !=
	    NULL && *s != '\0') {
		if (hex_decode(hash, sizeof(hash), s) == -1)
			return (op_payment_end(op, LND_PAY_UNKNOWN,
			    "a bad payment hash"));
		if (op->o_have_hash && memcmp(hash, op->o_hash,
		    sizeof(hash)) != 0)
			return (op_payment_end(op, LND_PAY_UNKNOWN,
			    "another payment's status"));
		memcpy(op->o_hash, hash, sizeof(hash));
		op->o_have_hash = 1;
	}

	if (strcmp(status, "IN_FLIGHT") == 0 ||
	    strcmp(status, "INITIATED") == 0) {
		op->o_inflight = 1;
		if (op->o_kind == OP_TRACK)
			return (op_payment_end(op, LND_PAY_IN_FLIGHT,
			    "in flight"));
		return (0);
	}
	if (strcmp(status, "FAILED") == 0) {
		s = json_string_value(json_object_get(r, "failure_reason"));
		return (op_payment_end(op, LND_PAY_FAILED, "%s",
		    s != NULL ? s : "FAILURE_REASON_UNKNOWN"));
	}
	if (strcmp(status, "SUCCEEDED") != 0) {
		if (op->o_kind == OP_PAY)
			return (0);	/* not final: wait for more */
		return (op_payment_end(op, LND_PAY_UNKNOWN, "status %s",
		    status));
	}

	/* Paid: only with the preimage of this very hash. */
	if ((s = json_string_value(json_object_get(r,
	    "payment_preimage"))) == NULL ||
	    hex_decode(lr->lr_preimage, sizeof(lr->lr_preimage), s) == -1)
		return (op_payment_end(op, LND_PAY_UNKNOWN,
		    "SUCCEEDED without a preimage"));
	if (!op->o_have_hash)
		return (op_payment_end(op, LND_PAY_UNKNOWN,
		    "SUCCEEDED without a payment hash"));
	SHA256(lr->lr_preimage, sizeof(lr->lr_preimage), check);
	ok = CRYPTO_memcmp(check, op->o_hash, sizeof(check)) == 0;
	if (!ok) {
		explicit_bzero(lr->lr_preimage, sizeof(lr->lr_preimage));
		return (op_payment_end(op, LND_PAY_UNKNOWN,
		    "SUCCEEDED with a preimage of another hash"));
	}
	lr->lr_has_preimage = 1;
	v = 0;
	if (json_object_get(r, "fee_msat") != NULL) {
		if (json_u64(r, "fee_msat", &v) == -1)
			return (op_payment_end(op, LND_PAY_UNKNOWN,
			    "a bad fee_msat"));
	} else if (json_object_get(r, "fee_sat") != NULL) {
		if (json_u64(r, "fee_sat", &v) == -1 || v > UINT64_MAX / 1000)
			return (op_payment_end(op, LND_PAY_UNKNOWN,
			    "a bad fee_sat"));
		v *= 1000;
	}
	lr->lr_fee_msat = v;
	return (op_payment_end(op, LND_PAY_SUCCEEDED, "%s", ""));
}

/* The verdict of a pay or track; always 1: the operation is over. */
static int
op_payment_end(struct lnd_op *op, int status, const char *fmt, ...)
{
	struct lnd_result	*lr = &op->o_res;
	char			 buf[LND_TEXT_MAX];
	va_list			 ap;

	lr->lr_payment = status;
	if (status != LND_PAY_SUCCEEDED) {
		lr->lr_has_preimage = 0;
		explicit_bzero(lr->lr_preimage, sizeof(lr->lr_preimage));
		lr->lr_fee_msat = 0;
	}
	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	text_copy(lr->lr_reason, sizeof(lr->lr_reason), buf);
	log_debug("lnd %s: %s%s%s", op->o_kind == OP_PAY ? "pay" : "track",
	    lnd_payment_name(status), buf[0] != '\0' ? ": " : "",
	    lr->lr_reason);
	op_finish(op);
	return (1);
}

/*
 * JSON and text.
 */

/*
 * An error object: {"code", "message"}, {"error": {"code", "message"}},
 * or the older gateway's "grpc_code" and "error" string.
 */
static int
lnd_error(json_t *j, int *code, char *msg, size_t len)
{
	json_t		*e, *c;
	const char	*m;

	if ((e = json_object_get(j, "error")) != NULL && json_is_object(e))
		j = e;
	if ((c = json_object_get(j, "code")) == NULL || !json_is_integer(c))
		c = json_object_get(j, "grpc_code");
	if ((m = json_string_value(json_object_get(j, "message"))) == NULL)
		m = json_string_value(json_object_get(j, "error"));
	if (c == NULL && m == NULL)
		return (-1);
	*code = c != NULL && json_is_integer(c) &&
	    json_integer_value(c) >= 0 && json_integer_value(c) < 100 ?
	    (int)json_integer_value(c) : -1;
	text_copy(msg, len, m != NULL ? m : "error without a message");
	return (0);
}

/* A uint64 as LND writes it: a string of digits (or a number). */
static int
json_u64(json_t *j, const char *key, uint64_t *v)
{
	json_t		*x;
	const char	*s;
	uint64_t	 n = 0;

	if ((x = json_object_get(j, key)) == NULL)
		return (0);		/* proto3 leaves zero out */
	if (json_is_integer(x)) {
		if (json_integer_value(x) < 0)
			return (-1);
		*v = json_integer_value(x);
		return (0);
	}
	if ((s = json_string_value(x)) == NULL || *s == '\0' ||
	    strlen(s) > 20)
		return (-1);
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || n > (UINT64_MAX - 9) / 10)
			return (-1);
		n = n * 10 + (*s - '0');
	}
	*v = n;
	return (0);
}

/* LND's words, printable and bounded, for logs and callers. */
static void
text_copy(char *dst, size_t len, const char *src)
{
	size_t	 i;

	for (i = 0; i + 1 < len && src[i] != '\0'; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
	dst[i] = '\0';
}

/* What may go into the JSON as an invoice: "ln", then bech32. */
static int
bolt11_ok(const char *s)
{
	size_t	 len = strlen(s);

	if (len <= 2 || len >= LND_BOLT11_MAX)
		return (0);
	if (strncmp(s, "ln", 2) == 0)
		return (strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789") ==
		    len);
	if (strncmp(s, "LN", 2) == 0)
		return (strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") ==
		    len);
	return (0);
}

/*
 * The mint's Lightning backend (lightning.h) on the calls above.  What
 * LND says is checked against what was asked: an invoice must decode,
 * with its signature, to the amount and hash that LND reported.  A
 * payment is SUCCEEDED or FAILED only on LND's final word (see above);
 * a track that finds no payment is UNKNOWN, not FAILED, because a pay
 * request may still be on its way to LND.
 */

struct lnd_call {
	TAILQ_ENTRY(lnd_call)	 c_entry;
	struct lnd_backend	*c_be;
	struct ln_request	*c_req;
	uint8_t			 c_hash[32];
	uint64_t		 c_msat;
};

struct lnd_backend {
	struct lnd		*b_lnd;
	TAILQ_HEAD(, lnd_call)	 b_calls;
};

static void	 be_create_invoice(struct ln_backend *, struct ln_request *,
		    const struct ln_call *);
static void	 be_invoice_status(struct ln_backend *, struct ln_request *,
		    const struct ln_call *);
static void	 be_pay_invoice(struct ln_backend *, struct ln_request *,
		    const struct ln_call *);
static void	 be_payment_status(struct ln_backend *, struct ln_request *,
		    const struct ln_call *);
static uint64_t	 be_fee_reserve(const struct ln_backend *, uint64_t);
static void	 be_free(struct ln_backend *);
static struct lnd_call *call_new(struct ln_backend *, struct ln_request *);
static void	 call_free(struct lnd_call *);
static void	 call_invoice(const struct lnd_result *, void *);
static void	 call_status(const struct lnd_result *, void *);
static void	 call_payment(const struct lnd_result *, void *);
static void	 fail_invoice(struct ln_request *, const char *);
static void	 lnd_says(char *, size_t, const char *);
static void	 fail_payment(struct ln_request *, const uint8_t *,
		    enum ln_payment_state, const char *);

static const struct ln_backend_ops lnd_ops = {
	.name = "lnd",
	.create_invoice = be_create_invoice,
	.invoice_status = be_invoice_status,
	.pay_invoice = be_pay_invoice,
	.payment_status = be_payment_status,
	.fee_reserve = be_fee_reserve,
	.free = be_free,
};

struct ln_backend *
ln_lnd_new(const char *url, const void *mac, size_t maclen, const void *ca,
    size_t calen)
{
	struct lnd_backend	*b;
	struct ln_backend	*be;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return (NULL);
	TAILQ_INIT(&b->b_calls);
	if ((b->b_lnd = lnd_new(url, mac, maclen, ca, calen)) == NULL ||
	    (be = ln_backend_new(&lnd_ops, b)) == NULL) {
		lnd_free(b->b_lnd);
		free(b);
		return (NULL);
	}
	return (be);
}

static void
be_create_invoice(struct ln_backend *be, struct ln_request *req,
    const struct ln_call *c)
{
	struct lnd_backend	*b = ln_backend_softc(be);
	struct lnd_call		*lc;

	if ((lc = call_new(be, req)) == NULL) {
		fail_invoice(req, "out of memory");
		return;
	}
	lc->c_msat = c->amount_msat;
	if (lnd_create_invoice(b->b_lnd, c->amount_msat, c->description,
	    c->expiry, call_invoice, lc) == NULL) {
		call_free(lc);
		fail_invoice(req, "cannot ask LND for an invoice");
	}
}

static void
call_invoice(const struct lnd_result *r, void *arg)
{
	struct lnd_call		*lc = arg;
	struct ln_request	*req = lc->c_req;
	struct ln_invoice	 inv;
	struct bolt11		 b;

	memset(&inv, 0, sizeof(inv));
	if (r->lr_error != LND_OK) {
		lnd_says(inv.error, sizeof(inv.error), r->lr_errstr);
	} else if (bolt11_decode(&b, r->lr_bolt11) == -1 ||
	    !b.has_amount || b.amount_msat != lc->c_msat ||
	    memcmp(b.payment_hash, r->lr_hash, 32) != 0 ||
	    strlcpy(inv.bolt11, r->lr_bolt11, sizeof(inv.bolt11)) >=
	    sizeof(inv.bolt11)) {
		(void)strlcpy(inv.error, "LND's invoice is not the one asked "
		    "for", sizeof(inv.error));
		log_warnx("lnd: an invoice that does not decode to the "
		    "amount and hash asked for");
	} else {
		inv.ok = 1;
		memcpy(inv.payment_hash, r->lr_hash, 32);
		hex_encode(inv.checking_id, r->lr_hash, 32);
		inv.amount_msat = b.amount_msat;
		inv.expires_at = (int64_t)bolt11_expires_at(&b);
	}
	call_free(lc);
	ln_done_invoice(req, &inv);
}

static void
be_invoice_status(struct ln_backend *be, struct ln_request *req,
    const struct ln_call *c)
{
	struct lnd_backend	*b = ln_backend_softc(be);
	struct lnd_call		*lc;
	struct ln_invoice_status st;

	if ((lc = call_new(be, req)) != NULL) {
		memcpy(lc->c_hash, c->payment_hash, 32);
		if (lnd_invoice_status(b->b_lnd, c->payment_hash,
		    call_status, lc) != NULL)
			return;
		call_free(lc);
	}
	memset(&st, 0, sizeof(st));
	memcpy(st.payment_hash, c->payment_hash, 32);
	(void)strlcpy(st.error, "cannot ask LND", sizeof(st.error));
	ln_done_invoice_status(req, &st);
}

static void
call_status(const struct lnd_result *r, void *arg)
{
	struct lnd_call		*lc = arg;
	struct ln_request	*req = lc->c_req;
	struct ln_invoice_status st;

	memset(&st, 0, sizeof(st));
	memcpy(st.payment_hash, lc->c_hash, 32);
	if (r->lr_error != LND_OK)
		lnd_says(st.error, sizeof(st.error), r->lr_errstr);
	else {
		switch (r->lr_invoice) {
		case LND_INVOICE_SETTLED:
			st.state = LN_INVOICE_PAID;
			st.amount_paid_msat = r->lr_paid_msat;
			break;
		case LND_INVOICE_OPEN:
		case LND_INVOICE_ACCEPTED:	/* held, not ours yet */
			st.state = LN_INVOICE_UNPAID;
			break;
		case LND_INVOICE_CANCELED:
			st.state = LN_INVOICE_EXPIRED;
			break;
		default:
			(void)strlcpy(st.error, "LND: an unknown invoice state",
			    sizeof(st.error));
			break;
		}
	}
	call_free(lc);
	ln_done_invoice_status(req, &st);
}

static void
be_pay_invoice(struct ln_backend *be, struct ln_request *req,
    const struct ln_call *c)
{
	struct lnd_backend	*b = ln_backend_softc(be);
	struct lnd_call		*lc;
	struct bolt11		 b11;

	/* What LND would refuse anyway, refused before it goes out. */
	if (bolt11_decode(&b11, c->bolt11) == -1) {
		fail_payment(req, NULL, LN_PAYMENT_FAILED, "invalid invoice");
		return;
	}
	if ((b11.has_amount && c->amount_msat != 0 &&
	    c->amount_msat != b11.amount_msat) ||
	    (!b11.has_amount && c->amount_msat == 0)) {
		fail_payment(req, b11.payment_hash, LN_PAYMENT_FAILED,
		    "the amount does not match the invoice");
		return;
	}
	if ((uint64_t)time(NULL) >= bolt11_expires_at(&b11)) {
		fail_payment(req, b11.payment_hash, LN_PAYMENT_FAILED,
		    "invoice expired");
		return;
	}
	if ((lc = call_new(be, req)) == NULL) {
		fail_payment(req, b11.payment_hash, LN_PAYMENT_FAILED,
		    "out of memory");
		return;
	}
	memcpy(lc->c_hash, b11.payment_hash, 32);
	lc->c_msat = b11.has_amount ? b11.amount_msat : c->amount_msat;
	if (lnd_pay(b->b_lnd, c->bolt11, b11.has_amount ? 0 : c->amount_msat,
	    c->fee_limit_msat, LN_LND_PAY_TIMEOUT, call_payment, lc) == NULL) {
		call_free(lc);
		fail_payment(req, b11.payment_hash, LN_PAYMENT_FAILED,
		    "cannot ask LND to pay");
	}
}

static void
be_payment_status(struct ln_backend *be, struct ln_request *req,
    const struct ln_call *c)
{
	struct lnd_backend	*b = ln_backend_softc(be);
	struct lnd_call		*lc;

	if ((lc = call_new(be, req)) != NULL) {
		memcpy(lc->c_hash, c->payment_hash, 32);
		if (lnd_track(b->b_lnd, c->payment_hash, call_payment,
		    lc) != NULL)
			return;
		call_free(lc);
	}
	fail_payment(req, c->payment_hash, LN_PAYMENT_UNKNOWN,
	    "cannot ask LND");
}

static void
call_payment(const struct lnd_result *r, void *arg)
{
	struct lnd_call		*lc = arg;
	struct ln_request	*req = lc->c_req;
	struct ln_payment	 pay;

	memset(&pay, 0, sizeof(pay));
	memcpy(pay.payment_hash, lc->c_hash, 32);
	pay.amount_msat = lc->c_msat;
	switch (r->lr_payment) {
	case LND_PAY_SUCCEEDED:
		pay.state = LN_PAYMENT_SUCCEEDED;
		memcpy(pay.preimage, r->lr_preimage, 32);
		pay.fee_msat = r->lr_fee_msat;
		break;
	case LND_PAY_FAILED:
		pay.state = LN_PAYMENT_FAILED;
		break;
	case LND_PAY_IN_FLIGHT:
		pay.state = LN_PAYMENT_PENDING;
		break;
	default:	/* UNKNOWN, NOT_FOUND */
		pay.state = LN_PAYMENT_UNKNOWN;
		break;
	}
	if (pay.state != LN_PAYMENT_SUCCEEDED)
		lnd_says(pay.error, sizeof(pay.error),
		    r->lr_reason[0] != '\0' ? r->lr_reason :
		    lnd_payment_name(r->lr_payment));
	call_free(lc);
	ln_done_payment(req, &pay, NULL);
}

static uint64_t
be_fee_reserve(const struct ln_backend *be, uint64_t amount_msat)
{
	return (ln_reserve(amount_msat, LN_RESERVE_MIN_MSAT,
	    LN_RESERVE_PERCENT));
}

/* In-flight operations are cancelled: no callbacks. */
static void
be_free(struct ln_backend *be)
{
	struct lnd_backend	*b = ln_backend_softc(be);
	struct lnd_call		*lc;

	lnd_free(b->b_lnd);
	while ((lc = TAILQ_FIRST(&b->b_calls)) != NULL) {
		call_free(lc);
	}
	free(b);
}

static struct lnd_call *
call_new(struct ln_backend *be, struct ln_request *req)
{
	struct lnd_backend	*b = ln_backend_softc(be);
	struct lnd_call		*lc;

	if ((lc = calloc(1, sizeof(*lc))) == NULL)
		return (NULL);
	lc->c_be = b;
	lc->c_req = req;
	TAILQ_INSERT_TAIL(&b->b_calls, lc, c_entry);
	return (lc);
}

static void
call_free(struct lnd_call *lc)
{
	TAILQ_REMOVE(&lc->c_be->b_calls, lc, c_entry);
	free(lc);
}

static void
fail_invoice(struct ln_request *req, const char *why)
{
	struct ln_invoice	 inv;

	memset(&inv, 0, sizeof(inv));
	(void)strlcpy(inv.error, why, sizeof(inv.error));
	ln_done_invoice(req, &inv);
}

static void
fail_payment(struct ln_request *req, const uint8_t *hash,
    enum ln_payment_state state, const char *why)
{
	struct ln_payment	 pay;

	memset(&pay, 0, sizeof(pay));
	pay.state = state;
	if (hash != NULL)
		memcpy(pay.payment_hash, hash, 32);
	(void)strlcpy(pay.error, why, sizeof(pay.error));
	ln_done_payment(req, &pay, NULL);
}

/* "LND: " and LND's words, cut to fit. */
static void
lnd_says(char *dst, size_t len, const char *what)
{
	(void)strlcpy(dst, "LND: ", len);
	(void)strlcat(dst, what, len);
}
