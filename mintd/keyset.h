/*
 * The mint's keysets (NUT-01, NUT-02): one key pair per amount 2^i,
 * reproducible from the mint's seed; keyset ids (V1 "00", V2 "01");
 * input fees.
 *
 * Derivation: the private key of amount 2^i is the BIP32 private key at
 * path/i' below the master key of the seed bytes (HMAC-SHA512 with key
 * "Bitcoin seed"), where path is the keyset's own hardened path,
 * normally m/0'/unit'/counter' (keyset_path()).  This is the scheme of
 * nutshell (BIP32.from_seed of its MINT_PRIVATE_KEY text, derivation
 * path "m/0'/0'/0'" + "/i'") and of cdk (m/0'/unit'/index'/i'), so the
 * same seed bytes and path give the same keys as those mints.  A seed
 * and a path are all that is needed to rebuild a keyset: nothing secret
 * has to be stored per keyset.
 */

#ifndef KEYSET_H
#define KEYSET_H

#include <stddef.h>
#include <stdint.h>

struct bdhke;

#define KEYSET_V1		0x00	/* id: 00 || SHA256(keys)[0..7) */
#define KEYSET_V2		0x01	/* id: 01 || SHA256(preimage) */
#define KEYSET_ID_V1_LEN	8
#define KEYSET_ID_V2_LEN	33
#define KEYSET_ID_MAX		33
#define KEYSET_ID_HEX		(2 * KEYSET_ID_MAX + 1)
#define KEYSET_MAX_KEYS		64	/* amounts 2^0 .. 2^63 */
#define KEYSET_UNIT_MAX		16	/* with the NUL */
#define KEYSET_PATH_MAX		8

struct keyset {
	char		 ks_unit[KEYSET_UNIT_MAX];	/* "sat", "usd" ... */
	uint64_t	 ks_fee_ppk;		/* input_fee_ppk */
	uint64_t	 ks_final_expiry;	/* unix time, 0: none */
	int		 ks_version;		/* KEYSET_V1 or KEYSET_V2 */
	size_t		 ks_nkeys;		/* amounts 2^0 .. 2^(n-1) */
	uint8_t		 ks_pub[KEYSET_MAX_KEYS][33];
	uint8_t		 ks_priv[KEYSET_MAX_KEYS][32];	/* secret */
	uint8_t		 ks_id[KEYSET_ID_MAX];
	size_t		 ks_idlen;
	char		 ks_idhex[KEYSET_ID_HEX];
};

/*
 * Sets the public parameters of a keyset and clears the rest.  -1 if
 * the unit is empty, too long or not lowercase letters and digits, if
 * nkeys is not in 1..64, or the version is unknown.
 */
int	 keyset_init(struct keyset *, const char *unit, size_t nkeys,
	    uint64_t fee_ppk, uint64_t final_expiry, int version);
/*
 * Derives the nkeys key pairs from seed along path (see above) and
 * computes the id.  On error the keyset is wiped.
 */
int	 keyset_derive(const struct bdhke *, struct keyset *,
	    const uint8_t *seed, size_t seedlen, const uint32_t *path,
	    size_t depth);
/* Wipes the private keys and everything else. */
void	 keyset_clear(struct keyset *);

/* The reserved BIP32 index of a unit: sat 0, msat 1, usd 2, eur 3, auth 4. */
int	 keyset_unit_index(const char *unit, uint32_t *);
/* path[0..3) = m/0'/unit_index(unit)'/counter'; -1 if unit is unknown. */
int	 keyset_path(const char *unit, uint32_t counter, uint32_t path[3]);

/* The id of the keyset from its parameters and public keys. */
int	 keyset_compute_id(struct keyset *);
/* V1 id of keys given in ascending amount order. */
int	 keyset_id_v1(const uint8_t pub[][33], size_t n,
	    uint8_t id[KEYSET_ID_V1_LEN]);
/*
 * V2 id: 01 || SHA256("a1:hex(K1),a2:hex(K2),...|unit:U" [ "|input_fee_ppk:F"
 * if F != 0 ] [ "|final_expiry:E" if E != 0 ]).  amounts must be strictly
 * ascending; -1 otherwise.
 */
int	 keyset_id_v2(const uint64_t *amounts, const uint8_t pub[][33],
	    size_t n, const char *unit, uint64_t fee_ppk, uint64_t final_expiry,
	    uint8_t id[KEYSET_ID_V2_LEN]);
/*
 * A keyset id from its lowercase hex (16 digits for 00, 66 for 01) into
 * id, its length into *idlen.
 */
int	 keyset_id_fromhex(const char *hex, uint8_t id[KEYSET_ID_MAX],
	    size_t *idlen);
/*
 * A public key from JSON: exactly 66 hex digits, a compressed point on
 * the curve (NUT-01: uncompressed or short keys are refused).
 */
int	 keyset_pubkey_fromhex(const struct bdhke *, const char *hex,
	    uint8_t pub[33]);

/* i with amount == 2^i and i < nkeys, or -1 (0, not a power of two...). */
int	 keyset_amount_index(const struct keyset *, uint64_t amount);

/*
 * fees(inputs) = ceil(sum of the input_fee_ppk of each input's keyset
 * / 1000), ppk[i] being the rate of input i.  -1 on overflow.
 */
int	 keyset_fees(const uint64_t *ppk, size_t n, uint64_t *fee);

#endif /* KEYSET_H */
