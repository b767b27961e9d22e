/**
 * Scalar conversions that must match Go byte for byte, because the bytes are
 * what sops encrypts and hashes into the MAC: `strconv.FormatFloat(v,'f',-1,64)`,
 * `strconv.Itoa`, Title-case booleans and `time.Time.MarshalText`. Also the
 * go-yaml v3 rules that decide whether a plain YAML scalar is an int, a float,
 * a bool, a timestamp, null or a string.
 */
import type { Leaf, Scalar } from './tree.ts';
import { float, int } from './tree.ts';

/** Go's `strconv.FormatFloat(v, 'f', -1, 64)`: shortest round-trip digits, never an exponent. */
export function formatGoFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  // toExponential() without an argument gives the shortest digits that round-trip,
  // the same digits Go's shortest formatting picks.
  const [mant = '', expText = '0'] = Math.abs(v).toExponential().split('e');
  const digits = mant.replace('.', '');
  const exp = Number(expText);
  const sign = v < 0 ? '-' : '';
  const pointAt = exp + 1; // digits before the decimal point
  if (pointAt <= 0) return `${sign}0.${'0'.repeat(-pointAt)}${digits}`;
  if (pointAt >= digits.length) return sign + digits + '0'.repeat(pointAt - digits.length);
  return `${sign}${digits.slice(0, pointAt)}.${digits.slice(pointAt)}`;
}

/** The plaintext bytes sops encrypts (and hashes) for a value: aes/cipher.go and sops.ToBytes. */
export function leafText(leaf: Leaf): string {
  if (typeof leaf === 'string') return leaf;
  if (typeof leaf === 'boolean') return leaf ? 'True' : 'False';
  switch (leaf.kind) {
    case 'int':
    case 'time':
      return leaf.text;
    case 'float':
      return formatGoFloat(leaf.value);
    case 'comment':
      return leaf.text;
    case 'bytes':
      return leaf.data.toString('utf8');
  }
}

/** The exact bytes sops encrypts and hashes for a value. */
export function leafBytes(leaf: Leaf): Buffer {
  if (typeof leaf === 'object' && leaf.kind === 'bytes') return leaf.data;
  return Buffer.from(leafText(leaf), 'utf8');
}

/** The `type:` tag sops writes for a value. */
export function leafType(leaf: Leaf): 'str' | 'int' | 'float' | 'bool' | 'time' | 'comment' {
  if (typeof leaf === 'string') return 'str';
  if (typeof leaf === 'boolean') return 'bool';
  if (leaf.kind === 'bytes') return 'str';
  return leaf.kind;
}

/** Go's strconv.ParseBool, which sops uses to read a decrypted `bool`. */
export function parseGoBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return undefined;
}

/** Go's strconv.ParseFloat for the forms sops writes and YAML/JSON produce. */
export function parseGoFloat(s: string): number | undefined {
  const t = s.replace(/^\+/, '');
  if (/^-?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(t)) return NaN;
  if (!/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return undefined;
  return Number(t);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Go's strconv.Atoi on a 64-bit platform: decimal only, int64 range. */
export function parseGoInt(s: string): string | undefined {
  if (!/^[-+]?\d+$/.test(s)) return undefined;
  const n = BigInt(s);
  if (n < INT64_MIN || n > INT64_MAX) return undefined;
  return n.toString();
}

// --- timestamps -----------------------------------------------------------

const TIMESTAMP =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:[Tt]|[ \t]+)(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d*))?[ \t]*(Z|[-+]\d{1,2}(?::?\d{2})?)?)?$/;

/**
 * Parses what go-yaml v3 accepts as a timestamp and returns Go's MarshalText
 * form (RFC 3339, fraction with trailing zeros trimmed, zone kept as written,
 * `Z` for UTC). undefined if the text is not a timestamp.
 */
export function parseYamlTimestamp(s: string): string | undefined {
  const m = TIMESTAMP.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, se, frac, zone] = m;
  const p2 = (x: string | undefined): string => (x ?? '0').padStart(2, '0');
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  if (h !== undefined && (Number(h) > 23 || Number(mi) > 59 || Number(se) > 59)) return undefined;
  const fraction = (frac ?? '').slice(0, 9).replace(/0+$/, '');
  let z = 'Z';
  if (zone !== undefined && zone !== 'Z') {
    const zm = /^([-+])(\d{1,2}):?(\d{2})?$/.exec(zone);
    if (!zm) return undefined;
    const hh = zm[2]!.padStart(2, '0');
    const mm = zm[3] ?? '00';
    z = hh === '00' && mm === '00' ? 'Z' : `${zm[1]}${hh}:${mm}`;
  }
  return `${y}-${p2(mo)}-${p2(d)}T${p2(h)}:${p2(mi)}:${p2(se)}${fraction ? '.' + fraction : ''}${z}`;
}

// --- go-yaml v3 plain scalar resolution --------------------------------------

const YAML_NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);
const YAML_TRUE = new Set(['true', 'True', 'TRUE']);
const YAML_FALSE = new Set(['false', 'False', 'FALSE']);
const YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/** Go's strconv.ParseInt(s, 0, 64): sign, then 0x / 0o / 0b / leading-0 octal / decimal. */
function parseGoIntBase0(s: string): bigint | undefined {
  const m = /^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (!m) return undefined;
  const body = m[2]!;
  let n: bigint;
  if (/^0[oO]/.test(body)) n = BigInt('0o' + body.slice(2));
  else if (/^0[0-7]+$/.test(body)) n = BigInt('0o' + body.slice(1));
  else n = BigInt(body.toLowerCase());
  return m[1] === '-' ? -n : n;
}

/**
 * What go-yaml v3 (as sops uses it, decoding into interface{}) makes of an
 * untagged plain scalar. Strings that would resolve to anything else must be
 * quoted when written back.
 */
export function resolvePlainYaml(s: string): Scalar | null {
  if (YAML_NULLS.has(s)) return null;
  if (YAML_TRUE.has(s)) return true;
  if (YAML_FALSE.has(s)) return false;
  if (['.nan', '.NaN', '.NAN'].includes(s)) return float(NaN);
  if (['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF'].includes(s)) return float(Infinity);
  if (['-.inf', '-.Inf', '-.INF'].includes(s)) return float(-Infinity);
  const c = s[0]!;
  if (c === '.') {
    const f = parseGoFloat(s);
    return f === undefined ? s : float(f);
  }
  if (/[-+0-9]/.test(c)) {
    const t = parseYamlTimestamp(s);
    if (t !== undefined && /^\d/.test(s)) return { kind: 'time', text: t };
    const plain = s.replaceAll('_', '');
    const i = parseGoIntBase0(plain);
    if (i !== undefined && i >= INT64_MIN && i <= INT64_MAX) return int(i);
    if (YAML_FLOAT.test(plain)) {
      const f = parseGoFloat(plain);
      if (f !== undefined) return float(f);
    }
  }
  return s;
}
