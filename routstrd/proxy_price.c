/*
 * The BTC/USD rate, for the models priced in USD: every "price refresh"
 * seconds (plus up to 10% of jitter, as Routstr Core) ask every source
 * at once over curlev, and take the lowest of the answers that make
 * sense.  A lower BTC price means more sats per dollar: the node does
 * not sell below its USD prices when the sources disagree.  A rate older
 * than "price max age" is not used to accept new requests.
 *
 * Each proxy instance asks on its own: the sources see a few requests
 * a minute more, and no instance depends on another; their rates may
 * differ for one refresh at most.  A round ends when every source has
 * answered or timed out, and the next one starts a refresh later, so
 * rounds never overlap.  Failures are logged when a source starts
 * failing and then once an hour, not on every round.
 */

#include <sys/types.h>

#include <ctype.h>
#include <event.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "curlev.h"
#include "ipc.h"
#include "log.h"
#include "pricing.h"

#define PRICE_TIMEOUT_MS	10000	/* a source, at most */
#define PRICE_REPLY_MAX		(64 * 1024)
#define PRICE_LOG_INTERVAL	3600	/* s between repeated warnings */
#define PRICE_DIGITS_MAX	12	/* dollars */

struct source {
	int			 s_id;		/* PRICE_* */
	char			 s_url[IPC_URL_MAX];
	struct curlev_req	*s_req;
	uint64_t		 s_cents;	/* this round's answer, or 0 */
	int			 s_failing;
	time_t			 s_logged;	/* its last warning */
};

static const char *const source_names[PRICE_SOURCES] = PRICE_SOURCE_NAMES;

static struct {
	struct source		 sources[PRICE_SOURCES];
	int			 nsources;
	uint32_t		 refresh;	/* seconds */
	uint32_t		 max_age;	/* seconds */
	struct event		 timer;
	int			 timer_set;
	int			 pending;	/* requests of the round */
	uint64_t		 cents;	/* the rate, 0: none yet */
	time_t			 when;	/* price_now() it came */
	uint64_t		 generation;
	int			 warned_none; /* a round without answers */
	int			 warned_stale;
} pr;

static void	 price_round(int, short, void *);
static void	 price_done(struct curlev_req *,
		    const struct curlev_result *, void *);
static void	 price_round_end(void);
static void	 price_schedule(void);
static void	 source_failed(struct source *, const char *);
static int	 parse_dollars(const char *, uint64_t *);
static const char *json_str(json_t *, const char *);

time_t
price_now(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		fatal("clock_gettime");
	return (ts.tv_sec);
}

void
price_init(const struct ipc_conf_proxy *cp, int fetch)
{
	struct timeval	 now = { 0, 0 };
	struct source	*s;
	int		 i;

	price_shutdown();
	memset(&pr, 0, sizeof(pr));
	pr.refresh = cp->cp_price_refresh;
	pr.max_age = cp->cp_price_max_age;
	for (i = 0; i < PRICE_SOURCES; i++) {
		if (cp->cp_price_url[i][0] == '\0')
			continue;
		s = &pr.sources[pr.nsources++];
		s->s_id = i;
		(void)strlcpy(s->s_url, cp->cp_price_url[i], sizeof(s->s_url));
	}
	evtimer_set(&pr.timer, price_round, NULL);
	if (fetch && pr.nsources > 0) {
		evtimer_add(&pr.timer, &now);
		pr.timer_set = 1;
	}
}

void
price_shutdown(void)
{
	int	 i;

	if (pr.timer_set)
		evtimer_del(&pr.timer);
	pr.timer_set = 0;
	for (i = 0; i < pr.nsources; i++)
		if (pr.sources[i].s_req != NULL) {
			curlev_cancel(pr.sources[i].s_req);
			pr.sources[i].s_req = NULL;
		}
	pr.pending = 0;
}

int
price_latest(uint64_t *cents, time_t *age)
{
	if (pr.cents == 0)
		return (-1);
	*cents = pr.cents;
	*age = price_now() - pr.when;
	return (0);
}

int
price_fresh(uint64_t *cents)
{
	time_t	 age;

	if (price_latest(cents, &age) == -1 || age > (time_t)pr.max_age)
		return (-1);
	return (0);
}

void
price_set(uint64_t cents, time_t when)
{
	pr.cents = cents;
	pr.when = when;
	pr.generation++;
}

uint64_t
price_generation(void)
{
	return (pr.generation);
}

/* Ask every source at once; the round ends with the last answer. */
static void
price_round(int fd, short event, void *arg)
{
	struct curlev_params	 p;
	struct source		*s;
	const char		*hdrs[] = {
		"Accept: application/json", NULL
	};
	uint32_t		 ms;
	int			 i;

	pr.timer_set = 0;
	/* A round takes no longer than the refresh it is part of. */
	ms = pr.refresh >= PRICE_TIMEOUT_MS / 1000 ? PRICE_TIMEOUT_MS :
	    pr.refresh * 1000;
	for (i = 0; i < pr.nsources; i++) {
		s = &pr.sources[i];
		s->s_cents = 0;
		memset(&p, 0, sizeof(p));
		p.p_url = s->s_url;
		p.p_headers = hdrs;
		p.p_connect_ms = ms;
		p.p_timeout_ms = ms;
		p.p_maxresponse = PRICE_REPLY_MAX;
		p.p_on_done = price_done;
		p.p_arg = s;
		if ((s->s_req = curlev_start(&p)) == NULL)
			source_failed(s, "cannot make the request");
		else
			pr.pending++;
	}
	if (pr.pending == 0)
		price_round_end();
}

static void
price_done(struct curlev_req *req, const struct curlev_result *res,
    void *arg)
{
	struct source	*s = arg;
	char		 why[64];

	s->s_req = NULL;
	if (res->r_error != CURLEV_OK)
		source_failed(s, res->r_errstr);
	else if (res->r_status != 200) {
		(void)snprintf(why, sizeof(why), "HTTP status %ld",
		    res->r_status);
		source_failed(s, why);
	} else if (price_parse(s->s_id, res->r_body, res->r_bodylen,
	    &s->s_cents) == -1)
		source_failed(s, "no BTC/USD price in its answer");
	else if (s->s_failing) {
		log_info("price source %s answers again",
		    source_names[s->s_id]);
		s->s_failing = 0;
	}
	if (--pr.pending == 0)
		price_round_end();
}

static void
source_failed(struct source *s, const char *why)
{
	time_t	 now = price_now();

	s->s_cents = 0;
	if (!s->s_failing || now - s->s_logged >= PRICE_LOG_INTERVAL) {
		log_warnx("price source %s: %s%s", source_names[s->s_id], why,
		    s->s_failing ? " (still)" : "");
		s->s_logged = now;
	}
	s->s_failing = 1;
}

/* The lowest sane answer of the round becomes the rate. */
static void
price_round_end(void)
{
	uint64_t	 low = 0;
	time_t		 age;
	int		 i, n = 0;

	for (i = 0; i < pr.nsources; i++) {
		if (pr.sources[i].s_cents == 0)
			continue;
		n++;
		if (low == 0 || pr.sources[i].s_cents < low)
			low = pr.sources[i].s_cents;
	}
	if (n > 0) {
		if (pr.warned_none || pr.warned_stale)
			log_info("BTC/USD rate known again");
		pr.warned_none = pr.warned_stale = 0;
		price_set(low, price_now());
		log_debug("BTC/USD %llu.%02llu, the lowest of %d source%s",
		    (unsigned long long)(low / 100),
		    (unsigned long long)(low % 100), n, n == 1 ? "" : "s");
	} else if (!pr.warned_none) {
		log_warnx("BTC/USD: no price source answered%s",
		    pr.cents != 0 ? ", keeping the last rate for now" : "");
		pr.warned_none = 1;
	}
	if (price_latest(&low, &age) == 0 && age > (time_t)pr.max_age &&
	    !pr.warned_stale) {
		log_warnx("BTC/USD rate older than %u s: models priced in USD "
		    "are refused until a source answers", pr.max_age);
		pr.warned_stale = 1;
	}
	price_schedule();
}

static void
price_schedule(void)
{
	struct timeval	 tv;
	uint64_t	 ms;

	ms = (uint64_t)pr.refresh * 1000 +
	    arc4random_uniform(pr.refresh * 100 + 1);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(&pr.timer, &tv);
	pr.timer_set = 1;
}

static const char *
json_str(json_t *j, const char *key)
{
	return (json_string_value(json_object_get(j, key)));
}

/*
 * The answers, as the exchanges give them (Routstr Core's price.py):
 *	kraken	{"error":[],"result":{"XXBTZUSD":{"c":["97000.10",..]}}}
 *	coinbase {"data":{"amount":"97000.12","base":"BTC","currency":"USD"}}
 *	binance	{"symbol":"BTCUSDT","price":"97000.12000000"}
 * Prices are decimal strings; anything else is not an answer.
 */
int
price_parse(int source, const char *body, size_t len, uint64_t *cents)
{
	json_error_t	 jerr;
	json_t		*j, *o, *err;
	const char	*v = NULL, *key;
	int		 rv = -1;

	if (body == NULL ||
	    (j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL)
		return (-1);
	switch (source) {
	case PRICE_KRAKEN:
		err = json_object_get(j, "error");
		if (err != NULL && (!json_is_array(err) ||
		    json_array_size(err) != 0))
			break;
		o = json_object_get(j, "result");
		if (json_object_size(o) == 1) {
			/* the one pair asked for, whatever Kraken calls it */
			key = json_object_iter_key(json_object_iter(o));
			o = json_object_get(o, key);
		} else
			o = json_object_get(o, "XXBTZUSD");
		v = json_string_value(json_array_get(
		    json_object_get(o, "c"), 0));
		break;
	case PRICE_COINBASE:
		o = json_object_get(j, "data");
		if ((json_str(o, "currency") != NULL &&
		    strcmp(json_str(o, "currency"), "USD") != 0) ||
		    (json_str(o, "base") != NULL &&
		    strcmp(json_str(o, "base"), "BTC") != 0))
			break;
		v = json_str(o, "amount");
		break;
	case PRICE_BINANCE:
		if (json_str(j, "symbol") != NULL &&
		    strcmp(json_str(j, "symbol"), "BTCUSDT") != 0)
			break;
		v = json_str(j, "price");
		break;
	}
	if (v != NULL && parse_dollars(v, cents) == 0 &&
	    *cents >= PRICE_CENTS_MIN && *cents <= PRICE_CENTS_MAX)
		rv = 0;
	json_decref(j);
	return (rv);
}

/* "97000.123" as 9700012 cents: digits beyond the cents are dropped. */
static int
parse_dollars(const char *s, uint64_t *cents)
{
	uint64_t	 v = 0;
	int		 n, decimals = 0;

	for (n = 0; isdigit((unsigned char)*s); s++, n++) {
		if (n == PRICE_DIGITS_MAX)
			return (-1);
		v = v * 10 + (*s - '0');
	}
	if (n == 0)
		return (-1);
	if (*s == '.') {
		if (!isdigit((unsigned char)*++s))
			return (-1);
		for (; isdigit((unsigned char)*s); s++)
			if (decimals < 2) {
				v = v * 10 + (*s - '0');
				decimals++;
			}
	}
	if (*s != '\0')
		return (-1);
	for (; decimals < 2; decimals++)
		v *= 10;
	*cents = v;
	return (0);
}
