/*
 * Cashu tokens (NUT-00): V3 "cashuA" + base64url(JSON) and V4 "cashuB" +
 * base64url(CBOR), decoded into one structure and encoded back.  A token
 * holds proofs of one mint, grouped by keyset id.  Proofs are bearer
 * money: token_free() wipes them, and neither tokens nor anything in them
 * ever appear in error messages or logs.
 */

#ifndef TOKEN_H
#define TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define TOKEN_LEN_MAX		65536	/* characters of an encoded token */
#define TOKEN_PROOFS_MAX	1000
#define TOKEN_SECRET_MAX	512	/* bytes; nutshell's limit too */
#define TOKEN_WITNESS_MAX	16384
#define TOKEN_URL_MAX		511	/* fits IPC_URL_MAX with its NUL */
#define TOKEN_UNIT_MAX		32
#define TOKEN_MEMO_MAX		4096
#define TOKEN_DEPTH_MAX		16	/* CBOR nesting (jansson has its own) */

#define TOKEN_ID_SHORT		8	/* v00 ids; short form of v01 ids */
#define TOKEN_ID_LEN_MAX	33	/* v01 ids */
#define TOKEN_C_LEN		33
#define TOKEN_SCALAR_LEN	32

#define TOKEN_PAD		0x01	/* encode with '=' padding */

struct cashu_dleq {
	uint8_t		 e[TOKEN_SCALAR_LEN];
	uint8_t		 s[TOKEN_SCALAR_LEN];
	uint8_t		 r[TOKEN_SCALAR_LEN];
};

struct cashu_proof {
	uint64_t		 amount;
	uint8_t			 id[TOKEN_ID_LEN_MAX];	/* as in its group */
	size_t			 idlen;			/* 8 or 33 */
	char			*secret;		/* UTF-8, no NUL */
	uint8_t			 C[TOKEN_C_LEN];
	int			 has_dleq;
	struct cashu_dleq	 dleq;
	char			*witness;		/* NULL: none */
};

struct cashu_group {
	uint8_t			 id[TOKEN_ID_LEN_MAX];
	size_t			 idlen;
	struct cashu_proof	*proofs;
	size_t			 nproofs;
	size_t			 cap;		/* allocated proofs */
};

struct cashu_token {
	char			*mint;		/* no trailing '/' */
	char			*unit;		/* NULL: none (V3 only) */
	char			*memo;		/* NULL: none */
	struct cashu_group	*groups;
	size_t			 ngroups;
	size_t			 cap;		/* allocated groups */
	size_t			 nproofs;	/* in all groups */
	uint64_t		 amount;	/* their sum */
};

int		 token_decode(const char *, size_t, struct cashu_token **,
		    char *, size_t);
int		 token_decode_raw(const uint8_t *, size_t,
		    struct cashu_token **, char *, size_t);
int		 token_encode_v3(const struct cashu_token *, int, char **,
		    char *, size_t);
int		 token_encode_v4(const struct cashu_token *, int, char **,
		    char *, size_t);
int		 token_encode_raw(const struct cashu_token *, uint8_t **,
		    size_t *, char *, size_t);
struct cashu_token *token_new(const char *, const char *, const char *,
		    char *, size_t);
int		 token_add_proof(struct cashu_token *,
		    const struct cashu_proof *, char *, size_t);
int		 token_sum(const struct cashu_token *, uint64_t *);
int		 token_equal(const struct cashu_token *,
		    const struct cashu_token *);
void		 token_free(struct cashu_token *);
void		 token_str_free(char *);

#endif /* TOKEN_H */
