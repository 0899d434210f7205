/*
 * bench/curve: the cost of mintd's Cashu operations against the raw
 * secp256k1 point multiplication measured in the same run.
 *
 *	obj/bench/curve [-r rounds] [-m milliseconds]
 *
 * Operations: secp256k1_ec_pubkey_tweak_mul on a fixed point (the raw
 * multiplication, variable time), secp256k1_ecdh to a point (the
 * constant-time multiplication mintd uses with secret scalars),
 * hash_to_curve of a 64-character secret, a full mint verification
 * (hash_to_curve + k·Y and compare) and a signature with its DLEQ proof.
 * Each runs for several short rounds, interleaved with the others, and
 * the best round counts: on a shared machine that is the least disturbed
 * one, and interleaving exposes every operation to the same load.
 */

#include <sys/types.h>

#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <secp256k1.h>
#include <secp256k1_ecdh.h>

#include "bdhke.h"

#define NSECRETS	64

enum op {
	OP_TWEAK_MUL,
	OP_ECDH,
	OP_H2C,
	OP_VERIFY,
	OP_SIGN_DLEQ,
	OP_MAX
};

static const char *op_names[OP_MAX] = {
	"raw point mult (tweak_mul)",
	"const-time point mult (ecdh)",
	"hash_to_curve",
	"mint verify (h2c + k*Y)",
	"sign + DLEQ",
};

static struct bdhke	*bd;
static secp256k1_pubkey	 fixed_point;
static uint8_t		 k[32], K[33], tweak[32];
static char		 secrets[NSECRETS][65];
static uint8_t		 Cs[NSECRETS][33], Bs[NSECRETS][33];
static volatile int	 sink;

static double	 now(void);
static int	 ecdh_copy(unsigned char *, const unsigned char *,
		    const unsigned char *, void *);
static int	 run(enum op, unsigned long);
static double	 round_rate(enum op, double);
static void	 setup(void);
static void	 usage(void) __attribute__((__noreturn__));

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

static int
ecdh_copy(unsigned char *out, const unsigned char *x, const unsigned char *y,
    void *arg)
{
	memcpy(out, x, 32);
	memcpy(out + 32, y, 32);
	return (1);
}

/* One operation, the i-th of its kind; 0 if it did what it should. */
static int
run(enum op op, unsigned long i)
{
	const secp256k1_context	*secp = bdhke_secp(bd);
	secp256k1_pubkey	 pk;
	uint8_t			 out[64], C_[33], e[32], s[32];
	size_t			 j = i % NSECRETS;

	switch (op) {
	case OP_TWEAK_MUL:
		pk = fixed_point;
		if (!secp256k1_ec_pubkey_tweak_mul(secp, &pk, tweak))
			return (-1);
		sink += pk.data[0];
		return (0);
	case OP_ECDH:
		if (!secp256k1_ecdh(secp, out, &fixed_point, tweak, ecdh_copy,
		    NULL))
			return (-1);
		sink += out[0];
		return (0);
	case OP_H2C:
		if (bdhke_hash_to_curve(bd, secrets[j], 64, out) == -1)
			return (-1);
		sink += out[1];
		return (0);
	case OP_VERIFY:
		return (bdhke_verify(bd, k, secrets[j], 64, Cs[j]));
	case OP_SIGN_DLEQ:
		if (bdhke_sign_dleq(bd, k, K, Bs[j], C_, e, s) == -1)
			return (-1);
		sink += s[0];
		return (0);
	default:
		return (-1);
	}
}

/* Operations per second over one round of about secs seconds. */
static double
round_rate(enum op op, double secs)
{
	double		 start, t;
	unsigned long	 n = 0, batch;

	start = now();
	do {
		for (batch = 0; batch < 16; batch++, n++)
			if (run(op, n) == -1)
				errx(1, "%s failed", op_names[op]);
		t = now() - start;
	} while (t < secs);
	return (n / t);
}

static void
setup(void)
{
	uint8_t	 raw[32], r[32], B_[33], C_[33];
	size_t	 i;

	if ((bd = bdhke_new()) == NULL)
		errx(1, "bdhke_new");
	if (bdhke_random_scalar(bd, k) == -1 ||
	    bdhke_random_scalar(bd, tweak) == -1 ||
	    bdhke_random_scalar(bd, r) == -1)
		errx(1, "random scalar");
	if (!secp256k1_ec_pubkey_create(bdhke_secp(bd), &fixed_point, r))
		errx(1, "fixed point");
	if (bdhke_pubkey(bd, k, K) == -1)
		errx(1, "pubkey");
	/* Real proofs: 64 hex digits of secret, hashed as text. */
	for (i = 0; i < NSECRETS; i++) {
		arc4random_buf(raw, sizeof(raw));
		bdhke_tohex(secrets[i], raw, sizeof(raw));
		if (bdhke_random_scalar(bd, r) == -1 ||
		    bdhke_blind(bd, secrets[i], 64, r, B_) == -1 ||
		    bdhke_sign(bd, k, B_, C_) == -1)
			errx(1, "setup");
		memcpy(Bs[i], B_, 33);
		if (bdhke_unblind(bd, C_, r, K, Cs[i]) == -1 ||
		    bdhke_verify(bd, k, secrets[i], 64, Cs[i]) == -1)
			errx(1, "setup: the proofs do not verify");
	}
	explicit_bzero(r, sizeof(r));
}

static void
usage(void)
{
	fprintf(stderr, "usage: curve [-r rounds] [-m milliseconds]\n");
	exit(1);
}

int
main(int argc, char *argv[])
{
	const char	*errstr;
	double		 best[OP_MAX], rate, secs;
	int		 ch, rounds = 5, ms = 200, i, op;

	while ((ch = getopt(argc, argv, "m:r:")) != -1) {
		switch (ch) {
		case 'm':
			ms = strtonum(optarg, 10, 60000, &errstr);
			if (errstr != NULL)
				errx(1, "milliseconds %s: %s", errstr, optarg);
			break;
		case 'r':
			rounds = strtonum(optarg, 1, 1000, &errstr);
			if (errstr != NULL)
				errx(1, "rounds %s: %s", errstr, optarg);
			break;
		default:
			usage();
		}
	}
	if (argc != optind)
		usage();
	setup();
	secs = ms / 1000.0;
	for (op = 0; op < OP_MAX; op++)
		best[op] = 0;
	for (i = 0; i < rounds; i++) {
		for (op = 0; op < OP_MAX; op++) {
			rate = round_rate(op, secs);
			if (rate > best[op])
				best[op] = rate;
		}
	}
	printf("%-30s %12s %10s %12s\n", "operation", "ops/s", "us/op",
	    "raw mults");
	for (op = 0; op < OP_MAX; op++)
		printf("%-30s %12.0f %10.2f %12.2f\n", op_names[op], best[op],
		    1e6 / best[op], best[OP_TWEAK_MUL] / best[op]);
	printf("(best of %d rounds of %d ms each; \"raw mults\" = time of "
	    "one operation / time of one tweak_mul)\n", rounds, ms);
	bdhke_free(bd);
	return (0);
}
