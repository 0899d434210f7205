# Started by a normal user: no chroot and no user switch, said once in
# the log, and the rest of the sandbox (NoNewPrivs, Landlock, seccomp)
# still applies.  When the tests run as root, the suite is started as
# nobody with setpriv(1).

. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
if is_root; then
	command -v setpriv >/dev/null || {
		echo "ok - # SKIP no setpriv"
		exit 0
	}
	AS="setpriv --reuid=65534 --regid=65534 --clear-groups --"
	chown 65534:65534 "$T"		# its state and control socket
	want_uid=65534
else
	AS=
	want_uid=$(id -u)
fi
write_conf "$T/conf"
chmod 0644 "$T/conf"

: >"$T/log"
chmod 0666 "$T/log"
$AS "$ROUTSTRD" -d -v -f "$T/conf" >>"$T/log" 2>&1 &
SUITE_PID=$!
if ! wait_log "startup complete" 20; then
	notok "the suite starts unprivileged"
	exit 1
fi
ok "the suite starts unprivileged"
# With setpriv, the parent is setpriv's exec: the same pid.
check "the parent says once that it keeps its uid" test \
    "$(grep -c 'parent.*not started as root' "$T/log")" -eq 1
check "each child says the chroot and user switch are skipped" test \
    "$(grep -c 'chroot and user switch skipped' "$T/log")" -eq 4
for p in $(children "$SUITE_PID"); do
	t=$(title "$p")
	check "$t runs as uid $want_uid" \
	    test "$(status_field "$p" Uid | cut -f1)" = "$want_uid"
	check "$t: NoNewPrivs" test "$(status_field "$p" NoNewPrivs)" = 1
	check "$t: a seccomp filter" test "$(status_field "$p" Seccomp)" = 2
	check "$t: not chrooted" test "$(readlink /proc/$p/root)" = /
done
check "GET /v1/info answers" http_get -o /dev/null \
    "http://127.0.0.1:$PORT/v1/info"
check "routstrctl show status works for the same user" sh -c \
    "$AS '$ROUTSTRCTL' -s '$T/ctl.sock' show status | grep -q '^ledger '"
if is_root; then
	check "root may use the control socket too" \
	    "$ROUTSTRCTL" -s "$T/ctl.sock" show status
fi
"$ROUTSTRCTL" -s "$T/ctl.sock" check sandbox ledger >"$T/check" 2>&1
check "the ledger's seccomp filter still kills" \
    grep -q "killed by its sandbox" "$T/check"
wait_exit 20
