/*
 * NUT-03 swap, NUT-07 checkstate and NUT-09 restore.  Everything the
 * proxy parsed is checked again here: points, amounts, keysets, the
 * balance.  Double spending is the ledger's to refuse: spending the
 * inputs' Ys and recording the signed outputs is one transaction there,
 * which fails whole if any Y is spent or pending or any B_ was signed.
 */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bdhke.h"
#include "imsg.h"
#include "ipc.h"
#include "keyset.h"
#include "ledger.h"
#include "log.h"
#include "mintd.h"
#include "money.h"
#include "proc.h"


/* A swap in flight: waiting for the ledger's transaction. */
struct swap {
	int			 s_instance;	/* the proxy that asked */
	uint32_t		 s_id;
	uint32_t		 s_nout;
	unsigned char		*s_reply;	/* the signatures, ready */
	size_t			 s_replylen;
};

static void	 swap_done(struct imsg *, void *);
static int	 amount_index(uint64_t);
static int	 ys_unique(const struct ipc_input *, uint32_t);

/* The index i of an amount 2^i, or -1 if it is not a power of two. */
static int
amount_index(uint64_t a)
{
	if (a == 0 || (a & (a - 1)) != 0)
		return (-1);
	return (__builtin_ctzll(a));
}

static int
ys_unique(const struct ipc_input *ys, uint32_t n)
{
	uint32_t	 i, j;

	/* n is small (<= IPC_INPUTS_MAX): quadratic is fine. */
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (memcmp(ys[i].in_y, ys[j].in_y, IPC_Y_LEN) == 0)
				return (0);
	return (1);
}

/*
 * The inputs: known keysets, amounts their keysets sign, secrets we can
 * honour, valid signatures; for the ledger their Ys with the full id of
 * their keyset and their amount; their sum and fee.  0, or -1 with the
 * NUT code and detail.
 */
int
mint_verify_inputs(const struct ipc_proof_in *in, uint32_t n,
    struct ipc_input *ys, uint64_t *sum, uint64_t *fee,
    const char **unit, int *code, const char **detail)
{
	struct mint_keyset	*mk;
	uint64_t		 ppk[IPC_INPUTS_MAX];
	uint32_t		 i;
	int			 ai;

	*sum = 0;
	*unit = NULL;
	for (i = 0; i < n; i++) {
		if (in[i].pi_idlen == 0 || in[i].pi_idlen > IPC_KEYSET_MAX ||
		    (mk = mint_keyset_find(in[i].pi_id, in[i].pi_idlen)) ==
		    NULL) {
			*code = E_KEYSET;
			*detail = "keyset is not known";
			return (-1);
		}
		if (*unit != NULL && strcmp(*unit, mk->mk_ks.ks_unit) != 0) {
			*code = E_MULTI_UNIT;
			*detail = "inputs are of several units";
			return (-1);
		}
		*unit = mk->mk_ks.ks_unit;
		if ((ai = amount_index(in[i].pi_amount)) == -1 ||
		    (size_t)ai >= mk->mk_ks.ks_nkeys) {
			*code = E_PROOF;
			*detail = "invalid proof amount";
			return (-1);
		}
		if (in[i].pi_secretlen == 0 ||
		    in[i].pi_secretlen > IPC_SECRET_MAX) {
			*code = E_PROOF;
			*detail = "invalid proof secret";
			return (-1);
		}
		/*
		 * A NUT-10 secret (a JSON array) carries spending conditions
		 * that this mint does not check: refusing it is the only
		 * safe answer, or a locked proof would be spendable by all.
		 */
		if (in[i].pi_secret[0] == '[' || in[i].pi_has_witness) {
			*code = E_PROOF;
			*detail = "spending conditions are not supported";
			return (-1);
		}
		memset(&ys[i], 0, sizeof(ys[i]));
		if (bdhke_hash_to_curve(mintd->m_bd, in[i].pi_secret,
		    in[i].pi_secretlen, ys[i].in_y) == -1 ||
		    bdhke_verify_y(mintd->m_bd, mk->mk_ks.ks_priv[ai],
		    ys[i].in_y, in[i].pi_c) == -1) {
			*code = E_PROOF;
			*detail = "could not verify proofs";
			return (-1);
		}
		if (money_add(sum, *sum, in[i].pi_amount) == -1) {
			*code = E_UNBALANCED;
			*detail = "amount overflow";
			return (-1);
		}
		ppk[i] = mk->mk_ks.ks_fee_ppk;
		memcpy(ys[i].in_keyset, mk->mk_ks.ks_id, mk->mk_ks.ks_idlen);
		ys[i].in_keyset_len = mk->mk_ks.ks_idlen;
		ys[i].in_amount = in[i].pi_amount;
	}
	if (!ys_unique(ys, n)) {
		*code = E_DUP_INPUTS;
		*detail = "duplicate inputs";
		return (-1);
	}
	if (keyset_fees(ppk, n, fee) == -1) {
		*code = E_UNBALANCED;
		*detail = "fee overflow";
		return (-1);
	}
	return (0);
}

/* The outputs: one active keyset, amounts it signs, distinct B_. */
int
mint_check_outputs(const struct ipc_output *out, uint32_t n,
    struct mint_keyset **mkp, uint64_t *sum, int *code, const char **detail)
{
	struct mint_keyset	*mk = NULL;
	uint32_t		 i, j;
	int			 ai;

	*sum = 0;
	for (i = 0; i < n; i++) {
		if (out[i].o_idlen == 0 || out[i].o_idlen > IPC_KEYSET_MAX ||
		    (mk = mint_keyset_find(out[i].o_id, out[i].o_idlen)) ==
		    NULL) {
			*code = E_KEYSET;
			*detail = "keyset is not known";
			return (-1);
		}
		if (!mk->mk_active) {
			*code = E_INACTIVE;
			*detail = "keyset is inactive";
			return (-1);
		}
		if (*mkp != NULL && *mkp != mk) {
			*code = E_MULTI_UNIT;
			*detail = "outputs of several keysets";
			return (-1);
		}
		*mkp = mk;
		if ((ai = amount_index(out[i].o_amount)) == -1 ||
		    (size_t)ai >= mk->mk_ks.ks_nkeys) {
			*code = E_UNBALANCED;
			*detail = "invalid output amount";
			return (-1);
		}
		if (bdhke_point_check(mintd->m_bd, out[i].o_b) == -1) {
			*code = E_PROOF;
			*detail = "invalid blinded message";
			return (-1);
		}
		for (j = 0; j < i; j++)
			if (memcmp(out[i].o_b, out[j].o_b, IPC_Y_LEN) == 0) {
				*code = E_DUP_OUTPUTS;
				*detail = "duplicate outputs";
				return (-1);
			}
		if (money_add(sum, *sum, out[i].o_amount) == -1) {
			*code = E_UNBALANCED;
			*detail = "amount overflow";
			return (-1);
		}
	}
	return (0);
}

/* C_ = k·B_ with a DLEQ proof, for each output; and what the ledger keeps. */
int
mint_sign_outputs(const struct ipc_output *out, uint32_t n,
    struct mint_keyset *mk, struct ipc_signature *sig, struct ipc_issued *iss)
{
	uint32_t	 i;
	int		 ai;
	int64_t		 now = time(NULL);

	for (i = 0; i < n; i++) {
		ai = amount_index(out[i].o_amount);
		memset(&sig[i], 0, sizeof(sig[i]));
		sig[i].sg_amount = out[i].o_amount;
		memcpy(sig[i].sg_id, mk->mk_ks.ks_id, mk->mk_ks.ks_idlen);
		sig[i].sg_idlen = mk->mk_ks.ks_idlen;
		if (bdhke_sign_dleq(mintd->m_bd, mk->mk_ks.ks_priv[ai],
		    mk->mk_ks.ks_pub[ai], out[i].o_b, sig[i].sg_c,
		    sig[i].sg_dleq_e, sig[i].sg_dleq_s) == -1)
			return (-1);
		memset(&iss[i], 0, sizeof(iss[i]));
		memcpy(iss[i].i_b, out[i].o_b, IPC_Y_LEN);
		memcpy(iss[i].i_c, sig[i].sg_c, IPC_Y_LEN);
		memcpy(iss[i].i_keyset, mk->mk_ks.ks_id, mk->mk_ks.ks_idlen);
		iss[i].i_keyset_len = mk->mk_ks.ks_idlen;
		iss[i].i_amount = out[i].o_amount;
		memcpy(iss[i].i_dleq_e, sig[i].sg_dleq_e, 32);
		memcpy(iss[i].i_dleq_s, sig[i].sg_dleq_s, 32);
		iss[i].i_time = now;
	}
	return (0);
}

/* NUT-03 */
int
mint_swap_request(struct peer *p, struct imsg *imsg)
{
	struct ipc_swap		 sw;
	struct ipc_proof_in	*in = NULL;
	struct ipc_output	*out = NULL;
	struct ipc_signature	*sig = NULL;
	struct ipc_swap_commit	 sc;
	struct ipc_issued	*iss = NULL;
	struct mint_keyset	*mk = NULL;
	struct swap		*s;
	struct ipc_input	*ys = NULL;
	unsigned char		*commit = NULL;
	const char		*unit, *detail;
	uint64_t		 sin, sout, fee, need;
	size_t			 len = imsg_get_len(imsg), clen;
	uint32_t		 id = imsg_get_id(imsg), n;
	int			 code, rv = -1;

	if (imsg_get_buf(imsg, &sw, sizeof(sw)) == -1 ||
	    sw.sw_ninputs == 0 || sw.sw_ninputs > IPC_INPUTS_MAX ||
	    sw.sw_noutputs == 0 || sw.sw_noutputs > IPC_OUTPUTS_MAX ||
	    len != sizeof(sw) + sw.sw_ninputs * sizeof(*in) +
	    sw.sw_noutputs * sizeof(*out))
		return (-1);
	if ((in = calloc(sw.sw_ninputs, sizeof(*in))) == NULL ||
	    (out = calloc(sw.sw_noutputs, sizeof(*out))) == NULL ||
	    (ys = calloc(sw.sw_ninputs, sizeof(*ys))) == NULL ||
	    (sig = calloc(sw.sw_noutputs, sizeof(*sig))) == NULL ||
	    (iss = calloc(sw.sw_noutputs, sizeof(*iss))) == NULL)
		fatal(NULL);
	if (imsg_get_buf(imsg, in, sw.sw_ninputs * sizeof(*in)) == -1 ||
	    imsg_get_buf(imsg, out, sw.sw_noutputs * sizeof(*out)) == -1)
		goto done;
	rv = 0;

	if (mint_verify_inputs(in, sw.sw_ninputs, ys, &sin, &fee, &unit, &code,
	    &detail) == -1 ||
	    mint_check_outputs(out, sw.sw_noutputs, &mk, &sout, &code,
	    &detail) == -1) {
		mint_end(p, id, code, detail);
		goto done;
	}
	if (strcmp(unit, mk->mk_ks.ks_unit) != 0) {
		mint_end(p, id, E_MULTI_UNIT,
		    "inputs and outputs not of the same unit");
		goto done;
	}
	if (money_add(&need, sout, fee) == -1 || need != sin) {
		mint_end(p, id, E_UNBALANCED, "inputs do not match outputs "
		    "and fees");
		goto done;
	}
	if (mint_sign_outputs(out, sw.sw_noutputs, mk, sig, iss) == -1) {
		mint_end(p, id, E_PROOF, "could not sign the outputs");
		goto done;
	}

	/* The ledger: spend and record in one transaction. */
	sc.sc_nys = sw.sw_ninputs;
	sc.sc_nissued = sw.sw_noutputs;
	clen = sizeof(sc) + sc.sc_nys * sizeof(*ys) + sc.sc_nissued *
	    sizeof(*iss);
	if ((commit = malloc(clen)) == NULL || (s = calloc(1, sizeof(*s))) ==
	    NULL)
		fatal(NULL);
	memcpy(commit, &sc, sizeof(sc));
	memcpy(commit + sizeof(sc), ys, sc.sc_nys * sizeof(*ys));
	memcpy(commit + sizeof(sc) + sc.sc_nys * sizeof(*ys), iss,
	    sc.sc_nissued * sizeof(*iss));
	n = sw.sw_noutputs;
	s->s_instance = p->p_instance;
	s->s_id = id;
	s->s_nout = n;
	s->s_replylen = sizeof(n) + n * sizeof(*sig);
	if ((s->s_reply = malloc(s->s_replylen)) == NULL)
		fatal(NULL);
	memcpy(s->s_reply, &n, sizeof(n));
	memcpy(s->s_reply + sizeof(n), sig, n * sizeof(*sig));
	if (proc_request(mint_ledger(), IMSG_LEDGER_SWAP, commit, clen,
	    IPC_TIMEOUT_MS, swap_done, s) == 0) {
		mint_end(p, id, E_PROOF, "the ledger is not available");
		free(s->s_reply);
		free(s);
	}
 done:
	free(in);
	free(out);
	free(ys);
	free(sig);
	free(iss);
	free(commit);
	return (rv);
}

/* The ledger answered: the signatures go out only if it committed. */
static void
swap_done(struct imsg *imsg, void *arg)
{
	struct swap		*s = arg;
	struct ipc_ledger_reply	 lr;
	struct peer		*p;

	if ((p = peer_find(PROC_PROXY, s->s_instance)) == NULL)
		goto done;
	if (imsg == NULL) {
		mint_end(p, s->s_id, E_PROOF, "the ledger did not answer");
		goto done;
	}
	if (imsg_get_type(imsg) != IMSG_LEDGER_REPLY ||
	    imsg_get_data(imsg, &lr, sizeof(lr)) == -1)
		fatalx("bad answer from the ledger to a swap");
	switch (lr.lr_error) {
	case LEDGER_OK:
		peer_compose(p, IMSG_MINT_SIGNATURES, s->s_id, -1,
		    s->s_reply, s->s_replylen);
		break;
	case LEDGER_SPENT:
		mint_end(p, s->s_id, E_SPENT, "Token already spent.");
		break;
	case LEDGER_PENDING:
		mint_end(p, s->s_id, E_PENDING, "Token is pending.");
		break;
	case LEDGER_EXISTS:
		mint_end(p, s->s_id, E_SIGNED,
		    "outputs have already been signed before");
		break;
	default:
		log_warnx("swap: the ledger says %s",
		    ledger_strerror(lr.lr_error));
		mint_end(p, s->s_id, E_PROOF, "the ledger failed");
		break;
	}
 done:
	freezero(s->s_reply, s->s_replylen);
	free(s);
}

/* NUT-07: the state of each Y, in order. */
struct check {
	int		 c_instance;
	uint32_t	 c_id;
};

static void
checkstate_done(struct imsg *imsg, void *arg)
{
	struct check		*c = arg;
	struct ipc_ledger_reply	 lr;
	struct peer		*p;
	unsigned char		*buf;
	size_t			 len;
	uint32_t		 n;

	if ((p = peer_find(PROC_PROXY, c->c_instance)) == NULL)
		goto done;
	if (imsg == NULL) {
		mint_end(p, c->c_id, E_PROOF, "the ledger did not answer");
		goto done;
	}
	if (imsg_get_type(imsg) == IMSG_LEDGER_REPLY &&
	    imsg_get_data(imsg, &lr, sizeof(lr)) == 0) {
		mint_end(p, c->c_id, E_PROOF, ledger_strerror(lr.lr_error));
		goto done;
	}
	if (imsg_get_type(imsg) != IMSG_LEDGER_YS_STATES ||
	    (len = imsg_get_len(imsg)) == 0 || len > IPC_BATCH_MAX)
		fatalx("bad answer from the ledger to a state check");
	n = len;
	if ((buf = malloc(sizeof(n) + len)) == NULL)
		fatal(NULL);
	memcpy(buf, &n, sizeof(n));
	if (imsg_get_buf(imsg, buf + sizeof(n), len) == -1)
		fatalx("bad answer from the ledger to a state check");
	peer_compose(p, IMSG_MINT_STATES, c->c_id, -1, buf, sizeof(n) + len);
	free(buf);
 done:
	free(c);
}

int
mint_checkstate_request(struct peer *p, struct imsg *imsg)
{
	struct ipc_ys	 ys;
	struct check	*c;
	unsigned char	*buf;
	uint32_t	 n, i;
	size_t		 len = imsg_get_len(imsg);

	if (imsg_get_buf(imsg, &n, sizeof(n)) == -1 || n == 0 ||
	    n > IPC_BATCH_MAX || len != sizeof(n) + (size_t)n * IPC_Y_LEN)
		return (-1);
	memset(&ys, 0, sizeof(ys));
	ys.yh_n = n;
	if ((buf = malloc(sizeof(ys) + (size_t)n * IPC_Y_LEN)) == NULL ||
	    (c = calloc(1, sizeof(*c))) == NULL)
		fatal(NULL);
	memcpy(buf, &ys, sizeof(ys));
	if (imsg_get_buf(imsg, buf + sizeof(ys), (size_t)n * IPC_Y_LEN) == -1) {
		free(buf);
		free(c);
		return (-1);
	}
	for (i = 0; i < n; i++)
		if (bdhke_point_check(mintd->m_bd, buf + sizeof(ys) +
		    i * IPC_Y_LEN) == -1) {
			mint_end(p, imsg_get_id(imsg), E_PROOF,
			    "invalid Y");
			free(buf);
			free(c);
			return (0);
		}
	c->c_instance = p->p_instance;
	c->c_id = imsg_get_id(imsg);
	if (proc_request(mint_ledger(), IMSG_LEDGER_YS_STATE, buf, sizeof(ys) +
	    (size_t)n * IPC_Y_LEN, IPC_TIMEOUT_MS, checkstate_done, c) == 0) {
		mint_end(p, c->c_id, E_PROOF, "the ledger is not available");
		free(c);
	}
	free(buf);
	return (0);
}

/*
 * NUT-09: of the outputs given, those signed before, with their
 * signatures, in the order given.  One ledger lookup per output.
 */
struct restore {
	int			 r_instance;
	uint32_t		 r_id;
	uint32_t		 r_n;
	uint32_t		 r_pending;
	int			 r_failed;
	struct ipc_output	*r_out;
	struct ipc_signature	*r_sig;
	int			*r_found;
};

struct restore_one {
	struct restore	*ro_r;
	uint32_t	 ro_i;
};

static void
restore_finish(struct restore *r)
{
	struct peer	*p;
	unsigned char	*buf, *q;
	uint32_t	 i, found = 0;

	if ((p = peer_find(PROC_PROXY, r->r_instance)) != NULL) {
		if (r->r_failed)
			mint_end(p, r->r_id, E_PROOF, "the ledger failed");
		else {
			for (i = 0; i < r->r_n; i++)
				found += r->r_found[i];
			if ((buf = malloc(sizeof(found) + found *
			    (sizeof(*r->r_out) + sizeof(*r->r_sig)))) == NULL)
				fatal(NULL);
			memcpy(buf, &found, sizeof(found));
			q = buf + sizeof(found);
			for (i = 0; i < r->r_n; i++) {
				if (!r->r_found[i])
					continue;
				memcpy(q, &r->r_out[i], sizeof(*r->r_out));
				q += sizeof(*r->r_out);
				memcpy(q, &r->r_sig[i], sizeof(*r->r_sig));
				q += sizeof(*r->r_sig);
			}
			peer_compose(p, IMSG_MINT_RESTORED, r->r_id, -1, buf,
			    q - buf);
			free(buf);
		}
	}
	free(r->r_out);
	free(r->r_sig);
	free(r->r_found);
	free(r);
}

static void
restore_done(struct imsg *imsg, void *arg)
{
	struct restore_one	*ro = arg;
	struct restore		*r = ro->ro_r;
	struct ipc_issued	 ii;
	struct ipc_ledger_reply	 lr;
	struct ipc_signature	*sg = &r->r_sig[ro->ro_i];

	if (imsg == NULL)
		r->r_failed = 1;
	else if (imsg_get_type(imsg) == IMSG_LEDGER_ISSUED &&
	    imsg_get_data(imsg, &ii, sizeof(ii)) == 0 &&
	    ii.i_keyset_len > 0 && ii.i_keyset_len <= IPC_KEYSET_MAX) {
		r->r_found[ro->ro_i] = 1;
		/* What was signed, not what the wallet claims now. */
		r->r_out[ro->ro_i].o_amount = ii.i_amount;
		memset(r->r_out[ro->ro_i].o_id, 0, IPC_KEYSET_MAX);
		memcpy(r->r_out[ro->ro_i].o_id, ii.i_keyset,
		    ii.i_keyset_len);
		r->r_out[ro->ro_i].o_idlen = ii.i_keyset_len;
		memset(sg, 0, sizeof(*sg));
		sg->sg_amount = ii.i_amount;
		memcpy(sg->sg_id, ii.i_keyset, ii.i_keyset_len);
		sg->sg_idlen = ii.i_keyset_len;
		memcpy(sg->sg_c, ii.i_c, IPC_Y_LEN);
		memcpy(sg->sg_dleq_e, ii.i_dleq_e, 32);
		memcpy(sg->sg_dleq_s, ii.i_dleq_s, 32);
	} else if (imsg_get_type(imsg) != IMSG_LEDGER_REPLY ||
	    imsg_get_data(imsg, &lr, sizeof(lr)) == -1)
		fatalx("bad answer from the ledger to a restore");
	else if (lr.lr_error != LEDGER_NOTFOUND)
		r->r_failed = 1;
	free(ro);
	if (--r->r_pending == 0)
		restore_finish(r);
}

int
mint_restore_request(struct peer *p, struct imsg *imsg)
{
	struct restore		*r;
	struct restore_one	*ro;
	uint32_t		 n, i;
	size_t			 len = imsg_get_len(imsg);

	if (imsg_get_buf(imsg, &n, sizeof(n)) == -1 || n == 0 ||
	    n > IPC_OUTPUTS_MAX ||
	    len != sizeof(n) + n * sizeof(struct ipc_output))
		return (-1);
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->r_out = calloc(n, sizeof(*r->r_out))) == NULL ||
	    (r->r_sig = calloc(n, sizeof(*r->r_sig))) == NULL ||
	    (r->r_found = calloc(n, sizeof(*r->r_found))) == NULL)
		fatal(NULL);
	if (imsg_get_buf(imsg, r->r_out, n * sizeof(*r->r_out)) == -1) {
		free(r->r_out);
		free(r->r_sig);
		free(r->r_found);
		free(r);
		return (-1);
	}
	r->r_instance = p->p_instance;
	r->r_id = imsg_get_id(imsg);
	r->r_n = n;
	r->r_pending = n;
	for (i = 0; i < n; i++) {
		if ((ro = calloc(1, sizeof(*ro))) == NULL)
			fatal(NULL);
		ro->ro_r = r;
		ro->ro_i = i;
		if (proc_request(mint_ledger(), IMSG_LEDGER_ISSUED_GET,
		    r->r_out[i].o_b, IPC_Y_LEN, IPC_TIMEOUT_MS, restore_done,
		    ro) == 0) {
			free(ro);
			r->r_failed = 1;
			if (--r->r_pending == 0)
				restore_finish(r);
		}
	}
	return (0);
}
