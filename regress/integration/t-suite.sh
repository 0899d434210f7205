# The whole suite on an ephemeral port in a temporary directory: five
# processes with their titles, /v1/info over TCP, TLS and a UNIX socket,
# routstrctl, the confinement of each child, and an orderly stop.

. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
TLSPORT=$(free_port)

if is_root; then
	check "make users creates the users and /var/empty" \
	    sh "$TOP/etc/mkusers.sh"
fi

(umask 077 && echo "$NSEC" >"$T/nostr.key")
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
    -nodes -days 2 -subj /CN=localhost -keyout "$T/tls.key" \
    -out "$T/tls.crt" >/dev/null 2>&1
chmod 0600 "$T/tls.key"

write_conf "$T/conf" \
    "listen on 127.0.0.1 port $TLSPORT tls certificate \"$T/tls.crt\" key \"$T/tls.key\"" \
    "listen on socket \"$T/onion.sock\" mode 0666" \
    "onion url \"http://abcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefab.onion\"" \
    "child key cost 1000" \
    "nostr key file \"$T/nostr.key\"" \
    "mint \"https://mint.example.org\" trusted" \
    "mint \"https://other.example.org/Bitcoin\" trusted" \
    "relay \"ws://localhost:7777\"" \
    "relay \"wss://127.0.0.1/\""

check "the configuration checks out" "$ROUTSTRD" -n -f "$T/conf"
if ! start "$T/conf"; then
	notok "the suite starts"
	exit 1
fi
ok "the suite starts and every process reports ready"

# Processes and titles.
kids=$(children "$SUITE_PID" | wc -l)
[ "$kids" -eq 4 ] && ok "the parent has four children" ||
    notok "the parent has four children (has $kids)"
check "parent title" test "$(title "$SUITE_PID")" = "routstrd: parent"
for t in "routstrd: proxy" "ledgerd: ledger" "mintd: mint" \
    "relayd-client: relay"; do
	check "a child titled \"$t\"" pid_of "$t"
done
PROXY=$(pid_of "routstrd: proxy")
LEDGER=$(pid_of "ledgerd: ledger")
MINT=$(pid_of "mintd: mint")
RELAY=$(pid_of "relayd-client: relay")

# The parent resolves names for the children, which have no filesystem.
check "the relay client gets localhost's addresses from the parent" \
    wait_log "relay localhost port 7777: [12] address" 5
check "and an address literal's" \
    wait_log "relay 127.0.0.1 port 443: 1 address" 5

# /v1/info in Routstr Core's shape.
http_get "http://127.0.0.1:$PORT/v1/info" >"$T/info.json"
check "GET /v1/info answers in Routstr Core's shape" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
want = ["name", "description", "version", "npub", "mints", "http_url",
    "onion_url", "child_key_cost_msats"]
assert list(d) == want, list(d)
assert d["name"] == "test node", d
assert d["description"] == "a node under test", d
assert d["npub"] == sys.argv[2], d["npub"]
assert d["mints"] == ["https://mint.example.org",
    "https://other.example.org/Bitcoin"], d["mints"]
assert d["http_url"] == "http://127.0.0.1:" + sys.argv[3], d
assert d["onion_url"].endswith(".onion"), d
assert d["child_key_cost_msats"] == 1000, d
assert isinstance(d["version"], str) and d["version"], d
' "$T/info.json" "$NPUB" "$PORT"
check "GET /v1/info over TLS" sh -c \
    "curl -s -S --max-time 5 --cacert '$T/tls.crt' \
    https://localhost:$TLSPORT/v1/info | grep -q '\"npub\":\"$NPUB\"'"
check "GET /v1/info over the UNIX socket" sh -c \
    "curl -s -S --max-time 5 --unix-socket '$T/onion.sock' \
    http://onion/v1/info | grep -q '\"name\":\"test node\"'"
check "GET / says running" sh -c \
    "curl -s -S --max-time 5 http://127.0.0.1:$PORT/ | \
    grep -q '\"status\":\"running\"'"
check "unknown paths are FastAPI's 404" sh -c \
    "test \"\$(curl -s -o /dev/null -w '%{http_code}' \
    http://127.0.0.1:$PORT/nope)\" = 404"
check "POST /v1/info is 405" sh -c \
    "test \"\$(curl -s -o /dev/null -w '%{http_code}' -d x \
    http://127.0.0.1:$PORT/v1/info)\" = 405"
check "keep-alive: three requests on one connection" sh -c \
    "curl -s -S -v http://127.0.0.1:$PORT/v1/info \
    http://127.0.0.1:$PORT/v1/info http://127.0.0.1:$PORT/v1/info \
    2>&1 >/dev/null | grep -c 'Re-using existing connection' | grep -q 2"

# routstrctl.
"$ROUTSTRCTL" -s "$T/ctl.sock" show status >"$T/status" 2>&1
check "routstrctl show status lists six lines" test "$(wc -l <"$T/status")" -eq 6
for p in parent proxy ledger mint relay; do
	check "routstrctl shows $p with its pid" grep -Eq "^$p +[0-9]+ " \
	    "$T/status"
done
check "routstrctl shows the children ready" \
    test "$(grep -c ' ready' "$T/status")" -eq 4
check "routstrctl shows the proxy's pid" grep -q "^proxy *$PROXY " "$T/status"
check "routstrctl log debug" "$ROUTSTRCTL" -s "$T/ctl.sock" log debug
check "routstrctl log brief" "$ROUTSTRCTL" -s "$T/ctl.sock" log brief
check "routstrctl rejects an unknown command" \
    sh -c "! '$ROUTSTRCTL' -s '$T/ctl.sock' show nothing 2>/dev/null"

# The ledger: audit and hot backup through routstrctl.
"$ROUTSTRCTL" -s "$T/ctl.sock" ledger check >"$T/audit" 2>&1
rc=$?
check "routstrctl ledger check: no problem" sh -c \
    "test $rc = 0 && grep -q '^problems: 0' '$T/audit'"
check "routstrctl ledger backup into a new directory" \
    "$ROUTSTRCTL" -s "$T/ctl.sock" ledger backup "$T/backup"
check "the backup holds the tables and the log" sh -c \
    "ls '$T/backup' | grep -q '^log\.' && ls '$T/backup' | grep -q accounts"
check "a backup into a directory that is not empty is refused" sh -c \
    "! '$ROUTSTRCTL' -s '$T/ctl.sock' ledger backup '$T/backup' 2>&1 |
    grep -q complete"

# Confinement, read from /proc.
for pid in $PROXY $LEDGER $MINT $RELAY; do
	t=$(title "$pid")
	check "$t: NoNewPrivs" test "$(status_field "$pid" NoNewPrivs)" = 1
	check "$t: a seccomp filter" test "$(status_field "$pid" Seccomp)" = 2
done
# Not dumpable: /proc/PID files then belong to root, whoever runs it.
for pid in $PROXY $LEDGER $MINT $RELAY; do
	check "$(title "$pid") is not dumpable" \
	    test "$(stat -c %u /proc/$pid/environ)" = 0
done
if is_root; then
	for pair in "$PROXY:_routstrd:/var/empty" "$LEDGER:_ledgerd:$T/state/ledger" \
	    "$MINT:_mintd:/var/empty" "$RELAY:_relayd-client:/var/empty"; do
		pid=${pair%%:*}
		rest=${pair#*:}
		user=${rest%%:*}
		dir=${rest#*:}
		uid=$(id -u "$user")
		t=$(title "$pid")
		check "$t runs as $user" test \
		    "$(status_field "$pid" Uid)" = "$uid"
		check "$t has no groups but its own" test \
		    "$(awk '$1 == "Groups:" { print $2 }' /proc/$pid/status)" \
		    = "$(id -g "$user")"
		check "$t is chrooted into $dir" test \
		    "$(readlink /proc/$pid/root)" = "$(readlink -f "$dir")"
	done
	check "the ledger directory belongs to _ledgerd, mode 0700" test \
	    "$(stat -c '%U %a' "$T/state/ledger")" = "_ledgerd 700"
else
	echo "ok - # SKIP uid, groups and chroot checks need root"
fi

# Secrets and client data stay out of the logs.
check "the nostr secret key is not in the logs" sh -c \
    "! grep -q -e '$NSEC' -e 67dea2ed018072d675f5415ecfaed7d2 '$T/log'"

# SIGTERM stops everything, in order.
kill -TERM "$SUITE_PID"
if wait_exit 20; then
	check "SIGTERM: the parent exits 0" test "$EXIT" = 0
else
	notok "SIGTERM: the suite stops within 20 s"
fi
for pid in $PROXY $LEDGER $MINT $RELAY; do
	check "SIGTERM: child $pid is gone" sh -c "! kill -0 $pid 2>/dev/null"
done
check "SIGTERM: the proxy stopped before the ledger" sh -c "
	p=\$(grep -n 'proxy\\[$PROXY\\]: exiting' '$T/log' | cut -d: -f1)
	l=\$(grep -n 'ledger\\[$LEDGER\\]: exiting' '$T/log' | cut -d: -f1)
	test -n \"\$p\" && test -n \"\$l\" && test \"\$p\" -lt \"\$l\""
check "SIGTERM: the control socket is removed" test ! -e "$T/ctl.sock"
check "SIGTERM: 'terminating' is logged" grep -q "parent.*terminating" "$T/log"

# Restore the backup as ledgerd(8) says, and start on it.
mv "$T/state/ledger" "$T/ledger.old"
cp -R "$T/backup" "$T/state/ledger"
is_root && chown -R _ledgerd "$T/state/ledger"
chmod 0700 "$T/state/ledger"
if start "$T/conf"; then
	ok "the suite starts on the restored ledger"
	check "and its audit finds no problem" \
	    "$ROUTSTRCTL" -s "$T/ctl.sock" ledger check
	kill -TERM "$SUITE_PID"
	wait_exit 20
else
	notok "the suite starts on the restored ledger"
fi
