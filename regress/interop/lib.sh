# Helpers for the interop tests, on top of the integration ones.

. "$(dirname "$0")/../integration/lib.sh"

INTEROP=$TOP/regress/interop

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
