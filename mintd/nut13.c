/*
 * NUT-13 deterministic secrets, BIP32 private derivation and BIP39
 * seeds, with HMAC and PBKDF2 from libcrypto.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <secp256k1.h>

#include "bdhke.h"
#include "keyset.h"
#include "nut13.h"

#define BIP32_KEY	"Bitcoin seed"
#define BIP39_SALT	"mnemonic"
#define BIP39_ROUNDS	2048
#define NUT13_PURPOSE	129372		/* U+1F95C, the peanut */
#define NUT13_KDF_DST	"Cashu_KDF_HMAC_SHA256"
#define KEYSET_INT_MOD	0x7fffffffU	/* 2^31 - 1 */

static int	 hmac512(const void *, size_t, const void *, size_t,
		    uint8_t[64]);
static int	 nut13_v1(const struct bdhke *, const uint8_t *, size_t,
		    const uint8_t *, size_t, uint64_t, uint8_t[32],
		    uint8_t[32]);
static int	 nut13_v2(const struct bdhke *, const uint8_t *, size_t,
		    const uint8_t *, size_t, uint64_t, uint8_t[32],
		    uint8_t[32]);
static int	 reduce_n(const struct bdhke *, uint8_t[32]);

/* The group order n, big-endian. */
static const uint8_t	 order[32] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
	0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b,
	0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
};

static int
hmac512(const void *key, size_t keylen, const void *msg, size_t msglen,
    uint8_t out[64])
{
	unsigned int	 len = 64;

	if (HMAC(EVP_sha512(), key, keylen, msg, msglen, out, &len) == NULL ||
	    len != 64) {
		explicit_bzero(out, 64);
		return (-1);
	}
	return (0);
}

int
bip32_master(const struct bdhke *bd, const uint8_t *seed, size_t seedlen,
    struct bip32_node *node)
{
	uint8_t	 I[64];
	int	 rv = -1;

	if (seed == NULL || seedlen < BIP32_SEED_MIN ||
	    seedlen > BIP32_SEED_MAX)
		return (-1);
	if (hmac512(BIP32_KEY, sizeof(BIP32_KEY) - 1, seed, seedlen, I) == -1)
		return (-1);
	/* An IL of 0 or >= n is an invalid master key. */
	if (!secp256k1_ec_seckey_verify(bdhke_secp(bd), I))
		goto done;
	memcpy(node->key, I, 32);
	memcpy(node->chain, I + 32, 32);
	rv = 0;
 done:
	explicit_bzero(I, sizeof(I));
	return (rv);
}

int
bip32_child(const struct bdhke *bd, const struct bip32_node *parent,
    uint32_t index, struct bip32_node *child)
{
	const secp256k1_context	*secp = bdhke_secp(bd);
	secp256k1_pubkey	 pk;
	uint8_t			 data[37], I[64], key[32];
	size_t			 len = 33;
	int			 rv = -1;

	if (index & BIP32_HARDENED) {
		data[0] = 0x00;
		memcpy(data + 1, parent->key, 32);
	} else {
		if (!secp256k1_ec_pubkey_create(secp, &pk, parent->key))
			goto done;
		(void)secp256k1_ec_pubkey_serialize(secp, data, &len, &pk,
		    SECP256K1_EC_COMPRESSED);
	}
	data[33] = index >> 24;
	data[34] = index >> 16;
	data[35] = index >> 8;
	data[36] = index;
	if (hmac512(parent->chain, 32, data, sizeof(data), I) == -1)
		goto done;
	/* key = IL + k_par mod n; fails when IL >= n or the sum is 0. */
	memcpy(key, parent->key, 32);
	if (!secp256k1_ec_seckey_tweak_add(secp, key, I))
		goto done;
	memcpy(child->key, key, 32);
	memcpy(child->chain, I + 32, 32);
	rv = 0;
 done:
	explicit_bzero(data, sizeof(data));
	explicit_bzero(I, sizeof(I));
	explicit_bzero(key, sizeof(key));
	return (rv);
}

int
bip32_derive(const struct bdhke *bd, const uint8_t *seed, size_t seedlen,
    const uint32_t *path, size_t depth, struct bip32_node *out)
{
	struct bip32_node	 node;
	size_t			 i;

	if (bip32_master(bd, seed, seedlen, &node) == -1)
		return (-1);
	for (i = 0; i < depth; i++) {
		if (bip32_child(bd, &node, path[i], &node) == -1) {
			explicit_bzero(&node, sizeof(node));
			return (-1);
		}
	}
	*out = node;
	explicit_bzero(&node, sizeof(node));
	return (0);
}

int
bip39_seed(const char *mnemonic, const char *passphrase,
    uint8_t seed[BIP39_SEED_LEN])
{
	char	 salt[sizeof(BIP39_SALT) - 1 + BIP39_PASSPHRASE_MAX];
	size_t	 mlen, plen, i;
	int	 rv = -1;

	if (passphrase == NULL)
		passphrase = "";
	mlen = strlen(mnemonic);
	plen = strlen(passphrase);
	if (mlen == 0 || mlen > INT32_MAX || plen > BIP39_PASSPHRASE_MAX)
		return (-1);
	for (i = 0; i < mlen; i++)
		if ((unsigned char)mnemonic[i] >= 0x80)
			return (-1);
	for (i = 0; i < plen; i++)
		if ((unsigned char)passphrase[i] >= 0x80)
			return (-1);
	memcpy(salt, BIP39_SALT, sizeof(BIP39_SALT) - 1);
	memcpy(salt + sizeof(BIP39_SALT) - 1, passphrase, plen);
	if (PKCS5_PBKDF2_HMAC(mnemonic, mlen, (unsigned char *)salt,
	    sizeof(BIP39_SALT) - 1 + plen, BIP39_ROUNDS, EVP_sha512(),
	    BIP39_SEED_LEN, seed) == 1)
		rv = 0;
	else
		explicit_bzero(seed, BIP39_SEED_LEN);
	explicit_bzero(salt, sizeof(salt));
	return (rv);
}

int
nut13_keyset_id_int(const uint8_t *id, size_t idlen, uint32_t *out)
{
	uint64_t	 acc = 0;
	size_t		 i;

	if (idlen == 0)
		return (-1);
	/* Horner's rule mod 2^31 - 1: acc stays below 2^39. */
	for (i = 0; i < idlen; i++)
		acc = (acc * 256 + id[i]) % KEYSET_INT_MOD;
	*out = acc;
	return (0);
}

static int
nut13_v1(const struct bdhke *bd, const uint8_t *seed, size_t seedlen,
    const uint8_t *id, size_t idlen, uint64_t counter, uint8_t secret[32],
    uint8_t r[32])
{
	struct bip32_node	 node, leaf;
	uint32_t		 path[4], idint;
	int			 rv = -1;

	if (counter >= BIP32_HARDENED ||
	    nut13_keyset_id_int(id, idlen, &idint) == -1)
		return (-1);
	path[0] = NUT13_PURPOSE | BIP32_HARDENED;
	path[1] = 0 | BIP32_HARDENED;
	path[2] = idint | BIP32_HARDENED;
	path[3] = (uint32_t)counter | BIP32_HARDENED;
	if (bip32_derive(bd, seed, seedlen, path, 4, &node) == -1)
		return (-1);
	if (bip32_child(bd, &node, 0, &leaf) == -1)
		goto done;
	memcpy(secret, leaf.key, 32);
	if (bip32_child(bd, &node, 1, &leaf) == -1)
		goto done;
	memcpy(r, leaf.key, 32);
	rv = 0;
 done:
	explicit_bzero(&node, sizeof(node));
	explicit_bzero(&leaf, sizeof(leaf));
	return (rv);
}

/* r mod n for r < 2^256 < 2n: at most one subtraction.  -1 if 0. */
static int
reduce_n(const struct bdhke *bd, uint8_t r[32])
{
	int	 i, borrow = 0, v;

	if (secp256k1_ec_seckey_verify(bdhke_secp(bd), r))
		return (0);
	/* 0 or >= n; subtracting n from 0 leaves a nonzero value, so test. */
	for (i = 0, v = 0; i < 32; i++)
		v |= r[i];
	if (v == 0)
		return (-1);
	for (i = 31; i >= 0; i--) {
		v = r[i] - order[i] - borrow;
		borrow = v < 0;
		r[i] = v & 0xff;
	}
	return (secp256k1_ec_seckey_verify(bdhke_secp(bd), r) ? 0 : -1);
}

static int
nut13_v2(const struct bdhke *bd, const uint8_t *seed, size_t seedlen,
    const uint8_t *id, size_t idlen, uint64_t counter, uint8_t secret[32],
    uint8_t r[32])
{
	uint8_t		 msg[sizeof(NUT13_KDF_DST) - 1 + KEYSET_ID_MAX + 8 + 1];
	size_t		 off = sizeof(NUT13_KDF_DST) - 1, len;
	unsigned int	 outlen;
	int		 i, rv = -1;

	if (seed == NULL || seedlen == 0 || idlen > KEYSET_ID_MAX)
		return (-1);
	memcpy(msg, NUT13_KDF_DST, off);
	memcpy(msg + off, id, idlen);
	off += idlen;
	for (i = 0; i < 8; i++)
		msg[off + i] = counter >> (56 - 8 * i);
	off += 8;
	len = off + 1;
	msg[off] = 0x00;
	outlen = 32;
	if (HMAC(EVP_sha256(), seed, seedlen, msg, len, secret, &outlen) ==
	    NULL || outlen != 32)
		goto done;
	msg[off] = 0x01;
	outlen = 32;
	if (HMAC(EVP_sha256(), seed, seedlen, msg, len, r, &outlen) == NULL ||
	    outlen != 32)
		goto done;
	if (reduce_n(bd, r) == -1)
		goto done;
	rv = 0;
 done:
	explicit_bzero(msg, sizeof(msg));
	return (rv);
}

int
nut13_derive(const struct bdhke *bd, const uint8_t *seed, size_t seedlen,
    const uint8_t *id, size_t idlen, uint64_t counter,
    char secret[NUT13_SECRET_HEX], uint8_t r[32])
{
	uint8_t	 sec[32];
	int	 rv = -1;

	if (id == NULL || idlen == 0)
		return (-1);
	if (id[0] == KEYSET_V1 && idlen == KEYSET_ID_V1_LEN)
		rv = nut13_v1(bd, seed, seedlen, id, idlen, counter, sec, r);
	else if (id[0] == KEYSET_V2 && idlen == KEYSET_ID_V2_LEN)
		rv = nut13_v2(bd, seed, seedlen, id, idlen, counter, sec, r);
	if (rv == 0)
		bdhke_tohex(secret, sec, sizeof(sec));
	else
		explicit_bzero(r, 32);
	explicit_bzero(sec, sizeof(sec));
	return (rv);
}
