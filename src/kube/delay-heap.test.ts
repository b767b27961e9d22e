import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff } from './backoff.ts';
import { clampDelay, DelayHeap } from './delay-heap.ts';

void test('the delay heap hands out due keys in time order, each once, with the earliest schedule winning', () => {
  const h = new DelayHeap<string>();
  const times = [50, 10, 40, 30, 20, 60, 5];
  times.forEach((t, i) => h.scheduleEarliest(`k${i}`, t));
  assert.equal(h.scheduleEarliest('k0', 70), false, 'a later time is ignored');
  assert.equal(h.scheduleEarliest('k5', 1), true, 'an earlier one moves the key');
  assert.equal(h.size, 7);
  assert.equal(h.peekTime(), 1);
  assert.deepEqual(h.popDue(25), ['k5', 'k6', 'k1', 'k4']);
  assert.deepEqual(h.popDue(25), []);
  h.delete('k3');
  assert.deepEqual(h.popDue(1000), ['k2', 'k0']);
  assert.equal(h.size, 0);
  assert.equal(h.peekTime(), undefined);
});

void test('delays beyond what Node timers hold are clamped', () => {
  assert.equal(clampDelay(2 ** 40), 2 ** 31 - 1);
  assert.equal(clampDelay(Infinity), 2 ** 31 - 1);
  assert.equal(clampDelay(-5), 0);
  assert.equal(clampDelay(1234), 1234);
});

void test('reconnect backoff doubles up to its cap, with jitter in [ceiling/2, ceiling], and resets', () => {
  const low = new Backoff(800, 30_000, () => 0);
  assert.deepEqual(Array.from({ length: 8 }, () => low.next()), [400, 800, 1600, 3200, 6400, 12800, 15000, 15000]);
  const high = new Backoff(800, 30_000, () => 1);
  assert.deepEqual(Array.from({ length: 7 }, () => high.next()), [800, 1600, 3200, 6400, 12800, 25600, 30000]);
  high.reset();
  assert.equal(high.next(), 800);
});
