#!/usr/bin/env python3
#
# A mock LLM upstream for the proxy's tests, on 127.0.0.1: OpenAI's
# /v1/chat/completions, /v1/completions, /v1/embeddings, /v1/responses
# and Anthropic's /v1/messages (any prefix before those), streamed
# ("stream": true in the body: SSE, chunked) or not, with the shapes
# the real ones send.  It answers "mock: " and the words of the knob
# "content", one content chunk per word (or per "chunk_size" bytes).
#
#	upstream-mock.py
#
# prints "port N" then "ready", and serves until its stdin closes.
#
# The mock's own:
#	POST /mock/knobs	set knobs (JSON; every POST starts from the
#				defaults below); {"reset": true} also clears
#				the stats
#	GET  /mock/stats	{"requests", "completed", "disconnects",
#				 "last_path", "last_body", "last_headers"
#				 (lowercase names), "paths": {path: n}}
#
# Knobs (default):
#	status (200)		answer this status with OpenAI's error body
#				{"error":{"message","type","code"}}; 204:
#				no body, Content-Type the knob ctype's
#	usage (true)		report usage (at the end of a stream only
#				when the request asked for include_usage,
#				as OpenAI does; "force" sends it anyway)
#	usage_in_content (false) usage in the last content chunk, not a
#				chunk of its own
#	usage_value (null)	this JSON object as the usage, verbatim
#	content ("hello from the mock")
#	chunks (0)		that many content chunks instead of a word
#				each, made of chunk_size bytes of "x"
#	chunk_size (0)
#	crlf (false)		SSE lines end in CRLF
#	keepalive (false)	a ": keepalive" comment between events
#	split (false)		every event written in pieces of 3 bytes,
#				each flushed on its own
#	delay_headers (0)	seconds before the status line
#	delay_chunks (0)	seconds between events
#	garbage (false)		a body that is not JSON (not streamed), or
#				an event whose data is not JSON (streamed,
#				after the first content chunk)
#	cut_after (-1)		close the connection after that many
#				events (streamed) or half the body
#	hang (false)		read the request, never answer
#	ctype (null)		the Content-Type to claim
#	no_done (false)		no "data: [DONE]" at the end
#	extra (null)		these members added to a whole answer's
#				top level (after usage)
#	indent (false)		a whole answer pretty-printed, over lines
#	reject_param (null)	a request with this top-level member is
#				answered 400, naming it in reject_text
#	reject_text ("`%s` is deprecated for this model.")
#	tool_call (null)	{"id", "name", "arguments" (JSON text)}:
#				chat and messages answers call that tool
#				after their text (finish_reason tool_calls,
#				stop_reason tool_use); streamed, the
#				arguments come in pieces of 5 bytes

import http.server
import json
import select
import socket
import socketserver
import sys
import threading
import time

DEFAULTS = {
    "status": 200, "usage": True, "usage_in_content": False,
    "usage_value": None, "content": "hello from the mock", "chunks": 0,
    "chunk_size": 0, "crlf": False, "keepalive": False, "split": False,
    "delay_headers": 0, "delay_chunks": 0, "garbage": False,
    "cut_after": -1, "hang": False, "ctype": None, "no_done": False,
    "extra": None, "indent": False, "reject_param": None,
    "reject_text": "`%s` is deprecated for this model.",
    "tool_call": None,
}

lock = threading.Lock()
knobs = dict(DEFAULTS)
stats = {}


def stats_reset():
    stats.clear()
    stats.update({"requests": 0, "completed": 0, "disconnects": 0,
                  "last_path": None, "last_body": None,
                  "last_headers": {}, "paths": {}})


stats_reset()


class Gone(Exception):
    """The client went away."""


class Cut(Exception):
    """The mock cuts the connection itself."""


def words(s):
    return len(s.split()) or (1 if s else 0)


def prompt_words(body):
    n = 0

    def walk(v):
        nonlocal n
        if isinstance(v, str):
            n += words(v)
        elif isinstance(v, list):
            for e in v:
                walk(e)
        elif isinstance(v, dict):
            if isinstance(v.get("text"), str):
                n += words(v["text"])
            walk(v.get("content"))
    for k in ("messages", "system", "prompt", "input", "instructions"):
        walk(body.get(k))
    return n


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY,
                                   1)

    # helpers

    def wait_or_gone(self, secs):
        """Sleep secs; raise Gone if the client closes meanwhile."""
        end = time.time() + secs
        while True:
            left = end - time.time()
            if left <= 0:
                return
            r, _, _ = select.select([self.connection], [], [],
                                    min(left, 0.05))
            if r:
                try:
                    data = self.connection.recv(1, socket.MSG_PEEK)
                except OSError:
                    data = b""
                if not data:
                    raise Gone()
                time.sleep(min(left, 0.05))

    def write(self, data):
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            raise Gone()

    def chunk(self, data, split=False):
        if not data:
            return
        if split:
            for i in range(0, len(data), 3):
                self.write(b"%x\r\n%s\r\n" % (len(data[i:i + 3]),
                                              data[i:i + 3]))
                time.sleep(0.002)
        else:
            self.write(b"%x\r\n%s\r\n" % (len(data), data))

    def reply(self, status, body, ctype="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.write(body)

    # the mock's own

    def do_GET(self):
        if self.path == "/mock/stats":
            with lock:
                body = json.dumps(stats).encode()
            self.reply(200, body)
        else:
            self.reply(404, b'{"error":{"message":"not found"}}')

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        if self.path == "/mock/knobs":
            req = json.loads(raw or b"{}")
            with lock:
                knobs.clear()
                knobs.update(DEFAULTS)
                if req.pop("reset", False):
                    stats_reset()
                knobs.update(req)
            self.reply(200, b'{"ok":true}')
            return
        with lock:
            k = dict(knobs)
            stats["requests"] += 1
            stats["last_path"] = self.path
            stats["last_body"] = raw.decode("utf-8", "replace")
            stats["last_headers"] = {n.lower(): v for n, v in
                                     self.headers.items()}
            stats["paths"][self.path] = stats["paths"].get(self.path,
                                                           0) + 1
        try:
            self.answer(k, raw)
            with lock:
                stats["completed"] += 1
        except Gone:
            with lock:
                stats["disconnects"] += 1
            self.close_connection = True
        except Cut:
            self.close_connection = True

    def answer(self, k, raw):
        if k["hang"]:
            self.wait_or_gone(120)
            raise Gone()
        if k["delay_headers"]:
            self.wait_or_gone(k["delay_headers"])
        if k["status"] == 204:
            self.send_response(204)
            self.send_header("Content-Type", k["ctype"] or
                             "application/json")
            self.end_headers()
            return
        if k["status"] != 200:
            body = json.dumps({"error": {"message": "mock error %d" %
                                         k["status"], "type": "mock_error",
                                         "code": k["status"]}}).encode()
            self.reply(k["status"], body)
            return
        try:
            body = json.loads(raw)
        except ValueError:
            self.reply(400, b'{"error":{"message":"bad json"}}')
            return
        rp = k["reject_param"]
        if rp is not None and isinstance(body, dict) and rp in body:
            self.reply(400, json.dumps({"error": {
                "message": k["reject_text"].replace("%s", rp),
                "type": "invalid_request_error", "param": rp,
                "code": "unsupported_parameter"}}).encode())
            return
        p = self.path
        if p.endswith("/chat/completions"):
            api = "chat"
        elif p.endswith("/completions"):
            api = "completions"
        elif p.endswith("/embeddings"):
            api = "embeddings"
        elif p.endswith("/responses"):
            api = "responses"
        elif p.endswith("/messages"):
            api = "messages"
        else:
            self.reply(404, b'{"error":{"message":"no such path"}}')
            return
        if body.get("stream") and api != "embeddings":
            self.stream(k, api, body)
        else:
            self.whole(k, api, body)

    def pieces(self, k):
        if k["chunks"]:
            return ["x" * k["chunk_size"]] * k["chunks"]
        text = "mock: " + k["content"]
        out = []
        for i, w in enumerate(text.split(" ")):
            out.append(w if i == 0 else " " + w)
        return out

    def usage(self, k, api, body, text):
        if k["usage_value"] is not None:
            return k["usage_value"]
        p, c = prompt_words(body), words(text)
        if api == "messages":
            return {"input_tokens": p, "output_tokens": c}
        if api == "responses":
            return {"input_tokens": p, "input_tokens_details":
                    {"cached_tokens": 0}, "output_tokens": c,
                    "output_tokens_details": {"reasoning_tokens": 0},
                    "total_tokens": p + c}
        if api == "embeddings":
            return {"prompt_tokens": p, "total_tokens": p}
        return {"prompt_tokens": p, "completion_tokens": c,
                "total_tokens": p + c}

    def whole(self, k, api, body):
        text = "".join(self.pieces(k))
        model = body.get("model", "mock")
        u = self.usage(k, api, body, text)
        tc = k["tool_call"]
        if api == "chat":
            o = {"id": "chatcmpl-mock", "object": "chat.completion",
                 "created": int(time.time()), "model": model,
                 "choices": [{"index": 0, "message": {"role": "assistant",
                              "content": text}, "finish_reason": "stop"}]}
            if tc:
                o["choices"][0]["message"]["tool_calls"] = [
                    {"id": tc["id"], "type": "function", "function": {
                        "name": tc["name"],
                        "arguments": tc["arguments"]}}]
                o["choices"][0]["finish_reason"] = "tool_calls"
        elif api == "completions":
            o = {"id": "cmpl-mock", "object": "text_completion",
                 "created": int(time.time()), "model": model,
                 "choices": [{"index": 0, "text": text,
                              "finish_reason": "stop"}]}
        elif api == "embeddings":
            o = {"object": "list", "model": model, "data": [
                {"object": "embedding", "index": 0,
                 "embedding": [0.5, -0.5]}]}
        elif api == "responses":
            o = {"id": "resp_mock", "object": "response", "model": model,
                 "status": "completed", "output": [
                     {"type": "message", "role": "assistant", "content": [
                         {"type": "output_text", "text": text}]}]}
        else:
            o = {"id": "msg_mock", "type": "message", "role": "assistant",
                 "model": model, "content": [{"type": "text",
                                              "text": text}],
                 "stop_reason": "end_turn"}
            if tc:
                o["content"].append({"type": "tool_use", "id": tc["id"],
                                     "name": tc["name"], "input":
                                     json.loads(tc["arguments"])})
                o["stop_reason"] = "tool_use"
        if k["usage"]:
            o["usage"] = u
        o.update(k["extra"] or {})
        data = json.dumps(o, indent=2 if k["indent"] else None).encode()
        if k["garbage"]:
            data = b"<html>this is not JSON</html>"
        ctype = k["ctype"] or "application/json"
        if k["cut_after"] >= 0:
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.write(data[:len(data) // 2])
            raise Cut()
        self.reply(200, data, ctype)

    def event(self, k, data, name=None):
        nl = "\r\n" if k["crlf"] else "\n"
        s = ""
        if name:
            s += "event: " + name + nl
        s += "data: " + data + nl + nl
        return s.encode()

    def stream(self, k, api, body):
        model = body.get("model", "mock")
        want = k["usage"] == "force" or (k["usage"] and (
            api not in ("chat", "completions") or
            (body.get("stream_options") or {}).get("include_usage")))
        pieces = self.pieces(k)
        text = "".join(pieces)
        u = self.usage(k, api, body, text)
        tc = k["tool_call"] if api in ("chat", "messages") else None
        args = []
        if tc:
            a = tc["arguments"]
            args = [a[i:i + 5] for i in range(0, len(a), 5)]
        evs = []
        if api in ("chat", "completions"):
            obj = ("chat.completion.chunk" if api == "chat" else
                   "text_completion")

            def c(choices, usage=None):
                o = {"id": "chatcmpl-mock", "object": obj,
                     "created": 1700000000, "model": model,
                     "choices": choices}
                if usage is not None:
                    o["usage"] = usage
                return json.dumps(o)
            for i, piece in enumerate(pieces):
                last = i == len(pieces) - 1
                if api == "chat" and last and tc:
                    evs.append(self.event(k, c([{"index": 0, "delta":
                                                 {"content": piece},
                                                 "finish_reason": None}])))
                    ch = [{"index": 0, "delta": {"tool_calls": [
                        {"index": 0, "id": tc["id"], "type": "function",
                         "function": {"name": tc["name"],
                                      "arguments": ""}}]},
                        "finish_reason": None}]
                    evs.append(self.event(k, c(ch)))
                    for j, a in enumerate(args):
                        ch = [{"index": 0, "delta": {"tool_calls": [
                            {"index": 0, "function": {"arguments": a}}]},
                            "finish_reason": "tool_calls"
                            if j == len(args) - 1 else None}]
                        evs.append(self.event(k, c(ch, u if j ==
                                   len(args) - 1 and want and
                                   k["usage_in_content"] else None)))
                    continue
                if api == "chat":
                    ch = [{"index": 0, "delta": {"content": piece},
                           "finish_reason": "stop" if last else None}]
                else:
                    ch = [{"index": 0, "text": piece,
                           "finish_reason": "stop" if last else None}]
                evs.append(self.event(k, c(ch, u if last and want and
                                           k["usage_in_content"]
                                           else None)))
                if i == 0 and k["garbage"]:
                    evs.append(self.event(k, "this is not JSON"))
            if want and not k["usage_in_content"]:
                evs.append(self.event(k, c([], u)))
            if not k["no_done"]:
                evs.append(self.event(k, "[DONE]"))
        elif api == "messages":
            start_u = dict(u)
            if "output_tokens" in start_u:
                start_u["output_tokens"] = 1
            evs.append(self.event(k, json.dumps(
                {"type": "message_start", "message": {
                    "id": "msg_mock", "type": "message",
                    "role": "assistant", "model": model, "content": [],
                    "usage": start_u if want else {}}}), "message_start"))
            evs.append(self.event(k, json.dumps(
                {"type": "content_block_start", "index": 0,
                 "content_block": {"type": "text", "text": ""}}),
                "content_block_start"))
            for i, piece in enumerate(pieces):
                evs.append(self.event(k, json.dumps(
                    {"type": "content_block_delta", "index": 0,
                     "delta": {"type": "text_delta", "text": piece}}),
                    "content_block_delta"))
                if i == 0 and k["garbage"]:
                    evs.append(self.event(k, "this is not JSON"))
            evs.append(self.event(k, json.dumps(
                {"type": "content_block_stop", "index": 0}),
                "content_block_stop"))
            if tc:
                evs.append(self.event(k, json.dumps(
                    {"type": "content_block_start", "index": 1,
                     "content_block": {"type": "tool_use", "id": tc["id"],
                                       "name": tc["name"], "input": {}}}),
                    "content_block_start"))
                for a in args:
                    evs.append(self.event(k, json.dumps(
                        {"type": "content_block_delta", "index": 1,
                         "delta": {"type": "input_json_delta",
                                   "partial_json": a}}),
                        "content_block_delta"))
                evs.append(self.event(k, json.dumps(
                    {"type": "content_block_stop", "index": 1}),
                    "content_block_stop"))
            delta = {"type": "message_delta",
                     "delta": {"stop_reason": "tool_use" if tc else
                               "end_turn"}}
            if want:
                delta["usage"] = {"output_tokens":
                                  u.get("output_tokens", 0)}
            evs.append(self.event(k, json.dumps(delta), "message_delta"))
            evs.append(self.event(k, json.dumps({"type": "message_stop"}),
                                  "message_stop"))
        else:
            evs.append(self.event(k, json.dumps(
                {"type": "response.created", "response": {
                    "id": "resp_mock", "status": "in_progress"}}),
                "response.created"))
            for piece in pieces:
                evs.append(self.event(k, json.dumps(
                    {"type": "response.output_text.delta",
                     "delta": piece}), "response.output_text.delta"))
            resp = {"id": "resp_mock", "status": "completed"}
            if want:
                resp["usage"] = u
            evs.append(self.event(k, json.dumps(
                {"type": "response.completed", "response": resp}),
                "response.completed"))

        self.send_response(200)
        self.send_header("Content-Type", k["ctype"] or
                         "text/event-stream; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        self.wfile.flush()
        for i, ev in enumerate(evs):
            if i == k["cut_after"]:
                raise Cut()
            if i > 0 and k["delay_chunks"]:
                self.wait_or_gone(k["delay_chunks"])
            if k["keepalive"]:
                self.chunk(b": keepalive" + (b"\r\n\r\n" if k["crlf"]
                                             else b"\n\n"))
            self.chunk(ev, k["split"])
        self.write(b"0\r\n\r\n")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().server_bind()


def main():
    srv = Server(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    print("port %d" % srv.server_address[1])
    print("ready", flush=True)
    try:
        sys.stdin.read()
    except KeyboardInterrupt:
        pass
    srv.shutdown()


if __name__ == "__main__":
    main()
