/*
 * test_upstream: routstrd/upstream.c end to end, in this process: the
 * proxy's real HTTP server (http_server.c) serves a client on a
 * socketpair, the handler forwards each request with upstream_start()
 * as the billing layer will (and replies as it will), to
 * regress/upstream-mock.py over HTTP on 127.0.0.1, or to the built-in
 * echo.  The client is a raw socket in the same event loop, so a test
 * can stop reading (backpressure), close (client gone) and time what
 * arrives.  Once more in a forked child under the PROC_PROXY sandbox.
 * The logs of the whole run (stderr, debug level) must hold no key,
 * prompt or completion.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "base64.h"
#include "curlev.h"
#include "http.h"
#include "ipc.h"
#include "log.h"
#include "mockserver.h"
#include "proxy.h"
#include "sandbox.h"
#include "upstream.h"
#include "xlate.h"
#include "test.h"

#define WAIT_MS		10000
#define TICK_MS		5
#define KEY_OPENAI	"test-key-123"
#define KEY_ANTHROPIC	"ant-key-456"
#define PROMPT		"secret prompt words"
#define CHAT_BODY	"{\"model\":\"client-model\",\"messages\":[{\"role\":" \
			"\"user\",\"content\":\"" PROMPT "\"}]}"
#define CHAT_STREAM	"{\"model\":\"client-model\",\"stream\":true," \
			"\"messages\":[{\"role\":\"user\",\"content\":\"" \
			PROMPT "\"}]}"
#define MOCK_TEXT	"mock: hello from the mock"

static const struct http_limits lim = {
	.max_connections = 16,
	.max_header_size = 8192,
	.max_headers = 32,
	.max_body_size = 16 * 1024 * 1024,
	.timeout_idle = 10,
	.timeout_read = 10,
};

struct client {
	int		 fd;
	struct event	 ev;
	int		 ev_on;
	char		*buf;
	size_t		 len;
	size_t		 cap;
	int		 eof;
	const char	*marker;	/* note when it first arrives */
	double		 t_marker;
	int		 close_at_marker;
	double		 t_closed;
	int		 noread_ms;	/* start reading this late */
	struct event	 read_ev;
	int		 read_ev_on;
};

struct run {
	struct proxy_upstream	*up;
	const char		*path;
	char			*body;		/* as the upstream gets it */
	int			 stream;
	int			 flags;
	int			 drop_failover;	/* fail over to the echo */
	int			 cancel_ms;	/* upstream_cancel() then */
	struct event		 cancel_ev;
	int			 cancel_on;

	struct http_conn	*conn;
	struct upstream_req	*req;
	int			 attempts;
	int			 nstatus;
	long			 statuses[4];
	int			 st_stream;
	char			 st_ctype[128];
	int			 ndone;
	int			 error;
	long			 status;
	int			 api;
	int			 streamed;
	int			 client_gone;
	int			 complete;
	int			 failover;
	int			 has_json;
	int			 has_root;
	u_int			 pauses;
	uint64_t		 received;
	uint64_t		 chars;
	struct usage		 usage;
	char			*final;
	char			*rbody;
	double			 t_done;
	size_t			 max_pending;
	int			 start_failed;
};

static struct mockserver mocksrv;
static struct proxy_upstream up_openai, up_anth, up_echo, up_dead, up_slow;
static struct run	*cur;
static struct client	 cli = { .fd = -1 };
static struct event	 tick_ev;
static char		 logpath[PATH_MAX];

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

/*
 * The mock: started once, spoken to with blocking one-shot requests.
 */

static int
knobs(const char *json)
{
	char	*r;

	if ((r = mockserver_http(mocksrv.ms_port, "POST", "/mock/knobs", json,
	    NULL)) == NULL)
		return (-1);
	free(r);
	return (0);
}

static json_t *
mock_stats(void)
{
	json_error_t	 err;
	json_t		*j;
	char		*r;

	if ((r = mockserver_http(mocksrv.ms_port, "GET", "/mock/stats", NULL,
	    NULL)) == NULL)
		return (NULL);
	j = json_loads(r, 0, &err);
	free(r);
	return (j);
}

static long long
stat_int(const char *key)
{
	json_t		*j = mock_stats();
	long long	 v = -1;

	if (j != NULL)
		v = json_integer_value(json_object_get(j, key));
	json_decref(j);
	return (v);
}

/* A string of the mock's stats, or "" (static). */
static const char *
stat_str(const char *key)
{
	static char	 v[256];
	json_t		*j = mock_stats(), *h;

	v[0] = '\0';
	if (json_is_string(h = json_object_get(j, key)))
		(void)strlcpy(v, json_string_value(h), sizeof(v));
	json_decref(j);
	return (v);
}

/* A header the mock saw last, or "" (static). */
static const char *
mock_header(const char *name)
{
	static char	 v[256];
	json_t		*j = mock_stats(), *h;

	v[0] = '\0';
	h = json_object_get(json_object_get(j, "last_headers"), name);
	if (json_is_string(h))
		(void)strlcpy(v, json_string_value(h), sizeof(v));
	json_decref(j);
	return (v);
}

static json_t *
mock_last_body(void)
{
	json_error_t	 err;
	json_t		*j = mock_stats(), *b, *r = NULL;

	b = json_object_get(j, "last_body");
	if (json_is_string(b))
		r = json_loads(json_string_value(b), 0, &err);
	json_decref(j);
	return (r);
}

/*
 * The client, on the other end of a socketpair the server serves.
 */

static void	 client_close(void);

static void
client_read(int fd, short ev, void *arg)
{
	ssize_t	 n;

	for (;;) {
		if (cli.len + 65536 + 1 > cli.cap) {
			cli.cap = cli.cap ? cli.cap * 2 : 131072;
			if ((cli.buf = realloc(cli.buf, cli.cap)) == NULL)
				abort();
			/*
			 * A string even before the first byte: a reused
			 * block may hold the last case's answer.
			 */
			cli.buf[cli.len] = '\0';
		}
		n = read(cli.fd, cli.buf + cli.len, cli.cap - cli.len - 1);
		if (n == -1 && errno == EAGAIN)
			break;
		if (n <= 0) {
			cli.eof = 1;
			event_del(&cli.ev);
			cli.ev_on = 0;
			break;
		}
		cli.len += n;
		cli.buf[cli.len] = '\0';
	}
	if (cli.marker != NULL && cli.t_marker == 0 &&
	    memmem(cli.buf, cli.len, cli.marker, strlen(cli.marker)) != NULL) {
		cli.t_marker = now();
		if (cli.close_at_marker) {
			if (cli.ev_on)
				event_del(&cli.ev);
			cli.ev_on = 0;
			close(cli.fd);
			cli.fd = -1;
			cli.t_closed = now();
		}
	}
}

static void
client_start_reading(int fd, short ev, void *arg)
{
	cli.read_ev_on = 0;
	if (cli.fd == -1 || cli.ev_on)
		return;
	event_set(&cli.ev, cli.fd, EV_READ | EV_PERSIST, client_read, NULL);
	event_add(&cli.ev, NULL);
	cli.ev_on = 1;
	client_read(cli.fd, EV_READ, NULL);
}

static int
client_open(const char *extra, const char *body)
{
	char		 head[1024];
	int		 sv[2], n;
	size_t		 blen = strlen(body), off = 0;
	ssize_t		 w;

	/* no event of the last client may stay registered */
	client_close();
	free(cli.buf);
	memset(&cli, 0, sizeof(cli));
	cli.fd = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		return (-1);
	if (server_accept_fd(sv[0], 1, NULL) == -1)
		return (-1);
	cli.fd = sv[1];
	n = snprintf(head, sizeof(head), "POST /v1/test HTTP/1.1\r\n"
	    "Host: test\r\nContent-Type: application/json\r\n%s"
	    "Content-Length: %zu\r\n\r\n", extra != NULL ? extra : "", blen);
	if (write(cli.fd, head, n) != n)
		return (-1);
	/* a big body: the server reads it while we write */
	while (off < blen) {
		if ((w = write(cli.fd, body + off, blen - off)) == -1)
			return (-1);
		off += w;
	}
	if (fcntl(cli.fd, F_SETFL, O_NONBLOCK) == -1)
		return (-1);
	return (0);
}

static void
client_arm(void)
{
	struct timeval	 tv;

	if (cli.noread_ms > 0) {
		tv.tv_sec = cli.noread_ms / 1000;
		tv.tv_usec = (cli.noread_ms % 1000) * 1000;
		evtimer_set(&cli.read_ev, client_start_reading, NULL);
		evtimer_add(&cli.read_ev, &tv);
		cli.read_ev_on = 1;
	} else
		client_start_reading(-1, 0, NULL);
}

static void
client_close(void)
{
	if (cli.ev_on)
		event_del(&cli.ev);
	cli.ev_on = 0;
	if (cli.read_ev_on)
		evtimer_del(&cli.read_ev);
	cli.read_ev_on = 0;
	if (cli.fd != -1)
		close(cli.fd);
	cli.fd = -1;
}

/*
 * The response the client got: status and body (dechunked, static
 * until the next call); 1 when complete.  aligned: every chunk of a
 * chunked body ended at a line end (an SSE event's end).
 */
static int
client_response(int *status, const char **body, size_t *blen, int *aligned)
{
	static char	*out;
	char		*h, *p, *e, *cl, *te, *end;
	size_t		 olen = 0, size, hlen;
	int		 complete = 0;

	free(out);
	if ((out = calloc(1, cli.len + 1)) == NULL)
		abort();
	*status = 0;
	*body = out;
	*blen = 0;
	if (aligned != NULL)
		*aligned = 1;
	/* only the cli.len bytes read count */
	if (cli.buf == NULL || cli.len < 12 ||
	    (h = memmem(cli.buf, cli.len, "\r\n\r\n", 4)) == NULL)
		return (0);
	*status = atoi(cli.buf + 9);
	hlen = h + 4 - cli.buf;
	p = h + 4;
	end = cli.buf + cli.len;
	if ((te = strcasestr(cli.buf, "transfer-encoding: chunked")) != NULL &&
	    te < h) {
		for (;;) {
			/*
			 * The size line is short: looking further would
			 * make this quadratic (ASan checks the whole range
			 * memmem is given).
			 */
			if ((e = memmem(p, end - p < 32 ? end - p : 32,
			    "\r\n", 2)) == NULL)
				break;
			size = strtoul(p, NULL, 16);
			if (size == 0) {
				complete = 1;
				break;
			}
			/* the chunk and its CRLF, all read */
			if (size > cli.len ||
			    (size_t)(end - (e + 2)) < size + 2)
				break;
			memcpy(out + olen, e + 2, size);
			olen += size;
			if (aligned != NULL && e[2 + size - 1] != '\n')
				*aligned = 0;
			p = e + 2 + size + 2;
		}
	} else if ((cl = strcasestr(cli.buf, "content-length: ")) != NULL &&
	    cl < h) {
		size = strtoul(cl + 16, NULL, 10);
		olen = cli.len - hlen < size ? cli.len - hlen : size;
		memcpy(out, p, olen);
		complete = cli.len - hlen >= size;
	}
	out[olen] = '\0';
	*blen = olen;
	return (complete);
}

static size_t
count(const char *hay, const char *needle)
{
	size_t	 n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return (n);
}

/*
 * The handler: what the billing layer will do, minus the money.
 */

static int	 on_status(struct upstream_req *,
		    const struct upstream_status *, void *);
static void	 on_done(struct upstream_req *,
		    const struct upstream_result *, void *);

static int
attempt(struct run *r, struct proxy_upstream *up)
{
	struct upstream_params	 p;

	memset(&p, 0, sizeof(p));
	p.p_upstream = up;
	p.p_path = r->path;
	p.p_body = r->body;
	p.p_bodylen = strlen(r->body);
	p.p_stream = r->stream;
	p.p_flags = r->flags;
	p.p_conn = r->conn;
	p.p_on_status = on_status;
	p.p_on_done = on_done;
	p.p_arg = r;
	r->attempts++;
	if ((r->req = upstream_start(&p)) == NULL) {
		r->start_failed = 1;
		return (-1);
	}
	return (0);
}

static int
on_status(struct upstream_req *u, const struct upstream_status *st,
    void *arg)
{
	struct run	*r = arg;
	const char	*ct;

	if (r->nstatus < 4)
		r->statuses[r->nstatus] = st->st_status;
	r->nstatus++;
	r->st_stream = st->st_stream;
	ct = upstream_header(u, "Content-Type");
	(void)strlcpy(r->st_ctype, ct != NULL ? ct : "", sizeof(r->st_ctype));
	if (r->drop_failover && st->st_failover && r->attempts < 3) {
		/* the next candidate, on the same connection */
		(void)attempt(r, &up_echo);
		return (UPSTREAM_DROP);
	}
	if (st->st_stream)
		(void)http_reply_header(r->conn, "X-Test", "streamed");
	return (UPSTREAM_TAKE);
}

static void
on_done(struct upstream_req *u, const struct upstream_result *res,
    void *arg)
{
	struct run	*r = arg;
	char		 msg[128];

	r->ndone++;
	r->t_done = now();
	r->error = res->ur_error;
	r->status = res->ur_status;
	r->api = res->ur_api;
	r->streamed = res->ur_streamed;
	r->client_gone = res->ur_client_gone;
	r->complete = res->ur_complete;
	r->failover = res->ur_failover;
	/* a 2xx answer is read in place, an error body parsed */
	r->has_json = res->ur_json != NULL || res->ur_root.js_p != NULL;
	r->has_root = res->ur_root.js_p != NULL;
	r->pauses = res->ur_pauses;
	r->received = res->ur_received;
	r->chars = res->ur_completion_chars;
	r->usage = res->ur_usage;
	free(r->final);
	r->final = res->ur_final != NULL ? strdup(res->ur_final) : NULL;
	free(r->rbody);
	r->rbody = res->ur_body != NULL ? strndup(res->ur_body,
	    res->ur_bodylen) : NULL;
	r->req = NULL;
	if (res->ur_client_gone) {
		r->conn = NULL;
		return;
	}
	if (res->ur_streamed)
		(void)upstream_stream_finish(r->conn, res->ur_api,
		    res->ur_final, NULL);
	else if (res->ur_status != 0 && res->ur_error == UPSTREAM_OK)
		(void)http_reply(r->conn, (int)res->ur_status, res->ur_ctype,
		    res->ur_body, res->ur_bodylen);
	else {
		(void)snprintf(msg, sizeof(msg), "upstream: %s",
		    res->ur_errstr);
		(void)http_reply_error(r->conn, 502, msg);
	}
	r->conn = NULL;
}

static void
cancel_cb(int fd, short ev, void *arg)
{
	struct run	*r = arg;

	r->cancel_on = 0;
	upstream_cancel(r->req);
	r->req = NULL;
	(void)http_reply_error(r->conn, 504, "cancelled");
	r->conn = NULL;
	r->ndone = -1;		/* as if done: nothing more comes */
}

static void
handler(struct http_conn *conn, struct http_request *req)
{
	struct timeval	 tv;

	if (cur == NULL) {
		(void)http_reply_error(conn, 500, "no test");
		return;
	}
	cur->conn = conn;
	if (attempt(cur, cur->up) == -1) {
		(void)http_reply_error(conn, 500, "upstream_start failed");
		cur->conn = NULL;
		cur->ndone = -1;
		return;
	}
	if (cur->cancel_ms > 0) {
		tv.tv_sec = 0;
		tv.tv_usec = cur->cancel_ms * 1000;
		evtimer_set(&cur->cancel_ev, cancel_cb, cur);
		evtimer_add(&cur->cancel_ev, &tv);
		cur->cancel_on = 1;
	}
}

static void
tick(int fd, short ev, void *arg)
{
	struct timeval	 tv = { 0, TICK_MS * 1000 };
	size_t		 n;

	if (cur != NULL && cur->conn != NULL && cur->ndone == 0) {
		n = http_conn_pending(cur->conn);
		if (n > cur->max_pending)
			cur->max_pending = n;
	}
	evtimer_add(&tick_ev, &tv);
}

static int
run_done(void)
{
	int		 status, aligned;
	const char	*b;
	size_t		 bl;

	if (cur->ndone == 0)
		return (0);
	if (cli.fd == -1 || cli.eof)
		return (1);
	return (client_response(&status, &b, &bl, &aligned));
}

static void
loop_ms(long ms)
{
	double	 end = now() + ms / 1000.0;

	while (now() < end)
		event_loop(EVLOOP_ONCE);
}

/* A request on its way; the client may be set up before client_arm(). */
static int
start(struct run *r, const char *extra, const char *body)
{
	cur = r;
	free(r->body);
	r->body = strdup(body);
	if (r->path == NULL)
		r->path = "/chat/completions";
	return (client_open(extra, body));
}

/*
 * Until the case is done and the client has it all: WAIT_MS after the
 * client last got something (a long answer on a loaded machine takes
 * its time, under valgrind minutes; a stuck one gets nowhere),
 * WAIT_MS * 18 at most.
 */
static void
wait_done(void)
{
	double	 t = now(), end = t + WAIT_MS / 1000.0;
	double	 last = t + 18 * WAIT_MS / 1000.0;
	size_t	 len = cli.len;

	while (!run_done() && (t = now()) < end && t < last) {
		event_loop(EVLOOP_ONCE);
		if (cli.len != len) {
			len = cli.len;
			end = now() + WAIT_MS / 1000.0;
		}
	}
}

/*
 * A slow client: it reads nothing until more than the upstream may make
 * it wait for is queued for it (the upstream should have paused: the
 * tick sees it), then nothing for ms more (a pause that does not hold
 * lets the queue grow).  Not on a clock alone: on a loaded machine the
 * upstream may not have filled the queue by then.
 */
static void
client_arm_when_full(struct run *r, int ms)
{
	double	 end = now() + WAIT_MS / 1000.0;

	while (r->max_pending <= UPSTREAM_PENDING_HIGH && r->ndone == 0 &&
	    now() < end)
		event_loop(EVLOOP_ONCE);
	cli.noread_ms = ms;
	client_arm();
}

/* Run one request through it all; 0 when it ended in time. */
static int
run(struct run *r, const char *extra, const char *body)
{
	int	 ok;

	if (start(r, extra, body) == -1)
		return (-1);
	client_arm();
	wait_done();
	ok = run_done();
	if (r->cancel_on)
		evtimer_del(&r->cancel_ev);
	r->cancel_on = 0;
	return (ok ? 0 : -1);
}

/*
 * After a case: the client leaves, the server forgets it, and nothing
 * (a request not done in time, a timer) points at the run any more:
 * it is cleared for the next case and may be on a stack gone soon.
 */
static void
run_end(struct run *r)
{
	double	 end = now() + WAIT_MS / 1000.0;

	if (r->cancel_on)
		evtimer_del(&r->cancel_ev);
	r->cancel_on = 0;
	if (r->req != NULL)
		upstream_cancel(r->req);
	r->req = NULL;
	/* the server frees the connection once the client is gone */
	r->conn = NULL;
	cur = NULL;
	client_close();
	while (server_connections() > 0 && now() < end)
		event_loop(EVLOOP_ONCE);
	free(r->body);
	free(r->final);
	free(r->rbody);
	memset(r, 0, sizeof(*r));
}

/* The body a billing layer sends: model and include_usage rewritten. */
static char *
prepared(const char *body, const char *model, int api, int stream)
{
	struct jspan	 v;
	size_t		 len;

	if (jscan_parse(body, strlen(body), &v) == -1)
		return (NULL);
	return (upstream_body_text(&v, model, api, stream, &len));
}

/*
 * The cases.
 */

static void
test_plain(void)
{
	struct run	 r;
	const char	*b;
	size_t		 bl;
	int		 status;
	char		*body;
	json_t		*j;

	knobs("{\"reset\":true}");
	memset(&r, 0, sizeof(r));
	r.up = &up_openai;
	body = prepared(CHAT_BODY, "upstream-model", UPSTREAM_API_CHAT, 0);
	T(run(&r, NULL, body) == 0, "plain: done");
	T(r.nstatus == 1 && r.statuses[0] == 200 && !r.st_stream &&
	    strncmp(r.st_ctype, "application/json", 16) == 0,
	    "plain: status 200 seen first, with its headers");
	T(r.ndone == 1 && r.error == UPSTREAM_OK && r.status == 200 &&
	    !r.streamed && r.complete && r.has_json && r.has_root &&
	    !r.failover,
	    "plain: done, complete, the body parsed");
	T(r.usage.us_prompt == 3 && r.usage.us_completion == 5 &&
	    !r.usage.us_estimated, "plain: the upstream's usage, 3 + 5");
	T(client_response(&status, &b, &bl, NULL) && status == 200 &&
	    strstr(b, MOCK_TEXT) != NULL, "plain: the client has the answer");
	T(strcmp(mock_header("authorization"), "Bearer " KEY_OPENAI) == 0 &&
	    strncmp(mock_header("content-type"), "application/json", 16) ==
	    0 && strncmp(mock_header("user-agent"), "routstrd/", 9) == 0,
	    "plain: the key went as a bearer token");
	j = mock_last_body();
	T(j != NULL && strcmp(json_string_value(json_object_get(j, "model")),
	    "upstream-model") == 0 && json_object_get(j, "stream_options") ==
	    NULL, "plain: the model rewritten, no stream_options");
	json_decref(j);
	j = mock_stats();
	T(strcmp(json_string_value(json_object_get(j, "last_path")),
	    "/v1/chat/completions") == 0, "plain: the base URL and the path");
	json_decref(j);
	free(body);
	run_end(&r);

	/* an error status taken: the caller has the upstream's body */
	knobs("{\"status\":500}");
	r.up = &up_openai;
	T(run(&r, NULL, CHAT_BODY) == 0 && r.nstatus == 1 &&
	    r.statuses[0] == 500 && r.ndone == 1 && r.status == 500 &&
	    r.error == UPSTREAM_OK && r.has_json && !r.has_root &&
	    !r.failover && strstr(r.rbody, "mock error 500") != NULL &&
	    r.usage.us_prompt == 0 && r.usage.us_completion == 0,
	    "500 taken: the error body, nothing to bill");
	run_end(&r);
}

static void
test_stream(void)
{
	struct run	 r;
	const char	*b, *last;
	size_t		 bl;
	int		 status, aligned;
	char		*body;
	json_t		*j;

	knobs("{\"delay_chunks\":0.15}");
	memset(&r, 0, sizeof(r));
	r.up = &up_openai;
	r.stream = 1;
	body = prepared(CHAT_STREAM, "upstream-model", UPSTREAM_API_CHAT, 1);
	T(run(&r, NULL, body) == 0, "stream: done");
	T(r.nstatus == 1 && r.st_stream && r.streamed && r.complete &&
	    r.error == UPSTREAM_OK, "stream: streamed, complete");
	T(r.usage.us_prompt == 3 && r.usage.us_completion == 5 &&
	    !r.usage.us_estimated, "stream: usage from the usage chunk");
	T(client_response(&status, &b, &bl, &aligned) && status == 200 &&
	    aligned, "stream: the client's stream is complete, every write "
	    "an event");
	T(strstr(cli.buf, "X-Test: streamed") != NULL &&
	    strcasestr(cli.buf, "content-type: text/event-stream") != NULL,
	    "stream: headers queued in p_on_status went with it");
	/* the mock writes ", " and ": "; the final chunk is its text */
	T(count(b, "\"choices\": []") == 1 && count(b, "[DONE]") == 1 &&
	    count(b, "\"choices\":[]") == 0 &&
	    (last = strstr(b, "\"choices\": []")) != NULL &&
	    strstr(last, "data: [DONE]\n\n") != NULL &&
	    strcmp(b + bl - 14, "data: [DONE]\n\n") == 0,
	    "stream: one usage chunk and one [DONE], the caller's, at the end");
	T(count(b, "\"content\":") == 5, "stream: the 5 content chunks");
	T(r.final != NULL && strstr(r.final, "\"prompt_tokens\": 3") != NULL,
	    "stream: the swallowed usage chunk is the final one, as it came");
	j = mock_last_body();
	T(j != NULL && json_is_true(json_object_get(json_object_get(j,
	    "stream_options"), "include_usage")) &&
	    strcmp(json_string_value(json_object_get(j, "model")),
	    "upstream-model") == 0, "stream: include_usage forced upstream");
	json_decref(j);
	free(body);
	run_end(&r);

	/* incremental: the first piece long before the end */
	knobs("{\"delay_chunks\":0.2}");
	memset(&r, 0, sizeof(r));
	r.up = &up_openai;
	r.stream = 1;
	body = prepared(CHAT_STREAM, NULL, UPSTREAM_API_CHAT, 1);
	(void)start(&r, NULL, body);
	cli.marker = "\"content\": \"mock:\"";
	client_arm();
	wait_done();
	T(r.ndone == 1 && cli.t_marker > 0 && r.t_done - cli.t_marker > 0.8,
	    "stream: the first chunk reached the client %.2f s before the "
	    "upstream ended", r.t_done - cli.t_marker);
	free(body);
	run_end(&r);
}

static void
test_stream_framing(void)
{
	struct run		 r;
	struct sse_parser	 p;
	const char		*b;
	size_t			 bl;
	int			 status, aligned;
	char			*body;

	knobs("{\"crlf\":true,\"keepalive\":true,\"split\":true}");
	memset(&r, 0, sizeof(r));
	r.up = &up_openai;
	r.stream = 1;
	body = prepared(CHAT_STREAM, NULL, UPSTREAM_API_CHAT, 1);
	T(run(&r, NULL, body) == 0 && r.complete && !r.usage.us_estimated &&
	    r.usage.us_completion == 5,
	    "crlf, keepalives, events split in 3-byte writes: usage read");
	T(client_response(&status, &b, &bl, &aligned) && aligned &&
	    count(b, ": keepalive\r\n\r\n") >= 5 &&
	    count(b, "\"content\":") == 5 && count(b, "[DONE]") == 1,
	    "... the client got whole events, keepalives passed through");
	sse_init(&p, 0, NULL, NULL, NULL);
	(void)sse_feed(&p, b, bl);
	T(p.sp_len == 0 && p.sp_events >= 12, "... and nothing half done "
	    "(%llu events)", (unsigned long long)p.sp_events);
	sse_free(&p);
	free(body);
	run_end(&r);

	/* usage in the last content chunk */
	knobs("{\"usage_in_content\":true}");
	r.up = &up_openai;
	r.stream = 1;
	body = prepared(CHAT_STREAM, NULL, UPSTREAM_API_CHAT, 1);
	T(run(&r, NULL, body) == 0 && r.complete &&
	    !r.usage.us_estimated && r.usage.us_prompt == 3 &&
	    r.usage.us_completion == 5 && r.final != NULL &&
	    strstr(r.final, "\"choices\":[]") != NULL,
	    "usage in a content chunk: read, a final chunk made up");
	T(client_response(&status, &b, &bl, NULL) &&
	    count(b, "\"usage\": {") == 1 && count(b, "\"usage\":{") == 1,
	    "... the content chunk passed whole, then ours");
	free(body);
	run_end(&r);
}

static void
test_missing(void)
{
	struct run	 r;
	const char	*b;
	size_t		 bl;
	int		 status;
	char		*body;

	/* 19 characters of prompt, 25 of completion */
	knobs("{\"usage\":false}");
	memset(&r, 0, sizeof(r));
	r.up = &up_openai;
	r.stream = 1;
	body = prepared(CHAT_STREAM, NULL, UPSTREAM_API_CHAT, 1);
	T(run(&r, NULL, body) == 0 && r.complete && r.usage.us_estimated &&
	    r.usage.us_prompt == 5 && r.usage.us_completion == 7 &&
	    r.chars == 25, "no usage, streamed: estimated 5 + 7 from 19 and "
	    "25 characters");
	T(r.final != NULL && strstr(r.final, "\"estimated\":true") != NULL &&
	    client_response(&status, &b, &bl, NULL) &&
	    strstr(b, "\"estimated\":true") != NULL,
	    "... the final chunk made up says so");
	free(body);
	run_end(&r);

	r.up = &up_openai;
	T(run(&r, NULL, CHAT_BODY) == 0 && r.complete &&
	    r.usage.us_estimated && r.usage.us_prompt == 5 &&
	    r.usage.us_completion == 7, "no usage, not streamed: estimated");
	run_end(&r);

	knobs("{\"usage_value\":{\"prompt_tokens\":-4,"
	    "\"completion_tokens\":2}}");
	r.up = &up_openai;
	T(run(&r, NULL, CHAT_BODY) == 0 && r.usage.us_estimated &&
	    r.usage.us_prompt == 5 && r.usage.us_completion == 7,
	    "a bad usage: estimated");
	run_end(&r);

	knobs("{\"usage_value\":{\"prompt_tokens\":0,"
	    "\"completion_tokens\":0}}");
	r.up = &up_openai;
	T(run(&r, NULL, CHAT_BODY) == 0 && r.usage.us_estimated &&
	    r.usage.us_completion == 7, "a usage of zeros: estimated");
	run_end(&r);
}

static void
test_failover(void)
{
	struct run	 r;
	const char	*b;
	size_t		 bl;
	int		 status, i;
	static const long codes[] = { 502, 429, 401, 0 };
	char		*body;

	for (i = 0; codes[i] != 0; i++) {
		char	 k[64];

		(void)snprintf(k, sizeof(k), "{\"status\":%ld}", codes[i]);
		knobs(k);
		memset(&r, 0, sizeof(r));
		r.up = &up_openai;
		r.stream = 1;
		r.drop_failover = 1;
		body = prepared(CHAT_STREAM, NULL, UPSTREAM_API_CHAT, 1);
		T(run(&r, NULL, body) == 0 && r.nstatus == 2 &&
		    r.statuses[0] == codes[i] && r.statuses[1] == 200 &&
		    r.attempts == 2 && r.ndone == 1 && r.complete &&
		    r.streamed, "%ld: dropped, the next upstream answered",
		    codes[i]);
		T(client_response(&status, &b, &bl, NULL) && status == 200 &&
		    strstr(b, "mock error") == NULL &&
		    count(b, "\"content\":\"") == 5 &&
		    strstr(b, "echo:") != NULL,
		    "%ld: nothing of the dropped answer reached the client",
		    codes[i]);
		free(body);
		run_end(&r);
	}
}

static void
test_transport(void)
{
	struct run	 r;
	const char	*b;
	size_t		 bl;
	int		 status;
	double		 t0;

	memset(&r, 0, sizeof(r));
	r.up = &up_dead;
	T(run(&r, NULL, CHAT_BODY) == 0 && r.nstatus == 0 && r.ndone == 1 &&
	    r.error == UPSTREAM_E_CONNECT && r.status == 0 && r.failover &&
	    r.usage.us_prompt == 0,
	    "connection refused: no status, a transport error, fail over");
	T(client_response(&status, &b, &bl, NULL) && status == 502,
	    "... the caller answered 502");
	run_end(&r);

	knobs("{\"delay_headers\":3}");
	r.up = &up_slow;
	t0 = now();
	T(run(&r, NULL, CHAT_BODY) == 0 && r.nstatus == 0 &&
	    r.error == UPSTREAM_E_TIMEOUT && r.status == 0 && r.failover &&
	    now() - t0 < 2.5, "no headers in time: a timeout, fail over");
	run_end(&r);

	knobs("{\"hang\":true}");
	r.up = &up_slow;
	T(run(&r, NULL, CHAT_BODY) == 0 && r.error == UPSTREAM_E_TIMEOUT &&
	    r.failover, "a hung upstream: a timeout");
	run_end(&r);

	/* mid-stream: the timeout is an error after the status */
	knobs("{\"delay_chunks\":0.6}");
	r.up = &up_slow;
	r.stream = 1;
	T(run(&r, NULL, CHAT_STREAM) == 0 && r.nstatus == 1 &&
	    r.error == UPSTREAM_E_TIMEOUT && r.status == 200 && !r.failover &&
	    r.streamed && !r.complete && r.usage.us_estimated &&
	    r.usage.us_completion >= 2, "a timeout mid-stream: what came "
	    "is billed (%llu)", (unsigned long long)r.usage.us_completion);
	run_end(&r);
}

static void
test_garbage_cut(void)
{
	struct run	 r;
	const char	*b;
	size_t		 bl;
	int		 status;

	knobs("{\"garbage\":true}");
	memset(&r, 0, sizeof(r));
	r.up = &up_openai;
	T(run(&r, NULL, CHAT_BODY) == 0 && r.ndone == 1 &&
	    r.error == UPSTREAM_E_GARBAGE && r.status == 200 && !r.failover &&
	    !r.has_json && r.usage.us_estimated && r.usage.us_prompt == 5,
	    "a 200 that is not JSON: garbage");
	run_end(&r);

	r.up = &up_openai;
	r.stream = 1;
	T(run(&r, NULL, CHAT_STREAM) == 0 && r.error == UPSTREAM_E_GARBAGE &&
	    r.streamed && !r.complete && r.usage.us_estimated,
	    "an event that is not JSON: garbage, the stream stopped");
	T(client_response(&status, &b, &bl, NULL) && strstr(b, "mock:") &&
	    strstr(b, "not JSON") == NULL && strstr(b, "hello") == NULL,
	    "... the client got what came before it, not it");
	run_end(&r);

	knobs("{\"cut_after\":3}");
	r.up = &up_openai;
	r.stream = 1;
	T(run(&r, NULL, CHAT_STREAM) == 0 && r.error == UPSTREAM_E_CUT &&
	    r.status == 200 && r.streamed && !r.complete &&
	    r.usage.us_estimated && r.chars == 16 &&
	    r.usage.us_completion == 4, "cut mid-stream: 16 characters came, "
	    "4 tokens billed");
	run_end(&r);

	knobs("{\"cut_after\":0}");
	r.up = &up_openai;
	T(run(&r, NULL, CHAT_BODY) == 0 && r.error == UPSTREAM_E_CUT &&
	    r.status == 200 && !r.failover, "cut mid-body: cut");
	run_end(&r);

	/* a 204 "stream": the client's stream cannot start */
	knobs("{\"status\":204,\"ctype\":\"text/event-stream\"}");
	r.up = &up_openai;
	r.stream = 1;
	T(run(&r, NULL, CHAT_STREAM) == 0 && r.ndone == 1 &&
	    r.error == UPSTREAM_E_INTERNAL && r.status == 204 &&
	    r.st_stream && !r.streamed && !r.client_gone,
	    "a 204 event stream: an error, not streamed, the client ours");
	T(client_response(&status, &b, &bl, NULL) && status == 502,
	    "... the client gets the caller's 502");
	run_end(&r);
}

static void
test_client_gone(void)
{
	struct run	 r;
	char		*body;
	double		 end;
	long long	 d = -1;

	knobs("{\"reset\":true,\"delay_chunks\":0.3,\"content\":"
	    "\"one two three four five six seven eight nine\"}");
	memset(&r, 0, sizeof(r));
	r.up = &up_openai;
	r.stream = 1;
	body = prepared(CHAT_STREAM, NULL, UPSTREAM_API_CHAT, 1);
	(void)start(&r, NULL, body);
	cli.marker = "\"content\": \" one\"";
	cli.close_at_marker = 1;
	client_arm();
	end = now() + WAIT_MS / 1000.0;
	while (r.ndone == 0 && now() < end)
		event_loop(EVLOOP_ONCE);
	T(r.ndone == 1 && r.client_gone && r.error == UPSTREAM_E_CLIENT_GONE &&
	    r.streamed && !r.complete, "client gone mid-stream: done, flagged");
	T(cli.t_closed > 0 && r.t_done - cli.t_closed < 0.2,
	    "... at once (%.3f s)", r.t_done - cli.t_closed);
	T(r.usage.us_estimated && r.usage.us_completion == 3 &&
	    r.usage.us_prompt == 5, "... billed for the 9 characters that "
	    "came (3 tokens) and the prompt");
	for (end = now() + 3; now() < end; loop_ms(50))
		if ((d = stat_int("disconnects")) >= 1)
			break;
	T(d == 1, "... the upstream saw its connection close");
	loop_ms(700);
	T(stat_int("completed") == 0, "... and did not send the rest");
	free(body);
	run_end(&r);

	/* before the status */
	knobs("{\"reset\":true,\"delay_headers\":2}");
	r.up = &up_openai;
	(void)start(&r, NULL, CHAT_BODY);
	client_arm();
	loop_ms(300);
	client_close();
	end = now() + 3;
	while (r.ndone == 0 && now() < end)
		event_loop(EVLOOP_ONCE);
	T(r.ndone == 1 && r.client_gone && r.status == 0 && !r.failover &&
	    r.nstatus == 0 && r.usage.us_prompt == 0,
	    "client gone before the status: done, nothing to bill");
	for (end = now() + 3; now() < end; loop_ms(50))
		if ((d = stat_int("disconnects")) >= 1)
			break;
	T(d == 1, "... the upstream saw its connection close");
	run_end(&r);

	/* upstream_cancel() */
	knobs("{\"reset\":true,\"hang\":true}");
	r.up = &up_openai;
	r.cancel_ms = 200;
	T(run(&r, NULL, CHAT_BODY) == 0 && r.ndone == -1 && r.nstatus == 0,
	    "cancelled: no callback after");
	for (end = now() + 3; now() < end; loop_ms(50))
		if ((d = stat_int("disconnects")) >= 1)
			break;
	T(d == 1, "... the upstream saw its connection close");
	run_end(&r);
}

static void
test_backpressure(void)
{
	struct run	 r;
	const char	*b;
	size_t		 bl, n;
	int		 status;
	char		*body;

	/* 4 MB: without the pause it would all wait for the client */
	knobs("{\"chunks\":64,\"chunk_size\":65536}");
	memset(&r, 0, sizeof(r));
	r.up = &up_openai;
	r.stream = 1;
	body = prepared(CHAT_STREAM, NULL, UPSTREAM_API_CHAT, 1);
	(void)start(&r, NULL, body);
	client_arm_when_full(&r, 1000);
	wait_done();
	T(r.ndone == 1 && r.complete && r.error == UPSTREAM_OK,
	    "a slow client: the stream completed");
	T(r.pauses >= 1, "... the upstream was paused (%u times)", r.pauses);
	T(r.max_pending < UPSTREAM_PENDING_HIGH + 256 * 1024,
	    "... at most %zu bytes waited for the client", r.max_pending);
	T(client_response(&status, &b, &bl, NULL), "... the client has it all");
	T(count(b, "\"index\": 0") == 64, "... 64 chunks");
	for (n = 0; *b != '\0'; b++)
		n += *b == 'x';
	/* and the x of each "index" */
	T(n == 64 * 65536 + 64, "... every byte, once (%zu)", n);
	free(body);
	run_end(&r);

	/* the echo pauses too */
	{
		char	*big, *p;
		size_t	 i;

		big = malloc(40000 * 2 + 256);
		p = big + sprintf(big, "{\"model\":\"e\",\"stream\":true,"
		    "\"messages\":[{\"role\":\"user\",\"content\":\"");
		for (i = 0; i < 40000; i++)
			p += sprintf(p, "w ");
		sprintf(p, "\"}]}");
		memset(&r, 0, sizeof(r));
		r.up = &up_echo;
		r.stream = 1;
		(void)start(&r, NULL, big);
		client_arm_when_full(&r, 700);
		wait_done();
		T(r.ndone == 1 && r.complete && r.pauses >= 1 &&
		    r.max_pending < UPSTREAM_PENDING_HIGH + 64 * 1024,
		    "echo, a slow client: paused %u times, at most %zu "
		    "bytes waited (done %d, error %d, status %ld, %zu bytes "
		    "in)", r.pauses, r.max_pending, r.ndone, r.error,
		    r.status, cli.len);
		T(client_response(&status, &b, &bl, NULL) &&
		    count(b, "\"content\":\"echo:\"") == 1 &&
		    count(b, "\"content\":\" w\"") == 40000,
		    "... every word, once");
		free(big);
		run_end(&r);
	}
}

static void
test_anthropic(void)
{
	struct run	 r;
	const char	*b;
	size_t		 bl;
	int		 status;
	static const char stop[] = "event: message_stop\ndata: {\"type\":"
	    "\"message_stop\"}\n\n";
	static const char body[] = "{\"model\":\"claude\",\"max_tokens\":100,"
	    "\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\""
	    PROMPT "\"}]}";

	knobs("{\"usage_value\":{\"input_tokens\":3,"
	    "\"cache_read_input_tokens\":100,"
	    "\"cache_creation_input_tokens\":7,\"output_tokens\":5}}");
	memset(&r, 0, sizeof(r));
	r.up = &up_anth;
	r.path = "/messages";
	r.stream = 1;
	T(run(&r, "anthropic-version: 2023-01-01\r\nanthropic-beta: "
	    "tools-2024\r\n", body) == 0 && r.streamed && r.complete &&
	    r.api == UPSTREAM_API_MESSAGES, "anthropic stream: done");
	T(r.usage.us_prompt == 3 && r.usage.us_cache_read == 100 &&
	    r.usage.us_cache_write == 7 && r.usage.us_completion == 5 &&
	    !r.usage.us_estimated && r.final == NULL,
	    "anthropic stream: message_start + message_delta usage");
	T(client_response(&status, &b, &bl, NULL) &&
	    count(b, "message_stop") == 2 && bl > strlen(stop) &&
	    strcmp(b + bl - strlen(stop), stop) == 0,
	    "anthropic stream: message_stop held, written once at the end");
	T(strcmp(mock_header("x-api-key"), KEY_ANTHROPIC) == 0 &&
	    strcmp(mock_header("anthropic-version"), "2023-01-01") == 0 &&
	    strcmp(mock_header("anthropic-beta"), "tools-2024") == 0 &&
	    mock_header("authorization")[0] == '\0',
	    "anthropic: x-api-key, the client's version and beta headers");
	run_end(&r);

	knobs("{}");
	r.up = &up_anth;
	r.path = "/messages";
	T(run(&r, NULL, "{\"model\":\"c\",\"max_tokens\":10,\"messages\":"
	    "[{\"role\":\"user\",\"content\":\"" PROMPT "\"}]}") == 0 &&
	    r.complete && r.usage.us_prompt == 3 &&
	    r.usage.us_completion == 5 && !r.usage.us_estimated &&
	    strcmp(mock_header("anthropic-version"),
	    UPSTREAM_ANTHROPIC_VERSION) == 0,
	    "anthropic, not streamed: usage; a default version");
	run_end(&r);

	knobs("{\"cut_after\":4}");
	r.up = &up_anth;
	r.path = "/messages";
	r.stream = 1;
	T(run(&r, NULL, body) == 0 && r.error == UPSTREAM_E_CUT &&
	    r.usage.us_prompt == 3 && r.usage.us_completion == 3 &&
	    r.usage.us_estimated, "anthropic cut: input reported, output "
	    "from the 11 characters that came");
	run_end(&r);
}

static void
test_responses_collect(void)
{
	struct run	 r;
	const char	*b;
	size_t		 bl;
	int		 status;
	char		*body;

	knobs("{}");
	memset(&r, 0, sizeof(r));
	r.up = &up_openai;
	r.path = "/responses";
	r.stream = 1;
	T(run(&r, NULL, "{\"model\":\"m\",\"stream\":true,\"input\":\""
	    PROMPT "\"}") == 0 && r.streamed && r.complete &&
	    r.usage.us_prompt == 3 && r.usage.us_completion == 5 &&
	    r.final != NULL && strstr(r.final, "\"type\": "
	    "\"response.completed\"") != NULL, "responses stream: usage from "
	    "response.completed, which is held back for the caller");
	T(client_response(&status, &b, &bl, NULL) &&
	    count(b, "response.completed") == 2 &&
	    strstr(b, "event: response.completed\ndata: {") != NULL,
	    "responses stream: sent at the end, named as it came");
	run_end(&r);

	/* F_COLLECT: a stream collected whole (X-Cashu) */
	r.up = &up_openai;
	r.stream = 1;
	r.flags = UPSTREAM_F_COLLECT;
	body = prepared(CHAT_STREAM, NULL, UPSTREAM_API_CHAT, 1);
	T(run(&r, NULL, body) == 0 && r.nstatus == 1 && !r.st_stream && !r.streamed &&
	    r.complete && r.usage.us_completion == 5 &&
	    !r.usage.us_estimated && strstr(r.rbody, "[DONE]") != NULL,
	    "collected stream: the whole SSE body, its usage read");
	T(client_response(&status, &b, &bl, NULL) && status == 200 &&
	    strstr(b, "data: [DONE]") != NULL, "... replied by the caller");
	free(body);
	run_end(&r);
}

/*
 * Anthropic's Messages over an OpenAI upstream (UPSTREAM_F_MESSAGES):
 * the answer, whole, streamed or collected, read as Anthropic's.
 */
static void
test_messages_xlate(void)
{
	struct run	 r;
	const char	*b, *err;
	size_t		 bl, len;
	int		 status;
	char		*body;
	struct jspan	 v;
	json_t		*j = NULL;
	static const char msg[] = "{\"model\":\"claude\",\"max_tokens\":100,"
	    "\"stream\":true,\"system\":\"be brief\",\"messages\":[{\"role\":"
	    "\"user\",\"content\":\"" PROMPT "\"}]}";
	static const char whole[] = "{\"model\":\"c\",\"max_tokens\":9,"
	    "\"messages\":[{\"role\":\"user\",\"content\":\"" PROMPT "\"}]}";

	if (jscan_parse(msg, strlen(msg), &v) == -1 ||
	    (body = xlate_request(&v, "up-model", &len, &err)) == NULL) {
		T(0, "xlate_request");
		return;
	}
	knobs("{\"reset\":true}");
	memset(&r, 0, sizeof(r));
	r.up = &up_openai;
	r.flags = UPSTREAM_F_MESSAGES;
	r.stream = 1;
	T(run(&r, NULL, body) == 0 && r.streamed && r.complete &&
	    r.api == UPSTREAM_API_MESSAGES && r.usage.us_prompt == 5 &&
	    r.usage.us_completion == 5 && !r.usage.us_estimated &&
	    r.final == NULL, "messages over chat, streamed: complete, "
	    "the usage of its message_delta");
	T(client_response(&status, &b, &bl, NULL) && status == 200 &&
	    strncmp(b, "event: message_start\n", 21) == 0 &&
	    count(b, "text_delta") == 5 && count(b, "message_stop") == 2 &&
	    strstr(b, "chat.completion") == NULL,
	    "... the client got Anthropic's events, message_stop at the end");
	T(strcmp(stat_str("last_path"), "/v1/chat/completions") == 0 &&
	    (j = mock_last_body()) != NULL &&
	    json_is_true(json_object_get(json_object_get(j,
	    "stream_options"), "include_usage")), "... asked at "
	    "/chat/completions, for its usage");
	json_decref(j);
	run_end(&r);

	/* collected (X-Cashu): the SSE body translated */
	r.up = &up_openai;
	r.flags = UPSTREAM_F_MESSAGES | UPSTREAM_F_COLLECT;
	r.stream = 1;
	T(run(&r, NULL, body) == 0 && !r.streamed && r.complete &&
	    r.usage.us_completion == 5 && r.rbody != NULL &&
	    strncmp(r.rbody, "event: message_start", 20) == 0 &&
	    strstr(r.rbody, "[DONE]") == NULL,
	    "messages over chat, collected: Anthropic's events");
	run_end(&r);
	free(body);

	/* whole */
	body = NULL;
	if (jscan_parse(whole, strlen(whole), &v) == 0)
		body = xlate_request(&v, NULL, &len, &err);
	r.up = &up_openai;
	r.flags = UPSTREAM_F_MESSAGES;
	T(body != NULL && run(&r, NULL, body) == 0 && r.complete &&
	    r.has_root && r.usage.us_prompt == 3 &&
	    r.usage.us_completion == 5, "messages over chat, whole: read");
	T(client_response(&status, &b, &bl, NULL) && status == 200 &&
	    strstr(b, "\"type\":\"message\"") != NULL &&
	    strstr(b, "\"text\":\"" MOCK_TEXT "\"") != NULL &&
	    strstr(b, "\"stop_reason\":\"end_turn\"") != NULL,
	    "... the client got an Anthropic message");
	run_end(&r);
	free(body);

	/* not for the echo nor for /messages: refused */
	r.up = &up_echo;
	r.flags = UPSTREAM_F_MESSAGES;
	T(run(&r, NULL, "{}") == -1 || r.start_failed,
	    "F_MESSAGES on the echo: upstream_start refuses");
	run_end(&r);
}

/* The echo: every API, streamed and not, through the same callbacks. */
static void
test_echo(void)
{
	struct run	 r;
	const char	*b;
	size_t		 bl;
	int		 status;
	char		*body;
	json_error_t	 err;
	json_t		*j = NULL, *e;
	float		 v[4];
	size_t		 vl;
	double		 norm;
	static const char chat[] = "{\"model\":\"echo-model\",\"messages\":["
	    "{\"role\":\"system\",\"content\":\"be nice\"},{\"role\":\"user\","
	    "\"content\":\"hello world\"}]}";
	static const char chat_s[] = "{\"model\":\"echo-model\",\"stream\":true,"
	    "\"messages\":[{\"role\":\"system\",\"content\":\"be nice\"},"
	    "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":"
	    "\"hello world\"}]}]}";

	memset(&r, 0, sizeof(r));
	r.up = &up_echo;
	T(run(&r, NULL, chat) == 0 && r.nstatus == 1 && r.statuses[0] == 200 &&
	    r.complete && r.has_json && r.usage.us_prompt == 4 &&
	    r.usage.us_completion == 3 && !r.usage.us_estimated,
	    "echo chat: 4 + 3 tokens, reported");
	T(client_response(&status, &b, &bl, NULL) && status == 200 &&
	    strstr(b, "\"content\":\"echo: hello world\"") != NULL &&
	    strstr(b, "\"finish_reason\":\"stop\"") != NULL &&
	    strstr(b, "\"model\":\"echo-model\"") != NULL,
	    "echo chat: the answer");
	run_end(&r);

	r.up = &up_echo;
	r.stream = 1;
	body = prepared(chat_s, NULL, UPSTREAM_API_CHAT, 1);
	T(run(&r, NULL, body) == 0 && r.st_stream && r.streamed &&
	    r.complete && r.usage.us_prompt == 4 &&
	    r.usage.us_completion == 3 && !r.usage.us_estimated &&
	    r.final != NULL, "echo chat stream: usage chunk swallowed, read");
	T(client_response(&status, &b, &bl, NULL) &&
	    count(b, "\"content\":\"") == 4 && count(b, "[DONE]") == 1 &&
	    count(b, "\"choices\":[]") == 1 &&
	    strstr(b, "\"delta\":{\"content\":\" world\"}") != NULL,
	    "echo chat stream: role, 3 words, the caller's end");
	free(body);
	run_end(&r);

	r.up = &up_echo;
	r.stream = 1;
	T(run(&r, NULL, chat_s) == 0 && r.complete && r.usage.us_estimated &&
	    r.chars == 17, "echo chat stream without include_usage: estimated, "
	    "like a real one");
	run_end(&r);

	r.up = &up_echo;
	T(run(&r, NULL, "{\"messages\":[{\"role\":\"user\",\"content\":"
	    "\"a b c d\"}],\"max_tokens\":2}") == 0 &&
	    r.usage.us_completion == 2 && strstr(r.rbody, "\"content\":"
	    "\"echo: a\"") != NULL && strstr(r.rbody, "\"length\"") != NULL,
	    "echo: max_tokens cuts the answer");
	run_end(&r);

	r.up = &up_echo;
	r.path = "/completions";
	r.stream = 1;
	body = prepared("{\"model\":\"e\",\"prompt\":\"say this\","
	    "\"stream\":true}", NULL, UPSTREAM_API_COMPLETIONS, 1);
	T(run(&r, NULL, body) == 0 && r.complete && r.usage.us_prompt == 2 &&
	    r.usage.us_completion == 3 && !r.usage.us_estimated,
	    "echo completions stream");
	T(client_response(&status, &b, &bl, NULL) &&
	    strstr(b, "\"text\":\" this\"") != NULL &&
	    strstr(b, "\"object\":\"text_completion\"") != NULL,
	    "echo completions stream: text chunks");
	free(body);
	run_end(&r);

	r.up = &up_echo;
	r.path = "/embeddings";
	T(run(&r, NULL, "{\"model\":\"e\",\"input\":[\"one two\",\"three\"]}") ==
	    0 && r.complete && r.usage.us_prompt == 3 &&
	    r.usage.us_completion == 0 && !r.usage.us_estimated &&
	    (j = json_loads(r.rbody, 0, &err)) != NULL &&
	    json_array_size(json_object_get(j, "data")) == 2 &&
	    json_array_size(json_object_get(json_array_get(json_object_get(j,
	    "data"), 1), "embedding")) == UPSTREAM_ECHO_DIMS,
	    "echo embeddings: two vectors of %d", UPSTREAM_ECHO_DIMS);
	json_decref(j);
	run_end(&r);

	r.up = &up_echo;
	r.path = "/embeddings";
	T(run(&r, NULL, "{\"input\":\"x\",\"encoding_format\":\"base64\","
	    "\"dimensions\":4}") == 0 && (j = json_loads(r.rbody, 0, &err)) !=
	    NULL && (e = json_object_get(json_array_get(json_object_get(j,
	    "data"), 0), "embedding")) != NULL && json_is_string(e) &&
	    base64_decode(v, sizeof(v), &vl, json_string_value(e),
	    json_string_length(e), 0) == 0 && vl == 16,
	    "echo embeddings, base64: 4 float32");
	norm = (double)v[0] * v[0] + (double)v[1] * v[1] +
	    (double)v[2] * v[2] + (double)v[3] * v[3];
	T(norm > 0.999 && norm < 1.001, "... a unit vector");
	json_decref(j);
	run_end(&r);

	r.up = &up_echo;
	r.path = "/responses";
	T(run(&r, NULL, "{\"model\":\"e\",\"input\":[{\"role\":\"user\","
	    "\"content\":[{\"type\":\"input_text\",\"text\":\"hi there\"}]}],"
	    "\"instructions\":\"be brief\"}") == 0 && r.complete &&
	    r.usage.us_prompt == 4 && r.usage.us_completion == 3 &&
	    strstr(r.rbody, "\"text\":\"echo: hi there\"") != NULL,
	    "echo responses");
	run_end(&r);

	r.up = &up_echo;
	r.path = "/responses";
	r.stream = 1;
	T(run(&r, NULL, "{\"model\":\"e\",\"stream\":true,\"input\":\"hi\"}") ==
	    0 && r.complete && r.usage.us_prompt == 1 &&
	    r.usage.us_completion == 2 && !r.usage.us_estimated,
	    "echo responses stream");
	T(client_response(&status, &b, &bl, NULL) &&
	    count(b, "event: response.output_text.delta") == 2 &&
	    count(b, "event: response.completed") == 1,
	    "echo responses stream: its events");
	run_end(&r);

	r.up = &up_echo;
	r.path = "/messages";
	r.stream = 1;
	T(run(&r, NULL, "{\"model\":\"claude\",\"max_tokens\":50,\"stream\":"
	    "true,\"system\":\"sys\",\"messages\":[{\"role\":\"user\","
	    "\"content\":\"hi you\"}]}") == 0 && r.complete &&
	    r.usage.us_prompt == 3 && r.usage.us_completion == 3 &&
	    !r.usage.us_estimated, "echo messages stream");
	T(client_response(&status, &b, &bl, NULL) &&
	    count(b, "event: message_stop") == 1 &&
	    count(b, "\"type\":\"text_delta\"") == 3,
	    "echo messages stream: its events");
	run_end(&r);

	r.up = &up_echo;
	r.path = "/messages";
	T(run(&r, NULL, "{\"model\":\"claude\",\"max_tokens\":50,\"messages\":"
	    "[{\"role\":\"user\",\"content\":\"hi you\"}]}") == 0 &&
	    r.complete && strstr(r.rbody, "\"stop_reason\":\"end_turn\"") &&
	    strstr(r.rbody, "\"input_tokens\":2"), "echo messages");
	run_end(&r);

	r.up = &up_echo;
	r.path = "/models";
	T(run(&r, NULL, "{}") == 0 && r.statuses[0] == 404 &&
	    r.status == 404 && r.has_json, "echo: another path is a 404");
	run_end(&r);

	r.up = &up_echo;
	T(run(&r, NULL, "{not json") == 0 && r.statuses[0] == 400 &&
	    r.status == 400, "echo: a bad body is a 400");
	run_end(&r);

	upstream_echo_set_delay(150);
	r.up = &up_echo;
	r.stream = 1;
	body = prepared(chat_s, NULL, UPSTREAM_API_CHAT, 1);
	(void)start(&r, NULL, body);
	cli.marker = "\"role\":\"assistant\"";
	client_arm();
	wait_done();
	T(r.complete && cli.t_marker > 0 && r.t_done - cli.t_marker > 0.5,
	    "echo with a delay: streamed as it goes (%.2f s)",
	    r.t_done - cli.t_marker);
	upstream_echo_set_delay(0);
	free(body);
	run_end(&r);
}

static void
test_keys(void)
{
	struct proxy_upstream	 up;
	char			 path[PATH_MAX + 8];
	int			 fd, i;
	static const char	*bad[] = { "", " \n", "a b\n", "k\x01\n",
	    NULL };

	(void)snprintf(path, sizeof(path), "%s.key", logpath);
	memset(&up, 0, sizeof(up));
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (write(fd, "  sk-abc_DEF.123 \r\n", 19) != 19)
		T(0, "write");
	up.pu_keyfd = fd;
	T(upstream_load_key(&up) == 0 && up.pu_key != NULL &&
	    strcmp(up.pu_key, "sk-abc_DEF.123") == 0 && up.pu_keyfd == -1,
	    "a key file: blanks around dropped, the fd closed");
	free(up.pu_key);
	for (i = 0; bad[i] != NULL; i++) {
		memset(&up, 0, sizeof(up));
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (write(fd, bad[i], strlen(bad[i])) != (ssize_t)strlen(bad[i]))
			T(0, "write");
		up.pu_keyfd = fd;
		if (upstream_load_key(&up) != -1 || up.pu_key != NULL)
			break;
	}
	T(bad[i] == NULL, "empty keys and keys with blanks or controls are "
	    "refused");
	memset(&up, 0, sizeof(up));
	up.pu_keyfd = -1;
	T(upstream_load_key(&up) == 0 && up.pu_key == NULL, "no key file");
	unlink(path);
}

static void
test_bad_start(void)
{
	struct upstream_params	 p;

	memset(&p, 0, sizeof(p));
	p.p_upstream = &up_openai;
	p.p_path = "/chat/completions?x=1";
	p.p_body = "{}";
	p.p_bodylen = 2;
	p.p_on_status = on_status;
	p.p_on_done = on_done;
	T(upstream_start(&p) == NULL, "a path with a query is refused");
	p.p_path = "/../admin";
	T(upstream_start(&p) == NULL, "a path with .. is refused");
	p.p_path = "/chat/completions";
	p.p_on_done = NULL;
	T(upstream_start(&p) == NULL, "no p_on_done is refused");
}

/*
 * Under the proxy's sandbox, in a child: a stream from the mock and one
 * from the echo.  The exit status says which step failed.
 */
static int
sandboxed(void)
{
	struct run	 r;
	char		*body;

	event_init();
	json_object_seed(0);
	if (curlev_init(NULL) == -1)
		return (1);
	server_init(&lim, handler);
	sandbox_confine(PROC_PROXY, NULL);

	body = prepared(CHAT_STREAM, NULL, UPSTREAM_API_CHAT, 1);
	memset(&r, 0, sizeof(r));
	r.up = &up_openai;
	r.stream = 1;
	if (run(&r, NULL, body) == -1 || !r.complete ||
	    r.usage.us_completion != 5)
		return (2);
	run_end(&r);
	r.up = &up_echo;
	r.stream = 1;
	if (run(&r, NULL, body) == -1 || !r.complete ||
	    r.usage.us_completion != 4)
		return (3);
	run_end(&r);
	r.up = &up_dead;
	if (run(&r, NULL, CHAT_BODY) == -1 || r.error != UPSTREAM_E_CONNECT)
		return (4);
	run_end(&r);
	return (0);
}

static void
test_sandbox(void)
{
	pid_t	 pid;
	int	 status;

	knobs("{}");
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
	    "streams from the mock and the echo under the PROC_PROXY sandbox "
	    "(%s %d)", WIFSIGNALED(status) ? "signal" : "exit",
	    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

/* Nothing secret in the logs of the whole run. */
static void
test_logs(void)
{
	static const char	*secrets[] = { KEY_OPENAI, KEY_ANTHROPIC,
	    "secret", "words", "hello", "mock: ", "echo: hello", "echo: w",
	    "tools-2024", NULL };
	unsigned char		*buf;
	size_t			 len;
	int			 fd, i, bad = 0;

	fflush(stderr);
	if ((fd = open(logpath, O_RDONLY)) == -1 ||
	    fd_read_all(fd, 64 * 1024 * 1024, &buf, &len) == -1) {
		T(0, "the log");
		return;
	}
	close(fd);
	for (i = 0; secrets[i] != NULL; i++)
		if (memmem(buf, len, secrets[i], strlen(secrets[i])) != NULL) {
			printf("# the log holds \"%s\"\n", secrets[i]);
			bad++;
		}
	T(len > 1000 && strstr((char *)buf, "upstream mock-openai: 200") !=
	    NULL, "the log says what happened (%zu bytes)", len);
	T(bad == 0, "no key, prompt or completion in the debug log");
	free(buf);
}

static void
upstream_conf(struct proxy_upstream *up, const char *name, int type,
    const char *url, const char *key, uint32_t timeout)
{
	memset(up, 0, sizeof(*up));
	(void)strlcpy(up->pu_conf.cu_name, name, sizeof(up->pu_conf.cu_name));
	up->pu_conf.cu_type = type;
	if (url != NULL)
		(void)strlcpy(up->pu_conf.cu_url, url,
		    sizeof(up->pu_conf.cu_url));
	up->pu_conf.cu_timeout = timeout;
	up->pu_keyfd = -1;
	up->pu_key = key != NULL ? strdup(key) : NULL;
}

int
main(void)
{
	struct timeval	 tv = { 0, TICK_MS * 1000 };
	char		 url[128];
	int		 fd;

	signal(SIGPIPE, SIG_IGN);
	(void)snprintf(logpath, sizeof(logpath), "/tmp/test_upstream.%d.log",
	    (int)getpid());
	if ((fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    dup2(fd, STDERR_FILENO) == -1)
		abort();
	close(fd);
	log_init(1, LOG_DAEMON);
	log_setverbose(2);

	if (!T(mockserver_start(&mocksrv, "upstream-mock.py", NULL,
	    MOCKSERVER_WAIT_MS) == 0, "the mock upstream (port %d)",
	    mocksrv.ms_port))
		return (test_done());
	(void)snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/",
	    mocksrv.ms_port);
	upstream_conf(&up_openai, "mock-openai", UPSTREAM_OPENAI, url,
	    KEY_OPENAI, 0);
	upstream_conf(&up_anth, "mock-anthropic", UPSTREAM_ANTHROPIC, url,
	    KEY_ANTHROPIC, 0);
	upstream_conf(&up_slow, "mock-slow", UPSTREAM_OPENAI, url, KEY_OPENAI,
	    1);
	upstream_conf(&up_echo, "echo", UPSTREAM_ECHO, NULL, NULL, 0);
	(void)snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1",
	    mockserver_closed_port());
	upstream_conf(&up_dead, "dead", UPSTREAM_OPENAI, url, KEY_OPENAI, 0);

	/* first, before this process has libcurl state to inherit */
	test_sandbox();

	event_init();
	json_object_seed(0);
	T(curlev_init(NULL) == 0, "curlev_init");
	server_init(&lim, handler);
	evtimer_set(&tick_ev, tick, NULL);
	evtimer_add(&tick_ev, &tv);

	test_keys();
	test_bad_start();
	test_plain();
	test_stream();
	test_stream_framing();
	test_missing();
	test_failover();
	test_transport();
	test_garbage_cut();
	test_client_gone();
	test_backpressure();
	test_anthropic();
	test_messages_xlate();
	test_responses_collect();
	test_echo();

	T(server_connections() == 0 && curlev_pending() == 0,
	    "nothing left open");
	evtimer_del(&tick_ev);
	server_shutdown();
	curlev_shutdown();
	mockserver_stop(&mocksrv);
	test_logs();
	unlink(logpath);
	free(cli.buf);
	free(up_openai.pu_key);
	free(up_anth.pu_key);
	free(up_slow.pu_key);
	free(up_dead.pu_key);
	return (test_done());
}
