/**
 * The aws provider through the real controller, against moto (Secrets
 * Manager, Parameter Store, STS) started on a free loopback port. The
 * controller reaches moto through the AWS_*_ENDPOINT variables ESO reads,
 * via a recording proxy that forwards every call unchanged (so the test can
 * see which role signed which call). moto does not validate web-identity
 * tokens: the ServiceAccount token here is minted by the real apiserver's
 * TokenRequest, but moto accepts it without checking its signature.
 *
 * Web identity needs the ServiceAccount's eks.amazonaws.com/role-arn
 * annotation. Until the controller's ProviderKubeAccess offers
 * readServiceAccount, this test hands the aws provider one that reads the
 * ServiceAccount with the test's admin client (see withServiceAccounts).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateSecretCommand, DeleteSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { cleanupCreated, ClusterSecretStores, ExternalSecrets, SecretStores, Secrets, createNamespace, getSecret, harness, readyOf, secretStrings, startController, trackClusterObject, waitReady, getEs, type Harness, type RunningController } from '../support/harness.ts';
import { ServiceAccounts } from '../../src/kube/resources.ts';
import { motoBinary, startMoto, type Moto } from '../../src/providers/aws/testing/moto.ts';
import { requireTool, waitFor } from '../support/index.ts';
import { startAwsProxy, type AwsProxy } from '../../src/providers/aws/testing/awsproxy.ts';
import { awsProvider } from '../../src/providers/aws/provider.ts';
import type { ServiceAccountReader } from '../../src/providers/aws/auth/types.ts';
import { DEFAULT_CREDENTIAL_POLICY } from '../../src/providers/ambient.ts';
import { providerFor } from '../../src/providers/registry.ts';
import type { Provider, ProviderKubeAccess } from '../../src/providers/types.ts';

const skip = requireTool('moto_server', 'scripts/install-moto.sh', motoBinary() !== undefined);
const CANARY = 'CANARY-e2e-aws-4b9d';
const REGION = 'eu-west-1';
const ROLE = (n: string): string => `arn:aws:iam::123456789012:role/${n}`;
const ENV = ['AWS_SECRETSMANAGER_ENDPOINT', 'AWS_SSM_ENDPOINT', 'AWS_STS_ENDPOINT', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const;

let h: Harness;
let ctl: RunningController;
let moto: Moto;
let proxy: AwsProxy;
let sm: SecretsManagerClient;
let ssm: SSMClient;
const savedEnv: Record<string, string | undefined> = {};

/** The aws provider, with ServiceAccount reads added to its Kubernetes access if the controller does not offer them. */
function withServiceAccounts(base: Provider): Provider {
  return {
    ...base,
    connect(ctx) {
      const kube = ctx.kube as ProviderKubeAccess & Partial<ServiceAccountReader>;
      if (typeof kube.readServiceAccount === 'function') return base.connect(ctx);
      const reader: ServiceAccountReader = {
        async readServiceAccount(ref) {
          const sa = await h.kube.get<{ metadata: { name: string; annotations?: Record<string, string> } }>(ServiceAccounts, ref.name, ref.namespace);
          if (!sa) throw new Error(`ServiceAccount "${ref.namespace}/${ref.name}" not found`);
          return { annotations: sa.metadata.annotations ?? {} };
        },
      };
      return base.connect({ ...ctx, kube: Object.assign(Object.create(kube) as ProviderKubeAccess, reader) });
    },
  };
}

before(async () => {
  if (skip) return;
  for (const k of ENV) savedEnv[k] = process.env[k];
  moto = await startMoto();
  proxy = await startAwsProxy(moto.endpoint);
  for (const k of ['AWS_SECRETSMANAGER_ENDPOINT', 'AWS_SSM_ENDPOINT', 'AWS_STS_ENDPOINT']) process.env[k] = proxy.endpoint;
  const admin = { region: REGION, endpoint: moto.endpoint, credentials: { accessKeyId: 'AKIAADMIN', secretAccessKey: 'admin' } };
  sm = new SecretsManagerClient(admin);
  ssm = new SSMClient(admin);
  h = await harness();
  ctl = await startController(h, {
    providerFor: (key) => (key === 'aws' ? withServiceAccounts(awsProvider) : providerFor(key)),
    // IRSA on a SecretStore asks for the sts.amazonaws.com audience: allowed by flag, as an operator would.
    credentialPolicy: { ...DEFAULT_CREDENTIAL_POLICY, allowedTokenAudiences: ['vault', 'sts.amazonaws.com'] },
  });
});

after(async () => {
  try {
    await cleanupCreated();
  } finally {
    await ctl?.stop();
    sm?.destroy();
    ssm?.destroy();
    await proxy?.stop();
    await moto?.stop();
    for (const k of ENV) {
      if (savedEnv[k] === undefined) delete process.env[k];
      else process.env[k] = savedEnv[k];
    }
  }
});

async function awsStore(ns: string, name: string, provider: Record<string, unknown>, keys = true): Promise<void> {
  if (keys) {
    await h.kube.create(Secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: `${name}-keys`, namespace: ns }, stringData: { id: 'AKIAE2ESTATICKEY0001', secret: 'e2e-static-secret-key' } } as never);
  }
  const auth = keys ? { secretRef: { accessKeyIDSecretRef: { name: `${name}-keys`, key: 'id' }, secretAccessKeySecretRef: { name: `${name}-keys`, key: 'secret' } } } : undefined;
  await h.kube.create(SecretStores, {
    apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name, namespace: ns },
    spec: { provider: { aws: { region: REGION, ...(auth ? { auth } : {}), ...provider } } },
  } as never);
  await waitReady(h.kube, SecretStores, ns, name);
}

async function es(ns: string, name: string, store: string, spec: Record<string, unknown>, want: 'True' | 'False' = 'True') {
  await h.kube.create(ExternalSecrets, {
    apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name, namespace: ns },
    spec: { refreshInterval: '1h', secretStoreRef: { name: store }, ...spec },
  } as never);
  return waitReady(h.kube, ExternalSecrets, ns, name, want);
}

async function forceSync(ns: string, name: string): Promise<void> {
  await h.kube.patch(ExternalSecrets, name, ns, { metadata: { annotations: { 'external-secrets.io/force-sync': String(Date.now()) } } }, 'merge');
}

const createSecret = (Name: string, SecretString: string, tags: Record<string, string> = {}) =>
  sm.send(new CreateSecretCommand({ Name, SecretString, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }));

test('SecretsManager: simple sync, JSON property, version stage, extract, find by name and tags, rewrite, decoding', { skip }, async () => {
  const ns = await createNamespace(h.kube);
  const p = `e2e/${ns}`;
  await createSecret(`${p}/db`, `{"user":"svc","password":"${CANARY}","port":5432}`, { env: 'prod' });
  await sm.send(new PutSecretValueCommand({ SecretId: `${p}/db`, SecretString: `{"user":"svc2","password":"${CANARY}","port":5432}` }));
  await createSecret(`${p}/plain`, 'hello', { env: 'prod' });
  await createSecret(`${p}/b64`, Buffer.from('decoded!').toString('base64'));
  await createSecret(`${p}/cfg/one`, '1', { app: ns });
  await createSecret(`${p}/cfg/two`, '2', { app: ns });
  await awsStore(ns, 'aws', { service: 'SecretsManager' });
  await es(ns, 'all', 'aws', {
    data: [
      { secretKey: 'plain', remoteRef: { key: `${p}/plain` } },
      { secretKey: 'user', remoteRef: { key: `${p}/db`, property: 'user' } },
      { secretKey: 'previous-user', remoteRef: { key: `${p}/db`, property: 'user', version: 'AWSPREVIOUS' } },
      { secretKey: 'decoded', remoteRef: { key: `${p}/b64`, decodingStrategy: 'Base64' } },
      { secretKey: 'env-tag', remoteRef: { key: `${p}/db`, metadataPolicy: 'Fetch', property: 'env' } },
    ],
    dataFrom: [
      { extract: { key: `${p}/db` } },
      { find: { name: { regexp: `^${p}/cfg/` } }, rewrite: [{ regexp: { source: '.*/cfg/(.*)', target: 'cfg-$1' } }] },
      { find: { tags: { app: ns } }, rewrite: [{ regexp: { source: '.*/cfg/(.*)', target: 'tagged-$1' } }] },
    ],
  });
  assert.deepEqual(secretStrings(await getSecret(h.kube, ns, 'all')), {
    plain: 'hello',
    user: 'svc2',
    'previous-user': 'svc',
    decoded: 'decoded!',
    'env-tag': 'prod',
    password: CANARY,
    port: '5432',
    'cfg-one': '1',
    'cfg-two': '2',
    'tagged-one': '1',
    'tagged-two': '2',
  });
  // The reconcile's reads went to moto signed with the store's static key.
  assert.ok(proxy.calls.some((c) => c.action === 'GetSecretValue' && c.accessKeyId === 'AKIAE2ESTATICKEY0001'));
  assert.ok(proxy.calls.some((c) => c.action === 'BatchGetSecretValue'));
  assert.ok(ctl.metrics.providerCalls.get({ provider: awsProvider.metricsName, call: 'GetSecretValue', status: 'success' }) > 0);
});

test('ParameterStore: decrypted value, property, version and label-less reads, find by path', { skip }, async () => {
  const ns = await createNamespace(h.kube);
  const p = `/e2e/${ns}`;
  await ssm.send(new PutParameterCommand({ Name: `${p}/db`, Value: `{"user":"psu","password":"${CANARY}"}`, Type: 'SecureString' }));
  await ssm.send(new PutParameterCommand({ Name: `${p}/plain`, Value: 'one', Type: 'String' }));
  await ssm.send(new PutParameterCommand({ Name: `${p}/plain`, Value: 'two', Type: 'String', Overwrite: true }));
  await ssm.send(new PutParameterCommand({ Name: `${p}/sub/x`, Value: 'deep', Type: 'String' }));
  await awsStore(ns, 'ps', { service: 'ParameterStore' });
  await es(ns, 'ps', 'ps', {
    data: [
      { secretKey: 'user', remoteRef: { key: `${p}/db`, property: 'user' } },
      { secretKey: 'plain', remoteRef: { key: `${p}/plain` } },
      { secretKey: 'first', remoteRef: { key: `${p}/plain`, version: '1' } },
    ],
    dataFrom: [{ find: { path: p, name: { regexp: 'sub/' } }, rewrite: [{ regexp: { source: '.*/', target: '' } }] }],
  });
  assert.deepEqual(secretStrings(await getSecret(h.kube, ns, 'ps')), { user: 'psu', plain: 'two', first: 'one', x: 'deep' });
});

test('missing key: Ready=False with AWS reason, Secret unchanged; deletionPolicy Delete removes it, Retain keeps it', { skip }, async () => {
  const ns = await createNamespace(h.kube);
  const p = `e2e/${ns}`;
  await createSecret(`${p}/k`, '{"v":"1"}');
  await createSecret(`${p}/keep`, '{"v":"2"}');
  await awsStore(ns, 'aws', { service: 'SecretsManager' });
  await es(ns, 'del', 'aws', { target: { deletionPolicy: 'Delete' }, dataFrom: [{ extract: { key: `${p}/k` } }] });
  await es(ns, 'ret', 'aws', { target: { deletionPolicy: 'Retain' }, data: [{ secretKey: 'v', remoteRef: { key: `${p}/k`, property: 'v' } }] });
  await es(ns, 'miss', 'aws', { data: [{ secretKey: 'v', remoteRef: { key: `${p}/keep`, property: 'v' } }] });

  await sm.send(new DeleteSecretCommand({ SecretId: `${p}/k`, ForceDeleteWithoutRecovery: true }));
  await h.kube.patch(ExternalSecrets, 'miss', ns, { spec: { data: [{ secretKey: 'v', remoteRef: { key: `${p}/nope`, property: 'v' } }] } }, 'merge');
  for (const name of ['del', 'ret']) await forceSync(ns, name);

  await waitFor(async () => (await getSecret(h.kube, ns, 'del')) === undefined, { timeoutMs: 15_000, message: 'Delete policy removed the Secret' });
  const ret = await waitReady(h.kube, ExternalSecrets, ns, 'ret', 'False');
  assert.match(readyOf(ret)?.message ?? '', /ResourceNotFoundException/);
  assert.deepEqual(secretStrings(await getSecret(h.kube, ns, 'ret')), { v: '1' }, 'Retain: the Secret keeps its last value');
  const miss = await waitFor(async () => {
    const o = await getEs(h.kube, ns, 'miss');
    return readyOf(o)?.status === 'False' ? o : undefined;
  }, { timeoutMs: 15_000, message: 'miss Ready=False' });
  const msg = readyOf(miss)?.message ?? '';
  assert.match(msg, new RegExp(`SecretStore "${ns}/aws"`));
  assert.match(msg, /GetSecretValue "e2e\/[^"]+\/nope": ResourceNotFoundException/);
  assert.ok(!msg.includes(CANARY));
  assert.deepEqual(secretStrings(await getSecret(h.kube, ns, 'miss')), { v: '2' });
});

test('auth.jwt: a real ServiceAccount token exchanged for the role in its eks.amazonaws.com/role-arn annotation, then role assumed', { skip }, async () => {
  const ns = await createNamespace(h.kube);
  await createSecret(`e2e/${ns}/irsa`, 'via-irsa');
  await h.kube.create(ServiceAccounts, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'app', namespace: ns, annotations: { 'eks.amazonaws.com/role-arn': ROLE(`irsa-${ns}`) } } } as never);
  const start = proxy.calls.length;
  await awsStore(ns, 'irsa', { service: 'SecretsManager', auth: { jwt: { serviceAccountRef: { name: 'app' } } }, role: ROLE(`target-${ns}`), externalID: 'ext-e2e' }, false);
  await es(ns, 'irsa', 'irsa', { data: [{ secretKey: 'v', remoteRef: { key: `e2e/${ns}/irsa` } }] });
  assert.deepEqual(secretStrings(await getSecret(h.kube, ns, 'irsa')), { v: 'via-irsa' });
  const calls = proxy.calls.slice(start);
  const web = calls.find((c) => c.action === 'AssumeRoleWithWebIdentity' && c.params.RoleArn === ROLE(`irsa-${ns}`));
  assert.ok(web, 'AssumeRoleWithWebIdentity with the annotated role');
  const token = String(web.params.WebIdentityToken);
  const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub: string; aud: string[] };
  assert.equal(claims.sub, `system:serviceaccount:${ns}:app`, 'a token minted by the apiserver for the ServiceAccount');
  assert.deepEqual(claims.aud, ['sts.amazonaws.com']);
  const assume = calls.find((c) => c.action === 'AssumeRole' && c.params.RoleArn === ROLE(`target-${ns}`));
  assert.equal(assume?.params.ExternalId, 'ext-e2e');
  // The logs never carry the token.
  assert.ok(!ctl.logs.some((l) => l.includes(token)));
});

test('auth.jwt without the role annotation: the store is not ready and says why', { skip }, async () => {
  const ns = await createNamespace(h.kube);
  await h.kube.create(ServiceAccounts, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'bare', namespace: ns } } as never);
  await h.kube.create(SecretStores, {
    apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name: 'bad', namespace: ns },
    spec: { provider: { aws: { service: 'SecretsManager', region: REGION, auth: { jwt: { serviceAccountRef: { name: 'bare' } } } } } },
  } as never);
  const store = await waitReady(h.kube, SecretStores, ns, 'bad', 'False');
  assert.match(readyOf(store)?.message ?? '', /an IAM role must be associated with service account bare/);
});

test('no auth block: the default credential chain (environment variables of the controller): a ClusterSecretStore may use it, a SecretStore may not', { skip }, async () => {
  const ns = await createNamespace(h.kube);
  await createSecret(`e2e/${ns}/dflt`, 'via-default-chain');
  process.env.AWS_ACCESS_KEY_ID = 'AKIAE2EDEFAULTCHAIN1';
  process.env.AWS_SECRET_ACCESS_KEY = 'e2e-default-chain-secret';
  // A namespaced SecretStore: refused before any call, Stalled, naming the field and the flag.
  await h.kube.create(SecretStores, {
    apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name: 'dflt', namespace: ns },
    spec: { provider: { aws: { region: REGION, service: 'SecretsManager', additionalRoles: [ROLE(`hop-${ns}`)] } } },
  } as never);
  const refused = await waitReady(h.kube, SecretStores, ns, 'dflt', 'False');
  assert.match(readyOf(refused)?.message ?? '', new RegExp(`^SecretStore "${ns}/dflt": spec\\.provider\\.aws\\.auth: this store would use the controller's own AWS identity.*set spec\\.provider\\.aws\\.auth\\.secretRef or spec\\.provider\\.aws\\.auth\\.jwt.*--ambient-credentials-namespaces=${ns}`));
  assert.equal(proxy.calls.filter((c) => c.accessKeyId === 'AKIAE2EDEFAULTCHAIN1').length, 0, 'nothing was signed with the controller\'s keys');
  // An administrator's ClusterSecretStore: the environment's keys, as in ESO.
  const css = `dflt-${ns}`;
  await h.kube.create(ClusterSecretStores, {
    apiVersion: 'external-secrets.io/v1', kind: 'ClusterSecretStore', metadata: { name: css },
    spec: { provider: { aws: { region: REGION, service: 'SecretsManager', additionalRoles: [ROLE(`hop-${ns}`)] } } },
  } as never);
  trackClusterObject(h.kube, ClusterSecretStores, css);
  await waitReady(h.kube, ClusterSecretStores, undefined, css);
  await es(ns, 'dflt', css, { secretStoreRef: { name: css, kind: 'ClusterSecretStore' }, data: [{ secretKey: 'v', remoteRef: { key: `e2e/${ns}/dflt` } }] });
  assert.deepEqual(secretStrings(await getSecret(h.kube, ns, 'dflt')), { v: 'via-default-chain' });
  const hop = proxy.calls.find((c) => c.action === 'AssumeRole' && c.params.RoleArn === ROLE(`hop-${ns}`));
  assert.equal(hop?.accessKeyId, 'AKIAE2EDEFAULTCHAIN1');
});

test('throttling: ThrottlingException backs the store off as a whole; the ExternalSecret recovers by itself', { skip }, async () => {
  const ns = await createNamespace(h.kube);
  await createSecret(`e2e/${ns}/t`, 'after-throttle');
  await awsStore(ns, 'aws', { service: 'SecretsManager' });
  proxy.fail({ match: (c) => c.action === 'GetSecretValue' && String(c.params.SecretId).startsWith(`e2e/${ns}/`), times: 3, code: 'ThrottlingException', message: 'Rate exceeded' });
  await h.kube.create(ExternalSecrets, {
    apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 't', namespace: ns },
    spec: { refreshInterval: '1h', secretStoreRef: { name: 'aws' }, data: [{ secretKey: 'v', remoteRef: { key: `e2e/${ns}/t` } }] },
  } as never);
  // The provider does not wait: the first read fails as Throttled (retryAfterMs), so Ready=False names the throttling…
  const failed = await waitReady(h.kube, ExternalSecrets, ns, 't', 'False', 15_000);
  assert.match(readyOf(failed)?.message ?? '', /ThrottlingException/);
  // …and once the store's governor lets reads through again the ExternalSecret syncs without any outside help.
  await waitReady(h.kube, ExternalSecrets, ns, 't', 'True', 20_000);
  assert.deepEqual(secretStrings(await getSecret(h.kube, ns, 't')), { v: 'after-throttle' });
});

test('change feed: refreshes ask ListSecrets / DescribeParameters which values changed and read only those', { skip }, async (t) => {
  const ns = await createNamespace(h.kube);
  const p = `e2e/${ns}`;
  for (let i = 0; i < 3; i++) await createSecret(`${p}/feed${i}`, `v${i}-1`);
  await ssm.send(new PutParameterCommand({ Name: `/${p}/param`, Value: 'p-1', Type: 'String' }));
  await awsStore(ns, 'aws', { service: 'SecretsManager' });
  await awsStore(ns, 'ps', { service: 'ParameterStore' });
  for (let i = 0; i < 3; i++) await es(ns, `feed${i}`, 'aws', { refreshInterval: '2s', data: [{ secretKey: 'v', remoteRef: { key: `${p}/feed${i}` } }] });
  await es(ns, 'param', 'ps', { refreshInterval: '2s', data: [{ secretKey: 'v', remoteRef: { key: `/${p}/param` } }] });
  const calls = (store: string, call: string) => ['success', 'error', 'throttled', 'timeout'].reduce((n, o) => n + ctl.metrics.storeCalls.get({ kind: 'SecretStore', namespace: ns, name: store, call, outcome: o }), 0);
  const reads = { aws: calls('aws', 'read') + calls('aws', 'batchRead'), ps: calls('ps', 'read') + calls('ps', 'batchRead') };
  const polls = { aws: calls('aws', 'poll'), ps: calls('ps', 'poll') };
  // The positive sentinel: the feeds are asked, round after round ...
  await waitFor(() => calls('aws', 'poll') - polls.aws >= 2 && calls('ps', 'poll') - polls.ps >= 2, { timeoutMs: 20_000, intervalMs: 50, message: 'two rounds of polls on both stores' });
  // ... and while nothing changes, no value is read.
  assert.equal(calls('aws', 'read') + calls('aws', 'batchRead'), reads.aws, 'no Secrets Manager value read while nothing changed');
  assert.equal(calls('ps', 'read') + calls('ps', 'batchRead'), reads.ps, 'no Parameter Store value read while nothing changed');

  await sm.send(new PutSecretValueCommand({ SecretId: `${p}/feed1`, SecretString: 'v1-2' }));
  await ssm.send(new PutParameterCommand({ Name: `/${p}/param`, Value: 'p-2', Type: 'String', Overwrite: true }));
  const t0 = performance.now();
  await waitFor(async () => secretStrings(await getSecret(h.kube, ns, 'feed1')).v === 'v1-2' && secretStrings(await getSecret(h.kube, ns, 'param')).v === 'p-2', { timeoutMs: 20_000, intervalMs: 50, message: 'the changed values synced' });
  t.diagnostic(`changes synced ${Math.round(performance.now() - t0)} ms after the writes (refreshInterval 2s)`);
  assert.equal(calls('aws', 'read') + calls('aws', 'batchRead') - reads.aws, 1, 'one Secrets Manager value read: the one that changed');
  assert.equal(calls('ps', 'read') + calls('ps', 'batchRead') - reads.ps, 1, 'one Parameter Store value read');
  const store = await h.kube.get<{ metadata: { name: string }; status?: { conditions?: { type: string; status: string; reason?: string }[] } }>(SecretStores, 'aws', ns);
  const feed = store?.status?.conditions?.find((c) => c.type === 'ChangeDetection');
  assert.deepEqual({ status: feed?.status, reason: feed?.reason }, { status: 'True', reason: 'Polling' });
});
