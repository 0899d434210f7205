/*
 * The mint's tables: the spent and pending sets keyed by Y, the issued
 * outputs keyed by B_, and the mint and melt quotes with their state
 * machines.
 *
 * Batches are all-or-nothing: the writes go into an inner child
 * transaction that is aborted at the first Y or B_ that may not change,
 * so a batch with one bad element leaves the caller's transaction as it
 * was.  Duplicates inside a batch are caught by the same DB_NOOVERWRITE
 * that catches those already stored.
 *
 * A melt quote that is PENDING or PAID owns its payment hash in
 * melthash.db, written in the same transaction as its state, so that
 * ledger_quote_by_hash() is one lookup and no invoice can be paid by
 * two melt quotes at once.
 */

#include <sys/types.h>

#include <stdint.h>
#include <string.h>

#include "ipc.h"
#include "ledger_impl.h"
#include "log.h"

static int	 ys_ok(const uint8_t (*)[LEDGER_Y_LEN], size_t);
static int	 quote_state_ok(int, uint32_t);
static int	 quote_edge_ok(int, uint32_t, uint32_t);
static int	 quote_hash_take(struct ledger_txn *,
		    const struct ledger_quote *);
static int	 quote_hash_drop(struct ledger_txn *,
		    const struct ledger_quote *);

static int
ys_ok(const uint8_t (*ys)[LEDGER_Y_LEN], size_t n)
{
	return (ys != NULL && n > 0 && n <= LEDGER_BATCH_MAX);
}

int
ledger_ys_pend(struct ledger_txn *t, const uint8_t (*ys)[LEDGER_Y_LEN],
    size_t n, const char *quote)
{
	struct ledger_txn	 sub;
	struct rec_pending	 rp;
	size_t			 i;
	int			 r;

	if (t == NULL || !ys_ok(ys, n) ||
	    (quote != NULL && !ipc_str_ok(quote, LEDGER_QUOTE_ID_MAX)))
		return (LEDGER_INVALID);
	memset(&rp, 0, sizeof(rp));
	rp.rp_version = LEDGER_REC_VERSION;
	rp.rp_time = ledger_now();
	if (quote != NULL)
		strlcpy(rp.rp_quote, quote, sizeof(rp.rp_quote));

	if ((r = ledger_sub_begin(t, &sub)) != LEDGER_OK)
		return (r);
	/* Spent wins over pending as the reason, whatever the order. */
	for (i = 0; i < n; i++) {
		r = ledger_exists(&sub, LDB_SPENT, ys[i], LEDGER_Y_LEN);
		if (r == LEDGER_OK)
			r = LEDGER_SPENT;
		else if (r == LEDGER_NOTFOUND)
			r = LEDGER_OK;
		if (r != LEDGER_OK)
			goto done;
	}
	for (i = 0; i < n; i++) {
		r = ledger_put(&sub, LDB_PENDING, ys[i], LEDGER_Y_LEN, &rp,
		    sizeof(rp), DB_NOOVERWRITE);
		if (r == LEDGER_EXISTS)
			r = LEDGER_PENDING;
		if (r != LEDGER_OK)
			goto done;
	}
 done:
	return (ledger_sub_end(&sub, r));
}

int
ledger_ys_unpend(struct ledger_txn *t, const uint8_t (*ys)[LEDGER_Y_LEN],
    size_t n)
{
	struct ledger_txn	 sub;
	size_t			 i;
	int			 r;

	if (t == NULL || !ys_ok(ys, n))
		return (LEDGER_INVALID);
	if ((r = ledger_sub_begin(t, &sub)) != LEDGER_OK)
		return (r);
	for (i = 0; i < n; i++)
		if ((r = ledger_del(&sub, LDB_PENDING, ys[i],
		    LEDGER_Y_LEN)) != LEDGER_OK)
			break;
	return (ledger_sub_end(&sub, r));
}

int
ledger_ys_spend(struct ledger_txn *t, const uint8_t (*ys)[LEDGER_Y_LEN],
    size_t n, int from_pending)
{
	struct ledger_txn	 sub;
	struct rec_spent	 rs;
	size_t			 i;
	int			 r;

	if (t == NULL || !ys_ok(ys, n) ||
	    (from_pending != 0 && from_pending != 1))
		return (LEDGER_INVALID);
	memset(&rs, 0, sizeof(rs));
	rs.rs_version = LEDGER_REC_VERSION;
	rs.rs_time = ledger_now();

	if ((r = ledger_sub_begin(t, &sub)) != LEDGER_OK)
		return (r);
	for (i = 0; i < n; i++) {
		r = ledger_exists(&sub, LDB_SPENT, ys[i], LEDGER_Y_LEN);
		if (r == LEDGER_OK)
			r = LEDGER_SPENT;
		else if (r == LEDGER_NOTFOUND)
			r = LEDGER_OK;
		if (r != LEDGER_OK)
			goto done;
	}
	for (i = 0; i < n; i++) {
		if (from_pending)
			r = ledger_del(&sub, LDB_PENDING, ys[i],
			    LEDGER_Y_LEN);
		else {
			r = ledger_exists(&sub, LDB_PENDING, ys[i],
			    LEDGER_Y_LEN);
			if (r == LEDGER_OK)
				r = LEDGER_PENDING;
			else if (r == LEDGER_NOTFOUND)
				r = LEDGER_OK;
		}
		if (r != LEDGER_OK)
			goto done;
		r = ledger_put(&sub, LDB_SPENT, ys[i], LEDGER_Y_LEN, &rs,
		    sizeof(rs), DB_NOOVERWRITE);
		if (r == LEDGER_EXISTS)
			r = LEDGER_SPENT;	/* twice in ys */
		if (r != LEDGER_OK)
			goto done;
	}
 done:
	return (ledger_sub_end(&sub, r));
}

int
ledger_ys_state(struct ledger_txn *t, const uint8_t (*ys)[LEDGER_Y_LEN],
    size_t n, uint8_t *states)
{
	size_t	 i;
	int	 r;

	if (t == NULL || !ys_ok(ys, n) || states == NULL)
		return (LEDGER_INVALID);
	for (i = 0; i < n; i++) {
		r = ledger_exists(t, LDB_SPENT, ys[i], LEDGER_Y_LEN);
		if (r == LEDGER_OK) {
			states[i] = LEDGER_Y_SPENT;
			continue;
		}
		if (r != LEDGER_NOTFOUND)
			return (r);
		r = ledger_exists(t, LDB_PENDING, ys[i], LEDGER_Y_LEN);
		if (r == LEDGER_OK) {
			states[i] = LEDGER_Y_PENDING;
			continue;
		}
		if (r != LEDGER_NOTFOUND)
			return (r);
		states[i] = LEDGER_Y_UNSPENT;
	}
	return (LEDGER_OK);
}

int
ledger_issued_add(struct ledger_txn *t, const struct ledger_issued *li,
    size_t n)
{
	struct ledger_txn	 sub;
	struct rec_issued	 ri;
	int64_t			 now = ledger_now();
	size_t			 i;
	int			 r;

	if (t == NULL || li == NULL || n == 0 || n > LEDGER_BATCH_MAX)
		return (LEDGER_INVALID);
	for (i = 0; i < n; i++)
		if (li[i].li_keyset_len == 0 ||
		    li[i].li_keyset_len > LEDGER_KEYSET_MAX)
			return (LEDGER_INVALID);
	if ((r = ledger_sub_begin(t, &sub)) != LEDGER_OK)
		return (r);
	for (i = 0; i < n; i++) {
		memset(&ri, 0, sizeof(ri));
		ri.ri_version = LEDGER_REC_VERSION;
		memcpy(ri.ri_i.li_b, li[i].li_b, sizeof(ri.ri_i.li_b));
		memcpy(ri.ri_i.li_c, li[i].li_c, sizeof(ri.ri_i.li_c));
		memcpy(ri.ri_i.li_keyset, li[i].li_keyset,
		    li[i].li_keyset_len);
		ri.ri_i.li_keyset_len = li[i].li_keyset_len;
		ri.ri_i.li_amount = li[i].li_amount;
		memcpy(ri.ri_i.li_dleq_e, li[i].li_dleq_e,
		    sizeof(ri.ri_i.li_dleq_e));
		memcpy(ri.ri_i.li_dleq_s, li[i].li_dleq_s,
		    sizeof(ri.ri_i.li_dleq_s));
		ri.ri_i.li_time = li[i].li_time != 0 ? li[i].li_time : now;
		if ((r = ledger_put(&sub, LDB_ISSUED, li[i].li_b, LEDGER_Y_LEN,
		    &ri, sizeof(ri), DB_NOOVERWRITE)) != LEDGER_OK)
			break;
	}
	return (ledger_sub_end(&sub, r));
}

int
ledger_issued_get(struct ledger_txn *t, const uint8_t *b,
    struct ledger_issued *li)
{
	struct rec_issued	 ri;
	int			 r;

	if (t == NULL || b == NULL || li == NULL)
		return (LEDGER_INVALID);
	r = ledger_getrec(t, LDB_ISSUED, b, LEDGER_Y_LEN, &ri, sizeof(ri));
	if (r == LEDGER_OK)
		*li = ri.ri_i;
	return (r);
}

int
ledger_issued_walk(struct ledger_txn *t,
    int (*cb)(const struct ledger_issued *, void *), void *arg)
{
	struct rec_issued	 ri;
	DBC			*c;
	uint8_t			 k[LEDGER_Y_LEN];
	size_t			 klen, dlen;
	int			 r;

	if (t == NULL || cb == NULL)
		return (LEDGER_INVALID);
	if ((r = ledger_cursor(t, LDB_ISSUED, &c)) != LEDGER_OK)
		return (r);
	for (;;) {
		klen = 0;
		r = ledger_cget(t->t_l, c, k, sizeof(k), &klen, &ri,
		    sizeof(ri), &dlen, DB_NEXT);
		if (r != LEDGER_OK)
			break;
		if ((r = ledger_rec_check(LDB_ISSUED, &ri, dlen,
		    sizeof(ri))) != LEDGER_OK)
			break;
		if (cb(&ri.ri_i, arg) != 0)
			break;
	}
	if (r == LEDGER_NOTFOUND)
		r = LEDGER_OK;
	return (ledger_cursor_close(t->t_l, c, r));
}

/* kind (0 mint, 1 melt) then the id without its NUL */
int
ledger_quote_key(uint8_t *k, int melt, const char *id, size_t *len)
{
	size_t	 n;

	if ((melt != 0 && melt != 1) || id == NULL ||
	    !ipc_str_ok(id, LEDGER_QUOTE_ID_MAX) || (n = strlen(id)) == 0)
		return (LEDGER_INVALID);
	k[0] = melt;
	memcpy(k + 1, id, n);
	*len = n + 1;
	return (LEDGER_OK);
}

static int
quote_state_ok(int melt, uint32_t s)
{
	if (melt)
		return (s == LEDGER_QUOTE_UNPAID ||
		    s == LEDGER_QUOTE_PENDING || s == LEDGER_QUOTE_PAID);
	return (s == LEDGER_QUOTE_UNPAID || s == LEDGER_QUOTE_PAID ||
	    s == LEDGER_QUOTE_ISSUED);
}

static int
quote_edge_ok(int melt, uint32_t from, uint32_t to)
{
	if (melt)
		return ((from == LEDGER_QUOTE_UNPAID &&
		    to == LEDGER_QUOTE_PENDING) ||
		    (from == LEDGER_QUOTE_PENDING &&
		    (to == LEDGER_QUOTE_PAID || to == LEDGER_QUOTE_UNPAID)));
	return ((from == LEDGER_QUOTE_UNPAID && to == LEDGER_QUOTE_PAID) ||
	    (from == LEDGER_QUOTE_PAID && to == LEDGER_QUOTE_ISSUED));
}

/* The melt quote takes its payment hash: LEDGER_EXISTS if taken. */
static int
quote_hash_take(struct ledger_txn *t, const struct ledger_quote *q)
{
	struct rec_melthash	 rm;

	memset(&rm, 0, sizeof(rm));
	rm.rm_version = LEDGER_REC_VERSION;
	strlcpy(rm.rm_id, q->lq_id, sizeof(rm.rm_id));
	return (ledger_put(t, LDB_MELTHASH, q->lq_payment_hash,
	    sizeof(q->lq_payment_hash), &rm, sizeof(rm), DB_NOOVERWRITE));
}

static int
quote_hash_drop(struct ledger_txn *t, const struct ledger_quote *q)
{
	struct rec_melthash	 rm;
	int			 r;

	r = ledger_getrec(t, LDB_MELTHASH, q->lq_payment_hash,
	    sizeof(q->lq_payment_hash), &rm, sizeof(rm));
	if (r == LEDGER_OK && (!ipc_str_ok(rm.rm_id, sizeof(rm.rm_id)) ||
	    strcmp(rm.rm_id, q->lq_id) != 0))
		r = LEDGER_NOTFOUND;
	if (r == LEDGER_NOTFOUND) {
		log_warnx("ledger: melt quote %s: payment hash index "
		    "damaged", q->lq_id);
		return (LEDGER_DBERR);
	}
	if (r != LEDGER_OK)
		return (r);
	return (ledger_del(t, LDB_MELTHASH, q->lq_payment_hash,
	    sizeof(q->lq_payment_hash)));
}

int
ledger_quote_add(struct ledger_txn *t, const struct ledger_quote *q)
{
	struct ledger_txn	 sub;
	struct rec_quote	 rq;
	struct ledger_quote	*n = &rq.rq_q;
	uint8_t			 k[LEDGER_QUOTE_KEY];
	size_t			 klen;
	int			 r;

	if (t == NULL || q == NULL ||
	    ledger_quote_key(k, q->lq_melt, q->lq_id, &klen) != LEDGER_OK ||
	    !quote_state_ok(q->lq_melt, q->lq_state) ||
	    !ipc_str_ok(q->lq_unit, sizeof(q->lq_unit)) ||
	    !ipc_str_ok(q->lq_pubkey, sizeof(q->lq_pubkey)) ||
	    !ipc_str_ok(q->lq_request, sizeof(q->lq_request)) ||
	    (q->lq_has_preimage != 0 && q->lq_has_preimage != 1) ||
	    (q->lq_has_preimage && !q->lq_melt))
		return (LEDGER_INVALID);

	/* Copied field by field: no bytes after the strings' NULs. */
	memset(&rq, 0, sizeof(rq));
	rq.rq_version = LEDGER_REC_VERSION;
	strlcpy(n->lq_id, q->lq_id, sizeof(n->lq_id));
	n->lq_melt = q->lq_melt;
	n->lq_state = q->lq_state;
	n->lq_amount = q->lq_amount;
	n->lq_fee_reserve = q->lq_fee_reserve;
	strlcpy(n->lq_unit, q->lq_unit, sizeof(n->lq_unit));
	n->lq_created = q->lq_created != 0 ? q->lq_created : ledger_now();
	n->lq_expiry = q->lq_expiry;
	memcpy(n->lq_payment_hash, q->lq_payment_hash,
	    sizeof(n->lq_payment_hash));
	if (q->lq_has_preimage) {
		memcpy(n->lq_preimage, q->lq_preimage,
		    sizeof(n->lq_preimage));
		n->lq_has_preimage = 1;
	}
	strlcpy(n->lq_pubkey, q->lq_pubkey, sizeof(n->lq_pubkey));
	strlcpy(n->lq_request, q->lq_request, sizeof(n->lq_request));

	if ((r = ledger_sub_begin(t, &sub)) != LEDGER_OK)
		return (r);
	r = ledger_put(&sub, LDB_QUOTES, k, klen, &rq, sizeof(rq),
	    DB_NOOVERWRITE);
	if (r == LEDGER_OK && n->lq_melt &&
	    (n->lq_state == LEDGER_QUOTE_PENDING ||
	    n->lq_state == LEDGER_QUOTE_PAID))
		r = quote_hash_take(&sub, n);
	return (ledger_sub_end(&sub, r));
}

int
ledger_quote_get(struct ledger_txn *t, int melt, const char *id,
    struct ledger_quote *q)
{
	struct rec_quote	 rq;
	uint8_t			 k[LEDGER_QUOTE_KEY];
	size_t			 klen;
	int			 r;

	if (t == NULL || q == NULL ||
	    ledger_quote_key(k, melt, id, &klen) != LEDGER_OK)
		return (LEDGER_INVALID);
	r = ledger_getrec(t, LDB_QUOTES, k, klen, &rq, sizeof(rq));
	if (r == LEDGER_OK)
		*q = rq.rq_q;
	return (r);
}

int
ledger_quote_cas(struct ledger_txn *t, int melt, const char *id,
    uint32_t from, uint32_t to, const uint8_t *preimage)
{
	struct ledger_txn	 sub;
	struct rec_quote	 rq;
	uint8_t			 k[LEDGER_QUOTE_KEY];
	size_t			 klen;
	int			 r;

	if (t == NULL || ledger_quote_key(k, melt, id, &klen) != LEDGER_OK ||
	    !quote_state_ok(melt, from) || !quote_state_ok(melt, to) ||
	    (preimage != NULL && (!melt || to != LEDGER_QUOTE_PAID)))
		return (LEDGER_INVALID);
	if ((r = ledger_sub_begin(t, &sub)) != LEDGER_OK)
		return (r);
	if ((r = ledger_getrec(&sub, LDB_QUOTES, k, klen, &rq,
	    sizeof(rq))) != LEDGER_OK)
		goto done;
	if (!quote_edge_ok(melt, from, to) || rq.rq_q.lq_state != from) {
		r = LEDGER_STATE;
		goto done;
	}
	rq.rq_q.lq_state = to;
	if (preimage != NULL) {
		memcpy(rq.rq_q.lq_preimage, preimage,
		    sizeof(rq.rq_q.lq_preimage));
		rq.rq_q.lq_has_preimage = 1;
	}
	if (melt && to == LEDGER_QUOTE_PENDING)
		r = quote_hash_take(&sub, &rq.rq_q);
	else if (melt && to == LEDGER_QUOTE_UNPAID)
		r = quote_hash_drop(&sub, &rq.rq_q);
	if (r == LEDGER_OK)
		r = ledger_put(&sub, LDB_QUOTES, k, klen, &rq, sizeof(rq), 0);
 done:
	return (ledger_sub_end(&sub, r));
}

int
ledger_quote_by_hash(struct ledger_txn *t, const uint8_t *hash,
    struct ledger_quote *q)
{
	struct rec_melthash	 rm;
	struct ledger_quote	 mq;
	int			 r;

	if (t == NULL || hash == NULL || q == NULL)
		return (LEDGER_INVALID);
	if ((r = ledger_getrec(t, LDB_MELTHASH, hash,
	    sizeof(mq.lq_payment_hash), &rm, sizeof(rm))) != LEDGER_OK)
		return (r);
	if (!ipc_str_ok(rm.rm_id, sizeof(rm.rm_id)) ||
	    (r = ledger_quote_get(t, 1, rm.rm_id, &mq)) == LEDGER_NOTFOUND ||
	    r == LEDGER_INVALID ||
	    (r == LEDGER_OK && (memcmp(mq.lq_payment_hash, hash,
	    sizeof(mq.lq_payment_hash)) != 0 ||
	    (mq.lq_state != LEDGER_QUOTE_PENDING &&
	    mq.lq_state != LEDGER_QUOTE_PAID)))) {
		log_warnx("ledger: payment hash index damaged");
		return (LEDGER_DBERR);
	}
	if (r == LEDGER_OK)
		*q = mq;
	return (r);
}

/*
 * Keysets.
 */

int
ledger_keyset_put(struct ledger_txn *t, const struct ledger_keyset *k)
{
	struct rec_keyset	 rk;

	if (t == NULL || k == NULL || k->lk_idlen == 0 ||
	    k->lk_idlen > LEDGER_KEYSET_MAX ||
	    !ipc_str_ok(k->lk_unit, sizeof(k->lk_unit)) ||
	    k->lk_unit[0] == '\0' || k->lk_version > 1 ||
	    (k->lk_active != 0 && k->lk_active != 1))
		return (LEDGER_INVALID);
	memset(&rk, 0, sizeof(rk));
	rk.rk_version = LEDGER_REC_VERSION;
	rk.rk_k = *k;
	return (ledger_put(t, LDB_KEYSETS, k->lk_id, k->lk_idlen, &rk,
	    sizeof(rk), 0));
}

int
ledger_keyset_walk(struct ledger_txn *t,
    int (*cb)(const struct ledger_keyset *, void *), void *arg)
{
	struct rec_keyset	 rk;
	DBC			*c;
	uint8_t			 k[LEDGER_KEYSET_MAX];
	size_t			 klen, dlen;
	int			 r;

	if (t == NULL || cb == NULL)
		return (LEDGER_INVALID);
	if ((r = ledger_cursor(t, LDB_KEYSETS, &c)) != LEDGER_OK)
		return (r);
	for (;;) {
		klen = 0;
		r = ledger_cget(t->t_l, c, k, sizeof(k), &klen, &rk,
		    sizeof(rk), &dlen, DB_NEXT);
		if (r != LEDGER_OK)
			break;
		if ((r = ledger_rec_check(LDB_KEYSETS, &rk, dlen,
		    sizeof(rk))) != LEDGER_OK)
			break;
		if (cb(&rk.rk_k, arg) != 0)
			break;
	}
	if (r == LEDGER_NOTFOUND)
		r = LEDGER_OK;
	return (ledger_cursor_close(t->t_l, c, r));
}
