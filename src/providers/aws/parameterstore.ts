/**
 * service: ParameterStore — ESO's reads, with fewer calls:
 *
 * - GetParameter with decryption; `version` is a version number or a label,
 *   sent as ESO does (`name:version`);
 * - reads of different parameters that arrive together (the data[] keys of
 *   one ExternalSecret read concurrently, or several ExternalSecrets of the
 *   store) go out as one GetParameters call per 10 names;
 * - metadataPolicy Fetch reads the parameter's tags (ListTagsForResource);
 * - find by name: GetParametersByPath (recursive, paged) under find.path or
 *   `/`, falling back to DescribeParameters when GetParametersByPath is
 *   denied (as ESO does); find by tags: DescribeParameters with tag filters.
 *   The values of described parameters come 10 per GetParameters call where
 *   ESO makes one GetParameter call per parameter.
 */
import {
  DescribeParametersCommand,
  GetParameterCommand,
  GetParametersByPathCommand,
  GetParametersCommand,
  ListTagsForResourceCommand,
  type ParameterStringFilter,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { HushError, InvalidDataError, InvalidSpecError, NotFoundError } from '../../util/errors.ts';
import type { FindSpec, RemoteRef, StoreClient, ValidationResult } from '../types.ts';
import { goQuote } from '../util/gojson.ts';
import { compileGoRegexp, type GoRegexp } from '../../util/goregexp.ts';
import type { AwsCaller, SendOptions } from './caller.ts';
import { BatchCoalescer, ReadCache, type BatchOutcome } from './coalesce.ts';
import { checkCredentials, type StoreSessions } from './session.ts';
import { propertyValue, secretMap, tagsJson } from './values.ts';

const BATCH = 10;
const utf8 = new TextEncoder();

export interface ParameterStoreParts {
  ssm: SSMClient;
  caller: AwsCaller;
  sessions: StoreSessions;
  prefix: string;
  storeSignal: AbortSignal;
  cacheTtlMs: number;
  secrets: () => Iterable<string>;
}

export class ParameterStoreStore implements StoreClient {
  private readonly p: ParameterStoreParts;
  private readonly cache: ReadCache<string>;
  private readonly batcher: BatchCoalescer<string>;

  constructor(parts: ParameterStoreParts) {
    this.p = parts;
    this.cache = new ReadCache({ ttlMs: parts.cacheTtlMs });
    this.batcher = new BatchCoalescer(BATCH, (names) => this.fetchValues(names, this.p.storeSignal));
  }

  async getSecret(ref: RemoteRef, signal: AbortSignal): Promise<Uint8Array> {
    const name = this.p.prefix + ref.key + (ref.version ? `:${ref.version}` : '');
    let value: string;
    if (ref.metadataPolicy === 'Fetch') value = await this.readTags(name, signal);
    else if (ref.version) value = await this.cache.get(name, () => this.readOne(name, signal));
    else value = await this.cache.get(name, () => this.batcher.get(name));
    return ref.property ? propertyValue(value, ref.property, ref.key) : utf8.encode(value);
  }

  async getSecretMap(ref: RemoteRef, signal: AbortSignal): Promise<Map<string, Uint8Array>> {
    return secretMap(await this.getSecret(ref, signal), ref.key);
  }

  async findSecrets(find: FindSpec, signal: AbortSignal): Promise<Map<string, Uint8Array>> {
    if (find.name) return this.findByName(find.name.regexp, find.path, signal);
    if (find.tags) return this.findByTags(find.tags, find.path, signal);
    throw new InvalidSpecError('aws: unexpected find operator: ParameterStore finds need find.name or find.tags');
  }

  validate(): Promise<ValidationResult> {
    return checkCredentials(this.p.sessions, this.p.secrets());
  }

  close(): Promise<void> {
    this.cache.clear();
    this.p.ssm.destroy();
    return Promise.resolve();
  }

  // --- reads -----------------------------------------------------------------

  private send<T>(call: string, action: string, fn: (s: AbortSignal | undefined) => Promise<T>, signal: AbortSignal | undefined, opts: SendOptions = {}): Promise<T> {
    return this.p.caller.send(call, action, fn, signal, { onAuthError: () => this.p.sessions.invalidate(), ...opts });
  }

  /** GetParameter of one name (which may carry `:version`); a missing parameter is NotFound (ESO's NoSecretErr). */
  private async readOne(name: string, signal: AbortSignal | undefined): Promise<string> {
    const out = await this.send(
      'GetParameter',
      `GetParameter ${goQuote(name)}`,
      () => this.p.ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }), { abortSignal: this.p.storeSignal }),
      signal,
      { notFoundIsMissing: true },
    );
    const v = out.Parameter?.Value;
    if (v === undefined) throw new InvalidDataError(`aws: invalid secret received. parameter value is nil for key: ${goQuote(name)}`);
    return v;
  }

  /**
   * Values for up to 10 names: GetParameter for one, GetParameters for more.
   * If the batch call as a whole fails (one parameter's KMS key denied, say),
   * each name is read alone so that only the failing ones fail.
   */
  private async fetchValues(names: string[], signal: AbortSignal): Promise<Map<string, BatchOutcome<string>>> {
    const out = new Map<string, BatchOutcome<string>>();
    const one = async (name: string): Promise<void> => {
      try {
        out.set(name, { value: await this.readOne(name, signal) });
      } catch (error) {
        out.set(name, { error });
      }
    };
    if (names.length === 1) {
      await one(names[0] as string);
      return out;
    }
    let res;
    try {
      res = await this.send(
        'GetParameters',
        `GetParameters of ${names.length} parameters`,
        (s) => this.p.ssm.send(new GetParametersCommand({ Names: names, WithDecryption: true }), { abortSignal: s }),
        signal,
      );
    } catch (err) {
      if (err instanceof HushError && (err.code === 'Throttled' || err.code === 'AuthFailed' || err.code === 'Unavailable' || err.code === 'Timeout')) throw err;
      for (const n of names) await one(n);
      return out;
    }
    for (const prm of res.Parameters ?? []) if (prm.Name !== undefined && prm.Value !== undefined) out.set(prm.Name, { value: prm.Value });
    for (const n of res.InvalidParameters ?? []) {
      out.set(n, { error: new NotFoundError(`aws: GetParameters ${goQuote(n)}: ParameterNotFound: Parameter ${n} not found. (Secret does not exist)`) });
    }
    for (const n of names) if (!out.has(n)) await one(n); // not answered for (AWS may normalise names): ask alone
    return out;
  }

  private async valuesOf(names: string[], signal: AbortSignal): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (let i = 0; i < names.length; i += BATCH) {
      const results = await this.fetchValues(names.slice(i, i + BATCH), signal);
      for (const [n, r] of results) {
        if ('value' in r) out.set(n, r.value);
        else if (!(r.error instanceof NotFoundError)) throw r.error; // deleted since described: left out
      }
    }
    return out;
  }

  private async readTags(name: string, signal: AbortSignal): Promise<string> {
    const out = await this.send(
      'ListTagsForResource',
      `ListTagsForResource ${goQuote(name)}`,
      (s) => this.p.ssm.send(new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: name }), { abortSignal: s }),
      signal,
      { notFoundIsMissing: true },
    );
    return tagsJson(out.TagList ?? []);
  }

  private async findByName(regexp: string, path: string | undefined, signal: AbortSignal): Promise<Map<string, Uint8Array>> {
    const matcher = compileGoRegexp(regexp, { field: 'find.name.regexp' });
    const root = path ?? '/';
    const out = new Map<string, Uint8Array>();
    let next: string | undefined;
    do {
      const token = next;
      let page;
      try {
        page = await this.send(
          'GetParametersByPath',
          `GetParametersByPath ${goQuote(root)}`,
          (s) => this.p.ssm.send(new GetParametersByPathCommand({ Path: root, Recursive: true, WithDecryption: true, ...(token ? { NextToken: token } : {}) }), { abortSignal: s }),
          signal,
        );
      } catch (err) {
        // ESO: without ssm:GetParametersByPath, list with DescribeParameters and read each match.
        if (err instanceof HushError && err.code === 'AccessDenied' && token === undefined) return this.describeAndRead(path === undefined ? [] : [pathFilter(path)], matcher, signal);
        throw err;
      }
      for (const prm of page.Parameters ?? []) {
        if (prm.Name === undefined || prm.Value === undefined || !matches(matcher, prm.Name)) continue;
        out.set(prm.Name, utf8.encode(prm.Value));
      }
      next = page.NextToken || undefined;
    } while (next);
    return out;
  }

  private findByTags(tags: Record<string, string>, path: string | undefined, signal: AbortSignal): Promise<Map<string, Uint8Array>> {
    const filters: ParameterStringFilter[] = Object.entries(tags).map(([k, v]) => ({ Key: `tag:${k}`, Option: 'Equals', Values: [v] }));
    if (path !== undefined) filters.push(pathFilter(path));
    return this.describeAndRead(filters, undefined, signal);
  }

  private async describeAndRead(filters: ParameterStringFilter[], matcher: GoRegexp | undefined, signal: AbortSignal): Promise<Map<string, Uint8Array>> {
    const names: string[] = [];
    let next: string | undefined;
    do {
      const token = next;
      const page = await this.send(
        'DescribeParameters',
        'DescribeParameters',
        (s) => this.p.ssm.send(new DescribeParametersCommand({ ...(filters.length > 0 ? { ParameterFilters: filters } : {}), ...(token ? { NextToken: token } : {}) }), { abortSignal: s }),
        signal,
      );
      for (const prm of page.Parameters ?? []) if (prm.Name !== undefined && matches(matcher, prm.Name)) names.push(prm.Name);
      next = page.NextToken || undefined;
    } while (next);
    const values = await this.valuesOf(names, signal);
    return new Map([...values].map(([k, v]) => [k, utf8.encode(v)]));
  }
}

function pathFilter(path: string): ParameterStringFilter {
  return { Key: 'Path', Option: 'Recursive', Values: [path] };
}

function matches(matcher: GoRegexp | undefined, name: string): boolean {
  if (!matcher) return true;
  return matcher.matchString(name);
}
