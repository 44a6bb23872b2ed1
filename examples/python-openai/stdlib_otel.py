"""The example's stdlib-only mode: an OpenAI-shaped client over urllib that makes its own spans
and sends them as OTLP/JSON to OTEL_EXPORTER_OTLP_ENDPOINT, for when neither the `openai` package
nor the OpenTelemetry SDK is installed. The spans follow the GenAI semantic conventions and carry
the line of the caller (`code.file.path`, `code.line.number`), as the Spanlens bootstrap adds
them with the real SDK.
"""

import json
import os
import secrets
import sys
import sysconfig
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from types import SimpleNamespace

_HERE = os.path.abspath(__file__)
_STDLIB = os.path.abspath(sysconfig.get_paths()["stdlib"]) + os.sep


def _attr(key, value):
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    if isinstance(value, float):
        return {"key": key, "value": {"doubleValue": value}}
    if isinstance(value, (list, tuple)):
        return {"key": key, "value": {"arrayValue": {"values": [{"stringValue": str(v)} for v in value]}}}
    return {"key": key, "value": {"stringValue": str(value)}}


def _caller():
    """The first frame outside this module and the standard library: where the app called the client."""
    frame = sys._getframe(1)
    while frame is not None and (os.path.abspath(frame.f_code.co_filename) == _HERE or os.path.abspath(frame.f_code.co_filename).startswith(_STDLIB)):
        frame = frame.f_back
    if frame is None:
        return {}
    return {"code.file.path": os.path.abspath(frame.f_code.co_filename), "code.line.number": frame.f_lineno, "code.function.name": frame.f_code.co_name}


class Span:
    def __init__(self, name, trace_id, parent_id, kind, attributes):
        self.name, self.trace_id, self.parent_id, self.kind = name, trace_id, parent_id, kind
        self.span_id = secrets.token_hex(8)
        self.attributes = dict(_caller(), **attributes)
        self.start_ns, self.end_ns = time.time_ns(), None
        self.error = None

    def set_attribute(self, key, value):
        self.attributes[key] = value

    def to_json(self):
        span = {
            "traceId": self.trace_id, "spanId": self.span_id, "name": self.name, "kind": self.kind,
            "startTimeUnixNano": str(self.start_ns), "endTimeUnixNano": str(self.end_ns or time.time_ns()),
            "attributes": [_attr(k, v) for k, v in self.attributes.items() if v is not None],
            "status": {"code": 2, "message": self.error} if self.error else {"code": 0},
        }
        if self.parent_id:
            span["parentSpanId"] = self.parent_id
        return span


class Tracer:
    """Just enough of a tracer: nested spans on one thread, exported together at flush."""

    def __init__(self):
        self._stack, self._done = [], []

    @contextmanager
    def start_as_current_span(self, name, kind=1, attributes=None):
        parent = self._stack[-1] if self._stack else None
        span = Span(name, parent.trace_id if parent else secrets.token_hex(16), parent.span_id if parent else None, kind, attributes or {})
        self._stack.append(span)
        try:
            yield span
        except Exception as error:
            span.error = str(error)
            span.set_attribute("error.type", type(error).__name__)
            raise
        finally:
            span.end_ns = time.time_ns()
            self._stack.pop()
            self._done.append(span)

    def flush(self):
        """Posts the finished spans as one OTLP/JSON request; returns how many were sent."""
        spans, self._done = self._done, []
        if not spans:
            return 0
        url = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "http://localhost:4318").rstrip("/") + "/v1/traces"
        body = {"resourceSpans": [{"resource": {"attributes": [_attr(k, v) for k, v in _resource().items()]},
                                   "scopeSpans": [{"scope": {"name": "spanlens-example-stdlib"}, "spans": [s.to_json() for s in spans]}]}]}
        request = urllib.request.Request(url, json.dumps(body).encode(), {"content-type": "application/json"})
        try:
            urllib.request.urlopen(request, timeout=5).read()
        except (urllib.error.URLError, OSError) as error:
            print("could not send %d spans to %s: %s" % (len(spans), url, error), file=sys.stderr)
            return 0
        return len(spans)


def _resource():
    attributes = {"service.name": os.environ.get("OTEL_SERVICE_NAME", "python-openai-example"), "telemetry.sdk.language": "python"}
    for pair in os.environ.get("OTEL_RESOURCE_ATTRIBUTES", "").split(","):
        key, sep, value = pair.partition("=")
        if sep and key.strip():
            attributes[key.strip()] = urllib.request.unquote(value.strip())
    return attributes


class APIError(Exception):
    def __init__(self, status, message):
        super().__init__("Error code: %d - %s" % (status, message))
        self.status_code = status


def _messages_attr(messages):
    out = []
    for m in messages:
        parts = []
        if m.get("content"):
            parts.append({"type": "tool_call_response", "id": m.get("tool_call_id"), "response": m["content"]} if m.get("role") == "tool" else {"type": "text", "content": m["content"]})
        for call in m.get("tool_calls") or []:
            parts.append({"type": "tool_call", "id": call["id"], "name": call["function"]["name"], "arguments": json.loads(call["function"]["arguments"])})
        out.append({"role": m["role"], "parts": parts})
    return json.dumps(out)


class _Namespace:
    pass


class StdlibClient:
    """`client.chat.completions.create(...)` and `client.embeddings.create(...)` over urllib, traced."""

    def __init__(self, base_url, api_key, tracer):
        self._base, self._key, self._tracer = base_url.rstrip("/"), api_key, tracer
        self.chat = _Namespace()
        self.chat.completions = _Namespace()
        self.chat.completions.create = self._chat
        self.embeddings = _Namespace()
        self.embeddings.create = self._embed

    def _post(self, path, body):
        request = urllib.request.Request(self._base + path, json.dumps(body).encode(), {"content-type": "application/json", "authorization": "Bearer " + self._key})
        try:
            return urllib.request.urlopen(request, timeout=30)
        except urllib.error.HTTPError as error:
            raise APIError(error.code, json.loads(error.read() or b"{}").get("error", {}).get("message", error.reason)) from None

    def _chat(self, model, messages, stream=False, tools=None):
        attributes = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": model,
                      "server.address": self._base.split("/")[2], "gen_ai.input.messages": _messages_attr(messages)}
        with self._tracer.start_as_current_span("chat " + model, kind=3, attributes=attributes) as span:
            body = {"model": model, "messages": messages}
            if tools:
                body["tools"] = tools
            if stream:
                body.update(stream=True, stream_options={"include_usage": True})
            response = self._post("/chat/completions", body)
            reply = _read_stream(response) if stream else json.loads(response.read())
            message = reply["choices"][0]["message"]
            span.set_attribute("gen_ai.response.model", reply.get("model"))
            span.set_attribute("gen_ai.response.id", reply.get("id"))
            span.set_attribute("gen_ai.response.finish_reasons", [reply["choices"][0]["finish_reason"]])
            span.set_attribute("gen_ai.usage.input_tokens", reply["usage"]["prompt_tokens"])
            span.set_attribute("gen_ai.usage.output_tokens", reply["usage"]["completion_tokens"])
            span.set_attribute("gen_ai.output.messages", _messages_attr([dict(message, role="assistant")]))
            if stream:
                # What the app reads from a stream: chunks with `choices[0].delta.content`.
                return [_objects({"choices": [{"index": 0, "delta": {"content": message["content"]}}]})]
            return _objects(reply)

    def _embed(self, model, input):  # noqa: A002 - the SDK's parameter name
        attributes = {"gen_ai.operation.name": "embeddings", "gen_ai.provider.name": "openai", "gen_ai.request.model": model}
        with self._tracer.start_as_current_span("embeddings " + model, kind=3, attributes=attributes) as span:
            reply = json.loads(self._post("/embeddings", {"model": model, "input": input}).read())
            span.set_attribute("gen_ai.usage.input_tokens", reply["usage"]["prompt_tokens"])
            return _objects(reply)


def _objects(value):
    """JSON as attribute access, the way the SDK's response objects read."""
    if isinstance(value, dict):
        return SimpleNamespace(**{k: _objects(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_objects(v) for v in value]
    return value


def _read_stream(response):
    """Joins an SSE chat stream into one completion."""
    text, reply, finish = [], {}, "stop"
    for raw in response:
        line = raw.decode().strip()
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        chunk = json.loads(line[6:])
        reply.update({k: chunk[k] for k in ("id", "model") if k in chunk})
        if chunk.get("usage"):
            reply["usage"] = chunk["usage"]
        for choice in chunk.get("choices", []):
            text.append(choice.get("delta", {}).get("content") or "")
            finish = choice.get("finish_reason") or finish
    reply["choices"] = [{"index": 0, "message": {"role": "assistant", "content": "".join(text)}, "finish_reason": finish}]
    reply.setdefault("usage", {"prompt_tokens": 0, "completion_tokens": 0})
    return reply
