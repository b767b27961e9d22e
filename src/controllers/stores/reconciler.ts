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
import { InvalidSpecError, NotSupportedError, UnavailableError, asHushError, describeError, type ErrorCode, type HushError } from '../../util/errors.ts';
import type { ReconcileContext } from '../../kube/controller.ts';
import { failingSince, progressOf, withProgress, type Condition, type Progress } from '../conditions.ts';
import { parseGoDuration } from '../../util/duration.ts';
import type { Logger } from '../../util/log.ts';
import { setConditionGauge, type ControllerMetrics } from '../../metrics/hush.ts';
import { ClusterSecretStores, SecretStores } from '../resources.ts';
import { withReady } from '../externalsecret/status.ts';
import type { StoreResolver } from './resolver.ts';
import { providerKeyOf, readyCondition, type StoreKind, type StoreObject } from './types.ts';
import { CHANGE_DETECTION_CONDITION, READ_BUDGET_CONDITION, changeDetectionCondition, readBudgetCondition, type BudgetDemand } from '../../read/budget-report.ts';
import { storeKey } from '../indexes.ts';

export interface StoreReconcilerDeps {
  kube: KubeClient;
  informer: Informer<StoreObject>;
  kind: StoreKind;
  resolver: StoreResolver;
  providerFor: (key: string) => Provider | undefined;
  events: EventRecorder;
  metrics: ControllerMetrics;
  logger: Logger;
  /** What the store's scheduled refreshes need against its budget (read/engine.ts), by store key. */
  readBudget?: ((storeKey: string) => BudgetDemand | undefined) | undefined;
}

const DEFAULT_STORE_REFRESH_MS = 5 * 60_000;
/** How soon a store with rejected credentials is checked again (a change to the store is seen at once anyway). */
const CREDENTIAL_RETRY_MS = 60_000;
// Only rejected credentials: retrying them often could lock a userpass/LDAP account. A missing mount
// or a denied policy (InvalidConfig, AccessDenied) is re-checked at the normal pace, or a store that
// answers so for a moment (a Vault whose mounts are not back yet after a restart) would stay
// not-Ready, and its ExternalSecrets asleep, for a minute.
const credentialCodes: ReadonlySet<ErrorCode> = new Set(['AuthFailed']);

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

  async reconcile(namespace: string | undefined, name: string, ctx: ReconcileContext): Promise<{ requeueAfterMs?: number }> {
    const { signal } = ctx;
    const cached = this.d.informer.get(name, namespace);
    if (!cached) {
      this.d.resolver.forgetStore(this.d.kind, namespace, name);
      this.gauge().remove({ name, namespace: namespace ?? '' });
      return {};
    }
    const store = structuredClone(cached) as StoreRef;
    store.apiVersion = 'external-secrets.io/v1';
    store.kind = this.d.kind;
    if (!this.d.resolver.classMatches(store) || store.metadata.deletionTimestamp) return {};

    const label = this.d.kind === 'SecretStore' ? `SecretStore "${namespace}/${name}"` : `ClusterSecretStore "${name}"`;
    const pk = providerKeyOf(store.spec);
    // What is wrong in the store's own spec is terminal (InvalidSpec, NotSupported): Stalled until the store changes.
    if ('error' in pk) return this.failed(store, new InvalidSpecError(pk.error), ctx);
    const provider = this.d.providerFor(pk.key);
    if (!provider) {
      return this.failed(store, new NotSupportedError(`provider "${pk.key}" is not supported yet by Hush; supported providers are listed in the README`), ctx);
    }
    let refreshMs: number;
    try {
      refreshMs = storeRefreshMs(store);
    } catch (err) {
      return this.failed(store, new InvalidSpecError(describeError(err), { cause: err }), ctx);
    }
    const diags = provider.validateStore(store.spec.provider?.[pk.key], this.d.kind);
    if (diags.length > 0) {
      return this.failed(store, new InvalidSpecError(diags.map((x) => `${x.field}: ${x.message}`).join('; ')), ctx);
    }
    // A ClusterSecretStore whose auth refs omit a namespace can only be checked from an ExternalSecret's namespace (referent auth).
    try {
      const client = await this.d.resolver.clientFor(store, this.d.kind, provider, pk.key, undefined, label);
      const result = await client.validate(signal);
      if (result.state === 'Error') throw result.error ?? new UnavailableError(result.message);
      const reason = result.state === 'Ready' ? 'Valid' : 'ValidationUnknown';
      await this.setReady(store, 'True', reason, result.state === 'Ready' ? 'store validated' : result.message, { state: 'ok' }, signal);
      return { requeueAfterMs: refreshMs };
    } catch (err) {
      if (signal.aborted) throw err;
      // The next check connects afresh: rotated credentials, CA bundles and client certificates are
      // read again instead of failing forever with what the old client loaded.
      this.d.resolver.forgetStore(this.d.kind, namespace, name);
      let e = asHushError(err);
      // Unreachable stores are re-checked within seconds (their ExternalSecrets wait on them); bad
      // credentials are not retried that often, or a userpass/LDAP account could be locked out.
      if (credentialCodes.has(e.code)) e = e.withRetryAfter(Math.max(e.retryAfterMs ?? 0, CREDENTIAL_RETRY_MS));
      return this.failed(store, e, ctx);
    }
  }

  /** Ready=False with ESO's reason, Reconciling or Stalled beside it; retryable errors go back to the queue. */
  private async failed(store: StoreRef, error: HushError, ctx: ReconcileContext): Promise<{ requeueAfterMs?: number }> {
    const now = new Date();
    const progress = progressOf(error, failingSince(store.status?.conditions), now, ctx.retryDelayMs);
    await this.setReady(store, 'False', 'InvalidProviderConfig', error.message, progress, ctx.signal);
    if (error.retryable) throw error;
    return {};
  }

  private gauge() {
    return this.d.kind === 'SecretStore' ? this.d.metrics.storeCondition : this.d.metrics.clusterStoreCondition;
  }

  private async setReady(store: StoreRef, status: 'True' | 'False', reason: string, message: string, progress: Progress, signal: AbortSignal): Promise<void> {
    const { name, namespace } = store.metadata;
    setConditionGauge(this.gauge(), { name, namespace: namespace ?? '' }, status);
    const prev = readyCondition(store);
    const now = new Date();
    const ready = withReady(store.status, status, reason, message, now);
    // Store checks retry every few seconds at most (queue maxDelayMs 5 s): no next-attempt time, or an
    // outage would write status on every check.
    const progressed = withProgress(ready.conditions, progress, now, { showNextAttempt: false });
    const prevBudget = store.status?.conditions?.find((c) => c.type === READ_BUDGET_CONDITION);
    const prevFeed = store.status?.conditions?.find((c) => c.type === CHANGE_DETECTION_CONDITION);
    const demand = this.d.readBudget?.(storeKey(this.d.kind, namespace, name));
    const budget = readBudgetCondition(demand, prevBudget, now);
    const feed = changeDetectionCondition(demand?.feed, (demand?.neededCallsPerSecond ?? 0) > 0, prevFeed, now);
    const conditions = [...progressed.filter((c) => c.type !== READ_BUDGET_CONDITION && c.type !== CHANGE_DETECTION_CONDITION), ...(budget ? [budget] : []), ...(feed ? [feed] : [])];
    const unchanged =
      store.status?.observedGeneration === store.metadata.generation &&
      JSON.stringify(store.status?.conditions?.map(conditionKey) ?? []) === JSON.stringify(conditions.map(conditionKey));
    if (unchanged) return;
    const rt = this.d.kind === 'SecretStore' ? SecretStores : ClusterSecretStores;
    await this.d.kube.patch(rt, name, namespace, { status: { observedGeneration: store.metadata.generation, conditions, capabilities: 'ReadOnly' } }, 'merge', { subresource: 'status', signal });
    const changed = prev?.status !== status || prev.reason !== reason || prev.message !== message;
    if (status === 'True' && prev?.status !== 'True') this.d.events.record(store, 'Normal', reason, message);
    if (status === 'False' && changed) this.d.events.record(store, 'Warning', reason, message);
    if (prev?.status !== status) this.d.logger.info('store readiness changed', { kind: this.d.kind, namespace, name, ready: status, reason });
    if (budget && (budget.status !== prevBudget?.status || (budget.status === 'False' && budget.message !== prevBudget.message))) {
      if (budget.status === 'False') this.d.events.record(store, 'Warning', budget.reason!, budget.message!);
      else if (prevBudget) this.d.events.record(store, 'Normal', budget.reason!, budget.message!);
      this.d.logger.info('store read budget', { kind: this.d.kind, namespace, name, within: budget.status, message: budget.message });
    }
    if (feed && feed.status !== prevFeed?.status) {
      if (feed.status === 'False') this.d.events.record(store, 'Warning', feed.reason!, feed.message!);
      else if (prevFeed) this.d.events.record(store, 'Normal', feed.reason!, feed.message!);
    }
  }
}

type StoreRef = StoreObject & { apiVersion: string; kind: string };

/** What a status write would change; lastTransitionTime follows from status. */
function conditionKey(c: Condition): string[] {
  return [c.type, c.status, c.reason ?? '', c.message ?? ''];
}
