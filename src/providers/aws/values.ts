/**
 * The bytes ESO's aws provider hands out, for both services:
 *
 * - a whole value is the secret string (or the binary) as stored;
 * - `property` is a gjson path into the value; a property with dots is first
 *   tried as one key (`a.b` → the key "a.b"), then as a path;
 * - extract (GetSecretMap) splits a JSON object: string members are
 *   unquoted, every other member keeps its exact JSON text (Go's
 *   json.RawMessage), `null` becomes empty;
 * - metadataPolicy Fetch reads the tags as a JSON object (Go json.Marshal of
 *   a map: sorted keys, HTML characters escaped).
 */
import { InvalidDataError, PropertyNotFoundError } from '../../util/errors.ts';
import { gjsonGet, gjsonObjectMembers, gjsonString } from '../util/gjson.ts';
import { goMarshal, goQuote, objectFromEntries } from '../util/gojson.ts';

const utf8 = new TextEncoder();
const decoder = new TextDecoder();

/** GetSecret with a property: the value at `property` in the JSON text `payload`. */
export function propertyValue(payload: string, property: string, key: string): Uint8Array {
  let path = property;
  if (property.includes('.')) {
    const escaped = property.replaceAll('.', '\\.');
    if (gjsonGet(payload, escaped)) path = escaped;
  }
  const r = gjsonGet(payload, path);
  if (!r) {
    const hint = isJson(payload) ? '' : ' (the value is not JSON, so it has no properties)';
    throw new PropertyNotFoundError(`key ${goQuote(property)} does not exist in secret ${goQuote(key)}${hint}`);
  }
  return utf8.encode(gjsonString(r));
}

/** GetSecretMap: the value as a JSON object, one entry per member. */
export function secretMap(value: Uint8Array, key: string): Map<string, Uint8Array> {
  const text = decoder.decode(value);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InvalidDataError(`unable to unmarshal secret ${goQuote(key)}: the value is not valid JSON, so it cannot be extracted into keys`);
  }
  const out = new Map<string, Uint8Array>();
  if (parsed === null) return out; // Go leaves the map empty for `null`
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InvalidDataError(`unable to unmarshal secret ${goQuote(key)}: the value is a JSON ${Array.isArray(parsed) ? 'array' : typeof parsed}, not an object`);
  }
  const members = gjsonObjectMembers(text.trim());
  if (!members) throw new InvalidDataError(`unable to unmarshal secret ${goQuote(key)}: the value is not a JSON object`);
  for (const [k, m] of members) {
    if (m.type === 'string') out.set(k, utf8.encode(JSON.parse(m.raw) as string));
    else if (m.type === 'null') out.set(k, new Uint8Array(0));
    else out.set(k, utf8.encode(m.raw));
  }
  return out;
}

/** Tags as ESO serialises them for metadataPolicy Fetch; a repeated key keeps its last value. */
export function tagsJson(tags: Iterable<{ Key?: string | undefined; Value?: string | undefined }>): string {
  const map = new Map<string, string>();
  for (const t of tags) if (t.Key !== undefined) map.set(t.Key, t.Value ?? '');
  return goMarshal(objectFromEntries(map));
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
