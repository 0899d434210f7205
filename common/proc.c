/*
 * The process framework: imsg channels on the libevent loop, requests
 * with ids and timeouts, and the life of a child from its re-exec to
 * "ready": configuration from the parent, the sandbox, and a hello on
 * every channel of the mesh.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/tree.h>

#include <err.h>
#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "imsg.h"
#include "ipc.h"
#include "log.h"
#include "proc.h"
#include "sandbox.h"

struct proc_req {
	RB_ENTRY(proc_req)	 r_entry;
	uint32_t		 r_id;
	struct peer		*r_peer;
	struct event		 r_timer;
	struct timeval		 r_tv;
	void			(*r_cb)(struct imsg *, void *);
	void			*r_arg;
};
RB_HEAD(reqtree, proc_req);

static int	 req_cmp(struct proc_req *, struct proc_req *);
/* libbsd's RB_*_STATIC need __unused, which Linux headers cannot have. */
#define RB_STATIC	__attribute__((__unused__)) static
RB_PROTOTYPE_INTERNAL(reqtree, proc_req, r_entry, req_cmp, RB_STATIC);

static void	 peer_dispatch_ev(int, short, void *);
static void	 peers_write_ev(int, short, void *);
static void	 peer_free(struct peer *);
static void	 req_timeout(int, short, void *);
static void	 req_finish(struct proc_req *, struct imsg *);
static int	 child_dispatch_parent(struct peer *, struct imsg *);
static int	 child_dispatch_peer(struct peer *, struct imsg *);
static void	 child_configured(void);
static void	 child_hello_done(struct imsg *, void *);
static void	 child_peer_closed(struct peer *);
static void	 child_parent_closed(struct peer *);
static void	 child_sig(int, short, void *);
static int	 child_expected_peers(void);
static int	 child_peer_allowed(int, int);
static void	 hello_fill(struct ipc_hello *);

static struct peerlist		 peers = TAILQ_HEAD_INITIALIZER(peers);
static struct event		 peers_write;	/* at the loop's turn */
static int			 peers_write_due;
static struct reqtree		 requests = RB_INITIALIZER(&requests);
static uint32_t			 req_next = 1;

/* Child state. */
static const struct proc_child	*child;
static struct ipc_conf_start	 child_cs;
static int			 child_have_start;
static int			 child_configured_done;
static int			 child_instance;
static int			 child_ready;
static int			 child_proven;
static time_t			 child_started;
static struct peer		*child_parent;
static struct event		 child_ev_term, child_ev_int, child_ev_hup;

RB_GENERATE_INTERNAL(reqtree, proc_req, r_entry, req_cmp, RB_STATIC);

static int
req_cmp(struct proc_req *a, struct proc_req *b)
{
	return (a->r_id < b->r_id ? -1 : a->r_id > b->r_id);
}

/*
 * Channels.
 */

struct peer *
peer_new(int fd, int procid, int instance,
    int (*dispatch)(struct peer *, struct imsg *))
{
	struct peer	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return (NULL);
	if (imsgbuf_init(&p->p_ibuf, fd) == -1 ||
	    imsgbuf_set_maxsize(&p->p_ibuf, IPC_MAXSIZE) == -1) {
		imsgbuf_clear(&p->p_ibuf);
		free(p);
		return (NULL);
	}
	p->p_procid = procid;
	p->p_instance = instance;
	p->p_dispatch = dispatch;
	TAILQ_INSERT_TAIL(&peers, p, p_entry);
	peer_event_add(p);
	return (p);
}

struct peerlist *
peer_list(void)
{
	return (&peers);
}

struct peer *
peer_find(int procid, int instance)
{
	struct peer	*p;

	TAILQ_FOREACH(p, &peers, p_entry)
		if (p->p_procid == procid && p->p_instance == instance)
			return (p);
	return (NULL);
}

/*
 * The channel's event is persistent and changed only when what is waited
 * for changes: a message each way costs no epoll_ctl(2).
 */
void
peer_event_add(struct peer *p)
{
	short	 events;

	if (p->p_dead)
		return;
	/* A peer that does not read its replies is not heard either. */
	events = p->p_paused ||
	    imsgbuf_queuelen(&p->p_ibuf) > PEER_QUEUE_MAX ? 0 : EV_READ;
	/* written by peers_write_ev() first; waited for if it could not */
	if (imsgbuf_queuelen(&p->p_ibuf) > 0 && !peers_write_due)
		events |= EV_WRITE;
	if (event_initialized(&p->p_ev)) {
		if (events == p->p_events)
			return;
		event_del(&p->p_ev);
	}
	p->p_events = events;
	if (events == 0)
		return;
	event_set(&p->p_ev, p->p_ibuf.fd, events | EV_PERSIST,
	    peer_dispatch_ev, p);
	event_add(&p->p_ev, NULL);
}

/* A paused peer's messages wait in the socket until it is resumed. */
void
peer_pause(struct peer *p, int paused)
{
	p->p_paused = paused;
	peer_event_add(p);
}

int
peer_compose(struct peer *p, uint32_t type, uint32_t id, int fd,
    const void *data, size_t len)
{
	if (p->p_dead) {
		if (fd != -1)
			close(fd);
		errno = EPIPE;
		return (-1);
	}
	if (imsg_compose(&p->p_ibuf, type, id, 0, fd, data, len) == -1) {
		log_warn("%s: %s to %s", __func__, imsg_type_name(type),
		    proc_name(p->p_procid));
		if (fd != -1)
			close(fd);
		return (-1);
	}
	/*
	 * Written once the loop has run what it is running, in one
	 * write for all that was queued meanwhile, without waiting for
	 * the socket to be writable (it nearly always is).
	 */
	if (!peers_write_due) {
		if (!event_initialized(&peers_write))
			event_set(&peers_write, -1, 0, peers_write_ev, NULL);
		event_active(&peers_write, 0, 0);
		peers_write_due = 1;
	}
	peer_event_add(p);
	return (0);
}

static void
peers_write_ev(int fd, short event, void *arg)
{
	struct peer	*p;

	peers_write_due = 0;
	TAILQ_FOREACH(p, &peers, p_entry) {
		/* a failure is found and handled by the peer's dispatch */
		if (imsgbuf_queuelen(&p->p_ibuf) > 0)
			(void)imsgbuf_write(&p->p_ibuf);
		peer_event_add(p);
	}
}

/* Write out everything queued now: before a fork, an exit or a death. */
int
peer_flush(struct peer *p)
{
	if (p->p_dead)
		return (-1);
	return (imsgbuf_flush(&p->p_ibuf));
}

void
peer_close(struct peer *p)
{
	struct proc_req	*r;

	if (p->p_dead)
		return;
	p->p_dead = 1;
	if (event_initialized(&p->p_ev))
		event_del(&p->p_ev);
	TAILQ_REMOVE(&peers, p, p_entry);

	/*
	 * Whoever waits for an answer from this peer gets none.  A
	 * callback may cancel other requests: search again each time.
	 */
	for (;;) {
		RB_FOREACH(r, reqtree, &requests)
			if (r->r_peer == p)
				break;
		if (r == NULL)
			break;
		req_finish(r, NULL);
	}

	close(p->p_ibuf.fd);
	imsgbuf_clear(&p->p_ibuf);
	if (p->p_closed != NULL)
		p->p_closed(p);
	if (p->p_busy == 0)
		peer_free(p);
}

static void
peer_free(struct peer *p)
{
	free(p);
}

static void
peer_dispatch_ev(int fd, short event, void *arg)
{
	struct peer	*p = arg;
	struct imsg	 imsg;
	ssize_t		 n;
	uint32_t	 type;
	int		 r;

	p->p_busy = 1;
	if (event & EV_READ) {
		if ((n = imsgbuf_read(&p->p_ibuf)) == -1) {
			if (errno == ERANGE || errno == EBADMSG ||
			    errno == EMSGSIZE) {
				log_warn("bad message from %s",
				    proc_name(p->p_procid));
				p->p_malformed = 1;
			} else
				log_warn("read from %s",
				    proc_name(p->p_procid));
			goto lost;
		}
		if (n == 0)
			goto lost;
	}
	if (event & EV_WRITE) {
		if (imsgbuf_write(&p->p_ibuf) == -1) {
			if (errno != EPIPE)
				log_warn("write to %s",
				    proc_name(p->p_procid));
			goto lost;
		}
	}

	for (;;) {
		if ((n = imsg_get(&p->p_ibuf, &imsg)) == -1) {
			log_warn("bad message from %s",
			    proc_name(p->p_procid));
			p->p_malformed = 1;
			goto lost;
		}
		if (n == 0)
			break;
		type = imsg_get_type(&imsg);
		if ((r = proc_reply(p, &imsg)) == 0)
			r = p->p_dispatch(p, &imsg);
		imsg_free(&imsg);
		if (r == -1) {
			log_warnx("malformed %s from %s: closing the channel",
			    imsg_type_name(type), proc_name(p->p_procid));
			p->p_malformed = 1;
			goto lost;
		}
		if (p->p_dead)
			goto done;
	}
	peer_event_add(p);
	goto done;
 lost:
	peer_close(p);
 done:
	p->p_busy = 0;
	if (p->p_dead)
		peer_free(p);
}

/*
 * Requests: the id travels in the imsg peerid, the reply echoes it.
 */

uint32_t
proc_request(struct peer *p, uint32_t type, const void *data, size_t len,
    int timeout_ms, void (*cb)(struct imsg *, void *), void *arg)
{
	struct proc_req	*r, key;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return (0);
	do {
		key.r_id = req_next++;
	} while (key.r_id == 0 || RB_FIND(reqtree, &requests, &key) != NULL);
	r->r_id = key.r_id;
	r->r_peer = p;
	r->r_cb = cb;
	r->r_arg = arg;
	if (peer_compose(p, type, r->r_id, -1, data, len) == -1) {
		free(r);
		return (0);
	}
	RB_INSERT(reqtree, &requests, r);
	evtimer_set(&r->r_timer, req_timeout, r);
	r->r_tv.tv_sec = timeout_ms / 1000;
	r->r_tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(&r->r_timer, &r->r_tv);
	return (r->r_id);
}

void
proc_request_cancel(uint32_t id)
{
	struct proc_req	*r, key;

	key.r_id = id;
	if ((r = RB_FIND(reqtree, &requests, &key)) == NULL)
		return;
	evtimer_del(&r->r_timer);
	RB_REMOVE(reqtree, &requests, r);
	free(r);
}

static void
req_finish(struct proc_req *r, struct imsg *imsg)
{
	evtimer_del(&r->r_timer);
	RB_REMOVE(reqtree, &requests, r);
	r->r_cb(imsg, r->r_arg);
	free(r);
}

static void
req_timeout(int fd, short event, void *arg)
{
	struct proc_req	*r = arg;

	log_warnx("%s did not answer request %u in time",
	    proc_name(r->r_peer->p_procid), r->r_id);
	req_finish(r, NULL);
}

/*
 * A reply: 1 when it answered one of our requests, 0 when the message
 * is not a reply, -1 when it claims to answer a request that this peer
 * was never sent.  A reply that comes after its timeout is dropped.
 */
int
proc_reply(struct peer *p, struct imsg *imsg)
{
	struct proc_req	*r, key;

	if (!ipc_is_reply(imsg_get_type(imsg)))
		return (0);
	key.r_id = imsg_get_id(imsg);
	if ((r = RB_FIND(reqtree, &requests, &key)) == NULL) {
		log_debug("late %s from %s dropped",
		    imsg_type_name(imsg_get_type(imsg)),
		    proc_name(p->p_procid));
		return (1);
	}
	if (r->r_peer != p)
		return (-1);
	if (ipc_is_partial(imsg_get_type(imsg))) {
		/* More is coming: the request stays, its clock restarts. */
		evtimer_del(&r->r_timer);
		evtimer_add(&r->r_timer, &r->r_tv);
		r->r_cb(imsg, r->r_arg);
		return (1);
	}
	req_finish(r, imsg);
	return (1);
}

/*
 * Children.
 */

int
proc_child_instance(void)
{
	return (child_instance);
}

struct peer *
proc_parent(void)
{
	return (child_parent);
}

const struct ipc_conf_start *
proc_child_conf(void)
{
	return (&child_cs);
}

void
proc_status(struct ipc_status *s, const char *state)
{
	memset(s, 0, sizeof(*s));
	s->s_procid = child->pc_procid;
	s->s_instance = child_instance;
	s->s_pid = getpid();
	s->s_uid = getuid();
	s->s_started = child_started;
	if (child_instance > 0)
		(void)snprintf(s->s_title, sizeof(s->s_title), "%s %d",
		    proc_name(child->pc_procid), child_instance);
	else
		(void)strlcpy(s->s_title, proc_name(child->pc_procid),
		    sizeof(s->s_title));
	(void)strlcpy(s->s_state, state, sizeof(s->s_state));
}

__dead void
proc_exit(int code)
{
	struct peer	*p;

	/*
	 * What was composed last (answers at shutdown) leaves first, as
	 * far as the sockets take it now: a peer that no longer reads
	 * must not keep us.
	 */
	TAILQ_FOREACH(p, &peers, p_entry)
		if (!p->p_dead && imsgbuf_queuelen(&p->p_ibuf) > 0)
			(void)imsgbuf_write(&p->p_ibuf);
	log_info("exiting");
	exit(code);
}

__dead void
proc_child_main(const struct proc_child *pc, int argc, char **argv)
{
	extern char	*__progname;
	struct stat	 st;
	const char	*errstr;
	int		 ch, debug = 0, verbose = 0, fl;

	proc_title_init(argc, argv);
	child = pc;
	child_started = time(NULL);

	optind = 1;
	while ((ch = getopt(argc, argv, "dI:P:v")) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'I':
			child_instance = strtonum(optarg, 0,
			    PROC_INSTANCES_MAX - 1, &errstr);
			if (errstr != NULL)
				errx(1, "instance %s: %s", optarg, errstr);
			break;
		case 'P':
			break;
		case 'v':
			verbose++;
			break;
		default:
			errx(1, "usage: started by routstrd(8) only");
		}
	}

	if (fstat(PROC_PARENT_SOCK_FILENO, &st) == -1 || !S_ISSOCK(st.st_mode))
		errx(1, "%s is started by routstrd(8), not by hand",
		    __progname);
	/* Never block on the parent: it may be busy stopping the suite. */
	if ((fl = fcntl(PROC_PARENT_SOCK_FILENO, F_GETFL)) == -1 ||
	    fcntl(PROC_PARENT_SOCK_FILENO, F_SETFL, fl | O_NONBLOCK) == -1)
		err(1, "fcntl");

	log_init(debug, LOG_DAEMON);
	log_setverbose(verbose);
	log_procinit(proc_name(pc->pc_procid));
	if (child_instance > 0)
		proc_title("%s: %s %d", __progname, proc_name(pc->pc_procid),
		    child_instance);
	else
		proc_title("%s: %s", __progname, proc_name(pc->pc_procid));

	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fatal("signal");
	event_init();
	/* 0 urgent, 1 (the default) channels, 2 work done after them */
	event_priority_init(PROC_PRIORITIES);
	signal_set(&child_ev_term, SIGTERM, child_sig, NULL);
	signal_set(&child_ev_int, SIGINT, child_sig, NULL);
	signal_set(&child_ev_hup, SIGHUP, child_sig, NULL);
	signal_add(&child_ev_term, NULL);
	signal_add(&child_ev_int, NULL);
	signal_add(&child_ev_hup, NULL);

	if ((child_parent = peer_new(PROC_PARENT_SOCK_FILENO, PROC_PARENT, 0,
	    child_dispatch_parent)) == NULL)
		fatal("parent channel");
	imsgbuf_allow_fdpass(&child_parent->p_ibuf);
	child_parent->p_closed = child_parent_closed;

	log_debug("started, waiting for the configuration");
	event_dispatch();
	fatalx("event loop ended");
}

static void
child_sig(int sig, short event, void *arg)
{
	static int	 stopping;

	switch (sig) {
	case SIGTERM:
	case SIGINT:
		if (stopping++)
			break;		/* already on its way out */
		if (child->pc_shutdown != NULL && child_configured_done)
			child->pc_shutdown();
		else
			proc_exit(0);
		break;
	case SIGHUP:
		/* The parent owns reloads. */
		break;
	}
}

static void
child_parent_closed(struct peer *p)
{
	/* Nothing to serve without the parent: it restarts the suite. */
	fatalx("lost the channel to the parent");
}

static void
child_peer_closed(struct peer *p)
{
	/*
	 * A peer that sent garbage is compromised or broken: die, and the
	 * parent stops and restarts the suite.  An EOF is a peer that died
	 * or stopped; the parent sees to that.
	 */
	if (p->p_malformed)
		fatalx("%s %d sent a malformed message",
		    proc_name(p->p_procid), p->p_instance);
	log_warnx("lost the channel to %s %d", proc_name(p->p_procid),
	    p->p_instance);
}

/* Channels in the mesh: every pair of children except proxy to proxy. */
static int
child_peer_allowed(int procid, int instance)
{
	if (procid <= PROC_PARENT || procid >= PROC_MAX)
		return (0);
	if (instance < 0 || instance >= child_cs.cs_instances[procid])
		return (0);
	if (procid == child->pc_procid)
		return (0);
	return (1);
}

static int
child_expected_peers(void)
{
	int	 id, n = 0;

	for (id = PROC_PARENT + 1; id < PROC_MAX; id++)
		if (id != child->pc_procid)
			n += child_cs.cs_instances[id];
	return (n);
}

static int
child_dispatch_parent(struct peer *p, struct imsg *imsg)
{
	struct privsep_fd	 pf;
	struct ipc_status	 st;
	struct peer		*np;
	int			 fd, v;
	uint32_t		 type = imsg_get_type(imsg);

	switch (type) {
	case IMSG_CTL_PROCFD:
		if (!child_have_start || child_configured_done)
			return (-1);
		if (imsg_get_data(imsg, &pf, sizeof(pf)) == -1 ||
		    !child_peer_allowed(pf.pf_procid, pf.pf_instance) ||
		    peer_find(pf.pf_procid, pf.pf_instance) != NULL)
			return (-1);
		if ((fd = imsg_get_fd(imsg)) == -1)
			return (-1);
		if ((np = peer_new(fd, pf.pf_procid, pf.pf_instance,
		    child_dispatch_peer)) == NULL)
			fatal("peer");
		np->p_closed = child_peer_closed;
		/* Peers are heard once this process is configured. */
		peer_pause(np, 1);
		break;
	case IMSG_CONF_START:
		if (child_have_start ||
		    imsg_get_data(imsg, &child_cs, sizeof(child_cs)) == -1 ||
		    !ipc_str_ok(child_cs.cs_chroot, sizeof(child_cs.cs_chroot)) ||
		    !ipc_str_ok(child_cs.cs_user, sizeof(child_cs.cs_user)))
			return (-1);
		for (v = 0; v < PROC_MAX; v++)
			if (child_cs.cs_instances[v] < 0 ||
			    child_cs.cs_instances[v] > PROC_INSTANCES_MAX)
				return (-1);
		if (child_instance >= child_cs.cs_instances[child->pc_procid])
			return (-1);
		child_have_start = 1;
		log_setverbose(child_cs.cs_verbose);
		break;
	case IMSG_CONF_END:
		if (!child_have_start || child_configured_done)
			return (-1);
		child_configured();
		break;
	case IMSG_CTL_SHOW_STATUS:
		if (child->pc_state != NULL && child_ready) {
			char	 state[IPC_STATE_MAX];

			child->pc_state(state, sizeof(state));
			proc_status(&st, state);
		} else
			proc_status(&st, child_ready ? "ready" : "starting");
		peer_compose(p, IMSG_CTL_STATUS, imsg_get_id(imsg), -1,
		    &st, sizeof(st));
		break;
	case IMSG_CTL_VERBOSE:
		if (imsg_get_data(imsg, &v, sizeof(v)) == -1)
			return (-1);
		log_setverbose(v);
		break;
	case IMSG_CTL_SANDBOX_CHECK:
		log_warnx("sandbox check: making a forbidden system call");
		if (sandbox_selftest() == -1) {
			const char	 msg[] = "the system call was allowed";

			log_warnx("sandbox check failed: %s", msg);
			peer_compose(p, IMSG_CTL_FAIL, imsg_get_id(imsg), -1,
			    msg, sizeof(msg));
		}
		break;
	default:
		if (type > IMSG_CONF_START && type < IMSG_CONF_END &&
		    child_have_start && !child_configured_done &&
		    child->pc_conf != NULL)
			return (child->pc_conf(imsg));
		if (child_ready && child->pc_dispatch_parent != NULL)
			return (child->pc_dispatch_parent(p, imsg));
		return (-1);
	}
	return (0);
}

static void
hello_fill(struct ipc_hello *h)
{
	memset(h, 0, sizeof(*h));
	h->h_procid = child->pc_procid;
	h->h_instance = child_instance;
	h->h_pid = getpid();
	(void)strlcpy(h->h_version, ROUTSTRD_VERSION, sizeof(h->h_version));
}

static void
child_configured(void)
{
	struct ipc_hello	 h;
	struct peer		*p;
	int			 n = 0;

	TAILQ_FOREACH(p, &peers, p_entry)
		if (p->p_procid != PROC_PARENT)
			n++;
	if (n != child_expected_peers())
		fatalx("the parent passed %d channels, %d expected", n,
		    child_expected_peers());

	if (child->pc_configured != NULL)
		child->pc_configured();
	sandbox_drop(child->pc_procid, &child_cs);
	sandbox_confine(child->pc_procid,
	    child->pc_rwdir != NULL ? child->pc_rwdir() : NULL);
	child_configured_done = 1;
	if (child->pc_sandboxed != NULL)
		child->pc_sandboxed();

	/*
	 * Prove every channel: our hello and its reply cross it.  A peer
	 * answers only once it is configured and sandboxed too.
	 */
	hello_fill(&h);
	TAILQ_FOREACH(p, &peers, p_entry) {
		if (p->p_procid == PROC_PARENT)
			continue;
		peer_pause(p, 0);
		if (proc_request(p, IMSG_HELLO, &h, sizeof(h),
		    IPC_START_TIMEOUT_MS, child_hello_done, p) == 0)
			fatal("hello to %s", proc_name(p->p_procid));
	}
	if (n == 0)
		child_hello_done(NULL, NULL);
}

static int
hello_check(struct peer *p, struct imsg *imsg, struct ipc_hello *h)
{
	if (imsg_get_data(imsg, h, sizeof(*h)) == -1 ||
	    h->h_procid != p->p_procid || h->h_instance != p->p_instance ||
	    !ipc_str_ok(h->h_version, sizeof(h->h_version)))
		return (-1);
	if (strcmp(h->h_version, ROUTSTRD_VERSION) != 0) {
		log_warnx("%s runs version %s, not %s",
		    proc_name(p->p_procid), h->h_version, ROUTSTRD_VERSION);
		return (-1);
	}
	return (0);
}

static void
child_hello_done(struct imsg *imsg, void *arg)
{
	struct ipc_hello	 h;
	struct peer		*p = arg;

	if (p != NULL) {
		if (imsg == NULL)
			fatalx("no hello from %s %d", proc_name(p->p_procid),
			    p->p_instance);
		if (imsg_get_type(imsg) != IMSG_HELLO_REPLY ||
		    hello_check(p, imsg, &h) == -1)
			fatalx("bad hello from %s %d", proc_name(p->p_procid),
			    p->p_instance);
		p->p_hello = 1;
		p->p_pid = h.h_pid;
		log_debug("channel to %s %d (pid %d) proven",
		    proc_name(p->p_procid), p->p_instance, (int)p->p_pid);
		child_proven++;
	}
	if (child_proven < child_expected_peers())
		return;

	log_debug("%d channels proven", child_proven);
	if (child->pc_ready == NULL || child->pc_ready() == 0)
		proc_ready();
}

/* Tell the parent that this process is up and serving. */
void
proc_ready(void)
{
	struct ipc_status	 st;

	if (child_ready)
		return;
	child_ready = 1;
	log_info("ready");
	proc_status(&st, "ready");
	peer_compose(child_parent, IMSG_READY, 0, -1, &st, sizeof(st));
}

static int
child_dispatch_peer(struct peer *p, struct imsg *imsg)
{
	struct ipc_hello	 h;

	switch (imsg_get_type(imsg)) {
	case IMSG_HELLO:
		if (p->p_greeted || hello_check(p, imsg, &h) == -1)
			return (-1);
		p->p_greeted = 1;
		hello_fill(&h);
		return (peer_compose(p, IMSG_HELLO_REPLY, imsg_get_id(imsg), -1,
		    &h, sizeof(h)));
	default:
		if (child->pc_dispatch == NULL || !child_configured_done)
			return (-1);
		return (child->pc_dispatch(p, imsg));
	}
}
