/**
 * One gcpsm StoreClient per (Cluster)SecretStore: holds the gRPC channel and
 * the access token session, and implements ESO's read semantics.
 */
import { HushError, InternalError, InvalidDataError, NotFoundError, NotSupportedError } from '../../util/errors.ts';
import type { FindSpec, Projection, RawRef, RawSecret, RemoteRef, StoreClient, ValidationResult } from '../types.ts';
import { rawSecret } from '../../read/rawref.ts';
import { goQuote } from '../util/gojson.ts';
import { compileGoRegexp, type GoRegexp } from '../../util/goregexp.ts';
import { isDisabledOrDestroyed, type SecretInfo, type SecretManagerApi } from './api.ts';
import { keyOf, parentName, secretName, versionName, type NameConfig } from './names.ts';
import type { AccessTokenSession } from './session.ts';
import type { VersionSelectionPolicy } from './spec.ts';
import { metadataValue, payloadMap, propertyValue } from './values.ts';
import { forEachLimited } from '../../util/fanout.ts';

const FIND_CONCURRENCY = 4;

export interface GcpsmClientParts {
  api: SecretManagerApi;
  session: AccessTokenSession;
  names: NameConfig;
  policy: VersionSelectionPolicy;
  storeSignal: AbortSignal;
  /** Set when the store's credentials depend on an ExternalSecret namespace not known here. */
  referentUnresolved: boolean;
  onClose(): void;
}

/** What one read got: a version's payload (metadataPolicy None) or the secret's labels and annotations (Fetch). */
type GcpsmPayload = { readonly kind: 'data'; readonly data: Uint8Array } | { readonly kind: 'meta'; readonly meta: Pick<SecretInfo, 'labels' | 'annotations'> };

/** ESO's GetSecret on what a read got. */
function projectValue(raw: RawSecret, ref: RemoteRef): Uint8Array {
  const p = raw.payload as GcpsmPayload;
  if (p.kind === 'meta') return metadataValue(p.meta, ref.property, ref.key);
  // A copy: the payload is shared by every reader of the ref.
  if (ref.property === undefined || ref.property === '') return Uint8Array.from(p.data);
  return propertyValue(p.data, ref.property, ref.key);
}

const gcpsmProjection: Projection = {
  value: projectValue,
  // ESO's GetSecretMap is GetSecret's bytes split as a JSON object (metadata included).
  map: (raw, ref) => payloadMap(projectValue(raw, ref), ref.key),
};

export class GcpsmStoreClient implements StoreClient {
  private readonly p: GcpsmClientParts;
  private closed = false;
  readonly projection = gcpsmProjection;

  constructor(parts: GcpsmClientParts) {
    this.p = parts;
  }

  /**
   * A value read's version is the resource name of the version it resolved to
   * (projects/<number>/secrets/<key>/versions/<n>): versions are immutable, so a new name is a
   * new value. A metadata read's is the Secret's etag, which every update of the Secret changes.
   */
  async read(ref: RawRef, signal: AbortSignal): Promise<RawSecret> {
    if (ref.metadataPolicy === 'Fetch') {
      const meta = await this.p.api.getSecret(secretName(this.p.names, ref.key), signal).catch((err: unknown) => {
        throw this.notFoundNamed(err, ref.key);
      });
      const payload: GcpsmPayload = { kind: 'meta', meta: { labels: Object.freeze({ ...meta.labels }), annotations: Object.freeze({ ...meta.annotations }) } };
      return rawSecret(Object.freeze(payload), meta.etag);
    }
    const { name, data } = await this.payload(ref.key, ref.version, signal);
    return rawSecret(Object.freeze({ kind: 'data', data } satisfies GcpsmPayload), name);
  }

  async findSecrets(find: FindSpec, signal: AbortSignal): Promise<Map<string, Uint8Array>> {
    let filter: string | undefined;
    let matcher: GoRegexp | undefined;
    if (find.name) {
      // A name wins over tags, as in ESO.
      matcher = compileGoRegexp(find.name.regexp, { field: 'find.name.regexp' });
      if (find.path !== undefined) filter = `name:${find.path}`;
    } else if (find.tags && Object.keys(find.tags).length > 0) {
      const tags = find.tags;
      filter = Object.keys(tags)
        .sort()
        .map((k) => `labels.${k}=${tags[k]}`)
        .join(' ');
      if (find.path !== undefined) filter += ` name:${find.path}`;
    } else {
      throw new NotSupportedError('gcpsm: find needs name.regexp or tags (unexpected find operator)');
    }
    // ESO lists tag searches under the global parent even for a regional store; Hush lists where the store's secrets are.
    const listed = await this.p.api.listSecrets(parentName(this.p.names), filter, signal);
    const keys: string[] = [];
    for (const s of listed) {
      const key = keyOf(s.name);
      if (matcher) {
        if (!matcher.matchString(key)) continue;
      }
      // The filter's `name:` matches anywhere in the name; ESO keeps only keys that start with the path.
      if (find.path !== undefined && !key.startsWith(find.path)) continue;
      keys.push(key);
    }
    const out = new Map<string, Uint8Array>();
    await forEachLimited(keys, FIND_CONCURRENCY, async (key) => {
      try {
        out.set(key, (await this.payload(key, undefined, signal)).data);
      } catch (err) {
        // A listed secret without a readable version yet (created a moment before its first
        // version) is skipped: a list that worked must never read as "everything is gone".
        if (err instanceof NotFoundError) return;
        throw err;
      }
    }, { signal });
    return out;
  }

  async validate(_signal: AbortSignal): Promise<ValidationResult> {
    if (this.p.referentUnresolved) {
      return { state: 'Unknown', message: 'credentials are read from the namespace of each ExternalSecret (referent auth); nothing to check yet' };
    }
    try {
      // ESO checks nothing here; Hush at least proves the credentials still give a token.
      await this.p.session.token(this.p.storeSignal);
    } catch (err) {
      const e = err instanceof HushError ? err : new InternalError(String(err));
      return { state: 'Error', message: `invalid gcpsm credentials (${this.p.session.methodName}): ${e.message}`, error: e };
    }
    return { state: 'Ready', message: 'store validated' };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.p.onClose();
    await this.p.api.close();
  }

  /** AccessSecretVersion with ESO's secretVersionSelectionPolicy: the payload and the version's name. */
  private async payload(key: string, version: string | undefined, signal: AbortSignal): Promise<{ name: string; data: Uint8Array }> {
    const name = versionName(this.p.names, key, version || 'latest');
    let res;
    try {
      res = await this.p.api.access(name, signal);
    } catch (err) {
      if (!(this.p.policy === 'LatestOrFetch' && !version && isDisabledOrDestroyed(err))) throw this.notFoundNamed(err, key);
      res = await this.latestEnabled(key, signal).catch((e: unknown) => {
        throw this.notFoundNamed(e, key);
      });
    }
    if (!res.data || res.data.length === 0) throw new InvalidDataError(`gcpsm: invalid secret received. no secret string for key: ${key}`);
    return { name: res.name, data: res.data };
  }

  /** LatestOrFetch: the newest ENABLED version when `latest` is disabled or destroyed. */
  private async latestEnabled(key: string, signal: AbortSignal): Promise<{ name: string; data: Uint8Array | undefined }> {
    const secret = secretName(this.p.names, key);
    const versions = await this.p.api.listEnabledVersions(secret, signal);
    let best: { name: string; createdMs: number } | undefined;
    for (const v of versions) if (!best || v.createdMs > best.createdMs) best = v;
    return this.p.api.access(best?.name ?? `${secret}/versions/latest`, signal);
  }

  /** A NotFound names the key the user wrote, not only the resource name. */
  private notFoundNamed(err: unknown, key: string): unknown {
    if (err instanceof NotFoundError) return new NotFoundError(`gcpsm: secret ${goQuote(key)} not found: ${err.message.replace(/^gcpsm: /, '')}`, { cause: err });
    return err;
  }
}
