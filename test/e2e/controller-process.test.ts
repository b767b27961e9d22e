/**
 * The `hush controller` command as an operator runs it: two replicas with
 * leader election (hand-over when the leader stops), graceful stop on
 * SIGTERM, and watches that resume after a kube-apiserver restart.
 */
import { after, before, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { cleanupCreated, created, ExternalSecrets, Secrets, createNamespace, createVaultTokenStore, getSecret, harness, putVaultKv2, secretStrings, uniqueName, waitReady, type Harness } from '../support/harness.ts';
import { SecretStores } from '../../src/controllers/resources.ts';
import { devEnvVars } from '../../src/cli/dev.ts';
import { Leases } from '../../src/kube/resources.ts';
import { startComponent, stopComponent, waitFor } from '../support/index.ts';
import { freePort } from '../../src/devenv/ports.ts';

let h: Harness;
const children = new Set<ChildProcess>();

before(async () => {
  h = await harness();
});
after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await cleanupCreated();
});

interface Proc {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startHush(args: string[]): Proc {
  const child = spawn(process.execPath, [join(import.meta.dirname, '../../bin/hush.js'), 'controller', '--kubeconfig', h.env.kubeconfig, '--metrics-addr', '0', '--health-addr', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // As after eval "$(hush dev env)": HUSH_EGRESS_ALLOW lets the controller reach the loopback stores.
    env: { ...process.env, ...Object.fromEntries(devEnvVars(h.env)) },
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


test('metrics and health endpoints: ESO metric names, /healthz, /readyz once caches are synced', async () => {
  const [metricsPort, healthPort] = [await freePort(), await freePort()];
  const ctl = startHush(['--metrics-addr', `127.0.0.1:${metricsPort}`, '--health-addr', `127.0.0.1:${healthPort}`]);
  try {
    await waitFor(() => ctl.output().includes('caches synced'), { timeoutMs: 30_000, message: 'controller started' });
    const ns = await createNamespace(h.kube);
    const p = uniqueName('metrics');
    await putVaultKv2(h.env, `${p}/k`, { v: 'm' });
    await createVaultTokenStore(h, ns);
    await waitReady(h.kube, SecretStores, ns, 'vault');
    await h.kube.create(ExternalSecrets, {
      apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'm', namespace: ns },
      spec: { secretStoreRef: { name: 'vault' }, data: [{ secretKey: 'v', remoteRef: { key: `${p}/k`, property: 'v' } }] },
    } as never);
    await waitReady(h.kube, ExternalSecrets, ns, 'm');
    assert.equal((await fetch(`http://127.0.0.1:${healthPort}/healthz`)).status, 200);
    assert.equal((await fetch(`http://127.0.0.1:${healthPort}/readyz`)).status, 200);
    const text = await waitFor(async () => {
      const t = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      return t.includes(`externalsecret_status_condition{name="m",namespace="${ns}",condition="Ready",status="True"} 1`) ? t : undefined;
    }, { timeoutMs: 10_000, message: 'metrics' });
    assert.match(text, new RegExp(`externalsecret_sync_calls_total\\{name="m",namespace="${ns}"\\} [1-9]`));
    assert.match(text, /externalsecret_provider_api_calls_count\{provider="HashiCorp\/Vault",call="ReadSecretData",status="success"\} [1-9]/);
    assert.match(text, /# TYPE externalsecret_sync_calls_error counter/);
    const logLines = ctl.output().trim().split('\n').filter((l) => l.startsWith('{'));
    assert.ok(logLines.length > 0 && logLines.every((l) => typeof (JSON.parse(l) as { msg?: unknown }).msg === 'string'), 'structured JSON logs');
  } finally {
    ctl.child.kill('SIGTERM');
    await ctl.exited;
  }
});

test('deploy/ applies with kubectl apply -k: CRDs, namespace, RBAC and a Deployment that rolls out a ReplicaSet', async () => {
  const { kubectl, getJson } = await import('../support/index.ts');
  const deployDir = join(import.meta.dirname, '../../deploy');
  // Everything deploy/ made goes again at the end, except the CRDs, which the other files share.
  created.add('deploy/ without its CRDs', async () => {
    const docs = parseAllDocuments(await kubectl(h.env, ['kustomize', deployDir])).map((d) => d.toJS() as { kind?: string });
    const rest = docs.filter((d) => d.kind !== undefined && d.kind !== 'CustomResourceDefinition');
    await kubectl(h.env, ['delete', '--ignore-not-found', '--timeout=60s', '-f', '-'], { input: rest.map((d) => JSON.stringify(d)).join('\n'), timeoutMs: 90_000 });
  });
  const out = await kubectl(h.env, ['apply', '-k', deployDir]);
  assert.match(out, /clusterrole\.rbac\.authorization\.k8s\.io\/hush-controller (created|configured|unchanged)/);
  assert.match(out, /deployment\.apps\/hush-controller (created|configured|unchanged)/);
  assert.match(out, /customresourcedefinition\.apiextensions\.k8s\.io\/externalsecrets\.external-secrets\.io/);
  // No kubelet runs here, so pods stay Pending; the ReplicaSet shows the Deployment is valid and rolling out.
  await waitFor(async () => ((await getJson(h.env, ['replicasets', '-n', 'hush-system']))?.items as unknown[] | undefined)?.length, { timeoutMs: 20_000, message: 'ReplicaSet of hush-controller' });
  // The ServiceAccount may read what the controller needs, and no more: it cannot read ConfigMaps' list.
  const can = async (verb: string, resource: string, ...extra: string[]) => (await kubectl(h.env, ['auth', 'can-i', verb, resource, ...extra, '--as', 'system:serviceaccount:hush-system:hush-controller', '-A']).catch((e: { exitCode?: number | null }) => {
    // can-i answers "no" with exit code 1; anything else is a real failure.
    if (e.exitCode === 1) return 'no';
    throw e;
  })).trim();
  assert.equal(await can('watch', 'secrets'), 'yes');
  assert.equal(await can('create', 'serviceaccounts', '--subresource=token'), 'yes');
  assert.equal(await can('list', 'configmaps'), 'no');
  assert.equal(await can('delete', 'namespaces'), 'no');
});

test('--namespace scopes the controller to one namespace', async () => {
  const mine = await createNamespace(h.kube, 'scoped');
  const other = await createNamespace(h.kube, 'unscoped');
  const p = uniqueName('scope');
  await putVaultKv2(h.env, `${p}/k`, { v: 's' });
  const ctl = startHush(['--namespace', mine, '--no-enable-cluster-store-reconciler', '--no-enable-cluster-external-secret-reconciler']);
  try {
    await waitFor(() => ctl.output().includes('caches synced'), { timeoutMs: 30_000, message: 'controller started' });
    for (const ns of [mine, other]) {
      await createVaultTokenStore(h, ns);
      await h.kube.create(ExternalSecrets, {
        apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 's', namespace: ns },
        spec: { secretStoreRef: { name: 'vault' }, data: [{ secretKey: 'v', remoteRef: { key: `${p}/k`, property: 'v' } }] },
      } as never);
    }
    await waitFor(async () => secretStrings(await getSecret(h.kube, mine, 's')).v === 's', { timeoutMs: 20_000, message: 'synced in the watched namespace' });
    // Positive sentinel: an ExternalSecret created in the watched namespace after the other
    // namespace's objects comes after them in any watch of all namespaces, and is synced.
    await h.kube.create(ExternalSecrets, {
      apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'sentinel', namespace: mine },
      spec: { secretStoreRef: { name: 'vault' }, data: [{ secretKey: 'v', remoteRef: { key: `${p}/k`, property: 'v' } }] },
    } as never);
    await waitFor(async () => secretStrings(await getSecret(h.kube, mine, 'sentinel')).v === 's', { timeoutMs: 20_000, message: 'sentinel synced' });
    assert.equal(await getSecret(h.kube, other, 's'), undefined, 'the other namespace is not served');
    const st = await h.kube.get<{ metadata: { name: string }; status?: unknown }>(SecretStores, 'vault', other);
    assert.equal(st?.status, undefined, 'nor its stores');
  } finally {
    ctl.child.kill('SIGTERM');
    await ctl.exited;
  }
});
