/*
 * Hex strings: keys, hashes, keyset ids.
 */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hex.h"

void
hex_encode(char *out, const void *in, size_t len)
{
	static const char	 digits[] = "0123456789abcdef";
	const uint8_t		*p = in;
	size_t			 i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

int
hex_nibble(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

int
hex_decode(void *out, size_t outlen, const char *hex)
{
	uint8_t	*p = out;
	size_t	 i;
	int	 hi, lo;

	if (strlen(hex) != 2 * outlen)
		return (-1);
	for (i = 0; i < outlen; i++) {
		if ((hi = hex_nibble(hex[2 * i])) == -1 ||
		    (lo = hex_nibble(hex[2 * i + 1])) == -1)
			return (-1);
		p[i] = hi << 4 | lo;
	}
	return (0);
}
