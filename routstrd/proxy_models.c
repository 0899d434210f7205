/*
 * GET /v1/models (and /v1/models/, /models, /models/), in Routstr Core's
 * shape (payment/models.py): {"data": [Model, ...]}, without OpenAI's
 * "object": "list".  Each model's "pricing" is in USD per token and its
 * "sats_pricing" in sats per token, the markup applied, computed by
 * pricing.c from the same integers that bill the requests: what it
 * shows is what is charged.
 *
 * A model priced in sats shows its USD prices at the latest BTC/USD
 * rate, however old (they are only informative), or 0 before the first
 * one.  A model priced in USD shows "sats_pricing": null while there is
 * no rate younger than "price max age", as Routstr Core does before its
 * first rate: it is not sold then.  Built once per rate, served from
 * memory.
 *
 * GET /v1/models/{id} (the OpenAI SDK's models.retrieve) is that list's
 * entry of the model, percent-decoded id and all ("org/name" may come
 * as is or as "org%2Fname"); Routstr Core passes it to its upstream,
 * which knows neither the node's ids nor its prices.
 */

#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http.h"
#include "ipc.h"
#include "log.h"
#include "pricing.h"
#include "proxy.h"

/* 15 digits: 0.00015 stays 0.00015, not 0.00014999999999999999. */
#define MODELS_DUMP	(JSON_COMPACT | JSON_PRESERVE_ORDER | \
			    JSON_REAL_PRECISION(15))

static char	*models_body;
static int	 models_built;
static uint64_t	 models_gen;	/* the price_generation() of it */
static int	 models_fresh;	/* and whether the rate was fresh */

static void	 models_build(void);
static void	 model_reply(struct http_conn *, const char *);
static json_t	*model_json(const struct ipc_conf_model *);
static json_t	*figures_json(const struct price_figures *);
static json_t	*jreal(double);
static json_t	*jstr(const char *);
static json_t	*jcount(uint64_t);

const struct proxy_model *
models_find(const char *id)
{
	const struct proxy_model	*pm, *best = NULL;
	struct request_shape		 rs;
	uint64_t			 max, bmax = 0;

	/*
	 * One model on several upstreams is listed, and tried first, at
	 * its cheapest: the smallest worst case among those sellable now.
	 */
	memset(&rs, 0, sizeof(rs));
	TAILQ_FOREACH(pm, &proxy_env->pe_models, pm_entry) {
		if (strcmp(pm->pm_conf.cm_id, id) != 0)
			continue;
		if (pricing_max_cost(&pm->pm_conf, &rs, &max) == -1) {
			if (best == NULL)
				best = pm;
			continue;
		}
		if (best == NULL || bmax == 0 || max < bmax) {
			best = pm;
			bmax = max;
		}
	}
	return (best);
}

static json_t *
jreal(double v)
{
	json_t	*j;

	if ((j = json_real(v)) == NULL)
		fatalx("%s: not a number", __func__);
	return (j);
}

static json_t *
jstr(const char *s)
{
	json_t	*j;

	if ((j = json_string(s)) == NULL)
		fatalx("%s: not UTF-8", __func__);
	return (j);
}

/* A token count, or null when unknown (0). */
static json_t *
jcount(uint64_t v)
{
	json_t	*j;

	if ((j = v == 0 ? json_null() : json_integer((json_int_t)v)) == NULL)
		fatal(NULL);
	return (j);
}

/* Routstr Core's Pricing, in its order. */
static json_t *
figures_json(const struct price_figures *pf)
{
	json_t	*j;

	if ((j = json_object()) == NULL)
		fatal(NULL);
	if (json_object_set_new(j, "prompt", jreal(pf->pf_prompt)) == -1 ||
	    json_object_set_new(j, "completion",
	    jreal(pf->pf_completion)) == -1 ||
	    json_object_set_new(j, "request", jreal(pf->pf_request)) == -1 ||
	    json_object_set_new(j, "image", jreal(0)) == -1 ||
	    json_object_set_new(j, "web_search", jreal(0)) == -1 ||
	    json_object_set_new(j, "internal_reasoning", jreal(0)) == -1 ||
	    json_object_set_new(j, "input_cache_read",
	    jreal(pf->pf_cache_read)) == -1 ||
	    json_object_set_new(j, "input_cache_write",
	    jreal(pf->pf_cache_write)) == -1 ||
	    json_object_set_new(j, "max_prompt_cost",
	    jreal(pf->pf_max_prompt)) == -1 ||
	    json_object_set_new(j, "max_completion_cost",
	    jreal(pf->pf_max_completion)) == -1 ||
	    json_object_set_new(j, "max_cost", jreal(pf->pf_max_cost)) == -1)
		fatal(NULL);
	return (j);
}

static json_t *
model_json(const struct ipc_conf_model *m)
{
	struct price_figures	 usd, sats;
	json_t			*j, *arch, *top, *sp;
	int			 have_sats;

	/* Without any rate a sat-priced model's USD prices are 0. */
	if (pricing_figures(m, PRICING_USD, 0, &usd) == -1)
		memset(&usd, 0, sizeof(usd));
	have_sats = pricing_figures(m, PRICING_SATS, 1, &sats) == 0;

	if ((arch = json_pack("{s:s, s:[s], s:[s], s:s, s:n}",
	    "modality", "text->text", "input_modalities", "text",
	    "output_modalities", "text", "tokenizer", "Unknown",
	    "instruct_type")) == NULL ||
	    (top = json_object()) == NULL ||
	    (sp = have_sats ? figures_json(&sats) : json_null()) == NULL ||
	    (j = json_object()) == NULL)
		fatal(NULL);
	if (json_object_set_new(top, "context_length",
	    jcount(m->cm_context_length)) == -1 ||
	    json_object_set_new(top, "max_completion_tokens",
	    jcount(m->cm_max_completion)) == -1 ||
	    json_object_set_new(top, "is_moderated", json_false()) == -1)
		fatal(NULL);
	if (json_object_set_new(j, "id", jstr(m->cm_id)) == -1 ||
	    json_object_set_new(j, "name", jstr(m->cm_id)) == -1 ||
	    json_object_set_new(j, "created", json_integer(0)) == -1 ||
	    json_object_set_new(j, "description", jstr("")) == -1 ||
	    json_object_set_new(j, "context_length",
	    json_integer((json_int_t)m->cm_context_length)) == -1 ||
	    json_object_set_new(j, "architecture", arch) == -1 ||
	    json_object_set_new(j, "pricing", figures_json(&usd)) == -1 ||
	    json_object_set_new(j, "sats_pricing", sp) == -1 ||
	    json_object_set_new(j, "per_request_limits", json_null()) == -1 ||
	    json_object_set_new(j, "top_provider", top) == -1 ||
	    json_object_set_new(j, "enabled", json_true()) == -1 ||
	    json_object_set_new(j, "upstream_provider_id", json_null()) ==
	    -1 || json_object_set_new(j, "canonical_slug", json_null()) ==
	    -1 || json_object_set_new(j, "alias_ids", json_null()) == -1 ||
	    json_object_set_new(j, "forwarded_model_id",
	    strcmp(m->cm_upstream_id, m->cm_id) != 0 ?
	    jstr(m->cm_upstream_id) : json_null()) == -1)
		fatal(NULL);
	return (j);
}

static void
models_build(void)
{
	const struct proxy_model	*pm;
	json_t				*root, *data;
	uint64_t			 cents;

	if ((root = json_object()) == NULL || (data = json_array()) == NULL)
		fatal(NULL);
	/* One entry per id, the first configured. */
	TAILQ_FOREACH(pm, &proxy_env->pe_models, pm_entry)
		if (models_find(pm->pm_conf.cm_id) == pm &&
		    json_array_append_new(data, model_json(&pm->pm_conf)) == -1)
			fatal(NULL);
	if (json_object_set_new(root, "data", data) == -1)
		fatal(NULL);
	free(models_body);
	if ((models_body = json_dumps(root, MODELS_DUMP)) == NULL)
		fatal(NULL);
	json_decref(root);
	models_gen = price_generation();
	models_fresh = price_fresh(&cents) == 0;
	models_built = 1;
}

const char *
models_json(void)
{
	uint64_t	 cents;

	if (!models_built || models_gen != price_generation() ||
	    models_fresh != (price_fresh(&cents) == 0))
		models_build();
	return (models_body);
}

int
models_route(struct http_conn *conn, struct http_request *req)
{
	const char	*p = req->path;

	if (strncmp(p, "/v1", 3) == 0)
		p += 3;
	if (strncmp(p, "/models", 7) != 0 || (p[7] != '\0' && p[7] != '/'))
		return (-1);
	p += 7;
	if (*p == '/')
		p++;
	if (strcmp(req->method, "GET") != 0 &&
	    strcmp(req->method, "HEAD") != 0)
		proxy_reply_json(conn, 405,
		    "{\"detail\":\"Method Not Allowed\"}");
	else if (*p == '\0')
		proxy_reply_json(conn, 200, models_json());
	else
		model_reply(conn, p);
	return (0);
}

/* One model, or OpenAI's 404. */
static void
model_reply(struct http_conn *conn, const char *encoded)
{
	const struct proxy_model	*pm = NULL;
	char				 id[IPC_MODEL_MAX], *s;
	json_t				*j;

	if (url_decode(encoded, strlen(encoded), 0, id, sizeof(id)) == -1 ||
	    (pm = models_find(id)) == NULL) {
		if ((j = json_pack("{s:{s:s, s:s, s:s, s:s}}", "error",
		    "message", "no such model", "type",
		    "invalid_request_error", "param", "model", "code",
		    "model_not_found")) == NULL ||
		    (s = json_dumps(j, JSON_COMPACT)) == NULL)
			fatal(NULL);
	} else if ((j = model_json(&pm->pm_conf)) == NULL ||
	    (s = json_dumps(j, MODELS_DUMP)) == NULL)
		fatal(NULL);
	proxy_reply_json(conn, pm != NULL ? 200 : 404, s);
	free(s);
	json_decref(j);
}
