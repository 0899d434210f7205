/*
 * relayd-client: the Nostr relay I/O process.  Holds no key; asks mintd
 * to sign.  Started by routstrd(8).
 */

#include <sys/types.h>
#include <sys/queue.h>

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
};
TAILQ_HEAD(, relay_url)		 relays = TAILQ_HEAD_INITIALIZER(relays);

static int	 relay_conf(struct imsg *);
static void	 relay_configured(void);

static const struct proc_child	 relay_child = {
	.pc_procid = PROC_RELAY,
	.pc_conf = relay_conf,
	.pc_configured = relay_configured,
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

	switch (imsg_get_type(imsg)) {
	case IMSG_CONF_RELAY:
		if (imsg_get_data(imsg, &cu, sizeof(cu)) == -1 ||
		    !ipc_str_ok(cu.cu_url, sizeof(cu.cu_url)) ||
		    (strncmp(cu.cu_url, "ws://", 5) != 0 &&
		    strncmp(cu.cu_url, "wss://", 6) != 0))
			return (-1);
		if ((r = calloc(1, sizeof(*r))) == NULL)
			fatal(NULL);
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
