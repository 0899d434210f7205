/*
 * The paid API: POST /v1/chat/completions, /v1/completions,
 * /v1/embeddings, /v1/responses and /v1/messages, forwarded to the
 * model's upstreams and billed by what they used.
 *
 *	check	the body, the model, the credential
 *	pay	Bearer: the account (a token never seen is redeemed into
 *		it); X-Cashu: the token redeemed into an account of its own,
 *		after a preflight against the max cost
 *	reserve	the max cost of the request on the cheapest candidate
 *	forward	to it, failing over to the next on the statuses Routstr
 *		Core fails over on (re-reserving when the next costs more)
 *	settle	the cost of the usage (reported, or estimated), the rest
 *		released; nothing at all when no answer came
 *	reply	with the cost in Routstr Core's fields; X-Cashu: the change
 *		as a token of our mint in the X-Cashu header
 *
 * Every reservation made is settled or released, whatever the client
 * does: the ledger callbacks always come, and a struct forward lives
 * until the last of them.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event.h>
#include <imsg.h>
#include <jansson.h>

#include "hex.h"
#include "http.h"
#include "ipc.h"
#include "log.h"
#include "money.h"
#include "pricing.h"
#include "proc.h"
#include "proxy.h"
#include "token.h"
#include "upstream.h"
#include "xlate.h"

#define FW_CANDIDATES_MAX	8
#define FW_STRIP_MAX		4	/* parameters taken out, one a retry */
/* A reservation outlives a request that never ended by this much. */
#define FW_RESERVE_SLACK	300

struct forward {
	struct http_conn	*fw_conn;	/* NULL once the client left */
	struct credential	 fw_cred;
	char			*fw_token;	/* X-Cashu: the token sent */
	char			 fw_model[IPC_MODEL_MAX];
	char			 fw_path[64];	/* after /v1 */
	char			 fw_mint[IPC_URL_MAX];
	int			 fw_api;
	int			 fw_stream;	/* the client asked to stream */
	int			 fw_xcashu;
	char			*fw_body;	/* the request's text */
	struct jspan		 fw_req;	/* its object, in fw_body */
	struct request_shape	 fw_shape;
	const char		*fw_xlate_err;	/* Messages that cannot go to
						   an OpenAI upstream: why */
	int			 fw_xlate_checked;
	int			 fw_mct;	/* max_tokens sent as
						   max_completion_tokens */

	const struct proxy_model *fw_cand[FW_CANDIDATES_MAX];
	uint64_t		 fw_max[FW_CANDIDATES_MAX];
	u_int			 fw_ncand;
	u_int			 fw_cur;

	uint8_t			 fw_reqid[IPC_REQID_LEN];
	uint64_t		 fw_resid;	/* the reservation; 0: none */
	uint64_t		 fw_reserved;	/* its amount */
	uint64_t		 fw_avail;	/* spendable, the reservation
						   included (from it) */
	struct upstream_req	*fw_up;

	/* the answer, kept for the reply after the settlement */
	long			 fw_status;
	int			 fw_streamed;
	char			*fw_answer;	/* collected JSON, its text */
	struct jspan		 fw_root;	/* in fw_answer, checked */
	char			*fw_final;	/* a stream's final chunk: text */
	char			*fw_sse;	/* X-Cashu: the stream, rewritten */
	size_t			 fw_sselen;
	struct cost		 fw_cost;
	int			 fw_have_cost;
	uint64_t		 fw_remaining;
	json_t			*fw_error;	/* X-Cashu: the failure's body */
	const char		*fw_unreserved;	/* X-Cashu: why the token's value
						   could not be reserved */
	uint64_t		 fw_face;	/* X-Cashu: the token's face value */
	uint64_t		 fw_required;	/* ... what it needed to be */
	int			 fw_error_status;
	u_int			 fw_nstripped;	/* parameters taken out */
};

static int	 forward_api(const char *, char *, size_t);
static int	 counts_tokens(const char *);
static void	 count_tokens(struct http_conn *, struct forward *);
static int	 forward_model(const struct http_request *, const struct jspan *,
		    char *,
		    size_t);
static int	 can_translate(struct forward *);
static char	*rename_member(const struct jspan *, const char *,
		    const char *, size_t *);
static int	 forward_candidates(struct forward *);
static void	 forward_free(struct forward *);
static void	 reply_error_jt(struct http_conn *, int, json_t *);
static void	 forward_closed(struct http_conn *, void *);
static void	 forward_hold(struct forward *);
static void	 forward_fail(struct forward *, int, const char *, const char *,
		    const char *);
static void	 paid_account(struct http_conn *, void *,
		    const struct ipc_account *);
static void	 paid_token(struct http_conn *, void *, int,
		    const struct ipc_ledger_reply *, const char *);
static void	 reserve(struct forward *);
static void	 reserved(void *, int, const struct ipc_ledger_reply *);
static void	 attempt(struct forward *);
static int	 can_fail_over(struct forward *);
static void	 next_candidate(struct forward *);
static void	 rereserve(void *, int, const struct ipc_ledger_reply *);
static int	 correct_request(struct forward *, const json_t *);
static const char *error_message(const json_t *);
static int	 named_param(const char *, char *, size_t);
static int	 on_status(struct upstream_req *,
		    const struct upstream_status *, void *);
static void	 on_done(struct upstream_req *,
		    const struct upstream_result *, void *);
static void	 released(void *, int, const struct ipc_ledger_reply *);
static void	 settled(void *, int, const struct ipc_ledger_reply *);
static void	 reply_answer(struct forward *);
static void	 reply_cost(struct forward *, json_t *);
static char	*cost_event(struct forward *);
static char	*answer_splice(struct forward *, const struct jspan *, int,
		    size_t *);
static void	 final_cost(struct forward *);
static void	 cost_headers(struct forward *);
static void	 cashed_out(struct http_conn *, void *, int,
		    const struct ipc_ledger_reply *, const char *);
static int	 sse_rewrite(struct forward *, const char *, size_t,
		    const struct usage *);
static int	 sse_finish_buf(struct forward *);

/*
 * The API of a path: UPSTREAM_API_*, with the path the upstream gets
 * (after its base URL), or -1 if the path is not one of ours.
 */
static int
forward_api(const char *path, char *up, size_t uplen)
{
	static const char	*paths[] = {
		"/chat/completions", "/completions", "/embeddings",
		"/responses", "/messages"
	};
	size_t			 i;

	if (strncmp(path, "/v1/", 4) == 0)
		path += 3;
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (strcmp(path, paths[i]) == 0) {
			(void)strlcpy(up, path, uplen);
			return (upstream_api(path));
		}
	return (-1);
}

/* Anthropic's POST /v1/messages/count_tokens (or without /v1). */
static int
counts_tokens(const char *path)
{
	if (strncmp(path, "/v1/", 4) == 0)
		path += 3;
	return (strcmp(path, "/messages/count_tokens") == 0);
}

/*
 * messages/count_tokens, answered here, as Routstr Core does for
 * upstreams without it (Claude Code asks before every turn): the
 * request's text and tools at USAGE_CHARS_PER_TOKEN bytes a token,
 * the estimate billing uses.  Free: it needs a credential, as every
 * POST does, and spends nothing.
 */
static void
count_tokens(struct http_conn *conn, struct forward *fw)
{
	struct jspan	 t;
	json_t		*tools;
	char		*s, buf[64];
	uint64_t	 chars = fw->fw_shape.rs_prompt_chars;

	/* as compact JSON: the client's white space is not counted */
	if (jscan_get(&fw->fw_req, "tools", &t) == 0 &&
	    (tools = jscan_json(&t)) != NULL) {
		if ((s = json_dumps(tools, JSON_COMPACT |
		    JSON_ENCODE_ANY)) != NULL) {
			chars += strlen(s);
			free(s);
		}
		json_decref(tools);
	}
	forward_free(fw);
	(void)snprintf(buf, sizeof(buf), "{\"input_tokens\":%llu}",
	    (unsigned long long)usage_tokens_from_chars(chars));
	proxy_reply_json(conn, 200, buf);
}

/* The model asked for: "model", the Responses API's "input.model", or
 * the X-Routstr-Model header (encrypted bodies), as Routstr Core. */
static int
forward_model(const struct http_request *req, const struct jspan *body,
    char *model, size_t len)
{
	static const char * const keys[] = { "model", "input", NULL };
	struct jspan	 v[2], m;
	const char	*s;

	(void)jscan_getv(body, keys, v);
	if (jscan_type(&v[0]) == JS_STRING)
		m = v[0];
	else if (jscan_get(&v[1], "model", &m) == -1 ||
	    jscan_type(&m) != JS_STRING) {
		s = http_request_header(req, "X-Routstr-Model");
		if (s == NULL || *s == '\0')
			return (-1);
		return (strlcpy(model, s, len) >= len ? -2 : 0);
	}
	if (jscan_strlen(&m) == 0)
		return (-1);
	return (jscan_strlcpy(&m, model, len) >= len ? -2 : 0);
}

static struct proxy_upstream *
candidate_upstream(const struct proxy_model *pm)
{
	struct proxy_upstream	*pu;

	TAILQ_FOREACH(pu, &proxy_env->pe_upstreams, pu_entry)
		if (strcmp(pu->pu_conf.cu_name, pm->pm_conf.cm_upstream) == 0)
			return (pu);
	return (NULL);
}

/* A Messages request an OpenAI upstream can be given (xlate.h). */
static int
can_translate(struct forward *fw)
{
	char	*t;
	size_t	 len;

	if (!fw->fw_xlate_checked) {
		fw->fw_xlate_checked = 1;
		if ((t = xlate_request(&fw->fw_req, NULL, &len,
		    &fw->fw_xlate_err)) == NULL && fw->fw_xlate_err == NULL)
			fatal("%s", __func__);
		freezero(t, t != NULL ? len : 0);
	}
	return (fw->fw_xlate_err == NULL);
}

/*
 * The upstreams that may serve the model for this API, cheapest
 * reservation first.  The number of them; 0 with none sellable now.
 */
static int
forward_candidates(struct forward *fw)
{
	struct proxy_model	*pm;
	struct proxy_upstream	*pu;
	const struct proxy_model *tm;
	uint64_t		 max, tmax;
	u_int			 i;

	fw->fw_ncand = 0;
	TAILQ_FOREACH(pm, &proxy_env->pe_models, pm_entry) {
		if (strcmp(pm->pm_conf.cm_id, fw->fw_model) != 0 ||
		    (pu = candidate_upstream(pm)) == NULL)
			continue;
		/* Anthropic's API, translated for an OpenAI upstream. */
		if (fw->fw_api == UPSTREAM_API_MESSAGES &&
		    pu->pu_conf.cu_type == UPSTREAM_OPENAI &&
		    !can_translate(fw))
			continue;
		if (pricing_max_cost(&pm->pm_conf, &fw->fw_shape, &max) == -1)
			continue;
		if (fw->fw_ncand == FW_CANDIDATES_MAX)
			break;
		/* Insertion, stable: equal prices keep the config's order. */
		i = fw->fw_ncand++;
		fw->fw_cand[i] = pm;
		fw->fw_max[i] = max;
		for (; i > 0 && fw->fw_max[i - 1] > fw->fw_max[i]; i--) {
			tm = fw->fw_cand[i];
			tmax = fw->fw_max[i];
			fw->fw_cand[i] = fw->fw_cand[i - 1];
			fw->fw_max[i] = fw->fw_max[i - 1];
			fw->fw_cand[i - 1] = tm;
			fw->fw_max[i - 1] = tmax;
		}
	}
	return (fw->fw_ncand);
}

/* The paid routes; -1 if the request is not for one of them. */
int
forward_route(struct http_conn *conn, struct http_request *req)
{
	struct forward		*fw;
	struct credential	 cr;
	const struct proxy_model *pm;
	const char		*why = NULL;
	char			 path[64], msg[IPC_MODEL_MAX + 64];
	char			 rid[PROXY_REQID_LEN];
	char			 hex[2 * IPC_REQID_LEN + 1];
	struct jspan		 root;
	json_t			*body;
	size_t			 i, n;
	int			 api, r, count;

	if ((count = counts_tokens(req->path)))
		api = UPSTREAM_API_MESSAGES;
	else if ((api = forward_api(req->path, path, sizeof(path))) == -1)
		return (-1);
	if (strcmp(req->method, "POST") != 0) {
		http_reply_header(conn, "Allow", "POST");
		proxy_reply_json(conn, 405, "{\"detail\":\"Method Not Allowed\"}");
		return (0);
	}
	/* read in place, as strictly as jansson with JSON_REJECT_DUPLICATES */
	if (req->body == NULL || jscan_parse(req->body, req->bodylen,
	    &root) == -1 || jscan_type(&root) != JS_OBJECT ||
	    (r = jscan_dupkeys(&root)) == 1) {
		pay_error(conn, 400, "invalid_request_error", "invalid_json",
		    "the body must be a JSON object");
		return (0);
	}
	if (r == -1)
		fatal(NULL);
	if ((fw = calloc(1, sizeof(*fw))) == NULL ||
	    (fw->fw_body = malloc(root.js_len + 1)) == NULL)
		fatal(NULL);
	memcpy(fw->fw_body, root.js_p, root.js_len);
	fw->fw_body[root.js_len] = '\0';
	fw->fw_req.js_p = fw->fw_body;
	fw->fw_req.js_len = root.js_len;
	fw->fw_api = api;
	(void)strlcpy(fw->fw_path, path, sizeof(fw->fw_path));
	if ((r = forward_model(req, &fw->fw_req, fw->fw_model,
	    sizeof(fw->fw_model))) != 0) {
		forward_free(fw);
		pay_error(conn, 400, "invalid_request_error", "missing_model",
		    r == -1 ? "the request names no model" :
		    "the model's name is too long");
		return (0);
	}
	(void)request_shape_parse(&fw->fw_req, &fw->fw_shape);
	fw->fw_stream = fw->fw_shape.rs_stream;

	if ((pm = models_find(fw->fw_model)) == NULL) {
		(void)snprintf(msg, sizeof(msg), "Model '%s' not found",
		    fw->fw_model);
		forward_free(fw);
		if ((body = json_pack("{s:{s:s, s:s, s:i}}", "error",
		    "message", msg, "type", "invalid_model", "code", 400)) ==
		    NULL)
			fatalx("json_pack");
		reply_error_jt(conn, 400, body);
		return (0);
	}

	if (pay_credential(req, &cr, &why) == -1 || cr.cr_kind == CRED_NONE) {
		forward_free(fw);
		pay_error(conn, 401, "invalid_request_error",
		    cr.cr_kind == CRED_NONE && why == NULL ?
		    "unauthorized" : "invalid_api_key",
		    why != NULL ? why : "an API key or an X-Cashu token is "
		    "needed");
		explicit_bzero(&cr, sizeof(cr));
		return (0);
	}
	fw->fw_cred = cr;
	explicit_bzero(&cr, sizeof(cr));
	if (count) {
		count_tokens(conn, fw);
		return (0);
	}
	if (fw->fw_cred.cr_token != NULL) {
		if ((fw->fw_token = strdup(fw->fw_cred.cr_token)) == NULL)
			fatal(NULL);
		fw->fw_cred.cr_token = fw->fw_token;
	}
	fw->fw_xcashu = fw->fw_cred.cr_kind == CRED_XCASHU;
	proxy_mint_url(req, fw->fw_mint, sizeof(fw->fw_mint));
	/* The ledger's journal knows the request by its UUID. */
	proxy_request_id(req, rid, sizeof(rid));
	for (i = 0, n = 0; rid[i] != '\0' && n < sizeof(hex) - 1; i++)
		if (rid[i] != '-')
			hex[n++] = rid[i];
	hex[n] = '\0';
	if (hex_decode(fw->fw_reqid, sizeof(fw->fw_reqid), hex) == -1)
		arc4random_buf(fw->fw_reqid, sizeof(fw->fw_reqid));

	if (forward_candidates(fw) == 0) {
		if (!pricing_available(&pm->pm_conf, &why)) {
			forward_free(fw);
			pay_error(conn, 503, "pricing_error",
			    "price_unavailable", why != NULL ? why :
			    "the model's price is not known now");
		} else if (fw->fw_xlate_err != NULL) {
			why = fw->fw_xlate_err;		/* static */
			forward_free(fw);
			pay_error(conn, 400, "invalid_request_error",
			    "invalid_request", why);
		} else {
			forward_free(fw);
			pay_error(conn, 400, "invalid_request_error",
			    "unsupported_endpoint", "no upstream of this "
			    "model serves this endpoint");
		}
		return (0);
	}

	fw->fw_conn = conn;
	if (fw->fw_xcashu) {
		struct cashu_token	*tok;
		char			 err[128];
		uint64_t		 msat;

		/* Preflight: the token must cover the max cost. */
		if (token_decode(fw->fw_token, strlen(fw->fw_token), &tok,
		    err, sizeof(err)) == -1) {
			forward_free(fw);
			pay_error(conn, 400, "invalid_request_error",
			    "invalid_cashu_token", err);
			return (0);
		}
		if (money_mul(&msat, tok->amount, MSAT_PER_SAT) == -1 ||
		    (tok->unit != NULL && strcmp(tok->unit, "sat") != 0))
			msat = 0;
		token_free(tok);
		fw->fw_face = msat;
		if (msat < fw->fw_max[0]) {
			if ((body = json_pack("{s:{s:s, s:I, s:s, s:s}}",
			    "detail", "reason", "Insufficient balance",
			    "amount_required_msat", (json_int_t)fw->fw_max[0],
			    "model", fw->fw_model, "type",
			    "minimum_balance_required")) == NULL)
				fatalx("json_pack");
			forward_free(fw);
			reply_error_jt(conn, 402, body);
			return (0);
		}
		/* Its own account, with the refund record opened. */
		pay_redeem(conn, &fw->fw_cred, fw->fw_token, REDEEM_CREATE,
		    fw->fw_cred.cr_account, 0, 0, paid_token, fw);
		return (0);
	}
	/*
	 * A key goes straight to the reservation, which says if the key
	 * is unknown; a token may need redeeming into its account first.
	 */
	if (fw->fw_cred.cr_kind == CRED_KEY)
		reserve(fw);
	else
		pay_account(conn, &fw->fw_cred, paid_account, fw);
	return (0);
}

/* Routstr Core's errors carry the request's id in the body too. */
static void
reply_error_jt(struct http_conn *conn, int status, json_t *j)
{
	char	 rid[PROXY_REQID_LEN];

	proxy_request_id(http_conn_request(conn), rid, sizeof(rid));
	if (json_object_set_new(j, "request_id", json_string(rid)) == -1)
		fatalx("%s: json", __func__);
	proxy_reply_jt(conn, status, j);
}

static void
forward_free(struct forward *fw)
{
	if (fw->fw_conn != NULL)
		http_conn_set_closecb(fw->fw_conn, NULL, NULL);
	if (fw->fw_token != NULL)
		freezero(fw->fw_token, strlen(fw->fw_token) + 1);
	explicit_bzero(&fw->fw_cred, sizeof(fw->fw_cred));
	free(fw->fw_body);
	free(fw->fw_answer);
	free(fw->fw_final);
	json_decref(fw->fw_error);
	free(fw->fw_sse);
	free(fw);
}

static void
forward_closed(struct http_conn *conn, void *arg)
{
	struct forward	*fw = arg;

	fw->fw_conn = NULL;
}

/* Between ledger calls the forward watches the client itself. */
static void
forward_hold(struct forward *fw)
{
	if (fw->fw_conn != NULL)
		http_conn_set_closecb(fw->fw_conn, forward_closed, fw);
}

/* An error before any money moved (or after it all went back). */
static void
forward_fail(struct forward *fw, int status, const char *type,
    const char *code, const char *msg)
{
	struct http_conn	*conn = fw->fw_conn;

	forward_free(fw);
	if (conn != NULL)
		pay_error(conn, status, type, code, msg);
}

static void
paid_account(struct http_conn *conn, void *arg, const struct ipc_account *a)
{
	struct forward	*fw = arg;

	fw->fw_conn = conn;
	if (a == NULL) {		/* the reply was sent, or no client */
		fw->fw_conn = NULL;
		forward_free(fw);
		return;
	}
	reserve(fw);
}

static void
paid_token(struct http_conn *conn, void *arg, int code,
    const struct ipc_ledger_reply *lr, const char *detail)
{
	struct forward	*fw = arg;

	fw->fw_conn = conn;
	if (code != LEDGER_OK) {
		fw->fw_conn = NULL;
		forward_free(fw);
		/* Its account exists: the token was paid in before. */
		if (conn != NULL)
			pay_redeem_error(conn, code == LEDGER_EXISTS ?
			    LEDGER_SPENT : code, detail);
		return;
	}
	/* Paid: from here on the change goes back, client or not. */
	reserve(fw);
}

static void
reserve(struct forward *fw)
{
	struct proxy_upstream	*pu;
	uint32_t		 secs;
	u_int			 i;

	/* Long enough for every attempt it may cover. */
	secs = FW_RESERVE_SLACK;
	for (i = fw->fw_cur; i < fw->fw_ncand; i++) {
		pu = candidate_upstream(fw->fw_cand[i]);
		secs += pu != NULL && pu->pu_conf.cu_timeout > 0 ?
		    pu->pu_conf.cu_timeout : 600;
	}
	fw->fw_reserved = fw->fw_max[fw->fw_cur];
	forward_hold(fw);
	if (pay_reserve(fw->fw_cred.cr_account, fw->fw_reqid,
	    fw->fw_reserved, secs, reserved, fw) == -1)
		reserved(fw, LEDGER_DBERR, NULL);
}

static void
reserved(void *arg, int error, const struct ipc_ledger_reply *lr)
{
	struct forward	*fw = arg;
	char		 msg[256];
	uint64_t	 avail;

	if (error == LEDGER_OK) {
		fw->fw_resid = lr->lr_id;
		/* What a dearer candidate could reserve instead. */
		fw->fw_avail = lr->lr_balance > lr->lr_reserved ?
		    lr->lr_balance - lr->lr_reserved : 0;
		if (money_add(&fw->fw_avail, fw->fw_avail,
		    fw->fw_reserved) == -1)
			fw->fw_avail = fw->fw_reserved;
		if (fw->fw_conn == NULL && !fw->fw_xcashu) {
			/* Nobody to answer: give it back. */
			if (pay_release(fw->fw_resid, released, fw) == -1)
				released(fw, LEDGER_DBERR, NULL);
			return;
		}
		attempt(fw);
		return;
	}
	fw->fw_resid = 0;
	if (fw->fw_xcashu) {
		/*
		 * The token's value is in its account: send it back.  Too
		 * little: its face value covered the preflight, but not what
		 * its mint's input fees left of it.
		 */
		if (error == LEDGER_INSUFFICIENT) {
			fw->fw_error_status = 402;
			fw->fw_unreserved = "the token, less its mint's fees, "
			    "does not cover the request's largest cost";
			/* the largest cost and what the fees took */
			fw->fw_required = fw->fw_reserved;
			if (lr != NULL && lr->lr_balance > 0 &&
			    lr->lr_balance < fw->fw_face &&
			    money_add(&fw->fw_required, fw->fw_reserved,
			    fw->fw_face - lr->lr_balance) == -1)
				fw->fw_required = fw->fw_reserved;
		} else {
			fw->fw_error_status = 503;
			fw->fw_unreserved = "the payment could not be reserved";
		}
		pay_cashout(fw->fw_conn, fw->fw_mint, &fw->fw_cred,
		    fw->fw_cred.cr_account, 0, cashed_out, fw);
		return;
	}
	if (error == LEDGER_INSUFFICIENT) {
		avail = lr != NULL && lr->lr_balance > lr->lr_reserved ?
		    lr->lr_balance - lr->lr_reserved : 0;
		(void)snprintf(msg, sizeof(msg), "Insufficient balance: "
		    "%llu.%03llu sats (%llu msats) required for this model; "
		    "%llu.%03llu sats (%llu msats) available.",
		    (unsigned long long)(fw->fw_reserved / 1000),
		    (unsigned long long)(fw->fw_reserved % 1000),
		    (unsigned long long)fw->fw_reserved,
		    (unsigned long long)(avail / 1000),
		    (unsigned long long)(avail % 1000),
		    (unsigned long long)avail);
		forward_fail(fw, 402, "insufficient_quota",
		    "insufficient_balance", msg);
		return;
	}
	if (error == LEDGER_NOTFOUND) {
		forward_fail(fw, 401, "invalid_request_error",
		    "invalid_api_key", "Invalid API key");
		return;
	}
	if (error == LEDGER_CLOSED) {
		forward_fail(fw, 400, "invalid_request_error",
		    "invalid_api_key", "this balance was refunded and closed");
		return;
	}
	if (error == LEDGER_LIMIT) {
		forward_fail(fw, 402, "insufficient_quota",
		    "balance_limit_exceeded", "the key's spending limit "
		    "does not cover this request");
		return;
	}
	if (error == LEDGER_EXPIRED) {
		forward_fail(fw, 403, "invalid_request_error", "key_expired",
		    "this key has expired");
		return;
	}
	forward_fail(fw, 503, "internal_error", "internal_error",
	    "the ledger is not available");
}

/* One candidate: the request goes out on the client's connection. */
static void
attempt(struct forward *fw)
{
	const struct proxy_model	*pm = fw->fw_cand[fw->fw_cur];
	struct upstream_params		 p;
	struct proxy_upstream		*pu;
	const char			*id, *err;
	char				*s, *t;
	struct jspan			 body;
	size_t				 len = 0, tlen;
	int				 xlate;

	pu = candidate_upstream(pm);
	id = pm->pm_conf.cm_upstream_id[0] != '\0' ?
	    pm->pm_conf.cm_upstream_id : pm->pm_conf.cm_id;
	xlate = pu != NULL && fw->fw_api == UPSTREAM_API_MESSAGES &&
	    pu->pu_conf.cu_type == UPSTREAM_OPENAI;
	if (xlate) {
		/* checked by can_translate(), unless the upstream changed */
		if ((s = xlate_request(&fw->fw_req, id, &len, &err)) == NULL) {
			if (err == NULL)
				fatal("%s: the request's body", __func__);
			log_warnx("model %s: upstream %s: cannot translate: %s",
			    fw->fw_model, pm->pm_conf.cm_upstream, err);
		}
	} else if ((s = upstream_body_text(&fw->fw_req, id, fw->fw_api,
	    fw->fw_stream, &len)) == NULL)
		fatalx("%s: the request's body", __func__);
	if (s != NULL && fw->fw_mct && jscan_parse(s, len, &body) == 0 &&
	    (t = rename_member(&body, "max_tokens", "max_completion_tokens",
	    &tlen)) != NULL) {
		freezero(s, len);
		s = t;
		len = tlen;
	}

	memset(&p, 0, sizeof(p));
	p.p_upstream = pu;
	p.p_path = xlate ? "/chat/completions" : fw->fw_path;
	p.p_body = s;
	p.p_bodylen = len;
	p.p_stream = fw->fw_stream;
	/* X-Cashu's change goes in a header: the answer is collected. */
	p.p_flags = fw->fw_xcashu ? UPSTREAM_F_COLLECT : 0;
	if (xlate)
		p.p_flags |= UPSTREAM_F_MESSAGES;
	p.p_shape = &fw->fw_shape;
	p.p_conn = fw->fw_conn;
	p.p_on_status = on_status;
	p.p_on_done = on_done;
	p.p_arg = fw;
	if (fw->fw_conn != NULL)
		http_conn_set_closecb(fw->fw_conn, NULL, NULL);
	if (fw->fw_conn != NULL && (pu == NULL || s == NULL ||
	    (fw->fw_up = upstream_start(&p)) == NULL))
		log_warnx("%s: model %s: upstream %s: cannot start", __func__,
		    fw->fw_model, pm->pm_conf.cm_upstream);
	if (s != NULL)
		freezero(s, p.p_bodylen);
	if (fw->fw_up != NULL)
		return;
	/* Not started: the next candidate, or the reservation back. */
	forward_hold(fw);
	fw->fw_error_status = 502;
	if (fw->fw_conn != NULL && can_fail_over(fw))
		next_candidate(fw);
	else if (pay_release(fw->fw_resid, released, fw) == -1)
		released(fw, LEDGER_DBERR, NULL);
}

/* A next candidate whose reservation the payment can cover. */
static int
can_fail_over(struct forward *fw)
{
	uint64_t	 next;

	if (fw->fw_cur + 1 >= fw->fw_ncand)
		return (0);
	next = fw->fw_max[fw->fw_cur + 1];
	return (next <= fw->fw_reserved || next <= fw->fw_avail);
}

/* Fail over to the next candidate (can_fail_over() said there is one). */
static void
next_candidate(struct forward *fw)
{
	fw->fw_cur++;
	log_debug("%s: model %s: failing over to upstream %s", __func__,
	    fw->fw_model, fw->fw_cand[fw->fw_cur]->pm_conf.cm_upstream);
	if (fw->fw_max[fw->fw_cur] <= fw->fw_reserved) {
		attempt(fw);
		return;
	}
	/* It costs more: the reservation is made again for it. */
	forward_hold(fw);
	if (pay_release(fw->fw_resid, rereserve, fw) == -1)
		rereserve(fw, LEDGER_DBERR, NULL);
}

static void
rereserve(void *arg, int error, const struct ipc_ledger_reply *lr)
{
	struct forward	*fw = arg;

	if (error != LEDGER_OK)
		log_warnx("%s: release: ledger error %d", __func__, error);
	fw->fw_resid = 0;
	if (fw->fw_conn == NULL && !fw->fw_xcashu) {
		forward_free(fw);
		return;
	}
	reserve(fw);
}

/*
 * Take out of the request the top-level parameter an upstream's 400
 * names as not supported ("`temperature` is deprecated for this model",
 * "parameter 'top_p' is not supported"), each at most once.  Not those
 * the route or the reservation rest on (the model, the text, streaming,
 * the token limits), nor those that change what kind of answer comes
 * (tools, the response format, thinking): their 400 goes to the client
 * as it came.  1 if the request was changed.
 */
static int
correct_request(struct forward *fw, const json_t *err)
{
	static const char * const keep[] = { "model", "messages", "input",
	    "prompt", "system", "instructions", "stream", "stream_options",
	    "max_tokens", "max_completion_tokens", "max_output_tokens",
	    "tools", "tool_choice", "functions", "function_call",
	    "response_format", "thinking", NULL };
	const char * const	*k;
	const char		*msg, *prev = NULL, *end;
	char			 param[64], *text;
	struct jspan		 key, v;
	struct jedit		 ed;
	size_t			 len;

	if (fw->fw_nstripped >= FW_STRIP_MAX ||
	    (msg = error_message(err)) == NULL ||
	    named_param(msg, param, sizeof(param)) == -1)
		return (0);
	/*
	 * OpenAI's reasoning models take the limit only by its new name:
	 * the same limit (the reservation rests on it) under that name.
	 */
	if (strcmp(param, "max_tokens") == 0 && !fw->fw_mct &&
	    strstr(msg, "max_completion_tokens") != NULL) {
		fw->fw_mct = 1;
		fw->fw_nstripped++;
		log_info("model %s: upstream %s wants max_completion_tokens: "
		    "asking again with it", fw->fw_model,
		    fw->fw_cand[fw->fw_cur]->pm_conf.cm_upstream);
		return (1);
	}
	for (k = keep; *k != NULL; k++)
		if (strcmp(param, *k) == 0)
			return (0);
	/* the member and a comma next to it out of the text (no duplicates) */
	key.js_p = NULL;
	while (jscan_member(&fw->fw_req, &key, &v) &&
	    !jscan_streq(&key, param))
		prev = v.js_p + v.js_len;
	if (key.js_p == NULL)
		return (0);
	/* up to the next member, or from the end of the one before */
	ed.je_text = "";
	ed.je_at = key.js_p;
	end = v.js_p + v.js_len;
	if (jscan_member(&fw->fw_req, &key, &v))
		end = key.js_p;
	else if (prev != NULL)
		ed.je_at = prev;
	ed.je_cut = (size_t)(end - ed.je_at);
	if ((text = jscan_edit(fw->fw_req.js_p, fw->fw_req.js_len, &ed, 1,
	    &len)) == NULL)
		fatal(NULL);
	free(fw->fw_body);
	fw->fw_body = text;
	fw->fw_req.js_p = text;
	fw->fw_req.js_len = len;
	fw->fw_nstripped++;
	log_warnx("model %s: upstream %s does not take %s: asking again "
	    "without it", fw->fw_model,
	    fw->fw_cand[fw->fw_cur]->pm_conf.cm_upstream, param);
	return (1);
}

/*
 * The object's text with its member from renamed to (malloc'd, its
 * length in *lenp); NULL if it has no such member, or already has to.
 */
static char *
rename_member(const struct jspan *obj, const char *from, const char *to,
    size_t *lenp)
{
	struct jspan	 k, v;
	struct jedit	 ed;
	char		*q, *t;

	if (jscan_get(obj, to, &v) == 0)
		return (NULL);
	k.js_p = NULL;
	while (jscan_member(obj, &k, &v) && !jscan_streq(&k, from))
		;
	if (k.js_p == NULL)
		return (NULL);
	if ((q = jscan_quote(to)) == NULL)
		fatal(NULL);
	ed.je_at = k.js_p;
	ed.je_cut = k.js_len;
	ed.je_text = q;
	if ((t = jscan_edit(obj->js_p, obj->js_len, &ed, 1, lenp)) == NULL)
		fatal(NULL);
	free(q);
	return (t);
}

/* The message of an error body: error.message, .detail, error, message. */
static const char *
error_message(const json_t *j)
{
	const json_t	*e, *m;

	if (j == NULL || !json_is_object(j))
		return (NULL);
	e = json_object_get(j, "error");
	if (json_is_object(e)) {
		if (json_is_string(m = json_object_get(e, "message")) &&
		    json_string_length(m) > 0)
			return (json_string_value(m));
		if (json_is_string(m = json_object_get(e, "detail")))
			return (json_string_value(m));
	} else if (json_is_string(e))
		return (json_string_value(e));
	if (json_is_string(m = json_object_get(j, "message")))
		return (json_string_value(m));
	return (NULL);
}

/*
 * The first name in msg followed, after an optional quote, by "is
 * deprecated", "is not supported", "is unsupported" or "is no longer
 * supported" (any case, any white space between the words).
 */
static int
named_param(const char *msg, char *param, size_t len)
{
	static const char * const says[] = { "deprecated", "not supported",
	    "unsupported", "no longer supported", NULL };
	const char * const	*w;
	const char		*p, *q, *a, *b;
	size_t			 n;

	for (p = msg; *p != '\0'; p++) {
		if (!isalpha((unsigned char)*p) && *p != '_')
			continue;
		for (q = p; isalnum((unsigned char)*q) || *q == '_'; q++)
			;
		n = (size_t)(q - p);
		a = q;
		if (*a == '`' || *a == '\'' || *a == '"')
			a++;
		if (!isspace((unsigned char)*a))
			goto next;
		while (isspace((unsigned char)*a))
			a++;
		if (strncasecmp(a, "is", 2) != 0 ||
		    !isspace((unsigned char)a[2]))
			goto next;
		for (a += 2; isspace((unsigned char)*a); a++)
			;
		for (w = says; *w != NULL; w++) {
			/* the words of *w, white space between them */
			for (b = *w, q = a; *b != '\0'; b++) {
				if (*b == ' ') {
					if (!isspace((unsigned char)*q))
						break;
					while (isspace((unsigned char)*q))
						q++;
				} else if (tolower((unsigned char)*q++) != *b)
					break;
			}
			if (*b == '\0') {
				if (n >= len)
					return (-1);
				memcpy(param, p, n);
				param[n] = '\0';
				return (0);
			}
		}
 next:
		p += n - 1;	/* past the name */
	}
	return (-1);
}

static int
on_status(struct upstream_req *u, const struct upstream_status *st,
    void *arg)
{
	struct forward	*fw = arg;

	/* a 400 may name a parameter to take out: read it first */
	if (st->st_status == 400 && fw->fw_nstripped < FW_STRIP_MAX)
		return (UPSTREAM_TAKE);
	if (st->st_failover && can_fail_over(fw)) {
		log_info("model %s: upstream %s answered %ld, failing over",
		    fw->fw_model, upstream_name(u), st->st_status);
		fw->fw_up = NULL;
		next_candidate(fw);
		return (UPSTREAM_DROP);
	}
	return (UPSTREAM_TAKE);
}

static void
on_done(struct upstream_req *u, const struct upstream_result *res,
    void *arg)
{
	struct forward		*fw = arg;
	const struct proxy_model *pm = fw->fw_cand[fw->fw_cur];
	struct usage		 us;
	uint64_t		 actual;
	int			 ok;

	fw->fw_up = NULL;
	if (res->ur_client_gone)
		fw->fw_conn = NULL;
	forward_hold(fw);
	fw->fw_status = res->ur_status;
	fw->fw_streamed = res->ur_streamed;

	/* No answer at all: the next candidate, or nothing is charged. */
	if (!res->ur_streamed && res->ur_failover && fw->fw_conn != NULL &&
	    can_fail_over(fw)) {
		log_info("model %s: upstream %s: %s, failing over",
		    fw->fw_model, upstream_name(u), res->ur_errstr);
		next_candidate(fw);	/* fw may be gone */
		return;
	}

	/*
	 * A 400 naming a parameter the model does not take: the same
	 * upstream again without it (Routstr Core's request correction),
	 * else the next candidate.
	 */
	if (res->ur_error == UPSTREAM_OK && res->ur_status == 400 &&
	    !res->ur_streamed && fw->fw_conn != NULL) {
		if (correct_request(fw, res->ur_json)) {
			attempt(fw);
			return;
		}
		if (can_fail_over(fw)) {
			log_info("model %s: upstream %s answered 400, failing "
			    "over", fw->fw_model, upstream_name(u));
			next_candidate(fw);
			return;
		}
	}

	ok = res->ur_error == UPSTREAM_OK && res->ur_status >= 200 &&
	    res->ur_status < 300;
	/* X-Cashu's collected stream, rewritten for the client. */
	if (ok && fw->fw_xcashu && fw->fw_stream && res->ur_root.js_p == NULL &&
	    res->ur_body != NULL &&
	    strncasecmp(res->ur_ctype, "text/event-stream", 17) == 0 &&
	    sse_rewrite(fw, res->ur_body, res->ur_bodylen,
	    &res->ur_usage) == -1)
		log_warnx("model %s: the stream could not be read",
		    fw->fw_model);

	/*
	 * Charged: a whole 2xx answer the client can be given, or a
	 * stream that reached it in part (what the upstream produced
	 * until it stopped).
	 */
	if ((ok && (res->ur_streamed || res->ur_root.js_p != NULL ||
	    fw->fw_sse != NULL)) ||
	    (res->ur_streamed && res->ur_completion_chars > 0)) {
		us = res->ur_usage;
		if (pricing_cost(&pm->pm_conf, &us, &fw->fw_cost) == -1) {
			log_warnx("model %s: the cost overflows; charging the "
			    "reservation", fw->fw_model);
			memset(&fw->fw_cost, 0, sizeof(fw->fw_cost));
			fw->fw_cost.co_total_msats = fw->fw_reserved;
			fw->fw_cost.co_usage = us;
		}
		fw->fw_have_cost = 1;
		actual = fw->fw_cost.co_total_msats;
		/* An answer cut short costs at most what was reserved. */
		if (res->ur_error != UPSTREAM_OK && actual > fw->fw_reserved)
			actual = fw->fw_reserved;
		if (res->ur_root.js_p != NULL) {
			if ((fw->fw_answer = malloc(res->ur_root.js_len)) ==
			    NULL)
				fatal(NULL);
			memcpy(fw->fw_answer, res->ur_root.js_p,
			    res->ur_root.js_len);
			fw->fw_root.js_p = fw->fw_answer;
			fw->fw_root.js_len = res->ur_root.js_len;
		}
		if (res->ur_final != NULL && fw->fw_final == NULL &&
		    (fw->fw_final = strdup(res->ur_final)) == NULL)
			fatal(NULL);
		if (res->ur_error != UPSTREAM_OK)
			log_info("model %s: upstream %s: %s after %llu "
			    "bytes", fw->fw_model, upstream_name(u),
			    res->ur_errstr,
			    (unsigned long long)res->ur_received);
		if (pay_settle(fw->fw_resid, fw->fw_reqid, actual, settled,
		    fw) == -1)
			settled(fw, LEDGER_DBERR, NULL);
		return;
	}

	/* Failed: nothing charged, the error for the client. */
	log_info("model %s: upstream %s: %s, status %ld", fw->fw_model,
	    upstream_name(u), res->ur_error != UPSTREAM_OK ? res->ur_errstr :
	    "error", res->ur_status);
	if (res->ur_error == UPSTREAM_OK && res->ur_status >= 400 &&
	    !res->ur_streamed) {
		fw->fw_error_status = (int)res->ur_status;
		if (res->ur_json != NULL)
			fw->fw_error = json_incref(res->ur_json);
	} else if (res->ur_error == UPSTREAM_E_TIMEOUT)
		fw->fw_error_status = 504;
	else
		fw->fw_error_status = 502;
	if (pay_release(fw->fw_resid, released, fw) == -1)
		released(fw, LEDGER_DBERR, NULL);
}

/* The reservation given back: the failure goes to the client. */
static void
released(void *arg, int error, const struct ipc_ledger_reply *lr)
{
	struct forward	*fw = arg;
	struct http_conn *conn = fw->fw_conn;
	json_t		*j;
	char		 msg[64];
	int		 status;

	if (error != LEDGER_OK)
		log_warnx("%s: ledger error %d; the reservation lapses by "
		    "itself", __func__, error);
	fw->fw_resid = 0;
	if (fw->fw_xcashu) {
		/* The whole token back, as Routstr Core. */
		pay_cashout(conn, fw->fw_mint, &fw->fw_cred,
		    fw->fw_cred.cr_account, 0, cashed_out, fw);
		return;
	}
	if (conn == NULL) {
		forward_free(fw);
		return;
	}
	if (fw->fw_streamed) {
		/* The stream broke before any text: end it. */
		forward_free(fw);
		http_conn_abort(conn);	/* cut: the client must see it */
		return;
	}
	status = fw->fw_error_status;
	if (fw->fw_error != NULL && status >= 400 &&
	    json_object_get(fw->fw_error, "error") != NULL) {
		/* The upstream's own error, passed through. */
		j = json_incref(fw->fw_error);
		forward_free(fw);
		reply_error_jt(conn, status, j);
	} else if (status == 504)
		forward_fail(fw, 504, "upstream_error", "upstream_timeout",
		    "the upstream did not answer in time");
	else if (status >= 400 && status != 502) {
		(void)snprintf(msg, sizeof(msg), "the upstream answered %d",
		    status);
		if ((j = json_pack("{s:{s:s, s:s, s:i}}", "error", "message",
		    msg, "type", "upstream_error", "code", status)) == NULL)
			fatalx("json_pack");
		forward_free(fw);
		reply_error_jt(conn, status, j);
	} else
		forward_fail(fw, 502, "upstream_error", "upstream_error",
		    "Error forwarding request to upstream");
}

static void
settled(void *arg, int error, const struct ipc_ledger_reply *lr)
{
	struct forward	*fw = arg;

	if (error != LEDGER_OK || lr == NULL) {
		/* The reservation lapses at its deadline: unpaid. */
		log_warnx("%s: model %s: ledger error %d, not charged",
		    __func__, fw->fw_model, error);
		fw->fw_have_cost = 0;	/* the answer claims no charge */
	} else
		fw->fw_remaining = lr->lr_balance > lr->lr_reserved ?
		    lr->lr_balance - lr->lr_reserved : 0;
	fw->fw_resid = 0;
	if (fw->fw_xcashu) {
		pay_cashout(fw->fw_conn, fw->fw_mint, &fw->fw_cred,
		    fw->fw_cred.cr_account, 0, cashed_out, fw);
		return;
	}
	reply_answer(fw);
}

/* usage.cost and its companions, in Routstr Core's places. */
static void
reply_cost(struct forward *fw, json_t *j)
{
	json_t	*usage, *meta, *rs, *resp, *cost, *top;

	if (j == NULL || !json_is_object(j) || !fw->fw_have_cost)
		return;
	if (fw->fw_api == UPSTREAM_API_RESPONSES &&
	    json_is_object(resp = json_object_get(j, "response"))) {
		/*
		 * The end of a Responses stream: as Routstr Core, in the
		 * response's usage, the cost in US dollars.
		 */
		usage = json_object_get(resp, "usage");
		cost = json_real(fw->fw_cost.co_have_usd ?
		    fw->fw_cost.co_total_nusd / 1e9 : 0.0);
		top = pricing_cost_json(&fw->fw_cost, 0);
	} else {
		if ((usage = json_object_get(j, "usage")) == NULL ||
		    !json_is_object(usage)) {
			usage = usage_to_json(&fw->fw_cost.co_usage,
			    fw->fw_api);
			if (usage == NULL ||
			    json_object_set_new(j, "usage", usage) == -1)
				return;
		}
		cost = pricing_cost_json(&fw->fw_cost, 0);
		top = json_incref(cost);
	}
	if (json_is_object(usage)) {
		(void)json_object_set(usage, "cost", cost);
		(void)json_object_set_new(usage, "cost_sats",
		    json_integer(pricing_cost_sats(&fw->fw_cost)));
		if (!fw->fw_xcashu)
			(void)json_object_set_new(usage,
			    "remaining_balance_msats",
			    json_integer(fw->fw_remaining));
	}
	json_decref(cost);
	(void)json_object_set_new(j, "cost", top);
	if ((meta = json_object_get(j, "metadata")) == NULL ||
	    !json_is_object(meta)) {
		if ((meta = json_object()) == NULL ||
		    json_object_set_new(j, "metadata", meta) == -1)
			return;
	}
	if ((rs = json_pack("{s:o, s:I}", "cost",
	    pricing_cost_json(&fw->fw_cost, 1), "sats_cost",
	    (json_int_t)pricing_cost_sats(&fw->fw_cost))) == NULL)
		return;
	if (!fw->fw_xcashu)
		(void)json_object_set_new(rs, "remaining_balance_msats",
		    json_integer(fw->fw_remaining));
	(void)json_object_set_new(meta, "routstr", rs);
}

/*
 * The end of an Anthropic stream: after message_stop, an event "cost"
 * with the cost, as Routstr Core sends it.  NULL for other APIs.
 */
static char *
cost_event(struct forward *fw)
{
	char	 s[PRICING_COST_TEXT], *ev;

	if (fw->fw_api != UPSTREAM_API_MESSAGES || !fw->fw_have_cost)
		return (NULL);
	(void)pricing_cost_text(&fw->fw_cost, 1, s);
	if (asprintf(&ev, "event: cost\ndata: {\"cost\":%s}\n\n", s) == -1)
		fatal(NULL);
	return (ev);
}

static void
cost_headers(struct forward *fw)
{
	struct cost_headers	 ch;

	if (!fw->fw_have_cost || fw->fw_conn == NULL)
		return;
	pricing_cost_headers(&fw->fw_cost, &ch);
	http_reply_header(fw->fw_conn, "X-Routstr-Cost-Msats", ch.ch_msats);
	http_reply_header(fw->fw_conn, "X-Routstr-Input-Cost-Msats",
	    ch.ch_input_msats);
	http_reply_header(fw->fw_conn, "X-Routstr-Output-Cost-Msats",
	    ch.ch_output_msats);
	if (ch.ch_usd[0] != '\0')
		http_reply_header(fw->fw_conn, "X-Routstr-Cost-Usd",
		    ch.ch_usd);
}

/* The answer, after the settlement. */
static void
reply_answer(struct forward *fw)
{
	struct http_conn	*conn = fw->fw_conn;
	json_t			*j;
	char			*out, *final;
	size_t			 outlen;
	int			 status = (int)fw->fw_status;
	int			 api = fw->fw_api;

	if (conn == NULL) {
		forward_free(fw);
		return;
	}
	if (fw->fw_streamed) {
		final_cost(fw);
		final = fw->fw_final;
		fw->fw_final = NULL;
		out = cost_event(fw);
		forward_free(fw);
		(void)upstream_stream_finish(conn, api, final, out);
		free(final);
		free(out);
		return;
	}
	cost_headers(fw);
	if (fw->fw_sse != NULL) {
		if (sse_finish_buf(fw) == -1) {
			forward_fail(fw, 502, "upstream_error",
			    "upstream_error", "the stream could not be read");
			return;
		}
		http_reply(conn, status, "text/event-stream", fw->fw_sse,
		    fw->fw_sselen);
		forward_free(fw);
		return;
	}
	if (fw->fw_answer == NULL) {
		forward_fail(fw, 502, "upstream_error", "upstream_error",
		    "the upstream's answer is not JSON");
		return;
	}
	if (status < 200 || status >= 300)
		status = 200;
	if ((out = answer_splice(fw, &fw->fw_root, 1, &outlen)) != NULL) {
		forward_free(fw);
		http_reply(conn, status, "application/json", out, outlen);
		free(out);
		return;
	}
	if ((j = jscan_json(&fw->fw_root)) == NULL)
		fatalx("%s: a checked answer does not load", __func__);
	if (json_object_get(j, "model") != NULL)
		(void)json_object_set_new(j, "model",
		    json_string(fw->fw_model));
	reply_cost(fw, j);
	forward_free(fw);
	proxy_reply_jt(conn, status, j);
}

/*
 * What reply_cost() adds, written into the upstream's own text (root,
 * an answer or a stream's final chunk) instead of a tree of it: usage.cost,
 * cost_sats, remaining_balance_msats, metadata.routstr and the top-level
 * cost, in the same places, and with model the model the client named.
 * NULL when root has no usage object or already has one of those
 * members: reply_cost() does that rare case.
 */
static char *
answer_splice(struct forward *fw, const struct jspan *root, int model,
    size_t *lenp)
{
	static const char * const top[] = { "model", "usage", "metadata",
	    "cost", NULL };
	static const char * const ours[] = { "cost", "cost_sats",
	    "remaining_balance_msats", NULL };
	struct jedit	 ed[3];
	struct jspan	 t[4], u[3];
	char		 cost[PRICING_COST_TEXT], full[PRICING_COST_TEXT];
	char		 rem[64], *name = NULL, *in = NULL, *at = NULL, *out;
	size_t		 n = 0;
	uint64_t	 sats = pricing_cost_sats(&fw->fw_cost);

	(void)jscan_getv(root, top, t);
	if (jscan_type(&t[1]) != JS_OBJECT || t[2].js_p != NULL ||
	    t[3].js_p != NULL || jscan_getv(&t[1], ours, u) != 0)
		return (NULL);

	if (model && t[0].js_p != NULL) {
		name = jscan_quote(fw->fw_model);
		ed[n++] = (struct jedit){ t[0].js_p, t[0].js_len, name };
	}
	if (fw->fw_have_cost) {
		(void)pricing_cost_text(&fw->fw_cost, 0, cost);
		(void)pricing_cost_text(&fw->fw_cost, 1, full);
		rem[0] = '\0';
		if (!fw->fw_xcashu)
			(void)snprintf(rem, sizeof(rem),
			    ",\"remaining_balance_msats\":%llu",
			    (unsigned long long)fw->fw_remaining);
		/* before the usage's closing brace */
		if (asprintf(&in, "%s\"cost\":%s,\"cost_sats\":%llu%s",
		    jscan_empty(&t[1]) ? "" : ",", cost,
		    (unsigned long long)sats, rem) == -1)
			fatal(NULL);
		ed[n++] = (struct jedit){ t[1].js_p + t[1].js_len - 1, 0, in };
		/* before the answer's closing brace (it has members) */
		if (asprintf(&at, ",\"metadata\":{\"routstr\":"
		    "{\"cost\":%s,\"sats_cost\":%llu%s}},\"cost\":%s", full,
		    (unsigned long long)sats, rem, cost) == -1)
			fatal(NULL);
		ed[n++] = (struct jedit){ root->js_p + root->js_len - 1, 0,
		    at };
	}
	if ((out = jscan_edit(root->js_p, root->js_len, ed, n, lenp)) ==
	    NULL)
		fatal(NULL);
	free(name);
	free(in);
	free(at);
	return (out);
}

/* The cost into a stream's final chunk: fw_final's text replaced. */
static void
final_cost(struct forward *fw)
{
	struct jspan	 root;
	json_t		*j;
	char		*s = NULL;
	size_t		 len;

	if (fw->fw_final == NULL || !fw->fw_have_cost ||
	    jscan_parse(fw->fw_final, strlen(fw->fw_final), &root) == -1)
		return;
	if (fw->fw_api == UPSTREAM_API_RESPONSES ||
	    (s = answer_splice(fw, &root, 0, &len)) == NULL) {
		if ((j = jscan_json(&root)) == NULL)
			return;
		reply_cost(fw, j);
		s = json_dumps(j, JSON_COMPACT);
		json_decref(j);
		if (s == NULL)
			fatal(NULL);
	}
	free(fw->fw_final);
	fw->fw_final = s;
}

/* X-Cashu: the change (or the whole token) back as a token. */
static void
cashed_out(struct http_conn *conn, void *arg, int code,
    const struct ipc_ledger_reply *lr, const char *token)
{
	struct forward	*fw = arg;
	json_t		*j, *e;
	int		 status;

	fw->fw_conn = conn;
	if (code != LEDGER_OK)
		log_warnx("model %s: the change could not be made (%d); it "
		    "stays in the token's balance", fw->fw_model, code);
	if (conn == NULL) {
		forward_free(fw);
		return;
	}
	if (code == LEDGER_OK && token != NULL)
		http_reply_header(conn, "X-Cashu", token);
	if (fw->fw_have_cost) {
		reply_answer(fw);
		return;
	}
	/* A failure: all of it back, in the body too. */
	status = fw->fw_error_status >= 400 ? fw->fw_error_status : 502;
	if ((e = json_pack("{s:s, s:s, s:i}", "message",
	    fw->fw_unreserved != NULL ? fw->fw_unreserved :
	    "Error forwarding request to upstream", "type",
	    fw->fw_required > 0 ? "insufficient_quota" :
	    fw->fw_unreserved != NULL ? "internal_error" : "upstream_error",
	    "code", status)) == NULL)
		fatalx("json_pack");
	if (fw->fw_required > 0)
		(void)json_object_set_new(e, "amount_required_msat",
		    json_integer((json_int_t)fw->fw_required));
	if (code == LEDGER_OK && token != NULL)
		(void)json_object_set_new(e, "refund_token",
		    json_string(token));
	if (fw->fw_error != NULL && json_object_get(fw->fw_error, "error"))
		(void)json_object_set(e, "upstream",
		    json_object_get(fw->fw_error, "error"));
	if ((j = json_pack("{s:o}", "error", e)) == NULL)
		fatalx("json_pack");
	forward_free(fw);
	reply_error_jt(conn, status, j);
}

/*
 * X-Cashu and "stream": true: the collected stream without the
 * upstream's usage chunk and terminal, our final chunk and [DONE]
 * after it.
 */
struct rewrite {
	struct upstream_scan	 rw_scan;
	char			*rw_buf;
	size_t			 rw_len;
	size_t			 rw_cap;
	int			 rw_nomem;
};

static int
rw_event(const struct sse_event *ev, void *arg)
{
	struct rewrite	*rw = arg;

	return (upstream_scan_event(&rw->rw_scan, ev));
}

static int
rw_pass(const char *s, size_t len, void *arg)
{
	struct rewrite	*rw = arg;
	char		*n;
	size_t		 cap;

	if (rw->rw_len + len + 1 > rw->rw_cap) {
		cap = (rw->rw_len + len + 1) * 2;
		if ((n = realloc(rw->rw_buf, cap)) == NULL) {
			rw->rw_nomem = 1;
			return (-1);
		}
		rw->rw_buf = n;
		rw->rw_cap = cap;
	}
	memcpy(rw->rw_buf + rw->rw_len, s, len);
	rw->rw_len += len;
	return (0);
}

/* The final chunk with the cost, and the terminal, after the rest. */
static int
sse_finish_buf(struct forward *fw)
{
	char	*tail, *ev, *n;
	size_t	 len;

	final_cost(fw);
	ev = cost_event(fw);
	tail = upstream_stream_tail(fw->fw_api, fw->fw_final, ev, &len);
	free(ev);
	if (tail == NULL)
		return (-1);
	if ((n = realloc(fw->fw_sse, fw->fw_sselen + len + 1)) == NULL) {
		free(tail);
		return (-1);
	}
	memcpy(n + fw->fw_sselen, tail, len + 1);
	free(tail);
	fw->fw_sse = n;
	fw->fw_sselen += len;
	return (0);
}

static int
sse_rewrite(struct forward *fw, const char *body, size_t len,
    const struct usage *us)
{
	struct sse_parser	 sp;
	struct rewrite		 rw;
	char			*final;

	memset(&rw, 0, sizeof(rw));
	upstream_scan_init(&rw.rw_scan, fw->fw_api, 1);
	sse_init(&sp, SSE_EVENT_MAX, rw_event, rw_pass, &rw);
	if (sse_feed(&sp, body, len) == -1 || sse_finish(&sp) == -1 ||
	    rw.rw_nomem) {
		sse_free(&sp);
		upstream_scan_free(&rw.rw_scan);
		free(rw.rw_buf);
		return (-1);
	}
	sse_free(&sp);
	final = upstream_scan_final(&rw.rw_scan, us);
	upstream_scan_free(&rw.rw_scan);
	free(fw->fw_final);
	fw->fw_final = final;
	if (rw.rw_buf == NULL && rw_pass("", 0, &rw) == -1)
		return (-1);
	fw->fw_sse = rw.rw_buf;
	fw->fw_sselen = rw.rw_len;
	return (0);
}
