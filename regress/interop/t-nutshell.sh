# nutshell's wallet (PyPI cashu, the reference implementation, at the
# versions pinned in regress/interop/requirements-nutshell.txt) against
# the node's own mint, through its command line as a user types it:
# mint info, a bolt11 mint, send and receive (swaps), a double spend
# refused, spent tokens burnt after a state check, a test token from
# routstrctl received, a melt with change, and a restore from the
# mnemonic in a fresh wallet that finds exactly the unspent balance.

. "$(dirname "$0")/lib.sh"

VENV=$INTEROP/.venv-nutshell
REQ=$INTEROP/requirements-nutshell.txt
pip_venv "$VENV" "$REQ" "nutshell wallet" || exit 1

PORT=$(free_port)
URL=http://127.0.0.1:$PORT
is_root && sh "$TOP/etc/mkusers.sh" >/dev/null
write_conf "$T/conf" "mint local { lightning fake }"
if ! start "$T/conf"; then
	notok "the suite starts with a local mint"
	exit 1
fi

# cashu WALLETDIR ARGS...: nutshell's CLI, no questions, no Tor
cashu() {
	d=$1
	shift
	env CASHU_DIR="$T/$d" TOR=FALSE DEBUG=FALSE \
	    "$VENV/bin/cashu" -h "$URL" -y "$@" 2>>"$T/cashu.err"
}

# balance WALLETDIR: the number in "Balance: N sat"
balance() {
	cashu "$1" balance | sed -n 's/^Balance: \([0-9]*\) sat.*/\1/p' |
	    head -n 1
}

# is WHAT GOT WANT
is() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		notok "$1: got '$2', want '$3'"
		sed 's/^/#   /' "$T/cashu.err" | tail -n 15
	fi
}

cashu w1 info --mint >"$T/info"
check "nutshell reads the mint's info" grep -q "test node" "$T/info"

cashu w1 invoice 100 >"$T/invoice"
is "invoice 100: nutshell mints through a bolt11 quote" "$(balance w1)" 100

cashu w1 send 21 >"$T/send"
tok=$(grep -o 'cashu[AB][A-Za-z0-9_=-]*' "$T/send" | head -n 1)
check "send 21 makes a token" test -n "$tok"
is "... and 79 are left" "$(balance w1)" 79

cashu w2 receive "$tok" >"$T/recv"
is "another wallet receives it (a swap)" "$(balance w2)" 21
cashu w3 receive "$tok" >"$T/recv2"
is "a third cannot receive it again" "$(balance w3)" 0
check "... because it is spent (11001)" grep -qi "spent" "$T/cashu.err"

cashu w1 pending >"$T/pending0"
check "the sender holds it as pending" grep -q "ID:" "$T/pending0"
cashu w1 burn -a >"$T/burn"
cashu w1 pending >"$T/pending"
check "the sender burns it after a state check (NUT-07)" sh -c \
    "! grep -q 'ID:' '$T/pending'"

t=$("$ROUTSTRCTL" -s "$T/ctl.sock" mint token 64)
cashu w2 receive "$t" >"$T/recv3"
is "a test token from routstrctl is received" "$(balance w2)" 85

quote=$(curl -s -X POST -H 'Content-Type: application/json' \
    -d '{"amount": 10, "unit": "sat"}' "$URL/v1/mint/quote/bolt11")
inv=$(echo "$quote" | python3 -c 'import json, sys
print(json.load(sys.stdin)["request"])')
cashu w1 pay "$inv" >"$T/pay"
is "pay 10 sat: a melt, the unused fee reserve back as change (NUT-08)" \
    "$(balance w1)" 69

mn=$(cashu w1 info --mnemonic | sed -n '/^Mnemonic:/{n;s/^ *- *//p;}')
check "the wallet shows its mnemonic" test -n "$mn"
echo "$mn" | env CASHU_DIR="$T/w4" TOR=FALSE DEBUG=FALSE \
    "$VENV/bin/cashu" -h "$URL" restore --to 2 >"$T/restore" 2>>"$T/cashu.err"
is "a fresh wallet restores exactly the unspent 69 (NUT-09, NUT-07)" \
    "$(balance w4)" 69

"$ROUTSTRCTL" -s "$T/ctl.sock" ledger check >"$T/audit"
check "the audit afterwards: no problem" grep -q "^problems: 0" "$T/audit"
check "no token reached the logs" sh -c "! grep -q cashu[AB] '$T/log'"
kill -TERM "$SUITE_PID"
wait_exit 20
is "the suite stops cleanly" "$EXIT" 0
