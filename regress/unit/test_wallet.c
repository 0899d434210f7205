/*
 * The pure parts of the wallet (mintd/mint_wallet.c): mint URLs as they
 * are compared, the outputs' split, the input fee, HKDF against RFC
 * 5869, the wallet's keys from the seed, proofs sealed with AES-256-GCM
 * and opened (and not opened when anything changed), a proof's clear
 * form, and the whole path of one output: NUT-13 secret from the
 * wallet's seed, blinded, signed by a mint key, unblinded, verified.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bdhke.h"
#include "ipc.h"
#include "keyset.h"
#include "mintd.h"
#include "nut13.h"
#include "test.h"

/* mintd.c's, which the wallet's network half uses; unused here. */
struct mintd	*mintd;

static int
norm(const char *in, const char *want)
{
	char	 out[IPC_URL_MAX];

	if (wallet_url_normalize(in, out, sizeof(out)) == -1)
		return (want == NULL);
	if (want == NULL || strcmp(out, want) != 0) {
		printf("# %s -> %s\n", in, out);
		return (0);
	}
	return (1);
}

static void
test_urls(void)
{
	T(norm("https://mint.example.org", "https://mint.example.org:443"),
	    "URL: the default port spelt out");
	T(norm("https://Mint.Example.ORG/", "https://mint.example.org:443"),
	    "URL: host lowercased, trailing slash dropped");
	T(norm("HTTP://127.0.0.1:3338//", "http://127.0.0.1:3338"),
	    "URL: scheme lowercased, every trailing slash dropped");
	T(norm("https://m.org:443/cashu/api/", "https://m.org:443/cashu/api"),
	    "URL: the path kept");
	T(norm("https://m.org/cashu?x=1#y", "https://m.org:443/cashu"),
	    "URL: no query, no fragment");
	T(norm("http://[::1]:8080/", "http://[::1]:8080"),
	    "URL: an IPv6 literal in brackets");
	T(norm("http://m.org:80", "http://m.org:80") &&
	    norm("http://m.org", "http://m.org:80"),
	    "URL: port 80 given or not, the same");
	T(norm("ftp://m.org", NULL) && norm("m.org", NULL) &&
	    norm("wss://m.org", NULL) && norm("https://u@m.org", NULL),
	    "URL: not http(s), or with credentials: refused");
}

static void
test_split(void)
{
	uint64_t	 out[64], sum;
	size_t		 n, i;
	int		 ok = 1;

	n = wallet_split(13, out, 64);
	T(n == 3 && out[0] == 1 && out[1] == 4 && out[2] == 8,
	    "split: 13 = 1 + 4 + 8, ascending");
	T(wallet_split(0, out, 64) == 0, "split: 0 is no output");
	n = wallet_split(UINT64_MAX, out, 64);
	for (i = 0, sum = 0; i < n; i++) {
		if (i > 0 && out[i] != 2 * out[i - 1])
			ok = 0;
		sum += out[i];
	}
	T(n == 64 && ok && sum == UINT64_MAX, "split: 2^64-1 in 64 powers");
	T(wallet_split(1024, out, 64) == 1 && out[0] == 1024,
	    "split: a power of two is one output");
}

static void
test_fees(void)
{
	uint64_t	 ppk[3] = { 100, 100, 100 }, fee;

	T(keyset_fees(ppk, 3, &fee) == 0 && fee == 1,
	    "fee: 3 inputs at 100 ppk cost ceil(0.3) = 1");
	T(keyset_fees(ppk, 0, &fee) == 0 && fee == 0, "fee: no input, none");
	ppk[0] = 1000;
	ppk[1] = 1;
	T(keyset_fees(ppk, 2, &fee) == 0 && fee == 2,
	    "fee: 1001 ppk cost 2");
	ppk[0] = 0;
	ppk[1] = 0;
	ppk[2] = 0;
	T(keyset_fees(ppk, 3, &fee) == 0 && fee == 0, "fee: 0 ppk, none");
}

static void
test_amounts(void)
{
	uint64_t	 v;

	T(wallet_amount_parse("9223372036854775808", &v) == 0 &&
	    v == (uint64_t)1 << 63, "amount: 2^63, a key nutshell serves");
	T(wallet_amount_parse("1", &v) == 0 && v == 1, "amount: 1");
	T(wallet_amount_parse("18446744073709551616", &v) == -1 &&
	    wallet_amount_parse("0", &v) == -1 &&
	    wallet_amount_parse("01", &v) == -1 &&
	    wallet_amount_parse("", &v) == -1 &&
	    wallet_amount_parse("-1", &v) == -1 &&
	    wallet_amount_parse("1e3", &v) == -1,
	    "amount: 2^64, 0, leading zero, empty, signs, exponents refused");
}

static int
eqhex(const uint8_t *b, size_t len, const char *hex)
{
	char	 s[256];

	bdhke_tohex(s, b, len);
	return (strcmp(s, hex) == 0);
}

static void
test_hkdf(void)
{
	uint8_t	 ikm[22], okm[42], a[BIP39_SEED_LEN], k[32];
	uint8_t	 a2[BIP39_SEED_LEN], k2[32], seed[64];

	/* RFC 5869 A.3: SHA-256, empty salt and info. */
	memset(ikm, 0x0b, sizeof(ikm));
	T(wallet_hkdf(ikm, sizeof(ikm), "", okm, sizeof(okm)) == 0 &&
	    eqhex(okm, sizeof(okm), "8da4e775a563c18f715f802a063c5a31"
	    "b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"),
	    "HKDF-SHA256: RFC 5869 test case 3");

	memset(seed, 7, sizeof(seed));
	T(wallet_keys_derive(seed, sizeof(seed), a, k) == 0 &&
	    wallet_keys_derive(seed, sizeof(seed), a2, k2) == 0 &&
	    memcmp(a, a2, sizeof(a)) == 0 && memcmp(k, k2, sizeof(k)) == 0,
	    "wallet keys: the same seed, the same keys");
	T(memcmp(a, k, sizeof(k)) != 0 && memcmp(a, seed, sizeof(a)) != 0,
	    "wallet keys: the NUT-13 seed, the blob key and the seed differ");
	seed[0] ^= 1;
	T(wallet_keys_derive(seed, sizeof(seed), a2, k2) == 0 &&
	    memcmp(a, a2, sizeof(a)) != 0 && memcmp(k, k2, sizeof(k)) != 0,
	    "wallet keys: another seed, other keys");
}

static void
test_seal(void)
{
	struct ipc_proof	 pr;
	struct wallet_proof	 wp, wq;
	uint8_t			 key[32], aad[WALLET_AAD_LEN];
	uint8_t			 plain[WALLET_PROOF_MAX], back[WALLET_PROOF_MAX];
	uint8_t			 blob[WALLET_PROOF_MAX + 64], blob2[sizeof(blob)];
	size_t			 plen, blen, blen2, olen;

	memset(&wp, 0, sizeof(wp));
	wp.wp_idlen = 8;
	memcpy(wp.wp_id, "\x00\x37\xc2\xa3\x7d\x03\xa9\x5a", 8);
	wp.wp_amount = 32;
	memset(wp.wp_c, 0x02, sizeof(wp.wp_c));
	strlcpy(wp.wp_secret, "485875df74771877439ac06339e284c3"
	    "acfcd9be7abf3bc20b516faeadfe77ae", sizeof(wp.wp_secret));
	strlcpy(wp.wp_mint, "http://127.0.0.1:3338", sizeof(wp.wp_mint));
	T(wallet_proof_encode(&wp, plain, sizeof(plain), &plen) == 0 &&
	    wallet_proof_decode(plain, plen, &wq) == 0 &&
	    wq.wp_idlen == 8 && memcmp(wq.wp_id, wp.wp_id, 8) == 0 &&
	    wq.wp_amount == 32 && memcmp(wq.wp_c, wp.wp_c, 33) == 0 &&
	    strcmp(wq.wp_secret, wp.wp_secret) == 0 &&
	    strcmp(wq.wp_mint, wp.wp_mint) == 0,
	    "proof: encoded and decoded");
	T(wallet_proof_decode(plain, plen - 1, &wq) == -1 &&
	    wallet_proof_decode(plain, 10, &wq) == -1,
	    "proof: a cut blob is refused");

	memset(key, 0x42, sizeof(key));
	memset(&pr, 0, sizeof(pr));
	memset(pr.p_mint, 1, sizeof(pr.p_mint));
	memcpy(pr.p_keyset, wp.wp_id, 8);
	memset(pr.p_id, 3, sizeof(pr.p_id));
	wallet_aad(&pr, aad);
	T(wallet_seal(key, aad, sizeof(aad), plain, plen, blob, sizeof(blob),
	    &blen) == 0 && blen == plen + WALLET_GCM_IV + WALLET_GCM_TAG,
	    "seal: iv, ciphertext and tag");
	T(memmem(blob, blen, wp.wp_secret, strlen(wp.wp_secret)) == NULL,
	    "seal: the secret is not in the blob");
	T(wallet_open(key, aad, sizeof(aad), blob, blen, back, sizeof(back),
	    &olen) == 0 && olen == plen && memcmp(back, plain, plen) == 0,
	    "open: the same proof back");
	T(wallet_seal(key, aad, sizeof(aad), plain, plen, blob2,
	    sizeof(blob2), &blen2) == 0 && memcmp(blob, blob2, blen) != 0,
	    "seal: a fresh iv each time");
	blob[WALLET_GCM_IV + 3] ^= 1;
	T(wallet_open(key, aad, sizeof(aad), blob, blen, back, sizeof(back),
	    &olen) == -1, "open: a changed ciphertext is refused");
	blob[WALLET_GCM_IV + 3] ^= 1;
	blob[blen - 1] ^= 1;
	T(wallet_open(key, aad, sizeof(aad), blob, blen, back, sizeof(back),
	    &olen) == -1, "open: a changed tag is refused");
	blob[blen - 1] ^= 1;
	aad[WALLET_AAD_LEN - 1] ^= 1;
	T(wallet_open(key, aad, sizeof(aad), blob, blen, back, sizeof(back),
	    &olen) == -1, "open: a blob under another proof key is refused");
	aad[WALLET_AAD_LEN - 1] ^= 1;
	key[0] ^= 1;
	T(wallet_open(key, aad, sizeof(aad), blob, blen, back, sizeof(back),
	    &olen) == -1, "open: another key is refused");
	key[0] ^= 1;
	T(wallet_open(key, aad, sizeof(aad), blob, 20, back, sizeof(back),
	    &olen) == -1, "open: a short blob is refused");
}

/* One output's whole path, a mint key standing for the foreign mint. */
static void
test_output(struct bdhke *bd)
{
	uint8_t	 seed[64], nseed[BIP39_SEED_LEN], bkey[32], id[KEYSET_ID_MAX];
	uint8_t	 r[32], r2[32], k[32], K[33], B_[33], C_[33], C[33], e[32];
	uint8_t	 s[32];
	char	 secret[NUT13_SECRET_HEX], secret2[NUT13_SECRET_HEX];
	size_t	 idlen;

	memset(seed, 9, sizeof(seed));
	memset(k, 0x11, sizeof(k));
	T(wallet_keys_derive(seed, sizeof(seed), nseed, bkey) == 0 &&
	    keyset_id_fromhex("0037c2a37d03a95a", id, &idlen) == 0 &&
	    bdhke_pubkey(bd, k, K) == 0, "output: keys");
	T(nut13_derive(bd, nseed, sizeof(nseed), id, idlen, 5, secret, r) ==
	    0 && nut13_derive(bd, nseed, sizeof(nseed), id, idlen, 5,
	    secret2, r2) == 0 && strcmp(secret, secret2) == 0 &&
	    memcmp(r, r2, 32) == 0 && strlen(secret) == 64,
	    "output: the same counter, the same secret and r (restorable)");
	T(nut13_derive(bd, nseed, sizeof(nseed), id, idlen, 6, secret2,
	    r2) == 0 && strcmp(secret, secret2) != 0,
	    "output: the next counter, another secret");
	T(bdhke_blind(bd, secret, strlen(secret), r, B_) == 0 &&
	    bdhke_sign_dleq(bd, k, K, B_, C_, e, s) == 0 &&
	    bdhke_dleq_verify(bd, K, B_, C_, e, s) == 0 &&
	    bdhke_unblind(bd, C_, r, K, C) == 0 &&
	    bdhke_verify(bd, k, secret, strlen(secret), C) == 0,
	    "output: blinded, signed with DLEQ, checked, unblinded: valid");
	e[0] ^= 1;
	T(bdhke_dleq_verify(bd, K, B_, C_, e, s) == -1,
	    "output: a wrong DLEQ is caught");
}

int
main(void)
{
	struct bdhke	*bd;

	if ((bd = bdhke_new()) == NULL)
		return (1);
	test_urls();
	test_split();
	test_fees();
	test_amounts();
	test_hkdf();
	test_seal();
	test_output(bd);
	bdhke_free(bd);
	return (test_done());
}
