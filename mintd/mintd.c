/*
 * mintd: the key holder of the suite.  Started by routstrd(8); no
 * filesystem, secrets arrive as fds.
 */

#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"
#include "ipc.h"
#include "log.h"
#include "mintd.h"
#include "proc.h"

struct trusted_mint {
	TAILQ_ENTRY(trusted_mint) t_entry;
	char			 t_url[IPC_URL_MAX];
};
TAILQ_HEAD(, trusted_mint)	 trusted = TAILQ_HEAD_INITIALIZER(trusted);

static int	 mint_conf(struct imsg *);
static void	 mint_configured(void);
static int	 mint_dispatch(struct peer *, struct imsg *);

static struct ipc_conf_mint	 local;
static int			 have_local;
static int			 seed_fd = -1;
static int			 nostr_fd = -1;

static const struct proc_child	 mint_child = {
	.pc_procid = PROC_MINT,
	.pc_conf = mint_conf,
	.pc_configured = mint_configured,
	.pc_dispatch = mint_dispatch,
};

int
main(int argc, char *argv[])
{
	/* Secrets arrive soon: no core dumps, no ptrace by our uid. */
	if (prctl(PR_SET_DUMPABLE, 0) == -1)
		fatal("prctl");
	proc_child_main(&mint_child, argc, argv);
}

static int
mint_conf(struct imsg *imsg)
{
	struct ipc_conf_url	 cu;
	struct trusted_mint	*t;

	switch (imsg_get_type(imsg)) {
	case IMSG_CONF_MINT:
		if (have_local ||
		    imsg_get_data(imsg, &local, sizeof(local)) == -1 ||
		    local.cm_local != 1 ||
		    (local.cm_lightning != LIGHTNING_FAKE &&
		    local.cm_lightning != LIGHTNING_LND) ||
		    !ipc_str_ok(local.cm_lnd_url, sizeof(local.cm_lnd_url)))
			return (-1);
		seed_fd = imsg_get_fd(imsg);
		if ((seed_fd == -1) != (local.cm_hasseed == 0))
			return (-1);
		have_local = 1;
		return (0);
	case IMSG_CONF_TRUSTED_MINT:
		if (imsg_get_data(imsg, &cu, sizeof(cu)) == -1 ||
		    !ipc_str_ok(cu.cu_url, sizeof(cu.cu_url)) ||
		    strncmp(cu.cu_url, "http", 4) != 0)
			return (-1);
		if ((t = calloc(1, sizeof(*t))) == NULL)
			fatal(NULL);
		memcpy(t->t_url, cu.cu_url, sizeof(t->t_url));
		TAILQ_INSERT_TAIL(&trusted, t, t_entry);
		return (0);
	case IMSG_CONF_NOSTR_KEY:
		if (nostr_fd != -1 || imsg_get_len(imsg) != 0 ||
		    (nostr_fd = imsg_get_fd(imsg)) == -1)
			return (-1);
		return (0);
	default:
		return (-1);
	}
}

static void
mint_configured(void)
{
	if (nostr_fd != -1) {
		if (nostr_key_load(nostr_fd) == -1)
			fatalx("cannot use the nostr key");
		close(nostr_fd);
		nostr_fd = -1;
	}
	if (have_local)
		log_info("local mint, %s lightning%s",
		    local.cm_lightning == LIGHTNING_FAKE ? "fake" : "lnd",
		    local.cm_lightning == LIGHTNING_FAKE ?
		    " (FOR TESTS ONLY: invoices are never really paid)" : "");
}

static int
mint_dispatch(struct peer *p, struct imsg *imsg)
{
	struct ipc_identity	 id;

	switch (imsg_get_type(imsg)) {
	case IMSG_MINT_IDENTITY:
		if (p->p_procid != PROC_PROXY || imsg_get_len(imsg) != 0)
			return (-1);
		nostr_key_identity(&id);
		return (peer_compose(p, IMSG_MINT_IDENTITY_REPLY,
		    imsg_get_id(imsg), -1, &id, sizeof(id)));
	default:
		return (-1);
	}
}
