/*
 * url_split() and the host names the children may ask the parent to
 * resolve.
 */

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ipc.h"
#include "test.h"

static int
split(const char *url, const char *wscheme, const char *whost,
    uint16_t wport)
{
	char		 scheme[8], host[IPC_HOST_MAX];
	uint16_t	 port;

	if (url_split(url, scheme, sizeof(scheme), host, sizeof(host),
	    &port) == -1)
		return (0);
	return (strcmp(scheme, wscheme) == 0 && strcmp(host, whost) == 0 &&
	    port == wport);
}

static int
bad(const char *url)
{
	char		 scheme[8], host[IPC_HOST_MAX];
	uint16_t	 port;

	return (url_split(url, scheme, sizeof(scheme), host, sizeof(host),
	    &port) == -1);
}

int
main(void)
{
	char	 big[400];

	T(split("https://api.openai.com/v1", "https", "api.openai.com", 443),
	    "https with a path");
	T(split("http://127.0.0.1:8000", "http", "127.0.0.1", 8000),
	    "http with a port");
	T(split("wss://relay.damus.io", "wss", "relay.damus.io", 443),
	    "wss default port");
	T(split("ws://localhost:7777/", "ws", "localhost", 7777), "ws port");
	T(split("https://[::1]:8443/x?y", "https", "::1", 8443),
	    "IPv6 literal with a port");
	T(split("http://[fe80::1]/", "http", "fe80::1", 80),
	    "IPv6 literal without a port");
	T(split("https://mint.example.org?x=1", "https", "mint.example.org",
	    443), "a query right after the host");
	T(bad("ftp://example.org"), "ftp refused");
	T(bad("example.org"), "no scheme refused");
	T(bad("https://"), "no host refused");
	T(bad("https://user:pw@example.org/"), "credentials refused");
	T(bad("https://example.org:0/"), "port 0 refused");
	T(bad("https://example.org:65536/"), "port 65536 refused");
	T(bad("https://example.org:/"), "empty port refused");
	T(bad("https://example.org:80x/"), "port with letters refused");
	T(bad("https://[::1/"), "unclosed bracket refused");
	T(bad("https://[::1]x/"), "junk after the bracket refused");
	T(bad("https://exa mple.org/"), "a space in the host refused");
	T(bad("https://exa..mple.org/"), "an empty label refused");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "http://", 7);
	T(bad(big), "a 392-byte host refused");

	T(ipc_host_ok("localhost", IPC_HOST_MAX), "localhost");
	T(ipc_host_ok("relay.example.org.", IPC_HOST_MAX), "trailing dot");
	T(ipc_host_ok("2001:db8::1", IPC_HOST_MAX), "IPv6 literal");
	T(ipc_host_ok("::ffff:1.2.3.4", IPC_HOST_MAX), "v4-mapped literal");
	T(!ipc_host_ok("", IPC_HOST_MAX), "empty refused");
	T(!ipc_host_ok(".example.org", IPC_HOST_MAX), "leading dot refused");
	T(!ipc_host_ok("a/b", IPC_HOST_MAX), "slash refused");
	T(!ipc_host_ok("host:80", IPC_HOST_MAX), "host:port refused");
	T(!ipc_host_ok("x\\n", IPC_HOST_MAX), "backslash refused");
	T(!ipc_host_ok("abc", 3), "unterminated refused");
	memset(big, 'a', 64);
	big[64] = '\0';
	T(!ipc_host_ok(big, sizeof(big)), "a 64-byte label refused");
	big[63] = '\0';
	T(ipc_host_ok(big, sizeof(big)), "a 63-byte label is fine");

	/* Query parameters. */
	{
		char	 v[16];

		T(url_query_get("a=1&token=cashuBxy&b=2", "token", v,
		    sizeof(v)) == 1 && strcmp(v, "cashuBxy") == 0,
		    "query: the parameter among others");
		T(url_query_get("xtoken=1&token=2", "token", v, sizeof(v)) ==
		    1 && strcmp(v, "2") == 0, "query: not a longer name");
		T(url_query_get("t=a%2Bb+c%3d", "t", v, sizeof(v)) == 1 &&
		    strcmp(v, "a+b c=") == 0, "query: %%XX and + decoded");
		T(url_query_get("t=", "t", v, sizeof(v)) == 1 && v[0] == '\0',
		    "query: an empty value");
		T(url_query_get("a=1&t", "t", v, sizeof(v)) == 0 &&
		    url_query_get("", "t", v, sizeof(v)) == 0,
		    "query: absent, or a name without '='");
		T(url_query_get("t=%4", "t", v, sizeof(v)) == -1 &&
		    url_query_get("t=%zz", "t", v, sizeof(v)) == -1 &&
		    url_query_get("t=%00", "t", v, sizeof(v)) == -1,
		    "query: a broken escape or a NUL refused");
		T(url_query_get("t=0123456789abcdef", "t", v, sizeof(v)) ==
		    -1 && url_query_get("t=0123456789abcde", "t", v,
		    sizeof(v)) == 1, "query: a value that does not fit refused");
		T(url_decode("org%2Fm+x", 9, 0, v, sizeof(v)) == 0 &&
		    strcmp(v, "org/m+x") == 0 && url_decode("a+b", 3, 1, v,
		    sizeof(v)) == 0 && strcmp(v, "a b") == 0,
		    "decode: a path keeps '+', a query makes it a space");
		T(url_decode("ab%", 3, 0, v, sizeof(v)) == -1 &&
		    url_decode("%00", 3, 0, v, sizeof(v)) == -1 &&
		    url_decode("abc", 3, 0, v, 3) == -1 &&
		    url_decode("abc", 2, 0, v, 3) == 0 && strcmp(v, "ab") == 0,
		    "decode: broken, NUL, too long refused; n bytes only");
	}
	return (test_done());
}
