/**
 * service: SecretsManager — ESO's reads, with fewer calls:
 *
 * - GetSecretValue for a key; `version` is a stage (AWSCURRENT by default,
 *   AWSPREVIOUS, a custom label) or `uuid/<VersionId>`. The raw read keeps the
 *   whole secret (string or binary) and its VersionId as the version marker;
 *   the projection applies the property afterwards;
 * - metadataPolicy Fetch reads the secret's tags (DescribeSecret); tags have no
 *   version marker;
 * - batch: current values of up to 20 keys in one BatchGetSecretValue call
 *   (SecretIdList). That call reads only the AWSCURRENT stage and no tags, so
 *   refs with a version or metadataPolicy Fetch are read one by one inside the
 *   batch read; without the BatchGetSecretValue permission every ref is;
 * - find by path or tags: BatchGetSecretValue with filters, 20 secrets per
 *   call (as ESO); find by name regexp alone: ListSecrets, then the matches
 *   20 per BatchGetSecretValue call — where ESO makes one GetSecretValue call
 *   per match. Without the BatchGetSecretValue permission it falls back to
 *   ESO's one call per secret.
 * - change feed (poll): the VersionId a read would answer, from ListSecrets
 *   (no values): up to 10 secrets per call, see pollMarkers.
 */
import {
  BatchGetSecretValueCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  type BatchGetSecretValueCommandOutput,
  type Filter,
  type ListSecretsCommandOutput,
  type GetSecretValueCommandOutput,
  type SecretsManagerClient,
  type SecretValueEntry,
} from '@aws-sdk/client-secrets-manager';
import { HushError, InternalError, InvalidDataError, InvalidSpecError, NotFoundError } from '../../util/errors.ts';
import type { ChangeFeed, FindSpec, Projection, RawOutcome, RawRef, RawSecret, RemoteRef, StoreClient, ValidationResult } from '../types.ts';
import { rawSecret } from '../../read/rawref.ts';
import { goQuote } from '../util/gojson.ts';
import { compileGoRegexp, type GoRegexp } from '../../util/goregexp.ts';
import { readRestAlone, storeWide, storeWideFailure } from './batch.ts';
import type { AwsCaller, SendOptions } from './caller.ts';
import { toHushError } from '../../cloud/aws/errors.ts';
import { checkCredentials, type StoreSessions } from './session.ts';
import { propertyValue, secretMap, tagsJson } from './values.ts';

const BATCH = 20;
const LIST_PAGE = 100;
/** AWS takes at most 10 values in one ListSecrets filter (Filter.Values). */
const FILTER_VALUES = 10;
/**
 * Refs one poll takes. Above 10 names, listing every secret of the account (100 a page, no
 * filter) can be cheaper than a filtered call per 10 names: the poll picks the cheaper, and each
 * call after the first waits for its own token of the store's budget (the governor's charge).
 */
const POLL = 1000;
/**
 * AWS's pattern for a filter value (Filter.Values), less the leading `!` that
 * would make it a negation: a key outside it would fail the whole call, so it
 * is not asked for.
 */
const FILTER_VALUE = /^[a-zA-Z0-9 :_@/+=.-]{1,512}$/;
const utf8 = new TextEncoder();
const decoder = new TextDecoder();

/**
 * What a raw read hands the projection: the secret's value as AWS sent it
 * (string or binary), or its tags as ESO serialises them. Frozen, because
 * every reader of the raw ref shares it; the binary is copied on the way out.
 */
type SmPayload =
  | { readonly kind: 'value'; readonly string: string | undefined; readonly binary: Uint8Array | undefined }
  | { readonly kind: 'tags'; readonly tags: string };

function valuePayload(string: string | undefined, binary: Uint8Array | undefined): SmPayload {
  return Object.freeze({ kind: 'value', string, binary });
}

function smPayload(raw: RawSecret, key: string): SmPayload {
  const p = raw.payload as SmPayload | undefined;
  if (p && typeof p === 'object' && (p.kind === 'value' || p.kind === 'tags')) return p;
  throw new InternalError(`aws: the raw read of ${goQuote(key)} is not a Secrets Manager answer`);
}

function projectValue(raw: RawSecret, ref: RemoteRef): Uint8Array {
  const payload = smPayload(raw, ref.key);
  if (payload.kind === 'tags') return ref.property ? propertyValue(payload.tags, ref.property, ref.key) : utf8.encode(payload.tags);
  if (!ref.property) {
    if (payload.string !== undefined) return utf8.encode(payload.string);
    // A copy: the payload's bytes are shared by every reader of this raw ref.
    if (payload.binary !== undefined) return payload.binary.slice();
    throw new InvalidDataError(`aws: invalid secret received. no secret string nor binary for key: ${goQuote(ref.key)}`);
  }
  // A binary secret is read as text for properties, as ESO does.
  const text = payload.binary !== undefined ? decoder.decode(payload.binary) : (payload.string ?? '');
  return propertyValue(text, ref.property, ref.key);
}

/** ESO's Secrets Manager GetSecret / GetSecretMap, applied to a raw read. */
export const secretsManagerProjection: Projection = {
  value: projectValue,
  map: (raw, ref) => secretMap(projectValue(raw, ref), ref.key),
};

export interface SecretsManagerParts {
  sm: SecretsManagerClient;
  caller: AwsCaller;
  sessions: StoreSessions;
  prefix: string;
  secrets: () => Iterable<string>;
}

export class SecretsManagerStore implements StoreClient {
  readonly projection = secretsManagerProjection;
  readonly batch: StoreClient['batch'];
  readonly changes: ChangeFeed;
  private readonly p: SecretsManagerParts;
  /** Set once BatchGetSecretValue was denied: batches and name-regexp finds then read one secret per call, as ESO does. */
  private batchDenied = false;

  constructor(parts: SecretsManagerParts) {
    this.p = parts;
    this.batch = {
      maxSize: BATCH,
      read: (refs, signal) => this.readBatch(refs, signal),
      // A pinned version or a tag read is a call of its own, and so is everything once the
      // account refused BatchGetSecretValue: the governor then sends them one by one.
      accepts: (ref) => !this.batchDenied && ref.metadataPolicy !== 'Fetch' && (ref.version === undefined || ref.version === ''),
    };
    this.changes = { poll: { maxSize: POLL, markers: (refs, signal, charge) => this.pollMarkers(refs, signal, charge), callsFor: (n) => this.pollCalls(n) } };
  }

  async read(ref: RawRef, signal: AbortSignal): Promise<RawSecret> {
    const key = this.p.prefix + ref.key;
    // Tags have no version of their own (DescribeSecret's dates are not change markers of the tags).
    if (ref.metadataPolicy === 'Fetch') return rawSecret(Object.freeze({ kind: 'tags', tags: await this.readTags(key, signal) }));
    const out = await this.getSecretValue(key, ref.version, signal);
    return rawSecret(valuePayload(out.SecretString, out.SecretBinary), out.VersionId);
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
    this.p.sm.destroy();
    return Promise.resolve();
  }

  // --- change feed -----------------------------------------------------------

  /**
   * The VersionId a read of each ref would answer, from ListSecrets (which
   * carries no values): one call per 10 secrets with their names as `name`
   * filter values, more when a name is the prefix of so many others that the
   * answer runs to further pages. Undefined for what this cannot tell: tags,
   * a secret the answer leaves out (deleted, or named by a partial ARN), a
   * stage no version holds, a VersionId that has no stage any more.
   */
  private async pollMarkers(refs: RawRef[], signal: AbortSignal, charge: () => Promise<void> = () => Promise.resolve()): Promise<(string | undefined)[]> {
    const out: (string | undefined)[] = refs.map(() => undefined);
    const wanted = new Map<string, number[]>(); // secret id (name or ARN) → the refs that read it
    refs.forEach((ref, i) => {
      // Tags have no marker (read gives none), so there is nothing to compare.
      if (ref.metadataPolicy === 'Fetch') return;
      const id = this.p.prefix + ref.key;
      if (listPrefix(id) === undefined) return;
      wanted.set(id, [...(wanted.get(id) ?? []), i]);
    });
    const ids = [...wanted.keys()];
    // Every call after the first waits for its token (charge).
    let calls = 0;
    const next = async (): Promise<void> => {
      if (calls++ > 0) await charge();
    };
    if (ids.length > FILTER_VALUES && this.fullListingCalls() < Math.ceil(ids.length / FILTER_VALUES)) {
      const stages = await this.listAllStages(new Set(ids), signal, next);
      for (const id of ids) for (const k of wanted.get(id) ?? []) out[k] = markerOf(stages.get(id), refs[k]?.version);
      return out;
    }
    for (let i = 0; i < ids.length; i += FILTER_VALUES) {
      const chunk = ids.slice(i, i + FILTER_VALUES);
      const stages = await this.listStages(chunk, signal, next);
      for (const id of chunk) for (const k of wanted.get(id) ?? []) out[k] = markerOf(stages.get(id), refs[k]?.version);
    }
    return out;
  }

  /** Secrets the account was seen to hold in the last listing of them all (undefined: never listed). */
  private accountSecrets: number | undefined;

  /** Calls a listing of every secret takes, as far as the last one showed (one, before any). */
  private fullListingCalls(): number {
    return Math.max(1, Math.ceil((this.accountSecrets ?? 0) / LIST_PAGE));
  }

  /** Calls a poll of `n` refs takes: the cheaper of a filtered call per 10 and a full listing. */
  private pollCalls(n: number): number {
    const filtered = Math.ceil(n / FILTER_VALUES);
    return n > FILTER_VALUES ? Math.min(filtered, this.fullListingCalls()) : filtered;
  }

  /** SecretVersionsToStages of the wanted secrets, from a listing of every secret (pages of 100, no filter). */
  private async listAllStages(want: Set<string>, signal: AbortSignal, before: () => Promise<void> = () => Promise.resolve()): Promise<Map<string, Record<string, string[]>>> {
    const found = new Map<string, Record<string, string[]>>();
    let listed = 0;
    let next: string | undefined;
    do {
      const token = next;
      await before();
      const page: ListSecretsCommandOutput = await this.send(
        'ListSecrets',
        `ListSecrets of every secret (${want.size} wanted)`,
        (s) => this.p.sm.send(new ListSecretsCommand({ MaxResults: LIST_PAGE, ...(token ? { NextToken: token } : {}) }), { abortSignal: s }),
        signal,
      );
      for (const e of page.SecretList ?? []) {
        listed++;
        for (const id of new Set([e.Name, e.ARN])) if (id !== undefined && want.has(id) && e.SecretVersionsToStages) found.set(id, e.SecretVersionsToStages);
      }
      next = page.NextToken || undefined;
    } while (next && found.size < want.size);
    // A listing that stopped early saw at least this many: the estimate only grows until a full one.
    this.accountSecrets = next ? Math.max(this.accountSecrets ?? 0, listed) : listed;
    return found;
  }

  /** SecretVersionsToStages of each of up to 10 secrets (by name or ARN) that ListSecrets lists. */
  private async listStages(ids: string[], signal: AbortSignal, before: () => Promise<void> = () => Promise.resolve()): Promise<Map<string, Record<string, string[]>>> {
    const prefixes = [...new Set(ids.map((id) => listPrefix(id) as string))];
    const want = new Set(ids);
    const found = new Map<string, Record<string, string[]>>();
    let next: string | undefined;
    do {
      const token = next;
      await before();
      const page: ListSecretsCommandOutput = await this.send(
        'ListSecrets',
        `ListSecrets of ${ids.length} secrets`,
        (s) => this.p.sm.send(new ListSecretsCommand({ MaxResults: LIST_PAGE, Filters: [{ Key: 'name', Values: prefixes }], ...(token ? { NextToken: token } : {}) }), { abortSignal: s }),
        signal,
      );
      for (const e of page.SecretList ?? []) {
        // The filter is a prefix match: only the secret itself counts, by the name or ARN the ref used.
        for (const id of new Set([e.Name, e.ARN])) if (id !== undefined && want.has(id) && e.SecretVersionsToStages) found.set(id, e.SecretVersionsToStages);
      }
      next = page.NextToken || undefined;
      // A name is unique: once every secret asked for is found, later pages hold only longer names.
    } while (next && found.size < want.size);
    return found;
  }

  // --- reads -----------------------------------------------------------------

  private send<T>(call: string, action: string, fn: (s: AbortSignal | undefined) => Promise<T>, signal: AbortSignal | undefined, opts: SendOptions = {}): Promise<T> {
    return this.p.caller.send(call, action, fn, signal, { onAuthError: () => this.p.sessions.invalidate(), ...opts });
  }

  private async getSecretValue(key: string, version: string | undefined, signal: AbortSignal): Promise<GetSecretValueCommandOutput> {
    const ver = version || 'AWSCURRENT';
    const versionId = ver.startsWith('uuid/') ? ver.slice('uuid/'.length) : undefined;
    const what = `GetSecretValue ${goQuote(key)}${version ? ` (version ${goQuote(version)})` : ''}`;
    try {
      return await this.send(
        'GetSecretValue',
        what,
        (s) => this.p.sm.send(new GetSecretValueCommand({ SecretId: key, ...(versionId ? { VersionId: versionId } : { VersionStage: ver }) }), { abortSignal: s }),
        signal,
        { notFoundIsMissing: true },
      );
    } catch (err) {
      if (err instanceof NotFoundError) throw new NotFoundError(`${err.message} (Secret does not exist)`);
      throw err;
    }
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

  /**
   * Up to 20 raw refs: the current values in one BatchGetSecretValue call, the
   * rest (a version, metadata, a secret the answer left out) one read each.
   * A secret that does not exist fails its own ref with the NotFoundError a
   * single read gives; the others are answered.
   */
  private async readBatch(refs: RawRef[], signal: AbortSignal): Promise<RawOutcome[]> {
    const out: (RawOutcome | undefined)[] = refs.map(() => undefined);
    const current = new Map<string, number[]>(); // secret id → the refs that read its AWSCURRENT value
    refs.forEach((ref, i) => {
      if (ref.metadataPolicy === 'Fetch' || (ref.version !== undefined && ref.version !== '')) return;
      const id = this.p.prefix + ref.key;
      current.set(id, [...(current.get(id) ?? []), i]);
    });
    // One secret alone is one GetSecretValue, as ESO reads it (and needs no batch permission).
    const ids = current.size > 1 && !this.batchDenied ? [...current.keys()] : [];
    const failed = await storeWideFailure(async () => {
      for (let i = 0; i < ids.length; i += BATCH) {
        if (this.batchDenied) break;
        const res = await this.batchGet(ids.slice(i, i + BATCH), signal);
        if (!res) continue;
        const answer = (id: string | undefined, o: RawOutcome): void => {
          for (const k of (id === undefined ? undefined : current.get(id)) ?? []) out[k] = o;
        };
        for (const e of res.SecretValues ?? []) {
          const o = { raw: rawSecret(valuePayload(e.SecretString, e.SecretBinary), e.VersionId) };
          // The answer names a secret by both name and ARN; the ref may have used either.
          answer(e.Name, o);
          if (e.ARN !== e.Name) answer(e.ARN, o);
        }
        for (const e of res.Errors ?? []) answer(e.SecretId, { error: this.entryError(e.SecretId ?? '', e.ErrorCode, e.Message) });
      }
    });
    await readRestAlone(refs, out, (ref) => this.read(ref, signal), failed);
    return out as RawOutcome[];
  }

  /**
   * BatchGetSecretValue of named secrets; undefined when the call as a whole
   * failed in a way single reads may not (BatchGetSecretValue not allowed, a
   * malformed name among good ones), so the caller reads each alone.
   */
  private async batchGet(ids: string[], signal: AbortSignal): Promise<BatchGetSecretValueCommandOutput | undefined> {
    try {
      return await this.send(
        'BatchGetSecretValue',
        `BatchGetSecretValue of ${ids.length} secrets`,
        (s) => this.p.sm.send(new BatchGetSecretValueCommand({ SecretIdList: ids }), { abortSignal: s }),
        signal,
      );
    } catch (err) {
      if (signal.aborted || !(err instanceof HushError) || storeWide(err)) throw err;
      if (err.code === 'AccessDenied') this.batchDenied = true;
      return undefined;
    }
  }

  /** The error of one secret in a BatchGetSecretValue answer, as GetSecretValue of it alone would give it. */
  private entryError(id: string, code: string | undefined, message: string | undefined): HushError {
    // $fault client: an entry error is about that secret (as a 4xx answer to GetSecretValue of it would be).
    const err = toHushError({ name: code, message, $fault: 'client' }, `GetSecretValue ${goQuote(id)}`, { secrets: this.p.secrets(), notFoundIsMissing: true });
    return err instanceof NotFoundError ? new NotFoundError(`${err.message} (Secret does not exist)`) : err;
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
          const v = await this.getSecretValue(name, undefined, signal);
          setEntry(out, { Name: name, SecretString: v.SecretString, SecretBinary: v.SecretBinary });
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err;
        }
      }
    }
    return out;
  }
}

/**
 * The `name` filter value that lists secret `id`: the name itself, or for an
 * ARN the name inside it less AWS's suffix (`-` and six random characters);
 * cutting seven characters off keeps a prefix of the name either way, and
 * the answer is matched by the whole ARN. Undefined when no filter can ask.
 */
function listPrefix(id: string): string | undefined {
  let prefix = id;
  if (id.startsWith('arn:')) {
    const at = id.indexOf(':secret:');
    const name = at < 0 ? '' : id.slice(at + ':secret:'.length);
    if (name.length < 8) return undefined;
    prefix = name.slice(0, -7);
  }
  return FILTER_VALUE.test(prefix) ? prefix : undefined;
}

/**
 * The VersionId that GetSecretValue of `version` (as read() sends it) would
 * answer: the version holding the stage (AWSCURRENT by default), or the one
 * named by `uuid/<VersionId>` if ListSecrets still shows it.
 */
function markerOf(stages: Record<string, string[]> | undefined, version: string | undefined): string | undefined {
  if (!stages) return undefined;
  const ver = version || 'AWSCURRENT';
  if (ver.startsWith('uuid/')) {
    const id = ver.slice('uuid/'.length);
    // A version without stages is left out of the answer; it may still be readable, so that is "cannot tell".
    return Object.hasOwn(stages, id) ? id : undefined;
  }
  for (const [id, labels] of Object.entries(stages)) if (labels.includes(ver)) return id;
  return undefined;
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
