/*
 * test_ledger_hold: ledgerd never answers a request that moved money
 * before its commit is on disk.  ledgerd runs on a slow disk
 * (slowsync.so, preloaded: every sync of its log takes SYNC_MS) and this
 * test plays its parent and proxies.  A batch's replies wait for its
 * asynchronous sync; a reservation is answered while a sync is under
 * way; a read waits for what it saw; a batch committed during a sync
 * waits for the next one; a lone request is answered after its inline
 * sync; a stop during a sync still answers the replies it held.
 *
 * No reply may come before SYNC_MS / 2 (it cannot before SYNC_MS); each
 * must come within SYNC_MS + SLACK_MS: a loaded machine only delays.
 * Times are taken when a reply is read, so while the test waits for a
 * sync to start it also checks that no reply came meanwhile.
 */

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <limits.h>
#include <libgen.h>
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
#include "test.h"

#define NPROXIES	2
#define SYNC_MS		1000	/* what every sync of the log takes */
#define SLACK_MS	5000	/* how late a reply may be on a busy box */
#define EARLY_MS	(SYNC_MS / 2)	/* before this, no held reply */
#define WAIT		10000
#define START		1000000	/* every account's first balance */
#define NBATCH		5	/* requests sent in one write */
#define HELD		"slowsync: fdsync "	/* + n + " of fd " ... */
#define HELD_AIO	" held for "
#define SLOWED		"slowsync: fdatasync of fd "

static struct harness	 h;
static char		 dir[PATH_MAX];
static char		 dbdir[PATH_MAX + 8];
static char		 logpath[PATH_MAX + 8];
static char		 env_preload[PATH_MAX + 32];
static char		 env_ms[64];
static char		 env_asan[1024];
static uint32_t		 nextid = 1;

static int	 start(void);
static struct imsgbuf *proxy(int);
static double	 ms_since(const struct timespec *);
static int	 log_count(const char *, const char *);
static int	 log_wait(const char *, const char *, int, int);
static int	 nheld(void);
static int	 nslowed(void);
static void	 key(uint8_t *, int);
static uint32_t	 send_batch(struct imsgbuf *, uint32_t, const void *, size_t,
		    int);
static int	 collect(struct imsgbuf *, uint32_t, int, uint32_t,
		    struct ipc_ledger_reply *, const struct timespec *,
		    double *, double *);
static int	 credit_batch(struct imsgbuf *, int, uint64_t, int,
		    uint32_t *);
static int	 get(struct imsgbuf *, int, struct ipc_account *,
		    const struct timespec *, double *);
static int	 quiet(struct imsgbuf *);
static void	 idle(void);
static int	 seccomp_mode(pid_t);
static int	 shim_path(char *, size_t);
static void	 test_settles(void);
static void	 test_reserve(void);
static void	 test_read(void);
static void	 test_two(void);
static void	 test_lone(void);
static void	 test_shutdown(void);

static struct imsgbuf *
proxy(int i)
{
	return (&harness_peer(&h, PROC_PROXY, i)->hp_ibuf);
}

static int
start(void)
{
	struct ipc_conf_ledger	 cl;
	char			*env[] = { env_preload, env_ms, env_asan,
				    NULL };
	int			 inst[PROC_MAX] = { 0 };

	inst[PROC_PROXY] = NPROXIES;
	inst[PROC_MINT] = 1;
	if (harness_spawn_env(&h, "ledgerd/ledgerd", PROC_LEDGER, logpath,
	    env) == -1 ||
	    harness_start(&h, inst, dbdir) == -1)
		return (-1);
	memset(&cl, 0, sizeof(cl));
	strlcpy(cl.cl_dbdir, dbdir, sizeof(cl.cl_dbdir));
	if (harness_send(&h.h_parent, IMSG_CONF_LEDGER, 0, -1, &cl,
	    sizeof(cl)) == -1)
		return (-1);
	return (harness_ready(&h));
}

static double
ms_since(const struct timespec *t0)
{
	struct timespec	 t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return ((t.tv_sec - t0->tv_sec) * 1000.0 +
	    (t.tv_nsec - t0->tv_nsec) / 1e6);
}

/* Lines of ledgerd's log with both strings in this order. */
static int
log_count(const char *a, const char *b)
{
	char	 line[1024];
	FILE	*f;
	char	*p;
	int	 n = 0;

	if ((f = fopen(logpath, "r")) == NULL)
		return (0);
	while (fgets(line, sizeof(line), f) != NULL)
		if ((p = strstr(line, a)) != NULL &&
		    (b == NULL || strstr(p, b) != NULL))
			n++;
	fclose(f);
	return (n);
}

/* Until there are n such lines: 0, or -1 after ms. */
static int
log_wait(const char *a, const char *b, int n, int ms)
{
	struct timespec	 t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (log_count(a, b) < n) {
		if (ms_since(&t0) > ms)
			return (-1);
		usleep(2000);
	}
	return (0);
}

/* The asynchronous syncs submitted so far, the inline ones slowed. */
static int
nheld(void)
{
	return (log_count(HELD, HELD_AIO));
}

static int
nslowed(void)
{
	return (log_count(SLOWED, NULL));
}

static void
key(uint8_t *k, int n)
{
	memset(k, 0, IPC_KEY_LEN);
	snprintf((char *)k, IPC_KEY_LEN, "hold-%d", n);
}

/*
 * n requests of one type in one write, so that ledgerd reads them in
 * one go and commits them in one batch; d holds n payloads of len.
 * The first id.
 */
static uint32_t
send_batch(struct imsgbuf *ib, uint32_t type, const void *d, size_t len,
    int n)
{
	uint32_t	 first = nextid;
	int		 i;

	for (i = 0; i < n; i++)
		if (imsg_compose(ib, type, nextid++, 0, -1,
		    (const char *)d + i * len, len) == -1)
			return (0);
	if (imsgbuf_flush(ib) == -1)
		return (0);
	return (first);
}

/*
 * n replies of type, ids first.. in order; the time of the first and the
 * last since t0.  How many came right.
 */
static int
collect(struct imsgbuf *ib, uint32_t first, int n, uint32_t type,
    struct ipc_ledger_reply *lr, const struct timespec *t0, double *tfirst,
    double *tlast)
{
	struct imsg	 imsg;
	int		 i, ok = 0;

	memset(lr, 0, n * sizeof(*lr));
	*tfirst = *tlast = -1;
	for (i = 0; i < n; i++) {
		if (harness_recv(ib, &imsg, SYNC_MS + SLACK_MS) == -1)
			break;
		*tlast = ms_since(t0);
		if (i == 0)
			*tfirst = *tlast;
		if (imsg_get_id(&imsg) == first + i &&
		    imsg_get_type(&imsg) == type &&
		    imsg_get_data(&imsg, &lr[i], sizeof(lr[i])) == 0)
			ok++;
		harness_free_msg(&imsg);
	}
	return (ok);
}

/* n credits of amount to account acct in one write; the first id. */
static int
credit_batch(struct imsgbuf *ib, int acct, uint64_t amount, int n,
    uint32_t *first)
{
	struct ipc_credit	 c[NBATCH];
	int			 i;

	if (n > NBATCH)
		return (-1);
	memset(c, 0, sizeof(c));
	for (i = 0; i < n; i++) {
		key(c[i].c_key, acct);
		c[i].c_amount = amount;
		c[i].c_reason = LEDGER_R_TOPUP;
	}
	*first = send_batch(ib, IMSG_LEDGER_CREDIT, c, sizeof(c[0]), n);
	return (*first == 0 ? -1 : 0);
}

/* An account's state, and when it came since t0. */
static int
get(struct imsgbuf *ib, int acct, struct ipc_account *a,
    const struct timespec *t0, double *t)
{
	struct ipc_key	 k;
	struct imsg	 imsg;
	uint32_t	 id = nextid++;
	int		 rv = -1;

	key(k.k_key, acct);
	if (harness_send(ib, IMSG_LEDGER_ACCOUNT_GET, id, -1, &k,
	    sizeof(k)) == -1 ||
	    harness_recv(ib, &imsg, SYNC_MS + SLACK_MS) == -1)
		return (-1);
	*t = ms_since(t0);
	if (imsg_get_id(&imsg) == id &&
	    imsg_get_type(&imsg) == IMSG_LEDGER_ACCOUNT &&
	    imsg_get_data(&imsg, a, sizeof(*a)) == 0)
		rv = 0;
	harness_free_msg(&imsg);
	return (rv);
}

/* Nothing to read on the channel now: 1. */
static int
quiet(struct imsgbuf *ib)
{
	struct pollfd	 pfd;
	struct imsg	 imsg;
	ssize_t		 n;

	if ((n = imsg_get(ib, &imsg)) > 0) {
		imsg_free(&imsg);
		return (0);
	}
	pfd.fd = ib->fd;
	pfd.events = POLLIN;
	return (n == 0 && poll(&pfd, 1, 0) == 0);
}

/* Seccomp: in /proc/pid/status (2: a filter), or -1. */
static int
seccomp_mode(pid_t pid)
{
	char	 path[64], line[256];
	FILE	*f;
	int	 mode = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "Seccomp: %d", &mode) == 1)
			break;
	fclose(f);
	return (mode);
}

/*
 * Between tests: every sync submitted has ended and nothing is left
 * unread, so that a test's times are its own.
 */
static void
idle(void)
{
	struct imsg	 imsg;
	struct timespec	 t0;
	int		 i, n = 0, still = 0;

	/* Twice in a row: the end of one may start the next. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (still < 2) {
		if (ms_since(&t0) > 2 * SYNC_MS + SLACK_MS) {
			printf("# a sync did not end\n");
			break;
		}
		still = log_count(HELD, " done") >= nheld() ? still + 1 : 0;
		usleep(20000);
	}
	for (i = 0; i < NPROXIES; i++)
		while (harness_recv(proxy(i), &imsg, 0) == 0) {
			harness_free_msg(&imsg);
			n++;
		}
	if (n > 0)
		printf("# %d stray messages dropped\n", n);
}

/* slowsync.so next to this program (built with it). */
static int
shim_path(char *buf, size_t len)
{
	char	 exe[PATH_MAX];
	ssize_t	 n;

	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) <= 0)
		return (-1);
	exe[n] = '\0';
	if ((size_t)snprintf(buf, len, "%s/slowsync.so", dirname(exe)) >=
	    len || access(buf, R_OK) == -1)
		return (-1);
	return (0);
}

/* 1. Settles sent together: one batch, one sync, held until it ends. */
static void
test_settles(void)
{
	struct ipc_reserve	 rs;
	struct ipc_settle	 st[NBATCH];
	struct ipc_ledger_reply	 lr[NBATCH];
	struct imsg		 imsg;
	struct timespec		 t0;
	double			 tf = -1, tl = -1;
	uint64_t		 ids[NBATCH], sum = 0;
	uint32_t		 first;
	int			 i, n, ok = 1, held, slowed;

	idle();

	/* Reservations alone are answered at once: no sync. */
	memset(&rs, 0, sizeof(rs));
	key(rs.r_key, 1);
	rs.r_amount = 10000;
	rs.r_deadline = time(NULL) + 300;
	for (i = 0; i < NBATCH; i++) {
		ids[i] = 0;
		if (harness_send(proxy(0), IMSG_LEDGER_RESERVE, nextid++, -1,
		    &rs, sizeof(rs)) == -1 ||
		    harness_recv(proxy(0), &imsg, WAIT) == -1) {
			ok = 0;
			break;
		}
		if (imsg_get_data(&imsg, &lr[0], sizeof(lr[0])) == 0 &&
		    lr[0].lr_error == LEDGER_OK)
			ids[i] = lr[0].lr_id;
		else
			ok = 0;
		harness_free_msg(&imsg);
	}
	T(ok, "settles: %d reservations made", NBATCH);

	memset(st, 0, sizeof(st));
	for (i = 0; i < NBATCH; i++) {
		st[i].s_id = ids[i];
		st[i].s_actual = 1000 * (i + 1);
	}
	held = nheld();
	slowed = nslowed();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	first = send_batch(proxy(0), IMSG_LEDGER_SETTLE, st, sizeof(st[0]),
	    NBATCH);
	n = collect(proxy(0), first, NBATCH, IMSG_LEDGER_REPLY, lr, &t0, &tf,
	    &tl);
	T(n == NBATCH, "settles: %d replies, in order", NBATCH);
	printf("# settles: replies after %.0f to %.0f ms\n", tf, tl);
	T(tf >= EARLY_MS, "settles: no reply before %d ms (first %.0f ms)",
	    EARLY_MS, tf);
	T(tl >= 0 && tl <= SYNC_MS + SLACK_MS,
	    "settles: all replies within %d ms (last %.0f ms)",
	    SYNC_MS + SLACK_MS, tl);
	ok = 1;
	for (i = 0; i < NBATCH; i++) {
		sum += st[i].s_actual;
		if (lr[i].lr_error != LEDGER_OK ||
		    lr[i].lr_amount != st[i].s_actual ||
		    lr[i].lr_balance != START - sum)
			ok = 0;
	}
	T(ok, "settles: each charged, the balance down to %llu",
	    (unsigned long long)(START - sum));
	T(nheld() == held + 1 && nslowed() == slowed,
	    "settles: one asynchronous sync for the batch, no inline one");
}

/* 2. A reservation while a sync is under way is answered at once. */
static void
test_reserve(void)
{
	struct ipc_reserve	 rs;
	struct ipc_ledger_reply	 lr[NBATCH], rlr;
	struct imsg		 imsg;
	struct timespec		 t0, t1;
	double			 tr = -1, tf = -1, tl = -1;
	uint32_t		 first, rid;
	int			 ok = 0, held, n;

	idle();

	held = nheld();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (credit_batch(proxy(0), 2, 100, NBATCH, &first) == -1)
		first = 0;
	T(log_wait(HELD, HELD_AIO, held + 1, SLACK_MS) == 0 &&
	    quiet(proxy(0)), "reserve: the credits' sync is under way, "
	    "no reply yet");

	memset(&rs, 0, sizeof(rs));
	key(rs.r_key, 3);
	rs.r_amount = 7000;
	rs.r_deadline = time(NULL) + 300;
	rid = nextid++;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	memset(&rlr, 0, sizeof(rlr));
	/* On the same channel: held behind the credits, it would follow. */
	if (harness_send(proxy(0), IMSG_LEDGER_RESERVE, rid, -1, &rs,
	    sizeof(rs)) == 0 &&
	    harness_recv(proxy(0), &imsg, SYNC_MS + SLACK_MS) == 0) {
		tr = ms_since(&t1);
		ok = imsg_get_id(&imsg) == rid &&
		    imsg_get_type(&imsg) == IMSG_LEDGER_REPLY &&
		    imsg_get_data(&imsg, &rlr, sizeof(rlr)) == 0;
		harness_free_msg(&imsg);
	}
	T(ok, "reserve: its reply comes before the credits' replies");
	T(ok && tr >= 0 && tr < EARLY_MS, "reserve: answered in %.0f ms",
	    tr);
	T(ok && rlr.lr_error == LEDGER_OK && rlr.lr_id != 0 &&
	    rlr.lr_amount == 7000 && rlr.lr_reserved == 7000 &&
	    rlr.lr_balance == START, "reserve: its reply is right");
	n = collect(proxy(0), first, NBATCH, IMSG_LEDGER_REPLY, lr, &t0, &tf,
	    &tl);
	T(n == NBATCH && tf >= EARLY_MS && tl <= SYNC_MS + SLACK_MS,
	    "reserve: the credits answered after the sync (%.0f to %.0f ms)",
	    tf, tl);
	T(lr[NBATCH - 1].lr_error == LEDGER_OK &&
	    lr[NBATCH - 1].lr_balance == START + 100 * NBATCH,
	    "reserve: the credits made");
}

/* 3. A read while a sync is under way waits for it, and sees it all. */
static void
test_read(void)
{
	struct ipc_ledger_reply	 lr[NBATCH];
	struct ipc_account	 a;
	struct timespec		 t0;
	double			 tg = -1, tf = -1, tl = -1;
	uint32_t		 first;
	int			 held, rv, n;

	idle();

	held = nheld();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (credit_batch(proxy(0), 4, 250, NBATCH, &first) == -1)
		first = 0;
	T(log_wait(HELD, HELD_AIO, held + 1, SLACK_MS) == 0 &&
	    quiet(proxy(0)), "read: the credits' sync is under way, "
	    "no reply yet");
	memset(&a, 0, sizeof(a));
	rv = get(proxy(1), 4, &a, &t0, &tg);
	T(rv == 0 && tg >= EARLY_MS && tg <= SYNC_MS + SLACK_MS,
	    "read: the account read waits for the sync (%.0f ms)", tg);
	T(rv == 0 && a.a_balance == START + 250 * NBATCH,
	    "read: and shows the credits (balance %llu)",
	    (unsigned long long)a.a_balance);
	n = collect(proxy(0), first, NBATCH, IMSG_LEDGER_REPLY, lr, &t0, &tf,
	    &tl);
	T(n == NBATCH && tf >= EARLY_MS && tl <= SYNC_MS + SLACK_MS,
	    "read: the credits answered after the sync (%.0f to %.0f ms)",
	    tf, tl);

	/* Nothing pending: a read does not wait (a sync would be longer). */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rv = get(proxy(1), 4, &a, &t0, &tg);
	T(rv == 0 && tg < SYNC_MS && a.a_balance == START + 250 * NBATCH,
	    "read: with nothing pending it is answered at once (%.0f ms)",
	    tg);
}

/* 4. A batch committed during a sync waits for the next sync. */
static void
test_two(void)
{
	struct ipc_ledger_reply	 lr1[NBATCH], lr2[NBATCH];
	struct timespec		 t0;
	double			 tf1 = -1, tl1 = -1, tf2 = -1, tl2 = -1;
	uint32_t		 first1, first2;
	int			 held, n1, n2, q;

	idle();

	held = nheld();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (credit_batch(proxy(0), 1, 10, NBATCH, &first1) == -1)
		first1 = 0;
	T(log_wait(HELD, HELD_AIO, held + 1, SLACK_MS) == 0 &&
	    quiet(proxy(0)), "two: the first batch's sync is under way, "
	    "no reply yet");
	if (credit_batch(proxy(1), 2, 20, NBATCH, &first2) == -1)
		first2 = 0;
	n1 = collect(proxy(0), first1, NBATCH, IMSG_LEDGER_REPLY, lr1, &t0,
	    &tf1, &tl1);
	q = quiet(proxy(1));
	n2 = collect(proxy(1), first2, NBATCH, IMSG_LEDGER_REPLY, lr2, &t0,
	    &tf2, &tl2);
	printf("# two: first batch %.0f to %.0f ms, second %.0f to %.0f ms\n",
	    tf1, tl1, tf2, tl2);
	T(n1 == NBATCH && tf1 >= EARLY_MS && tl1 <= SYNC_MS + SLACK_MS,
	    "two: the first batch answered after the first sync");
	T(q, "two: the second batch not answered with the first");
	T(n2 == NBATCH && tf2 >= SYNC_MS + EARLY_MS &&
	    tl2 <= 2 * SYNC_MS + SLACK_MS,
	    "two: the second batch answered after a second sync "
	    "(%.0f ms >= %d)", tf2, SYNC_MS + EARLY_MS);
	T(nheld() == held + 2, "two: two syncs in all");
	T(lr1[NBATCH - 1].lr_error == LEDGER_OK &&
	    lr2[NBATCH - 1].lr_error == LEDGER_OK &&
	    lr2[NBATCH - 1].lr_balance == START + 100 * NBATCH + 20 * NBATCH,
	    "two: both batches made");
}

/* 5. A lone request is synced inline: its reply comes after that. */
static void
test_lone(void)
{
	struct ipc_ledger_reply	 lr;
	struct timespec		 t0;
	double			 tf = -1, tl = -1;
	uint32_t		 first;
	int			 held, slowed, n;

	idle();

	held = nheld();
	slowed = nslowed();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (credit_batch(proxy(0), 3, 5, 1, &first) == -1)
		first = 0;
	n = collect(proxy(0), first, 1, IMSG_LEDGER_REPLY, &lr, &t0, &tf,
	    &tl);
	T(n == 1 && lr.lr_error == LEDGER_OK && lr.lr_balance == START + 5,
	    "lone: the credit answered");
	T(tf >= EARLY_MS && tf <= SYNC_MS + SLACK_MS,
	    "lone: after the inline sync (%.0f ms)", tf);
	T(nslowed() == slowed + 1 && nheld() == held,
	    "lone: one inline fdatasync, no asynchronous sync");
}

/* 6. Stopped during a sync: the replies it held still go, then it ends. */
static void
test_shutdown(void)
{
	struct ipc_ledger_reply	 lr[NBATCH];
	struct ipc_account	 a;
	struct timespec		 t0;
	double			 tf = -1, tl = -1, tg = -1;
	uint32_t		 first;
	int			 held, status, n;

	idle();

	held = nheld();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (credit_batch(proxy(0), 3, 1000, NBATCH, &first) == -1)
		first = 0;
	T(log_wait(HELD, HELD_AIO, held + 1, SLACK_MS) == 0,
	    "shutdown: the credits' sync is under way");
	T(quiet(proxy(0)), "shutdown: SIGTERM with no reply yet (%.0f ms)",
	    ms_since(&t0));
	kill(h.h_pid, SIGTERM);
	n = collect(proxy(0), first, NBATCH, IMSG_LEDGER_REPLY, lr, &t0, &tf,
	    &tl);
	T(n == NBATCH, "shutdown: the %d held replies delivered", NBATCH);
	T(tf >= EARLY_MS && tl <= SYNC_MS + SLACK_MS,
	    "shutdown: after the sync (%.0f to %.0f ms)", tf, tl);
	T(lr[NBATCH - 1].lr_error == LEDGER_OK &&
	    lr[NBATCH - 1].lr_balance == START + 5 + 1000 * NBATCH,
	    "shutdown: the credits made");
	status = harness_reap(&h, WAIT);
	T(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "shutdown: ledgerd exits 0");
	T(log_count(HELD, " done after a wait") == 1,
	    "shutdown: the sync under way was waited for");
	harness_close(&h);

	if (T(start() == 0, "shutdown: ledgerd restarts")) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		T(get(proxy(0), 3, &a, &t0, &tg) == 0 &&
		    a.a_balance == START + 5 + 1000 * NBATCH,
		    "shutdown: what was answered is there after a restart");
		kill(h.h_pid, SIGTERM);
		harness_reap(&h, WAIT);
	}
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
	struct ipc_account	 a[4];
	struct ipc_ledger_reply	 lr[4];
	struct timespec		 t0;
	const char		*ao;
	char			 shim[PATH_MAX];
	double			 tf = -1, tl = -1;
	uint32_t		 first;
	int			 i;

	signal(SIGPIPE, SIG_IGN);
	strlcpy(dir, "/tmp/test_ledger_hold.XXXXXX", sizeof(dir));
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return (1);
	}
	snprintf(dbdir, sizeof(dbdir), "%s/db", dir);
	snprintf(logpath, sizeof(logpath), "%s/log", dir);
	mkdir(dbdir, 0700);

	if (!T(shim_path(shim, sizeof(shim)) == 0, "slowsync.so is built"))
		goto done;
	snprintf(env_preload, sizeof(env_preload), "LD_PRELOAD=%s", shim);
	snprintf(env_ms, sizeof(env_ms), "SLOWSYNC_MS=%d", SYNC_MS);
	/* Should ledgerd be built with ASan: the shim comes first. */
	ao = getenv("ASAN_OPTIONS");
	snprintf(env_asan, sizeof(env_asan),
	    "ASAN_OPTIONS=%s%sverify_asan_link_order=0", ao ? ao : "",
	    ao && *ao ? ":" : "");

	if (!T(start() == 0, "ledgerd starts on a slow disk") ||
	    !T(harness_log_has(&h, "slowsync: loaded"),
	    "the slow disk is in ledgerd")) {
		harness_close(&h);
		goto done;
	}
	/* What the shim does must pass ledgerd's filter, not a laxer one. */
	T(seccomp_mode(h.h_pid) == 2, "ledgerd runs under its seccomp filter");

	/* The accounts: 4 creations with a balance, one batch. */
	memset(a, 0, sizeof(a));
	for (i = 0; i < 4; i++) {
		key(a[i].a_key, i + 1);
		a[i].a_balance = START;
		strlcpy(a[i].a_unit, "sat", sizeof(a[i].a_unit));
		strlcpy(a[i].a_mint, "https://mint.example.org",
		    sizeof(a[i].a_mint));
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	first = send_batch(proxy(0), IMSG_LEDGER_ACCOUNT_CREATE, a,
	    sizeof(a[0]), 4);
	i = collect(proxy(0), first, 4, IMSG_LEDGER_REPLY, lr, &t0, &tf, &tl);
	T(i == 4 && lr[0].lr_error == LEDGER_OK &&
	    lr[3].lr_error == LEDGER_OK && tf >= EARLY_MS,
	    "4 accounts created, answered after their sync (%.0f ms)", tf);

	test_settles();
	test_reserve();
	test_read();
	test_two();
	test_lone();
	test_shutdown();
	harness_close(&h);

done:
	if (getenv("KEEP") == NULL && rm_rf(dir) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return (test_done());
}
