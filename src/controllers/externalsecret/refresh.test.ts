import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jitterFraction, nextRefreshInMs, shouldRefresh } from './refresh.ts';
import { syncedResourceVersion } from './hash.ts';
import { validateExternalSecret } from './validate.ts';
import type { ExternalSecretObject } from './spec.ts';

function es(spec: Partial<ExternalSecretObject['spec']>, refreshTime?: string, uid = 'u1'): ExternalSecretObject {
  const metadata = { name: 'x', namespace: 'n', uid, generation: 1 };
  return { metadata, spec: { data: [{ secretKey: 'a', remoteRef: { key: 'k' } }], ...spec }, status: refreshTime ? { refreshTime, syncedResourceVersion: syncedResourceVersion(metadata) } : {} };
}

test('refresh policies decide whether to read the store', () => {
  const t = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(shouldRefresh(es({}), t).refresh, true, 'never synced');
  assert.equal(shouldRefresh(es({ refreshInterval: '1h' }, '2026-01-01T00:00:00Z'), t + 60_000).refresh, false);
  assert.equal(shouldRefresh(es({ refreshInterval: '1h' }, '2026-01-01T00:00:00Z'), t + 2 * 3_600_000).refresh, true);
  assert.equal(shouldRefresh(es({ refreshInterval: '0' }, '2026-01-01T00:00:00Z'), t + 10 * 3_600_000).refresh, false, 'sync once');
  assert.equal(shouldRefresh(es({ refreshPolicy: 'CreatedOnce', refreshInterval: '1s' }, '2026-01-01T00:00:00Z'), t + 3_600_000).refresh, false);
  assert.equal(shouldRefresh(es({ refreshPolicy: 'OnChange', refreshInterval: '1s' }, '2026-01-01T00:00:00Z'), t + 3_600_000).refresh, false);
  const changed = es({ refreshPolicy: 'OnChange' }, '2026-01-01T00:00:00Z');
  changed.metadata.generation = 2;
  assert.equal(shouldRefresh(changed, t).refresh, true, 'OnChange refreshes after a spec change');
  const annotated = es({ refreshInterval: '0' }, '2026-01-01T00:00:00Z');
  annotated.metadata.annotations = { 'external-secrets.io/force-sync': 'now' };
  assert.equal(shouldRefresh(annotated, t).refresh, true, 'force-sync (any annotation change) refreshes');
});

test('jitter spreads objects created together, stays stable per object and within 10%', () => {
  const fractions = Array.from({ length: 200 }, (_, i) => jitterFraction(`uid-${i}`));
  assert.ok(fractions.every((f) => f >= 0 && f < 0.1));
  assert.ok(new Set(fractions.map((f) => f.toFixed(3))).size > 50, 'spread out');
  assert.equal(jitterFraction('uid-7'), jitterFraction('uid-7'));
  const t = Date.parse('2026-01-01T00:00:00Z');
  const next = nextRefreshInMs(es({ refreshInterval: '1h' }), t, t)!;
  assert.ok(next >= 3_600_000 && next < 3_960_000);
});

test('spec validation names the field and the fix', () => {
  assert.match(validateExternalSecret({ target: { creationPolicy: 'None', deletionPolicy: 'Merge' }, data: [{ secretKey: 'a', remoteRef: { key: 'k' } }] })?.message ?? '', /Merge cannot be used with creationPolicy None/);
  assert.match(validateExternalSecret({ refreshInterval: 'hourly', data: [{ secretKey: 'a', remoteRef: { key: 'k' } }] })?.message ?? '', /spec\.refreshInterval: invalid duration "hourly"/);
  assert.match(validateExternalSecret({ dataFrom: [{ extract: { key: 'a' }, find: { path: 'b' } }] })?.message ?? '', /spec\.dataFrom\[0\]: extract, find and sourceRef\.generatorRef are mutually exclusive/);
  assert.match(validateExternalSecret({ dataFrom: [{ extract: { key: 'a' }, rewrite: [{ merge: {} }] }] })?.message ?? '', /rewrite\[0\]\.merge: merge rewrites are not supported yet/);
  assert.equal(validateExternalSecret({ target: { deletionPolicy: 'Delete' }, data: [{ secretKey: 'a', remoteRef: { key: 'k' } }, { secretKey: 'a', remoteRef: { key: 'j' } }] }), undefined, 'duplicate keys are allowed outside Retain, as in ESO');
});
