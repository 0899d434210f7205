# The paid API when all goes well (FORWARD-CONTRACT.md): every route
# billed exactly from the upstream's usage, Routstr Core's cost fields
# and headers, the balance down by exactly the cost; 402 with the
# required amount (Bearer and X-Cashu, the token not spent); X-Cashu's
# change, which redeems, and which POST /v1/balance/refund gives again;
# no usage from the upstream (an estimate, neither 0 nor the maximum);
# usage beyond the reservation (at most the balance).

. "$(dirname "$0")/lib-forward.sh"

mock_start 1
mock_start 2
M="http://127.0.0.1:$MOCK1/v1"
P1='price prompt 1000 completion 100000 max completion 1000'
UPKEY=sk-upstream-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$UPKEY" >"$T/upstream.key"
chmod 0600 "$T/upstream.key"
write_conf "$T/conf" \
    "mint local { lightning fake delay 0 }" \
    "upstream mock { url \"$M\" }" \
    "upstream keyed { url \"$M\" key file \"$T/upstream.key\" }" \
    "model \"mk\" upstream keyed $P1" \
    "upstream claude { type anthropic url \"$M\" }" \
    "upstream mock2 { url \"http://127.0.0.1:$MOCK2/v1\" }" \
    "model \"m1\" upstream mock $P1" \
    "model \"m2\" upstream mock2 $P1" \
    "model \"mas\" upstream mock as \"upstream-name\" $P1" \
    "model \"mreq\" upstream mock $P1 request 5" \
    "model \"cm\" upstream claude $P1" \
    "model \"mcl\" upstream mock price prompt 10000 completion 100000 context length 1000 max completion 100"
fwd_start "$T/conf"

PROMPT="wombat pangolin okapi"
TOKENS=
KEY=$(new_key 200)
AUTH="Authorization: Bearer $KEY"

# --- Bearer sk-: each route, billed exactly

knobs "$MOCK1" '{"reset": true}'
req /v1/chat/completions "$(chat "$PROMPT")" "$AUTH"
expect "chat: 200, the upstream's answer, the model as asked" "
assert S == 200, S
assert j['model'] == 'm1', j
assert j['choices'][0]['message']['content'] == 'mock: hello from the mock', j
assert H['content-type'].startswith('application/json'), H"
expect "... usage.cost: 3 prompt tokens at 1, 5 completion at 100 msat" "
c = j['usage']['cost']
assert j['usage']['prompt_tokens'] == 3, j['usage']
assert j['usage']['completion_tokens'] == 5, j['usage']
assert (c['base_msats'], c['input_msats'], c['output_msats'],
    c['total_msats']) == (0, 3, 500, 503), c
assert j['usage']['cost_sats'] == 0, j['usage']
assert j['usage']['remaining_balance_msats'] == 200000 - 503, j['usage']"
expect "... the X-Routstr-Cost-* headers and the request id" "
assert H['x-routstr-cost-msats'] == '503', H
assert H['x-routstr-input-cost-msats'] == '3', H
assert H['x-routstr-output-cost-msats'] == '500', H
import re
assert re.fullmatch('[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-'
    '[0-9a-f]{12}', H['x-routstr-request-id']), H"
is "... GET /v1/balance/info: down by exactly 503" "$(bal "$KEY")" "199497 0"
check "... the upstream got the prompt, not the client's key" \
    mstat "$MOCK1" "0 if (
    json.loads(s['last_body'])['messages'][0]['content'] == '$PROMPT' and
    '${KEY#sk-}' not in json.dumps(s['last_headers'])) else exit(1)"

req /v1/chat/completions "$(chat "$PROMPT" 10 mk)" "$AUTH"
expect "an upstream with a key file: served" "assert S == 200, S"
is "... which it got as its Bearer key" \
    "$(mstat "$MOCK1" 's["last_headers"].get("authorization")')" \
    "Bearer $UPKEY"

req /v1/chat/completions "$(chat "$PROMPT" "" mas)" "$AUTH"
expect "a model sold as another upstream id: answered as the one asked" "
assert S == 200 and j['model'] == 'mas', j"
check "... asked upstream as upstream-name" mstat "$MOCK1" \
    "0 if json.loads(s['last_body'])['model'] == 'upstream-name' else exit(1)"

# The cost goes into the upstream's own text when it has none of the
# members, else the answer is rebuilt: the same fields either way.
COSTS="
u = j['usage']
assert u['cost'] == j['cost'], j
r = j['metadata']['routstr']
assert r['cost']['total_msats'] == u['cost']['total_msats'], r
assert r['sats_cost'] == u['cost_sats'], r
assert r['remaining_balance_msats'] == u['remaining_balance_msats'], r
assert int(H['x-routstr-cost-msats']) == u['cost']['total_msats'], H"
req /v1/chat/completions "$(chat "$PROMPT")" "$AUTH"
expect "metadata.routstr and a top-level cost, as usage.cost" "
assert S == 200 and j['model'] == 'm1', j
$COSTS"
knobs "$MOCK1" '{"indent": true}'
req /v1/chat/completions "$(chat "$PROMPT")" "$AUTH"
expect "... an answer over many lines: the same" "
assert S == 200 and j['model'] == 'm1', j
assert j['usage']['cost']['total_msats'] == 503, j
$COSTS"
knobs "$MOCK1" '{"usage_value": {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8, "cost": 0.00012, "cost_details": {"upstream_inference_cost": 0.0001}}}'
req /v1/chat/completions "$(chat "$PROMPT")" "$AUTH"
expect "... a usage.cost of the upstream's own (OpenRouter): ours instead" "
assert S == 200 and j['model'] == 'm1', j
assert j['usage']['cost']['total_msats'] == 503, j
assert j['usage']['cost_details'] == {'upstream_inference_cost': 0.0001}, j
$COSTS"
knobs "$MOCK1" '{"extra": {"metadata": {"trace": "t1"}, "cost": 7}}'
req /v1/chat/completions "$(chat "$PROMPT")" "$AUTH"
expect "... metadata and cost of the upstream's: routstr added, cost ours" "
assert S == 200 and j['model'] == 'm1', j
assert j['metadata']['trace'] == 't1', j
$COSTS"
knobs "$MOCK1" '{"usage_value": {}}'
req /v1/chat/completions "$(chat "$PROMPT")" "$AUTH"
expect "... an empty usage: the estimate's cost in it" "
assert S == 200, S
assert j['usage']['cost']['total_msats'] > 0, j
$COSTS"
knobs "$MOCK1" '{}'

b0=$(bal "$KEY" | cut -d' ' -f1)
req /chat/completions "$(chat "$PROMPT")" "$AUTH"
expect "/chat/completions without /v1: 503 msat" "
assert S == 200 and H['x-routstr-cost-msats'] == '503', (S, H)"
req /v1/completions "{\"model\": \"m1\", \"prompt\": \"$PROMPT\"}" "$AUTH"
expect "/v1/completions: 503 msat" "
assert S == 200 and j['choices'][0]['text'] == 'mock: hello from the mock', j
assert j['usage']['cost']['total_msats'] == 503, j
assert H['x-routstr-cost-msats'] == '503', H"
req /v1/embeddings "{\"model\": \"m1\", \"input\": \"$PROMPT\"}" "$AUTH"
expect "/v1/embeddings: 3 prompt tokens, 3 msat" "
assert S == 200 and j['data'][0]['embedding'] == [0.5, -0.5], j
assert j['usage']['cost']['total_msats'] == 3, j
assert H['x-routstr-cost-msats'] == '3', H"
req /v1/responses "{\"model\": \"m1\", \"input\": \"$PROMPT\"}" "$AUTH"
expect "/v1/responses: 503 msat" "
assert S == 200 and j['model'] == 'm1', j
assert H['x-routstr-cost-msats'] == '503', H"
req /v1/responses '{"input": {"model": "m1"}}' "$AUTH"
expect "/v1/responses with the model in input.model: served, 500 msat" "
assert S == 200 and H['x-routstr-cost-msats'] == '500', (S, j)"
req /v1/messages "{\"model\": \"cm\", \"max_tokens\": 10, \"messages\": [{\"role\": \"user\", \"content\": \"$PROMPT\"}]}" \
    "$AUTH"
expect "/v1/messages to an Anthropic upstream: 503 msat" "
assert S == 200 and j['model'] == 'cm', j
assert j['content'][0]['text'] == 'mock: hello from the mock', j
assert H['x-routstr-cost-msats'] == '503', H"
check "... asked at its /v1/messages" \
    mstat "$MOCK1" "0 if s['last_path'] == '/v1/messages' else exit(1)"
is "the balance down by the sum, 4 * 503 + 3 + 500" "$(bal "$KEY")" \
    "$((b0 - 4 * 503 - 3 - 500)) 0"

b0=$(bal "$KEY" | cut -d' ' -f1)
req /v1/chat/completions "$(chat "$PROMPT" 10 mreq)" "$AUTH"
expect "a request price of 5 sats: base_msats 5000, total 5503" "
c = j['usage']['cost']
assert S == 200, S
assert (c['base_msats'], c['total_msats']) == (5000, 5503), c
assert j['usage']['cost_sats'] == 5, j['usage']
assert H['x-routstr-cost-msats'] == '5503', H"
is "... the balance down by 5503" "$(bal "$KEY")" "$((b0 - 5503)) 0"

req /v1/chat/completions \
    "{\"messages\": [{\"role\": \"user\", \"content\": \"$PROMPT\"}]}" \
    "$AUTH" "X-Routstr-Model: m1"
expect "the model in X-Routstr-Model: served" "
assert S == 200 and H['x-routstr-cost-msats'] == '503', (S, j)"

# --- 402 with the required amount

K50=$(new_key 50)
req /v1/chat/completions "$(chat "$PROMPT")" "Authorization: Bearer $K50"
expect "Bearer, 50 sats for a reservation of 99000 msat: 402" "
assert S == 402, S
e = j['error']
assert e['type'] == 'insufficient_quota', j
assert e['code'] == 'insufficient_balance', j
assert j['detail']['error'] == e, j
assert '(99000 msats) required for this model' in e['message'], e
assert '(50000 msats) available' in e['message'], e
assert e['message'].startswith('Insufficient balance: '), e"
is "... nothing taken" "$(bal "$K50")" "50000 0"
req /v1/chat/completions "$(chat "$PROMPT" 10)" "Authorization: Bearer $K50"
expect "... with max_tokens 10 (a reservation of 1000): served" "
assert S == 200 and H['x-routstr-cost-msats'] == '503', (S, j)"
is "... down by 503" "$(bal "$K50")" "49497 0"

t=$(token 50)
TOKENS="$TOKENS $t"
req /v1/chat/completions "$(chat "$PROMPT")" "Authorization: Bearer $t"
expect "a token of 50 sats as the key, for 99000 msat: 402" "
assert S == 402 and j['error']['code'] == 'insufficient_balance', j"
is "... the token funds its balance all the same" "$(bal "$t")" "50000 0"
req /v1/chat/completions "$(chat "$PROMPT" 10)" "Authorization: Bearer $t"
expect "... which pays for a smaller request" "
assert S == 200 and H['x-routstr-cost-msats'] == '503', (S, j)"
is "... down by 503" "$(bal "$t")" "49497 0"

t=$(token 50)
TOKENS="$TOKENS $t"
req /v1/chat/completions "$(chat "$PROMPT")" "X-Cashu: $t"
expect "X-Cashu, 50 sats for 99000 msat: 402 minimum_balance_required" "
assert S == 402, S
assert sorted(j) == ['detail', 'request_id'], j
assert j['detail'] == {'reason': 'Insufficient balance',
    'amount_required_msat': 99000, 'model': 'm1',
    'type': 'minimum_balance_required'}, j"
is "... the token not spent: it still makes a balance of 50000" \
    "$(redeem "$t")" 50000

# mcl: 900 prompt tokens at 10 msat and 100 completion tokens at 100,
# 19000 msat, less 1%: 18810; the prompt of 21 characters (7 tokens)
# leaves 8910 - 70 = 8840 of the prompt allowance unused: 9970; with
# max_tokens 50, 9900 - 5000 = 4900 less again: 5070.
for mt in "" 50; do
	t=$(token 5)
	TOKENS="$TOKENS $t"
	req /v1/chat/completions "$(chat "wombat pangolin okapi" "$mt" mcl)" \
	    "X-Cashu: $t"
	want=9970
	[ -n "$mt" ] && want=5070
	expect "the reservation's discounts (max_tokens '$mt'): $want msat required" "
assert S == 402 and j['detail']['amount_required_msat'] == $want, j"
	is "... the token not spent" "$(redeem "$t")" 5000
done

# --- X-Cashu: the change

knobs "$MOCK1" '{"reset": true}'
t=$(token 5)
TOKENS="$TOKENS $t"
b0=$(bal "$KEY" | cut -d' ' -f1)
req /v1/chat/completions "$(chat "$PROMPT" 10)" "X-Cashu: $t" "$AUTH"
expect "X-Cashu of 5 sats (and a Bearer key): 200, cost 503 msat" "
assert S == 200, S
assert H['x-routstr-cost-msats'] == '503', H
assert j['usage']['cost']['total_msats'] == 503, j
assert H['x-cashu'].startswith('cashuB'), H"
change=$(hdr X-Cashu)
TOKENS="$TOKENS $change"
is "... X-Cashu wins: the key's balance untouched" "$(bal "$KEY")" "$b0 0"
req /v1/balance/refund '' "X-Cashu: $t"
expect "... /v1/balance/refund with the original: the same change, 4 sats" "
assert S == 200, S
assert j['token'] == '$change' and str(j['sats']) == '4', j
assert H['x-cashu'] == '$change', H"
is "... the change (5 sats less 1, the cost rounded up) redeems" \
    "$(redeem "$change")" 4000
req /v1/chat/completions "$(chat "$PROMPT" 10)" "X-Cashu: $t"
expect "... the same token again: 400 cashu_token_already_spent" "
assert S == 400 and j['error']['code'] == 'cashu_token_already_spent', j"
is "... the upstream asked once" "$(mstat "$MOCK1" 's["requests"]')" 1

# While an X-Cashu request runs its refund record says 425; after, the
# change.
knobs "$MOCK1" '{"delay_headers": 2.5}'
t=$(token 5)
TOKENS="$TOKENS $t"
curl -s -o /dev/null -D "$T/bg.hdr" --max-time 10 \
    -H 'Content-Type: application/json' -H "X-Cashu: $t" \
    -d "$(chat "$PROMPT" 10)" "$URL/v1/chat/completions" &
bg=$!
i=0
while :; do
	sleep 0.1
	req /v1/balance/refund '' "X-Cashu: $t"
	# 404 until the payment is recorded
	[ "$ST" = 404 ] && [ $i -lt 15 ] || break
	i=$((i + 1))
done
expect "X-Cashu, refund while the request runs: 425" "assert S == 425, S"
wait $bg
change=$(tr -d '\r' <"$T/bg.hdr" | sed -n 's/^[Xx]-[Cc]ashu: //p')
TOKENS="$TOKENS $change"
req /v1/balance/refund '' "X-Cashu: $t"
expect "... after it: 200, the change it got, 4 sats" "
assert S == 200 and j['token'] == '$change' and str(j['sats']) == '4', j"

# The client leaves before the answer: the upstream is hung up on,
# nothing was produced, the whole payment waits at /v1/balance/refund.
knobs "$MOCK1" '{"delay_headers": 1.5, "reset": true}'
t=$(token 5)
TOKENS="$TOKENS $t"
curl -s -o /dev/null --max-time 0.5 -H 'Content-Type: application/json' \
    -H "X-Cashu: $t" -d "$(chat "$PROMPT" 10)" "$URL/v1/chat/completions"
i=0
while :; do
	req /v1/balance/refund '' "X-Cashu: $t"
	[ "$ST" = 425 ] && [ $i -lt 50 ] || break
	sleep 0.1
	i=$((i + 1))
done
expect "X-Cashu, the client gone before the answer: refund 200, all 5 sats" "
assert S == 200 and str(j['sats']) == '5', j"
change=$(j "j['token']")
TOKENS="$TOKENS $change"
is "... which redeem" "$(redeem "$change")" 5000
is "... the upstream hung up on" \
    "$(mstat "$MOCK1" 's["disconnects"], s["completed"]')" "1 0"
knobs "$MOCK1" '{}'

t=$(token 1)
TOKENS="$TOKENS $t"
req /v1/chat/completions "$(chat "$PROMPT" 6)" "X-Cashu: $t"
expect "X-Cashu of 1 sat, cost 503 msat: no change, no X-Cashu header" "
assert S == 200 and H['x-routstr-cost-msats'] == '503', (S, H)
assert 'x-cashu' not in H, H"

t=$(token 3)
TOKENS="$TOKENS $t"
req /v1/balance/refund '' "X-Cashu: $t"
expect "refund with a token never used: 404" "assert S == 404, S"
is "... and that token is still good" "$(redeem "$t")" 3000

# --- no usage from the upstream: an estimate

knobs "$MOCK1" '{"usage": false}'
b0=$(bal "$KEY" | cut -d' ' -f1)
req /v1/chat/completions "$(chat "$PROMPT" 50)" "$AUTH"
expect "no usage upstream: charged an estimate, > 0 and < the 5000 reserved" "
assert S == 200, S
c = j['usage']['cost']['total_msats']
assert 0 < c < 5000, c
assert H['x-routstr-cost-msats'] == str(c), H"
c=$(j "j['usage']['cost']['total_msats']")
is "... the balance down by exactly that" "$(bal "$KEY")" "$((b0 - c)) 0"

t=$(token 5)
TOKENS="$TOKENS $t"
req /v1/chat/completions "$(chat "$PROMPT" 10)" "X-Cashu: $t"
expect "no usage upstream, X-Cashu of 5 sats: change back all the same" "
assert S == 200, S
c = int(H['x-routstr-cost-msats'])
assert 0 < c < 1000, c
assert H['x-cashu'].startswith('cashuB'), H"
c=$(hdr X-Routstr-Cost-Msats)
is "... the change redeems for 5 sats less the cost rounded up" \
    "$(redeem "$(hdr X-Cashu)")" "$((5000 - (c + 999) / 1000 * 1000))"

# --- Anthropic's messages/count_tokens: answered here, free

knobs "$MOCK1" '{"reset": true}'
b0=$(bal "$KEY")
req /v1/messages/count_tokens "{\"model\": \"cm\", \"messages\": [{\"role\": \"user\", \"content\": \"$PROMPT\"}]}" "$AUTH"
expect "messages/count_tokens: the prompt at 4 bytes a token" "
assert S == 200 and j == {'input_tokens': (len('$PROMPT') + 3) // 4}, (S, j)"
req /messages/count_tokens "{\"model\": \"cm\", \"system\": \"be brief\", \"messages\": [{\"role\": \"user\", \"content\": \"$PROMPT\"}], \"tools\": [{\"name\": \"get_weather\", \"input_schema\": {\"type\": \"object\"}}]}" "$AUTH"
expect "... without /v1, with system and tools counted" "
t = json.dumps([{'name': 'get_weather', 'input_schema': {'type': 'object'}}], separators=(',', ':'))
assert S == 200 and j == {'input_tokens': (len('$PROMPT') + len('be brief') + len(t) + 3) // 4}, (S, j)"
is "... the upstream never asked, nothing charged" \
    "$(mstat "$MOCK1" 's["requests"]') $(bal "$KEY")" "0 $b0"
req /v1/messages/count_tokens "{\"model\": \"cm\", \"messages\": []}"
expect "... without a key: 401" "assert S == 401, (S, j)"
req /v1/messages/count_tokens "{\"model\": \"nosuch\", \"messages\": []}" "$AUTH"
expect "... an unknown model: 400 invalid_model" "
assert S == 400 and j['error']['type'] == 'invalid_model', (S, j)"

# --- usage beyond the reservation: at most the balance

knobs "$MOCK1" '{"usage_value": {"prompt_tokens": 5000000, "completion_tokens": 5000000, "total_tokens": 10000000}}'
K120=$(new_key 120)
req /v1/chat/completions "$(chat "$PROMPT")" "Authorization: Bearer $K120"
expect "usage far beyond the reservation: served" "assert S == 200, S"
is "... charged the whole balance, no more: 0 left, nothing reserved" \
    "$(bal "$K120")" "0 0"
knobs "$MOCK1" '{}'
req /v1/chat/completions "$(chat "$PROMPT" 10)" "Authorization: Bearer $K120"
expect "... the next request: 402" "
assert S == 402 and j['error']['code'] == 'insufficient_balance', j"

# An overrun while another request of the balance holds a reservation
# (1000 msat, on mock2, which never answers): the overrun takes what is
# not reserved; the other, given up by its client, is released.
knobs "$MOCK1" '{"usage_value": {"prompt_tokens": 5000000, "completion_tokens": 5000000, "total_tokens": 10000000}}'
knobs "$MOCK2" '{"hang": true}'
K120B=$(new_key 120)
curl -s -o /dev/null --max-time 30 \
    -H 'Content-Type: application/json' -H "Authorization: Bearer $K120B" \
    -d "$(chat "$PROMPT" 10 m2)" "$URL/v1/chat/completions" &
bg=$!
i=0
while [ "$(bal "$K120B")" = "120000 0" ] && [ $i -lt 30 ]; do
	sleep 0.1
	i=$((i + 1))
done
is "a request holds 1000 msat of a balance of 120 sats" "$(bal "$K120B")" \
    "119000 1000"
req /v1/chat/completions "$(chat "$PROMPT")" "Authorization: Bearer $K120B"
expect "... an overrun meanwhile: served" "assert S == 200, S"
is "... charged what was not reserved, 119000" "$(bal "$K120B")" "0 1000"
{ kill "$bg"; wait "$bg"; } 2>/dev/null
is "... the other, its client gone, released: 1000 left" \
    "$(bal_settled "$K120B")" "1000 0"
knobs "$MOCK2" '{}'

t=$(token 5)
TOKENS="$TOKENS $t"
req /v1/chat/completions "$(chat "$PROMPT" 10)" "X-Cashu: $t"
expect "usage far beyond an X-Cashu payment: served, no change" "
assert S == 200, S
assert 'x-cashu' not in H, H"

$CTL ledger check >"$T/audit" 2>&1
check "the ledger's audit: no problem" grep -q "^problems: 0" "$T/audit"
no_secrets "no prompt, key or token in the -vv log" \
    wombat pangolin okapi "$KEY" "${KEY#sk-}" "$K50" "$K120" "$K120B" \
    $TOKENS cashuB \
    "$UPKEY"
only_ports "no client address in the -vv log" "$PORT" "$MOCK1" "$MOCK2"
fwd_stop
