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

# The whole suite with a local mint, a second of swaps.
if DURATION=1 ROUNDS=1 ROUND_MS=20 CONNECTIONS=2 PROOFS=4 OBJ="$OBJ" \
    sh bench/mint.sh >"$out" 2>&1 &&
    grep -q "mint: *[0-9][0-9]* proofs/s" "$out" &&
    grep -q "one proof, during the swaps" "$out" &&
    grep -q "^mint/raw ratio: [0-9][0-9.]* " "$out" &&
    grep -q "a double spend refused" "$out"; then
	echo "ok - bench/mint runs: $(grep "^mint/raw ratio" "$out" |
	    cut -d' ' -f1-3)"
else
	echo "not ok - bench/mint runs"
	sed 's/^/#   /' "$out"
fi
