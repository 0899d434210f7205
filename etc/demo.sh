#!/bin/sh
#
# make run: the whole suite in the foreground, on 127.0.0.1:$PORT, with
# a demo configuration whose state lives in ./run (git-ignored).

TOP=$(cd "$(dirname "$0")/.." && pwd)
PORT=${PORT:-8000}
RUN=${RUNDIR:-$TOP/run}
CONF=$RUN/routstrd.conf

mkdir -p "$RUN" || exit 1
chmod 0755 "$RUN"

if [ "$(id -u)" = 0 ]; then
	# As root the children run as their own users, chrooted.
	sh "$TOP/etc/mkusers.sh" || exit 1
fi

# A Nostr identity for the demo node, made once.
if [ ! -s "$RUN/nostr.key" ]; then
	(umask 077 && od -An -N32 -tx1 /dev/urandom | tr -d ' \n' \
	    >"$RUN/nostr.key" && echo >>"$RUN/nostr.key")
fi

cat >"$CONF" <<EOC
# Written by etc/demo.sh for "make run"; edit etc/demo.sh instead.
listen on 127.0.0.1 port $PORT
name "routstrd demo"
about "a routstrd node started with make run"
http url "http://127.0.0.1:$PORT"
state directory "$RUN/state"
control socket "$RUN/routstrd.sock"
nostr key file "$RUN/nostr.key"
mint local { lightning fake }
mint "https://mint.minibits.cash/Bitcoin" trusted
relay "wss://relay.damus.io"
EOC

"$TOP/routstrd/routstrd" -n -f "$CONF" || exit 1

"$TOP/routstrd/routstrd" -d -f "$CONF" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid; exit 0' INT TERM

i=0
ready() {
	st=$("$TOP/routstrctl/routstrctl" -s "$RUN/routstrd.sock" show status \
	    2>/dev/null) || return 1
	! echo "$st" | grep -Eq 'starting|not answering|gone'
}
while ! ready; do
	if ! kill -0 $pid 2>/dev/null; then
		wait $pid
		exit 1
	fi
	i=$((i + 1))
	[ $i -gt 100 ] && break
	sleep 0.1
done

cat <<EOM

routstrd is running on http://127.0.0.1:$PORT (^C stops it).  Try:

	curl http://127.0.0.1:$PORT/v1/info
	$TOP/routstrctl/routstrctl -s $RUN/routstrd.sock show status

Its mint's Lightning is fake, so test ecash is free (and worthless):

	$TOP/routstrctl/routstrctl -s $RUN/routstrd.sock mint token 1000

or with any Cashu wallet pointed at http://127.0.0.1:$PORT: mint quotes
pay themselves after a second.

EOM
wait $pid
