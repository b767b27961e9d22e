/** encoding/json as sprig uses it: Marshal (sorted keys, HTML-safe escapes), MarshalIndent, Unmarshal into interface{}. */
import { decodeRune, fromText, RUNE_ERROR, toText } from '../gostr.ts';
import { allocate } from '../limits.ts';
import { formatFloat } from '../strconv.ts';
import { fn, GoFuncError, GoInt, GoMap, GoSlice, GoStruct, ifaceMap, ifaceSlice, isFunc, sortedKeys, typeName, type GoFunc, type GoValue } from '../values.ts';

const hex = '0123456789abcdef';

/** Quotes a byte string as encoding/json does. */
export function jsonString(s: string, escapeHTML: boolean): string {
  let out = '"';
  for (let i = 0; i < s.length; ) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      if (c >= 0x20 && c !== 0x22 && c !== 0x5c && (!escapeHTML || (c !== 0x3c && c !== 0x3e && c !== 0x26))) out += s[i];
      else {
        switch (c) {
          case 0x22:
            out += '\\"';
            break;
          case 0x5c:
            out += '\\\\';
            break;
          case 0x08:
            out += '\\b';
            break;
          case 0x0c:
            out += '\\f';
            break;
          case 0x0a:
            out += '\\n';
            break;
          case 0x0d:
            out += '\\r';
            break;
          case 0x09:
            out += '\\t';
            break;
          default:
            out += '\\u00' + hex[c >> 4]! + hex[c & 15]!;
        }
      }
      i++;
      continue;
    }
    const [r, w] = decodeRune(s, i);
    if (r === RUNE_ERROR && w === 1) out += '\\ufffd';
    else if (r === 0x2028 || r === 0x2029) out += '\\u202' + hex[r & 15]!;
    else out += s.slice(i, i + w);
    i += w;
  }
  return out + '"';
}

function jsonFloat(f: number): string {
  if (!Number.isFinite(f)) throw new GoFuncError(`json: unsupported value: ${Number.isNaN(f) ? 'NaN' : f > 0 ? '+Inf' : '-Inf'}`);
  const abs = Math.abs(f);
  let fmt: 'e' | 'f' = 'f';
  if (abs !== 0 && (abs < 1e-6 || abs >= 1e21)) fmt = 'e';
  let b = formatFloat(f, fmt, -1);
  if (fmt === 'e') b = b.replace(/e-0(\d)$/, 'e-$1');
  return b;
}

export function marshal(v: GoValue, escapeHTML = true, indent?: string, depth = 0): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return jsonString(v, escapeHTML);
  if (typeof v === 'number') return jsonFloat(v);
  if (v instanceof GoInt) return v.v.toString();
  const nl = (d: number): string => (indent === undefined ? '' : '\n' + indent.repeat(d));
  const colon = indent === undefined ? ':' : ': ';
  if (v instanceof GoSlice) {
    if (v.isNil) return 'null';
    if (v.elem === 'uint8') return '"' + Buffer.from(v.items.map((b) => Number((b as GoInt).v))).toString('base64') + '"';
    if (v.items.length === 0) return '[]';
    return '[' + v.items.map((x) => nl(depth + 1) + marshal(x, escapeHTML, indent, depth + 1)).join(',') + nl(depth) + ']';
  }
  if (v instanceof GoMap) {
    if (v.isNil) return 'null';
    const keys = sortedKeys(v);
    if (keys.length === 0) return '{}';
    return '{' + keys.map((k) => nl(depth + 1) + jsonString(k, escapeHTML) + colon + marshal(v.m.get(k) ?? null, escapeHTML, indent, depth + 1)).join(',') + nl(depth) + '}';
  }
  if (v instanceof GoStruct) {
    if (v.marshalJSON) return v.marshalJSON();
    const entries = [...v.fields];
    if (entries.length === 0) return '{}';
    return '{' + entries.map(([k, x]) => nl(depth + 1) + jsonString(k, escapeHTML) + colon + marshal(x, escapeHTML, indent, depth + 1)).join(',') + nl(depth) + '}';
  }
  if (isFunc(v)) throw new GoFuncError(`json: unsupported type: ${typeName(v)}`);
  return 'null';
}

/** json.Unmarshal into interface{}: objects, []interface{}, float64, string, bool, nil. */
export function unmarshal(s: string): GoValue {
  let parsed: unknown;
  try {
    parsed = JSON.parse(toText(s));
  } catch {
    // JS parse errors quote the input; secret data must not reach messages.
    throw new GoFuncError('invalid JSON input');
  }
  const conv = (x: unknown): GoValue => {
    if (x === null) return null;
    if (typeof x === 'string') return fromText(x);
    if (typeof x === 'number') {
      if (!Number.isFinite(x)) throw new GoFuncError('json: number out of range');
      return x;
    }
    if (typeof x === 'boolean') return x;
    if (Array.isArray(x)) return ifaceSlice(x.map(conv));
    return ifaceMap(Object.entries(x as Record<string, unknown>).map(([k, val]) => [fromText(k), conv(val)]));
  };
  return conv(parsed);
}

function sized(s: string): string {
  allocate(s.length);
  return s;
}

export function jsonFuncs(): GoFunc[] {
  const IF = 'interface {}';
  const quiet = (f: () => string): string => {
    try {
      return f();
    } catch {
      return '';
    }
  };
  return [
    fn('fromJson', ['string'], IF, (s) => {
      try {
        return unmarshal(s as string);
      } catch {
        return null;
      }
    }),
    fn('mustFromJson', ['string'], IF, (s) => unmarshal(s as string), { canFail: true }),
    fn('toJson', [IF], 'string', (v) => sized(quiet(() => marshal(v)))),
    fn('mustToJson', [IF], 'string', (v) => sized(marshal(v)), { canFail: true }),
    fn('toPrettyJson', [IF], 'string', (v) => sized(quiet(() => marshal(v, true, '  ')))),
    fn('mustToPrettyJson', [IF], 'string', (v) => sized(marshal(v, true, '  ')), { canFail: true }),
    // toRawJson panics on error in Go, which the template reports as an error.
    fn('toRawJson', [IF], 'string', (v) => sized(marshal(v, false))),
    fn('mustToRawJson', [IF], 'string', (v) => sized(marshal(v, false)), { canFail: true }),
  ];
}
