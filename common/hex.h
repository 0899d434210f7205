/*
 * Hex strings: keys, hashes, keyset ids.
 */

#ifndef HEX_H
#define HEX_H

#include <stddef.h>

/* out gets 2 * len lowercase digits and a NUL. */
void	hex_encode(char *, const void *, size_t);
/* Exactly 2 * outlen digits of either case; -1 otherwise. */
int	hex_decode(void *, size_t, const char *);
/* The value of one hex digit of either case, -1 if not one. */
int	hex_nibble(int);

#endif /* HEX_H */
