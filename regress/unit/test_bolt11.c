/*
 * BOLT 11 invoices: every example of lightning/bolts
 * 11-payment-encoding.md, valid and invalid; single-bit mutations,
 * checksum errors and truncations; the prefix and amount rules on
 * invoices signed here; field rules; encode -> decode round trips.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include "bdhke.h"
#include "bech32.h"
#include "bolt11.h"
#include "test.h"

/* The key that signed the specification's examples. */
#define SPEC_KEY	"e126f68f7eafcc8b74f54d269fe206be" \
			"715000f94dac067d1c04a8ca3b2db734"
#define SPEC_NODE	"03e7156ae33b0a208d0744199163177e" \
			"909e80176e55d97a2f221ede0f934dd9ad"
#define SPEC_HASH	"00010203040506070809000102030405" \
			"06070809000102030405060708090102"
#define SPEC_SECRET	"11111111111111111111111111111111" \
			"11111111111111111111111111111111"
#define SPEC_DHASH	"3925b6f67e2c340036ed12093dd44e03" \
			"68df1b6ea26c53dbe4811f58fd5db8c1"
#define SPEC_TS		1496314658
#define CAKE		"One piece of chocolate cake, one icecream cone, one " \
			"pickle, one slice of swiss cheese, one slice of " \
			"salami, one lollypop, one piece of cherry pie, one " \
			"sausage, one cupcake, and one slice of watermelon"

struct vector {
	const char		*what;
	const char		*str;
	enum bolt11_network	 net;
	uint64_t		 msat;		/* 0: no amount */
	uint64_t		 ts;
	const char		*hash;
	const char		*desc;		/* NULL: description hash */
	uint64_t		 expiry;
	uint64_t		 cltv;
	unsigned int		 features[4];	/* 0 ends */
	int			 exact;		/* encode gives str again */
};

static const struct vector valid[] = {
	{ "donation, any amount",
	    "lnbc1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3z"
	    "yg3zyg3zygspp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5"
	    "rqwzqfqypqdpl2pkx2ctnv5sxxmmwwd5kgetjypeh2ursdae8g6twvus"
	    "8g6rfwvs8qun0dfjkxaq9qrsgq357wnc5r2ueh7ck6q93dj32dlqnls0"
	    "87fxdwk8qakdyafkq3yap9us6v52vjjsrvywa6rt52cm9r9zqt8r2t7m"
	    "lcwspyetp5h2tztugp9lfyql",
	    BOLT11_MAINNET, 0, SPEC_TS, SPEC_HASH,
	    "Please consider supporting this project", 3600, 18,
	    { 8, 14 }, 1 },
	{ "$3 for a cup of coffee",
	    "lnbc2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3"
	    "zyg3zyg3zyg3zygspp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsy"
	    "qcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpu9qrsgquk0rl77"
	    "nj30yxdy8j9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353"
	    "s06fv3qfegext0eh0ymjpf39tuven09sam30g4vgpfna3rh",
	    BOLT11_MAINNET, 250000000, SPEC_TS, SPEC_HASH,
	    "1 cup coffee", 60, 18, { 8, 14 }, 1 },
	{ "a cup of nonsense, UTF-8",
	    "lnbc2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3"
	    "zyg3zyg3zyg3zygspp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsy"
	    "qcyq5rqwzqfqypqdpquwpc4curk03c9wlrswe78q4eyqc7d8d0xqzpu9"
	    "qrsgqhtjpauu9ur7fw2thcl4y9vfvh4m9wlfyz2gem29g5ghe2aak2pm"
	    "3ps8fdhtceqsaagty2vph7utlgj48u0ged6a337aewvraedendscp573"
	    "dxr",
	    BOLT11_MAINNET, 250000000, SPEC_TS, SPEC_HASH,
	    "\xe3\x83\x8a\xe3\x83\xb3\xe3\x82\xbb\xe3\x83\xb3\xe3\x82\xb9 1"
	    "\xe6\x9d\xaf", 60, 18, { 8, 14 }, 1 },
	{ "$24, hashed description",
	    "lnbc20m1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zy"
	    "g3zyg3zyg3zygspp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqc"
	    "yq5rqwzqfqypqhp58yjmdan79s6qqdhdzgynm4zwqd5d7xmw5fk98kly"
	    "sy043l2ahrqs9qrsgq7ea976txfraylvgzuxs8kgcw23ezlrszfnh8r6"
	    "qtfpr6cxga50aj6txm9rxrydzd06dfeawfk6swupvz4erwnyutnjq7x3"
	    "9ymw6j38gp7ynn44",
	    BOLT11_MAINNET, 2000000000, SPEC_TS, SPEC_HASH, NULL, 3600, 18,
	    { 8, 14 }, 1 },
	{ "testnet, P2PKH fallback",
	    "lntb20m1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zy"
	    "g3zyg3zyg3zygshp58yjmdan79s6qqdhdzgynm4zwqd5d7xmw5fk98kl"
	    "ysy043l2ahrqspp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcy"
	    "q5rqwzqfqypqfpp3x9et2e20v6pu37c5d9vax37wxq72un989qrsgqdj"
	    "545axuxtnfemtpwkc45hx9d2ft7x04mt8q7y6t0k2dge9e7h8kpy9p34"
	    "ytyslj3yu569aalz2xdk8xkd7ltxqld94u8h2esmsmacgpghe9k8",
	    BOLT11_TESTNET, 2000000000, SPEC_TS, SPEC_HASH, NULL, 3600, 18,
	    { 8, 14 }, 0 },
	{ "P2PKH fallback, routing hints",
	    "lnbc20m1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zy"
	    "g3zyg3zyg3zygspp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqc"
	    "yq5rqwzqfqypqhp58yjmdan79s6qqdhdzgynm4zwqd5d7xmw5fk98kly"
	    "sy043l2ahrqsfpp3qjmp7lwpagxun9pygexvgpjdc4jdj85fr9yq20q8"
	    "2gphp2nflc7jtzrcazrra7wwgzxqc8u7754cdlpfrmccae92qgzqvzq2"
	    "ps8pqqqqqqpqqqqq9qqqvpeuqafqxu92d8lr6fvg0r5gv0heeeqgcrql"
	    "nm6jhphu9y00rrhy4grqszsvpcgpy9qqqqqqgqqqqq7qqzq9qrsgqdfj"
	    "cdk6w3ak5pca9hwfwfh63zrrz06wwfya0ydlzpgzxkn5xagsqz7x9j4j"
	    "we7yj7vaf2k9lqsdk45kts2fd0fkr28am0u4w95tt2nsq76cqw0",
	    BOLT11_MAINNET, 2000000000, SPEC_TS, SPEC_HASH, NULL, 3600, 18,
	    { 8, 14 }, 0 },
	{ "P2SH fallback",
	    "lnbc20m1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zy"
	    "g3zyg3zyg3zygshp58yjmdan79s6qqdhdzgynm4zwqd5d7xmw5fk98kl"
	    "ysy043l2ahrqspp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcy"
	    "q5rqwzqfqypqfppj3a24vwu6r8ejrss3axul8rxldph2q7z99qrsgqz6"
	    "qsgww34xlatfj6e3sngrwfy3ytkt29d2qttr8qz2mnedfqysuqypgqex"
	    "4haa2h8fx3wnypranf3pdwyluftwe680jjcfp438u82xqphf75ym",
	    BOLT11_MAINNET, 2000000000, SPEC_TS, SPEC_HASH, NULL, 3600, 18,
	    { 8, 14 }, 0 },
	{ "P2WPKH fallback",
	    "lnbc20m1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zy"
	    "g3zyg3zyg3zygshp58yjmdan79s6qqdhdzgynm4zwqd5d7xmw5fk98kl"
	    "ysy043l2ahrqspp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcy"
	    "q5rqwzqfqypqfppqw508d6qejxtdg4y5r3zarvary0c5xw7k9qrsgqt2"
	    "9a0wturnys2hhxpner2e3plp6jyj8qx7548zr2z7ptgjjc7hljm98xhj"
	    "ym0dg52sdrvqamxdezkmqg4gdrvwwnf0kv2jdfnl4xatsqmrnsse",
	    BOLT11_MAINNET, 2000000000, SPEC_TS, SPEC_HASH, NULL, 3600, 18,
	    { 8, 14 }, 0 },
	{ "P2WSH fallback",
	    "lnbc20m1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zy"
	    "g3zyg3zyg3zygshp58yjmdan79s6qqdhdzgynm4zwqd5d7xmw5fk98kl"
	    "ysy043l2ahrqspp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcy"
	    "q5rqwzqfqypqfp4qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdc"
	    "ccefvpysxf3q9qrsgq9vlvyj8cqvq6ggvpwd53jncp9nwc47xlrsnenq"
	    "2zp70fq83qlgesn4u3uyf4tesfkkwwfg3qs54qe426hp3tz7z6sweqdj"
	    "g05axsrjqp9yrrwc",
	    BOLT11_MAINNET, 2000000000, SPEC_TS, SPEC_HASH, NULL, 3600, 18,
	    { 8, 14 }, 0 },
	{ "P2TR fallback",
	    "lnbc20m1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zy"
	    "g3zyg3zyg3zygspp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqc"
	    "yq5rqwzqfqypqhp58yjmdan79s6qqdhdzgynm4zwqd5d7xmw5fk98kly"
	    "sy043l2ahrqsfp4pptdvg0d2nj99568qn6ssdy4cygnwuxgw2ukmnwgw"
	    "z7jpqjz2kszs9qrsgqy606dznq28exnydt2r4c29y56xjtn3sk4mhgjt"
	    "l4pg2y4ar3249rq4ajlmj9jy8zvlzw7cr8mggqzm842xfr0v72rswzq9"
	    "xvr4hknfsqwmn6xd",
	    BOLT11_MAINNET, 2000000000, SPEC_TS, SPEC_HASH, NULL, 3600, 18,
	    { 8, 14 }, 0 },
	{ "pico-bitcoin amount, one week",
	    "lnbc9678785340p1pwmna7lpp5gc3xfm08u9qy06djf8dfflhugl6p7l"
	    "gza6dsjxq454gxhj9t7a0sd8dgfkx7cmtwd68yetpd5s9xar0wfjn5gp"
	    "c8qhrsdfq24f5ggrxdaezqsnvda3kkum5wfjkzmfqf3jkgem9wgsyuct"
	    "wdus9xgrcyqcjcgpzgfskx6eqf9hzqnteypzxz7fzypfhg6trddjhygr"
	    "cyqezcgpzfysywmm5ypxxjemgw3hxjmn8yptk7untd9hxwg3q2d6xjcm"
	    "tv4ezq7pqxgsxzmnyyqcjqmt0wfjjq6t5v4khxsp5zyg3zyg3zyg3zyg"
	    "3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygsxqyjw5qcqp2rzjq0gxw"
	    "kzc8w6323m55m4jyxcjwmy7stt9hwkwe2qxmy8zpsgg7jcuwz87fcqqe"
	    "uqqqyqqqqlgqqqqn3qq9q9qrsgqrvgkpnmps664wgkp43l22qsgdw4ve"
	    "24aca4nymnxddlnp8vh9v2sdxlu5ywdxefsfvm0fq3sesf08uf6q9a2k"
	    "e0hc9j6z6wlxg5z5kqpu2v9wz",
	    BOLT11_MAINNET, 967878534, 1572468703,
	    "462264ede7e14047e9b249da94fefc47f41f7d02ee9b091815a5506bc8abf75f",
	    "Blockstream Store: 88.85 USD for Blockstream Ledger Nano S x 1, "
	    "\"Back In My Day\" Sticker x 2, \"I Got Lightning Working\" "
	    "Sticker x 2 and 1 more items", 604800, 10, { 8, 14 }, 0 },
	{ "coffee beans, features 8, 14, 99",
	    "lnbc25m1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyq"
	    "cyq5rqwzqfqypqdq5vdhkven9v5sxyetpdeessp5zyg3zyg3zyg3zyg3"
	    "zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygs9q5sqqqqqqqqqqqqqqqq"
	    "sgq2a25dxl5hrntdtn6zvydt7d66hyzsyhqs4wdynavys42xgl6sgx9c"
	    "4g7me86a27t07mdtfry458rtjr0v92cnmswpsjscgt2vcse3sgpz3uap"
	    "a",
	    BOLT11_MAINNET, 2500000000ULL, SPEC_TS, SPEC_HASH, "coffee beans",
	    3600, 18, { 8, 14, 99 }, 0 },
	{ "coffee beans, upper case",
	    "LNBC25M1PVJLUEZPP5QQQSYQCYQ5RQWZQFQQQSYQCYQ5RQWZQFQQQSYQ"
	    "CYQ5RQWZQFQYPQDQ5VDHKVEN9V5SXYETPDEESSP5ZYG3ZYG3ZYG3ZYG3"
	    "ZYG3ZYG3ZYG3ZYG3ZYG3ZYG3ZYG3ZYG3ZYGS9Q5SQQQQQQQQQQQQQQQQ"
	    "SGQ2A25DXL5HRNTDTN6ZVYDT7D66HYZSYHQS4WDYNAVYS42XGL6SGX9C"
	    "4G7ME86A27T07MDTFRY458RTJR0V92CNMSWPSJSCGT2VCSE3SGPZ3UAP"
	    "A",
	    BOLT11_MAINNET, 2500000000ULL, SPEC_TS, SPEC_HASH, "coffee beans",
	    3600, 18, { 8, 14, 99 }, 0 },
	{ "coffee beans, fields to ignore",
	    "lnbc25m1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyq"
	    "cyq5rqwzqfqypqdq5vdhkven9v5sxyetpdeessp5zyg3zyg3zyg3zyg3"
	    "zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygs9q5sqqqqqqqqqqqqqqqq"
	    "sgq2qrqqqfppnqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqppnqqqqqqqq"
	    "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqpp4qqqqqqqqqq"
	    "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqhpnqqqqqqqqqq"
	    "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqhp4qqqqqqqqqqqq"
	    "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqspnqqqqqqqqqqqq"
	    "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqsp4qqqqqqqqqqqqqq"
	    "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqnp5qqqqqqqqqqqqqq"
	    "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqnpkqqqqqqqqqqqqqqq"
	    "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqz599y53s3ujmcfjp5"
	    "xrdap68qxymkqphwsexhmhr8wdz5usdzkzrse33chw6dlp3jhuhge9le"
	    "y7j2ayx36kawe7kmgg8sv5ugdyusdcqzn8z9x",
	    BOLT11_MAINNET, 2500000000ULL, SPEC_TS, SPEC_HASH, "coffee beans",
	    3600, 18, { 8, 14, 99 }, 0 },
	{ "payment metadata",
	    "lnbc10m1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyq"
	    "cyq5rqwzqfqypqdp9wpshjmt9de6zqmt9w3skgct5vysxjmnnd9jx2mq"
	    "8q8a04uqsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3z"
	    "yg3zygs9q2gqqqqqqsgq7hf8he7ecf7n4ffphs6awl9t6676rrclv9ck"
	    "g3d3ncn7fct63p6s365duk5wrk202cfy3aj5xnnp5gs3vrdvruverwwq"
	    "7yzhkf5a3xqpd05wjc",
	    BOLT11_MAINNET, 1000000000, SPEC_TS, SPEC_HASH,
	    "payment metadata inside", 3600, 18, { 8, 14, 48 }, 0 },
	{ "high-S signature, recovered",
	    "lnbc1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3z"
	    "yg3zyg3zygspp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5"
	    "rqwzqfqypqdpl2pkx2ctnv5sxxmmwwd5kgetjypeh2ursdae8g6twvus"
	    "8g6rfwvs8qun0dfjkxaq9qrsgq357wnc5r2ueh7ck6q93dj32dlqnls0"
	    "87fxdwk8qakdyafkq3yap2r09nt4ndd0unm3z9u5t48y6ucv4r5sg7lk"
	    "98c77ctvjczkspk5qprc90gx",
	    BOLT11_MAINNET, 0, SPEC_TS, SPEC_HASH,
	    "Please consider supporting this project", 3600, 18,
	    { 8, 14 }, 0 },
};

static const struct {
	const char	*what;
	const char	*str;
} invalid[] = {
	{ "unknown even feature 100",
	    "lnbc25m1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyq"
	    "cyq5rqwzqfqypqdq5vdhkven9v5sxyetpdeessp5zyg3zyg3zyg3zyg3"
	    "zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygs9q4psqqqqqqqqqqqqqqq"
	    "qsgqtqyx5vggfcsll4wu246hz02kp85x4katwsk9639we5n5yngc3yhq"
	    "km35jnjw4len8vrnqnf5ejh0mzj9n3vz2px97evektfm2l6wqccp3y73"
	    "72" },
	{ "bad bech32 checksum",
	    "lnbc2500u1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqs"
	    "yqcyq5rqwzqfqypqdpquwpc4curk03c9wlrswe78q4eyqc7d8d0xqzpu"
	    "yk0sg5g70me25alkluzd2x62aysf2pyy8edtjeevuv4p2d5p76r4zkmn"
	    "eet7uvyakky2zr4cusd45tftc9c5fh0nnqpnl2jfll544esqchsrnt" },
	{ "no separator",
	    "pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwz"
	    "qfqypqdpquwpc4curk03c9wlrswe78q4eyqc7d8d0xqzpuyk0sg5g70m"
	    "e25alkluzd2x62aysf2pyy8edtjeevuv4p2d5p76r4zkmneet7uvyakk"
	    "y2zr4cusd45tftc9c5fh0nnqpnl2jfll544esqchsrny" },
	{ "mixed case",
	    "LNBC2500u1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqs"
	    "yqcyq5rqwzqfqypqdpquwpc4curk03c9wlrswe78q4eyqc7d8d0xqzpu"
	    "yk0sg5g70me25alkluzd2x62aysf2pyy8edtjeevuv4p2d5p76r4zkmn"
	    "eet7uvyakky2zr4cusd45tftc9c5fh0nnqpnl2jfll544esqchsrny" },
	{ "signature not recoverable",
	    "lnbc2500u1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqs"
	    "yqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpusp5zyg3zyg3z"
	    "yg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygs9qrsgqwgt7mcn"
	    "5yqw3yx0w94pswkpq6j9uh6xfqqqtsk4tnarugeektd4hg5975x9am52"
	    "rz4qskukxdmjemg92vvqz8nvmsye63r5ykel43pgz7zq0g2" },
	{ "string too short",
	    "lnbc1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq"
	    "5rqwzqfqypqdpl2pkx2ctnv5sxxmmwwd5kgetjypeh2ursdae8g6na6h"
	    "lh" },
	{ "invalid multiplier",
	    "lnbc2500x1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqs"
	    "yqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpusp5zyg3zyg3z"
	    "yg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygs9qrsgqrrzc4cv"
	    "fue4zp3hggxp47ag7xnrlr8vgcmkjxk3j5jqethnumgkpqp23z9jclu3"
	    "v0a7e0aruz366e9wqdykw6dxhdzcjjhldxq0w6wgqcnu43j" },
	{ "sub-millisatoshi amount",
	    "lnbc2500000001p1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwz"
	    "qfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpusp5zyg"
	    "3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygs9qrsgq0"
	    "lzc236j96a95uv0m3umg28gclm5lqxtqqwk32uuk4k6673k6n5kfvx3d"
	    "2h8s295fad45fdhmusm8sjudfhlf6dcsxmfvkeywmjdkxcp99202x" },
	{ "no s field",
	    "lnbc20m1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyq"
	    "cyq5rqwzqfqypqhp58yjmdan79s6qqdhdzgynm4zwqd5d7xmw5fk98kl"
	    "ysy043l2ahrqs9qrsgq7ea976txfraylvgzuxs8kgcw23ezlrszfnh8r"
	    "6qtfpr6cxga50aj6txm9rxrydzd06dfeawfk6swupvz4erwnyutnjq7x"
	    "39ymw6j38gp49qdkj" },
	{ "high-S signature with an n field",
	    "lnbc25m1p70xwfzpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyq"
	    "cyq5rqwzqfqypqdpl2pkx2ctnv5sxxmmwwd5kgetjypeh2ursdae8g6t"
	    "wvus8g6rfwvs8qun0dfjkxaqnp4q0n326hr8v9zprg8gsvezcch06gfa"
	    "qqhde2aj730yg0durunfhv66sp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3z"
	    "yg3zyg3zyg3zyg3zyg3zygs9qrsgqsp5zyg3zyg3zyg3zyg3zyg3zyg3"
	    "zyg3zyg3zyg3zyg3zyg3zyg3zygsp5cfzp9ugllvk03rltd6hvndxj26"
	    "ux6gcxc5azyxk060rj9tzghct5zvjlps76gx8wpq5yuu79688k8gnm2c"
	    "0al6v608s96l0xzrrlqqwnzxmu" },
};

/* Words under construction, for invoices this test signs itself. */
struct wbuf {
	uint8_t		 w[BOLT11_MAX_LEN];
	size_t		 n;
};

static secp256k1_context	*ctx;
static uint8_t			 spec_key[32], spec_node[33];

static void	 wb_uint(struct wbuf *, uint64_t, size_t);
static void	 wb_field(struct wbuf *, int, const uint8_t *, size_t);
static void	 wb_bytes(struct wbuf *, int, const void *, size_t);
static void	 wb_base(struct wbuf *, int, int, int);
static int	 sign(char *, size_t, const char *, const struct wbuf *,
		    int);
static void	 sha256(uint8_t[32], const void *, size_t);
static int	 same(const struct bolt11 *, const struct bolt11 *);
static void	 test_vectors(void);
static void	 test_mutations(void);
static void	 test_amounts(void);
static void	 test_fields(void);
static void	 test_lengths(void);
static void	 test_roundtrip(void);
static void	 test_encode_errors(void);

static void
wb_uint(struct wbuf *wb, uint64_t v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		wb->w[wb->n++] = (v >> (5 * (n - 1 - i))) & 0x1f;
}

static void
wb_field(struct wbuf *wb, int type, const uint8_t *w, size_t len)
{
	wb->w[wb->n++] = type;
	wb->w[wb->n++] = len >> 5;
	wb->w[wb->n++] = len & 0x1f;
	memcpy(wb->w + wb->n, w, len);
	wb->n += len;
}

static void
wb_bytes(struct wbuf *wb, int type, const void *bytes, size_t len)
{
	uint8_t	 w[1100];
	size_t	 n = sizeof(w);

	if (bech32_convert_bits(w, &n, 5, bytes, len, 8, 1) == -1)
		abort();
	wb_field(wb, type, w, n);
}

/* Timestamp, then (if asked) s, p and a d field "test". */
static void
wb_base(struct wbuf *wb, int s, int p, int d)
{
	uint8_t	 b[32];

	wb->n = 0;
	wb_uint(wb, SPEC_TS, 7);
	if (s) {
		memset(b, 0x11, sizeof(b));
		wb_bytes(wb, 16, b, 32);
	}
	if (p) {
		bdhke_fromhex(b, 32, SPEC_HASH);
		wb_bytes(wb, 1, b, 32);
	}
	if (d)
		wb_bytes(wb, 13, "test", 4);
}

/* Sign the words under hrp with the spec's key; recid < 0: keep it. */
static int
sign(char *out, size_t outlen, const char *hrp, const struct wbuf *in,
    int recid)
{
	secp256k1_ecdsa_recoverable_signature	 rsig;
	struct wbuf				 wb = *in;
	uint8_t					 buf[8192], sig[65], hash[32];
	size_t					 hlen = strlen(hrp), n;
	int					 rid;

	memcpy(buf, hrp, hlen);
	n = sizeof(buf) - hlen;
	if (bech32_convert_bits(buf + hlen, &n, 8, wb.w, wb.n, 5, 1) == -1)
		return (-1);
	sha256(hash, buf, hlen + n);
	if (!secp256k1_ecdsa_sign_recoverable(ctx, &rsig, hash, spec_key,
	    NULL, NULL) ||
	    !secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, sig,
	    &rid, &rsig))
		return (-1);
	sig[64] = recid < 0 ? rid : recid;
	n = sizeof(wb.w) - wb.n;
	if (bech32_convert_bits(wb.w + wb.n, &n, 5, sig, 65, 8, 1) == -1)
		return (-1);
	wb.n += n;
	return (bech32_encode(out, outlen, hrp, wb.w, wb.n));
}

static void
sha256(uint8_t out[32], const void *in, size_t len)
{
	unsigned int	 n = 32;

	if (!EVP_Digest(in, len, out, &n, EVP_sha256(), NULL))
		abort();
}

/* Everything an encoder takes, and the payee. */
static int
same(const struct bolt11 *a, const struct bolt11 *b)
{
	return (a->network == b->network && a->has_amount == b->has_amount &&
	    a->amount_msat == b->amount_msat && a->timestamp == b->timestamp &&
	    memcmp(a->payment_hash, b->payment_hash, 32) == 0 &&
	    memcmp(a->payment_secret, b->payment_secret, 32) == 0 &&
	    a->has_description == b->has_description &&
	    a->description_len == b->description_len &&
	    memcmp(a->description, b->description, a->description_len) == 0 &&
	    a->has_description_hash == b->has_description_hash &&
	    (!a->has_description_hash ||
	    memcmp(a->description_hash, b->description_hash, 32) == 0) &&
	    a->expiry == b->expiry && a->min_final_cltv == b->min_final_cltv &&
	    memcmp(a->features, b->features, sizeof(a->features)) == 0 &&
	    memcmp(a->payee, b->payee, 33) == 0);
}

static void
test_vectors(void)
{
	const struct vector	*v;
	struct bolt11		 b, want;
	char			 out[BOLT11_MAX_LEN + 1];
	uint8_t			 h[32];
	size_t			 i, j, nbits, nwant;
	int			 ok;

	sha256(h, CAKE, strlen(CAKE));
	bdhke_fromhex(want.description_hash, 32, SPEC_DHASH);
	T(memcmp(h, want.description_hash, 32) == 0,
	    "the spec's description hash is SHA-256 of its text");

	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		v = &valid[i];
		if (!T(bolt11_decode(&b, v->str) == 0, "valid %zu (%s) decodes",
		    i + 1, v->what))
			continue;
		bolt11_init(&want);
		want.network = v->net;
		want.has_amount = v->msat != 0;
		want.amount_msat = v->msat;
		want.timestamp = v->ts;
		bdhke_fromhex(want.payment_hash, 32, v->hash);
		bdhke_fromhex(want.payment_secret, 32, SPEC_SECRET);
		if (v->desc != NULL) {
			want.has_description = 1;
			want.description_len = strlcpy(want.description,
			    v->desc, sizeof(want.description));
		} else {
			want.has_description_hash = 1;
			bdhke_fromhex(want.description_hash, 32, SPEC_DHASH);
		}
		want.expiry = v->expiry;
		want.min_final_cltv = v->cltv;
		for (nwant = 0; nwant < 4 && v->features[nwant] != 0; nwant++)
			bolt11_feature_set(&want, v->features[nwant]);
		memcpy(want.payee, spec_node, 33);
		for (nbits = 0, j = 0; j < BOLT11_FEATURE_BITS; j++)
			nbits += bolt11_feature(&b, j);
		T(same(&b, &want) && nbits == nwant, "valid %zu: amount, hash, "
		    "description, expiry, cltv, features, payee", i + 1);
		T(b.has_amount == (v->msat != 0) && b.amount_msat == v->msat,
		    "valid %zu: amount %llu msat", i + 1,
		    (unsigned long long)v->msat);
		T(!b.has_node_id_field, "valid %zu: payee recovered", i + 1);

		/* What we encode from it decodes to the same. */
		want.has_node_id_field = (i % 2) == 0;
		ok = bolt11_encode(ctx, &want, spec_key, out, sizeof(out)) ==
		    0 && bolt11_decode(&b, out) == 0 && same(&b, &want) &&
		    b.has_node_id_field == want.has_node_id_field;
		T(ok, "valid %zu: re-encoded (%s n field) decodes the same",
		    i + 1, want.has_node_id_field ? "with" : "without");
		if (v->exact) {
			want.has_node_id_field = 0;
			T(bolt11_encode(ctx, &want, spec_key, out,
			    sizeof(out)) == 0 && strcmp(out, v->str) == 0,
			    "valid %zu: encode gives the spec's string "
			    "exactly", i + 1);
		}
	}
	for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
		T(bolt11_decode(&b, invalid[i].str) == -1,
		    "invalid: %s", invalid[i].what);
	T(bolt11_decode(&b, NULL) == -1 && bolt11_decode(&b, "") == -1,
	    "NULL and empty refused");
	snprintf(out, sizeof(out), "lightning:%s", valid[1].str);
	T(bolt11_decode(&b, out) == -1, "lightning: prefix refused");
}

/* Flipped bits (checksum fixed), wrong characters, truncations. */
static void
test_mutations(void)
{
	struct bolt11	 b, orig;
	struct wbuf	 wb;
	char		 hrp[64], str[BOLT11_MAX_LEN + 1];
	char		 inv[BOLT11_MAX_LEN + 1];
	uint8_t		 node[33];
	size_t		 i, k, len, bad;
	int		 withn, flip;
	static const uint8_t flips[] = { 0x01, 0x10 };

	for (withn = 0; withn <= 1; withn++) {
		if (bolt11_decode(&orig, valid[1].str) == -1)
			abort();
		orig.has_node_id_field = withn;
		if (bolt11_encode(ctx, &orig, spec_key, inv, sizeof(inv)) == -1)
			abort();
		memcpy(node, orig.payee, 33);
		wb.n = sizeof(wb.w);
		if (bech32_decode(hrp, sizeof(hrp), wb.w, &wb.n, inv) == -1)
			abort();
		bad = 0;
		for (i = 0; i < wb.n; i++) {
			for (k = 0; k < sizeof(flips); k++) {
				flip = flips[k];
				/* With n the recovery id is not used. */
				if (withn && i == wb.n - 1 && flip == 0x01)
					continue;
				wb.w[i] ^= flip;
				if (bech32_encode(str, sizeof(str), hrp, wb.w,
				    wb.n) == -1)
					abort();
				/*
				 * Recovery names some other payee.  A valid
				 * n field never passes; a broken one is
				 * skipped, and recovery names another.
				 */
				if (bolt11_decode(&b, str) == 0 &&
				    (b.has_node_id_field ||
				    memcmp(b.payee, node, 33) == 0))
					bad++;
				wb.w[i] ^= flip;
			}
		}
		T(bad == 0, "%s n field: no flipped bit of data or signature "
		    "verifies (%zu did)", withn ? "with" : "without", bad);
	}

	/* Any other character anywhere: the checksum catches it. */
	len = strlen(valid[1].str);
	bad = 0;
	for (i = 0; i < len; i++) {
		memcpy(str, valid[1].str, len + 1);
		str[i] = str[i] == 'q' ? 'p' : 'q';
		if (str[i] == valid[1].str[i] || bolt11_decode(&b, str) == 0)
			bad++;
		str[i] = valid[1].str[i] == '0' ? '2' : '0';
		if (bolt11_decode(&b, str) == 0)
			bad++;
	}
	T(bad == 0, "a changed character anywhere fails (%zu not)", bad);

	bad = 0;
	for (i = 0; i < len; i++) {
		memcpy(str, valid[1].str, i);
		str[i] = '\0';
		if (bolt11_decode(&b, str) == 0)
			bad++;
	}
	T(bad == 0, "truncated at every length fails (%zu not)", bad);
	memcpy(str, valid[1].str, len + 1);
	str[len - 1] = 'Q';
	T(bolt11_decode(&b, str) == -1, "one upper case character fails");
}

/* Prefixes and amounts, in invoices signed here. */
static void
test_amounts(void)
{
	static const struct {
		const char		*hrp;
		int			 ok;
		enum bolt11_network	 net;
		uint64_t		 msat;
	} cases[] = {
		{ "lnbc", 1, BOLT11_MAINNET, 0 },
		{ "lntb", 1, BOLT11_TESTNET, 0 },
		{ "lntbs", 1, BOLT11_SIGNET, 0 },
		{ "lnbcrt", 1, BOLT11_REGTEST, 0 },
		{ "lnbc2500u", 1, BOLT11_MAINNET, 250000000 },
		{ "lntbs10u", 1, BOLT11_SIGNET, 1000000 },
		{ "lnbcrt5m", 1, BOLT11_REGTEST, 500000000 },
		{ "lnbc13370n", 1, BOLT11_MAINNET, 1337000 },
		{ "lnbc1337000000p", 1, BOLT11_MAINNET, 133700000 },
		{ "lnbc10p", 1, BOLT11_MAINNET, 1 },
		{ "lnbc1n", 1, BOLT11_MAINNET, 100 },
		{ "lnbc1", 1, BOLT11_MAINNET, 100000000000ULL },
		{ "lnbc21000000", 1, BOLT11_MAINNET, BOLT11_MAX_MSAT },
		{ "lnbc21000000000m", 1, BOLT11_MAINNET, BOLT11_MAX_MSAT },
		{ "lnbc20999999999999999990p", 1, BOLT11_MAINNET,
		    BOLT11_MAX_MSAT - 1 },
		/* above 21 million BTC */
		{ "lnbc21000001", 0, BOLT11_MAINNET, 0 },
		{ "lnbc21000000001m", 0, BOLT11_MAINNET, 0 },
		/* msat overflow */
		{ "lnbc184467440737", 0, BOLT11_MAINNET, 0 },
		/* digits overflow */
		{ "lnbc18446744073709551616u", 0, BOLT11_MAINNET, 0 },
		{ "lnbc184467440737095516160p", 0, BOLT11_MAINNET, 0 },
		/* p not a multiple of 10 */
		{ "lnbc1p", 0, BOLT11_MAINNET, 0 },
		{ "lnbc11p", 0, BOLT11_MAINNET, 0 },
		{ "lnbc2500000001p", 0, BOLT11_MAINNET, 0 },
		{ "lnbc2500x", 0, BOLT11_MAINNET, 0 },
		/* zero */
		{ "lnbc0u", 0, BOLT11_MAINNET, 0 },
		{ "lnbc00p", 0, BOLT11_MAINNET, 0 },
		/* leading zero */
		{ "lnbc025u", 0, BOLT11_MAINNET, 0 },
		/* multiplier alone */
		{ "lnbcu", 0, BOLT11_MAINNET, 0 },
		{ "lnbc1mm", 0, BOLT11_MAINNET, 0 },
		{ "lnbc1m2", 0, BOLT11_MAINNET, 0 },
		{ "lnbc-1m", 0, BOLT11_MAINNET, 0 },
		/* unknown currency */
		{ "lnxx1m", 0, BOLT11_MAINNET, 0 },
		{ "lnbcr", 0, BOLT11_MAINNET, 0 },
		{ "lnbcrt1", 1, BOLT11_REGTEST, 100000000000ULL },
		{ "lntbs25", 1, BOLT11_SIGNET, 2500000000000ULL },
		{ "lntbss", 0, BOLT11_MAINNET, 0 },
		{ "ln", 0, BOLT11_MAINNET, 0 },
		{ "bc1m", 0, BOLT11_MAINNET, 0 },
		{ "xlnbc1m", 0, BOLT11_MAINNET, 0 },
	};
	struct bolt11	 b;
	struct wbuf	 wb;
	char		 str[BOLT11_MAX_LEN + 1];
	size_t		 i;
	int		 rv;

	wb_base(&wb, 1, 1, 1);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (sign(str, sizeof(str), cases[i].hrp, &wb, -1) == -1)
			abort();
		rv = bolt11_decode(&b, str);
		if (cases[i].ok)
			T(rv == 0 && b.network == cases[i].net &&
			    b.has_amount == (cases[i].msat != 0) &&
			    b.amount_msat == cases[i].msat &&
			    memcmp(b.payee, spec_node, 33) == 0,
			    "%s: %llu msat", cases[i].hrp,
			    (unsigned long long)cases[i].msat);
		else
			T(rv == -1, "%s refused", cases[i].hrp);
	}
}

/* The tagged fields' rules, in invoices signed here. */
static void
test_fields(void)
{
	struct bolt11	 b;
	struct wbuf	 wb;
	char		 str[BOLT11_MAX_LEN + 1];
	uint8_t		 w[1023], bytes[640], h[32], other[32];
	size_t		 i;
	int		 n;

#define SIGNED(wbp)	(sign(str, sizeof(str), "lnbc", (wbp), -1) == 0 ? \
			    str : (abort(), str))

	wb_base(&wb, 1, 1, 1);
	T(bolt11_decode(&b, SIGNED(&wb)) == 0 && b.description_len == 4 &&
	    strcmp(b.description, "test") == 0 && b.expiry == 3600 &&
	    b.min_final_cltv == 18 && !b.has_amount,
	    "s, p, d and defaults");
	wb_base(&wb, 0, 1, 1);
	T(bolt11_decode(&b, SIGNED(&wb)) == -1, "no s: refused");
	wb_base(&wb, 1, 0, 1);
	T(bolt11_decode(&b, SIGNED(&wb)) == -1, "no p: refused");
	wb_base(&wb, 1, 1, 0);
	T(bolt11_decode(&b, SIGNED(&wb)) == -1, "neither d nor h: refused");
	wb_base(&wb, 1, 1, 1);
	memset(h, 0xab, 32);
	wb_bytes(&wb, 23, h, 32);
	T(bolt11_decode(&b, SIGNED(&wb)) == -1, "both d and h: refused");
	wb_base(&wb, 1, 1, 0);
	wb_bytes(&wb, 23, h, 32);
	T(bolt11_decode(&b, SIGNED(&wb)) == 0 && b.has_description_hash &&
	    !b.has_description && memcmp(b.description_hash, h, 32) == 0,
	    "h alone");

	/* The first p wins; one of the wrong length is skipped. */
	wb_base(&wb, 1, 0, 1);
	memset(other, 0x22, 32);
	wb_bytes(&wb, 1, other, 31);
	wb_bytes(&wb, 1, other, 32);
	bdhke_fromhex(h, 32, SPEC_HASH);
	wb_bytes(&wb, 1, h, 32);
	T(bolt11_decode(&b, SIGNED(&wb)) == 0 &&
	    memcmp(b.payment_hash, other, 32) == 0,
	    "p of 50 words skipped, first valid p used");
	wb_base(&wb, 1, 0, 1);
	memset(w, 0, sizeof(w));
	wb_field(&wb, 1, w, 53);
	T(bolt11_decode(&b, SIGNED(&wb)) == -1,
	    "only a p of 53 words: no payment hash, refused");

	/* x and c: minimal big-endian numbers. */
	wb_base(&wb, 1, 1, 1);
	w[0] = 0;
	w[1] = 1;
	wb_field(&wb, 6, w, 2);
	T(bolt11_decode(&b, SIGNED(&wb)) == -1, "x with a zero word first");
	wb_base(&wb, 1, 1, 1);
	wb_field(&wb, 24, w, 2);
	T(bolt11_decode(&b, SIGNED(&wb)) == -1, "c with a zero word first");
	wb_base(&wb, 1, 1, 1);
	wb_field(&wb, 6, w, 0);
	T(bolt11_decode(&b, SIGNED(&wb)) == 0 && b.expiry == 0,
	    "x without words is 0");
	wb_base(&wb, 1, 1, 1);
	w[0] = 15;
	memset(w + 1, 31, 12);
	wb_field(&wb, 6, w, 13);
	T(bolt11_decode(&b, SIGNED(&wb)) == 0 && b.expiry == UINT64_MAX,
	    "x of 2^64-1 in 13 words");
	wb_base(&wb, 1, 1, 1);
	w[0] = 16;
	wb_field(&wb, 6, w, 13);
	T(bolt11_decode(&b, SIGNED(&wb)) == -1, "x of 2^64: refused");
	wb_base(&wb, 1, 1, 1);
	w[0] = 1;
	wb_field(&wb, 24, w, 14);
	T(bolt11_decode(&b, SIGNED(&wb)) == -1, "c of 14 words: refused");
	wb_base(&wb, 1, 1, 1);
	w[0] = 4;
	w[1] = 0;
	wb_field(&wb, 24, w, 2);
	w[0] = 9;
	wb_field(&wb, 24, w, 1);
	T(bolt11_decode(&b, SIGNED(&wb)) == 0 && b.min_final_cltv == 128,
	    "c of 128, the first c wins");

	/* Features. */
	wb_base(&wb, 1, 1, 1);
	w[0] = 0;
	w[1] = 1;
	wb_field(&wb, 5, w, 2);
	T(bolt11_decode(&b, SIGNED(&wb)) == -1, "9 with a zero word first");
	wb_base(&wb, 1, 1, 1);
	w[0] = 1 << 2;		/* bit 17 */
	w[1] = 0;
	w[2] = 0;
	w[3] = 0;
	wb_field(&wb, 5, w, 4);
	T(bolt11_decode(&b, SIGNED(&wb)) == -1,
	    "basic_mpp without payment_secret: refused");
	wb_base(&wb, 1, 1, 1);
	w[0] = 1 << 2;		/* 17 */
	w[1] = 1 << 4;		/* 14 */
	w[2] = 0;
	w[3] = 0;
	wb_field(&wb, 5, w, 4);
	T(bolt11_decode(&b, SIGNED(&wb)) == 0 && bolt11_feature(&b, 17) &&
	    bolt11_feature(&b, 14) && !bolt11_feature(&b, 16),
	    "basic_mpp with payment_secret");
	wb_base(&wb, 1, 1, 1);
	memset(w, 0, sizeof(w));
	w[0] = 1 << 3;		/* bit 5113, odd */
	wb_field(&wb, 5, w, 1023);
	T(bolt11_decode(&b, SIGNED(&wb)) == 0 && bolt11_feature(&b, 5113),
	    "unknown odd bit 5113 ignored");
	w[0] = 1 << 2;		/* 5112, even */
	wb_base(&wb, 1, 1, 1);
	wb_field(&wb, 5, w, 1023);
	T(bolt11_decode(&b, SIGNED(&wb)) == -1, "unknown even bit 5112");

	/* Descriptions. */
	for (i = 0; i < 639; i++)
		bytes[i] = 'a' + i % 26;
	wb_base(&wb, 1, 1, 0);
	wb_bytes(&wb, 13, bytes, 639);
	T(bolt11_decode(&b, SIGNED(&wb)) == 0 && b.description_len == 639 &&
	    memcmp(b.description, bytes, 639) == 0 && b.description[639] == 0,
	    "d of 639 bytes");
	wb_base(&wb, 1, 1, 0);
	wb_bytes(&wb, 13, "caf\xc3\xa9\xf0\x9f\x98\x80", 9);
	T(bolt11_decode(&b, SIGNED(&wb)) == 0 && b.description_len == 9,
	    "d in UTF-8");
	wb_base(&wb, 1, 1, 0);
	wb_bytes(&wb, 13, "", 0);
	T(bolt11_decode(&b, SIGNED(&wb)) == 0 && b.has_description &&
	    b.description_len == 0, "empty d");
	wb_base(&wb, 1, 1, 0);
	wb_bytes(&wb, 13, "caf\xe9", 4);
	T(bolt11_decode(&b, SIGNED(&wb)) == -1, "d in Latin-1: refused");
	wb_base(&wb, 1, 1, 0);
	wb_bytes(&wb, 13, "a\0b", 3);
	T(bolt11_decode(&b, SIGNED(&wb)) == -1, "d with NUL: refused");
	wb_base(&wb, 1, 1, 0);
	wb_bytes(&wb, 13, "\xc0\xaf", 2);
	T(bolt11_decode(&b, SIGNED(&wb)) == -1, "d overlong: refused");
	wb_base(&wb, 1, 1, 0);
	wb_bytes(&wb, 13, "\xed\xa0\x80", 3);
	T(bolt11_decode(&b, SIGNED(&wb)) == -1, "d surrogate: refused");

	/* n: checked when valid, skipped when not a key. */
	wb_base(&wb, 1, 1, 1);
	wb_bytes(&wb, 19, spec_node, 33);
	T(bolt11_decode(&b, SIGNED(&wb)) == 0 && b.has_node_id_field &&
	    memcmp(b.payee, spec_node, 33) == 0, "n of the signer");
	memcpy(bytes, spec_node, 33);
	bytes[0] ^= 1;		/* the other point with this x */
	wb_base(&wb, 1, 1, 1);
	wb_bytes(&wb, 19, bytes, 33);
	T(bolt11_decode(&b, SIGNED(&wb)) == -1, "n of another key: refused");
	bytes[0] = 5;
	wb_base(&wb, 1, 1, 1);
	wb_bytes(&wb, 19, bytes, 33);
	T(bolt11_decode(&b, SIGNED(&wb)) == 0 && !b.has_node_id_field &&
	    memcmp(b.payee, spec_node, 33) == 0,
	    "n that is no key: skipped, payee recovered");

	/* Unknown and skipped tags; broken framing. */
	wb_base(&wb, 1, 1, 1);
	memset(w, 7, sizeof(w));
	wb_field(&wb, 0, w, 1023);	/* unknown */
	wb_field(&wb, 3, w, 51);	/* r */
	wb_field(&wb, 9, w, 33);	/* f */
	wb_field(&wb, 27, w, 7);	/* m */
	wb_field(&wb, 31, w, 0);
	T(bolt11_decode(&b, SIGNED(&wb)) == 0, "unknown, r, f, m skipped");
	wb_base(&wb, 1, 1, 1);
	wb.w[wb.n++] = 0;
	wb.w[wb.n++] = 1;
	wb.w[wb.n++] = 0;		/* 32 words promised, none there */
	T(bolt11_decode(&b, SIGNED(&wb)) == -1, "field past the end");
	wb_base(&wb, 1, 1, 1);
	wb.w[wb.n++] = 0;
	wb.w[wb.n++] = 0;
	T(bolt11_decode(&b, SIGNED(&wb)) == -1, "half a field header");
	wb_base(&wb, 1, 1, 1);
	T(sign(str, sizeof(str), "lnbc", &wb, 4) == 0 &&
	    bolt11_decode(&b, str) == -1, "recovery id 4: refused");
	for (i = 0, n = 0; i < 4; i++)
		if (sign(str, sizeof(str), "lnbc", &wb, i) == 0 &&
		    bolt11_decode(&b, str) == 0 &&
		    memcmp(b.payee, spec_node, 33) == 0)
			n++;
	T(n == 1, "one recovery id of four recovers the signer");
	wb.n = 6;
	T(bolt11_decode(&b, SIGNED(&wb)) == -1, "timestamp cut short");
#undef SIGNED
}

/* LND's limit, 7089 characters, holds; longer is refused. */
static void
test_lengths(void)
{
	struct bolt11	 b;
	struct wbuf	 wb;
	char		 str[BOLT11_MAX_LEN + 2];
	uint8_t		 w[1023];
	size_t		 want, len;

	memset(w, 3, sizeof(w));
	wb_base(&wb, 1, 1, 1);
	/* "lnbc" '1' words signature checksum = 7089 */
	want = BOLT11_MAX_LEN - 4 - 1 - 104 - 6;
	while (wb.n < want) {
		len = want - wb.n - 3;
		if (len > 1023)
			len = 1023;
		if (want - wb.n - 3 - len == 1 || want - wb.n - 3 - len == 2)
			len -= 3;
		wb_field(&wb, 0, w, len);
	}
	T(wb.n == want && sign(str, sizeof(str), "lnbc", &wb, -1) == 0 &&
	    strlen(str) == BOLT11_MAX_LEN && bolt11_decode(&b, str) == 0,
	    "an invoice of exactly %d characters decodes", BOLT11_MAX_LEN);
	memmove(str + 6, str + 5, strlen(str + 5) + 1);
	str[5] = 'q';
	T(strlen(str) == BOLT11_MAX_LEN + 1 && bolt11_decode(&b, str) == -1,
	    "%d characters refused", BOLT11_MAX_LEN + 1);
}

static void
test_roundtrip(void)
{
	static const struct {
		uint64_t	 msat;
		const char	*prefix;
	} amounts[] = {
		{ 1, "lnbc10p1" },
		{ 9, "lnbc90p1" },
		{ 10, "lnbc100p1" },
		{ 99, "lnbc990p1" },
		{ 100, "lnbc1n1" },
		{ 999, "lnbc9990p1" },
		{ 1000, "lnbc10n1" },
		{ 100000, "lnbc1u1" },
		{ 1337000, "lnbc13370n1" },
		{ 2100000, "lnbc21u1" },
		{ 100000000, "lnbc1m1" },
		{ 100000000000ULL, "lnbc11" },
		{ 250000000000ULL, "lnbc2500m1" },
		{ BOLT11_MAX_MSAT - 1, "lnbc20999999999999999990p1" },
		{ BOLT11_MAX_MSAT, "lnbc210000001" },
		{ 0, "lnbc1" },
	};
	secp256k1_pubkey pub;
	struct bolt11	 in, out;
	char		 str[BOLT11_MAX_LEN + 1];
	uint8_t		 key[32];
	size_t		 i, len, bad = 0;
	int		 n;

	bolt11_init(&in);
	in.timestamp = 1700000000;
	arc4random_buf(in.payment_hash, 32);
	arc4random_buf(in.payment_secret, 32);
	in.has_description = 1;
	in.description_len = strlcpy(in.description, "routstr",
	    sizeof(in.description));
	bolt11_feature_set(&in, 8);
	bolt11_feature_set(&in, 14);
	memcpy(in.payee, spec_node, 33);
	for (i = 0; i < sizeof(amounts) / sizeof(amounts[0]); i++) {
		in.has_amount = amounts[i].msat != 0;
		in.amount_msat = amounts[i].msat;
		T(bolt11_encode(ctx, &in, spec_key, str, sizeof(str)) == 0 &&
		    strncmp(str, amounts[i].prefix,
		    strlen(amounts[i].prefix)) == 0 &&
		    bolt11_decode(&out, str) == 0 && same(&in, &out),
		    "%llu msat: %s..., decodes the same",
		    (unsigned long long)amounts[i].msat, amounts[i].prefix);
	}

	/* Random amounts, networks, fields and keys. */
	for (n = 0; n < 2000; n++) {
		bolt11_init(&in);
		in.network = arc4random_uniform(4);
		in.has_amount = arc4random_uniform(8) != 0;
		if (in.has_amount) {
			arc4random_buf(&in.amount_msat, 8);
			/* All magnitudes, from 1 msat to the bound. */
			in.amount_msat >>= arc4random_uniform(64);
			in.amount_msat = in.amount_msat % BOLT11_MAX_MSAT + 1;
			if (arc4random_uniform(2))
				in.amount_msat -= in.amount_msat %
				    (uint64_t[]){ 1, 100, 100000, 100000000,
				    100000000000ULL }[arc4random_uniform(5)];
			if (in.amount_msat == 0)
				in.amount_msat = 1;
		}
		in.timestamp = arc4random_uniform(2) ? BOLT11_TIMESTAMP_MAX :
		    arc4random();
		arc4random_buf(in.payment_hash, 32);
		arc4random_buf(in.payment_secret, 32);
		if (arc4random_uniform(2)) {
			in.has_description = 1;
			in.description_len = arc4random_uniform(640);
			for (i = 0; i < in.description_len; i++)
				in.description[i] = 32 + arc4random_uniform(95);
			in.description[in.description_len] = '\0';
		} else {
			in.has_description_hash = 1;
			arc4random_buf(in.description_hash, 32);
		}
		arc4random_buf(&in.expiry, 8);
		in.expiry >>= arc4random_uniform(64);
		in.min_final_cltv = arc4random_uniform(3) == 0 ? 18 :
		    arc4random_uniform(5000);
		for (i = arc4random_uniform(6); i > 0; i--)
			bolt11_feature_set(&in, (arc4random_uniform(2) ?
			    arc4random_uniform(BOLT11_FEATURE_BITS / 2) :
			    arc4random_uniform(40)) | 1);
		bolt11_feature_set(&in, 14);
		in.has_node_id_field = arc4random_uniform(2);
		do
			arc4random_buf(key, 32);
		while (!secp256k1_ec_seckey_verify(ctx, key));
		len = 33;
		if (!secp256k1_ec_pubkey_create(ctx, &pub, key) ||
		    !secp256k1_ec_pubkey_serialize(ctx, in.payee, &len, &pub,
		    SECP256K1_EC_COMPRESSED) ||
		    bolt11_encode(ctx, &in, key, str, sizeof(str)) == -1 ||
		    bolt11_decode(&out, str) == -1 || !same(&in, &out) ||
		    out.has_node_id_field != in.has_node_id_field)
			bad++;
	}
	T(bad == 0, "2000 random invoices round trip (%zu did not)", bad);
}

static void
test_encode_errors(void)
{
	struct bolt11	 in;
	char		 str[BOLT11_MAX_LEN + 1];
	uint8_t		 zero[32];
	size_t		 need;

	bolt11_init(&in);
	in.has_description = 1;
	in.description_len = strlcpy(in.description, "x",
	    sizeof(in.description));
	in.has_amount = 1;
	in.amount_msat = 1337000;
	T(bolt11_encode(ctx, &in, spec_key, str, sizeof(str)) == 0,
	    "encode: the base case works");
	need = strlen(str) + 1;
	T(bolt11_encode(ctx, &in, spec_key, str, need) == 0 &&
	    bolt11_encode(ctx, &in, spec_key, str, need - 1) == -1,
	    "encode: the buffer is checked");
	in.amount_msat = 0;
	T(bolt11_encode(ctx, &in, spec_key, str, sizeof(str)) == -1,
	    "encode: amount 0 refused");
	in.amount_msat = BOLT11_MAX_MSAT + 1;
	T(bolt11_encode(ctx, &in, spec_key, str, sizeof(str)) == -1,
	    "encode: amount above 21e6 BTC refused");
	in.amount_msat = 1;
	in.timestamp = BOLT11_TIMESTAMP_MAX + 1;
	T(bolt11_encode(ctx, &in, spec_key, str, sizeof(str)) == -1,
	    "encode: timestamp of 36 bits refused");
	in.timestamp = 0;
	in.has_description_hash = 1;
	T(bolt11_encode(ctx, &in, spec_key, str, sizeof(str)) == -1,
	    "encode: d and h refused");
	in.has_description_hash = 0;
	in.has_description = 0;
	T(bolt11_encode(ctx, &in, spec_key, str, sizeof(str)) == -1,
	    "encode: neither d nor h refused");
	in.has_description = 1;
	in.description_len = 640;
	T(bolt11_encode(ctx, &in, spec_key, str, sizeof(str)) == -1,
	    "encode: description of 640 bytes refused");
	in.description_len = 2;
	memcpy(in.description, "\xff\xfe", 3);
	T(bolt11_encode(ctx, &in, spec_key, str, sizeof(str)) == -1,
	    "encode: description not UTF-8 refused");
	in.description_len = 1;
	memcpy(in.description, "x", 2);
	bolt11_feature_set(&in, 100);
	T(bolt11_encode(ctx, &in, spec_key, str, sizeof(str)) == -1,
	    "encode: unknown even feature refused");
	memset(in.features, 0, sizeof(in.features));
	in.network = 4;
	T(bolt11_encode(ctx, &in, spec_key, str, sizeof(str)) == -1,
	    "encode: unknown network refused");
	in.network = BOLT11_MAINNET;
	memset(zero, 0, sizeof(zero));
	T(bolt11_encode(ctx, &in, zero, str, sizeof(str)) == -1,
	    "encode: zero key refused");
	in.features[sizeof(in.features) - 1] = 0x08;	/* bit 5115 */
	T(bolt11_encode(ctx, &in, spec_key, str, sizeof(str)) == -1,
	    "encode: feature bit beyond the field refused");
	in.features[sizeof(in.features) - 1] = 0;
	T(bolt11_feature_set(&in, BOLT11_FEATURE_BITS) == -1 &&
	    bolt11_feature(&in, BOLT11_FEATURE_BITS) == 0,
	    "feature bits beyond the field refused");
	in.timestamp = 100;
	in.expiry = UINT64_MAX;
	T(bolt11_expires_at(&in) == UINT64_MAX, "expires_at saturates");
	in.expiry = 60;
	T(bolt11_expires_at(&in) == 160, "expires_at adds");
	T(strcmp(bolt11_network_prefix(BOLT11_REGTEST), "lnbcrt") == 0 &&
	    strcmp(bolt11_network_prefix(BOLT11_SIGNET), "lntbs") == 0 &&
	    bolt11_network_prefix(7) == NULL, "network prefixes");
}

int
main(void)
{
	secp256k1_pubkey	 pub;
	uint8_t			 node[33];
	size_t			 len = sizeof(node);

	if ((ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE)) == NULL ||
	    bdhke_fromhex(spec_key, 32, SPEC_KEY) == -1 ||
	    bdhke_fromhex(spec_node, 33, SPEC_NODE) == -1)
		abort();
	T(secp256k1_ec_pubkey_create(ctx, &pub, spec_key) &&
	    secp256k1_ec_pubkey_serialize(ctx, node, &len, &pub,
	    SECP256K1_EC_COMPRESSED) && memcmp(node, spec_node, 33) == 0,
	    "the spec's key is the spec's node id");

	test_vectors();
	test_mutations();
	test_amounts();
	test_fields();
	test_lengths();
	test_roundtrip();
	test_encode_errors();
	secp256k1_context_destroy(ctx);
	return (test_done());
}
