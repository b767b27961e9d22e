/**
 * SecretStore / ClusterSecretStore reconciler: static validation, then a
 * connect + validate through the shared client cache (so validating a store
 * does not cost an extra login), and a Ready condition with ESO's reasons.
 *
 * Unlike ESO, a `Valid` event is recorded only when the store becomes valid,
 * not on every periodic check (ESO #5924), and status is written only when
 * it changes.
 */
import type { KubeClient } from '../../kube/client.ts';
import type { EventRecorder } from '../../kube/events.ts';
import type { Informer } from '../../kube/informer.ts';
import type { Provider } from '../../providers/types.ts';
import { UnavailableError, asHushError, describeError, type ErrorCode } from '../../util/errors.ts';
import { parseGoDuration } from '../../util/duration.ts';
import type { Logger } from '../../util/log.ts';
import { setConditionGauge, type ControllerMetrics } from '../../metrics/hush.ts';
import { ClusterSecretStores, SecretStores } from '../resources.ts';
import { withReady } from '../externalsecret/status.ts';
import type { StoreResolver } from './resolver.ts';
import { providerKeyOf, readyCondition, type StoreKind, type StoreObject } from './types.ts';

export interface StoreReconcilerDeps {
  kube: KubeClient;
  informer: Informer<StoreObject>;
  kind: StoreKind;
  resolver: StoreResolver;
  providerFor: (key: string) => Provider | undefined;
  events: EventRecorder;
  metrics: ControllerMetrics;
  logger: Logger;
}

const DEFAULT_STORE_REFRESH_MS = 5 * 60_000;
/** How soon a store with rejected credentials is checked again (a change to the store is seen at once anyway). */
const CREDENTIAL_RETRY_MS = 60_000;
const credentialCodes: ReadonlySet<ErrorCode> = new Set(['AuthFailed', 'AccessDenied', 'InvalidConfig']);

export function storeRefreshMs(store: StoreObject): number {
  const r = store.spec.refreshInterval;
  if (r === undefined || r === 0 || r === '' || r === '0') return DEFAULT_STORE_REFRESH_MS;
  if (typeof r === 'number') return r * 1000;
  return /^\d+$/.test(r) ? Number(r) * 1000 : parseGoDuration(r, 'spec.refreshInterval') || DEFAULT_STORE_REFRESH_MS;
}

export class StoreReconciler {
  private readonly d: StoreReconcilerDeps;

  constructor(deps: StoreReconcilerDeps) {
    this.d = deps;
  }

  async reconcile(namespace: string | undefined, name: string, signal: AbortSignal): Promise<{ requeueAfterMs?: number }> {
    const cached = this.d.informer.get(name, namespace);
    if (!cached) {
      this.d.resolver.forgetStore(this.d.kind, namespace, name);
      this.gauge().remove({ name, namespace: namespace ?? '' });
      return {};
    }
    const store = structuredClone(cached) as StoreObject & { apiVersion: string; kind: string };
    store.apiVersion = 'external-secrets.io/v1';
    store.kind = this.d.kind;
    if (!this.d.resolver.classMatches(store) || store.metadata.deletionTimestamp) return {};

    const label = this.d.kind === 'SecretStore' ? `SecretStore "${namespace}/${name}"` : `ClusterSecretStore "${name}"`;
    const pk = providerKeyOf(store.spec);
    if ('error' in pk) return this.setReady(store, 'False', 'InvalidProviderConfig', pk.error, signal);
    const provider = this.d.providerFor(pk.key);
    if (!provider) {
      return this.setReady(store, 'False', 'InvalidProviderConfig', `provider "${pk.key}" is not supported yet by Hush; supported providers are listed in the README`, signal);
    }
    let refreshMs: number;
    try {
      refreshMs = storeRefreshMs(store);
    } catch (err) {
      return this.setReady(store, 'False', 'InvalidProviderConfig', describeError(err), signal);
    }
    const diags = provider.validateStore(store.spec.provider?.[pk.key], this.d.kind);
    if (diags.length > 0) {
      return this.setReady(store, 'False', 'InvalidProviderConfig', diags.map((x) => `${x.field}: ${x.message}`).join('; '), signal);
    }
    // A ClusterSecretStore whose auth refs omit a namespace can only be checked from an ExternalSecret's namespace (referent auth).
    try {
      const client = await this.d.resolver.clientFor(store, this.d.kind, provider, pk.key, undefined, label);
      const result = await client.validate(signal);
      if (result.state === 'Error') throw result.error ?? new UnavailableError(result.message);
      const reason = result.state === 'Ready' ? 'Valid' : 'ValidationUnknown';
      await this.setReady(store, 'True', reason, result.state === 'Ready' ? 'store validated' : result.message, signal);
      return { requeueAfterMs: refreshMs };
    } catch (err) {
      if (signal.aborted) throw err;
      const e = asHushError(err);
      // The next check connects afresh: rotated credentials, CA bundles and client certificates are
      // read again instead of failing forever with what the old client loaded.
      this.d.resolver.forgetStore(this.d.kind, namespace, name);
      await this.setReady(store, 'False', 'InvalidProviderConfig', e.message, signal);
      if (!e.retryable) return {};
      // Unreachable stores are re-checked within seconds (their ExternalSecrets wait on them); bad
      // credentials are not retried that often, or a userpass/LDAP account could be locked out.
      if (credentialCodes.has(e.code)) throw e.withRetryAfter(Math.max(e.retryAfterMs ?? 0, CREDENTIAL_RETRY_MS));
      throw e;
    }
  }

  private gauge() {
    return this.d.kind === 'SecretStore' ? this.d.metrics.storeCondition : this.d.metrics.clusterStoreCondition;
  }

  private async setReady(store: StoreObject & { apiVersion: string; kind: string }, status: 'True' | 'False', reason: string, message: string, signal: AbortSignal): Promise<{ requeueAfterMs?: number }> {
    const { name, namespace } = store.metadata;
    setConditionGauge(this.gauge(), { name, namespace: namespace ?? '' }, status);
    const prev = readyCondition(store);
    if (prev?.status === status && prev.reason === reason && prev.message === message) return {};
    const next = withReady(store.status, status, reason, message, new Date());
    const rt = this.d.kind === 'SecretStore' ? SecretStores : ClusterSecretStores;
    await this.d.kube.patch(rt, name, namespace, { status: { conditions: next.conditions, capabilities: 'ReadOnly' } }, 'merge', { subresource: 'status', signal });
    if (status === 'True' && prev?.status !== 'True') this.d.events.record(store, 'Normal', reason, message);
    if (status === 'False') this.d.events.record(store, 'Warning', reason, message);
    if (prev?.status !== status) this.d.logger.info('store readiness changed', { kind: this.d.kind, namespace, name, ready: status, reason });
    return {};
  }
}
