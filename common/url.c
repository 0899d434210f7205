/*
 * URLs: the parts of an http(s) or ws(s) URL that a connection needs
 * (scheme, host with the brackets of an IPv6 literal removed, port), and
 * the parameters of a query string.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"

/* Returns 0, or -1 when the URL is not one we can connect to. */
int
url_split(const char *url, char *scheme, size_t slen, char *host,
    size_t hlen, uint16_t *port)
{
	const char	*p, *h, *end, *colon;
	char		 num[8];
	const char	*errstr;
	size_t		 n;
	long long	 v;

	if ((p = strstr(url, "://")) == NULL || (n = p - url) == 0 ||
	    n >= slen)
		return (-1);
	memcpy(scheme, url, n);
	scheme[n] = '\0';
	if (strcmp(scheme, "http") == 0 || strcmp(scheme, "ws") == 0)
		*port = 80;
	else if (strcmp(scheme, "https") == 0 || strcmp(scheme, "wss") == 0)
		*port = 443;
	else
		return (-1);

	h = p + 3;
	end = h + strcspn(h, "/?#");
	if (memchr(h, '@', end - h) != NULL)
		return (-1);		/* no credentials in URLs */
	if (*h == '[') {
		if ((p = memchr(h, ']', end - h)) == NULL)
			return (-1);
		n = p - h - 1;
		colon = p + 1 < end && p[1] == ':' ? p + 1 : NULL;
		if (p + 1 < end && colon == NULL)
			return (-1);
		h++;
	} else {
		colon = memchr(h, ':', end - h);
		n = (colon != NULL ? colon : end) - h;
	}
	if (n == 0 || n >= hlen)
		return (-1);
	memcpy(host, h, n);
	host[n] = '\0';
	if (!ipc_host_ok(host, hlen))
		return (-1);
	if (colon != NULL) {
		n = end - colon - 1;
		if (n == 0 || n >= sizeof(num))
			return (-1);
		memcpy(num, colon + 1, n);
		num[n] = '\0';
		v = strtonum(num, 1, 65535, &errstr);
		if (errstr != NULL)
			return (-1);
		*port = v;
	}
	return (0);
}

static int
hexdigit(int c)
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
 * The n bytes at p percent-decoded (and '+' as a space if plus) into
 * out, NUL-terminated: 0, or -1 if malformed, holding a NUL or too long.
 */
int
url_decode(const char *p, size_t n, int plus, char *out, size_t len)
{
	const char	*end = p + n;
	size_t		 o = 0;
	int		 hi, lo;

	for (; p < end; p++) {
		if (o + 1 >= len)
			return (-1);
		if (*p == '+' && plus)
			out[o++] = ' ';
		else if (*p != '%')
			out[o++] = *p;
		else if (end - p < 3 || (hi = hexdigit(p[1])) == -1 ||
		    (lo = hexdigit(p[2])) == -1 || (hi == 0 && lo == 0))
			return (-1);
		else {
			out[o++] = hi << 4 | lo;
			p += 2;
		}
	}
	if (len == 0)
		return (-1);
	out[o] = '\0';
	return (0);
}

/*
 * The value of the first parameter called name in a query string
 * (a=1&b=2), percent-decoded and '+' as a space, into out.  1 if found,
 * 0 if not, -1 if it is malformed, holds a NUL or does not fit.
 */
int
url_query_get(const char *query, const char *name, char *out, size_t len)
{
	const char	*p = query, *end;
	size_t		 nlen = strlen(name);

	while (p != NULL && *p != '\0') {
		end = p + strcspn(p, "&");
		if ((size_t)(end - p) > nlen && strncmp(p, name, nlen) == 0 &&
		    p[nlen] == '=')
			return (url_decode(p + nlen + 1, end - p - nlen - 1, 1,
			    out, len) == -1 ? -1 : 1);
		p = *end == '&' ? end + 1 : end;
	}
	return (0);
}
