/**
 * ESO's kubernetes provider read semantics: Secrets of `remoteNamespace` in a
 * (possibly remote) cluster, read with the store's own credentials.
 */
import { AccessDeniedError, AuthError, HushError, InternalError, InvalidConfigError, InvalidDataError, NotFoundError, NotSupportedError, PropertyNotFoundError, ThrottledError, TimeoutError, UnavailableError } from '../../util/errors.ts';
import type { ChangeFeed, FindSpec, Projection, RawRef, RawSecret, RemoteRef, StoreClient, ValidationResult } from '../types.ts';
import { rawSecret } from '../../read/rawref.ts';
import { gjsonGet, gjsonString } from '../util/gjson.ts';
import { goMarshal, goQuote, goStringFromBytes, isJsonObject, JsonNumber, objectFromEntries, parseJson, type JsonValue } from '../util/gojson.ts';
import { HttpTransportError, type HttpClient, type HttpResponse } from '../util/http.ts';
import { redactStoreText } from '../../util/redact.ts';
import { compileGoRegexp, type GoRegexp } from '../../util/goregexp.ts';
import { isObj } from '../util/spec.ts';
import type { Connection } from './auth.ts';

const utf8 = new TextEncoder();

/**
 * The watch asks for metadata only (PartialObjectMetadata, Kubernetes 1.15+): the events carry
 * the name and resourceVersion, never a Secret's data. A server that cannot serve it answers
 * full objects (the plain type is the fallback) and those are parsed for the same two fields.
 */
const META_LIST = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1, application/json';
const META_WATCH = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1, application/json';
/** The server ends each watch after this long (as client-go does); the feed goes on from the last resourceVersion seen. */
const WATCH_SECONDS = 300;

interface KubeSecret {
  name: string;
  /** Read-only once the Secret is a payload: projections hand out copies, never this Map or its arrays. */
  data: Map<string, Uint8Array>;
  labels: Record<string, string> | null;
  annotations: Record<string, string> | null;
}

/** ESO's esutils.JSONMarshal: json.Marshal without HTML escaping. */
function jsonMarshal(v: JsonValue): string {
  return goMarshal(v, { escapeHTML: false });
}

function stringMap(m: Record<string, string> | null): JsonValue {
  return m === null ? null : objectFromEntries(Object.entries(m));
}

/** The JSON ESO gives for a whole Secret: its data as a string map. */
function dataJson(data: Map<string, Uint8Array>): string {
  return jsonMarshal(objectFromEntries([...data].map(([k, v]) => [k, goStringFromBytes(v)])));
}

export class KubernetesStoreClient implements StoreClient {
  readonly projection: Projection = kubernetesProjection;
  private readonly http: HttpClient;
  private readonly conn: Connection;
  private readonly namespace: string;
  private readonly recordCall: (call: string, status: 'success' | 'error') => void;
  private readonly referentUnresolved: boolean;
  /** Stops of the feeds still running, so that close() ends their watches. */
  private readonly feeds = new Set<() => void>();
  private readonly watchSeconds: number;

  /**
   * Push only: a WATCH on the namespace's Secrets tells of each change as it happens, so a
   * poll (one GET per Secret, as costly as the read) would gain nothing.
   */
  readonly changes: ChangeFeed = { subscribe: (handlers) => this.subscribe(handlers) };

  constructor(opts: {
    http: HttpClient;
    conn: Connection;
    remoteNamespace: string;
    recordCall: (call: string, status: 'success' | 'error') => void;
    referentUnresolved: boolean;
    /** How long the server keeps one watch open (tests shorten it to see the feed go on). */
    watchSeconds?: number;
  }) {
    this.watchSeconds = opts.watchSeconds ?? WATCH_SECONDS;
    this.http = opts.http;
    this.conn = opts.conn;
    this.namespace = opts.remoteNamespace;
    this.recordCall = opts.recordCall;
    this.referentUnresolved = opts.referentUnresolved;
  }

  async read(ref: RawRef, signal: AbortSignal): Promise<RawSecret> {
    // One GET serves both policies: Fetch projects the Secret's labels and annotations.
    const { secret, resourceVersion } = await this.readSecret(ref.key, signal);
    return rawSecret(secret, resourceVersion);
  }

  async findSecrets(find: FindSpec, signal: AbortSignal): Promise<Map<string, Uint8Array>> {
    // ESO: tags (a label selector) take precedence over name; path is not used.
    let selector: string | undefined;
    let matcher: GoRegexp | undefined;
    if (find.tags) {
      selector = Object.entries(find.tags)
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
    } else if (find.name) {
      matcher = compileGoRegexp(find.name.regexp, { field: 'find.name.regexp' });
    } else {
      throw new NotSupportedError('kubernetes: find needs name.regexp or tags');
    }
    const items = await this.listSecrets(selector, signal);
    const out = new Map<string, Uint8Array>();
    for (const s of items) {
      if (matcher && !matcher.matchString(s.name)) continue;
      out.set(s.name, utf8.encode(dataJson(s.data)));
    }
    return out;
  }

  async validate(signal: AbortSignal): Promise<ValidationResult> {
    if (this.referentUnresolved) {
      return { state: 'Unknown', message: 'credentials are read from the namespace of each ExternalSecret (referent auth); nothing to check yet' };
    }
    try {
      const rules = await this.api('POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', 'CreateSelfSubjectRulesReview', signal, {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectRulesReview',
        spec: { namespace: this.namespace },
      });
      if (rulesAllowGetSecrets(rules)) return { state: 'Ready', message: 'store validated' };
      const review = await this.api('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', 'CreateSelfSubjectAccessReview', signal, {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: { resourceAttributes: { resource: 'secrets', namespace: this.namespace, verb: 'get' } },
      });
      const status = isJsonObject(review) ? review.status : undefined;
      if (isJsonObject(status) && status.allowed === true) return { state: 'Ready', message: 'store validated' };
      const e = new AccessDeniedError(`kubernetes: client is not allowed to get secrets in namespace ${goQuote(this.namespace)}`);
      return { state: 'Error', message: e.message, error: e };
    } catch (err) {
      const e = err instanceof HushError ? err : new InternalError('kubernetes: validation failed', { cause: err });
      return { state: 'Error', message: `could not verify if client is valid: ${e.message}`, error: e };
    }
  }

  close(): Promise<void> {
    for (const stop of [...this.feeds]) stop();
    this.http.close();
    return Promise.resolve();
  }

  // --- change feed ------------------------------------------------------------

  /**
   * Lists the namespace's Secrets (metadata, one item) for the collection's resourceVersion,
   * then watches from it: every write after the list arrives as an event. A watch the server
   * ends in due course is opened again from the last resourceVersion seen (no gap); an expired
   * resourceVersion (410 Gone), an error answer or a broken connection end the feed with
   * onError. Changes made before the list completes are not reported: the subscriber reads
   * what it needs after subscribing.
   */
  private subscribe(handlers: { onChange(keys: string[]): void; onError(err: Error): void }): () => void {
    const ctl = new AbortController();
    let stopped = false;
    const stop = (): void => {
      stopped = true;
      this.feeds.delete(stop);
      ctl.abort();
    };
    this.feeds.add(stop);
    const run = async (): Promise<void> => {
      const list = await this.api('GET', `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/secrets?limit=1`, 'ListSecrets', ctl.signal, undefined, META_LIST);
      const listed = resourceVersionOf(isJsonObject(list) ? list.metadata : undefined);
      if (listed === undefined) throw new InvalidDataError(`kubernetes: list secrets in namespace ${goQuote(this.namespace)}: the answer has no resourceVersion`);
      let rv = listed;
      for (;;) {
        const opened = Date.now();
        await this.watchOnce(rv, ctl.signal, (next, name) => {
          rv = next;
          if (name !== undefined && !stopped) handlers.onChange([name]);
        });
        if (stopped) return;
        // The server's timeout is minutes: an end within a second is a server that will not watch.
        if (Date.now() - opened < 1000) throw new UnavailableError(`kubernetes: watch secrets in namespace ${goQuote(this.namespace)}: the server ended the watch at once`);
      }
    };
    run().then(
      () => undefined,
      (err: unknown) => {
        if (stopped) return;
        stop();
        handlers.onError(err instanceof Error ? err : new InternalError('kubernetes: watch failed', { cause: err }));
      },
    );
    return stop;
  }

  /** One WATCH from `rv` until the server ends it; `onEvent` gets each new resourceVersion and, for a change, the Secret's name. */
  private async watchOnce(rv: string, signal: AbortSignal, onEvent: (rv: string, name: string | undefined) => void): Promise<void> {
    const action = `watch secrets in namespace ${goQuote(this.namespace)}`;
    const q = new URLSearchParams({ watch: 'true', resourceVersion: rv, allowWatchBookmarks: 'true', timeoutSeconds: String(this.watchSeconds) });
    const path = `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/secrets?${q.toString()}`;
    const onLine = (line: Buffer): void => {
      let ev: JsonValue;
      try {
        ev = parseJson(line.toString('utf8'));
      } catch {
        // Never the line itself: from a server that ignored the metadata-only type it holds values.
        throw new InvalidDataError(`kubernetes: ${action}: an event is not JSON`);
      }
      const type = isJsonObject(ev) ? ev.type : undefined;
      const object = isJsonObject(ev) ? ev.object : undefined;
      const meta = isJsonObject(object) ? object.metadata : undefined;
      if (type === 'ERROR') {
        const code = isJsonObject(object) ? object.code : undefined;
        const reason = isJsonObject(object) && typeof object.message === 'string' ? redactStoreText(object.message, this.conn.secrets) : 'no message';
        // 410: the resourceVersion fell out of the server's watch window; only a new list can go on.
        if (code instanceof JsonNumber && code.literal === '410') throw new UnavailableError(`kubernetes: ${action}: resourceVersion ${rv} expired (410 Gone): ${reason}`);
        throw new UnavailableError(`kubernetes: ${action}: the server sent an error: ${reason}`);
      }
      const next = resourceVersionOf(meta) ?? rv;
      if (type === 'BOOKMARK') return onEvent(next, undefined);
      if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') {
        const name = isJsonObject(meta) && typeof meta.name === 'string' ? meta.name : undefined;
        if (name === undefined) throw new InvalidDataError(`kubernetes: ${action}: an event names no Secret`);
        return onEvent(next, name);
      }
      throw new InvalidDataError(`kubernetes: ${action}: unknown event type`);
    };
    for (let attempt = 0; ; attempt++) {
      const token = this.conn.bearer ? await this.conn.bearer(attempt > 0) : undefined;
      let res: HttpResponse;
      try {
        res = await this.http.stream({
          method: 'GET',
          path,
          signal,
          headers: { authorization: token ? `Bearer ${token}` : undefined, accept: META_WATCH },
          // One event is at most one Secret: the client's answer limit applies to each.
          maxLineBytes: this.http.maxResponseBytes,
          // Silent (no event, no bookmark, no end) well past the server's own timeout: a dead connection.
          idleTimeoutMs: (this.watchSeconds + 60) * 1000,
          onOpen: () => this.recordCall('WatchSecrets', 'success'),
          onLine,
        });
      } catch (err) {
        if (signal.aborted) return;
        this.recordCall('WatchSecrets', 'error');
        throw this.transportError(err, action);
      }
      if (res.status >= 200 && res.status < 300) return;
      if (res.status === 401 && attempt === 0 && this.conn.bearer) continue;
      this.recordCall('WatchSecrets', 'error');
      // 410 Gone as the answer itself: the resourceVersion is already too old to watch from.
      if (res.status === 410) throw new UnavailableError(`kubernetes: ${action}: resourceVersion ${rv} expired (410 Gone)`);
      throw this.statusError(res, action);
    }
  }

  // --- API --------------------------------------------------------------------

  /** One Secret, frozen (it becomes a shared payload), and its resourceVersion: the API server's change marker. */
  private async readSecret(name: string, signal: AbortSignal): Promise<{ secret: KubeSecret; resourceVersion?: string }> {
    if (name === '' || name.includes('/')) throw new InvalidConfigError(`kubernetes: ${goQuote(name)} is not a valid Secret name`);
    const body = await this.api('GET', `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/secrets/${encodeURIComponent(name)}`, 'GetSecret', signal);
    const secret = toSecret(body);
    if (secret.labels) Object.freeze(secret.labels);
    if (secret.annotations) Object.freeze(secret.annotations);
    Object.freeze(secret);
    const meta = isJsonObject(body) ? body.metadata : undefined;
    const rv = isJsonObject(meta) ? meta.resourceVersion : undefined;
    return typeof rv === 'string' && rv !== '' ? { secret, resourceVersion: rv } : { secret };
  }

  private async listSecrets(labelSelector: string | undefined, signal: AbortSignal): Promise<KubeSecret[]> {
    const out: KubeSecret[] = [];
    let cont: string | undefined;
    do {
      const q = new URLSearchParams({ limit: '500' });
      if (labelSelector) q.set('labelSelector', labelSelector);
      if (cont) q.set('continue', cont);
      const body = await this.api('GET', `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/secrets?${q.toString()}`, 'ListSecrets', signal);
      const items = isJsonObject(body) && Array.isArray(body.items) ? body.items : [];
      for (const it of items) out.push(toSecret(it));
      const meta = isJsonObject(body) ? body.metadata : undefined;
      cont = isJsonObject(meta) && typeof meta.continue === 'string' && meta.continue !== '' ? meta.continue : undefined;
    } while (cont);
    return out;
  }

  private async api(method: string, path: string, call: string, signal: AbortSignal, json?: unknown, accept = 'application/json'): Promise<JsonValue> {
    const action = describe(method, path, this.namespace);
    for (let attempt = 0; ; attempt++) {
      const token = this.conn.bearer ? await this.conn.bearer(attempt > 0) : undefined;
      let res;
      try {
        res = await this.http.request({ method, path, json, signal, headers: { authorization: token ? `Bearer ${token}` : undefined, accept } });
      } catch (err) {
        this.recordCall(call, 'error');
        throw this.transportError(err, action);
      }
      // A 401 with a token we can fetch again (rotated Secret, expired SA token): once more with a fresh one.
      if (res.status === 401 && attempt === 0 && this.conn.bearer) continue;
      const ok = res.status >= 200 && res.status < 300;
      this.recordCall(call, ok ? 'success' : 'error');
      if (!ok) throw this.statusError(res, action);
      try {
        return parseJson(res.body.toString('utf8'));
      } catch {
        return null;
      }
    }
  }

  /** The HushError for a non-2xx answer, with the API server's own message (credentials cut out). */
  private statusError(res: HttpResponse, action: string): HushError {
    let body: JsonValue | undefined;
    try {
      body = parseJson(res.body.toString('utf8'));
    } catch {
      body = undefined;
    }
    const reason = redactStoreText(isJsonObject(body) && typeof body.message === 'string' ? body.message : `HTTP ${res.status}`, this.conn.secrets);
    const msg = `kubernetes: ${action}: ${reason} (${res.status})`;
    if (res.status === 404) return new NotFoundError(msg);
    if (res.status === 401) return new AuthError(msg);
    if (res.status === 403) return new AccessDeniedError(msg);
    if (res.status === 429) {
      const ra = Number(res.headers['retry-after']);
      return new ThrottledError(msg, Number.isFinite(ra) && ra > 0 ? { retryAfterMs: ra * 1000 } : {});
    }
    if (res.status >= 500) return new UnavailableError(msg);
    return new InvalidConfigError(msg);
  }

  private transportError(err: unknown, action: string): HushError {
    // The HTTP layer's own refusals (egress policy, answer size) are HushErrors already.
    if (err instanceof HushError) return err.withContext(`kubernetes: ${action}`);
    if (!(err instanceof HttpTransportError)) return new InternalError(`kubernetes: ${action}: unexpected error`, { cause: err });
    const msg = `kubernetes: ${action}: ${redactStoreText(err.message, this.conn.secrets)}`;
    if (err.kind === 'timeout' || err.kind === 'aborted') return new TimeoutError(msg);
    if (err.kind === 'tls') return new InvalidConfigError(`${msg} (check server.url, caBundle/caProvider)`);
    return new UnavailableError(msg);
  }
}

function describe(method: string, path: string, namespace: string): string {
  const m = /\/secrets\/([^/?]+)$/.exec(path);
  if (m) return `get secret ${goQuote(decodeURIComponent(m[1] as string))} in namespace ${goQuote(namespace)}`;
  if (path.includes('/secrets?')) return `list secrets in namespace ${goQuote(namespace)}`;
  return `${method} ${path.split('?')[0] as string}`;
}

function resourceVersionOf(meta: JsonValue | undefined): string | undefined {
  const rv = isJsonObject(meta) ? meta.resourceVersion : undefined;
  return typeof rv === 'string' && rv !== '' ? rv : undefined;
}

function toSecret(body: JsonValue | undefined): KubeSecret {
  if (!isJsonObject(body)) throw new InvalidDataError('kubernetes: the API answer is not a Secret');
  const meta = isJsonObject(body.metadata) ? body.metadata : {};
  const data = new Map<string, Uint8Array>();
  if (isJsonObject(body.data)) for (const [k, v] of Object.entries(body.data)) if (typeof v === 'string') data.set(k, Buffer.from(v, 'base64'));
  const strMap = (v: JsonValue | undefined): Record<string, string> | null =>
    isJsonObject(v) ? Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string')) : null;
  return { name: typeof meta.name === 'string' ? meta.name : '', data, labels: strMap(meta.labels), annotations: strMap(meta.annotations) };
}

/** ESO's getFromSecretData: an exact key (file.png) first, else `<key>.<gjson path>` into that key's JSON. */
function fromData(s: KubeSecret, property: string): Uint8Array | undefined {
  const exact = s.data.get(property);
  if (exact) return exact;
  const idx = property.indexOf('.');
  if (idx <= 0 || idx === property.length - 1) return undefined;
  const v = s.data.get(property.slice(0, idx));
  if (!v) return undefined;
  const r = gjsonGet(goStringFromBytes(v), property.slice(idx + 1));
  return r ? utf8.encode(gjsonString(r)) : undefined;
}

/** ESO's getFromSecretMetadata: `labels`, `labels.<name>`, or `labels.<name>.<path>` (ESO joins the path's parts without dots). */
function fromMetadata(s: KubeSecret, property: string): Uint8Array | undefined {
  const parts = property.split('.');
  const m = parts[0] === 'labels' ? s.labels : parts[0] === 'annotations' ? s.annotations : undefined;
  if (m === undefined) return undefined;
  if (parts.length === 1) return utf8.encode(jsonMarshal(stringMap(m)));
  const v = m === null || !Object.hasOwn(m, parts[1] as string) ? undefined : m[parts[1] as string];
  if (v === undefined) return undefined;
  if (parts.length === 2) return utf8.encode(v);
  const r = gjsonGet(v, parts.slice(2).join(''));
  return r ? utf8.encode(gjsonString(r)) : undefined;
}

/**
 * ESO's getPropertyMap: the property is looked up (dots first escaped, then as
 * a gjson path) in the JSON of the data map — where Go writes the bytes as
 * base64 — and the found value is base64-decoded and parsed as an object whose
 * values are re-marshalled as JSON (so strings keep their quotes).
 */
function propertyMap(key: string, property: string, base: Map<string, Uint8Array>): Map<string, Uint8Array> {
  const json = jsonMarshal(objectFromEntries([...base].map(([k, v]) => [k, Buffer.from(v).toString('base64')])));
  const attempt = (path: string): Map<string, Uint8Array> | undefined => {
    const r = gjsonGet(json, path);
    if (!r) return undefined;
    const decoded = Buffer.from(gjsonString(r), 'base64').toString('utf8');
    let obj: JsonValue;
    try {
      obj = parseJson(decoded);
    } catch {
      throw new InvalidDataError('failed to unmarshal secret: invalid JSON format');
    }
    const out = new Map<string, Uint8Array>();
    if (obj === null) return out;
    if (!isJsonObject(obj)) throw new InvalidDataError('failed to unmarshal secret: invalid JSON format');
    for (const [k, v] of Object.entries(obj)) out.set(k, utf8.encode(goMarshal(v, { escapeHTML: false, numbers: 'float64' })));
    return out;
  };
  const found = (property.includes('.') ? attempt(property.replaceAll('.', '\\.')) : undefined) ?? attempt(property);
  if (!found) throw new PropertyNotFoundError(`property ${property} does not exist in key ${key}`);
  return found;
}

/** The Secret a read fetched; anything else means the payload came from another client. */
function kubeSecret(raw: RawSecret): KubeSecret {
  const s = raw.payload as KubeSecret | undefined;
  if (s === undefined || !(s.data instanceof Map)) throw new InternalError('kubernetes: projection given a payload this client did not read');
  return s;
}

/** ESO's kubernetes GetSecret/GetSecretMap, applied to the Secret read() fetched. */
export const kubernetesProjection: Projection = {
  value(raw: RawSecret, ref: RemoteRef): Uint8Array {
    const s = kubeSecret(raw);
    if (!ref.property) {
      if (ref.metadataPolicy === 'Fetch') {
        return utf8.encode(jsonMarshal(objectFromEntries([['labels', stringMap(s.labels)], ['annotations', stringMap(s.annotations)]])));
      }
      return utf8.encode(dataJson(s.data));
    }
    if (ref.metadataPolicy === 'Fetch') {
      const v = fromMetadata(s, ref.property);
      if (v === undefined) throw new PropertyNotFoundError(`property ${ref.property} does not exist in metadata of secret ${goQuote(ref.key)}`);
      return v;
    }
    const v = fromData(s, ref.property);
    if (v === undefined) throw new PropertyNotFoundError(`property ${ref.property} does not exist in data of secret ${goQuote(ref.key)}`);
    // A copy (not Buffer#slice, which shares memory): the payload's bytes are shared with every other reader of this Secret.
    return new Uint8Array(v);
  },
  map(raw: RawSecret, ref: RemoteRef): Map<string, Uint8Array> {
    const s = kubeSecret(raw);
    const base =
      ref.metadataPolicy === 'Fetch'
        ? new Map<string, Uint8Array>([
            ['labels', utf8.encode(jsonMarshal(stringMap(s.labels)))],
            ['annotations', utf8.encode(jsonMarshal(stringMap(s.annotations)))],
          ])
        : s.data;
    if (!ref.property) return new Map([...base].map(([k, v]) => [k, new Uint8Array(v)]));
    return propertyMap(ref.key, ref.property, base);
  },
};

function rulesAllowGetSecrets(body: JsonValue): boolean {
  const status = isJsonObject(body) ? body.status : undefined;
  const rules = isJsonObject(status) && Array.isArray(status.resourceRules) ? status.resourceRules : [];
  const has = (list: unknown, ...values: string[]): boolean => Array.isArray(list) && list.some((x) => values.includes(x as string));
  return rules.some(
    (r) =>
      isObj(r) &&
      has(r.resources, 'secrets', '*') &&
      has(r.verbs, 'get', '*') &&
      (!Array.isArray(r.apiGroups) || r.apiGroups.length === 0 || has(r.apiGroups, '', '*')),
  );
}
