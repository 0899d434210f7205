/*
 * Keysets (mintd/keyset.c) and NUT-13 deterministic secrets
 * (mintd/nut13.c): keyset ids of tests/02-tests.md, the invalid keys of
 * tests/01-tests.md, nutshell's keyset of seed "TEST_PRIVATE_KEY", the
 * vectors of tests/13-tests.md, fees, BIP32 and BIP39 vectors.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bdhke.h"
#include "keyset.h"
#include "nut13.h"
#include "test.h"

static struct bdhke	*bd;

/* NUT-02 "keyset S": amounts 1, 2, 4, 8. */
static const char *keyset_s[4] = {
	"03a40f20667ed53513075dc51e715ff2046cad64eb68960632269ba7f0210e38bc",
	"03fd4ce5a16b65576145949e6f99f445f8249fee17c606b688b504a849cdc452de",
	"02648eccfa4c026960966276fa5a4cae46ce0fd432211a4f449bf84f13aa5f8303",
	"02fdfd6796bfeac490cbee12f778f867f0a2c68f6508d17c649759ea0dc3547528",
};

/* NUT-02 "keyset L": amounts 2^0 .. 2^63. */
static const char *keyset_l[64] = {
	"03ba786a2c0745f8c30e490288acd7a72dd53d65afd292ddefa326a4a3fa14c566",
	"03361cd8bd1329fea797a6add1cf1990ffcf2270ceb9fc81eeee0e8e9c1bd0cdf5",
	"036e378bcf78738ddf68859293c69778035740e41138ab183c94f8fee7572214c7",
	"03909d73beaf28edfb283dbeb8da321afd40651e8902fcf5454ecc7d69788626c0",
	"028a36f0e6638ea7466665fe174d958212723019ec08f9ce6898d897f88e68aa5d",
	"03a97a40e146adee2687ac60c2ba2586a90f970de92a9d0e6cae5a4b9965f54612",
	"03ce86f0c197aab181ddba0cfc5c5576e11dfd5164d9f3d4a3fc3ffbbf2e069664",
	"0284f2c06d938a6f78794814c687560a0aabab19fe5e6f30ede38e113b132a3cb9",
	"03b99f475b68e5b4c0ba809cdecaae64eade2d9787aa123206f91cd61f76c01459",
	"03d4db82ea19a44d35274de51f78af0a710925fe7d9e03620b84e3e9976e3ac2eb",
	"031fbd4ba801870871d46cf62228a1b748905ebc07d3b210daf48de229e683f2dc",
	"0276cedb9a3b160db6a158ad4e468d2437f021293204b3cd4bf6247970d8aff54b",
	"02fc6b89b403ee9eb8a7ed457cd3973638080d6e04ca8af7307c965c166b555ea2",
	"0320265583e916d3a305f0d2687fcf2cd4e3cd03a16ea8261fda309c3ec5721e21",
	"036e41de58fdff3cb1d8d713f48c63bc61fa3b3e1631495a444d178363c0d2ed50",
	"0365438f613f19696264300b069d1dad93f0c60a37536b72a8ab7c7366a5ee6c04",
	"02408426cfb6fc86341bac79624ba8708a4376b2d92debdf4134813f866eb57a8d",
	"031063e9f11c94dc778c473e968966eac0e70b7145213fbaff5f7a007e71c65f41",
	"02f2a3e808f9cd168ec71b7f328258d0c1dda250659c1aced14c7f5cf05aab4328",
	"038ac10de9f1ff9395903bb73077e94dbf91e9ef98fd77d9a2debc5f74c575bc86",
	"0203eaee4db749b0fc7c49870d082024b2c31d889f9bc3b32473d4f1dfa3625788",
	"033cdb9d36e1e82ae652b7b6a08e0204569ec7ff9ebf85d80a02786dc7fe00b04c",
	"02c8b73f4e3a470ae05e5f2fe39984d41e9f6ae7be9f3b09c9ac31292e403ac512",
	"025bbe0cfce8a1f4fbd7f3a0d4a09cb6badd73ef61829dc827aa8a98c270bc25b0",
	"037eec3d1651a30a90182d9287a5c51386fe35d4a96839cf7969c6e2a03db1fc21",
	"03280576b81a04e6abd7197f305506476f5751356b7643988495ca5c3e14e5c262",
	"03268bfb05be1dbb33ab6e7e00e438373ca2c9b9abc018fdb452d0e1a0935e10d3",
	"02573b68784ceba9617bbcc7c9487836d296aa7c628c3199173a841e7a19798020",
	"0234076b6e70f7fbf755d2227ecc8d8169d662518ee3a1401f729e2a12ccb2b276",
	"03015bd88961e2a466a2163bd4248d1d2b42c7c58a157e594785e7eb34d880efc9",
	"02c9b076d08f9020ebee49ac8ba2610b404d4e553a4f800150ceb539e9421aaeee",
	"034d592f4c366afddc919a509600af81b489a03caf4f7517c2b3f4f2b558f9a41a",
	"037c09ecb66da082981e4cbdb1ac65c0eb631fc75d85bed13efb2c6364148879b5",
	"02b4ebb0dda3b9ad83b39e2e31024b777cc0ac205a96b9a6cfab3edea2912ed1b3",
	"026cc4dacdced45e63f6e4f62edbc5779ccd802e7fabb82d5123db879b636176e9",
	"02b2cee01b7d8e90180254459b8f09bbea9aad34c3a2fd98c85517ecfc9805af75",
	"037a0c0d564540fc574b8bfa0253cca987b75466e44b295ed59f6f8bd41aace754",
	"021df6585cae9b9ca431318a713fd73dbb76b3ef5667957e8633bca8aaa7214fb6",
	"02b8f53dde126f8c85fa5bb6061c0be5aca90984ce9b902966941caf963648d53a",
	"029cc8af2840d59f1d8761779b2496623c82c64be8e15f9ab577c657c6dd453785",
	"03e446fdb84fad492ff3a25fc1046fb9a93a5b262ebcd0151caa442ea28959a38a",
	"02d6b25bd4ab599dd0818c55f75702fde603c93f259222001246569018842d3258",
	"03397b522bb4e156ec3952d3f048e5a986c20a00718e5e52cd5718466bf494156a",
	"02d1fb9e78262b5d7d74028073075b80bb5ab281edcfc3191061962c1346340f1e",
	"030d3f2ad7a4ca115712ff7f140434f802b19a4c9b2dd1c76f3e8e80c05c6a9310",
	"03e325b691f292e1dfb151c3fb7cad440b225795583c32e24e10635a80e4221c06",
	"03bee8f64d88de3dee21d61f89efa32933da51152ddbd67466bef815e9f93f8fd1",
	"0327244c9019a4892e1f04ba3bf95fe43b327479e2d57c25979446cc508cd379ed",
	"02fb58522cd662f2f8b042f8161caae6e45de98283f74d4e99f19b0ea85e08a56d",
	"02adde4b466a9d7e59386b6a701a39717c53f30c4810613c1b55e6b6da43b7bc9a",
	"038eeda11f78ce05c774f30e393cda075192b890d68590813ff46362548528dca9",
	"02ec13e0058b196db80f7079d329333b330dc30c000dbdd7397cbbc5a37a664c4f",
	"02d2d162db63675bd04f7d56df04508840f41e2ad87312a3c93041b494efe80a73",
	"0356969d6aef2bb40121dbd07c68b6102339f4ea8e674a9008bb69506795998f49",
	"02f4e667567ebb9f4e6e180a4113bb071c48855f657766bb5e9c776a880335d1d6",
	"0385b4fe35e41703d7a657d957c67bb536629de57b7e6ee6fe2130728ef0fc90b0",
	"02b2bc1968a6fddbcc78fb9903940524824b5f5bed329c6ad48a19b56068c144fd",
	"02e0dbb24f1d288a693e8a49bc14264d1276be16972131520cf9e055ae92fba19a",
	"03efe75c106f931a525dc2d653ebedddc413a2c7d8cb9da410893ae7d2fa7d19cc",
	"02c7ec2bd9508a7fc03f73c7565dc600b30fd86f3d305f8f139c45c404a52d958a",
	"035a6679c6b25e68ff4e29d1c7ef87f21e0a8fc574f6a08c1aa45ff352c1d59f06",
	"033cdc225962c052d485f7cfbf55a5b2367d200fe1fe4373a347deb4cc99e9a099",
	"024a4b806cf413d14b294719090a9da36ba75209c7657135ad09bc65328fba9e6f",
	"0377a6fe114e291a8d8e991627c38001c8305b23b9e98b1c7b1893f5cd0dda6cad",
};

static const char *mnemonic = "half depart obvious quality work element "
    "tank gorilla view sugar picture humble";

static void	 unhex(void *, size_t, const char *);
static int	 eqhex(const uint8_t *, size_t, const char *);
static int	 load(uint8_t [][33], const char **, size_t);
static void	 test_ids(void);
static void	 test_invalid_keys(void);
static void	 test_derive(void);
static void	 test_amounts_fees(void);
static void	 test_bip32_bip39(void);
static void	 test_nut13(void);

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

static int
load(uint8_t pub[][33], const char **hex, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (keyset_pubkey_fromhex(bd, hex[i], pub[i]) == -1)
			return (-1);
	return (0);
}

static void
test_ids(void)
{
	uint8_t		 s[4][33], l[64][33], id[KEYSET_ID_MAX];
	uint64_t	 amounts[64], swapped[4];
	size_t		 i, idlen;

	for (i = 0; i < 64; i++)
		amounts[i] = (uint64_t)1 << i;
	T(load(s, keyset_s, 4) == 0 && load(l, keyset_l, 64) == 0,
	    "keysets S and L parse");

	T(keyset_id_v1((const uint8_t (*)[33])s, 4, id) == 0 &&
	    eqhex(id, KEYSET_ID_V1_LEN, "00456a94ab4e1c46"),
	    "NUT-02 V1 id of keyset S");
	T(keyset_id_v1((const uint8_t (*)[33])l, 64, id) == 0 &&
	    eqhex(id, KEYSET_ID_V1_LEN, "000f01df73ea149a"),
	    "NUT-02 V1 id of keyset L");
	T(keyset_id_v2(amounts, (const uint8_t (*)[33])s, 4, "sat", 100,
	    2059210353, id) == 0 && eqhex(id, KEYSET_ID_V2_LEN,
	    "015ba18a8adcd02e715a58358eb618da4a4b3791151a4bee5e968bb88406ccf76a"),
	    "NUT-02 V2 vector 1 (S, sat, fee 100, expiry)");
	T(keyset_id_v2(amounts, (const uint8_t (*)[33])l, 64, "sat", 0,
	    2059210353, id) == 0 && eqhex(id, KEYSET_ID_V2_LEN,
	    "01ab6aa4ff30390da34986d84be5274b48ad7a74265d791095bfc39f4098d9764f"),
	    "NUT-02 V2 vector 2 (L, sat, fee 0, expiry)");
	T(keyset_id_v2(amounts, (const uint8_t (*)[33])l, 64, "sat", 0, 0,
	    id) == 0 && eqhex(id, KEYSET_ID_V2_LEN,
	    "012fbb01a4e200c76df911eeba3b8fe1831202914b24664f4bccbd25852a6708f8"),
	    "NUT-02 V2 vector 3 (L, sat, no fee, no expiry)");
	T(keyset_id_v2(amounts, (const uint8_t (*)[33])s, 4, "sat", 101,
	    2059210353, id) == 0 && !eqhex(id, KEYSET_ID_V2_LEN,
	    "015ba18a8adcd02e715a58358eb618da4a4b3791151a4bee5e968bb88406ccf76a"),
	    "V2 id changes with the fee");
	T(keyset_id_v2(amounts, (const uint8_t (*)[33])s, 4, "usd", 100,
	    2059210353, id) == 0 && !eqhex(id, KEYSET_ID_V2_LEN,
	    "015ba18a8adcd02e715a58358eb618da4a4b3791151a4bee5e968bb88406ccf76a"),
	    "V2 id changes with the unit");
	swapped[0] = 1;
	swapped[1] = 4;
	swapped[2] = 2;
	swapped[3] = 8;
	T(keyset_id_v2(swapped, (const uint8_t (*)[33])s, 4, "sat", 0, 0,
	    id) == -1, "V2 id refuses amounts out of order");
	swapped[2] = 4;
	T(keyset_id_v2(swapped, (const uint8_t (*)[33])s, 4, "sat", 0, 0,
	    id) == -1, "V2 id refuses a repeated amount");
	T(keyset_id_v1((const uint8_t (*)[33])s, 0, id) == -1 &&
	    keyset_id_v2(amounts, (const uint8_t (*)[33])s, 0, "sat", 0, 0,
	    id) == -1, "no id for no keys");

	T(keyset_id_fromhex("00456a94ab4e1c46", id, &idlen) == 0 &&
	    idlen == 8 && id[0] == 0 && id[7] == 0x46, "V1 id from hex");
	T(keyset_id_fromhex(
	    "015ba18a8adcd02e715a58358eb618da4a4b3791151a4bee5e968bb88406ccf76a",
	    id, &idlen) == 0 && idlen == 33 && id[0] == 1 && id[32] == 0x6a,
	    "V2 id from hex");
	T(keyset_id_fromhex("00456A94AB4E1C46", id, &idlen) == -1,
	    "id from hex: uppercase refused");
	T(keyset_id_fromhex("01456a94ab4e1c46", id, &idlen) == -1,
	    "id from hex: 01 with 8 bytes refused");
	T(keyset_id_fromhex("00456a94ab4e1c", id, &idlen) == -1 &&
	    keyset_id_fromhex("", id, &idlen) == -1,
	    "id from hex: short ids refused");
	T(keyset_id_fromhex("I2xhv4Jpnb1Y", id, &idlen) == -1,
	    "id from hex: legacy base64 ids refused");
	T(keyset_id_fromhex(
	    "025ba18a8adcd02e715a58358eb618da4a4b3791151a4bee5e968bb88406ccf76a",
	    id, &idlen) == -1, "id from hex: version 02 refused");
}

static void
test_invalid_keys(void)
{
	uint8_t	 pub[33];

	/* tests/01-tests.md: key 1 of the first set misses a byte. */
	T(keyset_pubkey_fromhex(bd,
	    "03a40f20667ed53513075dc51e715ff2046cad64eb68960632269ba7f0210e38",
	    pub) == -1, "NUT-01 invalid keyset 1: a key 32 bytes long");
	/* The second set: key 2 is valid but uncompressed. */
	T(keyset_pubkey_fromhex(bd,
	    "04fd4ce5a16b65576145949e6f99f445f8249fee17c606b688b504a849cdc452de"
	    "3625246cb2c27dac965cb7200a5986467eee92eb7d496bbf1453b074e223e481",
	    pub) == -1, "NUT-01 invalid keyset 2: an uncompressed key");
	T(keyset_pubkey_fromhex(bd,
	    "03a40f20667ed53513075dc51e715ff2046cad64eb68960632269ba7f0210e38bc",
	    pub) == 0, "NUT-01: the full key 1 parses");
	T(keyset_pubkey_fromhex(bd,
	    "04a40f20667ed53513075dc51e715ff2046cad64eb68960632269ba7f0210e38bc",
	    pub) == -1, "a 33-byte key with prefix 04 refused");
	T(keyset_pubkey_fromhex(bd,
	    "020000000000000000000000000000000000000000000000000000000000000005",
	    pub) == -1, "a key off the curve refused");
	T(keyset_pubkey_fromhex(bd,
	    "03a40f20667ed53513075dc51e715ff2046cad64eb68960632269ba7f0210e38bc00",
	    pub) == -1, "a key with a byte too many refused");
}

static void
test_derive(void)
{
	static const char	*seed = "TEST_PRIVATE_KEY";
	struct keyset		*a, *b;
	uint32_t		 path[3];
	uint8_t			 K[33], C_[33], B_[33], r[32];
	size_t			 i;
	int			 ok;

	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (b = calloc(1, sizeof(*b))) == NULL)
		exit(2);
	T(keyset_path("sat", 0, path) == 0 && path[0] == BIP32_HARDENED &&
	    path[1] == BIP32_HARDENED && path[2] == BIP32_HARDENED,
	    "sat keyset 0: m/0'/0'/0'");
	T(keyset_path("usd", 7, path) == 0 && path[1] == (2 | BIP32_HARDENED) &&
	    path[2] == (7 | BIP32_HARDENED), "usd keyset 7: m/0'/2'/7'");
	T(keyset_path("xyz", 0, path) == -1, "no path for an unknown unit");
	T(keyset_path("sat", BIP32_HARDENED, path) == -1,
	    "no path for a counter >= 2^31");

	/*
	 * nutshell tests/mint/test_mint_keysets.py: seed "TEST_PRIVATE_KEY",
	 * path m/0'/0'/0', 64 keys.
	 */
	keyset_path("sat", 0, path);
	T(keyset_init(a, "sat", 64, 0, 0, KEYSET_V1) == 0 &&
	    keyset_derive(bd, a, (const uint8_t *)seed, strlen(seed), path,
	    3) == 0, "derive nutshell's test keyset");
	T(eqhex(a->ks_pub[0], 33,
	    "02194603ffa36356f4a56b7df9371fc3192472351453ec7398b8da8117e7c3e104"),
	    "nutshell test keyset: the key of amount 1");
	T(strcmp(a->ks_idhex, "009a1f293253e41e") == 0 && a->ks_idlen == 8,
	    "nutshell test keyset: V1 id 009a1f293253e41e");
	ok = 1;
	for (i = 0; i < a->ks_nkeys; i++)
		if (bdhke_pubkey(bd, a->ks_priv[i], K) == -1 ||
		    memcmp(K, a->ks_pub[i], 33) != 0)
			ok = 0;
	T(ok, "every public key is its private key times G");

	/* The V2 id of the same keys; value from a Python model of §3.2. */
	T(keyset_init(b, "sat", 64, 0, 0, KEYSET_V2) == 0 &&
	    keyset_derive(bd, b, (const uint8_t *)seed, strlen(seed), path,
	    3) == 0 && strcmp(b->ks_idhex,
	    "01d8a63077d0a51f9855f066409782ffcb322dc8a2265291865221ed06c039f6bc")
	    == 0, "nutshell test keys: V2 id");
	T(memcmp(a->ks_pub, b->ks_pub, sizeof(a->ks_pub)) == 0 &&
	    memcmp(a->ks_priv, b->ks_priv, sizeof(a->ks_priv)) == 0,
	    "the id version does not change the keys");

	/* Reproducible: the same inputs twice give the same keyset. */
	T(keyset_init(a, "sat", 32, 100, 0, KEYSET_V2) == 0 &&
	    keyset_derive(bd, a, (const uint8_t *)seed, strlen(seed), path,
	    3) == 0 && keyset_init(b, "sat", 32, 100, 0, KEYSET_V2) == 0 &&
	    keyset_derive(bd, b, (const uint8_t *)seed, strlen(seed), path,
	    3) == 0 && memcmp(a, b, sizeof(*a)) == 0,
	    "a keyset is reproducible from its seed and path");
	T(a->ks_idlen == 33 && a->ks_idhex[0] == '0' &&
	    a->ks_idhex[1] == '1' && strlen(a->ks_idhex) == 66,
	    "V2 id: 01 and 64 hex digits");
	T(keyset_init(b, "sat", 32, 0, 0, KEYSET_V2) == 0 &&
	    keyset_derive(bd, b, (const uint8_t *)seed, strlen(seed), path,
	    3) == 0 && memcmp(a->ks_priv, b->ks_priv, sizeof(a->ks_priv)) == 0 &&
	    strcmp(a->ks_idhex, b->ks_idhex) != 0,
	    "same keys, another fee: another V2 id");
	keyset_path("sat", 1, path);
	T(keyset_init(b, "sat", 32, 100, 0, KEYSET_V2) == 0 &&
	    keyset_derive(bd, b, (const uint8_t *)seed, strlen(seed), path,
	    3) == 0 && memcmp(a->ks_priv[0], b->ks_priv[0], 32) != 0 &&
	    strcmp(a->ks_idhex, b->ks_idhex) != 0,
	    "the next keyset path gives other keys");
	keyset_path("sat", 0, path);
	T(keyset_init(b, "sat", 32, 100, 0, KEYSET_V2) == 0 &&
	    keyset_derive(bd, b, (const uint8_t *)"TEST_PRIVATE_KEZ", 16, path,
	    3) == 0 && memcmp(a->ks_priv[0], b->ks_priv[0], 32) != 0,
	    "another seed gives other keys");

	/* The keys sign. */
	T(bdhke_random_scalar(bd, r) == 0 &&
	    bdhke_blind(bd, "secret", 6, r, B_) == 0 &&
	    bdhke_sign(bd, a->ks_priv[5], B_, C_) == 0 &&
	    bdhke_unblind(bd, C_, r, a->ks_pub[5], K) == 0 &&
	    bdhke_verify(bd, a->ks_priv[5], "secret", 6, K) == 0 &&
	    bdhke_verify(bd, a->ks_priv[4], "secret", 6, K) == -1,
	    "a derived key signs amount 32; the key of 16 does not verify it");

	T(keyset_init(a, "", 8, 0, 0, KEYSET_V2) == -1, "empty unit refused");
	T(keyset_init(a, "sixteen_chars_xx", 8, 0, 0, KEYSET_V2) == -1,
	    "long unit refused");
	T(keyset_init(a, "SAT", 8, 0, 0, KEYSET_V2) == -1,
	    "uppercase unit refused");
	T(keyset_init(a, "sat", 0, 0, 0, KEYSET_V2) == -1 &&
	    keyset_init(a, "sat", 65, 0, 0, KEYSET_V2) == -1,
	    "0 or 65 keys refused");
	T(keyset_init(a, "sat", 8, 0, 0, 2) == -1, "version 02 refused");
	T(keyset_init(a, "sat", 8, 0, 0, KEYSET_V2) == 0 &&
	    keyset_derive(bd, a, (const uint8_t *)"short", 5, path, 3) == -1 &&
	    a->ks_nkeys == 0, "a seed under 16 bytes refused, keyset wiped");
	T(keyset_init(a, "sat", 8, 0, 0, KEYSET_V2) == 0 &&
	    keyset_derive(bd, a, (const uint8_t *)seed, strlen(seed), path,
	    KEYSET_PATH_MAX + 1) == -1, "a path too deep refused");
	keyset_clear(a);
	keyset_clear(b);
	free(a);
	free(b);
}

static void
test_amounts_fees(void)
{
	struct keyset	 ks;
	uint64_t	 ppk[12], fee;
	size_t		 i;

	keyset_init(&ks, "sat", 64, 0, 0, KEYSET_V2);
	T(keyset_amount_index(&ks, 1) == 0 && keyset_amount_index(&ks, 2) == 1 &&
	    keyset_amount_index(&ks, 1024) == 10 &&
	    keyset_amount_index(&ks, (uint64_t)1 << 63) == 63,
	    "amount index of powers of two");
	T(keyset_amount_index(&ks, 0) == -1 && keyset_amount_index(&ks, 3) ==
	    -1 && keyset_amount_index(&ks, 1025) == -1 &&
	    keyset_amount_index(&ks, UINT64_MAX) == -1,
	    "no index for 0 or amounts that are not powers of two");
	keyset_init(&ks, "sat", 10, 0, 0, KEYSET_V2);
	T(keyset_amount_index(&ks, 512) == 9 &&
	    keyset_amount_index(&ks, 1024) == -1,
	    "no index beyond the keyset's keys");

	for (i = 0; i < 12; i++)
		ppk[i] = 100;
	T(keyset_fees(ppk, 3, &fee) == 0 && fee == 1,
	    "fees: 3 inputs at 100 ppk = ceil(0.3) = 1");
	T(keyset_fees(ppk, 0, &fee) == 0 && fee == 0, "fees: no inputs = 0");
	T(keyset_fees(ppk, 10, &fee) == 0 && fee == 1,
	    "fees: 10 inputs at 100 ppk = 1");
	T(keyset_fees(ppk, 11, &fee) == 0 && fee == 2,
	    "fees: 11 inputs at 100 ppk = ceil(1.1) = 2");
	ppk[0] = 0;
	ppk[1] = 0;
	T(keyset_fees(ppk, 2, &fee) == 0 && fee == 0, "fees: 0 ppk = 0");
	ppk[0] = 1;
	T(keyset_fees(ppk, 2, &fee) == 0 && fee == 1,
	    "fees: 1 ppk rounds up to 1");
	ppk[0] = 100;
	ppk[1] = 900;
	T(keyset_fees(ppk, 2, &fee) == 0 && fee == 1,
	    "fees: mixed rates 100 + 900 = 1");
	ppk[2] = 1;
	T(keyset_fees(ppk, 3, &fee) == 0 && fee == 2,
	    "fees: 100 + 900 + 1 = ceil(1.001) = 2");
	ppk[0] = UINT64_MAX;
	T(keyset_fees(ppk, 1, &fee) == 0 && fee == UINT64_MAX / 1000 + 1,
	    "fees: the largest sum rounds up without overflow");
	ppk[1] = 1;
	T(keyset_fees(ppk, 2, &fee) == -1, "fees: an overflowing sum fails");
}

static void
test_bip32_bip39(void)
{
	struct bip32_node	 node;
	uint8_t			 seed[64];
	uint32_t		 path[3];

	/* BIP32 test vector 1. */
	unhex(seed, 16, "000102030405060708090a0b0c0d0e0f");
	T(bip32_master(bd, seed, 16, &node) == 0 && eqhex(node.key, 32,
	    "e8f32e723decf4051aefac8e2c93c9c5b214313817cdb01a1494b917c8436b35") &&
	    eqhex(node.chain, 32,
	    "873dff81c02f525623fd1fe5167eac3a55a049de3d314bb42ee227ffed37d508"),
	    "BIP32 vector 1: m");
	path[0] = 0 | BIP32_HARDENED;
	path[1] = 1;
	path[2] = 2 | BIP32_HARDENED;
	T(bip32_derive(bd, seed, 16, path, 1, &node) == 0 && eqhex(node.key, 32,
	    "edb2e14f9ee77d26dd93b4ecede8d16ed408ce149b6cd80b0715a2d911a0afea"),
	    "BIP32 vector 1: m/0'");
	T(bip32_derive(bd, seed, 16, path, 2, &node) == 0 && eqhex(node.key, 32,
	    "3c6cb8d0f6a264c91ea8b5030fadaa8e538b020f0a387421a12de9319dc93368") &&
	    eqhex(node.chain, 32,
	    "2a7857631386ba23dacac34180dd1983734e444fdbf774041578e9b6adb37c19"),
	    "BIP32 vector 1: m/0'/1 (normal child)");
	T(bip32_derive(bd, seed, 16, path, 3, &node) == 0 && eqhex(node.key, 32,
	    "cbce0d719ecf7431d88e6a89fa1483e02e35092af60c042b1df2ff59fa424dca"),
	    "BIP32 vector 1: m/0'/1/2'");
	T(bip32_master(bd, seed, 15, &node) == -1, "BIP32: 15-byte seed refused");
	explicit_bzero(&node, sizeof(node));

	/* The BIP39 reference vector "abandon ... about", passphrase TREZOR. */
	T(bip39_seed("abandon abandon abandon abandon abandon abandon abandon "
	    "abandon abandon abandon abandon about", "TREZOR", seed) == 0 &&
	    eqhex(seed, 32,
	    "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e5349553") &&
	    eqhex(seed + 32, 32,
	    "1f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04"),
	    "BIP39 seed, passphrase TREZOR");
	T(bip39_seed("caf\xc3\xa9", NULL, seed) == -1,
	    "BIP39: non-ASCII mnemonic refused");
	T(bip39_seed("", NULL, seed) == -1, "BIP39: empty mnemonic refused");
	explicit_bzero(seed, sizeof(seed));
}

static void
test_nut13(void)
{
	static const char *v1_secret[5] = {
		"485875df74771877439ac06339e284c3acfcd9be7abf3bc20b516faeadfe77ae",
		"8f2b39e8e594a4056eb1e6dbb4b0c38ef13b1b2c751f64f810ec04ee35b77270",
		"bc628c79accd2364fd31511216a0fab62afd4a18ff77a20deded7b858c9860c8",
		"59284fd1650ea9fa17db2b3acf59ecd0f2d52ec3261dd4152785813ff27a33bf",
		"576c23393a8b31cc8da6688d9c9a96394ec74b40fdaf1f693a6bb84284334ea0",
	};
	static const char *v1_r[5] = {
		"ad00d431add9c673e843d4c2bf9a778a5f402b985b8da2d5550bf39cda41d679",
		"967d5232515e10b81ff226ecf5a9e2e2aff92d66ebc3edf0987eb56357fd6248",
		"b20f47bb6ae083659f3aa986bfa0435c55c6d93f687d51a01f26862d9b9a4899",
		"fb5fca398eb0b1deb955a2988b5ac77d32956155f1c002a373535211a2dfdc29",
		"5f09bfbfe27c439a597719321e061e2e40aad4a36768bb2bcc3de547c9644bf9",
	};
	static const char *v2_secret[5] = {
		"db5561a07a6e6490f8dadeef5be4e92f7cebaecf2f245356b5b2a4ec40687298",
		"b70e7b10683da3bf1cdf0411206f8180c463faa16014663f39f2529b2fda922e",
		"78a7ac32ccecc6b83311c6081b89d84bb4128f5a0d0c5e1af081f301c7a513f5",
		"094a2b6c63bfa7970bc09cda0e1cfc9cd3d7c619b8e98fabcfc60aea9e4963e5",
		"5e89fc5d30d0bf307ddf0a3ac34aa7a8ee3702169dafa3d3fe1d0cae70ecd5ef",
	};
	static const char *v2_r[5] = {
		"6d26181a3695e32e9f88b80f039ba1ae2ab5a200ad4ce9dbc72c6d3769f2b035",
		"bde4354cee75545bea1a2eee035a34f2d524cee2bb01613823636e998386952e",
		"f40cc1218f085b395c8e1e5aaa25dccc851be3c6c7526a0f4e57108f12d6dac4",
		"099ed70fc2f7ac769bc20b2a75cb662e80779827b7cc358981318643030577d0",
		"5550337312d223ba62e3f75cfe2ab70477b046d98e3e71804eade3956c7b98cf",
	};
	uint8_t		 seed[64], id[KEYSET_ID_MAX], r[32], r2[32];
	char		 secret[NUT13_SECRET_HEX], secret2[NUT13_SECRET_HEX];
	size_t		 idlen;
	uint32_t	 idint;
	uint64_t	 c;

	T(keyset_id_fromhex("009a1f293253e41e", id, &idlen) == 0 &&
	    nut13_keyset_id_int(id, idlen, &idint) == 0 && idint == 864559728,
	    "NUT-13 v1: keyset id 009a1f293253e41e is 864559728");
	T(bip39_seed(mnemonic, NULL, seed) == 0, "NUT-13 mnemonic to seed");
	for (c = 0; c < 5; c++) {
		T(nut13_derive(bd, seed, sizeof(seed), id, idlen, c, secret,
		    r) == 0 && strcmp(secret, v1_secret[c]) == 0 &&
		    eqhex(r, 32, v1_r[c]),
		    "NUT-13 v1: secret_%llu and r_%llu",
		    (unsigned long long)c, (unsigned long long)c);
	}
	T(nut13_derive(bd, seed, sizeof(seed), id, idlen, BIP32_HARDENED,
	    secret, r) == -1, "NUT-13 v1: counter 2^31 refused");

	T(keyset_id_fromhex(
	    "015ba18a8adcd02e715a58358eb618da4a4b3791151a4bee5e968bb88406ccf76a",
	    id, &idlen) == 0, "NUT-13 v2 keyset id");
	for (c = 0; c < 5; c++) {
		T(nut13_derive(bd, seed, sizeof(seed), id, idlen, c, secret,
		    r) == 0 && strcmp(secret, v2_secret[c]) == 0 &&
		    eqhex(r, 32, v2_r[c]),
		    "NUT-13 v2: secret_%llu and r_%llu",
		    (unsigned long long)c, (unsigned long long)c);
	}
	/* v2 counters are 64 bits and all of them count. */
	T(nut13_derive(bd, seed, sizeof(seed), id, idlen,
	    ((uint64_t)1 << 32), secret, r) == 0 &&
	    nut13_derive(bd, seed, sizeof(seed), id, idlen, 0, secret2,
	    r2) == 0 && strcmp(secret, secret2) != 0 && memcmp(r, r2, 32) != 0,
	    "NUT-13 v2: counter 2^32 is not counter 0");
	T(bdhke_scalar_check(bd, r) == 0, "NUT-13 v2: r is a scalar");

	id[0] = 0x02;
	T(nut13_derive(bd, seed, sizeof(seed), id, idlen, 0, secret, r) == -1,
	    "NUT-13: keyset version 02 refused");
	id[0] = 0x01;
	T(nut13_derive(bd, seed, sizeof(seed), id, 8, 0, secret, r) == -1,
	    "NUT-13: a 01 id of 8 bytes refused");
	id[0] = 0x00;
	T(nut13_derive(bd, seed, sizeof(seed), id, 33, 0, secret, r) == -1,
	    "NUT-13: a 00 id of 33 bytes refused");
	explicit_bzero(seed, sizeof(seed));
	explicit_bzero(r, sizeof(r));
}

int
main(void)
{
	if ((bd = bdhke_new()) == NULL) {
		fprintf(stderr, "bdhke_new failed\n");
		return (1);
	}
	test_ids();
	test_invalid_keys();
	test_derive();
	test_amounts_fees();
	test_bip32_bip39();
	test_nut13();
	bdhke_free(bd);
	return (test_done());
}
