/*
 * test_curlev: outbound HTTP(S) on the event loop against
 * regress/curlev-server.py (plain and TLS with a throwaway certificate),
 * names answered by a fake resolver and once by a fake parent over
 * imsg, a run in a forked child under the PROC_MINT sandbox, a run
 * under strace that must show no clone, and HTTP/2 against nginx when
 * it is installed.
 */

#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

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
#include "imsg.h"
#include "ipc.h"
#include "log.h"
#include "mockserver.h"
#include "proc.h"
#include "sandbox.h"
#include "test.h"

#define MAXTIMES	256

struct got {
	int			 done;
	int			 error;
	char			 errstr[256];
	long			 status;
	int			 sent;
	int			 http;
	char			*body;
	size_t			 len;
	int			 headers;	/* p_on_headers calls */
	long			 hstatus;
	char			 conn[32];
	char			 ctype[64];
	char			 location[64];
	char			 xmethod[16];
	char			 xtest[64];
	char			 xexpect[64];
	int			 nbody;
	double			 t_body[MAXTIMES];
	double			 t_done;
	double			 t_start;
	int			 pause_at;	/* pause after N pieces */
	int			 resume_ms;
	struct event		 resume_ev;
	int			 paused_calls;	/* must stay 0 */
	int			 paused;
	int			 cancel_at;	/* cancel in p_on_body */
	int			 abort_at;	/* return 1 in p_on_body */
	int			 cancelled;
	int			*count;		/* shared counter */
	struct curlev_req	*req;
};

static struct mockserver mocksrv;
static int	 sv_http, sv_https;
static char	 tmpdir[64];
static char	 certfile[PATH_MAX], keyfile[PATH_MAX];
static unsigned char *cert;
static size_t	 certlen;
static int	 timed_out;
static struct event deadline;

/*
 * Helpers.
 */

static double
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6);
}

static void
deadline_cb(int fd, short ev, void *arg)
{
	timed_out = 1;
}

/* Run the loop until *flag reaches want, or ms pass. */
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

static void
got_copy(char *dst, size_t size, struct curlev_req *r, const char *name)
{
	const char	*v;

	if ((v = curlev_header(r, name)) != NULL)
		(void)strlcpy(dst, v, size);
}

static int
got_headers(struct curlev_req *r, long status, void *arg)
{
	struct got	*g = arg;

	g->headers++;
	g->hstatus = status;
	got_copy(g->conn, sizeof(g->conn), r, "X-Conn");
	got_copy(g->ctype, sizeof(g->ctype), r, "content-type");
	got_copy(g->location, sizeof(g->location), r, "Location");
	got_copy(g->xmethod, sizeof(g->xmethod), r, "X-Method");
	got_copy(g->xtest, sizeof(g->xtest), r, "X-Test");
	got_copy(g->xexpect, sizeof(g->xexpect), r, "X-Expect");
	return (0);
}

static void
got_append(struct got *g, const void *data, size_t len)
{
	if ((g->body = realloc(g->body, g->len + len + 1)) == NULL)
		abort();
	memcpy(g->body + g->len, data, len);
	g->len += len;
	g->body[g->len] = '\0';
}

static void
got_resume(int fd, short ev, void *arg)
{
	struct got	*g = arg;

	g->paused = 0;
	curlev_pause(g->req, 0);
}

static int
got_body(struct curlev_req *r, const void *data, size_t len, void *arg)
{
	struct got	*g = arg;
	struct timeval	 tv;

	if (g->paused)
		g->paused_calls++;
	if (g->nbody < MAXTIMES)
		g->t_body[g->nbody] = now_ms();
	g->nbody++;
	got_append(g, data, len);
	if (g->pause_at && g->nbody == g->pause_at) {
		curlev_pause(r, 1);
		g->paused = 1;
		tv.tv_sec = g->resume_ms / 1000;
		tv.tv_usec = (g->resume_ms % 1000) * 1000;
		evtimer_set(&g->resume_ev, got_resume, g);
		evtimer_add(&g->resume_ev, &tv);
	}
	if (g->cancel_at && g->nbody == g->cancel_at) {
		curlev_cancel(r);
		g->cancelled = 1;
	}
	if (g->abort_at && g->nbody == g->abort_at)
		return (1);
	return (0);
}

static void
got_done(struct curlev_req *r, const struct curlev_result *res, void *arg)
{
	struct got	*g = arg;

	g->done++;
	g->t_done = now_ms();
	g->error = res->r_error;
	(void)strlcpy(g->errstr, res->r_errstr, sizeof(g->errstr));
	g->status = res->r_status;
	g->sent = res->r_sent;
	g->http = res->r_http;
	if (res->r_body != NULL)
		got_append(g, res->r_body, res->r_bodylen);
	if (g->count != NULL)
		(*g->count)++;
	/* cancelling oneself from p_on_done is a no-op */
	curlev_cancel(r);
}

static void
got_init(struct got *g)
{
	memset(g, 0, sizeof(*g));
	g->t_start = now_ms();
}

static void
got_free(struct got *g)
{
	free(g->body);
	g->body = NULL;
}

static void
params(struct curlev_params *p, struct got *g, const char *url, int stream)
{
	memset(p, 0, sizeof(*p));
	p->p_url = url;
	p->p_on_headers = got_headers;
	p->p_on_body = stream ? got_body : NULL;
	p->p_on_done = got_done;
	p->p_arg = g;
}

/* Start and wait for the end; 1 when it ended. */
static int
fetch(struct got *g, struct curlev_params *p, int ms)
{
	if ((g->req = curlev_start(p)) == NULL)
		return (0);
	return (wait_for(&g->done, 1, ms));
}

static int
get(struct got *g, const char *url)
{
	struct curlev_params	 p;

	got_init(g);
	params(&p, g, url, 0);
	return (fetch(g, &p, 10000));
}

/*
 * The fake resolver.
 */

struct fake_lookup {
	TAILQ_ENTRY(fake_lookup) f_entry;
	uint32_t		 f_id;
	struct event		 f_ev;
	char			 f_host[IPC_HOST_MAX];
	void			(*f_done)(int,
				    const struct sockaddr_storage *, size_t,
				    void *);
	void			*f_arg;
};
static TAILQ_HEAD(, fake_lookup) fakes = TAILQ_HEAD_INITIALIZER(fakes);
static int	 fake_lookups;
static int	 fake_delay_ms;
static uint32_t	 fake_next = 1;

static void
add_addr(struct sockaddr_storage *ss, size_t *n, const char *a)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss[*n];
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss[*n];

	memset(&ss[*n], 0, sizeof(ss[*n]));
	if (inet_pton(AF_INET, a, &sin->sin_addr) == 1)
		sin->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, a, &sin6->sin6_addr) == 1)
		sin6->sin6_family = AF_INET6;
	else
		abort();
	(*n)++;
}

static void
fake_answer(int fd, short ev, void *arg)
{
	struct fake_lookup	*f = arg;
	struct sockaddr_storage	 ss[4];
	size_t			 n = 0;
	int			 error = 0;

	TAILQ_REMOVE(&fakes, f, f_entry);
	if (strcmp(f->f_host, "test.invalid") == 0 ||
	    strcmp(f->f_host, "localhost") == 0 ||
	    strcmp(f->f_host, "other.invalid") == 0 ||
	    strcmp(f->f_host, "slow.invalid") == 0)
		add_addr(ss, &n, "127.0.0.1");
	else if (strcmp(f->f_host, "multi.invalid") == 0) {
		add_addr(ss, &n, "127.0.0.2");	/* nobody listens there */
		add_addr(ss, &n, "127.0.0.1");
	} else if (strcmp(f->f_host, "v6.invalid") == 0) {
		add_addr(ss, &n, "::1");
		add_addr(ss, &n, "127.0.0.1");
	} else
		error = EAI_NONAME;
	f->f_done(error, ss, n, f->f_arg);
	free(f);
}

static uint32_t
fake_start(const char *host, void (*done)(int,
    const struct sockaddr_storage *, size_t, void *), void *arg)
{
	struct fake_lookup	*f;
	struct timeval		 tv;
	int			 ms;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return (0);
	fake_lookups++;
	f->f_id = fake_next++;
	(void)strlcpy(f->f_host, host, sizeof(f->f_host));
	f->f_done = done;
	f->f_arg = arg;
	ms = strcmp(host, "slow.invalid") == 0 ? 3000 : fake_delay_ms;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_set(&f->f_ev, fake_answer, f);
	evtimer_add(&f->f_ev, &tv);
	TAILQ_INSERT_TAIL(&fakes, f, f_entry);
	return (f->f_id);
}

static void
fake_cancel(uint32_t id)
{
	struct fake_lookup	*f;

	TAILQ_FOREACH(f, &fakes, f_entry)
		if (f->f_id == id)
			break;
	if (f == NULL)
		return;
	evtimer_del(&f->f_ev);
	TAILQ_REMOVE(&fakes, f, f_entry);
	free(f);
}

static const struct curlev_resolver fake_resolver = {
	.rs_start = fake_start,
	.rs_cancel = fake_cancel,
};

/*
 * A fake parent on the other end of a socketpair, answering
 * IMSG_RESOLVE as routstrd's resolve.c does.
 */

struct fakeparent {
	struct imsgbuf		 fp_ibuf;
	struct event		 fp_ev;
	int			 fp_resolves;
	int			 fp_bad;
	char			 fp_host[IPC_HOST_MAX];
};

static void
fakeparent_read(int fd, short ev, void *arg)
{
	struct fakeparent	*fp = arg;
	struct ipc_resolve	 req;
	struct ipc_resolved	 rep;
	struct imsg		 imsg;
	size_t			 n;

	if (imsgbuf_read(&fp->fp_ibuf) != 1) {
		event_del(&fp->fp_ev);
		return;
	}
	while (imsg_get(&fp->fp_ibuf, &imsg) > 0) {
		if (imsg_get_type(&imsg) != IMSG_RESOLVE ||
		    imsg_get_data(&imsg, &req, sizeof(req)) == -1 ||
		    !ipc_host_ok(req.r_host, sizeof(req.r_host))) {
			fp->fp_bad++;
			imsg_free(&imsg);
			continue;
		}
		fp->fp_resolves++;
		memcpy(fp->fp_host, req.r_host, sizeof(fp->fp_host));
		memset(&rep, 0, sizeof(rep));
		if (strcmp(req.r_host, "imsg.invalid") == 0 ||
		    strcmp(req.r_host, "localhost") == 0) {
			n = 0;
			add_addr(rep.r_addrs, &n, "127.0.0.1");
			rep.r_count = n;
		} else
			rep.r_error = EAI_NONAME;
		(void)imsg_compose(&fp->fp_ibuf, IMSG_RESOLVE_REPLY,
		    imsg_get_id(&imsg), 0, -1, &rep, sizeof(rep));
		(void)imsgbuf_flush(&fp->fp_ibuf);
		imsg_free(&imsg);
	}
}

static int
child_no_dispatch(struct peer *p, struct imsg *imsg)
{
	return (-1);
}

/* Our end becomes the "parent" peer of curlev's imsg resolver. */
static struct peer *
fakeparent_init(struct fakeparent *fp)
{
	struct peer	*p;
	int		 sv[2];

	memset(fp, 0, sizeof(*fp));
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == -1)
		return (NULL);
	if ((p = peer_new(sv[0], PROC_PARENT, 0, child_no_dispatch)) == NULL)
		return (NULL);
	if (imsgbuf_init(&fp->fp_ibuf, sv[1]) == -1)
		return (NULL);
	event_set(&fp->fp_ev, sv[1], EV_READ | EV_PERSIST, fakeparent_read,
	    fp);
	event_add(&fp->fp_ev, NULL);
	return (p);
}

/*
 * The servers.
 */

static int
make_cert(void)
{
	char	 cmd[4 * PATH_MAX];
	int	 fd;

	(void)strlcpy(tmpdir, "/tmp/test_curlev.XXXXXX", sizeof(tmpdir));
	if (mkdtemp(tmpdir) == NULL)
		return (-1);
	(void)snprintf(certfile, sizeof(certfile), "%s/cert.pem", tmpdir);
	(void)snprintf(keyfile, sizeof(keyfile), "%s/key.pem", tmpdir);
	(void)snprintf(cmd, sizeof(cmd), "openssl req -x509 -newkey ec "
	    "-pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
	    "-subj /CN=localhost -keyout %s -out %s "
	    "-addext subjectAltName=DNS:localhost,DNS:test.invalid,"
	    "IP:127.0.0.1 -addext basicConstraints=critical,CA:TRUE "
	    ">/dev/null 2>&1", keyfile, certfile);
	if (system(cmd) != 0)
		return (-1);
	if ((fd = open(certfile, O_RDONLY)) == -1)
		return (-1);
	if (fd_read_all(fd, 65536, &cert, &certlen) == -1)
		return (-1);
	close(fd);
	return (0);
}

/* Listening, backlog 0, never accepting, its queue filled. */
static int
full_listener(int *port, int *cfd)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 s, i;

	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (-1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(s, (struct sockaddr *)&sin, &len) == -1 ||
	    listen(s, 0) == -1)
		return (-1);
	*port = ntohs(sin.sin_port);
	for (i = 0; i < 4; i++) {
		if ((cfd[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK,
		    0)) == -1)
			return (-1);
		(void)connect(cfd[i], (struct sockaddr *)&sin, sizeof(sin));
	}
	usleep(100000);
	return (s);
}

/*
 * The cases.
 */

static void
test_basic(void)
{
	struct curlev_params	 p;
	struct got		 g, g2;
	char			 url[256], url2[256];

	(void)snprintf(url, sizeof(url),
	    "http://127.0.0.1:%d/hello?key=sekrit", sv_http);
	got_init(&g);
	params(&p, &g, url, 0);
	T(fetch(&g, &p, 5000), "GET by address: done");
	T(g.error == CURLEV_OK && g.status == 200, "GET: 200 (%d %s %ld)",
	    g.error, g.errstr, g.status);
	T(g.body != NULL && strcmp(g.body, "hello\n") == 0, "GET: the body");
	T(g.headers == 1 && g.hstatus == 200, "GET: headers callback once");
	T(strcmp(g.ctype, "text/plain") == 0,
	    "GET: curlev_header() case-insensitive");
	T(g.sent && g.http == 1, "GET: sent, HTTP/1.1");
	T(fake_lookups == 0, "GET by address: no lookup");
	got_free(&g);

	/* The log name never shows the query. */
	got_init(&g);
	params(&p, &g, url, 0);
	g.req = curlev_start(&p);
	(void)snprintf(url2, sizeof(url2), "http://127.0.0.1:%d/hello",
	    sv_http);
	T(g.req != NULL && strcmp(curlev_logname(g.req), url2) == 0,
	    "log name without the query: %s",
	    g.req ? curlev_logname(g.req) : "");
	T(curlev_pending() == 1, "one pending");
	T(wait_for(&g.done, 1, 5000), "done");
	T(curlev_pending() == 0, "none pending");
	got_free(&g);

	/* By name, twice: one lookup, one connection. */
	(void)snprintf(url, sizeof(url), "http://test.invalid:%d/hello",
	    sv_http);
	(void)get(&g, url);
	T(g.done && g.status == 200, "GET by name: 200 (%s)",
	    g.errstr);
	T(fake_lookups == 1, "one lookup (%d)", fake_lookups);
	(void)get(&g2, url);
	T(g2.done && g2.status == 200, "again: 200");
	T(fake_lookups == 1, "the answer was remembered (%d)", fake_lookups);
	T(g.conn[0] != '\0' && strcmp(g.conn, g2.conn) == 0,
	    "the connection was reused (%s, %s)", g.conn, g2.conn);
	got_free(&g);
	got_free(&g2);

	/* localhost too comes from the resolver. */
	(void)snprintf(url, sizeof(url), "http://localhost:%d/hello",
	    sv_http);
	(void)get(&g, url);
	T(g.done && g.status == 200, "localhost: 200 (%s)", g.errstr);
	T(fake_lookups == 2, "localhost: looked up (%d)", fake_lookups);
	got_free(&g);

	/* A fresh connection when asked. */
	(void)snprintf(url, sizeof(url), "http://test.invalid:%d/hello",
	    sv_http);
	got_init(&g);
	params(&p, &g, url, 0);
	p.p_flags = CURLEV_F_FRESH;
	(void)fetch(&g, &p, 5000);
	T(g.done && g.status == 200 && strcmp(g.conn, g2.conn)
	    != 0, "CURLEV_F_FRESH: another connection");
	got_free(&g);

	/* Several addresses: the first refuses, the second answers. */
	(void)snprintf(url, sizeof(url), "http://multi.invalid:%d/hello",
	    sv_http);
	(void)get(&g, url);
	T(g.done && g.status == 200,
	    "two addresses, the first refusing: 200 (%s)", g.errstr);
	got_free(&g);
	(void)snprintf(url, sizeof(url), "http://v6.invalid:%d/hello",
	    sv_http);
	(void)get(&g, url);
	T(g.done && g.status == 200,
	    "an IPv6 and an IPv4 address: 200 (%s)", g.errstr);
	got_free(&g);

	/*
	 * More URLs than curlev keeps parsed, twice round: each request goes
	 * where its own URL says, and its log name is its own.
	 */
	{
		int	 i, ok = 1, okname = 1;

		for (i = 0; i < 24; i++) {
			(void)snprintf(url, sizeof(url),
			    "http://127.0.0.1:%d/status/%d", sv_http,
			    460 + i % 12);
			got_init(&g);
			params(&p, &g, url, 0);
			if ((g.req = curlev_start(&p)) == NULL ||
			    strcmp(curlev_logname(g.req), url) != 0)
				okname = 0;
			if (g.req == NULL || !wait_for(&g.done, 1, 5000) ||
			    g.status != 460 + i % 12)
				ok = 0;
			got_free(&g);
		}
		T(ok, "12 URLs in turn, twice: each its own status");
		T(okname, "12 URLs in turn, twice: each its own log name");
	}

	/* Statuses come back as they are; redirects are not followed. */
	(void)snprintf(url, sizeof(url), "http://127.0.0.1:%d/status/404",
	    sv_http);
	(void)get(&g, url);
	T(g.done && g.error == CURLEV_OK && g.status == 404,
	    "404 is a response");
	got_free(&g);
	(void)snprintf(url, sizeof(url), "http://127.0.0.1:%d/redirect",
	    sv_http);
	(void)get(&g, url);
	T(g.done && g.status == 302 && strcmp(g.location, "/hello") ==
	    0 && g.len == 0, "302 not followed, Location given");
	got_free(&g);

	/* Proxies in the environment are not used. */
	setenv("http_proxy", "http://127.0.0.1:1", 1);
	setenv("HTTPS_PROXY", "http://127.0.0.1:1", 1);
	setenv("ALL_PROXY", "http://127.0.0.1:1", 1);
	(void)snprintf(url, sizeof(url), "http://127.0.0.1:%d/hello",
	    sv_http);
	(void)get(&g, url);
	T(g.done && g.status == 200, "http_proxy and ALL_PROXY ignored");
	got_free(&g);
	unsetenv("http_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("ALL_PROXY");

	/* HEAD */
	(void)snprintf(url, sizeof(url), "http://127.0.0.1:%d/hello",
	    sv_http);
	got_init(&g);
	params(&p, &g, url, 0);
	p.p_method = "HEAD";
	(void)fetch(&g, &p, 5000);
	T(g.done && g.status == 200 && g.len == 0,
	    "HEAD: 200, no body");
	got_free(&g);
}

static void
test_post(void)
{
	struct curlev_params	 p;
	struct got		 g;
	const char		*hdrs[] = { "X-Test: one two",
				    "Content-Type: application/json", NULL };
	char			 url[256], *big;
	size_t			 i, bigsz = 2 * 1024 * 1024 + 7;

	(void)snprintf(url, sizeof(url), "http://test.invalid:%d/echo",
	    sv_http);
	got_init(&g);
	params(&p, &g, url, 0);
	p.p_headers = hdrs;
	p.p_body = "{\"a\":1}";
	p.p_bodylen = 7;
	(void)fetch(&g, &p, 5000);
	T(g.done && g.status == 200, "POST: 200");
	T(g.len == 7 && memcmp(g.body, "{\"a\":1}", 7) == 0,
	    "POST: the body went out");
	T(strcmp(g.xmethod, "POST") == 0 && strcmp(g.xtest, "one two") == 0,
	    "POST: method and header went out");
	got_free(&g);

	/* A large body, without "Expect: 100-continue". */
	if ((big = malloc(bigsz)) == NULL)
		abort();
	for (i = 0; i < bigsz; i++)
		big[i] = 'a' + i % 26;
	got_init(&g);
	params(&p, &g, url, 0);
	p.p_body = big;
	p.p_bodylen = bigsz;
	p.p_maxresponse = 4 * 1024 * 1024;
	(void)fetch(&g, &p, 10000);
	T(g.done && g.status == 200 && g.len == bigsz &&
	    memcmp(g.body, big, bigsz) == 0, "POST of 2 MB echoed whole");
	T(g.xexpect[0] == '\0', "no Expect header");
	got_free(&g);
	free(big);

	/* Other methods, and an empty POST. */
	got_init(&g);
	params(&p, &g, url, 0);
	p.p_method = "PUT";
	p.p_body = "x";
	p.p_bodylen = 1;
	(void)fetch(&g, &p, 5000);
	T(g.done && strcmp(g.xmethod, "PUT") == 0 &&
	    g.len == 1, "PUT");
	got_free(&g);
	got_init(&g);
	params(&p, &g, url, 0);
	p.p_method = "POST";
	(void)fetch(&g, &p, 5000);
	T(g.done && g.status == 200 && g.len == 0 &&
	    strcmp(g.xmethod, "POST") == 0, "POST without a body");
	got_free(&g);

	/*
	 * Pooled handles keep nothing of the transfer before: a GET after
	 * the POSTs, a HEAD, then a POST again.
	 */
	(void)snprintf(url, sizeof(url), "http://test.invalid:%d/hello",
	    sv_http);
	(void)get(&g, url);
	T(g.done && g.status == 200 && g.len == 6 &&
	    memcmp(g.body, "hello\n", 6) == 0, "GET after POSTs");
	got_free(&g);
	got_init(&g);
	params(&p, &g, url, 0);
	p.p_method = "HEAD";
	(void)fetch(&g, &p, 5000);
	T(g.done && g.status == 200 && g.len == 0, "HEAD after a GET");
	got_free(&g);
	(void)get(&g, url);
	T(g.done && g.status == 200 && g.len == 6, "GET after a HEAD");
	got_free(&g);
	(void)snprintf(url, sizeof(url), "http://test.invalid:%d/echo",
	    sv_http);
	got_init(&g);
	params(&p, &g, url, 0);
	p.p_body = "z";
	p.p_bodylen = 1;
	(void)fetch(&g, &p, 5000);
	T(g.done && g.status == 200 && g.len == 1 && g.body[0] == 'z' &&
	    strcmp(g.xmethod, "POST") == 0 && g.xtest[0] == '\0',
	    "POST after a HEAD, without the headers of an earlier one");
	got_free(&g);
}

static void
test_concurrent(void)
{
	struct curlev_params	 p;
	struct got		*g;
	char			 url[256];
	int			 i, n = 60, count = 0, ok = 0, before;
	double			 t0;

	if ((g = calloc(n, sizeof(*g))) == NULL)
		abort();
	curlev_names_flush();
	fake_delay_ms = 100;
	before = fake_lookups;
	t0 = now_ms();
	for (i = 0; i < n; i++) {
		(void)snprintf(url, sizeof(url), i % 2 ?
		    "http://test.invalid:%d/hello" :
		    "http://test.invalid:%d/stream?n=3&delay=0.2", sv_http);
		got_init(&g[i]);
		params(&p, &g[i], url, i % 3 == 0);
		g[i].count = &count;
		if ((g[i].req = curlev_start(&p)) == NULL)
			break;
	}
	T(i == n, "%d requests started", n);
	T(wait_for(&count, n, 20000), "all %d done (%d)", n, count);
	for (i = 0; i < n; i++)
		if (g[i].error == CURLEV_OK && g[i].status == 200 &&
		    (i % 2 ? g[i].len == 6 : g[i].len == 24))
			ok++;
	T(ok == n, "all %d answered right (%d)", n, ok);
	T(fake_lookups == before + 1, "one lookup for all of them (%d)",
	    fake_lookups - before);
	/* 30 streams of 0.6 s each: together, not one after another */
	T(now_ms() - t0 < 8000, "concurrently (%.0f ms)", now_ms() - t0);
	fake_delay_ms = 0;
	for (i = 0; i < n; i++)
		got_free(&g[i]);
	free(g);
}

static void
test_stream(void)
{
	struct curlev_params	 p;
	struct got		 g;
	char			 url[256], want[128];
	int			 i;

	(void)snprintf(url, sizeof(url),
	    "http://127.0.0.1:%d/stream?n=5&delay=0.2", sv_http);
	got_init(&g);
	params(&p, &g, url, 1);
	(void)fetch(&g, &p, 10000);
	T(g.done && g.error == CURLEV_OK && g.status == 200,
	    "stream: 200");
	want[0] = '\0';
	for (i = 0; i < 5; i++)
		(void)snprintf(want + strlen(want), sizeof(want) - strlen(want),
		    "chunk %d\n", i);
	T(g.body != NULL && strcmp(g.body, want) == 0, "stream: every chunk");
	/* each chunk as it came, not the whole body at the end */
	T(g.nbody >= 3, "stream: %d pieces", g.nbody);
	T(g.t_done - g.t_body[0] >= 600,
	    "stream: the first chunk long before the end (%.0f ms)",
	    g.t_done - g.t_body[0]);
	got_free(&g);

	/* Backpressure: paused after the first chunk for 700 ms. */
	(void)snprintf(url, sizeof(url),
	    "http://127.0.0.1:%d/stream?n=6&delay=0.05", sv_http);
	got_init(&g);
	params(&p, &g, url, 1);
	g.pause_at = 1;
	g.resume_ms = 700;
	(void)fetch(&g, &p, 10000);
	T(g.done && g.error == CURLEV_OK, "paused stream: done");
	T(g.paused_calls == 0, "nothing delivered while paused");
	T(g.nbody >= 2 && g.t_body[1] - g.t_body[0] >= 650,
	    "the second piece after the pause (%.0f ms)",
	    g.nbody >= 2 ? g.t_body[1] - g.t_body[0] : 0.0);
	T(g.len == 6 * 8, "paused stream: the whole body (%zu)", g.len);
	got_free(&g);

	/* A body callback that says stop. */
	(void)snprintf(url, sizeof(url), "http://127.0.0.1:%d/forever",
	    sv_http);
	got_init(&g);
	params(&p, &g, url, 1);
	g.abort_at = 3;
	(void)fetch(&g, &p, 10000);
	T(g.done && g.error == CURLEV_E_ABORTED &&
	    g.nbody == 3, "p_on_body returning 1 aborts (%d %s)", g.error,
	    g.errstr);
	got_free(&g);
}

static int
stats_aborted(void)
{
	struct got	 g;
	char		 url[256];
	const char	*s;
	int		 n = -1;

	(void)snprintf(url, sizeof(url), "http://127.0.0.1:%d/stats",
	    sv_http);
	if (get(&g, url) && g.body != NULL &&
	    (s = strstr(g.body, "\"aborted\": ")) != NULL)
		n = atoi(s + 11);
	got_free(&g);
	return (n);
}

static void
cancel_cb(int fd, short ev, void *arg)
{
	struct got	*g = arg;

	curlev_cancel(g->req);
	g->cancelled = 1;
}

static void
test_cancel(void)
{
	struct curlev_params	 p;
	struct got		 g;
	struct event		 ev;
	struct timeval		 tv = { 0, 300000 };
	char			 url[256];
	int			 before, after, i;

	run_for(300);		/* the server has seen earlier aborts */
	before = stats_aborted();
	(void)snprintf(url, sizeof(url), "http://127.0.0.1:%d/forever",
	    sv_http);

	/* From inside its own body callback. */
	got_init(&g);
	params(&p, &g, url, 1);
	g.cancel_at = 3;
	T((g.req = curlev_start(&p)) != NULL, "forever: started");
	run_for(600);
	T(g.cancelled && g.done == 0 && g.nbody == 3,
	    "cancelled in p_on_body: no more callbacks (%d)", g.nbody);
	T(curlev_pending() == 0, "cancelled: not pending");
	got_free(&g);

	/* From the loop, mid-transfer. */
	got_init(&g);
	params(&p, &g, url, 1);
	T((g.req = curlev_start(&p)) != NULL, "forever again: started");
	evtimer_set(&ev, cancel_cb, &g);
	evtimer_add(&ev, &tv);
	run_for(800);
	T(g.cancelled && g.done == 0 && g.nbody > 0,
	    "cancelled from a timer after %d pieces, no done", g.nbody);
	got_free(&g);

	/* The server saw both go away. */
	for (i = 0, after = before; i < 20 && after < before + 2; i++) {
		run_for(100);
		after = stats_aborted();
	}
	T(after == before + 2, "the server saw the connections close (%d)",
	    after - before);

	/* While the name is being looked up. */
	(void)snprintf(url, sizeof(url), "http://slow.invalid:%d/hello",
	    sv_http);
	got_init(&g);
	params(&p, &g, url, 0);
	T((g.req = curlev_start(&p)) != NULL, "slow name: started");
	run_for(100);
	curlev_cancel(g.req);
	run_for(100);
	T(g.done == 0 && curlev_pending() == 0,
	    "cancelled while resolving: no callback");
	got_free(&g);
}

static void
test_errors(void)
{
	struct curlev_params	 p;
	struct got		 g;
	char			 url[256];
	double			 t0;
	const char		*bad[] = {
		"ftp://127.0.0.1/x", "file:///etc/passwd",
		"gopher://127.0.0.1/", "http://user:pw@127.0.0.1/",
		"http:///nohost", "http://exa mple.invalid/",
		"http://trailing.dot.invalid./", "127.0.0.1:80/",
		"http://[fe80::1%25eth0]/", "http://ex%61mple.invalid/",
		"http://127.0.0.1:0/", "http://127.0.0.1:99999/", NULL };
	const char		*crlf[] = { "X-A: b\r\nX-Evil: 1", NULL };
	int			 i, refused = 0, lfd, port, cfd[4];

	for (i = 0; bad[i] != NULL; i++) {
		got_init(&g);
		params(&p, &g, bad[i], 0);
		T(curlev_start(&p) == NULL, "refused: %s", bad[i]);
	}
	got_init(&g);
	(void)snprintf(url, sizeof(url), "http://127.0.0.1:%d/hello",
	    sv_http);
	params(&p, &g, url, 0);
	p.p_headers = crlf;
	T(curlev_start(&p) == NULL, "refused: a header with CR LF");
	p.p_headers = NULL;
	p.p_method = "GET /x";
	T(curlev_start(&p) == NULL, "refused: a strange method");
	run_for(50);
	T(g.done == 0 && curlev_pending() == 0, "no callback for those");

	/* Refused connection. */
	(void)snprintf(url, sizeof(url), "http://127.0.0.1:%d/",
	    mockserver_closed_port());
	(void)get(&g, url);
	T(g.done && g.error == CURLEV_E_CONNECT && !g.sent &&
	    g.status == 0, "connection refused (%d %s)", g.error, g.errstr);
	got_free(&g);

	/* A listener whose queue is full drops the SYN: connect timeout. */
	if ((lfd = full_listener(&port, cfd)) != -1) {
		(void)snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
		got_init(&g);
		params(&p, &g, url, 0);
		p.p_connect_ms = 300;
		t0 = now_ms();
		(void)fetch(&g, &p, 5000);
		T(g.done && g.error == CURLEV_E_TIMEOUT && !g.sent &&
		    now_ms() - t0 < 1500, "connect timeout (%d %s, %.0f ms)",
		    g.error, g.errstr, now_ms() - t0);
		got_free(&g);
		for (i = 0; i < 4; i++)
			close(cfd[i]);
		close(lfd);
	} else
		T(0, "a listener with a full queue");

	/* Names that do not resolve. */
	(void)snprintf(url, sizeof(url), "http://nx.invalid:%d/", sv_http);
	(void)get(&g, url);
	T(g.done && g.error == CURLEV_E_RESOLVE &&
	    strcmp(g.errstr, gai_strerror(EAI_NONAME)) == 0,
	    "unknown name (%s)", g.errstr);
	got_free(&g);

	/* Timeouts: total, while resolving, too slow. */
	(void)snprintf(url, sizeof(url), "http://127.0.0.1:%d/slow?delay=3",
	    sv_http);
	got_init(&g);
	params(&p, &g, url, 0);
	p.p_timeout_ms = 500;
	t0 = now_ms();
	(void)fetch(&g, &p, 5000);
	T(g.done && g.error == CURLEV_E_TIMEOUT && g.sent,
	    "total timeout (%d %s)", g.error, g.errstr);
	T(now_ms() - t0 < 1500, "in time (%.0f ms)", now_ms() - t0);
	got_free(&g);

	(void)snprintf(url, sizeof(url), "http://slow.invalid:%d/hello",
	    sv_http);
	got_init(&g);
	params(&p, &g, url, 0);
	p.p_timeout_ms = 300;
	t0 = now_ms();
	(void)fetch(&g, &p, 5000);
	T(g.done && g.error == CURLEV_E_TIMEOUT && !g.sent,
	    "timeout while resolving (%s)", g.errstr);
	T(now_ms() - t0 < 1000, "in time (%.0f ms)", now_ms() - t0);
	got_free(&g);

	(void)snprintf(url, sizeof(url),
	    "http://127.0.0.1:%d/stream?n=3&delay=2", sv_http);
	got_init(&g);
	params(&p, &g, url, 1);
	p.p_lowspeed_bytes = 100;
	p.p_lowspeed_secs = 1;
	t0 = now_ms();
	(void)fetch(&g, &p, 8000);
	T(g.done && g.error == CURLEV_E_TIMEOUT,
	    "too slow (%d %s)", g.error, g.errstr);
	T(now_ms() - t0 < 3500, "in time (%.0f ms)", now_ms() - t0);
	got_free(&g);

	/* Limits: known length, chunked, collected, headers. */
	(void)snprintf(url, sizeof(url), "http://127.0.0.1:%d/big?size=5000",
	    sv_http);
	got_init(&g);
	params(&p, &g, url, 0);
	p.p_maxresponse = 1000;
	(void)fetch(&g, &p, 5000);
	T(g.done && g.error == CURLEV_E_TOOBIG,
	    "over the limit, with Content-Length (%s)", g.errstr);
	got_free(&g);
	got_init(&g);
	params(&p, &g, url, 0);
	p.p_maxresponse = 5000;
	(void)fetch(&g, &p, 5000);
	T(g.done && g.error == CURLEV_OK && g.len == 5000,
	    "at the limit");
	got_free(&g);
	(void)snprintf(url, sizeof(url),
	    "http://127.0.0.1:%d/stream?n=5&delay=0.01", sv_http);
	got_init(&g);
	params(&p, &g, url, 1);
	p.p_maxresponse = 20;
	(void)fetch(&g, &p, 5000);
	T(g.done && g.error == CURLEV_E_TOOBIG && g.len <= 20,
	    "over the limit, chunked and streamed (%zu)", g.len);
	got_free(&g);
	(void)snprintf(url, sizeof(url), "http://127.0.0.1:%d/headers?n=150",
	    sv_http);
	(void)get(&g, url);
	T(g.done && g.error == CURLEV_E_TOOBIG && g.headers == 0,
	    "too many headers (%s)", g.errstr);
	got_free(&g);
	(void)snprintf(url, sizeof(url), "http://127.0.0.1:%d/headers?n=50",
	    sv_http);
	(void)get(&g, url);
	T(g.done && g.error == CURLEV_OK, "50 headers are fine");
	got_free(&g);
	for (i = 0; i < 3; i++) {
		(void)snprintf(url, sizeof(url), "http://127.0.0.1:%d/",
		    mockserver_closed_port());
		if (get(&g, url) && g.error == CURLEV_E_CONNECT)
			refused++;
		got_free(&g);
	}
	T(refused == 3, "refused connections do not linger");
}

static void
test_tls(void)
{
	struct curlev_params	 p;
	struct got		 g;
	char			 url[256];

	(void)snprintf(url, sizeof(url), "https://localhost:%d/hello",
	    sv_https);
	got_init(&g);
	params(&p, &g, url, 0);
	p.p_ca = cert;
	p.p_calen = certlen;
	(void)fetch(&g, &p, 5000);
	T(g.done && g.error == CURLEV_OK && g.status == 200 &&
	    g.len == 6, "https with the CA blob: 200 (%d %s)", g.error,
	    g.errstr);
	got_free(&g);

	got_init(&g);
	params(&p, &g, url, 0);
	(void)fetch(&g, &p, 5000);
	T(g.done && g.error == CURLEV_E_TLS && !g.sent,
	    "https against the system bundle: refused (%d %s)", g.error,
	    g.errstr);
	got_free(&g);

	(void)snprintf(url, sizeof(url), "https://127.0.0.1:%d/stream?n=3&"
	    "delay=0.05", sv_https);
	got_init(&g);
	params(&p, &g, url, 1);
	p.p_ca = cert;
	p.p_calen = certlen;
	(void)fetch(&g, &p, 5000);
	T(g.done && g.error == CURLEV_OK && g.len == 24,
	    "https by address, streamed");
	got_free(&g);

	(void)snprintf(url, sizeof(url), "https://other.invalid:%d/hello",
	    sv_https);
	got_init(&g);
	params(&p, &g, url, 0);
	p.p_ca = cert;
	p.p_calen = certlen;
	(void)fetch(&g, &p, 5000);
	T(g.done && g.error == CURLEV_E_TLS,
	    "https to a name not in the certificate: refused (%s)", g.errstr);
	got_free(&g);

	(void)snprintf(url, sizeof(url), "https://test.invalid:%d/echo",
	    sv_https);
	got_init(&g);
	params(&p, &g, url, 0);
	p.p_ca = cert;
	p.p_calen = certlen;
	p.p_body = "tls";
	p.p_bodylen = 3;
	(void)fetch(&g, &p, 5000);
	T(g.done && g.status == 200 && g.len == 3,
	    "https POST by name");
	got_free(&g);
}

static void
test_imsg(void)
{
	struct fakeparent	 fp;
	struct got		 g;
	struct peer		*peer;
	char			 url[256];

	T((peer = fakeparent_init(&fp)) != NULL, "imsg: a fake parent");
	curlev_set_resolver(NULL);
	curlev_set_resolver_peer(peer);
	(void)snprintf(url, sizeof(url), "http://imsg.invalid:%d/hello",
	    sv_http);
	(void)get(&g, url);
	T(g.done && g.status == 200, "imsg: resolved by the parent "
	    "(%d %s)", g.error, g.errstr);
	T(fp.fp_resolves == 1 && strcmp(fp.fp_host, "imsg.invalid") == 0 &&
	    fp.fp_bad == 0, "imsg: one IMSG_RESOLVE for imsg.invalid");
	got_free(&g);
	(void)get(&g, url);
	T(g.done && g.status == 200 && fp.fp_resolves == 1,
	    "imsg: remembered");
	got_free(&g);
	(void)snprintf(url, sizeof(url), "http://nx-imsg.invalid:%d/hello",
	    sv_http);
	(void)get(&g, url);
	T(g.done && g.error == CURLEV_E_RESOLVE &&
	    fp.fp_resolves == 2, "imsg: the parent's failure (%s)", g.errstr);
	got_free(&g);
	curlev_set_resolver(&fake_resolver);
	curlev_set_resolver_peer(NULL);
	peer_close(peer);
	event_del(&fp.fp_ev);
	close(fp.fp_ibuf.fd);
	imsgbuf_clear(&fp.fp_ibuf);
}

/*
 * In a child, under the PROC_MINT sandbox: names over imsg, http,
 * https with the CA blob, a stream, a refused connection.  Returns the
 * number of the first step that failed, 0 when all went well.
 */
static int
sandboxed(int confine)
{
	struct fakeparent	 fp;
	struct curlev_params	 p;
	struct got		 g;
	struct peer		*peer;
	char			 url[256];
	int			 port;

	event_init();
	log_init(1, LOG_DAEMON);
	if (curlev_init(NULL) == -1)
		return (1);
	if ((peer = fakeparent_init(&fp)) == NULL)
		return (2);
	curlev_set_resolver_peer(peer);
	port = mockserver_closed_port();
	if (confine)
		sandbox_confine(PROC_MINT, NULL);

	(void)snprintf(url, sizeof(url), "http://imsg.invalid:%d/hello",
	    sv_http);
	if (!get(&g, url) || g.status != 200 || fp.fp_resolves != 1)
		return (3);
	(void)snprintf(url, sizeof(url), "https://localhost:%d/hello",
	    sv_https);
	got_init(&g);
	params(&p, &g, url, 0);
	p.p_ca = cert;
	p.p_calen = certlen;
	if (!fetch(&g, &p, 5000) || g.status != 200 || g.len != 6)
		return (4);
	(void)snprintf(url, sizeof(url), "https://127.0.0.1:%d/hello",
	    sv_https);
	if (!get(&g, url) || g.error != CURLEV_E_TLS)
		return (5);
	(void)snprintf(url, sizeof(url),
	    "http://127.0.0.1:%d/stream?n=3&delay=0.05", sv_http);
	got_init(&g);
	params(&p, &g, url, 1);
	if (!fetch(&g, &p, 5000) || g.status != 200 || g.len != 24)
		return (6);
	(void)snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	if (!get(&g, url) || g.error != CURLEV_E_CONNECT)
		return (7);
	(void)snprintf(url, sizeof(url), "http://imsg.invalid:%d/echo",
	    sv_http);
	got_init(&g);
	params(&p, &g, url, 0);
	p.p_body = "sandboxed";
	p.p_bodylen = 9;
	if (!fetch(&g, &p, 5000) || g.len != 9)
		return (8);
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
		_exit(sandboxed(1));
	}
	if (waitpid(pid, &status, 0) == -1)
		abort();
	T(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "requests under the PROC_MINT sandbox (%s %d)",
	    WIFSIGNALED(status) ? "signal" : "exit",
	    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

/* The same requests under strace: not one clone, fork or vfork. */
static void
test_strace(const char *self)
{
	char	 out[PATH_MAX], line[512], ports[32];
	FILE	*f;
	pid_t	 pid;
	int	 status, clones = 0, lines = 0;

	if (system("strace -o /dev/null true >/dev/null 2>&1") != 0) {
		printf("# strace missing or not allowed: skipped\n");
		return;
	}
	(void)snprintf(out, sizeof(out), "%s/strace.out", tmpdir);
	(void)snprintf(ports, sizeof(ports), "%d:%d", sv_http, sv_https);
	fflush(stdout);
	if ((pid = fork()) == -1)
		abort();
	if (pid == 0) {
		/* LeakSanitizer's check at exit would clone */
		setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
		execlp("strace", "strace", "-f", "-qq", "-o", out,
		    "-e", "trace=clone,clone3,fork,vfork,execve", self,
		    "-s", ports, certfile, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) == -1)
		abort();
	T(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "the requests ran under strace (%d)", status);
	if ((f = fopen(out, "r")) == NULL) {
		T(0, "strace output");
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lines++;
		if (strstr(line, "clone") != NULL ||
		    strstr(line, "fork(") != NULL) {
			clones++;
			printf("# %s", line);
		}
	}
	fclose(f);
	T(lines > 0 && clones == 0, "strace: no clone, fork or vfork (%d)",
	    clones);
}

/* HTTP/2 against nginx, when it is there. */
static void
test_http2(void)
{
	struct curlev_params	 p;
	struct got		 g;
	char			 conf[PATH_MAX], url[256], prefix[128];
	FILE			*f;
	pid_t			 pid;
	int			 port, i, status;

	if (system("command -v nginx >/dev/null 2>&1") != 0) {
		printf("# nginx missing: HTTP/2 not tested\n");
		return;
	}
	port = mockserver_closed_port();
	(void)snprintf(prefix, sizeof(prefix), "%s/nginx", tmpdir);
	(void)mkdir(prefix, 0700);
	(void)snprintf(conf, sizeof(conf), "%s/nginx.conf", prefix);
	if ((f = fopen(conf, "w")) == NULL)
		abort();
	fprintf(f, "daemon off; master_process off; pid %s/nginx.pid;\n"
	    "error_log %s/error.log;\n"
	    "events { worker_connections 64; }\n"
	    "http { access_log off;\n"
	    "  client_body_temp_path %s; proxy_temp_path %s;\n"
	    "  fastcgi_temp_path %s; uwsgi_temp_path %s; scgi_temp_path %s;\n"
	    "  server { listen 127.0.0.1:%d ssl http2;\n"
	    "    ssl_certificate %s; ssl_certificate_key %s;\n"
	    "    location / { default_type text/plain; return 200 \"h2\\n\"; }"
	    "\n  }\n}\n", prefix, prefix, prefix, prefix, prefix, prefix,
	    prefix, port, certfile, keyfile);
	fclose(f);
	fflush(stdout);
	if ((pid = fork()) == -1)
		abort();
	if (pid == 0) {
		int	 null = open("/dev/null", O_RDWR);

		/* it goes when we go, however we go */
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);

		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		closefrom(3);
		execlp("nginx", "nginx", "-p", prefix, "-c", conf,
		    (char *)NULL);
		_exit(127);
	}
	(void)snprintf(url, sizeof(url), "https://localhost:%d/x", port);
	for (i = 0; i < 50; i++) {
		got_init(&g);
		params(&p, &g, url, 0);
		p.p_ca = cert;
		p.p_calen = certlen;
		if (fetch(&g, &p, 2000) && g.error == CURLEV_OK)
			break;
		got_free(&g);
		if (waitpid(pid, &status, WNOHANG) == pid) {
			printf("# nginx did not start: HTTP/2 not tested\n");
			return;
		}
		run_for(100);
	}
	T(g.status == 200 && g.http == 2 && g.len == 3,
	    "HTTP/2 when the server offers it (%d, %ld)", g.http, g.status);
	got_free(&g);
	got_init(&g);
	params(&p, &g, url, 0);
	p.p_ca = cert;
	p.p_calen = certlen;
	p.p_flags = CURLEV_F_HTTP1;
	(void)fetch(&g, &p, 5000);
	T(g.done && g.status == 200 && g.http == 1,
	    "CURLEV_F_HTTP1: HTTP/1.1 (%d)", g.http);
	got_free(&g);
	kill(pid, SIGTERM);
	(void)waitpid(pid, NULL, 0);
}

/* -s HTTP:HTTPS CERT: the strace run's requests, unsandboxed. */
static int
strace_child(const char *ports, const char *certpath)
{
	int	 fd;

	if (sscanf(ports, "%d:%d", &sv_http, &sv_https) != 2)
		return (90);
	if ((fd = open(certpath, O_RDONLY)) == -1 ||
	    fd_read_all(fd, 65536, &cert, &certlen) == -1)
		return (91);
	close(fd);
	return (sandboxed(0));
}

int
main(int argc, char *argv[])
{
	const char	*args[] = { "--cert", certfile, "--key", keyfile,
			    NULL };
	char		 cmd[PATH_MAX + 16];
	int		 i;

	if (argc == 4 && strcmp(argv[1], "-s") == 0)
		return (strace_child(argv[2], argv[3]));

	signal(SIGPIPE, SIG_IGN);
	log_init(1, LOG_DAEMON);
	if (!T(make_cert() == 0, "a throwaway certificate"))
		return (test_done());
	i = mockserver_start(&mocksrv, "curlev-server.py", args,
	    MOCKSERVER_WAIT_MS);
	sv_http = mocksrv.ms_port;
	sv_https = mocksrv.ms_tls_port;
	if (!T(i == 0 && sv_https > 0, "the test server (%d, %d)", sv_http,
	    sv_https))
		return (test_done());

	/* First, before this process has libcurl state to inherit. */
	test_sandbox();
	test_strace(argv[0]);

	event_init();
	T(curlev_init(NULL) == 0, "curlev_init");
	T(curlev_init("/nonexistent/ca.pem") == 0, "curlev_init twice: no-op");
	curlev_set_resolver(&fake_resolver);

	test_basic();
	test_post();
	test_concurrent();
	test_stream();
	test_cancel();
	test_errors();
	test_tls();
	test_imsg();
	test_http2();

	T(curlev_pending() == 0, "nothing left pending");
	curlev_shutdown();
	mockserver_stop(&mocksrv);
	(void)snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		printf("# %s failed\n", cmd);
	freezero(cert, certlen);
	return (test_done());
}
