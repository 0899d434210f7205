/*
 * The children as the parent sees them: which binary each one runs,
 * fork + re-exec with the parent channel on fd 3, the socketpairs of the
 * mesh, deaths, and the ordered shutdown.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <paths.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ipc.h"
#include "log.h"
#include "proc.h"
#include "routstrd.h"

/*
 * Per stage of the stop, then SIGKILL: the proxies get time to finish
 * the replies in flight.  The worst case (29 s) fits systemd's
 * TimeoutStopSec in etc/routstrd.service.
 */
#define STOP_PROXY_MS		10000
#define STOP_OTHER_MS		5000
#define STOP_KILL_MS		1000

static char	*binary_path[PROC_MAX];

static char	*find_sibling(const char *, const char *);
static pid_t	 child_exec(struct child *, int, int, char **);
static int	 stage_wait(int, int);
static long long now_ms(void);

/*
 * The children's binaries: beside our own (installed), or in the source
 * tree's sibling directories (./routstrd/routstrd finds ./ledgerd/ledgerd).
 */
void
children_find_binaries(const char *argv0)
{
	char	 self[PATH_MAX];
	ssize_t	 n;

	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) == -1)
		fatal("readlink /proc/self/exe");
	self[n] = '\0';
	if ((binary_path[PROC_PROXY] = strdup(self)) == NULL)
		fatal(NULL);
	binary_path[PROC_LEDGER] = find_sibling(self, "ledgerd");
	binary_path[PROC_MINT] = find_sibling(self, "mintd");
	binary_path[PROC_RELAY] = find_sibling(self, "relayd-client");
}

static char *
find_sibling(const char *self, const char *name)
{
	char	 dir[PATH_MAX], path[PATH_MAX];
	char	*d, *p;

	if (strlcpy(dir, self, sizeof(dir)) >= sizeof(dir))
		fatalx("path too long: %s", self);
	d = dirname(dir);

	if (snprintf(path, sizeof(path), "%s/%s", d, name) < (int)sizeof(path) &&
	    access(path, X_OK) == 0)
		goto found;
	if (snprintf(path, sizeof(path), "%s/../%s/%s", d, name, name) <
	    (int)sizeof(path) && access(path, X_OK) == 0)
		goto found;
	if (snprintf(path, sizeof(path), "%s/%s", ROUTSTRD_SBINDIR, name) <
	    (int)sizeof(path) && access(path, X_OK) == 0)
		goto found;
	fatalx("cannot find %s beside %s nor in %s", name, self,
	    ROUTSTRD_SBINDIR);
 found:
	if ((p = realpath(path, NULL)) == NULL)
		fatal("realpath %s", path);
	return (p);
}

const char *
child_title(struct child *c, char *buf, size_t len)
{
	if (c->c_procid == PROC_PROXY && c->c_instance > 0)
		(void)snprintf(buf, len, "%s %d", proc_name(c->c_procid),
		    c->c_instance);
	else
		(void)strlcpy(buf, proc_name(c->c_procid), len);
	return (buf);
}

struct child *
child_by_pid(pid_t pid)
{
	int	 i;

	for (i = 0; i < parent->p_nchildren; i++)
		if (parent->p_children[i].c_pid == pid)
			return (&parent->p_children[i]);
	return (NULL);
}

static pid_t
child_exec(struct child *c, int fd, int argc, char **argv)
{
	char	*nargv[16], inst[16];
	int	 nargc = 0, i, nullfd;
	pid_t	 pid;

	(void)snprintf(inst, sizeof(inst), "%d", c->c_instance);
	nargv[nargc++] = c->c_path;
	nargv[nargc++] = "-P";
	nargv[nargc++] = (char *)proc_name(c->c_procid);
	nargv[nargc++] = "-I";
	nargv[nargc++] = inst;
	if (parent->p_debug)
		nargv[nargc++] = "-d";
	for (i = 0; i < parent->p_verbose && i < 3; i++)
		nargv[nargc++] = "-v";
	nargv[nargc] = NULL;

	switch (pid = fork()) {
	case -1:
		fatal("fork");
	case 0:
		break;
	default:
		close(fd);
		return (pid);
	}

	/* Child: own session, so that a terminal's ^C reaches only us. */
	if (setsid() == -1)
		fatal("setsid");
	if (fd == PROC_PARENT_SOCK_FILENO) {
		if (fcntl(fd, F_SETFD, 0) == -1)
			fatal("fcntl");
	} else if (dup2(fd, PROC_PARENT_SOCK_FILENO) == -1)
		fatal("dup2");
	if ((nullfd = open(_PATH_DEVNULL, O_RDWR)) == -1)
		fatal("%s", _PATH_DEVNULL);
	(void)dup2(nullfd, STDIN_FILENO);
	(void)dup2(nullfd, STDOUT_FILENO);
	if (!parent->p_debug)
		(void)dup2(nullfd, STDERR_FILENO);
	closefrom(PROC_PARENT_SOCK_FILENO + 1);
	execv(c->c_path, nargv);
	fatal("execv %s", c->c_path);
}

void
children_start(int argc, char **argv)
{
	struct child	*c;
	int		 i, sp[2];

	for (i = 0; i < parent->p_nchildren; i++) {
		c = &parent->p_children[i];
		c->c_path = binary_path[c->c_procid];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, PF_UNSPEC, sp) == -1)
			fatal("socketpair");
		/* The child's end must be blocking until it sets up. */
		if (fcntl(sp[1], F_SETFL, 0) == -1)
			fatal("fcntl");
		c->c_pid = child_exec(c, sp[1], argc, argv);
		if ((c->c_peer = peer_new(sp[0], c->c_procid, c->c_instance,
		    parent_dispatch_child)) == NULL)
			fatal("peer");
		c->c_peer->p_closed = parent_child_closed;
		/* This channel carries sockets and files to the child. */
		imsgbuf_allow_fdpass(&c->c_peer->p_ibuf);
		c->c_peer->p_pid = c->c_pid;
		c->c_peer->p_arg = c;
		log_debug("started %s (pid %d)", c->c_path, (int)c->c_pid);
	}
}

/*
 * The mesh: a socketpair for every pair of children except proxy to
 * proxy, each end sent to its process with the identity of the other.
 */
void
children_connect(void)
{
	struct child		*a, *b;
	struct privsep_fd	 pf;
	int			 i, j, sp[2];

	for (i = 0; i < parent->p_nchildren; i++) {
		a = &parent->p_children[i];
		for (j = i + 1; j < parent->p_nchildren; j++) {
			b = &parent->p_children[j];
			if (a->c_procid == b->c_procid)
				continue;
			if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
			    SOCK_CLOEXEC, PF_UNSPEC, sp) == -1)
				fatal("socketpair");
			pf.pf_procid = b->c_procid;
			pf.pf_instance = b->c_instance;
			if (peer_compose(a->c_peer, IMSG_CTL_PROCFD, 0, sp[0],
			    &pf, sizeof(pf)) == -1)
				fatal("pass a channel to %s",
				    proc_name(a->c_procid));
			pf.pf_procid = a->c_procid;
			pf.pf_instance = a->c_instance;
			if (peer_compose(b->c_peer, IMSG_CTL_PROCFD, 0, sp[1],
			    &pf, sizeof(pf)) == -1)
				fatal("pass a channel to %s",
				    proc_name(b->c_procid));
			/* Flush now: do not hold hundreds of fds open. */
			if (peer_flush(a->c_peer) == -1 ||
			    peer_flush(b->c_peer) == -1)
				fatal("flush");
		}
	}
}

/*
 * SIGCHLD: collect every dead child.  Outside a shutdown, any death
 * stops the suite: nothing runs half-way.
 */
void
children_reap(void)
{
	struct child	*c;
	char		 title[64];
	pid_t		 pid;
	int		 status, died = 0;

	while ((pid = waitpid(WAIT_ANY, &status, WNOHANG)) > 0) {
		if ((c = child_by_pid(pid)) == NULL)
			continue;
		c->c_exited = 1;
		c->c_status = status;
		if (parent->p_shutdown)
			continue;
		died = 1;
		child_title(c, title, sizeof(title));
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
			log_warnx("%s (pid %d) killed by its sandbox: "
			    "a forbidden system call", title, (int)pid);
		else if (WIFSIGNALED(status))
			log_warnx("%s (pid %d) terminated by signal %s", title,
			    (int)pid, strsignal(WTERMSIG(status)));
		else
			log_warnx("%s (pid %d) exited with status %d", title,
			    (int)pid, WEXITSTATUS(status));
		control_child_died(c);
	}
	if (died) {
		log_warnx("a child died: stopping");
		parent_shutdown(1);
	}
}

static long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* Wait for every child of one stage, up to ms milliseconds. */
static int
stage_wait(int procid, int ms)
{
	struct child	*c;
	long long	 deadline = now_ms() + ms;
	int		 i, alive, status;
	pid_t		 pid;

	for (;;) {
		while ((pid = waitpid(WAIT_ANY, &status, WNOHANG)) > 0)
			if ((c = child_by_pid(pid)) != NULL) {
				c->c_exited = 1;
				c->c_status = status;
			}
		alive = 0;
		for (i = 0; i < parent->p_nchildren; i++) {
			c = &parent->p_children[i];
			if (c->c_procid == procid && c->c_pid > 0 &&
			    !c->c_exited)
				alive++;
		}
		if (alive == 0 || now_ms() >= deadline)
			return (alive);
		usleep(10 * 1000);	/* a signal may cut it short */
	}
}

/*
 * The ordered shutdown: the proxies first (no new work), then the relay
 * client and the mint, the ledger last so that it commits what the
 * others finished.
 */
void
children_stop(void)
{
	static const int order[] = { PROC_PROXY, PROC_RELAY, PROC_MINT,
	    PROC_LEDGER };
	struct child	*c;
	size_t		 s;
	int		 i;

	parent->p_shutdown = 1;
	for (s = 0; s < sizeof(order) / sizeof(order[0]); s++) {
		for (i = 0; i < parent->p_nchildren; i++) {
			c = &parent->p_children[i];
			if (c->c_procid == order[s] && c->c_pid > 0 &&
			    !c->c_exited)
				(void)kill(c->c_pid, SIGTERM);
		}
		if (stage_wait(order[s], order[s] == PROC_PROXY ?
		    STOP_PROXY_MS : STOP_OTHER_MS) == 0)
			continue;
		log_warnx("%s did not stop in time: killing it",
		    proc_name(order[s]));
		for (i = 0; i < parent->p_nchildren; i++) {
			c = &parent->p_children[i];
			if (c->c_procid == order[s] && c->c_pid > 0 &&
			    !c->c_exited)
				(void)kill(c->c_pid, SIGKILL);
		}
		(void)stage_wait(order[s], STOP_KILL_MS);
	}
}
