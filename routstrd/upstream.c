/*
 * One request attempt to one upstream (upstream.h has the contract).
 *
 * An attempt goes through:
 *	WAIT	the request is out (curlev) or the echo's answer is
 *		ready; the client's close callback is ours
 *	TAKEN	the caller took the status: the body is collected, or
 *		passed to the client's stream through the SSE reader
 * and ends in up_complete() (p_on_done, then freed), or is dropped in
 * p_on_status, or cancelled.
 *
 * libcurl's callbacks (headers, body) run with libcurl on the stack:
 * nothing here calls a curl_multi function from them (curlev defers
 * what it is asked), and the end always comes from curlev's p_on_done,
 * from the event loop.  The client's close callback also comes from the
 * event loop, so an attempt may end there at once.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <ctype.h>
#include <errno.h>
#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "curlev.h"
#include "http.h"
#include "ipc.h"
#include "jscan.h"
#include "log.h"
#include "proxy.h"
#include "upstream.h"
#include "xlate.h"

#define ST_WAIT			1
#define ST_TAKEN		2

#define UPSTREAM_TIMEOUT_DEFAULT 300	/* seconds, as the config's */
#define UPSTREAM_URL_MAX	8192
#define UPSTREAM_NHEADERS	6

struct upstream_req {
	struct upstream_params	 u_p;
	struct proxy_upstream	*u_up;
	int			 u_api;
	int			 u_state;
	int			 u_stream;	/* the client's stream is ours */
	int			 u_instatus;	/* in p_on_status */
	int			 u_cancelled;	/* ... and cancelled there */
	int			 u_indone;	/* in p_on_done */
	struct curlev_req	*u_curl;
	struct http_conn	*u_conn;	/* NULL once it is gone */
	int			 u_error;
	const char		*u_errstr;
	long			 u_status;
	char			 u_ctype[UPSTREAM_CTYPE_MAX];
	uint64_t		 u_prompt_chars;
	struct sse_parser	 u_sse;
	struct upstream_scan	 u_scan;
	char			*u_buf;		/* a collected body */
	size_t			 u_len;
	size_t			 u_cap;
	uint64_t		 u_received;
	u_int			 u_pauses;
	int			 u_paused;
	int			 u_xlate;	/* Messages over chat completions */
	struct xlate_stream	*u_xs;		/* ... its stream, translated */

	/* the echo */
	int			 u_echo;
	struct echo_answer	 u_ea;
	size_t			 u_ea_next;
	struct event		 u_ev;
	int			 u_ev_on;
};

static int	 up_setup_curl(struct upstream_req *);
static int	 up_curl_headers(struct curlev_req *, long, void *);
static int	 up_curl_body(struct curlev_req *, const void *, size_t,
		    void *);
static void	 up_curl_done(struct curlev_req *,
		    const struct curlev_result *, void *);
static int	 up_status(struct upstream_req *);
static int	 up_body(struct upstream_req *, const void *, size_t);
static int	 up_collect(struct upstream_req *, const void *, size_t);
static void	 up_complete(struct upstream_req *);
static void	 up_hooks(struct upstream_req *, int);
static void	 up_client_gone(struct http_conn *, void *);
static void	 up_conn_lost(struct upstream_req *);
static void	 up_drain(struct http_conn *, void *);
static void	 up_error(struct upstream_req *, int, const char *);
static void	 up_free(struct upstream_req *);
static int	 up_on_event(const struct sse_event *, void *);
static int	 up_on_pass(const char *, size_t, void *);
static int	 up_xlate_out(const char *, size_t, void *);
static void	 up_xlate_error(struct upstream_req *,
		    const struct xlate_stream *);
static void	 up_xlate_collected(struct upstream_req *);
static void	 up_collected(struct upstream_req *, struct upstream_result *,
		    int *);
static void	 echo_tick(int, short, void *);
static void	 echo_schedule(struct upstream_req *, u_int);
static const char *up_errstr(int);
static int	 is_sse(const char *);
static int	 header_ok(const char *);
static int	 path_ok(const char *);

/*
 * Set up, before the sandbox.
 */

int
upstream_init(struct proxy_upstreams *ups)
{
	struct proxy_upstream	*up;

	if (curlev_init(NULL) == -1)
		return (-1);
	TAILQ_FOREACH(up, ups, pu_entry)
		if (upstream_load_key(up) == -1) {
			log_warnx("upstream %s: bad key file",
			    up->pu_conf.cu_name);
			return (-1);
		}
	return (0);
}

void
upstream_shutdown(struct proxy_upstreams *ups)
{
	struct proxy_upstream	*up;

	TAILQ_FOREACH(up, ups, pu_entry) {
		if (up->pu_key != NULL)
			freezero(up->pu_key, strlen(up->pu_key) + 1);
		up->pu_key = NULL;
	}
}

/* The key: one line of printable ASCII, blanks around it dropped. */
int
upstream_load_key(struct proxy_upstream *up)
{
	unsigned char	*buf;
	size_t		 len, i, s = 0;

	if (up->pu_keyfd == -1)
		return (0);
	if (fd_read_all(up->pu_keyfd, UPSTREAM_KEY_MAX, &buf, &len) == -1) {
		log_warn("upstream %s: key file", up->pu_conf.cu_name);
		return (-1);
	}
	close(up->pu_keyfd);
	up->pu_keyfd = -1;
	while (len > 0 && isspace(buf[len - 1]))
		len--;
	while (s < len && isspace(buf[s]))
		s++;
	for (i = s; i < len; i++)
		if (buf[i] < 0x21 || buf[i] > 0x7e)
			break;
	if (s == len || i < len) {
		freezero(buf, len + 1);
		errno = EINVAL;
		return (-1);
	}
	memmove(buf, buf + s, len - s);
	memset(buf + len - s, 0, s + 1);
	up->pu_key = (char *)buf;
	return (0);
}

/*
 * Small pieces.
 */

int
upstream_api(const char *path)
{
	if (path == NULL)
		return (UPSTREAM_API_OTHER);
	if (strncmp(path, "/v1/", 4) == 0)
		path += 3;
	if (strcmp(path, "/chat/completions") == 0)
		return (UPSTREAM_API_CHAT);
	if (strcmp(path, "/completions") == 0)
		return (UPSTREAM_API_COMPLETIONS);
	if (strcmp(path, "/embeddings") == 0)
		return (UPSTREAM_API_EMBEDDINGS);
	if (strcmp(path, "/responses") == 0)
		return (UPSTREAM_API_RESPONSES);
	if (strcmp(path, "/messages") == 0)
		return (UPSTREAM_API_MESSAGES);
	return (UPSTREAM_API_OTHER);
}

int
upstream_failover(long status)
{
	switch (status) {
	case 400:
	case 401:
	case 403:
	case 404:
	case 429:
	case 502:
		return (1);
	}
	return (0);
}

char *
upstream_body_text(const struct jspan *body, const char *model, int api,
    int stream, size_t *lenp)
{
	static const char * const keys[] = { "model", "stream_options", NULL };
	static const char	 usage[] = "{\"include_usage\":true}";
	struct jspan		 v[2], iu;
	struct jedit		 ed[3];
	char			*q = NULL, *tail = NULL, *out = NULL;
	size_t			 n = 0;
	int			 add_model = 0, add_so = 0;

	if (jscan_type(body) != JS_OBJECT)
		return (NULL);
	(void)jscan_getv(body, keys, v);
	if (model != NULL) {
		q = jscan_quote(model);
		if (v[0].js_p != NULL)
			ed[n++] = (struct jedit){ v[0].js_p, v[0].js_len, q };
		else
			add_model = 1;
	}
	/* the usage chunk at the end of the stream: what we bill from */
	if (stream && (api == UPSTREAM_API_CHAT ||
	    api == UPSTREAM_API_COMPLETIONS)) {
		if (jscan_type(&v[1]) != JS_OBJECT) {
			if (v[1].js_p != NULL)
				ed[n++] = (struct jedit){ v[1].js_p,
				    v[1].js_len, usage };
			else
				add_so = 1;
		} else if (jscan_get(&v[1], "include_usage", &iu) == 0)
			ed[n++] = (struct jedit){ iu.js_p, iu.js_len, "true" };
		else
			ed[n++] = (struct jedit){ v[1].js_p + 1, 0,
			    jscan_empty(&v[1]) ? "\"include_usage\":true" :
			    "\"include_usage\":true," };
	}
	/* new members at the end, where jansson's json_object_set() puts them */
	if (add_model || add_so) {
		if (asprintf(&tail, "%s%s%s%s%s%s", jscan_empty(body) ? "" : ",",
		    add_model ? "\"model\":" : "", add_model ? q : "",
		    add_model && add_so ? "," : "",
		    add_so ? "\"stream_options\":" : "", add_so ? usage : "") ==
		    -1)
			goto done;
		ed[n++] = (struct jedit){ body->js_p + body->js_len - 1, 0,
		    tail };
	}
	out = jscan_edit(body->js_p, body->js_len, ed, n, lenp);
 done:
	free(q);
	free(tail);
	return (out);
}

/* The event that ends a stream of the API, held back until the end. */
const char *
upstream_terminal(int api)
{
	switch (api) {
	case UPSTREAM_API_MESSAGES:
		return ("event: message_stop\n"
		    "data: {\"type\":\"message_stop\"}\n\n");
	case UPSTREAM_API_RESPONSES:
		return ("");
	default:
		return ("data: [DONE]\n\n");
	}
}

char *
upstream_stream_tail(int api, const char *final, const char *after,
    size_t *lenp)
{
	const char	*end = upstream_terminal(api);
	char		 type[64], *out;
	struct jspan	 f, t;
	int		 n;

	/* the Responses API's events are named */
	type[0] = '\0';
	if (final != NULL && api == UPSTREAM_API_RESPONSES &&
	    jscan_parse(final, strlen(final), &f) == 0 &&
	    jscan_get(&f, "type", &t) == 0 &&
	    jscan_strlcpy(&t, type, sizeof(type)) >= sizeof(type))
		type[0] = '\0';
	if (strpbrk(type, "\r\n") != NULL)
		type[0] = '\0';
	n = asprintf(&out, "%s%s%s%s%s%s%s%s", type[0] != '\0' ? "event: " :
	    "", type, type[0] != '\0' ? "\n" : "",
	    final != NULL ? "data: " : "", final != NULL ? final : "",
	    final != NULL ? "\n\n" : "", end, after != NULL ? after : "");
	if (n == -1)
		return (NULL);
	*lenp = (size_t)n;
	return (out);
}

int
upstream_stream_finish(struct http_conn *conn, int api, const char *final,
    const char *after)
{
	char	*tail;
	size_t	 len;
	int	 r = 0;

	if ((tail = upstream_stream_tail(api, final, after, &len)) == NULL)
		r = -1;
	else if (len > 0)
		r |= http_reply_stream_data(conn, tail, len);
	free(tail);
	r |= http_reply_stream_end(conn);
	return (r ? -1 : 0);
}

const char *
upstream_header(struct upstream_req *u, const char *name)
{
	if (u->u_echo)
		return (strcasecmp(name, "Content-Type") == 0 ?
		    u->u_ea.ea_ctype : NULL);
	if (u->u_curl == NULL)
		return (NULL);
	return (curlev_header(u->u_curl, name));
}

const char *
upstream_name(struct upstream_req *u)
{
	return (u->u_up->pu_conf.cu_name);
}

static int
is_sse(const char *ctype)
{
	return (strncasecmp(ctype, "text/event-stream", 17) == 0 &&
	    (ctype[17] == '\0' || ctype[17] == ';' || ctype[17] == ' '));
}

/* A client header passed on: short, printable. */
static int
header_ok(const char *v)
{
	size_t	 i;

	if (v == NULL || *v == '\0')
		return (0);
	for (i = 0; v[i] != '\0'; i++)
		if (i >= UPSTREAM_HEADER_MAX || (unsigned char)v[i] < 0x20 ||
		    (unsigned char)v[i] > 0x7e)
			return (0);
	return (1);
}

/* "/chat/completions": a path, nothing that changes the URL. */
static int
path_ok(const char *p)
{
	return (p != NULL && p[0] == '/' && strlen(p) < 256 &&
	    strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789/_.-~") == strlen(p) && strstr(p, "..") == NULL);
}

static const char *
up_errstr(int error)
{
	switch (error) {
	case UPSTREAM_OK:
		return ("");
	case UPSTREAM_E_CONNECT:
		return ("cannot connect");
	case UPSTREAM_E_TIMEOUT:
		return ("timed out");
	case UPSTREAM_E_CUT:
		return ("cut short");
	case UPSTREAM_E_TOOBIG:
		return ("answer too large");
	case UPSTREAM_E_GARBAGE:
		return ("not JSON");
	case UPSTREAM_E_CLIENT_GONE:
		return ("client gone");
	}
	return ("internal error");
}

/* The first error of an attempt is the one it ends with. */
static void
up_error(struct upstream_req *u, int error, const char *errstr)
{
	if (u->u_error != UPSTREAM_OK)
		return;
	u->u_error = error;
	u->u_errstr = errstr;
}

/*
 * Start.
 */

struct upstream_req *
upstream_start(const struct upstream_params *p)
{
	struct upstream_req	*u;
	struct request_shape	 rs;
	struct jspan		 body;
	int			 type;

	if (p == NULL || p->p_upstream == NULL || !path_ok(p->p_path) ||
	    (p->p_body == NULL && p->p_bodylen > 0) ||
	    p->p_on_status == NULL || p->p_on_done == NULL) {
		errno = EINVAL;
		return (NULL);
	}
	type = p->p_upstream->pu_conf.cu_type;
	if ((u = calloc(1, sizeof(*u))) == NULL)
		return (NULL);
	u->u_p = *p;
	u->u_p.p_body = NULL;		/* copied, or not ours to keep */
	u->u_p.p_path = NULL;
	u->u_p.p_shape = NULL;
	u->u_up = p->p_upstream;
	u->u_api = upstream_api(p->p_path);
	if (p->p_flags & UPSTREAM_F_MESSAGES) {
		if (type != UPSTREAM_OPENAI ||
		    u->u_api != UPSTREAM_API_CHAT) {
			free(u);
			errno = EINVAL;
			return (NULL);
		}
		u->u_api = UPSTREAM_API_MESSAGES;
		u->u_xlate = 1;
	}
	u->u_conn = p->p_conn;
	u->u_state = ST_WAIT;
	evtimer_set(&u->u_ev, echo_tick, u);

	if (p->p_shape != NULL)
		u->u_prompt_chars = p->p_shape->rs_prompt_chars;
	else if (jscan_parse(p->p_body != NULL ? p->p_body : "",
	    p->p_bodylen, &body) == 0 && request_shape_parse(&body, &rs) == 0)
		u->u_prompt_chars = rs.rs_prompt_chars;

	if (type == UPSTREAM_ECHO) {
		u->u_echo = 1;
		if (echo_answer(u->u_api, p->p_body != NULL ? p->p_body : "",
		    p->p_bodylen, &u->u_ea) == -1) {
			free(u);
			errno = ENOMEM;
			return (NULL);
		}
		echo_schedule(u, 0);
	} else {
		u->u_p.p_path = p->p_path;
		u->u_p.p_body = p->p_body;
		if (up_setup_curl(u) == -1) {
			up_free(u);
			return (NULL);
		}
		u->u_p.p_path = NULL;
		u->u_p.p_body = NULL;
	}
	up_hooks(u, 1);
	log_debug("upstream %s: %zu bytes to %s%s", upstream_name(u),
	    p->p_bodylen, u->u_echo ? "echo" : "", u->u_echo ? "" :
	    curlev_logname(u->u_curl));
	return (u);
}

static int
up_setup_curl(struct upstream_req *u)
{
	struct curlev_params	 cp;
	struct http_request	*req;
	const struct ipc_conf_upstream *cu = &u->u_up->pu_conf;
	const char		*hdrs[UPSTREAM_NHEADERS + 1], *v;
	char			 url[UPSTREAM_URL_MAX];
	char			*auth = NULL, *ver = NULL, *beta = NULL;
	size_t			 blen, n = 0;
	int			 r = -1;

	/* the base, without its last '/', then the path */
	blen = strnlen(cu->cu_url, sizeof(cu->cu_url));
	while (blen > 0 && cu->cu_url[blen - 1] == '/')
		blen--;
	if (blen == 0 || (size_t)snprintf(url, sizeof(url), "%.*s%s",
	    (int)blen, cu->cu_url, u->u_p.p_path) >= sizeof(url)) {
		errno = EINVAL;
		return (-1);
	}

	hdrs[n++] = "Content-Type: application/json";
	req = u->u_conn != NULL ? http_conn_request(u->u_conn) : NULL;
	if (cu->cu_type == UPSTREAM_ANTHROPIC) {
		if (u->u_up->pu_key != NULL && asprintf(&auth,
		    "x-api-key: %s", u->u_up->pu_key) == -1)
			goto done;
		v = req != NULL ? http_request_header(req,
		    "anthropic-version") : NULL;
		if (asprintf(&ver, "anthropic-version: %s", header_ok(v) ? v :
		    UPSTREAM_ANTHROPIC_VERSION) == -1)
			goto done;
		hdrs[n++] = ver;
		v = req != NULL ? http_request_header(req, "anthropic-beta") :
		    NULL;
		if (header_ok(v)) {
			if (asprintf(&beta, "anthropic-beta: %s", v) == -1)
				goto done;
			hdrs[n++] = beta;
		}
	} else if (u->u_up->pu_key != NULL && asprintf(&auth,
	    "Authorization: Bearer %s", u->u_up->pu_key) == -1)
		goto done;
	if (auth != NULL)
		hdrs[n++] = auth;
	hdrs[n] = NULL;

	memset(&cp, 0, sizeof(cp));
	cp.p_method = "POST";
	cp.p_url = url;
	cp.p_headers = hdrs;
	cp.p_body = u->u_p.p_body != NULL ? u->u_p.p_body : "";
	cp.p_bodylen = u->u_p.p_bodylen;
	cp.p_timeout_ms = (cu->cu_timeout > 0 ? cu->cu_timeout :
	    UPSTREAM_TIMEOUT_DEFAULT) * 1000;
	cp.p_maxresponse = UPSTREAM_STREAM_MAX;
	cp.p_on_headers = up_curl_headers;
	cp.p_on_body = up_curl_body;
	cp.p_on_done = up_curl_done;
	cp.p_arg = u;
	if ((u->u_curl = curlev_start(&cp)) != NULL)
		r = 0;
 done:
	if (auth != NULL)
		freezero(auth, strlen(auth) + 1);
	free(ver);
	free(beta);
	return (r);
}

/*
 * The client's connection.
 */

static void
up_hooks(struct upstream_req *u, int on)
{
	if (u->u_conn == NULL)
		return;
	if (!on) {
		http_conn_set_closecb(u->u_conn, NULL, NULL);
		http_conn_set_drain(u->u_conn, 0, NULL, NULL);
		return;
	}
	http_conn_set_closecb(u->u_conn, up_client_gone, u);
	if (u->u_stream)
		http_conn_set_drain(u->u_conn, UPSTREAM_PENDING_LOW, up_drain,
		    u);
}

/* From the event loop: the client is gone; so is the transfer. */
static void
up_client_gone(struct http_conn *conn, void *arg)
{
	struct upstream_req	*u = arg;

	u->u_conn = NULL;
	up_error(u, UPSTREAM_E_CLIENT_GONE, NULL);
	log_debug("upstream %s: the client went away", upstream_name(u));
	if (u->u_curl != NULL) {
		curlev_cancel(u->u_curl);
		u->u_curl = NULL;
	}
	up_complete(u);
}

/* A write to the client failed: the server closes it, without us. */
static void
up_conn_lost(struct upstream_req *u)
{
	up_hooks(u, 0);
	u->u_conn = NULL;
	up_error(u, UPSTREAM_E_CLIENT_GONE, NULL);
}

static void
up_drain(struct http_conn *conn, void *arg)
{
	struct upstream_req	*u = arg;

	if (!u->u_paused)
		return;
	u->u_paused = 0;
	if (u->u_curl != NULL)
		curlev_pause(u->u_curl, 0);
	else if (u->u_echo && u->u_state == ST_TAKEN)
		echo_schedule(u, 0);
}

/*
 * The answer.
 */

/* The status: the caller takes it, or drops it. */
static int
up_status(struct upstream_req *u)
{
	struct upstream_status	 st;
	int			 r;

	memset(&st, 0, sizeof(st));
	st.st_status = u->u_status;
	st.st_ctype = u->u_ctype;
	st.st_stream = u->u_p.p_stream && u->u_conn != NULL &&
	    !(u->u_p.p_flags & UPSTREAM_F_COLLECT) &&
	    u->u_status >= 200 && u->u_status < 300 && is_sse(u->u_ctype);
	st.st_failover = upstream_failover(u->u_status);

	log_debug("upstream %s: status %ld%s", upstream_name(u), u->u_status,
	    st.st_stream ? ", streamed" : "");
	/* the caller may start another attempt on this connection */
	up_hooks(u, 0);
	u->u_instatus = 1;
	r = u->u_p.p_on_status(u, &st, u->u_p.p_arg);
	u->u_instatus = 0;
	if (r != UPSTREAM_TAKE || u->u_cancelled)
		return (UPSTREAM_DROP);

	u->u_state = ST_TAKEN;
	if (st.st_stream) {
		if (http_reply_stream_start(u->u_conn, (int)u->u_status,
		    "text/event-stream") == -1) {
			/*
			 * (A 204 cannot carry one.)  The attempt ends in an
			 * error, not streamed; the connection stays in our
			 * hands until then, so that a client leaving
			 * meanwhile is noticed.
			 */
			log_warnx("upstream %s: cannot start the client's "
			    "stream", upstream_name(u));
			up_error(u, UPSTREAM_E_INTERNAL, "stream refused");
			upstream_scan_init(&u->u_scan, u->u_api, 0);
			up_hooks(u, 1);
			return (UPSTREAM_TAKE);
		}
		u->u_stream = 1;
		sse_init(&u->u_sse, SSE_EVENT_MAX, up_on_event, up_on_pass,
		    u);
		/* (out of memory: the next body bytes end the attempt) */
		if (u->u_xlate &&
		    (u->u_xs = xlate_stream_new(up_xlate_out, u)) == NULL)
			up_error(u, UPSTREAM_E_INTERNAL, "out of memory");
		upstream_scan_init(&u->u_scan, u->u_api, 1);
	} else
		upstream_scan_init(&u->u_scan, u->u_api, 0);
	up_hooks(u, 1);
	return (UPSTREAM_TAKE);
}

/* Body bytes, in order: to the client's stream, or collected. */
static int
up_body(struct upstream_req *u, const void *data, size_t len)
{
	if (u->u_error != UPSTREAM_OK)
		return (-1);
	u->u_received += len;
	if (u->u_stream) {
		if (u->u_xs != NULL ?
		    xlate_stream_feed(u->u_xs, data, len) == -1 :
		    sse_feed(&u->u_sse, data, len) == -1) {
			if (u->u_xs != NULL)
				up_xlate_error(u, u->u_xs);
			else
				up_error(u, UPSTREAM_E_INTERNAL,
				    "out of memory");
			return (-1);
		}
		if (u->u_conn != NULL && !u->u_paused &&
		    http_conn_pending(u->u_conn) > UPSTREAM_PENDING_HIGH) {
			/* a slow client: the upstream waits for it */
			u->u_paused = 1;
			u->u_pauses++;
			if (u->u_curl != NULL)
				curlev_pause(u->u_curl, 1);
		}
		return (0);
	}
	return (up_collect(u, data, len));
}

/* Bytes of a collected body: 0, or -1 when too big or no memory. */
static int
up_collect(struct upstream_req *u, const void *data, size_t len)
{
	size_t	 cap;
	char	*nb;

	if (len > UPSTREAM_BODY_MAX - u->u_len) {
		up_error(u, UPSTREAM_E_TOOBIG, NULL);
		return (-1);
	}
	if (u->u_len + len + 1 > u->u_cap) {
		cap = u->u_cap > 0 ? u->u_cap : 4096;
		while (cap < u->u_len + len + 1)
			cap *= 2;
		if ((nb = realloc(u->u_buf, cap)) == NULL) {
			up_error(u, UPSTREAM_E_INTERNAL, "out of memory");
			return (-1);
		}
		u->u_buf = nb;
		u->u_cap = cap;
	}
	memcpy(u->u_buf + u->u_len, data, len);
	u->u_len += len;
	u->u_buf[u->u_len] = '\0';
	return (0);
}

static int
up_on_event(const struct sse_event *ev, void *arg)
{
	struct upstream_req	*u = arg;
	int			 r;

	r = upstream_scan_event(&u->u_scan, ev);
	if (r == SSE_STOP)
		up_error(u, UPSTREAM_E_GARBAGE, NULL);
	return (r);
}

static int
up_on_pass(const char *data, size_t len, void *arg)
{
	struct upstream_req	*u = arg;

	if (u->u_conn == NULL)
		return (1);
	if (http_reply_stream_data(u->u_conn, data, len) == -1) {
		up_conn_lost(u);
		return (1);
	}
	return (0);
}

/* The translated stream: into the reader, as the upstream's would go. */
static int
up_xlate_out(const char *data, size_t len, void *arg)
{
	struct upstream_req	*u = arg;

	if (u->u_stream)
		return (sse_feed(&u->u_sse, data, len) == -1);
	/* collected: the translation replaces the body */
	return (up_collect(u, data, len) == -1);
}

/* Why the translator stopped: the upstream's garbage, or ours. */
static void
up_xlate_error(struct upstream_req *u, const struct xlate_stream *xs)
{
	up_error(u, xlate_stream_garbage(xs) ? UPSTREAM_E_GARBAGE :
	    UPSTREAM_E_INTERNAL, NULL);
}

/*
 * A collected 2xx answer of chat completions in Anthropic's shape: the
 * body is replaced by its translation (u_error set if it cannot be).
 */
static void
up_xlate_collected(struct upstream_req *u)
{
	struct xlate_stream	*xs;
	struct jspan		 root;
	char			*body = u->u_buf, *t;
	size_t			 len = u->u_len, tlen;

	u->u_buf = NULL;
	u->u_len = u->u_cap = 0;
	if (is_sse(u->u_ctype)) {
		if ((xs = xlate_stream_new(up_xlate_out, u)) == NULL)
			up_error(u, UPSTREAM_E_INTERNAL, "out of memory");
		else if (xlate_stream_feed(xs, body != NULL ? body : "",
		    len) == -1 || xlate_stream_finish(xs) == -1)
			up_xlate_error(u, xs);
		xlate_stream_free(xs);
	} else if (body == NULL || jscan_parse(body, len, &root) == -1 ||
	    (t = xlate_answer(&root, &tlen)) == NULL)
		up_error(u, UPSTREAM_E_GARBAGE, NULL);
	else {
		u->u_buf = t;
		u->u_len = tlen;
		u->u_cap = tlen + 1;
	}
	free(body);
}

/* A collected answer: the JSON it is, or the events it holds. */
static void
up_collected(struct upstream_req *u, struct upstream_result *r,
    int *complete)
{
	struct sse_parser	 sp;
	struct jspan		 root;
	int			 ok2xx = u->u_status >= 200 && u->u_status < 300;

	r->ur_body = u->u_buf != NULL ? u->u_buf : "";
	r->ur_bodylen = u->u_len;
	if (ok2xx && is_sse(u->u_ctype)) {
		sse_init(&sp, SSE_EVENT_MAX, up_on_event, NULL, u);
		(void)sse_feed(&sp, r->ur_body, r->ur_bodylen);
		(void)sse_finish(&sp);
		sse_free(&sp);
		*complete = u->u_error == UPSTREAM_OK && u->u_scan.sc_terminal;
		return;
	}
	/* an answer is read in place; an error is kept whole */
	if (u->u_len > 0 && jscan_parse(u->u_buf, u->u_len, &root) == 0 &&
	    jscan_type(&root) == JS_OBJECT) {
		if (ok2xx)
			r->ur_root = root;
		else
			r->ur_json = jscan_json(&root);
	}
	if (ok2xx && r->ur_root.js_p == NULL && u->u_error == UPSTREAM_OK)
		up_error(u, UPSTREAM_E_GARBAGE, NULL);
	if (ok2xx)
		upstream_scan_body(&u->u_scan, &r->ur_root);
	*complete = u->u_error == UPSTREAM_OK;
}

/* The end: tell the caller, free. */
static void
up_complete(struct upstream_req *u)
{
	struct upstream_result	 r;
	int			 complete = 0;

	if (u->u_ev_on) {
		evtimer_del(&u->u_ev);
		u->u_ev_on = 0;
	}
	if (u->u_curl != NULL) {
		curlev_cancel(u->u_curl);
		u->u_curl = NULL;
	}
	memset(&r, 0, sizeof(r));
	if (u->u_state == ST_TAKEN && u->u_stream) {
		/* what waits in the reader goes out; a half event does not */
		if (u->u_xs != NULL && u->u_error == UPSTREAM_OK &&
		    xlate_stream_finish(u->u_xs) == -1)
			up_xlate_error(u, u->u_xs);
		(void)sse_finish(&u->u_sse);
		complete = u->u_error == UPSTREAM_OK && u->u_scan.sc_terminal;
	} else if (u->u_state == ST_TAKEN) {
		if (u->u_xlate && u->u_status >= 200 && u->u_status < 300 &&
		    u->u_error == UPSTREAM_OK)
			up_xlate_collected(u);
		up_collected(u, &r, &complete);
	}

	r.ur_error = u->u_error;
	r.ur_errstr = u->u_errstr != NULL ? u->u_errstr :
	    up_errstr(u->u_error);
	r.ur_status = u->u_status;
	r.ur_api = u->u_api;
	r.ur_streamed = u->u_stream;
	r.ur_client_gone = u->u_error == UPSTREAM_E_CLIENT_GONE;
	r.ur_complete = complete;
	r.ur_failover = u->u_status == 0 &&
	    (u->u_error == UPSTREAM_E_CONNECT ||
	    u->u_error == UPSTREAM_E_TIMEOUT || u->u_error == UPSTREAM_E_CUT);
	r.ur_ctype = u->u_ctype;
	if (u->u_state == ST_TAKEN && u->u_status >= 200 &&
	    u->u_status < 300)
		upstream_scan_usage(&u->u_scan, u->u_prompt_chars, complete,
		    &r.ur_usage);
	else
		r.ur_usage.us_estimated = 1;	/* nothing to bill */
	if (u->u_stream)
		r.ur_final = upstream_scan_final(&u->u_scan, &r.ur_usage);
	r.ur_received = u->u_received;
	r.ur_completion_chars = u->u_scan.sc_chars + u->u_sse.sp_skipped;
	r.ur_pauses = u->u_pauses;

	log_debug("upstream %s: %ld, %s%s%llu bytes, %llu+%llu tokens%s",
	    upstream_name(u), u->u_status, r.ur_errstr,
	    *r.ur_errstr != '\0' ? ", " : "",
	    (unsigned long long)u->u_received,
	    (unsigned long long)r.ur_usage.us_prompt,
	    (unsigned long long)r.ur_usage.us_completion,
	    r.ur_usage.us_estimated ? " (estimated)" : "");

	up_hooks(u, 0);
	u->u_indone = 1;
	u->u_p.p_on_done(u, &r, u->u_p.p_arg);
	json_decref(r.ur_json);
	free(r.ur_final);
	up_free(u);
}

static void
up_free(struct upstream_req *u)
{
	if (u->u_ev_on)
		evtimer_del(&u->u_ev);
	if (u->u_curl != NULL)
		curlev_cancel(u->u_curl);
	sse_free(&u->u_sse);
	xlate_stream_free(u->u_xs);
	upstream_scan_free(&u->u_scan);
	free(u->u_buf);
	echo_answer_free(&u->u_ea);
	free(u);
}

void
upstream_cancel(struct upstream_req *u)
{
	if (u == NULL || u->u_indone)
		return;
	if (u->u_instatus) {
		u->u_cancelled = 1;	/* dropped when p_on_status returns */
		return;
	}
	up_hooks(u, 0);
	up_free(u);
}

/*
 * curlev's callbacks.
 */

static int
up_curl_headers(struct curlev_req *req, long status, void *arg)
{
	struct upstream_req	*u = arg;
	const char		*ct;

	u->u_status = status;
	ct = curlev_header(req, "Content-Type");
	(void)strlcpy(u->u_ctype, ct != NULL ? ct : "", sizeof(u->u_ctype));
	if (up_status(u) == UPSTREAM_DROP) {
		curlev_cancel(req);
		u->u_curl = NULL;
		up_free(u);
		return (1);
	}
	return (u->u_error != UPSTREAM_OK);
}

static int
up_curl_body(struct curlev_req *req, const void *data, size_t len,
    void *arg)
{
	return (up_body(arg, data, len) == -1);
}

static void
up_curl_done(struct curlev_req *req, const struct curlev_result *res,
    void *arg)
{
	struct upstream_req	*u = arg;

	u->u_curl = NULL;		/* freed when this returns */
	switch (res->r_error) {
	case CURLEV_OK:
		break;
	case CURLEV_E_RESOLVE:
	case CURLEV_E_CONNECT:
	case CURLEV_E_TLS:
		up_error(u, UPSTREAM_E_CONNECT, NULL);
		break;
	case CURLEV_E_TIMEOUT:
		up_error(u, UPSTREAM_E_TIMEOUT, NULL);
		break;
	case CURLEV_E_TOOBIG:
		up_error(u, UPSTREAM_E_TOOBIG, NULL);
		break;
	case CURLEV_E_TRANSFER:
		up_error(u, UPSTREAM_E_CUT, NULL);
		break;
	default:
		/* E_ABORTED: ours, already said why */
		up_error(u, UPSTREAM_E_INTERNAL, NULL);
		break;
	}
	if (res->r_error != CURLEV_OK)
		log_debug("upstream %s: %s", upstream_name(u), res->r_errstr);
	up_complete(u);
}

/*
 * The echo: its answer goes through the same steps, an event at a time.
 */

static void
echo_schedule(struct upstream_req *u, u_int ms)
{
	struct timeval	 tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if (u->u_ev_on)
		evtimer_del(&u->u_ev);
	evtimer_add(&u->u_ev, &tv);
	u->u_ev_on = 1;
}

static void
echo_tick(int fd, short event, void *arg)
{
	struct upstream_req	*u = arg;
	struct echo_answer	*a = &u->u_ea;
	const char		*ev;

	u->u_ev_on = 0;
	if (u->u_state == ST_WAIT) {
		u->u_status = a->ea_status;
		(void)strlcpy(u->u_ctype, a->ea_ctype, sizeof(u->u_ctype));
		if (up_status(u) == UPSTREAM_DROP) {
			up_free(u);
			return;
		}
		if (u->u_error != UPSTREAM_OK) {
			up_complete(u);
			return;
		}
		if (!u->u_stream) {
			/* collected: the body, or all the events at once */
			if (a->ea_body != NULL)
				(void)up_body(u, a->ea_body, a->ea_bodylen);
			for (; a->ea_events != NULL &&
			    a->ea_events[u->u_ea_next] != NULL;
			    u->u_ea_next++) {
				ev = a->ea_events[u->u_ea_next];
				if (up_body(u, ev, strlen(ev)) == -1)
					break;
			}
			up_complete(u);
			return;
		}
	} else if (a->ea_events[u->u_ea_next] != NULL) {
		ev = a->ea_events[u->u_ea_next++];
		if (up_body(u, ev, strlen(ev)) == -1) {
			up_complete(u);
			return;
		}
	}
	if (a->ea_events[u->u_ea_next] == NULL) {
		up_complete(u);
		return;
	}
	if (!u->u_paused)
		echo_schedule(u, upstream_echo_delay());
}
