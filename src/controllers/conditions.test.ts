import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidSpecError, NotFoundError, ThrottledError, UnavailableError } from '../util/errors.ts';
import { STALL_AFTER_MS, failingSince, progressOf, withProgress, type Condition } from './conditions.ts';

const now = new Date('2026-12-02T10:00:00Z');
const never = () => {
  throw new Error('a terminal error must not reserve a retry');
};

test('decision table: success, retry, stall after a minute, terminal at once', () => {
  const rows: [string, Error | undefined, Date | undefined, string][] = [
    ['no error', undefined, undefined, 'ok'],
    ['first retryable failure', new NotFoundError('k'), undefined, 'retrying'],
    ['retryable, failing 59 s', new UnavailableError('u'), new Date(now.getTime() - STALL_AFTER_MS + 1000), 'retrying'],
    ['retryable, failing 60 s', new UnavailableError('u'), new Date(now.getTime() - STALL_AFTER_MS), 'stalled'],
    ['terminal, first failure', new InvalidSpecError('s'), undefined, 'stalled'],
  ];
  for (const [what, err, since, want] of rows) {
    const p = progressOf(err as never, since, now, err && (err as InvalidSpecError).retryable === false ? never : () => 8000);
    assert.equal(p.state, want, what);
  }
});

test('the next attempt is the one the queue committed to, or none for a terminal error', () => {
  const p = progressOf(new ThrottledError('t', { retryAfterMs: 30_000 }), undefined, now, (e) => e.retryAfterMs ?? 1);
  assert.equal(p.state, 'retrying');
  assert.equal(p.state === 'retrying' && p.nextAttemptAt.toISOString(), '2026-12-02T10:00:30.000Z');
  const t = progressOf(new InvalidSpecError('bad'), undefined, now, never);
  assert.ok(t.state === 'stalled' && t.nextAttemptAt === undefined);
});

test('failingSince reads when Ready went False, and nothing else', () => {
  assert.equal(failingSince(undefined), undefined);
  assert.equal(failingSince([{ type: 'Ready', status: 'True', lastTransitionTime: '2026-12-02T09:00:00Z' }]), undefined);
  assert.equal(failingSince([{ type: 'Ready', status: 'False', lastTransitionTime: '2026-12-02T09:00:00Z' }])?.toISOString(), '2026-12-02T09:00:00.000Z');
  assert.equal(failingSince([{ type: 'Ready', status: 'False', lastTransitionTime: 'garbage' }]), undefined);
});

test('withProgress sets only the condition that is true, keeps others, and keeps lastTransitionTime while it stays true', () => {
  const ready: Condition = { type: 'Ready', status: 'False', reason: 'SecretSyncedError', message: 'm', lastTransitionTime: '2026-12-02T09:59:00Z' };
  const retrying = withProgress([ready], { state: 'retrying', error: new NotFoundError('k'), nextAttemptAt: new Date('2026-12-02T10:00:08Z') }, now);
  assert.deepEqual(retrying.map((c) => [c.type, c.status]), [['Ready', 'False'], ['Reconciling', 'True']]);
  assert.match(retrying[1]!.message!, /next attempt at 2026-12-02T10:00:08Z/);
  const later = new Date(now.getTime() + 8000);
  const again = withProgress(retrying, { state: 'retrying', error: new NotFoundError('k'), nextAttemptAt: new Date(later.getTime() + 16_000) }, later);
  assert.equal(again[1]!.lastTransitionTime, '2026-12-02T10:00:00Z');
  const stalled = withProgress(again, { state: 'stalled', error: new NotFoundError('k'), nextAttemptAt: later }, later);
  assert.deepEqual(stalled.map((c) => [c.type, c.status, c.reason]), [['Ready', 'False', 'SecretSyncedError'], ['Stalled', 'True', 'NotFound']]);
  assert.match(stalled[1]!.message!, /still retrying/);
  assert.deepEqual(withProgress(stalled, { state: 'ok' }, later).map((c) => c.type), ['Ready'], 'success clears both');
});

test('kstatus (the library Flux links) reads each progress state as Flux should: ok Current, retrying InProgress, stalled Failed', async () => {
  const { kstatusOf } = await import('./testing/kstatus.ts');
  const ready = (status: 'True' | 'False'): Condition => ({ type: 'Ready', status, reason: status === 'True' ? 'SecretSynced' : 'SecretSyncedError', message: 'm', lastTransitionTime: '2026-12-02T09:00:00Z' });
  const object = (conditions: Condition[]) => ({ apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'x', namespace: 'n', generation: 3 }, status: { observedGeneration: 3, conditions } });
  const err = new NotFoundError('k');
  const later = new Date(now.getTime() + 1000);
  const objs = [
    object(withProgress([ready('True')], { state: 'ok' }, now)),
    object(withProgress([ready('False')], progressOf(err, undefined, now, () => 1000), now)),
    object(withProgress([ready('False')], progressOf(err, new Date(now.getTime() - STALL_AFTER_MS), now, () => 1000), later)),
    object(withProgress([ready('False')], progressOf(new InvalidSpecError('bad'), undefined, now, never), now)),
  ];
  const got = await kstatusOf(objs);
  assert.deepEqual(got.map((g) => g.status), ['Current', 'InProgress', 'Failed', 'Failed']);
});
