/**
 * The local control plane is a real cluster: authorization, the controllers
 * that Hush's features lean on (garbage collection, Deployments, service
 * accounts), TokenRequest, and OpenBao's Kubernetes auth all behave as on a
 * real cluster; and the environment's own lifecycle (reuse, restart, down)
 * does what `hush dev` promises.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { down, status, up, type DevEnv } from '../../src/devenv/index.ts';
import {
  applyYaml,
  Cleanup,
  baoCall,
  baoExpect,
  getJson,
  kubeCall,
  kubeExpect,
  loadTestEnv,
  requestServiceAccountToken,
  startComponent,
  stopComponent,
  waitFor,
} from '../support/index.ts';

let env: DevEnv;

const created = new Cleanup();
const namespaces: string[] = [];

before(async () => {
  env = await loadTestEnv();
});
after(() => created.run());

function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

async function createNamespace(): Promise<string> {
  const name = uniqueName('devenv');
  await kubeExpect(env, 'POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } });
  namespaces.push(name);
  // Nothing here adds finalizers, so the namespace controller removes them by itself; one step
  // for all, registered first and so run last, waits until they are gone.
  created.add('namespaces', async () => {
    for (const n of namespaces) await kubeCall(env, 'DELETE', `/api/v1/namespaces/${n}`);
    await waitFor(async () => {
      for (const n of namespaces) if ((await kubeCall(env, 'GET', `/api/v1/namespaces/${n}`)).status !== 404) return false;
      return true;
    }, { timeoutMs: 60_000, intervalMs: 250, message: 'devenv test namespaces deleted' });
  });
  return name;
}

async function createServiceAccount(namespace: string, name: string): Promise<void> {
  await kubeExpect(env, 'POST', `/api/v1/namespaces/${namespace}/serviceaccounts`, {
    body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name } },
  });
}

function isProcessAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
}

void test('RBAC is enforced: a service account may list Secrets only once a RoleBinding allows it', async () => {
  const ns = await createNamespace();
  await createServiceAccount(ns, 'reader');
  const token = await requestServiceAccountToken(env, ns, 'reader');
  const denied = await kubeCall(env, 'GET', `/api/v1/namespaces/${ns}/secrets`, { bearerToken: token });
  assert.equal(denied.status, 403, 'an authenticated service account without a role is forbidden');

  await kubeExpect(env, 'POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, {
    body: { metadata: { name: 'secret-reader' }, rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['list'] }] },
  });
  await kubeExpect(env, 'POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
    body: {
      metadata: { name: 'reader' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'secret-reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: ns }],
    },
  });
  await waitFor(async () => (await kubeCall(env, 'GET', `/api/v1/namespaces/${ns}/secrets`, { bearerToken: token })).status === 200, {
    message: 'the RoleBinding to take effect',
  });
  const otherNamespace = await kubeCall(env, 'GET', '/api/v1/namespaces/default/secrets', { bearerToken: token });
  assert.equal(otherNamespace.status, 403, 'the Role grants nothing outside its namespace');
});

void test('the garbage collector deletes a ConfigMap whose owner was deleted', async () => {
  const ns = await createNamespace();
  const owner = await kubeExpect(env, 'POST', `/api/v1/namespaces/${ns}/configmaps`, { body: { metadata: { name: 'owner' } } });
  const uid = (owner.json as { metadata: { uid: string } }).metadata.uid;
  await kubeExpect(env, 'POST', `/api/v1/namespaces/${ns}/configmaps`, {
    body: { metadata: { name: 'dependent', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid }] } },
  });
  await kubeExpect(env, 'POST', `/api/v1/namespaces/${ns}/configmaps`, { body: { metadata: { name: 'bystander' } } });
  await kubeExpect(env, 'DELETE', `/api/v1/namespaces/${ns}/configmaps/owner`);
  await waitFor(async () => (await kubeCall(env, 'GET', `/api/v1/namespaces/${ns}/configmaps/dependent`)).status === 404, {
    timeoutMs: 20_000,
    message: 'the dependent ConfigMap to be garbage-collected',
  });
  assert.equal((await kubeCall(env, 'GET', `/api/v1/namespaces/${ns}/configmaps/bystander`)).status, 200, 'objects without owners stay');
});

void test('a Deployment applied with kubectl gets a ReplicaSet', async () => {
  const ns = await createNamespace();
  await applyYaml(
    env,
    `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: registry.invalid/web:1}]
`,
    ns,
  );
  const deployment = await getJson(env, ['-n', ns, 'deployment', 'web']);
  const deploymentUid = (deployment?.metadata as { uid: string }).uid;
  const rs = await waitFor(
    async () => {
      const list = await getJson(env, ['-n', ns, 'replicasets']);
      const items = (list?.items ?? []) as { metadata: { name: string; ownerReferences?: { uid: string }[] } }[];
      return items.find((i) => i.metadata.ownerReferences?.some((o) => o.uid === deploymentUid));
    },
    { timeoutMs: 20_000, message: 'a ReplicaSet owned by deployment/web' },
  );
  assert.match(rs.metadata.name, /^web-/);
});

void test('a new namespace gets its default ServiceAccount and the kube-root-ca.crt ConfigMap', async () => {
  const ns = await createNamespace();
  await waitFor(async () => (await kubeCall(env, 'GET', `/api/v1/namespaces/${ns}/serviceaccounts/default`)).status === 200, {
    message: `ServiceAccount ${ns}/default`,
  });
  const cm = await waitFor(
    async () => {
      const res = await kubeCall(env, 'GET', `/api/v1/namespaces/${ns}/configmaps/kube-root-ca.crt`);
      return res.status === 200 ? (res.json as { data: Record<string, string> }) : undefined;
    },
    { message: `ConfigMap ${ns}/kube-root-ca.crt` },
  );
  assert.equal(cm.data['ca.crt'], readFileSync(env.caFile, 'utf8'), 'it publishes the cluster CA');
});

void test('TokenRequest issues a token that TokenReview accepts for the right service account and audience', async () => {
  const ns = await createNamespace();
  await createServiceAccount(ns, 'app');
  const token = await requestServiceAccountToken(env, ns, 'app', { audiences: ['hush-test'], expirationSeconds: 600 });
  const review = async (audiences: string[]): Promise<{ authenticated?: boolean; user?: { username?: string } }> => {
    const res = await kubeExpect(env, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences } },
    });
    return (res.json as { status: { authenticated?: boolean; user?: { username?: string } } }).status;
  };
  const ok = await review(['hush-test']);
  assert.equal(ok.authenticated, true);
  assert.equal(ok.user?.username, `system:serviceaccount:${ns}:app`);
  assert.notEqual((await review(['someone-else'])).authenticated, true, 'a token for another audience is refused');
});

void test('OpenBao: Kubernetes auth logs in a real service account, and KV v1 and v2 engines are mounted', async () => {
  const ns = await createNamespace();
  await createServiceAccount(ns, 'app');
  await createServiceAccount(ns, 'intruder');
  const role = uniqueName('role');
  created.add(`vault role ${role}`, () => baoCall(env, 'DELETE', `auth/kubernetes/role/${role}`));
  await baoExpect(env, 'POST', `auth/kubernetes/role/${role}`, {
    bound_service_account_names: ['app'],
    bound_service_account_namespaces: [ns],
    policies: ['default'],
    ttl: '10m',
  });
  const login = await baoCall(env, 'POST', 'auth/kubernetes/login', { role, jwt: await requestServiceAccountToken(env, ns, 'app') });
  assert.equal(login.status, 200, login.text);
  const auth = (login.json as { auth: { client_token: string; metadata: Record<string, string> } }).auth;
  assert.ok(auth.client_token);
  assert.equal(auth.metadata.service_account_name, 'app');

  const refused = await baoCall(env, 'POST', 'auth/kubernetes/login', { role, jwt: await requestServiceAccountToken(env, ns, 'intruder') });
  assert.notEqual(refused.status, 200, 'a service account the role does not name is refused');

  created.add('vault probes', async () => {
    await baoCall(env, 'DELETE', 'kv1/devenv-probe');
    await baoCall(env, 'DELETE', 'secret/metadata/devenv-probe');
  });
  await baoExpect(env, 'POST', 'kv1/devenv-probe', { value: 'v1' });
  assert.equal(((await baoExpect(env, 'GET', 'kv1/devenv-probe')).json as { data: { value: string } }).data.value, 'v1');
  await baoExpect(env, 'POST', 'secret/data/devenv-probe', { data: { value: 'v2' } });
  const v2 = (await baoExpect(env, 'GET', 'secret/data/devenv-probe')).json as { data: { data: { value: string }; metadata: { version: number } } };
  assert.equal(v2.data.data.value, 'v2');
  assert.equal(v2.data.metadata.version, 1, 'secret/ is KV v2 (versioned)');
});

void test('a restarted OpenBao keeps its address and token, is configured again, and has lost its data', async () => {
  await baoExpect(env, 'POST', 'secret/data/restart-probe', { data: { value: 'x' } });
  await stopComponent(env, 'openbao');
  await assert.rejects(baoCall(env, 'GET', 'sys/health'), 'OpenBao is down');
  await startComponent(env, 'openbao');
  assert.equal((await baoCall(env, 'GET', 'secret/data/restart-probe')).status, 404, 'the dev server keeps data in memory only');
  const auths = (await baoExpect(env, 'GET', 'sys/auth')).json as { data: Record<string, unknown> };
  const mounts = (await baoExpect(env, 'GET', 'sys/mounts')).json as { data: Record<string, unknown> };
  assert.ok(auths.data['kubernetes/'], 'kubernetes auth is enabled again');
  assert.ok(mounts.data['kv1/'], 'kv1/ is mounted again');
});

void test('a restarted kube-apiserver comes back on the same port with its data', async () => {
  const ns = await createNamespace();
  await kubeExpect(env, 'POST', `/api/v1/namespaces/${ns}/configmaps`, { body: { metadata: { name: 'survivor' }, data: { k: 'v' } } });
  await stopComponent(env, 'kube-apiserver');
  await assert.rejects(kubeCall(env, 'GET', '/readyz'), 'the API server is down');
  await startComponent(env, 'kube-apiserver');
  const res = await kubeExpect(env, 'GET', `/api/v1/namespaces/${ns}/configmaps/survivor`);
  assert.deepEqual((res.json as { data: Record<string, string> }).data, { k: 'v' });
});

function hush(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const res = spawnSync(process.execPath, [fileURLToPath(new URL('../../bin/hush.js', import.meta.url)), ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

void test('`hush dev env` prints only export lines that a shell can eval', () => {
  const res = hush(['dev', 'env', '--state-dir', env.stateDir]);
  assert.equal(res.status, 0, res.stderr);
  assert.ok(env.vaultAuditAddr, 'the dev OpenBao has a socket audit device, and its address is exported');
  assert.equal(
    res.stdout,
    `export KUBECONFIG=${env.kubeconfig}\nexport VAULT_ADDR=${env.vaultAddr}\nexport VAULT_TOKEN=${env.vaultToken}\nexport HUSH_DEV_VAULT_AUDIT_ADDR=${env.vaultAuditAddr ?? ''}\nexport HUSH_EGRESS_ALLOW=127.0.0.1/32,::1/128\n`,
  );
  const evaluated = spawnSync('bash', ['-c', 'eval "$OUT"; printf "%s|%s" "$KUBECONFIG" "$VAULT_ADDR"'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, OUT: res.stdout },
  });
  assert.equal(evaluated.stdout, `${env.kubeconfig}|${env.vaultAddr}`);
});

void test('`hush dev up` on a running env reuses it, and `hush dev status` reports every component healthy', () => {
  const upRes = hush(['dev', 'up', '--state-dir', env.stateDir]);
  assert.equal(upRes.status, 0, upRes.stderr);
  assert.equal(upRes.stdout, '', 'progress goes to stderr');
  assert.match(upRes.stderr, /kube-apiserver already running/);
  const statusRes = hush(['dev', 'status', '--state-dir', env.stateDir]);
  assert.equal(statusRes.status, 0, statusRes.stdout);
  for (const name of ['etcd', 'kube-apiserver', 'kube-controller-manager', 'openbao']) {
    assert.match(statusRes.stdout, new RegExp(`^${name} +healthy`, 'm'));
  }
});

void test('a second up() reuses the running processes', async () => {
  const before = await status({ stateDir: env.stateDir });
  const again = await up({ stateDir: env.stateDir });
  const after = await status({ stateDir: env.stateDir });
  assert.equal(again.apiserverUrl, env.apiserverUrl);
  assert.ok(after.components.every((c) => c.healthy));
  assert.deepEqual(
    after.components.map((c) => [c.name, c.pid]),
    before.components.map((c) => [c.name, c.pid]),
    'same pids: nothing was started twice',
  );
});

void test('a component that fails to start is reported with its log, and down() cleans up what did start', async (t) => {
  // A separate env whose kube-apiserver is a stand-in that dies at once.
  const dir = mkdtempSync(join(tmpdir(), 'hush-broken-'));
  const binDir = join(dir, 'bin');
  mkdirSync(binDir);
  for (const name of ['etcd', 'kube-controller-manager', 'kubectl']) symlinkSync(join(env.kubeBinDir, name), join(binDir, name));
  writeFileSync(join(binDir, 'kube-apiserver'), '#!/bin/sh\necho "E0101 cannot bind: simulated failure" >&2\nexit 1\n', { mode: 0o755 });
  const stateDir = join(dir, 'state');
  const saved = process.env.HUSH_KUBE_BIN_DIR;
  process.env.HUSH_KUBE_BIN_DIR = binDir;
  t.after(async () => {
    if (saved === undefined) delete process.env.HUSH_KUBE_BIN_DIR;
    else process.env.HUSH_KUBE_BIN_DIR = saved;
    await down({ stateDir });
    rmSync(dir, { recursive: true, force: true });
  });

  await assert.rejects(up({ stateDir }), (err: Error) => {
    assert.match(err.message, /kube-apiserver exited during start-up/);
    assert.ok(err.message.includes(join(stateDir, 'logs', 'kube-apiserver.log')), 'names the log file');
    assert.match(err.message, /simulated failure/, 'quotes the end of the log');
    return true;
  });
  const started = (await status({ stateDir })).components.filter((c) => c.running);
  assert.deepEqual(started.map((c) => c.name).sort(), ['etcd', 'openbao']);
  await down({ stateDir });
  for (const c of started) assert.equal(isProcessAlive(c.pid!), false, `${c.name} was stopped`);
});

// Last in this file: it restarts the shared environment.
void test('down() leaves no process running, and up() afterwards brings the cluster back with its data', async () => {
  const ns = await createNamespace();
  const pids = (await status({ stateDir: env.stateDir })).components.map((c) => c.pid).filter((p) => p !== undefined);
  assert.equal(pids.length, 4);
  await down({ stateDir: env.stateDir });
  for (const pid of pids) assert.equal(isProcessAlive(pid), false, `pid ${pid} is gone`);
  assert.ok((await status({ stateDir: env.stateDir })).components.every((c) => !c.running));

  const restarted = await up({ stateDir: env.stateDir });
  assert.equal(restarted.apiserverUrl, env.apiserverUrl, 'same address');
  assert.equal((await kubeCall(env, 'GET', `/api/v1/namespaces/${ns}`)).status, 200, 'etcd data survived');
});
