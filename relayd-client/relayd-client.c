/*
 * relayd-client: the Nostr relay I/O process.  Holds no key; asks mintd
 * to sign.  Started by routstrd(8).
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imsg.h"
#include "ipc.h"
#include "log.h"
#include "proc.h"

struct relay_url {
	TAILQ_ENTRY(relay_url)	 r_entry;
	char			 r_url[IPC_URL_MAX];
	char			 r_host[IPC_HOST_MAX];
	uint16_t		 r_port;
	uint32_t		 r_naddrs;
	struct sockaddr_storage	 r_addrs[IPC_RESOLVE_MAX];
};
TAILQ_HEAD(, relay_url)		 relays = TAILQ_HEAD_INITIALIZER(relays);

static int	 relay_conf(struct imsg *);
static void	 relay_configured(void);
static int	 relay_ready(void);
static void	 relay_resolved(struct imsg *, void *);

static const struct proc_child	 relay_child = {
	.pc_procid = PROC_RELAY,
	.pc_conf = relay_conf,
	.pc_configured = relay_configured,
	.pc_ready = relay_ready,
};

int
main(int argc, char *argv[])
{
	proc_child_main(&relay_child, argc, argv);
}

static int
relay_conf(struct imsg *imsg)
{
	struct ipc_conf_url	 cu;
	struct relay_url	*r;
	char			 scheme[8];

	switch (imsg_get_type(imsg)) {
	case IMSG_CONF_RELAY:
		if ((r = calloc(1, sizeof(*r))) == NULL)
			fatal(NULL);
		if (imsg_get_data(imsg, &cu, sizeof(cu)) == -1 ||
		    !ipc_str_ok(cu.cu_url, sizeof(cu.cu_url)) ||
		    url_split(cu.cu_url, scheme, sizeof(scheme), r->r_host,
		    sizeof(r->r_host), &r->r_port) == -1 ||
		    (strcmp(scheme, "ws") != 0 && strcmp(scheme, "wss") != 0)) {
			free(r);
			return (-1);
		}
		memcpy(r->r_url, cu.cu_url, sizeof(r->r_url));
		TAILQ_INSERT_TAIL(&relays, r, r_entry);
		return (0);
	default:
		return (-1);
	}
}

static void
relay_configured(void)
{
	struct relay_url	*r;
	int			 n = 0;

	TAILQ_FOREACH(r, &relays, r_entry)
		n++;
	log_debug("%d relays configured", n);
}

/* Every relay's address, from the parent's resolver. */
static int
relay_ready(void)
{
	struct ipc_resolve	 req;
	struct relay_url	*r;

	TAILQ_FOREACH(r, &relays, r_entry) {
		memset(&req, 0, sizeof(req));
		memcpy(req.r_host, r->r_host, sizeof(req.r_host));
		if (proc_request(proc_parent(), IMSG_RESOLVE, &req,
		    sizeof(req), IPC_TIMEOUT_MS, relay_resolved, r) == 0)
			fatal("resolve request");
	}
	return (0);
}

static void
relay_resolved(struct imsg *imsg, void *arg)
{
	struct ipc_resolved	 rep;
	struct relay_url	*r = arg;

	if (imsg == NULL) {
		log_warnx("relay %s: no answer from the resolver", r->r_host);
		return;
	}
	if (imsg_get_type(imsg) != IMSG_RESOLVE_REPLY ||
	    imsg_get_data(imsg, &rep, sizeof(rep)) == -1 ||
	    !ipc_resolved_ok(&rep))
		fatalx("bad answer from the resolver");
	if (rep.r_error != 0) {
		log_warnx("relay %s: %s", r->r_host, gai_strerror(rep.r_error));
		return;
	}
	r->r_naddrs = rep.r_count;
	memcpy(r->r_addrs, rep.r_addrs, sizeof(r->r_addrs));
	log_info("relay %s port %u: %u address%s", r->r_host, r->r_port,
	    r->r_naddrs, r->r_naddrs == 1 ? "" : "es");
}
