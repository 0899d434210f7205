/*
 * BOLT 11 Lightning invoices: decoding with signature checking, and
 * encoding with signing, for the mint's Lightning backends.
 *
 * Supported on decode: the prefixes lnbc, lntb, lntbs and lnbcrt; an
 * amount with or without the multipliers m, u, n, p; the tagged fields
 * p, s, d, h, x, c, 9 and n.  The fields f, r and m and any unknown tag
 * are skipped.  A p, s, h or n field of the wrong length is skipped (as
 * the specification's examples want); a c, x or 9 field that starts
 * with a zero word (not minimal) makes the invoice invalid.  The first
 * valid field of each kind wins.  An invoice is valid only with one
 * payment hash, one payment secret, exactly one of d and h, no even
 * feature bit that we do not know, and a good signature: checked against
 * the n field when there is one (low-S required there), else by public
 * key recovery (high-S accepted, as the specification says).
 *
 * Stricter than BOLT 11 requires, and documented as such: an amount of
 * zero or with a leading zero is refused; so are amounts above 21
 * million bitcoin, descriptions that are not UTF-8 or contain NUL, and
 * strings longer than BOLT11_MAX_LEN characters (LND's limit).  A
 * "lightning:" URI prefix is not accepted here; strip it first.
 *
 * Nothing here aborts or allocates; every function returns -1 on bad
 * input.  SHA-256 comes from libcrypto: initialise it (bdhke_new() does)
 * before a sandbox forbids opening its configuration file.
 */

#ifndef BOLT11_H
#define BOLT11_H

#include <stddef.h>
#include <stdint.h>

#include <secp256k1.h>

#define BOLT11_MAX_LEN		7089	/* characters, as LND */
#define BOLT11_DESC_MAX		639	/* bytes in one d field: 1023 words */
#define BOLT11_FEATURE_BITS	5115	/* 1023 words of 5 bits */
#define BOLT11_MAX_MSAT		2100000000000000000ULL	/* 21e6 BTC */
#define BOLT11_TIMESTAMP_MAX	((1ULL << 35) - 1)
#define BOLT11_DEFAULT_EXPIRY	3600
#define BOLT11_DEFAULT_CLTV	18

/* Feature bits (BOLT 9) that may be set in invoices. */
#define BOLT11_F_VAR_ONION	8
#define BOLT11_F_PAYMENT_SECRET	14
#define BOLT11_F_BASIC_MPP	16
#define BOLT11_F_ROUTE_BLINDING	24
#define BOLT11_F_ATTRIBUTION	36
#define BOLT11_F_METADATA	48

enum bolt11_network {
	BOLT11_MAINNET,		/* lnbc */
	BOLT11_TESTNET,		/* lntb */
	BOLT11_SIGNET,		/* lntbs */
	BOLT11_REGTEST		/* lnbcrt */
};

struct bolt11 {
	enum bolt11_network	 network;
	int			 has_amount;
	uint64_t		 amount_msat;
	uint64_t		 timestamp;	/* since 1970, 35 bits */
	uint8_t			 payment_hash[32];
	uint8_t			 payment_secret[32];
	int			 has_description;
	char			 description[BOLT11_DESC_MAX + 1];
	size_t			 description_len;	/* without the NUL */
	int			 has_description_hash;
	uint8_t			 description_hash[32];
	uint64_t		 expiry;	/* seconds, default 3600 */
	uint64_t		 min_final_cltv;	/* blocks, default 18 */
	/* Bit i is features[i / 8] & (1 << (i % 8)). */
	uint8_t			 features[(BOLT11_FEATURE_BITS + 7) / 8];
	/* Decode: there was a valid n field.  Encode: write one. */
	int			 has_node_id_field;
	uint8_t			 payee[33];	/* node id, compressed */
};

/*
 * Decode and verify str, upper or lower case.  Fills *b and returns 0;
 * -1 if the invoice is not valid (*b is then undefined).
 */
int	 bolt11_decode(struct bolt11 *b, const char *str);

/*
 * Encode and sign b with the node's secret key, into out (at most
 * BOLT11_MAX_LEN + 1 bytes are needed), lower case.  Takes network,
 * has_amount/amount_msat, timestamp, payment_hash, payment_secret,
 * either description (description_len bytes) or description_hash,
 * expiry, min_final_cltv, features and has_node_id_field from b; payee
 * is ignored (it is the key's).  The amount uses the largest multiplier
 * that keeps it whole.  ctx must be able to sign.  -1 on any bad input
 * or if out is too small.
 */
int	 bolt11_encode(const secp256k1_context *ctx, const struct bolt11 *b,
	    const uint8_t seckey[32], char *out, size_t outlen);

/* The human-readable prefix: "lnbc", "lntb", "lntbs", "lnbcrt". */
const char *bolt11_network_prefix(enum bolt11_network);

/* A fresh struct with the defaults (mainnet, expiry, cltv). */
void	 bolt11_init(struct bolt11 *b);

int	 bolt11_feature(const struct bolt11 *b, unsigned int bit);
int	 bolt11_feature_set(struct bolt11 *b, unsigned int bit);

/* timestamp + expiry, saturating. */
uint64_t bolt11_expires_at(const struct bolt11 *b);

#endif /* BOLT11_H */
