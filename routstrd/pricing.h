/*
 * Pricing: what a request may cost before it is forwarded (the
 * reservation), what it did cost after (the settlement), and Routstr
 * Core's cost contract (usage.cost, cost_sats, X-Routstr-Cost-*).
 *
 * Money is integer msat, computed exactly: a model's prices are
 * integers per million tokens (msat, or micro-USD converted at the
 * BTC/USD rate of proxy_price.c, USD cents per BTC) with the markup in
 * hundredths of a percent, so every amount is a fraction of 128-bit
 * integers, rounded once at the end: costs up to whole msat (the
 * rounding is the node's only gain), discounts of the reservation down.
 * Overflow is an error, never a wrap.
 */

#ifndef PRICING_H
#define PRICING_H

#include <sys/types.h>

#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "ipc.h"
#include "proxy.h"

/* Routstr Core's settings, at their defaults. */
#define PRICING_TOLERANCE_PCT	1	/* TOLERANCE_PERCENTAGE */
#define PRICING_MIN_REQUEST_MSAT 1	/* MIN_REQUEST_MSAT */
/* Its worst case for a model of unknown limits, in tokens. */
#define PRICING_FALLBACK_PROMPT	1000000
#define PRICING_FALLBACK_COMPLETION 32000

/* What one request cost, in Routstr Core's fields (CostData). */
struct cost {
	uint64_t	 co_base_msats;		/* the request price */
	uint64_t	 co_input_msats;	/* prompt and cache tokens */
	uint64_t	 co_output_msats;	/* completion tokens */
	uint64_t	 co_cache_read_msats;	/* in co_input_msats, */
	uint64_t	 co_cache_creation_msats; /* rounded down */
	uint64_t	 co_total_msats;	/* base + input + output */
	uint64_t	 co_total_nusd;	/* nano-USD, if co_have_usd */
	int		 co_have_usd;	/* a BTC/USD rate was known */
	struct usage	 co_usage;		/* the tokens billed */
};

/* The values of the X-Routstr-Cost-* response headers. */
struct cost_headers {
	char		 ch_msats[24];		/* -Cost-Msats */
	char		 ch_input_msats[24];	/* -Input-Cost-Msats */
	char		 ch_output_msats[24];	/* -Output-Cost-Msats */
	char		 ch_usd[32];		/* -Cost-Usd; "": none */
};

/* /v1/models: per token and per worst-case request, in sats or USD. */
struct price_figures {
	double		 pf_prompt;
	double		 pf_completion;
	double		 pf_request;
	double		 pf_cache_read;
	double		 pf_cache_write;
	double		 pf_max_prompt;
	double		 pf_max_completion;
	double		 pf_max_cost;
};

#define PRICING_SATS	0
#define PRICING_USD	1

/*
 * 1 if the model can be sold now.  A USD-priced model needs a BTC/USD
 * rate younger than "price max age"; without one it is 0 and *why says
 * why, for the client.  A sat-priced model never needs a rate.
 */
int	 pricing_available(const struct ipc_conf_model *, const char **);
/*
 * The reservation for a request of that shape, in msat: Routstr Core's
 * max cost (after its 1% tolerance), less the unused prompt allowance
 * (when rs_prompt_chars > 0: chars / 3 tokens) and the unused
 * completion allowance (when rs_max_tokens > 0), at least
 * PRICING_MIN_REQUEST_MSAT.  -1 when the model is not available
 * (pricing_available) or on overflow.
 */
int	 pricing_max_cost(const struct ipc_conf_model *,
	    const struct request_shape *, uint64_t *);
/*
 * The cost of what a request used.  A USD-priced model takes the
 * latest rate even if it is older than "price max age": the request
 * was accepted when it was not.  -1 on overflow or if no rate was ever
 * known for a USD-priced model; *cost is then untouched.
 */
int	 pricing_cost(const struct ipc_conf_model *, const struct usage *,
	    struct cost *);
/*
 * usage.cost, or with full the whole CostData (metadata.routstr.cost),
 * as compact JSON text (its length returned) or as a tree of it.
 */
#define PRICING_COST_TEXT	640	/* 11 integers, 2 reals, their names */
size_t	 pricing_cost_text(const struct cost *, int,
	    char [PRICING_COST_TEXT]);
json_t	*pricing_cost_json(const struct cost *, int);
/* usage.cost_sats, metadata.routstr.sats_cost: whole sats, down. */
uint64_t pricing_cost_sats(const struct cost *);
void	 pricing_cost_headers(const struct cost *, struct cost_headers *);
/*
 * The prices of /v1/models in sats (PRICING_SATS) or USD, the markup
 * applied.  -1 when that unit needs a rate and none is known, or on
 * overflow.  fresh: only a rate younger than "price max age" will do.
 */
int	 pricing_figures(const struct ipc_conf_model *, int, int,
	    struct price_figures *);

/*
 * proxy_price.c: the BTC/USD rate.  price_init() takes the sources,
 * refresh and max age of the configuration, and with fetch set starts
 * asking the sources (after curlev_init()).
 */
void	 price_init(const struct ipc_conf_proxy *, int);
void	 price_shutdown(void);
/* The latest rate in USD cents per BTC and its age in seconds: 0, or -1. */
int	 price_latest(uint64_t *, time_t *);
/* The latest rate if younger than "price max age": 0, or -1. */
int	 price_fresh(uint64_t *);
/* Take a rate, got at a time of price_now(); for the fetcher and tests. */
void	 price_set(uint64_t, time_t);
/* Monotonic seconds. */
time_t	 price_now(void);
/* Bumped by every new rate: /v1/models is rebuilt when it changes. */
uint64_t price_generation(void);
/* A source's answer as USD cents per BTC: 0, or -1 if it is not one. */
int	 price_parse(int, const char *, size_t, uint64_t *);
/* Sanity bounds of a rate, USD cents per BTC. */
#define PRICE_CENTS_MIN		(1000ULL * 100)	/* $1,000 */
#define PRICE_CENTS_MAX		(10000000ULL * 100) /* $10,000,000 */

/* proxy_models.c: the model catalogue */
const struct proxy_model *models_find(const char *);
/* GET /v1/models and its aliases; -1 if the route is not its own. */
int	 models_route(struct http_conn *, struct http_request *);
/* The body of GET /v1/models, built if the rate changed; not freed. */
const char *models_json(void);

#endif /* PRICING_H */
