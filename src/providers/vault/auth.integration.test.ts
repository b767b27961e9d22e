/**
 * Vault auth methods, TLS and token lifecycle against a real OpenBao dev
 * server. ProviderKubeAccess is served from memory (memoryKube.ts); OpenBao is real.
 * Not here: ldap (no LDAP server can run here) and kubernetes / jwt with
 * kubernetesServiceAccountToken (they need a kube-apiserver: see kube.integration.test.ts).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { StoreClient } from '../types.ts';
import { readValue } from '../../read/rawref.ts';
import { MemoryKube, testStoreContext, type CallLog } from '../util/testing/memoryKube.ts';
import { makeTestPki, type TestPki } from '../util/testing/pki.ts';
import { vaultProvider } from './provider.ts';
import { baoSkipReason, startOpenBao, type OpenBao } from './testing/openbao.ts';

const CANARY = 'CANARY-pw-51c0e2';
const signal = new AbortController().signal;
const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const b64url = (v: unknown): string => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

void describe('vault auth methods and TLS against OpenBao', { skip: baoSkipReason() }, () => {
  let bao: OpenBao;
  let pki: TestPki;
  let kube: MemoryKube;
  const clients: StoreClient[] = [];
  const jwtKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });

  const connect = async (spec: Record<string, unknown>): Promise<{ client: StoreClient; log: CallLog }> => {
    const { ctx, log } = testStoreContext({ spec: { server: bao.addr, path: 'secret', ...spec }, kube });
    const client = await vaultProvider.connect(ctx);
    clients.push(client);
    return { client, log };
  };
  const w = async (path: string, body: unknown): Promise<Awaited<ReturnType<OpenBao['api']>>['body']> => {
    const r = await bao.api('POST', path, body);
    assert.ok(r.status < 300, `${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const appRole = async (role: string, opts: Record<string, unknown>): Promise<void> => {
    await w(`auth/approle/role/${role}`, { token_policies: ['reader'], ...opts });
    const roleId = (await bao.api('GET', `auth/approle/role/${role}/role-id`)).body.data.role_id as string;
    const secretId = (await w(`auth/approle/role/${role}/secret-id`, {})).data.secret_id as string;
    kube.setSecret('default', `approle-${role}`, { roleId, secretId });
  };
  const appRoleSpec = (role: string): Record<string, unknown> => ({
    auth: { appRole: { roleRef: { name: `approle-${role}`, key: 'roleId' }, secretRef: { name: `approle-${role}`, key: 'secretId' } } },
  });
  const signJwt = (claims: Record<string, unknown>): string => {
    const now = Math.floor(Date.now() / 1000);
    const head = b64url({ alg: 'RS256', typ: 'JWT' }) + '.' + b64url({ iat: now, nbf: now - 5, exp: now + 600, ...claims });
    return head + '.' + sign('sha256', Buffer.from(head), jwtKeys.privateKey).toString('base64url');
  };

  before(async () => {
    pki = makeTestPki();
    bao = await startOpenBao({ pki });
    kube = new MemoryKube();
    await w('sys/policies/acl/reader', { policy: 'path "secret/data/*" { capabilities = ["read"] }' });
    await w('secret/data/app', { data: { user: 'svc', password: CANARY } });
    await w('sys/auth/approle', { type: 'approle' });
    await w('sys/auth/userpass', { type: 'userpass' });
    await w('sys/auth/jwt', { type: 'jwt' });
    await w('sys/auth/cert', { type: 'cert' });
    await appRole('plain', { token_ttl: '1h' });
    await w('auth/userpass/users/alice', { password: CANARY, token_policies: ['reader'] });
    kube.setSecret('default', 'alice', { password: CANARY, wrong: `${CANARY}-wrong` });
    await w('auth/jwt/config', { jwt_validation_pubkeys: [jwtKeys.publicKey.export({ type: 'spki', format: 'pem' })] });
    await w('auth/jwt/role/hush', { role_type: 'jwt', bound_audiences: ['hush'], user_claim: 'sub', token_policies: ['reader'] });
    kube.setSecret('default', 'jwt', { token: signJwt({ sub: 'hush-controller', aud: 'hush' }), wrongAud: signJwt({ sub: 'x', aud: 'other' }) });
    await w('auth/cert/certs/hush', { certificate: pki.caPem, token_policies: ['reader'] });
    kube.setSecret('default', 'client-cert', { 'tls.crt': pki.clientCertPem, 'tls.key': pki.clientKeyPem });
    kube.setSecret('default', 'vault-root', { token: bao.rootToken });
    kube.setConfigMap('default', 'vault-ca', { 'ca.crt': pki.caPem });
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await bao?.stop();
    pki?.cleanup();
  });

  void it('appRole: logs in once at connect and reuses the token for every read', async () => {
    const { client, log } = await connect(appRoleSpec('plain'));
    for (let i = 0; i < 20; i++) assert.equal(text(await readValue(client, { key: 'app', property: 'user' }, signal)), 'svc');
    await Promise.all(Array.from({ length: 10 }, () => readValue(client, { key: 'app' }, signal)));
    assert.equal(log.count('Login', 'success'), 1);
    assert.equal(log.count('ReadSecretData', 'success'), 30);
    assert.equal((await client.validate(signal)).state, 'Ready');
  });

  void it('closing a client revokes the token it logged in for (not a token the user gave)', async () => {
    await appRole('revoke', {});
    const { client, log } = await connect(appRoleSpec('revoke'));
    await readValue(client, { key: 'app', property: 'user' }, signal);
    const accessors = (await bao.api('LIST', 'auth/token/accessors')).body.data.keys as string[];
    await client.close();
    assert.equal(log.count('RevokeSelf', 'success'), 1);
    const after = (await bao.api('LIST', 'auth/token/accessors')).body.data.keys as string[];
    assert.equal(after.length, accessors.length - 1, 'one token fewer in OpenBao');
  });

  void it('appRole with an inline roleId', async () => {
    const roleId = (await bao.api('GET', 'auth/approle/role/plain/role-id')).body.data.role_id as string;
    const { client } = await connect({ auth: { appRole: { roleId, secretRef: { name: 'approle-plain', key: 'secretId' } } } });
    assert.equal(text(await readValue(client, { key: 'app', property: 'user' }, signal)), 'svc');
  });

  void it('logs in again once, for all waiting reads, when Vault revokes the token', async () => {
    await appRole('revoked', { token_ttl: '1h' });
    const { client, log } = await connect(appRoleSpec('revoked'));
    await w('sys/leases/revoke-prefix/auth/approle/login', {});
    const values = await Promise.all(Array.from({ length: 8 }, () => readValue(client, { key: 'app', property: 'user' }, signal)));
    assert.deepEqual(values.map(text), Array(8).fill('svc'));
    assert.equal(log.count('Login', 'success'), 2); // connect + one re-login shared by the 8 reads
    assert.equal(log.count('LookupSelf'), 1); // one check of the rejected token, shared too
  });

  void it('renews a renewable token before it expires and keeps reading', async () => {
    await appRole('short', { token_ttl: '3s', token_max_ttl: '1h' });
    const { client, log } = await connect(appRoleSpec('short'));
    for (let i = 0; i < 6; i++) {
      assert.equal(text(await readValue(client, { key: 'app', property: 'user' }, signal)), 'svc');
      await sleep(800);
    }
    assert.equal(log.count('Login', 'success'), 1);
    assert.ok(log.count('RenewSelf', 'success') >= 1, JSON.stringify(log.calls));
  });

  void it('logs in again when renewal cannot extend the token past its max TTL', async () => {
    await appRole('capped', { token_ttl: '2s', token_max_ttl: '3s' });
    const { client, log } = await connect(appRoleSpec('capped'));
    for (let i = 0; i < 8; i++) {
      assert.equal(text(await readValue(client, { key: 'app', property: 'user' }, signal)), 'svc');
      await sleep(600);
    }
    assert.ok(log.count('Login', 'success') >= 2, JSON.stringify(log.calls));
    assert.equal(log.count('ReadSecretData', 'error'), 0);
  });

  void it('userPass: logs in; a wrong password is an AuthFailed error that does not contain the password', async () => {
    const { client } = await connect({ auth: { userPass: { username: 'alice', secretRef: { name: 'alice', key: 'password' } } } });
    assert.equal(text(await readValue(client, { key: 'app', property: 'user' }, signal)), 'svc');
    await assert.rejects(connect({ auth: { userPass: { username: 'alice', secretRef: { name: 'alice', key: 'wrong' } } } }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'AuthFailed');
      assert.match(e.message, /^vault: login auth\/userpass\/login\/alice: .+ \(400\)$/);
      assert.ok(!e.message.includes(CANARY));
      return true;
    });
  });

  void it('jwt: logs in with a JWT from a Secret; a wrong audience is AuthFailed', async () => {
    const { client } = await connect({ auth: { jwt: { role: 'hush', secretRef: { name: 'jwt', key: 'token' } } } });
    assert.equal(text(await readValue(client, { key: 'app', property: 'user' }, signal)), 'svc');
    await assert.rejects(connect({ auth: { jwt: { role: 'hush', secretRef: { name: 'jwt', key: 'wrongAud' } } } }), { code: 'AuthFailed' });
  });

  void it('cert: logs in with a client certificate over TLS (CA from caBundle)', async () => {
    const { client, log } = await connect({
      server: bao.tlsAddr,
      caBundle: Buffer.from(pki.caPem).toString('base64'),
      auth: { cert: { vaultRole: 'hush', clientCert: { name: 'client-cert', key: 'tls.crt' }, secretRef: { name: 'client-cert', key: 'tls.key' } } },
    });
    assert.equal(text(await readValue(client, { key: 'app', property: 'user' }, signal)), 'svc');
    assert.equal(log.count('Login', 'success'), 1);
  });

  void it('TLS: trusts a CA from caProvider, and explains a certificate it cannot verify', async () => {
    const { client } = await connect({
      server: bao.tlsAddr,
      caProvider: { type: 'ConfigMap', name: 'vault-ca', key: 'ca.crt' },
      auth: { tokenSecretRef: { name: 'vault-root', key: 'token' } },
    });
    assert.equal(text(await readValue(client, { key: 'app', property: 'user' }, signal)), 'svc');
    const { client: untrusted } = await connect({ server: bao.tlsAddr, auth: { tokenSecretRef: { name: 'vault-root', key: 'token' } } });
    await assert.rejects(readValue(untrusted, { key: 'app' }, signal), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'InvalidConfig');
      assert.match(e.message, /certificate/);
      assert.match(e.message, /caBundle\/caProvider/);
      return true;
    });
  });

  void it('mTLS: presents tls.certSecretRef/keySecretRef to a listener that requires a client certificate', async () => {
    const base = { server: bao.mtlsAddr, caBundle: Buffer.from(pki.caPem).toString('base64'), auth: { tokenSecretRef: { name: 'vault-root', key: 'token' } } };
    const { client } = await connect({ ...base, tls: { certSecretRef: { name: 'client-cert', key: 'tls.crt' }, keySecretRef: { name: 'client-cert', key: 'tls.key' } } });
    assert.equal(text(await readValue(client, { key: 'app', property: 'user' }, signal)), 'svc');
    const { client: noCert } = await connect(base);
    await assert.rejects(readValue(noCert, { key: 'app' }, signal), (e: Error & { code?: string }) => ['InvalidConfig', 'Unavailable'].includes(e.code ?? ''));
  });

  void it('says plainly that iam and gcp auth are not supported', async () => {
    await assert.rejects(connect({ auth: { iam: { region: 'us-east-1' } } }), { code: 'NotSupported', message: 'vault auth method iam is not supported yet' });
  });

  void it('reports an unreachable server as Unavailable', async () => {
    await assert.rejects(connect({ server: 'http://127.0.0.1:1', auth: { tokenSecretRef: { name: 'vault-root', key: 'token' } } }).then((c) => readValue(c.client, { key: 'app' }, signal)), {
      code: 'Unavailable',
    });
  });

  void it('ClusterSecretStore with referent auth: validate is Unknown until an ExternalSecret namespace is known', async () => {
    const { ctx } = testStoreContext({
      spec: { server: bao.addr, path: 'secret', ...appRoleSpec('plain') },
      kube,
      storeKind: 'ClusterSecretStore',
      namespace: undefined,
    });
    const client = await vaultProvider.connect(ctx);
    clients.push(client);
    assert.equal((await client.validate(signal)).state, 'Unknown');
  });
});
