# kill -9 in the middle of a write storm, then recovery: the ledger
# alone, and the whole suite at once.  A storm of swaps (each proof of
# many test tokens on its own, 32 at a time) runs until the kill at a
# random moment; after a restart, every swap answered "done" is there,
# whole (its proof spent, its output restorable), no other is half
# applied, and the audit holds.

. "$(dirname "$0")/lib.sh"

npm_ci || exit 1
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
is_root && sh "$TOP/etc/mkusers.sh" >/dev/null
write_conf "$T/conf" "mint local { lightning fake }"

for round in 0 1 2; do
	if ! start "$T/conf"; then
		notok "round $round: the suite starts"
		continue
	fi
	: >"$T/tokens"
	i=0
	while [ $i -lt 40 ]; do
		"$ROUTSTRCTL" -s "$T/ctl.sock" mint token 255 >>"$T/tokens"
		i=$((i + 1))
	done
	: >"$T/storm.$round"
	(cd "$INTEROP" && exec node storm.mjs "$URL" "$T/tokens" \
	    "$T/storm.$round") >"$T/storm.out" 2>&1 &
	storm=$!
	ms=$(python3 -c 'import random; print(random.randint(150, 900))')
	sleep "$(python3 -c "print($ms / 1000)")"
	if [ $round = 0 ]; then
		what="ledgerd"
		kill -KILL "$(pid_of "ledgerd: ledger")"
		wait_exit 20
	else
		what="the whole suite"
		kill -KILL $SUITE_PID $(children "$SUITE_PID")
		wait "$SUITE_PID" 2>/dev/null
		SUITE_PID=
	fi
	wait "$storm"
	sent=$(grep -c '"sent"' "$T/storm.$round")
	done=$(grep -c '"done"' "$T/storm.$round")
	echo "# round $round: kill -9 $what after $ms ms: $sent sent," \
	    "$done answered"
	if ! start "$T/conf"; then
		notok "round $round: recovery after kill -9 of $what"
		continue
	fi
	ok "round $round: recovery after kill -9 of $what"
	(cd "$INTEROP" && node storm.mjs --check "$URL" "$T/storm.$round") |
	    sed "s/^\(ok\|not ok\) - /\1 - round $round: /"
	"$ROUTSTRCTL" -s "$T/ctl.sock" ledger check >"$T/audit" 2>&1
	check "round $round: the audit holds" grep -q "^problems: 0" \
	    "$T/audit"
	kill -TERM "$SUITE_PID"
	wait_exit 20
done
