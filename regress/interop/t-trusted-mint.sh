# Tokens of another mint that the configuration trusts, paid to the
# node: nutshell's MINT (PyPI cashu, FakeWallet Lightning, 100 ppk input
# fees) is the foreign mint, nutshell's wallet CLI makes the tokens.
# A token as the Bearer key funds a balance of its amount less the
# mint's fee; a chat request spends from it; /v1/balance/create, /topup
# and X-Cashu take them too; a token spent at its mint is 400, one of an
# untrusted mint 400, one whose fee takes it all 422, and the mint down
# 503 with the token still good afterwards.  The proofs the node got are
# found from its seed at nutshell's mint (NUT-09) and unspent (NUT-07),
# and the audit is clean.  A node with no mint of its own takes them too
# and refuses refunds (503) without touching the balance.

. "$(dirname "$0")/lib.sh"

WVENV=$INTEROP/.venv-nutshell
MVENV=$INTEROP/.venv-nutshell-mint
pip_venv "$WVENV" "$INTEROP/requirements-nutshell.txt" "nutshell wallet" ||
    exit 1
pip_venv "$MVENV" "$INTEROP/requirements-nutshell-mint.txt" \
    "nutshell mint" || exit 1

NPORT=$(free_port)
NURL=http://127.0.0.1:$NPORT
MINT_PID=

# nutshell_start: its mint on $NPORT, its database kept in $T/nutmint
nutshell_start() {
	mkdir -p "$T/nutmint"
	(cd "$T/nutmint" && exec env -i PATH=/usr/bin:/bin HOME="$T/nutmint" \
	    MINT_BACKEND_BOLT11_SAT=FakeWallet MINT_LISTEN_HOST=127.0.0.1 \
	    MINT_LISTEN_PORT="$NPORT" MINT_PRIVATE_KEY=routstrd-interop-key \
	    MINT_DATABASE="$T/nutmint/db" MINT_INPUT_FEE_PPK=100 \
	    FAKEWALLET_DELAY_INCOMING_PAYMENT=0 TOR=FALSE DEBUG=FALSE \
	    "$MVENV/bin/mint") >>"$T/nutmint.log" 2>&1 &
	MINT_PID=$!
	i=0
	until curl -s -o /dev/null --max-time 1 "$NURL/v1/keysets"; do
		i=$((i + 1))
		if [ $i -gt 300 ]; then
			sed 's/^/#   /' "$T/nutmint.log" | tail -n 20
			return 1
		fi
		sleep 0.1
	done
}

nutshell_stop() {
	kill -TERM "$MINT_PID" 2>/dev/null
	wait "$MINT_PID" 2>/dev/null
	MINT_PID=
}
trap 'nutshell_stop; cleanup' EXIT

if ! nutshell_start; then
	notok "nutshell's mint starts"
	exit 1
fi
ok "nutshell's mint starts"

# cashu ARGS...: nutshell's wallet CLI against its mint, no questions
cashu() {
	env CASHU_DIR="$T/w" TOR=FALSE DEBUG=FALSE \
	    "$WVENV/bin/cashu" -h "$NURL" -y "$@" 2>>"$T/cashu.err"
}

# send N: a token of N sat from the nutshell wallet
send() {
	cashu send "$1" | grep -o 'cashu[AB][A-Za-z0-9_=-]*' | head -n 1
}

# tokinfo TOKEN: "amount proofs" of a token, read by nutshell's code
tokinfo() {
	"$WVENV/bin/python" -c 'import sys
from cashu.core.base import TokenV3, TokenV4
t = sys.argv[1]
tok = TokenV4.deserialize(t) if t.startswith("cashuB") else \
    TokenV3.deserialize(t)
print(sum(p.amount for p in tok.proofs), len(tok.proofs))' "$1"
}

# net TOKEN: msat the node credits for it (100 ppk per input, rounded up)
net() {
	set -- $(tokinfo "$1")
	echo $((($1 - ($2 * 100 + 999) / 1000) * 1000))
}

cashu invoice 300 >"$T/invoice"
check "nutshell's wallet mints 300 sat at nutshell's mint" \
    grep -q "300 sat" "$T/invoice"

PORT=$(free_port)
URL=http://127.0.0.1:$PORT
CTL="$ROUTSTRCTL -s $T/ctl.sock"
is_root && sh "$TOP/etc/mkusers.sh" >/dev/null
write_conf "$T/conf" "mint local { lightning fake }
mint \"$NURL/\" trusted
upstream echo { type echo }
model \"echo\" upstream echo price prompt 10000 completion 20000 \\
	context length 4096 max completion 512"
if ! start "$T/conf"; then
	notok "the suite starts with a trusted mint"
	exit 1
fi
ok "the suite starts with a trusted mint"

json() {
	python3 -c "import json, sys
j = json.load(open(sys.argv[1]))
print($2)" "$1" 2>/dev/null
}

# post PATH BODY [HEADER]: the status; the body in $T/body
post() {
	curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' --max-time 30 \
	    -X POST -H 'Content-Type: application/json' ${3:+-H "$3"} \
	    -d "$2" "$URL$1"
}

get() {
	curl -s -o "$T/body" -w '%{http_code}' --max-time 30 \
	    ${2:+-H "$2"} "$URL$1"
}

LOGGED=
is() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		notok "$1: got '$2', want '$3'"
		sed 's/^/#   /' "$T/body" 2>/dev/null | head -n 5
		echo
		# The suite's log, once: what went wrong first.
		[ -z "$LOGGED" ] && sed 's/^/#   /' "$T/log" | tail -n 25
		LOGGED=1
	fi
}

chat='{"model": "echo", "messages": [{"role": "user", "content": "hi"}]}'

# Bearer: the token's balance, its amount less the swap's fee.
t1=$(send 64)
check "nutshell's wallet sends a token of 64 sat" test -n "$t1"
want=$(net "$t1")
st=$(get /v1/balance/info "Authorization: Bearer $t1")
is "Bearer token of the trusted mint: a balance of amount - fee" \
    "$st:$(json "$T/body" 'j["balance"]')" "200:$want"
st=$(get /v1/balance/info "Authorization: Bearer $t1")
is "... the same token again: the same balance, not credited twice" \
    "$st:$(json "$T/body" 'j["balance"]')" "200:$want"

st=$(post /v1/chat/completions "$chat" "Authorization: Bearer $t1")
is "a chat request paid from it" "$st" 200
st=$(get /v1/balance/info "Authorization: Bearer $t1")
left=$(json "$T/body" 'j["balance"]')
check "... which the balance pays for" test "$st" = 200 -a \
    "${left:-0}" -lt "$want" -a "${left:-0}" -gt 0

# Spent at its mint before it reaches us: 400 already spent.
t2=$(send 16)
env CASHU_DIR="$T/w2" TOR=FALSE DEBUG=FALSE "$WVENV/bin/cashu" -h "$NURL" \
    -y receive "$t2" >/dev/null 2>>"$T/cashu.err"
st=$(get /v1/balance/info "Authorization: Bearer $t2")
is "a token spent at its mint: 400 cashu_token_already_spent" \
    "$st:$(json "$T/body" 'j["error"]["code"]')" \
    400:cashu_token_already_spent

# /v1/balance/create and /topup.
t3=$(send 32)
st=$(post /v1/balance/create "{\"initial_balance_token\": \"$t3\"}")
key=$(json "$T/body" 'j["api_key"]')
is "create with a token of the trusted mint" \
    "$st:$(json "$T/body" 'j["balance"]')" "200:$(net "$t3")"
st=$(post /v1/balance/create "{\"initial_balance_token\": \"$t3\"}")
is "... the same token again: 400 cashu_token_already_spent" \
    "$st:$(json "$T/body" 'j["error"]["code"]')" \
    400:cashu_token_already_spent
t4=$(send 8)
st=$(post /v1/balance/topup "{\"cashu_token\": \"$t4\"}" \
    "Authorization: Bearer $key")
is "topup with a token of the trusted mint" \
    "$st:$(json "$T/body" 'j["msats"]')" "200:$(net "$t4")"

# X-Cashu: paid per request, the change in the node's own ecash.
t5=$(send 16)
st=$(post /v1/chat/completions "$chat" "X-Cashu: $t5")
is "X-Cashu with a token of the trusted mint" "$st" 200
check "... the change comes back as a token" \
    grep -qi '^x-cashu: cashu' "$T/hdr"

# The fee would take all: 422.
t6=$(send 1)
st=$(get /v1/balance/info "Authorization: Bearer $t6")
is "a 1-sat token whose fee is 1 sat: 422 swap fees exceed the amount" \
    "$st:$(json "$T/body" 'j["error"]["code"]')" \
    422:cashu_token_swap_fees_exceed_amount

# A mint we do not trust: the same proofs under another URL.
t7=$(send 4)
tu=$("$WVENV/bin/python" -c 'import sys
from cashu.core.base import TokenV4
t = TokenV4.deserialize(sys.argv[1])
t.m = "http://127.0.0.1:1"
print(t.serialize())' "$t7")
st=$(get /v1/balance/info "Authorization: Bearer $tu")
is "a token of an untrusted mint: 400 invalid_cashu_token" \
    "$st:$(json "$T/body" 'j["error"]["code"]')" 400:invalid_cashu_token

# The mint down: 503, and the token is still good once it is back.
nutshell_stop
st=$(get /v1/balance/info "Authorization: Bearer $t7")
is "the trusted mint down: 503 cashu_mint_unreachable" \
    "$st:$(json "$T/body" 'j["error"]["code"]')" 503:cashu_mint_unreachable
if nutshell_start; then
	st=$(get /v1/balance/info "Authorization: Bearer $t7")
	is "... and the token pays once the mint is back" \
	    "$st:$(json "$T/body" 'j["balance"]')" "200:$(net "$t7")"
else
	notok "nutshell's mint starts again"
fi

# The proofs the node holds, found at nutshell's mint from the node's
# seed alone as a restore would find them (NUT-13 outputs of the wallet
# seed, which is HKDF-SHA256 of the mint seed; NUT-09 /v1/restore), are
# worth what was credited, and NUT-07 /v1/checkstate says UNSPENT.
sats=$((($(net "$t1") + $(net "$t3") + $(net "$t4") + $(net "$t5") + \
    $(net "$t7")) / 1000))
"$WVENV/bin/python" - "$T/state/mint.seed" "$NURL" >"$T/restore" \
    2>&1 <<'END'
import hashlib, hmac, json, sys, urllib.request
from bip32 import BIP32
from coincurve import PrivateKey
from cashu.core.crypto.b_dhke import hash_to_curve, step1_alice

def hkdf(ikm, info, n):
    prk = hmac.new(b"\0" * 32, ikm, hashlib.sha256).digest()
    out, t, i = b"", b"", 1
    while len(out) < n:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        out, i = out + t, i + 1
    return out[:n]

def call(path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(sys.argv[2] + path, data=data,
        headers={"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req, timeout=10))

seed = hkdf(open(sys.argv[1], "rb").read(), b"routstrd wallet nut13 seed", 64)
ks = [k["id"] for k in call("/v1/keysets")["keysets"]
      if k["active"] and k["unit"] == "sat"][0]
assert ks.startswith("00")      # nutshell 0.19: BIP32 secrets (NUT-13 v00)
kid = int.from_bytes(bytes.fromhex(ks), "big") % (2**31 - 1)
b = BIP32.from_seed(seed)
secret = {}
outs = []
for c in range(100):
    p = "m/129372'/0'/%d'/%d'" % (kid, c)
    s = b.get_privkey_from_path(p + "/0").hex()
    B_, _ = step1_alice(s, PrivateKey(b.get_privkey_from_path(p + "/1")))
    secret[B_.format().hex()] = s
    outs.append({"amount": 1, "id": ks, "B_": B_.format().hex()})
res = call("/v1/restore", {"outputs": outs})
got = [o["B_"] for o in res["outputs"]]
ys = [hash_to_curve(secret[B].encode()).format().hex() for B in got]
st = call("/v1/checkstate", {"Ys": ys})["states"]
print(sum(s["amount"] for s in res["signatures"]), len(got),
      ",".join(sorted(set(x["state"] for x in st))))
END
set -- $(cat "$T/restore") x x x
is "the node's proofs, restored from its seed, hold what was credited" \
    "$1" "$sats"
is "... and nutshell's mint says they are all unspent (NUT-07)" "$3" UNSPENT
$CTL ledger check >"$T/audit"
check "the audit afterwards: no problem" grep -q "^problems: 0" "$T/audit"
check "no token reached the logs" sh -c "! grep -q cashu[AB] '$T/log'"

kill -TERM "$SUITE_PID"
wait_exit 20
is "the suite stops cleanly" "$EXIT" 0

# A node with no mint of its own: the parent makes a seed for the
# wallet; tokens of the trusted mint pay; a refund is refused with 503
# and takes nothing.
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
write_conf "$T/conf2" "mint \"$NURL\" trusted
upstream echo { type echo }
model \"echo\" upstream echo price prompt 10000 completion 20000 \\
	context length 4096 max completion 512"
sed -i "s|$T/state|$T/state2|" "$T/conf2"
if ! start "$T/conf2"; then
	notok "the suite starts with a trusted mint and no mint of its own"
	exit 1
fi
check "... and a seed for its wallet" test -s "$T/state2/mint.seed"
t8=$(send 16)
st=$(get /v1/balance/info "Authorization: Bearer $t8")
is "no mint of its own: a token of the trusted mint pays" \
    "$st:$(json "$T/body" 'j["balance"]')" "200:$(net "$t8")"
st=$(post /v1/balance/refund '{}' "Authorization: Bearer $t8")
is "... a refund: 503 refund_unavailable" \
    "$st:$(json "$T/body" 'j["error"]["code"]')" 503:refund_unavailable
st=$(get /v1/balance/info "Authorization: Bearer $t8")
is "... and the balance is untouched" \
    "$st:$(json "$T/body" 'j["balance"]')" "200:$(net "$t8")"
st=$(get /v1/keysets)
is "... and it serves no mint API" "$st" 404
check "... and no token reached its logs" sh -c "! grep -q cashu[AB] '$T/log'"
kill -TERM "$SUITE_PID"
wait_exit 20
is "the suite stops cleanly" "$EXIT" 0
