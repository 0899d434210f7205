/*
 * test_pricing: costs, rounding, markup, cache prices, the request price,
 * USD prices at a BTC/USD rate, staleness, overflow, Routstr Core's max
 * cost and its discounts, the cost contract (usage.cost, headers), and
 * /v1/models showing exactly what pricing_cost() charges.
 *
 * Expected amounts were worked out by hand or with Python's fractions,
 * never with the code under test.
 */

#include <sys/types.h>

#include <event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ipc.h"
#include "log.h"
#include "pricing.h"
#include "proxy.h"
#include "test.h"

#define MAX_AGE		600
#define CENTS		9700010ULL	/* $97,000.10 */

static struct ipc_conf_proxy	 cp;

/* No libm: positive values well inside 64 bits. */
#define FLOOR(x)	((double)(uint64_t)(x))
#define CEIL(x)		(FLOOR(x) < (x) ? FLOOR(x) + 1 : FLOOR(x))
#define FABS(x)		((x) < 0 ? -(x) : (x))

/* A model priced in sats (msat per Mtok in the structure) or USD. */
static struct ipc_conf_model
model(int usd, uint64_t prompt, uint64_t completion)
{
	struct ipc_conf_model	 m;

	memset(&m, 0, sizeof(m));
	(void)strlcpy(m.cm_id, "m", sizeof(m.cm_id));
	(void)strlcpy(m.cm_upstream, "u", sizeof(m.cm_upstream));
	(void)strlcpy(m.cm_upstream_id, "m", sizeof(m.cm_upstream_id));
	m.cm_usd = usd;
	m.cm_prompt = m.cm_cache_read = m.cm_cache_write = prompt;
	m.cm_completion = completion;
	return (m);
}

static struct usage
use(uint64_t prompt, uint64_t completion, uint64_t cread, uint64_t cwrite)
{
	struct usage	 u;

	memset(&u, 0, sizeof(u));
	u.us_prompt = prompt;
	u.us_completion = completion;
	u.us_cache_read = cread;
	u.us_cache_write = cwrite;
	return (u);
}

static void
no_rate(void)
{
	price_init(&cp, 0);	/* forgets the rate */
}

static uint64_t
total(const struct ipc_conf_model *m, struct usage u)
{
	struct cost	 c;

	if (pricing_cost(m, &u, &c) == -1)
		return (UINT64_MAX);
	return (c.co_total_msats);
}

static void
test_sats(void)
{
	struct ipc_conf_model	 m = model(0, 150000, 600000);
	struct usage		 u;
	struct cost		 c;

	no_rate();
	u = use(1000, 500, 0, 0);
	T(pricing_cost(&m, &u, &c) == 0, "sats: a cost without any rate");
	T(c.co_total_msats == 450 && c.co_input_msats == 150 &&
	    c.co_output_msats == 300 && c.co_base_msats == 0,
	    "sats: 1000 x 0.15 + 500 x 0.6 msat = 150 + 300");
	T(!c.co_have_usd && c.co_total_nusd == 0,
	    "sats: no USD without a rate");
	T(c.co_usage.us_prompt == 1000 && c.co_usage.us_completion == 500,
	    "sats: the tokens billed are kept");

	/* One rounding, of the sum: 0.15 + 0.6 = 0.75 -> 1, not 1 + 1. */
	u = use(1, 1, 0, 0);
	T(pricing_cost(&m, &u, &c) == 0 && c.co_total_msats == 1 &&
	    c.co_output_msats == 0 && c.co_input_msats == 1,
	    "sats: 0.75 msat rounds up once to 1; output down, input the rest");
	T(total(&m, use(3, 0, 0, 0)) == 1, "sats: 0.45 msat is 1 msat");
	T(total(&m, use(20, 0, 0, 0)) == 3, "sats: 3.0 msat is 3 msat");
	T(total(&m, use(21, 0, 0, 0)) == 4, "sats: 3.15 msat is 4 msat");
	T(total(&m, use(0, 0, 0, 0)) == 0, "sats: nothing used costs 0");

	/* Prices with millisats: 0.001 sat per Mtok. */
	m = model(0, 1, 1);
	T(total(&m, use(999999, 0, 0, 0)) == 1 &&
	    total(&m, use(1000000, 0, 0, 0)) == 1 &&
	    total(&m, use(1000001, 1000000, 0, 0)) == 3,
	    "sats: 1 msat per Mtok, rounded up");
}

static void
test_markup_request_cache(void)
{
	struct ipc_conf_model	 m = model(0, 150000, 600000);
	struct usage		 u;
	struct cost		 c;

	no_rate();
	m.cm_markup = 150;		/* 1.5% */
	T(total(&m, use(1000000, 0, 0, 0)) == 152250,
	    "markup 1.5%%: 1M prompt tokens cost 152250 msat");
	T(total(&m, use(3, 0, 0, 0)) == 1, "markup: 0.45675 msat is 1");
	T(total(&m, use(0, 1000000, 0, 0)) == 609000,
	    "markup 1.5%%: 1M completion tokens cost 609000 msat");
	m.cm_markup = MARKUP_MAX;	/* 1000%: eleven times */
	T(total(&m, use(1000000, 1000000, 0, 0)) == 11 * 750000,
	    "markup 1000%%: eleven times the price");
	m.cm_markup = MARKUP_MAX + 1;
	u = use(1, 1, 0, 0);
	T(pricing_cost(&m, &u, &c) == -1, "markup over the maximum: refused");

	/* The request price, rounded up on its own. */
	m = model(0, 150000, 600000);
	m.cm_request = 500;		/* 0.5 sat */
	m.cm_markup = 1000;		/* 10% */
	u = use(1, 1, 0, 0);
	T(pricing_cost(&m, &u, &c) == 0 && c.co_base_msats == 550 &&
	    c.co_total_msats == 551 && c.co_input_msats == 1 &&
	    c.co_output_msats == 0,
	    "request 0.5 sat + 10%%: base 550 msat, total 551");
	m.cm_request = 1;
	m.cm_markup = 1;		/* 1.0001 msat */
	u = use(0, 0, 0, 0);
	T(pricing_cost(&m, &u, &c) == 0 && c.co_base_msats == 2 &&
	    c.co_total_msats == 2, "request 1.0001 msat is 2 msat");
	T(c.co_base_msats + c.co_input_msats + c.co_output_msats ==
	    c.co_total_msats, "base + input + output = total");

	/* Cache reads at their own price, writes at the prompt's. */
	m = model(0, 150000, 600000);
	m.cm_cache_read = 15000;
	u = use(1000, 1000, 1000000, 1000);
	T(pricing_cost(&m, &u, &c) == 0 && c.co_cache_read_msats == 15000 &&
	    c.co_cache_creation_msats == 150 &&
	    c.co_total_msats == 150 + 600 + 15000 + 150 &&
	    c.co_input_msats == 150 + 15000 + 150 && c.co_output_msats == 600,
	    "cache: read 1M at 15 sat/M, write 1000 at the prompt price, "
	    "both within the input");
	u = use(0, 0, 1, 1);
	T(pricing_cost(&m, &u, &c) == 0 && c.co_cache_read_msats == 0 &&
	    c.co_cache_creation_msats == 0 && c.co_total_msats == 1 &&
	    c.co_input_msats == 1,
	    "cache: parts round down, the total up (0.015 + 0.15 -> 1)");
}

static void
test_usd(void)
{
	struct ipc_conf_model	 m = model(1, 3000000, 15000000);
	struct usage		 u;
	struct cost		 c;
	struct cost_headers	 ch;
	const char		*why = NULL;
	uint64_t		 msat, cents;

	no_rate();
	u = use(1000000, 0, 0, 0);
	T(pricing_cost(&m, &u, &c) == -1, "usd: no cost without a rate");
	T(pricing_available(&m, &why) == 0 && why != NULL &&
	    strstr(why, "no BTC/USD exchange rate yet") != NULL,
	    "usd: not available without a rate, and why");
	T(pricing_max_cost(&m, &(struct request_shape){ 0, 0, 0 }, &msat) ==
	    -1, "usd: no max cost without a rate");

	price_set(10000000, price_now());		/* $100,000 */
	T(pricing_available(&m, &why) == 1, "usd: available with a rate");
	T(total(&m, use(1000000, 0, 0, 0)) == 3000000,
	    "usd: $3 at $100,000 is 3000 sats exactly");
	T(total(&m, use(0, 1, 0, 0)) == 15,
	    "usd: 1 token at $15/M at $100,000 is 15 msat");

	price_set(CENTS, price_now());
	u = use(1000000, 0, 0, 0);
	T(pricing_cost(&m, &u, &c) == 0 && c.co_total_msats == 3092781,
	    "usd: $3 at $97,000.10 is 3092780.3... msat, rounded up");
	T(c.co_have_usd && c.co_total_nusd == 3000000663,
	    "usd: what was charged is $3.000000663");
	pricing_cost_headers(&c, &ch);
	T(strcmp(ch.ch_usd, "3.000000663") == 0 &&
	    strcmp(ch.ch_msats, "3092781") == 0 &&
	    strcmp(ch.ch_input_msats, "3092781") == 0 &&
	    strcmp(ch.ch_output_msats, "0") == 0, "usd: the header values");

	m.cm_markup = 150;
	u = use(2000, 1000, 0, 0);
	T(pricing_cost(&m, &u, &c) == 0 && c.co_total_msats == 21975 &&
	    c.co_output_msats == 15695 && c.co_input_msats == 21975 - 15695,
	    "usd: 2000 x $3 + 1000 x $15 per M, +1.5%%, at $97,000.10");

	/* A sat model's USD figure at the rate. */
	m = model(0, 150000, 600000);
	price_set(10000000, price_now());
	u = use(1000, 0, 0, 0);
	T(pricing_cost(&m, &u, &c) == 0 && c.co_total_msats == 150 &&
	    c.co_have_usd && c.co_total_nusd == 150000,
	    "sats: 150 msat at $100,000 is $0.00015");
	pricing_cost_headers(&c, &ch);
	T(strcmp(ch.ch_usd, "0.00015") == 0,
	    "sats: X-Routstr-Cost-Usd 0.00015");

	/* Stale: refused for new requests, still settles. */
	m = model(1, 3000000, 15000000);
	price_set(CENTS, price_now() - MAX_AGE - 1);
	why = NULL;
	T(pricing_available(&m, &why) == 0 && why != NULL &&
	    strstr(why, "out of date") != NULL,
	    "usd: a rate older than max age: not available, and why");
	T(price_fresh(&cents) == -1, "price_fresh: not with a stale rate");
	T(pricing_max_cost(&m, &(struct request_shape){ 0, 0, 0 }, &msat) ==
	    -1, "usd: no max cost with a stale rate");
	T(total(&m, use(1000000, 0, 0, 0)) == 3092781,
	    "usd: a request accepted before settles at the latest rate");
	price_set(CENTS, price_now() - MAX_AGE);
	T(pricing_available(&m, NULL) == 1,
	    "usd: a rate exactly max age old is still good");
	m = model(0, 1, 1);
	price_set(CENTS, price_now() - 100000);
	T(pricing_available(&m, NULL) == 1,
	    "sats: available whatever the rate");
}

static void
test_overflow(void)
{
	struct ipc_conf_model	 m = model(0, UINT64_MAX, UINT64_MAX);
	struct usage		 u;
	struct cost		 c;

	no_rate();
	memset(&c, 0x55, sizeof(c));
	u = use(UINT64_MAX, UINT64_MAX, 0, 0);
	T(pricing_cost(&m, &u, &c) == -1 && c.co_total_msats ==
	    0x5555555555555555ULL, "overflow: refused, the cost untouched");
	m = model(0, 1000000000000ULL, 0);	/* 1e9 sats per Mtok */
	T(total(&m, use(18446744073ULL, 0, 0, 0)) == 18446744073000000ULL,
	    "large but fitting: exact");
	T(total(&m, use(18446744073709552ULL, 0, 0, 0)) == UINT64_MAX,
	    "a total past 64 bits: refused");
	m.cm_request = UINT64_MAX;
	T(total(&m, use(1, 0, 0, 0)) == UINT64_MAX,
	    "request price + tokens past 64 bits: refused");
}

static uint64_t
reserve(const struct ipc_conf_model *m, uint64_t chars, uint64_t maxtok)
{
	struct request_shape	 rs;
	uint64_t		 msat;

	memset(&rs, 0, sizeof(rs));
	rs.rs_prompt_chars = chars;
	rs.rs_max_tokens = maxtok;
	if (pricing_max_cost(m, &rs, &msat) == -1)
		return (UINT64_MAX);
	return (msat);
}

/*
 * Routstr Core's max cost (spec section 2, with cl the context length
 * and mct the largest completion), less 1%, less the discounts.  Prices
 * 0.15 and 0.6 msat per token.
 */
static void
test_max_cost(void)
{
	struct ipc_conf_model	 m = model(0, 150000, 600000);

	no_rate();
	/* cl > mct: (cl - mct) p + mct c = 16742.4 + 9830.4 = 26572.8 */
	m.cm_context_length = 128000;
	m.cm_max_completion = 16384;
	T(reserve(&m, 0, 0) == 26307,
	    "cl > mct: floor(26572.8 x 0.99) = 26307 msat");
	/* prompt: 111616 x 0.15 x 0.99 - 1000 x 0.15 = 16424.976 */
	T(reserve(&m, 3000, 0) == 26307 - 16424,
	    "cl > mct: 3000 chars (1000 tokens) cut 16424 msat");
	T(reserve(&m, 3002, 0) == 26307 - 16424,
	    "chars / 3 rounds down: 3002 chars are 1000 tokens");
	/* completion: 16384 x 0.6 x 0.99 - 100 x 0.6 = 9672.096 */
	T(reserve(&m, 0, 100) == 26307 - 9672,
	    "cl > mct: max_tokens 100 cuts 9672 msat");
	T(reserve(&m, 3000, 100) == 211,
	    "cl > mct: both discounts leave 211 msat");
	T(reserve(&m, 3000, 16384) == 26307 - 16424,
	    "max_tokens at mct cuts nothing (0.99 x allowance < mct x c)");
	T(reserve(&m, 3000, UINT64_MAX) == 26307 - 16424,
	    "a huge max_tokens cuts nothing and is no error");
	T(reserve(&m, UINT64_MAX, 0) == 26307,
	    "a huge prompt cuts nothing and is no error");
	T(reserve(&m, 400000, 0) == 26307,
	    "a prompt over the allowance cuts nothing");

	/* The request price, once, in the max cost (deviation). */
	m.cm_request = 1000;
	T(reserve(&m, 0, 0) == 27297 && reserve(&m, 3000, 100) == 1201,
	    "request 1 sat: in the max cost, not cut by the discounts");
	m.cm_request = 0;

	/* cl only: cl max(p, c) = 4915.2 */
	m.cm_context_length = 8192;
	m.cm_max_completion = 0;
	T(reserve(&m, 0, 0) == 4866, "cl only: floor(4915.2 x 0.99) = 4866");
	T(reserve(&m, 300, 0) == 4866 - 1201,
	    "cl only: the prompt allowance is cl p (1216.512 - 15)");
	T(reserve(&m, 300, 10) == PRICING_MIN_REQUEST_MSAT,
	    "cl only: both allowances cut more than the max: the minimum");

	/* mct only: (mct p, mct c, mct c) and no prompt allowance */
	m.cm_context_length = 0;
	m.cm_max_completion = 1000;
	T(reserve(&m, 0, 0) == 594, "mct only: floor(600 x 0.99)");
	T(reserve(&m, 30, 0) == 594, "mct only: the prompt cuts nothing");
	T(reserve(&m, 30, 10) == 6, "mct only: max_tokens 10 cuts 588");

	/* cl <= mct: cl max(p, c), no prompt allowance */
	m.cm_context_length = 1000;
	m.cm_max_completion = 1000;
	T(reserve(&m, 30, 0) == 594 && reserve(&m, 30, 10) == 6,
	    "cl = mct: cl max(p, c), no prompt discount");

	/* Neither: 1M p + 32k c = 150000 + 19200 */
	m.cm_context_length = 0;
	m.cm_max_completion = 0;
	T(reserve(&m, 0, 0) == 167508, "fallback: floor(169200 x 0.99)");
	T(reserve(&m, 30, 0) == 167508 - 148498,
	    "fallback: the prompt allowance is 1M p");
	T(reserve(&m, 30, 1000) == 602,
	    "fallback: the completion allowance is 32k c");

	/* Markup applies to the max cost and the discounts alike. */
	m.cm_context_length = 128000;
	m.cm_max_completion = 16384;
	m.cm_markup = 1000;	/* 10%: 29230.08 -> 28937.7792 */
	T(reserve(&m, 0, 0) == 28937, "markup 10%%: floor(29230.08 x 0.99)");
	T(reserve(&m, 3000, 100) == 28937 - 18067 - 10639,
	    "markup 10%%: both discounts (18067.4736, 10639.3056)");
	m.cm_markup = 0;

	/* The minimum. */
	m = model(0, 0, 0);
	T(reserve(&m, 0, 0) == PRICING_MIN_REQUEST_MSAT,
	    "free model: the minimum, 1 msat");
	m = model(0, 1, 1);
	m.cm_context_length = 1000;
	T(reserve(&m, 0, 0) == PRICING_MIN_REQUEST_MSAT,
	    "0.001 msat max cost: the minimum");

	/* USD: $3 / $15, cl 200000, mct 8192, at $100,000. */
	m = model(1, 3000000, 15000000);
	m.cm_context_length = 200000;
	m.cm_max_completion = 8192;
	price_set(10000000, price_now());
	/* 191808 x 3 + 8192 x 15 msat = 575424 + 122880 = 698304 */
	T(reserve(&m, 0, 0) == 691320, "usd: floor(698304 x 0.99)");
	T(reserve(&m, 3, 1) == 691320 - 569666 - 121636,
	    "usd: one prompt token, max_tokens 1");
}

/* The cost contract: usage.cost and the whole CostData. */
static void
test_json(void)
{
	struct ipc_conf_model	 m = model(0, 150000, 600000);
	struct usage		 u;
	struct cost		 c;
	struct cost_headers	 ch;
	json_t			*j;
	char			*s;

	no_rate();
	u = use(10000, 2000, 300, 40);
	T(pricing_cost(&m, &u, &c) == 0 && c.co_total_msats == 2751,
	    "json: a cost of 1500 + 1200 + 45 + 6 msat");
	j = pricing_cost_json(&c, 0);
	s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	T(s != NULL && strcmp(s, "{\"base_msats\":0,\"input_msats\":1551,"
	    "\"output_msats\":1200,\"total_msats\":2751,"
	    "\"cache_read_input_tokens\":300,"
	    "\"cache_creation_input_tokens\":40,\"cache_read_msats\":45,"
	    "\"cache_creation_msats\":6}") == 0,
	    "usage.cost: Routstr Core's fields and order, no total_usd "
	    "without a rate");
	free(s);
	json_decref(j);
	T(pricing_cost_sats(&c) == 2, "cost_sats: 2751 msat is 2 sats, down");
	pricing_cost_headers(&c, &ch);
	T(strcmp(ch.ch_msats, "2751") == 0 &&
	    strcmp(ch.ch_input_msats, "1551") == 0 &&
	    strcmp(ch.ch_output_msats, "1200") == 0 && ch.ch_usd[0] == '\0',
	    "headers: msats, and no X-Routstr-Cost-Usd without a rate");

	j = pricing_cost_json(&c, 1);
	s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	T(s != NULL && strcmp(s, "{\"base_msats\":0,\"input_msats\":1551,"
	    "\"output_msats\":1200,\"total_msats\":2751,\"total_usd\":0.0,"
	    "\"input_tokens\":10000,\"output_tokens\":2000,"
	    "\"cache_read_input_tokens\":300,"
	    "\"cache_creation_input_tokens\":40,\"cache_read_msats\":45,"
	    "\"cache_creation_msats\":6}") == 0,
	    "CostData: every field, total_usd 0.0 without a rate");
	free(s);
	json_decref(j);

	price_set(10000000, price_now());
	T(pricing_cost(&m, &u, &c) == 0 && c.co_total_nusd == 2751000,
	    "json: 2751 msat at $100,000 is $0.002751");
	j = pricing_cost_json(&c, 0);
	T(json_real_value(json_object_get(j, "total_usd")) == 0.002751,
	    "usage.cost: total_usd with a rate");
	json_decref(j);
	pricing_cost_headers(&c, &ch);
	T(strcmp(ch.ch_usd, "0.002751") == 0, "headers: X-Routstr-Cost-Usd");

	c.co_total_msats = UINT64_MAX;
	j = pricing_cost_json(&c, 0);
	T(json_integer_value(json_object_get(j, "total_msats")) == INT64_MAX,
	    "json: an amount past json_int_t is clamped, not negative");
	json_decref(j);
}

/*
 * The text is what jansson would write of the same tree: read back and
 * written again by jansson, it comes out the same, for amounts and
 * dollar figures of every size.
 */
static void
test_text(void)
{
	static const uint64_t	 nusd[] = { 1, 9, 10, 123, 1000, 2751000,
	    100000000, 999999999, 1000000000, 1234567890123ULL,
	    100000000000000000ULL, UINT64_MAX };
	struct cost		 c;
	json_t			*j;
	char			 t[PRICING_COST_TEXT], *s;
	size_t			 i, n, bad = 0, tried = 0;
	int			 full;

	for (i = 0; i < 2000; i++) {
		memset(&c, 0, sizeof(c));
		c.co_base_msats = arc4random() % 3 == 0 ? UINT64_MAX :
		    (uint64_t)arc4random() << (arc4random() % 33);
		c.co_input_msats = arc4random();
		c.co_output_msats = (uint64_t)arc4random() * arc4random();
		c.co_total_msats = i;
		c.co_cache_read_msats = INT64_MAX;
		c.co_cache_creation_msats = (uint64_t)INT64_MAX + 1;
		c.co_usage.us_prompt = arc4random();
		c.co_usage.us_completion = i * 7;
		c.co_usage.us_cache_read = arc4random() % 2;
		c.co_usage.us_cache_write = UINT64_MAX - i;
		c.co_have_usd = i % 4 != 0;
		c.co_total_nusd = i < 24 ? nusd[i % 12] :
		    (uint64_t)arc4random() << (arc4random() % 31);
		for (full = 0; full <= 1; full++) {
			tried++;
			n = pricing_cost_text(&c, full, t);
			j = json_loadb(t, n, 0, NULL);
			s = j == NULL ? NULL : json_dumps(j,
			    JSON_COMPACT | JSON_PRESERVE_ORDER);
			if (s == NULL || strlen(t) != n || strcmp(s, t) != 0) {
				if (bad++ == 0)
					printf("# %s\n# %s\n", t,
					    s != NULL ? s : "(unreadable)");
			}
			free(s);
			json_decref(j);
		}
	}
	T(bad == 0 && tried == 4000, "cost text: as jansson writes it, "
	    "4000 costs");
	memset(&c, 0, sizeof(c));
	c.co_have_usd = 1;
	c.co_total_nusd = 12;
	n = pricing_cost_text(&c, 0, t);
	T(strstr(t, ",\"total_usd\":1.2e-8}") != NULL,
	    "cost text: a small dollar figure, the exponent as jansson's");
	c.co_total_nusd = 0;
	(void)pricing_cost_text(&c, 1, t);
	T(strstr(t, "\"total_usd\":0.0,") != NULL,
	    "cost text: 0 dollars is 0.0, a real");
}

/* Find model id in the parsed /v1/models. */
static json_t *
find(json_t *root, const char *id)
{
	json_t	*m;
	size_t	 i;

	json_array_foreach(json_object_get(root, "data"), i, m)
		if (strcmp(json_string_value(json_object_get(m, "id")), id) ==
		    0)
			return (m);
	return (NULL);
}

static void
add_model(struct ipc_conf_model m, const char *id, const char *as)
{
	struct proxy_model	*pm;

	if ((pm = calloc(1, sizeof(*pm))) == NULL)
		fatal(NULL);
	pm->pm_conf = m;
	(void)strlcpy(pm->pm_conf.cm_id, id, sizeof(pm->pm_conf.cm_id));
	(void)strlcpy(pm->pm_conf.cm_upstream_id, as,
	    sizeof(pm->pm_conf.cm_upstream_id));
	TAILQ_INSERT_TAIL(&proxy_env->pe_models, pm, pm_entry);
}

static double
num(json_t *m, const char *obj, const char *field)
{
	return (json_number_value(json_object_get(json_object_get(m, obj),
	    field)));
}

/* tokens x the price shown, in msat, rounded up as pricing_cost does */
static int
shown_matches(json_t *jm, const struct ipc_conf_model *m, uint64_t pt,
    uint64_t ct)
{
	double		 want;
	uint64_t	 got;

	want = (pt * num(jm, "sats_pricing", "prompt") +
	    ct * num(jm, "sats_pricing", "completion")) * 1000 +
	    CEIL(num(jm, "sats_pricing", "request") * 1000);
	got = total(m, use(pt, ct, 0, 0));
	/* the only difference: the rounding up to whole msat */
	return (got != UINT64_MAX && (double)got >= want - 1e-6 * want &&
	    (double)got < want + 1 + 1e-6 * want);
}

static void
test_models(void)
{
	struct ipc_conf_model	 s = model(0, 150000, 600000);
	struct ipc_conf_model	 d = model(1, 3000000, 15000000);
	const struct proxy_model *pm;
	json_t			*root, *jm, *jd;
	json_error_t		 jerr;
	const char		*body;
	uint64_t		 gen, msat;

	if ((proxy_env = calloc(1, sizeof(*proxy_env))) == NULL)
		fatal(NULL);
	TAILQ_INIT(&proxy_env->pe_models);
	s.cm_context_length = 128000;
	s.cm_max_completion = 16384;
	s.cm_markup = 150;
	s.cm_request = 1000;
	add_model(s, "sat-model", "sat-model");
	d.cm_context_length = 200000;
	d.cm_cache_read = 300000;
	d.cm_cache_write = 3750000;
	add_model(d, "usd-model", "claude-3-5-sonnet-20241022");
	add_model(s, "sat-model", "elsewhere");	/* a second upstream */

	no_rate();
	body = models_json();
	root = json_loads(body, 0, &jerr);
	T(root != NULL && json_object_size(root) == 1 &&
	    json_array_size(json_object_get(root, "data")) == 2,
	    "/v1/models: {\"data\": [...]}, one entry per id");
	jm = find(root, "sat-model");
	jd = find(root, "usd-model");
	T(jm != NULL && jd != NULL, "/v1/models: both models");
	T(json_is_object(json_object_get(jm, "sats_pricing")) &&
	    num(jm, "pricing", "prompt") == 0 &&
	    num(jm, "pricing", "max_cost") == 0,
	    "no rate: a sat model has sats, its USD prices are 0");
	T(json_is_null(json_object_get(jd, "sats_pricing")) &&
	    num(jd, "pricing", "prompt") == 0.000003 &&
	    num(jd, "pricing", "completion") == 0.000015,
	    "no rate: a USD model has USD prices, sats_pricing null");
	T(strcmp(json_string_value(json_object_get(jd, "forwarded_model_id")),
	    "claude-3-5-sonnet-20241022") == 0 &&
	    json_is_null(json_object_get(jm, "forwarded_model_id")),
	    "forwarded_model_id: the upstream id when it differs");
	T(json_integer_value(json_object_get(jm, "context_length")) ==
	    128000 && json_integer_value(json_object_get(json_object_get(jm,
	    "top_provider"), "max_completion_tokens")) == 16384 &&
	    json_is_null(json_object_get(json_object_get(jd, "top_provider"),
	    "max_completion_tokens")) &&
	    json_is_false(json_object_get(json_object_get(jd, "top_provider"),
	    "is_moderated")), "context_length and top_provider");
	T(num(jm, "sats_pricing", "prompt") == 0.00015225 &&
	    num(jm, "sats_pricing", "completion") == 0.000609 &&
	    num(jm, "sats_pricing", "request") == 1.015 &&
	    num(jm, "sats_pricing", "input_cache_read") == 0.00015225,
	    "sats_pricing: sats per token, markup included");
	/* (128000 - 16384) x 0.15225 + 16384 x 0.609 + 1015 msat */
	T(FABS(num(jm, "sats_pricing", "max_cost") - 27.986392) < 1e-9 &&
	    FABS(num(jm, "sats_pricing", "max_prompt_cost") - 19.488) <
	    1e-9 && FABS(num(jm, "sats_pricing", "max_completion_cost") -
	    9.977856) < 1e-9, "sats_pricing: max costs in sats");
	json_decref(root);

	/* A rate: everything in both units; rebuilt without asking. */
	gen = price_generation();
	price_set(CENTS, price_now());
	T(price_generation() != gen, "a new rate bumps the generation");
	body = models_json();
	root = json_loads(body, 0, &jerr);
	jm = find(root, "sat-model");
	jd = find(root, "usd-model");
	T(json_is_object(json_object_get(jd, "sats_pricing")),
	    "with a rate: the USD model's sats_pricing");
	T(FABS(num(jd, "sats_pricing", "prompt") - 3e-6 / 97000.10 * 1e8) <
	    1e-15 && FABS(num(jd, "sats_pricing", "input_cache_read") -
	    0.3e-6 / 97000.10 * 1e8) < 1e-15 &&
	    FABS(num(jd, "sats_pricing", "input_cache_write") -
	    3.75e-6 / 97000.10 * 1e8) < 1e-15,
	    "usd model: sats per token at $97,000.10, cache prices too");
	T(FABS(num(jm, "pricing", "prompt") - 0.00015225e-8 * 97000.10) <
	    1e-18, "sat model: USD per token at $97,000.10");
	T(shown_matches(jd, &d, 1234567, 89012) &&
	    shown_matches(jd, &d, 1, 0) && shown_matches(jd, &d, 0, 1) &&
	    shown_matches(jd, &d, 200000, 0),
	    "usd model: pricing_cost = tokens x sats_pricing, rounded up");
	T(shown_matches(jm, &s, 1234567, 89012) &&
	    shown_matches(jm, &s, 1, 0) && shown_matches(jm, &s, 7, 3),
	    "sat model: pricing_cost = tokens x sats_pricing + request");
	/* The SDK's deposit: max_cost x 1000 x 0.99, as the node reserves. */
	pm = models_find("sat-model");
	T(pm != NULL && pricing_max_cost(&pm->pm_conf,
	    &(struct request_shape){ 0, 0, 0 }, &msat) == 0 &&
	    msat == (uint64_t)FLOOR(num(jm, "sats_pricing", "max_cost") *
	    1000 * 0.99), "sats_pricing.max_cost is what is reserved");
	pm = models_find("usd-model");
	T(pm != NULL && pricing_max_cost(&pm->pm_conf,
	    &(struct request_shape){ 0, 0, 0 }, &msat) == 0 &&
	    msat == (uint64_t)FLOOR(num(jd, "sats_pricing", "max_cost") *
	    1000 * 0.99), "usd model: the same");
	T(models_find("nope") == NULL, "models_find: unknown id");
	json_decref(root);

	/* Stale: the USD model loses its sats_pricing by itself. */
	price_set(CENTS, price_now() - MAX_AGE - 1);
	root = json_loads(models_json(), 0, &jerr);
	T(json_is_null(json_object_get(find(root, "usd-model"),
	    "sats_pricing")) && json_is_object(json_object_get(find(root,
	    "sat-model"), "sats_pricing")) && num(find(root, "sat-model"),
	    "pricing", "prompt") > 0,
	    "stale rate: USD model's sats_pricing null, sat model's USD kept");
	json_decref(root);
	price_set(CENTS, price_now());
	root = json_loads(models_json(), 0, &jerr);
	T(json_is_object(json_object_get(find(root, "usd-model"),
	    "sats_pricing")), "fresh again: sats_pricing back");
	json_decref(root);
}

int
main(void)
{
	log_init(1, LOG_DAEMON);
	event_init();
	memset(&cp, 0, sizeof(cp));
	cp.cp_price_refresh = 120;
	cp.cp_price_max_age = MAX_AGE;

	test_sats();
	test_markup_request_cache();
	test_usd();
	test_overflow();
	test_max_cost();
	test_json();
	test_text();
	test_models();
	return (test_done());
}
