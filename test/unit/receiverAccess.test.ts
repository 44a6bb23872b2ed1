/** The receiver's access policy: Host names, browser origins, CORS preflights and the token. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AccessCode,
  type AccessDecision,
  ReceiverAccessError,
  accessPolicy,
  decideGrpc,
  decideHttp,
  endpointHost,
  isLoopbackAddress,
  isLoopbackHostHeader,
  isLoopbackOrigin,
  normalizeOrigin,
  tokenMatches,
} from '../../src/receiver/access';

const loopback = accessPolicy({ host: '127.0.0.1' });
const post = { method: 'POST', host: '127.0.0.1:4318' };

function refused(d: AccessDecision): Extract<AccessDecision, { kind: 'refuse' }> {
  assert.equal(d.kind, 'refuse', `expected a refusal, got ${JSON.stringify(d)}`);
  return d as Extract<AccessDecision, { kind: 'refuse' }>;
}

describe('Host header (DNS rebinding)', () => {
  it('accepts loopback names with any port', () => {
    for (const host of ['localhost:4318', 'LOCALHOST', 'localhost.:4318', '127.0.0.1:4318', '127.1.2.3:80', '[::1]:4318', '[::1]', 'app.localhost:4318']) {
      assert.ok(isLoopbackHostHeader(host), host);
    }
  });

  it('refuses other names, look-alikes and malformed values', () => {
    for (const host of ['evil.example:4318', 'localhost.evil.example:4318', '127.0.0.1.evil.example', '128.0.0.1:4318', '127.0.0.256', '[::2]:4318', '0.0.0.0:4318', '', 'localhost:abc', 'localhost:4318:1', '[::1']) {
      assert.ok(!isLoopbackHostHeader(host), host);
    }
  });

  it('answers a rebinding request 403 PERMISSION_DENIED, naming the Host', () => {
    const d = refused(decideHttp(loopback, { ...post, host: 'rebind.attacker.example:4318' }));
    assert.equal(d.status, 403);
    assert.equal(d.code, AccessCode.PERMISSION_DENIED);
    assert.match(d.message, /"rebind\.attacker\.example:4318" is not a loopback name/);
    assert.match(d.message, /DNS rebinding/);
  });

  it('lets an SDK request through with a loopback Host and no Origin, adding no CORS headers', () => {
    assert.deepEqual(decideHttp(loopback, post), { kind: 'allow', headers: {} });
    // HTTP/1.0 clients may send no Host; browsers always do.
    assert.equal(decideHttp(loopback, { method: 'POST' }).kind, 'allow');
  });

  it('does not check Host when bound elsewhere (the token guards there)', () => {
    const lan = accessPolicy({ host: '0.0.0.0', token: 's3cret' });
    assert.equal(lan.checkHost, false);
    assert.equal(decideHttp(lan, { method: 'POST', host: 'devbox.lan:4318', authorization: 'Bearer s3cret' }).kind, 'allow');
  });

  it('lets a foreign Host through on loopback when the right token comes with it (port forwards, Docker)', () => {
    const p = accessPolicy({ host: '127.0.0.1', token: 's3cret' });
    assert.equal(decideHttp(p, { method: 'POST', host: 'host.docker.internal:4318', authorization: 'Bearer s3cret' }).kind, 'allow');
    assert.equal(refused(decideHttp(p, { method: 'POST', host: 'host.docker.internal:4318', authorization: 'Bearer wrong' })).status, 403);
  });
});

describe('bind address', () => {
  it('knows loopback bind addresses', () => {
    for (const h of ['127.0.0.1', '127.0.0.2', 'localhost', '::1', '[::1]']) assert.ok(isLoopbackAddress(h), h);
    for (const h of ['0.0.0.0', '::', '192.168.1.5', 'devbox.lan']) assert.ok(!isLoopbackAddress(h), h);
  });

  it('refuses a non-loopback bind without a token, saying what to set', () => {
    for (const token of [undefined, '', '   ']) {
      assert.throws(
        () => accessPolicy({ host: '0.0.0.0', token }),
        (err: Error) => err instanceof ReceiverAccessError && /0\.0\.0\.0/.test(err.message) && /spanlens\.receiver\.token/.test(err.message) && /--token/.test(err.message),
      );
    }
    assert.ok(accessPolicy({ host: '0.0.0.0', token: 'x' }).tokenDigest);
  });

  it('gives clients an address they can connect to', () => {
    assert.equal(endpointHost('0.0.0.0'), '127.0.0.1');
    assert.equal(endpointHost('::'), '127.0.0.1');
    assert.equal(endpointHost('127.0.0.1'), '127.0.0.1');
    assert.equal(endpointHost('::1'), '[::1]');
    assert.equal(endpointHost('192.168.1.5'), '192.168.1.5');
  });
});

describe('browser origins', () => {
  it('knows loopback origins on any port, http or https', () => {
    for (const o of ['http://localhost:5173', 'https://localhost', 'http://127.0.0.1:8080', 'http://[::1]:3000', 'http://app.localhost:3000']) assert.ok(isLoopbackOrigin(o), o);
    for (const o of ['http://evil.example', 'http://localhost.evil.example', 'null', 'file://', 'http://192.168.1.5:3000', 'chrome-extension://abc']) assert.ok(!isLoopbackOrigin(o), o);
  });

  it('normalizes allowed origins as browsers write them, and ignores what is not one', () => {
    assert.equal(normalizeOrigin('HTTP://Dev.Example.TEST:80/'), 'http://dev.example.test');
    assert.equal(normalizeOrigin('https://dev.example.test:8443'), 'https://dev.example.test:8443');
    const p = accessPolicy({ host: '127.0.0.1', allowedOrigins: ['http://Dev.Example.test:3000/', '*', 'null', 'http://x.test/path', 'ftp://x.test'] });
    assert.deepEqual([...p.origins], ['http://dev.example.test:3000']);
    assert.deepEqual(p.ignoredOrigins, ['*', 'null', 'http://x.test/path', 'ftp://x.test']);
  });

  it('refuses a foreign origin 403 and says which setting allows it', () => {
    const d = refused(decideHttp(loopback, { ...post, origin: 'https://evil.example' }));
    assert.equal(d.status, 403);
    assert.equal(d.code, AccessCode.PERMISSION_DENIED);
    assert.match(d.message, /"https:\/\/evil\.example"/);
    assert.match(d.message, /spanlens\.receiver\.allowedOrigins/);
    assert.equal(d.headers['Access-Control-Allow-Origin'], undefined, 'no CORS grant on a refusal');
  });

  it('refuses the opaque "null" origin (sandboxed frames anywhere on the web send it)', () => {
    assert.equal(refused(decideHttp(accessPolicy({ host: '127.0.0.1', allowedOrigins: ['null'] }), { ...post, origin: 'null' })).status, 403);
  });

  it('grants a loopback origin on the POST itself', () => {
    const d = decideHttp(loopback, { ...post, origin: 'http://localhost:5173' });
    assert.equal(d.kind, 'allow');
    assert.equal(d.headers['Access-Control-Allow-Origin'], 'http://localhost:5173');
    assert.equal(d.headers.Vary, 'Origin');
    assert.equal(d.headers['Access-Control-Expose-Headers'], 'Retry-After');
  });

  it('grants a listed origin, compared as browsers write it', () => {
    const p = accessPolicy({ host: '127.0.0.1', allowedOrigins: ['http://Dev.Example.test:3000/'] });
    const d = decideHttp(p, { ...post, origin: 'http://dev.example.test:3000' });
    assert.equal(d.kind, 'allow');
    assert.equal(d.headers['Access-Control-Allow-Origin'], 'http://dev.example.test:3000');
    assert.equal(refused(decideHttp(p, { ...post, origin: 'http://dev.example.test:3001' })).status, 403, 'another port is another origin');
  });
});

describe('CORS preflight', () => {
  const preflight = { method: 'OPTIONS', host: 'localhost:4318', origin: 'http://localhost:5173', requestMethod: 'POST', requestHeaders: 'content-type, authorization, x-custom' };

  it('answers an allowed origin with the methods, the requested headers, a max age and Vary', () => {
    const d = decideHttp(loopback, preflight);
    assert.equal(d.kind, 'preflight');
    assert.equal(d.headers['Access-Control-Allow-Origin'], 'http://localhost:5173');
    assert.equal(d.headers['Access-Control-Allow-Methods'], 'POST');
    assert.equal(d.headers['Access-Control-Allow-Headers'], 'content-type, authorization, x-custom');
    assert.equal(d.headers['Access-Control-Max-Age'], '600');
    assert.equal(d.headers.Vary, 'Origin, Access-Control-Request-Headers');
    assert.equal(d.headers['Access-Control-Allow-Private-Network'], undefined);
  });

  it('needs no token (browsers never send credentials on a preflight), but the POST does', () => {
    const p = accessPolicy({ host: '127.0.0.1', token: 's3cret' });
    assert.equal(decideHttp(p, preflight).kind, 'preflight');
    assert.equal(refused(decideHttp(p, { ...post, origin: 'http://localhost:5173' })).status, 401);
  });

  it('echoes only header names, never injected text', () => {
    const d = decideHttp(loopback, { ...preflight, requestHeaders: 'content-type, bad header, x\r\nSet-Cookie: a=b' });
    assert.equal(d.headers['Access-Control-Allow-Headers'], 'content-type');
  });

  it('allows private network access for an allowed origin that asks', () => {
    assert.equal(decideHttp(loopback, { ...preflight, requestPrivateNetwork: 'true' }).headers['Access-Control-Allow-Private-Network'], 'true');
  });

  it('refuses a preflight from a foreign origin', () => {
    assert.equal(refused(decideHttp(loopback, { ...preflight, origin: 'http://evil.example' })).status, 403);
  });

  it('treats OPTIONS without Access-Control-Request-Method as an ordinary request', () => {
    assert.equal(decideHttp(loopback, { method: 'OPTIONS', host: 'localhost:4318', origin: 'http://localhost:5173' }).kind, 'allow');
  });
});

describe('token', () => {
  const p = accessPolicy({ host: '127.0.0.1', token: '  s3cret-token  ' });

  it('accepts "Bearer <token>" (scheme in any case, the configured token trimmed)', () => {
    assert.ok(tokenMatches(p, 'Bearer s3cret-token'));
    assert.ok(tokenMatches(p, 'bearer   s3cret-token '));
    assert.equal(decideHttp(p, { ...post, authorization: 'Bearer s3cret-token' }).kind, 'allow');
  });

  it('refuses a missing, wrong, prefixed or non-Bearer token', () => {
    for (const auth of ['Bearer s3cret', 'Bearer s3cret-token2', 'Basic s3cret-token', 's3cret-token', 'Bearer ', '']) assert.ok(!tokenMatches(p, auth), auth);
    assert.ok(!tokenMatches(p, undefined));
    assert.ok(!tokenMatches(loopback, 'Bearer anything'), 'no token configured: nothing matches');
  });

  it('answers 401 UNAUTHENTICATED with WWW-Authenticate and how to send it', () => {
    const missing = refused(decideHttp(p, post));
    assert.equal(missing.status, 401);
    assert.equal(missing.code, AccessCode.UNAUTHENTICATED);
    assert.equal(missing.headers['WWW-Authenticate'], 'Bearer realm="spanlens"');
    assert.match(missing.message, /OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20<token>/);
    const wrong = refused(decideHttp(p, { ...post, authorization: 'Bearer nope' }));
    assert.match(wrong.message, /does not carry the receiver token/);
    assert.ok(!wrong.message.includes('s3cret'), 'the token is never echoed');
  });

  it('keeps CORS headers on a 401 so the page can read why', () => {
    const d = refused(decideHttp(p, { ...post, origin: 'http://localhost:5173' }));
    assert.equal(d.headers['Access-Control-Allow-Origin'], 'http://localhost:5173');
  });

  it('guards gRPC with the same token', () => {
    assert.deepEqual(decideGrpc(loopback, undefined), { ok: true });
    assert.deepEqual(decideGrpc(p, 'Bearer s3cret-token'), { ok: true });
    const missing = decideGrpc(p, undefined);
    assert.ok(!missing.ok && /authorization: Bearer <token>/.test(missing.message));
    assert.equal(decideGrpc(p, 'Bearer wrong').ok, false);
  });
});
