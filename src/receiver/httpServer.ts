/**
 * OTLP/HTTP: POST /v1/traces, /v1/logs and /v1/metrics with protobuf or JSON bodies, gzip or
 * deflate or none. The size limit is measured after decompression while streaming, so a gzip
 * bomb is refused without ever being inflated past the limit.
 */
import http from 'node:http';
import zlib from 'node:zlib';
import type { Encoding } from '../core/otlp/decode.js';
import { GrpcCode, type Signal, exportResponse, statusBody } from '../core/otlp/encode.js';
import { ingest } from './ingest.js';
import type { IngestSink, Logger } from './sink.js';

export interface HttpReceiverOptions {
  sink: IngestSink;
  log: Logger;
  maxBodyBytes: number;
  /** Told of each request's outcome, for status counts. */
  onRequest?: (signal: Signal, accepted: number) => void;
}

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

export function createHttpReceiver(options: HttpReceiverOptions): http.Server {
  return http.createServer((req, res) => {
    void handle(req, res, options).catch((err: Error) => {
      options.log.error(`[receiver] HTTP request failed: ${err.stack ?? err.message}`);
      if (!res.headersSent) send(res, 500, 'json', statusBody('json', GrpcCode.INTERNAL, `internal error: ${err.message}`));
    });
  });
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse, options: HttpReceiverOptions): Promise<void> {
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
    body = await readBody(req, options.maxBodyBytes);
  } catch (err) {
    if (err instanceof BodyTooLarge) {
      res.setHeader('Connection', 'close');
      send(res, 413, encoding, statusBody(encoding, GrpcCode.RESOURCE_EXHAUSTED, err.message));
    } else if (err instanceof BadEncoding) {
      send(res, err.message.startsWith('unsupported') ? 415 : 400, encoding, statusBody(encoding, GrpcCode.INVALID_ARGUMENT, err.message));
    } else throw err;
    return;
  }
  const result = await ingest(options.sink, signal, encoding, body);
  if (!result.ok && result.busy) {
    // OTLP exporters retry 503 after Retry-After.
    res.setHeader('Retry-After', '1');
    send(res, 503, encoding, statusBody(encoding, GrpcCode.UNAVAILABLE, result.message));
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

/** Reads the body, inflating as it streams; never holds more than maxBytes of decompressed data. */
function readBody(req: http.IncomingMessage, maxBytes: number): Promise<Buffer> {
  const contentEncoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  const declared = Number(req.headers['content-length']);
  const tooLarge = (): BodyTooLarge => new BodyTooLarge(`request body is larger than ${maxBytes} bytes after decompression (spanlens.receiver.maxBodyBytes)`);
  return new Promise<Buffer>((resolve, reject) => {
    let source: NodeJS.ReadableStream;
    if (contentEncoding === 'identity' || contentEncoding === '') {
      if (declared > maxBytes) return reject(tooLarge());
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
    source.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > maxBytes) {
        if (source !== req) {
          req.unpipe(source as zlib.Gunzip);
          (source as zlib.Gunzip).destroy();
        }
        req.resume(); // drain what the client still sends, keeping none of it
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    source.on('end', () => resolve(Buffer.concat(chunks, total)));
    req.on('error', reject);
  });
}
