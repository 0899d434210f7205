/*
 * Cashu BDHKE and DLEQ (mintd/bdhke.c): the official vectors of NUT-00
 * and NUT-12 (tests/00-tests.md, tests/12-tests.md), the extra vectors
 * of nutshell and cdk, round trips, and refusal of bad input.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bdhke.h"
#include "test.h"

static struct bdhke	*bd;

/* secp256k1's n, n + 1 and 2^256 - 1: none is a scalar. */
#define N_HEX	"fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"
#define N1_HEX	"fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364142"
#define FF_HEX	"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
#define ONE	"0000000000000000000000000000000000000000000000000000000000000001"
#define G_HEX	"0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"

static void	 unhex(void *, size_t, const char *);
static int	 eqhex(const uint8_t *, size_t, const char *);
static void	 test_h2c(void);
static void	 test_blind_sign_unblind(void);
static void	 test_hash_e(void);
static void	 test_dleq_vectors(void);
static void	 test_round_trip(void);
static void	 test_dleq_round_trip(void);
static void	 test_bad_input(void);
static void	 test_hex(void);

static void
unhex(void *out, size_t len, const char *hex)
{
	if (bdhke_fromhex(out, len, hex) == -1) {
		fprintf(stderr, "bad hex in test: %s\n", hex);
		exit(2);
	}
}

static int
eqhex(const uint8_t *b, size_t len, const char *hex)
{
	char	 buf[2 * 65 + 1];

	if (len > 65)
		return (0);
	bdhke_tohex(buf, b, len);
	return (strcmp(buf, hex) == 0);
}

static void
test_h2c(void)
{
	static const struct {
		const char	*msg, *point;
	} v[] = {
		{ "0000000000000000000000000000000000000000000000000000000000000000",
		  "024cce997d3b518f739663b757deaec95bcd9473c30a14ac2fd04023a739d1a725" },
		{ "0000000000000000000000000000000000000000000000000000000000000001",
		  "022e7158e11c9506f1aa4248bf531298daa7febd6194f003edcd9b93ade6253acf" },
		/* Takes a few counters (3) before a point turns up. */
		{ "0000000000000000000000000000000000000000000000000000000000000002",
		  "026cdbe15362df59cd1dd3c9c11de8aedac2106eca69236ecd9fbe117af897be4f" },
	};
	uint8_t	 msg[32], Y[33];
	size_t	 i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		unhex(msg, sizeof(msg), v[i].msg);
		T(bdhke_hash_to_curve(bd, msg, sizeof(msg), Y) == 0 &&
		    eqhex(Y, 33, v[i].point), "NUT-00 hash_to_curve test %zu",
		    i + 1);
	}
	/* The empty message is a message. */
	T(bdhke_hash_to_curve(bd, NULL, 0, Y) == 0 &&
	    bdhke_point_check(bd, Y) == 0, "hash_to_curve of no bytes");
	T(bdhke_hash_to_curve(bd, NULL, 1, Y) == -1,
	    "hash_to_curve: NULL with a length");
}

static void
test_blind_sign_unblind(void)
{
	static const struct {
		const char	*x, *r, *B_;
	} bl[] = {
		{ "d341ee4871f1f889041e63cf0d3823c713eea6aff01e80f1719f08f9e5be98f6",
		  "99fce58439fc37412ab3468b73db0569322588f62fb3a49182d67e23d877824a",
		  "033b1a9737a40cc3fd9b6af4b723632b76a67a36782596304612a6c2bfb5197e6d" },
		{ "f1aaf16c2239746f369572c0784d9dd3d032d952c2d992175873fb58fae31a60",
		  "f78476ea7cc9ade20f9e05e58a804cf19533f03ea805ece5fee88c8e2874ba50",
		  "029bdf2d716ee366eddf599ba252786c1033f47e230248a4612a5670ab931f1763" },
	};
	/* What hashing x as its ASCII hex text would (wrongly) give. */
	static const char *ascii[] = {
		"020323fb15a1eb88bc546fe6fc8a55c8bccd37febb6ab6c3952e11b2fd39e4f152",
		"03f4bd0245698e17e7ab86c5cdf1a2972f690b382322d496ea8d388589695f8f71",
	};
	static const struct {
		const char	*k, *B_, *C_;
	} sg[] = {
		{ ONE,
		  "02a9acc1e48c25eeeb9289b5031cc57da9fe72f3fe2861d264bdc074209b107ba2",
		  "02a9acc1e48c25eeeb9289b5031cc57da9fe72f3fe2861d264bdc074209b107ba2" },
		{ "7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f",
		  "02a9acc1e48c25eeeb9289b5031cc57da9fe72f3fe2861d264bdc074209b107ba2",
		  "0398bc70ce8184d27ba89834d19f5199c84443c31131e48d3c1214db24247d005d" },
	};
	uint8_t	 x[32], r[32], k[32], B_[33], C_[33], C[33], A[33];
	size_t	 i;

	for (i = 0; i < sizeof(bl) / sizeof(bl[0]); i++) {
		unhex(x, sizeof(x), bl[i].x);
		unhex(r, sizeof(r), bl[i].r);
		T(bdhke_blind(bd, x, sizeof(x), r, B_) == 0 &&
		    eqhex(B_, 33, bl[i].B_), "NUT-00 blinded message test %zu",
		    i + 1);
		T(bdhke_blind(bd, bl[i].x, strlen(bl[i].x), r, B_) == 0 &&
		    eqhex(B_, 33, ascii[i]) && !eqhex(B_, 33, bl[i].B_),
		    "blinding the ASCII text of x %zu gives the other point",
		    i + 1);
	}
	for (i = 0; i < sizeof(sg) / sizeof(sg[0]); i++) {
		unhex(k, sizeof(k), sg[i].k);
		unhex(B_, sizeof(B_), sg[i].B_);
		T(bdhke_sign(bd, k, B_, C_) == 0 && eqhex(C_, 33, sg[i].C_),
		    "NUT-00 blinded signature test %zu", i + 1);
	}

	/* nutshell test_crypto.py and cdk dhke.rs. */
	unhex(r, sizeof(r), ONE);
	T(bdhke_blind(bd, "test_message", 12, r, B_) == 0 && eqhex(B_, 33,
	    "025cc16fe33b953e2ace39653efb3e7a7049711ae1d8a2f7a9108753f1cdea742b"),
	    "blind \"test_message\" with r = 1");
	unhex(k, sizeof(k), ONE);
	T(bdhke_sign(bd, k, B_, C_) == 0 && memcmp(C_, B_, 33) == 0,
	    "sign with k = 1 is the identity");
	memset(k, 0x7f, sizeof(k));
	T(bdhke_sign(bd, k, B_, C_) == 0 && eqhex(C_, 33,
	    "027726f0e5757b4202a27198369a3477a17bc275b7529da518fc7cb4a1d927cc0d"),
	    "sign \"test_message\" with k = 7f..7f");
	unhex(C_, sizeof(C_),
	    "025cc16fe33b953e2ace39653efb3e7a7049711ae1d8a2f7a9108753f1cdea742b");
	unhex(A, sizeof(A),
	    "020000000000000000000000000000000000000000000000000000000000000001");
	T(bdhke_unblind(bd, C_, r, A, C) == 0 && eqhex(C, 33,
	    "0271bf0d702dbad86cbe0af3ab2bfba70a0338f22728e412d88a830ed0580b9de4"),
	    "unblind vector 1 (nutshell)");
	unhex(C_, sizeof(C_),
	    "02a9acc1e48c25eeeb9289b5031cc57da9fe72f3fe2861d264bdc074209b107ba2");
	T(bdhke_unblind(bd, C_, r, A, C) == 0 && eqhex(C, 33,
	    "03c724d7e6a5443b39ac8acf11f40420adc4f99a02e7cc1b57703d9391f6d129cd"),
	    "unblind vector 2 (cdk)");
}

static void
test_hash_e(void)
{
	uint8_t	 pts[4][33], e[32];

	unhex(pts[0], 33,
	    "020000000000000000000000000000000000000000000000000000000000000001");
	memcpy(pts[1], pts[0], 33);
	memcpy(pts[2], pts[0], 33);
	unhex(pts[3], 33,
	    "02a9acc1e48c25eeeb9289b5031cc57da9fe72f3fe2861d264bdc074209b107ba2");
	T(bdhke_hash_e(bd, (const uint8_t (*)[33])pts, 4, e) == 0 &&
	    eqhex(e, 32,
	    "a4dc034b74338c28c6bc3ea49731f2a24440fc7c4affc08b31a93fc9fbe6401e"),
	    "NUT-12 hash_e");
	pts[3][0] = 0x04;
	T(bdhke_hash_e(bd, (const uint8_t (*)[33])pts, 4, e) == -1,
	    "hash_e refuses a point that does not parse");
	T(bdhke_hash_e(bd, (const uint8_t (*)[33])pts, 5, e) == -1,
	    "hash_e takes at most 4 points");
}

static void
test_dleq_vectors(void)
{
	uint8_t	 a[32], A[33], A2[33], B_[33], C_[33], C2[33], C[33], p[32];
	uint8_t	 e[32], s[32], r[32], bad[33];
	const char *secret =
	    "daf4dd00a2b68a0858a80450f52c8a7d2ccf87d375e43e216e0c571f089f63e9";

	/* NUT-12 deterministic nonce. */
	unhex(a, sizeof(a),
	    "0000000000000000000000000000000000000000000000000000000000000002");
	unhex(A, sizeof(A),
	    "02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5");
	unhex(B_, sizeof(B_),
	    "02a9acc1e48c25eeeb9289b5031cc57da9fe72f3fe2861d264bdc074209b107ba2");
	unhex(C_, sizeof(C_),
	    "0244eccfc7a348274458bb38044c7f3c389b3c2086c7ec18b5812d2877ab937787");
	T(bdhke_pubkey(bd, a, A2) == 0 && memcmp(A, A2, 33) == 0,
	    "NUT-12 nonce vector: A = a·G");
	T(bdhke_sign(bd, a, B_, C2) == 0 && memcmp(C_, C2, 33) == 0,
	    "NUT-12 nonce vector: C_ = a·B_");
	T(bdhke_dleq_nonce(bd, a, A, B_, C_, p) == 0 &&
	    bdhke_dleq_create(bd, a, B_, C_, p, e, s) == 0 &&
	    eqhex(e, 32,
	    "2a16ffee280aff3c429045607f9b8e0bf8b35910c44c1b20b9dfaf01b263d7b3") &&
	    eqhex(s, 32,
	    "9df27731238334718d120d4f74611a7c668233f988e687ac3fb188f0a34a2dab"),
	    "NUT-12 deterministic nonce: e and s");
	T(bdhke_dleq_verify(bd, A, B_, C_, e, s) == 0,
	    "NUT-12 deterministic nonce: verification passes");
	memset(e, 0, sizeof(e));
	memset(s, 0, sizeof(s));
	T(bdhke_sign_dleq(bd, a, NULL, B_, C2, e, s) == 0 &&
	    memcmp(C2, C_, 33) == 0 && eqhex(e, 32,
	    "2a16ffee280aff3c429045607f9b8e0bf8b35910c44c1b20b9dfaf01b263d7b3") &&
	    eqhex(s, 32,
	    "9df27731238334718d120d4f74611a7c668233f988e687ac3fb188f0a34a2dab"),
	    "bdhke_sign_dleq reproduces the NUT-12 vector");
	memset(e, 0, sizeof(e));
	memset(s, 0, sizeof(s));
	T(bdhke_sign_dleq(bd, a, A, B_, C2, e, s) == 0 &&
	    memcmp(C2, C_, 33) == 0 && eqhex(e, 32,
	    "2a16ffee280aff3c429045607f9b8e0bf8b35910c44c1b20b9dfaf01b263d7b3") &&
	    eqhex(s, 32,
	    "9df27731238334718d120d4f74611a7c668233f988e687ac3fb188f0a34a2dab"),
	    "bdhke_sign_dleq with A given: the same vector");

	/* nutshell and cdk: the nonce p = 1. */
	unhex(p, sizeof(p), ONE);
	unhex(B_, sizeof(B_),
	    "025cc16fe33b953e2ace39653efb3e7a7049711ae1d8a2f7a9108753f1cdea742b");
	unhex(a, sizeof(a), ONE);
	T(bdhke_sign(bd, a, B_, C_) == 0 &&
	    bdhke_dleq_create(bd, a, B_, C_, p, e, s) == 0 && eqhex(e, 32,
	    "a608ae30a54c6d878c706240ee35d4289b68cfe99454bbfa6578b503bce2dbe1") &&
	    eqhex(s, 32,
	    "a608ae30a54c6d878c706240ee35d4289b68cfe99454bbfa6578b503bce2dbe2"),
	    "DLEQ with nonce 1, a = 1");
	unhex(a, sizeof(a),
	    "0000000000000000000000000000000000000000000000000000000000001111");
	T(bdhke_sign(bd, a, B_, C_) == 0 &&
	    bdhke_dleq_create(bd, a, B_, C_, p, e, s) == 0 && eqhex(e, 32,
	    "076cbdda4f368053c33056c438df014d1875eb3c8b28120bece74b6d0e6381bb") &&
	    eqhex(s, 32,
	    "b6d41ac1e12415862bf8cace95e5355e9262eab8a11d201dadd3b6e41584ea6e"),
	    "DLEQ with nonce 1, a = 0x1111");
	T(bdhke_pubkey(bd, a, A) == 0 &&
	    bdhke_dleq_verify(bd, A, B_, C_, e, s) == 0,
	    "DLEQ with nonce 1, a = 0x1111 verifies");

	/* NUT-12 BlindSignature vector. */
	unhex(A, sizeof(A), G_HEX);
	unhex(B_, sizeof(B_),
	    "02a9acc1e48c25eeeb9289b5031cc57da9fe72f3fe2861d264bdc074209b107ba2");
	unhex(C_, sizeof(C_),
	    "02a9acc1e48c25eeeb9289b5031cc57da9fe72f3fe2861d264bdc074209b107ba2");
	unhex(e, sizeof(e),
	    "9818e061ee51d5c8edc3342369a554998ff7b4381c8652d724cdf46429be73d9");
	unhex(s, sizeof(s),
	    "9818e061ee51d5c8edc3342369a554998ff7b4381c8652d724cdf46429be73da");
	T(bdhke_dleq_verify(bd, A, B_, C_, e, s) == 0,
	    "NUT-12 DLEQ on a BlindSignature verifies");
	e[31] ^= 1;
	T(bdhke_dleq_verify(bd, A, B_, C_, e, s) == -1,
	    "BlindSignature DLEQ with a wrong e fails");
	e[31] ^= 1;
	s[0] ^= 0x80;
	T(bdhke_dleq_verify(bd, A, B_, C_, e, s) == -1,
	    "BlindSignature DLEQ with a wrong s fails");
	s[0] ^= 0x80;
	unhex(bad, sizeof(bad),
	    "02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5");
	T(bdhke_dleq_verify(bd, bad, B_, C_, e, s) == -1,
	    "BlindSignature DLEQ with a wrong A fails");
	T(bdhke_dleq_verify(bd, A, bad, C_, e, s) == -1,
	    "BlindSignature DLEQ with a wrong B_ fails");
	T(bdhke_dleq_verify(bd, A, B_, bad, e, s) == -1,
	    "BlindSignature DLEQ with a wrong C_ fails");
	T(bdhke_dleq_verify(bd, A, B_, C_, e, s) == 0,
	    "BlindSignature DLEQ verifies again once restored");

	/* NUT-12 Proof vector: the secret is hashed as ASCII text. */
	unhex(C, sizeof(C),
	    "024369d2d22a80ecf78f3937da9d5f30c1b9f74f0c32684d583cca0fa6a61cdcfc");
	unhex(e, sizeof(e),
	    "b31e58ac6527f34975ffab13e70a48b6d2b0d35abc4b03f0151f09ee1a9763d4");
	unhex(s, sizeof(s),
	    "8fbae004c59e754d71df67e392b6ae4e29293113ddc2ec86592a0431d16306d8");
	unhex(r, sizeof(r),
	    "a6d13fcd7a18442e6076f5e1e7c887ad5de40a019824bdfa9fe740d302e8d861");
	T(bdhke_dleq_verify_proof(bd, A, secret, strlen(secret), C, e, s,
	    r) == 0, "NUT-12 DLEQ on a Proof verifies");
	{
		uint8_t	 raw[32];

		unhex(raw, sizeof(raw), secret);
		T(bdhke_dleq_verify_proof(bd, A, raw, sizeof(raw), C, e, s,
		    r) == -1, "Proof DLEQ fails on the hex-decoded secret");
	}
	T(bdhke_dleq_verify_proof(bd, A, "daf4", 4, C, e, s, r) == -1,
	    "Proof DLEQ with another secret fails");
	r[5] ^= 1;
	T(bdhke_dleq_verify_proof(bd, A, secret, strlen(secret), C, e, s,
	    r) == -1, "Proof DLEQ with a wrong r fails");
	r[5] ^= 1;
	e[0] ^= 1;
	T(bdhke_dleq_verify_proof(bd, A, secret, strlen(secret), C, e, s,
	    r) == -1, "Proof DLEQ with a wrong e fails");
	e[0] ^= 1;
	s[31] ^= 1;
	T(bdhke_dleq_verify_proof(bd, A, secret, strlen(secret), C, e, s,
	    r) == -1, "Proof DLEQ with a wrong s fails");
	s[31] ^= 1;
	T(bdhke_dleq_verify_proof(bd, bad, secret, strlen(secret), C, e, s,
	    r) == -1, "Proof DLEQ with a wrong A fails");
	T(bdhke_dleq_verify_proof(bd, A, secret, strlen(secret), bad, e, s,
	    r) == -1, "Proof DLEQ with a wrong C fails");
	T(bdhke_dleq_verify_proof(bd, A, secret, strlen(secret), C, e, s,
	    r) == 0, "Proof DLEQ verifies again once restored");
}

static void
test_round_trip(void)
{
	uint8_t	 k[32], k2[32], K[33], K2[33], r[32], B_[33], C_[33], C[33];
	uint8_t	 Y[33], C2[33];
	char	 secret[65];
	int	 i, ok = 1, bad = 0;

	for (i = 0; i < 20; i++) {
		uint8_t	 raw[32];

		arc4random_buf(raw, sizeof(raw));
		bdhke_tohex(secret, raw, sizeof(raw));
		if (bdhke_random_scalar(bd, k) == -1 ||
		    bdhke_random_scalar(bd, r) == -1 ||
		    bdhke_pubkey(bd, k, K) == -1 ||
		    bdhke_blind(bd, secret, 64, r, B_) == -1 ||
		    bdhke_sign(bd, k, B_, C_) == -1 ||
		    bdhke_unblind(bd, C_, r, K, C) == -1 ||
		    bdhke_verify(bd, k, secret, 64, C) == -1 ||
		    bdhke_hash_to_curve(bd, secret, 64, Y) == -1 ||
		    bdhke_verify_y(bd, k, Y, C) == -1)
			ok = 0;
		/* Unblinding removes r: the proof is k·Y whatever r was. */
		if (bdhke_random_scalar(bd, r) == -1 ||
		    bdhke_blind(bd, secret, 64, r, B_) == -1 ||
		    bdhke_sign(bd, k, B_, C_) == -1 ||
		    bdhke_unblind(bd, C_, r, K, C2) == -1 ||
		    memcmp(C, C2, 33) != 0)
			ok = 0;
		if (bdhke_random_scalar(bd, k2) == -1 ||
		    bdhke_verify(bd, k2, secret, 64, C) == 0)
			bad = 1;
		secret[0] = secret[0] == 'a' ? 'b' : 'a';
		if (bdhke_verify(bd, k, secret, 64, C) == 0)
			bad = 1;
		C[32] ^= 1;
		secret[0] = secret[0] == 'a' ? 'b' : 'a';
		if (bdhke_verify(bd, k, secret, 64, C) == 0)
			bad = 1;
	}
	T(ok, "blind, sign, unblind, verify: 20 random round trips");
	T(!bad, "verify fails with another key, secret or C");

	/* Unblinding with the wrong mint key gives a C that fails. */
	if (bdhke_random_scalar(bd, k) == -1 ||
	    bdhke_random_scalar(bd, k2) == -1 ||
	    bdhke_random_scalar(bd, r) == -1)
		ok = 0;
	T(bdhke_pubkey(bd, k2, K2) == 0 &&
	    bdhke_blind(bd, "x", 1, r, B_) == 0 &&
	    bdhke_sign(bd, k, B_, C_) == 0 &&
	    bdhke_unblind(bd, C_, r, K2, C) == 0 &&
	    bdhke_verify(bd, k, "x", 1, C) == -1,
	    "unblinded with the wrong K: verify fails");
	/* C_ == r·K unblinds to infinity. */
	T(bdhke_pubkey(bd, k, K) == 0 && bdhke_sign(bd, r, K, C_) == 0 &&
	    bdhke_unblind(bd, C_, r, K, C) == -1,
	    "unblind to the point at infinity fails");
	explicit_bzero(k, sizeof(k));
	explicit_bzero(k2, sizeof(k2));
	explicit_bzero(r, sizeof(r));
}

static void
test_dleq_round_trip(void)
{
	uint8_t	 k[32], K[33], r[32], B_[33], C_[33], C[33], e[32], s[32];
	uint8_t	 e2[32], s2[32], C2_[33], other[33], k2[32];
	const char	*secret = "9a3b2c1d";
	int	 ok = 1, i;

	for (i = 0; i < 10; i++) {
		if (bdhke_random_scalar(bd, k) == -1 ||
		    bdhke_random_scalar(bd, r) == -1 ||
		    bdhke_pubkey(bd, k, K) == -1 ||
		    bdhke_blind(bd, secret, strlen(secret), r, B_) == -1 ||
		    bdhke_sign_dleq(bd, k, K, B_, C_, e, s) == -1 ||
		    bdhke_dleq_verify(bd, K, B_, C_, e, s) == -1 ||
		    bdhke_unblind(bd, C_, r, K, C) == -1 ||
		    bdhke_dleq_verify_proof(bd, K, secret, strlen(secret), C,
		    e, s, r) == -1)
			ok = 0;
	}
	T(ok, "sign_dleq: DLEQ verifies on the BlindSignature and the Proof");

	T(bdhke_sign_dleq(bd, k, NULL, B_, C2_, e2, s2) == 0 &&
	    memcmp(C2_, C_, 33) == 0 && memcmp(e2, e, 32) == 0 &&
	    memcmp(s2, s, 32) == 0, "sign_dleq is deterministic");
	T(bdhke_dleq_create(bd, k, B_, C_, NULL, e2, s2) == 0 &&
	    bdhke_dleq_verify(bd, K, B_, C_, e2, s2) == 0,
	    "DLEQ with a random nonce verifies");
	T(memcmp(e2, e, 32) != 0 && memcmp(s2, s, 32) != 0,
	    "a random nonce gives another proof");

	/* Each input altered in turn. */
	T(bdhke_blind(bd, "other", 5, r, other) == 0 &&
	    bdhke_dleq_verify(bd, K, other, C_, e, s) == -1,
	    "DLEQ fails for another B_");
	T(bdhke_dleq_verify(bd, K, B_, other, e, s) == -1,
	    "DLEQ fails for another C_");
	T(bdhke_dleq_verify(bd, other, B_, C_, e, s) == -1,
	    "DLEQ fails for another A");
	memcpy(e2, e, 32);
	e2[17] ^= 4;
	T(bdhke_dleq_verify(bd, K, B_, C_, e2, s) == -1,
	    "DLEQ fails for an altered e");
	memcpy(s2, s, 32);
	s2[3] ^= 1;
	T(bdhke_dleq_verify(bd, K, B_, C_, e, s2) == -1,
	    "DLEQ fails for an altered s");
	T(bdhke_dleq_verify(bd, K, B_, C_, s, e) == -1,
	    "DLEQ fails with e and s swapped");
	T(bdhke_dleq_verify_proof(bd, K, "9a3b2c1e", 8, C, e, s, r) == -1,
	    "Proof DLEQ fails for another secret");
	/* A proof for C_ made with another key does not pass for K. */
	T(bdhke_random_scalar(bd, k2) == 0 &&
	    bdhke_sign_dleq(bd, k2, NULL, B_, C2_, e2, s2) == 0 &&
	    bdhke_dleq_verify(bd, K, B_, C2_, e2, s2) == -1,
	    "DLEQ by another key fails against K");
	/* A forged C_ with a proof made for the genuine one. */
	T(bdhke_dleq_create(bd, k2, B_, C_, NULL, e2, s2) == 0 &&
	    bdhke_dleq_verify(bd, K, B_, C_, e2, s2) == -1,
	    "DLEQ with the wrong secret a fails");
	explicit_bzero(k, sizeof(k));
	explicit_bzero(k2, sizeof(k2));
}

static void
test_bad_input(void)
{
	uint8_t	 zero[32], n[32], n1[32], ff[32], one[32], k[32];
	uint8_t	 G[33], P[33], B_[33], C_[33], C[33], e[32], s[32], r[32];
	uint8_t	 Y[33];

	memset(zero, 0, sizeof(zero));
	unhex(n, sizeof(n), N_HEX);
	unhex(n1, sizeof(n1), N1_HEX);
	unhex(ff, sizeof(ff), FF_HEX);
	unhex(one, sizeof(one), ONE);
	unhex(G, sizeof(G), G_HEX);

	T(bdhke_scalar_check(bd, one) == 0, "1 is a scalar");
	T(bdhke_scalar_check(bd, zero) == -1, "0 is not a scalar");
	T(bdhke_scalar_check(bd, n) == -1, "n is not a scalar");
	T(bdhke_scalar_check(bd, n1) == -1, "n + 1 is not a scalar");
	T(bdhke_scalar_check(bd, ff) == -1, "2^256 - 1 is not a scalar");

	T(bdhke_point_check(bd, G) == 0, "G is a point");
	memcpy(P, G, 33);
	P[0] = 0x04;
	T(bdhke_point_check(bd, P) == -1, "prefix 04 in 33 bytes refused");
	P[0] = 0x00;
	T(bdhke_point_check(bd, P) == -1, "prefix 00 refused");
	P[0] = 0x06;
	T(bdhke_point_check(bd, P) == -1, "hybrid prefix 06 refused");
	/* x = 5: 5^3 + 7 = 132 is not a square mod p. */
	unhex(P, sizeof(P),
	    "020000000000000000000000000000000000000000000000000000000000000005");
	T(bdhke_point_check(bd, P) == -1, "x off the curve refused");
	memset(P + 1, 0xff, 32);
	T(bdhke_point_check(bd, P) == -1, "x >= p refused");

	T(bdhke_pubkey(bd, zero, C) == -1 && bdhke_pubkey(bd, n, C) == -1,
	    "pubkey of 0 or n fails");
	T(bdhke_blind(bd, "s", 1, zero, B_) == -1, "blind with r = 0 fails");
	T(bdhke_blind(bd, "s", 1, n, B_) == -1, "blind with r = n fails");
	T(bdhke_blind(bd, "s", 1, ff, B_) == -1, "blind with r > n fails");

	T(bdhke_sign(bd, zero, G, C_) == -1, "sign with k = 0 fails");
	T(bdhke_sign(bd, n, G, C_) == -1, "sign with k = n fails");
	T(bdhke_sign(bd, n1, G, C_) == -1, "sign with k = n + 1 fails");
	T(bdhke_sign(bd, one, P, C_) == -1, "sign of an invalid B_ fails");

	T(bdhke_unblind(bd, G, zero, G, C) == -1, "unblind with r = 0 fails");
	T(bdhke_unblind(bd, G, n, G, C) == -1, "unblind with r = n fails");
	T(bdhke_unblind(bd, P, one, G, C) == -1,
	    "unblind of an invalid C_ fails");
	T(bdhke_unblind(bd, G, one, P, C) == -1,
	    "unblind with an invalid K fails");

	T(bdhke_hash_to_curve(bd, "s", 1, Y) == 0 &&
	    bdhke_sign(bd, one, Y, C) == 0 &&
	    bdhke_verify(bd, one, "s", 1, C) == 0, "verify with k = 1");
	T(bdhke_verify(bd, zero, "s", 1, C) == -1 &&
	    bdhke_verify(bd, n, "s", 1, C) == -1,
	    "verify with k = 0 or n fails");
	T(bdhke_verify(bd, one, "s", 1, P) == -1,
	    "verify of an invalid C fails");
	T(bdhke_verify_y(bd, one, P, C) == -1,
	    "verify_y of an invalid Y fails");

	unhex(k, sizeof(k), ONE);
	T(bdhke_dleq_create(bd, k, G, G, zero, e, s) == -1,
	    "DLEQ with nonce 0 fails");
	T(bdhke_dleq_create(bd, k, G, G, n, e, s) == -1,
	    "DLEQ with nonce n fails");
	T(bdhke_dleq_create(bd, zero, G, G, one, e, s) == -1,
	    "DLEQ with a = 0 fails");
	T(bdhke_dleq_create(bd, k, P, G, one, e, s) == -1 &&
	    bdhke_dleq_create(bd, k, G, P, one, e, s) == -1,
	    "DLEQ of invalid points fails");
	T(bdhke_dleq_nonce(bd, zero, G, G, G, r) == -1 &&
	    bdhke_dleq_nonce(bd, one, P, G, G, r) == -1,
	    "DLEQ nonce of a = 0 or an invalid A fails");
	T(bdhke_dleq_create(bd, k, G, G, one, e, s) == 0 &&
	    bdhke_dleq_verify(bd, G, G, G, e, s) == 0,
	    "DLEQ for a = 1 on G verifies");
	T(bdhke_dleq_verify(bd, G, G, G, zero, s) == -1 &&
	    bdhke_dleq_verify(bd, G, G, G, e, zero) == -1,
	    "DLEQ verify with e = 0 or s = 0 fails");
	T(bdhke_dleq_verify(bd, G, G, G, n, s) == -1 &&
	    bdhke_dleq_verify(bd, G, G, G, e, ff) == -1,
	    "DLEQ verify with e = n or s > n fails");
	T(bdhke_dleq_verify(bd, P, G, G, e, s) == -1 &&
	    bdhke_dleq_verify(bd, G, P, G, e, s) == -1 &&
	    bdhke_dleq_verify(bd, G, G, P, e, s) == -1,
	    "DLEQ verify with an invalid point fails");
	T(bdhke_dleq_verify_proof(bd, G, "s", 1, G, e, s, zero) == -1 &&
	    bdhke_dleq_verify_proof(bd, G, "s", 1, G, e, s, n) == -1,
	    "Proof DLEQ with r = 0 or n fails");
	T(bdhke_sign_dleq(bd, zero, NULL, G, C_, e, s) == -1 &&
	    bdhke_sign_dleq(bd, zero, G, G, C_, e, s) == -1 &&
	    bdhke_sign_dleq(bd, one, NULL, P, C_, e, s) == -1,
	    "sign_dleq with k = 0 or an invalid B_ fails");
	T(bdhke_sign_dleq(bd, one, P, G, C_, e, s) == -1,
	    "sign_dleq with an invalid A fails");
}

static void
test_hex(void)
{
	uint8_t	 b[4];
	char	 h[9];

	T(bdhke_fromhex(b, 4, "00fFa0B1") == 0 && b[0] == 0 &&
	    b[1] == 0xff && b[2] == 0xa0 && b[3] == 0xb1, "fromhex");
	bdhke_tohex(h, b, 4);
	T(strcmp(h, "00ffa0b1") == 0, "tohex is lowercase");
	T(bdhke_fromhex(b, 4, "00ffa0b") == -1, "fromhex: too short");
	T(bdhke_fromhex(b, 4, "00ffa0b1c") == -1, "fromhex: too long");
	T(bdhke_fromhex(b, 4, "00ffa0bg") == -1 && b[0] == 0 && b[1] == 0,
	    "fromhex: not hex, output wiped");
}

int
main(void)
{
	if ((bd = bdhke_new()) == NULL) {
		fprintf(stderr, "bdhke_new failed\n");
		return (1);
	}
	test_hex();
	test_h2c();
	test_blind_sign_unblind();
	test_hash_e();
	test_dleq_vectors();
	test_round_trip();
	test_dleq_round_trip();
	test_bad_input();
	bdhke_free(bd);
	return (test_done());
}
