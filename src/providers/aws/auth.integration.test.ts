/**
 * Auth methods, role chains and failure handling against a real moto server.
 * The recording proxy in front of moto shows which access key signed each
 * call and what was sent to STS; it also injects what moto cannot produce
 * (throttling, access denied, 500s, a hung request). moto does not validate
 * web-identity tokens, so the token here is minted by a stand-in for the
 * apiserver's TokenRequest (the e2e test uses the real one).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { HushError, NotFoundError } from '../../util/errors.ts';
import { MemoryKube } from '../util/testing/memoryKube.ts';
import type { ProviderKubeAccess } from '../types.ts';
import { readValue } from '../../read/rawref.ts';
import type { ServiceAccountReader } from './auth/types.ts';
import { motoSkipReason, startTestbed, TEST_KEYS, type Testbed } from './testing/testbed.ts';

const signal = new AbortController().signal;
const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const ROLE = (n: string): string => `arn:aws:iam::123456789012:role/${n}`;

/** Kubernetes reads from memory plus ServiceAccounts with annotations and a TokenRequest stand-in. */
class SaKube implements ProviderKubeAccess, ServiceAccountReader {
  private readonly base = new MemoryKube();
  readonly accounts = new Map<string, Record<string, string>>();
  readonly tokenRequests: { name: string; namespace: string | undefined; audiences: string[] | undefined }[] = [];
  readServiceAccount(ref: { name: string; namespace?: string | undefined }): Promise<{ annotations: Record<string, string> }> {
    const a = this.accounts.get(`${ref.namespace}/${ref.name}`);
    return a ? Promise.resolve({ annotations: a }) : Promise.reject(new NotFoundError(`ServiceAccount "${ref.namespace}/${ref.name}" not found`));
  }
  readSecretKey(ref: { name: string; key: string; namespace?: string | undefined }): Promise<Uint8Array> {
    return this.base.readSecretKey(ref);
  }
  readConfigMapKey(ref: { name: string; key: string; namespace?: string | undefined }): Promise<string> {
    return this.base.readConfigMapKey(ref);
  }
  createServiceAccountToken(ref: { name: string; namespace?: string | undefined; audiences?: string[] | undefined }): Promise<{ token: string; expiresAt: Date }> {
    this.tokenRequests.push({ name: ref.name, namespace: ref.namespace, audiences: ref.audiences });
    const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const token = `${b64({ alg: 'RS256' })}.${b64({ sub: `system:serviceaccount:${ref.namespace}:${ref.name}`, aud: ref.audiences })}.c2ln`;
    return Promise.resolve({ token, expiresAt: new Date(Date.now() + 3600_000) });
  }
}

void describe('aws auth and resilience against moto', { skip: motoSkipReason }, () => {
  let tb: Testbed;
  const signer = (action: string): string | undefined => tb.proxy.calls.filter((c) => c.action === action).at(-1)?.accessKeyId;
  const assumedKeys = new Map<string, string>();

  before(async () => {
    tb = await startTestbed();
    await tb.sm.send(new CreateSecretCommand({ Name: 'app/k', SecretString: '{"v":"ok"}' }));
    await tb.sm.send(new CreateSecretCommand({ Name: 'app/j', SecretString: 'other' }));
  });

  after(async () => {
    await tb?.stop();
  });

  it('auth.secretRef: calls are signed with the access key from the Secret', async () => {
    const { client } = await tb.connect({ service: 'SecretsManager' });
    assert.equal(text(await readValue(client, { key: 'app/k', property: 'v' }, signal)), 'ok');
    assert.equal(signer('GetSecretValue'), TEST_KEYS.accessKeyId);
    assert.equal((await client.validate(signal)).state, 'Ready');
  });

  it('auth.secretRef: a missing key Secret fails connect with an auth error, not a "secret not found"', async () => {
    await assert.rejects(
      tb.connect({ service: 'SecretsManager', auth: { secretRef: { accessKeyIDSecretRef: { name: 'nope', key: 'id' }, secretAccessKeySecretRef: { name: 'aws-keys', key: 'secret' } } } }),
      (e: unknown) => e instanceof HushError && e.code === 'AuthFailed' && /could not fetch accessKeyID secret/.test(e.message),
    );
  });

  it('additionalRoles then role: assumed in order, each with the previous credentials; externalID and session tags on role only', async () => {
    const start = tb.proxy.calls.length;
    const { client } = await tb.connect({
      service: 'SecretsManager',
      additionalRoles: [ROLE('hop1'), ROLE('hop2')],
      role: ROLE('final'),
      externalID: 'ext-123',
      sessionTags: [{ key: 'team', value: 'payments' }],
      transitiveTagKeys: ['team'],
    });
    for (let i = 0; i < 5; i++) await readValue(client, { key: 'app/k' }, signal);
    const sts = tb.proxy.calls.slice(start).filter((c) => c.action === 'AssumeRole');
    assert.deepEqual(sts.map((c) => c.params.RoleArn), [ROLE('hop1'), ROLE('hop2'), ROLE('final')], 'one round of role assumption for five reads');
    assert.equal(sts[0]?.accessKeyId, TEST_KEYS.accessKeyId);
    assert.notEqual(sts[1]?.accessKeyId, TEST_KEYS.accessKeyId);
    assert.notEqual(sts[2]?.accessKeyId, sts[1]?.accessKeyId);
    assert.equal(sts[0]?.params.ExternalId, undefined);
    assert.equal(sts[2]?.params.ExternalId, 'ext-123');
    assert.equal(sts[2]?.params['Tags.member.1.Key'], 'team');
    assert.equal(sts[2]?.params['Tags.member.1.Value'], 'payments');
    assert.equal(sts[2]?.params['TransitiveTagKeys.member.1'], 'team');
    const finalKey = signer('GetSecretValue');
    assert.ok(finalKey && finalKey !== TEST_KEYS.accessKeyId && finalKey !== sts[2]?.accessKeyId, 'reads are signed by the last role');
    assumedKeys.set('final', finalKey);
  });

  it('sessionTagsPolicy Simple adds the store identity to the role session', async () => {
    const start = tb.proxy.calls.length;
    await tb.connect({ service: 'SecretsManager', role: ROLE('tagged'), sessionTagsPolicy: 'Simple' });
    const call = tb.proxy.calls.slice(start).find((c) => c.action === 'AssumeRole');
    const tags = Object.fromEntries([1, 2, 3].map((i) => [call?.params[`Tags.member.${i}.Key`], call?.params[`Tags.member.${i}.Value`]]));
    assert.deepEqual(tags, { esoNamespace: 'default', esoStoreName: 'test-store', esoStoreKind: 'SecretStore' });
  });

  it('auth.jwt: the ServiceAccount annotation names the role; a TokenRequest token is exchanged with AssumeRoleWithWebIdentity', async () => {
    const kube = new SaKube();
    kube.accounts.set('default/app', { 'eks.amazonaws.com/role-arn': ROLE('irsa'), 'eks.amazonaws.com/audience': 'my-aud' });
    const start = tb.proxy.calls.length;
    const { client } = await tb.connect({ service: 'SecretsManager', auth: { jwt: { serviceAccountRef: { name: 'app', audiences: ['extra'] } } }, role: ROLE('after-irsa') }, { kube });
    assert.equal(text(await readValue(client, { key: 'app/j' }, signal)), 'other');
    assert.deepEqual(kube.tokenRequests, [{ name: 'app', namespace: 'default', audiences: ['my-aud', 'extra'] }]);
    const calls = tb.proxy.calls.slice(start);
    const web = calls.find((c) => c.action === 'AssumeRoleWithWebIdentity');
    assert.equal(web?.params.RoleArn, ROLE('irsa'));
    assert.equal(web?.params.RoleSessionName, 'external-secrets-provider-aws');
    assert.equal(web?.accessKeyId, undefined, 'the web identity exchange is not signed');
    const assume = calls.find((c) => c.action === 'AssumeRole');
    assert.equal(assume?.params.RoleArn, ROLE('after-irsa'));
    assert.ok(assume?.accessKeyId, 'role is assumed with the web identity credentials');
  });

  it('auth.jwt: a ServiceAccount without the role annotation is a clear configuration error', async () => {
    const kube = new SaKube();
    kube.accounts.set('default/bare', {});
    await assert.rejects(
      tb.connect({ service: 'SecretsManager', auth: { jwt: { serviceAccountRef: { name: 'bare' } } } }, { kube }),
      (e: unknown) => e instanceof HushError && e.code === 'InvalidConfig' && /an IAM role must be associated with service account bare \(namespace: default\)/.test(e.message),
    );
  });

  it('no auth block: the SDK default chain (here: AWS_ACCESS_KEY_ID in the environment) for a ClusterSecretStore, refused for a namespaced SecretStore', async () => {
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = 'AKIADEFAULTCHAIN0001';
    process.env.AWS_SECRET_ACCESS_KEY = 'default-chain-secret';
    try {
      // A namespaced SecretStore may not use the controller's own identity: refused before any call leaves.
      const before = tb.proxy.calls.length;
      await assert.rejects(
        tb.connect({ service: 'SecretsManager', auth: undefined }, { namespace: 'team-a' }),
        (e: unknown) =>
          e instanceof HushError && e.code === 'PolicyRefused' && !e.retryable &&
          /^spec\.provider\.aws\.auth: this store would use the controller's own AWS identity/.test(e.message) &&
          /set spec\.provider\.aws\.auth\.secretRef or spec\.provider\.aws\.auth\.jwt/.test(e.message) &&
          /--ambient-credentials-namespaces=team-a/.test(e.message),
      );
      // role on top of the default chain is still the controller's identity underneath.
      await assert.rejects(tb.connect({ service: 'SecretsManager', auth: undefined, role: 'arn:aws:iam::123456789012:role/anything' }, { namespace: 'team-a' }), { code: 'PolicyRefused' });
      assert.equal(tb.proxy.calls.length, before, 'no request reached the AWS endpoint');

      // The positive sentinel: an administrator's ClusterSecretStore signs with the environment's key.
      const { client } = await tb.connect({ service: 'SecretsManager', auth: undefined }, { storeKind: 'ClusterSecretStore', namespace: undefined });
      await readValue(client, { key: 'app/k' }, signal);
      assert.equal(signer('GetSecretValue'), 'AKIADEFAULTCHAIN0001');
      assert.ok(tb.proxy.calls.length > before);
    } finally {
      if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
      else process.env.AWS_ACCESS_KEY_ID = saved.id;
      if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
      else process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
    }
  });

  it('a ClusterSecretStore whose key refs have no namespace is Unknown until used from an ExternalSecret', async () => {
    const { client } = await tb.connect({ service: 'SecretsManager' }, { storeKind: 'ClusterSecretStore', namespace: undefined });
    assert.equal((await client.validate(signal)).state, 'Unknown');
  });

  it('throttling: ThrottlingException or TooManyRequestsException fails at once as Throttled with retryAfterMs, and nothing waits or pauses', async () => {
    const { client, log } = await tb.connect({ service: 'SecretsManager' });
    const throttled = (min: number, max: number, re: RegExp) => (e: unknown) =>
      e instanceof HushError && e.code === 'Throttled' && e.retryable && (e.retryAfterMs ?? 0) >= min && (e.retryAfterMs ?? 0) <= max && re.test(e.message);
    tb.proxy.fail({ match: 'GetSecretValue', times: 1, code: 'ThrottlingException', message: 'Rate exceeded' });
    const n = tb.proxy.count('GetSecretValue');
    const t0 = Date.now();
    await assert.rejects(readValue(client, { key: 'app/j' }, signal), throttled(1000, 1000, /GetSecretValue "app\/j".*ThrottlingException: Rate exceeded/));
    assert.ok(Date.now() - t0 < 900, 'not waited out in the provider');
    assert.equal(tb.proxy.count('GetSecretValue') - n, 1, 'sent once, not retried');
    assert.equal(log.count('GetSecretValue', 'error'), 1);
    // The store is not paused by the provider: the next call goes out and succeeds.
    assert.equal(text(await readValue(client, { key: 'app/j' }, signal)), 'other');
    assert.equal(tb.proxy.count('GetSecretValue') - n, 2);

    // AWS's Retry-After, when it sends one, is passed on.
    tb.proxy.fail({ match: 'GetSecretValue', times: 1, code: 'TooManyRequestsException', status: 429, message: 'slow down', headers: { 'retry-after': '7' } });
    await assert.rejects(readValue(client, { key: 'app/k' }, signal), throttled(7000, 7000, /TooManyRequestsException: slow down/));

    const { client: ps } = await tb.connect({ service: 'ParameterStore' });
    tb.proxy.fail({ match: 'GetParameter', times: 1, code: 'ThrottlingException', message: 'Rate exceeded' });
    await assert.rejects(readValue(ps, { key: '/any' }, signal), throttled(1000, 1000, /GetParameter "\/any".*ThrottlingException/));
    tb.proxy.clearFaults();
  });

  it('a 500 is retried; access denied is AccessDenied with AWS reason and no credentials in it', async () => {
    const { client } = await tb.connect({ service: 'SecretsManager' }, { storeSpec: { retrySettings: { maxRetries: 2, retryInterval: '10ms' } } });
    tb.proxy.fail({ match: 'GetSecretValue', times: 1, code: 'InternalServiceError', status: 500 });
    assert.equal(text(await readValue(client, { key: 'app/j' }, signal)), 'other');
    tb.proxy.fail({ match: 'GetSecretValue', times: 1, code: 'AccessDeniedException', message: `User with key ${TEST_KEYS.secretAccessKey} is not authorized to perform: secretsmanager:GetSecretValue` });
    await assert.rejects(readValue(client, { key: 'app/j' }, signal), (e: unknown) => {
      assert.ok(e instanceof HushError);
      assert.equal(e.code, 'AccessDenied');
      assert.match(e.message, /AccessDeniedException: User with key \[redacted\] is not authorized/);
      assert.ok(!e.message.includes(TEST_KEYS.secretAccessKey));
      return true;
    });
  });

  it('rejected credentials: re-read once, then AuthFailed', async () => {
    const { client } = await tb.connect({ service: 'SecretsManager' });
    const n = tb.proxy.count('GetSecretValue');
    tb.proxy.fail({ match: 'GetSecretValue', times: 2, code: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' });
    await assert.rejects(readValue(client, { key: 'app/j' }, signal), (e: unknown) => e instanceof HushError && e.code === 'AuthFailed' && /UnrecognizedClientException/.test(e.message));
    assert.equal(tb.proxy.count('GetSecretValue') - n, 2, 'one more try with fresh credentials');
  });

  it('a store that does not answer times out', async () => {
    const { client } = await tb.connect({ service: 'SecretsManager' }, { tuning: { requestTimeoutMs: 300 }, storeSpec: { retrySettings: { maxRetries: 0 } } });
    tb.proxy.fail({ match: 'GetSecretValue', times: 1, hang: true });
    const t0 = Date.now();
    await assert.rejects(readValue(client, { key: 'app/j' }, signal), (e: unknown) => e instanceof HushError && e.code === 'Timeout');
    assert.ok(Date.now() - t0 < 5000);
  });
});
