/** sprig's string functions (strings.go plus the goutils/xstrings helpers it wraps). */
import { randomInt } from 'node:crypto';
import {
  decodeRune,
  encodeRune,
  fromRunes,
  isDigit,
  isLetter,
  isLower,
  isNumber,
  isPunct,
  isSpace,
  isTitle,
  isUpper,
  mapRunes,
  runes,
  toLower,
  toLowerRune,
  toTitleRune,
  toUpper,
  toUpperRune,
  trimSpace,
  RUNE_ERROR,
} from '../gostr.ts';
import { sprintf } from '../fmt.ts';
import { allocate } from '../limits.ts';
import { fn, GoFuncError, GoMap, GoSlice, stringSlice, type GoFunc, type GoValue } from '../values.ts';
import { num, strval } from './conv.ts';

const S = 'string';
const I = 'int';
const IF = 'interface {}';

function sizedRepeat(s: string, count: number): string {
  if (count < 0) throw new GoFuncError('strings: negative Repeat count');
  allocate(s.length * count);
  return s.repeat(count);
}

/** strings.Trim with a cutset of runes. */
export function trimCutset(s: string, cutset: string, left = true, right = true): string {
  const set = new Set(runes(cutset));
  let start = 0;
  let end = s.length;
  if (left) {
    while (start < end) {
      const [r, w] = decodeRune(s, start);
      if (!set.has(r)) break;
      start += w;
    }
  }
  if (right) {
    while (end > start) {
      // find the last rune
      let i = end - 1;
      while (i > start && (s.charCodeAt(i) & 0xc0) === 0x80 && end - i < 4) i--;
      let [r, w] = decodeRune(s, i);
      if (i + w !== end) {
        r = RUNE_ERROR;
        w = 1;
      }
      if (!set.has(r)) break;
      end -= w;
    }
  }
  return s.slice(start, end);
}

/** strings.Split / SplitN (n < 0: all). */
export function splitN(s: string, sep: string, n: number): string[] {
  if (n === 0) return [];
  if (sep === '') {
    const out: string[] = [];
    let i = 0;
    while (i < s.length && (n < 0 || out.length < n - 1)) {
      const w = decodeRune(s, i)[1];
      out.push(s.slice(i, i + w));
      i += w;
    }
    if (i < s.length) out.push(s.slice(i));
    return out;
  }
  const parts = s.split(sep);
  if (n < 0 || parts.length <= n) return parts;
  return [...parts.slice(0, n - 1), parts.slice(n - 1).join(sep)];
}

function splitMap(parts: string[]): GoMap {
  return new GoMap('string', new Map(parts.map((p, i) => [`_${i}`, p])));
}

export function strslice(v: GoValue): GoSlice {
  if (v instanceof GoSlice) {
    if (v.elem === 'string') return v;
    return stringSlice(v.items.filter((x) => x !== null).map(strval));
  }
  if (v === null) return stringSlice([]);
  return stringSlice([strval(v)]);
}

function abbreviateFull(str: string, offset: number, maxWidth: number): string {
  if (str === '') return '';
  if (maxWidth < 4) return '';
  if (str.length <= maxWidth) return str;
  if (offset > str.length) offset = str.length;
  if (str.length - offset < maxWidth - 3) offset = str.length - (maxWidth - 3);
  if (offset <= 4) return str.slice(0, maxWidth - 3) + '...';
  if (maxWidth < 7) return '';
  if (offset + maxWidth - 3 < str.length) return '...' + abbreviateFull(str.slice(offset), 0, maxWidth - 3);
  return '...' + str.slice(str.length - (maxWidth - 3));
}

function isSeparator(r: number): boolean {
  if (r <= 0x7f) {
    return !((r >= 0x30 && r <= 0x39) || (r >= 0x61 && r <= 0x7a) || (r >= 0x41 && r <= 0x5a) || r === 0x5f);
  }
  if (isLetter(r) || isDigit(r)) return false;
  return isSpace(r);
}

/** strings.Title (deprecated in Go, still what sprig calls). */
export function title(s: string): string {
  let prev = 0x20;
  return mapRunes(s, (r) => {
    const out = isSeparator(prev) ? toTitleRune(r) : r;
    prev = r;
    return out;
  });
}

function untitle(s: string): string {
  if (s === '') return s;
  const rs = runes(s);
  let next = true;
  for (let i = 0; i < rs.length; i++) {
    if (isSpace(rs[i]!)) next = true;
    else if (next) {
      rs[i] = toLowerRune(rs[i]!);
      next = false;
    }
  }
  return fromRunes(rs);
}

function swapcase(s: string): string {
  if (s === '') return s;
  const rs = runes(s);
  let ws = true;
  for (let i = 0; i < rs.length; i++) {
    const ch = rs[i]!;
    if (isUpper(ch) || isTitle(ch)) {
      rs[i] = toLowerRune(ch);
      ws = false;
    } else if (isLower(ch)) {
      rs[i] = ws ? toTitleRune(ch) : toUpperRune(ch);
      ws = false;
    } else ws = isSpace(ch);
  }
  return fromRunes(rs);
}

function initials(s: string): string {
  // goutils walks bytes, not runes (so multi-byte letters are split).
  let out = '';
  let gap = true;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    if (isSpace(ch)) gap = true;
    else if (gap) {
      out += encodeRune(ch);
      gap = false;
    }
  }
  return out;
}

function deleteWhiteSpace(s: string): string {
  let out = '';
  let count = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    if (!isSpace(ch)) {
      out += encodeRune(ch);
      count++;
    }
  }
  return count === s.length ? s : out;
}

export function wrapCustom(str: string, wrapLength: number, newLine: string, wrapLong: boolean): string {
  if (str === '') return '';
  if (newLine === '') newLine = '\n';
  if (wrapLength < 1) wrapLength = 1;
  const n = str.length;
  let offset = 0;
  let out = '';
  while (n - offset > wrapLength) {
    if (str[offset] === ' ') {
      offset++;
      continue;
    }
    const end = wrapLength + offset + 1;
    const spaceAt = str.slice(offset, end).lastIndexOf(' ') + offset;
    if (spaceAt >= offset) {
      out += str.slice(offset, spaceAt) + newLine;
      offset = spaceAt + 1;
    } else if (wrapLong) {
      out += str.slice(offset, wrapLength + offset) + newLine;
      offset += wrapLength;
    } else {
      const e = wrapLength + offset;
      const index = str.slice(e).indexOf(' ');
      if (index === -1) {
        out += str.slice(offset);
        offset = n;
      } else {
        const at = index + e;
        out += str.slice(offset, at) + newLine;
        offset = at + 1;
      }
    }
  }
  return out + str.slice(offset);
}

// --- xstrings case conversion ---
function isConnector(r: number): boolean {
  return r === 0x2d || r === 0x5f || isSpace(r);
}
function isAlphabet(r: number): boolean {
  if (!isLetter(r)) return false;
  if (r < 0x3400) return true;
  if (r >= 0x4e00 && r <= 0x9fcc) return false;
  if (r >= 0x3400 && r <= 0x4d85) return false;
  if (r >= 0x20000 && r <= 0x2b81d) return false;
  return true;
}

function toCamelCase(str: string, isBig: boolean): string {
  if (str.length === 0) return '';
  let buf = '';
  let firstUpper = false;
  let r0 = 0;
  let r1: number;
  let size = 0;
  let i = 0;
  while (i < str.length) {
    [r0, size] = decodeRune(str, i);
    i += size;
    if (!isConnector(r0)) {
      firstUpper = isUpper(r0);
      r0 = isBig ? toUpperRune(r0) : toLowerRune(r0);
      break;
    }
    buf += encodeRune(r0);
  }
  if (i >= str.length) {
    if (size !== 0) buf += encodeRune(r0);
    return buf;
  }
  while (i < str.length) {
    r1 = r0;
    [r0, size] = decodeRune(str, i);
    i += size;
    if (isConnector(r0) && isConnector(r1)) {
      buf += encodeRune(r1);
      continue;
    }
    if (isConnector(r1)) {
      firstUpper = isUpper(r0);
      r0 = toUpperRune(r0);
    } else {
      if (firstUpper) {
        if (isUpper(r0)) r0 = toLowerRune(r0);
        else firstUpper = false;
      }
      buf += encodeRune(r1);
    }
  }
  if (firstUpper && !isBig) r0 = toLowerRune(r0);
  buf += encodeRune(r0);
  return buf;
}

type WordType = 'invalid' | 'number' | 'upper' | 'alphabet' | 'connector' | 'punct' | 'other';

function nextValidRune(s: string, at: number, prev: number): [number, number] {
  let size = 0;
  let i = at;
  while (i < s.length) {
    const [r, sz] = decodeRune(s, i);
    size += sz;
    if (r !== RUNE_ERROR) return [r, size];
    i += sz;
  }
  return [prev, size];
}

function nextWord(str: string): [WordType, string, string] {
  if (str.length === 0) return ['invalid', '', ''];
  let offset = 0;
  let rem = 0; // index into str where remaining starts
  let [r, size] = nextValidRune(str, rem, RUNE_ERROR);
  offset += size;
  if (r === RUNE_ERROR) return ['invalid', str.slice(0, offset), str.slice(offset)];
  let wt: WordType;
  const remLen = (): number => str.length - rem;
  if (isConnector(r)) {
    wt = 'connector';
    rem += size;
    while (remLen() > 0) {
      [r, size] = nextValidRune(str, rem, r);
      if (!isConnector(r)) break;
      offset += size;
      rem += size;
    }
  } else if (isPunct(r)) {
    wt = 'punct';
    rem += size;
    while (remLen() > 0) {
      [r, size] = nextValidRune(str, rem, r);
      if (!isPunct(r)) break;
      offset += size;
      rem += size;
    }
  } else if (isUpper(r)) {
    wt = 'upper';
    rem += size;
    if (remLen() > 0) {
      [r, size] = nextValidRune(str, rem, r);
      if (isUpper(r)) {
        let prevSize = size;
        offset += size;
        rem += size;
        while (remLen() > 0) {
          [r, size] = nextValidRune(str, rem, r);
          if (!isUpper(r)) break;
          prevSize = size;
          offset += size;
          rem += size;
        }
        if (remLen() > 0 && isAlphabet(r)) {
          offset -= prevSize;
          rem = offset;
        }
      } else if (isAlphabet(r)) {
        offset += size;
        rem += size;
        while (remLen() > 0) {
          [r, size] = nextValidRune(str, rem, r);
          if (!isAlphabet(r) || isUpper(r)) break;
          offset += size;
          rem += size;
        }
      }
    }
  } else if (isAlphabet(r)) {
    wt = 'alphabet';
    rem += size;
    while (remLen() > 0) {
      [r, size] = nextValidRune(str, rem, r);
      if (!isAlphabet(r) || isUpper(r)) break;
      offset += size;
      rem += size;
    }
  } else if (isNumber(r)) {
    wt = 'number';
    rem += size;
    while (remLen() > 0) {
      [r, size] = nextValidRune(str, rem, r);
      if (!isNumber(r)) break;
      offset += size;
      rem += size;
    }
  } else {
    wt = 'other';
    rem += size;
    while (remLen() > 0) {
      [r, size] = nextValidRune(str, rem, r);
      if (size === 0 || isConnector(r) || isAlphabet(r) || isNumber(r) || isPunct(r)) break;
      offset += size;
      rem += size;
    }
  }
  return [wt, str.slice(0, offset), str.slice(rem)];
}

function wordToLower(wt: WordType, s: string, connector: string): string {
  if (wt !== 'upper' && wt !== 'connector') return s;
  return mapRunes(s, (r) => (isConnector(r) ? connector.charCodeAt(0) : isUpper(r) ? toLowerRune(r) : r));
}

function camelCaseToLowerCase(str: string, connector: string): string {
  if (str.length === 0) return '';
  let buf = '';
  let [wt, word, remaining] = nextWord(str);
  while (remaining.length > 0) {
    if (wt !== 'connector') buf += wordToLower(wt, word, connector);
    const prev = wt;
    const last = word;
    [wt, word, remaining] = nextWord(remaining);
    switch (prev) {
      case 'number':
        while (wt === 'alphabet' || wt === 'number') {
          buf += wordToLower(wt, word, connector);
          [wt, word, remaining] = nextWord(remaining);
        }
        if (wt !== 'invalid' && wt !== 'punct' && wt !== 'connector') buf += connector;
        break;
      case 'connector':
        buf += wordToLower(prev, last, connector);
        break;
      case 'punct':
        break;
      default: {
        if (wt !== 'number') {
          if (wt !== 'connector' && wt !== 'punct') buf += connector;
          break;
        }
        if (remaining.length === 0) break;
        const last2 = word;
        [wt, word, remaining] = nextWord(remaining);
        if (wt !== 'alphabet') {
          buf += wordToLower('number', last2, connector);
          if (wt !== 'connector' && wt !== 'punct') buf += connector;
          break;
        }
        buf += connector;
        buf += wordToLower('number', last2, connector);
        while (wt === 'alphabet' || wt === 'number') {
          buf += wordToLower(wt, word, connector);
          [wt, word, remaining] = nextWord(remaining);
        }
        if (wt !== 'invalid' && wt !== 'connector' && wt !== 'punct') buf += connector;
      }
    }
  }
  buf += wordToLower(wt, word, connector);
  return buf;
}

function shuffle(s: string): string {
  if (s === '') return s;
  const rs = runes(s);
  for (let i = rs.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [rs[i], rs[j]] = [rs[j]!, rs[i]!];
  }
  return fromRunes(rs);
}

function randomString(count: number, alphabet: string): string {
  if (count < 0) return '';
  allocate(count);
  let out = '';
  for (let i = 0; i < count; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
let ASCII = '';
for (let c = 32; c < 127; c++) ASCII += String.fromCharCode(c);

function substr(start: number, end: number, s: string): string {
  const bounds = (lo: number, hi: number): string => {
    if (lo < 0 || hi > s.length || lo > hi) throw new GoFuncError(`runtime error: slice bounds out of range [${lo}:${hi}] with length ${s.length}`);
    return s.slice(lo, hi);
  };
  if (start < 0) return bounds(0, end);
  if (end < 0 || end > s.length) return bounds(start, s.length);
  return bounds(start, end);
}

function trunc(c: number, s: string): string {
  if (c < 0 && s.length + c > 0) return s.slice(s.length + c);
  if (c >= 0 && s.length > c) return s.slice(0, c);
  return s;
}

function nonNil(v: GoValue[]): GoValue[] {
  return v.filter((x) => x !== null);
}

function indent(spaces: number, v: string): string {
  if (spaces < 0) throw new GoFuncError('strings: negative Repeat count');
  const pad = sizedRepeat(' ', spaces);
  const out = pad + v.split('\n').join('\n' + pad);
  allocate(out.length);
  return out;
}

function replaceAll(old: string, nw: string, src: string): string {
  if (old === '') {
    // strings.Replace with empty old inserts at every rune boundary.
    const rs: string[] = [];
    for (let i = 0; i < src.length; ) {
      const w = decodeRune(src, i)[1];
      rs.push(src.slice(i, i + w));
      i += w;
    }
    const out = nw + rs.join(nw) + (src.length > 0 ? nw : '');
    allocate(out.length);
    return out;
  }
  const out = src.split(old).join(nw);
  allocate(out.length);
  return out;
}

export function stringFuncs(): GoFunc[] {
  return [
    fn('hello', [], S, () => 'Hello!'),
    fn('abbrev', [I, S], S, (w, s) => (num(w) < 4 ? (s) : abbreviateFull(s as string, 0, num(w)))),
    fn('abbrevboth', [I, I, S], S, (l, r, s) => {
      const left = num(l);
      const right = num(r);
      if (right < 4 || (left > 0 && right < 7)) return s;
      return abbreviateFull(s as string, left, right);
    }),
    fn('trunc', [I, S], S, (c, s) => trunc(num(c), s as string)),
    fn('trim', [S], S, (s) => trimSpace(s as string)),
    fn('upper', [S], S, (s) => toUpper(s as string)),
    fn('lower', [S], S, (s) => toLower(s as string)),
    fn('title', [S], S, (s) => title(s as string)),
    fn('untitle', [S], S, (s) => untitle(s as string)),
    fn('substr', [I, I, S], S, (a, b, s) => substr(num(a), num(b), s as string)),
    fn('repeat', [I, S], S, (c, s) => sizedRepeat(s as string, num(c))),
    fn('trimall', [S, S], S, (a, b) => trimCutset(b as string, a as string)),
    fn('trimAll', [S, S], S, (a, b) => trimCutset(b as string, a as string)),
    fn('trimSuffix', [S, S], S, (a, b) => ((b as string).endsWith(a as string) ? (b as string).slice(0, (b as string).length - (a as string).length) : b)),
    fn('trimPrefix', [S, S], S, (a, b) => ((b as string).startsWith(a as string) ? (b as string).slice((a as string).length) : b)),
    fn('nospace', [S], S, (s) => deleteWhiteSpace(s as string)),
    fn('initials', [S], S, (s) => initials(s as string)),
    fn('randAlphaNum', [I], S, (n) => randomString(num(n), LETTERS + DIGITS)),
    fn('randAlpha', [I], S, (n) => randomString(num(n), LETTERS)),
    fn('randAscii', [I], S, (n) => randomString(num(n), ASCII)),
    fn('randNumeric', [I], S, (n) => randomString(num(n), DIGITS)),
    fn('swapcase', [S], S, (s) => swapcase(s as string)),
    fn('shuffle', [S], S, (s) => shuffle(s as string)),
    fn('snakecase', [S], S, (s) => camelCaseToLowerCase(s as string, '_')),
    fn('camelcase', [S], S, (s) => toCamelCase(s as string, true)),
    fn('kebabcase', [S], S, (s) => camelCaseToLowerCase(s as string, '-')),
    fn('wrap', [I, S], S, (l, s) => wrapCustom(s as string, num(l), '', false)),
    fn('wrapWith', [I, S, S], S, (l, sep, s) => wrapCustom(s as string, num(l), sep as string, true)),
    fn('contains', [S, S], 'bool', (a, b) => (b as string).includes(a as string)),
    fn('hasPrefix', [S, S], 'bool', (a, b) => (b as string).startsWith(a as string)),
    fn('hasSuffix', [S, S], 'bool', (a, b) => (b as string).endsWith(a as string)),
    fn('quote', [], S, (...v) => nonNil(v).map((x) => sprintf('%q', [strval(x)])).join(' '), { variadic: IF }),
    fn('squote', [], S, (...v) => nonNil(v).map((x) => sprintf("'%v'", [x])).join(' '), { variadic: IF }),
    fn('cat', [], S, (...v) => {
      const items = nonNil(v);
      return sprintf('%v '.repeat(items.length).trim(), items);
    }, { variadic: IF }),
    fn('indent', [I, S], S, (n, v) => indent(num(n), v as string)),
    fn('nindent', [I, S], S, (n, v) => '\n' + indent(num(n), v as string)),
    fn('replace', [S, S, S], S, (o, n, s) => replaceAll(o as string, n as string, s as string)),
    fn('plural', [S, S, I], S, (one, many, c) => (num(c) === 1 ? one : many)),
    fn('toString', [IF], S, (v) => strval(v)),
    fn('split', [S, S], 'map[string]string', (sep, s) => splitMap(splitN(s as string, sep as string, -1))),
    fn('splitList', [S, S], '[]string', (sep, s) => stringSlice(splitN(s as string, sep as string, -1))),
    fn('splitn', [S, I, S], 'map[string]string', (sep, n, s) => splitMap(splitN(s as string, sep as string, num(n)))),
    fn('toStrings', [IF], '[]string', (v) => strslice(v)),
    fn('join', [S, IF], S, (sep, v) => {
      const out = (strslice(v).items as string[]).join(sep as string);
      allocate(out.length);
      return out;
    }),
    fn('sortAlpha', [IF], '[]string', (v) => {
      if (v instanceof GoSlice) return stringSlice([...strslice(v).items as string[]].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
      return stringSlice([strval(v)]);
    }),
  ];
}

