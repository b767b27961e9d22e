/**
 * Vault auth methods that need a real kube-apiserver: kubernetes auth with a
 * TokenRequest token (OpenBao checks it through TokenReview) and jwt auth with
 * kubernetesServiceAccountToken (OpenBao checks the signature with the
 * cluster's service-account keys). Uses the dev environment's OpenBao and cluster.
 */
import { devEgress } from '../../net/testing/egress.ts';
import assert from 'node:assert/strict';
import { createPublicKey, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { baoExpect, kubeCall, type DevEnv } from '../../devenv/index.ts';
import { HttpClient } from '../util/http.ts';
import type { StoreClient } from '../types.ts';
import { readValue } from '../../read/rawref.ts';
import { DevEnvKube, devEnvSkipReason, loadDevEnv } from '../util/testing/devenvKube.ts';
import { testStoreContext, type CallLog } from '../util/testing/memoryKube.ts';
import { vaultProvider } from './provider.ts';

const signal = new AbortController().signal;
const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

void describe('vault kubernetes and jwt auth with service account tokens', { skip: devEnvSkipReason }, () => {
  let env: DevEnv;
  let kube: DevEnvKube;
  const id = randomBytes(3).toString('hex');
  const ns = `hush-vk-${id}`;
  const jwtMount = `jwt-${id}`;
  const clients: StoreClient[] = [];

  const connect = async (auth: Record<string, unknown>): Promise<{ client: StoreClient; log: CallLog }> => {
    const { ctx, log } = testStoreContext({ spec: { server: env.vaultAddr, path: 'secret', auth }, kube, namespace: ns });
    const client = await vaultProvider.connect(ctx);
    clients.push(client);
    return { client, log };
  };

  before(async () => {
    env = await loadDevEnv();
    kube = new DevEnvKube(env);
    await kube.apply('/api/v1/namespaces', { metadata: { name: ns } });
    await kube.apply(`/api/v1/namespaces/${ns}/serviceaccounts`, { metadata: { name: 'app' } });
    await baoExpect(env, 'POST', `sys/policies/acl/read-${id}`, { policy: `path "secret/data/${id}/*" { capabilities = ["read"] }` });
    await baoExpect(env, 'POST', `secret/data/${id}/db`, { data: { user: 'k8s-user' } });
    await baoExpect(env, 'POST', `auth/kubernetes/role/app-${id}`, {
      bound_service_account_names: ['app'],
      bound_service_account_namespaces: [ns],
      token_policies: [`read-${id}`],
      token_ttl: '1h',
    });
    // jwt auth trusting the cluster's service-account signing keys.
    const admin = new HttpClient(env.apiserverUrl, {
      ca: [readFileSync(env.caFile, 'utf8')],
      cert: readFileSync(env.adminCertFile, 'utf8'),
      key: readFileSync(env.adminKeyFile, 'utf8'),
      egress: devEgress('cluster'),
    });
    const res = await admin.request({ method: 'GET', path: '/openid/v1/jwks', headers: { accept: 'application/jwk-set+json' } });
    admin.close();
    assert.equal(res.status, 200);
    const jwks = JSON.parse(res.body.toString('utf8')) as { keys: Record<string, unknown>[] };
    const pems = jwks.keys.map((k) => createPublicKey({ key: k, format: 'jwk' }).export({ type: 'spki', format: 'pem' }));
    await baoExpect(env, 'POST', `sys/auth/${jwtMount}`, { type: 'jwt' });
    await baoExpect(env, 'POST', `auth/${jwtMount}/config`, { jwt_validation_pubkeys: pems });
    await baoExpect(env, 'POST', `auth/${jwtMount}/role/app`, {
      role_type: 'jwt',
      bound_audiences: ['vault'],
      user_claim: 'sub',
      bound_subject: `system:serviceaccount:${ns}:app`,
      token_policies: [`read-${id}`],
    });
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    if (env) {
      await kubeCall(env, 'DELETE', `/api/v1/namespaces/${ns}`);
      await baoExpect(env, 'DELETE', `sys/auth/${jwtMount}`).catch(() => {});
    }
  });

  void it('kubernetes auth: logs in with a TokenRequest token for serviceAccountRef, once', async () => {
    const { client, log } = await connect({ kubernetes: { role: `app-${id}`, serviceAccountRef: { name: 'app' } } });
    for (let i = 0; i < 5; i++) assert.equal(text(await readValue(client, { key: `${id}/db`, property: 'user' }, signal)), 'k8s-user');
    assert.equal(log.count('Login', 'success'), 1);
    assert.equal((await client.validate(signal)).state, 'Ready');
  });

  void it('kubernetes auth: a service account the role does not bind is AuthFailed', async () => {
    await kube.apply(`/api/v1/namespaces/${ns}/serviceaccounts`, { metadata: { name: 'stranger' } });
    await assert.rejects(connect({ kubernetes: { role: `app-${id}`, serviceAccountRef: { name: 'stranger' } } }), { code: 'AuthFailed' });
  });

  void it('jwt auth: logs in with kubernetesServiceAccountToken (audience "vault" by default)', async () => {
    const { client } = await connect({ jwt: { path: jwtMount, role: 'app', kubernetesServiceAccountToken: { serviceAccountRef: { name: 'app' } } } });
    assert.equal(text(await readValue(client, { key: `${id}/db`, property: 'user' }, signal)), 'k8s-user');
  });
});
