/*
 * imsg and ibuf, through real socketpairs: framing, partial and merged
 * reads, size limits, forged headers, fd passing and its failure modes,
 * EOF and EPIPE, the payload accessors, incremental building, forwarding,
 * and the ibuf helpers.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"
#include "test.h"

#define FD_MARK		0x80000000U

static int	 nfds(void);
static void	 mkpair(int [2], int);
static void	 fill(unsigned char *, size_t, unsigned int);
static int	 check(const unsigned char *, size_t, unsigned int);
static size_t	 mkraw(unsigned char *, uint32_t, uint32_t, uint32_t,
		    uint32_t, const void *, size_t);
static ssize_t	 get_one(struct imsgbuf *, struct imsg *);
static int	 send_fds(int, const void *, size_t, const int *, int);
static int	 pipe_closed(int);
static void	 xpipe(int [2]);
static void	 xwrite(int, const void *, size_t);

static void	 test_roundtrip(int);
static void	 test_wire(void);
static void	 test_partial(void);
static void	 test_merged(void);
static void	 test_maxsize(void);
static void	 test_forged(void);
static void	 test_fdpass(void);
static void	 test_fd_order(void);
static void	 test_fd_raw(void);
static void	 test_fd_refused(void);
static void	 test_fd_ctrunc(void);
static void	 test_clear(void);
static void	 test_eof_epipe(void);
static void	 test_accessors(void);
static void	 test_build(void);
static void	 test_forward(void);
static void	 test_large(void);
static void	 test_flush_nonblock(void);
static void	 test_pipe(void);
static void	 test_ibuf(void);

/* Open descriptors of this process. */
static int
nfds(void)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return (-1);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return (n);
}

static void
mkpair(int sv[2], int nonblock)
{
	if (socketpair(AF_UNIX, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0),
	    0, sv) == -1) {
		perror("socketpair");
		exit(2);
	}
}

static void
fill(unsigned char *p, size_t len, unsigned int seed)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(seed * 31 + i * 7 + (i >> 8));
}

static int
check(const unsigned char *p, size_t len, unsigned int seed)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if (p[i] != (unsigned char)(seed * 31 + i * 7 + (i >> 8)))
			return (0);
	return (1);
}

/* The bytes of one message as they travel: host order, len counts all. */
static size_t
mkraw(unsigned char *out, uint32_t type, uint32_t len, uint32_t id,
    uint32_t pid, const void *data, size_t datalen)
{
	struct imsg_hdr	 hdr;

	hdr.type = type;
	hdr.len = len;
	hdr.peerid = id;
	hdr.pid = pid;
	memcpy(out, &hdr, sizeof(hdr));
	if (datalen > 0)
		memcpy(out + sizeof(hdr), data, datalen);
	return (sizeof(hdr) + datalen);
}

/*
 * Next message, reading as needed: its size, -1 on error (errno), -2 on
 * timeout, -3 at end of file.
 */
static ssize_t
get_one(struct imsgbuf *ib, struct imsg *imsg)
{
	struct pollfd	 pfd;
	ssize_t		 n;
	int		 r;

	for (;;) {
		if ((n = imsg_get(ib, imsg)) != 0)
			return (n);
		pfd.fd = ib->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 5000) <= 0)
			return (-2);
		if ((r = imsgbuf_read(ib)) == -1)
			return (-1);
		if (r == 0)
			return (-3);
	}
}

/* One sendmsg() of data with nfd descriptors. */
static int
send_fds(int s, const void *data, size_t len, const int *fds, int nfd)
{
	union {
		struct cmsghdr	 hdr;
		unsigned char	 buf[CMSG_SPACE(sizeof(int) * 8)];
	} cmsgbuf;
	struct msghdr	 msg;
	struct cmsghdr	*cmsg;
	struct iovec	 iov;

	memset(&msg, 0, sizeof(msg));
	memset(&cmsgbuf, 0, sizeof(cmsgbuf));
	iov.iov_base = (void *)data;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (nfd > 0) {
		msg.msg_control = cmsgbuf.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfd);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_len = CMSG_LEN(sizeof(int) * nfd);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * nfd);
	}
	return (sendmsg(s, &msg, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1);
}

/* Whether every write end of the pipe whose read end is rfd is gone. */
static int
pipe_closed(int rfd)
{
	struct pollfd	 pfd;
	char		 c;

	pfd.fd = rfd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 2000) != 1)
		return (0);
	return (read(rfd, &c, 1) == 0);
}

static void
xpipe(int p[2])
{
	if (pipe(p) == -1) {
		perror("pipe");
		exit(2);
	}
}

static void
xwrite(int fd, const void *buf, size_t len)
{
	if (write(fd, buf, len) != (ssize_t)len) {
		perror("write");
		exit(2);
	}
}

static void
test_roundtrip(int nonblock)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	char		 out[32];
	int		 sv[2];
	ssize_t		 n;

	mkpair(sv, nonblock);
	T(imsgbuf_init(&a, sv[0]) == 0 && imsgbuf_init(&b, sv[1]) == 0,
	    "roundtrip(%d): imsgbuf_init", nonblock);
	T(a.maxsize == MAX_IMSGSIZE, "default maxsize is MAX_IMSGSIZE");
	T(IMSG_HEADER_SIZE == 16, "header is 16 bytes");

	T(imsg_compose(&a, 42, 7, 0, -1, "hello world", 12) == 1,
	    "imsg_compose returns 1");
	T(imsg_compose(&a, 43, 8, 1234, -1, NULL, 0) == 1,
	    "imsg_compose without payload");
	T(imsgbuf_queuelen(&a) == 2, "two messages queued");
	T(imsgbuf_flush(&a) == 0, "imsgbuf_flush");
	T(imsgbuf_queuelen(&a) == 0, "queue empty after flush");

	n = get_one(&b, &imsg);
	T(n == 16 + 12, "imsg_get returns the total size (%zd)", n);
	T(imsg_get_type(&imsg) == 42 && imsg_get_id(&imsg) == 7,
	    "type and peerid");
	T(imsg_get_pid(&imsg) == getpid(), "pid 0 means our pid");
	T(imsg.hdr.len == 28, "hdr.len counts the header");
	T(imsg_get_len(&imsg) == 12, "imsg_get_len is the payload length");
	T(imsg.data != NULL && memcmp(imsg.data, "hello world", 12) == 0,
	    "imsg.data points at the payload");
	T(imsg_get_fd(&imsg) == -1, "no fd");
	T(imsg_get_data(&imsg, out, 12) == 0 && strcmp(out, "hello world") == 0,
	    "imsg_get_data copies the payload");
	imsg_free(&imsg);
	imsg_free(&imsg);	/* harmless twice */

	n = get_one(&b, &imsg);
	T(n == 16, "empty message is 16 bytes");
	T(imsg_get_type(&imsg) == 43 && imsg_get_pid(&imsg) == 1234,
	    "explicit pid kept");
	T(imsg.data == NULL && imsg_get_len(&imsg) == 0, "no payload");
	errno = 0;
	T(imsg_get_data(&imsg, out, 0) == -1 && errno == EINVAL,
	    "imsg_get_data of 0 bytes: EINVAL");
	imsg_free(&imsg);

	T(imsg_get(&b, &imsg) == 0, "imsg_get: 0 when nothing is left");
	T(imsgbuf_get(&b, &imsg) == 0, "imsgbuf_get: 0 when nothing is left");
	if (nonblock)
		T(imsgbuf_read(&b) == 1, "imsgbuf_read: EAGAIN gives 1");
	T(imsg_compose(&a, 44, 0, 0, -1, "x", 1) == 1 &&
	    imsgbuf_flush(&a) == 0, "another message");
	T(imsgbuf_read(&b) == 1 && imsgbuf_get(&b, &imsg) == 1 &&
	    imsg_get_type(&imsg) == 44, "imsgbuf_get returns 1");
	imsg_free(&imsg);

	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

/* The bytes on the wire are exactly header (host order) and payload. */
static void
test_wire(void)
{
	struct imsgbuf	 a;
	unsigned char	 got[64], want[64];
	size_t		 wlen;
	int		 sv[2];

	mkpair(sv, 0);
	imsgbuf_init(&a, sv[0]);
	imsg_compose(&a, 0x01020304, 0x0a0b0c0d, 99, -1, "abc", 3);
	imsgbuf_flush(&a);
	wlen = mkraw(want, 0x01020304, 19, 0x0a0b0c0d, 99, "abc", 3);
	T(read(sv[1], got, sizeof(got)) == (ssize_t)wlen &&
	    memcmp(got, want, wlen) == 0, "wire format: header then payload");
	imsgbuf_clear(&a);
	close(sv[0]);
	close(sv[1]);
}

/* One byte at a time: nothing until the last byte is in. */
static void
test_partial(void)
{
	struct imsgbuf	 b;
	struct imsg	 imsg;
	unsigned char	 raw[256], payload[100];
	size_t		 len, i;
	int		 sv[2], early = 0, bad = 0;
	ssize_t		 n = 0;

	mkpair(sv, 1);
	imsgbuf_init(&b, sv[1]);
	T(imsgbuf_read(&b) == 1 && imsg_get(&b, &imsg) == 0,
	    "partial: empty non-blocking read");
	fill(payload, sizeof(payload), 3);
	len = mkraw(raw, 5, 16 + sizeof(payload), 1, 2, payload,
	    sizeof(payload));
	for (i = 0; i < len; i++) {
		if (write(sv[0], raw + i, 1) != 1)
			bad++;
		if (imsgbuf_read(&b) != 1)
			bad++;
		n = imsg_get(&b, &imsg);
		if (i + 1 < len && n != 0)
			early++;
	}
	T(bad == 0, "partial: every read succeeds");
	T(early == 0, "partial: imsg_get is 0 until the message is whole");
	T(n == (ssize_t)len, "partial: the last byte completes it");
	if (n > 0) {
		T(imsg_get_type(&imsg) == 5 && imsg_get_len(&imsg) == 100 &&
		    check(imsg.data, 100, 3), "partial: payload intact");
		imsg_free(&imsg);
	}
	imsgbuf_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

/* Two, then many messages arriving in a single read. */
static void
test_merged(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	unsigned char	 buf[300];
	int		 sv[2], i, got, bad;

	mkpair(sv, 0);
	imsgbuf_init(&a, sv[0]);
	imsgbuf_init(&b, sv[1]);

	imsg_compose(&a, 1, 0, 0, -1, "one", 4);
	imsg_compose(&a, 2, 0, 0, -1, "two", 4);
	imsgbuf_flush(&a);
	T(imsgbuf_read(&b) == 1, "merged: one read");
	T(imsg_get(&b, &imsg) == 20 && imsg_get_type(&imsg) == 1 &&
	    strcmp(imsg.data, "one") == 0, "merged: first of two");
	imsg_free(&imsg);
	T(imsg_get(&b, &imsg) == 20 && imsg_get_type(&imsg) == 2 &&
	    strcmp(imsg.data, "two") == 0, "merged: second of two");
	imsg_free(&imsg);
	T(imsg_get(&b, &imsg) == 0, "merged: then none");

	for (i = 0; i < 200; i++) {
		fill(buf, i, i);
		if (imsg_compose(&a, 1000 + i, i, 0, -1, buf, i) != 1)
			break;
	}
	T(imsgbuf_queuelen(&a) == 200, "many: 200 queued");
	T(imsgbuf_flush(&a) == 0, "many: flushed");
	T(imsgbuf_read(&b) == 1, "many: one read");
	got = bad = 0;
	while (imsg_get(&b, &imsg) > 0) {
		if (imsg_get_type(&imsg) != (uint32_t)(1000 + got) ||
		    imsg_get_len(&imsg) != (size_t)got ||
		    (got > 0 && !check(imsg.data, got, got)))
			bad++;
		got++;
		imsg_free(&imsg);
	}
	T(got == 200 && bad == 0, "many: all 200 from one read, in order "
	    "(%d, %d bad)", got, bad);

	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

static void
test_maxsize(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	unsigned char	*big;
	int		 sv[2];

	big = malloc(MAX_IMSGSIZE);
	fill(big, MAX_IMSGSIZE, 9);
	mkpair(sv, 0);
	imsgbuf_init(&a, sv[0]);
	imsgbuf_init(&b, sv[1]);

	T(imsg_compose(&a, 1, 0, 0, -1, big, MAX_IMSGSIZE - 16) == 1,
	    "maxsize: a message of exactly maxsize");
	errno = 0;
	T(imsg_compose(&a, 2, 0, 0, -1, big, MAX_IMSGSIZE - 15) == -1 &&
	    errno == ERANGE, "maxsize: one byte over is ERANGE");
	T(imsgbuf_queuelen(&a) == 1, "maxsize: nothing queued for it");
	errno = 0;
	T(imsg_create(&a, 2, 0, 0, MAX_IMSGSIZE - 15) == NULL &&
	    errno == ERANGE, "maxsize: imsg_create over is ERANGE");
	errno = 0;
	T(imsg_create(&a, 2, 0, 0, SIZE_MAX) == NULL && errno == ERANGE,
	    "maxsize: imsg_create of SIZE_MAX");
	imsgbuf_flush(&a);
	T(get_one(&b, &imsg) == MAX_IMSGSIZE &&
	    check(imsg.data, MAX_IMSGSIZE - 16, 9),
	    "maxsize: the maxsize message arrives");
	imsg_free(&imsg);

	errno = 0;
	T(imsgbuf_set_maxsize(&a, 15) == -1 && errno == EINVAL,
	    "set_maxsize: below the header is EINVAL");
	T(imsgbuf_set_maxsize(&a, 0x80000000U) == -1 &&
	    imsgbuf_set_maxsize(&a, UINT32_MAX) == -1,
	    "set_maxsize: 2^31 and more refused");
	T(a.maxsize == MAX_IMSGSIZE, "set_maxsize: failure changes nothing");
	T(imsgbuf_set_maxsize(&a, 16) == 0, "set_maxsize: 16 accepted");
	T(imsg_compose(&a, 1, 0, 0, -1, NULL, 0) == 1,
	    "maxsize 16: empty message fits");
	T(imsg_compose(&a, 1, 0, 0, -1, "x", 1) == -1 && errno == ERANGE,
	    "maxsize 16: one byte of payload does not");
	T(imsgbuf_set_maxsize(&a, 0x7fffffff) == 0,
	    "set_maxsize: 2^31-1 accepted");

	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
	close(sv[0]);
	close(sv[1]);
	free(big);
}

/* Headers a sender of ours would never write. */
static void
test_forged(void)
{
	static const uint32_t	 lens[] = { MAX_IMSGSIZE + 1, 15, 8, 0,
				    FD_MARK | 0x7fffffff, FD_MARK | 4 };
	struct imsgbuf		 b;
	struct imsg		 imsg;
	unsigned char		 raw[128];
	size_t			 len;
	unsigned int		 i;
	int			 sv[2];
	ssize_t			 n;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		mkpair(sv, 0);
		imsgbuf_init(&b, sv[1]);
		/* a good message, then the forged header and some bytes */
		len = mkraw(raw, 1, 20, 0, 0, "good", 4);
		len += mkraw(raw + len, 2, lens[i], 0, 0, "junkjunk", 8);
		xwrite(sv[0], raw, len);
		errno = 0;
		T(imsgbuf_read(&b) == -1 && errno == ERANGE,
		    "forged len %#x: imsgbuf_read fails ERANGE", lens[i]);
		n = imsg_get(&b, &imsg);
		T(n == 20 && imsg_get_type(&imsg) == 1,
		    "forged len %#x: the message before it is delivered",
		    lens[i]);
		if (n > 0)
			imsg_free(&imsg);
		errno = 0;
		T(imsg_get(&b, &imsg) == -1 && errno == ERANGE,
		    "forged len %#x: then imsg_get fails ERANGE", lens[i]);
		T(imsgbuf_get(&b, &imsg) == -1, "forged: imsgbuf_get too");
		xwrite(sv[0], raw, 20);
		errno = 0;
		T(imsgbuf_read(&b) == -1 && errno == ERANGE &&
		    imsg_get(&b, &imsg) == -1,
		    "forged len %#x: the channel stays broken", lens[i]);
		imsgbuf_clear(&b);
		close(sv[0]);
		close(sv[1]);
	}

	/* Alone in its read, and only a header: still refused. */
	mkpair(sv, 0);
	imsgbuf_init(&b, sv[1]);
	len = mkraw(raw, 1, MAX_IMSGSIZE + 1, 0, 0, NULL, 0);
	xwrite(sv[0], raw, len);
	T(imsgbuf_read(&b) == -1 && imsg_get(&b, &imsg) == -1 &&
	    errno == ERANGE, "forged: oversized header alone");
	imsgbuf_clear(&b);
	close(sv[0]);
	close(sv[1]);

	/* Exactly 16 is a valid empty message. */
	mkpair(sv, 0);
	imsgbuf_init(&b, sv[1]);
	len = mkraw(raw, 3, 16, 0, 0, NULL, 0);
	xwrite(sv[0], raw, len);
	T(imsgbuf_read(&b) == 1 && imsg_get(&b, &imsg) == 16 &&
	    imsg_get_type(&imsg) == 3, "len 16 is an empty message");
	imsg_free(&imsg);
	/* A mark without an fd is just a message without an fd. */
	len = mkraw(raw, 4, FD_MARK | 20, 0, 0, "abcd", 4);
	xwrite(sv[0], raw, len);
	T(imsgbuf_read(&b) == 1 && imsg_get(&b, &imsg) == 20 &&
	    imsg.hdr.len == 20 && imsg_get_fd(&imsg) == -1,
	    "fd mark without an fd: delivered, mark stripped");
	imsg_free(&imsg);
	imsgbuf_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

static void
test_fdpass(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	char		 buf[8];
	int		 sv[2], p[2], fd, sent, base;

	base = nfds();
	mkpair(sv, 0);
	xpipe(p);
	imsgbuf_init(&a, sv[0]);
	imsgbuf_init(&b, sv[1]);
	imsgbuf_allow_fdpass(&a);
	imsgbuf_allow_fdpass(&b);

	sent = p[1];
	T(imsg_compose(&a, 7, 0, 0, sent, "fd", 3) == 1, "fdpass: compose");
	T(fcntl(sent, F_GETFD) != -1, "fdpass: fd open while queued");
	T(imsgbuf_flush(&a) == 0, "fdpass: flush");
	errno = 0;
	T(fcntl(sent, F_GETFD) == -1 && errno == EBADF,
	    "fdpass: sender closed its fd after sending");

	T(get_one(&b, &imsg) == 19, "fdpass: message arrives");
	fd = imsg_get_fd(&imsg);
	T(fd >= 0, "fdpass: fd received");
	T(imsg_get_fd(&imsg) == -1, "fdpass: imsg_get_fd gives it only once");
	T(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC),
	    "fdpass: received fd is close-on-exec");
	imsg_free(&imsg);
	T(fd >= 0 && fcntl(fd, F_GETFD) != -1,
	    "fdpass: imsg_free leaves a claimed fd alone");
	T(write(fd, "ping", 4) == 4 && read(p[0], buf, sizeof(buf)) == 4 &&
	    memcmp(buf, "ping", 4) == 0, "fdpass: write through it, read back");
	close(fd);
	T(pipe_closed(p[0]), "fdpass: no other copy of the fd left");
	close(p[0]);

	/* Unclaimed: imsg_free closes it. */
	xpipe(p);
	imsg_compose(&a, 8, 0, 0, p[1], NULL, 0);
	imsgbuf_flush(&a);
	T(get_one(&b, &imsg) == 16 && ibuf_fd_avail(imsg.buf),
	    "fdpass: fd on an empty message");
	imsg_free(&imsg);
	T(pipe_closed(p[0]), "fdpass: imsg_free closed the unclaimed fd");
	close(p[0]);

	/* The sender has no fd passing: the fd is closed, not sent. */
	xpipe(p);
	a.flags = 0;	/* as if imsgbuf_allow_fdpass() was never called */
	T(imsg_compose(&a, 9, 0, 0, p[1], "y", 2) == 1 &&
	    imsgbuf_flush(&a) == 0, "no fdpass sender: message written");
	T(get_one(&b, &imsg) == 18 && imsg_get_fd(&imsg) == -1,
	    "no fdpass sender: no fd arrives");
	imsg_free(&imsg);
	T(pipe_closed(p[0]), "no fdpass sender: its fd was closed");
	close(p[0]);

	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
	close(sv[0]);
	close(sv[1]);
	T(nfds() == base, "fdpass: no descriptor leaked");
}

/* With several messages and fds queued, each fd lands on its message. */
static void
test_fd_order(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	char		 c;
	int		 sv[2], p1[2], p2[2], fds[6], i, base, ok = 1;

	base = nfds();
	mkpair(sv, 0);
	xpipe(p1);
	xpipe(p2);
	imsgbuf_init(&a, sv[0]);
	imsgbuf_init(&b, sv[1]);
	imsgbuf_allow_fdpass(&a);
	imsgbuf_allow_fdpass(&b);

	imsg_compose(&a, 0, 0, 0, -1, "A", 1);
	imsg_compose(&a, 1, 0, 0, p1[1], "B", 1);
	imsg_compose(&a, 2, 0, 0, -1, "C", 1);
	imsg_compose(&a, 3, 0, 0, p2[1], "D", 1);
	imsg_compose(&a, 4, 0, 0, -1, "E", 1);
	imsg_compose(&a, 5, 0, 0, -1, "F", 1);
	T(imsgbuf_flush(&a) == 0, "fd order: flush");
	for (i = 0; i < 6; i++) {
		if (get_one(&b, &imsg) != 17 || imsg_get_type(&imsg) !=
		    (uint32_t)i) {
			ok = 0;
			fds[i] = -1;
			continue;
		}
		fds[i] = imsg_get_fd(&imsg);
		imsg_free(&imsg);
	}
	T(ok, "fd order: six messages in order");
	T(fds[0] == -1 && fds[2] == -1 && fds[4] == -1 && fds[5] == -1,
	    "fd order: messages sent without fd have none");
	T(fds[1] >= 0 && fds[3] >= 0, "fd order: B and D have their fds");
	if (fds[1] >= 0 && fds[3] >= 0) {
		xwrite(fds[1], "1", 1);
		xwrite(fds[3], "3", 1);
		T(read(p1[0], &c, 1) == 1 && c == '1' &&
		    read(p2[0], &c, 1) == 1 && c == '3',
		    "fd order: B got the first pipe, D the second");
		close(fds[1]);
		close(fds[3]);
	}
	close(p1[0]);
	close(p2[0]);
	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
	close(sv[0]);
	close(sv[1]);
	T(nfds() == base, "fd order: no descriptor leaked");
}

/*
 * fds sent by hand: with a header that starts in the same read but is
 * preceded by another message; with a header cut in two; on a message
 * that did not announce one.
 */
static void
test_fd_raw(void)
{
	struct imsgbuf	 b;
	struct imsg	 imsg;
	unsigned char	 raw[128];
	size_t		 len;
	int		 sv[2], p[2], base, fd;

	base = nfds();
	mkpair(sv, 0);
	imsgbuf_init(&b, sv[1]);
	imsgbuf_allow_fdpass(&b);

	xpipe(p);
	len = mkraw(raw, 1, 20, 0, 0, "xxxx", 4);
	len += mkraw(raw + len, 2, FD_MARK | 20, 0, 0, "yyyy", 4);
	T(send_fds(sv[0], raw, len, &p[1], 1) == 0, "raw: sendmsg");
	close(p[1]);
	T(imsgbuf_read(&b) == 1, "raw: both in one read");
	T(imsg_get(&b, &imsg) == 20 && imsg_get_type(&imsg) == 1 &&
	    imsg_get_fd(&imsg) == -1, "raw: unmarked first message: no fd");
	imsg_free(&imsg);
	T(imsg_get(&b, &imsg) == 20 && imsg_get_type(&imsg) == 2,
	    "raw: marked second message");
	fd = imsg_get_fd(&imsg);
	T(fd >= 0 && write(fd, "z", 1) == 1 && read(p[0], raw, 1) == 1 &&
	    raw[0] == 'z', "raw: and it has the fd");
	imsg_free(&imsg);
	if (fd >= 0)
		close(fd);
	T(pipe_closed(p[0]), "raw: no copy left");
	close(p[0]);

	/* The fd comes with the first 5 bytes of its header. */
	xpipe(p);
	len = mkraw(raw, 3, FD_MARK | 20, 0, 0, "wwww", 4);
	T(send_fds(sv[0], raw, 5, &p[1], 1) == 0, "split: first 5 bytes");
	close(p[1]);
	T(imsgbuf_read(&b) == 1 && imsg_get(&b, &imsg) == 0,
	    "split: nothing yet");
	xwrite(sv[0], raw + 5, len - 5);
	T(imsgbuf_read(&b) == 1 && imsg_get(&b, &imsg) == 20,
	    "split: message complete");
	fd = imsg_get_fd(&imsg);
	T(fd >= 0, "split: the fd waited for its header");
	imsg_free(&imsg);
	if (fd >= 0)
		close(fd);
	T(pipe_closed(p[0]), "split: no copy left");
	close(p[0]);

	/* An fd on a message that does not announce one is closed. */
	xpipe(p);
	len = mkraw(raw, 4, 20, 0, 0, "vvvv", 4);
	send_fds(sv[0], raw, len, &p[1], 1);
	close(p[1]);
	T(imsgbuf_read(&b) == 1 && imsg_get(&b, &imsg) == 20 &&
	    imsg_get_fd(&imsg) == -1, "unannounced fd: not attached");
	imsg_free(&imsg);
	T(pipe_closed(p[0]), "unannounced fd: closed");
	close(p[0]);

	/* Two fds for one message: the first is kept, the other closed. */
	{
		int	 p2[2], two[2];

		xpipe(p);
		xpipe(p2);
		two[0] = p[1];
		two[1] = p2[1];
		len = mkraw(raw, 5, FD_MARK | 20, 0, 0, "uuuu", 4);
		send_fds(sv[0], raw, len, two, 2);
		close(p[1]);
		close(p2[1]);
		T(imsgbuf_read(&b) == 1 && imsg_get(&b, &imsg) == 20,
		    "two fds: message");
		fd = imsg_get_fd(&imsg);
		T(fd >= 0 && write(fd, "t", 1) == 1 && read(p[0], raw, 1) == 1,
		    "two fds: the first is attached");
		T(pipe_closed(p2[0]), "two fds: the second is closed");
		imsg_free(&imsg);
		if (fd >= 0)
			close(fd);
		close(p[0]);
		close(p2[0]);
	}

	imsgbuf_clear(&b);
	close(sv[0]);
	close(sv[1]);
	T(nfds() == base, "raw fds: no descriptor leaked");
}

/* A receiver without fd passing closes what it gets. */
static void
test_fd_refused(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	int		 sv[2], p[2], base;

	base = nfds();
	mkpair(sv, 0);
	xpipe(p);
	imsgbuf_init(&a, sv[0]);
	imsgbuf_init(&b, sv[1]);
	imsgbuf_allow_fdpass(&a);	/* only the sender */

	imsg_compose(&a, 1, 0, 0, p[1], "q", 2);
	imsgbuf_flush(&a);
	T(get_one(&b, &imsg) == 18, "refused: message still delivered");
	T(imsg_get_fd(&imsg) == -1, "refused: without an fd");
	imsg_free(&imsg);
	T(pipe_closed(p[0]), "refused: the fd was closed");
	close(p[0]);
	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
	close(sv[0]);
	close(sv[1]);
	T(nfds() == base, "refused: /proc/self/fd count unchanged");
}

/* More fds than the control buffer holds: MSG_CTRUNC. */
static void
test_fd_ctrunc(void)
{
	struct imsgbuf	 b;
	struct imsg	 imsg;
	unsigned char	 raw[64];
	size_t		 len;
	int		 sv[2], p[2], fds[6], base, i, pass, r;

	for (pass = 0; pass < 2; pass++) {
		base = nfds();
		mkpair(sv, 0);
		imsgbuf_init(&b, sv[1]);
		if (pass)
			imsgbuf_allow_fdpass(&b);
		xpipe(p);
		for (i = 0; i < 6; i++)
			fds[i] = dup(p[1]);
		len = mkraw(raw, 6, FD_MARK | 20, 0, 0, "ssss", 4);
		send_fds(sv[0], raw, len, fds, 6);
		for (i = 0; i < 6; i++)
			close(fds[i]);
		close(p[1]);
		errno = 0;
		r = imsgbuf_read(&b);
		if (pass)
			T(r == -1 && errno == EMSGSIZE,
			    "ctrunc with fdpass: imsgbuf_read fails EMSGSIZE");
		else
			T(r == 1, "ctrunc without fdpass: ignored");
		T(imsg_get(&b, &imsg) == 20 && imsg_get_fd(&imsg) == -1,
		    "ctrunc(%d): stream in sync, message without fd", pass);
		imsg_free(&imsg);
		T(pipe_closed(p[0]), "ctrunc(%d): every fd closed", pass);
		close(p[0]);
		/* the channel still works */
		len = mkraw(raw, 7, 16, 0, 0, NULL, 0);
		xwrite(sv[0], raw, len);
		T(imsgbuf_read(&b) == 1 && imsg_get(&b, &imsg) == 16,
		    "ctrunc(%d): next message fine", pass);
		imsg_free(&imsg);
		imsgbuf_clear(&b);
		close(sv[0]);
		close(sv[1]);
		T(nfds() == base, "ctrunc(%d): no descriptor leaked", pass);
	}
}

static void
test_clear(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	unsigned char	 raw[64];
	size_t		 len;
	int		 sv[2], p[2];

	mkpair(sv, 0);
	xpipe(p);
	imsgbuf_init(&a, sv[0]);
	imsgbuf_allow_fdpass(&a);
	imsg_compose(&a, 1, 0, 0, p[1], "c", 1);
	imsg_compose(&a, 2, 0, 0, -1, "d", 1);
	T(imsgbuf_queuelen(&a) == 2, "clear: two queued");
	imsgbuf_clear(&a);
	T(imsgbuf_queuelen(&a) == 0, "clear: queue gone");
	T(pipe_closed(p[0]), "clear: queued fd closed");
	close(p[0]);
	errno = 0;
	T(imsg_compose(&a, 3, 0, 0, -1, NULL, 0) == -1 && errno == EINVAL,
	    "clear: a dead imsgbuf refuses compose");
	T(imsgbuf_read(&a) == -1 && imsgbuf_write(&a) == -1 &&
	    imsg_get(&a, &imsg) == -1, "clear: and reads, writes, gets");
	T(fcntl(sv[0], F_GETFD) != -1, "clear: the socket stays open");

	/* Clearing with received messages and a half message pending. */
	imsgbuf_init(&b, sv[1]);
	len = mkraw(raw, 1, 20, 0, 0, "eeee", 4);
	len += mkraw(raw + len, 2, 40, 0, 0, "ffff", 4);
	xwrite(sv[0], raw, len);
	T(imsgbuf_read(&b) == 1, "clear: read one and a half");
	imsgbuf_clear(&b);	/* ASan: nothing leaks */
	close(sv[0]);
	close(sv[1]);
}

static void
test_eof_epipe(void)
{
	struct imsgbuf	 a, b;
	int		 sv[2];

	mkpair(sv, 0);
	imsgbuf_init(&a, sv[0]);
	imsgbuf_init(&b, sv[1]);
	close(sv[0]);
	T(imsgbuf_read(&b) == 0, "eof: imsgbuf_read returns 0");
	T(imsg_compose(&b, 1, 0, 0, -1, "z", 1) == 1, "epipe: compose");
	errno = 0;
	T(imsgbuf_write(&b) == -1 && errno == EPIPE,
	    "epipe: imsgbuf_write fails EPIPE, no SIGPIPE");
	T(imsgbuf_queuelen(&b) == 1, "epipe: message still queued");
	errno = 0;
	T(imsgbuf_flush(&b) == -1 && errno == EPIPE, "epipe: flush too");
	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
	close(sv[1]);
}

static void
test_accessors(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	struct ibuf	*p, view;
	unsigned char	 out[16];
	char		 str[16];
	uint32_t	 u32;
	uint16_t	 u16;
	int		 sv[2];

	mkpair(sv, 0);
	imsgbuf_init(&a, sv[0]);
	imsgbuf_init(&b, sv[1]);

	imsg_compose(&a, 1, 0, 0, -1, "12345678", 8);
	imsgbuf_flush(&a);
	get_one(&b, &imsg);
	errno = 0;
	T(imsg_get_data(&imsg, out, 4) == -1 && errno == EBADMSG,
	    "get_data: shorter than the payload is EBADMSG");
	errno = 0;
	T(imsg_get_data(&imsg, out, 16) == -1 && errno == EBADMSG,
	    "get_data: longer than the payload is EBADMSG");
	T(imsg_get_len(&imsg) == 8, "get_data: failures consume nothing");
	T(imsg_get_data(&imsg, out, 8) == 0 && memcmp(out, "12345678", 8) == 0,
	    "get_data: exact size works");
	T(imsg_get_len(&imsg) == 0, "get_data: payload consumed");
	imsg_free(&imsg);

	/* a fixed string field, then a number */
	p = ibuf_dynamic(0, 64);
	ibuf_add_strbuf(p, "abc", 8);
	ibuf_add_n32(p, 0xdeadbeef);
	T(imsg_compose_ibuf(&a, 2, 0, 0, p) == 1, "compose_ibuf");
	imsg_compose(&a, 3, 0, 0, -1, "abcdefgh", 8);
	imsg_compose(&a, 4, 0, 0, -1, NULL, 0);
	imsg_compose(&a, 5, 0, 0, -1, "\x01\x02\x03\x04\x05", 5);
	imsgbuf_flush(&a);

	get_one(&b, &imsg);
	T(imsg_get_strbuf(&imsg, str, 8) == 0 && strcmp(str, "abc") == 0,
	    "get_strbuf: string field");
	T(imsg_get_buf(&imsg, &u32, 4) == 0 && be32toh(u32) == 0xdeadbeef,
	    "get_buf: next 4 bytes");
	errno = 0;
	T(imsg_get_buf(&imsg, out, 1) == -1 && errno == EBADMSG,
	    "get_buf: past the end is EBADMSG");
	imsg_free(&imsg);

	get_one(&b, &imsg);
	errno = 0;
	memset(str, 'x', sizeof(str));
	T(imsg_get_strbuf(&imsg, str, 8) == -1 && errno == EOVERFLOW &&
	    str[0] == '\0', "get_strbuf: no NUL in the field fails, empty");
	T(imsg_get_len(&imsg) == 8, "get_strbuf: failure consumes nothing");
	errno = 0;
	T(imsg_get_strbuf(&imsg, str, 9) == -1 && errno == EBADMSG,
	    "get_strbuf: field longer than the payload");
	errno = 0;
	T(imsg_get_strbuf(&imsg, str, 0) == -1 && errno == EINVAL,
	    "get_strbuf: zero length");
	T(imsg_get_buf(&imsg, out, 8) == 0 && memcmp(out, "abcdefgh", 8) == 0,
	    "get_buf: the raw bytes are still there");
	imsg_free(&imsg);

	get_one(&b, &imsg);
	errno = 0;
	T(imsg_get_ibuf(&imsg, &view) == -1 && errno == EBADMSG,
	    "get_ibuf: empty payload is EBADMSG");
	imsg_free(&imsg);

	get_one(&b, &imsg);
	T(imsg_get_ibuf(&imsg, &view) == 0 && ibuf_size(&view) == 5,
	    "get_ibuf: view of the payload");
	T(ibuf_get_n16(&view, &u16) == 0 && u16 == 0x0102,
	    "get_ibuf: n16 in network order");
	errno = 0;
	T(ibuf_get_n32(&view, &u32) == -1 && errno == EBADMSG,
	    "get_ibuf: short read is EBADMSG");
	T(ibuf_left(&view) == 0 && ibuf_reserve(&view, 1) == NULL,
	    "get_ibuf: the view is read-only");
	ibuf_free(&view);	/* a view: ignored */
	T(imsg_get_len(&imsg) == 0, "get_ibuf: payload consumed");
	imsg_free(&imsg);

	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

static void
test_build(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	struct ibuf	*w, *p;
	struct iovec	 iov[3];
	unsigned char	 big[64];
	int		 sv[2];

	mkpair(sv, 0);
	imsgbuf_init(&a, sv[0]);
	imsgbuf_init(&b, sv[1]);

	w = imsg_create(&a, 10, 11, 12, 0);
	T(w != NULL, "create: with no room reserved");
	T(imsg_add(w, "foo", 3) == 3 && imsg_add(w, "", 0) == 0 &&
	    imsg_add(w, "barbaz", 7) == 7, "add: returns the length added");
	T(imsgbuf_queuelen(&a) == 0, "create: nothing queued before close");
	imsg_close(&a, w);
	T(imsgbuf_queuelen(&a) == 1, "close: queued");

	iov[0].iov_base = "one ";
	iov[0].iov_len = 4;
	iov[1].iov_base = "";
	iov[1].iov_len = 0;
	iov[2].iov_base = "two";
	iov[2].iov_len = 4;
	T(imsg_composev(&a, 20, 0, 0, -1, iov, 3) == 1, "composev");
	imsgbuf_flush(&a);

	T(get_one(&b, &imsg) == 26 && imsg_get_type(&imsg) == 10 &&
	    imsg_get_id(&imsg) == 11 && imsg_get_pid(&imsg) == 12 &&
	    memcmp(imsg.data, "foobarbaz", 10) == 0,
	    "create/add/close: message as built");
	imsg_free(&imsg);
	T(get_one(&b, &imsg) == 24 && strcmp(imsg.data, "one two") == 0,
	    "composev: pieces joined");
	imsg_free(&imsg);

	/* limits: maxsize 64 means 48 bytes of payload */
	imsgbuf_set_maxsize(&a, 64);
	memset(big, 'b', sizeof(big));
	w = imsg_create(&a, 1, 0, 0, 48);
	T(w != NULL, "create: payload of maxsize - 16");
	ibuf_free(w);
	w = imsg_create(&a, 1, 0, 0, 0);
	T(imsg_add(w, big, 40) == 40, "add: within maxsize");
	errno = 0;
	T(imsg_add(w, big, 9) == -1 && errno == ERANGE,
	    "add: past maxsize fails (and frees the message)");
	errno = 0;
	T(imsg_add(NULL, big, 1) == -1 && errno == EINVAL, "add: NULL");
	imsg_close(&a, NULL);
	iov[0].iov_base = big;
	iov[0].iov_len = 40;
	iov[1].iov_base = big;
	iov[1].iov_len = 9;
	errno = 0;
	T(imsg_composev(&a, 1, 0, 0, -1, iov, 2) == -1 && errno == ERANGE,
	    "composev: over maxsize is ERANGE");
	p = ibuf_open(49);
	ibuf_add(p, big, 49);
	errno = 0;
	T(imsg_compose_ibuf(&a, 1, 0, 0, p) == -1 && errno == ERANGE,
	    "compose_ibuf: over maxsize is ERANGE (and frees the ibuf)");
	T(imsgbuf_queuelen(&a) == 0, "limits: nothing was queued");

	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

static void
test_forward(void)
{
	struct imsgbuf	 a, b, b2, c;
	struct imsg	 imsg, fwd;
	char		 part[3];
	int		 s1[2], s2[2], p[2], fd;

	mkpair(s1, 0);
	mkpair(s2, 0);
	xpipe(p);
	imsgbuf_init(&a, s1[0]);
	imsgbuf_init(&b, s1[1]);
	imsgbuf_init(&b2, s2[0]);
	imsgbuf_init(&c, s2[1]);
	imsgbuf_allow_fdpass(&a);
	imsgbuf_allow_fdpass(&b);
	imsgbuf_allow_fdpass(&b2);
	imsgbuf_allow_fdpass(&c);

	imsg_compose(&a, 77, 5, 4321, p[1], "forward me", 11);
	imsgbuf_flush(&a);
	T(get_one(&b, &imsg) == 27, "forward: received");
	T(imsg_get_buf(&imsg, part, 3) == 0 && memcmp(part, "for", 3) == 0,
	    "forward: part of the payload consumed first");
	T(imsg_forward(&b2, &imsg) == 1 && imsg_forward(&b2, &imsg) == 1,
	    "forward: twice");
	imsgbuf_flush(&b2);
	fd = imsg_get_fd(&imsg);
	T(fd >= 0, "forward: the original keeps its fd");
	imsg_free(&imsg);
	if (fd >= 0)
		close(fd);

	T(get_one(&c, &fwd) == 27 && imsg_get_type(&fwd) == 77 &&
	    imsg_get_id(&fwd) == 5 && imsg_get_pid(&fwd) == 4321 &&
	    strcmp(fwd.data, "forward me") == 0,
	    "forward: header and whole payload unaltered");
	T(imsg_get_fd(&fwd) == -1, "forward: fd not forwarded");
	imsg_free(&fwd);
	T(get_one(&c, &fwd) == 27, "forward: second copy");
	imsg_free(&fwd);
	T(pipe_closed(p[0]), "forward: no stray copy of the fd");
	close(p[0]);

	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
	imsgbuf_clear(&b2);
	imsgbuf_clear(&c);
	close(s1[0]);
	close(s1[1]);
	close(s2[0]);
	close(s2[1]);
}

/* 200 KiB in one message: many reads, and refused by a default peer. */
static void
test_large(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	struct pollfd	 pfd[2];
	unsigned char	*big;
	size_t		 len = 200 * 1024;
	ssize_t		 n = 0;
	int		 sv[2], reads = 0, rounds;

	big = malloc(len);
	fill(big, len, 17);
	mkpair(sv, 1);
	imsgbuf_init(&a, sv[0]);
	imsgbuf_init(&b, sv[1]);
	errno = 0;
	T(imsg_compose(&a, 1, 0, 0, -1, big, len) == -1 && errno == ERANGE,
	    "large: over the default maxsize");
	T(imsgbuf_set_maxsize(&a, 256 * 1024) == 0 &&
	    imsgbuf_set_maxsize(&b, 256 * 1024) == 0, "large: set_maxsize");
	T(imsg_compose(&a, 1, 0, 0, -1, big, len) == 1, "large: compose");

	for (rounds = 0; rounds < 10000 && n == 0; rounds++) {
		if (imsgbuf_write(&a) == -1)
			break;
		pfd[0].fd = sv[1];
		pfd[0].events = POLLIN;
		if (poll(pfd, 1, 2000) != 1)
			break;
		if (imsgbuf_read(&b) != 1)
			break;
		reads++;
		n = imsg_get(&b, &imsg);
	}
	T(n == (ssize_t)(len + 16), "large: message complete (%zd)", n);
	T(reads > 1, "large: it took several reads (%d)", reads);
	if (n > 0) {
		T(imsg_get_len(&imsg) == len && check(imsg.data, len, 17),
		    "large: payload intact");
		imsg_free(&imsg);
	}

	/* A receiver with the default maxsize refuses it. */
	imsgbuf_clear(&b);
	imsgbuf_init(&b, sv[1]);
	imsg_compose(&a, 1, 0, 0, -1, big, len);
	imsgbuf_write(&a);
	errno = 0;
	T(imsgbuf_read(&b) == -1 && errno == ERANGE,
	    "large: default receiver says ERANGE");

	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
	close(sv[0]);
	close(sv[1]);
	free(big);
}

/* flush on a full non-blocking socket waits for the reader. */
static void
test_flush_nonblock(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	unsigned char	*buf;
	size_t		 len = 16000;
	pid_t		 pid;
	int		 sv[2], i, status, got, bad;

	buf = malloc(len);
	mkpair(sv, 0);
	fflush(stdout);
	switch ((pid = fork())) {
	case -1:
		perror("fork");
		exit(2);
	case 0:
		close(sv[0]);
		imsgbuf_init(&b, sv[1]);
		got = bad = 0;
		while (get_one(&b, &imsg) > 0) {
			if (imsg_get_len(&imsg) != len ||
			    !check(imsg.data, len, got))
				bad++;
			got++;
			imsg_free(&imsg);
		}
		imsgbuf_clear(&b);
		_exit(got == 100 && bad == 0 ? 0 : 1);
	}
	close(sv[1]);
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	imsgbuf_init(&a, sv[0]);
	for (i = 0; i < 100; i++) {
		fill(buf, len, i);
		imsg_compose(&a, 1, 0, 0, -1, buf, len);
	}
	T(imsgbuf_flush(&a) == 0 && imsgbuf_queuelen(&a) == 0,
	    "flush: 1.6 MB through a non-blocking socket");
	imsgbuf_clear(&a);
	close(sv[0]);
	T(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "flush: reader got all 100 intact");
	free(buf);
}

/* Not a socket: a pipe carries messages too (without fds). */
static void
test_pipe(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	int		 p[2];

	xpipe(p);
	imsgbuf_init(&a, p[1]);
	imsgbuf_init(&b, p[0]);
	T(imsg_compose(&a, 5, 0, 0, -1, "pipe", 5) == 1 &&
	    imsgbuf_flush(&a) == 0, "pipe: written");
	T(get_one(&b, &imsg) == 21 && strcmp(imsg.data, "pipe") == 0,
	    "pipe: read");
	imsg_free(&imsg);
	close(p[1]);
	T(imsgbuf_read(&b) == 0, "pipe: eof");
	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
	close(p[0]);
}

static void
test_ibuf(void)
{
	struct ibuf	*b, view, sub;
	unsigned char	 raw[16], *q;
	uint8_t		 u8;
	uint16_t	 u16 = 0x5555;
	uint32_t	 u32;
	uint64_t	 u64;
	char		*s, str[8];
	int		 p[2];

	/* fixed size */
	b = ibuf_open(4);
	T(b != NULL && ibuf_size(b) == 0 && ibuf_left(b) == 4, "open: empty");
	T(ibuf_add(b, "abcd", 4) == 0 && ibuf_left(b) == 0, "open: fill");
	errno = 0;
	T(ibuf_add(b, "e", 1) == -1 && errno == ERANGE,
	    "open: cannot grow (ERANGE)");
	T(ibuf_add(b, NULL, 0) == 0, "add: zero bytes always fit");
	T(ibuf_size(b) == 4 && memcmp(ibuf_data(b), "abcd", 4) == 0,
	    "open: contents");
	ibuf_free(b);
	ibuf_free(NULL);

	/* dynamic */
	errno = 0;
	T(ibuf_dynamic(10, 5) == NULL && errno == EINVAL,
	    "dynamic: max below len is EINVAL");
	T(ibuf_dynamic(0, 0) == NULL, "dynamic: max 0 refused");
	b = ibuf_dynamic(0, 1000);
	T(ibuf_add_n8(b, 0xfe) == 0 && ibuf_add_n16(b, 0x1234) == 0 &&
	    ibuf_add_n32(b, 0x89abcdef) == 0 &&
	    ibuf_add_n64(b, 0x0102030405060708ULL) == 0,
	    "add_n*: in range");
	errno = 0;
	T(ibuf_add_n8(b, 256) == -1 && errno == EINVAL,
	    "add_n8: 256 is EINVAL");
	errno = 0;
	T(ibuf_add_n16(b, 65536) == -1 && errno == EINVAL,
	    "add_n16: 65536 is EINVAL");
	errno = 0;
	T(ibuf_add_n32(b, 1ULL << 32) == -1 && errno == EINVAL,
	    "add_n32: 2^32 is EINVAL");
	T(ibuf_add_h16(b, 65536) == -1 && ibuf_add_h32(b, 1ULL << 32) == -1,
	    "add_h*: range checked");
	T(ibuf_size(b) == 15, "add_n*: failures add nothing");
	q = ibuf_data(b);
	T(q[0] == 0xfe && q[1] == 0x12 && q[2] == 0x34 && q[3] == 0x89 &&
	    q[6] == 0xef && q[7] == 0x01 && q[14] == 0x08,
	    "add_n*: network byte order");
	T(ibuf_get_n8(b, &u8) == 0 && u8 == 0xfe &&
	    ibuf_get_n16(b, &u16) == 0 && u16 == 0x1234 &&
	    ibuf_get_n32(b, &u32) == 0 && u32 == 0x89abcdef &&
	    ibuf_get_n64(b, &u64) == 0 && u64 == 0x0102030405060708ULL,
	    "get_n*: round trip");
	u16 = 0x5555;
	errno = 0;
	T(ibuf_get_n16(b, &u16) == -1 && errno == EBADMSG && u16 == 0x5555,
	    "get_n16: empty is EBADMSG, value untouched");
	T(ibuf_get_n8(b, &u8) == -1 && ibuf_get_n64(b, &u64) == -1,
	    "get_n*: nothing left");
	ibuf_rewind(b);
	T(ibuf_size(b) == 15 && ibuf_skip(b, 3) == 0 && ibuf_size(b) == 12,
	    "rewind and skip");
	errno = 0;
	T(ibuf_skip(b, 13) == -1 && errno == EBADMSG && ibuf_size(b) == 12,
	    "skip: past the end is EBADMSG");
	T(ibuf_add_zero(b, 985) == 0 && ibuf_left(b) == 0,
	    "dynamic: grows up to max");
	errno = 0;
	T(ibuf_add_zero(b, 1) == -1 && errno == ERANGE,
	    "dynamic: not past max");
	T(ibuf_truncate(b, 2) == 0 && ibuf_size(b) == 2, "truncate: down");
	T(ibuf_truncate(b, 5) == 0 && ibuf_size(b) == 5 &&
	    ((unsigned char *)ibuf_data(b))[4] == 0, "truncate: up, zeroed");
	ibuf_free(b);

	/* seek and set */
	b = ibuf_dynamic(8, 64);
	ibuf_add(b, "0123456789", 10);
	T(ibuf_seek(b, 8, 2) != NULL && ibuf_seek(b, 10, 0) != NULL,
	    "seek: up to the end");
	errno = 0;
	T(ibuf_seek(b, 9, 2) == NULL && errno == ERANGE,
	    "seek: past the end is ERANGE");
	T(ibuf_seek(b, SIZE_MAX, 2) == NULL && ibuf_seek(b, 2, SIZE_MAX) ==
	    NULL, "seek: no overflow");
	T(ibuf_set(b, 2, "ab", 2) == 0 && memcmp(ibuf_data(b), "01ab", 4) == 0,
	    "set: in place");
	T(ibuf_set(b, 9, "ab", 2) == -1, "set: out of range");
	T(ibuf_set_n16(b, 0, 0x4142) == 0 &&
	    memcmp(ibuf_data(b), "AB", 2) == 0, "set_n16: network order");
	T(ibuf_set_n8(b, 0, 300) == -1 && errno == EINVAL,
	    "set_n8: range checked");
	T(ibuf_set_n32(b, 8, 1) == -1, "set_n32: out of range");
	ibuf_skip(b, 4);
	T(ibuf_set(b, 0, "Z", 1) == 0 &&
	    ((char *)ibuf_data(b))[0] == 'Z', "set: relative to read pos");

	/* views */
	ibuf_from_ibuf(&view, b);
	T(ibuf_size(&view) == 6 && ibuf_left(&view) == 0,
	    "from_ibuf: same bytes, no room");
	T(ibuf_get_ibuf(&view, 2, &sub) == 0 && ibuf_size(&sub) == 2 &&
	    memcmp(ibuf_data(&sub), "Z5", 2) == 0 && ibuf_size(&view) == 4,
	    "get_ibuf: sub view");
	errno = 0;
	T(ibuf_get_ibuf(&view, 5, &sub) == -1 && errno == EBADMSG,
	    "get_ibuf: too long");
	T(ibuf_add(&view, "x", 1) == -1 && ibuf_truncate(&view, 10) == -1,
	    "view: cannot grow");
	T(ibuf_truncate(&view, 1) == 0 && ibuf_add(&view, "y", 1) == -1 &&
	    errno == EINVAL, "view: truncated, still cannot be added to");
	T(ibuf_size(b) == 6 && memcmp(ibuf_data(b), "Z56789", 6) == 0,
	    "from_ibuf: source untouched");
	xpipe(p);
	ibuf_fd_set(&view, p[1]);	/* closes it: a view holds no fd */
	T(pipe_closed(p[0]) && !ibuf_fd_avail(&view),
	    "view: fd given to a view is closed");
	close(p[0]);
	ibuf_free(b);
	ibuf_from_buffer(&view, raw, 0);
	T(ibuf_size(&view) == 0 && ibuf_get(&view, raw, 1) == -1,
	    "from_buffer: empty view");

	/* strings */
	b = ibuf_dynamic(0, 64);
	errno = 0;
	T(ibuf_add_strbuf(b, "toolong", 7) == -1 && errno == EOVERFLOW &&
	    ibuf_size(b) == 0, "add_strbuf: no room for NUL, nothing added");
	T(ibuf_add_strbuf(b, "x", 0) == -1, "add_strbuf: zero length");
	T(ibuf_add_strbuf(b, "hi", 4) == 0 && ibuf_size(b) == 4 &&
	    memcmp(ibuf_data(b), "hi\0\0", 4) == 0, "add_strbuf: padded");
	ibuf_add(b, "abc", 3);
	T(ibuf_get_strbuf(b, str, 4) == 0 && strcmp(str, "hi") == 0,
	    "get_strbuf: field");
	s = ibuf_get_string(b, 2);
	T(s != NULL && strcmp(s, "ab") == 0, "get_string: two bytes");
	free(s);
	errno = 0;
	T(ibuf_get_string(b, 2) == NULL && errno == EBADMSG,
	    "get_string: past the end is EBADMSG");
	s = ibuf_get_string(b, 0);
	T(s != NULL && s[0] == '\0', "get_string: zero bytes");
	free(s);
	ibuf_free(b);

	/* fds */
	b = ibuf_open(1);
	T(!ibuf_fd_avail(b) && ibuf_fd_get(b) == -1, "fd: none");
	xpipe(p);
	ibuf_fd_set(b, p[1]);
	T(ibuf_fd_avail(b), "fd: set");
	ibuf_fd_set(b, -1);
	T(!ibuf_fd_avail(b) && pipe_closed(p[0]), "fd: replacing closes");
	close(p[0]);
	xpipe(p);
	ibuf_fd_set(b, p[1]);
	T(ibuf_fd_get(b) == p[1] && !ibuf_fd_avail(b), "fd: get takes it");
	ibuf_fd_set(b, p[1]);
	ibuf_free(b);
	T(pipe_closed(p[0]), "fd: ibuf_free closes it");
	close(p[0]);

	/* growth by many small appends keeps the bytes */
	b = ibuf_dynamic(1, 100000);
	for (u32 = 0; u32 < 20000; u32++)
		if (ibuf_add_h32(b, u32) == -1)
			break;
	T(u32 == 20000 && ibuf_size(b) == 80000, "dynamic: 20000 appends");
	for (u32 = 0; u32 < 20000; u32++) {
		uint32_t v;

		if (ibuf_get_h32(b, &v) == -1 || v != u32)
			break;
	}
	T(u32 == 20000, "dynamic: read back in order");
	ibuf_free(b);

	/* msgbuf on its own */
	{
		struct msgbuf	*m;
		int		 sv[2];
		char		 got[8];

		mkpair(sv, 0);
		m = msgbuf_new();
		b = ibuf_open(3);
		ibuf_add(b, "abc", 3);
		ibuf_close(m, b);
		b = ibuf_open(3);
		ibuf_add(b, "def", 3);
		ibuf_close(m, b);
		T(msgbuf_queuelen(m) == 2, "msgbuf: two queued");
		T(ibuf_write(sv[0], m) == 0 && msgbuf_queuelen(m) == 0,
		    "msgbuf: ibuf_write");
		T(read(sv[1], got, sizeof(got)) == 6 &&
		    memcmp(got, "abcdef", 6) == 0, "msgbuf: bytes in order");
		T(ibuf_read(sv[1], m) == -1 && errno == EINVAL,
		    "msgbuf: no reader without msgbuf_new_reader");
		msgbuf_free(m);
		close(sv[0]);
		close(sv[1]);
	}
}

int
main(void)
{
	int	 base;

	signal(SIGPIPE, SIG_DFL);	/* EPIPE must come without it */
	base = nfds();

	test_roundtrip(0);
	test_roundtrip(1);
	test_wire();
	test_partial();
	test_merged();
	test_maxsize();
	test_forged();
	test_fdpass();
	test_fd_order();
	test_fd_raw();
	test_fd_refused();
	test_fd_ctrunc();
	test_clear();
	test_eof_epipe();
	test_accessors();
	test_build();
	test_forward();
	test_large();
	test_flush_nonblock();
	test_pipe();
	test_ibuf();

	T(nfds() == base, "no descriptor leaked overall (%d, %d)", base,
	    nfds());
	return (test_done());
}
