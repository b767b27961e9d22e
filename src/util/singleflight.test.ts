import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SingleFlight } from './singleflight.ts';

test('callers during a run share it; the next call after it settles starts a new one, also after a failure', async () => {
  const sf = new SingleFlight<number>();
  let runs = 0;
  const job = () => new Promise<number>((r) => setTimeout(() => r(++runs), 10));
  const [a, b, c] = await Promise.all([sf.run(job), sf.run(job), sf.run(job)]);
  assert.deepEqual([a, b, c], [1, 1, 1]);
  assert.equal(sf.busy, false);
  await assert.rejects(sf.run(() => Promise.reject(new Error('login failed'))), /login failed/);
  assert.equal(await sf.run(job), 2);
});
