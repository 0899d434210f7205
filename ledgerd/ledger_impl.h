/*
 * The ledger's inside, shared by ledger_*.c and the unit test: the
 * environment, the databases, the stored records and the helpers that
 * map Berkeley DB errors.
 *
 * Storage: one Berkeley DB file per table in the ledger's directory, all
 * btrees, plus the write-ahead log files.  One file per table, rather
 * than named databases in one file, so that each table has the page
 * size its records want, db_verify(1) and db_dump(1) work on one table
 * at a time, and a damaged file names the table it holds.
 *
 * No half-applied change: every function that writes does so in an
 * inner child transaction of the one it was given (ledger_sub_begin()),
 * committed into it only when the whole operation succeeded and aborted
 * on any error, a failing write in the middle included.
 *
 * Open reservations live in memory only (ledger_resv.c): none survives
 * a restart, so writing them to the log was wasted.  Each change of the
 * table is applied at once and recorded as an undo entry on the
 * transaction that made it: a child that commits hands its entries to
 * its parent, a transaction that aborts (or whose commit fails) undoes
 * its entries newest first, a top-level commit forgets them.  So the
 * table follows the outcome of the transactions exactly, given one
 * writer at a time as ledgerd has (one batch, its children one after
 * the other).
 */

#ifndef LEDGER_IMPL_H
#define LEDGER_IMPL_H

#include <sys/queue.h>
#include <sys/tree.h>

#include <db.h>

#include "ledger.h"

enum ledger_dbid {
	LDB_META,		/* "format", "epoch" */
	LDB_ACCOUNTS,		/* key hash -> rec_account */
	LDB_RESERVATIONS,	/* older versions: id (be64) -> rec_reservation */
	LDB_JOURNAL,		/* seq (be64) -> rec_journal */
	LDB_JINDEX,		/* key hash | seq (be64) -> rec_jindex */
	LDB_SPENT,		/* Y -> rec_spent */
	LDB_PENDING,		/* Y -> rec_pending */
	LDB_ISSUED,		/* B_ -> rec_issued */
	LDB_QUOTES,		/* kind (0 mint, 1 melt) | id -> rec_quote */
	LDB_MELTHASH,		/* payment hash -> rec_melthash */
	LDB_PROOFS,		/* mint | keyset | id -> rec_blob + blob */
	LDB_COUNTERS,		/* keyset id bytes -> rec_counter */
	LDB_REFUNDS,		/* token hash -> rec_refund, blob cut */
	LDB_KEYSETS,		/* keyset id bytes -> rec_keyset */
	LDB_TOTALS,		/* keyset id bytes -> rec_total */
	LDB_MAX
};

/*
 * Format 2 added the value of each spent and pending Y and the totals
 * per keyset; a format 1 ledger is upgraded when opened (its totals are
 * built from the records, its spent Ys keep no value).
 */
#define LEDGER_FORMAT		2	/* the tables and records */
#define LEDGER_REC_VERSION	1	/* first word of every record */
#define LEDGER_REC_YS_VERSION	2	/* spent, pending: with a value */
#define LEDGER_LOCKFILE		"ledgerd.lock"

/* An open reservation. */
struct resv {
	RB_ENTRY(resv)		 rv_entry;
	uint64_t		 rv_id;
	uint8_t			 rv_key[LEDGER_KEY_LEN];
	uint64_t		 rv_amount;
	int64_t			 rv_deadline;
	int64_t			 rv_created;
	uint8_t			 rv_reqid[LEDGER_REQID_LEN];
};

/* What the open reservations of one account hold; none: no entry. */
struct resv_sum {
	RB_ENTRY(resv_sum)	 rs_entry;
	uint8_t			 rs_key[LEDGER_KEY_LEN];
	uint64_t		 rs_sum;
	uint64_t		 rs_n;
};

RB_HEAD(resv_tree, resv);
RB_HEAD(resv_sums, resv_sum);
RB_PROTOTYPE(resv_tree, resv, rv_entry, resv_cmp);
RB_PROTOTYPE(resv_sums, resv_sum, rs_entry, resv_sum_cmp);

/*
 * A change of the table, to undo if its transaction aborts: a
 * reservation added (by id) or removed (the entry keeps it, and its
 * account's sum entry if the removal emptied it, to put them back).
 */
struct resv_undo {
	TAILQ_ENTRY(resv_undo)	 ru_entry;
	int			 ru_added;
	uint64_t		 ru_id;
	struct resv		*ru_resv;	/* removed: the reservation */
	struct resv_sum		*ru_sum;	/* removed: NULL or the sum */
};

TAILQ_HEAD(resv_undos, resv_undo);

struct ledger {
	DB_ENV				*l_env;
	DB				*l_db[LDB_MAX];
	int				 l_flags;	/* LEDGER_NOSYNC */
	int				 l_lockfd;
	int				 l_ready;	/* open and well */
	uint32_t			 l_epoch;	/* this run's epoch */
	uint32_t			 l_seq;		/* ids given */
	int				 l_panic;	/* why it broke */
	const struct ledger_backup_cb	*l_backup;
	int				 l_backup_err;
	struct resv_tree		 l_resv;	/* by id */
	struct resv_sums		 l_rsums;	/* by account key */
	uint64_t			 l_nresv;
};

struct ledger_txn {
	struct ledger		*t_l;
	struct ledger_txn	*t_parent;
	DB_TXN			*t_txn;
	struct resv_undos	 t_undo;	/* oldest first */
};

struct rec_account {
	uint32_t		 ra_version;
	uint32_t		 ra_pad;
	struct ledger_account	 ra_a;
};

/* Written by older versions only; released at start (upgrade). */
struct rec_reservation {
	uint32_t		 rr_version;
	uint32_t		 rr_pad;
	uint8_t			 rr_key[LEDGER_KEY_LEN];
	uint64_t		 rr_amount;
	int64_t			 rr_deadline;
	int64_t			 rr_created;
	uint8_t			 rr_reqid[LEDGER_REQID_LEN];
};

struct rec_journal {
	uint32_t		 rj_version;
	uint32_t		 rj_pad;
	struct ledger_journal	 rj_j;
};

/* What the audit needs of a journal entry, in account order. */
struct rec_jindex {
	uint32_t		 rx_version;
	int32_t			 rx_credit;
	uint64_t		 rx_amount;
};

#define LEDGER_JINDEX_KEY	(LEDGER_KEY_LEN + 8)

/*
 * A Y's record: version LEDGER_REC_YS_VERSION with the proof's value, or
 * the shorter version 1 of a format 1 ledger, whose value is not known.
 */
struct rec_value {
	uint8_t			 rv_keyset[LEDGER_KEYSET_MAX];
	uint32_t		 rv_keyset_len;	/* 0: not known */
	uint64_t		 rv_amount;
};

struct rec_spent {
	uint32_t		 rs_version;
	uint32_t		 rs_pad;
	int64_t			 rs_time;
	struct rec_value	 rs_v;
};

#define REC_SPENT_V1	offsetof(struct rec_spent, rs_v)

struct rec_pending {
	uint32_t		 rp_version;
	uint32_t		 rp_pad;
	int64_t			 rp_time;
	char			 rp_quote[LEDGER_QUOTE_ID_MAX]; /* or "" */
	struct rec_value	 rp_v;
};

#define REC_PENDING_V1	offsetof(struct rec_pending, rp_v)

struct rec_issued {
	uint32_t		 ri_version;
	uint32_t		 ri_pad;
	struct ledger_issued	 ri_i;
};

struct rec_quote {
	uint32_t		 rq_version;
	uint32_t		 rq_pad;
	struct ledger_quote	 rq_q;
};

#define LEDGER_QUOTE_KEY	(1 + LEDGER_QUOTE_ID_MAX)

/* Present while the melt quote of that payment hash is PENDING or PAID. */
struct rec_melthash {
	uint32_t		 rm_version;
	uint32_t		 rm_pad;
	char			 rm_id[LEDGER_QUOTE_ID_MAX];
};

struct rec_blob {
	uint32_t		 rb_version;
	uint32_t		 rb_len;
	/* rb_len bytes follow */
};

#define LEDGER_PROOF_KEY	(32 + LEDGER_KEYSET_MAX + 32)

struct rec_counter {
	uint32_t		 rc_version;
	uint32_t		 rc_pad;
	uint64_t		 rc_next;
};

struct rec_keyset {
	uint32_t		 rk_version;
	uint32_t		 rk_pad;
	struct ledger_keyset	 rk_k;
};

struct rec_total {
	uint32_t		 rt_version;
	uint32_t		 rt_pad;
	uint64_t		 rt_issued;
	uint64_t		 rt_redeemed;
	uint64_t		 rt_nissued;
	uint64_t		 rt_nredeemed;
};

struct rec_refund {
	uint32_t		 rf_version;
	uint32_t		 rf_pad;
	struct ledger_refund	 rf_r;	/* lr_blob cut short */
};

#define REC_REFUND_MIN	(offsetof(struct rec_refund, rf_r) + \
			    offsetof(struct ledger_refund, lr_blob))

/* ledger_db.c */
int	 ledger_err(struct ledger *, const char *, int);
int	 ledger_nextid(struct ledger *, uint64_t *);
int	 ledger_sub_begin(struct ledger_txn *, struct ledger_txn *);
int	 ledger_sub_end(struct ledger_txn *, int);
int	 ledger_get(struct ledger_txn *, int, const void *, size_t, void *,
	    size_t, size_t *);
int	 ledger_getrec(struct ledger_txn *, int, const void *, size_t,
	    void *, size_t);
int	 ledger_put(struct ledger_txn *, int, const void *, size_t,
	    const void *, size_t, uint32_t);
int	 ledger_del(struct ledger_txn *, int, const void *, size_t);
int	 ledger_exists(struct ledger_txn *, int, const void *, size_t);
int	 ledger_cursor(struct ledger_txn *, int, DBC **);
int	 ledger_cursor_close(struct ledger *, DBC *, int);
int	 ledger_cget(struct ledger *, DBC *, void *, size_t, size_t *,
	    void *, size_t, size_t *, uint32_t);
int	 ledger_rec_check(int, const void *, size_t, size_t);
void	 ledger_be64enc(uint8_t *, uint64_t);
uint64_t ledger_be64dec(const uint8_t *);
const char *ledger_hexkey(const uint8_t *, size_t, char *, size_t);
int64_t	 ledger_now(void);

/* ledger_resv.c */
void	 ledger_resv_init(struct ledger *);
void	 ledger_resv_free(struct ledger *);
int	 ledger_resv_add(struct ledger_txn *, const struct resv *);
struct resv *ledger_resv_find(struct ledger *, uint64_t);
int	 ledger_resv_remove(struct ledger_txn *, uint64_t);
int	 ledger_resv_remove_where(struct ledger_txn *, int, int64_t,
	    uint64_t *);
uint64_t ledger_resv_reserved(struct ledger *, const uint8_t *, uint64_t *);
void	 ledger_undo_init(struct ledger_txn *);
void	 ledger_undo_commit(struct ledger_txn *);
void	 ledger_undo_abort(struct ledger_txn *);
void	 ledger_undo_to(struct ledger_txn *, struct resv_undo *);

/* ledger_account.c */
int	 ledger_journal_add(struct ledger_txn *, const uint8_t *, uint32_t,
	    int, uint64_t, uint64_t, const uint8_t *);

/* ledger_mint.c */
int	 ledger_quote_key(uint8_t *, int, const char *, size_t *);
int	 ledger_ys_value(const void *, size_t, int, struct rec_value *);
int	 ledger_keyset_sums(struct ledger_txn *,
	    int (*)(const struct ledger_keyset_total *, void *), void *,
	    uint64_t *);
int	 ledger_totals_build(struct ledger_txn *);

#endif /* LEDGER_IMPL_H */
