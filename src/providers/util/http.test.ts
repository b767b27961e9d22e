/**
 * HttpClient.stream against a real local HTTP server: lines split across
 * chunks, the per-line cap, the idle timeout, abort, a non-2xx answer, and the
 * store's egress guard (the same agent as request()).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { EgressPolicy } from '../../net/egress.ts';
import { EgressGuard } from '../../net/guard.ts';
import { devEgress } from '../../net/testing/egress.ts';
import { HttpClient } from './http.ts';

void describe('HttpClient.stream', () => {
  let server: http.Server;
  let base: string;
  /** For each request of /silent, in order: settles when the server saw the client close its connection. */
  const silentClosed: Promise<void>[] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/lines') {
        res.writeHead(200, { 'content-type': 'application/json' });
        // One event split over three writes, an empty line, then a second event and the end.
        res.write('{"a":');
        setTimeout(() => res.write('1}\n\n{"b"'), 20);
        setTimeout(() => res.end(':2}\n'), 40);
      } else if (req.url === '/big') {
        res.writeHead(200);
        res.write('{"ok":1}\n');
        res.write('x'.repeat(3000)); // no newline yet: the cap applies to the unfinished line too
      } else if (req.url === '/silent') {
        res.writeHead(200);
        res.write('{"first":1}\n');
        silentClosed.push(new Promise((r) => req.socket.on('close', () => r())));
      } else {
        res.writeHead(403, { 'content-type': 'application/json' });
        res.end('{"message":"denied"}');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const client = (): HttpClient => new HttpClient(base, { egress: devEgress('tenant') });

  void it('hands over each line once it is complete, skipping empty ones, and resolves at the end', async () => {
    const lines: string[] = [];
    let opened = 0;
    const c = client();
    const res = await c.stream({ method: 'GET', path: '/lines', maxLineBytes: 100, idleTimeoutMs: 5000, onOpen: () => opened++, onLine: (l) => lines.push(l.toString()) });
    assert.equal(res.status, 200);
    assert.deepEqual(lines, ['{"a":1}', '{"b":2}']);
    assert.equal(opened, 1);
    c.close();
  });

  void it('fails a line over maxLineBytes (InvalidData) after the lines before it', async () => {
    const lines: string[] = [];
    const c = client();
    await assert.rejects(c.stream({ method: 'GET', path: '/big', maxLineBytes: 2048, idleTimeoutMs: 5000, onLine: (l) => lines.push(l.toString()) }), {
      code: 'InvalidData',
      message: /larger than 2048 bytes/,
    });
    assert.deepEqual(lines, ['{"ok":1}']);
    c.close();
  });

  void it('fails a stream that goes silent (timeout), and an abort closes the connection', async () => {
    const c = client();
    const t0 = Date.now();
    await assert.rejects(c.stream({ method: 'GET', path: '/silent', maxLineBytes: 100, idleTimeoutMs: 300, onLine: () => undefined }), { name: 'HttpTransportError', kind: 'timeout' });
    assert.ok(Date.now() - t0 < 3000);
    await silentClosed[0];
    const ctl = new AbortController();
    const lines: string[] = [];
    const p = c.stream({ method: 'GET', path: '/silent', maxLineBytes: 100, idleTimeoutMs: 60_000, signal: ctl.signal, onLine: (l) => (lines.push(l.toString()), ctl.abort()) });
    await assert.rejects(p, { kind: 'aborted' });
    assert.deepEqual(lines, ['{"first":1}']);
    assert.equal(silentClosed.length, 2);
    await silentClosed[1]; // the server saw the aborted stream's connection go (else this test times out)
    c.close();
  });

  void it('answers a non-2xx status with its body, like request()', async () => {
    const c = client();
    const res = await c.stream({ method: 'GET', path: '/denied', maxLineBytes: 100, idleTimeoutMs: 5000, onLine: () => assert.fail('no lines for an error answer') });
    assert.equal(res.status, 403);
    assert.equal(res.body.toString(), '{"message":"denied"}');
    c.close();
  });

  void it('passes the egress guard: a refused address gets no stream', async () => {
    const c = new HttpClient(base, { egress: new EgressGuard(new EgressPolicy(), 'cluster', {}) });
    await assert.rejects(c.stream({ method: 'GET', path: '/lines', maxLineBytes: 100, idleTimeoutMs: 5000, onLine: () => assert.fail('refused') }), { code: 'EgressDenied' });
    c.close();
  });
});
