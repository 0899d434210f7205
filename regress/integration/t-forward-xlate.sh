# Anthropic's /v1/messages sold on an OpenAI-compatible upstream: the
# request goes out as chat completions (system first, tools, stop
# sequences, include_usage on streams), the answer comes back in
# Anthropic's shape, whole or streamed, with Routstr's cost; it is
# billed exactly as the same words by chat completions; a request that
# cannot be translated gets 400 and costs nothing; a model on both kinds
# of upstream goes to the cheaper.

. "$(dirname "$0")/lib-forward.sh"

mock_start 1
M="http://127.0.0.1:$MOCK1/v1"
P1='price prompt 1000 completion 100000 max completion 1000'
P2='price prompt 2000 completion 200000 max completion 1000'
write_conf "$T/conf" \
    "mint local { lightning fake delay 0 }" \
    "upstream mock { url \"$M\" }" \
    "upstream claude { type anthropic url \"$M\" }" \
    "model \"m1\" upstream mock as \"up-m1\" $P1" \
    "model \"both\" upstream claude $P2" \
    "model \"both\" upstream mock $P1"
fwd_start "$T/conf"

PROMPT="ibex caracal tapir"
WORDS="one two three four five"
KEY=$(new_key 300)
AUTH="Authorization: Bearer $KEY"
AV="anthropic-version: 2023-06-01"

# mbody [STREAM [EXTRA]]: a /v1/messages body for m1
mbody() {
	printf '{"model": "m1", "max_tokens": 10%s, "messages": [{"role": "user", "content": "%s"}]%s}' \
	    "${1:+, \"stream\": true}" "$PROMPT" "${2:+, $2}"
}

# last upstream request: path, then the body (as the mock got it)
upath() {
	mstat "$MOCK1" 's["last_path"]'
}

# --- a whole answer

knobs "$MOCK1" "{\"content\": \"$WORDS\"}"
b0=$(bal "$KEY" | cut -d' ' -f1)
req /v1/chat/completions "$(chat "$PROMPT" 10)" "$AUTH"
b1=$(bal "$KEY" | cut -d' ' -f1)
CHAT_COST=$((b0 - b1))
expect "chat completions first, for the price of the same words" \
    "assert S == 200 and $CHAT_COST > 0, (S, $CHAT_COST)"

req /v1/messages "$(mbody '' '"system": "be brief", "temperature": 0.5, "stop_sequences": ["END"], "top_k": 3')" "$AUTH" "$AV"
expect "/v1/messages on an OpenAI upstream: 200, an Anthropic message" "
assert S == 200, S
assert j['type'] == 'message' and j['role'] == 'assistant', j
assert j['id'].startswith('msg_'), j
assert j['content'] == [{'type': 'text', 'text': 'mock: $WORDS'}], j
assert j['stop_reason'] == 'end_turn', j
u = j['usage']
assert u['input_tokens'] == 5 and u['output_tokens'] == 6, u
assert 'cost' in j or 'cost' in u, j"
is "... the upstream was asked at /v1/chat/completions" "$(upath)" \
    "/v1/chat/completions"
ub=$(mstat "$MOCK1" 'json.dumps(s["last_body"])')
if python3 -c "import json, sys
b = json.loads(sys.argv[1])
if isinstance(b, str):
    b = json.loads(b)
assert b['model'] == 'up-m1', b
assert b['messages'] == [{'role': 'system', 'content': 'be brief'},
    {'role': 'user', 'content': '$PROMPT'}], b
assert b['max_tokens'] == 10 and b['temperature'] == 0.5, b
assert b['stop'] == ['END'], b
assert 'top_k' not in b and 'stop_sequences' not in b, b
assert 'stream' not in b or b['stream'] is False, b" "$ub" >"$T/py.out" 2>&1
then
	ok "... with chat completions' body: system first, stop, no top_k"
else
	notok "... with chat completions' body: system first, stop, no top_k"
	sed 's/^/#   /' "$T/py.out" | tail -n 3
fi
b2=$(bal "$KEY" | cut -d' ' -f1)
# the system prompt's two words are billed on top
req /v1/messages "$(mbody)" "$AUTH" "$AV"
b3=$(bal "$KEY" | cut -d' ' -f1)
is "... billed as chat completions bills the same words" \
    "$((b2 - b3))" "$CHAT_COST"
hdr x-routstr-cost-msats >"$T/c"
is "... the cost header says so" "$(cat "$T/c")" "$CHAT_COST"

# --- a stream

b0=$(bal "$KEY" | cut -d' ' -f1)
$CLIENT stream "$URL/v1/messages" "$(mbody 1)" "$AUTH" "$AV" >"$T/s.json"
SEV="
r = json.load(open(sys.argv[1]))
evs = []
for blk in r['body'].split('\n\n'):
    name, data = None, None
    for ln in blk.split('\n'):
        if ln.startswith('event: '):
            name = ln[7:]
        elif ln.startswith('data: '):
            data = json.loads(ln[6:])
    if name:
        evs.append((name, data))
names = [n for n, _ in evs]
text = ''.join(d['delta'].get('text', '') for n, d in evs
    if n == 'content_block_delta')"
sx() {
	if python3 -c "import json, sys
$SEV
$2" "$T/s.json" >"$T/py.out" 2>&1; then
		ok "$1"
	else
		notok "$1"
		head -c 900 "$T/s.json" | sed 's/^/#   /'
		echo
		tail -n 3 "$T/py.out" | sed 's/^/#   /'
	fi
}
sx "a stream: Anthropic's events in order, the text whole" "
assert r['status'] == 200, r['status']
assert r['headers']['content-type'].startswith('text/event-stream'), r
assert names[0] == 'message_start', names
assert names[1] == 'content_block_start', names
assert names[-4:] == ['content_block_stop', 'message_delta',
    'message_stop', 'cost'], names
assert text == 'mock: $WORDS', text
md = [d for n, d in evs if n == 'message_delta'][0]
assert md['delta']['stop_reason'] == 'end_turn', md
assert md['usage']['output_tokens'] == 6, md"
sx "... then the cost event, as for an Anthropic upstream" "
c = evs[-1][1]['cost']
assert c['total_msats'] == $CHAT_COST, c"
b1=$(bal "$KEY" | cut -d' ' -f1)
is "... billed as the whole answer" "$((b0 - b1))" "$CHAT_COST"
ub=$(mstat "$MOCK1" 'json.dumps(s["last_body"])')
if python3 -c "import json, sys
b = json.loads(sys.argv[1])
if isinstance(b, str):
    b = json.loads(b)
assert b['stream'] is True, b
assert b['stream_options'] == {'include_usage': True}, b" "$ub" \
    >"$T/py.out" 2>&1; then
	ok "... the upstream was asked for its usage"
else
	notok "... the upstream was asked for its usage"
	sed 's/^/#   /' "$T/py.out" | tail -n 3
fi

# no usage from the upstream: an estimate, not nothing
knobs "$MOCK1" "{\"content\": \"$WORDS\", \"usage\": false}"
b0=$(bal "$KEY" | cut -d' ' -f1)
$CLIENT stream "$URL/v1/messages" "$(mbody 1)" "$AUTH" "$AV" >"$T/s.json"
sx "a stream without usage still ends with message_stop and a cost" "
assert names[-2:] == ['message_stop', 'cost'], names
assert evs[-1][1]['cost']['total_msats'] > 0, evs[-1]"
b1=$(bal "$KEY" | cut -d' ' -f1)
expect "... billed by the estimate, more than nothing" \
    "assert $((b0 - b1)) > 0"

# an upstream stream that ends without [DONE], or with garbage: as for
# an Anthropic upstream, what came is passed on and paid for, and the
# client's stream still ends with message_stop and the cost
knobs "$MOCK1" "{\"content\": \"$WORDS\", \"no_done\": true}"
b0=$(bal "$KEY" | cut -d' ' -f1)
$CLIENT stream "$URL/v1/messages" "$(mbody 1)" "$AUTH" "$AV" >"$T/s.json"
sx "a stream without [DONE]: the text, its usage, message_stop, the cost" "
assert text == 'mock: $WORDS', text
assert names[-4:] == ['content_block_stop', 'message_delta',
    'message_stop', 'cost'], names
md = [d for n, d in evs if n == 'message_delta'][0]
assert md['usage']['output_tokens'] == 6, md
c = evs[-1][1]['cost']['total_msats']
assert c >= $CHAT_COST, c
open(sys.argv[1] + '.c', 'w').write(str(c))"
is "... billed that cost, nothing left reserved" "$(bal_settled "$KEY")" \
    "$((b0 - $(cat "$T/s.json.c" 2>/dev/null || echo 0))) 0"

knobs "$MOCK1" "{\"content\": \"$WORDS\", \"garbage\": true}"
b0=$(bal "$KEY" | cut -d' ' -f1)
$CLIENT stream "$URL/v1/messages" "$(mbody 1)" "$AUTH" "$AV" >"$T/s.json"
sx "garbage in the upstream's stream: the text before it, then the end" "
assert text == 'mock:', text
assert names[-2:] == ['message_stop', 'cost'], names
c = evs[-1][1]['cost']['total_msats']
open(sys.argv[1] + '.c', 'w').write(str(c))"
is "... billed that cost, nothing left reserved" "$(bal_settled "$KEY")" \
    "$((b0 - $(cat "$T/s.json.c" 2>/dev/null || echo 0))) 0"

# the client goes away after the first event: it pays for what was
# produced, the upstream is hung up on, the reservation released
LONG=$(python3 -c 'print(" ".join(["kestrel"] * 20))')
knobs "$MOCK1" "{\"content\": \"$LONG\", \"delay_chunks\": 0.4, \"reset\": true}"
b0=$(bal "$KEY" | cut -d' ' -f1)
$CLIENT disconnect "$URL/v1/messages" "$(mbody 1)" "$AUTH" "$AV" >"$T/d.json"
check "a client that leaves after the first event got one" \
    python3 -c "import json, sys
r = json.load(open(sys.argv[1]))
assert r['status'] == 200 and 'message_start' in r['got'], r" "$T/d.json"
i=0
while [ "$(mstat "$MOCK1" 's["disconnects"]')" != 1 ] && [ $i -lt 50 ]; do
	i=$((i + 1))
	sleep 0.1
done
is "... the node hangs up on the upstream" \
    "$(mstat "$MOCK1" 's["disconnects"], s["completed"]')" "1 0"
b1=$(bal_settled "$KEY")
is "... the reservation released" "${b1#* }" 0
check "... charged more than 0, less than the whole answer" \
    test $((b0 - ${b1% *})) -gt 0 -a $((b0 - ${b1% *})) -lt 2103

# --- errors

knobs "$MOCK1" '{"status": 500}'
b0=$(bal "$KEY")
req /v1/messages "$(mbody)" "$AUTH" "$AV"
expect "an upstream 500: an error, nothing charged" "assert S >= 500, S"
is "... the balance unchanged" "$(bal_settled "$KEY")" "$b0"

knobs "$MOCK1" '{}'
b0=$(bal "$KEY")
n0=$(mstat "$MOCK1" 's["requests"]')
req /v1/messages '{"model": "m1", "max_tokens": 10, "messages": [{"role": "user", "content": [{"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "x"}}]}]}' "$AUTH" "$AV"
expect "a block chat completions has no place for: 400, named" "
assert S == 400, S
assert j['error']['code'] == 'invalid_request', j
assert 'document' in j['error']['message'], j"
is "... the upstream never asked, nothing charged" \
    "$(mstat "$MOCK1" 's["requests"]') $(bal "$KEY")" "$n0 $b0"

req /v1/messages '{"model": "both", "max_tokens": 10, "messages": [{"role": "user", "content": [{"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "x"}}]}]}' "$AUTH" "$AV"
is "... but the model's Anthropic upstream takes it" "$ST $(upath)" \
    "200 /v1/messages"
req /v1/messages "{\"model\": \"both\", \"max_tokens\": 10, \"messages\": [{\"role\": \"user\", \"content\": \"$PROMPT\"}]}" "$AUTH" "$AV"
is "a model on both kinds: the cheaper (OpenAI) upstream serves it" \
    "$ST $(upath)" "200 /v1/chat/completions"

# an OpenAI reasoning model: max_tokens refused, max_completion_tokens
knobs "$MOCK1" '{"reject_param": "max_tokens", "reject_text": "Unsupported parameter: '"'"'%s'"'"' is not supported with this model. Use '"'"'max_completion_tokens'"'"' instead.", "reset": true}'
req /v1/messages "$(mbody)" "$AUTH" "$AV"
is "an upstream wanting max_completion_tokens: asked again with it" \
    "$ST $(mstat "$MOCK1" '(s["requests"], (lambda b: ("max_tokens" in b, b.get("max_completion_tokens")))(json.loads(s["last_body"])))')" \
    "200 (2, (False, 10))"

# --- tools, both ways

knobs "$MOCK1" '{}'
req /v1/messages '{"model": "m1", "max_tokens": 10, "tools": [{"name": "get_weather", "description": "the weather", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}], "tool_choice": {"type": "tool", "name": "get_weather"}, "messages": [{"role": "user", "content": "weather?"}, {"role": "assistant", "content": [{"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Oslo"}}]}, {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "call_1", "content": "rain"}, {"type": "text", "text": "and tomorrow?"}]}]}' "$AUTH" "$AV"
expect "a conversation with tools: 200" "assert S == 200, S"
ub=$(mstat "$MOCK1" 'json.dumps(s["last_body"])')
if python3 -c "import json, sys
b = json.loads(sys.argv[1])
if isinstance(b, str):
    b = json.loads(b)
assert b['tools'] == [{'type': 'function', 'function': {'name':
    'get_weather', 'description': 'the weather', 'parameters': {'type':
    'object', 'properties': {'city': {'type': 'string'}}}}}], b
assert b['tool_choice'] == {'type': 'function', 'function': {'name':
    'get_weather'}}, b
m = b['messages']
assert [x['role'] for x in m] == ['user', 'assistant', 'tool', 'user'], m
tc = m[1]['tool_calls'][0]
assert tc['id'] == 'call_1' and tc['function']['name'] == 'get_weather'
assert json.loads(tc['function']['arguments']) == {'city': 'Oslo'}, tc
assert m[2] == {'role': 'tool', 'tool_call_id': 'call_1',
    'content': 'rain'}, m[2]
assert m[3]['content'] == 'and tomorrow?', m[3]" "$ub" >"$T/py.out" 2>&1
then
	ok "... tools, tool calls and results as chat completions has them"
else
	notok "... tools, tool calls and results as chat completions has them"
	sed 's/^/#   /' "$T/py.out" | tail -n 3
fi

# --- X-Cashu: collected, the change in the header

knobs "$MOCK1" "{\"content\": \"$WORDS\"}"
t=$(token 5)
req /v1/messages "$(mbody)" "X-Cashu: $t" "$AV"
expect "X-Cashu: an Anthropic message, the change in the header" "
assert S == 200, S
assert j['type'] == 'message', j
assert j['content'][0]['text'] == 'mock: $WORDS', j
assert H['x-cashu'].startswith('cashuB'), H"
t=$(token 5)
$CLIENT stream "$URL/v1/messages" "$(mbody 1)" "X-Cashu: $t" "$AV" \
    >"$T/s.json"
sx "X-Cashu stream: Anthropic's events, collected, with the change" "
assert r['status'] == 200, r['status']
assert r['headers']['x-cashu'].startswith('cashuB'), r['headers']
assert 'message_stop' in names and text == 'mock: $WORDS', (names, text)"

no_secrets "prompts and keys stay out of the log" "$PROMPT" "$KEY" \
    caracal
fwd_stop
