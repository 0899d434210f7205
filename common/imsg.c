/*
 * imsg: framed messages over a socket with the OpenBSD 7.7 names and
 * semantics (imsg_init(3)), built on the ibuf/msgbuf layer in
 * imsg-buffer.c.  Written for routstrd.
 *
 * Wire format: struct imsg_hdr in host byte order, then the payload;
 * hdr.len counts both.  As upstream, the top bit of hdr.len marks a
 * message that was sent with an fd, so the receiver attaches an fd only
 * to the message that announced one.
 *
 * Choices worth knowing:
 * - maxsize counts the header (7.7), MAX_IMSGSIZE by default; a message
 *   over it is refused by the sender (ERANGE, nothing queued) and, if it
 *   arrives anyway, by the receiver;
 * - a received header with len < IMSG_HEADER_SIZE or > maxsize breaks
 *   the channel for good, there is no resync: imsgbuf_read() returns -1
 *   with errno ERANGE, then and on every later call; the messages read
 *   whole before it are still handed out by imsg_get(), which then
 *   returns -1 with errno ERANGE;
 * - the imsgbuf is found again through a pointer kept at imsgbuf_init():
 *   do not move or copy a struct imsgbuf once initialised;
 * - after imsgbuf_clear() the imsgbuf is dead (as in 7.7); calls on it
 *   fail with EINVAL until imsgbuf_init() is called again.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"

#define IMSGF_FDPASS	0x01	/* imsgbuf_allow_fdpass() was called */
#define IMSGF_BADHDR	0x02	/* a received header had a bad length */
#define IMSGF_NOMEM	0x04	/* no memory for a received message */

#define IMSG_FD_MARK	0x80000000U

static struct ibuf	*imsg_parse_hdr(struct ibuf *, void *, int *);

int
imsgbuf_init(struct imsgbuf *imsgbuf, int fd)
{
	memset(imsgbuf, 0, sizeof(*imsgbuf));
	imsgbuf->w = msgbuf_new_reader(IMSG_HEADER_SIZE, imsg_parse_hdr,
	    imsgbuf);
	if (imsgbuf->w == NULL)
		return (-1);
	imsgbuf->pid = getpid();
	imsgbuf->maxsize = MAX_IMSGSIZE;
	imsgbuf->fd = fd;
	imsgbuf->flags = 0;
	return (0);
}

void
imsgbuf_allow_fdpass(struct imsgbuf *imsgbuf)
{
	imsgbuf->flags |= IMSGF_FDPASS;
}

/* The largest message, header included; the top bit is the fd mark. */
int
imsgbuf_set_maxsize(struct imsgbuf *imsgbuf, uint32_t maxsize)
{
	if (maxsize < IMSG_HEADER_SIZE || (maxsize & IMSG_FD_MARK)) {
		errno = EINVAL;
		return (-1);
	}
	imsgbuf->maxsize = maxsize;
	return (0);
}

int
imsgbuf_read(struct imsgbuf *imsgbuf)
{
	if (imsgbuf->w == NULL) {
		errno = EINVAL;
		return (-1);
	}
	if (imsgbuf->flags & IMSGF_FDPASS)
		return (msgbuf_read(imsgbuf->fd, imsgbuf->w));
	return (ibuf_read(imsgbuf->fd, imsgbuf->w));
}

int
imsgbuf_write(struct imsgbuf *imsgbuf)
{
	if (imsgbuf->w == NULL) {
		errno = EINVAL;
		return (-1);
	}
	if (imsgbuf->flags & IMSGF_FDPASS)
		return (msgbuf_write(imsgbuf->fd, imsgbuf->w));
	return (ibuf_write(imsgbuf->fd, imsgbuf->w));
}

/*
 * Write until the queue is empty.  On a non-blocking socket that fills
 * up, wait in poll(2) for room instead of spinning.
 */
int
imsgbuf_flush(struct imsgbuf *imsgbuf)
{
	struct pollfd	 pfd;

	while (imsgbuf_queuelen(imsgbuf) > 0) {
		if (imsgbuf_write(imsgbuf) == -1)
			return (-1);
		if (imsgbuf_queuelen(imsgbuf) == 0)
			break;
		pfd.fd = imsgbuf->fd;
		pfd.events = POLLOUT;
		pfd.revents = 0;
		if (poll(&pfd, 1, -1) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		if (pfd.revents & POLLNVAL) {
			errno = EBADF;
			return (-1);
		}
		/* POLLHUP, POLLERR: the next write says what went wrong */
	}
	return (0);
}

/* Free everything queued either way; the fd itself stays open. */
void
imsgbuf_clear(struct imsgbuf *imsgbuf)
{
	msgbuf_free(imsgbuf->w);
	imsgbuf->w = NULL;
}

uint32_t
imsgbuf_queuelen(struct imsgbuf *imsgbuf)
{
	if (imsgbuf->w == NULL)
		return (0);
	return (msgbuf_queuelen(imsgbuf->w));
}

/* 1 and a message in imsg, 0 if none is complete, -1 on error. */
int
imsgbuf_get(struct imsgbuf *imsgbuf, struct imsg *imsg)
{
	struct imsg	 m;
	struct ibuf	*buf;

	if (imsgbuf->w == NULL) {
		errno = EINVAL;
		return (-1);
	}
	if ((buf = msgbuf_get(imsgbuf->w)) == NULL) {
		if (imsgbuf->flags & IMSGF_BADHDR) {
			errno = ERANGE;
			return (-1);
		}
		if (imsgbuf->flags & IMSGF_NOMEM) {
			errno = ENOMEM;
			return (-1);
		}
		return (0);
	}
	if (ibuf_get(buf, &m.hdr, sizeof(m.hdr)) == -1) {
		ibuf_free(buf);
		return (-1);
	}
	m.hdr.len &= ~IMSG_FD_MARK;
	m.data = ibuf_size(buf) > 0 ? ibuf_data(buf) : NULL;
	m.buf = buf;
	*imsg = m;
	return (1);
}

/* The message's total length (header included), 0 if none, -1 on error. */
ssize_t
imsg_get(struct imsgbuf *imsgbuf, struct imsg *imsg)
{
	int	 rv;

	if ((rv = imsgbuf_get(imsgbuf, imsg)) != 1)
		return (rv);
	return (imsg_get_len(imsg) + IMSG_HEADER_SIZE);
}

/* A read-only view of the whole (unread) payload; it must not be empty. */
int
imsg_get_ibuf(struct imsg *imsg, struct ibuf *ibuf)
{
	if (ibuf_size(imsg->buf) == 0) {
		errno = EBADMSG;
		return (-1);
	}
	return (ibuf_get_ibuf(imsg->buf, ibuf_size(imsg->buf), ibuf));
}

/* Copy the payload, which must be exactly len bytes. */
int
imsg_get_data(struct imsg *imsg, void *data, size_t len)
{
	if (len == 0) {
		errno = EINVAL;
		return (-1);
	}
	if (ibuf_size(imsg->buf) != len) {
		errno = EBADMSG;
		return (-1);
	}
	return (ibuf_get(imsg->buf, data, len));
}

/* Consume the next len bytes of the payload. */
int
imsg_get_buf(struct imsg *imsg, void *data, size_t len)
{
	return (ibuf_get(imsg->buf, data, len));
}

/* Consume a len-byte field holding a NUL-terminated string. */
int
imsg_get_strbuf(struct imsg *imsg, char *str, size_t len)
{
	return (ibuf_get_strbuf(imsg->buf, str, len));
}

/* The fd sent with the message, now the caller's; -1 if none. */
int
imsg_get_fd(struct imsg *imsg)
{
	return (ibuf_fd_get(imsg->buf));
}

uint32_t
imsg_get_id(struct imsg *imsg)
{
	return (imsg->hdr.peerid);
}

/* Payload bytes not yet consumed. */
size_t
imsg_get_len(struct imsg *imsg)
{
	return (ibuf_size(imsg->buf));
}

pid_t
imsg_get_pid(struct imsg *imsg)
{
	return (imsg->hdr.pid);
}

uint32_t
imsg_get_type(struct imsg *imsg)
{
	return (imsg->hdr.type);
}

/*
 * Queue a copy of a received message on another channel; its fd is not
 * forwarded.  May be called more than once for the same message.
 */
int
imsg_forward(struct imsgbuf *imsgbuf, struct imsg *msg)
{
	struct ibuf	*wbuf;
	size_t		 len;

	ibuf_rewind(msg->buf);
	if (ibuf_skip(msg->buf, IMSG_HEADER_SIZE) == -1)
		return (-1);
	len = ibuf_size(msg->buf);

	if ((wbuf = imsg_create(imsgbuf, msg->hdr.type, msg->hdr.peerid,
	    msg->hdr.pid, len)) == NULL)
		return (-1);
	if (ibuf_add_ibuf(wbuf, msg->buf) == -1) {
		ibuf_free(wbuf);
		return (-1);
	}
	imsg_close(imsgbuf, wbuf);
	return (1);
}

/*
 * Queue one message.  fd (or -1) goes with it and is closed once sent;
 * on failure the caller still owns fd.  Returns 1 or -1.
 */
int
imsg_compose(struct imsgbuf *imsgbuf, uint32_t type, uint32_t id, pid_t pid,
    int fd, const void *data, size_t datalen)
{
	struct ibuf	*wbuf;

	if ((wbuf = imsg_create(imsgbuf, type, id, pid, datalen)) == NULL)
		return (-1);
	if (imsg_add(wbuf, data, datalen) == -1)
		return (-1);
	ibuf_fd_set(wbuf, fd);
	imsg_close(imsgbuf, wbuf);
	return (1);
}

int
imsg_composev(struct imsgbuf *imsgbuf, uint32_t type, uint32_t id, pid_t pid,
    int fd, const struct iovec *iov, int iovcnt)
{
	struct ibuf	*wbuf;
	size_t		 datalen = 0;
	int		 i;

	if (iovcnt < 0) {
		errno = EINVAL;
		return (-1);
	}
	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > SIZE_MAX - datalen) {
			errno = ERANGE;
			return (-1);
		}
		datalen += iov[i].iov_len;
	}

	if ((wbuf = imsg_create(imsgbuf, type, id, pid, datalen)) == NULL)
		return (-1);
	for (i = 0; i < iovcnt; i++)
		if (imsg_add(wbuf, iov[i].iov_base, iov[i].iov_len) == -1)
			return (-1);
	ibuf_fd_set(wbuf, fd);
	imsg_close(imsgbuf, wbuf);
	return (1);
}

/*
 * Queue a message whose payload is the unread part of buf.  buf is
 * consumed (freed, with any fd it holds) whatever the outcome; no fd is
 * passed.  Returns 1 or -1.
 */
int
imsg_compose_ibuf(struct imsgbuf *imsgbuf, uint32_t type, uint32_t id,
    pid_t pid, struct ibuf *buf)
{
	struct ibuf	*wbuf;

	if (buf == NULL) {
		errno = EINVAL;
		return (-1);
	}
	if ((wbuf = imsg_create(imsgbuf, type, id, pid,
	    ibuf_size(buf))) == NULL) {
		ibuf_free(buf);
		return (-1);
	}
	if (ibuf_add_ibuf(wbuf, buf) == -1) {
		ibuf_free(wbuf);
		ibuf_free(buf);
		return (-1);
	}
	ibuf_free(buf);
	imsg_close(imsgbuf, wbuf);
	return (1);
}

/*
 * Start a message with room for datalen bytes of payload, which may grow
 * up to maxsize.  A pid of 0 stands for the pid at imsgbuf_init().
 */
struct ibuf *
imsg_create(struct imsgbuf *imsgbuf, uint32_t type, uint32_t id, pid_t pid,
    size_t datalen)
{
	struct ibuf	*wbuf;
	struct imsg_hdr	 hdr;

	if (imsgbuf->w == NULL) {
		errno = EINVAL;
		return (NULL);
	}
	if (datalen > imsgbuf->maxsize - IMSG_HEADER_SIZE) {
		errno = ERANGE;
		return (NULL);
	}

	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.len = 0;		/* set by imsg_close() */
	hdr.peerid = id;
	hdr.pid = pid != 0 ? (uint32_t)pid : (uint32_t)imsgbuf->pid;

	if ((wbuf = ibuf_dynamic(datalen + IMSG_HEADER_SIZE,
	    imsgbuf->maxsize)) == NULL)
		return (NULL);
	if (ibuf_add(wbuf, &hdr, sizeof(hdr)) == -1) {
		ibuf_free(wbuf);
		return (NULL);
	}
	return (wbuf);
}

/* Append to a message; on failure msg is freed.  Returns datalen or -1. */
int
imsg_add(struct ibuf *msg, const void *data, size_t datalen)
{
	if (msg == NULL) {
		errno = EINVAL;
		return (-1);
	}
	if (datalen > 0 && ibuf_add(msg, data, datalen) == -1) {
		ibuf_free(msg);
		return (-1);
	}
	return ((int)datalen);
}

/* Seal the header's length (and fd mark) and queue msg for writing. */
void
imsg_close(struct imsgbuf *imsgbuf, struct ibuf *msg)
{
	uint32_t	 len;

	if (msg == NULL)
		return;
	len = ibuf_size(msg);
	if (ibuf_fd_avail(msg))
		len |= IMSG_FD_MARK;
	if (imsgbuf->w == NULL || ibuf_set(msg,
	    offsetof(struct imsg_hdr, len), &len, sizeof(len)) == -1) {
		/* not an imsg_create() buffer or a dead imsgbuf */
		ibuf_free(msg);
		return;
	}
	ibuf_close(imsgbuf->w, msg);
}

/* Free a received message and close its fd if it was not claimed. */
void
imsg_free(struct imsg *imsg)
{
	ibuf_free(imsg->buf);
	imsg->buf = NULL;
	imsg->data = NULL;
}

/* readhdr callback of the msgbuf: size the message, claim its fd. */
static struct ibuf *
imsg_parse_hdr(struct ibuf *hbuf, void *arg, int *fd)
{
	struct imsgbuf	*imsgbuf = arg;
	struct imsg_hdr	 hdr;
	struct ibuf	*buf;
	uint32_t	 len;

	if (ibuf_get(hbuf, &hdr, sizeof(hdr)) == -1)
		return (NULL);
	len = hdr.len & ~IMSG_FD_MARK;
	if (len < IMSG_HEADER_SIZE || len > imsgbuf->maxsize) {
		imsgbuf->flags |= IMSGF_BADHDR;
		errno = ERANGE;
		return (NULL);
	}
	if ((buf = ibuf_open(len)) == NULL) {
		imsgbuf->flags |= IMSGF_NOMEM;
		errno = ENOMEM;
		return (NULL);
	}
	if ((hdr.len & IMSG_FD_MARK) && *fd != -1) {
		ibuf_fd_set(buf, *fd);
		*fd = -1;
	}
	return (buf);
}
