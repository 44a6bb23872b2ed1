// A local OpenAI-compatible stand-in, for running the example without an API key: /v1/chat/completions
// (plain, streamed, a tool call when tools are offered and no tool result came back yet, 404 for the
// model `does-not-exist`) and /v1/embeddings, with token usage. Node's http module only.
import http from 'node:http';

export const MISSING_MODEL = 'does-not-exist';

const usage = (prompt, completion) => ({ prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion });

function lastUserText(messages) {
  const user = [...messages].reverse().find((m) => m.role === 'user' && typeof m.content === 'string');
  return user ? user.content : '';
}

/** The stand-in's answer to a chat request: [status, body]. */
export function chatReply(body) {
  const model = body.model ?? 'gpt-4o-mini';
  if (model === MISSING_MODEL) {
    return [404, { error: { message: `The model \`${model}\` does not exist.`, type: 'invalid_request_error', code: 'model_not_found' } }];
  }
  const messages = body.messages ?? [];
  const hasToolResult = messages.some((m) => m.role === 'tool');
  const base = { id: `chatcmpl-standin-${Date.now()}`, object: 'chat.completion', created: Math.floor(Date.now() / 1000), model };
  if (body.tools?.length && !hasToolResult) {
    const call = { id: 'call_standin_1', type: 'function', function: { name: 'get_weather', arguments: JSON.stringify({ city: 'Zanzibar' }) } };
    return [200, { ...base, choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [call] }, finish_reason: 'tool_calls' }], usage: usage(42, 17) }];
  }
  const text = hasToolResult ? 'It is 29 °C and sunny in Zanzibar.' : `Stand-in answer to: ${lastUserText(messages).slice(0, 80)}`;
  return [200, { ...base, choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }], usage: usage(24, 12) }];
}

function stream(res, reply) {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const chunk = { id: reply.id, created: reply.created, model: reply.model, object: 'chat.completion.chunk' };
  const send = (event) => res.write(`data: ${JSON.stringify(event)}\n\n`);
  (reply.choices[0].message.content ?? '').split(' ').forEach((word, i) => {
    send({ ...chunk, choices: [{ index: 0, delta: i === 0 ? { role: 'assistant', content: word } : { content: ` ${word}` }, finish_reason: null }] });
  });
  send({ ...chunk, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
  send({ ...chunk, choices: [], usage: reply.usage });
  res.end('data: [DONE]\n\n');
}

function handle(req, res, text) {
  const json = (status, payload) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
  const body = text ? JSON.parse(text) : {};
  if (req.url.endsWith('/embeddings')) {
    const inputs = Array.isArray(body.input) ? body.input : [body.input];
    const vector = [0.1, 0.2, 0.3, 0.4];
    // The SDK asks for base64 (little-endian float32) unless told otherwise.
    const embedding = body.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
    const data = inputs.map((_, index) => ({ object: 'embedding', index, embedding }));
    return json(200, { object: 'list', data, model: body.model, usage: { prompt_tokens: 8, total_tokens: 8 } });
  }
  if (!req.url.endsWith('/chat/completions')) return json(404, { error: { message: `no route ${req.url}`, type: 'not_found' } });
  const [status, reply] = chatReply(body);
  if (status !== 200 || !body.stream) return json(status, reply);
  stream(res, reply);
}

/** Starts the stand-in on a free loopback port: its base URL (`…/v1`) and a close function. */
export function startStandIn() {
  const server = http.createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8').on('data', (d) => (text += d)).on('end', () => handle(req, res, text));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      server.unref();
      resolve({ baseURL: `http://127.0.0.1:${server.address().port}/v1`, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}
