#!/usr/bin/env python3
#
# A mock of the three BTC/USD price sources of routstrd (Kraken, Coinbase,
# Binance), on 127.0.0.1 over plain HTTP, with the shapes they answer in,
# for regress/unit/test_price and regress/integration/t-models.sh.
#
#	price-mock.py [--port N] [--forever]
#
# prints "port N" then "ready", and serves until its stdin closes, or
# with --forever until it is killed.
#
# The sources, at the paths of the real ones (any query string):
#	GET /0/public/Ticker		Kraken
#	GET /v2/prices/BTC-USD/spot	Coinbase
#	GET /api/v3/ticker/price	Binance
# The mock's own:
#	POST /mock/knobs	{"kraken": {"mode": M, "price": "97000.12",
#				 "delay": s}, "coinbase": {...}, ...}; only
#				 the fields given change.  M is
#				 ok		the price, as the source sends it
#				 status		HTTP 500 with an error body
#				 garbage	not JSON
#				 wrong		JSON without the price
#				 number		the price as a JSON number
#				 drop		the connection closes, no answer
#				 otherkey	(kraken) the pair under another
#						name, the only one
#				 error		(kraken) a non-empty "error"
#				 usdt		(coinbase) currency "EUR";
#						(binance) symbol "BTCEUR"
#				 delay: seconds before answering
#	GET  /mock/stats	{"kraken": N, ...}: the requests each got

import http.server
import json
import socketserver
import sys
import threading
import time

lock = threading.Lock()
knobs = {
    "kraken": {"mode": "ok", "price": "97000.10000", "delay": 0},
    "coinbase": {"mode": "ok", "price": "97001.23", "delay": 0},
    "binance": {"mode": "ok", "price": "97002.34000000", "delay": 0},
}
stats = {"kraken": 0, "coinbase": 0, "binance": 0}

PATHS = {
    "/0/public/Ticker": "kraken",
    "/v2/prices/BTC-USD/spot": "coinbase",
    "/api/v3/ticker/price": "binance",
}


def answer(source, mode, price):
    if mode == "garbage":
        return b"<html>not json</html>"
    if mode == "wrong":
        return json.dumps({"result": {}, "data": {}, "msg": "no"}).encode()
    value = float(price) if mode == "number" else price
    if source == "kraken":
        pair = {"a": [price, "1", "1.000"], "b": [price, "1", "1.000"],
                "c": [value, "0.00010000"], "v": ["1", "2"]}
        key = "XBTUSD_OTHER" if mode == "otherkey" else "XXBTZUSD"
        errors = ["EGeneral:Temporary lockout"] if mode == "error" else []
        body = {"error": errors, "result": {key: pair}}
        if mode == "error":
            body["result"] = {}
        return json.dumps(body).encode()
    if source == "coinbase":
        cur = "EUR" if mode == "usdt" else "USD"
        return json.dumps({"data": {"amount": value, "base": "BTC",
                                    "currency": cur}}).encode()
    sym = "BTCEUR" if mode == "usdt" else "BTCUSDT"
    return json.dumps({"symbol": sym, "price": value}).encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, ctype="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/mock/stats":
            with lock:
                body = json.dumps(stats).encode()
            return self.reply(200, body)
        source = PATHS.get(path)
        if source is None:
            return self.reply(404, b'{"error":"not found"}')
        with lock:
            stats[source] += 1
            k = dict(knobs[source])
        if k["delay"]:
            time.sleep(k["delay"])
        if k["mode"] == "drop":
            self.close_connection = True
            try:
                self.connection.shutdown(2)
            except OSError:
                pass
            return
        if k["mode"] == "status":
            return self.reply(500, b'{"error":"internal"}')
        ctype = "text/html" if k["mode"] == "garbage" else "application/json"
        self.reply(200, answer(source, k["mode"], k["price"]), ctype)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(length)
        if self.path != "/mock/knobs":
            return self.reply(404, b'{"error":"not found"}')
        try:
            new = json.loads(data)
            with lock:
                for source, k in new.items():
                    knobs[source].update(k)
        except (ValueError, KeyError, AttributeError):
            return self.reply(400, b'{"error":"bad knobs"}')
        self.reply(200, b"{}")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # A client that gave up on a slow answer is no error of ours.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def main():
    port = 0
    forever = "--forever" in sys.argv
    if "--port" in sys.argv:
        port = int(sys.argv[sys.argv.index("--port") + 1])
    srv = Server(("127.0.0.1", port), Handler)
    print("port %d" % srv.server_address[1], flush=True)
    if forever:
        print("ready", flush=True)
        srv.serve_forever()
        return
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    print("ready", flush=True)
    # Until the test closes our stdin (or dies).
    sys.stdin.read()
    srv.shutdown()


if __name__ == "__main__":
    main()
