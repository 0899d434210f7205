/*
 * The control socket, for routstrctl(8): hosted by the parent, which
 * answers for itself and asks the children for the rest.  Only root and
 * the user routstrd runs as may connect.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc.h"
#include "log.h"
#include "proc.h"
#include "routstrd.h"

#define CONTROL_BACKLOG		5
#define CONTROL_MAX_CLIENTS	16
#define CONTROL_TIMEOUT_MS	3000
#define CONTROL_PAUSE_SEC	1
#define CONTROL_QUEUE_MAX	256	/* replies queued to one client */

/* One "show status" in progress: a slot per child. */
struct status_query {
	int			 sq_conn;	/* control client id */
	uint32_t		 sq_id;		/* its request id */
	int			 sq_pending;
	struct ipc_status	*sq_status;
};

struct status_slot {
	struct status_query	*ss_query;
	int			 ss_index;
};

static struct event	 control_ev, control_pause_ev;
static int		 control_fd = -1;
static int		 control_nclients;
static int		 control_next_id = 1;

/* A sandbox check in progress: who asked, about which child. */
static struct child	*check_child;
static int		 check_conn;
static uint32_t		 check_id;

static void	 control_accept(int, short, void *);
static void	 control_unpause(int, short, void *);
static int	 control_dispatch(struct peer *, struct imsg *);
static void	 control_closed(struct peer *);
static void	 control_status(struct peer *, uint32_t);
static void	 control_status_done(struct imsg *, void *);
static void	 control_check(struct peer *, uint32_t, int);
static void	 control_check_done(struct imsg *, void *);
static void	 control_status_send(struct status_query *);
static void	 control_mint_token(struct peer *, struct imsg *);
static void	 control_mint_rotate(struct peer *, struct imsg *);
static struct peer *mint_peer(void);
static void	 control_forward_done(struct imsg *, void *);
static void	 parent_status(struct ipc_status *);

int
control_init(const char *path)
{
	struct sockaddr_un	 sun;
	mode_t			 old;
	char			 dir[sizeof(sun.sun_path)], *slash;
	int			 fd;

	/* The default lives in /run/routstrd, which systemd may not make. */
	if (strlcpy(dir, path, sizeof(dir)) < sizeof(dir) &&
	    (slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
			log_warn("control socket directory %s", dir);
			return (-1);
		}
	}

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		log_warnx("control socket path too long: %s", path);
		return (-1);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1) {
		log_warn("control socket");
		return (-1);
	}
	/*
	 * Refuse to run twice: a live socket means another routstrd.  Only
	 * a refusal says it is stale; a full backlog is a live one.
	 */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 ||
	    (errno != ECONNREFUSED && errno != ENOENT)) {
		log_warnx("control socket %s is in use: is routstrd running?",
		    path);
		close(fd);
		return (-1);
	}
	if (unlink(path) == -1 && errno != ENOENT) {
		log_warn("unlink %s", path);
		close(fd);
		return (-1);
	}
	old = umask(S_IXUSR | S_IRWXG | S_IRWXO);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		log_warn("bind %s", path);
		umask(old);
		close(fd);
		return (-1);
	}
	umask(old);
	if (chmod(path, S_IRUSR | S_IWUSR) == -1 ||
	    listen(fd, CONTROL_BACKLOG) == -1) {
		log_warn("control socket %s", path);
		(void)unlink(path);
		close(fd);
		return (-1);
	}
	control_fd = fd;
	return (0);
}

void
control_listen(void)
{
	event_set(&control_ev, control_fd, EV_READ | EV_PERSIST,
	    control_accept, NULL);
	event_add(&control_ev, NULL);
	evtimer_set(&control_pause_ev, control_unpause, NULL);
}

void
control_cleanup(const char *path)
{
	if (control_fd == -1)
		return;
	close(control_fd);
	control_fd = -1;
	(void)unlink(path);
}

static void
control_unpause(int fd, short event, void *arg)
{
	event_add(&control_ev, NULL);
}

static void
control_accept(int fd, short event, void *arg)
{
	struct timeval	 tv = { CONTROL_PAUSE_SEC, 0 };
	struct ucred	 cred;
	struct peer	*p;
	socklen_t	 len = sizeof(cred);
	int		 cfd;

	if ((cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC))
	    == -1) {
		/* Out of fds: stop accepting for a while, do not spin. */
		if (errno == ENFILE || errno == EMFILE) {
			event_del(&control_ev);
			evtimer_add(&control_pause_ev, &tv);
		} else if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("control accept");
		return;
	}
	/*
	 * Root or our own user, but not our children: unprivileged, they
	 * share our uid and are not chrooted.
	 */
	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1 ||
	    (cred.uid != 0 && cred.uid != geteuid()) ||
	    child_by_pid(cred.pid) != NULL) {
		log_warnx("control: refused a client of uid %d",
		    len == sizeof(cred) ? (int)cred.uid : -1);
		close(cfd);
		return;
	}
	if (control_nclients >= CONTROL_MAX_CLIENTS) {
		log_warnx("control: too many clients");
		close(cfd);
		return;
	}
	if ((p = peer_new(cfd, CONTROL_PEER, control_next_id++,
	    control_dispatch)) == NULL) {
		log_warn("control client");
		close(cfd);
		return;
	}
	p->p_closed = control_closed;
	control_nclients++;
}

static void
control_closed(struct peer *p)
{
	control_nclients--;
}

static int
control_dispatch(struct peer *p, struct imsg *imsg)
{
	struct child	*c;
	int		 v, i;

	/* A client that sends without reading gets cut off. */
	if (imsgbuf_queuelen(&p->p_ibuf) > CONTROL_QUEUE_MAX)
		return (-1);
	switch (imsg_get_type(imsg)) {
	case IMSG_CTL_SHOW_STATUS:
		control_status(p, imsg_get_id(imsg));
		break;
	case IMSG_CTL_VERBOSE:
		if (imsg_get_data(imsg, &v, sizeof(v)) == -1 || v < 0 ||
		    v > 3)
			return (-1);
		log_setverbose(v);
		parent->p_verbose = v;
		for (i = 0; i < parent->p_nchildren; i++) {
			c = &parent->p_children[i];
			if (c->c_peer != NULL)
				peer_compose(c->c_peer, IMSG_CTL_VERBOSE, 0,
				    -1, &v, sizeof(v));
		}
		log_info("verbosity set to %d", v);
		peer_compose(p, IMSG_CTL_OK, imsg_get_id(imsg), -1, NULL, 0);
		break;
	case IMSG_CTL_MINT_TOKEN:
		control_mint_token(p, imsg);
		break;
	case IMSG_CTL_MINT_ROTATE:
		control_mint_rotate(p, imsg);
		break;
	case IMSG_CTL_MINT_SHOW:
		if (imsg_get_len(imsg) != 0)
			return (-1);
		control_mint_show(p, imsg_get_id(imsg));
		break;
	case IMSG_CTL_LEDGER_CHECK:
		if (imsg_get_len(imsg) != 0)
			return (-1);
		control_ledger_check(p, imsg_get_id(imsg));
		break;
	case IMSG_CTL_LEDGER_BACKUP:
		control_ledger_backup(p, imsg_get_id(imsg), imsg);
		break;
	case IMSG_CTL_SANDBOX_CHECK:
		if (imsg_get_data(imsg, &v, sizeof(v)) == -1 ||
		    v <= PROC_PARENT || v >= PROC_MAX)
			return (-1);
		control_check(p, imsg_get_id(imsg), v);
		break;
	default:
		return (-1);
	}
	return (0);
}

/* A request a child answers with CTL_OK or CTL_FAIL and a text. */
struct forward {
	int		 f_conn;
	uint32_t	 f_id;
};

static void
control_forward_done(struct imsg *imsg, void *arg)
{
	struct forward	*f = arg;
	struct peer	*p;
	char		*text = NULL;
	size_t		 len;
	uint32_t	 type;

	if ((p = peer_find(CONTROL_PEER, f->f_conn)) == NULL)
		goto done;
	if (imsg == NULL) {
		peer_compose(p, IMSG_CTL_FAIL, f->f_id, -1, "no answer",
		    sizeof("no answer"));
		goto done;
	}
	type = imsg_get_type(imsg);
	len = imsg_get_len(imsg);
	if ((type != IMSG_CTL_OK && type != IMSG_CTL_FAIL) || len == 0 ||
	    len > IPC_MAXSIZE || (text = malloc(len)) == NULL ||
	    imsg_get_strbuf(imsg, text, len) == -1) {
		peer_compose(p, IMSG_CTL_FAIL, f->f_id, -1, "bad answer",
		    sizeof("bad answer"));
		goto done;
	}
	/* The text may be a token: passed on, never logged. */
	peer_compose(p, type, f->f_id, -1, text, len);
 done:
	freezero(text, text != NULL ? len : 0);
	free(f);
}

static struct peer *
mint_peer(void)
{
	int	 i;

	for (i = 0; i < parent->p_nchildren; i++)
		if (parent->p_children[i].c_procid == PROC_MINT)
			return (parent->p_children[i].c_peer);
	return (NULL);
}

static void
control_mint_token(struct peer *p, struct imsg *imsg)
{
	struct ipc_mint_token	 mt;
	struct forward		*f;
	struct peer		*mint = mint_peer();
	uint64_t		 amount;

	if (imsg_get_data(imsg, &amount, sizeof(amount)) == -1) {
		peer_compose(p, IMSG_CTL_FAIL, imsg_get_id(imsg), -1,
		    "bad request", sizeof("bad request"));
		return;
	}
	memset(&mt, 0, sizeof(mt));
	mt.mt_amount = amount;
	if (parent->p_conf->c_http_url != NULL)
		(void)strlcpy(mt.mt_url, parent->p_conf->c_http_url,
		    sizeof(mt.mt_url));
	if ((f = calloc(1, sizeof(*f))) == NULL)
		fatal(NULL);
	f->f_conn = p->p_instance;
	f->f_id = imsg_get_id(imsg);
	if (mint == NULL || proc_request(mint, IMSG_CTL_MINT_TOKEN, &mt,
	    sizeof(mt), CONTROL_TIMEOUT_MS, control_forward_done, f) == 0) {
		peer_compose(p, IMSG_CTL_FAIL, f->f_id, -1, "no mint",
		    sizeof("no mint"));
		free(f);
	}
}

/*
 * routstrctl mint rotate: only mintd holds the seed, so it derives the
 * keyset and has the ledger record it; the answer is passed on.
 */
static void
control_mint_rotate(struct peer *p, struct imsg *imsg)
{
	struct forward	*f;
	struct peer	*mint = mint_peer();
	char		 unit[IPC_UNIT_MAX];
	const char	 bad[] = "bad unit";
	const char	 nomint[] = "this node runs no mint";

	if (imsg_get_data(imsg, unit, sizeof(unit)) == -1 ||
	    !ipc_str_ok(unit, sizeof(unit)) || unit[0] == '\0') {
		peer_compose(p, IMSG_CTL_FAIL, imsg_get_id(imsg), -1, bad,
		    sizeof(bad));
		return;
	}
	if (!control_local_mint()) {
		peer_compose(p, IMSG_CTL_FAIL, imsg_get_id(imsg), -1, nomint,
		    sizeof(nomint));
		return;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL)
		fatal(NULL);
	f->f_conn = p->p_instance;
	f->f_id = imsg_get_id(imsg);
	log_info("keyset rotation of unit %s requested", unit);
	/* The mint waits for the ledger: give it the time it gives it. */
	if (mint == NULL || proc_request(mint, IMSG_CTL_MINT_ROTATE, unit,
	    sizeof(unit), IPC_TIMEOUT_MS + CONTROL_TIMEOUT_MS,
	    control_forward_done, f) == 0) {
		peer_compose(p, IMSG_CTL_FAIL, f->f_id, -1, "no mint",
		    sizeof("no mint"));
		free(f);
	}
}

/* Whether routstrd.conf has "mint local". */
int
control_local_mint(void)
{
	struct mint	*m;

	TAILQ_FOREACH(m, &parent->p_conf->c_mints, m_entry)
		if (m->m_local)
			return (1);
	return (0);
}

static void
parent_status(struct ipc_status *st)
{
	memset(st, 0, sizeof(*st));
	st->s_procid = PROC_PARENT;
	st->s_pid = getpid();
	st->s_uid = getuid();
	st->s_started = parent->p_started;
	(void)strlcpy(st->s_title, "parent", sizeof(st->s_title));
	(void)strlcpy(st->s_state, "running", sizeof(st->s_state));
}

static void
control_status(struct peer *p, uint32_t id)
{
	struct status_query	*q;
	struct status_slot	*slot;
	struct child		*c;
	char			 title[64];
	int			 i;

	if ((q = calloc(1, sizeof(*q))) == NULL ||
	    (q->sq_status = calloc(parent->p_nchildren,
	    sizeof(*q->sq_status))) == NULL)
		fatal(NULL);
	q->sq_conn = p->p_instance;
	q->sq_id = id;
	for (i = 0; i < parent->p_nchildren; i++) {
		c = &parent->p_children[i];
		/* Until it answers, say what the parent knows. */
		q->sq_status[i].s_procid = c->c_procid;
		q->sq_status[i].s_instance = c->c_instance;
		q->sq_status[i].s_pid = c->c_pid;
		q->sq_status[i].s_uid = -1;
		(void)strlcpy(q->sq_status[i].s_title,
		    child_title(c, title, sizeof(title)),
		    sizeof(q->sq_status[i].s_title));
		(void)strlcpy(q->sq_status[i].s_state, c->c_peer == NULL ?
		    "gone" : "not answering", sizeof(q->sq_status[i].s_state));
		if (c->c_peer == NULL)
			continue;
		if ((slot = calloc(1, sizeof(*slot))) == NULL)
			fatal(NULL);
		slot->ss_query = q;
		slot->ss_index = i;
		if (proc_request(c->c_peer, IMSG_CTL_SHOW_STATUS, NULL, 0,
		    CONTROL_TIMEOUT_MS, control_status_done, slot) == 0) {
			free(slot);
			continue;
		}
		q->sq_pending++;
	}
	if (q->sq_pending == 0)
		control_status_send(q);
}

static void
control_status_done(struct imsg *imsg, void *arg)
{
	struct status_slot	*slot = arg;
	struct status_query	*q = slot->ss_query;
	struct ipc_status	 st, *dst;

	dst = &q->sq_status[slot->ss_index];
	if (imsg != NULL) {
		if (imsg_get_type(imsg) != IMSG_CTL_STATUS ||
		    imsg_get_data(imsg, &st, sizeof(st)) == -1 ||
		    st.s_procid != dst->s_procid ||
		    st.s_instance != dst->s_instance ||
		    !ipc_str_ok(st.s_title, sizeof(st.s_title)) ||
		    !ipc_str_ok(st.s_state, sizeof(st.s_state)))
			log_warnx("bad status from %s", proc_name(dst->s_procid));
		else
			*dst = st;
	}
	free(slot);
	if (--q->sq_pending == 0)
		control_status_send(q);
}

static void
control_status_send(struct status_query *q)
{
	struct ipc_status	 st;
	struct peer		*p;
	int			 i;

	if ((p = peer_find(CONTROL_PEER, q->sq_conn)) != NULL) {
		parent_status(&st);
		peer_compose(p, IMSG_CTL_STATUS, q->sq_id, -1, &st, sizeof(st));
		for (i = 0; i < parent->p_nchildren; i++)
			peer_compose(p, IMSG_CTL_STATUS, q->sq_id, -1,
			    &q->sq_status[i], sizeof(q->sq_status[i]));
		peer_compose(p, IMSG_CTL_END, q->sq_id, -1, NULL, 0);
	}
	free(q->sq_status);
	free(q);
}

/*
 * A sandbox check: the child makes a system call its filter forbids and
 * must die of it.  The death then stops the suite like any other.
 */
static void
control_check(struct peer *p, uint32_t id, int procid)
{
	struct child	*c = NULL;
	const char	 busy[] = "a check is already running";
	int		 i;

	if (check_child != NULL) {
		peer_compose(p, IMSG_CTL_FAIL, id, -1, busy, sizeof(busy));
		return;
	}
	for (i = 0; i < parent->p_nchildren; i++)
		if (parent->p_children[i].c_procid == procid &&
		    parent->p_children[i].c_instance == 0)
			c = &parent->p_children[i];
	if (c == NULL || c->c_peer == NULL) {
		const char	 gone[] = "no such process";

		peer_compose(p, IMSG_CTL_FAIL, id, -1, gone, sizeof(gone));
		return;
	}
	log_warnx("sandbox check of %s requested: it must die of SIGSYS",
	    proc_name(procid));
	check_child = c;
	check_conn = p->p_instance;
	check_id = id;
	if (proc_request(c->c_peer, IMSG_CTL_SANDBOX_CHECK, &procid,
	    sizeof(procid), CONTROL_TIMEOUT_MS, control_check_done, c) == 0) {
		check_child = NULL;
		peer_compose(p, IMSG_CTL_FAIL, id, -1, "", 1);
	}
}

/* The child answered (it survived its forbidden call), or did not. */
static void
control_check_done(struct imsg *imsg, void *arg)
{
	struct peer	*p;
	const char	 msg[] = "the process survived the forbidden call";
	const char	 none[] = "no answer from the process";

	if (check_child == NULL)
		return;
	if (imsg == NULL) {
		/* Its channel closed: it died, control_child_died() answers. */
		if (check_child->c_peer == NULL || check_child->c_peer->p_dead)
			return;
		if ((p = peer_find(CONTROL_PEER, check_conn)) != NULL)
			peer_compose(p, IMSG_CTL_FAIL, check_id, -1, none,
			    sizeof(none));
		check_child = NULL;
		return;
	}
	if ((p = peer_find(CONTROL_PEER, check_conn)) != NULL)
		peer_compose(p, IMSG_CTL_FAIL, check_id, -1, msg, sizeof(msg));
	check_child = NULL;
}

/* Called by children_reap() for every death outside a shutdown. */
void
control_child_died(struct child *c)
{
	struct peer	*p;
	char		 msg[128];

	if (c != check_child)
		return;
	check_child = NULL;
	if ((p = peer_find(CONTROL_PEER, check_conn)) == NULL)
		return;
	if (WIFSIGNALED(c->c_status) && WTERMSIG(c->c_status) == SIGSYS) {
		(void)snprintf(msg, sizeof(msg), "%s (pid %d) was killed by "
		    "its sandbox", proc_name(c->c_procid), (int)c->c_pid);
		peer_compose(p, IMSG_CTL_OK, check_id, -1, msg,
		    strlen(msg) + 1);
	} else {
		(void)snprintf(msg, sizeof(msg), "%s died, but not of SIGSYS",
		    proc_name(c->c_procid));
		peer_compose(p, IMSG_CTL_FAIL, check_id, -1, msg,
		    strlen(msg) + 1);
	}
	/* The suite stops next: one try to send it, never a wait. */
	(void)imsgbuf_write(&p->p_ibuf);
}
