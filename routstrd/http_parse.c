/*
 * Incremental HTTP/1.1 request parser: bytes in, request parts out, no
 * I/O.  One explicit state machine in the manner of httpd's
 * server_read_http(), fed any number of bytes at a time: every byte is
 * looked at once, the request line and headers are copied into one block
 * (NUL-separated strings; pointers are fixed up when the headers are
 * complete, so the block can grow), the body is copied once into its own
 * buffer.  Everything is bounded by struct http_limits.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"

enum parse_state {
	S_START,		/* before the request line */
	S_START_LF,		/* CR of an empty line before it */
	S_METHOD,
	S_TARGET,
	S_VERSION,
	S_RL_LF,		/* CR after the version */
	S_HDR_START,		/* start of a field line or the empty line */
	S_HDR_NAME,
	S_HDR_OWS,		/* after the colon */
	S_HDR_VALUE,
	S_HDR_LF,		/* CR after a field line */
	S_HDR_END_LF,		/* CR of the empty line */
	S_BODY,			/* Content-Length bytes */
	S_CHUNK_SIZE,
	S_CHUNK_EXT,
	S_CHUNK_SIZE_LF,
	S_CHUNK_DATA,
	S_CHUNK_DATA_CR,
	S_CHUNK_DATA_LF,
	S_COMPLETE,		/* report HTTP_PARSE_DONE */
	S_DONE,
	S_ERROR
};

/* flags: what the headers said */
#define PF_HOST		0x0001
#define PF_HOST_DUP	0x0002
#define PF_CL_BAD	0x0004
#define PF_CL_CONFLICT	0x0008
#define PF_CL_HUGE	0x0010
#define PF_TE		0x0020
#define PF_TE_BAD	0x0040
#define PF_CLOSE	0x0080
#define PF_KEEPALIVE	0x0100
#define PF_EXPECT	0x0200
#define PF_EXPECT_BAD	0x0400
#define PF_CONNECT	0x0800	/* method CONNECT */
#define PF_OPTIONS	0x1000	/* method OPTIONS */

/* character classes */
#define C_TCHAR		0x01	/* token */
#define C_VCHAR		0x02	/* field-vchar: visible ASCII, obs-text */
#define C_WS		0x04	/* SP, HTAB */
#define C_TARGET	0x08	/* visible ASCII */

#define HBUF_MIN	256
#define BODY_MIN	1024
#define HBUF_FREE_ABOVE	8192	/* keep smaller blocks between requests */

static int	 perror_(struct http_parser *, int, const char *);
static int	 toolong(struct http_parser *);
static int	 hb_reserve(struct http_parser *, struct http_request *,
		    size_t);
static int	 hb_putc(struct http_parser *, struct http_request *, char);
static size_t	 scan_run(struct http_parser *, struct http_request *,
		    const u_char *, size_t);
static void	 cclass_init(void);
static int	 hb_copy(struct http_parser *, struct http_request *, size_t,
		    size_t);
static int	 end_target(struct http_parser *, struct http_request *);
static int	 end_version(struct http_parser *, struct http_request *);
static void	 field_line(struct http_parser *, struct http_request *);
static void	 connection_tokens(struct http_parser *, const char *);
static int	 end_headers(struct http_parser *, struct http_request *);
static int	 body_reserve(struct http_parser *, struct http_request *,
		    uint64_t);
static int	 is_tchar(u_char);
static int	 is_vchar(u_char);
static int	 hexval(u_char);

static u_char	 cclass[256];

static const struct {
	int		 code;
	const char	*text;
} http_statuses[] = {
	{ 100, "Continue" },
	{ 200, "OK" },
	{ 201, "Created" },
	{ 202, "Accepted" },
	{ 204, "No Content" },
	{ 206, "Partial Content" },
	{ 301, "Moved Permanently" },
	{ 302, "Found" },
	{ 303, "See Other" },
	{ 304, "Not Modified" },
	{ 307, "Temporary Redirect" },
	{ 308, "Permanent Redirect" },
	{ 400, "Bad Request" },
	{ 401, "Unauthorized" },
	{ 402, "Payment Required" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 406, "Not Acceptable" },
	{ 408, "Request Timeout" },
	{ 409, "Conflict" },
	{ 410, "Gone" },
	{ 411, "Length Required" },
	{ 413, "Content Too Large" },
	{ 414, "URI Too Long" },
	{ 415, "Unsupported Media Type" },
	{ 417, "Expectation Failed" },
	{ 422, "Unprocessable Content" },
	{ 425, "Too Early" },
	{ 429, "Too Many Requests" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" },
	{ 501, "Not Implemented" },
	{ 502, "Bad Gateway" },
	{ 503, "Service Unavailable" },
	{ 504, "Gateway Timeout" },
	{ 505, "HTTP Version Not Supported" },
};

const char *
http_status_text(int code)
{
	size_t	 i;

	for (i = 0; i < sizeof(http_statuses) / sizeof(http_statuses[0]); i++)
		if (http_statuses[i].code == code)
			return (http_statuses[i].text);
	return ("Unknown");
}

void
http_parser_init(struct http_parser *p, const struct http_limits *limits)
{
	if (!(cclass['a'] & C_TCHAR))
		cclass_init();
	memset(p, 0, sizeof(*p));
	p->limits = limits;
	p->state = S_START;
}

void
http_parser_reset(struct http_parser *p)
{
	http_parser_init(p, p->limits);
}

void
http_request_init(struct http_request *r)
{
	memset(r, 0, sizeof(*r));
	TAILQ_INIT(&r->headers);
}

/* Forget the request but keep the header block for the next one. */
void
http_request_reset(struct http_request *r)
{
	char			*hbuf = r->hbuf;
	size_t			 hcap = r->hcap;
	struct http_header	*harr = r->harr;
	u_int			 harrcap = r->harrcap;

	free(r->body);
	if (hcap > HBUF_FREE_ABOVE) {
		free(hbuf);
		hbuf = NULL;
		hcap = 0;
	}
	http_request_init(r);
	r->hbuf = hbuf;
	r->hcap = hcap;
	r->harr = harr;
	r->harrcap = harrcap;
}

void
http_request_free(struct http_request *r)
{
	free(r->body);
	free(r->hbuf);
	free(r->harr);
	http_request_init(r);
}

const char *
http_request_header(const struct http_request *r, const char *name)
{
	const struct http_header	*h;

	TAILQ_FOREACH(h, &r->headers, entry)
		if (strcasecmp(h->name, name) == 0)
			return (h->value);
	return (NULL);
}

static int
perror_(struct http_parser *p, int status, const char *error)
{
	p->state = S_ERROR;
	p->status = status;
	p->error = error;
	return (HTTP_PARSE_ERROR);
}

/* The header section outgrew max_header_size: whose fault it is. */
static int
toolong(struct http_parser *p)
{
	switch (p->state) {
	case S_START:
	case S_START_LF:
	case S_METHOD:
		return (perror_(p, 400, "request line too long"));
	case S_TARGET:
	case S_VERSION:
	case S_RL_LF:
		return (perror_(p, 414, "request-target too long"));
	default:
		return (perror_(p, 431, "request header section too large"));
	}
}

static void
cclass_init(void)
{
	const char	*t = "!#$%&'*+-.^_`|~";
	int		 c;

	for (c = 0; c < 256; c++) {
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || (c != 0 && strchr(t, c) != NULL))
			cclass[c] |= C_TCHAR;
		if ((c > 0x20 && c < 0x7f) || c >= 0x80)
			cclass[c] |= C_VCHAR;
		if (c > 0x20 && c < 0x7f)
			cclass[c] |= C_TARGET;
		if (c == ' ' || c == '\t')
			cclass[c] |= C_WS;
	}
}

static int
is_tchar(u_char c)
{
	return ((cclass[c] & C_TCHAR) != 0);
}

static int
is_vchar(u_char c)
{
	return ((cclass[c] & C_VCHAR) != 0);
}

static int
hexval(u_char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/*
 * Room for n more bytes in the header block.  What is stored never
 * exceeds the raw header section plus one copy of the request-target, so
 * the block is bounded by twice max_header_size.
 */
static int
hb_reserve(struct http_parser *p, struct http_request *r, size_t n)
{
	size_t	 max, ncap;
	char	*b;

	if (r->hcap - r->hlen >= n)
		return (0);
	max = p->limits->max_header_size * 2 + 64;
	if (r->hlen + n > max)
		return (perror_(p, 431, "request header section too large"));
	ncap = r->hcap ? r->hcap : HBUF_MIN;
	while (ncap < r->hlen + n)
		ncap *= 2;
	if (ncap > max)
		ncap = max;
	if ((b = realloc(r->hbuf, ncap)) == NULL)
		return (perror_(p, 500, "out of memory"));
	r->hbuf = b;
	r->hcap = ncap;
	return (0);
}

static int
hb_putc(struct http_parser *p, struct http_request *r, char c)
{
	if (p->skip)
		return (0);
	if (r->hlen == r->hcap && hb_reserve(p, r, 1) == -1)
		return (-1);
	r->hbuf[r->hlen++] = c;
	return (0);
}

/*
 * The common case at once: a run of bytes that only continue the method,
 * target, field name or value, never past the header limit (the byte
 * that crosses it goes the slow way and gets its status there).
 * Returns the bytes taken.
 */
static size_t
scan_run(struct http_parser *p, struct http_request *r, const u_char *s,
    size_t len)
{
	size_t	 n = 0, k, max;
	u_char	 mask;

	switch (p->state) {
	case S_METHOD:
	case S_HDR_NAME:
		mask = C_TCHAR;
		break;
	case S_TARGET:
		mask = C_TARGET;
		break;
	case S_HDR_VALUE:
		mask = C_VCHAR | C_WS;
		break;
	default:
		return (0);
	}
	max = p->limits->max_header_size - p->nbytes;
	if (len > max)
		len = max;
	while (n < len && (cclass[s[n]] & mask))
		n++;
	if (n == 0)
		return (0);
	if (!p->skip) {
		if (hb_reserve(p, r, n) == -1)
			return (0);
		memcpy(r->hbuf + r->hlen, s, n);
		r->hlen += n;
		if (p->state == S_HDR_VALUE) {
			/* the value ends at its last non-blank byte */
			for (k = n; k > 0 && (cclass[s[k - 1]] & C_WS); k--)
				;
			if (k > 0)
				p->vend = r->hlen - (n - k);
		}
	}
	p->nbytes += n;
	return (n);
}

/* Copy hbuf[from, to) to the end of the block, NUL-terminated. */
static int
hb_copy(struct http_parser *p, struct http_request *r, size_t from,
    size_t to)
{
	size_t	 i;

	for (i = from; i < to; i++)
		if (hb_putc(p, r, r->hbuf[i]) == -1)
			return (-1);
	return (hb_putc(p, r, '\0'));
}

/*
 * The request-target is complete (NUL-terminated at target_off): check
 * its form and store path and query after it.
 */
static int
end_target(struct http_parser *p, struct http_request *r)
{
	size_t		 t = p->target_off, end, ps, pe, i;
	const char	*s = r->hbuf + t;

	end = t + strlen(s);
	if (s[0] == '/') {
		ps = t;
	} else if (strcmp(s, "*") == 0) {
		if (!(p->flags & PF_OPTIONS))
			return (perror_(p, 400, "invalid request-target"));
		p->path_off = r->hlen;
		return (hb_copy(p, r, t, end));
	} else if (strncasecmp(s, "http://", 7) == 0 ||
	    strncasecmp(s, "https://", 8) == 0) {
		/* absolute-form: the path starts after the authority */
		ps = t + (s[4] == ':' ? 7 : 8);
		if (ps == end)
			return (perror_(p, 400, "invalid request-target"));
		while (ps < end && r->hbuf[ps] != '/' && r->hbuf[ps] != '?')
			ps++;
	} else if (p->flags & PF_CONNECT) {
		/* authority-form: the path is the whole target */
		p->path_off = r->hlen;
		return (hb_copy(p, r, t, end));
	} else
		return (perror_(p, 400, "invalid request-target"));

	for (pe = ps; pe < end && r->hbuf[pe] != '?'; pe++)
		;
	p->path_off = r->hlen;
	if (pe == ps) {
		/* "http://host" or "http://host?q" */
		if (hb_putc(p, r, '/') == -1 || hb_putc(p, r, '\0') == -1)
			return (-1);
	} else if (hb_copy(p, r, ps, pe) == -1)
		return (-1);
	if (pe < end) {
		p->query_off = r->hlen;
		for (i = pe + 1; i < end; i++)
			if (hb_putc(p, r, r->hbuf[i]) == -1)
				return (-1);
		if (hb_putc(p, r, '\0') == -1)
			return (-1);
	}
	return (0);
}

static int
end_version(struct http_parser *p, struct http_request *r)
{
	const char	*v = p->vbuf;

	if (p->vlen != 8 || memcmp(v, "HTTP/", 5) != 0 ||
	    v[5] < '0' || v[5] > '9' || v[6] != '.' ||
	    v[7] < '0' || v[7] > '9')
		return (perror_(p, 400, "invalid HTTP version"));
	if (v[5] != '1' || (v[7] != '0' && v[7] != '1'))
		return (perror_(p, 505, "HTTP version not supported"));
	r->version = v[7] == '0' ? 10 : 11;
	return (0);
}

static void
connection_tokens(struct http_parser *p, const char *v)
{
	size_t	 n;

	for (;;) {
		v += strspn(v, " \t,");
		if (*v == '\0')
			break;
		n = strcspn(v, " \t,");
		if (n == 5 && strncasecmp(v, "close", 5) == 0)
			p->flags |= PF_CLOSE;
		else if (n == 10 && strncasecmp(v, "keep-alive", 10) == 0)
			p->flags |= PF_KEEPALIVE;
		v += n;
	}
}

/* A field line is complete: note what the framing headers say. */
static void
field_line(struct http_parser *p, struct http_request *r)
{
	const char	*name = r->hbuf + p->mark;
	const char	*v = r->hbuf + p->voff;
	uint64_t	 n = 0;

	switch (name[0]) {
	case 'C': case 'c': case 'T': case 't': case 'H': case 'h':
	case 'E': case 'e':
		break;
	default:
		return;
	}
	if (strcasecmp(name, "content-length") == 0) {
		if (*v == '\0')
			p->flags |= PF_CL_BAD;
		for (; *v != '\0'; v++) {
			if (*v < '0' || *v > '9') {
				p->flags |= PF_CL_BAD;
				break;
			}
			if (n > (UINT64_MAX - 9) / 10) {
				/* larger than any limit */
				p->flags |= PF_CL_HUGE;
				n = UINT64_MAX;
				break;
			}
			n = n * 10 + (*v - '0');
		}
		if (r->has_length && r->content_length != n)
			p->flags |= PF_CL_CONFLICT;
		r->has_length = 1;
		r->content_length = n;
	} else if (strcasecmp(name, "transfer-encoding") == 0) {
		/* only one coding, chunked, once */
		if ((p->flags & PF_TE) || strcasecmp(v, "chunked") != 0)
			p->flags |= PF_TE_BAD;
		p->flags |= PF_TE;
	} else if (strcasecmp(name, "host") == 0) {
		if (p->flags & PF_HOST)
			p->flags |= PF_HOST_DUP;
		p->flags |= PF_HOST;
	} else if (strcasecmp(name, "connection") == 0) {
		connection_tokens(p, v);
	} else if (strcasecmp(name, "expect") == 0) {
		if (strcasecmp(v, "100-continue") == 0)
			p->flags |= PF_EXPECT;
		else
			p->flags |= PF_EXPECT_BAD;
	}
}

/*
 * The empty line after the headers: decide about the request as a whole,
 * in a fixed order so that the status does not depend on header order.
 */
static int
end_headers(struct http_parser *p, struct http_request *r)
{
	const struct http_limits	*l = p->limits;
	struct http_header		*h;
	size_t				 off;
	u_int				 i;
	int				 f = p->flags;

	if (r->version == 11 && !(f & PF_HOST))
		return (perror_(p, 400, "missing Host header"));
	if (f & PF_HOST_DUP)
		return (perror_(p, 400, "more than one Host header"));
	if (f & PF_CL_BAD)
		return (perror_(p, 400, "invalid Content-Length"));
	if (f & PF_CL_CONFLICT)
		return (perror_(p, 400, "conflicting Content-Length"));
	if ((f & PF_TE) && r->has_length)
		return (perror_(p, 400,
		    "Content-Length with Transfer-Encoding"));
	if ((f & PF_TE) && r->version == 10)
		return (perror_(p, 400, "Transfer-Encoding in HTTP/1.0"));
	if (f & PF_TE_BAD)
		return (perror_(p, 501, "Transfer-Encoding not implemented"));
	if (f & PF_EXPECT_BAD)
		return (perror_(p, 417, "expectation not supported"));
	if ((f & PF_CL_HUGE) ||
	    (r->has_length && r->content_length > l->max_body_size))
		return (perror_(p, 413, "request body too large"));
	if (!(f & PF_TE) && !r->has_length &&
	    (strcmp(r->hbuf, "POST") == 0 || strcmp(r->hbuf, "PUT") == 0 ||
	    strcmp(r->hbuf, "PATCH") == 0))
		return (perror_(p, 411, "request body length required"));

	r->chunked = (f & PF_TE) != 0;
	r->expect_continue = (f & PF_EXPECT) && r->version == 11;
	if (f & PF_CLOSE)
		r->keepalive = 0;
	else
		r->keepalive = r->version == 11 || (f & PF_KEEPALIVE);

	/* the block does not move any more: point into it */
	if (p->nlines > r->harrcap) {
		h = reallocarray(r->harr, p->nlines, sizeof(*h));
		if (h == NULL)
			return (perror_(p, 500, "out of memory"));
		r->harr = h;
		r->harrcap = p->nlines;
	}
	r->method = r->hbuf;
	r->target = r->hbuf + p->target_off;
	r->path = r->hbuf + p->path_off;
	r->query = p->query_off ? r->hbuf + p->query_off : NULL;
	TAILQ_INIT(&r->headers);
	off = p->hdr_off;
	for (i = 0; i < p->nlines; i++) {
		h = &r->harr[i];
		h->name = r->hbuf + off;
		off += strlen(h->name) + 1;
		h->value = r->hbuf + off;
		off += strlen(h->value) + 1;
		TAILQ_INSERT_TAIL(&r->headers, h, entry);
	}
	r->nheaders = p->nlines;

	if (r->chunked) {
		p->state = S_CHUNK_SIZE;
		p->chunk_left = 0;
		p->ndigits = 0;
		p->linelen = 0;
	} else if (r->has_length && r->content_length > 0) {
		if (body_reserve(p, r, r->content_length) == -1)
			return (HTTP_PARSE_ERROR);
		p->state = S_BODY;
	} else
		p->state = S_COMPLETE;
	return (HTTP_PARSE_HEADERS);
}

/* Room for n more body bytes and a NUL; n is already within the limit. */
static int
body_reserve(struct http_parser *p, struct http_request *r, uint64_t n)
{
	size_t	 need, ncap;
	char	*b;

	need = r->bodylen + n + 1;
	if (need <= r->bodycap)
		return (0);
	if (r->chunked) {
		/* chunks: grow geometrically, never past the limit */
		ncap = r->bodycap * 2;
		if (ncap < BODY_MIN)
			ncap = BODY_MIN;
		if (ncap > p->limits->max_body_size + 1)
			ncap = p->limits->max_body_size + 1;
		if (ncap < need)
			ncap = need;
	} else
		ncap = need;
	if ((b = realloc(r->body, ncap)) == NULL) {
		perror_(p, 500, "out of memory");
		return (-1);
	}
	r->body = b;
	r->bodycap = ncap;
	return (0);
}

int
http_parse(struct http_parser *p, struct http_request *r, const char *buf,
    size_t len, size_t *used)
{
	const struct http_limits	*l = p->limits;
	size_t				 i = 0, n;
	u_char				 c;
	int				 d, ret;

	*used = 0;
	while (i < len || p->state == S_COMPLETE || p->state == S_DONE ||
	    p->state == S_ERROR) {
		switch (p->state) {
		case S_COMPLETE:
			if (r->body != NULL)
				r->body[r->bodylen] = '\0';
			p->state = S_DONE;
			/* FALLTHROUGH */
		case S_DONE:
			*used = i;
			return (HTTP_PARSE_DONE);
		case S_ERROR:
			*used = i;
			return (HTTP_PARSE_ERROR);
		case S_BODY:
			n = len - i;
			if (n > r->content_length - r->bodylen)
				n = r->content_length - r->bodylen;
			memcpy(r->body + r->bodylen, buf + i, n);
			r->bodylen += n;
			i += n;
			if (r->bodylen == r->content_length)
				p->state = S_COMPLETE;
			continue;
		case S_CHUNK_DATA:
			n = len - i;
			if (n > p->chunk_left)
				n = p->chunk_left;
			memcpy(r->body + r->bodylen, buf + i, n);
			r->bodylen += n;
			p->chunk_left -= n;
			i += n;
			if (p->chunk_left == 0)
				p->state = S_CHUNK_DATA_CR;
			continue;
		default:
			break;
		}

		if ((n = scan_run(p, r, (const u_char *)buf + i, len - i)) > 0) {
			i += n;
			continue;
		}
		if (p->state == S_ERROR)
			continue;

		c = buf[i++];
		p->started = 1;
		if (p->state <= S_HDR_END_LF &&
		    ++p->nbytes > l->max_header_size) {
			toolong(p);
			continue;
		}

		switch (p->state) {
		case S_START:
			if (c == '\r') {
				if (++p->nempty > HTTP_MAX_EMPTY_LINES)
					perror_(p, 400, "invalid request line");
				else
					p->state = S_START_LF;
			} else if (is_tchar(c)) {
				p->state = S_METHOD;
				hb_putc(p, r, c);
			} else
				perror_(p, 400, "invalid request line");
			break;
		case S_START_LF:
			if (c != '\n')
				perror_(p, 400, "invalid request line");
			else
				p->state = S_START;
			break;
		case S_METHOD:
			if (is_tchar(c)) {
				hb_putc(p, r, c);
			} else if (c == ' ') {
				if (hb_putc(p, r, '\0') == -1)
					break;
				p->is_head = strcmp(r->hbuf, "HEAD") == 0;
				if (strcmp(r->hbuf, "CONNECT") == 0)
					p->flags |= PF_CONNECT;
				if (strcmp(r->hbuf, "OPTIONS") == 0)
					p->flags |= PF_OPTIONS;
				p->target_off = r->hlen;
				p->state = S_TARGET;
			} else
				perror_(p, 400, "invalid request line");
			break;
		case S_TARGET:
			if (c > 0x20 && c < 0x7f) {
				hb_putc(p, r, c);
			} else if (c == ' ' && r->hlen > p->target_off) {
				if (hb_putc(p, r, '\0') == 0)
					p->state = S_VERSION;
			} else if (c == '\r' && r->hlen > p->target_off) {
				/* "method target" alone is HTTP/0.9 */
				perror_(p, 505, "HTTP version not supported");
			} else
				perror_(p, 400, "invalid request line");
			break;
		case S_VERSION:
			if (c == '\r') {
				/* the version first: "PRI * HTTP/2.0" is a 505 */
				if (end_version(p, r) == 0 &&
				    end_target(p, r) == 0)
					p->state = S_RL_LF;
			} else if (p->vlen < sizeof(p->vbuf))
				p->vbuf[p->vlen++] = c;
			else
				perror_(p, 400, "invalid HTTP version");
			break;
		case S_RL_LF:
			if (c != '\n')
				perror_(p, 400, "invalid request line");
			else {
				p->hdr_off = r->hlen;
				p->state = S_HDR_START;
			}
			break;
		case S_HDR_START:
			if (c == '\r')
				p->state = S_HDR_END_LF;
			else if (c == ' ' || c == '\t')
				perror_(p, 400, "obsolete line folding");
			else if (!is_tchar(c))
				perror_(p, 400, "invalid header line");
			else if (++p->nlines > l->max_headers)
				perror_(p, 431, "too many header fields");
			else {
				p->mark = r->hlen;
				p->state = S_HDR_NAME;
				hb_putc(p, r, c);
			}
			break;
		case S_HDR_NAME:
			if (is_tchar(c))
				hb_putc(p, r, c);
			else if (c == ':') {
				if (hb_putc(p, r, '\0') == 0)
					p->state = S_HDR_OWS;
			} else
				perror_(p, 400, "invalid header name");
			break;
		case S_HDR_OWS:
			if (c == ' ' || c == '\t')
				break;
			p->voff = p->vend = r->hlen;
			if (c == '\r')
				p->state = S_HDR_LF;
			else if (is_vchar(c)) {
				p->state = S_HDR_VALUE;
				if (hb_putc(p, r, c) == 0)
					p->vend = r->hlen;
			} else
				perror_(p, 400, "invalid header value");
			break;
		case S_HDR_VALUE:
			if (c == '\r')
				p->state = S_HDR_LF;
			else if (c == ' ' || c == '\t')
				hb_putc(p, r, c);
			else if (is_vchar(c)) {
				if (hb_putc(p, r, c) == 0)
					p->vend = r->hlen;
			} else
				perror_(p, 400, "invalid header value");
			break;
		case S_HDR_LF:
			if (c != '\n') {
				perror_(p, 400, "invalid header line");
				break;
			}
			p->state = S_HDR_START;
			if (p->skip)
				break;
			/* trailing whitespace is not part of the value */
			r->hlen = p->vend;
			if (hb_putc(p, r, '\0') == 0)
				field_line(p, r);
			break;
		case S_HDR_END_LF:
			if (c != '\n') {
				perror_(p, 400, "invalid header line");
				break;
			}
			if (p->skip) {
				/* end of the trailers, thrown away */
				p->skip = 0;
				p->state = S_COMPLETE;
				break;
			}
			ret = end_headers(p, r);
			if (ret == HTTP_PARSE_HEADERS) {
				*used = i;
				return (ret);
			}
			break;
		case S_CHUNK_SIZE:
			if (++p->linelen > l->max_header_size) {
				perror_(p, 400, "chunk line too long");
				break;
			}
			if ((d = hexval(c)) != -1) {
				if (p->chunk_left > (UINT64_MAX >> 4) ||
				    (p->chunk_left << 4) + d >
				    l->max_body_size - r->bodylen) {
					perror_(p, 413,
					    "request body too large");
					break;
				}
				p->chunk_left = (p->chunk_left << 4) + d;
				p->ndigits++;
			} else if (p->ndigits == 0)
				perror_(p, 400, "invalid chunk size");
			else if (c == ';' || c == ' ' || c == '\t')
				p->state = S_CHUNK_EXT;
			else if (c == '\r')
				p->state = S_CHUNK_SIZE_LF;
			else
				perror_(p, 400, "invalid chunk size");
			break;
		case S_CHUNK_EXT:
			/* chunk extensions are ignored */
			if (++p->linelen > l->max_header_size)
				perror_(p, 400, "chunk line too long");
			else if (c == '\r')
				p->state = S_CHUNK_SIZE_LF;
			else if (c != '\t' && (c < 0x20 || c == 0x7f))
				perror_(p, 400, "invalid chunk extension");
			break;
		case S_CHUNK_SIZE_LF:
			if (c != '\n') {
				perror_(p, 400, "invalid chunk size");
				break;
			}
			if (p->chunk_left == 0) {
				/* last chunk: trailers, bounded as headers */
				p->skip = 1;
				p->nbytes = 0;
				p->nlines = 0;
				p->state = S_HDR_START;
			} else if (body_reserve(p, r, p->chunk_left) == 0)
				p->state = S_CHUNK_DATA;
			break;
		case S_CHUNK_DATA_CR:
			if (c != '\r')
				perror_(p, 400, "invalid chunk data");
			else
				p->state = S_CHUNK_DATA_LF;
			break;
		case S_CHUNK_DATA_LF:
			if (c != '\n')
				perror_(p, 400, "invalid chunk data");
			else {
				p->state = S_CHUNK_SIZE;
				p->chunk_left = 0;
				p->ndigits = 0;
				p->linelen = 0;
			}
			break;
		default:
			perror_(p, 500, "internal parser error");
			break;
		}
	}
	*used = i;
	return (HTTP_PARSE_AGAIN);
}
