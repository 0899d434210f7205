/*
 * libFuzzer harness for BOLT 11 invoices, in two modes.
 *
 * Text (any input not starting with 0x01): the bytes are an invoice
 * string.  Random text rarely passes the checksum; the seeds are the
 * specification's examples, valid and invalid.
 *
 * Signed (0x01, the prefix's length, the prefix, then one 5-bit word
 * per byte): the harness signs the words with its own key and encodes
 * them, so the fuzzer reaches the tagged fields and the amount behind
 * the checksum and the signature.  Whatever decodes must then name the
 * harness's key as the payee.
 *
 * Whatever decodes must keep the decoder's promises, and must survive
 * encoding (signed by the harness's key) and decoding again unchanged.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include "bech32.h"
#include "bolt11.h"

#define HRP_MAX		48

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static secp256k1_context	*ctx;
static uint8_t			 key[32];
static uint8_t			 node[33];

static void	 init(void);
static int	 sign(char *, size_t, const char *, uint8_t *, size_t);
static void	 check(const struct bolt11 *, int);

static void
init(void)
{
	secp256k1_pubkey	 pub;
	size_t			 len = sizeof(node);

	if ((ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE)) == NULL)
		abort();
	memset(key, 0x5a, sizeof(key));
	if (!secp256k1_ec_pubkey_create(ctx, &pub, key) ||
	    !secp256k1_ec_pubkey_serialize(ctx, node, &len, &pub,
	    SECP256K1_EC_COMPRESSED))
		abort();
}

/* words[0..n) and room for 104 more: sign, append, encode. */
static int
sign(char *out, size_t outlen, const char *hrp, uint8_t *words, size_t n)
{
	secp256k1_ecdsa_recoverable_signature	 rsig;
	uint8_t					 buf[HRP_MAX + 5000];
	uint8_t					 hash[32], sig[65];
	size_t					 hlen = strlen(hrp), blen, sn;
	unsigned int				 mdlen = 32;
	int					 recid;

	memcpy(buf, hrp, hlen);
	blen = sizeof(buf) - hlen;
	if (bech32_convert_bits(buf + hlen, &blen, 8, words, n, 5, 1) == -1 ||
	    !EVP_Digest(buf, hlen + blen, hash, &mdlen, EVP_sha256(), NULL) ||
	    !secp256k1_ecdsa_sign_recoverable(ctx, &rsig, hash, key, NULL,
	    NULL) ||
	    !secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, sig,
	    &recid, &rsig))
		return (-1);
	sig[64] = recid;
	sn = 104;
	if (bech32_convert_bits(words + n, &sn, 5, sig, 65, 8, 1) == -1)
		return (-1);
	return (bech32_encode(out, outlen, hrp, words, n + sn));
}

/* What bolt11_decode() promises, and that encoding keeps it all. */
static void
check(const struct bolt11 *b, int ours)
{
	struct bolt11	 again;
	char		 out[BOLT11_MAX_LEN + 1];
	unsigned int	 bit;

	if (bolt11_network_prefix(b->network) == NULL ||
	    (b->has_amount && (b->amount_msat == 0 ||
	    b->amount_msat > BOLT11_MAX_MSAT)) ||
	    (!b->has_amount && b->amount_msat != 0) ||
	    b->timestamp > BOLT11_TIMESTAMP_MAX ||
	    b->has_description == b->has_description_hash ||
	    b->description_len > BOLT11_DESC_MAX ||
	    (b->has_description &&
	    strlen(b->description) != b->description_len) ||
	    (b->payee[0] != 2 && b->payee[0] != 3))
		abort();
	for (bit = 0; bit < BOLT11_FEATURE_BITS; bit += 2)
		if (bolt11_feature(b, bit) && bit != 8 && bit != 14 &&
		    bit != 16 && bit != 24 && bit != 36 && bit != 48)
			abort();
	if (ours && memcmp(b->payee, node, 33) != 0)
		abort();

	if (bolt11_encode(ctx, b, key, out, sizeof(out)) == -1 ||
	    bolt11_decode(&again, out) == -1)
		abort();
	if (again.network != b->network ||
	    again.has_amount != b->has_amount ||
	    again.amount_msat != b->amount_msat ||
	    again.timestamp != b->timestamp ||
	    memcmp(again.payment_hash, b->payment_hash, 32) != 0 ||
	    memcmp(again.payment_secret, b->payment_secret, 32) != 0 ||
	    again.has_description != b->has_description ||
	    again.description_len != b->description_len ||
	    memcmp(again.description, b->description,
	    b->description_len) != 0 ||
	    again.has_description_hash != b->has_description_hash ||
	    memcmp(again.description_hash, b->description_hash, 32) != 0 ||
	    again.expiry != b->expiry ||
	    again.min_final_cltv != b->min_final_cltv ||
	    memcmp(again.features, b->features, sizeof(b->features)) != 0 ||
	    again.has_node_id_field != b->has_node_id_field ||
	    memcmp(again.payee, node, 33) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char	 str[BOLT11_MAX_LEN + 2];
	static uint8_t	 words[BOLT11_MAX_LEN + 104];
	struct bolt11	 b;
	char		 hrp[HRP_MAX];
	size_t		 i, n;

	if (ctx == NULL)
		init();

	if (size == 0 || data[0] != 0x01) {
		if (size > sizeof(str) - 1)
			return (0);
		memcpy(str, data, size);
		str[size] = '\0';
		if (bolt11_decode(&b, str) == 0)
			check(&b, 0);
		return (0);
	}

	/* 0x01, the prefix's length, the prefix, the words. */
	if (size < 2 || data[1] == 0 || data[1] >= sizeof(hrp) ||
	    size < 2 + (size_t)data[1])
		return (0);
	memcpy(hrp, data + 2, data[1]);
	hrp[data[1]] = '\0';
	for (n = 0, i = 2 + data[1]; i < size && n < BOLT11_MAX_LEN; i++)
		words[n++] = data[i] & 0x1f;
	if (sign(str, sizeof(str), hrp, words, n) == -1)
		return (0);
	if (bolt11_decode(&b, str) == 0)
		check(&b, 1);
	return (0);
}
