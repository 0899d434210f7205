/*
 * The parts of an http(s) or ws(s) URL that a connection needs:
 * scheme, host (brackets of an IPv6 literal removed) and port.
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
