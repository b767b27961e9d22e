/**
 * The `hush controller` command as an operator runs it: two replicas with
 * leader election (hand-over when the leader stops), graceful stop on
 * SIGTERM, and watches that resume after a kube-apiserver restart.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ExternalSecrets, Secrets, createNamespace, createVaultTokenStore, getSecret, harness, putVaultKv2, secretStrings, uniqueName, waitReady, type Harness } from './harness.ts';
import { SecretStores } from '../../src/controllers/resources.ts';
import { Leases } from '../../src/kube/resources.ts';
import { startComponent, stopComponent, waitFor } from '../support/index.ts';

let h: Harness;
const children = new Set<ChildProcess>();

before(async () => {
  h = await harness();
});
after(() => {
  for (const c of children) c.kill('SIGKILL');
});

interface Proc {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startHush(args: string[]): Proc {
  const child = spawn(process.execPath, [join(import.meta.dirname, '../../bin/hush.js'), 'controller', '--kubeconfig', h.env.kubeconfig, '--metrics-addr', '0', '--health-addr', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => { children.delete(child); resolve(code); }));
  return { child, output: () => out, exited };
}

interface LeaseView {
  metadata: { name: string };
  spec?: { holderIdentity?: string };
}

test('two replicas: one leads; when it stops, the other takes over and keeps Secrets in sync', async () => {
  const leaseNs = await createNamespace(h.kube, 'lease');
  const id = uniqueName('hush-le');
  const args = ['--enable-leader-election', '--leader-election-namespace', leaseNs, '--leader-election-id', id];
  const a = startHush(args);
  const b = startHush(args);
  const holder = await waitFor(async () => (await h.kube.get<LeaseView>(Leases, id, leaseNs))?.spec?.holderIdentity || undefined, { timeoutMs: 30_000, message: 'a leader' });
  const leaderProc = a.output().includes(holder) ? a : b.output().includes(holder) ? b : undefined;
  await waitFor(() => (a.output() + b.output()).includes('became leader'), { timeoutMs: 10_000, message: 'leader log line' });
  const leader = leaderProc ?? (a.output().includes('became leader') ? a : b);
  const follower = leader === a ? b : a;

  const ns = await createNamespace(h.kube);
  const p = uniqueName('le');
  await putVaultKv2(h.env, `${p}/k`, { v: 'one' });
  await createVaultTokenStore(h, ns);
  await waitReady(h.kube, SecretStores, ns, 'vault');
  await h.kube.create(ExternalSecrets, {
    apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'le', namespace: ns },
    spec: { refreshInterval: '1s', secretStoreRef: { name: 'vault' }, data: [{ secretKey: 'v', remoteRef: { key: `${p}/k`, property: 'v' } }] },
  } as never);
  await waitFor(async () => secretStrings(await getSecret(h.kube, ns, 'le')).v === 'one', { timeoutMs: 20_000, message: 'synced by the leader' });

  leader.child.kill('SIGTERM');
  const code = await leader.exited;
  assert.equal(code, 0, `leader exits cleanly on SIGTERM:\n${leader.output().slice(-2000)}`);
  const t0 = Date.now();
  await waitFor(() => follower.output().includes('became leader'), { timeoutMs: 20_000, message: 'follower takes over' });
  const handOverMs = Date.now() - t0;
  assert.ok(handOverMs < 10_000, `hand-over took ${handOverMs} ms (the old leader released its Lease)`);
  await putVaultKv2(h.env, `${p}/k`, { v: 'two' });
  await waitFor(async () => secretStrings(await getSecret(h.kube, ns, 'le')).v === 'two', { timeoutMs: 20_000, message: 'synced by the new leader' });
  follower.child.kill('SIGTERM');
  assert.equal(await follower.exited, 0);
});

test('watches resume after a kube-apiserver restart: changes made afterwards are still seen', async () => {
  const ctl = startHush([]);
  try {
    await waitFor(() => ctl.output().includes('caches synced'), { timeoutMs: 30_000, message: 'controller started' });
    const ns = await createNamespace(h.kube);
    const p = uniqueName('restart');
    await putVaultKv2(h.env, `${p}/k`, { v: 'before' });
    await createVaultTokenStore(h, ns);
    await waitReady(h.kube, SecretStores, ns, 'vault');
    await h.kube.create(ExternalSecrets, {
      apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'r', namespace: ns },
      spec: { refreshInterval: '1h', secretStoreRef: { name: 'vault' }, data: [{ secretKey: 'v', remoteRef: { key: `${p}/k`, property: 'v' } }] },
    } as never);
    await waitFor(async () => secretStrings(await getSecret(h.kube, ns, 'r')).v === 'before', { timeoutMs: 20_000 });

    await stopComponent(h.env, 'kube-apiserver');
    await startComponent(h.env, 'kube-apiserver');
    await waitFor(async () => (await h.kube.get(Secrets, 'r', ns)) !== undefined, { timeoutMs: 60_000, message: 'apiserver back' });

    // A deleted Secret is only restored if the Secret watch came back.
    await h.kube.delete(Secrets, 'r', ns);
    await waitFor(async () => secretStrings(await getSecret(h.kube, ns, 'r')).v === 'before', { timeoutMs: 30_000, message: 'drift repaired after the restart' });
    // And a new ExternalSecret is only seen if the ExternalSecret watch came back.
    await h.kube.create(ExternalSecrets, {
      apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'r2', namespace: ns },
      spec: { secretStoreRef: { name: 'vault' }, data: [{ secretKey: 'v', remoteRef: { key: `${p}/k`, property: 'v' } }] },
    } as never);
    await waitFor(async () => secretStrings(await getSecret(h.kube, ns, 'r2')).v === 'before', { timeoutMs: 30_000, message: 'new ExternalSecret synced after the restart' });
  } finally {
    ctl.child.kill('SIGTERM');
    await ctl.exited;
  }
});
