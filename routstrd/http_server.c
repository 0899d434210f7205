/*
 * The proxy's HTTP/1.1 server: listeners, connections, TLS, timeouts and
 * replies, on plain libevent events.  The I/O is ours, in the manner of
 * smtpd's ioev.c: one event per connection whose flags are recomputed
 * after every step (what the read side wants, plus what the write side
 * wants while output is pending), read(2)/sendmsg(2) or tls_read(3)/
 * tls_write(3), with TLS_WANT_POLLIN/TLS_WANT_POLLOUT turned into the
 * event the TLS side waits for.
 *
 * A connection is in one of a few states (enum conn_state); the handler
 * owns the request in CS_HANDLER.  Connections are freed only at the end
 * of an event callback, never from inside a call of the handler's, so the
 * reply functions can be called from anywhere.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <tls.h>
#include <unistd.h>

#include "ipc.h"
#include "log.h"
#include "http.h"

#define HTTP_RBUF_SIZE		16384	/* read buffer of a connection */
#define HTTP_OUT_HIWAT		65536	/* parse the next request below this */
#define HTTP_TLS_WCHUNK		16384	/* one TLS record per tls_write() */
#define HTTP_IOV_MAX		16
#define HTTP_LINGER_SECS	2	/* drain a closing client this long */
#define HTTP_ACCEPT_PAUSE	1	/* seconds without accept on EMFILE */
/*
 * accept(2)s per event: one.  The preforked proxies share the listening
 * socket; taking one connection per turn of its loop leaves the next
 * to whichever is least busy, where a batch let one proxy take all the
 * connections of a burst (wrk's 64) while the other stayed idle.
 */
#define HTTP_ACCEPT_BATCH	1
#define HTTP_DISPATCH_ROUNDS	16	/* read/parse/write rounds per event */
#define HTTP_NAME_MAX		128

enum conn_state {
	CS_HANDSHAKE,		/* TLS handshake */
	CS_READ,		/* waiting for or reading a request */
	CS_HANDLER,		/* the handler owns the request */
	CS_CLOSING,		/* flush the output, then linger */
	CS_LINGER		/* output shut down: drain input briefly */
};

enum conn_tmo {
	TMO_NONE,
	TMO_IDLE,		/* no request started */
	TMO_READ,		/* a request or a handshake under way */
	TMO_WRITE,		/* output pending without progress */
	TMO_LINGER
};

#define CF_EOF		0x0001	/* the client closed */
#define CF_DEAD		0x0002	/* close at the end of the callback */
#define CF_INCB		0x0004	/* inside conn_dispatch() */
#define CF_RMORE	0x0008	/* the read buffer filled: read again */
#define CF_CLOSE	0x0010	/* close after the current reply */
#define CF_REPLYING	0x0020	/* the reply's head is queued */
#define CF_STREAM	0x0040	/* a streamed reply is under way */
#define CF_CHUNKED	0x0080	/* ... in chunked coding */
#define CF_NOBODY	0x0100	/* HEAD: headers only */
#define CF_TLS		0x0200
#define CF_UNIX		0x0400

#define CF_REPLYMASK	(CF_REPLYING | CF_STREAM | CF_CHUNKED | CF_NOBODY)

struct listener {
	TAILQ_ENTRY(listener)	 entry;
	struct event		 ev;
	int			 fd;
	int			 is_unix;
	int			 on;
	struct tls		*tls;
	char			 name[HTTP_NAME_MAX];
};

struct http_conn {
	TAILQ_ENTRY(http_conn)	 entry;
	uint64_t		 id;
	int			 fd;
	struct tls		*tls;
	enum conn_state		 state;
	int			 flags;
	short			 evflags;	/* what c->ev is added with */
	short			 rwant;		/* event the read side needs */
	short			 wwant;		/* event the write side needs */
	struct event		 ev;
	struct event		 tmo;
	enum conn_tmo		 tmokind;
	char			*rbuf;
	size_t			 rpos;
	size_t			 rlen;
	struct evbuffer		*out;
	struct evbuffer		*rhdrs;		/* http_reply_header() */
	struct http_parser	 parser;
	struct http_request	 req;
	http_conn_cb		 closecb;
	void			*closearg;
	http_conn_cb		 draincb;
	void			*drainarg;
	size_t			 lowat;
};

TAILQ_HEAD(listeners, listener);
TAILQ_HEAD(conns, http_conn);

static void	 accept_update(void);
static void	 server_accept(int, short, void *);
static void	 server_accept_resume(int, short, void *);
static int	 conn_new(int, int, struct tls *, const char *);
static void	 conn_close(struct http_conn *);
static void	 conn_dispatch(int, short, void *);
static void	 conn_timeout(int, short, void *);
static void	 conn_handshake(struct http_conn *);
static int	 conn_can_read(struct http_conn *);
static ssize_t	 conn_read(struct http_conn *);
static ssize_t	 conn_write(struct http_conn *);
static void	 conn_linger(struct http_conn *);
static void	 conn_linger_read(struct http_conn *);
static int	 conn_process(struct http_conn *);
static void	 conn_fail(struct http_conn *, int, const char *);
static void	 conn_kick(struct http_conn *);
static void	 conn_reload(struct http_conn *);
static void	 conn_timer_update(struct http_conn *);
static void	 conn_timer_set(struct http_conn *, enum conn_tmo);
static int	 reply_head(struct http_conn *, int, const char *, size_t);
static int	 add_str(struct evbuffer *, const char *);
static size_t	 fmt_num(char *, uint64_t, unsigned int);
static void	 reply_done(struct http_conn *);
static void	 error_body(struct evbuffer *, int, const char *);
static const char *http_date(void);
static int	 reply_ok(struct http_conn *);
static int	 ctype_ok(const char *);

static struct http_limits	 limits;
static http_handler_cb		 handler;
static struct listeners		 listeners = TAILQ_HEAD_INITIALIZER(listeners);
static struct conns		 conns = TAILQ_HEAD_INITIALIZER(conns);
static u_int			 nconns;
static uint64_t			 next_connid;
static uint64_t			 next_reqid;
static int			 accept_paused;		/* server_pause() */
static int			 accept_full;		/* max_connections */
static int			 accept_blocked;	/* EMFILE and friends */
static int			 shutting_down;
static struct event		 ev_accept_resume;

#define REPLY_STREAM	((size_t)-1)	/* reply_head(): no Content-Length */

void
http_limits_from_conf(struct http_limits *l, const struct ipc_conf_proxy *cp)
{
	memset(l, 0, sizeof(*l));
	l->max_connections = cp->cp_max_connections;
	l->max_header_size = cp->cp_max_header_size;
	l->max_headers = cp->cp_max_headers;
	l->max_body_size = cp->cp_max_body_size;
	l->timeout_idle = cp->cp_timeout_idle;
	l->timeout_read = cp->cp_timeout_read;
}

void
server_init(const struct http_limits *l, http_handler_cb cb)
{
	if (l->max_connections == 0 || l->max_header_size < 64 ||
	    l->max_headers == 0 || l->timeout_idle == 0 ||
	    l->timeout_read == 0)
		fatalx("%s: invalid limits", __func__);
	limits = *l;
	handler = cb;
	shutting_down = 0;
	accept_paused = accept_full = accept_blocked = 0;
	if (evtimer_initialized(&ev_accept_resume))
		evtimer_del(&ev_accept_resume);
	evtimer_set(&ev_accept_resume, server_accept_resume, NULL);
	/* tls_write() writes to the socket without MSG_NOSIGNAL */
	signal(SIGPIPE, SIG_IGN);
}

int
server_listen(int fd, int is_unix, struct tls *tls, const char *name)
{
	struct listener	*l;
	int		 fl;

	if (shutting_down)
		return (-1);
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1) {
		log_warn("%s: fcntl", __func__);
		return (-1);
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		log_warn("%s", __func__);
		return (-1);
	}
	l->fd = fd;
	l->is_unix = is_unix;
	l->tls = tls;
	(void)strlcpy(l->name, name ? name : "?", sizeof(l->name));
	event_set(&l->ev, fd, EV_READ | EV_PERSIST, server_accept, l);
	TAILQ_INSERT_TAIL(&listeners, l, entry);
	accept_update();
	log_debug("listening on %s%s", l->name, tls ? " (tls)" : "");
	return (0);
}

/* Accept while nothing holds accepting back; else take the events off. */
static void
accept_update(void)
{
	struct listener	*l;
	int		 want;

	want = !accept_paused && !accept_full && !accept_blocked &&
	    !shutting_down;
	TAILQ_FOREACH(l, &listeners, entry) {
		if (want && !l->on)
			event_add(&l->ev, NULL);
		else if (!want && l->on)
			event_del(&l->ev);
		l->on = want;
	}
}

void
server_pause(int on)
{
	accept_paused = on;
	accept_update();
}

u_int
server_connections(void)
{
	return (nconns);
}

/*
 * Stop accepting and close the listening sockets; idle connections close
 * now, the others after their current reply.
 */
void
server_shutdown(void)
{
	struct listener		*l, *tl;
	struct http_conn	*c, *tc;

	shutting_down = 1;
	accept_update();
	evtimer_del(&ev_accept_resume);
	TAILQ_FOREACH_SAFE(l, &listeners, entry, tl) {
		TAILQ_REMOVE(&listeners, l, entry);
		close(l->fd);
		free(l);
	}
	TAILQ_FOREACH_SAFE(c, &conns, entry, tc) {
		c->flags |= CF_CLOSE;
		if (c->state == CS_HANDSHAKE ||
		    (c->state == CS_READ && !c->parser.started &&
		    evbuffer_get_length(c->out) == 0)) {
			conn_close(c);
		} else if (c->state == CS_READ && !c->parser.started) {
			/* a reply still going out: finish it, then close */
			c->state = CS_CLOSING;
			conn_kick(c);
		}
	}
}

static void
server_accept_resume(int fd, short ev, void *arg)
{
	accept_blocked = 0;
	accept_update();
}

static void
server_accept(int fd, short ev, void *arg)
{
	struct listener	*l = arg;
	struct timeval	 tv;
	int		 s, i;

	for (i = 0; i < HTTP_ACCEPT_BATCH; i++) {
		if (nconns >= limits.max_connections) {
			log_debug("%u connections: not accepting", nconns);
			accept_full = 1;
			accept_update();
			return;
		}
		/* the peer's address is not asked for: it is never logged */
		if ((s = accept(fd, NULL, NULL)) == -1) {
			switch (errno) {
			case EINTR:
			case EAGAIN:
#if EAGAIN != EWOULDBLOCK
			case EWOULDBLOCK:
#endif
				/* another proxy process got it */
				return;
			case ECONNABORTED:
			case EPROTO:
			case ENETDOWN:
			case ENOPROTOOPT:
			case EHOSTDOWN:
			case ENONET:
			case EHOSTUNREACH:
			case ENETUNREACH:
				continue;
			case EMFILE:
			case ENFILE:
			case ENOBUFS:
			case ENOMEM:
				log_debug("accept: %s: pausing",
				    strerror(errno));
				accept_blocked = 1;
				accept_update();
				timerclear(&tv);
				tv.tv_sec = HTTP_ACCEPT_PAUSE;
				evtimer_add(&ev_accept_resume, &tv);
				return;
			default:
				log_warn("%s: accept", l->name);
				return;
			}
		}
		(void)conn_new(s, l->is_unix, l->tls, l->name);
	}
}

/*
 * A connection from a listener or server_accept_fd().  Returns -1 (the
 * socket closed) when it cannot be set up.
 */
static int
conn_new(int s, int is_unix, struct tls *tls, const char *name)
{
	struct http_conn	*c;
	int			 fl, one = 1;

	if ((fl = fcntl(s, F_GETFL)) == -1 ||
	    fcntl(s, F_SETFL, fl | O_NONBLOCK) == -1 ||
	    fcntl(s, F_SETFD, FD_CLOEXEC) == -1) {
		log_warn("%s: fcntl", __func__);
		close(s);
		return (-1);
	}
	if (!is_unix &&
	    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1)
		log_debug("%s: TCP_NODELAY: %s", __func__, strerror(errno));

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->rbuf = malloc(HTTP_RBUF_SIZE)) == NULL ||
	    (c->out = evbuffer_new()) == NULL) {
		log_warn("%s", __func__);
		if (c != NULL) {
			free(c->rbuf);
			free(c);
		}
		close(s);
		return (-1);
	}
	c->id = ++next_connid;
	c->fd = s;
	c->rwant = EV_READ;
	c->wwant = EV_WRITE;
	c->state = CS_READ;
	if (is_unix)
		c->flags |= CF_UNIX;
	http_parser_init(&c->parser, &limits);
	http_request_init(&c->req);
	evtimer_set(&c->tmo, conn_timeout, c);
	if (tls != NULL) {
		if (tls_accept_socket(tls, &c->tls, s) == -1) {
			log_debug("%s: tls_accept_socket: %s", name,
			    tls_error(tls));
			evbuffer_free(c->out);
			free(c->rbuf);
			free(c);
			close(s);
			return (-1);
		}
		c->flags |= CF_TLS;
		c->state = CS_HANDSHAKE;
	}
	TAILQ_INSERT_TAIL(&conns, c, entry);
	nconns++;
	log_debug("%s: connection %llu accepted, %u open", name,
	    (unsigned long long)c->id, nconns);
	if (nconns >= limits.max_connections) {
		accept_full = 1;
		accept_update();
	}
	conn_timer_update(c);
	conn_reload(c);
	return (0);
}

/*
 * Serve a socket that is already connected, as if it had been accepted
 * (tests, fuzzing, a socket handed over).  The fd is ours either way.
 */
int
server_accept_fd(int fd, int is_unix, struct tls *tls)
{
	if (shutting_down || nconns >= limits.max_connections) {
		close(fd);
		return (-1);
	}
	return (conn_new(fd, is_unix, tls, "fd"));
}

static void
conn_close(struct http_conn *c)
{
	http_conn_cb	 cb;

	c->flags |= CF_DEAD;
	if (c->state == CS_HANDLER && (cb = c->closecb) != NULL) {
		/* the handler still owns the request: tell it */
		c->closecb = NULL;
		cb(c, c->closearg);
	}
	if (c->evflags)
		event_del(&c->ev);
	evtimer_del(&c->tmo);
	if (c->tls != NULL) {
		if (c->state != CS_LINGER && c->state != CS_HANDSHAKE)
			(void)tls_close(c->tls);
		tls_free(c->tls);
	}
	close(c->fd);
	evbuffer_free(c->out);
	if (c->rhdrs != NULL)
		evbuffer_free(c->rhdrs);
	http_request_free(&c->req);
	free(c->rbuf);
	TAILQ_REMOVE(&conns, c, entry);
	nconns--;
	log_debug("connection %llu closed, %u open",
	    (unsigned long long)c->id, nconns);
	free(c);

	if (accept_full && nconns < limits.max_connections) {
		accept_full = 0;
		accept_update();
	}
}

static void
conn_dispatch(int fd, short ev, void *arg)
{
	struct http_conn	*c = arg;
	int			 round, progress;

	c->flags |= CF_INCB;
	if (c->state == CS_HANDSHAKE) {
		conn_handshake(c);
		if (c->state == CS_HANDSHAKE || (c->flags & CF_DEAD))
			goto done;
		/* data may have come with the handshake */
		c->flags |= CF_RMORE;
	}
	if (c->state == CS_LINGER) {
		conn_linger_read(c);
		goto done;
	}

	for (round = 0; round < HTTP_DISPATCH_ROUNDS; round++) {
		progress = 0;
		if ((ev & c->wwant) && evbuffer_get_length(c->out) > 0 &&
		    conn_write(c) > 0)
			progress = 1;
		if (c->flags & CF_DEAD)
			break;
		if (conn_can_read(c) &&
		    ((ev & c->rwant) || (c->flags & CF_RMORE)) &&
		    conn_read(c) > 0)
			progress = 1;
		if (c->flags & CF_DEAD)
			break;
		if (conn_process(c))
			progress = 1;
		if (c->flags & CF_DEAD)
			break;
		/* write what the handler queued without another loop */
		if (c->wwant == EV_WRITE && c->state != CS_LINGER &&
		    evbuffer_get_length(c->out) > 0 && conn_write(c) > 0)
			progress = 1;
		if ((c->flags & CF_DEAD) || c->state == CS_LINGER || !progress)
			break;
		ev = 0;
	}
	if (round == HTTP_DISPATCH_ROUNDS && !(c->flags & CF_DEAD)) {
		/* be fair to the others, but come back */
		c->flags |= CF_RMORE;
		conn_reload(c);
		if (c->evflags)
			event_active(&c->ev, EV_READ, 1);
	}
 done:
	c->flags &= ~CF_INCB;
	if (c->flags & CF_DEAD) {
		conn_close(c);
		return;
	}
	conn_timer_update(c);
	conn_reload(c);
}

static void
conn_handshake(struct http_conn *c)
{
	switch (tls_handshake(c->tls)) {
	case 0:
		c->state = CS_READ;
		c->rwant = EV_READ;
		c->wwant = EV_WRITE;
		log_debug("connection %llu: tls handshake done",
		    (unsigned long long)c->id);
		break;
	case TLS_WANT_POLLIN:
		c->rwant = EV_READ;
		break;
	case TLS_WANT_POLLOUT:
		c->rwant = EV_WRITE;
		break;
	default:
		log_debug("connection %llu: tls handshake: %s",
		    (unsigned long long)c->id, tls_error(c->tls));
		c->flags |= CF_DEAD;
		break;
	}
}

static int
conn_can_read(struct http_conn *c)
{
	if (c->flags & (CF_EOF | CF_DEAD))
		return (0);
	switch (c->state) {
	case CS_READ:
	case CS_HANDLER:
		/* keep reading while the handler works, to see EOF */
		return (c->rlen - c->rpos < HTTP_RBUF_SIZE);
	default:
		return (0);
	}
}

/* Returns the bytes read, 0 when none are there, -1 when closing. */
static ssize_t
conn_read(struct http_conn *c)
{
	size_t	 space;
	ssize_t	 n;

	c->flags &= ~CF_RMORE;
	if (c->rpos == c->rlen)
		c->rpos = c->rlen = 0;
	else if (c->rpos > 0) {
		memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
		c->rlen -= c->rpos;
		c->rpos = 0;
	}
	space = HTTP_RBUF_SIZE - c->rlen;
	if (space == 0)
		return (0);

	if (c->tls != NULL) {
		n = tls_read(c->tls, c->rbuf + c->rlen, space);
		if (n == TLS_WANT_POLLIN) {
			c->rwant = EV_READ;
			return (0);
		}
		if (n == TLS_WANT_POLLOUT) {
			c->rwant = EV_WRITE;
			return (0);
		}
		if (n == -1) {
			log_debug("connection %llu: tls read: %s",
			    (unsigned long long)c->id, tls_error(c->tls));
			c->flags |= CF_DEAD;
			return (-1);
		}
	} else {
		n = read(c->fd, c->rbuf + c->rlen, space);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return (0);
			log_debug("connection %llu: read: %s",
			    (unsigned long long)c->id, strerror(errno));
			c->flags |= CF_DEAD;
			return (-1);
		}
	}
	c->rwant = EV_READ;
	if (n == 0) {
		/* the client is gone, whatever it still waits for */
		c->flags |= CF_EOF | CF_DEAD;
		return (-1);
	}
	c->rlen += n;
	/* TLS may hold more than it handed out: ask again after parsing */
	if ((size_t)n == space || c->tls != NULL)
		c->flags |= CF_RMORE;
	return (n);
}

/* Returns the bytes written, 0 when the socket is full, -1 when closing. */
static ssize_t
conn_write(struct http_conn *c)
{
	struct evbuffer_iovec	 iov[HTTP_IOV_MAX];
	struct iovec		 v[HTTP_IOV_MAX];
	struct msghdr		 msg;
	size_t			 before, after, len;
	ssize_t			 n, total = 0;
	u_char			*data;
	int			 i, niov;

	before = evbuffer_get_length(c->out);
	while ((len = evbuffer_get_length(c->out)) > 0) {
		if (c->tls != NULL) {
			if (len > HTTP_TLS_WCHUNK)
				len = HTTP_TLS_WCHUNK;
			if ((data = evbuffer_pullup(c->out, len)) == NULL) {
				c->flags |= CF_DEAD;
				return (-1);
			}
			n = tls_write(c->tls, data, len);
			if (n == TLS_WANT_POLLIN) {
				c->wwant = EV_READ;
				break;
			}
			if (n == TLS_WANT_POLLOUT) {
				c->wwant = EV_WRITE;
				break;
			}
			if (n == -1) {
				log_debug("connection %llu: tls write: %s",
				    (unsigned long long)c->id,
				    tls_error(c->tls));
				c->flags |= CF_DEAD;
				return (-1);
			}
		} else {
			niov = evbuffer_peek(c->out, -1, NULL, iov,
			    HTTP_IOV_MAX);
			if (niov > HTTP_IOV_MAX)
				niov = HTTP_IOV_MAX;
			for (i = 0; i < niov; i++) {
				v[i].iov_base = iov[i].iov_base;
				v[i].iov_len = iov[i].iov_len;
			}
			memset(&msg, 0, sizeof(msg));
			msg.msg_iov = v;
			msg.msg_iovlen = niov;
			n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
			if (n == -1) {
				if (errno == EAGAIN || errno == EINTR)
					break;
				log_debug("connection %llu: write: %s",
				    (unsigned long long)c->id,
				    strerror(errno));
				c->flags |= CF_DEAD;
				return (-1);
			}
		}
		c->wwant = EV_WRITE;
		evbuffer_drain(c->out, n);
		total += n;
	}
	if (total == 0)
		return (0);

	after = evbuffer_get_length(c->out);
	if (c->tmokind == TMO_WRITE)
		conn_timer_set(c, after ? TMO_WRITE : TMO_NONE);
	if (c->draincb != NULL && before > c->lowat && after <= c->lowat)
		c->draincb(c, c->drainarg);
	if (c->state == CS_CLOSING && evbuffer_get_length(c->out) == 0)
		conn_linger(c);
	return (total);
}

/*
 * All output is out: shut our side down and read what the client still
 * sends for a moment, so that closing with unread input does not reset
 * the connection before the client has read our reply.
 */
static void
conn_linger(struct http_conn *c)
{
	if (c->tls != NULL)
		(void)tls_close(c->tls);	/* best effort close_notify */
	(void)shutdown(c->fd, SHUT_WR);
	c->state = CS_LINGER;
	c->rwant = EV_READ;
	if (c->flags & CF_EOF)
		c->flags |= CF_DEAD;
	conn_timer_set(c, TMO_LINGER);
}

static void
conn_linger_read(struct http_conn *c)
{
	ssize_t	 n;
	int	 i;

	/* raw bytes, thrown away: TLS is over */
	for (i = 0; i < 4; i++) {
		n = read(c->fd, c->rbuf, HTTP_RBUF_SIZE);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			c->flags |= CF_DEAD;
			return;
		}
	}
}

/*
 * Parse what is buffered while no request is being handled and the
 * previous replies are mostly out.  Returns 1 if it got anywhere.
 */
static int
conn_process(struct http_conn *c)
{
	size_t	 used;
	int	 progress = 0, r;

	while (c->state == CS_READ && !(c->flags & CF_DEAD)) {
		if (evbuffer_get_length(c->out) > HTTP_OUT_HIWAT)
			break;
		r = http_parse(&c->parser, &c->req, c->rbuf + c->rpos,
		    c->rlen - c->rpos, &used);
		c->rpos += used;
		if (used > 0)
			progress = 1;
		switch (r) {
		case HTTP_PARSE_AGAIN:
			return (progress);
		case HTTP_PARSE_HEADERS:
			c->req.id = ++next_reqid;
			/* no 100 when the body is already coming */
			if (c->req.expect_continue && c->rpos == c->rlen &&
			    (c->req.chunked || c->req.content_length > 0))
				evbuffer_add_printf(c->out,
				    "HTTP/1.1 100 Continue\r\n\r\n");
			break;
		case HTTP_PARSE_DONE:
			progress = 1;
			c->state = CS_HANDLER;
			c->flags &= ~CF_REPLYMASK;
			if (!c->req.keepalive || shutting_down)
				c->flags |= CF_CLOSE;
			if (c->tmokind == TMO_READ)
				conn_timer_set(c, TMO_NONE);
			handler(c, &c->req);
			break;
		case HTTP_PARSE_ERROR:
		default:
			log_debug("connection %llu: request error %d: %s",
			    (unsigned long long)c->id, c->parser.status,
			    c->parser.error);
			conn_fail(c, c->parser.status, c->parser.error);
			return (1);
		}
	}
	return (progress);
}

/* The server's own error reply: the connection closes after it. */
static void
conn_fail(struct http_conn *c, int status, const char *msg)
{
	struct evbuffer	*b;

	c->flags |= CF_CLOSE;
	c->flags &= ~CF_REPLYMASK;
	if (c->parser.is_head)
		c->flags |= CF_NOBODY;
	if (c->rhdrs != NULL)
		evbuffer_drain(c->rhdrs, evbuffer_get_length(c->rhdrs));
	if ((b = evbuffer_new()) == NULL) {
		c->flags |= CF_DEAD;
		return;
	}
	error_body(b, status, msg);
	if (reply_head(c, status, "application/json",
	    evbuffer_get_length(b)) == -1) {
		evbuffer_free(b);
		c->flags |= CF_DEAD;
		return;
	}
	if (!(c->flags & CF_NOBODY))
		evbuffer_add_buffer(c->out, b);
	evbuffer_free(b);
	c->flags &= ~CF_REPLYMASK;
	c->state = CS_CLOSING;
	conn_kick(c);
}

static void
conn_timeout(int fd, short ev, void *arg)
{
	struct http_conn	*c = arg;
	enum conn_tmo		 kind = c->tmokind;

	c->tmokind = TMO_NONE;
	switch (kind) {
	case TMO_READ:
		if (c->state == CS_READ) {
			log_debug("connection %llu: read timeout",
			    (unsigned long long)c->id);
			conn_fail(c, 408, "request timeout");
			return;
		}
		log_debug("connection %llu: handshake timeout",
		    (unsigned long long)c->id);
		break;
	case TMO_IDLE:
		log_debug("connection %llu: idle timeout",
		    (unsigned long long)c->id);
		break;
	case TMO_WRITE:
		log_debug("connection %llu: write timeout",
		    (unsigned long long)c->id);
		break;
	case TMO_LINGER:
	case TMO_NONE:
		break;
	}
	conn_close(c);
}

/* After a change from outside the connection's callback. */
static void
conn_kick(struct http_conn *c)
{
	if (c->state == CS_CLOSING && evbuffer_get_length(c->out) == 0)
		conn_linger(c);
	if (c->flags & CF_INCB)
		return;
	conn_timer_update(c);
	conn_reload(c);
}

static void
conn_reload(struct http_conn *c)
{
	short	 ev = 0;

	switch (c->state) {
	case CS_HANDSHAKE:
		ev = c->rwant;
		break;
	case CS_LINGER:
		ev = EV_READ;
		break;
	default:
		if (conn_can_read(c))
			ev |= c->rwant;
		if (evbuffer_get_length(c->out) > 0)
			ev |= c->wwant;
		break;
	}
	if (c->flags & CF_DEAD)
		ev = 0;
	if (ev == c->evflags)
		return;
	if (c->evflags)
		event_del(&c->ev);
	c->evflags = ev;
	if (ev) {
		event_set(&c->ev, c->fd, ev | EV_PERSIST, conn_dispatch, c);
		event_add(&c->ev, NULL);
	}
}

static void
conn_timer_update(struct http_conn *c)
{
	enum conn_tmo	 want = TMO_NONE;
	int		 pending = evbuffer_get_length(c->out) > 0;

	switch (c->state) {
	case CS_HANDSHAKE:
		want = TMO_READ;
		break;
	case CS_READ:
		if (pending)
			want = TMO_WRITE;
		else if (c->parser.started || c->rpos < c->rlen)
			want = TMO_READ;
		else
			want = TMO_IDLE;
		break;
	case CS_HANDLER:
		want = pending ? TMO_WRITE : TMO_NONE;
		break;
	case CS_CLOSING:
		want = TMO_WRITE;
		break;
	case CS_LINGER:
		want = TMO_LINGER;
		break;
	}
	if (want != c->tmokind)
		conn_timer_set(c, want);
}

static void
conn_timer_set(struct http_conn *c, enum conn_tmo kind)
{
	struct timeval	 tv;

	evtimer_del(&c->tmo);
	c->tmokind = kind;
	timerclear(&tv);
	switch (kind) {
	case TMO_NONE:
		return;
	case TMO_IDLE:
	case TMO_WRITE:
		tv.tv_sec = limits.timeout_idle;
		break;
	case TMO_READ:
		tv.tv_sec = limits.timeout_read;
		break;
	case TMO_LINGER:
		tv.tv_sec = HTTP_LINGER_SECS;
		break;
	}
	evtimer_add(&c->tmo, &tv);
}

static const char *
http_date(void)
{
	static char	 buf[64];
	static time_t	 last = -1;
	struct tm	 tm;
	time_t		 now;

	now = time(NULL);
	if (now != last && gmtime_r(&now, &tm) != NULL &&
	    strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT",
	    &tm) != 0)
		last = now;
	return (buf);
}

/*
 * Status line and headers.  len is the body length for Content-Length,
 * or REPLY_STREAM for a streamed body.
 */
static int
reply_head(struct http_conn *c, int status, const char *ctype, size_t len)
{
	struct evbuffer	*o = c->out;
	char		 num[24];
	int		 r = 0;

	/* no printf: this runs for every answer */
	r |= add_str(o, "HTTP/1.1 ") == -1;
	r |= evbuffer_add(o, num, fmt_num(num, status, 10)) == -1;
	r |= add_str(o, " ") == -1;
	r |= add_str(o, http_status_text(status)) == -1;
	r |= add_str(o, "\r\nDate: ") == -1;
	r |= add_str(o, http_date()) == -1;
	r |= add_str(o, "\r\nServer: routstrd\r\n") == -1;
	if (ctype != NULL) {
		r |= add_str(o, "Content-Type: ") == -1;
		r |= add_str(o, ctype) == -1;
		r |= add_str(o, "\r\n") == -1;
	}
	if (len == REPLY_STREAM) {
		if (c->flags & CF_CHUNKED)
			r |= add_str(o, "Transfer-Encoding: chunked\r\n") ==
			    -1;
	} else if (status != 204 && status != 304) {
		r |= add_str(o, "Content-Length: ") == -1;
		r |= evbuffer_add(o, num, fmt_num(num, len, 10)) == -1;
		r |= add_str(o, "\r\n") == -1;
	}
	if (c->flags & CF_CLOSE)
		r |= add_str(o, "Connection: close\r\n") == -1;
	else if (c->req.version == 10)
		r |= add_str(o, "Connection: keep-alive\r\n") == -1;
	if (c->rhdrs != NULL)
		r |= evbuffer_add_buffer(o, c->rhdrs) == -1;
	r |= evbuffer_add(o, "\r\n", 2) == -1;
	c->flags |= CF_REPLYING;
	return (r ? -1 : 0);
}

static int
add_str(struct evbuffer *o, const char *s)
{
	return (evbuffer_add(o, s, strlen(s)));
}

/* v in base 10 or 16 (lower case) at buf, 24 bytes: its length. */
static size_t
fmt_num(char *buf, uint64_t v, unsigned int base)
{
	char	 d[24];
	size_t	 n = sizeof(d);

	do
		d[--n] = "0123456789abcdef"[v % base];
	while ((v /= base) != 0);
	memcpy(buf, d + n, sizeof(d) - n);
	return (sizeof(d) - n);
}

/* The reply is complete: next request, or close. */
static void
reply_done(struct http_conn *c)
{
	c->flags &= ~CF_REPLYMASK;
	c->closecb = NULL;
	c->closearg = NULL;
	c->draincb = NULL;
	c->drainarg = NULL;
	if (c->rhdrs != NULL)
		evbuffer_drain(c->rhdrs, evbuffer_get_length(c->rhdrs));
	http_request_reset(&c->req);
	http_parser_reset(&c->parser);
	if ((c->flags & CF_CLOSE) || shutting_down)
		c->state = CS_CLOSING;
	else
		c->state = CS_READ;
	conn_kick(c);
}

/* {"error":{"message":"...","type":"invalid_request_error","code":N}} */
static void
error_body(struct evbuffer *b, int status, const char *msg)
{
	const u_char	*s;

	evbuffer_add_printf(b, "{\"error\":{\"message\":\"");
	for (s = (const u_char *)msg; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			evbuffer_add_printf(b, "\\%c", *s);
		else if (*s < 0x20 || *s == 0x7f)
			evbuffer_add_printf(b, "\\u%04x", *s);
		else
			evbuffer_add(b, s, 1);
	}
	evbuffer_add_printf(b, "\",\"type\":\"invalid_request_error\","
	    "\"code\":%d}}", status);
}

static int
reply_ok(struct http_conn *c)
{
	return (c != NULL && c->state == CS_HANDLER &&
	    !(c->flags & (CF_DEAD | CF_REPLYING)));
}

int
http_reply_header(struct http_conn *c, const char *name, const char *value)
{
	static const char	*reserved[] = { "content-length",
	    "transfer-encoding", "connection", "date", "server" };
	struct evbuffer_iovec	 iov;
	const u_char		*s;
	char			*p;
	size_t			 i, nl, vl;

	if (!reply_ok(c) || name == NULL || value == NULL || *name == '\0')
		return (-1);
	for (s = (const u_char *)name; *s != '\0'; s++)
		if (*s <= 0x20 || *s >= 0x7f || *s == ':')
			return (-1);
	for (s = (const u_char *)value; *s != '\0'; s++)
		if ((*s < 0x20 && *s != '\t') || *s == 0x7f)
			return (-1);
	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strcasecmp(name, reserved[i]) == 0)
			return (-1);
	if (c->rhdrs == NULL && (c->rhdrs = evbuffer_new()) == NULL)
		return (-1);
	/* the line whole or not at all */
	nl = strlen(name);
	vl = strlen(value);
	if (evbuffer_reserve_space(c->rhdrs, nl + vl + 4, &iov, 1) < 1)
		return (-1);
	p = iov.iov_base;
	memcpy(p, name, nl);
	memcpy(p + nl, ": ", 2);
	memcpy(p + nl + 2, value, vl);
	memcpy(p + nl + 2 + vl, "\r\n", 2);
	iov.iov_len = nl + vl + 4;
	return (evbuffer_commit_space(c->rhdrs, &iov, 1) == 0 ? 0 : -1);
}

static int
ctype_ok(const char *ctype)
{
	const u_char	*s;

	if (ctype == NULL)
		return (1);
	for (s = (const u_char *)ctype; *s != '\0'; s++)
		if ((*s < 0x20 && *s != '\t') || *s == 0x7f)
			return (0);
	return (1);
}

int
http_reply(struct http_conn *c, int status, const char *ctype,
    const void *body, size_t len)
{
	int	 nobody;

	if (!reply_ok(c) || status < 200 || status > 599 || !ctype_ok(ctype) ||
	    (body == NULL && len > 0))
		return (-1);
	nobody = c->parser.is_head || status == 204 || status == 304;
	if (reply_head(c, status, ctype, len) == -1 ||
	    (!nobody && len > 0 && evbuffer_add(c->out, body, len) == -1)) {
		/* out of memory: nothing sensible can go out any more */
		c->flags |= CF_CLOSE;
		evbuffer_drain(c->out, evbuffer_get_length(c->out));
	}
	reply_done(c);
	return (0);
}

int
http_reply_error(struct http_conn *c, int status, const char *msg)
{
	struct evbuffer	*b;
	int		 r;

	if (!reply_ok(c) || status < 400 || status > 599 || msg == NULL)
		return (-1);
	if ((b = evbuffer_new()) == NULL)
		return (-1);
	error_body(b, status, msg);
	r = http_reply(c, status, "application/json", evbuffer_pullup(b, -1),
	    evbuffer_get_length(b));
	evbuffer_free(b);
	return (r);
}

int
http_reply_stream_start(struct http_conn *c, int status, const char *ctype)
{
	if (!reply_ok(c) || status < 200 || status > 599 || status == 204 ||
	    status == 304 || !ctype_ok(ctype))
		return (-1);
	c->flags |= CF_STREAM;
	if (c->parser.is_head)
		c->flags |= CF_NOBODY;
	if (c->req.version == 11)
		c->flags |= CF_CHUNKED;
	else
		c->flags |= CF_CLOSE;	/* HTTP/1.0: the end is the close */
	if (reply_head(c, status, ctype, REPLY_STREAM) == -1) {
		c->flags |= CF_CLOSE;
		evbuffer_drain(c->out, evbuffer_get_length(c->out));
	}
	conn_kick(c);
	return (0);
}

int
http_reply_stream_data(struct http_conn *c, const void *data, size_t len)
{
	char	 num[24];
	int	 r = 0;

	if (c == NULL || c->state != CS_HANDLER || (c->flags & CF_DEAD) ||
	    !(c->flags & CF_STREAM) || (data == NULL && len > 0))
		return (-1);
	/* an empty chunk would end the body */
	if ((c->flags & CF_NOBODY) || len == 0)
		return (0);
	if (c->flags & CF_CHUNKED) {
		r |= evbuffer_add(c->out, num, fmt_num(num, len, 16)) == -1;
		r |= evbuffer_add(c->out, "\r\n", 2) == -1;
	}
	r |= evbuffer_add(c->out, data, len) == -1;
	if (c->flags & CF_CHUNKED)
		r |= evbuffer_add(c->out, "\r\n", 2) == -1;
	if (r) {
		http_conn_abort(c);
		return (-1);
	}
	conn_kick(c);
	return (0);
}

int
http_reply_stream_end(struct http_conn *c)
{
	if (c == NULL || c->state != CS_HANDLER || (c->flags & CF_DEAD) ||
	    !(c->flags & CF_STREAM))
		return (-1);
	if ((c->flags & CF_CHUNKED) && !(c->flags & CF_NOBODY) &&
	    evbuffer_add(c->out, "0\r\n\r\n", 5) == -1)
		c->flags |= CF_CLOSE;
	reply_done(c);
	return (0);
}

/*
 * Give up on the request: what is queued still goes out, then the
 * connection closes (a streamed body ends without its last chunk, which
 * tells the client it is incomplete).  The close callback is not called.
 */
void
http_conn_abort(struct http_conn *c)
{
	if (c == NULL || c->state != CS_HANDLER || (c->flags & CF_DEAD))
		return;
	c->closecb = NULL;
	c->draincb = NULL;
	c->flags |= CF_CLOSE;
	c->flags &= ~CF_REPLYMASK;
	c->state = CS_CLOSING;
	conn_kick(c);
}

void
http_conn_set_closecb(struct http_conn *c, http_conn_cb cb, void *arg)
{
	c->closecb = cb;
	c->closearg = arg;
}

void
http_conn_set_drain(struct http_conn *c, size_t lowat, http_conn_cb cb,
    void *arg)
{
	c->lowat = lowat;
	c->draincb = cb;
	c->drainarg = arg;
}

size_t
http_conn_pending(struct http_conn *c)
{
	return (evbuffer_get_length(c->out));
}

struct http_request *
http_conn_request(struct http_conn *c)
{
	return (c->state == CS_HANDLER ? &c->req : NULL);
}

uint64_t
http_conn_id(struct http_conn *c)
{
	return (c->id);
}

int
http_conn_is_tls(struct http_conn *c)
{
	return ((c->flags & CF_TLS) != 0);
}

int
http_conn_is_unix(struct http_conn *c)
{
	return ((c->flags & CF_UNIX) != 0);
}

/*
 * A server context from a certificate chain and key in memory (read from
 * the fds the parent passed, before the sandbox).  The caller may wipe
 * its copies afterwards.
 */
struct tls *
server_tls_new(const uint8_t *cert, size_t certlen, const uint8_t *key,
    size_t keylen)
{
	struct tls_config	*cfg;
	struct tls		*ctx = NULL;

	if ((cfg = tls_config_new()) == NULL) {
		log_warnx("%s: tls_config_new failed", __func__);
		return (NULL);
	}
	if (tls_config_set_protocols(cfg, TLS_PROTOCOLS_DEFAULT) == -1 ||
	    tls_config_set_keypair_mem(cfg, cert, certlen, key,
	    keylen) == -1) {
		log_warnx("%s: %s", __func__, tls_config_error(cfg));
		goto done;
	}
	if ((ctx = tls_server()) == NULL) {
		log_warnx("%s: tls_server failed", __func__);
		goto done;
	}
	if (tls_configure(ctx, cfg) == -1) {
		log_warnx("%s: %s", __func__, tls_error(ctx));
		tls_free(ctx);
		ctx = NULL;
	}
 done:
	tls_config_clear_keys(cfg);
	tls_config_free(cfg);
	return (ctx);
}
