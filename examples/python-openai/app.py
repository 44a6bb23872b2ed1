"""Spanlens example: an app calling OpenAI five ways (plain, streamed, a tool call and its result,
an embedding, a failing call). Run it with "Spanlens: Run Current File with Tracing".

With OPENAI_API_KEY it calls the real API; without it, a local stand-in. With the `openai` package
and the OpenTelemetry SDK installed (requirements.txt) the Spanlens bootstrap traces the calls;
without them the example uses its stdlib-only client, which sends the same spans itself.
"""

import json
import os
import sys

from stand_in import MISSING_MODEL, start_stand_in

MODEL = os.environ.get("EXAMPLE_MODEL", "gpt-4o-mini")
WEATHER_TOOL = {"type": "function", "function": {"name": "get_weather", "description": "Current weather in a city",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}


def make_client():
    """(client, tracer, flush): the real SDK when installed, else the stdlib client."""
    key = os.environ.get("OPENAI_API_KEY")
    base_url = os.environ.get("OPENAI_BASE_URL")
    if not key:
        base_url, _server = start_stand_in()
        key = "stand-in"
        print("No OPENAI_API_KEY: using the local stand-in at %s" % base_url)
    try:
        import openai
        from opentelemetry import trace
    except ImportError:
        import stdlib_otel

        print("openai or opentelemetry-sdk is not installed: stdlib-only mode (pip install -r requirements.txt for the real SDK)")
        tracer = stdlib_otel.Tracer()
        return stdlib_otel.StdlibClient(base_url or "https://api.openai.com/v1", key, tracer), tracer, tracer.flush
    provider = trace.get_tracer_provider()
    return openai.OpenAI(api_key=key, base_url=base_url), trace.get_tracer("python-openai-example"), getattr(provider, "force_flush", lambda: None)


def weather(city):
    return {"city": city, "temperature_c": 29, "sky": "sunny"}


def main():
    client, tracer, flush = make_client()
    failed = False
    with tracer.start_as_current_span("python-openai example"):
        plain = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Name one island off Tanzania."}])  # plain call
        print("plain:", plain.choices[0].message.content)

        stream = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Count to five."}], stream=True)  # streaming call
        print("stream:", "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices))

        messages = [{"role": "user", "content": "What is the weather in Zanzibar?"}]
        first = client.chat.completions.create(model=MODEL, messages=messages, tools=[WEATHER_TOOL])  # tool call
        call = first.choices[0].message.tool_calls[0]
        result = weather(**json.loads(call.function.arguments))
        messages += [{"role": "assistant", "content": None, "tool_calls": [{"id": call.id, "type": "function", "function": {"name": call.function.name, "arguments": call.function.arguments}}]},
                     {"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)}]
        answer = client.chat.completions.create(model=MODEL, messages=messages, tools=[WEATHER_TOOL])  # tool result
        print("tool:", answer.choices[0].message.content)

        embedding = client.embeddings.create(model="text-embedding-3-small", input="Zanzibar ferry timetable")  # embedding
        print("embedding: %d dimensions" % len(embedding.data[0].embedding))

        try:
            client.chat.completions.create(model=MISSING_MODEL, messages=[{"role": "user", "content": "Hello?"}])  # failing call
        except Exception as error:  # noqa: BLE001 - the example shows the failure in the trace
            failed = True
            print("failing call failed as expected:", error)
    sent = flush()
    if isinstance(sent, int):
        print("sent %d spans" % sent)
    return 0 if failed else 1


if __name__ == "__main__":
    sys.exit(main())
