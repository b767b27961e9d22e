/**
 * The provider contract. One Provider per store kind ("vault", "kubernetes",
 * "fake", ...); one StoreClient per (Cluster)SecretStore, created by connect()
 * and reused across reconciles until the store's spec changes. Unlike ESO, a
 * client keeps its login and refreshes credentials itself, so reconciles do
 * not log in, and read-only stores implement no write methods.
 *
 * Values cross this boundary as bytes. Errors are HushErrors (util/errors.ts)
 * whose messages name keys and stores but never contain values.
 */
import type { EgressGuard } from '../net/guard.ts';
import type { HushError } from '../util/errors.ts';
import type { StoreCredentialPolicy } from './ambient.ts';

/** ESO's ExternalSecretDataRemoteRef, as the provider needs it. */
export interface RemoteRef {
  key: string;
  property?: string;
  version?: string;
  /** None (default) reads the value; Fetch reads the secret's metadata (tags, labels). */
  metadataPolicy?: 'None' | 'Fetch';
}

/** ESO's ExternalSecretFind. */
export interface FindSpec {
  path?: string;
  name?: { regexp: string };
  tags?: Record<string, string>;
}

/** A problem found by static validation of a store spec; `field` is a JSON path like `spec.provider.vault.server`. */
export interface Diagnostic {
  field: string;
  message: string;
}

export interface ValidationResult {
  /** Ready: the store answered and the credentials work. Unknown: the provider cannot tell without reading a key. */
  state: 'Ready' | 'Unknown' | 'Error';
  message: string;
  error?: HushError;
}

/**
 * What a provider gets to build a client. The store spec is handed over as
 * written in the manifest (the value under spec.provider.<name>); providers
 * validate it themselves and report field paths relative to the store.
 */
export interface StoreContext {
  /** "SecretStore" or "ClusterSecretStore". */
  storeKind: 'SecretStore' | 'ClusterSecretStore';
  storeName: string;
  /** Namespace of the SecretStore; for a ClusterSecretStore, the namespace of the ExternalSecret using it (referent auth) or undefined. */
  namespace: string | undefined;
  /** The provider block: spec.provider.<name>. */
  spec: unknown;
  /** The whole store spec, for retrySettings and similar. */
  storeSpec: Record<string, unknown>;
  /** Kubernetes reads a provider may do on the store's behalf. */
  kube: ProviderKubeAccess;
  /**
   * Whether this store may use the controller's own identity (mounted token, cloud default
   * chains, managed/workload identity from the controller's environment): a provider calls
   * credentials.requireAmbient() before it reaches for any of them (see ambient.ts).
   */
  credentials: StoreCredentialPolicy;
  /** Counts provider API calls for metrics: call name and outcome. */
  recordCall(call: string, status: 'success' | 'error'): void;
  /** Aborted when the store is deleted or changed, or the process stops. */
  signal: AbortSignal;
  /**
   * The egress policy for this store (tenant scope for a SecretStore, cluster scope for a
   * ClusterSecretStore): every connection a provider makes for the store goes through it.
   */
  egress: EgressGuard;
  /** Largest answer body a provider accepts from the store (the controller's --max-response-bytes). */
  maxResponseBytes?: number | undefined;
}

/** The only Kubernetes access providers get: reading referenced Secrets/ConfigMaps and minting SA tokens. */
export interface ProviderKubeAccess {
  /** Reads one key of a Secret. Throws NotFoundError/InvalidConfigError with a message naming the Secret and key. */
  readSecretKey(ref: { name: string; key: string; namespace?: string | undefined }): Promise<Uint8Array>;
  /** Reads one key of a ConfigMap. */
  readConfigMapKey(ref: { name: string; key: string; namespace?: string | undefined }): Promise<string>;
  /**
   * Mints a ServiceAccount token through the TokenRequest API. The controller's implementation
   * refuses audiences the credential policy does not allow for the store (PolicyRefusedError).
   */
  createServiceAccountToken(ref: {
    name: string;
    namespace?: string | undefined;
    audiences?: string[] | undefined;
    expirationSeconds?: number | undefined;
    /** The store field that chose the audiences, for messages. */
    field?: string | undefined;
  }): Promise<{ token: string; expiresAt: Date }>;
  /**
   * A ServiceAccount's annotations, for workload identity (eks.amazonaws.com/role-arn,
   * azure.workload.identity/client-id, iam.gke.io/gcp-service-account). Optional so
   * that test doubles need not implement it.
   */
  readServiceAccount?(ref: { name: string; namespace?: string | undefined }): Promise<{ annotations: Record<string, string> }>;
  /** The API server URL of the cluster the controller runs against (the kubernetes provider's default server). */
  readonly clusterServer?: string;
  /** The CA bundle (PEM) the controller trusts for that API server. */
  readonly clusterCA?: string | undefined;
}

/**
 * One raw read: a key, at a version, value or metadata — without `property`. Two
 * ExternalSecrets (or two data[] entries) that read the same raw ref share one call;
 * the property is applied afterwards by the client's projection (read/apply.ts).
 */
export interface RawRef {
  key: string;
  version?: string | undefined;
  metadataPolicy?: 'None' | 'Fetch' | undefined;
  /**
   * Set only for clients whose request itself depends on the property
   * (`StoreClient.readsProperty`, the webhook provider's templates).
   */
  property?: string | undefined;
}

/** What a store answered for one RawRef. */
export interface RawSecret {
  /**
   * The whole secret as the store gave it, before any property is applied, in a shape only
   * this client's projection reads. Shared by every reader of the ref: never mutated.
   */
  readonly payload: unknown;
  /**
   * The store's own change marker for this value (a version id, a resourceVersion, a
   * version number), when the store gives one. Not secret: it may appear in debug logs.
   * Undefined when the store has none; the read engine then compares payloads.
   */
  readonly version?: string | undefined;
}

/** The outcome of one ref of a batch read: the answer, or the error for that ref alone. */
export type RawOutcome = { raw: RawSecret } | { error: unknown };

/**
 * A provider's property projection: ESO's per-provider rules for turning the whole
 * secret into what `remoteRef.property` selects (GetSecret) or into keys
 * (GetSecretMap). Pure and synchronous: no I/O, no clock, so it runs in the shared
 * apply step after the reads, once per reader.
 */
export interface Projection {
  /** GetSecret: the whole value, or `ref.property` inside it. Throws PropertyNotFoundError/InvalidDataError. */
  value(raw: RawSecret, ref: RemoteRef): Uint8Array;
  /** GetSecretMap (dataFrom.extract): the value, or `ref.property` inside it, split into keys. */
  map(raw: RawSecret, ref: RemoteRef): Map<string, Uint8Array>;
}

/**
 * How a store tells that values changed without reading them (read/reader.ts uses it).
 * Both parts are optional; a client without a feed has its values read on every refresh.
 */
export interface ChangeFeed {
  /**
   * Poll: the current change marker of each raw ref, in as few calls as the store allows
   * (Secrets Manager ListSecrets, Parameter Store DescribeParameters, KV v2 metadata). A marker
   * must equal `RawSecret.version` of a read of the same ref made now; undefined means
   * "cannot tell" (the value is then read). Answers in the order of `refs`, at most `maxSize`
   * refs per call. Must not return values, and must throw (not guess) when the store fails.
   */
  readonly poll?: {
    readonly maxSize: number;
    /**
     * `charge`: a poll that needs more than one call (the pages of a listing) awaits it before
     * each call after the first, so that every call is within the store's budget and timeout.
     */
    markers(refs: RawRef[], signal: AbortSignal, charge?: () => Promise<void>): Promise<(string | undefined)[]>;
    /** Calls a poll of `n` refs is expected to take (the budget report); default ceil(n / maxSize). */
    callsFor?(n: number): number;
  };
  /**
   * Push: the store tells of changes as they happen (a Kubernetes watch, Vault's audit
   * device). `onChange` gets the keys (RawRef.key) that may have changed; a false alarm costs
   * one read. `onError` says the feed broke: the scheduler keeps refreshing on its timer and
   * subscribes again later. Returns a function that stops the feed.
   */
  subscribe?(handlers: { onChange(keys: string[]): void; onError(err: Error): void }): () => void;
}

export interface StoreClient {
  /** How this client's answers are projected (see Projection). */
  readonly projection: Projection;
  /** True when the request itself depends on `property`: raw refs then keep it, and reads are per property. */
  readonly readsProperty?: boolean;
  /** One raw ref: the whole secret and its version. NotFoundError when the secret (or version) does not exist. */
  read(ref: RawRef, signal: AbortSignal): Promise<RawSecret>;
  /**
   * Where the store has a batch read (Secrets Manager BatchGetSecretValue, Parameter Store
   * GetParameters): up to maxSize raw refs in one call. Answers in the order of `refs`.
   * The governor (read/governor.ts) collects reads that arrive together into batches.
   */
  readonly batch?: {
    readonly maxSize: number;
    read(refs: RawRef[], signal: AbortSignal): Promise<RawOutcome[]>;
    /**
     * Whether a batch call can carry this ref (a pinned version, a metadata read, a store that
     * refused batch calls may not). The governor reads the others one call each, so that one
     * batch stays one call of the store's budget. Default: every ref.
     */
    accepts?(ref: RawRef): boolean;
  };
  /** Cheap change detection, where the store has it (see ChangeFeed). */
  readonly changes?: ChangeFeed;
  /** Every secret matching find (dataFrom.find); keys are the store's names before key conversion. */
  findSecrets(find: FindSpec, signal: AbortSignal): Promise<Map<string, Uint8Array>>;
  /** Checks that the store is reachable and the credentials work. */
  validate(signal: AbortSignal): Promise<ValidationResult>;
  close(): Promise<void>;
}

export interface Provider {
  /** The key under spec.provider: "vault", "kubernetes", "fake", ... */
  readonly name: string;
  /** Provider label for metrics, as ESO names it ("HashiCorp/Vault"). */
  readonly metricsName: string;
  /** Static checks of spec.provider.<name>; field paths start with `spec.provider.<name>`. */
  validateStore(spec: unknown, storeKind: StoreContext['storeKind']): Diagnostic[];
  connect(ctx: StoreContext): Promise<StoreClient>;
}
