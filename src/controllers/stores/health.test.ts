import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuthError, InvalidSpecError, NotFoundError, ThrottledError, TimeoutError, UnavailableError, type HushError } from '../../util/errors.ts';
import { silentLogger } from '../../util/log.ts';
import { StoreHealth, storeActionFor } from './health.ts';
import type { StoreResolver } from './resolver.ts';

test('decision table: what a failure means for the store', () => {
  const rows: [string, HushError, boolean | undefined, unknown][] = [
    // The store's governor saw the throttling answer itself and pauses every call (read/governor.ts).
    ['throttled: the governor already paused the store', new ThrottledError('t', { retryAfterMs: 12_000 }), true, { kind: 'none' }],
    ['credentials rejected', new AuthError('a'), true, { kind: 'reconnect' }],
    ['unreachable, store still Ready', new UnavailableError('u'), true, { kind: 'recheck' }],
    ['timed out, store still Ready', new TimeoutError('t'), true, { kind: 'recheck' }],
    ['unreachable, store already not Ready (its own backoff)', new UnavailableError('u'), false, { kind: 'none' }],
    ['unreachable, store unknown', new UnavailableError('u'), undefined, { kind: 'none' }],
    ['key missing: nothing wrong with the store', new NotFoundError('n'), true, { kind: 'none' }],
    ['bad spec: nothing wrong with the store', new InvalidSpecError('s'), true, { kind: 'none' }],
  ];
  for (const [what, err, ready, want] of rows) assert.deepEqual(storeActionFor(err, ready), want, what);
});

test('StoreHealth carries the action out on every store the ExternalSecret reads', () => {
  const calls: string[] = [];
  const resolver = {
    forgetStore: (kind: string, ns: string | undefined, name: string) => calls.push(`forget ${kind}/${ns ?? ''}/${name}`),
  } as unknown as StoreResolver;
  const health = new StoreHealth({ resolver, isReady: (k) => k.startsWith('SecretStore/'), recheck: (k) => calls.push(`recheck ${k}`), logger: silentLogger });
  const stores = ['SecretStore/team-a/vault', 'ClusterSecretStore//shared'];
  health.reportFailure(stores, new ThrottledError('t', { retryAfterMs: 3000 }));
  health.reportFailure(stores, new AuthError('a'));
  health.reportFailure(stores, new UnavailableError('u'));
  health.reportFailure(stores, new NotFoundError('n'));
  assert.deepEqual(calls, [
    'forget SecretStore/team-a/vault',
    'forget ClusterSecretStore//shared',
    'recheck SecretStore/team-a/vault',
  ]);
});
