/*
 * The node's Nostr key: read from the fd the parent passed (64 hex
 * digits or a NIP-19 nsec, surrounding whitespace allowed), checked,
 * and kept in this process only.  Its public half names the node.
 */

#include <sys/types.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <secp256k1.h>
#include <secp256k1_extrakeys.h>

#include "bech32.h"
#include "ipc.h"
#include "log.h"
#include "mintd.h"

#define NOSTR_KEY_FILE_MAX	1024

static secp256k1_context	*ctx;
static secp256k1_keypair	 keypair;
static struct ipc_identity	 identity;
static int			 have_key;

static int	 hexdecode(uint8_t *, size_t, const char *, size_t);

static int
hexdecode(uint8_t *out, size_t outlen, const char *in, size_t inlen)
{
	size_t	 i;
	int	 hi, lo;

	if (inlen != outlen * 2)
		return (-1);
	for (i = 0; i < outlen; i++) {
		hi = in[2 * i];
		lo = in[2 * i + 1];
		if (!isxdigit(hi) || !isxdigit(lo))
			return (-1);
		hi = isdigit(hi) ? hi - '0' : tolower(hi) - 'a' + 10;
		lo = isdigit(lo) ? lo - '0' : tolower(lo) - 'a' + 10;
		out[i] = hi << 4 | lo;
	}
	return (0);
}

/* Returns 0, or -1 with a log line saying what is wrong with the file. */
int
nostr_key_load(int fd)
{
	secp256k1_xonly_pubkey	 xpk;
	unsigned char		*buf;
	uint8_t			 seckey[32], pub[32];
	size_t			 len, start, end, n;
	char			*text;
	int			 i, ok = -1;

	if (ctx == NULL) {
		uint8_t	 seed[32];

		if ((ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE)) ==
		    NULL)
			fatalx("secp256k1_context_create");
		/* Blinding against side channels in signing. */
		arc4random_buf(seed, sizeof(seed));
		if (!secp256k1_context_randomize(ctx, seed))
			fatalx("secp256k1_context_randomize");
		explicit_bzero(seed, sizeof(seed));
	}
	if (fd_read_all(fd, NOSTR_KEY_FILE_MAX, &buf, &len) == -1) {
		log_warn("nostr key file");
		return (-1);
	}
	text = (char *)buf;
	for (start = 0; start < len && isspace((unsigned char)text[start]);
	    start++)
		;
	for (end = len; end > start && isspace((unsigned char)text[end - 1]);
	    end--)
		;
	text[end] = '\0';
	text += start;

	if (strncmp(text, "nsec1", 5) == 0) {
		if (bech32_decode_bytes(text, "nsec", seckey, sizeof(seckey),
		    &n) == -1 || n != sizeof(seckey)) {
			log_warnx("nostr key file: not a valid nsec");
			goto done;
		}
	} else if (hexdecode(seckey, sizeof(seckey), text, end - start) ==
	    -1) {
		log_warnx("nostr key file: want 64 hex digits or an nsec");
		goto done;
	}
	if (!secp256k1_keypair_create(ctx, &keypair, seckey)) {
		log_warnx("nostr key file: not a valid secp256k1 secret key");
		goto done;
	}
	if (!secp256k1_keypair_xonly_pub(ctx, &xpk, NULL, &keypair) ||
	    !secp256k1_xonly_pubkey_serialize(ctx, pub, &xpk))
		fatalx("secp256k1 x-only public key");
	if (bech32_encode_bytes(identity.id_npub, sizeof(identity.id_npub),
	    "npub", pub, sizeof(pub)) == -1)
		fatalx("npub encoding");
	for (i = 0; i < 32; i++)
		(void)snprintf(identity.id_pubkey + 2 * i, 3, "%02x", pub[i]);
	have_key = 1;
	ok = 0;
	log_info("nostr identity %s", identity.id_npub);
 done:
	explicit_bzero(seckey, sizeof(seckey));
	freezero(buf, len + 1);
	return (ok);
}

void
nostr_key_identity(struct ipc_identity *id)
{
	memset(id, 0, sizeof(*id));
	if (have_key)
		*id = identity;
}
