# Races on one balance (FORWARD-CONTRACT.md): 20 requests at once on a
# balance that covers 5 reservations (by an sk- key, and by a token
# never seen before as the key), one X-Cashu token spent by 10 requests
# at once, refunds racing top-ups and requests.  Whatever the order, no
# money is created or lost: what was spent plus what is left, or what
# came out plus what was given back, is what went in; no balance below
# 0.  Two proxy processes take the requests.

. "$(dirname "$0")/lib-forward.sh"

mock_start 1
P1='price prompt 1000 completion 100000 max completion 1000'
write_conf "$T/conf" \
    "mint local { lightning fake delay 0 }" \
    "prefork 2" \
    "upstream mock { url \"http://127.0.0.1:$MOCK1/v1\" }" \
    "model \"m1\" upstream mock $P1"
fwd_start "$T/conf"

PROMPT="gecko marmot dingo"
TOKENS=
# a reservation of 1000 msat, a cost of 503
BODY=$(chat "$PROMPT" 10)

# rexpect WHAT PYTHON: assertions on the results of the last race
# (forward-client.py race) in r
rexpect() {
	if python3 -c "import json, sys
r = json.load(open(sys.argv[1]))
st = sorted(x['status'] for x in r)
ok = [x for x in r if x['status'] == 200]
$2" "$T/race.json" >"$T/rexpect.out" 2>&1; then
		ok "$1"
	else
		notok "$1"
		python3 -c "import json, sys
r = json.load(open(sys.argv[1]))
print('statuses', sorted(x['status'] for x in r))
for x in r:
    if x['status'] not in (200, 402):
        print(x['body'][:200]); break" "$T/race.json" | sed 's/^/#   /'
		tail -n 3 "$T/rexpect.out" | sed 's/^/#   /'
	fi
}

# race20 WHAT CREDENTIAL-HEADER: 20 requests at once on 5000 msat, the
# upstream holding each for 1.5 s so that all are in flight together
race20() {
	knobs "$MOCK1" '{"delay_headers": 1.5, "reset": true}'
	$CLIENT race "$URL/v1/chat/completions" 20 "$BODY" "$2" >"$T/race.json"
	rexpect "$1: 5 served, 15 refused with 402" "
assert st == [200] * 5 + [402] * 15, st"
	rexpect "... each 402 insufficient_balance" "
for x in r:
    if x['status'] == 402:
        e = json.loads(x['body'])['error']
        assert e['code'] == 'insufficient_balance', e
        assert e['type'] == 'insufficient_quota', e"
	is "... only the 5 reached the upstream" \
	    "$(mstat "$MOCK1" 's["requests"]')" 5
	left=$(bal "${2#Authorization: Bearer }")
	rexpect "... what they cost plus what is left is the 5000 paid in" "
assert sum(int(x['cost']) for x in ok) + ${left% *} == 5000, \
    ([x['cost'] for x in ok], '$left')
assert all(x['cost'] == '503' for x in ok), [x['cost'] for x in ok]"
	is "... nothing left reserved" "${left#* }" 0
}

KEY=$(new_key 5)
race20 "20 at once on an sk- balance of 5 reservations" \
    "Authorization: Bearer $KEY"
t=$(token 5)
TOKENS="$TOKENS $t"
race20 "20 at once on a token never seen, as the key" "Authorization: Bearer $t"

# Without the upstream's delay the requests overlap less; more may be
# served as the first ones settle, never more than the balance.
knobs "$MOCK1" '{"reset": true}'
K2=$(new_key 5)
$CLIENT race "$URL/v1/chat/completions" 20 "$BODY" \
    "Authorization: Bearer $K2" >"$T/race.json"
left=$(bal "$K2")
rexpect "20 at once, no delay: only 200 and 402, costs + left = 5000" "
assert set(st) <= {200, 402}, st
assert 5 <= len(ok) <= 9, st
assert sum(int(x['cost']) for x in ok) + ${left% *} == 5000, '$left'"
is "... nothing left reserved" "${left#* }" 0

# One X-Cashu token, ten requests at once: one is served.
knobs "$MOCK1" '{"delay_headers": 0.5, "reset": true}'
t=$(token 5)
TOKENS="$TOKENS $t"
$CLIENT race "$URL/v1/chat/completions" 10 "$BODY" "X-Cashu: $t" \
    >"$T/race.json"
rexpect "one X-Cashu token in 10 requests at once: 1 served" "
assert len(ok) == 1, st
for x in r:
    if x['status'] != 200:
        e = json.loads(x['body'])['error']
        assert x['status'] == 400, x
        assert e['code'] == 'cashu_token_already_spent', e"
is "... the upstream asked once" "$(mstat "$MOCK1" 's["requests"]')" 1
req /v1/balance/refund '' "X-Cashu: $t"
change=$(j "j['token']")
TOKENS="$TOKENS $change"
is "... its change, 4 sats, redeems" "$(redeem "$change")" 4000

# --- refunds racing top-ups

lost=0
made=0
order=
for round in 1 2 3 4 5 6 7 8; do
	ka=$(new_key 3)
	tb=$(token 2)
	TOKENS="$TOKENS $tb"
	python3 -c "import json, sys
u, k, t = sys.argv[1:]
a = 'Authorization: Bearer ' + k
print(json.dumps([
    {'url': u + '/v1/balance/refund', 'body': '', 'headers': [a]},
    {'url': u + '/v1/balance/topup', 'body': json.dumps({'cashu_token': t}),
     'headers': [a]}]))" "$URL" "$ka" "$tb" |
	    $CLIENT batch >"$T/pair.json"
	rs=$(python3 -c "import json, sys
r = json.load(open(sys.argv[1]))
print(r[0]['status'], r[1]['status'])" "$T/pair.json")
	order="$order $rs"
	# Refund until the balance is closed (a 409 or a 400 "reserved"
	# from the race may come first); the same token every time after.
	i=0
	while :; do
		req /v1/balance/refund '' "Authorization: Bearer $ka"
		[ "$ST" = 200 ] && break
		i=$((i + 1))
		if [ $i -gt 20 ]; then
			notok "round $round: the refund never succeeds ($ST)"
			break
		fi
		sleep 0.1
	done
	rt=$(j "j['token']")
	TOKENS="$TOKENS $rt"
	out=$(redeem "$rt")
	back=0
	case $rs in
	*" 200") ;;
	*) back=$(redeem "$tb") ;;
	esac
	[ -z "$out" ] && out=0
	[ -z "$back" ] && back=0
	if [ $((out + back)) -gt 5000 ]; then
		made=$((made + out + back - 5000))
	else
		lost=$((lost + 5000 - out - back))
	fi
	[ $((out + back)) -ne 5000 ] &&
	    echo "# round $round: refund/topup $rs: out $out, top-up back $back"
	if [ "${rs% *}" = 200 ]; then
		first=$(python3 -c "import json, sys
print(json.loads(json.load(open(sys.argv[1]))[0]['body'])['token'])" \
		    "$T/pair.json")
		[ "$first" = "$rt" ] ||
		    notok "round $round: the refund asked again gave another token"
	fi
done
echo "# refund and top-up statuses by round:$order"
is "refund racing top-up, 8 rounds: no msat lost" "$lost" 0
is "... and none created" "$made" 0

# --- refunds racing requests: what came out plus what was charged is
# what went in, less at most the part of a sat a refund cannot carry

knobs "$MOCK1" '{"delay_headers": 0.2}'
bad=
order=
for round in 1 2 3 4 5 6; do
	ka=$(new_key 5)
	python3 -c "import json, sys
u, k, b = sys.argv[1:]
a = 'Authorization: Bearer ' + k
print(json.dumps([
    {'url': u + '/v1/chat/completions', 'body': b, 'headers': [a]},
    {'url': u + '/v1/balance/refund', 'body': '', 'headers': [a]}]))" \
	    "$URL" "$ka" "$BODY" | $CLIENT batch >"$T/pair.json"
	rs=$(python3 -c "import json, sys
r = json.load(open(sys.argv[1]))
print(r[0]['status'], r[0]['cost'] or 0, r[1]['status'])" "$T/pair.json")
	order="$order $rs;"
	i=0
	while :; do
		req /v1/balance/refund '' "Authorization: Bearer $ka"
		[ "$ST" = 200 ] && break
		i=$((i + 1))
		if [ $i -gt 30 ]; then
			bad="$bad round $round: no refund ($ST)"
			break
		fi
		sleep 0.1
	done
	rt=$(j "j['token']")
	TOKENS="$TOKENS $rt"
	out=$(redeem "$rt")
	set -- $rs
	case $1 in
	200|400|401|402) ;;
	*) bad="$bad round $round: the request got $1" ;;
	esac
	[ "$1" = 200 ] || [ "$2" = 0 ] ||
	    bad="$bad round $round: charged $2 for a $1"
	d=$((5000 - ${out:-0} - $2))
	[ $d -ge 0 ] && [ $d -lt 1000 ] ||
	    bad="$bad round $round: out ${out:-0} + cost $2 of 5000"
done
echo "# request (status cost) and refund statuses by round:$order"
is "refund racing a request, 6 rounds: no msat created, under a sat kept" \
    "$bad" ""

$CTL ledger check >"$T/audit" 2>&1
check "the ledger's audit: no problem" grep -q "^problems: 0" "$T/audit"
no_secrets "no prompt, key or token in the -vv log" \
    gecko marmot dingo "$KEY" "${KEY#sk-}" "$K2" $TOKENS cashuB
only_ports "no client address in the -vv log" "$PORT" "$MOCK1"
fwd_stop
