/**
 * Go strings are byte sequences, not UTF-16 text. Secret values are arbitrary
 * bytes (keystores, DER blobs), and `len`, `slice`, `substr` and friends count
 * bytes in Go, so the engine keeps every Go string as a "byte string": a JS
 * string whose char codes are all 0–255, one per byte. These helpers convert
 * at the edges and decode runes the way Go does (each invalid byte is one
 * U+FFFD of width 1), so Unicode-aware functions match Go byte for byte.
 */

export const RUNE_ERROR = 0xfffd;

/** JS text (UTF-16) to a byte string of its UTF-8 encoding. */
export function fromText(text: string): string {
   
  if (/^[\x00-\x7f]*$/.test(text)) return text;
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** Bytes to a byte string. */
export function fromBytes(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** A byte string to bytes. */
export function toBytes(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

/** Decodes one rune at byte offset i, Go style: [rune, width]. */
export function decodeRune(s: string, i: number): [number, number] {
  const n = s.length;
  const b0 = s.charCodeAt(i);
  if (b0 < 0x80) return [b0, 1];
  const cont = (k: number): number => {
    if (i + k >= n) return -1;
    const c = s.charCodeAt(i + k);
    return c >= 0x80 && c <= 0xbf ? c & 0x3f : -1;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    const c1 = cont(1);
    if (c1 < 0) return [RUNE_ERROR, 1];
    return [((b0 & 0x1f) << 6) | c1, 2];
  }
  if (b0 >= 0xe0 && b0 <= 0xef) {
    if (i + 1 >= n) return [RUNE_ERROR, 1];
    const b1 = s.charCodeAt(i + 1);
    const lo = b0 === 0xe0 ? 0xa0 : 0x80;
    const hi = b0 === 0xed ? 0x9f : 0xbf;
    if (b1 < lo || b1 > hi) return [RUNE_ERROR, 1];
    const c2 = cont(2);
    if (c2 < 0) return [RUNE_ERROR, 1];
    return [((b0 & 0x0f) << 12) | ((b1 & 0x3f) << 6) | c2, 3];
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    if (i + 1 >= n) return [RUNE_ERROR, 1];
    const b1 = s.charCodeAt(i + 1);
    const lo = b0 === 0xf0 ? 0x90 : 0x80;
    const hi = b0 === 0xf4 ? 0x8f : 0xbf;
    if (b1 < lo || b1 > hi) return [RUNE_ERROR, 1];
    const c2 = cont(2);
    const c3 = cont(3);
    if (c2 < 0 || c3 < 0) return [RUNE_ERROR, 1];
    return [((b0 & 0x07) << 18) | ((b1 & 0x3f) << 12) | (c2 << 6) | c3, 4];
  }
  return [RUNE_ERROR, 1];
}

/** Decodes the rune that ends at byte offset end (exclusive). */
export function decodeLastRune(s: string, end: number): [number, number] {
  const start = Math.max(0, end - 4);
  for (let i = end - 1; i >= start; i--) {
    const c = s.charCodeAt(i);
    if (c < 0x80 || c >= 0xc0) {
      const [r, w] = decodeRune(s, i);
      if (i + w === end) return [r, w];
      break;
    }
  }
  return [RUNE_ERROR, 1];
}

export function runes(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; ) {
    const [r, w] = decodeRune(s, i);
    out.push(r);
    i += w;
  }
  return out;
}

export function encodeRune(r: number): string {
  if (r < 0 || r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff)) r = RUNE_ERROR;
  if (r < 0x80) return String.fromCharCode(r);
  if (r < 0x800) return String.fromCharCode(0xc0 | (r >> 6), 0x80 | (r & 0x3f));
  if (r < 0x10000) return String.fromCharCode(0xe0 | (r >> 12), 0x80 | ((r >> 6) & 0x3f), 0x80 | (r & 0x3f));
  return String.fromCharCode(0xf0 | (r >> 18), 0x80 | ((r >> 12) & 0x3f), 0x80 | ((r >> 6) & 0x3f), 0x80 | (r & 0x3f));
}

export function fromRunes(rs: readonly number[]): string {
  let out = '';
  for (const r of rs) out += encodeRune(r);
  return out;
}

/** A byte string to JS text, decoding as Go does (invalid bytes become U+FFFD). */
export function toText(s: string): string {
   
  if (/^[\x00-\x7f]*$/.test(s)) return s;
  let out = '';
  for (let i = 0; i < s.length; ) {
    const [r, w] = decodeRune(s, i);
    out += String.fromCodePoint(r);
    i += w;
  }
  return out;
}

export function isValidUTF8(s: string): boolean {
  for (let i = 0; i < s.length; ) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      i++;
      continue;
    }
    const [r, w] = decodeRune(s, i);
    if (r === RUNE_ERROR && w === 1) return false;
    i += w;
  }
  return true;
}

/** Counts runes like utf8.RuneCountInString. */
export function runeCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; n++) i += decodeRune(s, i)[1];
  return n;
}

const letterRe = /^\p{L}$/u;
const digitRe = /^\p{Nd}$/u;
const upperRe = /^\p{Lu}$/u;
const lowerRe = /^\p{Ll}$/u;
const titleRe = /^\p{Lt}$/u;
const numberRe = /^\p{N}$/u;
const markRe = /^\p{M}$/u;
const punctRe = /^\p{P}$/u;
const symbolRe = /^\p{S}$/u;
const graphicSpaceRe = /^\p{Zs}$/u;

export function isLetter(r: number): boolean {
  if (r < 0x80) return (r >= 0x41 && r <= 0x5a) || (r >= 0x61 && r <= 0x7a);
  return letterRe.test(String.fromCodePoint(r));
}
export function isDigit(r: number): boolean {
  if (r < 0x80) return r >= 0x30 && r <= 0x39;
  return digitRe.test(String.fromCodePoint(r));
}
export function isNumber(r: number): boolean {
  if (r < 0x80) return r >= 0x30 && r <= 0x39;
  return numberRe.test(String.fromCodePoint(r));
}
export function isUpper(r: number): boolean {
  if (r < 0x80) return r >= 0x41 && r <= 0x5a;
  return upperRe.test(String.fromCodePoint(r));
}
export function isLower(r: number): boolean {
  if (r < 0x80) return r >= 0x61 && r <= 0x7a;
  return lowerRe.test(String.fromCodePoint(r));
}
export function isTitle(r: number): boolean {
  return r >= 0x80 && titleRe.test(String.fromCodePoint(r));
}
export function isPunct(r: number): boolean {
  return punctRe.test(String.fromCodePoint(r));
}
/** unicode.IsSpace. */
export function isSpace(r: number): boolean {
  if (r <= 0xff) return r === 0x20 || (r >= 0x09 && r <= 0x0d) || r === 0x85 || r === 0xa0;
  return (r >= 0x2000 && r <= 0x200a) || r === 0x1680 || r === 0x2028 || r === 0x2029 || r === 0x202f || r === 0x205f || r === 0x3000;
}
/** unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
export function isPrint(r: number): boolean {
  if (r < 0x80) return r >= 0x20 && r < 0x7f;
  if (r === RUNE_ERROR) return true;
  const ch = String.fromCodePoint(r);
  return letterRe.test(ch) || markRe.test(ch) || numberRe.test(ch) || punctRe.test(ch) || symbolRe.test(ch);
}
/** unicode.IsGraphic: IsPrint plus the Zs spaces. */
export function isGraphic(r: number): boolean {
  return isPrint(r) || (r >= 0x80 && graphicSpaceRe.test(String.fromCodePoint(r)));
}

/** unicode.ToUpper for one rune (simple case mapping). */
export function toUpperRune(r: number): number {
  if (r < 0x80) return r >= 0x61 && r <= 0x7a ? r - 32 : r;
  const u = String.fromCodePoint(r).toUpperCase();
  const cp = u.codePointAt(0)!;
  return u.length === String.fromCodePoint(cp).length ? cp : r;
}
export function toLowerRune(r: number): number {
  if (r < 0x80) return r >= 0x41 && r <= 0x5a ? r + 32 : r;
  const l = String.fromCodePoint(r).toLowerCase();
  const cp = l.codePointAt(0)!;
  return l.length === String.fromCodePoint(cp).length ? cp : r;
}
export function toTitleRune(r: number): number {
  // Go's title case equals upper case except for the few digraphs (ǅ etc.).
  switch (r) {
    case 0x1c4: case 0x1c5: case 0x1c6: return 0x1c5;
    case 0x1c7: case 0x1c8: case 0x1c9: return 0x1c8;
    case 0x1ca: case 0x1cb: case 0x1cc: return 0x1cb;
    case 0x1f1: case 0x1f2: case 0x1f3: return 0x1f2;
  }
  return toUpperRune(r);
}

/** strings.Map with Go's handling of invalid bytes. */
export function mapRunes(s: string, f: (r: number) => number): string {
  let out = '';
  for (let i = 0; i < s.length; ) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      const m = f(c);
      if (m >= 0) out += m < 0x80 ? String.fromCharCode(m) : encodeRune(m);
      i++;
      continue;
    }
    const [r, w] = decodeRune(s, i);
    const m = f(r);
    if (m >= 0) out += encodeRune(m);
    i += w;
  }
  return out;
}

export function toUpper(s: string): string {
  return mapRunes(s, toUpperRune);
}
export function toLower(s: string): string {
  return mapRunes(s, toLowerRune);
}

/** strings.Fields-style whitespace test for TrimSpace etc. */
export function trimSpace(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end) {
    const [r, w] = decodeRune(s, start);
    if (!isSpace(r)) break;
    start += w;
  }
  while (end > start) {
    const [r, w] = decodeLastRune(s, end);
    if (!isSpace(r)) break;
    end -= w;
  }
  return s.slice(start, end);
}
