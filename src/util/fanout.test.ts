import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachLimited } from './fanout.ts';

/** Calls that finish only when the test says so, recording which are in flight. */
function gate() {
  const running = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  let peak = 0;
  const started: number[] = [];
  let onStart: (() => void) | undefined;
  const fn = (item: number): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      started.push(item);
      running.set(item, { resolve: () => (running.delete(item), resolve()), reject: (e) => (running.delete(item), reject(e)) });
      peak = Math.max(peak, running.size);
      onStart?.();
    });
  /** Resolves once `n` calls have started in total. */
  const startedCount = (n: number): Promise<void> =>
    new Promise((resolve) => {
      const check = (): void => {
        if (started.length >= n) resolve();
      };
      onStart = check;
      check();
    });
  return { fn, running, started, startedCount, peak: () => peak };
}

test('never more than `limit` calls in flight, and every item runs once', { timeout: 5000 }, async () => {
  const g = gate();
  const done = forEachLimited([1, 2, 3, 4, 5, 6, 7], 3, g.fn);
  for (let n = 3; n <= 7; n++) {
    await g.startedCount(n);
    assert.equal(g.running.size, 3, `after ${n} starts`);
    g.running.values().next().value!.resolve();
  }
  for (const r of [...g.running.values()]) r.resolve();
  await done;
  assert.equal(g.peak(), 3);
  assert.deepEqual([...g.started].sort(), [1, 2, 3, 4, 5, 6, 7]);
});

test('after a failure no new item starts, running calls finish first, and the first error is thrown as it is', { timeout: 5000 }, async () => {
  const g = gate();
  let settled = false;
  const done = forEachLimited([1, 2, 3, 4, 5], 2, g.fn).finally(() => (settled = true));
  await g.startedCount(2);
  const boom = new TypeError('store said no');
  g.running.get(1)!.reject(boom);
  // Item 2 is still running: the fan-out must not have settled, and 3.. must not have started.
  await new Promise((r) => setImmediate(r));
  assert.equal(settled, false);
  assert.deepEqual(g.started, [1, 2]);
  g.running.get(2)!.reject(new Error('second'));
  await assert.rejects(done, (err) => err === boom);
  assert.deepEqual(g.started, [1, 2]);
});

test('an aborted signal stops new items', { timeout: 5000 }, async () => {
  const g = gate();
  const ac = new AbortController();
  const done = forEachLimited([1, 2, 3], 1, g.fn, { signal: ac.signal });
  await g.startedCount(1);
  ac.abort(new Error('shutting down'));
  g.running.get(1)!.resolve();
  await assert.rejects(done, /shutting down/);
  assert.deepEqual(g.started, [1]);
});

test('no items, or a nonsense limit, still works', { timeout: 5000 }, async () => {
  await forEachLimited([], 4, () => Promise.reject(new Error('never called')));
  const seen: number[] = [];
  await forEachLimited([1, 2], 0, (x) => {
    seen.push(x);
    return Promise.resolve();
  });
  assert.deepEqual(seen, [1, 2]);
});
