/**
 * Go's strconv number and quoting formats, which differ from JavaScript's:
 * `%v` of 1e6 is "1e+06", exact ties round half to even, and Quote escapes
 * invalid UTF-8 bytes as \xNN.
 */
import { decodeRune, encodeRune, isPrint, isGraphic, RUNE_ERROR } from './gostr.ts';

/** Decimal digits (no leading or trailing zeros) with the decimal point after `dp` digits. */
interface Digits {
  d: string;
  dp: number;
}

function exactDigits(x: number): Digits {
  // x > 0 and finite. x = mant * 2^exp exactly.
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  const hi = buf.getUint32(0);
  const lo = buf.getUint32(4);
  const bexp = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (bexp === 0) exp = -1074;
  else {
    mant |= 1n << 52n;
    exp = bexp - 1075;
  }
  let digits: string;
  let dp: number;
  if (exp >= 0) {
    digits = (mant << BigInt(exp)).toString();
    dp = digits.length;
  } else {
    digits = (mant * 5n ** BigInt(-exp)).toString();
    dp = digits.length + exp;
  }
  return trimDigits({ d: digits, dp });
}

function trimDigits(g: Digits): Digits {
  let d = g.d;
  let dp = g.dp;
  let i = 0;
  while (i < d.length && d[i] === '0') i++;
  d = d.slice(i);
  dp -= i;
  d = d.replace(/0+$/, '');
  if (d.length === 0) dp = 0;
  return { d, dp };
}

/** Rounds to nd digits, half to even on exact ties (strconv's decimal.Round). */
function roundDigits(g: Digits, nd: number): Digits {
  if (nd < 0) return { d: '', dp: 0 };
  if (nd >= g.d.length) return g;
  const c = g.d.charCodeAt(nd) - 48;
  let up: boolean;
  if (c === 5 && nd + 1 === g.d.length) up = nd > 0 && (g.d.charCodeAt(nd - 1) - 48) % 2 === 1;
  else up = c >= 5;
  if (!up) return trimDigits({ d: g.d.slice(0, nd), dp: g.dp });
  // Round up: increment the nd-digit prefix.
  let i = nd - 1;
  while (i >= 0 && g.d[i] === '9') i--;
  if (i < 0) return { d: '1', dp: g.dp + 1 };
  return trimDigits({ d: g.d.slice(0, i) + String.fromCharCode(g.d.charCodeAt(i) + 1), dp: g.dp });
}

function shortestDigits(x: number): Digits {
  const s = x.toExponential(); // shortest round-trip digits, as Go's shortest mode
  const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s)!;
  return trimDigits({ d: m[1]! + (m[2] ?? ''), dp: Number(m[3]) + 1 });
}

function fmtE(neg: boolean, g: Digits, prec: number, e: string): string {
  let out = neg ? '-' : '';
  out += g.d.length === 0 ? '0' : g.d[0];
  if (prec > 0) {
    out += '.';
    for (let i = 1; i <= prec; i++) out += i < g.d.length ? g.d[i] : '0';
  }
  out += e;
  let exp = g.d.length === 0 ? 0 : g.dp - 1;
  if (exp < 0) {
    out += '-';
    exp = -exp;
  } else out += '+';
  out += exp < 10 ? '0' + exp : String(exp);
  return out;
}

function fmtF(neg: boolean, g: Digits, prec: number): string {
  let out = neg ? '-' : '';
  if (g.dp > 0) {
    let m = Math.min(g.d.length, g.dp);
    out += g.d.slice(0, m);
    for (; m < g.dp; m++) out += '0';
  } else out += '0';
  if (prec > 0) {
    out += '.';
    for (let i = 1; i <= prec; i++) {
      const j = g.dp + i - 1;
      out += j >= 0 && j < g.d.length ? g.d[j] : '0';
    }
  }
  return out;
}

/** strconv.FormatFloat(x, fmt, prec, 64) for fmt in e E f g G; prec -1 = shortest. */
export function formatFloat(x: number, fmt: 'e' | 'E' | 'f' | 'g' | 'G', prec: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  const neg = x < 0 || Object.is(x, -0);
  const ax = Math.abs(x);
  const shortest = prec < 0;
  let g: Digits;
  if (ax === 0) g = { d: '', dp: 0 };
  else if (shortest) g = shortestDigits(ax);
  else {
    const exact = exactDigits(ax);
    switch (fmt) {
      case 'e':
      case 'E':
        g = roundDigits(exact, prec + 1);
        break;
      case 'f':
        g = roundDigits(exact, exact.dp + prec);
        break;
      default:
        g = roundDigits(exact, prec === 0 ? 1 : prec);
    }
  }
  if (shortest) {
    if (fmt === 'e' || fmt === 'E') prec = Math.max(g.d.length - 1, 0);
    else if (fmt === 'f') prec = Math.max(g.d.length - g.dp, 0);
    else prec = g.d.length;
  }
  switch (fmt) {
    case 'e':
    case 'E':
      return fmtE(neg, g, prec, fmt);
    case 'f':
      return fmtF(neg, g, prec);
  }
  if (!shortest && prec === 0) prec = 1;
  let eprec = prec;
  const nd = g.d.length;
  if (eprec > nd && nd >= g.dp) eprec = nd;
  if (shortest) eprec = 6;
  const exp = (nd === 0 ? 1 : g.dp) - 1;
  if (exp < -4 || exp >= eprec) {
    if (prec > nd) prec = nd;
    return fmtE(neg, g, Math.max(prec - 1, 0), fmt === 'g' ? 'e' : 'E');
  }
  if (prec > g.dp) prec = nd;
  return fmtF(neg, g, Math.max(prec - g.dp, 0));
}

const hexDigits = '0123456789abcdef';

function appendEscapedRune(r: number, quote: number, asciiOnly: boolean, graphicOnly: boolean): string {
  if (r === quote || r === 0x5c) return '\\' + encodeRune(r);
  if (asciiOnly) {
    if (r < 0x80 && isPrint(r)) return String.fromCharCode(r);
  } else if (isPrint(r) || (graphicOnly && isGraphic(r))) return encodeRune(r);
  switch (r) {
    case 7:
      return '\\a';
    case 8:
      return '\\b';
    case 12:
      return '\\f';
    case 10:
      return '\\n';
    case 13:
      return '\\r';
    case 9:
      return '\\t';
    case 11:
      return '\\v';
  }
  if (r < 0x20 || r === 0x7f) return '\\x' + hexDigits[r >> 4]! + hexDigits[r & 15]!;
  if (r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff)) r = RUNE_ERROR;
  if (r < 0x10000) return '\\u' + r.toString(16).padStart(4, '0');
  return '\\U' + r.toString(16).padStart(8, '0');
}

/** strconv.Quote family over a byte string; returns a byte string. */
export function quoteWith(s: string, quote: number, asciiOnly = false, graphicOnly = false): string {
  let out = String.fromCharCode(quote);
  for (let i = 0; i < s.length; ) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      out += appendEscapedRune(c, quote, asciiOnly, graphicOnly);
      i++;
      continue;
    }
    const [r, w] = decodeRune(s, i);
    if (w === 1 && r === RUNE_ERROR) {
      out += '\\x' + hexDigits[c >> 4]! + hexDigits[c & 15]!;
      i++;
      continue;
    }
    out += appendEscapedRune(r, quote, asciiOnly, graphicOnly);
    i += w;
  }
  return out + String.fromCharCode(quote);
}

export function quote(s: string): string {
  return quoteWith(s, 0x22);
}
export function quoteToASCII(s: string): string {
  return quoteWith(s, 0x22, true);
}
export function quoteRune(r: number, asciiOnly = false): string {
  if (r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff) || r < 0) r = RUNE_ERROR;
  return "'" + appendEscapedRune(r, 0x27, asciiOnly, false) + "'";
}

/** strconv.CanBackquote. */
export function canBackquote(s: string): boolean {
  for (let i = 0; i < s.length; ) {
    const [r, w] = decodeRune(s, i);
    i += w;
    if (w > 1) {
      if (r === 0xfeff) return false;
      continue;
    }
    if (r === RUNE_ERROR) return false;
    if ((r < 0x20 && r !== 9) || r === 0x60 || r === 0x7f) return false;
  }
  return true;
}

/** strconv.Unquote over a byte string: "..." with escapes, `...` raw, or '.' rune. */
export function unquote(s: string): string {
  const n = s.length;
  if (n < 2) throw new SyntaxError('invalid syntax');
  const q = s[0];
  if (q !== s[n - 1]) throw new SyntaxError('invalid syntax');
  const body = s.slice(1, n - 1);
  if (q === '`') {
    if (body.includes('`')) throw new SyntaxError('invalid syntax');
    return body.replace(/\r/g, '');
  }
  if (q !== '"' && q !== "'") throw new SyntaxError('invalid syntax');
  if (body.includes('\n')) throw new SyntaxError('invalid syntax');
  let out = '';
  let i = 0;
  let count = 0;
  while (i < body.length) {
    const [value, multibyte, next] = unquoteChar(body, i, q.charCodeAt(0));
    i = next;
    out += multibyte ? encodeRune(value) : String.fromCharCode(value);
    count++;
    if (q === "'" && count > 1) throw new SyntaxError('invalid syntax');
  }
  if (q === "'" && count !== 1) throw new SyntaxError('invalid syntax');
  return out;
}

/**
 * strconv.UnquoteChar: decodes one (possibly escaped) character at byte i.
 * Returns [value, isRune, nextIndex]; isRune=false means value is a raw byte.
 */
export function unquoteChar(s: string, i: number, quote: number): [number, boolean, number] {
  const c = s.charCodeAt(i);
  if (c === quote && (quote === 0x27 || quote === 0x22)) throw new SyntaxError('invalid syntax');
  if (c >= 0x80) {
    const [r, w] = decodeRune(s, i);
    return [r, true, i + w];
  }
  if (c !== 0x5c) return [c, true, i + 1];
  if (i + 1 >= s.length) throw new SyntaxError('invalid syntax');
  const e = s[i + 1]!;
  i += 2;
  switch (e) {
    case 'a':
      return [7, true, i];
    case 'b':
      return [8, true, i];
    case 'f':
      return [12, true, i];
    case 'n':
      return [10, true, i];
    case 'r':
      return [13, true, i];
    case 't':
      return [9, true, i];
    case 'v':
      return [11, true, i];
    case 'x':
    case 'u':
    case 'U': {
      const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = s.slice(i, i + len);
      if (hex.length < len || !/^[0-9a-fA-F]+$/.test(hex)) throw new SyntaxError('invalid syntax');
      const v = parseInt(hex, 16);
      if (e === 'x') return [v, false, i + len];
      if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) throw new SyntaxError('invalid syntax');
      return [v, true, i + len];
    }
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7': {
      const oct = s.slice(i - 1, i + 2);
      if (!/^[0-7]{3}$/.test(oct)) throw new SyntaxError('invalid syntax');
      const v = parseInt(oct, 8);
      if (v > 255) throw new SyntaxError('invalid syntax');
      return [v, false, i + 2];
    }
    case '\\':
      return [0x5c, true, i];
    case "'":
    case '"':
      if (e.charCodeAt(0) !== quote) throw new SyntaxError('invalid syntax');
      return [e.charCodeAt(0), true, i];
  }
  throw new SyntaxError('invalid syntax');
}

/**
 * strconv.ParseInt(s, base, 64) with base 0 (prefixes and underscores) or an
 * explicit base. Returns undefined for syntax errors; 'range' on overflow.
 */
export function parseIntGo(s: string, base: number, bits = 64, unsigned = false): bigint | undefined | 'range' {
  if (s.length === 0) return undefined;
  let neg = false;
  let t = s;
  if (!unsigned && (t[0] === '+' || t[0] === '-')) {
    neg = t[0] === '-';
    t = t.slice(1);
  }
  let b = base;
  let underscoresOK = false;
  if (base === 0) {
    b = 10;
    if (t[0] === '0') {
      const p = t[1]?.toLowerCase();
      if (t.length >= 3 && p === 'x') {
        b = 16;
        t = t.slice(2);
      } else if (t.length >= 3 && p === 'o') {
        b = 8;
        t = t.slice(2);
      } else if (t.length >= 3 && p === 'b') {
        b = 2;
        t = t.slice(2);
      } else {
        b = 8;
        t = t.slice(1);
      }
      underscoresOK = true;
      if (t.length === 0 && b === 8) return 0n; // "0"
    }
    underscoresOK = true;
  }
  if (t.length === 0) return undefined;
  if (t.includes('_')) {
    if (!underscoresOK || !underscoreOK(base === 0 ? s.replace(/^[+-]/, '') : t)) return undefined;
    t = t.replace(/_/g, '');
  }
  let v = 0n;
  const B = BigInt(b);
  for (const ch of t) {
    const d = parseInt(ch, 36);
    if (Number.isNaN(d) || d >= b) return undefined;
    v = v * B + BigInt(d);
  }
  if (neg) v = -v;
  const max = unsigned ? (1n << BigInt(bits)) - 1n : (1n << BigInt(bits - 1)) - 1n;
  const min = unsigned ? 0n : -(1n << BigInt(bits - 1));
  if (v > max || v < min) return 'range';
  return v;
}

function underscoreOK(s: string): boolean {
  // Underscores must separate digits (strconv.underscoreOK).
  let saw = '^';
  let i = 0;
  let hex = false;
  if (s.length >= 2 && s[0] === '0') {
    const c = s[1]!.toLowerCase();
    if (c === 'x' || c === 'o' || c === 'b') {
      hex = c === 'x';
      i = 2;
      saw = '0';
    }
  }
  for (; i < s.length; i++) {
    const c = s[i]!;
    if (/[0-9]/.test(c) || (hex && /[a-fA-F]/.test(c))) {
      saw = '0';
      continue;
    }
    if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

/** strconv.ParseFloat(s, 64) for decimal and hex floats, with underscores in literals. Undefined on syntax error. */
export function parseFloatGo(s: string, allowUnderscore = false): number | undefined {
  let t = s;
  if (allowUnderscore && t.includes('_')) t = t.replace(/_/g, '');
  const lower = t.toLowerCase();
  const sign = lower.startsWith('-') ? -1 : 1;
  const body = lower.replace(/^[+-]/, '');
  if (body === 'inf' || body === 'infinity') return sign * Infinity;
  if (body === 'nan') return NaN;
  if (/^0x/.test(body)) {
    const m = /^0x([0-9a-f]*)(?:\.([0-9a-f]*))?p([+-]?\d+)$/.exec(body);
    if (!m || (m[1] === '' && (m[2] ?? '') === '')) return undefined;
    const mant = parseInt((m[1] ?? '') + (m[2] ?? ''), 16);
    return sign * mant * 2 ** (Number(m[3]) - 4 * (m[2] ?? '').length);
  }
  if (!/^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(body)) return undefined;
  return sign * Number(body);
}

/** strconv.FormatFloat(x, 'x'|'X', -1, 64): hexadecimal mantissa and binary exponent. */
export function formatHexFloat(x: number, upper: boolean): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const neg = bits >> 63n === 1n;
  let exp = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  if (exp === 0) exp++;
  else mant |= 1n << 52n;
  exp -= 1023;
  if (mant === 0n) exp = 0;
  mant <<= 8n;
  while (mant !== 0n && (mant & (1n << 60n)) === 0n) {
    mant <<= 1n;
    exp--;
  }
  const hex = upper ? '0123456789ABCDEF' : '0123456789abcdef';
  let out = (neg ? '-' : '') + '0' + (upper ? 'X' : 'x') + String((mant >> 60n) & 1n);
  mant = (mant << 4n) & ((1n << 64n) - 1n);
  if (mant !== 0n) {
    out += '.';
    while (mant !== 0n) {
      out += hex[Number((mant >> 60n) & 15n)];
      mant = (mant << 4n) & ((1n << 64n) - 1n);
    }
  }
  out += upper ? 'P' : 'p';
  out += exp < 0 ? '-' : '+';
  const e = Math.abs(exp);
  out += e < 100 ? String(e).padStart(2, '0') : String(e);
  return out;
}
