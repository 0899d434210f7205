/*
 * What requests cost, in exact integer arithmetic.
 *
 * Every amount starts as S, a number of tokens times a price per
 * million tokens (the request price counts as a million tokens), in
 * the model's unit: msat for sat prices, micro-USD for USD prices.  It
 * becomes msat, sats or USD as S * num / den with
 *
 *	sat prices:	msat = S * K / 10^10
 *	USD prices:	msat = S * K / (10^3 * cents)
 *
 * where K = 10000 + markup (hundredths of a percent) and cents is the
 * BTC/USD rate in USD cents per BTC: 10^6 tokens per million, 10^4 for
 * the markup, and a micro-USD is 10^11 msat / (cents * 10^4) at that
 * rate.  One rounding at the end of each figure, never in between.
 *
 * Routstr Core does the same in floating point (payment/helpers.py,
 * payment/models.py, payment/cost_calculation.py); where this differs
 * from it, the comment says so.
 */

#include <sys/types.h>

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "ipc.h"
#include "log.h"
#include "money.h"
#include "pricing.h"
#include "proxy.h"

typedef unsigned __int128 u128;

#define MARKUP_ONE	10000ULL	/* 100% in hundredths of a percent */
#define PER_MTOK	1000000ULL
#define PCT		100ULL

#define UNIT_MSAT	0
#define UNIT_USD	1

/* A model's worst case, as S amounts (see above). */
struct worst {
	u128	 w_prompt;	/* max_prompt_cost */
	u128	 w_completion;	/* max_completion_cost */
	u128	 w_cost;	/* max_cost */
	u128	 w_allowance;	/* what the prompt estimate cuts */
};

static int	 mul(u128 *, u128, u128);
static int	 add(u128 *, u128, u128);
static int	 conv(const struct ipc_conf_model *, int, uint64_t, u128 *,
		    u128 *);
static int	 rate_for(const struct ipc_conf_model *, int, int,
		    uint64_t *);
static int	 to_u64(uint64_t *, u128, u128, u128, int);
static int	 worst(const struct ipc_conf_model *, struct worst *);
static int	 figure(double *, u128, u128, u128);
static void	 put_int(char **, const char *, uint64_t, int);
static void	 put_real(char **, const char *, double);

static int
mul(u128 *r, u128 a, u128 b)
{
	return (__builtin_mul_overflow(a, b, r) ? -1 : 0);
}

static int
add(u128 *r, u128 a, u128 b)
{
	return (__builtin_add_overflow(a, b, r) ? -1 : 0);
}

/* num / den taking S of this model to msat or to USD at cents. */
static int
conv(const struct ipc_conf_model *m, int unit, uint64_t cents, u128 *num,
    u128 *den)
{
	u128	 k = MARKUP_ONE + m->cm_markup;

	if (m->cm_markup > MARKUP_MAX)
		return (-1);
	if (unit == UNIT_MSAT) {
		*num = k;
		*den = m->cm_usd ? (u128)1000 * cents : (u128)10000000000ULL;
	} else if (m->cm_usd) {
		*num = k;
		*den = (u128)10000000000000000ULL;	/* 10^16 */
	} else {
		*num = k * cents;
		/* msat to USD: 10^10, then 10^13 msat per USD cent/BTC */
		*den = (u128)10000000000ULL * 10000000000000ULL;
	}
	return (*den == 0 ? -1 : 0);
}

/* The rate a conversion needs, 0 if it needs none: 0, or -1. */
static int
rate_for(const struct ipc_conf_model *m, int unit, int fresh,
    uint64_t *cents)
{
	time_t	 age;

	*cents = 0;
	if ((unit == UNIT_MSAT) == !m->cm_usd)
		return (0);
	if (fresh)
		return (price_fresh(cents));
	return (price_latest(cents, &age));
}

/* *res = s * num / den, rounded up or down, if it fits 64 bits. */
static int
to_u64(uint64_t *res, u128 s, u128 num, u128 den, int up)
{
	u128	 p, q;

	if (mul(&p, s, num) == -1)
		return (-1);
	q = p / den;
	if (up && p % den != 0)
		q++;
	if (q > UINT64_MAX)
		return (-1);
	*res = (uint64_t)q;
	return (0);
}

/*
 * Routstr Core's _calculate_usd_max_costs, with cl the context length
 * and mct the largest completion:
 *	cl and mct, cl > mct:	(cl p, mct c, (cl - mct) p + mct c)
 *	cl and mct, cl <= mct:	(cl p, cl c, cl max(p, c))
 *	cl only:		(cl p, cl c, cl max(p, c))
 *	mct only:		(mct p, mct c, mct c)
 *	neither:		(1M p, 32k c, 1M p + 32k c)
 * and calculate_discounted_max_cost's prompt allowance: (cl - mct) p,
 * cl p, 0 and 1M p.  Deviation: max_cost holds the request price once,
 * since we charge it (Routstr Core charges none, yet adds 100k request
 * prices to its fallback).
 */
static int
worst(const struct ipc_conf_model *m, struct worst *w)
{
	u128	 p = m->cm_prompt, c = m->cm_completion;
	u128	 cl = m->cm_context_length, mct = m->cm_max_completion;
	u128	 a, b, req;

	memset(w, 0, sizeof(*w));
	if (cl != 0 && mct != 0 && cl > mct) {
		if (mul(&w->w_prompt, cl, p) == -1 ||
		    mul(&w->w_completion, mct, c) == -1 ||
		    mul(&w->w_allowance, cl - mct, p) == -1)
			return (-1);
		w->w_cost = w->w_allowance;
		if (add(&w->w_cost, w->w_cost, w->w_completion) == -1)
			return (-1);
	} else if (cl != 0) {
		if (mul(&w->w_prompt, cl, p) == -1 ||
		    mul(&w->w_completion, cl, c) == -1 ||
		    mul(&w->w_cost, cl, p > c ? p : c) == -1)
			return (-1);
		/* cl <= mct leaves no room for a prompt: no discount. */
		w->w_allowance = mct != 0 ? 0 : w->w_prompt;
	} else if (mct != 0) {
		if (mul(&w->w_prompt, mct, p) == -1 ||
		    mul(&w->w_completion, mct, c) == -1)
			return (-1);
		w->w_cost = w->w_completion;
		w->w_allowance = 0;
	} else {
		if (mul(&a, PRICING_FALLBACK_PROMPT, p) == -1 ||
		    mul(&b, PRICING_FALLBACK_COMPLETION, c) == -1 ||
		    add(&w->w_cost, a, b) == -1)
			return (-1);
		w->w_prompt = w->w_allowance = a;
		w->w_completion = b;
	}
	if (mul(&req, m->cm_request, PER_MTOK) == -1 ||
	    add(&w->w_cost, w->w_cost, req) == -1)
		return (-1);
	return (0);
}

int
pricing_available(const struct ipc_conf_model *m, const char **why)
{
	uint64_t	 cents;
	time_t		 age;

	if (!m->cm_usd || price_fresh(&cents) == 0)
		return (1);
	if (why != NULL)
		*why = price_latest(&cents, &age) == -1 ?
		    "Pricing unavailable: the node has no BTC/USD exchange "
		    "rate yet to price this model in sats" :
		    "Pricing unavailable: the node's BTC/USD exchange rate is "
		    "out of date, so this model cannot be priced in sats";
	return (0);
}

/*
 * Routstr Core's get_max_cost_for_model and calculate_discounted_max_cost:
 *	reserve = floor(max_cost * (1 - 1%))
 *	    - floor(prompt allowance * (1 - 1%) - tokens * p)	if > 0
 *	    - floor(max_completion_cost * (1 - 1%) - max_tokens * c) if > 0
 * at least PRICING_MIN_REQUEST_MSAT, where tokens = chars / 3.  A
 * request whose prompt was not counted (no chars) gets no prompt
 * discount, where Routstr Core gives an empty "messages" the whole one.
 */
int
pricing_max_cost(const struct ipc_conf_model *m,
    const struct request_shape *rs, uint64_t *msat)
{
	struct worst	 w;
	u128		 num, den, dpct, a, e, d, base, cut = 0, min;
	uint64_t	 cents;
	const u128	 keep = PCT - PRICING_TOLERANCE_PCT;

	if (!pricing_available(m, NULL) || rate_for(m, UNIT_MSAT, 1,
	    &cents) == -1 || conv(m, UNIT_MSAT, cents, &num, &den) == -1 ||
	    worst(m, &w) == -1 || mul(&dpct, den, PCT) == -1)
		return (-1);

	/* The max cost is at least the minimum before the tolerance too. */
	min = PRICING_MIN_REQUEST_MSAT;
	if (mul(&a, w.w_cost, num) == -1 || mul(&e, min, den) == -1)
		return (-1);
	if (mul(&a, a < e ? e : a, keep) == -1)
		return (-1);
	base = a / dpct;

	/* Unused prompt allowance, in msat * den * 100 until the end. */
	if (rs->rs_prompt_chars > 0 &&
	    mul(&a, w.w_allowance, keep) == 0 &&
	    mul(&e, rs->rs_prompt_chars / 3, m->cm_prompt) == 0 &&
	    mul(&e, e, PCT) == 0 && a > e && mul(&d, a - e, num) == 0)
		cut += d / dpct;
	/* Unused completion allowance; a huge max_tokens cuts nothing. */
	if (rs->rs_max_tokens > 0 &&
	    mul(&a, w.w_completion, keep) == 0 &&
	    mul(&e, rs->rs_max_tokens, m->cm_completion) == 0 &&
	    mul(&e, e, PCT) == 0 && a > e && mul(&d, a - e, num) == 0 &&
	    add(&cut, cut, d / dpct) == -1)
		return (-1);

	base = cut >= base ? 0 : base - cut;
	if (base < min)
		base = min;
	if (base > UINT64_MAX)
		return (-1);
	*msat = (uint64_t)base;
	return (0);
}

/*
 * Each token count at its price, the sum rounded up to whole msat, the
 * request price rounded up on its own.  Routstr Core rounds each part
 * to 0.001 msat before it rounds the sum up, and charges no request
 * price.  As there, the output is rounded down and the input takes the
 * rest, so that input + output is the token cost, and the cache parts
 * are rounded down, shown within the input.
 */
int
pricing_cost(const struct ipc_conf_model *m, const struct usage *us,
    struct cost *co)
{
	struct cost	 c;
	u128		 num, den, in, out, cr, cw, tok, req;
	uint64_t	 cents, tokmsat, lcents;
	time_t		 age;

	memset(&c, 0, sizeof(c));
	if (rate_for(m, UNIT_MSAT, 0, &cents) == -1 ||
	    conv(m, UNIT_MSAT, cents, &num, &den) == -1)
		return (-1);
	if (mul(&in, us->us_prompt, m->cm_prompt) == -1 ||
	    mul(&out, us->us_completion, m->cm_completion) == -1 ||
	    mul(&cr, us->us_cache_read, m->cm_cache_read) == -1 ||
	    mul(&cw, us->us_cache_write, m->cm_cache_write) == -1 ||
	    add(&tok, in, out) == -1 || add(&tok, tok, cr) == -1 ||
	    add(&tok, tok, cw) == -1 ||
	    mul(&req, m->cm_request, PER_MTOK) == -1)
		return (-1);
	if (to_u64(&tokmsat, tok, num, den, 1) == -1 ||
	    to_u64(&c.co_base_msats, req, num, den, 1) == -1 ||
	    to_u64(&c.co_output_msats, out, num, den, 0) == -1 ||
	    to_u64(&c.co_cache_read_msats, cr, num, den, 0) == -1 ||
	    to_u64(&c.co_cache_creation_msats, cw, num, den, 0) == -1 ||
	    money_add(&c.co_total_msats, c.co_base_msats, tokmsat) == -1)
		return (-1);
	c.co_input_msats = tokmsat - c.co_output_msats;

	/* What was charged, in USD at the latest rate, to the nearest. */
	if (price_latest(&lcents, &age) == 0) {
		if (mul(&tok, c.co_total_msats, lcents) == -1 ||
		    (tok + 5000) / 10000 > UINT64_MAX)
			return (-1);
		c.co_total_nusd = (uint64_t)((tok + 5000) / 10000);
		c.co_have_usd = 1;
	}
	c.co_usage = *us;
	*co = c;
	return (0);
}

/* ",\"name\":v" (no comma first) at *p, json_int_t's range as jansson. */
static void
put_int(char **p, const char *name, uint64_t v, int first)
{
	char	 d[24];
	size_t	 n = sizeof(d);

	if (v > INT64_MAX)
		v = INT64_MAX;
	do
		d[--n] = '0' + v % 10;
	while ((v /= 10) != 0);
	if (!first)
		*(*p)++ = ',';
	*(*p)++ = '"';
	memcpy(*p, name, strlen(name));
	*p += strlen(name);
	*(*p)++ = '"';
	*(*p)++ = ':';
	memcpy(*p, d + n, sizeof(d) - n);
	*p += sizeof(d) - n;
}

/*
 * A real as jansson writes it (%.17g, ".0" when it would read as an
 * integer, the exponent without '+' or leading zeros), so that the
 * text and the tree of the same cost say the same.
 */
static void
put_real(char **p, const char *name, double v)
{
	char	 d[40], *e, *z;
	int	 n;

	n = snprintf(d, sizeof(d), "%.17g", v);
	if (n < 0 || (size_t)n >= sizeof(d) - 2)
		fatalx("%s", __func__);
	if (strchr(d, '.') == NULL && strchr(d, 'e') == NULL)
		(void)strlcat(d, ".0", sizeof(d));
	if ((e = strchr(d, 'e')) != NULL) {
		e++;
		if (*e == '-')
			e++;
		for (z = e; *z == '+' || *z == '0'; z++)
			;
		if (*z == '\0')
			z--;
		memmove(e, z, strlen(z) + 1);
	}
	*(*p)++ = ',';
	*(*p)++ = '"';
	memcpy(*p, name, strlen(name));
	*p += strlen(name);
	*(*p)++ = '"';
	*(*p)++ = ':';
	memcpy(*p, d, strlen(d));
	*p += strlen(d);
}

size_t
pricing_cost_text(const struct cost *co, int full,
    char buf[PRICING_COST_TEXT])
{
	const struct usage	*us = &co->co_usage;
	double			 usd = co->co_total_nusd / 1e9;
	char			*p = buf;

	*p++ = '{';
	put_int(&p, "base_msats", co->co_base_msats, 1);
	put_int(&p, "input_msats", co->co_input_msats, 0);
	put_int(&p, "output_msats", co->co_output_msats, 0);
	put_int(&p, "total_msats", co->co_total_msats, 0);
	if (full) {
		put_real(&p, "total_usd", co->co_have_usd ? usd : 0.0);
		put_int(&p, "input_tokens", us->us_prompt, 0);
		put_int(&p, "output_tokens", us->us_completion, 0);
	}
	put_int(&p, "cache_read_input_tokens", us->us_cache_read, 0);
	put_int(&p, "cache_creation_input_tokens", us->us_cache_write, 0);
	put_int(&p, "cache_read_msats", co->co_cache_read_msats, 0);
	put_int(&p, "cache_creation_msats", co->co_cache_creation_msats, 0);
	/* As Routstr Core: total_usd in usage.cost only when not 0. */
	if (!full && co->co_have_usd && co->co_total_nusd != 0)
		put_real(&p, "total_usd", usd);
	*p++ = '}';
	*p = '\0';
	return ((size_t)(p - buf));
}

json_t *
pricing_cost_json(const struct cost *co, int full)
{
	char		 s[PRICING_COST_TEXT];
	json_error_t	 err;
	json_t		*j;
	size_t		 n;

	n = pricing_cost_text(co, full, s);
	if ((j = json_loadb(s, n, 0, &err)) == NULL)
		fatalx("%s: %s", __func__, err.text);
	return (j);
}

uint64_t
pricing_cost_sats(const struct cost *co)
{
	return (money_msat_to_sat_down(co->co_total_msats));
}

void
pricing_cost_headers(const struct cost *co, struct cost_headers *ch)
{
	char	 frac[16];
	size_t	 n;

	(void)snprintf(ch->ch_msats, sizeof(ch->ch_msats), "%llu",
	    (unsigned long long)co->co_total_msats);
	(void)snprintf(ch->ch_input_msats, sizeof(ch->ch_input_msats), "%llu",
	    (unsigned long long)co->co_input_msats);
	(void)snprintf(ch->ch_output_msats, sizeof(ch->ch_output_msats),
	    "%llu", (unsigned long long)co->co_output_msats);
	ch->ch_usd[0] = '\0';
	if (!co->co_have_usd || co->co_total_nusd == 0)
		return;
	/* Exact decimal, trailing zeros dropped: "0.000123". */
	(void)snprintf(frac, sizeof(frac), "%09llu",
	    (unsigned long long)(co->co_total_nusd % 1000000000));
	for (n = strlen(frac); n > 1 && frac[n - 1] == '0'; n--)
		frac[n - 1] = '\0';
	(void)snprintf(ch->ch_usd, sizeof(ch->ch_usd), "%llu.%s",
	    (unsigned long long)(co->co_total_nusd / 1000000000), frac);
}

/* s * num / den as a double, for display only. */
static int
figure(double *res, u128 s, u128 num, u128 den)
{
	u128	 p;

	if (mul(&p, s, num) == -1)
		return (-1);
	*res = (double)((long double)p / (long double)den);
	return (0);
}

/*
 * Routstr Core's Pricing of a model, in sats or USD: the per-token
 * prices, the request price, the cache prices (which it leaves 0 when
 * unknown, to bill them as the prompt; here they are what is billed),
 * and the worst case.  In sats the max cost is at least
 * PRICING_MIN_REQUEST_MSAT; Routstr Core also shows that minimum as the
 * request price of a model that has none, but charges nothing for it,
 * and here the request price is what is charged.
 */
int
pricing_figures(const struct ipc_conf_model *m, int usd, int fresh,
    struct price_figures *pf)
{
	struct worst	 w;
	u128		 num, den;
	uint64_t	 cents;
	int		 unit = usd ? UNIT_USD : UNIT_MSAT;

	memset(pf, 0, sizeof(*pf));
	if (rate_for(m, unit, fresh, &cents) == -1 ||
	    conv(m, unit, cents, &num, &den) == -1 || worst(m, &w) == -1)
		return (-1);
	if (!usd && mul(&den, den, MSAT_PER_SAT) == -1)
		return (-1);
	if (figure(&pf->pf_prompt, m->cm_prompt, num, den) == -1 ||
	    figure(&pf->pf_completion, m->cm_completion, num, den) == -1 ||
	    figure(&pf->pf_request, (u128)m->cm_request * PER_MTOK, num,
	    den) == -1 ||
	    figure(&pf->pf_cache_read, m->cm_cache_read, num, den) == -1 ||
	    figure(&pf->pf_cache_write, m->cm_cache_write, num, den) == -1 ||
	    figure(&pf->pf_max_prompt, w.w_prompt, num, den) == -1 ||
	    figure(&pf->pf_max_completion, w.w_completion, num, den) == -1 ||
	    figure(&pf->pf_max_cost, w.w_cost, num, den) == -1)
		return (-1);
	if (!usd && pf->pf_max_cost < PRICING_MIN_REQUEST_MSAT / 1000.0)
		pf->pf_max_cost = PRICING_MIN_REQUEST_MSAT / 1000.0;
	return (0);
}
