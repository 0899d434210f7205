/*
 * bech32 (BIP-173 vectors), NIP-19 npub/nsec vectors, and mintd's
 * reading of the node's Nostr key.
 */

#include <sys/types.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bech32.h"
#include "ipc.h"
#include "log.h"
#include "mintd.h"
#include "test.h"

static const char *valid[] = {
	"A12UEL5L",
	"a12uel5l",
	"an83characterlonghumanreadablepartthatcontainsthenumber1and"
	    "theexcludedcharactersbio1tt5tgs",
	"abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
	"11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
	    "qqqqqqqqqqqqqqqqqqqqqqc8247j",
	"split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
	"?1ezyfcl",
};

static const char *invalid[] = {
	"\x20" "1nwldj5",	/* hrp character out of range */
	"\x7f" "1axkwrx",
	"pzry9x0s0muk",		/* no separator */
	"1pzry9x0s0muk",	/* empty hrp */
	"x1b4n0q5v",		/* invalid data character */
	"li1dgmt3",		/* too short checksum */
	"de1lg7wt\xff",		/* invalid character in checksum */
	"A1G7SGD8",		/* checksum of upper case hrp */
	"10a06t8",		/* empty hrp */
	"1qzzfhee",		/* empty hrp */
	"a12UEL5L",		/* mixed case */
};

static void
hex(char *out, const uint8_t *in, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		snprintf(out + 2 * i, 3, "%02x", in[i]);
}

static int
keyfile(const char *text)
{
	char	 path[] = "/tmp/test_bech32.XXXXXX";
	int	 fd;

	if ((fd = mkstemp(path)) == -1)
		return (-1);
	unlink(path);
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		return (-1);
	}
	return (fd);
}

int
main(void)
{
	struct ipc_identity	 id;
	char			 hrp[100], out[200], h[80];
	uint8_t			 data[200], bytes[64];
	size_t			 i, n;
	int			 fd;

	log_init(1, 0);
	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		n = sizeof(data);
		T(bech32_decode(hrp, sizeof(hrp), data, &n, valid[i]) == 0,
		    "valid bech32 %zu decodes", i);
	}
	n = sizeof(data);
	if (bech32_decode(hrp, sizeof(hrp), data, &n, valid[3]) == 0) {
		T(bech32_encode(out, sizeof(out), hrp, data, n) == 0 &&
		    strcmp(out, valid[3]) == 0, "re-encodes identically");
	}
	for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		n = sizeof(data);
		T(bech32_decode(hrp, sizeof(hrp), data, &n, invalid[i]) == -1,
		    "invalid bech32 %zu refused", i);
	}
	n = 3;
	T(bech32_decode(hrp, sizeof(hrp), data, &n, valid[3]) == -1,
	    "data longer than the buffer refused");

	T(bech32_decode_bytes("npub180cvv07tjdrrgpa0j7j7tmnyl2yr6yr7l8j4s3evf6"
	    "u64th6gkwsyjh6w6", "npub", bytes, sizeof(bytes), &n) == 0 &&
	    n == 32, "NIP-19 npub decodes");
	hex(h, bytes, 32);
	T(strcmp(h, "3bf0c63fcb93463407af97a5e5ee64fa883d107ef9e558472c4eb9"
	    "aaaefa459d") == 0, "NIP-19 npub vector");
	T(bech32_encode_bytes(out, sizeof(out), "npub", bytes, 32) == 0 &&
	    strcmp(out, "npub180cvv07tjdrrgpa0j7j7tmnyl2yr6yr7l8j4s3evf6u64th6"
	    "gkwsyjh6w6") == 0, "NIP-19 npub encodes");
	T(bech32_decode_bytes("npub180cvv07tjdrrgpa0j7j7tmnyl2yr6yr7l8j4s3evf6"
	    "u64th6gkwsyjh6w6", "nsec", bytes, sizeof(bytes), &n) == -1,
	    "wrong hrp refused");

	T((fd = keyfile("nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af89"
	    "35ke9laqsnlfe5\n")) != -1, "key file");
	T(nostr_key_load(fd) == 0, "nsec key loads");
	close(fd);
	nostr_key_identity(&id);
	T(strcmp(id.id_npub, "npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js"
	    "35mp4dma8qzvjptg") == 0, "npub of the NIP-19 nsec: %s",
	    id.id_npub);
	T(strcmp(id.id_pubkey, "7e7e9c42a91bfef19fa929e5fda1b72e0ebc1a4c11416"
	    "73e2794234d86addf4e") == 0, "hex public key");

	T((fd = keyfile("  67dea2ed018072d675f5415ecfaed7d2597555e202d85b3d65"
	    "ea4e58d2d92ffa  \n")) != -1, "hex key file");
	memset(&id, 0, sizeof(id));
	T(nostr_key_load(fd) == 0, "hex key loads");
	close(fd);
	nostr_key_identity(&id);
	T(strcmp(id.id_npub, "npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js"
	    "35mp4dma8qzvjptg") == 0, "same npub from hex");

	fd = keyfile("67dea2ed018072d675f5415ecfaed7d2597555e202d85b3d65ea4e"
	    "58d2d92ff");
	T(nostr_key_load(fd) == -1, "63 hex digits refused");
	close(fd);
	fd = keyfile("0000000000000000000000000000000000000000000000000000000"
	    "000000000");
	T(nostr_key_load(fd) == -1, "zero key refused");
	close(fd);
	fd = keyfile("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8c"
	    "d0364141");
	T(nostr_key_load(fd) == -1, "key equal to the group order refused");
	close(fd);
	fd = keyfile("nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9l"
	    "aqsnlfe6");
	T(nostr_key_load(fd) == -1, "nsec with a bad checksum refused");
	close(fd);
	fd = keyfile("");
	T(nostr_key_load(fd) == -1, "empty key file refused");
	close(fd);
	return (test_done());
}
