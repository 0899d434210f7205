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
	IMSG_CONF_LND_MACAROON,	/* fd: LND's macaroon file; no payload */
	IMSG_CONF_LND_CERT,	/* fd: LND's tls.cert; no payload */
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
	IMSG_CTL_LEDGER_CHECK,	/* ctl -> parent -> ledger; replies below */
	IMSG_CTL_LEDGER_PROBLEM, /* char[]: one problem the audit found */
	IMSG_CTL_LEDGER_REPORT,	/* struct ipc_ledger_report, then CTL_END */
	IMSG_CTL_MINT_TOKEN,	/* ctl -> parent: uint64_t sat; parent ->
				   mint: struct ipc_mint_token; -> CTL_OK
				   with the token, or CTL_FAIL */
	IMSG_CTL_LEDGER_BACKUP,	/* ctl -> parent: char[] directory;
				   parent -> ledger: no payload */
	IMSG_LEDGER_BACKUP_FILE, /* ledger -> parent: char[] file name */
	IMSG_LEDGER_BACKUP_DATA, /* struct ipc_backup_data + bytes */
	IMSG_LEDGER_BACKUP_CLOSE, /* no payload: that file is complete */
	IMSG_CTL_MINT_SHOW,	/* ctl -> parent -> ledger, no payload ->
				   CTL_MINT_KEYSET..., CTL_END */
	IMSG_CTL_MINT_KEYSET,	/* struct ipc_keyset_total */
	IMSG_CTL_MINT_ROTATE,	/* ctl -> parent -> mint: the unit,
				   char[IPC_UNIT_MAX] -> CTL_OK with a
				   text, or CTL_FAIL */

	/*
	 * Requests to the ledger: accounts and reservations from the
	 * proxies, the mint's sets, quotes and wallet from the mint.
	 * peerid = request id; the reply echoes it and is sent only once
	 * the transaction is durable.  The reply is IMSG_LEDGER_REPLY
	 * unless said otherwise, or IMSG_LEDGER_REPLY with an error.
	 */
	IMSG_LEDGER_ACCOUNT_CREATE,	/* struct ipc_account */
	IMSG_LEDGER_ACCOUNT_GET,	/* struct ipc_key -> IMSG_LEDGER_ACCOUNT */
	IMSG_LEDGER_CREDIT,		/* struct ipc_credit */
	IMSG_LEDGER_REFUND,		/* struct ipc_credit, amount 0, reason
					   LEDGER_R_REFUND; lr_amount taken */
	IMSG_LEDGER_RESERVE,		/* struct ipc_reserve; lr_id */
	IMSG_LEDGER_SETTLE,		/* struct ipc_settle; lr_amount charged */
	IMSG_LEDGER_RELEASE,		/* struct ipc_settle, actual 0 */
	IMSG_LEDGER_YS_PEND,		/* struct ipc_ys + n * LEDGER_Y_LEN */
	IMSG_LEDGER_YS_UNPEND,		/* same */
	IMSG_LEDGER_YS_SPEND,		/* same; yh_flags from pending */
	IMSG_LEDGER_YS_STATE,		/* same -> IMSG_LEDGER_YS_STATES */
	IMSG_LEDGER_ISSUED_ADD,		/* uint32 n + n * struct ipc_issued */
	IMSG_LEDGER_ISSUED_GET,		/* B_ (33 bytes) -> IMSG_LEDGER_ISSUED */
	IMSG_LEDGER_QUOTE_ADD,		/* struct ipc_quote */
	IMSG_LEDGER_QUOTE_GET,		/* struct ipc_quote_ref -> QUOTE */
	IMSG_LEDGER_QUOTE_CAS,		/* struct ipc_quote_ref */
	IMSG_LEDGER_QUOTE_BY_HASH,	/* 32-byte payment hash -> QUOTE */
	IMSG_LEDGER_PROOF_PUT,		/* struct ipc_proof + blob */
	IMSG_LEDGER_PROOF_DEL,		/* struct ipc_proof */
	IMSG_LEDGER_PROOF_WALK,		/* struct ipc_proof -> PROOF..., REPLY */
	IMSG_LEDGER_COUNTER,		/* struct ipc_counter; lr_id = first */
	IMSG_LEDGER_REFUND_ADD,		/* struct ipc_refund + blob */
	IMSG_LEDGER_REFUND_GET,		/* struct ipc_key -> REFUND_RECORD */
	IMSG_LEDGER_REFUND_CAS,		/* struct ipc_refund + blob */
	IMSG_LEDGER_KEYSET_PUT,		/* struct ipc_keyset_rec */
	IMSG_LEDGER_SWAP,		/* struct ipc_swap_commit + inputs +
					   outputs: spend and record the signed
					   outputs in one transaction */
	IMSG_LEDGER_MINT_ISSUE,		/* struct ipc_quote_commit + outputs:
					   mint quote PAID -> ISSUED and the
					   outputs recorded */
	IMSG_LEDGER_MELT_BEGIN,		/* ipc_quote_commit + inputs: the
					   quote UNPAID -> PENDING, the inputs
					   pending */
	IMSG_LEDGER_MELT_FINISH,	/* struct ipc_quote_commit + inputs +
					   change: PENDING -> PAID, inputs
					   spent, change recorded */
	IMSG_LEDGER_MELT_ABORT,		/* struct ipc_quote_commit + Ys:
					   PENDING -> UNPAID, Ys unspent */
	IMSG_LEDGER_KEYSET_WALK,	/* no payload -> KEYSET..., REPLY */
	IMSG_LEDGER_KEYSET_ROTATE,	/* struct ipc_keyset_rec: the new
					   active keyset; the others of its
					   unit inactive, in one transaction */
	IMSG_LEDGER_REDEEM,		/* struct ipc_redeem + inputs: spent
					   and credited in one transaction */
	IMSG_LEDGER_CASHOUT,		/* struct ipc_cashout + issued +
					   token: the balance out as ecash */
	IMSG_LEDGER_HISTORY,		/* struct ipc_key -> JOURNAL */
	IMSG_LEDGER_MELT_INPUTS,	/* struct ipc_quote_ref -> INPUTS:
					   the pending inputs of a melt */
	IMSG_LEDGER_WALLET_REDEEM,	/* struct ipc_redeem + rd_nys *
					   (struct ipc_proof + blob): a
					   foreign token swapped, its new
					   proofs stored and credited in one
					   transaction */

	/* ... and the ledger's answers */
	IMSG_LEDGER_REPLY,		/* struct ipc_ledger_reply */
	IMSG_LEDGER_ACCOUNT,		/* struct ipc_account */
	IMSG_LEDGER_YS_STATES,		/* n bytes, LEDGER_Y_* */
	IMSG_LEDGER_ISSUED,		/* struct ipc_issued */
	IMSG_LEDGER_QUOTE,		/* struct ipc_quote */
	IMSG_LEDGER_PROOF,		/* struct ipc_proof + blob: one of a walk */
	IMSG_LEDGER_REFUND_RECORD,	/* struct ipc_refund + blob */
	IMSG_LEDGER_KEYSET,		/* struct ipc_keyset_rec: one of a walk */
	IMSG_LEDGER_INPUTS,		/* uint32 n + n * struct ipc_input */
	IMSG_LEDGER_JOURNAL,		/* uint32 n + n * struct ipc_journal:
					   an account's newest entries,
					   oldest first */

	/*
	 * The mint's HTTP API (NUTs), parsed and checked in the proxy,
	 * answered by the mint.  peerid = request id.
	 */
	IMSG_MINT_KEYSETS,	/* struct ipc_keys_req -> MINT_KEYSET..., END */
	IMSG_MINT_KEYSET,	/* struct ipc_mint_keyset: one of them */
	IMSG_MINT_INFO,		/* no payload -> IMSG_MINT_INFO_REPLY */
	IMSG_MINT_INFO_REPLY,	/* struct ipc_mint_info */
	IMSG_MINT_END,		/* struct ipc_mint_error: the last reply */
	IMSG_MINT_SWAP,		/* struct ipc_swap + inputs + outputs ->
				   MINT_SIGNATURES or MINT_END (error) */
	IMSG_MINT_SIGNATURES,	/* uint32 n + n * struct ipc_signature */
	IMSG_MINT_CHECKSTATE,	/* uint32 n + n * Y -> MINT_STATES */
	IMSG_MINT_STATES,	/* uint32 n + n bytes, LEDGER_Y_* */
	IMSG_MINT_RESTORE,	/* uint32 n + n * struct ipc_output ->
				   MINT_RESTORED */
	IMSG_MINT_RESTORED,	/* uint32 n + n * (struct ipc_output, struct
				   ipc_signature): those signed before */
	IMSG_MINT_QUOTE_NEW,	/* struct ipc_mint_quote_req -> MINT_QUOTE */
	IMSG_MINT_MELT_QUOTE_NEW, /* struct ipc_melt_quote_req -> MINT_QUOTE */
	IMSG_MINT_QUOTE_GET,	/* struct ipc_quote_ref -> MINT_QUOTE */
	IMSG_MINT_QUOTE,	/* struct ipc_quote + uint32 n + n * struct
				   ipc_signature (melt change) */
	IMSG_MINT_MINT,		/* struct ipc_mint_req + outputs ->
				   MINT_SIGNATURES */
	IMSG_MINT_MELT,		/* struct ipc_melt_req + inputs + blank
				   outputs -> MINT_QUOTE */

	/*
	 * Payments to the node: a token paid into an account, an account
	 * paid out as a token.  peerid = request id.
	 */
	IMSG_MINT_REDEEM,	/* struct ipc_mint_redeem + proofs ->
				   MINT_REDEEMED or MINT_END (error) */
	IMSG_MINT_REDEEMED,	/* struct ipc_ledger_reply */
	IMSG_MINT_CASHOUT,	/* struct ipc_mint_cashout -> MINT_TOKEN
				   or MINT_END (error) */
	IMSG_MINT_TOKEN,	/* struct ipc_ledger_reply + the token */

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

/* The BTC/USD price sources, by their index in cp_price_url. */
#define PRICE_KRAKEN		0
#define PRICE_COINBASE		1
#define PRICE_BINANCE		2
#define PRICE_SOURCES		3
#define PRICE_SOURCE_NAMES	{ "kraken", "coinbase", "binance" }

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
	uint32_t	cp_price_refresh;	/* seconds between BTC/USD fetches */
	uint32_t	cp_price_max_age;	/* seconds a BTC/USD rate is good */
	char		cp_price_url[PRICE_SOURCES][IPC_URL_MAX]; /* "": unused */
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

/*
 * IMSG_CONF_MODEL: prices are msat (or micro-USD) per million tokens,
 * the request price per request, all before the markup.
 */
struct ipc_conf_model {
	char		cm_id[IPC_MODEL_MAX];
	char		cm_upstream[IPC_NAME_MAX];
	char		cm_upstream_id[IPC_MODEL_MAX];	/* id sent upstream */
	int32_t		cm_usd;		/* 1: prices in micro-USD */
	uint64_t	cm_prompt;
	uint64_t	cm_completion;
	uint64_t	cm_request;
	uint64_t	cm_cache_read;	/* input tokens read from a cache */
	uint64_t	cm_cache_write;	/* input tokens written to one */
	uint64_t	cm_context_length;	/* tokens, 0: unknown */
	uint64_t	cm_max_completion;	/* tokens, 0: unknown */
	uint32_t	cm_markup;	/* hundredths of a percent, 0..MAX */
};

#define MARKUP_MAX		100000	/* 1000% */
#define CONTEXT_MAX		1000000000	/* tokens */

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
	uint32_t	cm_input_fee_ppk;	/* of the keysets made next */
};

/* input_fee_ppk: above 1000 an input would cost more than one unit */
#define MINT_FEE_PPK_MAX	1000

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

/*
 * The ledger's requests and replies.  Sizes and the meaning of every
 * field are those of ledgerd/ledger.h; these are their wire forms.
 */
#define IPC_KEY_LEN		32	/* SHA-256 of an API key or token */
#define IPC_Y_LEN		33	/* compressed secp256k1 point */
#define IPC_KEYSET_MAX		33
#define IPC_QUOTE_ID_MAX	64
#define IPC_BOLT11_MAX		2048
#define IPC_UNIT_MAX		8
#define IPC_REQID_LEN		16
#define IPC_BLOB_MAX		8192
#define IPC_BATCH_MAX		1000	/* Ys or outputs in one request */

struct ipc_key {
	uint8_t		k_key[IPC_KEY_LEN];
};

/* IMSG_LEDGER_JOURNAL: one change of a balance */
#define IPC_HISTORY_MAX		200
struct ipc_journal {
	uint64_t	j_seq;
	int64_t		j_time;
	uint32_t	j_reason;	/* enum ledger_reason */
	int32_t		j_credit;	/* 1: credit, 0: debit */
	uint64_t	j_amount;	/* msat */
	uint64_t	j_balance;	/* after */
	uint8_t		j_reqid[IPC_REQID_LEN];
};

struct ipc_account {
	uint8_t		a_key[IPC_KEY_LEN];
	uint8_t		a_reqid[IPC_REQID_LEN];	/* create only */
	uint64_t	a_balance;
	uint64_t	a_reserved;
	uint64_t	a_spent;
	uint64_t	a_requests;
	uint64_t	a_limit;
	int64_t		a_created;
	int64_t		a_used;
	int64_t		a_expiry;
	uint32_t	a_flags;
	char		a_unit[IPC_UNIT_MAX];
	char		a_mint[IPC_URL_MAX];
};

struct ipc_credit {
	uint8_t		c_key[IPC_KEY_LEN];
	uint8_t		c_reqid[IPC_REQID_LEN];
	uint64_t	c_amount;
	int32_t		c_reason;	/* enum ledger_reason */
};

struct ipc_reserve {
	uint8_t		r_key[IPC_KEY_LEN];
	uint8_t		r_reqid[IPC_REQID_LEN];
	uint64_t	r_amount;
	int64_t		r_deadline;
};

struct ipc_settle {
	uint64_t	s_id;
	uint64_t	s_actual;
	uint8_t		s_reqid[IPC_REQID_LEN];
};

/* Followed by yh_n Ys (IPC_Y_LEN bytes) or yh_n struct ipc_input. */
struct ipc_ys {
	uint32_t	yh_n;
	uint32_t	yh_flags;	/* YS_SPEND: 1 = from pending */
	char		yh_quote[IPC_QUOTE_ID_MAX];	/* YS_PEND: "" or id */
};

/* A proof spent or pended: its Y and what it is worth. */
struct ipc_input {
	uint8_t		in_y[IPC_Y_LEN];
	uint8_t		in_keyset[IPC_KEYSET_MAX];
	uint32_t	in_keyset_len;
	uint64_t	in_amount;	/* in the keyset's unit */
};

struct ipc_issued {
	uint8_t		i_b[IPC_Y_LEN];
	uint8_t		i_c[IPC_Y_LEN];
	uint8_t		i_keyset[IPC_KEYSET_MAX];
	uint32_t	i_keyset_len;
	uint64_t	i_amount;
	uint8_t		i_dleq_e[32];
	uint8_t		i_dleq_s[32];
	int64_t		i_time;
};

struct ipc_quote {
	char		q_id[IPC_QUOTE_ID_MAX];
	int32_t		q_melt;
	uint32_t	q_state;
	uint64_t	q_amount;
	uint64_t	q_fee_reserve;
	char		q_unit[IPC_UNIT_MAX];
	int64_t		q_created;
	int64_t		q_expiry;
	uint8_t		q_payment_hash[32];
	uint8_t		q_preimage[32];
	int32_t		q_has_preimage;
	char		q_pubkey[67];
	char		q_request[IPC_BOLT11_MAX];
};

/* QUOTE_GET: id and melt; QUOTE_CAS: from -> to (and the preimage). */
struct ipc_quote_ref {
	char		qr_id[IPC_QUOTE_ID_MAX];
	int32_t		qr_melt;
	uint32_t	qr_from;
	uint32_t	qr_to;
	int32_t		qr_has_preimage;
	uint8_t		qr_preimage[32];
};

/* Followed by p_bloblen bytes (PUT, PROOF). */
struct ipc_proof {
	uint8_t		p_mint[32];
	uint8_t		p_keyset[IPC_KEYSET_MAX];
	uint8_t		p_id[32];
	int32_t		p_any_keyset;	/* WALK: every keyset of the mint */
	uint32_t	p_bloblen;
};

struct ipc_counter {
	uint8_t		c_keyset[IPC_KEYSET_MAX];
	uint32_t	c_keyset_len;
	uint64_t	c_n;
};

/* Followed by rf_bloblen bytes: the change token. */
struct ipc_refund {
	uint8_t		rf_token[IPC_KEY_LEN];
	uint32_t	rf_state;	/* ADD: the state; CAS: to */
	uint32_t	rf_from;	/* CAS */
	uint64_t	rf_paid;
	uint64_t	rf_refund;
	int64_t		rf_time;
	uint8_t		rf_reqid[IPC_REQID_LEN];
	uint32_t	rf_bloblen;
};

/* The ledger's errors: 0 is success, each other a reason to fail. */
enum ledger_error {
	LEDGER_OK = 0,
	LEDGER_NOTFOUND,	/* no such account, reservation, quote ... */
	LEDGER_EXISTS,		/* already there (account, B_, quote ...) */
	LEDGER_INSUFFICIENT,	/* balance - reserved < amount */
	LEDGER_OVERFLOW,	/* a sum would not fit in 64 bits */
	LEDGER_CLOSED,		/* account refunded and closed */
	LEDGER_EXPIRED,		/* account past its expiry */
	LEDGER_LIMIT,		/* account's spending limit reached */
	LEDGER_RESERVED,	/* refund while reservations are open */
	LEDGER_SPENT,		/* a Y is spent */
	LEDGER_PENDING,		/* a Y is pending */
	LEDGER_STATE,		/* compare-and-set found another state */
	LEDGER_INVALID,		/* an argument out of range */
	LEDGER_NOSPACE,		/* the disk is full */
	LEDGER_DBERR,		/* any other database failure (logged) */
	LEDGER_ERROR_MAX
};

const char	*ledger_strerror(int);

struct ipc_ledger_reply {
	int32_t		lr_error;	/* enum ledger_error */
	uint32_t	lr_pad;
	uint64_t	lr_id;		/* reservation id, counter value */
	uint64_t	lr_amount;	/* credited, charged, refunded */
	uint64_t	lr_balance;	/* the account's balance after */
	uint64_t	lr_reserved;
};

/* IMSG_LEDGER_KEYSET_PUT, IMSG_LEDGER_KEYSET */
struct ipc_keyset_rec {
	uint8_t		kr_id[IPC_KEYSET_MAX];
	uint32_t	kr_idlen;
	char		kr_unit[IPC_UNIT_MAX];
	uint32_t	kr_index;
	uint32_t	kr_version;
	uint64_t	kr_fee_ppk;
	int32_t		kr_active;
	int64_t		kr_created;
};

/* IMSG_CTL_MINT_KEYSET: a keyset of the registry and its totals */
struct ipc_keyset_total {
	uint8_t		it_id[IPC_KEYSET_MAX];
	uint32_t	it_idlen;
	char		it_unit[IPC_UNIT_MAX];
	uint32_t	it_index;
	uint64_t	it_fee_ppk;
	int32_t		it_active;
	int64_t		it_created;
	uint64_t	it_issued;	/* in the unit */
	uint64_t	it_redeemed;
	uint64_t	it_nissued;	/* outputs signed */
	uint64_t	it_nredeemed;	/* proofs spent */
};

/* IMSG_MINT_KEYSETS: every keyset, the active ones, or the one with id */
#define IPC_KEYS_ALL		0
#define IPC_KEYS_ACTIVE		1
#define IPC_KEYS_ONE		2

struct ipc_keys_req {
	int32_t		kq_which;	/* IPC_KEYS_* */
	int32_t		kq_pubkeys;	/* 1: with the keys (NUT-01) */
	uint8_t		kq_id[IPC_KEYSET_MAX];
	uint32_t	kq_idlen;	/* IPC_KEYS_ONE: may be a short id */
};

#define IPC_KEYSET_KEYS		64	/* amounts 2^0 .. 2^63 */

struct ipc_mint_keyset {
	uint8_t		mk_id[IPC_KEYSET_MAX];
	uint32_t	mk_idlen;
	char		mk_unit[IPC_UNIT_MAX];
	int32_t		mk_active;
	uint64_t	mk_fee_ppk;
	uint32_t	mk_nkeys;	/* 0 unless asked for */
	uint8_t		mk_keys[IPC_KEYSET_KEYS][IPC_Y_LEN];
};

/*
 * Proofs and blinded messages as the proxy parsed them (NUT-00).  The
 * mint checks them again: points, amounts, keysets, secrets.
 */
#define IPC_SECRET_MAX		512
#define IPC_INPUTS_MAX		256	/* proofs in one request */
#define IPC_OUTPUTS_MAX		256	/* outputs in one request */

struct ipc_proof_in {
	uint64_t	pi_amount;
	uint8_t		pi_id[IPC_KEYSET_MAX];
	uint32_t	pi_idlen;
	uint8_t		pi_c[IPC_Y_LEN];
	uint32_t	pi_secretlen;
	char		pi_secret[IPC_SECRET_MAX];	/* not NUL-terminated */
	int32_t		pi_has_witness;
};

struct ipc_output {
	uint64_t	o_amount;
	uint8_t		o_id[IPC_KEYSET_MAX];
	uint32_t	o_idlen;
	uint8_t		o_b[IPC_Y_LEN];
};

struct ipc_signature {
	uint64_t	sg_amount;
	uint8_t		sg_id[IPC_KEYSET_MAX];
	uint32_t	sg_idlen;
	uint8_t		sg_c[IPC_Y_LEN];
	uint8_t		sg_dleq_e[32];
	uint8_t		sg_dleq_s[32];
};

/* IMSG_MINT_SWAP: followed by ninputs proofs, then noutputs outputs */
struct ipc_swap {
	uint32_t	sw_ninputs;
	uint32_t	sw_noutputs;
};

/* IMSG_LEDGER_SWAP: followed by nys struct ipc_input, nissued ipc_issued */
struct ipc_swap_commit {
	uint32_t	sc_nys;
	uint32_t	sc_nissued;
};

/*
 * IMSG_LEDGER_REDEEM: followed by rd_nys struct ipc_input.  The inputs
 * are spent and rd_amount credited to the account rd_key: a new one
 * (REDEEM_CREATE; LEDGER_EXISTS if there), an existing open one
 * (REDEEM_CREDIT), or whichever (REDEEM_ANY; an account that exists
 * already is left alone and its inputs unspent: LEDGER_EXISTS).
 */
#define REDEEM_CREATE		1
#define REDEEM_CREDIT		2
#define REDEEM_ANY		3
struct ipc_redeem {
	uint8_t		rd_key[IPC_KEY_LEN];
	uint8_t		rd_reqid[IPC_REQID_LEN];
	/* With rd_has_record, an X-Cashu payment: its refund record
	 * (INFLIGHT) is added too, keyed by rd_record. */
	uint8_t		rd_record[IPC_KEY_LEN];
	int32_t		rd_has_record;
	uint64_t	rd_amount;	/* msat */
	uint64_t	rd_limit;	/* new account: spending limit, 0 none */
	int64_t		rd_expiry;	/* new account: 0, or time(3) */
	uint32_t	rd_mode;	/* REDEEM_* */
	uint32_t	rd_nys;
	char		rd_unit[IPC_UNIT_MAX];	/* to refund in */
	char		rd_mint[IPC_URL_MAX];	/* to refund from */
};

/*
 * IMSG_LEDGER_CASHOUT: followed by co_nissued struct ipc_issued and
 * co_bloblen bytes of the token that carries them.  The account is
 * refunded and closed (LEDGER_STATE unless it held exactly co_expect),
 * the outputs recorded, and the token kept as the refund record
 * co_record (READY, or NONE without a token; an INFLIGHT one is
 * updated), in one transaction.  lr_amount: msat taken.
 */
struct ipc_cashout {
	uint8_t		co_key[IPC_KEY_LEN];
	uint8_t		co_reqid[IPC_REQID_LEN];
	uint8_t		co_record[IPC_KEY_LEN];
	uint64_t	co_expect;	/* msat */
	uint64_t	co_paid;	/* msat, for the record */
	uint32_t	co_nissued;
	uint32_t	co_bloblen;
};

/* IMSG_MINT_REDEEM: followed by mr_nproofs struct ipc_proof_in. */
struct ipc_mint_redeem {
	uint8_t		mr_key[IPC_KEY_LEN];
	uint8_t		mr_reqid[IPC_REQID_LEN];
	uint8_t		mr_record[IPC_KEY_LEN];	/* see ipc_redeem */
	int32_t		mr_has_record;
	uint64_t	mr_limit;
	int64_t		mr_expiry;
	uint32_t	mr_mode;	/* REDEEM_* */
	uint32_t	mr_nproofs;
	char		mr_unit[IPC_UNIT_MAX];	/* the token's */
	char		mr_mint[IPC_URL_MAX];	/* the token's */
};

/* IMSG_MINT_CASHOUT: the balance of mc_key out as a token. */
struct ipc_mint_cashout {
	uint8_t		mc_key[IPC_KEY_LEN];
	uint8_t		mc_reqid[IPC_REQID_LEN];
	uint8_t		mc_record[IPC_KEY_LEN];	/* refund record key */
	uint64_t	mc_paid;	/* msat, for the record */
	char		mc_url[IPC_URL_MAX];	/* the mint's URL, in the token */
};

/* IMSG_CTL_MINT_TOKEN to the mint: a test token (fake Lightning only) */
struct ipc_mint_token {
	uint64_t	mt_amount;		/* sat */
	char		mt_url[IPC_URL_MAX];	/* the mint's URL */
};

/* NUT-04 mint quote request */
struct ipc_mint_quote_req {
	uint64_t	mq_amount;
	char		mq_unit[IPC_UNIT_MAX];
	char		mq_description[640];	/* BOLT11 d, or "" */
	int32_t		mq_has_pubkey;		/* NUT-20 */
	uint8_t		mq_pubkey[IPC_Y_LEN];
};

/* NUT-05 melt quote request */
struct ipc_melt_quote_req {
	char		mq_request[IPC_BOLT11_MAX];
	char		mq_unit[IPC_UNIT_MAX];
	uint64_t	mq_amountless_msat;	/* 0: the invoice's amount */
};

/* NUT-04 mint: followed by mr_noutputs struct ipc_output */
struct ipc_mint_req {
	char		mr_quote[IPC_QUOTE_ID_MAX];
	int32_t		mr_has_signature;	/* NUT-20 */
	uint8_t		mr_signature[64];
	uint32_t	mr_noutputs;
};

/* NUT-05 melt: followed by inputs, then blank outputs (NUT-08) */
struct ipc_melt_req {
	char		ml_quote[IPC_QUOTE_ID_MAX];
	uint32_t	ml_ninputs;
	uint32_t	ml_noutputs;
};

/*
 * The ledger's quote transitions: followed by nys struct ipc_input (Ys
 * alone for MELT_ABORT), then nissued struct ipc_issued.
 */
struct ipc_quote_commit {
	char		qc_quote[IPC_QUOTE_ID_MAX];
	uint32_t	qc_nys;
	uint32_t	qc_nissued;
	int32_t		qc_has_preimage;
	uint8_t		qc_preimage[32];
};

/* IMSG_MINT_END: 0, or a NUT error code with its detail */
/* NUT error codes (specs/cashu.md 6), in struct ipc_mint_error */
#define E_PROOF		10001	/* proof verification failed */
#define E_SPENT		11001	/* already spent */
#define E_PENDING	11002	/* pending */
#define E_SIGNED	11003	/* outputs already signed */
#define E_UNBALANCED	11005	/* inputs and outputs do not balance */
#define E_DUP_INPUTS	11007	/* duplicate inputs */
#define E_DUP_OUTPUTS	11008	/* duplicate outputs */
#define E_MULTI_UNIT	11010	/* inputs and outputs of other units */
#define E_KEYSET	12001	/* keyset not known */
#define E_INACTIVE	12002	/* keyset inactive */
#define E_REQUEST	10000	/* malformed request */
#define E_LIMIT		11006	/* amount outside the limits */
#define E_AMOUNTLESS	11011	/* amountless invoice not supported */
#define E_UNIT		11013	/* unit not supported */
#define E_UNPAID	20001	/* quote not paid */
#define E_ISSUED	20002	/* quote already issued */
#define E_DISABLED	20003	/* minting disabled */
#define E_LN_FAILED	20004	/* Lightning payment failed */
#define E_QUOTE_PENDING	20005	/* quote pending */
#define E_INVOICE_PAID	20006	/* invoice already paid */
#define E_EXPIRED	20007	/* quote expired */
#define E_SIGNATURE	20008	/* NUT-20 signature missing or invalid */
/* Ours, not NUT codes: the wallet's failures at another mint. */
#define E_MINT_UNREACHABLE 90001	/* the token's mint did not answer */
#define E_SWAP_FEES	90002	/* its fees would take the whole token */
#define E_SWAP_FAILED	90003	/* its mint answered the swap wrongly */

struct ipc_mint_error {
	int32_t		me_code;
	char		me_detail[256];
};

struct ipc_mint_info {
	char		mi_pubkey[67];	/* hex, the mint's identity */
	int32_t		mi_local;	/* 1: this node runs a mint */
	int32_t		mi_fake;	/* its Lightning is the fake one */
	char		mi_units[4][IPC_UNIT_MAX];
	uint32_t	mi_nunits;
};

/* IMSG_LEDGER_BACKUP_DATA: followed by the bytes */
struct ipc_backup_data {
	uint64_t	bd_offset;
};

/* IMSG_CTL_LEDGER_REPORT */
struct ipc_ledger_report {
	uint64_t	rp_accounts;
	uint64_t	rp_reservations;
	uint64_t	rp_journal;
	uint64_t	rp_spent;
	uint64_t	rp_pending;
	uint64_t	rp_issued;
	uint64_t	rp_problems;
	uint32_t	rp_ntotals;
	struct {
		char		t_mint[IPC_URL_MAX];
		char		t_unit[IPC_UNIT_MAX];
		uint64_t	t_balance;
		uint64_t	t_reserved;
		uint64_t	t_accounts;
	}		rp_totals[32];
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
const char	*ledger_strerror(int);
int		 ipc_is_reply(uint32_t);
struct imsg;
int		 ipc_ledger_reply_get(struct imsg *,
		    struct ipc_ledger_reply *);
int		 ipc_is_partial(uint32_t);
int		 ipc_host_ok(const char *, size_t);
int		 ipc_resolved_ok(const struct ipc_resolved *);

/* url.c */
int		 url_split(const char *, char *, size_t, char *, size_t,
		    uint16_t *);
int		 url_query_get(const char *, const char *, char *, size_t);
int		 url_decode(const char *, size_t, int, char *, size_t);

#endif /* IPC_H */
