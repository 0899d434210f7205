/*
 * BOLT 11 invoices (lightning/bolts 11-payment-encoding.md): bech32 of
 * a human-readable part "ln" currency [amount [multiplier]] and 5-bit
 * words: a 35-bit timestamp, tagged fields (type, 10-bit length, data)
 * and a 65-byte recoverable signature over SHA-256 of the prefix's bytes
 * and the words before the signature packed into bytes.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include "bech32.h"
#include "bolt11.h"

#define HRP_MAX		64	/* "lnbcrt" and 20 digits fit many times */
#define SIG_WORDS	104	/* 520 bits: r || s || recovery id */
#define TS_WORDS	7	/* 35 bits */
#define HASH_WORDS	52	/* 256 bits and 4 bits of padding */
#define NODE_WORDS	53	/* 264 bits and 1 bit of padding */
#define UINT_WORDS_MAX	13	/* 65 bits hold any uint64_t */
#define FIELD_MAX	1023	/* words in one tagged field */

/* Tagged field types: the bech32 character's value. */
#define TAG_P		1	/* payment hash */
#define TAG_R		3	/* routing hints: skipped */
#define TAG_9		5	/* features */
#define TAG_X		6	/* expiry */
#define TAG_F		9	/* fallback address: skipped */
#define TAG_D		13	/* description */
#define TAG_S		16	/* payment secret */
#define TAG_N		19	/* payee node id */
#define TAG_H		23	/* description hash */
#define TAG_C		24	/* min_final_cltv_expiry_delta */
#define TAG_M		27	/* payment metadata: skipped */

static const struct {
	const char		*prefix;
	enum bolt11_network	 net;
} networks[] = {
	{ "lnbc",	BOLT11_MAINNET },
	{ "lntb",	BOLT11_TESTNET },
	{ "lntbs",	BOLT11_SIGNET },
	{ "lnbcrt",	BOLT11_REGTEST },
};

/* msat per unit of each multiplier; 'p' is a tenth of a msat. */
static const struct {
	char		 c;
	uint64_t	 msat;
} multipliers[] = {
	{ '\0',	100000000000ULL },	/* bitcoin */
	{ 'm',	100000000ULL },
	{ 'u',	100000ULL },
	{ 'n',	100ULL },
};

/* Even feature bits we understand; odd bits are always fine. */
static const unsigned int known_even[] = {
	BOLT11_F_VAR_ONION, BOLT11_F_PAYMENT_SECRET, BOLT11_F_BASIC_MPP,
	BOLT11_F_ROUTE_BLINDING, BOLT11_F_ATTRIBUTION, BOLT11_F_METADATA,
};

struct words {
	uint8_t		*w;
	size_t		 n;
	size_t		 max;
};

static int	 parse_hrp(struct bolt11 *, const char *);
static int	 parse_fields(struct bolt11 *, const uint8_t *, size_t,
		    secp256k1_pubkey *);
static int	 parse_uint(const uint8_t *, size_t, uint64_t *);
static void	 words_to_bytes(uint8_t *, size_t, const uint8_t *, size_t);
static int	 features_ok(const struct bolt11 *);
static int	 utf8_ok(const char *, size_t);
static int	 sighash(uint8_t[32], const char *, const uint8_t *, size_t);
static int	 put_uint(struct words *, uint64_t, size_t);
static int	 put_field(struct words *, int, const uint8_t *, size_t);
static int	 put_bytes_field(struct words *, int, const uint8_t *, size_t);
static int	 put_uint_field(struct words *, int, uint64_t);
static int	 put_features(struct words *, const struct bolt11 *);
static int	 format_hrp(char *, size_t, const struct bolt11 *);

void
bolt11_init(struct bolt11 *b)
{
	memset(b, 0, sizeof(*b));
	b->network = BOLT11_MAINNET;
	b->expiry = BOLT11_DEFAULT_EXPIRY;
	b->min_final_cltv = BOLT11_DEFAULT_CLTV;
}

const char *
bolt11_network_prefix(enum bolt11_network net)
{
	size_t	 i;

	for (i = 0; i < sizeof(networks) / sizeof(networks[0]); i++)
		if (networks[i].net == net)
			return (networks[i].prefix);
	return (NULL);
}

int
bolt11_feature(const struct bolt11 *b, unsigned int bit)
{
	if (bit >= BOLT11_FEATURE_BITS)
		return (0);
	return ((b->features[bit / 8] >> (bit % 8)) & 1);
}

int
bolt11_feature_set(struct bolt11 *b, unsigned int bit)
{
	if (bit >= BOLT11_FEATURE_BITS)
		return (-1);
	b->features[bit / 8] |= 1 << (bit % 8);
	return (0);
}

uint64_t
bolt11_expires_at(const struct bolt11 *b)
{
	if (b->expiry > UINT64_MAX - b->timestamp)
		return (UINT64_MAX);
	return (b->timestamp + b->expiry);
}

int
bolt11_decode(struct bolt11 *b, const char *str)
{
	secp256k1_ecdsa_recoverable_signature	 rsig;
	secp256k1_ecdsa_signature		 sig, low;
	secp256k1_pubkey			 node;
	char					 hrp[HRP_MAX];
	uint8_t					 words[BOLT11_MAX_LEN];
	uint8_t					 sigbytes[65], hash[32];
	size_t					 nwords = sizeof(words);
	size_t					 i, len;

	bolt11_init(b);
	if (str == NULL || strnlen(str, BOLT11_MAX_LEN + 1) > BOLT11_MAX_LEN)
		return (-1);
	if (bech32_decode(hrp, sizeof(hrp), words, &nwords, str) == -1)
		return (-1);
	if (parse_hrp(b, hrp) == -1)
		return (-1);
	if (nwords < TS_WORDS + SIG_WORDS)
		return (-1);
	len = nwords - SIG_WORDS;

	b->timestamp = 0;
	for (i = 0; i < TS_WORDS; i++)
		b->timestamp = (b->timestamp << 5) | words[i];
	if (parse_fields(b, words + TS_WORDS, len - TS_WORDS, &node) == -1)
		return (-1);

	words_to_bytes(sigbytes, sizeof(sigbytes), words + len, SIG_WORDS);
	if (sigbytes[64] > 3 ||
	    !secp256k1_ecdsa_recoverable_signature_parse_compact(
	    secp256k1_context_static, &rsig, sigbytes, sigbytes[64]))
		return (-1);
	if (sighash(hash, hrp, words, len) == -1)
		return (-1);

	if (b->has_node_id_field) {
		/* The n field: verify against it; low-S only. */
		if (!secp256k1_ecdsa_recoverable_signature_convert(
		    secp256k1_context_static, &sig, &rsig) ||
		    !secp256k1_ecdsa_verify(secp256k1_context_static, &sig,
		    hash, &node))
			return (-1);
	} else {
		/*
		 * Recovery accepts high S: as its low-S twin with the same
		 * recovery id, which is how the specification's example of
		 * a high-S signature recovers the payee.
		 */
		if (!secp256k1_ecdsa_recoverable_signature_convert(
		    secp256k1_context_static, &sig, &rsig))
			return (-1);
		if (secp256k1_ecdsa_signature_normalize(
		    secp256k1_context_static, &low, &sig) &&
		    (!secp256k1_ecdsa_signature_serialize_compact(
		    secp256k1_context_static, sigbytes, &low) ||
		    !secp256k1_ecdsa_recoverable_signature_parse_compact(
		    secp256k1_context_static, &rsig, sigbytes, sigbytes[64])))
			return (-1);
		if (!secp256k1_ecdsa_recover(secp256k1_context_static, &node,
		    &rsig, hash))
			return (-1);
		len = sizeof(b->payee);
		if (!secp256k1_ec_pubkey_serialize(secp256k1_context_static,
		    b->payee, &len, &node, SECP256K1_EC_COMPRESSED))
			return (-1);
	}
	return (0);
}

/* "ln", a known currency, then an optional amount and multiplier. */
static int
parse_hrp(struct bolt11 *b, const char *hrp)
{
	const char	*p, *digits;
	uint64_t	 v = 0, unit = 0;
	size_t		 i, cur, ndigits;
	int		 found = 0;

	if (strncmp(hrp, "ln", 2) != 0)
		return (-1);
	/* The currency is every letter up to the first digit. */
	for (p = hrp + 2; *p >= 'a' && *p <= 'z'; p++)
		;
	cur = p - hrp;
	for (i = 0; i < sizeof(networks) / sizeof(networks[0]); i++) {
		if (strlen(networks[i].prefix) == cur &&
		    strncmp(networks[i].prefix, hrp, cur) == 0) {
			b->network = networks[i].net;
			found = 1;
			break;
		}
	}
	if (!found)
		return (-1);
	if (*p == '\0')
		return (0);	/* any amount */

	/* A positive decimal integer without leading zeros. */
	if (*p < '1' || *p > '9')
		return (-1);
	for (digits = p; *p >= '0' && *p <= '9'; p++)
		;
	ndigits = p - digits;
	if (*p != '\0' && p[1] != '\0')
		return (-1);
	if (*p == 'p') {
		/* Pico-bitcoin: whole msat only; drop the tenths digit. */
		if (digits[ndigits - 1] != '0')
			return (-1);
		ndigits--;
		unit = 1;
	} else {
		for (i = 0; i < sizeof(multipliers) / sizeof(multipliers[0]);
		    i++)
			if (multipliers[i].c == *p) {
				unit = multipliers[i].msat;
				break;
			}
		if (unit == 0)
			return (-1);
	}
	for (i = 0; i < ndigits; i++) {
		if (v > (UINT64_MAX - (digits[i] - '0')) / 10)
			return (-1);
		v = v * 10 + (digits[i] - '0');
	}
	if (v > UINT64_MAX / unit)
		return (-1);
	b->amount_msat = v * unit;
	if (b->amount_msat == 0 || b->amount_msat > BOLT11_MAX_MSAT)
		return (-1);
	b->has_amount = 1;
	return (0);
}

/* The tagged fields between the timestamp and the signature. */
static int
parse_fields(struct bolt11 *b, const uint8_t *w, size_t n,
    secp256k1_pubkey *node)
{
	uint8_t		 key[33];
	size_t		 pos = 0, len;
	int		 type, have_p = 0, have_s = 0, have_x = 0, have_c = 0;
	int		 have_9 = 0;
	unsigned int	 bit, j, k;

	while (pos < n) {
		if (n - pos < 3)
			return (-1);
		type = w[pos];
		len = (size_t)w[pos + 1] << 5 | w[pos + 2];
		pos += 3;
		if (len > n - pos)
			return (-1);

		switch (type) {
		case TAG_P:
			if (len == HASH_WORDS && !have_p) {
				words_to_bytes(b->payment_hash, 32, w + pos,
				    len);
				have_p = 1;
			}
			break;
		case TAG_S:
			if (len == HASH_WORDS && !have_s) {
				words_to_bytes(b->payment_secret, 32, w + pos,
				    len);
				have_s = 1;
			}
			break;
		case TAG_H:
			if (len == HASH_WORDS && !b->has_description_hash) {
				words_to_bytes(b->description_hash, 32,
				    w + pos, len);
				b->has_description_hash = 1;
			}
			break;
		case TAG_D:
			if (b->has_description)
				break;
			b->description_len = len * 5 / 8;
			words_to_bytes((uint8_t *)b->description,
			    b->description_len, w + pos, len);
			b->description[b->description_len] = '\0';
			if (!utf8_ok(b->description, b->description_len))
				return (-1);
			b->has_description = 1;
			break;
		case TAG_X:
			if (have_x)
				break;
			if (parse_uint(w + pos, len, &b->expiry) == -1)
				return (-1);
			have_x = 1;
			break;
		case TAG_C:
			if (have_c)
				break;
			if (parse_uint(w + pos, len, &b->min_final_cltv) == -1)
				return (-1);
			have_c = 1;
			break;
		case TAG_9:
			if (have_9)
				break;
			/* Minimal: no zero word first. */
			if (len > 0 && w[pos] == 0)
				return (-1);
			for (j = 0; j < len; j++)
				for (k = 0; k < 5; k++)
					if (w[pos + j] & (1 << k)) {
						bit = (len - 1 - j) * 5 + k;
						b->features[bit / 8] |=
						    1 << (bit % 8);
					}
			if (!features_ok(b))
				return (-1);
			have_9 = 1;
			break;
		case TAG_N:
			/* A key that does not parse is no valid n field. */
			if (len != NODE_WORDS || b->has_node_id_field)
				break;
			words_to_bytes(key, sizeof(key), w + pos, len);
			if (!secp256k1_ec_pubkey_parse(secp256k1_context_static,
			    node, key, sizeof(key)))
				break;
			memcpy(b->payee, key, sizeof(key));
			b->has_node_id_field = 1;
			break;
		default:
			/* f, r, m and what we do not know. */
			break;
		}
		pos += len;
	}
	if (!have_p || !have_s ||
	    b->has_description == b->has_description_hash)
		return (-1);
	return (0);
}

/* A big-endian number in minimal form: no zero word first. */
static int
parse_uint(const uint8_t *w, size_t len, uint64_t *out)
{
	uint64_t	 v = 0;
	size_t		 i;

	if (len > UINT_WORDS_MAX || (len > 0 && w[0] == 0))
		return (-1);
	for (i = 0; i < len; i++) {
		if (v >> 59)
			return (-1);
		v = v << 5 | w[i];
	}
	*out = v;
	return (0);
}

/* The first outlen bytes of the bits of nwords words; the rest is padding. */
static void
words_to_bytes(uint8_t *out, size_t outlen, const uint8_t *w, size_t nwords)
{
	uint32_t	 acc = 0;
	size_t		 i, n = 0;
	int		 bits = 0;

	for (i = 0; i < nwords && n < outlen; i++) {
		acc = (acc << 5 | w[i]) & 0xfff;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = acc >> bits;
		}
	}
	while (n < outlen)
		out[n++] = 0;
}

/* No unknown even bit, and basic_mpp only with payment_secret. */
static int
features_ok(const struct bolt11 *b)
{
	size_t		 i, k;
	unsigned int	 bit;
	size_t		 j;
	int		 known;

	for (i = 0; i < sizeof(b->features); i++) {
		if (b->features[i] == 0)
			continue;
		for (k = 0; k < 8; k += 2) {
			bit = i * 8 + k;
			if (!bolt11_feature(b, bit))
				continue;
			known = 0;
			for (j = 0; j < sizeof(known_even) /
			    sizeof(known_even[0]); j++)
				if (known_even[j] == bit)
					known = 1;
			if (!known)
				return (0);
		}
	}
	if ((bolt11_feature(b, BOLT11_F_BASIC_MPP) ||
	    bolt11_feature(b, BOLT11_F_BASIC_MPP + 1)) &&
	    !bolt11_feature(b, BOLT11_F_PAYMENT_SECRET) &&
	    !bolt11_feature(b, BOLT11_F_PAYMENT_SECRET + 1))
		return (0);
	return (1);
}

/* Well-formed UTF-8 (no overlong forms, surrogates, NUL). */
static int
utf8_ok(const char *s, size_t len)
{
	const uint8_t	*p = (const uint8_t *)s;
	size_t		 i = 0, k, n;
	uint32_t	 c, min;

	while (i < len) {
		c = p[i];
		if (c == 0)
			return (0);
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			c &= 0x1f;
			min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			c &= 0x0f;
			min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			c &= 0x07;
			min = 0x10000;
		} else
			return (0);
		if (len - i - 1 < n)
			return (0);
		for (k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return (0);
			c = c << 6 | (p[i + k] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return (0);
		i += n + 1;
	}
	return (1);
}

/* SHA-256 of the prefix and the words, zero padded to whole bytes. */
static int
sighash(uint8_t hash[32], const char *hrp, const uint8_t *w, size_t n)
{
	uint8_t		 buf[HRP_MAX + (BOLT11_MAX_LEN * 5 + 7) / 8];
	size_t		 hlen = strlen(hrp), blen;
	unsigned int	 mdlen = 32;

	if (hlen >= HRP_MAX)
		return (-1);
	memcpy(buf, hrp, hlen);
	blen = sizeof(buf) - hlen;
	if (bech32_convert_bits(buf + hlen, &blen, 8, w, n, 5, 1) == -1)
		return (-1);
	if (!EVP_Digest(buf, hlen + blen, hash, &mdlen, EVP_sha256(), NULL))
		return (-1);
	return (0);
}

int
bolt11_encode(const secp256k1_context *ctx, const struct bolt11 *b,
    const uint8_t seckey[32], char *out, size_t outlen)
{
	secp256k1_ecdsa_recoverable_signature	 rsig;
	secp256k1_pubkey			 pub;
	struct words				 ws;
	char					 hrp[HRP_MAX];
	uint8_t					 words[BOLT11_MAX_LEN];
	uint8_t					 hash[32], sig[65], key[33];
	size_t					 len, sigwords;
	int					 recid, rv = -1;

	if (b->has_amount && (b->amount_msat == 0 ||
	    b->amount_msat > BOLT11_MAX_MSAT))
		return (-1);
	if (b->timestamp > BOLT11_TIMESTAMP_MAX ||
	    b->has_description == b->has_description_hash ||
	    (b->has_description && (b->description_len > BOLT11_DESC_MAX ||
	    !utf8_ok(b->description, b->description_len))) ||
	    !features_ok(b) ||
	    (b->features[sizeof(b->features) - 1] >> (BOLT11_FEATURE_BITS % 8)))
		return (-1);
	if (format_hrp(hrp, sizeof(hrp), b) == -1)
		return (-1);

	ws.w = words;
	ws.n = 0;
	ws.max = sizeof(words);
	/* The specification's examples' order: s, p, d or h, x, c, 9, n. */
	if (put_uint(&ws, b->timestamp, TS_WORDS) == -1 ||
	    put_bytes_field(&ws, TAG_S, b->payment_secret, 32) == -1 ||
	    put_bytes_field(&ws, TAG_P, b->payment_hash, 32) == -1)
		return (-1);
	if (b->has_description) {
		if (put_bytes_field(&ws, TAG_D, (const uint8_t *)b->description,
		    b->description_len) == -1)
			return (-1);
	} else if (put_bytes_field(&ws, TAG_H, b->description_hash, 32) == -1)
		return (-1);
	if ((b->expiry != BOLT11_DEFAULT_EXPIRY &&
	    put_uint_field(&ws, TAG_X, b->expiry) == -1) ||
	    (b->min_final_cltv != BOLT11_DEFAULT_CLTV &&
	    put_uint_field(&ws, TAG_C, b->min_final_cltv) == -1) ||
	    put_features(&ws, b) == -1)
		return (-1);

	if (!secp256k1_ec_pubkey_create(ctx, &pub, seckey))
		return (-1);
	if (b->has_node_id_field) {
		len = sizeof(key);
		if (!secp256k1_ec_pubkey_serialize(ctx, key, &len, &pub,
		    SECP256K1_EC_COMPRESSED) ||
		    put_bytes_field(&ws, TAG_N, key, sizeof(key)) == -1)
			return (-1);
	}

	if (sighash(hash, hrp, words, ws.n) == -1 ||
	    !secp256k1_ecdsa_sign_recoverable(ctx, &rsig, hash, seckey, NULL,
	    NULL) ||
	    !secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, sig,
	    &recid, &rsig))
		goto done;
	sig[64] = recid;
	sigwords = ws.max - ws.n;
	if (bech32_convert_bits(words + ws.n, &sigwords, 5, sig, sizeof(sig),
	    8, 1) == -1 || sigwords != SIG_WORDS)
		goto done;
	ws.n += sigwords;

	/* hrp '1' words checksum */
	if (strlen(hrp) + 1 + ws.n + 6 > BOLT11_MAX_LEN ||
	    bech32_encode(out, outlen, hrp, words, ws.n) == -1)
		goto done;
	rv = 0;
 done:
	/* The hash and signature are public; only the key is secret. */
	explicit_bzero(hash, sizeof(hash));
	return (rv);
}

/* Prefix and the amount with the largest multiplier that keeps it whole. */
static int
format_hrp(char *hrp, size_t len, const struct bolt11 *b)
{
	const char	*prefix;
	char		 mult[2] = "";
	size_t		 i;
	int		 r;

	if ((prefix = bolt11_network_prefix(b->network)) == NULL)
		return (-1);
	if (!b->has_amount)
		r = snprintf(hrp, len, "%s", prefix);
	else {
		for (i = 0; i < sizeof(multipliers) / sizeof(multipliers[0]);
		    i++)
			if (b->amount_msat % multipliers[i].msat == 0)
				break;
		if (i < sizeof(multipliers) / sizeof(multipliers[0])) {
			mult[0] = multipliers[i].c;
			r = snprintf(hrp, len, "%s%llu%s", prefix,
			    (unsigned long long)(b->amount_msat /
			    multipliers[i].msat), mult);
		} else	/* tenths of a msat: the msat and a 0 */
			r = snprintf(hrp, len, "%s%llu0p", prefix,
			    (unsigned long long)b->amount_msat);
	}
	if (r < 0 || (size_t)r >= len)
		return (-1);
	return (0);
}

/* v in exactly n words, big-endian. */
static int
put_uint(struct words *ws, uint64_t v, size_t n)
{
	size_t	 i;

	if (n > ws->max - ws->n)
		return (-1);
	for (i = 0; i < n; i++)
		ws->w[ws->n + i] = (v >> (5 * (n - 1 - i))) & 0x1f;
	ws->n += n;
	return (0);
}

static int
put_field(struct words *ws, int type, const uint8_t *data, size_t len)
{
	if (len > FIELD_MAX || len + 3 > ws->max - ws->n)
		return (-1);
	ws->w[ws->n++] = type;
	ws->w[ws->n++] = len >> 5;
	ws->w[ws->n++] = len & 0x1f;
	memcpy(ws->w + ws->n, data, len);
	ws->n += len;
	return (0);
}

static int
put_bytes_field(struct words *ws, int type, const uint8_t *bytes, size_t len)
{
	uint8_t	 data[FIELD_MAX + 1];
	size_t	 n = sizeof(data);

	if (bech32_convert_bits(data, &n, 5, bytes, len, 8, 1) == -1)
		return (-1);
	return (put_field(ws, type, data, n));
}

/* Minimal: as few words as the value needs, none for zero. */
static int
put_uint_field(struct words *ws, int type, uint64_t v)
{
	uint8_t	 data[UINT_WORDS_MAX];
	size_t	 n = 0, i;

	for (i = 0; i < UINT_WORDS_MAX && (v >> (5 * i)) != 0; i++)
		n++;
	for (i = 0; i < n; i++)
		data[i] = (v >> (5 * (n - 1 - i))) & 0x1f;
	return (put_field(ws, type, data, n));
}

static int
put_features(struct words *ws, const struct bolt11 *b)
{
	uint8_t		 data[FIELD_MAX];
	unsigned int	 bit, top = 0;
	size_t		 n, i;
	int		 any = 0;

	for (bit = 0; bit < BOLT11_FEATURE_BITS; bit++)
		if (bolt11_feature(b, bit)) {
			top = bit;
			any = 1;
		}
	if (!any)
		return (0);
	n = top / 5 + 1;
	memset(data, 0, n);
	for (bit = 0; bit <= top; bit++)
		if (bolt11_feature(b, bit))
			data[n - 1 - bit / 5] |= 1 << (bit % 5);
	for (i = 0; i < n; i++)
		if (data[i] >> 5)
			return (-1);
	return (put_field(ws, TAG_9, data, n));
}
