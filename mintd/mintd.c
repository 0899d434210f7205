/*
 * mintd: the key holder of the suite.  Started by routstrd(8); no
 * filesystem, secrets arrive as fds.
 */

#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/queue.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bdhke.h"
#include "curlev.h"
#include "imsg.h"
#include "ipc.h"
#include "log.h"
#include "mintd.h"
#include "proc.h"

#define IDENTITY_WAITING_MAX	PROC_INSTANCES_MAX

struct mintd			*mintd;

static int	 mint_conf(struct imsg *);
static void	 mint_configured(void);
static int	 mint_ready(void);
static void	 mint_keys_ready(void);
static int	 mint_dispatch(struct peer *, struct imsg *);
static void	 mint_shutdown(void);
static void	 identity_reply(int, int, uint32_t);

static struct ipc_conf_mint	 local;
static int			 have_local;
static int			 seed_fd = -1;
static int			 nostr_fd = -1;
static int			 macaroon_fd = -1;	/* LND's */
static int			 lndcert_fd = -1;
static int			 keys_ready;

/* The proxies that asked who we are before the keysets were loaded. */
static struct {
	int		 w_instance;
	uint32_t	 w_id;
}				 waiting[IDENTITY_WAITING_MAX];
static int			 nwaiting;

static int	 mint_dispatch_parent(struct peer *, struct imsg *);

static const struct proc_child	 mint_child = {
	.pc_procid = PROC_MINT,
	.pc_conf = mint_conf,
	.pc_configured = mint_configured,
	.pc_ready = mint_ready,
	.pc_dispatch = mint_dispatch,
	.pc_dispatch_parent = mint_dispatch_parent,
	.pc_shutdown = mint_shutdown,
};

/* routstrctl's requests that the parent passes on. */
static int
mint_dispatch_parent(struct peer *p, struct imsg *imsg)
{
	switch (imsg_get_type(imsg)) {
	case IMSG_CTL_MINT_TOKEN:
		return (mint_token_request(p, imsg));
	case IMSG_CTL_MINT_ROTATE:
		return (mint_rotate_request(p, imsg));
	default:
		return (-1);
	}
}

int
main(int argc, char *argv[])
{
	/* Secrets arrive soon: no core dumps, no ptrace by our uid. */
	if (prctl(PR_SET_DUMPABLE, 0) == -1)
		fatal("prctl");
	if ((mintd = calloc(1, sizeof(*mintd))) == NULL)
		fatal(NULL);
	TAILQ_INIT(&mintd->m_keysets);
	proc_child_main(&mint_child, argc, argv);
}

static int
mint_conf(struct imsg *imsg)
{
	struct ipc_conf_url	 cu;

	switch (imsg_get_type(imsg)) {
	case IMSG_CONF_MINT:
		/* cm_local 0: no mint, the seed for the wallet alone. */
		if (have_local || seed_fd != -1 ||
		    imsg_get_data(imsg, &local, sizeof(local)) == -1 ||
		    (local.cm_local != 1 && local.cm_local != 0) ||
		    (local.cm_local == 0 && local.cm_lightning != 0) ||
		    (local.cm_local == 1 &&
		    local.cm_lightning != LIGHTNING_FAKE &&
		    local.cm_lightning != LIGHTNING_LND) ||
		    !ipc_str_ok(local.cm_lnd_url, sizeof(local.cm_lnd_url)) ||
		    local.cm_input_fee_ppk > MINT_FEE_PPK_MAX)
			return (-1);
		seed_fd = imsg_get_fd(imsg);
		if (seed_fd == -1 || local.cm_hasseed != 1)
			return (-1);
		have_local = local.cm_local;
		return (0);
	case IMSG_CONF_LND_MACAROON:
		if (!have_local || local.cm_lightning != LIGHTNING_LND ||
		    macaroon_fd != -1 || imsg_get_len(imsg) != 0 ||
		    (macaroon_fd = imsg_get_fd(imsg)) == -1)
			return (-1);
		return (0);
	case IMSG_CONF_LND_CERT:
		if (!have_local || local.cm_lightning != LIGHTNING_LND ||
		    lndcert_fd != -1 || imsg_get_len(imsg) != 0 ||
		    (lndcert_fd = imsg_get_fd(imsg)) == -1)
			return (-1);
		return (0);
	case IMSG_CONF_TRUSTED_MINT:
		if (imsg_get_data(imsg, &cu, sizeof(cu)) == -1 ||
		    !ipc_str_ok(cu.cu_url, sizeof(cu.cu_url)) ||
		    strncmp(cu.cu_url, "http", 4) != 0)
			return (-1);
		wallet_trust(cu.cu_url);
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
	if ((mintd->m_bd = bdhke_new()) == NULL)
		fatalx("cannot set up the curve");
	if (nostr_fd != -1) {
		if (nostr_key_load(nostr_fd) == -1)
			fatalx("cannot use the nostr key");
		close(nostr_fd);
		nostr_fd = -1;
	}
	if (seed_fd != -1) {
		if (mint_seed_load(seed_fd) == -1)
			fatalx("cannot use the mint seed");
		close(seed_fd);
		seed_fd = -1;
	}
	if (wallet_trusted()) {
		/* The wallet's keys come from the seed too. */
		if (mintd->m_seed == NULL)
			fatalx("trusted mints but no seed for the wallet");
		if (wallet_init(mintd->m_seed, mintd->m_seedlen) == -1)
			fatalx("cannot derive the wallet's keys");
		if (curlev_init(NULL) == -1)
			fatalx("wallet: cannot set up libcurl");
		/* jansson seeds its hashes from /dev/urandom: not later. */
		json_object_seed(0);
	}
	if (have_local) {
		mintd->m_local = 1;
		mintd->m_lightning = local.cm_lightning;
		mintd->m_fee_ppk = local.cm_input_fee_ppk;
		mint_lightning_init(&local, macaroon_fd, lndcert_fd);
		macaroon_fd = lndcert_fd = -1;
		log_info("local mint, %s lightning%s",
		    local.cm_lightning == LIGHTNING_FAKE ? "fake" : "lnd",
		    local.cm_lightning == LIGHTNING_FAKE ?
		    " (FOR TESTS ONLY: invoices pay themselves)" : "");
	}
}

/* Every channel proven: the keysets, from the ledger, before serving. */
static int
mint_ready(void)
{
	if (!mintd->m_local) {
		mint_keys_ready();
		return (0);
	}
	mint_keys_load(mint_keys_ready);
	return (1);
}

static void
mint_keys_ready(void)
{
	int	 i;

	keys_ready = 1;
	for (i = 0; i < nwaiting; i++)
		identity_reply(PROC_PROXY, waiting[i].w_instance,
		    waiting[i].w_id);
	nwaiting = 0;
	if (mintd->m_local)
		proc_ready();
}

static void
mint_shutdown(void)
{
	struct mint_keyset	*mk;

	TAILQ_FOREACH(mk, &mintd->m_keysets, mk_entry)
		keyset_clear(&mk->mk_ks);
	wallet_shutdown();
	if (mintd->m_seed != NULL)
		freezero(mintd->m_seed, mintd->m_seedlen + 1);
	mintd->m_seed = NULL;
	proc_exit(0);
}

static void
identity_reply(int procid, int instance, uint32_t id)
{
	struct ipc_identity	 ident;
	struct peer		*p;

	if ((p = peer_find(procid, instance)) == NULL)
		return;
	nostr_key_identity(&ident);
	peer_compose(p, IMSG_MINT_IDENTITY_REPLY, id, -1, &ident,
	    sizeof(ident));
}

static int
mint_dispatch(struct peer *p, struct imsg *imsg)
{
	switch (imsg_get_type(imsg)) {
	case IMSG_MINT_IDENTITY:
		if (p->p_procid != PROC_PROXY || imsg_get_len(imsg) != 0)
			return (-1);
		/* A proxy serves once this answers: keysets first. */
		if (keys_ready)
			identity_reply(p->p_procid, p->p_instance,
			    imsg_get_id(imsg));
		else if (nwaiting < IDENTITY_WAITING_MAX) {
			waiting[nwaiting].w_instance = p->p_instance;
			waiting[nwaiting++].w_id = imsg_get_id(imsg);
		} else
			return (-1);
		return (0);
	case IMSG_MINT_KEYSETS:
		if (p->p_procid != PROC_PROXY || !mintd->m_local)
			return (-1);
		return (mint_keys_request(p, imsg));
	case IMSG_MINT_INFO:
		if (p->p_procid != PROC_PROXY)
			return (-1);
		return (mint_info_request(p, imsg));
	case IMSG_MINT_SWAP:
		if (p->p_procid != PROC_PROXY || !mintd->m_local)
			return (-1);
		return (mint_swap_request(p, imsg));
	case IMSG_MINT_CHECKSTATE:
		if (p->p_procid != PROC_PROXY || !mintd->m_local)
			return (-1);
		return (mint_checkstate_request(p, imsg));
	case IMSG_MINT_RESTORE:
		if (p->p_procid != PROC_PROXY || !mintd->m_local)
			return (-1);
		return (mint_restore_request(p, imsg));
	case IMSG_MINT_QUOTE_NEW:
		if (p->p_procid != PROC_PROXY || !mintd->m_local)
			return (-1);
		return (mint_quote_request(p, imsg));
	case IMSG_MINT_MELT_QUOTE_NEW:
		if (p->p_procid != PROC_PROXY || !mintd->m_local)
			return (-1);
		return (mint_melt_quote_request(p, imsg));
	case IMSG_MINT_QUOTE_GET:
		if (p->p_procid != PROC_PROXY || !mintd->m_local)
			return (-1);
		return (mint_quote_get_request(p, imsg));
	case IMSG_MINT_MINT:
		if (p->p_procid != PROC_PROXY || !mintd->m_local)
			return (-1);
		return (mint_mint_request(p, imsg));
	case IMSG_MINT_MELT:
		if (p->p_procid != PROC_PROXY || !mintd->m_local)
			return (-1);
		return (mint_melt_request(p, imsg));
	case IMSG_MINT_REDEEM:
		if (p->p_procid != PROC_PROXY)
			return (-1);
		return (mint_redeem_request(p, imsg));
	case IMSG_MINT_CASHOUT:
		if (p->p_procid != PROC_PROXY)
			return (-1);
		return (mint_cashout_request(p, imsg));
	default:
		return (-1);
	}
}
