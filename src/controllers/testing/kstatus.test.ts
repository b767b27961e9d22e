/**
 * Self-test of the kstatus oracle on objects whose verdict kstatus documents,
 * so tests that lean on it (Flux `wait: true`, Argo CD-style health) can
 * trust it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { kstatusOf, kstatusOracle } from './kstatus.ts';

const oracle = kstatusOracle();

const cr = (generation: number, status: Record<string, unknown>) => ({
  apiVersion: 'external-secrets.io/v1',
  kind: 'ExternalSecret',
  metadata: { name: 'es', namespace: 'ns', generation },
  status,
});
const cond = (type: string, status: string, reason = 'R', message = `${type} is ${status}`) => ({ type, status, reason, message });

describe('kstatus oracle', { skip: oracle.skip }, () => {
  test('well-known verdicts', async () => {
    const got = await kstatusOf([
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'ns', generation: 3 }, spec: { replicas: 1 }, status: { observedGeneration: 2 } },
      cr(1, { observedGeneration: 1, conditions: [cond('Stalled', 'True', 'Broken', 'store auth failed'), cond('Ready', 'False')] }),
      cr(4, { observedGeneration: 4, conditions: [cond('Ready', 'True')] }),
      cr(4, { observedGeneration: 3, conditions: [cond('Ready', 'True')] }),
      cr(2, { observedGeneration: 2, conditions: [cond('Ready', 'False', 'SecretSyncedError', 'could not read')] }),
      cr(2, { observedGeneration: 2, conditions: [cond('Reconciling', 'True', 'Progressing', 'working')] }),
      cr(1, {}),
    ]);
    assert.deepEqual(got.map((r) => r.status), ['InProgress', 'Failed', 'Current', 'InProgress', 'InProgress', 'InProgress', 'Current']);
    assert.equal(got[0]!.message, 'Deployment generation is 3, but latest observed generation is 2');
    assert.equal(got[1]!.message, 'store auth failed');
    assert.equal(got[2]!.message, 'Resource is Ready');
    assert.equal(got[4]!.message, 'could not read');
  });

  test('precedence: an unobserved generation beats Stalled; of Reconciling and Stalled the first listed wins', async () => {
    const got = await kstatusOf([
      cr(2, { observedGeneration: 1, conditions: [cond('Stalled', 'True')] }),
      cr(2, { observedGeneration: 2, conditions: [cond('Stalled', 'True'), cond('Reconciling', 'True')] }),
      cr(2, { observedGeneration: 2, conditions: [cond('Reconciling', 'True'), cond('Stalled', 'True')] }),
      cr(2, { conditions: [cond('Ready', 'Unknown')] }),
    ]);
    assert.deepEqual(got.map((r) => r.status), ['InProgress', 'Failed', 'InProgress', 'InProgress']);
  });

  test('an object being deleted is Terminating whatever its conditions say', async () => {
    const [r] = await kstatusOf([{ ...cr(1, { observedGeneration: 1, conditions: [cond('Ready', 'True')] }), metadata: { name: 'es', namespace: 'ns', generation: 1, deletionTimestamp: '2026-01-01T00:00:00Z' } }]);
    assert.equal(r!.status, 'Terminating');
  });
});
