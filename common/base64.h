/*
 * base64 and base64url (RFC 4648 sections 4 and 5).  Decoding is strict:
 * one alphabet only, padding either absent or complete, '=' only at the
 * end, no whitespace, and the unused bits of the last character zero, so
 * that every byte string has exactly two spellings (padded, unpadded).
 * Both directions run in time independent of the data (tokens are money).
 */

#ifndef BASE64_H
#define BASE64_H

#include <stddef.h>
#include <stdint.h>

#define B64_URL		0x01	/* '-' and '_' instead of '+' and '/' */
#define B64_NOPAD	0x02	/* encode: no '=' at the end */

size_t	base64_encoded_len(size_t, int);
size_t	base64_decoded_maxlen(size_t);
int	base64_encode(char *, size_t, const void *, size_t, int);
int	base64_decode(void *, size_t, size_t *, const char *, size_t, int);

#endif /* BASE64_H */
