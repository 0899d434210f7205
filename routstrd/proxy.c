/*
 * The proxy process: takes its listeners, TLS keys and the node's public
 * description from the parent, learns the node's identity from the mint,
 * and serves HTTP once every channel of the suite is proven.
 */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <tls.h>

#include "curlev.h"
#include "http.h"
#include "imsg.h"
#include "ipc.h"
#include "log.h"
#include "pricing.h"
#include "proc.h"
#include "proxy.h"
#include "routstrd.h"
#include "upstream.h"

#define TLS_FILE_MAX	(1024 * 1024)	/* certificate chain or key */
#define DRAIN_TIMEOUT	5	/* seconds for replies in flight at exit */
#define DRAIN_POLL_MS	50

struct proxy_env	*proxy_env;
static time_t		 drain_deadline;

static int	 proxy_conf(struct imsg *);
static void	 proxy_configured(void);
static int	 proxy_ready(void);
static void	 proxy_identity(struct imsg *, void *);
static void	 proxy_mint_info(struct imsg *, void *);
static void	 proxy_shutdown(void);
static void	 proxy_drain(int, short, void *);
static void	 proxy_state(char *, size_t);
static int	 proxy_dispatch(struct peer *, struct imsg *);
static void	 proxy_request(struct http_conn *, struct http_request *);
static struct proxy_listener *listener_by_id(uint32_t);

static const struct proc_child	 proxy_child = {
	.pc_procid = PROC_PROXY,
	.pc_conf = proxy_conf,
	.pc_configured = proxy_configured,
	.pc_ready = proxy_ready,
	.pc_dispatch = proxy_dispatch,
	.pc_shutdown = proxy_shutdown,
	.pc_state = proxy_state,
};

__dead void
proxy_main(int argc, char **argv)
{
	if ((proxy_env = calloc(1, sizeof(*proxy_env))) == NULL)
		fatal(NULL);
	TAILQ_INIT(&proxy_env->pe_listeners);
	TAILQ_INIT(&proxy_env->pe_mints);
	TAILQ_INIT(&proxy_env->pe_upstreams);
	TAILQ_INIT(&proxy_env->pe_models);
	proc_child_main(&proxy_child, argc, argv);
}

static struct proxy_listener *
listener_by_id(uint32_t id)
{
	struct proxy_listener	*pl;

	TAILQ_FOREACH(pl, &proxy_env->pe_listeners, pl_entry)
		if (pl->pl_conf.cl_id == id)
			return (pl);
	return (NULL);
}

/* Every field from the parent is checked: -1 closes the channel. */
static int
proxy_conf(struct imsg *imsg)
{
	struct proxy_env	*env = proxy_env;
	struct ipc_conf_proxy	*cp = &env->pe_conf;
	struct ipc_conf_ref	 cr;
	struct ipc_conf_url	 cu;
	struct proxy_listener	*pl;
	struct proxy_url	*url;
	struct proxy_upstream	*up;
	struct proxy_model	*pm;
	int			 fd;

	switch (imsg_get_type(imsg)) {
	case IMSG_CONF_PROXY:
		if (env->pe_have_conf ||
		    imsg_get_data(imsg, cp, sizeof(*cp)) == -1 ||
		    !ipc_str_ok(cp->cp_name, sizeof(cp->cp_name)) ||
		    !ipc_str_ok(cp->cp_about, sizeof(cp->cp_about)) ||
		    !ipc_str_ok(cp->cp_http_url, sizeof(cp->cp_http_url)) ||
		    !ipc_str_ok(cp->cp_onion_url, sizeof(cp->cp_onion_url)) ||
		    cp->cp_max_connections == 0 ||
		    cp->cp_max_header_size == 0 || cp->cp_max_headers == 0 ||
		    cp->cp_max_body_size == 0 || cp->cp_timeout_idle == 0 ||
		    cp->cp_timeout_read == 0 || cp->cp_price_refresh == 0 ||
		    cp->cp_price_max_age == 0 ||
		    !ipc_str_ok(cp->cp_price_url[PRICE_KRAKEN], IPC_URL_MAX) ||
		    !ipc_str_ok(cp->cp_price_url[PRICE_COINBASE],
		    IPC_URL_MAX) ||
		    !ipc_str_ok(cp->cp_price_url[PRICE_BINANCE], IPC_URL_MAX))
			return (-1);
		env->pe_have_conf = 1;
		break;
	case IMSG_CONF_LISTENER:
		if ((pl = calloc(1, sizeof(*pl))) == NULL)
			fatal(NULL);
		pl->pl_certfd = pl->pl_keyfd = -1;
		if (imsg_get_data(imsg, &pl->pl_conf, sizeof(pl->pl_conf)) ==
		    -1 || !ipc_str_ok(pl->pl_conf.cl_name,
		    sizeof(pl->pl_conf.cl_name)) ||
		    (pl->pl_conf.cl_type != LISTEN_TCP &&
		    pl->pl_conf.cl_type != LISTEN_UNIX) ||
		    listener_by_id(pl->pl_conf.cl_id) != NULL ||
		    (pl->pl_fd = imsg_get_fd(imsg)) == -1) {
			free(pl);
			return (-1);
		}
		TAILQ_INSERT_TAIL(&env->pe_listeners, pl, pl_entry);
		break;
	case IMSG_CONF_TLS_CERT:
	case IMSG_CONF_TLS_KEY:
		if (imsg_get_data(imsg, &cr, sizeof(cr)) == -1 ||
		    (pl = listener_by_id(cr.cr_id)) == NULL ||
		    !pl->pl_conf.cl_tls)
			return (-1);
		if (imsg_get_type(imsg) == IMSG_CONF_TLS_CERT) {
			if (pl->pl_certfd != -1 ||
			    (pl->pl_certfd = imsg_get_fd(imsg)) == -1)
				return (-1);
		} else if (pl->pl_keyfd != -1 ||
		    (pl->pl_keyfd = imsg_get_fd(imsg)) == -1)
			return (-1);
		break;
	case IMSG_CONF_INFO_MINT:
		if (imsg_get_data(imsg, &cu, sizeof(cu)) == -1 ||
		    !ipc_str_ok(cu.cu_url, sizeof(cu.cu_url)))
			return (-1);
		if ((url = calloc(1, sizeof(*url))) == NULL)
			fatal(NULL);
		memcpy(url->pu_url, cu.cu_url, sizeof(url->pu_url));
		TAILQ_INSERT_TAIL(&env->pe_mints, url, pu_entry);
		break;
	case IMSG_CONF_UPSTREAM:
		if ((up = calloc(1, sizeof(*up))) == NULL)
			fatal(NULL);
		fd = imsg_get_fd(imsg);
		if (imsg_get_data(imsg, &up->pu_conf, sizeof(up->pu_conf)) ==
		    -1 || !ipc_str_ok(up->pu_conf.cu_name,
		    sizeof(up->pu_conf.cu_name)) ||
		    !ipc_str_ok(up->pu_conf.cu_url, sizeof(up->pu_conf.cu_url)) ||
		    up->pu_conf.cu_type < UPSTREAM_OPENAI ||
		    up->pu_conf.cu_type > UPSTREAM_ECHO ||
		    (fd == -1) != (up->pu_conf.cu_haskey == 0)) {
			if (fd != -1)
				close(fd);
			free(up);
			return (-1);
		}
		up->pu_keyfd = fd;
		TAILQ_INSERT_TAIL(&env->pe_upstreams, up, pu_entry);
		break;
	case IMSG_CONF_MODEL:
		if ((pm = calloc(1, sizeof(*pm))) == NULL)
			fatal(NULL);
		if (imsg_get_data(imsg, &pm->pm_conf, sizeof(pm->pm_conf)) ==
		    -1 || !ipc_str_ok(pm->pm_conf.cm_id,
		    sizeof(pm->pm_conf.cm_id)) ||
		    !ipc_str_ok(pm->pm_conf.cm_upstream,
		    sizeof(pm->pm_conf.cm_upstream)) ||
		    !ipc_str_ok(pm->pm_conf.cm_upstream_id,
		    sizeof(pm->pm_conf.cm_upstream_id)) ||
		    pm->pm_conf.cm_markup > MARKUP_MAX ||
		    pm->pm_conf.cm_context_length > CONTEXT_MAX ||
		    pm->pm_conf.cm_max_completion > CONTEXT_MAX) {
			free(pm);
			return (-1);
		}
		TAILQ_INSERT_TAIL(&env->pe_models, pm, pm_entry);
		break;
	default:
		return (-1);
	}
	return (0);
}

/* Still privileged, before the sandbox: set up TLS from the key fds. */
static void
proxy_configured(void)
{
	struct proxy_env	*env = proxy_env;
	struct http_limits	 limits;
	struct proxy_listener	*pl;
	uint8_t			*cert, *key;
	size_t			 certlen, keylen;

	if (!env->pe_have_conf)
		fatalx("no proxy configuration from the parent");
	if (TAILQ_EMPTY(&env->pe_listeners))
		fatalx("no listener from the parent");
	/* libcrypto reads its configuration at first use: now, not later. */
	if (OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, NULL) != 1)
		fatalx("cannot set up libcrypto");

	TAILQ_FOREACH(pl, &env->pe_listeners, pl_entry) {
		if (!pl->pl_conf.cl_tls)
			continue;
		if (pl->pl_certfd == -1 || pl->pl_keyfd == -1)
			fatalx("%s: no certificate or key from the parent",
			    pl->pl_conf.cl_name);
		/* pread: the other proxies' fds share the offset. */
		if (fd_read_all(pl->pl_certfd, TLS_FILE_MAX, &cert,
		    &certlen) == -1 || fd_read_all(pl->pl_keyfd, TLS_FILE_MAX,
		    &key, &keylen) == -1)
			fatal("%s: tls files", pl->pl_conf.cl_name);
		if ((pl->pl_tls = server_tls_new(cert, certlen, key,
		    keylen)) == NULL)
			fatalx("%s: bad tls certificate or key",
			    pl->pl_conf.cl_name);
		freezero(key, keylen + 1);
		free(cert);
		close(pl->pl_certfd);
		close(pl->pl_keyfd);
		pl->pl_certfd = pl->pl_keyfd = -1;
	}

	/*
	 * jansson seeds its hash tables from /dev/urandom at the first
	 * object, libcurl reads the CA bundle, the keys are in files: all
	 * before the sandbox, which has no files.
	 */
	json_object_seed(0);
	if (upstream_init(&env->pe_upstreams) == -1)
		fatalx("cannot set up the upstreams");

	http_limits_from_conf(&limits, &env->pe_conf);
	server_init(&limits, proxy_request);
	info_build();

	/* The BTC/USD rate, asked for once the sandbox runs. */
	price_init(&env->pe_conf, !TAILQ_EMPTY(&env->pe_models));
}

/* All channels proven: ask the mint who we are, then serve. */
static int
proxy_ready(void)
{
	struct peer	*mint;

	if ((mint = peer_find(PROC_MINT, 0)) == NULL)
		fatalx("no channel to the mint");
	if (proc_request(mint, IMSG_MINT_IDENTITY, NULL, 0, IPC_TIMEOUT_MS,
	    proxy_identity, NULL) == 0)
		fatal("identity request");
	return (1);
}

static void
proxy_identity(struct imsg *imsg, void *arg)
{
	struct proxy_env	*env = proxy_env;

	if (imsg == NULL)
		fatalx("the mint did not say who we are");
	if (imsg_get_type(imsg) != IMSG_MINT_IDENTITY_REPLY ||
	    imsg_get_data(imsg, &env->pe_identity,
	    sizeof(env->pe_identity)) == -1 ||
	    !ipc_str_ok(env->pe_identity.id_npub,
	    sizeof(env->pe_identity.id_npub)) ||
	    !ipc_str_ok(env->pe_identity.id_pubkey,
	    sizeof(env->pe_identity.id_pubkey)) ||
	    (env->pe_identity.id_npub[0] != '\0' &&
	    strncmp(env->pe_identity.id_npub, "npub1", 5) != 0))
		fatalx("bad identity from the mint");
	if (proc_request(peer_find(PROC_MINT, 0), IMSG_MINT_INFO, NULL, 0,
	    IPC_TIMEOUT_MS, proxy_mint_info, NULL) == 0)
		fatal("mint info request");
}

/* What the mint says of itself, for /v1/info; then serve. */
static void
proxy_mint_info(struct imsg *imsg, void *arg)
{
	struct proxy_env	*env = proxy_env;
	struct ipc_mint_info	*mi = &env->pe_mint;
	struct proxy_listener	*pl;
	uint32_t		 i;

	if (imsg == NULL)
		fatalx("the mint did not describe itself");
	if (imsg_get_type(imsg) != IMSG_MINT_INFO_REPLY ||
	    imsg_get_data(imsg, mi, sizeof(*mi)) == -1 ||
	    !ipc_str_ok(mi->mi_pubkey, sizeof(mi->mi_pubkey)) ||
	    mi->mi_nunits > 4)
		fatalx("bad mint info from the mint");
	for (i = 0; i < mi->mi_nunits; i++)
		if (!ipc_str_ok(mi->mi_units[i], sizeof(mi->mi_units[i])))
			fatalx("bad mint info from the mint");
	info_build();

	TAILQ_FOREACH(pl, &env->pe_listeners, pl_entry) {
		if (server_listen(pl->pl_fd,
		    pl->pl_conf.cl_type == LISTEN_UNIX, pl->pl_tls,
		    pl->pl_conf.cl_name) == -1)
			fatalx("cannot serve %s", pl->pl_conf.cl_name);
	}
	proc_ready();
}

/* Stop accepting; let the replies in flight finish, for a while. */
static void
proxy_shutdown(void)
{
	static struct event	 ev;
	struct timeval		 tv = { 0, DRAIN_POLL_MS * 1000 };

	log_debug("stopping: %u connections open", server_connections());
	server_shutdown();
	drain_deadline = time(NULL) + DRAIN_TIMEOUT;
	evtimer_set(&ev, proxy_drain, &ev);
	evtimer_add(&ev, &tv);
}

static void
proxy_drain(int fd, short event, void *arg)
{
	struct timeval	 tv = { 0, DRAIN_POLL_MS * 1000 };

	if (server_connections() == 0 || time(NULL) >= drain_deadline)
		proc_exit(0);
	evtimer_add(arg, &tv);
}

static void
proxy_state(char *buf, size_t len)
{
	u_int	 n = server_connections();

	(void)snprintf(buf, len, "ready, %u connection%s", n,
	    n == 1 ? "" : "s");
}

static int
proxy_dispatch(struct peer *p, struct imsg *imsg)
{
	/* Nothing is asked of the proxy yet. */
	return (-1);
}

/*
 * The routes.  Anything else is FastAPI's 404, which is what Routstr
 * Core's clients know.
 */
static void
proxy_request(struct http_conn *conn, struct http_request *req)
{
	char	 rid[PROXY_REQID_LEN];
	int	 get = strcmp(req->method, "GET") == 0 ||
		    strcmp(req->method, "HEAD") == 0;

	proxy_request_id(req, rid, sizeof(rid));
	http_reply_header(conn, "x-routstr-request-id", rid);

	if (strcmp(req->path, "/v1/info") == 0 ||
	    strcmp(req->path, "/v1/info/") == 0) {
		if (get)
			info_serve(conn, req);
		else
			proxy_reply_json(conn, 405,
			    "{\"detail\":\"Method Not Allowed\"}");
		return;
	}
	if (strcmp(req->path, "/") == 0 && get) {
		info_root(conn, req);
		return;
	}
	if (models_route(conn, req) == 0)
		return;
	if (forward_route(conn, req) == 0)
		return;
	if (strncmp(req->path, "/v1/", 4) == 0 && proxy_env->pe_mint.mi_local &&
	    mint_route(conn, req) == 0)
		return;
	if (strncmp(req->path, "/v1/", 4) == 0 && balance_route(conn, req) == 0)
		return;
	proxy_reply_json(conn, 404, "{\"detail\":\"Not Found\"}");
}

void
proxy_reply_json(struct http_conn *conn, int status, const char *json)
{
	http_reply(conn, status, "application/json", json, strlen(json));
}

/* A JSON reply of j, which it takes. */
void
proxy_reply_jt(struct http_conn *conn, int status, json_t *j)
{
	char	*s;

	if ((s = json_dumps(j, JSON_COMPACT)) == NULL)
		fatal("json_dumps");
	json_decref(j);
	http_reply(conn, status, "application/json", s, strlen(s));
	free(s);
}

/*
 * The request's id, as Routstr Core's x-routstr-request-id: a UUID, from
 * this process's random base and the request's number, so that it is
 * the same each time it is asked for and unique across processes.
 */
void
proxy_request_id(const struct http_request *req, char *buf, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	static uint8_t		 base[16];
	static int		 init;
	uint8_t			 u[16];
	char			 id[37];
	uint64_t		 n = req != NULL ? req->id : 0;
	size_t			 i, j;

	if (!init) {
		arc4random_buf(base, sizeof(base));
		init = 1;
	}
	memcpy(u, base, sizeof(u));
	for (i = 0; i < 8; i++)
		u[15 - i] ^= (n >> (8 * i)) & 0xff;
	u[6] = (u[6] & 0x0f) | 0x40;	/* version 4 */
	u[8] = (u[8] & 0x3f) | 0x80;	/* variant 10 */
	/* 8-4-4-4-12 hex digits, as printf would, per request: cheaper */
	for (i = 0, j = 0; i < sizeof(u); i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			id[j++] = '-';
		id[j++] = hex[u[i] >> 4];
		id[j++] = hex[u[i] & 0xf];
	}
	id[j] = '\0';
	(void)strlcpy(buf, id, len);
}

/*
 * The URL of our own mint, for the tokens it makes: the node's http url,
 * else the name the client reached us by.
 */
void
proxy_mint_url(const struct http_request *req, char *buf, size_t len)
{
	const char	*host;

	if (proxy_env->pe_conf.cp_http_url[0] != '\0') {
		(void)strlcpy(buf, proxy_env->pe_conf.cp_http_url, len);
		return;
	}
	host = req != NULL ? http_request_header(req, "Host") : NULL;
	if (host == NULL || host[0] == '\0' || strlen(host) > 255 ||
	    strspn(host, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") != strlen(host))
		host = "localhost";
	(void)snprintf(buf, len, "http://%s", host);
}

/* The request's body as a JSON object, or NULL. */
json_t *
proxy_body_json(const struct http_request *req)
{
	json_error_t	 err;
	json_t		*j;

	if (req->body == NULL || req->bodylen == 0 ||
	    (j = json_loadb(req->body, req->bodylen,
	    JSON_REJECT_DUPLICATES, &err)) == NULL)
		return (NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		return (NULL);
	}
	return (j);
}
