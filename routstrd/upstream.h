/*
 * The proxy's upstreams: one request attempt forwarded to one configured
 * upstream (OpenAI-compatible, Anthropic, or the built-in echo) over
 * curlev on the proxy's event loop, its answer passed through to the
 * client's connection as it arrives, or collected, and its usage read.
 *
 * The billing layer drives an attempt:
 *
 *	upstream_start()	the request goes out
 *	p_on_status()		the upstream's status and headers, nothing
 *				sent to the client yet: UPSTREAM_TAKE this
 *				answer, or UPSTREAM_DROP it (fail over: the
 *				attempt ends there, nothing else comes for
 *				it, and another may be started right there)
 *	p_on_done()		once, at the end, unless dropped or
 *				cancelled: the status, the body (collected
 *				answers), the usage (reported or estimated)
 *
 * Between upstream_start() and the end, the attempt owns the client
 * connection's close callback and drain callback (http_conn_set_closecb,
 * http_conn_set_drain): the caller must not set them, and gets both
 * back cleared, before p_on_status and before p_on_done.  A client that
 * goes away ends the attempt at once (the upstream transfer is stopped)
 * with ur_client_gone set; the connection must not be used after that.
 *
 * Streaming: when the client asked for a stream (p_stream) and the
 * upstream answers 2xx text/event-stream, and the caller takes it, the
 * client's stream is started here (http_reply_stream_start with the
 * upstream's status and "text/event-stream"; headers queued with
 * http_reply_header() in p_on_status go with it) and the upstream's
 * events go to the client as they arrive, unchanged and whole (a
 * partial event is never sent), except:
 * - OpenAI (chat/completions, completions): the usage-only chunk
 *   ("choices":[] with "usage") is swallowed and handed to p_on_done as
 *   ur_final; "data: [DONE]" and whatever follows it are held back.
 * - Anthropic (messages): the message_stop event is held back.
 * - Responses: the response.completed (.incomplete, .failed) event is
 *   held back and handed to p_on_done as ur_final.
 * - ":" comment lines (keepalives) are passed through: they keep idle
 *   timers of proxies between us and the client from firing during a
 *   long silence (Routstr Core drops them; clients ignore them).
 * The caller then writes the final chunk with the cost and the held
 * terminal itself, with upstream_stream_finish() or by hand.
 *
 * A client slower than the upstream: once more than UPSTREAM_PENDING_HIGH
 * bytes wait for it, the upstream transfer is paused, and resumed when
 * the client has read down to UPSTREAM_PENDING_LOW.
 *
 * Anthropic's Messages API over an OpenAI upstream (UPSTREAM_F_MESSAGES,
 * xlate.h): the request goes out as chat completions, and the answer,
 * collected or streamed, is turned into Anthropic's before anything
 * here reads it, so that the caller sees what an Anthropic upstream
 * would have answered (ur_api UPSTREAM_API_MESSAGES).  Error answers
 * (not 2xx) are given as the upstream sent them.
 *
 * Usage missing (or unusable, or all zero) in a 2xx answer is never
 * billed as 0 nor as the maximum: it is estimated from the characters
 * (bytes of UTF-8) of the request's text (struct request_shape) and of
 * the completion text received, at USAGE_CHARS_PER_TOKEN bytes a token,
 * rounded up, at least 1 token for a non-empty text, and us_estimated
 * is set.  An answer cut short (upstream error, client gone) bills the
 * larger of the reported and the estimated completion.
 *
 * Prompts, completions and keys are never logged: only sizes, statuses,
 * upstream names and the base URL.
 */

#ifndef UPSTREAM_H
#define UPSTREAM_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "jscan.h"
#include "proxy.h"

struct http_conn;

#define UPSTREAM_BODY_MAX	(16 * 1024 * 1024) /* a collected answer */
#define UPSTREAM_STREAM_MAX	(1024ULL * 1024 * 1024) /* a streamed one */
#define UPSTREAM_PENDING_HIGH	(256 * 1024)	/* client bytes: pause */
#define UPSTREAM_PENDING_LOW	(64 * 1024)	/* ... and resume */
#define UPSTREAM_KEY_MAX	4096		/* an API key file */
#define UPSTREAM_HEADER_MAX	256		/* a passed-through value */
#define UPSTREAM_CTYPE_MAX	128
#define UPSTREAM_ANTHROPIC_VERSION "2023-06-01"	/* if the client sent none */
#define UPSTREAM_ECHO_DIMS	8		/* echo embeddings, default */
#define UPSTREAM_ECHO_DIMS_MAX	4096

/* The kind of API call, from the path (upstream_api()). */
#define UPSTREAM_API_OTHER	0
#define UPSTREAM_API_CHAT	1	/* /chat/completions */
#define UPSTREAM_API_COMPLETIONS 2	/* /completions */
#define UPSTREAM_API_EMBEDDINGS	3	/* /embeddings */
#define UPSTREAM_API_RESPONSES	4	/* /responses */
#define UPSTREAM_API_MESSAGES	5	/* /messages, Anthropic's */

/* p_on_status's answer */
#define UPSTREAM_TAKE		0
#define UPSTREAM_DROP		1

/* p_flags */
#define UPSTREAM_F_COLLECT	0x01	/* never stream: collect even SSE */
#define UPSTREAM_F_MESSAGES	0x02	/* an Anthropic Messages request
					   (p_body) for an OpenAI upstream's
					   /chat/completions (p_path): see
					   the top */

/* ur_error */
#define UPSTREAM_OK		0
#define UPSTREAM_E_CONNECT	1	/* no connection: name, refused, TLS */
#define UPSTREAM_E_TIMEOUT	2	/* the upstream's time is up */
#define UPSTREAM_E_CUT		3	/* the exchange broke (reset, EOF,
					   bad HTTP) */
#define UPSTREAM_E_TOOBIG	4	/* over UPSTREAM_BODY_MAX (collected)
					   or UPSTREAM_STREAM_MAX */
#define UPSTREAM_E_GARBAGE	5	/* a 2xx body, or an SSE event's
					   data, that is not JSON */
#define UPSTREAM_E_CLIENT_GONE	6	/* the client went away */
#define UPSTREAM_E_INTERNAL	7	/* out of memory, bad URL or key */

struct upstream_req;

/* What p_on_status sees. */
struct upstream_status {
	long		 st_status;	/* the upstream's HTTP status */
	const char	*st_ctype;	/* its Content-Type, or "" */
	int		 st_stream;	/* 1: taking it starts the client's
					   stream (client asked, 2xx, SSE,
					   no UPSTREAM_F_COLLECT) */
	int		 st_failover;	/* 1: a status Routstr Core fails
					   over on (upstream_failover()) */
};

/*
 * What p_on_done sees; valid until it returns.  To keep ur_json,
 * json_incref() it; to keep ur_root or ur_final, copy them.
 */
struct upstream_result {
	int		 ur_error;	/* UPSTREAM_OK or UPSTREAM_E_* */
	const char	*ur_errstr;	/* short, for logs; "" when OK */
	long		 ur_status;	/* HTTP status; 0: no answer came */
	int		 ur_api;	/* UPSTREAM_API_* */
	int		 ur_streamed;	/* the client's stream was started */
	int		 ur_client_gone; /* the connection is gone: no reply */
	int		 ur_complete;	/* the answer ended as it should: the
					   whole body, or the terminal event
					   of a stream ([DONE], message_stop,
					   response.completed) */
	int		 ur_failover;	/* no answer came and another
					   upstream may be tried (transport
					   error or timeout before a status) */
	const char	*ur_ctype;	/* the upstream's Content-Type, or "" */
	const char	*ur_body;	/* collected: the body, NUL-terminated; */
	size_t		 ur_bodylen;	/* NULL when streamed */
	struct jspan	 ur_root;	/* collected 2xx: the body, if it is
					   a JSON object (checked), else
					   empty; read in place */
	json_t		*ur_json;	/* collected error (not 2xx): the body
					   parsed, if it is a JSON object,
					   else NULL */
	char		*ur_final;	/* streamed OpenAI: the final chunk
					   to send (the swallowed usage chunk,
					   or one made up with ur_usage in
					   OpenAI's shape); Responses: the
					   held response.completed (JSON
					   text); else NULL */
	struct usage	 ur_usage;	/* 2xx: reported or estimated (see
					   the top); else 0, estimated */
	uint64_t	 ur_received;	/* body bytes from the upstream */
	uint64_t	 ur_completion_chars; /* completion text seen */
	u_int		 ur_pauses;	/* times paused for a slow client */
};

struct upstream_params {
	struct proxy_upstream	*p_upstream;
	const char		*p_path;	/* after the base URL:
						   "/chat/completions" */
	const char		*p_body;	/* JSON, copied */
	size_t			 p_bodylen;
	int			 p_stream;	/* the client asked to stream */
	int			 p_flags;	/* UPSTREAM_F_* */
	const struct request_shape *p_shape;	/* for estimates; NULL:
						   read from p_body */
	struct http_conn	*p_conn;	/* the client */
	/*
	 * UPSTREAM_TAKE or UPSTREAM_DROP.  Dropped: the attempt is over
	 * and freed when this returns; p_on_done does not come.  Taken
	 * with st_stream: headers queued now go out with the stream.
	 */
	int	(*p_on_status)(struct upstream_req *,
		    const struct upstream_status *, void *);
	/*
	 * Once, at the end, unless dropped or cancelled; the attempt is
	 * freed when it returns.  Not called from inside upstream_start().
	 * Transport errors before a status come here (ur_status 0,
	 * ur_failover 1) without p_on_status.
	 */
	void	(*p_on_done)(struct upstream_req *,
		    const struct upstream_result *, void *);
	void			*p_arg;
};

/* upstream.c */
/* Before the sandbox: libcurl, the CA bundle, the keys from their fds. */
int	 upstream_init(struct proxy_upstreams *);
void	 upstream_shutdown(struct proxy_upstreams *);
/* Load one upstream's key from pu_keyfd (closed); 0 or -1. */
int	 upstream_load_key(struct proxy_upstream *);
/* NULL: could not start (bad URL, no memory, missing callbacks). */
struct upstream_req *upstream_start(const struct upstream_params *);
/* No callback comes after this; not from p_on_status or p_on_done. */
void	 upstream_cancel(struct upstream_req *);
/* From p_on_status: a header of the upstream's answer, or NULL. */
const char *upstream_header(struct upstream_req *, const char *);
/* The upstream's configured name, for logs. */
const char *upstream_name(struct upstream_req *);
int	 upstream_api(const char *);
/* 1 for the statuses Routstr Core fails over on. */
int	 upstream_failover(long);
/*
 * The body (an object without duplicate keys) as the upstream gets it:
 * the client's text with "model" set to the upstream's id (if model is
 * not NULL), and for an OpenAI stream (chat, completions)
 * stream_options.include_usage true; the rest as the client wrote it.
 * A new text, its length in *len; NULL if not an object or out of
 * memory.
 */
char	*upstream_body_text(const struct jspan *, const char *, int, int,
	    size_t *);
/*
 * After p_on_done of a streamed answer: final (NULL: none) as one event
 * ("data:", with its "event:" line for the Responses API), the terminal
 * event held back for the API ([DONE], message_stop), after (raw SSE, or
 * NULL), the end of the stream.  0 or -1.  upstream_stream_tail() is
 * that text (NUL-terminated, its length in *lenp), NULL if no memory.
 */
int	 upstream_stream_finish(struct http_conn *, int, const char *,
	    const char *);
char	*upstream_stream_tail(int, const char *, const char *, size_t *);
/* That terminal event itself ("data: [DONE]\n\n", ...; "": none). */
const char *upstream_terminal(int);

/* upstream_echo.c: the built-in upstream (its rules are there). */
struct echo_answer {
	long		 ea_status;
	const char	*ea_ctype;
	char		*ea_body;	/* not streamed */
	size_t		 ea_bodylen;
	char		**ea_events;	/* streamed: NULL-terminated */
	size_t		 ea_nevents;
	size_t		 ea_cap;	/* slots in ea_events */
};

void	 upstream_echo_set_delay(u_int);	/* ms between events */
u_int	 upstream_echo_delay(void);
/* The echo's answer to a body on a path of the api: 0 or -1. */
int	 echo_answer(int, const char *, size_t, struct echo_answer *);
void	 echo_answer_free(struct echo_answer *);
/* The echo's tokens of a text: its words, at least 1 if not empty. */
uint64_t echo_tokens(const char *, size_t);

/*
 * upstream_usage.c: usage in every dialect, and estimates.
 *
 * usage_from_spans() reads n "usage" objects (spans jscan_parse() checked,
 * or copies of them) merged as if by json_object_update(): a member is the
 * last object's that has it (Anthropic's stream sends usage in two
 * halves), in any of the dialects:
 * - OpenAI {prompt_tokens, completion_tokens, prompt_tokens_details.
 *   cached_tokens, completion_tokens_details.reasoning_tokens}, where the
 *   cached tokens are part of prompt_tokens and reasoning tokens part of
 *   completion_tokens; OpenRouter (the same, with cache writes in
 *   prompt_tokens_details.cache_write_tokens; its cost fields ignored);
 *   litellm (prompt_tokens_details.cache_creation_tokens, and Anthropic's
 *   names at the top level); DeepSeek (prompt_cache_hit_tokens, part of
 *   prompt_tokens).  Cache reads and writes are taken out of the prompt.
 * - Responses API {input_tokens, output_tokens, input_tokens_details.
 *   cached_tokens, .cache_write_tokens}: the same inclusive counting,
 *   told from Anthropic's by input_tokens_details.
 * - Anthropic {input_tokens, output_tokens, cache_read_input_tokens,
 *   cache_creation_input_tokens}: the cache counts are in addition to
 *   input_tokens.
 * Each count must be a JSON integer, 0 to USAGE_TOKENS_MAX; anything else
 * (negative, a fraction, a string, huge) makes the whole usage missing
 * (-1, logged at debug level).  Cache counts larger than the prompt they
 * are part of leave a prompt of 0.  All counts 0 is missing too, and so
 * are no objects.
 */
#define USAGE_TOKENS_MAX	1000000000ULL	/* a billion, per request */
#define USAGE_CHARS_PER_TOKEN	4

int	 usage_from_spans(const struct jspan *, size_t, struct usage *);
/*
 * The members usage_from_spans() reads of n objects merged, as one
 * object's text (malloc'd, NUL-terminated, its length in *len; NULL when
 * out of memory): what reads the same as the n.
 */
char	*usage_merge(const struct jspan *, size_t, size_t *);
uint64_t usage_tokens_from_chars(uint64_t);
/* From characters of prompt and completion; us_estimated = 1. */
void	 usage_estimate(struct usage *, uint64_t, uint64_t);
/* "usage" in the API's shape (OpenAI, Anthropic, Responses). */
json_t	*usage_to_json(const struct usage *, int);
/*
 * The request's shape: the characters of its text (messages' content,
 * system, prompt, input, instructions), max_tokens (or
 * max_completion_tokens, or max_output_tokens), stream.  0, or -1 if
 * body is not a JSON object.
 */
int	 request_shape_parse(const struct jspan *, struct request_shape *);
/* The characters of a JSON text value: a string, parts, items. */
uint64_t usage_text_chars_span(const struct jspan *);

/*
 * upstream_sse.c: Server-Sent Events (the WHATWG rules: lines end in
 * CRLF, LF or CR; ":" starts a comment; "field: value" with one space
 * dropped; an empty line ends an event), read on the side with one
 * event at a time in a buffer of at most sp_max bytes.  Every event's
 * bytes go to sp_on_pass unchanged unless sp_on_event drops them; runs
 * of passed events go in one call.  An event larger than sp_max is
 * passed on without being looked at.  An event not ended when the
 * stream ends is neither looked at nor passed on.
 */
#define SSE_EVENT_MAX		(1024 * 1024)
#define SSE_TYPE_MAX		64

#define SSE_PASS		0
#define SSE_DROP		1
#define SSE_STOP		(-1)	/* stop reading: the stream is bad */

struct sse_event {
	const char	*ev_raw;	/* as received, empty line included */
	size_t		 ev_rawlen;
	const char	*ev_type;	/* "event:", or "" */
	const char	*ev_data;	/* "data:" lines joined with "\n", */
	size_t		 ev_datalen;	/* NUL-terminated */
	int		 ev_hasdata;	/* a data line came */
	u_int		 ev_ncomments;	/* ":" lines */
};

struct sse_parser {
	/* SSE_PASS, SSE_DROP or SSE_STOP */
	int		(*sp_on_event)(const struct sse_event *, void *);
	/* bytes for the client (NULL: none); nonzero stops */
	int		(*sp_on_pass)(const char *, size_t, void *);
	void		*sp_arg;
	size_t		 sp_max;

	/* private */
	char		*sp_buf;	/* [sp_start, sp_len): this event */
	size_t		 sp_len;
	size_t		 sp_cap;
	size_t		 sp_start;
	size_t		 sp_pos;	/* lines split up to here */
	size_t		 sp_line;	/* the current line starts here */
	size_t		 sp_passoff;	/* a run of passed bytes */
	size_t		 sp_passlen;
	int		 sp_cr;		/* a CR ended the last line */
	int		 sp_bom;	/* the start has been checked */
	int		 sp_oversize;	/* in an event too large to keep */
	int		 sp_partial;	/* ... its line has bytes passed on */
	int		 sp_stopped;
	char		*sp_data;
	size_t		 sp_datalen;
	size_t		 sp_datacap;
	char		 sp_type[SSE_TYPE_MAX];
	int		 sp_hasdata;
	u_int		 sp_ncomments;
	uint64_t	 sp_events;	/* events seen */
	uint64_t	 sp_skipped;	/* bytes of oversized events */
};

void	 sse_init(struct sse_parser *, size_t,
	    int (*)(const struct sse_event *, void *),
	    int (*)(const char *, size_t, void *), void *);
/* 0, or -1 once stopped (a callback said so, or no memory). */
int	 sse_feed(struct sse_parser *, const void *, size_t);
/* The end: flushes what was passed; the unfinished event is dropped. */
int	 sse_finish(struct sse_parser *);
void	 sse_free(struct sse_parser *);

/*
 * What an answer's events (or collected body) say: usage, the completion
 * text's size, the terminal event; which events to swallow.
 */
#define UPSTREAM_KEEP_N	4	/* OpenAI: id, object, created, model */
struct upstream_keep {
	char		 k_json[128];	/* the latest value's JSON text */
	size_t		 k_len;		/* 0: none seen */
};
#define UPSTREAM_USAGE_MAX 4	/* usage objects kept; then merged */
struct upstream_text {
	char		*t_p;		/* malloc'd */
	size_t		 t_len;
};
struct upstream_scan {
	int		 sc_api;
	int		 sc_hold;	/* swallow/hold back (a client stream) */
	struct upstream_text sc_usage[UPSTREAM_USAGE_MAX];
					/* the usage objects' text, in order */
	size_t		 sc_nusage;
	char		*sc_final;	/* the swallowed usage chunk or the
					   held response.completed: text */
	struct upstream_keep sc_keep[UPSTREAM_KEEP_N];
	uint64_t	 sc_chars;	/* completion text */
	uint64_t	 sc_events;
	int		 sc_terminal;	/* [DONE], message_stop, ... seen */
	int		 sc_error;	/* an error event came */
	int		 sc_garbage;	/* data that is not JSON */
};

void	 upstream_scan_init(struct upstream_scan *, int, int);
void	 upstream_scan_free(struct upstream_scan *);
/* One event: SSE_PASS, SSE_DROP or SSE_STOP (garbage). */
int	 upstream_scan_event(struct upstream_scan *, const struct sse_event *);
/* A collected JSON answer. */
void	 upstream_scan_body(struct upstream_scan *, const struct jspan *);
/*
 * The usage: reported (merged usage objects), or estimated from
 * prompt_chars and sc_chars; complete 0: the larger completion.
 */
void	 upstream_scan_usage(struct upstream_scan *, uint64_t, int,
	    struct usage *);
/* The final chunk's JSON text (malloc'd), or NULL for other APIs. */
char	*upstream_scan_final(struct upstream_scan *, const struct usage *);

#endif /* UPSTREAM_H */
