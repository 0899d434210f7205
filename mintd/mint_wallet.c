/*
 * The node's wallet: tokens of another mint that the configuration
 * trusts, swapped at that mint (NUT-03) for fresh proofs that only the
 * node knows, which the ledger keeps encrypted under a key only mintd
 * has, while the account that the token pays is created or credited in
 * the same transaction.
 *
 * The outputs' secrets are deterministic (NUT-13, from a seed derived
 * from the mint seed), and the keyset's counter is advanced and
 * committed by the ledger before the outputs leave: whatever happens
 * after the swap was sent (the mint's answer lost, mintd killed), the
 * proofs can be found again with NUT-09 restore.
 *
 * The foreign mint's keysets are fetched with curlev (names resolved by
 * the parent) and kept WALLET_CACHE_SECS.  Nothing here logs a secret,
 * a proof or a token.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bdhke.h"
#include "curlev.h"
#include "imsg.h"
#include "ipc.h"
#include "ledger.h"
#include "log.h"
#include "mintd.h"
#include "money.h"
#include "nut13.h"
#include "proc.h"

#define WALLET_CACHE_SECS	300	/* a mint's keysets are kept */
#define WALLET_STALE_SECS	10	/* refetched for an unknown keyset */
/*
 * Per request; a redemption makes three at most (keysets, keys, swap),
 * which the proxy waits for (PAY_REDEEM_TIMEOUT_MS in proxy_pay.c).
 */
#define WALLET_CONNECT_MS	5000
#define WALLET_TIMEOUT_MS	15000
#define WALLET_REPLY_MAX	(1024 * 1024)
#define WALLET_KEYSETS_MAX	256
#define WALLET_OUTPUTS_MAX	64	/* powers of two in a uint64_t */
#define WALLET_AMOUNT_MAX	((uint64_t)1 << 62)	/* fits JSON's int64 */

struct wredeem;

struct wkeyset {
	uint8_t		 wk_id[KEYSET_ID_MAX];
	size_t		 wk_idlen;
	uint64_t	 wk_fee_ppk;
	int		 wk_active;
	int		 wk_sat;
};

/* A trusted mint, and what we know of its keysets. */
struct wmint {
	TAILQ_ENTRY(wmint)	 wm_entry;
	char			 wm_url[IPC_URL_MAX];	/* normalised */
	uint8_t			 wm_hash[32];	/* the ledger's name for it */
	time_t			 wm_fetched;	/* 0: nothing known */
	struct wkeyset		*wm_ks;
	size_t			 wm_nks;
	/* The active sat keyset, the one our outputs use. */
	uint8_t			 wm_id[KEYSET_ID_MAX];
	size_t			 wm_idlen;
	char			 wm_idhex[KEYSET_ID_HEX];
	uint8_t			 wm_pub[KEYSET_MAX_KEYS][33];
	uint64_t		 wm_have;	/* bit i: a key for 2^i */
	struct curlev_req	*wm_req;	/* a fetch under way */
	TAILQ_HEAD(, wredeem)	 wm_waiting;
};

/* One token being paid in. */
struct wredeem {
	TAILQ_ENTRY(wredeem)	 wr_entry;
	struct wmint		*wr_mint;
	int			 wr_instance;	/* the proxy */
	uint32_t		 wr_id;		/* its request id */
	struct ipc_mint_redeem	 wr_mr;
	struct ipc_proof_in	*wr_in;
	int			 wr_refetched;
	uint64_t		 wr_net;	/* sat */
	uint64_t		 wr_msat;	/* the same, msat */
	uint64_t		 wr_amounts[WALLET_OUTPUTS_MAX];
	size_t			 wr_nout;
	uint8_t			 wr_id_ks[KEYSET_ID_MAX];
	size_t			 wr_idlen;
	char			 wr_idhex[KEYSET_ID_HEX];
	uint8_t			 wr_pub[WALLET_OUTPUTS_MAX][33];
	char			 wr_secret[WALLET_OUTPUTS_MAX][NUT13_SECRET_HEX];
	uint8_t			 wr_r[WALLET_OUTPUTS_MAX][32];
	uint8_t			 wr_b[WALLET_OUTPUTS_MAX][33];
	struct curlev_req	*wr_req;
};

static TAILQ_HEAD(, wmint)	 wmints = TAILQ_HEAD_INITIALIZER(wmints);
static uint8_t			 wallet_seed[BIP39_SEED_LEN];
static uint8_t			 wallet_key[32];	/* of the blobs */
static int			 wallet_keyed;

static struct wmint	*wmint_find(const char *);
static void		 wr_free(struct wredeem *);
static void		 wr_end(struct wredeem *, int, const char *);
static void		 wr_reply(struct wredeem *, const struct ipc_ledger_reply *);
static void		 wr_account(struct imsg *, void *);
static void		 wr_keys(struct wredeem *);
static void		 wr_keyed(struct wredeem *);
static void		 wr_counted(struct imsg *, void *);
static void		 wr_swapped(struct curlev_req *,
			    const struct curlev_result *, void *);
static void		 wr_commit(struct wredeem *, const uint8_t (*)[33]);
static void		 wr_committed(struct imsg *, void *);
static void		 fetch_start(struct wmint *, int);
static void		 fetch_keysets(struct curlev_req *,
			    const struct curlev_result *, void *);
static void		 fetch_keys(struct curlev_req *,
			    const struct curlev_result *, void *);
static void		 fetch_done(struct wmint *, int, const char *);
static struct curlev_req *http(const char *, const char *, const char *,
			    void (*)(struct curlev_req *,
			    const struct curlev_result *, void *), void *);

/*
 * A mint's URL as the wallet compares it: scheme, host and port (the
 * default one spelt out), and the path without its trailing slashes;
 * no query, no fragment.  0, or -1 if it is not an http(s) URL.
 */
int
wallet_url_normalize(const char *url, char *out, size_t len)
{
	char		 scheme[8], host[IPC_HOST_MAX], low[IPC_URL_MAX];
	const char	*path, *end;
	uint16_t	 port;
	size_t		 i, plen;
	int		 n;

	/* url_split() knows the schemes in lowercase only. */
	if (strlcpy(low, url, sizeof(low)) >= sizeof(low))
		return (-1);
	for (i = 0; i < 8 && low[i] != '\0' && low[i] != ':'; i++)
		low[i] = tolower((unsigned char)low[i]);
	url = low;
	if (url_split(url, scheme, sizeof(scheme), host, sizeof(host),
	    &port) == -1)
		return (-1);
	if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
		return (-1);
	for (i = 0; host[i] != '\0'; i++)
		host[i] = tolower((unsigned char)host[i]);
	path = strstr(url, "://") + 3;
	path += strcspn(path, "/?#");
	end = path + strcspn(path, "?#");
	plen = end - path;
	while (plen > 0 && path[plen - 1] == '/')
		plen--;
	n = snprintf(out, len, strchr(host, ':') != NULL ? "%s://[%s]:%u%.*s" :
	    "%s://%s:%u%.*s", scheme, host, (unsigned int)port, (int)plen,
	    path);
	if (n < 0 || (size_t)n >= len)
		return (-1);
	return (0);
}

/* The ledger key of a proof, as the associated data of its blob. */
void
wallet_aad(const struct ipc_proof *pr, uint8_t *aad)
{
	memcpy(aad, pr->p_mint, sizeof(pr->p_mint));
	memcpy(aad + sizeof(pr->p_mint), pr->p_keyset, sizeof(pr->p_keyset));
	memcpy(aad + sizeof(pr->p_mint) + sizeof(pr->p_keyset), pr->p_id,
	    sizeof(pr->p_id));
}

/* A decimal amount 1..2^64-1 as JSON keys spell it (2^63 included). */
int
wallet_amount_parse(const char *s, uint64_t *v)
{
	uint64_t	 n = 0;
	size_t		 i;

	if (s[0] == '\0' || s[0] == '0' || strlen(s) > 20)
		return (-1);
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' ||
		    n > (UINT64_MAX - (s[i] - '0')) / 10)
			return (-1);
		n = n * 10 + (s[i] - '0');
	}
	*v = n;
	return (0);
}

/* amount as powers of two, ascending; the number of them. */
size_t
wallet_split(uint64_t amount, uint64_t *out, size_t max)
{
	size_t	 i, n = 0;

	for (i = 0; i < 64 && n < max; i++)
		if (amount & ((uint64_t)1 << i))
			out[n++] = (uint64_t)1 << i;
	return (n);
}

/* RFC 5869 with SHA-256 and an empty salt; info is text. */
int
wallet_hkdf(const uint8_t *ikm, size_t ikmlen, const char *info,
    uint8_t *out, size_t len)
{
	uint8_t		 prk[32], t[32], msg[32 + 128 + 1], zero[32];
	unsigned int	 mlen;
	size_t		 ilen = strlen(info), tlen = 0, done = 0, n;
	uint8_t		 ctr = 1;

	if (ilen > 128 || len > 255 * 32)
		return (-1);
	memset(zero, 0, sizeof(zero));
	if (HMAC(EVP_sha256(), zero, sizeof(zero), ikm, ikmlen, prk,
	    &mlen) == NULL)
		return (-1);
	while (done < len) {
		memcpy(msg, t, tlen);
		memcpy(msg + tlen, info, ilen);
		msg[tlen + ilen] = ctr++;
		if (HMAC(EVP_sha256(), prk, sizeof(prk), msg, tlen + ilen + 1,
		    t, &mlen) == NULL) {
			explicit_bzero(prk, sizeof(prk));
			return (-1);
		}
		tlen = sizeof(t);
		n = len - done < sizeof(t) ? len - done : sizeof(t);
		memcpy(out + done, t, n);
		done += n;
	}
	explicit_bzero(prk, sizeof(prk));
	explicit_bzero(t, sizeof(t));
	explicit_bzero(msg, sizeof(msg));
	return (0);
}

/*
 * The wallet's two secrets, from the mint seed: the NUT-13 seed of its
 * outputs and the AES key of the proofs the ledger keeps.
 */
int
wallet_keys_derive(const uint8_t *seed, size_t len,
    uint8_t *nseed, uint8_t *key)
{
	if (wallet_hkdf(seed, len, WALLET_INFO_SEED, nseed,
	    BIP39_SEED_LEN) == -1 ||
	    wallet_hkdf(seed, len, WALLET_INFO_BLOB, key, 32) == -1)
		return (-1);
	return (0);
}

int
wallet_init(const uint8_t *seed, size_t len)
{
	if (wallet_keys_derive(seed, len, wallet_seed, wallet_key) == -1)
		return (-1);
	wallet_keyed = 1;
	return (0);
}

void
wallet_trust(const char *url)
{
	struct wmint	*wm;

	if ((wm = calloc(1, sizeof(*wm))) == NULL)
		fatal(NULL);
	if (wallet_url_normalize(url, wm->wm_url, sizeof(wm->wm_url)) == -1)
		fatalx("trusted mint %s: not an http(s) URL", url);
	SHA256((const unsigned char *)wm->wm_url, strlen(wm->wm_url),
	    wm->wm_hash);
	TAILQ_INIT(&wm->wm_waiting);
	TAILQ_INSERT_TAIL(&wmints, wm, wm_entry);
}

int
wallet_trusted(void)
{
	return (!TAILQ_EMPTY(&wmints));
}

void
wallet_shutdown(void)
{
	explicit_bzero(wallet_seed, sizeof(wallet_seed));
	explicit_bzero(wallet_key, sizeof(wallet_key));
	wallet_keyed = 0;
}

static struct wmint *
wmint_find(const char *url)
{
	struct wmint	*wm;
	char		 norm[IPC_URL_MAX];

	if (wallet_url_normalize(url, norm, sizeof(norm)) == -1)
		return (NULL);
	TAILQ_FOREACH(wm, &wmints, wm_entry)
		if (strcmp(wm->wm_url, norm) == 0)
			return (wm);
	return (NULL);
}

/*
 * A proof sealed for the ledger: AES-256-GCM under key, the proof's
 * ledger key as associated data (a blob moved to another key does not
 * open), iv || ciphertext || tag.  0, or -1.
 */
int
wallet_seal(const uint8_t *key, const void *aad, size_t aadlen,
    const void *in, size_t len, uint8_t *out, size_t max, size_t *outlen)
{
	EVP_CIPHER_CTX	*c;
	int		 n, f, ok = 0;

	if (max < WALLET_GCM_IV + len + WALLET_GCM_TAG || len > INT32_MAX)
		return (-1);
	arc4random_buf(out, WALLET_GCM_IV);
	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		return (-1);
	if (EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, out) == 1 &&
	    EVP_EncryptUpdate(c, NULL, &n, aad, aadlen) == 1 &&
	    EVP_EncryptUpdate(c, out + WALLET_GCM_IV, &n, in, len) == 1 &&
	    EVP_EncryptFinal_ex(c, out + WALLET_GCM_IV + n, &f) == 1 &&
	    (size_t)(n + f) == len &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, WALLET_GCM_TAG,
	    out + WALLET_GCM_IV + len) == 1)
		ok = 1;
	EVP_CIPHER_CTX_free(c);
	if (!ok)
		return (-1);
	*outlen = WALLET_GCM_IV + len + WALLET_GCM_TAG;
	return (0);
}

/* The other way; -1 if the blob was changed or the key is wrong. */
int
wallet_open(const uint8_t *key, const void *aad, size_t aadlen,
    const uint8_t *in, size_t len, uint8_t *out, size_t max, size_t *outlen)
{
	EVP_CIPHER_CTX	*c;
	size_t		 clen;
	int		 n, f, ok = 0;

	if (len < WALLET_GCM_IV + WALLET_GCM_TAG)
		return (-1);
	clen = len - WALLET_GCM_IV - WALLET_GCM_TAG;
	if (clen > max || clen > INT32_MAX)
		return (-1);
	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		return (-1);
	if (EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, in) == 1 &&
	    EVP_DecryptUpdate(c, NULL, &n, aad, aadlen) == 1 &&
	    EVP_DecryptUpdate(c, out, &n, in + WALLET_GCM_IV, clen) == 1 &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, WALLET_GCM_TAG,
	    (void *)(in + len - WALLET_GCM_TAG)) == 1 &&
	    EVP_DecryptFinal_ex(c, out + n, &f) == 1 &&
	    (size_t)(n + f) == clen)
		ok = 1;
	EVP_CIPHER_CTX_free(c);
	if (!ok) {
		explicit_bzero(out, clen);
		return (-1);
	}
	*outlen = clen;
	return (0);
}

/*
 * A proof in clear, as the blob holds it: version, keyset id, amount
 * (big-endian), C, the secret, the mint's URL.
 */
int
wallet_proof_encode(const struct wallet_proof *wp, uint8_t *out, size_t max,
    size_t *outlen)
{
	size_t	 slen = strlen(wp->wp_secret), ulen = strlen(wp->wp_mint);
	size_t	 n = 0;
	int	 i;

	if (wp->wp_idlen == 0 || wp->wp_idlen > KEYSET_ID_MAX ||
	    slen == 0 || slen > 255 || ulen > 0xffff ||
	    max < 2 + wp->wp_idlen + 8 + 33 + 1 + slen + 2 + ulen)
		return (-1);
	out[n++] = WALLET_PROOF_VERSION;
	out[n++] = wp->wp_idlen;
	memcpy(out + n, wp->wp_id, wp->wp_idlen);
	n += wp->wp_idlen;
	for (i = 7; i >= 0; i--)
		out[n++] = wp->wp_amount >> (8 * i);
	memcpy(out + n, wp->wp_c, 33);
	n += 33;
	out[n++] = slen;
	memcpy(out + n, wp->wp_secret, slen);
	n += slen;
	out[n++] = ulen >> 8;
	out[n++] = ulen & 0xff;
	memcpy(out + n, wp->wp_mint, ulen);
	n += ulen;
	*outlen = n;
	return (0);
}

int
wallet_proof_decode(const uint8_t *in, size_t len, struct wallet_proof *wp)
{
	size_t	 n = 0, l;
	int	 i;

	memset(wp, 0, sizeof(*wp));
	if (len < 2 || in[0] != WALLET_PROOF_VERSION || in[1] == 0 ||
	    in[1] > KEYSET_ID_MAX)
		return (-1);
	wp->wp_idlen = in[1];
	n = 2;
	if (len - n < wp->wp_idlen + 8 + 33 + 1)
		return (-1);
	memcpy(wp->wp_id, in + n, wp->wp_idlen);
	n += wp->wp_idlen;
	for (i = 0; i < 8; i++)
		wp->wp_amount = (wp->wp_amount << 8) | in[n++];
	memcpy(wp->wp_c, in + n, 33);
	n += 33;
	l = in[n++];
	if (l == 0 || l >= sizeof(wp->wp_secret) || len - n < l + 2)
		return (-1);
	memcpy(wp->wp_secret, in + n, l);
	n += l;
	l = (in[n] << 8) | in[n + 1];
	n += 2;
	if (l >= sizeof(wp->wp_mint) || len - n != l)
		return (-1);
	memcpy(wp->wp_mint, in + n, l);
	return (0);
}

/*
 * IMSG_MINT_REDEEM of a token whose proofs are not of our keysets.
 * Takes in.  Always answers the proxy, now or later.
 */
void
wallet_redeem(struct peer *p, uint32_t id, const struct ipc_mint_redeem *mr,
    struct ipc_proof_in *in)
{
	struct wredeem	*wr;
	struct wmint	*wm;
	struct ipc_key	 k;
	uint32_t	 i;

	if ((wr = calloc(1, sizeof(*wr))) == NULL)
		fatal(NULL);
	wr->wr_instance = p->p_instance;
	wr->wr_id = id;
	wr->wr_mr = *mr;
	wr->wr_in = in;
	if ((wm = wmint_find(mr->mr_mint)) == NULL) {
		wr_end(wr, E_KEYSET, "the token's mint is not trusted here");
		return;
	}
	wr->wr_mint = wm;
	if (!wallet_keyed) {
		wr_end(wr, E_KEYSET, "this node has no wallet");
		return;
	}
	if (mr->mr_unit[0] != '\0' && strcmp(mr->mr_unit, MINT_UNIT) != 0) {
		wr_end(wr, E_UNIT, "unit is not supported");
		return;
	}
	for (i = 0; i < mr->mr_nproofs; i++) {
		/* What the proxy sent, checked again. */
		if (in[i].pi_idlen == 0 || in[i].pi_idlen > IPC_KEYSET_MAX ||
		    in[i].pi_secretlen == 0 ||
		    in[i].pi_secretlen > IPC_SECRET_MAX ||
		    in[i].pi_amount == 0 || in[i].pi_amount > WALLET_AMOUNT_MAX ||
		    (in[i].pi_amount & (in[i].pi_amount - 1)) != 0) {
			wr_end(wr, E_REQUEST, "a proof of the token is not "
			    "valid");
			return;
		}
		if (in[i].pi_has_witness) {
			wr_end(wr, E_REQUEST, "tokens of another mint with "
			    "spending conditions are not accepted");
			return;
		}
	}

	/* The account first: a token is not swapped for nothing. */
	memset(&k, 0, sizeof(k));
	memcpy(k.k_key, mr->mr_key, sizeof(k.k_key));
	if (proc_request(mint_ledger(), IMSG_LEDGER_ACCOUNT_GET, &k, sizeof(k),
	    IPC_TIMEOUT_MS, wr_account, wr) == 0)
		wr_end(wr, E_PROOF, "the ledger is not available");
}

static void
wr_free(struct wredeem *wr)
{
	if (wr->wr_req != NULL)
		curlev_cancel(wr->wr_req);
	if (wr->wr_in != NULL)
		freezero(wr->wr_in, wr->wr_mr.mr_nproofs * sizeof(*wr->wr_in));
	freezero(wr, sizeof(*wr));
}

static void
wr_end(struct wredeem *wr, int code, const char *detail)
{
	struct peer	*p;

	if ((p = peer_find(PROC_PROXY, wr->wr_instance)) != NULL)
		mint_end(p, wr->wr_id, code, detail);
	wr_free(wr);
}

static void
wr_reply(struct wredeem *wr, const struct ipc_ledger_reply *lr)
{
	struct peer	*p;

	if ((p = peer_find(PROC_PROXY, wr->wr_instance)) != NULL)
		peer_compose(p, IMSG_MINT_REDEEMED, wr->wr_id, -1, lr,
		    sizeof(*lr));
	wr_free(wr);
}

static void
wr_account(struct imsg *imsg, void *arg)
{
	struct wredeem		*wr = arg;
	struct ipc_ledger_reply	 lr;
	struct ipc_account	 a;
	int			 error = LEDGER_DBERR, mode = wr->wr_mr.mr_mode;

	if (imsg != NULL && imsg_get_type(imsg) == IMSG_LEDGER_ACCOUNT &&
	    imsg_get_data(imsg, &a, sizeof(a)) == 0) {
		if (mode != REDEEM_CREDIT)
			error = LEDGER_EXISTS;
		else if (a.a_flags & LEDGER_ACCOUNT_CLOSED)
			error = LEDGER_CLOSED;
		else
			error = LEDGER_OK;
	} else if (imsg != NULL && imsg_get_type(imsg) == IMSG_LEDGER_REPLY &&
	    imsg_get_data(imsg, &lr, sizeof(lr)) == 0) {
		error = lr.lr_error;
		if (error == LEDGER_NOTFOUND && mode != REDEEM_CREDIT)
			error = LEDGER_OK;
		else if (error == LEDGER_OK)
			error = LEDGER_DBERR;
	}
	if (error != LEDGER_OK) {
		memset(&lr, 0, sizeof(lr));
		lr.lr_error = error;
		wr_reply(wr, &lr);
		return;
	}
	wr_keys(wr);
}

/* The mint's keysets, from the cache or fetched. */
static void
wr_keys(struct wredeem *wr)
{
	struct wmint	*wm = wr->wr_mint;

	if (wm->wm_fetched != 0 && wm->wm_req == NULL &&
	    time(NULL) - wm->wm_fetched < WALLET_CACHE_SECS) {
		wr_keyed(wr);
		return;
	}
	TAILQ_INSERT_TAIL(&wm->wm_waiting, wr, wr_entry);
	if (wm->wm_req == NULL)
		fetch_start(wm, 0);
}

static struct curlev_req *
http(const char *method, const char *url, const char *body,
    void (*done)(struct curlev_req *, const struct curlev_result *, void *),
    void *arg)
{
	struct curlev_params	 p;
	const char		*hdrs[] = { "Accept: application/json",
				    "Content-Type: application/json", NULL };

	memset(&p, 0, sizeof(p));
	p.p_method = method;
	p.p_url = url;
	p.p_headers = hdrs;
	p.p_body = body;
	p.p_bodylen = body != NULL ? strlen(body) : 0;
	p.p_connect_ms = WALLET_CONNECT_MS;
	p.p_timeout_ms = WALLET_TIMEOUT_MS;
	p.p_maxresponse = WALLET_REPLY_MAX;
	p.p_on_done = done;
	p.p_arg = arg;
	return (curlev_start(&p));
}

static void
fetch_start(struct wmint *wm, int keys)
{
	char	 url[IPC_URL_MAX + 128];

	if (keys)
		(void)snprintf(url, sizeof(url), "%s/v1/keys/%s", wm->wm_url,
		    wm->wm_idhex);
	else
		(void)snprintf(url, sizeof(url), "%s/v1/keysets", wm->wm_url);
	if ((wm->wm_req = http(NULL, url, NULL, keys ? fetch_keys :
	    fetch_keysets, wm)) == NULL)
		fetch_done(wm, E_MINT_UNREACHABLE, "cannot ask the mint");
}

/* GET /v1/keysets: ids, units, fees; the active sat keyset chosen. */
static void
fetch_keysets(struct curlev_req *req, const struct curlev_result *r,
    void *arg)
{
	struct wmint	*wm = arg;
	struct wkeyset	*ks;
	json_t		*j, *a, *e, *v;
	const char	*idhex, *unit;
	size_t		 i, n = 0;
	int		 found = 0;

	wm->wm_req = NULL;
	if (r->r_error != CURLEV_OK || r->r_status >= 500) {
		log_warnx("wallet: %s: keysets: %s", wm->wm_url,
		    r->r_error != CURLEV_OK ? r->r_errstr : "server error");
		fetch_done(wm, E_MINT_UNREACHABLE, "the token's mint did not "
		    "answer");
		return;
	}
	if (r->r_status != 200 ||
	    (j = json_loadb(r->r_body, r->r_bodylen, 0, NULL)) == NULL) {
		fetch_done(wm, E_SWAP_FAILED, "the mint's keysets are not "
		    "readable");
		return;
	}
	if ((a = json_object_get(j, "keysets")) == NULL ||
	    !json_is_array(a) || json_array_size(a) > WALLET_KEYSETS_MAX ||
	    (ks = calloc(json_array_size(a) + 1, sizeof(*ks))) == NULL) {
		json_decref(j);
		fetch_done(wm, E_SWAP_FAILED, "the mint's keysets are not "
		    "readable");
		return;
	}
	json_array_foreach(a, i, e) {
		if ((idhex = json_string_value(json_object_get(e, "id"))) ==
		    NULL || keyset_id_fromhex(idhex, ks[n].wk_id,
		    &ks[n].wk_idlen) == -1)
			continue;	/* legacy base64 ids and the like */
		unit = json_string_value(json_object_get(e, "unit"));
		ks[n].wk_sat = unit != NULL && strcmp(unit, MINT_UNIT) == 0;
		ks[n].wk_active = json_is_true(json_object_get(e, "active"));
		v = json_object_get(e, "input_fee_ppk");
		if (v != NULL && !json_is_null(v)) {
			if (!json_is_integer(v) || json_integer_value(v) < 0)
				continue;
			ks[n].wk_fee_ppk = json_integer_value(v);
		}
		if (!found && ks[n].wk_active && ks[n].wk_sat) {
			memcpy(wm->wm_id, ks[n].wk_id, ks[n].wk_idlen);
			wm->wm_idlen = ks[n].wk_idlen;
			bdhke_tohex(wm->wm_idhex, ks[n].wk_id, ks[n].wk_idlen);
			found = 1;
		}
		n++;
	}
	json_decref(j);
	free(wm->wm_ks);
	wm->wm_ks = ks;
	wm->wm_nks = n;
	if (!found) {
		fetch_done(wm, E_SWAP_FAILED, "the token's mint has no "
		    "active sat keyset");
		return;
	}
	fetch_start(wm, 1);
}

/* GET /v1/keys/{id}: the keys of the active keyset, checked by its id. */
static void
fetch_keys(struct curlev_req *req, const struct curlev_result *r, void *arg)
{
	struct wmint	*wm = arg;
	struct wkeyset	*wk = NULL;
	uint8_t		 pub[KEYSET_MAX_KEYS][33], id[KEYSET_ID_MAX];
	uint64_t	 amounts[KEYSET_MAX_KEYS], have = 0, amount;
	json_t		*j, *a, *e, *keys, *v;
	const char	*k, *idhex;
	size_t		 i, n;
	int		 bit, ok = 0;

	wm->wm_req = NULL;
	if (r->r_error != CURLEV_OK || r->r_status >= 500) {
		log_warnx("wallet: %s: keys: %s", wm->wm_url,
		    r->r_error != CURLEV_OK ? r->r_errstr : "server error");
		fetch_done(wm, E_MINT_UNREACHABLE, "the token's mint did not "
		    "answer");
		return;
	}
	for (i = 0; i < wm->wm_nks; i++)
		if (wm->wm_ks[i].wk_idlen == wm->wm_idlen &&
		    memcmp(wm->wm_ks[i].wk_id, wm->wm_id, wm->wm_idlen) == 0)
			wk = &wm->wm_ks[i];
	if (r->r_status != 200 || wk == NULL ||
	    (j = json_loadb(r->r_body, r->r_bodylen, 0, NULL)) == NULL) {
		fetch_done(wm, E_SWAP_FAILED, "the mint's keys are not "
		    "readable");
		return;
	}
	a = json_object_get(j, "keysets");
	json_array_foreach(a, i, e) {
		if ((idhex = json_string_value(json_object_get(e, "id"))) ==
		    NULL || strcmp(idhex, wm->wm_idhex) != 0 ||
		    (keys = json_object_get(e, "keys")) == NULL ||
		    !json_is_object(keys))
			continue;
		ok = 1;
		json_object_foreach(keys, k, v) {
			if (wallet_amount_parse(k, &amount) == -1 ||
			    (amount & (amount - 1)) != 0 ||
			    json_string_value(v) == NULL) {
				ok = 0;
				break;
			}
			bit = __builtin_ctzll(amount);
			if (keyset_pubkey_fromhex(mintd->m_bd,
			    json_string_value(v), pub[bit]) == -1) {
				ok = 0;
				break;
			}
			have |= (uint64_t)1 << bit;
		}
		break;
	}
	json_decref(j);

	/* The keys must be those the id names (cashu-ts checks it too). */
	if (ok) {
		uint8_t		 sorted[KEYSET_MAX_KEYS][33];

		for (n = 0, bit = 0; bit < KEYSET_MAX_KEYS; bit++)
			if (have & ((uint64_t)1 << bit)) {
				memcpy(sorted[n], pub[bit], 33);
				amounts[n++] = (uint64_t)1 << bit;
			}
		if (n == 0)
			ok = 0;
		else if (wm->wm_id[0] == KEYSET_V1 &&
		    wm->wm_idlen == KEYSET_ID_V1_LEN)
			ok = keyset_id_v1(sorted, n, id) == 0 &&
			    memcmp(id, wm->wm_id, KEYSET_ID_V1_LEN) == 0;
		else if (wm->wm_id[0] == KEYSET_V2 &&
		    wm->wm_idlen == KEYSET_ID_V2_LEN)
			ok = keyset_id_v2(amounts, sorted, n, MINT_UNIT,
			    wk->wk_fee_ppk, 0, id) == 0 &&
			    memcmp(id, wm->wm_id, KEYSET_ID_V2_LEN) == 0;
		else
			ok = 0;
	}
	if (!ok) {
		log_warnx("wallet: %s: the keys of keyset %s do not match "
		    "its id", wm->wm_url, wm->wm_idhex);
		fetch_done(wm, E_SWAP_FAILED, "the mint's keys do not match "
		    "their keyset id");
		return;
	}
	memcpy(wm->wm_pub, pub, sizeof(wm->wm_pub));
	wm->wm_have = have;
	wm->wm_fetched = time(NULL);
	log_debug("wallet: %s: active keyset %s, %zu keysets", wm->wm_url,
	    wm->wm_idhex, wm->wm_nks);
	fetch_done(wm, 0, NULL);
}

static void
fetch_done(struct wmint *wm, int code, const char *detail)
{
	struct wredeem	*wr;

	if (code != 0)
		wm->wm_fetched = 0;
	while ((wr = TAILQ_FIRST(&wm->wm_waiting)) != NULL) {
		TAILQ_REMOVE(&wm->wm_waiting, wr, wr_entry);
		if (code != 0)
			wr_end(wr, code, detail);
		else
			wr_keyed(wr);
	}
}

/* Keysets known: the fee, the outputs, then their counter. */
static void
wr_keyed(struct wredeem *wr)
{
	struct wmint		*wm = wr->wr_mint;
	struct ipc_mint_redeem	*mr = &wr->wr_mr;
	struct ipc_counter	 cn;
	uint64_t		*ppk, sum = 0, fee;
	uint32_t		 i;
	size_t			 j, bit;

	if ((ppk = calloc(mr->mr_nproofs, sizeof(*ppk))) == NULL)
		fatal(NULL);
	for (i = 0; i < mr->mr_nproofs; i++) {
		for (j = 0; j < wm->wm_nks; j++)
			if (wm->wm_ks[j].wk_idlen == wr->wr_in[i].pi_idlen &&
			    memcmp(wm->wm_ks[j].wk_id, wr->wr_in[i].pi_id,
			    wm->wm_ks[j].wk_idlen) == 0)
				break;
		if (j == wm->wm_nks) {
			free(ppk);
			/* A keyset newer than what we know: look once more. */
			if (!wr->wr_refetched &&
			    time(NULL) - wm->wm_fetched >= WALLET_STALE_SECS) {
				wr->wr_refetched = 1;
				wm->wm_fetched = 0;
				wr_keys(wr);
			} else
				wr_end(wr, E_KEYSET, "keyset is not known to "
				    "the token's mint");
			return;
		}
		if (!wm->wm_ks[j].wk_sat) {
			free(ppk);
			wr_end(wr, E_UNIT, "unit is not supported");
			return;
		}
		ppk[i] = wm->wm_ks[j].wk_fee_ppk;
		if (money_add(&sum, sum, wr->wr_in[i].pi_amount) == -1) {
			free(ppk);
			wr_end(wr, E_LIMIT, "amount outside the limits");
			return;
		}
	}
	if (keyset_fees(ppk, mr->mr_nproofs, &fee) == -1) {
		free(ppk);
		wr_end(wr, E_LIMIT, "amount outside the limits");
		return;
	}
	free(ppk);
	if (sum <= fee) {
		wr_end(wr, E_SWAP_FEES, "the fees of the token's mint would "
		    "take all of it");
		return;
	}
	wr->wr_net = sum - fee;
	if (money_mul(&wr->wr_msat, wr->wr_net, MSAT_PER_SAT) == -1) {
		wr_end(wr, E_LIMIT, "amount outside the limits");
		return;
	}
	wr->wr_nout = wallet_split(wr->wr_net, wr->wr_amounts,
	    WALLET_OUTPUTS_MAX);
	for (j = 0; j < wr->wr_nout; j++) {
		bit = __builtin_ctzll(wr->wr_amounts[j]);
		if (!(wm->wm_have & ((uint64_t)1 << bit))) {
			wr_end(wr, E_SWAP_FAILED, "the token's mint has no "
			    "key for an amount");
			return;
		}
		memcpy(wr->wr_pub[j], wm->wm_pub[bit], 33);
	}
	memcpy(wr->wr_id_ks, wm->wm_id, wm->wm_idlen);
	wr->wr_idlen = wm->wm_idlen;
	memcpy(wr->wr_idhex, wm->wm_idhex, sizeof(wr->wr_idhex));

	memset(&cn, 0, sizeof(cn));
	memcpy(cn.c_keyset, wr->wr_id_ks, wr->wr_idlen);
	cn.c_keyset_len = wr->wr_idlen;
	cn.c_n = wr->wr_nout;
	if (proc_request(mint_ledger(), IMSG_LEDGER_COUNTER, &cn, sizeof(cn),
	    IPC_TIMEOUT_MS, wr_counted, wr) == 0)
		wr_end(wr, E_PROOF, "the ledger is not available");
}

/* The counter is durable: the outputs, and the swap. */
static void
wr_counted(struct imsg *imsg, void *arg)
{
	struct wredeem		*wr = arg;
	struct ipc_ledger_reply	 lr;
	struct ipc_proof_in	*pi;
	json_t			*ins, *outs, *o, *body;
	char			*text, c[67], b[67];
	char			 url[IPC_URL_MAX + 16];
	size_t			 i;

	if (imsg == NULL || imsg_get_type(imsg) != IMSG_LEDGER_REPLY ||
	    imsg_get_data(imsg, &lr, sizeof(lr)) == -1 ||
	    lr.lr_error != LEDGER_OK || lr.lr_amount != wr->wr_nout) {
		wr_end(wr, E_PROOF, "the ledger is not available");
		return;
	}
	for (i = 0; i < wr->wr_nout; i++) {
		if (nut13_derive(mintd->m_bd, wallet_seed, sizeof(wallet_seed),
		    wr->wr_id_ks, wr->wr_idlen, lr.lr_id + i,
		    wr->wr_secret[i], wr->wr_r[i]) == -1 ||
		    bdhke_blind(mintd->m_bd, wr->wr_secret[i],
		    strlen(wr->wr_secret[i]), wr->wr_r[i], wr->wr_b[i]) ==
		    -1) {
			/* NUT-13 v00 skips nothing: a counter may not work. */
			log_warnx("wallet: output %llu of keyset %s cannot "
			    "be made", (unsigned long long)(lr.lr_id + i),
			    wr->wr_idhex);
			wr_end(wr, E_PROOF, "an output could not be made");
			return;
		}
	}

	if ((ins = json_array()) == NULL || (outs = json_array()) == NULL)
		fatalx("json_array");
	for (i = 0; i < wr->wr_mr.mr_nproofs; i++) {
		char	 id[KEYSET_ID_HEX];

		pi = &wr->wr_in[i];
		bdhke_tohex(id, pi->pi_id, pi->pi_idlen);
		bdhke_tohex(c, pi->pi_c, sizeof(pi->pi_c));
		/* The proxy checked the secret is UTF-8; jansson again. */
		if ((o = json_pack("{s:I, s:s, s:s%, s:s}", "amount",
		    (json_int_t)pi->pi_amount, "id", id, "secret",
		    pi->pi_secret, (size_t)pi->pi_secretlen, "C", c)) ==
		    NULL) {
			json_decref(ins);
			json_decref(outs);
			wr_end(wr, E_REQUEST, "a proof of the token is not "
			    "valid");
			return;
		}
		json_array_append_new(ins, o);
	}
	for (i = 0; i < wr->wr_nout; i++) {
		bdhke_tohex(b, wr->wr_b[i], 33);
		if ((o = json_pack("{s:I, s:s, s:s}", "amount",
		    (json_int_t)wr->wr_amounts[i], "id", wr->wr_idhex, "B_",
		    b)) == NULL)
			fatalx("json_pack");
		json_array_append_new(outs, o);
	}
	if ((body = json_pack("{s:o, s:o}", "inputs", ins, "outputs", outs)) ==
	    NULL || (text = json_dumps(body, JSON_COMPACT)) == NULL)
		fatalx("json");
	json_decref(body);
	(void)snprintf(url, sizeof(url), "%s/v1/swap", wr->wr_mint->wm_url);
	wr->wr_req = http("POST", url, text, wr_swapped, wr);
	freezero(text, strlen(text));
	if (wr->wr_req == NULL)
		wr_end(wr, E_MINT_UNREACHABLE, "cannot ask the token's mint");
}

/* The mint's answer: its error, or the signatures checked and unblinded. */
static void
wr_swapped(struct curlev_req *req, const struct curlev_result *r, void *arg)
{
	struct wredeem	*wr = arg;
	uint8_t		 C[WALLET_OUTPUTS_MAX][33], C_[33], e[32], s[32];
	char		 detail[200];
	json_t		*j = NULL, *a, *sg, *dl;
	const char	*str, *id, *ehex, *shex;
	json_int_t	 code;
	size_t		 i;

	wr->wr_req = NULL;
	if (r->r_error != CURLEV_OK) {
		/* Sent, maybe done: NUT-09 restore finds the outputs. */
		log_warnx("wallet: %s: swap: %s%s", wr->wr_mint->wm_url,
		    r->r_errstr, r->r_sent ? " (the outputs' counter is kept "
		    "for a restore)" : "");
		wr_end(wr, E_MINT_UNREACHABLE, "the token's mint did not "
		    "answer");
		return;
	}
	if (r->r_body != NULL)
		j = json_loadb(r->r_body, r->r_bodylen, 0, NULL);
	if (r->r_status != 200) {
		code = json_integer_value(json_object_get(j, "code"));
		str = json_string_value(json_object_get(j, "detail"));
		(void)snprintf(detail, sizeof(detail), "%s",
		    str != NULL ? str : "the swap was refused");
		json_decref(j);
		if (code == E_SPENT)
			wr_end(wr, E_SPENT, "Token already spent.");
		else if (code == E_PENDING)
			wr_end(wr, E_PENDING, "Token is pending.");
		else if (code == E_KEYSET || code == E_INACTIVE) {
			wr->wr_mint->wm_fetched = 0;	/* keysets changed */
			wr_end(wr, E_SWAP_FAILED, detail);
		} else if (code >= 10000 && code < 90000)
			wr_end(wr, code, detail);
		else if (r->r_status >= 500)
			wr_end(wr, E_MINT_UNREACHABLE, "the token's mint "
			    "failed");
		else
			wr_end(wr, E_SWAP_FAILED, detail);
		return;
	}

	if ((a = json_object_get(j, "signatures")) == NULL ||
	    !json_is_array(a) || json_array_size(a) != wr->wr_nout)
		goto bad;
	json_array_foreach(a, i, sg) {
		id = json_string_value(json_object_get(sg, "id"));
		str = json_string_value(json_object_get(sg, "C_"));
		if (id == NULL || strcmp(id, wr->wr_idhex) != 0 ||
		    !json_is_integer(json_object_get(sg, "amount")) ||
		    (uint64_t)json_integer_value(json_object_get(sg,
		    "amount")) != wr->wr_amounts[i] || str == NULL ||
		    strlen(str) != 66 || bdhke_fromhex(C_, 33, str) == -1 ||
		    bdhke_point_check(mintd->m_bd, C_) == -1)
			goto bad;
		if ((dl = json_object_get(sg, "dleq")) != NULL &&
		    !json_is_null(dl)) {
			ehex = json_string_value(json_object_get(dl, "e"));
			shex = json_string_value(json_object_get(dl, "s"));
			if (ehex == NULL || shex == NULL ||
			    strlen(ehex) != 64 || strlen(shex) != 64 ||
			    bdhke_fromhex(e, 32, ehex) == -1 ||
			    bdhke_fromhex(s, 32, shex) == -1 ||
			    bdhke_dleq_verify(mintd->m_bd, wr->wr_pub[i],
			    wr->wr_b[i], C_, e, s) == -1)
				goto bad;
		}
		if (bdhke_unblind(mintd->m_bd, C_, wr->wr_r[i], wr->wr_pub[i],
		    C[i]) == -1)
			goto bad;
	}
	json_decref(j);
	wr_commit(wr, C);
	return;
 bad:
	json_decref(j);
	/* The inputs are gone; the outputs can be restored (NUT-09). */
	log_warnx("wallet: %s: the swap's answer does not check out (the "
	    "outputs' counter is kept for a restore)", wr->wr_mint->wm_url);
	wr_end(wr, E_SWAP_FAILED, "the token's mint answered the swap "
	    "wrongly");
}

/* The proofs sealed, stored and credited in one ledger transaction. */
static void
wr_commit(struct wredeem *wr, const uint8_t (*C)[33])
{
	struct ipc_mint_redeem	*mr = &wr->wr_mr;
	struct ipc_redeem	 rd;
	struct ipc_proof	 pr;
	struct wallet_proof	 wp;
	uint8_t			 plain[WALLET_PROOF_MAX], Y[33];
	uint8_t			 aad[WALLET_AAD_LEN];
	uint8_t			 blob[WALLET_PROOF_MAX + WALLET_GCM_IV +
				    WALLET_GCM_TAG];
	unsigned char		*buf;
	size_t			 i, plen, blen, len = 0, max;

	memset(&rd, 0, sizeof(rd));
	memcpy(rd.rd_key, mr->mr_key, sizeof(rd.rd_key));
	memcpy(rd.rd_reqid, mr->mr_reqid, sizeof(rd.rd_reqid));
	rd.rd_amount = wr->wr_msat;
	rd.rd_limit = mr->mr_limit;
	rd.rd_expiry = mr->mr_expiry;
	rd.rd_mode = mr->mr_mode;
	memcpy(rd.rd_record, mr->mr_record, sizeof(rd.rd_record));
	rd.rd_has_record = mr->mr_has_record;
	rd.rd_nys = wr->wr_nout;
	(void)strlcpy(rd.rd_unit, MINT_UNIT, sizeof(rd.rd_unit));
	memcpy(rd.rd_mint, mr->mr_mint, sizeof(rd.rd_mint));

	max = sizeof(rd) + wr->wr_nout * (sizeof(pr) + sizeof(blob));
	if ((buf = malloc(max)) == NULL)
		fatal(NULL);
	memcpy(buf, &rd, sizeof(rd));
	len = sizeof(rd);
	for (i = 0; i < wr->wr_nout; i++) {
		memset(&wp, 0, sizeof(wp));
		memcpy(wp.wp_id, wr->wr_id_ks, wr->wr_idlen);
		wp.wp_idlen = wr->wr_idlen;
		wp.wp_amount = wr->wr_amounts[i];
		memcpy(wp.wp_c, C[i], 33);
		(void)strlcpy(wp.wp_secret, wr->wr_secret[i],
		    sizeof(wp.wp_secret));
		(void)strlcpy(wp.wp_mint, wr->wr_mint->wm_url,
		    sizeof(wp.wp_mint));
		memset(&pr, 0, sizeof(pr));
		memcpy(pr.p_mint, wr->wr_mint->wm_hash, sizeof(pr.p_mint));
		memcpy(pr.p_keyset, wr->wr_id_ks, wr->wr_idlen);
		/* Named by Y's x: what checkstate and restore ask about. */
		if (bdhke_hash_to_curve(mintd->m_bd, wp.wp_secret,
		    strlen(wp.wp_secret), Y) == -1)
			fatalx("wallet: hash_to_curve");
		memcpy(pr.p_id, Y + 1, sizeof(pr.p_id));
		wallet_aad(&pr, aad);
		if (wallet_proof_encode(&wp, plain, sizeof(plain), &plen) ==
		    -1 || wallet_seal(wallet_key, aad, sizeof(aad), plain, plen,
		    blob, sizeof(blob), &blen) == -1)
			fatalx("wallet: cannot seal a proof");
		pr.p_bloblen = blen;
		memcpy(buf + len, &pr, sizeof(pr));
		len += sizeof(pr);
		memcpy(buf + len, blob, blen);
		len += blen;
		explicit_bzero(&wp, sizeof(wp));
		explicit_bzero(plain, sizeof(plain));
	}
	if (proc_request(mint_ledger(), IMSG_LEDGER_WALLET_REDEEM, buf, len,
	    IPC_TIMEOUT_MS, wr_committed, wr) == 0) {
		log_warnx("wallet: swapped proofs could not go to the ledger "
		    "(a restore finds them)");
		wr_end(wr, E_PROOF, "the ledger is not available");
	}
	freezero(buf, max);
}

static void
wr_committed(struct imsg *imsg, void *arg)
{
	struct wredeem		*wr = arg;
	struct ipc_ledger_reply	 lr;

	(void)ipc_ledger_reply_get(imsg, &lr);
	if (lr.lr_error != LEDGER_OK)
		log_warnx("wallet: %s: swapped, but the ledger said %s",
		    wr->wr_mint->wm_url, ledger_strerror(lr.lr_error));
	wr_reply(wr, &lr);
}
