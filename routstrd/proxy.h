/*
 * The proxy process: the HTTP front door of the suite.
 */

#ifndef PROXY_H
#define PROXY_H

#include <sys/types.h>
#include <sys/queue.h>

#include <jansson.h>
#include <stdint.h>

#include "ipc.h"

struct http_conn;
struct http_request;

struct proxy_listener {
	TAILQ_ENTRY(proxy_listener)	 pl_entry;
	struct ipc_conf_listener	 pl_conf;
	int				 pl_fd;
	int				 pl_certfd;
	int				 pl_keyfd;
	struct tls			*pl_tls;
};
TAILQ_HEAD(proxy_listeners, proxy_listener);

struct proxy_url {
	TAILQ_ENTRY(proxy_url)		 pu_entry;
	char				 pu_url[IPC_URL_MAX];
};
TAILQ_HEAD(proxy_urls, proxy_url);

struct proxy_upstream {
	TAILQ_ENTRY(proxy_upstream)	 pu_entry;
	struct ipc_conf_upstream	 pu_conf;
	int				 pu_keyfd;
	char				*pu_key;	/* from pu_keyfd, or NULL */
};
TAILQ_HEAD(proxy_upstreams, proxy_upstream);

struct proxy_model {
	TAILQ_ENTRY(proxy_model)	 pm_entry;
	struct ipc_conf_model		 pm_conf;
};
TAILQ_HEAD(proxy_models, proxy_model);

/*
 * What one request used: the upstream's usage, normalised from its
 * dialect (OpenAI, OpenRouter, Anthropic, DeepSeek), or, when it
 * reported none, our estimate from what was sent and received.
 */
struct usage {
	uint64_t	 us_prompt;	/* input tokens, cached ones excluded */
	uint64_t	 us_completion;	/* output tokens, reasoning included */
	uint64_t	 us_cache_read;	/* input tokens read from a cache */
	uint64_t	 us_cache_write;	/* input tokens written to one */
	int		 us_estimated;	/* 1: the upstream reported none */
};

/* What a request's reservation is computed from, read from its body. */
struct request_shape {
	uint64_t	 rs_prompt_chars;	/* text of the input */
	uint64_t	 rs_max_tokens;	/* max_tokens, or 0 if not given */
	int		 rs_stream;	/* "stream": true */
};

/* What the parent told this proxy, and what it learnt at start. */
struct proxy_env {
	struct ipc_conf_proxy		 pe_conf;
	int				 pe_have_conf;
	struct proxy_listeners		 pe_listeners;
	struct proxy_urls		 pe_mints;
	struct proxy_upstreams		 pe_upstreams;
	struct proxy_models		 pe_models;
	struct ipc_identity		 pe_identity;
	struct ipc_mint_info		 pe_mint;
};

extern struct proxy_env	*proxy_env;

/* A client's credential (proxy_pay.c). */
#define CRED_NONE	0
#define CRED_KEY	1	/* Authorization: Bearer sk-... */
#define CRED_TOKEN	2	/* Authorization: Bearer cashuA/B... */
#define CRED_XCASHU	3	/* X-Cashu: cashuA/B..., one request */
#define CRED_SECRET_LEN	32

struct credential {
	int		 cr_kind;
	uint8_t		 cr_secret[CRED_SECRET_LEN];	/* K */
	uint8_t		 cr_account[IPC_KEY_LEN];	/* SHA-256(K) */
	const char	*cr_token;	/* TOKEN, XCASHU: as sent */
};

struct ipc_account;
struct ipc_ledger_reply;
/*
 * The callbacks of pay_account, pay_redeem and pay_cashout always come;
 * with a NULL connection when the client left meanwhile (what was asked
 * was done all the same).
 */
typedef void	(*pay_account_cb)(struct http_conn *, void *,
		    const struct ipc_account *);
typedef void	(*pay_redeem_cb)(struct http_conn *, void *, int,
		    const struct ipc_ledger_reply *, const char *);
typedef void	(*pay_token_cb)(struct http_conn *, void *, int,
		    const struct ipc_ledger_reply *, const char *);
typedef void	(*pay_ledger_cb)(void *, int, const struct ipc_ledger_reply *);

#define PROXY_REQID_LEN	37	/* a UUID and its NUL */

/* proxy.c */
void	 proxy_reply_json(struct http_conn *, int, const char *);
void	 proxy_reply_jt(struct http_conn *, int, json_t *);
void	 proxy_request_id(const struct http_request *, char *, size_t);
void	 proxy_mint_url(const struct http_request *, char *, size_t);
json_t	*proxy_body_json(const struct http_request *);

/* proxy_pay.c */
int	 pay_credential(const struct http_request *, struct credential *,
	    const char **);
void	 pay_api_key(const struct credential *, char *, size_t);
void	 pay_new_key(struct credential *);
void	 pay_error(struct http_conn *, int, const char *, const char *,
	    const char *);
void	 pay_redeem_error(struct http_conn *, int, const char *);
void	 pay_account(struct http_conn *, const struct credential *,
	    pay_account_cb, void *);
void	 pay_redeem(struct http_conn *, const struct credential *,
	    const char *, int, const uint8_t *, uint64_t, int64_t,
	    pay_redeem_cb, void *);
void	 pay_cashout(struct http_conn *, const char *,
	    const struct credential *, const uint8_t *, uint64_t,
	    pay_token_cb, void *);
int	 pay_reserve(const uint8_t *, const uint8_t *, uint64_t, uint32_t,
	    pay_ledger_cb, void *);
int	 pay_settle(uint64_t, const uint8_t *, uint64_t, pay_ledger_cb,
	    void *);
int	 pay_release(uint64_t, pay_ledger_cb, void *);

/* proxy_balance.c: /v1/balance/..., /v1/wallet/...; -1: not its route */
int	 balance_route(struct http_conn *, struct http_request *);

/* proxy_forward.c: the paid API; -1 if the route is not its own */
int	 forward_route(struct http_conn *, struct http_request *);

/* proxy_mint.c: the mint's HTTP API; -1 if the route is not its own */
int	 mint_route(struct http_conn *, struct http_request *);
void	 mint_error(struct http_conn *, int, const char *);

/* proxy_info.c */
void	 info_build(void);
void	 info_serve(struct http_conn *, struct http_request *);
void	 info_root(struct http_conn *, struct http_request *);

#endif /* PROXY_H */
