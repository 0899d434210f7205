# cashu-ts across a keyset rotation (routstrctl mint rotate) to a keyset
# with an input fee: tokens of the old keyset still spend, fees are
# charged as NUT-02 says, and routstrctl mint show accounts for all of
# it, keyset by keyset, as the audit does.

. "$(dirname "$0")/lib.sh"

npm_ci || exit 1

PORT=$(free_port)
URL=http://127.0.0.1:$PORT
CTL="$ROUTSTRCTL -s $T/ctl.sock"
is_root && sh "$TOP/etc/mkusers.sh" >/dev/null
write_conf "$T/conf" "mint local { lightning fake }"
if ! start "$T/conf"; then
	notok "the suite starts with a local mint"
	exit 1
fi
old=$($CTL mint token 21)
OLDID=$($CTL mint show | awk 'NR == 2 { print $1 }')

# The fee applies from the next keyset on.
kill -TERM "$SUITE_PID"
wait_exit 20
write_conf "$T/conf" "mint local { lightning fake, input fee 100 }"
if ! start "$T/conf"; then
	notok "the suite restarts with an input fee"
	exit 1
fi
NEWID=$($CTL mint rotate | sed -n \
    's/^sat keyset \([0-9a-f]*\) active (index 1, input fee 100 ppk).*/\1/p')
new=$($CTL mint token 3)
check "a token before the rotation, a rotation, a token after" sh -c "
	test -n '$OLDID' && test -n '$NEWID' &&
	echo '$old' | grep -q '^cashuB' && echo '$new' | grep -q '^cashuB'"

(cd "$INTEROP" && timeout 120 node rotate.mjs "$URL" "$old" "$new" \
    "$OLDID" "$NEWID") 2>&1 | sed 's/^\(ok\|not ok\) - /\1 - cashu-ts: /'

# What mint show says: the old keyset issued 21, all redeemed; the new
# one issued 3 (token) + 21 (for the old token) + 2 (for the new one,
# its fee kept) + 1 (the swap that paid its fee), and redeemed 3 + 2.
$CTL mint show >"$T/show"
check "mint show: the old keyset issued 21, redeemed 21, owes nothing" \
    grep -Eq "^$OLDID +sat +no +0 +21 +21 +0\$" "$T/show"
check "mint show: the new one issued 27, redeemed 5, owes 22" \
    grep -Eq "^$NEWID +sat +yes +100 +27 +5 +22\$" "$T/show"
check "mint show: the 2 sat of fees are what the mint kept" \
    grep -Eq "^total +sat +48 +26 +22\$" "$T/show"
sed 's/^/#   /' "$T/show"
$CTL ledger check >"$T/audit"
check "the audit agrees with the totals: no problem" \
    grep -q "^problems: 0" "$T/audit"
kill -TERM "$SUITE_PID"
wait_exit 20
