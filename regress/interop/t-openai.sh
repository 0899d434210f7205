# The official OpenAI SDKs, Python (PyPI openai) and Node (npm openai),
# at the versions pinned in regress/interop/requirements-openai.txt and
# package-lock.json, pointed at the node as their users do: base URL
# the node's /v1, and as the API key a Cashu token from the node's mint,
# then an sk- key from /v1/balance/create.  Chat, max_tokens, streaming
# chat (the cost in the final chunk), embeddings, legacy completions and
# the Responses API (plain and streamed), each billed exactly its usage
# at the model's prices (the balance goes down by the cost reported);
# X-Cashu per-request payment through the SDKs' headers, whose change
# comes back in the X-Cashu response header, redeems at the mint and is
# worth the token less the cost in whole sats; the SDKs' errors for a
# spent token, an unknown model or key, and too small a token.  Against the built-in echo upstream and against
# regress/upstream-mock.py as an OpenAI-type upstream; the suite runs
# at -vv, and none of the prompts, tokens and keys reaches its log.

. "$(dirname "$0")/lib.sh"

VENV=$INTEROP/.venv-openai
REQ=$INTEROP/requirements-openai.txt
# Sat per million tokens: awkward numbers, so that costs are not whole
# sats and the rounding of the X-Cashu change shows.
PPRICE=123457
CPRICE=234567
KEYSATS=2000
XSATS=1000

pyok=1
pip_venv "$VENV" "$REQ" "openai SDK" || pyok=0
nodeok=1
npm_ci "cashu-ts and the openai SDK" || nodeok=0
OPENAI_PY_VERSION=$(sed -n 's/^openai==//p' "$REQ")
OPENAI_NODE_VERSION=$(python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["dependencies"]["openai"])' \
    "$INTEROP/package.json")
export OPENAI_PY_VERSION OPENAI_NODE_VERSION

upstream_mock

PORT=$(free_port)
URL=http://127.0.0.1:$PORT
CTL="$ROUTSTRCTL -s $T/ctl.sock"
is_root && sh "$TOP/etc/mkusers.sh" >/dev/null
price="price prompt $PPRICE completion $CPRICE"
price="$price context length 4096 max completion 512"
write_conf "$T/conf" "mint local { lightning fake }" \
    "upstream echo { type echo }" \
    "upstream mock { url \"http://127.0.0.1:$MPORT/v1\" }" \
    "model \"echo\" upstream echo $price" \
    "model \"mock-m\" upstream mock $price"
# (fd 3 not inherited: the mock must see it close)
if ! start "$T/conf" -vv 3>&-; then
	notok "the suite starts at -vv with a mint, echo and mock upstreams"
	exec 3>&-
	exit 1
fi

# A word in every prompt, looked for in the log at the end.
NONCE=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
SECRETS=$T/secrets
export NONCE SECRETS
: >"$SECRETS"

# tokens: the driver's token arguments, minted now (the first two of
# KEYSATS sat, three of XSATS, one of 1 sat), also kept in $SECRETS.
tokens() {
	for s in $KEYSATS $KEYSATS $XSATS $XSATS $XSATS 1; do
		t=$($CTL mint token "$s")
		echo "$t" >>"$SECRETS"
		echo "$t"
	done
}

# drive LABEL MODEL KIND COMMAND...: one SDK against one upstream
drive() {
	label=$1 model=$2 kind=$3
	shift 3
	set -- $(tokens)
	if [ $# -ne 6 ]; then
		notok "$label/$kind: routstrctl mint token makes the tokens"
		return
	fi
	(cd "$INTEROP" && timeout 120 $drv "$URL" "$model" "$kind" \
	    "$PPRICE" "$CPRICE" "$KEYSATS" "$1" "$2" "$XSATS" "$3" "$4" "$5" \
	    "$6") 2>&1
	st=$?
	[ $st -ne 0 ] && [ $st -ne 1 ] &&
	    notok "$label/$kind: the driver died (status $st)"
}

if [ $pyok = 1 ]; then
	drv="$VENV/bin/python openai_sdk.py"
	drive python echo echo
	drive python mock-m mock
fi
if [ $nodeok = 1 ]; then
	drv="node openai-sdk.mjs"
	drive node echo echo
	drive node mock-m mock
fi

upstream_mock_stop

$CTL ledger check >"$T/audit"
check "the audit afterwards: no problem" grep -q "^problems: 0" "$T/audit"
check "the log has the debug lines (-vv)" grep -q 'connection [0-9]* accepted' \
    "$T/log"
check "no prompt reached the log" sh -c "! grep -q '$NONCE' '$T/log'"
check "no token or key the SDKs used or got reached the log" sh -c \
    "! grep -q -F -f '$SECRETS' '$T/log' && ! grep -q 'cashu[AB]' '$T/log'"
check "... and there were $(wc -l <"$SECRETS") of them" \
    test "$(wc -l <"$SECRETS")" -ge 12
kill -TERM "$SUITE_PID"
wait_exit 20
check "the suite stops cleanly" test "$EXIT" = 0
