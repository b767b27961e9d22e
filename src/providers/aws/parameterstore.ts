/**
 * service: ParameterStore — ESO's reads, with fewer calls:
 *
 * - GetParameter with decryption; `version` is a version number or a label,
 *   sent as ESO does (`name:version`). The raw read keeps the whole value and
 *   the parameter's Version (a number, as a string) as the version marker;
 *   the projection applies the property afterwards;
 * - batch: up to 10 names (with their `:version` selectors) in one
 *   GetParameters call; a name GetParameters reports invalid is NotFound for
 *   its ref alone;
 * - metadataPolicy Fetch reads the parameter's tags (ListTagsForResource);
 *   tags have no version marker, and are read one by one inside a batch;
 * - find by name: GetParametersByPath (recursive, paged) under find.path or
 *   `/`, falling back to DescribeParameters when GetParametersByPath is
 *   denied (as ESO does); find by tags: DescribeParameters with tag filters.
 *   The values of described parameters come 10 per GetParameters call where
 *   ESO makes one GetParameter call per parameter.
 * - change feed (poll): the Version a read would answer, from
 *   DescribeParameters (no values): up to 50 names per call, see pollMarkers.
 */
import {
  DescribeParametersCommand,
  GetParameterCommand,
  GetParametersByPathCommand,
  GetParametersCommand,
  ListTagsForResourceCommand,
  type DescribeParametersCommandOutput,
  type Parameter,
  type ParameterStringFilter,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { HushError, InternalError, InvalidDataError, InvalidSpecError, NotFoundError } from '../../util/errors.ts';
import type { ChangeFeed, FindSpec, Projection, RawOutcome, RawRef, RawSecret, RemoteRef, StoreClient, ValidationResult } from '../types.ts';
import { rawSecret } from '../../read/rawref.ts';
import { goQuote } from '../util/gojson.ts';
import { compileGoRegexp, type GoRegexp } from '../../util/goregexp.ts';
import { readRestAlone, storeWide, storeWideFailure } from './batch.ts';
import type { AwsCaller, SendOptions } from './caller.ts';
import { checkCredentials, type StoreSessions } from './session.ts';
import { propertyValue, secretMap, tagsJson } from './values.ts';

const BATCH = 10;
/** AWS takes at most 50 values in one ParameterStringFilter, and DescribeParameters gives at most 50 per page. */
const POLL = 50;
/**
 * Parameter Store keeps the last 100 versions of a parameter and drops older
 * ones (the 101st put removes the oldest): a version number further back than
 * this may be gone, so its marker is not guessed.
 */
const KEPT_VERSIONS = 100;
/**
 * Names DescribeParameters is asked about: what a parameter name may be
 * (letters, digits, `_.-/`, at most a filter value's 1024 characters). An
 * ARN or anything else is left to a value read rather than risk failing the
 * whole call on a value AWS rejects.
 */
const POLL_NAME = /^[a-zA-Z0-9_.\-/]{1,1024}$/;
const utf8 = new TextEncoder();

/** A raw read's payload is the parameter's value, or its tags as ESO serialises them: a string either way. */
function projectValue(raw: RawSecret, ref: RemoteRef): Uint8Array {
  const value = raw.payload;
  if (typeof value !== 'string') throw new InternalError(`aws: the raw read of ${goQuote(ref.key)} is not a Parameter Store answer`);
  return ref.property ? propertyValue(value, ref.property, ref.key) : utf8.encode(value);
}

/** ESO's Parameter Store GetSecret / GetSecretMap, applied to a raw read. */
export const parameterStoreProjection: Projection = {
  value: projectValue,
  map: (raw, ref) => secretMap(projectValue(raw, ref), ref.key),
};

export interface ParameterStoreParts {
  ssm: SSMClient;
  caller: AwsCaller;
  sessions: StoreSessions;
  prefix: string;
  secrets: () => Iterable<string>;
}

export class ParameterStoreStore implements StoreClient {
  readonly projection = parameterStoreProjection;
  readonly batch: StoreClient['batch'];
  readonly changes: ChangeFeed;
  private readonly p: ParameterStoreParts;

  constructor(parts: ParameterStoreParts) {
    this.p = parts;
    // Tags are a call of their own (ListTagsForResource): the governor sends those one by one.
    this.batch = { maxSize: BATCH, read: (refs, signal) => this.readBatch(refs, signal), accepts: (ref) => ref.metadataPolicy !== 'Fetch' };
    this.changes = { poll: { maxSize: POLL, markers: (refs, signal) => this.pollMarkers(refs, signal) } };
  }

  async read(ref: RawRef, signal: AbortSignal): Promise<RawSecret> {
    const name = this.nameOf(ref);
    // Tags have no version marker; the value's Version is the parameter's, not theirs.
    if (ref.metadataPolicy === 'Fetch') return rawSecret(await this.readTags(name, signal));
    return rawOf(name, await this.readOne(name, signal));
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
    this.p.ssm.destroy();
    return Promise.resolve();
  }

  // --- change feed -----------------------------------------------------------

  /**
   * The Version a read of each ref would answer, from DescribeParameters
   * (metadata only, no values): one call per 50 names, more when AWS splits
   * the answer into pages. The latest version for a plain ref; for `name:3`
   * the 3 itself while the parameter has a version 3 it still keeps. Undefined
   * for what this cannot tell: tags, a label (DescribeParameters does not
   * say which version holds it), a parameter the answer leaves out (deleted,
   * named by ARN, shared from another account).
   */
  private async pollMarkers(refs: RawRef[], signal: AbortSignal): Promise<(string | undefined)[]> {
    const out: (string | undefined)[] = refs.map(() => undefined);
    const wanted = new Map<string, number[]>(); // parameter name → the refs that read it
    refs.forEach((ref, i) => {
      // Tags have no marker (read gives none), so there is nothing to compare.
      if (ref.metadataPolicy === 'Fetch') return;
      if (ref.version && !VERSION_NUMBER.test(ref.version)) return;
      const name = this.p.prefix + ref.key;
      if (!POLL_NAME.test(name) || /^\/?(aws|ssm)/i.test(name)) return; // AWS's reserved prefixes are not filter values
      wanted.set(name, [...(wanted.get(name) ?? []), i]);
    });
    const names = [...wanted.keys()];
    for (let i = 0; i < names.length; i += POLL) {
      const chunk = names.slice(i, i + POLL);
      const latest = await this.describeVersions(chunk, signal);
      for (const name of chunk) for (const k of wanted.get(name) ?? []) out[k] = markerOf(latest.get(name), refs[k]?.version);
    }
    return out;
  }

  /** The latest Version of each of up to 50 named parameters that DescribeParameters lists. */
  private async describeVersions(names: string[], signal: AbortSignal): Promise<Map<string, number>> {
    const want = new Set(names);
    const found = new Map<string, number>();
    let next: string | undefined;
    do {
      const token = next;
      const page: DescribeParametersCommandOutput = await this.send(
        'DescribeParameters',
        `DescribeParameters of ${names.length} parameters`,
        (s) =>
          this.p.ssm.send(
            new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Option: 'Equals', Values: names }], MaxResults: POLL, ...(token ? { NextToken: token } : {}) }),
            { abortSignal: s },
          ),
        signal,
      );
      // Only the name as asked counts (the filter may treat `a` and `/a` alike; GetParameter does not).
      for (const prm of page.Parameters ?? []) if (prm.Name !== undefined && want.has(prm.Name) && prm.Version !== undefined) found.set(prm.Name, prm.Version);
      next = page.NextToken || undefined;
    } while (next && found.size < want.size);
    return found;
  }

  // --- reads -----------------------------------------------------------------

  /** The name ESO sends: prefix, key, and the version as a selector (`name:3`, `name:label`). */
  private nameOf(ref: RawRef): string {
    return this.p.prefix + ref.key + (ref.version ? `:${ref.version}` : '');
  }

  private send<T>(call: string, action: string, fn: (s: AbortSignal | undefined) => Promise<T>, signal: AbortSignal | undefined, opts: SendOptions = {}): Promise<T> {
    return this.p.caller.send(call, action, fn, signal, { onAuthError: () => this.p.sessions.invalidate(), ...opts });
  }

  /** GetParameter of one name (which may carry `:version`); a missing parameter is NotFound (ESO's NoSecretErr). */
  private async readOne(name: string, signal: AbortSignal | undefined): Promise<Parameter> {
    const out = await this.send(
      'GetParameter',
      `GetParameter ${goQuote(name)}`,
      (s) => this.p.ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }), { abortSignal: s }),
      signal,
      { notFoundIsMissing: true },
    );
    return out.Parameter ?? {};
  }

  /** Values of metadataPolicy None refs in GetParameters calls; tags (Fetch) one read each. */
  private async readBatch(refs: RawRef[], signal: AbortSignal): Promise<RawOutcome[]> {
    const out: (RawOutcome | undefined)[] = refs.map(() => undefined);
    const names = [...new Set(refs.filter((r) => r.metadataPolicy !== 'Fetch').map((r) => this.nameOf(r)))];
    const results = new Map<string, RawOutcome>();
    const failed = await storeWideFailure(async () => {
      for (let i = 0; i < names.length; i += BATCH) for (const [n, o] of await this.fetchValues(names.slice(i, i + BATCH), signal)) results.set(n, o);
    });
    refs.forEach((r, i) => {
      if (r.metadataPolicy !== 'Fetch') out[i] = results.get(this.nameOf(r));
    });
    await readRestAlone(refs, out, (ref) => this.read(ref, signal), failed);
    return out as RawOutcome[];
  }

  /**
   * Values for up to 10 names: GetParameter for one, GetParameters for more.
   * If the batch call as a whole fails (one parameter's KMS key denied, say),
   * each name is read alone so that only the failing ones fail.
   */
  private async fetchValues(names: string[], signal: AbortSignal): Promise<Map<string, RawOutcome>> {
    const out = new Map<string, RawOutcome>();
    const alone = async (): Promise<Map<string, RawOutcome>> => {
      const pending = names.filter((n) => !out.has(n));
      const answers: (RawOutcome | undefined)[] = pending.map(() => undefined);
      await readRestAlone(
        pending.map((key) => ({ key })),
        answers,
        async (r) => rawOf(r.key, await this.readOne(r.key, signal)),
      );
      pending.forEach((n, i) => out.set(n, answers[i] as RawOutcome));
      return out;
    };
    if (names.length === 1) return alone();
    let res;
    try {
      res = await this.send(
        'GetParameters',
        `GetParameters of ${names.length} parameters`,
        (s) => this.p.ssm.send(new GetParametersCommand({ Names: names, WithDecryption: true }), { abortSignal: s }),
        signal,
      );
    } catch (err) {
      if (signal.aborted || storeWide(err)) throw err;
      return alone();
    }
    const wanted = new Set(names);
    const forms = new Map<string, string[]>(); // parameter (name or ARN) → the names asked for it, with their selectors
    for (const n of names) forms.set(baseOf(n), [...(forms.get(baseOf(n)) ?? []), n]);
    for (const prm of res.Parameters ?? []) {
      for (const base of new Set([prm.Name, prm.ARN])) {
        const asked = base === undefined ? undefined : forms.get(base);
        for (const n of asked ?? []) if (!out.has(n) && answersFor(prm, n, asked?.length === 1)) out.set(n, tryRaw(n, prm));
      }
    }
    for (const n of res.InvalidParameters ?? []) {
      // With a selector, "invalid" may mean a missing version, which ESO does not treat as a
      // missing secret (ParameterVersionNotFound): GetParameter of that name alone tells which.
      if (!wanted.has(n) || hasSelector(n)) continue;
      out.set(n, { error: new NotFoundError(`aws: GetParameters ${goQuote(n)}: ParameterNotFound: Parameter ${n} not found. (Secret does not exist)`) });
    }
    return alone(); // not answered for (AWS may normalise names), or a selector reported invalid: ask alone
  }

  private async valuesOf(names: string[], signal: AbortSignal): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (let i = 0; i < names.length; i += BATCH) {
      const results = await this.fetchValues(names.slice(i, i + BATCH), signal);
      for (const [n, r] of results) {
        if ('raw' in r) out.set(n, r.raw.payload as string);
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

/** A version selector that is a version number as AWS writes it back (`3`, not `03`): anything else is a label. */
const VERSION_NUMBER = /^[1-9][0-9]*$/;

/** The Version read() of `name` or `name:<version>` would answer, given the parameter's latest Version. */
function markerOf(latest: number | undefined, version: string | undefined): string | undefined {
  if (latest === undefined) return undefined;
  if (!version) return String(latest);
  const n = Number(version);
  // A version number names one immutable version: it is the marker while that version exists.
  return n <= latest && latest - n < KEPT_VERSIONS ? version : undefined;
}

/** A parameter read as the raw secret of `name`: its value, and its Version as the marker. */
function rawOf(name: string, prm: Parameter): RawSecret {
  if (prm.Value === undefined) throw new InvalidDataError(`aws: invalid secret received. parameter value is nil for key: ${goQuote(name)}`);
  return rawSecret(prm.Value, prm.Version === undefined ? undefined : String(prm.Version));
}

function tryRaw(name: string, prm: Parameter): RawOutcome {
  try {
    return { raw: rawOf(name, prm) };
  } catch (error) {
    return { error };
  }
}

/**
 * `:3` or `:label` of `name:3`, `name:label`, or ''. A parameter name has no
 * colon; an ARN does, but not after its last slash.
 */
function selectorOf(name: string): string {
  const tail = name.slice(name.lastIndexOf('/') + 1);
  const colon = tail.indexOf(':');
  return colon < 0 ? '' : tail.slice(colon);
}

function hasSelector(name: string): boolean {
  return selectorOf(name) !== '';
}

function baseOf(name: string): string {
  return name.slice(0, name.length - selectorOf(name).length);
}

/**
 * Whether a GetParameters answer is the one for `name`. AWS names the
 * selector it answered (Selector ":3"); where that is missing (moto leaves it
 * out) and the call asked for several forms of one parameter, only a version
 * number can be matched (by Version): the latest and a label are then asked
 * alone rather than guessed.
 */
function answersFor(prm: Parameter, name: string, onlyForm: boolean): boolean {
  const sel = selectorOf(name);
  if (prm.Selector !== undefined && prm.Selector !== '') return prm.Selector === sel;
  if (onlyForm) return true;
  return /^:\d+$/.test(sel) && prm.Version !== undefined && sel === `:${prm.Version}`;
}

function pathFilter(path: string): ParameterStringFilter {
  return { Key: 'Path', Option: 'Recursive', Values: [path] };
}

function matches(matcher: GoRegexp | undefined, name: string): boolean {
  if (!matcher) return true;
  return matcher.matchString(name);
}
