# make run, as a newcomer types it: five processes, /v1/info answers,
# the banner says what to try, ^C stops everything.

. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
cd "$TOP" || exit 1
setsid make --no-print-directory run PORT="$PORT" RUNDIR="$T/run" \
    >"$T/log" 2>&1 &
MAKE_PID=$!
if wait_log "routstrd is running on http://127.0.0.1:$PORT" 60; then
	ok "make run starts and prints what to try"
else
	notok "make run starts and prints what to try"
	kill -TERM -"$MAKE_PID" 2>/dev/null
	exit 1
fi
check "the banner names the curl command" \
    grep -q "curl http://127.0.0.1:$PORT/v1/info" "$T/log"
check "curl /v1/info answers" sh -c \
    "curl -s -S --max-time 5 http://127.0.0.1:$PORT/v1/info | \
    grep -q '\"name\":\"routstrd demo\"'"
check "/v1/info has the demo node's npub" sh -c \
    "curl -s -S --max-time 5 http://127.0.0.1:$PORT/v1/info | \
    grep -q '\"npub\":\"npub1'"
# The banner's token and curl command, run as printed.
token=$(sed -n 's/^TOKEN=//p' "$T/log")
check "the banner prints a test token" sh -c "echo '$token' | grep -q '^cashuB'"
sed -n '/^	curl .*chat\/completions/,/Hello/p' "$T/log" |
    sed 's/^	//' >"$T/chat.sh"
check "the banner names the chat command" grep -q Hello "$T/chat.sh"
TOKEN=$token sh "$T/chat.sh" >"$T/chat.json" 2>/dev/null
check "the printed curl command gets the echo's answer, paid" python3 -c "
import json, sys
j = json.load(open(sys.argv[1]))
assert j['choices'][0]['message']['content'] == 'echo: Hello', j
assert j['usage']['cost']['total_msats'] > 0, j
" "$T/chat.json"
check "and the token's balance went down by its cost" python3 -c "
import json, subprocess, sys
j = json.load(open(sys.argv[1]))
b = json.loads(subprocess.check_output(['curl', '-s',
    'http://127.0.0.1:$PORT/v1/balance/info', '-H',
    'Authorization: Bearer ' + sys.argv[2]]))
assert b['balance'] == 1000000 - j['usage']['cost']['total_msats'], b
" "$T/chat.json" "$token"
parent=$("$ROUTSTRCTL" -s "$T/run/routstrd.sock" show status |
    awk '$1 == "parent" { print $2 }')
check "the parent is titled routstrd: parent" \
    test "$(title "$parent")" = "routstrd: parent"
n=$(children "$parent" | wc -l)
check "five processes: the parent and four children" test "$n" -eq 4
check "routstrctl show status works as the banner says" sh -c \
    "'$ROUTSTRCTL' -s '$T/run/routstrd.sock' show status | grep -q '^mint '"
check "the state lives in the run directory" test -d "$T/run/state/ledger"
kill -INT -"$MAKE_PID"
i=0
while kill -0 "$parent" 2>/dev/null && [ $i -lt 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
check "^C stops the suite" sh -c "! kill -0 $parent 2>/dev/null"
check "and the parent says so" grep -q "terminating" "$T/log"
