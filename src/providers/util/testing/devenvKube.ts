/**
 * ProviderKubeAccess against the real dev cluster (src/devenv), acting as the
 * admin, for tests that need what only a kube-apiserver does (TokenRequest,
 * TokenReview, RBAC). Loads the environment the e2e global setup started
 * (HUSH_TEST_STATE_DIR); without one, `devEnvSkipReason` says why tests skip.
 */
import { loadEnv, kubeCall, kubeExpect, type DevEnv } from '../../../devenv/index.ts';
import { NotFoundError } from '../../../util/errors.ts';
import type { ProviderKubeAccess } from '../../types.ts';
import { requireTool } from '../../../testing/tools.ts';

export const devEnvSkipReason: string | false = requireTool(
  'the dev control plane (HUSH_TEST_STATE_DIR)',
  'run with --test-global-setup=test/e2e/global-setup.ts (npm test does) or set HUSH_TEST_STATE_DIR',
  Boolean(process.env.HUSH_TEST_STATE_DIR),
);

export async function loadDevEnv(): Promise<DevEnv> {
  return loadEnv(process.env.HUSH_TEST_STATE_DIR);
}

export class DevEnvKube implements ProviderKubeAccess {
  readonly env: DevEnv;
  readonly clusterServer: string;

  constructor(env: DevEnv) {
    this.env = env;
    this.clusterServer = env.apiserverUrl;
  }

  async readSecretKey(ref: { name: string; key: string; namespace?: string | undefined }): Promise<Uint8Array> {
    const res = await kubeCall(this.env, 'GET', `/api/v1/namespaces/${ref.namespace}/secrets/${ref.name}`);
    if (res.status === 404) throw new NotFoundError(`Secret "${ref.namespace}/${ref.name}" not found`);
    const v = (res.json as { data?: Record<string, string> }).data?.[ref.key];
    if (v === undefined) throw new NotFoundError(`Secret "${ref.namespace}/${ref.name}" has no key "${ref.key}"`);
    return Buffer.from(v, 'base64');
  }

  async readConfigMapKey(ref: { name: string; key: string; namespace?: string | undefined }): Promise<string> {
    const res = await kubeCall(this.env, 'GET', `/api/v1/namespaces/${ref.namespace}/configmaps/${ref.name}`);
    const v = (res.json as { data?: Record<string, string> } | undefined)?.data?.[ref.key];
    if (v === undefined) throw new NotFoundError(`ConfigMap "${ref.namespace}/${ref.name}" has no key "${ref.key}"`);
    return v;
  }

  async createServiceAccountToken(ref: {
    name: string;
    namespace?: string | undefined;
    audiences?: string[] | undefined;
    expirationSeconds?: number | undefined;
  }): Promise<{ token: string; expiresAt: Date }> {
    const res = await kubeExpect(this.env, 'POST', `/api/v1/namespaces/${ref.namespace}/serviceaccounts/${ref.name}/token`, {
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { audiences: ref.audiences ?? null, expirationSeconds: ref.expirationSeconds ?? 3600 },
      },
    });
    const status = (res.json as { status: { token: string; expirationTimestamp: string } }).status;
    return { token: status.token, expiresAt: new Date(status.expirationTimestamp) };
  }

  /** Test setup helper: creates or replaces an object (POST, then PUT on 409). */
  async apply(collection: string, obj: { metadata: { name: string } }): Promise<void> {
    const res = await kubeCall(this.env, 'POST', collection, { body: obj });
    if (res.status === 409) await kubeExpect(this.env, 'PUT', `${collection}/${obj.metadata.name}`, { body: obj });
    else if (res.status >= 300) throw new Error(`POST ${collection}: ${res.status} ${res.text.slice(0, 300)}`);
  }
}
