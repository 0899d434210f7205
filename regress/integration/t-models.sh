# GET /v1/models with a model priced in sats and one priced in USD,
# the BTC/USD rate from regress/price-mock.py standing in for Kraken and
# Coinbase: the four paths, Routstr Core's fields in its order, USD and
# sats consistent at the lowest rate, a rate that goes stale and comes
# back, and the log of it.

. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
is_root && sh "$TOP/etc/mkusers.sh" >/dev/null
URL=http://127.0.0.1:$PORT

python3 "$TOP/regress/price-mock.py" --forever >"$T/mock.out" \
    2>"$T/mock.err" &
MOCK_PID=$!
trap 'kill $MOCK_PID 2>/dev/null; cleanup' EXIT
i=0
until grep -q '^ready' "$T/mock.out"; do
	i=$((i + 1))
	if [ $i -gt 100 ]; then
		notok "the price mock starts"
		exit 1
	fi
	sleep 0.05
done
MP=$(sed -n 's/^port //p' "$T/mock.out")
MOCK=http://127.0.0.1:$MP

knobs() {
	curl -s -S --max-time 5 -o /dev/null -w '%{http_code}' \
	    -d "$1" "$MOCK/mock/knobs" | grep -q '^200$'
}

# models PYTHON: assertions on /v1/models as d, its models by id in m
models() {
	http_get "$URL/v1/models" >"$T/models.json" || return 1
	python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
m = {x['id']: x for x in d['data']}
RATE = 97000.10
$1" "$T/models.json"
}

# until SECONDS PYTHON: until the assertions hold
until_models() {
	n=0
	while ! models "$2" >/dev/null 2>&1; do
		n=$((n + 1))
		[ $n -gt $(($1 * 5)) ] && { models "$2"; return 1; }
		sleep 0.2
	done
}

# No rate at first: every source fails.
knobs '{"kraken":{"mode":"status"},"coinbase":{"mode":"status"},"binance":{"mode":"status"}}'

write_conf "$T/conf" \
    "prefork 2" \
    "upstream demo { type echo }" \
    "price source kraken url \"$MOCK/0/public/Ticker?pair=XBTUSD\"" \
    "price source coinbase url \"$MOCK/v2/prices/BTC-USD/spot\"" \
    "price refresh 1" \
    "price max age 3" \
    "markup 1" \
    "model \"sat-model\" upstream demo price prompt 150 completion 600 request 1 context length 128000 max completion 16384" \
    "model \"usd-model\" upstream demo as \"gpt-4o\" price usd prompt 2.5 completion 10 cache read 1.25 context length 128000 markup 0"

check "the configuration checks out" "$ROUTSTRD" -n -f "$T/conf"
if ! start "$T/conf"; then
	notok "the suite starts"
	exit 1
fi
ok "the suite starts"

check "no rate: the sat model priced in sats, its USD prices 0" models "
s = m['sat-model']
assert s['sats_pricing']['prompt'] == 0.0001515, s
assert s['pricing']['prompt'] == 0 and s['pricing']['max_cost'] == 0, s"
check "no rate: the USD model in USD, sats_pricing null" models "
u = m['usd-model']
assert u['sats_pricing'] is None, u
assert u['pricing']['prompt'] == 2.5e-06 and u['pricing']['completion'] == 1e-05, u
assert u['pricing']['input_cache_read'] == 1.25e-06, u"

# The sources answer: kraken \$97,000.10, coinbase \$97,001.23.
knobs '{"kraken":{"mode":"ok"},"coinbase":{"mode":"ok"}}'
check "with a rate: the USD model gets its sats_pricing" until_models 5 "
assert m['usd-model']['sats_pricing'] is not None"
# Both proxy instances have it.
check "  from both proxy instances" until_models 5 "
assert m['usd-model']['sats_pricing'] is not None
assert m['sat-model']['pricing']['prompt'] > 0"

check "GET /v1/models: {\"data\": [...]}, Routstr Core's fields in order" models "
assert list(d) == ['data'], list(d)
assert [x['id'] for x in d['data']] == ['sat-model', 'usd-model']
keys = ['id', 'name', 'created', 'description', 'context_length',
    'architecture', 'pricing', 'sats_pricing', 'per_request_limits',
    'top_provider', 'enabled', 'upstream_provider_id', 'canonical_slug',
    'alias_ids', 'forwarded_model_id']
pk = ['prompt', 'completion', 'request', 'image', 'web_search',
    'internal_reasoning', 'input_cache_read', 'input_cache_write',
    'max_prompt_cost', 'max_completion_cost', 'max_cost']
for x in d['data']:
    assert list(x) == keys, list(x)
    assert list(x['pricing']) == pk and list(x['sats_pricing']) == pk, x
    assert all(isinstance(v, float) for v in x['pricing'].values()), x
    assert list(x['top_provider']) == ['context_length',
        'max_completion_tokens', 'is_moderated'], x
    assert x['enabled'] is True and x['context_length'] == 128000, x
    assert x['architecture']['modality'] == 'text->text', x
assert m['usd-model']['forwarded_model_id'] == 'gpt-4o'
assert m['sat-model']['forwarded_model_id'] is None
assert m['sat-model']['top_provider']['max_completion_tokens'] == 16384
assert m['usd-model']['top_provider']['max_completion_tokens'] is None"

check "sat model: sats per token with the 1% markup, USD at the lowest rate" models "
s = m['sat-model']['sats_pricing']
u = m['sat-model']['pricing']
assert s['prompt'] == 0.0001515 and s['completion'] == 0.000606, s
assert s['request'] == 1.01 and s['input_cache_read'] == 0.0001515, s
mx = ((128000 - 16384) * 0.1515 + 16384 * 0.606 + 1010) / 1000
assert abs(s['max_cost'] - mx) < 1e-9, (s['max_cost'], mx)
assert abs(s['max_prompt_cost'] - 128000 * 0.0001515) < 1e-9, s
for k in s:
    assert abs(u[k] - s[k] * RATE / 1e8) <= 1e-12 * max(1, u[k]), (k, u[k], s[k])"

check "USD model: no markup, sats per token at the lowest rate" models "
s = m['usd-model']['sats_pricing']
u = m['usd-model']['pricing']
assert u['prompt'] == 2.5e-06 and u['completion'] == 1e-05, u
assert u['request'] == 0 and s['request'] == 0, (u, s)
for k in u:
    assert abs(s[k] - u[k] / (RATE / 1e8)) <= 1e-12 * max(1, s[k]), (k, u[k], s[k])
assert abs(u['max_cost'] - 128000 * 1e-05) < 1e-12, u"

for p in /v1/models/ /models /models/; do
	check "GET $p is GET /v1/models" sh -c "
		curl -s -S --max-time 5 '$URL$p' >'$T/p.json' &&
		curl -s -S --max-time 5 '$URL/v1/models' >'$T/v.json' &&
		cmp -s '$T/p.json' '$T/v.json'"
done
check "GET /v1/models: 200, application/json" sh -c "
	curl -s -S -D - -o /dev/null --max-time 5 '$URL/v1/models' |
	    tr -d '\r' >'$T/h' &&
	grep -q '^HTTP/1.1 200' '$T/h' &&
	grep -qi '^content-type: application/json' '$T/h'"
check "POST /v1/models: 405" sh -c "
	test \$(curl -s -o /dev/null -w '%{http_code}' -d '{}' --max-time 5 \
	    '$URL/v1/models') = 405"
for p in /v1/models/sat-model /models/sat-model /v1/models/sat%2Dmodel; do
	check "GET $p: the list's entry of sat-model" sh -c "
		curl -s -S --max-time 5 '$URL$p' >'$T/one.json' &&
		curl -s -S --max-time 5 '$URL/v1/models' >'$T/v.json' &&
		python3 -c \"import json, sys
one = json.load(open(sys.argv[1]))
all = json.load(open(sys.argv[2]))['data']
assert one == [m for m in all if m['id'] == 'sat-model'][0], one\" \
		    '$T/one.json' '$T/v.json'"
done
check "GET /v1/models/nope: 404 model_not_found, OpenAI's shape" sh -c "
	test \$(curl -s -o '$T/nf.json' -w '%{http_code}' --max-time 5 \
	    '$URL/v1/models/nope') = 404 &&
	grep -q '\"code\":\"model_not_found\"' '$T/nf.json'"
check "GET /v1/models/sat-model/x, /v1/models/%00: 404" sh -c "
	test \$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
	    '$URL/v1/models/sat-model/x') = 404 &&
	test \$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
	    '$URL/v1/models/%00') = 404"

# Coinbase lower: the rate follows.
knobs '{"coinbase":{"price":"95000.00"}}'
check "coinbase lower: its \$95,000 is taken" until_models 6 "
s = m['usd-model']['sats_pricing']
assert abs(s['prompt'] - 2.5e-06 / 95000e-8) < 1e-15, s"

# Every source fails: stale after the max age, refused, then back.
knobs '{"kraken":{"mode":"garbage"},"coinbase":{"mode":"drop"}}'
check "all sources failing: the USD model loses its sats_pricing" \
    until_models 10 "
assert m['usd-model']['sats_pricing'] is None
assert m['sat-model']['sats_pricing']['prompt'] == 0.0001515"
check "  the sat model keeps its USD prices at the last rate" models "
u = m['sat-model']['pricing']
assert abs(u['prompt'] - 0.0001515 * 95000e-8) < 1e-18, u"
# The stale rate is logged at the end of the round that finds it stale,
# which may come a little after the models stopped selling.
wait_log 'BTC/USD rate older than 3 s' 10 >/dev/null
check "  logged: the sources, the stale rate" sh -c "
	grep -q 'price source kraken: no BTC/USD price in its answer' '$T/log' &&
	grep -q 'price source coinbase: ' '$T/log' &&
	grep -q 'BTC/USD rate older than 3 s' '$T/log'"
knobs '{"kraken":{"mode":"ok"},"coinbase":{"mode":"ok"}}'
check "the sources back: sats_pricing back" until_models 6 "
assert m['usd-model']['sats_pricing'] is not None
s = m['usd-model']['sats_pricing']
assert abs(s['prompt'] - 2.5e-06 / 95000e-8) < 1e-15, s"
sleep 2
# Each of the two proxies logs a source failing once, however many rounds.
check "failures logged once per proxy, not every round" sh -c "
	test \$(grep -c 'price source kraken: HTTP status 500' '$T/log') -eq 2 &&
	test \$(grep -c 'price source kraken: no BTC/USD price' '$T/log') -eq 2 &&
	test \$(grep -c 'price source kraken answers again' '$T/log') -eq 4"
check "no query string of a source in the log" sh -c "
	! grep -q 'pair=XBTUSD' '$T/log'"

kill -TERM "$SUITE_PID"
if wait_exit 20 && [ "$EXIT" = 0 ]; then
	ok "the suite stops"
else
	notok "the suite stops"
fi
