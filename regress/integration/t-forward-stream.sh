# Streamed answers of the paid API (FORWARD-CONTRACT.md): events pass
# through as the upstream sends them, the upstream's usage chunk and
# [DONE] become one final chunk with Routstr's cost fields, then
# [DONE]; SSE in pieces, with CRLF, keepalive comments or the usage in a
# content chunk is read all the same; no usage gives an estimate; a
# client that goes away mid-stream pays for what was produced, less
# than the whole answer, and its reservation is released; X-Cashu
# streams are sent whole with the change in the header.

. "$(dirname "$0")/lib-forward.sh"

mock_start 1
M="http://127.0.0.1:$MOCK1/v1"
P1='price prompt 1000 completion 100000 max completion 1000'
write_conf "$T/conf" \
    "mint local { lightning fake delay 0 }" \
    "upstream mock { url \"$M\" }" \
    "upstream claude { type anthropic url \"$M\" }" \
    "model \"m1\" upstream mock $P1" \
    "upstream slow { url \"$M\" timeout 2 }" \
    "model \"cm\" upstream claude $P1" \
    "model \"mslow\" upstream slow $P1"
fwd_start "$T/conf"

PROMPT="ibex caracal tapir"
WORDS="one two three four five"
TOKENS=
KEY=$(new_key 300)
AUTH="Authorization: Bearer $KEY"

# sreq BODY [HEADER...]: a streamed POST /v1/chat/completions, its
# result (forward-client.py stream) in $T/s.json
sreq() {
	_b=$1
	shift
	$CLIENT stream "$URL/v1/chat/completions" "$_b" "$@" >"$T/s.json"
}

# sexpect WHAT PYTHON: assertions on the last sreq: r the result, d its
# data lines, ev the JSON ones, text the content
sexpect() {
	if python3 -c "import json, sys
r = json.load(open(sys.argv[1]))
d = r['data']
ev = []
for x in d:
    try:
        ev.append(json.loads(x))
    except ValueError:
        pass
def text_of(e):
    return ''.join((c.get('delta') or {}).get('content') or
        c.get('text') or '' for c in e.get('choices') or [])
text = ''.join(text_of(e) for e in ev)
$2" "$T/s.json" >"$T/sexpect.out" 2>&1; then
		ok "$1"
	else
		notok "$1"
		head -c 800 "$T/s.json" | sed 's/^/#   /'
		echo
		tail -n 3 "$T/sexpect.out" | sed 's/^/#   /'
	fi
}

SBODY="{\"model\": \"m1\", \"stream\": true, \"messages\": [{\"role\": \"user\", \"content\": \"$PROMPT\"}]}"

# The final chunk: the last data before [DONE], the only one with a
# cost; the upstream's own usage chunk (no content) is gone.
FINAL="
assert r['status'] == 200, r['status']
assert d[-1] == '[DONE]', d[-3:]
assert d.count('[DONE]') == 1, d
withc = [e for e in ev if 'cost' in (e.get('usage') or {})]
assert len(withc) == 1 and withc[0] is ev[-1], withc
assert not [e for e in ev[:-1] if e.get('usage') and not text_of(e)], ev
u = ev[-1]['usage']
assert set(u['cost']) >= {'base_msats', 'input_msats', 'output_msats',
    'total_msats'}, u
assert 'cost_sats' in u, u"

knobs "$MOCK1" "{\"content\": \"$WORDS\", \"delay_chunks\": 0.3, \"reset\": true}"
b0=$(bal "$KEY" | cut -d' ' -f1)
sreq "$SBODY" "$AUTH"
sexpect "a stream: 200, text/event-stream, the words as sent" "
assert r['status'] == 200, r['status']
assert r['headers']['content-type'].startswith('text/event-stream'), r
assert text == 'mock: $WORDS', text
assert all(e.get('model') == 'm1' for e in ev), ev"
sexpect "... passed through as it comes: the first event long before the end" "
t = r['t_data']
assert r['t_first'] is not None and r['t_first'] < 1.0, t
assert r['t_end'] - r['t_first'] > 1.2, (t, r['t_end'])
# 0.3 s between the upstream's events: none held back for the next
assert len(t) >= 6 and all(b - a > 0.1 for a, b in zip(t, t[1:5])), t"
sexpect "... a final chunk with usage.cost (603 msat), then [DONE]" "$FINAL
assert u['cost']['total_msats'] == 603, u
assert u['remaining_balance_msats'] == $b0 - 603, u"
is "... the balance down by 603" "$(bal "$KEY")" "$((b0 - 603)) 0"
check "... include_usage forced on upstream" mstat "$MOCK1" "0 if
    json.loads(s['last_body'])['stream_options']['include_usage'] is True
    else exit(1)"

# sknob WHAT KNOBS: a stream with those knobs, billed from the usage
sknob() {
	knobs "$MOCK1" "$2"
	_b0=$(bal "$KEY" | cut -d' ' -f1)
	sreq "$SBODY" "$AUTH"
	sexpect "a stream with $1: the words, 603 msat in the final chunk" "$FINAL
assert text == 'mock: $WORDS', text
assert u['cost']['total_msats'] == 603, u"
	is "... the balance down by 603" "$(bal "$KEY")" "$((_b0 - 603)) 0"
}
sknob "CRLF" "{\"content\": \"$WORDS\", \"crlf\": true}"
sknob "keepalive comments" "{\"content\": \"$WORDS\", \"keepalive\": true}"
sknob "events split in 3-byte pieces" "{\"content\": \"$WORDS\", \"split\": true}"
sknob "the usage in the last content chunk" \
    "{\"content\": \"$WORDS\", \"usage_in_content\": true}"
sknob "all of these" "{\"content\": \"$WORDS\", \"crlf\": true, \"keepalive\": true, \"split\": true, \"usage_in_content\": true}"
sknob "the usage sent though not asked for" \
    "{\"content\": \"$WORDS\", \"usage\": \"force\"}"

knobs "$MOCK1" "{\"content\": \"$WORDS\"}"
b0=$(bal "$KEY" | cut -d' ' -f1)
$CLIENT stream "$URL/v1/completions" "{\"model\": \"m1\", \"stream\": true, \"prompt\": \"$PROMPT\"}" "$AUTH" >"$T/s.json"
sexpect "a /v1/completions stream: the words, 603 msat in the final chunk" "$FINAL
assert text == 'mock: $WORDS', text
assert u['cost']['total_msats'] == 603, u"
is "... the balance down by 603" "$(bal "$KEY")" "$((b0 - 603)) 0"

knobs "$MOCK1" '{"usage": false}'
b0=$(bal "$KEY" | cut -d' ' -f1)
sreq "{\"model\": \"m1\", \"stream\": true, \"max_tokens\": 50, \"messages\": [{\"role\": \"user\", \"content\": \"$PROMPT\"}]}" "$AUTH"
sexpect "a stream without usage: an estimate, > 0 and < the 5000 reserved" "$FINAL
assert 0 < u['cost']['total_msats'] < 5000, u"
c=$(python3 -c "import json, sys
print(json.loads(json.load(open(sys.argv[1]))['data'][-2])['usage']['cost']['total_msats'])" "$T/s.json")
is "... the balance down by exactly that" "$(bal "$KEY")" "$((b0 - c)) 0"

knobs "$MOCK1" '{"no_done": true}'
b0=$(bal "$KEY" | cut -d' ' -f1)
sreq "$SBODY" "$AUTH"
# Without its [DONE] the answer counts as cut short: the larger of the
# reported and the estimated completion (upstream.h).
sexpect "an upstream stream without [DONE]: the final chunk and [DONE] all the same" "$FINAL
assert 503 <= u['cost']['total_msats'] < 99000, u"
c=$(python3 -c "import json, sys
print(json.loads(json.load(open(sys.argv[1]))['data'][-2])['usage']['cost']['total_msats'])" "$T/s.json")
is "... the balance down by that cost" "$(bal "$KEY")" "$((b0 - c)) 0"

knobs "$MOCK1" "{\"content\": \"$WORDS\", \"cut_after\": 3}"
b0=$(bal "$KEY" | cut -d' ' -f1)
sreq "$SBODY" "$AUTH"
sexpect "an upstream that cuts its stream: the client's stream ends" "
assert r['status'] == 200, r['status']
assert text.startswith('mock: one'), text"
b1=$(bal_settled "$KEY")
check "... the reservation released, at most the whole answer charged" \
    test "${b1#* }" = 0 -a "${b1% *}" -ge $((b0 - 603))

knobs "$MOCK1" "{\"content\": \"$WORDS\", \"garbage\": true}"
b0=$(bal "$KEY" | cut -d' ' -f1)
sreq "$SBODY" "$AUTH"
sexpect "an event that is not JSON after the first: the stream ends, final chunk" "$FINAL
assert text.startswith('mock:'), text
assert 'this is not JSON' not in r['body'], r['body']
assert 0 < u['cost']['total_msats'] < 603, u"
c=$(python3 -c "import json, sys
print(json.loads(json.load(open(sys.argv[1]))['data'][-2])['usage']['cost']['total_msats'])" "$T/s.json")
is "... the balance down by that, for the part produced" "$(bal_settled "$KEY")" \
    "$((b0 - c)) 0"

# The upstream's timeout (2 s) strikes in the middle of its stream.
knobs "$MOCK1" "{\"content\": \"$WORDS\", \"delay_chunks\": 0.8, \"reset\": true}"
b0=$(bal "$KEY" | cut -d' ' -f1)
sreq "$(echo "$SBODY" | sed 's/"m1"/"mslow"/')" "$AUTH"
sexpect "a stream longer than the upstream's timeout: cut, final chunk, [DONE]" "$FINAL
assert text.startswith('mock: one') and text != 'mock: $WORDS', text
assert 0 < u['cost']['total_msats'] < 603, u
assert r['t_end'] < 4, r['t_end']"
c=$(python3 -c "import json, sys
print(json.loads(json.load(open(sys.argv[1]))['data'][-2])['usage']['cost']['total_msats'])" "$T/s.json")
is "... the balance down by that, for the part produced" "$(bal_settled "$KEY")" \
    "$((b0 - c)) 0"
is "... the upstream hung up on" \
    "$(mstat "$MOCK1" 's["disconnects"], s["completed"]')" "1 0"

# --- the client goes away after the first chunk

LONG=$(python3 -c 'print(" ".join(["kestrel"] * 20))')
knobs "$MOCK1" "{\"content\": \"$LONG\"}"
b0=$(bal "$KEY" | cut -d' ' -f1)
sreq "$SBODY" "$AUTH"
sexpect "the whole answer of 21 words: 2103 msat" "$FINAL
assert u['cost']['total_msats'] == 2103, u"
is "... the balance down by 2103" "$(bal "$KEY")" "$((b0 - 2103)) 0"

knobs "$MOCK1" "{\"content\": \"$LONG\", \"delay_chunks\": 0.4, \"reset\": true}"
b0=$(bal "$KEY" | cut -d' ' -f1)
$CLIENT disconnect "$URL/v1/chat/completions" "$SBODY" "$AUTH" >"$T/d.json"
check "a client that goes away after the first chunk got one" \
    python3 -c "import json, sys
r = json.load(open(sys.argv[1]))
assert r['status'] == 200 and 'data:' in r['got'], r" "$T/d.json"
i=0
while [ "$(mstat "$MOCK1" 's["disconnects"]')" != 1 ] && [ $i -lt 50 ]; do
	i=$((i + 1))
	sleep 0.1
done
is "... the node hangs up on the upstream soon after" \
    "$(mstat "$MOCK1" 's["disconnects"], s["completed"]')" "1 0"
b1=$(bal_settled "$KEY")
is "... the reservation released" "${b1#* }" 0
check "... charged more than 0, less than the whole answer's 2103" \
    test $((b0 - ${b1% *})) -gt 0 -a $((b0 - ${b1% *})) -lt 2103
echo "# charged $((b0 - ${b1% *})) msat for the part produced"

knobs "$MOCK1" '{"delay_headers": 1.5, "reset": true}'
b0=$(bal "$KEY" | cut -d' ' -f1)
curl -s -o /dev/null --max-time 0.5 -H 'Content-Type: application/json' \
    -H "$AUTH" -d "$(chat "$PROMPT")" "$URL/v1/chat/completions"
b1=$(bal_settled "$KEY")
is "a client that leaves before any answer: nothing charged, nothing reserved" \
    "$b1" "$b0 0"
i=0
while [ "$(mstat "$MOCK1" 's["disconnects"]')" != 1 ] && [ $i -lt 30 ]; do
	i=$((i + 1))
	sleep 0.1
done
is "... the upstream hung up on" \
    "$(mstat "$MOCK1" 's["disconnects"], s["completed"]')" "1 0"

# --- other APIs' streams are billed too

knobs "$MOCK1" '{}'
b0=$(bal "$KEY" | cut -d' ' -f1)
$CLIENT stream "$URL/v1/messages" "{\"model\": \"cm\", \"stream\": true, \"max_tokens\": 10, \"messages\": [{\"role\": \"user\", \"content\": \"$PROMPT\"}]}" "$AUTH" >"$T/s.json"
sexpect "an Anthropic /v1/messages stream: its events" "
assert r['status'] == 200, r
assert any(e.get('type') == 'message_stop' for e in ev), d"
sexpect "... then, as Routstr Core, an event cost with the cost (503 msat)" "
assert r['body'].endswith('\\n\\n'), r['body'][-100:]
last = r['body'].rstrip('\\n').split('\\n\\n')[-1]
assert last.startswith('event: cost\\ndata: '), last
c = json.loads(last.split('data: ', 1)[1])['cost']
assert c['total_msats'] == 503 and c['input_tokens'] == 3, c
assert r['body'].index('message_stop') < r['body'].index('event: cost'), d"
is "... billed 503 msat" "$(bal "$KEY")" "$((b0 - 503)) 0"
b0=$(bal "$KEY" | cut -d' ' -f1)
$CLIENT stream "$URL/v1/responses" "{\"model\": \"m1\", \"stream\": true, \"input\": \"$PROMPT\"}" "$AUTH" >"$T/s.json"
sexpect "a /v1/responses stream: its events" "
assert r['status'] == 200, r
assert any(e.get('type') == 'response.completed' for e in ev), d"
sexpect "... response.completed last, named, with the cost as Routstr Core" "
e = ev[-1]
assert e['type'] == 'response.completed', e
assert 'event: response.completed\\ndata: ' in r['body'], r['body'][-300:]
u = e['response']['usage']
assert isinstance(u['cost'], float) and u['cost_sats'] == 0, u
assert u['remaining_balance_msats'] == $b0 - 503, u
assert e['metadata']['routstr']['cost']['total_msats'] == 503, e
assert e['cost']['total_msats'] == 503, e"
is "... billed 503 msat" "$(bal "$KEY")" "$((b0 - 503)) 0"

# --- X-Cashu: the stream collected, the change in the header

knobs "$MOCK1" "{\"content\": \"$WORDS\"}"
t=$(token 5)
TOKENS="$TOKENS $t"
sreq "{\"model\": \"m1\", \"stream\": true, \"max_tokens\": 10, \"messages\": [{\"role\": \"user\", \"content\": \"$PROMPT\"}]}" "X-Cashu: $t"
sexpect "X-Cashu stream: 200 text/event-stream, the final chunk (603 msat)" "$FINAL
assert r['headers']['content-type'].startswith('text/event-stream'), r
assert text == 'mock: $WORDS', text
assert u['cost']['total_msats'] == 603, u
assert r['headers']['x-cashu'].startswith('cashuB'), r['headers']"
change=$(python3 -c "import json, sys
print(json.load(open(sys.argv[1]))['headers']['x-cashu'])" "$T/s.json")
TOKENS="$TOKENS $change"
is "... the change, 5 sats less 1, redeems" "$(redeem "$change")" 4000

no_secrets "no prompt, answer, key or token in the -vv log" \
    ibex caracal tapir kestrel "$KEY" "${KEY#sk-}" $TOKENS cashuB
only_ports "no client address in the -vv log" "$PORT" "$MOCK1"
fwd_stop
