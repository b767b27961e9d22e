/**
 * The checks up() makes before it starts anything: a component set that lacks what a member
 * needs, and an existing environment asked for other kube-apiserver flags than it was created
 * with. Neither may start a process, so these run without any binaries.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { HushError } from '../util/errors.ts';
import { up } from './cluster.ts';
import { layout, readState, writeState, type DevEnvState } from './state.ts';

const dir = mkdtempSync(join(tmpdir(), 'hush-cluster-'));
after(() => rmSync(dir, { recursive: true, force: true }));
// Should a check be missing, up() must fail on the binaries rather than start anything.
process.env.HUSH_KUBE_BIN_DIR = join(dir, 'no-binaries');

function recorded(apiserverArgs?: string[]): DevEnvState {
  return {
    version: 1,
    createdAt: new Date(0).toISOString(),
    ports: { etcd: 1, etcdPeer: 2, apiserver: 3, controllerManager: 4, openbao: 5 },
    openbaoRootToken: 'unused',
    kubeBinDir: '/nonexistent',
    baoBin: '',
    ...(apiserverArgs ? { apiserverArgs } : {}),
    processes: {},
  };
}

const invalidConfig = (pattern: RegExp) => (err: unknown): boolean => {
  assert.ok(err instanceof HushError);
  assert.equal(err.code, 'InvalidConfig');
  assert.match(err.message, pattern);
  return true;
};

void test('a component without the one it runs on is refused', async () => {
  const stateDir = join(dir, 'deps');
  await assert.rejects(up({ stateDir, components: ['kube-apiserver'] }), invalidConfig(/kube-apiserver cannot run without etcd/));
  await assert.rejects(up({ stateDir, components: ['etcd', 'kube-controller-manager'] }), invalidConfig(/without kube-apiserver/));
  assert.equal(await readState(layout(stateDir)), undefined, 'no environment was created');
});

void test('kube-apiserver flags are fixed when the environment is created', async () => {
  const stateDir = join(dir, 'flags');
  await writeState(layout(stateDir), recorded(['--watch-cache-sizes=configmaps#0']));
  await assert.rejects(
    up({ stateDir, components: ['etcd', 'kube-apiserver'], apiserverArgs: ['--watch-cache=false'] }),
    invalidConfig(/created with other kube-apiserver flags/),
  );
  await assert.rejects(up({ stateDir, components: ['etcd', 'kube-apiserver'], apiserverArgs: [] }), invalidConfig(/other kube-apiserver flags/));
  const after = await readState(layout(stateDir));
  assert.deepEqual(after?.apiserverArgs, ['--watch-cache-sizes=configmaps#0'], 'the recorded flags are kept');
  assert.deepEqual(after?.processes, {}, 'nothing was started');
});
