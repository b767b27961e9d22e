/**
 * The Kubernetes reads a provider may do (ProviderKubeAccess), served from
 * memory. This stands in for the controller's own Kubernetes client, which is
 * not what these tests are about; the store itself (OpenBao) is real. Tests
 * that need TokenRequest use a real kube-apiserver instead.
 */
import type { EgressGuard } from '../../../net/guard.ts';
import { devEgress } from '../../../net/testing/egress.ts';
import { NotFoundError, NotSupportedError } from '../../../util/errors.ts';
import { DEFAULT_CREDENTIAL_POLICY, storeCredentialPolicy, type CredentialPolicyOptions } from '../../ambient.ts';
import type { ProviderKubeAccess, StoreContext } from '../../types.ts';

export class MemoryKube implements ProviderKubeAccess {
  private readonly secrets = new Map<string, Record<string, string>>();
  private readonly configMaps = new Map<string, Record<string, string>>();
  readonly clusterServer: string | undefined;
  reads = 0;

  constructor(clusterServer?: string) {
    this.clusterServer = clusterServer;
  }

  setSecret(namespace: string, name: string, data: Record<string, string>): this {
    this.secrets.set(`${namespace}/${name}`, data);
    return this;
  }

  setConfigMap(namespace: string, name: string, data: Record<string, string>): this {
    this.configMaps.set(`${namespace}/${name}`, data);
    return this;
  }

  readSecretKey(ref: { name: string; key: string; namespace?: string | undefined }): Promise<Uint8Array> {
    this.reads++;
    const s = this.secrets.get(`${ref.namespace}/${ref.name}`);
    if (!s) return Promise.reject(new NotFoundError(`secret "${ref.name}" not found in namespace "${ref.namespace}"`));
    const v = s[ref.key];
    if (v === undefined) return Promise.reject(new NotFoundError(`secret "${ref.name}" has no key "${ref.key}"`));
    return Promise.resolve(Buffer.from(v, 'utf8'));
  }

  readConfigMapKey(ref: { name: string; key: string; namespace?: string | undefined }): Promise<string> {
    const v = this.configMaps.get(`${ref.namespace}/${ref.name}`)?.[ref.key];
    if (v === undefined) return Promise.reject(new NotFoundError(`configmap "${ref.name}" key "${ref.key}" not found`));
    return Promise.resolve(v);
  }

  createServiceAccountToken(): Promise<{ token: string; expiresAt: Date }> {
    return Promise.reject(new NotSupportedError('TokenRequest needs a real kube-apiserver'));
  }
}

export interface CallLog {
  calls: { call: string; status: 'success' | 'error' }[];
  count(call: string, status?: 'success' | 'error'): number;
}

/** A StoreContext for tests, with a log of recorded provider calls. */
export function testStoreContext(opts: {
  spec: unknown;
  kube: ProviderKubeAccess;
  storeKind?: StoreContext['storeKind'];
  namespace?: string | undefined;
  storeSpec?: Record<string, unknown>;
  signal?: AbortSignal;
  /** The credential policy; default: the controller's default (no ambient credentials for SecretStores). */
  policy?: Partial<CredentialPolicyOptions>;
  /** The egress guard; default: the store kind's scope with what `hush dev env` allows (loopback). */
  egress?: EgressGuard;
  maxResponseBytes?: number;
}): { ctx: StoreContext; log: CallLog } {
  const calls: CallLog['calls'] = [];
  const log: CallLog = {
    calls,
    count: (call, status) => calls.filter((c) => c.call === call && (status === undefined || c.status === status)).length,
  };
  const storeKind = opts.storeKind ?? 'SecretStore';
  const namespace = 'namespace' in opts ? opts.namespace : 'default';
  const ctx: StoreContext = {
    storeKind,
    storeName: 'test-store',
    namespace,
    credentials: storeCredentialPolicy({ ...DEFAULT_CREDENTIAL_POLICY, ...opts.policy }, { storeKind, namespace }),
    spec: opts.spec,
    storeSpec: opts.storeSpec ?? { retrySettings: { maxRetries: 0 } },
    kube: opts.kube,
    recordCall: (call, status) => calls.push({ call, status }),
    signal: opts.signal ?? new AbortController().signal,
    egress: opts.egress ?? devEgress(opts.storeKind === 'ClusterSecretStore' ? 'cluster' : 'tenant'),
    ...(opts.maxResponseBytes === undefined ? {} : { maxResponseBytes: opts.maxResponseBytes }),
  };
  return { ctx, log };
}
