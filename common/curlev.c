/*
 * Outbound HTTP(S) on the event loop: libcurl's multi interface driven
 * through CURLMOPT_SOCKETFUNCTION and CURLMOPT_TIMERFUNCTION with
 * struct events, as libcurl's hiperfifo example does with libevent.
 *
 * A request goes through these states:
 *	RESOLVING	waiting for the parent to resolve its host
 *	QUEUED		the addresses are known, libcurl gets it next
 *	RUNNING		in the multi handle
 * and is freed once its p_on_done callback returns, or once cancelled.
 *
 * No libcurl multi function may be called from inside a libcurl
 * callback, and the caller's callbacks run inside libcurl callbacks.
 * So whatever a caller asks for while a libcurl call is on the stack
 * (start, cancel, resume) is only noted on the request and done from
 * the todo list, which runs when the stack is ours again.
 *
 * Name resolution: libcurl would resolve names in a thread, which the
 * sandbox forbids (no clone, RLIMIT_NPROC 0), with glibc, which needs
 * files the sandbox hides.  Instead every transfer to a host name gets
 * the parent's answer as a permanent CURLOPT_RESOLVE entry for exactly
 * the "host:port" libcurl looks up, taken from libcurl's own parse of
 * the URL (CURLOPT_CURLU), so libcurl finds it in its DNS cache and
 * never starts a resolver.  Should it ever want to all the same, the
 * CURLOPT_RESOLVER_START_FUNCTION callback refuses, before any thread
 * exists, for everything but IP literals (which libcurl parses itself).
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <curl/curl.h>
#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "imsg.h"
#include "ipc.h"
#include "log.h"
#include "proc.h"
#include "curlev.h"

#define RS_RESOLVING	1
#define RS_QUEUED	2
#define RS_RUNNING	3
#define RS_DONE		4

/* r_todo */
#define TODO_ADD	0x01	/* hand it to libcurl */
#define TODO_FAIL	0x02	/* tell the caller r_error */
#define TODO_UNPAUSE	0x04	/* curl_easy_pause(CONT) */
#define TODO_FREE	0x08	/* cancelled */

#define CURLEV_CONNS_MAX	256	/* idle connections kept for reuse */
#define URL_MAX		8192
#define RESOLVE_ENTRY	(IPC_HOST_MAX + 8 + IPC_RESOLVE_MAX * \
			    (INET6_ADDRSTRLEN + 3))

struct ce_name {
	TAILQ_ENTRY(ce_name)	 n_entry;
	TAILQ_HEAD(, curlev_req) n_waiting;
	char			 n_host[IPC_HOST_MAX];
	int			 n_pending;
	uint32_t		 n_lookup;
	time_t			 n_expires;
	size_t			 n_count;
	struct sockaddr_storage	 n_addrs[IPC_RESOLVE_MAX];
};

struct ce_sock {
	TAILQ_ENTRY(ce_sock)	 s_entry;
	struct event		 s_ev;
	curl_socket_t		 s_fd;
	short			 s_events;	/* what s_ev waits for */
};

struct ce_lookup {
	TAILQ_ENTRY(ce_lookup)	 l_entry;
	uint32_t		 l_id;
	void			(*l_done)(int,
				    const struct sockaddr_storage *, size_t,
				    void *);
	void			*l_arg;
};

struct curlev_req {
	TAILQ_ENTRY(curlev_req)	 r_entry;	/* every live request */
	TAILQ_ENTRY(curlev_req)	 r_wait;	/* on its name */
	TAILQ_ENTRY(curlev_req)	 r_todo_entry;
	struct curlev_params	 r_p;		/* callbacks, limits */
	int			 r_state;
	int			 r_todo;
	int			 r_cancelled;
	int			 r_indone;	/* in p_on_done */
	int			 r_paused;	/* the caller's wish */
	int			 r_curl_paused; /* libcurl holds bytes */
	int			 r_literal;	/* host is an address */
	int			 r_hdone;	/* final headers seen */
	int			 r_added;	/* given to libcurl */
	struct timespec		 r_start;
	struct event		 r_ev;		/* lookup deadline */
	int			 r_ev_set;

	CURL			*r_easy;
	CURLU			*r_url;
	struct curl_slist	*r_headers;
	struct curl_slist	*r_resolve;
	char			*r_body;
	size_t			 r_bodylen;
	char			*r_ca;
	size_t			 r_calen;
	char			*r_logname;
	const char		*r_method;
	char			 r_host[IPC_HOST_MAX];	/* no [] */
	char			 r_curlhost[IPC_HOST_MAX]; /* libcurl's */
	uint16_t		 r_port;
	struct ce_name		*r_name;
	size_t			 r_naddrs;
	struct sockaddr_storage	 r_addrs[IPC_RESOLVE_MAX];

	/* the response */
	long			 r_status;
	struct curlev_header	*r_hdrs;
	size_t			 r_nhdrs;
	size_t			 r_hdrbytes;
	char			*r_buf;
	size_t			 r_len;
	size_t			 r_cap;
	uint64_t		 r_received;
	int			 r_error;	/* set by our callbacks */
	const char		*r_errstr;
	char			 r_errbuf[CURL_ERROR_SIZE];
};

TAILQ_HEAD(reqlist, curlev_req);

/* A URL parsed and checked: what a request needs of it. */
struct ce_url {
	char			*u_text;	/* as the caller gave it */
	CURLU			*u_url;
	char			*u_logname;
	char			 u_host[IPC_HOST_MAX];
	char			 u_curlhost[IPC_HOST_MAX];
	uint16_t		 u_port;
	int			 u_literal;
};
#define CE_URLS		8
static struct ce_url	 ce_urls[CE_URLS];
static size_t		 ce_urlnext;

static int	 ce_socket_cb(CURL *, curl_socket_t, int, void *, void *);
static int	 ce_timer_cb(CURLM *, long, void *);
static void	 ce_sock_ev(int, short, void *);
static void	 ce_timer_ev(int, short, void *);
static void	 ce_todo_ev(int, short, void *);
static void	 ce_todo(struct curlev_req *, int);
static void	 ce_todo_run(void);
static void	 ce_check_info(void);
static void	 ce_add(struct curlev_req *);
static void	 ce_fail(struct curlev_req *, int, const char *);
static void	 ce_done(struct curlev_req *, CURLcode);
static void	 ce_free(struct curlev_req *);
static int	 ce_setup(struct curlev_req *, const struct curlev_params *);
static int	 ce_parse_url(struct curlev_req *, const char *);
static int	 ce_url_parse(struct ce_url *, const char *);
static void	 ce_url_free(struct ce_url *);
static int	 ce_error(CURLcode);
static size_t	 ce_header_cb(char *, size_t, size_t, void *);
static size_t	 ce_write_cb(char *, size_t, size_t, void *);
static int	 ce_resolver_start_cb(void *, void *, void *);
static void	 ce_headers_clear(struct curlev_req *);
static void	 ce_slist_free(struct curl_slist *);
static time_t	 ce_now(void);
static long	 ce_elapsed_ms(const struct curlev_req *);
static void	 ce_name_want(struct curlev_req *);
static void	 ce_name_done(int, const struct sockaddr_storage *, size_t,
		    void *);
static void	 ce_name_drop(struct ce_name *);
static void	 ce_names_trim(void);
static void	 ce_lookup_timeout(int, short, void *);
static uint32_t	 imsg_resolve_start(const char *, void (*)(int,
		    const struct sockaddr_storage *, size_t, void *), void *);
static void	 imsg_resolve_cancel(uint32_t);
static void	 imsg_resolved(struct imsg *, void *);

static const struct curlev_resolver imsg_resolver = {
	.rs_start = imsg_resolve_start,
	.rs_cancel = imsg_resolve_cancel,
};

static CURLM			*ce_multi;
static CURLSH			*ce_share;
static unsigned char		*ce_ca;
static size_t			 ce_calen;
static struct event		 ce_timer;
static struct event		 ce_todo_event;
static int			 ce_depth;	/* libcurl on the stack */
static int			 ce_global;
static struct reqlist		 ce_reqs = TAILQ_HEAD_INITIALIZER(ce_reqs);
static struct reqlist		 ce_todos =
				    TAILQ_HEAD_INITIALIZER(ce_todos);
static TAILQ_HEAD(ce_names_head, ce_name) ce_names =
				    TAILQ_HEAD_INITIALIZER(ce_names);
static TAILQ_HEAD(, ce_sock)	 ce_socks =
				    TAILQ_HEAD_INITIALIZER(ce_socks);
static TAILQ_HEAD(, ce_lookup)	 ce_lookups =
				    TAILQ_HEAD_INITIALIZER(ce_lookups);
static int			 ce_nnames;
static const struct curlev_resolver *ce_resolver = &imsg_resolver;
static struct peer		*ce_resolve_peer;

/*
 * Set up.
 */

int
curlev_init(const char *cafile)
{
	const char	*path = cafile != NULL ? cafile : CURLEV_CAFILE;
	int		 fd;

	if (ce_multi != NULL)
		return (0);
	if (!ce_global) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			log_warnx("%s: curl_global_init failed", __func__);
			return (-1);
		}
		ce_global = 1;
	}

	/* The bundle, while there is a filesystem. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fd_read_all(fd, CURLEV_CA_MAX, &ce_ca, &ce_calen) == -1) {
		if (cafile != NULL) {
			log_warn("%s: %s", __func__, path);
			if (fd != -1)
				close(fd);
			return (-1);
		}
		log_warn("%s: %s: https only with a CA of its own", __func__,
		    path);
		ce_ca = NULL;
		ce_calen = 0;
	}
	if (fd != -1)
		close(fd);

	evtimer_set(&ce_timer, ce_timer_ev, NULL);
	evtimer_set(&ce_todo_event, ce_todo_ev, NULL);
	if ((ce_multi = curl_multi_init()) == NULL ||
	    (ce_share = curl_share_init()) == NULL) {
		log_warnx("%s: out of memory", __func__);
		curlev_shutdown();
		return (-1);
	}
	curl_multi_setopt(ce_multi, CURLMOPT_SOCKETFUNCTION, ce_socket_cb);
	curl_multi_setopt(ce_multi, CURLMOPT_TIMERFUNCTION, ce_timer_cb);
	/*
	 * libcurl's default keeps as many idle connections as there are
	 * transfers at that moment: a proxy whose requests wait on the
	 * ledger between transfers would close and reopen them all the
	 * time.
	 */
	curl_multi_setopt(ce_multi, CURLMOPT_MAXCONNECTS,
	    (long)CURLEV_CONNS_MAX);
	/* TLS sessions survive the easy handles that made them. */
	curl_share_setopt(ce_share, CURLSHOPT_SHARE,
	    CURL_LOCK_DATA_SSL_SESSION);
	return (0);
}

/*
 * Easy handles are kept for the next transfer: making one costs more
 * than the reset, which clears every option (keys and bodies included).
 */
#define CE_POOL_MAX	32
static CURL	*ce_pool[CE_POOL_MAX];
static int	 ce_npool;

/*
 * A handle with the options every transfer has: a new one is given them
 * here, one from the pool kept them.  ce_setup() sets, each time, every
 * option that differs between transfers.
 */
static CURL *
ce_easy_get(void)
{
	CURL	*e;
	int	 bad = 0;

	if (ce_npool > 0)
		return (ce_pool[--ce_npool]);
	if ((e = curl_easy_init()) == NULL)
		return (NULL);
#define SET(opt, val)	bad |= curl_easy_setopt(e, opt, val) != CURLE_OK
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_PROXY, "");		/* not from the environment */
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
	SET(CURLOPT_RESOLVER_START_FUNCTION, ce_resolver_start_cb);
	SET(CURLOPT_SHARE, ce_share);
	SET(CURLOPT_USERAGENT, "routstrd/" ROUTSTRD_VERSION);
	SET(CURLOPT_HEADERFUNCTION, ce_header_cb);
	SET(CURLOPT_WRITEFUNCTION, ce_write_cb);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_PIPEWAIT, 1L);
	/*
	 * Certificates from memory only: no CA path, whose files OpenSSL
	 * would open lazily, in the sandbox.
	 */
	SET(CURLOPT_CAPATH, NULL);
	SET(CURLOPT_CAINFO, NULL);
	SET(CURLOPT_PROXY_CAPATH, NULL);
	SET(CURLOPT_PROXY_CAINFO, NULL);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
#undef SET
	if (bad) {
		log_warnx("%s: libcurl refused an option", __func__);
		curl_easy_cleanup(e);
		errno = ENOTSUP;
		return (NULL);
	}
	return (e);
}

/*
 * Back to the pool, holding nothing of the transfer's: its memory is
 * freed, and a later one sets its own.
 */
static void
ce_easy_put(CURL *e)
{
	int	 bad = 0;

	if (ce_npool == CE_POOL_MAX) {
		curl_easy_cleanup(e);
		return;
	}
#define SET(opt, val)	bad |= curl_easy_setopt(e, opt, val) != CURLE_OK
	SET(CURLOPT_PRIVATE, NULL);
	SET(CURLOPT_CURLU, NULL);
	SET(CURLOPT_RESOLVER_START_DATA, NULL);
	SET(CURLOPT_ERRORBUFFER, NULL);
	SET(CURLOPT_HTTPHEADER, NULL);
	SET(CURLOPT_HEADERDATA, NULL);
	SET(CURLOPT_WRITEDATA, NULL);
	SET(CURLOPT_RESOLVE, NULL);
	SET(CURLOPT_POSTFIELDS, NULL);
	SET(CURLOPT_CAINFO_BLOB, NULL);
#undef SET
	if (bad)
		curl_easy_cleanup(e);
	else
		ce_pool[ce_npool++] = e;
}

void
curlev_shutdown(void)
{
	struct curlev_req	*r;
	struct ce_name		*n;
	struct ce_sock		*s;
	struct ce_lookup	*l;
	size_t			 i;

	while ((r = TAILQ_FIRST(&ce_reqs)) != NULL) {
		r->r_cancelled = 1;
		if (r->r_name != NULL) {
			TAILQ_REMOVE(&r->r_name->n_waiting, r, r_wait);
			r->r_name = NULL;
		}
		ce_free(r);
	}
	while (ce_npool > 0)
		curl_easy_cleanup(ce_pool[--ce_npool]);
	while ((n = TAILQ_FIRST(&ce_names)) != NULL) {
		if (n->n_pending && ce_resolver->rs_cancel != NULL)
			ce_resolver->rs_cancel(n->n_lookup);
		n->n_pending = 0;
		ce_name_drop(n);
	}
	while ((l = TAILQ_FIRST(&ce_lookups)) != NULL)
		imsg_resolve_cancel(l->l_id);
	if (ce_multi != NULL) {
		/* it may still call ce_timer_cb and ce_socket_cb */
		curl_multi_cleanup(ce_multi);
		ce_multi = NULL;
		evtimer_del(&ce_timer);
		evtimer_del(&ce_todo_event);
	}
	while ((s = TAILQ_FIRST(&ce_socks)) != NULL) {
		event_del(&s->s_ev);
		TAILQ_REMOVE(&ce_socks, s, s_entry);
		free(s);
	}
	for (i = 0; i < CE_URLS; i++)
		ce_url_free(&ce_urls[i]);
	if (ce_share != NULL) {
		curl_share_cleanup(ce_share);
		ce_share = NULL;
	}
	free(ce_ca);
	ce_ca = NULL;
	ce_calen = 0;
	if (ce_global) {
		curl_global_cleanup();
		ce_global = 0;
	}
}

void
curlev_set_resolver(const struct curlev_resolver *rs)
{
	ce_resolver = rs != NULL ? rs : &imsg_resolver;
}

void
curlev_set_resolver_peer(struct peer *p)
{
	ce_resolve_peer = p;
}

int
curlev_pending(void)
{
	struct curlev_req	*r;
	int			 n = 0;

	TAILQ_FOREACH(r, &ce_reqs, r_entry)
		if (!r->r_cancelled)
			n++;
	return (n);
}

/*
 * libcurl on the event loop.
 */

static int
ce_socket_cb(CURL *easy, curl_socket_t fd, int what, void *arg, void *sockp)
{
	struct ce_sock	*s = sockp;
	short		 ev = EV_PERSIST;

	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			event_del(&s->s_ev);
			TAILQ_REMOVE(&ce_socks, s, s_entry);
			free(s);
			curl_multi_assign(ce_multi, fd, NULL);
		}
		return (0);
	}
	if (what & CURL_POLL_IN)
		ev |= EV_READ;
	if (what & CURL_POLL_OUT)
		ev |= EV_WRITE;
	if (s == NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL)
			fatal(NULL);
		s->s_fd = fd;
		TAILQ_INSERT_TAIL(&ce_socks, s, s_entry);
		curl_multi_assign(ce_multi, fd, s);
	} else if (s->s_events == ev)
		return (0);		/* no epoll_ctl(2) for nothing */
	else
		event_del(&s->s_ev);
	s->s_events = ev;
	event_set(&s->s_ev, fd, ev, ce_sock_ev, s);
	if (event_add(&s->s_ev, NULL) == -1)
		fatal("%s: event_add", __func__);
	return (0);
}

static int
ce_timer_cb(CURLM *multi, long ms, void *arg)
{
	struct timeval	 tv;

	evtimer_del(&ce_timer);
	if (ms < 0)
		return (0);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(&ce_timer, &tv);
	return (0);
}

static void
ce_sock_ev(int fd, short event, void *arg)
{
	CURLMcode	 rc;
	int		 flags = 0, running;

	if (event & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (event & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	ce_depth++;
	rc = curl_multi_socket_action(ce_multi, fd, flags, &running);
	ce_depth--;
	if (rc != CURLM_OK)
		log_warnx("curl_multi_socket_action: %s",
		    curl_multi_strerror(rc));
	ce_check_info();
	ce_todo_run();
}

static void
ce_timer_ev(int fd, short event, void *arg)
{
	CURLMcode	 rc;
	int		 running;

	ce_depth++;
	rc = curl_multi_socket_action(ce_multi, CURL_SOCKET_TIMEOUT, 0,
	    &running);
	ce_depth--;
	if (rc != CURLM_OK)
		log_warnx("curl_multi_socket_action: %s",
		    curl_multi_strerror(rc));
	ce_check_info();
	ce_todo_run();
}

static void
ce_todo_ev(int fd, short event, void *arg)
{
	ce_todo_run();
}

static void
ce_todo(struct curlev_req *r, int what)
{
	struct timeval	 tv = { 0, 0 };

	if (r->r_todo == 0)
		TAILQ_INSERT_TAIL(&ce_todos, r, r_todo_entry);
	r->r_todo |= what;
	if (!evtimer_pending(&ce_todo_event, NULL))
		evtimer_add(&ce_todo_event, &tv);
}

/* What was asked for while libcurl was busy, now that it is not. */
static void
ce_todo_run(void)
{
	struct curlev_req	*r;
	CURLcode		 rc;
	int			 what;

	if (ce_depth > 0)
		return;
	while ((r = TAILQ_FIRST(&ce_todos)) != NULL) {
		TAILQ_REMOVE(&ce_todos, r, r_todo_entry);
		what = r->r_todo;
		r->r_todo = 0;
		if (what & TODO_FREE) {
			ce_free(r);
			continue;
		}
		if (what & TODO_FAIL) {
			ce_done(r, CURLE_OK);
			continue;
		}
		if ((what & TODO_ADD) && r->r_state == RS_QUEUED)
			ce_add(r);
		if ((what & TODO_UNPAUSE) && r->r_state == RS_RUNNING &&
		    r->r_curl_paused && !r->r_paused) {
			r->r_curl_paused = 0;
			ce_depth++;
			rc = curl_easy_pause(r->r_easy, CURLPAUSE_CONT);
			ce_depth--;
			if (rc != CURLE_OK)
				ce_done(r, rc);
		}
	}
	ce_check_info();
}

static void
ce_check_info(void)
{
	struct curlev_req	*r;
	CURLMsg			*m;
	char			*p;
	int			 left;

	if (ce_depth > 0 || ce_multi == NULL)
		return;
	while ((m = curl_multi_info_read(ce_multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		p = NULL;
		if (curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &p) !=
		    CURLE_OK || p == NULL)
			fatalx("%s: a transfer that is not ours", __func__);
		r = (struct curlev_req *)p;
		ce_done(r, m->data.result);
	}
}

/*
 * Requests.
 */

struct curlev_req *
curlev_start(const struct curlev_params *p)
{
	struct curlev_req	*r;

	if (ce_multi == NULL || p == NULL || p->p_url == NULL ||
	    p->p_on_done == NULL || (p->p_body == NULL && p->p_bodylen > 0) ||
	    (p->p_ca == NULL && p->p_calen > 0)) {
		errno = EINVAL;
		return (NULL);
	}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return (NULL);
	TAILQ_INSERT_TAIL(&ce_reqs, r, r_entry);
	r->r_p = *p;
	/* Copied, or not ours to keep. */
	r->r_p.p_url = NULL;
	r->r_p.p_headers = NULL;
	r->r_p.p_body = NULL;
	r->r_p.p_ca = NULL;
	r->r_p.p_method = NULL;
	if (r->r_p.p_connect_ms == 0)
		r->r_p.p_connect_ms = CURLEV_CONNECT_MS;
	if (r->r_p.p_timeout_ms == 0)
		r->r_p.p_timeout_ms = CURLEV_TIMEOUT_MS;
	if (r->r_p.p_maxresponse == 0)
		r->r_p.p_maxresponse = CURLEV_MAXRESPONSE;
	clock_gettime(CLOCK_MONOTONIC, &r->r_start);

	if (ce_setup(r, p) == -1) {
		r->r_cancelled = 1;
		ce_free(r);
		return (NULL);
	}
	if (r->r_literal) {
		r->r_state = RS_QUEUED;
		ce_todo(r, TODO_ADD);
	} else
		ce_name_want(r);
	log_debug("%s %s: started", r->r_method, r->r_logname);
	return (r);
}

/* "GET", "POST", or a token that goes out as it is. */
static int
ce_method_ok(const char *m)
{
	size_t	 len = strlen(m);

	return (len > 0 && len < 16 &&
	    strspn(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == len);
}

static int
ce_setup(struct curlev_req *r, const struct curlev_params *p)
{
	struct curl_blob	 blob;
	struct curl_slist	*sl;
	const char * const	*h;
	CURL			*e;
	const char		*method;
	int			 bad = 0;

	if (ce_parse_url(r, p->p_url) == -1)
		return (-1);

	method = p->p_method != NULL ? p->p_method :
	    p->p_body != NULL ? "POST" : "GET";
	if (!ce_method_ok(method)) {
		errno = EINVAL;
		return (-1);
	}
	r->r_method = strcmp(method, "GET") == 0 ? "GET" :
	    strcmp(method, "POST") == 0 ? "POST" :
	    strcmp(method, "HEAD") == 0 ? "HEAD" : "other";

	if ((r->r_easy = e = ce_easy_get()) == NULL)
		return (-1);

	for (h = p->p_headers; h != NULL && *h != NULL; h++) {
		/* one line each, a name, a colon */
		if (strpbrk(*h, "\r\n") != NULL || strchr(*h, ':') == NULL ||
		    **h == ':' || **h == ' ') {
			errno = EINVAL;
			return (-1);
		}
		if ((sl = curl_slist_append(r->r_headers, *h)) == NULL)
			return (-1);
		r->r_headers = sl;
	}
	/* No "100 Continue" round trip before large bodies. */
	if ((sl = curl_slist_append(r->r_headers, "Expect:")) == NULL)
		return (-1);
	r->r_headers = sl;

	if (p->p_body != NULL) {
		if ((r->r_body = malloc(p->p_bodylen + 1)) == NULL)
			return (-1);
		memcpy(r->r_body, p->p_body, p->p_bodylen);
		r->r_body[p->p_bodylen] = '\0';
		r->r_bodylen = p->p_bodylen;
	}
	if (p->p_ca != NULL) {
		if ((r->r_ca = malloc(p->p_calen)) == NULL)
			return (-1);
		memcpy(r->r_ca, p->p_ca, p->p_calen);
		r->r_calen = p->p_calen;
	}

#define SET(opt, val)	bad |= curl_easy_setopt(e, opt, val) != CURLE_OK
	SET(CURLOPT_PRIVATE, (char *)r);
	SET(CURLOPT_CURLU, r->r_url);
	SET(CURLOPT_RESOLVER_START_DATA, r);
	SET(CURLOPT_ERRORBUFFER, r->r_errbuf);
	SET(CURLOPT_HTTPHEADER, r->r_headers);
	SET(CURLOPT_HEADERDATA, r);
	SET(CURLOPT_WRITEDATA, r);
	SET(CURLOPT_HTTP_VERSION, (p->p_flags & CURLEV_F_HTTP1) ?
	    (long)CURL_HTTP_VERSION_1_1 : (long)CURL_HTTP_VERSION_2TLS);
	SET(CURLOPT_FRESH_CONNECT, (p->p_flags & CURLEV_F_FRESH) ? 1L : 0L);
	SET(CURLOPT_FORBID_REUSE, (p->p_flags & CURLEV_F_FRESH) ? 1L : 0L);
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)r->r_p.p_connect_ms);
	SET(CURLOPT_LOW_SPEED_LIMIT, p->p_lowspeed_secs > 0 ?
	    (long)p->p_lowspeed_bytes : 0L);
	SET(CURLOPT_LOW_SPEED_TIME, p->p_lowspeed_secs > 0 ?
	    (long)p->p_lowspeed_secs : 0L);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)r->r_p.p_maxresponse);
	SET(CURLOPT_RESOLVE, NULL);	/* ce_add() sets it for names */

	memset(&blob, 0, sizeof(blob));
	blob.flags = CURL_BLOB_NOCOPY;
	if (r->r_ca != NULL) {
		blob.data = r->r_ca;
		blob.len = r->r_calen;
	} else {
		blob.data = ce_ca;
		blob.len = ce_calen;
	}
	/*
	 * libcurl copies the blob into the settings of every transfer's
	 * connection (220 KB for Debian's bundle): only where TLS uses it.
	 */
	if (strncmp(r->r_logname, "https:", 6) == 0) {
		if (blob.data == NULL) {
			log_warnx("%s: no CA certificates", r->r_logname);
			errno = EINVAL;
			return (-1);
		}
		SET(CURLOPT_CAINFO_BLOB, &blob);
	} else
		SET(CURLOPT_CAINFO_BLOB, NULL);

	SET(CURLOPT_CUSTOMREQUEST, NULL);
	if (strcmp(method, "HEAD") == 0) {
		SET(CURLOPT_HTTPGET, 1L);
		SET(CURLOPT_NOBODY, 1L);
	} else if (strcmp(method, "GET") == 0 && r->r_body == NULL)
		SET(CURLOPT_HTTPGET, 1L);	/* and no NOBODY */
	else {
		SET(CURLOPT_NOBODY, 0L);
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->r_bodylen);
		SET(CURLOPT_POSTFIELDS, r->r_body != NULL ? r->r_body : "");
		if (strcmp(method, "POST") != 0)
			SET(CURLOPT_CUSTOMREQUEST, method);
	}
#undef SET
	if (bad) {
		log_warnx("%s: libcurl refused an option", __func__);
		errno = ENOTSUP;
		return (-1);
	}
	return (0);
}

/*
 * libcurl parses the URL once, and that parse is the one it uses: the
 * host and port we resolve are exactly those it will look up.
 */
static int
ce_url_parse(struct ce_url *r, const char *url)
{
	char		 sch[8], host[IPC_HOST_MAX];
	char		*scheme = NULL, *chost = NULL, *port = NULL;
	char		*path = NULL, *user = NULL;
	const char	*errstr;
	struct in6_addr	 in6;
	struct in_addr	 in4;
	uint16_t	 p16;
	size_t		 len;
	int		 ret = -1;

	errno = EINVAL;
	if (strnlen(url, URL_MAX) >= URL_MAX ||
	    url_split(url, sch, sizeof(sch), host, sizeof(host), &p16) == -1 ||
	    (strcmp(sch, "http") != 0 && strcmp(sch, "https") != 0))
		return (-1);
	if ((r->u_url = curl_url()) == NULL) {
		errno = ENOMEM;
		return (-1);
	}
	if (curl_url_set(r->u_url, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(r->u_url, CURLUPART_SCHEME, &scheme, 0) !=
	    CURLUE_OK ||
	    curl_url_get(r->u_url, CURLUPART_HOST, &chost, 0) != CURLUE_OK ||
	    curl_url_get(r->u_url, CURLUPART_PORT, &port,
	    CURLU_DEFAULT_PORT) != CURLUE_OK ||
	    curl_url_get(r->u_url, CURLUPART_PATH, &path, 0) != CURLUE_OK)
		goto done;
	if (curl_url_get(r->u_url, CURLUPART_USER, &user, 0) == CURLUE_OK)
		goto done;		/* no credentials in URLs */
	if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
		goto done;
	r->u_port = strtonum(port, 1, 65535, &errstr);
	if (errstr != NULL)
		goto done;
	if (strlcpy(r->u_curlhost, chost, sizeof(r->u_curlhost)) >=
	    sizeof(r->u_curlhost))
		goto done;
	len = strlen(chost);
	if (chost[0] == '[') {
		if (len < 3 || chost[len - 1] != ']')
			goto done;
		memcpy(r->u_host, chost + 1, len - 2);
		r->u_host[len - 2] = '\0';
		/* an address, no zone */
		if (inet_pton(AF_INET6, r->u_host, &in6) != 1)
			goto done;
		r->u_literal = 1;
	} else {
		memcpy(r->u_host, chost, len + 1);
		if (inet_pton(AF_INET, r->u_host, &in4) == 1)
			r->u_literal = 1;
		/*
		 * A name: it must be one the parent resolves and that
		 * libcurl looks up as it is.
		 */
		else if (!ipc_host_ok(r->u_host, sizeof(r->u_host)) ||
		    strchr(r->u_host, ':') != NULL ||
		    r->u_host[len - 1] == '.')
			goto done;
	}
	if (asprintf(&r->u_logname, "%s://%s:%u%s", scheme, chost,
	    (unsigned int)r->u_port, path) == -1) {
		r->u_logname = NULL;
		errno = ENOMEM;
		goto done;
	}
	ret = 0;
 done:
	curl_free(scheme);
	curl_free(chost);
	curl_free(port);
	curl_free(path);
	curl_free(user);
	return (ret);
}

/*
 * A request's URL, from the last ones parsed: each upstream asks for the
 * same few again and again.  The request gets a copy of libcurl's.
 */
static int
ce_parse_url(struct curlev_req *r, const char *url)
{
	struct ce_url	*u = NULL;
	size_t		 i;

	for (i = 0; i < CE_URLS; i++)
		if (ce_urls[i].u_text != NULL &&
		    strcmp(ce_urls[i].u_text, url) == 0) {
			u = &ce_urls[i];
			break;
		}
	if (u == NULL) {
		u = &ce_urls[ce_urlnext];
		ce_url_free(u);
		if (ce_url_parse(u, url) == -1 ||
		    (u->u_text = strdup(url)) == NULL) {
			ce_url_free(u);
			return (-1);
		}
		ce_urlnext = (ce_urlnext + 1) % CE_URLS;
	}
	if ((r->r_url = curl_url_dup(u->u_url)) == NULL ||
	    (r->r_logname = strdup(u->u_logname)) == NULL) {
		errno = ENOMEM;
		return (-1);
	}
	memcpy(r->r_host, u->u_host, sizeof(r->r_host));
	memcpy(r->r_curlhost, u->u_curlhost, sizeof(r->r_curlhost));
	r->r_port = u->u_port;
	r->r_literal = u->u_literal;
	return (0);
}

static void
ce_url_free(struct ce_url *u)
{
	curl_url_cleanup(u->u_url);
	free(u->u_text);
	free(u->u_logname);
	memset(u, 0, sizeof(*u));
}

/*
 * libcurl is about to resolve a name itself: it must not, the sandbox
 * would kill the process for the thread.  IP literals it parses.
 */
static int
ce_resolver_start_cb(void *resolver, void *reserved, void *arg)
{
	struct curlev_req	*r = arg;

	if (r->r_literal)
		return (0);
	log_warnx("%s: libcurl wanted to resolve the name itself: refused",
	    r->r_logname);
	return (1);
}

static void
ce_add(struct curlev_req *r)
{
	struct curl_slist	*sl;
	char			 entry[RESOLVE_ENTRY];
	char			 addr[INET6_ADDRSTRLEN];
	const void		*a;
	size_t			 i;
	long			 left;
	int			 bad = 0;

	left = (long)r->r_p.p_timeout_ms - ce_elapsed_ms(r);
	if (left <= 0) {
		ce_fail(r, CURLEV_E_TIMEOUT, "timed out resolving the name");
		return;
	}

	if (!r->r_literal) {
		/* "host:port:addr,[addr6],..." for libcurl's cache */
		(void)snprintf(entry, sizeof(entry), "%s:%u:", r->r_curlhost,
		    (unsigned int)r->r_port);
		for (i = 0; i < r->r_naddrs; i++) {
			if (r->r_addrs[i].ss_family == AF_INET)
				a = &((struct sockaddr_in *)
				    &r->r_addrs[i])->sin_addr;
			else
				a = &((struct sockaddr_in6 *)
				    &r->r_addrs[i])->sin6_addr;
			if (inet_ntop(r->r_addrs[i].ss_family, a, addr,
			    sizeof(addr)) == NULL)
				continue;
			if (i > 0)
				(void)strlcat(entry, ",", sizeof(entry));
			if (r->r_addrs[i].ss_family == AF_INET6)
				(void)strlcat(entry, "[", sizeof(entry));
			(void)strlcat(entry, addr, sizeof(entry));
			if (r->r_addrs[i].ss_family == AF_INET6)
				(void)strlcat(entry, "]", sizeof(entry));
		}
		ce_slist_free(r->r_resolve);
		if ((r->r_resolve = sl = curl_slist_append(NULL, entry)) ==
		    NULL) {
			ce_fail(r, CURLEV_E_INTERNAL, "out of memory");
			return;
		}
		bad |= curl_easy_setopt(r->r_easy, CURLOPT_RESOLVE, sl) !=
		    CURLE_OK;
	}
	bad |= curl_easy_setopt(r->r_easy, CURLOPT_TIMEOUT_MS, left) !=
	    CURLE_OK;
	if (bad || curl_multi_add_handle(ce_multi, r->r_easy) != CURLM_OK) {
		ce_fail(r, CURLEV_E_INTERNAL, "libcurl refused the transfer");
		return;
	}
	r->r_state = RS_RUNNING;
	r->r_added = 1;
}

/* A failure before libcurl had the request: told from the todo list. */
static void
ce_fail(struct curlev_req *r, int error, const char *errstr)
{
	r->r_error = error;
	r->r_errstr = errstr;
	r->r_state = RS_QUEUED;
	ce_todo(r, TODO_FAIL);
}

static int
ce_error(CURLcode rc)
{
	switch (rc) {
	case CURLE_OK:
		return (CURLEV_OK);
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return (CURLEV_E_URL);
	case CURLE_COULDNT_RESOLVE_HOST:
		return (CURLEV_E_RESOLVE);
	case CURLE_COULDNT_CONNECT:
		return (CURLEV_E_CONNECT);
	case CURLE_OPERATION_TIMEDOUT:
		return (CURLEV_E_TIMEOUT);
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
		return (CURLEV_E_TLS);
	case CURLE_FILESIZE_EXCEEDED:
		return (CURLEV_E_TOOBIG);
	case CURLE_ABORTED_BY_CALLBACK:
	case CURLE_WRITE_ERROR:
		return (CURLEV_E_ABORTED);
	case CURLE_OUT_OF_MEMORY:
	case CURLE_FAILED_INIT:
	case CURLE_BAD_FUNCTION_ARGUMENT:
	case CURLE_UNKNOWN_OPTION:
	case CURLE_NOT_BUILT_IN:
		return (CURLEV_E_INTERNAL);
	default:
		return (CURLEV_E_TRANSFER);
	}
}

static const char *
ce_errstr(int error)
{
	switch (error) {
	case CURLEV_OK:
		return ("");
	case CURLEV_E_TOOBIG:
		return ("response too large");
	case CURLEV_E_ABORTED:
		return ("aborted");
	case CURLEV_E_INTERNAL:
		return ("out of memory");
	}
	return ("failed");
}

/* The end of a request: tell the caller, unless cancelled, and free. */
static void
ce_done(struct curlev_req *r, CURLcode rc)
{
	struct curlev_result	 res;
	long			 v;

	if (r->r_state == RS_RUNNING) {
		curl_multi_remove_handle(ce_multi, r->r_easy);
		r->r_state = RS_DONE;
	}
	if (r->r_cancelled) {
		ce_free(r);
		return;
	}

	memset(&res, 0, sizeof(res));
	if (r->r_error != 0) {
		/* our callbacks' verdict, or a failure before libcurl */
		res.r_error = r->r_error;
		res.r_errstr = r->r_errstr != NULL ? r->r_errstr :
		    ce_errstr(r->r_error);
	} else {
		res.r_error = ce_error(rc);
		res.r_errstr = rc == CURLE_OK ? "" : curl_easy_strerror(rc);
	}
	res.r_detail = r->r_errbuf;
	if (res.r_error == CURLEV_OK && !r->r_hdone) {
		res.r_error = CURLEV_E_TRANSFER;
		res.r_errstr = "no response";
	}
	res.r_status = r->r_hdone ? r->r_status : 0;
	/* a pooled handle's info is its last transfer's until it runs */
	if (r->r_added && curl_easy_getinfo(r->r_easy,
	    CURLINFO_REQUEST_SIZE, &v) == CURLE_OK)
		res.r_sent = v > 0;
	res.r_http = 1;
	if (r->r_added && curl_easy_getinfo(r->r_easy,
	    CURLINFO_HTTP_VERSION, &v) == CURLE_OK) {
		if (v == CURL_HTTP_VERSION_2_0)
			res.r_http = 2;
		else if (v == CURL_HTTP_VERSION_3)
			res.r_http = 3;
	}
	res.r_received = r->r_received;
	if (r->r_p.p_on_body == NULL) {
		res.r_body = r->r_buf != NULL ? r->r_buf : "";
		res.r_bodylen = r->r_len;
	}
	if (res.r_error == CURLEV_OK)
		log_debug("%s %s: %ld, %llu bytes, %ld ms", r->r_method,
		    r->r_logname, res.r_status,
		    (unsigned long long)res.r_received, ce_elapsed_ms(r));
	else
		log_debug("%s %s: %s", r->r_method, r->r_logname,
		    res.r_errstr);

	r->r_state = RS_DONE;
	r->r_indone = 1;
	r->r_p.p_on_done(r, &res, r->r_p.p_arg);
	ce_free(r);
}

static void
ce_slist_free(struct curl_slist *sl)
{
	struct curl_slist	*s;

	/* request headers carry API keys and macaroons */
	for (s = sl; s != NULL; s = s->next)
		explicit_bzero(s->data, strlen(s->data));
	curl_slist_free_all(sl);
}

static void
ce_free(struct curlev_req *r)
{
	if (r->r_todo != 0) {
		TAILQ_REMOVE(&ce_todos, r, r_todo_entry);
		r->r_todo = 0;
	}
	if (r->r_name != NULL) {
		TAILQ_REMOVE(&r->r_name->n_waiting, r, r_wait);
		r->r_name = NULL;
	}
	if (r->r_ev_set)
		evtimer_del(&r->r_ev);
	if (r->r_easy != NULL) {
		if (r->r_state == RS_RUNNING)
			curl_multi_remove_handle(ce_multi, r->r_easy);
		ce_easy_put(r->r_easy);
	}
	TAILQ_REMOVE(&ce_reqs, r, r_entry);
	curl_url_cleanup(r->r_url);
	ce_slist_free(r->r_headers);
	ce_slist_free(r->r_resolve);
	if (r->r_body != NULL)
		freezero(r->r_body, r->r_bodylen + 1);
	free(r->r_ca);
	if (r->r_buf != NULL)
		freezero(r->r_buf, r->r_cap);
	ce_headers_clear(r);
	free(r->r_logname);
	free(r);
}

void
curlev_cancel(struct curlev_req *r)
{
	if (r == NULL || r->r_cancelled || r->r_indone)
		return;
	r->r_cancelled = 1;
	if (r->r_name != NULL) {
		TAILQ_REMOVE(&r->r_name->n_waiting, r, r_wait);
		r->r_name = NULL;
	}
	if (r->r_ev_set) {
		evtimer_del(&r->r_ev);
		r->r_ev_set = 0;
	}
	/* Its libcurl callbacks see r_cancelled until it is freed. */
	ce_todo(r, TODO_FREE);
}

void
curlev_pause(struct curlev_req *r, int pause)
{
	if (r == NULL || r->r_cancelled || r->r_indone)
		return;
	if (pause) {
		/* the next body bytes are held back by libcurl */
		r->r_paused = 1;
		return;
	}
	r->r_paused = 0;
	if (r->r_curl_paused)
		ce_todo(r, TODO_UNPAUSE);
}

const char *
curlev_header(struct curlev_req *r, const char *name)
{
	size_t	 i;

	for (i = 0; i < r->r_nhdrs; i++)
		if (strcasecmp(r->r_hdrs[i].h_name, name) == 0)
			return (r->r_hdrs[i].h_value);
	return (NULL);
}

size_t
curlev_headers(struct curlev_req *r, const struct curlev_header **hp)
{
	*hp = r->r_hdrs;
	return (r->r_nhdrs);
}

const char *
curlev_logname(struct curlev_req *r)
{
	return (r->r_logname);
}

/*
 * The response.
 */

static void
ce_headers_clear(struct curlev_req *r)
{
	size_t	 i;

	for (i = 0; i < r->r_nhdrs; i++) {
		freezero(r->r_hdrs[i].h_name, strlen(r->r_hdrs[i].h_name));
		freezero(r->r_hdrs[i].h_value, strlen(r->r_hdrs[i].h_value));
	}
	free(r->r_hdrs);
	r->r_hdrs = NULL;
	r->r_nhdrs = 0;
	r->r_hdrbytes = 0;
}

/* One header line at a time, for every response (1xx included). */
static size_t
ce_header_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	struct curlev_req	*r = arg;
	struct curlev_header	*h;
	const char		*colon, *v, *end;
	char			*nv;
	size_t			 len = size * nitems, n, old;
	long			 status = 0;
	int			 rv;

	if (r->r_cancelled)
		return (0);
	if (r->r_hdone)
		return (len);		/* trailers */
	for (n = len; n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r');)
		n--;
	if (len >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
		ce_headers_clear(r);	/* a new response */
		return (len);
	}
	if (n == 0) {
		(void)curl_easy_getinfo(r->r_easy, CURLINFO_RESPONSE_CODE,
		    &status);
		if (status >= 100 && status < 200) {
			ce_headers_clear(r);
			return (len);
		}
		r->r_hdone = 1;
		r->r_status = status;
		if (r->r_p.p_on_headers != NULL) {
			rv = r->r_p.p_on_headers(r, status, r->r_p.p_arg);
			if (r->r_cancelled)
				return (0);
			if (rv != 0) {
				r->r_error = CURLEV_E_ABORTED;
				return (0);
			}
		}
		return (len);
	}
	if (r->r_nhdrs >= CURLEV_HEADERS_MAX ||
	    r->r_hdrbytes + n > CURLEV_HEADERS_SIZE) {
		r->r_error = CURLEV_E_TOOBIG;
		r->r_errstr = "response headers too large";
		return (0);
	}
	r->r_hdrbytes += n;
	end = buf + n;
	if (buf[0] == ' ' || buf[0] == '\t') {
		/* obsolete line folding: more of the last value */
		if (r->r_nhdrs == 0)
			return (len);
		h = &r->r_hdrs[r->r_nhdrs - 1];
		for (v = buf; v < end && (*v == ' ' || *v == '\t'); v++)
			;
		old = strlen(h->h_value);
		if ((nv = realloc(h->h_value, old + 1 + (end - v) + 1)) ==
		    NULL)
			goto nomem;
		nv[old] = ' ';
		memcpy(nv + old + 1, v, end - v);
		nv[old + 1 + (end - v)] = '\0';
		h->h_value = nv;
		return (len);
	}
	if ((colon = memchr(buf, ':', n)) == NULL || colon == buf)
		return (len);		/* not a header: ignored */
	for (v = colon + 1; v < end && (*v == ' ' || *v == '\t'); v++)
		;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if ((h = reallocarray(r->r_hdrs, r->r_nhdrs + 1, sizeof(*h))) ==
	    NULL)
		goto nomem;
	r->r_hdrs = h;
	h = &r->r_hdrs[r->r_nhdrs];
	if ((h->h_name = strndup(buf, colon - buf)) == NULL)
		goto nomem;
	if ((h->h_value = strndup(v, end - v)) == NULL) {
		free(h->h_name);
		goto nomem;
	}
	r->r_nhdrs++;
	return (len);
 nomem:
	r->r_error = CURLEV_E_INTERNAL;
	return (0);
}

static size_t
ce_write_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	struct curlev_req	*r = arg;
	size_t			 len = size * nitems, cap;
	char			*nb;
	int			 rv;

	if (r->r_cancelled)
		return (0);
	if (r->r_paused && r->r_p.p_on_body != NULL) {
		/* libcurl keeps these bytes until curl_easy_pause(CONT) */
		r->r_curl_paused = 1;
		return (CURL_WRITEFUNC_PAUSE);
	}
	if (len > r->r_p.p_maxresponse - r->r_received) {
		r->r_error = CURLEV_E_TOOBIG;
		return (0);
	}
	r->r_received += len;
	if (r->r_p.p_on_body != NULL) {
		rv = r->r_p.p_on_body(r, buf, len, r->r_p.p_arg);
		if (r->r_cancelled)
			return (0);
		if (rv != 0) {
			r->r_error = CURLEV_E_ABORTED;
			return (0);
		}
		return (len);
	}
	if (r->r_len + len + 1 > r->r_cap) {
		cap = r->r_cap > 0 ? r->r_cap : 4096;
		while (cap < r->r_len + len + 1)
			cap *= 2;
		if ((nb = recallocarray(r->r_buf, r->r_cap, cap, 1)) == NULL) {
			r->r_error = CURLEV_E_INTERNAL;
			return (0);
		}
		r->r_buf = nb;
		r->r_cap = cap;
	}
	memcpy(r->r_buf + r->r_len, buf, len);
	r->r_len += len;
	r->r_buf[r->r_len] = '\0';
	return (len);
}

/*
 * Names: the parent's answers, remembered for CURLEV_NAME_TTL seconds,
 * one lookup at a time per name however many requests wait for it.
 */

static time_t
ce_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec);
}

static long
ce_elapsed_ms(const struct curlev_req *r)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((ts.tv_sec - r->r_start.tv_sec) * 1000 +
	    (ts.tv_nsec - r->r_start.tv_nsec) / 1000000);
}

static void
ce_name_want(struct curlev_req *r)
{
	struct ce_name	*n;
	struct timeval	 tv;
	long		 left;

	TAILQ_FOREACH(n, &ce_names, n_entry)
		if (strcasecmp(n->n_host, r->r_host) == 0)
			break;
	if (n != NULL && !n->n_pending && n->n_expires > ce_now()) {
		/* most recently used first */
		TAILQ_REMOVE(&ce_names, n, n_entry);
		TAILQ_INSERT_HEAD(&ce_names, n, n_entry);
		memcpy(r->r_addrs, n->n_addrs, sizeof(r->r_addrs));
		r->r_naddrs = n->n_count;
		r->r_state = RS_QUEUED;
		ce_todo(r, TODO_ADD);
		return;
	}
	if (n == NULL) {
		if ((n = calloc(1, sizeof(*n))) == NULL) {
			ce_fail(r, CURLEV_E_INTERNAL, "out of memory");
			return;
		}
		TAILQ_INIT(&n->n_waiting);
		(void)strlcpy(n->n_host, r->r_host, sizeof(n->n_host));
		TAILQ_INSERT_HEAD(&ce_names, n, n_entry);
		ce_nnames++;
	}
	if (!n->n_pending) {
		n->n_pending = 1;
		n->n_lookup = ce_resolver->rs_start(n->n_host, ce_name_done, n);
		if (n->n_lookup == 0) {
			n->n_pending = 0;
			ce_name_drop(n);
			ce_fail(r, CURLEV_E_RESOLVE, "no resolver");
			return;
		}
	}
	r->r_name = n;
	r->r_state = RS_RESOLVING;
	TAILQ_INSERT_TAIL(&n->n_waiting, r, r_wait);
	ce_names_trim();

	/* The request's own clock runs during the lookup too. */
	left = (long)r->r_p.p_timeout_ms - ce_elapsed_ms(r);
	if (left < 1)
		left = 1;
	tv.tv_sec = left / 1000;
	tv.tv_usec = (left % 1000) * 1000;
	evtimer_set(&r->r_ev, ce_lookup_timeout, r);
	evtimer_add(&r->r_ev, &tv);
	r->r_ev_set = 1;
}

static void
ce_lookup_timeout(int fd, short event, void *arg)
{
	struct curlev_req	*r = arg;

	r->r_ev_set = 0;
	if (r->r_name != NULL) {
		TAILQ_REMOVE(&r->r_name->n_waiting, r, r_wait);
		r->r_name = NULL;
	}
	ce_fail(r, CURLEV_E_TIMEOUT, "timed out resolving the name");
	ce_todo_run();
}

static void
ce_name_done(int error, const struct sockaddr_storage *addrs, size_t count,
    void *arg)
{
	struct ce_name		*n = arg;
	struct curlev_req	*r;
	size_t			 i;

	n->n_pending = 0;
	n->n_lookup = 0;
	n->n_count = 0;
	for (i = 0; error == 0 && i < count && n->n_count < IPC_RESOLVE_MAX;
	    i++)
		if (addrs[i].ss_family == AF_INET ||
		    addrs[i].ss_family == AF_INET6)
			n->n_addrs[n->n_count++] = addrs[i];
	if (error == 0 && n->n_count == 0)
		error = EAI_NODATA;
	n->n_expires = ce_now() + CURLEV_NAME_TTL;

	while ((r = TAILQ_FIRST(&n->n_waiting)) != NULL) {
		TAILQ_REMOVE(&n->n_waiting, r, r_wait);
		r->r_name = NULL;
		if (r->r_ev_set) {
			evtimer_del(&r->r_ev);
			r->r_ev_set = 0;
		}
		if (error != 0) {
			ce_fail(r, CURLEV_E_RESOLVE, gai_strerror(error));
			continue;
		}
		memcpy(r->r_addrs, n->n_addrs, sizeof(r->r_addrs));
		r->r_naddrs = n->n_count;
		r->r_state = RS_QUEUED;
		ce_todo(r, TODO_ADD);
	}
	if (error != 0)
		ce_name_drop(n);	/* failures are not remembered */
}

static void
ce_name_drop(struct ce_name *n)
{
	if (n->n_pending || !TAILQ_EMPTY(&n->n_waiting))
		return;
	TAILQ_REMOVE(&ce_names, n, n_entry);
	ce_nnames--;
	free(n);
}

static void
ce_names_trim(void)
{
	struct ce_name	*n, *prev;

	for (n = TAILQ_LAST(&ce_names, ce_names_head); n != NULL &&
	    ce_nnames > CURLEV_NAMES_MAX; n = prev) {
		prev = TAILQ_PREV(n, ce_names_head, n_entry);
		ce_name_drop(n);
	}
}

void
curlev_names_flush(void)
{
	struct ce_name	*n, *next;

	TAILQ_FOREACH_SAFE(n, &ce_names, n_entry, next)
		ce_name_drop(n);
}

/*
 * The default resolver: ask the parent over imsg.
 */

static uint32_t
imsg_resolve_start(const char *host, void (*done)(int,
    const struct sockaddr_storage *, size_t, void *), void *arg)
{
	struct ipc_resolve	 req;
	struct ce_lookup	*l;
	struct peer		*p;

	if ((p = ce_resolve_peer) == NULL && (p = proc_parent()) == NULL)
		return (0);
	memset(&req, 0, sizeof(req));
	if (strlcpy(req.r_host, host, sizeof(req.r_host)) >=
	    sizeof(req.r_host))
		return (0);
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return (0);
	l->l_done = done;
	l->l_arg = arg;
	if ((l->l_id = proc_request(p, IMSG_RESOLVE, &req, sizeof(req),
	    IPC_TIMEOUT_MS, imsg_resolved, l)) == 0) {
		free(l);
		return (0);
	}
	TAILQ_INSERT_TAIL(&ce_lookups, l, l_entry);
	return (l->l_id);
}

static void
imsg_resolve_cancel(uint32_t id)
{
	struct ce_lookup	*l;

	TAILQ_FOREACH(l, &ce_lookups, l_entry)
		if (l->l_id == id)
			break;
	if (l == NULL)
		return;
	proc_request_cancel(id);
	TAILQ_REMOVE(&ce_lookups, l, l_entry);
	free(l);
}

static void
imsg_resolved(struct imsg *imsg, void *arg)
{
	struct ipc_resolved	 rep;
	struct ce_lookup	*l = arg;

	TAILQ_REMOVE(&ce_lookups, l, l_entry);
	if (imsg == NULL) {
		/* no answer in time, or no parent any more */
		l->l_done(EAI_AGAIN, NULL, 0, l->l_arg);
		free(l);
		return;
	}
	if (imsg_get_type(imsg) != IMSG_RESOLVE_REPLY ||
	    imsg_get_data(imsg, &rep, sizeof(rep)) == -1 ||
	    !ipc_resolved_ok(&rep))
		fatalx("bad answer from the resolver");
	l->l_done(rep.r_error, rep.r_addrs, rep.r_count, l->l_arg);
	free(l);
}
