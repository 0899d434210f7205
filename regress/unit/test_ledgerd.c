/*
 * ledgerd through its real imsg channels: this test plays the parent,
 * the proxies and the mint.  Every request and its errors, the checks on
 * who may ask what, group commit, the audit and the backup over the
 * control path, a race of several processes on one account, and kill -9
 * in the middle of a write storm.
 */

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "imsg.h"
#include "ipc.h"
#include "ledger.h"
#include "log.h"
#include "test.h"

#define NPROXIES	4
#define WAIT		10000

static struct harness	 h;
static char		 dir[PATH_MAX];
static char		 dbdir[PATH_MAX + 8];
static uint32_t		 nextid = 1;

static struct imsgbuf *
proxy(int i)
{
	return (&harness_peer(&h, PROC_PROXY, i)->hp_ibuf);
}

static struct imsgbuf *
mint(void)
{
	return (&harness_peer(&h, PROC_MINT, 0)->hp_ibuf);
}

static int
start(void)
{
	struct ipc_conf_ledger	 cl;
	char			 log[PATH_MAX + 16];
	int			 inst[PROC_MAX] = { 0 };

	inst[PROC_PROXY] = NPROXIES;
	inst[PROC_MINT] = 1;
	inst[PROC_RELAY] = 1;
	snprintf(log, sizeof(log), "%s/log", dir);
	if (harness_spawn(&h, "ledgerd/ledgerd", PROC_LEDGER, log) == -1 ||
	    harness_start(&h, inst, dbdir) == -1)
		return (-1);
	memset(&cl, 0, sizeof(cl));
	strlcpy(cl.cl_dbdir, dbdir, sizeof(cl.cl_dbdir));
	if (harness_send(&h.h_parent, IMSG_CONF_LEDGER, 0, -1, &cl,
	    sizeof(cl)) == -1)
		return (-1);
	return (harness_ready(&h));
}

static void
stop(void)
{
	kill(h.h_pid, SIGTERM);
	harness_reap(&h, WAIT);
	harness_close(&h);
}

/* A request and its reply; the reply's id must echo the request's. */
static int
call(struct imsgbuf *ib, uint32_t type, const void *d, size_t len,
    struct imsg *reply)
{
	uint32_t	 id = nextid++;

	if (harness_send(ib, type, id, -1, d, len) == -1 ||
	    harness_recv(ib, reply, WAIT) == -1)
		return (-1);
	if (imsg_get_id(reply) != id) {
		harness_free_msg(reply);
		return (-1);
	}
	return (0);
}

/* The ledger's error for a request answered with IMSG_LEDGER_REPLY. */
static int
call_lr(struct imsgbuf *ib, uint32_t type, const void *d, size_t len,
    struct ipc_ledger_reply *lr)
{
	struct imsg	 imsg;
	int		 rv = -1;

	memset(lr, 0, sizeof(*lr));
	if (call(ib, type, d, len, &imsg) == -1)
		return (-100);
	if (imsg_get_type(&imsg) == IMSG_LEDGER_REPLY &&
	    imsg_get_data(&imsg, lr, sizeof(*lr)) == 0)
		rv = lr->lr_error;
	harness_free_msg(&imsg);
	return (rv);
}

static void
key(uint8_t *k, int n)
{
	memset(k, 0, IPC_KEY_LEN);
	snprintf((char *)k, IPC_KEY_LEN, "account-%d", n);
}

static int
create(struct imsgbuf *ib, int n, uint64_t balance)
{
	struct ipc_account	 a;
	struct ipc_ledger_reply	 lr;

	memset(&a, 0, sizeof(a));
	key(a.a_key, n);
	a.a_balance = balance;
	strlcpy(a.a_unit, "sat", sizeof(a.a_unit));
	strlcpy(a.a_mint, "https://mint.example.org", sizeof(a.a_mint));
	return (call_lr(ib, IMSG_LEDGER_ACCOUNT_CREATE, &a, sizeof(a), &lr));
}

static int
get(struct imsgbuf *ib, int n, struct ipc_account *a)
{
	struct ipc_key		 k;
	struct ipc_ledger_reply	 lr;
	struct imsg		 imsg;
	int			 rv = -1;

	key(k.k_key, n);
	if (call(ib, IMSG_LEDGER_ACCOUNT_GET, &k, sizeof(k), &imsg) == -1)
		return (-100);
	if (imsg_get_type(&imsg) == IMSG_LEDGER_ACCOUNT &&
	    imsg_get_data(&imsg, a, sizeof(*a)) == 0)
		rv = 0;
	else if (imsg_get_type(&imsg) == IMSG_LEDGER_REPLY &&
	    imsg_get_data(&imsg, &lr, sizeof(lr)) == 0)
		rv = lr.lr_error;
	harness_free_msg(&imsg);
	return (rv);
}

static int
credit(struct imsgbuf *ib, int n, uint64_t amount, uint64_t *balance)
{
	struct ipc_credit	 c;
	struct ipc_ledger_reply	 lr;
	int			 rv;

	memset(&c, 0, sizeof(c));
	key(c.c_key, n);
	c.c_amount = amount;
	c.c_reason = LEDGER_R_TOPUP;
	rv = call_lr(ib, IMSG_LEDGER_CREDIT, &c, sizeof(c), &lr);
	if (balance != NULL)
		*balance = lr.lr_balance;
	return (rv);
}

static int
reserve(struct imsgbuf *ib, int n, uint64_t amount, uint64_t *id)
{
	struct ipc_reserve	 r;
	struct ipc_ledger_reply	 lr;
	int			 rv;

	memset(&r, 0, sizeof(r));
	key(r.r_key, n);
	r.r_amount = amount;
	r.r_deadline = time(NULL) + 300;
	rv = call_lr(ib, IMSG_LEDGER_RESERVE, &r, sizeof(r), &lr);
	*id = lr.lr_id;
	return (rv);
}

static int
settle(struct imsgbuf *ib, uint64_t id, uint64_t actual, uint64_t *charged)
{
	struct ipc_settle	 s;
	struct ipc_ledger_reply	 lr;
	int			 rv;

	memset(&s, 0, sizeof(s));
	s.s_id = id;
	s.s_actual = actual;
	rv = call_lr(ib, IMSG_LEDGER_SETTLE, &s, sizeof(s), &lr);
	if (charged != NULL)
		*charged = lr.lr_amount;
	return (rv);
}

static int
release(struct imsgbuf *ib, uint64_t id)
{
	struct ipc_settle	 s;
	struct ipc_ledger_reply	 lr;

	memset(&s, 0, sizeof(s));
	s.s_id = id;
	return (call_lr(ib, IMSG_LEDGER_RELEASE, &s, sizeof(s), &lr));
}

static int
refund(struct imsgbuf *ib, int n, uint64_t *amount)
{
	struct ipc_credit	 c;
	struct ipc_ledger_reply	 lr;
	int			 rv;

	memset(&c, 0, sizeof(c));
	key(c.c_key, n);
	c.c_reason = LEDGER_R_REFUND;
	rv = call_lr(ib, IMSG_LEDGER_REFUND, &c, sizeof(c), &lr);
	*amount = lr.lr_amount;
	return (rv);
}

/* The audit through the control path: problems found, or -1. */
static int
audit(struct ipc_ledger_report *rp)
{
	struct imsg	 imsg;
	uint32_t	 id = nextid++;
	int		 problems = -1, type;

	if (harness_send(&h.h_parent, IMSG_CTL_LEDGER_CHECK, id, -1, NULL,
	    0) == -1)
		return (-1);
	for (;;) {
		if (harness_recv(&h.h_parent, &imsg, WAIT) == -1)
			return (-1);
		type = imsg_get_type(&imsg);
		if (imsg_get_id(&imsg) != id)
			type = -1;
		if (type == IMSG_CTL_LEDGER_PROBLEM) {
			char	 line[1024];
			size_t	 len = imsg_get_len(&imsg);

			if (len > 0 && len <= sizeof(line) &&
			    imsg_get_strbuf(&imsg, line, len) == 0)
				printf("# problem: %s\n", line);
		} else if (type == IMSG_CTL_LEDGER_REPORT) {
			if (imsg_get_data(&imsg, rp, sizeof(*rp)) == 0)
				problems = rp->rp_problems;
		}
		harness_free_msg(&imsg);
		if (type == IMSG_CTL_END)
			return (problems);
		if (type != IMSG_CTL_LEDGER_PROBLEM &&
		    type != IMSG_CTL_LEDGER_REPORT)
			return (-1);
	}
}

static void
test_accounts(void)
{
	struct ipc_account	 a;
	uint64_t		 bal = 0, id = 0, id2 = 0, charged = 0, amount;

	T(create(proxy(0), 1, 10000) == LEDGER_OK, "create an account");
	T(create(proxy(1), 1, 5) == LEDGER_EXISTS,
	    "the same key again: EXISTS");
	T(get(proxy(2), 1, &a) == 0 && a.a_balance == 10000 &&
	    a.a_reserved == 0 && strcmp(a.a_unit, "sat") == 0 &&
	    strcmp(a.a_mint, "https://mint.example.org") == 0,
	    "get it back from another proxy");
	T(get(proxy(0), 99, &a) == LEDGER_NOTFOUND, "unknown key: NOTFOUND");
	T(credit(proxy(0), 1, 5000, &bal) == LEDGER_OK && bal == 15000,
	    "credit 5000: balance 15000");
	T(credit(proxy(0), 1, UINT64_MAX, &bal) == LEDGER_OVERFLOW,
	    "a credit that would overflow: OVERFLOW");
	T(get(proxy(0), 1, &a) == 0 && a.a_balance == 15000,
	    "and nothing changed");
	T(credit(proxy(0), 98, 1, NULL) == LEDGER_NOTFOUND,
	    "credit to no account: NOTFOUND");
	T(reserve(proxy(0), 1, 12000, &id) == LEDGER_OK && id != 0,
	    "reserve 12000");
	T(reserve(proxy(1), 1, 3001, &id2) == LEDGER_INSUFFICIENT,
	    "reserve 3001 more: INSUFFICIENT");
	T(reserve(proxy(1), 1, 3000, &id2) == LEDGER_OK,
	    "reserve exactly what is left");
	T(get(proxy(0), 1, &a) == 0 && a.a_reserved == 15000,
	    "reserved 15000");
	T(settle(proxy(0), id, 2000, &charged) == LEDGER_OK &&
	    charged == 2000, "settle 2000 of 12000");
	T(settle(proxy(0), id, 2000, &charged) == LEDGER_NOTFOUND,
	    "settle it again: NOTFOUND");
	T(release(proxy(1), id2) == LEDGER_OK, "release the other");
	T(release(proxy(1), id2) == LEDGER_NOTFOUND, "release it again");
	T(get(proxy(0), 1, &a) == 0 && a.a_balance == 13000 &&
	    a.a_reserved == 0 && a.a_spent == 2000 && a.a_requests == 1,
	    "balance 13000, nothing reserved, 2000 spent in 1 request");
	T(reserve(proxy(0), 1, 1000, &id) == LEDGER_OK, "reserve 1000");
	T(refund(proxy(2), 1, &amount) == LEDGER_RESERVED,
	    "refund with a reservation open: RESERVED");
	T(settle(proxy(0), id, 20000, &charged) == LEDGER_OK &&
	    charged == 13000, "a cost above the balance charges the balance");
	T(get(proxy(0), 1, &a) == 0 && a.a_balance == 0,
	    "and the balance is 0, not below");
	T(credit(proxy(0), 1, 7000, &bal) == LEDGER_OK && bal == 7000,
	    "top up 7000");
	T(refund(proxy(2), 1, &amount) == LEDGER_OK && amount == 7000,
	    "refund takes the 7000");
	T(get(proxy(0), 1, &a) == 0 && a.a_balance == 0 &&
	    (a.a_flags & LEDGER_ACCOUNT_CLOSED), "balance 0, closed");
	T(credit(proxy(0), 1, 1, NULL) == LEDGER_CLOSED &&
	    reserve(proxy(0), 1, 1, &id) == LEDGER_CLOSED,
	    "a closed account takes nothing and gives nothing");
}

/* Y i: a point-like 33 bytes, and as an input, worth 2^(i % 8) sat. */
static void
yfill(uint8_t *y, int i)
{
	memset(y, 0, IPC_Y_LEN);
	y[0] = 0x02;
	snprintf((char *)y + 1, IPC_Y_LEN - 1, "y%d", i);
}

static void
input_fill(struct ipc_input *in, int i, const uint8_t *ks, size_t kslen)
{
	memset(in, 0, sizeof(*in));
	yfill(in->in_y, i);
	memcpy(in->in_keyset, ks, kslen);
	in->in_keyset_len = kslen;
	in->in_amount = (uint64_t)1 << (i % 8);
}

static const uint8_t	 YKS[8] = { 0x00, 0x99, 0x88, 0x77 };

static int
ys_call(uint32_t type, int n, int first, int flags, uint8_t *states)
{
	unsigned char		 buf[sizeof(struct ipc_ys) +
				    10 * sizeof(struct ipc_input)];
	struct ipc_ys		 ys;
	struct ipc_ledger_reply	 lr;
	struct imsg		 imsg;
	size_t			 len = sizeof(ys);
	int			 i, rv = -1;

	memset(&ys, 0, sizeof(ys));
	ys.yh_n = n;
	ys.yh_flags = flags;
	if (type == IMSG_LEDGER_YS_PEND)
		strlcpy(ys.yh_quote, "q1", sizeof(ys.yh_quote));
	memcpy(buf, &ys, sizeof(ys));
	/* Pend and spend carry what each proof is worth. */
	for (i = 0; i < n; i++) {
		if (type == IMSG_LEDGER_YS_PEND ||
		    type == IMSG_LEDGER_YS_SPEND) {
			input_fill((struct ipc_input *)(buf + len), first + i,
			    YKS, sizeof(YKS));
			len += sizeof(struct ipc_input);
		} else {
			yfill(buf + len, first + i);
			len += IPC_Y_LEN;
		}
	}
	if (call(mint(), type, buf, len, &imsg) == -1)
		return (-100);
	if (imsg_get_type(&imsg) == IMSG_LEDGER_YS_STATES &&
	    imsg_get_data(&imsg, states, n) == 0)
		rv = 0;
	else if (imsg_get_type(&imsg) == IMSG_LEDGER_REPLY &&
	    imsg_get_data(&imsg, &lr, sizeof(lr)) == 0)
		rv = lr.lr_error;
	harness_free_msg(&imsg);
	return (rv);
}

static void
test_mint(void)
{
	struct ipc_ledger_reply	 lr;
	struct ipc_quote	 q, q2;
	struct ipc_quote_ref	 qr;
	struct ipc_counter	 cn;
	struct ipc_proof	*pr;
	struct ipc_refund	*rf;
	struct imsg		 imsg;
	unsigned char		 buf[sizeof(uint32_t) + 2 *
				    sizeof(struct ipc_issued)];
	unsigned char		 pbuf[sizeof(struct ipc_proof) + 64];
	unsigned char		 rbuf[sizeof(struct ipc_refund) + 32];
	struct ipc_issued	 is[2];
	uint8_t			 st[10], b[IPC_Y_LEN];
	uint32_t		 n;
	int			 walked = 0, done = 0;

	T(ys_call(IMSG_LEDGER_YS_PEND, 3, 0, 0, st) == LEDGER_OK,
	    "pend 3 Ys");
	T(ys_call(IMSG_LEDGER_YS_SPEND, 3, 0, 1, st) == LEDGER_OK,
	    "spend them from pending");
	T(ys_call(IMSG_LEDGER_YS_SPEND, 2, 2, 0, st) == LEDGER_SPENT,
	    "spend a batch with one spent Y: SPENT");
	T(ys_call(IMSG_LEDGER_YS_STATE, 4, 1, 0, st) == 0 &&
	    st[0] == LEDGER_Y_SPENT && st[1] == LEDGER_Y_SPENT &&
	    st[2] == LEDGER_Y_UNSPENT && st[3] == LEDGER_Y_UNSPENT,
	    "and the unspent Y of that batch stayed unspent");
	T(ys_call(IMSG_LEDGER_YS_PEND, 2, 5, 0, st) == LEDGER_OK &&
	    ys_call(IMSG_LEDGER_YS_PEND, 1, 6, 0, st) == LEDGER_PENDING,
	    "pend twice: PENDING");
	T(ys_call(IMSG_LEDGER_YS_UNPEND, 2, 5, 0, st) == LEDGER_OK &&
	    ys_call(IMSG_LEDGER_YS_STATE, 2, 5, 0, st) == 0 &&
	    st[0] == LEDGER_Y_UNSPENT && st[1] == LEDGER_Y_UNSPENT,
	    "unpend makes them unspent");

	memset(is, 0, sizeof(is));
	is[0].i_b[0] = 0x02;
	is[0].i_b[1] = 1;
	is[1].i_b[0] = 0x02;
	is[1].i_b[1] = 2;
	is[0].i_keyset_len = is[1].i_keyset_len = 8;
	is[0].i_amount = 8;
	is[1].i_amount = 16;
	n = 2;
	memcpy(buf, &n, sizeof(n));
	memcpy(buf + sizeof(n), is, sizeof(is));
	T(call_lr(mint(), IMSG_LEDGER_ISSUED_ADD, buf, sizeof(buf), &lr) ==
	    LEDGER_OK, "store 2 issued outputs");
	T(call_lr(mint(), IMSG_LEDGER_ISSUED_ADD, buf, sizeof(buf), &lr) ==
	    LEDGER_EXISTS, "the same B_ again: EXISTS");
	memcpy(b, is[1].i_b, sizeof(b));
	if (call(mint(), IMSG_LEDGER_ISSUED_GET, b, sizeof(b), &imsg) == 0) {
		struct ipc_issued	 got;

		T(imsg_get_type(&imsg) == IMSG_LEDGER_ISSUED &&
		    imsg_get_data(&imsg, &got, sizeof(got)) == 0 &&
		    got.i_amount == 16, "get an issued output by B_");
		harness_free_msg(&imsg);
	} else
		T(0, "get an issued output by B_");

	memset(&q, 0, sizeof(q));
	strlcpy(q.q_id, "quote-1", sizeof(q.q_id));
	q.q_state = LEDGER_QUOTE_UNPAID;
	q.q_amount = 21;
	strlcpy(q.q_unit, "sat", sizeof(q.q_unit));
	strlcpy(q.q_request, "lnbc210n1fake", sizeof(q.q_request));
	T(call_lr(mint(), IMSG_LEDGER_QUOTE_ADD, &q, sizeof(q), &lr) ==
	    LEDGER_OK, "add a mint quote");
	memset(&qr, 0, sizeof(qr));
	strlcpy(qr.qr_id, "quote-1", sizeof(qr.qr_id));
	qr.qr_from = LEDGER_QUOTE_PAID;
	qr.qr_to = LEDGER_QUOTE_ISSUED;
	T(call_lr(mint(), IMSG_LEDGER_QUOTE_CAS, &qr, sizeof(qr), &lr) ==
	    LEDGER_STATE, "PAID -> ISSUED of an UNPAID quote: STATE");
	qr.qr_from = LEDGER_QUOTE_UNPAID;
	qr.qr_to = LEDGER_QUOTE_PAID;
	T(call_lr(mint(), IMSG_LEDGER_QUOTE_CAS, &qr, sizeof(qr), &lr) ==
	    LEDGER_OK, "UNPAID -> PAID");
	if (call(mint(), IMSG_LEDGER_QUOTE_GET, &qr, sizeof(qr), &imsg) == 0) {
		T(imsg_get_type(&imsg) == IMSG_LEDGER_QUOTE &&
		    imsg_get_data(&imsg, &q2, sizeof(q2)) == 0 &&
		    q2.q_state == LEDGER_QUOTE_PAID && q2.q_amount == 21 &&
		    strcmp(q2.q_request, "lnbc210n1fake") == 0,
		    "the quote is PAID");
		harness_free_msg(&imsg);
	} else
		T(0, "the quote is PAID");

	memset(&cn, 0, sizeof(cn));
	cn.c_keyset_len = 8;
	memcpy(cn.c_keyset, "\x00\x11\x22\x33\x44\x55\x66\x77", 8);
	cn.c_n = 5;
	T(call_lr(mint(), IMSG_LEDGER_COUNTER, &cn, sizeof(cn), &lr) ==
	    LEDGER_OK && lr.lr_id == 0, "the counter starts at 0");
	T(call_lr(mint(), IMSG_LEDGER_COUNTER, &cn, sizeof(cn), &lr) ==
	    LEDGER_OK && lr.lr_id == 5, "and advanced by 5");

	memset(pbuf, 0, sizeof(pbuf));
	pr = (struct ipc_proof *)pbuf;
	pr->p_mint[0] = 7;
	pr->p_id[0] = 1;
	pr->p_bloblen = 64;
	memset(pbuf + sizeof(*pr), 0xab, 64);
	T(call_lr(mint(), IMSG_LEDGER_PROOF_PUT, pbuf, sizeof(pbuf), &lr) ==
	    LEDGER_OK, "store an encrypted proof");
	pr->p_bloblen = 0;
	pr->p_any_keyset = 1;
	if (harness_send(mint(), IMSG_LEDGER_PROOF_WALK, 4242, -1, pbuf,
	    sizeof(*pr)) == 0) {
		while (!done && harness_recv(mint(), &imsg, WAIT) == 0) {
			if (imsg_get_type(&imsg) == IMSG_LEDGER_PROOF)
				walked++;
			else
				done = 1;
			harness_free_msg(&imsg);
		}
	}
	T(walked == 1 && done, "walk the mint's proofs: 1, then the end");
	pr->p_any_keyset = 0;
	T(call_lr(mint(), IMSG_LEDGER_PROOF_DEL, pbuf, sizeof(*pr), &lr) ==
	    LEDGER_OK, "delete it");
	T(call_lr(mint(), IMSG_LEDGER_PROOF_DEL, pbuf, sizeof(*pr), &lr) ==
	    LEDGER_NOTFOUND, "delete it again: NOTFOUND");

	memset(rbuf, 0, sizeof(rbuf));
	rf = (struct ipc_refund *)rbuf;
	rf->rf_token[0] = 9;
	rf->rf_state = LEDGER_REFUND_INFLIGHT;
	rf->rf_paid = 5000;
	T(call_lr(mint(), IMSG_LEDGER_REFUND_ADD, rbuf, sizeof(*rf), &lr) ==
	    LEDGER_OK, "an X-Cashu payment in flight");
	rf->rf_from = LEDGER_REFUND_INFLIGHT;
	rf->rf_state = LEDGER_REFUND_READY;
	rf->rf_bloblen = 32;
	memset(rbuf + sizeof(*rf), 'c', 32);
	T(call_lr(mint(), IMSG_LEDGER_REFUND_CAS, rbuf, sizeof(rbuf), &lr) ==
	    LEDGER_OK, "its change is ready");
	T(call_lr(mint(), IMSG_LEDGER_REFUND_CAS, rbuf, sizeof(rbuf), &lr) ==
	    LEDGER_STATE, "twice: STATE");
	{
		struct ipc_key		 k;
		struct ipc_refund	 got;
		unsigned char		 blob[32];

		memset(&k, 0, sizeof(k));
		k.k_key[0] = 9;
		if (call(mint(), IMSG_LEDGER_REFUND_GET, &k, sizeof(k),
		    &imsg) == 0) {
			T(imsg_get_type(&imsg) == IMSG_LEDGER_REFUND_RECORD &&
			    imsg_get_buf(&imsg, &got, sizeof(got)) == 0 &&
			    got.rf_state == LEDGER_REFUND_READY &&
			    got.rf_paid == 5000 && got.rf_bloblen == 32 &&
			    imsg_get_buf(&imsg, blob, sizeof(blob)) == 0 &&
			    blob[0] == 'c' && blob[31] == 'c',
			    "get the refund record and its change token");
			harness_free_msg(&imsg);
		} else
			T(0, "get the refund record and its change token");
		k.k_key[0] = 10;
		T(call_lr(mint(), IMSG_LEDGER_REFUND_GET, &k, sizeof(k), &lr) ==
		    LEDGER_NOTFOUND, "no refund record: NOTFOUND");
	}

	/* A melt quote found again by its payment hash while PENDING. */
	memset(&q, 0, sizeof(q));
	strlcpy(q.q_id, "melt-1", sizeof(q.q_id));
	q.q_melt = 1;
	q.q_state = LEDGER_QUOTE_UNPAID;
	q.q_amount = 100;
	q.q_fee_reserve = 2;
	strlcpy(q.q_unit, "sat", sizeof(q.q_unit));
	memset(q.q_payment_hash, 0x5a, sizeof(q.q_payment_hash));
	strlcpy(q.q_request, "lnbc1u1fake", sizeof(q.q_request));
	T(call_lr(mint(), IMSG_LEDGER_QUOTE_ADD, &q, sizeof(q), &lr) ==
	    LEDGER_OK, "add a melt quote");
	memset(&qr, 0, sizeof(qr));
	strlcpy(qr.qr_id, "melt-1", sizeof(qr.qr_id));
	qr.qr_melt = 1;
	qr.qr_from = LEDGER_QUOTE_UNPAID;
	qr.qr_to = LEDGER_QUOTE_PENDING;
	T(call_lr(mint(), IMSG_LEDGER_QUOTE_CAS, &qr, sizeof(qr), &lr) ==
	    LEDGER_OK, "UNPAID -> PENDING");
	if (call(mint(), IMSG_LEDGER_QUOTE_BY_HASH, q.q_payment_hash,
	    sizeof(q.q_payment_hash), &imsg) == 0) {
		T(imsg_get_type(&imsg) == IMSG_LEDGER_QUOTE &&
		    imsg_get_data(&imsg, &q2, sizeof(q2)) == 0 &&
		    strcmp(q2.q_id, "melt-1") == 0 &&
		    q2.q_state == LEDGER_QUOTE_PENDING,
		    "found by its payment hash");
		harness_free_msg(&imsg);
	} else
		T(0, "found by its payment hash");
	qr.qr_from = LEDGER_QUOTE_PENDING;
	qr.qr_to = LEDGER_QUOTE_PAID;
	qr.qr_has_preimage = 1;
	memset(qr.qr_preimage, 0x11, sizeof(qr.qr_preimage));
	T(call_lr(mint(), IMSG_LEDGER_QUOTE_CAS, &qr, sizeof(qr), &lr) ==
	    LEDGER_OK, "PENDING -> PAID with its preimage");
	memset(q.q_payment_hash, 0x5b, sizeof(q.q_payment_hash));
	T(call_lr(mint(), IMSG_LEDGER_QUOTE_BY_HASH, q.q_payment_hash,
	    sizeof(q.q_payment_hash), &lr) == LEDGER_NOTFOUND,
	    "another hash: NOTFOUND");
}

static void
keyset_rec(struct ipc_keyset_rec *kr, uint8_t tag, uint32_t index, int active)
{
	memset(kr, 0, sizeof(*kr));
	kr->kr_id[0] = 0x01;
	kr->kr_id[1] = tag;
	kr->kr_idlen = 33;
	strlcpy(kr->kr_unit, "sat", sizeof(kr->kr_unit));
	kr->kr_index = index;
	kr->kr_version = 1;
	kr->kr_fee_ppk = index * 100;
	kr->kr_active = active;
	kr->kr_created = 1700000000 + index;
}

/* routstrctl mint show through the parent's channel: the keysets. */
static int
mint_show(struct ipc_keyset_total *it, int max)
{
	struct imsg	 imsg;
	uint32_t	 id = nextid++;
	int		 n = 0, type;

	if (harness_send(&h.h_parent, IMSG_CTL_MINT_SHOW, id, -1, NULL,
	    0) == -1)
		return (-1);
	for (;;) {
		if (harness_recv(&h.h_parent, &imsg, WAIT) == -1)
			return (-1);
		type = imsg_get_type(&imsg);
		if (imsg_get_id(&imsg) != id)
			type = -1;
		if (type == IMSG_CTL_MINT_KEYSET && n < max &&
		    imsg_get_data(&imsg, &it[n], sizeof(it[n])) == 0)
			n++;
		else if (type != IMSG_CTL_END)
			n = -1;
		harness_free_msg(&imsg);
		if (type != IMSG_CTL_MINT_KEYSET || n == -1)
			return (n);
	}
}

/* IMSG_LEDGER_MELT_INPUTS: the number of pending inputs, the first in *in. */
static int
melt_inputs(const char *quote, struct ipc_input *in)
{
	struct ipc_quote_ref	 qr;
	struct imsg		 imsg;
	uint32_t		 n;
	size_t			 len;
	int			 rv = -1;

	memset(&qr, 0, sizeof(qr));
	strlcpy(qr.qr_id, quote, sizeof(qr.qr_id));
	if (call(mint(), IMSG_LEDGER_MELT_INPUTS, &qr, sizeof(qr), &imsg) == -1)
		return (-1);
	len = imsg_get_len(&imsg);
	if (imsg_get_type(&imsg) == IMSG_LEDGER_INPUTS && len >= sizeof(n)) {
		unsigned char	*buf;

		if ((buf = malloc(len)) == NULL)
			err(1, NULL);
		if (imsg_get_data(&imsg, buf, len) == 0) {
			memcpy(&n, buf, sizeof(n));
			if (len == sizeof(n) + n * sizeof(*in)) {
				rv = n;
				if (n > 0)
					memcpy(in, buf + sizeof(n), sizeof(*in));
			}
		}
		free(buf);
	}
	harness_free_msg(&imsg);
	return (rv);
}

/*
 * The mint's operator controls in the ledger: rotation of the registry,
 * swaps and melts that carry the value of their inputs, and the totals
 * per keyset that routstrctl mint show reads.
 */
static void
test_mint_ctl(void)
{
	struct ipc_keyset_rec	 a, b;
	struct ipc_keyset_total	 it[4];
	struct ipc_ledger_reply	 lr;
	struct ipc_swap_commit	 sc;
	struct ipc_quote_commit	 qc;
	struct ipc_quote	 q;
	struct ipc_issued	 iss;
	struct ipc_input	 in[2];
	unsigned char		 buf[sizeof(sc) + sizeof(in) +
				    sizeof(iss)];
	unsigned char		 mbuf[sizeof(qc) + sizeof(in[0])];
	int			 n;

	keyset_rec(&a, 'a', 0, 1);
	keyset_rec(&b, 'b', 1, 1);
	T(call_lr(mint(), IMSG_LEDGER_KEYSET_PUT, &a, sizeof(a), &lr) ==
	    LEDGER_OK, "keyset a, active");
	T(call_lr(mint(), IMSG_LEDGER_KEYSET_ROTATE, &b, sizeof(b), &lr) ==
	    LEDGER_OK, "rotate to keyset b");
	T(call_lr(mint(), IMSG_LEDGER_KEYSET_ROTATE, &b, sizeof(b), &lr) ==
	    LEDGER_EXISTS, "rotate to b again: EXISTS");

	/* A swap of 2 proofs of a into 1 output of b (1 + 2 = 2 + fee 1). */
	input_fill(&in[0], 100, a.kr_id, a.kr_idlen);	/* 2^4 = 16 */
	input_fill(&in[1], 101, a.kr_id, a.kr_idlen);	/* 2^5 = 32 */
	memset(&iss, 0, sizeof(iss));
	iss.i_b[0] = 0x03;
	iss.i_b[1] = 0x77;
	memcpy(iss.i_keyset, b.kr_id, b.kr_idlen);
	iss.i_keyset_len = b.kr_idlen;
	iss.i_amount = 32;
	sc.sc_nys = 2;
	sc.sc_nissued = 1;
	memcpy(buf, &sc, sizeof(sc));
	memcpy(buf + sizeof(sc), in, sizeof(in));
	memcpy(buf + sizeof(sc) + sizeof(in), &iss, sizeof(iss));
	T(call_lr(mint(), IMSG_LEDGER_SWAP, buf, sizeof(buf), &lr) ==
	    LEDGER_OK, "a swap: 48 of a in, 32 of b out");
	iss.i_b[1] = 0x78;
	memcpy(buf + sizeof(sc) + sizeof(in), &iss, sizeof(iss));
	T(call_lr(mint(), IMSG_LEDGER_SWAP, buf, sizeof(buf), &lr) ==
	    LEDGER_SPENT, "the same inputs again: SPENT");

	/* A melt of one proof of b: pending, then spent with its value. */
	memset(&q, 0, sizeof(q));
	strlcpy(q.q_id, "melt-ctl", sizeof(q.q_id));
	q.q_melt = 1;
	q.q_state = LEDGER_QUOTE_UNPAID;
	q.q_amount = 60;
	strlcpy(q.q_unit, "sat", sizeof(q.q_unit));
	memset(q.q_payment_hash, 0x6c, sizeof(q.q_payment_hash));
	strlcpy(q.q_request, "lnbc600n1fake", sizeof(q.q_request));
	T(call_lr(mint(), IMSG_LEDGER_QUOTE_ADD, &q, sizeof(q), &lr) ==
	    LEDGER_OK, "a melt quote");
	memset(&qc, 0, sizeof(qc));
	strlcpy(qc.qc_quote, "melt-ctl", sizeof(qc.qc_quote));
	qc.qc_nys = 1;
	input_fill(&in[0], 102, b.kr_id, b.kr_idlen);	/* 2^6 = 64 */
	memcpy(mbuf, &qc, sizeof(qc));
	memcpy(mbuf + sizeof(qc), &in[0], sizeof(in[0]));
	T(call_lr(mint(), IMSG_LEDGER_MELT_BEGIN, mbuf, sizeof(mbuf), &lr) ==
	    LEDGER_OK, "melt begins: 64 of b pending");
	n = mint_show(it, 4);
	T(n == 2 && it[1].it_nredeemed == 0,
	    "mint show: pending is not redeemed");
	T(melt_inputs("melt-ctl", &in[1]) == 1 && in[1].in_amount == 64 &&
	    memcmp(in[1].in_y, in[0].in_y, sizeof(in[0].in_y)) == 0,
	    "melt inputs: the pending proof, found by its quote");
	T(melt_inputs("no-such-quote", &in[1]) == 0,
	    "melt inputs of another quote: none");
	qc.qc_has_preimage = 1;
	memset(qc.qc_preimage, 0x61, sizeof(qc.qc_preimage));
	memcpy(mbuf, &qc, sizeof(qc));
	in[0].in_amount = 128;
	memcpy(mbuf + sizeof(qc), &in[0], sizeof(in[0]));
	T(call_lr(mint(), IMSG_LEDGER_MELT_FINISH, mbuf, sizeof(mbuf), &lr) ==
	    LEDGER_INVALID, "melt finishes with another amount: INVALID");
	in[0].in_amount = 64;
	memcpy(mbuf + sizeof(qc), &in[0], sizeof(in[0]));
	T(call_lr(mint(), IMSG_LEDGER_MELT_FINISH, mbuf, sizeof(mbuf), &lr) ==
	    LEDGER_OK, "melt finishes: 64 of b spent");

	T(melt_inputs("melt-ctl", &in[1]) == 0,
	    "melt inputs once spent: none pending");
	n = mint_show(it, 4);
	T(n == 2, "mint show: 2 keysets");
	if (n == 2) {
		T(it[0].it_id[1] == 'a' && !it[0].it_active &&
		    it[0].it_index == 0 && strcmp(it[0].it_unit, "sat") == 0,
		    "a: inactive, index 0");
		T(it[1].it_id[1] == 'b' && it[1].it_active &&
		    it[1].it_index == 1 && it[1].it_fee_ppk == 100,
		    "b: active, index 1, 100 ppk");
		T(it[0].it_issued == 0 && it[0].it_redeemed == 48 &&
		    it[0].it_nredeemed == 2, "a: issued 0, redeemed 48 in 2");
		T(it[1].it_issued == 32 && it[1].it_nissued == 1 &&
		    it[1].it_redeemed == 64 && it[1].it_nredeemed == 1,
		    "b: issued 32 in 1, redeemed 64 in 1");
	}
}

/* An IMSG_LEDGER_REDEEM of inputs first .. first + n - 1 into account. */
static int
redeem(int account, int mode, int first, int n, uint64_t msat,
    const uint8_t *record, struct ipc_ledger_reply *lr)
{
	unsigned char		 buf[sizeof(struct ipc_redeem) +
				    4 * sizeof(struct ipc_input)];
	struct ipc_redeem	 rd;
	struct ipc_input	 in;
	int			 i;

	memset(&rd, 0, sizeof(rd));
	key(rd.rd_key, account);
	rd.rd_amount = msat;
	rd.rd_mode = mode;
	rd.rd_nys = n;
	if (record != NULL) {
		memcpy(rd.rd_record, record, sizeof(rd.rd_record));
		rd.rd_has_record = 1;
	}
	strlcpy(rd.rd_unit, "sat", sizeof(rd.rd_unit));
	strlcpy(rd.rd_mint, "http://node.example", sizeof(rd.rd_mint));
	memcpy(buf, &rd, sizeof(rd));
	for (i = 0; i < n; i++) {
		input_fill(&in, first + i, YKS, sizeof(YKS));
		memcpy(buf + sizeof(rd) + i * sizeof(in), &in, sizeof(in));
	}
	return (call_lr(mint(), IMSG_LEDGER_REDEEM, buf,
	    sizeof(rd) + n * sizeof(in), lr));
}

/* An IMSG_LEDGER_CASHOUT of account with one output of sat and a token. */
static int
cashout(int account, uint64_t expect, uint64_t sat, const uint8_t *record,
    int b, struct ipc_ledger_reply *lr)
{
	unsigned char		 buf[sizeof(struct ipc_cashout) +
				    sizeof(struct ipc_issued) + 64];
	struct ipc_cashout	 co;
	struct ipc_issued	 iss;
	const char		*tok = "cashuBtoken-of-the-test";
	size_t			 len = sizeof(co);

	memset(&co, 0, sizeof(co));
	key(co.co_key, account);
	memcpy(co.co_record, record, sizeof(co.co_record));
	co.co_expect = expect;
	co.co_paid = expect;
	if (sat > 0) {
		co.co_nissued = 1;
		co.co_bloblen = strlen(tok);
	}
	memcpy(buf, &co, sizeof(co));
	if (sat > 0) {
		memset(&iss, 0, sizeof(iss));
		iss.i_b[0] = 0x02;
		iss.i_b[1] = b;
		iss.i_b[2] = 0xca;	/* not an output of the other tests */
		memcpy(iss.i_keyset, YKS, sizeof(YKS));
		iss.i_keyset_len = sizeof(YKS);
		iss.i_amount = sat;
		memcpy(buf + len, &iss, sizeof(iss));
		len += sizeof(iss);
		memcpy(buf + len, tok, strlen(tok));
		len += strlen(tok);
	}
	return (call_lr(mint(), IMSG_LEDGER_CASHOUT, buf, len, lr));
}

/* The refund record's state, asked by proxy 0, or -error. */
static int
record_state(const uint8_t *record, char *blob, size_t bloblen)
{
	struct ipc_key		 k;
	struct ipc_refund	 rr;
	struct ipc_ledger_reply	 lr;
	struct imsg		 imsg;
	int			 rv = -100;

	memcpy(k.k_key, record, sizeof(k.k_key));
	if (call(proxy(0), IMSG_LEDGER_REFUND_GET, &k, sizeof(k), &imsg) ==
	    -1)
		return (-100);
	if (imsg_get_type(&imsg) == IMSG_LEDGER_REFUND_RECORD &&
	    imsg_get_buf(&imsg, &rr, sizeof(rr)) == 0) {
		rv = rr.rf_state;
		memset(blob, 0, bloblen);
		if (rr.rf_bloblen < bloblen)
			(void)imsg_get_buf(&imsg, blob, rr.rf_bloblen);
	} else if (imsg_get_type(&imsg) == IMSG_LEDGER_REPLY &&
	    imsg_get_data(&imsg, &lr, sizeof(lr)) == 0)
		rv = -lr.lr_error;
	harness_free_msg(&imsg);
	return (rv);
}

/*
 * Payments: a token's proofs spent and its account credited in one
 * transaction (REDEEM), an account paid out as a token, closed and the
 * token kept (CASHOUT), and the X-Cashu refund record between the two.
 */
static void
test_payments(void)
{
	struct ipc_ledger_reply	 lr;
	struct ipc_account	 a;
	struct ipc_refund	 rr;
	uint8_t			 rec[IPC_KEY_LEN], rec2[IPC_KEY_LEN];
	char			 blob[128];
	int			 n;

	T(redeem(40, REDEEM_CREATE, 200, 2, 3000, NULL, &lr) == LEDGER_OK &&
	    lr.lr_balance == 3000, "redeem into a new account: 3000");
	T(get(proxy(1), 40, &a) == 0 && a.a_balance == 3000,
	    "... which a proxy sees");
	T(redeem(41, REDEEM_CREATE, 201, 2, 5000, NULL, &lr) == LEDGER_SPENT &&
	    get(proxy(1), 41, &a) == LEDGER_NOTFOUND,
	    "a spent input: SPENT, and no account made");
	T(redeem(40, REDEEM_CREATE, 210, 1, 1000, NULL, &lr) == LEDGER_EXISTS,
	    "create an account that exists: EXISTS");
	T(redeem(40, REDEEM_ANY, 210, 1, 1000, NULL, &lr) == LEDGER_EXISTS,
	    "any, for an account that exists: EXISTS ...");
	T(redeem(40, REDEEM_CREDIT, 210, 1, 1000, NULL, &lr) == LEDGER_OK &&
	    lr.lr_balance == 4000,
	    "... and its input was left unspent: credited now, 4000");
	T(redeem(42, REDEEM_CREDIT, 211, 1, 1000, NULL, &lr) ==
	    LEDGER_NOTFOUND, "credit an account that is not there: NOTFOUND");
	T(redeem(42, REDEEM_ANY, 211, 1, 1000, NULL, &lr) == LEDGER_OK &&
	    lr.lr_balance == 1000, "any, for a new account: made");

	memset(rec, 0x40, sizeof(rec));
	T(cashout(40, 3999, 3, rec, 1, &lr) == LEDGER_STATE &&
	    get(proxy(1), 40, &a) == 0 && a.a_balance == 4000 &&
	    !(a.a_flags & LEDGER_ACCOUNT_CLOSED),
	    "cashout expecting another balance: STATE, nothing taken");
	n = cashout(40, 4000, 4, rec, 1, &lr);
	T(n == LEDGER_OK &&
	    lr.lr_amount == 4000, "cashout of 4000 msat as 4 sat: taken (%s)", ledger_strerror(n));
	T(get(proxy(1), 40, &a) == 0 && a.a_balance == 0 &&
	    (a.a_flags & LEDGER_ACCOUNT_CLOSED), "the account is closed");
	T(record_state(rec, blob, sizeof(blob)) == LEDGER_REFUND_READY &&
	    strcmp(blob, "cashuBtoken-of-the-test") == 0,
	    "the token is kept, READY, for the proxy to read");
	T(cashout(40, 0, 0, rec, 2, &lr) == LEDGER_CLOSED,
	    "cash out again: CLOSED");
	T(redeem(40, REDEEM_CREDIT, 212, 1, 1000, NULL, &lr) ==
	    LEDGER_CLOSED, "redeem into the closed account: CLOSED");

	memset(&rr, 0, sizeof(rr));
	memcpy(rr.rf_token, rec, sizeof(rr.rf_token));
	rr.rf_from = LEDGER_REFUND_READY;
	rr.rf_state = LEDGER_REFUND_TAKEN;
	T(call_lr(proxy(2), IMSG_LEDGER_REFUND_CAS, &rr, sizeof(rr), &lr) ==
	    LEDGER_OK && record_state(rec, blob, sizeof(blob)) ==
	    LEDGER_REFUND_TAKEN, "a proxy marks it TAKEN");

	/* X-Cashu: the record is INFLIGHT from the redemption on. */
	memset(rec2, 0x41, sizeof(rec2));
	T(redeem(43, REDEEM_ANY, 220, 1, 2500, rec2, &lr) == LEDGER_OK &&
	    record_state(rec2, blob, sizeof(blob)) == LEDGER_REFUND_INFLIGHT,
	    "X-Cashu: redeemed, its record INFLIGHT");
	T(cashout(43, 2500, 2, rec2, 3, &lr) == LEDGER_OK &&
	    record_state(rec2, blob, sizeof(blob)) == LEDGER_REFUND_READY,
	    "its change: the record READY with the token");
	T(redeem(44, REDEEM_ANY, 221, 1, 500, rec2, &lr) == LEDGER_EXISTS &&
	    get(proxy(1), 44, &a) == LEDGER_NOTFOUND,
	    "a record that exists: EXISTS, nothing spent or made");
	memset(rec2, 0x42, sizeof(rec2));
	T(redeem(45, REDEEM_ANY, 222, 1, 900, rec2, &lr) == LEDGER_OK &&
	    cashout(45, 900, 0, rec2, 4, &lr) == LEDGER_OK &&
	    record_state(rec2, blob, sizeof(blob)) == LEDGER_REFUND_NONE,
	    "change under a sat: no token, the record NONE");
}

/*
 * IMSG_LEDGER_WALLET_REDEEM of n proofs (ids first .. first + n - 1 under
 * the mint 0x77...) into account.
 */
static int
wredeem(int account, int mode, int first, int n, uint64_t msat,
    const uint8_t *record, struct ipc_ledger_reply *lr)
{
	unsigned char		 buf[sizeof(struct ipc_redeem) +
				    4 * (sizeof(struct ipc_proof) + 40)];
	struct ipc_redeem	 rd;
	struct ipc_proof	 pr;
	size_t			 len;
	int			 i;

	memset(&rd, 0, sizeof(rd));
	key(rd.rd_key, account);
	rd.rd_amount = msat;
	rd.rd_mode = mode;
	rd.rd_nys = n;
	if (record != NULL) {
		memcpy(rd.rd_record, record, sizeof(rd.rd_record));
		rd.rd_has_record = 1;
	}
	strlcpy(rd.rd_unit, "sat", sizeof(rd.rd_unit));
	strlcpy(rd.rd_mint, "http://other.example", sizeof(rd.rd_mint));
	memcpy(buf, &rd, sizeof(rd));
	len = sizeof(rd);
	for (i = 0; i < n; i++) {
		memset(&pr, 0, sizeof(pr));
		memset(pr.p_mint, 0x77, sizeof(pr.p_mint));
		pr.p_keyset[0] = 0x00;
		pr.p_keyset[1] = 0x42;
		pr.p_id[0] = first + i;
		pr.p_bloblen = 40;
		memcpy(buf + len, &pr, sizeof(pr));
		len += sizeof(pr);
		memset(buf + len, first + i, 40);	/* the sealed proof */
		len += 40;
	}
	return (call_lr(mint(), IMSG_LEDGER_WALLET_REDEEM, buf, len, lr));
}

/* The wallet's proofs of the mint 0x77...: how many, blobs as stored. */
static int
wproofs(void)
{
	struct ipc_proof	 pr;
	struct imsg		 imsg;
	uint8_t			 blob[40], want[40];
	uint32_t		 id = nextid++;
	int			 n = 0;

	memset(&pr, 0, sizeof(pr));
	memset(pr.p_mint, 0x77, sizeof(pr.p_mint));
	pr.p_any_keyset = 1;
	if (harness_send(mint(), IMSG_LEDGER_PROOF_WALK, id, -1, &pr,
	    sizeof(pr)) == -1)
		return (-1);
	for (;;) {
		if (harness_recv(mint(), &imsg, WAIT) == -1)
			return (-1);
		if (imsg_get_type(&imsg) != IMSG_LEDGER_PROOF) {
			harness_free_msg(&imsg);
			return (n);
		}
		memset(want, 0, sizeof(want));
		if (imsg_get_buf(&imsg, &pr, sizeof(pr)) == -1 ||
		    pr.p_bloblen != sizeof(blob) ||
		    imsg_get_buf(&imsg, blob, sizeof(blob)) == -1 ||
		    (memset(want, pr.p_id[0], sizeof(want)),
		    memcmp(blob, want, sizeof(blob)) != 0))
			n = -1000;
		n++;
		harness_free_msg(&imsg);
	}
}

/*
 * A foreign token swapped by the wallet: its new proofs stored and the
 * account created or credited in one transaction; proofs kept when the
 * account refuses them.
 */
static void
test_wallet_redeem(void)
{
	struct ipc_ledger_reply	 lr;
	struct ipc_account	 a;
	uint8_t			 rec[IPC_KEY_LEN];
	char			 blob[16];

	T(wredeem(60, REDEEM_CREATE, 1, 2, 63000, NULL, &lr) == LEDGER_OK &&
	    lr.lr_balance == 63000 && get(proxy(0), 60, &a) == 0 &&
	    a.a_balance == 63000 && strcmp(a.a_mint, "http://other.example") ==
	    0, "wallet redeem: a new account of 63000, the token's mint");
	T(wproofs() == 2, "... and its 2 proofs stored as sealed");
	T(wredeem(60, REDEEM_CREDIT, 3, 1, 1000, NULL, &lr) == LEDGER_OK &&
	    lr.lr_balance == 64000, "wallet redeem: credit, 64000");
	T(wredeem(60, REDEEM_CREATE, 4, 1, 1000, NULL, &lr) == LEDGER_EXISTS &&
	    get(proxy(0), 60, &a) == 0 && a.a_balance == 64000,
	    "create an account that exists: EXISTS, nothing credited ...");
	T(wproofs() == 4, "... but the swapped proof is kept");
	T(wredeem(61, REDEEM_CREDIT, 5, 1, 1000, NULL, &lr) ==
	    LEDGER_NOTFOUND && wproofs() == 5,
	    "credit an account that is not there: NOTFOUND, proof kept");
	T(wredeem(62, REDEEM_ANY, 5, 1, 1000, NULL, &lr) == LEDGER_EXISTS &&
	    get(proxy(0), 62, &a) == LEDGER_NOTFOUND && wproofs() == 5,
	    "a proof stored before: EXISTS, no account made");
	memset(rec, 0x61, sizeof(rec));
	T(wredeem(63, REDEEM_ANY, 6, 1, 2000, rec, &lr) == LEDGER_OK &&
	    record_state(rec, blob, sizeof(blob)) == LEDGER_REFUND_INFLIGHT,
	    "X-Cashu: redeemed, its record INFLIGHT");
}

/* Each forbidden request stops the ledger, which says who sent it. */
static void
test_bad(const char *what, int from_mint, uint32_t type, const void *d,
    size_t len)
{
	int	 status;

	if (!T(start() == 0, "%s: the ledger starts", what))
		return;
	harness_send(from_mint ? mint() : proxy(0), type, nextid++, -1, d,
	    len);
	status = harness_reap(&h, WAIT);
	T(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 1,
	    "%s: the ledger exits 1", what);
	harness_close(&h);
}

static void
test_group_commit(void)
{
	struct ipc_credit	 c;
	struct ipc_status	 st;
	struct imsg		 imsg;
	unsigned long long	 reqs = 0, commits = 0;
	int			 i, got = 0, p;

	T(create(proxy(0), 2, 0) == LEDGER_OK, "an empty account");
	memset(&c, 0, sizeof(c));
	key(c.c_key, 2);
	c.c_amount = 1;
	c.c_reason = LEDGER_R_TOPUP;
	for (p = 0; p < NPROXIES; p++)
		for (i = 0; i < 250; i++)
			imsg_compose(proxy(p), IMSG_LEDGER_CREDIT, nextid++, 0,
			    -1, &c, sizeof(c));
	for (p = 0; p < NPROXIES; p++)
		imsgbuf_flush(proxy(p));
	for (p = 0; p < NPROXIES; p++)
		for (i = 0; i < 250; i++) {
			if (harness_recv(proxy(p), &imsg, WAIT) == -1)
				break;
			got++;
			harness_free_msg(&imsg);
		}
	T(got == 1000, "1000 pipelined credits from 4 proxies answered");
	harness_send(&h.h_parent, IMSG_CTL_SHOW_STATUS, 77, -1, NULL, 0);
	if (harness_recv(&h.h_parent, &imsg, WAIT) == 0) {
		if (imsg_get_data(&imsg, &st, sizeof(st)) == 0)
			sscanf(st.s_state, "ready, %llu requests in %llu",
			    &reqs, &commits);
		harness_free_msg(&imsg);
	}
	printf("# %llu requests in %llu commits\n", reqs, commits);
	T(commits > 0 && commits * 4 < reqs,
	    "group commit: far fewer commits than requests");
}

/*
 * Several processes race on one account: credits, reservations settled
 * or released, now and then a refund.  Each counts what the ledger said
 * it did; the sums must agree with the account, and the audit hold.
 */
static void
test_race(void)
{
	struct ipc_ledger_report rp;
	struct ipc_account	 a;
	uint64_t		 sums[3] = { 0 }, s[3];
	pid_t			 pids[NPROXIES];
	int			 fds[2], p, status, allok = 1;

	T(create(proxy(0), 3, 1000000) == LEDGER_OK, "race: the account");
	if (pipe(fds) == -1)
		return;
	for (p = 0; p < NPROXIES; p++) {
		if ((pids[p] = fork()) == 0) {
			uint64_t	 id, v, out[3] = { 0 };
			int		 i, rv;

			close(fds[0]);
			srandom(getpid());
			for (i = 0; i < 150; i++) {
				switch (random() % 8) {
				case 0:
					v = random() % 5000;
					if (credit(proxy(p), 3, v, NULL) ==
					    LEDGER_OK)
						out[0] += v;
					break;
				case 1:
					if (p == 0 && i == 140 &&
					    refund(proxy(p), 3, &v) ==
					    LEDGER_OK)
						out[2] += v;
					break;
				default:
					rv = reserve(proxy(p), 3,
					    random() % 20000 + 1, &id);
					if (rv != LEDGER_OK)
						break;
					if (random() % 4 == 0)
						release(proxy(p), id);
					else if (settle(proxy(p), id,
					    random() % 30000, &v) == LEDGER_OK)
						out[1] += v;
					break;
				}
			}
			if (write(fds[1], out, sizeof(out)) != sizeof(out))
				_exit(2);
			_exit(0);
		}
	}
	close(fds[1]);
	for (p = 0; p < NPROXIES; p++) {
		if (read(fds[0], s, sizeof(s)) != sizeof(s))
			allok = 0;
		sums[0] += s[0];
		sums[1] += s[1];
		sums[2] += s[2];
		waitpid(pids[p], &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			allok = 0;
	}
	close(fds[0]);
	T(allok, "race: 4 processes ran 600 operations");
	T(audit(&rp) == 0, "race: the audit finds no problem");
	T(get(proxy(0), 3, &a) == 0 && a.a_reserved == 0,
	    "race: nothing left reserved");
	printf("# race: charged %llu, refunded %llu, balance %llu, "
	    "spent %llu\n", (unsigned long long)sums[1],
	    (unsigned long long)sums[2], (unsigned long long)a.a_balance,
	    (unsigned long long)a.a_spent);
	T(a.a_spent == sums[1], "race: the account spent what was charged");
	T(a.a_balance == 1000000 + sums[0] - sums[1] - sums[2],
	    "race: balance = start + credits - charges - refund");
}

/*
 * kill -9 in a write storm: every account whose creation was answered
 * is there after recovery, whole; the others are there whole or not at
 * all; the audit holds.
 */
static void
test_crash(int round)
{
	struct ipc_ledger_report rp;
	struct ipc_account	 a, acc;
	struct imsg		 imsg;
	struct pollfd		 pfd;
	uint8_t			*acked;
	int			 sent = 0, recvd = 0, i, n, base, bad = 0;
	int			 window = 64, killed = 0;
	long			 kill_at;
	struct timespec		 t0, t;

	base = 100000 * (round + 1);
	if ((acked = calloc(20000, 1)) == NULL)
		return;
	kill_at = 20 + random() % 200;		/* ms into the storm */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(&a, 0, sizeof(a));
	strlcpy(a.a_unit, "sat", sizeof(a.a_unit));
	while (!killed && sent < 20000) {
		while (sent - recvd < window && sent < 20000) {
			key(a.a_key, base + sent);
			a.a_balance = sent + 1;
			imsg_compose(proxy(0), IMSG_LEDGER_ACCOUNT_CREATE,
			    sent + 1, 0, -1, &a, sizeof(a));
			sent++;
		}
		imsgbuf_flush(proxy(0));
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 +
		    (t.tv_nsec - t0.tv_nsec) / 1000000 >= kill_at) {
			/* Right after a window went out: some in flight. */
			kill(h.h_pid, SIGKILL);
			killed = 1;
		}
		pfd.fd = proxy(0)->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 10) > 0 && imsgbuf_read(proxy(0)) == 1) {
			while (imsg_get(proxy(0), &imsg) > 0) {
				struct ipc_ledger_reply	 lr;

				n = imsg_get_id(&imsg);
				if (imsg_get_data(&imsg, &lr, sizeof(lr)) ==
				    0 && lr.lr_error == LEDGER_OK && n > 0 &&
				    n <= 20000)
					acked[n - 1] = 1;
				recvd++;
				imsg_free(&imsg);
			}
		}
	}
	harness_reap(&h, WAIT);
	harness_close(&h);
	n = 0;
	for (i = 0; i < sent; i++)
		n += acked[i];
	printf("# crash round %d: killed after %ld ms, %d sent, %d answered\n",
	    round, kill_at, sent, n);
	if (!T(start() == 0, "crash %d: recovery and restart", round)) {
		free(acked);
		return;
	}
	for (i = 0; i < sent; i++) {
		int	 rv = get(proxy(i % NPROXIES), base + i, &acc);

		if (acked[i] && (rv != 0 || acc.a_balance != (uint64_t)i + 1))
			bad++;
		if (!acked[i] && rv != LEDGER_NOTFOUND &&
		    (rv != 0 || acc.a_balance != (uint64_t)i + 1))
			bad++;
	}
	T(bad == 0, "crash %d: every answered account is there, whole; no "
	    "half-applied one", round);
	T(audit(&rp) == 0, "crash %d: the audit holds", round);
	free(acked);
}

static int
rm_rf(const char *path)
{
	char	 cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	return (system(cmd));
}

int
main(void)
{
	struct ipc_ledger_report rp;
	struct ipc_credit	 c;
	struct ipc_account	 a;
	int			 round;

	signal(SIGPIPE, SIG_IGN);
	srandom(getpid());
	strlcpy(dir, "/tmp/test_ledgerd.XXXXXX", sizeof(dir));
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return (1);
	}
	snprintf(dbdir, sizeof(dbdir), "%s/db", dir);
	mkdir(dbdir, 0700);

	if (T(start() == 0, "ledgerd starts with 4 proxies and a mint")) {
		test_accounts();
		test_mint();
		test_mint_ctl();
		test_group_commit();
		test_race();
		T(audit(&rp) == 0 && rp.rp_accounts == 3,
		    "the audit: 3 accounts, no problem");
		test_payments();
		test_wallet_redeem();
		T(audit(&rp) == 0, "the audit after payments: no problem");
		stop();
	}

	/* What it knew survives a clean restart. */
	if (T(start() == 0, "ledgerd restarts")) {
		T(get(proxy(0), 2, &a) == 0 && a.a_balance == 1000,
		    "the 1000 credits are still there");
		stop();
	}

	memset(&c, 0, sizeof(c));
	c.c_reason = LEDGER_R_TOPUP;
	test_bad("a credit from the mint", 1, IMSG_LEDGER_CREDIT, &c,
	    sizeof(c));
	test_bad("Ys from a proxy", 0, IMSG_LEDGER_YS_STATE, &c, sizeof(c));
	test_bad("a short credit", 0, IMSG_LEDGER_CREDIT, &c, 5);
	c.c_reason = 77;
	test_bad("a credit with no reason", 0, IMSG_LEDGER_CREDIT, &c,
	    sizeof(c));
	{
		struct ipc_ys	 ys;

		memset(&ys, 0, sizeof(ys));
		ys.yh_n = 5;		/* but no Y follows */
		test_bad("5 Ys announced, none sent", 1, IMSG_LEDGER_YS_PEND,
		    &ys, sizeof(ys));
		ys.yh_n = IPC_BATCH_MAX + 1;
		test_bad("too many Ys", 1, IMSG_LEDGER_YS_PEND, &ys,
		    sizeof(ys));
	}
	{
		unsigned char	 buf[sizeof(struct ipc_swap_commit) +
				    sizeof(struct ipc_input)];
		struct ipc_swap_commit	 sc = { 1, 0 };
		struct ipc_input	 in;

		memset(&in, 0, sizeof(in));	/* no keyset */
		memcpy(buf, &sc, sizeof(sc));
		memcpy(buf + sizeof(sc), &in, sizeof(in));
		test_bad("a swap input without its keyset", 1,
		    IMSG_LEDGER_SWAP, buf, sizeof(buf));
		test_bad("a swap of bare Ys", 1, IMSG_LEDGER_SWAP, buf,
		    sizeof(sc) + IPC_Y_LEN);
		test_bad("mint show from the mint", 1, IMSG_CTL_MINT_SHOW,
		    NULL, 0);
	}
	{
		unsigned char	 buf[sizeof(struct ipc_cashout) +
				    sizeof(struct ipc_issued) + 8];
		struct ipc_cashout	 co;
		struct ipc_issued	 iss;
		struct ipc_redeem	 rd;
		struct ipc_refund	 rr;

		memset(&rd, 0, sizeof(rd));
		rd.rd_mode = REDEEM_ANY;
		test_bad("a redeem from a proxy", 0, IMSG_LEDGER_REDEEM, &rd,
		    sizeof(rd));
		test_bad("a redeem of no inputs", 1, IMSG_LEDGER_REDEEM, &rd,
		    sizeof(rd));
		rd.rd_amount = 1000;
		rd.rd_nys = 1;		/* but no proof follows */
		test_bad("a wallet redeem from a proxy", 0,
		    IMSG_LEDGER_WALLET_REDEEM, &rd, sizeof(rd));
		test_bad("a wallet redeem without its proof", 1,
		    IMSG_LEDGER_WALLET_REDEEM, &rd, sizeof(rd));
		rd.rd_nys = 0;
		memset(&co, 0, sizeof(co));
		co.co_expect = 1999;
		co.co_nissued = 1;
		co.co_bloblen = 8;
		memset(&iss, 0, sizeof(iss));
		iss.i_keyset_len = 1;
		iss.i_amount = 2;
		memcpy(buf, &co, sizeof(co));
		memcpy(buf + sizeof(co), &iss, sizeof(iss));
		memcpy(buf + sizeof(co) + sizeof(iss), "cashuBxx", 8);
		test_bad("a cashout worth more than the balance", 1,
		    IMSG_LEDGER_CASHOUT, buf, sizeof(buf));
		memset(&rr, 0, sizeof(rr));
		rr.rf_from = LEDGER_REFUND_INFLIGHT;
		rr.rf_state = LEDGER_REFUND_READY;
		test_bad("a proxy sets a refund record READY", 0,
		    IMSG_LEDGER_REFUND_CAS, &rr, sizeof(rr));
	}
	test_bad("a message for the parent only", 0, IMSG_CONF_LEDGER, NULL,
	    0);
	test_bad("an unknown message type", 0, IMSG_MAX + 10, NULL, 0);

	for (round = 0; round < 5; round++) {
		if (!T(start() == 0, "crash %d: the ledger starts", round))
			break;
		test_crash(round);
		stop();
	}

	/* A database that cannot be opened stops ledgerd, saying why. */
	{
		char	 path[PATH_MAX + 32];
		int	 fd, status;

		snprintf(path, sizeof(path), "%s/accounts.db", dbdir);
		if ((fd = open(path, O_WRONLY | O_TRUNC)) != -1) {
			T(write(fd, "this is not a database", 22) == 22,
			    "damage the accounts table");
			close(fd);
		}
		start();
		status = harness_reap(&h, WAIT);
		T(status != -1 && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 1,
		    "a damaged database: ledgerd exits 1");
		T(harness_log_has(&h, "restore it from a backup"),
		    "and says to restore a backup");
		harness_close(&h);
	}

	if (getenv("KEEP") == NULL && rm_rf(dir) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return (test_done());
}
