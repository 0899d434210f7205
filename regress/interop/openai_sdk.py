# The official OpenAI Python SDK (PyPI openai, pinned with its
# dependencies in requirements-openai.txt) pointed at the node, as a
# user of the SDK would: base_url the node's /v1, a Cashu token or an
# sk- key as the API key, or a token per request in an X-Cashu header.
# Prints TAP lines ("ok - ..."/"not ok - ...").  Run by t-openai.sh:
#
#	openai_sdk.py URL MODEL KIND PROMPT COMPLETION KEYSATS KEYTOK SKTOK
#	    XSATS XTOK1 XTOK2 XTOK3 SMALLTOK
#
# MODEL is sold at PROMPT and COMPLETION sat per million tokens by an
# upstream of KIND "echo" (the built-in one) or "mock"
# (regress/upstream-mock.py).  KEYTOK (KEYSATS sat) is used as the API
# key; SKTOK (KEYSATS sat) funds an sk- key; XTOK1..3 (XSATS sat each)
# pay per request in X-Cashu; SMALLTOK (1 sat) is too small for any
# request.  Environment: NONCE, a word put in every prompt, and
# SECRETS, a file to which the keys and tokens the node hands out are
# appended (the caller greps the logs for them).

import json
import math
import os
import sys
import urllib.error
import urllib.request

import openai

(URL, MODEL, KIND, PPRICE, CPRICE, KEYSATS, KEYTOK, SKTOK, XSATS, XTOK1,
 XTOK2, XTOK3, SMALLTOK) = sys.argv[1:14]
PPRICE, CPRICE, KEYSATS, XSATS = (int(PPRICE), int(CPRICE), int(KEYSATS),
                                  int(XSATS))
NONCE = os.environ["NONCE"]
BASE = URL + "/v1"
LABEL = "python/" + KIND
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


def secret(s):
    if s:
        with open(os.environ["SECRETS"], "a") as f:
            f.write(s + "\n")


def words(s):
    # as upstream_echo.c and upstream-mock.py count tokens
    return len(s.split()) or (1 if s else 0)


def http(method, path, body=None, headers=None):
    """A plain request to the node: (status, JSON body or None)."""
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(URL + path, data=data, method=method,
                                 headers=h)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            st, raw = r.status, r.read()
    except urllib.error.HTTPError as e:
        st, raw = e.code, e.read()
    try:
        return st, json.loads(raw)
    except ValueError:
        return st, None


def balance(key):
    st, j = http("GET", "/v1/balance/info",
                 headers={"Authorization": "Bearer " + key})
    if st != 200 or not isinstance(j, dict):
        note("balance/info: %s %s" % (st, j))
        return None
    return j.get("balance")


def create(token):
    """POST /v1/balance/create with a token: (sk- key, msats) or Nones."""
    st, j = http("POST", "/v1/balance/create",
                 {"initial_balance_token": token})
    if st != 200 or not isinstance(j, dict):
        note("balance/create: %s %s" % (st, j))
        return None, None
    secret(j.get("api_key"))
    return j.get("api_key"), j.get("balance")


def client(key, headers=None):
    # No retries: a payment must not be sent twice behind the test's back.
    return openai.OpenAI(base_url=BASE, api_key=key, max_retries=0,
                         timeout=60, default_headers=headers)


def extra(o):
    """A pydantic model of the SDK as a dict, the fields it does not
    know (usage.cost, ...) included."""
    if o is None:
        return {}
    if isinstance(o, dict):
        return o
    return o.model_dump()


def expected_cost(pt, ct):
    """The cost in msat of pt prompt and ct completion tokens, as
    pricing_cost() splits it: the sum rounded up, the output rounded
    down, the input the rest."""
    total = -(-(pt * PPRICE + ct * CPRICE) // 1000)
    out = ct * CPRICE // 1000
    return total, total - out, out


def check_usage(what, usage, pt, ct):
    """usage (a dict) reports pt and ct tokens and Routstr's cost
    fields, exactly the tokens at the model's prices; the total_msats
    or None.  The Responses API's input_tokens and output_tokens count
    as prompt and completion tokens."""
    if "input_tokens" in usage and "prompt_tokens" not in usage:
        usage = dict(usage, prompt_tokens=usage["input_tokens"],
                     completion_tokens=usage.get("output_tokens"))
    cost = usage.get("cost")
    if not ok(isinstance(cost, dict) and
              isinstance(cost.get("total_msats"), int),
              what + ": usage.cost.total_msats is there"):
        note(json.dumps(usage))
        return None
    total = cost["total_msats"]
    if ct is None:
        ok(usage.get("prompt_tokens") == pt,
           what + ": usage counts %s prompt tokens (got %s)" %
           (pt, usage.get("prompt_tokens")))
    else:
        ok(usage.get("prompt_tokens") == pt and
           usage.get("completion_tokens") == ct,
           what + ": usage counts %s prompt and %s completion tokens "
           "(got %s, %s)" % (pt, ct, usage.get("prompt_tokens"),
                             usage.get("completion_tokens")))
    want = expected_cost(pt, ct or 0)
    got = (total, cost.get("input_msats"), cost.get("output_msats"))
    ok(got == want and cost.get("base_msats", 0) == 0,
       what + ": the cost is the tokens at the model's prices, "
       "%s msat (input %s + output %s)" % got)
    if got != want:
        note("want %s msat (input %s + output %s)" % want)
    ok(usage.get("cost_sats") is not None,
       what + ": usage.cost_sats is there")
    return total


MESSAGES_SYSTEM = "You are terse."


def chat_messages(text):
    return [{"role": "system", "content": MESSAGES_SYSTEM},
            {"role": "user", "content": text}]


def answer_of(text):
    """What the upstream answers and its completion tokens."""
    if KIND == "mock":
        a = "mock: hello from the mock"
    else:
        a = "echo: " + text
    return a, words(a)


def attempt(what, f):
    try:
        return f()
    except Exception as e:  # noqa: BLE001 -- any failure is a "not ok"
        ok(False, "%s: %s: %s" % (what, type(e).__name__, e))
        return None


def chat(c, who, key, bal):
    """A chat completion; the balance after, or None."""
    text = "Say hello to quokka%s please" % NONCE
    pt = words(MESSAGES_SYSTEM) + words(text)
    want, ct = answer_of(text)
    what = who + ": chat"
    raw = attempt(what, lambda: c.chat.completions.with_raw_response.create(
        model=MODEL, messages=chat_messages(text)))
    if raw is None:
        return None
    r = raw.parse()
    ok(raw.status_code == 200 and r.choices and
       r.choices[0].message.content == want,
       what + ": the answer is %r" % want)
    if r.choices and r.choices[0].message.content != want:
        note(repr(r.choices[0].message.content))
    ok(r.model == MODEL, what + ": model %r (as asked)" % r.model)
    usage = extra(r.usage)
    total = check_usage(what, usage, pt, ct)
    if total is None:
        return None
    ok(raw.headers.get("x-routstr-cost-msats") == str(total),
       what + ": X-Routstr-Cost-Msats says the same (%s)" %
       raw.headers.get("x-routstr-cost-msats"))
    ok(raw.headers.get("x-routstr-request-id") is not None,
       what + ": x-routstr-request-id is there")
    after = balance(key)
    ok(after is not None and bal is not None and after == bal - total,
       what + ": the balance went down by exactly the cost: %s - %s = %s"
       % (bal, total, after))
    ok(usage.get("remaining_balance_msats") == after,
       what + ": usage.remaining_balance_msats is the balance left")
    return after, total


def chat_cut(c, who, key, bal):
    """max_tokens cuts the answer; billed for what came."""
    text = "Count one two three four five six quokka%s" % NONCE
    pt = words(MESSAGES_SYSTEM) + words(text)
    what = who + ": chat with max_tokens 3"
    r = attempt(what, lambda: c.chat.completions.create(
        model=MODEL, messages=chat_messages(text), max_tokens=3))
    if r is None:
        return None
    usage = extra(r.usage)
    if KIND == "echo":
        ok(r.choices and r.choices[0].finish_reason == "length" and
           r.choices[0].message.content == "echo: Count one",
           what + ": cut to 3 tokens (finish_reason length)")
        ct = 3
    else:
        ct = words("mock: hello from the mock")
    total = check_usage(what, usage, pt, ct)
    if total is None:
        return None
    after = balance(key)
    ok(after is not None and bal is not None and after == bal - total,
       what + ": the balance went down by exactly the cost")
    return after, total


def stream(c, who, key, bal):
    """A streamed chat completion, read chunk by chunk."""
    text = "Stream me something about quokka%s today" % NONCE
    pt = words(MESSAGES_SYSTEM) + words(text)
    want, ct = answer_of(text)
    what = who + ": streaming chat"
    s = attempt(what, lambda: c.chat.completions.create(
        model=MODEL, messages=chat_messages(text), stream=True))
    if s is None:
        return None
    chunks = attempt(what + ": reading the chunks", lambda: list(s))
    if chunks is None:
        return None
    content = "".join(ch.choices[0].delta.content or "" for ch in chunks
                      if ch.choices)
    ncontent = sum(1 for ch in chunks if ch.choices and
                   ch.choices[0].delta.content)
    ok(content == want and ncontent >= 2,
       what + ": the answer arrives in %d content chunks, %r" %
       (ncontent, content))
    withusage = [i for i, ch in enumerate(chunks) if ch.usage is not None]
    if not ok(withusage == [len(chunks) - 1],
              what + ": one chunk has usage, the last of %d" % len(chunks)):
        note("chunks with usage: %s" % withusage)
        return None
    ok(all(ch.model == MODEL for ch in chunks),
       what + ": every chunk names model %r" % MODEL)
    usage = extra(chunks[-1].usage)
    total = check_usage(what + ", final chunk", usage, pt, ct)
    if total is None:
        return None
    after = balance(key)
    ok(after is not None and bal is not None and after == bal - total,
       what + ": the balance went down by exactly the cost: %s - %s = %s"
       % (bal, total, after))
    return after, total


def embeddings(c, who, key, bal):
    text = "quokka%s embeds these five words" % NONCE
    what = who + ": embeddings"
    raw = attempt(what, lambda: c.embeddings.with_raw_response.create(
        model=MODEL, input=text))
    if raw is None:
        return None
    r = raw.parse()
    v = r.data[0].embedding if r.data else None
    if KIND == "echo":
        # the SDK asked for base64 and decoded the float32s
        good = (isinstance(v, list) and len(v) == 8 and
                abs(math.sqrt(sum(x * x for x in v)) - 1) < 1e-4)
    else:
        good = v == [0.5, -0.5]
    ok(good, what + ": a vector (%s)" % (v if not isinstance(v, list)
                                         else "%d numbers" % len(v)))
    usage = extra(r.usage)
    total = check_usage(what, usage, words(text), None)
    if total is None:
        return None
    ok(raw.headers.get("x-routstr-cost-msats") == str(total),
       what + ": X-Routstr-Cost-Msats says the same")
    after = balance(key)
    ok(after is not None and bal is not None and after == bal - total,
       what + ": the balance went down by exactly the cost: %s - %s = %s"
       % (bal, total, after))
    return after, total


def completions(c, who, key, bal):
    """The legacy completions API."""
    text = "Complete this for quokka%s" % NONCE
    want, ct = answer_of(text)
    what = who + ": completions"
    raw = attempt(what, lambda: c.completions.with_raw_response.create(
        model=MODEL, prompt=text))
    if raw is None:
        return None
    r = raw.parse()
    ok(r.choices and r.choices[0].text == want,
       what + ": the answer is %r" % want)
    total = check_usage(what, extra(r.usage), words(text), ct)
    if total is None:
        return None
    ok(raw.headers.get("x-routstr-cost-msats") == str(total),
       what + ": X-Routstr-Cost-Msats says the same")
    after = balance(key)
    ok(after is not None and bal is not None and after == bal - total,
       what + ": the balance went down by exactly the cost")
    return after, total


def responses(c, who, key, bal):
    """The Responses API."""
    text = "Respond about quokka%s kindly" % NONCE
    want, ct = answer_of(text)
    what = who + ": responses"
    raw = attempt(what, lambda: c.responses.with_raw_response.create(
        model=MODEL, input=text))
    if raw is None:
        return None
    r = raw.parse()
    ok(r.output_text == want and r.model == MODEL,
       what + ": output_text is %r, model %r" % (want, r.model))
    total = check_usage(what, extra(r.usage), words(text), ct)
    if total is None:
        return None
    ok(raw.headers.get("x-routstr-cost-msats") == str(total),
       what + ": X-Routstr-Cost-Msats says the same")
    after = balance(key)
    ok(after is not None and bal is not None and after == bal - total,
       what + ": the balance went down by exactly the cost")
    return after, total


def responses_stream(c, who, key, bal):
    """The Responses API streamed: the events, and the usage of
    response.completed billed at the model's prices."""
    text = "Stream a response on quokka%s please" % NONCE
    pt = words(text)
    want, ct = answer_of(text)
    what = who + ": streaming responses"
    s = attempt(what, lambda: c.responses.create(model=MODEL, input=text,
                                                 stream=True))
    if s is None:
        return None
    events = attempt(what + ": reading the events", lambda: list(s))
    if events is None:
        return None
    deltas = [e.delta for e in events
              if e.type == "response.output_text.delta"]
    ok("".join(deltas) == want and len(deltas) >= 2,
       what + ": the answer arrives in %d deltas, %r" %
       (len(deltas), "".join(deltas)))
    done = [e for e in events if e.type == "response.completed"]
    if not ok(len(done) == 1 and done[0].response.usage is not None,
              what + ": response.completed has the usage"):
        return None
    u = done[0].response.usage
    ok(u.input_tokens == pt and u.output_tokens == ct,
       what + ": usage counts %d input and %d output tokens" % (pt, ct))
    total = expected_cost(pt, ct)[0]
    after = balance(key)
    ok(after is not None and bal is not None and after == bal - total,
       what + ": the balance went down by the tokens at the model's "
       "prices: %s - %s = %s" % (bal, total, after))
    return after, total


def bearer(who, key, bal):
    """Every call with one API key; bal is what it holds before."""
    c = client(key)
    start, spent, n = bal, 0, 0
    calls = (chat, chat_cut, stream, embeddings, completions, responses,
             responses_stream)
    for f in calls:
        r = f(c, who, key, bal)
        if r is None:
            # the next checks need an exact balance
            bal = balance(key)
            continue
        bal, total = r
        spent += total
        n += 1
    st, j = http("GET", "/v1/balance/info",
                 headers={"Authorization": "Bearer " + key})
    ok(n == len(calls) and st == 200 and isinstance(j, dict) and
       j.get("balance") == start - spent and j.get("reserved") == 0,
       who + ": after the %d calls the balance is down by the sum of "
       "their costs, %d msat, nothing left reserved" % (len(calls), spent))


def change_value(what, change, cost):
    """The change token redeems (it funds a balance) and is worth the
    token less the cost rounded up to whole sats."""
    want = XSATS - -(-cost // 1000)
    if not ok(change is not None and change.startswith("cashuB"),
              what + ": the change comes back in the X-Cashu header"):
        return
    secret(change)
    _, msats = create(change)
    ok(msats == want * 1000,
       what + ": the change redeems at the mint, %s msat = %d - "
       "ceil(%d / 1000) sat" % (msats, XSATS, cost))


def xcashu(skkey):
    who = "X-Cashu"
    skbal = balance(skkey)
    # The sk- key as the API key too: X-Cashu must win, the key's
    # balance stay as it is.
    c = client(skkey)
    text = "Pay per request for quokka%s now" % NONCE
    pt = words(MESSAGES_SYSTEM) + words(text)
    want, ct = answer_of(text)
    what = who + " in extra_headers: chat"
    raw = attempt(what, lambda: c.chat.completions.with_raw_response.create(
        model=MODEL, messages=chat_messages(text),
        extra_headers={"X-Cashu": XTOK1}))
    change1, cost1 = None, 0
    if raw is not None:
        r = raw.parse()
        ok(r.choices and r.choices[0].message.content == want,
           what + ": the answer is %r" % want)
        total = check_usage(what, extra(r.usage), pt, ct)
        ok(total is not None and
           raw.headers.get("x-routstr-cost-msats") == str(total),
           what + ": X-Routstr-Cost-Msats says the same")
        change1 = raw.headers.get("x-cashu")
        if total is not None:
            cost1 = total
            change_value(what, change1, total)

    what = who + ": the same token again"
    try:
        c.chat.completions.create(model=MODEL,
                                  messages=chat_messages(text),
                                  extra_headers={"X-Cashu": XTOK1})
        ok(False, what + ": refused")
    except openai.BadRequestError as e:
        ok(e.status_code == 400 and e.code == "cashu_token_already_spent",
           what + ": BadRequestError 400 cashu_token_already_spent "
           "(code %s)" % e.code)
    except Exception as e:  # noqa: BLE001
        ok(False, what + ": %s: %s" % (type(e).__name__, e))

    what = who + ": POST /v1/balance/refund with the original token"
    st, j = http("POST", "/v1/balance/refund", headers={"X-Cashu": XTOK1})
    ok(st == 200 and isinstance(j, dict) and change1 is not None and
       j.get("token") == change1 and
       str(j.get("sats")) == str(XSATS - -(-cost1 // 1000)),
       what + ": the same change again (%s, %s sats)" %
       (st, j.get("sats") if isinstance(j, dict) else None))

    what = who + " in default_headers: streaming chat"
    c2 = client(skkey, headers={"X-Cashu": XTOK2})
    text = "Stream and pay for quokka%s here" % NONCE
    pt = words(MESSAGES_SYSTEM) + words(text)
    want, ct = answer_of(text)
    raw = attempt(what, lambda: c2.chat.completions.with_raw_response.create(
        model=MODEL, messages=chat_messages(text), stream=True))
    if raw is not None:
        ok(raw.headers.get("content-type", "").startswith(
            "text/event-stream"),
           what + ": text/event-stream (%s)" %
           raw.headers.get("content-type"))
        chunks = attempt(what + ": reading the chunks",
                         lambda: list(raw.parse()))
        if chunks:
            content = "".join(ch.choices[0].delta.content or ""
                              for ch in chunks if ch.choices)
            ok(content == want, what + ": the answer is %r" % want)
            total = None
            if ok(chunks[-1].usage is not None,
                  what + ": the last chunk has usage"):
                total = check_usage(what + ", final chunk",
                                    extra(chunks[-1].usage), pt, ct)
            if total is not None:
                change_value(what, raw.headers.get("x-cashu"), total)

    what = who + ": embeddings"
    c3 = client(skkey, headers={"X-Cashu": XTOK3})
    text = "quokka%s pays for an embedding" % NONCE
    raw = attempt(what, lambda: c3.embeddings.with_raw_response.create(
        model=MODEL, input=text))
    if raw is not None:
        r = raw.parse()
        ok(r.data and isinstance(r.data[0].embedding, list),
           what + ": a vector")
        total = check_usage(what, extra(r.usage), words(text), None)
        if total is not None:
            change_value(what, raw.headers.get("x-cashu"), total)

    what = who + " with a 1 sat token"
    try:
        c.chat.completions.create(model=MODEL,
                                  messages=chat_messages(text),
                                  extra_headers={"X-Cashu": SMALLTOK})
        ok(False, what + ": refused")
    except openai.APIStatusError as e:
        d = e.body.get("detail") if isinstance(e.body, dict) else None
        ok(e.status_code == 402 and isinstance(d, dict) and
           d.get("type") == "minimum_balance_required" and
           isinstance(d.get("amount_required_msat"), int),
           what + ": 402 minimum_balance_required with the amount "
           "(%s)" % e.status_code)
        if not isinstance(d, dict):
            note(e.body)
    except Exception as e:  # noqa: BLE001
        ok(False, what + ": %s: %s" % (type(e).__name__, e))
    _, msats = create(SMALLTOK)
    ok(msats == 1000, what + ": the token was not spent (it funds a "
       "balance afterwards)")

    ok(balance(skkey) == skbal,
       who + ": the sk- key given as well was not charged")


def errors(skkey):
    c = client(skkey)
    what = "an unknown model"
    try:
        c.chat.completions.create(model="no-such-model",
                                  messages=chat_messages("hi"))
        ok(False, what + ": refused")
    except openai.BadRequestError as e:
        ok(e.status_code == 400 and e.type == "invalid_model",
           what + ": BadRequestError 400 invalid_model (%s)" % e.type)
    except Exception as e:  # noqa: BLE001
        ok(False, what + ": %s: %s" % (type(e).__name__, e))
    what = "an unknown sk- key"
    try:
        client("sk-" + "0" * 64).chat.completions.create(
            model=MODEL, messages=chat_messages("hi"))
        ok(False, what + ": refused")
    except openai.AuthenticationError as e:
        ok(e.status_code == 401 and e.code == "invalid_api_key",
           what + ": AuthenticationError 401 invalid_api_key (%s)" % e.code)
    except Exception as e:  # noqa: BLE001
        ok(False, what + ": %s: %s" % (type(e).__name__, e))


def main():
    ok(openai.__version__ == os.environ.get("OPENAI_PY_VERSION",
                                            openai.__version__),
       "the SDK is openai %s" % openai.__version__)
    # /v1/models is public: any key will do
    models = attempt("models.list()",
                     lambda: [m.id for m in client("none").models.list()])
    if models is not None:
        ok(MODEL in models, "models.list() has %r" % MODEL)
    m = attempt("models.retrieve()",
                lambda: client("none").models.retrieve(MODEL))
    if m is not None:
        ok(m.id == MODEL and
           isinstance(extra(m).get("sats_pricing"), dict),
           "models.retrieve(%r): the model, with its sats_pricing" % MODEL)
    try:
        client("none").models.retrieve("no-such-model")
        ok(False, "models.retrieve of an unknown model: NotFoundError")
    except openai.NotFoundError:
        ok(True, "models.retrieve of an unknown model: NotFoundError")
    except Exception as e:  # noqa: BLE001
        ok(False, "models.retrieve of an unknown model: %r" % e)

    # A Cashu token as the API key: redeemed at the first request.
    bearer("a Cashu token as the key", KEYTOK, KEYSATS * 1000)

    key, msats = create(SKTOK)
    if not ok(key is not None and key.startswith("sk-") and
              msats == KEYSATS * 1000,
              "POST /v1/balance/create: an sk- key with %s msat" % msats):
        return
    bearer("an sk- key", key, msats)
    xcashu(key)
    errors(key)


try:
    main()
except Exception as e:  # noqa: BLE001 -- never end without a "not ok"
    ok(False, "the driver stopped: %s: %s" % (type(e).__name__, e))
sys.exit(1 if failed else 0)
