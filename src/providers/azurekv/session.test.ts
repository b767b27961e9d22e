/**
 * The token session's timing with an injected clock (provider.integration.test.ts
 * checks the same against the fake Entra ID on the real clock). The auth method
 * is a stand-in that hands out numbered tokens; the session never looks inside.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenSession } from './session.ts';
import type { AuthContext, AzureAuthMethod } from './auth/types.ts';

function setup(lifetimeMs: number) {
  let now = 5_000_000;
  const resources: string[] = [];
  const method: AzureAuthMethod = {
    describe: 'test',
    token(_ctx, resource) {
      resources.push(resource);
      return Promise.resolve({ token: `t${resources.length}`, expiresAt: now + lifetimeMs });
    },
  };
  const ctx = { cloud: { keyVaultResource: 'https://vault.azure.net' }, remember: () => undefined } as unknown as AuthContext;
  const session = new TokenSession(method, ctx, new AbortController().signal, () => now);
  return { session, resources, advance: (ms: number) => (now += ms) };
}

test('a token is reused until two thirds of its life have passed, then replaced', async () => {
  const s = setup(90 * 60_000);
  assert.equal((await s.session.token()).token, 't1');
  s.advance(60 * 60_000 - 1);
  assert.equal((await s.session.token()).token, 't1', 'just before two thirds');
  s.advance(1);
  assert.equal((await s.session.token()).token, 't2', 'at two thirds');
});

test('the SDK is told when to refresh, and the store cloud fixes the resource whatever scope it asks for', async () => {
  const s = setup(3_000);
  const t = await s.session.getToken('https://other.example/.default');
  assert.equal(t?.expiresOnTimestamp, 5_003_000);
  assert.equal(t?.refreshAfterTimestamp, 5_002_000);
  assert.deepEqual(s.resources, ['https://vault.azure.net']);
});
