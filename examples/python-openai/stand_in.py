"""A local OpenAI-compatible stand-in (standard library only), for running the example without a key.

It answers /v1/chat/completions (plain, streamed, with a tool call when tools are offered and no
tool result came back yet, 404 for the model `does-not-exist`) and /v1/embeddings, with usage.
"""

import base64
import json
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MISSING_MODEL = "does-not-exist"


def _usage(prompt, completion):
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _last_user_text(messages):
    for message in reversed(messages):
        if message.get("role") == "user" and isinstance(message.get("content"), str):
            return message["content"]
    return ""


def chat_reply(body):
    """The completion the stand-in gives for a request body: (status, json)."""
    model = body.get("model", "gpt-4o-mini")
    if model == MISSING_MODEL:
        error = {"message": "The model `%s` does not exist." % model, "type": "invalid_request_error", "code": "model_not_found"}
        return 404, {"error": error}
    messages = body.get("messages", [])
    has_tool_result = any(m.get("role") == "tool" for m in messages)
    base = {"id": "chatcmpl-standin-%d" % int(time.time() * 1000), "object": "chat.completion", "created": int(time.time()), "model": model}
    if body.get("tools") and not has_tool_result:
        call = {"id": "call_standin_1", "type": "function", "function": {"name": "get_weather", "arguments": json.dumps({"city": "Zanzibar"})}}
        choice = {"index": 0, "message": {"role": "assistant", "content": None, "tool_calls": [call]}, "finish_reason": "tool_calls"}
        return 200, dict(base, choices=[choice], usage=_usage(42, 17))
    if has_tool_result:
        text = "It is 29 °C and sunny in Zanzibar."
    else:
        text = "Stand-in answer to: %s" % _last_user_text(messages)[:80]
    choice = {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
    return 200, dict(base, choices=[choice], usage=_usage(24, 12))


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - quiet: the example prints what matters
        pass

    def _json(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):  # noqa: N802 - http.server's name
        length = int(self.headers.get("content-length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        if self.path.endswith("/embeddings"):
            inputs = body.get("input")
            inputs = inputs if isinstance(inputs, list) else [inputs]
            vector = [0.1, 0.2, 0.3, 0.4]
            # The SDK asks for base64 (little-endian float32) unless told otherwise.
            if body.get("encoding_format") == "base64":
                vector = base64.b64encode(struct.pack("<%df" % len(vector), *vector)).decode()
            data = [{"object": "embedding", "index": i, "embedding": vector} for i in range(len(inputs))]
            return self._json(200, {"object": "list", "data": data, "model": body.get("model"), "usage": {"prompt_tokens": 8, "total_tokens": 8}})
        if not self.path.endswith("/chat/completions"):
            return self._json(404, {"error": {"message": "no route %s" % self.path, "type": "not_found"}})
        status, reply = chat_reply(body)
        if status != 200 or not body.get("stream"):
            return self._json(status, reply)
        self._stream(reply)

    def _stream(self, reply):
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.end_headers()
        text = reply["choices"][0]["message"]["content"] or ""
        words = text.split(" ")
        chunk = {k: reply[k] for k in ("id", "created", "model")}
        chunk["object"] = "chat.completion.chunk"
        for i, word in enumerate(words):
            delta = {"content": word if i == 0 else " " + word}
            if i == 0:
                delta["role"] = "assistant"
            event = dict(chunk, choices=[{"index": 0, "delta": delta, "finish_reason": None}])
            self.wfile.write(b"data: " + json.dumps(event).encode() + b"\n\n")
        self.wfile.write(b"data: " + json.dumps(dict(chunk, choices=[{"index": 0, "delta": {}, "finish_reason": "stop"}])).encode() + b"\n\n")
        self.wfile.write(b"data: " + json.dumps(dict(chunk, choices=[], usage=reply["usage"])).encode() + b"\n\n")
        self.wfile.write(b"data: [DONE]\n\n")


def start_stand_in():
    """Starts the stand-in on a free loopback port; returns (base_url, server)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return "http://127.0.0.1:%d/v1" % server.server_address[1], server
