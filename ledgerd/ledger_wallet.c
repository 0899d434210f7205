/*
 * The wallet's tables: proofs as opaque blobs that mintd encrypted,
 * NUT-13 counters per keyset, and the refund records of X-Cashu
 * payments.  Refund blobs are change tokens, bearer money in clear:
 * they are never logged, and the copies on our stack are wiped.
 */

#include <sys/types.h>

#include <stdint.h>
#include <string.h>

#include "ledger_impl.h"
#include "log.h"
#include "money.h"

/* The proof key is used as stored bytes: it must have no padding. */
_Static_assert(sizeof(struct ledger_proof_key) == LEDGER_PROOF_KEY,
    "struct ledger_proof_key has padding");

struct proof_rec {
	struct rec_blob	 pr_h;
	uint8_t		 pr_blob[LEDGER_BLOB_MAX];
};

static int	 refund_state_ok(uint32_t);
static int	 refund_load(struct ledger_txn *, const uint8_t *,
		    struct rec_refund *, size_t *);

int
ledger_proof_put(struct ledger_txn *t, const struct ledger_proof_key *pk,
    const void *blob, size_t len)
{
	struct ledger_txn	 sub;
	struct proof_rec	 pr;
	int			 r;

	if (t == NULL || pk == NULL || blob == NULL || len == 0 ||
	    len > LEDGER_BLOB_MAX)
		return (LEDGER_INVALID);
	pr.pr_h.rb_version = LEDGER_REC_VERSION;
	pr.pr_h.rb_len = len;
	memcpy(pr.pr_blob, blob, len);
	if ((r = ledger_sub_begin(t, &sub)) != LEDGER_OK)
		return (r);
	/* Never replace bearer money silently: a second put is EXISTS. */
	r = ledger_put(&sub, LDB_PROOFS, pk, sizeof(*pk), &pr,
	    sizeof(pr.pr_h) + len, DB_NOOVERWRITE);
	return (ledger_sub_end(&sub, r));
}

int
ledger_proof_del(struct ledger_txn *t, const struct ledger_proof_key *pk)
{
	struct ledger_txn	 sub;
	int			 r;

	if (t == NULL || pk == NULL)
		return (LEDGER_INVALID);
	if ((r = ledger_sub_begin(t, &sub)) != LEDGER_OK)
		return (r);
	r = ledger_del(&sub, LDB_PROOFS, pk, sizeof(*pk));
	return (ledger_sub_end(&sub, r));
}

int
ledger_proof_walk(struct ledger_txn *t, const uint8_t *mint,
    const uint8_t *keyset, int (*cb)(const struct ledger_proof_key *,
    const void *, size_t, void *), void *arg)
{
	struct ledger_proof_key	 pk;
	struct proof_rec	 pr;
	DBC			*c;
	size_t			 klen, dlen;
	int			 r;

	if (t == NULL || mint == NULL || cb == NULL)
		return (LEDGER_INVALID);
	memset(&pk, 0, sizeof(pk));
	memcpy(pk.lp_mint, mint, sizeof(pk.lp_mint));
	if (keyset != NULL)	/* LEDGER_KEYSET_MAX bytes, zero-padded */
		memcpy(pk.lp_keyset, keyset, sizeof(pk.lp_keyset));
	if ((r = ledger_cursor(t, LDB_PROOFS, &c)) != LEDGER_OK)
		return (r);
	klen = sizeof(pk);
	r = ledger_cget(t->t_l, c, &pk, sizeof(pk), &klen, &pr, sizeof(pr),
	    &dlen, DB_SET_RANGE);
	while (r == LEDGER_OK) {
		if (klen != sizeof(pk) || memcmp(pk.lp_mint, mint,
		    sizeof(pk.lp_mint)) != 0 || (keyset != NULL &&
		    memcmp(pk.lp_keyset, keyset, sizeof(pk.lp_keyset)) != 0))
			break;
		if (dlen < sizeof(pr.pr_h) ||
		    pr.pr_h.rb_version != LEDGER_REC_VERSION ||
		    pr.pr_h.rb_len != dlen - sizeof(pr.pr_h)) {
			log_warnx("ledger: proofs.db: a damaged record");
			r = LEDGER_DBERR;
			break;
		}
		if (cb(&pk, pr.pr_blob, pr.pr_h.rb_len, arg) != 0)
			break;
		r = ledger_cget(t->t_l, c, &pk, sizeof(pk), &klen, &pr,
		    sizeof(pr), &dlen, DB_NEXT);
	}
	if (r == LEDGER_NOTFOUND)
		r = LEDGER_OK;
	return (ledger_cursor_close(t->t_l, c, r));
}

int
ledger_counter_advance(struct ledger_txn *t, const uint8_t *keyset,
    size_t len, uint64_t n, uint64_t *first)
{
	struct ledger_txn	 sub;
	struct rec_counter	 rc;
	uint64_t		 cur = 0, next;
	int			 r;

	if (t == NULL || keyset == NULL || len == 0 ||
	    len > LEDGER_KEYSET_MAX)
		return (LEDGER_INVALID);
	if ((r = ledger_sub_begin(t, &sub)) != LEDGER_OK)
		return (r);
	r = ledger_getrec(&sub, LDB_COUNTERS, keyset, len, &rc, sizeof(rc));
	if (r == LEDGER_OK)
		cur = rc.rc_next;
	else if (r == LEDGER_NOTFOUND)
		r = LEDGER_OK;
	if (r != LEDGER_OK)
		goto done;
	if (money_add(&next, cur, n) == -1) {
		r = LEDGER_OVERFLOW;
		goto done;
	}
	memset(&rc, 0, sizeof(rc));
	rc.rc_version = LEDGER_REC_VERSION;
	rc.rc_next = next;
	r = ledger_put(&sub, LDB_COUNTERS, keyset, len, &rc, sizeof(rc), 0);
 done:
	if ((r = ledger_sub_end(&sub, r)) == LEDGER_OK && first != NULL)
		*first = cur;
	return (r);
}

static int
refund_state_ok(uint32_t s)
{
	return (s == LEDGER_REFUND_INFLIGHT || s == LEDGER_REFUND_READY ||
	    s == LEDGER_REFUND_TAKEN || s == LEDGER_REFUND_NONE);
}

/* The record and its size (the blob is stored cut at its length). */
static int
refund_load(struct ledger_txn *t, const uint8_t *token,
    struct rec_refund *rf, size_t *len)
{
	int	 r;

	r = ledger_get(t, LDB_REFUNDS, token, LEDGER_KEY_LEN, rf, sizeof(*rf),
	    len);
	if (r != LEDGER_OK)
		return (r);
	if (*len < REC_REFUND_MIN ||
	    rf->rf_version != LEDGER_REC_VERSION ||
	    rf->rf_r.lr_bloblen > LEDGER_BLOB_MAX ||
	    *len != REC_REFUND_MIN + rf->rf_r.lr_bloblen ||
	    memcmp(rf->rf_r.lr_token, token, LEDGER_KEY_LEN) != 0) {
		log_warnx("ledger: refunds.db: a damaged record");
		return (LEDGER_DBERR);
	}
	return (LEDGER_OK);
}

int
ledger_refund_add(struct ledger_txn *t, const struct ledger_refund *lr)
{
	struct ledger_txn	 sub;
	struct rec_refund	 rf;
	int			 r;

	if (t == NULL || lr == NULL || !refund_state_ok(lr->lr_state) ||
	    lr->lr_bloblen > LEDGER_BLOB_MAX)
		return (LEDGER_INVALID);
	memset(&rf, 0, REC_REFUND_MIN);
	rf.rf_version = LEDGER_REC_VERSION;
	memcpy(rf.rf_r.lr_token, lr->lr_token, LEDGER_KEY_LEN);
	rf.rf_r.lr_state = lr->lr_state;
	rf.rf_r.lr_paid = lr->lr_paid;
	rf.rf_r.lr_refund = lr->lr_refund;
	rf.rf_r.lr_time = lr->lr_time != 0 ? lr->lr_time : ledger_now();
	memcpy(rf.rf_r.lr_reqid, lr->lr_reqid, LEDGER_REQID_LEN);
	rf.rf_r.lr_bloblen = lr->lr_bloblen;
	memcpy(rf.rf_r.lr_blob, lr->lr_blob, lr->lr_bloblen);
	if ((r = ledger_sub_begin(t, &sub)) == LEDGER_OK) {
		r = ledger_put(&sub, LDB_REFUNDS, rf.rf_r.lr_token,
		    LEDGER_KEY_LEN, &rf, REC_REFUND_MIN + lr->lr_bloblen,
		    DB_NOOVERWRITE);
		r = ledger_sub_end(&sub, r);
	}
	explicit_bzero(&rf, sizeof(rf));
	return (r);
}

int
ledger_refund_get(struct ledger_txn *t, const uint8_t *token,
    struct ledger_refund *lr)
{
	struct rec_refund	 rf;
	size_t			 len;
	int			 r;

	if (t == NULL || token == NULL || lr == NULL)
		return (LEDGER_INVALID);
	if ((r = refund_load(t, token, &rf, &len)) == LEDGER_OK) {
		memcpy(lr, &rf.rf_r, offsetof(struct ledger_refund, lr_blob));
		memcpy(lr->lr_blob, rf.rf_r.lr_blob, rf.rf_r.lr_bloblen);
		memset(lr->lr_blob + rf.rf_r.lr_bloblen, 0,
		    sizeof(lr->lr_blob) - rf.rf_r.lr_bloblen);
	}
	explicit_bzero(&rf, sizeof(rf));
	return (r);
}

int
ledger_refund_cas(struct ledger_txn *t, const uint8_t *token, uint32_t from,
    uint32_t to, const void *blob, size_t len)
{
	struct ledger_txn	 sub;
	struct rec_refund	 rf;
	size_t			 rlen;
	int			 r;

	if (t == NULL || token == NULL || !refund_state_ok(from) ||
	    !refund_state_ok(to) || (blob != NULL && len > LEDGER_BLOB_MAX))
		return (LEDGER_INVALID);
	if ((r = ledger_sub_begin(t, &sub)) != LEDGER_OK)
		return (r);
	if ((r = refund_load(&sub, token, &rf, &rlen)) != LEDGER_OK)
		goto done;
	if (rf.rf_r.lr_state != from) {
		r = LEDGER_STATE;
		goto done;
	}
	rf.rf_r.lr_state = to;
	if (blob != NULL) {
		memcpy(rf.rf_r.lr_blob, blob, len);
		rf.rf_r.lr_bloblen = len;
	}
	r = ledger_put(&sub, LDB_REFUNDS, token, LEDGER_KEY_LEN, &rf,
	    REC_REFUND_MIN + rf.rf_r.lr_bloblen, 0);
 done:
	r = ledger_sub_end(&sub, r);
	explicit_bzero(&rf, sizeof(rf));
	return (r);
}
