import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jitterFraction, ownTimerMs, readDecision, type ReadContext } from './refresh.ts';
import { syncedResourceVersion } from './hash.ts';
import { validateExternalSecret } from './validate.ts';
import type { ExternalSecretObject } from './spec.ts';

function es(spec: Partial<ExternalSecretObject['spec']>, refreshTime?: string, uid = 'u1'): ExternalSecretObject {
  const metadata = { name: 'x', namespace: 'n', uid, generation: 1 };
  return { metadata, spec: { data: [{ secretKey: 'a', remoteRef: { key: 'k' } }], ...spec }, status: refreshTime ? { refreshTime, syncedResourceVersion: syncedResourceVersion(metadata) } : {} };
}

test('refresh policies decide whether to read the store, and how fresh the answers must be', () => {
  const t = Date.parse('2026-01-01T00:00:00Z');
  const at = (now: number, more: Partial<ReadContext> = {}): ReadContext => ({ now, lastCheckedAt: undefined, needFreshSince: undefined, changed: false, secretValid: true, shareWindowMs: 2000, forceSyncChanged: false, ...more });
  assert.deepEqual(readDecision(es({}), at(t)), { read: 'fresh', freshAfter: t - 2000, reason: 'never synced' }, 'answers of the share window count');
  const hourly = es({ refreshInterval: '1h' }, '2026-01-01T00:00:00Z');
  assert.deepEqual(readDecision(hourly, at(t + 60_000, { lastCheckedAt: t })), { read: 'none', reason: 'not due', nextInMs: 3_540_000 });
  assert.deepEqual(readDecision(hourly, at(t + 2 * 3_600_000, { lastCheckedAt: t })), { read: 'periodic', freshAfter: t + 3_600_000, reason: 'refresh interval elapsed' }, 'answers at most one interval old');
  assert.deepEqual(readDecision(hourly, at(t + 60_000)), { read: 'periodic', freshAfter: t + 60_000 - 3_600_000, reason: 'not checked since this controller started' }, 'a restart or a new leader checks at once, so the scheduler watches its answers');
  // The last check in memory moves the next one on, though the status (refreshTime) was not written.
  assert.equal(readDecision(hourly, at(t + 2 * 3_600_000, { lastCheckedAt: t + 1.5 * 3_600_000 })).read, 'none');
  assert.equal(readDecision(hourly, at(t + 60_000, { changed: true })).read, 'periodic', 'a changed answer is read at once');
  // A short interval: the scheduler keeps the answers that fresh; the ExternalSecret's own check comes every 5 min.
  assert.deepEqual(readDecision(es({ refreshInterval: '5s' }, '2026-01-01T00:00:00Z'), at(t + 10_000, { lastCheckedAt: t })), { read: 'none', reason: 'not due', nextInMs: 290_000 });
  assert.equal(readDecision(hourly, at(t + 60_000, { secretValid: false, lastCheckedAt: t })).read, 'drift', 'a changed or deleted Secret is repaired');
  assert.deepEqual(readDecision(hourly, at(t + 60_000, { needFreshSince: t + 30_000 })), { read: 'fresh', freshAfter: t + 30_000, reason: 'waiting for answers newer than the last change or failure' });
  assert.equal(readDecision(es({ refreshInterval: '0' }, '2026-01-01T00:00:00Z'), at(t + 10 * 3_600_000)).read, 'none', 'sync once');
  assert.deepEqual(readDecision(es({ refreshInterval: '0' }, '2026-01-01T00:00:00Z'), at(t, { secretValid: false })), { read: 'drift', freshAfter: -Infinity, reason: 'the Secret changed or is missing' });
  assert.equal(readDecision(es({ refreshPolicy: 'CreatedOnce', refreshInterval: '1s' }, '2026-01-01T00:00:00Z'), at(t + 3_600_000, { changed: true })).read, 'none');
  assert.equal(readDecision(es({ refreshPolicy: 'OnChange', refreshInterval: '1s' }, '2026-01-01T00:00:00Z'), at(t + 3_600_000)).read, 'none');
  const once = es({ refreshPolicy: 'CreatedOnce' }, '2026-01-01T00:00:00Z');
  once.metadata.generation = 2;
  once.metadata.annotations = { 'external-secrets.io/force-sync': 'now' };
  assert.equal(readDecision(once, at(t, { forceSyncChanged: true, needFreshSince: t })).read, 'none', 'CreatedOnce: not after a spec change, a force-sync or an asked refresh (ESO)');
  assert.equal(readDecision(once, at(t, { secretValid: false })).read, 'fresh', 'CreatedOnce: a deleted Secret is made again');
  assert.equal(readDecision(es({ refreshPolicy: 'CreatedOnce' }), at(t)).read, 'fresh', 'CreatedOnce: the first sync');
  const changed = es({ refreshPolicy: 'OnChange' }, '2026-01-01T00:00:00Z');
  changed.metadata.generation = 2;
  assert.equal(readDecision(changed, at(t)).read, 'fresh', 'OnChange refreshes after a spec change');
  const annotated = es({ refreshInterval: '0' }, '2026-01-01T00:00:00Z');
  annotated.metadata.annotations = { 'external-secrets.io/force-sync': 'now' };
  assert.deepEqual(readDecision(annotated, at(t)), { read: 'fresh', freshAfter: t - 2000, reason: 'spec or metadata changed' }, 'any annotation change syncs');
  assert.deepEqual(readDecision(annotated, at(t, { forceSyncChanged: true })), { read: 'fresh', freshAfter: t, reason: 'force-sync' }, 'a new force-sync value reads afresh, sharing nothing older');
});

test("an ExternalSecret's own timer is stretched by a stable per-object jitter below 10%", () => {
  const fractions = Array.from({ length: 200 }, (_, i) => jitterFraction(`uid-${i}`));
  assert.ok(fractions.every((f) => f >= 0 && f < 0.1));
  assert.ok(new Set(fractions.map((f) => f.toFixed(3))).size > 50, 'spread out');
  assert.equal(jitterFraction('uid-7'), jitterFraction('uid-7'));
  const next = ownTimerMs(es({ refreshInterval: '1h' }), 3_600_000);
  assert.ok(next >= 3_600_000 && next < 3_960_000);
  const short = ownTimerMs(es({ refreshInterval: '5s' }), 5000);
  assert.ok(short >= 300_000 && short < 330_000, 'at least 5 min: the scheduler, not this timer, keeps answers fresh');
});

test('spec validation names the field and the fix', () => {
  assert.match(validateExternalSecret({ target: { creationPolicy: 'None', deletionPolicy: 'Merge' }, data: [{ secretKey: 'a', remoteRef: { key: 'k' } }] })?.message ?? '', /Merge cannot be used with creationPolicy None/);
  assert.match(validateExternalSecret({ refreshInterval: 'hourly', data: [{ secretKey: 'a', remoteRef: { key: 'k' } }] })?.message ?? '', /spec\.refreshInterval: invalid duration "hourly"/);
  assert.match(validateExternalSecret({ dataFrom: [{ extract: { key: 'a' }, find: { path: 'b' } }] })?.message ?? '', /spec\.dataFrom\[0\]: extract, find and sourceRef\.generatorRef are mutually exclusive/);
  assert.match(validateExternalSecret({ dataFrom: [{ extract: { key: 'a' }, rewrite: [{ merge: {} }] }] })?.message ?? '', /rewrite\[0\]\.merge: merge rewrites are not supported yet/);
  assert.equal(validateExternalSecret({ target: { deletionPolicy: 'Delete' }, data: [{ secretKey: 'a', remoteRef: { key: 'k' } }, { secretKey: 'a', remoteRef: { key: 'j' } }] }), undefined, 'duplicate keys are allowed outside Retain, as in ESO');
});
