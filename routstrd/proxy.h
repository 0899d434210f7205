/*
 * The proxy process: the HTTP front door of the suite.
 */

#ifndef PROXY_H
#define PROXY_H

#include <sys/types.h>
#include <sys/queue.h>

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

/* proxy.c */
void	 proxy_reply_json(struct http_conn *, int, const char *);

/* proxy_mint.c: the mint's HTTP API; -1 if the route is not its own */
int	 mint_route(struct http_conn *, struct http_request *);
void	 mint_error(struct http_conn *, int, const char *);

/* proxy_info.c */
void	 info_build(void);
void	 info_serve(struct http_conn *, struct http_request *);
void	 info_root(struct http_conn *, struct http_request *);

#endif /* PROXY_H */
