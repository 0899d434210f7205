/*
 * Names for logs, and the checks every receiver applies to payloads.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <ctype.h>
#include <string.h>

#include "imsg.h"

#include "ipc.h"

static const char *const proc_names[PROC_MAX] = {
	[PROC_PARENT] = "parent",
	[PROC_PROXY] = "proxy",
	[PROC_LEDGER] = "ledger",
	[PROC_MINT] = "mint",
	[PROC_RELAY] = "relay",
};

static const char *const imsg_names[IMSG_MAX] = {
	[IMSG_NONE] = "IMSG_NONE",
	[IMSG_CTL_PROCFD] = "IMSG_CTL_PROCFD",
	[IMSG_CONF_START] = "IMSG_CONF_START",
	[IMSG_CONF_PROXY] = "IMSG_CONF_PROXY",
	[IMSG_CONF_LISTENER] = "IMSG_CONF_LISTENER",
	[IMSG_CONF_TLS_CERT] = "IMSG_CONF_TLS_CERT",
	[IMSG_CONF_TLS_KEY] = "IMSG_CONF_TLS_KEY",
	[IMSG_CONF_INFO_MINT] = "IMSG_CONF_INFO_MINT",
	[IMSG_CONF_UPSTREAM] = "IMSG_CONF_UPSTREAM",
	[IMSG_CONF_MODEL] = "IMSG_CONF_MODEL",
	[IMSG_CONF_LEDGER] = "IMSG_CONF_LEDGER",
	[IMSG_CONF_MINT] = "IMSG_CONF_MINT",
	[IMSG_CONF_LND_MACAROON] = "IMSG_CONF_LND_MACAROON",
	[IMSG_CONF_LND_CERT] = "IMSG_CONF_LND_CERT",
	[IMSG_CONF_TRUSTED_MINT] = "IMSG_CONF_TRUSTED_MINT",
	[IMSG_CONF_NOSTR_KEY] = "IMSG_CONF_NOSTR_KEY",
	[IMSG_CONF_RELAY] = "IMSG_CONF_RELAY",
	[IMSG_CONF_END] = "IMSG_CONF_END",
	[IMSG_HELLO] = "IMSG_HELLO",
	[IMSG_HELLO_REPLY] = "IMSG_HELLO_REPLY",
	[IMSG_MINT_IDENTITY] = "IMSG_MINT_IDENTITY",
	[IMSG_MINT_IDENTITY_REPLY] = "IMSG_MINT_IDENTITY_REPLY",
	[IMSG_RESOLVE] = "IMSG_RESOLVE",
	[IMSG_RESOLVE_REPLY] = "IMSG_RESOLVE_REPLY",
	[IMSG_READY] = "IMSG_READY",
	[IMSG_CTL_SHOW_STATUS] = "IMSG_CTL_SHOW_STATUS",
	[IMSG_CTL_STATUS] = "IMSG_CTL_STATUS",
	[IMSG_CTL_VERBOSE] = "IMSG_CTL_VERBOSE",
	[IMSG_CTL_SANDBOX_CHECK] = "IMSG_CTL_SANDBOX_CHECK",
	[IMSG_CTL_OK] = "IMSG_CTL_OK",
	[IMSG_CTL_FAIL] = "IMSG_CTL_FAIL",
	[IMSG_CTL_END] = "IMSG_CTL_END",
	[IMSG_CTL_LEDGER_CHECK] = "IMSG_CTL_LEDGER_CHECK",
	[IMSG_CTL_LEDGER_PROBLEM] = "IMSG_CTL_LEDGER_PROBLEM",
	[IMSG_CTL_LEDGER_REPORT] = "IMSG_CTL_LEDGER_REPORT",
	[IMSG_CTL_MINT_TOKEN] = "IMSG_CTL_MINT_TOKEN",
	[IMSG_CTL_LEDGER_BACKUP] = "IMSG_CTL_LEDGER_BACKUP",
	[IMSG_LEDGER_BACKUP_FILE] = "IMSG_LEDGER_BACKUP_FILE",
	[IMSG_LEDGER_BACKUP_DATA] = "IMSG_LEDGER_BACKUP_DATA",
	[IMSG_LEDGER_BACKUP_CLOSE] = "IMSG_LEDGER_BACKUP_CLOSE",
	[IMSG_CTL_MINT_SHOW] = "IMSG_CTL_MINT_SHOW",
	[IMSG_CTL_MINT_KEYSET] = "IMSG_CTL_MINT_KEYSET",
	[IMSG_CTL_MINT_ROTATE] = "IMSG_CTL_MINT_ROTATE",
	[IMSG_LEDGER_ACCOUNT_CREATE] = "IMSG_LEDGER_ACCOUNT_CREATE",
	[IMSG_LEDGER_ACCOUNT_GET] = "IMSG_LEDGER_ACCOUNT_GET",
	[IMSG_LEDGER_CREDIT] = "IMSG_LEDGER_CREDIT",
	[IMSG_LEDGER_REFUND] = "IMSG_LEDGER_REFUND",
	[IMSG_LEDGER_RESERVE] = "IMSG_LEDGER_RESERVE",
	[IMSG_LEDGER_SETTLE] = "IMSG_LEDGER_SETTLE",
	[IMSG_LEDGER_RELEASE] = "IMSG_LEDGER_RELEASE",
	[IMSG_LEDGER_YS_PEND] = "IMSG_LEDGER_YS_PEND",
	[IMSG_LEDGER_YS_UNPEND] = "IMSG_LEDGER_YS_UNPEND",
	[IMSG_LEDGER_YS_SPEND] = "IMSG_LEDGER_YS_SPEND",
	[IMSG_LEDGER_YS_STATE] = "IMSG_LEDGER_YS_STATE",
	[IMSG_LEDGER_ISSUED_ADD] = "IMSG_LEDGER_ISSUED_ADD",
	[IMSG_LEDGER_ISSUED_GET] = "IMSG_LEDGER_ISSUED_GET",
	[IMSG_LEDGER_QUOTE_ADD] = "IMSG_LEDGER_QUOTE_ADD",
	[IMSG_LEDGER_QUOTE_GET] = "IMSG_LEDGER_QUOTE_GET",
	[IMSG_LEDGER_QUOTE_CAS] = "IMSG_LEDGER_QUOTE_CAS",
	[IMSG_LEDGER_QUOTE_BY_HASH] = "IMSG_LEDGER_QUOTE_BY_HASH",
	[IMSG_LEDGER_PROOF_PUT] = "IMSG_LEDGER_PROOF_PUT",
	[IMSG_LEDGER_PROOF_DEL] = "IMSG_LEDGER_PROOF_DEL",
	[IMSG_LEDGER_PROOF_WALK] = "IMSG_LEDGER_PROOF_WALK",
	[IMSG_LEDGER_COUNTER] = "IMSG_LEDGER_COUNTER",
	[IMSG_LEDGER_REFUND_ADD] = "IMSG_LEDGER_REFUND_ADD",
	[IMSG_LEDGER_REFUND_GET] = "IMSG_LEDGER_REFUND_GET",
	[IMSG_LEDGER_REFUND_CAS] = "IMSG_LEDGER_REFUND_CAS",
	[IMSG_LEDGER_KEYSET_PUT] = "IMSG_LEDGER_KEYSET_PUT",
	[IMSG_LEDGER_SWAP] = "IMSG_LEDGER_SWAP",
	[IMSG_LEDGER_MINT_ISSUE] = "IMSG_LEDGER_MINT_ISSUE",
	[IMSG_LEDGER_MELT_BEGIN] = "IMSG_LEDGER_MELT_BEGIN",
	[IMSG_LEDGER_MELT_FINISH] = "IMSG_LEDGER_MELT_FINISH",
	[IMSG_LEDGER_MELT_ABORT] = "IMSG_LEDGER_MELT_ABORT",
	[IMSG_LEDGER_KEYSET_WALK] = "IMSG_LEDGER_KEYSET_WALK",
	[IMSG_LEDGER_KEYSET_ROTATE] = "IMSG_LEDGER_KEYSET_ROTATE",
	[IMSG_LEDGER_REDEEM] = "IMSG_LEDGER_REDEEM",
	[IMSG_LEDGER_CASHOUT] = "IMSG_LEDGER_CASHOUT",
	[IMSG_LEDGER_HISTORY] = "IMSG_LEDGER_HISTORY",
	[IMSG_LEDGER_MELT_INPUTS] = "IMSG_LEDGER_MELT_INPUTS",
	[IMSG_LEDGER_WALLET_REDEEM] = "IMSG_LEDGER_WALLET_REDEEM",
	[IMSG_LEDGER_REPLY] = "IMSG_LEDGER_REPLY",
	[IMSG_LEDGER_ACCOUNT] = "IMSG_LEDGER_ACCOUNT",
	[IMSG_LEDGER_YS_STATES] = "IMSG_LEDGER_YS_STATES",
	[IMSG_LEDGER_ISSUED] = "IMSG_LEDGER_ISSUED",
	[IMSG_LEDGER_QUOTE] = "IMSG_LEDGER_QUOTE",
	[IMSG_LEDGER_PROOF] = "IMSG_LEDGER_PROOF",
	[IMSG_LEDGER_REFUND_RECORD] = "IMSG_LEDGER_REFUND_RECORD",
	[IMSG_LEDGER_KEYSET] = "IMSG_LEDGER_KEYSET",
	[IMSG_LEDGER_INPUTS] = "IMSG_LEDGER_INPUTS",
	[IMSG_LEDGER_JOURNAL] = "IMSG_LEDGER_JOURNAL",
	[IMSG_MINT_KEYSETS] = "IMSG_MINT_KEYSETS",
	[IMSG_MINT_KEYSET] = "IMSG_MINT_KEYSET",
	[IMSG_MINT_INFO] = "IMSG_MINT_INFO",
	[IMSG_MINT_INFO_REPLY] = "IMSG_MINT_INFO_REPLY",
	[IMSG_MINT_END] = "IMSG_MINT_END",
	[IMSG_MINT_SWAP] = "IMSG_MINT_SWAP",
	[IMSG_MINT_SIGNATURES] = "IMSG_MINT_SIGNATURES",
	[IMSG_MINT_CHECKSTATE] = "IMSG_MINT_CHECKSTATE",
	[IMSG_MINT_STATES] = "IMSG_MINT_STATES",
	[IMSG_MINT_RESTORE] = "IMSG_MINT_RESTORE",
	[IMSG_MINT_RESTORED] = "IMSG_MINT_RESTORED",
	[IMSG_MINT_QUOTE_NEW] = "IMSG_MINT_QUOTE_NEW",
	[IMSG_MINT_MELT_QUOTE_NEW] = "IMSG_MINT_MELT_QUOTE_NEW",
	[IMSG_MINT_QUOTE_GET] = "IMSG_MINT_QUOTE_GET",
	[IMSG_MINT_QUOTE] = "IMSG_MINT_QUOTE",
	[IMSG_MINT_MINT] = "IMSG_MINT_MINT",
	[IMSG_MINT_MELT] = "IMSG_MINT_MELT",
	[IMSG_MINT_REDEEM] = "IMSG_MINT_REDEEM",
	[IMSG_MINT_REDEEMED] = "IMSG_MINT_REDEEMED",
	[IMSG_MINT_CASHOUT] = "IMSG_MINT_CASHOUT",
	[IMSG_MINT_TOKEN] = "IMSG_MINT_TOKEN",
};

const char *
proc_name(int id)
{
	if (id == -1)
		return ("control");
	if (id < 0 || id >= PROC_MAX)
		return ("unknown");
	return (proc_names[id]);
}

const char *
imsg_type_name(uint32_t type)
{
	if (type >= IMSG_MAX || imsg_names[type] == NULL)
		return ("unknown message");
	return (imsg_names[type]);
}

/* Replies echo the id of a request (proc_request()) in the peerid. */
int
ipc_is_reply(uint32_t type)
{
	switch (type) {
	case IMSG_HELLO_REPLY:
	case IMSG_MINT_IDENTITY_REPLY:
	case IMSG_RESOLVE_REPLY:
	case IMSG_LEDGER_REPLY:
	case IMSG_LEDGER_ACCOUNT:
	case IMSG_LEDGER_YS_STATES:
	case IMSG_LEDGER_ISSUED:
	case IMSG_LEDGER_QUOTE:
	case IMSG_LEDGER_PROOF:
	case IMSG_LEDGER_REFUND_RECORD:
	case IMSG_LEDGER_KEYSET:
	case IMSG_LEDGER_INPUTS:
	case IMSG_LEDGER_JOURNAL:
	case IMSG_MINT_KEYSET:
	case IMSG_MINT_INFO_REPLY:
	case IMSG_MINT_END:
	case IMSG_MINT_SIGNATURES:
	case IMSG_MINT_STATES:
	case IMSG_MINT_RESTORED:
	case IMSG_MINT_QUOTE:
	case IMSG_MINT_REDEEMED:
	case IMSG_MINT_TOKEN:
	case IMSG_CTL_END:
	case IMSG_CTL_LEDGER_PROBLEM:
	case IMSG_CTL_LEDGER_REPORT:
	case IMSG_CTL_MINT_KEYSET:
	case IMSG_LEDGER_BACKUP_FILE:
	case IMSG_LEDGER_BACKUP_DATA:
	case IMSG_LEDGER_BACKUP_CLOSE:
	case IMSG_CTL_STATUS:
	case IMSG_CTL_OK:
	case IMSG_CTL_FAIL:
		return (1);
	default:
		return (0);
	}
}

/* One of several replies to a request: the request stays open. */
int
ipc_is_partial(uint32_t type)
{
	switch (type) {
	case IMSG_LEDGER_PROOF:
	case IMSG_LEDGER_KEYSET:
	case IMSG_MINT_KEYSET:
	case IMSG_CTL_LEDGER_PROBLEM:
	case IMSG_CTL_LEDGER_REPORT:
	case IMSG_CTL_MINT_KEYSET:
	case IMSG_LEDGER_BACKUP_FILE:
	case IMSG_LEDGER_BACKUP_DATA:
	case IMSG_LEDGER_BACKUP_CLOSE:
		return (1);
	default:
		return (0);
	}
}

/*
 * Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates,
 * nothing above U+10FFFF.  JSON can carry only that.
 */
int
utf8_valid(const char *str)
{
	const unsigned char	*s = (const unsigned char *)str;
	uint32_t		 cp;
	int			 n, i;

	while (*s != '\0') {
		if (*s < 0x80) {
			s++;
			continue;
		}
		if ((*s & 0xe0) == 0xc0) {
			n = 1;
			cp = *s & 0x1f;
		} else if ((*s & 0xf0) == 0xe0) {
			n = 2;
			cp = *s & 0x0f;
		} else if ((*s & 0xf8) == 0xf0) {
			n = 3;
			cp = *s & 0x07;
		} else
			return (0);
		for (i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return (0);
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return (0);
		s += n + 1;
	}
	return (1);
}

/*
 * A string in a fixed-size field from a peer: NUL-terminated inside the
 * field, UTF-8, no control characters.
 */
int
ipc_str_ok(const char *s, size_t size)
{
	size_t	 i;

	if (memchr(s, '\0', size) == NULL)
		return (0);
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return (0);
	return (utf8_valid(s));
}

/*
 * A name to resolve: an IPv6 literal, or a host name or IPv4 literal of
 * letters, digits, '-' and '_' in dot-separated labels of 1 to 63 bytes.
 */
int
ipc_host_ok(const char *host, size_t size)
{
	const char	*p;
	size_t		 len, label = 0;

	if (!ipc_str_ok(host, size) || (len = strlen(host)) == 0 ||
	    len > 253)
		return (0);
	if (strchr(host, ':') != NULL)
		return (strspn(host, "0123456789abcdefABCDEF:.") == len);
	for (p = host; *p != '\0'; p++) {
		if (*p == '.') {
			if (label == 0)
				return (0);
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			return (0);
		if (++label > 63)
			return (0);
	}
	return (1);
}

/* An answer from the parent's resolver, before anything uses it. */
int
ipc_resolved_ok(const struct ipc_resolved *r)
{
	uint32_t	 i;

	if (r->r_count > IPC_RESOLVE_MAX || (r->r_error == 0) !=
	    (r->r_count > 0))
		return (0);
	for (i = 0; i < r->r_count; i++)
		if (r->r_addrs[i].ss_family != AF_INET &&
		    r->r_addrs[i].ss_family != AF_INET6)
			return (0);
	return (1);
}

/* The ledger's errors (lr_error), for logs and replies. */
static const char *ledger_errors[LEDGER_ERROR_MAX] = {
	[LEDGER_OK] = "success",
	[LEDGER_NOTFOUND] = "not found",
	[LEDGER_EXISTS] = "already exists",
	[LEDGER_INSUFFICIENT] = "insufficient balance",
	[LEDGER_OVERFLOW] = "amount overflow",
	[LEDGER_CLOSED] = "account closed",
	[LEDGER_EXPIRED] = "account expired",
	[LEDGER_LIMIT] = "spending limit reached",
	[LEDGER_RESERVED] = "reservations open",
	[LEDGER_SPENT] = "already spent",
	[LEDGER_PENDING] = "pending",
	[LEDGER_STATE] = "wrong state",
	[LEDGER_INVALID] = "invalid argument",
	[LEDGER_NOSPACE] = "disk full",
	[LEDGER_DBERR] = "database error",
};

const char *
ledger_strerror(int e)
{
	if (e < 0 || e >= LEDGER_ERROR_MAX)
		return ("unknown ledger error");
	return (ledger_errors[e]);
}

/* The ledger's reply, or a made-up LEDGER_DBERR when it gave none. */
int
ipc_ledger_reply_get(struct imsg *imsg, struct ipc_ledger_reply *lr)
{
	memset(lr, 0, sizeof(*lr));
	if (imsg == NULL || imsg_get_type(imsg) != IMSG_LEDGER_REPLY ||
	    imsg_get_data(imsg, lr, sizeof(*lr)) == -1 ||
	    lr->lr_error < 0 || lr->lr_error >= LEDGER_ERROR_MAX) {
		lr->lr_error = LEDGER_DBERR;
		return (-1);
	}
	return (0);
}
