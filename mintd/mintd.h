/*
 * mintd: the key holder.  The mint's keys, the wallet and the node's
 * Nostr secret key live here and nowhere else.
 */

#ifndef MINTD_H
#define MINTD_H

#include <sys/queue.h>

#include <stdint.h>

#include "ipc.h"
#include "keyset.h"

struct bdhke;
struct peer;
struct imsg;

#define MINT_SEED_MIN		32	/* bytes */
#define MINT_SEED_MAX		256
#define MINT_UNIT		"sat"	/* the unit our keysets are in */

/* A keyset of our mint: its keys (from the seed) and its registry. */
struct mint_keyset {
	TAILQ_ENTRY(mint_keyset) mk_entry;
	struct keyset		 mk_ks;
	uint32_t		 mk_index;	/* m/0'/unit'/index' */
	int			 mk_active;
	int64_t			 mk_created;
};
TAILQ_HEAD(mint_keysets, mint_keyset);

struct mintd {
	struct bdhke		*m_bd;
	uint8_t			*m_seed;
	size_t			 m_seedlen;
	struct mint_keysets	 m_keysets;
	uint8_t			 m_pubkey[33];	/* NUT-06 identity */
	int			 m_local;	/* we run a mint */
	int			 m_lightning;	/* LIGHTNING_* */
	uint64_t		 m_fee_ppk;	/* for new keysets */
};

extern struct mintd	*mintd;

/* mint_keys.c */
int	 mint_seed_load(int);
void	 mint_keys_load(void (*)(void));
struct mint_keyset *mint_keyset_find(const uint8_t *, size_t);
struct mint_keyset *mint_keyset_active(const char *);
int	 mint_keys_request(struct peer *, struct imsg *);
int	 mint_info_request(struct peer *, struct imsg *);
void	 mint_end(struct peer *, uint32_t, int, const char *);

/* mint_swap.c */
int	 mint_swap_request(struct peer *, struct imsg *);
int	 mint_checkstate_request(struct peer *, struct imsg *);
int	 mint_restore_request(struct peer *, struct imsg *);

/* mint_token.c */
int	 mint_token_request(struct peer *, struct imsg *);

/* nostr_key.c */
int	 nostr_key_load(int);
void	 nostr_key_identity(struct ipc_identity *);

#endif /* MINTD_H */
