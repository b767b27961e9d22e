/**
 * A small, typed Kubernetes REST client: JSON over node:http(s) with one
 * keep-alive Agent per client. @kubernetes/client-node is used only to read
 * kubeconfig / in-cluster config and to produce auth headers (tokens from
 * files and exec plugins rotate, so auth is applied to every request).
 *
 * Why not client-node's generated API: it runs on undici/fetch with a new
 * dispatcher per config, has no metadata-only lists, and its watch has no
 * timeoutSeconds or bookmarks. The controllers need all three.
 */
import http from 'node:http';
import https from 'node:https';
import { readFileSync as fsReadFileSync } from 'node:fs';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { InvalidConfigError, InvalidSpecError } from '../util/errors.ts';
import { errorFromResponse, errorFromStatus, KubeApiError, type KubeStatus } from './api-error.ts';
import { LineTooLongError, readLines } from './json-lines.ts';
import { apiVersionOf, resourcePath, type KubeObject, type ListMeta, type ResourceType } from './resources.ts';

export { KubeApiError, isAlreadyExists, isConflict, isGone, isNotFound } from './api-error.ts';
export type { KubeStatus } from './api-error.ts';

export type WatchEvent =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'; object: KubeObject }
  | { type: 'ERROR'; object: { code?: number; reason?: string; message?: string } };

export interface TlsOptions {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  rejectUnauthorized?: boolean;
  servername?: string;
}

export interface KubeClientOptions {
  /** https://host:port, optionally with a path prefix (some proxies serve the API under one). */
  server: string;
  tls?: TlsOptions;
  /** Headers added to every request (Authorization, Impersonate-User). Called per request. */
  authHeaders?: () => Promise<Record<string, string>> | Record<string, string>;
  /** Namespace of the kubeconfig context (or the pod's namespace in-cluster). */
  defaultNamespace?: string;
  /** Timeout for non-watch requests; default 30 s. */
  requestTimeoutMs?: number;
  userAgent?: string;
  /**
   * Largest response body read into memory, and the largest single watch event (one line of the
   * stream); default 128 MiB. Lists can be large (informers page at 500 objects, each up to the
   * API server's ~1.5 MiB object limit), so this is far above a store answer's cap; it exists so a
   * broken or hostile endpoint cannot stream until the controller runs out of memory.
   */
  maxResponseBytes?: number;
}

/** KubeClientOptions.maxResponseBytes unless set. */
export const DEFAULT_KUBE_MAX_RESPONSE_BYTES = 128 * 1024 * 1024;

type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  contentType?: string;
  accept?: string;
  signal?: AbortSignal | undefined;
  /** Overrides the client's request timeout; 0 disables it (watches). */
  timeoutMs?: number;
  /** What the request does, for error messages: "get secrets ns/name". */
  what?: string;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  /** Ask for PartialObjectMetadataList: items carry metadata only (no data/spec). */
  metadataOnly?: boolean;
  signal?: AbortSignal;
}

export interface ListResult<T> {
  items: T[];
  metadata: ListMeta;
}

export interface WriteOptions {
  fieldManager?: string;
  /** Validate and run admission without persisting. */
  dryRun?: boolean;
  signal?: AbortSignal;
}

export interface PatchOptions extends WriteOptions {
  subresource?: 'status';
}

export interface ApplyOptions {
  fieldManager: string;
  force?: boolean;
  subresource?: 'status';
  dryRun?: boolean;
  signal?: AbortSignal;
}

export interface DeleteOptions {
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  preconditions?: { uid?: string; resourceVersion?: string };
  gracePeriodSeconds?: number;
  signal?: AbortSignal;
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion: string;
  timeoutSeconds: number;
  allowBookmarks: boolean;
  metadataOnly?: boolean;
  signal: AbortSignal;
  /** Called whenever bytes arrive; the informer's stall watchdog listens to it. */
  onActivity?: () => void;
}

export type PatchType = 'merge' | 'json' | 'strategic';

const patchContentTypes: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
};

const metadataListAccept = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';
const metadataAccept = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';
const inClusterTokenPath = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export class KubeClient {
  readonly server: string;
  readonly defaultNamespace: string | undefined;
  /** The CA bundle (PEM) this client trusts for the API server, if one was configured. */
  readonly caPem: string | undefined;
  private readonly agent: http.Agent;
  private readonly transport: typeof http | typeof https;
  private readonly authHeaders: KubeClientOptions['authHeaders'];
  private readonly requestTimeoutMs: number;
  private readonly userAgent: string;
  readonly maxResponseBytes: number;

  constructor(opts: KubeClientOptions) {
    this.server = opts.server.replace(/\/+$/, '');
    const url = new URL(this.server);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new InvalidConfigError(`kube server must be an http(s) URL, got protocol ${url.protocol}`);
    }
    this.defaultNamespace = opts.defaultNamespace;
    this.caPem = opts.tls?.ca === undefined ? undefined : opts.tls.ca.toString();
    this.authHeaders = opts.authHeaders;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
    this.userAgent = opts.userAgent ?? `hush/0.1.0 (node ${process.version})`;
    this.maxResponseBytes = opts.maxResponseBytes ?? DEFAULT_KUBE_MAX_RESPONSE_BYTES;
    // One agent for every request of this client: connections are reused
    // (HTTP/1.1 keep-alive) and TCP keepalive probes detect dead peers that a
    // silent watch would otherwise wait on for ~20 minutes.
    const agentOptions = { keepAlive: true, keepAliveMsecs: 30_000, scheduling: 'lifo' as const };
    if (url.protocol === 'https:') {
      this.transport = https;
      this.agent = new https.Agent({ ...agentOptions, ...opts.tls });
    } else {
      this.transport = http;
      this.agent = new http.Agent(agentOptions);
    }
  }

  /**
   * Loads a kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then
   * the in-cluster service account) and optionally picks a context.
   */
  static fromKubeconfig(file?: string, context?: string, opts: { requestTimeoutMs?: number; userAgent?: string; maxResponseBytes?: number } = {}): KubeClient {
    const kc = new KubeConfig();
    if (file) kc.loadFromFile(file);
    else kc.loadFromDefault();
    if (context) kc.setCurrentContext(context);
    return KubeClient.fromKubeConfigObject(kc, opts);
  }

  /** For callers that already hold a client-node KubeConfig. */
  static fromKubeConfigObject(kc: KubeConfig, opts: { requestTimeoutMs?: number; userAgent?: string; maxResponseBytes?: number } = {}): KubeClient {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new InvalidConfigError('kubeconfig has no current cluster');
    const user = kc.getCurrentUser();
    const ctx = kc.getContextObject(kc.getCurrentContext());
    let defaultNamespace = ctx?.namespace;
    if (!defaultNamespace && kc.getCurrentContext() === 'inClusterContext') {
      defaultNamespace = readNamespaceFile();
    }

    // Auth that can change (exec plugins; the in-cluster token file, re-read
    // every minute) is produced per request by client-node, which fills it
    // into an https options object; we keep only the headers. Static
    // credentials are computed once below.
    const headersFrom = async (): Promise<Record<string, string>> => {
      const scratch: https.RequestOptions = {};
      await kc.applyToHTTPSOptions(scratch);
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(scratch.headers ?? {})) {
        if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : String(v);
      }
      if (typeof scratch.auth === 'string' && user?.username) {
        out.Authorization = `Basic ${Buffer.from(scratch.auth).toString('base64')}`;
      }
      return out;
    };
    const tls: TlsOptions = {};
    if (cluster.server.startsWith('https:')) {
      // TLS material is read once for the agent; auth comes per request.
      const ca = bufferFrom(cluster.caFile, cluster.caData);
      if (ca) tls.ca = ca;
      const cert = bufferFrom(user?.certFile, user?.certData);
      if (cert) tls.cert = cert;
      const key = bufferFrom(user?.keyFile, user?.keyData);
      if (key) tls.key = key;
      if (cluster.skipTLSVerify) tls.rejectUnauthorized = false;
      if (cluster.tlsServerName) tls.servername = cluster.tlsServerName;
    }
    const rotating = Boolean(user?.exec || user?.authProvider);
    let authHeaders: KubeClientOptions['authHeaders'];
    if (rotating) {
      authHeaders = headersFrom;
    } else {
      const fixed: Record<string, string> = {};
      if (user?.token) fixed.Authorization = `Bearer ${user.token}`;
      else if (user?.username) {
        fixed.Authorization = `Basic ${Buffer.from(`${user.username}:${user.password ?? ''}`).toString('base64')}`;
      }
      if (user?.impersonateUser) fixed['Impersonate-User'] = user.impersonateUser;
      authHeaders = () => fixed;
    }
    return new KubeClient({
      server: cluster.server,
      tls,
      authHeaders,
      ...(defaultNamespace ? { defaultNamespace } : {}),
      ...opts,
    });
  }

  /** Destroys every socket of this client, open watches included. */
  close(): void {
    this.agent.destroy();
  }

  // ---------------------------------------------------------------- typed verbs

  async get<T extends KubeObject>(
    rt: ResourceType,
    name: string,
    namespace?: string,
    opts: { signal?: AbortSignal; metadataOnly?: boolean } = {},
  ): Promise<T | undefined> {
    const what = `get ${rt.plural} ${describeName(rt, name, namespace)}`;
    try {
      return await this.request<T>('GET', resourcePath(rt, this.ns(rt, namespace, what), name), {
        what,
        signal: opts.signal,
        ...(opts.metadataOnly ? { accept: metadataAccept } : {}),
      });
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  async list<T extends KubeObject>(rt: ResourceType, opts: ListOptions = {}): Promise<ListResult<T>> {
    const what = `list ${rt.plural}${opts.namespace ? ` in ${opts.namespace}` : ''}`;
    const res = await this.request<{ items?: T[] | null; metadata?: ListMeta }>(
      'GET',
      resourcePath(rt, rt.namespaced ? opts.namespace : undefined),
      {
        what,
        signal: opts.signal,
        query: {
          labelSelector: opts.labelSelector,
          fieldSelector: opts.fieldSelector,
          limit: opts.limit,
          continue: opts.continue,
          resourceVersion: opts.resourceVersion,
        },
        ...(opts.metadataOnly ? { accept: metadataListAccept } : {}),
      },
    );
    const items = res.items ?? [];
    // List items come without apiVersion/kind (the list has them); fill them
    // in so an item looks the same whether it came from a list or a watch.
    if (!opts.metadataOnly) {
      const apiVersion = apiVersionOf(rt);
      for (const item of items) {
        item.apiVersion ??= apiVersion;
        item.kind ??= rt.kind;
      }
    }
    const metadata: ListMeta = { resourceVersion: res.metadata?.resourceVersion ?? '' };
    if (res.metadata?.continue) metadata.continue = res.metadata.continue;
    if (res.metadata?.remainingItemCount !== undefined) metadata.remainingItemCount = res.metadata.remainingItemCount;
    return { items, metadata };
  }

  async create<T extends KubeObject>(rt: ResourceType, obj: T, opts: WriteOptions = {}): Promise<T> {
    const namespace = obj.metadata.namespace;
    const what = `create ${rt.plural} ${describeName(rt, obj.metadata.name || obj.metadata.generateName || '', namespace)}`;
    return this.request<T>('POST', resourcePath(rt, this.ns(rt, namespace, what)), {
      what,
      signal: opts.signal,
      body: withTypeMeta(rt, obj),
      query: writeQuery(opts),
    });
  }

  /** PUT: replaces the object; fails with Conflict when metadata.resourceVersion is stale. */
  async replace<T extends KubeObject>(rt: ResourceType, obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.put(rt, obj, undefined, opts);
  }

  /** PUT .../status: writes only the status (the spec in `obj` is ignored by the server). */
  async updateStatus<T extends KubeObject>(rt: ResourceType, obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.put(rt, obj, 'status', opts);
  }

  async patch<T extends KubeObject>(
    rt: ResourceType,
    name: string,
    namespace: string | undefined,
    patch: unknown,
    type: PatchType,
    opts: PatchOptions = {},
  ): Promise<T> {
    const what = `patch ${rt.plural}${opts.subresource ? `/${opts.subresource}` : ''} ${describeName(rt, name, namespace)}`;
    return this.request<T>('PATCH', resourcePath(rt, this.ns(rt, namespace, what), name, opts.subresource), {
      what,
      signal: opts.signal,
      body: patch,
      contentType: patchContentTypes[type],
      query: writeQuery(opts),
    });
  }

  /**
   * Server-side apply. `obj` is the fully specified intent of this field
   * manager: fields it set before and leaves out now are removed (if no other
   * manager owns them). apiVersion/kind are filled from `rt` when missing.
   * Without `force`, a field owned by another manager with a different value
   * fails with 409 Conflict.
   */
  async apply<T extends KubeObject>(rt: ResourceType, obj: T, opts: ApplyOptions): Promise<T> {
    const { name, namespace } = obj.metadata;
    const what = `apply ${rt.plural}${opts.subresource ? `/${opts.subresource}` : ''} ${describeName(rt, name, namespace)}`;
    if (!name) throw new InvalidSpecError(`${what}: metadata.name is required`);
    const body = withTypeMeta(rt, obj);
    // The apiserver rejects apply bodies that carry managedFields.
    if (body.metadata.managedFields !== undefined) {
      body.metadata = { ...body.metadata };
      delete body.metadata.managedFields;
    }
    return this.request<T>('PATCH', resourcePath(rt, this.ns(rt, namespace, what), name, opts.subresource), {
      what,
      signal: opts.signal,
      // JSON is YAML, so the apply content type takes our JSON body as is.
      body,
      contentType: 'application/apply-patch+yaml',
      query: { fieldManager: opts.fieldManager, force: opts.force ? true : undefined, dryRun: opts.dryRun ? 'All' : undefined },
    });
  }

  /** Returns false when the object was already gone. */
  async delete(rt: ResourceType, name: string, namespace?: string, opts: DeleteOptions = {}): Promise<boolean> {
    const what = `delete ${rt.plural} ${describeName(rt, name, namespace)}`;
    const body: Record<string, unknown> = { apiVersion: 'v1', kind: 'DeleteOptions' };
    if (opts.propagationPolicy) body.propagationPolicy = opts.propagationPolicy;
    if (opts.preconditions) body.preconditions = opts.preconditions;
    if (opts.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = opts.gracePeriodSeconds;
    try {
      await this.request('DELETE', resourcePath(rt, this.ns(rt, namespace, what), name), {
        what,
        signal: opts.signal,
        body,
      });
      return true;
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return false;
      throw err;
    }
  }

  /**
   * TokenRequest for a service account. The returned token is a credential:
   * callers must keep it out of logs, events and status.
   */
  async createToken(
    serviceAccount: string,
    namespace: string,
    opts: { audiences?: string[]; expirationSeconds?: number; signal?: AbortSignal } = {},
  ): Promise<{ token: string; expirationTimestamp: string }> {
    const what = `create token for serviceaccount ${namespace}/${serviceAccount}`;
    const spec: Record<string, unknown> = {};
    if (opts.audiences) spec.audiences = opts.audiences;
    if (opts.expirationSeconds !== undefined) spec.expirationSeconds = opts.expirationSeconds;
    const res = await this.request<{ status?: { token?: string; expirationTimestamp?: string } }>(
      'POST',
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/serviceaccounts/${encodeURIComponent(serviceAccount)}/token`,
      { what, signal: opts.signal, body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec } },
    );
    const token = res.status?.token;
    if (!token) throw new KubeApiError(500, 'InternalError', `${what}: the response carried no token`);
    return { token, expirationTimestamp: res.status?.expirationTimestamp ?? '' };
  }

  /**
   * Streams watch events until the server ends the watch (timeoutSeconds),
   * the connection breaks (throws KubeApiError status 0) or `signal` aborts
   * (throws the abort reason). ERROR events are yielded, not thrown: a 410
   * inside the stream is the caller's cue to relist.
   */
  async *watch(rt: ResourceType, opts: WatchOptions): AsyncGenerator<WatchEvent> {
    const what = `watch ${rt.plural}${opts.namespace ? ` in ${opts.namespace}` : ''}`;
    const res = await this.open('GET', resourcePath(rt, rt.namespaced ? opts.namespace : undefined), {
      what,
      signal: opts.signal,
      timeoutMs: 0,
      accept: opts.metadataOnly ? metadataAccept : 'application/json',
      query: {
        watch: true,
        resourceVersion: opts.resourceVersion,
        timeoutSeconds: opts.timeoutSeconds,
        allowWatchBookmarks: opts.allowBookmarks ? true : undefined,
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
      },
    });
    try {
      for await (const line of readLines(res, opts.onActivity, this.maxResponseBytes)) {
        let ev: WatchEvent;
        try {
          ev = JSON.parse(line) as WatchEvent;
        } catch {
          throw new KubeApiError(0, 'InvalidResponse', `${what}: the server sent a line that is not JSON`);
        }
        yield ev;
      }
    } catch (err) {
      if (opts.signal.aborted) throw opts.signal.reason;
      if (err instanceof KubeApiError) throw err;
      if (err instanceof LineTooLongError) {
        throw new KubeApiError(0, 'ResponseTooLarge', `${what}: one watch event is larger than ${err.limit} bytes, the response size limit; the watch was closed (raise --kube-max-response-bytes if objects are this large)`);
      }
      throw new KubeApiError(0, 'ConnectionLost', `${what}: the watch connection broke (${errorText(err)})`, { cause: err });
    } finally {
      res.destroy();
    }
  }

  // ---------------------------------------------------------------- low level

  /** Sends a request and parses the JSON response; failed statuses throw KubeApiError. */
  async request<T = unknown>(method: string, apiPath: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.open(method, apiPath, opts);
    const what = opts.what ?? `${method} ${apiPath}`;
    let text: string;
    try {
      text = await readBody(res, this.maxResponseBytes, what);
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      if (err instanceof KubeApiError) throw err;
      throw new KubeApiError(0, 'ConnectionLost', `${what}: reading the response failed (${errorText(err)})`, { cause: err });
    }
    const body = parseJson(text);
    if (body === undefined && text.trim() !== '') {
      throw new KubeApiError(res.statusCode ?? 0, 'InvalidResponse', `${what}: the server sent a response that is not JSON`);
    }
    return body as T;
  }

  /**
   * Opens a request and resolves with a 2xx response whose body is not yet
   * read. Non-2xx responses are read and thrown as KubeApiError. The timeout
   * covers the whole exchange including the body (it stays armed until the
   * response ends), except with timeoutMs 0.
   */
  private async open(method: string, apiPath: string, opts: RequestOptions): Promise<http.IncomingMessage> {
    const what = opts.what ?? `${method} ${apiPath}`;
    const signal = opts.signal;
    if (signal?.aborted) throw signal.reason;
    const url = new URL(this.server + apiPath);
    for (const [k, v] of Object.entries(opts.query ?? {})) {
      if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    }
    const headers: Record<string, string> = {
      Accept: opts.accept ?? 'application/json',
      'User-Agent': this.userAgent,
    };
    if (this.authHeaders) Object.assign(headers, await this.authHeaders());
    let payload: Buffer | undefined;
    if (opts.body !== undefined) {
      payload = Buffer.from(JSON.stringify(opts.body));
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      headers['Content-Length'] = String(payload.length);
    }

    const timeoutMs = opts.timeoutMs ?? this.requestTimeoutMs;
    return new Promise<http.IncomingMessage>((resolve, reject) => {
      // The signal may have fired while we awaited the auth headers.
      if (signal?.aborted) {
        reject(signal.reason as Error);
        return;
      }
      let settled = false;
      let timedOut = false;
      let timer: NodeJS.Timeout | undefined;
      const req = this.transport.request(url, { method, headers, agent: this.agent });
      const onAbort = (): void => {
        req.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      const cleanup = (): void => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const fail = (err: unknown): void => {
        cleanup();
        if (settled) return;
        settled = true;
        if (signal?.aborted) reject(signal.reason as Error);
        else if (timedOut) reject(new KubeApiError(0, 'Timeout', `${what}: no response within ${timeoutMs} ms`, { cause: err }));
        else if (err instanceof KubeApiError) reject(err);
        else reject(new KubeApiError(0, 'ConnectionFailed', `${what}: ${errorText(err)}`, { cause: err }));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          timedOut = true;
          req.destroy(new Error('timeout'));
        }, timeoutMs);
      }
      req.on('error', fail);
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          settled = true;
          // Keep the timeout and abort listener until the body is consumed.
          res.once('close', cleanup);
          res.once('error', () => undefined);
          resolve(res);
          return;
        }
        readBody(res, this.maxResponseBytes, what).then(
          (text) => {
            const retryAfter = res.headers['retry-after'];
            fail(errorFromResponse(what, status, parseJson(text), typeof retryAfter === 'string' ? retryAfter : undefined));
          },
          (err: unknown) => fail(err),
        );
      });
      if (payload) req.end(payload);
      else req.end();
    });
  }

  private ns(rt: ResourceType, namespace: string | undefined, what: string): string | undefined {
    if (!rt.namespaced) return undefined;
    if (!namespace) throw new InvalidSpecError(`${what}: a namespace is required for ${rt.plural}`);
    return namespace;
  }

  private async put<T extends KubeObject>(
    rt: ResourceType,
    obj: T,
    subresource: 'status' | undefined,
    opts: WriteOptions,
  ): Promise<T> {
    const { name, namespace } = obj.metadata;
    const what = `${subresource ? 'update status of' : 'replace'} ${rt.plural} ${describeName(rt, name, namespace)}`;
    if (!name) throw new InvalidSpecError(`${what}: metadata.name is required`);
    return this.request<T>('PUT', resourcePath(rt, this.ns(rt, namespace, what), name, subresource), {
      what,
      signal: opts.signal,
      body: withTypeMeta(rt, obj),
      query: writeQuery(opts),
    });
  }

}

/** Turns a watch ERROR event into the error it stands for. */
export function watchErrorToException(what: string, object: KubeStatus): KubeApiError {
  return errorFromStatus(what, object);
}

function writeQuery(opts: WriteOptions): Query {
  return { fieldManager: opts.fieldManager, dryRun: opts.dryRun ? 'All' : undefined };
}

function withTypeMeta<T extends KubeObject>(rt: ResourceType, obj: T): T {
  if (obj.apiVersion && obj.kind) return obj;
  return { ...obj, apiVersion: obj.apiVersion ?? apiVersionOf(rt), kind: obj.kind ?? rt.kind };
}

function describeName(rt: ResourceType, name: string, namespace: string | undefined): string {
  return rt.namespaced && namespace ? `${namespace}/${name}` : name;
}

/** The body as text; past `limit` bytes the response is destroyed and a ResponseTooLarge error returned (nothing more is buffered). */
function readBody(res: http.IncomingMessage, limit: number, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    res.on('data', (c: Buffer) => {
      received += c.length;
      if (received > limit) {
        reject(new KubeApiError(0, 'ResponseTooLarge', `${what}: the response is larger than ${limit} bytes, the response size limit; the request was aborted (raise --kube-max-response-bytes if lists are this large)`));
        res.destroy();
        return;
      }
      chunks.push(c);
    });
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
    res.on('aborted', () => reject(new Error('response aborted')));
  });
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

function bufferFrom(file: string | undefined, data: string | undefined): Buffer | undefined {
  if (file) {
    // Read synchronously once at construction, like client-node does.
    return readFileSyncSafe(file);
  }
  if (data) return Buffer.from(data, 'base64');
  return undefined;
}

function readFileSyncSafe(file: string): Buffer {
  try {
    return fsReadFileSync(file);
  } catch (err) {
    throw new InvalidConfigError(`cannot read ${file} named in the kubeconfig: ${errorText(err)}`, { cause: err });
  }
}

function readNamespaceFile(): string | undefined {
  try {
    return fsReadFileSync(path.join(path.dirname(inClusterTokenPath), 'namespace')).toString('utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
