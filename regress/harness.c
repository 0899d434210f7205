/*
 * Test and bench harness: this program plays the parent and the peers
 * of one real child binary of the suite.
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

const char *
harness_top(void)
{
	static char	 top[PATH_MAX];
	const char	*t;

	if (top[0] == '\0') {
		if ((t = getenv("TOP")) == NULL)
			t = ".";
		if (realpath(t, top) == NULL)
			strlcpy(top, t, sizeof(top));
	}
	return (top);
}

int
harness_spawn(struct harness *h, const char *bin, int procid, const char *log)
{
	return (harness_spawn_env(h, bin, procid, log, NULL));
}

/* The same, with env ("NAME=value", NULL-terminated) added for the child. */
int
harness_spawn_env(struct harness *h, const char *bin, int procid,
    const char *log, char *const *env)
{
	char	 path[PATH_MAX + 64];
	int	 sp[2], logfd;

	memset(h, 0, sizeof(*h));
	h->h_procid = procid;
	h->h_nextid = 1;
	strlcpy(h->h_log, log, sizeof(h->h_log));
	(void)snprintf(path, sizeof(path), "%s/%s", harness_top(), bin);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1)
		return (-1);
	if ((logfd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600)) == -1)
		return (-1);
	signal(SIGPIPE, SIG_IGN);
	switch (h->h_pid = fork()) {
	case -1:
		return (-1);
	case 0:
		dup2(sp[1], 3);
		dup2(logfd, 2);
		closefrom(4);
		for (; env != NULL && *env != NULL; env++)
			if (putenv(*env) != 0)
				_exit(127);
		if (procid == PROC_PROXY)
			execl(path, "routstrd", "-P", "proxy", "-I", "0", "-d",
			    (char *)NULL);
		else
			execl(path, bin, "-P", proc_name(procid), "-I", "0",
			    "-d", (char *)NULL);
		_exit(127);
	}
	close(sp[1]);
	close(logfd);
	if (imsgbuf_init(&h->h_parent, sp[0]) == -1 ||
	    imsgbuf_set_maxsize(&h->h_parent, IPC_MAXSIZE) == -1)
		return (-1);
	imsgbuf_allow_fdpass(&h->h_parent);
	return (0);
}

int
harness_send(struct imsgbuf *ib, uint32_t type, uint32_t id, int fd,
    const void *data, size_t len)
{
	if (imsg_compose(ib, type, id, 0, fd, data, len) == -1)
		return (-1);
	return (imsgbuf_flush(ib));
}

int
harness_recv(struct imsgbuf *ib, struct imsg *imsg, int ms)
{
	struct pollfd	 pfd;
	ssize_t		 n;

	memset(imsg, 0, sizeof(*imsg));
	for (;;) {
		if ((n = imsg_get(ib, imsg)) == -1)
			return (-1);
		if (n > 0)
			return (0);
		pfd.fd = ib->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, ms) <= 0)
			return (-1);
		if (imsgbuf_read(ib) != 1)
			return (-1);
	}
}

void
harness_free_msg(struct imsg *imsg)
{
	if (imsg->buf != NULL)
		imsg_free(imsg);
	memset(imsg, 0, sizeof(*imsg));
}

struct harness_peer *
harness_peer(struct harness *h, int procid, int instance)
{
	int	 i;

	for (i = 0; i < h->h_npeers; i++)
		if (h->h_peers[i].hp_procid == procid &&
		    h->h_peers[i].hp_instance == instance)
			return (&h->h_peers[i]);
	return (NULL);
}

/*
 * The parent's part: the start message and a channel per peer.  The
 * caller then sends the child's own IMSG_CONF_* messages, and
 * harness_ready() ends the configuration.
 */
int
harness_start(struct harness *h, const int *instances, const char *rootdir)
{
	struct ipc_conf_start	 cs;
	struct privsep_fd	 pf;
	int			 id, i, sp[2];

	memset(&cs, 0, sizeof(cs));
	for (id = PROC_PARENT + 1; id < PROC_MAX; id++)
		cs.cs_instances[id] = id == h->h_procid ? 1 : instances[id];
	cs.cs_uid = getuid();
	cs.cs_gid = getgid();
	strlcpy(cs.cs_chroot, rootdir, sizeof(cs.cs_chroot));
	strlcpy(cs.cs_user, "nobody", sizeof(cs.cs_user));
	if (harness_send(&h->h_parent, IMSG_CONF_START, 0, -1, &cs,
	    sizeof(cs)) == -1)
		return (-1);
	for (id = PROC_PARENT + 1; id < PROC_MAX; id++) {
		if (id == h->h_procid)
			continue;
		for (i = 0; i < cs.cs_instances[id]; i++) {
			struct harness_peer	*hp;

			if (h->h_npeers >= HARNESS_PEERS_MAX)
				return (-1);
			hp = &h->h_peers[h->h_npeers++];
			if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1)
				return (-1);
			hp->hp_procid = id;
			hp->hp_instance = i;
			hp->hp_fd = sp[0];
			if (imsgbuf_init(&hp->hp_ibuf, sp[0]) == -1 ||
			    imsgbuf_set_maxsize(&hp->hp_ibuf, IPC_MAXSIZE) ==
			    -1)
				return (-1);
			pf.pf_procid = id;
			pf.pf_instance = i;
			if (harness_send(&h->h_parent, IMSG_CTL_PROCFD, 0,
			    sp[1], &pf, sizeof(pf)) == -1)
				return (-1);
		}
	}
	return (0);
}

/* Answer each peer's hello, then wait for the child's READY. */
int
harness_ready(struct harness *h)
{
	struct ipc_hello	 hello;
	struct imsg		 imsg;
	int			 i, ok;

	if (harness_send(&h->h_parent, IMSG_CONF_END, 0, -1, NULL, 0) == -1)
		return (-1);
	for (i = 0; i < h->h_npeers; i++) {
		struct harness_peer	*hp = &h->h_peers[i];

		if (harness_recv(&hp->hp_ibuf, &imsg, HARNESS_WAIT_MS) == -1)
			return (-1);
		ok = imsg_get_type(&imsg) == IMSG_HELLO;
		memset(&hello, 0, sizeof(hello));
		hello.h_procid = hp->hp_procid;
		hello.h_instance = hp->hp_instance;
		hello.h_pid = getpid();
		strlcpy(hello.h_version, ROUTSTRD_VERSION,
		    sizeof(hello.h_version));
		if (ok && harness_send(&hp->hp_ibuf, IMSG_HELLO_REPLY,
		    imsg_get_id(&imsg), -1, &hello, sizeof(hello)) == -1)
			ok = 0;
		harness_free_msg(&imsg);
		if (!ok)
			return (-1);
	}
	if (harness_recv(&h->h_parent, &imsg, HARNESS_WAIT_MS) == -1)
		return (-1);
	ok = imsg_get_type(&imsg) == IMSG_READY;
	harness_free_msg(&imsg);
	return (ok ? 0 : -1);
}

int
harness_reap(struct harness *h, int ms)
{
	int	 status, i;

	if (h->h_pid <= 0)
		return (-1);
	for (i = 0; i < ms / 10 + 1; i++) {
		if (waitpid(h->h_pid, &status, WNOHANG) == h->h_pid) {
			h->h_pid = 0;
			return (status);
		}
		usleep(10000);
	}
	kill(h->h_pid, SIGKILL);
	waitpid(h->h_pid, &status, 0);
	h->h_pid = 0;
	return (-1);
}

int
harness_log_has(struct harness *h, const char *what)
{
	char	*buf;
	ssize_t	 n;
	int	 fd, found = 0;

	if ((fd = open(h->h_log, O_RDONLY)) == -1)
		return (0);
	if ((buf = malloc(1024 * 1024)) != NULL &&
	    (n = read(fd, buf, 1024 * 1024 - 1)) > 0) {
		buf[n] = '\0';
		found = strstr(buf, what) != NULL;
	}
	free(buf);
	close(fd);
	return (found);
}

void
harness_close(struct harness *h)
{
	int	 i;

	if (h->h_pid > 0) {
		kill(h->h_pid, SIGKILL);
		waitpid(h->h_pid, NULL, 0);
		h->h_pid = 0;
	}
	for (i = 0; i < h->h_npeers; i++) {
		imsgbuf_clear(&h->h_peers[i].hp_ibuf);
		close(h->h_peers[i].hp_fd);
	}
	h->h_npeers = 0;
	imsgbuf_clear(&h->h_parent);
	close(h->h_parent.fd);
}
