# cashu-ts, a wallet no one here wrote, against the node's own mint:
# it loads the mint (recomputing the keyset ids), receives test tokens
# (swaps), fails a double spend with 11001, checks states, and restores
# deterministic proofs; mints through a bolt11 quote (also a NUT-20
# locked one) and melts with NUT-08 change, a failed payment freeing its
# inputs; a hundred concurrent swaps of the same proofs let exactly one
# win; every invalid swap gets its NUT error.  Installed from npm at the
# version pinned in regress/interop/package-lock.json.

. "$(dirname "$0")/lib.sh"

npm_ci || exit 1

PORT=$(free_port)
is_root && sh "$TOP/etc/mkusers.sh" >/dev/null
write_conf "$T/conf" "mint local { lightning fake }"
if ! start "$T/conf"; then
	notok "the suite starts with a local mint"
	exit 1
fi
t1=$("$ROUTSTRCTL" -s "$T/ctl.sock" mint token 21)
t2=$("$ROUTSTRCTL" -s "$T/ctl.sock" mint token 64)
check "routstrctl mint token makes cashuB tokens" sh -c \
    "echo '$t1' | grep -q '^cashuB' && echo '$t2' | grep -q '^cashuB'"
(cd "$INTEROP" && timeout 120 node cashu-ts.mjs "http://127.0.0.1:$PORT" \
    "$t1" "$t2") 2>&1 | sed 's/^\(ok\|not ok\) - /\1 - cashu-ts: /'
(cd "$INTEROP" && timeout 120 node lightning.mjs "http://127.0.0.1:$PORT") \
    2>&1 | sed 's/^\(ok\|not ok\) - /\1 - cashu-ts: /'
t3=$("$ROUTSTRCTL" -s "$T/ctl.sock" mint token 100)
(cd "$INTEROP" && timeout 120 node race.mjs "http://127.0.0.1:$PORT" \
    "$t3" 100) 2>&1
t4=$("$ROUTSTRCTL" -s "$T/ctl.sock" mint token 3)
t5=$("$ROUTSTRCTL" -s "$T/ctl.sock" mint token 3)
(cd "$INTEROP" && timeout 120 node bad-swaps.mjs "http://127.0.0.1:$PORT" \
    "$t4" "$t5") 2>&1
"$ROUTSTRCTL" -s "$T/ctl.sock" ledger check >"$T/audit"
check "the audit afterwards: no problem" grep -q "^problems: 0" "$T/audit"
check "and the mint issued and saw spent what cashu-ts did" sh -c \
    "grep -q 'spent proofs [1-9]' '$T/audit'"
check "no token reached the logs" sh -c "! grep -q cashuB '$T/log'"
kill -TERM "$SUITE_PID"
wait_exit 20
