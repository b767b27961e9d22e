/**
 * The ExternalSecret reconciler: level-based, one key at a time.
 *
 *   read the ES and its target Secret → decide whether to read the stores →
 *   assemble all data (all or nothing) → plan the Secret → write if changed →
 *   write status → tell the queue when to come back.
 *
 * Failure rule: any error before the write leaves the Secret exactly as it
 * was. Retryable errors are thrown back to the queue (per-item exponential
 * backoff with jitter); errors that need a person return without a requeue
 * and wait for the object to change.
 */
import { isAlreadyExists, isConflict, type KubeClient } from '../../kube/client.ts';
import { kubeTime, type EventRecorder } from '../../kube/events.ts';
import type { Informer } from '../../kube/informer.ts';
import { ConfigMaps, Secrets, type KubeObject } from '../../kube/resources.ts';
import { NotFoundError, asHushError, describeError } from '../../util/errors.ts';
import type { Logger } from '../../util/log.ts';
import { setConditionGauge, type ControllerMetrics } from '../../metrics/hush.ts';
import { ExternalSecrets, FINALIZER_ES, LABEL_CREATED_BY } from '../resources.ts';
import type { StoreResolver } from '../stores/resolver.ts';
import type { StoreHealth } from '../stores/health.ts';
import type { ReconcileContext } from '../../kube/controller.ts';
import { failingSince, progressOf, withProgress } from '../conditions.ts';
import { applyPlan, type ReadLog } from '../../read/apply.ts';
import type { ReadEngine } from '../../read/engine.ts';
import { executePlan, registerReads, type StoreBinder } from '../../read/execute.ts';
import { planReads, type ReadPlan } from '../../read/plan.ts';
import { boundClientOf } from '../stores/resolver.ts';
import { redactFailure } from './redaction.ts';
import { createdByLabel, fieldManagerFor, syncedResourceVersion } from './hash.ts';
import { FORCE_SYNC_ANNOTATION, ownTimerMs, readDecision, refreshIntervalMs } from './refresh.ts';
import { creationPolicyOf, deletionPolicyOf, targetNameOf, type ExternalSecretObject, type ExternalSecretStatus } from './spec.ts';
import { Reasons, sameStatus, withReady } from './status.ts';
import { controllerOwnerOf, isSecretValid, planTarget, type SecretObject } from './target.ts';
import { validateExternalSecret } from './validate.ts';
import { parseStoreKey, storesOf } from '../indexes.ts';
import { checkTemplateSyntax, renderTarget } from './template.ts';

export interface ReconcileResult {
  /** Come back after this long (periodic refresh). */
  requeueAfterMs?: number;
  /** The reconcile did not finish (it waits for reads): keep the key's failure backoff. */
  keepBackoff?: boolean;
}

export interface ExternalSecretReconcilerDeps {
  kube: KubeClient;
  externalSecrets: Informer<ExternalSecretObject>;
  /** Managed Secrets, metadata only (labelled reconcile.external-secrets.io/managed). */
  managedSecrets: Informer<KubeObject>;
  stores: StoreResolver;
  /** Told about every failure, so that a throttling, unreachable or rejecting store is handled for all its users. */
  storeHealth: StoreHealth;
  events: EventRecorder;
  metrics: ControllerMetrics;
  logger: Logger;
  /** Store reads: shared answers, governors, the scheduler. */
  engine: ReadEngine;
  /** Queues an ExternalSecret (its `namespace/name` key) for another reconcile. */
  enqueue: (key: string) => void;
  /**
   * How long a reconcile waits for its reads before it lets the worker go: the reads go on in
   * their store's governor and wake the ExternalSecret when they are done. A hung store then
   * holds only its own call slots, never the workers that other stores need. Default 250 ms:
   * waiting costs a worker, detaching costs one more reconcile (the answers are kept).
   */
  readWaitMs?: number;
  /** How old a kept answer may be for a first sync or spec change (ExternalSecrets created together share reads). Default 5 s. */
  shareWindowMs?: number;
  now?: () => number;
}

type EsRef = ExternalSecretObject & { apiVersion: string; kind: string };

export class ExternalSecretReconciler {
  private readonly d: ExternalSecretReconcilerDeps;
  private readonly now: () => number;
  /** The last successful sync per ExternalSecret uid, newer than the cache for a moment after we write it. */
  private readonly lastSync = new Map<string, { refreshTime: string; syncedResourceVersion: string }>();
  /** When each ExternalSecret (uid) last checked its values against the stores and found its Secret right. */
  private readonly lastCheck = new Map<string, number>();
  /**
   * ExternalSecrets (uid) that need answers read at or after `since`: a first sync, a spec
   * change or a failure. Kept across a reconcile that let its worker go while reads went on.
   */
  private readonly needFresh = new Map<string, { since: number; spec: string; periodic?: boolean }>();
  /** ExternalSecrets (queue keys) woken because an answer they read changed. */
  private readonly changed = new Set<string>();
  /** The uid of each ExternalSecret (queue key) seen, to forget its uid-keyed state when it is gone from the cache. */
  private readonly uidOf = new Map<string, string>();
  /** Refreshes asked for through the refresh API (queue key → when). */
  private readonly forced = new Map<string, number>();
  /** The force-sync annotation value of each ExternalSecret's last sync (uid). */
  private readonly lastForce = new Map<string, string | undefined>();

  constructor(deps: ExternalSecretReconcilerDeps) {
    this.d = deps;
    this.now = deps.now ?? Date.now;
  }

  /**
   * A refresh was asked for these ExternalSecrets (queue keys; the refresh API): their next
   * reconcile reads afresh, as after a new force-sync annotation.
   */
  requestRefresh(keys: readonly string[]): void {
    const now = this.now();
    for (const k of keys) this.forced.set(k, now);
  }

  /** The read engine saw new answers for these ExternalSecrets (queue keys): they sync on their next reconcile. */
  noteChanged(keys: readonly string[]): void {
    for (const k of keys) this.changed.add(k);
  }

  private forget(namespace: string, name: string, uidGiven: string | undefined): void {
    const key = `${namespace}/${name}`;
    const uid = uidGiven ?? this.uidOf.get(key);
    this.uidOf.delete(key);
    this.d.engine.forgetReader(key);
    this.changed.delete(key);
    this.forced.delete(key);
    if (uid) {
      this.lastSync.delete(uid);
      this.lastCheck.delete(uid);
      this.needFresh.delete(uid);
      this.lastForce.delete(uid);
    }
  }

  async reconcile(namespace: string, name: string, ctx: ReconcileContext): Promise<ReconcileResult> {
    const { signal } = ctx;
    const cached = this.d.externalSecrets.get(name, namespace);
    if (!cached) {
      this.forgetMetrics(namespace, name);
      this.forget(namespace, name, undefined);
      return {};
    }
    if (cached.metadata.deletionTimestamp) this.forget(namespace, name, cached.metadata.uid);
    const es = structuredClone(cached) as EsRef;
    es.apiVersion = 'external-secrets.io/v1';
    es.kind = 'ExternalSecret';
    // ESO skips, silently, an ExternalSecret any of whose stores belongs to another controller
    // class — before anything else, deletion included, so that two controllers can share a
    // cluster during a migration without touching each other's objects.
    for (const key of storesOf(es)) {
      const k = parseStoreKey(key);
      const { store } = this.d.stores.lookup(namespace, { name: k.name, kind: k.kind });
      if (store && !this.d.stores.classMatches(store)) {
        this.d.logger.debug('skipping: a store it uses belongs to another controller class', { namespace, name, store: key });
        return {};
      }
    }
    if (es.metadata.deletionTimestamp) return this.finalize(es, signal);
    if (!(es.metadata.finalizers ?? []).includes(FINALIZER_ES)) {
      await this.d.kube.patch(ExternalSecrets, name, namespace, { metadata: { finalizers: [...(es.metadata.finalizers ?? []), FINALIZER_ES], resourceVersion: es.metadata.resourceVersion } }, 'merge', { signal });
    }

    const started = this.now();
    const invalid = validateExternalSecret(es.spec) ?? (await checkTemplateSyntax(es.spec));
    if (invalid) return this.fail(es, invalid, ctx);

    const targetName = targetNameOf(es);
    let existing: SecretObject | undefined;
    try {
      existing = await this.d.kube.get<SecretObject>(Secrets, targetName, namespace, { signal });
    } catch (err) {
      return this.fail(es, err, ctx);
    }
    // Our own status write may not be in the cache yet when a Secret event (from our own write)
    // wakes us again; without this the store would be read twice for every change.
    const remembered = this.lastSync.get(es.metadata.uid ?? '');
    if (remembered && Date.parse(remembered.refreshTime) > Date.parse(es.status?.refreshTime ?? '') ) {
      es.status = { ...(es.status ?? {}), ...remembered };
    }
    const esKey = `${namespace}/${name}`;
    const uid = es.metadata.uid ?? esKey;
    const before = this.uidOf.get(esKey);
    // The same name made again: what was kept for the old object is dropped.
    if (before !== undefined && before !== uid) this.forget(namespace, name, before);
    this.uidOf.set(esKey, uid);
    const specVersion = syncedResourceVersion(es.metadata);
    // A refresh asked for through the API is a need for answers newer than the request.
    const asked = this.forced.get(esKey);
    if (asked !== undefined) {
      this.forced.delete(esKey);
      const had = this.needFresh.get(uid);
      if (!had || had.spec !== specVersion || had.since < asked) this.needFresh.set(uid, { since: asked, spec: specVersion });
    }
    const pending = this.needFresh.get(uid);
    const force = es.metadata.annotations?.[FORCE_SYNC_ANNOTATION];
    const decision = readDecision(es, {
      shareWindowMs: this.d.shareWindowMs ?? 5000,
      forceSyncChanged: force !== undefined && (!this.lastForce.has(uid) || this.lastForce.get(uid) !== force),
      now: started,
      lastCheckedAt: this.lastCheck.get(uid),
      needFreshSince: pending && pending.spec === specVersion ? pending.since : undefined,
      changed: this.changed.has(esKey),
      secretValid: isSecretValid(es, existing),
    });
    if (decision.read === 'none') {
      this.d.logger.debug('skipping refresh', { namespace, name, reason: decision.reason });
      setConditionGauge(this.d.metrics.esCondition, { name, namespace }, readyStatus(es.status));
      return decision.nextInMs === undefined ? {} : { requeueAfterMs: decision.nextInMs };
    }
    this.changed.delete(esKey);
    if (decision.read === 'fresh' && !(pending && pending.spec === specVersion)) this.needFresh.set(uid, { since: decision.freshAfter, spec: specVersion });

    let readPlan: ReadPlan;
    try {
      readPlan = planReads(es.spec);
    } catch (err) {
      return this.fail(es, err, ctx);
    }
    this.d.metrics.syncCalls.inc({ name, namespace });
    const bind: StoreBinder = async (r, field) => {
      const useRef = r ?? es.spec.secretStoreRef;
      return boundClientOf(await this.d.stores.resolve(namespace, useRef, r ? `${field}.sourceRef.storeRef` : 'spec.secretStoreRef'));
    };
    // A periodic check renders from what the scheduler keeps fresh; only new refs are read.
    const exec = executePlan(readPlan, bind, this.d.engine, decision.freshAfter, esKey, { scheduled: decision.read === 'periodic' });
    const results = await settleWithin(exec.results, this.d.readWaitMs ?? 250, signal);
    if (results === undefined) {
      // The reads go on in their stores' governors; this worker serves other ExternalSecrets
      // meanwhile, and the answers (or the store's failure) bring this one back. That reconcile
      // takes those very answers, however long they took: a store slower than the refresh
      // interval must not send every attempt after a newer read.
      this.needFresh.set(uid, { since: decision.freshAfter, spec: specVersion, periodic: decision.read === 'periodic' || (decision.read === 'fresh' && pending?.periodic === true) });
      void exec.results.then(() => this.d.enqueue(esKey));
      this.d.logger.debug('waiting for store reads', { namespace, name });
      // Not a success: a failing ExternalSecret whose store answers slowly keeps its backoff.
      return { keepBackoff: true };
    }

    // Every value read or rendered in this reconcile, recorded as it is seen: cut out of any error
    // text before it is shown. The key names read stay whole in that text (identifiers).
    const seen: ReadLog = { values: [], names: [] };
    let data: Map<string, Uint8Array>;
    try {
      const result = await applyPlan(readPlan, results, seen);
      data = result.data;
      seen.names.push(...data.keys());
      for (const where of result.missing) {
        this.d.events.record(es, 'Normal', 'MissingProviderSecret', `secret does not exist at provider using ${where}`);
      }
    } catch (err) {
      return this.fail(es, err, ctx, seen);
    }

    let reason: string = Reasons.SecretSynced;
    let message = 'secret synced';
    let wrote = false;
    try {
      if (data.size === 0 && deletionPolicyOf(es.spec) === 'Delete') {
        const deleted = await this.deleteOwnedTarget(es, existing, signal);
        wrote = deleted;
        reason = Reasons.SecretDeleted;
        message = deleted ? 'secret deleted due to DeletionPolicy=Delete' : 'no data: secret absent due to DeletionPolicy=Delete';
      } else if (data.size === 0 && deletionPolicyOf(es.spec) === 'Retain') {
        message = 'secret retained due to DeletionPolicy=Retain';
      } else {
        const rendered = await renderTarget(es, data, (kind, srcName, key) => this.readTemplateSource(namespace, kind, srcName, key, signal));
        seen.values.push(...rendered.data.values());
        // Rendered labels and annotations may carry values too, and an API server's validation error echoes them.
        for (const m of [rendered.labels ?? {}, rendered.annotations ?? {}]) {
          for (const [k, v] of Object.entries(m)) {
            seen.names.push(k);
            seen.values.push(new Uint8Array(Buffer.from(v)));
          }
        }
        seen.names.push(...rendered.data.keys());
        const plan = planTarget(es, existing, rendered);
        if (plan.action === 'none') {
          message = 'secret synced (creationPolicy None: Hush does not write the Secret)';
        } else if (plan.action === 'missing') {
          reason = Reasons.SecretMissing;
          message = 'secret will not be created due to CreationPolicy=Merge';
        } else if (plan.changed) {
          if (plan.staleKeys.length > 0) {
            // Removed first, with a test that the Secret is the version we planned against.
            await this.d.kube.patch(Secrets, plan.secret.metadata.name, namespace, [
              { op: 'test', path: '/metadata/resourceVersion', value: existing!.metadata.resourceVersion },
              ...plan.staleKeys.map((k) => ({ op: 'remove', path: `/data/${k.replace(/~/g, '~0').replace(/\//g, '~1')}` })),
            ], 'json', { signal });
          }
          await this.writeSecret(es, plan.secret, plan.action, plan.mergeKeys, signal);
          wrote = true;
          this.d.events.record(es, 'Normal', plan.action === 'create' ? 'Created' : 'Updated', plan.action === 'create' ? 'secret created' : 'secret updated');
        }
        if (creationPolicyOf(es.spec) === 'Owner') await this.deleteRenamedTargets(es, targetName, signal);
      }
    } catch (err) {
      return this.fail(es, err, ctx, seen);
    }

    // refreshTime is when the Secret was last synced with a change (ESO: "fetched and the target
    // secret updated"). A periodic check that finds everything as it was writes nothing at all, so
    // a quiet cluster costs no status writes; the answers' freshness is the scheduler's promise.
    const wasReady = readyStatus(es.status) === 'True';
    // A periodic check that waited for its reads is still a periodic check.
    const periodic = decision.read !== 'fresh' || (pending?.spec === specVersion && pending.periodic === true);
    const keepTime = wasReady && !wrote && periodic && es.status?.refreshTime;
    const refreshTime = keepTime ? es.status!.refreshTime! : kubeTime(new Date(started));
    const ready = withReady(es.status, 'True', reason, message, new Date(started));
    const status: ExternalSecretStatus = {
      ...ready,
      observedGeneration: es.metadata.generation,
      conditions: withProgress(ready.conditions, { state: 'ok' }, new Date(started)) as ExternalSecretStatus['conditions'],
      refreshTime,
      syncedResourceVersion: specVersion,
      binding: { name: targetName },
    };
    await this.writeStatus(es, status, signal);
    this.lastSync.set(uid, { refreshTime, syncedResourceVersion: specVersion });
    this.lastCheck.set(uid, started);
    this.needFresh.delete(uid);
    this.lastForce.set(uid, force);
    const interval = es.spec.refreshPolicy === 'CreatedOnce' || es.spec.refreshPolicy === 'OnChange' ? 0 : refreshIntervalMs(es);
    registerReads(this.d.engine, esKey, exec.used, interval);
    setConditionGauge(this.d.metrics.esCondition, { name, namespace }, 'True');
    this.d.metrics.esReconcileDuration.set({ name, namespace }, (this.now() - started) * 1e6);
    if (!wasReady) this.d.logger.info('reconciled secret', { namespace, name, target: targetName });
    // Come back after one interval to render again (templateFrom sources may have changed); the
    // answers themselves are kept fresh by the scheduler, and a changed one wakes us sooner.
    return interval > 0 ? { requeueAfterMs: ownTimerMs(es, interval) } : {};
  }

  private async writeSecret(es: EsRef, secret: SecretObject, action: 'create' | 'update', mergeKeys: boolean, signal: AbortSignal): Promise<void> {
    const ns = es.metadata.namespace!;
    if (mergeKeys) {
      await this.d.kube.apply(Secrets, secret, { fieldManager: fieldManagerFor(es.metadata.name), force: true, signal });
      this.d.metrics.secretWrites.inc({ operation: 'apply' });
    } else if (action === 'create') {
      await this.d.kube.create(Secrets, secret, { fieldManager: fieldManagerFor(es.metadata.name), signal });
      this.d.metrics.secretWrites.inc({ operation: 'create' });
    } else {
      await this.d.kube.replace(Secrets, secret, { fieldManager: fieldManagerFor(es.metadata.name), signal });
      this.d.metrics.secretWrites.inc({ operation: 'update' });
    }
    this.d.logger.debug('wrote secret', { namespace: ns, name: secret.metadata.name, keys: Object.keys(secret.data ?? {}) });
  }

  /** A template text from templateFrom: a key of a ConfigMap or Secret in the ExternalSecret's namespace. */
  private async readTemplateSource(namespace: string, kind: 'ConfigMap' | 'Secret', name: string, key: string, signal: AbortSignal): Promise<string> {
    const obj = await this.d.kube.get<KubeObject & { data?: Record<string, string> }>(kind === 'ConfigMap' ? ConfigMaps : Secrets, name, namespace, { signal });
    if (!obj) throw new NotFoundError(`templateFrom: ${kind} "${namespace}/${name}" not found`);
    const raw = obj.data?.[key];
    if (raw === undefined) throw new NotFoundError(`templateFrom: ${kind} "${namespace}/${name}" has no key "${key}"`);
    return kind === 'Secret' ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  }

  /**
   * After spec.target.name changes, the Secret under the old name is ours and
   * orphaned in all but name: ESO deletes such Secrets, found by the
   * created-by label, and so do we — but only those this ExternalSecret controls.
   */
  private async deleteRenamedTargets(es: EsRef, targetName: string, signal: AbortSignal): Promise<void> {
    const mark = createdByLabel(es.metadata.namespace!, es.metadata.name);
    for (const s of this.d.managedSecrets.list(es.metadata.namespace)) {
      if (s.metadata.name === targetName || s.metadata.labels?.[LABEL_CREATED_BY] !== mark) continue;
      if (!s.metadata.ownerReferences?.some((r) => r.uid === es.metadata.uid && r.controller)) continue;
      await this.d.kube.delete(Secrets, s.metadata.name, es.metadata.namespace, { preconditions: { uid: s.metadata.uid }, signal });
      this.d.events.record(es, 'Normal', 'Deleted', `secret ${s.metadata.name} deleted because it was orphaned by a change of spec.target.name`);
      this.d.metrics.secretWrites.inc({ operation: 'delete' });
    }
  }

  /** Deletes the target only if this ExternalSecret controls it (ownerReference), never a foreign Secret. */
  private async deleteOwnedTarget(es: EsRef, existing: SecretObject | undefined, signal: AbortSignal): Promise<boolean> {
    if (!existing) return false;
    if (creationPolicyOf(es.spec) !== 'Owner' || controllerOwnerOf(existing)?.uid !== es.metadata.uid) return false;
    await this.d.kube.delete(Secrets, existing.metadata.name, es.metadata.namespace, { preconditions: { uid: existing.metadata.uid }, signal });
    this.d.events.record(es, 'Normal', 'Deleted', 'secret deleted due to DeletionPolicy=Delete');
    this.d.metrics.secretWrites.inc({ operation: 'delete' });
    return true;
  }

  private async finalize(es: EsRef, signal: AbortSignal): Promise<ReconcileResult> {
    const finalizers = es.metadata.finalizers ?? [];
    if (!finalizers.includes(FINALIZER_ES)) return {};
    if (deletionPolicyOf(es.spec) === 'Delete') {
      const existing = await this.d.kube.get<SecretObject>(Secrets, targetNameOf(es), es.metadata.namespace, { signal });
      await this.deleteOwnedTarget(es, existing, signal);
    }
    await this.d.kube.patch(
      ExternalSecrets,
      es.metadata.name,
      es.metadata.namespace,
      { metadata: { finalizers: finalizers.filter((f) => f !== FINALIZER_ES), resourceVersion: es.metadata.resourceVersion } },
      'merge',
      { signal },
    );
    this.forgetMetrics(es.metadata.namespace!, es.metadata.name);
    return {};
  }

  /**
   * Records a failure: Ready=False with the real cause, Reconciling (retrying, and
   * when) or Stalled (needs a person), a Warning event, the error metrics. The
   * Secret is not touched. Retryable errors go back to the queue by throwing; the
   * others wait for a change to the object.
   */
  private async fail(es: EsRef, err: unknown, ctx: ReconcileContext, seen: ReadLog = { values: [], names: [] }): Promise<ReconcileResult> {
    const { signal } = ctx;
    const { name } = es.metadata;
    const namespace = es.metadata.namespace!;
    // Stopping (shutdown, lost leadership) is not a failure of this object: record nothing.
    if (signal.aborted) throw err;
    // A write that lost an optimistic-concurrency race is not a failure worth a status change or an
    // event: the next attempt reads the new version and succeeds.
    if (isConflict(err) || isAlreadyExists(err)) throw err;
    const base = asHushError(err);
    // Identifiers (names from the manifest, key names read) stay whole: a value that is part of a
    // name must neither mangle it nor point at itself by the gap it leaves.
    const error = redactFailure(es, base, seen);
    if (error.retryable) this.d.storeHealth.reportFailure(storesOf(es), error);
    // The next attempt needs answers newer than this failure, and any next answer of what it
    // reads wakes it (changed or not), so that a store's recovery shows here at once.
    this.needFresh.set(es.metadata.uid ?? `${namespace}/${name}`, { since: this.now(), spec: syncedResourceVersion(es.metadata) });
    this.d.engine.markFailed(`${namespace}/${name}`);
    this.d.metrics.syncErrors.inc({ name, namespace });
    this.d.metrics.reconcileErrors.inc({ controller: 'externalsecret', code: error.code });
    setConditionGauge(this.d.metrics.esCondition, { name, namespace }, 'False');
    this.d.events.record(es, 'Warning', 'UpdateFailed', error.message);
    this.d.logger.warn('reconcile failed', { namespace, name, code: error.code, retryable: error.retryable, error: error.message });
    const now = new Date(this.now());
    const progress = progressOf(error, failingSince(es.status?.conditions), now, ctx.retryDelayMs);
    const ready = withReady(es.status, 'False', Reasons.SecretSyncedError, error.message, now);
    const status: ExternalSecretStatus = {
      ...ready,
      observedGeneration: es.metadata.generation,
      conditions: withProgress(ready.conditions, progress, now) as ExternalSecretStatus['conditions'],
    };
    try {
      await this.writeStatus(es, status, signal);
    } catch (statusErr) {
      this.d.logger.warn('writing status failed', { namespace, name, error: describeError(statusErr) });
    }
    if (error.retryable) throw error;
    return {};
  }

  private async writeStatus(es: EsRef, status: ExternalSecretStatus, signal: AbortSignal): Promise<void> {
    if (sameStatus(es.status, status)) return;
    await this.d.kube.patch(ExternalSecrets, es.metadata.name, es.metadata.namespace, { status }, 'merge', { subresource: 'status', signal });
  }

  private forgetMetrics(namespace: string, name: string): void {
    const m = this.d.metrics;
    for (const g of [m.syncCalls, m.syncErrors, m.esCondition, m.esReconcileDuration]) g.remove({ name, namespace });
  }
}

/** The reads' results, or undefined when they take longer than `ms` (they go on). */
async function settleWithin<T>(p: Promise<T>, ms: number, signal: AbortSignal): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
    onAbort = () => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
    // The signal is the controller's, shared by every reconcile: a listener left here would pile up.
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

function readyStatus(status: ExternalSecretStatus | undefined): 'True' | 'False' {
  return status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? 'True' : 'False';
}
