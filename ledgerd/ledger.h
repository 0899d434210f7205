/*
 * The ledger's tables in one Berkeley DB 5.3 transactional environment,
 * owned by ledgerd alone.  Every function that changes something takes a
 * transaction; nothing is durable until the top-level transaction is
 * committed with ledger_commit().  ledgerd runs each request in a child
 * transaction of one batch transaction (group commit), so a request that
 * fails is aborted alone.
 *
 * Amounts are msat (uint64_t) with checked arithmetic (money.h): an
 * operation whose result would not fit fails with LEDGER_OVERFLOW and
 * changes nothing.  Every change of an account's balance appends one
 * journal entry in the same transaction, so that the balance always
 * equals the sum of its journal.
 *
 * Records are fixed-size structures in host byte order, with a version
 * number; keys that are integers are big-endian so that cursors walk
 * them in order.
 */

#ifndef LEDGER_H
#define LEDGER_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "ipc.h"

#define LEDGER_KEY_LEN		32	/* SHA-256 of an API key or token */
#define LEDGER_Y_LEN		33	/* compressed secp256k1 point */
#define LEDGER_KEYSET_MAX	33	/* keyset id bytes: v00 8, v01 33 */
#define LEDGER_QUOTE_ID_MAX	64	/* NUL-terminated */
#define LEDGER_BOLT11_MAX	2048	/* NUL-terminated */
#define LEDGER_UNIT_MAX		8	/* "sat", "msat", NUL-terminated */
#define LEDGER_REQID_LEN	16	/* request id, for the journal */
#define LEDGER_BLOB_MAX		8192	/* opaque wallet proof or refund token */
#define LEDGER_BATCH_MAX	1000	/* Ys or Bs in one call */

/* The errors, enum ledger_error, are in ipc.h: replies carry them. */

struct ledger;		/* the environment and its databases */
struct ledger_txn;	/* a transaction, top-level or child */

/* ledger_open() flags */
#define LEDGER_NOSYNC		0x01	/* commits are not flushed: benches */

/*
 * Open (creating if needed) the environment in home, run recovery, and
 * open every database.  Returns 0 or -1 with a log line that says what
 * to do (e.g. restore from a backup).
 */
int	 ledger_open(struct ledger **, const char *, int);
void	 ledger_close(struct ledger *);

/*
 * Transactions.  parent NULL: a top-level transaction.  A transaction's
 * children end before it; one writer at a time (ledgerd: one batch, its
 * children one after the other), which the in-memory reservations
 * assume.
 */
int	 ledger_begin(struct ledger *, struct ledger_txn *,
	    struct ledger_txn **);
int	 ledger_commit(struct ledger_txn *);	/* durable if top-level */
/* A top-level commit that need not be on disk yet (see ledgerd.c). */
int	 ledger_commit_nosync(struct ledger_txn *);
void	 ledger_abort(struct ledger_txn *);

/* Checkpoint, and remove the log files no longer needed. */
int	 ledger_checkpoint(struct ledger *);
/* The log file Berkeley DB writes now: its number and path. */
int	 ledger_log_current(struct ledger *, uint32_t *, char *, size_t);

/*
 * ledger_sync.c: commits made durable off the event loop.  init takes
 * the environment's directory and the function told, with a
 * generation, that everything committed up to it is on disk.
 */
void	 ledger_sync_init(struct ledger *, const char *, void (*)(uint64_t));
uint64_t ledger_sync_request(int);
uint64_t ledger_sync_pending(void);
uint64_t ledger_sync_durable(void);
int	 ledger_sync_async(void);	/* 0: each sync waits for the disk */
void	 ledger_sync_wait(void);

/*
 * Accounts.
 */

#define LEDGER_ACCOUNT_CLOSED	0x01

struct ledger_account {
	uint8_t		la_key[LEDGER_KEY_LEN];
	uint64_t	la_balance;	/* msat it owns, reserved included */
	uint64_t	la_reserved;	/* msat held by open reservations */
	uint64_t	la_spent;	/* msat settled in all */
	uint64_t	la_requests;	/* reservations settled */
	uint64_t	la_limit;	/* 0, or the most la_spent may reach */
	int64_t		la_created;	/* time(3) */
	int64_t		la_used;	/* last change */
	int64_t		la_expiry;	/* 0, or when it stops spending */
	uint32_t	la_flags;	/* LEDGER_ACCOUNT_* */
	char		la_unit[LEDGER_UNIT_MAX];	/* unit to refund in */
	char		la_mint[IPC_URL_MAX];	/* mint to refund from */
};

/* Why a balance changed, in the journal. */
enum ledger_reason {
	LEDGER_R_CREATE = 1,	/* initial balance */
	LEDGER_R_TOPUP,		/* credit */
	LEDGER_R_SETTLE,	/* a request's cost */
	LEDGER_R_REFUND,	/* refund-and-close */
	LEDGER_R_ADJUST		/* operator correction */
};

struct ledger_journal {
	uint64_t	lj_seq;		/* increasing, across restarts */
	int64_t		lj_time;
	uint8_t		lj_key[LEDGER_KEY_LEN];
	uint32_t	lj_reason;	/* enum ledger_reason */
	int32_t		lj_credit;	/* 1: credit, 0: debit */
	uint64_t	lj_amount;	/* msat */
	uint64_t	lj_balance;	/* the account's balance after */
	uint8_t		lj_reqid[LEDGER_REQID_LEN];
};

/*
 * Create an account with la_key, la_balance (journaled as
 * LEDGER_R_CREATE when not 0), la_limit, la_expiry, la_unit and la_mint;
 * the other fields are set here.  LEDGER_EXISTS if the key has one.
 */
int	 ledger_account_create(struct ledger_txn *,
	    const struct ledger_account *, const uint8_t *);
int	 ledger_account_get(struct ledger_txn *, const uint8_t *,
	    struct ledger_account *);
/* Add amount; the new balance in *balance.  Not on a closed account. */
int	 ledger_account_credit(struct ledger_txn *, const uint8_t *,
	    uint64_t, int, const uint8_t *, uint64_t *);
/*
 * Refund and close: the whole balance is taken to zero and the account
 * closed in this transaction; *amount is what was taken.
 * LEDGER_RESERVED while reservations are open.
 */
int	 ledger_account_refund(struct ledger_txn *, const uint8_t *,
	    const uint8_t *, uint64_t *);

/*
 * Reservations: reserve(amount) holds msat of the spendable balance
 * (balance - reserved) until settle or release; deadline is when
 * ledger_expire() releases it.  LEDGER_INSUFFICIENT, LEDGER_CLOSED,
 * LEDGER_EXPIRED (account expiry <= now), LEDGER_LIMIT (spent + reserved
 * + amount > limit).
 *
 * They are held in memory, not written: none survives ledger_close().
 * A reserve reads the account and writes nothing, a release or an
 * expiry writes nothing, a settle writes the account and the journal.
 * Each is undone if its transaction aborts, or the top-level commit
 * fails, as a write would be.  la_reserved of an account is what its
 * open reservations hold.
 */
int	 ledger_reserve(struct ledger_txn *, const uint8_t *, uint64_t,
	    int64_t, const uint8_t *, uint64_t *);
/*
 * Charge the actual cost and release the rest.  An actual cost above the
 * balance charges the balance: it never goes below zero.  *charged and
 * the account after (may be NULL).  LEDGER_NOTFOUND if the reservation
 * is gone (released, expired).
 */
int	 ledger_settle(struct ledger_txn *, uint64_t, uint64_t,
	    const uint8_t *, uint64_t *, struct ledger_account *);
int	 ledger_release(struct ledger_txn *, uint64_t);
/* Release every reservation whose deadline is before now; *n of them. */
int	 ledger_expire(struct ledger_txn *, int64_t, uint64_t *);
/*
 * Release all of them, and those an older version left on disk (at
 * start: no request survives a restart).
 */
int	 ledger_release_all(struct ledger_txn *, uint64_t *);

/* The journal, oldest first, for one account or (key NULL) all. */
int	 ledger_journal_walk(struct ledger_txn *, const uint8_t *,
	    int (*)(const struct ledger_journal *, void *), void *);

/*
 * The mint's spent and pending sets, keyed by Y.  Each call is
 * all-or-nothing over its n Ys.  A Y is stored with what its proof was
 * worth (keyset and amount), so that what the mint redeemed is known per
 * keyset.
 */
#define LEDGER_Y_UNSPENT	0
#define LEDGER_Y_PENDING	1
#define LEDGER_Y_SPENT		2

/* A proof given as an input: its Y and its value. */
struct ledger_input {
	uint8_t		lin_y[LEDGER_Y_LEN];
	uint8_t		lin_keyset[LEDGER_KEYSET_MAX];
	uint32_t	lin_keyset_len;	/* 1..LEDGER_KEYSET_MAX */
	uint64_t	lin_amount;		/* in the keyset's unit */
};

/* LEDGER_SPENT or LEDGER_PENDING if any Y already is; also within in. */
int	 ledger_ys_pend(struct ledger_txn *, const struct ledger_input *,
	    size_t, const char *);
/* Pending back to unspent; LEDGER_NOTFOUND if any is not pending. */
int	 ledger_ys_unpend(struct ledger_txn *,
	    const uint8_t (*)[LEDGER_Y_LEN], size_t);
/*
 * Mark spent and add to the keysets' redeemed totals.  from_pending 0:
 * every Y must be unspent (LEDGER_SPENT, LEDGER_PENDING otherwise); 1:
 * every Y must be pending and moves, with the value it was pended with
 * (LEDGER_INVALID if the one given is another).
 */
int	 ledger_ys_spend(struct ledger_txn *, const struct ledger_input *,
	    size_t, int);
int	 ledger_ys_state(struct ledger_txn *, const uint8_t (*)[LEDGER_Y_LEN],
	    size_t, uint8_t *);
/* The pending Ys of a melt quote, with their values. */
int	 ledger_ys_pending_walk(struct ledger_txn *, const char *,
	    int (*)(const struct ledger_input *, void *), void *);

/* Issued outputs, keyed by B_: a B_ is never signed twice. */
struct ledger_issued {
	uint8_t		li_b[LEDGER_Y_LEN];	/* B_ */
	uint8_t		li_c[LEDGER_Y_LEN];	/* C_ */
	uint8_t		li_keyset[LEDGER_KEYSET_MAX];
	uint32_t	li_keyset_len;
	uint64_t	li_amount;		/* in the keyset's unit */
	uint8_t		li_dleq_e[32];
	uint8_t		li_dleq_s[32];
	int64_t		li_time;
};

/*
 * Record the outputs and add them to their keysets' issued totals.
 * LEDGER_EXISTS if any B_ is already there (or twice in the list).
 */
int	 ledger_issued_add(struct ledger_txn *, const struct ledger_issued *,
	    size_t);
int	 ledger_issued_get(struct ledger_txn *, const uint8_t *,
	    struct ledger_issued *);
/* Every issued output, in B_ order. */
int	 ledger_issued_walk(struct ledger_txn *,
	    int (*)(const struct ledger_issued *, void *), void *);

/*
 * Quotes.  Mint: UNPAID -> PAID -> ISSUED.  Melt: UNPAID -> PENDING ->
 * PAID, or PENDING -> UNPAID when the payment failed.  Changes of state
 * are compare-and-set: LEDGER_STATE when the quote is not in `from'.
 */
#define LEDGER_QUOTE_UNPAID	1
#define LEDGER_QUOTE_PAID	2
#define LEDGER_QUOTE_ISSUED	3
#define LEDGER_QUOTE_PENDING	4

struct ledger_quote {
	char		lq_id[LEDGER_QUOTE_ID_MAX];
	int32_t		lq_melt;		/* 0 mint quote, 1 melt quote */
	uint32_t	lq_state;
	uint64_t	lq_amount;
	uint64_t	lq_fee_reserve;		/* melt */
	char		lq_unit[LEDGER_UNIT_MAX];
	int64_t		lq_created;
	int64_t		lq_expiry;
	uint8_t		lq_payment_hash[32];
	uint8_t		lq_preimage[32];	/* melt, once paid */
	int32_t		lq_has_preimage;
	char		lq_pubkey[67];		/* NUT-20, hex, or "" */
	char		lq_request[LEDGER_BOLT11_MAX];
};

int	 ledger_quote_add(struct ledger_txn *, const struct ledger_quote *);
int	 ledger_quote_get(struct ledger_txn *, int, const char *,
	    struct ledger_quote *);
/* from -> to; a melt going to PAID may set the preimage (NULL: none). */
int	 ledger_quote_cas(struct ledger_txn *, int, const char *, uint32_t,
	    uint32_t, const uint8_t *);
/* A melt quote for this payment hash that is PENDING or PAID, if any. */
int	 ledger_quote_by_hash(struct ledger_txn *, const uint8_t *,
	    struct ledger_quote *);

/*
 * The mint's keysets: which the seed derives (unit, index), their ids and
 * whether they are active, so that a seed that no longer gives the same
 * keys is noticed, and rotation survives restarts.
 */
struct ledger_keyset {
	uint8_t		lk_id[LEDGER_KEYSET_MAX];
	uint32_t	lk_idlen;
	char		lk_unit[LEDGER_UNIT_MAX];
	uint32_t	lk_index;	/* derivation: m/0'/unit'/index' */
	uint32_t	lk_version;	/* keyset id version, 0 or 1 */
	uint64_t	lk_fee_ppk;
	int32_t		lk_active;
	int64_t		lk_created;
};

/* Add a keyset, or update the one with that id (active, fee). */
int	 ledger_keyset_put(struct ledger_txn *, const struct ledger_keyset *);
int	 ledger_keyset_walk(struct ledger_txn *,
	    int (*)(const struct ledger_keyset *, void *), void *);
/*
 * Rotation: add a new active keyset (LEDGER_EXISTS if its id is known)
 * and make every other keyset of its unit inactive, in one transaction.
 */
int	 ledger_keyset_rotate(struct ledger_txn *,
	    const struct ledger_keyset *);

/*
 * What the mint issued and redeemed per keyset, in the keyset's unit:
 * running totals kept in the transaction of every ledger_issued_add()
 * and ledger_ys_spend(), so that they change with the records or not at
 * all.  The audit sums the records again and compares.
 */
struct ledger_keyset_total {
	uint8_t		kt_keyset[LEDGER_KEYSET_MAX];
	uint32_t	kt_keyset_len;
	uint64_t	kt_issued;	/* amounts of the outputs signed */
	uint64_t	kt_redeemed;	/* amounts of the proofs spent */
	uint64_t	kt_nissued;	/* outputs signed */
	uint64_t	kt_nredeemed;	/* proofs spent */
};

/* The totals of one keyset: all zero if it has none. */
int	 ledger_keyset_total_get(struct ledger_txn *, const uint8_t *,
	    size_t, struct ledger_keyset_total *);
int	 ledger_keyset_total_walk(struct ledger_txn *,
	    int (*)(const struct ledger_keyset_total *, void *), void *);

/*
 * The wallet: proofs as opaque blobs that mintd encrypted (the ledger
 * cannot read them), keyed by mint, keyset and a proof id; NUT-13
 * counters per keyset; refund records of X-Cashu payments.
 */
struct ledger_proof_key {
	uint8_t		lp_mint[32];		/* SHA-256 of the mint URL */
	uint8_t		lp_keyset[LEDGER_KEYSET_MAX];	/* zero-padded */
	uint8_t		lp_id[32];		/* e.g. the proof's Y */
};

int	 ledger_proof_put(struct ledger_txn *, const struct ledger_proof_key *,
	    const void *, size_t);
int	 ledger_proof_del(struct ledger_txn *,
	    const struct ledger_proof_key *);
/* Every proof of a mint (and keyset, unless NULL), in key order. */
int	 ledger_proof_walk(struct ledger_txn *, const uint8_t *,
	    const uint8_t *, int (*)(const struct ledger_proof_key *,
	    const void *, size_t, void *), void *);

/* *first = the counter, which then advances by n (committed before use). */
int	 ledger_counter_advance(struct ledger_txn *, const uint8_t *, size_t,
	    uint64_t, uint64_t *);

#define LEDGER_REFUND_INFLIGHT	1	/* paid, request running */
#define LEDGER_REFUND_READY	2	/* change token stored */
#define LEDGER_REFUND_TAKEN	3	/* change token handed out */
#define LEDGER_REFUND_NONE	4	/* nothing to give back */

struct ledger_refund {
	uint8_t		lr_token[LEDGER_KEY_LEN];	/* SHA-256 of the token */
	uint32_t	lr_state;
	uint64_t	lr_paid;	/* msat the token was worth */
	uint64_t	lr_refund;	/* msat of change */
	int64_t		lr_time;
	uint8_t		lr_reqid[LEDGER_REQID_LEN];
	uint32_t	lr_bloblen;
	uint8_t		lr_blob[LEDGER_BLOB_MAX];	/* the change token */
};

int	 ledger_refund_add(struct ledger_txn *, const struct ledger_refund *);
int	 ledger_refund_get(struct ledger_txn *, const uint8_t *,
	    struct ledger_refund *);
/* from -> to, replacing the blob when blob is not NULL. */
int	 ledger_refund_cas(struct ledger_txn *, const uint8_t *, uint32_t,
	    uint32_t, const void *, size_t);

/*
 * The audit: every account equals the sum of its journal, reserved <=
 * balance and equals the sum of its reservations (in memory), nothing
 * reserved on disk, no Y is both pending and spent, every pending Y's
 * quote exists.  Each problem is reported through problem() (a line of
 * text) and counted; the totals fill the report.  Run it with no
 * transaction open.
 */
struct ledger_total {
	char		lt_mint[IPC_URL_MAX];
	char		lt_unit[LEDGER_UNIT_MAX];
	uint64_t	lt_balance;	/* user liabilities */
	uint64_t	lt_reserved;
	uint64_t	lt_accounts;
};

struct ledger_report {
	uint64_t		 lr_accounts;
	uint64_t		 lr_reservations;	/* open, in memory */
	uint64_t		 lr_journal;
	uint64_t		 lr_spent;
	uint64_t		 lr_pending;
	uint64_t		 lr_issued;
	uint64_t		 lr_problems;
	size_t			 lr_ntotals;
	struct ledger_total	 lr_totals[32];	/* per mint and unit */
};

int	 ledger_check(struct ledger *, struct ledger_report *,
	    void (*)(const char *, void *), void *);

/*
 * Hot backup: a consistent copy of the database files and logs while
 * the ledger runs, handed file by file to the callbacks (ledgerd has no
 * filesystem outside its directory; the parent writes the copy).
 */
struct ledger_backup_cb {
	int	(*lb_open)(const char *, void *);
	int	(*lb_write)(uint64_t, const void *, size_t, void *);
	int	(*lb_close)(const char *, void *);
	void	*lb_arg;
};

int	 ledger_backup(struct ledger *, const struct ledger_backup_cb *);

#endif /* LEDGER_H */
