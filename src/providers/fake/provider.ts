/**
 * ESO's fake provider: static `data[]` entries in the store spec, for demos
 * and tests. Keys are looked up with their version (an entry without a version
 * only answers refs without one); a property is a gjson path into the value.
 */
import { InternalError, InvalidDataError, InvalidSpecError, NotFoundError, NotSupportedError } from '../../util/errors.ts';
import { rawSecret } from '../../read/rawref.ts';
import type { Diagnostic, FindSpec, Projection, Provider, RawRef, RawSecret, RemoteRef, StoreClient, StoreContext, ValidationResult } from '../types.ts';
import { gjsonGet, gjsonObjectMembers, gjsonString } from '../util/gjson.ts';
import { goMarshal, goQuote, objectFromEntries } from '../util/gojson.ts';
import { compileGoRegexp } from '../../util/goregexp.ts';
import { Fields } from '../util/spec.ts';

const ROOT = 'spec.provider.fake';
const utf8 = new TextEncoder();

interface FakeEntry {
  key: string;
  value: string;
  version: string;
}

interface FakeSpec {
  entries: FakeEntry[];
  validationResult: ValidationResult['state'] | undefined;
}

function parseFakeSpec(raw: unknown): { spec?: FakeSpec; diagnostics: Diagnostic[] } {
  const diags: Diagnostic[] = [];
  const f = Fields.of(diags, ROOT, raw);
  if (!f) return { diagnostics: diags };
  const entries: FakeEntry[] = [];
  const data = f.obj.data;
  if (data !== undefined && data !== null && !Array.isArray(data)) f.problem('data', 'must be a list');
  (Array.isArray(data) ? (data as unknown[]) : []).forEach((item, i) => {
    const e = Fields.of(diags, `${ROOT}.data[${i}]`, item);
    if (!e) return;
    const key = e.str('key');
    if (!key) e.problem('key', 'key must be set');
    let value = e.str('value') ?? '';
    // valueMap was dropped from ESO's v1 API; older manifests still carry it. Its JSON form is what GetSecretMap reads.
    const valueMap = e.strMap('valueMap');
    if (value === '' && valueMap) value = goMarshal(objectFromEntries(Object.entries(valueMap)));
    if (value === '') e.problem('value', 'at least one value must be set');
    if (key) entries.push({ key, value, version: e.str('version') ?? '' });
  });
  const vr = f.str('validationResult', { oneOf: ['Ready', 'Unknown', 'Error'] }) as FakeSpec['validationResult'];
  return diags.length > 0 ? { diagnostics: diags } : { spec: { entries, validationResult: vr }, diagnostics: diags };
}

function fakeEntry(raw: RawSecret): FakeEntry {
  const e = raw.payload as FakeEntry | undefined;
  if (e === undefined || typeof e.value !== 'string') throw new InternalError('fake: projection given a payload this client did not read');
  return e;
}

/** ESO's fake GetSecret/GetSecretMap over the entry read() found. */
const fakeProjection: Projection = {
  value(raw: RawSecret, ref: RemoteRef): Uint8Array {
    const e = fakeEntry(raw);
    if (!ref.property) return utf8.encode(e.value);
    const r = gjsonGet(e.value, ref.property);
    // ESO's fake answers a missing property with its "secret does not exist" error.
    if (!r) throw new NotFoundError(`fake: property ${goQuote(ref.property)} not found in secret ${goQuote(ref.key)}`);
    return utf8.encode(gjsonString(r));
  },
  map(raw: RawSecret, ref: RemoteRef): Map<string, Uint8Array> {
    const text = Buffer.from(fakeProjection.value(raw, ref)).toString('utf8');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new InvalidDataError(`fake: unable to unmarshal secret ${goQuote(ref.key)}: not valid JSON`);
    }
    const out = new Map<string, Uint8Array>();
    if (parsed === null) return out;
    const members = gjsonObjectMembers(text);
    if (!members) throw new InvalidDataError(`fake: unable to unmarshal secret ${goQuote(ref.key)}: not a JSON object`);
    // ESO keeps each value's raw JSON text unless it is a string, which is unquoted.
    for (const [k, r] of members) out.set(k, utf8.encode(r.type === 'string' ? gjsonString(r) : r.raw));
    return out;
  },
};

class FakeStoreClient implements StoreClient {
  readonly projection: Projection = fakeProjection;
  /** Keyed like ESO: key and version concatenated. */
  private readonly byKey = new Map<string, FakeEntry>();
  private readonly validation: FakeSpec['validationResult'];

  constructor(spec: FakeSpec) {
    // Frozen: an entry is handed out as a shared payload.
    for (const e of spec.entries) this.byKey.set(e.key + e.version, Object.freeze({ ...e }));
    this.validation = spec.validationResult;
  }

  private entry(ref: RawRef): FakeEntry {
    const version = ref.version ?? '';
    const e = this.byKey.get(ref.key + version);
    if (!e || e.version !== version) throw new NotFoundError(`fake: secret ${goQuote(ref.key)}${version ? ` version ${goQuote(version)}` : ''} does not exist`);
    return e;
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async so that lookups fail as rejections
  async read(ref: RawRef, _signal: AbortSignal): Promise<RawSecret> {
    // No change marker: an entry's version is the name a ref asks for, not a revision, and
    // an edited store spec may give the same version another value.
    return rawSecret(this.entry(ref));
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async so that a bad find fails as a rejection
  async findSecrets(find: FindSpec, _signal: AbortSignal): Promise<Map<string, Uint8Array>> {
    if (!find.name) throw new NotSupportedError('fake: find supports only name.regexp');
    const re = compileGoRegexp(find.name.regexp, { field: 'find.name.regexp' });
    const latest = new Map<string, FakeEntry>();
    for (const e of this.byKey.values()) {
      if (!re.matchString(e.key)) continue;
      const cur = latest.get(e.key);
      // ESO compares versions as strings.
      if (!cur || cur.version < e.version) latest.set(e.key, e);
    }
    return new Map([...latest].map(([k, e]) => [k, utf8.encode(e.value)]));
  }

  validate(_signal: AbortSignal): Promise<ValidationResult> {
    if (this.validation && this.validation !== 'Ready') {
      return Promise.resolve({ state: this.validation, message: 'unable to validate' });
    }
    return Promise.resolve({ state: 'Ready', message: 'store validated' });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

export const fakeProvider: Provider = {
  name: 'fake',
  metricsName: 'Fake',
  validateStore(spec: unknown, _storeKind: StoreContext['storeKind']): Diagnostic[] {
    return parseFakeSpec(spec).diagnostics;
  },
  connect(ctx: StoreContext): Promise<StoreClient> {
    const { spec, diagnostics } = parseFakeSpec(ctx.spec);
    if (!spec) return Promise.reject(new InvalidSpecError(diagnostics.map((d) => `${d.field}: ${d.message}`).join('; ')));
    return Promise.resolve(new FakeStoreClient(spec));
  },
};
