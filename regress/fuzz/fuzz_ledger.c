/*
 * Fuzz the ledger with sequences of operations: accounts, reservations,
 * expiry and release of all, Ys (with the mint's redeemed total), and
 * nested transactions committed or aborted, each one checked against a
 * model of what it must do (its result and the account after it).  The
 * reservations are in the ledger's memory and must follow the aborts as
 * the tables do.  At the end of an input everything is committed (or,
 * for some inputs, the top-level transaction aborted: then nothing may
 * be left, in the tables or in memory) and the audit must find nothing;
 * then every reservation is released and every table emptied for the
 * next input.  One ledger (LEDGER_NOSYNC) serves every input; a model
 * mismatch aborts.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ledger_impl.h"
#include "log.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NACCT		4
#define NRES		64
#define NY		6
#define DEPTH		3
#define MAXOPS		300
#define MINT		"https://mint.fuzz"
#define YAMOUNT(i)	((uint64_t)1 << (i))	/* what Y i is worth */

static const uint8_t	 KS[8] = { 0x00, 0xf0, 0x22 };

struct macct {
	int		 exists;
	int		 closed;
	uint64_t	 bal, res, spent, req, limit;
	int64_t		 expiry;
};

struct mres {
	uint64_t	 id;
	int		 acct;
	uint64_t	 amount;
	int64_t		 deadline;
	int		 live;
};

struct model {
	struct macct	 a[NACCT];
	struct mres	 r[NRES];
	int		 nr;
	uint8_t		 y[NY];		/* LEDGER_Y_* */
	uint64_t	 redeemed;	/* sum of YAMOUNT of the spent */
};

struct in {
	const uint8_t	*p;
	size_t		 len;
};

static char		 dir[] = "/tmp/fuzz_ledger.XXXXXX";
static struct ledger	*L;

static void	 cleanup(void);
static uint8_t	 byte(struct in *);
static uint64_t	 amount(struct in *);
static void	 key(uint8_t *, int);
static void	 yv(uint8_t *, int);
static void	 fail(const char *, int, int);
static void	 same(struct ledger_txn *, const struct model *, int);
static int	 add_over(uint64_t, uint64_t);

static void
cleanup(void)
{
	char	 cmd[64];

	if (L != NULL)
		ledger_close(L);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_init(1, LOG_DAEMON);
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	if (ledger_open(&L, dir, LEDGER_NOSYNC) != 0)
		exit(1);
	atexit(cleanup);
	return (0);
}

static uint8_t
byte(struct in *in)
{
	uint8_t	 b;

	if (in->len == 0)
		return (0);
	b = *in->p++;
	in->len--;
	return (b);
}

/* Small amounts mostly, and the edges of 64 bits. */
static uint64_t
amount(struct in *in)
{
	uint8_t		 b = byte(in);
	uint64_t	 v;

	switch (b >> 5) {
	case 0:
		return (b & 0x1f);
	case 1:
		return (UINT64_MAX - (b & 0x1f));
	case 2:
		return ((uint64_t)1 << (b & 0x1f) << 32);
	default:
		v = byte(in);
		v = v << 8 | byte(in);
		return (v);
	}
}

static void
key(uint8_t *k, int i)
{
	memset(k, 0xa0 + i, LEDGER_KEY_LEN);
}

static void
yv(uint8_t *y, int i)
{
	memset(y, 0x50 + i, LEDGER_Y_LEN);
	y[0] = 0x02;
}

static void
fail(const char *what, int got, int want)
{
	fprintf(stderr, "model mismatch: %s: got %s, want %s\n", what,
	    ledger_strerror(got), ledger_strerror(want));
	abort();
}

static int
add_over(uint64_t a, uint64_t b)
{
	return (a > UINT64_MAX - b);
}

/* The ledger's account i is the model's. */
static void
same(struct ledger_txn *t, const struct model *m, int i)
{
	const struct macct	*ma = &m->a[i];
	struct ledger_account	 a;
	uint8_t			 k[LEDGER_KEY_LEN];
	int			 r;

	key(k, i);
	r = ledger_account_get(t, k, &a);
	if (r != (ma->exists ? LEDGER_OK : LEDGER_NOTFOUND))
		fail("get", r, ma->exists ? LEDGER_OK : LEDGER_NOTFOUND);
	if (!ma->exists)
		return;
	if (a.la_balance != ma->bal || a.la_reserved != ma->res ||
	    a.la_spent != ma->spent || a.la_requests != ma->req ||
	    !!(a.la_flags & LEDGER_ACCOUNT_CLOSED) != ma->closed) {
		fprintf(stderr, "account %d: ledger %llu/%llu/%llu/%llu/%u, "
		    "model %llu/%llu/%llu/%llu/%d\n", i,
		    (unsigned long long)a.la_balance,
		    (unsigned long long)a.la_reserved,
		    (unsigned long long)a.la_spent,
		    (unsigned long long)a.la_requests, a.la_flags,
		    (unsigned long long)ma->bal, (unsigned long long)ma->res,
		    (unsigned long long)ma->spent,
		    (unsigned long long)ma->req, ma->closed);
		abort();
	}
}

static int
op_create(struct ledger_txn *t, struct model *m, struct in *in, int64_t now)
{
	struct ledger_account	 a;
	uint8_t			 b = byte(in);
	int			 i = b % NACCT, want, r;

	memset(&a, 0, sizeof(a));
	key(a.la_key, i);
	a.la_balance = amount(in);
	a.la_limit = (b & 0x10) ? amount(in) : 0;
	a.la_expiry = (b & 0x20) ? now - 100 : (b & 0x40) ? now + 10000 : 0;
	strlcpy(a.la_unit, "msat", sizeof(a.la_unit));
	strlcpy(a.la_mint, MINT, sizeof(a.la_mint));
	want = m->a[i].exists ? LEDGER_EXISTS : LEDGER_OK;
	if ((r = ledger_account_create(t, &a, NULL)) != want)
		fail("create", r, want);
	if (r == LEDGER_OK) {
		memset(&m->a[i], 0, sizeof(m->a[i]));
		m->a[i].exists = 1;
		m->a[i].bal = a.la_balance;
		m->a[i].limit = a.la_limit;
		m->a[i].expiry = a.la_expiry;
	}
	return (i);
}

static int
op_credit(struct ledger_txn *t, struct model *m, struct in *in)
{
	struct macct	*ma;
	uint8_t		 k[LEDGER_KEY_LEN];
	uint64_t	 amt, bal;
	int		 i = byte(in) % NACCT, want, r;

	ma = &m->a[i];
	amt = amount(in);
	key(k, i);
	if (amt == 0)
		want = LEDGER_INVALID;
	else if (!ma->exists)
		want = LEDGER_NOTFOUND;
	else if (ma->closed)
		want = LEDGER_CLOSED;
	else if (add_over(ma->bal, amt))
		want = LEDGER_OVERFLOW;
	else
		want = LEDGER_OK;
	if ((r = ledger_account_credit(t, k, amt, LEDGER_R_TOPUP, NULL,
	    &bal)) != want)
		fail("credit", r, want);
	if (r == LEDGER_OK) {
		ma->bal += amt;
		if (bal != ma->bal)
			fail("credit balance", r, r);
	}
	return (i);
}

static int
op_reserve(struct ledger_txn *t, struct model *m, struct in *in, int64_t now)
{
	struct macct	*ma;
	struct mres	*mr;
	uint8_t		 k[LEDGER_KEY_LEN], b = byte(in);
	uint64_t	 amt, id;
	int64_t		 deadline = now + ((b >> 2) % 3 - 1) * 100;
	int		 i = b % NACCT, want, r;

	if (m->nr == NRES)
		return (i);
	ma = &m->a[i];
	amt = amount(in);
	key(k, i);
	if (!ma->exists)
		want = LEDGER_NOTFOUND;
	else if (ma->closed)
		want = LEDGER_CLOSED;
	else if (ma->expiry != 0 && ma->expiry <= now)
		want = LEDGER_EXPIRED;
	else if (amt > ma->bal - ma->res)
		want = LEDGER_INSUFFICIENT;
	else if (ma->limit != 0 && (add_over(ma->spent, ma->res) ||
	    add_over(ma->spent + ma->res, amt) ||
	    ma->spent + ma->res + amt > ma->limit))
		want = LEDGER_LIMIT;
	else
		want = LEDGER_OK;
	if ((r = ledger_reserve(t, k, amt, deadline, NULL, &id)) != want)
		fail("reserve", r, want);
	if (r == LEDGER_OK) {
		ma->res += amt;
		mr = &m->r[m->nr++];
		mr->id = id;
		mr->acct = i;
		mr->amount = amt;
		mr->deadline = deadline;
		mr->live = 1;
	}
	return (i);
}

/* A reservation of the model, or a bogus one. */
static struct mres *
pick_res(struct model *m, struct in *in, uint64_t *id)
{
	uint8_t		 b = byte(in);
	struct mres	*mr;

	if (m->nr == 0 || (b & 0x80)) {
		*id = 7;	/* ids have an epoch >= 1 in the top half */
		return (NULL);
	}
	mr = &m->r[b % m->nr];
	*id = mr->id;
	return (mr->live ? mr : NULL);
}

static int
op_settle(struct ledger_txn *t, struct model *m, struct in *in)
{
	struct mres		*mr;
	struct macct		*ma = NULL;
	struct ledger_account	 after;
	uint64_t		 id, actual, others, cap, room, charge = 0;
	uint64_t		 charged;
	int			 want, r;

	mr = pick_res(m, in, &id);
	actual = amount(in);
	if (mr == NULL)
		want = LEDGER_NOTFOUND;
	else {
		ma = &m->a[mr->acct];
		others = ma->res - mr->amount;
		cap = ma->bal - others;
		if (ma->limit != 0) {
			room = ma->limit > ma->spent ? ma->limit - ma->spent :
			    0;
			if (cap > room)
				cap = room;
		}
		charge = actual < cap ? actual : cap;
		want = add_over(ma->spent, charge) ? LEDGER_OVERFLOW :
		    LEDGER_OK;
	}
	if ((r = ledger_settle(t, id, actual, NULL, &charged, &after)) != want)
		fail("settle", r, want);
	if (r != LEDGER_OK)
		return (mr != NULL ? mr->acct : 0);
	if (charged != charge)
		fail("settle charge", r, r);
	ma->res -= mr->amount;
	ma->bal -= charge;
	ma->spent += charge;
	ma->req++;
	mr->live = 0;
	if (after.la_balance != ma->bal || after.la_reserved != ma->res)
		fail("settle after", r, r);
	return (mr->acct);
}

static int
op_release(struct ledger_txn *t, struct model *m, struct in *in)
{
	struct mres	*mr;
	uint64_t	 id;
	int		 want, r;

	mr = pick_res(m, in, &id);
	want = mr == NULL ? LEDGER_NOTFOUND : LEDGER_OK;
	if ((r = ledger_release(t, id)) != want)
		fail("release", r, want);
	if (r != LEDGER_OK)
		return (0);
	m->a[mr->acct].res -= mr->amount;
	mr->live = 0;
	return (mr->acct);
}

static int
op_refund(struct ledger_txn *t, struct model *m, struct in *in)
{
	struct macct	*ma;
	uint8_t		 k[LEDGER_KEY_LEN];
	uint64_t	 amt;
	int		 i = byte(in) % NACCT, want, r;

	ma = &m->a[i];
	key(k, i);
	if (!ma->exists)
		want = LEDGER_NOTFOUND;
	else if (ma->closed)
		want = LEDGER_CLOSED;
	else if (ma->res != 0)
		want = LEDGER_RESERVED;
	else
		want = LEDGER_OK;
	if ((r = ledger_account_refund(t, k, NULL, &amt)) != want)
		fail("refund", r, want);
	if (r == LEDGER_OK) {
		if (amt != ma->bal)
			fail("refund amount", r, r);
		ma->bal = 0;
		ma->closed = 1;
	}
	return (i);
}

/* Expire those past a deadline, or (b & 0x80) release them all. */
static void
op_expire(struct ledger_txn *t, struct model *m, struct in *in, int64_t now)
{
	uint64_t	 n, want = 0;
	uint8_t		 b = byte(in);
	int64_t		 when = now + (b % 3 - 1) * 100;
	int		 j, r, all = b & 0x80;

	if (all)
		when = INT64_MAX;
	for (j = 0; j < m->nr; j++)
		if (m->r[j].live && m->r[j].deadline < when)
			want++;
	if (all)
		r = ledger_release_all(t, &n);
	else
		r = ledger_expire(t, when, &n);
	if (r != LEDGER_OK)
		fail("expire", r, LEDGER_OK);
	if (n != want)
		fail("expire count", r, r);
	for (j = 0; j < m->nr; j++)
		if (m->r[j].live && m->r[j].deadline < when) {
			m->a[m->r[j].acct].res -= m->r[j].amount;
			m->r[j].live = 0;
		}
}

/* A batch of 1 to 3 Ys, duplicates allowed, through the ledger's rules. */
static void
op_ys(struct ledger_txn *t, struct model *m, struct in *in)
{
	struct ledger_input	 li[3];
	uint8_t			 ys[3][LEDGER_Y_LEN], st[NY];
	uint8_t			 b = byte(in);
	int			 idx[3], n = b % 3 + 1, kind = (b >> 2) % 4;
	int			 i, want = LEDGER_OK, r;

	memcpy(st, m->y, sizeof(st));
	memset(li, 0, sizeof(li));
	for (i = 0; i < n; i++) {
		idx[i] = byte(in) % NY;
		yv(ys[i], idx[i]);
		memcpy(li[i].lin_y, ys[i], LEDGER_Y_LEN);
		memcpy(li[i].lin_keyset, KS, sizeof(KS));
		li[i].lin_keyset_len = sizeof(KS);
		li[i].lin_amount = YAMOUNT(idx[i]);
	}
	if (kind != 1)		/* pend and spend: spent first */
		for (i = 0; i < n && want == LEDGER_OK; i++)
			if (st[idx[i]] == LEDGER_Y_SPENT)
				want = LEDGER_SPENT;
	for (i = 0; i < n && want == LEDGER_OK; i++) {
		switch (kind) {
		case 0:		/* pend */
			if (st[idx[i]] == LEDGER_Y_PENDING)
				want = LEDGER_PENDING;
			st[idx[i]] = LEDGER_Y_PENDING;
			break;
		case 1:		/* unpend */
			if (st[idx[i]] != LEDGER_Y_PENDING)
				want = LEDGER_NOTFOUND;
			st[idx[i]] = LEDGER_Y_UNSPENT;
			break;
		case 2:		/* spend */
			if (st[idx[i]] == LEDGER_Y_PENDING)
				want = LEDGER_PENDING;
			else if (st[idx[i]] == LEDGER_Y_SPENT)
				want = LEDGER_SPENT;
			st[idx[i]] = LEDGER_Y_SPENT;
			break;
		case 3:		/* spend from pending */
			if (st[idx[i]] != LEDGER_Y_PENDING)
				want = LEDGER_NOTFOUND;
			st[idx[i]] = LEDGER_Y_SPENT;
			break;
		}
	}
	switch (kind) {
	case 0:
		r = ledger_ys_pend(t, li, n, NULL);
		break;
	case 1:
		r = ledger_ys_unpend(t, (const uint8_t (*)[LEDGER_Y_LEN])ys,
		    n);
		break;
	default:
		r = ledger_ys_spend(t, li, n, kind == 3);
		break;
	}
	if (r != want)
		fail("ys", r, want);
	if (r == LEDGER_OK) {
		memcpy(m->y, st, sizeof(st));
		if (kind >= 2)
			for (i = 0; i < n; i++)
				m->redeemed += YAMOUNT(idx[i]);
	}

	/* Every Y's state, whatever happened. */
	{
		uint8_t	 all[NY][LEDGER_Y_LEN], got[NY];

		for (i = 0; i < NY; i++)
			yv(all[i], i);
		if ((r = ledger_ys_state(t,
		    (const uint8_t (*)[LEDGER_Y_LEN])all, NY, got)) != 0)
			fail("ys_state", r, LEDGER_OK);
		if (memcmp(got, m->y, NY) != 0)
			fail("ys_state states", r, r);
	}
}

static int
jsum_cb(const struct ledger_journal *j, void *arg)
{
	int64_t	*s = arg;	/* wraps like a uint64_t */

	*s = (int64_t)((uint64_t)*s + (j->lj_credit ? j->lj_amount :
	    -j->lj_amount));
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct model		 m, saved[DEPTH];
	struct ledger_txn	*top, *stack[DEPTH + 1];
	struct ledger_report	 rep;
	struct in		 in = { data, size };
	uint8_t			 k[LEDGER_KEY_LEN];
	uint64_t		 total = 0, live = 0, nspent = 0, npend = 0;
	uint64_t		 count64;
	int			 tover = 0;
	int64_t			 now = time(NULL), s;
	int			 depth = 0, ops, i, r, acct;
	u_int32_t		 count;

	memset(&m, 0, sizeof(m));
	if (ledger_begin(L, NULL, &top) != 0)
		abort();
	stack[0] = top;
	for (ops = 0; in.len > 0 && ops < MAXOPS; ops++) {
		struct ledger_txn *t = stack[depth];

		acct = -1;
		switch (byte(&in) % 12) {
		case 0:
			acct = op_create(t, &m, &in, now);
			break;
		case 1:
		case 2:
			acct = op_credit(t, &m, &in);
			break;
		case 3:
		case 4:
			acct = op_reserve(t, &m, &in, now);
			break;
		case 5:
			acct = op_settle(t, &m, &in);
			break;
		case 6:
			acct = op_release(t, &m, &in);
			break;
		case 7:
			acct = op_refund(t, &m, &in);
			break;
		case 8:
			op_expire(t, &m, &in, now);
			break;
		case 9:
			op_ys(t, &m, &in);
			break;
		case 10:
			if (depth == DEPTH)
				break;
			if (ledger_begin(NULL, t, &stack[depth + 1]) != 0)
				abort();
			saved[depth++] = m;
			break;
		case 11:
			if (depth == 0)
				break;
			if (byte(&in) & 1) {
				if (ledger_commit(stack[depth]) != 0)
					abort();
			} else {
				ledger_abort(stack[depth]);
				m = saved[depth - 1];
			}
			depth--;
			break;
		}
		if (acct >= 0)
			same(stack[depth], &m, acct);
	}
	while (depth > 0)
		if (ledger_commit(stack[depth--]) != 0)
			abort();
	for (i = 0; i < NACCT; i++) {
		same(top, &m, i);
		if (!m.a[i].exists)
			continue;
		key(k, i);
		s = 0;
		if (ledger_journal_walk(top, k, jsum_cb, &s) != 0 ||
		    (uint64_t)s != m.a[i].bal)
			fail("journal sum", 0, 0);
		if (!m.a[i].closed) {
			if (add_over(total, m.a[i].bal))
				tover = 1;
			total += m.a[i].bal;
		}
	}
	for (i = 0; i < m.nr; i++)
		live += m.r[i].live;
	for (i = 0; i < NY; i++) {
		nspent += m.y[i] == LEDGER_Y_SPENT;
		npend += m.y[i] == LEDGER_Y_PENDING;
	}
	{
		struct ledger_keyset_total	 kt;

		if ((r = ledger_keyset_total_get(top, KS, sizeof(KS), &kt)) !=
		    LEDGER_OK)
			fail("keyset total", r, LEDGER_OK);
		if (kt.kt_redeemed != m.redeemed ||
		    kt.kt_nredeemed != (uint64_t)nspent)
			fail("redeemed total", 0, 0);
	}
	/* Some inputs end in an abort: nothing of them may stay. */
	if (size % 8 == 7) {
		ledger_abort(top);
		memset(&m, 0, sizeof(m));
		total = live = nspent = npend = 0;
		tover = 0;
		if (!RB_EMPTY(&L->l_resv) || !RB_EMPTY(&L->l_rsums) ||
		    L->l_nresv != 0)
			fail("abort left reservations", 0, 0);
	} else if ((r = ledger_commit(top)) != 0)
		fail("commit", r, LEDGER_OK);

	if ((r = ledger_check(L, &rep, NULL, NULL)) != 0)
		fail("check", r, LEDGER_OK);
	/* Balances may add up past 64 bits: the audit says so, once. */
	if (rep.lr_problems != (uint64_t)tover)
		fail("audit problems", 0, 0);
	if (rep.lr_reservations != live || rep.lr_spent != nspent ||
	    rep.lr_pending != npend || (!tover &&
	    (rep.lr_ntotals == 1 ? rep.lr_totals[0].lt_balance : 0) != total))
		fail("audit report", 0, 0);

	/* Release every reservation, empty every table, for the next. */
	if (ledger_begin(L, NULL, &top) != 0)
		abort();
	if (ledger_release_all(top, &count64) != 0 || count64 != live)
		fail("release all", 0, 0);
	for (i = 0; i < LDB_MAX; i++) {
		if (i == LDB_META)
			continue;
		if (L->l_db[i]->truncate(L->l_db[i], top->t_txn, &count,
		    0) != 0)
			abort();
	}
	if (ledger_commit(top) != 0)
		abort();
	if (L->l_nresv != 0)
		fail("released", 0, 0);
	return (0);
}
