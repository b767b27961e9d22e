/**
 * The bytes ESO's gcpsm provider hands out:
 *
 * - GetSecret without property: the payload as stored (binary safe).
 * - With a property: the payload must be JSON; a property with dots is first
 *   tried as one literal key (`a.b` → the key "a.b"), then as a gjson path;
 *   the value is gjson's String() (strings unescaped, objects as their text).
 * - GetSecretMap (extract): a JSON object; string members unescaped, every
 *   other member as its exact source text (Go's json.RawMessage: `1.0` stays
 *   `1.0`, nested objects keep their spacing), null as an empty value.
 * - metadataPolicy Fetch: `{"annotations":…,"labels":…}` as Go marshals it
 *   (an empty map is `null`), or one map, or one value by `labels.<k>`.
 */
import { InvalidDataError, PropertyNotFoundError } from '../../util/errors.ts';
import { gjsonGet, gjsonObjectMembers, gjsonString } from '../util/gjson.ts';
import { goMarshal, goQuote, objectFromEntries, type JsonValue } from '../util/gojson.ts';

const utf8 = new TextEncoder();

/** The value of `property` inside a JSON payload. */
export function propertyValue(payload: Uint8Array, property: string, key: string): Uint8Array {
  const text = Buffer.from(payload).toString('utf8');
  if (!isValidJson(text)) throw new InvalidDataError(`gcpsm: secret ${goQuote(key)} is not JSON, so property ${goQuote(property)} cannot be read from it (unable to unmarshal secret from JSON)`);
  if (property.indexOf('.') > 0) {
    const literal = gjsonGet(text, property.replaceAll('.', '\\.'));
    if (literal) return utf8.encode(gjsonString(literal));
  }
  const r = gjsonGet(text, property);
  if (!r) throw new PropertyNotFoundError(`gcpsm: key ${property} does not exist in secret ${key}`);
  return utf8.encode(gjsonString(r));
}

/** dataFrom.extract: a JSON object split into keys. */
export function payloadMap(payload: Uint8Array, key: string): Map<string, Uint8Array> {
  const text = Buffer.from(payload).toString('utf8');
  if (!isValidJson(text)) throw new InvalidDataError(`gcpsm: secret ${goQuote(key)} is not valid JSON, so it cannot be extracted into keys (unable to unmarshal secret from JSON)`);
  const out = new Map<string, Uint8Array>();
  if (text.trim() === 'null') return out; // Go unmarshals `null` into an empty map
  const members = gjsonObjectMembers(text);
  if (!members) throw new InvalidDataError(`gcpsm: secret ${goQuote(key)} is not a JSON object, so it cannot be extracted into keys`);
  for (const [k, r] of members) {
    if (r.type === 'string') out.set(k, utf8.encode(JSON.parse(r.raw) as string));
    else if (r.type === 'null') out.set(k, new Uint8Array(0));
    else out.set(k, utf8.encode(r.raw));
  }
  return out;
}

/** metadataPolicy Fetch: the secret's labels and annotations, shaped by `property`. */
export function metadataValue(meta: { labels: Record<string, string>; annotations: Record<string, string> }, property: string | undefined, key: string): Uint8Array {
  const p = property ?? '';
  for (const kind of ['annotations', 'labels'] as const) {
    if (p.startsWith(`${kind}.`)) {
      const name = p.slice(kind.length + 1);
      if (!Object.hasOwn(meta[kind], name)) throw new PropertyNotFoundError(`gcpsm: ${kind === 'labels' ? 'label' : 'annotation'} with key ${name} does not exist in secret ${key}`);
      return utf8.encode(meta[kind][name]);
    }
  }
  if (p === 'annotations' || p === 'labels') return utf8.encode(goMap(meta[p]));
  if (p !== '') throw new PropertyNotFoundError(`gcpsm: invalid property ${p}: metadata property should start with either annotations or labels`);
  return utf8.encode(`{"annotations":${goMap(meta.annotations)},"labels":${goMap(meta.labels)}}`);
}

/** Go's json.Marshal of a map[string]string that protobuf left nil when empty. */
function goMap(m: Record<string, string>): string {
  const keys = Object.keys(m);
  if (keys.length === 0) return 'null';
  return goMarshal(objectFromEntries(keys.map((k): [string, JsonValue] => [k, m[k] as string])));
}

function isValidJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
