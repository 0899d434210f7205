#!/bin/sh
#
# bench/mint.sh: NUT-03 swaps through the whole suite (HTTP, the proxy,
# mintd, ledgerd's durable commits) with a local mint on fake Lightning
# on 127.0.0.1, against the raw libsecp256k1 work of the same proofs on
# one core, in the same run.  This starts and stops the suite;
# obj/bench/mint gets the ecash, swaps, measures and prints the ratio.
#
# Environment: DURATION (seconds of swapping, default 10), CONNECTIONS
# (default 8), PROOFS (inputs = outputs per swap, default 8), PREFORK
# (proxies, default: the number of cores), ROUNDS and ROUND_MS (of the
# raw measurement, default 6 and 200), OBJ (default obj).

TOP=$(cd "$(dirname "$0")/.." && pwd)
OBJ=${OBJ:-obj}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-8}
PROOFS=${PROOFS:-8}
PREFORK=${PREFORK:-$(nproc)}
ROUNDS=${ROUNDS:-6}
ROUND_MS=${ROUND_MS:-200}
cd "$TOP" || exit 1

if [ ! -x "$OBJ/bench/mint" ] || [ ! -x routstrd/routstrd ]; then
	echo "bench/mint.sh: build first: make all bench-bins" >&2
	exit 1
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/bench-mint.XXXXXX") || exit 1
chmod 0755 "$T"
rpid=
stop() {
	if [ -n "$rpid" ]; then
		kill -TERM "$rpid" 2>/dev/null
		i=0
		while kill -0 "$rpid" 2>/dev/null && [ $i -lt 200 ]; do
			i=$((i + 1))
			sleep 0.05
		done
		kill -KILL "$rpid" 2>/dev/null
		wait "$rpid" 2>/dev/null
		rpid=
	fi
}
trap 'stop; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM

PORT=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

[ "$(id -u)" = 0 ] && sh etc/mkusers.sh >/dev/null
cat >"$T/routstrd.conf" <<EOC
listen on 127.0.0.1 port $PORT
prefork $PREFORK
name "bench node"
about "NUT-03 swaps under load"
http url "http://127.0.0.1:$PORT"
state directory "$T/state"
control socket "$T/ctl.sock"
mint local { lightning fake }
EOC
routstrd/routstrd -d -f "$T/routstrd.conf" >"$T/routstrd.log" 2>&1 &
rpid=$!
i=0
until grep -q "startup complete" "$T/routstrd.log"; do
	i=$((i + 1))
	if [ $i -gt 400 ] || ! kill -0 "$rpid" 2>/dev/null; then
		echo "bench/mint.sh: the suite did not start:" >&2
		cat "$T/routstrd.log" >&2
		exit 1
	fi
	sleep 0.05
done

"$OBJ/bench/mint" -c "$CONNECTIONS" -d "$DURATION" -k "$PROOFS" \
    -r "$ROUNDS" -m "$ROUND_MS" -p "$PORT" -s "$T/ctl.sock" -P "$rpid"
rc=$?
if [ $rc -ne 0 ]; then
	echo "bench/mint.sh: the suite's log:" >&2
	tail -n 30 "$T/routstrd.log" >&2
fi
stop
exit $rc
