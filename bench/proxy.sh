#!/bin/sh
#
# bench/proxy.sh: POST /v1/chat/completions, plain and streamed, through
# routstrd billing every request against an sk- balance (durable ledger
# commits), through nginx as a plain reverse proxy to the same mock
# upstream (obj/bench/upstream), and to the mock itself, with the same
# client (wrk), on this machine, in the same run.
#
# It prints, for each: requests per second, p50 and p99 latency and the
# CPU each process used per request under wrk; p50 and p99 one request
# at a time, and for streams the time to the first byte of the body
# (obj/bench/proxy: wrk cannot tell), the mock waiting EVENT_MS between
# its events (longer if the system's timers are coarse: the direct
# path's figures show it); p50 and p99 under a steady load of RATE
# requests a second (obj/bench/proxy -r: each request timed from when it
# was due, the same load for the three, well below what each can take);
# then the goals of the paid proxy, met or not: at least 70% of nginx's
# requests per second, at most 1 ms added to the direct path's p99 (under
# wrk, which saturates each, so that the slower adds queueing; one at a
# time; at the steady rate) and to its first streamed byte.  It fails if
# the billing was not exact.
#
# The mock answers 10 prompt and 5 completion tokens; the model costs
# 1000 and 2000 sat per million of them: 20 msat a request.  wrk sends
# the billed key until a second before its end and a second key after,
# so that every request on the first was answered when wrk stops: its
# balance must have gone down by exactly the requests sent with it times
# 20 msat (and, one at a time, by what the answers said they cost).
#
# Environment: DURATION (seconds per wrk run, at least 3, default 10),
# CONNECTIONS (default 64), THREADS (wrk threads, default 2), ROUNDS (of
# the wrk runs, interleaved, the best of each figure reported, default
# 1), PREFORK (proxies, default: the number of cores), FIRSTBYTE
# (requests timed one at a time, default 200), RATE (requests a second
# of the steady load, default 2000, over 16 connections for DURATION
# seconds), OBJ (default obj).

TOP=$(cd "$(dirname "$0")/.." && pwd)
OBJ=${OBJ:-obj}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
CORES=$(nproc)
PREFORK=${PREFORK:-$CORES}
FIRSTBYTE=${FIRSTBYTE:-200}
ROUNDS=${ROUNDS:-1}
RATE=${RATE:-2000}
EVENT_MS=2		# between the events of the timed streams
COST=20			# msat: 10 * 1000 + 5 * 2000 msat per million
cd "$TOP" || exit 1

if [ "$DURATION" -lt 3 ] 2>/dev/null; then
	echo "bench/proxy.sh: DURATION must be at least 3 s" >&2
	exit 1
fi
if [ ! -x "$OBJ/bench/upstream" ] || [ ! -x "$OBJ/bench/proxy" ] ||
    [ ! -x routstrd/routstrd ]; then
	echo "bench/proxy.sh: build first: make all bench-bins" >&2
	exit 1
fi
for p in wrk nginx; do
	if ! command -v $p >/dev/null 2>&1; then
		if [ "$(id -u)" = 0 ]; then
			apt-get install -y -qq wrk nginx-light >/dev/null ||
			    exit 1
		else
			echo "bench needs wrk and nginx: apt-get install wrk" \
			    "nginx-light" >&2
			exit 1
		fi
	fi
done

T=$(mktemp -d "${TMPDIR:-/tmp}/bench-proxy.XXXXXX") || exit 1
chmod 0755 "$T"
rpid=
npid=
upid=
spid=
# stop PID: TERM, then KILL after 10 s
stop() {
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 200 ]; do
		i=$((i + 1))
		sleep 0.05
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}
cleanup() {
	stop "$rpid"
	[ -n "$npid" ] && kill -QUIT "$npid" 2>/dev/null
	stop "$npid"
	stop "$upid"
	stop "$spid"
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	echo "bench/proxy.sh: $*" >&2
	exit 1
}

port() {
	python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# upstream OUT [FLAGS]: start the mock; its pid in $mpid, port in $mport
upstream() {
	"$OBJ/bench/upstream" $2 >"$T/$1" 2>&1 &
	mpid=$!
	i=0
	until grep -qs '^port ' "$T/$1"; do
		i=$((i + 1))
		[ $i -gt 100 ] && fail "the mock did not start: $(cat "$T/$1")"
		sleep 0.05
	done
	mport=$(awk '$1 == "port" { print $2 }' "$T/$1")
}

# The mock, fast; and once more with EVENT_MS between its events, for
# the time to the first byte of a stream being passed on.
upstream up.out
upid=$mpid
UPORT=$mport
upstream slow.out "-s $EVENT_MS"
spid=$mpid
SPORT=$mport
NPORT=$(port)
RPORT=$(port)

# nginx: a plain reverse proxy with keep-alive upstream, one worker per
# core; not buffering, as one proxies a stream.
cat >"$T/nginx.conf" <<EOC
daemon off;
worker_processes $CORES;
pid $T/nginx.pid;
error_log $T/nginx.err;
events { worker_connections 4096; }
http {
	access_log off;
	keepalive_requests 1000000;
	client_body_temp_path $T/tmp;
	proxy_temp_path $T/tmp;
	fastcgi_temp_path $T/tmp;
	uwsgi_temp_path $T/tmp;
	scgi_temp_path $T/tmp;
	upstream mock {
		server 127.0.0.1:$UPORT;
		keepalive 256;
		keepalive_requests 1000000;
	}
	upstream slow {
		server 127.0.0.1:$SPORT;
		keepalive 16;
	}
	proxy_http_version 1.1;
	proxy_set_header Connection "";
	proxy_buffering off;
	server {
		listen 127.0.0.1:$NPORT;
		location /slow/ { proxy_pass http://slow/; }
		location / { proxy_pass http://mock; }
	}
}
EOC
mkdir -p "$T/tmp"
nginx -c "$T/nginx.conf" -p "$T" &
npid=$!

# routstrd with a local fake-Lightning mint, the fast mock and the slow
# one as upstreams.  The price sources point at the mock: no network.
[ "$(id -u)" = 0 ] && sh etc/mkusers.sh >/dev/null
cat >"$T/routstrd.conf" <<EOC
listen on 127.0.0.1 port $RPORT
prefork $PREFORK
name "bench node"
about "the paid proxy under load"
http url "http://127.0.0.1:$RPORT"
state directory "$T/state"
control socket "$T/ctl.sock"
mint local { lightning fake }
price source kraken url "http://127.0.0.1:$UPORT/health"
upstream mock { url "http://127.0.0.1:$UPORT/v1" }
upstream slow { url "http://127.0.0.1:$SPORT/v1" }
model "bench" upstream mock price prompt 1000 completion 2000 \\
	context length 1000 max completion 100
model "bench-slow" upstream slow price prompt 1000 completion 2000 \\
	context length 1000 max completion 100
EOC
routstrd/routstrd -d -f "$T/routstrd.conf" >"$T/routstrd.log" 2>&1 &
rpid=$!
i=0
until grep -qs "startup complete" "$T/routstrd.log"; do
	i=$((i + 1))
	if [ $i -gt 400 ] || ! kill -0 "$rpid" 2>/dev/null; then
		cat "$T/routstrd.log" >&2
		fail "the suite did not start"
	fi
	sleep 0.05
done
i=0
until curl -s -o /dev/null "http://127.0.0.1:$NPORT/"; do
	i=$((i + 1))
	[ $i -gt 100 ] && { cat "$T/nginx.err" >&2; fail "nginx did not start"; }
	sleep 0.05
done

# json FILE EXPR: a value of the JSON in FILE (python3 expression on j)
json() {
	python3 -c "import json, sys
j = json.load(open(sys.argv[1]))
print($2)" "$1" 2>/dev/null
}

# balance KEY: "balance reserved" in msat
balance() {
	curl -s -o "$T/info" -H "Authorization: Bearer $1" \
	    "http://127.0.0.1:$RPORT/v1/balance/info"
	json "$T/info" '"%d %d" % (j["balance"], j["reserved"])'
}

# settled KEY: the balance once nothing is reserved on it any more
settled() {
	i=0
	while :; do
		set -- "$1" $(balance "$1")
		[ "$3" = 0 ] && break
		i=$((i + 1))
		[ $i -gt 200 ] && fail "still $3 msat reserved after 10 s"
		sleep 0.05
	done
	echo "$2"
}

# newkey SAT: an sk- key holding SAT, from the mint's fresh ecash
newkey() {
	tok=$(routstrctl/routstrctl -s "$T/ctl.sock" mint token "$1") ||
	    fail "routstrctl mint token $1: $tok"
	curl -s -o "$T/create" -H 'Content-Type: application/json' \
	    -d "{\"initial_balance_token\": \"$tok\"}" \
	    "http://127.0.0.1:$RPORT/v1/balance/create"
	k=$(json "$T/create" 'j["api_key"]')
	case "$k" in
	sk-*)	echo "$k" ;;
	*)	fail "/v1/balance/create: $(cat "$T/create")" ;;
	esac
}
KEY=$(newkey 1000000) || exit 1
TAIL=$(newkey 100000) || exit 1

BODY='{"model":"bench","messages":[{"role":"user","content":"Say hello."}],"max_tokens":16'
SBODY='{"model":"bench-slow","messages":[{"role":"user","content":"Say hello."}],"max_tokens":16,"stream":true}'

# One paid request, to see that the route works and costs what it should.
b0=$(settled "$KEY") || exit 1
st=$(curl -s -o "$T/one" -w '%{http_code}' -H 'Content-Type: application/json' \
    -H "Authorization: Bearer $KEY" -d "$BODY}" \
    "http://127.0.0.1:$RPORT/v1/chat/completions")
[ "$st" = 200 ] || fail "a paid request: status $st: $(head -c 300 "$T/one")"
c=$(json "$T/one" 'j["usage"]["cost"]["total_msats"]')
[ "$c" = "$COST" ] || fail "a paid request cost '$c' msat, not $COST"
b1=$(settled "$KEY") || exit 1
[ $((b0 - b1)) = "$COST" ] ||
    fail "a paid request took $((b0 - b1)) msat off the balance, not $COST"

cat >"$T/post.lua" <<'EOL'
-- args: key, tail key, seconds, "1" to stream
local a, b, deadline
local threads = {}
sent = 0

function setup(thread)
	thread:set("id", #threads)
	table.insert(threads, thread)
end

function init(args)
	local body = '{"model":"bench","messages":[{"role":"user",' ..
	    '"content":"Say hello."}],"max_tokens":16' ..
	    (args[4] == "1" and ',"stream":true}' or '}')
	local h = { ["Content-Type"] = "application/json" }
	h["Authorization"] = "Bearer " .. args[1]
	a = wrk.format("POST", nil, h, body)
	h["Authorization"] = "Bearer " .. args[2]
	b = wrk.format("POST", nil, h, body)
	deadline = os.time() + tonumber(args[3]) - 1
	-- wrk calls request() once on the first thread to check it
	if id == 0 then
		sent = -1
	end
end

function request()
	if os.time() < deadline then
		sent = sent + 1
		return a
	end
	return b
end

function done(summary, latency, requests)
	local n = 0
	for _, t in ipairs(threads) do
		n = n + t:get("sent")
	end
	local e = summary.errors
	io.write(string.format("result %d %d %d %d %d %d\n",
	    summary.requests, summary.duration, latency:percentile(50),
	    latency:percentile(99), e.connect + e.read + e.write + e.status +
	    e.timeout, n))
end
EOL

# cpu PID...: "pid ticks name" of these processes and their children
# (each proxy by its own name: how the connections were spread shows)
cpu() {
	for p in "$@" $(for q in "$@"; do pgrep -P "$q"; done); do
		t=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)
		awk -v p="$p" -v t="$t" '{ sub(/^.*\) /, "")
		    if (t ~ /bench\/upstream/) t = "mock"
		    else if (t ~ /^nginx: master/) t = "nginx: master"
		    sub(/ +$/, "", t)
		    printf "%s %d %s\n", p, $12 + $13, t }' "/proc/$p/stat" \
		    2>/dev/null
	done
}

# run NAME PORT STREAM PID...: a second of warm-up on the tail key, then
# one wrk run; "requests usec p50 p99 errors sent" in $T/run.NAME.ROUND,
# the billed key's balance spent in $T/spent.NAME.ROUND, the CPU ticks
# of the server processes (PIDs and their children) in $T/cpu.NAME.ROUND
run() {
	name=$1
	port=$2
	stream=$3
	shift 3
	wrk -t"$THREADS" -c"$CONNECTIONS" -d1s -s "$T/post.lua" \
	    "http://127.0.0.1:$port/v1/chat/completions" -- "$TAIL" "$TAIL" \
	    1 "$stream" >"$T/wrk.out" 2>&1 || fail "wrk: $(cat "$T/wrk.out")"
	settled "$TAIL" >/dev/null || exit 1
	before=$(settled "$KEY") || exit 1
	cpu "$@" >"$T/cpu.before"
	wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" -s "$T/post.lua" \
	    "http://127.0.0.1:$port/v1/chat/completions" -- "$KEY" "$TAIL" \
	    "$DURATION" "$stream" >"$T/wrk.out" 2>&1
	cpu "$@" >"$T/cpu.after"
	awk '$1 == "result" { print $2, $3, $4, $5, $6, $7 }' "$T/wrk.out" \
	    >"$T/run.$name.$round"
	[ -s "$T/run.$name.$round" ] || fail "wrk: $(cat "$T/wrk.out")"
	awk 'NR == FNR { t[$1] = $2; next }
	    ($1 in t) { d = $2 - t[$1]; $1 = $2 = ""; sub(/^ +/, "")
		print d, $0 }' "$T/cpu.before" "$T/cpu.after" \
	    >"$T/cpu.$name.$round"
	settled "$TAIL" >/dev/null || exit 1
	after=$(settled "$KEY") || exit 1
	echo "$((before - after))" >"$T/spent.$name.$round"
}

# one NAME PORT PATH BODY: requests one at a time, timed by
# obj/bench/proxy, on the billed key; name=value pairs in $T/NAME
one() {
	before=$(settled "$KEY") || exit 1
	"$OBJ/bench/proxy" -n "$FIRSTBYTE" -w 20 -p "$2" -b "$4" \
	    -H "Authorization: Bearer $KEY" "$3" >"$T/$1" 2>"$T/$1.err" ||
	    fail "obj/bench/proxy ($1): $(cat "$T/$1.err")"
	after=$(settled "$KEY") || exit 1
	echo "$((before - after))" >"$T/spent.$1.1"
}

# paced NAME PORT PATH BODY: RATE requests a second for DURATION seconds,
# on the billed key; name=value pairs in $T/NAME
paced() {
	before=$(settled "$KEY") || exit 1
	"$OBJ/bench/proxy" -r "$RATE" -c 16 -d "$DURATION" -p "$2" -b "$4" \
	    -H "Authorization: Bearer $KEY" "$3" >"$T/$1" 2>"$T/$1.err" ||
	    fail "obj/bench/proxy -r ($1): $(cat "$T/$1.err")"
	after=$(settled "$KEY") || exit 1
	echo "$((before - after))" >"$T/spent.$1.1"
}

# Interleaved, so that a slow second of a shared host does not hit one
# of them only; the best of the rounds is reported.
round=1
while [ $round -le "$ROUNDS" ]; do
	for mode in 0 1; do
		run "direct$mode" "$UPORT" "$mode" "$upid"
		run "nginx$mode" "$NPORT" "$mode" "$npid" "$upid"
		run "routstrd$mode" "$RPORT" "$mode" "$rpid" "$upid"
	done
	round=$((round + 1))
done

# Unloaded: plain requests to the fast mock, and the time to the first
# streamed byte with events EVENT_MS apart.
PBODY="$BODY}"
one onedirect0 "$UPORT" /v1/chat/completions "$PBODY"
one onenginx0 "$NPORT" /v1/chat/completions "$PBODY"
one oneroutstrd0 "$RPORT" /v1/chat/completions "$PBODY"
one onedirect1 "$SPORT" /v1/chat/completions "$SBODY"
one onenginx1 "$NPORT" /slow/v1/chat/completions "$SBODY"
one oneroutstrd1 "$RPORT" /v1/chat/completions "$SBODY"

# A steady load, the same for the three, plain and streamed.
FBODY="$BODY,\"stream\":true}"
paced ratedirect0 "$UPORT" /v1/chat/completions "$PBODY"
paced ratenginx0 "$NPORT" /v1/chat/completions "$PBODY"
paced rateroutstrd0 "$RPORT" /v1/chat/completions "$PBODY"
paced ratedirect1 "$UPORT" /v1/chat/completions "$FBODY"
paced ratenginx1 "$NPORT" /v1/chat/completions "$FBODY"
paced rateroutstrd1 "$RPORT" /v1/chat/completions "$FBODY"

# The report: every result file in an awk array by its name.
cd "$T" || exit 1
awk -v threads="$THREADS" -v conns="$CONNECTIONS" -v dur="$DURATION" \
    -v cores="$CORES" -v prefork="$PREFORK" -v fbn="$FIRSTBYTE" \
    -v evms="$EVENT_MS" -v cost="$COST" -v rounds="$ROUNDS" \
    -v hz="$(getconf CLK_TCK)" -v rate="$RATE" '
function goal(ok) { return ok ? "met" : "NOT met" }
function rps(f) { return best[f] }
function bill(what, sent, spent, said) {
	printf "billing, %s: %d requests on the key, %d msat each, the " \
	    "balance down by %d msat (expected %d)%s: %s\n", what, sent,
	    cost, spent, sent * cost, said == "" ? "" : \
	    ", their answers said " said, spent == sent * cost && \
	    (said == "" || said == spent) ? "exact" : "WRONG"
	return spent != sent * cost || (said != "" && said != spent)
}
{ f = FILENAME; sub(/^[a-z]+\./, "", f); sub(/\.[0-9]+$/, "", f) }
FILENAME ~ /^spent\./ { spent[f] += $1; next }
FILENAME ~ /^cpu\./ { t = $0; sub(/^[0-9]+ /, "", t)
	if (!((f, t) in ticks)) names[f] = names[f] SUBSEP t
	ticks[f, t] += $1; next }
FILENAME ~ /^(one|rate)/ { for (i = 1; i <= NF; i++) { split($i, kv, "=")
	v[FILENAME, kv[1]] = kv[2] } next }
{
	r = $2 > 0 ? $1 / ($2 / 1e6) : 0
	if (!(f in best) || r > best[f])
		best[f] = r
	if (!(f in p50) || $3 / 1e3 < p50[f])
		p50[f] = $3 / 1e3
	if (!(f in p99) || $4 / 1e3 < p99[f])
		p99[f] = $4 / 1e3
	e[f] += $5
	sent[f] += $6
	total[f] += $1
}
END {
	printf "POST /v1/chat/completions, keep-alive: wrk -t%d -c%d -d%ds, " \
	    "%d cores, routstrd prefork %d%s\n", threads, conns, dur, cores,
	    prefork, (rounds > 1 ? ", best of " rounds " rounds" : "")
	printf "%-32s %9s %8s %8s %7s\n", "", "req/s", "p50 ms", "p99 ms",
	    "errors"
	split("direct nginx routstrd", w, " ")
	split("mock upstream, direct;nginx, reverse proxy;routstrd, billed",
	    title, ";")
	for (m = 0; m <= 1; m++)
		for (i = 1; i <= 3; i++) {
			f = w[i] m
			printf "%-32s %9d %8.2f %8.2f %7d\n", title[i] \
			    (m ? ", stream" : ""), rps(f), p50[f], p99[f], e[f]
		}
	printf "one request at a time, %d requests (streams: the mock waits " \
	    "%d ms between events), ms:\n", fbn, evms
	printf "%-32s %8s %8s %8s %8s\n", "", "p50", "p99", "1st p50",
	    "1st p99"
	for (m = 0; m <= 1; m++)
		for (i = 1; i <= 3; i++) {
			f = "one" w[i] m
			t = title[i] (m ? ", stream" : "")
			printf "%-32s %8.3f %8.3f", t, v[f, "total_p50"],
			    v[f, "total_p99"]
			if (m)
				printf " %8.3f %8.3f", v[f, "first_p50"],
				    v[f, "first_p99"]
			printf "\n"
		}
	printf "a steady %d requests a second over 16 connections, " \
	    "timed from when each was due, ms:\n", rate
	printf "%-32s %8s %8s %8s\n", "", "p50", "p99", "max"
	for (m = 0; m <= 1; m++)
		for (i = 1; i <= 3; i++) {
			f = "rate" w[i] m
			printf "%-32s %8.3f %8.3f %8.3f\n", title[i] \
			    (m ? ", stream" : ""), v[f, "total_p50"],
			    v[f, "total_p99"], v[f, "total_max"]
		}
	printf "CPU per request under wrk, microseconds:\n"
	for (m = 0; m <= 1; m++)
		for (i = 1; i <= 3; i++) {
			f = w[i] m
			printf "  %-30s", title[i] (m ? ", stream" : "")
			k = split(substr(names[f], 2), nm, SUBSEP)
			sum = 0
			for (j = 1; j <= k; j++) {
				u = ticks[f, nm[j]] * 1e6 / hz / total[f]
				sum += u
				if (u >= 0.5)
					printf " %s %.0f,", nm[j], u
			}
			printf " all %.0f\n", sum
		}

	q0 = rps("nginx0") > 0 ? rps("routstrd0") / rps("nginx0") : 0
	q1 = rps("nginx1") > 0 ? rps("routstrd1") / rps("nginx1") : 0
	a0 = p99["routstrd0"] - p99["direct0"]
	a1 = p99["routstrd1"] - p99["direct1"]
	f50 = v["oneroutstrd1", "first_p50"] - v["onedirect1", "first_p50"]
	f99 = v["oneroutstrd1", "first_p99"] - v["onedirect1", "first_p99"]
	printf "routstrd/nginx, req/s: %.2f, stream %.2f (goal >= 0.70: " \
	    "%s, %s)\n", q0, q1, goal(q0 >= 0.7), goal(q1 >= 0.7)
	printf "routstrd - direct, p99 under wrk: %+.2f ms, stream %+.2f " \
	    "ms (goal <= 1 ms: %s, %s; nginx adds %+.2f, %+.2f)\n", a0, a1,
	    goal(a0 <= 1), goal(a1 <= 1), p99["nginx0"] - p99["direct0"],
	    p99["nginx1"] - p99["direct1"]
	o0 = v["oneroutstrd0", "total_p99"] - v["onedirect0", "total_p99"]
	o1 = v["oneroutstrd1", "total_p99"] - v["onedirect1", "total_p99"]
	printf "routstrd - direct, p99 one at a time: %+.2f ms, stream " \
	    "%+.2f ms (goal <= 1 ms: %s, %s; nginx adds %+.2f, %+.2f)\n", o0,
	    o1, goal(o0 <= 1), goal(o1 <= 1), v["onenginx0", "total_p99"] - \
	    v["onedirect0", "total_p99"], v["onenginx1", "total_p99"] - \
	    v["onedirect1", "total_p99"]
	r0 = v["rateroutstrd0", "total_p99"] - v["ratedirect0", "total_p99"]
	r1 = v["rateroutstrd1", "total_p99"] - v["ratedirect1", "total_p99"]
	printf "routstrd - direct, p99 at %d req/s: %+.2f ms, stream " \
	    "%+.2f ms (goal <= 1 ms: %s, %s; nginx adds %+.2f, %+.2f)\n",
	    rate, r0, r1, goal(r0 <= 1), goal(r1 <= 1),
	    v["ratenginx0", "total_p99"] - v["ratedirect0", "total_p99"],
	    v["ratenginx1", "total_p99"] - v["ratedirect1", "total_p99"]
	printf "routstrd - direct, first streamed byte: %+.2f ms p50, " \
	    "%+.2f ms p99 (goal <= 1 ms: %s, %s; nginx adds %+.2f, " \
	    "%+.2f)\n", f50, f99, goal(f50 <= 1), goal(f99 <= 1),
	    v["onenginx1", "first_p50"] - v["onedirect1", "first_p50"],
	    v["onenginx1", "first_p99"] - v["onedirect1", "first_p99"]
	bad = bill("wrk", sent["routstrd0"], spent["routstrd0"], "")
	bad += bill("wrk, stream", sent["routstrd1"], spent["routstrd1"], "")
	bad += bill("one at a time", v["oneroutstrd0", "requests"],
	    spent["oneroutstrd0"], v["oneroutstrd0", "billed_msats"])
	bad += bill("one at a time, stream", v["oneroutstrd1", "requests"],
	    spent["oneroutstrd1"], v["oneroutstrd1", "billed_msats"])
	bad += bill("steady", v["rateroutstrd0", "requests"],
	    spent["rateroutstrd0"], v["rateroutstrd0", "billed_msats"])
	bad += bill("steady, stream", v["rateroutstrd1", "requests"],
	    spent["rateroutstrd1"], v["rateroutstrd1", "billed_msats"])
	if (e["routstrd0"] + e["routstrd1"] > 0)
		printf "(routstrd answered %d requests with an error or not " \
		    "in time: the billing cannot be exact)\n",
		    e["routstrd0"] + e["routstrd1"]
	exit bad > 0
}' run.* spent.* cpu.*.* one*[01] rate*[01]
rc=$?
cd "$TOP" || exit 1
if [ $rc -ne 0 ]; then
	echo "bench/proxy.sh: the suite's log:" >&2
	tail -n 30 "$T/routstrd.log" >&2
fi
exit $rc
