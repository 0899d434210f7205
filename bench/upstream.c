/*
 * bench/upstream: a fast mock of an OpenAI-compatible upstream for
 * bench/proxy.sh, so that the thing measured is the proxy in front of
 * it and not the mock (regress/upstream-mock.py has the knobs, this has
 * the speed).  One libevent loop per worker process, HTTP/1.1 with
 * keep-alive and pipelining, the request parsed only as far as needed.
 *
 *	obj/bench/upstream [-p port] [-s ms] [-w workers]
 *
 * It listens on 127.0.0.1:port (0, the default: any free port), prints
 * "port N" on standard output once listening and serves until SIGTERM
 * or SIGINT, or until its parent dies.
 *
 * POST .../chat/completions answers a fixed chat completion with usage
 * (10 prompt and 5 completion tokens).  With "stream": true in the body
 * it answers text/event-stream, chunked: a role chunk, three content
 * chunks, a finish chunk, a usage chunk, then "data: [DONE]", each event
 * a chunk of its own; all in one write, or with -s, the headers and the
 * first event at once and each next event ms milliseconds later (to see
 * that a proxy passes the stream on as it comes).  GET /health answers
 * 200; anything else 404.  Request bodies must have a Content-Length
 * (what libcurl and nginx send); "Expect: 100-continue" is honoured.
 */

#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#define HEAD_MAX	(64 * 1024)
#define BODY_MAX	(1024 * 1024)
#define WORKERS_MAX	64

#define ANSWER_100	"HTTP/1.1 100 Continue\r\n\r\n"
#define ANSWER_404	"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
#define ANSWER_HEALTH	"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n"

#define CHUNK_PRE	"{\"id\":\"chatcmpl-bench\",\"object\":" \
			"\"chat.completion.chunk\",\"created\":1700000000," \
			"\"model\":\"bench\","

static const char	*events[] = {
	"data: " CHUNK_PRE "\"choices\":[{\"index\":0,\"delta\":{\"role\":"
	    "\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n",
	"data: " CHUNK_PRE "\"choices\":[{\"index\":0,\"delta\":"
	    "{\"content\":\"hello\"},\"finish_reason\":null}]}\n\n",
	"data: " CHUNK_PRE "\"choices\":[{\"index\":0,\"delta\":"
	    "{\"content\":\" from\"},\"finish_reason\":null}]}\n\n",
	"data: " CHUNK_PRE "\"choices\":[{\"index\":0,\"delta\":"
	    "{\"content\":\" the bench\"},\"finish_reason\":null}]}\n\n",
	"data: " CHUNK_PRE "\"choices\":[{\"index\":0,\"delta\":{},"
	    "\"finish_reason\":\"stop\"}]}\n\n",
	"data: " CHUNK_PRE "\"choices\":[],\"usage\":{\"prompt_tokens\":10,"
	    "\"completion_tokens\":5,\"total_tokens\":15}}\n\n",
	"data: [DONE]\n\n",
};
#define NEVENTS		(sizeof(events) / sizeof(events[0]))

static const char	 reply_body[] =
	"{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion\","
	"\"created\":1700000000,\"model\":\"bench\",\"choices\":[{\"index\":0,"
	"\"message\":{\"role\":\"assistant\",\"content\":\"hello from the "
	"bench\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":10,"
	"\"completion_tokens\":5,\"total_tokens\":15}}";

static const char	 stream_head[] =
	"HTTP/1.1 200 OK\r\n"
	"Content-Type: text/event-stream\r\n"
	"Cache-Control: no-cache\r\n"
	"Transfer-Encoding: chunked\r\n"
	"\r\n";

struct conn {
	struct bufferevent	*bev;
	struct event		*timer;
	size_t			 head_len;	/* of the request waiting */
	size_t			 body_len;
	int			 expect_sent;
	int			 close;		/* after this answer */
	size_t			 next_event;	/* streaming with a delay */
	int			 streaming;
};

static char		 reply[1024];
static size_t		 reply_len;
static char		 stream_all[4096];
static size_t		 stream_all_len;
static struct timeval	 delay;
static int		 delayed;
static struct event_base *base;

static void	 usage(void) __attribute__((__noreturn__));
static void	 prepare(void);
static void	 chunk_add(struct evbuffer *, const char *);
static void	 conn_free(struct conn *);
static void	 conn_read(struct bufferevent *, void *);
static void	 conn_write(struct bufferevent *, void *);
static void	 conn_event(struct bufferevent *, short, void *);
static void	 conn_timer(int, short, void *);
static int	 conn_request(struct conn *);
static void	 conn_error(struct conn *, const char *);
static int	 header_value(const char *, size_t, const char *,
		    const char **, size_t *);
static int	 body_streams(const char *, size_t);
static void	 accept_cb(struct evconnlistener *, evutil_socket_t,
		    struct sockaddr *, int, void *);
static void	 stop_cb(int, short, void *);
static void	 serve(int);

static void
usage(void)
{
	fprintf(stderr, "usage: upstream [-p port] [-s ms] [-w workers]\n");
	exit(1);
}

static void
chunk_add(struct evbuffer *b, const char *ev)
{
	size_t	len = strlen(ev);

	evbuffer_add_printf(b, "%zx\r\n", len);
	evbuffer_add(b, ev, len);
	evbuffer_add(b, "\r\n", 2);
}

/* The answers never change: made once. */
static void
prepare(void)
{
	size_t	i, len;
	int	n;

	n = snprintf(reply, sizeof(reply), "HTTP/1.1 200 OK\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: %zu\r\n\r\n%s", sizeof(reply_body) - 1,
	    reply_body);
	if (n < 0 || (size_t)n >= sizeof(reply))
		errx(1, "reply too long");
	reply_len = n;

	len = strlcpy(stream_all, stream_head, sizeof(stream_all));
	for (i = 0; i < NEVENTS; i++) {
		n = snprintf(stream_all + len, sizeof(stream_all) - len,
		    "%zx\r\n%s\r\n", strlen(events[i]), events[i]);
		if (n < 0 || (size_t)n >= sizeof(stream_all) - len)
			errx(1, "stream too long");
		len += n;
	}
	n = snprintf(stream_all + len, sizeof(stream_all) - len, "0\r\n\r\n");
	if (n < 0 || (size_t)n >= sizeof(stream_all) - len)
		errx(1, "stream too long");
	stream_all_len = len + n;
}

static void
conn_free(struct conn *c)
{
	if (c->timer != NULL)
		event_free(c->timer);
	bufferevent_free(c->bev);
	free(c);
}

static void
conn_error(struct conn *c, const char *status)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);

	evbuffer_add_printf(out, "HTTP/1.1 %s\r\nContent-Length: 0\r\n"
	    "Connection: close\r\n\r\n", status);
	c->close = 1;
	bufferevent_disable(c->bev, EV_READ);
}

/*
 * The value of header NAME in the head (request line excluded), case
 * insensitive, without surrounding blanks.
 */
static int
header_value(const char *head, size_t len, const char *name,
    const char **val, size_t *vlen)
{
	const char	*p = head, *end = head + len, *eol, *v;
	size_t		 nlen = strlen(name);

	while (p < end) {
		if ((eol = memchr(p, '\n', end - p)) == NULL)
			eol = end;
		if ((size_t)(eol - p) > nlen && p[nlen] == ':' &&
		    strncasecmp(p, name, nlen) == 0) {
			v = p + nlen + 1;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			*val = v;
			while (eol > v && (eol[-1] == '\r' ||
			    eol[-1] == ' ' || eol[-1] == '\t'))
				eol--;
			*vlen = eol - v;
			return 1;
		}
		p = eol + 1;
	}
	return 0;
}

/* "stream" : true anywhere in the body: good enough for a mock. */
static int
body_streams(const char *body, size_t len)
{
	const char	*p = body, *end = body + len;

	while ((p = memmem(p, end - p, "\"stream\"", 8)) != NULL) {
		p += 8;
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' ||
		    *p == '\r'))
			p++;
		if (p >= end || *p != ':')
			continue;
		p++;
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' ||
		    *p == '\r'))
			p++;
		if ((size_t)(end - p) >= 4 && memcmp(p, "true", 4) == 0)
			return 1;
	}
	return 0;
}

/*
 * One request from the input, if it is all there: 1 when one was
 * answered (or is being streamed), 0 when more input is needed, -1 to
 * close.
 */
static int
conn_request(struct conn *c)
{
	struct evbuffer		*in = bufferevent_get_input(c->bev);
	struct evbuffer		*out = bufferevent_get_output(c->bev);
	struct evbuffer_ptr	 ptr;
	const char		*head, *line, *sp, *v, *path;
	size_t			 avail, vlen, plen, i;
	char			 num[32];
	const char		*errstr;
	int			 post, stream;

	avail = evbuffer_get_length(in);
	if (c->head_len == 0) {
		ptr = evbuffer_search(in, "\r\n\r\n", 4, NULL);
		if (ptr.pos < 0) {
			if (avail > HEAD_MAX) {
				conn_error(c, "431 Request Header Fields "
				    "Too Large");
				return -1;
			}
			return 0;
		}
		c->head_len = ptr.pos + 4;
		head = (const char *)evbuffer_pullup(in, c->head_len);
		c->body_len = 0;
		c->expect_sent = 0;
		if (header_value(head, c->head_len, "Transfer-Encoding", &v,
		    &vlen)) {
			conn_error(c, "411 Length Required");
			return -1;
		}
		if (header_value(head, c->head_len, "Content-Length", &v,
		    &vlen)) {
			if (vlen == 0 || vlen >= sizeof(num)) {
				conn_error(c, "400 Bad Request");
				return -1;
			}
			memcpy(num, v, vlen);
			num[vlen] = '\0';
			c->body_len = strtonum(num, 0, BODY_MAX, &errstr);
			if (errstr != NULL) {
				conn_error(c, "413 Content Too Large");
				return -1;
			}
		}
	}
	head = (const char *)evbuffer_pullup(in, c->head_len +
	    (avail >= c->head_len + c->body_len ? c->body_len : 0));
	if (avail < c->head_len + c->body_len) {
		if (!c->expect_sent && header_value(head, c->head_len,
		    "Expect", &v, &vlen) && vlen == 12 &&
		    strncasecmp(v, "100-continue", 12) == 0) {
			evbuffer_add(out, ANSWER_100, sizeof(ANSWER_100) - 1);
			c->expect_sent = 1;
		}
		return 0;
	}

	/* The request line: method, path, version. */
	line = head;
	if ((sp = memchr(line, ' ', c->head_len)) == NULL) {
		conn_error(c, "400 Bad Request");
		return -1;
	}
	post = sp - line == 4 && memcmp(line, "POST", 4) == 0;
	path = sp + 1;
	for (i = 0; path + i < head + c->head_len && path[i] != ' ' &&
	    path[i] != '\r'; i++)
		;
	plen = i;
	if (memmem(head, c->head_len, "HTTP/1.0\r\n", 10) != NULL)
		c->close = 1;
	if (header_value(head, c->head_len, "Connection", &v, &vlen) &&
	    vlen == 5 && strncasecmp(v, "close", 5) == 0)
		c->close = 1;

	stream = 0;
	if (post && plen >= 17 &&
	    memcmp(path + plen - 17, "/chat/completions", 17) == 0) {
		stream = body_streams(head + c->head_len, c->body_len);
		if (!stream)
			evbuffer_add(out, reply, reply_len);
		else if (!delayed)
			evbuffer_add(out, stream_all, stream_all_len);
		else {
			/* The rest as the timer fires; input waits. */
			evbuffer_add(out, stream_head, sizeof(stream_head) - 1);
			chunk_add(out, events[0]);
			c->next_event = 1;
			c->streaming = 1;
			evtimer_add(c->timer, &delay);
		}
	} else if (!post && plen == 7 && memcmp(path, "/health", 7) == 0)
		evbuffer_add(out, ANSWER_HEALTH, sizeof(ANSWER_HEALTH) - 1);
	else
		evbuffer_add(out, ANSWER_404, sizeof(ANSWER_404) - 1);
	evbuffer_drain(in, c->head_len + c->body_len);
	c->head_len = 0;
	c->body_len = 0;
	if (c->close && !c->streaming) {
		bufferevent_disable(c->bev, EV_READ);
		return -1;
	}
	return 1;
}

static void
conn_read(struct bufferevent *bev, void *arg)
{
	struct conn	*c = arg;

	while (!c->streaming && conn_request(c) == 1)
		;
}

static void
conn_write(struct bufferevent *bev, void *arg)
{
	struct conn	*c = arg;

	/* Everything written: close if asked, else a pipelined request. */
	if (c->close && !c->streaming) {
		conn_free(c);
		return;
	}
	if (!c->streaming && evbuffer_get_length(bufferevent_get_input(bev)))
		conn_read(bev, c);
}

static void
conn_timer(int fd, short what, void *arg)
{
	struct conn	*c = arg;
	struct evbuffer	*out = bufferevent_get_output(c->bev);

	chunk_add(out, events[c->next_event++]);
	if (c->next_event < NEVENTS) {
		evtimer_add(c->timer, &delay);
		return;
	}
	evbuffer_add(out, "0\r\n\r\n", 5);
	c->streaming = 0;
	if (c->close)
		bufferevent_disable(c->bev, EV_READ);
}

static void
conn_event(struct bufferevent *bev, short what, void *arg)
{
	conn_free(arg);
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct conn	*c;
	int		 one = 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1)
		warn("TCP_NODELAY");
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		warn("calloc");
		close(fd);
		return;
	}
	if ((c->bev = bufferevent_socket_new(base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL ||
	    (c->timer = evtimer_new(base, conn_timer, c)) == NULL) {
		warnx("out of memory");
		if (c->bev != NULL)
			bufferevent_free(c->bev);
		else
			close(fd);
		free(c);
		return;
	}
	bufferevent_setcb(c->bev, conn_read, conn_write, conn_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

static void
stop_cb(int sig, short what, void *arg)
{
	event_base_loopbreak(base);
}

static void
serve(int fd)
{
	struct evconnlistener	*l;
	struct event		*sigterm, *sigint;

	if ((base = event_base_new()) == NULL)
		errx(1, "event_base_new");
	if ((l = evconnlistener_new(base, accept_cb, NULL,
	    LEV_OPT_CLOSE_ON_FREE, -1, fd)) == NULL)
		errx(1, "evconnlistener_new");
	sigterm = evsignal_new(base, SIGTERM, stop_cb, NULL);
	sigint = evsignal_new(base, SIGINT, stop_cb, NULL);
	if (sigterm == NULL || sigint == NULL || evsignal_add(sigterm, NULL) ||
	    evsignal_add(sigint, NULL))
		errx(1, "evsignal");
	event_base_dispatch(base);
	evconnlistener_free(l);
	event_free(sigterm);
	event_free(sigint);
	event_base_free(base);
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in	 sin;
	socklen_t		 slen;
	const char		*errstr;
	pid_t			 pids[WORKERS_MAX], pid;
	int			 ch, fd, one = 1, port = 0, workers = 1, ms = 0;
	int			 i, status, sig;
	sigset_t		 set, oset;

	while ((ch = getopt(argc, argv, "p:s:w:")) != -1) {
		switch (ch) {
		case 'p':
			port = strtonum(optarg, 0, 65535, &errstr);
			if (errstr != NULL)
				errx(1, "port %s: %s", optarg, errstr);
			break;
		case 's':
			ms = strtonum(optarg, 0, 10000, &errstr);
			if (errstr != NULL)
				errx(1, "delay %s: %s", optarg, errstr);
			break;
		case 'w':
			workers = strtonum(optarg, 1, WORKERS_MAX, &errstr);
			if (errstr != NULL)
				errx(1, "workers %s: %s", optarg, errstr);
			break;
		default:
			usage();
		}
	}
	if (argc != optind)
		usage();
	delayed = ms > 0;
	delay.tv_sec = ms / 1000;
	delay.tv_usec = (ms % 1000) * 1000;
	prepare();
	signal(SIGPIPE, SIG_IGN);
	/* A bench script that dies must not leave this behind. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1)
		err(1, "prctl");

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		err(1, "socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1)
		err(1, "SO_REUSEADDR");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		err(1, "bind");
	if (listen(fd, 1024) == -1)
		err(1, "listen");
	slen = sizeof(sin);
	if (getsockname(fd, (struct sockaddr *)&sin, &slen) == -1)
		err(1, "getsockname");
	printf("port %d\n", ntohs(sin.sin_port));
	fflush(stdout);

	if (workers == 1) {
		serve(fd);
		return 0;
	}
	/*
	 * Workers share the socket; the parent waits for a signal or a
	 * worker's death and stops them all.
	 */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, &oset) == -1)
		err(1, "sigprocmask");
	for (i = 0; i < workers; i++) {
		switch (pid = fork()) {
		case -1:
			err(1, "fork");
		case 0:
			if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1)
				err(1, "prctl");
			if (sigprocmask(SIG_SETMASK, &oset, NULL) == -1)
				err(1, "sigprocmask");
			serve(fd);
			_exit(0);
		}
		pids[i] = pid;
	}
	close(fd);
	sigwait(&set, &sig);
	for (i = 0; i < workers; i++)
		kill(pids[i], SIGTERM);
	for (i = 0; i < workers; i++)
		waitpid(pids[i], &status, 0);
	return 0;
}
