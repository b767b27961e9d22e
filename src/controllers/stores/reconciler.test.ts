import assert from 'node:assert/strict';
import { test } from 'node:test';
import { storeRefreshMs } from './reconciler.ts';
import type { StoreObject } from './types.ts';

const store = (refreshInterval: unknown) => ({ metadata: { name: 's' }, spec: { provider: { fake: {} }, refreshInterval } }) as unknown as StoreObject;

test('decision table: how often a store is validated (ESO: seconds or a Go duration; empty or 0 means the default)', () => {
  const rows: [unknown, number][] = [
    [undefined, 300_000],
    ['', 300_000],
    [0, 300_000],
    ['0', 300_000],
    [30, 30_000],
    ['45', 45_000],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
  ];
  for (const [input, want] of rows) assert.equal(storeRefreshMs(store(input)), want, JSON.stringify(input));
  assert.throws(() => storeRefreshMs(store('soon')), /spec\.refreshInterval/);
});
