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
};

#define MC_KEYS		1	/* GET /v1/keys[/id] */
#define MC_KEYSETS	2	/* GET /v1/keysets */

static int	 call_start(struct http_conn *, int, uint32_t, const void *,
		    size_t);
static void	 call_done(struct imsg *, void *);
static void	 call_closed(struct http_conn *, void *);
static void	 call_free(struct mint_call *);
static json_t	*keyset_json(const struct ipc_mint_keyset *, int);
static void	 reply_json(struct http_conn *, int, json_t *);

/* The NUT error shape: 400 {"detail": ..., "code": ...} */
void
mint_error(struct http_conn *conn, int code, const char *detail)
{
	json_t	*j;

	if ((j = json_pack("{s:s, s:i}", "detail", detail, "code", code)) ==
	    NULL)
		fatalx("json_pack");
	reply_json(conn, 400, j);
}

static void
reply_json(struct http_conn *conn, int status, json_t *j)
{
	char	*s;

	if ((s = json_dumps(j, JSON_COMPACT)) == NULL)
		fatal("json_dumps");
	json_decref(j);
	http_reply(conn, status, "application/json", s, strlen(s));
	free(s);
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
		return (call_start(conn, path[8] == '\0' ? MC_KEYS :
		    MC_KEYSETS, IMSG_MINT_KEYSETS, &kq, sizeof(kq)));
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
		return (call_start(conn, MC_KEYS, IMSG_MINT_KEYSETS, &kq,
		    sizeof(kq)));
	}
	return (-1);
}

static int
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
		return (0);
	}
	http_conn_set_closecb(conn, call_closed, mc);
	return (0);
}

static void
call_free(struct mint_call *mc)
{
	json_decref(mc->mc_keysets);
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
			reply_json(mc->mc_conn, 200, j);
		}
		call_free(mc);
		return;
	}
 bad:
	/* The mint is the trusted side: a bad answer is a broken mint. */
	fatalx("malformed %s from the mint",
	    imsg_type_name(imsg_get_type(imsg)));
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
		j = json_pack("{s:s, s:s, s:o}", "id", id, "unit",
		    k->mk_unit, "keys", keys);
	} else
		j = json_pack("{s:s, s:s, s:b, s:I}", "id", id, "unit",
		    k->mk_unit, "active", k->mk_active, "input_fee_ppk",
		    (json_int_t)k->mk_fee_ppk);
	if (j == NULL)
		fatal("json_pack");
	return (j);
}
