/**
 * ClusterExternalSecret: one ExternalSecret per matching namespace.
 *
 * Level-based: every reconcile lists the namespaces that match now, creates or
 * updates the ExternalSecret in each, deletes the ones it made in namespaces
 * that no longer match, and reports provisioned and failed namespaces. The
 * children carry a controller ownerReference, so the garbage collector
 * removes them when the ClusterExternalSecret goes.
 */
import type { KubeClient } from '../../kube/client.ts';
import type { EventRecorder } from '../../kube/events.ts';
import type { Informer } from '../../kube/informer.ts';
import { Namespaces, type KubeObject, type ObjectMeta } from '../../kube/resources.ts';
import { describeError } from '../../util/errors.ts';
import { parseGoDuration } from '../../util/duration.ts';
import type { Logger } from '../../util/log.ts';
import { setConditionGauge, type ControllerMetrics } from '../../metrics/hush.ts';
import { ClusterExternalSecrets, ExternalSecrets, FINALIZER_CES, LABEL_CES_OWNER } from '../resources.ts';
import type { Condition, ExternalSecretObject, ExternalSecretSpec } from '../externalsecret/spec.ts';
import { withReady } from '../externalsecret/status.ts';
import { matchesSelector } from '../stores/selector.ts';
import type { LabelSelector } from '../stores/types.ts';

export interface ClusterExternalSecretObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: {
    externalSecretSpec: ExternalSecretSpec;
    externalSecretName?: string;
    externalSecretMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
    namespaceSelector?: LabelSelector;
    namespaceSelectors?: LabelSelector[];
    namespaces?: string[];
    refreshTime?: string;
  };
  status?: {
    externalSecretName?: string;
    provisionedNamespaces?: string[];
    failedNamespaces?: { namespace: string; reason?: string }[];
    observedGeneration?: number;
    conditions?: Condition[];
  };
}

export interface CesReconcilerDeps {
  kube: KubeClient;
  informer: Informer<ClusterExternalSecretObject>;
  namespaces: Informer<KubeObject>;
  externalSecrets: Informer<ExternalSecretObject>;
  events: EventRecorder;
  metrics: ControllerMetrics;
  logger: Logger;
}

/** Whether a namespace is selected: namespaceSelectors[] ORed, plus the deprecated namespaceSelector and namespaces fields. */
export function namespaceMatches(spec: ClusterExternalSecretObject['spec'], ns: KubeObject): boolean {
  const name = ns.metadata.name;
  const labels = ns.metadata.labels;
  if (spec.namespaces?.includes(name)) return true;
  // As in Kubernetes, an empty selector ({}) selects every namespace; an absent one selects none.
  if (spec.namespaceSelector && matchesSelector(spec.namespaceSelector, labels)) return true;
  return (spec.namespaceSelectors ?? []).some((s) => matchesSelector(s, labels));
}

export class ClusterExternalSecretReconciler {
  private readonly d: CesReconcilerDeps;

  constructor(deps: CesReconcilerDeps) {
    this.d = deps;
  }

  async reconcile(name: string, signal: AbortSignal): Promise<{ requeueAfterMs?: number }> {
    const cached = this.d.informer.get(name);
    if (!cached) {
      this.d.metrics.cesCondition.remove({ name });
      return {};
    }
    if (cached.metadata.deletionTimestamp) {
      // The children go with the garbage collector (controller ownerReference). What is left is
      // ESO's own bookkeeping after a migration: its finalizers on this object and on namespaces
      // would otherwise hang the deletion (and namespace deletions) forever.
      await this.dropEsoFinalizers(cached, signal);
      this.d.metrics.cesCondition.remove({ name });
      return {};
    }
    const ces = structuredClone(cached) as ClusterExternalSecretObject & { apiVersion: string; kind: string };
    ces.apiVersion = 'external-secrets.io/v1';
    ces.kind = 'ClusterExternalSecret';
    const esName = ces.spec.externalSecretName || name;
    const wanted = this.d.namespaces.list().filter((ns) => !ns.metadata.deletionTimestamp && namespaceMatches(ces.spec, ns));
    const provisioned: string[] = [];
    const failed: { namespace: string; reason: string }[] = [];

    for (const ns of wanted) {
      const namespace = ns.metadata.name;
      try {
        await this.ensureChild(ces, esName, namespace, signal);
        provisioned.push(namespace);
      } catch (err) {
        failed.push({ namespace, reason: describeError(err) });
      }
    }

    // Children in namespaces that no longer match (or under an old name) are removed.
    const wantedSet = new Set(wanted.map((n) => n.metadata.name));
    for (const child of this.d.externalSecrets.byIndex('cesOwner', ces.metadata.uid ?? '')) {
      const ns = child.metadata.namespace!;
      if (!wantedSet.has(ns) || child.metadata.name !== esName) {
        try {
          await this.d.kube.delete(ExternalSecrets, child.metadata.name, ns, { signal });
        } catch (err) {
          failed.push({ namespace: ns, reason: `could not delete ExternalSecret ${ns}/${child.metadata.name}: ${describeError(err)}` });
        }
      }
    }

    provisioned.sort();
    failed.sort((a, b) => a.namespace.localeCompare(b.namespace));
    const ready = failed.length === 0 ? 'True' : 'False';
    const message = failed.length === 0 ? `provisioned ${provisioned.length} namespace(s)` : 'one or more namespaces failed';
    // ESO's ClusterExternalSecret Ready condition has no reason; keep it that way for tools that match on it.
    const withReason = withReady(ces.status, ready, '', message, new Date());
    const status = {
      ...withReason,
      conditions: withReason.conditions?.map(({ reason: _reason, ...c }) => c),
      externalSecretName: esName,
      observedGeneration: ces.metadata.generation,
      provisionedNamespaces: provisioned,
      failedNamespaces: failed,
    };
    if (JSON.stringify([status.provisionedNamespaces, status.failedNamespaces, status.externalSecretName, status.observedGeneration, status.conditions?.map((c) => [c.status, c.message])]) !==
      JSON.stringify([ces.status?.provisionedNamespaces ?? [], ces.status?.failedNamespaces ?? [], ces.status?.externalSecretName, ces.status?.observedGeneration, ces.status?.conditions?.map((c) => [c.status, c.message])])) {
      await this.d.kube.patch(ClusterExternalSecrets, name, undefined, { status }, 'merge', { subresource: 'status', signal });
    }
    setConditionGauge(this.d.metrics.cesCondition, { name, namespace: '' }, ready);
    if (failed.length > 0) this.d.events.record(ces, 'Warning', 'NamespacesFailed', failed.map((f) => `${f.namespace}: ${f.reason}`).join('; ').slice(0, 1000));
    const refresh = ces.spec.refreshTime ? parseGoDuration(ces.spec.refreshTime, 'spec.refreshTime') : 3_600_000;
    return refresh > 0 ? { requeueAfterMs: refresh } : {};
  }

  private async dropEsoFinalizers(ces: ClusterExternalSecretObject, signal: AbortSignal): Promise<void> {
    const nsFinalizer = `externalsecrets.external-secrets.io/ces-${ces.metadata.name}`;
    for (const ns of this.d.namespaces.list()) {
      const f = ns.metadata.finalizers ?? [];
      if (!f.includes(nsFinalizer)) continue;
      await this.d.kube.patch(Namespaces, ns.metadata.name, undefined, { metadata: { finalizers: f.filter((x) => x !== nsFinalizer), resourceVersion: ns.metadata.resourceVersion } }, 'merge', { signal });
    }
    const own = ces.metadata.finalizers ?? [];
    if (own.includes(FINALIZER_CES)) {
      await this.d.kube.patch(ClusterExternalSecrets, ces.metadata.name, undefined, { metadata: { finalizers: own.filter((x) => x !== FINALIZER_CES), resourceVersion: ces.metadata.resourceVersion } }, 'merge', { signal });
    }
  }

  private async ensureChild(ces: ClusterExternalSecretObject & { apiVersion: string; kind: string }, esName: string, namespace: string, signal: AbortSignal): Promise<void> {
    const existing = this.d.externalSecrets.get(esName, namespace);
    const owner = existing?.metadata.ownerReferences as { uid?: string; controller?: boolean }[] | undefined;
    if (existing && !owner?.some((r) => r.uid === ces.metadata.uid && r.controller)) {
      throw new Error(`an ExternalSecret named "${esName}" that this ClusterExternalSecret did not create already exists in namespace "${namespace}"`);
    }
    const labels = { ...(ces.spec.externalSecretMetadata?.labels ?? {}), [LABEL_CES_OWNER]: ces.metadata.name };
    const annotations = { ...(ces.spec.externalSecretMetadata?.annotations ?? {}) };
    const forceSync = ces.metadata.annotations?.['external-secrets.io/force-sync'];
    if (forceSync !== undefined) annotations['external-secrets.io/force-sync'] = forceSync;
    // No write when the child already says what we would apply: a ClusterExternalSecret over many
    // namespaces must not re-apply every child on every wake-up.
    if (
      existing &&
      canonicalJson(existing.spec) === canonicalJson(ces.spec.externalSecretSpec) &&
      Object.entries(labels).every(([k, v]) => existing.metadata.labels?.[k] === v) &&
      Object.entries(annotations).every(([k, v]) => existing.metadata.annotations?.[k] === v)
    ) {
      return;
    }
    const ownerRef = { apiVersion: 'external-secrets.io/v1', kind: 'ClusterExternalSecret', name: ces.metadata.name, uid: ces.metadata.uid!, controller: true, blockOwnerDeletion: true };
    if (!existing) {
      await this.d.kube.create(
        ExternalSecrets,
        { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: esName, namespace, labels, annotations, ownerReferences: [ownerRef] }, spec: ces.spec.externalSecretSpec },
        { fieldManager: 'hush-clusterexternalsecret', signal },
      );
      return;
    }
    // The spec is replaced whole (PUT), as ESO does: fields removed from the ClusterExternalSecret
    // disappear from its children, whoever wrote them before (ESO's own manager after a migration).
    const next = structuredClone(existing) as ExternalSecretObject & { apiVersion: string; kind: string };
    next.apiVersion = 'external-secrets.io/v1';
    next.kind = 'ExternalSecret';
    next.spec = ces.spec.externalSecretSpec;
    next.metadata.labels = { ...(existing.metadata.labels ?? {}), ...labels };
    next.metadata.annotations = { ...(existing.metadata.annotations ?? {}), ...annotations };
    await this.d.kube.replace(ExternalSecrets, next, { fieldManager: 'hush-clusterexternalsecret', signal });
  }
}

/** JSON with object keys sorted, so two equal specs compare equal whatever order their keys came in. */
function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) =>
    val && typeof val === 'object' && !Array.isArray(val) ? Object.fromEntries(Object.entries(val as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : val,
  );
}
