# The paid API when something is wrong (FORWARD-CONTRACT.md): requests
# refused before any money moves (malformed JSON, oversized body, no or
# unknown model, no or unknown credential), and upstreams that fail (an
# error status, a timeout, garbage, a refused connection, a body cut in
# the middle): nothing charged, nothing left reserved, and an X-Cashu
# payment given back whole.  Failover between two upstreams of a model,
# charged at the price of the one that answered.

. "$(dirname "$0")/lib-forward.sh"

mock_start 1
mock_start 2
DEAD=$(free_port)

# m1: 1 msat a prompt token, 100 a completion token, at most 1000 of
# those: a reservation of 99000 msat, or 100 * max_tokens.
P1='price prompt 1000 completion 100000 max completion 1000'
P2='price prompt 2000 completion 200000 max completion 1000'
write_conf "$T/conf" \
    "mint local { lightning fake delay 0 }" \
    "max body size 8K" \
    "upstream mock { url \"http://127.0.0.1:$MOCK1/v1\" }" \
    "upstream slow { url \"http://127.0.0.1:$MOCK1/v1\" timeout 2 }" \
    "upstream mockb { url \"http://127.0.0.1:$MOCK2/v1\" }" \
    "upstream dead { url \"http://127.0.0.1:$DEAD/v1\" }" \
    "model \"m1\" upstream mock $P1" \
    "model \"mslow\" upstream slow $P1" \
    "model \"mdead\" upstream dead $P1" \
    "model \"mf\" upstream mockb $P2" \
    "model \"mf\" upstream mock $P1" \
    "model \"mfd\" upstream dead $P1" \
    "model \"mfd\" upstream mockb $P2" \
    "model \"mft\" upstream slow $P1" \
    "model \"mft\" upstream mockb $P2" \
    "price source kraken url \"http://127.0.0.1:$DEAD/0/public/Ticker\"" \
    "model \"musd\" upstream mock price usd prompt 1 completion 2 max completion 1000"
fwd_start "$T/conf"

PROMPT="quokka narwhal axolotl"
CHAT=$(chat "$PROMPT")
KEY=$(new_key 100)
is "an sk- balance of 100 sats" "$(bal "$KEY")" "100000 0"
AUTH="Authorization: Bearer $KEY"

# --- refused before anything is reserved

req /v1/chat/completions '{"model": "m1", "messages": [' "$AUTH"
expect "malformed JSON: 400 invalid_json" "
assert S == 400
assert j['error']['code'] == 'invalid_json', j
assert j['error']['type'] == 'invalid_request_error', j
assert j['request_id'], j"
req /v1/chat/completions '[1, 2]' "$AUTH"
expect "a JSON array: 400 invalid_json" "
assert S == 400 and j['error']['code'] == 'invalid_json', j"

python3 -c "print('{\"model\": \"m1\", \"messages\": [{\"role\": \"user\", \"content\": \"' + 'a' * 20000 + '\"}]}')" >"$T/big"
ST=$(curl -s --max-time 10 -o "$T/body" -w '%{http_code}' \
    -H 'Content-Type: application/json' -H "$AUTH" \
    --data-binary @"$T/big" "$URL/v1/chat/completions")
is "a body over max body size (8K): 413" "$ST" 413

req /v1/chat/completions \
    '{"messages": [{"role": "user", "content": "hi"}]}' "$AUTH"
expect "no model: 400 missing_model" "
assert S == 400, S
assert j['error']['code'] == 'missing_model', j
assert j['error']['type'] == 'invalid_request_error', j"
req /v1/chat/completions '{"model": 5, "messages": []}' "$AUTH"
expect "a model that is not a string: 400 missing_model" "
assert S == 400 and j['error']['code'] == 'missing_model', j"

req /v1/chat/completions "$(chat "$PROMPT" "" nope)" "$AUTH"
expect "an unknown model: 400 invalid_model, Routstr Core's body" "
assert S == 400, S
assert sorted(j) == ['error', 'request_id'], j
assert j['error'] == {'message': \"Model 'nope' not found\",
    'type': 'invalid_model', 'code': 400}, j
assert j['request_id'] == H['x-routstr-request-id'], (j, H)"
req /v1/chat/completions "$(chat "$PROMPT" "" nope)"
expect "an unknown model and no credential: the model comes first (400)" "
assert S == 400 and j['error']['type'] == 'invalid_model', j"

req /v1/chat/completions "$CHAT"
expect "no credential: 401 unauthorized, pay_error's shape" "
assert S == 401, S
assert j['error']['code'] == 'unauthorized', j
assert j['detail']['error'] == j['error'], j
assert set(j['error']) == {'message', 'type', 'code'}, j
assert j['request_id'], j"
req /v1/chat/completions "$CHAT" \
    "Authorization: Bearer sk-$(printf '%064d' 7)"
expect "an unknown sk- key: 401 invalid_api_key" "
assert S == 401 and j['error']['code'] == 'invalid_api_key', j"
req /v1/chat/completions "$(chat "$PROMPT" "" musd)" "$AUTH"
expect "a model priced in USD with no BTC/USD rate: 503 price_unavailable" "
assert S == 503 and j['error']['code'] == 'price_unavailable', j"
is "... the upstream never asked" "$(mstat "$MOCK1" 's["requests"]')" 0
is "... nothing charged or reserved" "$(bal "$KEY")" "100000 0"

# --- the upstream fails: released, nothing charged (a reservation of
# 99000 left behind would make the next request a 402)

knobs "$MOCK1" '{"status": 500, "reset": true}'
req /v1/chat/completions "$CHAT" "$AUTH"
expect "upstream 500: its status and its error to the client" "
assert S == 500, S
assert j['error']['message'] == 'mock error 500', j"
is "... nothing charged, nothing reserved" "$(bal "$KEY")" "100000 0"

knobs "$MOCK1" '{"status": 429}'
req /v1/chat/completions "$CHAT" "$AUTH"
expect "upstream 429 (no other candidate): 429 to the client" "
assert S == 429, S"
is "... nothing charged, nothing reserved" "$(bal "$KEY")" "100000 0"

knobs "$MOCK1" '{"garbage": true}'
req /v1/chat/completions "$CHAT" "$AUTH"
expect "upstream garbage: 502 upstream_error" "
assert S == 502, S
assert j['error']['type'] == 'upstream_error', j
assert j['error']['code'] == 'upstream_error', j"
is "... nothing charged, nothing reserved" "$(bal "$KEY")" "100000 0"

knobs "$MOCK1" '{"cut_after": 0}'
req /v1/chat/completions "$CHAT" "$AUTH"
expect "upstream cuts its body in the middle: 502 upstream_error" "
assert S == 502 and j['error']['code'] == 'upstream_error', j"
is "... nothing charged, nothing reserved" "$(bal "$KEY")" "100000 0"

req /v1/chat/completions "$(chat "$PROMPT" "" mdead)" "$AUTH"
expect "upstream refuses the connection: 502 upstream_error" "
assert S == 502 and j['error']['code'] == 'upstream_error', j"
is "... nothing charged, nothing reserved" "$(bal "$KEY")" "100000 0"

knobs "$MOCK1" '{"hang": true}'
t0=$(date +%s)
req /v1/chat/completions "$(chat "$PROMPT" "" mslow)" "$AUTH"
t1=$(date +%s)
expect "upstream never answers (timeout 2): 504 upstream_timeout" "
assert S == 504 and j['error']['code'] == 'upstream_timeout', j"
check "... after about 2 s" test $((t1 - t0)) -ge 1 -a $((t1 - t0)) -le 6
is "... nothing charged, nothing reserved" "$(bal "$KEY")" "100000 0"

knobs "$MOCK1" '{"delay_headers": 5}'
req /v1/chat/completions "$(chat "$PROMPT" "" mslow)" "$AUTH"
expect "upstream answers after its timeout: 504 upstream_timeout" "
assert S == 504 and j['error']['code'] == 'upstream_timeout', j"
is "... nothing charged, nothing reserved" "$(bal "$KEY")" "100000 0"

knobs "$MOCK1" '{"status": 500}'
req /v1/chat/completions "$(chat "$PROMPT" 10 | sed 's/}$/, "stream": true}/')" \
    "$AUTH"
expect "a stream whose upstream answers 500: 500, no stream" "
assert S == 500, S
assert j['error']['message'] == 'mock error 500', j"
is "... nothing charged, nothing reserved" "$(bal "$KEY")" "100000 0"

knobs "$MOCK1" '{}'
req /v1/chat/completions "$CHAT" "$AUTH"
expect "then a request that reserves 99 of the 100 sats: served, 503 msat" "
assert S == 200, S
assert j['usage']['cost']['total_msats'] == 503, j['usage']
assert H['x-routstr-cost-msats'] == '503', H"
is "... the balance down by exactly that" "$(bal "$KEY")" "99497 0"

# --- X-Cashu: the whole amount back in the X-Cashu header

# xfail WHAT MODEL KNOBS STATUS: an X-Cashu payment of 2 sats failing
xfail() {
	knobs "$MOCK1" "$3"
	_t=$(token 2)
	TOKENS="$TOKENS $_t"
	req /v1/chat/completions "$(echo "$XCHAT" | sed "s/\"m1\"/\"$2\"/")" \
	    "X-Cashu: $_t"
	expect "X-Cashu, $1: $4 and the refund_token" "
assert S == $4, S
e = j['error']
assert e['message'] == 'Error forwarding request to upstream', j
assert e['type'] == 'upstream_error' and e['code'] == S, j
assert e['refund_token'].startswith('cashuB'), j
assert 'amount_required_msat' not in e, j
assert H['x-cashu'] == e['refund_token'], H"
	_r=$(hdr X-Cashu)
	TOKENS="$TOKENS $_r"
	req /v1/balance/refund '' "X-Cashu: $_t"
	expect "... /v1/balance/refund with the original: the same token" "
assert S == 200 and j['token'] == '$_r' and str(j['sats']) == '2', j"
	is "... the X-Cashu header redeems for the whole 2000 msat" \
	    "$(redeem "$_r")" 2000
}
TOKENS=
XCHAT=$(chat "$PROMPT" 10 | sed 's/}$/, "stream": true}/')
xfail "a stream, upstream 500" m1 '{"status": 500}' 500
XCHAT=$(chat "$PROMPT" 10)
xfail "upstream 500" m1 '{"status": 500}' 500
xfail "upstream 402 (its own account, not the token)" m1 '{"status": 402}' 402
xfail "garbage" m1 '{"garbage": true}' 502
xfail "cut in the middle" m1 '{"cut_after": 0}' 502
xfail "connection refused" mdead '{}' 502
xfail "timeout" mslow '{"hang": true}' 504

# --- failover: mf is cheaper on mock than on mockb

K2=$(new_key 20)
A2="Authorization: Bearer $K2"
for st in 502 429 400 401 403 404; do
	knobs "$MOCK1" "{\"status\": $st, \"reset\": true}"
	knobs "$MOCK2" '{"reset": true}'
	b0=$(bal "$K2" | cut -d' ' -f1)
	req /v1/chat/completions "$(chat "$PROMPT" 10 mf)" "$A2"
	expect "failover: the cheaper answers $st, the other serves" "
assert S == 200, S
assert j['model'] == 'mf', j
assert j['choices'][0]['message']['content'] == 'mock: hello from the mock'"
	is "... both asked, once each" \
	    "$(mstat "$MOCK1" 's["requests"]') $(mstat "$MOCK2" 's["requests"]')" \
	    "1 1"
	expect "... charged at the price of the one that served (1006 msat)" "
assert j['usage']['cost']['total_msats'] == 1006, j['usage']
assert H['x-routstr-cost-msats'] == '1006', H"
	is "... the balance down by 1006" "$(bal "$K2")" "$((b0 - 1006)) 0"
done

knobs "$MOCK1" '{"status": 200, "reset": true}'
knobs "$MOCK2" '{"reset": true}'
b0=$(bal "$K2" | cut -d' ' -f1)
req /v1/chat/completions "$(chat "$PROMPT" 10 mf)" "$A2"
expect "no failure: the cheaper serves, at its price (503 msat)" "
assert S == 200 and H['x-routstr-cost-msats'] == '503', (S, H)"
is "... the other never asked" "$(mstat "$MOCK2" 's["requests"]')" 0
is "... the balance down by 503" "$(bal "$K2")" "$((b0 - 503)) 0"

# --- a 400 naming a parameter the model does not take: the same
# upstream again without it (Routstr Core's request correction)

# tbody MODEL EXTRA: a chat body of 10 tokens at most with EXTRA members
tbody() {
	printf '{"model": "%s", "messages": [{"role": "user", "content": "%s"}], "max_tokens": 10%s}' \
	    "$1" "$PROMPT" "$2"
}
knobs "$MOCK1" '{"reject_param": "temperature", "reset": true}'
b0=$(bal "$K2" | cut -d' ' -f1)
req /v1/chat/completions "$(tbody m1 ', "temperature": 0.2, "top_p": 0.9')" "$A2"
expect "a 400 naming temperature: asked again without it, served" "
assert S == 200, (S, j)
assert j['choices'][0]['message']['content'] == 'mock: hello from the mock', j"
is "... the upstream asked twice" "$(mstat "$MOCK1" 's["requests"]')" 2
is "... the second time without temperature, with top_p" \
    "$(mstat "$MOCK1" '(lambda b: ("temperature" in b, b.get("top_p")))(json.loads(s["last_body"]))')" \
    "(False, 0.9)"
is "... charged once, 503 msat" "$(bal "$K2")" "$((b0 - 503)) 0"

# the last member taken out: the comma before it goes too
knobs "$MOCK1" '{"reject_param": "top_p", "reset": true}'
req /v1/chat/completions "$(tbody m1 ', "temperature": 0.2, "top_p": 0.9')" "$A2"
expect "... the parameter last in the body: served" "assert S == 200, (S, j)"
is "... the second body JSON, with temperature, without top_p" \
    "$(mstat "$MOCK1" '(lambda b: (b.get("temperature"), "top_p" in b, s["last_body"].rstrip()[-1]))(json.loads(s["last_body"]))')" \
    "(0.2, False, '}')"

knobs "$MOCK1" '{"reject_param": "top_p", "reject_text": "Unsupported parameter: '"'"'%s'"'"' is not supported with this model.", "reset": true}'
b0=$(bal "$K2" | cut -d' ' -f1)
req /v1/chat/completions "$(tbody m1 ', "top_p": 0.9, "stream": true')" "$A2"
expect "... streamed, another wording: served" "
assert S == 200, (S, B[:300])
assert 'data: [DONE]' in B, B[-300:]"
is "... the upstream asked twice" "$(mstat "$MOCK1" 's["requests"]')" 2
is "... charged once, 503 msat" "$(bal "$K2")" "$((b0 - 503)) 0"

knobs "$MOCK1" '{"reject_param": "max_tokens", "reset": true}'
b0=$(bal "$K2" | cut -d' ' -f1)
req /v1/chat/completions "$(tbody m1 '')" "$A2"
expect "... max_tokens, which the reservation rests on: the 400 as it came" "
assert S == 400, (S, j)
assert 'max_tokens' in j['error']['message'], j"
is "... asked once" "$(mstat "$MOCK1" 's["requests"]')" 1
is "... nothing charged, nothing reserved" "$(bal "$K2")" "$b0 0"

knobs "$MOCK1" '{"reject_param": "max_tokens", "reject_text": "Unsupported parameter: '"'"'%s'"'"' is not supported with this model. Use '"'"'max_completion_tokens'"'"' instead.", "reset": true}'
b0=$(bal "$K2" | cut -d' ' -f1)
req /v1/chat/completions "$(tbody m1 '')" "$A2"
expect "... max_tokens that the upstream wants as max_completion_tokens: served" "
assert S == 200, (S, j)"
is "... the second time with the same limit under that name" \
    "$(mstat "$MOCK1" '(s["requests"], (lambda b: ("max_tokens" in b, b.get("max_completion_tokens")))(json.loads(s["last_body"])))')" \
    "(2, (False, 10))"
is "... charged once, 503 msat" "$(bal "$K2")" "$((b0 - 503)) 0"

knobs "$MOCK1" '{"reject_param": "temperature", "reject_text": "`seed` is deprecated", "reset": true}'
req /v1/chat/completions "$(tbody m1 ', "temperature": 0.2')" "$A2"
expect "... naming a parameter the request does not have: the 400" "
assert S == 400 and 'seed' in j['error']['message'], (S, j)"
is "... asked once" "$(mstat "$MOCK1" 's["requests"]')" 1

knobs "$MOCK1" '{"reject_param": "temperature", "reset": true}'
knobs "$MOCK2" '{"reset": true}'
b0=$(bal "$K2" | cut -d' ' -f1)
req /v1/chat/completions "$(tbody mf ', "temperature": 0.2')" "$A2"
expect "... with two upstreams: corrected on the cheaper, no failover" "
assert S == 200 and H['x-routstr-cost-msats'] == '503', (S, H)"
is "... the cheaper asked twice, the other never" \
    "$(mstat "$MOCK1" 's["requests"]') $(mstat "$MOCK2" 's["requests"]')" \
    "2 0"
is "... charged once, 503 msat" "$(bal "$K2")" "$((b0 - 503)) 0"

knobs "$MOCK1" '{"status": 500, "reset": true}'
knobs "$MOCK2" '{"reset": true}'
b0=$(bal "$K2" | cut -d' ' -f1)
req /v1/chat/completions "$(chat "$PROMPT" 10 mf)" "$A2"
expect "the cheaper answers 500: no failover, 500 to the client" "
assert S == 500 and j['error']['message'] == 'mock error 500', j"
is "... the other never asked" "$(mstat "$MOCK2" 's["requests"]')" 0
is "... nothing charged, nothing reserved" "$(bal "$K2")" "$b0 0"

knobs "$MOCK1" '{"status": 502, "reset": true}'
knobs "$MOCK2" '{"status": 502, "reset": true}'
req /v1/chat/completions "$(chat "$PROMPT" 10 mf)" "$A2"
expect "both answer 502: the last one's 502 to the client" "
assert S == 502 and j['error']['message'] == 'mock error 502', j"
is "... nothing charged, nothing reserved" "$(bal "$K2")" "$b0 0"

# The cheaper fails, the other needs more than the balance holds.
knobs "$MOCK1" '{"status": 502, "reset": true}'
knobs "$MOCK2" '{"reset": true}'
K1=$(new_key 1)
req /v1/chat/completions "$(chat "$PROMPT" 10 mf)" "Authorization: Bearer $K1"
expect "failover to one that costs more than the balance: 402 or 502" "
assert S in (402, 502), S"
is "... the other not asked" "$(mstat "$MOCK2" 's["requests"]')" 0
is "... nothing charged, nothing reserved" "$(bal "$K1")" "1000 0"

knobs "$MOCK2" '{"reset": true}'
req /v1/chat/completions "$(chat "$PROMPT" 10 mfd)" "$A2"
expect "failover: the cheaper refuses the connection, the other serves" "
assert S == 200 and H['x-routstr-cost-msats'] == '1006', (S, H)"
is "... the balance down by 1006" "$(bal "$K2")" "$((b0 - 1006)) 0"

b0=$(bal "$K2" | cut -d' ' -f1)
knobs "$MOCK1" '{"hang": true, "reset": true}'
knobs "$MOCK2" '{"reset": true}'
req /v1/chat/completions "$(chat "$PROMPT" 10 mft)" "$A2"
expect "failover: the cheaper times out before a status, the other serves" "
assert S == 200 and H['x-routstr-cost-msats'] == '1006', (S, H)"
is "... the balance down by 1006" "$(bal "$K2")" "$((b0 - 1006)) 0"

$CTL ledger check >"$T/audit" 2>&1
check "the ledger's audit: no problem" grep -q "^problems: 0" "$T/audit"
no_secrets "no prompt, key or token in the -vv log" \
    quokka narwhal axolotl "$KEY" "${KEY#sk-}" "$K2" "${K2#sk-}" "$K1" $TOKENS \
    cashuB
only_ports "no client address in the -vv log" "$PORT" "$MOCK1" "$MOCK2" "$DEAD"
fwd_stop
