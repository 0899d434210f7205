# etc/ and make install: the examples work, the systemd unit is tight
# and lets through every system call the children allow themselves, and
# an installed routstrd finds its children beside it.

TOP=${TOP:-$(pwd)}
cd "$TOP" || exit 1
T=$(mktemp -d "${TMPDIR:-/tmp}/t-etc.XXXXXX") || exit 1
pid=
trap '[ -n "$pid" ] && kill -KILL $pid 2>/dev/null; rm -rf "$T"' EXIT

check() {
	what=$1
	shift
	if "$@" >"$T/out" 2>&1; then
		echo "ok - $what"
	else
		echo "not ok - $what"
		sed 's/^/#   /' "$T/out" | tail -n 20
	fi
}

check "etc/routstrd.conf is a valid configuration" \
    routstrd/routstrd -n -f etc/routstrd.conf
check "etc/routstrd.rc is valid sh" sh -n etc/routstrd.rc
check "etc/mkusers.sh is valid sh" sh -n etc/mkusers.sh
check "etc/demo.sh is valid sh" sh -n etc/demo.sh
check "the rc script's configtest runs routstrd -n" env \
    daemon="$TOP/routstrd/routstrd" daemon_flags="-f $TOP/etc/routstrd.conf" \
    sh etc/routstrd.rc configtest

if command -v systemd-analyze >/dev/null 2>&1; then
	systemd-analyze security --offline=true etc/routstrd.service \
	    >"$T/security" 2>&1
	score=$(sed -n 's/.*Overall exposure level for routstrd.service: \([0-9.]*\).*/\1/p' "$T/security")
	check "systemd-analyze security: exposure $score is at most 3.5" \
	    awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 3.5) }'

	# Every system call a child may make must pass the unit's filter.
	# Groups name other groups: expand until nothing new comes.
	sed -n 's/^SystemCallFilter=//p' etc/routstrd.service | tr ' ' '\n' |
	    grep . >"$T/todo"
	: >"$T/allowed"
	: >"$T/seen"
	while [ -s "$T/todo" ]; do
		f=$(head -n 1 "$T/todo")
		sed -i 1d "$T/todo"
		grep -qxF -- "$f" "$T/seen" && continue
		echo "$f" >>"$T/seen"
		case $f in
		@*)	systemd-analyze syscall-filter "$f" 2>/dev/null |
			    awk '$1 !~ /^#/ && NF == 1 { print $1 }' >>"$T/todo" ;;
		*)	echo "$f" >>"$T/allowed" ;;
		esac
	done
	sed -n 's/.*ALLOW[A-Z0-9_]*(__NR_\([a-z0-9_]*\),.*/\1/p' \
	    common/sandbox.c | sort -u >"$T/sandbox"
	missing=$(grep -vxF -f "$T/allowed" "$T/sandbox" | tr '\n' ' ')
	check "the unit's SystemCallFilter allows what the sandbox allows" \
	    test -z "$missing" -a -s "$T/sandbox"
	[ -n "$missing" ] && echo "#   missing: $missing"
	for s in chroot setresuid setgroups seccomp landlock_create_ruleset \
	    landlock_restrict_self prctl kill; do
		check "the unit's filter allows $s for the parent" \
		    grep -qx "$s" "$T/allowed"
	done
else
	echo "ok - # SKIP no systemd-analyze"
fi

# make install into a staging directory, then run the installed suite.
check "make install DESTDIR" make --no-print-directory install \
    DESTDIR="$T/dest" PREFIX=/usr SYSTEMDDIR=/lib/systemd/system
for f in usr/sbin/routstrd usr/sbin/ledgerd usr/sbin/mintd \
    usr/sbin/relayd-client usr/sbin/routstrctl \
    usr/share/man/man8/routstrd.8 usr/share/man/man5/routstrd.conf.5 \
    usr/share/man/man8/routstrctl.8 usr/share/man/man8/ledgerd.8 \
    usr/share/man/man8/mintd.8 usr/share/man/man8/relayd-client.8 \
    usr/share/examples/routstrd/routstrd.conf \
    usr/share/examples/routstrd/routstrd.rc \
    lib/systemd/system/routstrd.service; do
	check "installed $f" test -s "$T/dest/$f"
done

port=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
chmod 0755 "$T"
cat >"$T/conf" <<EOC
listen on 127.0.0.1 port $port
state directory "$T/state"
control socket "$T/ctl.sock"
EOC
[ "$(id -u)" = 0 ] && sh etc/mkusers.sh >/dev/null
"$T/dest/usr/sbin/routstrd" -d -v -f "$T/conf" >"$T/log" 2>&1 &
pid=$!
i=0
while ! grep -q "startup complete" "$T/log" && [ $i -lt 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
check "the installed routstrd starts its installed children" \
    grep -q "started $T/dest/usr/sbin/ledgerd" "$T/log"
check "the installed suite answers /v1/info" \
    curl -s -S --max-time 5 -o /dev/null "http://127.0.0.1:$port/v1/info"
check "the installed routstrctl talks to it" \
    "$T/dest/usr/sbin/routstrctl" -s "$T/ctl.sock" show status
kill -TERM $pid
wait $pid
check "the installed suite stops with status 0" test $? = 0
pid=
