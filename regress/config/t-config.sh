#!/bin/sh
#
# routstrd.conf(5) against golden files, in the manner of bgpd's regress:
#
#	NAME.conf	a valid configuration; NAME.ok is the expected stdout of
#			routstrd -nv, NAME.warn its stderr if not just
#			"configuration OK", NAME.args extra arguments (-D ...)
#	bad-NAME.conf	an invalid one; bad-NAME.err is the expected stderr,
#			file:line: message for every error of the file
#	*.inc		files that the cases include (made mode 0600 here)
#
# plus the round trip (routstrd -nvf conf | routstrd -nvf /dev/stdin),
# cases generated here (bytes that do not belong in a text file) and the
# shipped example configuration.  One "ok -" or "not ok -" line per check.
#
#	sh regress/config/t-config.sh		run
#	sh regress/config/t-config.sh -u	rewrite .ok, .warn and .err

TOP=${TOP:-$(pwd)}
ROUTSTRD=$TOP/routstrd/routstrd
SRC=$TOP/regress/config
update=0
[ "$1" = "-u" ] && update=1

if [ ! -x "$ROUTSTRD" ]; then
	echo "not ok - $ROUTSTRD not built (make routstrd/routstrd)"
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/t-config.XXXXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
cp -R "$SRC"/. "$tmp"/
cd "$tmp" || exit 1
# Included files must pass the secrecy check, but this one must fail it.
chmod 0600 *.inc inc/*.inc
chmod 0644 bad-include-mode.inc

failed=0

# expect NAME EXPECTED-FILE ACTUAL-FILE
expect() {
	if [ $update = 1 ] && [ -n "$4" ]; then
		if [ -s "$3" ] || [ "$4" = "keep-empty" ]; then
			cp "$3" "$SRC/$2"
		else
			rm -f "$SRC/$2"
		fi
		echo "ok - $1 (updated $2)"
		return
	fi
	if [ -f "$2" ] && cmp -s "$2" "$3"; then
		echo "ok - $1"
	else
		echo "not ok - $1"
		[ -f "$2" ] || echo "# $2 is missing"
		[ -f "$2" ] && diff -u "$2" "$3" | sed 's/^/# /'
		failed=$((failed + 1))
	fi
}

# ok NAME CONDITION-STATUS
ok() {
	if [ "$2" = 0 ]; then
		echo "ok - $1"
	else
		echo "not ok - $1"
		failed=$((failed + 1))
	fi
}

# Error messages that depend on the resolver are cut to their start.
normalise() {
	sed 's/\(cannot resolve "[^"]*"\): .*/\1: REASON/'
}

# Cases generated here: bytes a text file should not hold.
{
	printf 'listen on 127.0.0.1 port 8000\n'
	printf 'name "nul\0inside"\n'
	printf 'chroot /nul\0outside\n'
	printf 'onion url "http://cr.onion"\r\n'
	printf 'about "\303\251t\303\251 is fine"\n'
	printf 'http url https://caf\303\251.example.org\n'
	printf 'relay "%09000d"\n' 0
	printf 'relay x%09000d\n' 0
	printf 'relay $m%09000d\n' 0
	printf 'name \303\251t\303\251\n'
	printf 'upstream "caf\351" { type echo }\n'
	printf 'state directory "/\355\240\200surrogate"\n'
	printf 'control socket "/over\300\257long"\n'
} >bad-generated.conf

# The valid cases, their output and the round trip.
for conf in *.conf; do
	case $conf in bad-*) continue ;; esac
	name=${conf%.conf}
	args=
	[ -f "$name.args" ] && args=$(cat "$name.args")
	# shellcheck disable=SC2086
	"$ROUTSTRD" -nv $args -f "$conf" >"$tmp/out" 2>"$tmp/err"
	echo "exit $?" >>"$tmp/err"
	expect "$name: routstrd -nv" "$name.ok" "$tmp/out" keep-empty
	printf 'configuration OK\nexit 0\n' >"$tmp/want"
	if [ $update = 1 ]; then
		rm -f "$SRC/$name.warn"
		cmp -s "$tmp/want" "$tmp/err" ||
		    expect "$name: stderr" "$name.warn" "$tmp/err" keep-empty
	elif [ -f "$name.warn" ]; then
		expect "$name: stderr and exit status" "$name.warn" "$tmp/err"
	else
		expect "$name: stderr and exit status" "$tmp/want" "$tmp/err"
	fi
	"$ROUTSTRD" -nvf /dev/stdin <"$tmp/out" >"$tmp/out2" 2>"$tmp/err2"
	ok "$name: round trip exits 0" $?
	expect "$name: round trip prints the same" "$tmp/out" "$tmp/out2"
done

# The invalid cases: every error, with its file and line, and exit 1.
for conf in bad-*.conf; do
	name=${conf%.conf}
	"$ROUTSTRD" -nv -f "$conf" >"$tmp/out" 2>"$tmp/err.raw"
	echo "exit $?" >>"$tmp/err.raw"
	normalise <"$tmp/err.raw" >"$tmp/err"
	expect "$name: errors" "$name.err" "$tmp/err" keep-empty
	[ -s "$tmp/out" ]
	ok "$name: nothing on stdout" $((! $?))
done

[ $update = 1 ] && exit 0

# An include file that belongs to someone else (only root can make one).
if [ "$(id -u)" = 0 ]; then
	printf 'listen on 127.0.0.1 port 8000\ninclude "owner.inc"\n' \
	    >owner.conf.gen
	printf 'name "x"\n' >owner.inc
	chmod 0600 owner.inc
	chown 1 owner.inc
	"$ROUTSTRD" -n -f owner.conf.gen >/dev/null 2>"$tmp/err"
	echo "exit $?" >>"$tmp/err"
	printf '%s\n' 'owner.conf.gen:2: include "owner.inc": owner not root or current user' \
	    'exit 1' >"$tmp/want"
	expect "include file of another owner" "$tmp/want" "$tmp/err"
else
	echo "ok - include file of another owner # SKIP not root"
fi

# The main file: missing, a directory, from a pipe.
"$ROUTSTRD" -n -f nonexistent.conf >/dev/null 2>"$tmp/err"
echo "exit $?" >>"$tmp/err"
printf '%s\n' 'nonexistent.conf: No such file or directory' 'exit 1' \
    >"$tmp/want"
expect "missing configuration file" "$tmp/want" "$tmp/err"

"$ROUTSTRD" -n -f inc >/dev/null 2>"$tmp/err"
echo "exit $?" >>"$tmp/err"
printf '%s\n' 'inc: is a directory' 'exit 1' >"$tmp/want"
expect "configuration file is a directory" "$tmp/want" "$tmp/err"

# Without -v nothing is printed but the verdict.
"$ROUTSTRD" -n -f minimal.conf >"$tmp/out" 2>"$tmp/err"
ok "-n exits 0" $?
[ -s "$tmp/out" ]
ok "-n without -v prints nothing on stdout" $((! $?))

# -D must be name=value, with a valid name.
"$ROUTSTRD" -n -D novalue -f minimal.conf >/dev/null 2>&1
[ $? = 1 ]
ok "-D without = is refused" $?
"$ROUTSTRD" -n -D 'bad-name=1' -f minimal.conf >/dev/null 2>&1
[ $? = 1 ]
ok "-D with an invalid macro name is refused" $?
"$ROUTSTRD" -n -D 'nl=a
b' -f minimal.conf >/dev/null 2>&1
[ $? = 1 ]
ok "-D with a line break in the value is refused" $?
printf 'listen on 127.0.0.1 port $p\n' | \
    "$ROUTSTRD" -nv -D p=9 -D p=10 -f /dev/stdin 2>/dev/null | \
    grep -qx 'listen on 127.0.0.1 port 10'
ok "-D given twice: the last one wins" $?

# A name resolves to every address it has.
if getent ahosts localhost | grep -q '^127\.0\.0\.1 '; then
	printf 'listen on localhost port 8000\n' | \
	    "$ROUTSTRD" -nv -f /dev/stdin 2>/dev/null | \
	    grep -qx 'listen on 127.0.0.1 port 8000'
	ok "listen on localhost resolves to 127.0.0.1" $?
else
	echo "ok - listen on localhost # SKIP localhost has no 127.0.0.1"
fi

# lookup() uses bsearch(): the keyword table must stay sorted.
sed -n '/^} keywords\[\] = {/,/^};/p' "$TOP/routstrd/parse.y" | \
    sed -n 's/^[^"]*"\([a-z]*\)".*/\1/p' >"$tmp/kw"
LC_ALL=C sort -c "$tmp/kw" 2>/dev/null && [ -s "$tmp/kw" ]
ok "the keyword table of parse.y is sorted" $?

# The example configuration we ship must be valid.
if [ -f "$TOP/etc/routstrd.conf" ]; then
	"$ROUTSTRD" -n -f "$TOP/etc/routstrd.conf" >/dev/null 2>"$tmp/err"
	ok "etc/routstrd.conf is valid" $?
	[ -s "$tmp/err" ] && sed 's/^/# /' "$tmp/err"
else
	echo "ok - etc/routstrd.conf # SKIP not there yet"
fi

[ $failed = 0 ]
