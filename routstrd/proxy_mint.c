/*
 * The mint's HTTP API (Cashu NUTs) in the proxy: requests are parsed and
 * checked here, handed to mintd as fixed structures, and its answers
 * written back as the JSON that Cashu wallets expect.  Errors are HTTP
 * 400 with {"detail": ..., "code": ...} as the NUTs have them.
 */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "hex.h"
#include "http.h"
#include "imsg.h"
#include "ipc.h"
#include "log.h"
#include "proc.h"
#include "proxy.h"

/* One request waiting for the mint. */
struct mint_call {
	struct http_conn	*mc_conn;
	uint32_t		 mc_reqid;
	int			 mc_kind;	/* MC_* */
	json_t			*mc_keysets;	/* accumulated answer */
	unsigned char		*mc_data;	/* checkstate: the Ys asked */
	size_t			 mc_len;
};

#define MC_KEYS		1	/* GET /v1/keys[/id] */
#define MC_KEYSETS	2	/* GET /v1/keysets */
#define MC_SWAP		3	/* POST /v1/swap */
#define MC_CHECKSTATE	4	/* POST /v1/checkstate */
#define MC_RESTORE	5	/* POST /v1/restore */
#define MC_QUOTE	6	/* mint quote: new or GET */
#define MC_MELT_QUOTE	7	/* melt quote: new, GET or melt */
#define MC_MINT		8	/* POST /v1/mint/bolt11 */

/* NUT error codes the proxy gives itself */
#define E_MAX_INPUTS	11014
#define E_MAX_OUTPUTS	11015

static struct mint_call *call_start(struct http_conn *, int, uint32_t,
		    const void *, size_t);
static json_t	*mint_answer(struct mint_call *, struct imsg *);
static json_t	*quote_answer(struct mint_call *, struct imsg *);
static int	 parse_error(struct http_conn *, const char *);
static void	 call_done(struct imsg *, void *);
static void	 call_closed(struct http_conn *, void *);
static void	 call_free(struct mint_call *);
static json_t	*keyset_json(const struct ipc_mint_keyset *, int);
static int	 post_swap(struct http_conn *, json_t *);
static int	 post_checkstate(struct http_conn *, json_t *);
static int	 post_restore(struct http_conn *, json_t *);
static int	 post_mint_quote(struct http_conn *, json_t *);
static int	 post_melt_quote(struct http_conn *, json_t *);
static int	 post_mint(struct http_conn *, json_t *);
static int	 post_melt(struct http_conn *, json_t *);
static int	 get_quote(struct http_conn *, const char *, int);
static json_t	*quote_json(const struct ipc_quote *, const struct ipc_signature *,
		    uint32_t);
static json_t	*body_json(struct http_conn *, struct http_request *);
static int	 parse_hex(json_t *, void *, size_t);
static int	 parse_keyset_id(json_t *, uint8_t *, uint32_t *);
static int	 parse_amount(json_t *, uint64_t *);
static const char *parse_proofs(json_t *, struct ipc_proof_in *, size_t,
		    uint32_t *);
static const char *parse_outputs(json_t *, struct ipc_output *, size_t,
		    uint32_t *);
static json_t	*signature_json(const struct ipc_signature *);
static json_t	*output_json(const struct ipc_output *);

/* The NUT error shape: 400 {"detail": ..., "code": ...} */
void
mint_error(struct http_conn *conn, int code, const char *detail)
{
	json_t	*j;

	if ((j = json_pack("{s:s, s:i}", "detail", detail, "code", code)) ==
	    NULL)
		fatalx("json_pack");
	proxy_reply_jt(conn, 400, j);
}


/*
 * The routes of the mint; -1 when the path is not one of them.
 */
int
mint_route(struct http_conn *conn, struct http_request *req)
{
	struct ipc_keys_req	 kq;
	const char		*path = req->path, *id;
	size_t			 n;
	int			 get = strcmp(req->method, "GET") == 0;

	memset(&kq, 0, sizeof(kq));
	if (strcmp(path, "/v1/keys") == 0 || strcmp(path, "/v1/keysets") == 0) {
		if (!get) {
			proxy_reply_json(conn, 405,
			    "{\"detail\":\"Method Not Allowed\"}");
			return (0);
		}
		if (strcmp(path, "/v1/keys") == 0) {
			kq.kq_which = IPC_KEYS_ACTIVE;
			kq.kq_pubkeys = 1;
		} else
			kq.kq_which = IPC_KEYS_ALL;
		call_start(conn, path[8] == '\0' ? MC_KEYS : MC_KEYSETS,
		    IMSG_MINT_KEYSETS, &kq, sizeof(kq));
		return (0);
	}
	if (strncmp(path, "/v1/mint/quote/bolt11/", 22) == 0 && get)
		return (get_quote(conn, path + 22, 0));
	if (strncmp(path, "/v1/melt/quote/bolt11/", 22) == 0 && get)
		return (get_quote(conn, path + 22, 1));
	if (strcmp(path, "/v1/swap") == 0 ||
	    strcmp(path, "/v1/checkstate") == 0 ||
	    strcmp(path, "/v1/restore") == 0 ||
	    strcmp(path, "/v1/mint/quote/bolt11") == 0 ||
	    strcmp(path, "/v1/melt/quote/bolt11") == 0 ||
	    strcmp(path, "/v1/mint/bolt11") == 0 ||
	    strcmp(path, "/v1/melt/bolt11") == 0) {
		json_t	*body;

		if (strcmp(req->method, "POST") != 0) {
			proxy_reply_json(conn, 405,
			    "{\"detail\":\"Method Not Allowed\"}");
			return (0);
		}
		if ((body = body_json(conn, req)) == NULL)
			return (0);
		if (strcmp(path, "/v1/swap") == 0)
			post_swap(conn, body);
		else if (strcmp(path, "/v1/checkstate") == 0)
			post_checkstate(conn, body);
		else if (strcmp(path, "/v1/restore") == 0)
			post_restore(conn, body);
		else if (strcmp(path, "/v1/mint/quote/bolt11") == 0)
			post_mint_quote(conn, body);
		else if (strcmp(path, "/v1/melt/quote/bolt11") == 0)
			post_melt_quote(conn, body);
		else if (strcmp(path, "/v1/mint/bolt11") == 0)
			post_mint(conn, body);
		else
			post_melt(conn, body);
		json_decref(body);
		return (0);
	}
	if (strncmp(path, "/v1/keys/", 9) == 0) {
		if (!get) {
			proxy_reply_json(conn, 405,
			    "{\"detail\":\"Method Not Allowed\"}");
			return (0);
		}
		id = path + 9;
		n = strlen(id);
		/* 16 hex digits (a V1 id or a short V2 one) or 66 */
		if ((n != 16 && n != 66) ||
		    hex_decode(kq.kq_id, n / 2, id) == -1) {
			mint_error(conn, 12001, "keyset is not known");
			return (0);
		}
		kq.kq_which = IPC_KEYS_ONE;
		kq.kq_pubkeys = 1;
		kq.kq_idlen = n / 2;
		call_start(conn, MC_KEYS, IMSG_MINT_KEYSETS, &kq, sizeof(kq));
		return (0);
	}
	return (-1);
}

/* The call waiting for the mint, or NULL when it was answered already. */
static struct mint_call *
call_start(struct http_conn *conn, int kind, uint32_t type, const void *data,
    size_t len)
{
	struct mint_call	*mc;
	struct peer		*mint;

	if ((mc = calloc(1, sizeof(*mc))) == NULL ||
	    (mc->mc_keysets = json_array()) == NULL)
		fatal(NULL);
	mc->mc_conn = conn;
	mc->mc_kind = kind;
	if ((mint = peer_find(PROC_MINT, 0)) == NULL ||
	    (mc->mc_reqid = proc_request(mint, type, data, len,
	    IPC_TIMEOUT_MS, call_done, mc)) == 0) {
		call_free(mc);
		http_reply_error(conn, 503, "the mint is not available");
		return (NULL);
	}
	http_conn_set_closecb(conn, call_closed, mc);
	return (mc);
}

static void
call_free(struct mint_call *mc)
{
	json_decref(mc->mc_keysets);
	free(mc->mc_data);
	free(mc);
}

/* The client went away: the mint's answer goes nowhere. */
static void
call_closed(struct http_conn *conn, void *arg)
{
	struct mint_call	*mc = arg;

	proc_request_cancel(mc->mc_reqid);
	call_free(mc);
}

/* The JSON of a swap, checkstate or restore answer; NULL if malformed. */
static json_t *
mint_answer(struct mint_call *mc, struct imsg *imsg)
{
	static const char *const states[] = { "UNSPENT", "PENDING", "SPENT" };
	struct ipc_signature	 sg;
	struct ipc_output	 o;
	json_t			*j, *a, *b;
	char			 y[2 * IPC_Y_LEN + 1];
	uint8_t			 st;
	uint32_t		 n, i;
	size_t			 len = imsg_get_len(imsg);

	if (imsg_get_buf(imsg, &n, sizeof(n)) == -1)
		return (NULL);
	switch (imsg_get_type(imsg)) {
	case IMSG_MINT_SIGNATURES:
		if ((mc->mc_kind != MC_SWAP && mc->mc_kind != MC_MINT) ||
		    len != sizeof(n) + n * sizeof(sg) || n > IPC_OUTPUTS_MAX)
			return (NULL);
		if ((a = json_array()) == NULL)
			fatal(NULL);
		for (i = 0; i < n; i++) {
			if (imsg_get_buf(imsg, &sg, sizeof(sg)) == -1 ||
			    sg.sg_idlen == 0 || sg.sg_idlen > IPC_KEYSET_MAX) {
				json_decref(a);
				return (NULL);
			}
			json_array_append_new(a, signature_json(&sg));
		}
		j = json_pack("{s:o}", "signatures", a);
		break;
	case IMSG_MINT_STATES:
		if (mc->mc_kind != MC_CHECKSTATE || len != sizeof(n) + n ||
		    n != mc->mc_len / IPC_Y_LEN)
			return (NULL);
		if ((a = json_array()) == NULL)
			fatal(NULL);
		for (i = 0; i < n; i++) {
			if (imsg_get_buf(imsg, &st, 1) == -1 || st > 2) {
				json_decref(a);
				return (NULL);
			}
			hex_encode(y, mc->mc_data + i * IPC_Y_LEN, IPC_Y_LEN);
			json_array_append_new(a, json_pack("{s:s, s:s, s:n}",
			    "Y", y, "state", states[st], "witness"));
		}
		j = json_pack("{s:o}", "states", a);
		break;
	case IMSG_MINT_RESTORED:
		if (mc->mc_kind != MC_RESTORE || n > IPC_OUTPUTS_MAX ||
		    len != sizeof(n) + n * (sizeof(o) + sizeof(sg)))
			return (NULL);
		if ((a = json_array()) == NULL || (b = json_array()) == NULL)
			fatal(NULL);
		for (i = 0; i < n; i++) {
			if (imsg_get_buf(imsg, &o, sizeof(o)) == -1 ||
			    imsg_get_buf(imsg, &sg, sizeof(sg)) == -1 ||
			    o.o_idlen == 0 || o.o_idlen > IPC_KEYSET_MAX ||
			    sg.sg_idlen == 0 || sg.sg_idlen > IPC_KEYSET_MAX) {
				json_decref(a);
				json_decref(b);
				return (NULL);
			}
			json_array_append_new(a, output_json(&o));
			json_array_append_new(b, signature_json(&sg));
		}
		/* "promises" is the old name, which older wallets read */
		j = json_pack("{s:o, s:O, s:o}", "outputs", a, "signatures", b,
		    "promises", b);
		break;
	case IMSG_MINT_QUOTE:
		/* n came first in the others; here the quote leads */
		return (NULL);
	default:
		return (NULL);
	}
	if (j == NULL)
		fatal("json_pack");
	return (j);
}

/* A quote, with the change of a melt; NULL if malformed. */
static json_t *
quote_answer(struct mint_call *mc, struct imsg *imsg)
{
	struct ipc_quote	 q;
	struct ipc_signature	*sig;
	json_t			*j;
	uint32_t		 n;
	size_t			 len = imsg_get_len(imsg);

	if ((mc->mc_kind != MC_QUOTE && mc->mc_kind != MC_MELT_QUOTE) ||
	    imsg_get_buf(imsg, &q, sizeof(q)) == -1 ||
	    imsg_get_buf(imsg, &n, sizeof(n)) == -1 || n > IPC_OUTPUTS_MAX ||
	    len != sizeof(q) + sizeof(n) + n * sizeof(*sig) ||
	    !ipc_str_ok(q.q_id, sizeof(q.q_id)) ||
	    !ipc_str_ok(q.q_unit, sizeof(q.q_unit)) ||
	    !ipc_str_ok(q.q_pubkey, sizeof(q.q_pubkey)) ||
	    !ipc_str_ok(q.q_request, sizeof(q.q_request)) ||
	    q.q_melt != (mc->mc_kind == MC_MELT_QUOTE))
		return (NULL);
	if ((sig = calloc(n + 1, sizeof(*sig))) == NULL)
		fatal(NULL);
	if (n > 0 && imsg_get_buf(imsg, sig, n * sizeof(*sig)) == -1) {
		free(sig);
		return (NULL);
	}
	j = quote_json(&q, sig, n);
	free(sig);
	return (j);
}

static void
call_done(struct imsg *imsg, void *arg)
{
	struct mint_call	*mc = arg;
	struct ipc_mint_keyset	 k;
	struct ipc_mint_error	 me;
	json_t			*j;

	if (imsg == NULL) {
		http_conn_set_closecb(mc->mc_conn, NULL, NULL);
		http_reply_error(mc->mc_conn, 503, "the mint did not answer");
		call_free(mc);
		return;
	}
	switch (imsg_get_type(imsg)) {
	case IMSG_MINT_KEYSET:
		if (imsg_get_data(imsg, &k, sizeof(k)) == -1 ||
		    k.mk_idlen == 0 || k.mk_idlen > IPC_KEYSET_MAX ||
		    k.mk_nkeys > IPC_KEYSET_KEYS ||
		    !ipc_str_ok(k.mk_unit, sizeof(k.mk_unit)))
			goto bad;
		if (json_array_append_new(mc->mc_keysets,
		    keyset_json(&k, mc->mc_kind == MC_KEYS)) == -1)
			fatal(NULL);
		return;		/* more to come */
	case IMSG_MINT_QUOTE:
		if ((j = quote_answer(mc, imsg)) == NULL)
			goto bad;
		http_conn_set_closecb(mc->mc_conn, NULL, NULL);
		proxy_reply_jt(mc->mc_conn, 200, j);
		call_free(mc);
		return;
	case IMSG_MINT_SIGNATURES:
	case IMSG_MINT_STATES:
	case IMSG_MINT_RESTORED:
		if ((j = mint_answer(mc, imsg)) == NULL)
			goto bad;
		http_conn_set_closecb(mc->mc_conn, NULL, NULL);
		proxy_reply_jt(mc->mc_conn, 200, j);
		call_free(mc);
		return;
	case IMSG_MINT_END:
		if (imsg_get_data(imsg, &me, sizeof(me)) == -1 ||
		    !ipc_str_ok(me.me_detail, sizeof(me.me_detail)))
			goto bad;
		http_conn_set_closecb(mc->mc_conn, NULL, NULL);
		if (me.me_code != 0)
			mint_error(mc->mc_conn, me.me_code, me.me_detail);
		else {
			if ((j = json_pack("{s:O}", "keysets",
			    mc->mc_keysets)) == NULL)
				fatal(NULL);
			proxy_reply_jt(mc->mc_conn, 200, j);
		}
		call_free(mc);
		return;
	}
 bad:
	/* The mint is the trusted side: a bad answer is a broken mint. */
	fatalx("malformed %s from the mint",
	    imsg_type_name(imsg_get_type(imsg)));
}

/* The request body as JSON, or NULL after answering a 400. */
static json_t *
body_json(struct http_conn *conn, struct http_request *req)
{
	json_t	*j;

	if ((j = proxy_body_json(req)) == NULL)
		mint_error(conn, E_REQUEST, "the body is not a JSON object");
	return (j);
}

/* A hex string of exactly len bytes. */
static int
parse_hex(json_t *j, void *out, size_t len)
{
	if (!json_is_string(j) || json_string_length(j) != 2 * len)
		return (-1);
	return (hex_decode(out, len, json_string_value(j)));
}

/* A keyset id: 8 bytes (V1, or a short V2) or 33 (V2). */
static int
parse_keyset_id(json_t *j, uint8_t *id, uint32_t *len)
{
	if (!json_is_string(j))
		return (-1);
	switch (json_string_length(j)) {
	case 16:
		*len = 8;
		break;
	case 66:
		*len = 33;
		break;
	default:
		return (-1);
	}
	return (hex_decode(id, *len, json_string_value(j)));
}

static int
parse_amount(json_t *j, uint64_t *a)
{
	if (!json_is_integer(j) || json_integer_value(j) < 0)
		return (-1);
	*a = (uint64_t)json_integer_value(j);
	return (0);
}

/* NUT-00 Proofs; the detail of what is wrong, or NULL. */
static const char *
parse_proofs(json_t *arr, struct ipc_proof_in *in, size_t max, uint32_t *n)
{
	json_t		*p, *secret, *w;
	size_t		 i, len;

	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return ("inputs: a non-empty array is needed");
	if (json_array_size(arr) > max)
		return ("max inputs exceeded");
	json_array_foreach(arr, i, p) {
		memset(&in[i], 0, sizeof(in[i]));
		if (!json_is_object(p) ||
		    parse_amount(json_object_get(p, "amount"),
		    &in[i].pi_amount) == -1 ||
		    parse_keyset_id(json_object_get(p, "id"), in[i].pi_id,
		    &in[i].pi_idlen) == -1 ||
		    parse_hex(json_object_get(p, "C"), in[i].pi_c,
		    IPC_Y_LEN) == -1)
			return ("invalid proof");
		secret = json_object_get(p, "secret");
		if (!json_is_string(secret) || (len =
		    json_string_length(secret)) == 0 || len > IPC_SECRET_MAX)
			return ("invalid proof secret");
		memcpy(in[i].pi_secret, json_string_value(secret), len);
		in[i].pi_secretlen = len;
		w = json_object_get(p, "witness");
		in[i].pi_has_witness = w != NULL && !json_is_null(w);
	}
	*n = json_array_size(arr);
	return (NULL);
}

/* NUT-00 BlindedMessages */
static const char *
parse_outputs(json_t *arr, struct ipc_output *out, size_t max, uint32_t *n)
{
	json_t		*o;
	size_t		 i;

	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return ("outputs: a non-empty array is needed");
	if (json_array_size(arr) > max)
		return ("max outputs exceeded");
	json_array_foreach(arr, i, o) {
		memset(&out[i], 0, sizeof(out[i]));
		if (!json_is_object(o) ||
		    parse_amount(json_object_get(o, "amount"),
		    &out[i].o_amount) == -1 ||
		    parse_keyset_id(json_object_get(o, "id"), out[i].o_id,
		    &out[i].o_idlen) == -1 ||
		    parse_hex(json_object_get(o, "B_"), out[i].o_b,
		    IPC_Y_LEN) == -1)
			return ("invalid blinded message");
	}
	*n = json_array_size(arr);
	return (NULL);
}

static int
parse_error(struct http_conn *conn, const char *detail)
{
	int	 code = E_REQUEST;

	if (strcmp(detail, "max inputs exceeded") == 0)
		code = E_MAX_INPUTS;
	else if (strcmp(detail, "max outputs exceeded") == 0)
		code = E_MAX_OUTPUTS;
	mint_error(conn, code, detail);
	return (0);
}

/* POST /v1/swap {"inputs": [Proof], "outputs": [BlindedMessage]} */
static int
post_swap(struct http_conn *conn, json_t *body)
{
	struct ipc_swap		 sw;
	struct ipc_proof_in	*in;
	struct ipc_output	*out;
	unsigned char		*buf;
	const char		*err;
	size_t			 len;

	len = sizeof(sw) + IPC_INPUTS_MAX * sizeof(*in) +
	    IPC_OUTPUTS_MAX * sizeof(*out);
	if ((buf = calloc(1, len)) == NULL)
		fatal(NULL);
	in = (struct ipc_proof_in *)(buf + sizeof(sw));
	if ((err = parse_proofs(json_object_get(body, "inputs"), in,
	    IPC_INPUTS_MAX, &sw.sw_ninputs)) != NULL) {
		freezero(buf, len);
		return (parse_error(conn, err));
	}
	out = (struct ipc_output *)(in + sw.sw_ninputs);
	if ((err = parse_outputs(json_object_get(body, "outputs"), out,
	    IPC_OUTPUTS_MAX, &sw.sw_noutputs)) != NULL) {
		freezero(buf, len);
		return (parse_error(conn, err));
	}
	memcpy(buf, &sw, sizeof(sw));
	call_start(conn, MC_SWAP, IMSG_MINT_SWAP, buf, sizeof(sw) +
	    sw.sw_ninputs * sizeof(*in) + sw.sw_noutputs * sizeof(*out));
	/* Secrets of proofs: bearer money. */
	freezero(buf, len);
	return (0);
}

/* POST /v1/checkstate {"Ys": [hex]} */
static int
post_checkstate(struct http_conn *conn, json_t *body)
{
	struct mint_call	*mc;
	json_t			*ys, *y;
	unsigned char		*buf;
	uint32_t		 n;
	size_t			 i;

	ys = json_object_get(body, "Ys");
	if (!json_is_array(ys) || (n = json_array_size(ys)) == 0)
		return (parse_error(conn, "Ys: a non-empty array is needed"));
	if (n > IPC_BATCH_MAX)
		return (parse_error(conn, "max inputs exceeded"));
	if ((buf = malloc(sizeof(n) + (size_t)n * IPC_Y_LEN)) == NULL)
		fatal(NULL);
	memcpy(buf, &n, sizeof(n));
	json_array_foreach(ys, i, y)
		if (parse_hex(y, buf + sizeof(n) + i * IPC_Y_LEN,
		    IPC_Y_LEN) == -1) {
			free(buf);
			return (parse_error(conn, "invalid Y"));
		}
	if ((mc = call_start(conn, MC_CHECKSTATE, IMSG_MINT_CHECKSTATE, buf,
	    sizeof(n) + (size_t)n * IPC_Y_LEN)) != NULL) {
		/* The answer names each Y: keep them. */
		if ((mc->mc_data = malloc((size_t)n * IPC_Y_LEN)) == NULL)
			fatal(NULL);
		memcpy(mc->mc_data, buf + sizeof(n), (size_t)n * IPC_Y_LEN);
		mc->mc_len = (size_t)n * IPC_Y_LEN;
	}
	free(buf);
	return (0);
}

/* POST /v1/restore {"outputs": [BlindedMessage]} */
static int
post_restore(struct http_conn *conn, json_t *body)
{
	struct ipc_output	*out;
	unsigned char		*buf;
	const char		*err;
	uint32_t		 n;
	size_t			 len;

	len = sizeof(n) + IPC_OUTPUTS_MAX * sizeof(*out);
	if ((buf = calloc(1, len)) == NULL)
		fatal(NULL);
	out = (struct ipc_output *)(buf + sizeof(n));
	if ((err = parse_outputs(json_object_get(body, "outputs"), out,
	    IPC_OUTPUTS_MAX, &n)) != NULL) {
		free(buf);
		return (parse_error(conn, err));
	}
	memcpy(buf, &n, sizeof(n));
	call_start(conn, MC_RESTORE, IMSG_MINT_RESTORE, buf,
	    sizeof(n) + n * sizeof(*out));
	free(buf);
	return (0);
}

static const char *
quote_state(uint32_t s)
{
	switch (s) {
	case 1:
		return ("UNPAID");
	case 2:
		return ("PAID");
	case 3:
		return ("ISSUED");
	case 4:
		return ("PENDING");
	default:
		return ("UNKNOWN");
	}
}

/* NUT-04 / NUT-05 quote responses */
static json_t *
quote_json(const struct ipc_quote *q, const struct ipc_signature *change,
    uint32_t n)
{
	char	 pre[65];
	json_t	*j, *a;
	uint32_t i;

	if ((j = json_pack("{s:s, s:s, s:I, s:s, s:s}", "quote", q->q_id,
	    "request", q->q_request, "amount", (json_int_t)q->q_amount,
	    "unit", q->q_unit, "state", quote_state(q->q_state))) == NULL)
		fatal("json_pack");
	if (q->q_expiry != 0)
		json_object_set_new(j, "expiry", json_integer(q->q_expiry));
	else
		json_object_set_new(j, "expiry", json_null());
	if (!q->q_melt) {
		/* Newer wallets read "paid" too, older ones only that. */
		json_object_set_new(j, "paid", json_boolean(q->q_state ==
		    2 || q->q_state == 3));
		if (q->q_pubkey[0] != '\0')
			json_object_set_new(j, "pubkey",
			    json_string(q->q_pubkey));
		return (j);
	}
	json_object_set_new(j, "fee_reserve",
	    json_integer((json_int_t)q->q_fee_reserve));
	json_object_set_new(j, "paid", json_boolean(q->q_state == 2));
	if (q->q_has_preimage) {
		hex_encode(pre, q->q_preimage, 32);
		json_object_set_new(j, "payment_preimage", json_string(pre));
	} else
		json_object_set_new(j, "payment_preimage", json_null());
	if (n > 0) {
		if ((a = json_array()) == NULL)
			fatal(NULL);
		for (i = 0; i < n; i++)
			json_array_append_new(a, signature_json(&change[i]));
		json_object_set_new(j, "change", a);
	}
	return (j);
}

static int
get_quote(struct http_conn *conn, const char *id, int melt)
{
	struct ipc_quote_ref	 qr;

	memset(&qr, 0, sizeof(qr));
	if (*id == '\0' || strlcpy(qr.qr_id, id, sizeof(qr.qr_id)) >=
	    sizeof(qr.qr_id) || !ipc_str_ok(qr.qr_id, sizeof(qr.qr_id))) {
		mint_error(conn, E_REQUEST, "quote not found");
		return (0);
	}
	qr.qr_melt = melt;
	call_start(conn, melt ? MC_MELT_QUOTE : MC_QUOTE, IMSG_MINT_QUOTE_GET,
	    &qr, sizeof(qr));
	return (0);
}

/* POST /v1/mint/quote/bolt11 {"amount", "unit", "description"?, "pubkey"?} */
static int
post_mint_quote(struct http_conn *conn, json_t *body)
{
	struct ipc_mint_quote_req mq;
	json_t			*unit, *desc, *pub;

	memset(&mq, 0, sizeof(mq));
	unit = json_object_get(body, "unit");
	desc = json_object_get(body, "description");
	pub = json_object_get(body, "pubkey");
	if (parse_amount(json_object_get(body, "amount"), &mq.mq_amount) ==
	    -1 || !json_is_string(unit) ||
	    strlcpy(mq.mq_unit, json_string_value(unit),
	    sizeof(mq.mq_unit)) >= sizeof(mq.mq_unit))
		return (parse_error(conn, "amount and unit are needed"));
	if (desc != NULL && !json_is_null(desc) && (!json_is_string(desc) ||
	    strlcpy(mq.mq_description, json_string_value(desc),
	    sizeof(mq.mq_description)) >= sizeof(mq.mq_description) ||
	    !ipc_str_ok(mq.mq_description, sizeof(mq.mq_description))))
		return (parse_error(conn, "invalid description"));
	if (pub != NULL && !json_is_null(pub)) {
		if (parse_hex(pub, mq.mq_pubkey, IPC_Y_LEN) == -1) {
			mint_error(conn, 20009, "invalid pubkey");
			return (0);
		}
		mq.mq_has_pubkey = 1;
	}
	call_start(conn, MC_QUOTE, IMSG_MINT_QUOTE_NEW, &mq, sizeof(mq));
	return (0);
}

/* POST /v1/melt/quote/bolt11 {"request", "unit", "options"?} */
static int
post_melt_quote(struct http_conn *conn, json_t *body)
{
	struct ipc_melt_quote_req mq;
	json_t			*req, *unit, *opt;

	memset(&mq, 0, sizeof(mq));
	req = json_object_get(body, "request");
	unit = json_object_get(body, "unit");
	if (!json_is_string(req) || strlcpy(mq.mq_request,
	    json_string_value(req), sizeof(mq.mq_request)) >=
	    sizeof(mq.mq_request) || !json_is_string(unit) ||
	    strlcpy(mq.mq_unit, json_string_value(unit), sizeof(mq.mq_unit)) >=
	    sizeof(mq.mq_unit) ||
	    !ipc_str_ok(mq.mq_request, sizeof(mq.mq_request)))
		return (parse_error(conn, "request and unit are needed"));
	opt = json_object_get(json_object_get(json_object_get(body,
	    "options"), "amountless"), "amount_msat");
	if (opt != NULL && parse_amount(opt, &mq.mq_amountless_msat) == -1)
		return (parse_error(conn, "invalid amountless amount"));
	call_start(conn, MC_MELT_QUOTE, IMSG_MINT_MELT_QUOTE_NEW, &mq,
	    sizeof(mq));
	return (0);
}

/* POST /v1/mint/bolt11 {"quote", "outputs", "signature"?} */
static int
post_mint(struct http_conn *conn, json_t *body)
{
	struct ipc_mint_req	 mr;
	struct ipc_output	*out;
	unsigned char		*buf;
	json_t			*quote, *sig;
	const char		*err;
	size_t			 len;

	memset(&mr, 0, sizeof(mr));
	quote = json_object_get(body, "quote");
	if (!json_is_string(quote) || strlcpy(mr.mr_quote,
	    json_string_value(quote), sizeof(mr.mr_quote)) >=
	    sizeof(mr.mr_quote) || !ipc_str_ok(mr.mr_quote,
	    sizeof(mr.mr_quote)))
		return (parse_error(conn, "quote is needed"));
	sig = json_object_get(body, "signature");
	if (sig != NULL && !json_is_null(sig)) {
		if (parse_hex(sig, mr.mr_signature, 64) == -1) {
			mint_error(conn, 20008, "invalid signature");
			return (0);
		}
		mr.mr_has_signature = 1;
	}
	len = sizeof(mr) + IPC_OUTPUTS_MAX * sizeof(*out);
	if ((buf = calloc(1, len)) == NULL)
		fatal(NULL);
	out = (struct ipc_output *)(buf + sizeof(mr));
	if ((err = parse_outputs(json_object_get(body, "outputs"), out,
	    IPC_OUTPUTS_MAX, &mr.mr_noutputs)) != NULL) {
		free(buf);
		return (parse_error(conn, err));
	}
	memcpy(buf, &mr, sizeof(mr));
	call_start(conn, MC_MINT, IMSG_MINT_MINT, buf, sizeof(mr) +
	    mr.mr_noutputs * sizeof(*out));
	free(buf);
	return (0);
}

/* POST /v1/melt/bolt11 {"quote", "inputs", "outputs"?} */
static int
post_melt(struct http_conn *conn, json_t *body)
{
	struct ipc_melt_req	 ml;
	struct ipc_proof_in	*in;
	struct ipc_output	*out;
	unsigned char		*buf;
	json_t			*quote, *outs;
	const char		*err;
	size_t			 len;

	memset(&ml, 0, sizeof(ml));
	quote = json_object_get(body, "quote");
	if (!json_is_string(quote) || strlcpy(ml.ml_quote,
	    json_string_value(quote), sizeof(ml.ml_quote)) >=
	    sizeof(ml.ml_quote) || !ipc_str_ok(ml.ml_quote,
	    sizeof(ml.ml_quote)))
		return (parse_error(conn, "quote is needed"));
	len = sizeof(ml) + IPC_INPUTS_MAX * sizeof(*in) +
	    IPC_OUTPUTS_MAX * sizeof(*out);
	if ((buf = calloc(1, len)) == NULL)
		fatal(NULL);
	in = (struct ipc_proof_in *)(buf + sizeof(ml));
	if ((err = parse_proofs(json_object_get(body, "inputs"), in,
	    IPC_INPUTS_MAX, &ml.ml_ninputs)) != NULL) {
		freezero(buf, len);
		return (parse_error(conn, err));
	}
	out = (struct ipc_output *)(in + ml.ml_ninputs);
	outs = json_object_get(body, "outputs");
	if (outs != NULL && !json_is_null(outs) &&
	    json_array_size(outs) > 0 && (err = parse_outputs(outs, out,
	    IPC_OUTPUTS_MAX, &ml.ml_noutputs)) != NULL) {
		freezero(buf, len);
		return (parse_error(conn, err));
	}
	memcpy(buf, &ml, sizeof(ml));
	call_start(conn, MC_MELT_QUOTE, IMSG_MINT_MELT, buf, sizeof(ml) +
	    ml.ml_ninputs * sizeof(*in) + ml.ml_noutputs * sizeof(*out));
	freezero(buf, len);
	return (0);
}

static json_t *
signature_json(const struct ipc_signature *sg)
{
	char	 id[2 * IPC_KEYSET_MAX + 1], c[2 * IPC_Y_LEN + 1];
	char	 e[65], s[65];
	json_t	*j;

	hex_encode(id, sg->sg_id, sg->sg_idlen);
	hex_encode(c, sg->sg_c, IPC_Y_LEN);
	hex_encode(e, sg->sg_dleq_e, 32);
	hex_encode(s, sg->sg_dleq_s, 32);
	if ((j = json_pack("{s:I, s:s, s:s, s:{s:s, s:s}}", "amount",
	    (json_int_t)sg->sg_amount, "id", id, "C_", c, "dleq", "e", e,
	    "s", s)) == NULL)
		fatal("json_pack");
	return (j);
}

static json_t *
output_json(const struct ipc_output *o)
{
	char	 id[2 * IPC_KEYSET_MAX + 1], b[2 * IPC_Y_LEN + 1];
	json_t	*j;

	hex_encode(id, o->o_id, o->o_idlen);
	hex_encode(b, o->o_b, IPC_Y_LEN);
	if ((j = json_pack("{s:I, s:s, s:s}", "amount",
	    (json_int_t)o->o_amount, "id", id, "B_", b)) == NULL)
		fatal("json_pack");
	return (j);
}

/* NUT-01 (with its keys) or NUT-02 (with its state) */
static json_t *
keyset_json(const struct ipc_mint_keyset *k, int with_keys)
{
	char	 id[2 * IPC_KEYSET_MAX + 1], hex[2 * IPC_Y_LEN + 1];
	char	 amount[24];
	json_t	*j, *keys;
	size_t	 i;

	hex_encode(id, k->mk_id, k->mk_idlen);
	if (with_keys) {
		if ((keys = json_object()) == NULL)
			fatal(NULL);
		for (i = 0; i < k->mk_nkeys; i++) {
			hex_encode(hex, k->mk_keys[i], IPC_Y_LEN);
			(void)snprintf(amount, sizeof(amount), "%llu",
			    1ULL << i);
			if (json_object_set_new(keys, amount,
			    json_string(hex)) == -1)
				fatal(NULL);
		}
		/* "active" and the fee too: nutshell's wallet wants them. */
		j = json_pack("{s:s, s:s, s:b, s:I, s:o}", "id", id, "unit",
		    k->mk_unit, "active", k->mk_active, "input_fee_ppk",
		    (json_int_t)k->mk_fee_ppk, "keys", keys);
	} else
		j = json_pack("{s:s, s:s, s:b, s:I}", "id", id, "unit",
		    k->mk_unit, "active", k->mk_active, "input_fee_ppk",
		    (json_int_t)k->mk_fee_ppk);
	if (j == NULL)
		fatal("json_pack");
	return (j);
}
