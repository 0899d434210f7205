# X-Cashu paid with tokens of a mint that charges input fees (NUT-02):
# a token whose face value covers the request's largest cost passes the
# preflight, but if what its fees leave does not, the answer is 402 with
# the amount required and the whole value back in the X-Cashu header
# (the upstream is not asked); a token that covers both is served, and
# its change redeems.

. "$(dirname "$0")/lib-forward.sh"

mock_start 1
M="http://127.0.0.1:$MOCK1/v1"
write_conf "$T/conf" \
    "mint local { lightning fake delay 0 input fee 1000 }" \
    "upstream mock { url \"$M\" }" \
    "model \"m1\" upstream mock price prompt 1000 completion 100000 max completion 1000"
fwd_start "$T/conf"

PROMPT="ibex caracal tapir"
BODY=$(chat "$PROMPT")

# the largest cost, from the preflight's 402
t=$(token 2)
req /v1/chat/completions "$BODY" "X-Cashu: $t"
R=$(j "j['detail']['amount_required_msat']")
expect "a 2-sat token: the preflight's 402 with the amount required" "
assert S == 402 and $R > 1000, (S, j)"

# face value enough, value after fees not: 402, all of it back
sats=$(( (R + 999) / 1000 ))
t=$(token $sats)
n0=$(mstat "$MOCK1" 's["requests"]')
req /v1/chat/completions "$BODY" "X-Cashu: $t"
expect "a token of $sats sat, less after its fees: 402, the amount with the fees" "
assert S == 402, (S, j)
e = j['error']
assert e['type'] == 'insufficient_quota' and e['code'] == 402, e
# the largest cost and the fees taken (whole sats, one a proof)
f = e['amount_required_msat'] - $R
assert 0 < f <= $sats * 1000 and f % 1000 == 0, e
assert 'fees' in e['message'], e
assert e['refund_token'] == H['x-cashu'], (e, H)"
is "... the upstream not asked" "$(mstat "$MOCK1" 's["requests"]')" "$n0"
back=$(hdr x-cashu)
v=$(redeem "$back")
expect "... the value back redeems: the token less the fees of two swaps" "
assert 0 < int('$v' or 0) < $sats * 1000, '$v'"

# enough for both: served, the change redeems
t=$(token $((sats + 10)))
req /v1/chat/completions "$BODY" "X-Cashu: $t"
expect "a token covering cost and fees: served, the change in the header" "
assert S == 200, (S, j)
assert H['x-cashu'].startswith('cashuB'), H"
v=$(redeem "$(hdr x-cashu)")
expect "... the change redeems" "assert int('$v' or 0) > 0, '$v'"

fwd_stop
