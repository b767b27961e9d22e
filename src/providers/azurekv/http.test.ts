import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPipelineRequest } from '@azure/core-rest-pipeline';
import { cappedAzureHttpClient } from './http.ts';

async function serve(handler: http.RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
}

test('an answer within the cap is handed on as text, as the default client would', async () => {
  const s = await serve((_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{"value":"v"}'));
  try {
    const res = await cappedAzureHttpClient(1024).sendRequest(createPipelineRequest({ url: `${s.url}/secrets/x`, method: 'GET', allowInsecureConnection: true }));
    assert.equal(res.status, 200);
    assert.equal(res.bodyAsText, '{"value":"v"}');
    assert.equal(res.readableStreamBody, undefined);
  } finally {
    await s.close();
  }
});

test('an endless answer is cut at the cap with an error naming the host and the limit', { timeout: 20_000 }, async () => {
  let written = 0;
  let closed = false;
  const chunk = Buffer.alloc(1 << 16, 'a');
  const s = await serve((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.on('close', () => void (closed = true));
    const pump = (): void => {
      while (!closed) {
        written += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
    };
    pump();
  });
  try {
    await assert.rejects(cappedAzureHttpClient(1 << 20).sendRequest(createPipelineRequest({ url: `${s.url}/secrets/x`, method: 'GET', allowInsecureConnection: true })), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'InvalidData');
      assert.match(err.message, /127\.0\.0\.1:\d+ is larger than 1048576 bytes/);
      return true;
    });
    assert.ok(written < 32 * 2 ** 20, `the server wrote ${written} bytes`);
  } finally {
    await s.close();
  }
});
