/**
 * One Azure Key Vault StoreClient per (Cluster)SecretStore: the Key Vault SDK
 * clients (secrets, keys, certificates) over one keep-alive agent, the token
 * session, and ESO's read semantics (values.ts). The SDK does the wire
 * protocol (challenge authentication, paging, retries with Retry-After); this
 * class decides what to read and how answers become values and errors.
 */
import type { Agent } from 'node:https';
import { CertificateClient } from '@azure/keyvault-certificates';
import { KeyClient } from '@azure/keyvault-keys';
import { SecretClient } from '@azure/keyvault-secrets';
import { HushError, InvalidConfigError, NotSupportedError, UnavailableError } from '../../util/errors.ts';
import type { FindSpec, Projection, RawRef, RawSecret, RemoteRef, StoreClient, ValidationResult } from '../types.ts';
import { rawSecret } from '../../read/rawref.ts';
import { goQuote } from '../util/gojson.ts';
import { compileGoRegexp } from '../../util/goregexp.ts';
import { statusOf, toHushError } from './errors.ts';
import type { TokenSession } from './session.ts';
import type { AzureKvSpec } from './spec.ts';
import {
  allMetadata,
  flattenedMetadata,
  jsonObjectMap,
  keyJson,
  metadataExtract,
  objectRef,
  propertyValue,
  tagValue,
  unknownObjectType,
  type Attributes,
} from './values.ts';
import { forEachLimited } from '../../util/fanout.ts';
import { cappedAzureHttpClient } from './http.ts';

/** Key Vault API version: 7.4 is served by every Azure cloud Hush knows and by Azure Stack Hub's newer releases. */
const SERVICE_VERSION = '7.4';
const FIND_CONCURRENCY = 4;

export interface AzureKvClientParts {
  spec: AzureKvSpec;
  session: TokenSession;
  agent: Agent;
  /** Largest answer read from the vault (--max-response-bytes). */
  maxResponseBytes?: number | undefined;
  /** True when the token's resource is fixed by the cloud (see cloud.ts), so the challenge's resource needs no check. */
  fixedResource: boolean;
  maxRetries: number;
  retryDelayMs: number;
  recordCall(call: string, status: 'success' | 'error'): void;
  /** Credentials sent so far, for redaction. */
  sent(): Iterable<string>;
  /** Set when the store's credentials depend on an ExternalSecret namespace not known here. */
  referentUnresolved: boolean;
  /** Closes what the auth side opened (token endpoint connections). */
  cleanup(): void;
}

interface Sdk {
  secrets: SecretClient;
  keys: KeyClient;
  certs: CertificateClient;
}

interface Bundle {
  tags: Record<string, string> | undefined;
  attrs: Attributes;
}

/** What one read got: a secret's value, a certificate's DER, a key's JWK, or an object's tags and attributes. */
type AzurePayload =
  | { readonly kind: 'secret'; readonly value: string }
  | { readonly kind: 'cert'; readonly cer: Uint8Array }
  | { readonly kind: 'key'; readonly jwk: Readonly<Record<string, unknown>> }
  | { readonly kind: 'meta'; readonly type: 'secret' | 'cert' | 'key'; readonly tags: Readonly<Record<string, string>> | undefined; readonly attrs: Readonly<Attributes> };

function metaPayload(type: 'secret' | 'cert' | 'key', tags: Record<string, string> | undefined, attrs: Attributes): AzurePayload {
  return Object.freeze({ kind: 'meta', type, tags: tags ? Object.freeze({ ...tags }) : undefined, attrs: Object.freeze({ ...attrs }) });
}

const utf8 = new TextDecoder();

/** ESO's GetSecret / GetSecretMap on what a read got; `useAzureSDK` picks ESO's client flavour. */
function azureProjection(useAzureSDK: boolean): Projection {
  const legacy = !useAzureSDK;
  return {
    value(raw: RawSecret, ref: RemoteRef): Uint8Array {
      const p = raw.payload as AzurePayload;
      switch (p.kind) {
        case 'meta':
          return tagValue(allMetadata(p.tags, p.attrs, legacy), ref.property);
        case 'secret':
          return propertyValue(p.value, ref.property, ref.key);
        case 'cert':
          // ESO ignores property for certificates. A copy: the payload is shared by every reader.
          return Uint8Array.from(p.cer);
        case 'key':
          return propertyValue(keyJson(p.jwk, useAzureSDK), ref.property, ref.key);
      }
    },
    map(raw: RawSecret, ref: RemoteRef): Map<string, Uint8Array> {
      const p = raw.payload as AzurePayload;
      if (p.kind === 'cert' || (p.kind === 'meta' && p.type === 'cert')) throw new NotSupportedError('cannot get use dataFrom to get certificate secret');
      if (p.kind === 'key' || (p.kind === 'meta' && p.type === 'key')) throw new NotSupportedError('cannot get use dataFrom to get key secret');
      if (p.kind === 'meta') {
        const { name } = objectRef(ref.key);
        // ESO first reads the value the way GetSecret does (so a missing tag fails here too) ...
        tagValue(allMetadata(p.tags, p.attrs, legacy), ref.property);
        // ... then flattens the tags as "<name>_<tag>" keys.
        return metadataExtract(flattenedMetadata(name, p.tags, p.attrs, legacy), ref.key, ref.property);
      }
      return jsonObjectMap(utf8.decode(propertyValue(p.value, ref.property, ref.key)), ref.key);
    },
  };
}

export class AzureKvStoreClient implements StoreClient {
  private readonly p: AzureKvClientParts;
  private readonly vault: string;
  private sdk: Sdk | undefined;
  private closed = false;
  readonly projection: Projection;

  constructor(parts: AzureKvClientParts) {
    this.p = parts;
    this.vault = parts.spec.vaultUrl;
    this.projection = azureProjection(parts.spec.useAzureSDK);
  }

  /**
   * One Key Vault object. A value read's version is the object version's id: Key Vault never
   * changes a version's value, so a new id is a new value. A metadata read (tags and attributes)
   * has none: updating tags or attributes keeps the version id, so only the payload can tell.
   */
  async read(ref: RawRef, signal: AbortSignal): Promise<RawSecret> {
    signal = withRequestTimeout(signal);
    this.needCredentials();
    const { type, name } = objectRef(ref.key);
    const fetch = ref.metadataPolicy === 'Fetch';
    const version = ref.version;
    switch (type) {
      case 'secret': {
        const s = await this.readSecret(name, version, signal);
        if (fetch) return rawSecret(metaPayload('secret', s.tags, s.attrs));
        return rawSecret(Object.freeze({ kind: 'secret', value: s.value } satisfies AzurePayload), s.version);
      }
      case 'cert': {
        const c = await this.call('GetCertificate', `GetCertificate ${goQuote(name)}`, this.missing('certificate', name, version), (sdk) =>
          version ? sdk.certs.getCertificateVersion(name, version, { abortSignal: signal }) : sdk.certs.getCertificate(name, { abortSignal: signal }),
        );
        const p = c.properties;
        if (fetch) return rawSecret(metaPayload('cert', p.tags, { expires: p.expiresOn, created: p.createdOn, updated: p.updatedOn, notBefore: p.notBefore }));
        return rawSecret(Object.freeze({ kind: 'cert', cer: c.cer ?? new Uint8Array(0) } satisfies AzurePayload), p.version);
      }
      case 'key': {
        const k = await this.call('GetKey', `GetKey ${goQuote(name)}`, this.missing('key', name, version), (sdk) =>
          sdk.keys.getKey(name, { abortSignal: signal, ...(version ? { version } : {}) }),
        );
        const p = k.properties;
        if (fetch) return rawSecret(metaPayload('key', p.tags, { expires: p.expiresOn, created: p.createdOn, updated: p.updatedOn, notBefore: p.notBefore }));
        return rawSecret(Object.freeze({ kind: 'key', jwk: Object.freeze(jwkFields(k.key as Record<string, unknown> | undefined)) } satisfies AzurePayload), p.version);
      }
      default:
        throw unknownObjectType(name);
    }
  }

  async findSecrets(find: FindSpec, signal: AbortSignal): Promise<Map<string, Uint8Array>> {
    signal = withRequestTimeout(signal);
    this.needCredentials();
    const matcher = find.name?.regexp ? compileGoRegexp(find.name.regexp, { field: 'find.name.regexp' }) : undefined;
    const tags = Object.entries(find.tags ?? {});
    const names: string[] = [];
    const sdk = this.clients();
    const pages = sdk.secrets.listPropertiesOfSecrets({ abortSignal: signal }).byPage();
    for (;;) {
      let page: IteratorResult<{ name: string; enabled?: boolean | undefined; tags?: Record<string, string> | undefined }[]>;
      try {
        page = await pages.next();
        if (!page.done) this.p.recordCall('GetSecrets', 'success');
      } catch (err) {
        this.p.recordCall('GetSecrets', 'error');
        throw this.failed(err, `GetSecrets (list) in ${this.vault}`, `no secrets can be listed in ${this.vault}`);
      }
      if (page.done) break;
      for (const item of page.value) {
        // ESO skips disabled secrets; tags and the name must all match.
        if (item.enabled !== true) continue;
        if (tags.some(([k, v]) => item.tags?.[k] !== v)) continue;
        if (matcher) {
          if (!matcher.matchString(item.name)) continue;
        }
        names.push(item.name);
      }
    }
    const out = new Map<string, Uint8Array>();
    await forEachLimited(names, FIND_CONCURRENCY, async (name) => {
      try {
        out.set(name, new TextEncoder().encode((await this.readSecret(name, undefined, signal)).value));
      } catch (err) {
        if (err instanceof HushError && err.code === 'NotFound') return; // deleted since the listing
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
      await this.p.session.token();
    } catch (err) {
      const e = err instanceof HushError ? err : toHushError(err, 'get a token', 'token endpoint not found', this.p.sent());
      return { state: 'Error', message: `invalid azurekv credentials (${this.p.session.describe}): ${e.message}`, error: e };
    }
    return { state: 'Ready', message: 'store validated' };
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.sdk = undefined;
      this.p.agent.destroy();
      this.p.cleanup();
    }
    return Promise.resolve();
  }

  // --- reads -----------------------------------------------------------------

  private needCredentials(): void {
    if (this.p.referentUnresolved) {
      throw new InvalidConfigError('azurekv: this ClusterSecretStore reads its credentials from the ExternalSecret namespace (referent auth), which is not known here');
    }
  }

  private async readSecret(name: string, version: string | undefined, signal: AbortSignal): Promise<{ value: string; version: string | undefined } & Bundle> {
    const s = await this.call('GetSecret', `GetSecret ${goQuote(name)}`, this.missing('secret', name, version), (sdk) =>
      sdk.secrets.getSecret(name, { abortSignal: signal, ...(version ? { version } : {}) }),
    );
    const p = s.properties;
    return { value: s.value ?? '', version: p.version, tags: p.tags, attrs: { expires: p.expiresOn, created: p.createdOn, updated: p.updatedOn, notBefore: p.notBefore } };
  }

  private missing(kind: string, name: string, version: string | undefined): string {
    return `${kind} ${goQuote(name)}${version ? ` version ${goQuote(version)}` : ''} not found in ${this.vault}`;
  }

  /**
   * One SDK call with its metric. A 401 means the vault no longer takes the
   * token: the session drops it and the SDK clients (whose authentication
   * policy caches tokens too) are rebuilt, so the next read gets a new one.
   */
  private async call<T>(metric: string, action: string, notFound: string, fn: (sdk: Sdk) => Promise<T>): Promise<T> {
    try {
      const r = await fn(this.clients());
      this.p.recordCall(metric, 'success');
      return r;
    } catch (err) {
      this.p.recordCall(metric, 'error');
      throw this.failed(err, `${action} from ${this.vault}`, notFound);
    }
  }

  private failed(err: unknown, action: string, notFound: string): HushError {
    if (statusOf(err) === 401) {
      this.p.session.invalidate();
      this.sdk = undefined;
    }
    return toHushError(err, action, notFound, this.p.sent());
  }

  private clients(): Sdk {
    if (this.closed) throw new UnavailableError('azurekv: the store client is closed');
    if (this.sdk) return this.sdk;
    const options = {
      serviceVersion: SERVICE_VERSION,
      disableChallengeResourceVerification: this.p.fixedResource,
      agent: this.p.agent,
      httpClient: cappedAzureHttpClient(this.p.maxResponseBytes),
      retryOptions: { maxRetries: this.p.maxRetries, retryDelayInMs: this.p.retryDelayMs, maxRetryDelayInMs: 30_000 },
      userAgentOptions: { userAgentPrefix: 'hush' },
    } as const;
    const cred = this.p.session;
    this.sdk = {
      secrets: new SecretClient(this.vault, cred, options),
      keys: new KeyClient(this.vault, cred, options),
      certs: new CertificateClient(this.vault, cred, options),
    };
    return this.sdk;
  }
}

/** The SDK's JsonWebKey back to the wire's field names and base64url strings. */
function jwkFields(key: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!key) return {};
  const b64u = (v: unknown): string | undefined => (v instanceof Uint8Array && v.length > 0 ? Buffer.from(v).toString('base64url') : undefined);
  return {
    kid: key.kid,
    kty: key.kty,
    key_ops: key.keyOps,
    n: b64u(key.n),
    e: b64u(key.e),
    d: b64u(key.d),
    dp: b64u(key.dp),
    dq: b64u(key.dq),
    qi: b64u(key.qi),
    p: b64u(key.p),
    q: b64u(key.q),
    k: b64u(key.k),
    key_hsm: b64u(key.t),
    crv: key.crv,
    x: b64u(key.x),
    y: b64u(key.y),
  };
}

/**
 * The Azure SDK has no request timeout of its own, and the signal a read gets lives as long as the
 * controller: a vault that stops answering mid-request would hold a worker forever.
 */
const REQUEST_TIMEOUT_MS = 30_000;
function withRequestTimeout(signal: AbortSignal): AbortSignal {
  return AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]);
}
