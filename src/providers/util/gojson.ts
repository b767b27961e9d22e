/**
 * JSON the way Go's encoding/json reads and writes it, because ESO's output
 * bytes are what users already have in their Secrets: a drop-in must produce
 * the same bytes, down to key order and escaping.
 *
 * - Numbers are kept as their literal text (Go's json.Number, which the Vault
 *   client uses), so `1.0` stays `1.0` and big integers keep every digit.
 * - Marshalling sorts object keys by their UTF-8 bytes, writes compact output,
 *   escapes `<>&` (unless escapeHTML is off, as with ESO's JSONMarshal helper),
 *   U+2028/U+2029 and control characters exactly like Go 1.22+.
 */

/** A JSON number kept as the text it was written as. */
export class JsonNumber {
  readonly literal: string;
  constructor(literal: string) {
    this.literal = literal;
  }
  toFloat(): number {
    return Number(this.literal);
  }
}

export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** JSON.parse's reviver gets the source text of primitives (Node ≥ 21). */
type ReviverContext = { source?: string };

/** Parses JSON, keeping numbers as JsonNumber. Throws SyntaxError on bad input (callers must not echo the text). */
export function parseJson(text: string): JsonValue {
  return JSON.parse(text, function (this: unknown, _key: string, value: unknown, context?: ReviverContext) {
    if (typeof value === 'number') return new JsonNumber(context?.source ?? String(value));
    return value;
  } as (this: unknown, key: string, value: unknown) => unknown) as JsonValue;
}

export function isJsonObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof JsonNumber);
}

/** Own-property lookup: keys such as `__proto__` or `constructor` are data, not prototype members. */
export function getOwn(obj: JsonObject, key: string): JsonValue | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** Builds an object safely from entries (a `__proto__` key becomes a plain property). */
export function objectFromEntries(entries: Iterable<[string, JsonValue]>): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

export interface MarshalOptions {
  /** Escape `<`, `>`, `&` as \u003c… (json.Marshal does; ESO's JSONMarshal helper does not). Default true. */
  escapeHTML?: boolean;
  /**
   * How numbers are written: `literal` keeps the text (Go json.Number);
   * `float64` re-encodes them as Go does after unmarshalling into interface{}.
   */
  numbers?: 'literal' | 'float64';
}

/** Go's json.Marshal of a value decoded into interface{}. */
export function goMarshal(value: JsonValue, options: MarshalOptions = {}): string {
  const escapeHTML = options.escapeHTML ?? true;
  const float = options.numbers === 'float64';
  const parts: string[] = [];
  const write = (v: JsonValue): void => {
    if (v === null) parts.push('null');
    else if (typeof v === 'boolean') parts.push(v ? 'true' : 'false');
    else if (typeof v === 'string') parts.push(goQuoteJson(v, escapeHTML));
    else if (v instanceof JsonNumber) parts.push(float ? goFloatJson(v.toFloat()) : v.literal);
    else if (Array.isArray(v)) {
      parts.push('[');
      v.forEach((item, i) => {
        if (i > 0) parts.push(',');
        write(item);
      });
      parts.push(']');
    } else {
      parts.push('{');
      sortedKeys(v).forEach((k, i) => {
        if (i > 0) parts.push(',');
        parts.push(goQuoteJson(k, escapeHTML), ':');
        write(v[k] as JsonValue);
      });
      parts.push('}');
    }
  };
  write(value);
  return parts.join('');
}

/** Keys in Go's map order: byte-wise UTF-8, which is code point order (not UTF-16 unit order). */
export function sortedKeys(obj: object): string[] {
  return Object.keys(obj).sort(compareCodePoints);
}

export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Only surrogates (U+D800–DFFF) sort differently from code points: they stand
    // for code points above U+FFFF, so they must sort after U+E000–FFFF.
    const sx = x >= 0xd800 && x <= 0xdfff;
    const sy = y >= 0xd800 && y <= 0xdfff;
    if (sx !== sy) return sx ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

const hex = '0123456789abcdef';

/** A JSON string literal as Go's encoder writes it. */
export function goQuoteJson(s: string, escapeHTML = true): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc: string | undefined;
    if (c < 0x20) {
      switch (c) {
        case 0x08: esc = '\\b'; break;
        case 0x0c: esc = '\\f'; break;
        case 0x0a: esc = '\\n'; break;
        case 0x0d: esc = '\\r'; break;
        case 0x09: esc = '\\t'; break;
        default: esc = '\\u00' + hex[c >> 4] + hex[c & 0xf];
      }
    } else if (c === 0x22) esc = '\\"';
    else if (c === 0x5c) esc = '\\\\';
    else if (escapeHTML && (c === 0x3c || c === 0x3e || c === 0x26)) esc = '\\u00' + hex[c >> 4] + hex[c & 0xf];
    else if (c === 0x2028) esc = '\\u2028';
    else if (c === 0x2029) esc = '\\u2029';
    else if (c >= 0xd800 && c <= 0xdfff) {
      // A valid pair passes through; a lone surrogate is invalid UTF-8 for Go and becomes U+FFFD.
      const next = s.charCodeAt(i + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      esc = '\\ufffd';
    }
    if (esc !== undefined) {
      out += s.slice(start, i) + esc;
      start = i + 1;
    }
  }
  return out + s.slice(start) + '"';
}

/** Go's encoding of a float64 in JSON: shortest digits, exponent only below 1e-6 or from 1e21. */
export function goFloatJson(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError('unsupported float value');
  if (Object.is(n, -0)) return '-0';
  // JavaScript's Number#toString uses the same shortest-digit algorithm and
  // switches to exponent form at the same thresholds, with the same `e-7` / `e+21` spelling.
  return String(n);
}

/** strconv.FormatFloat(n, 'f', -1, 64): shortest digits, never an exponent. */
export function formatFloatF(n: number): string {
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN';
  if (Object.is(n, -0)) return '-0';
  const s = String(n);
  const e = s.indexOf('e');
  if (e < 0) return s;
  const neg = s.startsWith('-');
  const mantissa = s.slice(neg ? 1 : 0, e);
  const exp = Number(s.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const digits = mantissa.replace('.', '');
  const intLen = (dot < 0 ? mantissa.length : dot) + exp;
  let out: string;
  if (intLen <= 0) out = '0.' + '0'.repeat(-intLen) + digits;
  else if (intLen >= digits.length) out = digits + '0'.repeat(intLen - digits.length);
  else out = digits.slice(0, intLen) + '.' + digits.slice(intLen);
  return (neg ? '-' : '') + out;
}

/** Go's %q for ASCII-ish text (used in ESO error messages that name keys). */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}

/**
 * Bytes as Go's string(b) sees them for JSON encoding: valid UTF-8 decodes
 * normally; each invalid byte becomes a lone surrogate, which goQuoteJson
 * writes as \ufffd — one per bad byte, exactly as Go's encoder does.
 */
export function goStringFromBytes(b: Uint8Array): string {
  let out = '';
  let i = 0;
  const bad = (): void => {
    out += String.fromCharCode(0xdc00 | (b[i] as number));
    i++;
  };
  while (i < b.length) {
    const c = b[i] as number;
    if (c < 0x80) {
      // Runs of ASCII are the common case.
      let j = i;
      while (j < b.length && (b[j] as number) < 0x80) j++;
      out += Buffer.from(b.subarray(i, j)).toString('latin1');
      i = j;
      continue;
    }
    let need = 0;
    let min = 0;
    let cp = 0;
    if (c >= 0xc2 && c <= 0xdf) [need, min, cp] = [1, 0x80, c & 0x1f];
    else if (c >= 0xe0 && c <= 0xef) [need, min, cp] = [2, 0x800, c & 0x0f];
    else if (c >= 0xf0 && c <= 0xf4) [need, min, cp] = [3, 0x10000, c & 0x07];
    else {
      bad();
      continue;
    }
    if (i + need >= b.length) {
      bad();
      continue;
    }
    let ok = true;
    for (let k = 1; k <= need; k++) {
      const cc = b[i + k] as number;
      if ((cc & 0xc0) !== 0x80) {
        ok = false;
        break;
      }
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (!ok || cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      bad();
      continue;
    }
    out += String.fromCodePoint(cp);
    i += need + 1;
  }
  return out;
}
