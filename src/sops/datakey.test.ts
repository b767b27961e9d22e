/**
 * recoverDataKey with key groups: the shares come from the file (each group's
 * master key unwraps to one), so their size is the tenant's. The unwrap seam
 * hands back shares made by splitSecret, as the master keys would.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { recoverDataKey } from './codec.ts';
import { splitSecret } from './shamir.ts';
import type { AgeKey, Metadata } from './metadata.ts';

function metadata(groups: number, threshold: number): Metadata {
  const keyGroups = Array.from({ length: groups }, (_, i): AgeKey[] => [{ type: 'age', recipient: `age1group${i}`, enc: `share-${i}` }]);
  return { keyGroups, shamirThreshold: threshold, lastModified: '2026-01-01T00:00:00Z', mac: '', rule: {} as Metadata['rule'], macOnlyEncrypted: false, version: '3.9.0' };
}

const ctx = { env: {}, home: '' };

test('the data key is rebuilt from the shares of a threshold of key groups', async () => {
  const key = randomBytes(32);
  const shares = splitSecret(key, 5, 3);
  const got = await recoverDataKey(metadata(5, 3), ctx, (k) => Promise.resolve(shares[Number((k as AgeKey).enc.split('-')[1])]!));
  assert.deepEqual(got, key);
});

test('a share that is not 33 bytes is refused before any combining', async () => {
  const oversized = Buffer.alloc(8192, 7);
  await assert.rejects(
    recoverDataKey(metadata(64, 64), ctx, () => Promise.resolve(oversized)),
    (err: Error & { code?: string }) => err.code === 'InvalidData' && /share 1: a share of the data key must be 33 bytes, not 8192/.test(err.message),
  );
});
