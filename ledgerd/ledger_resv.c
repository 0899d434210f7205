/*
 * The open reservations, in memory: by id, and what they hold per
 * account.  No reservation survives a restart (ledgerd releases them
 * all at start), so they are not written to the database: a reserve
 * or a release costs no log, a settle writes the account and the
 * journal only.
 *
 * Every change is applied at once, so that later requests of the same
 * batch see it, and recorded on the transaction that made it; see
 * ledger_impl.h for how the entries follow commits and aborts.  Undoing
 * never fails: what a removal took out of the table (the reservation,
 * and its account's sum entry when it emptied it) stays in its undo
 * entry until the top-level transaction is decided.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_impl.h"
#include "log.h"
#include "money.h"

static int	 resv_cmp(struct resv *, struct resv *);
static int	 resv_sum_cmp(struct resv_sum *, struct resv_sum *);
static struct resv_sum *sum_find(struct ledger *, const uint8_t *);
static void	 sum_add(struct ledger *, const struct resv *,
		    struct resv_sum **);
static struct resv_sum *sum_sub(struct ledger *, const struct resv *);
static int	 resv_take(struct ledger_txn *, struct resv *);
static void	 undo_one(struct ledger *, struct resv_undo *);
static void	 undo_forget(struct resv_undo *);

RB_GENERATE(resv_tree, resv, rv_entry, resv_cmp);
RB_GENERATE(resv_sums, resv_sum, rs_entry, resv_sum_cmp);

static int
resv_cmp(struct resv *a, struct resv *b)
{
	return (a->rv_id < b->rv_id ? -1 : a->rv_id > b->rv_id);
}

static int
resv_sum_cmp(struct resv_sum *a, struct resv_sum *b)
{
	return (memcmp(a->rs_key, b->rs_key, LEDGER_KEY_LEN));
}

void
ledger_resv_init(struct ledger *l)
{
	RB_INIT(&l->l_resv);
	RB_INIT(&l->l_rsums);
	l->l_nresv = 0;
}

void
ledger_resv_free(struct ledger *l)
{
	struct resv	*r;
	struct resv_sum	*rs;

	while ((r = RB_MIN(resv_tree, &l->l_resv)) != NULL) {
		RB_REMOVE(resv_tree, &l->l_resv, r);
		free(r);
	}
	while ((rs = RB_MIN(resv_sums, &l->l_rsums)) != NULL) {
		RB_REMOVE(resv_sums, &l->l_rsums, rs);
		free(rs);
	}
	l->l_nresv = 0;
}

static struct resv_sum *
sum_find(struct ledger *l, const uint8_t *key)
{
	struct resv_sum	 find;

	memcpy(find.rs_key, key, LEDGER_KEY_LEN);
	return (RB_FIND(resv_sums, &l->l_rsums, &find));
}

/*
 * Count r in its account's sum; *spare is the entry to use if the
 * account has none (taken: set to NULL).  The caller checked that the
 * sum does not overflow; undoing, it cannot.
 */
static void
sum_add(struct ledger *l, const struct resv *r, struct resv_sum **spare)
{
	struct resv_sum	*rs;

	if ((rs = sum_find(l, r->rv_key)) == NULL) {
		if ((rs = *spare) == NULL &&
		    (rs = malloc(sizeof(*rs))) == NULL)
			fatal("%s", __func__);
		*spare = NULL;
		memset(rs, 0, sizeof(*rs));
		memcpy(rs->rs_key, r->rv_key, LEDGER_KEY_LEN);
		RB_INSERT(resv_sums, &l->l_rsums, rs);
	}
	if (money_add(&rs->rs_sum, rs->rs_sum, r->rv_amount) == -1)
		fatalx("%s: the reserved sum overflows", __func__);
	rs->rs_n++;
}

/*
 * Take r out of its account's sum; the sum entry if that emptied it
 * (out of the tree, the caller's), else NULL.  The caller checked it.
 */
static struct resv_sum *
sum_sub(struct ledger *l, const struct resv *r)
{
	struct resv_sum	*rs;

	if ((rs = sum_find(l, r->rv_key)) == NULL || rs->rs_n == 0 ||
	    money_sub(&rs->rs_sum, rs->rs_sum, r->rv_amount) == -1)
		fatalx("%s: a reservation outside its sum", __func__);
	if (--rs->rs_n > 0)
		return (NULL);
	RB_REMOVE(resv_sums, &l->l_rsums, rs);
	return (rs);
}

struct resv *
ledger_resv_find(struct ledger *l, uint64_t id)
{
	struct resv	 find;

	find.rv_id = id;
	return (RB_FIND(resv_tree, &l->l_resv, &find));
}

/* What the open reservations of an account hold, and how many (n). */
uint64_t
ledger_resv_reserved(struct ledger *l, const uint8_t *key, uint64_t *n)
{
	struct resv_sum	*rs;

	rs = sum_find(l, key);
	if (n != NULL)
		*n = rs != NULL ? rs->rs_n : 0;
	return (rs != NULL ? rs->rs_sum : 0);
}

/* Add a reservation (a copy of r) in t. */
int
ledger_resv_add(struct ledger_txn *t, const struct resv *r)
{
	struct ledger		*l = t->t_l;
	struct resv		*n = NULL;
	struct resv_sum		*rs, *spare = NULL;
	struct resv_undo	*u = NULL;
	uint64_t		 sum;

	if ((rs = sum_find(l, r->rv_key)) != NULL &&
	    money_add(&sum, rs->rs_sum, r->rv_amount) == -1)
		return (LEDGER_OVERFLOW);
	if (ledger_resv_find(l, r->rv_id) != NULL) {
		log_warnx("ledger: reservation %llu: its id is in use",
		    (unsigned long long)r->rv_id);
		return (LEDGER_DBERR);	/* ids never repeat */
	}
	if ((n = malloc(sizeof(*n))) == NULL ||
	    (u = calloc(1, sizeof(*u))) == NULL ||
	    (rs == NULL && (spare = calloc(1, sizeof(*spare))) == NULL)) {
		log_warn("%s", __func__);
		free(n);
		free(u);
		return (LEDGER_DBERR);
	}
	*n = *r;
	RB_INSERT(resv_tree, &l->l_resv, n);
	l->l_nresv++;
	sum_add(l, n, &spare);
	free(spare);		/* NULL: it was used */
	u->ru_added = 1;
	u->ru_id = n->rv_id;
	TAILQ_INSERT_TAIL(&t->t_undo, u, ru_entry);
	return (LEDGER_OK);
}

/* Remove r from the table in t; its undo entry keeps it. */
static int
resv_take(struct ledger_txn *t, struct resv *r)
{
	struct ledger		*l = t->t_l;
	struct resv_sum		*rs;
	struct resv_undo	*u;
	char			 hex[16];

	if ((rs = sum_find(l, r->rv_key)) == NULL || rs->rs_n == 0 ||
	    rs->rs_sum < r->rv_amount) {
		log_warnx("ledger: reservation %llu of account %s: not in "
		    "its account's reserved sum: damaged",
		    (unsigned long long)r->rv_id,
		    ledger_hexkey(r->rv_key, LEDGER_KEY_LEN, hex,
		    sizeof(hex)));
		return (LEDGER_DBERR);
	}
	if ((u = calloc(1, sizeof(*u))) == NULL) {
		log_warn("%s", __func__);
		return (LEDGER_DBERR);
	}
	RB_REMOVE(resv_tree, &l->l_resv, r);
	l->l_nresv--;
	u->ru_id = r->rv_id;
	u->ru_resv = r;
	u->ru_sum = sum_sub(l, r);
	TAILQ_INSERT_TAIL(&t->t_undo, u, ru_entry);
	return (LEDGER_OK);
}

/* Remove reservation id in t; LEDGER_NOTFOUND if it is not open. */
int
ledger_resv_remove(struct ledger_txn *t, uint64_t id)
{
	struct resv	*r;

	if ((r = ledger_resv_find(t->t_l, id)) == NULL)
		return (LEDGER_NOTFOUND);
	return (resv_take(t, r));
}

/*
 * Remove every reservation (all) or those whose deadline is before
 * now; *np of them.  All or nothing.
 */
int
ledger_resv_remove_where(struct ledger_txn *t, int all, int64_t now,
    uint64_t *np)
{
	struct resv_undo	*mark;
	struct resv		*r, *next;
	uint64_t		 n = 0;
	int			 e;

	mark = TAILQ_LAST(&t->t_undo, resv_undos);
	for (r = RB_MIN(resv_tree, &t->t_l->l_resv); r != NULL; r = next) {
		next = RB_NEXT(resv_tree, &t->t_l->l_resv, r);
		if (!all && r->rv_deadline >= now)
			continue;
		if ((e = resv_take(t, r)) != LEDGER_OK) {
			ledger_undo_to(t, mark);
			return (e);
		}
		n++;
	}
	if (np != NULL)
		*np = n;
	return (LEDGER_OK);
}

static void
undo_one(struct ledger *l, struct resv_undo *u)
{
	struct resv	*r;

	if (u->ru_added) {
		/* Gone already only if another transaction took it. */
		if ((r = ledger_resv_find(l, u->ru_id)) != NULL) {
			RB_REMOVE(resv_tree, &l->l_resv, r);
			l->l_nresv--;
			free(sum_sub(l, r));
			free(r);
		}
	} else {
		r = u->ru_resv;
		if (RB_INSERT(resv_tree, &l->l_resv, r) != NULL)
			fatalx("%s: reservation %llu twice", __func__,
			    (unsigned long long)r->rv_id);
		l->l_nresv++;
		sum_add(l, r, &u->ru_sum);
		free(u->ru_sum);	/* NULL if it was put back */
	}
	free(u);
}

/* A top-level commit: the change stays, what it removed goes. */
static void
undo_forget(struct resv_undo *u)
{
	free(u->ru_resv);
	free(u->ru_sum);
	free(u);
}

/* Undo t's changes newer than mark (NULL: all of them), newest first. */
void
ledger_undo_to(struct ledger_txn *t, struct resv_undo *mark)
{
	struct resv_undo	*u;

	while ((u = TAILQ_LAST(&t->t_undo, resv_undos)) != mark) {
		TAILQ_REMOVE(&t->t_undo, u, ru_entry);
		undo_one(t->t_l, u);
	}
}

void
ledger_undo_init(struct ledger_txn *t)
{
	TAILQ_INIT(&t->t_undo);
}

/* t committed: its changes go to its parent, or stay for good. */
void
ledger_undo_commit(struct ledger_txn *t)
{
	struct resv_undo	*u;

	if (t->t_parent != NULL) {
		TAILQ_CONCAT(&t->t_parent->t_undo, &t->t_undo, ru_entry);
		return;
	}
	while ((u = TAILQ_FIRST(&t->t_undo)) != NULL) {
		TAILQ_REMOVE(&t->t_undo, u, ru_entry);
		undo_forget(u);
	}
}

/* t aborted, or its commit failed: its changes are undone. */
void
ledger_undo_abort(struct ledger_txn *t)
{
	ledger_undo_to(t, NULL);
}
