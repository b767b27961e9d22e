/**
 * Converting host data to Go values and back. ESO hands templates a
 * map[string]string of the secret's bytes; other callers (hush render, tests)
 * may pass JSON-like data, which becomes what encoding/json would produce.
 */
import { fromBytes, fromText } from './gostr.ts';
import { GoInt, GoMap, GoSlice, GoStruct, isFunc, type GoValue } from './values.ts';

/** ESO-style Record<string, string | bytes>, a GoValue, or JSON-like data. */
export type TemplateData = unknown;

function isGoValue(x: unknown): x is GoValue {
  return (
    x === null ||
    typeof x === 'string' ||
    typeof x === 'boolean' ||
    typeof x === 'number' ||
    x instanceof GoInt ||
    x instanceof GoSlice ||
    x instanceof GoMap ||
    x instanceof GoStruct ||
    isFunc(x as GoValue)
  );
}

/**
 * A plain object whose values are all strings or bytes becomes
 * map[string]string (what ESO passes, so `get . "k"` fails as it does there);
 * anything else is converted like JSON (objects → map[string]interface{},
 * arrays → []interface{}, numbers → float64). JS strings are text and are
 * stored as their UTF-8 bytes.
 */
export function toGoData(data: TemplateData): GoValue {
  if (data !== null && typeof data === 'object' && !isGoValue(data) && !Array.isArray(data) && !(data instanceof Uint8Array)) {
    const entries = Object.entries(data as Record<string, unknown>);
    if (entries.every(([, v]) => typeof v === 'string' || v instanceof Uint8Array)) {
      return new GoMap(
        'string',
        new Map(entries.map(([k, v]) => [fromText(k), typeof v === 'string' ? fromText(v) : fromBytes(v as Uint8Array)])),
      );
    }
  }
  return toGoValue(data);
}

export function toGoValue(x: unknown): GoValue {
  if (x === undefined || x === null) return null;
  if (typeof x === 'string') return fromText(x);
  if (typeof x === 'number' || typeof x === 'boolean') return x;
  if (typeof x === 'bigint') return new GoInt('int64', x);
  if (isGoValue(x)) return x;
  if (x instanceof Uint8Array) return fromBytes(x);
  if (Array.isArray(x)) return new GoSlice('interface {}', x.map(toGoValue));
  if (x instanceof Map) return new GoMap('interface {}', new Map([...x].map(([k, v]) => [fromText(String(k)), toGoValue(v)])));
  if (typeof x === 'object') {
    return new GoMap('interface {}', new Map(Object.entries(x).map(([k, v]) => [fromText(k), toGoValue(v)])));
  }
  // Symbols and functions have no Go counterpart.
  return '';
}
