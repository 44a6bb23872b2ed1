/**
 * Realistic traces of an LLM application, made with the real OpenTelemetry SDK: a chat API
 * (HTTP server → retrieval → embeddings → vector query → chat completion), an agent loop
 * (chat → tool → chat, tools calling HTTP and SQL) and a document indexer (consumer with links).
 * Attribute names follow the GenAI, HTTP and DB semantic conventions; prompt and completion
 * text is a few hundred bytes, as real prompts are. A seeded generator keeps every run's
 * payloads identical, so figures from different runs compare.
 */
import { type Context, type Link, type Span, type Tracer, SpanKind, SpanStatusCode, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import type { IdGenerator } from '@opentelemetry/sdk-trace-base';

export type Attrs = Record<string, string | number | boolean | string[] | number[]>;

/** mulberry32: small, fast and good enough for test data. */
export class Rng {
  constructor(private state: number) {}
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  hex(chars: number): string {
    let s = '';
    while (s.length < chars) s += Math.floor(this.next() * 0x100000000).toString(16).padStart(8, '0');
    return s.slice(0, chars);
  }
}

/** Ids from the seeded generator; never all zeros. */
export class SeededIds implements IdGenerator {
  constructor(private readonly rng: Rng) {}
  generateTraceId(): string {
    return '1' + this.rng.hex(31);
  }
  generateSpanId(): string {
    return '1' + this.rng.hex(15);
  }
}

const WORDS = (
  'the a of to and in for on with that this is are be as by from at or an it not can will your our which ' +
  'customer order invoice refund policy shipping account billing subscription plan upgrade cancel password ' +
  'reset email address delivery warehouse tracking number product price discount coupon region europe ' +
  'summary context document section paragraph answer question reasoning step tool result search query ' +
  'database table row column index latency error retry timeout request response model token budget ' +
  'please explain why how when where list compare recommend assistant user system function call json ' +
  'report quarterly revenue growth forecast risk compliance contract clause termination notice period'
).split(' ');

export function prose(rng: Rng, bytes: number): string {
  const parts: string[] = [];
  let n = 0;
  while (n < bytes) {
    let w = rng.pick(WORDS);
    if (parts.length === 0 || parts[parts.length - 1]!.endsWith('.')) w = w[0]!.toUpperCase() + w.slice(1);
    if (rng.chance(0.08)) w += '.';
    else if (rng.chance(0.05)) w += ',';
    parts.push(w);
    n += w.length + 1;
  }
  return parts.join(' ');
}

/** A span budget: a batch holds exactly 512 spans, so the last trace of a batch is cut short. */
export class Budget {
  constructor(public left: number) {}
}

export interface Ctx {
  tracers: Tracers;
  rng: Rng;
  budget: Budget;
}

export interface Tracers {
  http: Tracer;
  pg: Tracer;
  genai: Tracer;
  app: Tracer;
}

/** Starts a child of `parent` at `start` (ms), runs `body` with the new span's context and ends it at `end`. */
function spanAt(
  c: Ctx,
  tracer: Tracer,
  parent: Context,
  name: string,
  kind: SpanKind,
  attributes: Attrs,
  start: number,
  end: number,
  body?: (ctx: Context, span: Span) => void,
  links?: Link[],
): Span | undefined {
  if (c.budget.left <= 0) return undefined;
  c.budget.left--;
  const span = tracer.startSpan(name, { kind, attributes, startTime: start, links }, parent);
  body?.(trace.setSpan(parent, span), span);
  span.end(end);
  return span;
}

function httpClient(c: Ctx, parent: Context, method: string, url: string, start: number, end: number, status = 200): void {
  const u = new URL(url);
  spanAt(c, c.tracers.http, parent, method, SpanKind.CLIENT, {
    'http.request.method': method,
    'url.full': url,
    'server.address': u.hostname,
    'server.port': 443,
    'network.protocol.version': '1.1',
    'network.peer.address': `104.18.${c.rng.int(0, 255)}.${c.rng.int(0, 255)}`,
    'network.peer.port': 443,
    'http.response.status_code': status,
    'http.request.header.content-type': ['application/json'],
    'http.response.header.content-length': [String(c.rng.int(200, 9000))],
    'user_agent.original': 'OpenAI/JS 4.77.0',
  }, start, end, (_ctx, span) => {
    if (status >= 400) span.setStatus({ code: SpanStatusCode.ERROR });
  });
}

/** Where app code started a span: Spanlens maps these back to the editor. */
function code(fn: string, file: string, line: number): Attrs {
  return { 'code.function.name': fn, 'code.file.path': `/srv/app/src/${file}`, 'code.line.number': line, 'thread.id': 1 };
}

const TABLES = ['sessions', 'documents', 'chunks', 'users', 'orders', 'embeddings_cache'];

function dbQuery(c: Ctx, parent: Context, op: string, start: number, end: number): void {
  const table = c.rng.pick(TABLES);
  const sql =
    op === 'SELECT'
      ? `SELECT id, content, metadata, 1 - (embedding <=> $1) AS score FROM ${table} WHERE tenant_id = $2 AND deleted_at IS NULL ORDER BY embedding <=> $1 LIMIT $3`
      : `INSERT INTO ${table} (id, tenant_id, content, metadata, embedding) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET content = excluded.content`;
  spanAt(c, c.tracers.pg, parent, `${op} ${table}`, SpanKind.CLIENT, {
    'db.system.name': 'postgresql',
    'db.namespace': 'app',
    'db.operation.name': op,
    'db.collection.name': table,
    'db.query.text': sql,
    'db.response.returned_rows': c.rng.int(0, 40),
    'server.address': 'db.internal',
    'server.port': 5432,
    'network.peer.address': '10.0.3.17',
    'network.transport': 'tcp',
    'db.client.connection.pool.name': 'main',
  }, start, end);
}

const CHAT_MODELS: [string, string, string][] = [
  ['openai', 'gpt-4o-2024-08-06', 'https://api.openai.com/v1/chat/completions'],
  ['openai', 'gpt-4o-mini-2024-07-18', 'https://api.openai.com/v1/chat/completions'],
  ['anthropic', 'claude-sonnet-4-20250514', 'https://api.anthropic.com/v1/messages'],
];

function messages(c: Ctx, userBytes: number): string {
  return JSON.stringify([
    { role: 'system', parts: [{ type: 'text', content: prose(c.rng, c.rng.int(120, 260)) }] },
    { role: 'user', parts: [{ type: 'text', content: prose(c.rng, userBytes) }] },
  ]);
}

/** One chat completion with its HTTP call underneath; sometimes rate limited, sometimes a tool call. */
function chat(c: Ctx, parent: Context, start: number, toolCall?: string): number {
  const [provider, model, url] = c.rng.pick(CHAT_MODELS);
  const end = start + c.rng.int(400, 4000);
  const failed = c.rng.chance(0.03);
  const inTokens = c.rng.int(200, 6000);
  const outTokens = c.rng.int(20, 900);
  const output = toolCall
    ? [{ role: 'assistant', parts: [{ type: 'tool_call', id: `call_${c.rng.hex(24)}`, name: toolCall, arguments: { query: prose(c.rng, 40) } }], finish_reason: 'tool_call' }]
    : [{ role: 'assistant', parts: [{ type: 'text', content: prose(c.rng, c.rng.int(150, 700)) }], finish_reason: 'stop' }];
  const attrs: Attrs = {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': provider,
    'gen_ai.request.model': model.replace(/-\d{4}-\d\d-\d\d$|-\d{8}$/, ''),
    'gen_ai.request.temperature': c.rng.pick([0, 0.2, 0.7, 1]),
    'gen_ai.request.max_tokens': c.rng.pick([512, 1024, 4096]),
    'gen_ai.request.top_p': 1,
    'server.address': new URL(url).hostname,
    'server.port': 443,
    'gen_ai.input.messages': messages(c, c.rng.int(80, 600)),
  };
  if (!failed) {
    Object.assign(attrs, {
      'gen_ai.response.model': model,
      'gen_ai.response.id': `chatcmpl-${c.rng.hex(29)}`,
      'gen_ai.response.finish_reasons': [toolCall ? 'tool_calls' : 'stop'],
      'gen_ai.usage.input_tokens': inTokens,
      'gen_ai.usage.output_tokens': outTokens,
      'gen_ai.output.messages': JSON.stringify(output),
    });
  }
  spanAt(c, c.tracers.genai, parent, `chat ${attrs['gen_ai.request.model']}`, SpanKind.CLIENT, attrs, start, end, (ctx, span) => {
    httpClient(c, ctx, 'POST', url, start + 2, end - 3, failed ? 429 : 200);
    if (failed) {
      span.recordException({ name: 'RateLimitError', message: '429 Rate limit reached for requests', stack: `RateLimitError: 429 Rate limit reached\n    at APIError.generate (node_modules/openai/error.js:66:20)\n    at OpenAI.makeStatusError (node_modules/openai/core.js:302:33)\n    at OpenAI.makeRequest (node_modules/openai/core.js:346:30)\n    at async chat (src/llm.ts:41:18)` }, end - 1);
      span.setAttribute('error.type', 'RateLimitError');
      span.setStatus({ code: SpanStatusCode.ERROR, message: '429 Rate limit reached for requests' });
    } else if (c.rng.chance(0.3)) {
      span.addEvent('gen_ai.first_token', { 'gen_ai.server.time_to_first_token': (end - start) / 4000 }, start + (end - start) / 4);
    }
  });
  return end;
}

function embeddings(c: Ctx, parent: Context, start: number): number {
  const end = start + c.rng.int(60, 400);
  spanAt(c, c.tracers.genai, parent, 'embeddings text-embedding-3-small', SpanKind.CLIENT, {
    'gen_ai.operation.name': 'embeddings',
    'gen_ai.provider.name': 'openai',
    'gen_ai.request.model': 'text-embedding-3-small',
    'gen_ai.response.model': 'text-embedding-3-small',
    'gen_ai.request.encoding_formats': ['float'],
    'gen_ai.embeddings.dimension.count': 1536,
    'gen_ai.usage.input_tokens': c.rng.int(8, 600),
    'server.address': 'api.openai.com',
    'server.port': 443,
  }, start, end, (ctx) => httpClient(c, ctx, 'POST', 'https://api.openai.com/v1/embeddings', start + 1, end - 1));
  return end;
}

const TOOLS = ['web_search', 'run_sql', 'fetch_invoice', 'lookup_order'];

function tool(c: Ctx, parent: Context, name: string, start: number): number {
  const end = start + c.rng.int(20, 1500);
  spanAt(c, c.tracers.app, parent, `execute_tool ${name}`, SpanKind.INTERNAL, {
    'gen_ai.operation.name': 'execute_tool',
    'gen_ai.tool.name': name,
    'gen_ai.tool.type': 'function',
    'gen_ai.tool.call.id': `call_${c.rng.hex(24)}`,
    'gen_ai.tool.description': `Runs ${name.replace('_', ' ')} for the assistant`,
    'gen_ai.tool.call.arguments': JSON.stringify({ query: prose(c.rng, c.rng.int(30, 120)), limit: 5 }),
    'gen_ai.tool.call.result': JSON.stringify({ items: [prose(c.rng, c.rng.int(100, 400))] }),
    ...code(name.replace(/_(\w)/g, (_m, ch: string) => ch.toUpperCase()), `tools/${name}.ts`, 14),
  }, start, end, (ctx) => {
    if (name === 'run_sql' || name === 'lookup_order') dbQuery(c, ctx, 'SELECT', start + 1, end - 1);
    else httpClient(c, ctx, 'GET', `https://search.example.com/v1/search?q=${c.rng.hex(8)}`, start + 1, end - 1);
  });
  return end;
}

/** HTTP server → auth → session lookup → retrieval (embeddings, vector query) → chat completion. */
export function chatRequest(c: Ctx, start: number): Context | undefined {
  let rootCtx: Context | undefined;
  const end = start + 6000;
  spanAt(c, c.tracers.http, ROOT_CONTEXT, 'POST /api/chat', SpanKind.SERVER, {
    'http.request.method': 'POST',
    'http.route': '/api/chat',
    'url.path': '/api/chat',
    'url.scheme': 'https',
    'server.address': 'chat.example.com',
    'server.port': 443,
    'client.address': `203.0.113.${c.rng.int(1, 254)}`,
    'user_agent.original': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15',
    'network.protocol.version': '2',
    'http.response.status_code': 200,
    'app.user.id': `u_${c.rng.hex(10)}`,
    'app.conversation.id': `conv_${c.rng.hex(12)}`,
  }, start, end, (ctx) => {
    rootCtx = ctx;
    spanAt(c, c.tracers.app, ctx, 'middleware - auth', SpanKind.INTERNAL, { 'app.auth.method': 'jwt', 'app.tenant.id': `t_${c.rng.int(1, 40)}`, ...code('authenticate', 'middleware/auth.ts', 27) }, start + 1, start + 4);
    dbQuery(c, ctx, 'SELECT', start + 4, start + 9);
    let t = start + 10;
    spanAt(c, c.tracers.app, ctx, 'retrieve context', SpanKind.INTERNAL, { 'app.retrieval.top_k': 8, 'app.retrieval.index': 'docs-v3', 'app.retrieval.hits': c.rng.int(0, 8), ...code('retrieveContext', 'rag/retrieve.ts', 58) }, t, t + 500, (rctx) => {
      const e = embeddings(c, rctx, t + 1);
      dbQuery(c, rctx, 'SELECT', e + 1, e + c.rng.int(3, 30));
    });
    t += 510;
    chat(c, ctx, t);
  });
  return rootCtx;
}

/** An agent loop: chat decides on a tool, the tool runs, repeat, then a final answer. */
export function agentRun(c: Ctx, start: number): Context | undefined {
  let rootCtx: Context | undefined;
  const steps = c.rng.int(2, 6);
  spanAt(c, c.tracers.app, ROOT_CONTEXT, 'invoke_agent research-assistant', SpanKind.INTERNAL, {
    'gen_ai.operation.name': 'invoke_agent',
    'gen_ai.agent.name': 'research-assistant',
    'gen_ai.agent.id': 'asst_8Hc2kP0',
    'gen_ai.agent.description': 'Answers questions about orders and invoices using tools',
    'gen_ai.conversation.id': `conv_${c.rng.hex(12)}`,
    'gen_ai.provider.name': 'openai',
    'gen_ai.request.model': 'gpt-4o',
    'app.user.id': `u_${c.rng.hex(10)}`,
    ...code('runAgent', 'agent/loop.ts', 112),
  }, start, start + steps * 6000, (ctx) => {
    rootCtx = ctx;
    let t = start + 1;
    for (let i = 0; i < steps; i++) {
      const name = c.rng.pick(TOOLS);
      t = chat(c, ctx, t, name) + 1;
      t = tool(c, ctx, name, t) + 1;
    }
    chat(c, ctx, t);
  });
  return rootCtx;
}

/** A queue consumer that indexes documents; linked to the request that enqueued them. */
export function indexJob(c: Ctx, start: number, linkTo?: Context): Context | undefined {
  let rootCtx: Context | undefined;
  const docs = c.rng.int(2, 5);
  const linked = linkTo && trace.getSpanContext(linkTo);
  spanAt(c, c.tracers.app, ROOT_CONTEXT, 'documents process', SpanKind.CONSUMER, {
    'messaging.system': 'rabbitmq',
    'messaging.operation.type': 'process',
    'messaging.destination.name': 'documents',
    'messaging.message.id': c.rng.hex(16),
    'messaging.batch.message_count': docs,
    'app.tenant.id': `t_${c.rng.int(1, 40)}`,
    ...code('handleDocuments', 'indexer/consumer.ts', 19),
  }, start, start + docs * 800, (ctx) => {
    rootCtx = ctx;
    let t = start + 1;
    for (let i = 0; i < docs; i++) {
      spanAt(c, c.tracers.app, ctx, 'chunk document', SpanKind.INTERNAL, { 'app.document.id': `doc_${c.rng.hex(10)}`, 'app.document.bytes': c.rng.int(2000, 90000), 'app.chunks': c.rng.int(3, 40), ...code('chunkDocument', 'indexer/chunk.ts', 31) }, t, t + 5);
      t = embeddings(c, ctx, t + 6) + 1;
      dbQuery(c, ctx, 'INSERT', t, t + c.rng.int(2, 20));
      t += 25;
    }
  }, linked ? [{ context: linked, attributes: { 'messaging.operation.type': 'publish' } }] : undefined);
  return rootCtx;
}

export type TraceShape = (c: Ctx, start: number, linkTo?: Context) => Context | undefined;
