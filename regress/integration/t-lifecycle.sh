# The life and death of the suite: prefork, a child that dies, the
# sandbox check of every child, refusals at start, and children started
# by hand.

. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
is_root && sh "$TOP/etc/mkusers.sh" >/dev/null

# prefork: several proxies share the listening sockets, TLS included
# (each reads the certificate from its own copy of the parent's fd).
TLSPORT=$(free_port)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
    -nodes -days 2 -subj /CN=localhost -keyout "$T/tls.key" \
    -out "$T/tls.crt" >/dev/null 2>&1
chmod 0600 "$T/tls.key"
write_conf "$T/conf" "prefork 3" \
    "listen on 127.0.0.1 port $TLSPORT tls certificate \"$T/tls.crt\" key \"$T/tls.key\""
if start "$T/conf"; then
	ok "prefork 3: the suite starts"
	n=$(children "$SUITE_PID" | wc -l)
	check "prefork 3: six children" test "$n" -eq 6
	check "prefork 3: proxy 0" pid_of "routstrd: proxy"
	check "prefork 3: proxy 1" pid_of "routstrd: proxy 1"
	check "prefork 3: proxy 2" pid_of "routstrd: proxy 2"
	check "prefork 3: the ledger proved 5 channels" \
	    grep -q "ledger.*5 channels proven" "$T/log"
	i=0
	while [ $i -lt 30 ]; do
		http_get -o /dev/null "http://127.0.0.1:$PORT/v1/info" || break
		i=$((i + 1))
	done
	check "prefork 3: 30 requests on 30 connections" test $i -eq 30
	i=0
	while [ $i -lt 30 ]; do
		http_get -o /dev/null --cacert "$T/tls.crt" \
		    "https://localhost:$TLSPORT/v1/info" || break
		i=$((i + 1))
	done
	check "prefork 3: 30 TLS requests on 30 connections" test $i -eq 30
	check "prefork 3: every proxy has its TLS context" \
	    test "$(grep -c 'proxy.*listening on 127.0.0.1:'"$TLSPORT" "$T/log")" \
	    -eq 3
	"$ROUTSTRCTL" -s "$T/ctl.sock" show status >"$T/status"
	check "prefork 3: routstrctl lists proxy 2" \
	    grep -q "^proxy 2 " "$T/status"
	kill -TERM "$SUITE_PID"
	wait_exit 20 && check "prefork 3: stops with status 0" test "$EXIT" = 0
else
	notok "prefork 3: the suite starts"
fi

# A child that dies takes the suite down, and the parent says which.
write_conf "$T/conf"
for t in "mintd: mint" "ledgerd: ledger" "routstrd: proxy"; do
	if ! start "$T/conf"; then
		notok "kill -9 $t: the suite starts"
		continue
	fi
	pid=$(pid_of "$t")
	others=$(children "$SUITE_PID" | grep -v "^$pid\$")
	kill -KILL "$pid"
	if wait_exit 20; then
		check "kill -9 $t: the parent exits 1" test "$EXIT" = 1
		check "kill -9 $t: the parent names it" grep -Eq \
		    "parent.*\(pid $pid\) terminated by signal Killed" "$T/log"
		for o in $others; do
			check "kill -9 $t: child $o stopped too" \
			    sh -c "! kill -0 $o 2>/dev/null"
		done
	else
		notok "kill -9 $t: the suite stops"
	fi
done

# Every sandbox is in force: a forbidden system call kills.
for p in proxy ledger mint relay; do
	if ! start "$T/conf"; then
		notok "check sandbox $p: the suite starts"
		continue
	fi
	"$ROUTSTRCTL" -s "$T/ctl.sock" check sandbox $p >"$T/check" 2>&1
	rc=$?
	check "check sandbox $p: routstrctl says it was killed" sh -c \
	    "test $rc = 0 && grep -q 'killed by its sandbox' '$T/check'"
	if wait_exit 20; then
		check "check sandbox $p: the parent logs the SIGSYS" grep -q \
		    "killed by its sandbox: a forbidden system call" "$T/log"
		check "check sandbox $p: the suite exits 1" test "$EXIT" = 1
	else
		notok "check sandbox $p: the suite stops"
	fi
done

# Started with -vv, the filter traps and names the system call.
if start "$T/conf" -vv; then
	"$ROUTSTRCTL" -s "$T/ctl.sock" check sandbox mint >/dev/null 2>&1
	wait_exit 20
	check "-vv: the sandbox names the forbidden call" \
	    grep -q "sandbox: forbidden system call" "$T/log"
	check "-vv: the parent still sees the SIGSYS" \
	    grep -q "killed by its sandbox" "$T/log"
else
	notok "-vv: the suite starts"
fi

# A sandbox check of a process that does not answer gives up, and does
# not block the next check.
if start "$T/conf"; then
	relay=$(pid_of "relayd-client: relay")
	kill -STOP "$relay"
	"$ROUTSTRCTL" -s "$T/ctl.sock" check sandbox relay >"$T/check" 2>&1
	rc=$?
	check "check sandbox of a stopped process fails after a while" \
	    sh -c "test $rc = 1 && grep -q 'no answer' '$T/check'"
	"$ROUTSTRCTL" -s "$T/ctl.sock" check sandbox ledger >"$T/check" 2>&1
	check "and the next check runs" grep -q "killed by its sandbox" \
	    "$T/check"
	kill -CONT "$relay"
	wait_exit 30
else
	notok "check of a stopped process: the suite starts"
fi

# A control client that sends without reading cannot hang the parent.
if start "$T/conf"; then
	python3 - "$T/ctl.sock" "$TOP/common/ipc.h" >"$T/flood" 2>&1 <<'EOP' &
import re, socket, struct, sys, time
names = re.search(r"enum imsg_type \{(.*?)\};", open(sys.argv[2]).read(),
    re.S).group(1)
names = re.findall(r"^\s*(IMSG_[A-Z_]+)", names, re.M)
num = {n: i for i, n in enumerate(names)}
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.setblocking(False)
status = struct.pack("=IIII", num["IMSG_CTL_SHOW_STATUS"], 16, 1, 0)
sent = 0
try:
	for i in range(100000):
		s.send(status)
		sent += 1
except BlockingIOError:
	pass
check = struct.pack("=IIIIi", num["IMSG_CTL_SANDBOX_CHECK"], 20, 2, 0, 3)
s.setblocking(True)
s.settimeout(2)
try:
	s.send(check)
except OSError as e:
	print("check not sent:", e)
print("sent", sent)
time.sleep(30)
EOP
	flood=$!
	sleep 1
	"$ROUTSTRCTL" -s "$T/ctl.sock" check sandbox mint >/dev/null 2>&1
	if wait_exit 20; then
		ok "a flooding control client: the suite still stops"
	else
		notok "a flooding control client: the suite still stops"
	fi
	kill "$flood" 2>/dev/null
else
	notok "a flooding control client: the suite starts"
fi

# A second SIGTERM to a proxy that drains does not stop it draining.
if start "$T/conf"; then
	proxy=$(pid_of "routstrd: proxy")
	python3 -c 'import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.send(b"GET /v1/info HTTP/1.1\r\nHost: x\r\n")
time.sleep(15)' "$PORT" &
	slow=$!
	sleep 0.5
	kill -TERM "$proxy"
	sleep 0.2
	kill -TERM "$proxy"
	i=0
	while kill -0 "$proxy" 2>/dev/null && [ $i -lt 160 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	check "two SIGTERMs: the proxy exits within its drain time" \
	    sh -c "! kill -0 $proxy 2>/dev/null"
	kill "$slow" 2>/dev/null
	wait_exit 20
else
	notok "two SIGTERMs: the suite starts"
fi

# Refusals at start.
start "$T/conf" || notok "a second instance: the first starts"
"$ROUTSTRD" -d -f "$T/conf" >"$T/second" 2>&1
rc=$?
check "a second instance on the same control socket exits 1" test $rc = 1
check "a second instance says why" grep -q "is in use" "$T/second"
"$ROUTSTRD" -f "$T/conf" >"$T/second" 2>&1
rc=$?
check "a second instance without -d exits 1 too (before daemonizing)" \
    test $rc = 1
check "the first instance still answers" http_get -o /dev/null \
    "http://127.0.0.1:$PORT/v1/info"
kill -TERM "$SUITE_PID"
wait_exit 20

echo "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" \
    >"$T/readable.key"
chmod 0644 "$T/readable.key"
write_conf "$T/conf2" "nostr key file \"$T/readable.key\""
"$ROUTSTRD" -d -f "$T/conf2" >"$T/out" 2>&1
rc=$?
check "a world-readable key file is refused" sh -c \
    "test $rc = 1 && grep -q 'refusing a file that others can read' '$T/out'"
check "the refusal does not print the key" sh -c \
    "! grep -q 0123456789abcdef '$T/out'"

echo "not a key" >"$T/bad.key"
chmod 0600 "$T/bad.key"
write_conf "$T/conf3" "nostr key file \"$T/bad.key\""
"$ROUTSTRD" -d -f "$T/conf3" >"$T/out" 2>&1
rc=$?
check "a malformed nostr key stops the start" sh -c \
    "test $rc = 1 && grep -q 'want 64 hex digits or an nsec' '$T/out'"

write_conf "$T/conf4" "nostr key file \"$T/missing.key\""
"$ROUTSTRD" -d -f "$T/conf4" >"$T/out" 2>&1
rc=$?
check "a missing key file stops the start" sh -c \
    "test $rc = 1 && grep -q 'missing.key' '$T/out'"

# The children refuse to run by hand.
for b in ledgerd/ledgerd mintd/mintd relayd-client/relayd-client; do
	"$TOP/$b" >"$T/out" 2>&1 3>&-
	rc=$?
	check "$b run by hand refuses" sh -c \
	    "test $rc = 1 && grep -q 'started by routstrd' '$T/out'"
done
"$ROUTSTRD" -P proxy -I 0 >"$T/out" 2>&1 3>&-
rc=$?
check "the proxy run by hand refuses" sh -c \
    "test $rc = 1 && grep -q 'started by routstrd' '$T/out'"
"$TOP/mintd/mintd" -I 0 3<"$T/conf" >"$T/out" 2>&1
rc=$?
check "a child with a file, not a socket, on fd 3 refuses" test $rc = 1
