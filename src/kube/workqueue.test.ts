import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { runWorkers, WorkQueue } from './workqueue.ts';

void test('a key added many times is handed out once', async () => {
  const q = new WorkQueue();
  q.add('a');
  q.add('b');
  q.add('a');
  q.add('a');
  assert.equal(q.len(), 2);
  assert.equal(await q.get(), 'a');
  assert.equal(await q.get(), 'b');
  // Positive sentinel: a key added afterwards is the next one out, so no second "a" was queued.
  q.add('sentinel');
  assert.equal(await q.get(), 'sentinel');
  assert.equal(q.len(), 0);
  q.shutDown();
});

void test('a key added while being processed is queued again after done(), never handed out twice at once', async () => {
  const q = new WorkQueue();
  q.add('a');
  const key = await q.get();
  assert.equal(key, 'a');
  q.add('a');
  q.add('a');
  assert.equal(q.len(), 0, 'not queued while in progress');
  q.done('a');
  assert.equal(q.len(), 1, 'queued once after done');
  assert.equal(await q.get(), 'a');
  q.done('a');
  assert.equal(q.len(), 0);
  q.shutDown();
});

void test('a waiting get() is woken by add()', async () => {
  const q = new WorkQueue();
  const pending = q.get();
  q.add('x');
  assert.equal(await pending, 'x');
  q.shutDown();
});

void test('addRateLimited backs off exponentially per key, capped at maxDelayMs; forget() resets', () => {
  const q = new WorkQueue({ baseDelayMs: 10, maxDelayMs: 100, jitter: 0, qps: Infinity });
  const delays = Array.from({ length: 6 }, () => q.addRateLimited('k'));
  assert.deepEqual(delays, [10, 20, 40, 80, 100, 100]);
  assert.equal(q.numRequeues('k'), 6);
  assert.equal(q.addRateLimited('other'), 10, 'failures are counted per key');
  q.forget('k');
  assert.equal(q.numRequeues('k'), 0);
  assert.equal(q.addRateLimited('k'), 10);
  // 2^n overflows for large n; the cap must still hold.
  for (let i = 0; i < 2000; i++) q.addRateLimited('many');
  assert.equal(q.addRateLimited('many'), 100);
  q.shutDown();
});

void test('jitter stays within [delay, delay·(1+jitter)] and never passes the cap', () => {
  for (const r of [0, 0.25, 0.5, 0.999]) {
    const q = new WorkQueue({ baseDelayMs: 100, maxDelayMs: 150, jitter: 0.4, qps: Infinity, random: () => r });
    const first = q.addRateLimited('x');
    assert.equal(first, 100 * (1 + 0.4 * r));
    assert.ok(first >= 100 && first <= 140);
    assert.equal(q.addRateLimited('x'), 150, 'second (200 ms) is capped and jitter does not push it past the cap');
    q.shutDown();
  }
  // With the real random source the spread shows up and stays in bounds.
  const q = new WorkQueue({ baseDelayMs: 1000, jitter: 0.2, qps: Infinity });
  const samples = Array.from({ length: 200 }, (_, i) => q.addRateLimited(`k${i}`));
  assert.ok(samples.every((d) => d >= 1000 && d <= 1200));
  assert.ok(new Set(samples).size > 100, 'delays are spread, not identical');
  q.shutDown();
});

void test('the global bucket delays keys once the burst is spent, whatever their own backoff', () => {
  let now = 1000;
  const q = new WorkQueue({ baseDelayMs: 1, maxDelayMs: 1, jitter: 0, qps: 10, burst: 3, now: () => now });
  // Burst of 3 goes at the per-key delay (1 ms); then one token per 100 ms.
  assert.deepEqual(
    ['a', 'b', 'c', 'd', 'e'].map((k) => q.addRateLimited(k)),
    [1, 1, 1, 100, 200],
  );
  // Tokens refill with time: 1 s later the debt (2) is paid and 8 tokens are back.
  now += 1000;
  assert.equal(q.addRateLimited('f'), 1);
  q.shutDown();
});

void test('a rate-limited key arrives after its delay', async () => {
  const q = new WorkQueue({ baseDelayMs: 40, jitter: 0 });
  const t0 = Date.now();
  assert.equal(q.addRateLimited('k'), 40);
  assert.equal(q.len(), 0, 'not ready before its delay');
  assert.equal(await q.get(), 'k');
  const waited = Date.now() - t0;
  assert.ok(waited >= 35 && waited < 1000, `waited ${waited} ms`);
  q.shutDown();
});

void test('addAfter delivers after the delay; calling again with an earlier time wins, a later one does not', async () => {
  const q = new WorkQueue();
  const t0 = Date.now();
  q.addAfter('slow', 5000);
  q.addAfter('slow', 30);
  q.addAfter('slow', 10_000);
  assert.equal(q.len(), 0);
  assert.equal(q.delayedLen(), 1);
  assert.equal(await q.get(), 'slow');
  const waited = Date.now() - t0;
  assert.ok(waited >= 25 && waited < 1000, `waited ${waited} ms`);
  q.done('slow');
  q.shutDown();
});

void test('delayed keys come out in time order from one timer', async () => {
  const q = new WorkQueue();
  q.addAfter('c', 60);
  q.addAfter('a', 20);
  q.addAfter('b', 40);
  const order: string[] = [];
  for (let i = 0; i < 3; i++) {
    const k = (await q.get())!;
    order.push(k);
    q.done(k);
  }
  assert.deepEqual(order, ['a', 'b', 'c']);
  q.shutDown();
});

void test('a huge delay is clamped, not turned into an immediate wake-up', async () => {
  const q = new WorkQueue();
  q.addAfter('far', 2 ** 40);
  // Positive sentinel: a key due in 30 ms comes out first; an overflowed timer would have fired "far" at once.
  q.addAfter('near', 30);
  assert.equal(await q.get(), 'near');
  assert.equal(q.delayedLen(), 1, '"far" is still waiting');
  q.shutDown();
});

void test('shutDown hands out what is queued, then undefined; adds are ignored; delayed keys dropped', async () => {
  const q = new WorkQueue();
  q.add('a');
  q.addAfter('later', 10);
  const idle = new WorkQueue();
  const idleGet = idle.get();
  idle.shutDown();
  assert.equal(await idleGet, undefined, 'a waiting get() is released');
  q.shutDown();
  q.add('b');
  assert.equal(await q.get(), 'a');
  assert.equal(await q.get(), undefined);
  // The delayed key is gone from the heap, not just late: nothing can come out of it.
  assert.equal(q.delayedLen(), 0);
  assert.equal(await q.get(), undefined);
});

void test('shutDownWithDrain waits for keys in progress, and gives up at its timeout', async () => {
  const q = new WorkQueue();
  q.add('a');
  const key = (await q.get())!;
  let drained = false;
  const drain = q.shutDownWithDrain(5000).then(() => (drained = true));
  // The drain resolves only from done() or its 5 s timeout, so one turn of the event loop shows it waiting.
  await new Promise((r) => setImmediate(r));
  assert.equal(drained, false, 'still processing');
  q.done(key);
  await drain;
  assert.equal(drained, true);

  const stuck = new WorkQueue();
  stuck.add('s');
  await stuck.get();
  const t0 = Date.now();
  await stuck.shutDownWithDrain(50);
  assert.ok(Date.now() - t0 >= 45, 'returned at the timeout while a key is still in progress');
});

void test('runWorkers processes keys concurrently up to the limit, never the same key twice at once', async () => {
  const q = new WorkQueue();
  const ac = new AbortController();
  let active = 0;
  let maxActive = 0;
  const activeKeys = new Set<string>();
  const seen: string[] = [];
  let overlapped = false;
  const run = runWorkers(
    q,
    3,
    async (key) => {
      if (activeKeys.has(key)) overlapped = true;
      activeKeys.add(key);
      active++;
      maxActive = Math.max(maxActive, active);
      seen.push(key);
      await sleep(10);
      active--;
      activeKeys.delete(key);
      q.forget(key);
    },
    ac.signal,
  );
  for (let i = 0; i < 10; i++) q.add(`k${i}`);
  await sleep(5);
  q.add('k0'); // re-added while k0 is in progress
  while (seen.length < 11) await sleep(5);
  ac.abort();
  await run;
  assert.equal(maxActive, 3);
  assert.equal(overlapped, false);
  assert.equal(seen.filter((k) => k === 'k0').length, 2);
});

void test('runWorkers re-adds a key whose handler throws, with backoff, and reports the error', async () => {
  const q = new WorkQueue({ baseDelayMs: 5, jitter: 0 });
  const ac = new AbortController();
  const errors: string[] = [];
  let calls = 0;
  const run = runWorkers(
    q,
    1,
    async (key) => {
      calls++;
      if (calls < 3) throw new Error(`boom ${calls}`);
      q.forget(key);
      ac.abort();
      await Promise.resolve();
    },
    ac.signal,
    { onError: (key, err) => errors.push(`${key}: ${(err as Error).message}`) },
  );
  q.add('x');
  await run;
  assert.equal(calls, 3);
  assert.deepEqual(errors, ['x: boom 1', 'x: boom 2']);
  assert.equal(q.numRequeues('x'), 0);
});
