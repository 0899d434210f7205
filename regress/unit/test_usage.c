/*
 * test_usage: routstrd/upstream_usage.c, with each dialect's usage as
 * its documentation shows it (OpenAI chat and Responses, OpenRouter,
 * litellm, DeepSeek, Anthropic), bad values, the estimate, the shapes
 * written back, a request's shape; and the small helpers of upstream.c
 * (paths, failover statuses, the body rewritten for the upstream).
 */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "log.h"
#include "proxy.h"
#include "upstream.h"
#include "test.h"

/* usage_from_spans() of n JSON texts merged: 0 or -1, and the counts. */
static int
parsev(const char * const *s, size_t n, struct usage *u)
{
	struct jspan	 v[8];
	size_t		 i;

	memset(u, 0xff, sizeof(*u));
	if (n > sizeof(v) / sizeof(v[0]))
		return (-2);
	for (i = 0; i < n; i++)
		if (jscan_parse(s[i], strlen(s[i]), &v[i]) == -1)
			return (-2);
	return (usage_from_spans(v, n, u));
}

static int
parse(const char *s, struct usage *u)
{
	return (parsev(&s, 1, u));
}

static int
is(const struct usage *u, uint64_t p, uint64_t c, uint64_t rd, uint64_t wr)
{
	return (u->us_prompt == p && u->us_completion == c &&
	    u->us_cache_read == rd && u->us_cache_write == wr &&
	    u->us_estimated == 0);
}

static void
test_dialects(void)
{
	struct usage	 u;

	/* platform.openai.com, the chat completion object */
	T(parse("{\"prompt_tokens\": 19, \"completion_tokens\": 10, "
	    "\"total_tokens\": 29, \"prompt_tokens_details\": "
	    "{\"cached_tokens\": 0, \"audio_tokens\": 0}, "
	    "\"completion_tokens_details\": {\"reasoning_tokens\": 0, "
	    "\"audio_tokens\": 0, \"accepted_prediction_tokens\": 0, "
	    "\"rejected_prediction_tokens\": 0}}", &u) == 0 &&
	    is(&u, 19, 10, 0, 0), "openai");
	/* the prompt caching guide: cached tokens are part of the prompt */
	T(parse("{\"prompt_tokens\": 2006, \"completion_tokens\": 300, "
	    "\"total_tokens\": 2306, \"prompt_tokens_details\": "
	    "{\"cached_tokens\": 1920}, \"completion_tokens_details\": "
	    "{\"reasoning_tokens\": 0}}", &u) == 0 &&
	    is(&u, 86, 300, 1920, 0), "openai, cached");
	/* reasoning tokens are part of completion_tokens */
	T(parse("{\"prompt_tokens\": 75, \"completion_tokens\": 1186, "
	    "\"total_tokens\": 1261, \"completion_tokens_details\": "
	    "{\"reasoning_tokens\": 1024}}", &u) == 0 &&
	    is(&u, 75, 1186, 0, 0), "openai, reasoning");
	/* openrouter.ai/docs, usage accounting: costs are ignored */
	T(parse("{\"completion_tokens\": 2, \"completion_tokens_details\": "
	    "{\"reasoning_tokens\": 0}, \"cost\": 0.95, \"cost_details\": "
	    "{\"upstream_inference_cost\": 19}, \"prompt_tokens\": 194, "
	    "\"prompt_tokens_details\": {\"cached_tokens\": 0, "
	    "\"audio_tokens\": 0}, \"total_tokens\": 196, \"is_byok\": false}",
	    &u) == 0 && is(&u, 194, 2, 0, 0), "openrouter");
	T(parse("{\"prompt_tokens\": 1000, \"completion_tokens\": 20, "
	    "\"cost\": 0.001, \"prompt_tokens_details\": {\"cached_tokens\": "
	    "600, \"cache_write_tokens\": 300}}", &u) == 0 &&
	    is(&u, 100, 20, 600, 300), "openrouter, cache reads and writes");
	/* litellm mirrors Anthropic's names: counted once */
	T(parse("{\"prompt_tokens\": 2100, \"completion_tokens\": 50, "
	    "\"total_tokens\": 2150, \"cache_read_input_tokens\": 1000, "
	    "\"cache_creation_input_tokens\": 100, \"prompt_tokens_details\": "
	    "{\"cached_tokens\": 1000, \"cache_creation_tokens\": 100}}",
	    &u) == 0 && is(&u, 1000, 50, 1000, 100), "litellm");
	/* api-docs.deepseek.com: prompt = hit + miss */
	T(parse("{\"prompt_tokens\": 100, \"completion_tokens\": 20, "
	    "\"total_tokens\": 120, \"prompt_cache_hit_tokens\": 64, "
	    "\"prompt_cache_miss_tokens\": 36, \"completion_tokens_details\": "
	    "{\"reasoning_tokens\": 0}}", &u) == 0 && is(&u, 36, 20, 64, 0),
	    "deepseek");
	/* docs.anthropic.com: cache counts in addition to input_tokens */
	T(parse("{\"input_tokens\": 2095, \"output_tokens\": 503, "
	    "\"cache_creation_input_tokens\": 2051, "
	    "\"cache_read_input_tokens\": 0}", &u) == 0 &&
	    is(&u, 2095, 503, 0, 2051), "anthropic, cache write");
	T(parse("{\"input_tokens\": 50, \"cache_creation_input_tokens\": 248, "
	    "\"cache_read_input_tokens\": 1800, \"cache_creation\": "
	    "{\"ephemeral_5m_input_tokens\": 248, "
	    "\"ephemeral_1h_input_tokens\": 0}, \"output_tokens\": 503, "
	    "\"service_tier\": \"standard\"}", &u) == 0 &&
	    is(&u, 50, 503, 1800, 248), "anthropic, cache read and write");
	T(parse("{\"output_tokens\": 15}", &u) == 0 && is(&u, 0, 15, 0, 0),
	    "anthropic, message_delta alone");
	/* platform.openai.com, the response object */
	T(parse("{\"input_tokens\": 36, \"input_tokens_details\": "
	    "{\"cached_tokens\": 0}, \"output_tokens\": 87, "
	    "\"output_tokens_details\": {\"reasoning_tokens\": 0}, "
	    "\"total_tokens\": 123}", &u) == 0 && is(&u, 36, 87, 0, 0),
	    "responses");
	T(parse("{\"input_tokens\": 5000, \"input_tokens_details\": "
	    "{\"cached_tokens\": 4096}, \"output_tokens\": 10, "
	    "\"total_tokens\": 5010}", &u) == 0 && is(&u, 904, 10, 4096, 0),
	    "responses, cached: part of input_tokens");
	T(parse("{\"prompt_tokens\": 5, \"completion_tokens\": null}",
	    &u) == 0 && is(&u, 5, 0, 0, 0), "null is absent");
	T(parse("{\"prompt_tokens\": 10, \"prompt_tokens_details\": "
	    "{\"cached_tokens\": 50}}", &u) == 0 && is(&u, 0, 0, 50, 0),
	    "cache larger than the prompt: prompt 0");
	T(parse("{\"prompt_tokens\": 1000000000, \"completion_tokens\": "
	    "1000000000}", &u) == 0 && is(&u, 1000000000, 1000000000, 0, 0),
	    "the largest counts");
}

static void
test_bad(void)
{
	struct usage	 u;
	static const char *bad[] = {
		"{\"prompt_tokens\": -1, \"completion_tokens\": 5}",
		"{\"prompt_tokens\": 12.5, \"completion_tokens\": 5}",
		"{\"prompt_tokens\": 12.0, \"completion_tokens\": 5}",
		"{\"prompt_tokens\": \"12\", \"completion_tokens\": 5}",
		"{\"prompt_tokens\": true, \"completion_tokens\": 5}",
		"{\"prompt_tokens\": 1000000001, \"completion_tokens\": 5}",
		"{\"prompt_tokens\": 9223372036854775807, "
		    "\"completion_tokens\": 5}",
		"{\"prompt_tokens\": 5, \"completion_tokens\": [1]}",
		"{\"prompt_tokens\": 5, \"prompt_tokens_details\": "
		    "{\"cached_tokens\": -3}}",
		"{\"prompt_tokens\": 5, \"prompt_cache_hit_tokens\": 1e3}",
		"{\"input_tokens\": 5, \"cache_read_input_tokens\": \"x\"}",
		"{\"input_tokens\": 5, \"output_tokens\": -1}",
		"{\"input_tokens\": 5, \"input_tokens_details\": "
		    "{\"cached_tokens\": {}}}",
		"{\"prompt_tokens\": 0, \"completion_tokens\": 0}",
		"{\"input_tokens\": 0, \"output_tokens\": 0}",
		"{\"total_tokens\": 12}",
		"{\"cost\": 0.5}",
		"{}",
		"[]",
		"7",
		NULL
	};
	const char	**s;
	int		 n = 0, ok = 0;

	for (s = bad; *s != NULL; s++, n++) {
		if (parse(*s, &u) == -1 && u.us_prompt == 0 &&
		    u.us_completion == 0)
			ok++;
		else
			printf("# not refused: %s\n", *s);
	}
	T(ok == n, "%d bad or empty usages are missing", n);
	T(usage_from_spans(NULL, 0, &u) == -1, "no objects is missing");
	T(parse("{\"prompt_tokens\": 99999999999999999999999}", &u) == -2,
	    "beyond 64 bits: jansson refuses the body itself");
}

/* Each count as jansson reads a JSON integer, else the usage missing. */
static void
test_strict(void)
{
	struct usage	 u;

	T(parse("{\"prompt_tokens\": -0, \"completion_tokens\": 5}", &u) ==
	    0 && is(&u, 0, 5, 0, 0), "-0 is the integer 0");
	T(parse("{\"prompt_tokens\": 1.0, \"completion_tokens\": 5}", &u) ==
	    -1 && u.us_completion == 0, "1.0 is a real: missing");
	T(parse("{\"prompt_tokens\": 1e3, \"completion_tokens\": 5}", &u) ==
	    -1, "1e3 is a real: missing");
	T(parse("{\"prompt_tokens\": 1E3, \"completion_tokens\": 5}", &u) ==
	    -1, "1E3 is a real: missing");
	T(parse("{\"input_tokens\": 0e0, \"output_tokens\": 5}", &u) == -1,
	    "0e0 is a real: missing");
	T(parse("{\"input_tokens\": -0.0, \"output_tokens\": 5}", &u) == -1,
	    "-0.0 is a real: missing");
	T(parse("{\"prompt_tokens\": -9223372036854775808, "
	    "\"completion_tokens\": 5}", &u) == -1, "the least int64: missing");
	T(parse("{\"prompt_tokens\": 9223372036854775808}", &u) == -2 &&
	    parse("{\"prompt_tokens\": 10000000000000000000000}", &u) == -2 &&
	    parse("{\"prompt_tokens\": -9223372036854775809}", &u) == -2,
	    "beyond int64: the text itself refused, as jansson refuses it");
	T(parse("{\"prompt_tokens\": 5, \"input_tokens\": \"x\"}", &u) == -1,
	    "another dialect's count bad: missing");
	T(parse("{\"prompt_tokens\": 5, \"output_tokens\": 1.5}", &u) == -1,
	    "... its output count too");
	T(parse("{\"prompt_tokens\": 5, \"cache_read_input_tokens\": 3, "
	    "\"prompt_tokens_details\": {\"cached_tokens\": -1}}", &u) == 0 &&
	    is(&u, 2, 0, 3, 0), "a count not looked at (cache read found "
	    "first) is not checked");
	T(parse("{\"prompt_tokens\": 5, \"prompt_tokens_details\": 7}",
	    &u) == 0 && is(&u, 5, 0, 0, 0), "details not an object: none");
	T(parse("{\"input_tokens\": 9, \"input_tokens_details\": null, "
	    "\"cache_read_input_tokens\": 4}", &u) == 0 && is(&u, 9, 0, 4, 0),
	    "input_tokens_details null: Anthropic's additive counting");
	T(parse("{\"prompt_tokens\": 1, \"prompt_tokens\": 7}", &u) == 0 &&
	    is(&u, 7, 0, 0, 0), "a key twice: the last counts");
	T(parse("{\"prompt\\u005ftokens\": 8}", &u) == 0 &&
	    is(&u, 8, 0, 0, 0), "a key read once decoded");
	T(parse("{\"prompt_tokens\": 10, \"prompt_tokens_details\": "
	    "{\"cache_write_tokens\": 0, \"cache_creation_tokens\": 4}}",
	    &u) == 0 && is(&u, 6, 0, 0, 4), "the first nonzero of two names");
	T(parse("{\"prompt_tokens\": 10, \"prompt_tokens_details\": "
	    "{\"cache_write_tokens\": 3, \"cache_creation_tokens\": -4}}",
	    &u) == -1, "... and a bad one after it still bad");
}

/* Several usage objects: a member from the last one that has it. */
static void
test_merge(void)
{
	struct jspan	 v[8];
	struct usage	 u;
	char		*m;
	size_t		 len, i;
	const char	*halves[] = {
		"{\"input_tokens\": 25, \"cache_read_input_tokens\": 10, "
		    "\"cache_creation_input_tokens\": 5, \"output_tokens\": 1}",
		"{\"output_tokens\": 15}"
	};
	const char	*nulled[] = {
		"{\"prompt_tokens\": 5, \"completion_tokens\": 3}",
		"{\"completion_tokens\": null}"
	};
	const char	*shallow[] = {
		"{\"prompt_tokens\": 100, \"prompt_tokens_details\": "
		    "{\"cached_tokens\": 10, \"cache_write_tokens\": 20}}",
		"{\"prompt_tokens_details\": {\"cached_tokens\": 30}}"
	};
	const char	*badgood[] = {
		"{\"prompt_tokens\": -1, \"completion_tokens\": 3}",
		"{\"prompt_tokens\": 4}"
	};
	const char	*goodbad[] = {
		"{\"prompt_tokens\": 4, \"completion_tokens\": 3}",
		"{\"prompt_tokens\": 4.0}"
	};
	const char	*dialects[] = {
		"{\"prompt_tokens\": 40}",
		"{\"input_tokens\": 7, \"output_tokens\": 2}"
	};
	const char	*skip[] = { "7", "{\"prompt_tokens\": 3}", "[]" };
	const char	*none[] = { "7", "[]", "null" };
	const char	*many[] = {
		"{\"input_tokens\": 20, \"cost\": 1}", "{\"output_tokens\": 1}",
		"{\"output_tokens\": 2}", "{\"output_tokens\": 3}",
		"{\"output_tokens\": 4, \"input_tokens_details\": [1]}",
		"{\"output_tokens\": 5}", "{\"output_tokens\": 6}"
	};

	T(parsev(halves, 2, &u) == 0 && is(&u, 25, 15, 10, 5),
	    "anthropic's two halves: output_tokens from the second");
	T(parsev(halves + 1, 1, &u) == 0 && is(&u, 0, 15, 0, 0) &&
	    parsev(halves, 1, &u) == 0 && is(&u, 25, 1, 10, 5),
	    "each half alone");
	T(parsev(nulled, 2, &u) == 0 && is(&u, 5, 0, 0, 0),
	    "a later null replaces a count: absent");
	T(parsev(shallow, 2, &u) == 0 && is(&u, 70, 0, 30, 0),
	    "details replaced whole, not merged");
	T(parsev(badgood, 2, &u) == 0 && is(&u, 4, 3, 0, 0),
	    "a bad count replaced by a good one");
	T(parsev(goodbad, 2, &u) == -1 && u.us_prompt == 0,
	    "a good count replaced by a bad one: missing");
	T(parsev(dialects, 2, &u) == 0 && is(&u, 40, 0, 0, 0),
	    "both dialects' names merged: the OpenAI reading wins");
	T(parsev(skip, 3, &u) == 0 && is(&u, 3, 0, 0, 0),
	    "what is not an object is skipped");
	T(parsev(none, 3, &u) == -1, "no object: missing");
	T(parsev(many, 7, &u) == 0 && is(&u, 20, 6, 0, 0),
	    "seven objects: input_tokens from the first, output from the last");

	/* usage_merge(): what is read, once; the same reading */
	for (i = 0; i < 7; i++)
		(void)jscan_parse(many[i], strlen(many[i]), &v[i]);
	m = usage_merge(v, 7, &len);
	T(m != NULL && strlen(m) == len && strcmp(m, "{\"input_tokens\":20,"
	    "\"output_tokens\":6,\"input_tokens_details\":[1]}") == 0,
	    "merge: the members read, the last of each");
	T(m != NULL && jscan_parse(m, len, &v[0]) == 0 &&
	    usage_from_spans(v, 1, &u) == 0 && is(&u, 20, 6, 0, 0),
	    "merge: reads as the seven did");
	free(m);
	(void)jscan_parse(nulled[0], strlen(nulled[0]), &v[0]);
	(void)jscan_parse(nulled[1], strlen(nulled[1]), &v[1]);
	m = usage_merge(v, 2, &len);
	T(m != NULL && strcmp(m, "{\"prompt_tokens\":5,"
	    "\"completion_tokens\":null}") == 0, "merge: a null kept");
	free(m);
	m = usage_merge(NULL, 0, &len);
	T(m != NULL && strcmp(m, "{}") == 0 && len == 2, "merge: none: {}");
	free(m);
}

static void
test_estimate(void)
{
	struct usage	 u;

	T(usage_tokens_from_chars(0) == 0 && usage_tokens_from_chars(1) == 1 &&
	    usage_tokens_from_chars(4) == 1 && usage_tokens_from_chars(5) == 2 &&
	    usage_tokens_from_chars(400) == 100 &&
	    usage_tokens_from_chars(UINT64_MAX) == UINT64_MAX / 4 + 1,
	    "a token per %d characters, rounded up", USAGE_CHARS_PER_TOKEN);
	usage_estimate(&u, 10, 3);
	T(u.us_prompt == 3 && u.us_completion == 1 && u.us_cache_read == 0 &&
	    u.us_estimated == 1, "estimate: 10 and 3 characters");
	usage_estimate(&u, 0, 0);
	T(u.us_prompt == 0 && u.us_completion == 0 && u.us_estimated == 1,
	    "estimate: nothing is nothing");
}

static void
test_to_json(void)
{
	struct usage	 u, back;
	json_t		*j;
	char		*s;
	int		 api, ok = 1;
	static const int apis[] = { UPSTREAM_API_CHAT, UPSTREAM_API_MESSAGES,
	    UPSTREAM_API_RESPONSES, UPSTREAM_API_COMPLETIONS, -1 };

	memset(&u, 0, sizeof(u));
	u.us_prompt = 100;
	u.us_completion = 20;
	u.us_cache_read = 30;
	u.us_cache_write = 7;
	for (api = 0; apis[api] != -1; api++) {
		j = usage_to_json(&u, apis[api]);
		s = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
		if (s == NULL || parse(s, &back) == -1 ||
		    memcmp(&u, &back, sizeof(u)) != 0)
			ok = 0;
		free(s);
		json_decref(j);
	}
	T(ok, "usage_to_json() in each shape reads back the same");
	j = usage_to_json(&u, UPSTREAM_API_CHAT);
	T(json_integer_value(json_object_get(j, "prompt_tokens")) == 137 &&
	    json_integer_value(json_object_get(j, "total_tokens")) == 157 &&
	    json_object_get(j, "estimated") == NULL,
	    "openai shape: prompt_tokens includes the cache");
	json_decref(j);
	u.us_estimated = 1;
	j = usage_to_json(&u, UPSTREAM_API_MESSAGES);
	T(json_integer_value(json_object_get(j, "input_tokens")) == 100 &&
	    json_is_true(json_object_get(j, "estimated")),
	    "anthropic shape, estimated");
	json_decref(j);
}

static int
shape(const char *s, struct request_shape *rs)
{
	struct jspan	 v;

	if (jscan_parse(s, strlen(s), &v) == -1)
		return (-2);
	return (request_shape_parse(&v, rs));
}

/* upstream_body_text() of s: a static copy, "" if it failed. */
static const char *
body_text(const char *s, const char *model, int api, int stream)
{
	static char	 buf[512];
	struct jspan	 v;
	char		*t;
	size_t		 len;

	buf[0] = '\0';
	if (jscan_parse(s, strlen(s), &v) == -1 ||
	    (t = upstream_body_text(&v, model, api, stream, &len)) == NULL)
		return (buf);
	if (strlen(t) == len)
		(void)strlcpy(buf, t, sizeof(buf));
	free(t);
	return (buf);
}

static void
test_shape(void)
{
	struct request_shape	 rs;

	T(shape("{\"model\":\"m\",\"messages\":[{\"role\":\"system\","
	    "\"content\":\"abc\"},{\"role\":\"user\",\"content\":[{\"type\":"
	    "\"text\",\"text\":\"defg\"},{\"type\":\"image_url\",\"image_url\":"
	    "{\"url\":\"http://x/y.png\"}}]}],\"max_tokens\":50,"
	    "\"stream\":true}", &rs) == 0 && rs.rs_prompt_chars == 7 &&
	    rs.rs_max_tokens == 50 && rs.rs_stream == 1,
	    "chat: strings and text parts; max_tokens; stream");
	T(shape("{\"messages\":[],\"max_completion_tokens\":7}", &rs) == 0 &&
	    rs.rs_prompt_chars == 0 && rs.rs_max_tokens == 7 && !rs.rs_stream,
	    "max_completion_tokens");
	T(shape("{\"input\":[{\"role\":\"user\",\"content\":[{\"type\":"
	    "\"input_text\",\"text\":\"hello\"}]}],\"instructions\":\"be\","
	    "\"max_output_tokens\":9,\"stream\":false}", &rs) == 0 &&
	    rs.rs_prompt_chars == 7 && rs.rs_max_tokens == 9 && !rs.rs_stream,
	    "responses: input items, instructions, max_output_tokens");
	T(shape("{\"system\":[{\"type\":\"text\",\"text\":\"sys\"}],"
	    "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
	    "\"max_tokens\":1024}", &rs) == 0 && rs.rs_prompt_chars == 5 &&
	    rs.rs_max_tokens == 1024, "anthropic: system blocks");
	T(shape("{\"prompt\":[\"ab\",\"cd\"],\"max_tokens\":0}", &rs) == 0 &&
	    rs.rs_prompt_chars == 4 && rs.rs_max_tokens == 0,
	    "completions: prompts; max_tokens 0 is none");
	T(shape("{\"prompt\":[1,2,3],\"max_tokens\":-5,"
	    "\"max_completion_tokens\":3.5,\"max_output_tokens\":\"9\"}",
	    &rs) == 0 && rs.rs_prompt_chars == 12 && rs.rs_max_tokens == 0,
	    "token ids a token each; bad limits ignored");
	T(shape("{\"input\":\"embed me\"}", &rs) == 0 &&
	    rs.rs_prompt_chars == 8, "embeddings: input");
	T(shape("[1]", &rs) == -1 && rs.rs_prompt_chars == 0,
	    "not an object: -1");
	T(request_shape_parse(NULL, &rs) == -1, "NULL: -1");
}

static void
test_helpers(void)
{
	T(upstream_api("/chat/completions") == UPSTREAM_API_CHAT &&
	    upstream_api("/v1/chat/completions") == UPSTREAM_API_CHAT &&
	    upstream_api("/completions") == UPSTREAM_API_COMPLETIONS &&
	    upstream_api("/embeddings") == UPSTREAM_API_EMBEDDINGS &&
	    upstream_api("/responses") == UPSTREAM_API_RESPONSES &&
	    upstream_api("/messages") == UPSTREAM_API_MESSAGES &&
	    upstream_api("/messages/count_tokens") == UPSTREAM_API_OTHER &&
	    upstream_api("/models") == UPSTREAM_API_OTHER &&
	    upstream_api(NULL) == UPSTREAM_API_OTHER, "upstream_api()");
	T(upstream_failover(502) && upstream_failover(429) &&
	    upstream_failover(400) && upstream_failover(401) &&
	    upstream_failover(403) && upstream_failover(404) &&
	    !upstream_failover(500) && !upstream_failover(503) &&
	    !upstream_failover(200) && !upstream_failover(0),
	    "failover on 502, 429, 400, 401, 403, 404 only");

	T(strcmp(body_text("{\"model\":\"gpt\",\"stream\":true,"
	    "\"stream_options\":{\"x\":1},\"messages\":[]}",
	    "openai/gpt-4o", UPSTREAM_API_CHAT, 1),
	    "{\"model\":\"openai/gpt-4o\",\"stream\":true,\"stream_options\":"
	    "{\"include_usage\":true,\"x\":1},\"messages\":[]}") == 0,
	    "body: model rewritten, include_usage added, the rest kept");
	T(strcmp(body_text("{ \"model\" : \"a\",\n \"stream_options\": false }",
	    NULL, UPSTREAM_API_COMPLETIONS, 1),
	    "{ \"model\" : \"a\",\n \"stream_options\": "
	    "{\"include_usage\":true} }") == 0,
	    "body: a bad stream_options replaced, model and white space kept");
	T(strcmp(body_text("{\"stream_options\":{ \"include_usage\":false },"
	    "\"model\":\"a\"}", "b", UPSTREAM_API_CHAT, 1),
	    "{\"stream_options\":{ \"include_usage\":true },"
	    "\"model\":\"b\"}") == 0, "body: include_usage false made true");
	T(strcmp(body_text("{\"stream_options\":{ },\"x\":[]}", "m\"\n\1",
	    UPSTREAM_API_CHAT, 1), "{\"stream_options\":{\"include_usage\":"
	    "true },\"x\":[],\"model\":\"m\\\"\\n\\u0001\"}") == 0,
	    "body: an empty stream_options; a missing model added, escaped");
	T(strcmp(body_text("{\"messages\":[]}", NULL, UPSTREAM_API_CHAT, 1),
	    "{\"messages\":[],\"stream_options\":{\"include_usage\":true}}") ==
	    0, "body: stream_options added at the end");
	T(strcmp(body_text(" { } ", "b", UPSTREAM_API_COMPLETIONS, 1),
	    "{ \"model\":\"b\",\"stream_options\":{\"include_usage\":true}}") ==
	    0, "body: an empty object: both added, no comma first");
	T(strcmp(body_text("{\"model\":\"a\"}", "b", UPSTREAM_API_CHAT, 0),
	    "{\"model\":\"b\"}") == 0 &&
	    strcmp(body_text("{\"model\":\"a\"}", "b", UPSTREAM_API_MESSAGES,
	    1), "{\"model\":\"b\"}") == 0 &&
	    strcmp(body_text("{\"model\":\"a\"}", "b", UPSTREAM_API_RESPONSES,
	    1), "{\"model\":\"b\"}") == 0,
	    "body: no stream_options unless an OpenAI stream");
	T(body_text("[]", "b", UPSTREAM_API_CHAT, 1)[0] == '\0',
	    "body: not an object");

	T(echo_tokens("", 0) == 0 && echo_tokens(" ", 1) == 1 &&
	    echo_tokens("a", 1) == 1 && echo_tokens("echo: a b\n c", 12) == 4,
	    "echo_tokens(): words");
}

int
main(void)
{
	log_init(1, LOG_DAEMON);
	log_setverbose(0);
	test_dialects();
	test_bad();
	test_strict();
	test_merge();
	test_estimate();
	test_to_json();
	test_shape();
	test_helpers();
	return (test_done());
}
