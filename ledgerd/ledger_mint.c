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
 * Every issued output and every spent Y carries its keyset and amount;
 * the running totals per keyset (totals.db) change in the same inner
 * transaction as the records they count, so a crash, an abort or a
 * restored backup leaves them in agreement.
 *
 * A melt quote that is PENDING or PAID owns its payment hash in
 * melthash.db, written in the same transaction as its state, so that
 * ledger_quote_by_hash() is one lookup and no invoice can be paid by
 * two melt quotes at once.
 */

#include <sys/types.h>
#include <sys/tree.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"
#include "ledger_impl.h"
#include "log.h"
#include "money.h"

/* Sums per keyset, made from the records. */
struct ksum {
	RB_ENTRY(ksum)			 ks_entry;
	struct ledger_keyset_total	 ks_t;
};
RB_HEAD(ksums, ksum);

static int	 ys_ok(const void *, size_t);
static int	 inputs_ok(const struct ledger_input *, size_t);
static void	 value_set(struct rec_value *, const struct ledger_input *);
static int	 totals_add(struct ledger_txn *, const uint8_t *, size_t,
		    uint64_t, uint64_t, uint64_t, uint64_t);
static int	 ys_unpend_value(struct ledger_txn *,
		    const struct ledger_input *);
static int	 ksum_cmp(struct ksum *, struct ksum *);
static struct ksum *ksum_get(struct ksums *, const uint8_t *, size_t);
static int	 totals_put_cb(const struct ledger_keyset_total *, void *);

struct build;
static int	 quote_state_ok(int, uint32_t);
static int	 quote_edge_ok(int, uint32_t, uint32_t);
static int	 quote_hash_take(struct ledger_txn *,
		    const struct ledger_quote *);
static int	 quote_hash_drop(struct ledger_txn *,
		    const struct ledger_quote *);

/* libbsd's RB_*_STATIC need __unused, which Linux headers cannot have. */
#define RB_STATIC	__attribute__((__unused__)) static
RB_GENERATE_INTERNAL(ksums, ksum, ks_entry, ksum_cmp, RB_STATIC);

static int
ys_ok(const void *ys, size_t n)
{
	return (ys != NULL && n > 0 && n <= LEDGER_BATCH_MAX);
}

static int
inputs_ok(const struct ledger_input *in, size_t n)
{
	size_t	 i;

	if (!ys_ok(in, n))
		return (0);
	for (i = 0; i < n; i++)
		if (in[i].lin_keyset_len == 0 ||
		    in[i].lin_keyset_len > LEDGER_KEYSET_MAX)
			return (0);
	return (1);
}

static void
value_set(struct rec_value *v, const struct ledger_input *in)
{
	memset(v, 0, sizeof(*v));
	memcpy(v->rv_keyset, in->lin_keyset, in->lin_keyset_len);
	v->rv_keyset_len = in->lin_keyset_len;
	v->rv_amount = in->lin_amount;
}

/*
 * The value in a spent (pending 0) or pending (1) record of len bytes:
 * LEDGER_OK, a zero keyset length when the record is of format 1, or
 * LEDGER_DBERR if the record is damaged.
 */
int
ledger_ys_value(const void *rec, size_t len, int pending,
    struct rec_value *v)
{
	struct rec_spent	 rs;
	struct rec_pending	 rp;
	uint32_t		 version = 0;

	memset(v, 0, sizeof(*v));
	if (len >= sizeof(version))
		memcpy(&version, rec, sizeof(version));
	if (pending) {
		if (version == LEDGER_REC_VERSION && len == REC_PENDING_V1)
			return (LEDGER_OK);
		if (version != LEDGER_REC_YS_VERSION || len != sizeof(rp))
			return (LEDGER_DBERR);
		memcpy(&rp, rec, sizeof(rp));
		*v = rp.rp_v;
	} else {
		if (version == LEDGER_REC_VERSION && len == REC_SPENT_V1)
			return (LEDGER_OK);
		if (version != LEDGER_REC_YS_VERSION || len != sizeof(rs))
			return (LEDGER_DBERR);
		memcpy(&rs, rec, sizeof(rs));
		*v = rs.rs_v;
	}
	if (v->rv_keyset_len == 0 || v->rv_keyset_len > LEDGER_KEYSET_MAX)
		return (LEDGER_DBERR);
	return (LEDGER_OK);
}

/* Add to a keyset's running totals; LEDGER_OVERFLOW if one would wrap. */
static int
totals_add(struct ledger_txn *t, const uint8_t *keyset, size_t len,
    uint64_t issued, uint64_t nissued, uint64_t redeemed, uint64_t nredeemed)
{
	struct rec_total	 rt;
	int			 r;

	r = ledger_getrec(t, LDB_TOTALS, keyset, len, &rt, sizeof(rt));
	if (r == LEDGER_NOTFOUND) {
		memset(&rt, 0, sizeof(rt));
		rt.rt_version = LEDGER_REC_VERSION;
	} else if (r != LEDGER_OK)
		return (r);
	if (money_add(&rt.rt_issued, rt.rt_issued, issued) == -1 ||
	    money_add(&rt.rt_nissued, rt.rt_nissued, nissued) == -1 ||
	    money_add(&rt.rt_redeemed, rt.rt_redeemed, redeemed) == -1 ||
	    money_add(&rt.rt_nredeemed, rt.rt_nredeemed, nredeemed) == -1)
		return (LEDGER_OVERFLOW);
	return (ledger_put(t, LDB_TOTALS, keyset, len, &rt, sizeof(rt), 0));
}

int
ledger_ys_pend(struct ledger_txn *t, const struct ledger_input *in,
    size_t n, const char *quote)
{
	struct ledger_txn	 sub;
	struct rec_pending	 rp;
	size_t			 i;
	int			 r;

	if (t == NULL || !inputs_ok(in, n) ||
	    (quote != NULL && !ipc_str_ok(quote, LEDGER_QUOTE_ID_MAX)))
		return (LEDGER_INVALID);
	memset(&rp, 0, sizeof(rp));
	rp.rp_version = LEDGER_REC_YS_VERSION;
	rp.rp_time = ledger_now();
	if (quote != NULL)
		strlcpy(rp.rp_quote, quote, sizeof(rp.rp_quote));

	if ((r = ledger_sub_begin(t, &sub)) != LEDGER_OK)
		return (r);
	/* Spent wins over pending as the reason, whatever the order. */
	for (i = 0; i < n; i++) {
		r = ledger_exists(&sub, LDB_SPENT, in[i].lin_y, LEDGER_Y_LEN);
		if (r == LEDGER_OK)
			r = LEDGER_SPENT;
		else if (r == LEDGER_NOTFOUND)
			r = LEDGER_OK;
		if (r != LEDGER_OK)
			goto done;
	}
	for (i = 0; i < n; i++) {
		value_set(&rp.rp_v, &in[i]);
		r = ledger_put(&sub, LDB_PENDING, in[i].lin_y, LEDGER_Y_LEN,
		    &rp, sizeof(rp), DB_NOOVERWRITE);
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

/* A pending Y moves to spent: with the value it was pended with. */
static int
ys_unpend_value(struct ledger_txn *t, const struct ledger_input *in)
{
	struct rec_pending	 rp;
	struct rec_value	 v;
	size_t			 len;
	int			 r;

	if ((r = ledger_get(t, LDB_PENDING, in->lin_y, LEDGER_Y_LEN, &rp,
	    sizeof(rp), &len)) != LEDGER_OK)
		return (r);
	if (ledger_ys_value(&rp, len, 1, &v) != LEDGER_OK) {
		log_warnx("ledger: pending.db: a damaged record");
		return (LEDGER_DBERR);
	}
	/* A format 1 record has no value to compare: the given one counts. */
	if (v.rv_keyset_len != 0 && (v.rv_keyset_len != in->lin_keyset_len ||
	    memcmp(v.rv_keyset, in->lin_keyset, v.rv_keyset_len) != 0 ||
	    v.rv_amount != in->lin_amount))
		return (LEDGER_INVALID);
	return (ledger_del(t, LDB_PENDING, in->lin_y, LEDGER_Y_LEN));
}

int
ledger_ys_spend(struct ledger_txn *t, const struct ledger_input *in,
    size_t n, int from_pending)
{
	struct ledger_txn	 sub;
	struct rec_spent	 rs;
	uint64_t		 sum = 0, count = 0;
	size_t			 i;
	int			 r;

	if (t == NULL || !inputs_ok(in, n) ||
	    (from_pending != 0 && from_pending != 1))
		return (LEDGER_INVALID);
	memset(&rs, 0, sizeof(rs));
	rs.rs_version = LEDGER_REC_YS_VERSION;
	rs.rs_time = ledger_now();

	if ((r = ledger_sub_begin(t, &sub)) != LEDGER_OK)
		return (r);
	for (i = 0; i < n; i++) {
		r = ledger_exists(&sub, LDB_SPENT, in[i].lin_y, LEDGER_Y_LEN);
		if (r == LEDGER_OK)
			r = LEDGER_SPENT;
		else if (r == LEDGER_NOTFOUND)
			r = LEDGER_OK;
		if (r != LEDGER_OK)
			goto done;
	}
	for (i = 0; i < n; i++) {
		if (from_pending)
			r = ys_unpend_value(&sub, &in[i]);
		else {
			r = ledger_exists(&sub, LDB_PENDING, in[i].lin_y,
			    LEDGER_Y_LEN);
			if (r == LEDGER_OK)
				r = LEDGER_PENDING;
			else if (r == LEDGER_NOTFOUND)
				r = LEDGER_OK;
		}
		if (r != LEDGER_OK)
			goto done;
		value_set(&rs.rs_v, &in[i]);
		r = ledger_put(&sub, LDB_SPENT, in[i].lin_y, LEDGER_Y_LEN, &rs,
		    sizeof(rs), DB_NOOVERWRITE);
		if (r == LEDGER_EXISTS)
			r = LEDGER_SPENT;	/* twice in the batch */
		if (r != LEDGER_OK)
			goto done;

		/* The totals: one write per run of inputs of one keyset. */
		if (money_add(&sum, sum, in[i].lin_amount) == -1) {
			r = LEDGER_OVERFLOW;
			goto done;
		}
		count++;
		if (i + 1 < n &&
		    in[i + 1].lin_keyset_len == in[i].lin_keyset_len &&
		    memcmp(in[i + 1].lin_keyset, in[i].lin_keyset,
		    in[i].lin_keyset_len) == 0)
			continue;
		if ((r = totals_add(&sub, in[i].lin_keyset,
		    in[i].lin_keyset_len, 0, 0, sum, count)) != LEDGER_OK)
			goto done;
		sum = count = 0;
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
	uint64_t		 sum = 0, count = 0;
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

		/* The totals: one write per run of outputs of one keyset. */
		if (money_add(&sum, sum, li[i].li_amount) == -1) {
			r = LEDGER_OVERFLOW;
			break;
		}
		count++;
		if (i + 1 < n &&
		    li[i + 1].li_keyset_len == li[i].li_keyset_len &&
		    memcmp(li[i + 1].li_keyset, li[i].li_keyset,
		    li[i].li_keyset_len) == 0)
			continue;
		if ((r = totals_add(&sub, li[i].li_keyset,
		    li[i].li_keyset_len, sum, count, 0, 0)) != LEDGER_OK)
			break;
		sum = count = 0;
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

/*
 * The pending Ys of one melt quote, with their values, so that a melt
 * still pending after a restart can be finished or undone.  A record of
 * format 1 (no value) is reported with keyset length 0.
 */
int
ledger_ys_pending_walk(struct ledger_txn *t, const char *quote,
    int (*cb)(const struct ledger_input *, void *), void *arg)
{
	struct rec_pending	 rp;
	struct rec_value	 v;
	struct ledger_input	 in;
	DBC			*c;
	uint8_t			 k[LEDGER_Y_LEN];
	size_t			 klen, dlen;
	int			 r;

	if (t == NULL || cb == NULL || quote == NULL || quote[0] == '\0' ||
	    !ipc_str_ok(quote, LEDGER_QUOTE_ID_MAX))
		return (LEDGER_INVALID);
	if ((r = ledger_cursor(t, LDB_PENDING, &c)) != LEDGER_OK)
		return (r);
	for (;;) {
		klen = 0;
		memset(&rp, 0, sizeof(rp));
		r = ledger_cget(t->t_l, c, k, sizeof(k), &klen, &rp,
		    sizeof(rp), &dlen, DB_NEXT);
		if (r != LEDGER_OK)
			break;
		if (klen != LEDGER_Y_LEN || dlen < REC_PENDING_V1 ||
		    (r = ledger_ys_value(&rp, dlen, 1, &v)) != LEDGER_OK) {
			r = LEDGER_DBERR;
			break;
		}
		if (strncmp(rp.rp_quote, quote, sizeof(rp.rp_quote)) != 0)
			continue;
		memset(&in, 0, sizeof(in));
		memcpy(in.lin_y, k, sizeof(in.lin_y));
		memcpy(in.lin_keyset, v.rv_keyset, sizeof(in.lin_keyset));
		in.lin_keyset_len = v.rv_keyset_len;
		in.lin_amount = v.rv_amount;
		if (cb(&in, arg) != 0)
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

/* Every other keyset of its unit inactive, the new one active. */
int
ledger_keyset_rotate(struct ledger_txn *t, const struct ledger_keyset *k)
{
	struct ledger_txn	 sub;
	struct rec_keyset	 rk;
	DBC			*c = NULL;
	DBT			 key, data;
	uint8_t			 id[LEDGER_KEYSET_MAX];
	size_t			 klen, dlen;
	int			 e, r;

	if (t == NULL || k == NULL || k->lk_idlen == 0 ||
	    k->lk_idlen > LEDGER_KEYSET_MAX ||
	    !ipc_str_ok(k->lk_unit, sizeof(k->lk_unit)) ||
	    k->lk_unit[0] == '\0' || k->lk_version > 1 || k->lk_active != 1)
		return (LEDGER_INVALID);
	if ((r = ledger_sub_begin(t, &sub)) != LEDGER_OK)
		return (r);
	memset(&rk, 0, sizeof(rk));
	rk.rk_version = LEDGER_REC_VERSION;
	rk.rk_k = *k;
	if ((r = ledger_put(&sub, LDB_KEYSETS, k->lk_id, k->lk_idlen, &rk,
	    sizeof(rk), DB_NOOVERWRITE)) != LEDGER_OK)
		goto done;
	if ((r = ledger_cursor(&sub, LDB_KEYSETS, &c)) != LEDGER_OK)
		goto done;
	for (;;) {
		klen = 0;
		if ((r = ledger_cget(sub.t_l, c, id, sizeof(id), &klen, &rk,
		    sizeof(rk), &dlen, DB_NEXT)) != LEDGER_OK)
			break;
		if ((r = ledger_rec_check(LDB_KEYSETS, &rk, dlen,
		    sizeof(rk))) != LEDGER_OK)
			break;
		if (!rk.rk_k.lk_active ||
		    strncmp(rk.rk_k.lk_unit, k->lk_unit,
		    sizeof(rk.rk_k.lk_unit)) != 0 ||
		    (klen == k->lk_idlen && memcmp(id, k->lk_id, klen) == 0))
			continue;
		rk.rk_k.lk_active = 0;
		memset(&key, 0, sizeof(key));
		memset(&data, 0, sizeof(data));
		data.data = &rk;
		data.size = sizeof(rk);
		if ((e = c->put(c, &key, &data, DB_CURRENT)) != 0) {
			r = ledger_err(sub.t_l, "keysets.db", e);
			break;
		}
	}
	if (r == LEDGER_NOTFOUND)
		r = LEDGER_OK;
	r = ledger_cursor_close(sub.t_l, c, r);
 done:
	return (ledger_sub_end(&sub, r));
}

int
ledger_keyset_total_get(struct ledger_txn *t, const uint8_t *id,
    size_t len, struct ledger_keyset_total *kt)
{
	struct rec_total	 rt;
	int			 r;

	if (t == NULL || id == NULL || kt == NULL || len == 0 ||
	    len > LEDGER_KEYSET_MAX)
		return (LEDGER_INVALID);
	memset(kt, 0, sizeof(*kt));
	memcpy(kt->kt_keyset, id, len);
	kt->kt_keyset_len = len;
	r = ledger_getrec(t, LDB_TOTALS, id, len, &rt, sizeof(rt));
	if (r == LEDGER_NOTFOUND)
		return (LEDGER_OK);
	if (r != LEDGER_OK)
		return (r);
	kt->kt_issued = rt.rt_issued;
	kt->kt_redeemed = rt.rt_redeemed;
	kt->kt_nissued = rt.rt_nissued;
	kt->kt_nredeemed = rt.rt_nredeemed;
	return (LEDGER_OK);
}

int
ledger_keyset_total_walk(struct ledger_txn *t,
    int (*cb)(const struct ledger_keyset_total *, void *), void *arg)
{
	struct ledger_keyset_total	 kt;
	struct rec_total		 rt;
	DBC				*c;
	size_t				 klen, dlen;
	int				 r;

	if (t == NULL || cb == NULL)
		return (LEDGER_INVALID);
	if ((r = ledger_cursor(t, LDB_TOTALS, &c)) != LEDGER_OK)
		return (r);
	for (;;) {
		memset(&kt, 0, sizeof(kt));
		klen = 0;
		r = ledger_cget(t->t_l, c, kt.kt_keyset, sizeof(kt.kt_keyset),
		    &klen, &rt, sizeof(rt), &dlen, DB_NEXT);
		if (r != LEDGER_OK)
			break;
		if ((r = ledger_rec_check(LDB_TOTALS, &rt, dlen,
		    sizeof(rt))) != LEDGER_OK)
			break;
		if (klen == 0) {
			log_warnx("ledger: totals.db: an empty key");
			r = LEDGER_DBERR;
			break;
		}
		kt.kt_keyset_len = klen;
		kt.kt_issued = rt.rt_issued;
		kt.kt_redeemed = rt.rt_redeemed;
		kt.kt_nissued = rt.rt_nissued;
		kt.kt_nredeemed = rt.rt_nredeemed;
		if (cb(&kt, arg) != 0)
			break;
	}
	if (r == LEDGER_NOTFOUND)
		r = LEDGER_OK;
	return (ledger_cursor_close(t->t_l, c, r));
}

/* In the order of the keys in totals.db: bytes, then length. */
static int
ksum_cmp(struct ksum *a, struct ksum *b)
{
	size_t	 n = a->ks_t.kt_keyset_len < b->ks_t.kt_keyset_len ?
		    a->ks_t.kt_keyset_len : b->ks_t.kt_keyset_len;
	int	 c;

	if ((c = memcmp(a->ks_t.kt_keyset, b->ks_t.kt_keyset, n)) != 0)
		return (c);
	return (a->ks_t.kt_keyset_len < b->ks_t.kt_keyset_len ? -1 :
	    a->ks_t.kt_keyset_len > b->ks_t.kt_keyset_len);
}

static struct ksum *
ksum_get(struct ksums *sums, const uint8_t *id, size_t len)
{
	struct ksum	 find, *ks;

	memset(&find, 0, sizeof(find));
	memcpy(find.ks_t.kt_keyset, id, len);
	find.ks_t.kt_keyset_len = len;
	if ((ks = RB_FIND(ksums, sums, &find)) != NULL)
		return (ks);
	if ((ks = calloc(1, sizeof(*ks))) == NULL) {
		log_warn("%s", __func__);
		return (NULL);
	}
	ks->ks_t = find.ks_t;
	RB_INSERT(ksums, sums, ks);
	return (ks);
}

/*
 * The totals per keyset summed from the records of issued.db and
 * spent.db, handed to cb in key order; *novalue counts the spent Ys of
 * a format 1 ledger, which have no value.  Damaged records are left out
 * (the audit reports them).  The cursors read committed data only, so
 * that a large ledger does not hold a lock on every page.
 */
int
ledger_keyset_sums(struct ledger_txn *t,
    int (*cb)(const struct ledger_keyset_total *, void *), void *arg,
    uint64_t *novalue)
{
	struct ksums		 sums = RB_INITIALIZER(&sums);
	struct ksum		*ks, *next;
	struct rec_issued	 ri;
	struct rec_spent	 rs;
	struct rec_value	 v;
	DB			*db;
	DBC			*c = NULL;
	uint8_t			 k[LEDGER_Y_LEN];
	size_t			 klen, dlen;
	int			 e, r, pass;

	*novalue = 0;
	for (pass = 0; pass < 2; pass++) {
		db = t->t_l->l_db[pass == 0 ? LDB_ISSUED : LDB_SPENT];
		if ((e = db->cursor(db, t->t_txn, &c,
		    DB_READ_COMMITTED)) != 0) {
			r = ledger_err(t->t_l, "ledger: keyset sums", e);
			goto done;
		}
		for (;;) {
			klen = 0;
			if (pass == 0)
				r = ledger_cget(t->t_l, c, k, sizeof(k), &klen,
				    &ri, sizeof(ri), &dlen, DB_NEXT);
			else
				r = ledger_cget(t->t_l, c, k, sizeof(k), &klen,
				    &rs, sizeof(rs), &dlen, DB_NEXT);
			if (r != LEDGER_OK)
				break;
			if (pass == 0) {
				if (dlen != sizeof(ri) ||
				    ri.ri_version != LEDGER_REC_VERSION ||
				    ri.ri_i.li_keyset_len == 0 ||
				    ri.ri_i.li_keyset_len > LEDGER_KEYSET_MAX)
					continue;
				if ((ks = ksum_get(&sums, ri.ri_i.li_keyset,
				    ri.ri_i.li_keyset_len)) == NULL) {
					r = LEDGER_DBERR;
					break;
				}
				if (money_add(&ks->ks_t.kt_issued,
				    ks->ks_t.kt_issued,
				    ri.ri_i.li_amount) == -1) {
					r = LEDGER_OVERFLOW;
					break;
				}
				ks->ks_t.kt_nissued++;
				continue;
			}
			if (ledger_ys_value(&rs, dlen, 0, &v) != LEDGER_OK)
				continue;
			if (v.rv_keyset_len == 0) {
				(*novalue)++;
				continue;
			}
			if ((ks = ksum_get(&sums, v.rv_keyset,
			    v.rv_keyset_len)) == NULL) {
				r = LEDGER_DBERR;
				break;
			}
			if (money_add(&ks->ks_t.kt_redeemed,
			    ks->ks_t.kt_redeemed, v.rv_amount) == -1) {
				r = LEDGER_OVERFLOW;
				break;
			}
			ks->ks_t.kt_nredeemed++;
		}
		if (r == LEDGER_NOTFOUND)
			r = LEDGER_OK;
		r = ledger_cursor_close(t->t_l, c, r);
		c = NULL;
		if (r != LEDGER_OK)
			goto done;
	}
	RB_FOREACH(ks, ksums, &sums)
		if (cb(&ks->ks_t, arg) != 0)
			break;
 done:
	for (ks = RB_MIN(ksums, &sums); ks != NULL; ks = next) {
		next = RB_NEXT(ksums, &sums, ks);
		RB_REMOVE(ksums, &sums, ks);
		free(ks);
	}
	return (r);
}

struct build {
	struct ledger_txn	*b_t;
	int			 b_r;
};

static int
totals_put_cb(const struct ledger_keyset_total *kt, void *arg)
{
	struct build		*b = arg;
	struct rec_total	 rt;

	memset(&rt, 0, sizeof(rt));
	rt.rt_version = LEDGER_REC_VERSION;
	rt.rt_issued = kt->kt_issued;
	rt.rt_redeemed = kt->kt_redeemed;
	rt.rt_nissued = kt->kt_nissued;
	rt.rt_nredeemed = kt->kt_nredeemed;
	b->b_r = ledger_put(b->b_t, LDB_TOTALS, kt->kt_keyset,
	    kt->kt_keyset_len, &rt, sizeof(rt), 0);
	return (b->b_r != LEDGER_OK);
}

/*
 * The totals of a format 1 ledger, which kept none: summed from its
 * records in the transaction that upgrades it.  Its spent Ys have no
 * value, so what it redeemed before is not counted.
 */
int
ledger_totals_build(struct ledger_txn *t)
{
	struct ledger_txn	 sub;
	struct build		 b;
	uint64_t		 novalue;
	int			 r;

	if ((r = ledger_sub_begin(t, &sub)) != LEDGER_OK)
		return (r);
	b.b_t = &sub;
	b.b_r = LEDGER_OK;
	if ((r = ledger_keyset_sums(&sub, totals_put_cb, &b, &novalue)) ==
	    LEDGER_OK)
		r = b.b_r;
	if (r == LEDGER_OK && novalue > 0)
		log_warnx("ledger: %llu proofs were spent before this ledger "
		    "kept their amounts: the redeemed totals leave them out",
		    (unsigned long long)novalue);
	return (ledger_sub_end(&sub, r));
}
