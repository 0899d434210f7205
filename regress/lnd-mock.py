#!/usr/bin/env python3
#
# A mock of LND's REST API (grpc-gateway) for regress/unit/test_ln_lnd,
# on 127.0.0.1 over HTTPS, with the shapes LND sends: bytes as base64,
# int64s as strings, the router's hashes and preimages as hex, server
# streams as NDJSON {"result": ...} / {"error": {...}} lines, errors
# before a call starts as a non-2xx status and a bare {"code", "message"}.
#
#	lnd-mock.py --cert CERT --key KEY --macaroon HEX
#
# prints "port N" then "ready", and serves until its stdin closes.
#
# LND's endpoints (all need Grpc-Metadata-macaroon: HEX, else 401):
#	POST /v1/invoices			AddInvoice
#	GET  /v1/invoice/{r_hash hex}		LookupInvoice
#	POST /v2/router/send			SendPaymentV2 (stream)
#	GET  /v2/router/track/{hash base64url}	TrackPaymentV2 (stream)
# The mock's own (no macaroon):
#	POST /mock/knobs	{"pay": BEHAVIOUR, "delay": s, "fee_msat": n,
#				 "stall": s, "settle_after": s}; BEHAVIOUR
#				 is succeed, fail,
#				 inflight (stays in flight until finished),
#				 error (an error line), slow (delay, then
#				 succeed), bare (a bare error, 400),
#				 badpreimage, garbage (a line of non-JSON);
#				 settle_after: invoices are paid that many
#				 seconds after they were made
#	POST /mock/settle/{hex}	the invoice is paid
#	POST /mock/cancel/{hex}	the invoice is canceled
#	POST /mock/finish/{hex}	{"status": "SUCCEEDED"|"FAILED"}: an
#				 in-flight payment ends
#	GET  /mock/stats	counters

import base64
import hashlib
import http.server
import json
import os
import socketserver
import ssl
import sys
import threading
import time
import urllib.parse

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

lock = threading.Lock()
invoices = {}           # hash hex -> dict
payments = {}           # hash hex -> dict
knobs = {"pay": "succeed", "delay": 0.2, "fee_msat": 1000, "stall": 0,
         "settle_after": None}
stats = {"requests": 0, "unauthorized": 0, "sends": 0, "tracks": 0}
add_index = [0]
macaroon = ""


# bech32 (BIP-173), no length limit, for BOLT11

def polymod(values):
    gen = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]
    chk = 1
    for v in values:
        b = chk >> 25
        chk = (chk & 0x1ffffff) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if ((b >> i) & 1) else 0
    return chk


def hrp_expand(hrp):
    return [ord(x) >> 5 for x in hrp] + [0] + [ord(x) & 31 for x in hrp]


def bech32_encode(hrp, data):
    values = hrp_expand(hrp) + data
    pm = polymod(values + [0] * 6) ^ 1
    checksum = [(pm >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(CHARSET[d] for d in data + checksum)


def bech32_decode(s):
    s = s.lower()
    pos = s.rfind("1")
    if pos < 1 or pos + 7 > len(s):
        return None, None
    hrp = s[:pos]
    try:
        data = [CHARSET.index(c) for c in s[pos + 1:]]
    except ValueError:
        return None, None
    if polymod(hrp_expand(hrp) + data) != 1:
        return None, None
    return hrp, data[:-6]


def to_words(data):
    acc = bits = 0
    out = []
    for b in data:
        acc = acc << 8 | b
        bits += 8
        while bits >= 5:
            bits -= 5
            out.append(acc >> bits & 31)
    if bits:
        out.append(acc << (5 - bits) & 31)
    return out


def from_words(words):
    acc = bits = 0
    out = []
    for w in words:
        acc = acc << 5 | w
        bits += 5
        if bits >= 8:
            bits -= 8
            out.append(acc >> bits & 255)
    return bytes(out)


def int_words(n, count=None):
    w = []
    while n:
        w.insert(0, n & 31)
        n >>= 5
    if count is not None:
        w = [0] * (count - len(w)) + w
    return w or [0]


def tag(t, words):
    return [CHARSET.index(t)] + int_words(len(words), 2) + words


# secp256k1 ECDSA with a recovery id, for real BOLT11 signatures (the
# mint checks them); slow and not constant time, fine for a mock.

P = 2 ** 256 - 2 ** 32 - 977
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
     0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)
NODE_KEY = int.from_bytes(hashlib.sha256(b"lnd-mock node").digest(), "big")


def point_add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    if a[0] == b[0] and (a[1] + b[1]) % P == 0:
        return None
    if a == b:
        m = 3 * a[0] * a[0] * pow(2 * a[1], -1, P)
    else:
        m = (b[1] - a[1]) * pow(b[0] - a[0], -1, P)
    x = (m * m - a[0] - b[0]) % P
    return (x, (m * (a[0] - x) - a[1]) % P)


def point_mul(k, pt):
    r = None
    while k:
        if k & 1:
            r = point_add(r, pt)
        pt = point_add(pt, pt)
        k >>= 1
    return r


def sign_recoverable(digest, key):
    z = int.from_bytes(digest, "big")
    while True:
        k = int.from_bytes(os.urandom(32), "big") % N
        if k == 0:
            continue
        r_pt = point_mul(k, G)
        r = r_pt[0] % N
        s = pow(k, -1, N) * (z + r * key) % N
        if r == 0 or s == 0:
            continue
        recid = (r_pt[1] & 1) | (2 if r_pt[0] >= N else 0)
        if s > N // 2:              # low s, as libsecp256k1 wants
            s = N - s
            recid ^= 1
        return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([recid])


def bolt11_make(msat, payment_hash, memo, expiry):
    pico = msat * 10
    amount = "%dp" % pico
    for mult, div in (("m", 10 ** 9), ("u", 10 ** 6), ("n", 10 ** 3)):
        if pico % div == 0:
            amount = "%d%s" % (pico // div, mult)
            break
    data = int_words(int(time.time()), 7)
    data += tag("p", to_words(payment_hash))
    data += tag("d", to_words(memo.encode()))
    data += tag("x", int_words(expiry))
    data += tag("s", to_words(os.urandom(32)))
    data += tag("9", int_words(1 << 8 | 1 << 14))
    hrp = "lnbcrt" + amount
    digest = hashlib.sha256(hrp.encode() + from_words(data + [0] * 7)[
        :(len(data) * 5 + 7) // 8]).digest()
    data += to_words(sign_recoverable(digest, NODE_KEY))
    return bech32_encode(hrp, data)


def bolt11_parse(s):
    """(payment hash bytes, msat or 0), or None."""
    hrp, data = bech32_decode(s)
    if hrp is None or not hrp.startswith("ln") or len(data) < 7 + 104:
        return None
    i = 2
    while i < len(hrp) and hrp[i].isalpha():
        i += 1
    amt = hrp[i:]
    msat = 0
    if amt:
        mult = {"m": 10 ** 9, "u": 10 ** 6, "n": 10 ** 3, "p": 1}
        if amt[-1] in mult:
            pico = int(amt[:-1]) * mult[amt[-1]]
        else:
            pico = int(amt) * 10 ** 12
        msat = pico // 10
    words = data[7:-104]
    h = None
    while len(words) >= 3:
        t, n = words[0], words[1] * 32 + words[2]
        if t == CHARSET.index("p") and n == 52:
            h = from_words(words[3:3 + n])[:32]
        words = words[3 + n:]
    if h is None:
        return None
    return h, msat


def b64(b):
    return base64.b64encode(b).decode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def grpc_error(self, http_code, code, message, stream=False):
        err = {"code": code, "message": message, "details": []}
        self.reply(http_code, {"error": err} if stream else err)

    def start_stream(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()

    def line(self, obj):
        data = (obj if isinstance(obj, bytes) else
                json.dumps(obj).encode()) + b"\n"
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def end_stream(self):
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def body(self):
        n = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(n) if n else b""
        try:
            return json.loads(raw) if raw else {}
        except ValueError:
            return None

    def authorized(self):
        got = self.headers.get("Grpc-Metadata-macaroon")
        if got is not None and got.lower() == macaroon.lower():
            return True
        with lock:
            stats["unauthorized"] += 1
        if got is None:
            self.grpc_error(401, 16, "expected 1 macaroon, got 0")
        else:
            self.grpc_error(401, 16, "verification failed: signature "
                            "mismatch after caveat verification")
        return False

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def dispatch(self, method):
        with lock:
            stats["requests"] += 1
        path = urllib.parse.urlsplit(self.path).path
        try:
            if path.startswith("/mock/"):
                return self.mock(method, path)
            if not self.authorized():
                return
            if knobs["stall"]:
                time.sleep(knobs["stall"])
            if method == "POST" and path == "/v1/invoices":
                return self.add_invoice()
            if method == "GET" and path.startswith("/v1/invoice/"):
                return self.lookup_invoice(path[len("/v1/invoice/"):])
            if method == "POST" and path == "/v2/router/send":
                return self.send_payment()
            if method == "GET" and path.startswith("/v2/router/track/"):
                return self.track_payment(path[len("/v2/router/track/"):])
            self.grpc_error(404, 5, "Not Found")
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True

    def mock(self, method, path):
        if path == "/mock/stats":
            with lock:
                return self.reply(200, dict(stats))
        req = self.body() or {}
        if path == "/mock/knobs":
            with lock:
                for k in ("pay", "delay", "fee_msat", "stall",
                          "settle_after"):
                    if k in req:
                        knobs[k] = req[k]
            return self.reply(200, {})
        for verb in ("settle", "cancel", "finish"):
            prefix = "/mock/%s/" % verb
            if path.startswith(prefix):
                h = path[len(prefix):]
                with lock:
                    if verb == "finish":
                        p = payments.get(h)
                        if p is None:
                            return self.reply(404, {})
                        p["status"] = req.get("status", "SUCCEEDED")
                        p["done"].set()
                        return self.reply(200, {})
                    inv = invoices.get(h)
                    if inv is None:
                        return self.reply(404, {})
                    if verb == "settle":
                        inv["state"] = "SETTLED"
                        inv["amt_paid_msat"] = inv["value_msat"]
                        inv["settle_date"] = int(time.time())
                    else:
                        inv["state"] = "CANCELED"
                return self.reply(200, {})
        self.reply(404, {})

    def add_invoice(self):
        req = self.body()
        if req is None:
            return self.grpc_error(400, 3, "bad json")
        try:
            if "value_msat" in req:
                msat = int(req["value_msat"])
            else:
                msat = int(req.get("value", 0)) * 1000
            expiry = int(req.get("expiry", 86400))
        except ValueError:
            return self.grpc_error(400, 3, "bad number")
        memo = req.get("memo", "")
        if len(memo.encode()) > 639:
            return self.grpc_error(500, 2, "memo too large")
        preimage = os.urandom(32)
        h = hashlib.sha256(preimage).digest()
        with lock:
            add_index[0] += 1
            inv = {
                "memo": memo, "r_preimage": b64(preimage), "r_hash": b64(h),
                "value": str(msat // 1000), "value_msat": str(msat),
                "settled": False, "creation_date": str(int(time.time())),
                "settle_date": "0",
                "payment_request": bolt11_make(msat, h, memo, expiry),
                "expiry": str(expiry), "private": bool(req.get("private")),
                "add_index": str(add_index[0]), "settle_index": "0",
                "amt_paid_sat": "0", "amt_paid_msat": "0", "state": "OPEN",
                "htlcs": [], "is_keysend": False,
                "payment_addr": b64(os.urandom(32)), "preimage": preimage,
            }
            invoices[h.hex()] = inv
        self.reply(200, {"r_hash": b64(h),
                         "payment_request": inv["payment_request"],
                         "add_index": inv["add_index"],
                         "payment_addr": inv["payment_addr"]})

    def lookup_invoice(self, hexhash):
        try:
            bytes.fromhex(hexhash)
        except ValueError:
            return self.grpc_error(400, 3, "invalid hash")
        with lock:
            inv = invoices.get(hexhash.lower())
            if inv is None:
                return self.grpc_error(404, 5, "unable to locate invoice")
            after = knobs["settle_after"]
            if (inv["state"] == "OPEN" and after is not None and
                    time.time() >= int(inv["creation_date"]) + after):
                inv["state"] = "SETTLED"
                inv["amt_paid_msat"] = inv["value_msat"]
                inv["settle_date"] = int(time.time())
            out = {k: v for k, v in inv.items() if k != "preimage"}
        out["settled"] = out["state"] == "SETTLED"
        out["amt_paid_sat"] = str(int(out["amt_paid_msat"]) // 1000)
        out["settle_date"] = str(out["settle_date"])
        self.reply(200, out)

    def payment_obj(self, p, status=None):
        st = status or p["status"]
        ok = st == "SUCCEEDED"
        return {"result": {
            "payment_hash": p["hash"],
            "value": str(p["msat"] // 1000),
            "value_sat": str(p["msat"] // 1000),
            "value_msat": str(p["msat"]),
            "payment_preimage": p["preimage"] if ok else "0" * 64,
            "status": st,
            "fee": str(p["fee_msat"] // 1000) if ok else "0",
            "fee_sat": str(p["fee_msat"] // 1000) if ok else "0",
            "fee_msat": str(p["fee_msat"]) if ok else "0",
            "creation_date": str(int(p["created"])),
            "creation_time_ns": str(int(p["created"] * 1e9)),
            "payment_request": p["bolt11"],
            "payment_index": str(p["index"]),
            "failure_reason": ("FAILURE_REASON_NO_ROUTE"
                               if st == "FAILED" else
                               "FAILURE_REASON_NONE"),
            "htlcs": [],
        }}

    def settle_own(self, p):
        inv = invoices.get(p["hash"])
        if inv is not None and p["status"] == "SUCCEEDED":
            inv["state"] = "SETTLED"
            inv["amt_paid_msat"] = inv["value_msat"]

    def send_payment(self):
        req = self.body()
        with lock:
            stats["sends"] += 1
            behaviour = knobs["pay"]
            delay = float(knobs["delay"])
            fee = int(knobs["fee_msat"])
        if req is None or "payment_request" not in req:
            return self.grpc_error(400, 3, "invalid request")
        if behaviour == "bare":
            return self.grpc_error(400, 3, "invalid fee limit")
        parsed = bolt11_parse(req["payment_request"])
        if parsed is None:
            return self.grpc_error(500, 2, "invalid payment request",
                                   stream=True)
        h, msat = parsed
        if msat == 0 and "amt_msat" in req:
            try:
                msat = int(req["amt_msat"])
            except ValueError:
                return self.grpc_error(400, 3, "bad amt_msat")
        if msat == 0:
            return self.grpc_error(
                500, 2, "amount must be specified when paying a zero "
                "amount invoice", stream=True)
        try:
            limit = int(req.get("fee_limit_msat", "0"))
        except ValueError:
            return self.grpc_error(400, 3, "bad fee limit")
        with lock:
            old = payments.get(h.hex())
            if old is not None and old["status"] == "SUCCEEDED":
                return self.grpc_error(409, 6, "invoice is already paid",
                                       stream=True)
            if old is not None and old["status"] == "IN_FLIGHT":
                return self.grpc_error(409, 6, "payment is in transition",
                                       stream=True)
            inv = invoices.get(h.hex())
            preimage = inv["preimage"].hex() if inv else os.urandom(32).hex()
            if behaviour == "badpreimage":
                preimage = os.urandom(32).hex()
            p = {"hash": h.hex(), "msat": msat, "fee_msat": min(fee, limit),
                 "preimage": preimage, "status": "IN_FLIGHT",
                 "created": time.time(), "bolt11": req["payment_request"],
                 "index": len(payments) + 1, "done": threading.Event()}
            payments[h.hex()] = p
        inflight_updates = not req.get("no_inflight_updates", False)
        if behaviour == "slow":
            time.sleep(delay)
        self.start_stream()
        if inflight_updates:
            self.line(self.payment_obj(p, "IN_FLIGHT"))
        if behaviour == "garbage":
            self.line(b"this is not json")
            return self.end_stream()
        if behaviour == "error":
            self.line({"error": {"code": 2, "message": "payment stream "
                                 "broken", "details": []}})
            return self.end_stream()
        if behaviour == "inflight":
            if not p["done"].wait(60):
                return self.end_stream()
        elif behaviour != "slow":
            time.sleep(delay)
        with lock:
            if behaviour in ("succeed", "slow", "badpreimage"):
                p["status"] = "SUCCEEDED"
            elif behaviour == "fail":
                p["status"] = "FAILED"
            self.settle_own(p)
            final = self.payment_obj(p)
        self.line(final)
        self.end_stream()

    def track_payment(self, b64hash):
        with lock:
            stats["tracks"] += 1
        try:
            bare = b64hash.rstrip("=")
            h = base64.urlsafe_b64decode(bare + "=" * (-len(bare) % 4))
            if len(h) != 32:
                raise ValueError
        except ValueError:
            return self.grpc_error(400, 3, "invalid hash", stream=True)
        with lock:
            p = payments.get(h.hex())
        if p is None:
            return self.grpc_error(404, 5, "payment isn't initiated",
                                   stream=True)
        self.start_stream()
        self.line(self.payment_obj(p))
        if p["status"] == "IN_FLIGHT":
            if p["done"].wait(60):
                with lock:
                    self.settle_own(p)
                self.line(self.payment_obj(p))
        self.end_stream()


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global macaroon
    args = sys.argv[1:]
    cert = key = None
    while args:
        a = args.pop(0)
        if a == "--cert":
            cert = args.pop(0)
        elif a == "--key":
            key = args.pop(0)
        elif a == "--macaroon":
            macaroon = args.pop(0)
    s = Server(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    s.socket = ctx.wrap_socket(s.socket, server_side=True)
    threading.Thread(target=s.serve_forever, daemon=True).start()
    print("port", s.server_address[1], flush=True)
    print("ready", flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
