/**
 * One Vault StoreClient per (Cluster)SecretStore: holds the HTTP connection
 * pool and the token session, and implements ESO's read semantics (§7).
 */
import { HushError, InternalError, InvalidConfigError, InvalidDataError, NotFoundError, NotSupportedError } from '../../util/errors.ts';
import type { ChangeFeed, FindSpec, Projection, RawRef, RawSecret, RemoteRef, StoreClient, ValidationResult } from '../types.ts';
import { rawSecret } from '../../read/rawref.ts';
import { getOwn, goQuote, isJsonObject, JsonNumber, objectFromEntries, type JsonObject, type JsonValue } from '../util/gojson.ts';
import type { HttpClient } from '../util/http.ts';
import { compileGoRegexp } from '../../util/goregexp.ts';
import { VaultStatusError, type VaultApi, type VaultRequest } from './api.ts';
import { dataPath, metadataPath, type PathConfig } from './paths.ts';
import type { TokenSession } from './session.ts';
import type { VaultSpec } from './spec.ts';
import { secretMap, secretValue } from './values.ts';
import { forEachLimited } from '../../util/fanout.ts';
import type { AuditHub } from './audit/hub.ts';

const systemMetadataKeys = ['created_time', 'current_version', 'delete_version_after'];
const FIND_CONCURRENCY = 4;
/**
 * A version whose deletion_time is this close ahead counts as deleted already: Vault compares
 * deletion_time with its own clock, and ours may run behind. (delete_version_after puts a
 * future deletion_time on every version; until then the version reads as usual.)
 */
const DELETION_SKEW_MS = 60_000;

export interface VaultClientParts {
  spec: VaultSpec;
  http: HttpClient;
  api: VaultApi;
  session: TokenSession;
  recordCall(call: string, status: 'success' | 'error'): void;
  /** Aborted when the store goes away; logins use it so one cancelled read cannot fail everyone's login. */
  storeSignal: AbortSignal;
  /** Set when the store's credentials depend on an ExternalSecret namespace not known here. */
  referentUnresolved: boolean;
  /** The controller's audit-device feed (--vault-audit-listen-addr); without it the store is polled only. */
  auditFeed?: AuditHub | undefined;
}

export class VaultStoreClient implements StoreClient {
  readonly projection: Projection = vaultProjection;
  private readonly p: VaultClientParts;
  private readonly paths: PathConfig;
  private closed = false;
  /**
   * Poll, KV v2 only: each key's metadata (Vault has no batch read, so one GET per ref); KV v1
   * keeps neither versions nor an update time, so a change is told only by reading the value.
   * Push, when the provider has the audit-socket hub (docs/vault-audit-socket.md).
   */
  readonly changes?: ChangeFeed;

  constructor(parts: VaultClientParts) {
    this.p = parts;
    this.paths = { mount: parts.spec.path, version: parts.spec.version };
    const poll: ChangeFeed['poll'] =
      this.paths.version === 'v2'
        ? {
            maxSize: 1,
            markers: async (refs, signal) => {
              const out: (string | undefined)[] = [];
              for (const ref of refs) out.push(await this.marker(ref, signal));
              return out;
            },
          }
        : undefined;
    const hub = parts.auditFeed;
    // Reads go to spec.namespace (the auth namespace only matters for logging in), so that is the one to watch.
    const scope = { namespace: parts.spec.namespace ?? '', mount: parts.spec.path, version: parts.spec.version };
    const subscribe: ChangeFeed['subscribe'] = hub ? (handlers) => hub.subscribe(scope, handlers) : undefined;
    if (poll || subscribe) this.changes = { ...(poll ? { poll } : {}), ...(subscribe ? { subscribe } : {}) };
  }

  async read(ref: RawRef, signal: AbortSignal): Promise<RawSecret> {
    if (ref.metadataPolicy === 'Fetch') {
      const { meta, updated } = await this.readMetadataMap(ref.key, signal);
      // Fetch serves custom_metadata, which can change without a new data version
      // (current_version stays), but every metadata write moves updated_time.
      return rawSecret(freezePayload({ kind: 'metadata', object: meta }), updated);
    }
    const { data, version } = await this.readData(ref.key, ref.version, signal);
    return rawSecret(freezePayload({ kind: 'data', object: data }), version);
  }

  async findSecrets(find: FindSpec, signal: AbortSignal): Promise<Map<string, Uint8Array>> {
    const hasTags = find.tags !== undefined;
    if (this.paths.version === 'v1' && hasTags) throw new NotSupportedError('cannot perform find by tag operations with kv version v1');
    const matcher = find.name ? compileGoRegexp(find.name.regexp, { field: 'find.name.regexp' }) : undefined;
    const candidates = await this.listRecursive(find.path !== undefined ? find.path + '/' : '', signal);
    const out = new Map<string, Uint8Array>();
    await forEachLimited(candidates, FIND_CONCURRENCY, async (name) => {
      if (matcher) {
        // Unanchored, like Go's MatchString; tags are ignored when a name is given (as in ESO).
        if (!matcher.matchString(name)) return;
      } else if (find.tags) {
        const { meta } = await this.readMetadataMap(name, signal);
        for (const [k, v] of Object.entries(find.tags)) if (getOwn(meta, k) !== v) return;
      }
      try {
        const ref = { key: name };
        out.set(name, this.projection.value(await this.read(ref, signal), ref));
      } catch (err) {
        if (err instanceof HushError && err.code === 'NotFound') return; // deleted or destroyed latest version
        throw err;
      }
    }, { signal });
    return out;
  }

  async validate(signal: AbortSignal): Promise<ValidationResult> {
    if (this.p.referentUnresolved) {
      return { state: 'Unknown', message: 'credentials are read from the namespace of each ExternalSecret (referent auth); nothing to check yet' };
    }
    try {
      const token = await this.p.session.token(this.p.storeSignal);
      await this.p.session.lookupSelf(token, signal);
    } catch (err) {
      const e = err instanceof HushError ? err : this.p.api.toHushError(err, 'validate');
      return { state: 'Error', message: `invalid vault credentials: ${e.message}`, error: e };
    }
    const mountProblem = await this.checkMount(signal);
    if (mountProblem) return { state: 'Error', message: mountProblem, error: new InvalidConfigError(mountProblem) };
    return { state: 'Ready', message: 'store validated' };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.p.session.revoke(AbortSignal.timeout(2000));
    } finally {
      this.p.http.close();
    }
  }

  // --- change markers --------------------------------------------------------

  /**
   * What read(ref).version would be now, from the key's metadata (which holds no values):
   * for a Fetch ref its updated_time; else the number of the version the read would answer,
   * the current one or the pinned one, if that version is readable. Undefined when the read
   * would fail (no such key or version, deleted, destroyed) or the answer is not understood:
   * the read then decides. Store failures throw.
   */
  private async marker(ref: RawRef, signal: AbortSignal): Promise<string | undefined> {
    let path: string;
    try {
      // The same metadata path read() uses for Fetch; for values, the metadata of the data path read() GETs.
      path = ref.metadataPolicy === 'Fetch' ? metadataPath(ref.key, this.paths) : metadataPath(dataPath(ref.key, this.paths), this.paths);
    } catch {
      return undefined; // a key read() refuses too
    }
    const a = await this.call({ method: 'GET', path, signal }, `read ${path}`, 'ReadSecretMetadata');
    const data = isJsonObject(a.body) ? getOwn(a.body, 'data') : undefined;
    if (a.status === 404 || !isJsonObject(data)) return undefined;
    if (ref.metadataPolicy === 'Fetch') {
      const updated = getOwn(data, 'updated_time');
      return typeof updated === 'string' && updated !== '' ? updated : undefined;
    }
    let target: string;
    if (ref.version) {
      // Only a plain version number is sure to come back as itself (Vault reads "0" as the current one).
      if (!/^[1-9][0-9]*$/.test(ref.version)) return undefined;
      target = ref.version;
    } else {
      const current = getOwn(data, 'current_version');
      if (!(current instanceof JsonNumber)) return undefined;
      target = current.literal;
    }
    const versions = getOwn(data, 'versions');
    const v = isJsonObject(versions) ? getOwn(versions, target) : undefined;
    if (!isJsonObject(v)) return undefined; // never written, or pruned by max_versions
    if (getOwn(v, 'destroyed') !== false) return undefined;
    const deletion = getOwn(v, 'deletion_time');
    if (deletion !== '') {
      const at = typeof deletion === 'string' ? Date.parse(deletion) : NaN;
      if (!Number.isFinite(at) || at <= Date.now() + DELETION_SKEW_MS) return undefined;
    }
    return versionMarker(target, getOwn(v, 'created_time'));
  }

  // --- reads -----------------------------------------------------------------

  /**
   * Sends a request with the session's token. On a 403 it asks Vault whether
   * the token itself is still good: if not, it logs in once and retries; if it
   * is, the 403 is a policy answer and is returned as such (no login storm for
   * a narrow policy).
   */
  private async call(req: Omit<VaultRequest, 'token'>, action: string, metric: string): Promise<{ status: number; body: JsonValue | undefined }> {
    let token = await this.p.session.token(this.p.storeSignal);
    for (let attempt = 0; ; attempt++) {
      try {
        const a = await this.p.api.send({ ...req, token });
        this.p.recordCall(metric, 'success');
        return a;
      } catch (err) {
        this.p.recordCall(metric, 'error');
        if (attempt === 0 && err instanceof VaultStatusError && err.status === 403 && this.p.session.canRefresh) {
          if (this.p.session.superseded(token) || !(await this.p.session.isValid(token, req.signal ?? this.p.storeSignal))) {
            this.p.session.invalidate(token);
            token = await this.p.session.token(this.p.storeSignal);
            continue;
          }
        }
        throw this.p.api.toHushError(err, action);
      }
    }
  }

  /**
   * The data map of a key's version (v2: data.data; v1: data) and, on KV v2, the
   * version number Vault answered (data.metadata.version). KV v1 keeps no versions.
   */
  private async readData(key: string, version: string | undefined, signal: AbortSignal): Promise<{ data: JsonObject; version?: string }> {
    const path = dataPath(key, this.paths);
    const a = await this.call(
      { method: 'GET', path, query: version ? { version } : undefined, signal },
      `read ${path}${version ? ` (version ${version})` : ''}`,
      'ReadSecretData',
    );
    const missing = (): NotFoundError => new NotFoundError(`vault: secret ${goQuote(key)} not found at ${path}${version ? ` (version ${version})` : ''}`);
    if (a.status === 404) throw missing();
    const outer = isJsonObject(a.body) ? getOwn(a.body, 'data') : undefined;
    if (outer === undefined || outer === null) throw missing();
    if (!isJsonObject(outer)) throw new InvalidDataError(`vault: read ${path}: the answer's data is not an object`);
    if (this.paths.version === 'v1') return { data: outer };
    const inner = getOwn(outer, 'data');
    if (inner === undefined) throw new InvalidDataError(`vault: read ${path}: failed to find data field (is the mount KV v1?)`);
    if (inner === null) throw missing(); // deleted or destroyed version
    if (!isJsonObject(inner)) throw new InvalidDataError(`vault: read ${path}: failed to unmarshal JSON`);
    const meta = getOwn(outer, 'metadata');
    const v = isJsonObject(meta) ? getOwn(meta, 'version') : undefined;
    const created = isJsonObject(meta) ? getOwn(meta, 'created_time') : undefined;
    // The version number and when that version was written: a secret deleted with its metadata
    // and written again starts over at version 1, and the number alone would then say "unchanged".
    return v instanceof JsonNumber ? { data: inner, version: versionMarker(v.literal, created) } : { data: inner };
  }

  /**
   * metadataPolicy Fetch: custom_metadata plus created_time/current_version/delete_version_after,
   * as strings; and the metadata's updated_time, Vault's marker for any change to it.
   */
  private async readMetadataMap(key: string, signal: AbortSignal): Promise<{ meta: JsonObject; updated?: string }> {
    if (this.paths.version === 'v1') throw new NotSupportedError('cannot perform metadata fetch operations with kv version v1');
    const path = metadataPath(key, this.paths);
    const a = await this.call({ method: 'GET', path, signal }, `read ${path}`, 'ReadSecretData');
    const data = isJsonObject(a.body) ? getOwn(a.body, 'data') : undefined;
    if (a.status === 404 || !isJsonObject(data)) throw new NotFoundError(`vault: secret not found: no metadata for ${goQuote(key)} at ${path}`);
    const entries: [string, JsonValue][] = [];
    for (const k of systemMetadataKeys) {
      const v = getOwn(data, k);
      if (v !== undefined && v !== null) entries.push([k, goSprint(v)]);
    }
    const custom = getOwn(data, 'custom_metadata');
    if (isJsonObject(custom)) for (const [k, v] of Object.entries(custom)) entries.push([k, typeof v === 'string' ? v : goSprint(v)]);
    const updated = getOwn(data, 'updated_time');
    const meta = objectFromEntries(entries);
    return typeof updated === 'string' && updated !== '' ? { meta, updated } : { meta };
  }

  /** Every secret name under `prefix` (relative to the mount), listing sub-folders recursively. */
  private async listRecursive(prefix: string, signal: AbortSignal): Promise<string[]> {
    const path = metadataPath(prefix, this.paths);
    const a = await this.call({ method: 'LIST', path, signal }, `list ${path}`, 'ListSecrets');
    if (a.status === 404) throw new NotFoundError(`vault: nothing to list at ${path}`);
    const data = isJsonObject(a.body) ? getOwn(a.body, 'data') : undefined;
    const keys = isJsonObject(data) ? getOwn(data, 'keys') : undefined;
    if (!Array.isArray(keys)) return [];
    const out: string[] = [];
    for (const k of keys) {
      if (typeof k !== 'string') continue;
      const full = prefix + k;
      if (k.endsWith('/')) out.push(...(await this.listRecursive(full, signal)));
      else out.push(full);
    }
    return out;
  }

  /** validate(): the store's mount must exist and be KV of the configured version (ESO 2.9 checks this too). */
  private async checkMount(signal: AbortSignal): Promise<string | undefined> {
    const mount = (this.paths.mount ?? '').replace(/^\/+|\/+$/g, '');
    if (mount === '') return undefined;
    let a;
    try {
      a = await this.p.api.send({ method: 'GET', path: `sys/internal/ui/mounts/${mount}`, token: await this.p.session.token(this.p.storeSignal), signal });
    } catch {
      return undefined; // not allowed to look: ESO skips the check too
    }
    const data = isJsonObject(a.body) ? getOwn(a.body, 'data') : undefined;
    if (a.status === 404 || !isJsonObject(data)) return `vault mount path ${goQuote(mount)} was not found`;
    const type = getOwn(data, 'type');
    if (type !== 'kv') return `vault mount path ${goQuote(mount)} is not a kv secret engine, got ${goQuote(typeof type === 'string' ? type : '<missing>')}`;
    const options = getOwn(data, 'options');
    const v = isJsonObject(options) ? getOwn(options, 'version') : undefined;
    const isV2 = v === '2' || (v instanceof JsonNumber && v.literal === '2');
    if (isV2 !== (this.paths.version === 'v2')) {
      return `vault mount path ${goQuote(mount)} uses kv version ${isV2 ? 'v2' : 'v1'} but store is configured for kv version ${this.paths.version}`;
    }
    return undefined;
  }
}

/** A KV v2 version's change marker: its number and the time it was written (`3@2026-12-02T10:00:00.1Z`). */
function versionMarker(version: string, createdTime: unknown): string {
  return typeof createdTime === 'string' && createdTime !== '' ? `${version}@${createdTime}` : version;
}

/** Go's fmt %v of a JSON-decoded value (json.Number keeps its text). */
function goSprint(v: JsonValue): string {
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof JsonNumber) return v.literal;
  if (Array.isArray(v)) return '[' + v.map(goSprint).join(' ') + ']';
  return 'map[' + Object.keys(v).sort().map((k) => `${k}:${goSprint(v[k] as JsonValue)}`).join(' ') + ']';
}


/** What a read hands the projection: the data map of one version, or the Fetch metadata map. */
interface VaultPayload {
  readonly kind: 'data' | 'metadata';
  readonly object: JsonObject;
}

/** Several readers share one payload, so it is frozen all the way down: a projection that writes to it fails loudly. */
function freezePayload(p: VaultPayload): VaultPayload {
  const deep = (v: JsonValue): void => {
    if (v === null || typeof v !== 'object' || Object.isFrozen(v)) return;
    Object.freeze(v);
    if (Array.isArray(v)) v.forEach(deep);
    else if (!(v instanceof JsonNumber)) for (const k of Object.keys(v)) deep(v[k] as JsonValue);
  };
  deep(p.object);
  return Object.freeze(p);
}

function vaultPayload(raw: RawSecret): VaultPayload {
  const p = raw.payload as VaultPayload | undefined;
  if (p === undefined || (p.kind !== 'data' && p.kind !== 'metadata')) throw new InternalError('vault: projection given a payload this client did not read');
  return p;
}

/** ESO's vault GetSecret/GetSecretMap, applied to what read() fetched. */
export const vaultProjection: Projection = {
  value(raw: RawSecret, ref: RemoteRef): Uint8Array {
    const p = vaultPayload(raw);
    // ESO returns no value at all for a secret without metadata.
    if (p.kind === 'metadata' && Object.keys(p.object).length === 0) return new Uint8Array(0);
    return secretValue(p.object, ref.property);
  },
  map(raw: RawSecret, ref: RemoteRef): Map<string, Uint8Array> {
    const p = vaultPayload(raw);
    if (p.kind === 'metadata' && Object.keys(p.object).length === 0) throw new InvalidDataError(`vault: secret ${goQuote(ref.key)} has no metadata to extract`);
    // ESO's GetSecretMap runs GetSecret (property included) and splits its answer.
    return secretMap(secretValue(p.object, ref.property), ref.key);
  },
};
