/*
 * Name resolution for the children.  The proxy, the mint and the relay
 * client connect out but have no filesystem (chroot, Landlock), so they
 * cannot read /etc/resolv.conf or /etc/hosts: they ask the parent, which
 * looks names up with getaddrinfo_a(3) without blocking its event loop,
 * as OpenBSD's ntpd has a process for DNS.  The ledger never asks.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <event.h>
#include <netdb.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"
#include "log.h"
#include "proc.h"
#include "routstrd.h"

#define RESOLVE_PENDING_MAX	64	/* lookups in flight, all children */
#define RESOLVE_SIGNAL		SIGUSR1	/* getaddrinfo_a says "done" */

struct lookup {
	TAILQ_ENTRY(lookup)	 l_entry;
	struct gaicb		 l_gai;
	struct gaicb		*l_list[1];
	struct addrinfo		 l_hints;
	char			 l_host[IPC_HOST_MAX];
	int			 l_procid;
	int			 l_instance;
	uint32_t		 l_id;
};
TAILQ_HEAD(, lookup)		 lookups = TAILQ_HEAD_INITIALIZER(lookups);

static struct event	 ev_resolved;
static int		 npending;

static void	 resolve_done(int, short, void *);
static void	 resolve_reply(int, int, uint32_t, int, struct addrinfo *);

void
resolve_init(void)
{
	signal_set(&ev_resolved, RESOLVE_SIGNAL, resolve_done, NULL);
	signal_add(&ev_resolved, NULL);
}

/* Returns -1 when the request is malformed or from the wrong child. */
int
resolve_start(struct child *c, struct imsg *imsg)
{
	struct ipc_resolve	 req;
	struct sigevent		 sev;
	struct lookup		*l;
	int			 error;

	if (c->c_procid == PROC_LEDGER ||
	    imsg_get_data(imsg, &req, sizeof(req)) == -1 ||
	    !ipc_host_ok(req.r_host, sizeof(req.r_host)))
		return (-1);
	if (npending >= RESOLVE_PENDING_MAX) {
		resolve_reply(c->c_procid, c->c_instance, imsg_get_id(imsg),
		    EAI_AGAIN, NULL);
		return (0);
	}
	if ((l = calloc(1, sizeof(*l))) == NULL)
		fatal(NULL);
	memcpy(l->l_host, req.r_host, sizeof(l->l_host));
	l->l_procid = c->c_procid;
	l->l_instance = c->c_instance;
	l->l_id = imsg_get_id(imsg);
	l->l_hints.ai_family = AF_UNSPEC;
	l->l_hints.ai_socktype = SOCK_STREAM;
	l->l_gai.ar_name = l->l_host;
	l->l_gai.ar_request = &l->l_hints;
	l->l_list[0] = &l->l_gai;

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = RESOLVE_SIGNAL;
	if ((error = getaddrinfo_a(GAI_NOWAIT, l->l_list, 1, &sev)) != 0) {
		resolve_reply(l->l_procid, l->l_instance, l->l_id, error, NULL);
		/* glibc may have queued it before failing: then it is ours
		   to keep until it finishes, unanswered. */
		if (gai_error(&l->l_gai) != EAI_INPROGRESS) {
			free(l);
			return (0);
		}
		l->l_id = 0;
	}
	TAILQ_INSERT_TAIL(&lookups, l, l_entry);
	npending++;
	return (0);
}

/* Some lookup finished: answer every one that has. */
static void
resolve_done(int sig, short event, void *arg)
{
	struct lookup	*l, *next;
	int		 error;

	TAILQ_FOREACH_SAFE(l, &lookups, l_entry, next) {
		if ((error = gai_error(&l->l_gai)) == EAI_INPROGRESS)
			continue;
		if (l->l_id != 0)
			resolve_reply(l->l_procid, l->l_instance, l->l_id,
			    error, error == 0 ? l->l_gai.ar_result : NULL);
		if (l->l_gai.ar_result != NULL)
			freeaddrinfo(l->l_gai.ar_result);
		TAILQ_REMOVE(&lookups, l, l_entry);
		npending--;
		free(l);
	}
}

static void
resolve_reply(int procid, int instance, uint32_t id, int error,
    struct addrinfo *res)
{
	struct ipc_resolved	 rep;
	struct addrinfo		*ai;
	struct child		*c = NULL;
	uint32_t		 i;
	int			 n;

	for (n = 0; n < parent->p_nchildren; n++)
		if (parent->p_children[n].c_procid == procid &&
		    parent->p_children[n].c_instance == instance)
			c = &parent->p_children[n];
	if (c == NULL || c->c_peer == NULL)
		return;		/* it died meanwhile */

	memset(&rep, 0, sizeof(rep));
	rep.r_error = error;
	for (ai = res; ai != NULL && rep.r_count < IPC_RESOLVE_MAX;
	    ai = ai->ai_next) {
		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
		    ai->ai_addrlen > sizeof(rep.r_addrs[0]))
			continue;
		for (i = 0; i < rep.r_count; i++)
			if (memcmp(&rep.r_addrs[i], ai->ai_addr,
			    ai->ai_addrlen) == 0)
				break;
		if (i < rep.r_count)
			continue;
		memcpy(&rep.r_addrs[rep.r_count++], ai->ai_addr,
		    ai->ai_addrlen);
	}
	if (error == 0 && rep.r_count == 0)
		rep.r_error = EAI_NODATA;
	peer_compose(c->c_peer, IMSG_RESOLVE_REPLY, id, -1, &rep, sizeof(rep));
}
