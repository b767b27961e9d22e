/**
 * KubeClient's behaviour on network trouble. These need no apiserver: the
 * "servers" here are plain sockets that misbehave on purpose (never answer,
 * refuse, or answer like a broken proxy) — conditions a real apiserver cannot
 * be asked to produce. API semantics are tested in client.integration.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { KubeApiError, KubeClient } from './client.ts';
import { readLines } from './json-lines.ts';
import { ConfigMaps, Deployments, Namespaces, objectKey, resourcePath, splitObjectKey } from './resources.ts';

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

void test('a request with no answer fails with a Timeout error after requestTimeoutMs', async () => {
  const sockets: net.Socket[] = [];
  const silent = net.createServer((s) => sockets.push(s));
  const port = await listen(silent);
  const client = new KubeClient({ server: `http://127.0.0.1:${port}`, requestTimeoutMs: 150 });
  const t0 = Date.now();
  await assert.rejects(client.get(ConfigMaps, 'x', 'ns'), (err) => {
    assert.ok(err instanceof KubeApiError);
    assert.equal(err.status, 0);
    assert.equal(err.code, 'Timeout');
    assert.equal(err.retryable, true);
    assert.match(err.message, /get configmaps ns\/x: no response within 150 ms/);
    return true;
  });
  assert.ok(Date.now() - t0 < 2000);
  client.close();
  for (const s of sockets) s.destroy();
  silent.close();
});

void test('a refused connection is a retryable Unavailable error', async () => {
  const probe = net.createServer();
  const port = await listen(probe);
  await new Promise((r) => probe.close(r));
  const client = new KubeClient({ server: `http://127.0.0.1:${port}` });
  await assert.rejects(client.list(ConfigMaps), (err) => {
    assert.ok(err instanceof KubeApiError);
    assert.equal(err.code, 'Unavailable');
    assert.equal(err.retryable, true);
    assert.match(err.message, /ECONNREFUSED/);
    return true;
  });
  client.close();
});

void test("the caller's abort rejects with the abort reason, not a KubeApiError", async () => {
  const sockets: net.Socket[] = [];
  const silent = net.createServer((s) => sockets.push(s));
  const port = await listen(silent);
  const client = new KubeClient({ server: `http://127.0.0.1:${port}` });
  const ac = new AbortController();
  const pending = client.get(ConfigMaps, 'x', 'ns', { signal: ac.signal });
  setTimeout(() => ac.abort(new Error('shutting down')), 20);
  await assert.rejects(pending, /shutting down/);
  client.close();
  for (const s of sockets) s.destroy();
  silent.close();
});

void test('a non-Status error page (a proxy in the way) still maps by HTTP status, and honours Retry-After', async () => {
  const proxy = http.createServer((_req, res) => {
    res.writeHead(429, { 'Content-Type': 'text/html', 'Retry-After': '7' });
    res.end('<html>slow down</html>');
  });
  const port = await listen(proxy);
  const client = new KubeClient({ server: `http://127.0.0.1:${port}` });
  await assert.rejects(client.get(Namespaces, 'x'), (err) => {
    assert.ok(err instanceof KubeApiError);
    assert.equal(err.status, 429);
    assert.equal(err.reason, 'TooManyRequests');
    assert.equal(err.code, 'Throttled');
    assert.equal(err.retryAfterMs, 7000);
    assert.ok(!err.message.includes('<html>'));
    return true;
  });
  client.close();
  proxy.close();
});

void test('all requests of a client share one keep-alive connection', async () => {
  const connections = new Set<net.Socket>();
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"x"}}');
  });
  server.on('connection', (s) => connections.add(s));
  const port = await listen(server);
  const client = new KubeClient({ server: `http://127.0.0.1:${port}` });
  for (let i = 0; i < 5; i++) await client.get(Namespaces, 'x');
  assert.equal(connections.size, 1);
  client.close();
  server.close();
});

void test('namespaced verbs without a namespace fail before any request is sent', async () => {
  const client = new KubeClient({ server: 'http://127.0.0.1:1' });
  await assert.rejects(client.get(ConfigMaps, 'x'), /a namespace is required for configmaps/);
  client.close();
});

void test('resource paths for core, grouped, namespaced and cluster-scoped types', () => {
  assert.equal(resourcePath(ConfigMaps, 'ns', 'a'), '/api/v1/namespaces/ns/configmaps/a');
  assert.equal(resourcePath(ConfigMaps), '/api/v1/configmaps');
  assert.equal(resourcePath(Deployments, 'ns', 'd', 'status'), '/apis/apps/v1/namespaces/ns/deployments/d/status');
  assert.equal(resourcePath(Namespaces, undefined, 'kube-system'), '/api/v1/namespaces/kube-system');
  assert.equal(objectKey({ metadata: { name: 'a', namespace: 'ns' } }), 'ns/a');
  assert.equal(objectKey({ metadata: { name: 'cluster-wide' } }), 'cluster-wide');
  assert.deepEqual(splitObjectKey('ns/a'), { namespace: 'ns', name: 'a' });
  assert.deepEqual(splitObjectKey('cluster-wide'), { name: 'cluster-wide' });
});

void test('watch lines are reassembled across chunks, including a UTF-8 character split in two', async () => {
  const text = Buffer.from('{"a":"é"}\n{"b":2}\n\n{"c":3}');
  const chunks = [text.subarray(0, 7), text.subarray(7, 12), text.subarray(12)];
  async function* gen(): AsyncGenerator<Buffer> {
    for (const c of chunks) {
      await Promise.resolve();
      yield c;
    }
  }
  let activity = 0;
  const lines: string[] = [];
  for await (const l of readLines(gen(), () => activity++)) lines.push(l);
  assert.deepEqual(lines, ['{"a":"é"}', '{"b":2}', '{"c":3}']);
  assert.equal(activity, 3);
});

void test('a response over maxResponseBytes is cut off while streaming with a ResponseTooLarge error', async () => {
  const cap = 256 * 1024;
  let written = 0;
  let closed!: () => void;
  const done = new Promise<void>((r) => (closed = r));
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const chunk = Buffer.alloc(64 * 1024, ' ');
    const pump = (): void => {
      while (!res.destroyed && res.write(chunk)) written += chunk.length;
    };
    res.on('drain', pump);
    res.on('close', closed);
    res.write('{"items":[');
    pump();
  });
  const port = await listen(server);
  const client = new KubeClient({ server: `http://127.0.0.1:${port}`, maxResponseBytes: cap });
  await assert.rejects(client.list(ConfigMaps), (err) => {
    assert.ok(err instanceof KubeApiError);
    assert.equal(err.reason, 'ResponseTooLarge');
    assert.equal(err.retryable, true);
    assert.match(err.message, new RegExp(`list configmaps: the response is larger than ${cap} bytes, the response size limit; the request was aborted \\(raise --kube-max-response-bytes`));
    return true;
  });
  await done;
  assert.ok(written < cap + 16 * 1024 * 1024, `the server wrote ${written} bytes before the connection closed`);
  client.close();
  server.close();
});

void test('a watch event (one line) over maxResponseBytes ends the watch; smaller events before it arrive', async () => {
  const cap = 64 * 1024;
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"5"}}}\n');
    // Then a line that never ends.
    const chunk = Buffer.alloc(16 * 1024, 'x');
    const pump = (): void => {
      while (!res.destroyed && res.write(chunk));
    };
    res.on('drain', pump);
    pump();
  });
  const port = await listen(server);
  const client = new KubeClient({ server: `http://127.0.0.1:${port}`, maxResponseBytes: cap });
  const seen: string[] = [];
  await assert.rejects(
    (async () => {
      for await (const ev of client.watch(ConfigMaps, { resourceVersion: '1', timeoutSeconds: 60, allowBookmarks: true, signal: new AbortController().signal })) seen.push(ev.type);
    })(),
    (err) => {
      assert.ok(err instanceof KubeApiError);
      assert.equal(err.reason, 'ResponseTooLarge');
      assert.match(err.message, /watch configmaps: one watch event is larger than 65536 bytes/);
      return true;
    },
  );
  assert.deepEqual(seen, ['BOOKMARK']);
  client.close();
  server.close();
});

void test('readLines caps one line, not the stream: many short lines pass', async () => {
  async function* gen(): AsyncGenerator<Buffer> {
    for (let i = 0; i < 100; i++) yield await Promise.resolve(Buffer.from('0123456789\n'));
  }
  let n = 0;
  for await (const l of readLines(gen(), undefined, 16)) if (l === '0123456789') n++;
  assert.equal(n, 100);
  async function* long(): AsyncGenerator<Buffer> {
    for (;;) yield await Promise.resolve(Buffer.from('0123456789'));
  }
  await assert.rejects(async () => {
    for await (const _l of readLines(long(), undefined, 16)) assert.fail('no line ends');
  }, { name: 'LineTooLongError' });
});
