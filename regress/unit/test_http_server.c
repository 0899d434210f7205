/*
 * The HTTP server over the wire: the server runs in this process on
 * 127.0.0.1 ephemeral ports (plain and TLS) and a UNIX socket, each
 * client runs in a forked child with raw sockets (libtls for TLS) and
 * sends back what it saw through a pipe; the checks are made here.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <tls.h>
#include <unistd.h>

#include "log.h"
#include "http.h"
#include "ipc.h"
#include "test.h"

#define MAXCONN		4
#define BIG_REPLY	(256 * 1024)
#define BIG_STREAM	(1024 * 1024)
#define STREAM_PIECE	(16 * 1024)
#define NRESP		6
#define BODYKEEP	2048
#define HEADKEEP	1024
#define IOTIMEOUT	3000	/* ms a client waits for anything */

static const struct http_limits lim = {
	.max_connections = MAXCONN,
	.max_header_size = 1024,
	.max_headers = 16,
	.max_body_size = 8192,
	.timeout_idle = 1,
	.timeout_read = 1,
};

/* what a client saw */
struct resp {
	int		 status;
	int		 chunked;
	int		 close;
	long		 ms;		/* when it was complete */
	size_t		 bodylen;
	uint32_t	 hash;		/* FNV-1a of the whole body */
	char		 head[HEADKEEP];
	char		 body[BODYKEEP];
};

struct result {
	int		 n;		/* responses */
	struct resp	 r[NRESP];
	int		 eof;		/* EOF seen at the end */
	long		 eof_ms;
	int		 flag;		/* anything else a test wants */
	long		 ms;
};

struct cli {
	int		 fd;
	struct tls	*tls;
	char		 buf[64 * 1024];
	size_t		 len;
	int		 eof;
};

/* server side */
static int		 port_plain, port_tls;
static char		 tmpdir[64], sockpath[128];
static uint8_t		*certmem, *keymem;
static size_t		 certlen, keylen;
static struct tls	*tlsctx;

static int		 closecb_calls;
static long		 closecb_ms;
static int		 handler_calls;
static struct http_conn	*pending;	/* the one async request */
static struct event	 ev_async;
static int		 stream_i;
static size_t		 stream_sent;
static int		 drain_calls;

static struct timespec	 t0;

static long	 now_ms(void);
static uint32_t	 fnv(uint32_t, const void *, size_t);
static void	 handler(struct http_conn *, struct http_request *);
static void	 on_close(struct http_conn *, void *);
static void	 async_reply(int, short, void *);
static void	 stream_tick(int, short, void *);
static void	 bigstream_push(struct http_conn *, void *);
static void	 endless_push(struct http_conn *, void *);
static int	 listen_tcp(int *);
static int	 listen_unix(const char *);
static void	 make_cert(void);
static void	 run_client(void (*)(struct result *), struct result *);
static void	 loop_ms(long);
static void	 settle(void);

/* client side */
static int	 cli_open(struct cli *, int, int);
static int	 cli_open_unix(struct cli *);
static void	 cli_close(struct cli *);
static int	 cli_send(struct cli *, const void *, size_t);
static int	 cli_sends(struct cli *, const char *);
static int	 cli_fill(struct cli *, int);
static int	 cli_response(struct cli *, struct resp *, int, int);
static int	 cli_eof(struct cli *, int);
static int	 cli_wait(struct cli *, short, long);
static int	 cli_line(struct cli *, char *, size_t, int);
static char	*find(char *, size_t, const char *);
static void	 cli_consume(struct cli *, size_t);
static void	 body_add(struct resp *, const char *, size_t);
static void	 child_read(int, short, void *);
static void	 deadline(int, short, void *);
static void	 unpause(int, short, void *);
static void	 fds_fill(int, short, void *);
static void	 fds_free(int, short, void *);
static void	 shutdown_cb(int, short, void *);
static int	 json_error_ok(struct resp *, int);
static void	 test_bad(const char *, int, const char *);
static void	 c_refused(struct result *);

static long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((ts.tv_sec - t0.tv_sec) * 1000 +
	    (ts.tv_nsec - t0.tv_nsec) / 1000000);
}

static uint32_t
fnv(uint32_t h, const void *p, size_t len)
{
	const u_char	*s = p;

	while (len--) {
		h ^= *s++;
		h *= 16777619;
	}
	return (h);
}

/* ------------------------------------------------------------------ */
/* the handler, as the proxy would have it */

static void
on_close(struct http_conn *c, void *arg)
{
	closecb_calls++;
	closecb_ms = now_ms();
	if (c == pending) {
		pending = NULL;
		evtimer_del(&ev_async);
	}
}

static void
async_reply(int fd, short ev, void *arg)
{
	struct http_conn	*c = pending;

	pending = NULL;
	if (c != NULL)
		http_reply(c, 200, "text/plain", "async done", 10);
}

static void
stream_tick(int fd, short ev, void *arg)
{
	struct timeval	 tv = { 0, 30000 };
	char		 buf[32];
	int		 n;

	if (pending == NULL)
		return;
	if (stream_i == 5) {
		http_reply_stream_end(pending);
		pending = NULL;
		return;
	}
	n = snprintf(buf, sizeof(buf), "data: %d\n\n", stream_i++);
	http_reply_stream_data(pending, buf, n);
	evtimer_add(&ev_async, &tv);
}

/* push the big stream until the output is full, then wait for a drain */
static void
bigstream_push(struct http_conn *c, void *arg)
{
	static char	 piece[STREAM_PIECE];
	size_t		 i;

	drain_calls++;
	while (stream_sent < BIG_STREAM && http_conn_pending(c) < 65536) {
		for (i = 0; i < sizeof(piece); i++)
			piece[i] = (stream_sent + i) % 251;
		http_reply_stream_data(c, piece, sizeof(piece));
		stream_sent += sizeof(piece);
	}
	if (stream_sent == BIG_STREAM) {
		http_reply_stream_end(c);
		pending = NULL;
	}
}

static void
endless_push(struct http_conn *c, void *arg)
{
	static char	 piece[STREAM_PIECE];

	while (http_conn_pending(c) < 65536)
		http_reply_stream_data(c, piece, sizeof(piece));
}

static void
handler(struct http_conn *c, struct http_request *r)
{
	struct timeval	 tv = { 0, 300000 };
	char		 buf[BODYKEEP];
	char		*big;
	const char	*v;
	size_t		 i;
	int		 n;

	handler_calls++;
	if (strcmp(r->path, "/echo") == 0) {
		n = snprintf(buf, sizeof(buf),
		    "m=%s p=%s q=%s v=%d c=%llu id=%llu n=%zu b=%.*s",
		    r->method, r->path, r->query ? r->query : "-", r->version,
		    (unsigned long long)http_conn_id(c),
		    (unsigned long long)r->id, r->bodylen,
		    (int)(r->bodylen > 200 ? 200 : r->bodylen),
		    r->body ? r->body : "");
		http_reply(c, 200, "text/plain", buf, n);
	} else if (strcmp(r->path, "/header") == 0) {
		v = http_request_header(r, "x-test");
		http_reply_header(c, "X-Reply", "yes");
		T(http_reply_header(c, "Content-Length", "1") == -1,
		    "server: reserved reply header refused");
		T(http_reply_header(c, "X-Bad", "a\r\nb") == -1,
		    "server: CRLF in a reply header refused");
		http_reply(c, 200, "text/plain", v ? v : "none",
		    v ? strlen(v) : 4);
	} else if (strcmp(r->path, "/async") == 0) {
		pending = c;
		http_conn_set_closecb(c, on_close, NULL);
		evtimer_set(&ev_async, async_reply, NULL);
		evtimer_add(&ev_async, &tv);
	} else if (strcmp(r->path, "/slow") == 0) {
		/* never answers: only the close callback ends it */
		pending = c;
		http_conn_set_closecb(c, on_close, NULL);
	} else if (strcmp(r->path, "/stream") == 0) {
		pending = c;
		stream_i = 0;
		http_conn_set_closecb(c, on_close, NULL);
		http_reply_header(c, "Cache-Control", "no-cache");
		http_reply_stream_start(c, 200, "text/event-stream");
		T(http_reply(c, 200, NULL, NULL, 0) == -1,
		    "server: no second reply during a stream");
		evtimer_set(&ev_async, stream_tick, NULL);
		stream_tick(-1, 0, NULL);
	} else if (strcmp(r->path, "/bigstream") == 0) {
		pending = c;
		stream_sent = 0;
		drain_calls = 0;
		http_conn_set_closecb(c, on_close, NULL);
		http_conn_set_drain(c, 16384, bigstream_push, NULL);
		http_reply_stream_start(c, 200, "application/octet-stream");
		bigstream_push(c, NULL);
	} else if (strcmp(r->path, "/endless") == 0) {
		/* until the client stops reading */
		pending = c;
		http_conn_set_closecb(c, on_close, NULL);
		http_conn_set_drain(c, 16384, endless_push, NULL);
		http_reply_stream_start(c, 200, "application/octet-stream");
		endless_push(c, NULL);
	} else if (strcmp(r->path, "/big") == 0) {
		if ((big = malloc(BIG_REPLY)) == NULL)
			abort();
		for (i = 0; i < BIG_REPLY; i++)
			big[i] = i % 251;
		http_reply(c, 200, "application/octet-stream", big,
		    BIG_REPLY);
		free(big);
	} else if (strcmp(r->path, "/abort") == 0) {
		http_reply_stream_start(c, 200, "text/plain");
		http_reply_stream_data(c, "partial", 7);
		http_conn_abort(c);
	} else if (strcmp(r->path, "/nocontent") == 0) {
		http_reply(c, 204, NULL, NULL, 0);
	} else
		http_reply_error(c, 404, "no such \"path\"");
}

/* ------------------------------------------------------------------ */
/* server plumbing */

static int
listen_tcp(int *port)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 s;

	if ((s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		return (-1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(s, 16) == -1 ||
	    getsockname(s, (struct sockaddr *)&sin, &len) == -1) {
		close(s);
		return (-1);
	}
	*port = ntohs(sin.sin_port);
	return (s);
}

static int
listen_unix(const char *path)
{
	struct sockaddr_un	 sun;
	int			 s;

	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		return (-1);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	if (bind(s, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(s, 16) == -1) {
		close(s);
		return (-1);
	}
	return (s);
}

static void
make_cert(void)
{
	char	 cmd[512], path[128];
	int	 fd;

	snprintf(cmd, sizeof(cmd), "cd %s && openssl req -x509 -newkey ec "
	    "-pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout key.pem "
	    "-out cert.pem -days 2 -subj /CN=localhost "
	    "-addext subjectAltName=DNS:localhost >/dev/null 2>&1", tmpdir);
	if (system(cmd) != 0)
		return;
	/* as the proxy does: from fds, into memory */
	snprintf(path, sizeof(path), "%s/cert.pem", tmpdir);
	if ((fd = open(path, O_RDONLY)) != -1) {
		if (fd_read_all(fd, 1024 * 1024, &certmem, &certlen) == -1)
			certmem = NULL;
		close(fd);
	}
	snprintf(path, sizeof(path), "%s/key.pem", tmpdir);
	if ((fd = open(path, O_RDONLY)) != -1) {
		if (fd_read_all(fd, 1024 * 1024, &keymem, &keylen) == -1)
			keymem = NULL;
		close(fd);
	}
}

struct child {
	int		 fd;
	struct result	*res;
	size_t		 got;
	int		 done;
	struct event	 ev;
};

static void
child_read(int fd, short ev, void *arg)
{
	struct child	*ch = arg;
	ssize_t		 n;

	n = read(fd, (char *)ch->res + ch->got, sizeof(*ch->res) - ch->got);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0 || (ch->got += n) == sizeof(*ch->res))
		ch->done = 1;
}

static void
deadline(int fd, short ev, void *arg)
{
	*(int *)arg = 1;
}

/* Fork a client, run the server until it reports, collect its result. */
static void
run_client(void (*fn)(struct result *), struct result *res)
{
	struct child	 ch;
	struct event	 tmo;
	struct timeval	 tv = { 10, 0 };
	int		 p[2], late = 0, status;
	pid_t		 pid;
	size_t		 off;
	ssize_t		 n;

	memset(res, 0, sizeof(*res));
	if (pipe(p) == -1)
		abort();
	fflush(stdout);
	if ((pid = fork()) == -1)
		abort();
	if (pid == 0) {
		close(p[0]);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		fn(res);
		for (off = 0; off < sizeof(*res); off += n)
			if ((n = write(p[1], (char *)res + off,
			    sizeof(*res) - off)) <= 0)
				_exit(1);
		_exit(0);
	}
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	memset(&ch, 0, sizeof(ch));
	ch.fd = p[0];
	ch.res = res;
	event_set(&ch.ev, p[0], EV_READ | EV_PERSIST, child_read, &ch);
	event_add(&ch.ev, NULL);
	evtimer_set(&tmo, deadline, &late);
	evtimer_add(&tmo, &tv);
	while (!ch.done && !late)
		event_loop(EVLOOP_ONCE);
	event_del(&ch.ev);
	evtimer_del(&tmo);
	close(p[0]);
	if (late)
		kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	if (!ch.done || ch.got != sizeof(*res))
		res->n = -1;
}

static void
loop_ms(long ms)
{
	struct event	 tmo;
	struct timeval	 tv;
	int		 done = 0;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_set(&tmo, deadline, &done);
	evtimer_add(&tmo, &tv);
	while (!done)
		event_loop(EVLOOP_ONCE);
}

/* Let the server see the last client go. */
static void
settle(void)
{
	int	 i;

	for (i = 0; i < 150 && server_connections() > 0; i++)
		loop_ms(20);
}

/* ------------------------------------------------------------------ */
/* client plumbing, in the children */

static int
cli_open(struct cli *c, int port, int tls)
{
	struct sockaddr_in	 sin;
	struct tls_config	*cfg;

	memset(c, 0, sizeof(*c));
	if ((c->fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (-1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	if (connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		return (-1);
	fcntl(c->fd, F_SETFL, O_NONBLOCK);
	if (!tls)
		return (0);
	if ((cfg = tls_config_new()) == NULL ||
	    tls_config_set_ca_mem(cfg, certmem, certlen) == -1 ||
	    (c->tls = tls_client()) == NULL ||
	    tls_configure(c->tls, cfg) == -1 ||
	    tls_connect_socket(c->tls, c->fd, "localhost") == -1)
		return (-1);
	tls_config_free(cfg);
	return (0);
}

static int
cli_open_unix(struct cli *c)
{
	struct sockaddr_un	 sun;

	memset(c, 0, sizeof(*c));
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return (-1);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, sockpath, sizeof(sun.sun_path));
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		return (-1);
	fcntl(c->fd, F_SETFL, O_NONBLOCK);
	return (0);
}

static void
cli_close(struct cli *c)
{
	if (c->tls != NULL) {
		tls_free(c->tls);
		c->tls = NULL;
	}
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
}

static int
cli_wait(struct cli *c, short what, long until)
{
	struct pollfd	 pfd;
	long		 left = until - now_ms();

	if (left <= 0)
		return (-1);
	pfd.fd = c->fd;
	pfd.events = what;
	return (poll(&pfd, 1, left) == 1 ? 0 : -1);
}

static int
cli_send(struct cli *c, const void *data, size_t len)
{
	const char	*p = data;
	long		 until = now_ms() + IOTIMEOUT;
	ssize_t		 n;

	while (len > 0) {
		if (c->tls != NULL) {
			n = tls_write(c->tls, p, len);
			if (n == TLS_WANT_POLLIN || n == TLS_WANT_POLLOUT) {
				if (cli_wait(c, n == TLS_WANT_POLLIN ?
				    POLLIN : POLLOUT, until) == -1)
					return (-1);
				continue;
			}
		} else {
			n = send(c->fd, p, len, MSG_NOSIGNAL);
			if (n == -1 && errno == EAGAIN) {
				if (cli_wait(c, POLLOUT, until) == -1)
					return (-1);
				continue;
			}
		}
		if (n <= 0)
			return (-1);
		p += n;
		len -= n;
	}
	return (0);
}

static int
cli_sends(struct cli *c, const char *s)
{
	return (cli_send(c, s, strlen(s)));
}

/* Read some more into the buffer: 1, 0 on EOF, -1 on timeout/error. */
static int
cli_fill(struct cli *c, int timeout)
{
	long	 until = now_ms() + timeout;
	ssize_t	 n;

	if (c->len == sizeof(c->buf))
		return (-1);
	for (;;) {
		if (c->tls != NULL) {
			n = tls_read(c->tls, c->buf + c->len,
			    sizeof(c->buf) - c->len);
			if (n == TLS_WANT_POLLIN || n == TLS_WANT_POLLOUT) {
				if (cli_wait(c, n == TLS_WANT_POLLIN ?
				    POLLIN : POLLOUT, until) == -1)
					return (-1);
				continue;
			}
		} else {
			n = read(c->fd, c->buf + c->len,
			    sizeof(c->buf) - c->len);
			if (n == -1 && errno == EAGAIN) {
				if (cli_wait(c, POLLIN, until) == -1)
					return (-1);
				continue;
			}
		}
		if (n == 0) {
			c->eof = 1;
			return (0);
		}
		if (n < 0)
			return (-1);
		c->len += n;
		return (1);
	}
}

static char *
find(char *buf, size_t len, const char *pat)
{
	size_t	 n = strlen(pat), i;

	for (i = 0; i + n <= len; i++)
		if (memcmp(buf + i, pat, n) == 0)
			return (buf + i);
	return (NULL);
}

static void
cli_consume(struct cli *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
}

static void
body_add(struct resp *r, const char *p, size_t n)
{
	size_t	 keep;

	if (r->bodylen < BODYKEEP - 1) {
		keep = BODYKEEP - 1 - r->bodylen;
		if (keep > n)
			keep = n;
		memcpy(r->body + r->bodylen, p, keep);
	}
	r->hash = fnv(r->hash, p, n);
	r->bodylen += n;
}

/* a line from the buffer (CRLF-terminated), without the CRLF */
static int
cli_line(struct cli *c, char *line, size_t sz, int timeout)
{
	char	*e;
	size_t	 n;

	while ((e = find(c->buf, c->len, "\r\n")) == NULL)
		if (cli_fill(c, timeout) != 1)
			return (-1);
	n = e - c->buf;
	if (n >= sz)
		return (-1);
	memcpy(line, c->buf, n);
	line[n] = '\0';
	cli_consume(c, n + 2);
	return (0);
}

/*
 * One response.  nobody: it answers a HEAD.  Returns 0 or -1; r->status
 * is 0 if nothing came.
 */
static int
cli_response(struct cli *c, struct resp *r, int nobody, int timeout)
{
	char		*e, *h, line[128];
	size_t		 n, clen = 0, want;
	int		 hasclen = 0;

	memset(r, 0, sizeof(*r));
	r->hash = 2166136261U;
	while ((e = find(c->buf, c->len, "\r\n\r\n")) == NULL)
		if (cli_fill(c, timeout) != 1)
			return (-1);
	n = e + 4 - c->buf;
	memcpy(r->head, c->buf, n < HEADKEEP - 1 ? n : HEADKEEP - 1);
	cli_consume(c, n);
	if (sscanf(r->head, "HTTP/1.1 %d ", &r->status) != 1)
		return (-1);
	for (h = r->head; *h; h++)
		*h = *h >= 'A' && *h <= 'Z' ? *h + 32 : *h;
	if ((h = strstr(r->head, "\r\ncontent-length: ")) != NULL) {
		clen = strtoul(h + 18, NULL, 10);
		hasclen = 1;
	}
	r->chunked = strstr(r->head, "\r\ntransfer-encoding: chunked\r\n") !=
	    NULL;
	r->close = strstr(r->head, "\r\nconnection: close\r\n") != NULL;
	if (nobody || r->status < 200 || r->status == 204 ||
	    r->status == 304) {
		r->ms = now_ms();
		return (0);
	}
	if (r->chunked) {
		for (;;) {
			if (cli_line(c, line, sizeof(line), timeout) == -1)
				return (-1);
			want = strtoul(line, NULL, 16);
			if (want == 0)
				break;
			while (want > 0) {
				if (c->len == 0 && cli_fill(c, timeout) != 1)
					return (-1);
				n = c->len < want ? c->len : want;
				body_add(r, c->buf, n);
				cli_consume(c, n);
				want -= n;
			}
			if (cli_line(c, line, sizeof(line), timeout) == -1 ||
			    line[0] != '\0')
				return (-1);
		}
		/* trailers */
		do {
			if (cli_line(c, line, sizeof(line), timeout) == -1)
				return (-1);
		} while (line[0] != '\0');
	} else if (hasclen) {
		while (clen > 0) {
			if (c->len == 0 && cli_fill(c, timeout) != 1)
				return (-1);
			n = c->len < clen ? c->len : clen;
			body_add(r, c->buf, n);
			cli_consume(c, n);
			clen -= n;
		}
	} else {
		/* until the close */
		for (;;) {
			if (c->len > 0) {
				body_add(r, c->buf, c->len);
				c->len = 0;
			}
			if (cli_fill(c, timeout) != 1)
				break;
		}
		if (!c->eof)
			return (-1);
	}
	r->ms = now_ms();
	return (0);
}

/* EOF without any more bytes within timeout: 1, else 0. */
static int
cli_eof(struct cli *c, int timeout)
{
	if (c->len > 0)
		return (0);
	return (cli_fill(c, timeout) == 0);
}

/* ------------------------------------------------------------------ */
/* the clients */

#define GET(p)	"GET " p " HTTP/1.1\r\nHost: t\r\n\r\n"

static void
c_get(struct result *res)
{
	struct cli	 c;

	if (cli_open(&c, port_plain, 0) == -1 ||
	    cli_sends(&c, GET("/echo?x=1")) == -1)
		return;
	res->n = cli_response(&c, &res->r[0], 0, IOTIMEOUT) == 0;
	cli_close(&c);
}

static void
c_keepalive(struct result *res)
{
	struct cli	 c;
	int		 i;

	if (cli_open(&c, port_plain, 0) == -1)
		return;
	for (i = 0; i < 3; i++) {
		if (cli_sends(&c, GET("/echo")) == -1 ||
		    cli_response(&c, &res->r[i], 0, IOTIMEOUT) == -1)
			break;
		res->n++;
	}
	/* then nothing: the idle timeout closes it */
	res->ms = now_ms();
	res->eof = cli_eof(&c, IOTIMEOUT);
	res->eof_ms = now_ms();
	cli_close(&c);
}

static void
c_pipeline(struct result *res)
{
	struct cli	 c;
	int		 i;

	if (cli_open(&c, port_plain, 0) == -1 ||
	    cli_sends(&c, GET("/echo?1") "POST /echo?2 HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 5\r\n\r\nhello" GET("/echo?3")) == -1)
		return;
	for (i = 0; i < 3; i++) {
		if (cli_response(&c, &res->r[i], 0, IOTIMEOUT) == -1)
			break;
		res->n++;
	}
	cli_close(&c);
}

static void
c_split_body(struct result *res)
{
	struct cli	 c;

	if (cli_open(&c, port_plain, 0) == -1 ||
	    cli_sends(&c, "POST /echo HTTP/1.1\r\nHo") == -1)
		return;
	usleep(150000);
	cli_sends(&c, "st: t\r\nContent-Length: 30\r\n\r\n0123456789");
	usleep(150000);
	cli_sends(&c, "abcdefghij");
	usleep(150000);
	cli_sends(&c, "ABCDEFGHIJ");
	res->n = cli_response(&c, &res->r[0], 0, IOTIMEOUT) == 0;

	/* chunked, in pieces too */
	cli_sends(&c, "POST /echo HTTP/1.1\r\nHost: t\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n4;x=y\r\nwiki\r\n");
	usleep(100000);
	cli_sends(&c, "5\r\npedia\r\n");
	usleep(100000);
	cli_sends(&c, "0\r\nTrailer: z\r\n\r\n");
	res->n += cli_response(&c, &res->r[1], 0, IOTIMEOUT) == 0;
	cli_close(&c);
}

static void
c_continue(struct result *res)
{
	struct cli	 c;

	if (cli_open(&c, port_plain, 0) == -1 ||
	    cli_sends(&c, "POST /echo HTTP/1.1\r\nHost: t\r\n"
	    "Expect: 100-continue\r\nContent-Length: 4\r\n\r\n") == -1)
		return;
	/* the interim answer comes before any body byte is sent */
	if (cli_response(&c, &res->r[0], 0, IOTIMEOUT) == -1)
		return;
	res->n++;
	cli_sends(&c, "body");
	if (cli_response(&c, &res->r[1], 0, IOTIMEOUT) == 0)
		res->n++;
	/* a GET with Expect: nothing to continue, just the answer */
	cli_sends(&c, "GET /echo HTTP/1.1\r\nHost: t\r\n"
	    "Expect: 100-continue\r\n\r\n");
	if (cli_response(&c, &res->r[2], 0, IOTIMEOUT) == 0)
		res->n++;
	cli_close(&c);
}

/* one request that the server refuses: response, then EOF */
static const char	*bad_request;

static void
c_bad(struct result *res)
{
	struct cli	 c;

	if (cli_open(&c, port_plain, 0) == -1 ||
	    cli_sends(&c, bad_request) == -1)
		return;
	res->n = cli_response(&c, &res->r[0], 0, IOTIMEOUT) == 0;
	res->eof = cli_eof(&c, IOTIMEOUT);
	cli_close(&c);
}

static void
c_read_timeout(struct result *res)
{
	struct cli	 c;

	if (cli_open(&c, port_plain, 0) == -1 ||
	    cli_sends(&c, "GET /echo HTTP/1.1\r\nHo") == -1)
		return;
	res->ms = now_ms();
	res->n = cli_response(&c, &res->r[0], 0, IOTIMEOUT) == 0;
	res->eof = cli_eof(&c, IOTIMEOUT);
	cli_close(&c);
}

static void
c_idle(struct result *res)
{
	struct cli	 c;

	if (cli_open(&c, port_plain, 0) == -1)
		return;
	res->eof = cli_eof(&c, IOTIMEOUT);
	res->eof_ms = now_ms();
	cli_close(&c);
}

static void
c_tls_idle(struct result *res)
{
	struct cli	 c;

	/* TCP to the TLS port, and no handshake */
	if (cli_open(&c, port_tls, 0) == -1)
		return;
	res->eof = cli_eof(&c, IOTIMEOUT);
	res->eof_ms = now_ms();
	cli_close(&c);
}

static void
c_tls_garbage(struct result *res)
{
	struct cli	 c;

	/* plain HTTP to the TLS port: the handshake fails, the server hangs
	   up at once */
	if (cli_open(&c, port_tls, 0) == -1 ||
	    cli_sends(&c, GET("/echo")) == -1)
		return;
	while (cli_fill(&c, IOTIMEOUT) == 1)
		c.len = 0;
	/* EOF, or a reset for the unread request: not a timeout */
	res->eof_ms = now_ms();
	res->eof = c.eof || res->eof_ms < IOTIMEOUT;
	cli_close(&c);
}

static void
c_maxconn(struct result *res)
{
	struct cli	 c[MAXCONN + 1];
	int		 i;

	for (i = 0; i < MAXCONN; i++)
		if (cli_open(&c[i], port_plain, 0) == -1)
			return;
	/* the kernel completes the connection; the server must not */
	if (cli_open(&c[MAXCONN], port_plain, 0) == -1 ||
	    cli_sends(&c[MAXCONN], GET("/echo")) == -1)
		return;
	res->flag = cli_response(&c[MAXCONN], &res->r[0], 0, 400) == -1 &&
	    res->r[0].status == 0;
	res->ms = now_ms();
	cli_close(&c[0]);
	res->n = cli_response(&c[MAXCONN], &res->r[1], 0, IOTIMEOUT) == 0;
	for (i = 1; i <= MAXCONN; i++)
		cli_close(&c[i]);
}

static void
c_stream(struct result *res)
{
	struct cli	 c;

	if (cli_open(&c, port_plain, 0) == -1 ||
	    cli_sends(&c, GET("/stream")) == -1)
		return;
	res->ms = now_ms();
	res->n = cli_response(&c, &res->r[0], 0, IOTIMEOUT) == 0;
	/* the connection is still good */
	if (cli_sends(&c, GET("/echo")) == 0 &&
	    cli_response(&c, &res->r[1], 0, IOTIMEOUT) == 0)
		res->n++;
	cli_close(&c);
}

static void
c_stream10(struct result *res)
{
	struct cli	 c;

	if (cli_open(&c, port_plain, 0) == -1 ||
	    cli_sends(&c, "GET /stream HTTP/1.0\r\n"
	    "Connection: keep-alive\r\n\r\n") == -1)
		return;
	res->n = cli_response(&c, &res->r[0], 0, IOTIMEOUT) == 0;
	res->eof = c.eof;
	cli_close(&c);
}

static void
c_big(struct result *res)
{
	struct cli	 c;

	if (cli_open(&c, port_plain, 0) == -1 ||
	    cli_sends(&c, GET("/big") GET("/bigstream")) == -1)
		return;
	if (cli_response(&c, &res->r[0], 0, IOTIMEOUT) == 0)
		res->n++;
	/* read the stream slowly at first: the server must wait */
	usleep(200000);
	if (cli_response(&c, &res->r[1], 0, IOTIMEOUT) == 0)
		res->n++;
	cli_close(&c);
}

static void
c_head(struct result *res)
{
	struct cli	 c;

	if (cli_open(&c, port_plain, 0) == -1 ||
	    cli_sends(&c, "HEAD /echo HTTP/1.1\r\nHost: t\r\n\r\n"
	    GET("/echo?after") "HEAD /nope HTTP/1.1\r\nHost: t\r\n\r\n"
	    GET("/nocontent")) == -1)
		return;
	res->n += cli_response(&c, &res->r[0], 1, IOTIMEOUT) == 0;
	res->n += cli_response(&c, &res->r[1], 0, IOTIMEOUT) == 0;
	res->n += cli_response(&c, &res->r[2], 1, IOTIMEOUT) == 0;
	res->n += cli_response(&c, &res->r[3], 0, IOTIMEOUT) == 0;
	cli_sends(&c, "GET /header HTTP/1.1\r\nHost: t\r\nX-Test: hi\r\n"
	    "Connection: close\r\n\r\n");
	res->n += cli_response(&c, &res->r[4], 0, IOTIMEOUT) == 0;
	res->eof = cli_eof(&c, IOTIMEOUT);
	cli_close(&c);
}

static void
c_http10(struct result *res)
{
	struct cli	 c;

	if (cli_open(&c, port_plain, 0) == -1 ||
	    cli_sends(&c, "GET /echo HTTP/1.0\r\n"
	    "Connection: keep-alive\r\n\r\n") == -1)
		return;
	res->n += cli_response(&c, &res->r[0], 0, IOTIMEOUT) == 0;
	cli_sends(&c, "GET /echo HTTP/1.0\r\n\r\n");
	res->n += cli_response(&c, &res->r[1], 0, IOTIMEOUT) == 0;
	res->eof = cli_eof(&c, IOTIMEOUT);
	cli_close(&c);
}

static void
c_async(struct result *res)
{
	struct cli	 c;

	if (cli_open(&c, port_plain, 0) == -1 ||
	    cli_sends(&c, GET("/async")) == -1)
		return;
	res->ms = now_ms();
	res->n = cli_response(&c, &res->r[0], 0, IOTIMEOUT) == 0;
	cli_close(&c);
}

static void
c_gone(struct result *res)
{
	struct cli	 c;

	if (cli_open(&c, port_plain, 0) == -1 ||
	    cli_sends(&c, GET("/slow")) == -1)
		return;
	usleep(100000);
	cli_close(&c);
	res->n = 1;
}

static void
c_gone_stream(struct result *res)
{
	struct cli	 c;

	/* leave in the middle of a stream */
	if (cli_open(&c, port_plain, 0) == -1 ||
	    cli_sends(&c, GET("/stream")) == -1)
		return;
	usleep(50000);
	cli_close(&c);
	res->n = 1;
}

static void
c_abort(struct result *res)
{
	struct cli	 c;

	if (cli_open(&c, port_plain, 0) == -1 ||
	    cli_sends(&c, GET("/abort")) == -1)
		return;
	/* the chunked body never ends: an error, then EOF */
	res->flag = cli_response(&c, &res->r[0], 0, IOTIMEOUT) == -1 &&
	    c.eof;
	res->n = res->r[0].status == 200;
	cli_close(&c);
}

static void
c_tls(struct result *res)
{
	struct cli	 c;
	char		 req[9000];
	int		 n;

	if (cli_open(&c, port_tls, 1) == -1 ||
	    cli_sends(&c, GET("/echo?tls")) == -1)
		return;
	res->n += cli_response(&c, &res->r[0], 0, IOTIMEOUT) == 0;
	/* a body near the limit, then a big reply, on the same connection */
	n = snprintf(req, sizeof(req), "POST /echo HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 8000\r\n\r\n");
	memset(req + n, 'z', 8000);
	if (cli_send(&c, req, n + 8000) == 0)
		res->n += cli_response(&c, &res->r[1], 0, IOTIMEOUT) == 0;
	if (cli_sends(&c, GET("/big")) == 0)
		res->n += cli_response(&c, &res->r[2], 0, IOTIMEOUT) == 0;
	if (cli_sends(&c, GET("/stream")) == 0)
		res->n += cli_response(&c, &res->r[3], 0, IOTIMEOUT) == 0;
	cli_close(&c);
}

static void
c_unix(struct result *res)
{
	struct cli	 c;

	if (cli_open_unix(&c) == -1 || cli_sends(&c, GET("/echo?unix")) == -1)
		return;
	res->n = cli_response(&c, &res->r[0], 0, IOTIMEOUT) == 0;
	cli_close(&c);
}

static void
c_paused(struct result *res)
{
	struct cli	 c;

	if (cli_open(&c, port_plain, 0) == -1 ||
	    cli_sends(&c, GET("/echo")) == -1)
		return;
	res->flag = cli_response(&c, &res->r[0], 0, 300) == -1 &&
	    res->r[0].status == 0;
	res->n = cli_response(&c, &res->r[1], 0, IOTIMEOUT) == 0;
	cli_close(&c);
}

static void
c_emfile(struct result *res)
{
	struct cli	 c;

	usleep(200000);
	if (cli_open(&c, port_plain, 0) == -1 ||
	    cli_sends(&c, GET("/echo")) == -1)
		return;
	res->ms = now_ms();
	res->n = cli_response(&c, &res->r[0], 0, IOTIMEOUT) == 0;
	cli_close(&c);
}

static void
c_stall(struct result *res)
{
	struct sockaddr_in	 sin;
	int			 s, small = 4096;

	/* a small window, and never a read */
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return;
	setsockopt(s, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port_plain);
	if (connect(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    write(s, GET("/endless"), strlen(GET("/endless"))) <= 0)
		return;
	usleep(2500000);
	close(s);
	res->n = 1;
}

static void
c_shutdown(struct result *res)
{
	struct cli	 a, b;

	if (cli_open(&a, port_plain, 0) == -1 ||
	    cli_open(&b, port_plain, 0) == -1 ||
	    cli_sends(&b, GET("/async")) == -1)
		return;
	res->n = cli_response(&b, &res->r[0], 0, IOTIMEOUT) == 0;
	res->eof = cli_eof(&b, IOTIMEOUT);
	res->flag = cli_eof(&a, IOTIMEOUT);
	res->eof_ms = now_ms();
	cli_close(&a);
	cli_close(&b);
}

static void
c_refused(struct result *res)
{
	struct cli	 c;

	res->flag = cli_open(&c, port_plain, 0) == -1;
	cli_close(&c);
}

/* ------------------------------------------------------------------ */

static void
unpause(int fd, short ev, void *arg)
{
	server_pause(0);
}

static int		 fill[512];
static int		 nfill;
static struct rlimit	 saved_nofile;

/* use up every descriptor: accept(2) fails with EMFILE */
static void
fds_fill(int fd, short ev, void *arg)
{
	struct rlimit	 rl;
	int		 f;

	getrlimit(RLIMIT_NOFILE, &saved_nofile);
	rl = saved_nofile;
	if (rl.rlim_cur > 256)
		rl.rlim_cur = 256;
	setrlimit(RLIMIT_NOFILE, &rl);
	while (nfill < 512 && (f = dup(2)) != -1)
		fill[nfill++] = f;
}

static void
fds_free(int fd, short ev, void *arg)
{
	while (nfill > 0)
		close(fill[--nfill]);
	setrlimit(RLIMIT_NOFILE, &saved_nofile);
}

static void
shutdown_cb(int fd, short ev, void *arg)
{
	server_shutdown();
}

static int
json_error_ok(struct resp *r, int status)
{
	char	 want[64];

	snprintf(want, sizeof(want), "\"type\":\"invalid_request_error\","
	    "\"code\":%d}}", status);
	return (strncmp(r->body, "{\"error\":{\"message\":\"", 21) == 0 &&
	    strstr(r->body, want) != NULL &&
	    strstr(r->head, "content-type: application/json") != NULL);
}

static void
test_bad(const char *req, int status, const char *what)
{
	struct result	 res;

	bad_request = req;
	run_client(c_bad, &res);
	T(res.n == 1 && res.r[0].status == status, "%s: %d (got %d)", what,
	    status, res.r[0].status);
	T(res.r[0].close && res.eof, "%s: Connection: close, then EOF", what);
	T(json_error_ok(&res.r[0], status), "%s: JSON error body", what);
	settle();
}

int
main(void)
{
	struct result	 res;
	struct event	 ev, ev2;
	struct timeval	 tv;
	char		 big[4096], *p;
	size_t		 i;
	int		 s;
	uint32_t	 h;

	log_init(1, LOG_DAEMON);
	log_setverbose(getenv("HTTP_TEST_VERBOSE") != NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	event_init();

	strlcpy(tmpdir, "/tmp/test_http.XXXXXX", sizeof(tmpdir));
	if (mkdtemp(tmpdir) == NULL)
		abort();
	snprintf(sockpath, sizeof(sockpath), "%s/http.sock", tmpdir);

	server_init(&lim, handler);
	s = listen_tcp(&port_plain);
	T(s != -1 && server_listen(s, 0, NULL, "plain") == 0,
	    "listen on 127.0.0.1:%d", port_plain);
	make_cert();
	T(certmem != NULL && keymem != NULL, "certificate made and read");
	tlsctx = server_tls_new(certmem, certlen, keymem, keylen);
	T(tlsctx != NULL, "TLS server context from memory");
	T(server_tls_new(certmem, certlen, certmem, certlen) == NULL,
	    "TLS context with a bad key refused");
	s = listen_tcp(&port_tls);
	T(s != -1 && server_listen(s, 0, tlsctx, "tls") == 0,
	    "listen with TLS on 127.0.0.1:%d", port_tls);
	s = listen_unix(sockpath);
	T(s != -1 && server_listen(s, 1, NULL, "unix") == 0,
	    "listen on a UNIX socket");

	/* a GET */
	run_client(c_get, &res);
	T(res.n == 1 && res.r[0].status == 200, "GET answered 200");
	T(strstr(res.r[0].body, "m=GET p=/echo q=x=1 v=11") != NULL,
	    "GET: method, path, query, version");
	T(strstr(res.r[0].head, "\r\nserver: routstrd\r\n") != NULL,
	    "Server: routstrd");
	T(strstr(res.r[0].head, "\r\ndate: ") != NULL &&
	    strstr(res.r[0].head, " gmt\r\n") != NULL, "Date header");
	T(strstr(res.r[0].head, "\r\ncontent-type: text/plain\r\n") != NULL,
	    "Content-Type");
	T(!res.r[0].close && !res.r[0].chunked, "keep-alive, not chunked");
	settle();
	T(server_connections() == 0, "connection closed after the client");

	/* keep-alive, then the idle timeout */
	run_client(c_keepalive, &res);
	T(res.n == 3 && res.r[0].status == 200 && res.r[2].status == 200,
	    "keep-alive: 3 requests on one connection");
	p = strstr(res.r[0].body, " c=");
	T(p != NULL && strncmp(p, strstr(res.r[2].body, " c="), 6) == 0,
	    "keep-alive: the same connection served all three");
	T(res.eof && res.eof_ms - res.ms >= 800 && res.eof_ms - res.ms < 2500,
	    "idle keep-alive connection closed after ~1 s (%ld ms)",
	    res.eof_ms - res.ms);
	settle();

	/* pipelining */
	run_client(c_pipeline, &res);
	T(res.n == 3, "pipelining: 3 responses");
	T(strstr(res.r[0].body, "q=1 ") != NULL &&
	    strstr(res.r[1].body, "q=2 ") != NULL &&
	    strstr(res.r[1].body, "n=5 b=hello") != NULL &&
	    strstr(res.r[2].body, "q=3 ") != NULL, "pipelining: in order");
	settle();

	/* bodies in pieces */
	run_client(c_split_body, &res);
	T(res.n == 2 && strstr(res.r[0].body,
	    "n=30 b=0123456789abcdefghijABCDEFGHIJ") != NULL,
	    "body split over several writes with pauses");
	T(strstr(res.r[1].body, "m=POST p=/echo q=- v=11") != NULL &&
	    strstr(res.r[1].body, "n=9 b=wikipedia") != NULL,
	    "chunked request body in pieces");
	settle();

	/* 100-continue */
	run_client(c_continue, &res);
	T(res.n == 3 && res.r[0].status == 100, "100 Continue first");
	T(res.r[1].status == 200 && strstr(res.r[1].body, "n=4 b=body"),
	    "then the body is read and answered");
	T(res.r[2].status == 200, "Expect on a GET: plain answer");
	settle();

	/* limits and errors over the wire */
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /", 5);
	strlcpy(big + 2000, " HTTP/1.1\r\nHost: t\r\n\r\n", sizeof(big) - 2000);
	test_bad(big, 414, "long request-target");
	strlcpy(big, "GET / HTTP/1.1\r\nHost: t\r\nX-Big: ", sizeof(big));
	memset(big + strlen(big), 'b', 1100);
	strlcpy(big + 1200, "\r\n\r\n", sizeof(big) - 1200);
	test_bad(big, 431, "header section too large");
	strlcpy(big, "GET / HTTP/1.1\r\nHost: t\r\n", sizeof(big));
	for (i = 0; i < 20; i++)
		snprintf(big + strlen(big), sizeof(big) - strlen(big),
		    "X-%zu: y\r\n", i);
	strlcat(big, "\r\n", sizeof(big));
	test_bad(big, 431, "too many headers");
	test_bad("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 9000\r\n"
	    "\r\n", 413, "body too large (Content-Length)");
	test_bad("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked"
	    "\r\n\r\n10000\r\n", 413, "body too large (chunked)");
	test_bad("GET / HTTP/1.1\r\n\r\n", 400, "missing Host");
	test_bad("GET / HTTP/1.1\r\nHost: t\r\nX: a\r\n b\r\n\r\n", 400,
	    "obs-fold");
	test_bad("GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505, "HTTP/2.0");
	test_bad("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n"
	    "\r\n", 501, "Transfer-Encoding gzip");
	test_bad("POST / HTTP/1.1\r\nHost: t\r\n\r\n", 411, "POST no length");
	test_bad("POST / HTTP/1.1\r\nHost: t\r\nExpect: tea\r\n"
	    "Content-Length: 1\r\n\r\nx", 417, "unknown Expect");
	test_bad("HELLO\r\n\r\n", 400, "garbage");
	/* a large body behind the 413: the reply still gets through */
	{
		static char	 req[60000];

		i = snprintf(req, sizeof(req), "POST /echo HTTP/1.1\r\n"
		    "Host: t\r\nContent-Length: 50000\r\n\r\n");
		memset(req + i, 'x', sizeof(req) - i - 1);
		test_bad(req, 413, "413 with the body sent anyway");
	}

	/* read timeout */
	run_client(c_read_timeout, &res);
	T(res.n == 1 && res.r[0].status == 408, "partial request: 408");
	T(res.r[0].ms - res.ms >= 800 && res.r[0].ms - res.ms < 2500,
	    "408 after ~1 s (%ld ms)", res.r[0].ms - res.ms);
	T(res.r[0].close && res.eof, "408: Connection: close, then EOF");
	settle();

	/* idle timeouts */
	run_client(c_idle, &res);
	T(res.eof && res.eof_ms >= 800 && res.eof_ms < 2500,
	    "idle connection closed silently after ~1 s (%ld ms)",
	    res.eof_ms);
	settle();
	run_client(c_tls_idle, &res);
	T(res.eof && res.eof_ms >= 800 && res.eof_ms < 2500,
	    "TLS connection without handshake closed after ~1 s (%ld ms)",
	    res.eof_ms);
	settle();

	run_client(c_tls_garbage, &res);
	T(res.eof && res.eof_ms < 500,
	    "TLS port: plain text refused at once (%ld ms)", res.eof_ms);
	settle();

	/* max connections */
	run_client(c_maxconn, &res);
	T(res.flag, "at %d connections the next one waits", MAXCONN);
	T(res.n == 1 && res.r[1].status == 200 && res.r[1].ms - res.ms < 500,
	    "and is served once one closes (%ld ms)", res.r[1].ms - res.ms);
	settle();
	T(server_connections() == 0, "all connections gone");

	/* streaming */
	run_client(c_stream, &res);
	T(res.n == 2 && res.r[0].status == 200 && res.r[0].chunked,
	    "streamed reply is chunked");
	T(strcmp(res.r[0].body, "data: 0\n\ndata: 1\n\ndata: 2\n\n"
	    "data: 3\n\ndata: 4\n\n") == 0, "streamed body complete");
	T(res.r[0].ms - res.ms >= 100, "chunks came over time (%ld ms)",
	    res.r[0].ms - res.ms);
	T(strstr(res.r[0].head, "cache-control: no-cache") != NULL &&
	    strstr(res.r[0].head, "content-length") == NULL,
	    "stream: handler header, no Content-Length");
	T(res.r[1].status == 200, "connection reusable after the stream");
	settle();
	run_client(c_stream10, &res);
	T(res.n == 1 && !res.r[0].chunked && res.r[0].close && res.eof &&
	    strcmp(res.r[0].body, "data: 0\n\ndata: 1\n\ndata: 2\n\n"
	    "data: 3\n\ndata: 4\n\n") == 0,
	    "HTTP/1.0 stream: until close, not chunked");
	settle();

	/* large replies and backpressure */
	run_client(c_big, &res);
	h = 2166136261U;
	for (i = 0; i < BIG_REPLY; i++) {
		u_char b = i % 251;

		h = fnv(h, &b, 1);
	}
	T(res.n == 2 && res.r[0].bodylen == BIG_REPLY && res.r[0].hash == h,
	    "256 KB reply intact");
	h = 2166136261U;
	for (i = 0; i < BIG_STREAM; i++) {
		u_char b = i % 251;

		h = fnv(h, &b, 1);
	}
	T(res.r[1].bodylen == BIG_STREAM && res.r[1].hash == h,
	    "1 MB stream intact");
	T(drain_calls > 2, "stream paced by the drain callback (%d calls)",
	    drain_calls);
	settle();

	/* HEAD, 204, reply headers, Connection: close */
	run_client(c_head, &res);
	T(res.n == 5 && res.r[0].status == 200 &&
	    strstr(res.r[0].head, "content-length: ") != NULL,
	    "HEAD: headers with Content-Length");
	T(res.r[1].status == 200 && strstr(res.r[1].body, "q=after"),
	    "HEAD: no body bytes (the next reply parses)");
	T(res.r[2].status == 404, "HEAD of an unknown path: 404");
	T(res.r[3].status == 204 &&
	    strstr(res.r[3].head, "content-length") == NULL,
	    "204 without Content-Length");
	T(res.r[4].status == 200 && strcmp(res.r[4].body, "hi") == 0 &&
	    strstr(res.r[4].head, "\r\nx-reply: yes\r\n") != NULL,
	    "request header lookup and reply header");
	T(res.r[4].close && res.eof, "Connection: close honoured");
	settle();

	/* HTTP/1.0 */
	run_client(c_http10, &res);
	T(res.n == 2 && strstr(res.r[0].head, "connection: keep-alive") &&
	    strstr(res.r[0].body, "v=10"), "HTTP/1.0 keep-alive");
	T(res.r[1].close && res.eof, "HTTP/1.0 without keep-alive closes");
	settle();

	/* asynchronous replies and clients that leave */
	run_client(c_async, &res);
	T(res.n == 1 && strcmp(res.r[0].body, "async done") == 0 &&
	    res.r[0].ms - res.ms >= 250, "asynchronous reply (%ld ms)",
	    res.r[0].ms - res.ms);
	settle();
	closecb_calls = 0;
	run_client(c_gone, &res);
	settle();
	T(closecb_calls == 1 && pending == NULL,
	    "client gone before the reply: close callback");
	T(server_connections() == 0, "and the connection is freed");
	closecb_calls = 0;
	run_client(c_gone_stream, &res);
	settle();
	T(closecb_calls == 1 && pending == NULL,
	    "client gone during a stream: close callback");
	run_client(c_abort, &res);
	T(res.n == 1 && res.flag, "aborted stream: cut short, then EOF");
	settle();

	/* TLS */
	run_client(c_tls, &res);
	T(res.n == 4 && strstr(res.r[0].body, "q=tls") != NULL,
	    "TLS request answered");
	T(strstr(res.r[1].body, "n=8000 b=zzz") != NULL,
	    "TLS: 8000-byte body");
	T(res.r[2].bodylen == BIG_REPLY, "TLS: 256 KB reply");
	T(res.r[3].chunked && res.r[3].bodylen == 45, "TLS: streamed reply");
	settle();

	/* UNIX socket */
	run_client(c_unix, &res);
	T(res.n == 1 && strstr(res.r[0].body, "q=unix") != NULL,
	    "UNIX socket request answered");
	settle();

	/* pause */
	server_pause(1);
	evtimer_set(&ev, unpause, NULL);
	tv.tv_sec = 0;
	tv.tv_usec = 500000;
	evtimer_add(&ev, &tv);
	run_client(c_paused, &res);
	T(res.flag && res.n == 1 && res.r[1].status == 200,
	    "server_pause holds new connections back");
	settle();

	/* a client that does not read: the write timeout ends it */
	closecb_calls = 0;
	i = now_ms();
	run_client(c_stall, &res);
	settle();
	T(res.n == 1 && closecb_calls == 1 && closecb_ms - (long)i < 2400,
	    "stalled reader dropped after the write timeout, close callback "
	    "called (%ld ms)", closecb_ms - (long)i);

	/* out of descriptors: accepting pauses, then resumes */
	evtimer_set(&ev, fds_fill, NULL);
	tv.tv_sec = 0;
	tv.tv_usec = 50000;
	evtimer_add(&ev, &tv);
	evtimer_set(&ev2, fds_free, NULL);
	tv.tv_usec = 600000;
	evtimer_add(&ev2, &tv);
	run_client(c_emfile, &res);
	T(res.n == 1 && res.r[0].status == 200 && res.r[0].ms - res.ms >= 700,
	    "EMFILE: accepting paused, then the client is served (%ld ms)",
	    res.r[0].ms - res.ms);
	settle();

	T(handler_calls > 20, "handler called %d times", handler_calls);

	/* shutdown: idle connections close, the reply in flight finishes */
	evtimer_set(&ev, shutdown_cb, NULL);
	tv.tv_usec = 150000;
	evtimer_add(&ev, &tv);
	run_client(c_shutdown, &res);
	T(res.n == 1 && strcmp(res.r[0].body, "async done") == 0 &&
	    res.r[0].close && res.eof,
	    "shutdown: reply in flight finished with Connection: close");
	T(res.flag && res.eof_ms < 800,
	    "shutdown: idle connection closed at once (%ld ms)", res.eof_ms);
	settle();
	T(server_connections() == 0, "no connection left");
	run_client(c_refused, &res);
	T(res.flag, "shutdown: nothing accepted any more");
	server_shutdown();

	tls_free(tlsctx);
	freezero(keymem, keylen);
	free(certmem);
	snprintf(big, sizeof(big), "%s/cert.pem", tmpdir);
	unlink(big);
	snprintf(big, sizeof(big), "%s/key.pem", tmpdir);
	unlink(big);
	unlink(sockpath);
	rmdir(tmpdir);
	return (test_done());
}
