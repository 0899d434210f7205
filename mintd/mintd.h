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
int	 mint_rotate_request(struct peer *, struct imsg *);
void	 mint_end(struct peer *, uint32_t, int, const char *);
struct peer *mint_ledger(void);

/* mint_swap.c */
int	 mint_verify_inputs(const struct ipc_proof_in *, uint32_t,
	    struct ipc_input *, uint64_t *, uint64_t *, const char **,
	    int *, const char **);
int	 mint_check_outputs(const struct ipc_output *, uint32_t,
	    struct mint_keyset **, uint64_t *, int *, const char **);
int	 mint_sign_outputs(const struct ipc_output *, uint32_t,
	    struct mint_keyset *, struct ipc_signature *, struct ipc_issued *);
int	 mint_swap_request(struct peer *, struct imsg *);
int	 mint_checkstate_request(struct peer *, struct imsg *);
int	 mint_restore_request(struct peer *, struct imsg *);

/* mint_quote.c */
void	 mint_lightning_init(const struct ipc_conf_mint *, int, int);
int	 mint_quote_request(struct peer *, struct imsg *);
int	 mint_quote_get_request(struct peer *, struct imsg *);
int	 mint_mint_request(struct peer *, struct imsg *);
int	 mint_melt_quote_request(struct peer *, struct imsg *);
int	 mint_melt_request(struct peer *, struct imsg *);

/* mint_token.c */
int	 mint_token_make(uint64_t, const char *, int, struct ipc_issued *,
	    uint32_t *, char **, char *, size_t);
int	 mint_token_request(struct peer *, struct imsg *);

/* mint_redeem.c */
int	 mint_redeem_request(struct peer *, struct imsg *);
int	 mint_cashout_request(struct peer *, struct imsg *);

/* mint_wallet.c: tokens of trusted mints, swapped there */
#define WALLET_INFO_SEED	"routstrd wallet nut13 seed"
#define WALLET_INFO_BLOB	"routstrd wallet proofs aes-256-gcm"
#define WALLET_GCM_IV		12
#define WALLET_GCM_TAG		16
#define WALLET_AAD_LEN		(32 + 33 + 32)	/* struct ipc_proof's key */
#define WALLET_PROOF_VERSION	1
#define WALLET_PROOF_MAX	(2 + 33 + 8 + 33 + 1 + 255 + 2 + IPC_URL_MAX)

/* A proof of the wallet, as its blob holds it (in clear). */
struct wallet_proof {
	uint8_t		 wp_id[KEYSET_ID_MAX];
	size_t		 wp_idlen;
	uint64_t	 wp_amount;
	uint8_t		 wp_c[33];
	char		 wp_secret[256];
	char		 wp_mint[IPC_URL_MAX];
};

int	 wallet_init(const uint8_t *, size_t);
int	 wallet_hkdf(const uint8_t *, size_t, const char *, uint8_t *,
	    size_t);
int	 wallet_keys_derive(const uint8_t *, size_t, uint8_t *, uint8_t *);
void	 wallet_trust(const char *);
int	 wallet_trusted(void);
void	 wallet_shutdown(void);
void	 wallet_redeem(struct peer *, uint32_t, const struct ipc_mint_redeem *,
	    struct ipc_proof_in *);
int	 wallet_url_normalize(const char *, char *, size_t);
size_t	 wallet_split(uint64_t, uint64_t *, size_t);
int	 wallet_amount_parse(const char *, uint64_t *);
void	 wallet_aad(const struct ipc_proof *, uint8_t *);
int	 wallet_seal(const uint8_t *, const void *, size_t, const void *,
	    size_t, uint8_t *, size_t, size_t *);
int	 wallet_open(const uint8_t *, const void *, size_t, const uint8_t *,
	    size_t, uint8_t *, size_t, size_t *);
int	 wallet_proof_encode(const struct wallet_proof *, uint8_t *, size_t,
	    size_t *);
int	 wallet_proof_decode(const uint8_t *, size_t, struct wallet_proof *);

/* nostr_key.c */
int	 nostr_key_load(int);
void	 nostr_key_identity(struct ipc_identity *);

#endif /* MINTD_H */
