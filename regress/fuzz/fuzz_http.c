/*
 * libFuzzer harness for the HTTP server.  The input is a byte stream as a
 * client would send it (any number of pipelined requests).  It is parsed
 * three ways, all at once, byte by byte, and in pieces whose sizes come
 * from the input itself; the three must agree on every request and every
 * error, and the parser's invariants must hold.  Then the same bytes go
 * through a socketpair into the server itself, whose handler answers in
 * the various ways a real one does; the connection must end cleanly once
 * the client hangs up.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "http.h"

#define MAXREQ		32

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const struct http_limits lim = {
	.max_connections = 1,
	.max_header_size = 512,
	.max_headers = 8,
	.max_body_size = 2048,
	.timeout_idle = 1,
	.timeout_read = 1,
};

struct trace {
	int		 n;
	int		 r[MAXREQ];
	int		 status[MAXREQ];
	size_t		 end[MAXREQ];	/* stream offset after it */
	uint32_t	 hash[MAXREQ];
};

static uint32_t	 fnv(uint32_t, const void *, size_t);
static uint32_t	 fnvs(uint32_t, const char *);
static uint32_t	 request_hash(const struct http_request *);
static void	 check(const struct http_parser *,
		    const struct http_request *, int);
static void	 run(const uint8_t *, size_t, int, struct trace *);
static void	 fz_closecb(struct http_conn *, void *);
static void	 fz_handler(struct http_conn *, struct http_request *);
static void	 fz_later(void);
static void	 serve(const uint8_t *, size_t);

static struct http_conn	*later;		/* an asynchronous reply to make */

static uint32_t
fnv(uint32_t h, const void *p, size_t len)
{
	const uint8_t	*s = p;

	while (len--) {
		h ^= *s++;
		h *= 16777619;
	}
	return (h);
}

static uint32_t
fnvs(uint32_t h, const char *s)
{
	if (s == NULL)
		return (fnv(h, "\377", 1));
	return (fnv(h, s, strlen(s) + 1));
}

static uint32_t
request_hash(const struct http_request *r)
{
	const struct http_header	*h;
	uint32_t			 x = 2166136261U;
	int				 v[4];

	x = fnvs(x, r->method);
	x = fnvs(x, r->target);
	x = fnvs(x, r->path);
	x = fnvs(x, r->query);
	TAILQ_FOREACH(h, &r->headers, entry) {
		x = fnvs(x, h->name);
		x = fnvs(x, h->value);
	}
	v[0] = r->version;
	v[1] = r->keepalive;
	v[2] = r->expect_continue;
	v[3] = r->chunked;
	x = fnv(x, v, sizeof(v));
	x = fnv(x, &r->bodylen, sizeof(r->bodylen));
	if (r->body != NULL)
		x = fnv(x, r->body, r->bodylen + 1);
	return (x);
}

/* What must hold after every call. */
static void
check(const struct http_parser *p, const struct http_request *r, int ret)
{
	const struct http_header	*h;
	u_int				 n = 0;

	if (r->hlen > r->hcap || r->hcap > lim.max_header_size * 2 + 64)
		abort();
	if (r->bodylen > lim.max_body_size ||
	    (r->body != NULL && r->bodylen >= r->bodycap))
		abort();
	if (ret == HTTP_PARSE_ERROR) {
		switch (p->status) {
		case 400: case 411: case 413: case 414: case 417:
		case 431: case 501: case 505:
			break;
		default:
			abort();
		}
		if (p->error == NULL)
			abort();
	}
	if (ret != HTTP_PARSE_DONE)
		return;
	if (r->version != 10 && r->version != 11)
		abort();
	if (r->body != NULL && r->body[r->bodylen] != '\0')
		abort();
	if (r->body == NULL && r->bodylen != 0)
		abort();
	if (r->method[0] == '\0' || r->target[0] == '\0' ||
	    r->path[0] == '\0')
		abort();
	TAILQ_FOREACH(h, &r->headers, entry) {
		if (h->name[0] == '\0' || strpbrk(h->name, " \t:\r\n") ||
		    strpbrk(h->value, "\r\n"))
			abort();
		n++;
	}
	if (n != r->nheaders || n > lim.max_headers)
		abort();
	if (r->version == 11 && http_request_header(r, "host") == NULL)
		abort();
	if (r->has_length && r->chunked)
		abort();
}

/*
 * mode 0: all at once; 1: byte by byte; 2: pieces of sizes taken from
 * the input.
 */
static void
run(const uint8_t *data, size_t len, int mode, struct trace *t)
{
	struct http_parser	 p;
	struct http_request	 r;
	size_t			 avail, pos = 0, used, k = 0;
	int			 ret;

	memset(t, 0, sizeof(*t));
	http_parser_init(&p, &lim);
	http_request_init(&r);
	avail = mode == 0 ? len : 0;
	while (t->n < MAXREQ) {
		ret = http_parse(&p, &r, (const char *)data + pos,
		    avail - pos, &used);
		if (used > avail - pos)
			abort();
		pos += used;
		check(&p, &r, ret);
		if (ret == HTTP_PARSE_HEADERS)
			continue;
		if (ret == HTTP_PARSE_AGAIN) {
			if (pos != avail)
				abort();
			if (avail == len)
				break;
			if (mode == 1)
				avail++;
			else {
				avail += 1 + data[k++ % len] % 97;
				if (avail > len)
					avail = len;
			}
			continue;
		}
		t->r[t->n] = ret;
		t->end[t->n] = pos;
		if (ret == HTTP_PARSE_ERROR) {
			t->status[t->n++] = p.status;
			break;
		}
		t->hash[t->n++] = request_hash(&r);
		http_request_reset(&r);
		http_parser_reset(&p);
	}
	http_request_free(&r);
}

static void
fz_closecb(struct http_conn *c, void *arg)
{
	if (c == later)
		later = NULL;
}

/* The path's second byte picks the kind of answer. */
static void
fz_handler(struct http_conn *c, struct http_request *r)
{
	char	 buf[64];
	int	 n;

	switch (r->path[0] == '/' ? r->path[1] : '\0') {
	case 'a':
		later = c;
		http_conn_set_closecb(c, fz_closecb, NULL);
		break;
	case 's':
		http_reply_header(c, "X-S", r->method);
		http_reply_stream_start(c, 200, "text/event-stream");
		http_reply_stream_data(c, r->target, strlen(r->target));
		http_reply_stream_data(c, r->body, r->bodylen);
		http_reply_stream_end(c);
		break;
	case 'x':
		http_reply_stream_start(c, 200, NULL);
		http_reply_stream_data(c, "x", 1);
		http_conn_abort(c);
		break;
	case 'e':
		http_reply_error(c, 404, r->path);
		break;
	default:
		n = snprintf(buf, sizeof(buf), "%zu %u", r->bodylen,
		    r->nheaders);
		http_reply(c, 200, "text/plain", buf, n);
		break;
	}
}

static void
fz_later(void)
{
	struct http_conn	*c = later;

	if (c != NULL) {
		later = NULL;
		http_reply(c, 202, NULL, "later", 5);
	}
}

static void
serve(const uint8_t *data, size_t len)
{
	static int	 ready;
	static const struct http_limits slim = {
		.max_connections = 4,
		.max_header_size = 512,
		.max_headers = 8,
		.max_body_size = 2048,
		.timeout_idle = 60,
		.timeout_read = 60,
	};
	char		 buf[16384];
	size_t		 off = 0;
	ssize_t		 n;
	int		 sv[2], i, idle = 0, progress;

	if (!ready) {
		log_init(1, LOG_DAEMON);
		event_init();
		server_init(&slim, fz_handler);
		ready = 1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		abort();
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	if (server_accept_fd(sv[0], 1, NULL) == -1)
		abort();
	for (i = 0; i < 100000 && idle < 4; i++) {
		progress = 0;
		if (off < len &&
		    (n = write(sv[1], data + off, len - off)) > 0) {
			off += n;
			progress = 1;
		}
		while ((n = read(sv[1], buf, sizeof(buf))) > 0)
			progress = 1;
		event_loop(EVLOOP_NONBLOCK);
		if (later != NULL) {
			fz_later();
			progress = 1;
		}
		idle = progress ? 0 : idle + 1;
	}
	/* the client hangs up: the server must let go */
	close(sv[1]);
	for (i = 0; i < 1000 && server_connections() > 0; i++) {
		event_loop(EVLOOP_NONBLOCK);
		fz_later();
	}
	if (server_connections() != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct trace	 a, b, c;

	if (len == 0 || len > 65536)
		return (0);
	run(data, len, 0, &a);
	run(data, len, 1, &b);
	run(data, len, 2, &c);
	if (memcmp(&a, &b, sizeof(a)) != 0 || memcmp(&a, &c, sizeof(a)) != 0)
		abort();
	serve(data, len);
	return (0);
}
