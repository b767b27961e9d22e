/**
 * The bytes ESO's vault provider hands out for a secret (GetSecret) and the
 * map it makes for dataFrom.extract (GetSecretMap). See eso-reference §7:
 * whole secrets are Go json.Marshal output; a property is first an exact
 * top-level key, then a gjson path; extract re-reads the JSON through Go's
 * float64 numbers.
 */
import { InvalidDataError, PropertyNotFoundError } from '../../util/errors.ts';
import { formatFloatF, getOwn, goMarshal, goQuote, isJsonObject, JsonNumber, parseJson, type JsonObject, type JsonValue } from '../util/gojson.ts';
import { gjsonGet, gjsonString } from '../util/gjson.ts';

const utf8 = new TextEncoder();
const empty = new Uint8Array(0);

/** ESO's GetByteValue for a value decoded with json.Number. */
export function byteValue(v: JsonValue): Uint8Array {
  if (v === null) return empty;
  if (typeof v === 'string') return utf8.encode(v);
  if (typeof v === 'boolean') return utf8.encode(v ? 'true' : 'false');
  if (v instanceof JsonNumber) return utf8.encode(v.literal);
  return utf8.encode(goMarshal(v));
}

/** GetSecret's answer for the data map of one secret version. */
export function secretValue(data: JsonObject, property: string | undefined): Uint8Array {
  const whole = goMarshal(data);
  if (property === undefined || property === '') return utf8.encode(whole);
  // An exact top-level key wins over gjson syntax (ESO keeps this for backward compatibility).
  const exact = getOwn(data, property);
  if (exact !== undefined) return byteValue(exact);
  const r = gjsonGet(whole, property);
  if (!r) throw new PropertyNotFoundError(`cannot find secret data for key: ${goQuote(property)}`);
  return utf8.encode(gjsonString(r));
}

/** GetSecretMap: a JSON object value split into keys, values re-encoded the way Go's float64 decoding leaves them. */
export function secretMap(value: Uint8Array, key: string): Map<string, Uint8Array> {
  let parsed: JsonValue;
  try {
    parsed = parseJson(Buffer.from(value).toString('utf8'));
  } catch {
    throw new InvalidDataError(`vault: secret ${goQuote(key)} is not valid JSON, so it cannot be extracted into keys`);
  }
  const out = new Map<string, Uint8Array>();
  if (parsed === null) return out; // Go unmarshals `null` into an empty map
  if (!isJsonObject(parsed)) throw new InvalidDataError(`vault: secret ${goQuote(key)} is not a JSON object, so it cannot be extracted into keys`);
  for (const k of Object.keys(parsed)) out.set(k, floatByteValue(parsed[k] as JsonValue));
  return out;
}

function floatByteValue(v: JsonValue): Uint8Array {
  if (v === null) return empty;
  if (typeof v === 'string') return utf8.encode(v);
  if (typeof v === 'boolean') return utf8.encode(v ? 'true' : 'false');
  if (v instanceof JsonNumber) return utf8.encode(formatFloatF(v.toFloat()));
  return utf8.encode(goMarshal(v, { numbers: 'float64' }));
}
