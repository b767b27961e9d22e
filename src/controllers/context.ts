/**
 * What every controller of this package is built from: the shared informers,
 * clients and services the manager provides, and the user's options. Each
 * `controllers/<name>/controller.ts` turns this into a ControllerDefinition
 * (or nothing, when the controller is off), and `manager.ts` registers them.
 */
import type { ControllerManager } from '../kube/controller.ts';
import type { KubeClient } from '../kube/client.ts';
import { EventRecorder } from '../kube/events.ts';
import type { Informer } from '../kube/informer.ts';
import type { KubeObject } from '../kube/resources.ts';
import type { CredentialPolicyOptions } from '../providers/ambient.ts';
import type { EgressPolicy } from '../net/egress.ts';
import type { Provider } from '../providers/types.ts';
import type { Logger } from '../util/log.ts';
import type { ControllerMetrics } from '../metrics/hush.ts';
import type { ExternalSecretObject } from './externalsecret/spec.ts';
import type { StoreHealth } from './stores/health.ts';
import type { StoreResolver } from './stores/resolver.ts';
import type { ReadEngine } from '../read/engine.ts';
import type { StoreObject } from './stores/types.ts';

export interface ControllerOptions {
  /** Watch only this namespace (ExternalSecrets, SecretStores, Secrets); ClusterExternalSecrets are off then. */
  namespace?: string | undefined;
  controllerClass: string;
  concurrency: number;
  enableClusterStores: boolean;
  enableClusterExternalSecrets: boolean;
  providerFor?: (key: string) => Provider | undefined;
  /** Run the SopsSecret controller (needs the secrets.hush.dev CRD); default true. */
  enableSopsSecrets?: boolean;
  /** age identities offered to every SopsSecret after its own keys; default $SOPS_AGE_KEY_FILE. */
  sopsAgeKeyFile?: string | undefined;
  /** Who may use the controller's own credentials, and which token audiences stores may ask for; default DEFAULT_CREDENTIAL_POLICY. */
  credentialPolicy?: CredentialPolicyOptions | undefined;
  /**
   * Where stores may connect (src/net/egress.ts). Default: the policy from the environment
   * (HUSH_EGRESS_ALLOW, HUSH_EGRESS_DENY, HUSH_CLUSTER_SERVICE_CIDR), as `hush controller` reads it.
   */
  egress?: EgressPolicy | undefined;
  /** Largest answer body accepted from a store (--max-response-bytes); default 4 MiB. */
  maxResponseBytes?: number | undefined;
  /** Serve webhook stores only as ClusterSecretStores (--webhook-provider-cluster-stores-only). */
  webhookClusterStoresOnly?: boolean | undefined;
}

/** The caches more than one controller reads; each is one shared informer. */
export interface SharedCaches {
  externalSecrets: Informer<ExternalSecretObject>;
  stores: Informer<StoreObject>;
  /** Undefined when cluster stores are off: nothing may read them then. */
  clusterStores: Informer<StoreObject> | undefined;
  /** Namespace labels, for ClusterSecretStore conditions and ClusterExternalSecret selectors; undefined when neither is on. */
  namespaces: Informer<KubeObject> | undefined;
}

export interface ControllerContext {
  kube: KubeClient;
  logger: Logger;
  metrics: ControllerMetrics;
  options: ControllerOptions;
  runtime: ControllerManager;
  caches: SharedCaches;
  resolver: StoreResolver;
  storeHealth: StoreHealth;
  /** Store reads: governors, shared answers, scheduled refreshes (read/engine.ts). */
  readEngine: ReadEngine;
  providerFor: (key: string) => Provider | undefined;
  /** An event recorder reporting as `component`. */
  events(component: string): EventRecorder;
}

/** Builds a controller from the context, or returns undefined when it is turned off. */
export type ControllerFactory = (ctx: ControllerContext) => import('../kube/controller.ts').ControllerDefinition<any> | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any -- each controller has its own object type

export function newEventRecorder(kube: KubeClient, logger: Logger, component: string): EventRecorder {
  return new EventRecorder(kube, { component, logger });
}

/**
 * What a reconcile depends on: spec (generation), labels, annotations (force-sync) and deletion.
 * Status writes and our own finalizer patch are left out, or every reconcile would wake itself
 * again at once and a failing object would skip its backoff.
 */
export function specOrMetaChanged(a: KubeObject, b: KubeObject): boolean {
  const ma = a.metadata;
  const mb = b.metadata;
  return (
    ma.generation !== mb.generation ||
    ma.deletionTimestamp !== mb.deletionTimestamp ||
    JSON.stringify(ma.labels ?? {}) !== JSON.stringify(mb.labels ?? {}) ||
    JSON.stringify(ma.annotations ?? {}) !== JSON.stringify(mb.annotations ?? {})
  );
}
