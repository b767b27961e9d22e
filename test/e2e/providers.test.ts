/**
 * Providers through the controller: the fake and kubernetes providers, Vault
 * kubernetes auth with a real ServiceAccount, and one Vault login per store
 * however many reconciles use it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { created, cleanupCreated, ExternalSecrets, SecretStores, Secrets, createNamespace, getSecret, harness, putVaultKv2, secretStrings, startController, uniqueName, waitReady, type Harness, type RunningController } from '../support/harness.ts';
import { ServiceAccounts, RoleBindings, Roles } from '../../src/kube/resources.ts';
import { baoExpect, waitFor } from '../support/index.ts';

let h: Harness;
let ctl: RunningController;
before(async () => {
  h = await harness();
  ctl = await startController(h);
});
after(async () => {
  try {
    await cleanupCreated();
  } finally {
    await ctl?.stop();
  }
});

async function store(ns: string, name: string, provider: Record<string, unknown>) {
  await h.kube.create(SecretStores, { apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name, namespace: ns }, spec: { provider } } as never);
  await waitReady(h.kube, SecretStores, ns, name);
}

async function es(ns: string, name: string, storeName: string, spec: Record<string, unknown>) {
  await h.kube.create(ExternalSecrets, {
    apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name, namespace: ns },
    spec: { refreshInterval: '1h', secretStoreRef: { name: storeName }, ...spec },
  } as never);
  await waitReady(h.kube, ExternalSecrets, ns, name);
}

test('fake provider, as ESO defines it', async () => {
  const ns = await createNamespace(h.kube);
  await store(ns, 'fake', { fake: { data: [{ key: '/db', value: '{"user":"u","pass":"p"}' }, { key: '/plain', value: 'hello', version: 'v1' }] } });
  await es(ns, 'f', 'fake', { data: [{ secretKey: 'plain', remoteRef: { key: '/plain', version: 'v1' } }, { secretKey: 'user', remoteRef: { key: '/db', property: 'user' } }], dataFrom: [{ extract: { key: '/db' } }] });
  assert.deepEqual(secretStrings(await getSecret(h.kube, ns, 'f')), { plain: 'hello', user: 'u', pass: 'p' });
});

test('kubernetes provider reads Secrets of another namespace with a ServiceAccount token', async () => {
  const ns = await createNamespace(h.kube);
  const remote = await createNamespace(h.kube, 'remote');
  await h.kube.create(Secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'source', namespace: remote }, stringData: { username: 'remote-user', password: 'remote-pass' } } as never);
  await h.kube.create(ServiceAccounts, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'reader', namespace: ns } } as never);
  await h.kube.create(Roles, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'read', namespace: remote }, rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch'] }, { apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectrulesreviews'], verbs: ['create'] }] } as never);
  await h.kube.create(RoleBindings, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'read', namespace: remote }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read' }, subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: ns }] } as never);
  // No server block: the store reads the controller's own cluster and trusts the CA the controller trusts.
  await store(ns, 'k8s', { kubernetes: { remoteNamespace: remote, auth: { serviceAccount: { name: 'reader' } } } });
  await es(ns, 'k', 'k8s', { data: [{ secretKey: 'user', remoteRef: { key: 'source', property: 'username' } }], dataFrom: [{ extract: { key: 'source' } }] });
  assert.deepEqual(secretStrings(await getSecret(h.kube, ns, 'k')), { user: 'remote-user', username: 'remote-user', password: 'remote-pass' });
});

test('Vault kubernetes auth with a real ServiceAccount, validated by the API server through TokenReview', async () => {
  const ns = await createNamespace(h.kube);
  const p = uniqueName('k8sauth');
  await putVaultKv2(h.env, `${p}/k`, { v: 'via-sa' });
  const role = uniqueName('role');
  created.add(`vault policy ${role}`, () => baoExpect(h.env, 'DELETE', `/v1/sys/policies/acl/${role}`));
  created.add(`vault kubernetes role ${role}`, () => baoExpect(h.env, 'DELETE', `/v1/auth/kubernetes/role/${role}`));
  await baoExpect(h.env, 'PUT', `/v1/sys/policies/acl/${role}`, { policy: `path "secret/data/${p}/*" { capabilities = ["read"] }` });
  await baoExpect(h.env, 'POST', `/v1/auth/kubernetes/role/${role}`, { bound_service_account_names: ['app'], bound_service_account_namespaces: [ns], policies: [role], ttl: '10m' });
  await h.kube.create(ServiceAccounts, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'app', namespace: ns } } as never);
  await store(ns, 'vault', { vault: { server: h.env.vaultAddr, path: 'secret', version: 'v2', auth: { kubernetes: { mountPath: 'kubernetes', role, serviceAccountRef: { name: 'app' } } } } });
  await es(ns, 'v', 'vault', { data: [{ secretKey: 'v', remoteRef: { key: `${p}/k`, property: 'v' } }] });
  assert.deepEqual(secretStrings(await getSecret(h.kube, ns, 'v')), { v: 'via-sa' });
});

test('one Vault login per store, however many ExternalSecrets and refreshes use it', async () => {
  const ns = await createNamespace(h.kube);
  const p = uniqueName('approle');
  await putVaultKv2(h.env, `${p}/k`, { v: '1' });
  const mount = uniqueName('approle');
  created.add(`vault auth ${mount}`, () => baoExpect(h.env, 'DELETE', `/v1/sys/auth/${mount}`));
  created.add(`vault policy ${mount}`, () => baoExpect(h.env, 'DELETE', `/v1/sys/policies/acl/${mount}`));
  await baoExpect(h.env, 'POST', `/v1/sys/auth/${mount}`, { type: 'approle' });
  await baoExpect(h.env, 'PUT', `/v1/sys/policies/acl/${mount}`, { policy: `path "secret/data/${p}/*" { capabilities = ["read"] }` });
  await baoExpect(h.env, 'POST', `/v1/auth/${mount}/role/app`, { token_policies: [mount], token_ttl: '10m' });
  const roleId = ((await baoExpect(h.env, 'GET', `/v1/auth/${mount}/role/app/role-id`)).json as { data: { role_id: string } }).data.role_id;
  const secretId = ((await baoExpect(h.env, 'POST', `/v1/auth/${mount}/role/app/secret-id`)).json as { data: { secret_id: string } }).data.secret_id;
  await h.kube.create(Secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'approle', namespace: ns }, stringData: { secretId } } as never);
  const logins = () => ctl.metrics.providerCalls.get({ provider: 'HashiCorp/Vault', call: 'Login', status: 'success' });
  const before = logins();
  await store(ns, 'vault', { vault: { server: h.env.vaultAddr, path: 'secret', auth: { appRole: { path: mount, roleId, secretRef: { name: 'approle', key: 'secretId' } } } } });
  for (let i = 0; i < 5; i++) {
    await h.kube.create(ExternalSecrets, {
      apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: `e${i}`, namespace: ns },
      spec: { refreshInterval: '1s', secretStoreRef: { name: 'vault' }, data: [{ secretKey: 'v', remoteRef: { key: `${p}/k`, property: 'v' } }] },
    } as never);
  }
  for (let i = 0; i < 5; i++) await waitReady(h.kube, ExternalSecrets, ns, `e${i}`);
  const reads = () => ctl.metrics.providerCalls.get({ provider: 'HashiCorp/Vault', call: 'ReadSecretData', status: 'success' });
  const r0 = reads();
  await waitFor(() => reads() >= r0 + 10, { timeoutMs: 15_000, message: 'several refresh rounds' });
  assert.equal(logins() - before, 1, 'one login for the store, shared by the store check and every reconcile');
});
