# Balances paid in the node's own ecash, over HTTP as Routstr Core's
# clients use them: /v1/balance/create with a token (and its /v1/wallet
# name), /info with the sk- key or with a token as the key, /topup, and
# /refund, whose token is good ecash (it funds a new balance) and which
# answers the same token when asked again.  Spent, foreign and malformed
# tokens get Routstr Core's errors; nothing is credited twice.

. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
URL=http://127.0.0.1:$PORT
CTL="$ROUTSTRCTL -s $T/ctl.sock"
is_root && sh "$TOP/etc/mkusers.sh" >/dev/null
write_conf "$T/conf" "mint local { lightning fake }
upstream echo { type echo }
model \"echo\" upstream echo price prompt 10000 completion 20000 \\
	context length 4096 max completion 512"
if ! start "$T/conf"; then
	notok "the suite starts with a local mint"
	exit 1
fi

# json FILE EXPR: a value of the JSON in FILE (python3 expression on j)
json() {
	python3 -c "import json, sys
j = json.load(open(sys.argv[1]))
print($2)" "$1" 2>/dev/null
}

# post PATH BODY [HEADER]: the status; the body in $T/body
post() {
	curl -s -o "$T/body" -w '%{http_code}' -X POST \
	    -H 'Content-Type: application/json' ${3:+-H "$3"} -d "$2" \
	    "$URL$1"
}

get() {
	curl -s -o "$T/body" -w '%{http_code}' ${2:+-H "$2"} "$URL$1"
}

# is WHAT GOT WANT
is() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		notok "$1: got '$2', want '$3'"
		sed 's/^/#   /' "$T/body" 2>/dev/null | head -n 5
	fi
}

t100=$($CTL mint token 100)
t21=$($CTL mint token 21)
t5=$($CTL mint token 5)

st=$(post /v1/balance/create "{\"initial_balance_token\": \"$t100\"}")
key=$(json "$T/body" 'j["api_key"]')
is "create: 200 and 100000 msat" "$st:$(json "$T/body" 'j["balance"]')" \
    200:100000
check "... with a random sk- key" sh -c \
    "echo '$key' | grep -qE '^sk-[0-9a-f]{64}\$'"
curl -s -D "$T/hdr" -o /dev/null "$URL/v1/balance/info" \
    -H "Authorization: Bearer $key"
check "every answer carries x-routstr-request-id" \
    grep -qiE '^x-routstr-request-id: [0-9a-f-]{36}' "$T/hdr"

st=$(post /v1/balance/create "{\"initial_balance_token\": \"$t100\"}")
is "the same token again: 400 cashu_token_already_spent" \
    "$st:$(json "$T/body" 'j["error"]["code"]')" \
    400:cashu_token_already_spent

st=$(get /v1/balance/info "Authorization: Bearer $key")
is "info: the balance, nothing reserved, the key" \
    "$st:$(json "$T/body" 'j["balance"], j["reserved"], j["api_key"]')" \
    "200:100000 0 $key"

st=$(post /v1/wallet/topup "{\"cashu_token\": \"$t21\"}" \
    "Authorization: Bearer $key")
is "topup (under its /v1/wallet name): 21000 msat credited" \
    "$st:$(json "$T/body" 'j["msats"]')" 200:21000
get /v1/balance/info "Authorization: Bearer $key" >/dev/null
is "... and the balance is 121000" "$(json "$T/body" 'j["balance"]')" 121000

# A token as the key: redeemed at first use, the same balance after.
h=$(printf '%s' "$t5" | sha256sum | cut -d' ' -f1)
st=$(get /v1/balance/info "Authorization: Bearer $t5")
is "a token as the key: its balance, and the key sk- SHA-256 of it" \
    "$st:$(json "$T/body" 'j["balance"], j["api_key"]')" "200:5000 sk-$h"
st=$(get /v1/balance/info "Authorization: Bearer $t5")
is "the same token as the key again: the same balance, not twice" \
    "$st:$(json "$T/body" 'j["balance"]')" 200:5000
st=$(get /v1/balance/info "Authorization: Bearer sk-$h")
is "... also reached by its sk- key" \
    "$st:$(json "$T/body" 'j["balance"]')" 200:5000

st=$(get /v1/balance/info "x-api-key: sk-$h")
is "... and by it in Anthropic's x-api-key header" \
    "$st:$(json "$T/body" 'j["balance"]')" 200:5000
st=$(curl -s -o "$T/body" -w '%{http_code}' -H "x-api-key: sk-$h" \
    -H "Authorization: Bearer sk-$(printf '%064d' 0)" \
    "$URL/v1/balance/info")
is "... but Authorization, sent too, wins" \
    "$st:$(json "$T/body" 'j["error"]["code"]')" 401:invalid_api_key
st=$(get /v1/balance/info "x-api-key: nonsense")
is "a malformed x-api-key: 401 invalid_api_key" \
    "$st:$(json "$T/body" 'j["error"]["code"]')" 401:invalid_api_key

st=$(get /v1/balance/info)
is "info without a key: 401 missing_api_key" \
    "$st:$(json "$T/body" 'j["error"]["code"]')" 401:missing_api_key
st=$(get /v1/balance/info "Authorization: Bearer sk-$(printf '%064d' 0)")
is "an unknown key: 401 invalid_api_key" \
    "$st:$(json "$T/body" 'j["error"]["code"]')" 401:invalid_api_key
st=$(get /v1/balance/info "Authorization: Bearer cashuBgarbage")
is "a malformed token: 400 invalid_cashu_token" \
    "$st:$(json "$T/body" 'j["error"]["code"]')" 400:invalid_cashu_token
st=$(post /v1/balance/create '{"initial_balance_token": 5')
is "malformed JSON: 400" "$st" 400

# One request paid from the balance, then its history.
curl -s -D "$T/hdr" -o "$T/chat" "$URL/v1/chat/completions" \
    -H "Authorization: Bearer $key" \
    -d '{"model": "echo", "max_tokens": 20, "messages": [{"role": "user",
    "content": "one two three"}]}'
rid=$(sed -n 's/^x-routstr-request-id: \([0-9a-f-]*\).*/\1/ip' "$T/hdr")
cost=$(json "$T/chat" 'j["usage"]["cost"]["total_msats"]')
st=$(get /v1/wallet/history "Authorization: Bearer $key")
is "history: create, topup, the request (by its request id)" \
    "$st:$(json "$T/body" '" ".join("%s/%s/%d/%d" % (t["type"], t["source"],
    t["amount"], t["balance"]) for t in j["transactions"])')" \
    "200:in/create/100000/100000 in/topup/21000/121000 spend/request/$cost/$((121000 - cost))"
is "... the request's entry has its x-routstr-request-id" \
    "$(json "$T/body" 'j["transactions"][2]["request_id"]')" "$rid"
st=$(get /v1/balance/history)
is "history without a key: 401" "$st" 401

st=$(post /v1/balance/refund '' "Authorization: Bearer $key")
refund=$(json "$T/body" 'j["token"]')
is "refund: the whole balance, in sats, as a token" \
    "$st:$(json "$T/body" 'j["sats"]'):$(echo "$refund" | cut -c1-6)" \
    "200:$(((121000 - cost) / 1000)):cashuB"
st=$(post /v1/balance/refund '' "Authorization: Bearer $key")
is "refund again: the same token" \
    "$st:$(json "$T/body" 'j["token"]')" "200:$refund"
st=$(get /v1/balance/info "Authorization: Bearer $key")
is "the refunded balance is closed" "$st" 400
st=$(post /v1/balance/create "{\"initial_balance_token\": \"$refund\"}")
is "the refund's token is good ecash: it funds a new balance" \
    "$st:$(json "$T/body" 'j["balance"]')" \
    "200:$(((121000 - cost) / 1000 * 1000))"

$CTL ledger check >"$T/audit"
check "the audit: no problem" grep -q "^problems: 0" "$T/audit"
check "no token or key reached the logs" sh -c \
    "! grep -q -e cashuB -e '$key' '$T/log'"
kill -TERM "$SUITE_PID"
wait_exit 20
check "the suite stops cleanly" test "$EXIT" = 0
