/*
 * test_ln_lnd: the LND REST backend against regress/lnd-mock.py over
 * TLS with a throwaway certificate as LND's tls.cert: invoices, their
 * states, payments that succeed, fail, stay in flight, break, lie, or
 * are slow, tracking, the macaroon, the CA, cancel, and one run in a
 * forked child under the PROC_MINT sandbox.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <openssl/sha.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "curlev.h"
#include "ipc.h"
#include "ln_lnd.h"
#include "log.h"
#include "mockserver.h"
#include "sandbox.h"
#include "test.h"

struct res {
	int			 done;
	struct lnd_result	 r;
};

static char		 tmpdir[64];
static char		 certfile[PATH_MAX], keyfile[PATH_MAX];
static unsigned char	*cert;
static size_t		 certlen;
static uint8_t		 mac[40];
static char		 machex[81];
static struct mockserver mocksrv;
static char		 base[128];
static int		 timed_out;
static struct event	 deadline;

static void
deadline_cb(int fd, short ev, void *arg)
{
	timed_out = 1;
}

static int
wait_for(int *flag, int want, int ms)
{
	struct timeval	 tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	timed_out = 0;
	evtimer_set(&deadline, deadline_cb, NULL);
	evtimer_add(&deadline, &tv);
	while ((flag == NULL || *flag < want) && !timed_out)
		event_loop(EVLOOP_ONCE);
	evtimer_del(&deadline);
	return (flag != NULL && *flag >= want);
}

static void
run_for(int ms)
{
	(void)wait_for(NULL, 0, ms);
}

static double
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6);
}

static void
res_cb(const struct lnd_result *lr, void *arg)
{
	struct res	*x = arg;

	x->done++;
	x->r = *lr;
}

/* Start an operation and wait for its callback. */
#define RUN(x, call, ms) do {						\
	memset(&(x), 0, sizeof(x));					\
	if ((call) != NULL)						\
		(void)wait_for(&(x).done, 1, (ms));			\
} while (0)

static void
hex(const uint8_t *b, size_t n, char *out)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		(void)snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/*
 * The mock and its knobs.
 */

struct mockcall {
	int	 done;
	long	 status;
};

static void
mock_done(struct curlev_req *r, const struct curlev_result *res, void *arg)
{
	struct mockcall	*m = arg;

	m->status = res->r_error == CURLEV_OK ? res->r_status : -1;
	m->done = 1;
}

static long
mock(const char *path, const char *json)
{
	struct curlev_params	 p;
	struct mockcall		 m;
	char			 url[256];

	memset(&m, 0, sizeof(m));
	(void)snprintf(url, sizeof(url), "https://127.0.0.1:%d%s",
	    mocksrv.ms_port, path);
	memset(&p, 0, sizeof(p));
	p.p_url = url;
	p.p_method = "POST";
	p.p_body = json;
	p.p_bodylen = strlen(json);
	p.p_ca = cert;
	p.p_calen = certlen;
	p.p_on_done = mock_done;
	p.p_arg = &m;
	if (curlev_start(&p) == NULL || !wait_for(&m.done, 1, 5000))
		return (-1);
	return (m.status);
}

static long
mock_hash(const char *verb, const uint8_t *hash, const char *json)
{
	char	 path[128], h[65];

	hex(hash, 32, h);
	(void)snprintf(path, sizeof(path), "/mock/%s/%s", verb, h);
	return (mock(path, json));
}

static int
make_cert(void)
{
	char	 cmd[4 * PATH_MAX];
	int	 fd;

	(void)strlcpy(tmpdir, "/tmp/test_ln_lnd.XXXXXX", sizeof(tmpdir));
	if (mkdtemp(tmpdir) == NULL)
		return (-1);
	(void)snprintf(certfile, sizeof(certfile), "%s/tls.cert", tmpdir);
	(void)snprintf(keyfile, sizeof(keyfile), "%s/tls.key", tmpdir);
	/* as lnd makes its own: self-signed, CA, localhost and the IP */
	(void)snprintf(cmd, sizeof(cmd), "openssl req -x509 -newkey ec "
	    "-pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
	    "-subj /O=lnd/CN=mock -keyout %s -out %s "
	    "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 "
	    "-addext basicConstraints=critical,CA:TRUE "
	    "-addext keyUsage=critical,digitalSignature,keyCertSign "
	    ">/dev/null 2>&1", keyfile, certfile);
	if (system(cmd) != 0)
		return (-1);
	if ((fd = open(certfile, O_RDONLY)) == -1 ||
	    fd_read_all(fd, 65536, &cert, &certlen) == -1)
		return (-1);
	close(fd);
	return (0);
}

static int
mock_start(void)
{
	const char	*args[] = { "--cert", certfile, "--key", keyfile,
			    "--macaroon", machex, NULL };
	size_t		 i;

	for (i = 0; i < sizeof(mac); i++)
		mac[i] = (uint8_t)(0x02 + i * 7);
	hex(mac, sizeof(mac), machex);
	if (mockserver_start(&mocksrv, "lnd-mock.py", args,
	    MOCKSERVER_WAIT_MS) == -1)
		return (-1);
	(void)snprintf(base, sizeof(base), "https://localhost:%d/",
	    mocksrv.ms_port);
	return (0);
}

/* "localhost" from a resolver of our own: the parent's job in mintd. */
struct lookup {
	struct event	 ev;
	void		(*done)(int, const struct sockaddr_storage *,
			    size_t, void *);
	void		*arg;
	int		 ok;
};

static void
lookup_answer(int fd, short ev, void *arg)
{
	struct lookup		*l = arg;
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l->done(l->ok ? 0 : EAI_NONAME, &ss, l->ok ? 1 : 0, l->arg);
	free(l);
}

static uint32_t
lookup_start(const char *host, void (*done)(int,
    const struct sockaddr_storage *, size_t, void *), void *arg)
{
	static uint32_t	 id;
	struct lookup	*l;
	struct timeval	 tv = { 0, 0 };

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return (0);
	l->done = done;
	l->arg = arg;
	l->ok = strcmp(host, "localhost") == 0;
	evtimer_set(&l->ev, lookup_answer, l);
	evtimer_add(&l->ev, &tv);
	return (++id);
}

static const struct curlev_resolver resolver = {
	.rs_start = lookup_start,
};

/*
 * The cases.
 */

static void
test_new(void)
{
	struct lnd	*l;
	const char	*bad[] = { "ftp://localhost:8080", "localhost:8080",
	    "https://localhost:8080/?x=1", "https://u:p@localhost:8080",
	    "https://localhost:8080/#x", "wss://localhost:8080", NULL };
	int		 i;

	for (i = 0; bad[i] != NULL; i++)
		T(lnd_new(bad[i], mac, sizeof(mac), cert, certlen) == NULL,
		    "lnd_new refuses %s", bad[i]);
	T(lnd_new(base, mac, 0, cert, certlen) == NULL,
	    "lnd_new refuses an empty macaroon");
	T((l = lnd_new(base, mac, sizeof(mac), cert, certlen)) != NULL,
	    "lnd_new");
	lnd_free(l);
}

static void
test_invoices(struct lnd *l)
{
	struct res	 x, y;
	uint8_t		 zero[32], hash[32];
	char		 bad[700];

	memset(zero, 0, sizeof(zero));
	RUN(x, lnd_create_invoice(l, 21000, "routstr top-up", 3600, res_cb,
	    &x), 5000);
	T(x.done == 1 && x.r.lr_error == LND_OK,
	    "create_invoice (%d %s)", x.r.lr_error, x.r.lr_errstr);
	T(strncmp(x.r.lr_bolt11, "lnbcrt210n1", 11) == 0,
	    "create_invoice: the bolt11 (%.20s)", x.r.lr_bolt11);
	T(memcmp(x.r.lr_hash, zero, 32) != 0, "create_invoice: a hash");
	T(x.r.lr_add_index >= 1, "create_invoice: add_index %llu",
	    (unsigned long long)x.r.lr_add_index);
	memcpy(hash, x.r.lr_hash, sizeof(hash));

	RUN(y, lnd_invoice_status(l, hash, res_cb, &y), 5000);
	T(y.done && y.r.lr_error == LND_OK &&
	    y.r.lr_invoice == LND_INVOICE_OPEN && y.r.lr_paid_msat == 0,
	    "invoice_status: OPEN (%s %s)", lnd_invoice_name(y.r.lr_invoice),
	    y.r.lr_errstr);
	T(mock_hash("settle", hash, "{}") == 200, "the payer pays");
	RUN(y, lnd_invoice_status(l, hash, res_cb, &y), 5000);
	T(y.done && y.r.lr_invoice == LND_INVOICE_SETTLED &&
	    y.r.lr_paid_msat == 21000, "invoice_status: SETTLED, 21000 msat");

	RUN(x, lnd_create_invoice(l, 1000, NULL, 60, res_cb, &x), 5000);
	T(x.done && x.r.lr_error == LND_OK &&
	    strncmp(x.r.lr_bolt11, "lnbcrt10n1", 10) == 0,
	    "create_invoice without a memo (%.12s)", x.r.lr_bolt11);
	T(mock_hash("cancel", x.r.lr_hash, "{}") == 200, "canceled");
	RUN(y, lnd_invoice_status(l, x.r.lr_hash, res_cb, &y), 5000);
	T(y.done && y.r.lr_invoice == LND_INVOICE_CANCELED,
	    "invoice_status: CANCELED");

	RUN(y, lnd_invoice_status(l, zero, res_cb, &y), 5000);
	T(y.done && y.r.lr_error == LND_E_LND && y.r.lr_code == 5 &&
	    strcmp(y.r.lr_errstr, "unable to locate invoice") == 0,
	    "invoice_status of an unknown hash: NotFound (%d %s)",
	    y.r.lr_code, y.r.lr_errstr);

	/* Refused before anything goes out. */
	T(lnd_create_invoice(l, 0, "x", 60, res_cb, &x) == NULL,
	    "no invoice for 0 msat");
	memset(bad, 'a', sizeof(bad) - 1);
	bad[sizeof(bad) - 1] = '\0';
	T(lnd_create_invoice(l, 1000, bad, 60, res_cb, &x) == NULL,
	    "no memo over 639 bytes");
	T(lnd_create_invoice(l, 1000, "\xff\xfe", 60, res_cb, &x) == NULL,
	    "no memo that is not UTF-8");
	T(lnd_pay(l, "not a bolt11", 0, 1000, 10, res_cb, &x) == NULL &&
	    lnd_pay(l, "lnbc1Mixed", 0, 1000, 10, res_cb, &x) == NULL &&
	    lnd_pay(l, "lnbc1\"}", 0, 1000, 10, res_cb, &x) == NULL,
	    "no pay of what is not a bolt11");
}

/* A fresh invoice of the mock's, to pay. */
static int
invoice(struct lnd *l, uint64_t msat, char *bolt11, size_t len,
    uint8_t *hash)
{
	struct res	 x;

	RUN(x, lnd_create_invoice(l, msat, "to pay", 600, res_cb, &x), 5000);
	if (!x.done || x.r.lr_error != LND_OK)
		return (-1);
	(void)strlcpy(bolt11, x.r.lr_bolt11, len);
	memcpy(hash, x.r.lr_hash, 32);
	return (0);
}

static void
test_pay(struct lnd *l)
{
	struct res	 x, y;
	char		 b11[LND_BOLT11_MAX], b11b[LND_BOLT11_MAX];
	uint8_t		 h[32], hb[32], check[32], zero[32];
	struct lnd_op	*op;
	double		 t0;

	memset(zero, 0, sizeof(zero));
	T(invoice(l, 50000, b11, sizeof(b11), h) == 0, "an invoice to pay");
	T(mock("/mock/knobs", "{\"pay\": \"succeed\", \"delay\": 0.2, "
	    "\"fee_msat\": 1500}") == 200, "knobs: succeed");
	RUN(x, lnd_pay(l, b11, 0, 5000, 10, res_cb, &x), 10000);
	SHA256(x.r.lr_preimage, 32, check);
	T(x.done && x.r.lr_payment == LND_PAY_SUCCEEDED &&
	    x.r.lr_has_preimage && memcmp(check, h, 32) == 0,
	    "pay: SUCCEEDED with the preimage (%s %s)",
	    lnd_payment_name(x.r.lr_payment), x.r.lr_reason);
	T(x.r.lr_fee_msat == 1500, "pay: the fee (%llu)",
	    (unsigned long long)x.r.lr_fee_msat);
	T(x.r.lr_error == LND_OK, "pay: lr_error stays 0");
	RUN(y, lnd_invoice_status(l, h, res_cb, &y), 5000);
	T(y.done && y.r.lr_invoice == LND_INVOICE_SETTLED,
	    "the paid invoice is SETTLED");

	RUN(y, lnd_track(l, h, res_cb, &y), 5000);
	T(y.done && y.r.lr_payment == LND_PAY_SUCCEEDED &&
	    memcmp(y.r.lr_preimage, x.r.lr_preimage, 32) == 0 &&
	    y.r.lr_fee_msat == 1500, "track: SUCCEEDED, preimage and fee");

	RUN(x, lnd_pay(l, b11, 0, 5000, 10, res_cb, &x), 10000);
	T(x.done && x.r.lr_payment == LND_PAY_UNKNOWN && x.r.lr_code == 6 &&
	    !x.r.lr_has_preimage,
	    "pay again: AlreadyExists is UNKNOWN, not FAILED (%s %d %s)",
	    lnd_payment_name(x.r.lr_payment), x.r.lr_code, x.r.lr_reason);

	/* Failures. */
	T(invoice(l, 1000, b11, sizeof(b11), h) == 0, "another invoice");
	T(mock("/mock/knobs", "{\"pay\": \"fail\"}") == 200, "knobs: fail");
	RUN(x, lnd_pay(l, b11, 0, 1000, 10, res_cb, &x), 10000);
	T(x.done && x.r.lr_payment == LND_PAY_FAILED &&
	    strcmp(x.r.lr_reason, "FAILURE_REASON_NO_ROUTE") == 0 &&
	    !x.r.lr_has_preimage && x.r.lr_fee_msat == 0,
	    "pay: FAILED with LND's reason (%s)", x.r.lr_reason);
	RUN(y, lnd_track(l, h, res_cb, &y), 5000);
	T(y.done && y.r.lr_payment == LND_PAY_FAILED,
	    "track of a failed payment: FAILED");

	T(mock("/mock/knobs", "{\"pay\": \"error\"}") == 200, "knobs: error");
	RUN(x, lnd_pay(l, b11, 0, 1000, 10, res_cb, &x), 10000);
	T(x.done && x.r.lr_payment == LND_PAY_UNKNOWN &&
	    strcmp(x.r.lr_reason, "payment stream broken") == 0 &&
	    x.r.lr_code == 2, "pay: an error line is UNKNOWN (%s)",
	    x.r.lr_reason);

	T(mock("/mock/knobs", "{\"pay\": \"bare\"}") == 200, "knobs: bare");
	RUN(x, lnd_pay(l, b11, 0, 1000, 10, res_cb, &x), 10000);
	T(x.done && x.r.lr_payment == LND_PAY_FAILED && x.r.lr_code == 3 &&
	    strcmp(x.r.lr_reason, "invalid fee limit") == 0,
	    "pay: a bare error before the call is FAILED (%s)",
	    x.r.lr_reason);

	T(mock("/mock/knobs", "{\"pay\": \"garbage\"}") == 200,
	    "knobs: garbage");
	RUN(x, lnd_pay(l, b11, 0, 1000, 10, res_cb, &x), 10000);
	T(x.done && x.r.lr_payment == LND_PAY_UNKNOWN,
	    "pay: a line that is not JSON is UNKNOWN (%s)", x.r.lr_reason);

	T(invoice(l, 1000, b11, sizeof(b11), h) == 0, "another invoice");
	T(mock("/mock/knobs", "{\"pay\": \"badpreimage\", \"delay\": 0}") ==
	    200, "knobs: badpreimage");
	RUN(x, lnd_pay(l, b11, 0, 1000, 10, res_cb, &x), 10000);
	T(x.done && x.r.lr_payment == LND_PAY_UNKNOWN &&
	    !x.r.lr_has_preimage &&
	    memcmp(x.r.lr_preimage, zero, 32) == 0,
	    "pay: SUCCEEDED with a wrong preimage is UNKNOWN (%s)",
	    x.r.lr_reason);

	/* In flight: the stream is cut by our timeout. */
	lnd_set_timeouts(l, 0, 500);
	T(invoice(l, 2000, b11, sizeof(b11), h) == 0, "another invoice");
	T(mock("/mock/knobs", "{\"pay\": \"inflight\"}") == 200,
	    "knobs: inflight");
	t0 = now_ms();
	RUN(x, lnd_pay(l, b11, 0, 1000, 1, res_cb, &x), 10000);
	T(x.done && x.r.lr_payment == LND_PAY_IN_FLIGHT,
	    "pay: IN_FLIGHT when no final status came (%s %s)",
	    lnd_payment_name(x.r.lr_payment), x.r.lr_reason);
	T(now_ms() - t0 >= 1400 && now_ms() - t0 < 3000,
	    "after timeout_seconds plus the slack (%.0f ms)", now_ms() - t0);
	RUN(y, lnd_track(l, h, res_cb, &y), 5000);
	T(y.done && y.r.lr_payment == LND_PAY_IN_FLIGHT,
	    "track: IN_FLIGHT");
	T(mock_hash("finish", h, "{\"status\": \"SUCCEEDED\"}") == 200,
	    "the payment goes through");
	RUN(y, lnd_track(l, h, res_cb, &y), 5000);
	SHA256(y.r.lr_preimage, 32, check);
	T(y.done && y.r.lr_payment == LND_PAY_SUCCEEDED &&
	    memcmp(check, h, 32) == 0, "track: then SUCCEEDED");

	/* In flight, then final on the same stream. */
	lnd_set_timeouts(l, 0, 0);
	T(invoice(l, 3000, b11b, sizeof(b11b), hb) == 0, "another invoice");
	memset(&x, 0, sizeof(x));
	T(lnd_pay(l, b11b, 0, 1000, 10, res_cb, &x) != NULL, "pay, in flight");
	run_for(300);
	T(x.done == 0, "still in flight");
	T(mock_hash("finish", hb, "{\"status\": \"FAILED\"}") == 200,
	    "the payment fails");
	(void)wait_for(&x.done, 1, 5000);
	T(x.done && x.r.lr_payment == LND_PAY_FAILED,
	    "pay: the final line after IN_FLIGHT (%s)",
	    lnd_payment_name(x.r.lr_payment));

	/* Unknown to LND. */
	RUN(y, lnd_track(l, zero, res_cb, &y), 5000);
	T(y.done && y.r.lr_payment == LND_PAY_NOT_FOUND && y.r.lr_code == 5,
	    "track of an unknown hash: NOT_FOUND (%s)", y.r.lr_reason);

	/* Slow: nothing at all before our timeout, then in time. */
	lnd_set_timeouts(l, 0, 500);
	T(invoice(l, 4000, b11, sizeof(b11), h) == 0, "another invoice");
	T(mock("/mock/knobs", "{\"pay\": \"slow\", \"delay\": 2.5}") == 200,
	    "knobs: slow");
	RUN(x, lnd_pay(l, b11, 0, 1000, 1, res_cb, &x), 10000);
	T(x.done && x.r.lr_payment == LND_PAY_UNKNOWN,
	    "pay: a timeout after sending is UNKNOWN (%s)", x.r.lr_reason);
	run_for(1500);		/* the mock finishes that one */
	T(invoice(l, 4000, b11, sizeof(b11), h) == 0, "another invoice");
	T(mock("/mock/knobs", "{\"pay\": \"slow\", \"delay\": 0.3}") == 200,
	    "knobs: a little slow");
	RUN(x, lnd_pay(l, b11, 0, 1000, 1, res_cb, &x), 10000);
	T(x.done && x.r.lr_payment == LND_PAY_SUCCEEDED,
	    "pay: slow but in time");
	lnd_set_timeouts(l, 0, 0);

	/* Cancel mid-payment: no callback. */
	T(invoice(l, 5000, b11, sizeof(b11), h) == 0, "another invoice");
	T(mock("/mock/knobs", "{\"pay\": \"inflight\"}") == 200,
	    "knobs: inflight");
	memset(&x, 0, sizeof(x));
	T((op = lnd_pay(l, b11, 0, 1000, 10, res_cb, &x)) != NULL, "pay");
	run_for(300);
	lnd_cancel(op);
	(void)mock_hash("finish", h, "{\"status\": \"SUCCEEDED\"}");
	run_for(300);
	T(x.done == 0 && curlev_pending() == 0,
	    "cancelled: no callback, nothing pending");
	T(mock("/mock/knobs", "{\"pay\": \"succeed\", \"delay\": 0.1}") ==
	    200, "knobs: succeed");
}

static void
test_unary_timeout(struct lnd *l)
{
	struct res	 x;

	lnd_set_timeouts(l, 500, 0);
	T(mock("/mock/knobs", "{\"stall\": 1.5}") == 200, "knobs: stall");
	RUN(x, lnd_create_invoice(l, 1000, "slow", 60, res_cb, &x), 5000);
	T(x.done && x.r.lr_error == LND_E_TRANSPORT,
	    "create_invoice: LND too slow (%s)", x.r.lr_errstr);
	T(mock("/mock/knobs", "{\"stall\": 0}") == 200, "knobs: no stall");
	run_for(1500);
	lnd_set_timeouts(l, 0, 0);
}

static void
test_auth_tls(void)
{
	struct lnd	*l;
	struct res	 x;
	uint8_t		 wrong[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	char		 url[128], b11[LND_BOLT11_MAX];
	uint8_t		 h[32];

	/* A macaroon LND does not know. */
	T((l = lnd_new(base, wrong, sizeof(wrong), cert, certlen)) != NULL,
	    "lnd_new with a wrong macaroon");
	RUN(x, lnd_create_invoice(l, 1000, "x", 60, res_cb, &x), 5000);
	T(x.done && x.r.lr_error == LND_E_LND && x.r.lr_code == 16,
	    "the wrong macaroon: Unauthenticated (%d %s)", x.r.lr_code,
	    x.r.lr_errstr);
	memset(h, 0, sizeof(h));
	RUN(x, lnd_track(l, h, res_cb, &x), 5000);
	T(x.done && x.r.lr_payment == LND_PAY_UNKNOWN,
	    "track with the wrong macaroon: UNKNOWN");
	lnd_free(l);

	/* Not LND's certificate: the system bundle does not know it. */
	T((l = lnd_new(base, mac, sizeof(mac), NULL, 0)) != NULL,
	    "lnd_new without tls.cert");
	RUN(x, lnd_create_invoice(l, 1000, "x", 60, res_cb, &x), 5000);
	T(x.done && x.r.lr_error == LND_E_TRANSPORT,
	    "without LND's certificate: refused (%s)", x.r.lr_errstr);
	lnd_free(l);

	/* A pay that never reached LND is FAILED. */
	T((l = lnd_new(base, mac, sizeof(mac), cert, certlen)) != NULL &&
	    invoice(l, 1000, b11, sizeof(b11), h) == 0, "an invoice");
	lnd_free(l);
	(void)snprintf(url, sizeof(url), "https://127.0.0.1:%d",
	    mockserver_closed_port());
	T((l = lnd_new(url, mac, sizeof(mac), cert, certlen)) != NULL,
	    "lnd_new, nobody listening");
	RUN(x, lnd_create_invoice(l, 1000, "x", 60, res_cb, &x), 5000);
	T(x.done && x.r.lr_error == LND_E_TRANSPORT,
	    "connection refused (%s)", x.r.lr_errstr);
	RUN(x, lnd_pay(l, b11, 0, 1000, 10, res_cb, &x), 5000);
	T(x.done && x.r.lr_payment == LND_PAY_FAILED &&
	    strncmp(x.r.lr_reason, "not sent", 8) == 0,
	    "pay not sent: FAILED (%s)", x.r.lr_reason);
	RUN(x, lnd_track(l, h, res_cb, &x), 5000);
	T(x.done && x.r.lr_payment == LND_PAY_UNKNOWN,
	    "track not sent: UNKNOWN (%s)", x.r.lr_reason);
	lnd_free(l);

	/* lnd_free with operations in flight: no callbacks. */
	T((l = lnd_new(base, mac, sizeof(mac), cert, certlen)) != NULL,
	    "lnd_new");
	memset(&x, 0, sizeof(x));
	T(lnd_create_invoice(l, 1000, "x", 60, res_cb, &x) != NULL &&
	    lnd_track(l, h, res_cb, &x) != NULL, "two operations");
	lnd_free(l);
	run_for(300);
	T(x.done == 0 && curlev_pending() == 0,
	    "lnd_free: no callbacks, nothing pending");
}

/* Freed from its own callback: the others go quietly. */
static struct lnd	*self_lnd;

static void
free_cb(const struct lnd_result *lr, void *arg)
{
	int	*n = arg;

	(*n)++;
	lnd_free(self_lnd);
	self_lnd = NULL;
}

static void
test_free_in_cb(void)
{
	uint8_t		 zero[32];
	int		 n = 0;

	memset(zero, 0, sizeof(zero));
	self_lnd = lnd_new(base, mac, sizeof(mac), cert, certlen);
	T(self_lnd != NULL && lnd_invoice_status(self_lnd, zero, free_cb,
	    &n) != NULL && lnd_invoice_status(self_lnd, zero, free_cb,
	    &n) != NULL, "two lookups");
	run_for(1000);
	T(n == 1 && curlev_pending() == 0,
	    "lnd_free from a callback: the other never called (%d)", n);
}

/* In mintd's sandbox: an invoice, its state, a payment. */
static int
sandboxed(void)
{
	struct lnd	*l;
	struct res	 x;
	char		 url[128], b11[LND_BOLT11_MAX];
	uint8_t		 h[32];

	event_init();
	log_init(1, LOG_DAEMON);
	if (curlev_init(NULL) == -1)
		return (1);
	(void)snprintf(url, sizeof(url), "https://127.0.0.1:%d",
	    mocksrv.ms_port);
	if ((l = lnd_new(url, mac, sizeof(mac), cert, certlen)) == NULL)
		return (2);
	sandbox_confine(PROC_MINT, NULL);
	if (invoice(l, 7000, b11, sizeof(b11), h) == -1)
		return (3);
	RUN(x, lnd_invoice_status(l, h, res_cb, &x), 5000);
	if (!x.done || x.r.lr_invoice != LND_INVOICE_OPEN)
		return (4);
	RUN(x, lnd_pay(l, b11, 0, 1000, 10, res_cb, &x), 10000);
	if (!x.done || x.r.lr_payment != LND_PAY_SUCCEEDED)
		return (5);
	RUN(x, lnd_track(l, h, res_cb, &x), 5000);
	if (!x.done || x.r.lr_payment != LND_PAY_SUCCEEDED)
		return (6);
	lnd_free(l);
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
	    "lnd under the PROC_MINT sandbox (%s %d)",
	    WIFSIGNALED(status) ? "signal" : "exit",
	    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

int
main(void)
{
	struct lnd	*l;
	char		 cmd[128];
	int		 i;

	signal(SIGPIPE, SIG_IGN);
	log_init(1, LOG_DAEMON);
	if (!T(make_cert() == 0, "a throwaway tls.cert"))
		return (test_done());
	i = mock_start();
	if (!T(i == 0, "lnd-mock.py (port %d)", mocksrv.ms_port))
		return (test_done());

	test_sandbox();		/* before this process has curl state */

	event_init();
	T(curlev_init(NULL) == 0, "curlev_init");
	curlev_set_resolver(&resolver);

	test_new();
	T((l = lnd_new(base, mac, sizeof(mac), cert, certlen)) != NULL,
	    "lnd_new %s", base);
	test_invoices(l);
	test_pay(l);
	test_unary_timeout(l);
	lnd_free(l);
	test_auth_tls();
	test_free_in_cb();

	T(curlev_pending() == 0, "nothing left pending");
	curlev_shutdown();
	mockserver_stop(&mocksrv);
	(void)snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		printf("# %s failed\n", cmd);
	freezero(cert, certlen);
	return (test_done());
}
