/*
 * ibuf and msgbuf: bounds-checked buffers and the queues that carry them
 * over a socket, with the OpenBSD 7.7 names and semantics (ibuf_add(3)).
 * Written for routstrd; the upstream library is not packaged for Debian.
 *
 * Linux notes, where this differs from or refines the upstream behaviour:
 * - every write goes through sendmsg(2) with MSG_NOSIGNAL, so a closed
 *   peer gives EPIPE instead of SIGPIPE (writev(2) is the fallback when
 *   the descriptor is not a socket);
 * - every read goes through recvmsg(2) with MSG_CMSG_CLOEXEC and a control
 *   buffer, so descriptors that arrive on a reader without fd passing are
 *   closed here rather than left to chance;
 * - Linux does not fail with EMSGSIZE when descriptors do not fit the
 *   control buffer: it drops them and sets MSG_CTRUNC.  With fd passing on,
 *   msgbuf_read() then closes whatever did arrive, still frames the data
 *   (the stream stays in sync) and returns -1 with errno EMSGSIZE;
 * - a received descriptor waits for the header that begins in the same
 *   read even when that header is completed only by a later read;
 * - malformed input never aborts: a framing error is remembered and every
 *   later read fails with the same errno; misuse of a borrowed buffer
 *   (ibuf_from_buffer()) is ignored instead of calling abort().
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"

/* fd value of an ibuf that borrows its memory: never grown nor freed. */
#define IBUF_BORROWED	-2

/* At most this many buffers are gathered into one sendmsg(). */
#define MSGBUF_IOVMAX	128

struct msgbuf {
	TAILQ_HEAD(, ibuf)	 bufs;		/* write queue */
	TAILQ_HEAD(, ibuf)	 rbufs;		/* complete messages read */
	uint32_t		 queued;

	/* reader side, see msgbuf_new_reader() */
	unsigned char		*rbuf;		/* IBUF_READ_SIZE bytes */
	size_t			 roff;		/* bytes of a header in rbuf */
	size_t			 hdrsize;
	struct ibuf		*rmsg;		/* message being filled */
	struct ibuf		*(*readhdr)(struct ibuf *, void *, int *);
	void			*rarg;
	int			 rfd;		/* received, not yet claimed */
	int			 rerr;		/* sticky framing error */
};

static int	 ibuf_grow(struct ibuf *, size_t);
static void	 msgbuf_enqueue(struct msgbuf *, struct ibuf *);
static void	 msgbuf_dequeue(struct msgbuf *, struct ibuf *);
static void	 msgbuf_drain(struct msgbuf *, size_t);
static int	 msgbuf_send(int, struct msgbuf *, int);
static int	 msgbuf_recv(int, struct msgbuf *, int);
static int	 msgbuf_frame(struct msgbuf *);
static void	 closefd_keeperrno(int);

struct ibuf *
ibuf_open(size_t len)
{
	struct ibuf	*buf;

	if ((buf = calloc(1, sizeof(*buf))) == NULL)
		return (NULL);
	if (len > 0 && (buf->buf = calloc(len, 1)) == NULL) {
		free(buf);
		return (NULL);
	}
	buf->size = buf->max = len;
	buf->fd = -1;
	return (buf);
}

struct ibuf *
ibuf_dynamic(size_t len, size_t max)
{
	struct ibuf	*buf;

	if (max == 0 || max < len) {
		errno = EINVAL;
		return (NULL);
	}
	if ((buf = ibuf_open(len)) == NULL)
		return (NULL);
	buf->max = max;
	return (buf);
}

/* Make room for want bytes in total; memory moved is wiped (secrets). */
static int
ibuf_grow(struct ibuf *buf, size_t want)
{
	unsigned char	*nb;
	size_t		 ns;

	if (want <= buf->size)
		return (0);
	if (buf->fd == IBUF_BORROWED || want > buf->max) {
		errno = ERANGE;
		return (-1);
	}
	/* Double, so that many small appends stay linear. */
	ns = buf->size > buf->max / 2 ? buf->max : buf->size * 2;
	if (ns < want)
		ns = want;
	if ((nb = recallocarray(buf->buf, buf->size, ns, 1)) == NULL)
		return (-1);
	buf->buf = nb;
	buf->size = ns;
	return (0);
}

void *
ibuf_reserve(struct ibuf *buf, size_t len)
{
	void	*p;

	if (buf->fd == IBUF_BORROWED) {
		/* a view, even one truncated, must not write past itself */
		errno = EINVAL;
		return (NULL);
	}
	if (len > SIZE_MAX - buf->wpos) {
		errno = ERANGE;
		return (NULL);
	}
	if (ibuf_grow(buf, buf->wpos + len) == -1)
		return (NULL);
	if (buf->buf == NULL) {
		/* zero bytes reserved in a buffer without memory */
		errno = EINVAL;
		return (NULL);
	}
	p = buf->buf + buf->wpos;
	buf->wpos += len;
	return (p);
}

int
ibuf_add(struct ibuf *buf, const void *data, size_t len)
{
	void	*p;

	if (len == 0)
		return (0);
	if ((p = ibuf_reserve(buf, len)) == NULL)
		return (-1);
	memcpy(p, data, len);
	return (0);
}

int
ibuf_add_ibuf(struct ibuf *buf, const struct ibuf *from)
{
	return (ibuf_add(buf, ibuf_data(from), ibuf_size(from)));
}

int
ibuf_add_zero(struct ibuf *buf, size_t len)
{
	void	*p;

	if (len == 0)
		return (0);
	if ((p = ibuf_reserve(buf, len)) == NULL)
		return (-1);
	memset(p, 0, len);
	return (0);
}

int
ibuf_add_n8(struct ibuf *buf, uint64_t value)
{
	uint8_t	 v;

	if (value > UINT8_MAX) {
		errno = EINVAL;
		return (-1);
	}
	v = value;
	return (ibuf_add(buf, &v, sizeof(v)));
}

int
ibuf_add_n16(struct ibuf *buf, uint64_t value)
{
	uint16_t v;

	if (value > UINT16_MAX) {
		errno = EINVAL;
		return (-1);
	}
	v = htobe16((uint16_t)value);
	return (ibuf_add(buf, &v, sizeof(v)));
}

int
ibuf_add_n32(struct ibuf *buf, uint64_t value)
{
	uint32_t v;

	if (value > UINT32_MAX) {
		errno = EINVAL;
		return (-1);
	}
	v = htobe32((uint32_t)value);
	return (ibuf_add(buf, &v, sizeof(v)));
}

int
ibuf_add_n64(struct ibuf *buf, uint64_t value)
{
	uint64_t v;

	v = htobe64(value);
	return (ibuf_add(buf, &v, sizeof(v)));
}

int
ibuf_add_h16(struct ibuf *buf, uint64_t value)
{
	uint16_t v;

	if (value > UINT16_MAX) {
		errno = EINVAL;
		return (-1);
	}
	v = value;
	return (ibuf_add(buf, &v, sizeof(v)));
}

int
ibuf_add_h32(struct ibuf *buf, uint64_t value)
{
	uint32_t v;

	if (value > UINT32_MAX) {
		errno = EINVAL;
		return (-1);
	}
	v = value;
	return (ibuf_add(buf, &v, sizeof(v)));
}

int
ibuf_add_h64(struct ibuf *buf, uint64_t value)
{
	return (ibuf_add(buf, &value, sizeof(value)));
}

/*
 * A fixed-size field of len bytes holding str and NUL padding; str must
 * leave room for at least one NUL.  Nothing is added on failure.
 */
int
ibuf_add_strbuf(struct ibuf *buf, const char *str, size_t len)
{
	unsigned char	*p;
	size_t		 n;

	n = strnlen(str, len);
	if (n >= len) {
		errno = EOVERFLOW;
		return (-1);
	}
	if ((p = ibuf_reserve(buf, len)) == NULL)
		return (-1);
	memcpy(p, str, n);
	memset(p + n, 0, len - n);
	return (0);
}

/* Positions are relative to the read position, within the bytes in use. */
void *
ibuf_seek(struct ibuf *buf, size_t pos, size_t len)
{
	size_t	 have = ibuf_size(buf);

	if (buf->buf == NULL || pos > have || len > have - pos) {
		errno = ERANGE;
		return (NULL);
	}
	return (buf->buf + buf->rpos + pos);
}

int
ibuf_set(struct ibuf *buf, size_t pos, const void *data, size_t len)
{
	void	*p;

	if ((p = ibuf_seek(buf, pos, len)) == NULL)
		return (-1);
	if (len > 0)
		memcpy(p, data, len);
	return (0);
}

int
ibuf_set_n8(struct ibuf *buf, size_t pos, uint64_t value)
{
	uint8_t	 v;

	if (value > UINT8_MAX) {
		errno = EINVAL;
		return (-1);
	}
	v = value;
	return (ibuf_set(buf, pos, &v, sizeof(v)));
}

int
ibuf_set_n16(struct ibuf *buf, size_t pos, uint64_t value)
{
	uint16_t v;

	if (value > UINT16_MAX) {
		errno = EINVAL;
		return (-1);
	}
	v = htobe16((uint16_t)value);
	return (ibuf_set(buf, pos, &v, sizeof(v)));
}

int
ibuf_set_n32(struct ibuf *buf, size_t pos, uint64_t value)
{
	uint32_t v;

	if (value > UINT32_MAX) {
		errno = EINVAL;
		return (-1);
	}
	v = htobe32((uint32_t)value);
	return (ibuf_set(buf, pos, &v, sizeof(v)));
}

int
ibuf_set_n64(struct ibuf *buf, size_t pos, uint64_t value)
{
	uint64_t v;

	v = htobe64(value);
	return (ibuf_set(buf, pos, &v, sizeof(v)));
}

int
ibuf_set_h16(struct ibuf *buf, size_t pos, uint64_t value)
{
	uint16_t v;

	if (value > UINT16_MAX) {
		errno = EINVAL;
		return (-1);
	}
	v = value;
	return (ibuf_set(buf, pos, &v, sizeof(v)));
}

int
ibuf_set_h32(struct ibuf *buf, size_t pos, uint64_t value)
{
	uint32_t v;

	if (value > UINT32_MAX) {
		errno = EINVAL;
		return (-1);
	}
	v = value;
	return (ibuf_set(buf, pos, &v, sizeof(v)));
}

int
ibuf_set_h64(struct ibuf *buf, size_t pos, uint64_t value)
{
	return (ibuf_set(buf, pos, &value, sizeof(value)));
}

void *
ibuf_data(const struct ibuf *buf)
{
	if (buf->buf == NULL)
		return (NULL);
	return (buf->buf + buf->rpos);
}

size_t
ibuf_size(const struct ibuf *buf)
{
	return (buf->wpos - buf->rpos);
}

size_t
ibuf_left(const struct ibuf *buf)
{
	if (buf->fd == IBUF_BORROWED)
		return (0);
	return (buf->max - buf->wpos);
}

/* Cut to len bytes, or extend with zeros up to len. */
int
ibuf_truncate(struct ibuf *buf, size_t len)
{
	if (ibuf_size(buf) >= len) {
		buf->wpos = buf->rpos + len;
		return (0);
	}
	return (ibuf_add_zero(buf, len - ibuf_size(buf)));
}

void
ibuf_rewind(struct ibuf *buf)
{
	buf->rpos = 0;
}

/* Give buf to msgbuf for writing; msgbuf frees it once written. */
void
ibuf_close(struct msgbuf *msgbuf, struct ibuf *buf)
{
	if (buf == NULL)
		return;
	if (buf->fd == IBUF_BORROWED)
		return;		/* not ours to queue or free */
	msgbuf_enqueue(msgbuf, buf);
}

/* A read-only view of len bytes at data; it owns nothing. */
void
ibuf_from_buffer(struct ibuf *buf, void *data, size_t len)
{
	memset(buf, 0, sizeof(*buf));
	buf->buf = data;
	buf->size = buf->wpos = buf->max = len;
	buf->fd = IBUF_BORROWED;
}

void
ibuf_from_ibuf(struct ibuf *buf, const struct ibuf *from)
{
	ibuf_from_buffer(buf, ibuf_data(from), ibuf_size(from));
}

int
ibuf_get(struct ibuf *buf, void *data, size_t len)
{
	if (ibuf_size(buf) < len) {
		errno = EBADMSG;
		return (-1);
	}
	if (len > 0)
		memcpy(data, ibuf_data(buf), len);
	buf->rpos += len;
	return (0);
}

int
ibuf_get_ibuf(struct ibuf *buf, size_t len, struct ibuf *new)
{
	if (ibuf_size(buf) < len) {
		errno = EBADMSG;
		return (-1);
	}
	ibuf_from_buffer(new, ibuf_data(buf), len);
	buf->rpos += len;
	return (0);
}

int
ibuf_get_n8(struct ibuf *buf, uint8_t *value)
{
	return (ibuf_get(buf, value, sizeof(*value)));
}

int
ibuf_get_n16(struct ibuf *buf, uint16_t *value)
{
	uint16_t v;

	if (ibuf_get(buf, &v, sizeof(v)) == -1)
		return (-1);
	*value = be16toh(v);
	return (0);
}

int
ibuf_get_n32(struct ibuf *buf, uint32_t *value)
{
	uint32_t v;

	if (ibuf_get(buf, &v, sizeof(v)) == -1)
		return (-1);
	*value = be32toh(v);
	return (0);
}

int
ibuf_get_n64(struct ibuf *buf, uint64_t *value)
{
	uint64_t v;

	if (ibuf_get(buf, &v, sizeof(v)) == -1)
		return (-1);
	*value = be64toh(v);
	return (0);
}

int
ibuf_get_h16(struct ibuf *buf, uint16_t *value)
{
	return (ibuf_get(buf, value, sizeof(*value)));
}

int
ibuf_get_h32(struct ibuf *buf, uint32_t *value)
{
	return (ibuf_get(buf, value, sizeof(*value)));
}

int
ibuf_get_h64(struct ibuf *buf, uint64_t *value)
{
	return (ibuf_get(buf, value, sizeof(*value)));
}

/*
 * Consume len bytes and return them as a string, cut at the first NUL
 * (strndup(3) semantics); free(3) the result.
 */
char *
ibuf_get_string(struct ibuf *buf, size_t len)
{
	char	*str;
	size_t	 n;

	if (ibuf_size(buf) < len) {
		errno = EBADMSG;
		return (NULL);
	}
	n = len > 0 ? strnlen(ibuf_data(buf), len) : 0;
	if ((str = malloc(n + 1)) == NULL)
		return (NULL);
	if (n > 0)
		memcpy(str, ibuf_data(buf), n);
	str[n] = '\0';
	buf->rpos += len;
	return (str);
}

/*
 * Consume a fixed-size field of len bytes that must hold a NUL-terminated
 * string (as written by ibuf_add_strbuf()); str gets the string, zero
 * padded.  On failure nothing is consumed and str is the empty string.
 */
int
ibuf_get_strbuf(struct ibuf *buf, char *str, size_t len)
{
	size_t	 n;

	if (len == 0) {
		errno = EINVAL;
		return (-1);
	}
	str[0] = '\0';
	if (ibuf_size(buf) < len) {
		errno = EBADMSG;
		return (-1);
	}
	if ((n = strnlen(ibuf_data(buf), len)) == len) {
		errno = EOVERFLOW;
		return (-1);
	}
	memcpy(str, ibuf_data(buf), n);
	memset(str + n, 0, len - n);
	buf->rpos += len;
	return (0);
}

int
ibuf_skip(struct ibuf *buf, size_t len)
{
	if (ibuf_size(buf) < len) {
		errno = EBADMSG;
		return (-1);
	}
	buf->rpos += len;
	return (0);
}

/* Free buf, wipe its memory, close its fd; errno is kept. */
void
ibuf_free(struct ibuf *buf)
{
	int	 saved_errno;

	if (buf == NULL || buf->fd == IBUF_BORROWED)
		return;
	saved_errno = errno;
	if (buf->fd >= 0)
		close(buf->fd);
	freezero(buf->buf, buf->size);
	free(buf);
	errno = saved_errno;
}

int
ibuf_fd_avail(struct ibuf *buf)
{
	return (buf->fd >= 0);
}

/* Hand the fd back to the caller, who must close it. */
int
ibuf_fd_get(struct ibuf *buf)
{
	int	 fd;

	if (buf->fd < 0)
		return (-1);
	fd = buf->fd;
	buf->fd = -1;
	return (fd);
}

/* buf takes fd (closing any previous one); -1 just drops the old one. */
void
ibuf_fd_set(struct ibuf *buf, int fd)
{
	if (buf->fd == IBUF_BORROWED) {
		/* a view cannot carry an fd; ownership was still given */
		if (fd >= 0)
			closefd_keeperrno(fd);
		return;
	}
	if (buf->fd >= 0)
		closefd_keeperrno(buf->fd);
	buf->fd = fd >= 0 ? fd : -1;
}

struct msgbuf *
msgbuf_new(void)
{
	struct msgbuf	*msgbuf;

	if ((msgbuf = calloc(1, sizeof(*msgbuf))) == NULL)
		return (NULL);
	TAILQ_INIT(&msgbuf->bufs);
	TAILQ_INIT(&msgbuf->rbufs);
	msgbuf->rfd = -1;
	return (msgbuf);
}

/*
 * A msgbuf that can also read: readhdr gets each header (hdrsz bytes) as
 * a read-only ibuf and returns a new ibuf sized for the whole message, or
 * NULL with errno set to reject it.  Through its int * it may claim the
 * fd received with the read in which this header began (setting it to
 * -1); an unclaimed fd is closed.
 */
struct msgbuf *
msgbuf_new_reader(size_t hdrsz,
    struct ibuf *(*readhdr)(struct ibuf *, void *, int *), void *arg)
{
	struct msgbuf	*msgbuf;

	if (hdrsz == 0 || hdrsz > IBUF_READ_SIZE / 2 || readhdr == NULL) {
		errno = EINVAL;
		return (NULL);
	}
	if ((msgbuf = msgbuf_new()) == NULL)
		return (NULL);
	if ((msgbuf->rbuf = malloc(IBUF_READ_SIZE)) == NULL) {
		free(msgbuf);
		return (NULL);
	}
	msgbuf->hdrsize = hdrsz;
	msgbuf->readhdr = readhdr;
	msgbuf->rarg = arg;
	return (msgbuf);
}

void
msgbuf_free(struct msgbuf *msgbuf)
{
	if (msgbuf == NULL)
		return;
	msgbuf_clear(msgbuf);
	free(msgbuf->rbuf);
	free(msgbuf);
}

/* Drop everything queued either way, closing the fds it held. */
void
msgbuf_clear(struct msgbuf *msgbuf)
{
	struct ibuf	*buf;

	while ((buf = TAILQ_FIRST(&msgbuf->bufs)) != NULL)
		msgbuf_dequeue(msgbuf, buf);
	while ((buf = TAILQ_FIRST(&msgbuf->rbufs)) != NULL) {
		TAILQ_REMOVE(&msgbuf->rbufs, buf, entry);
		ibuf_free(buf);
	}
	ibuf_free(msgbuf->rmsg);
	msgbuf->rmsg = NULL;
	msgbuf->roff = 0;
	if (msgbuf->rfd != -1) {
		closefd_keeperrno(msgbuf->rfd);
		msgbuf->rfd = -1;
	}
	msgbuf->rerr = 0;
}

uint32_t
msgbuf_queuelen(struct msgbuf *msgbuf)
{
	return (msgbuf->queued);
}

/* The next complete message read, or NULL; ibuf_free() it. */
struct ibuf *
msgbuf_get(struct msgbuf *msgbuf)
{
	struct ibuf	*buf;

	if ((buf = TAILQ_FIRST(&msgbuf->rbufs)) != NULL)
		TAILQ_REMOVE(&msgbuf->rbufs, buf, entry);
	return (buf);
}

/* Write without fd passing: queued fds are closed once written. */
int
ibuf_write(int fd, struct msgbuf *msgbuf)
{
	return (msgbuf_send(fd, msgbuf, 0));
}

/* Write, passing each queued fd with the first byte of its buffer. */
int
msgbuf_write(int fd, struct msgbuf *msgbuf)
{
	return (msgbuf_send(fd, msgbuf, 1));
}

/* Read without fd passing: descriptors that arrive are closed. */
int
ibuf_read(int fd, struct msgbuf *msgbuf)
{
	return (msgbuf_recv(fd, msgbuf, 0));
}

int
msgbuf_read(int fd, struct msgbuf *msgbuf)
{
	return (msgbuf_recv(fd, msgbuf, 1));
}

static void
msgbuf_enqueue(struct msgbuf *msgbuf, struct ibuf *buf)
{
	TAILQ_INSERT_TAIL(&msgbuf->bufs, buf, entry);
	msgbuf->queued++;
}

static void
msgbuf_dequeue(struct msgbuf *msgbuf, struct ibuf *buf)
{
	TAILQ_REMOVE(&msgbuf->bufs, buf, entry);
	msgbuf->queued--;
	ibuf_free(buf);
}

/* Account for n bytes written from the head of the queue. */
static void
msgbuf_drain(struct msgbuf *msgbuf, size_t n)
{
	struct ibuf	*buf;

	while ((buf = TAILQ_FIRST(&msgbuf->bufs)) != NULL) {
		if (n < ibuf_size(buf)) {
			buf->rpos += n;
			break;
		}
		n -= ibuf_size(buf);
		msgbuf_dequeue(msgbuf, buf);
	}
}

/*
 * One sendmsg() of as much as is queued.  With fdpass, a buffer carrying
 * an fd starts a new sendmsg() so that its fd travels with its first
 * byte, one fd per call; the kernel holds a reference once anything was
 * sent, so our copy is closed then.  Returns 0, also when the socket is
 * full (EAGAIN, ENOBUFS), or -1.
 */
static int
msgbuf_send(int fd, struct msgbuf *msgbuf, int fdpass)
{
	struct iovec	 iov[MSGBUF_IOVMAX];
	union {
		struct cmsghdr	 hdr;
		unsigned char	 buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	struct msghdr	 msg;
	struct cmsghdr	*cmsg;
	struct ibuf	*buf, *fdbuf = NULL;
	ssize_t		 n;
	int		 i = 0;

	TAILQ_FOREACH(buf, &msgbuf->bufs, entry) {
		if (i == MSGBUF_IOVMAX)
			break;
		if (fdpass && buf->fd >= 0) {
			if (i > 0)
				break;
			fdbuf = buf;
		}
		iov[i].iov_base = ibuf_data(buf);
		iov[i].iov_len = ibuf_size(buf);
		i++;
	}
	if (i == 0)
		return (0);

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = i;
	if (fdbuf != NULL) {
		memset(&cmsgbuf, 0, sizeof(cmsgbuf));
		msg.msg_control = cmsgbuf.buf;
		msg.msg_controllen = sizeof(cmsgbuf.buf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		memcpy(CMSG_DATA(cmsg), &fdbuf->fd, sizeof(int));
	}

 again:
	n = sendmsg(fd, &msg, MSG_NOSIGNAL);
	if (n == -1 && errno == ENOTSOCK && fdbuf == NULL)
		n = writev(fd, iov, i);		/* a pipe */
	if (n == -1) {
		if (errno == EINTR)
			goto again;
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == ENOBUFS)
			return (0);
		return (-1);
	}

	if (fdbuf != NULL && n > 0) {
		close(fdbuf->fd);
		fdbuf->fd = -1;
	}
	msgbuf_drain(msgbuf, n);
	return (0);
}

/*
 * One recvmsg() into the read buffer, then framing.  Returns 1 (also when
 * nothing could be read: EAGAIN), 0 at end of file, -1 on error.
 */
static int
msgbuf_recv(int fd, struct msgbuf *msgbuf, int fdpass)
{
	union {
		struct cmsghdr	 hdr;
		unsigned char	 buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	struct msghdr	 msg;
	struct cmsghdr	*cmsg;
	struct iovec	 iov;
	unsigned char	*end;
	size_t		 i, nfds;
	ssize_t		 n;
	int		 f, truncated;

	if (msgbuf->rbuf == NULL) {
		errno = EINVAL;
		return (-1);
	}
	if (msgbuf->rerr != 0) {
		/* framing was lost; nothing after it can be trusted */
		errno = msgbuf->rerr;
		return (-1);
	}

	memset(&msg, 0, sizeof(msg));
	memset(&cmsgbuf, 0, sizeof(cmsgbuf));
	iov.iov_base = msgbuf->rbuf + msgbuf->roff;
	iov.iov_len = IBUF_READ_SIZE - msgbuf->roff;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsgbuf.buf;
	msg.msg_controllen = sizeof(cmsgbuf.buf);

 again:
	n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
	if (n == -1 && errno == ENOTSOCK) {
		msg.msg_controllen = 0;
		msg.msg_flags = 0;
		n = readv(fd, &iov, 1);		/* a pipe */
	}
	if (n == -1) {
		if (errno == EINTR)
			goto again;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return (1);
		return (-1);
	}

	/*
	 * Keep at most one fd, and none if the control data was cut short:
	 * the set is then incomplete and the read is reported as an error.
	 */
	truncated = (msg.msg_flags & MSG_CTRUNC) != 0;
	end = (unsigned char *)msg.msg_control + msg.msg_controllen;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS ||
		    cmsg->cmsg_len < CMSG_LEN(0))
			continue;
		nfds = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (nfds > (size_t)(end - CMSG_DATA(cmsg)) / sizeof(int))
			nfds = (size_t)(end - CMSG_DATA(cmsg)) / sizeof(int);
		for (i = 0; i < nfds; i++) {
			memcpy(&f, CMSG_DATA(cmsg) + i * sizeof(int),
			    sizeof(f));
			if (fdpass && !truncated && msgbuf->rfd == -1)
				msgbuf->rfd = f;
			else
				close(f);
		}
	}

	if (n == 0)
		return (0);
	msgbuf->roff += n;
	if (msgbuf_frame(msgbuf) == -1)
		return (-1);
	if (fdpass && truncated) {
		errno = EMSGSIZE;
		return (-1);
	}
	return (1);
}

/*
 * Cut the read buffer into messages.  Afterwards the read buffer holds
 * only the start of a header, if anything: payload goes straight into
 * the message it belongs to, so a message of any size up to what
 * readhdr allows needs no bigger read buffer.
 */
static int
msgbuf_frame(struct msgbuf *msgbuf)
{
	struct ibuf	 hdr;
	unsigned char	*p = msgbuf->rbuf;
	size_t		 left = msgbuf->roff, n;

	while (left > 0) {
		if (msgbuf->rmsg == NULL) {
			if (left < msgbuf->hdrsize)
				break;
			ibuf_from_buffer(&hdr, p, msgbuf->hdrsize);
			msgbuf->rmsg = msgbuf->readhdr(&hdr, msgbuf->rarg,
			    &msgbuf->rfd);
			if (msgbuf->rmsg == NULL)
				goto fail;
			if (ibuf_left(msgbuf->rmsg) < msgbuf->hdrsize) {
				/* would never consume its header */
				ibuf_free(msgbuf->rmsg);
				msgbuf->rmsg = NULL;
				errno = EINVAL;
				goto fail;
			}
		}
		n = ibuf_left(msgbuf->rmsg);
		if (n > left)
			n = left;
		if (ibuf_add(msgbuf->rmsg, p, n) == -1)
			goto fail;
		p += n;
		left -= n;
		if (ibuf_left(msgbuf->rmsg) == 0) {
			TAILQ_INSERT_TAIL(&msgbuf->rbufs, msgbuf->rmsg, entry);
			msgbuf->rmsg = NULL;
		}
	}
	if (left > 0)
		memmove(msgbuf->rbuf, p, left);
	msgbuf->roff = left;

	/*
	 * An fd belongs to the header that began in the read that brought
	 * it.  Keep it only while such a header is still incomplete.
	 */
	if (msgbuf->rfd != -1 && (msgbuf->rmsg != NULL || msgbuf->roff == 0)) {
		close(msgbuf->rfd);
		msgbuf->rfd = -1;
	}
	return (0);

 fail:
	msgbuf->rerr = errno != 0 ? errno : EBADMSG;
	msgbuf->roff = 0;
	if (msgbuf->rfd != -1) {
		closefd_keeperrno(msgbuf->rfd);
		msgbuf->rfd = -1;
	}
	errno = msgbuf->rerr;
	return (-1);
}

static void
closefd_keeperrno(int fd)
{
	int	 saved_errno = errno;

	close(fd);
	errno = saved_errno;
}
