/*
 * test_price: the BTC/USD fetcher against regress/price-mock.py: the
 * answers of each source, sane or not; two sources and three, the lowest
 * wins; one failing, garbage, a slow source cut at the refresh; all
 * failing, the rate going stale after "price max age" and coming back;
 * failures logged once, not every round; one round in a forked child
 * under the PROC_PROXY sandbox.
 */

#include <sys/types.h>
#include <sys/wait.h>

#include <event.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "curlev.h"
#include "ipc.h"
#include "log.h"
#include "mockserver.h"
#include "pricing.h"
#include "sandbox.h"
#include "test.h"

#define REFRESH		1
#define MAX_AGE		3

static struct mockserver mocksrv;
static int		 timed_out;
static struct event	 deadline;

static void
deadline_cb(int fd, short ev, void *arg)
{
	timed_out = 1;
}

static void
run_for(int ms)
{
	struct timeval	 tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	timed_out = 0;
	evtimer_set(&deadline, deadline_cb, NULL);
	evtimer_add(&deadline, &tv);
	while (!timed_out)
		event_loop(EVLOOP_ONCE);
}

static double
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6);
}

/* Until a new rate comes (the generation moves): 0, or -1. */
static int
next_rate(int ms)
{
	struct timeval	 tv;
	uint64_t	 gen = price_generation();

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	timed_out = 0;
	evtimer_set(&deadline, deadline_cb, NULL);
	evtimer_add(&deadline, &tv);
	while (price_generation() == gen && !timed_out)
		event_loop(EVLOOP_ONCE);
	evtimer_del(&deadline);
	return (price_generation() != gen ? 0 : -1);
}

static uint64_t
rate(void)
{
	uint64_t	 cents;
	time_t		 age;

	return (price_latest(&cents, &age) == 0 ? cents : 0);
}

/*
 * The mock.
 */

/* POST /mock/knobs */
static int
knobs(const char *json)
{
	char	*r;
	int	 status;

	if ((r = mockserver_http(mocksrv.ms_port, "POST", "/mock/knobs", json,
	    &status)) == NULL)
		return (-1);
	free(r);
	return (status == 200 ? 0 : -1);
}

/* A configuration with the sources whose bits are in mask. */
static void
conf(struct ipc_conf_proxy *cp, int mask)
{
	static const char *const paths[PRICE_SOURCES] = {
		"/0/public/Ticker?pair=XBTUSD",
		"/v2/prices/BTC-USD/spot",
		"/api/v3/ticker/price?symbol=BTCUSDT"
	};
	int	 i;

	memset(cp, 0, sizeof(*cp));
	cp->cp_price_refresh = REFRESH;
	cp->cp_price_max_age = MAX_AGE;
	for (i = 0; i < PRICE_SOURCES; i++)
		if (mask & (1 << i))
			(void)snprintf(cp->cp_price_url[i],
			    sizeof(cp->cp_price_url[i]),
			    "http://127.0.0.1:%d%s", mocksrv.ms_port,
			    paths[i]);
}

/*
 * The answers, without the network.
 */

static int
parses(int source, const char *body, uint64_t want)
{
	uint64_t	 cents = 0;

	if (price_parse(source, body, strlen(body), &cents) == -1)
		return (want == 0);
	return (cents == want);
}

static void
test_parse(void)
{
	T(parses(PRICE_KRAKEN, "{\"error\":[],\"result\":{\"XXBTZUSD\":"
	    "{\"a\":[\"1\"],\"c\":[\"97000.10000\",\"0.00100000\"]}}}",
	    9700010), "kraken: result.XXBTZUSD.c[0]");
	T(parses(PRICE_KRAKEN, "{\"error\":[],\"result\":{\"XBTUSD\":"
	    "{\"c\":[\"97000.1\",\"1\"]}}}", 9700010),
	    "kraken: the only pair, whatever its name");
	T(parses(PRICE_KRAKEN, "{\"error\":[],\"result\":{\"A\":"
	    "{\"c\":[\"97000.1\"]},\"B\":{\"c\":[\"1.0\"]}}}", 0),
	    "kraken: two pairs, none XXBTZUSD: no answer");
	T(parses(PRICE_KRAKEN, "{\"error\":[\"EGeneral:Busy\"],\"result\":"
	    "{\"XXBTZUSD\":{\"c\":[\"97000.1\"]}}}", 0),
	    "kraken: an error: no answer");
	T(parses(PRICE_KRAKEN, "{\"error\":[],\"result\":{\"XXBTZUSD\":"
	    "{\"c\":[97000.1]}}}", 0), "kraken: a number: no answer");
	T(parses(PRICE_COINBASE, "{\"data\":{\"amount\":\"97001.23\","
	    "\"base\":\"BTC\",\"currency\":\"USD\"}}", 9700123),
	    "coinbase: data.amount");
	T(parses(PRICE_COINBASE, "{\"data\":{\"amount\":\"97001.23\"}}",
	    9700123), "coinbase: without base and currency");
	T(parses(PRICE_COINBASE, "{\"data\":{\"amount\":\"97001.23\","
	    "\"base\":\"BTC\",\"currency\":\"EUR\"}}", 0),
	    "coinbase: in EUR: no answer");
	T(parses(PRICE_COINBASE, "{\"data\":{\"amount\":\"97001.23\","
	    "\"base\":\"ETH\",\"currency\":\"USD\"}}", 0),
	    "coinbase: of ETH: no answer");
	T(parses(PRICE_BINANCE, "{\"symbol\":\"BTCUSDT\",\"price\":"
	    "\"97002.34000000\"}", 9700234), "binance: price");
	T(parses(PRICE_BINANCE, "{\"symbol\":\"BTCEUR\",\"price\":"
	    "\"97002.34\"}", 0), "binance: another symbol: no answer");
	T(parses(PRICE_BINANCE, "{\"price\":\"97002.349\"}", 9700234),
	    "decimals past the cents are dropped");
	T(parses(PRICE_BINANCE, "{\"price\":\"97002\"}", 9700200),
	    "no decimals");
	T(parses(PRICE_BINANCE, "{\"price\":\"97002.3\"}", 9700230),
	    "one decimal");
	T(parses(PRICE_BINANCE, "{\"price\":\"1000\"}", PRICE_CENTS_MIN) &&
	    parses(PRICE_BINANCE, "{\"price\":\"999.99\"}", 0) &&
	    parses(PRICE_BINANCE, "{\"price\":\"10000000\"}",
	    PRICE_CENTS_MAX) &&
	    parses(PRICE_BINANCE, "{\"price\":\"10000000.01\"}", 0),
	    "sanity bounds: $1,000 to $10,000,000");
	T(parses(PRICE_BINANCE, "{\"price\":\"0\"}", 0) &&
	    parses(PRICE_BINANCE, "{\"price\":\"-97000\"}", 0) &&
	    parses(PRICE_BINANCE, "{\"price\":\"+97000\"}", 0) &&
	    parses(PRICE_BINANCE, "{\"price\":\"9.7e4\"}", 0) &&
	    parses(PRICE_BINANCE, "{\"price\":\" 97000\"}", 0) &&
	    parses(PRICE_BINANCE, "{\"price\":\"97000.\"}", 0) &&
	    parses(PRICE_BINANCE, "{\"price\":\".5\"}", 0) &&
	    parses(PRICE_BINANCE, "{\"price\":\"\"}", 0) &&
	    parses(PRICE_BINANCE, "{\"price\":\"0x17AF8\"}", 0) &&
	    parses(PRICE_BINANCE, "{\"price\":\"1234567890123\"}", 0) &&
	    parses(PRICE_BINANCE, "{\"price\":\"000000000000097000\"}", 0) &&
	    parses(PRICE_BINANCE, "{\"price\":null}", 0),
	    "not a plain decimal: no answer");
	T(parses(PRICE_BINANCE, "{\"price\":\"97000\",\"price\":\"1\"}", 0),
	    "a duplicate key: no answer");
	T(parses(PRICE_BINANCE, "<html>", 0) && parses(PRICE_BINANCE, "", 0) &&
	    parses(PRICE_BINANCE, "[]", 0) && parses(PRICE_COINBASE,
	    "{\"data\":[]}", 0) && parses(PRICE_KRAKEN, "{\"result\":1}", 0),
	    "garbage: no answer");
	T(price_parse(PRICE_BINANCE, NULL, 0, &(uint64_t){ 0 }) == -1 &&
	    price_parse(PRICE_SOURCES, "{\"price\":\"97000\"}", 18,
	    &(uint64_t){ 0 }) == -1, "no body, or an unknown source");
}

/* Count lines of the log captured in a file. */
static int
count(const char *file, const char *what)
{
	FILE	*f;
	char	 line[512];
	int	 n = 0;

	if ((f = fopen(file, "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, what) != NULL)
			n++;
	fclose(f);
	return (n);
}

static void
test_live(void)
{
	struct ipc_conf_proxy	 cp;
	struct ipc_conf_model	 usd;
	uint64_t		 cents;
	char			 logfile[] = "/tmp/test_price.XXXXXX";
	double			 t0, t1;
	int			 fd, saved;

	memset(&usd, 0, sizeof(usd));
	usd.cm_usd = 1;
	usd.cm_prompt = usd.cm_completion = 1000000;

	/* Two sources: the lower of the two. */
	conf(&cp, 1 << PRICE_COINBASE | 1 << PRICE_BINANCE);
	price_init(&cp, 1);
	T(next_rate(5000) == 0 && rate() == 9700123,
	    "two sources: the lower, coinbase's $97,001.23");
	T(price_fresh(&cents) == 0 && pricing_available(&usd, NULL) == 1,
	    "a fresh rate: USD-priced models are sold");
	T(knobs("{\"binance\":{\"price\":\"95000.55\"}}") == 0 &&
	    next_rate(5000) == 0 && rate() == 9500055,
	    "two sources: binance lower now, $95,000.55");

	/* Three sources. */
	T(knobs("{\"binance\":{\"price\":\"97002.34\"}}") == 0, "knobs");
	conf(&cp, 7);
	price_init(&cp, 1);
	T(next_rate(5000) == 0 && rate() == 9700010,
	    "three sources: the lowest, kraken's $97,000.10");
	T(knobs("{\"kraken\":{\"mode\":\"status\"}}") == 0 &&
	    next_rate(5000) == 0 && rate() == 9700123,
	    "kraken answering 500: the lowest of the others");
	T(knobs("{\"kraken\":{\"mode\":\"garbage\"},"
	    "\"coinbase\":{\"mode\":\"wrong\"}}") == 0 &&
	    next_rate(5000) == 0 && next_rate(5000) == 0 && rate() == 9700234,
	    "garbage and a wrong shape: binance alone");
	T(knobs("{\"kraken\":{\"mode\":\"otherkey\",\"price\":\"96000\"},"
	    "\"coinbase\":{\"mode\":\"number\",\"price\":\"1000\"},"
	    "\"binance\":{\"mode\":\"usdt\",\"price\":\"1000\"}}") == 0 &&
	    next_rate(5000) == 0 && next_rate(5000) == 0 && rate() == 9600000,
	    "a number and another currency ignored; kraken's other key");
	T(knobs("{\"kraken\":{\"mode\":\"ok\",\"price\":\"5\"},"
	    "\"coinbase\":{\"mode\":\"ok\",\"price\":\"97001.23\"},"
	    "\"binance\":{\"mode\":\"drop\"}}") == 0 &&
	    next_rate(5000) == 0 && next_rate(5000) == 0 && rate() == 9700123,
	    "an insane $5 and a dropped connection ignored");

	/* A slow source is cut at the refresh; the round goes on. */
	T(knobs("{\"kraken\":{\"mode\":\"ok\",\"price\":\"90000\","
	    "\"delay\":4},\"binance\":{\"mode\":\"ok\","
	    "\"price\":\"97002.34\"}}") == 0 &&
	    next_rate(5000) == 0, "knobs: kraken slow");
	t0 = now_ms();
	T(next_rate(5000) == 0 && rate() == 9700123,
	    "a slow source times out: the others' rate");
	t1 = now_ms();
	T(t1 - t0 > REFRESH * 1000.0 && t1 - t0 < 2 * (REFRESH + 1) * 1000.0,
	    "a round with a slow source ends at its timeout (%.0f ms)",
	    t1 - t0);

	/* All failing: the rate stays, then goes stale; logged once. */
	if ((fd = mkstemp(logfile)) == -1 || (saved = dup(2)) == -1)
		abort();
	fflush(stderr);
	dup2(fd, 2);
	T(knobs("{\"kraken\":{\"mode\":\"status\",\"delay\":0},"
	    "\"coinbase\":{\"mode\":\"garbage\"},"
	    "\"binance\":{\"mode\":\"drop\"}}") == 0, "knobs: all failing");
	t0 = now_ms();
	cents = rate();
	while (price_fresh(&cents) == 0 && now_ms() - t0 < 10000)
		run_for(100);
	t1 = now_ms();
	T(price_fresh(&cents) == -1 && t1 - t0 > (MAX_AGE - 2) * 1000.0 &&
	    t1 - t0 < (MAX_AGE + 3) * 1000.0,
	    "all failing: stale after max age (%.0f ms)", t1 - t0);
	T(rate() == 9700123, "stale: the last rate is kept for settling");
	T(pricing_available(&usd, NULL) == 0,
	    "stale: USD-priced models refused");
	run_for(3000);		/* some more rounds */
	T(knobs("{\"kraken\":{\"mode\":\"ok\"},\"coinbase\":{\"mode\":\"ok\"},"
	    "\"binance\":{\"mode\":\"ok\"}}") == 0 && next_rate(5000) == 0 &&
	    price_fresh(&cents) == 0 && cents == 9000000,
	    "the sources back: fresh again, kraken's $90,000");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	T(count(logfile, "price source coinbase: no BTC/USD price") == 1 &&
	    count(logfile, "price source binance:") == 1,
	    "each source that starts failing is logged once, not every round");
	T(count(logfile, "price source kraken:") == 0,
	    "kraken, failing since it was slow, is not logged again");
	T(count(logfile, "no price source answered") == 1 &&
	    count(logfile, "older than 3 s") == 1 &&
	    count(logfile, "BTC/USD rate known again") == 1 &&
	    count(logfile, "price source kraken answers again") == 1,
	    "no rate, stale, and back: once each");
	T(count(logfile, "pair=") == 0 && count(logfile, "symbol=") == 0,
	    "no query string in the logs");
	unlink(logfile);

	/* Nothing after the shutdown, nothing without sources. */
	price_shutdown();
	T(next_rate(2500) == -1, "shut down: no more rounds");
	conf(&cp, 0);
	price_init(&cp, 1);
	T(next_rate(1500) == -1 && rate() == 0,
	    "no source: no round, no rate");
	conf(&cp, 7);
	price_init(&cp, 0);
	T(next_rate(1500) == -1, "fetch 0: no round");
	price_shutdown();
}

/* One round in the proxy's sandbox. */
static int
sandboxed(void)
{
	struct ipc_conf_proxy	 cp;

	event_init();
	log_init(1, LOG_DAEMON);
	if (curlev_init(NULL) == -1)
		return (1);
	sandbox_confine(PROC_PROXY, NULL);
	conf(&cp, 7);
	price_init(&cp, 1);
	if (next_rate(5000) == -1)
		return (2);
	if (rate() != 9700010)
		return (3);
	price_shutdown();
	curlev_shutdown();
	return (0);
}

static void
test_sandbox(void)
{
	pid_t	 pid;
	int	 status;

	fflush(stdout);
	if ((pid = fork()) == -1)
		abort();
	if (pid == 0) {
		alarm(30);
		_exit(sandboxed());
	}
	if (waitpid(pid, &status, 0) == -1)
		abort();
	T(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "a round under the PROC_PROXY sandbox (%s %d)",
	    WIFSIGNALED(status) ? "signal" : "exit",
	    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	log_init(1, LOG_DAEMON);
	log_setverbose(1);

	test_parse();
	if (mockserver_start(&mocksrv, "price-mock.py", NULL,
	    MOCKSERVER_WAIT_MS) == -1) {
		T(0, "the price mock starts");
		return (test_done());
	}
	test_sandbox();		/* before this process has curl state */
	event_init();
	if (curlev_init(NULL) == -1)
		abort();
	test_live();
	curlev_shutdown();
	mockserver_stop(&mocksrv);
	return (test_done());
}
