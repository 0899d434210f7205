#!/usr/bin/env python3
#
# The clients of the paid API's tests (t-forward-*.sh) that curl cannot
# be: a stream read as it arrives, a client that goes away mid-stream,
# and many requests at once.  Standard library only.
#
#	forward-client.py stream URL BODY [HEADER ...]
#		POST, read the answer as it comes and print it as JSON:
#		status, headers (lowercase names), body (de-chunked), the
#		SSE data lines, t_data (seconds from the start to the
#		arrival of each), t_first (to the first "data:"), t_end
#		(to the end of the answer).
#	forward-client.py disconnect URL BODY [HEADER ...]
#		POST, read until the first SSE "data:" line, then close the
#		socket; print {"status", "got"}.
#	forward-client.py race URL N BODY [HEADER ...]
#		N POSTs at once (threads released together); print a JSON
#		list of {"status", "cost", "body"}.
#	forward-client.py batch <REQUESTS
#		the JSON list of {"url", "body", "headers": [HEADER ...]}
#		on stdin at once, printed as race does.
#
# HEADER is "Name: value".

import http.client
import json
import socket
import sys
import threading
import time
import urllib.parse


def split_url(url):
    u = urllib.parse.urlsplit(url)
    return u.hostname, u.port or 80, u.path or "/"


def raw_request(url, body, headers):
    host, port, path = split_url(url)
    data = body.encode()
    lines = ["POST %s HTTP/1.1" % path, "Host: %s:%d" % (host, port),
             "Content-Type: application/json",
             "Content-Length: %d" % len(data), "Connection: close"]
    lines += headers
    s = socket.create_connection((host, port), timeout=30)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + data)
    return s


def parse_head(raw):
    head, _, rest = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    hdrs = {}
    for ln in lines[1:]:
        n, _, v = ln.partition(":")
        hdrs[n.strip().lower()] = v.strip()
    return status, hdrs, rest


def dechunk(b):
    out = b""
    while b:
        n, _, b = b.partition(b"\r\n")
        try:
            size = int(n.split(b";")[0], 16)
        except ValueError:
            break
        if size == 0:
            break
        out += b[:size]
        b = b[size + 2:]
    return out


def stream(url, body, headers):
    t0 = time.monotonic()
    s = raw_request(url, body, headers)
    raw = b""
    t_data = []
    while True:
        try:
            d = s.recv(65536)
        except socket.timeout:
            break
        if not d:
            break
        raw += d
        # When each "data:" came (found in the raw, chunked bytes).
        n = raw.partition(b"\r\n\r\n")[2].count(b"data:")
        t_data += [time.monotonic() - t0] * (n - len(t_data))
    t_end = time.monotonic() - t0
    s.close()
    status, hdrs, rest = parse_head(raw)
    if "chunked" in hdrs.get("transfer-encoding", "").lower():
        rest = dechunk(rest)
    text = rest.decode("utf-8", "replace")
    data = [ln[5:].strip() for ln in text.replace("\r\n", "\n").split("\n")
            if ln.startswith("data:")]
    print(json.dumps({"status": status, "headers": hdrs, "body": text,
                      "data": data, "t_data": t_data,
                      "t_first": t_data[0] if t_data else None,
                      "t_end": t_end}))


def disconnect(url, body, headers):
    s = raw_request(url, body, headers)
    raw = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        raw += d
        if b"\r\n\r\n" in raw and b"data:" in raw.partition(b"\r\n\r\n")[2]:
            break
    # A reset, not a lingering half-close: the client is gone.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
    s.close()
    status = int(raw.split(b" ", 2)[1]) if raw else 0
    print(json.dumps({"status": status,
                      "got": raw.decode("utf-8", "replace")}))


def batch(reqs):
    """Each of reqs ({"url", "body", "headers"}) at once, in threads
    released together; a list of {"status", "cost", "body"}."""
    n = len(reqs)
    barrier = threading.Barrier(n)
    out = [None] * n

    def one(i):
        host, port, path = split_url(reqs[i]["url"])
        hd = {"Content-Type": "application/json"}
        for h in reqs[i]["headers"]:
            k, _, v = h.partition(":")
            hd[k.strip()] = v.strip()
        c = http.client.HTTPConnection(host, port, timeout=60)
        c.connect()
        barrier.wait()
        try:
            c.request("POST", path, body=reqs[i]["body"], headers=hd)
            r = c.getresponse()
            b = r.read().decode("utf-8", "replace")
            out[i] = {"status": r.status,
                      "cost": r.getheader("X-Routstr-Cost-Msats"),
                      "body": b}
        except Exception as e:
            out[i] = {"status": 0, "cost": None, "body": repr(e)}
        c.close()
    ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print(json.dumps(out))


def main():
    a = sys.argv[1:]
    if len(a) >= 3 and a[0] == "stream":
        stream(a[1], a[2], a[3:])
    elif len(a) >= 3 and a[0] == "disconnect":
        disconnect(a[1], a[2], a[3:])
    elif len(a) >= 4 and a[0] == "race":
        batch([{"url": a[1], "body": a[3], "headers": a[4:]}] * int(a[2]))
    elif len(a) == 1 and a[0] == "batch":
        batch(json.load(sys.stdin))
    else:
        sys.exit("usage: forward-client.py "
                 "stream|disconnect|race|batch ...")


if __name__ == "__main__":
    main()
