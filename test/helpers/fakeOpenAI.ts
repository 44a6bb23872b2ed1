/**
 * A local OpenAI-compatible server with deterministic answers, so that real SDKs and their
 * instrumentations can run offline and tests can assert exact values.
 *
 * Behaviour (every number below is exported in FAKE so tests need not repeat them):
 * - POST /v1/chat/completions
 *   - model `fail-model` → HTTP 429 with an OpenAI-style error body (before any streaming).
 *   - request has `tools` and the last message is not a tool result → one tool call
 *     `get_weather` with arguments `{"city":"Paris"}`, id `call_fake_weather_1`, finish_reason `tool_calls`.
 *   - last message is a tool result → text FAKE.toolAnswer.
 *   - otherwise → text FAKE.answer.
 *   - `stream: true` → SSE chunks (role chunk, content or tool-call deltas, finish chunk, then a usage
 *     chunk with `choices: []` when `stream_options.include_usage` is true, then `[DONE]`).
 *     The first chunk is sent after FAKE.firstChunkDelayMs, the next ones FAKE.chunkDelayMs apart.
 * - POST /v1/embeddings → one FAKE.embeddingDimensions-long vector per input, as floats or,
 *   when `encoding_format` is `base64` (the openai SDK's default), as base64 little-endian float32.
 * - anything else → HTTP 404 with an OpenAI-style error body.
 *
 * Response `model` is the request model plus FAKE.modelSuffix, as OpenAI answers with a dated snapshot.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number; audio_tokens: number };
  completion_tokens_details: {
    reasoning_tokens: number;
    audio_tokens: number;
    accepted_prediction_tokens: number;
    rejected_prediction_tokens: number;
  };
}

function usage(prompt: number, completion: number, cached: number, reasoning: number): FakeUsage {
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cached, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: reasoning,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

export const FAKE = {
  created: 1_700_000_000,
  modelSuffix: '-2024-07-18',
  systemFingerprint: 'fp_fake',
  answer: 'Paris is the capital of France.',
  /** How FAKE.answer is cut into streamed content deltas. */
  answerChunks: ['Paris', ' is', ' the', ' capital', ' of', ' France', '.'],
  toolAnswer: 'It is sunny and 18°C in Paris.',
  toolAnswerChunks: ['It is', ' sunny', ' and', ' 18°C', ' in', ' Paris', '.'],
  toolCall: { id: 'call_fake_weather_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
  /** Usage of a plain text answer (streamed or not). */
  answerUsage: usage(21, 9, 4, 2),
  /** Usage of the answer that asks for the tool call. */
  toolCallUsage: usage(42, 17, 8, 5),
  /** Usage of the answer given after the tool result. */
  toolAnswerUsage: usage(63, 11, 16, 0),
  embeddingDimensions: 4,
  /** Embeddings usage per input string. */
  embeddingTokensPerInput: 5,
  firstChunkDelayMs: 60,
  chunkDelayMs: 5,
  failModel: 'fail-model',
  failStatus: 429,
  failError: {
    message: 'Rate limit reached for fail-model in organization org-fake on requests per min (RPM): Limit 3, Used 3, Requested 1.',
    type: 'requests',
    param: null,
    code: 'rate_limit_exceeded',
  },
} as const;

/** Vector i of an embeddings answer, the same for every run. */
export function fakeEmbedding(index: number): number[] {
  return Array.from({ length: FAKE.embeddingDimensions }, (_, d) => Math.round((index + 1) * (d + 1) * 0.125 * 1000) / 1000);
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body (undefined when the body was not JSON). */
  body: any;
}

export interface FakeOpenAI {
  /** Base URL ending in /v1, for `new OpenAI({ baseURL })` or `createOpenAI({ baseURL })`. */
  url: string;
  close(): Promise<void>;
  requests: RecordedRequest[];
}

interface ChatMessage {
  role?: string;
}

interface ChatBody {
  model?: string;
  messages?: ChatMessage[];
  tools?: unknown[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
}

type Answer =
  | { kind: 'text'; chunks: readonly string[]; usage: FakeUsage }
  | { kind: 'tool'; usage: FakeUsage };

function pickAnswer(body: ChatBody): Answer {
  const last = body.messages?.at(-1);
  if (last?.role === 'tool') return { kind: 'text', chunks: FAKE.toolAnswerChunks, usage: FAKE.toolAnswerUsage };
  if (body.tools && body.tools.length > 0) return { kind: 'tool', usage: FAKE.toolCallUsage };
  return { kind: 'text', chunks: FAKE.answerChunks, usage: FAKE.answerUsage };
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-request-id': `req_fake_${status}`,
  });
  res.end(text);
}

function errorBody(message: string, type: string, code: string | null): unknown {
  return { error: { message, type, param: null, code } };
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function chatCompletion(id: string, model: string, answer: Answer): unknown {
  const message =
    answer.kind === 'text'
      ? { role: 'assistant', content: answer.chunks.join(''), refusal: null, annotations: [] }
      : {
          role: 'assistant',
          content: null,
          refusal: null,
          annotations: [],
          tool_calls: [
            { id: FAKE.toolCall.id, type: 'function', function: { name: FAKE.toolCall.name, arguments: FAKE.toolCall.arguments } },
          ],
        };
  return {
    id,
    object: 'chat.completion',
    created: FAKE.created,
    model: model + FAKE.modelSuffix,
    choices: [{ index: 0, message, logprobs: null, finish_reason: answer.kind === 'text' ? 'stop' : 'tool_calls' }],
    usage: answer.usage,
    service_tier: 'default',
    system_fingerprint: FAKE.systemFingerprint,
  };
}

async function streamChat(res: ServerResponse, id: string, model: string, answer: Answer, includeUsage: boolean): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-request-id': 'req_fake_200' });
  const base = { id, object: 'chat.completion.chunk', created: FAKE.created, model: model + FAKE.modelSuffix, service_tier: 'default', system_fingerprint: FAKE.systemFingerprint };
  const usageField = includeUsage ? { usage: null } : {};
  const deltas: unknown[] = [];
  if (answer.kind === 'text') {
    deltas.push({ role: 'assistant', content: '', refusal: null });
    for (const c of answer.chunks) deltas.push({ content: c });
  } else {
    const args = FAKE.toolCall.arguments;
    deltas.push({
      role: 'assistant',
      content: null,
      tool_calls: [{ index: 0, id: FAKE.toolCall.id, type: 'function', function: { name: FAKE.toolCall.name, arguments: '' } }],
      refusal: null,
    });
    // Arguments arrive in pieces, as OpenAI sends them.
    for (const piece of [args.slice(0, 9), args.slice(9)]) deltas.push({ tool_calls: [{ index: 0, function: { arguments: piece } }] });
  }
  const write = (chunk: unknown) => res.write(`data: ${JSON.stringify(chunk)}\n\n`);
  await delay(FAKE.firstChunkDelayMs);
  for (const delta of deltas) {
    write({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: null }], ...usageField });
    await delay(FAKE.chunkDelayMs);
  }
  write({ ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: answer.kind === 'text' ? 'stop' : 'tool_calls' }], ...usageField });
  if (includeUsage) write({ ...base, choices: [], usage: answer.usage });
  res.end('data: [DONE]\n\n');
}

function embeddings(body: { model?: string; input?: unknown; encoding_format?: string }): unknown {
  const inputs = Array.isArray(body.input) ? body.input : [body.input];
  const data = inputs.map((_, i) => {
    const vector = fakeEmbedding(i);
    const embedding = body.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
    return { object: 'embedding', index: i, embedding };
  });
  const tokens = inputs.length * FAKE.embeddingTokensPerInput;
  return { object: 'list', data, model: body.model, usage: { prompt_tokens: tokens, total_tokens: tokens } };
}

export async function startFakeOpenAI(): Promise<FakeOpenAI> {
  const requests: RecordedRequest[] = [];
  let counter = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        body = undefined;
      }
      const path = (req.url ?? '').split('?')[0]!;
      requests.push({ method: req.method ?? '', path, headers: req.headers, body });
      void handle(req.method ?? '', path, body, res).catch((err: unknown) => {
        if (!res.headersSent) sendJson(res, 500, errorBody(String(err), 'server_error', null));
        else res.destroy();
      });
    });
  });

  async function handle(method: string, path: string, body: unknown, res: ServerResponse): Promise<void> {
    const b = (body ?? {}) as ChatBody & { input?: unknown; encoding_format?: string };
    if (method === 'POST' && (path === '/v1/chat/completions' || path === '/v1/embeddings')) {
      if (b.model === FAKE.failModel) return sendJson(res, FAKE.failStatus, { error: FAKE.failError });
      if (path === '/v1/embeddings') return sendJson(res, 200, embeddings(b));
      const id = `chatcmpl-fake-${++counter}`;
      const model = b.model ?? 'unknown';
      const answer = pickAnswer(b);
      if (b.stream) return streamChat(res, id, model, answer, b.stream_options?.include_usage === true);
      return sendJson(res, 200, chatCompletion(id, model, answer));
    }
    sendJson(res, 404, errorBody(`Unknown request URL: ${method} ${path}.`, 'invalid_request_error', 'unknown_url'));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
