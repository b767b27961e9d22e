/**
 * The Vault transit key source goes through HttpClient: its address comes from
 * the SOPS file (a tenant's, in the controller), so the egress guard and the
 * response cap apply. A loopback server plays Vault.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import { EgressPolicy } from '../../net/egress.ts';
import { EgressGuard } from '../../net/guard.ts';
import { devEgress } from '../../net/testing/egress.ts';
import { wrapVault } from './vault.ts';
import type { KeyContext } from './types.ts';

async function fakeVault(answer: (res: http.ServerResponse) => void): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((_req, res) => answer(res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return { url, close: () => new Promise((r) => server.close(() => r())) };
}

const ctx = (extra: Partial<KeyContext>): KeyContext => ({ env: {}, home: '', vaultToken: 'tok', ...extra });
const key = new Uint8Array(32);

void test('transit through the tenant guard: loopback refused by default, reached with the dev allowance', async () => {
  const v = await fakeVault((res) => res.end(JSON.stringify({ data: { ciphertext: 'vault:v1:abc' } })));
  const spec = { vaultAddress: v.url, enginePath: 'transit', keyName: 'k' };
  await assert.rejects(wrapVault(spec, key, ctx({ egress: new EgressGuard(new EgressPolicy(), 'tenant') })), {
    code: 'EgressDenied',
    message: /^Vault transit encrypt at http:\/\/127\.0\.0\.1:\d+\/v1\/transit\/encrypt\/k: egress to 127\.0\.0\.1 refused: 127\.0\.0\.1 is loopback/,
  });
  assert.equal((await wrapVault(spec, key, ctx({ egress: devEgress('tenant') }))).enc, 'vault:v1:abc');
  await v.close();
});

void test('a transit answer over the size limit fails with InvalidData', async () => {
  const v = await fakeVault((res) => res.end(JSON.stringify({ data: { ciphertext: 'x'.repeat(4096) } })));
  await assert.rejects(wrapVault({ vaultAddress: v.url, enginePath: 'transit', keyName: 'k' }, key, ctx({ egress: devEgress('tenant'), maxResponseBytes: 1024 })), {
    code: 'InvalidData',
    message: /larger than 1024 bytes/,
  });
  await v.close();
});
