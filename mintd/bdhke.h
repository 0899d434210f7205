/*
 * Blind Diffie-Hellman key exchange of Cashu (NUT-00) and its DLEQ
 * proofs (NUT-12), on libsecp256k1.
 *
 * At this interface a point is its 33-byte SEC1 compressed encoding
 * (02 or 03 || X) and a scalar is 32 bytes big-endian.  A point that
 * does not parse, a scalar that is zero or not below the group order n,
 * and any computation that would end at the point at infinity make a
 * function return -1; nothing here aborts on bad input.  Functions
 * return 0 on success.
 *
 * Multiplications by a secret scalar (the mint's key k, the wallet's
 * blinding factor r, a DLEQ nonce) use libsecp256k1's constant-time
 * paths (secp256k1_ec_pubkey_create, secp256k1_ecdh); the variable-time
 * secp256k1_ec_pubkey_tweak_mul is used only with public scalars (DLEQ
 * verification).  Secret intermediates are wiped before return.
 *
 * A secret is hashed to the curve as the bytes the caller passes: for
 * real proofs that is the UTF-8 text of the secret string (a 64-digit
 * hex secret is NOT hex-decoded); the NUT-00 hash_to_curve test vectors
 * pass hex-decoded bytes.
 */

#ifndef BDHKE_H
#define BDHKE_H

#include <stddef.h>
#include <stdint.h>

#include <secp256k1.h>

#define BDHKE_POINT_LEN		33	/* compressed point */
#define BDHKE_POINT_UNC_LEN	65	/* 04 || X || Y */
#define BDHKE_SCALAR_LEN	32
#define BDHKE_H2C_TRIES		65536	/* counters tried by hash_to_curve */
#define BDHKE_DLEQ_NONCE_TRIES	256	/* NUT-12 nonce rejection sampling */

struct bdhke;

/*
 * One context per process: a secp256k1 context randomized against side
 * channels, and the SHA-256 state.  Not safe for concurrent use from
 * several threads.  bdhke_new() returns NULL on failure.
 */
struct bdhke	*bdhke_new(void);
void		 bdhke_free(struct bdhke *);
/* The secp256k1 context, for keyset.c and nut13.c. */
const secp256k1_context *bdhke_secp(const struct bdhke *);

/* 0 if 0 < k < n. */
int	 bdhke_scalar_check(const struct bdhke *, const uint8_t[32]);
/* 0 if the 33 bytes are a compressed point on the curve. */
int	 bdhke_point_check(const struct bdhke *, const uint8_t[33]);
/* K = k·G. */
int	 bdhke_pubkey(const struct bdhke *, const uint8_t k[32],
	    uint8_t K[33]);
/* A uniformly random scalar from arc4random. */
int	 bdhke_random_scalar(const struct bdhke *, uint8_t r[32]);
/* U = the 65-byte uncompressed form (04 || X || Y) of P. */
int	 bdhke_point_uncompress(const struct bdhke *, const uint8_t P[33],
	    uint8_t U[65]);

/* Lowercase hex of len bytes into out[2 * len + 1], NUL-terminated. */
void	 bdhke_tohex(char *out, const void *in, size_t len);
/* Exactly 2 * len hex digits (either case) into out: 0, or -1. */
int	 bdhke_fromhex(void *out, size_t len, const char *hex);

/*
 * Y = hash_to_curve(msg): the first counter c in 0..2^16-1 for which
 * 02 || SHA256(SHA256("Secp256k1_HashToCurve_Cashu_" || msg) || le32(c))
 * is a point.  -1 if none is (never seen in practice).
 */
int	 bdhke_hash_to_curve(struct bdhke *, const void *msg, size_t len,
	    uint8_t Y[33]);

/* Wallet: B_ = Y + r·G with Y = hash_to_curve(secret). */
int	 bdhke_blind(struct bdhke *, const void *secret, size_t len,
	    const uint8_t r[32], uint8_t B_[33]);
/* Mint: C_ = k·B_. */
int	 bdhke_sign(const struct bdhke *, const uint8_t k[32],
	    const uint8_t B_[33], uint8_t C_[33]);
/* Wallet: C = C_ - r·K. */
int	 bdhke_unblind(const struct bdhke *, const uint8_t C_[33],
	    const uint8_t r[32], const uint8_t K[33], uint8_t C[33]);
/*
 * Mint: 0 if C == k·hash_to_curve(secret), -1 if not or on bad input.
 * bdhke_verify_y() takes Y = hash_to_curve(secret) already computed
 * (the mint needs Y anyway: it names the proof in the spent set).
 */
int	 bdhke_verify(struct bdhke *, const uint8_t k[32],
	    const void *secret, size_t len, const uint8_t C[33]);
int	 bdhke_verify_y(const struct bdhke *, const uint8_t k[32],
	    const uint8_t Y[33], const uint8_t C[33]);

/*
 * NUT-12 hash_e: SHA-256 over the lowercase hex text of the 65-byte
 * uncompressed form of each point in turn.  DLEQ uses (R1, R2, A, C_);
 * at most 4 points.
 */
int	 bdhke_hash_e(struct bdhke *, const uint8_t pts[][33], size_t npts,
	    uint8_t e[32]);

/*
 * NUT-12 deterministic nonce: the first r = HMAC-SHA256(key = a,
 * "Cashu_DLEQ_R_v1" || unc(A) || unc(B_) || unc(C_) || byte(ctr)),
 * ctr = 0..255, with 0 < r < n (rejection sampling, no reduction).
 */
int	 bdhke_dleq_nonce(const struct bdhke *, const uint8_t a[32],
	    const uint8_t A[33], const uint8_t B_[33], const uint8_t C_[33],
	    uint8_t r[32]);
/*
 * Mint: the DLEQ proof (e, s) that C_ = a·B_ and A = a·G share a:
 * R1 = p·G, R2 = p·B_, e = hash_e(R1, R2, A, C_), s = p + e·a mod n.
 * The nonce p is the caller's when nonce != NULL (test vectors, or
 * bdhke_dleq_nonce()), else fresh from arc4random.
 */
int	 bdhke_dleq_create(struct bdhke *, const uint8_t a[32],
	    const uint8_t B_[33], const uint8_t C_[33], const uint8_t *nonce,
	    uint8_t e[32], uint8_t s[32]);
/*
 * Mint: C_ = k·B_ with its DLEQ proof, the nonce derived as NUT-12
 * says (deterministic: no dependence on the random source, and the
 * same (k, B_) always gives the same proof, so no nonce is ever reused
 * for two different challenges).  A is k·G as the keyset holds it
 * (saves a multiplication; it is not checked against k, and a wrong A
 * makes a proof that wallets reject), or NULL to compute it.
 */
int	 bdhke_sign_dleq(struct bdhke *, const uint8_t k[32],
	    const uint8_t *A, const uint8_t B_[33], uint8_t C_[33],
	    uint8_t e[32], uint8_t s[32]);
/*
 * Wallet (on a BlindSignature): 0 if e == hash_e(s·G - e·A,
 * s·B_ - e·C_, A, C_).
 */
int	 bdhke_dleq_verify(struct bdhke *, const uint8_t A[33],
	    const uint8_t B_[33], const uint8_t C_[33], const uint8_t e[32],
	    const uint8_t s[32]);
/*
 * Anyone (on a Proof carrying dleq {e, s, r}): rebuilds
 * B_ = hash_to_curve(secret) + r·G and C_ = C + r·A, then as above.
 */
int	 bdhke_dleq_verify_proof(struct bdhke *, const uint8_t A[33],
	    const void *secret, size_t len, const uint8_t C[33],
	    const uint8_t e[32], const uint8_t s[32], const uint8_t r[32]);

#endif /* BDHKE_H */
