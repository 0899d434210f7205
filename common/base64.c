/*
 * base64 and base64url, strict.  The character mapping is arithmetic
 * rather than a table lookup so that its timing does not depend on the
 * data: what goes through here is mostly Cashu tokens, which are bearer
 * money.
 */

#include <stdint.h>
#include <string.h>

#include "base64.h"

static int	 b64_char(unsigned int, int);
static int	 b64_value(unsigned int, int);

/* 6-bit value to its character; masks instead of branches. */
static int
b64_char(unsigned int u, int url)
{
	int	 v = u, c;

	c = v + 'A';
	c += ((25 - v) >> 8) & (('a' - 26) - 'A');
	c += ((51 - v) >> 8) & (('0' - 52) - ('a' - 26));
	c += ((61 - v) >> 8) & ((url ? '-' : '+') - ('0' + 10));
	c += ((62 - v) >> 8) & ((url ? '_' : '/') - (url ? '-' : '+') - 1);
	return (c);
}

/*
 * Character to its 6-bit value, or -1.  (a - c) & (c - b) is negative
 * exactly when a < c < b, and its arithmetic shift is then all ones.
 */
static int
b64_value(unsigned int u, int url)
{
	int	 c = u, v = -1, c62, c63;

	c62 = url ? '-' : '+';
	c63 = url ? '_' : '/';
	v += ((('A' - 1 - c) & (c - 'Z' - 1)) >> 8) & (c - 'A' + 1);
	v += ((('a' - 1 - c) & (c - 'z' - 1)) >> 8) & (c - 'a' + 27);
	v += ((('0' - 1 - c) & (c - '9' - 1)) >> 8) & (c - '0' + 53);
	v += (((c62 - 1 - c) & (c - c62 - 1)) >> 8) & 63;
	v += (((c63 - 1 - c) & (c - c63 - 1)) >> 8) & 64;
	return (v);
}

/* Characters needed for len bytes, without the NUL; SIZE_MAX if too many. */
size_t
base64_encoded_len(size_t len, int flags)
{
	size_t	 groups = len / 3, rem = len % 3;

	if (groups > (SIZE_MAX - 4) / 4)
		return (SIZE_MAX);
	if (rem == 0)
		return (groups * 4);
	if (flags & B64_NOPAD)
		return (groups * 4 + rem + 1);
	return (groups * 4 + 4);
}

/* Bytes that len characters can decode to, at most. */
size_t
base64_decoded_maxlen(size_t len)
{
	return (len / 4 * 3 + 2);
}

/* Writes the characters and a NUL into dst; -1 if dstlen is too small. */
int
base64_encode(char *dst, size_t dstlen, const void *src, size_t len,
    int flags)
{
	const uint8_t	*s = src;
	size_t		 need, i, o = 0;
	uint32_t	 w;
	int		 url = (flags & B64_URL) != 0;

	need = base64_encoded_len(len, flags);
	if (need == SIZE_MAX || need >= dstlen)
		return (-1);
	for (i = 0; i + 3 <= len; i += 3) {
		w = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
		dst[o++] = b64_char(w >> 18, url);
		dst[o++] = b64_char((w >> 12) & 63, url);
		dst[o++] = b64_char((w >> 6) & 63, url);
		dst[o++] = b64_char(w & 63, url);
	}
	if (len - i == 1) {
		w = (uint32_t)s[i] << 16;
		dst[o++] = b64_char(w >> 18, url);
		dst[o++] = b64_char((w >> 12) & 63, url);
		if (!(flags & B64_NOPAD)) {
			dst[o++] = '=';
			dst[o++] = '=';
		}
	} else if (len - i == 2) {
		w = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
		dst[o++] = b64_char(w >> 18, url);
		dst[o++] = b64_char((w >> 12) & 63, url);
		dst[o++] = b64_char((w >> 6) & 63, url);
		if (!(flags & B64_NOPAD))
			dst[o++] = '=';
	}
	dst[o] = '\0';
	return (0);
}

/*
 * Decode len characters (no NUL needed) into dst; the length goes into
 * *outlen.  Padding may be absent or complete, never partial.  On error
 * dst holds nothing of the input.
 */
int
base64_decode(void *dst, size_t dstlen, size_t *outlen, const char *src,
    size_t len, int flags)
{
	uint8_t		*d = dst;
	size_t		 npad = 0, rem, n, i, o = 0;
	uint32_t	 acc = 0, tail = 0;
	int		 url = (flags & B64_URL) != 0, bad = 0, v;

	if (len > 0 && src[len - 1] == '=') {
		npad = 1;
		if (len > 1 && src[len - 2] == '=')
			npad = 2;
		if (len % 4 != 0)
			return (-1);
		len -= npad;
	}
	rem = len % 4;
	if (rem == 1 || (npad != 0 && rem + npad != 4))
		return (-1);
	n = len / 4 * 3 + (rem == 0 ? 0 : rem - 1);
	if (n > dstlen)
		return (-1);

	for (i = 0; i < len; i++) {
		v = b64_value((unsigned char)src[i], url);
		bad |= v;
		acc = acc << 6 | (v & 63);
		if (i % 4 == 3) {
			d[o++] = acc >> 16;
			d[o++] = acc >> 8;
			d[o++] = acc;
			acc = 0;
		}
	}
	if (rem == 2) {
		d[o++] = acc >> 4;
		tail = acc & 0x0f;
	} else if (rem == 3) {
		d[o++] = acc >> 10;
		d[o++] = acc >> 2;
		tail = acc & 0x03;
	}
	acc = 0;
	/* Non-zero unused bits would give one byte string a third spelling. */
	if (bad < 0 || tail != 0) {
		explicit_bzero(d, n);
		return (-1);
	}
	*outlen = n;
	return (0);
}
