/**
 * OTLP/HTTP: POST /v1/traces, /v1/logs and /v1/metrics with protobuf or JSON bodies, gzip or
 * deflate or none. The size limit is measured after decompression while streaming, so a gzip
 * bomb is refused without ever being inflated past the limit. Who may send is decided first
 * (access.ts), before a body is read. Overload is answered 503 with Retry-After, which OTLP
 * exporters retry: when the store has too many batches queued, and when the bodies of requests
 * in flight together pass the budget shared with gRPC (inFlight.ts), so many large requests at
 * once cannot exhaust memory.
 */
import http from 'node:http';
import zlib from 'node:zlib';
import type { Encoding } from '../core/otlp/decode.js';
import { GrpcCode, type Signal, exportResponse, statusBody } from '../core/otlp/encode.js';
import { type AccessPolicy, decideHttp } from './access.js';
import { type BudgetShare, DEFAULT_MAX_IN_FLIGHT_BYTES, InFlightBudget } from './inFlight.js';
import { ingest } from './ingest.js';
import type { IngestSink, Logger } from './sink.js';

export interface HttpReceiverOptions {
  sink: IngestSink;
  log: Logger;
  maxBodyBytes: number;
  access: AccessPolicy;
  /** Told of each request's outcome, for status counts. */
  onRequest?: (signal: Signal, accepted: number) => void;
  /**
   * Request-body bytes held at once (read, decoded or waiting for the store), shared with gRPC;
   * past it new requests are answered 503 with Retry-After. Default: a budget of its own, the
   * larger of maxBodyBytes and DEFAULT_MAX_IN_FLIGHT_BYTES.
   */
  budget?: InFlightBudget;
}

// Where it was defined before the budget was shared; the soak test imports it from here.
export { DEFAULT_MAX_IN_FLIGHT_BYTES };

/** Seconds an exporter told the receiver is busy waits before retrying (OTLP exporters honour it). */
const RETRY_AFTER_SECONDS = '1';

const PATHS: Record<string, Signal> = {
  '/v1/traces': 'traces',
  '/v1/logs': 'logs',
  '/v1/metrics': 'metrics',
  // Langfuse SDKs export to their server's OTLP path; accepting it lets them point at Spanlens as they are.
  '/api/public/otel/v1/traces': 'traces',
};
const CONTENT_TYPES: Record<string, Encoding> = {
  'application/x-protobuf': 'protobuf',
  'application/protobuf': 'protobuf',
  'application/json': 'json',
};
const MIME: Record<Encoding, string> = { protobuf: 'application/x-protobuf', json: 'application/json' };

class BodyTooLarge extends Error {}
class BadEncoding extends Error {}
class ReceiverBusy extends Error {}

/** A request's part of the in-flight budget, given back when its response closes (sent or aborted). */
function shareFor(budget: InFlightBudget, res: http.ServerResponse): BudgetShare {
  const share = budget.share();
  res.once('close', () => share.release());
  return share;
}

/** Refusals already logged, so a client retrying in a loop does not flood the log. */
const MAX_LOGGED_REFUSALS = 100;

export function createHttpReceiver(options: HttpReceiverOptions): http.Server {
  const logged = new Set<string>();
  const budget = options.budget ?? new InFlightBudget(Math.max(options.maxBodyBytes, DEFAULT_MAX_IN_FLIGHT_BYTES));
  return http.createServer((req, res) => {
    if (!admitted(req, res, options, logged)) return;
    void handle(req, res, options, budget).catch((err: Error) => {
      options.log.error(`[receiver] HTTP request failed: ${err.stack ?? err.message}`);
      if (!res.headersSent) send(res, 500, 'json', statusBody('json', GrpcCode.INTERNAL, `internal error: ${err.message}`));
    });
  });
}

/** Applies the access policy: false when the request is answered already (refused, or a preflight). */
function admitted(req: http.IncomingMessage, res: http.ServerResponse, options: HttpReceiverOptions, logged: Set<string>): boolean {
  const h = req.headers;
  const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v.join(', ') : v);
  const decision = decideHttp(options.access, {
    method: req.method ?? 'GET',
    host: h.host,
    origin: one(h.origin),
    authorization: h.authorization,
    requestMethod: one(h['access-control-request-method']),
    requestHeaders: one(h['access-control-request-headers']),
    requestPrivateNetwork: one(h['access-control-request-private-network']),
  });
  for (const [name, value] of Object.entries(decision.headers)) res.setHeader(name, value);
  if (decision.kind === 'allow') return true;
  req.resume(); // the body, if any, is not wanted
  if (decision.kind === 'preflight') {
    res.writeHead(204, { 'Content-Length': 0 });
    res.end();
    return false;
  }
  if (!logged.has(decision.message) && logged.size < MAX_LOGGED_REFUSALS) {
    logged.add(decision.message);
    options.log.warn(`[receiver] refused a request (${decision.status}): ${decision.message}`);
  }
  // The Status body in the request's own encoding, as OTLP exporters expect for errors.
  const encoding = CONTENT_TYPES[(h['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()] ?? 'json';
  send(res, decision.status, encoding, statusBody(encoding, decision.code, decision.message));
  return false;
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse, options: HttpReceiverOptions, budget: InFlightBudget): Promise<void> {
  const path = (req.url ?? '/').split('?')[0]!.replace(/(.)\/+$/, '$1');
  const signal = PATHS[path];
  if (!signal) {
    send(res, 404, 'json', statusBody('json', GrpcCode.UNIMPLEMENTED, `no OTLP endpoint at ${path}; use POST /v1/traces, /v1/logs or /v1/metrics`));
    return;
  }
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST');
    send(res, 405, 'json', statusBody('json', GrpcCode.UNIMPLEMENTED, `${req.method} is not allowed on ${path}; OTLP exports use POST`));
    return;
  }
  const mediaType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const encoding = CONTENT_TYPES[mediaType];
  if (!encoding) {
    send(res, 415, 'json', statusBody('json', GrpcCode.INVALID_ARGUMENT, `unsupported content type "${mediaType}"; send application/x-protobuf or application/json`));
    return;
  }
  let body: Buffer;
  try {
    body = await readBody(req, options.maxBodyBytes, budget, shareFor(budget, res));
  } catch (err) {
    if (err instanceof BodyTooLarge) {
      res.setHeader('Connection', 'close');
      send(res, 413, encoding, statusBody(encoding, GrpcCode.RESOURCE_EXHAUSTED, err.message));
    } else if (err instanceof BadEncoding) {
      send(res, err.message.startsWith('unsupported') ? 415 : 400, encoding, statusBody(encoding, GrpcCode.INVALID_ARGUMENT, err.message));
    } else if (err instanceof ReceiverBusy) sendBusy(res, encoding, err.message);
    else throw err;
    return;
  }
  const result = await ingest(options.sink, signal, encoding, body);
  if (!result.ok && result.busy) {
    sendBusy(res, encoding, result.message);
    return;
  }
  if (!result.ok) {
    options.log.warn(`[receiver] rejected a ${signal} request: ${result.message}`);
    send(res, 400, encoding, statusBody(encoding, GrpcCode.INVALID_ARGUMENT, result.message));
    return;
  }
  if (result.rejected) options.log.warn(`[receiver] partial success on ${signal}: ${result.message}`);
  options.onRequest?.(signal, result.accepted);
  send(res, 200, encoding, exportResponse(signal, encoding, result.rejected, result.message));
}

function send(res: http.ServerResponse, status: number, encoding: Encoding, body: Uint8Array): void {
  res.writeHead(status, { 'Content-Type': MIME[encoding], 'Content-Length': body.length });
  res.end(body);
}

/** Overload: 503 with Retry-After, which OTLP/HTTP exporters honour and then send the same batch again. */
function sendBusy(res: http.ServerResponse, encoding: Encoding, message: string): void {
  res.setHeader('Retry-After', RETRY_AFTER_SECONDS);
  send(res, 503, encoding, statusBody(encoding, GrpcCode.UNAVAILABLE, message));
}

/**
 * Reads the body, inflating as it streams; never holds more than maxBytes of decompressed data,
 * nor more than the share of the in-flight budget it could take (the declared length up front).
 */
function readBody(req: http.IncomingMessage, maxBytes: number, budget: InFlightBudget, share: BudgetShare): Promise<Buffer> {
  const contentEncoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  const declared = Number(req.headers['content-length']);
  const tooLarge = (): BodyTooLarge => new BodyTooLarge(`request body is larger than ${maxBytes} bytes after decompression (spanlens.receiver.maxBodyBytes)`);
  const busy = (): ReceiverBusy => new ReceiverBusy(`Spanlens is busy: ${budget.describe()}; retry shortly`);
  return new Promise<Buffer>((resolve, reject) => {
    let source: NodeJS.ReadableStream;
    let taken = 0;
    if (contentEncoding === 'identity' || contentEncoding === '') {
      if (declared > maxBytes) return reject(tooLarge());
      if (declared > 0) {
        if (!share.take(declared)) {
          req.resume(); // drain, keeping none of it, so the connection serves the retry
          return reject(busy());
        }
        taken = declared;
      }
      source = req;
    } else if (contentEncoding === 'gzip' || contentEncoding === 'deflate') {
      const inflate = contentEncoding === 'gzip' ? zlib.createGunzip() : zlib.createInflate();
      req.pipe(inflate);
      inflate.on('error', (err) => {
        req.unpipe(inflate);
        req.resume();
        reject(new BadEncoding(`the ${contentEncoding} stream is corrupt: ${err.message}`));
      });
      source = inflate;
    } else {
      req.resume();
      return reject(new BadEncoding(`unsupported content encoding "${contentEncoding}"; send gzip, deflate or none`));
    }
    const chunks: Buffer[] = [];
    let total = 0;
    let refused = false;
    const refuse = (err: Error): void => {
      refused = true;
      chunks.length = 0;
      if (source !== req) {
        req.unpipe(source as zlib.Gunzip);
        (source as zlib.Gunzip).destroy();
      }
      req.resume(); // drain what the client still sends, keeping none of it
      reject(err);
    };
    source.on('data', (chunk: Buffer) => {
      if (refused) return;
      total += chunk.length;
      if (total > maxBytes) return refuse(tooLarge());
      if (total > taken) {
        if (!share.take(total - taken)) return refuse(busy());
        taken = total;
      }
      chunks.push(chunk);
    });
    source.on('end', () => resolve(Buffer.concat(chunks, total)));
    req.on('error', reject);
  });
}
