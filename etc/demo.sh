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

# What it sells: the built-in echo model, or a real upstream when
# UPSTREAM_URL (an OpenAI-compatible base URL, ".../v1") and UPSTREAM_KEY
# are set; UPSTREAM_MODEL names its model (default gpt-4o-mini).
if [ -n "${UPSTREAM_URL:-}" ]; then
	MODEL=${UPSTREAM_MODEL:-gpt-4o-mini}
	KEYLINE=
	if [ -n "${UPSTREAM_KEY:-}" ]; then
		(umask 077 && printf '%s\n' "$UPSTREAM_KEY" >"$RUN/upstream.key")
		KEYLINE="key file \"$RUN/upstream.key\""
	fi
	SELL="upstream main {
	url \"$UPSTREAM_URL\"
	$KEYLINE
}
model \"$MODEL\" upstream main price prompt 150 completion 600 \\
	context length 128000 max completion 16384"
else
	MODEL=echo
	SELL="upstream echo { type echo }
model \"echo\" upstream echo price prompt 10000 completion 20000 \\
	context length 8192 max completion 1024"
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
$SELL
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

# A test token from the fake-Lightning mint, to spend right away.
CTL="$TOP/routstrctl/routstrctl -s $RUN/routstrd.sock"
TOKEN=$($CTL mint token 1000 2>/dev/null)

cat <<EOM

routstrd is running on http://127.0.0.1:$PORT (^C stops it), selling
the model "$MODEL".  Try:

	curl http://127.0.0.1:$PORT/v1/info
	curl http://127.0.0.1:$PORT/v1/models
	$CTL show status

Its mint's Lightning is fake, so test ecash is free (and worthless).
Here is a token of 1000 sat; it is the API key, no account needed:

TOKEN=$TOKEN

	curl http://127.0.0.1:$PORT/v1/chat/completions \\
	    -H "Authorization: Bearer \$TOKEN" \\
	    -H 'Content-Type: application/json' \\
	    -d '{"model": "$MODEL", "messages": [{"role": "user", "content": "Hello"}]}'

	curl http://127.0.0.1:$PORT/v1/balance/info -H "Authorization: Bearer \$TOKEN"

More tokens: $CTL mint token 1000
(or any Cashu wallet pointed at http://127.0.0.1:$PORT: mint quotes pay
themselves after a second).  The README walks through the rest.

EOM
wait $pid
