/**
 * The azurekv provider through the real Azure SDK clients, against the fake
 * Key Vault / Entra ID / IMDS of testing/fakeAzure.ts (a fake: no real Azure
 * store can run here, see that file). The fake checks credentials for real,
 * so these tests show which credential reached which endpoint.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HushError } from '../../util/errors.ts';
import { rawRefOf, readMap, readValue } from '../../read/rawref.ts';
import type { StoreClient } from '../types.ts';
import { MemoryKube, testStoreContext, type CallLog } from '../util/testing/memoryKube.ts';
import { azureKvProvider } from './provider.ts';
import { FakeAzure } from './testing/fakeAzure.ts';

const signal = new AbortController().signal;
const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const CLIENT_SECRET = 'canary-client-secret-7f3a';
const VALUE_CANARY = 'canary-secret-value-91c2';

function rsaCertificate(cn: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'hush-azcert-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'k.pem', '-out', 'c.pem', '-days', '1', '-subj', `/CN=${cn}`], { cwd: dir, stdio: 'ignore' });
    return readFileSync(join(dir, 'c.pem'), 'utf8') + readFileSync(join(dir, 'k.pem'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void describe('azurekv against the fake Azure', () => {
  let az: FakeAzure;
  let kube: MemoryKube;
  let certPem: string;
  let v1 = '';
  const clients: StoreClient[] = [];

  const spSpec = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    vaultUrl: az.vaultUrl,
    tenantId: 'tenant-1',
    useAzureSDK: true,
    caBundle: Buffer.from(az.caPem).toString('base64'),
    customCloudConfig: { activeDirectoryEndpoint: az.authorityHost },
    authSecretRef: { clientId: { name: 'sp', key: 'clientId' }, clientSecret: { name: 'sp', key: 'clientSecret' } },
    ...extra,
  });
  const connect = async (spec: Record<string, unknown>, storeSpec?: Record<string, unknown>): Promise<{ client: StoreClient; log: CallLog }> => {
    const { ctx, log } = testStoreContext({ spec, kube, ...(storeSpec ? { storeSpec } : {}) });
    const client = await azureKvProvider.connect(ctx);
    clients.push(client);
    return { client, log };
  };

  before(async () => {
    az = await FakeAzure.start();
    certPem = rsaCertificate('hush-sp');
    az.addApp({ tenantId: 'tenant-1', clientId: 'app-secret', secret: CLIENT_SECRET });
    az.addApp({ tenantId: 'tenant-1', clientId: 'app-cert', certificatePem: certPem });
    az.addManagedIdentity();
    az.addManagedIdentity('mi-client');
    kube = new MemoryKube()
      .setSecret('default', 'sp', { clientId: 'app-secret', clientSecret: CLIENT_SECRET })
      .setSecret('default', 'sp-wrong', { clientId: 'app-secret', clientSecret: 'not-the-secret' })
      .setSecret('default', 'sp-cert', { clientId: 'app-cert', cert: certPem })
      .setSecret('default', 'sp-other-cert', { clientId: 'app-cert', cert: rsaCertificate('someone-else') });
    az.setSecret('db', JSON.stringify({ user: 'admin', pass: VALUE_CANARY, port: 5432 }), { tags: { env: 'prod', team: 'a' } });
    v1 = az.setSecret('rotating', 'first');
    az.setSecret('rotating', 'second');
    az.setSecret('app-one', 'one', { tags: { team: 'a' } });
    az.setSecret('app-two', 'two', { tags: { team: 'b' } });
    az.setSecret('app-off', 'off', { tags: { team: 'a' }, enabled: false });
    az.setSecret('other', 'x', { tags: { team: 'a' } });
    az.setKey('signing', { kty: 'RSA', key_ops: ['sign', 'verify'], n: 'sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw', e: 'AQAB' });
    const certDer = Buffer.from(certPem.split('-----BEGIN CERTIFICATE-----')[1]!.split('-----END CERTIFICATE-----')[0]!.replace(/\s+/g, ''), 'base64');
    az.setCertificate('tls', certDer, { purpose: 'ingress' });
  });
  after(async () => {
    for (const c of clients) await c.close();
    await az?.stop();
  });

  it('reads secrets, versions, properties, keys and certificates with a client secret, with one token', async () => {
    const before = az.counts.tokens;
    const { client, log } = await connect(spSpec());
    assert.equal(text(await readValue(client, { key: 'db', property: 'user' }, signal)), 'admin');
    assert.equal(text(await readValue(client, { key: 'db', property: 'port' }, signal)), '5432');
    assert.equal(text(await readValue(client, { key: 'rotating' }, signal)), 'second');
    assert.equal(text(await readValue(client, { key: 'rotating', version: v1 }, signal)), 'first');
    assert.deepEqual(Object.fromEntries([...(await readMap(client, { key: 'db' }, signal))].map(([k, v]) => [k, text(v)])), { user: 'admin', pass: VALUE_CANARY, port: '5432' });
    const key = JSON.parse(text(await readValue(client, { key: 'key/signing' }, signal))) as Record<string, unknown>;
    assert.equal(key.kty, 'RSA');
    assert.equal(key.e, 'AQAB');
    assert.equal(text(await readValue(client, { key: 'key/signing', property: 'kty' }, signal)), 'RSA');
    const cer = await readValue(client, { key: 'cert/tls' }, signal);
    assert.match(new (await import('node:crypto')).X509Certificate(Buffer.from(cer)).subject, /CN=hush-sp/);
    assert.equal(text(await readValue(client, { key: 'cert/tls', metadataPolicy: 'Fetch', property: 'purpose' }, signal)), 'ingress');
    assert.equal(text(await readValue(client, { key: 'db', metadataPolicy: 'Fetch' }, signal)), '{"env":"prod","team":"a"}');
    // The raw read cannot know a map is wanted: the key is read (GetKey), then the projection refuses it with ESO's error.
    await assert.rejects(readMap(client, { key: 'key/signing' }, signal), /cannot get use dataFrom to get key secret/);
    assert.equal(az.counts.tokens - before, 1, 'one token for the connect check and every read');
    assert.ok(log.count('GetSecret', 'success') >= 5 && log.count('GetKey', 'success') === 3 && log.count('GetCertificate', 'success') === 2);
  });

  it('finds enabled secrets by name regexp and tags across pages', async () => {
    const { client, log } = await connect(spSpec());
    const byName = await client.findSecrets({ name: { regexp: '^app-' } }, signal);
    assert.deepEqual(Object.fromEntries([...byName].map(([k, v]) => [k, text(v)])), { 'app-one': 'one', 'app-two': 'two' });
    const byTags = await client.findSecrets({ tags: { team: 'a' } }, signal);
    assert.deepEqual([...byTags.keys()].sort(), ['app-one', 'db', 'other']);
    const both = await client.findSecrets({ name: { regexp: 'app' }, tags: { team: 'a' } }, signal);
    assert.deepEqual([...both.keys()], ['app-one']);
    assert.ok(log.count('GetSecrets', 'success') >= 3, 'the listing is paged');
  });

  it('says what is missing: a key, a version, a property, a disabled secret', async () => {
    const { client } = await connect(spSpec());
    await assert.rejects(readValue(client, { key: 'nope' }, signal), { code: 'NotFound', message: /secret "nope" not found in https:\/\/127\.0\.0\.1:\d+\/ \(SecretNotFound\)/ });
    await assert.rejects(readValue(client, { key: 'db', version: 'ffff' }, signal), { code: 'NotFound', message: /version "ffff"/ });
    await assert.rejects(readValue(client, { key: 'db', property: 'nope' }, signal), { code: 'PropertyNotFound', message: /property nope does not exist in key db/ });
    await assert.rejects(readValue(client, { key: 'app-off' }, signal), { code: 'AccessDenied', message: /disabled secret/ });
    await assert.rejects(readValue(client, { key: 'blob/x' }, signal), /unknown Azure Keyvault object Type for x/);
  });

  it('a wrong client secret fails at connect with Entra ID\'s reason, and the secret stays out of the message', async () => {
    const spec = spSpec({ authSecretRef: { clientId: { name: 'sp-wrong', key: 'clientId' }, clientSecret: { name: 'sp-wrong', key: 'clientSecret' } } });
    const err = await azureKvProvider.connect(testStoreContext({ spec, kube }).ctx).then(
      () => assert.fail('connected'),
      (e: Error & { code: string }) => e,
    );
    assert.equal(err.code, 'AuthFailed');
    assert.match(err.message, /AADSTS7000215: Invalid client secret provided/);
    assert.doesNotMatch(err.message, /not-the-secret/);
  });

  it('authenticates with a client certificate (signed assertion), and refuses a certificate the app does not have', async () => {
    const { client } = await connect(spSpec({ authSecretRef: { clientId: { name: 'sp-cert', key: 'clientId' }, clientCertificate: { name: 'sp-cert', key: 'cert' } } }));
    assert.equal(text(await readValue(client, { key: 'db', property: 'user' }, signal)), 'admin');
    const spec = spSpec({ authSecretRef: { clientId: { name: 'sp-other-cert', key: 'clientId' }, clientCertificate: { name: 'sp-other-cert', key: 'cert' } } });
    await assert.rejects(azureKvProvider.connect(testStoreContext({ spec, kube }).ctx), { code: 'AuthFailed', message: /AADSTS700027/ });
  });

  it('service principal needs a tenant and exactly one credential (ESO\'s checks)', async () => {
    await assert.rejects(azureKvProvider.connect(testStoreContext({ spec: spSpec({ tenantId: undefined }), kube }).ctx), /missing tenantID in store config/);
    const both = spSpec({ authSecretRef: { clientId: { name: 'sp', key: 'clientId' }, clientSecret: { name: 'sp', key: 'clientSecret' }, clientCertificate: { name: 'sp-cert', key: 'cert' } } });
    await assert.rejects(azureKvProvider.connect(testStoreContext({ spec: both, kube }).ctx), /both clientSecret and clientCredentials set/);
  });

  it('managed identity: the system-assigned one, a chosen client ID, and an unknown one (a ClusterSecretStore, on a vault of its cloud)', async () => {
    // The controller's identity may go only to a vault under the cloud's Key Vault domain: this
    // fake names itself as the resource (as a private cloud's vault would) and the store says so.
    const own = await FakeAzure.start({ resource: 'self' });
    process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = own.imdsUrl;
    try {
      own.addManagedIdentity();
      own.addManagedIdentity('mi-client');
      own.setSecret('db', JSON.stringify({ user: 'admin' }));
      own.setSecret('rotating', 'second');
      const mi = {
        vaultUrl: own.vaultUrl,
        authType: 'ManagedIdentity',
        useAzureSDK: true,
        customCloudConfig: { activeDirectoryEndpoint: own.authorityHost, keyVaultEndpoint: own.vaultUrl },
        caBundle: Buffer.from(own.caPem).toString('base64'),
      };
      const cluster = { storeKind: 'ClusterSecretStore' as const, namespace: undefined };
      const connectMi = async (spec: Record<string, unknown>): Promise<StoreClient> => {
        const client = await azureKvProvider.connect(testStoreContext({ spec, kube, ...cluster }).ctx);
        clients.push(client);
        return client;
      };
      const client = await connectMi(mi);
      assert.equal(text(await readValue(client, { key: 'db', property: 'user' }, signal)), 'admin');
      const chosen = await connectMi({ ...mi, identityId: 'mi-client' });
      assert.equal(text(await readValue(chosen, { key: 'rotating' }, signal)), 'second');
      assert.equal(own.counts.imdsTokens, 2);
      await assert.rejects(azureKvProvider.connect(testStoreContext({ spec: { ...mi, identityId: 'nobody' }, kube, ...cluster }).ctx), { code: 'AuthFailed', message: /managed identity nobody: .*Identity not found/ });
    } finally {
      delete process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST;
      await own.stop();
    }
  });

  it('the controller\'s identity is refused for a namespaced SecretStore, and goes to no host outside the cloud\'s Key Vault domain', async () => {
    process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = az.imdsUrl;
    const dir = mkdtempSync(join(tmpdir(), 'hush-azwi-'));
    writeFileSync(join(dir, 'token'), 'controller-federated-token-canary');
    Object.assign(process.env, { AZURE_CLIENT_ID: 'app-secret', AZURE_TENANT_ID: 'tenant-1', AZURE_FEDERATED_TOKEN_FILE: join(dir, 'token') });
    try {
      const before = { ...az.counts };
      const mi = { vaultUrl: az.vaultUrl, authType: 'ManagedIdentity', caBundle: Buffer.from(az.caPem).toString('base64') };
      const wi = { ...spSpec(), authType: 'WorkloadIdentity', authSecretRef: undefined };
      for (const spec of [mi, wi]) {
        await assert.rejects(azureKvProvider.connect(testStoreContext({ spec, kube, namespace: 'team-a' }).ctx), (e: unknown) =>
          e instanceof HushError && e.code === 'PolicyRefused' && !e.retryable &&
          /a namespaced SecretStore may not use the controller's own credentials/.test(e.message) &&
          /--ambient-credentials-namespaces=team-a/.test(e.message) &&
          (spec === mi ? /^spec\.provider\.azurekv\.authType: .*managed identity.*set authType ServicePrincipal with spec\.provider\.azurekv\.authSecretRef/ : /^spec\.provider\.azurekv\.serviceAccountRef: .*workload identity.*set spec\.provider\.azurekv\.serviceAccountRef/).test(e.message));
      }
      // A ClusterSecretStore may use the managed identity, but not send its token to a vault
      // outside *.vault.azure.net (this one is on 127.0.0.1).
      await assert.rejects(azureKvProvider.connect(testStoreContext({ spec: mi, kube, storeKind: 'ClusterSecretStore', namespace: undefined }).ctx), (e: unknown) =>
        e instanceof HushError && e.code === 'PolicyRefused' && /^spec\.provider\.azurekv\.vaultUrl: "127\.0\.0\.1" is not a Key Vault of this cloud \(\*\.vault\.azure\.net\)/.test(e.message));
      assert.deepEqual(az.counts, before, 'no token was asked for and nothing reached the vault');
      // The positive sentinel: the store's own credentials (a client secret) still reach this vault.
      const { client } = await connect(spSpec());
      assert.equal(text(await readValue(client, { key: 'db', property: 'user' }, signal)), 'admin');
      assert.ok(az.counts.tokens > before.tokens && az.counts.vaultCalls > before.vaultCalls);
    } finally {
      delete process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST;
      for (const k of ['AZURE_CLIENT_ID', 'AZURE_TENANT_ID', 'AZURE_FEDERATED_TOKEN_FILE']) delete process.env[k];
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('throttling answers become Throttled with the vault\'s Retry-After', async () => {
    const { client } = await connect(spSpec(), { retrySettings: { maxRetries: 0 } });
    az.throttleNext(1);
    await assert.rejects(readValue(client, { key: 'db' }, signal), { code: 'Throttled', retryAfterMs: 1000 });
    az.throttleNext(1, '7');
    await assert.rejects(readValue(client, { key: 'db' }, signal), { code: 'Throttled', retryAfterMs: 7000 });
    az.throttleNext(1, null);
    await assert.rejects(readValue(client, { key: 'db' }, signal), (e: unknown) => e instanceof HushError && e.code === 'Throttled' && e.retryAfterMs === undefined);
    // No pause of the client's own: the next read goes straight to the vault (the governor paces the store).
    const calls = az.counts.vaultCalls;
    assert.equal(text(await readValue(client, { key: 'db', property: 'user' }, signal)), 'admin');
    assert.equal(az.counts.vaultCalls - calls, 1);
  });

  it('raw reads: two properties of one secret are one GetSecret, projected twice', async () => {
    const { client, log } = await connect(spSpec());
    const user = { key: 'db', property: 'user' };
    const port = { key: 'db', property: 'port' };
    assert.deepEqual(rawRefOf(client, user), rawRefOf(client, port));
    await client.read({ key: 'other' }, signal); // the SDK's first request is the unauthenticated challenge: out of the count
    const calls = az.counts.vaultCalls;
    const raw = await client.read(rawRefOf(client, user), signal);
    assert.equal(text(client.projection.value(raw, user)), 'admin');
    assert.equal(text(client.projection.value(raw, port)), '5432');
    assert.equal(text(client.projection.map(raw, { key: 'db' }).get('pass')!), VALUE_CANARY);
    assert.equal(az.counts.vaultCalls - calls, 1, 'one vault call for both properties and the map');
    assert.equal(log.count('GetSecret', 'success'), 2, 'the warm-up read and this one');
    assert.throws(() => client.projection.value(raw, { key: 'db', property: 'nope' }), { code: 'PropertyNotFound', message: /property nope does not exist in key db/ });
  });

  it('raw reads: the version is the object version\'s id and a new version changes it; metadata reads have none', async () => {
    const { client } = await connect(spSpec());
    const first = az.setSecret('versioned', 'one', { tags: { gen: '1' } });
    const r1 = await client.read({ key: 'versioned' }, signal);
    assert.equal(r1.version, first);
    const second = az.setSecret('versioned', 'two');
    const r2 = await client.read({ key: 'versioned' }, signal);
    assert.equal(r2.version, second);
    assert.notEqual(second, first);
    assert.equal(text(client.projection.value(r2, { key: 'versioned' })), 'two');
    assert.equal((await client.read({ key: 'versioned', version: first }, signal)).version, first, 'a pinned version names itself');
    const kv = az.setKey('versioned-key', { kty: 'RSA', n: 'AQAB', e: 'AQAB' });
    assert.equal((await client.read({ key: 'key/versioned-key' }, signal)).version, kv);
    assert.equal((await client.read({ key: 'key/versioned-key', version: kv }, signal)).version, kv);
    const certs = (await client.read({ key: 'cert/tls' }, signal)).version;
    assert.match(certs ?? '', /^[0-9a-f]{32}$/);
    // Key Vault updates tags in place, keeping the version id: a version would hide the change.
    const m1 = await client.read({ key: 'versioned', metadataPolicy: 'Fetch' }, signal);
    assert.equal(m1.version, undefined);
    az.updateSecretTags('versioned', { gen: '2' });
    const m2 = await client.read({ key: 'versioned', metadataPolicy: 'Fetch' }, signal);
    assert.equal(m2.version, undefined);
    assert.equal(text(client.projection.value(m2, { key: 'versioned', metadataPolicy: 'Fetch', property: 'gen' })), '2');
    assert.equal((await client.read({ key: 'versioned' }, signal)).version, second, 'the same version id after the tag update');
  });

  it('the projection is pure: same bytes twice, the payload untouched, and a reader\'s bytes are its own', async () => {
    const { client } = await connect(spSpec());
    const cert = await client.read({ key: 'cert/tls' }, signal);
    const a = client.projection.value(cert, { key: 'cert/tls' });
    const b = client.projection.value(cert, { key: 'cert/tls' });
    assert.deepEqual(a, b);
    const der = [...b];
    a.fill(0);
    assert.deepEqual([...client.projection.value(cert, { key: 'cert/tls' })], der, 'wiping one reader\'s bytes leaves the shared payload alone');
    for (const ref of [{ key: 'db', metadataPolicy: 'Fetch' as const }, { key: 'db' }, { key: 'key/signing' }]) {
      const raw = await client.read(rawRefOf(client, ref), signal);
      const snapshot = JSON.stringify(raw.payload);
      assert.deepEqual(client.projection.value(raw, ref), client.projection.value(raw, ref));
      if (ref.key === 'db') assert.deepEqual(client.projection.map(raw, ref), client.projection.map(raw, ref));
      assert.equal(JSON.stringify(raw.payload), snapshot);
    }
  });


  it('a token the vault stops accepting is replaced on the next read', async () => {
    const { client } = await connect(spSpec());
    assert.equal(text(await readValue(client, { key: 'db', property: 'user' }, signal)), 'admin');
    const before = az.counts.tokens;
    az.revokeTokens();
    await assert.rejects(readValue(client, { key: 'db' }, signal), { code: 'AuthFailed' });
    assert.equal(text(await readValue(client, { key: 'db', property: 'user' }, signal)), 'admin');
    assert.equal(az.counts.tokens - before, 1);
  });

  it('without the vault\'s CA the TLS failure is named, not hidden', async () => {
    const spec = spSpec();
    delete spec.caBundle;
    await assert.rejects(azureKvProvider.connect(testStoreContext({ spec, kube }).ctx), { code: 'InvalidConfig', message: /caBundle\/caProvider/ });
  });

  it('a ClusterSecretStore with referent credentials waits for an ExternalSecret namespace', async () => {
    const { ctx } = testStoreContext({ spec: spSpec(), kube, storeKind: 'ClusterSecretStore', namespace: undefined });
    const client = await azureKvProvider.connect(ctx);
    clients.push(client);
    assert.equal((await client.validate(signal)).state, 'Unknown');
  });
});

void describe('azurekv token lifetime', () => {
  it('gets a new token once two thirds of the old one\'s lifetime have passed', async () => {
    const az = await FakeAzure.start({ tokenSeconds: 3 });
    try {
      az.addApp({ tenantId: 't', clientId: 'c', secret: CLIENT_SECRET });
      az.setSecret('s', 'v');
      const kube = new MemoryKube().setSecret('default', 'sp', { clientId: 'c', clientSecret: CLIENT_SECRET });
      const spec = { vaultUrl: az.vaultUrl, tenantId: 't', useAzureSDK: true, caBundle: Buffer.from(az.caPem).toString('base64'), customCloudConfig: { activeDirectoryEndpoint: az.authorityHost }, authSecretRef: { clientId: { name: 'sp', key: 'clientId' }, clientSecret: { name: 'sp', key: 'clientSecret' } } };
      const client = await azureKvProvider.connect(testStoreContext({ spec, kube }).ctx);
      try {
        assert.equal(text(await readValue(client, { key: 's' }, signal)), 'v');
        assert.equal(az.counts.tokens, 1);
        await new Promise((r) => setTimeout(r, 2200));
        assert.equal(text(await readValue(client, { key: 's' }, signal)), 'v');
        assert.equal(az.counts.tokens, 2);
        assert.equal(az.counts.vaultUnauthorized, 0, 'the old token was replaced before it expired');
      } finally {
        await client.close();
      }
    } finally {
      await az.stop();
    }
  });
});
