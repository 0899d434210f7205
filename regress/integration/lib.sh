# Helpers for the integration tests: start the whole suite on loopback
# in a temporary directory, talk to it, stop it.  Sourced by t-*.sh.

TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
ROUTSTRD=$TOP/routstrd/routstrd
ROUTSTRCTL=$TOP/routstrctl/routstrctl
NSEC=nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5
NPUB=npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8qzvjptg

T=$(mktemp -d "${TMPDIR:-/tmp}/routstrd-test.XXXXXX") || exit 1
chmod 0755 "$T"
SUITE_PID=
cleanup() {
	[ -n "$SUITE_PID" ] && kill -KILL "$SUITE_PID" 2>/dev/null
	pkill -KILL -f "$T/" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

is_root() {
	[ "$(id -u)" = 0 ]
}

ok() {
	echo "ok - $*"
}

notok() {
	echo "not ok - $*"
}

# check "what" command...: ok if the command succeeds
check() {
	what=$1
	shift
	if "$@" >"$T/check.out" 2>&1; then
		ok "$what"
	else
		notok "$what"
		sed 's/^/#   /' "$T/check.out" | tail -n 20
	fi
}

free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# write_conf FILE [extra lines...]: a minimal configuration on $PORT
write_conf() {
	f=$1
	shift
	{
		echo "listen on 127.0.0.1 port $PORT"
		echo "name \"test node\""
		echo "about \"a node under test\""
		echo "http url \"http://127.0.0.1:$PORT\""
		echo "state directory \"$T/state\""
		echo "control socket \"$T/ctl.sock\""
		for l in "$@"; do
			echo "$l"
		done
	} >"$f"
}

# start CONF [FLAGS]: run the suite in the foreground (-d -v) in the
# background, logging to $T/log, and wait until the parent says that all
# are ready.
start() {
	: >"$T/log"
	"$ROUTSTRD" -d ${2:--v} -f "$1" >>"$T/log" 2>&1 &
	SUITE_PID=$!
	wait_log "startup complete" 20
}

# wait_log PATTERN SECONDS: until the log has PATTERN
wait_log() {
	i=0
	while ! grep -q "$1" "$T/log"; do
		i=$((i + 1))
		if [ $i -gt $(($2 * 20)) ]; then
			echo "# no \"$1\" in the log after $2 s:"
			sed 's/^/#   /' "$T/log" | tail -n 30
			return 1
		fi
		sleep 0.05
	done
}

# wait_exit SECONDS: until the suite has exited; its status in $EXIT
wait_exit() {
	i=0
	while kill -0 "$SUITE_PID" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt $(($1 * 20)) ] && return 1
		sleep 0.05
	done
	wait "$SUITE_PID"
	EXIT=$?
	SUITE_PID=
	return 0
}

# children PID: the pids of the children of PID
children() {
	pgrep -P "$1" | sort -n
}

title() {
	tr '\0' ' ' <"/proc/$1/cmdline" | sed 's/ *$//'
}

status_field() {
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

# pid_of TITLE: the child of the running suite with that title
pid_of() {
	for p in $(children "$SUITE_PID"); do
		if [ "$(title "$p")" = "$1" ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

http_get() {
	curl -s -S --max-time 5 "$@"
}
