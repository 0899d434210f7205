# The mint's operator controls: routstrctl mint show (each keyset with
# what it issued and redeemed), routstrctl mint rotate (a new active
# keyset, the old ones still known and inactive, kept across restarts),
# and the input fee of routstrd.conf, which applies to the keysets made
# from then on and never changes one that exists.

. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
is_root && sh "$TOP/etc/mkusers.sh" >/dev/null
URL=http://127.0.0.1:$PORT
CTL="$ROUTSTRCTL -s $T/ctl.sock"

# show_is ID ACTIVE FEE ISSUED REDEEMED OUTSTANDING: the line of keyset ID
show_is() {
	$CTL mint show >"$T/show" || return 1
	awk -v id="$1" -v want="$2 $3 $4 $5 $6" '
	    $1 == id { n++; got = $2 " " $3 " " $4 " " $5 " " $6 " " $7 }
	    END { if (n != 1 || got != want) {
		print "want " want ", got " got; exit 1 } }' "$T/show" ||
	    { cat "$T/show"; return 1; }
}

# keysets_are JSON-CHECK: python over /v1/keysets as k
keysets() {
	http_get "$URL/v1/keysets" >"$T/keysets.json" || return 1
	python3 -c "
import json, sys
k = {x['id']: x for x in json.load(open(sys.argv[1]))['keysets']}
$1" "$T/keysets.json"
}

restart() {
	kill -TERM "$SUITE_PID"
	wait_exit 20
	cat "$T/log" >>"$T/logs"
	start "$1"
}

write_conf "$T/conf" "mint local { lightning fake }"
if ! start "$T/conf"; then
	notok "the suite starts with a local mint"
	exit 1
fi
ok "the suite starts with a local mint"

$CTL mint show >"$T/show"
ID0=$(awk 'NR == 2 { print $1 }' "$T/show")
check "mint show: a header and one keyset" sh -c "
	head -n 1 '$T/show' | grep -q '^KEYSET  *UNIT  *ACTIVE  *FEE  *ISSUED  *REDEEMED  *OUTSTANDING\$' &&
	test \$(wc -l <'$T/show') = 2"
check "  sat, active, no fee, 0 issued, 0 redeemed" show_is "$ID0" "sat yes" 0 0 0 0
check "  the id of /v1/keysets" keysets "assert list(k) == ['$ID0'] and k['$ID0']['active'], k"

t21=$($CTL mint token 21)
check "mint token 21: issued 21, outstanding 21" show_is "$ID0" "sat yes" 0 21 0 21
$CTL mint token 100 >/dev/null
check "mint token 100: issued 121" show_is "$ID0" "sat yes" 0 121 0 121
check "the audit agrees" sh -c "$CTL ledger check >'$T/audit' &&
	grep -q '^problems: 0' '$T/audit'"

if ! restart "$T/conf"; then
	notok "the suite restarts"
	exit 1
fi
check "after a restart, the same totals" show_is "$ID0" "sat yes" 0 121 0 121

# Rotation.
$CTL mint rotate >"$T/rotate" 2>&1
rc=$?
ID1=$(sed -n 's/^sat keyset \([0-9a-f]*\) active (index 1, input fee 0 ppk); .* inactive$/\1/p' "$T/rotate")
check "mint rotate: a new sat keyset, index 1, the old one inactive" sh -c "
	test $rc = 0 && test -n '$ID1' && test '$ID1' != '$ID0' &&
	grep -q '; $ID0 inactive\$' '$T/rotate'"
check "/v1/keysets: the old inactive, the new active" keysets "
assert set(k) == {'$ID0', '$ID1'}, k
assert k['$ID0']['active'] is False and k['$ID1']['active'] is True, k
assert k['$ID1']['unit'] == 'sat' and k['$ID1']['id'].startswith('01'), k"
check "/v1/keys: the active keyset only" sh -c "
	curl -s '$URL/v1/keys' | python3 -c '
import json, sys
k = json.load(sys.stdin)[\"keysets\"]
assert [x[\"id\"] for x in k] == [\"$ID1\"], k'"
check "/v1/keys/{old id}: still served, inactive" sh -c "
	curl -s '$URL/v1/keys/$ID0' | grep -q '\"active\":false'"
check "mint show: the old keyset keeps its totals, inactive" \
    show_is "$ID0" "sat no" 0 121 0 121
check "mint show: the new one has none yet" show_is "$ID1" "sat yes" 0 0 0 0
check "mint show: a total for sat" sh -c "
	grep -Eq '^total +sat +121 +0 +121\$' '$T/show'"
t5=$($CTL mint token 5)
check "mint token now issues from the new keyset" show_is "$ID1" "sat yes" 0 5 0 5
check "mint show: the total follows" sh -c "
	grep -Eq '^total +sat +126 +0 +126\$' '$T/show'"

check "rotating a unit the mint does not serve fails" sh -c "
	! $CTL mint rotate usd >'$T/out' 2>&1 &&
	grep -q 'no active keyset in unit usd' '$T/out'"
check "a unit too long is refused by routstrctl" sh -c "
	! $CTL mint rotate abcdefghijkl >/dev/null 2>&1"
if is_root && command -v setpriv >/dev/null; then
	check "another user cannot rotate" sh -c "
		! setpriv --reuid=65534 --regid=65534 --clear-groups -- \
		    $CTL mint rotate >/dev/null 2>&1"
fi
check "nor did anything change" show_is "$ID1" "sat yes" 0 5 0 5

if ! restart "$T/conf"; then
	notok "the suite restarts after the rotation"
	exit 1
fi
check "after a restart, the rotated keyset is the active one" keysets "
assert k['$ID0']['active'] is False and k['$ID1']['active'] is True, k"
check "and both keep their totals" sh -c "
	$CTL mint show >'$T/show' &&
	grep -Eq '^$ID0 +sat +no +0 +121 +0 +121\$' '$T/show' &&
	grep -Eq '^$ID1 +sat +yes +0 +5 +0 +5\$' '$T/show'"

# The input fee: a keyset keeps the fee it was made with.
write_conf "$T/conf" "mint local { lightning fake input fee 100 }"
if ! restart "$T/conf"; then
	notok "the suite restarts with an input fee"
	exit 1
fi
check "a new fee in the configuration does not change the active keyset" \
    keysets "
assert k['$ID1']['active'] is True and k['$ID1']['input_fee_ppk'] == 0, k"
check "and the log says how to apply it" grep -q \
    "charges an input fee of 0 ppk, the configuration says 100" "$T/log"
$CTL mint rotate >"$T/rotate" 2>&1
ID2=$(sed -n 's/^sat keyset \([0-9a-f]*\) active (index 2, input fee 100 ppk).*/\1/p' "$T/rotate")
check "mint rotate: index 2 with the new fee" test -n "$ID2"
http_get "$URL/v1/keys/$ID2" >"$T/keys2.json"
check "its V2 id includes input_fee_ppk 100" python3 -c '
import hashlib, json, sys
ks = json.load(open(sys.argv[1]))["keysets"][0]
assert ks["input_fee_ppk"] == 100 and ks["active"] is True, ks
keys = ks["keys"]
pre = ",".join("%d:%s" % (a, keys[str(a)]) for a in
    sorted(int(a) for a in keys)) + "|unit:sat|input_fee_ppk:100"
assert "01" + hashlib.sha256(pre.encode()).hexdigest() == ks["id"], ks["id"]
' "$T/keys2.json"
check "mint show: its fee" show_is "$ID2" "sat yes" 100 0 0 0
check "the older keysets keep theirs" keysets "
assert k['$ID0']['input_fee_ppk'] == 0 and k['$ID1']['input_fee_ppk'] == 0
assert [i for i in k if k[i]['active']] == ['$ID2'], k"
if restart "$T/conf"; then
	check "after a restart: the same keyset, the same fee" keysets "
assert k['$ID2']['active'] is True and k['$ID2']['input_fee_ppk'] == 100, k"
	check "and no warning about the fee" sh -c \
	    "! grep -q 'charges an input fee' '$T/log'"
else
	notok "the suite restarts after the second rotation"
fi
check "the audit: no problem" sh -c "$CTL ledger check >'$T/audit' &&
	grep -q '^problems: 0' '$T/audit'"
kill -TERM "$SUITE_PID"
wait_exit 20
cat "$T/log" >>"$T/logs"

# A mint made with a fee has it from its first keyset.
write_conf "$T/conf2" "mint local { lightning fake, input fee 250 }"
sed -i "s#$T/state#$T/state2#" "$T/conf2"
if start "$T/conf2"; then
	check "a new mint's first keyset has the configured fee" keysets "
assert len(k) == 1 and list(k.values())[0]['input_fee_ppk'] == 250, k"
	kill -TERM "$SUITE_PID"
	wait_exit 20
	cat "$T/log" >>"$T/logs"
else
	notok "the suite starts with a new mint and a fee"
fi

# No mint, nothing to show or rotate.
write_conf "$T/conf3"
sed -i "s#$T/state#$T/state3#" "$T/conf3"
if start "$T/conf3"; then
	check "mint show without a mint fails, saying so" sh -c "
		! $CTL mint show >'$T/out' 2>&1 &&
		grep -q 'this node runs no mint' '$T/out'"
	check "mint rotate too" sh -c "
		! $CTL mint rotate >'$T/out' 2>&1 &&
		grep -q 'this node runs no mint' '$T/out'"
	kill -TERM "$SUITE_PID"
	wait_exit 20
else
	notok "the suite starts without a mint"
fi
cat "$T/log" >>"$T/logs"
check "no token reached the logs" sh -c "
	test -n '$t21' && test -n '$t5' && ! grep -q cashuB '$T/logs'"
