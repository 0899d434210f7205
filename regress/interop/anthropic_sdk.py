# The official Anthropic Python SDK (PyPI anthropic, pinned with its
# dependencies in requirements-anthropic.txt) pointed at the node as
# Claude Code and other users of the SDK point it at a gateway: base_url
# the node, the Cashu token as the bearer token (auth_token) or as the
# api_key (x-api-key), or a token per request in an X-Cashu header.  Prints TAP lines.  Run by
# t-anthropic.sh:
#
#	anthropic_sdk.py URL MODEL KIND PROMPT COMPLETION KEYTOK XTOK
#	    SMALLTOK
#
# MODEL is sold at PROMPT and COMPLETION sat per million tokens by an
# upstream of KIND "echo" (built in, speaks Messages), "anthropic"
# (regress/upstream-mock.py as an Anthropic upstream) or "openai" (the
# mock as an OpenAI upstream: the node translates).  KEYTOK is used as
# the API key, XTOK pays one request in X-Cashu, SMALLTOK (1 sat) is too
# small for any request.  Environment: NONCE, a word put in every
# prompt; MOCKPORT, the mock's port (its knobs make it call a tool).

import json
import os
import sys
import urllib.error
import urllib.request

import anthropic

(URL, MODEL, KIND, PPRICE, CPRICE, KEYTOK, XTOK,
 SMALLTOK) = sys.argv[1:9]
PPRICE, CPRICE = int(PPRICE), int(CPRICE)
NONCE = os.environ["NONCE"]
LABEL = "anthropic/" + KIND
SYSTEM = "You are terse."
failed = 0


def ok(cond, what):
    global failed
    print(("ok - " if cond else "not ok - ") + LABEL + ": " + what,
          flush=True)
    if not cond:
        failed += 1
    return cond


def note(s):
    for line in str(s).splitlines():
        print("#   " + line, flush=True)


def attempt(what, f):
    try:
        return f()
    except Exception as e:  # noqa: BLE001 -- any failure is a "not ok"
        ok(False, "%s: %s: %s" % (what, type(e).__name__, e))
        return None


def words(s):
    # as upstream_echo.c and upstream-mock.py count tokens
    return len(s.split()) or (1 if s else 0)


def balance(key):
    req = urllib.request.Request(URL + "/v1/balance/info", headers={
        "Authorization": "Bearer " + key})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            j = json.loads(r.read())
    except (urllib.error.URLError, ValueError) as e:
        note("balance/info: %s" % e)
        return None
    return j.get("balance")


def client(key, headers=None):
    # No retries: a payment must not be sent twice behind the test's back.
    return anthropic.Anthropic(base_url=URL, api_key=None, auth_token=key,
                               max_retries=0, timeout=60,
                               default_headers=headers)


def expected_cost(pt, ct):
    """As pricing_cost(): the sum rounded up to whole msat."""
    return -(-(pt * PPRICE + ct * CPRICE) // 1000)


def answer_of(text):
    """The answer the upstream gives and its tokens: the echo says the
    last user text back; the mock says its own words."""
    a = "mock: hello from the mock" if KIND != "echo" else "echo: " + text
    return a, words(a)


def prompt_tokens(text):
    # the echo and the mock count the words of the system prompt and
    # of the messages
    return words(SYSTEM) + words(text)


def create(c, key, bal):
    text = "Say hello to numbat%s please" % NONCE
    m = attempt("messages.create", lambda: c.messages.create(
        model=MODEL, max_tokens=50, system=SYSTEM,
        messages=[{"role": "user", "content": text}]))
    if m is None:
        return bal
    a, ct = answer_of(text)
    pt = prompt_tokens(text)
    ok(m.type == "message" and m.role == "assistant",
       "messages.create: a Message")
    ok(len(m.content) == 1 and m.content[0].type == "text" and
       m.content[0].text == a,
       "messages.create: its text block is the answer")
    if m.content and m.content[0].type == "text" and m.content[0].text != a:
        note(m.content[0].text)
    ok(m.stop_reason == "end_turn", "messages.create: stop_reason "
       "end_turn (got %s)" % m.stop_reason)
    ok(m.usage.input_tokens == pt and m.usage.output_tokens == ct,
       "messages.create: usage %d in, %d out (got %s, %s)" %
       (pt, ct, m.usage.input_tokens, m.usage.output_tokens))
    d = m.model_dump()
    cost = (d.get("usage") or {}).get("cost") or {}
    want = expected_cost(pt, ct)
    ok(cost.get("total_msats") == want,
       "messages.create: usage.cost.total_msats %s (got %s)" %
       (want, cost.get("total_msats")))
    after = balance(key)
    ok(bal is not None and after == bal - want,
       "messages.create: the balance went down by exactly the cost "
       "(%s -> %s)" % (bal, after))
    return after


def stream(c, key, bal):
    text = "Stream hello to quoll%s now" % NONCE
    got = {}

    def run():
        with c.messages.stream(model=MODEL, max_tokens=50, system=SYSTEM,
                               messages=[{"role": "user",
                                          "content": text}]) as s:
            got["text"] = "".join(s.text_stream)
            got["final"] = s.get_final_message()
        return True
    if attempt("messages.stream", run) is None:
        return bal
    a, ct = answer_of(text)
    pt = prompt_tokens(text)
    m = got["final"]
    ok(got["text"] == a, "messages.stream: text_stream is the answer")
    if got["text"] != a:
        note(got["text"])
    ok(m.content and m.content[0].text == a and
       m.stop_reason == "end_turn",
       "messages.stream: the final message, end_turn")
    ok(m.usage.output_tokens == ct,
       "messages.stream: usage %d out (got %s)" %
       (ct, m.usage.output_tokens))
    want = expected_cost(pt, ct)
    after = balance(key)
    ok(bal is not None and after == bal - want,
       "messages.stream: the balance went down by exactly %s msat "
       "(%s -> %s)" % (want, bal, after))
    return after


def count(c):
    text = "Count these words, bilby%s" % NONCE
    r = attempt("messages.count_tokens", lambda: c.messages.count_tokens(
        model=MODEL, messages=[{"role": "user", "content": text}]))
    if r is not None:
        ok(r.input_tokens == -(-len(text.encode()) // 4),
           "messages.count_tokens: the text at 4 bytes a token "
           "(got %s)" % r.input_tokens)


TOOL = {"name": "get_weather", "description": "The weather of a city.",
        "input_schema": {"type": "object", "properties": {
            "city": {"type": "string"}}, "required": ["city"]}}
CALL = {"id": "call_w1", "name": "get_weather",
        "arguments": json.dumps({"city": "Tromsø", "days": [1, 2]})}


def knobs(k):
    req = urllib.request.Request(
        "http://127.0.0.1:%s/mock/knobs" % os.environ["MOCKPORT"],
        data=json.dumps(k).encode(), method="POST")
    with urllib.request.urlopen(req, timeout=10) as r:
        r.read()


def check_call(what, m):
    uses = [b for b in m.content if b.type == "tool_use"]
    ok(m.stop_reason == "tool_use", what + ": stop_reason tool_use "
       "(got %s)" % m.stop_reason)
    ok(len(uses) == 1 and uses[0].id == CALL["id"] and
       uses[0].name == CALL["name"] and
       uses[0].input == json.loads(CALL["arguments"]),
       what + ": a tool_use block with the call's id, name and input")
    if len(uses) != 1:
        note(m.model_dump_json())


def tools(c, key, bal):
    """The upstream calls a tool: the SDK sees a tool_use block, whole
    and streamed (input_json_delta put together), then the result goes
    back; each billed as the text answer."""
    text = "Weather in Tromso, dingo%s?" % NONCE
    msgs = [{"role": "user", "content": text}]
    knobs({"tool_call": CALL})
    m = attempt("tool use", lambda: c.messages.create(
        model=MODEL, max_tokens=50, system=SYSTEM, tools=[TOOL],
        messages=msgs))
    a, ct = answer_of(text)
    want = expected_cost(prompt_tokens(text), ct)
    if m is not None:
        check_call("tool use", m)
        after = balance(key)
        ok(bal is not None and after == bal - want,
           "tool use: billed exactly %s msat" % want)
        bal = after
    got = {}

    def run():
        with c.messages.stream(model=MODEL, max_tokens=50, system=SYSTEM,
                               tools=[TOOL], messages=msgs) as s:
            got["final"] = s.get_final_message()
        return True
    if attempt("tool use, streamed", run) is not None:
        check_call("tool use, streamed", got["final"])
        after = balance(key)
        ok(bal is not None and after == bal - want,
           "tool use, streamed: billed exactly %s msat" % want)
        bal = after
    knobs({})
    if m is None:
        return bal
    # the result back: the upstream sees it (as a tool message when
    # translated) and answers
    msgs2 = msgs + [{"role": "assistant", "content": [
        b.model_dump(exclude_none=True) for b in m.content]},
        {"role": "user", "content": [{"type": "tool_result",
                                      "tool_use_id": CALL["id"],
                                      "content": "snow, -5 C"}]}]
    r = attempt("tool result", lambda: c.messages.create(
        model=MODEL, max_tokens=50, system=SYSTEM, tools=[TOOL],
        messages=msgs2))
    if r is not None:
        ok(r.stop_reason == "end_turn" and r.content[0].text == a,
           "tool result: the answer after it")
    return balance(key)


def errors(c):
    try:
        c.messages.create(model="no-such-model", max_tokens=5,
                          messages=[{"role": "user", "content": "hi"}])
        ok(False, "an unknown model raises BadRequestError")
    except anthropic.BadRequestError as e:
        ok(e.status_code == 400, "an unknown model raises BadRequestError")
    except Exception as e:  # noqa: BLE001
        ok(False, "an unknown model raises BadRequestError: %r" % e)
    small = client(SMALLTOK)
    try:
        small.messages.create(model=MODEL, max_tokens=50,
                              messages=[{"role": "user", "content": "hi"}])
        ok(False, "a 1-sat token: 402")
    except anthropic.APIStatusError as e:
        ok(e.status_code == 402, "a 1-sat token: 402 (got %s)" %
           e.status_code)
    except Exception as e:  # noqa: BLE001
        ok(False, "a 1-sat token: 402: %r" % e)


def xcashu():
    text = "Pay per request, wombat%s" % NONCE
    c = anthropic.Anthropic(base_url=URL, api_key="unused", max_retries=0,
                            timeout=60)
    raw = attempt("X-Cashu", lambda: c.messages.with_raw_response.create(
        model=MODEL, max_tokens=50,
        messages=[{"role": "user", "content": text}],
        extra_headers={"X-Cashu": XTOK}))
    if raw is None:
        return
    m = raw.parse()
    a, _ = answer_of(text)
    ok(m.content and m.content[0].text == a,
       "X-Cashu: the answer, parsed by the SDK")
    ch = raw.headers.get("x-cashu") or ""
    ok(ch.startswith("cashuB"), "X-Cashu: the change in the X-Cashu "
       "response header")


def main():
    c = client(KEYTOK)
    # the first request funds the account: the balance is read after it
    m = attempt("the token as the API key", lambda: c.messages.create(
        model=MODEL, max_tokens=5,
        messages=[{"role": "user", "content": "hi " + NONCE}]))
    ok(m is not None, "the token as the API key: a first answer")
    bal = balance(KEYTOK)
    bal = create(c, KEYTOK, bal)
    bal = stream(c, KEYTOK, bal)
    if KIND != "echo":
        bal = tools(c, KEYTOK, bal)
    # the SDK's default header, x-api-key, as the key: the same account
    xk = anthropic.Anthropic(base_url=URL, api_key=KEYTOK, max_retries=0,
                             timeout=60)
    bal = balance(KEYTOK)
    m = attempt("x-api-key", lambda: xk.messages.create(
        model=MODEL, max_tokens=5,
        messages=[{"role": "user", "content": "hi " + NONCE}]))
    after = balance(KEYTOK)
    ok(m is not None and bal is not None and after is not None and
       0 < bal - after,
       "the token as api_key (x-api-key): the same balance pays "
       "(%s -> %s)" % (bal, after))
    count(c)
    errors(c)
    xcashu()
    sys.exit(1 if failed else 0)


main()
