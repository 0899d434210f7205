# The benchmarks build and run (briefly): a bench that no longer runs is
# found here, not the day someone wants the figures.  No timing is
# asserted.

TOP=${TOP:-$(pwd)}
OBJ=${OBJ:-obj}
cd "$TOP" || exit 1
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT

if "$OBJ/bench/ledger" 0.5 >"$out" 2>&1 &&
    grep -q "one request at a time: *[0-9]" "$out" &&
    grep -q "in flight (group): *[0-9]" "$out" &&
    grep -q "group commit ratio" "$out"; then
	echo "ok - bench/ledger runs: $(grep ratio "$out" | tr -s ' ')"
else
	echo "not ok - bench/ledger runs"
	sed 's/^/#   /' "$out"
fi
