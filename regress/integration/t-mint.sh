# The node's own mint: keysets from a seed made at the first start,
# served as NUT-01/02 say, the same after a restart, and a wrong seed
# refused before the mint judges anything.

. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
is_root && sh "$TOP/etc/mkusers.sh" >/dev/null
write_conf "$T/conf" "mint local { lightning fake }"
URL=http://127.0.0.1:$PORT

if ! start "$T/conf"; then
	notok "the suite starts with a local mint"
	exit 1
fi
ok "the suite starts with a local mint"
check "a new seed is made, said so, and kept secret" sh -c \
    "grep -q 'created a new mint seed' '$T/log' &&
    test \"\$(stat -c %a '$T/state/mint.seed')\" = 600 &&
    test \"\$(stat -c %s '$T/state/mint.seed')\" = 64"

http_get "$URL/v1/keysets" >"$T/keysets.json"
http_get "$URL/v1/keys" >"$T/keys.json"
check "GET /v1/keysets: one active sat keyset, V2 id" python3 -c '
import json, sys
k = json.load(open(sys.argv[1]))["keysets"]
assert len(k) == 1, k
assert k[0]["unit"] == "sat" and k[0]["active"] is True, k
assert k[0]["input_fee_ppk"] == 0, k
assert k[0]["id"].startswith("01") and len(k[0]["id"]) == 66, k
' "$T/keysets.json"
check "GET /v1/keys: 64 keys whose V2 id is the keyset id" python3 -c '
import hashlib, json, sys
ks = json.load(open(sys.argv[1]))["keysets"]
assert len(ks) == 1, ks
keys = ks[0]["keys"]
assert len(keys) == 64, len(keys)
amounts = sorted(int(a) for a in keys)
assert amounts == [1 << i for i in range(64)], amounts
for a in amounts:
	k = keys[str(a)]
	assert len(k) == 66 and k[:2] in ("02", "03"), k
pre = ",".join("%d:%s" % (a, keys[str(a)]) for a in amounts) + "|unit:sat"
kid = "01" + hashlib.sha256(pre.encode()).hexdigest()
assert kid == ks[0]["id"], (kid, ks[0]["id"])
' "$T/keys.json"
ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["keysets"][0]["id"])' "$T/keysets.json")
check "GET /v1/keys/{id}" sh -c "curl -s '$URL/v1/keys/$ID' | grep -q '\"id\":\"$ID\"'"
SHORT=$(echo "$ID" | cut -c1-16)
check "GET /v1/keys/{short id} finds it too" sh -c \
    "curl -s '$URL/v1/keys/$SHORT' | grep -q '\"id\":\"$ID\"'"
check "an unknown keyset: 400 with code 12001" sh -c "
	out=\$(curl -s -w ' %{http_code}' '$URL/v1/keys/0011223344556677')
	echo \"\$out\" | grep -q '\"code\":12001' && echo \"\$out\" | grep -q ' 400\$'"
check "a keyset id that is not hex: 400 with code 12001" sh -c \
    "curl -s '$URL/v1/keys/zz11223344556677' | grep -q '\"code\":12001'"
check "POST /v1/keys is 405" sh -c \
    "test \"\$(curl -s -o /dev/null -w '%{http_code}' -d x $URL/v1/keys)\" = 405"
http_get "$URL/v1/info" >"$T/info.json"
check "GET /v1/info is also the mint's NUT-06 info" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["version"].startswith("routstrd/"), d
assert len(d["pubkey"]) == 66 and d["pubkey"][:2] in ("02", "03"), d
assert "nuts" in d and "motd" in d, d
assert d["mints"] == [sys.argv[2]], d
' "$T/info.json" "$URL"

kill -TERM "$SUITE_PID"
wait_exit 20
if start "$T/conf"; then
	check "after a restart: the same keyset" sh -c \
	    "curl -s '$URL/v1/keysets' | grep -q '\"id\":\"$ID\"'"
	check "no second seed is made" test \
	    "$(grep -c 'created a new mint seed' "$T/log")" -eq 0
	kill -TERM "$SUITE_PID"
	wait_exit 20
else
	notok "the suite restarts"
fi

# Another seed cannot pass for the one the ledger knows.
cp "$T/state/mint.seed" "$T/seed.good"
head -c 64 /dev/urandom >"$T/state/mint.seed"
"$ROUTSTRD" -d -f "$T/conf" >"$T/out" 2>&1
rc=$?
check "a wrong seed stops the start" sh -c \
    "test $rc = 1 && grep -q 'does not give keyset' '$T/out'"
check "and the message does not show the seed" sh -c \
    "! grep -q \"\$(od -An -tx1 -N8 '$T/state/mint.seed' | tr -d ' ')\" \
    '$T/out'"
head -c 16 /dev/urandom >"$T/state/mint.seed"
"$ROUTSTRD" -d -f "$T/conf" >"$T/out" 2>&1
rc=$?
check "a seed too short is refused" sh -c \
    "test $rc = 1 && grep -q 'at least 32 wanted' '$T/out'"
cp "$T/seed.good" "$T/state/mint.seed"
chmod 0644 "$T/state/mint.seed"
"$ROUTSTRD" -d -f "$T/conf" >"$T/out" 2>&1
rc=$?
check "a seed others can read is refused" sh -c \
    "test $rc = 1 && grep -q 'refusing a file that others can read' '$T/out'"
