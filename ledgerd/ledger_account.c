/*
 * Accounts, reservations and the journal.
 *
 * The open reservations are in memory (ledger_resv.c): a reserve only
 * reads the account, a release writes nothing, a settle writes the
 * account and the journal.  An account record stores la_reserved 0;
 * every account handed out has it from memory.
 *
 * Every function checks everything it can before it writes, and writes
 * in an inner child transaction (ledger_sub_begin()) that is aborted on
 * any error: the caller's transaction never holds half an operation.
 * Every change of a balance appends a journal entry in the same inner
 * transaction, and an index entry (account, seq) for the audit and for
 * the walk of one account's journal.
 */

#include <sys/types.h>

#include <stdint.h>
#include <string.h>

#include "ipc.h"
#include "ledger_impl.h"
#include "log.h"
#include "money.h"

static int	 acct_read(struct ledger_txn *, const uint8_t *,
		    struct rec_account *);
static int	 acct_load(struct ledger_txn *, const uint8_t *,
		    struct rec_account *);
static int	 acct_store(struct ledger_txn *, const struct rec_account *,
		    uint32_t);
static int	 acct_damaged(const struct rec_account *, const char *);
static int	 resv_account(struct ledger_txn *, const uint8_t *, uint64_t,
		    struct rec_account *);
static int	 resv_release_disk(struct ledger_txn *, uint64_t *);

static const uint8_t	 zero_reqid[LEDGER_REQID_LEN];

/* The record as stored. */
static int
acct_read(struct ledger_txn *t, const uint8_t *key, struct rec_account *ra)
{
	char	 hex[16];
	int	 r;

	r = ledger_getrec(t, LDB_ACCOUNTS, key, LEDGER_KEY_LEN, ra,
	    sizeof(*ra));
	if (r == LEDGER_OK &&
	    memcmp(ra->ra_a.la_key, key, LEDGER_KEY_LEN) != 0) {
		log_warnx("ledger: account %s: record under another key",
		    ledger_hexkey(key, LEDGER_KEY_LEN, hex, sizeof(hex)));
		return (LEDGER_DBERR);
	}
	return (r);
}

/* The account as it is: what its reservations hold is in memory. */
static int
acct_load(struct ledger_txn *t, const uint8_t *key, struct rec_account *ra)
{
	int	 r;

	if ((r = acct_read(t, key, ra)) == LEDGER_OK)
		ra->ra_a.la_reserved = ledger_resv_reserved(t->t_l, key,
		    NULL);
	return (r);
}

/* Stored with la_reserved 0: the reservations are not. */
static int
acct_store(struct ledger_txn *t, const struct rec_account *ra,
    uint32_t flags)
{
	struct rec_account	 w = *ra;

	w.ra_a.la_reserved = 0;
	return (ledger_put(t, LDB_ACCOUNTS, w.ra_a.la_key, LEDGER_KEY_LEN,
	    &w, sizeof(w), flags));
}

/* An account whose numbers contradict each other is damaged. */
static int
acct_damaged(const struct rec_account *ra, const char *what)
{
	char	 hex[16];

	log_warnx("ledger: account %s: %s: damaged",
	    ledger_hexkey(ra->ra_a.la_key, LEDGER_KEY_LEN, hex, sizeof(hex)),
	    what);
	return (LEDGER_DBERR);
}

int
ledger_journal_add(struct ledger_txn *t, const uint8_t *key,
    uint32_t reason, int credit, uint64_t amount, uint64_t balance,
    const uint8_t *reqid)
{
	struct rec_journal	 rj;
	struct rec_jindex	 rx;
	uint8_t			 k[8], xk[LEDGER_JINDEX_KEY];
	uint64_t		 seq;
	int			 r;

	if ((r = ledger_nextid(t->t_l, &seq)) != LEDGER_OK)
		return (r);
	memset(&rj, 0, sizeof(rj));
	rj.rj_version = LEDGER_REC_VERSION;
	rj.rj_j.lj_seq = seq;
	rj.rj_j.lj_time = ledger_now();
	memcpy(rj.rj_j.lj_key, key, LEDGER_KEY_LEN);
	rj.rj_j.lj_reason = reason;
	rj.rj_j.lj_credit = credit ? 1 : 0;
	rj.rj_j.lj_amount = amount;
	rj.rj_j.lj_balance = balance;
	memcpy(rj.rj_j.lj_reqid, reqid != NULL ? reqid : zero_reqid,
	    LEDGER_REQID_LEN);
	ledger_be64enc(k, seq);
	if ((r = ledger_put(t, LDB_JOURNAL, k, sizeof(k), &rj, sizeof(rj),
	    DB_NOOVERWRITE)) != LEDGER_OK)
		return (r == LEDGER_EXISTS ? LEDGER_DBERR : r);

	memset(&rx, 0, sizeof(rx));
	rx.rx_version = LEDGER_REC_VERSION;
	rx.rx_credit = rj.rj_j.lj_credit;
	rx.rx_amount = amount;
	memcpy(xk, key, LEDGER_KEY_LEN);
	memcpy(xk + LEDGER_KEY_LEN, k, sizeof(k));
	if ((r = ledger_put(t, LDB_JINDEX, xk, sizeof(xk), &rx, sizeof(rx),
	    DB_NOOVERWRITE)) != LEDGER_OK)
		return (r == LEDGER_EXISTS ? LEDGER_DBERR : r);
	return (LEDGER_OK);
}

int
ledger_account_create(struct ledger_txn *t, const struct ledger_account *a,
    const uint8_t *reqid)
{
	struct ledger_txn	 sub;
	struct rec_account	 ra;
	int64_t			 now = ledger_now();
	int			 r;

	if (t == NULL || a == NULL ||
	    !ipc_str_ok(a->la_unit, sizeof(a->la_unit)) ||
	    a->la_unit[0] == '\0' ||
	    !ipc_str_ok(a->la_mint, sizeof(a->la_mint)) ||
	    a->la_expiry < 0)
		return (LEDGER_INVALID);

	memset(&ra, 0, sizeof(ra));
	ra.ra_version = LEDGER_REC_VERSION;
	memcpy(ra.ra_a.la_key, a->la_key, LEDGER_KEY_LEN);
	ra.ra_a.la_balance = a->la_balance;
	ra.ra_a.la_limit = a->la_limit;
	ra.ra_a.la_expiry = a->la_expiry;
	ra.ra_a.la_created = now;
	ra.ra_a.la_used = now;
	strlcpy(ra.ra_a.la_unit, a->la_unit, sizeof(ra.ra_a.la_unit));
	strlcpy(ra.ra_a.la_mint, a->la_mint, sizeof(ra.ra_a.la_mint));

	if ((r = ledger_sub_begin(t, &sub)) != LEDGER_OK)
		return (r);
	r = acct_store(&sub, &ra, DB_NOOVERWRITE);
	if (r == LEDGER_OK && a->la_balance != 0)
		r = ledger_journal_add(&sub, a->la_key, LEDGER_R_CREATE, 1,
		    a->la_balance, a->la_balance, reqid);
	return (ledger_sub_end(&sub, r));
}

int
ledger_account_get(struct ledger_txn *t, const uint8_t *key,
    struct ledger_account *a)
{
	struct rec_account	 ra;
	int			 r;

	if (t == NULL || key == NULL || a == NULL)
		return (LEDGER_INVALID);
	if ((r = acct_load(t, key, &ra)) == LEDGER_OK)
		*a = ra.ra_a;
	return (r);
}

int
ledger_account_credit(struct ledger_txn *t, const uint8_t *key,
    uint64_t amount, int reason, const uint8_t *reqid, uint64_t *balance)
{
	struct ledger_txn	 sub;
	struct rec_account	 ra;
	uint64_t		 nb = 0;
	int			 r;

	if (t == NULL || key == NULL || amount == 0 ||
	    (reason != LEDGER_R_TOPUP && reason != LEDGER_R_ADJUST))
		return (LEDGER_INVALID);
	if ((r = ledger_sub_begin(t, &sub)) != LEDGER_OK)
		return (r);
	if ((r = acct_load(&sub, key, &ra)) != LEDGER_OK)
		goto done;
	if (ra.ra_a.la_flags & LEDGER_ACCOUNT_CLOSED) {
		r = LEDGER_CLOSED;
		goto done;
	}
	if (money_add(&nb, ra.ra_a.la_balance, amount) == -1) {
		r = LEDGER_OVERFLOW;
		goto done;
	}
	ra.ra_a.la_balance = nb;
	ra.ra_a.la_used = ledger_now();
	if ((r = acct_store(&sub, &ra, 0)) == LEDGER_OK)
		r = ledger_journal_add(&sub, key, reason, 1, amount, nb,
		    reqid);
 done:
	if ((r = ledger_sub_end(&sub, r)) == LEDGER_OK && balance != NULL)
		*balance = nb;
	return (r);
}

int
ledger_account_refund(struct ledger_txn *t, const uint8_t *key,
    const uint8_t *reqid, uint64_t *amount)
{
	struct ledger_txn	 sub;
	struct rec_account	 ra;
	uint64_t		 taken = 0;
	int			 r;

	if (t == NULL || key == NULL)
		return (LEDGER_INVALID);
	if ((r = ledger_sub_begin(t, &sub)) != LEDGER_OK)
		return (r);
	if ((r = acct_load(&sub, key, &ra)) != LEDGER_OK)
		goto done;
	if (ra.ra_a.la_flags & LEDGER_ACCOUNT_CLOSED) {
		r = LEDGER_CLOSED;
		goto done;
	}
	if (ra.ra_a.la_reserved != 0) {
		r = LEDGER_RESERVED;
		goto done;
	}
	taken = ra.ra_a.la_balance;
	ra.ra_a.la_balance = 0;
	ra.ra_a.la_flags |= LEDGER_ACCOUNT_CLOSED;
	ra.ra_a.la_used = ledger_now();
	if ((r = acct_store(&sub, &ra, 0)) == LEDGER_OK && taken != 0)
		r = ledger_journal_add(&sub, key, LEDGER_R_REFUND, 0, taken, 0,
		    reqid);
 done:
	if ((r = ledger_sub_end(&sub, r)) == LEDGER_OK && amount != NULL)
		*amount = taken;
	return (r);
}

int
ledger_reserve(struct ledger_txn *t, const uint8_t *key, uint64_t amount,
    int64_t deadline, const uint8_t *reqid, uint64_t *id)
{
	struct rec_account	 ra;
	struct resv		 rv;
	uint64_t		 spendable, sum;
	int64_t			 now = ledger_now();
	int			 r;

	if (t == NULL || key == NULL)
		return (LEDGER_INVALID);
	/* Read only: the reservation itself is in memory. */
	if ((r = acct_load(t, key, &ra)) != LEDGER_OK)
		return (r);
	if (ra.ra_a.la_flags & LEDGER_ACCOUNT_CLOSED)
		return (LEDGER_CLOSED);
	if (ra.ra_a.la_expiry != 0 && ra.ra_a.la_expiry <= now)
		return (LEDGER_EXPIRED);
	if (money_sub(&spendable, ra.ra_a.la_balance,
	    ra.ra_a.la_reserved) == -1)
		return (acct_damaged(&ra, "reserved above balance"));
	if (amount > spendable)
		return (LEDGER_INSUFFICIENT);
	if (ra.ra_a.la_limit != 0 &&
	    (money_add(&sum, ra.ra_a.la_spent, ra.ra_a.la_reserved) == -1 ||
	    money_add(&sum, sum, amount) == -1 || sum > ra.ra_a.la_limit))
		return (LEDGER_LIMIT);

	memset(&rv, 0, sizeof(rv));
	if ((r = ledger_nextid(t->t_l, &rv.rv_id)) != LEDGER_OK)
		return (r);
	memcpy(rv.rv_key, key, LEDGER_KEY_LEN);
	rv.rv_amount = amount;
	rv.rv_deadline = deadline;
	rv.rv_created = now;
	memcpy(rv.rv_reqid, reqid != NULL ? reqid : zero_reqid,
	    LEDGER_REQID_LEN);
	/* Cannot overflow: amount <= balance - reserved. */
	if ((r = ledger_resv_add(t, &rv)) == LEDGER_OVERFLOW)
		r = acct_damaged(&ra, "reserved overflows");
	if (r == LEDGER_OK && id != NULL)
		*id = rv.rv_id;
	return (r);
}

/* The account of a reservation must exist. */
static int
resv_account(struct ledger_txn *t, const uint8_t *key, uint64_t id,
    struct rec_account *ra)
{
	int	 r;

	if ((r = acct_load(t, key, ra)) == LEDGER_NOTFOUND) {
		log_warnx("ledger: reservation %llu: no account: damaged",
		    (unsigned long long)id);
		r = LEDGER_DBERR;
	}
	return (r);
}

int
ledger_settle(struct ledger_txn *t, uint64_t id, uint64_t actual,
    const uint8_t *reqid, uint64_t *charged, struct ledger_account *after)
{
	struct ledger_txn	 sub;
	struct resv		 rv, *found;
	struct rec_account	 ra;
	uint64_t		 others, cap, room, charge = 0;
	int			 r;

	if (t == NULL)
		return (LEDGER_INVALID);
	if ((found = ledger_resv_find(t->t_l, id)) == NULL)
		return (LEDGER_NOTFOUND);
	rv = *found;
	if ((r = ledger_sub_begin(t, &sub)) != LEDGER_OK)
		return (r);
	if ((r = resv_account(&sub, rv.rv_key, id, &ra)) != LEDGER_OK)
		goto done;

	/*
	 * What the other reservations hold stays held, so that reserved
	 * <= balance holds after; the spending limit caps it too.
	 */
	if (money_sub(&others, ra.ra_a.la_reserved, rv.rv_amount) == -1) {
		r = acct_damaged(&ra, "reservation above reserved");
		goto done;
	}
	if (money_sub(&cap, ra.ra_a.la_balance, others) == -1) {
		r = acct_damaged(&ra, "reserved above balance");
		goto done;
	}
	if (ra.ra_a.la_limit != 0) {
		if (money_sub(&room, ra.ra_a.la_limit, ra.ra_a.la_spent) == -1)
			room = 0;
		if (cap > room)
			cap = room;
	}
	charge = actual < cap ? actual : cap;

	ra.ra_a.la_reserved = others;
	if (money_sub(&ra.ra_a.la_balance, ra.ra_a.la_balance,
	    charge) == -1) {
		r = acct_damaged(&ra, "charge above balance");
		goto done;
	}
	if (money_add(&ra.ra_a.la_spent, ra.ra_a.la_spent, charge) == -1 ||
	    money_add(&ra.ra_a.la_requests, ra.ra_a.la_requests, 1) == -1) {
		r = LEDGER_OVERFLOW;
		goto done;
	}
	ra.ra_a.la_used = ledger_now();

	if ((r = acct_store(&sub, &ra, 0)) != LEDGER_OK)
		goto done;
	if (charge != 0 && (r = ledger_journal_add(&sub, rv.rv_key,
	    LEDGER_R_SETTLE, 0, charge, ra.ra_a.la_balance,
	    reqid != NULL ? reqid : rv.rv_reqid)) != LEDGER_OK)
		goto done;
	/* Last: undone with the writes if the inner commit fails. */
	r = ledger_resv_remove(&sub, id);
 done:
	if ((r = ledger_sub_end(&sub, r)) == LEDGER_OK) {
		if (charged != NULL)
			*charged = charge;
		if (after != NULL)
			*after = ra.ra_a;
	}
	return (r);
}

int
ledger_release(struct ledger_txn *t, uint64_t id)
{
	if (t == NULL)
		return (LEDGER_INVALID);
	return (ledger_resv_remove(t, id));
}

int
ledger_expire(struct ledger_txn *t, int64_t now, uint64_t *n)
{
	if (t == NULL)
		return (LEDGER_INVALID);
	return (ledger_resv_remove_where(t, 0, now, n));
}

/*
 * Versions before the reservations moved to memory wrote them to
 * reservations.db and held their sum in the account record: give each
 * back to its account and delete it, as they did at start.  Nothing
 * writes that table any more: after this, it is empty for good.
 */
static int
resv_release_disk(struct ledger_txn *t, uint64_t *np)
{
	struct ledger_txn	 sub;
	struct rec_reservation	 rr;
	struct rec_account	 ra;
	DBC			*c = NULL;
	uint8_t			 k[8];
	size_t			 klen, dlen;
	uint64_t		 n = 0;
	int			 r;

	if ((r = ledger_sub_begin(t, &sub)) != LEDGER_OK)
		return (r);
	if ((r = ledger_cursor(&sub, LDB_RESERVATIONS, &c)) != LEDGER_OK)
		goto done;
	for (;;) {
		klen = 0;
		r = ledger_cget(t->t_l, c, k, sizeof(k), &klen, &rr,
		    sizeof(rr), &dlen, DB_NEXT);
		if (r == LEDGER_NOTFOUND) {
			r = LEDGER_OK;
			break;
		}
		if (r != LEDGER_OK)
			break;
		if (klen != sizeof(k) || (r = ledger_rec_check(
		    LDB_RESERVATIONS, &rr, dlen, sizeof(rr))) != LEDGER_OK) {
			r = LEDGER_DBERR;
			break;
		}
		if ((r = acct_read(&sub, rr.rr_key, &ra)) != LEDGER_OK) {
			if (r == LEDGER_NOTFOUND) {
				log_warnx("ledger: reservation %llu: no "
				    "account: damaged", (unsigned long long)
				    ledger_be64dec(k));
				r = LEDGER_DBERR;
			}
			break;
		}
		if (money_sub(&ra.ra_a.la_reserved, ra.ra_a.la_reserved,
		    rr.rr_amount) == -1) {
			r = acct_damaged(&ra, "reservation above reserved");
			break;
		}
		if ((r = ledger_del(&sub, LDB_RESERVATIONS, k,
		    sizeof(k))) != LEDGER_OK ||
		    (r = ledger_put(&sub, LDB_ACCOUNTS, ra.ra_a.la_key,
		    LEDGER_KEY_LEN, &ra, sizeof(ra), 0)) != LEDGER_OK)
			break;
		n++;
	}
	r = ledger_cursor_close(t->t_l, c, r);
 done:
	if ((r = ledger_sub_end(&sub, r)) == LEDGER_OK)
		*np = n;
	return (r);
}

int
ledger_release_all(struct ledger_txn *t, uint64_t *np)
{
	struct resv_undo	*mark;
	uint64_t		 n, old = 0;
	int			 r;

	if (t == NULL)
		return (LEDGER_INVALID);
	mark = TAILQ_LAST(&t->t_undo, resv_undos);
	if ((r = ledger_resv_remove_where(t, 1, 0, &n)) != LEDGER_OK)
		return (r);
	if ((r = resv_release_disk(t, &old)) != LEDGER_OK) {
		/* All or nothing: what left the memory goes back. */
		ledger_undo_to(t, mark);
		return (r);
	}
	if (old > 0)
		log_info("ledger: %llu reservations of an older version "
		    "released", (unsigned long long)old);
	if (np != NULL)
		*np = n + old;
	return (LEDGER_OK);
}

int
ledger_journal_walk(struct ledger_txn *t, const uint8_t *key,
    int (*cb)(const struct ledger_journal *, void *), void *arg)
{
	struct rec_journal	 rj;
	DBC			*c = NULL;
	uint8_t			 k[LEDGER_JINDEX_KEY];
	size_t			 klen, dlen;
	int			 r;

	if (t == NULL || cb == NULL)
		return (LEDGER_INVALID);
	if (key == NULL) {
		if ((r = ledger_cursor(t, LDB_JOURNAL, &c)) != LEDGER_OK)
			return (r);
		for (;;) {
			klen = 0;
			r = ledger_cget(t->t_l, c, k, sizeof(k), &klen, &rj,
			    sizeof(rj), &dlen, DB_NEXT);
			if (r != LEDGER_OK)
				break;
			if ((r = ledger_rec_check(LDB_JOURNAL, &rj, dlen,
			    sizeof(rj))) != LEDGER_OK)
				break;
			if (cb(&rj.rj_j, arg) != 0)
				break;
		}
	} else {
		if ((r = ledger_cursor(t, LDB_JINDEX, &c)) != LEDGER_OK)
			return (r);
		memcpy(k, key, LEDGER_KEY_LEN);
		memset(k + LEDGER_KEY_LEN, 0, 8);
		klen = sizeof(k);
		r = ledger_cget(t->t_l, c, k, sizeof(k), &klen, NULL, 0,
		    NULL, DB_SET_RANGE);
		while (r == LEDGER_OK) {
			if (klen != sizeof(k) ||
			    memcmp(k, key, LEDGER_KEY_LEN) != 0) {
				r = LEDGER_NOTFOUND;
				break;
			}
			if ((r = ledger_getrec(t, LDB_JOURNAL,
			    k + LEDGER_KEY_LEN, 8, &rj, sizeof(rj))) !=
			    LEDGER_OK) {
				if (r == LEDGER_NOTFOUND) {
					log_warnx("ledger: journal index "
					    "without its entry: damaged");
					r = LEDGER_DBERR;
				}
				break;
			}
			if (cb(&rj.rj_j, arg) != 0)
				break;
			r = ledger_cget(t->t_l, c, k, sizeof(k), &klen, NULL,
			    0, NULL, DB_NEXT);
		}
	}
	if (r == LEDGER_NOTFOUND)
		r = LEDGER_OK;
	return (ledger_cursor_close(t->t_l, c, r));
}
