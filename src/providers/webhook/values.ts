/**
 * What ESO's webhook provider makes of an answer, with Go's JSON decoding
 * into interface{} (numbers become float64):
 *
 * - GetSecret with result.jsonPath: the selected value — strings as is,
 *   numbers rounded to an integer (strconv.FormatFloat(v, 'f', 0, 64)),
 *   booleans as text, null empty, an object as Go JSON, a list as its first
 *   element (ESO keeps that for backward compatibility; an empty list is an
 *   error). Without a jsonPath: the body as received.
 * - GetSecretMap: the (selected) value must be an object, or a string holding
 *   one; members become values the way ESO's GetByteValue writes them.
 */
import { InvalidDataError, PropertyNotFoundError } from '../../util/errors.ts';
import { formatFloatF, goMarshal, JsonNumber, objectFromEntries, type JsonValue } from '../util/gojson.ts';
import { jsonPathGet, JsonPathError, type Json } from './jsonpath.ts';

const utf8 = new TextEncoder();

export function parseAnswer(body: Uint8Array, what: string): Json {
  try {
    return JSON.parse(Buffer.from(body).toString('utf8')) as Json;
  } catch {
    // The body may hold secrets: say only that it is not JSON.
    throw new InvalidDataError(`webhook: failed to parse response json (${what} is not JSON)`);
  }
}

export function selectPath(data: Json, path: string): Json {
  try {
    return jsonPathGet(path, data);
  } catch (err) {
    if (err instanceof JsonPathError) throw new PropertyNotFoundError(`webhook: failed to get response path ${path}: ${err.message}`);
    throw err;
  }
}

/** ESO's extractSecretData. */
export function singleValue(v: Json): Uint8Array {
  if (v === null) return new Uint8Array(0);
  if (typeof v === 'string') return utf8.encode(v);
  if (typeof v === 'boolean') return utf8.encode(v ? 'true' : 'false');
  if (typeof v === 'number') return utf8.encode(roundedInteger(v));
  if (Array.isArray(v)) {
    if (v.length === 0) throw new PropertyNotFoundError("webhook: filter worked but didn't get any result");
    return singleValue(v[0] as Json);
  }
  return utf8.encode(goMarshal(toGo(v), { numbers: 'float64' }));
}

/** ESO's GetSecretMap over an answer already narrowed by the jsonPath. */
export function valueMap(v: Json): Map<string, Uint8Array> {
  let obj = v;
  if (typeof obj === 'string') {
    try {
      obj = JSON.parse(obj) as Json;
    } catch {
      throw new InvalidDataError('webhook: failed to parse response json from jsonpath (the selected string is not JSON)');
    }
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    throw new InvalidDataError(`webhook: failed to get response (wrong type: ${goTypeName(obj)}), need a JSON object to extract keys from`);
  }
  const out = new Map<string, Uint8Array>();
  for (const [k, x] of Object.entries(obj)) out.set(k, byteValue(x));
  return out;
}

/** ESO's GetByteValue for a value decoded into interface{}. */
function byteValue(v: Json): Uint8Array {
  if (v === null) return new Uint8Array(0);
  if (typeof v === 'string') return utf8.encode(v);
  if (typeof v === 'boolean') return utf8.encode(v ? 'true' : 'false');
  if (typeof v === 'number') return utf8.encode(formatFloatF(v));
  return utf8.encode(goMarshal(toGo(v), { numbers: 'float64' }));
}

/** strconv.FormatFloat(v, 'f', 0, 64): the nearest integer, ties to even, never an exponent. */
export function roundedInteger(v: number): string {
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : v < 0 ? '-Inf' : 'NaN';
  const fl = Math.floor(v);
  const frac = v - fl;
  const r = frac > 0.5 ? fl + 1 : frac < 0.5 ? fl : fl % 2 === 0 ? fl : fl + 1;
  if (r === 0) return Object.is(v, -0) || v < 0 ? '-0' : '0';
  return BigInt(r).toString();
}

function toGo(v: Json): JsonValue {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return new JsonNumber(String(v));
  if (Array.isArray(v)) return v.map(toGo);
  return objectFromEntries(Object.entries(v).map(([k, x]): [string, JsonValue] => [k, toGo(x)]));
}

function goTypeName(v: Json): string {
  if (v === null) return '<nil>';
  if (Array.isArray(v)) return '[]interface {}';
  if (typeof v === 'number') return 'float64';
  return typeof v;
}
