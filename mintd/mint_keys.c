/*
 * The mint's keysets (NUT-01, NUT-02): derived from the seed the parent
 * passed, recorded in the ledger so that a restart finds the same ones
 * and a seed that no longer gives them is caught before a single proof
 * is judged with the wrong keys.
 *
 * Rotation (routstrctl mint rotate) derives the next index of a unit and
 * makes it the unit's only active keyset, in the ledger first: the old
 * ones still redeem their proofs but sign nothing more.  A keyset's
 * input fee is part of its id, so the configured fee applies to the
 * keysets made from then on, never to one that exists.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bdhke.h"
#include "imsg.h"
#include "ipc.h"
#include "keyset.h"
#include "ledger.h"
#include "log.h"
#include "mintd.h"
#include "nut13.h"
#include "proc.h"

#define MINT_NKEYS	KEYSET_MAX_KEYS	/* amounts 2^0 .. 2^63 */

static void	 keys_walked(struct imsg *, void *);
static void	 keys_created(struct imsg *, void *);
static int	 keyset_add(const struct ipc_keyset_rec *);
static int	 keyset_derive_index(struct mint_keyset *, const char *,
		    uint32_t, uint64_t, int);
static void	 keyset_rec(struct ipc_keyset_rec *,
		    const struct mint_keyset *);
static void	 ctl_fail(uint32_t, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));
static void	 rotated(struct imsg *, void *);

static void	(*keys_done)(void);

/* A rotation waiting for the ledger: one at a time. */
struct rotation {
	uint32_t		 r_id;		/* the parent's request */
	struct mint_keyset	*r_mk;
};
static int		 rotating;

/* The channel to ledgerd, which a child always has once configured. */
struct peer *
mint_ledger(void)
{
	struct peer	*p;

	if ((p = peer_find(PROC_LEDGER, 0)) == NULL)
		fatalx("no channel to the ledger");
	return (p);
}

/* The seed, from the fd the parent opened.  It stays in this process. */
int
mint_seed_load(int fd)
{
	struct bip32_node	 node;
	uint32_t		 path[3] = { 0 | BIP32_HARDENED,
				    255 | BIP32_HARDENED, 0 | BIP32_HARDENED };
	unsigned char		*buf;
	size_t			 len;

	if (fd_read_all(fd, MINT_SEED_MAX, &buf, &len) == -1) {
		log_warn("mint seed");
		return (-1);
	}
	if (len < MINT_SEED_MIN) {
		log_warnx("mint seed: %zu bytes, at least %d wanted", len,
		    MINT_SEED_MIN);
		freezero(buf, len + 1);
		return (-1);
	}
	mintd->m_seed = buf;
	mintd->m_seedlen = len;

	/* The mint's identity (NUT-06 pubkey): a key of its own path. */
	if (bip32_derive(mintd->m_bd, mintd->m_seed, mintd->m_seedlen, path, 3,
	    &node) == -1 || bdhke_pubkey(mintd->m_bd, node.key,
	    mintd->m_pubkey) == -1)
		fatalx("cannot derive the mint's identity");
	explicit_bzero(&node, sizeof(node));
	return (0);
}

static int
keyset_derive_index(struct mint_keyset *mk, const char *unit, uint32_t index,
    uint64_t fee_ppk, int version)
{
	uint32_t	 path[3];

	if (keyset_path(unit, index, path) == -1 ||
	    keyset_init(&mk->mk_ks, unit, MINT_NKEYS, fee_ppk, 0,
	    version) == -1 ||
	    keyset_derive(mintd->m_bd, &mk->mk_ks, mintd->m_seed,
	    mintd->m_seedlen, path, 3) == -1 ||
	    keyset_compute_id(&mk->mk_ks) == -1)
		return (-1);
	mk->mk_index = index;
	return (0);
}

/* A keyset the ledger knows: its keys must come out of our seed. */
static int
keyset_add(const struct ipc_keyset_rec *kr)
{
	struct mint_keyset	*mk;

	if ((mk = calloc(1, sizeof(*mk))) == NULL)
		fatal(NULL);
	if (keyset_derive_index(mk, kr->kr_unit, kr->kr_index,
	    kr->kr_fee_ppk, kr->kr_version) == -1) {
		free(mk);
		return (-1);
	}
	if (mk->mk_ks.ks_idlen != kr->kr_idlen ||
	    memcmp(mk->mk_ks.ks_id, kr->kr_id, kr->kr_idlen) != 0)
		fatalx("the mint seed does not give keyset %s (%s, index %u) "
		    "that the ledger knows: this is not the seed the mint "
		    "was started with; put the right seed back",
		    mk->mk_ks.ks_idhex, kr->kr_unit, kr->kr_index);
	mk->mk_active = kr->kr_active;
	mk->mk_created = kr->kr_created;
	TAILQ_INSERT_TAIL(&mintd->m_keysets, mk, mk_entry);
	return (0);
}

/*
 * At start: every keyset the ledger knows, checked against the seed; a
 * first one if there is none.  done() once they are all in memory.
 */
void
mint_keys_load(void (*done)(void))
{
	keys_done = done;
	if (proc_request(mint_ledger(), IMSG_LEDGER_KEYSET_WALK, NULL, 0,
	    IPC_START_TIMEOUT_MS, keys_walked, NULL) == 0)
		fatal("keyset request");
}

static void
keys_walked(struct imsg *imsg, void *arg)
{
	struct ipc_keyset_rec	 kr;
	struct ipc_ledger_reply	 lr;
	struct mint_keyset	*mk;
	uint32_t		 next = 0;

	if (imsg == NULL)
		fatalx("no keysets from the ledger");
	switch (imsg_get_type(imsg)) {
	case IMSG_LEDGER_KEYSET:
		if (imsg_get_data(imsg, &kr, sizeof(kr)) == -1 ||
		    kr.kr_idlen == 0 || kr.kr_idlen > IPC_KEYSET_MAX ||
		    !ipc_str_ok(kr.kr_unit, sizeof(kr.kr_unit)) ||
		    keyset_add(&kr) == -1)
			fatalx("a keyset from the ledger is malformed");
		return;
	case IMSG_LEDGER_REPLY:
		if (imsg_get_data(imsg, &lr, sizeof(lr)) == -1 ||
		    lr.lr_error != LEDGER_OK)
			fatalx("cannot read the keysets from the ledger");
		break;
	default:
		fatalx("unexpected %s from the ledger",
		    imsg_type_name(imsg_get_type(imsg)));
	}

	if ((mk = mint_keyset_active(MINT_UNIT)) != NULL) {
		log_info("%s keyset %s active", MINT_UNIT, mk->mk_ks.ks_idhex);
		if (mk->mk_ks.ks_fee_ppk != mintd->m_fee_ppk)
			log_warnx("the active %s keyset charges an input fee "
			    "of %llu ppk, the configuration says %llu: a "
			    "keyset keeps its fee, routstrctl mint rotate "
			    "makes one with the new fee", MINT_UNIT,
			    (unsigned long long)mk->mk_ks.ks_fee_ppk,
			    (unsigned long long)mintd->m_fee_ppk);
		keys_done();
		return;
	}

	/* None yet: the first (or next) one, recorded before it is used. */
	TAILQ_FOREACH(mk, &mintd->m_keysets, mk_entry)
		if (strcmp(mk->mk_ks.ks_unit, MINT_UNIT) == 0 &&
		    mk->mk_index >= next)
			next = mk->mk_index + 1;
	if ((mk = calloc(1, sizeof(*mk))) == NULL)
		fatal(NULL);
	if (keyset_derive_index(mk, MINT_UNIT, next, mintd->m_fee_ppk,
	    KEYSET_V2) == -1)
		fatalx("cannot derive a keyset");
	mk->mk_active = 1;
	mk->mk_created = time(NULL);
	keyset_rec(&kr, mk);
	if (proc_request(mint_ledger(), IMSG_LEDGER_KEYSET_PUT, &kr, sizeof(kr),
	    IPC_START_TIMEOUT_MS, keys_created, mk) == 0)
		fatal("keyset request");
}

static void
keys_created(struct imsg *imsg, void *arg)
{
	struct mint_keyset	*mk = arg;
	struct ipc_ledger_reply	 lr;

	if (imsg == NULL || imsg_get_type(imsg) != IMSG_LEDGER_REPLY ||
	    imsg_get_data(imsg, &lr, sizeof(lr)) == -1 ||
	    lr.lr_error != LEDGER_OK)
		fatalx("the ledger did not record the new keyset");
	TAILQ_INSERT_TAIL(&mintd->m_keysets, mk, mk_entry);
	log_info("new %s keyset %s (index %u, input fee %llu ppk)",
	    mk->mk_ks.ks_unit, mk->mk_ks.ks_idhex, mk->mk_index,
	    (unsigned long long)mk->mk_ks.ks_fee_ppk);
	keys_done();
}

/* What the ledger's registry keeps of a keyset. */
static void
keyset_rec(struct ipc_keyset_rec *kr, const struct mint_keyset *mk)
{
	memset(kr, 0, sizeof(*kr));
	memcpy(kr->kr_id, mk->mk_ks.ks_id, mk->mk_ks.ks_idlen);
	kr->kr_idlen = mk->mk_ks.ks_idlen;
	strlcpy(kr->kr_unit, mk->mk_ks.ks_unit, sizeof(kr->kr_unit));
	kr->kr_index = mk->mk_index;
	kr->kr_version = mk->mk_ks.ks_version;
	kr->kr_fee_ppk = mk->mk_ks.ks_fee_ppk;
	kr->kr_active = mk->mk_active;
	kr->kr_created = mk->mk_created;
}

static void
ctl_fail(uint32_t id, const char *fmt, ...)
{
	char	 msg[256];
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	peer_compose(proc_parent(), IMSG_CTL_FAIL, id, -1, msg,
	    strlen(msg) + 1);
}

/*
 * routstrctl mint rotate [unit]: the unit's next keyset, with the input
 * fee configured now, recorded in the ledger as the only active one of
 * its unit before this process uses it.
 */
int
mint_rotate_request(struct peer *p, struct imsg *imsg)
{
	struct ipc_keyset_rec	 kr;
	struct mint_keyset	*mk;
	struct rotation		*r;
	char			 unit[IPC_UNIT_MAX];
	uint32_t		 id = imsg_get_id(imsg), next = 0;
	int			 have = 0;

	if (imsg_get_data(imsg, unit, sizeof(unit)) == -1 ||
	    !ipc_str_ok(unit, sizeof(unit)))
		return (-1);
	if (!mintd->m_local) {
		ctl_fail(id, "this node runs no mint");
		return (0);
	}
	if (rotating) {
		ctl_fail(id, "a rotation is in progress");
		return (0);
	}
	TAILQ_FOREACH(mk, &mintd->m_keysets, mk_entry) {
		if (strcmp(mk->mk_ks.ks_unit, unit) != 0)
			continue;
		have |= mk->mk_active;
		if (mk->mk_index >= next)
			next = mk->mk_index + 1;
	}
	if (!have) {
		ctl_fail(id, "the mint has no active keyset in unit %s", unit);
		return (0);
	}
	if ((mk = calloc(1, sizeof(*mk))) == NULL ||
	    (r = calloc(1, sizeof(*r))) == NULL)
		fatal(NULL);
	if (next == 0 || keyset_derive_index(mk, unit, next,
	    mintd->m_fee_ppk, KEYSET_V2) == -1) {
		free(mk);
		free(r);
		ctl_fail(id, "cannot derive keyset %u of unit %s", next, unit);
		return (0);
	}
	mk->mk_active = 1;
	mk->mk_created = time(NULL);
	keyset_rec(&kr, mk);
	r->r_id = id;
	r->r_mk = mk;
	if (proc_request(mint_ledger(), IMSG_LEDGER_KEYSET_ROTATE, &kr,
	    sizeof(kr), IPC_TIMEOUT_MS, rotated, r) == 0) {
		keyset_clear(&mk->mk_ks);
		free(mk);
		free(r);
		ctl_fail(id, "the ledger is not available");
		return (0);
	}
	rotating = 1;
	return (0);
}

/* Durable in the ledger: now the new keyset signs, the old ones not. */
static void
rotated(struct imsg *imsg, void *arg)
{
	struct rotation		*r = arg;
	struct mint_keyset	*mk = r->r_mk, *old;
	struct ipc_ledger_reply	 lr;
	char			 msg[512];
	size_t			 len;

	rotating = 0;
	/* Without an answer, which keyset is active is the ledger's secret. */
	if (imsg == NULL)
		fatalx("no answer from the ledger to a keyset rotation");
	if (imsg_get_type(imsg) != IMSG_LEDGER_REPLY ||
	    imsg_get_data(imsg, &lr, sizeof(lr)) == -1)
		fatalx("bad answer from the ledger to a keyset rotation");
	if (lr.lr_error != LEDGER_OK) {
		log_warnx("rotation to %s keyset %s: the ledger says %s",
		    mk->mk_ks.ks_unit, mk->mk_ks.ks_idhex,
		    ledger_strerror(lr.lr_error));
		ctl_fail(r->r_id, "the ledger did not record the new keyset: "
		    "%s", ledger_strerror(lr.lr_error));
		keyset_clear(&mk->mk_ks);
		free(mk);
		free(r);
		return;
	}
	(void)snprintf(msg, sizeof(msg), "%s keyset %s active (index %u, "
	    "input fee %llu ppk)", mk->mk_ks.ks_unit, mk->mk_ks.ks_idhex,
	    mk->mk_index, (unsigned long long)mk->mk_ks.ks_fee_ppk);
	TAILQ_FOREACH(old, &mintd->m_keysets, mk_entry) {
		if (!old->mk_active ||
		    strcmp(old->mk_ks.ks_unit, mk->mk_ks.ks_unit) != 0)
			continue;
		old->mk_active = 0;
		log_info("%s keyset %s inactive: it redeems, it no longer "
		    "signs", old->mk_ks.ks_unit, old->mk_ks.ks_idhex);
		len = strlen(msg);
		(void)snprintf(msg + len, sizeof(msg) - len, "; %s inactive",
		    old->mk_ks.ks_idhex);
	}
	TAILQ_INSERT_TAIL(&mintd->m_keysets, mk, mk_entry);
	log_info("rotated to %s keyset %s (index %u, input fee %llu ppk)",
	    mk->mk_ks.ks_unit, mk->mk_ks.ks_idhex, mk->mk_index,
	    (unsigned long long)mk->mk_ks.ks_fee_ppk);
	peer_compose(proc_parent(), IMSG_CTL_OK, r->r_id, -1, msg,
	    strlen(msg) + 1);
	free(r);
}

/* By full id, or by the 8-byte short id that V4 tokens carry. */
struct mint_keyset *
mint_keyset_find(const uint8_t *id, size_t len)
{
	struct mint_keyset	*mk;

	TAILQ_FOREACH(mk, &mintd->m_keysets, mk_entry) {
		if (len == mk->mk_ks.ks_idlen &&
		    memcmp(id, mk->mk_ks.ks_id, len) == 0)
			return (mk);
		if (len == KEYSET_ID_V1_LEN && mk->mk_ks.ks_idlen >
		    KEYSET_ID_V1_LEN && memcmp(id, mk->mk_ks.ks_id, len) == 0)
			return (mk);
	}
	return (NULL);
}

struct mint_keyset *
mint_keyset_active(const char *unit)
{
	struct mint_keyset	*mk;

	TAILQ_FOREACH(mk, &mintd->m_keysets, mk_entry)
		if (mk->mk_active && strcmp(mk->mk_ks.ks_unit, unit) == 0)
			return (mk);
	return (NULL);
}

void
mint_end(struct peer *p, uint32_t id, int code, const char *detail)
{
	struct ipc_mint_error	 me;

	memset(&me, 0, sizeof(me));
	me.me_code = code;
	if (detail != NULL)
		strlcpy(me.me_detail, detail, sizeof(me.me_detail));
	peer_compose(p, IMSG_MINT_END, id, -1, &me, sizeof(me));
}

static void
keyset_reply(struct peer *p, uint32_t id, const struct mint_keyset *mk,
    int pubkeys)
{
	struct ipc_mint_keyset	 k;
	size_t			 i;

	memset(&k, 0, sizeof(k));
	memcpy(k.mk_id, mk->mk_ks.ks_id, mk->mk_ks.ks_idlen);
	k.mk_idlen = mk->mk_ks.ks_idlen;
	strlcpy(k.mk_unit, mk->mk_ks.ks_unit, sizeof(k.mk_unit));
	k.mk_active = mk->mk_active;
	k.mk_fee_ppk = mk->mk_ks.ks_fee_ppk;
	if (pubkeys) {
		k.mk_nkeys = mk->mk_ks.ks_nkeys;
		for (i = 0; i < mk->mk_ks.ks_nkeys && i < IPC_KEYSET_KEYS; i++)
			memcpy(k.mk_keys[i], mk->mk_ks.ks_pub[i], IPC_Y_LEN);
	}
	peer_compose(p, IMSG_MINT_KEYSET, id, -1, &k, sizeof(k));
}

/* NUT-01, NUT-02: GET /v1/keys[/id] and /v1/keysets. */
int
mint_keys_request(struct peer *p, struct imsg *imsg)
{
	struct ipc_keys_req	 kq;
	struct mint_keyset	*mk;
	uint32_t		 id = imsg_get_id(imsg);

	if (imsg_get_data(imsg, &kq, sizeof(kq)) == -1 ||
	    kq.kq_which < IPC_KEYS_ALL || kq.kq_which > IPC_KEYS_ONE ||
	    (kq.kq_pubkeys != 0 && kq.kq_pubkeys != 1) ||
	    kq.kq_idlen > IPC_KEYSET_MAX ||
	    (kq.kq_which == IPC_KEYS_ONE && kq.kq_idlen == 0))
		return (-1);
	if (kq.kq_which == IPC_KEYS_ONE) {
		if ((mk = mint_keyset_find(kq.kq_id, kq.kq_idlen)) == NULL) {
			mint_end(p, id, 12001, "keyset is not known");
			return (0);
		}
		keyset_reply(p, id, mk, kq.kq_pubkeys);
	} else
		TAILQ_FOREACH(mk, &mintd->m_keysets, mk_entry)
			if (kq.kq_which == IPC_KEYS_ALL || mk->mk_active)
				keyset_reply(p, id, mk, kq.kq_pubkeys);
	mint_end(p, id, 0, NULL);
	return (0);
}

/* What GET /v1/info says about the mint. */
int
mint_info_request(struct peer *p, struct imsg *imsg)
{
	struct ipc_mint_info	 mi;
	struct mint_keyset	*mk;

	if (imsg_get_len(imsg) != 0)
		return (-1);
	memset(&mi, 0, sizeof(mi));
	mi.mi_local = mintd->m_local;
	mi.mi_fake = mintd->m_lightning == LIGHTNING_FAKE;
	if (mintd->m_local) {
		bdhke_tohex(mi.mi_pubkey, mintd->m_pubkey, 33);
		TAILQ_FOREACH(mk, &mintd->m_keysets, mk_entry)
			if (mk->mk_active && mi.mi_nunits < 4)
				strlcpy(mi.mi_units[mi.mi_nunits++],
				    mk->mk_ks.ks_unit, IPC_UNIT_MAX);
	}
	return (peer_compose(p, IMSG_MINT_INFO_REPLY, imsg_get_id(imsg), -1,
	    &mi, sizeof(mi)));
}
