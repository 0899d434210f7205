/*
 * bench/ledger: settled reservations per second through ledgerd's real
 * channels with durable commits, one request at a time (each is its own
 * commit) against many in flight from several proxies (group commit),
 * in the same run, and their ratio.
 *
 *	obj/bench/ledger [seconds]
 */

#include <sys/types.h>
#include <sys/stat.h>

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

#define NPROXIES	4
#define WINDOW		32	/* operations in flight per proxy */

static struct harness	 h;
static uint8_t		 account[IPC_KEY_LEN] = "bench account";

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

static struct imsgbuf *
proxy(int i)
{
	return (&harness_peer(&h, PROC_PROXY, i)->hp_ibuf);
}

static void
send_reserve(struct imsgbuf *ib, uint32_t id)
{
	struct ipc_reserve	 r;

	memset(&r, 0, sizeof(r));
	memcpy(r.r_key, account, sizeof(r.r_key));
	r.r_amount = 1000;
	r.r_deadline = time(NULL) + 600;
	imsg_compose(ib, IMSG_LEDGER_RESERVE, id, 0, -1, &r, sizeof(r));
}

static void
send_settle(struct imsgbuf *ib, uint32_t id, uint64_t resid)
{
	struct ipc_settle	 s;

	memset(&s, 0, sizeof(s));
	s.s_id = resid;
	s.s_actual = 700;
	imsg_compose(ib, IMSG_LEDGER_SETTLE, id, 0, -1, &s, sizeof(s));
}

/*
 * Ids: odd for a reservation, even for its settlement, so a reply says
 * what to do next.  Returns the settlements done in secs seconds.
 */
static uint64_t
run(int nproxies, int window, double secs)
{
	struct pollfd		 pfd[NPROXIES];
	struct ipc_ledger_reply	 lr;
	struct imsg		 imsg;
	uint64_t		 settled = 0;
	uint32_t		 id = 1;
	double			 end = now() + secs;
	int			 p, i, stopping = 0, inflight = 0;

	for (p = 0; p < nproxies; p++) {
		for (i = 0; i < window; i++) {
			send_reserve(proxy(p), id);
			id += 2;
			inflight++;
		}
		imsgbuf_flush(proxy(p));
		pfd[p].fd = proxy(p)->fd;
		pfd[p].events = POLLIN;
	}
	while (inflight > 0) {
		if (!stopping && now() >= end)
			stopping = 1;
		if (poll(pfd, nproxies, 5000) <= 0)
			break;
		for (p = 0; p < nproxies; p++) {
			if ((pfd[p].revents & POLLIN) == 0)
				continue;
			if (imsgbuf_read(proxy(p)) != 1)
				return (settled);
			while (imsg_get(proxy(p), &imsg) > 0) {
				if (imsg_get_data(&imsg, &lr, sizeof(lr)) ==
				    -1 || lr.lr_error != LEDGER_OK) {
					fprintf(stderr, "ledger error %d\n",
					    lr.lr_error);
					exit(1);
				}
				if (imsg_get_id(&imsg) % 2 == 1)
					send_settle(proxy(p),
					    imsg_get_id(&imsg) + 1, lr.lr_id);
				else {
					settled++;
					if (stopping)
						inflight--;
					else {
						send_reserve(proxy(p), id);
						id += 2;
					}
				}
				imsg_free(&imsg);
			}
			imsgbuf_flush(proxy(p));
		}
	}
	return (settled);
}

int
main(int argc, char *argv[])
{
	struct ipc_conf_ledger	 cl;
	struct ipc_account	 a;
	struct imsg		 imsg;
	char			 dir[] = "/tmp/bench-ledger.XXXXXX", log[64];
	char			 cmd[128];
	int			 inst[PROC_MAX] = { 0 };
	double			 secs = 5, t0, serial, grouped;
	uint64_t		 n1, n2;

	if (argc > 1)
		secs = atof(argv[1]);
	signal(SIGPIPE, SIG_IGN);
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return (1);
	}
	snprintf(log, sizeof(log), "%s/log", dir);
	inst[PROC_PROXY] = NPROXIES;
	inst[PROC_MINT] = 1;
	inst[PROC_RELAY] = 1;
	memset(&cl, 0, sizeof(cl));
	strlcpy(cl.cl_dbdir, dir, sizeof(cl.cl_dbdir));
	if (harness_spawn(&h, "ledgerd/ledgerd", PROC_LEDGER, log) == -1 ||
	    harness_start(&h, inst, dir) == -1 ||
	    harness_send(&h.h_parent, IMSG_CONF_LEDGER, 0, -1, &cl,
	    sizeof(cl)) == -1 || harness_ready(&h) == -1) {
		fprintf(stderr, "ledgerd did not start (see %s)\n", log);
		return (1);
	}
	memset(&a, 0, sizeof(a));
	memcpy(a.a_key, account, sizeof(a.a_key));
	a.a_balance = UINT64_MAX / 2;
	strlcpy(a.a_unit, "sat", sizeof(a.a_unit));
	harness_send(proxy(0), IMSG_LEDGER_ACCOUNT_CREATE, 1, -1, &a,
	    sizeof(a));
	if (harness_recv(proxy(0), &imsg, 10000) == -1)
		return (1);
	imsg_free(&imsg);

	printf("ledgerd, durable commits (fsync), reserve + settle pairs, "
	    "%.0f s each:\n", secs);
	t0 = now();
	n1 = run(1, 1, secs);
	serial = n1 / (now() - t0);
	printf("  one request at a time:             %10.0f settles/s\n",
	    serial);
	t0 = now();
	n2 = run(NPROXIES, WINDOW, secs);
	grouped = n2 / (now() - t0);
	printf("  %d proxies x %d in flight (group): %10.0f settles/s\n",
	    NPROXIES, WINDOW, grouped);
	if (serial > 0)
		printf("  group commit ratio:                %10.1f\n",
		    grouped / serial);

	kill(h.h_pid, SIGTERM);
	harness_reap(&h, 10000);
	harness_close(&h);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return (system(cmd) == 0 ? 0 : 1);
}
