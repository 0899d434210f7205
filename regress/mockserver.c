/*
 * The unit tests' Python mock servers: started on a pipe, their ports
 * read from what they print, stopped by closing the pipe; and a plain
 * blocking HTTP/1.1 client for their knobs and stats.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "mockserver.h"

int
mockserver_start(struct mockserver *ms, const char *script,
    const char *const *args, int wait_ms)
{
	char		 path[PATH_MAX], line[128], c;
	char		*argv[MOCKSERVER_ARGS + 3];
	struct pollfd	 pfd;
	size_t		 len = 0;
	int		 in[2], out[2], i, port, ready = 0;

	memset(ms, 0, sizeof(*ms));
	ms->ms_pid = -1;
	ms->ms_stdin = -1;
	if (snprintf(path, sizeof(path), "%s/regress/%s", harness_top(),
	    script) >= (int)sizeof(path))
		return (-1);
	argv[0] = "python3";
	argv[1] = path;
	for (i = 0; args != NULL && args[i] != NULL; i++) {
		if (i == MOCKSERVER_ARGS)
			return (-1);
		argv[i + 2] = (char *)args[i];
	}
	argv[i + 2] = NULL;

	/* Our ends stay out of whatever the test execs later. */
	if (pipe2(in, O_CLOEXEC) == -1)
		return (-1);
	if (pipe2(out, O_CLOEXEC) == -1) {
		close(in[0]);
		close(in[1]);
		return (-1);
	}
	if ((ms->ms_pid = fork()) == 0) {
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		closefrom(3);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	ms->ms_stdin = in[1];

	/* A few short lines: a byte at a time, none later than wait_ms. */
	pfd.fd = out[0];
	pfd.events = POLLIN;
	while (ms->ms_pid != -1 && !ready && poll(&pfd, 1, wait_ms) == 1 &&
	    read(out[0], &c, 1) == 1) {
		if (c != '\n') {
			if (len < sizeof(line) - 1)
				line[len++] = c;
			continue;
		}
		line[len] = '\0';
		len = 0;
		if (sscanf(line, "https %d", &port) == 1)
			ms->ms_tls_port = port;
		else if (sscanf(line, "port %d", &port) == 1 ||
		    sscanf(line, "http %d", &port) == 1)
			ms->ms_port = port;
		else if (strncmp(line, "ready", 5) == 0)
			ready = 1;
	}
	close(out[0]);
	if (ready && ms->ms_port > 0)
		return (0);
	if (ms->ms_pid != -1)
		(void)kill(ms->ms_pid, SIGKILL);
	mockserver_stop(ms);
	return (-1);
}

void
mockserver_stop(struct mockserver *ms)
{
	if (ms->ms_stdin != -1)
		close(ms->ms_stdin);
	ms->ms_stdin = -1;
	/* In a forked child this is not our child: ECHILD, no wait. */
	if (ms->ms_pid > 0)
		(void)waitpid(ms->ms_pid, NULL, 0);
	ms->ms_pid = -1;
}

char *
mockserver_http(int port, const char *method, const char *path,
    const char *body, int *status)
{
	struct sockaddr_in	 sin;
	struct timeval		 tv = { MOCKSERVER_WAIT_MS / 1000, 0 };
	char			 head[512], *buf = NULL, *p;
	size_t			 len = 0, cap = 0, blen;
	ssize_t			 n;
	int			 s;

	blen = body != NULL ? strlen(body) : 0;
	if ((s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (NULL);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	n = snprintf(head, sizeof(head), "%s %s HTTP/1.1\r\nHost: mock\r\n"
	    "Connection: close\r\nContent-Length: %zu\r\n\r\n", method, path,
	    blen);
	if (n < 0 || (size_t)n >= sizeof(head) ||
	    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    connect(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    write(s, head, n) != n ||
	    (blen > 0 && write(s, body, blen) != (ssize_t)blen)) {
		close(s);
		return (NULL);
	}
	for (;;) {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			if ((p = realloc(buf, cap)) == NULL)
				break;
			buf = p;
		}
		if ((n = read(s, buf + len, cap - len - 1)) <= 0)
			break;
		len += n;
	}
	close(s);
	if (buf == NULL)
		return (NULL);
	buf[len] = '\0';
	if ((p = strstr(buf, "\r\n\r\n")) == NULL) {
		free(buf);
		return (NULL);
	}
	if (status != NULL && sscanf(buf, "HTTP/%*d.%*d %d", status) != 1)
		*status = 0;
	memmove(buf, p + 4, strlen(p + 4) + 1);
	return (buf);
}

int
mockserver_closed_port(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 s, port;

	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (-1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(s, (struct sockaddr *)&sin, &len) == -1)
		port = -1;
	else
		port = ntohs(sin.sin_port);
	close(s);
	return (port);
}
