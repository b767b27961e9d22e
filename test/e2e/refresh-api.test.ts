/**
 * The refresh API end to end, against the real kube-apiserver (TokenReview and
 * SubjectAccessReview are the API server's own answers, for real ServiceAccount
 * tokens bound to real Roles) and the real OpenBao.
 *
 * Every ExternalSecret here has refreshInterval 1h: a new value reaching its
 * Secret within seconds can only be the refresh API's doing. "Nothing was
 * refreshed" is proved by a positive sentinel: the same ExternalSecret, after a
 * permitted call, does get the new value.
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { KubeClient } from '../../src/kube/client.ts';
import { RoleBindings, Roles, ServiceAccounts } from '../../src/kube/resources.ts';
import { createLogger } from '../../src/util/log.ts';
import { RefreshApi, startRefreshApi } from '../../src/refreshapi/server.ts';
import {
  ClusterSecretStores,
  ExternalSecrets,
  SecretStores,
  Secrets,
  cleanupCreated,
  createNamespace,
  createVaultTokenStore,
  getSecret,
  harness,
  putVaultKv2,
  secretStrings,
  startController,
  trackClusterObject,
  uniqueName,
  waitReady,
  type Harness,
  type RunningController,
} from '../support/harness.ts';
import { baoExpect, waitFor } from '../support/index.ts';
import { makeTestPki } from '../../src/providers/util/testing/pki.ts';

let h: Harness;
let ctl: RunningController;
let controllerKube: KubeClient;
let api: RefreshApi;
let server: Server;
let base: string;
const apiLogs: string[] = [];
/** Every token handed out here: none may appear in any log line. */
const issuedTokens: string[] = [];
/** A token no API server issued. */
const GARBAGE = 'not-a-token-7f3ac0d1';

before(async () => {
  h = await harness();
  ctl = await startController(h);
  // The controller's own identity (here the test cluster's admin, which may create reviews).
  controllerKube = KubeClient.fromKubeconfig(h.env.kubeconfig);
  api = new RefreshApi({
    kube: controllerKube,
    engine: ctl.manager.readEngine,
    externalSecrets: ctl.manager.caches.externalSecrets,
    logger: createLogger({ level: 'debug', write: (l) => void apiLogs.push(l) }),
    ready: () => ctl.manager.isSynced(),
  });
  server = await startRefreshApi('127.0.0.1:0', api);
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  try {
    await cleanupCreated();
  } finally {
    server?.closeAllConnections();
    server?.close();
    controllerKube?.close();
    await ctl?.stop();
  }
});

interface Answer {
  status: number;
  body: { refreshed?: string[]; error?: { code: string; message: string } };
  retryAfter: string | null;
}

async function call(path: string, token?: string, init: RequestInit = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const res = await fetch(base + path, { method: 'POST', headers, ...init });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Answer['body']) : {}, retryAfter: res.headers.get('retry-after') };
}

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };
const PATCH_ES: Rule = { apiGroups: ['external-secrets.io'], resources: ['externalsecrets'], verbs: ['get', 'patch'] };
const READ_ES: Rule = { apiGroups: ['external-secrets.io'], resources: ['externalsecrets'], verbs: ['get', 'list', 'watch'] };

/**
 * A ServiceAccount in `home` with a Role and RoleBinding in each of `grants`, and a token for
 * it (as `kubectl create token` would make).
 */
async function caller(home: string, grants: Record<string, Rule[]>): Promise<string> {
  const sa = uniqueName('ci');
  await h.kube.create(ServiceAccounts, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa, namespace: home } } as never);
  for (const [ns, rules] of Object.entries(grants)) {
    await h.kube.create(Roles, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: sa, namespace: ns }, rules } as never);
    await h.kube.create(RoleBindings, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: sa, namespace: ns },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: sa },
      subjects: [{ kind: 'ServiceAccount', name: sa, namespace: home }],
    } as never);
  }
  const { token } = await h.kube.createToken(sa, home, { expirationSeconds: 3600 });
  issuedTokens.push(token);
  return token;
}

async function es(ns: string, name: string, key: string, store: { name: string; kind: 'SecretStore' | 'ClusterSecretStore' } = { name: 'vault', kind: 'SecretStore' }): Promise<void> {
  await h.kube.create(ExternalSecrets, {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name, namespace: ns },
    spec: { refreshInterval: '1h', secretStoreRef: store, target: { name }, data: [{ secretKey: 'v', remoteRef: { key, property: 'v' } }] },
  } as never);
}

async function secretValue(ns: string, name: string): Promise<string | undefined> {
  return secretStrings(await getSecret(h.kube, ns, name)).v;
}

function waitValue(ns: string, name: string, want: string, timeoutMs = 8_000): Promise<unknown> {
  return waitFor(async () => (await secretValue(ns, name)) === want, { timeoutMs, intervalMs: 100, message: `Secret ${ns}/${name} holds ${want}` });
}

async function setValue(path: string, v: string): Promise<void> {
  await baoExpect(h.env, 'POST', `/v1/secret/data/${path}`, { data: { v } });
}

/** A namespace with a Vault SecretStore and synced ExternalSecrets, each reading its own or a shared key. */
async function setup(readers: Record<string, string>, storeAnnotations: Record<string, string> = {}): Promise<{ ns: string; paths: Record<string, string> }> {
  const ns = await createNamespace(h.kube, 'refresh');
  const paths: Record<string, string> = {};
  for (const key of new Set(Object.values(readers))) {
    paths[key] = `refresh/${uniqueName(key)}`;
    await putVaultKv2(h.env, paths[key], { v: 'old' });
  }
  await createVaultTokenStore(h, ns);
  if (Object.keys(storeAnnotations).length > 0) await h.kube.patch(SecretStores, 'vault', ns, { metadata: { annotations: storeAnnotations } }, 'merge');
  await waitReady(h.kube, SecretStores, ns, 'vault');
  for (const [name, key] of Object.entries(readers)) await es(ns, name, paths[key]!);
  for (const name of Object.keys(readers)) await waitValue(ns, name, 'old', 30_000);
  return { ns, paths };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('refresh API', () => {
  test('no token or a bad token: 401 and nothing is refreshed; a permitted call then is', async () => {
    const { ns, paths } = await setup({ app: 'k' });
    const token = await caller(ns, { [ns]: [PATCH_ES] });
    await setValue(paths.k!, 'new');
    const path = `/v1/refresh/namespaces/${ns}/externalsecrets/app`;
    for (const bad of [undefined, GARBAGE, `${token.slice(0, -4)}AAAA`]) {
      const a = await call(path, bad);
      assert.equal(a.status, 401, `token ${bad === undefined ? 'absent' : 'invalid'}`);
      assert.equal(a.body.error?.code, 'AuthFailed');
      assert.equal(a.body.refreshed, undefined);
    }
    assert.equal((await call(`/v1/refresh/namespaces/${ns}`, GARBAGE)).status, 401);
    await sleep(3000);
    assert.equal(await secretValue(ns, 'app'), 'old', 'an unauthenticated call refreshed the ExternalSecret');
    // Sentinel: the same call with a valid token does refresh it, within seconds.
    const ok = await call(path, token);
    assert.equal(ok.status, 202);
    assert.deepEqual(ok.body, { refreshed: [`${ns}/app`] });
    await waitValue(ns, 'app', 'new');
  });

  test('a ServiceAccount without patch on externalsecrets: 403 on every endpoint, nothing refreshed', async () => {
    const { ns, paths } = await setup({ app: 'k' });
    const other = await createNamespace(h.kube, 'refresh-other');
    // May read ExternalSecrets here, and patch them only in another namespace.
    const reader = await caller(ns, { [ns]: [READ_ES], [other]: [PATCH_ES] });
    const allowed = await caller(ns, { [ns]: [PATCH_ES] });
    await setValue(paths.k!, 'new');
    for (const path of [`/v1/refresh/namespaces/${ns}/externalsecrets/app`, `/v1/refresh/namespaces/${ns}`, `/v1/refresh/secretstores/${ns}/vault?key=${encodeURIComponent(paths.k!)}`]) {
      const a = await call(path, reader);
      assert.equal(a.status, 403, path);
      assert.equal(a.body.error?.code, 'AccessDenied');
    }
    // Without the right, a missing ExternalSecret is 403 too: existence is not revealed.
    assert.equal((await call(`/v1/refresh/namespaces/${ns}/externalsecrets/nope`, reader)).status, 403);
    assert.equal((await call(`/v1/refresh/namespaces/${ns}/externalsecrets/nope`, allowed)).status, 404);
    await sleep(3000);
    assert.equal(await secretValue(ns, 'app'), 'old', 'a denied call refreshed the ExternalSecret');
    assert.equal((await call(`/v1/refresh/namespaces/${ns}/externalsecrets/app`, allowed)).status, 202);
    await waitValue(ns, 'app', 'new');
  });

  test('a namespace refresh wakes every ExternalSecret of the namespace', async () => {
    const { ns, paths } = await setup({ a: 'ka', b: 'kb' });
    const token = await caller(ns, { [ns]: [PATCH_ES] });
    await setValue(paths.ka!, 'new-a');
    await setValue(paths.kb!, 'new-b');
    const a = await call(`/v1/refresh/namespaces/${ns}`, token);
    assert.equal(a.status, 202);
    assert.deepEqual(a.body, { refreshed: [`${ns}/a`, `${ns}/b`] });
    await waitValue(ns, 'a', 'new-a');
    await waitValue(ns, 'b', 'new-b');
  });

  test('a store-key refresh wakes only the readers of that key (SecretStore)', async () => {
    const { ns, paths } = await setup({ r1: 'shared', r2: 'shared', other: 'alone' });
    const token = await caller(ns, { [ns]: [PATCH_ES] });
    await setValue(paths.shared!, 'new');
    await setValue(paths.alone!, 'new');
    const a = await call(`/v1/refresh/secretstores/${ns}/vault?key=${encodeURIComponent(paths.shared!)}`, token);
    assert.equal(a.status, 202);
    assert.deepEqual(a.body, { refreshed: [`${ns}/r1`, `${ns}/r2`] });
    await waitValue(ns, 'r1', 'new');
    await waitValue(ns, 'r2', 'new');
    await sleep(2000);
    assert.equal(await secretValue(ns, 'other'), 'old', 'an ExternalSecret reading another key was refreshed');
    // A key nobody reads: 403, the same answer as "readers you may not patch".
    assert.equal((await call(`/v1/refresh/secretstores/${ns}/vault?key=nobody/reads/this`, token)).status, 403);
  });

  test('a ClusterSecretStore key refresh wakes only the readers the caller may patch', async () => {
    // Referent auth (the token Secret in each ExternalSecret's namespace): one store client per
    // namespace, so the two readers share no read. Through one shared client, the fresh read for
    // one reader would hand the changed value to the other as well (the read engine wakes every
    // reader of a changed answer), which would hide what the API itself asked for.
    const mine = await createNamespace(h.kube, 'refresh-mine');
    const theirs = await createNamespace(h.kube, 'refresh-theirs');
    for (const ns of [mine, theirs]) {
      await h.kube.create(Secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'vault-token', namespace: ns }, stringData: { token: h.env.vaultToken } } as never);
    }
    const css = uniqueName('refresh-css');
    trackClusterObject(h.kube, ClusterSecretStores, css);
    await h.kube.create(ClusterSecretStores, {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ClusterSecretStore',
      metadata: { name: css },
      spec: { provider: { vault: { server: h.env.vaultAddr, path: 'secret', version: 'v2', auth: { tokenSecretRef: { name: 'vault-token', key: 'token' } } } } },
    } as never);
    const path = `refresh/${uniqueName('css')}`;
    await putVaultKv2(h.env, path, { v: 'old' });
    for (const ns of [mine, theirs]) await es(ns, 'app', path, { name: css, kind: 'ClusterSecretStore' });
    for (const ns of [mine, theirs]) await waitValue(ns, 'app', 'old', 30_000);
    const token = await caller(mine, { [mine]: [PATCH_ES] });
    await setValue(path, 'new');
    const a = await call(`/v1/refresh/clustersecretstores/${css}?key=${encodeURIComponent(path)}`, token);
    assert.equal(a.status, 202);
    assert.deepEqual(a.body, { refreshed: [`${mine}/app`] });
    await waitValue(mine, 'app', 'new');
    await sleep(2000);
    assert.equal(await secretValue(theirs, 'app'), 'old', 'a reader in a namespace the caller may not patch was refreshed');
    // A caller with patch on that one ExternalSecret by name (resourceNames) wakes it too.
    const named = await caller(theirs, { [theirs]: [{ ...PATCH_ES, resourceNames: ['app'] }] });
    const b = await call(`/v1/refresh/clustersecretstores/${css}?key=${encodeURIComponent(path)}`, named);
    assert.equal(b.status, 202);
    assert.deepEqual(b.body, { refreshed: [`${theirs}/app`] });
    await waitValue(theirs, 'app', 'new');
  });

  test('a flood of calls: 429 with Retry-After beyond the user limit, others still served, the store budget kept', async () => {
    // A store allowed 2 calls a second: refreshes must not push it past that.
    const { ns, paths } = await setup({ app: 'k' }, { 'hush.dev/calls-per-second': '2', 'hush.dev/call-burst': '2' });
    const flooder = await caller(ns, { [ns]: [PATCH_ES] });
    const bystander = await caller(ns, { [ns]: [PATCH_ES] });
    const calls = () => {
      let n = 0;
      for (const outcome of ['success', 'error', 'throttled', 'timeout']) n += ctl.metrics.storeCalls.get({ kind: 'SecretStore', namespace: ns, name: 'vault', call: 'read', outcome });
      return n;
    };
    await setValue(paths.k!, 'new');
    const before = calls();
    const t0 = Date.now();
    const answers = await Promise.all(Array.from({ length: 40 }, () => call(`/v1/refresh/namespaces/${ns}/externalsecrets/app`, flooder)));
    const accepted = answers.filter((a) => a.status === 202).length;
    const limited = answers.filter((a) => a.status === 429);
    assert.ok(limited.length >= 25, `only ${limited.length} of 40 calls were limited`);
    assert.ok(accepted <= 12, `${accepted} calls were accepted (burst 10)`);
    assert.equal(accepted + limited.length, 40);
    for (const a of limited) {
      assert.equal(a.body.error?.code, 'Throttled');
      assert.ok(Number(a.retryAfter) >= 1, `Retry-After ${a.retryAfter}`);
    }
    // One user's flood does not use up the others' share.
    assert.equal((await call(`/v1/refresh/namespaces/${ns}/externalsecrets/app`, bystander)).status, 202);
    await waitValue(ns, 'app', 'new');
    await sleep(3000);
    const seconds = (Date.now() - t0) / 1000;
    const made = calls() - before;
    assert.ok(made >= 1, 'the refresh read the store');
    assert.ok(made <= 2 * seconds + 2, `${made} store reads in ${seconds.toFixed(1)} s: over the budget of 2/s, burst 2`);
  });

  test('HTTPS with the given certificate; wrong method, unknown path and big bodies are refused before any review', async () => {
    const { ns, paths } = await setup({ app: 'k' });
    const token = await caller(ns, { [ns]: [PATCH_ES] });
    const pki = makeTestPki();
    const tls = await startRefreshApi('127.0.0.1:0', api, { certFile: pki.serverCertPath, keyFile: pki.serverKeyPath });
    try {
      const port = (tls.address() as AddressInfo).port;
      const post = (path: string, headers: Record<string, string> = {}, method = 'POST', body?: string) =>
        new Promise<{ status: number; text: string }>((resolve, reject) => {
          const req = httpsRequest({ host: '127.0.0.1', port, path, method, ca: pki.caPem, servername: 'localhost', headers }, (res) => {
            let text = '';
            res.on('data', (c: Buffer) => (text += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          });
          req.on('error', reject);
          req.end(body);
        });
      await setValue(paths.k!, 'new');
      const auth = { authorization: `Bearer ${token}` };
      assert.equal((await post(`/v1/refresh/namespaces/${ns}/externalsecrets/app`, auth, 'GET')).status, 405);
      assert.equal((await post(`/v1/refresh/namespaces/${ns}/secrets/app`, auth)).status, 404);
      assert.equal((await post(`/v1/refresh/namespaces/${ns}/externalsecrets/app`, { ...auth, 'content-type': 'application/json' }, 'POST', 'x'.repeat(10_000))).status, 413);
      await sleep(2000);
      assert.equal(await secretValue(ns, 'app'), 'old', 'a refused call refreshed the ExternalSecret');
      const ok = await post(`/v1/refresh/namespaces/${ns}/externalsecrets/app`, auth);
      assert.equal(ok.status, 202, ok.text);
      await waitValue(ns, 'app', 'new');
    } finally {
      tls.closeAllConnections();
      tls.close();
      pki.cleanup();
    }
  });

  test('every call is audited at info with user, path, decision and count; no token in any log line', () => {
    const lines = apiLogs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'refresh api call');
    const decisions = new Set(lines.map((l) => l.decision));
    for (const d of ['allowed', 'denied', 'unauthenticated', 'limited', 'rejected']) assert.ok(decisions.has(d), `no audit line with decision ${d}`);
    for (const l of lines) {
      assert.equal(l.level, 'info');
      assert.equal(typeof l.path, 'string');
      assert.equal(typeof l.externalSecrets, 'number');
      // Refusals before authentication (unauthenticated, and rejected: method, path, body) have no user.
      if (['allowed', 'denied', 'limited'].includes(String(l.decision))) assert.match(String(l.user), /^system:serviceaccount:/);
    }
    const allowed = lines.find((l) => l.decision === 'allowed' && String(l.path).endsWith('/externalsecrets/app'));
    assert.equal(allowed?.externalSecrets, 1);
    assert.ok(issuedTokens.length >= 5);
    for (const line of [...apiLogs, ...ctl.logs]) {
      assert.ok(!line.includes(GARBAGE), 'a presented token is in a log line');
      for (const t of issuedTokens) {
        // A token, or any long piece of it (its signature), must not be logged.
        assert.ok(!line.includes(t.slice(-40)) && !line.includes(t.slice(0, 60)), 'a token is in a log line');
      }
    }
  });
});
