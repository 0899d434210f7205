# Helpers for the interop tests, on top of the integration ones.

. "$(dirname "$0")/../integration/lib.sh"

INTEROP=$TOP/regress/interop
# The system's python3 for the venvs, not one a venv put first in PATH.
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

# pip_venv DIR REQUIREMENTS WHAT: the packages pinned in REQUIREMENTS
# in the venv DIR, kept between runs while the pins stay the same; an
# "ok" line, or a "not ok" line and a non-zero status.
pip_venv() {
	_stamp=$(sha256sum "$2" | cut -d' ' -f1)
	if [ "$(cat "$1/stamp" 2>/dev/null)" != "$_stamp" ]; then
		rm -rf "$1"
		if ! { "$PY" -m venv "$1" &&
		    "$1/bin/pip" install -q --disable-pip-version-check \
		    -r "$2" && echo "$_stamp" >"$1/stamp"; } >"$T/pip" 2>&1; then
			notok "pip installs the pinned $3"
			sed 's/^/#   /' "$T/pip" | tail -n 20
			rm -rf "$1"
			return 1
		fi
	fi
	ok "pip installs the pinned $3"
}

# upstream_mock: regress/upstream-mock.py, serving until its stdin (fd 3
# here: start the suite with 3>&- so that it does not hold it) closes;
# its port in MPORT, its pid in MOCK_PID.  upstream_mock_stop ends it.
upstream_mock() {
	mkfifo "$T/mock.in"
	python3 "$TOP/regress/upstream-mock.py" <"$T/mock.in" \
	    >"$T/mock.out" 2>&1 &
	MOCK_PID=$!
	exec 3>"$T/mock.in"
	_i=0
	while ! grep -q '^ready' "$T/mock.out" && [ $_i -lt 200 ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
	MPORT=$(sed -n 's/^port //p' "$T/mock.out")
	check "the mock upstream is up" test -n "$MPORT"
}

upstream_mock_stop() {
	exec 3>&-
	kill "$MOCK_PID" 2>/dev/null
	wait "$MOCK_PID" 2>/dev/null
}

# npm_ci [WHAT]: the packages (cashu-ts, the openai SDK) at the versions
# pinned in package-lock.json, or a "not ok" line and a non-zero status.
npm_ci() {
	what=${1:-cashu-ts}
	if ! command -v node >/dev/null 2>&1 ||
	    ! command -v npm >/dev/null 2>&1; then
		notok "node and npm are needed for the interop tests"
		return 1
	fi
	if ! (cd "$INTEROP" && npm ci --no-audit --no-fund \
	    --loglevel=error) >"$T/npm" 2>&1; then
		notok "npm ci installs the pinned $what"
		sed 's/^/#   /' "$T/npm" | tail -n 20
		return 1
	fi
	ok "npm ci installs the pinned $what"
}
