/**
 * OpenBao set up the way the tests (and a developer trying Hush) need it:
 * the default KV v2 engine at `secret/`, a KV v1 engine at `kv1/`, and the
 * `kubernetes` auth method pointed at the dev cluster.
 *
 * Kubernetes auth checks a login JWT by sending it to the API server's
 * TokenReview API. Outside a pod there is no local service-account token, so
 * (as in a production setup with an external Vault) a dedicated reviewer
 * service account, bound to `system:auth-delegator`, lends its long-lived
 * token (`token_reviewer_jwt`). Service accounts that log in then need no
 * extra RBAC. `disable_local_ca_jwt` is set so OpenBao never looks for
 * in-pod files.
 *
 * The dev server keeps everything in memory: after a restart this must run
 * again (startComponent does it), and tests re-seed their secrets.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { readFileSync } from 'node:fs';
import { InternalError, TimeoutError } from '../util/errors.ts';
import type { DevEnv } from './dev-env.ts';
import { httpCall, type HttpResponse } from './http.ts';
import { kubeCall, kubeExpect } from './kube-admin.ts';

export const TOKEN_REVIEWER = { namespace: 'kube-system', name: 'hush-dev-token-reviewer' } as const;

/**
 * A call to OpenBao's HTTP API with the root token. `path` is relative to
 * /v1/ ("secret/data/app"); a leading "/v1/" is accepted too.
 */
export function baoCall(env: DevEnv, method: string, path: string, body?: unknown): Promise<HttpResponse> {
  return httpCall(`${env.vaultAddr}/v1/${path.replace(/^\/+/, '').replace(/^v1\//, '')}`, {
    method,
    body,
    headers: { 'x-vault-token': env.vaultToken },
  });
}

/** Like baoCall, but fails unless the status is 2xx. */
export async function baoExpect(env: DevEnv, method: string, path: string, body?: unknown): Promise<HttpResponse> {
  const res = await baoCall(env, method, path, body);
  if (res.status < 200 || res.status >= 300) {
    const errors = (res.json as { errors?: unknown } | undefined)?.errors;
    throw new InternalError(`OpenBao ${method} ${path}: HTTP ${res.status} ${JSON.stringify(errors ?? res.text.slice(0, 200))}`);
  }
  return res;
}

/** Creates the object unless it exists (409 from POST counts as done). */
async function ensureObject(env: DevEnv, collectionPath: string, object: unknown): Promise<void> {
  await kubeExpect(env, 'POST', collectionPath, { body: object, accept: [409] });
}

/**
 * The reviewer's token, from a legacy service-account token Secret that the
 * token controller fills in. Unlike a TokenRequest token it never expires, so
 * OpenBao's config stays valid for the life of the cluster.
 */
async function reviewerToken(env: DevEnv, timeoutMs = 30_000): Promise<string> {
  const { namespace, name } = TOKEN_REVIEWER;
  await ensureObject(env, `/api/v1/namespaces/${namespace}/serviceaccounts`, {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name, namespace },
  });
  await ensureObject(env, '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:auth-delegator' },
    subjects: [{ kind: 'ServiceAccount', name, namespace }],
  });
  await ensureObject(env, `/api/v1/namespaces/${namespace}/secrets`, {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/service-account-token',
    metadata: { name, namespace, annotations: { 'kubernetes.io/service-account.name': name } },
  });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await kubeCall(env, 'GET', `/api/v1/namespaces/${namespace}/secrets/${name}`);
    const token = (res.json as { data?: { token?: string } } | undefined)?.data?.token;
    if (res.status === 200 && token) return Buffer.from(token, 'base64').toString('utf8');
    if (Date.now() > deadline) {
      throw new TimeoutError(`the token controller did not fill in Secret ${namespace}/${name} within ${timeoutMs / 1000}s; see ${env.logsDir}/kube-controller-manager.log`);
    }
    await sleep(200);
  }
}

/** Configures OpenBao for the dev cluster. Idempotent: safe to call any time. */
export async function configureOpenBao(env: DevEnv): Promise<void> {
  const auths = (await baoExpect(env, 'GET', 'sys/auth')).json as { data?: Record<string, unknown> };
  if (!auths.data?.['kubernetes/']) {
    await baoExpect(env, 'POST', 'sys/auth/kubernetes', { type: 'kubernetes', description: 'the hush dev cluster' });
  }
  await baoExpect(env, 'POST', 'auth/kubernetes/config', {
    kubernetes_host: env.apiserverUrl,
    kubernetes_ca_cert: readFileSync(env.caFile, 'utf8'),
    token_reviewer_jwt: await reviewerToken(env),
    disable_local_ca_jwt: true,
  });
  const mounts = (await baoExpect(env, 'GET', 'sys/mounts')).json as { data?: Record<string, unknown> };
  if (!mounts.data?.['secret/']) {
    await baoExpect(env, 'POST', 'sys/mounts/secret', { type: 'kv', options: { version: '2' } });
  }
  if (!mounts.data?.['kv1/']) {
    await baoExpect(env, 'POST', 'sys/mounts/kv1', { type: 'kv', options: { version: '1' } });
  }
}
