import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, portIsFree } from './ports.ts';
import { isRunning, startDetached, stopProcess } from './processes.ts';

const dir = mkdtempSync(join(tmpdir(), 'hush-proc-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** pgid and session id, fields 5 and 6 of /proc/pid/stat. */
function groupAndSession(pid: number): [number, number] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return [Number(fields[2]), Number(fields[3])];
}

void test('a started process runs in its own session, so it outlives the command and its terminal', async () => {
  const log = join(dir, 'sleep.log');
  const proc = startDetached({ bin: '/bin/sleep', args: ['30'], logFile: log });
  try {
    assert.equal(isRunning(proc), true);
    assert.deepEqual(groupAndSession(proc.pid), [proc.pid, proc.pid]);
    assert.match(readFileSync(log, 'utf8'), /starting \/bin\/sleep 30/, 'the log records the command line');
  } finally {
    await stopProcess(proc, 2_000);
  }
  assert.equal(isRunning(proc), false);
});

void test('a process that ignores SIGTERM is killed once the grace period is over', async () => {
  const log = join(dir, 'stubborn.log');
  const proc = startDetached({ bin: '/bin/bash', args: ['-c', 'trap "" TERM; echo ready; while :; do sleep 0.05; done'], logFile: log });
  while (!readFileSync(log, 'utf8').includes('ready\n')) await sleep(10); // the trap is set
  const t0 = Date.now();
  await stopProcess(proc, 300);
  assert.equal(isRunning(proc), false);
  assert.ok(Date.now() - t0 >= 300, 'it was given the grace period first');
});

void test('a pid is not mistaken for ours when another program has it', () => {
  const proc = startDetached({ bin: '/bin/sleep', args: ['30'], logFile: join(dir, 'other.log') });
  try {
    assert.equal(isRunning({ pid: proc.pid, bin: '/usr/bin/etcd' }), false);
    assert.equal(isRunning({ pid: process.pid, bin: '/bin/sleep' }), false);
  } finally {
    process.kill(-proc.pid, 'SIGKILL');
  }
});

void test('once stopProcess resolves, a multi-threaded program has let go of its port', async () => {
  // Node, like etcd and kube-apiserver, runs several threads; the leader turns zombie before the
  // others are gone, and the listening socket lives as long as any of them. Several rounds,
  // because it is a race: without waiting for the threads most rounds find the port taken.
  let taken = 0;
  for (let i = 0; i < 6; i++) {
    const port = await freePort();
    const log = join(dir, `listener-${i}.log`);
    const script = `require('node:net').createServer().listen(${port}, '127.0.0.1', () => console.log('listening'))`;
    const proc = startDetached({ bin: process.execPath, args: ['-e', script], logFile: log });
    while (!readFileSync(log, 'utf8').includes('listening\n')) await sleep(10);
    await stopProcess(proc, 0);
    if (!(await portIsFree(port))) taken++;
  }
  assert.equal(taken, 0, `the port was still taken after ${taken} of 6 stops`);
});
