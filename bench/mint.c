/*
 * bench/mint: NUT-03 swaps per second through the whole suite (HTTP/1.1
 * keep-alive, the proxy, mintd, ledgerd's durable commit) against the
 * raw libsecp256k1 work the same proofs need on one core, measured in
 * the same run, and their ratio.  bench/mint.sh starts the suite with a
 * local mint on fake Lightning and runs this.
 *
 *	obj/bench/mint [-c connections] [-d seconds] [-k proofs] [-m ms]
 *	    [-P suite-pid] [-r rounds] -p port -s control-socket
 *
 * A proof, the unit of the rate: one input verified (hash_to_curve and
 * k·Y compared with C) and one output signed with its DLEQ proof (k·B_,
 * then p·G and p·B_).  Each swap spends k proofs and asks for k outputs
 * of the same amounts, so "proofs/s" counts inputs, and outputs, per
 * second.  The raw rate is that work done by calling mintd's own bdhke
 * functions in a loop, single core: mintd is one process, so one core
 * is all the crypto it can ever use.
 *
 * The raw rate is taken twice: the best of short rounds before and after
 * the swaps (as bench/curve does), and by a child process sampling it
 * during the swaps, per second of its CPU time.  On a shared host a
 * core's speed drifts from second to second, and the hypervisor takes
 * part of its time for others (steal, in /proc/stat): the reference for
 * the ratio is the sampled rate with the stolen share of a core taken
 * off, that is what one core could do in those very seconds.  The ratio
 * against the other two is printed as well.  The CPU each process of
 * the suite used, and how long it waited for a CPU, say where the time
 * went.
 *
 * The ecash comes from "routstrctl mint token"; a first swap (not timed)
 * splits it into k proofs per connection.  Then each connection swaps
 * its k proofs for k new ones, whose unblinded signatures are its next
 * inputs: no proof is spent twice, and a proof unblinded wrong would
 * fail the next swap.  Every answer must be 200 with k signatures.
 *
 * The client must not be the bottleneck: secrets, blinding factors r,
 * B_ = Y + r·G and -r·K are made before the timing starts, so that
 * unblinding is one point addition (C = C_ + (-r·K)).  After the
 * timing, a sample of the signatures is checked in full (the DLEQ proof,
 * and bdhke_unblind() giving the same C), all the proofs then held are
 * swapped once more (the mint verifies every one of them), and a spent
 * proof is spent again, which must fail with code 11001.
 */

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <secp256k1.h>
#include <secp256k1_ecdh.h>

#include "bdhke.h"
#include "harness.h"
#include "ipc.h"
#include "mintd.h"
#include "token.h"

#define CONN_MAX	64
#define SLOTS_MAX	IPC_INPUTS_MAX	/* proofs held: one swap spends all */
#define AMOUNT_CYCLE	8		/* slot j holds 2^(j % 8) sat */
#define TOKEN_MAX	1000000		/* routstrctl's limit */
#define SAMPLE_EVERY	16		/* signatures checked in full */
#define RESP_MAX	(1024 * 1024)
#define PROCS_MAX	64
#define NSECRETS	64
#define SAMPLER_MS	40		/* a round of the raw sampler */
#define SAMPLER_GAP_MS	360		/* and the pause after it */

/* An output made before the timing: everything but the signature. */
struct blinded {
	uint64_t		 amount;
	char			 secret[65];
	uint8_t			 r[32];
	uint8_t			 B_[33];
	char			 B_hex[67];
	secp256k1_pubkey	 neg_rK;	/* -r·K: unblinding is an add */
};

/* A proof the bench holds. */
struct proof {
	uint64_t		 amount;
	char			 secret[65];
	uint8_t			 C[33];
};

/* A signature kept to be checked in full after the timing. */
struct sample {
	const struct blinded	*s_b;
	uint8_t			 s_C_[33], s_e[32], s_s[32], s_C[33];
};

struct conn {
	int			 fd;
	struct proof		*pool;		/* its k proofs */
	struct blinded		*set;		/* the outputs asked for */
	char			*out;
	size_t			 outlen, outoff;
	char			*in;
	size_t			 inlen;
	double			 sent;
	int			 busy;
};

/* CPU time of one process of the suite. */
struct proc_cpu {
	pid_t			 pc_pid;
	char			 pc_title[64];
	double			 pc_secs;
	double			 pc_wait;	/* runnable, waiting for a CPU */
	int			 pc_n;		/* processes of that title */
};

/* What the raw sampler measured while the swaps ran. */
struct raw_sample {
	unsigned long		 rs_ops;
	double			 rs_cpu;	/* its CPU seconds */
	int			 rs_rounds;
};

enum op {
	OP_TWEAK_MUL,
	OP_ECDH,
	OP_VERIFY,
	OP_SIGN_DLEQ,
	OP_PROOF,
	OP_MAX
};

static const char *op_names[OP_MAX] = {
	"point mult, variable time",
	"point mult, const-time (ecdh)",
	"verify (h2c + k*Y)",
	"sign + DLEQ",
	"one proof (verify + sign + DLEQ)",
};

static struct bdhke	*bd;
static const secp256k1_context *secp;
static int		 port;
static const char	*ctlsock;
static size_t		 nconn = 8, k = 8, nslots;
static pid_t		 suite;
static double		 best[OP_MAX];	/* raw ops/s, best idle round */

/* The proofs held, k a connection, and the first of them (spent). */
static struct proof	*pool, *spent;

static struct {
	pid_t			 pid;
	int			 stopfd, resfd;
	struct raw_sample	 rs;
} sampler;

/* The timed phase. */
static struct {
	double			 wall, cpu_client, checktime;
	uint64_t		 swaps, late;
	double			*lat;
	size_t			 nlat;
	int			 exhausted;
	struct proc_cpu		 before[PROCS_MAX], after[PROCS_MAX];
	size_t			 nbefore, nafter;
	double			 steal0, total0, steal;	/* of all CPUs */
} res;

/* The mint's active keyset, from GET /v1/keys. */
static char		 keyset_hex[KEYSET_ID_HEX];
static uint8_t		 mint_K[KEYSET_MAX_KEYS][33];
static secp256k1_pubkey	 mint_Kpk[KEYSET_MAX_KEYS];
static int		 mint_has[KEYSET_MAX_KEYS];

/* Outputs made in advance, handed out k at a time. */
static struct blinded	*outs;
static size_t		 nouts, nextout;

static struct sample	*samples;
static size_t		 nsamples, maxsamples;
static uint64_t		 nsigs;

/* The raw operations' fixtures. */
static uint8_t		 raw_k[32], raw_K[33], raw_tweak[32];
static secp256k1_pubkey	 raw_point;
static char		 raw_secrets[NSECRETS][65];
static uint8_t		 raw_C[NSECRETS][33], raw_B[NSECRETS][33];
static volatile int	 sink;

static double	 now(void);
static double	 cpu_self(void);
static double	 cpu_thread(void);
static int	 amount_index(uint64_t);
static uint64_t	 slot_amount(size_t);
static void	 raw_setup(void);
static int	 ecdh_copy(unsigned char *, const unsigned char *,
		    const unsigned char *, void *);
static int	 raw_run(enum op, unsigned long);
static double	 raw_round(enum op, double);
static void	 raw_rounds(int, double);
static void	 sampler_start(void);
static void	 sampler_main(int, int);
static void	 sampler_stop(void);
static int	 tcp_connect(void);
static ssize_t	 http_parse(const char *, size_t, int *, size_t *, size_t *);
static char	*http_call(const char *, const char *, const char *, int *);
static void	 get_keys(void);
static struct cashu_token *get_token(uint64_t);
static void	 make_outputs(size_t);
static struct blinded *take_set(size_t);
static char	*swap_body(const struct proof *, size_t,
		    const struct blinded *, size_t, size_t *);
static void	 take_signatures(const char *, size_t, const struct blinded *,
		    size_t, struct proof *, int);
static void	 swap_blocking(const struct proof *, size_t,
		    const struct blinded *, size_t, struct proof *);
static void	 conn_send(struct conn *, struct blinded *);
static int	 conn_read(struct conn *);
static void	 conn_write(struct conn *);
static size_t	 procs_cpu(pid_t, struct proc_cpu *, size_t);
static void	 cpu_steal(double *, double *);
static int	 dcmp(const void *, const void *);
static void	 setup_pool(void);
static void	 run_swaps(double);
static void	 checks(void);
static void	 report_cpu(double, double);
static void	 report(int, int);
static void	 usage(void) __attribute__((__noreturn__));

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

static double
cpu_self(void)
{
	struct rusage	 ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
}

static double
cpu_thread(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

static int
amount_index(uint64_t a)
{
	if (a == 0 || (a & (a - 1)) != 0)
		return (-1);
	return (__builtin_ctzll(a));
}

/* The amount of the j-th proof of a swap: a mix, as wallets have. */
static uint64_t
slot_amount(size_t j)
{
	return ((uint64_t)1 << (j % AMOUNT_CYCLE));
}

/*
 * The raw side: proofs made with a key of our own, then the mint's work
 * on them by the very functions mintd calls.
 */
static void
raw_setup(void)
{
	uint8_t	 raw[32], r[32], C_[33];
	size_t	 i;

	if (bdhke_random_scalar(bd, raw_k) == -1 ||
	    bdhke_random_scalar(bd, raw_tweak) == -1 ||
	    bdhke_random_scalar(bd, r) == -1 ||
	    bdhke_pubkey(bd, raw_k, raw_K) == -1 ||
	    !secp256k1_ec_pubkey_create(secp, &raw_point, r))
		errx(1, "raw setup");
	for (i = 0; i < NSECRETS; i++) {
		arc4random_buf(raw, sizeof(raw));
		bdhke_tohex(raw_secrets[i], raw, sizeof(raw));
		if (bdhke_random_scalar(bd, r) == -1 ||
		    bdhke_blind(bd, raw_secrets[i], 64, r, raw_B[i]) == -1 ||
		    bdhke_sign(bd, raw_k, raw_B[i], C_) == -1 ||
		    bdhke_unblind(bd, C_, r, raw_K, raw_C[i]) == -1 ||
		    bdhke_verify(bd, raw_k, raw_secrets[i], 64, raw_C[i]) == -1)
			errx(1, "raw setup: the proofs do not verify");
	}
	explicit_bzero(r, sizeof(r));
}

static int
ecdh_copy(unsigned char *out, const unsigned char *x, const unsigned char *y,
    void *arg)
{
	memcpy(out, x, 32);
	memcpy(out + 32, y, 32);
	return (1);
}

/* One raw operation: 0, or -1 if it failed. */
static int
raw_run(enum op op, unsigned long i)
{
	secp256k1_pubkey	 pk;
	uint8_t			 out[64], Y[33], C_[33], e[32], s[32];
	size_t			 j = i % NSECRETS;

	switch (op) {
	case OP_TWEAK_MUL:
		pk = raw_point;
		if (!secp256k1_ec_pubkey_tweak_mul(secp, &pk, raw_tweak))
			return (-1);
		sink += pk.data[0];
		return (0);
	case OP_ECDH:
		if (!secp256k1_ecdh(secp, out, &raw_point, raw_tweak,
		    ecdh_copy, NULL))
			return (-1);
		sink += out[0];
		return (0);
	case OP_VERIFY:
		return (bdhke_verify(bd, raw_k, raw_secrets[j], 64, raw_C[j]));
	case OP_SIGN_DLEQ:
		if (bdhke_sign_dleq(bd, raw_k, raw_K, raw_B[j], C_, e, s) == -1)
			return (-1);
		sink += s[0];
		return (0);
	case OP_PROOF:
		/* What mintd does per input and per output of a swap. */
		if (bdhke_hash_to_curve(bd, raw_secrets[j], 64, Y) == -1 ||
		    bdhke_verify_y(bd, raw_k, Y, raw_C[j]) == -1 ||
		    bdhke_point_check(bd, raw_B[j]) == -1 ||
		    bdhke_sign_dleq(bd, raw_k, raw_K, raw_B[j], C_, e, s) == -1)
			return (-1);
		sink += s[0];
		return (0);
	default:
		return (-1);
	}
}

/* Operations per second over one round of about secs seconds. */
static double
raw_round(enum op op, double secs)
{
	double		 start, t;
	unsigned long	 n = 0, batch;

	start = now();
	do {
		for (batch = 0; batch < 8; batch++, n++)
			if (raw_run(op, n) == -1)
				errx(1, "%s failed", op_names[op]);
		t = now() - start;
	} while (t < secs);
	return (n / t);
}

/*
 * Rounds of every operation in turn; the best round counts: on a shared
 * machine that is the least disturbed one.
 */
static void
raw_rounds(int rounds, double secs)
{
	double	 rate;
	int	 i, op;

	for (i = 0; i < rounds; i++)
		for (op = 0; op < OP_MAX; op++)
			if ((rate = raw_round(op, secs)) > best[op])
				best[op] = rate;
}

static int
tcp_connect(void)
{
	struct sockaddr_in	 sin;
	int			 fd, one = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		err(1, "socket");
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		err(1, "connect 127.0.0.1:%d", port);
	/* Requests go out whole: no Nagle delay on the next one. */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1)
		err(1, "TCP_NODELAY");
	return (fd);
}

/*
 * A whole response in buf[0..len)?  Its length with the status and the
 * body's place; 0 if more is needed; -1 if it is not HTTP/1.1 with a
 * Content-Length (what the proxy sends for the mint's answers).
 */
static ssize_t
http_parse(const char *buf, size_t len, int *status, size_t *boff,
    size_t *blen)
{
	const char	*end, *p, *eol;
	const char	*errstr;
	char		 num[24];
	size_t		 hlen, n;
	long long	 cl = -1;

	if ((end = memmem(buf, len, "\r\n\r\n", 4)) == NULL)
		return (len > 65536 ? -1 : 0);
	hlen = end + 4 - buf;
	if (hlen < 13 || strncmp(buf, "HTTP/1.1 ", 9) != 0 ||
	    !isdigit((unsigned char)buf[9]) ||
	    !isdigit((unsigned char)buf[10]) ||
	    !isdigit((unsigned char)buf[11]))
		return (-1);
	*status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + buf[11] - '0';
	for (p = (const char *)memchr(buf, '\n', hlen) + 1; p < end;
	    p = eol + 2) {
		eol = memmem(p, end + 2 - p, "\r\n", 2);
		if (strncasecmp(p, "Content-Length:", 15) == 0) {
			p += 15;
			while (*p == ' ')
				p++;
			if ((n = eol - p) == 0 || n >= sizeof(num))
				return (-1);
			memcpy(num, p, n);
			num[n] = '\0';
			cl = strtonum(num, 0, RESP_MAX, &errstr);
			if (errstr != NULL)
				return (-1);
		}
	}
	if (cl < 0)
		return (-1);
	if (len < hlen + cl)
		return (0);
	*boff = hlen;
	*blen = cl;
	return (hlen + cl);
}

/* One request on a connection of its own; the body, NUL-terminated. */
static char *
http_call(const char *method, const char *path, const char *body,
    int *status)
{
	char		*buf, *resp, head[256];
	size_t		 len = 0, bodylen = body ? strlen(body) : 0, boff, blen;
	ssize_t		 n, whole;
	int		 fd, hl;

	fd = tcp_connect();
	hl = snprintf(head, sizeof(head), "%s %s HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\n\r\n", method, path, port, bodylen);
	if (hl < 0 || (size_t)hl >= sizeof(head))
		errx(1, "request head");
	if (write(fd, head, hl) != hl ||
	    (bodylen > 0 && write(fd, body, bodylen) != (ssize_t)bodylen))
		err(1, "write");
	if ((buf = malloc(RESP_MAX)) == NULL)
		err(1, NULL);
	for (;;) {
		if ((n = read(fd, buf + len, RESP_MAX - len)) == -1)
			err(1, "read");
		if (n == 0)
			errx(1, "%s %s: the connection closed", method, path);
		len += n;
		if ((whole = http_parse(buf, len, status, &boff, &blen)) ==
		    -1)
			errx(1, "%s %s: a malformed response", method, path);
		if (whole > 0)
			break;
	}
	close(fd);
	if ((resp = malloc(blen + 1)) == NULL)
		err(1, NULL);
	memcpy(resp, buf + boff, blen);
	resp[blen] = '\0';
	free(buf);
	return (resp);
}

/* The active keyset's id and keys. */
static void
get_keys(void)
{
	json_error_t	 jerr;
	json_t		*j, *ks, *keys, *v;
	const char	*amount, *id, *unit;
	char		*body, *end;
	unsigned long long a;
	int		 status, i;

	body = http_call("GET", "/v1/keys", NULL, &status);
	if (status != 200 || (j = json_loads(body, 0, &jerr)) == NULL)
		errx(1, "GET /v1/keys: %d %s", status, body);
	ks = json_array_get(json_object_get(j, "keysets"), 0);
	id = json_string_value(json_object_get(ks, "id"));
	keys = json_object_get(ks, "keys");
	unit = json_string_value(json_object_get(ks, "unit"));
	if (id == NULL || strlen(id) >= sizeof(keyset_hex) || keys == NULL ||
	    unit == NULL || strcmp(unit, "sat") != 0)
		errx(1, "GET /v1/keys: no sat keyset");
	strlcpy(keyset_hex, id, sizeof(keyset_hex));
	json_object_foreach(keys, amount, v) {
		/* 2^63 is beyond strtonum(). */
		errno = 0;
		a = strtoull(amount, &end, 10);
		if (errno != 0 || end == amount || *end != '\0' ||
		    (i = amount_index(a)) == -1 ||
		    !json_is_string(v) ||
		    bdhke_fromhex(mint_K[i], 33, json_string_value(v)) == -1 ||
		    !secp256k1_ec_pubkey_parse(secp, &mint_Kpk[i], mint_K[i],
		    33))
			errx(1, "GET /v1/keys: a bad key for %s", amount);
		mint_has[i] = 1;
	}
	for (i = 0; i < AMOUNT_CYCLE; i++)
		if (!mint_has[i])
			errx(1, "GET /v1/keys: no key for %d", 1 << i);
	json_decref(j);
	free(body);
}

/* amount sat of test ecash from the fake-Lightning mint. */
static struct cashu_token *
get_token(uint64_t amount)
{
	struct cashu_token	*tok;
	FILE			*fp;
	char			 cmd[PATH_MAX + 128], why[128];
	char			*line = NULL;
	size_t			 cap = 0;
	ssize_t			 n;

	snprintf(cmd, sizeof(cmd), "'%s/routstrctl/routstrctl' -s '%s' "
	    "mint token %llu", harness_top(), ctlsock,
	    (unsigned long long)amount);
	if ((fp = popen(cmd, "r")) == NULL)
		err(1, "popen");
	n = getline(&line, &cap, fp);
	if (pclose(fp) != 0 || n <= 0)
		errx(1, "routstrctl mint token %llu failed",
		    (unsigned long long)amount);
	line[strcspn(line, "\r\n")] = '\0';
	if (token_decode(line, strlen(line), &tok, why, sizeof(why)) == -1)
		errx(1, "the test token: %s", why);
	freezero(line, cap);
	if (tok->amount != amount)
		errx(1, "the test token has %llu sat, not %llu",
		    (unsigned long long)tok->amount,
		    (unsigned long long)amount);
	return (tok);
}

/*
 * n outputs in sets of k, amounts by slot.  Wallet work: B_ = Y + r·G
 * by bdhke_blind(), and r·K for the unblinding to come.
 */
static void
make_outputs(size_t n)
{
	struct blinded	*b;
	uint8_t		 raw[32];
	size_t		 i;
	int		 ai;

	if ((outs = calloc(n, sizeof(*outs))) == NULL)
		err(1, NULL);
	nouts = n;
	for (i = 0; i < n; i++) {
		b = &outs[i];
		b->amount = slot_amount(i % k);
		ai = amount_index(b->amount);
		arc4random_buf(raw, sizeof(raw));
		bdhke_tohex(b->secret, raw, sizeof(raw));
		if (bdhke_random_scalar(bd, b->r) == -1 ||
		    bdhke_blind(bd, b->secret, 64, b->r, b->B_) == -1)
			errx(1, "blinding");
		bdhke_tohex(b->B_hex, b->B_, 33);
		b->neg_rK = mint_Kpk[ai];
		/* Variable time will do: these r guard no one's privacy. */
		if (!secp256k1_ec_pubkey_tweak_mul(secp, &b->neg_rK, b->r) ||
		    !secp256k1_ec_pubkey_negate(secp, &b->neg_rK))
			errx(1, "r*K");
	}
}

/* The next k outputs, or NULL when all are used. */
static struct blinded *
take_set(size_t n)
{
	struct blinded	*b;

	if (nextout + n > nouts)
		return (NULL);
	b = &outs[nextout];
	nextout += n;
	return (b);
}

/* {"inputs": [Proof], "outputs": [BlindedMessage]} */
static char *
swap_body(const struct proof *in, size_t nin, const struct blinded *out,
    size_t nout, size_t *lenp)
{
	char	*buf, *p, C[67];
	size_t	 cap = 64 + nin * 320 + nout * 200, i;
	int	 n;

	if ((buf = malloc(cap)) == NULL)
		err(1, NULL);
	p = buf;
#define APPEND(...) do {						\
	n = snprintf(p, cap - (p - buf), __VA_ARGS__);			\
	if (n < 0 || (size_t)n >= cap - (p - buf))			\
		errx(1, "swap body too long");				\
	p += n;								\
} while (0)
	APPEND("{\"inputs\":[");
	for (i = 0; i < nin; i++) {
		bdhke_tohex(C, in[i].C, 33);
		APPEND("%s{\"amount\":%llu,\"id\":\"%s\",\"secret\":\"%s\","
		    "\"C\":\"%s\"}", i ? "," : "",
		    (unsigned long long)in[i].amount, keyset_hex,
		    in[i].secret, C);
	}
	APPEND("],\"outputs\":[");
	for (i = 0; i < nout; i++)
		APPEND("%s{\"amount\":%llu,\"id\":\"%s\",\"B_\":\"%s\"}",
		    i ? "," : "", (unsigned long long)out[i].amount,
		    keyset_hex, out[i].B_hex);
	APPEND("]}");
#undef APPEND
	*lenp = p - buf;
	return (buf);
}

/*
 * The signatures of a 200 answer: C = C_ + (-r·K) into the new proofs;
 * with sample set, every SAMPLE_EVERY-th is kept for the full check.
 */
static void
take_signatures(const char *body, size_t len, const struct blinded *out,
    size_t n, struct proof *newp, int sample)
{
	json_error_t		 jerr;
	json_t			*j, *sigs, *sg, *dleq;
	secp256k1_pubkey	 Cp, sum;
	const secp256k1_pubkey	*pts[2];
	struct sample		*s;
	uint8_t			 C_[33];
	size_t			 i, clen;

	if ((j = json_loadb(body, len, 0, &jerr)) == NULL ||
	    (sigs = json_object_get(j, "signatures")) == NULL ||
	    json_array_size(sigs) != n)
		errx(1, "swap: not %zu signatures: %.*s", n, (int)len, body);
	json_array_foreach(sigs, i, sg) {
		if ((uint64_t)json_integer_value(json_object_get(sg,
		    "amount")) != out[i].amount ||
		    !json_is_string(json_object_get(sg, "id")) ||
		    strcmp(json_string_value(json_object_get(sg, "id")),
		    keyset_hex) != 0 ||
		    !json_is_string(json_object_get(sg, "C_")) ||
		    bdhke_fromhex(C_, 33, json_string_value(json_object_get(sg,
		    "C_"))) == -1 ||
		    !json_is_object(dleq = json_object_get(sg, "dleq")))
			errx(1, "swap: a bad signature: %.*s", (int)len, body);
		if (!secp256k1_ec_pubkey_parse(secp, &Cp, C_, 33))
			errx(1, "swap: C_ is not a point");
		pts[0] = &Cp;
		pts[1] = &out[i].neg_rK;
		clen = 33;
		if (!secp256k1_ec_pubkey_combine(secp, &sum, pts, 2) ||
		    !secp256k1_ec_pubkey_serialize(secp, newp[i].C, &clen, &sum,
		    SECP256K1_EC_COMPRESSED))
			errx(1, "swap: cannot unblind");
		newp[i].amount = out[i].amount;
		memcpy(newp[i].secret, out[i].secret, sizeof(newp[i].secret));
		if (sample && nsigs++ % SAMPLE_EVERY == 0 &&
		    nsamples < maxsamples) {
			s = &samples[nsamples++];
			s->s_b = &out[i];
			memcpy(s->s_C_, C_, 33);
			memcpy(s->s_C, newp[i].C, 33);
			if (!json_is_string(json_object_get(dleq, "e")) ||
			    !json_is_string(json_object_get(dleq, "s")) ||
			    bdhke_fromhex(s->s_e, 32, json_string_value(
			    json_object_get(dleq, "e"))) == -1 ||
			    bdhke_fromhex(s->s_s, 32, json_string_value(
			    json_object_get(dleq, "s"))) == -1)
				errx(1, "swap: a signature without DLEQ");
		}
	}
	json_decref(j);
}

/* One swap, not timed: in for out, the new proofs into newp. */
static void
swap_blocking(const struct proof *in, size_t nin, const struct blinded *out,
    size_t nout, struct proof *newp)
{
	char	*body, *resp;
	size_t	 len;
	int	 status;

	body = swap_body(in, nin, out, nout, &len);
	resp = http_call("POST", "/v1/swap", body, &status);
	if (status != 200)
		errx(1, "POST /v1/swap: %d %s", status, resp);
	take_signatures(resp, strlen(resp), out, nout, newp, 0);
	freezero(body, len);
	free(resp);
}

/* The next swap of a connection: its proofs for the outputs in set. */
static void
conn_send(struct conn *c, struct blinded *set)
{
	char	 head[256], *body;
	size_t	 blen;
	int	 hl;

	body = swap_body(c->pool, k, set, k, &blen);
	hl = snprintf(head, sizeof(head), "POST /v1/swap HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\n\r\n", port, blen);
	if (hl < 0 || (size_t)hl >= sizeof(head))
		errx(1, "request head");
	free(c->out);
	if ((c->out = malloc(hl + blen)) == NULL)
		err(1, NULL);
	memcpy(c->out, head, hl);
	memcpy(c->out + hl, body, blen);
	freezero(body, blen);
	c->outlen = hl + blen;
	c->outoff = 0;
	c->set = set;
	c->busy = 1;
	c->inlen = 0;
	c->sent = now();
	conn_write(c);
}

static void
conn_write(struct conn *c)
{
	ssize_t	 n;

	while (c->outoff < c->outlen) {
		n = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			err(1, "write");
		}
		c->outoff += n;
	}
}

/* 1 when the answer is whole and taken, 0 if more is to come. */
static int
conn_read(struct conn *c)
{
	ssize_t	 n, whole;
	size_t	 boff, blen;
	int	 status;

	n = read(c->fd, c->in + c->inlen, RESP_MAX - c->inlen);
	if (n == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return (0);
		err(1, "read");
	}
	if (n == 0)
		errx(1, "the proxy closed a connection during a swap");
	c->inlen += n;
	if ((whole = http_parse(c->in, c->inlen, &status, &boff, &blen)) == -1)
		errx(1, "a malformed response");
	if (whole == 0)
		return (0);
	if ((size_t)whole != c->inlen)
		errx(1, "bytes after the response");
	if (status != 200)
		errx(1, "POST /v1/swap: %d %.*s", status, (int)blen,
		    c->in + boff);
	take_signatures(c->in + boff, blen, c->set, k, c->pool, 1);
	c->busy = 0;
	return (1);
}

/*
 * CPU seconds of the suite's processes (pid and its children), from
 * /proc; their titles say who is who.
 */
static size_t
procs_cpu(pid_t top, struct proc_cpu *pc, size_t max)
{
	DIR			*d;
	struct dirent		*de;
	FILE			*fp;
	char			 path[64], buf[1024], *p;
	const char		*errstr;
	unsigned long long	 ut, st, run, delay;
	size_t			 n = 0, len, i;
	pid_t			 pid;
	int			 ppid, fd;
	ssize_t			 r;

	if ((d = opendir("/proc")) == NULL)
		return (0);
	while ((de = readdir(d)) != NULL && n < max) {
		pid = strtonum(de->d_name, 1, INT_MAX, &errstr);
		if (errstr != NULL)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		if ((fp = fopen(path, "r")) == NULL)
			continue;
		len = fread(buf, 1, sizeof(buf) - 1, fp);
		fclose(fp);
		buf[len] = '\0';
		/* After the command's ")": state ppid ... utime stime */
		if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 2,
		    "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
		    &ppid, &ut, &st) != 3)
			continue;
		if (pid != top && ppid != top)
			continue;
		pc[n].pc_pid = pid;
		pc[n].pc_secs = (double)(ut + st) / sysconf(_SC_CLK_TCK);
		pc[n].pc_wait = 0;
		/* In ns, where there are scheduler statistics. */
		snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
		if ((fp = fopen(path, "r")) != NULL) {
			if (fscanf(fp, "%llu %llu", &run, &delay) == 2) {
				pc[n].pc_secs = run / 1e9;
				pc[n].pc_wait = delay / 1e9;
			}
			fclose(fp);
		}
		snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
		pc[n].pc_title[0] = '\0';
		if ((fd = open(path, O_RDONLY)) != -1) {
			r = read(fd, pc[n].pc_title,
			    sizeof(pc[n].pc_title) - 1);
			close(fd);
			if (r < 0)
				r = 0;
			pc[n].pc_title[r] = '\0';
			for (i = 0; i < (size_t)r; i++)
				if (pc[n].pc_title[i] == '\0')
					pc[n].pc_title[i] = ' ';
			while (r > 0 && pc[n].pc_title[r - 1] == ' ')
				pc[n].pc_title[--r] = '\0';
		}
		/* "routstrd: proxy 1" and "routstrd: proxy 0" are one. */
		len = strlen(pc[n].pc_title);
		while (len > 0 && isdigit((unsigned char)
		    pc[n].pc_title[len - 1]))
			len--;
		if (len > 0 && len < strlen(pc[n].pc_title) &&
		    pc[n].pc_title[len - 1] == ' ')
			pc[n].pc_title[len - 1] = '\0';
		if (pid == top)
			strlcpy(pc[n].pc_title, "routstrd: parent",
			    sizeof(pc[n].pc_title));
		n++;
	}
	closedir(d);
	return (n);
}

/*
 * The ticks of all CPUs, and of them those the hypervisor took for
 * others (steal): on a shared host a core gives only the rest.
 */
static void
cpu_steal(double *steal, double *total)
{
	FILE			*fp;
	unsigned long long	 v[8];
	int			 i;

	*steal = *total = 0;
	if ((fp = fopen("/proc/stat", "r")) == NULL)
		return;
	if (fscanf(fp, "cpu %llu %llu %llu %llu %llu %llu %llu %llu",
	    &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) == 8) {
		for (i = 0; i < 8; i++)
			*total += v[i];
		*steal = v[7];
	}
	fclose(fp);
}

static int
dcmp(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return (x < y ? -1 : x > y);
}

/*
 * The raw rate while the swaps run: a child process that does mintd's
 * work for one proof in a loop for SAMPLER_MS every SAMPLER_GAP_MS, on
 * the core mintd leaves, and counts the operations per second of its
 * own CPU time.  The speed of this machine's cores drifts by a third
 * from second to second (a shared host), so a rate taken in the same
 * seconds is the fair reference; its duty cycle is small enough to
 * leave the suite the CPU it uses.
 */
static void
sampler_start(void)
{
	int	 stop[2], ans[2];

	if (pipe(stop) == -1 || pipe(ans) == -1)
		err(1, "pipe");
	switch (sampler.pid = fork()) {
	case -1:
		err(1, "fork");
	case 0:
		close(stop[1]);
		close(ans[0]);
		sampler_main(stop[0], ans[1]);
		_exit(0);
	default:
		close(stop[0]);
		close(ans[1]);
		sampler.stopfd = stop[1];
		sampler.resfd = ans[0];
	}
}

static void
sampler_main(int stopfd, int resfd)
{
	struct pollfd	 pfd;
	struct raw_sample rs;
	double		 t0, c0;
	unsigned long	 n = 0;
	int		 i;

	memset(&rs, 0, sizeof(rs));
	pfd.fd = stopfd;
	pfd.events = POLLIN;
	for (;;) {
		t0 = now();
		c0 = cpu_thread();
		do {
			for (i = 0; i < 4; i++, n++)
				if (raw_run(OP_PROOF, n) == -1)
					_exit(1);
		} while (now() - t0 < SAMPLER_MS / 1000.0);
		rs.rs_cpu += cpu_thread() - c0;
		rs.rs_rounds++;
		rs.rs_ops = n;
		/* The parent closes its end: time to answer. */
		if (poll(&pfd, 1, SAMPLER_GAP_MS) != 0)
			break;
	}
	if (write(resfd, &rs, sizeof(rs)) != sizeof(rs))
		_exit(1);
}

static void
sampler_stop(void)
{
	int	 status;

	close(sampler.stopfd);
	if (read(sampler.resfd, &sampler.rs, sizeof(sampler.rs)) !=
	    sizeof(sampler.rs))
		errx(1, "the raw sampler did not answer");
	close(sampler.resfd);
	if (waitpid(sampler.pid, &status, 0) == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		errx(1, "the raw sampler failed");
}

/* The ecash: a test token split by a swap into k proofs a connection. */
static void
setup_pool(void)
{
	struct cashu_token	*tok;
	struct cashu_proof	*cp;
	struct proof		*tin;
	struct blinded		*set;
	uint64_t		 need = 0;
	size_t			 g, i, n = 0;

	for (i = 0; i < nslots; i++)
		need += slot_amount(i % k);
	if (need > TOKEN_MAX)
		errx(1, "%llu sat needed, more than a test token can have",
		    (unsigned long long)need);
	tok = get_token(need);
	if ((tin = calloc(tok->nproofs, sizeof(*tin))) == NULL ||
	    (pool = calloc(nslots, sizeof(*pool))) == NULL ||
	    (spent = calloc(nslots, sizeof(*spent))) == NULL)
		err(1, NULL);
	for (g = 0; g < tok->ngroups; g++)
		for (i = 0; i < tok->groups[g].nproofs; i++) {
			cp = &tok->groups[g].proofs[i];
			if (strlcpy(tin[n].secret, cp->secret,
			    sizeof(tin[n].secret)) >= sizeof(tin[n].secret))
				errx(1, "the token's secrets are unusual");
			tin[n].amount = cp->amount;
			memcpy(tin[n].C, cp->C, 33);
			n++;
		}
	token_free(tok);
	if ((set = take_set(nslots)) == NULL)
		errx(1, "outputs");
	swap_blocking(tin, n, set, nslots, pool);
	freezero(tin, n * sizeof(*tin));
	/* The inputs of the first timed swaps: spent after them. */
	memcpy(spent, pool, nslots * sizeof(*pool));
}

/* The timed swaps: every connection busy for secs seconds. */
static void
run_swaps(double secs)
{
	struct conn	 conns[CONN_MAX];
	struct pollfd	 pfd[CONN_MAX];
	struct blinded	*set;
	double		 t0, t, cpu0 = 0;
	size_t		 i, latcap = 0;
	int		 busy, stopping = 0, timeout, n;

	for (i = 0; i < nconn; i++) {
		memset(&conns[i], 0, sizeof(conns[i]));
		conns[i].fd = tcp_connect();
		if (fcntl(conns[i].fd, F_SETFL, O_NONBLOCK) == -1)
			err(1, "fcntl");
		conns[i].pool = &pool[i * k];
		if ((conns[i].in = malloc(RESP_MAX)) == NULL)
			err(1, NULL);
		pfd[i].fd = conns[i].fd;
	}
	sampler_start();
	if (suite)
		res.nbefore = procs_cpu(suite, res.before, PROCS_MAX);
	cpu_steal(&res.steal0, &res.total0);
	cpu0 = cpu_self();
	t0 = now();
	for (i = 0; i < nconn; i++)
		conn_send(&conns[i], take_set(k));
	for (;;) {
		busy = 0;
		for (i = 0; i < nconn; i++) {
			pfd[i].events = POLLIN;
			if (conns[i].outoff < conns[i].outlen)
				pfd[i].events |= POLLOUT;
			busy += conns[i].busy;
		}
		if (busy == 0)
			break;
		timeout = 10000;
		if (!stopping && (timeout = (t0 + secs - now()) * 1000 + 1) < 0)
			timeout = 0;
		if ((n = poll(pfd, nconn, timeout)) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "poll");
		}
		if (n == 0 && stopping)
			errx(1, "no answer to a swap in 10 s");
		if (!stopping && now() >= t0 + secs)
			stopping = 1;
		for (i = 0; i < nconn; i++) {
			if (pfd[i].revents & (POLLERR | POLLNVAL))
				errx(1, "a connection failed");
			if (pfd[i].revents & POLLOUT)
				conn_write(&conns[i]);
			if ((pfd[i].revents & (POLLIN | POLLHUP)) == 0 ||
			    !conn_read(&conns[i]))
				continue;
			t = now();
			if (stopping) {
				res.late++;
				continue;
			}
			res.swaps++;
			if (res.nlat == latcap) {
				latcap = latcap ? 2 * latcap : 4096;
				if ((res.lat = reallocarray(res.lat, latcap,
				    sizeof(*res.lat))) == NULL)
					err(1, NULL);
			}
			res.lat[res.nlat++] = t - conns[i].sent;
			if ((set = take_set(k)) != NULL)
				conn_send(&conns[i], set);
			else {
				/* Out of outputs: the timing ends now. */
				res.exhausted = 1;
				stopping = 1;
			}
		}
		/* The end of the timing, once: the CPU used until now. */
		if (stopping && res.wall == 0) {
			double	 st, tot;

			res.wall = now() - t0;
			cpu_steal(&st, &tot);
			if (tot > res.total0)
				res.steal = (st - res.steal0) /
				    (tot - res.total0);
			res.cpu_client = cpu_self() - cpu0;
			if (suite)
				res.nafter = procs_cpu(suite, res.after,
				    PROCS_MAX);
			sampler_stop();
		}
	}
	for (i = 0; i < nconn; i++) {
		close(conns[i].fd);
		free(conns[i].in);
		free(conns[i].out);
	}
}

/*
 * After the timing: a sample of the signatures in full, all the proofs
 * held swapped once more, and a double spend.
 */
static void
checks(void)
{
	struct proof	*fresh;
	struct blinded	*set;
	const struct sample *s;
	char		*body, *resp, code[32];
	uint8_t		 C[33];
	size_t		 i, len;
	double		 t;
	int		 ai, status;

	t = now();
	for (i = 0; i < nsamples; i++) {
		s = &samples[i];
		ai = amount_index(s->s_b->amount);
		if (bdhke_dleq_verify(bd, mint_K[ai], s->s_b->B_, s->s_C_,
		    s->s_e, s->s_s) == -1)
			errx(1, "a DLEQ proof does not verify");
		if (bdhke_unblind(bd, s->s_C_, s->s_b->r, mint_K[ai], C) ==
		    -1 || memcmp(C, s->s_C, 33) != 0)
			errx(1, "bdhke_unblind disagrees with the bench");
	}
	res.checktime = now() - t;
	/* Every proof held now is good: the mint verifies them all. */
	if ((set = take_set(nslots)) == NULL)
		errx(1, "outputs");
	if ((fresh = calloc(nslots, sizeof(*fresh))) == NULL)
		err(1, NULL);
	swap_blocking(pool, nslots, set, nslots, fresh);
	freezero(fresh, nslots * sizeof(*fresh));
	/* The first timed swaps' inputs are spent: refused again. */
	if ((set = take_set(k)) == NULL)
		errx(1, "outputs");
	body = swap_body(spent, k, set, k, &len);
	resp = http_call("POST", "/v1/swap", body, &status);
	snprintf(code, sizeof(code), "\"code\":%d", E_SPENT);
	if (status != 400 || strstr(resp, code) == NULL)
		errx(1, "a double spend was not refused: %d %s", status, resp);
	freezero(body, len);
	free(resp);
}

/* CPU per proof of each kind of process in the timed phase. */
static void
report_cpu(double proofs, double rawus)
{
	struct proc_cpu	 byname[PROCS_MAX];
	char		 name[80];
	double		 d, w, total = 0;
	size_t		 i, j, g, nnames = 0;

	printf("CPU in the timed phase (the raw crypto: %.0f us a proof):\n",
	    rawus);
	printf("  %-36s %11s %13s %13s\n", "", "us a proof", "% of a core",
	    "% waiting");
	for (i = 0; i < res.nafter; i++) {
		d = res.after[i].pc_secs;
		w = res.after[i].pc_wait;
		for (j = 0; j < res.nbefore; j++)
			if (res.before[j].pc_pid == res.after[i].pc_pid) {
				d -= res.before[j].pc_secs;
				w -= res.before[j].pc_wait;
			}
		for (g = 0; g < nnames; g++)
			if (strcmp(byname[g].pc_title,
			    res.after[i].pc_title) == 0)
				break;
		if (g == nnames) {
			byname[nnames] = res.after[i];
			byname[nnames].pc_secs = 0;
			byname[nnames].pc_wait = 0;
			byname[nnames].pc_n = 0;
			nnames++;
		}
		byname[g].pc_secs += d;
		byname[g].pc_wait += w;
		byname[g].pc_n++;
	}
	for (g = 0; g < nnames; g++) {
		if (byname[g].pc_n > 1) {
			snprintf(name, sizeof(name), "%s (x%d)",
			    byname[g].pc_title, byname[g].pc_n);
			strlcpy(byname[g].pc_title, name,
			    sizeof(byname[g].pc_title));
		}
		printf("  %-36s %11.0f %13.0f %13.0f\n",
		    byname[g].pc_title, byname[g].pc_secs * 1e6 / proofs,
		    100 * byname[g].pc_secs / res.wall,
		    100 * byname[g].pc_wait / res.wall);
		total += byname[g].pc_secs;
	}
	printf("  %-36s %11.0f %13.0f\n", "bench client",
	    res.cpu_client * 1e6 / proofs, 100 * res.cpu_client / res.wall);
	total += res.cpu_client;
	printf("  %-36s %11.0f %13.0f\n", "bench raw sampler",
	    sampler.rs.rs_cpu * 1e6 / proofs,
	    100 * sampler.rs.rs_cpu / res.wall);
	total += sampler.rs.rs_cpu;
	printf("  %-36s %11.0f %13.0f   of %ld cores; %.0f%% of all CPU "
	    "time stolen by the host\n", "all", total * 1e6 / proofs,
	    100 * total / res.wall, sysconf(_SC_NPROCESSORS_ONLN),
	    100 * res.steal);
}

static void
report(int rounds, int ms)
{
	double	 proofs = res.swaps * k, rate, during, core;
	char	 label[64];
	size_t	 i;

	if (res.swaps == 0)
		errx(1, "no swap in the timed phase");
	rate = proofs / res.wall;
	/*
	 * The sampler's rate is per second of its CPU time, which does not
	 * count the time the host took; a core gives the guest the rest.
	 */
	during = sampler.rs.rs_ops / sampler.rs.rs_cpu;
	core = during * (1 - res.steal);
	qsort(res.lat, res.nlat, sizeof(*res.lat), dcmp);
	printf("NUT-03 swaps over HTTP/1.1 keep-alive to the whole suite, "
	    "127.0.0.1, %ld cores:\n", sysconf(_SC_NPROCESSORS_ONLN));
	printf("  %zu connections, %zu proofs in and %zu out a swap, "
	    "%.1f s%s\n", nconn, k, k, res.wall, res.exhausted ?
	    " (ran out of the outputs made in advance)" : "");
	printf("  swaps:         %10.0f swaps/s   p50 %.1f ms  p99 %.1f ms\n",
	    res.swaps / res.wall, res.lat[res.nlat / 2] * 1e3,
	    res.lat[(size_t)(res.nlat * 0.99)] * 1e3);
	printf("  mint:          %10.0f proofs/s  (%llu swaps; a proof: an "
	    "input verified and an output signed with DLEQ)\n", rate,
	    (unsigned long long)res.swaps);
	printf("raw libsecp256k1: mintd's bdhke functions in a loop, "
	    "in this process, one core:\n");
	snprintf(label, sizeof(label), "best of %d rounds of %d ms, idle",
	    rounds, ms);
	printf("  %-40s %8s %8s %8s\n", label, "ops/s", "us/op",
	    "ct mults");
	for (i = 0; i < OP_MAX; i++)
		printf("  %-40s %8.0f %8.1f %8.2f\n", op_names[i], best[i],
		    1e6 / best[i], best[OP_ECDH] / best[i]);
	printf("  %-40s %8.0f %8.1f  (%d rounds of %d ms)\n",
	    "one proof, during the swaps, CPU time", during, 1e6 / during,
	    sampler.rs.rs_rounds, SAMPLER_MS);
	printf("  %-40s %8.0f %8.1f  (%.0f%% of the CPU time stolen by "
	    "the host)\n", "the same, a second of a core, steal off", core,
	    1e6 / core, 100 * res.steal);
	printf("mint/raw ratio: %.2f  (mint proofs/s / raw proofs/s of one "
	    "core in the same seconds; goal >= 0.50)\n", rate / core);
	printf("  against: the raw CPU-time rate %.2f, the best idle round "
	    "%.2f\n", rate / during, rate / best[OP_PROOF]);
	if (suite && res.nafter > 0)
		report_cpu(proofs, 1e6 / during);
	printf("checks: every answer 200 with %zu signatures; %zu of them "
	    "checked in full (DLEQ, bdhke_unblind, %.2f s); the %zu proofs "
	    "held at the end swapped once more; a double spend refused "
	    "(11001); %llu swaps answered after the timing, not counted\n",
	    k, nsamples, res.checktime, nslots,
	    (unsigned long long)res.late);
}

static void
usage(void)
{
	fprintf(stderr, "usage: mint [-c connections] [-d seconds] "
	    "[-k proofs] [-m ms] [-P suite-pid]\n"
	    "\t[-r rounds] -p port -s control-socket\n");
	exit(1);
}

int
main(int argc, char *argv[])
{
	const char	*errstr;
	double		 secs = 10, t, cpu0;
	size_t		 i;
	int		 ch, rounds = 6, ms = 200;

	while ((ch = getopt(argc, argv, "c:d:k:m:P:p:r:s:")) != -1) {
		switch (ch) {
		case 'c':
			nconn = strtonum(optarg, 1, CONN_MAX, &errstr);
			if (errstr != NULL)
				errx(1, "connections %s: %s", errstr, optarg);
			break;
		case 'd':
			secs = strtonum(optarg, 1, 3600, &errstr);
			if (errstr != NULL)
				errx(1, "seconds %s: %s", errstr, optarg);
			break;
		case 'k':
			k = strtonum(optarg, 1, IPC_INPUTS_MAX, &errstr);
			if (errstr != NULL)
				errx(1, "proofs %s: %s", errstr, optarg);
			break;
		case 'm':
			ms = strtonum(optarg, 10, 60000, &errstr);
			if (errstr != NULL)
				errx(1, "milliseconds %s: %s", errstr, optarg);
			break;
		case 'P':
			suite = strtonum(optarg, 1, INT_MAX, &errstr);
			if (errstr != NULL)
				errx(1, "pid %s: %s", errstr, optarg);
			break;
		case 'p':
			port = strtonum(optarg, 1, 65535, &errstr);
			if (errstr != NULL)
				errx(1, "port %s: %s", errstr, optarg);
			break;
		case 'r':
			rounds = strtonum(optarg, 1, 1000, &errstr);
			if (errstr != NULL)
				errx(1, "rounds %s: %s", errstr, optarg);
			break;
		case 's':
			ctlsock = optarg;
			break;
		default:
			usage();
		}
	}
	if (argc != optind || port == 0 || ctlsock == NULL)
		usage();
	if ((nslots = nconn * k) > SLOTS_MAX)
		errx(1, "connections x proofs is at most %d", SLOTS_MAX);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((bd = bdhke_new()) == NULL)
		errx(1, "bdhke_new");
	secp = bdhke_secp(bd);

	/* The raw rates when idle: half the rounds now, half at the end. */
	raw_setup();
	for (i = 0; i < OP_MAX; i++)
		best[i] = 0;
	raw_rounds((rounds + 1) / 2, ms / 1000.0);

	/*
	 * Outputs for the split, the timed swaps, the final swap and the
	 * double spend.  One process cannot go faster than the raw rate,
	 * so that with a margin bounds the timed swaps.
	 */
	get_keys();
	t = now();
	cpu0 = cpu_self();
	make_outputs(((size_t)(best[OP_PROOF] * 1.25 * secs / k) +
	    3 * nconn + 1) * k);
	printf("client: %zu outputs blinded (bdhke_blind) and r*K made in "
	    "advance: %.1f s, %.1f s of CPU, not timed\n", nouts, now() - t,
	    cpu_self() - cpu0);
	maxsamples = nouts / SAMPLE_EVERY + 1;
	if ((samples = calloc(maxsamples, sizeof(*samples))) == NULL)
		err(1, NULL);

	setup_pool();
	run_swaps(secs);
	raw_rounds(rounds / 2, ms / 1000.0);
	checks();
	report(rounds, ms);

	free(res.lat);
	freezero(pool, nslots * sizeof(*pool));
	freezero(spent, nslots * sizeof(*spent));
	freezero(outs, nouts * sizeof(*outs));
	free(samples);
	bdhke_free(bd);
	return (0);
}
