/*
 * ledgerd: the one process that owns the money ledger.  Started by
 * routstrd(8), chrooted into its database directory.
 *
 * Group commit: every request read in one turn of the event loop runs in
 * a child transaction of one batch transaction; when the channels have
 * nothing more to read (a lower-priority event), the batch is committed
 * once.  Its replies are sent once it, and every batch before it, is on
 * disk (ledger_sync.c makes it so while the loop goes on with the next
 * batches); those of reservations alone go at once.  A request that
 * fails aborts its own child transaction and nothing else.
 *
 * Reservations are held in memory by the ledger, not written: a reserve
 * or a release costs no log, a settle writes the account and the
 * journal.  They follow the transactions as the tables do, so a batch
 * whose commit fails undoes its reservations, settles and releases.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <errno.h>
#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "imsg.h"
#include "ipc.h"
#include "ledger.h"
#include "log.h"
#include "money.h"
#include "proc.h"

#define EXPIRE_INTERVAL		5	/* seconds between reservation sweeps */
#define CHECKPOINT_INTERVAL	60	/* seconds between checkpoints */
#define COMMIT_PRIORITY		(PROC_PRIORITIES - 1)
#define BACKUP_CHUNK		(64 * 1024)

/* A reply held until its batch is durable. */
struct reply {
	TAILQ_ENTRY(reply)	 r_entry;
	int			 r_procid;
	int			 r_instance;
	uint32_t		 r_type;
	uint32_t		 r_id;
	int			 r_error;	/* of the request: fixed at commit */
	uint64_t		 r_gen;		/* sent once this sync is done */
	size_t			 r_len;
	unsigned char		*r_data;	/* starts with the reply struct */
};
TAILQ_HEAD(replies, reply);

static int		 ledger_conf(struct imsg *);
static void		 ledger_configured(void);
static const char	*ledger_rwdir(void);
static void		 ledger_sandboxed(void);
static int		 ledger_dispatch(struct peer *, struct imsg *);
static int		 ledger_dispatch_parent(struct peer *, struct imsg *);
static void		 ledger_shutdown(void);
static void		 ledger_state(char *, size_t);
static int		 request(struct peer *, struct imsg *);
static struct ledger_txn *batch_child(void);
static void		 batch_commit(int, short, void *);
static int		 sync_needless(uint32_t);
static void		 batch_flush(void);
static void		 batch_synced(uint64_t);
static void		 reply_send(struct reply *);
static void		 reply_queue(struct peer *, uint32_t, uint32_t, int,
			    const void *, size_t, const void *, size_t);
static void		 reply_error(struct peer *, uint32_t, int);
static void		 expire_timer(int, short, void *);
static void		 checkpoint_timer(int, short, void *);
static void		 ctl_check(struct peer *, uint32_t);
static void		 ctl_backup(struct peer *, uint32_t);
static int		 quote_commit(struct peer *, struct imsg *);
static int		 redeem_commit(struct peer *, struct imsg *);
static int		 wallet_redeem_commit(struct peer *, struct imsg *);
static int		 redeem_account(struct ledger_txn *,
			    const struct ipc_redeem *, struct ipc_ledger_reply *);
static int		 melt_inputs(struct peer *, uint32_t, const char *);
static int		 history(struct peer *, uint32_t, const uint8_t *);
static int		 history_cb(const struct ledger_journal *, void *);
static int		 melt_input_cb(const struct ledger_input *, void *);
static int		 cashout_commit(struct peer *, struct imsg *);
static int		 cashout_record(struct ledger_txn *,
			    const struct ipc_cashout *, uint64_t,
			    struct ledger_refund *);
static int		 keyset_from_ipc(const struct ipc_keyset_rec *,
			    struct ledger_keyset *);
static struct ledger_input *inputs_get(struct imsg *, size_t);
static struct ledger_issued *issued_get(struct imsg *, size_t);
static void		 ctl_mint_show(struct peer *, uint32_t);

static struct ipc_conf_ledger	 conf;
static int			 have_conf;
static struct ledger		*db;
static struct ledger_txn	*batch;		/* open batch, or NULL */
static int			 batch_sync;	/* it moved money: on disk first */
static u_int			 batch_n;	/* requests in it */
static int			 batch_reads;	/* it read balances, history */
static struct replies		 replies = TAILQ_HEAD_INITIALIZER(replies);
static struct replies		 held = TAILQ_HEAD_INITIALIZER(held);
static struct event		 ev_commit, ev_expire, ev_checkpoint;
static uint64_t			 nbatches, nrequests;

static const struct proc_child	 ledger_child = {
	.pc_procid = PROC_LEDGER,
	.pc_conf = ledger_conf,
	.pc_configured = ledger_configured,
	.pc_rwdir = ledger_rwdir,
	.pc_sandboxed = ledger_sandboxed,
	.pc_dispatch = ledger_dispatch,
	.pc_dispatch_parent = ledger_dispatch_parent,
	.pc_shutdown = ledger_shutdown,
	.pc_state = ledger_state,
};

int
main(int argc, char *argv[])
{
	proc_child_main(&ledger_child, argc, argv);
}

static int
ledger_conf(struct imsg *imsg)
{
	switch (imsg_get_type(imsg)) {
	case IMSG_CONF_LEDGER:
		if (have_conf ||
		    imsg_get_data(imsg, &conf, sizeof(conf)) == -1 ||
		    !ipc_str_ok(conf.cl_dbdir, sizeof(conf.cl_dbdir)) ||
		    conf.cl_dbdir[0] != '/')
			return (-1);
		have_conf = 1;
		return (0);
	default:
		return (-1);
	}
}

static void
ledger_configured(void)
{
	if (!have_conf)
		fatalx("no ledger configuration from the parent");
	log_debug("database directory %s", conf.cl_dbdir);
}

static const char *
ledger_rwdir(void)
{
	return (conf.cl_dbdir);
}

/* Inside the sandbox: open the database, recovering it. */
static void
ledger_sandboxed(void)
{
	struct ledger_txn	*txn;
	struct timeval		 tv;
	const char		*home;

	/* Chrooted into the directory, which Berkeley DB calls ".". */
	home = strcmp(conf.cl_dbdir, "/") == 0 ? "." : conf.cl_dbdir;
	if (ledger_open(&db, home, 0) == -1)
		fatalx("cannot open the ledger in %s: restore it from a "
		    "backup (see ledgerd(8))", conf.cl_dbdir);

	/*
	 * No request survives a restart and the reservations are in
	 * memory, but an older ledgerd wrote them: what they held is free
	 * again, and nothing writes them any more.
	 */
	if (ledger_begin(db, NULL, &txn) != LEDGER_OK ||
	    ledger_release_all(txn, NULL) != LEDGER_OK ||
	    ledger_commit(txn) != LEDGER_OK)
		fatalx("cannot release the reservations of the last run");
	ledger_sync_init(db, home, batch_synced);

	event_set(&ev_commit, -1, 0, batch_commit, NULL);
	event_priority_set(&ev_commit, COMMIT_PRIORITY);
	evtimer_set(&ev_expire, expire_timer, NULL);
	tv.tv_sec = EXPIRE_INTERVAL;
	tv.tv_usec = 0;
	evtimer_add(&ev_expire, &tv);
	evtimer_set(&ev_checkpoint, checkpoint_timer, NULL);
	tv.tv_sec = CHECKPOINT_INTERVAL;
	evtimer_add(&ev_checkpoint, &tv);
}

static void
ledger_shutdown(void)
{
	/* What was asked is committed and answered before we go. */
	batch_flush();
	ledger_sync_wait();
	if (db != NULL) {
		(void)ledger_checkpoint(db);
		ledger_close(db);
		db = NULL;
	}
	proc_exit(0);
}

static void
ledger_state(char *buf, size_t len)
{
	(void)snprintf(buf, len, "ready, %llu requests in %llu commits",
	    (unsigned long long)nrequests, (unsigned long long)nbatches);
}

/*
 * The batch.
 */

/*
 * What a batch holds only reservations made or released, and reads,
 * need not reach the disk before the replies: reservations are in
 * memory, written nowhere, and none survives a restart.  A batch with
 * anything else, money above all, is committed durably, and that makes
 * the batches before it durable too.
 */
static int
sync_needless(uint32_t type)
{
	switch (type) {
	case IMSG_LEDGER_RESERVE:
	case IMSG_LEDGER_RELEASE:
	case IMSG_LEDGER_ACCOUNT_GET:
	case IMSG_LEDGER_REFUND_GET:
	case IMSG_LEDGER_HISTORY:
		return (1);
	default:
		return (0);
	}
}

/* A child transaction of the open batch, opening one if needed. */
static struct ledger_txn *
batch_child(void)
{
	struct ledger_txn	*child;

	if (batch == NULL) {
		if (ledger_begin(db, NULL, &batch) != LEDGER_OK)
			fatalx("cannot begin a transaction");
		/* After every channel with something to read. */
		event_active(&ev_commit, 0, 0);
	}
	if (ledger_begin(db, batch, &child) != LEDGER_OK)
		fatalx("cannot begin a child transaction");
	return (child);
}

/* Finish one request's child transaction. */
static int
child_end(struct ledger_txn *child, int error)
{
	if (error != LEDGER_OK) {
		ledger_abort(child);
		return (error);
	}
	return (ledger_commit(child));
}

static void
batch_commit(int fd, short event, void *arg)
{
	batch_flush();
}

/*
 * Commit the batch; its replies go once it is on disk, and so is every
 * batch before it: at once if nothing waits for the disk.
 */
static void
batch_flush(void)
{
	struct ipc_ledger_reply	*lr;
	struct reply		*r;
	uint64_t		 gen;
	int			 error = LEDGER_OK;

	if (batch != NULL) {
		error = ledger_commit_nosync(batch);
		batch = NULL;
		nbatches++;
		if (error != LEDGER_OK)
			log_warnx("commit of a batch failed: %s",
			    ledger_strerror(error));
	}
	/*
	 * Replies of reservations only go at once: they tell of no money
	 * moved, and a crash forgets them anyway.  A read waits for what
	 * it may have seen to be on disk.
	 */
	gen = batch_sync && error == LEDGER_OK ?
	    ledger_sync_request(batch_n <= 1) :
	    batch_reads ? ledger_sync_pending() : 0;
	batch_sync = batch_reads = 0;
	batch_n = 0;
	while ((r = TAILQ_FIRST(&replies)) != NULL) {
		TAILQ_REMOVE(&replies, r, r_entry);
		/* A failed commit undid everything: say so to everyone. */
		if (error != LEDGER_OK && r->r_error == LEDGER_OK) {
			free(r->r_data);
			if ((r->r_data = calloc(1, sizeof(*lr))) == NULL)
				fatal(NULL);
			lr = (struct ipc_ledger_reply *)r->r_data;
			lr->lr_error = error;
			r->r_len = sizeof(*lr);
			r->r_type = IMSG_LEDGER_REPLY;
		}
		if (gen == 0) {
			reply_send(r);
			continue;
		}
		r->r_gen = gen;
		TAILQ_INSERT_TAIL(&held, r, r_entry);
	}
	batch_synced(ledger_sync_durable());
}

/* On disk through gen: the replies that waited for it go. */
static void
batch_synced(uint64_t gen)
{
	struct reply	*r;

	while ((r = TAILQ_FIRST(&held)) != NULL && r->r_gen <= gen) {
		TAILQ_REMOVE(&held, r, r_entry);
		reply_send(r);
	}
}

static void
reply_send(struct reply *r)
{
	struct peer	*p;

	if ((p = peer_find(r->r_procid, r->r_instance)) != NULL)
		peer_compose(p, r->r_type, r->r_id, -1, r->r_data, r->r_len);
	free(r->r_data);
	free(r);
}

static void
reply_queue(struct peer *p, uint32_t type, uint32_t id, int error,
    const void *a, size_t alen, const void *b, size_t blen)
{
	struct reply	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->r_data = malloc(alen + blen)) == NULL)
		fatal(NULL);
	r->r_procid = p->p_procid;
	r->r_instance = p->p_instance;
	r->r_type = type;
	r->r_id = id;
	r->r_error = error;
	memcpy(r->r_data, a, alen);
	if (blen > 0)
		memcpy(r->r_data + alen, b, blen);
	r->r_len = alen + blen;
	TAILQ_INSERT_TAIL(&replies, r, r_entry);
}

static void
reply_error(struct peer *p, uint32_t id, int error)
{
	struct ipc_ledger_reply	 lr;

	memset(&lr, 0, sizeof(lr));
	lr.lr_error = error;
	reply_queue(p, IMSG_LEDGER_REPLY, id, error, &lr, sizeof(lr), NULL, 0);
}

static void
expire_timer(int fd, short event, void *arg)
{
	struct ledger_txn	*child;
	struct timeval		 tv = { EXPIRE_INTERVAL, 0 };
	uint64_t		 n = 0;

	child = batch_child();
	if (child_end(child, ledger_expire(child, time(NULL), &n)) !=
	    LEDGER_OK)
		log_warnx("expiry of reservations failed");
	else if (n > 0)
		log_info("released %llu expired reservations",
		    (unsigned long long)n);
	evtimer_add(&ev_expire, &tv);
}

static void
checkpoint_timer(int fd, short event, void *arg)
{
	struct timeval	 tv = { CHECKPOINT_INTERVAL, 0 };

	batch_flush();
	if (ledger_checkpoint(db) != LEDGER_OK)
		log_warnx("checkpoint failed");
	evtimer_add(&ev_checkpoint, &tv);
}

/*
 * Requests.
 */

static int
ledger_dispatch(struct peer *p, struct imsg *imsg)
{
	if (db == NULL)
		return (-1);
	nrequests++;
	batch_n++;
	return (request(p, imsg));
}

/* The parent's requests that are ours to answer: routstrctl ledger. */
static int
ledger_dispatch_parent(struct peer *p, struct imsg *imsg)
{
	switch (imsg_get_type(imsg)) {
	case IMSG_CTL_LEDGER_CHECK:
		if (imsg_get_len(imsg) != 0)
			return (-1);
		ctl_check(p, imsg_get_id(imsg));
		return (0);
	case IMSG_CTL_LEDGER_BACKUP:
		if (imsg_get_len(imsg) != 0)
			return (-1);
		ctl_backup(p, imsg_get_id(imsg));
		return (0);
	case IMSG_CTL_MINT_SHOW:
		if (imsg_get_len(imsg) != 0)
			return (-1);
		ctl_mint_show(p, imsg_get_id(imsg));
		return (0);
	default:
		return (-1);
	}
}

static int
str_ok(const char *s, size_t len)
{
	return (ipc_str_ok(s, len));
}

static void
account_to_ipc(const struct ledger_account *la, struct ipc_account *a)
{
	memset(a, 0, sizeof(*a));
	memcpy(a->a_key, la->la_key, sizeof(a->a_key));
	a->a_balance = la->la_balance;
	a->a_reserved = la->la_reserved;
	a->a_spent = la->la_spent;
	a->a_requests = la->la_requests;
	a->a_limit = la->la_limit;
	a->a_created = la->la_created;
	a->a_used = la->la_used;
	a->a_expiry = la->la_expiry;
	a->a_flags = la->la_flags;
	memcpy(a->a_unit, la->la_unit, sizeof(a->a_unit));
	memcpy(a->a_mint, la->la_mint, sizeof(a->a_mint));
}

static void
quote_to_ipc(const struct ledger_quote *lq, struct ipc_quote *q)
{
	memset(q, 0, sizeof(*q));
	memcpy(q->q_id, lq->lq_id, sizeof(q->q_id));
	q->q_melt = lq->lq_melt;
	q->q_state = lq->lq_state;
	q->q_amount = lq->lq_amount;
	q->q_fee_reserve = lq->lq_fee_reserve;
	memcpy(q->q_unit, lq->lq_unit, sizeof(q->q_unit));
	q->q_created = lq->lq_created;
	q->q_expiry = lq->lq_expiry;
	memcpy(q->q_payment_hash, lq->lq_payment_hash,
	    sizeof(q->q_payment_hash));
	memcpy(q->q_preimage, lq->lq_preimage, sizeof(q->q_preimage));
	q->q_has_preimage = lq->lq_has_preimage;
	memcpy(q->q_pubkey, lq->lq_pubkey, sizeof(q->q_pubkey));
	memcpy(q->q_request, lq->lq_request, sizeof(q->q_request));
}

static int
quote_from_ipc(const struct ipc_quote *q, struct ledger_quote *lq)
{
	if (!str_ok(q->q_id, sizeof(q->q_id)) || q->q_id[0] == '\0' ||
	    !str_ok(q->q_unit, sizeof(q->q_unit)) ||
	    !str_ok(q->q_pubkey, sizeof(q->q_pubkey)) ||
	    !str_ok(q->q_request, sizeof(q->q_request)) ||
	    (q->q_melt != 0 && q->q_melt != 1) ||
	    q->q_state < LEDGER_QUOTE_UNPAID ||
	    q->q_state > LEDGER_QUOTE_PENDING ||
	    (q->q_has_preimage != 0 && q->q_has_preimage != 1))
		return (-1);
	memset(lq, 0, sizeof(*lq));
	memcpy(lq->lq_id, q->q_id, sizeof(lq->lq_id));
	lq->lq_melt = q->q_melt;
	lq->lq_state = q->q_state;
	lq->lq_amount = q->q_amount;
	lq->lq_fee_reserve = q->q_fee_reserve;
	memcpy(lq->lq_unit, q->q_unit, sizeof(lq->lq_unit));
	lq->lq_created = q->q_created;
	lq->lq_expiry = q->q_expiry;
	memcpy(lq->lq_payment_hash, q->q_payment_hash,
	    sizeof(lq->lq_payment_hash));
	memcpy(lq->lq_preimage, q->q_preimage, sizeof(lq->lq_preimage));
	lq->lq_has_preimage = q->q_has_preimage;
	memcpy(lq->lq_pubkey, q->q_pubkey, sizeof(lq->lq_pubkey));
	memcpy(lq->lq_request, q->q_request, sizeof(lq->lq_request));
	return (0);
}

static void
issued_from_ipc(const struct ipc_issued *i, struct ledger_issued *li)
{
	memset(li, 0, sizeof(*li));
	memcpy(li->li_b, i->i_b, sizeof(li->li_b));
	memcpy(li->li_c, i->i_c, sizeof(li->li_c));
	memcpy(li->li_keyset, i->i_keyset, sizeof(li->li_keyset));
	li->li_keyset_len = i->i_keyset_len;
	li->li_amount = i->i_amount;
	memcpy(li->li_dleq_e, i->i_dleq_e, sizeof(li->li_dleq_e));
	memcpy(li->li_dleq_s, i->i_dleq_s, sizeof(li->li_dleq_s));
	li->li_time = i->i_time;
}

static void
issued_to_ipc(const struct ledger_issued *li, struct ipc_issued *i)
{
	memset(i, 0, sizeof(*i));
	memcpy(i->i_b, li->li_b, sizeof(i->i_b));
	memcpy(i->i_c, li->li_c, sizeof(i->i_c));
	memcpy(i->i_keyset, li->li_keyset, sizeof(i->i_keyset));
	i->i_keyset_len = li->li_keyset_len;
	i->i_amount = li->li_amount;
	memcpy(i->i_dleq_e, li->li_dleq_e, sizeof(i->i_dleq_e));
	memcpy(i->i_dleq_s, li->li_dleq_s, sizeof(i->i_dleq_s));
	i->i_time = li->li_time;
}

static void
proof_key(const struct ipc_proof *pr, struct ledger_proof_key *k)
{
	memcpy(k->lp_mint, pr->p_mint, sizeof(k->lp_mint));
	memcpy(k->lp_keyset, pr->p_keyset, sizeof(k->lp_keyset));
	memcpy(k->lp_id, pr->p_id, sizeof(k->lp_id));
}

struct walk_ctx {
	struct peer	*w_peer;
	uint32_t	 w_id;
};

/* A keyset of a walk goes out with the replies of the batch. */
static int
keyset_walk_cb(const struct ledger_keyset *k, void *arg)
{
	struct walk_ctx		*w = arg;
	struct ipc_keyset_rec	 kr;

	memset(&kr, 0, sizeof(kr));
	memcpy(kr.kr_id, k->lk_id, sizeof(kr.kr_id));
	kr.kr_idlen = k->lk_idlen;
	memcpy(kr.kr_unit, k->lk_unit, sizeof(kr.kr_unit));
	kr.kr_index = k->lk_index;
	kr.kr_version = k->lk_version;
	kr.kr_fee_ppk = k->lk_fee_ppk;
	kr.kr_active = k->lk_active;
	kr.kr_created = k->lk_created;
	reply_queue(w->w_peer, IMSG_LEDGER_KEYSET, w->w_id, LEDGER_OK, &kr,
	    sizeof(kr), NULL, 0);
	return (0);
}

/* A proof of a walk goes out at once: reads need no commit. */
static int
proof_walk_cb(const struct ledger_proof_key *k, const void *blob, size_t len,
    void *arg)
{
	struct walk_ctx		*w = arg;
	struct ipc_proof	 pr;

	memset(&pr, 0, sizeof(pr));
	memcpy(pr.p_mint, k->lp_mint, sizeof(pr.p_mint));
	memcpy(pr.p_keyset, k->lp_keyset, sizeof(pr.p_keyset));
	memcpy(pr.p_id, k->lp_id, sizeof(pr.p_id));
	pr.p_bloblen = len;
	reply_queue(w->w_peer, IMSG_LEDGER_PROOF, w->w_id, LEDGER_OK, &pr,
	    sizeof(pr), blob, len);
	return (0);
}

static int
keyset_from_ipc(const struct ipc_keyset_rec *kr, struct ledger_keyset *lk)
{
	if (kr->kr_idlen == 0 || kr->kr_idlen > IPC_KEYSET_MAX ||
	    !str_ok(kr->kr_unit, sizeof(kr->kr_unit)))
		return (-1);
	memset(lk, 0, sizeof(*lk));
	memcpy(lk->lk_id, kr->kr_id, sizeof(lk->lk_id));
	lk->lk_idlen = kr->kr_idlen;
	memcpy(lk->lk_unit, kr->kr_unit, sizeof(lk->lk_unit));
	lk->lk_index = kr->kr_index;
	lk->lk_version = kr->kr_version;
	lk->lk_fee_ppk = kr->kr_fee_ppk;
	lk->lk_active = kr->kr_active;
	lk->lk_created = kr->kr_created;
	return (0);
}

/* n inputs (struct ipc_input) from the message; NULL if malformed. */
static struct ledger_input *
inputs_get(struct imsg *imsg, size_t n)
{
	struct ledger_input	*in;
	struct ipc_input	 ii;
	size_t			 i;

	if ((in = calloc(n + 1, sizeof(*in))) == NULL)
		fatal(NULL);
	for (i = 0; i < n; i++) {
		if (imsg_get_buf(imsg, &ii, sizeof(ii)) == -1 ||
		    ii.in_keyset_len == 0 ||
		    ii.in_keyset_len > IPC_KEYSET_MAX) {
			free(in);
			return (NULL);
		}
		memcpy(in[i].lin_y, ii.in_y, sizeof(in[i].lin_y));
		memcpy(in[i].lin_keyset, ii.in_keyset, ii.in_keyset_len);
		in[i].lin_keyset_len = ii.in_keyset_len;
		in[i].lin_amount = ii.in_amount;
	}
	return (in);
}

/* n issued outputs (struct ipc_issued); NULL if malformed. */
static struct ledger_issued *
issued_get(struct imsg *imsg, size_t n)
{
	struct ledger_issued	*li;
	struct ipc_issued	 ii;
	size_t			 i;

	if ((li = calloc(n + 1, sizeof(*li))) == NULL)
		fatal(NULL);
	for (i = 0; i < n; i++) {
		if (imsg_get_buf(imsg, &ii, sizeof(ii)) == -1 ||
		    ii.i_keyset_len == 0 || ii.i_keyset_len > IPC_KEYSET_MAX) {
			free(li);
			return (NULL);
		}
		issued_from_ipc(&ii, &li[i]);
	}
	return (li);
}

/*
 * One request: check the sender and every field, run it in a child
 * transaction of the batch, queue its reply.  -1: malformed.
 */
static int
request(struct peer *p, struct imsg *imsg)
{
	struct ipc_ledger_reply	 lr;
	struct ledger_account	 la;
	struct ledger_quote	 lq;
	struct ledger_issued	*li = NULL, one;
	struct ledger_input	*in = NULL;
	struct ledger_refund	*rf = NULL;
	struct ledger_proof_key	 pk;
	struct ledger_txn	*child;
	struct ipc_account	 a;
	struct ipc_key		 k;
	struct ipc_credit	 cr;
	struct ipc_reserve	 rs;
	struct ipc_settle	 st;
	struct ipc_ys		 ys;
	struct ipc_quote	 q;
	struct ipc_quote_ref	 qr;
	struct ipc_proof	 pr;
	struct ipc_counter	 cn;
	struct ipc_refund	 rr;
	struct ipc_issued	 ii;
	struct ipc_keyset_rec	 kr;
	struct ipc_swap_commit	 sc;
	struct ledger_keyset	 lk;
	struct walk_ctx		 w;
	struct ibuf		 ib;
	uint8_t			 hash[32], b[IPC_Y_LEN], *states = NULL;
	uint8_t			 (*yv)[LEDGER_Y_LEN] = NULL;
	uint32_t		 type = imsg_get_type(imsg), id, n;
	size_t			 len = imsg_get_len(imsg);
	int			 error, proxy, mint;

	id = imsg_get_id(imsg);
	proxy = p->p_procid == PROC_PROXY;
	mint = p->p_procid == PROC_MINT;
	memset(&lr, 0, sizeof(lr));
	if (!sync_needless(type))
		batch_sync = 1;
	else if (type != IMSG_LEDGER_RESERVE && type != IMSG_LEDGER_RELEASE)
		batch_reads = 1;

	switch (type) {
	case IMSG_LEDGER_ACCOUNT_CREATE:
		if (!proxy || imsg_get_data(imsg, &a, sizeof(a)) == -1 ||
		    !str_ok(a.a_unit, sizeof(a.a_unit)) ||
		    !str_ok(a.a_mint, sizeof(a.a_mint)))
			return (-1);
		memset(&la, 0, sizeof(la));
		memcpy(la.la_key, a.a_key, sizeof(la.la_key));
		la.la_balance = a.a_balance;
		la.la_limit = a.a_limit;
		la.la_expiry = a.a_expiry;
		memcpy(la.la_unit, a.a_unit, sizeof(la.la_unit));
		memcpy(la.la_mint, a.a_mint, sizeof(la.la_mint));
		child = batch_child();
		error = ledger_account_create(child, &la, a.a_reqid);
		error = child_end(child, error);
		lr.lr_error = error;
		lr.lr_balance = a.a_balance;
		break;
	case IMSG_LEDGER_ACCOUNT_GET:
		if ((!proxy && !mint) ||
		    imsg_get_data(imsg, &k, sizeof(k)) == -1)
			return (-1);
		child = batch_child();
		error = child_end(child, ledger_account_get(child, k.k_key,
		    &la));
		if (error != LEDGER_OK) {
			reply_error(p, id, error);
			return (0);
		}
		account_to_ipc(&la, &a);
		reply_queue(p, IMSG_LEDGER_ACCOUNT, id, LEDGER_OK, &a,
		    sizeof(a), NULL, 0);
		return (0);
	case IMSG_LEDGER_CREDIT:
		if (!proxy || imsg_get_data(imsg, &cr, sizeof(cr)) == -1 ||
		    (cr.c_reason != LEDGER_R_TOPUP &&
		    cr.c_reason != LEDGER_R_ADJUST))
			return (-1);
		child = batch_child();
		error = ledger_account_credit(child, cr.c_key, cr.c_amount,
		    cr.c_reason, cr.c_reqid, &lr.lr_balance);
		lr.lr_error = child_end(child, error);
		lr.lr_amount = cr.c_amount;
		break;
	case IMSG_LEDGER_REFUND:
		if (!proxy || imsg_get_data(imsg, &cr, sizeof(cr)) == -1 ||
		    cr.c_amount != 0 || cr.c_reason != LEDGER_R_REFUND)
			return (-1);
		child = batch_child();
		error = ledger_account_refund(child, cr.c_key, cr.c_reqid,
		    &lr.lr_amount);
		lr.lr_error = child_end(child, error);
		break;
	case IMSG_LEDGER_RESERVE:
		if (!proxy || imsg_get_data(imsg, &rs, sizeof(rs)) == -1)
			return (-1);
		child = batch_child();
		error = ledger_reserve(child, rs.r_key, rs.r_amount,
		    rs.r_deadline, rs.r_reqid, &lr.lr_id);
		if (error == LEDGER_OK &&
		    (error = ledger_account_get(child, rs.r_key, &la)) ==
		    LEDGER_OK) {
			lr.lr_balance = la.la_balance;
			lr.lr_reserved = la.la_reserved;
		} else if (error == LEDGER_INSUFFICIENT &&
		    ledger_account_get(child, rs.r_key, &la) == LEDGER_OK) {
			/* For the 402: what the account can spend. */
			lr.lr_balance = la.la_balance;
			lr.lr_reserved = la.la_reserved;
		}
		lr.lr_error = child_end(child, error);
		lr.lr_amount = rs.r_amount;
		break;
	case IMSG_LEDGER_SETTLE:
	case IMSG_LEDGER_RELEASE:
		if (!proxy || imsg_get_data(imsg, &st, sizeof(st)) == -1)
			return (-1);
		child = batch_child();
		if (type == IMSG_LEDGER_SETTLE) {
			error = ledger_settle(child, st.s_id, st.s_actual,
			    st.s_reqid, &lr.lr_amount, &la);
			if (error == LEDGER_OK) {
				lr.lr_balance = la.la_balance;
				lr.lr_reserved = la.la_reserved;
			}
		} else
			error = ledger_release(child, st.s_id);
		lr.lr_error = child_end(child, error);
		lr.lr_id = st.s_id;
		break;
	case IMSG_LEDGER_YS_PEND:
	case IMSG_LEDGER_YS_SPEND:
		/* Inputs: each Y with its value. */
		if (!mint || len < sizeof(ys) ||
		    imsg_get_buf(imsg, &ys, sizeof(ys)) == -1 ||
		    ys.yh_n == 0 || ys.yh_n > IPC_BATCH_MAX ||
		    len != sizeof(ys) + (size_t)ys.yh_n *
		    sizeof(struct ipc_input) ||
		    !str_ok(ys.yh_quote, sizeof(ys.yh_quote)) ||
		    ys.yh_flags > 1 ||
		    (ys.yh_flags != 0 && type != IMSG_LEDGER_YS_SPEND))
			return (-1);
		n = ys.yh_n;
		if ((in = inputs_get(imsg, n)) == NULL)
			return (-1);
		child = batch_child();
		if (type == IMSG_LEDGER_YS_PEND)
			error = ledger_ys_pend(child, in, n, ys.yh_quote);
		else
			error = ledger_ys_spend(child, in, n, ys.yh_flags);
		reply_error(p, id, child_end(child, error));
		free(in);
		return (0);
	case IMSG_LEDGER_YS_UNPEND:
	case IMSG_LEDGER_YS_STATE:
		if (!mint || len < sizeof(ys) ||
		    imsg_get_buf(imsg, &ys, sizeof(ys)) == -1 ||
		    ys.yh_n == 0 || ys.yh_n > IPC_BATCH_MAX ||
		    len != sizeof(ys) + (size_t)ys.yh_n * IPC_Y_LEN ||
		    !str_ok(ys.yh_quote, sizeof(ys.yh_quote)) ||
		    ys.yh_flags != 0)
			return (-1);
		n = ys.yh_n;
		if ((yv = calloc(n, LEDGER_Y_LEN)) == NULL ||
		    (states = calloc(n, 1)) == NULL)
			fatal(NULL);
		if (imsg_get_buf(imsg, yv, (size_t)n * LEDGER_Y_LEN) == -1) {
			free(yv);
			free(states);
			return (-1);
		}
		child = batch_child();
		if (type == IMSG_LEDGER_YS_UNPEND)
			error = ledger_ys_unpend(child, yv, n);
		else
			error = ledger_ys_state(child, yv, n, states);
		error = child_end(child, error);
		if (type == IMSG_LEDGER_YS_STATE && error == LEDGER_OK)
			reply_queue(p, IMSG_LEDGER_YS_STATES, id, LEDGER_OK,
			    states, n, NULL, 0);
		else
			reply_error(p, id, error);
		free(yv);
		free(states);
		return (0);
	case IMSG_LEDGER_ISSUED_ADD:
		if (!mint || imsg_get_buf(imsg, &n, sizeof(n)) == -1 ||
		    n == 0 || n > IPC_BATCH_MAX ||
		    len != sizeof(n) + (size_t)n * sizeof(ii))
			return (-1);
		if ((li = issued_get(imsg, n)) == NULL)
			return (-1);
		child = batch_child();
		error = child_end(child, ledger_issued_add(child, li, n));
		free(li);
		reply_error(p, id, error);
		return (0);
	case IMSG_LEDGER_ISSUED_GET:
		if (!mint || imsg_get_data(imsg, b, sizeof(b)) == -1)
			return (-1);
		child = batch_child();
		error = child_end(child, ledger_issued_get(child, b, &one));
		if (error != LEDGER_OK) {
			reply_error(p, id, error);
			return (0);
		}
		issued_to_ipc(&one, &ii);
		reply_queue(p, IMSG_LEDGER_ISSUED, id, LEDGER_OK, &ii,
		    sizeof(ii), NULL, 0);
		return (0);
	case IMSG_LEDGER_QUOTE_ADD:
		if (!mint || imsg_get_data(imsg, &q, sizeof(q)) == -1 ||
		    quote_from_ipc(&q, &lq) == -1)
			return (-1);
		child = batch_child();
		error = child_end(child, ledger_quote_add(child, &lq));
		reply_error(p, id, error);
		return (0);
	case IMSG_LEDGER_QUOTE_GET:
	case IMSG_LEDGER_QUOTE_CAS:
		if (!mint || imsg_get_data(imsg, &qr, sizeof(qr)) == -1 ||
		    !str_ok(qr.qr_id, sizeof(qr.qr_id)) ||
		    (qr.qr_melt != 0 && qr.qr_melt != 1) ||
		    (qr.qr_has_preimage != 0 && qr.qr_has_preimage != 1))
			return (-1);
		child = batch_child();
		if (type == IMSG_LEDGER_QUOTE_CAS) {
			error = child_end(child, ledger_quote_cas(child,
			    qr.qr_melt, qr.qr_id, qr.qr_from, qr.qr_to,
			    qr.qr_has_preimage ? qr.qr_preimage : NULL));
			reply_error(p, id, error);
			return (0);
		}
		error = child_end(child, ledger_quote_get(child, qr.qr_melt,
		    qr.qr_id, &lq));
		goto quote_reply;
	case IMSG_LEDGER_QUOTE_BY_HASH:
		if (!mint || imsg_get_data(imsg, hash, sizeof(hash)) == -1)
			return (-1);
		child = batch_child();
		error = child_end(child, ledger_quote_by_hash(child, hash,
		    &lq));
 quote_reply:
		if (error != LEDGER_OK) {
			reply_error(p, id, error);
			return (0);
		}
		quote_to_ipc(&lq, &q);
		reply_queue(p, IMSG_LEDGER_QUOTE, id, LEDGER_OK, &q, sizeof(q),
		    NULL, 0);
		return (0);
	case IMSG_LEDGER_PROOF_PUT:
	case IMSG_LEDGER_PROOF_DEL:
	case IMSG_LEDGER_PROOF_WALK:
		if (!mint || imsg_get_buf(imsg, &pr, sizeof(pr)) == -1 ||
		    (type == IMSG_LEDGER_PROOF_PUT ?
		    (pr.p_bloblen == 0 || pr.p_bloblen > IPC_BLOB_MAX) :
		    pr.p_bloblen != 0) ||
		    len != sizeof(pr) + pr.p_bloblen ||
		    (pr.p_any_keyset != 0 && pr.p_any_keyset != 1))
			return (-1);
		proof_key(&pr, &pk);
		child = batch_child();
		if (type == IMSG_LEDGER_PROOF_PUT) {
			if (imsg_get_ibuf(imsg, &ib) == -1) {
				ledger_abort(child);
				return (-1);
			}
			error = ledger_proof_put(child, &pk, ibuf_data(&ib),
			    ibuf_size(&ib));
		} else if (type == IMSG_LEDGER_PROOF_DEL)
			error = ledger_proof_del(child, &pk);
		else {
			w.w_peer = p;
			w.w_id = id;
			error = ledger_proof_walk(child, pk.lp_mint,
			    pr.p_any_keyset ? NULL : pk.lp_keyset,
			    proof_walk_cb, &w);
		}
		reply_error(p, id, child_end(child, error));
		return (0);
	case IMSG_LEDGER_COUNTER:
		if (!mint || imsg_get_data(imsg, &cn, sizeof(cn)) == -1 ||
		    cn.c_keyset_len == 0 || cn.c_keyset_len > IPC_KEYSET_MAX ||
		    cn.c_n == 0)
			return (-1);
		child = batch_child();
		error = ledger_counter_advance(child, cn.c_keyset,
		    cn.c_keyset_len, cn.c_n, &lr.lr_id);
		lr.lr_error = child_end(child, error);
		lr.lr_amount = cn.c_n;
		break;
	case IMSG_LEDGER_REFUND_ADD:
	case IMSG_LEDGER_REFUND_CAS:
		/* The proxy only marks a change token handed out. */
		if ((!mint && !(proxy && type == IMSG_LEDGER_REFUND_CAS)) ||
		    imsg_get_buf(imsg, &rr, sizeof(rr)) == -1 ||
		    (proxy && (rr.rf_bloblen != 0 ||
		    rr.rf_from != LEDGER_REFUND_READY ||
		    rr.rf_state != LEDGER_REFUND_TAKEN)) ||
		    rr.rf_bloblen > IPC_BLOB_MAX ||
		    len != sizeof(rr) + rr.rf_bloblen ||
		    rr.rf_state < LEDGER_REFUND_INFLIGHT ||
		    rr.rf_state > LEDGER_REFUND_NONE)
			return (-1);
		if ((rf = calloc(1, sizeof(*rf))) == NULL)
			fatal(NULL);
		if (rr.rf_bloblen > 0 &&
		    imsg_get_buf(imsg, rf->lr_blob, rr.rf_bloblen) == -1) {
			freezero(rf, sizeof(*rf));
			return (-1);
		}
		child = batch_child();
		if (type == IMSG_LEDGER_REFUND_ADD) {
			memcpy(rf->lr_token, rr.rf_token, sizeof(rf->lr_token));
			rf->lr_state = rr.rf_state;
			rf->lr_paid = rr.rf_paid;
			rf->lr_refund = rr.rf_refund;
			rf->lr_time = rr.rf_time;
			memcpy(rf->lr_reqid, rr.rf_reqid, sizeof(rf->lr_reqid));
			rf->lr_bloblen = rr.rf_bloblen;
			error = ledger_refund_add(child, rf);
		} else
			error = ledger_refund_cas(child, rr.rf_token,
			    rr.rf_from, rr.rf_state,
			    rr.rf_bloblen > 0 ? rf->lr_blob : NULL,
			    rr.rf_bloblen);
		freezero(rf, sizeof(*rf));
		reply_error(p, id, child_end(child, error));
		return (0);
	case IMSG_LEDGER_REFUND_GET:
		if ((!mint && !proxy) ||
		    imsg_get_data(imsg, &k, sizeof(k)) == -1)
			return (-1);
		if ((rf = calloc(1, sizeof(*rf))) == NULL)
			fatal(NULL);
		child = batch_child();
		error = child_end(child, ledger_refund_get(child, k.k_key, rf));
		if (error != LEDGER_OK)
			reply_error(p, id, error);
		else {
			memset(&rr, 0, sizeof(rr));
			memcpy(rr.rf_token, rf->lr_token, sizeof(rr.rf_token));
			rr.rf_state = rf->lr_state;
			rr.rf_paid = rf->lr_paid;
			rr.rf_refund = rf->lr_refund;
			rr.rf_time = rf->lr_time;
			memcpy(rr.rf_reqid, rf->lr_reqid, sizeof(rr.rf_reqid));
			rr.rf_bloblen = rf->lr_bloblen;
			reply_queue(p, IMSG_LEDGER_REFUND_RECORD, id, LEDGER_OK,
			    &rr, sizeof(rr), rf->lr_blob, rf->lr_bloblen);
		}
		freezero(rf, sizeof(*rf));
		return (0);
	case IMSG_LEDGER_KEYSET_PUT:
		if (!mint || imsg_get_data(imsg, &kr, sizeof(kr)) == -1 ||
		    keyset_from_ipc(&kr, &lk) == -1)
			return (-1);
		child = batch_child();
		reply_error(p, id, child_end(child, ledger_keyset_put(child,
		    &lk)));
		return (0);
	case IMSG_LEDGER_SWAP:
		/* The inputs spent and the outputs signed, or neither. */
		if (!mint || imsg_get_buf(imsg, &sc, sizeof(sc)) == -1 ||
		    sc.sc_nys == 0 || sc.sc_nys > IPC_BATCH_MAX ||
		    sc.sc_nissued > IPC_BATCH_MAX ||
		    len != sizeof(sc) + (size_t)sc.sc_nys *
		    sizeof(struct ipc_input) +
		    (size_t)sc.sc_nissued * sizeof(ii))
			return (-1);
		if ((in = inputs_get(imsg, sc.sc_nys)) == NULL)
			return (-1);
		if ((li = issued_get(imsg, sc.sc_nissued)) == NULL) {
			free(in);
			return (-1);
		}
		child = batch_child();
		error = ledger_ys_spend(child, in, sc.sc_nys, 0);
		if (error == LEDGER_OK && sc.sc_nissued > 0)
			error = ledger_issued_add(child, li, sc.sc_nissued);
		reply_error(p, id, child_end(child, error));
		free(in);
		free(li);
		return (0);
	case IMSG_LEDGER_MINT_ISSUE:
	case IMSG_LEDGER_MELT_BEGIN:
	case IMSG_LEDGER_MELT_FINISH:
	case IMSG_LEDGER_MELT_ABORT:
		return (quote_commit(p, imsg));
	case IMSG_LEDGER_HISTORY:
		if (!proxy || imsg_get_data(imsg, &k, sizeof(k)) == -1)
			return (-1);
		return (history(p, id, k.k_key));
	case IMSG_LEDGER_MELT_INPUTS:
		if (!mint || imsg_get_data(imsg, &qr, sizeof(qr)) == -1 ||
		    !str_ok(qr.qr_id, sizeof(qr.qr_id)) || qr.qr_id[0] == '\0')
			return (-1);
		return (melt_inputs(p, id, qr.qr_id));
	case IMSG_LEDGER_REDEEM:
		return (redeem_commit(p, imsg));
	case IMSG_LEDGER_WALLET_REDEEM:
		return (wallet_redeem_commit(p, imsg));
	case IMSG_LEDGER_CASHOUT:
		return (cashout_commit(p, imsg));
	case IMSG_LEDGER_KEYSET_ROTATE:
		if (!mint || imsg_get_data(imsg, &kr, sizeof(kr)) == -1 ||
		    keyset_from_ipc(&kr, &lk) == -1)
			return (-1);
		child = batch_child();
		reply_error(p, id, child_end(child, ledger_keyset_rotate(child,
		    &lk)));
		return (0);
	case IMSG_LEDGER_KEYSET_WALK:
		if (!mint || len != 0)
			return (-1);
		w.w_peer = p;
		w.w_id = id;
		child = batch_child();
		reply_error(p, id, child_end(child, ledger_keyset_walk(child,
		    keyset_walk_cb, &w)));
		return (0);
	default:
		return (-1);
	}
	reply_queue(p, IMSG_LEDGER_REPLY, id, lr.lr_error, &lr, sizeof(lr),
	    NULL, 0);
	return (0);
}

/* The newest IPC_HISTORY_MAX entries of a journal, in a ring. */
struct history_ctx {
	struct ipc_journal	*hc_ring;
	uint64_t		 hc_n;
};

static int
history_cb(const struct ledger_journal *lj, void *arg)
{
	struct history_ctx	*hc = arg;
	struct ipc_journal	*j;

	j = &hc->hc_ring[hc->hc_n++ % IPC_HISTORY_MAX];
	memset(j, 0, sizeof(*j));
	j->j_seq = lj->lj_seq;
	j->j_time = lj->lj_time;
	j->j_reason = lj->lj_reason;
	j->j_credit = lj->lj_credit;
	j->j_amount = lj->lj_amount;
	j->j_balance = lj->lj_balance;
	memcpy(j->j_reqid, lj->lj_reqid, sizeof(j->j_reqid));
	return (0);
}

/* An account's journal, newest last, for GET /v1/balance/history. */
static int
history(struct peer *p, uint32_t id, const uint8_t *key)
{
	struct history_ctx	 hc;
	struct ipc_journal	*out;
	struct ledger_txn	*child;
	uint32_t		 n, i, first;
	int			 error;

	memset(&hc, 0, sizeof(hc));
	if ((hc.hc_ring = calloc(IPC_HISTORY_MAX, sizeof(*hc.hc_ring))) ==
	    NULL || (out = calloc(IPC_HISTORY_MAX, sizeof(*out))) == NULL)
		fatal(NULL);
	child = batch_child();
	error = ledger_journal_walk(child, key, history_cb, &hc);
	if (error == LEDGER_NOTFOUND)
		error = LEDGER_OK;
	error = child_end(child, error);
	if (error == LEDGER_OK) {
		n = hc.hc_n < IPC_HISTORY_MAX ? hc.hc_n : IPC_HISTORY_MAX;
		first = hc.hc_n < IPC_HISTORY_MAX ? 0 :
		    hc.hc_n % IPC_HISTORY_MAX;
		for (i = 0; i < n; i++)
			out[i] = hc.hc_ring[(first + i) % IPC_HISTORY_MAX];
		reply_queue(p, IMSG_LEDGER_JOURNAL, id, LEDGER_OK, &n,
		    sizeof(n), out, n * sizeof(*out));
	} else
		reply_error(p, id, error);
	free(hc.hc_ring);
	free(out);
	return (0);
}

struct inputs_ctx {
	struct ipc_input	*ic_in;
	uint32_t		 ic_n;
	int			 ic_full;
};

static int
melt_input_cb(const struct ledger_input *li, void *arg)
{
	struct inputs_ctx	*ic = arg;
	struct ipc_input	*in;

	if (ic->ic_n == IPC_INPUTS_MAX) {
		ic->ic_full = 1;
		return (1);
	}
	in = &ic->ic_in[ic->ic_n++];
	memset(in, 0, sizeof(*in));
	memcpy(in->in_y, li->lin_y, sizeof(in->in_y));
	memcpy(in->in_keyset, li->lin_keyset, sizeof(in->in_keyset));
	in->in_keyset_len = li->lin_keyset_len;
	in->in_amount = li->lin_amount;
	return (0);
}

/* The pending inputs of a melt quote, for mintd to finish it. */
static int
melt_inputs(struct peer *p, uint32_t id, const char *quote)
{
	struct inputs_ctx	 ic;
	struct ledger_txn	*child;
	int			 error;

	memset(&ic, 0, sizeof(ic));
	if ((ic.ic_in = calloc(IPC_INPUTS_MAX, sizeof(*ic.ic_in))) == NULL)
		fatal(NULL);
	child = batch_child();
	error = ledger_ys_pending_walk(child, quote, melt_input_cb, &ic);
	if (error == LEDGER_OK && ic.ic_full)
		error = LEDGER_INVALID;
	error = child_end(child, error);
	if (error == LEDGER_OK)
		reply_queue(p, IMSG_LEDGER_INPUTS, id, LEDGER_OK, &ic.ic_n,
		    sizeof(ic.ic_n), ic.ic_in, ic.ic_n * sizeof(*ic.ic_in));
	else
		reply_error(p, id, error);
	free(ic.ic_in);
	return (0);
}

/*
 * A token of our own mint paid into an account: its proofs spent and
 * the account created or credited, in one transaction, so that ecash is
 * never taken without the credit or credited twice.
 */
static int
redeem_commit(struct peer *p, struct imsg *imsg)
{
	struct ipc_redeem	 rd;
	struct ipc_ledger_reply	 lr;
	struct ledger_input	*in;
	struct ledger_account	 la;
	struct ledger_txn	*child;
	size_t			 len = imsg_get_len(imsg);
	int			 error;

	if (p->p_procid != PROC_MINT ||
	    imsg_get_buf(imsg, &rd, sizeof(rd)) == -1 ||
	    rd.rd_nys == 0 || rd.rd_nys > IPC_BATCH_MAX ||
	    len != sizeof(rd) + (size_t)rd.rd_nys * sizeof(struct ipc_input) ||
	    rd.rd_amount == 0 ||
	    rd.rd_mode < REDEEM_CREATE || rd.rd_mode > REDEEM_ANY ||
	    (rd.rd_has_record != 0 && rd.rd_has_record != 1) ||
	    !str_ok(rd.rd_unit, sizeof(rd.rd_unit)) ||
	    !str_ok(rd.rd_mint, sizeof(rd.rd_mint)))
		return (-1);
	if ((in = inputs_get(imsg, rd.rd_nys)) == NULL)
		return (-1);

	memset(&lr, 0, sizeof(lr));
	child = batch_child();
	error = ledger_account_get(child, rd.rd_key, &la);
	if (error == LEDGER_OK && rd.rd_mode != REDEEM_CREDIT)
		error = LEDGER_EXISTS;
	else if (error == LEDGER_NOTFOUND && rd.rd_mode != REDEEM_CREDIT)
		error = LEDGER_OK;
	if (error == LEDGER_OK)
		error = ledger_ys_spend(child, in, rd.rd_nys, 0);
	if (error == LEDGER_OK)
		error = redeem_account(child, &rd, &lr);
	lr.lr_error = child_end(child, error);
	lr.lr_amount = rd.rd_amount;
	free(in);
	reply_queue(p, IMSG_LEDGER_REPLY, imsg_get_id(imsg), lr.lr_error,
	    &lr, sizeof(lr), NULL, 0);
	return (0);
}

/*
 * The account of a redemption created (REDEEM_CREATE, REDEEM_ANY) or
 * credited (REDEEM_CREDIT), and the X-Cashu refund record opened.
 */
static int
redeem_account(struct ledger_txn *child, const struct ipc_redeem *rd,
    struct ipc_ledger_reply *lr)
{
	struct ledger_account	 la;
	struct ledger_refund	*rf;
	int			 error, create = 0;

	error = ledger_account_get(child, rd->rd_key, &la);
	if (error == LEDGER_OK && rd->rd_mode != REDEEM_CREDIT)
		return (LEDGER_EXISTS);
	if (error == LEDGER_NOTFOUND && rd->rd_mode != REDEEM_CREDIT) {
		error = LEDGER_OK;
		create = 1;
	}
	if (error != LEDGER_OK)
		return (error);
	if (create) {
		memset(&la, 0, sizeof(la));
		memcpy(la.la_key, rd->rd_key, sizeof(la.la_key));
		la.la_balance = rd->rd_amount;
		la.la_limit = rd->rd_limit;
		la.la_expiry = rd->rd_expiry;
		memcpy(la.la_unit, rd->rd_unit, sizeof(la.la_unit));
		memcpy(la.la_mint, rd->rd_mint, sizeof(la.la_mint));
		error = ledger_account_create(child, &la, rd->rd_reqid);
		lr->lr_balance = rd->rd_amount;
	} else
		error = ledger_account_credit(child, rd->rd_key, rd->rd_amount,
		    LEDGER_R_TOPUP, rd->rd_reqid, &lr->lr_balance);
	if (error == LEDGER_OK && rd->rd_has_record) {
		if ((rf = calloc(1, sizeof(*rf))) == NULL)
			fatal(NULL);
		memcpy(rf->lr_token, rd->rd_record, sizeof(rf->lr_token));
		rf->lr_state = LEDGER_REFUND_INFLIGHT;
		rf->lr_paid = rd->rd_amount;
		rf->lr_time = time(NULL);
		memcpy(rf->lr_reqid, rd->rd_reqid, sizeof(rf->lr_reqid));
		error = ledger_refund_add(child, rf);
		free(rf);
	}
	return (error);
}

/*
 * A token of another mint, swapped there by mintd for proofs of the
 * node's wallet: the new proofs (blobs that mintd encrypted) stored and
 * the account created or credited, in one transaction.  The swap has
 * happened: the proofs are the node's whatever becomes of the account,
 * so when the account cannot take them (it exists already, or is
 * closed) they are stored alone and the error is the reply.
 */
static int
wallet_redeem_commit(struct peer *p, struct imsg *imsg)
{
	struct ipc_redeem	 rd;
	struct ipc_ledger_reply	 lr;
	struct ipc_proof	 pr;
	struct ledger_proof_key	*keys;
	struct ledger_txn	*child;
	unsigned char		**blobs;
	size_t			*lens;
	uint32_t		 i, n = 0;
	int			 error, aerror;

	if (p->p_procid != PROC_MINT ||
	    imsg_get_buf(imsg, &rd, sizeof(rd)) == -1 ||
	    rd.rd_nys == 0 || rd.rd_nys > IPC_BATCH_MAX ||
	    rd.rd_amount == 0 ||
	    rd.rd_mode < REDEEM_CREATE || rd.rd_mode > REDEEM_ANY ||
	    (rd.rd_has_record != 0 && rd.rd_has_record != 1) ||
	    !str_ok(rd.rd_unit, sizeof(rd.rd_unit)) ||
	    !str_ok(rd.rd_mint, sizeof(rd.rd_mint)))
		return (-1);
	if ((keys = calloc(rd.rd_nys, sizeof(*keys))) == NULL ||
	    (blobs = calloc(rd.rd_nys, sizeof(*blobs))) == NULL ||
	    (lens = calloc(rd.rd_nys, sizeof(*lens))) == NULL)
		fatal(NULL);
	error = LEDGER_OK;
	for (n = 0; n < rd.rd_nys; n++) {
		if (imsg_get_buf(imsg, &pr, sizeof(pr)) == -1 ||
		    pr.p_bloblen == 0 || pr.p_bloblen > IPC_BLOB_MAX ||
		    pr.p_any_keyset != 0 ||
		    (blobs[n] = malloc(pr.p_bloblen)) == NULL ||
		    imsg_get_buf(imsg, blobs[n], pr.p_bloblen) == -1) {
			error = -1;
			break;
		}
		proof_key(&pr, &keys[n]);
		lens[n] = pr.p_bloblen;
	}
	if (error == LEDGER_OK && imsg_get_len(imsg) != 0)
		error = -1;
	if (error == -1)
		goto done;

	memset(&lr, 0, sizeof(lr));
	child = batch_child();
	for (i = 0; i < n && error == LEDGER_OK; i++)
		error = ledger_proof_put(child, &keys[i], blobs[i], lens[i]);
	aerror = LEDGER_OK;
	if (error == LEDGER_OK && (aerror = redeem_account(child, &rd,
	    &lr)) != LEDGER_OK) {
		/* Keep the money: the proofs alone, in a transaction anew. */
		ledger_abort(child);
		log_warnx("a foreign token was swapped but its account "
		    "refused it (%s): its proofs are kept by the node",
		    ledger_strerror(aerror));
		memset(&lr, 0, sizeof(lr));
		child = batch_child();
		for (i = 0; i < n && error == LEDGER_OK; i++)
			error = ledger_proof_put(child, &keys[i], blobs[i],
			    lens[i]);
	}
	error = child_end(child, error);
	lr.lr_error = error != LEDGER_OK ? error : aerror;
	lr.lr_amount = rd.rd_amount;
	reply_queue(p, IMSG_LEDGER_REPLY, imsg_get_id(imsg), lr.lr_error,
	    &lr, sizeof(lr), NULL, 0);
	error = 0;
 done:
	for (i = 0; i < rd.rd_nys; i++)
		if (blobs[i] != NULL)
			free(blobs[i]);
	free(blobs);
	free(lens);
	free(keys);
	return (error == -1 ? -1 : 0);
}

/*
 * An account's balance paid out as a token of our own mint: the account
 * refunded and closed, the token's outputs recorded as issued and the
 * token kept for whoever asks again, in one transaction.  The outputs
 * may not be worth more than the balance.
 */
static int
cashout_commit(struct peer *p, struct imsg *imsg)
{
	struct ipc_cashout	 co;
	struct ipc_ledger_reply	 lr;
	struct ledger_issued	*li = NULL;
	struct ledger_account	 la;
	struct ledger_refund	*rf;
	struct ledger_txn	*child;
	uint64_t		 value = 0, msat;
	size_t			 len = imsg_get_len(imsg), i;
	int			 error;

	if (p->p_procid != PROC_MINT ||
	    imsg_get_buf(imsg, &co, sizeof(co)) == -1 ||
	    co.co_nissued > IPC_BATCH_MAX || co.co_bloblen > IPC_BLOB_MAX ||
	    (co.co_nissued == 0) != (co.co_bloblen == 0) ||
	    len != sizeof(co) + (size_t)co.co_nissued *
	    sizeof(struct ipc_issued) + co.co_bloblen)
		return (-1);
	if (co.co_nissued > 0 &&
	    (li = issued_get(imsg, co.co_nissued)) == NULL)
		return (-1);
	if ((rf = calloc(1, sizeof(*rf))) == NULL)
		fatal(NULL);
	if (co.co_bloblen > 0 &&
	    imsg_get_buf(imsg, rf->lr_blob, co.co_bloblen) == -1) {
		free(li);
		freezero(rf, sizeof(*rf));
		return (-1);
	}
	rf->lr_bloblen = co.co_bloblen;
	for (i = 0; i < co.co_nissued; i++)
		if (money_add(&value, value, li[i].li_amount) == -1) {
			free(li);
			freezero(rf, sizeof(*rf));
			return (-1);
		}
	/* Outputs are in sats; never more than the balance taken. */
	if (money_mul(&msat, value, MSAT_PER_SAT) == -1 ||
	    msat > co.co_expect) {
		log_warnx("cashout: outputs worth more than the balance");
		free(li);
		freezero(rf, sizeof(*rf));
		return (-1);
	}

	memset(&lr, 0, sizeof(lr));
	child = batch_child();
	error = ledger_account_get(child, co.co_key, &la);
	if (error == LEDGER_OK && (la.la_flags & LEDGER_ACCOUNT_CLOSED))
		error = LEDGER_CLOSED;
	else if (error == LEDGER_OK && la.la_balance != co.co_expect)
		error = LEDGER_STATE;
	if (error == LEDGER_OK)
		error = ledger_account_refund(child, co.co_key, co.co_reqid,
		    &lr.lr_amount);
	if (error == LEDGER_OK && co.co_nissued > 0)
		error = ledger_issued_add(child, li, co.co_nissued);
	if (error == LEDGER_OK)
		error = cashout_record(child, &co, lr.lr_amount, rf);
	lr.lr_error = child_end(child, error);
	free(li);
	freezero(rf, sizeof(*rf));
	reply_queue(p, IMSG_LEDGER_REPLY, imsg_get_id(imsg), lr.lr_error,
	    &lr, sizeof(lr), NULL, 0);
	return (0);
}

/* The refund record of a cashout: new, or the INFLIGHT one of X-Cashu. */
static int
cashout_record(struct ledger_txn *child, const struct ipc_cashout *co,
    uint64_t taken, struct ledger_refund *rf)
{
	struct ledger_refund	*old;
	uint32_t		 state;
	int			 error;

	state = rf->lr_bloblen > 0 ? LEDGER_REFUND_READY :
	    LEDGER_REFUND_NONE;
	if ((old = calloc(1, sizeof(*old))) == NULL)
		fatal(NULL);
	error = ledger_refund_get(child, co->co_record, old);
	freezero(old, sizeof(*old));
	if (error == LEDGER_OK)
		return (ledger_refund_cas(child, co->co_record,
		    LEDGER_REFUND_INFLIGHT, state,
		    rf->lr_bloblen > 0 ? rf->lr_blob : NULL, rf->lr_bloblen));
	if (error != LEDGER_NOTFOUND)
		return (error);
	memcpy(rf->lr_token, co->co_record, sizeof(rf->lr_token));
	rf->lr_state = state;
	rf->lr_paid = co->co_paid;
	rf->lr_refund = taken;
	rf->lr_time = time(NULL);
	memcpy(rf->lr_reqid, co->co_reqid, sizeof(rf->lr_reqid));
	return (ledger_refund_add(child, rf));
}

/*
 * A quote's transition and what goes with it, in one transaction: the
 * outputs of a mint; the inputs of a melt going pending, then spent with
 * its change recorded, or back to unspent.
 */
static int
quote_commit(struct peer *p, struct imsg *imsg)
{
	struct ipc_quote_commit	 qc;
	struct ledger_issued	*li = NULL;
	struct ledger_input	*in = NULL;
	struct ledger_txn	*child;
	uint8_t			(*yv)[LEDGER_Y_LEN] = NULL;
	uint32_t		 type = imsg_get_type(imsg);
	size_t			 len = imsg_get_len(imsg), ylen;
	int			 error = 0, melt = type != IMSG_LEDGER_MINT_ISSUE;

	/* An abort only releases: its Ys need no value. */
	ylen = type == IMSG_LEDGER_MELT_ABORT ? IPC_Y_LEN :
	    sizeof(struct ipc_input);
	if (p->p_procid != PROC_MINT ||
	    imsg_get_buf(imsg, &qc, sizeof(qc)) == -1 ||
	    !ipc_str_ok(qc.qc_quote, sizeof(qc.qc_quote)) ||
	    qc.qc_quote[0] == '\0' || qc.qc_nys > IPC_BATCH_MAX ||
	    qc.qc_nissued > IPC_BATCH_MAX ||
	    (qc.qc_has_preimage != 0 && qc.qc_has_preimage != 1) ||
	    len != sizeof(qc) + (size_t)qc.qc_nys * ylen +
	    (size_t)qc.qc_nissued * sizeof(struct ipc_issued))
		return (-1);
	/* Each transition carries exactly what it needs. */
	switch (type) {
	case IMSG_LEDGER_MINT_ISSUE:
		if (qc.qc_nys != 0 || qc.qc_nissued == 0 || qc.qc_has_preimage)
			return (-1);
		break;
	case IMSG_LEDGER_MELT_BEGIN:
	case IMSG_LEDGER_MELT_ABORT:
		if (qc.qc_nys == 0 || qc.qc_nissued != 0 || qc.qc_has_preimage)
			return (-1);
		break;
	case IMSG_LEDGER_MELT_FINISH:
		if (qc.qc_nys == 0)
			return (-1);
		break;
	}
	if (type == IMSG_LEDGER_MELT_ABORT) {
		if ((yv = calloc(qc.qc_nys, LEDGER_Y_LEN)) == NULL)
			fatal(NULL);
		if (imsg_get_buf(imsg, yv, (size_t)qc.qc_nys * LEDGER_Y_LEN) ==
		    -1)
			error = -1;
	} else if (qc.qc_nys > 0 && (in = inputs_get(imsg, qc.qc_nys)) ==
	    NULL)
		error = -1;
	if (error == 0 && (li = issued_get(imsg, qc.qc_nissued)) == NULL)
		error = -1;
	if (error == -1) {
		free(yv);
		free(in);
		return (-1);
	}

	child = batch_child();
	switch (type) {
	case IMSG_LEDGER_MINT_ISSUE:
		error = ledger_quote_cas(child, 0, qc.qc_quote,
		    LEDGER_QUOTE_PAID, LEDGER_QUOTE_ISSUED, NULL);
		if (error == LEDGER_OK)
			error = ledger_issued_add(child, li, qc.qc_nissued);
		break;
	case IMSG_LEDGER_MELT_BEGIN:
		error = ledger_quote_cas(child, melt, qc.qc_quote,
		    LEDGER_QUOTE_UNPAID, LEDGER_QUOTE_PENDING, NULL);
		if (error == LEDGER_OK)
			error = ledger_ys_pend(child, in, qc.qc_nys,
			    qc.qc_quote);
		break;
	case IMSG_LEDGER_MELT_FINISH:
		error = ledger_quote_cas(child, melt, qc.qc_quote,
		    LEDGER_QUOTE_PENDING, LEDGER_QUOTE_PAID,
		    qc.qc_has_preimage ? qc.qc_preimage : NULL);
		if (error == LEDGER_OK)
			error = ledger_ys_spend(child, in, qc.qc_nys, 1);
		if (error == LEDGER_OK && qc.qc_nissued > 0)
			error = ledger_issued_add(child, li, qc.qc_nissued);
		break;
	case IMSG_LEDGER_MELT_ABORT:
		error = ledger_quote_cas(child, melt, qc.qc_quote,
		    LEDGER_QUOTE_PENDING, LEDGER_QUOTE_UNPAID, NULL);
		if (error == LEDGER_OK)
			error = ledger_ys_unpend(child, yv, qc.qc_nys);
		break;
	}
	reply_error(p, imsg_get_id(imsg), child_end(child, error));
	free(yv);
	free(in);
	free(li);
	return (0);
}

/*
 * routstrctl ledger check: the audit, its problems line by line, then
 * the report.  It reads everything: the open batch is committed first.
 */
struct check_ctx {
	struct peer	*c_peer;
	uint32_t	 c_id;
};

static void
problem_cb(const char *line, void *arg)
{
	struct check_ctx	*c = arg;

	peer_compose(c->c_peer, IMSG_CTL_LEDGER_PROBLEM, c->c_id, -1, line,
	    strlen(line) + 1);
}

static void
ctl_check(struct peer *p, uint32_t id)
{
	struct ledger_report	 lr;
	struct ipc_ledger_report rp;
	struct check_ctx	 c = { p, id };
	size_t			 i;

	batch_flush();
	if (ledger_check(db, &lr, problem_cb, &c) != LEDGER_OK) {
		const char	 msg[] = "the audit could not read the ledger";

		peer_compose(p, IMSG_CTL_FAIL, id, -1, msg, sizeof(msg));
		return;
	}
	memset(&rp, 0, sizeof(rp));
	rp.rp_accounts = lr.lr_accounts;
	rp.rp_reservations = lr.lr_reservations;
	rp.rp_journal = lr.lr_journal;
	rp.rp_spent = lr.lr_spent;
	rp.rp_pending = lr.lr_pending;
	rp.rp_issued = lr.lr_issued;
	rp.rp_problems = lr.lr_problems;
	rp.rp_ntotals = lr.lr_ntotals;
	for (i = 0; i < lr.lr_ntotals && i < 32; i++) {
		memcpy(rp.rp_totals[i].t_mint, lr.lr_totals[i].lt_mint,
		    sizeof(rp.rp_totals[i].t_mint));
		memcpy(rp.rp_totals[i].t_unit, lr.lr_totals[i].lt_unit,
		    sizeof(rp.rp_totals[i].t_unit));
		rp.rp_totals[i].t_balance = lr.lr_totals[i].lt_balance;
		rp.rp_totals[i].t_reserved = lr.lr_totals[i].lt_reserved;
		rp.rp_totals[i].t_accounts = lr.lr_totals[i].lt_accounts;
	}
	peer_compose(p, IMSG_CTL_LEDGER_REPORT, id, -1, &rp, sizeof(rp));
	peer_compose(p, IMSG_CTL_END, id, -1, NULL, 0);
}

/*
 * routstrctl mint show: each keyset of the registry with its totals,
 * read in one transaction so that they are of one moment, by unit and
 * index (oldest first).
 */
struct show_ctx {
	struct ledger_txn	*s_txn;
	struct ipc_keyset_total	*s_it;
	size_t			 s_n, s_size;
	int			 s_error;
};

static int
show_keyset_cb(const struct ledger_keyset *k, void *arg)
{
	struct show_ctx			*sc = arg;
	struct ledger_keyset_total	 kt;
	struct ipc_keyset_total		*it;

	if ((sc->s_error = ledger_keyset_total_get(sc->s_txn, k->lk_id,
	    k->lk_idlen, &kt)) != LEDGER_OK)
		return (-1);
	if (sc->s_n == sc->s_size) {
		if ((it = recallocarray(sc->s_it, sc->s_size,
		    sc->s_size + 16, sizeof(*it))) == NULL)
			fatal(NULL);
		sc->s_it = it;
		sc->s_size += 16;
	}
	it = &sc->s_it[sc->s_n++];
	memcpy(it->it_id, k->lk_id, sizeof(it->it_id));
	it->it_idlen = k->lk_idlen;
	memcpy(it->it_unit, k->lk_unit, sizeof(it->it_unit));
	it->it_index = k->lk_index;
	it->it_fee_ppk = k->lk_fee_ppk;
	it->it_active = k->lk_active;
	it->it_created = k->lk_created;
	it->it_issued = kt.kt_issued;
	it->it_redeemed = kt.kt_redeemed;
	it->it_nissued = kt.kt_nissued;
	it->it_nredeemed = kt.kt_nredeemed;
	return (0);
}

static int
show_cmp(const void *a, const void *b)
{
	const struct ipc_keyset_total	*x = a, *y = b;
	int				 c;

	if ((c = strncmp(x->it_unit, y->it_unit, sizeof(x->it_unit))) != 0)
		return (c);
	return (x->it_index < y->it_index ? -1 : x->it_index > y->it_index);
}

static void
ctl_mint_show(struct peer *p, uint32_t id)
{
	struct show_ctx	 sc;
	const char	 fail[] = "the ledger could not read the keysets";
	size_t		 i;
	int		 r;

	batch_flush();
	memset(&sc, 0, sizeof(sc));
	if ((r = ledger_begin(db, NULL, &sc.s_txn)) == LEDGER_OK) {
		r = ledger_keyset_walk(sc.s_txn, show_keyset_cb, &sc);
		if (r == LEDGER_OK)
			r = sc.s_error;
		/* It wrote nothing. */
		ledger_abort(sc.s_txn);
	}
	if (r != LEDGER_OK)
		peer_compose(p, IMSG_CTL_FAIL, id, -1, fail, sizeof(fail));
	else {
		if (sc.s_n > 0)
			qsort(sc.s_it, sc.s_n, sizeof(*sc.s_it), show_cmp);
		for (i = 0; i < sc.s_n; i++)
			peer_compose(p, IMSG_CTL_MINT_KEYSET, id, -1,
			    &sc.s_it[i], sizeof(sc.s_it[i]));
		peer_compose(p, IMSG_CTL_END, id, -1, NULL, 0);
	}
	free(sc.s_it);
}

/*
 * routstrctl ledger backup: the files go to the parent, which writes
 * them where the operator asked.  The copy is made synchronously: the
 * ledger answers nothing else meanwhile.
 */
struct backup_ctx {
	struct peer	*b_peer;
	uint32_t	 b_id;
	unsigned char	*b_buf;
};

static int
backup_open(const char *name, void *arg)
{
	struct backup_ctx	*b = arg;

	if (peer_compose(b->b_peer, IMSG_LEDGER_BACKUP_FILE, b->b_id, -1,
	    name, strlen(name) + 1) == -1)
		return (-1);
	return (peer_flush(b->b_peer));
}

static int
backup_write(uint64_t off, const void *data, size_t len, void *arg)
{
	struct backup_ctx	*b = arg;
	struct ipc_backup_data	 bd;
	const unsigned char	*d = data;
	size_t			 n;

	while (len > 0) {
		n = len > BACKUP_CHUNK ? BACKUP_CHUNK : len;
		bd.bd_offset = off;
		memcpy(b->b_buf, &bd, sizeof(bd));
		memcpy(b->b_buf + sizeof(bd), d, n);
		if (peer_compose(b->b_peer, IMSG_LEDGER_BACKUP_DATA, b->b_id,
		    -1, b->b_buf, sizeof(bd) + n) == -1 ||
		    peer_flush(b->b_peer) == -1)
			return (-1);
		off += n;
		d += n;
		len -= n;
	}
	return (0);
}

static int
backup_close(const char *name, void *arg)
{
	struct backup_ctx	*b = arg;

	if (peer_compose(b->b_peer, IMSG_LEDGER_BACKUP_CLOSE, b->b_id, -1,
	    NULL, 0) == -1)
		return (-1);
	return (peer_flush(b->b_peer));
}

static void
ctl_backup(struct peer *p, uint32_t id)
{
	struct ledger_backup_cb	 cb;
	struct backup_ctx	 b;
	const char		 fail[] = "the backup failed (see the log)";

	batch_flush();
	b.b_peer = p;
	b.b_id = id;
	if ((b.b_buf = malloc(sizeof(struct ipc_backup_data) +
	    BACKUP_CHUNK)) == NULL)
		fatal(NULL);
	cb.lb_open = backup_open;
	cb.lb_write = backup_write;
	cb.lb_close = backup_close;
	cb.lb_arg = &b;
	if (ledger_backup(db, &cb) != LEDGER_OK)
		peer_compose(p, IMSG_CTL_FAIL, id, -1, fail, sizeof(fail));
	else
		peer_compose(p, IMSG_CTL_OK, id, -1, "backup complete",
		    sizeof("backup complete"));
	free(b.b_buf);
}
