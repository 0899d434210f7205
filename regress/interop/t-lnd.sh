# The mint on LND: the suite configured with `lightning lnd` against
# regress/lnd-mock.py (LND's REST shapes over HTTPS with its own
# self-signed tls.cert and a macaroon), driven by cashu-ts: minting on a
# SETTLED invoice, melting with LND's fee and the change, a payment LND
# fails, one that stays in flight, and one still in flight when the
# suite stops, finished after the restart.  The macaroon and the certificate
# reach mintd as descriptors from the parent, and LND's name (localhost)
# is resolved by the parent: mintd's sandbox has neither files nor DNS.

. "$(dirname "$0")/lib.sh"

npm_ci || exit 1

# LND's own kind of certificate, and a macaroon of random bytes.
if ! openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
    -nodes -days 2 -subj /O=lnd/CN=mock -keyout "$T/tls.key" \
    -out "$T/tls.cert" -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
    -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,digitalSignature,keyCertSign \
    >"$T/openssl" 2>&1; then
	notok "openssl makes LND's certificate"
	exit 1
fi
head -c 96 /dev/urandom >"$T/admin.macaroon"
chmod 0600 "$T/admin.macaroon"
MAC=$(od -An -tx1 -v "$T/admin.macaroon" | tr -d ' \n')

# The mock serves until its stdin closes: a sleep holds it open.
sleep 600 | python3 "$TOP/regress/lnd-mock.py" --cert "$T/tls.cert" \
    --key "$T/tls.key" --macaroon "$MAC" >"$T/mock.out" 2>"$T/mock.err" &
i=0
while ! grep -q '^ready' "$T/mock.out" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
LND_PORT=$(sed -n 's/^port //p' "$T/mock.out")
if [ -z "$LND_PORT" ]; then
	notok "the LND mock starts"
	sed 's/^/#   /' "$T/mock.err" | tail -n 10
	exit 1
fi
MOCK=https://127.0.0.1:$LND_PORT

PORT=$(free_port)
is_root && sh "$TOP/etc/mkusers.sh" >/dev/null
write_conf "$T/conf" "mint local {
	lightning lnd
	url \"https://localhost:$LND_PORT\"
	macaroon file \"$T/admin.macaroon\"
	certificate \"$T/tls.cert\"
}"

# A macaroon that others may read is refused, by name.
chmod 0644 "$T/admin.macaroon"
"$ROUTSTRD" -d -f "$T/conf" >"$T/refused" 2>&1
check "a macaroon file that others can read is refused" \
    grep -q "lnd macaroon.*chmod 0600" "$T/refused"
chmod 0600 "$T/admin.macaroon"

if ! start "$T/conf"; then
	notok "the suite starts with an LND mint"
	exit 1
fi
check "mintd says it uses LND" grep -q "local mint, lnd lightning" "$T/log"
(cd "$INTEROP" && NODE_EXTRA_CA_CERTS="$T/tls.cert" timeout 120 \
    node lnd.mjs "http://127.0.0.1:$PORT" "$MOCK" "$MAC") 2>&1
(cd "$INTEROP" && NODE_EXTRA_CA_CERTS="$T/tls.cert" timeout 120 \
    node lnd.mjs "http://127.0.0.1:$PORT" "$MOCK" "$MAC" restart-1 \
    "$T/melt.json") 2>&1
kill -TERM "$SUITE_PID"
wait_exit 20
if ! start "$T/conf"; then
	notok "the suite starts again"
	exit 1
fi
(cd "$INTEROP" && NODE_EXTRA_CA_CERTS="$T/tls.cert" timeout 120 \
    node lnd.mjs "http://127.0.0.1:$PORT" "$MOCK" "$MAC" restart-2 \
    "$T/melt.json") 2>&1
check "mintd says it recovered the melt" grep -q "pending since before" \
    "$T/log"
stats=$(curl -s --cacert "$T/tls.cert" "$MOCK/mock/stats")
check "every call carried the macaroon" sh -c \
    "echo '$stats' | grep -q '\"unauthorized\": 0'"
"$ROUTSTRCTL" -s "$T/ctl.sock" ledger check >"$T/audit"
check "the audit afterwards: no problem" grep -q "^problems: 0" "$T/audit"
check "neither the macaroon nor a token reached the logs" sh -c \
    "! grep -q -e '$MAC' -e cashu[AB] '$T/log'"
kill -TERM "$SUITE_PID"
wait_exit 20
check "the suite stops cleanly" test "$EXIT" = 0
