# The official Anthropic Python SDK (PyPI anthropic, pinned in
# regress/interop/requirements-anthropic.txt) pointed at the node as
# Claude Code points it at a gateway: base URL the node, a Cashu token
# from the node's mint as the bearer token.  messages.create,
# messages.stream (the node's "cost" event after message_stop must not
# trouble it), count_tokens, the SDK's errors for an unknown model and
# too small a token, and X-Cashu with the change in the response
# header; each billed exactly the usage at the model's prices.  Against
# the built-in echo, regress/upstream-mock.py as an Anthropic upstream
# (passed through) and the same mock as an OpenAI upstream (translated
# by the node); none of the prompts reaches the log at -vv.

. "$(dirname "$0")/lib.sh"

VENV=$INTEROP/.venv-anthropic
REQ=$INTEROP/requirements-anthropic.txt
PPRICE=123457
CPRICE=234567

pip_venv "$VENV" "$REQ" "anthropic SDK" || exit 1

upstream_mock

PORT=$(free_port)
URL=http://127.0.0.1:$PORT
CTL="$ROUTSTRCTL -s $T/ctl.sock"
is_root && sh "$TOP/etc/mkusers.sh" >/dev/null
price="price prompt $PPRICE completion $CPRICE max completion 512"
write_conf "$T/conf" "mint local { lightning fake }" \
    "upstream echo { type echo }" \
    "upstream mocka { type anthropic url \"http://127.0.0.1:$MPORT/v1\" }" \
    "upstream mocko { url \"http://127.0.0.1:$MPORT/v1\" }" \
    "model \"echo\" upstream echo $price" \
    "model \"mock-a\" upstream mocka $price" \
    "model \"mock-o\" upstream mocko $price"
if ! start "$T/conf" -vv 3>&-; then
	notok "the suite starts at -vv with echo and mock upstreams"
	exec 3>&-
	exit 1
fi

NONCE=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
export NONCE
MOCKPORT=$MPORT
export MOCKPORT

# drive MODEL KIND: the SDK against one upstream, fresh tokens
drive() {
	k=$($CTL mint token 2000) x=$($CTL mint token 1000) s=$($CTL mint token 1)
	(cd "$INTEROP" && timeout 120 "$VENV/bin/python" anthropic_sdk.py \
	    "$URL" "$1" "$2" "$PPRICE" "$CPRICE" "$k" "$x" "$s") 2>&1
	st=$?
	[ $st -ne 0 ] && [ $st -ne 1 ] &&
	    notok "anthropic/$2: the driver died (status $st)"
}
drive echo echo
drive mock-a anthropic
drive mock-o openai

upstream_mock_stop

$CTL ledger check >"$T/audit"
check "the audit afterwards: no problem" grep -q "^problems: 0" "$T/audit"
check "no prompt reached the log" sh -c "! grep -q '$NONCE' '$T/log'"
check "no token reached the log" sh -c "! grep -q 'cashu[AB]' '$T/log'"
kill -TERM "$SUITE_PID"
wait_exit 20
check "the suite stops cleanly" test "$EXIT" = 0
