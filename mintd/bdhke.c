/*
 * Cashu BDHKE (NUT-00) and DLEQ proofs (NUT-12) on libsecp256k1, with
 * SHA-256 and HMAC from libcrypto.  See bdhke.h for the interface.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <secp256k1.h>
#include <secp256k1_ecdh.h>

#include "bdhke.h"

#define H2C_DST		"Secp256k1_HashToCurve_Cashu_"
#define DLEQ_NONCE_DST	"Cashu_DLEQ_R_v1"
#define RANDOM_TRIES	128

struct bdhke {
	secp256k1_context	*secp;
	EVP_MD			*sha256;
	EVP_MD_CTX		*md;
};

static int	 hexval(int);
static int	 ecdh_uncompressed(unsigned char *, const unsigned char *,
		    const unsigned char *, void *);
static int	 verify_pk(const struct bdhke *, const uint8_t[32],
		    const secp256k1_pubkey *, const uint8_t[33]);
static int	 mul_secret(const struct bdhke *, secp256k1_pubkey *,
		    uint8_t[65], const secp256k1_pubkey *, const uint8_t[32]);
static int	 parse(const struct bdhke *, secp256k1_pubkey *,
		    const uint8_t[33]);
static int	 h2c(struct bdhke *, const void *, size_t, secp256k1_pubkey *,
		    uint8_t[33]);
static void	 serialize(const struct bdhke *, uint8_t[33],
		    const secp256k1_pubkey *);
static void	 serialize_unc(const struct bdhke *, uint8_t[65],
		    const secp256k1_pubkey *);
static void	 compress(uint8_t[33], const uint8_t[65]);
static int	 sha256(struct bdhke *, uint8_t[32], const void *, size_t,
		    const void *, size_t);
static int	 hash_e_unc(struct bdhke *, const uint8_t[][65], size_t,
		    uint8_t[32]);
static int	 nonce_unc(const struct bdhke *, const uint8_t[32],
		    const uint8_t[65], const uint8_t[65], const uint8_t[65],
		    uint8_t[32]);
static int	 dleq_prove(struct bdhke *, const uint8_t[32],
		    const uint8_t[65], const secp256k1_pubkey *,
		    const uint8_t[65], const uint8_t[32], uint8_t[32],
		    uint8_t[32]);
static int	 dleq_check(struct bdhke *, const secp256k1_pubkey *,
		    const secp256k1_pubkey *, const secp256k1_pubkey *,
		    const uint8_t[32], const uint8_t[32]);

struct bdhke *
bdhke_new(void)
{
	struct bdhke	*bd;
	uint8_t		 seed[32];

	if ((bd = calloc(1, sizeof(*bd))) == NULL)
		return (NULL);
	if ((bd->secp = secp256k1_context_create(SECP256K1_CONTEXT_NONE)) ==
	    NULL)
		goto fail;
	/* Blinds the generator multiplications against side channels. */
	arc4random_buf(seed, sizeof(seed));
	if (!secp256k1_context_randomize(bd->secp, seed)) {
		explicit_bzero(seed, sizeof(seed));
		goto fail;
	}
	explicit_bzero(seed, sizeof(seed));
	/* Fetched once: an implicit fetch per hash would cost a lookup. */
	if ((bd->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
		goto fail;
	if ((bd->md = EVP_MD_CTX_new()) == NULL)
		goto fail;
	return (bd);
 fail:
	bdhke_free(bd);
	return (NULL);
}

void
bdhke_free(struct bdhke *bd)
{
	if (bd == NULL)
		return;
	if (bd->secp != NULL)
		secp256k1_context_destroy(bd->secp);
	EVP_MD_CTX_free(bd->md);
	EVP_MD_free(bd->sha256);
	free(bd);
}

const secp256k1_context *
bdhke_secp(const struct bdhke *bd)
{
	return (bd->secp);
}

void
bdhke_tohex(char *out, const void *in, size_t len)
{
	static const char	 digits[] = "0123456789abcdef";
	const uint8_t		*p = in;
	size_t			 i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xf];
	}
	out[2 * len] = '\0';
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

int
bdhke_fromhex(void *out, size_t len, const char *hex)
{
	uint8_t	*p = out;
	size_t	 i;
	int	 hi, lo;

	if (strnlen(hex, 2 * len + 1) != 2 * len)
		return (-1);
	for (i = 0; i < len; i++) {
		if ((hi = hexval((unsigned char)hex[2 * i])) == -1 ||
		    (lo = hexval((unsigned char)hex[2 * i + 1])) == -1) {
			/* The text may be a secret: leave nothing half done. */
			explicit_bzero(out, len);
			return (-1);
		}
		p[i] = hi << 4 | lo;
	}
	return (0);
}

int
bdhke_scalar_check(const struct bdhke *bd, const uint8_t k[32])
{
	return (secp256k1_ec_seckey_verify(bd->secp, k) ? 0 : -1);
}

int
bdhke_point_check(const struct bdhke *bd, const uint8_t P[33])
{
	secp256k1_pubkey	 pk;

	return (parse(bd, &pk, P));
}

int
bdhke_pubkey(const struct bdhke *bd, const uint8_t k[32], uint8_t K[33])
{
	secp256k1_pubkey	 pk;

	if (!secp256k1_ec_pubkey_create(bd->secp, &pk, k))
		return (-1);
	serialize(bd, K, &pk);
	return (0);
}

int
bdhke_random_scalar(const struct bdhke *bd, uint8_t r[32])
{
	int	 i;

	/* Below n with probability 1 - 2^-128 per try. */
	for (i = 0; i < RANDOM_TRIES; i++) {
		arc4random_buf(r, 32);
		if (secp256k1_ec_seckey_verify(bd->secp, r))
			return (0);
	}
	explicit_bzero(r, 32);
	return (-1);
}

int
bdhke_point_uncompress(const struct bdhke *bd, const uint8_t P[33],
    uint8_t U[65])
{
	secp256k1_pubkey	 pk;

	if (parse(bd, &pk, P) == -1)
		return (-1);
	serialize_unc(bd, U, &pk);
	return (0);
}

/* Only compressed points: a 33-byte parse admits 02 and 03 alone. */
static int
parse(const struct bdhke *bd, secp256k1_pubkey *pk, const uint8_t P[33])
{
	return (secp256k1_ec_pubkey_parse(bd->secp, pk, P, 33) ? 0 : -1);
}

static void
serialize(const struct bdhke *bd, uint8_t out[33], const secp256k1_pubkey *pk)
{
	size_t	 len = 33;

	/* Cannot fail with a parsed key and a buffer this size. */
	(void)secp256k1_ec_pubkey_serialize(bd->secp, out, &len, pk,
	    SECP256K1_EC_COMPRESSED);
}

static void
serialize_unc(const struct bdhke *bd, uint8_t out[65],
    const secp256k1_pubkey *pk)
{
	size_t	 len = 65;

	(void)secp256k1_ec_pubkey_serialize(bd->secp, out, &len, pk,
	    SECP256K1_EC_UNCOMPRESSED);
}

static void
compress(uint8_t out[33], const uint8_t unc[65])
{
	out[0] = 0x02 | (unc[64] & 1);
	memcpy(out + 1, unc + 1, 32);
}

/*
 * secp256k1_ecdh() calls this with the affine coordinates of k·P; keep
 * the whole point (04 || X || Y) instead of hashing it.
 */
static int
ecdh_uncompressed(unsigned char *out, const unsigned char *x,
    const unsigned char *y, void *arg)
{
	out[0] = 0x04;
	memcpy(out + 1, x, 32);
	memcpy(out + 33, y, 32);
	return (1);
}

/*
 * k·P in constant time (secp256k1_ecdh's ladder; tweak_mul is
 * variable-time), as 65 bytes and, unless out is NULL, as a key.  -1 if
 * k is not in [1, n).
 */
static int
mul_secret(const struct bdhke *bd, secp256k1_pubkey *out, uint8_t unc[65],
    const secp256k1_pubkey *P, const uint8_t k[32])
{
	if (!secp256k1_ecdh(bd->secp, unc, P, k, ecdh_uncompressed, NULL))
		return (-1);
	/* An uncompressed parse checks the curve equation, no square root. */
	if (out != NULL && !secp256k1_ec_pubkey_parse(bd->secp, out, unc, 65)) {
		explicit_bzero(unc, 65);
		return (-1);
	}
	return (0);
}

static int
sha256(struct bdhke *bd, uint8_t out[32], const void *a, size_t alen,
    const void *b, size_t blen)
{
	if (!EVP_DigestInit_ex(bd->md, bd->sha256, NULL) ||
	    !EVP_DigestUpdate(bd->md, a, alen) ||
	    (blen > 0 && !EVP_DigestUpdate(bd->md, b, blen)) ||
	    !EVP_DigestFinal_ex(bd->md, out, NULL))
		return (-1);
	return (0);
}

int
bdhke_hash_to_curve(struct bdhke *bd, const void *msg, size_t len,
    uint8_t Y[33])
{
	secp256k1_pubkey	 pk;

	return (h2c(bd, msg, len, &pk, Y));
}

/* hash_to_curve, the point both parsed and as bytes (no second sqrt). */
static int
h2c(struct bdhke *bd, const void *msg, size_t len, secp256k1_pubkey *pk,
    uint8_t Y[33])
{
	uint8_t			 buf[36], pt[33];
	uint32_t		 ctr;

	if (msg == NULL && len > 0)
		return (-1);
	if (sha256(bd, buf, H2C_DST, sizeof(H2C_DST) - 1, msg, len) == -1)
		return (-1);
	pt[0] = 0x02;
	for (ctr = 0; ctr < BDHKE_H2C_TRIES; ctr++) {
		buf[32] = ctr & 0xff;
		buf[33] = (ctr >> 8) & 0xff;
		buf[34] = (ctr >> 16) & 0xff;
		buf[35] = (ctr >> 24) & 0xff;
		if (sha256(bd, pt + 1, buf, sizeof(buf), NULL, 0) == -1)
			return (-1);
		/* Fails when X >= p or X^3 + 7 is not a square. */
		if (secp256k1_ec_pubkey_parse(bd->secp, pk, pt, sizeof(pt))) {
			memcpy(Y, pt, sizeof(pt));
			return (0);
		}
	}
	return (-1);
}

int
bdhke_blind(struct bdhke *bd, const void *secret, size_t len,
    const uint8_t r[32], uint8_t B_[33])
{
	secp256k1_pubkey	 Y, R, B;
	const secp256k1_pubkey	*sum[2];
	uint8_t			 y[33];
	int			 rv = -1;

	/* r·G, not a tweak_add: the generator path is constant-time. */
	if (!secp256k1_ec_pubkey_create(bd->secp, &R, r))
		return (-1);
	if (h2c(bd, secret, len, &Y, y) == -1)
		goto done;
	sum[0] = &Y;
	sum[1] = &R;
	if (!secp256k1_ec_pubkey_combine(bd->secp, &B, sum, 2))
		goto done;
	serialize(bd, B_, &B);
	rv = 0;
 done:
	/* r·G links B_ to Y: gone with r. */
	explicit_bzero(&R, sizeof(R));
	return (rv);
}

int
bdhke_sign(const struct bdhke *bd, const uint8_t k[32], const uint8_t B_[33],
    uint8_t C_[33])
{
	secp256k1_pubkey	 B;
	uint8_t			 unc[65];

	if (parse(bd, &B, B_) == -1 || mul_secret(bd, NULL, unc, &B, k) == -1)
		return (-1);
	compress(C_, unc);
	return (0);
}

int
bdhke_unblind(const struct bdhke *bd, const uint8_t C_[33],
    const uint8_t r[32], const uint8_t K[33], uint8_t C[33])
{
	secp256k1_pubkey	 Cb, Kp, T, Cp;
	const secp256k1_pubkey	*sum[2];
	uint8_t			 nr[32], unc[65];
	int			 rv = -1;

	if (parse(bd, &Cb, C_) == -1 || parse(bd, &Kp, K) == -1)
		return (-1);
	if (!secp256k1_ec_seckey_verify(bd->secp, r))
		return (-1);
	/* -r·K directly, so the product needs no negation afterwards. */
	memcpy(nr, r, sizeof(nr));
	if (!secp256k1_ec_seckey_negate(bd->secp, nr))
		goto done;
	if (mul_secret(bd, &T, unc, &Kp, nr) == -1)
		goto done;
	sum[0] = &Cb;
	sum[1] = &T;
	/* Infinity (C_ == r·K) is no signature. */
	if (!secp256k1_ec_pubkey_combine(bd->secp, &Cp, sum, 2))
		goto done;
	serialize(bd, C, &Cp);
	rv = 0;
 done:
	explicit_bzero(nr, sizeof(nr));
	explicit_bzero(unc, sizeof(unc));
	explicit_bzero(&T, sizeof(T));
	return (rv);
}

static int
verify_pk(const struct bdhke *bd, const uint8_t k[32],
    const secp256k1_pubkey *Y, const uint8_t C[33])
{
	uint8_t	 unc[65], kY[33];
	int	 rv;

	if (mul_secret(bd, NULL, unc, Y, k) == -1)
		return (-1);
	compress(kY, unc);
	/*
	 * k·Y is the valid signature on a secret the caller chose: leaking
	 * how many of its bytes matched would let them forge it.
	 */
	rv = CRYPTO_memcmp(kY, C, sizeof(kY)) == 0 ? 0 : -1;
	explicit_bzero(kY, sizeof(kY));
	explicit_bzero(unc, sizeof(unc));
	return (rv);
}

int
bdhke_verify_y(const struct bdhke *bd, const uint8_t k[32],
    const uint8_t Y[33], const uint8_t C[33])
{
	secp256k1_pubkey	 Yp;

	if (parse(bd, &Yp, Y) == -1)
		return (-1);
	return (verify_pk(bd, k, &Yp, C));
}

int
bdhke_verify(struct bdhke *bd, const uint8_t k[32], const void *secret,
    size_t len, const uint8_t C[33])
{
	secp256k1_pubkey	 Yp;
	uint8_t			 Y[33];

	if (h2c(bd, secret, len, &Yp, Y) == -1)
		return (-1);
	return (verify_pk(bd, k, &Yp, C));
}

/* SHA-256 of the concatenated lowercase hex of uncompressed points. */
static int
hash_e_unc(struct bdhke *bd, const uint8_t pts[][65], size_t npts,
    uint8_t e[32])
{
	char	 hex[2 * 65 + 1];
	size_t	 i;

	if (!EVP_DigestInit_ex(bd->md, bd->sha256, NULL))
		return (-1);
	for (i = 0; i < npts; i++) {
		bdhke_tohex(hex, pts[i], 65);
		if (!EVP_DigestUpdate(bd->md, hex, 2 * 65))
			return (-1);
	}
	if (!EVP_DigestFinal_ex(bd->md, e, NULL))
		return (-1);
	return (0);
}

int
bdhke_hash_e(struct bdhke *bd, const uint8_t pts[][33], size_t npts,
    uint8_t e[32])
{
	uint8_t	 unc[4][65];
	size_t	 i;

	if (npts > 4)
		return (-1);
	for (i = 0; i < npts; i++)
		if (bdhke_point_uncompress(bd, pts[i], unc[i]) == -1)
			return (-1);
	return (hash_e_unc(bd, (const uint8_t (*)[65])unc, npts, e));
}

/* The NUT-12 nonce from the uncompressed A, B_ and C_. */
static int
nonce_unc(const struct bdhke *bd, const uint8_t a[32], const uint8_t A[65],
    const uint8_t B[65], const uint8_t C[65], uint8_t r[32])
{
	uint8_t			 msg[sizeof(DLEQ_NONCE_DST) - 1 + 3 * 65 + 1];
	size_t			 off = sizeof(DLEQ_NONCE_DST) - 1;
	unsigned int		 len;
	int			 ctr;

	memcpy(msg, DLEQ_NONCE_DST, off);
	memcpy(msg + off, A, 65);
	memcpy(msg + off + 65, B, 65);
	memcpy(msg + off + 130, C, 65);
	for (ctr = 0; ctr < BDHKE_DLEQ_NONCE_TRIES; ctr++) {
		msg[sizeof(msg) - 1] = ctr;
		len = 32;
		if (HMAC(EVP_sha256(), a, 32, msg, sizeof(msg), r, &len) ==
		    NULL || len != 32)
			break;
		/* Rejection sampling: 0 < r < n, never reduced. */
		if (secp256k1_ec_seckey_verify(bd->secp, r))
			return (0);
	}
	explicit_bzero(r, 32);
	return (-1);
}

int
bdhke_dleq_nonce(const struct bdhke *bd, const uint8_t a[32],
    const uint8_t A[33], const uint8_t B_[33], const uint8_t C_[33],
    uint8_t r[32])
{
	uint8_t	 Au[65], Bu[65], Cu[65];

	if (!secp256k1_ec_seckey_verify(bd->secp, a) ||
	    bdhke_point_uncompress(bd, A, Au) == -1 ||
	    bdhke_point_uncompress(bd, B_, Bu) == -1 ||
	    bdhke_point_uncompress(bd, C_, Cu) == -1)
		return (-1);
	return (nonce_unc(bd, a, Au, Bu, Cu, r));
}

/*
 * e and s from the secret a, the nonce p, and the points in uncompressed
 * form (B also as a key, to multiply).
 */
static int
dleq_prove(struct bdhke *bd, const uint8_t a[32], const uint8_t Au[65],
    const secp256k1_pubkey *B, const uint8_t Cu[65], const uint8_t p[32],
    uint8_t e[32], uint8_t s[32])
{
	secp256k1_pubkey	 R1;
	uint8_t			 pts[4][65];
	int			 rv = -1;

	if (!secp256k1_ec_pubkey_create(bd->secp, &R1, p))
		goto done;
	serialize_unc(bd, pts[0], &R1);
	if (mul_secret(bd, NULL, pts[1], B, p) == -1)
		goto done;
	memcpy(pts[2], Au, 65);
	memcpy(pts[3], Cu, 65);
	if (hash_e_unc(bd, (const uint8_t (*)[65])pts, 4, e) == -1)
		goto done;
	/* s = p + e·a mod n; fails only if e >= n or s == 0. */
	memcpy(s, a, 32);
	if (!secp256k1_ec_seckey_tweak_mul(bd->secp, s, e) ||
	    !secp256k1_ec_seckey_tweak_add(bd->secp, s, p))
		goto done;
	rv = 0;
 done:
	if (rv == -1) {
		explicit_bzero(e, 32);
		explicit_bzero(s, 32);
	}
	/* With e, R1 = p·G would give nothing, but p·B_ is p's too. */
	explicit_bzero(&R1, sizeof(R1));
	explicit_bzero(pts, sizeof(pts));
	return (rv);
}

int
bdhke_dleq_create(struct bdhke *bd, const uint8_t a[32], const uint8_t B_[33],
    const uint8_t C_[33], const uint8_t *nonce, uint8_t e[32], uint8_t s[32])
{
	secp256k1_pubkey	 A, B, C;
	uint8_t			 Au[65], Cu[65], p[32];
	int			 rv;

	if (parse(bd, &B, B_) == -1 || parse(bd, &C, C_) == -1 ||
	    !secp256k1_ec_pubkey_create(bd->secp, &A, a))
		return (-1);
	serialize_unc(bd, Au, &A);
	serialize_unc(bd, Cu, &C);
	if (nonce != NULL) {
		if (!secp256k1_ec_seckey_verify(bd->secp, nonce))
			return (-1);
		memcpy(p, nonce, sizeof(p));
	} else if (bdhke_random_scalar(bd, p) == -1)
		return (-1);
	rv = dleq_prove(bd, a, Au, &B, Cu, p, e, s);
	explicit_bzero(p, sizeof(p));
	return (rv);
}

int
bdhke_sign_dleq(struct bdhke *bd, const uint8_t k[32], const uint8_t *A_,
    const uint8_t B_[33], uint8_t C_[33], uint8_t e[32], uint8_t s[32])
{
	secp256k1_pubkey	 A, B;
	uint8_t			 Au[65], Bu[65], Cu[65], p[32];
	int			 rv = -1;

	if (parse(bd, &B, B_) == -1)
		return (-1);
	/* Parsing the keyset's A is a square root; k·G costs four. */
	if (A_ != NULL) {
		if (parse(bd, &A, A_) == -1)
			return (-1);
	} else if (!secp256k1_ec_pubkey_create(bd->secp, &A, k))
		return (-1);
	if (mul_secret(bd, NULL, Cu, &B, k) == -1)
		return (-1);
	serialize_unc(bd, Au, &A);
	serialize_unc(bd, Bu, &B);
	if (nonce_unc(bd, k, Au, Bu, Cu, p) == -1)
		goto done;
	if (dleq_prove(bd, k, Au, &B, Cu, p, e, s) == -1)
		goto done;
	compress(C_, Cu);
	rv = 0;
 done:
	explicit_bzero(p, sizeof(p));
	return (rv);
}

/*
 * e == hash_e(s·G - e·A, s·B_ - e·C_, A, C_).  Every scalar here is
 * public, so the variable-time tweak_mul is fine.
 */
static int
dleq_check(struct bdhke *bd, const secp256k1_pubkey *A,
    const secp256k1_pubkey *B, const secp256k1_pubkey *C, const uint8_t e[32],
    const uint8_t s[32])
{
	secp256k1_pubkey	 sG, eA, sB, eC, R1, R2;
	const secp256k1_pubkey	*sum[2];
	uint8_t			 pts[4][65], e2[32];

	/* A genuine e and s are both in [1, n). */
	if (!secp256k1_ec_seckey_verify(bd->secp, e) ||
	    !secp256k1_ec_seckey_verify(bd->secp, s))
		return (-1);
	if (!secp256k1_ec_pubkey_create(bd->secp, &sG, s))
		return (-1);
	eA = *A;
	if (!secp256k1_ec_pubkey_tweak_mul(bd->secp, &eA, e) ||
	    !secp256k1_ec_pubkey_negate(bd->secp, &eA))
		return (-1);
	sum[0] = &sG;
	sum[1] = &eA;
	if (!secp256k1_ec_pubkey_combine(bd->secp, &R1, sum, 2))
		return (-1);
	sB = *B;
	eC = *C;
	if (!secp256k1_ec_pubkey_tweak_mul(bd->secp, &sB, s) ||
	    !secp256k1_ec_pubkey_tweak_mul(bd->secp, &eC, e) ||
	    !secp256k1_ec_pubkey_negate(bd->secp, &eC))
		return (-1);
	sum[0] = &sB;
	sum[1] = &eC;
	if (!secp256k1_ec_pubkey_combine(bd->secp, &R2, sum, 2))
		return (-1);
	serialize_unc(bd, pts[0], &R1);
	serialize_unc(bd, pts[1], &R2);
	serialize_unc(bd, pts[2], A);
	serialize_unc(bd, pts[3], C);
	if (hash_e_unc(bd, (const uint8_t (*)[65])pts, 4, e2) == -1)
		return (-1);
	return (CRYPTO_memcmp(e, e2, 32) == 0 ? 0 : -1);
}

int
bdhke_dleq_verify(struct bdhke *bd, const uint8_t A[33], const uint8_t B_[33],
    const uint8_t C_[33], const uint8_t e[32], const uint8_t s[32])
{
	secp256k1_pubkey	 Ap, Bp, Cp;

	if (parse(bd, &Ap, A) == -1 || parse(bd, &Bp, B_) == -1 ||
	    parse(bd, &Cp, C_) == -1)
		return (-1);
	return (dleq_check(bd, &Ap, &Bp, &Cp, e, s));
}

int
bdhke_dleq_verify_proof(struct bdhke *bd, const uint8_t A[33],
    const void *secret, size_t len, const uint8_t C[33], const uint8_t e[32],
    const uint8_t s[32], const uint8_t r[32])
{
	secp256k1_pubkey	 Ap, Cp, Y, R, rA, B, C_;
	const secp256k1_pubkey	*sum[2];
	uint8_t			 y[33];

	/* r travels in the token, so it is public here. */
	if (parse(bd, &Ap, A) == -1 || parse(bd, &Cp, C) == -1 ||
	    !secp256k1_ec_pubkey_create(bd->secp, &R, r))
		return (-1);
	if (h2c(bd, secret, len, &Y, y) == -1)
		return (-1);
	sum[0] = &Y;
	sum[1] = &R;
	if (!secp256k1_ec_pubkey_combine(bd->secp, &B, sum, 2))
		return (-1);
	rA = Ap;
	if (!secp256k1_ec_pubkey_tweak_mul(bd->secp, &rA, r))
		return (-1);
	sum[0] = &Cp;
	sum[1] = &rA;
	if (!secp256k1_ec_pubkey_combine(bd->secp, &C_, sum, 2))
		return (-1);
	return (dleq_check(bd, &Ap, &B, &C_, e, s));
}
