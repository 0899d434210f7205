/*
 * Keysets: derivation from the mint's seed, ids, fees.  See keyset.h.
 */

#include <sys/types.h>

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include <secp256k1.h>

#include "bdhke.h"
#include "keyset.h"
#include "nut13.h"

static const struct {
	const char	*name;
	uint32_t	 index;
} units[] = {
	{ "sat",	0 },
	{ "msat",	1 },
	{ "usd",	2 },
	{ "eur",	3 },
	{ "auth",	4 },
};

int
keyset_init(struct keyset *ks, const char *unit, size_t nkeys,
    uint64_t fee_ppk, uint64_t final_expiry, int version)
{
	size_t	 i, len;

	keyset_clear(ks);
	len = strnlen(unit, KEYSET_UNIT_MAX);
	if (len == 0 || len >= KEYSET_UNIT_MAX)
		return (-1);
	/* The unit is hashed into V2 ids: one spelling only. */
	for (i = 0; i < len; i++)
		if (!((unit[i] >= 'a' && unit[i] <= 'z') ||
		    (unit[i] >= '0' && unit[i] <= '9')))
			return (-1);
	if (nkeys == 0 || nkeys > KEYSET_MAX_KEYS)
		return (-1);
	if (version != KEYSET_V1 && version != KEYSET_V2)
		return (-1);
	memcpy(ks->ks_unit, unit, len + 1);
	ks->ks_nkeys = nkeys;
	ks->ks_fee_ppk = fee_ppk;
	ks->ks_final_expiry = final_expiry;
	ks->ks_version = version;
	return (0);
}

void
keyset_clear(struct keyset *ks)
{
	explicit_bzero(ks, sizeof(*ks));
}

int
keyset_derive(const struct bdhke *bd, struct keyset *ks, const uint8_t *seed,
    size_t seedlen, const uint32_t *path, size_t depth)
{
	struct bip32_node	 base, child;
	size_t			 i;
	int			 rv = -1;

	if (ks->ks_nkeys == 0 || ks->ks_nkeys > KEYSET_MAX_KEYS ||
	    depth > KEYSET_PATH_MAX || (depth > 0 && path == NULL))
		goto fail;
	if (bip32_derive(bd, seed, seedlen, path, depth, &base) == -1)
		goto fail;
	for (i = 0; i < ks->ks_nkeys; i++) {
		if (bip32_child(bd, &base, (uint32_t)i | BIP32_HARDENED,
		    &child) == -1)
			goto done;
		memcpy(ks->ks_priv[i], child.key, 32);
		if (bdhke_pubkey(bd, ks->ks_priv[i], ks->ks_pub[i]) == -1)
			goto done;
	}
	if (keyset_compute_id(ks) == -1)
		goto done;
	rv = 0;
 done:
	explicit_bzero(&base, sizeof(base));
	explicit_bzero(&child, sizeof(child));
 fail:
	if (rv == -1)
		keyset_clear(ks);
	return (rv);
}

int
keyset_unit_index(const char *unit, uint32_t *index)
{
	size_t	 i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(unit, units[i].name) == 0) {
			*index = units[i].index;
			return (0);
		}
	}
	return (-1);
}

int
keyset_path(const char *unit, uint32_t counter, uint32_t path[3])
{
	uint32_t	 u;

	if (keyset_unit_index(unit, &u) == -1 || counter >= BIP32_HARDENED)
		return (-1);
	path[0] = 0 | BIP32_HARDENED;
	path[1] = u | BIP32_HARDENED;
	path[2] = counter | BIP32_HARDENED;
	return (0);
}

int
keyset_compute_id(struct keyset *ks)
{
	uint64_t	 amounts[KEYSET_MAX_KEYS];
	size_t		 i;

	if (ks->ks_nkeys == 0 || ks->ks_nkeys > KEYSET_MAX_KEYS)
		return (-1);
	for (i = 0; i < ks->ks_nkeys; i++)
		amounts[i] = (uint64_t)1 << i;
	switch (ks->ks_version) {
	case KEYSET_V1:
		if (keyset_id_v1((const uint8_t (*)[33])ks->ks_pub,
		    ks->ks_nkeys, ks->ks_id) == -1)
			return (-1);
		ks->ks_idlen = KEYSET_ID_V1_LEN;
		break;
	case KEYSET_V2:
		if (keyset_id_v2(amounts, (const uint8_t (*)[33])ks->ks_pub,
		    ks->ks_nkeys, ks->ks_unit, ks->ks_fee_ppk,
		    ks->ks_final_expiry, ks->ks_id) == -1)
			return (-1);
		ks->ks_idlen = KEYSET_ID_V2_LEN;
		break;
	default:
		return (-1);
	}
	bdhke_tohex(ks->ks_idhex, ks->ks_id, ks->ks_idlen);
	return (0);
}

int
keyset_id_v1(const uint8_t pub[][33], size_t n, uint8_t id[KEYSET_ID_V1_LEN])
{
	EVP_MD_CTX	*md;
	uint8_t		 h[32];
	size_t		 i;
	int		 rv = -1;

	if (n == 0 || (md = EVP_MD_CTX_new()) == NULL)
		return (-1);
	if (!EVP_DigestInit_ex(md, EVP_sha256(), NULL))
		goto done;
	for (i = 0; i < n; i++)
		if (!EVP_DigestUpdate(md, pub[i], 33))
			goto done;
	if (!EVP_DigestFinal_ex(md, h, NULL))
		goto done;
	/* 14 hex digits of the hash: its first 7 bytes. */
	id[0] = KEYSET_V1;
	memcpy(id + 1, h, KEYSET_ID_V1_LEN - 1);
	rv = 0;
 done:
	EVP_MD_CTX_free(md);
	return (rv);
}

int
keyset_id_v2(const uint64_t *amounts, const uint8_t pub[][33], size_t n,
    const char *unit, uint64_t fee_ppk, uint64_t final_expiry,
    uint8_t id[KEYSET_ID_V2_LEN])
{
	EVP_MD_CTX	*md;
	char		 buf[64], hex[67];
	size_t		 i;
	int		 len, rv = -1;

	if (n == 0)
		return (-1);
	for (i = 1; i < n; i++)
		if (amounts[i] <= amounts[i - 1])
			return (-1);
	if ((md = EVP_MD_CTX_new()) == NULL)
		return (-1);
	if (!EVP_DigestInit_ex(md, EVP_sha256(), NULL))
		goto done;
	for (i = 0; i < n; i++) {
		bdhke_tohex(hex, pub[i], 33);
		len = snprintf(buf, sizeof(buf), "%s%" PRIu64 ":",
		    i == 0 ? "" : ",", amounts[i]);
		if (len < 0 || (size_t)len >= sizeof(buf))
			goto done;
		if (!EVP_DigestUpdate(md, buf, len) ||
		    !EVP_DigestUpdate(md, hex, 66))
			goto done;
	}
	if (!EVP_DigestUpdate(md, "|unit:", 6) ||
	    !EVP_DigestUpdate(md, unit, strlen(unit)))
		goto done;
	/* A zero fee or expiry is left out, as the spec and cashu-ts do. */
	if (fee_ppk != 0) {
		len = snprintf(buf, sizeof(buf), "|input_fee_ppk:%" PRIu64,
		    fee_ppk);
		if (len < 0 || (size_t)len >= sizeof(buf) ||
		    !EVP_DigestUpdate(md, buf, len))
			goto done;
	}
	if (final_expiry != 0) {
		len = snprintf(buf, sizeof(buf), "|final_expiry:%" PRIu64,
		    final_expiry);
		if (len < 0 || (size_t)len >= sizeof(buf) ||
		    !EVP_DigestUpdate(md, buf, len))
			goto done;
	}
	if (!EVP_DigestFinal_ex(md, id + 1, NULL))
		goto done;
	id[0] = KEYSET_V2;
	rv = 0;
 done:
	EVP_MD_CTX_free(md);
	return (rv);
}

int
keyset_id_fromhex(const char *hex, uint8_t id[KEYSET_ID_MAX], size_t *idlen)
{
	size_t	 i, len;

	len = strnlen(hex, 2 * KEYSET_ID_MAX + 1);
	/* Lowercase only: ids are compared as text elsewhere. */
	for (i = 0; i < len; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') ||
		    (hex[i] >= 'a' && hex[i] <= 'f')))
			return (-1);
	if (len == 2 * KEYSET_ID_V1_LEN && strncmp(hex, "00", 2) == 0)
		*idlen = KEYSET_ID_V1_LEN;
	else if (len == 2 * KEYSET_ID_V2_LEN && strncmp(hex, "01", 2) == 0)
		*idlen = KEYSET_ID_V2_LEN;
	else
		return (-1);
	return (bdhke_fromhex(id, *idlen, hex));
}

int
keyset_pubkey_fromhex(const struct bdhke *bd, const char *hex,
    uint8_t pub[33])
{
	if (bdhke_fromhex(pub, 33, hex) == -1)
		return (-1);
	if (bdhke_point_check(bd, pub) == -1) {
		memset(pub, 0, 33);
		return (-1);
	}
	return (0);
}

int
keyset_amount_index(const struct keyset *ks, uint64_t amount)
{
	int	 i;

	if (amount == 0 || (amount & (amount - 1)) != 0)
		return (-1);
	for (i = 0; ((uint64_t)1 << i) != amount; i++)
		;
	if ((size_t)i >= ks->ks_nkeys)
		return (-1);
	return (i);
}

int
keyset_fees(const uint64_t *ppk, size_t n, uint64_t *fee)
{
	uint64_t	 sum = 0;
	size_t		 i;

	for (i = 0; i < n; i++) {
		if (ppk[i] > UINT64_MAX - sum)
			return (-1);
		sum += ppk[i];
	}
	/* ceil(sum / 1000) without the overflow of sum + 999. */
	*fee = sum / 1000 + (sum % 1000 != 0);
	return (0);
}
