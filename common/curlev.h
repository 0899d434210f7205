/*
 * curlev.c: outbound HTTP(S) for the sandboxed children.  libcurl's
 * multi interface runs on the process's libevent loop: no threads, no
 * blocking call, no file opened after curlev_init().
 *
 * Names are resolved by the parent (IMSG_RESOLVE), never by libcurl:
 * every transfer to a host name carries the parent's answer as a
 * CURLOPT_RESOLVE entry, so libcurl finds the name in its cache and
 * never starts its threaded resolver (which the sandbox would kill).
 * Only http and https, no redirects (a 3xx comes back as it is, with
 * its Location header), no proxy from the environment, certificates
 * checked against a CA bundle loaded before the sandbox, or against a
 * per-request CA (LND's self-signed tls.cert).
 *
 * Every callback comes from the event loop, never from inside the
 * curlev_*() call that caused it.  Nothing here logs a query string, a
 * header or a body: they may carry keys.
 */

#ifndef CURLEV_H
#define CURLEV_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#define CURLEV_CAFILE		"/etc/ssl/certs/ca-certificates.crt"
#define CURLEV_CA_MAX		(4 * 1024 * 1024)
#define CURLEV_CONNECT_MS	10000	/* connect and TLS, default */
#define CURLEV_TIMEOUT_MS	60000	/* in all, default */
#define CURLEV_MAXRESPONSE	(8 * 1024 * 1024) /* body, default */
#define CURLEV_HEADERS_MAX	100	/* response header lines */
#define CURLEV_HEADERS_SIZE	(64 * 1024)	/* header bytes */
#define CURLEV_NAME_TTL		60	/* seconds an answer is kept */
#define CURLEV_NAMES_MAX	64	/* names remembered */

/* struct curlev_result r_error */
enum curlev_error {
	CURLEV_OK = 0,		/* a response came (any HTTP status) */
	CURLEV_E_URL,		/* not a URL we fetch */
	CURLEV_E_RESOLVE,	/* the name did not resolve */
	CURLEV_E_CONNECT,	/* refused, unreachable */
	CURLEV_E_TLS,		/* handshake or certificate */
	CURLEV_E_TIMEOUT,	/* connect, total, or too slow */
	CURLEV_E_TOOBIG,	/* body or headers over the limit */
	CURLEV_E_ABORTED,	/* a callback of the caller said stop */
	CURLEV_E_TRANSFER,	/* the exchange broke: reset, bad HTTP */
	CURLEV_E_INTERNAL	/* out of memory, libcurl refused */
};

struct curlev_header {
	char		*h_name;
	char		*h_value;
};

struct curlev_result {
	int		 r_error;	/* CURLEV_OK or CURLEV_E_* */
	const char	*r_errstr;	/* short; "" when r_error is 0 */
	const char	*r_detail;	/* libcurl's own words, may be "" */
	long		 r_status;	/* HTTP status, 0 if none came */
	int		 r_sent;	/* 0: the server never saw it */
	int		 r_http;	/* 1, 2: the HTTP version used */
	uint64_t	 r_received;	/* body bytes */
	const char	*r_body;	/* collected, NUL-terminated; */
	size_t		 r_bodylen;	/* NULL with a p_on_body */
};

struct curlev_req;

struct curlev_params {
	const char		*p_method;	/* NULL: GET, or POST */
	const char		*p_url;
	const char * const	*p_headers;	/* "Name: value", NULL */
	const void		*p_body;	/* copied */
	size_t			 p_bodylen;
	const void		*p_ca;		/* PEM CA, or NULL */
	size_t			 p_calen;
	uint32_t		 p_connect_ms;	/* 0: CURLEV_CONNECT_MS */
	uint32_t		 p_timeout_ms;	/* 0: CURLEV_TIMEOUT_MS */
	uint32_t		 p_lowspeed_bytes; /* abort under this many */
	uint32_t		 p_lowspeed_secs;  /* bytes/s this long */
	uint64_t		 p_maxresponse;	/* 0: the default */
	int			 p_flags;	/* CURLEV_F_* */
	/*
	 * The final response's status and headers (curlev_header()).
	 * Nonzero: abort (r_error CURLEV_E_ABORTED).  May be NULL.
	 */
	int	(*p_on_headers)(struct curlev_req *, long, void *);
	/*
	 * Body bytes as they arrive.  Nonzero: abort.  To stop the flow,
	 * call curlev_pause(req, 1), here or later; the bytes passed are
	 * taken either way.  NULL: the body is collected into r_body.
	 */
	int	(*p_on_body)(struct curlev_req *, const void *, size_t,
		    void *);
	/* Once, unless cancelled.  The request is freed when it returns. */
	void	(*p_on_done)(struct curlev_req *,
		    const struct curlev_result *, void *);
	void			*p_arg;
};

#define CURLEV_F_HTTP1		0x01	/* never HTTP/2 */
#define CURLEV_F_FRESH		0x02	/* a connection of its own */

/*
 * A resolver: look host up and call done(error, addrs, n, arg) later,
 * from the event loop, once, unless cancelled.  error is 0 or an EAI_*
 * code; the ports in addrs do not matter.  start returns an id for
 * cancel, or 0 when it could not start.
 */
struct curlev_resolver {
	uint32_t	(*rs_start)(const char *, void (*)(int,
			    const struct sockaddr_storage *, size_t, void *),
			    void *);
	void		(*rs_cancel)(uint32_t);
};

struct peer;

/*
 * After event_init(), before the sandbox: libcurl and the CA bundle
 * (NULL: CURLEV_CAFILE; a missing default bundle only warns).  p_ca
 * replaces the bundle for one request (LND's tls.cert).
 */
int		 curlev_init(const char *);
/* Cancel everything, without callbacks, and let libcurl go. */
void		 curlev_shutdown(void);
/* NULL: the parent over imsg (the default). */
void		 curlev_set_resolver(const struct curlev_resolver *);
/* The imsg resolver asks this peer; NULL: proc_parent(). */
void		 curlev_set_resolver_peer(struct peer *);
/* Forget the resolved names. */
void		 curlev_names_flush(void);

/* NULL when the request cannot be made (bad URL, no memory). */
struct curlev_req *curlev_start(const struct curlev_params *);
/* No callback comes for it after this; not from its own p_on_done. */
void		 curlev_cancel(struct curlev_req *);
/* 1: no more p_on_body until curlev_pause(req, 0). */
void		 curlev_pause(struct curlev_req *, int);
/* From p_on_headers on: the first value of a header, or NULL. */
const char	*curlev_header(struct curlev_req *, const char *);
size_t		 curlev_headers(struct curlev_req *,
		    const struct curlev_header **);
/* "https://host:port/path", no query: what logs may show. */
const char	*curlev_logname(struct curlev_req *);
/* Requests not yet done. */
int		 curlev_pending(void);

#endif /* CURLEV_H */
