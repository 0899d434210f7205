/*
 * GET /v1/info, in Routstr Core's shape: who the node is and which mints
 * it takes; when the node runs its own mint, the same document is also
 * the mint's NUT-06 info (Routstr's and the NUTs' fields do not clash:
 * name, description and version mean the same in both).  Built once at
 * start, served from memory.
 */

#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http.h"
#include "ipc.h"
#include "log.h"
#include "proxy.h"

static char	*info_json;
static char	*root_json;

static json_t	*jstr(const char *);
static void	 mint_info(json_t *);

static json_t *
jstr(const char *s)
{
	json_t	*j;

	if ((j = json_string(s)) == NULL)
		fatalx("json_string: not UTF-8");
	return (j);
}

void
info_build(void)
{
	struct proxy_env	*env = proxy_env;
	struct ipc_conf_proxy	*cp = &env->pe_conf;
	struct proxy_url	*url;
	json_t			*info, *mints, *root;

	if ((info = json_object()) == NULL || (mints = json_array()) == NULL ||
	    (root = json_object()) == NULL)
		fatal(NULL);
	TAILQ_FOREACH(url, &env->pe_mints, pu_entry)
		if (json_array_append_new(mints, jstr(url->pu_url)) == -1)
			fatal(NULL);
	if (json_object_set_new(info, "name", jstr(cp->cp_name)) == -1 ||
	    json_object_set_new(info, "description", jstr(cp->cp_about)) ==
	    -1 || json_object_set_new(info, "version",
	    jstr("routstrd/" ROUTSTRD_VERSION)) == -1 ||
	    json_object_set_new(info, "npub",
	    jstr(env->pe_identity.id_npub)) == -1 ||
	    json_object_set_new(info, "mints", mints) == -1 ||
	    json_object_set_new(info, "http_url", jstr(cp->cp_http_url)) ==
	    -1 || json_object_set_new(info, "onion_url",
	    jstr(cp->cp_onion_url)) == -1 ||
	    json_object_set_new(info, "child_key_cost_msats",
	    json_integer((json_int_t)cp->cp_child_key_cost)) == -1)
		fatal(NULL);

	if (env->pe_mint.mi_local)
		mint_info(info);

	/* GET / without Routstr Core's web UI. */
	if (json_object_set_new(root, "name", jstr(cp->cp_name)) == -1 ||
	    json_object_set_new(root, "description", jstr(cp->cp_about)) ==
	    -1 || json_object_set_new(root, "version",
	    jstr(ROUTSTRD_VERSION)) == -1 ||
	    json_object_set_new(root, "status", jstr("running")) == -1 ||
	    json_object_set_new(root, "ui", jstr("not available")) == -1)
		fatal(NULL);

	free(info_json);
	free(root_json);
	if ((info_json = json_dumps(info, JSON_COMPACT | JSON_PRESERVE_ORDER))
	    == NULL || (root_json = json_dumps(root,
	    JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL)
		fatal(NULL);
	json_decref(info);
	json_decref(root);
}

/* NUT-06: the mint's identity and what it supports. */
static void
mint_info(json_t *info)
{
	struct ipc_mint_info	*mi = &proxy_env->pe_mint;
	json_t			*nuts;

	/* Only what is implemented: cashu-ts trusts this list. */
	if ((nuts = json_pack("{s:{s:[{s:s, s:s, s:i, s:I, s:{s:b}}], s:b},"
	    " s:{s:[{s:s, s:s, s:i, s:I}], s:b}, s:{s:b}, s:{s:b}, s:{s:b},"
	    " s:{s:b}, s:{s:b}}",
	    "4", "methods", "method", "bolt11", "unit", "sat", "min_amount", 1,
	    "max_amount", (json_int_t)10000000, "options", "description", 1,
	    "disabled", 0,
	    "5", "methods", "method", "bolt11", "unit", "sat", "min_amount", 1,
	    "max_amount", (json_int_t)10000000, "disabled", 0,
	    "7", "supported", 1, "8", "supported", 1, "9", "supported", 1,
	    "12", "supported", 1, "20", "supported", 1)) == NULL)
		fatal("json_pack");
	if (json_object_set_new(info, "pubkey", jstr(mi->mi_pubkey)) == -1 ||
	    json_object_set_new(info, "nuts", nuts) == -1 ||
	    json_object_set_new(info, "contact", json_array()) == -1 ||
	    (mi->mi_fake && json_object_set_new(info, "motd",
	    jstr("test mint: its Lightning is fake, its ecash worthless")) ==
	    -1))
		fatal(NULL);
}

void
info_serve(struct http_conn *conn, struct http_request *req)
{
	proxy_reply_json(conn, 200, info_json);
}

void
info_root(struct http_conn *conn, struct http_request *req)
{
	proxy_reply_json(conn, 200, root_json);
}
