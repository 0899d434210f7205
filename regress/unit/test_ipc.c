/*
 * The children's side of the IPC, against the real binaries: this test
 * plays the parent (fd 3) and a peer, sends good and bad messages, and
 * checks that a child becomes ready, answers, proves its channels, and
 * dies with a clear message on anything malformed.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "imsg.h"
#include "ipc.h"
#include "test.h"

#define WAIT_MS		5000

static char	 dbdir[PATH_MAX];

static int
spawn(struct harness *k, const char *bin, int procid)
{
	char	 log[PATH_MAX + 32];

	/* Not in the database directory: Berkeley DB owns log.* there. */
	snprintf(log, sizeof(log), "%s.child%d.log", dbdir, procid);
	unlink(log);
	return (harness_spawn(k, bin, procid, log));
}

#define send_msg(ib, type, id, fd, data, len) \
	harness_send((ib), (type), (id), (fd), (data), (len))
#define recv_msg(ib, imsg)	harness_recv((ib), (imsg), 5000)
#define free_msg(imsg)		harness_free_msg(imsg)
#define reap(k)			harness_reap((k), 5000)
#define log_has(k, what)	harness_log_has((k), (what))

static void
start_conf(struct ipc_conf_start *cs, int proxies, int mints)
{
	memset(cs, 0, sizeof(*cs));
	cs->cs_instances[PROC_LEDGER] = 1;
	cs->cs_instances[PROC_PROXY] = proxies;
	cs->cs_instances[PROC_MINT] = mints;
	cs->cs_uid = getuid();
	cs->cs_gid = getgid();
	strlcpy(cs->cs_chroot, dbdir, sizeof(cs->cs_chroot));
	strlcpy(cs->cs_user, "nobody", sizeof(cs->cs_user));
}

static void
ledger_conf(struct imsgbuf *ib)
{
	struct ipc_conf_ledger	 cl;

	memset(&cl, 0, sizeof(cl));
	strlcpy(cl.cl_dbdir, dbdir, sizeof(cl.cl_dbdir));
	send_msg(ib, IMSG_CONF_LEDGER, 0, -1, &cl, sizeof(cl));
}

/* A ledger alone: no peers, ready at once; status; SIGTERM. */
static void
test_ready(void)
{
	struct harness		 k;
	struct ipc_conf_start	 cs;
	struct ipc_status	 st;
	struct imsg		 imsg;

	if (!T(spawn(&k, "ledgerd/ledgerd", PROC_LEDGER) == 0, "spawn ledgerd"))
		return;
	start_conf(&cs, 0, 0);
	send_msg(&k.h_parent, IMSG_CONF_START, 0, -1, &cs, sizeof(cs));
	ledger_conf(&k.h_parent);
	send_msg(&k.h_parent, IMSG_CONF_END, 0, -1, NULL, 0);
	T(recv_msg(&k.h_parent, &imsg) == 0 &&
	    imsg_get_type(&imsg) == IMSG_READY &&
	    imsg_get_data(&imsg, &st, sizeof(st)) == 0 &&
	    st.s_procid == PROC_LEDGER && st.s_pid == k.h_pid,
	    "a lone ledger reports ready with its pid");
	free_msg(&imsg);
	send_msg(&k.h_parent, IMSG_CTL_SHOW_STATUS, 77, -1, NULL, 0);
	T(recv_msg(&k.h_parent, &imsg) == 0 &&
	    imsg_get_type(&imsg) == IMSG_CTL_STATUS &&
	    imsg_get_id(&imsg) == 77 &&
	    imsg_get_data(&imsg, &st, sizeof(st)) == 0 &&
	    strncmp(st.s_state, "ready", 5) == 0 && st.s_uid == (int)getuid(),
	    "status answers with the request id echoed");
	free_msg(&imsg);
	kill(k.h_pid, SIGTERM);
	T(reap(&k) == 0, "SIGTERM: exits 0");
	T(log_has(&k, "exiting"), "SIGTERM: logs exiting");
	imsgbuf_clear(&k.h_parent);
	close(k.h_parent.fd);
}

/*
 * A ledger with one proxy peer that this test plays: the hello must
 * cross the channel both ways before the ledger says ready.
 */
static void
test_hello(int bad)
{
	struct harness		 k;
	struct ipc_conf_start	 cs;
	struct privsep_fd	 pf;
	struct ipc_hello	 h;
	struct imsgbuf		 peer;
	struct imsg		 imsg;
	int			 sp[2], status, got_hello = 0;
	const char		*what = bad ? "bad hello" : "good hello";

	if (!T(spawn(&k, "ledgerd/ledgerd", PROC_LEDGER) == 0, "spawn ledgerd"))
		return;
	socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
	imsgbuf_init(&peer, sp[0]);
	imsgbuf_set_maxsize(&peer, IPC_MAXSIZE);
	start_conf(&cs, 1, 0);
	send_msg(&k.h_parent, IMSG_CONF_START, 0, -1, &cs, sizeof(cs));
	pf.pf_procid = PROC_PROXY;
	pf.pf_instance = 0;
	send_msg(&k.h_parent, IMSG_CTL_PROCFD, 0, sp[1], &pf, sizeof(pf));
	ledger_conf(&k.h_parent);
	send_msg(&k.h_parent, IMSG_CONF_END, 0, -1, NULL, 0);

	if (recv_msg(&peer, &imsg) == 0 && imsg_get_type(&imsg) == IMSG_HELLO &&
	    imsg_get_data(&imsg, &h, sizeof(h)) == 0 &&
	    h.h_procid == PROC_LEDGER && h.h_pid == k.h_pid)
		got_hello = 1;
	T(got_hello, "%s: the ledger sends its hello to the proxy", what);
	memset(&h, 0, sizeof(h));
	h.h_procid = bad ? PROC_MINT : PROC_PROXY;	/* a liar */
	h.h_pid = getpid();
	strlcpy(h.h_version, ROUTSTRD_VERSION, sizeof(h.h_version));
	send_msg(&peer, IMSG_HELLO_REPLY, got_hello ? imsg_get_id(&imsg) : 1,
	    -1, &h, sizeof(h));
	free_msg(&imsg);
	if (bad) {
		status = reap(&k);
		T(status != -1 && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 1, "%s: the ledger exits 1", what);
		T(log_has(&k, "bad hello from proxy"), "%s: and says why",
		    what);
	} else {
		T(recv_msg(&k.h_parent, &imsg) == 0 &&
		    imsg_get_type(&imsg) == IMSG_READY,
		    "%s: the ledger is ready after the exchange", what);
		free_msg(&imsg);
		T(log_has(&k, "ready"), "%s: logs ready", what);
		/* A peer that sends something nobody asked for. */
		send_msg(&peer, IMSG_CONF_LEDGER, 0, -1, "x", 1);
		T(recv_msg(&peer, &imsg) == -1,
		    "%s: a malformed peer message closes the channel", what);
		free_msg(&imsg);
		T(log_has(&k, "malformed IMSG_CONF_LEDGER from proxy"),
		    "%s: and names the message and the peer", what);
		status = reap(&k);
		T(status != -1 && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 1,
		    "%s: a peer that sends garbage stops the child", what);
		T(log_has(&k, "proxy 0 sent a malformed message"),
		    "%s: which says why", what);
	}
	imsgbuf_clear(&peer);
	close(sp[0]);
	imsgbuf_clear(&k.h_parent);
	close(k.h_parent.fd);
}

/* Bad messages from the parent: the child dies saying what it got. */
static void
test_bad_parent(const char *what, uint32_t type, const void *data,
    size_t len, int withstart, const char *expect)
{
	struct harness		 k;
	struct ipc_conf_start	 cs;
	int			 status;

	if (!T(spawn(&k, "ledgerd/ledgerd", PROC_LEDGER) == 0, "spawn ledgerd"))
		return;
	if (withstart) {
		start_conf(&cs, 0, 0);
		send_msg(&k.h_parent, IMSG_CONF_START, 0, -1, &cs, sizeof(cs));
	}
	send_msg(&k.h_parent, type, 0, -1, data, len);
	status = reap(&k);
	T(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 1,
	    "%s: the child exits 1", what);
	T(log_has(&k, expect), "%s: it logs \"%s\"", what, expect);
	imsgbuf_clear(&k.h_parent);
	close(k.h_parent.fd);
}

static void
test_garbage(void)
{
	struct harness	 k;
	struct imsg_hdr	 hdr;
	int		 status;

	if (!T(spawn(&k, "mintd/mintd", PROC_MINT) == 0, "spawn mintd"))
		return;
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = IMSG_CONF_START;
	hdr.len = IPC_MAXSIZE + 1;		/* more than it accepts */
	T(write(k.h_parent.fd, &hdr, sizeof(hdr)) == sizeof(hdr),
	    "a forged header is written");
	status = reap(&k);
	T(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 1,
	    "an oversized imsg header: the mint exits 1");
	T(log_has(&k, "bad message from parent"), "and logs a bad message");
	imsgbuf_clear(&k.h_parent);
	close(k.h_parent.fd);
}

int
main(void)
{
	struct ipc_conf_start	 cs;
	struct privsep_fd	 pf;

	signal(SIGPIPE, SIG_IGN);
	snprintf(dbdir, sizeof(dbdir), "/tmp/test_ipc.XXXXXX");
	if (mkdtemp(dbdir) == NULL) {
		perror("mkdtemp");
		return (1);
	}

	{
		uint32_t	 type;
		int		 named = 1;

		for (type = 1; type < IMSG_MAX; type++)
			if (strcmp(imsg_type_name(type), "unknown message") ==
			    0)
				named = 0;
		T(named, "every message type has a name for the logs");
	}
	test_ready();
	test_hello(0);
	test_hello(1);
	test_garbage();

	test_bad_parent("an unknown message type", IMSG_MAX + 5, NULL, 0, 1,
	    "malformed unknown message from parent");
	test_bad_parent("configuration before IMSG_CONF_START",
	    IMSG_CONF_LEDGER, NULL, 0, 0, "malformed IMSG_CONF_LEDGER");
	test_bad_parent("IMSG_CONF_END before IMSG_CONF_START", IMSG_CONF_END,
	    NULL, 0, 0, "malformed IMSG_CONF_END");
	test_bad_parent("a short IMSG_CONF_LEDGER", IMSG_CONF_LEDGER, "ab", 2,
	    1, "malformed IMSG_CONF_LEDGER");
	memset(&cs, 'A', sizeof(cs));		/* strings not terminated */
	test_bad_parent("an unterminated chroot path", IMSG_CONF_START, &cs,
	    sizeof(cs), 0, "malformed IMSG_CONF_START");
	pf.pf_procid = PROC_PROXY;
	pf.pf_instance = 0;
	test_bad_parent("a channel without its fd", IMSG_CTL_PROCFD, &pf,
	    sizeof(pf), 1, "malformed IMSG_CTL_PROCFD");
	pf.pf_procid = PROC_MAX;
	test_bad_parent("a channel to no such process", IMSG_CTL_PROCFD, &pf,
	    sizeof(pf), 1, "malformed IMSG_CTL_PROCFD");
	test_bad_parent("a mint configuration sent to the ledger",
	    IMSG_CONF_MINT, NULL, 0, 1, "malformed IMSG_CONF_MINT");
	test_bad_parent("configuration without its END", IMSG_CONF_END + 100,
	    NULL, 0, 1, "malformed");

	{
		char	 cmd[2 * PATH_MAX + 32];

		snprintf(cmd, sizeof(cmd), "rm -rf %s %s.child*.log", dbdir,
		    dbdir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", dbdir);
	}
	return (test_done());
}
