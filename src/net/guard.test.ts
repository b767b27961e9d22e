/**
 * The guard in the connection path, with real loopback servers and the real
 * HttpClient: refused addresses never get a connection, names are judged on
 * what they resolve to, the dialled address is the checked one (a rebinding
 * resolver cannot slip another in), TLS still checks the certificate against
 * the host name, and an answer past the size limit is cut off while streaming.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { HttpClient } from '../providers/util/http.ts';
import { makeTestPki } from '../providers/util/testing/pki.ts';
import { EgressPolicy } from './egress.ts';
import { EgressGuard, type Resolver } from './guard.ts';
import { devEgress } from './testing/egress.ts';

interface Counted {
  port: number;
  connections: () => number;
  close(): Promise<void>;
}

async function serve(server: http.Server | https.Server, host = '127.0.0.1'): Promise<Counted> {
  let n = 0;
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    n++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => n,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

const hello = (): http.Server => http.createServer((_req, res) => res.end('hello'));
const strict = (scope: 'tenant' | 'cluster' = 'cluster', resolver?: Resolver): EgressGuard => new EgressGuard(new EgressPolicy(), scope, resolver ? { resolver } : {});

void test('a loopback IP literal is refused before any connection; the same server answers once loopback is allowed', async () => {
  const s = await serve(hello());
  const refused = new HttpClient(`http://127.0.0.1:${s.port}`, { egress: strict() });
  await assert.rejects(refused.request({ method: 'GET', path: '/' }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'EgressDenied');
    assert.match(err.message, /^egress to 127\.0\.0\.1 refused: 127\.0\.0\.1 is loopback; to allow it, add it to --egress-allow/);
    return true;
  });
  // The positive sentinel: the allowed client reaches it, and it counts exactly that connection.
  const ok = new HttpClient(`http://127.0.0.1:${s.port}`, { egress: devEgress('tenant') });
  assert.equal((await ok.request({ method: 'GET', path: '/' })).body.toString(), 'hello');
  assert.equal(s.connections(), 1);
  refused.close();
  ok.close();
  await s.close();
});

void test('IPv4-mapped IPv6 literals of loopback are refused too', async () => {
  const client = new HttpClient('http://[::ffff:127.0.0.1]:9/', { egress: strict() });
  await assert.rejects(client.request({ method: 'GET', path: '/' }), { code: 'EgressDenied', message: /::ffff:7f00:1 \(127\.0\.0\.1\) is loopback/ });
  client.close();
});

void test('a name that resolves to loopback (localhost) is refused on the resolved address', async () => {
  const s = await serve(hello());
  const client = new HttpClient(`http://localhost:${s.port}`, { egress: strict('tenant') });
  await assert.rejects(client.request({ method: 'GET', path: '/' }), { code: 'EgressDenied', message: /egress to (127\.0\.0\.1|::1) \(for host "localhost"\) refused: .* is loopback/ });
  assert.equal(s.connections(), 0);
  client.close();
  await s.close();
});

void test('private addresses are refused for a tenant store and reached by a cluster store (metadata refused for both)', async () => {
  const resolver: Resolver = (h) => Promise.resolve([{ address: h === 'meta.test' ? '169.254.169.254' : '10.0.0.1', family: 4 }]);
  for (const scope of ['tenant', 'cluster'] as const) {
    await assert.rejects(new EgressGuard(new EgressPolicy(), scope, { resolver }).resolve('meta.test'), { code: 'EgressDenied', message: /link-local/ });
  }
  await assert.rejects(new EgressGuard(new EgressPolicy(), 'tenant', { resolver }).resolve('vault.test'), { code: 'EgressDenied', message: /private \(10\.0\.0\.0\/8\)/ });
  assert.deepEqual(await new EgressGuard(new EgressPolicy(), 'cluster', { resolver }).resolve('vault.test'), [{ address: '10.0.0.1', family: 4 }]);
});

void test('DNS rebinding: each connection dials exactly the address its own lookup checked', async () => {
  // The server closes every connection, so each request needs a new one and a new lookup.
  const s = await serve(http.createServer((_req, res) => res.setHeader('connection', 'close').end('hello')));
  const answers = ['127.0.0.1', '169.254.169.254'];
  const asked: string[] = [];
  const resolver: Resolver = (h) => {
    asked.push(h);
    return Promise.resolve([{ address: answers.shift() ?? '127.0.0.1', family: 4 }]);
  };
  const guard = new EgressGuard(new EgressPolicy({ allow: ['127.0.0.1/32'] }), 'tenant', { resolver });
  // rebind.test exists only in this resolver: had net resolved the name again itself, the dial would fail with ENOTFOUND.
  const client = new HttpClient(`http://rebind.test:${s.port}`, { egress: guard });
  assert.equal((await client.request({ method: 'GET', path: '/' })).body.toString(), 'hello');
  await assert.rejects(client.request({ method: 'GET', path: '/' }), { code: 'EgressDenied', message: /169\.254\.169\.254 \(for host "rebind\.test"\)/ });
  assert.deepEqual(asked, ['rebind.test', 'rebind.test'], 'one lookup per connection, no second resolution');
  assert.equal(s.connections(), 1);
  client.close();
  await s.close();
});

void test('of several answers only the allowed ones are dialled', async () => {
  const s = await serve(hello());
  const resolver: Resolver = () => Promise.resolve([{ address: '169.254.169.254', family: 4 }, { address: '127.0.0.1', family: 4 }]);
  const guard = new EgressGuard(new EgressPolicy({ allow: ['127.0.0.1/32'] }), 'tenant', { resolver });
  const client = new HttpClient(`http://two.test:${s.port}`, { egress: guard });
  assert.equal((await client.request({ method: 'GET', path: '/' })).status, 200);
  client.close();
  await s.close();
});

void test('TLS through the guard still checks the certificate against the host name, not the dialled address', async () => {
  const pki = makeTestPki();
  try {
    const s = await serve(https.createServer({ cert: readFileSync(pki.serverCertPath), key: readFileSync(pki.serverKeyPath) }, (_q, r) => r.end('tls')));
    // The certificate is for localhost and 127.0.0.1; both names resolve to 127.0.0.1 here.
    const resolver: Resolver = () => Promise.resolve([{ address: '127.0.0.1', family: 4 }]);
    const guard = new EgressGuard(new EgressPolicy({ allow: ['127.0.0.1/32'] }), 'tenant', { resolver });
    const good = new HttpClient(`https://localhost:${s.port}`, { egress: guard, ca: [pki.caPem] });
    assert.equal((await good.request({ method: 'GET', path: '/' })).body.toString(), 'tls');
    const other = new HttpClient(`https://not-in-the-cert.test:${s.port}`, { egress: guard, ca: [pki.caPem] });
    await assert.rejects(other.request({ method: 'GET', path: '/' }), { name: 'HttpTransportError', kind: 'tls', message: /not-in-the-cert\.test/ });
    good.close();
    other.close();
    await s.close();
  } finally {
    pki.cleanup();
  }
});

void test('webhook-style reachability checks (guard.connect) are refused the same way', async () => {
  const s = await serve(hello());
  await assert.rejects(strict().connect('127.0.0.1', s.port, 5000, new AbortController().signal), { code: 'EgressDenied' });
  await devEgress().connect('127.0.0.1', s.port, 5000, new AbortController().signal);
  assert.equal(s.connections(), 1);
  await s.close();
});

void test('an endless answer is cut off at the size limit while streaming', async (t) => {
  const cap = 1024 * 1024;
  let written = 0;
  let closed!: () => void;
  const done = new Promise<void>((r) => (closed = r));
  const s = await serve(
    http.createServer((_req, res) => {
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const pump = (): void => {
        while (!res.destroyed && res.write(chunk)) written += chunk.length;
        if (!res.destroyed) written += chunk.length;
      };
      res.on('drain', pump);
      res.on('close', closed);
      pump();
    }),
  );
  const client = new HttpClient(`http://127.0.0.1:${s.port}`, { egress: devEgress(), maxResponseBytes: cap });
  await assert.rejects(client.request({ method: 'GET', path: '/' }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'InvalidData');
    assert.match(err.message, new RegExp(`the answer from 127\\.0\\.0\\.1:${s.port} is larger than ${cap} bytes, the response size limit; the request was aborted \\(raise --max-response-bytes`));
    return true;
  });
  await done;
  // The server stopped because the client hung up: what it wrote is the cap plus what the socket buffers held.
  assert.ok(written < cap + 16 * 1024 * 1024, `the server wrote ${written} bytes before the connection closed`);
  t.diagnostic(`cap ${cap} bytes; the server wrote ${written} bytes before the client hung up (the rest sat in socket buffers)`);
  client.close();
  await s.close();
});

void test('a declared Content-Length over the limit is refused before the body is read', async () => {
  const s = await serve(http.createServer((_req, res) => res.writeHead(200, { 'content-length': String(10 * 1024 * 1024) }).write('x')));
  const client = new HttpClient(`http://127.0.0.1:${s.port}`, { egress: devEgress(), maxResponseBytes: 1024 });
  await assert.rejects(client.request({ method: 'GET', path: '/' }), { code: 'InvalidData', message: /larger than 1024 bytes/ });
  client.close();
  await s.close();
});

void test('AWS SDK clients built with sdkClientDefaults connect through the guard (NodeHttpHandler agents)', async () => {
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const { sdkClientDefaults } = await import('../cloud/aws/credentials.ts');
  const { toHushError } = await import('../cloud/aws/errors.ts');
  const s = await serve(hello());
  const resolver: Resolver = () => Promise.resolve([{ address: '169.254.169.254', family: 4 }]);
  for (const [endpoint, guard] of [[`http://127.0.0.1:${s.port}`, strict('tenant')], [`http://sm.test:${s.port}`, strict('tenant', resolver)]] as const) {
    const sm = new SecretsManagerClient({ ...sdkClientDefaults('us-east-1', endpoint, 5000, guard), credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    await assert.rejects(sm.send(new GetSecretValueCommand({ SecretId: 'x' })), (err) => {
      const h = toHushError(err, 'GetSecretValue "x"', { secrets: [] });
      assert.equal(h.code, 'EgressDenied', h.message);
      assert.match(h.message, /(127\.0\.0\.1 is loopback|169\.254\.169\.254 \(for host "sm\.test"\) refused)/);
      return true;
    });
    sm.destroy();
  }
  assert.equal(s.connections(), 0);
  await s.close();
});

void test('Azure SDK clients given the guard agent (as the azurekv provider does) connect through the guard', async () => {
  const { SecretClient } = await import('@azure/keyvault-secrets');
  const resolver: Resolver = () => Promise.resolve([{ address: '169.254.169.254', family: 4 }]);
  const agent = strict('tenant', resolver).agent('https:', { keepAlive: true }) as https.Agent;
  const cred = { getToken: () => Promise.resolve({ token: 't', expiresOnTimestamp: Date.now() + 3_600_000 }) };
  const client = new SecretClient('https://vault.test', cred, { agent, retryOptions: { maxRetries: 0 }, disableChallengeResourceVerification: true });
  const { toHushError } = await import('../providers/azurekv/errors.ts');
  await assert.rejects(client.getSecret('x'), (err) => {
    const h = toHushError(err, 'get secret "x"', 'secret "x"', []);
    assert.equal(h.code, 'EgressDenied', h.message);
    assert.match(h.message, /169\.254\.169\.254 \(for host "vault\.test"\) refused/);
    return true;
  });
  agent.destroy();
});
