/*
 * The audit: reads the whole ledger in one read-committed transaction
 * of its own and reports every contradiction it finds as a line of
 * text.  ledgerd is single-threaded and runs it between batches, so no
 * write interleaves and read-committed sees one state, without holding
 * a read lock on every page (which a large ledger would run out of).
 *
 * Checks: every account equals the sum of its journal; what its open
 * reservations hold (in memory) <= balance, and the reserved sums kept
 * in memory equal the reservations in memory; on disk, the reservations
 * table of older versions is empty and every account record says
 * reserved 0; a closed account holds nothing; no reservation or journal
 * entry without its account; the journal and its index agree in
 * number; no Y is both
 * spent and pending; every pending Y's melt quote exists; the payment
 * hash index and the melt quotes agree; the running totals of what the
 * mint issued and redeemed per keyset equal the sums of the issued and
 * spent records.  Totals of the open accounts' balances per mint and
 * unit are the node's liabilities.
 *
 * The in-memory reservations are compared with the committed state:
 * run it with no transaction open (ledgerd commits its batch first).
 */

#include <sys/types.h>
#include <sys/tree.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"
#include "ledger_impl.h"
#include "log.h"
#include "money.h"

/* The sum of an account's reservations, added up again. */
struct rsum {
	RB_ENTRY(rsum)	 rs_entry;
	uint8_t		 rs_key[LEDGER_KEY_LEN];
	uint64_t	 rs_sum;
	uint64_t	 rs_n;
	int		 rs_overflow;
	int		 rs_seen;	/* its account exists */
	int		 rs_kept;	/* the table of sums has it */
};

RB_HEAD(rsums, rsum);

struct audit {
	struct ledger		*a_l;
	struct ledger_txn	 a_t;
	struct ledger_report	*a_rep;
	void			(*a_cb)(const char *, void *);
	void			*a_arg;
	struct rsums		 a_rsums;
	int			 a_totals_full;
	int			 a_tover[32];	/* per lr_totals[] */

	/* The journal index cursor, one entry ahead. */
	DBC			*a_x;
	int			 a_xr;		/* NOTFOUND: at end */
	uint8_t			 a_xk[LEDGER_JINDEX_KEY];
	size_t			 a_xklen;
	struct rec_jindex	 a_rx;
	size_t			 a_xdlen;
	uint64_t		 a_jindex;	/* index entries seen */
};

static int	 rsum_cmp(struct rsum *, struct rsum *);
static void	 problem(struct audit *, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));
static const char *hexkey(const uint8_t *, char *, size_t);
static struct rsum *rsum_get(struct audit *, const uint8_t *);
static int	 audit_reservations(struct audit *);
static int	 audit_accounts(struct audit *);
static void	 jindex_next(struct audit *);
static int	 audit_one(struct audit *, const struct ledger_account *);
static void	 audit_total(struct audit *, const struct ledger_account *);
static int	 audit_journal(struct audit *);
static int	 audit_ys(struct audit *);
static int	 audit_issued(struct audit *);
static int	 audit_quotes(struct audit *);
static int	 audit_melthash(struct audit *);
static int	 audit_totals(struct audit *);
static int	 sum_cb(const struct ledger_keyset_total *, void *);

/* libbsd's RB_*_STATIC need __unused, which Linux headers cannot have. */
#define RB_STATIC	__attribute__((__unused__)) static
RB_GENERATE_INTERNAL(rsums, rsum, rs_entry, rsum_cmp, RB_STATIC);

static int
rsum_cmp(struct rsum *a, struct rsum *b)
{
	return (memcmp(a->rs_key, b->rs_key, LEDGER_KEY_LEN));
}

static void
problem(struct audit *a, const char *fmt, ...)
{
	char	 line[256];
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	a->a_rep->lr_problems++;
	if (a->a_cb != NULL)
		a->a_cb(line, a->a_arg);
}

/* Keys are not secret, but a prefix names them well enough. */
static const char *
hexkey(const uint8_t *k, char *buf, size_t size)
{
	return (ledger_hexkey(k, 4, buf, size));
}

static struct rsum *
rsum_get(struct audit *a, const uint8_t *key)
{
	struct rsum	*rs, find;

	memcpy(find.rs_key, key, LEDGER_KEY_LEN);
	if ((rs = RB_FIND(rsums, &a->a_rsums, &find)) != NULL)
		return (rs);
	if ((rs = calloc(1, sizeof(*rs))) == NULL) {
		log_warn("%s", __func__);
		return (NULL);
	}
	memcpy(rs->rs_key, key, LEDGER_KEY_LEN);
	RB_INSERT(rsums, &a->a_rsums, rs);
	return (rs);
}

/*
 * The open reservations, in memory: added up again per account and
 * compared with the sums kept beside them.  On disk, the reservations
 * table must be empty: only older versions wrote it.
 */
static int
audit_reservations(struct audit *a)
{
	struct ledger		*l = a->a_l;
	struct resv		*rv;
	struct resv_sum		*ks;
	struct rsum		*rs, find;
	DBC			*c;
	uint8_t			 k[8];
	size_t			 klen;
	uint64_t		 ondisk = 0;
	char			 hex[16];
	int			 r;

	RB_FOREACH(rv, resv_tree, &l->l_resv) {
		a->a_rep->lr_reservations++;
		if ((rs = rsum_get(a, rv->rv_key)) == NULL)
			return (LEDGER_DBERR);
		if (money_add(&rs->rs_sum, rs->rs_sum, rv->rv_amount) == -1)
			rs->rs_overflow = 1;
		rs->rs_n++;
	}
	if (a->a_rep->lr_reservations != l->l_nresv)
		problem(a, "%llu reservations in memory, counted as %llu",
		    (unsigned long long)a->a_rep->lr_reservations,
		    (unsigned long long)l->l_nresv);
	RB_FOREACH(ks, resv_sums, &l->l_rsums) {
		memcpy(find.rs_key, ks->rs_key, LEDGER_KEY_LEN);
		hexkey(ks->rs_key, hex, sizeof(hex));
		if ((rs = RB_FIND(rsums, &a->a_rsums, &find)) == NULL) {
			problem(a, "account %s: reserved %llu in %llu "
			    "reservations, but it has none", hex,
			    (unsigned long long)ks->rs_sum,
			    (unsigned long long)ks->rs_n);
			continue;
		}
		rs->rs_kept = 1;
		if (rs->rs_overflow)
			problem(a, "account %s: its reservations overflow",
			    hex);
		else if (rs->rs_sum != ks->rs_sum || rs->rs_n != ks->rs_n)
			problem(a, "account %s: reserved %llu in %llu "
			    "reservations, but they sum to %llu in %llu", hex,
			    (unsigned long long)ks->rs_sum,
			    (unsigned long long)ks->rs_n,
			    (unsigned long long)rs->rs_sum,
			    (unsigned long long)rs->rs_n);
	}
	RB_FOREACH(rs, rsums, &a->a_rsums)
		if (!rs->rs_kept)
			problem(a, "account %s: %llu reservations not in its "
			    "reserved sum", hexkey(rs->rs_key, hex,
			    sizeof(hex)), (unsigned long long)rs->rs_n);

	if ((r = ledger_cursor(&a->a_t, LDB_RESERVATIONS, &c)) != LEDGER_OK)
		return (r);
	for (;;) {
		klen = 0;
		r = ledger_cget(a->a_l, c, k, sizeof(k), &klen, NULL, 0, NULL,
		    DB_NEXT);
		if (r != LEDGER_OK)
			break;
		ondisk++;
	}
	if (r == LEDGER_NOTFOUND)
		r = LEDGER_OK;
	if (ondisk > 0)
		problem(a, "reservations.db: %llu reservations of an older "
		    "version, not released", (unsigned long long)ondisk);
	return (ledger_cursor_close(a->a_l, c, r));
}

static void
jindex_next(struct audit *a)
{
	a->a_xklen = 0;
	a->a_xr = ledger_cget(a->a_l, a->a_x, a->a_xk, sizeof(a->a_xk),
	    &a->a_xklen, &a->a_rx, sizeof(a->a_rx), &a->a_xdlen, DB_NEXT);
}

/*
 * Accounts and the journal index walk side by side, both in key order:
 * the index entries of an account follow those of the accounts before.
 */
static int
audit_accounts(struct audit *a)
{
	struct rec_account	 ra;
	struct rsum		*rs;
	DBC			*c = NULL;
	uint8_t			 k[LEDGER_KEY_LEN];
	size_t			 klen, dlen;
	char			 hex[16];
	int			 r;

	if ((r = ledger_cursor(&a->a_t, LDB_ACCOUNTS, &c)) != LEDGER_OK)
		return (r);
	if ((r = ledger_cursor(&a->a_t, LDB_JINDEX, &a->a_x)) != LEDGER_OK)
		goto done;
	jindex_next(a);
	for (;;) {
		klen = 0;
		r = ledger_cget(a->a_l, c, k, sizeof(k), &klen, &ra,
		    sizeof(ra), &dlen, DB_NEXT);
		if (r != LEDGER_OK)
			break;
		a->a_rep->lr_accounts++;
		if (klen != sizeof(k) || dlen != sizeof(ra) ||
		    ra.ra_version != LEDGER_REC_VERSION ||
		    memcmp(ra.ra_a.la_key, k, sizeof(k)) != 0 ||
		    !ipc_str_ok(ra.ra_a.la_mint, sizeof(ra.ra_a.la_mint)) ||
		    !ipc_str_ok(ra.ra_a.la_unit, sizeof(ra.ra_a.la_unit))) {
			problem(a, "accounts.db: a damaged record");
			continue;
		}
		if ((r = audit_one(a, &ra.ra_a)) != LEDGER_OK)
			break;
	}
	if (r != LEDGER_NOTFOUND)
		goto done;
	/* Index entries after the last account. */
	if ((r = audit_one(a, NULL)) != LEDGER_OK)
		goto done;
	RB_FOREACH(rs, rsums, &a->a_rsums)
		if (!rs->rs_seen)
			problem(a, "%llu reservations of account %s, which "
			    "does not exist", (unsigned long long)rs->rs_n,
			    hexkey(rs->rs_key, hex, sizeof(hex)));
 done:
	r = ledger_cursor_close(a->a_l, a->a_x, r);
	a->a_x = NULL;
	return (ledger_cursor_close(a->a_l, c, r));
}

/*
 * One account against its index entries, at which the index cursor
 * is; la NULL: report whatever entries are left.
 */
static int
audit_one(struct audit *a, const struct ledger_account *la)
{
	struct rec_jindex	*rx = &a->a_rx;
	struct ledger_account	 mem;
	struct rsum		*rs, find;
	uint8_t			 orphan[LEDGER_KEY_LEN];
	unsigned __int128	 credits = 0, debits = 0;
	char			 hex[16];
	int			 cmp, have_orphan = 0, bad = 0;

	for (; a->a_xr == LEDGER_OK; jindex_next(a)) {
		if (a->a_xklen != LEDGER_JINDEX_KEY) {
			problem(a, "jindex.db: a damaged key");
			continue;
		}
		cmp = la == NULL ? -1 : memcmp(a->a_xk, la->la_key,
		    LEDGER_KEY_LEN);
		if (cmp > 0)
			break;
		a->a_jindex++;
		if (cmp < 0) {
			if (!have_orphan || memcmp(orphan, a->a_xk,
			    LEDGER_KEY_LEN) != 0) {
				problem(a, "journal entries of account %s, "
				    "which does not exist",
				    hexkey(a->a_xk, hex, sizeof(hex)));
				memcpy(orphan, a->a_xk, LEDGER_KEY_LEN);
				have_orphan = 1;
			}
			continue;
		}
		if (a->a_xdlen != sizeof(*rx) ||
		    rx->rx_version != LEDGER_REC_VERSION) {
			problem(a, "jindex.db: a damaged record");
			bad = 1;
			continue;
		}
		/*
		 * Over its life an account may see more than 2^64 msat
		 * come and go; 128 bits hold any sum of 2^64 entries.
		 */
		if (rx->rx_credit)
			credits += rx->rx_amount;
		else
			debits += rx->rx_amount;
	}
	if (a->a_xr != LEDGER_OK && a->a_xr != LEDGER_NOTFOUND)
		return (a->a_xr);
	if (la == NULL)
		return (LEDGER_OK);

	hexkey(la->la_key, hex, sizeof(hex));
	if (bad)
		problem(a, "account %s: its journal cannot be read", hex);
	else if (credits < debits)
		problem(a, "account %s: balance %llu but its journal debits "
		    "more than it credits", hex,
		    (unsigned long long)la->la_balance);
	else if (credits - debits > UINT64_MAX)
		problem(a, "account %s: balance %llu but its journal sums "
		    "to more than 64 bits", hex,
		    (unsigned long long)la->la_balance);
	else if ((uint64_t)(credits - debits) != la->la_balance)
		problem(a, "account %s: balance %llu but journal sums to %llu",
		    hex, (unsigned long long)la->la_balance,
		    (unsigned long long)(uint64_t)(credits - debits));
	/* On disk it is always 0: what is reserved is in memory. */
	if (la->la_reserved != 0)
		problem(a, "account %s: reserved %llu in its record, not 0", hex,
		    (unsigned long long)la->la_reserved);
	memcpy(find.rs_key, la->la_key, LEDGER_KEY_LEN);
	if ((rs = RB_FIND(rsums, &a->a_rsums, &find)) != NULL)
		rs->rs_seen = 1;
	mem = *la;
	mem.la_reserved = ledger_resv_reserved(a->a_l, la->la_key, NULL);
	if (mem.la_reserved > mem.la_balance)
		problem(a, "account %s: reserved %llu above balance %llu",
		    hex, (unsigned long long)mem.la_reserved,
		    (unsigned long long)mem.la_balance);

	if (la->la_flags & LEDGER_ACCOUNT_CLOSED) {
		if (mem.la_balance != 0 || mem.la_reserved != 0)
			problem(a, "account %s: closed but holds %llu "
			    "(reserved %llu)", hex,
			    (unsigned long long)mem.la_balance,
			    (unsigned long long)mem.la_reserved);
	} else
		audit_total(a, &mem);
	return (LEDGER_OK);
}

static void
audit_total(struct audit *a, const struct ledger_account *la)
{
	struct ledger_report	*rep = a->a_rep;
	struct ledger_total	*lt = NULL;
	size_t			 i, max;

	max = sizeof(rep->lr_totals) / sizeof(rep->lr_totals[0]);
	for (i = 0; i < rep->lr_ntotals; i++) {
		lt = &rep->lr_totals[i];
		if (strcmp(lt->lt_mint, la->la_mint) == 0 &&
		    strcmp(lt->lt_unit, la->la_unit) == 0)
			break;
	}
	if (i == rep->lr_ntotals) {
		if (rep->lr_ntotals == max) {
			if (!a->a_totals_full)
				problem(a, "more than %zu mints and units: "
				    "the totals leave some out", max);
			a->a_totals_full = 1;
			return;
		}
		lt = &rep->lr_totals[rep->lr_ntotals++];
		strlcpy(lt->lt_mint, la->la_mint, sizeof(lt->lt_mint));
		strlcpy(lt->lt_unit, la->la_unit, sizeof(lt->lt_unit));
	}
	/* Past 64 bits the total stays at UINT64_MAX, said once. */
	if (money_add(&lt->lt_balance, lt->lt_balance, la->la_balance) == -1 ||
	    money_add(&lt->lt_reserved, lt->lt_reserved,
	    la->la_reserved) == -1) {
		if (!a->a_tover[i])
			problem(a, "the total of %s %s is more than 64 bits",
			    lt->lt_mint, lt->lt_unit);
		a->a_tover[i] = 1;
		lt->lt_balance = lt->lt_reserved = UINT64_MAX;
	}
	lt->lt_accounts++;
}

static int
audit_journal(struct audit *a)
{
	struct rec_journal	 rj;
	DBC			*c;
	uint8_t			 k[8];
	size_t			 klen, dlen;
	uint64_t		 last = 0;
	int			 r;

	if ((r = ledger_cursor(&a->a_t, LDB_JOURNAL, &c)) != LEDGER_OK)
		return (r);
	for (;;) {
		klen = 0;
		r = ledger_cget(a->a_l, c, k, sizeof(k), &klen, &rj,
		    sizeof(rj), &dlen, DB_NEXT);
		if (r != LEDGER_OK)
			break;
		a->a_rep->lr_journal++;
		if (klen != sizeof(k) || dlen != sizeof(rj) ||
		    rj.rj_version != LEDGER_REC_VERSION ||
		    rj.rj_j.lj_seq != ledger_be64dec(k)) {
			problem(a, "journal.db: a damaged record");
			continue;
		}
		if (rj.rj_j.lj_seq <= last)
			problem(a, "journal: sequence %llu after %llu",
			    (unsigned long long)rj.rj_j.lj_seq,
			    (unsigned long long)last);
		last = rj.rj_j.lj_seq;
	}
	if (r == LEDGER_NOTFOUND)
		r = LEDGER_OK;
	r = ledger_cursor_close(a->a_l, c, r);
	if (r == LEDGER_OK && a->a_jindex != a->a_rep->lr_journal)
		problem(a, "journal: %llu entries but %llu in its index",
		    (unsigned long long)a->a_rep->lr_journal,
		    (unsigned long long)a->a_jindex);
	return (r);
}

/* The spent and pending sets side by side, both in Y order. */
static int
audit_ys(struct audit *a)
{
	struct rec_spent	 rs;
	struct rec_pending	 rp;
	struct rec_value	 v;
	struct ledger_quote	 q;
	DBC			*s = NULL, *p = NULL;
	uint8_t			 sy[LEDGER_Y_LEN], py[LEDGER_Y_LEN];
	size_t			 sl = 0, pl = 0, sdl, pdl;
	char			 hex[16];
	int			 r, sr, pr, cmp;

	if ((r = ledger_cursor(&a->a_t, LDB_SPENT, &s)) != LEDGER_OK)
		return (r);
	if ((r = ledger_cursor(&a->a_t, LDB_PENDING, &p)) != LEDGER_OK)
		goto done;
	sr = ledger_cget(a->a_l, s, sy, sizeof(sy), &sl, &rs, sizeof(rs),
	    &sdl, DB_NEXT);
	pr = ledger_cget(a->a_l, p, py, sizeof(py), &pl, &rp, sizeof(rp),
	    &pdl, DB_NEXT);
	while (sr == LEDGER_OK || pr == LEDGER_OK) {
		if (sr == LEDGER_OK && pr == LEDGER_OK)
			cmp = memcmp(sy, py, sizeof(sy));
		else
			cmp = sr == LEDGER_OK ? -1 : 1;
		if (cmp <= 0) {
			a->a_rep->lr_spent++;
			if (sl != sizeof(sy) ||
			    ledger_ys_value(&rs, sdl, 0, &v) != LEDGER_OK)
				problem(a, "spent.db: a damaged record");
		}
		if (cmp >= 0) {
			a->a_rep->lr_pending++;
			if (pl != sizeof(py) ||
			    ledger_ys_value(&rp, pdl, 1, &v) != LEDGER_OK ||
			    !ipc_str_ok(rp.rp_quote, sizeof(rp.rp_quote)))
				problem(a, "pending.db: a damaged record");
			else if (rp.rp_quote[0] != '\0' &&
			    (r = ledger_quote_get(&a->a_t, 1, rp.rp_quote,
			    &q)) != LEDGER_OK) {
				if (r != LEDGER_NOTFOUND)
					goto done;
				problem(a, "pending Y %s: its melt quote %s "
				    "does not exist", hexkey(py, hex,
				    sizeof(hex)), rp.rp_quote);
			}
		}
		if (cmp == 0)
			problem(a, "Y %s is both spent and pending",
			    hexkey(sy, hex, sizeof(hex)));
		if (cmp <= 0)
			sr = ledger_cget(a->a_l, s, sy, sizeof(sy), &sl, &rs,
			    sizeof(rs), &sdl, DB_NEXT);
		if (cmp >= 0)
			pr = ledger_cget(a->a_l, p, py, sizeof(py), &pl, &rp,
			    sizeof(rp), &pdl, DB_NEXT);
	}
	r = sr != LEDGER_NOTFOUND ? sr : pr != LEDGER_NOTFOUND ? pr :
	    LEDGER_OK;
 done:
	r = ledger_cursor_close(a->a_l, p, r);
	return (ledger_cursor_close(a->a_l, s, r));
}

static int
audit_issued(struct audit *a)
{
	struct rec_issued	 ri;
	DBC			*c;
	uint8_t			 k[LEDGER_Y_LEN];
	size_t			 klen, dlen;
	int			 r;

	if ((r = ledger_cursor(&a->a_t, LDB_ISSUED, &c)) != LEDGER_OK)
		return (r);
	for (;;) {
		klen = 0;
		r = ledger_cget(a->a_l, c, k, sizeof(k), &klen, &ri,
		    sizeof(ri), &dlen, DB_NEXT);
		if (r != LEDGER_OK)
			break;
		a->a_rep->lr_issued++;
		if (klen != sizeof(k) || dlen != sizeof(ri) ||
		    ri.ri_version != LEDGER_REC_VERSION ||
		    memcmp(ri.ri_i.li_b, k, sizeof(k)) != 0)
			problem(a, "issued.db: a damaged record");
	}
	if (r == LEDGER_NOTFOUND)
		r = LEDGER_OK;
	return (ledger_cursor_close(a->a_l, c, r));
}

/* Every melt quote that is PENDING or PAID holds its payment hash. */
static int
audit_quotes(struct audit *a)
{
	struct rec_quote	 rq;
	struct rec_melthash	 rm;
	struct ledger_quote	*q = &rq.rq_q;
	DBC			*c;
	uint8_t			 k[LEDGER_QUOTE_KEY];
	size_t			 klen, dlen;
	int			 r;

	if ((r = ledger_cursor(&a->a_t, LDB_QUOTES, &c)) != LEDGER_OK)
		return (r);
	for (;;) {
		klen = 0;
		r = ledger_cget(a->a_l, c, k, sizeof(k), &klen, &rq,
		    sizeof(rq), &dlen, DB_NEXT);
		if (r != LEDGER_OK)
			break;
		if (klen < 2 || dlen != sizeof(rq) ||
		    rq.rq_version != LEDGER_REC_VERSION ||
		    !ipc_str_ok(q->lq_id, sizeof(q->lq_id)) ||
		    k[0] != q->lq_melt || strlen(q->lq_id) != klen - 1 ||
		    memcmp(k + 1, q->lq_id, klen - 1) != 0) {
			problem(a, "quotes.db: a damaged record");
			continue;
		}
		if (!q->lq_melt || (q->lq_state != LEDGER_QUOTE_PENDING &&
		    q->lq_state != LEDGER_QUOTE_PAID))
			continue;
		r = ledger_getrec(&a->a_t, LDB_MELTHASH, q->lq_payment_hash,
		    sizeof(q->lq_payment_hash), &rm, sizeof(rm));
		if (r == LEDGER_OK && ipc_str_ok(rm.rm_id, sizeof(rm.rm_id)) &&
		    strcmp(rm.rm_id, q->lq_id) == 0)
			continue;
		if (r != LEDGER_OK && r != LEDGER_NOTFOUND)
			break;
		r = LEDGER_OK;
		problem(a, "melt quote %s: %s but its payment hash is not "
		    "indexed", q->lq_id, q->lq_state == LEDGER_QUOTE_PAID ?
		    "paid" : "pending");
	}
	if (r == LEDGER_NOTFOUND)
		r = LEDGER_OK;
	return (ledger_cursor_close(a->a_l, c, r));
}

static int
audit_melthash(struct audit *a)
{
	struct rec_melthash	 rm;
	struct ledger_quote	 q;
	DBC			*c;
	uint8_t			 k[32];
	size_t			 klen, dlen;
	int			 r;

	if ((r = ledger_cursor(&a->a_t, LDB_MELTHASH, &c)) != LEDGER_OK)
		return (r);
	for (;;) {
		klen = 0;
		r = ledger_cget(a->a_l, c, k, sizeof(k), &klen, &rm,
		    sizeof(rm), &dlen, DB_NEXT);
		if (r != LEDGER_OK)
			break;
		if (klen != sizeof(k) || dlen != sizeof(rm) ||
		    rm.rm_version != LEDGER_REC_VERSION ||
		    !ipc_str_ok(rm.rm_id, sizeof(rm.rm_id))) {
			problem(a, "melthash.db: a damaged record");
			continue;
		}
		r = ledger_quote_get(&a->a_t, 1, rm.rm_id, &q);
		if (r != LEDGER_OK && r != LEDGER_NOTFOUND &&
		    r != LEDGER_INVALID)
			break;
		if (r != LEDGER_OK)
			problem(a, "payment hash index: melt quote %s does "
			    "not exist", rm.rm_id);
		else if (memcmp(q.lq_payment_hash, k, sizeof(k)) != 0 ||
		    (q.lq_state != LEDGER_QUOTE_PENDING &&
		    q.lq_state != LEDGER_QUOTE_PAID))
			problem(a, "payment hash index: melt quote %s is "
			    "not pending or paid with that hash", rm.rm_id);
		r = LEDGER_OK;
	}
	if (r == LEDGER_NOTFOUND)
		r = LEDGER_OK;
	return (ledger_cursor_close(a->a_l, c, r));
}

/* The sums of the records, gathered before the totals are read. */
struct sums {
	struct ledger_keyset_total	*k_sums;
	size_t				 k_n, k_size;
	int				 k_nomem;
};

static int
sum_cb(const struct ledger_keyset_total *kt, void *arg)
{
	struct sums			*ks = arg;
	struct ledger_keyset_total	*n;

	if (ks->k_n == ks->k_size) {
		if ((n = recallocarray(ks->k_sums, ks->k_size,
		    ks->k_size + 16, sizeof(*n))) == NULL) {
			ks->k_nomem = 1;
			return (-1);
		}
		ks->k_sums = n;
		ks->k_size += 16;
	}
	ks->k_sums[ks->k_n++] = *kt;
	return (0);
}

/*
 * What the mint issued and redeemed: the running totals of totals.db
 * against the sums of issued.db and spent.db, keyset by keyset.
 */
static int
audit_totals(struct audit *a)
{
	struct sums			 ks;
	struct ledger_keyset_total	 zero, *want;
	struct rec_total		 rt;
	DBC				*c = NULL;
	uint8_t				 k[LEDGER_KEYSET_MAX];
	size_t				 klen, dlen, i;
	uint64_t			 novalue;
	char				 hex[2 * LEDGER_KEYSET_MAX + 1];
	int				 r, *seen = NULL;

	memset(&ks, 0, sizeof(ks));
	r = ledger_keyset_sums(&a->a_t, sum_cb, &ks, &novalue);
	if (r == LEDGER_OK && ks.k_nomem) {
		log_warn("%s", __func__);
		r = LEDGER_DBERR;
	}
	if (r == LEDGER_OVERFLOW) {
		problem(a, "the issued or redeemed amounts of a keyset sum "
		    "to more than 64 bits");
		r = LEDGER_OK;
		goto done;
	}
	if (r != LEDGER_OK)
		goto done;
	if ((seen = calloc(ks.k_n + 1, sizeof(*seen))) == NULL) {
		log_warn("%s", __func__);
		r = LEDGER_DBERR;
		goto done;
	}
	if ((r = ledger_cursor(&a->a_t, LDB_TOTALS, &c)) != LEDGER_OK)
		goto done;
	for (;;) {
		klen = 0;
		r = ledger_cget(a->a_l, c, k, sizeof(k), &klen, &rt,
		    sizeof(rt), &dlen, DB_NEXT);
		if (r != LEDGER_OK)
			break;
		if (klen == 0 || dlen != sizeof(rt) ||
		    rt.rt_version != LEDGER_REC_VERSION) {
			problem(a, "totals.db: a damaged record");
			continue;
		}
		want = NULL;
		for (i = 0; i < ks.k_n && want == NULL; i++)
			if (ks.k_sums[i].kt_keyset_len == klen &&
			    memcmp(ks.k_sums[i].kt_keyset, k, klen) == 0) {
				want = &ks.k_sums[i];
				seen[i] = 1;
			}
		if (want == NULL) {
			memset(&zero, 0, sizeof(zero));
			want = &zero;
		}
		if (rt.rt_issued != want->kt_issued ||
		    rt.rt_nissued != want->kt_nissued)
			problem(a, "keyset %s: issued %llu in %llu outputs, "
			    "but its outputs sum to %llu in %llu",
			    ledger_hexkey(k, klen, hex, sizeof(hex)),
			    (unsigned long long)rt.rt_issued,
			    (unsigned long long)rt.rt_nissued,
			    (unsigned long long)want->kt_issued,
			    (unsigned long long)want->kt_nissued);
		if (rt.rt_redeemed != want->kt_redeemed ||
		    rt.rt_nredeemed != want->kt_nredeemed)
			problem(a, "keyset %s: redeemed %llu in %llu proofs, "
			    "but its spent proofs sum to %llu in %llu",
			    ledger_hexkey(k, klen, hex, sizeof(hex)),
			    (unsigned long long)rt.rt_redeemed,
			    (unsigned long long)rt.rt_nredeemed,
			    (unsigned long long)want->kt_redeemed,
			    (unsigned long long)want->kt_nredeemed);
	}
	if (r == LEDGER_NOTFOUND)
		r = LEDGER_OK;
	r = ledger_cursor_close(a->a_l, c, r);
	for (i = 0; r == LEDGER_OK && i < ks.k_n; i++)
		if (!seen[i])
			problem(a, "keyset %s: outputs or spent proofs but no "
			    "totals", ledger_hexkey(ks.k_sums[i].kt_keyset,
			    ks.k_sums[i].kt_keyset_len, hex, sizeof(hex)));
 done:
	free(seen);
	free(ks.k_sums);
	return (r);
}

int
ledger_check(struct ledger *l, struct ledger_report *rep,
    void (*cb)(const char *, void *), void *arg)
{
	struct audit	 a;
	struct rsum	*rs, *next;
	int		 e, r;

	if (l == NULL || rep == NULL)
		return (LEDGER_INVALID);
	memset(rep, 0, sizeof(*rep));
	memset(&a, 0, sizeof(a));
	a.a_l = l;
	a.a_rep = rep;
	a.a_cb = cb;
	a.a_arg = arg;
	a.a_t.t_l = l;
	ledger_undo_init(&a.a_t);
	RB_INIT(&a.a_rsums);
	if ((e = l->l_env->txn_begin(l->l_env, NULL, &a.a_t.t_txn,
	    DB_READ_COMMITTED | DB_TXN_NOWAIT)) != 0)
		return (ledger_err(l, "ledger: audit", e));

	if ((r = audit_reservations(&a)) == LEDGER_OK &&
	    (r = audit_accounts(&a)) == LEDGER_OK &&
	    (r = audit_journal(&a)) == LEDGER_OK &&
	    (r = audit_ys(&a)) == LEDGER_OK &&
	    (r = audit_issued(&a)) == LEDGER_OK &&
	    (r = audit_quotes(&a)) == LEDGER_OK &&
	    (r = audit_melthash(&a)) == LEDGER_OK)
		r = audit_totals(&a);

	/* It wrote nothing: commit and abort are the same. */
	if ((e = a.a_t.t_txn->commit(a.a_t.t_txn, DB_TXN_NOSYNC)) != 0 &&
	    r == LEDGER_OK)
		r = ledger_err(l, "ledger: audit commit", e);
	for (rs = RB_MIN(rsums, &a.a_rsums); rs != NULL; rs = next) {
		next = RB_NEXT(rsums, &a.a_rsums, rs);
		RB_REMOVE(rsums, &a.a_rsums, rs);
		free(rs);
	}
	return (r);
}
