/*
 * bech32 (BIP-173): a human-readable part, '1', and 5-bit groups with a
 * six-character BCH checksum.  Every function checks its bounds and
 * returns -1 on anything malformed.
 */

#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "bech32.h"

static const char	 charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static uint32_t	 polymod_step(uint32_t);
static int	 charset_rev(int);

static uint32_t
polymod_step(uint32_t pre)
{
	uint8_t	 b = pre >> 25;

	return (((pre & 0x1ffffff) << 5) ^
	    (-((b >> 0) & 1) & 0x3b6a57b2UL) ^
	    (-((b >> 1) & 1) & 0x26508e6dUL) ^
	    (-((b >> 2) & 1) & 0x1ea119faUL) ^
	    (-((b >> 3) & 1) & 0x3d4233ddUL) ^
	    (-((b >> 4) & 1) & 0x2a1462b3UL));
}

static int
charset_rev(int c)
{
	const char	*p;

	if (c == '\0' || (p = strchr(charset, c)) == NULL)
		return (-1);
	return (p - charset);
}

/* data: 5-bit values.  out gets hrp '1' data checksum, NUL-terminated. */
int
bech32_encode(char *out, size_t outlen, const char *hrp, const uint8_t *data,
    size_t len)
{
	uint32_t	 chk = 1;
	size_t		 i, hlen = strlen(hrp), n = 0;

	if (hlen == 0 || hlen + 1 + len + 6 + 1 > outlen ||
	    hlen + 1 + len + 6 > BECH32_MAX)
		return (-1);
	for (i = 0; i < hlen; i++) {
		int	 c = (unsigned char)hrp[i];

		if (c < 33 || c > 126 || isupper(c))
			return (-1);
		chk = polymod_step(chk) ^ (c >> 5);
	}
	chk = polymod_step(chk);
	for (i = 0; i < hlen; i++) {
		chk = polymod_step(chk) ^ (hrp[i] & 0x1f);
		out[n++] = hrp[i];
	}
	out[n++] = '1';
	for (i = 0; i < len; i++) {
		if (data[i] >> 5)
			return (-1);
		chk = polymod_step(chk) ^ data[i];
		out[n++] = charset[data[i]];
	}
	for (i = 0; i < 6; i++)
		chk = polymod_step(chk);
	chk ^= 1;
	for (i = 0; i < 6; i++)
		out[n++] = charset[(chk >> ((5 - i) * 5)) & 0x1f];
	out[n] = '\0';
	return (0);
}

/* Decode into hrp (lower case) and 5-bit data without the checksum. */
int
bech32_decode(char *hrp, size_t hrplen, uint8_t *data, size_t *datalen,
    const char *in)
{
	uint32_t	 chk = 1;
	const char	*one;
	size_t		 len = strlen(in), sep, i, n;
	int		 lower = 0, upper = 0, c, v;

	if (len < 8 || len > BECH32_MAX)
		return (-1);
	for (i = 0; i < len; i++) {
		c = (unsigned char)in[i];
		if (c < 33 || c > 126)
			return (-1);
		if (islower(c))
			lower = 1;
		if (isupper(c))
			upper = 1;
	}
	if (lower && upper)
		return (-1);
	if ((one = strrchr(in, '1')) == NULL)
		return (-1);
	sep = one - in;
	if (sep == 0 || sep + 7 > len || sep + 1 > hrplen)
		return (-1);
	n = len - sep - 1 - 6;
	if (n > *datalen)
		return (-1);
	for (i = 0; i < sep; i++) {
		c = tolower((unsigned char)in[i]);
		hrp[i] = c;
		chk = polymod_step(chk) ^ (c >> 5);
	}
	hrp[sep] = '\0';
	chk = polymod_step(chk);
	for (i = 0; i < sep; i++)
		chk = polymod_step(chk) ^ (hrp[i] & 0x1f);
	for (i = sep + 1; i < len; i++) {
		if ((v = charset_rev(tolower((unsigned char)in[i]))) == -1)
			return (-1);
		chk = polymod_step(chk) ^ v;
		if (i < len - 6)
			data[i - sep - 1] = v;
	}
	if (chk != 1)
		return (-1);
	*datalen = n;
	return (0);
}

/* Regroup bits, e.g. 8 to 5 (pad) or 5 to 8 (no pad, strict). */
int
bech32_convert_bits(uint8_t *out, size_t *outlen, int outbits,
    const uint8_t *in, size_t inlen, int inbits, int pad)
{
	uint32_t	 val = 0, maxv = (1U << outbits) - 1;
	size_t		 i, n = 0;
	int		 bits = 0;

	for (i = 0; i < inlen; i++) {
		if (in[i] >> inbits)
			return (-1);
		val = (val << inbits) | in[i];
		bits += inbits;
		while (bits >= outbits) {
			bits -= outbits;
			if (n >= *outlen)
				return (-1);
			out[n++] = (val >> bits) & maxv;
		}
	}
	if (pad) {
		if (bits) {
			if (n >= *outlen)
				return (-1);
			out[n++] = (val << (outbits - bits)) & maxv;
		}
	} else if (bits >= inbits || ((val << (outbits - bits)) & maxv))
		return (-1);
	*outlen = n;
	return (0);
}

/* Bytes in, bech32 string out (NIP-19 npub/nsec). */
int
bech32_encode_bytes(char *out, size_t outlen, const char *hrp,
    const uint8_t *bytes, size_t len)
{
	uint8_t	 data[BECH32_MAX];
	size_t	 n = sizeof(data);

	if (bech32_convert_bits(data, &n, 5, bytes, len, 8, 1) == -1)
		return (-1);
	return (bech32_encode(out, outlen, hrp, data, n));
}

/* A bech32 string with the expected hrp, to at most max bytes. */
int
bech32_decode_bytes(const char *in, const char *want_hrp, uint8_t *bytes,
    size_t max, size_t *len)
{
	char	 hrp[BECH32_MAX];
	uint8_t	 data[BECH32_MAX];
	size_t	 n = sizeof(data);
	int	 rv = -1;

	if (bech32_decode(hrp, sizeof(hrp), data, &n, in) == 0 &&
	    strcmp(hrp, want_hrp) == 0) {
		*len = max;
		rv = bech32_convert_bits(bytes, len, 8, data, n, 5, 0);
	}
	/* It may have been a secret key (nsec). */
	explicit_bzero(data, sizeof(data));
	explicit_bzero(hrp, sizeof(hrp));
	return (rv);
}
