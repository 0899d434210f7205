/*
 * bench/proxy: time to the first streamed byte, which wrk does not
 * measure.  One HTTP/1.1 keep-alive connection, requests one after the
 * other (no load: the latency of the path itself), each timed from the
 * first byte of the request written to the first byte of the response
 * body (the first event of the stream) and to its last byte.
 * bench/proxy.sh runs it against the mock upstream, nginx and routstrd.
 *
 *	obj/bench/proxy [-H header] [-n requests] [-w warmup] -b body
 *	    -p port path
 *
 * It prints one line of name=value pairs: the requests timed, p50 and
 * p99 of the first body byte and of the whole answer in milliseconds,
 * and billed_msats, the sum of the last "total_msats" of each answer
 * (what routstrd says it charged; 0 elsewhere).  Every answer must be
 * 200, and a stream must end with "data: [DONE]"; otherwise it exits 1.
 *
 *	obj/bench/proxy -r rate -c connections -d seconds [-H header]
 *	    -b body -p port path
 *
 * is a steady load instead: rate requests a second for that many
 * seconds, spread over the connections (a process each), each request
 * sent at its appointed time and timed from that time, so that a late
 * answer counts against all that had to wait for it (no coordinated
 * omission).  It prints requests, p50, p99 and max of the whole answer
 * and billed_msats.
 */

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define HEADERS_MAX	8
#define IO_TIMEOUT_MS	10000
#define BUF_MAX		(1024 * 1024)

struct answer {
	int		 status;
	double		 first;		/* ms to the first body byte */
	double		 total;		/* ms to the last byte */
	uint64_t	 msats;		/* the last "total_msats" in it */
	int		 done;		/* "data: [DONE]" seen */
};

static char	 buf[BUF_MAX];		/* what was read, raw */
static char	 body[BUF_MAX];		/* the body, dechunked */

static void	 usage(void) __attribute__((__noreturn__));
static double	 now_ms(void);
static int	 conn_open(int);
static ssize_t	 read_some(int, char *, size_t);
static int	 exchange(int, const char *, size_t, struct answer *);
static int	 cmp_double(const void *, const void *);
static double	 pct(double *, int, int);
static int	 paced(int, const char *, size_t, int, int, int, int);

static void
usage(void)
{
	fprintf(stderr, "usage: proxy [-H header] [-n requests] "
	    "[-w warmup] -b body -p port path\n"
	    "       proxy -r rate -c connections -d seconds [-H header] "
	    "-b body -p port path\n");
	exit(1);
}

static double
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
conn_open(int port)
{
	struct sockaddr_in	sin;
	int			fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		err(1, "socket");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		err(1, "connect to port %d", port);
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1)
		err(1, "TCP_NODELAY");
	return fd;
}

static ssize_t
read_some(int fd, char *p, size_t len)
{
	struct pollfd	pfd;
	ssize_t		n;

	pfd.fd = fd;
	pfd.events = POLLIN;
	switch (poll(&pfd, 1, IO_TIMEOUT_MS)) {
	case -1:
		err(1, "poll");
	case 0:
		errx(1, "no answer in %d ms", IO_TIMEOUT_MS);
	}
	if ((n = read(fd, p, len)) == -1)
		err(1, "read");
	return n;
}

/*
 * One request and its answer.  The body is dechunked as it comes, so
 * that its first byte is timed when it arrives, not when the chunk
 * header does.
 */
static int
exchange(int fd, const char *req, size_t reqlen, struct answer *a)
{
	const char	*p, *eoh, *cl, *q;
	size_t		 have = 0, used, blen = 0, want = 0, chunk = 0;
	ssize_t		 n;
	double		 t0;
	int		 chunked = 0, in_chunk = 0;
	char		*end;

	memset(a, 0, sizeof(*a));
	t0 = now_ms();
	for (p = req; p < req + reqlen; p += n)
		if ((n = write(fd, p, req + reqlen - p)) == -1)
			err(1, "write");

	/* The head. */
	for (;;) {
		if (have == sizeof(buf) - 1)
			errx(1, "head too long");
		if ((n = read_some(fd, buf + have, sizeof(buf) - 1 - have)) == 0)
			errx(1, "connection closed before the answer");
		have += n;
		buf[have] = '\0';
		if ((eoh = strstr(buf, "\r\n\r\n")) != NULL)
			break;
	}
	if (strncmp(buf, "HTTP/1.1 ", 9) != 0)
		errx(1, "not an HTTP/1.1 answer");
	a->status = strtol(buf + 9, NULL, 10);
	used = eoh + 4 - buf;
	for (p = buf; p < eoh; p = q + 2) {
		if ((q = strstr(p, "\r\n")) == NULL)
			break;
		if (strncasecmp(p, "Transfer-Encoding:", 18) == 0 &&
		    strcasestr(p, "chunked") != NULL && strcasestr(p,
		    "chunked") < q)
			chunked = 1;
		if (strncasecmp(p, "Content-Length:", 15) == 0) {
			cl = p + 15;
			want = strtoull(cl, &end, 10);
			if (end == cl || end > q)
				errx(1, "bad Content-Length");
			if (want >= sizeof(body))
				errx(1, "body too long");
		}
	}

	/* The body, dechunked, until its end. */
	for (;;) {
		while (used < have) {
			if (!chunked) {
				n = have - used;
				if (blen + n > want)
					errx(1, "more than Content-Length");
				if (blen == 0 && n > 0)
					a->first = now_ms() - t0;
				memcpy(body + blen, buf + used, n);
				blen += n;
				used += n;
				continue;
			}
			if (!in_chunk) {
				/* A size line, whole, or wait for more. */
				buf[have] = '\0';
				if ((q = strstr(buf + used, "\r\n")) == NULL)
					break;
				chunk = strtoull(buf + used, &end, 16);
				if (end == buf + used)
					errx(1, "bad chunk size");
				if (chunk == 0) {
					/* The last chunk and an empty trailer. */
					if (have - (q + 2 - buf) < 2)
						break;
					used = q + 4 - buf;
					want = blen;
					goto done;
				}
				used = q + 2 - buf;
				in_chunk = 1;
				continue;
			}
			n = have - used;
			if ((size_t)n > chunk)
				n = chunk;
			if (blen + n >= sizeof(body))
				errx(1, "body too long");
			if (blen == 0 && n > 0)
				a->first = now_ms() - t0;
			memcpy(body + blen, buf + used, n);
			blen += n;
			used += n;
			if ((chunk -= n) == 0) {
				/* The CRLF after the data. */
				if (have - used < 2)
					break;
				used += 2;
				in_chunk = 0;
			}
		}
		if (!chunked && blen == want)
			break;
		/* Keep what is not used yet at the start of the buffer. */
		memmove(buf, buf + used, have - used);
		have -= used;
		used = 0;
		if (have == sizeof(buf) - 1)
			errx(1, "chunk line too long");
		if ((n = read_some(fd, buf + have, sizeof(buf) - 1 - have)) == 0)
			errx(1, "connection closed in the body");
		have += n;
	}
 done:
	a->total = now_ms() - t0;
	if (used != have)
		errx(1, "bytes after the answer");
	body[blen] = '\0';
	for (p = body; (q = strstr(p, "\"total_msats\":")) != NULL; p = q + 1)
		a->msats = strtoull(q + 14, NULL, 10);
	a->done = strstr(body, "data: [DONE]") != NULL;
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The p-th percentile of the n values, sorted in place. */
static double
pct(double *v, int n, int p)
{
	int	i;

	qsort(v, n, sizeof(*v), cmp_double);
	i = (n * p + 99) / 100 - 1;
	if (i < 0)
		i = 0;
	return v[i];
}

int
main(int argc, char *argv[])
{
	const char	*headers[HEADERS_MAX], *bodyarg = NULL, *errstr;
	char		*req, *hdrs;
	double		*first, *total;
	struct answer	 a;
	uint64_t	 msats = 0;
	size_t		 reqlen;
	int		 ch, fd, i, nh = 0, n = 200, warm = 20, port = 0, len;
	int		 stream, bad = 0, rate = 0, conns = 16, secs = 5;

	while ((ch = getopt(argc, argv, "b:c:d:H:n:p:r:w:")) != -1) {
		switch (ch) {
		case 'c':
			conns = strtonum(optarg, 1, 256, &errstr);
			if (errstr != NULL)
				errx(1, "connections %s: %s", optarg, errstr);
			break;
		case 'd':
			secs = strtonum(optarg, 1, 3600, &errstr);
			if (errstr != NULL)
				errx(1, "seconds %s: %s", optarg, errstr);
			break;
		case 'r':
			rate = strtonum(optarg, 1, 1000000, &errstr);
			if (errstr != NULL)
				errx(1, "rate %s: %s", optarg, errstr);
			break;
		case 'b':
			bodyarg = optarg;
			break;
		case 'H':
			if (nh == HEADERS_MAX)
				errx(1, "too many headers");
			headers[nh++] = optarg;
			break;
		case 'n':
			n = strtonum(optarg, 1, 1000000, &errstr);
			if (errstr != NULL)
				errx(1, "requests %s: %s", optarg, errstr);
			break;
		case 'p':
			port = strtonum(optarg, 1, 65535, &errstr);
			if (errstr != NULL)
				errx(1, "port %s: %s", optarg, errstr);
			break;
		case 'w':
			warm = strtonum(optarg, 0, 1000000, &errstr);
			if (errstr != NULL)
				errx(1, "warmup %s: %s", optarg, errstr);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1 || bodyarg == NULL || port == 0)
		usage();
	stream = strstr(bodyarg, "\"stream\":true") != NULL ||
	    strstr(bodyarg, "\"stream\": true") != NULL;

	/* The request, the same bytes every time. */
	if ((hdrs = strdup("")) == NULL)
		err(1, NULL);
	for (i = 0; i < nh; i++) {
		if (asprintf(&req, "%s%s\r\n", hdrs, headers[i]) == -1)
			err(1, "asprintf");
		free(hdrs);
		hdrs = req;
	}
	if ((len = asprintf(&req, "POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n"
	    "%s\r\n%s", argv[0], port, strlen(bodyarg), hdrs, bodyarg)) == -1)
		err(1, "asprintf");
	free(hdrs);
	reqlen = len;
	if (rate > 0)
		return (paced(port, req, reqlen, stream, rate, conns, secs));
	if ((first = calloc(n, sizeof(*first))) == NULL ||
	    (total = calloc(n, sizeof(*total))) == NULL)
		err(1, "calloc");

	fd = conn_open(port);
	for (i = 0; i < warm + n; i++) {
		exchange(fd, req, reqlen, &a);
		if (a.status != 200 || (stream && !a.done)) {
			if (bad++ == 0) {
				fprintf(stderr, "proxy: status %d%s:\n%.300s\n",
				    a.status, stream && !a.done ?
				    ", no [DONE]" : "", body);
			}
			continue;
		}
		msats += a.msats;
		if (i >= warm) {
			first[i - warm] = a.first;
			total[i - warm] = a.total;
		}
	}
	close(fd);
	if (bad > 0)
		errx(1, "%d answers of %d were not good", bad, warm + n);
	printf("requests=%d first_p50=%.3f first_p99=%.3f total_p50=%.3f "
	    "total_p99=%.3f billed_msats=%llu\n", warm + n, pct(first, n, 50),
	    pct(first, n, 99), pct(total, n, 50), pct(total, n, 99),
	    (unsigned long long)msats);
	free(first);
	free(total);
	free(req);
	return 0;
}

/* The steady load of -r: see the top. */
static int
paced(int port, const char *req, size_t reqlen, int stream, int rate,
    int conns, int secs)
{
	struct slot {
		double		 lat;
		uint64_t	 msats;
		int		 ok;
	}		*sl;
	struct answer	 a;
	struct timespec	 ts;
	double		*lat, start, sched, interval, tw;
	uint64_t	 msats = 0;
	pid_t		 pid;
	int		 per, total, c, i, fd, status, bad = 0;

	per = (int)((long long)rate * secs / conns);
	if (per < 1)
		errx(1, "fewer requests than connections");
	total = per * conns;
	interval = 1000.0 * conns / rate;	/* ms between a connection's */
	if ((sl = mmap(NULL, total * sizeof(*sl), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0)) == MAP_FAILED)
		err(1, "mmap");
	start = now_ms() + 200;		/* every process connected by then */
	for (c = 0; c < conns; c++) {
		if ((pid = fork()) == -1)
			err(1, "fork");
		if (pid != 0)
			continue;
		fd = conn_open(port);
		for (i = 0; i < per; i++) {
			sched = start + (i + (double)c / conns) * interval;
			if ((tw = now_ms()) < sched) {
				ts.tv_sec = (time_t)((sched - tw) / 1e3);
				ts.tv_nsec = (long)((sched - tw -
				    ts.tv_sec * 1e3) * 1e6);
				(void)nanosleep(&ts, NULL);
			}
			tw = now_ms();
			exchange(fd, req, reqlen, &a);
			sl[c * per + i].lat = tw - sched + a.total;
			sl[c * per + i].msats = a.msats;
			sl[c * per + i].ok = a.status == 200 &&
			    (!stream || a.done);
		}
		_exit(0);
	}
	for (c = 0; c < conns; c++)
		if (wait(&status) == -1 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			bad++;
	if (bad > 0)
		errx(1, "%d of %d connections failed", bad, conns);
	if ((lat = calloc(total, sizeof(*lat))) == NULL)
		err(1, "calloc");
	for (i = 0; i < total; i++) {
		if (!sl[i].ok)
			bad++;
		lat[i] = sl[i].lat;
		msats += sl[i].msats;
	}
	if (bad > 0)
		errx(1, "%d answers of %d were not good", bad, total);
	printf("requests=%d rate=%d total_p50=%.3f total_p99=%.3f "
	    "total_max=%.3f billed_msats=%llu\n", total, rate,
	    pct(lat, total, 50), pct(lat, total, 99), pct(lat, total, 100),
	    (unsigned long long)msats);
	free(lat);
	(void)munmap(sl, total * sizeof(*sl));
	return 0;
}
