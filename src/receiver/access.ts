/**
 * Who may talk to the receiver, decided from a request's headers alone (no sockets), so the
 * HTTP and gRPC servers share one policy and it is unit-tested on its own:
 * - Bound to loopback (the default), a request must name a loopback host in `Host`: a web page
 *   that rebinds its own DNS name to 127.0.0.1 still sends that name, and is refused.
 * - A browser request (it has `Origin`) must come from a loopback origin or one listed in
 *   `allowedOrigins`; allowed origins get CORS answers, so web SDK exporters work.
 * - With a token set, every request but a CORS preflight needs `Authorization: Bearer <token>`.
 *   Binding to a non-loopback address needs a token: the Host check cannot hold there (clients
 *   name the machine as they reach it), so the token guards instead.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** A receiver that must not start as configured; the message says what to set. */
export class ReceiverAccessError extends Error {}

/** gRPC status codes for refusals (OTLP/HTTP answers carry them in the Status body too). */
export const AccessCode = { PERMISSION_DENIED: 7, UNAUTHENTICATED: 16 } as const;

export interface AccessOptions {
  /** The address the receiver binds to. */
  host: string;
  /** Shared secret; empty or absent: none. */
  token?: string;
  /** Origins beyond loopback ones that browser apps may export from, e.g. `http://192.168.1.5:3000`. */
  allowedOrigins?: readonly string[];
}

export interface AccessPolicy {
  /** Bound to loopback: the Host header must name loopback. */
  readonly checkHost: boolean;
  /** Allowed non-loopback origins, normalized as browsers write them. */
  readonly origins: ReadonlySet<string>;
  /** SHA-256 of the token: digests have one length, so comparing them takes constant time. */
  readonly tokenDigest: Buffer | undefined;
  /** `allowedOrigins` entries that are not origins (ignored; the receiver logs them). */
  readonly ignoredOrigins: readonly string[];
}

/** The headers of an HTTP request that matter here (Node's lower-cased names). */
export interface AccessRequest {
  method: string;
  host?: string;
  origin?: string;
  authorization?: string;
  /** `Access-Control-Request-Method`: present on CORS preflights only. */
  requestMethod?: string;
  /** `Access-Control-Request-Headers`. */
  requestHeaders?: string;
  /** `Access-Control-Request-Private-Network: true` (Chrome, page on a less private address). */
  requestPrivateNetwork?: string;
}

export type AccessDecision =
  /** Go on; add `headers` (CORS) to whatever the request is answered with. */
  | { kind: 'allow'; headers: Record<string, string> }
  /** A CORS preflight to answer 204 with `headers`. */
  | { kind: 'preflight'; headers: Record<string, string> }
  | { kind: 'refuse'; status: 401 | 403; code: number; message: string; headers: Record<string, string> };

/** How long a browser may cache a preflight answer: short, so changed settings apply soon. */
const PREFLIGHT_MAX_AGE = '600';
const TOKEN_CHARS = /^[!#$%&'*+.^_`|~0-9a-z-]+$/i;

export function accessPolicy(options: AccessOptions): AccessPolicy {
  const token = options.token?.trim() ?? '';
  const checkHost = isLoopbackAddress(options.host);
  if (!checkHost && !token) {
    throw new ReceiverAccessError(
      `binding the receiver to ${options.host} lets other machines reach it, so it needs a token: set spanlens.receiver.token (for spanlens serve: --token or SPANLENS_TOKEN) to a long random secret, or keep the host at 127.0.0.1`,
    );
  }
  const origins = new Set<string>();
  const ignoredOrigins: string[] = [];
  for (const entry of options.allowedOrigins ?? []) {
    const origin = normalizeOrigin(entry);
    if (origin) origins.add(origin);
    else ignoredOrigins.push(entry);
  }
  return { checkHost, origins, tokenDigest: token ? digest(token) : undefined, ignoredOrigins };
}

export function decideHttp(policy: AccessPolicy, req: AccessRequest): AccessDecision {
  const tokenOk = policy.tokenDigest !== undefined && tokenMatches(policy, req.authorization);
  // A correct token proves the caller is no rebinding page, so port forwards and Docker's
  // host.docker.internal work once a token is set. No Host at all is an HTTP/1.0 client, never
  // a browser.
  if (policy.checkHost && req.host !== undefined && !isLoopbackHostHeader(req.host) && !tokenOk) {
    return refuse(
      403,
      AccessCode.PERMISSION_DENIED,
      `the Host header "${req.host}" is not a loopback name: this receiver listens on loopback and answers only requests addressed to localhost, 127.0.0.1 or [::1] (DNS rebinding protection)`,
    );
  }
  const cors: Record<string, string> = {};
  if (req.origin !== undefined) {
    if (!originAllowed(policy, req.origin)) {
      return refuse(403, AccessCode.PERMISSION_DENIED, `browser requests from the origin "${req.origin}" are not allowed: add it to spanlens.receiver.allowedOrigins (for spanlens serve: --allowed-origin)`, {
        Vary: 'Origin',
      });
    }
    cors['Access-Control-Allow-Origin'] = req.origin;
    cors.Vary = 'Origin';
    if (req.method === 'OPTIONS' && req.requestMethod !== undefined) return { kind: 'preflight', headers: preflightHeaders(cors, req) };
    // Lets the web exporter honour Retry-After on 503.
    cors['Access-Control-Expose-Headers'] = 'Retry-After';
  }
  if (policy.tokenDigest && !tokenOk) {
    const message = req.authorization
      ? 'the Authorization header does not carry the receiver token: send "Authorization: Bearer <token>" with the token set in spanlens.receiver.token (or spanlens serve --token)'
      : 'this receiver needs a token: send "Authorization: Bearer <token>", e.g. OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20<token>, with the token set in spanlens.receiver.token (or spanlens serve --token)';
    return refuse(401, AccessCode.UNAUTHENTICATED, message, { ...cors, 'WWW-Authenticate': 'Bearer realm="spanlens"' });
  }
  return { kind: 'allow', headers: cors };
}

/** gRPC carries no Host or Origin a browser controls (browsers cannot speak it): the token alone. */
export function decideGrpc(policy: AccessPolicy, authorization: string | undefined): { ok: true } | { ok: false; message: string } {
  if (!policy.tokenDigest || tokenMatches(policy, authorization)) return { ok: true };
  return {
    ok: false,
    message: authorization
      ? 'the authorization metadata does not carry the receiver token: send "authorization: Bearer <token>"'
      : 'this receiver needs a token: send the metadata "authorization: Bearer <token>", e.g. OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20<token>',
  };
}

function preflightHeaders(cors: Record<string, string>, req: AccessRequest): Record<string, string> {
  const headers: Record<string, string> = { ...cors, 'Access-Control-Allow-Methods': 'POST', 'Access-Control-Max-Age': PREFLIGHT_MAX_AGE };
  // Echoing what the page asks for (content-type, authorization, its own headers) is safe: the
  // origin is already trusted, and the token still guards the request itself.
  const requested = (req.requestHeaders ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter((h) => TOKEN_CHARS.test(h));
  if (requested.length) {
    headers['Access-Control-Allow-Headers'] = requested.join(', ');
    headers.Vary = 'Origin, Access-Control-Request-Headers';
  }
  if (req.requestPrivateNetwork?.trim().toLowerCase() === 'true') headers['Access-Control-Allow-Private-Network'] = 'true';
  return headers;
}

function refuse(status: 401 | 403, code: number, message: string, headers: Record<string, string> = {}): AccessDecision {
  return { kind: 'refuse', status, code, message, headers };
}

export function tokenMatches(policy: AccessPolicy, authorization: string | undefined): boolean {
  if (!policy.tokenDigest || authorization === undefined) return false;
  const m = /^\s*bearer\s+(.+?)\s*$/i.exec(authorization);
  return m !== null && timingSafeEqual(digest(m[1]!), policy.tokenDigest);
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** 127.0.0.0/8, written as a dotted quad. */
function isLoopbackIPv4(name: string): boolean {
  const parts = name.split('.');
  return parts.length === 4 && parts[0] === '127' && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

/** A host name a browser always resolves to loopback itself (`localhost`, `*.localhost`), or a loopback IP. */
function isLoopbackName(name: string): boolean {
  const n = name.toLowerCase().replace(/\.$/, '');
  return n === 'localhost' || n.endsWith('.localhost') || isLoopbackIPv4(n) || n === '[::1]';
}

/** Whether a bind address keeps the receiver to this machine. */
export function isLoopbackAddress(host: string): boolean {
  const h = host.trim().toLowerCase();
  return h === '::1' || isLoopbackName(h);
}

/**
 * `Host: name[:port]` naming loopback. Any port is accepted: the name is what a rebinding page
 * cannot fake, while port forwards (VS Code remote, SSH -L) legitimately change the port.
 */
export function isLoopbackHostHeader(host: string): boolean {
  const m = /^(\[[^\]]*\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(host.trim());
  return m !== null && isLoopbackName(m[1]!);
}

/** `scheme://host[:port]` as browsers write it, or undefined when `value` is not an http(s) origin. */
export function normalizeOrigin(value: string): string | undefined {
  const trimmed = value.trim().replace(/\/$/, '');
  if (!/^https?:\/\/[^/?#@]+$/i.test(trimmed)) return undefined;
  try {
    return new URL(trimmed).origin;
  } catch {
    return undefined;
  }
}

export function isLoopbackOrigin(origin: string): boolean {
  const normalized = normalizeOrigin(origin);
  return normalized !== undefined && isLoopbackName(new URL(normalized).hostname);
}

export function originAllowed(policy: AccessPolicy, origin: string): boolean {
  if (isLoopbackOrigin(origin)) return true;
  const normalized = normalizeOrigin(origin);
  return normalized !== undefined && policy.origins.has(normalized);
}

/** The host a client on this machine uses to reach a receiver bound to `bindHost`, for URLs. */
export function endpointHost(bindHost: string): string {
  const h = bindHost.trim();
  if (h === '' || h === '0.0.0.0' || h === '::' || h === '[::]') return '127.0.0.1';
  return h.includes(':') && !h.startsWith('[') ? `[${h}]` : h;
}
