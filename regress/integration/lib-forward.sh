# Helpers of the paid API's tests (t-forward-*.sh), on top of lib.sh:
# mock upstreams (regress/upstream-mock.py), requests with their status,
# headers and body kept, assertions in python on them, balances.
# The caller starts mocks (mock_start), writes its configuration
# (write_conf) and starts the suite (fwd_start).

. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
URL=http://127.0.0.1:$PORT
CTL="$ROUTSTRCTL -s $T/ctl.sock"
CLIENT="python3 $TOP/regress/integration/forward-client.py"
MOCK_PIDS=
is_root && sh "$TOP/etc/mkusers.sh" >/dev/null

fwd_cleanup() {
	# Closing their stdin ends the mocks; a kill if they linger.
	exec 7>&- 8>&- 2>/dev/null
	for p in $MOCK_PIDS; do
		kill "$p" 2>/dev/null
	done
	cleanup
}
trap fwd_cleanup EXIT

# mock_start N: a mock upstream on file descriptor 6 + N (N is 1 or 2),
# its port in MOCK<N>.
mock_start() {
	mkfifo "$T/mock$1.in"
	python3 "$TOP/regress/upstream-mock.py" <"$T/mock$1.in" \
	    >"$T/mock$1.out" 2>"$T/mock$1.err" &
	MOCK_PIDS="$MOCK_PIDS $!"
	eval "exec $((6 + $1))>\"\$T/mock\$1.in\""
	_i=0
	until grep -q '^ready' "$T/mock$1.out"; do
		_i=$((_i + 1))
		if [ $_i -gt 100 ]; then
			notok "the upstream mock $1 starts"
			exit 1
		fi
		sleep 0.05
	done
	eval "MOCK$1=$(sed -n 's/^port //p' "$T/mock$1.out")"
}

# knobs PORT JSON: set the knobs of the mock on PORT (stats reset too)
knobs() {
	_k=$(curl -s -S --max-time 5 -o /dev/null -w '%{http_code}' \
	    -d "$2" "http://127.0.0.1:$1/mock/knobs")
	[ "$_k" = 200 ] || echo "# knobs $2 on $1: $_k"
}

# mstat PORT EXPR: a value of the mock's stats (python on s)
mstat() {
	curl -s --max-time 5 "http://127.0.0.1:$1/mock/stats" |
	    python3 -c "import json, sys
s = json.load(sys.stdin)
print($2)"
}

# fwd_start CONF: the suite on CONF with -vv, its log in $T/log
fwd_start() {
	if ! "$ROUTSTRD" -n -f "$1" >"$T/conf.check" 2>&1; then
		notok "the configuration checks out"
		sed 's/^/#   /' "$T/conf.check"
		exit 1
	fi
	if ! start "$1" -vv; then
		notok "the suite starts"
		exit 1
	fi
	ok "the suite starts"
}

# fwd_stop: stop the suite, and check it stops cleanly
fwd_stop() {
	kill -TERM "$SUITE_PID"
	if wait_exit 20 && [ "$EXIT" = 0 ]; then
		ok "the suite stops cleanly"
	else
		notok "the suite stops cleanly"
	fi
}

# req PATH BODY [HEADER...]: POST; the status in ST, the head in
# $T/hdr, the body in $T/body
req() {
	_p=$1
	_b=$2
	shift 2
	_n=$#
	for _h; do
		set -- "$@" -H "$_h"
	done
	shift $_n
	ST=$(curl -s --max-time 30 -D "$T/hdr" -o "$T/body" \
	    -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	    "$@" --data-binary "$_b" "$URL$_p")
}

# hdr NAME: the value of a header of the last req
hdr() {
	tr -d '\r' <"$T/hdr" | awk -v n="$1" '
	    { i = index($0, ":") }
	    i > 0 && tolower(substr($0, 1, i - 1)) == tolower(n) {
		v = substr($0, i + 1); sub(/^[ \t]*/, "", v) }
	    END { print v }'
}

# j EXPR: a value of the last body (python on j), "" if it is not JSON
j() {
	python3 -c "import json, sys
j = json.load(open(sys.argv[1]))
print($1)" "$T/body" 2>/dev/null
}

# expect WHAT PYTHON: assertions on the last req: S its status, j its
# body as JSON (None if not JSON), B its body as text, H its headers
# (lowercase names)
expect() {
	if python3 -c "import json, sys
S = int(sys.argv[1])
B = open(sys.argv[2], encoding='utf-8', errors='replace').read()
try:
    j = json.loads(B)
except ValueError:
    j = None
H = {}
for ln in open(sys.argv[3], encoding='latin-1').read().splitlines():
    n, c, v = ln.partition(':')
    if c:
        H[n.strip().lower()] = v.strip()
$2" "${ST:-0}" "$T/body" "$T/hdr" >"$T/expect.out" 2>&1; then
		ok "$1"
	else
		notok "$1"
		echo "#   status $ST"
		sed 's/^/#   /' "$T/body" | head -c 600
		echo
		grep -v '^Traceback\|^  File' "$T/expect.out" |
		    sed 's/^/#   /' | tail -n 4
	fi
}

# is WHAT GOT WANT
is() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		notok "$1: got '$2', want '$3'"
	fi
}

# token SATS: a fresh token of the node's mint
token() {
	$CTL mint token "$1"
}

# new_key SATS: an sk- key holding SATS (the node's JSON is compact:
# sed reads it, quicker than a python3 for each)
new_key() {
	_t=$(token "$1")
	curl -s --max-time 10 -H 'Content-Type: application/json' \
	    -d "{\"initial_balance_token\": \"$_t\"}" \
	    "$URL/v1/balance/create" |
	    sed -n 's/.*"api_key":"\(sk-[0-9a-f]*\)".*/\1/p'
}

# bal KEY: "balance reserved" of KEY, in msat
bal() {
	curl -s --max-time 10 -H "Authorization: Bearer $1" \
	    "$URL/v1/balance/info" |
	    sed -n 's/.*"balance":\([0-9]*\),"reserved":\([0-9]*\).*/\1 \2/p'
}

# bal_settled KEY: "balance reserved" once nothing is reserved (at most
# 10 s), for requests the node finishes after the client has gone
bal_settled() {
	_i=0
	while :; do
		_b=$(bal "$1")
		case $_b in
		*" 0") break ;;
		esac
		_i=$((_i + 1))
		[ $_i -gt 100 ] && break
		sleep 0.1
	done
	echo "$_b"
}

# redeem TOKEN: the msat a token is worth, redeemed into a new balance
# ("" if it does not redeem)
redeem() {
	curl -s --max-time 10 -H 'Content-Type: application/json' \
	    -d "{\"initial_balance_token\": \"$1\"}" \
	    "$URL/v1/balance/create" |
	    sed -n 's/^{.*"balance":\([0-9]*\)[,}].*/\1/p'
}

# chat WORDS [MAX_TOKENS [MODEL]]: a chat body
chat() {
	printf '{"model": "%s", "messages": [{"role": "user", "content": "%s"}]%s}' \
	    "${3:-m1}" "$1" "${2:+, \"max_tokens\": $2}"
}

# no_secrets WHAT WORD...: none of the words is in the log
no_secrets() {
	_w=$1
	shift
	_bad=
	for _s; do
		[ -n "$_s" ] && grep -qF -- "$_s" "$T/log" && _bad="$_bad $(printf '%.16s' "$_s")"
	done
	if [ -z "$_bad" ]; then
		ok "$_w"
	else
		notok "$_w: found$_bad"
	fi
}

# only_ports WHAT PORT...: the log names 127.0.0.1 with none but these
# ports (the listener's, the upstreams'): no client's address and port
only_ports() {
	_w=$1
	shift
	_bad=$(grep -o '127\.0\.0\.1:[0-9]*' "$T/log" | sort -u |
	    while IFS=: read -r _a _p; do
		_k=0
		for _q; do
			[ "$_p" = "$_q" ] && _k=1
		done
		[ $_k = 1 ] || printf ' %s' "$_p"
	    done)
	if [ -z "$_bad" ]; then
		ok "$_w"
	else
		notok "$_w: ports$_bad"
	fi
}
