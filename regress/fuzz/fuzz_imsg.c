/*
 * Fuzz the imsg reader with what a hostile peer could write on the
 * socket.  The first input byte sets the size of the chunks the rest is
 * written in, with a read and a drain of every complete message after
 * each; then the writer shuts down and the reader reads to the end.
 * The reader has a small maxsize and no fd passing.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"

#define FUZZ_MAXSIZE	1024

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int	drain(struct imsgbuf *, struct imsgbuf *);
static void	payload(struct imsg *);

/* Take apart one message the way a daemon's dispatcher would. */
static void
payload(struct imsg *imsg)
{
	struct ibuf	 view, sub;
	unsigned char	 copy[FUZZ_MAXSIZE];
	char		 str[64], *s;
	uint64_t	 u64;
	uint32_t	 u32;
	uint16_t	 u16;
	uint8_t		 u8;
	size_t		 len = imsg_get_len(imsg);

	switch (imsg_get_type(imsg) % 5) {
	case 0:
		if (imsg_get_data(imsg, &u32, sizeof(u32)) == 0 && len != 4)
			__builtin_trap();
		break;
	case 1:
		if (imsg_get_strbuf(imsg, str, sizeof(str)) == 0 &&
		    strnlen(str, sizeof(str)) == sizeof(str))
			__builtin_trap();
		if (imsg_get_strbuf(imsg, str, 1 + len % 8) == 0 &&
		    strnlen(str, 8) > len % 8)
			__builtin_trap();
		break;
	case 2:
		if (imsg_get_ibuf(imsg, &view) == -1)
			break;
		while (ibuf_get_n8(&view, &u8) == 0) {
			if (ibuf_get_ibuf(&view, u8 % 16, &sub) == -1)
				break;
			if (ibuf_get_n16(&sub, &u16) == 0)
				(void)ibuf_get_n64(&sub, &u64);
			if ((s = ibuf_get_string(&view, u8 % 5)) != NULL)
				free(s);
			(void)ibuf_get_strbuf(&view, str, 1 + u8 % 7);
		}
		break;
	case 3:
		if (len == 0)
			break;
		if (imsg_get_data(imsg, copy, len) == -1 ||
		    memcmp(copy, imsg->data, len) != 0)
			__builtin_trap();
		break;
	default:
		while (imsg_get_buf(imsg, &u32, sizeof(u32)) == 0)
			;
		if (imsg_get_len(imsg) >= sizeof(u32))
			__builtin_trap();
		break;
	}
}

static int
drain(struct imsgbuf *ib, struct imsgbuf *fwd)
{
	struct imsg	 imsg;
	ssize_t		 n;

	for (;;) {
		if ((n = imsg_get(ib, &imsg)) <= 0)
			return ((int)n);
		if (n > FUZZ_MAXSIZE || (size_t)n != imsg.hdr.len ||
		    (size_t)n != imsg_get_len(&imsg) + IMSG_HEADER_SIZE)
			__builtin_trap();
		if (imsg_get_fd(&imsg) != -1)
			__builtin_trap();
		if (imsg_get_type(&imsg) & 0x100) {
			if (imsg_forward(fwd, &imsg) != 1)
				__builtin_trap();
			if (imsgbuf_queuelen(fwd) > 16)
				msgbuf_clear(fwd->w);
		}
		payload(&imsg);
		imsg_free(&imsg);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imsgbuf	 ib, fwd;
	size_t		 chunk, off = 0;
	ssize_t		 n;
	int		 sv[2], r = 1;

	if (size < 1)
		return (0);
	chunk = 1 + (size_t)data[0] * 4;
	data++;
	size--;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == -1)
		return (0);
	if (imsgbuf_init(&ib, sv[1]) == -1 || imsgbuf_init(&fwd, -1) == -1)
		__builtin_trap();
	if (imsgbuf_set_maxsize(&ib, FUZZ_MAXSIZE) == -1)
		__builtin_trap();

	while (off < size && r == 1) {
		n = write(sv[0], data + off,
		    size - off < chunk ? size - off : chunk);
		if (n == -1 && errno != EAGAIN)
			break;
		if (n > 0)
			off += n;
		r = imsgbuf_read(&ib);
		if (drain(&ib, &fwd) == -1)
			r = -1;
	}
	shutdown(sv[0], SHUT_WR);
	while (r == 1) {
		r = imsgbuf_read(&ib);
		if (drain(&ib, &fwd) == -1)
			break;
	}
	/* a broken channel stays broken */
	if (r == -1 && errno == ERANGE && imsgbuf_read(&ib) != -1)
		__builtin_trap();

	imsgbuf_clear(&ib);
	imsgbuf_clear(&fwd);
	close(sv[0]);
	close(sv[1]);
	return (0);
}
