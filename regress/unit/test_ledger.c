/*
 * test_ledger: the Berkeley DB ledger of ledgerd.  Every function with
 * its successes and errors, the arithmetic edges of accounts and
 * reservations, nested transactions, the all-or-nothing batches of the
 * mint, the wallet, the audit (also of a ledger damaged on purpose),
 * ids across restarts, kill -9 while committing, hot backup, a full
 * disk (as root), a run inside the real ledger sandbox, and a rough
 * measure of durable commits per second.
 */

#include <sys/types.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ledger_impl.h"
#include "log.h"
#include "sandbox.h"
#include "test.h"

/* expr must give the ledger error want */
#define TR(want, expr, ...) do {					\
	int	 r_ = (expr);					\
	if (!T(r_ == (want), __VA_ARGS__))				\
		printf("#   got %s, want %s\n", ledger_strerror(r_),	\
		    ledger_strerror(want));				\
} while (0)

#define MINT_A		"https://mint.a.example"
#define MINT_B		"https://mint.b.example"

typedef uint8_t		 yarr[LEDGER_Y_LEN];

static char		 base[PATH_MAX];
static int		 ndirs;

static const char	*newdir(const char *);
static void		 rmtree(const char *);
static void		 mkkey(uint8_t *, unsigned int);
static void		 mky(uint8_t *, unsigned int);
static void		 mkacct(struct ledger_account *, unsigned int,
			    uint64_t, const char *);
static int		 ys_pend(struct ledger_txn *, const yarr *, size_t,
			    const char *);
static int		 ys_spend(struct ledger_txn *, const yarr *, size_t,
			    int);
static struct ledger	*lopen(const char *);
static struct ledger_txn *tbegin(struct ledger *);
static int		 tcommit(struct ledger_txn *);
static int		 jsum(struct ledger_txn *, const uint8_t *,
			    uint64_t *, uint64_t *);
static int		 journal_ok(struct ledger *, const uint8_t *);
static uint64_t		 balance(struct ledger *, const uint8_t *);
static uint64_t		 audit(struct ledger *, struct ledger_report *,
			    int);
static void		 problem_cb(const char *, void *);
static uint64_t		 log_end(struct ledger *);
static uint64_t		 reserved(struct ledger *, const uint8_t *,
			    uint64_t *);
static int		 disk_resv(struct ledger *);
static uint64_t		 disk_reserved(struct ledger *, const uint8_t *);
static int		 raw_put(struct ledger *, int, const void *, size_t,
			    const void *, size_t);
static int		 raw_del(struct ledger *, int, const void *, size_t);
static double		 now_s(void);

static void		 test_strerror(void);
static void		 test_open(void);
static void		 test_accounts(void);
static void		 test_reservations(void);
static void		 test_limits(void);
static void		 test_nested(void);
static void		 test_large_batch(void);
static void		 test_ys(void);
static void		 test_issued(void);
static void		 test_quotes(void);
static void		 test_wallet(void);
static void		 test_ids(void);
static void		 test_release_all(void);
static void		 test_audit_damage(void);
static void		 test_totals(void);
static void		 test_totals_damage(void);
static void		 test_rotate(void);
static void		 test_upgrade(void);
static void		 test_uncommitted(void);
static void		 test_kill(void);
static void		 test_backup(void);
static void		 test_nospace(void);
static void		 test_sandbox(void);
static void		 test_log_bytes(void);
static void		 test_resv_txn(void);
static void		 test_resv_upgrade(void);
static int		 failed_commit(const char *, const uint8_t *, int64_t);
static void		 bench(void);

static const char *
newdir(const char *name)
{
	static char	 path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%02d-%s", base, ndirs++,
	    name) >= (int)sizeof(path) || mkdir(path, 0700) == -1) {
		perror(path);
		exit(1);
	}
	return (path);
}

static void
rmtree(const char *dir)
{
	char		 path[PATH_MAX];
	struct dirent	*de;
	struct stat	 sb;
	DIR		*d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
			rmtree(path);
		else
			unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

static void
mkkey(uint8_t *k, unsigned int n)
{
	size_t	 i;

	for (i = 0; i < LEDGER_KEY_LEN; i++)
		k[i] = (uint8_t)(n * 131 + i * 7 + (n >> 8));
	k[0] = (uint8_t)n;
	k[1] = (uint8_t)(n >> 8);
}

static void
mky(uint8_t *y, unsigned int n)
{
	size_t	 i;

	y[0] = 0x02 | (n & 1);
	for (i = 1; i < LEDGER_Y_LEN; i++)
		y[i] = (uint8_t)(n * 17 + i);
	y[1] = (uint8_t)(n >> 8);
	y[2] = (uint8_t)n;
}

/* The inputs the tests spend: 8 sat each, of keyset TKS. */
#define TKS_AMOUNT	8
static const uint8_t	 TKS[8] = { 0x00, 0x7e, 0x57, 1, 2, 3, 4, 5 };

static struct ledger_input *
mkinputs(const yarr *ys, size_t n)
{
	static struct ledger_input	 in[LEDGER_BATCH_MAX + 1];
	size_t				 i;

	if (ys == NULL)
		return (NULL);
	memset(in, 0, sizeof(in));
	for (i = 0; i < n && i < LEDGER_BATCH_MAX + 1; i++) {
		memcpy(in[i].lin_y, ys[i], LEDGER_Y_LEN);
		memcpy(in[i].lin_keyset, TKS, sizeof(TKS));
		in[i].lin_keyset_len = sizeof(TKS);
		in[i].lin_amount = TKS_AMOUNT;
	}
	return (in);
}

static int
ys_pend(struct ledger_txn *t, const yarr *ys, size_t n, const char *q)
{
	return (ledger_ys_pend(t, mkinputs(ys, n), n, q));
}

static int
ys_spend(struct ledger_txn *t, const yarr *ys, size_t n, int from_pending)
{
	return (ledger_ys_spend(t, mkinputs(ys, n), n, from_pending));
}

static void
mkacct(struct ledger_account *a, unsigned int n, uint64_t bal,
    const char *mint)
{
	memset(a, 0, sizeof(*a));
	mkkey(a->la_key, n);
	a->la_balance = bal;
	strlcpy(a->la_unit, "msat", sizeof(a->la_unit));
	strlcpy(a->la_mint, mint, sizeof(a->la_mint));
}

static struct ledger *
lopen(const char *dir)
{
	struct ledger	*l;

	if (ledger_open(&l, dir, 0) != 0) {
		printf("# cannot open the ledger in %s\n", dir);
		return (NULL);
	}
	return (l);
}

static struct ledger_txn *
tbegin(struct ledger *l)
{
	struct ledger_txn	*t;

	if (ledger_begin(l, NULL, &t) != LEDGER_OK) {
		printf("# ledger_begin failed\n");
		exit(1);
	}
	return (t);
}

static int
tcommit(struct ledger_txn *t)
{
	return (ledger_commit(t));
}

struct jacc {
	uint64_t	 credits, debits, n, last;
	int		 order;
};

static int
jacc_cb(const struct ledger_journal *j, void *arg)
{
	struct jacc	*ja = arg;

	if (j->lj_credit)
		ja->credits += j->lj_amount;
	else
		ja->debits += j->lj_amount;
	if (j->lj_seq <= ja->last)
		ja->order = 0;
	ja->last = j->lj_seq;
	ja->n++;
	return (0);
}

/* The journal's sum for key, and its number of entries. */
static int
jsum(struct ledger_txn *t, const uint8_t *key, uint64_t *sum, uint64_t *n)
{
	struct jacc	 ja;
	int		 r;

	memset(&ja, 0, sizeof(ja));
	ja.order = 1;
	if ((r = ledger_journal_walk(t, key, jacc_cb, &ja)) != LEDGER_OK)
		return (r);
	if (!ja.order || ja.debits > ja.credits)
		return (LEDGER_DBERR);
	*sum = ja.credits - ja.debits;
	if (n != NULL)
		*n = ja.n;
	return (LEDGER_OK);
}

/* The account's balance equals its journal. */
static int
journal_ok(struct ledger *l, const uint8_t *key)
{
	struct ledger_txn	*t = tbegin(l);
	struct ledger_account	 a;
	uint64_t		 sum;
	int			 ok;

	ok = ledger_account_get(t, key, &a) == LEDGER_OK &&
	    jsum(t, key, &sum, NULL) == LEDGER_OK && sum == a.la_balance;
	ledger_abort(t);
	return (ok);
}

static uint64_t
balance(struct ledger *l, const uint8_t *key)
{
	struct ledger_txn	*t = tbegin(l);
	struct ledger_account	 a;
	uint64_t		 b = UINT64_MAX;

	if (ledger_account_get(t, key, &a) == LEDGER_OK)
		b = a.la_balance;
	ledger_abort(t);
	return (b);
}

static void
problem_cb(const char *line, void *arg)
{
	int	*show = arg;

	if (*show)
		printf("#   audit: %s\n", line);
}

/* The audit's number of problems (UINT64_MAX if it failed). */
static uint64_t
audit(struct ledger *l, struct ledger_report *rep, int show)
{
	struct ledger_report	 tmp;

	if (rep == NULL)
		rep = &tmp;
	if (ledger_check(l, rep, problem_cb, &show) != LEDGER_OK)
		return (UINT64_MAX);
	return (rep->lr_problems);
}

static double
now_s(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

/* The log's end: bytes written to it since it began. */
static uint64_t
log_end(struct ledger *l)
{
	DB_LOG_STAT	*st;
	uint64_t	 off;

	if (l->l_env->log_stat(l->l_env, &st, 0) != 0)
		return (0);
	off = (uint64_t)st->st_cur_file * st->st_lg_size + st->st_cur_offset;
	free(st);
	return (off);
}

/* What the open reservations of key hold, in memory; *n of them. */
static uint64_t
reserved(struct ledger *l, const uint8_t *key, uint64_t *n)
{
	return (ledger_resv_reserved(l, key, n));
}

/* Records in the reservations table, which only older versions wrote. */
static int
disk_resv(struct ledger *l)
{
	struct ledger_txn	*t = tbegin(l);
	DBC			*c;
	uint8_t			 k[8];
	size_t			 klen;
	int			 n = 0;

	if (ledger_cursor(t, LDB_RESERVATIONS, &c) != LEDGER_OK) {
		ledger_abort(t);
		return (-1);
	}
	for (;;) {
		klen = 0;
		if (ledger_cget(l, c, k, sizeof(k), &klen, NULL, 0, NULL,
		    DB_NEXT) != LEDGER_OK)
			break;
		n++;
	}
	(void)ledger_cursor_close(l, c, LEDGER_OK);
	ledger_abort(t);
	return (n);
}

/* The account record as stored: its la_reserved. */
static uint64_t
disk_reserved(struct ledger *l, const uint8_t *key)
{
	struct ledger_txn	*t = tbegin(l);
	struct rec_account	 ra;
	uint64_t		 v = UINT64_MAX;

	if (ledger_getrec(t, LDB_ACCOUNTS, key, LEDGER_KEY_LEN, &ra,
	    sizeof(ra)) == LEDGER_OK)
		v = ra.ra_a.la_reserved;
	ledger_abort(t);
	return (v);
}

static void
test_strerror(void)
{
	int	 e, ok = 1;

	for (e = 0; e < LEDGER_ERROR_MAX; e++)
		if (ledger_strerror(e) == NULL || *ledger_strerror(e) == '\0')
			ok = 0;
	T(ok, "ledger_strerror names every error");
	T(strcmp(ledger_strerror(LEDGER_NOSPACE), "disk full") == 0,
	    "LEDGER_NOSPACE says disk full");
	T(strstr(ledger_strerror(-1), "unknown") != NULL &&
	    strstr(ledger_strerror(LEDGER_ERROR_MAX), "unknown") != NULL,
	    "unknown errors are said to be unknown");
}

static void
test_open(void)
{
	struct ledger	*l, *l2;
	struct ledger_txn *t;
	char		 path[PATH_MAX];
	const char	*dir = newdir("open");
	char		 d[PATH_MAX];
	pid_t		 pid;
	int		 fd, st;

	strlcpy(d, dir, sizeof(d));
	T(ledger_open(&l, d, 0) == 0 && l != NULL, "open creates a ledger");
	T(ledger_open(&l2, d, 0) == -1 && l2 == NULL,
	    "a second open of the same directory is refused (lock)");
	T(ledger_checkpoint(l) == LEDGER_OK, "checkpoint");
	ledger_close(l);
	T(ledger_open(&l, d, 0) == 0, "reopen after close");
	ledger_close(l);
	T(ledger_open(&l, "/nonexistent/ledger", 0) == -1,
	    "open of a missing directory fails");
	T(ledger_open(&l, "", 0) == -1, "open of \"\" fails");
	T(ledger_open(&l, d, 0x80) == -1, "unknown flags are refused");
	T(ledger_begin(NULL, NULL, &t) == LEDGER_INVALID && t == NULL,
	    "begin without a ledger or parent is invalid");
	T(ledger_commit(NULL) == LEDGER_INVALID, "commit of NULL is invalid");
	ledger_abort(NULL);

	/* A damaged table: ledgerd must stop with a message. */
	if (snprintf(path, sizeof(path), "%s/accounts.db", d) >=
	    (int)sizeof(path))
		return;
	if ((fd = open(path, O_WRONLY | O_TRUNC)) != -1) {
		T(write(fd, "this is not a database, it is a text file "
		    "that someone copied over it by mistake\n", 80) == 80,
		    "overwrite accounts.db with text");
		close(fd);
	}
	/*
	 * In a child: Berkeley DB leaks a little on this path, and
	 * ledgerd exits on it anyway.
	 */
	fflush(stdout);
	if ((pid = fork()) == 0)
		_exit(ledger_open(&l, d, 0) == -1 ? 0 : 1);
	waitpid(pid, &st, 0);
	T(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "a damaged table stops the open");
}

static void
test_accounts(void)
{
	struct ledger		*l;
	struct ledger_txn	*t;
	struct ledger_account	 a, b;
	struct ledger_report	 rep;
	uint8_t			 k1[LEDGER_KEY_LEN], k9[LEDGER_KEY_LEN];
	uint8_t			 reqid[LEDGER_REQID_LEN];
	uint64_t		 bal, sum, n, n2, amt;
	int			 r;

	if ((l = lopen(newdir("accounts"))) == NULL)
		return;
	memset(reqid, 0xab, sizeof(reqid));
	mkkey(k1, 1);
	mkkey(k9, 9);

	/* create: success and each error */
	t = tbegin(l);
	mkacct(&a, 1, 5000, MINT_A);
	a.la_limit = 0;
	TR(LEDGER_OK, ledger_account_create(t, &a, reqid), "create");
	TR(LEDGER_EXISTS, ledger_account_create(t, &a, reqid),
	    "create twice -> EXISTS");
	mkacct(&a, 2, 0, MINT_A);
	a.la_unit[0] = '\0';
	TR(LEDGER_INVALID, ledger_account_create(t, &a, NULL),
	    "create without a unit -> INVALID");
	mkacct(&a, 2, 0, MINT_A);
	memset(a.la_unit, 'x', sizeof(a.la_unit));
	TR(LEDGER_INVALID, ledger_account_create(t, &a, NULL),
	    "create with an unterminated unit -> INVALID");
	mkacct(&a, 2, 0, MINT_A);
	memset(a.la_mint, 'x', sizeof(a.la_mint));
	TR(LEDGER_INVALID, ledger_account_create(t, &a, NULL),
	    "create with an unterminated mint -> INVALID");
	mkacct(&a, 2, 0, MINT_A);
	a.la_expiry = -5;
	TR(LEDGER_INVALID, ledger_account_create(t, &a, NULL),
	    "create with a negative expiry -> INVALID");
	TR(LEDGER_INVALID, ledger_account_create(t, NULL, NULL),
	    "create of NULL -> INVALID");
	mkacct(&a, 2, 0, MINT_B);
	TR(LEDGER_OK, ledger_account_create(t, &a, NULL),
	    "create with balance 0");
	TR(LEDGER_OK, tcommit(t), "commit");

	/* get */
	t = tbegin(l);
	r = ledger_account_get(t, k1, &b);
	T(r == LEDGER_OK && b.la_balance == 5000 && b.la_reserved == 0 &&
	    b.la_spent == 0 && b.la_requests == 0 && b.la_flags == 0 &&
	    strcmp(b.la_unit, "msat") == 0 && strcmp(b.la_mint, MINT_A) == 0 &&
	    b.la_created > 0 && b.la_used == b.la_created &&
	    memcmp(b.la_key, k1, sizeof(k1)) == 0,
	    "get returns what create stored");
	TR(LEDGER_NOTFOUND, ledger_account_get(t, k9, &b),
	    "get of an unknown key -> NOTFOUND");
	TR(LEDGER_INVALID, ledger_account_get(t, NULL, &b),
	    "get of NULL -> INVALID");
	T(jsum(t, k1, &sum, &n) == LEDGER_OK && sum == 5000 && n == 1,
	    "create with a balance journals it once");
	mkkey(a.la_key, 2);
	T(jsum(t, a.la_key, &sum, &n) == LEDGER_OK && sum == 0 && n == 0,
	    "create with balance 0 journals nothing");

	/* credit */
	TR(LEDGER_OK, ledger_account_credit(t, k1, 250, LEDGER_R_TOPUP,
	    reqid, &bal), "credit");
	T(bal == 5250, "credit returns the new balance");
	TR(LEDGER_OK, ledger_account_credit(t, k1, 1, LEDGER_R_ADJUST,
	    NULL, NULL), "credit (adjust) without reqid or result");
	TR(LEDGER_NOTFOUND, ledger_account_credit(t, k9, 1, LEDGER_R_TOPUP,
	    NULL, &bal), "credit of an unknown account -> NOTFOUND");
	TR(LEDGER_INVALID, ledger_account_credit(t, k1, 0, LEDGER_R_TOPUP,
	    NULL, &bal), "credit of 0 -> INVALID");
	TR(LEDGER_INVALID, ledger_account_credit(t, k1, 1, LEDGER_R_SETTLE,
	    NULL, &bal), "credit for a debit's reason -> INVALID");
	TR(LEDGER_INVALID, ledger_account_credit(t, k1, 1, 77, NULL, &bal),
	    "credit for an unknown reason -> INVALID");

	/* to UINT64_MAX, and one more changes nothing */
	TR(LEDGER_OK, ledger_account_credit(t, k1, UINT64_MAX - 5251,
	    LEDGER_R_TOPUP, NULL, &bal), "credit up to UINT64_MAX");
	T(bal == UINT64_MAX, "the balance is UINT64_MAX");
	T(jsum(t, k1, &sum, &n) == LEDGER_OK && sum == UINT64_MAX && n == 4,
	    "the journal sums to UINT64_MAX in 4 entries");
	TR(LEDGER_OVERFLOW, ledger_account_credit(t, k1, 1, LEDGER_R_TOPUP,
	    NULL, &bal), "credit past UINT64_MAX -> OVERFLOW");
	TR(LEDGER_OVERFLOW, ledger_account_credit(t, k1, UINT64_MAX,
	    LEDGER_R_TOPUP, NULL, &bal), "credit of UINT64_MAX -> OVERFLOW");
	T(jsum(t, k1, &sum, &n2) == LEDGER_OK, "journal walk");
	T(ledger_account_get(t, k1, &b) == LEDGER_OK &&
	    b.la_balance == UINT64_MAX && n2 == n,
	    "the overflowing credit changed nothing, journal included");
	TR(LEDGER_OK, tcommit(t), "commit");
	T(audit(l, &rep, 1) == 0, "audit: 0 problems at UINT64_MAX");

	/* refund-and-close of the full account */
	t = tbegin(l);
	TR(LEDGER_OK, ledger_account_refund(t, k1, reqid, &amt), "refund");
	T(amt == UINT64_MAX, "refund took the whole balance");
	T(ledger_account_get(t, k1, &b) == LEDGER_OK && b.la_balance == 0 &&
	    (b.la_flags & LEDGER_ACCOUNT_CLOSED), "balance 0 and closed");
	TR(LEDGER_CLOSED, ledger_account_refund(t, k1, NULL, &amt),
	    "refund again -> CLOSED");
	TR(LEDGER_CLOSED, ledger_account_credit(t, k1, 5, LEDGER_R_TOPUP,
	    NULL, NULL), "credit of a closed account -> CLOSED");
	TR(LEDGER_CLOSED, ledger_reserve(t, k1, 0, 0, NULL, &n),
	    "reserve on a closed account -> CLOSED");
	TR(LEDGER_NOTFOUND, ledger_account_refund(t, k9, NULL, &amt),
	    "refund of an unknown account -> NOTFOUND");
	TR(LEDGER_INVALID, ledger_account_refund(t, NULL, NULL, &amt),
	    "refund of NULL -> INVALID");
	mkkey(a.la_key, 2);
	TR(LEDGER_OK, ledger_account_refund(t, a.la_key, NULL, &amt),
	    "refund of an empty account");
	T(amt == 0, "an empty account refunds 0");
	TR(LEDGER_OK, tcommit(t), "commit");
	T(audit(l, &rep, 1) == 0 && rep.lr_accounts == 2 &&
	    rep.lr_ntotals == 0, "audit: 0 problems, closed accounts have "
	    "no totals");
	ledger_close(l);
}

static void
test_reservations(void)
{
	struct ledger		*l;
	struct ledger_txn	*t;
	struct ledger_account	 a, b;
	struct ledger_report	 rep;
	uint8_t			 k[LEDGER_KEY_LEN], k9[LEDGER_KEY_LEN];
	uint64_t		 id, id2, id3, ch, amt;
	int64_t			 dl = time(NULL) + 600;

	if ((l = lopen(newdir("reserve"))) == NULL)
		return;
	mkkey(k, 3);
	mkkey(k9, 9);
	t = tbegin(l);
	mkacct(&a, 3, 10000, MINT_A);
	TR(LEDGER_OK, ledger_account_create(t, &a, NULL), "create 10000");

	/* settle below, at and above the reservation, above the balance */
	TR(LEDGER_OK, ledger_reserve(t, k, 3000, dl, NULL, &id), "reserve");
	T(ledger_account_get(t, k, &b) == 0 && b.la_reserved == 3000 &&
	    b.la_balance == 10000, "reserve holds 3000 of 10000");
	TR(LEDGER_OK, ledger_settle(t, id, 1000, NULL, &ch, &b),
	    "settle less than reserved");
	T(ch == 1000 && b.la_balance == 9000 && b.la_reserved == 0 &&
	    b.la_spent == 1000 && b.la_requests == 1,
	    "charged 1000, the rest released");
	TR(LEDGER_NOTFOUND, ledger_settle(t, id, 1, NULL, &ch, NULL),
	    "settle twice -> NOTFOUND");
	TR(LEDGER_NOTFOUND, ledger_release(t, id),
	    "release of a settled reservation -> NOTFOUND");
	TR(LEDGER_NOTFOUND, ledger_settle(t, 12345, 1, NULL, &ch, NULL),
	    "settle of an unknown reservation -> NOTFOUND");
	TR(LEDGER_NOTFOUND, ledger_release(t, 12345),
	    "release of an unknown reservation -> NOTFOUND");

	TR(LEDGER_OK, ledger_reserve(t, k, 2000, dl, NULL, &id), "reserve");
	TR(LEDGER_OK, ledger_settle(t, id, 2000, NULL, &ch, &b),
	    "settle exactly the reservation");
	T(ch == 2000 && b.la_balance == 7000 && b.la_reserved == 0,
	    "charged 2000");
	TR(LEDGER_OK, ledger_reserve(t, k, 1000, dl, NULL, &id), "reserve");
	TR(LEDGER_OK, ledger_settle(t, id, 5000, NULL, &ch, &b),
	    "settle above the reservation, within the balance");
	T(ch == 5000 && b.la_balance == 2000 && b.la_reserved == 0,
	    "charged the actual 5000");
	TR(LEDGER_OK, ledger_reserve(t, k, 500, dl, NULL, &id), "reserve");
	TR(LEDGER_OK, ledger_settle(t, id, 999999, NULL, &ch, &b),
	    "settle above the balance");
	T(ch == 2000 && b.la_balance == 0 && b.la_reserved == 0 &&
	    b.la_spent == 10000 && b.la_requests == 4,
	    "charged the balance, balance 0, not below");
	T(jsum(t, k, &amt, NULL) == 0 && amt == 0, "journal sums to 0");

	/* exactly the spendable balance, then one msat more */
	TR(LEDGER_OK, ledger_account_credit(t, k, 1000, LEDGER_R_TOPUP,
	    NULL, NULL), "credit 1000");
	TR(LEDGER_OK, ledger_reserve(t, k, 400, dl, NULL, &id), "reserve 400");
	TR(LEDGER_OK, ledger_reserve(t, k, 600, dl, NULL, &id2),
	    "reserve exactly the spendable 600");
	T(id2 > id, "reservation ids increase");
	TR(LEDGER_INSUFFICIENT, ledger_reserve(t, k, 1, dl, NULL, &id3),
	    "reserve one more msat -> INSUFFICIENT");
	TR(LEDGER_OK, ledger_reserve(t, k, 0, dl, NULL, &id3),
	    "reserve 0 of nothing spendable");
	TR(LEDGER_OK, ledger_release(t, id3), "release it");
	TR(LEDGER_NOTFOUND, ledger_reserve(t, k9, 1, dl, NULL, &id3),
	    "reserve on an unknown account -> NOTFOUND");
	TR(LEDGER_INVALID, ledger_reserve(t, NULL, 1, dl, NULL, &id3),
	    "reserve on NULL -> INVALID");

	/* a settle never takes what other reservations hold */
	TR(LEDGER_OK, ledger_settle(t, id, 5000, NULL, &ch, &b),
	    "settle 5000 on a reservation of 400 beside one of 600");
	T(ch == 400 && b.la_balance == 600 && b.la_reserved == 600,
	    "charged 400: the other 600 stay held, reserved <= balance");

	/* refund waits for reservations */
	TR(LEDGER_RESERVED, ledger_account_refund(t, k, NULL, &amt),
	    "refund with a reservation open -> RESERVED");
	T(ledger_account_get(t, k, &b) == 0 && b.la_balance == 600 &&
	    b.la_flags == 0, "the refused refund changed nothing");
	TR(LEDGER_OK, ledger_release(t, id2), "release");
	T(ledger_account_get(t, k, &b) == 0 && b.la_balance == 600 &&
	    b.la_reserved == 0, "release gives it all back");
	TR(LEDGER_OK, tcommit(t), "commit");
	T(journal_ok(l, k), "journal sums equal the balance");
	T(audit(l, &rep, 1) == 0 && rep.lr_ntotals == 1 &&
	    rep.lr_totals[0].lt_balance == 600 &&
	    rep.lr_totals[0].lt_reserved == 0 &&
	    rep.lr_totals[0].lt_accounts == 1 &&
	    strcmp(rep.lr_totals[0].lt_mint, MINT_A) == 0 &&
	    strcmp(rep.lr_totals[0].lt_unit, "msat") == 0 &&
	    rep.lr_journal == 7, "audit: 0 problems, totals right");

	t = tbegin(l);
	TR(LEDGER_OK, ledger_account_refund(t, k, NULL, &amt), "refund");
	T(amt == 600, "refund returns the 600 left");
	TR(LEDGER_OK, tcommit(t), "commit");
	T(balance(l, k) == 0 && journal_ok(l, k), "balance 0, journal 0");
	t = tbegin(l);
	TR(LEDGER_CLOSED, ledger_account_credit(t, k, 1, LEDGER_R_TOPUP,
	    NULL, NULL), "later credit -> CLOSED");
	TR(LEDGER_CLOSED, ledger_reserve(t, k, 1, dl, NULL, &id),
	    "later reserve -> CLOSED");
	ledger_abort(t);
	T(audit(l, &rep, 1) == 0 && rep.lr_ntotals == 0, "audit: 0 problems");
	ledger_close(l);
}

static void
test_limits(void)
{
	struct ledger		*l;
	struct ledger_txn	*t;
	struct ledger_account	 a, b;
	uint8_t			 k[LEDGER_KEY_LEN], ke[LEDGER_KEY_LEN];
	uint64_t		 id, id2, ch, amt;
	int64_t			 dl = time(NULL) + 600;

	if ((l = lopen(newdir("limits"))) == NULL)
		return;
	t = tbegin(l);
	mkacct(&a, 4, 10000, MINT_A);
	a.la_limit = 5000;
	memcpy(k, a.la_key, sizeof(k));
	TR(LEDGER_OK, ledger_account_create(t, &a, NULL), "create, limit 5000");
	TR(LEDGER_OK, ledger_reserve(t, k, 5000, dl, NULL, &id),
	    "reserve up to the limit");
	TR(LEDGER_LIMIT, ledger_reserve(t, k, 1, dl, NULL, &id2),
	    "one msat past the limit -> LIMIT");
	TR(LEDGER_OK, ledger_settle(t, id, 4000, NULL, &ch, NULL),
	    "settle 4000");
	TR(LEDGER_LIMIT, ledger_reserve(t, k, 1001, dl, NULL, &id2),
	    "spent 4000 + 1001 -> LIMIT");
	TR(LEDGER_OK, ledger_reserve(t, k, 1000, dl, NULL, &id2),
	    "spent 4000 + 1000 fits");
	TR(LEDGER_OK, ledger_settle(t, id2, 3000, NULL, &ch, &b),
	    "settle 3000 on 1000 with 1000 left of the limit");
	T(ch == 1000 && b.la_spent == 5000 && b.la_balance == 5000,
	    "the limit caps the charge: la_spent never passes it");
	TR(LEDGER_OK, ledger_reserve(t, k, 0, dl, NULL, &id2),
	    "reserve 0 at the limit is allowed");

	/* expiry */
	mkacct(&a, 5, 1000, MINT_A);
	a.la_expiry = time(NULL) - 1;
	memcpy(ke, a.la_key, sizeof(ke));
	TR(LEDGER_OK, ledger_account_create(t, &a, NULL), "create expired");
	TR(LEDGER_EXPIRED, ledger_reserve(t, ke, 1, dl, NULL, &id),
	    "reserve on an expired account -> EXPIRED");
	TR(LEDGER_OK, ledger_account_credit(t, ke, 1, LEDGER_R_TOPUP, NULL,
	    NULL), "credit of an expired account is allowed");
	TR(LEDGER_OK, ledger_account_refund(t, ke, NULL, &amt),
	    "refund of an expired account");
	T(amt == 1001, "the expired account refunds everything");
	mkacct(&a, 6, 1000, MINT_A);
	a.la_expiry = time(NULL) + 3600;
	TR(LEDGER_OK, ledger_account_create(t, &a, NULL),
	    "create, expiry later");
	TR(LEDGER_OK, ledger_reserve(t, a.la_key, 1000, dl, NULL, &id),
	    "reserve before expiry");
	TR(LEDGER_OK, tcommit(t), "commit");
	T(journal_ok(l, k) && journal_ok(l, ke) && journal_ok(l, a.la_key),
	    "journal sums equal balances");
	T(audit(l, NULL, 1) == 0, "audit: 0 problems");
	ledger_close(l);
}

static void
test_nested(void)
{
	struct ledger		*l;
	struct ledger_txn	*t, *c;
	struct ledger_account	 a, b;
	uint8_t			 k[LEDGER_KEY_LEN];
	uint64_t		 id;

	if ((l = lopen(newdir("nested"))) == NULL)
		return;
	mkacct(&a, 7, 0, MINT_A);
	memcpy(k, a.la_key, sizeof(k));
	t = tbegin(l);
	TR(LEDGER_OK, ledger_account_create(t, &a, NULL), "create");
	TR(LEDGER_OK, tcommit(t), "commit");

	t = tbegin(l);
	TR(LEDGER_OK, ledger_begin(NULL, t, &c), "child 1");
	TR(LEDGER_OK, ledger_account_credit(c, k, 100, LEDGER_R_TOPUP, NULL,
	    NULL), "child 1 credits 100");
	TR(LEDGER_OK, ledger_commit(c), "child 1 commits");
	TR(LEDGER_OK, ledger_begin(l, t, &c), "child 2");
	TR(LEDGER_OK, ledger_account_credit(c, k, 200, LEDGER_R_TOPUP, NULL,
	    NULL), "child 2 credits 200");
	ledger_abort(c);
	TR(LEDGER_OK, ledger_begin(NULL, t, &c), "child 3");
	T(ledger_account_get(c, k, &b) == 0 && b.la_balance == 100,
	    "child 3 sees child 1's credit, not aborted child 2's");
	TR(LEDGER_INSUFFICIENT, ledger_reserve(c, k, 101, 0, NULL, &id),
	    "an error inside child 3");
	TR(LEDGER_OK, ledger_account_credit(c, k, 50, LEDGER_R_TOPUP, NULL,
	    NULL), "child 3 still usable after the error");
	TR(LEDGER_OK, ledger_commit(c), "child 3 commits");
	T(ledger_account_get(t, k, &b) == 0 && b.la_balance == 150,
	    "the parent sees 150");
	TR(LEDGER_OK, tcommit(t), "the parent commits");
	T(balance(l, k) == 150 && journal_ok(l, k),
	    "150 after commit, journal agrees");

	t = tbegin(l);
	TR(LEDGER_OK, ledger_begin(NULL, t, &c), "child");
	TR(LEDGER_OK, ledger_account_credit(c, k, 1000, LEDGER_R_TOPUP, NULL,
	    NULL), "child credits 1000");
	TR(LEDGER_OK, ledger_commit(c), "child commits");
	ledger_abort(t);
	T(balance(l, k) == 150 && journal_ok(l, k),
	    "a top-level abort drops its committed children");
	T(audit(l, NULL, 1) == 0, "audit: 0 problems");
	ledger_close(l);
}

/*
 * One batch as ledgerd makes them, large: thousands of requests on
 * accounts scattered over the tables, each in a child, one commit.
 */
static void
test_large_batch(void)
{
	struct ledger		*l;
	struct ledger_txn	*t, *c;
	struct ledger_account	 a;
	struct ledger_report	 rep;
	uint64_t		 id;
	unsigned int		 i, h, n = 5000, bad = 0;

	if ((l = lopen(newdir("batch"))) == NULL)
		return;
	t = tbegin(l);
	for (i = 0; i < n; i++) {
		mkacct(&a, 0, 1000, MINT_A);
		h = i * 2654435761U;
		memcpy(a.la_key, &h, sizeof(h));
		memcpy(a.la_key + 4, &i, sizeof(i));
		if (ledger_begin(NULL, t, &c) != LEDGER_OK ||
		    ledger_account_create(c, &a, NULL) != LEDGER_OK ||
		    ledger_reserve(c, a.la_key, 600, 0, NULL, &id) !=
		    LEDGER_OK ||
		    ledger_settle(c, id, 250, NULL, NULL, NULL) != LEDGER_OK ||
		    ledger_commit(c) != LEDGER_OK)
			bad++;
	}
	T(bad == 0, "%u requests on scattered accounts in one batch", n);
	TR(LEDGER_OK, tcommit(t), "one commit");
	T(audit(l, &rep, 1) == 0 && rep.lr_accounts == n &&
	    rep.lr_journal == 2 * n && rep.lr_totals[0].lt_balance ==
	    (uint64_t)n * 750, "audit: 0 problems, the totals add up");
	ledger_close(l);
}

/* The states of ys[0..n) as a string of digits, e.g. "201". */
static const char *
ystates(struct ledger_txn *t, yarr *ys, size_t n)
{
	static char	 s[16];
	uint8_t		 st[16];
	size_t		 i;

	if (ledger_ys_state(t, (const yarr *)ys, n, st) != LEDGER_OK)
		return ("error");
	for (i = 0; i < n; i++)
		s[i] = '0' + st[i];
	s[n] = '\0';
	return (s);
}

static void
test_ys(void)
{
	struct ledger		*l;
	struct ledger_txn	*t;
	struct ledger_report	 rep;
	yarr			 y[10], b2[2], many[LEDGER_BATCH_MAX + 1];
	char			 badq[LEDGER_QUOTE_ID_MAX + 1];
	uint8_t			 st[3];
	unsigned int		 i;

	if ((l = lopen(newdir("ys"))) == NULL)
		return;
	for (i = 0; i < 10; i++)
		mky(y[i], i);
	t = tbegin(l);
	TR(LEDGER_OK, ys_pend(t, (const yarr *)&y[1], 2, NULL),
	    "pend y1 y2");
	T(strcmp(ystates(t, &y[1], 2), "11") == 0, "both pending");
	memcpy(b2[0], y[3], LEDGER_Y_LEN);
	memcpy(b2[1], y[1], LEDGER_Y_LEN);
	TR(LEDGER_PENDING, ys_pend(t, (const yarr *)b2, 2, NULL),
	    "pend y3 y1 -> PENDING");
	T(strcmp(ystates(t, &y[3], 1), "0") == 0, "y3 untouched");
	memcpy(b2[0], y[4], LEDGER_Y_LEN);
	TR(LEDGER_PENDING, ys_spend(t, (const yarr *)b2, 2, 0),
	    "spend y4 y1 (not from pending) -> PENDING");
	T(strcmp(ystates(t, &y[4], 1), "0") == 0, "y4 untouched");
	TR(LEDGER_OK, ys_spend(t, (const yarr *)&y[1], 2, 1),
	    "spend y1 y2 from pending");
	T(strcmp(ystates(t, &y[1], 2), "22") == 0, "both spent");
	memcpy(b2[0], y[5], LEDGER_Y_LEN);
	TR(LEDGER_SPENT, ys_pend(t, (const yarr *)b2, 2, NULL),
	    "pend y5 y1 -> SPENT");
	TR(LEDGER_SPENT, ys_spend(t, (const yarr *)b2, 2, 0),
	    "spend y5 y1 -> SPENT");
	T(strcmp(ystates(t, &y[5], 1), "0") == 0, "y5 untouched");
	memcpy(b2[1], y[5], LEDGER_Y_LEN);
	TR(LEDGER_SPENT, ys_spend(t, (const yarr *)b2, 2, 0),
	    "spend y5 y5 (twice in one batch) -> SPENT");
	TR(LEDGER_PENDING, ys_pend(t, (const yarr *)b2, 2, NULL),
	    "pend y5 y5 (twice in one batch) -> PENDING");
	T(strcmp(ystates(t, &y[5], 1), "0") == 0, "y5 still untouched");
	TR(LEDGER_NOTFOUND, ledger_ys_unpend(t, (const yarr *)&y[7], 1),
	    "unpend of an unspent Y -> NOTFOUND");
	TR(LEDGER_OK, ys_pend(t, (const yarr *)&y[7], 1, "melt-q1"),
	    "pend y7");
	TR(LEDGER_NOTFOUND, ledger_ys_unpend(t, (const yarr *)&y[7], 2),
	    "unpend y7 y8 -> NOTFOUND");
	T(strcmp(ystates(t, &y[7], 2), "10") == 0, "y7 still pending");
	memcpy(b2[0], y[7], LEDGER_Y_LEN);
	memcpy(b2[1], y[7], LEDGER_Y_LEN);
	TR(LEDGER_NOTFOUND, ledger_ys_unpend(t, (const yarr *)b2, 2),
	    "unpend y7 y7 -> NOTFOUND");
	T(strcmp(ystates(t, &y[7], 1), "1") == 0, "y7 still pending");
	TR(LEDGER_NOTFOUND, ys_spend(t, (const yarr *)b2, 2, 1),
	    "spend y7 y7 from pending -> NOTFOUND");
	T(strcmp(ystates(t, &y[7], 1), "1") == 0, "y7 still pending");
	TR(LEDGER_OK, ledger_ys_unpend(t, (const yarr *)&y[7], 1),
	    "unpend y7");
	TR(LEDGER_NOTFOUND, ys_spend(t, (const yarr *)&y[8], 1, 1),
	    "spend from pending of an unspent Y -> NOTFOUND");
	TR(LEDGER_SPENT, ys_spend(t, (const yarr *)&y[1], 1, 1),
	    "spend from pending of a spent Y -> SPENT");
	TR(LEDGER_OK, ys_pend(t, (const yarr *)&y[9], 1, NULL),
	    "pend y9");
	memcpy(b2[0], y[1], LEDGER_Y_LEN);
	{
		yarr	 mix[3];

		memcpy(mix[0], y[1], LEDGER_Y_LEN);
		memcpy(mix[1], y[7], LEDGER_Y_LEN);
		memcpy(mix[2], y[9], LEDGER_Y_LEN);
		T(strcmp(ystates(t, mix, 3), "201") == 0,
		    "state of a mixed set: spent, unspent, pending");
	}

	/* arguments */
	TR(LEDGER_INVALID, ys_pend(t, (const yarr *)y, 0, NULL),
	    "pend of 0 Ys -> INVALID");
	TR(LEDGER_INVALID, ledger_ys_spend(t, NULL, 1, 0),
	    "spend of NULL -> INVALID");
	TR(LEDGER_INVALID, ys_spend(t, (const yarr *)y, 1, 2),
	    "spend with from_pending 2 -> INVALID");
	TR(LEDGER_INVALID, ledger_ys_unpend(t, (const yarr *)y, 0),
	    "unpend of 0 Ys -> INVALID");
	TR(LEDGER_INVALID, ledger_ys_state(t, (const yarr *)y, 1, NULL),
	    "state without room -> INVALID");
	TR(LEDGER_INVALID, ledger_ys_state(t, (const yarr *)y, 0, st),
	    "state of 0 Ys -> INVALID");
	memset(badq, 'q', sizeof(badq));
	TR(LEDGER_INVALID, ys_pend(t, (const yarr *)&y[6], 1, badq),
	    "pend with an unterminated quote id -> INVALID");
	for (i = 0; i <= LEDGER_BATCH_MAX; i++)
		mky(many[i], 1000 + i);
	TR(LEDGER_INVALID, ys_spend(t, (const yarr *)many,
	    LEDGER_BATCH_MAX + 1, 0), "a batch above LEDGER_BATCH_MAX -> "
	    "INVALID");
	TR(LEDGER_OK, ys_spend(t, (const yarr *)many, LEDGER_BATCH_MAX,
	    0), "spend a full batch of LEDGER_BATCH_MAX");
	TR(LEDGER_SPENT, ys_spend(t, (const yarr *)&many[1],
	    LEDGER_BATCH_MAX, 0), "again, shifted by one -> SPENT");
	T(strcmp(ystates(t, &many[LEDGER_BATCH_MAX], 1), "0") == 0,
	    "the one new Y of that batch untouched");
	TR(LEDGER_OK, tcommit(t), "commit");
	T(audit(l, &rep, 1) == 0 && rep.lr_spent == 1002 &&
	    rep.lr_pending == 1, "audit: 0 problems, 1002 spent, 1 pending");
	ledger_close(l);
}

static int
count_issued(const struct ledger_issued *li, void *arg)
{
	(*(int *)arg)++;
	return (0);
}

static void
test_issued(void)
{
	struct ledger		*l;
	struct ledger_txn	*t;
	struct ledger_issued	 li[3], two[2], got;
	uint8_t			 b[LEDGER_Y_LEN];
	int			 i, n;

	if ((l = lopen(newdir("issued"))) == NULL)
		return;
	memset(li, 0, sizeof(li));
	for (i = 0; i < 3; i++) {
		mky(li[i].li_b, 100 + i);
		mky(li[i].li_c, 200 + i);
		li[i].li_keyset[0] = 0x00;
		li[i].li_keyset[1] = 0xab;
		li[i].li_keyset_len = 8;
		li[i].li_amount = 1 << i;
		memset(li[i].li_dleq_e, i, sizeof(li[i].li_dleq_e));
		li[i].li_time = 1700000000;
	}
	t = tbegin(l);
	TR(LEDGER_OK, ledger_issued_add(t, li, 3), "add 3 outputs");
	TR(LEDGER_OK, ledger_issued_get(t, li[1].li_b, &got), "get one");
	T(memcmp(got.li_c, li[1].li_c, LEDGER_Y_LEN) == 0 &&
	    got.li_amount == 2 && got.li_keyset_len == 8 &&
	    got.li_keyset[1] == 0xab && got.li_dleq_e[0] == 1 &&
	    got.li_time == 1700000000, "get returns what was added");
	mky(b, 999);
	TR(LEDGER_NOTFOUND, ledger_issued_get(t, b, &got),
	    "get of an unknown B_ -> NOTFOUND");
	two[0] = li[0];
	mky(two[0].li_b, 300);
	two[1] = li[2];
	TR(LEDGER_EXISTS, ledger_issued_add(t, two, 2),
	    "a batch with one B_ already signed -> EXISTS");
	TR(LEDGER_NOTFOUND, ledger_issued_get(t, two[0].li_b, &got),
	    "its new B_ was not added");
	two[1] = two[0];
	TR(LEDGER_EXISTS, ledger_issued_add(t, two, 2),
	    "the same B_ twice in one batch -> EXISTS");
	TR(LEDGER_NOTFOUND, ledger_issued_get(t, two[0].li_b, &got),
	    "and it was not added");
	two[0].li_keyset_len = 0;
	TR(LEDGER_INVALID, ledger_issued_add(t, two, 1),
	    "keyset length 0 -> INVALID");
	two[0].li_keyset_len = LEDGER_KEYSET_MAX + 1;
	TR(LEDGER_INVALID, ledger_issued_add(t, two, 1),
	    "keyset length 34 -> INVALID");
	TR(LEDGER_INVALID, ledger_issued_add(t, li, 0), "0 outputs -> INVALID");
	TR(LEDGER_INVALID, ledger_issued_add(t, li, LEDGER_BATCH_MAX + 1),
	    "too many outputs -> INVALID");
	n = 0;
	TR(LEDGER_OK, ledger_issued_walk(t, count_issued, &n), "walk");
	T(n == 3, "walk sees the 3 outputs");
	TR(LEDGER_OK, tcommit(t), "commit");
	T(audit(l, NULL, 1) == 0, "audit: 0 problems");
	ledger_close(l);
}

static void
mkquote(struct ledger_quote *q, const char *id, int melt, uint8_t hash)
{
	memset(q, 0, sizeof(*q));
	strlcpy(q->lq_id, id, sizeof(q->lq_id));
	q->lq_melt = melt;
	q->lq_state = LEDGER_QUOTE_UNPAID;
	q->lq_amount = 2100;
	q->lq_fee_reserve = melt ? 21 : 0;
	strlcpy(q->lq_unit, "sat", sizeof(q->lq_unit));
	q->lq_expiry = time(NULL) + 3600;
	memset(q->lq_payment_hash, hash, sizeof(q->lq_payment_hash));
	strlcpy(q->lq_request, "lnbc21u1pexample", sizeof(q->lq_request));
}

static void
test_quotes(void)
{
	struct ledger		*l;
	struct ledger_txn	*t;
	struct ledger_quote	 q, got;
	struct ledger_report	 rep;
	uint8_t			 hash[32], pre[32];

	if ((l = lopen(newdir("quotes"))) == NULL)
		return;
	memset(hash, 0x5a, sizeof(hash));
	memset(pre, 0x77, sizeof(pre));
	t = tbegin(l);

	/* mint quote: UNPAID -> PAID -> ISSUED */
	mkquote(&q, "mint-1", 0, 0x11);
	TR(LEDGER_OK, ledger_quote_add(t, &q), "add a mint quote");
	TR(LEDGER_EXISTS, ledger_quote_add(t, &q), "add it again -> EXISTS");
	TR(LEDGER_OK, ledger_quote_get(t, 0, "mint-1", &got), "get");
	T(got.lq_state == LEDGER_QUOTE_UNPAID && got.lq_amount == 2100 &&
	    strcmp(got.lq_request, q.lq_request) == 0 && got.lq_created > 0,
	    "get returns the quote");
	TR(LEDGER_NOTFOUND, ledger_quote_get(t, 1, "mint-1", &got),
	    "a mint quote's id is not a melt quote's -> NOTFOUND");
	TR(LEDGER_STATE, ledger_quote_cas(t, 0, "mint-1",
	    LEDGER_QUOTE_UNPAID, LEDGER_QUOTE_ISSUED, NULL),
	    "UNPAID -> ISSUED -> STATE");
	TR(LEDGER_STATE, ledger_quote_cas(t, 0, "mint-1", LEDGER_QUOTE_PAID,
	    LEDGER_QUOTE_ISSUED, NULL), "PAID -> ISSUED while UNPAID -> STATE");
	TR(LEDGER_OK, ledger_quote_cas(t, 0, "mint-1", LEDGER_QUOTE_UNPAID,
	    LEDGER_QUOTE_PAID, NULL), "UNPAID -> PAID");
	TR(LEDGER_STATE, ledger_quote_cas(t, 0, "mint-1",
	    LEDGER_QUOTE_UNPAID, LEDGER_QUOTE_PAID, NULL),
	    "UNPAID -> PAID again -> STATE");
	TR(LEDGER_OK, ledger_quote_cas(t, 0, "mint-1", LEDGER_QUOTE_PAID,
	    LEDGER_QUOTE_ISSUED, NULL), "PAID -> ISSUED");
	TR(LEDGER_STATE, ledger_quote_cas(t, 0, "mint-1", LEDGER_QUOTE_ISSUED,
	    LEDGER_QUOTE_PAID, NULL), "ISSUED -> PAID -> STATE");
	T(ledger_quote_get(t, 0, "mint-1", &got) == 0 &&
	    got.lq_state == LEDGER_QUOTE_ISSUED, "the quote is ISSUED");
	TR(LEDGER_NOTFOUND, ledger_quote_cas(t, 0, "nosuch",
	    LEDGER_QUOTE_UNPAID, LEDGER_QUOTE_PAID, NULL),
	    "CAS of an unknown quote -> NOTFOUND");
	TR(LEDGER_INVALID, ledger_quote_cas(t, 0, "mint-1",
	    LEDGER_QUOTE_UNPAID, LEDGER_QUOTE_PENDING, NULL),
	    "a mint quote has no PENDING -> INVALID");
	TR(LEDGER_INVALID, ledger_quote_cas(t, 0, "mint-1", 99,
	    LEDGER_QUOTE_PAID, NULL), "an unknown state -> INVALID");
	TR(LEDGER_INVALID, ledger_quote_cas(t, 0, "mint-1",
	    LEDGER_QUOTE_UNPAID, LEDGER_QUOTE_PAID, pre),
	    "a preimage for a mint quote -> INVALID");
	TR(LEDGER_INVALID, ledger_quote_cas(t, 2, "mint-1",
	    LEDGER_QUOTE_UNPAID, LEDGER_QUOTE_PAID, NULL),
	    "kind 2 -> INVALID");
	TR(LEDGER_INVALID, ledger_quote_get(t, 0, "", &got),
	    "an empty id -> INVALID");
	mkquote(&q, "", 0, 0);
	TR(LEDGER_INVALID, ledger_quote_add(t, &q), "add with an empty id "
	    "-> INVALID");
	mkquote(&q, "melt-bad", 1, 0);
	q.lq_state = LEDGER_QUOTE_ISSUED;
	TR(LEDGER_INVALID, ledger_quote_add(t, &q),
	    "a melt quote ISSUED -> INVALID");
	mkquote(&q, "melt-bad", 1, 0);
	memset(q.lq_request, 'l', sizeof(q.lq_request));
	TR(LEDGER_INVALID, ledger_quote_add(t, &q),
	    "an unterminated request -> INVALID");

	/* melt quote: UNPAID -> PENDING -> UNPAID -> PENDING -> PAID */
	mkquote(&q, "melt-1", 1, 0x5a);
	TR(LEDGER_OK, ledger_quote_add(t, &q), "add a melt quote");
	mkquote(&q, "mint-1", 1, 0x22);
	TR(LEDGER_OK, ledger_quote_add(t, &q),
	    "a melt quote may share a mint quote's id");
	TR(LEDGER_NOTFOUND, ledger_quote_by_hash(t, hash, &got),
	    "by_hash of an UNPAID melt -> NOTFOUND");
	TR(LEDGER_STATE, ledger_quote_cas(t, 1, "melt-1",
	    LEDGER_QUOTE_UNPAID, LEDGER_QUOTE_PAID, NULL),
	    "UNPAID -> PAID -> STATE");
	TR(LEDGER_OK, ledger_quote_cas(t, 1, "melt-1", LEDGER_QUOTE_UNPAID,
	    LEDGER_QUOTE_PENDING, NULL), "UNPAID -> PENDING");
	TR(LEDGER_OK, ledger_quote_by_hash(t, hash, &got), "by_hash");
	T(strcmp(got.lq_id, "melt-1") == 0 &&
	    got.lq_state == LEDGER_QUOTE_PENDING, "finds melt-1 PENDING");
	mkquote(&q, "melt-2", 1, 0x5a);
	TR(LEDGER_OK, ledger_quote_add(t, &q),
	    "a second melt quote for the same invoice");
	TR(LEDGER_EXISTS, ledger_quote_cas(t, 1, "melt-2",
	    LEDGER_QUOTE_UNPAID, LEDGER_QUOTE_PENDING, NULL),
	    "it cannot go PENDING while melt-1 is -> EXISTS");
	T(ledger_quote_get(t, 1, "melt-2", &got) == 0 &&
	    got.lq_state == LEDGER_QUOTE_UNPAID, "melt-2 still UNPAID");
	TR(LEDGER_OK, ledger_quote_cas(t, 1, "melt-1", LEDGER_QUOTE_PENDING,
	    LEDGER_QUOTE_UNPAID, NULL), "PENDING -> UNPAID (payment failed)");
	TR(LEDGER_NOTFOUND, ledger_quote_by_hash(t, hash, &got),
	    "by_hash -> NOTFOUND again");
	TR(LEDGER_OK, ledger_quote_cas(t, 1, "melt-2", LEDGER_QUOTE_UNPAID,
	    LEDGER_QUOTE_PENDING, NULL), "now melt-2 goes PENDING");
	TR(LEDGER_INVALID, ledger_quote_cas(t, 1, "melt-2",
	    LEDGER_QUOTE_PENDING, LEDGER_QUOTE_UNPAID, pre),
	    "a preimage when not going PAID -> INVALID");
	TR(LEDGER_OK, ledger_quote_cas(t, 1, "melt-2", LEDGER_QUOTE_PENDING,
	    LEDGER_QUOTE_PAID, pre), "PENDING -> PAID with the preimage");
	T(ledger_quote_get(t, 1, "melt-2", &got) == 0 &&
	    got.lq_state == LEDGER_QUOTE_PAID && got.lq_has_preimage &&
	    memcmp(got.lq_preimage, pre, 32) == 0, "PAID, preimage stored");
	TR(LEDGER_OK, ledger_quote_by_hash(t, hash, &got), "by_hash");
	T(strcmp(got.lq_id, "melt-2") == 0 &&
	    got.lq_state == LEDGER_QUOTE_PAID, "finds melt-2 PAID");
	TR(LEDGER_STATE, ledger_quote_cas(t, 1, "melt-2", LEDGER_QUOTE_PAID,
	    LEDGER_QUOTE_UNPAID, NULL), "PAID -> UNPAID -> STATE");
	TR(LEDGER_STATE, ledger_quote_cas(t, 1, "melt-1",
	    LEDGER_QUOTE_UNPAID, LEDGER_QUOTE_UNPAID, NULL),
	    "UNPAID -> UNPAID -> STATE");
	TR(LEDGER_EXISTS, ledger_quote_cas(t, 1, "melt-1",
	    LEDGER_QUOTE_UNPAID, LEDGER_QUOTE_PENDING, NULL),
	    "melt-1 cannot go PENDING on a paid invoice -> EXISTS");
	mkquote(&q, "melt-3", 1, 0x5a);
	q.lq_state = LEDGER_QUOTE_PENDING;
	TR(LEDGER_EXISTS, ledger_quote_add(t, &q),
	    "add PENDING for a paid invoice -> EXISTS");
	TR(LEDGER_NOTFOUND, ledger_quote_get(t, 1, "melt-3", &got),
	    "and it was not added");
	TR(LEDGER_OK, tcommit(t), "commit");
	T(audit(l, &rep, 1) == 0, "audit: 0 problems");
	ledger_close(l);
}

struct pwalk {
	int		 n;
	int		 stop;
	int		 ordered;
	uint8_t		 last[LEDGER_PROOF_KEY];
	size_t		 bytes;
};

static int
pwalk_cb(const struct ledger_proof_key *pk, const void *blob, size_t len,
    void *arg)
{
	struct pwalk	*w = arg;

	if (w->n > 0 && memcmp(w->last, pk, sizeof(*pk)) >= 0)
		w->ordered = 0;
	memcpy(w->last, pk, sizeof(*pk));
	if (len == 0 || ((const uint8_t *)blob)[0] != pk->lp_id[0])
		w->ordered = 0;
	w->bytes += len;
	w->n++;
	return (w->stop && w->n == w->stop);
}

static int
pwalk(struct ledger_txn *t, uint8_t m, const uint8_t *ks, int stop)
{
	struct pwalk	 w;
	uint8_t		 mint[32];

	memset(&w, 0, sizeof(w));
	w.ordered = 1;
	w.stop = stop;
	memset(mint, m, sizeof(mint));
	if (ledger_proof_walk(t, mint, ks, pwalk_cb, &w) != LEDGER_OK ||
	    !w.ordered)
		return (-1);
	return (w.n);
}

static void
mkpk(struct ledger_proof_key *pk, uint8_t m, uint8_t ks, uint8_t id)
{
	memset(pk, 0, sizeof(*pk));
	memset(pk->lp_mint, m, sizeof(pk->lp_mint));
	pk->lp_keyset[0] = 0x00;
	pk->lp_keyset[1] = ks;
	memset(pk->lp_id, id, sizeof(pk->lp_id));
}

static void
test_wallet(void)
{
	struct ledger		*l;
	struct ledger_txn	*t;
	struct ledger_proof_key	 pk;
	struct ledger_refund	 rf, got;
	uint8_t			 blob[LEDGER_BLOB_MAX + 1];
	uint8_t			 ks1[33], ks2[33];
	uint8_t			 tok[LEDGER_KEY_LEN];
	uint8_t			 tok9[LEDGER_KEY_LEN];
	uint64_t		 first;
	const char		*dir = newdir("wallet");
	char			 d[PATH_MAX];
	int			 i;

	strlcpy(d, dir, sizeof(d));
	if ((l = lopen(d)) == NULL)
		return;
	t = tbegin(l);
	/* mint 1: keyset 1 ids 3 2 1, keyset 2 ids 1 2; mint 2: keyset 1 */
	for (i = 3; i >= 1; i--) {
		mkpk(&pk, 1, 1, i);
		memset(blob, i, 100);
		TR(LEDGER_OK, ledger_proof_put(t, &pk, blob, 100),
		    "put proof m1 k1 #%d", i);
	}
	for (i = 1; i <= 2; i++) {
		mkpk(&pk, 1, 2, i);
		memset(blob, i, 50);
		TR(LEDGER_OK, ledger_proof_put(t, &pk, blob, 50),
		    "put proof m1 k2 #%d", i);
	}
	mkpk(&pk, 2, 1, 7);
	memset(blob, 7, LEDGER_BLOB_MAX);
	TR(LEDGER_OK, ledger_proof_put(t, &pk, blob, LEDGER_BLOB_MAX),
	    "put a proof of LEDGER_BLOB_MAX bytes");
	mkpk(&pk, 2, 1, 8);
	TR(LEDGER_INVALID, ledger_proof_put(t, &pk, blob, LEDGER_BLOB_MAX + 1),
	    "a proof of LEDGER_BLOB_MAX + 1 bytes -> INVALID");
	TR(LEDGER_INVALID, ledger_proof_put(t, &pk, blob, 0),
	    "a proof of 0 bytes -> INVALID");
	mkpk(&pk, 1, 1, 2);
	TR(LEDGER_EXISTS, ledger_proof_put(t, &pk, blob, 10),
	    "put over an existing proof -> EXISTS");
	memset(ks1, 0, sizeof(ks1));
	ks1[1] = 1;
	memset(ks2, 0, sizeof(ks2));
	ks2[1] = 2;
	T(pwalk(t, 1, NULL, 0) == 5, "walk mint 1: 5 proofs, in key order, "
	    "blobs intact");
	T(pwalk(t, 1, ks1, 0) == 3, "walk mint 1 keyset 1: 3 proofs");
	T(pwalk(t, 1, ks2, 0) == 2, "walk mint 1 keyset 2: 2 proofs");
	T(pwalk(t, 2, NULL, 0) == 1, "walk mint 2: 1 proof");
	T(pwalk(t, 3, NULL, 0) == 0, "walk mint 3: none");
	T(pwalk(t, 1, NULL, 2) == 2,
	    "a callback that returns 1 stops the walk");
	{
		struct pwalk	 w;
		uint8_t		 mint[32];

		memset(&w, 0, sizeof(w));
		memset(mint, 2, sizeof(mint));
		T(ledger_proof_walk(t, mint, NULL, pwalk_cb, &w) == 0 &&
		    w.bytes == LEDGER_BLOB_MAX, "the large blob comes back "
		    "whole");
	}
	mkpk(&pk, 1, 1, 2);
	TR(LEDGER_OK, ledger_proof_del(t, &pk), "delete a proof");
	TR(LEDGER_NOTFOUND, ledger_proof_del(t, &pk), "delete it again -> "
	    "NOTFOUND");
	T(pwalk(t, 1, ks1, 0) == 2, "walk mint 1 keyset 1: 2 proofs left");
	TR(LEDGER_INVALID, ledger_proof_walk(t, NULL, NULL, pwalk_cb, NULL),
	    "walk without a mint -> INVALID");

	/* counters */
	TR(LEDGER_OK, ledger_counter_advance(t, ks1, 8, 5, &first),
	    "advance keyset 1 by 5");
	T(first == 0, "a new counter starts at 0");
	TR(LEDGER_OK, ledger_counter_advance(t, ks1, 8, 3, &first),
	    "advance keyset 1 by 3");
	T(first == 5, "it continues at 5");
	TR(LEDGER_OK, ledger_counter_advance(t, ks2, 33, 1, &first),
	    "advance a 33-byte keyset id");
	T(first == 0, "each keyset has its own counter");
	TR(LEDGER_OVERFLOW, ledger_counter_advance(t, ks1, 8, UINT64_MAX,
	    &first), "advance past 2^64 -> OVERFLOW");
	TR(LEDGER_INVALID, ledger_counter_advance(t, ks1, 0, 1, &first),
	    "a keyset id of 0 bytes -> INVALID");
	TR(LEDGER_INVALID, ledger_counter_advance(t, ks1, 34, 1, &first),
	    "a keyset id of 34 bytes -> INVALID");

	/* refunds */
	memset(&rf, 0, sizeof(rf));
	mkkey(tok, 77);
	mkkey(tok9, 99);
	memcpy(rf.lr_token, tok, sizeof(tok));
	rf.lr_state = LEDGER_REFUND_INFLIGHT;
	rf.lr_paid = 5000;
	memset(rf.lr_reqid, 3, sizeof(rf.lr_reqid));
	TR(LEDGER_OK, ledger_refund_add(t, &rf), "add a refund record");
	TR(LEDGER_EXISTS, ledger_refund_add(t, &rf), "add it again -> EXISTS");
	rf.lr_bloblen = LEDGER_BLOB_MAX + 1;
	memcpy(rf.lr_token, tok9, sizeof(tok9));
	TR(LEDGER_INVALID, ledger_refund_add(t, &rf),
	    "a blob of LEDGER_BLOB_MAX + 1 -> INVALID");
	rf.lr_bloblen = 0;
	rf.lr_state = 9;
	TR(LEDGER_INVALID, ledger_refund_add(t, &rf), "state 9 -> INVALID");
	TR(LEDGER_NOTFOUND, ledger_refund_get(t, tok9, &got),
	    "get of an unknown token -> NOTFOUND");
	TR(LEDGER_OK, ledger_refund_get(t, tok, &got), "get");
	T(got.lr_state == LEDGER_REFUND_INFLIGHT && got.lr_paid == 5000 &&
	    got.lr_bloblen == 0 && got.lr_time > 0 && got.lr_reqid[0] == 3,
	    "get returns the record");
	TR(LEDGER_OK, ledger_refund_cas(t, tok, LEDGER_REFUND_INFLIGHT,
	    LEDGER_REFUND_READY, "cashuBchange", 12), "INFLIGHT -> READY with "
	    "the change");
	T(ledger_refund_get(t, tok, &got) == 0 &&
	    got.lr_state == LEDGER_REFUND_READY && got.lr_bloblen == 12 &&
	    memcmp(got.lr_blob, "cashuBchange", 12) == 0,
	    "READY, change stored");
	TR(LEDGER_STATE, ledger_refund_cas(t, tok, LEDGER_REFUND_INFLIGHT,
	    LEDGER_REFUND_TAKEN, NULL, 0), "CAS from the wrong state -> STATE");
	TR(LEDGER_INVALID, ledger_refund_cas(t, tok, LEDGER_REFUND_READY,
	    LEDGER_REFUND_TAKEN, blob, LEDGER_BLOB_MAX + 1),
	    "a blob of LEDGER_BLOB_MAX + 1 -> INVALID");
	TR(LEDGER_INVALID, ledger_refund_cas(t, tok, 0, LEDGER_REFUND_TAKEN,
	    NULL, 0), "state 0 -> INVALID");
	TR(LEDGER_NOTFOUND, ledger_refund_cas(t, tok9, LEDGER_REFUND_READY,
	    LEDGER_REFUND_TAKEN, NULL, 0), "CAS of an unknown token -> "
	    "NOTFOUND");
	TR(LEDGER_OK, ledger_refund_cas(t, tok, LEDGER_REFUND_READY,
	    LEDGER_REFUND_TAKEN, blob, LEDGER_BLOB_MAX),
	    "READY -> TAKEN replacing the blob with LEDGER_BLOB_MAX bytes");
	T(ledger_refund_get(t, tok, &got) == 0 &&
	    got.lr_state == LEDGER_REFUND_TAKEN &&
	    got.lr_bloblen == LEDGER_BLOB_MAX &&
	    memcmp(got.lr_blob, blob, LEDGER_BLOB_MAX) == 0,
	    "TAKEN, blob replaced");
	TR(LEDGER_OK, tcommit(t), "commit");
	ledger_close(l);

	/* the counters persist */
	if ((l = lopen(d)) == NULL)
		return;
	t = tbegin(l);
	TR(LEDGER_OK, ledger_counter_advance(t, ks1, 8, 0, &first),
	    "read keyset 1's counter after reopen");
	T(first == 8, "it is 8 after reopen");
	T(pwalk(t, 1, NULL, 0) == 4, "the proofs persist");
	TR(LEDGER_OK, tcommit(t), "commit");
	T(audit(l, NULL, 1) == 0, "audit: 0 problems");
	ledger_close(l);
}

static int
last_seq(const struct ledger_journal *j, void *arg)
{
	*(uint64_t *)arg = j->lj_seq;
	return (0);
}

static void
test_ids(void)
{
	struct ledger		*l;
	struct ledger_txn	*t;
	struct ledger_account	 a;
	uint8_t			 k[LEDGER_KEY_LEN];
	uint64_t		 id1, id2, id3, id4, s1, s2, s3;
	uint32_t		 epoch;
	const char		*dir = newdir("ids");
	char			 d[PATH_MAX];

	strlcpy(d, dir, sizeof(d));
	if ((l = lopen(d)) == NULL)
		return;
	mkacct(&a, 11, 1000000, MINT_A);
	memcpy(k, a.la_key, sizeof(k));
	t = tbegin(l);
	TR(LEDGER_OK, ledger_account_create(t, &a, NULL), "create");
	TR(LEDGER_OK, ledger_reserve(t, k, 10, 0, NULL, &id1), "reserve");
	TR(LEDGER_OK, ledger_settle(t, id1, 10, NULL, NULL, NULL), "settle");
	TR(LEDGER_OK, tcommit(t), "commit");
	t = tbegin(l);
	ledger_journal_walk(t, NULL, last_seq, &s1);
	ledger_abort(t);
	epoch = l->l_epoch;
	ledger_close(l);

	if ((l = lopen(d)) == NULL)
		return;
	T(l->l_epoch == epoch + 1, "each open takes the next epoch");
	t = tbegin(l);
	TR(LEDGER_OK, ledger_reserve(t, k, 10, 0, NULL, &id2), "reserve");
	TR(LEDGER_OK, ledger_settle(t, id2, 10, NULL, NULL, NULL), "settle");
	T(id2 > id1, "reservation ids increase across reopen");
	ledger_journal_walk(t, NULL, last_seq, &s2);
	T(s2 > s1, "journal sequence numbers increase across reopen");

	/* The in-memory counter runs out: a new epoch, still increasing. */
	l->l_seq = UINT32_MAX;
	TR(LEDGER_OK, ledger_reserve(t, k, 10, 0, NULL, &id3),
	    "reserve when the counter is used up");
	T(id3 > id2 && l->l_epoch == epoch + 2 && (id3 >> 32) == epoch + 2,
	    "the id comes from the next epoch");
	TR(LEDGER_OK, ledger_settle(t, id3, 10, NULL, NULL, NULL), "settle");
	ledger_journal_walk(t, NULL, last_seq, &s3);
	T(s3 > s2, "so does the journal's");
	TR(LEDGER_OK, tcommit(t), "commit");
	ledger_close(l);
	if ((l = lopen(d)) == NULL)
		return;
	T(l->l_epoch == epoch + 3, "the bumped epoch was durable");
	t = tbegin(l);
	TR(LEDGER_OK, ledger_reserve(t, k, 10, 0, NULL, &id4), "reserve");
	T(id4 > id3, "ids increase after that too");
	ledger_abort(t);
	T(audit(l, NULL, 1) == 0, "audit: 0 problems");
	ledger_close(l);
}

static void
test_release_all(void)
{
	struct ledger		*l;
	struct ledger_txn	*t;
	struct ledger_account	 a, b;
	struct ledger_report	 rep;
	uint8_t			 k[3][LEDGER_KEY_LEN];
	uint64_t		 id, n;
	int64_t			 now = time(NULL);
	uint64_t		 lsn;
	const char		*dir = newdir("release");
	char			 d[PATH_MAX];
	int			 i, j;

	strlcpy(d, dir, sizeof(d));
	if ((l = lopen(d)) == NULL)
		return;
	t = tbegin(l);
	for (i = 0; i < 3; i++) {
		mkacct(&a, 20 + i, 100000, i == 2 ? MINT_B : MINT_A);
		memcpy(k[i], a.la_key, LEDGER_KEY_LEN);
		TR(LEDGER_OK, ledger_account_create(t, &a, NULL), "create");
		for (j = 0; j < 10; j++)
			if (ledger_reserve(t, k[i], 1000, now + (j < 4 ?
			    -10 : 600), NULL, &id) != LEDGER_OK)
				T(0, "reserve");
	}
	TR(LEDGER_OK, tcommit(t), "commit 30 reservations");
	T(audit(l, &rep, 1) == 0 && rep.lr_reservations == 30 &&
	    rep.lr_ntotals == 2 && rep.lr_totals[0].lt_reserved == 20000 &&
	    rep.lr_totals[0].lt_balance == 200000 &&
	    rep.lr_totals[1].lt_reserved == 10000,
	    "audit: 30 reservations, totals per mint");

	T(disk_resv(l) == 0, "none of them on disk");

	/* Expiry: in memory only, undone with its transaction. */
	t = tbegin(l);
	TR(LEDGER_OK, ledger_expire(t, now, &n), "expire in a transaction "
	    "then aborted");
	T(n == 12 && reserved(l, k[0], NULL) == 6000, "it released 12");
	ledger_abort(t);
	T(reserved(l, k[0], &n) == 10000 && n == 10, "the abort put them "
	    "back");
	lsn = log_end(l);
	t = tbegin(l);
	TR(LEDGER_OK, ledger_expire(t, now, &n), "expire");
	T(n == 12, "expire released the 12 past their deadline");
	TR(LEDGER_OK, ledger_expire(t, now, &n), "expire again");
	T(n == 0, "nothing more to expire");
	TR(LEDGER_INVALID, ledger_expire(NULL, now, &n), "expire NULL -> "
	    "INVALID");
	T(ledger_account_get(t, k[0], &b) == 0 && b.la_reserved == 6000,
	    "6000 still reserved on the first account");
	TR(LEDGER_OK, tcommit(t), "commit");
	T(log_end(l) == lsn && disk_resv(l) == 0, "expiry wrote nothing to "
	    "the log");
	T(audit(l, &rep, 1) == 0 && rep.lr_reservations == 18 &&
	    rep.lr_totals[0].lt_reserved == 12000, "audit: 18 left");

	/* Everything released, balances intact. */
	t = tbegin(l);
	TR(LEDGER_OK, ledger_release_all(t, &n), "release all");
	T(n == 18, "release_all released the 18 left");
	TR(LEDGER_OK, tcommit(t), "commit");
	T(log_end(l) == lsn, "that wrote nothing either");

	/* Across a restart: none survives. */
	t = tbegin(l);
	TR(LEDGER_OK, ledger_reserve(t, k[1], 5000, now + 600, NULL, &id),
	    "reserve 5000");
	TR(LEDGER_OK, tcommit(t), "commit");
	ledger_close(l);
	if ((l = lopen(d)) == NULL)
		return;
	T(reserved(l, k[1], &n) == 0 && n == 0, "reopened: nothing reserved");
	t = tbegin(l);
	TR(LEDGER_NOTFOUND, ledger_settle(t, id, 1, NULL, NULL, NULL),
	    "the reservation of the last run -> NOTFOUND");
	TR(LEDGER_OK, ledger_release_all(t, &n), "release all at start");
	T(n == 0, "nothing to release");
	TR(LEDGER_OK, tcommit(t), "commit");
	for (i = 0; i < 3; i++) {
		t = tbegin(l);
		T(ledger_account_get(t, k[i], &b) == 0 &&
		    b.la_balance == 100000 && b.la_reserved == 0,
		    "account %d: balance intact, nothing reserved", i);
		ledger_abort(t);
		T(journal_ok(l, k[i]), "journal agrees");
	}
	T(audit(l, &rep, 1) == 0 && rep.lr_reservations == 0,
	    "audit: 0 problems, 0 reservations");
	ledger_close(l);
}

/* Change a stored record behind the ledger's back. */
static int
raw_put(struct ledger *l, int db, const void *k, size_t klen,
    const void *d, size_t dlen)
{
	struct ledger_txn	*t = tbegin(l);
	DBT			 key, data;
	int			 e;

	memset(&key, 0, sizeof(key));
	memset(&data, 0, sizeof(data));
	key.data = (void *)k;
	key.size = klen;
	data.data = (void *)d;
	data.size = dlen;
	e = l->l_db[db]->put(l->l_db[db], t->t_txn, &key, &data, 0);
	if (e != 0) {
		ledger_abort(t);
		return (-1);
	}
	return (ledger_commit(t) == LEDGER_OK ? 0 : -1);
}

struct lines {
	int	 n;
	char	 buf[4096];
};

static void
lines_cb(const char *line, void *arg)
{
	struct lines	*ls = arg;

	ls->n++;
	strlcat(ls->buf, line, sizeof(ls->buf));
	strlcat(ls->buf, "\n", sizeof(ls->buf));
	printf("#   audit: %s\n", line);
}

static void
test_audit_damage(void)
{
	struct ledger		*l;
	struct ledger_txn	*t;
	struct ledger_account	 a;
	struct ledger_report	 rep;
	struct rec_account	 ra;
	struct rec_spent	 rs;
	struct rec_pending	 rp;
	struct rec_reservation	 rr;
	struct resv		 rv;
	struct resv_sum		*ks, find;
	struct lines		 ls;
	yarr			 y[2];
	uint8_t			 k[LEDGER_KEY_LEN], k2[LEDGER_KEY_LEN];
	uint8_t			 rid[8];
	uint64_t		 id;

	if ((l = lopen(newdir("damage"))) == NULL)
		return;
	mkacct(&a, 30, 5000, MINT_A);
	memcpy(k, a.la_key, sizeof(k));
	mky(y[0], 500);
	mky(y[1], 501);
	t = tbegin(l);
	TR(LEDGER_OK, ledger_account_create(t, &a, NULL), "create");
	TR(LEDGER_OK, ledger_account_credit(t, k, 1000, LEDGER_R_TOPUP, NULL,
	    NULL), "credit");
	TR(LEDGER_OK, ledger_reserve(t, k, 700, 0, NULL, &id), "reserve");
	TR(LEDGER_OK, ys_spend(t, (const yarr *)y, 1, 0), "spend y");
	TR(LEDGER_OK, tcommit(t), "commit");
	T(audit(l, &rep, 1) == 0, "audit: 0 problems before the damage");

	/* an account with 1000 more than its journal */
	t = tbegin(l);
	T(ledger_getrec(t, LDB_ACCOUNTS, k, sizeof(k), &ra, sizeof(ra)) == 0,
	    "read the raw account");
	ledger_abort(t);
	ra.ra_a.la_balance += 1000;
	T(raw_put(l, LDB_ACCOUNTS, k, sizeof(k), &ra, sizeof(ra)) == 0,
	    "write it back with 1000 msat more");
	memset(&ls, 0, sizeof(ls));
	T(ledger_check(l, &rep, lines_cb, &ls) == LEDGER_OK &&
	    rep.lr_problems == 1 && ls.n == 1 &&
	    strstr(ls.buf, "balance 7000 but journal sums to 6000") != NULL,
	    "audit: balance 7000 but journal sums to 6000");

	/* a record that says reserved: only older versions wrote it */
	ra.ra_a.la_balance -= 1000;
	ra.ra_a.la_reserved = 300;
	T(raw_put(l, LDB_ACCOUNTS, k, sizeof(k), &ra, sizeof(ra)) == 0,
	    "reserved 300 in the record");
	memset(&ls, 0, sizeof(ls));
	T(ledger_check(l, &rep, lines_cb, &ls) == LEDGER_OK &&
	    rep.lr_problems == 1 && strstr(ls.buf, "reserved 300 in its "
	    "record, not 0") != NULL, "audit: la_reserved != 0 on disk");
	t = tbegin(l);
	T(ledger_account_get(t, k, &a) == LEDGER_OK && a.la_reserved == 700,
	    "the account says what memory holds, not its record");
	ledger_abort(t);
	ra.ra_a.la_reserved = 0;
	T(raw_put(l, LDB_ACCOUNTS, k, sizeof(k), &ra, sizeof(ra)) == 0,
	    "repaired");

	/* a reservation of an older version left on disk */
	memset(&rr, 0, sizeof(rr));
	rr.rr_version = LEDGER_REC_VERSION;
	memcpy(rr.rr_key, k, sizeof(k));
	rr.rr_amount = 5;
	ledger_be64enc(rid, 77);
	T(raw_put(l, LDB_RESERVATIONS, rid, sizeof(rid), &rr,
	    sizeof(rr)) == 0, "an old reservation on disk");
	memset(&ls, 0, sizeof(ls));
	T(ledger_check(l, &rep, lines_cb, &ls) == LEDGER_OK &&
	    rep.lr_problems == 1 && rep.lr_reservations == 1 &&
	    strstr(ls.buf, "reservations.db: 1 reservations of an older "
	    "version, not released") != NULL, "audit: reported, not counted "
	    "as open");
	T(raw_del(l, LDB_RESERVATIONS, rid, sizeof(rid)) == 0, "repaired");

	/* the in-memory sums off from the reservations, above the balance */
	memcpy(find.rs_key, k, sizeof(k));
	T((ks = RB_FIND(resv_sums, &l->l_rsums, &find)) != NULL &&
	    ks->rs_sum == 700 && ks->rs_n == 1, "memory: 700 in 1");
	ks->rs_sum = 9000;
	memset(&ls, 0, sizeof(ls));
	T(ledger_check(l, &rep, lines_cb, &ls) == LEDGER_OK &&
	    rep.lr_problems == 2 && strstr(ls.buf, "reserved 9000 above "
	    "balance 6000") != NULL && strstr(ls.buf, "reserved 9000 in 1 "
	    "reservations, but they sum to 700 in 1") != NULL,
	    "audit: both reported");
	ks->rs_sum = 700;
	l->l_nresv++;
	memset(&ls, 0, sizeof(ls));
	T(ledger_check(l, &rep, lines_cb, &ls) == LEDGER_OK &&
	    rep.lr_problems == 1 && strstr(ls.buf, "1 reservations in "
	    "memory, counted as 2") != NULL, "audit: the count is checked");
	l->l_nresv--;
	RB_REMOVE(resv_sums, &l->l_rsums, ks);
	memset(&ls, 0, sizeof(ls));
	T(ledger_check(l, &rep, lines_cb, &ls) == LEDGER_OK &&
	    rep.lr_problems == 1 && strstr(ls.buf, "1 reservations not in "
	    "its reserved sum") != NULL, "audit: a reservation outside the "
	    "sums");
	RB_INSERT(resv_sums, &l->l_rsums, ks);
	T(audit(l, &rep, 1) == 0, "repaired");

	/* a Y both spent and pending; a pending Y of a missing quote */
	memset(&rp, 0, sizeof(rp));
	rp.rp_version = LEDGER_REC_YS_VERSION;
	strlcpy(rp.rp_quote, "melt-gone", sizeof(rp.rp_quote));
	memcpy(rp.rp_v.rv_keyset, TKS, sizeof(TKS));
	rp.rp_v.rv_keyset_len = sizeof(TKS);
	rp.rp_v.rv_amount = TKS_AMOUNT;
	T(raw_put(l, LDB_PENDING, y[0], LEDGER_Y_LEN, &rp, sizeof(rp)) == 0 &&
	    raw_put(l, LDB_PENDING, y[1], LEDGER_Y_LEN, &rp, sizeof(rp)) == 0,
	    "pend a spent Y behind the ledger's back");
	memset(&ls, 0, sizeof(ls));
	T(ledger_check(l, &rep, lines_cb, &ls) == LEDGER_OK &&
	    strstr(ls.buf, "both spent and pending") != NULL &&
	    strstr(ls.buf, "melt quote melt-gone does not exist") != NULL &&
	    rep.lr_problems == 3, "audit: spent and pending, missing quotes");

	/* reservations and journal entries of an account that is gone */
	memset(&rs, 0, sizeof(rs));
	mkkey(k2, 31);
	ra.ra_a.la_key[0] ^= 1;
	memcpy(k2, ra.ra_a.la_key, sizeof(k2));
	T(raw_put(l, LDB_ACCOUNTS, k2, sizeof(k2), &ra, sizeof(ra)) == 0,
	    "copy the account under another key");
	memset(&ls, 0, sizeof(ls));
	T(ledger_check(l, &rep, lines_cb, &ls) == LEDGER_OK &&
	    strstr(ls.buf, "journal sums to 0") != NULL &&
	    rep.lr_accounts == 2, "audit: a copied account has no journal");

	/* an open reservation whose account is gone */
	memset(&rv, 0, sizeof(rv));
	rv.rv_id = 99;
	memset(rv.rv_key, 0xee, sizeof(rv.rv_key));
	rv.rv_amount = 10;
	t = tbegin(l);
	TR(LEDGER_OK, ledger_resv_add(t, &rv), "a reservation of no account, "
	    "in memory");
	memset(&ls, 0, sizeof(ls));
	T(ledger_check(l, &rep, lines_cb, &ls) == LEDGER_OK &&
	    strstr(ls.buf, "1 reservations of account eeeeeeee, which does "
	    "not exist") != NULL, "audit: reported");
	TR(LEDGER_DBERR, ledger_settle(t, 99, 1, NULL, NULL, NULL),
	    "its settle -> DBERR");
	T(ledger_resv_find(l, 99) != NULL, "the failed settle kept it");
	ledger_abort(t);
	T(ledger_resv_find(l, 99) == NULL, "the abort removed it");
	{
		uint32_t junk[3] = { 7, 7, 7 };

		T(raw_put(l, LDB_ACCOUNTS, k2, sizeof(k2), junk,
		    sizeof(junk)) == 0, "overwrite it with junk");
	}
	memset(&ls, 0, sizeof(ls));
	T(ledger_check(l, &rep, lines_cb, &ls) == LEDGER_OK &&
	    strstr(ls.buf, "accounts.db: a damaged record") != NULL,
	    "audit: a damaged record");
	t = tbegin(l);
	TR(LEDGER_DBERR, ledger_account_get(t, k2, &a),
	    "reading a damaged record -> DBERR");
	ledger_abort(t);
	ledger_close(l);
}

/*
 * Three reservations, then a batch that reserves, settles one and
 * releases another, whose commit fails: memory is as before the batch.
 */
static int
failed_commit(const char *d, const uint8_t *k, int64_t dl)
{
	struct ledger		*l;
	struct ledger_txn	*t, *c;
	uint64_t		 id[4], n;

	if (ledger_open(&l, d, 0) != 0)
		return (1);
	t = tbegin(l);
	if (ledger_reserve(t, k, 1000, dl, NULL, &id[0]) != 0 ||
	    ledger_reserve(t, k, 2000, dl, NULL, &id[1]) != 0 ||
	    ledger_reserve(t, k, 500, dl, NULL, &id[2]) != 0 ||
	    ledger_commit(t) != 0)
		return (2);
	t = tbegin(l);
	if (ledger_begin(NULL, t, &c) != 0 ||
	    ledger_reserve(c, k, 100, dl, NULL, &id[3]) != 0 ||
	    ledger_commit(c) != 0)
		return (3);
	if (ledger_begin(NULL, t, &c) != 0 ||
	    ledger_settle(c, id[0], 10, NULL, NULL, NULL) != 0 ||
	    ledger_release(c, id[1]) != 0 ||
	    ledger_commit(c) != 0)
		return (4);
	if (ledger_resv_reserved(l, k, &n) != 600 || n != 2)
		return (5);
	(void)l->l_env->set_flags(l->l_env, DB_PANIC_ENVIRONMENT, 1);
	if (ledger_commit(t) == LEDGER_OK)
		return (6);
	if (ledger_resv_reserved(l, k, &n) != 3500 || n != 3 ||
	    ledger_resv_find(l, id[3]) != NULL ||
	    ledger_resv_find(l, id[0]) == NULL ||
	    ledger_resv_find(l, id[1]) == NULL)
		return (7);
	return (0);
}

/*
 * The in-memory reservations follow the transactions: a child's abort
 * undoes its reserve, a child's commit hands it to the parent, whose
 * abort undoes it; a batch that settled, released, reserved and
 * expired, then aborted, leaves the table as it was; a failed settle
 * keeps its reservation; a top-level commit that fails undoes memory.
 */
static void
test_resv_txn(void)
{
	struct ledger		*l;
	struct ledger_txn	*t, *c;
	struct ledger_account	 a, b;
	struct rec_account	 ra, keep;
	struct resv		*rv;
	uint8_t			 k[LEDGER_KEY_LEN];
	uint64_t		 id, id1, id2, id3, id4, n, ch;
	int64_t			 dl = time(NULL) + 600;
	const char		*dir = newdir("resv-txn");
	char			 d[PATH_MAX];
	pid_t			 pid;
	int			 st;

	strlcpy(d, dir, sizeof(d));
	if ((l = lopen(d)) == NULL)
		return;
	mkacct(&a, 100, 10000, MINT_A);
	memcpy(k, a.la_key, sizeof(k));
	t = tbegin(l);
	TR(LEDGER_OK, ledger_account_create(t, &a, NULL), "create 10000");
	TR(LEDGER_OK, tcommit(t), "commit");

	/* A child reserves and aborts. */
	t = tbegin(l);
	TR(LEDGER_OK, ledger_begin(NULL, t, &c), "child");
	TR(LEDGER_OK, ledger_reserve(c, k, 3000, dl, NULL, &id),
	    "the child reserves 3000");
	T(ledger_account_get(c, k, &b) == 0 && b.la_reserved == 3000,
	    "the child sees it");
	ledger_abort(c);
	T(reserved(l, k, &n) == 0 && n == 0 && ledger_resv_find(l, id) ==
	    NULL, "the child's abort undid the reserve");
	T(ledger_account_get(t, k, &b) == 0 && b.la_reserved == 0,
	    "the parent sees nothing reserved");
	TR(LEDGER_NOTFOUND, ledger_settle(t, id, 1, NULL, NULL, NULL),
	    "its settle -> NOTFOUND");

	/* A child commits into a parent that aborts. */
	TR(LEDGER_OK, ledger_begin(NULL, t, &c), "child");
	TR(LEDGER_OK, ledger_reserve(c, k, 2000, dl, NULL, &id),
	    "the child reserves 2000");
	TR(LEDGER_OK, ledger_commit(c), "the child commits");
	T(reserved(l, k, &n) == 2000 && n == 1, "the parent holds it");
	ledger_abort(t);
	T(reserved(l, k, &n) == 0 && n == 0 && ledger_resv_find(l, id) ==
	    NULL, "the parent's abort undid it");

	/* Three reservations, committed. */
	t = tbegin(l);
	TR(LEDGER_OK, ledger_reserve(t, k, 1000, dl, NULL, &id1), "reserve");
	TR(LEDGER_OK, ledger_reserve(t, k, 2000, dl, NULL, &id2), "reserve");
	TR(LEDGER_OK, ledger_reserve(t, k, 500, dl, NULL, &id3), "reserve");
	TR(LEDGER_OK, tcommit(t), "commit");
	T(reserved(l, k, &n) == 3500 && n == 3, "3500 in 3 reservations");

	/* A batch settles, releases, reserves, expires; then aborts. */
	t = tbegin(l);
	TR(LEDGER_OK, ledger_begin(NULL, t, &c), "child");
	TR(LEDGER_OK, ledger_settle(c, id1, 800, NULL, &ch, &b), "settle 800");
	T(ch == 800 && b.la_reserved == 2500 && b.la_balance == 9200,
	    "the account after: 9200, 2500 reserved");
	TR(LEDGER_OK, ledger_commit(c), "commit the child");
	TR(LEDGER_OK, ledger_begin(NULL, t, &c), "child");
	TR(LEDGER_OK, ledger_release(c, id2), "release");
	TR(LEDGER_OK, ledger_commit(c), "commit the child");
	TR(LEDGER_OK, ledger_begin(NULL, t, &c), "child");
	TR(LEDGER_OK, ledger_reserve(c, k, 4000, dl, NULL, &id4),
	    "reserve 4000");
	TR(LEDGER_OK, ledger_commit(c), "commit the child");
	T(reserved(l, k, &n) == 4500 && n == 2, "4500 in 2");
	TR(LEDGER_OK, ledger_begin(NULL, t, &c), "child");
	TR(LEDGER_OK, ledger_expire(c, dl + 1, &n), "expire everything");
	T(n == 2, "it released 2");
	TR(LEDGER_OK, ledger_commit(c), "commit the child");
	T(reserved(l, k, &n) == 0 && n == 0 &&
	    RB_EMPTY(&l->l_rsums) && RB_EMPTY(&l->l_resv), "nothing left, "
	    "the sum entry freed");
	T(ledger_account_get(t, k, &b) == 0 && b.la_balance == 9200 &&
	    b.la_reserved == 0, "the batch sees 9200, nothing reserved");
	ledger_abort(t);
	T(reserved(l, k, &n) == 3500 && n == 3 && ledger_resv_find(l, id4) ==
	    NULL, "the batch's abort restored the 3 reservations and their "
	    "sum, without the new one");
	T((rv = ledger_resv_find(l, id1)) != NULL && rv->rv_amount == 1000 &&
	    rv->rv_deadline == dl && memcmp(rv->rv_key, k, sizeof(k)) == 0,
	    "the settled one is back as it was");
	T(ledger_resv_find(l, id2) != NULL && ledger_resv_find(l, id3) !=
	    NULL, "the released and the expired ones too");
	T(balance(l, k) == 10000 && journal_ok(l, k), "nothing was charged");
	T(audit(l, NULL, 1) == 0, "audit: 0 problems");

	/* A settle that fails (la_spent overflows) keeps its reservation. */
	t = tbegin(l);
	T(ledger_getrec(t, LDB_ACCOUNTS, k, sizeof(k), &keep,
	    sizeof(keep)) == 0, "read the raw account");
	ledger_abort(t);
	ra = keep;
	ra.ra_a.la_spent = UINT64_MAX - 10;
	T(raw_put(l, LDB_ACCOUNTS, k, sizeof(k), &ra, sizeof(ra)) == 0,
	    "spent near 2^64");
	t = tbegin(l);
	TR(LEDGER_OVERFLOW, ledger_settle(t, id1, 1000, NULL, NULL, NULL),
	    "settle -> OVERFLOW");
	T(ledger_resv_find(l, id1) != NULL && reserved(l, k, NULL) == 3500,
	    "the reservation is still open");
	ledger_abort(t);
	T(raw_put(l, LDB_ACCOUNTS, k, sizeof(k), &keep, sizeof(keep)) == 0,
	    "repaired");

	/*
	 * A top-level commit that fails, as on a failing disk: the
	 * environment panics.  In a child: Berkeley DB cannot free a
	 * panicked environment, which the leak checker would report.
	 */
	ledger_close(l);
	fflush(stdout);
	if ((pid = fork()) == 0)
		_exit(failed_commit(d, k, dl));
	waitpid(pid, &st, 0);
	T(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a failed top-level commit "
	    "undoes memory: the reserve gone, the settled and released ones "
	    "back (child status %d)", WIFEXITED(st) ? WEXITSTATUS(st) :
	    -WTERMSIG(st));
	if ((l = lopen(d)) == NULL)
		return;
	T(balance(l, k) == 10000 && journal_ok(l, k), "recovered: the "
	    "failed settle charged nothing");
	T(audit(l, NULL, 1) == 0, "audit: 0 problems");
	ledger_close(l);
}

/* A reservation as versions before 2 of this file wrote it. */
static int
old_resv(struct ledger_txn *t, uint64_t id, const uint8_t *key,
    uint64_t amount)
{
	struct rec_reservation	 rr;
	struct rec_account	 ra;
	uint8_t			 k[8];
	int			 r;

	memset(&rr, 0, sizeof(rr));
	rr.rr_version = LEDGER_REC_VERSION;
	memcpy(rr.rr_key, key, LEDGER_KEY_LEN);
	rr.rr_amount = amount;
	rr.rr_deadline = time(NULL) + 600;
	rr.rr_created = time(NULL);
	ledger_be64enc(k, id);
	if ((r = ledger_put(t, LDB_RESERVATIONS, k, sizeof(k), &rr,
	    sizeof(rr), DB_NOOVERWRITE)) != LEDGER_OK)
		return (r);
	if ((r = ledger_getrec(t, LDB_ACCOUNTS, key, LEDGER_KEY_LEN, &ra,
	    sizeof(ra))) != LEDGER_OK)
		return (r);
	ra.ra_a.la_reserved += amount;
	return (ledger_put(t, LDB_ACCOUNTS, key, LEDGER_KEY_LEN, &ra,
	    sizeof(ra), 0));
}

/*
 * A ledger of an older version, with reservations on disk: the audit
 * reports them, the release at start gives them back and deletes them,
 * then the ledger is as a new one.
 */
static void
test_resv_upgrade(void)
{
	struct ledger		*l;
	struct ledger_txn	*t;
	struct ledger_account	 a, b;
	struct ledger_report	 rep;
	struct rec_account	 ra;
	struct lines		 ls;
	uint8_t			 k[2][LEDGER_KEY_LEN];
	uint64_t		 n, id;
	const char		*dir = newdir("resv-upgrade");
	char			 d[PATH_MAX];
	int			 i;

	strlcpy(d, dir, sizeof(d));
	if ((l = lopen(d)) == NULL)
		return;
	t = tbegin(l);
	for (i = 0; i < 2; i++) {
		mkacct(&a, 110 + i, 10000, MINT_A);
		memcpy(k[i], a.la_key, LEDGER_KEY_LEN);
		TR(LEDGER_OK, ledger_account_create(t, &a, NULL), "create");
	}
	TR(LEDGER_OK, old_resv(t, 1ULL << 32 | 1, k[0], 1000), "old 1000");
	TR(LEDGER_OK, old_resv(t, 1ULL << 32 | 2, k[0], 2000), "old 2000");
	TR(LEDGER_OK, old_resv(t, 1ULL << 32 | 3, k[1], 300), "old 300");
	TR(LEDGER_OK, tcommit(t), "commit: a ledger of an older version");
	T(disk_resv(l) == 3 && disk_reserved(l, k[0]) == 3000,
	    "3 reservations on disk, 3000 in the first record");
	memset(&ls, 0, sizeof(ls));
	T(ledger_check(l, &rep, lines_cb, &ls) == LEDGER_OK &&
	    rep.lr_problems == 3 && rep.lr_reservations == 0 &&
	    strstr(ls.buf, "reservations.db: 3 reservations of an older "
	    "version") != NULL && strstr(ls.buf, "reserved 3000 in its "
	    "record, not 0") != NULL && strstr(ls.buf, "reserved 300 in its "
	    "record, not 0") != NULL, "audit: the leftovers reported");
	ledger_close(l);

	if ((l = lopen(d)) == NULL)
		return;
	t = tbegin(l);
	TR(LEDGER_OK, ledger_reserve(t, k[0], 100, 0, NULL, &id),
	    "a reservation in memory too");
	TR(LEDGER_OK, ledger_release_all(t, &n), "release all at start");
	T(n == 4, "it released the 3 on disk and the one in memory");
	TR(LEDGER_OK, tcommit(t), "commit");
	T(disk_resv(l) == 0 && disk_reserved(l, k[0]) == 0 &&
	    disk_reserved(l, k[1]) == 0 && reserved(l, k[0], NULL) == 0,
	    "the table is empty, the records say 0");
	for (i = 0; i < 2; i++) {
		t = tbegin(l);
		T(ledger_account_get(t, k[i], &b) == 0 &&
		    b.la_balance == 10000 && b.la_reserved == 0,
		    "account %d: balance intact, nothing reserved", i);
		ledger_abort(t);
		T(journal_ok(l, k[i]), "journal agrees");
	}
	T(audit(l, &rep, 1) == 0, "audit: 0 problems");
	t = tbegin(l);
	TR(LEDGER_OK, ledger_release_all(t, &n), "release all again");
	T(n == 0, "nothing left");
	TR(LEDGER_OK, tcommit(t), "commit");

	/* A damaged leftover: all or nothing, memory included. */
	t = tbegin(l);
	TR(LEDGER_OK, old_resv(t, 1ULL << 32 | 4, k[1], 300), "old 300");
	TR(LEDGER_OK, tcommit(t), "commit");
	t = tbegin(l);
	T(ledger_getrec(t, LDB_ACCOUNTS, k[1], LEDGER_KEY_LEN, &ra,
	    sizeof(ra)) == 0, "read the raw account");
	ledger_abort(t);
	ra.ra_a.la_reserved = 100;
	T(raw_put(l, LDB_ACCOUNTS, k[1], LEDGER_KEY_LEN, &ra, sizeof(ra)) ==
	    0, "its record holds less than the reservation");
	t = tbegin(l);
	TR(LEDGER_OK, ledger_reserve(t, k[0], 100, 0, NULL, &id),
	    "a reservation in memory");
	TR(LEDGER_DBERR, ledger_release_all(t, &n), "release all -> DBERR");
	T(ledger_resv_find(l, id) != NULL && reserved(l, k[0], NULL) == 100,
	    "the failed release kept the memory as it was");
	ledger_abort(t);
	T(disk_resv(l) == 1, "and the disk");
	ledger_close(l);
}

static int
raw_del(struct ledger *l, int db, const void *k, size_t klen)
{
	struct ledger_txn	*t = tbegin(l);
	DBT			 key;
	int			 e;

	memset(&key, 0, sizeof(key));
	key.data = (void *)k;
	key.size = klen;
	if ((e = l->l_db[db]->del(l->l_db[db], t->t_txn, &key, 0)) != 0) {
		ledger_abort(t);
		return (-1);
	}
	return (ledger_commit(t) == LEDGER_OK ? 0 : -1);
}

/* The totals of keyset id in one transaction of their own. */
static int
total(struct ledger *l, const uint8_t *id, size_t len,
    struct ledger_keyset_total *kt)
{
	struct ledger_txn	*t = tbegin(l);
	int			 r;

	r = ledger_keyset_total_get(t, id, len, kt);
	ledger_abort(t);
	return (r);
}

static int
totals_is(struct ledger *l, const uint8_t *id, size_t len, uint64_t issued,
    uint64_t nissued, uint64_t redeemed, uint64_t nredeemed)
{
	struct ledger_keyset_total	 kt;

	if (total(l, id, len, &kt) != LEDGER_OK)
		return (0);
	if (kt.kt_issued == issued && kt.kt_nissued == nissued &&
	    kt.kt_redeemed == redeemed && kt.kt_nredeemed == nredeemed)
		return (1);
	printf("#   totals: issued %llu/%llu redeemed %llu/%llu\n",
	    (unsigned long long)kt.kt_issued,
	    (unsigned long long)kt.kt_nissued,
	    (unsigned long long)kt.kt_redeemed,
	    (unsigned long long)kt.kt_nredeemed);
	return (0);
}

static void
mkissued(struct ledger_issued *li, unsigned int n, const uint8_t *ks,
    size_t kslen, uint64_t amount)
{
	memset(li, 0, sizeof(*li));
	mky(li->li_b, n);
	mky(li->li_c, n + 50000);
	memcpy(li->li_keyset, ks, kslen);
	li->li_keyset_len = kslen;
	li->li_amount = amount;
}

static void
mkinput(struct ledger_input *in, unsigned int n, const uint8_t *ks,
    size_t kslen, uint64_t amount)
{
	memset(in, 0, sizeof(*in));
	mky(in->lin_y, n);
	memcpy(in->lin_keyset, ks, kslen);
	in->lin_keyset_len = kslen;
	in->lin_amount = amount;
}

static int
count_totals(const struct ledger_keyset_total *kt, void *arg)
{
	(*(int *)arg)++;
	return (0);
}

/*
 * What the mint issued and redeemed per keyset: running totals that move
 * with the records, by batches of mixed keysets, not at all when the
 * batch fails, across a restart; the audit agrees.
 */
static void
test_totals(void)
{
	static const uint8_t	 KA[33] = { 0x01, 0xaa, 0xaa };
	static const uint8_t	 KB[8] = { 0x00, 0xbb, 0xbb };
	struct ledger		*l;
	struct ledger_txn	*t;
	struct ledger_issued	 li[5];
	struct ledger_input	 in[4];
	struct ledger_keyset_total kt;
	const char		*dir;
	int			 n;

	if ((l = lopen(dir = newdir("totals"))) == NULL)
		return;
	T(totals_is(l, KA, sizeof(KA), 0, 0, 0, 0), "no totals: all zero");
	mkissued(&li[0], 3000, KA, sizeof(KA), 1);
	mkissued(&li[1], 3001, KA, sizeof(KA), 4);
	mkissued(&li[2], 3002, KB, sizeof(KB), 32);
	mkissued(&li[3], 3003, KA, sizeof(KA), 64);
	mkissued(&li[4], 3004, KA, sizeof(KA), 2);
	t = tbegin(l);
	TR(LEDGER_OK, ledger_issued_add(t, li, 5),
	    "issue 5 outputs of two keysets, interleaved");
	TR(LEDGER_OK, tcommit(t), "commit");
	T(totals_is(l, KA, sizeof(KA), 71, 4, 0, 0) &&
	    totals_is(l, KB, sizeof(KB), 32, 1, 0, 0),
	    "issued: A 71 in 4, B 32 in 1");

	/* A batch that fails counts nothing. */
	mkissued(&li[0], 3010, KA, sizeof(KA), 128);
	mkissued(&li[1], 3000, KA, sizeof(KA), 1);	/* signed before */
	t = tbegin(l);
	TR(LEDGER_EXISTS, ledger_issued_add(t, li, 2),
	    "a batch with a B_ signed before -> EXISTS");
	TR(LEDGER_OK, tcommit(t), "commit");
	T(totals_is(l, KA, sizeof(KA), 71, 4, 0, 0),
	    "and A's totals did not move");

	mkinput(&in[0], 3100, KA, sizeof(KA), 4);
	mkinput(&in[1], 3101, KB, sizeof(KB), 32);
	mkinput(&in[2], 3102, KA, sizeof(KA), 1);
	t = tbegin(l);
	TR(LEDGER_OK, ledger_ys_spend(t, in, 3, 0), "spend 3 of two keysets");
	TR(LEDGER_OK, tcommit(t), "commit");
	T(totals_is(l, KA, sizeof(KA), 71, 4, 5, 2) &&
	    totals_is(l, KB, sizeof(KB), 32, 1, 32, 1),
	    "redeemed: A 5 in 2, B 32 in 1");
	mkinput(&in[3], 3103, KA, sizeof(KA), 64);
	t = tbegin(l);
	TR(LEDGER_SPENT, ledger_ys_spend(t, &in[2], 2, 0),
	    "a spend with a spent Y -> SPENT");
	TR(LEDGER_OK, tcommit(t), "commit");
	T(totals_is(l, KA, sizeof(KA), 71, 4, 5, 2),
	    "and the totals did not move");

	/* Pending counts nothing; spent from pending counts its value. */
	t = tbegin(l);
	TR(LEDGER_OK, ledger_ys_pend(t, &in[3], 1, "melt-t"), "pend 64");
	TR(LEDGER_OK, tcommit(t), "commit");
	T(totals_is(l, KA, sizeof(KA), 71, 4, 5, 2), "pending is not redeemed");
	in[3].lin_amount = 128;
	t = tbegin(l);
	TR(LEDGER_INVALID, ledger_ys_spend(t, &in[3], 1, 1),
	    "spent from pending with another amount -> INVALID");
	in[3].lin_amount = 64;
	in[3].lin_keyset[1] ^= 1;
	TR(LEDGER_INVALID, ledger_ys_spend(t, &in[3], 1, 1),
	    "spent from pending with another keyset -> INVALID");
	in[3].lin_keyset[1] ^= 1;
	TR(LEDGER_OK, ledger_ys_spend(t, &in[3], 1, 1),
	    "spent from pending with its value");
	TR(LEDGER_OK, tcommit(t), "commit");
	T(totals_is(l, KA, sizeof(KA), 71, 4, 69, 3), "A redeemed 69 in 3");

	/* Arguments. */
	t = tbegin(l);
	in[0].lin_keyset_len = 0;
	TR(LEDGER_INVALID, ledger_ys_spend(t, in, 1, 0),
	    "an input without keyset -> INVALID");
	in[0].lin_keyset_len = LEDGER_KEYSET_MAX + 1;
	TR(LEDGER_INVALID, ledger_ys_pend(t, in, 1, NULL),
	    "an input with a keyset of 34 bytes -> INVALID");
	TR(LEDGER_INVALID, ledger_keyset_total_get(t, KA, 0, &kt),
	    "totals of an empty id -> INVALID");
	n = 0;
	TR(LEDGER_OK, ledger_keyset_total_walk(t, count_totals, &n), "walk");
	T(n == 2, "two keysets have totals");
	ledger_abort(t);

	T(audit(l, NULL, 1) == 0, "audit: the totals agree with the records");
	ledger_close(l);
	if ((l = lopen(dir)) == NULL)
		return;
	T(totals_is(l, KA, sizeof(KA), 71, 4, 69, 3) &&
	    totals_is(l, KB, sizeof(KB), 32, 1, 32, 1),
	    "after a restart, the same totals");
	ledger_close(l);
}

/* Totals that do not match their records are the audit's to find. */
static void
test_totals_damage(void)
{
	static const uint8_t	 KA[33] = { 0x01, 0xda, 0xda };
	static const uint8_t	 KZ[8] = { 0x00, 0x22 };
	struct ledger		*l;
	struct ledger_txn	*t;
	struct ledger_issued	 li[2];
	struct ledger_input	 in[1];
	struct rec_total	 rt, good;
	struct ledger_report	 rep;
	struct lines		 ls;

	if ((l = lopen(newdir("totals-damage"))) == NULL)
		return;
	mkissued(&li[0], 4000, KA, sizeof(KA), 8);
	mkissued(&li[1], 4001, KA, sizeof(KA), 16);
	mkinput(&in[0], 4100, KA, sizeof(KA), 8);
	t = tbegin(l);
	TR(LEDGER_OK, ledger_issued_add(t, li, 2), "issue 24");
	TR(LEDGER_OK, ledger_ys_spend(t, in, 1, 0), "redeem 8");
	TR(LEDGER_OK, tcommit(t), "commit");
	T(audit(l, NULL, 1) == 0, "audit: 0 problems before the damage");
	t = tbegin(l);
	T(ledger_getrec(t, LDB_TOTALS, KA, sizeof(KA), &good,
	    sizeof(good)) == 0, "read the raw totals");
	ledger_abort(t);

	rt = good;
	rt.rt_issued += 1;
	T(raw_put(l, LDB_TOTALS, KA, sizeof(KA), &rt, sizeof(rt)) == 0,
	    "issued 1 more than the outputs");
	memset(&ls, 0, sizeof(ls));
	T(ledger_check(l, &rep, lines_cb, &ls) == LEDGER_OK && ls.n == 1 &&
	    strstr(ls.buf, "issued 25 in 2 outputs, but its outputs sum "
	    "to 24 in 2") != NULL, "audit: issued 25 but outputs sum to 24");
	rt = good;
	rt.rt_nredeemed = 5;
	T(raw_put(l, LDB_TOTALS, KA, sizeof(KA), &rt, sizeof(rt)) == 0,
	    "5 proofs redeemed, of 1");
	memset(&ls, 0, sizeof(ls));
	T(ledger_check(l, &rep, lines_cb, &ls) ==
	    LEDGER_OK && ls.n == 1 && strstr(ls.buf, "redeemed 8 in 5 proofs, "
	    "but its spent proofs sum to 8 in 1") != NULL,
	    "audit: redeemed in 5 proofs but 1 spent");
	T(raw_del(l, LDB_TOTALS, KA, sizeof(KA)) == 0, "delete the totals");
	memset(&ls, 0, sizeof(ls));
	T(ledger_check(l, &rep, lines_cb, &ls) ==
	    LEDGER_OK && ls.n == 1 && strstr(ls.buf, "outputs or spent proofs "
	    "but no totals") != NULL, "audit: records without totals");
	rt = good;
	T(raw_put(l, LDB_TOTALS, KA, sizeof(KA), &rt, sizeof(rt)) == 0 &&
	    raw_put(l, LDB_TOTALS, KZ, sizeof(KZ), &rt, sizeof(rt)) == 0,
	    "repaired, and totals of a keyset without records");
	memset(&ls, 0, sizeof(ls));
	T(ledger_check(l, &rep, lines_cb, &ls) ==
	    LEDGER_OK && ls.n == 2 && strstr(ls.buf, "keyset 0022") != NULL,
	    "audit: totals without records, issued and redeemed");
	T(raw_del(l, LDB_TOTALS, KZ, sizeof(KZ)) == 0 &&
	    raw_put(l, LDB_TOTALS, KA, sizeof(KA), "junk", 4) == 0,
	    "a damaged totals record");
	memset(&ls, 0, sizeof(ls));
	T(ledger_check(l, &rep, lines_cb, &ls) ==
	    LEDGER_OK && strstr(ls.buf, "totals.db: a damaged record") !=
	    NULL, "audit: a damaged totals record");

	/* Totals at the edge of 64 bits: the batch fails whole. */
	rt = good;
	rt.rt_issued = UINT64_MAX - 10;
	T(raw_put(l, LDB_TOTALS, KA, sizeof(KA), &rt, sizeof(rt)) == 0,
	    "issued 2^64 - 11");
	mkissued(&li[0], 4002, KA, sizeof(KA), 16);
	t = tbegin(l);
	TR(LEDGER_OVERFLOW, ledger_issued_add(t, li, 1),
	    "16 more -> OVERFLOW");
	{
		struct ledger_issued	 got;

		TR(LEDGER_NOTFOUND, ledger_issued_get(t, li[0].li_b, &got),
		    "and the output was not recorded");
	}
	TR(LEDGER_OK, tcommit(t), "commit");
	ledger_close(l);
}

static void
mkks(struct ledger_keyset *k, uint8_t tag, const char *unit, uint32_t index,
    int active)
{
	memset(k, 0, sizeof(*k));
	k->lk_id[0] = 0x01;
	k->lk_id[1] = tag;
	k->lk_idlen = 33;
	strlcpy(k->lk_unit, unit, sizeof(k->lk_unit));
	k->lk_index = index;
	k->lk_version = 1;
	k->lk_fee_ppk = 100;
	k->lk_active = active;
	k->lk_created = 1700000000 + index;
}

struct kswalk {
	int	 n;
	char	 act[16];	/* tag, active: "a1b1c0" */
};

static int
kswalk_cb(const struct ledger_keyset *k, void *arg)
{
	struct kswalk	*w = arg;
	size_t		 len = strlen(w->act);

	if (len + 3 < sizeof(w->act))
		(void)snprintf(w->act + len, sizeof(w->act) - len, "%c%d",
		    k->lk_id[1], k->lk_active);
	w->n++;
	return (0);
}

static const char *
keysets(struct ledger *l)
{
	static struct kswalk	 w;
	struct ledger_txn	*t = tbegin(l);

	memset(&w, 0, sizeof(w));
	if (ledger_keyset_walk(t, kswalk_cb, &w) != LEDGER_OK)
		(void)strlcpy(w.act, "error", sizeof(w.act));
	ledger_abort(t);
	return (w.act);
}

/* Rotation: one active keyset per unit, in one transaction, durable. */
static void
test_rotate(void)
{
	struct ledger		*l;
	struct ledger_txn	*t;
	struct ledger_keyset	 a, b, c, d;
	const char		*dir;

	if ((l = lopen(dir = newdir("rotate"))) == NULL)
		return;
	mkks(&a, 'a', "sat", 0, 1);
	mkks(&b, 'b', "usd", 0, 1);
	mkks(&c, 'c', "sat", 1, 1);
	mkks(&d, 'd', "sat", 2, 1);
	t = tbegin(l);
	TR(LEDGER_OK, ledger_keyset_put(t, &a), "put a (sat)");
	TR(LEDGER_OK, ledger_keyset_put(t, &b), "put b (usd)");
	TR(LEDGER_OK, tcommit(t), "commit");
	T(strcmp(keysets(l), "a1b1") == 0, "a and b active");
	t = tbegin(l);
	TR(LEDGER_OK, ledger_keyset_rotate(t, &c), "rotate sat to c");
	TR(LEDGER_OK, tcommit(t), "commit");
	T(strcmp(keysets(l), "a0b1c1") == 0,
	    "a inactive, c active, b (another unit) untouched");
	t = tbegin(l);
	TR(LEDGER_EXISTS, ledger_keyset_rotate(t, &a),
	    "rotate to a keyset that exists -> EXISTS");
	c.lk_active = 0;
	TR(LEDGER_INVALID, ledger_keyset_rotate(t, &c),
	    "rotate to an inactive keyset -> INVALID");
	TR(LEDGER_INVALID, ledger_keyset_rotate(t, NULL), "NULL -> INVALID");
	TR(LEDGER_OK, tcommit(t), "commit");
	T(strcmp(keysets(l), "a0b1c1") == 0, "nothing changed");
	t = tbegin(l);
	TR(LEDGER_OK, ledger_keyset_rotate(t, &d), "rotate sat to d");
	ledger_abort(t);
	T(strcmp(keysets(l), "a0b1c1") == 0, "an aborted rotation is no "
	    "rotation");
	t = tbegin(l);
	TR(LEDGER_OK, ledger_keyset_rotate(t, &d), "rotate sat to d");
	TR(LEDGER_OK, tcommit(t), "commit");
	ledger_close(l);
	if ((l = lopen(dir)) == NULL)
		return;
	T(strcmp(keysets(l), "a0b1c0d1") == 0,
	    "after a restart: d the only active sat keyset");
	ledger_close(l);
}

/*
 * A ledger of format 1: spent and pending Ys without a value, no
 * totals.  Opened, it becomes format 2 with totals made from its
 * records, and its old Ys still work.
 */
static void
test_upgrade(void)
{
	static const uint8_t	 KA[33] = { 0x01, 0x0d, 0x0d };
	struct ledger		*l;
	struct ledger_txn	*t;
	struct ledger_issued	 li[2];
	struct ledger_input	 in[2];
	struct ledger_report	 rep;
	struct rec_spent	 rs;
	struct rec_pending	 rp;
	uint32_t		 meta[2];
	const char		*dir;

	if ((l = lopen(dir = newdir("upgrade"))) == NULL)
		return;
	mkissued(&li[0], 5000, KA, sizeof(KA), 2);
	mkissued(&li[1], 5001, KA, sizeof(KA), 8);
	mkinput(&in[0], 5100, KA, sizeof(KA), 2);
	mkinput(&in[1], 5101, KA, sizeof(KA), 8);
	t = tbegin(l);
	TR(LEDGER_OK, ledger_issued_add(t, li, 2), "issue 10");
	TR(LEDGER_OK, tcommit(t), "commit");
	/* Made old by hand: format 1, no totals, Ys of version 1. */
	memset(&rs, 0, sizeof(rs));
	rs.rs_version = LEDGER_REC_VERSION;
	rs.rs_time = 1700000000;
	memset(&rp, 0, sizeof(rp));
	rp.rp_version = LEDGER_REC_VERSION;
	meta[0] = LEDGER_REC_VERSION;
	meta[1] = 1;
	T(raw_put(l, LDB_SPENT, in[0].lin_y, LEDGER_Y_LEN, &rs,
	    REC_SPENT_V1) == 0 && raw_put(l, LDB_PENDING, in[1].lin_y,
	    LEDGER_Y_LEN, &rp, REC_PENDING_V1) == 0 &&
	    raw_del(l, LDB_TOTALS, KA, sizeof(KA)) == 0 &&
	    raw_put(l, LDB_META, "format", 6, meta, sizeof(meta)) == 0,
	    "a ledger of format 1");
	ledger_close(l);

	if ((l = lopen(dir)) == NULL) {
		T(0, "a format 1 ledger opens");
		return;
	}
	T(totals_is(l, KA, sizeof(KA), 10, 2, 0, 0),
	    "upgraded: the issued totals from the outputs, nothing redeemed "
	    "(the old spent Y has no value)");
	T(audit(l, &rep, 1) == 0 && rep.lr_spent == 1 && rep.lr_pending == 1,
	    "audit: old records are not damaged ones");
	t = tbegin(l);
	TR(LEDGER_OK, ledger_ys_spend(t, &in[1], 1, 1),
	    "an old pending Y is spent with the value given");
	TR(LEDGER_OK, tcommit(t), "commit");
	T(totals_is(l, KA, sizeof(KA), 10, 2, 8, 1), "and redeemed counts it");
	T(audit(l, NULL, 1) == 0, "audit: 0 problems");
	t = tbegin(l);
	T(ledger_getrec(t, LDB_META, "format", 6, meta, sizeof(meta)) == 0 &&
	    meta[1] == LEDGER_FORMAT, "the format is now 2");
	ledger_abort(t);
	ledger_close(l);
	if ((l = lopen(dir)) == NULL)
		return;
	T(totals_is(l, KA, sizeof(KA), 10, 2, 8, 1),
	    "reopened: not upgraded twice");
	ledger_close(l);
}

/* A transaction never committed is gone after a crash. */
static void
test_uncommitted(void)
{
	struct ledger		*l;
	struct ledger_txn	*t;
	struct ledger_account	 a;
	uint8_t			 k[LEDGER_KEY_LEN];
	const char		*dir = newdir("uncommitted");
	char			 d[PATH_MAX];
	pid_t			 pid;
	int			 st;

	strlcpy(d, dir, sizeof(d));
	mkacct(&a, 40, 100, MINT_A);
	memcpy(k, a.la_key, sizeof(k));
	fflush(stdout);
	if ((pid = fork()) == 0) {
		if (ledger_open(&l, d, 0) != 0)
			_exit(1);
		t = tbegin(l);
		if (ledger_account_create(t, &a, NULL) != 0 ||
		    ledger_commit(t) != 0)
			_exit(2);
		t = tbegin(l);
		if (ledger_account_credit(t, k, 5000, LEDGER_R_TOPUP, NULL,
		    NULL) != 0)
			_exit(3);
		/* The uncommitted change is in the log on disk. */
		if (l->l_env->log_flush(l->l_env, NULL) != 0)
			_exit(4);
		kill(getpid(), SIGKILL);
		_exit(5);
	}
	waitpid(pid, &st, 0);
	T(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	    "the child died with a transaction open");
	if ((l = lopen(d)) == NULL)
		return;
	T(balance(l, k) == 100, "after recovery: the committed create is "
	    "there, the uncommitted credit is not");
	T(journal_ok(l, k) && audit(l, NULL, 1) == 0, "audit: 0 problems");
	ledger_close(l);
}

/*
 * kill -9 at random moments of a loop of commits: each commit credits
 * 1000, spends a fresh Y and stores a proof, then reports its number
 * through the pipe.  After recovery, every reported commit is there,
 * whole, and at most the one in flight more.
 */
static void
kill_child(const char *d, int fd, uint64_t start)
{
	struct ledger		*l;
	struct ledger_txn	*t;
	struct ledger_proof_key	 pk;
	uint8_t			 k[LEDGER_KEY_LEN], y[1][LEDGER_Y_LEN];
	uint8_t			 blob[200];
	uint64_t		 n;

	if (ledger_open(&l, d, 0) != 0)
		_exit(1);
	mkkey(k, 50);
	memset(blob, 0xcc, sizeof(blob));
	for (n = start + 1;; n++) {
		t = tbegin(l);
		mky(y[0], (unsigned int)n + 10000);
		mkpk(&pk, 9, 1, 0);
		memcpy(pk.lp_id, &n, sizeof(n));
		blob[0] = pk.lp_id[0];
		if (ledger_account_credit(t, k, 1000, LEDGER_R_TOPUP, NULL,
		    NULL) != 0 ||
		    ys_spend(t, (const yarr *)y, 1, 0) != 0 ||
		    ledger_proof_put(t, &pk, blob, sizeof(blob)) != 0 ||
		    ledger_commit(t) != 0)
			_exit(2);
		if (write(fd, &n, sizeof(n)) != sizeof(n))
			_exit(3);
		if (n % 50 == 0 && ledger_checkpoint(l) != 0)
			_exit(4);
	}
}

static void
test_kill(void)
{
	struct ledger		*l;
	struct ledger_txn	*t;
	struct ledger_account	 a;
	struct ledger_report	 rep;
	uint8_t			 k[LEDGER_KEY_LEN];
	uint64_t		 reported = 0, v, have, total = 0;
	const char		*dir = newdir("kill");
	char			 d[PATH_MAX];
	pid_t			 pid;
	int			 p[2], round, st, ok = 1, killed = 0;
	int			 nproofs;

	strlcpy(d, dir, sizeof(d));
	if ((l = lopen(d)) == NULL)
		return;
	mkacct(&a, 50, 0, MINT_A);
	memcpy(k, a.la_key, sizeof(k));
	t = tbegin(l);
	TR(LEDGER_OK, ledger_account_create(t, &a, NULL), "create");
	TR(LEDGER_OK, tcommit(t), "commit");
	ledger_close(l);
	srandom(getpid());

	for (round = 0; round < 20; round++) {
		if (pipe(p) == -1)
			break;
		fflush(stdout);
		if ((pid = fork()) == 0) {
			close(p[0]);
			kill_child(d, p[1], total);
		}
		close(p[1]);
		usleep(20000 + random() % 80000);
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
			killed++;
		else
			printf("# round %d: the child ended with status %d\n",
			    round, st);
		while (read(p[0], &v, sizeof(v)) == sizeof(v))
			reported = v;
		close(p[0]);

		if ((l = lopen(d)) == NULL) {
			ok = 0;
			break;
		}
		have = balance(l, k) / 1000;
		t = tbegin(l);
		nproofs = pwalk(t, 9, NULL, 0);
		ledger_abort(t);
		if (have < reported || have > reported + 1 ||
		    (uint64_t)nproofs != have || audit(l, &rep, 1) != 0 ||
		    rep.lr_spent != have || !journal_ok(l, k)) {
			printf("# round %d: reported %llu, balance says %llu, "
			    "%d proofs, %llu spent\n", round,
			    (unsigned long long)reported,
			    (unsigned long long)have, nproofs,
			    (unsigned long long)rep.lr_spent);
			ok = 0;
		}
		total = reported = have;
		ledger_close(l);
	}
	T(killed == 20, "20 children killed with SIGKILL while committing");
	T(ok && total > 0, "after each recovery: every reported commit "
	    "present and whole, audit 0 problems (%llu commits)",
	    (unsigned long long)total);
}

struct bk {
	char		 dir[PATH_MAX];
	char		 cur[64];
	int		 fd;
	int		 files;
	int		 fail;		/* 1: open fails, 2: write */
	int		 mid;		/* commit amid accounts.db */
	struct ledger	*l;
	uint8_t		 k[LEDGER_KEY_LEN];
	int		 midok;
	char		 names[1024];
};

static int
bk_open(const char *name, void *arg)
{
	struct bk	*b = arg;
	char		 path[PATH_MAX];

	if (b->fail == 1)
		return (-1);
	strlcpy(b->cur, name, sizeof(b->cur));
	strlcat(b->names, name, sizeof(b->names));
	strlcat(b->names, " ", sizeof(b->names));
	if (snprintf(path, sizeof(path), "%s/%s", b->dir, name) >=
	    (int)sizeof(path))
		return (-1);
	if ((b->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		return (-1);
	b->files++;
	return (0);
}

static int
bk_write(uint64_t off, const void *buf, size_t len, void *arg)
{
	struct bk		*b = arg;
	struct ledger_txn	*t;

	if (b->fail == 2)
		return (-1);
	if (pwrite(b->fd, buf, len, off) != (ssize_t)len)
		return (-1);
	/* A commit while the copy is under way. */
	if (b->mid && strcmp(b->cur, "accounts.db") == 0) {
		b->mid = 0;
		if (ledger_begin(b->l, NULL, &t) == LEDGER_OK &&
		    ledger_account_credit(t, b->k, 777, LEDGER_R_TOPUP, NULL,
		    NULL) == LEDGER_OK && ledger_commit(t) == LEDGER_OK)
			b->midok = 1;
	}
	return (0);
}

static int
bk_close(const char *name, void *arg)
{
	struct bk	*b = arg;
	int		 r;

	r = fsync(b->fd);
	if (close(b->fd) == -1)
		r = -1;
	b->fd = -1;
	return (r == 0 ? 0 : -1);
}

static uint64_t
journal_count(struct ledger *l)
{
	struct ledger_txn	*t = tbegin(l);
	struct jacc		 ja;

	memset(&ja, 0, sizeof(ja));
	ledger_journal_walk(t, NULL, jacc_cb, &ja);
	ledger_abort(t);
	return (ja.n);
}

static void
test_backup(void)
{
	struct ledger		*l, *c;
	struct ledger_txn	*t;
	struct ledger_account	 a;
	struct ledger_report	 r1, r2;
	struct ledger_backup_cb	 cb;
	struct bk		 b;
	uint8_t			 k[5][LEDGER_KEY_LEN];
	uint64_t		 id, sent;
	const char		*src = newdir("backup-src");
	char			 s[PATH_MAX];
	int			 i, j, same;

	strlcpy(s, src, sizeof(s));
	memset(&b, 0, sizeof(b));
	strlcpy(b.dir, newdir("backup-copy"), sizeof(b.dir));
	if ((l = lopen(s)) == NULL)
		return;
	for (i = 0; i < 5; i++) {
		t = tbegin(l);
		mkacct(&a, 60 + i, 1000 * (i + 1), i < 3 ? MINT_A : MINT_B);
		memcpy(k[i], a.la_key, LEDGER_KEY_LEN);
		TR(LEDGER_OK, ledger_account_create(t, &a, NULL), "create");
		for (j = 0; j < 50; j++)
			(void)ledger_account_credit(t, k[i], 10,
			    LEDGER_R_TOPUP, NULL, NULL);
		TR(LEDGER_OK, ledger_reserve(t, k[i], 100, 0, NULL, &id),
		    "reserve");
		TR(LEDGER_OK, tcommit(t), "commit");
	}
	TR(LEDGER_OK, ledger_checkpoint(l), "checkpoint");
	t = tbegin(l);
	TR(LEDGER_OK, ledger_account_credit(t, k[0], 5, LEDGER_R_TOPUP, NULL,
	    NULL), "a credit only in the log");
	TR(LEDGER_OK, tcommit(t), "commit");

	cb.lb_open = bk_open;
	cb.lb_write = bk_write;
	cb.lb_close = bk_close;
	cb.lb_arg = &b;
	TR(LEDGER_INVALID, ledger_backup(l, NULL), "backup without "
	    "callbacks -> INVALID");
	b.fail = 1;
	TR(LEDGER_DBERR, ledger_backup(l, &cb), "backup whose open fails "
	    "-> DBERR");
	b.fail = 2;
	TR(LEDGER_DBERR, ledger_backup(l, &cb), "backup whose write fails "
	    "-> DBERR");
	b.fail = 0;
	b.files = 0;
	b.names[0] = '\0';
	b.mid = 1;
	b.l = l;
	memcpy(b.k, k[1], LEDGER_KEY_LEN);
	TR(LEDGER_OK, ledger_backup(l, &cb), "backup");
	T(b.midok, "a transaction committed while accounts.db was copied");
	printf("# backup copied: %s\n", b.names);
	T(b.files >= LDB_MAX + 1 && strstr(b.names, "accounts.db ") != NULL &&
	    strstr(b.names, "refunds.db ") != NULL &&
	    strstr(b.names, "log.0000000001 ") != NULL &&
	    strstr(b.names, LEDGER_LOCKFILE) == NULL,
	    "the copy has every table and the log, not the lock file "
	    "(%d files)", b.files);
	sent = balance(l, k[1]);
	T(audit(l, &r1, 1) == 0, "audit of the source: 0 problems");

	if ((c = lopen(b.dir)) == NULL) {
		T(0, "the copy opens");
		ledger_close(l);
		return;
	}
	T(1, "the copy opens, with recovery");
	same = 1;
	for (i = 0; i < 5; i++)
		if (balance(l, k[i]) != balance(c, k[i]))
			same = 0;
	T(same, "the copy has the same balances");
	T(balance(c, k[1]) == sent && sent == 2000 + 500 + 777,
	    "the credit committed during the copy is in it");
	T(balance(c, k[0]) == 1000 + 500 + 5, "the credit only in the log "
	    "is in it");
	T(journal_count(c) == journal_count(l), "the same journal");
	T(r1.lr_reservations == 5 && r1.lr_totals[0].lt_reserved == 300,
	    "the source has 5 reservations open");
	T(audit(c, &r2, 1) == 0 && r2.lr_accounts == 5 &&
	    r2.lr_reservations == 0 && r2.lr_ntotals == 2 &&
	    r2.lr_totals[0].lt_reserved == 0 &&
	    r2.lr_totals[0].lt_balance == r1.lr_totals[0].lt_balance &&
	    r2.lr_totals[1].lt_balance == r1.lr_totals[1].lt_balance,
	    "audit of the copy: 0 problems, the same totals, no "
	    "reservation (they are not written)");
	ledger_close(c);
	ledger_close(l);
}

/*
 * A full disk, as root: a 4 MB tmpfs in a mount namespace of a child.
 * Commits fill it until one fails with LEDGER_NOSPACE; after the
 * operator made room, the ledger recovers with every commit that was
 * reported and nothing of the one that failed.
 */
static int
nospace_child(const char *d, int fd)
{
	struct ledger		*l;
	struct ledger_txn	*t;
	struct ledger_account	 a;
	struct ledger_proof_key	 pk;
	char			 msg[256];
	uint8_t			 k[LEDGER_KEY_LEN], blob[8000];
	uint64_t		 id, n;
	const char		*op = "?";
	int			 i, r = 0, nproofs;

	alarm(60);
	if (unshare(CLONE_NEWNS) == -1 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1 ||
	    mount("tmpfs", d, "tmpfs", 0, "size=4m,mode=0700") == -1)
		return (77);
	if (ledger_open(&l, d, 0) != 0)
		return (10);
	mkacct(&a, 70, 0, MINT_A);
	memcpy(k, a.la_key, sizeof(k));
	t = tbegin(l);
	if (ledger_account_create(t, &a, NULL) != 0 || ledger_commit(t) != 0)
		return (10);
	memset(blob, 0x3c, sizeof(blob));
	for (i = 0; i < 5000; i++) {
		if ((r = ledger_begin(l, NULL, &t)) != 0) {
			op = "begin";
			break;
		}
		mkpk(&pk, 4, 1, 0);
		memcpy(pk.lp_id, &i, sizeof(i));
		blob[0] = pk.lp_id[0];
		if ((r = ledger_account_credit(t, k, 1000, LEDGER_R_TOPUP,
		    NULL, NULL)) != 0)
			op = "credit";
		else if ((r = ledger_reserve(t, k, 1, 0, NULL, &id)) != 0)
			op = "reserve";
		else if ((r = ledger_proof_put(t, &pk, blob,
		    sizeof(blob))) != 0)
			op = "proof_put";
		if (r != 0) {
			ledger_abort(t);
			break;
		}
		if ((r = ledger_commit(t)) != 0) {
			op = "commit";
			break;
		}
	}
	snprintf(msg, sizeof(msg), "%d commits, then %s failed: %s", i, op,
	    ledger_strerror(r));
	if (write(fd, msg, strlen(msg)) == -1)
		return (19);
	if (r == 0)
		return (11);
	if (r != LEDGER_NOSPACE)
		return (12);
	/* The failed commit took its reservation with it. */
	if (ledger_resv_reserved(l, k, &n) != (uint64_t)i || n != (uint64_t)i)
		return (22);
	/* Still full: the next request fails the same way. */
	t = tbegin(l);
	r = ledger_account_credit(t, k, 1000, LEDGER_R_TOPUP, NULL, NULL);
	if (r == 0)
		r = ledger_commit(t);
	else
		ledger_abort(t);
	snprintf(msg, sizeof(msg), "; the next commit: %s",
	    ledger_strerror(r));
	if (write(fd, msg, strlen(msg)) == -1)
		return (19);
	if (r != LEDGER_NOSPACE)
		return (20);
	/* Room again, same process. */
	if (mount("tmpfs", d, "tmpfs", MS_REMOUNT, "size=64m,mode=0700") == -1)
		return (13);
	t = tbegin(l);
	r = ledger_account_credit(t, k, 1000, LEDGER_R_TOPUP, NULL, NULL);
	if (r == 0)
		r = ledger_commit(t);
	else
		ledger_abort(t);
	snprintf(msg, sizeof(msg), "; with room again: %s",
	    ledger_strerror(r));
	if (write(fd, msg, strlen(msg)) == -1)
		return (19);
	if (r != 0)
		return (21);
	ledger_close(l);
	if (ledger_open(&l, d, 0) != 0)
		return (14);
	if (balance(l, k) != ((uint64_t)i + 1) * 1000)
		return (15);
	t = tbegin(l);
	nproofs = pwalk(t, 4, NULL, 0);
	ledger_abort(t);
	if (nproofs != i)
		return (16);
	if (audit(l, NULL, 1) != 0 || !journal_ok(l, k))
		return (17);
	t = tbegin(l);
	if (ledger_account_credit(t, k, 1, LEDGER_R_TOPUP, NULL, NULL) != 0 ||
	    ledger_commit(t) != 0)
		return (18);
	ledger_close(l);
	return (0);
}

static void
test_nospace(void)
{
	const char	*dir = newdir("nospace");
	char		 d[PATH_MAX], msg[512];
	pid_t		 pid;
	size_t		 len;
	ssize_t		 n;
	int		 p[2], st;

	strlcpy(d, dir, sizeof(d));
	if (geteuid() != 0) {
		printf("# full disk: skipped, needs root for a tmpfs\n");
		return;
	}
	if (pipe(p) == -1)
		return;
	fflush(stdout);
	if ((pid = fork()) == 0) {
		close(p[0]);
		_exit(nospace_child(d, p[1]));
	}
	close(p[1]);
	len = 0;
	while (len < sizeof(msg) - 1 &&
	    (n = read(p[0], msg + len, sizeof(msg) - 1 - len)) > 0)
		len += n;
	msg[len] = '\0';
	close(p[0]);
	waitpid(pid, &st, 0);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 77) {
		printf("# full disk: skipped, no tmpfs in a mount namespace\n");
		return;
	}
	printf("# full disk: %s\n", msg);
	T(WIFEXITED(st) && WEXITSTATUS(st) == 0, "full disk: commits fail "
	    "with LEDGER_NOSPACE, the ledger works again once there is room; "
	    "recovery keeps every commit and nothing of the failed ones, "
	    "the failed commit's reservation is undone (child status %d)",
	    WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
}

static int
bk_count_open(const char *name, void *arg)
{
	return (0);
}

static int
bk_count_write(uint64_t off, const void *buf, size_t len, void *arg)
{
	*(uint64_t *)arg += len;
	return (0);
}

static int
bk_count_close(const char *name, void *arg)
{
	return (0);
}

/* The basic workload inside the real ledger sandbox. */
static int
sandbox_child(const char *d)
{
	struct ledger		*l;
	struct ledger_txn	*t, *c;
	struct ledger_account	 a;
	struct ledger_quote	 q;
	struct ledger_proof_key	 pk;
	struct ledger_refund	 rf;
	struct ledger_report	 rep;
	struct ledger_backup_cb	 cb;
	uint8_t			 k[LEDGER_KEY_LEN], y[2][LEDGER_Y_LEN];
	uint64_t		 id, n, bytes = 0;
	int			 i;

	alarm(60);
	sandbox_confine(PROC_LEDGER, d);
	if (ledger_open(&l, d, 0) != 0)
		return (10);
	t = tbegin(l);
	if (ledger_release_all(t, &n) != 0 || ledger_commit(t) != 0)
		return (11);
	mkacct(&a, 80, 100000, MINT_A);
	memcpy(k, a.la_key, sizeof(k));
	mky(y[0], 800);
	mky(y[1], 801);
	mkquote(&q, "melt-sb", 1, 0x42);
	mkpk(&pk, 1, 1, 1);
	memset(&rf, 0, sizeof(rf));
	rf.lr_state = LEDGER_REFUND_INFLIGHT;
	t = tbegin(l);
	if (ledger_account_create(t, &a, NULL) != 0 ||
	    ledger_quote_add(t, &q) != 0 ||
	    ys_pend(t, (const yarr *)y, 2, "melt-sb") != 0 ||
	    ys_spend(t, (const yarr *)y, 2, 1) != 0 ||
	    ledger_proof_put(t, &pk, "\001", 1) != 0 ||
	    ledger_refund_add(t, &rf) != 0 ||
	    ledger_commit(t) != 0)
		return (12);
	for (i = 0; i < 200; i++) {
		t = tbegin(l);
		if (ledger_begin(NULL, t, &c) != 0 ||
		    ledger_reserve(c, k, 100, 0, NULL, &id) != 0 ||
		    ledger_settle(c, id, 50, NULL, NULL, NULL) != 0 ||
		    ledger_commit(c) != 0 || ledger_commit(t) != 0)
			return (13);
	}
	if (ledger_checkpoint(l) != 0)
		return (14);
	cb.lb_open = bk_count_open;
	cb.lb_write = bk_count_write;
	cb.lb_close = bk_count_close;
	cb.lb_arg = &bytes;
	if (ledger_backup(l, &cb) != 0 || bytes == 0)
		return (15);
	if (ledger_check(l, &rep, NULL, NULL) != 0 || rep.lr_problems != 0)
		return (16);
	ledger_close(l);
	if (ledger_open(&l, d, 0) != 0)
		return (17);
	if (balance(l, k) != 100000 - 200 * 50)
		return (18);
	ledger_close(l);
	return (0);
}

static void
test_sandbox(void)
{
	const char	*dir = newdir("sandbox");
	char		 d[PATH_MAX];
	pid_t		 pid;
	int		 st;

	strlcpy(d, dir, sizeof(d));
	fflush(stdout);
	if ((pid = fork()) == 0)
		_exit(sandbox_child(d));
	waitpid(pid, &st, 0);
	T(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the workload runs inside "
	    "the PROC_LEDGER sandbox (status %d)",
	    WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
}

/*
 * What a billed request costs in log bytes, run as ledgerd runs it:
 * the reserve in a child of one batch, the settle in a child of a later
 * one.  A reserve and a release write nothing.
 */
static void
test_log_bytes(void)
{
	struct ledger		*l;
	struct ledger_txn	*t, *c;
	struct ledger_account	 a;
	uint64_t		 ids[100], res = 0, set = 0, rel = 0, b0, id;
	int			 i, bad = 0, n = 100;

	if ((l = lopen(newdir("logbytes"))) == NULL)
		return;
	mkacct(&a, 95, 1000000000, MINT_A);
	t = tbegin(l);
	TR(LEDGER_OK, ledger_account_create(t, &a, NULL), "create");
	TR(LEDGER_OK, tcommit(t), "commit");
	for (i = 0; i < n; i++) {
		b0 = log_end(l);
		t = tbegin(l);
		if (ledger_begin(NULL, t, &c) != 0 ||
		    ledger_reserve(c, a.la_key, 5000, 0, NULL, &ids[i]) != 0 ||
		    ledger_commit(c) != 0 || ledger_commit_nosync(t) != 0)
			bad++;
		res += log_end(l) - b0;
		b0 = log_end(l);
		t = tbegin(l);
		if (ledger_begin(NULL, t, &c) != 0 ||
		    ledger_settle(c, ids[i], 1234, NULL, NULL, NULL) != 0 ||
		    ledger_commit(c) != 0 || ledger_commit_nosync(t) != 0)
			bad++;
		set += log_end(l) - b0;
		b0 = log_end(l);
		t = tbegin(l);
		if (ledger_begin(NULL, t, &c) != 0 ||
		    ledger_reserve(c, a.la_key, 5000, 0, NULL, &id) != 0 ||
		    ledger_release(c, id) != 0 ||
		    ledger_commit(c) != 0 || ledger_commit_nosync(t) != 0)
			bad++;
		rel += log_end(l) - b0;
	}
	T(bad == 0, "%d reserves, settles, reserve+release, as ledgerd", n);
	printf("# log bytes per request: reserve %llu, settle %llu, "
	    "reserve+release %llu\n", (unsigned long long)(res / n),
	    (unsigned long long)(set / n), (unsigned long long)(rel / n));
	T(res == 0, "a reserve writes nothing to the log");
	T(rel == 0, "a reserve and its release write nothing to the log");
	T(set > 0 && set / n < 1000, "a settle writes the account and the "
	    "journal: %llu bytes", (unsigned long long)(set / n));
	T(audit(l, NULL, 1) == 0, "audit: 0 problems");
	ledger_close(l);
}

/* Durable settles per second, alone and grouped (not asserted). */
static double
bench_run(struct ledger *l, const uint8_t *k, int per, int n)
{
	struct ledger_txn	*t, *c;
	uint64_t		*ids;
	double			 t0;
	int			 i, j, done = 0;

	if ((ids = calloc(n, sizeof(*ids))) == NULL)
		return (0);
	t = tbegin(l);
	for (i = 0; i < n; i++)
		if (ledger_reserve(t, k, 10, 0, NULL, &ids[i]) != 0)
			break;
	if (ledger_commit(t) != 0)
		goto out;
	t0 = now_s();
	for (i = 0; i < n; i += per) {
		t = tbegin(l);
		for (j = i; j < i + per && j < n; j++) {
			if (ledger_begin(NULL, t, &c) != 0)
				goto out;
			if (ledger_settle(c, ids[j], 7, NULL, NULL,
			    NULL) != 0) {
				ledger_abort(c);
				continue;
			}
			if (ledger_commit(c) == 0)
				done++;
		}
		if (ledger_commit(t) != 0)
			goto out;
	}
	free(ids);
	return (done / (now_s() - t0));
 out:
	free(ids);
	return (0);
}

static void
bench(void)
{
	struct ledger		*l;
	struct ledger_txn	*t;
	struct ledger_account	 a;
	double			 r1, r100, r1000, rns;

	if ((l = lopen(newdir("bench"))) == NULL)
		return;
	mkacct(&a, 90, UINT64_MAX / 2, MINT_A);
	t = tbegin(l);
	if (ledger_account_create(t, &a, NULL) != 0 || ledger_commit(t) != 0)
		return;
	r1 = bench_run(l, a.la_key, 1, 300);
	r100 = bench_run(l, a.la_key, 100, 5000);
	r1000 = bench_run(l, a.la_key, 1000, 10000);
	ledger_close(l);
	printf("# bench: durable settles/s: %.0f one per commit, %.0f with "
	    "100 per commit, %.0f with 1000 per commit\n", r1, r100, r1000);
	if (ledger_open(&l, newdir("bench-nosync"), LEDGER_NOSYNC) != 0)
		return;
	t = tbegin(l);
	if (ledger_account_create(t, &a, NULL) != 0 || ledger_commit(t) != 0)
		return;
	rns = bench_run(l, a.la_key, 1, 3000);
	printf("# bench: LEDGER_NOSYNC settles/s: %.0f one per commit\n", rns);
	T(audit(l, NULL, 1) == 0, "audit after the bench: 0 problems");
	ledger_close(l);
}

int
main(int argc, char *argv[])
{
	const char	*tmp;

	log_init(1, LOG_DAEMON);
	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	snprintf(base, sizeof(base), "%s/test_ledger.XXXXXX", tmp);
	if (mkdtemp(base) == NULL) {
		perror("mkdtemp");
		return (1);
	}

	test_strerror();
	test_open();
	test_accounts();
	test_reservations();
	test_limits();
	test_nested();
	test_large_batch();
	test_ys();
	test_issued();
	test_quotes();
	test_wallet();
	test_ids();
	test_release_all();
	test_audit_damage();
	test_resv_txn();
	test_resv_upgrade();
	test_totals();
	test_totals_damage();
	test_rotate();
	test_upgrade();
	test_uncommitted();
	test_kill();
	test_backup();
	test_nospace();
	test_sandbox();
	test_log_bytes();
	if (argc < 2 || strcmp(argv[1], "-nobench") != 0)
		bench();

	rmtree(base);
	return (test_done());
}
