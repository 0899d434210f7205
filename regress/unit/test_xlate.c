/*
 * test_xlate: routstrd/upstream_xlate.c, Anthropic's Messages API over an
 * OpenAI-compatible upstream: the request (every rule, every 400), the
 * answer (content, tool calls, stop reasons, usage read the same by
 * billing) and the stream (event order and contents, tool calls, usage,
 * the end or its absence, garbage, keepalives, CRLF, any split).
 *
 * JSON in the tests is written with ' for " (q() swaps them).  Every
 * output is checked to be JSON with both jscan and jansson, then compared
 * member by member with json_equal().
 */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "log.h"
#include "proxy.h"
#include "upstream.h"
#include "xlate.h"
#include "test.h"

#define POOL_MAX	4096

static char	*pool[POOL_MAX];
static size_t	 npool;

static char	*keep(char *);
static const char *q(const char *);
static json_t	*load(const char *);
static json_t	*at(json_t *, const char *);
static int	 eq(json_t *, const char *, const char *);
static int	 is_str(json_t *, const char *, const char *);
static int	 absent(json_t *, const char *);
static json_t	*req(const char *, const char *, const char **);
static int	 req_err(const char *, const char *);
static json_t	*ans(const char *);

/* Freed at the end (ASan's leak check). */
static char *
keep(char *s)
{
	if (s == NULL)
		return (NULL);
	if (npool == POOL_MAX) {
		fprintf(stderr, "test pool full\n");
		exit(2);
	}
	pool[npool++] = s;
	return (s);
}

static const char *
q(const char *s)
{
	char	*d, *p;

	if ((d = strdup(s)) == NULL)
		exit(2);
	for (p = d; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	return (keep(d));
}

static json_t	*trees[POOL_MAX];
static size_t	 ntrees;

/* A JSON text checked by jscan and jansson both; the tree kept. */
static json_t *
load(const char *s)
{
	struct jspan	 v;
	json_error_t	 e;
	json_t		*j;

	if (s == NULL || jscan_parse(s, strlen(s), &v) == -1)
		return (NULL);
	if ((j = json_loads(s, JSON_REJECT_DUPLICATES, &e)) == NULL) {
		printf("# json: %s: %s\n", e.text, s);
		return (NULL);
	}
	if (ntrees == POOL_MAX)
		exit(2);
	trees[ntrees++] = j;
	return (j);
}

/* A path: "messages.0.content" */
static json_t *
at(json_t *j, const char *path)
{
	char		 seg[128];
	const char	*p = path, *e;
	size_t		 n;
	char		*end;
	long		 i;

	if (path == NULL || *path == '\0')
		return (j);
	while (j != NULL && *p != '\0') {
		e = strchr(p, '.');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		if (n >= sizeof(seg))
			return (NULL);
		memcpy(seg, p, n);
		seg[n] = '\0';
		if (json_is_array(j)) {
			i = strtol(seg, &end, 10);
			if (*end != '\0')
				return (NULL);
			j = json_array_get(j, i);
		} else
			j = json_object_get(j, seg);
		p += n;
		if (*p == '.')
			p++;
	}
	return (j);
}

/* The value at path equal to the JSON text (with ' for "). */
static int
eq(json_t *j, const char *path, const char *want)
{
	json_t	*w, *g;
	char	*s;
	int	 r;

	if ((w = json_loads(q(want), JSON_DECODE_ANY, NULL)) == NULL) {
		printf("# bad expected JSON: %s\n", want);
		return (0);
	}
	g = at(j, path);
	r = g != NULL && json_equal(g, w);
	if (!r) {
		s = g != NULL ? json_dumps(g, JSON_ENCODE_ANY | JSON_COMPACT) :
		    NULL;
		printf("# %s: got %s, want %s\n", path, s ? s : "(none)",
		    q(want));
		free(s);
	}
	json_decref(w);
	return (r);
}

static int
is_str(json_t *j, const char *path, const char *want)
{
	json_t	*g = at(j, path);

	return (json_is_string(g) && strcmp(json_string_value(g), want) == 0);
}

static int
absent(json_t *j, const char *path)
{
	return (j != NULL && at(j, path) == NULL);
}

/* xlate_request() of a text: the output's tree, or NULL and *errp. */
static json_t *
req(const char *body, const char *model, const char **errp)
{
	struct jspan	 v;
	const char	*err = NULL, *b = q(body);
	char		*out;
	size_t		 len = 0;

	if (errp != NULL)
		*errp = NULL;
	if (jscan_parse(b, strlen(b), &v) == -1) {
		printf("# bad test body: %s\n", b);
		return (NULL);
	}
	if ((out = xlate_request(&v, model, &len, &err)) == NULL) {
		if (errp != NULL)
			*errp = err;
		return (NULL);
	}
	keep(out);
	if (strlen(out) != len)
		return (NULL);
	return (load(out));
}

/* xlate_request() refuses it, with a message containing want. */
static int
req_err(const char *body, const char *want)
{
	const char	*err = NULL;
	json_t		*j;

	j = req(body, "m", &err);
	if (j != NULL || err == NULL) {
		printf("# not refused: %s\n", body);
		return (0);
	}
	if (strstr(err, want) == NULL) {
		printf("# error '%s' has no '%s'\n", err, want);
		return (0);
	}
	return (1);
}

static json_t *
ans(const char *body)
{
	struct jspan	 v;
	const char	*b = q(body);
	char		*out;
	size_t		 len = 0;

	if (jscan_parse(b, strlen(b), &v) == -1) {
		printf("# bad test answer: %s\n", b);
		return (NULL);
	}
	if ((out = xlate_answer(&v, &len)) == NULL)
		return (NULL);
	keep(out);
	if (strlen(out) != len)
		return (NULL);
	return (load(out));
}

/*
 * The request
 */

static void
test_request_members(void)
{
	json_t		*j;
	const char	*err;

	j = req("{'model':'claude-x','max_tokens':1024,'temperature':0.5,"
	    "'top_p':0.9,'top_k':40,'stop_sequences':['END','\\n\\nHuman:'],"
	    "'metadata':{'user_id':'u-1'},'thinking':{'type':'enabled',"
	    "'budget_tokens':2000},'service_tier':'auto','container':'c',"
	    "'mcp_servers':[],'whatever':1,"
	    "'messages':[{'role':'user','content':'hi'}]}", "gpt-4o", &err);
	T(j != NULL, "request: translated");
	T(eq(j, "", "{'model':'gpt-4o','messages':[{'role':'user',"
	    "'content':'hi'}],'max_tokens':1024,'temperature':0.5,"
	    "'top_p':0.9,'stop':['END','\\n\\nHuman:']}"),
	    "request: members kept, renamed, dropped (metadata.user_id too)");
	T(json_object_size(j) == 6, "request: nothing else");

	j = req("{'model':'claude-x','max_tokens':10,"
	    "'messages':[{'role':'user','content':'hi'}]}", NULL, &err);
	T(is_str(j, "model", "claude-x"), "request: model kept when NULL");
	j = req("{'model':'claude-x','max_tokens':10,"
	    "'messages':[{'role':'user','content':'hi'}]}", "a\"b", &err);
	T(is_str(j, "model", "a\"b"), "request: model given, escaped");
	j = req("{'max_tokens':10,'messages':[{'role':'user','content':'x'}]}",
	    NULL, &err);
	T(j == NULL && err != NULL && strstr(err, "model") != NULL,
	    "request: no model, none given: 400");
	j = req("{'max_tokens':10,'messages':[{'role':'user','content':'x'}]}",
	    "up", &err);
	T(is_str(j, "model", "up"), "request: no model, one given");

	j = req("{'model':'m','max_tokens':10,'stream':true,"
	    "'messages':[{'role':'user','content':'hi'}]}", NULL, &err);
	T(eq(j, "stream", "true") && eq(j, "stream_options",
	    "{'include_usage':true}"), "request: stream with usage");
	j = req("{'model':'m','max_tokens':10,'stream':false,"
	    "'messages':[{'role':'user','content':'hi'}]}", NULL, &err);
	T(absent(j, "stream") && absent(j, "stream_options"),
	    "request: stream false: none");
	j = req("{'model':'m','messages':[{'role':'user','content':'hi'}],"
	    "'stop_sequences':[],'metadata':{'user_id':null},"
	    "'temperature':null}", NULL, &err);
	T(absent(j, "stop") && absent(j, "user") && absent(j, "temperature") &&
	    absent(j, "max_tokens"), "request: empty and null members: none");
}

static void
test_request_system(void)
{
	json_t		*j;
	const char	*err;

	j = req("{'model':'m','system':'Be brief.','messages':"
	    "[{'role':'user','content':'hi'}]}", NULL, &err);
	T(eq(j, "messages", "[{'role':'system','content':'Be brief.'},"
	    "{'role':'user','content':'hi'}]"), "system: a string");
	j = req("{'model':'m','system':[{'type':'text','text':'One.',"
	    "'cache_control':{'type':'ephemeral'}},{'type':'text',"
	    "'text':'Two.'}],'messages':[{'role':'user','content':'hi'}]}",
	    NULL, &err);
	T(eq(j, "messages.0", "{'role':'system','content':'One.\\n\\nTwo.'}"),
	    "system: text blocks joined, cache_control ignored");
	j = req("{'model':'m','system':'','messages':"
	    "[{'role':'user','content':'hi'}]}", NULL, &err);
	T(eq(j, "messages", "[{'role':'user','content':'hi'}]"),
	    "system: empty: no message");
	T(req_err("{'model':'m','system':[{'type':'image','source':{}}],"
	    "'messages':[{'role':'user','content':'hi'}]}",
	    "system block type not supported: image"),
	    "system: another block: 400");
	T(req_err("{'model':'m','system':[{'text':'x'}],"
	    "'messages':[{'role':'user','content':'hi'}]}", "system"),
	    "system: a block without type: 400");
	T(req_err("{'model':'m','system':3,"
	    "'messages':[{'role':'user','content':'hi'}]}", "system"),
	    "system: a number: 400");
}

static void
test_request_content(void)
{
	json_t		*j;
	const char	*err;

	j = req("{'model':'m','messages':[{'role':'user','content':"
	    "[{'type':'text','text':'a'},{'type':'text','text':'b',"
	    "'cache_control':{'type':'ephemeral'}}]},{'role':'assistant',"
	    "'content':[{'type':'thinking','thinking':'hmm','signature':'s'},"
	    "{'type':'redacted_thinking','data':'xx'},{'type':'text',"
	    "'text':'c'}]},{'role':'user','content':'d'}]}", NULL, &err);
	T(eq(j, "messages", "[{'role':'user','content':'a\\n\\nb'},"
	    "{'role':'assistant','content':'c'},{'role':'user','content':'d'}]"),
	    "content: text blocks as a string, thinking dropped");

	j = req("{'model':'m','messages':[{'role':'user','content':"
	    "[{'type':'text','text':'What is this?'},{'type':'image',"
	    "'source':{'type':'base64','media_type':'image/png',"
	    "'data':'iVBORw0KGgo='}},{'type':'image','source':{'type':'url',"
	    "'url':'https://example.com/a.jpg'}},{'type':'text','text':'x'}]}]}",
	    NULL, &err);
	T(eq(j, "messages.0.content", "[{'type':'text','text':'What is this?'},"
	    "{'type':'image_url','image_url':{'url':"
	    "'data:image/png;base64,iVBORw0KGgo='}},{'type':'image_url',"
	    "'image_url':{'url':'https://example.com/a.jpg'}},"
	    "{'type':'text','text':'x'}]"), "content: images as parts");
	j = req("{'model':'m','messages':[{'role':'user','content':"
	    "[{'type':'image','source':{'type':'url','url':'u'}}]}]}",
	    NULL, &err);
	T(eq(j, "messages.0", "{'role':'user','content':[{'type':'image_url',"
	    "'image_url':{'url':'u'}}]}"), "content: an image alone");
	j = req("{'model':'m','messages':[{'role':'user','content':[]}]}",
	    NULL, &err);
	T(eq(j, "messages.0", "{'role':'user','content':''}"),
	    "content: empty array: an empty string");

	/* strings exact: escapes, UTF-8, surrogate pairs */
	j = req("{'model':'m','messages':[{'role':'user','content':"
	    "[{'type':'text','text':'q\\'\\\\\\n\\t\\u00e9 \xc3\xa9 "
	    "\\ud83d\\ude00 \\/'},{'type':'text','text':'\xe2\x82\xac\\u0001'}]}]}",
	    NULL, &err);
	T(is_str(j, "messages.0.content", "q\"\\\n\t\xc3\xa9 \xc3\xa9 "
	    "\xf0\x9f\x98\x80 /\n\n\xe2\x82\xac\x01"),
	    "content: escapes and UTF-8 kept, joined");
	j = req("{'model':'m','messages':[{'role':'user','content':"
	    "'\\u2028\\'x\\''}]}", "m\xc3\xa9\n", &err);
	T(is_str(j, "messages.0.content", "\xe2\x80\xa8\"x\"") &&
	    is_str(j, "model", "m\xc3\xa9\n"), "content: a string exact");
}

static void
test_request_tools(void)
{
	json_t		*j, *args, *want;
	const char	*err;

	/* the tool round trip */
	j = req("{'model':'m','messages':[{'role':'user','content':'weather?'},"
	    "{'role':'assistant','content':[{'type':'text','text':'Looking.'},"
	    "{'type':'tool_use','id':'toolu_1','name':'get_weather','input':"
	    "{'city':'Paris \\'FR\\'','n':[1,2.5,{'x':null}]}},"
	    "{'type':'tool_use','id':'toolu_2','name':'get_time','input':{}}]},"
	    "{'role':'user','content':[{'type':'tool_result','tool_use_id':"
	    "'toolu_1','content':'15 C'},{'type':'tool_result','tool_use_id':"
	    "'toolu_2','content':[{'type':'text','text':'noon'},{'type':'text',"
	    "'text':'UTC'}],'is_error':true},{'type':'text','text':'thanks'}]}]}",
	    NULL, &err);
	T(j != NULL, "tools: round trip translated");
	T(eq(j, "messages.1.content", "'Looking.'") &&
	    eq(j, "messages.1.role", "'assistant'") &&
	    eq(j, "messages.1.tool_calls.0.id", "'toolu_1'") &&
	    eq(j, "messages.1.tool_calls.0.type", "'function'") &&
	    eq(j, "messages.1.tool_calls.0.function.name", "'get_weather'") &&
	    eq(j, "messages.1.tool_calls.1", "{'id':'toolu_2','type':"
	    "'function','function':{'name':'get_time','arguments':'{}'}}"),
	    "tools: tool_use as tool_calls");
	args = json_loads(json_string_value(at(j,
	    "messages.1.tool_calls.0.function.arguments")), 0, NULL);
	want = json_pack("{s:s,s:[i,f,{s:n}]}", "city", "Paris \"FR\"", "n",
	    1, 2.5, "x");
	T(args != NULL && want != NULL && json_equal(args, want),
	    "tools: arguments are the input's JSON text");
	json_decref(args);
	json_decref(want);
	T(eq(j, "messages.2", "{'role':'tool','tool_call_id':'toolu_1',"
	    "'content':'15 C'}") && eq(j, "messages.3", "{'role':'tool',"
	    "'tool_call_id':'toolu_2','content':'noon\\n\\nUTC'}") &&
	    eq(j, "messages.4", "{'role':'user','content':'thanks'}") &&
	    json_array_size(at(j, "messages")) == 5,
	    "tools: tool results first, as tool messages, then the text");

	j = req("{'model':'m','messages':[{'role':'assistant','content':"
	    "[{'type':'tool_use','id':'t','name':'f','input':{'a':1}}]},"
	    "{'role':'user','content':[{'type':'text','text':'first'},"
	    "{'type':'tool_result','tool_use_id':'t'}]}]}", NULL, &err);
	T(eq(j, "messages", "[{'role':'assistant','content':null,"
	    "'tool_calls':[{'id':'t','type':'function','function':{'name':"
	    "'f','arguments':'{\\'a\\':1}'}}]},{'role':'tool','tool_call_id':"
	    "'t','content':''},{'role':'user','content':'first'}]"),
	    "tools: only tool_use: content null; tool result before text");
	/* a tool message holds text: its images go to the user message */
	j = req("{'model':'m','messages':[{'role':'user','content':"
	    "[{'type':'tool_result','tool_use_id':'a','content':[{'type':"
	    "'text','text':'shot'},{'type':'image','source':{'type':'base64',"
	    "'media_type':'image/png','data':'iVBO'}}]},{'type':'tool_result',"
	    "'tool_use_id':'b','content':[{'type':'image','source':{'type':"
	    "'url','url':'https://x/y.png'}}]},{'type':'text','text':'see'}]}]}",
	    NULL, &err);
	T(eq(j, "messages", "[{'role':'tool','tool_call_id':'a','content':"
	    "'shot'},{'role':'tool','tool_call_id':'b','content':''},"
	    "{'role':'user','content':[{'type':'image_url','image_url':{'url':"
	    "'data:image/png;base64,iVBO'}},{'type':'image_url','image_url':"
	    "{'url':'https://x/y.png'}},{'type':'text','text':'see'}]}]"),
	    "tools: images of tool results in the user message after them");
	j = req("{'model':'m','messages':[{'role':'user','content':"
	    "[{'type':'tool_result','tool_use_id':'a','content':[{'type':"
	    "'image','source':{'type':'url','url':'u'}}]}]}]}", NULL, &err);
	T(eq(j, "messages", "[{'role':'tool','tool_call_id':'a','content':''},"
	    "{'role':'user','content':[{'type':'image_url','image_url':{'url':"
	    "'u'}}]}]"), "tools: a tool result of an image alone");
	j = req("{'model':'m','messages':[{'role':'user','content':"
	    "[{'type':'tool_result','tool_use_id':'a','content':'1'},"
	    "{'type':'tool_result','tool_use_id':'b','content':[]}]}]}",
	    NULL, &err);
	T(eq(j, "messages", "[{'role':'tool','tool_call_id':'a','content':'1'},"
	    "{'role':'tool','tool_call_id':'b','content':''}]"),
	    "tools: only tool results: only tool messages");
	j = req("{'model':'m','messages':[{'role':'assistant','content':"
	    "[{'type':'tool_use','id':'t','name':'f','input':"
	    "{'s':'a\\nb\\'\\\\ \xc3\xa9'}}]}]}", NULL, &err);
	args = json_loads(json_string_value(at(j,
	    "messages.0.tool_calls.0.function.arguments")), 0, NULL);
	T(args != NULL && is_str(args, "s", "a\nb\"\\ \xc3\xa9"),
	    "tools: arguments exact with escapes");
	json_decref(args);

	/* tool definitions and the choice */
	j = req("{'model':'m','messages':[{'role':'user','content':'x'}],"
	    "'tools':[{'name':'get_weather','description':'Weather.',"
	    "'input_schema':{'type':'object','properties':{'city':{'type':"
	    "'string'}},'required':['city']},'cache_control':{'type':"
	    "'ephemeral'}},{'type':'custom','name':'g','input_schema':"
	    "{'type':'object'}}],'tool_choice':{'type':'auto'}}", NULL, &err);
	T(eq(j, "tools", "[{'type':'function','function':{'name':"
	    "'get_weather','description':'Weather.','parameters':{'type':"
	    "'object','properties':{'city':{'type':'string'}},'required':"
	    "['city']}}},{'type':'function','function':{'name':'g',"
	    "'parameters':{'type':'object'}}}]") &&
	    eq(j, "tool_choice", "'auto'") && absent(j, "parallel_tool_calls"),
	    "tools: as functions; tool_choice auto");
#define TOOLS	"'messages':[{'role':'user','content':'x'}],'tools':" \
	"[{'name':'f','input_schema':{'type':'object'}}]"
	j = req("{'model':'m'," TOOLS ",'tool_choice':{'type':'any',"
	    "'disable_parallel_tool_use':true}}", NULL, &err);
	T(eq(j, "tool_choice", "'required'") &&
	    eq(j, "parallel_tool_calls", "false"),
	    "tool_choice: any, no parallel calls");
	j = req("{'model':'m'," TOOLS ",'tool_choice':{'type':'none'}}", NULL,
	    &err);
	T(eq(j, "tool_choice", "'none'"), "tool_choice: none");
	j = req("{'model':'m'," TOOLS ",'tool_choice':{'type':'tool','name':"
	    "'f','disable_parallel_tool_use':false}}", NULL, &err);
	T(eq(j, "tool_choice", "{'type':'function','function':{'name':'f'}}") &&
	    absent(j, "parallel_tool_calls"), "tool_choice: a tool");
	j = req("{'model':'m','messages':[{'role':'user','content':'x'}],"
	    "'tools':[],'tool_choice':{'type':'auto'}}", NULL, &err);
	T(absent(j, "tools") && absent(j, "tool_choice"),
	    "tools: none: no tools, no tool_choice");
	T(req_err("{'model':'m','messages':[{'role':'user','content':'x'}],"
	    "'tools':[{'type':'web_search_20250305','name':'web_search'}]}",
	    "tool type not supported: web_search_20250305"),
	    "tools: a server tool: 400");
	T(req_err("{'model':'m','messages':[{'role':'user','content':'x'}],"
	    "'tools':[{'type':'bash_20250124','name':'bash'}]}",
	    "bash_20250124"), "tools: bash: 400");
	T(req_err("{'model':'m','messages':[{'role':'user','content':'x'}],"
	    "'tools':[{'name':'f'}]}", "input_schema"),
	    "tools: no input_schema: 400");
	T(req_err("{'model':'m','messages':[{'role':'user','content':'x'}],"
	    "'tools':{}}", "tools"), "tools: not an array: 400");
	T(req_err("{'model':'m'," TOOLS ",'tool_choice':{'type':'maybe'}}",
	    "tool_choice type not supported: maybe"),
	    "tool_choice: another type: 400");
	T(req_err("{'model':'m'," TOOLS ",'tool_choice':{'type':'tool'}}",
	    "tool_choice"), "tool_choice: a tool without a name: 400");
	T(req_err("{'model':'m'," TOOLS ",'tool_choice':'auto'}",
	    "tool_choice"), "tool_choice: a string: 400");
}

static void
test_request_errors(void)
{
	const char	*err;
	struct jspan	 v;

	T(jscan_parse("[1]", 3, &v) == 0 &&
	    xlate_request(&v, "m", NULL, &err) == NULL && err != NULL,
	    "400: not an object");
	T(req_err("{'model':'m'}", "messages"), "400: no messages");
	T(req_err("{'model':'m','messages':{}}", "messages"),
	    "400: messages not an array");
	T(req_err("{'model':'m','messages':[]}", "messages"),
	    "400: no message");
	T(req_err("{'model':'m','messages':['hi']}", "not an object"),
	    "400: a message not an object");
	T(req_err("{'model':'m','messages':[{'role':'system','content':'x'}]}",
	    "role"), "400: role system");
	T(req_err("{'model':'m','messages':[{'content':'x'}]}", "role"),
	    "400: no role");
	T(req_err("{'model':'m','messages':[{'role':'user','content':3}]}",
	    "content"), "400: content a number");
	T(req_err("{'model':'m','messages':[{'role':'user'}]}", "content"),
	    "400: no content");
	T(req_err("{'model':'m','messages':[{'role':'user','content':"
	    "[{'text':'x'}]}]}", "no type"), "400: a block without type");
	T(req_err("{'model':'m','messages':[{'role':'user','content':"
	    "['x']}]}", "not an object"), "400: a block not an object");
	T(req_err("{'model':'m','messages':[{'role':'user','content':"
	    "[{'type':'text'}]}]}", "text"), "400: a text block without text");
	T(req_err("{'model':'m','messages':[{'role':'user','content':"
	    "[{'type':'document','source':{}}]}]}",
	    "content block type not supported: document"),
	    "400: a document block, named");
	T(req_err("{'model':'m','messages':[{'role':'assistant','content':"
	    "[{'type':'server_tool_use','id':'x','name':'web_search'}]}]}",
	    "server_tool_use"), "400: server_tool_use, named");
	T(req_err("{'model':'m','messages':[{'role':'user','content':"
	    "[{'type':'x\\u0001\\'\xc3\xa9'}]}]}",
	    "content block type not supported: x???"),
	    "400: a strange type named printably");
	T(req_err("{'model':'m','messages':[{'role':'user','content':"
	    "[{'type':'tool_use','id':'a','name':'b','input':{}}]}]}",
	    "tool_use"), "400: tool_use in a user message");
	T(req_err("{'model':'m','messages':[{'role':'assistant','content':"
	    "[{'type':'tool_result','tool_use_id':'a'}]}]}", "tool_result"),
	    "400: tool_result in an assistant message");
	T(req_err("{'model':'m','messages':[{'role':'assistant','content':"
	    "[{'type':'image','source':{'type':'url','url':'u'}}]}]}",
	    "image"), "400: image in an assistant message");
	T(req_err("{'model':'m','messages':[{'role':'assistant','content':"
	    "[{'type':'tool_use','name':'b','input':{}}]}]}", "id"),
	    "400: tool_use without id");
	T(req_err("{'model':'m','messages':[{'role':'assistant','content':"
	    "[{'type':'tool_use','id':'a','name':'b','input':[1]}]}]}",
	    "input"), "400: tool_use input not an object");
	T(req_err("{'model':'m','messages':[{'role':'user','content':"
	    "[{'type':'tool_result','content':'x'}]}]}", "tool_use_id"),
	    "400: tool_result without tool_use_id");
	T(req_err("{'model':'m','messages':[{'role':'user','content':"
	    "[{'type':'tool_result','tool_use_id':'a','content':[{'type':"
	    "'image','source':{'type':'file','file_id':'u'}}]}]}]}",
	    "image source type not supported: file"),
	    "400: an image in a tool result with a source unknown");
	T(req_err("{'model':'m','messages':[{'role':'user','content':"
	    "[{'type':'tool_result','tool_use_id':'a','content':[{'type':"
	    "'document','source':{}}]}]}]}",
	    "tool_result content block type not supported: document"),
	    "400: a document in a tool result");
	T(req_err("{'model':'m','messages':[{'role':'user','content':"
	    "[{'type':'tool_result','tool_use_id':'a','content':5}]}]}",
	    "tool_result"), "400: tool result content a number");
	T(req_err("{'model':'m','messages':[{'role':'user','content':"
	    "[{'type':'image','source':{'type':'base64','data':'x'}}]}]}",
	    "media_type"), "400: base64 image without media_type");
	T(req_err("{'model':'m','messages':[{'role':'user','content':"
	    "[{'type':'image','source':{'type':'file','file_id':'f'}}]}]}",
	    "image source type not supported: file"),
	    "400: image from a file");
	T(req_err("{'model':'m','messages':[{'role':'user','content':"
	    "[{'type':'image'}]}]}", "source"), "400: image without source");
	T(req_err("{'model':'m','max_tokens':'10','messages':[{'role':'user',"
	    "'content':'x'}]}", "max_tokens"), "400: max_tokens a string");
	T(req_err("{'model':'m','max_tokens':0,'messages':[{'role':'user',"
	    "'content':'x'}]}", "max_tokens"), "400: max_tokens 0");
	T(req_err("{'model':'m','max_tokens':1.5,'messages':[{'role':'user',"
	    "'content':'x'}]}", "max_tokens"), "400: max_tokens a fraction");
	T(req_err("{'model':'m','temperature':'hot','messages':[{'role':'user',"
	    "'content':'x'}]}", "temperature"), "400: temperature a string");
	T(req_err("{'model':'m','top_p':[],'messages':[{'role':'user',"
	    "'content':'x'}]}", "top_p"), "400: top_p an array");
	T(req_err("{'model':'m','stop_sequences':'x','messages':[{'role':"
	    "'user','content':'x'}]}", "stop_sequences"),
	    "400: stop_sequences a string");
	T(req_err("{'model':'m','stop_sequences':['a',1],'messages':[{'role':"
	    "'user','content':'x'}]}", "stop_sequences"),
	    "400: stop_sequences with a number");
	T(req_err("{'model':'m','stream':'yes','messages':[{'role':'user',"
	    "'content':'x'}]}", "stream"), "400: stream a string");
	T(is_str(req("{'model':3,'messages':[{'role':'user','content':'x'}]}",
	    "up", &err), "model", "up"), "model a number, one given: fine");
	err = NULL;
	T(req("{'model':3,'messages':[{'role':'user','content':'x'}]}", NULL,
	    &err) == NULL && err != NULL, "400: model a number, none given");
}

/*
 * The answer
 */

/* usage_from_spans() of a usage text and of the "usage" of a JSON text. */
static int
same_usage(const char *openai, const char *anthropic_parent)
{
	struct jspan	 v, a, u;
	struct usage	 uo, ua;
	const char	*o = q(openai);

	if (anthropic_parent == NULL ||
	    jscan_parse(o, strlen(o), &v) == -1 ||
	    usage_from_spans(&v, 1, &uo) == -1 ||
	    jscan_parse(anthropic_parent, strlen(anthropic_parent), &a) == -1 ||
	    jscan_get(&a, "usage", &u) == -1 ||
	    usage_from_spans(&u, 1, &ua) == -1)
		return (0);
	if (memcmp(&uo, &ua, sizeof(uo)) != 0) {
		printf("# usage %llu/%llu/%llu/%llu, want %llu/%llu/%llu/%llu\n",
		    (unsigned long long)ua.us_prompt,
		    (unsigned long long)ua.us_completion,
		    (unsigned long long)ua.us_cache_read,
		    (unsigned long long)ua.us_cache_write,
		    (unsigned long long)uo.us_prompt,
		    (unsigned long long)uo.us_completion,
		    (unsigned long long)uo.us_cache_read,
		    (unsigned long long)uo.us_cache_write);
		return (0);
	}
	return (1);
}

static char *
ans_text(const char *body)
{
	struct jspan	 v;
	const char	*b = q(body);

	if (jscan_parse(b, strlen(b), &v) == -1)
		return (NULL);
	return (keep(xlate_answer(&v, NULL)));
}

#define USAGE_CACHED	"{'prompt_tokens':2006,'completion_tokens':300," \
	"'total_tokens':2306,'prompt_tokens_details':{'cached_tokens':1920}," \
	"'completion_tokens_details':{'reasoning_tokens':100}}"
#define USAGE_OPENROUTER "{'prompt_tokens':1000,'completion_tokens':50," \
	"'total_tokens':1050,'cost':0.01,'prompt_tokens_details':" \
	"{'cached_tokens':200,'cache_write_tokens':300}}"

static void
test_answer(void)
{
	json_t		*j;
	struct jspan	 v;
	const char	*id;
	char		*t;
	static const char *fr[][2] = {
		{ "'stop'", "end_turn" }, { "'length'", "max_tokens" },
		{ "'tool_calls'", "tool_use" }, { "'function_call'", "tool_use" },
		{ "'content_filter'", "refusal" }, { "null", "end_turn" },
		{ "'eos'", "end_turn" }
	};
	char		 buf[512];
	size_t		 i;

	j = ans("{'id':'chatcmpl-1','object':'chat.completion','created':1,"
	    "'model':'gpt-4o-2024','choices':[{'index':0,'message':{'role':"
	    "'assistant','content':'Hello \\'there\\' \xc3\xa9\\n',"
	    "'refusal':null},'logprobs':null,'finish_reason':'stop'}],"
	    "'usage':{'prompt_tokens':9,'completion_tokens':12,"
	    "'total_tokens':21}}");
	T(eq(j, "", "{'id':'msg_chatcmpl-1','type':'message','role':"
	    "'assistant','model':'gpt-4o-2024','content':[{'type':'text',"
	    "'text':'Hello \\'there\\' \xc3\xa9\\n'}],'stop_reason':'end_turn',"
	    "'stop_sequence':null,'usage':{'input_tokens':9,'output_tokens':12,"
	    "'cache_read_input_tokens':0,'cache_creation_input_tokens':0}}"),
	    "answer: text");
	j = ans("{'id':'r','model':'m','choices':[{'index':0,'message':"
	    "{'role':'assistant','content':'42','reasoning_content':"
	    "'think \\'hard\\''},'finish_reason':'stop'}]}");
	T(eq(j, "content", "[{'type':'thinking','thinking':'think \\'hard"
	    "\\'','signature':''},{'type':'text','text':'42'}]"),
	    "answer: reasoning as a thinking block first");
	j = ans("{'id':'r','model':'m','choices':[{'index':0,'message':"
	    "{'role':'assistant','content':'42','reasoning':'hm'},"
	    "'finish_reason':'stop'}]}");
	T(eq(j, "content.0.thinking", "'hm'"),
	    "answer: OpenRouter's reasoning too");

	j = ans("{'id':'c2','model':'m','choices':[{'index':0,'message':"
	    "{'role':'assistant','content':'Let me check.','tool_calls':"
	    "[{'id':'call_a','type':'function','function':{'name':'get_weather',"
	    "'arguments':'{\\'city\\': \\'Paris\\', \\'d\\': [1, {}]}'}},"
	    "{'id':'call_b','type':'function','function':{'name':'f',"
	    "'arguments':'{bad'}},{'id':'call_c','type':'function','function':"
	    "{'name':'g','arguments':'[1]'}},{'type':'function','function':"
	    "{'name':'h','arguments':''}}]},'finish_reason':'tool_calls'}]}");
	T(eq(j, "content.0", "{'type':'text','text':'Let me check.'}") &&
	    eq(j, "content.1", "{'type':'tool_use','id':'call_a','name':"
	    "'get_weather','input':{'city':'Paris','d':[1,{}]}}") &&
	    eq(j, "content.2", "{'type':'tool_use','id':'call_b','name':'f',"
	    "'input':{}}") && eq(j, "content.3", "{'type':'tool_use','id':"
	    "'call_c','name':'g','input':{}}") && eq(j, "content.4.input", "{}") &&
	    eq(j, "content.4.name", "'h'") &&
	    json_array_size(at(j, "content")) == 5 &&
	    is_str(j, "stop_reason", "tool_use"),
	    "answer: text and tool calls; bad arguments: {}");
	id = json_string_value(at(j, "content.4.id"));
	T(id != NULL && strncmp(id, "toolu_xlate_", 12) == 0 &&
	    strlen(id) == 12 + 24, "answer: a tool call's id made up");
	T(eq(j, "usage", "{'input_tokens':0,'output_tokens':0}"),
	    "answer: no usage: zeros");

	j = ans("{'id':'c3','model':'m','choices':[{'message':{'role':"
	    "'assistant','content':null,'tool_calls':[{'id':'x','function':"
	    "{'name':'f','arguments':'{}'}}]},'finish_reason':'stop'}]}");
	T(eq(j, "content", "[{'type':'tool_use','id':'x','name':'f',"
	    "'input':{}}]") && is_str(j, "stop_reason", "tool_use"),
	    "answer: content null; tool calls with stop: tool_use");
	j = ans("{'choices':[{'message':{'role':'assistant','content':''},"
	    "'finish_reason':null}],'usage':{'prompt_tokens':0,"
	    "'completion_tokens':0}}");
	id = json_string_value(at(j, "id"));
	T(eq(j, "content", "[]") && eq(j, "model", "''") &&
	    id != NULL && strncmp(id, "msg_xlate_", 10) == 0 &&
	    eq(j, "usage", "{'input_tokens':0,'output_tokens':0}"),
	    "answer: empty text, no id, no model, zero usage");
	j = ans("{'id':'c','choices':[{'message':{'role':'assistant','content':"
	    "[{'type':'text','text':'a'},{'type':'text','text':'b'}]}}]}");
	T(eq(j, "content", "[{'type':'text','text':'a'},{'type':'text',"
	    "'text':'b'}]"), "answer: content parts as text blocks");
	j = ans("{'id':'c','choices':[{'message':{'role':'assistant','content':"
	    "null,'refusal':'No.'},'finish_reason':'content_filter'}]}");
	T(eq(j, "content", "[{'type':'text','text':'No.'}]") &&
	    is_str(j, "stop_reason", "refusal"), "answer: a refusal");

	for (i = 0; i < sizeof(fr) / sizeof(fr[0]); i++) {
		(void)snprintf(buf, sizeof(buf), "{'id':'c','choices':"
		    "[{'message':{'content':'x'},'finish_reason':%s}]}",
		    fr[i][0]);
		j = ans(buf);
		T(is_str(j, "stop_reason", fr[i][1]), "answer: finish_reason "
		    "%s: %s", fr[i][0], fr[i][1]);
	}
	j = ans("{'id':'c','choices':[{'message':{'content':'x'}}]}");
	T(is_str(j, "stop_reason", "end_turn"), "answer: no finish_reason");

	T(ans("{'id':'c','choices':[]}") == NULL, "answer: no choice: NULL");
	T(ans("{'id':'c'}") == NULL, "answer: no choices: NULL");
	T(ans("{'id':'c','choices':[{'text':'x'}]}") == NULL,
	    "answer: a completion, not chat: NULL");
	T(ans("{'type':'message','content':[]}") == NULL,
	    "answer: an Anthropic message: NULL");
	T(jscan_parse("[]", 2, &v) == 0 && xlate_answer(&v, NULL) == NULL,
	    "answer: not an object: NULL");

	/* billing reads the same usage from the translation */
	t = ans_text("{'id':'c','choices':[{'message':{'content':'x'}}],"
	    "'usage':" USAGE_CACHED "}");
	T(same_usage(USAGE_CACHED, t), "answer: usage with cached tokens");
	j = load(t);
	T(eq(j, "usage", "{'input_tokens':86,'output_tokens':300,"
	    "'cache_read_input_tokens':1920,'cache_creation_input_tokens':0}"),
	    "answer: usage with cached tokens, Anthropic's counts");
	t = ans_text("{'id':'c','choices':[{'message':{'content':'x'}}],"
	    "'usage':" USAGE_OPENROUTER "}");
	T(same_usage(USAGE_OPENROUTER, t), "answer: usage with cache writes");
	j = load(t);
	T(eq(j, "usage", "{'input_tokens':500,'output_tokens':50,"
	    "'cache_read_input_tokens':200,'cache_creation_input_tokens':300}"),
	    "answer: usage with cache writes, Anthropic's counts");
}

/*
 * The stream
 */

#define EV_MAX	64

struct srun {
	char		*out;
	size_t		 len;
	int		 calls;
	int		 whole;		/* every out() call whole events */
	int		 stop_after;	/* out() says stop at this call */
	int		 feedrc;	/* -1 if a feed failed */
	int		 finrc;
	int		 garbage;
	int		 done;
	/* the events */
	int		 nev;
	char		 names[EV_MAX * 24];
	const char	*data[EV_MAX];
	json_t		*ev[EV_MAX];
	int		 framed;	/* all "event: X\ndata: J\n\n" */
};

static int
s_out(const char *p, size_t len, void *arg)
{
	struct srun	*r = arg;
	char		*n;

	if ((n = realloc(r->out, r->len + len + 1)) == NULL)
		exit(2);
	r->out = n;
	memcpy(r->out + r->len, p, len);
	r->len += len;
	r->out[r->len] = '\0';
	if (len < 9 || strncmp(p, "event: ", 7) != 0 ||
	    memcmp(p + len - 2, "\n\n", 2) != 0)
		r->whole = 0;
	r->calls++;
	return (r->stop_after > 0 && r->calls >= r->stop_after);
}

/* The output split into its events, each checked. */
static void
s_events(struct srun *r)
{
	const char	*p = r->out, *end = r->out + r->len, *nl, *d;
	char		*data;

	r->framed = 1;
	r->names[0] = '\0';
	while (p < end) {
		if (r->nev == EV_MAX || strncmp(p, "event: ", 7) != 0 ||
		    (nl = memchr(p, '\n', end - p)) == NULL ||
		    strncmp(nl + 1, "data: ", 6) != 0) {
			r->framed = 0;
			return;
		}
		if (r->nev > 0)
			strlcat(r->names, ",", sizeof(r->names));
		if ((size_t)(nl - p - 7) >= 24) {
			r->framed = 0;
			return;
		}
		strncat(r->names, p + 7, nl - p - 7);
		d = nl + 7;
		if ((nl = memchr(d, '\n', end - d)) == NULL || nl + 1 >= end ||
		    nl[1] != '\n') {
			r->framed = 0;
			return;
		}
		if ((data = strndup(d, nl - d)) == NULL)
			exit(2);
		r->data[r->nev] = keep(data);
		if ((r->ev[r->nev] = load(data)) == NULL ||
		    !json_is_object(r->ev[r->nev]))
			r->framed = 0;
		r->nev++;
		p = nl + 2;
	}
}

/* A stream (' for ") fed in pieces of piece bytes (0: at once). */
static void
srun(struct srun *r, const char *in, size_t piece, int finish, int stop_after)
{
	struct xlate_stream	*xs;
	const char		*s = q(in);
	size_t			 len = strlen(s), off, n;

	memset(r, 0, sizeof(*r));
	r->whole = 1;
	r->stop_after = stop_after;
	if ((xs = xlate_stream_new(s_out, r)) == NULL)
		exit(2);
	for (off = 0; off < len; off += n) {
		n = piece == 0 ? len : piece;
		if (n > len - off)
			n = len - off;
		if (xlate_stream_feed(xs, s + off, n) == -1) {
			r->feedrc = -1;
			break;
		}
	}
	if (finish)
		r->finrc = xlate_stream_finish(xs);
	r->garbage = xlate_stream_garbage(xs);
	r->done = xlate_stream_done(xs);
	xlate_stream_free(xs);
	if (r->out == NULL)
		r->out = strdup("");
	keep(r->out);
	s_events(r);
}

static char *
crlf(const char *s)
{
	char	*d, *p;

	if ((d = malloc(2 * strlen(s) + 1)) == NULL)
		exit(2);
	for (p = d; *s != '\0'; s++) {
		if (*s == '\n')
			*p++ = '\r';
		*p++ = *s;
	}
	*p = '\0';
	return (keep(d));
}

#define CH(x)	"data: {'id':'chatcmpl-9','object':'chat.completion.chunk'," \
	"'created':1,'model':'gpt-x','choices':[{'index':0,'delta':" x "}]}\n\n"
#define USAGE_CH(u) "data: {'id':'chatcmpl-9','object':'chat.completion." \
	"chunk','created':1,'model':'gpt-x','choices':[],'usage':" u "}\n\n"
#define DONE	"data: [DONE]\n\n"

static const char text_stream[] =
	CH("{'role':'assistant','content':''},'finish_reason':null")
	CH("{'content':'Hel'},'finish_reason':null")
	CH("{'content':'lo \\u00e9\xc3\xa9\\n\\'q\\'\\\\'},'finish_reason':null")
	CH("{},'finish_reason':'stop'")
	USAGE_CH("{'prompt_tokens':5,'completion_tokens':2,'total_tokens':7}")
	DONE;

static const char tool_stream[] =
	CH("{'role':'assistant','content':'Checking.'},'finish_reason':null")
	CH("{'tool_calls':[{'index':0,'id':'call_1','type':'function',"
	    "'function':{'name':'get_weather','arguments':''}}]},"
	    "'finish_reason':null")
	CH("{'tool_calls':[{'index':0,'function':{'arguments':'{\\'ci'}}]},"
	    "'finish_reason':null")
	CH("{'tool_calls':[{'index':0,'function':{'arguments':"
	    "'ty\\': \\'Par\xc3\xa9s\\'}'}}]},'finish_reason':null")
	": keepalive\n\n"
	CH("{'tool_calls':[{'index':1,'id':'call_2','type':'function',"
	    "'function':{'name':'get_time','arguments':'{}'}}]},"
	    "'finish_reason':null")
	"data: {'id':'chatcmpl-9','choices':[{'index':0,'delta':{},"
	    "'finish_reason':'tool_calls'}],'usage':" USAGE_OPENROUTER "}\n\n"
	DONE;

static void
test_stream_text(void)
{
	struct srun	 r, b;

	srun(&r, text_stream, 0, 1, 0);
	T(r.feedrc == 0 && r.finrc == 0 && r.done && !r.garbage && r.framed &&
	    r.whole, "stream text: fed, framed, done");
	T(strcmp(r.names, "message_start,content_block_start,"
	    "content_block_delta,content_block_delta,content_block_stop,"
	    "message_delta,message_stop") == 0, "stream text: events: %s",
	    r.names);
	T(eq(r.ev[0], "", "{'type':'message_start','message':{'id':"
	    "'msg_chatcmpl-9','type':'message','role':'assistant','model':"
	    "'gpt-x','content':[],'stop_reason':null,'stop_sequence':null,"
	    "'usage':{'input_tokens':0,'output_tokens':0}}}"),
	    "stream text: message_start");
	T(eq(r.ev[1], "", "{'type':'content_block_start','index':0,"
	    "'content_block':{'type':'text','text':''}}"),
	    "stream text: content_block_start");
	T(eq(r.ev[2], "", "{'type':'content_block_delta','index':0,'delta':"
	    "{'type':'text_delta','text':'Hel'}}") &&
	    eq(r.ev[3], "", "{'type':'content_block_delta','index':0,'delta':"
	    "{'type':'text_delta','text':'lo \xc3\xa9\xc3\xa9\\n\\'q\\'\\\\'}}"),
	    "stream text: deltas, escapes and UTF-8 exact");
	T(eq(r.ev[4], "", "{'type':'content_block_stop','index':0}"),
	    "stream text: content_block_stop");
	T(eq(r.ev[5], "", "{'type':'message_delta','delta':{'stop_reason':"
	    "'end_turn','stop_sequence':null},'usage':{'input_tokens':5,"
	    "'output_tokens':2,'cache_read_input_tokens':0,"
	    "'cache_creation_input_tokens':0}}") &&
	    eq(r.ev[6], "", "{'type':'message_stop'}"),
	    "stream text: message_delta with usage, message_stop");

	srun(&b, text_stream, 1, 1, 0);
	T(b.len == r.len && memcmp(b.out, r.out, r.len) == 0 && b.whole,
	    "stream text: byte by byte, the same");
	srun(&b, crlf(text_stream), 0, 1, 0);
	T(b.len == r.len && memcmp(b.out, r.out, r.len) == 0,
	    "stream text: CRLF, the same");
	srun(&b, crlf(text_stream), 1, 1, 0);
	T(b.len == r.len && memcmp(b.out, r.out, r.len) == 0,
	    "stream text: CRLF byte by byte, the same");
}

static void
test_stream_tools(void)
{
	struct srun	 r, b;
	json_t		*in;
	char		 args[256];
	size_t		 piece;
	int		 same = 1;

	srun(&r, tool_stream, 0, 1, 0);
	T(r.feedrc == 0 && r.done && r.framed && r.whole,
	    "stream tools: fed, framed, done");
	T(strcmp(r.names, "message_start,content_block_start,"
	    "content_block_delta,content_block_stop,content_block_start,"
	    "content_block_delta,content_block_delta,ping,content_block_stop,"
	    "content_block_start,content_block_delta,content_block_stop,"
	    "message_delta,message_stop") == 0, "stream tools: events: %s",
	    r.names);
	T(eq(r.ev[2], "delta", "{'type':'text_delta','text':'Checking.'}") &&
	    eq(r.ev[3], "", "{'type':'content_block_stop','index':0}"),
	    "stream tools: the text block closed for the tool");
	T(eq(r.ev[4], "", "{'type':'content_block_start','index':1,"
	    "'content_block':{'type':'tool_use','id':'call_1','name':"
	    "'get_weather','input':{}}}"), "stream tools: tool_use opened");
	T(eq(r.ev[5], "", "{'type':'content_block_delta','index':1,'delta':"
	    "{'type':'input_json_delta','partial_json':'{\\'ci'}}") &&
	    eq(r.ev[6], "delta", "{'type':'input_json_delta','partial_json':"
	    "'ty\\': \\'Par\xc3\xa9s\\'}'}"), "stream tools: argument pieces");
	T(eq(r.ev[7], "", "{'type':'ping'}"), "stream tools: keepalive: ping");
	(void)snprintf(args, sizeof(args), "%s%s",
	    json_string_value(at(r.ev[5], "delta.partial_json")),
	    json_string_value(at(r.ev[6], "delta.partial_json")));
	in = json_loads(args, 0, NULL);
	T(in != NULL && is_str(in, "city", "Par\xc3\xa9s"),
	    "stream tools: the pieces make the input");
	json_decref(in);
	T(eq(r.ev[8], "", "{'type':'content_block_stop','index':1}") &&
	    eq(r.ev[9], "", "{'type':'content_block_start','index':2,"
	    "'content_block':{'type':'tool_use','id':'call_2','name':"
	    "'get_time','input':{}}}") && eq(r.ev[10], "",
	    "{'type':'content_block_delta','index':2,'delta':{'type':"
	    "'input_json_delta','partial_json':'{}'}}") &&
	    eq(r.ev[11], "", "{'type':'content_block_stop','index':2}"),
	    "stream tools: a second tool call, a new block");
	T(eq(r.ev[12], "delta", "{'stop_reason':'tool_use',"
	    "'stop_sequence':null}"), "stream tools: stop_reason tool_use");
	T(same_usage(USAGE_OPENROUTER, r.data[12]),
	    "stream tools: usage in the finish chunk, read the same");

	for (piece = 1; piece < 40; piece++) {
		srun(&b, tool_stream, piece, 1, 0);
		if (b.len != r.len || memcmp(b.out, r.out, r.len) != 0 ||
		    !b.whole)
			same = 0;
	}
	T(same, "stream tools: in pieces of 1 to 39 bytes, the same");
	srun(&b, crlf(tool_stream), 3, 1, 0);
	T(b.len == r.len && memcmp(b.out, r.out, r.len) == 0,
	    "stream tools: CRLF in pieces, the same");

	/* a new id on the same index is another call; the same id is not */
	srun(&r,
	    CH("{'tool_calls':[{'index':0,'id':'a','function':{'name':'f',"
		"'arguments':'{}'}}]},'finish_reason':null")
	    CH("{'tool_calls':[{'index':0,'id':'a','function':"
		"{'arguments':''}}]},'finish_reason':null")
	    CH("{'tool_calls':[{'index':0,'id':'b','function':{'name':'g',"
		"'arguments':'{\\'x\\':1}'}}]},'finish_reason':null")
	    CH("{'tool_calls':[{'function':{'arguments':' '}}]},"
		"'finish_reason':null")
	    CH("{'content':'after'},'finish_reason':'stop'")
	    DONE, 0, 1, 0);
	T(strcmp(r.names, "message_start,content_block_start,"
	    "content_block_delta,content_block_stop,content_block_start,"
	    "content_block_delta,content_block_delta,content_block_stop,"
	    "content_block_start,content_block_delta,content_block_stop,"
	    "message_delta,message_stop") == 0 &&
	    eq(r.ev[4], "content_block.id", "'b'") &&
	    eq(r.ev[6], "delta.partial_json", "' '") &&
	    eq(r.ev[8], "", "{'type':'content_block_start','index':2,"
	    "'content_block':{'type':'text','text':''}}") &&
	    eq(r.ev[11], "delta.stop_reason", "'tool_use'"),
	    "stream tools: calls told apart by id; text after: block 2: %s",
	    r.names);

	/* a tool call with no id: one made up */
	srun(&r, CH("{'tool_calls':[{'index':0,'function':{'name':'f'}}]},"
	    "'finish_reason':'tool_calls'") DONE, 0, 1, 0);
	T(r.nev == 5 && strncmp(json_string_value(at(r.ev[1],
	    "content_block.id")), "toolu_xlate_", 12) == 0,
	    "stream tools: an id made up");
}

static void
test_stream_usage(void)
{
	struct srun	 r;

	srun(&r, CH("{'content':'x'},'finish_reason':null")
	    CH("{},'finish_reason':'stop'") USAGE_CH(USAGE_CACHED) DONE,
	    0, 1, 0);
	T(r.nev == 6 && same_usage(USAGE_CACHED, r.data[4]),
	    "stream usage: own chunk, cached tokens, read the same");
	T(eq(r.ev[4], "usage", "{'input_tokens':86,'output_tokens':300,"
	    "'cache_read_input_tokens':1920,'cache_creation_input_tokens':0}"),
	    "stream usage: own chunk, Anthropic's counts");
	srun(&r, CH("{'content':'x'},'finish_reason':null")
	    USAGE_CH(USAGE_OPENROUTER) DONE, 0, 1, 0);
	T(r.nev == 6 && same_usage(USAGE_OPENROUTER, r.data[4]),
	    "stream usage: cache writes, read the same");
	srun(&r, "data: {'id':'i','choices':[{'index':0,'delta':{'content':"
	    "'x'},'finish_reason':'length'}],'usage':{'prompt_tokens':3,"
	    "'completion_tokens':4}}\n\n" DONE, 0, 1, 0);
	T(r.nev == 6 && eq(r.ev[4], "", "{'type':'message_delta','delta':"
	    "{'stop_reason':'max_tokens','stop_sequence':null},'usage':"
	    "{'input_tokens':3,'output_tokens':4,'cache_read_input_tokens':0,"
	    "'cache_creation_input_tokens':0}}"),
	    "stream usage: in a content chunk; length: max_tokens");
	srun(&r, CH("{'content':'x'},'finish_reason':'content_filter'")
	    DONE, 0, 1, 0);
	T(r.nev == 6 && eq(r.ev[4], "", "{'type':'message_delta','delta':"
	    "{'stop_reason':'refusal','stop_sequence':null},'usage':"
	    "{'input_tokens':0,'output_tokens':0}}"),
	    "stream usage: none: zeros; content_filter: refusal");
	srun(&r, CH("{'content':'x'},'finish_reason':null")
	    USAGE_CH("{'prompt_tokens':1,'completion_tokens':1}")
	    USAGE_CH("{'prompt_tokens':8,'completion_tokens':9}") DONE,
	    0, 1, 0);
	T(r.nev == 6 && eq(r.ev[4], "usage.input_tokens", "8") &&
	    eq(r.ev[4], "usage.output_tokens", "9") &&
	    eq(r.ev[4], "delta.stop_reason", "'end_turn'"),
	    "stream usage: the last one; no finish_reason: end_turn");
}

static void
test_stream_ends(void)
{
	struct srun	 r;
	const char	*id;

	/*
	 * no [DONE]: no message_stop, but the end the upstream told of
	 * (finish reason, usage) goes out in a message_delta
	 */
	srun(&r, CH("{'content':'Hel'},'finish_reason':null")
	    CH("{'content':'lo'},'finish_reason':'stop'")
	    USAGE_CH("{'prompt_tokens':5,'completion_tokens':2}")
	    "data: {'id':'x','choices':[]", 0, 1, 0);
	T(r.feedrc == 0 && r.finrc == 0 && !r.done && !r.garbage &&
	    strcmp(r.names, "message_start,content_block_start,"
	    "content_block_delta,content_block_delta,content_block_stop,"
	    "message_delta") == 0 && eq(r.ev[5], "usage.input_tokens", "5") &&
	    eq(r.ev[5], "usage.output_tokens", "2") &&
	    eq(r.ev[5], "delta.stop_reason", "'end_turn'"),
	    "stream end: no [DONE]: its usage, no message_stop: %s", r.names);
	srun(&r, CH("{'content':'Hel'},'finish_reason':null"), 0, 1, 0);
	T(r.finrc == 0 && !r.done && strcmp(r.names, "message_start,"
	    "content_block_start,content_block_delta") == 0,
	    "stream end: cut before its end: nothing more: %s", r.names);
	srun(&r, CH("{'content':'Hel'},'finish_reason':null")
	    USAGE_CH("{'prompt_tokens':5,'completion_tokens':2}")
	    USAGE_CH("{}"), 0, 1, 0);
	T(r.finrc == 0 && !r.done && r.nev == 5 &&
	    eq(r.ev[4], "usage.output_tokens", "2"),
	    "stream end: an empty usage after one does not erase it");

	/* reasoning as thinking, before the text; refusal as text */
	srun(&r, CH("{'reasoning_content':'hm'},'finish_reason':null")
	    CH("{'reasoning':' so'},'finish_reason':null")
	    CH("{'content':'Yes'},'finish_reason':'stop'") DONE, 0, 1, 0);
	T(r.done && strcmp(r.names, "message_start,content_block_start,"
	    "content_block_delta,content_block_delta,content_block_stop,"
	    "content_block_start,content_block_delta,content_block_stop,"
	    "message_delta,message_stop") == 0 &&
	    eq(r.ev[1], "content_block", "{'type':'thinking','thinking':'',"
	    "'signature':''}") && eq(r.ev[2], "delta", "{'type':"
	    "'thinking_delta','thinking':'hm'}") && eq(r.ev[3], "delta",
	    "{'type':'thinking_delta','thinking':' so'}") &&
	    eq(r.ev[5], "index", "1") && eq(r.ev[6], "delta.text", "'Yes'"),
	    "stream: reasoning as a thinking block, then the text: %s",
	    r.names);
	srun(&r, CH("{'refusal':'No.'},'finish_reason':'stop'") DONE,
	    0, 1, 0);
	T(r.done && eq(r.ev[2], "delta", "{'type':'text_delta','text':"
	    "'No.'}"), "stream: a refusal as text");

	/* a tool call whose id comes with its second piece: one call */
	srun(&r, CH("{'tool_calls':[{'index':0,'function':{'name':'f',"
	    "'arguments':''}}]},'finish_reason':null")
	    CH("{'tool_calls':[{'index':0,'id':'call_9','function':"
	    "{'arguments':'{}'}}]},'finish_reason':'tool_calls'") DONE,
	    0, 1, 0);
	T(r.done && strcmp(r.names, "message_start,content_block_start,"
	    "content_block_delta,content_block_stop,message_delta,"
	    "message_stop") == 0 && eq(r.ev[1], "content_block.name", "'f'"),
	    "stream: a call's id on its second piece: one call: %s", r.names);

	/* [DONE] alone, then more that is not translated */
	srun(&r, DONE CH("{'content':'late'},'finish_reason':null")
	    "data: not json\n\n: ping\n\n", 0, 1, 0);
	id = json_string_value(at(r.ev[0], "message.id"));
	T(r.feedrc == 0 && r.finrc == 0 && r.done && !r.garbage &&
	    strcmp(r.names, "message_start,message_delta,message_stop") == 0 &&
	    id != NULL && strncmp(id, "msg_xlate_", 10) == 0 &&
	    eq(r.ev[0], "message.model", "''"),
	    "stream end: [DONE] alone; nothing after it: %s", r.names);

	/* garbage */
	srun(&r, CH("{'content':'a'},'finish_reason':null")
	    "data: {not json}\n\n" CH("{'content':'b'},'finish_reason':null")
	    DONE, 0, 1, 0);
	T(r.feedrc == -1 && r.finrc == -1 && r.garbage && !r.done &&
	    strcmp(r.names, "message_start,content_block_start,"
	    "content_block_delta") == 0, "stream end: garbage stops: %s",
	    r.names);
	srun(&r, "data: [1,2]\n\n", 1, 1, 0);
	T(r.feedrc == -1 && r.garbage && r.len == 0,
	    "stream end: JSON not an object: garbage");
	srun(&r, "data: \"[DONE]\"\n\n", 0, 1, 0);
	T(r.feedrc == -1 && r.garbage, "stream end: a quoted [DONE]: garbage");

	/* out() says stop */
	srun(&r, CH("{'content':'a'},'finish_reason':null")
	    CH("{'content':'b'},'finish_reason':null") DONE, 0, 1, 1);
	T(r.feedrc == -1 && r.finrc == -1 && !r.garbage && r.calls == 1,
	    "stream end: out() stops it, not garbage");

	/* an error chunk */
	srun(&r, CH("{'content':'a'},'finish_reason':null")
	    "data: {'id':'x','object':'chat.completion.chunk','error':"
	    "{'code':502,'message':'Provider \\'X\\' returned error'},"
	    "'choices':[{'index':0,'delta':{'content':''},"
	    "'finish_reason':'error'}]}\n\n" DONE, 0, 1, 0);
	T(r.feedrc == 0 && !r.done && !r.garbage && strcmp(r.names,
	    "message_start,content_block_start,content_block_delta,error") ==
	    0 && eq(r.ev[3], "", "{'type':'error','error':{'type':'api_error',"
	    "'message':'Provider \\'X\\' returned error'}}"),
	    "stream end: an error chunk: error, nothing after: %s", r.names);
	srun(&r, "data: {'error':{'code':500}}\n\n", 0, 1, 0);
	T(r.nev == 1 && eq(r.ev[0], "error.message", "'upstream error'"),
	    "stream end: an error without message");
}

static void
test_stream_misc(void)
{
	struct srun	 r;

	/* keepalives: one ping per comment-only event */
	srun(&r, ": OPENROUTER PROCESSING\n\n: a\n: b\n\n"
	    ": c\n" CH("{'content':'x'},'finish_reason':null")
	    "\n\n\n" "event: whatever\n\n" "data:\n\n" DONE, 0, 1, 0);
	T(r.done && strcmp(r.names, "ping,ping,message_start,"
	    "content_block_start,content_block_delta,content_block_stop,"
	    "message_delta,message_stop") == 0 &&
	    eq(r.ev[0], "", "{'type':'ping'}"),
	    "stream: keepalives as pings; empty events ignored: %s", r.names);

	/* ids with escapes, and a second choice ignored */
	srun(&r, "data: {'id':'a\\'b\\u00e9','model':'m\\\\1','choices':"
	    "[{'index':1,'delta':{'content':'no'}},{'index':0,'delta':"
	    "{'content':'yes'}}]}\n\n" DONE, 0, 1, 0);
	T(eq(r.ev[0], "message.id", "'msg_a\\'b\xc3\xa9'") &&
	    eq(r.ev[0], "message.model", "'m\\\\1'") &&
	    eq(r.ev[2], "delta.text", "'yes'") && r.nev == 6,
	    "stream: id and model exact; only choice 0");

	/* data split over lines, BOM, a CR line end */
	srun(&r, "\xef\xbb\xbf" "data: {'choices':[{'index':0,\r"
	    "data: 'delta':{'content':'z'}}]}\r\r" DONE, 1, 1, 0);
	T(r.done && r.nev == 6 && eq(r.ev[2], "delta.text", "'z'"),
	    "stream: data lines joined, BOM, CR line ends");
}

int
main(void)
{
	size_t	 i;

	log_init(1, LOG_DAEMON);
	log_setverbose(0);

	test_request_members();
	test_request_system();
	test_request_content();
	test_request_tools();
	test_request_errors();
	test_answer();
	test_stream_text();
	test_stream_tools();
	test_stream_usage();
	test_stream_ends();
	test_stream_misc();

	for (i = 0; i < npool; i++)
		free(pool[i]);
	for (i = 0; i < ntrees; i++)
		json_decref(trees[i]);
	return (test_done());
}
