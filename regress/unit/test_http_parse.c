/*
 * The HTTP request parser alone: every rule of routstrd/http.h, every
 * limit and its status, and the same result however the bytes are split.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "test.h"

static const struct http_limits lim = {
	.max_connections = 10,
	.max_header_size = 512,
	.max_headers = 8,
	.max_body_size = 1000,
	.timeout_idle = 1,
	.timeout_read = 1,
};

struct outcome {
	int	 r;		/* last http_parse() result */
	int	 status;
	size_t	 used;		/* bytes consumed in all */
	int	 headers_seen;
	char	 fp[4096];	/* fingerprint of the request */
};

static struct http_parser	 P;
static struct http_request	 R;

static void	 fingerprint(struct outcome *);
static void	 feed(const char *, size_t, size_t, size_t, struct outcome *);
static int	 parse(const char *, struct outcome *);
static int	 status_of(const char *);
static int	 ok(const char *);
static void	 split_check(const char *, const char *);
static void	 test_basic(void);
static void	 test_target(void);
static void	 test_headers(void);
static void	 test_version(void);
static void	 test_length(void);
static void	 test_limits(void);
static void	 test_chunked(void);
static void	 test_pipeline(void);
static void	 test_keepalive(void);
static void	 test_expect(void);
static void	 test_splits(void);
static void	 test_misc(void);

static void
fingerprint(struct outcome *o)
{
	struct http_header	*h;
	size_t			 n;
	char			*s = o->fp;
	size_t			 sz = sizeof(o->fp);

	n = snprintf(s, sz, "r=%d st=%d used=%zu hs=%d", o->r, o->status,
	    o->used, o->headers_seen);
	if (o->r != HTTP_PARSE_DONE)
		return;
	n += snprintf(s + n, sz - n, " %s|%s|%s|%s|v%d|ka%d|ec%d|",
	    R.method, R.target, R.path, R.query ? R.query : "(null)",
	    R.version, R.keepalive, R.expect_continue);
	TAILQ_FOREACH(h, &R.headers, entry)
		n += snprintf(s + n, sz - n, "%s=%s;", h->name, h->value);
	n += snprintf(s + n, sz - n, "|%zu:", R.bodylen);
	if (R.body != NULL && n + R.bodylen < sz) {
		memcpy(s + n, R.body, R.bodylen);
		s[n + R.bodylen] = '\0';
	}
}

/*
 * Parse one request out of buf, given to the parser in pieces: the first
 * split bytes, then steps of step bytes (0: all the rest at once).
 */
static void
feed(const char *buf, size_t len, size_t split, size_t step,
    struct outcome *o)
{
	size_t	 off = 0, end, used;
	int	 r = HTTP_PARSE_AGAIN;

	memset(o, 0, sizeof(*o));
	http_request_reset(&R);
	http_parser_init(&P, &lim);
	while (off < len || r == HTTP_PARSE_HEADERS) {
		if (off < split)
			end = split;
		else if (step == 0)
			end = len;
		else
			end = off + step < len ? off + step : len;
		for (;;) {
			r = http_parse(&P, &R, buf + off, end - off, &used);
			off += used;
			if (r == HTTP_PARSE_HEADERS) {
				o->headers_seen++;
				continue;
			}
			break;
		}
		if (r != HTTP_PARSE_AGAIN)
			break;
		if (off != end) {
			/* AGAIN must mean all input was used */
			r = -99;
			break;
		}
	}
	o->r = r;
	o->used = off;
	o->status = r == HTTP_PARSE_ERROR ? P.status : 0;
	fingerprint(o);
}

static int
parse(const char *s, struct outcome *o)
{
	feed(s, strlen(s), 0, 0, o);
	return (o->r);
}

static int
status_of(const char *s)
{
	struct outcome	 o;

	if (parse(s, &o) != HTTP_PARSE_ERROR)
		return (o.r == HTTP_PARSE_DONE ? 0 : -1);
	return (o.status);
}

static int
ok(const char *s)
{
	struct outcome	 o;

	return (parse(s, &o) == HTTP_PARSE_DONE && o.used == strlen(s));
}

/* Same outcome split at every position and byte by byte. */
static void
split_check(const char *s, const char *what)
{
	struct outcome	 whole, part;
	size_t		 len = strlen(s), i;
	int		 same = 1;

	feed(s, len, 0, 0, &whole);
	for (i = 1; i < len && same; i++) {
		feed(s, len, i, 0, &part);
		if (strcmp(whole.fp, part.fp) != 0) {
			same = 0;
			printf("# split at %zu:\n#  %s\n#  %s\n", i, whole.fp,
			    part.fp);
		}
	}
	T(same, "%s: same at every split (%s)", what, whole.fp);
	feed(s, len, 0, 1, &part);
	T(strcmp(whole.fp, part.fp) == 0, "%s: same byte by byte", what);
	feed(s, len, 0, 3, &part);
	T(strcmp(whole.fp, part.fp) == 0, "%s: same 3 bytes at a time", what);
}

static void
test_basic(void)
{
	struct outcome	 o;
	const char	*s = "GET /v1/models HTTP/1.1\r\nHost: example.org\r\n"
	    "User-Agent: t\r\nAccept: */*\r\n\r\n";

	T(parse(s, &o) == HTTP_PARSE_DONE, "simple GET done");
	T(o.used == strlen(s), "simple GET consumed exactly");
	T(o.headers_seen == 1, "HEADERS reported once");
	T(strcmp(R.method, "GET") == 0, "method");
	T(strcmp(R.target, "/v1/models") == 0, "target");
	T(strcmp(R.path, "/v1/models") == 0, "path");
	T(R.query == NULL, "no query");
	T(R.version == 11, "version 1.1");
	T(R.nheaders == 3, "three headers");
	T(R.keepalive == 1, "keep-alive by default");
	T(R.body == NULL && R.bodylen == 0, "no body");
	T(strcmp(http_request_header(&R, "host"), "example.org") == 0,
	    "Host, case-insensitive lookup");
	T(strcmp(http_request_header(&R, "USER-AGENT"), "t") == 0,
	    "User-Agent lookup");
	T(http_request_header(&R, "cookie") == NULL, "absent header is NULL");
	T(!P.is_head, "GET is not HEAD");

	T(parse("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n", &o) == HTTP_PARSE_DONE &&
	    P.is_head, "HEAD noted");

	s = "POST /v1/chat/completions HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: 11\r\n\r\nhello world";
	T(parse(s, &o) == HTTP_PARSE_DONE, "POST with body done");
	T(R.bodylen == 11 && memcmp(R.body, "hello world", 11) == 0,
	    "body bytes");
	T(R.body[11] == '\0', "body NUL-terminated");
	T(o.used == strlen(s), "POST consumed exactly");

	/* the body is not complete yet */
	feed(s, strlen(s) - 3, 0, 0, &o);
	T(o.r == HTTP_PARSE_AGAIN && o.headers_seen == 1,
	    "partial body: AGAIN after HEADERS");

	T(strcmp(http_status_text(431),
	    "Request Header Fields Too Large") == 0, "status text 431");
	T(strcmp(http_status_text(999), "Unknown") == 0, "status text ?");
}

static void
test_target(void)
{
	struct outcome	 o;

	T(parse("GET /a/b?x=1&y=2 HTTP/1.1\r\nHost: h\r\n\r\n", &o) ==
	    HTTP_PARSE_DONE && strcmp(R.path, "/a/b") == 0 &&
	    strcmp(R.query, "x=1&y=2") == 0 &&
	    strcmp(R.target, "/a/b?x=1&y=2") == 0, "path and query split");
	T(parse("GET /a? HTTP/1.1\r\nHost: h\r\n\r\n", &o) ==
	    HTTP_PARSE_DONE && strcmp(R.path, "/a") == 0 &&
	    strcmp(R.query, "") == 0, "empty query");
	T(parse("GET /%41b HTTP/1.1\r\nHost: h\r\n\r\n", &o) ==
	    HTTP_PARSE_DONE && strcmp(R.path, "/%41b") == 0,
	    "path is not decoded");
	T(parse("GET http://example.org/p/q?z HTTP/1.1\r\nHost: h\r\n\r\n",
	    &o) == HTTP_PARSE_DONE && strcmp(R.path, "/p/q") == 0 &&
	    strcmp(R.query, "z") == 0, "absolute-form");
	T(parse("GET HTTPS://example.org HTTP/1.1\r\nHost: h\r\n\r\n", &o) ==
	    HTTP_PARSE_DONE && strcmp(R.path, "/") == 0 && R.query == NULL,
	    "absolute-form without path");
	T(parse("GET http://example.org?q=1 HTTP/1.1\r\nHost: h\r\n\r\n",
	    &o) == HTTP_PARSE_DONE && strcmp(R.path, "/") == 0 &&
	    strcmp(R.query, "q=1") == 0, "absolute-form with query only");
	T(status_of("GET http:// HTTP/1.1\r\nHost: h\r\n\r\n") == 400,
	    "absolute-form without authority: 400");
	T(parse("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", &o) ==
	    HTTP_PARSE_DONE && strcmp(R.path, "*") == 0, "OPTIONS *");
	T(status_of("GET * HTTP/1.1\r\nHost: h\r\n\r\n") == 400,
	    "GET *: 400");
	T(parse("CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n", &o) ==
	    HTTP_PARSE_DONE && strcmp(R.path, "h:443") == 0,
	    "CONNECT authority-form");
	T(status_of("GET h:443 HTTP/1.1\r\nHost: h\r\n\r\n") == 400,
	    "authority-form with GET: 400");
	T(status_of("GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n") == 400,
	    "CTL in target: 400");
	T(status_of("GET /a\x80 HTTP/1.1\r\nHost: h\r\n\r\n") == 400,
	    "8-bit byte in target: 400");
	T(status_of("GET  / HTTP/1.1\r\nHost: h\r\n\r\n") == 400,
	    "two spaces after method: 400");
	T(status_of("GET /  HTTP/1.1\r\nHost: h\r\n\r\n") == 400,
	    "two spaces after target: 400");
	T(status_of(" GET / HTTP/1.1\r\nHost: h\r\n\r\n") == 400,
	    "leading space: 400");
	T(status_of("GE(T / HTTP/1.1\r\nHost: h\r\n\r\n") == 400,
	    "non-token method: 400");
	T(status_of("BREW /pot HTTP/1.1\r\nHost: h\r\n\r\n") == 0,
	    "unknown method is the handler's business");
	T(status_of("get / HTTP/1.1\r\nHost: h\r\n\r\n") == 0,
	    "lower-case method parses (case-sensitive token)");
}

static void
test_headers(void)
{
	struct outcome	 o;

	T(parse("GET / HTTP/1.1\r\nHost: h\r\nX-A: \t a  b \t\r\n\r\n", &o) ==
	    HTTP_PARSE_DONE &&
	    strcmp(http_request_header(&R, "x-a"), "a  b") == 0,
	    "OWS around the value is trimmed, inside kept");
	T(parse("GET / HTTP/1.1\r\nHost: h\r\nX-E:\r\nX-F:   \r\n\r\n", &o) ==
	    HTTP_PARSE_DONE &&
	    strcmp(http_request_header(&R, "x-e"), "") == 0 &&
	    strcmp(http_request_header(&R, "x-f"), "") == 0,
	    "empty values");
	T(parse("GET / HTTP/1.1\r\nHost: h\r\nX-O: caf\xc3\xa9\r\n\r\n", &o) ==
	    HTTP_PARSE_DONE &&
	    strcmp(http_request_header(&R, "x-o"), "caf\xc3\xa9") == 0,
	    "obs-text in a value");
	T(parse("GET / HTTP/1.1\r\nHost: h\r\nX-D: 1\r\nx-d: 2\r\n\r\n", &o) ==
	    HTTP_PARSE_DONE && R.nheaders == 3 &&
	    strcmp(http_request_header(&R, "X-D"), "1") == 0,
	    "repeated field: both kept, first found");
	T(parse("GET / HTTP/1.1\r\nHost: h\r\nX-Q: a:b:c\r\n\r\n", &o) ==
	    HTTP_PARSE_DONE &&
	    strcmp(http_request_header(&R, "x-q"), "a:b:c") == 0,
	    "colons in a value");
	T(status_of("GET / HTTP/1.1\r\nHost: h\r\nX-A : 1\r\n\r\n") == 400,
	    "space before colon: 400");
	T(status_of("GET / HTTP/1.1\r\nHost: h\r\nX-A\r\n\r\n") == 400,
	    "no colon: 400");
	T(status_of("GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n") == 400,
	    "empty name: 400");
	T(status_of("GET / HTTP/1.1\r\nHost: h\r\nX(: v\r\n\r\n") == 400,
	    "non-token name: 400");
	T(status_of("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\x01z\r\n\r\n") ==
	    400, "CTL in a value: 400");
	T(status_of("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\x7fz\r\n\r\n") ==
	    400, "DEL in a value: 400");
	{
		static const char nul[] =
		    "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\0z\r\n\r\n";

		feed(nul, sizeof(nul) - 1, 0, 0, &o);
		T(o.r == HTTP_PARSE_ERROR && o.status == 400,
		    "NUL in a value: 400");
	}
	T(status_of("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\r\n b\r\n\r\n") ==
	    400, "obs-fold (space): 400");
	T(status_of("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\r\n\tb\r\n\r\n") ==
	    400, "obs-fold (tab): 400");
	T(status_of("GET / HTTP/1.1\r\n Host: h\r\n\r\n") == 400,
	    "whitespace before the first field: 400");
	T(status_of("GET / HTTP/1.1\nHost: h\r\n\r\n") == 400,
	    "bare LF after the request line: 400");
	T(status_of("GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n") == 400,
	    "bare LF after a field: 400");
	T(status_of("GET / HTTP/1.1\r\nHost: h\r\n\n") == 400,
	    "bare LF as the empty line: 400");
	T(status_of("GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n") == 400,
	    "CR without LF in a field: 400");
	T(status_of("GET / HTTP/1.1\rHost: h\r\n\r\n") == 400,
	    "CR without LF after the request line: 400");
	T(status_of("GET / HTTP/1.1\r\nHost: h\r\n\rx") == 400,
	    "CR without LF at the end: 400");
	T(status_of("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\rb\r\n\r\n") == 400,
	    "bare CR inside a value: 400");
	T(status_of("GET /\r HTTP/1.1\r\nHost: h\r\n\r\n") == 505,
	    "CR after the target ends the line (HTTP/0.9): 505");
	T(ok("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"),
	    "empty lines before the request are skipped");
	T(status_of("\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n") ==
	    400, "too many empty lines before the request: 400");
	T(status_of("\nGET / HTTP/1.1\r\nHost: h\r\n\r\n") == 400,
	    "bare LF before the request: 400");

	/* Host */
	T(status_of("GET / HTTP/1.1\r\nX: y\r\n\r\n") == 400,
	    "HTTP/1.1 without Host: 400");
	T(status_of("GET / HTTP/1.0\r\nX: y\r\n\r\n") == 0,
	    "HTTP/1.0 without Host: fine");
	T(status_of("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n") == 400,
	    "two Host fields: 400");
	T(status_of("GET / HTTP/1.1\r\nHost:\r\n\r\n") == 0,
	    "empty Host: fine");
}

static void
test_version(void)
{
	struct outcome	 o;

	T(parse("GET / HTTP/1.0\r\n\r\n", &o) == HTTP_PARSE_DONE &&
	    R.version == 10, "HTTP/1.0");
	T(status_of("GET / HTTP/2.0\r\nHost: h\r\n\r\n") == 505,
	    "HTTP/2.0: 505");
	T(status_of("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") == 505,
	    "HTTP/2 preface: 505");
	T(status_of("GET / HTTP/1.2\r\nHost: h\r\n\r\n") == 505,
	    "HTTP/1.2: 505");
	T(status_of("GET / HTTP/0.9\r\nHost: h\r\n\r\n") == 505,
	    "HTTP/0.9: 505");
	T(status_of("GET / HTTP/3.0\r\nHost: h\r\n\r\n") == 505,
	    "HTTP/3.0: 505");
	T(status_of("GET /\r\n") == 505, "request line without version: 505");
	T(status_of("GET / http/1.1\r\nHost: h\r\n\r\n") == 400,
	    "lower-case http: 400");
	T(status_of("GET / HTTP/1.10\r\nHost: h\r\n\r\n") == 400,
	    "HTTP/1.10: 400");
	T(status_of("GET / HTTP/1\r\nHost: h\r\n\r\n") == 400,
	    "HTTP/1: 400");
	T(status_of("GET / HTTP/1.1 \r\nHost: h\r\n\r\n") == 400,
	    "space after the version: 400");
	T(status_of("GET / HTTP/x.y\r\nHost: h\r\n\r\n") == 400,
	    "HTTP/x.y: 400");
	T(status_of("GET / FTP/1.1\r\nHost: h\r\n\r\n") == 400,
	    "FTP/1.1: 400");
}

static void
test_length(void)
{
	struct outcome	 o;

	T(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
	    &o) == HTTP_PARSE_DONE && R.bodylen == 0 && R.body == NULL,
	    "Content-Length: 0");
	T(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
	    "content-length: 3\r\n\r\nabc", &o) == HTTP_PARSE_DONE &&
	    R.bodylen == 3, "the same Content-Length twice: fine");
	T(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
	    "Content-Length: 4\r\n\r\nabcd") == 400,
	    "differing Content-Length: 400");
	T(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: x\r\n\r\n")
	    == 400, "Content-Length x: 400");
	T(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n")
	    == 400, "empty Content-Length: 400");
	T(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n"
	    "\r\n") == 400, "Content-Length -1: 400");
	T(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +1\r\n"
	    "\r\nx") == 400, "Content-Length +1: 400");
	T(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1,1\r\n"
	    "\r\nx") == 400, "Content-Length list: 400");
	T(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1 1\r\n"
	    "\r\nx") == 400, "Content-Length with a space: 400");
	T(status_of("POST / HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: 99999999999999999999999999\r\n\r\n") == 413,
	    "Content-Length overflowing 64 bits: 413");
	T(status_of("POST / HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: 18446744073709551615\r\n\r\n") == 413,
	    "Content-Length 2^64-1: 413");
	T(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n") == 400,
	    "Content-Length and Transfer-Encoding: 400");
	T(status_of("POST / HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n") == 400,
	    "Transfer-Encoding and Content-Length: 400");
	T(status_of("POST / HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: gzip\r\n\r\n") == 501,
	    "Transfer-Encoding gzip: 501");
	T(status_of("POST / HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: gzip, chunked\r\n\r\n") == 501,
	    "Transfer-Encoding gzip, chunked: 501");
	T(status_of("POST / HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n")
	    == 501, "Transfer-Encoding twice: 501");
	T(status_of("POST / HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: Chunked\r\n\r\n0\r\n\r\n") == 0,
	    "Transfer-Encoding Chunked (case): fine");
	T(status_of("POST / HTTP/1.0\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n") == 400,
	    "Transfer-Encoding in HTTP/1.0: 400");
	T(status_of("POST / HTTP/1.1\r\nHost: h\r\n\r\n") == 411,
	    "POST without length: 411");
	T(status_of("PUT / HTTP/1.1\r\nHost: h\r\n\r\n") == 411,
	    "PUT without length: 411");
	T(status_of("PATCH / HTTP/1.1\r\nHost: h\r\n\r\n") == 411,
	    "PATCH without length: 411");
	T(status_of("POST / HTTP/1.0\r\n\r\n") == 411,
	    "HTTP/1.0 POST without length: 411");
	T(status_of("DELETE / HTTP/1.1\r\nHost: h\r\n\r\n") == 0,
	    "DELETE without length: no body");
	T(parse("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nab",
	    &o) == HTTP_PARSE_DONE && R.bodylen == 2,
	    "GET with a body: read");
}

static void
test_limits(void)
{
	struct outcome	 o;
	char		 buf[4096];
	size_t		 n, fill;
	u_int		 i;

	/* the header section at exactly the limit, then one byte more */
	n = strlen("GET / HTTP/1.1\r\nHost: h\r\nX: \r\n\r\n");
	fill = lim.max_header_size - n;
	n = snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: h\r\nX: ");
	memset(buf + n, 'a', fill);
	snprintf(buf + n + fill, sizeof(buf) - n - fill, "\r\n\r\n");
	T(strlen(buf) == lim.max_header_size && ok(buf),
	    "header section at the limit: fine");
	memset(buf + n, 'a', fill + 1);
	snprintf(buf + n + fill + 1, sizeof(buf) - n - fill - 1, "\r\n\r\n");
	T(status_of(buf) == 431, "header section one byte over: 431");

	/* the excess in the request-target */
	n = snprintf(buf, sizeof(buf), "GET /");
	memset(buf + n, 'a', 600);
	snprintf(buf + n + 600, sizeof(buf) - n - 600,
	    " HTTP/1.1\r\nHost: h\r\n\r\n");
	T(status_of(buf) == 414, "request-target too long: 414");
	/* ... or in the version, after a target that just fits */
	n = snprintf(buf, sizeof(buf), "GET /");
	memset(buf + n, 'a', lim.max_header_size - 9);
	snprintf(buf + n + lim.max_header_size - 9,
	    sizeof(buf) - n - lim.max_header_size + 9,
	    " HTTP/1.1\r\nHost: h\r\n\r\n");
	T(status_of(buf) == 414, "request line too long at the version: 414");
	/* the excess in the method */
	memset(buf, 'G', 600);
	snprintf(buf + 600, sizeof(buf) - 600, " / HTTP/1.1\r\n\r\n");
	T(status_of(buf) == 400, "method too long: 400");

	/* the number of fields: max_headers, then one more */
	n = snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: h\r\n");
	for (i = 1; i < lim.max_headers; i++)
		n += snprintf(buf + n, sizeof(buf) - n, "X-%u: %u\r\n", i, i);
	snprintf(buf + n, sizeof(buf) - n, "\r\n");
	T(parse(buf, &o) == HTTP_PARSE_DONE && R.nheaders == lim.max_headers,
	    "max_headers fields: fine");
	snprintf(buf + n, sizeof(buf) - n, "X-Last: 1\r\n\r\n");
	T(status_of(buf) == 431, "one field too many: 431");

	/* Content-Length at and over the body limit */
	n = snprintf(buf, sizeof(buf), "POST / HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: %llu\r\n\r\n",
	    (unsigned long long)lim.max_body_size);
	memset(buf + n, 'b', lim.max_body_size);
	buf[n + lim.max_body_size] = '\0';
	T(parse(buf, &o) == HTTP_PARSE_DONE &&
	    R.bodylen == lim.max_body_size, "body at the limit: fine");
	snprintf(buf, sizeof(buf), "POST / HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: %llu\r\n\r\n",
	    (unsigned long long)lim.max_body_size + 1);
	T(status_of(buf) == 413, "Content-Length over the limit: 413");

	/* chunked: the sum of the chunks over the limit */
	snprintf(buf, sizeof(buf), "POST / HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n%x\r\n", 600);
	n = strlen(buf);
	memset(buf + n, 'c', 600);
	snprintf(buf + n + 600, sizeof(buf) - n - 600, "\r\n%x\r\n",
	    (u_int)lim.max_body_size - 600 + 1);
	T(status_of(buf) == 413, "chunks summing over the limit: 413");
	T(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked"
	    "\r\n\r\nffffffffffffffffffffffff\r\n") == 413,
	    "chunk size overflowing 64 bits: 413");
	T(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked"
	    "\r\n\r\n10000000000000000\r\n") == 413,
	    "chunk size 2^64: 413");
	T(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked"
	    "\r\n\r\n0000000000000000000000000000000003\r\nabc\r\n0\r\n\r\n")
	    == 0, "leading zeros in a chunk size: fine");
}

static void
test_chunked(void)
{
	struct outcome	 o;
	char		 buf[4096];
	size_t		 n;
	u_int		 i;

	T(parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
	    "\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", &o) ==
	    HTTP_PARSE_DONE && R.bodylen == 11 &&
	    strcmp(R.body, "hello world") == 0 && R.chunked,
	    "chunked body");
	T(parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
	    "\r\nA;name=val;x=\"q\"\r\n0123456789\r\nb \t;e\r\n"
	    "abcdefghijk\r\n0;last\r\n\r\n", &o) == HTTP_PARSE_DONE &&
	    R.bodylen == 21 &&
	    strcmp(R.body, "0123456789abcdefghijk") == 0,
	    "chunk extensions ignored, upper- and lower-case hex");
	T(parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
	    "\r\n3\r\nabc\r\n0\r\nX-Trailer: 1\r\nX-Sum: abc\r\n\r\n", &o) ==
	    HTTP_PARSE_DONE && R.bodylen == 3 &&
	    http_request_header(&R, "x-trailer") == NULL && R.nheaders == 2,
	    "trailers parsed and discarded");
	T(o.used == strlen("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Trailer: 1\r\nX-Sum: abc\r\n"
	    "\r\n"), "trailers consumed exactly");
	T(parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
	    "\r\n0\r\n\r\n", &o) == HTTP_PARSE_DONE && R.bodylen == 0,
	    "empty chunked body");
	T(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked"
	    "\r\n\r\n0\r\nX: a\r\n b\r\n\r\n") == 400,
	    "obs-fold in trailers: 400");
	T(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked"
	    "\r\n\r\n0\r\nX a\r\n\r\n") == 400, "bad trailer line: 400");
	n = snprintf(buf, sizeof(buf), "POST / HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n0\r\n");
	for (i = 0; i <= lim.max_headers; i++)
		n += snprintf(buf + n, sizeof(buf) - n, "T%u: x\r\n", i);
	snprintf(buf + n, sizeof(buf) - n, "\r\n");
	T(status_of(buf) == 431, "too many trailers: 431");
	n = snprintf(buf, sizeof(buf), "POST / HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n0\r\nT: ");
	memset(buf + n, 'x', lim.max_header_size);
	snprintf(buf + n + lim.max_header_size,
	    sizeof(buf) - n - lim.max_header_size, "\r\n\r\n");
	T(status_of(buf) == 431, "trailer section too large: 431");
	T(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked"
	    "\r\n\r\ng\r\n") == 400, "non-hex chunk size: 400");
	T(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked"
	    "\r\n\r\n\r\n") == 400, "empty chunk size: 400");
	T(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked"
	    "\r\n\r\n;x\r\n") == 400, "extension without size: 400");
	T(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked"
	    "\r\n\r\n-1\r\n") == 400, "negative chunk size: 400");
	T(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked"
	    "\r\n\r\n3\r\nabcd\r\n0\r\n\r\n") == 400,
	    "chunk longer than its size: 400");
	T(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked"
	    "\r\n\r\n3\nabc\r\n0\r\n\r\n") == 400,
	    "bare LF after a chunk size: 400");
	T(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked"
	    "\r\n\r\n3\r\nabc\n0\r\n\r\n") == 400,
	    "bare LF after chunk data: 400");
	T(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked"
	    "\r\n\r\n3;a\x01\r\nabc\r\n0\r\n\r\n") == 400,
	    "CTL in a chunk extension: 400");
	n = snprintf(buf, sizeof(buf), "POST / HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n1;");
	memset(buf + n, 'e', lim.max_header_size);
	snprintf(buf + n + lim.max_header_size,
	    sizeof(buf) - n - lim.max_header_size, "\r\nx\r\n0\r\n\r\n");
	T(status_of(buf) == 400, "chunk line too long: 400");
	/* many small chunks */
	n = snprintf(buf, sizeof(buf), "POST / HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n");
	for (i = 0; i < 100; i++)
		n += snprintf(buf + n, sizeof(buf) - n, "1\r\n%c\r\n",
		    'a' + i % 26);
	snprintf(buf + n, sizeof(buf) - n, "0\r\n\r\n");
	T(parse(buf, &o) == HTTP_PARSE_DONE && R.bodylen == 100 &&
	    R.body[0] == 'a' && R.body[26] == 'a' && R.body[99] == 'v',
	    "100 one-byte chunks");
}

static void
test_pipeline(void)
{
	const char	*s = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
	    "POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nbody"
	    "POST /3 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "2\r\nok\r\n0\r\n\r\n"
	    "GET /4 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
	const char	*paths[] = { "/1", "/2", "/3", "/4" };
	const char	*bodies[] = { NULL, "body", "ok", NULL };
	size_t		 off = 0, len = strlen(s), used;
	int		 i, r, good = 1;
	struct outcome	 o;

	http_parser_init(&P, &lim);
	for (i = 0; i < 4; i++) {
		http_request_reset(&R);
		http_parser_reset(&P);
		do {
			r = http_parse(&P, &R, s + off, len - off, &used);
			off += used;
		} while (r == HTTP_PARSE_HEADERS);
		if (r != HTTP_PARSE_DONE || strcmp(R.path, paths[i]) != 0 ||
		    (bodies[i] == NULL ? R.body != NULL :
		    strcmp(R.body, bodies[i]) != 0) ||
		    R.keepalive != (i < 3))
			good = 0;
	}
	T(good, "four pipelined requests in one buffer, in order");
	T(off == len, "all of the buffer consumed");

	/* a request then the start of the next: the next is not touched */
	feed(s, len, 0, 0, &o);
	T(o.r == HTTP_PARSE_DONE && o.used == strlen("GET /1 HTTP/1.1\r\n"
	    "Host: h\r\n\r\n"), "parsing stops at the end of a request");
	T(http_parse(&P, &R, s + o.used, len - o.used, &used) ==
	    HTTP_PARSE_DONE && used == 0,
	    "a done parser consumes nothing until reset");
}

static void
test_keepalive(void)
{
	struct outcome	 o;

	T(parse("GET / HTTP/1.1\r\nHost: h\r\n\r\n", &o) == HTTP_PARSE_DONE &&
	    R.keepalive == 1, "1.1: keep-alive");
	T(parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", &o)
	    == HTTP_PARSE_DONE && R.keepalive == 0, "1.1 close");
	T(parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: Close\r\n\r\n", &o)
	    == HTTP_PARSE_DONE && R.keepalive == 0, "1.1 Close (case)");
	T(parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade, close\r\n"
	    "\r\n", &o) == HTTP_PARSE_DONE && R.keepalive == 0,
	    "1.1 close in a list");
	T(parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: x\r\n"
	    "Connection: close\r\n\r\n", &o) == HTTP_PARSE_DONE &&
	    R.keepalive == 0, "1.1 close in a second field");
	T(parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: closed\r\n\r\n", &o)
	    == HTTP_PARSE_DONE && R.keepalive == 1, "1.1 'closed' is not close");
	T(parse("GET / HTTP/1.0\r\n\r\n", &o) == HTTP_PARSE_DONE &&
	    R.keepalive == 0, "1.0: close");
	T(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &o) ==
	    HTTP_PARSE_DONE && R.keepalive == 1, "1.0 keep-alive");
	T(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &o) ==
	    HTTP_PARSE_DONE && R.keepalive == 1, "1.0 Keep-Alive (case)");
	T(parse("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", &o)
	    == HTTP_PARSE_DONE && R.keepalive == 0,
	    "1.0 keep-alive and close: close");
}

static void
test_expect(void)
{
	struct outcome	 o;

	T(parse("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
	    "Content-Length: 2\r\n\r\nab", &o) == HTTP_PARSE_DONE &&
	    R.expect_continue == 1, "Expect: 100-continue noted");
	T(parse("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\n"
	    "Content-Length: 2\r\n\r\nab", &o) == HTTP_PARSE_DONE &&
	    R.expect_continue == 1, "Expect: 100-Continue (case)");
	T(parse("POST / HTTP/1.0\r\nExpect: 100-continue\r\n"
	    "Content-Length: 2\r\n\r\nab", &o) == HTTP_PARSE_DONE &&
	    R.expect_continue == 0, "Expect in HTTP/1.0 ignored");
	T(status_of("POST / HTTP/1.1\r\nHost: h\r\nExpect: 200-ok\r\n"
	    "Content-Length: 2\r\n\r\nab") == 417, "other Expect: 417");
	T(status_of("GET / HTTP/1.1\r\nHost: h\r\nExpect:\r\n\r\n") == 417,
	    "empty Expect: 417");
	T(status_of("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
	    "Content-Length: 5000\r\n\r\n") == 413,
	    "100-continue with too large a body: 413");
}

static void
test_splits(void)
{
	char	 buf[2048];
	size_t	 n;

	split_check("GET /v1/info?x=1 HTTP/1.1\r\nHost: h\r\nX-A:  b \r\n"
	    "Accept: */*\r\n\r\n", "GET");
	split_check("\r\nPOST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n"
	    "Expect: 100-continue\r\n\r\n0123456789", "POST with body");
	split_check("POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked"
	    "\r\n\r\n5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\n"
	    "Trailer-A: x\r\n\r\n", "chunked with extension and trailer");
	split_check("GET http://h/x?y HTTP/1.0\r\nConnection: keep-alive\r\n"
	    "\r\n", "HTTP/1.0 absolute-form");
	split_check("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n",
	    "obs-fold error");
	split_check("GET / HTTP/2.0\r\n\r\n", "505 error");
	split_check("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked"
	    "\r\n\r\nfffffffffffffffffff\r\n", "chunk overflow error");
	n = snprintf(buf, sizeof(buf), "GET /");
	memset(buf + n, 'a', 700);
	snprintf(buf + n + 700, sizeof(buf) - n - 700, " HTTP/1.1\r\n\r\n");
	split_check(buf, "414 error");
	split_check("GET / HTTP/1.1\r\nHost: h\r\nHost: i\r\n\r\n",
	    "two Host error");
}

static void
test_misc(void)
{
	struct outcome	 o;
	int		 i, good = 1;

	/* reuse of one request for many: no leaks, same answers */
	for (i = 0; i < 50; i++) {
		if (parse("POST /r HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
		    "\r\nxyz", &o) != HTTP_PARSE_DONE ||
		    strcmp(R.body, "xyz") != 0)
			good = 0;
		if (status_of("GET / HTTP/1.1\r\n\r\n") != 400)
			good = 0;
	}
	T(good, "request and parser reused 100 times");

	/* errors are sticky */
	feed("GET / HTTP/9.9\r\n", 16, 0, 0, &o);
	T(o.r == HTTP_PARSE_ERROR, "error");
	{
		size_t	 used;

		T(http_parse(&P, &R, "more", 4, &used) == HTTP_PARSE_ERROR &&
		    used == 0, "an error stays an error");
	}
	T(P.started == 1, "started is set after a byte");
	http_parser_reset(&P);
	T(P.started == 0 && P.limits == &lim, "reset keeps the limits");
}

int
main(void)
{
	http_request_init(&R);

	test_basic();
	test_target();
	test_headers();
	test_version();
	test_length();
	test_limits();
	test_chunked();
	test_pipeline();
	test_keepalive();
	test_expect();
	test_splits();
	test_misc();

	http_request_free(&R);
	return (test_done());
}
