/*
 * The whole IPC protocol of the suite in one place: the processes, the
 * message types and their payloads.  Every payload is a fixed structure;
 * the receiver checks its size with imsg_get_data() and every field
 * before use (ipc_str_ok() for the strings).  A peer that sends a message
 * that does not check out is treated as compromised.
 */

#ifndef IPC_H
#define IPC_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>

#define ROUTSTRD_VERSION	"0.1.0"

/* Limits shared by the configuration parser and the IPC payloads. */
#define IPC_NAME_MAX		128	/* node name, upstream and user names */
#define IPC_ABOUT_MAX		1024	/* node description */
#define IPC_URL_MAX		512	/* http, mint, relay and upstream URLs */
#define IPC_MODEL_MAX		256	/* model ids */
#define IPC_PATH_MAX		1024	/* paths the children are told about */
#define IPC_STATE_MAX		64	/* state text in status replies */

#define IPC_MAXSIZE		(256 * 1024)	/* imsgbuf_set_maxsize() */
#define IPC_TIMEOUT_MS		10000	/* a peer must answer within this */
#define IPC_START_TIMEOUT_MS	60000	/* every process configured and ready;
					   the ledger may be recovering */

enum privsep_procid {
	PROC_PARENT = 0,
	PROC_PROXY,
	PROC_LEDGER,
	PROC_MINT,
	PROC_RELAY,
	PROC_MAX
};

#define PROC_INSTANCES_MAX	32	/* "prefork" limit for the proxy */

enum imsg_type {
	IMSG_NONE = 0,

	/* parent -> child, at start, in this order */
	IMSG_CTL_PROCFD,	/* fd: socket to a peer; struct privsep_fd */
	IMSG_CONF_START,	/* struct ipc_conf_start */
	IMSG_CONF_PROXY,	/* struct ipc_conf_proxy */
	IMSG_CONF_LISTENER,	/* fd: listening socket; struct ipc_conf_listener */
	IMSG_CONF_TLS_CERT,	/* fd: certificate chain file; struct ipc_conf_ref */
	IMSG_CONF_TLS_KEY,	/* fd: private key file; struct ipc_conf_ref */
	IMSG_CONF_INFO_MINT,	/* struct ipc_conf_url: a mint for /v1/info */
	IMSG_CONF_UPSTREAM,	/* [fd: API key file]; struct ipc_conf_upstream */
	IMSG_CONF_MODEL,	/* struct ipc_conf_model */
	IMSG_CONF_LEDGER,	/* struct ipc_conf_ledger */
	IMSG_CONF_MINT,		/* [fd: seed file]; struct ipc_conf_mint */
	IMSG_CONF_TRUSTED_MINT,	/* struct ipc_conf_url */
	IMSG_CONF_NOSTR_KEY,	/* fd: Nostr secret key file; no payload */
	IMSG_CONF_RELAY,	/* struct ipc_conf_url */
	IMSG_CONF_END,		/* no payload: configuration complete */

	/* child <-> child, once every channel is set up */
	IMSG_HELLO,		/* struct ipc_hello; peerid = request id */
	IMSG_HELLO_REPLY,	/* struct ipc_hello; peerid echoed */

	/* proxy <-> mint */
	IMSG_MINT_IDENTITY,	/* no payload; peerid = request id */
	IMSG_MINT_IDENTITY_REPLY, /* struct ipc_identity; peerid echoed */

	/* child -> parent */
	IMSG_RESOLVE,		/* struct ipc_resolve; peerid = request id */
	IMSG_RESOLVE_REPLY,	/* parent -> child: struct ipc_resolved */
	IMSG_READY,		/* struct ipc_status: every channel proven */

	/* routstrctl <-> parent <-> children */
	IMSG_CTL_SHOW_STATUS,	/* ctl -> parent; parent -> child, peerid = id */
	IMSG_CTL_STATUS,	/* struct ipc_status; peerid echoed */
	IMSG_CTL_VERBOSE,	/* int: new verbosity, to every process */
	IMSG_CTL_SANDBOX_CHECK,	/* int: procid; the child makes a forbidden
				   syscall and must die of it */
	IMSG_CTL_OK,		/* no payload */
	IMSG_CTL_FAIL,		/* char[]: NUL-terminated reason */
	IMSG_CTL_END,		/* no payload: end of a multi-part reply */

	IMSG_MAX
};

/* IMSG_CTL_PROCFD */
struct privsep_fd {
	int32_t		pf_procid;	/* enum privsep_procid of the peer */
	int32_t		pf_instance;
};

/* IMSG_CONF_START: what every child needs first */
struct ipc_conf_start {
	int32_t		cs_verbose;
	int32_t		cs_instances[PROC_MAX];	/* instances of each process */
	int32_t		cs_privdrop;		/* 1: chroot and switch user */
	uint32_t	cs_uid;
	uint32_t	cs_gid;
	char		cs_chroot[IPC_PATH_MAX];
	char		cs_user[IPC_NAME_MAX];
};

/* IMSG_CONF_PROXY */
struct ipc_conf_proxy {
	char		cp_name[IPC_NAME_MAX];
	char		cp_about[IPC_ABOUT_MAX];
	char		cp_http_url[IPC_URL_MAX];
	char		cp_onion_url[IPC_URL_MAX];
	uint64_t	cp_child_key_cost;	/* msat */
	uint32_t	cp_max_connections;
	uint32_t	cp_max_header_size;	/* bytes, request line included */
	uint32_t	cp_max_headers;
	uint64_t	cp_max_body_size;	/* bytes */
	uint32_t	cp_timeout_idle;	/* seconds between requests */
	uint32_t	cp_timeout_read;	/* seconds to read one request */
};

#define LISTEN_TCP	1
#define LISTEN_UNIX	2

/* IMSG_CONF_LISTENER */
struct ipc_conf_listener {
	uint32_t	cl_id;
	int32_t		cl_type;	/* LISTEN_TCP or LISTEN_UNIX */
	int32_t		cl_tls;
	char		cl_name[IPC_PATH_MAX];	/* for logs: addr:port or path */
};

/* IMSG_CONF_TLS_CERT, IMSG_CONF_TLS_KEY: which listener */
struct ipc_conf_ref {
	uint32_t	cr_id;
};

/* IMSG_CONF_INFO_MINT, IMSG_CONF_TRUSTED_MINT, IMSG_CONF_RELAY */
struct ipc_conf_url {
	char		cu_url[IPC_URL_MAX];
};

#define UPSTREAM_OPENAI		1
#define UPSTREAM_ANTHROPIC	2
#define UPSTREAM_ECHO		3

/* IMSG_CONF_UPSTREAM */
struct ipc_conf_upstream {
	char		cu_name[IPC_NAME_MAX];
	char		cu_url[IPC_URL_MAX];
	int32_t		cu_type;		/* UPSTREAM_* */
	int32_t		cu_haskey;		/* an fd with the key follows */
	uint32_t	cu_timeout;		/* seconds */
};

/* IMSG_CONF_MODEL: prices are msat (or micro-USD) per million tokens */
struct ipc_conf_model {
	char		cm_id[IPC_MODEL_MAX];
	char		cm_upstream[IPC_NAME_MAX];
	char		cm_upstream_id[IPC_MODEL_MAX];	/* id sent upstream */
	int32_t		cm_usd;		/* 1: prices in micro-USD */
	uint64_t	cm_prompt;
	uint64_t	cm_completion;
	uint64_t	cm_request;
};

/* IMSG_CONF_LEDGER */
struct ipc_conf_ledger {
	char		cl_dbdir[IPC_PATH_MAX];	/* "/" when chrooted into it */
};

#define LIGHTNING_FAKE		1
#define LIGHTNING_LND		2

/* IMSG_CONF_MINT */
struct ipc_conf_mint {
	int32_t		cm_local;	/* 1: run our own mint */
	int32_t		cm_lightning;	/* LIGHTNING_* */
	uint32_t	cm_fake_delay;	/* seconds until a fake invoice is paid */
	char		cm_lnd_url[IPC_URL_MAX];
	int32_t		cm_hasseed;	/* an fd with the seed follows */
};

/* IMSG_HELLO, IMSG_HELLO_REPLY */
struct ipc_hello {
	int32_t		h_procid;
	int32_t		h_instance;
	int32_t		h_pid;
	char		h_version[16];
};

/* IMSG_MINT_IDENTITY_REPLY: the node's Nostr identity, "" if none */
struct ipc_identity {
	char		id_npub[72];		/* NIP-19 npub1... */
	char		id_pubkey[72];		/* x-only key, hex */
};

/*
 * IMSG_RESOLVE: the children that connect out have no filesystem, so
 * the parent resolves names for them (as ntpd's dns process does).
 */
#define IPC_HOST_MAX		256
#define IPC_RESOLVE_MAX		8	/* addresses in one reply */

struct ipc_resolve {
	char		r_host[IPC_HOST_MAX];
};

struct ipc_resolved {
	int32_t		r_error;	/* 0, or an EAI_* code */
	uint32_t	r_count;
	struct sockaddr_storage r_addrs[IPC_RESOLVE_MAX];	/* port 0 */
};

/* IMSG_READY, IMSG_CTL_STATUS */
struct ipc_status {
	int32_t		s_procid;
	int32_t		s_instance;
	int32_t		s_pid;
	int32_t		s_uid;
	int64_t		s_started;	/* time(3) */
	char		s_title[IPC_NAME_MAX];
	char		s_state[IPC_STATE_MAX];
};

/* fdread.c */
int		 fd_read_all(int, size_t, unsigned char **, size_t *);

/* ipc.c */
const char	*proc_name(int);
const char	*imsg_type_name(uint32_t);
int		 ipc_str_ok(const char *, size_t);
int		 utf8_valid(const char *);
int		 ipc_is_reply(uint32_t);
int		 ipc_host_ok(const char *, size_t);
int		 ipc_resolved_ok(const struct ipc_resolved *);

/* url.c */
int		 url_split(const char *, char *, size_t, char *, size_t,
		    uint16_t *);

#endif /* IPC_H */
