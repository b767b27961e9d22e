/**
 * service: SecretsManager — ESO's reads, with fewer calls:
 *
 * - GetSecretValue for a key; `version` is a stage (AWSCURRENT by default,
 *   AWSPREVIOUS, a custom label) or `uuid/<VersionId>`;
 * - metadataPolicy Fetch reads the secret's tags (DescribeSecret);
 * - find by path or tags: BatchGetSecretValue with filters, 20 secrets per
 *   call (as ESO); find by name regexp alone: ListSecrets, then the matches
 *   20 per BatchGetSecretValue call — where ESO makes one GetSecretValue call
 *   per match. Without the BatchGetSecretValue permission it falls back to
 *   ESO's one call per secret.
 */
import {
  BatchGetSecretValueCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  type Filter,
  type GetSecretValueCommandOutput,
  type SecretsManagerClient,
  type SecretValueEntry,
} from '@aws-sdk/client-secrets-manager';
import { HushError, InvalidDataError, InvalidSpecError, NotFoundError } from '../../util/errors.ts';
import type { FindSpec, RemoteRef, StoreClient, ValidationResult } from '../types.ts';
import { goQuote } from '../util/gojson.ts';
import { compileGoRegexp, type GoRegexp } from '../../util/goregexp.ts';
import type { AwsCaller, SendOptions } from './caller.ts';
import { ReadCache } from './coalesce.ts';
import { toHushError } from '../../cloud/aws/errors.ts';
import { checkCredentials, type StoreSessions } from './session.ts';
import { propertyValue, secretMap, tagsJson } from './values.ts';

const BATCH = 20;
const LIST_PAGE = 100;
const utf8 = new TextEncoder();
const decoder = new TextDecoder();

interface SecretPayload {
  string?: string | undefined;
  binary?: Uint8Array | undefined;
}

export interface SecretsManagerParts {
  sm: SecretsManagerClient;
  caller: AwsCaller;
  sessions: StoreSessions;
  prefix: string;
  storeSignal: AbortSignal;
  cacheTtlMs: number;
  secrets: () => Iterable<string>;
}

export class SecretsManagerStore implements StoreClient {
  private readonly p: SecretsManagerParts;
  private readonly cache: ReadCache<SecretPayload>;
  /** Set once BatchGetSecretValue was denied: name-regexp finds then read one secret per call, as ESO does. */
  private batchDenied = false;

  constructor(parts: SecretsManagerParts) {
    this.p = parts;
    this.cache = new ReadCache({ ttlMs: parts.cacheTtlMs });
  }

  async getSecret(ref: RemoteRef, signal: AbortSignal): Promise<Uint8Array> {
    const key = this.p.prefix + ref.key;
    if (ref.metadataPolicy === 'Fetch') {
      const tags = await this.readTags(key, signal);
      return ref.property ? propertyValue(tags, ref.property, ref.key) : utf8.encode(tags);
    }
    const payload = await this.readValue(key, ref.version, signal);
    if (!ref.property) {
      if (payload.string !== undefined) return utf8.encode(payload.string);
      if (payload.binary !== undefined) return payload.binary;
      throw new InvalidDataError(`aws: invalid secret received. no secret string nor binary for key: ${goQuote(ref.key)}`);
    }
    // A binary secret is read as text for properties, as ESO does.
    const text = payload.binary !== undefined ? decoder.decode(payload.binary) : (payload.string ?? '');
    return propertyValue(text, ref.property, ref.key);
  }

  async getSecretMap(ref: RemoteRef, signal: AbortSignal): Promise<Map<string, Uint8Array>> {
    return secretMap(await this.getSecret(ref, signal), ref.key);
  }

  async findSecrets(find: FindSpec, signal: AbortSignal): Promise<Map<string, Uint8Array>> {
    const hasName = find.name !== undefined;
    const tags = find.tags ?? {};
    const hasTags = Object.keys(tags).length > 0;
    if (!hasName && !hasTags) throw new InvalidSpecError('aws: unexpected find operator: SecretsManager finds need find.name or find.tags');
    const matcher = find.name ? compileGoRegexp(find.name.regexp, { field: 'find.name.regexp' }) : undefined;
    const filters: Filter[] = [];
    // As ESO: with a name, tags are ignored.
    if (!hasName) for (const [k, v] of Object.entries(tags)) filters.push({ Key: 'tag-key', Values: [k] }, { Key: 'tag-value', Values: [v] });
    if (find.path !== undefined) filters.push({ Key: 'name', Values: [find.path] });
    if (!hasName || find.path !== undefined) return this.batchByFilters(filters, matcher, signal);
    const names = await this.listNames(filters, matcher as GoRegexp, signal);
    return this.batchByNames(names, signal);
  }

  validate(): Promise<ValidationResult> {
    return checkCredentials(this.p.sessions, this.p.secrets());
  }

  close(): Promise<void> {
    this.cache.clear();
    this.p.sm.destroy();
    return Promise.resolve();
  }

  // --- reads -----------------------------------------------------------------

  private send<T>(call: string, action: string, fn: (s: AbortSignal | undefined) => Promise<T>, signal: AbortSignal | undefined, opts: SendOptions = {}): Promise<T> {
    return this.p.caller.send(call, action, fn, signal, { onAuthError: () => this.p.sessions.invalidate(), ...opts });
  }

  private readValue(key: string, version: string | undefined, signal: AbortSignal): Promise<SecretPayload> {
    const ver = version || 'AWSCURRENT';
    return this.cache.get(`${key}#${ver}`, async () => {
      const versionId = ver.startsWith('uuid/') ? ver.slice('uuid/'.length) : undefined;
      const what = `GetSecretValue ${goQuote(key)}${version ? ` (version ${goQuote(version)})` : ''}`;
      let out: GetSecretValueCommandOutput;
      try {
        out = await this.send(
          'GetSecretValue',
          what,
          // The store's signal: this read may be shared by several reconciles.
          () => this.p.sm.send(new GetSecretValueCommand({ SecretId: key, ...(versionId ? { VersionId: versionId } : { VersionStage: ver }) }), { abortSignal: this.p.storeSignal }),
          signal,
          { notFoundIsMissing: true },
        );
      } catch (err) {
        if (err instanceof NotFoundError) throw new NotFoundError(`${err.message} (Secret does not exist)`);
        throw err;
      }
      return { string: out.SecretString, binary: out.SecretBinary };
    });
  }

  private async readTags(key: string, signal: AbortSignal): Promise<string> {
    const out = await this.send(
      'DescribeSecret',
      `DescribeSecret ${goQuote(key)}`,
      (s) => this.p.sm.send(new DescribeSecretCommand({ SecretId: key }), { abortSignal: s }),
      signal,
      { notFoundIsMissing: true },
    );
    return tagsJson(out.Tags ?? []);
  }

  /** ESO's fetchWithBatch: BatchGetSecretValue with filters, paged, 20 per call. */
  private async batchByFilters(filters: Filter[], matcher: GoRegexp | undefined, signal: AbortSignal): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>();
    let next: string | undefined;
    do {
      const token = next;
      const page = await this.send(
        'BatchGetSecretValue',
        `BatchGetSecretValue ${describeFilters(filters)}`,
        (s) => this.p.sm.send(new BatchGetSecretValueCommand({ Filters: filters, MaxResults: BATCH, ...(token ? { NextToken: token } : {}) }), { abortSignal: s }),
        signal,
      );
      for (const e of page.SecretValues ?? []) {
        if (e.Name === undefined || !matches(matcher, e.Name)) continue;
        setEntry(out, e);
      }
      // ESO skips entries that failed; Hush fails the read instead, so a secret whose KMS key was
      // taken away does not silently vanish from the Secret. A secret deleted meanwhile is skipped.
      for (const e of page.Errors ?? []) {
        if (e.ErrorCode === 'ResourceNotFoundException' || (e.SecretId !== undefined && !matches(matcher, e.SecretId))) continue;
        throw toHushError({ name: e.ErrorCode, message: e.Message }, `GetSecretValue ${goQuote(e.SecretId ?? '')}`, { secrets: this.p.secrets() });
      }
      next = page.NextToken || undefined;
    } while (next);
    return out;
  }

  /** Every secret name ListSecrets returns (with the tag filters) that the regexp matches. */
  private async listNames(filters: Filter[], matcher: GoRegexp, signal: AbortSignal): Promise<string[]> {
    const names: string[] = [];
    let next: string | undefined;
    do {
      const token = next;
      const page = await this.send(
        'ListSecrets',
        'ListSecrets',
        (s) => this.p.sm.send(new ListSecretsCommand({ MaxResults: LIST_PAGE, ...(filters.length > 0 ? { Filters: filters } : {}), ...(token ? { NextToken: token } : {}) }), { abortSignal: s }),
        signal,
      );
      for (const s of page.SecretList ?? []) if (s.Name !== undefined && matches(matcher, s.Name)) names.push(s.Name);
      next = page.NextToken || undefined;
    } while (next);
    return names;
  }

  /** The current values of named secrets, 20 per call; a secret deleted since it was listed is left out. */
  private async batchByNames(names: string[], signal: AbortSignal): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>();
    for (let i = 0; i < names.length; i += BATCH) {
      const chunk = names.slice(i, i + BATCH);
      if (!this.batchDenied) {
        try {
          const res = await this.send(
            'BatchGetSecretValue',
            `BatchGetSecretValue of ${chunk.length} secrets`,
            (s) => this.p.sm.send(new BatchGetSecretValueCommand({ SecretIdList: chunk }), { abortSignal: s }),
            signal,
          );
          for (const e of res.SecretValues ?? []) setEntry(out, e);
          for (const e of res.Errors ?? []) {
            if (e.ErrorCode === 'ResourceNotFoundException') continue;
            throw toHushError({ name: e.ErrorCode, message: e.Message }, `GetSecretValue ${goQuote(e.SecretId ?? '')}`, { secrets: this.p.secrets() });
          }
          continue;
        } catch (err) {
          if (!(err instanceof HushError && err.code === 'AccessDenied' && /BatchGetSecretValue of/.test(err.message))) throw err;
          this.batchDenied = true;
        }
      }
      for (const name of chunk) {
        try {
          const v = await this.readValue(name, undefined, signal);
          setEntry(out, { Name: name, SecretString: v.string, SecretBinary: v.binary });
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err;
        }
      }
    }
    return out;
  }
}

function matches(matcher: GoRegexp | undefined, name: string): boolean {
  if (!matcher) return true;
  return matcher.matchString(name);
}

/** ESO keys find results by the full secret name; a binary value wins over a string (both set never happens). */
function setEntry(out: Map<string, Uint8Array>, e: Pick<SecretValueEntry, 'Name' | 'SecretString' | 'SecretBinary'>): void {
  if (e.Name === undefined) return;
  if (e.SecretString !== undefined) out.set(e.Name, utf8.encode(e.SecretString));
  if (e.SecretBinary !== undefined) out.set(e.Name, e.SecretBinary);
}

function describeFilters(filters: Filter[]): string {
  return filters.map((f) => `${f.Key ?? ''}=${(f.Values ?? []).map(goQuote).join(',')}`).join(' ') || '(no filters)';
}
