/*
 * Deterministic wallet secrets (NUT-13), and the BIP32 and BIP39 pieces
 * they stand on (BIP32 also derives the mint's keysets, keyset.c).
 */

#ifndef NUT13_H
#define NUT13_H

#include <stddef.h>
#include <stdint.h>

struct bdhke;

#define BIP32_HARDENED		0x80000000U
#define BIP32_SEED_MIN		16	/* 128 bits, as BIP32 asks */
#define BIP32_SEED_MAX		256	/* nutshell seeds are arbitrary text */
#define BIP39_SEED_LEN		64
#define BIP39_PASSPHRASE_MAX	256
#define NUT13_SECRET_LEN	32	/* the secret string is its hex */
#define NUT13_SECRET_HEX	(2 * NUT13_SECRET_LEN + 1)

/* An extended private key: the caller wipes it (explicit_bzero). */
struct bip32_node {
	uint8_t		 key[32];
	uint8_t		 chain[32];
};

/* Master node: I = HMAC-SHA512("Bitcoin seed", seed). */
int	 bip32_master(const struct bdhke *, const uint8_t *seed,
	    size_t seedlen, struct bip32_node *);
/*
 * CKDpriv: child number index of parent (hardened when index has
 * BIP32_HARDENED set).  -1 in the cases (probability 2^-127) where
 * BIP32 says to skip to the next index: callers do not skip.
 */
int	 bip32_child(const struct bdhke *, const struct bip32_node *parent,
	    uint32_t index, struct bip32_node *child);
/* The node at path[0]/.../path[depth-1] below the master of seed. */
int	 bip32_derive(const struct bdhke *, const uint8_t *seed,
	    size_t seedlen, const uint32_t *path, size_t depth,
	    struct bip32_node *);

/*
 * BIP39 seed: PBKDF2-HMAC-SHA512(mnemonic, "mnemonic" || passphrase,
 * 2048 rounds, 64 bytes).  passphrase may be NULL.  Only ASCII is taken
 * (for ASCII NFKD normalization is the identity; anything else would
 * need it and is refused).  The words are not checked against the
 * BIP39 word list or checksum.
 */
int	 bip39_seed(const char *mnemonic, const char *passphrase,
	    uint8_t seed[BIP39_SEED_LEN]);

/* NUT-13 v1: int_be(keyset id bytes) mod (2^31 - 1). */
int	 nut13_keyset_id_int(const uint8_t *id, size_t idlen, uint32_t *);

/*
 * The secret (as the NUL-terminated lowercase hex string that the proof
 * carries and that is hashed to the curve) and the blinding factor r of
 * output number counter for keyset id (raw bytes: 8 for a 00 keyset, 33
 * for a 01 keyset), from the wallet's BIP39 seed:
 *   00: BIP32 m/129372'/0'/id_int'/counter'/0 (secret) and /1 (r);
 *       counter < 2^31.
 *   01: msg = "Cashu_KDF_HMAC_SHA256" || id || be64(counter);
 *       secret = HMAC-SHA256(seed, msg || 00),
 *       r = HMAC-SHA256(seed, msg || 01) mod n, never 0.
 */
int	 nut13_derive(const struct bdhke *, const uint8_t *seed,
	    size_t seedlen, const uint8_t *id, size_t idlen, uint64_t counter,
	    char secret[NUT13_SECRET_HEX], uint8_t r[32]);

#endif /* NUT13_H */
