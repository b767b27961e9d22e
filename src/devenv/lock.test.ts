import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, test } from 'node:test';
import { withLock } from './lock.ts';

const dir = mkdtempSync(join(tmpdir(), 'hush-lock-'));
after(() => rmSync(dir, { recursive: true, force: true }));

void test('holders of the same lock run one after the other', async () => {
  const file = join(dir, 'serial');
  const events: string[] = [];
  const holder = (name: string) => withLock(file, async () => {
    events.push(`${name} in`);
    await sleep(100);
    events.push(`${name} out`);
  });
  await Promise.all([holder('a'), holder('b')]);
  // Whichever got it first, the other entered only after it left.
  assert.deepEqual(events.map((e) => e.split(' ')[1]), ['in', 'out', 'in', 'out']);
  assert.equal(events[0]?.[0], events[1]?.[0]);
});

void test('a lock left by a process that died is taken over', async () => {
  const file = join(dir, 'stale');
  writeFileSync(file, '999999999'); // no such pid
  assert.equal(await withLock(file, () => Promise.resolve('got it'), 1_000), 'got it');
});
