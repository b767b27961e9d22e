/**
 * The bytes ESO's azurekv provider hands out, from what Key Vault returned:
 * a secret's value or a gjson `property` of it, a key as its JSON Web Key, a
 * certificate as its DER bytes, tags and attributes for metadataPolicy Fetch,
 * and the maps of dataFrom.extract. Pure functions; the client does the I/O.
 */
import { InvalidDataError, NotSupportedError, PropertyNotFoundError } from '../../util/errors.ts';
import { gjsonGet, gjsonObjectMembers, gjsonString } from '../util/gjson.ts';
import { goMarshal, goQuote, goQuoteJson, isJsonObject, objectFromEntries, parseJson, type JsonValue } from '../util/gojson.ts';

const utf8 = new TextEncoder();

export type ObjectType = 'secret' | 'key' | 'cert';

/** ESO's getObjType: "key/name" and "cert/name" select keys and certificates; anything after a second "/" is ignored. */
export function objectRef(key: string): { type: string; name: string } {
  const parts = key.split('/');
  if (parts.length > 1) return { type: parts[0] as string, name: parts[1] as string };
  return { type: 'secret', name: key };
}

export function unknownObjectType(name: string): NotSupportedError {
  return new NotSupportedError(`unknown Azure Keyvault object Type for ${name}`);
}

/** ESO's getProperty: the whole value, or a gjson path into it; a dotted path that finds nothing is retried as one key with dots. */
export function propertyValue(value: string, property: string | undefined, key: string): Uint8Array {
  if (!property) return utf8.encode(value);
  let r = gjsonGet(value, property);
  if (!r) {
    if (!property.includes('.')) throw new PropertyNotFoundError(`property ${property} does not exist in key ${key}`);
    r = gjsonGet(value, property.replaceAll('.', '\\.'));
    if (!r) throw new PropertyNotFoundError(`property ${property} does not exist in key ${key}`);
  }
  return utf8.encode(gjsonString(r));
}

export interface Attributes {
  expires?: Date | undefined;
  created?: Date | undefined;
  updated?: Date | undefined;
  notBefore?: Date | undefined;
}

/** Go's time.Format(time.RFC3339) of a UTC time: no fractional seconds. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The metadata metadataPolicy Fetch reads: the tags, plus (ESO's default
 * client only) the attribute.* times. With useAzureSDK ESO returns tags only.
 */
export function allMetadata(tags: Record<string, string> | undefined, attrs: Attributes, withAttributes: boolean): Map<string, string> {
  const out = new Map<string, string>(Object.entries(tags ?? {}));
  if (!withAttributes) return out;
  const set = (k: string, d: Date | undefined): void => {
    if (d) out.set(k, rfc3339(d));
  };
  set('attribute.expires', attrs.expires);
  set('attribute.created', attrs.created);
  set('attribute.updated', attrs.updated);
  set('attribute.notBefore', attrs.notBefore);
  return out;
}

/** ESO's getSecretTag: all tags as a JSON object, one tag, or a gjson path into a tag's value ("tag.path"). */
export function tagValue(meta: Map<string, string>, property: string | undefined): Uint8Array {
  if (!property) return utf8.encode(goMarshal(objectFromEntries([...meta].map(([k, v]) => [k, v] as [string, JsonValue]))));
  const exact = meta.get(property);
  if (exact !== undefined) return utf8.encode(exact);
  const idx = property.indexOf('.');
  if (idx > 0) {
    const tag = property.slice(0, idx);
    const v = meta.get(tag);
    if (v !== undefined) return propertyValue(v, property.slice(idx + 1), property);
  }
  throw new PropertyNotFoundError(`tag ${property} does not exist`);
}

/**
 * ESO's getSecretTags (dataFrom.extract with metadataPolicy Fetch): each tag
 * as "<name>_<tag>", a tag holding a JSON object of strings expanded into
 * "<name>_<tag>_<field>", and (default client) "<name>_attribute.*" times.
 */
export function flattenedMetadata(secretName: string, tags: Record<string, string> | undefined, attrs: Attributes, withAttributes: boolean): Map<string, string> {
  const out = new Map<string, string>();
  for (const [tag, value] of Object.entries(tags ?? {})) {
    const name = `${secretName}_${tag}`;
    const expanded = stringMap(value);
    if (expanded === undefined) out.set(name, value);
    else for (const [k, v] of expanded) out.set(`${name}_${k}`, v);
  }
  if (withAttributes) {
    for (const [k, v] of allMetadata(undefined, attrs, true)) out.set(`${secretName}_${k}`, v);
  }
  return out;
}

/** Go's json.Unmarshal into map[string]string: undefined when it fails; `null` gives an empty map. */
function stringMap(text: string): Map<string, string> | undefined {
  let parsed: JsonValue;
  try {
    parsed = parseJson(text);
  } catch {
    return undefined;
  }
  if (parsed === null) return new Map();
  if (!isJsonObject(parsed)) return undefined;
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(parsed)) {
    // Go reports a type error (and ESO keeps the tag whole) unless every value is a string or null.
    if (v === null) continue;
    if (typeof v !== 'string') return undefined;
    out.set(k, v);
  }
  return out;
}

/** ESO's getSecretMapProperties: one "<key>_<property>" entry, or every flattened entry. */
export function metadataExtract(flat: Map<string, string>, key: string, property: string | undefined): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  if (property) {
    const name = `${key}_${property}`;
    let v: Uint8Array;
    try {
      v = tagValue(flat, name);
    } catch {
      v = new Uint8Array(0); // ESO ignores the error and stores an empty value
    }
    out.set(name, v);
    return out;
  }
  for (const [k, v] of flat) out.set(k, utf8.encode(v));
  return out;
}

/** ESO's getSecretMapMap: a JSON object's members; strings unquoted, anything else as its JSON text. */
export function jsonObjectMap(value: string, key: string): Map<string, Uint8Array> {
  let parsed: JsonValue;
  try {
    parsed = parseJson(value);
  } catch {
    throw new InvalidDataError(`azurekv: secret ${goQuote(key)} is not valid JSON, so it cannot be extracted into keys (error unmarshalling json data)`);
  }
  const out = new Map<string, Uint8Array>();
  if (parsed === null) return out;
  if (!isJsonObject(parsed)) throw new InvalidDataError(`azurekv: secret ${goQuote(key)} is not a JSON object, so it cannot be extracted into keys`);
  for (const [k, r] of gjsonObjectMembers(value.trim()) ?? []) {
    out.set(k, utf8.encode(r.type === 'string' ? gjsonString(r) : r.type === 'null' ? '' : r.raw));
  }
  return out;
}

/** A JSON Web Key as ESO's default client marshals it: struct order, omitted empties, base64url fields as sent. */
const legacyKeyOrder = ['kid', 'kty', 'key_ops', 'n', 'e', 'd', 'dp', 'dq', 'qi', 'p', 'q', 'k', 'key_hsm', 'crv', 'x', 'y'] as const;

export function keyJson(jwk: Record<string, unknown>, useAzureSDK: boolean): string {
  // The azcore client marshals through a map, so its keys come out sorted.
  const order = useAzureSDK ? [...legacyKeyOrder].sort() : legacyKeyOrder;
  const parts: string[] = [];
  for (const k of order) {
    const v = jwk[k];
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) parts.push(`${goQuoteJson(k)}:${goMarshal(v.filter((x): x is string => typeof x === 'string'))}`);
    else if (typeof v === 'string') parts.push(`${goQuoteJson(k)}:${goQuoteJson(v)}`);
  }
  return `{${parts.join(',')}}`;
}
