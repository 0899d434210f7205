/*
 * The parent's view of routstrd.conf: what parse.y produces, what -nv
 * prints and what the parent hands out to the children.
 */

#ifndef CONFIG_H
#define CONFIG_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>

#include "ipc.h"

#define ROUTSTRD_CONF		"/etc/routstrd.conf"
#define ROUTSTRD_SOCKET		"/run/routstrd/routstrd.sock"
#define ROUTSTRD_STATEDIR	"/var/lib/routstrd"
#define ROUTSTRD_CHROOT		"/var/empty"
#define ROUTSTRD_USER_PROXY	"_routstrd"
#define ROUTSTRD_USER_LEDGER	"_ledgerd"
#define ROUTSTRD_USER_MINT	"_mintd"
#define ROUTSTRD_USER_RELAY	"_relayd-client"

/* Defaults of the HTTP limits (struct ipc_conf_proxy). */
#define HTTP_MAX_CONNECTIONS	1024
#define HTTP_MAX_HEADER_SIZE	(16 * 1024)
#define HTTP_MAX_HEADERS	100
#define HTTP_MAX_BODY_SIZE	(10 * 1024 * 1024)
#define HTTP_TIMEOUT_IDLE	60
#define HTTP_TIMEOUT_READ	30
#define UPSTREAM_TIMEOUT	300
#define FAKE_INVOICE_DELAY	1

/* BTC/USD: how often it is fetched, how long a rate is used for. */
#define PRICE_REFRESH		120
#define PRICE_MAX_AGE		600
#define PRICE_URL_KRAKEN	"https://api.kraken.com/0/public/Ticker?pair=XBTUSD"
#define PRICE_URL_COINBASE	"https://api.coinbase.com/v2/prices/BTC-USD/spot"
#define PRICE_URL_BINANCE	\
	"https://api.binance.com/api/v3/ticker/price?symbol=BTCUSDT"

struct listener {
	TAILQ_ENTRY(listener)	 l_entry;
	uint32_t		 l_id;
	int			 l_type;	/* LISTEN_TCP or LISTEN_UNIX */
	struct sockaddr_storage	 l_ss;		/* LISTEN_TCP, port set */
	socklen_t		 l_sslen;
	char			*l_path;	/* LISTEN_UNIX */
	mode_t			 l_mode;	/* LISTEN_UNIX, default 0660 */
	char			*l_group;	/* LISTEN_UNIX, NULL: unchanged */
	int			 l_tls;
	char			*l_tls_cert;
	char			*l_tls_key;
	int			 l_fd;		/* opened by the parent, -1 */
};
TAILQ_HEAD(listenerlist, listener);

struct mint {
	TAILQ_ENTRY(mint)	 m_entry;
	int			 m_local;	/* "mint local { ... }" */
	char			*m_url;		/* "mint URL trusted", NULL if local */
	int			 m_lightning;	/* LIGHTNING_*, local only */
	uint32_t		 m_fake_delay;	/* seconds */
	char			*m_lnd_url;
	char			*m_lnd_macaroon;	/* file */
	char			*m_lnd_cert;	/* file, may be NULL */
	char			*m_seed;	/* file, may be NULL */
	uint32_t		 m_input_fee;	/* ppk of new keysets */
};
TAILQ_HEAD(mintlist, mint);

struct upstream {
	TAILQ_ENTRY(upstream)	 u_entry;
	char			*u_name;
	int			 u_type;	/* UPSTREAM_* */
	char			*u_url;		/* NULL for echo */
	char			*u_keyfile;	/* may be NULL */
	uint32_t		 u_timeout;	/* seconds */
};
TAILQ_HEAD(upstreamlist, upstream);

struct model {
	TAILQ_ENTRY(model)	 m_entry;
	char			*m_id;
	char			*m_upstream;	/* name of a defined upstream */
	char			*m_upstream_id;	/* "as ID", NULL: same as m_id */
	int			 m_usd;		/* prices in micro-USD */
	uint64_t		 m_prompt;	/* msat or micro-USD per Mtok */
	uint64_t		 m_completion;
	uint64_t		 m_request;	/* per request */
	uint64_t		 m_cache_read;	/* default: m_prompt */
	uint64_t		 m_cache_write;	/* default: m_prompt */
	uint64_t		 m_context_length;	/* tokens, 0: unknown */
	uint64_t		 m_max_completion;	/* tokens, 0: unknown */
	int64_t			 m_markup;	/* 1/100 %, -1: c_markup */
};
TAILQ_HEAD(modellist, model);

struct relay {
	TAILQ_ENTRY(relay)	 r_entry;
	char			*r_url;
};
TAILQ_HEAD(relaylist, relay);

struct routstrd_conf {
	char			*c_name;
	char			*c_about;
	char			*c_http_url;
	char			*c_onion_url;
	char			*c_statedir;
	char			*c_chroot;
	char			*c_control;
	char			*c_nostr_key;	/* file, may be NULL */
	char			*c_user[PROC_MAX];	/* index PROC_PROXY.. */
	int			 c_prefork;	/* proxy instances, 1.. */
	uint64_t		 c_child_key_cost;	/* msat */
	uint32_t		 c_max_connections;
	uint32_t		 c_max_header_size;
	uint32_t		 c_max_headers;
	uint64_t		 c_max_body_size;
	uint32_t		 c_timeout_idle;
	uint32_t		 c_timeout_read;
	uint32_t		 c_markup;	/* hundredths of a percent */
	uint32_t		 c_price_refresh;	/* seconds */
	uint32_t		 c_price_max_age;	/* seconds */
	char			*c_price_url[PRICE_SOURCES];	/* NULL: unused */
	struct listenerlist	 c_listeners;
	struct mintlist		 c_mints;
	struct upstreamlist	 c_upstreams;
	struct modellist	 c_models;
	struct relaylist	 c_relays;
};

/* parse.y */
struct routstrd_conf	*parse_config(const char *);
int			 cmdline_symset(char *);

/* config.c */
struct routstrd_conf	*config_new(void);
void			 config_free(struct routstrd_conf *);
void			 config_print(FILE *, struct routstrd_conf *);
int			 check_file_secrecy(int, const char *);
const char		*file_secrecy_error(int);

#endif /* CONFIG_H */
