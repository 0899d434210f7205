/*
 * The Python mock servers of the unit tests (regress/NAME.py): each prints
 * its port(s), then "ready", and serves until its stdin closes.
 */

#ifndef MOCKSERVER_H
#define MOCKSERVER_H

#include <sys/types.h>

#define MOCKSERVER_WAIT_MS	15000
#define MOCKSERVER_ARGS		16

struct mockserver {
	pid_t	 ms_pid;
	int	 ms_stdin;	/* closing it stops the mock */
	int	 ms_port;	/* "port N", or "http N" */
	int	 ms_tls_port;	/* "https N" (curlev-server.py) */
};

/*
 * Start python3 TOP/regress/script with args (NULL-terminated, or NULL)
 * and wait up to ms for a port and "ready": 0, or -1 (nothing left).
 */
int	 mockserver_start(struct mockserver *, const char *,
	    const char *const *, int);
/*
 * Close its stdin and reap it.  Only the starter can: a forked child
 * closing its copy of the pipe leaves the mock serving.
 */
void	 mockserver_stop(struct mockserver *);
/*
 * One blocking HTTP/1.1 request (method, path, body or NULL) to
 * 127.0.0.1:port: the response body (malloc'd, NUL-terminated) and, if
 * status is not NULL, the status in it; or NULL.
 */
char	*mockserver_http(int, const char *, const char *, const char *,
	    int *);

/* A port on 127.0.0.1 that nobody listens on (bound, then closed). */
int	 mockserver_closed_port(void);

#endif /* MOCKSERVER_H */
