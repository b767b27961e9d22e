/**
 * The azurekv provider end to end: the controller running in-process against
 * the real kube-apiserver, reading from the Key Vault stand-in of
 * src/providers/azurekv/testing/fakeAzure.ts through the real Azure SDK
 * clients.
 *
 * The store is a FAKE because no real one can run here: Lowkey Vault's app
 * jar is not served by the Maven Central mirror this machine reaches, and
 * Entra ID and the managed-identity endpoint exist only in Azure. The fake
 * speaks Key Vault's REST protocol and checks every credential (client
 * secret, certificate assertion signature, the federated ServiceAccount
 * token's signature against this cluster's keys), so the auth tests below
 * show the credential really reached the token endpoint and was accepted.
 */
import { devEgress } from '../../src/net/testing/egress.ts';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  cleanupCreated,
  ExternalSecrets,
  SecretStores,
  Secrets,
  createNamespace,
  getEs,
  getSecret,
  harness,
  readyOf,
  secretStrings,
  startController,
  uniqueName,
  waitReady,
  type Harness,
  type RunningController,
} from '../support/harness.ts';
import { ServiceAccounts } from '../../src/kube/resources.ts';
import { DEFAULT_CREDENTIAL_POLICY } from '../../src/providers/ambient.ts';
import { FakeAzure } from '../../src/providers/azurekv/testing/fakeAzure.ts';
import { HttpClient } from '../../src/providers/util/http.ts';
import { requestServiceAccountToken, waitFor } from '../support/index.ts';

const TENANT = 'hush-tenant';
const CLIENT_SECRET = 'canary-azure-client-secret-5d1e';
const VALUE_CANARY = 'canary-azure-value-0b7f';

let h: Harness;
let ctl: RunningController;
let az: FakeAzure;
let certPem: string;

before(async () => {
  az = await FakeAzure.start();
  // Managed identity tokens come from the stand-in IMDS; the provider reads this when a store connects.
  process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = az.imdsUrl;
  az.addManagedIdentity();
  az.addApp({ tenantId: TENANT, clientId: 'app-secret', secret: CLIENT_SECRET });
  certPem = rsaCertificate();
  az.addApp({ tenantId: TENANT, clientId: 'app-cert', certificatePem: certPem });
  h = await harness();
  // Workload identity on a SecretStore asks for Azure's token-exchange audience: allowed by flag, as an operator would.
  ctl = await startController(h, { credentialPolicy: { ...DEFAULT_CREDENTIAL_POLICY, allowedTokenAudiences: ['vault', 'api://AzureADTokenExchange'] } });
});
after(async () => {
  try {
    await cleanupCreated();
  } finally {
    await ctl?.stop();
    await az?.stop();
    delete process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST;
  }
});

function rsaCertificate(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hush-azcert-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'k.pem', '-out', 'c.pem', '-days', '1', '-subj', '/CN=hush-e2e'], { cwd: dir, stdio: 'ignore' });
    return readFileSync(join(dir, 'c.pem'), 'utf8') + readFileSync(join(dir, 'k.pem'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The provider block for the stand-in: custom cloud endpoints (the token endpoint) and its CA. */
function azureSpec(extra: Record<string, unknown>): Record<string, unknown> {
  return {
    azurekv: {
      vaultUrl: az.vaultUrl,
      tenantId: TENANT,
      useAzureSDK: true,
      customCloudConfig: { activeDirectoryEndpoint: az.authorityHost },
      caBundle: Buffer.from(az.caPem).toString('base64'),
      ...extra,
    },
  };
}

async function secretStore(ns: string, name: string, provider: Record<string, unknown>): Promise<void> {
  await h.kube.create(SecretStores, { apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name, namespace: ns }, spec: { provider } } as never);
  await waitReady(h.kube, SecretStores, ns, name);
}

async function servicePrincipalStore(ns: string, name = 'azure'): Promise<void> {
  await h.kube.create(Secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'azure-sp', namespace: ns }, stringData: { clientId: 'app-secret', clientSecret: CLIENT_SECRET } } as never);
  await secretStore(ns, name, azureSpec({ authSecretRef: { clientId: { name: 'azure-sp', key: 'clientId' }, clientSecret: { name: 'azure-sp', key: 'clientSecret' } } }));
}

async function es(ns: string, name: string, spec: Record<string, unknown>, storeName = 'azure'): Promise<void> {
  await h.kube.create(ExternalSecrets, {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name, namespace: ns },
    spec: { refreshInterval: '1h', secretStoreRef: { name: storeName, kind: 'SecretStore' }, ...spec },
  } as never);
}

/** The service-account signing keys the apiserver publishes (it answers only to the JWK set media type). */
async function clusterJwks(): Promise<Record<string, unknown>[]> {
  const admin = new HttpClient(h.env.apiserverUrl, { ca: [readFileSync(h.env.caFile, 'utf8')], cert: readFileSync(h.env.adminCertFile, 'utf8'), key: readFileSync(h.env.adminKeyFile, 'utf8'), egress: devEgress('cluster') });
  try {
    const res = await admin.request({ method: 'GET', path: '/openid/v1/jwks', headers: { accept: 'application/jwk-set+json' } });
    assert.equal(res.status, 200);
    return (JSON.parse(res.body.toString('utf8')) as { keys: Record<string, unknown>[] }).keys;
  } finally {
    admin.close();
  }
}

async function forceSync(ns: string, name: string): Promise<void> {
  await h.kube.patch(ExternalSecrets, name, ns, { metadata: { annotations: { 'external-secrets.io/force-sync': String(Date.now()) } } }, 'merge');
}

test('data with property and version, extract, find by name and tags, rewrite and decoding give the Secret ESO would', async () => {
  const ns = await createNamespace(h.kube);
  const p = uniqueName('az');
  az.setSecret(`${p}-db`, JSON.stringify({ username: 'admin', password: VALUE_CANARY, port: 5432 }), { tags: { team: p } });
  const first = az.setSecret(`${p}-api`, 'v1');
  az.setSecret(`${p}-api`, 'v2', { tags: { team: p } });
  az.setSecret(`${p}-b64`, Buffer.from('decoded!').toString('base64'));
  az.setSecret(`${p}-off`, 'disabled', { tags: { team: p }, enabled: false });
  await servicePrincipalStore(ns);
  await es(ns, 'app', {
    data: [
      { secretKey: 'user', remoteRef: { key: `${p}-db`, property: 'username' } },
      { secretKey: 'api-old', remoteRef: { key: `${p}-api`, version: first } },
      { secretKey: 'decoded', remoteRef: { key: `${p}-b64`, decodingStrategy: 'Base64' } },
      { secretKey: 'team', remoteRef: { key: `${p}-db`, metadataPolicy: 'Fetch', property: 'team' } },
    ],
    dataFrom: [
      { extract: { key: `${p}-db` } },
      { find: { name: { regexp: `^${p}-(api|b64)$` } }, rewrite: [{ regexp: { source: `^${p}-`, target: 'byname_' } }] },
      { find: { tags: { team: p } }, rewrite: [{ regexp: { source: `^${p}-`, target: 'bytag_' } }] },
    ],
  });
  const ready = await waitReady(h.kube, ExternalSecrets, ns, 'app');
  assert.equal(readyOf(ready)?.reason, 'SecretSynced');
  assert.deepEqual(secretStrings(await getSecret(h.kube, ns, 'app')), {
    user: 'admin',
    'api-old': 'v1',
    decoded: 'decoded!',
    team: p,
    username: 'admin',
    password: VALUE_CANARY,
    port: '5432',
    byname_api: 'v2',
    byname_b64: Buffer.from('decoded!').toString('base64'),
    // The disabled secret is skipped, as ESO does.
    bytag_api: 'v2',
    bytag_db: JSON.stringify({ username: 'admin', password: VALUE_CANARY, port: 5432 }),
  });
  const calls = (call: string) => ctl.metrics.providerCalls.get({ provider: 'Azure/KeyVault', call, status: 'success' });
  assert.ok(calls('GetSecret') > 0 && calls('GetSecrets') > 0, 'provider calls are counted under ESO\'s names');
});

test('a missing key gives Ready=False with Key Vault\'s reason and leaves the Secret as it was', async () => {
  const ns = await createNamespace(h.kube);
  const p = uniqueName('azmiss');
  az.setSecret(`${p}-pw`, 'one');
  await servicePrincipalStore(ns);
  await es(ns, 'db', { data: [{ secretKey: 'password', remoteRef: { key: `${p}-pw` } }] });
  await waitReady(h.kube, ExternalSecrets, ns, 'db');
  const before = await getSecret(h.kube, ns, 'db');
  az.deleteSecret(`${p}-pw`);
  await forceSync(ns, 'db');
  const failed = await waitReady(h.kube, ExternalSecrets, ns, 'db', 'False');
  assert.match(readyOf(failed)?.message ?? '', new RegExp(`secret "${p}-pw" not found in https://127\\.0\\.0\\.1:\\d+/ \\(SecretNotFound\\)`));
  const after = await getSecret(h.kube, ns, 'db');
  assert.deepEqual(secretStrings(after), { password: 'one' });
  assert.equal(after?.metadata.resourceVersion, before?.metadata.resourceVersion);

  await es(ns, 'prop', { data: [{ secretKey: 'x', remoteRef: { key: `${p}-nothere`, property: 'x' } }] });
  const missing = await waitReady(h.kube, ExternalSecrets, ns, 'prop', 'False');
  assert.match(readyOf(missing)?.message ?? '', /SecretNotFound/);
  assert.equal(await getSecret(h.kube, ns, 'prop'), undefined);
});

test('deletionPolicy Delete removes the Secret when the key is gone; Retain keeps it', async () => {
  const ns = await createNamespace(h.kube);
  const p = uniqueName('azdel');
  az.setSecret(`${p}-k`, JSON.stringify({ v: '1' }));
  await servicePrincipalStore(ns);
  await es(ns, 'del', { target: { deletionPolicy: 'Delete' }, dataFrom: [{ extract: { key: `${p}-k` } }] });
  await es(ns, 'ret', { target: { deletionPolicy: 'Retain' }, dataFrom: [{ find: { name: { regexp: `^${p}-k$` } } }] });
  await waitReady(h.kube, ExternalSecrets, ns, 'del');
  await waitReady(h.kube, ExternalSecrets, ns, 'ret');
  az.deleteSecret(`${p}-k`);
  await forceSync(ns, 'del');
  await forceSync(ns, 'ret');
  await waitFor(async () => (await getSecret(h.kube, ns, 'del')) === undefined, { timeoutMs: 10_000, message: 'Delete policy removed the Secret' });
  await waitFor(async () => (readyOf(await getEs(h.kube, ns, 'ret'))?.message ?? '').includes('retained'), { timeoutMs: 10_000, message: 'Retain' });
  assert.deepEqual(secretStrings(await getSecret(h.kube, ns, 'ret')), { [`${p}-k`]: JSON.stringify({ v: '1' }) });
});

test('service principal with a client certificate', async () => {
  const ns = await createNamespace(h.kube);
  const p = uniqueName('azcert');
  az.setSecret(`${p}-s`, 'via-certificate');
  await h.kube.create(Secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'azure-cert', namespace: ns }, stringData: { clientId: 'app-cert', 'tls.pem': certPem } } as never);
  await secretStore(ns, 'azure', azureSpec({ authSecretRef: { clientId: { name: 'azure-cert', key: 'clientId' }, clientCertificate: { name: 'azure-cert', key: 'tls.pem' } } }));
  await es(ns, 'c', { data: [{ secretKey: 'v', remoteRef: { key: `${p}-s` } }] });
  await waitReady(h.kube, ExternalSecrets, ns, 'c');
  assert.deepEqual(secretStrings(await getSecret(h.kube, ns, 'c')), { v: 'via-certificate' });
});

test('managed identity on a namespaced SecretStore is refused: the store is Stalled, naming the field and the flag, and no token is asked for', async () => {
  const ns = await createNamespace(h.kube);
  const before = az.counts.imdsTokens;
  const mi = { azurekv: { vaultUrl: az.vaultUrl, authType: 'ManagedIdentity', caBundle: Buffer.from(az.caPem).toString('base64') } };
  await h.kube.create(SecretStores, { apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name: 'mi', namespace: ns }, spec: { provider: mi } } as never);
  const refused = await waitReady(h.kube, SecretStores, ns, 'mi', 'False');
  assert.match(
    readyOf(refused)?.message ?? '',
    new RegExp(`spec\\.provider\\.azurekv\\.authType: this store would use the managed identity .*a namespaced SecretStore may not use the controller's own credentials; set authType ServicePrincipal .*--ambient-credentials-namespaces=${ns}`),
  );
  const stalled = (refused as { status?: { conditions?: { type: string; status: string; reason?: string }[] } }).status?.conditions?.find((c) => c.type === 'Stalled');
  assert.deepEqual([stalled?.status, stalled?.reason], ['True', 'PolicyRefused']);
  assert.equal(az.counts.imdsTokens, before, 'the managed identity was never asked for a token');
});

test('workload identity: a TokenRequest token for the ServiceAccount, exchanged at the token endpoint', async () => {
  const ns = await createNamespace(h.kube);
  const p = uniqueName('azwi');
  az.setSecret(`${p}-s`, 'via-workload-identity');
  await h.kube.create(ServiceAccounts, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'app', namespace: ns } } as never);
  // The federated credential trusts this cluster's service-account issuer and signing keys.
  const sample = await requestServiceAccountToken(h.env, ns, 'app', { audiences: ['api://AzureADTokenExchange'] });
  const issuer = (JSON.parse(Buffer.from(sample.split('.')[1]!, 'base64url').toString('utf8')) as { iss: string }).iss;
  const jwks = await clusterJwks();
  az.addApp({ tenantId: TENANT, clientId: `wi-${p}`, federated: { issuer, subject: `system:serviceaccount:${ns}:app`, audience: 'api://AzureADTokenExchange', keys: jwks } });
  await h.kube.create(Secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'azure-wi', namespace: ns }, stringData: { clientId: `wi-${p}` } } as never);
  const tokensBefore = az.counts.tokens;
  await secretStore(ns, 'azure', azureSpec({ authType: 'WorkloadIdentity', serviceAccountRef: { name: 'app' }, authSecretRef: { clientId: { name: 'azure-wi', key: 'clientId' } } }));
  await es(ns, 'w', { data: [{ secretKey: 'v', remoteRef: { key: `${p}-s` } }] });
  await waitReady(h.kube, ExternalSecrets, ns, 'w');
  assert.deepEqual(secretStrings(await getSecret(h.kube, ns, 'w')), { v: 'via-workload-identity' });
  assert.ok(az.counts.tokens > tokensBefore);

  // Another ServiceAccount's token is refused by the federated credential, and the store says why.
  await h.kube.create(ServiceAccounts, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'intruder', namespace: ns } } as never);
  await h.kube.create(SecretStores, { apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name: 'wrong-sa', namespace: ns }, spec: { provider: azureSpec({ authType: 'WorkloadIdentity', serviceAccountRef: { name: 'intruder' }, authSecretRef: { clientId: { name: 'azure-wi', key: 'clientId' } } }) } } as never);
  const bad = await waitReady(h.kube, SecretStores, ns, 'wrong-sa', 'False');
  assert.match(readyOf(bad)?.message ?? '', /AADSTS700213/);
});

test('a wrong client secret makes the store not Ready with Entra ID\'s reason; no credential or value reaches the logs', async () => {
  const ns = await createNamespace(h.kube);
  await h.kube.create(Secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'azure-sp', namespace: ns }, stringData: { clientId: 'app-secret', clientSecret: 'canary-wrong-secret-88aa' } } as never);
  await h.kube.create(SecretStores, { apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name: 'azure', namespace: ns }, spec: { provider: azureSpec({ authSecretRef: { clientId: { name: 'azure-sp', key: 'clientId' }, clientSecret: { name: 'azure-sp', key: 'clientSecret' } } }) } } as never);
  const store = await waitReady(h.kube, SecretStores, ns, 'azure', 'False');
  assert.match(readyOf(store)?.message ?? '', /AADSTS7000215: Invalid client secret provided/);
  assert.doesNotMatch(readyOf(store)?.message ?? '', /canary-wrong-secret/);
  const logs = ctl.logs.join('\n');
  for (const canary of [CLIENT_SECRET, VALUE_CANARY, 'canary-wrong-secret-88aa']) assert.ok(!logs.includes(canary), `${canary} must not be logged`);
});
