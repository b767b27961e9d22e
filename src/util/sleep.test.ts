import assert from 'node:assert/strict';
import { test } from 'node:test';
import { abortableSleep } from './sleep.ts';

test('abortableSleep waits the time, or ends as soon as the signal aborts', async () => {
  let t0 = performance.now();
  await abortableSleep(60, undefined);
  assert.ok(performance.now() - t0 >= 55, 'waited');

  const ac = new AbortController();
  t0 = performance.now();
  setTimeout(() => ac.abort(), 20);
  await abortableSleep(10_000, ac.signal);
  assert.ok(performance.now() - t0 < 2000, 'ended at the abort, not after 10 s');

  t0 = performance.now();
  await abortableSleep(10_000, ac.signal);
  assert.ok(performance.now() - t0 < 50, 'an aborted signal does not wait at all');
});
