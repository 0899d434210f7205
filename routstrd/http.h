/*
 * The proxy's HTTP/1.1 server: an incremental request parser
 * (http_parse.c, no I/O) and the server on plain libevent events with
 * our own read buffer and libtls done by hand (http_server.c).
 *
 * Wire rules, decided once:
 * - Lines end in CRLF.  A bare LF, or a CR not followed by LF, is a 400;
 *   so is obsolete line folding.  Up to HTTP_MAX_EMPTY_LINES empty lines
 *   before a request line are skipped (RFC 9112 2.2).
 * - The request line is "method SP request-target SP HTTP/x.y" with single
 *   spaces.  HTTP/1.0 and HTTP/1.1 are served; any other well-formed
 *   version (HTTP/0.9, HTTP/1.2, HTTP/2.0) is a 505, and so is a request
 *   line without a version (HTTP/0.9).  Any method token reaches the
 *   handler (405/501 are its business).  Replies say HTTP/1.1.
 * - Limits (struct http_limits) and their statuses: request line and
 *   headers longer than max_header_size: 414 when the excess falls in the
 *   request-target or version, 400 in the method, 431 in the headers; more
 *   than max_headers header lines: 431; a body longer than max_body_size
 *   (Content-Length, or the sum of the chunks): 413.  Chunked trailers are
 *   parsed and thrown away, bounded by the same two header limits.
 * - Content-Length is 1*DIGIT; repeated with the same value it is
 *   accepted, with different values it is a 400, and so is Content-Length
 *   together with Transfer-Encoding.  Transfer-Encoding other than a single
 *   "chunked" is a 501; in an HTTP/1.0 request it is a 400.  POST, PUT and
 *   PATCH without a length are a 411.  Expect: 100-continue gets an
 *   interim "100 Continue" before the body is read (HTTP/1.1 only); any
 *   other expectation is a 417.  HTTP/1.1 needs exactly one Host (400).
 * - Keep-alive is the default for HTTP/1.1 and needs "Connection:
 *   keep-alive" in HTTP/1.0; "Connection: close" ends the connection after
 *   the reply.  Pipelined requests are answered in order: the next request
 *   is parsed only once the current reply is complete (and less than
 *   64 KB of output waits).  Before closing, the server shuts its side
 *   down and reads what still comes for up to 2 s (lingering close), so
 *   that an error reply is not lost to a reset.
 * - A client that closes its side (EOF) is gone: a pending request is
 *   abandoned and its close callback is called.
 * - Timeouts: timeout_idle before the first byte of a request (silent
 *   close), timeout_read from the first byte to the end of the request
 *   (408, then close), timeout_read for a TLS handshake (silent close),
 *   and timeout_idle without any write progress while output is pending
 *   (close: the client does not read).
 * - Errors the server sends itself, and http_reply_error(), have a JSON
 *   body {"error":{"message":"...","type":"invalid_request_error",
 *   "code":<status>}}; those from the parser end with Connection: close.
 * - Nothing about the client (address, target, headers, body) is logged.
 */

#ifndef HTTP_H
#define HTTP_H

#include <sys/types.h>
#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

struct tls;
struct ipc_conf_proxy;

#define HTTP_MAX_EMPTY_LINES	4	/* CRLFs skipped before a request */

/* The limits of struct ipc_conf_proxy, given to server_init(). */
struct http_limits {
	u_int		 max_connections;
	size_t		 max_header_size;	/* request line included */
	u_int		 max_headers;
	uint64_t	 max_body_size;
	u_int		 timeout_idle;		/* seconds */
	u_int		 timeout_read;		/* seconds */
};

struct http_header {
	TAILQ_ENTRY(http_header) entry;
	const char	*name;		/* as sent */
	const char	*value;		/* without surrounding whitespace */
};
TAILQ_HEAD(http_headers, http_header);

/*
 * A request as the handler sees it.  Every string is NUL-terminated and
 * lives in one block owned by the request; all of it, and the body, stay
 * valid until the reply is complete or the close callback has run.
 */
struct http_request {
	uint64_t		 id;		/* per process, from 1 */
	int			 version;	/* 10 or 11 */
	const char		*method;	/* case-sensitive token */
	const char		*target;	/* request-target as sent */
	const char		*path;		/* target before '?', not decoded;
						   "/" for "http://host" */
	const char		*query;		/* after '?', or NULL */
	struct http_headers	 headers;
	u_int			 nheaders;
	char			*body;		/* NUL-terminated, or NULL */
	size_t			 bodylen;
	int			 keepalive;	/* the client allows a next one */

	/* parser state, not for handlers */
	int			 expect_continue;
	int			 chunked;
	int			 has_length;
	uint64_t		 content_length;
	char			*hbuf;		/* the header block */
	size_t			 hlen;
	size_t			 hcap;
	struct http_header	*harr;		/* entries of headers */
	u_int			 harrcap;
	size_t			 bodycap;
};

/* http_parse() results */
#define HTTP_PARSE_ERROR	-1	/* p->status and p->error say why */
#define HTTP_PARSE_AGAIN	0	/* all input used, more needed */
#define HTTP_PARSE_HEADERS	1	/* request line and headers complete */
#define HTTP_PARSE_DONE		2	/* the request is complete */

struct http_parser {
	const struct http_limits *limits;
	int		 state;
	int		 status;	/* HTTP_PARSE_ERROR: 400, 413, ... */
	const char	*error;		/* HTTP_PARSE_ERROR: static text */
	int		 started;	/* a byte of this request was seen */
	int		 is_head;	/* the method is HEAD */

	/* private */
	int		 flags;
	int		 skip;		/* trailers: parse, do not store */
	size_t		 nbytes;	/* header (or trailer) section size */
	u_int		 nlines;	/* header (or trailer) lines */
	u_int		 nempty;	/* empty lines before the request */
	size_t		 mark;		/* start of the header name in hbuf */
	size_t		 voff;		/* start of the header value */
	size_t		 vend;		/* end of the value without OWS */
	size_t		 target_off;
	size_t		 path_off;
	size_t		 query_off;	/* 0: no query */
	size_t		 hdr_off;	/* first header name */
	char		 vbuf[8];	/* "HTTP/x.y" */
	u_int		 vlen;
	uint64_t	 chunk_left;	/* chunk size, then bytes left */
	size_t		 linelen;	/* chunk-size line so far */
	u_int		 ndigits;
};

/*
 * http_parse.c: feed bytes with http_parse(); it returns how many it used
 * in *used and one of the results above.  HEADERS comes once, when the
 * request line and headers are in (the request's strings are valid from
 * then on); call again, even with no bytes, to go on with the body.  DONE
 * leaves the rest of the input alone (pipelining); http_parser_reset()
 * and http_request_reset() before the next request.  ERROR is final.
 */
void	 http_parser_init(struct http_parser *, const struct http_limits *);
void	 http_parser_reset(struct http_parser *);
int	 http_parse(struct http_parser *, struct http_request *,
	    const char *, size_t, size_t *);
void	 http_request_init(struct http_request *);
void	 http_request_reset(struct http_request *);
void	 http_request_free(struct http_request *);
const char *http_request_header(const struct http_request *, const char *);
const char *http_status_text(int);

struct http_conn;

typedef void	(*http_handler_cb)(struct http_conn *, struct http_request *);
typedef void	(*http_conn_cb)(struct http_conn *, void *);

/*
 * http_server.c, for the proxy process (single-threaded, libevent set up
 * with event_init() by the caller).
 *
 * server_init(limits, handler)	copy the limits, set the handler that gets
 *				every complete request; ignores SIGPIPE.
 * server_listen(fd, is_unix, tls, name)
 *				accept on a listening socket (from the
 *				parent; several proxy processes may share
 *				it).  tls: a context from server_tls_new(),
 *				or NULL.  name is only for logs.  0 or -1.
 * server_accept_fd(fd, is_unix, tls)
 *				serve an already connected socket.
 * server_pause(on)		stop or resume accepting.
 * server_shutdown()		stop accepting, close the listening sockets
 *				and idle connections; the others close after
 *				their current reply.
 * server_connections()		connections open now.
 * server_tls_new(cert, len, key, len)
 *				a server context from PEM in memory (TLS 1.2
 *				and 1.3), or NULL (logged).
 */
void	 http_limits_from_conf(struct http_limits *,
	    const struct ipc_conf_proxy *);
void	 server_init(const struct http_limits *, http_handler_cb);
int	 server_listen(int, int, struct tls *, const char *);
int	 server_accept_fd(int, int, struct tls *);
void	 server_pause(int);
void	 server_shutdown(void);
u_int	 server_connections(void);
struct tls *server_tls_new(const uint8_t *, size_t, const uint8_t *,
	    size_t);

/*
 * Replies.  The handler is called once per complete request.  It answers
 * at once or later (after an IPC round trip) with exactly one of
 * http_reply(), http_reply_error() or http_reply_stream_start() ...
 * http_reply_stream_end(), optionally preceded by http_reply_header().
 * These only queue output; they never close or free the connection, so
 * they are safe from any callback.  They return 0, or -1 when the call
 * is out of place (no pending request, reply already started, bad
 * header).  Once the reply is complete the handler must forget the
 * connection and the request.
 *
 * http_reply(c, status, content_type, body, len)
 *	status 200-599; content_type may be NULL; Content-Length is len; a
 *	HEAD gets the headers only, 204 and 304 get neither length nor body.
 * http_reply_error(c, status, message)
 *	status 400-599, the JSON error body of the top of this file.
 * http_reply_header(c, name, value)
 *	an extra header for the coming reply; Content-Length,
 *	Transfer-Encoding, Connection, Date and Server are the server's.
 * http_reply_stream_start(c, status, content_type)
 * http_reply_stream_data(c, data, len)
 * http_reply_stream_end(c)
 *	a body sent as it comes: chunked for HTTP/1.1, until the close for
 *	HTTP/1.0.  Pace it with http_conn_pending() and http_conn_set_drain().
 * http_conn_abort(c)
 *	give up: what is queued goes out, then the connection closes (a
 *	stream without its last chunk).  The close callback is not called.
 * http_conn_set_closecb(c, cb, arg)
 *	if the connection dies before the reply is complete (client gone,
 *	write timeout), cb runs, from the event loop, never from inside an
 *	http_* call; afterwards neither the connection nor the request may
 *	be used.  A handler that replies asynchronously must set one.
 * http_conn_set_drain(c, lowat, cb, arg)
 *	cb runs when a write takes the output from above lowat to lowat or
 *	below; it may queue more.  Cleared when the reply is complete.
 * http_conn_pending(c)
 *	bytes queued and not yet written.
 */
int	 http_reply_header(struct http_conn *, const char *, const char *);
int	 http_reply(struct http_conn *, int, const char *, const void *,
	    size_t);
int	 http_reply_error(struct http_conn *, int, const char *);
int	 http_reply_stream_start(struct http_conn *, int, const char *);
int	 http_reply_stream_data(struct http_conn *, const void *, size_t);
int	 http_reply_stream_end(struct http_conn *);
void	 http_conn_abort(struct http_conn *);
void	 http_conn_set_closecb(struct http_conn *, http_conn_cb, void *);
void	 http_conn_set_drain(struct http_conn *, size_t, http_conn_cb,
	    void *);
size_t	 http_conn_pending(struct http_conn *);
struct http_request *http_conn_request(struct http_conn *);
uint64_t http_conn_id(struct http_conn *);
int	 http_conn_is_tls(struct http_conn *);
int	 http_conn_is_unix(struct http_conn *);

#endif /* HTTP_H */
