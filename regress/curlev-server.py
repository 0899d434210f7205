#!/usr/bin/env python3
#
# The HTTP server of regress/unit/test_curlev: plain HTTP on 127.0.0.1,
# and HTTPS with --cert/--key.  Prints "http PORT" and "https PORT" on
# stdout, then serves until its stdin closes (the test exits).
#
#	GET  /hello		"hello\n"; X-Conn: the client's port
#	POST /echo		the body back; X-Method, X-Test echoed
#	GET  /stream?n=&delay=	chunked, one "chunk I\n" every delay seconds
#	GET  /forever		chunked, never ends (cancel)
#	GET  /slow?delay=	answers after delay seconds
#	GET  /big?size=		size bytes of 'x'
#	GET  /status/N		status N
#	GET  /redirect		302 to /hello
#	GET  /headers?n=	n extra headers
#	GET  /stats		{"aborted": streams whose client went away}

import http.server
import json
import socketserver
import ssl
import sys
import threading
import time
import urllib.parse

stats = {"aborted": 0, "requests": 0}
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, code, body=b"", headers=()):
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Conn", str(self.client_address[1]))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def start_chunked(self):
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.flush()

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        try:
            self.get()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True

    def get(self):
        with lock:
            stats["requests"] += 1
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        p = u.path
        if p == "/hello":
            self.reply(200, b"hello\n", [("Content-Type", "text/plain")])
        elif p == "/stream":
            n = int(q.get("n", "5"))
            delay = float(q.get("delay", "0.1"))
            self.start_chunked()
            for i in range(n):
                time.sleep(delay)
                self.chunk(b"chunk %d\n" % i)
            self.wfile.write(b"0\r\n\r\n")
        elif p == "/forever":
            self.start_chunked()
            try:
                i = 0
                while True:
                    self.chunk(b"tick %d\n" % i + b"." * 1000)
                    i += 1
                    time.sleep(0.01)
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                with lock:
                    stats["aborted"] += 1
                self.close_connection = True
        elif p == "/slow":
            time.sleep(float(q.get("delay", "5")))
            try:
                self.reply(200, b"late\n")
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                self.close_connection = True
        elif p == "/big":
            self.reply(200, b"x" * int(q.get("size", "1000")))
        elif p.startswith("/status/"):
            self.reply(int(p[8:]), b"status\n")
        elif p == "/redirect":
            self.reply(302, b"", [("Location", "/hello")])
        elif p == "/headers":
            self.reply(200, b"many\n",
                       [("X-H%d" % i, "v" * 10)
                        for i in range(int(q.get("n", "10")))])
        elif p == "/stats":
            with lock:
                body = json.dumps(stats).encode()
            self.reply(200, body, [("Content-Type", "application/json")])
        else:
            self.reply(404, b"no such thing\n")

    def do_POST(self):
        self.do_any()

    def do_PUT(self):
        self.do_any()

    def do_DELETE(self):
        self.do_any()

    def do_any(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n) if n else b""
        if self.path == "/echo":
            self.reply(200, body, [
                ("X-Method", self.command),
                ("X-Test", self.headers.get("X-Test", "")),
                ("X-Expect", self.headers.get("Expect", "")),
                ("X-Content-Type", self.headers.get("Content-Type", ""))])
        else:
            self.reply(404, b"no such thing\n")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    request_queue_size = 128
    allow_reuse_address = True


def main():
    args = sys.argv[1:]
    cert = key = None
    while args:
        a = args.pop(0)
        if a == "--cert":
            cert = args.pop(0)
        elif a == "--key":
            key = args.pop(0)
    servers = [("http", Server(("127.0.0.1", 0), Handler))]
    if cert:
        s = Server(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        s.socket = ctx.wrap_socket(s.socket, server_side=True)
        servers.append(("https", s))
    for name, s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
        print(name, s.server_address[1], flush=True)
    print("ready", flush=True)
    # Until the test goes away.
    sys.stdin.read()


if __name__ == "__main__":
    main()
