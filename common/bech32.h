/*
 * bech32 (BIP-173), as Nostr's NIP-19 (npub, nsec) and BOLT11 use it.
 */

#ifndef BECH32_H
#define BECH32_H

#include <stddef.h>
#include <stdint.h>

#define BECH32_MAX	7089	/* longest string accepted: LND's BOLT11 limit */

int	bech32_encode(char *, size_t, const char *, const uint8_t *, size_t);
int	bech32_decode(char *, size_t, uint8_t *, size_t *, const char *);
int	bech32_convert_bits(uint8_t *, size_t *, int, const uint8_t *, size_t,
	    int, int);
int	bech32_encode_bytes(char *, size_t, const char *, const uint8_t *,
	    size_t);
int	bech32_decode_bytes(const char *, const char *, uint8_t *, size_t,
	    size_t *);

#endif /* BECH32_H */
