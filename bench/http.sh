#!/bin/sh
#
# bench/http.sh: GET /v1/info from routstrd against the same bytes served
# by nginx as a static file, with the same client (wrk), on this machine,
# in the same run.  Prints requests per second, memory, and the ratios.
#
# Environment: DURATION (seconds per run, default 10), CONNECTIONS
# (default 64), THREADS (wrk threads, default 2).

TOP=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
CORES=$(nproc)

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

T=$(mktemp -d "${TMPDIR:-/tmp}/bench-http.XXXXXX") || exit 1
chmod 0755 "$T"
rpid=
npid=
trap '[ -n "$rpid" ] && kill $rpid 2>/dev/null
	[ -n "$npid" ] && kill $npid 2>/dev/null
	sleep 0.5; rm -rf "$T"' EXIT

port() {
	python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
RPORT=$(port)
NPORT=$(port)

# The suite, one proxy per core.
[ "$(id -u)" = 0 ] && sh "$TOP/etc/mkusers.sh" >/dev/null
cat >"$T/routstrd.conf" <<EOC
listen on 127.0.0.1 port $RPORT
prefork $CORES
name "bench node"
about "GET /v1/info under load"
state directory "$T/state"
control socket "$T/ctl.sock"
mint "https://mint.example.org" trusted
EOC
"$TOP/routstrd/routstrd" -d -f "$T/routstrd.conf" >"$T/routstrd.log" 2>&1 &
rpid=$!
i=0
until grep -q "startup complete" "$T/routstrd.log"; do
	i=$((i + 1))
	[ $i -gt 200 ] && { cat "$T/routstrd.log"; exit 1; }
	sleep 0.05
done

# nginx serving the very same body, one worker per core.
mkdir -p "$T/www/v1"
curl -s "http://127.0.0.1:$RPORT/v1/info" >"$T/www/v1/info"
cat >"$T/nginx.conf" <<EOC
daemon off;
worker_processes $CORES;
pid $T/nginx.pid;
error_log $T/nginx.err;
events { worker_connections 4096; }
http {
	access_log off;
	default_type application/json;
	keepalive_requests 1000000;
	client_body_temp_path $T/tmp;
	proxy_temp_path $T/tmp;
	fastcgi_temp_path $T/tmp;
	uwsgi_temp_path $T/tmp;
	scgi_temp_path $T/tmp;
	server {
		listen 127.0.0.1:$NPORT;
		root $T/www;
		location = /v1/info { }
	}
}
EOC
mkdir -p "$T/tmp"
nginx -c "$T/nginx.conf" -p "$T" &
npid=$!
i=0
until curl -s -o /dev/null "http://127.0.0.1:$NPORT/v1/info"; do
	i=$((i + 1))
	[ $i -gt 100 ] && { cat "$T/nginx.err"; exit 1; }
	sleep 0.05
done

rps() {
	wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$1" \
	    >"$T/wrk.out" 2>&1
	awk '/Requests\/sec/ { print int($2) }' "$T/wrk.out"
}

p99() {
	awk '$1 == "99%" { print $2 }' "$T/wrk.out"
}

# Resident memory of a process tree, in KiB.
rss() {
	pids="$1 $(pgrep -P "$1" | tr '\n' ' ')"
	total=0
	for p in $pids; do
		kb=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$p/status" \
		    2>/dev/null)
		total=$((total + ${kb:-0}))
	done
	echo $total
}

echo "GET /v1/info, keep-alive: wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s, $CORES cores"
n=$(rps "http://127.0.0.1:$NPORT/v1/info")
np99=$(p99)
nrss=$(rss $npid)
r=$(rps "http://127.0.0.1:$RPORT/v1/info")
rp99=$(p99)
rrss=$(rss $rpid)
printf '%-28s %10s req/s  p99 %8s  RSS %6d KiB\n' "nginx, static file" "$n" \
    "$np99" "$nrss"
printf '%-28s %10s req/s  p99 %8s  RSS %6d KiB\n' "routstrd, prefork $CORES" \
    "$r" "$rp99" "$rrss"
awk -v r="$r" -v n="$n" -v rm="$rrss" -v nm="$nrss" 'BEGIN {
	if (n > 0) printf "throughput ratio routstrd/nginx: %.2f\n", r / n
	if (nm > 0) printf "memory ratio routstrd/nginx:     %.2f\n", rm / nm
}'
