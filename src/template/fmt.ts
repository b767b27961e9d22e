/**
 * Go's fmt package for the values a template produces: Sprint, Sprintln,
 * Sprintf with the common verbs and flags, and Go's error strings for bad
 * verbs (%!d(string=x)) so printf output matches Go's byte for byte.
 */
import { formatGoDurationNs } from '../util/duration.ts';
import { decodeRune, encodeRune, runeCount, RUNE_ERROR } from './gostr.ts';
import { canBackquote, formatFloat, formatHexFloat, quote, quoteRune, quoteToASCII, quoteWith } from './strconv.ts';
import { GoInt, GoMap, GoSlice, GoStruct, isFunc, sortedKeys, typeName, type GoValue } from './values.ts';

interface Flags {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  plusV: boolean;
  sharpV: boolean;
  wid: number | undefined;
  prec: number | undefined;
}

const noFlags = (): Flags => ({
  plus: false,
  minus: false,
  sharp: false,
  space: false,
  zero: false,
  plusV: false,
  sharpV: false,
  wid: undefined,
  prec: undefined,
});

/** Named integer types that print through a String() method. */
const monthNames = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const dayNames = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

export function stringerOf(v: GoValue): (() => string) | undefined {
  if (v instanceof GoStruct) return v.str;
  if (v instanceof GoInt) {
    if (v.type === 'time.Month') return () => monthNames[Number(v.v) - 1] ?? `%!Month(${v.v})`;
    if (v.type === 'time.Weekday') return () => dayNames[Number(v.v)] ?? `%!Weekday(${v.v})`;
    if (v.type === 'time.Duration') return () => formatDuration(v.v);
  }
  return undefined;
}

/** time.Duration.String(). */
export const formatDuration = formatGoDurationNs;

class Printer {
  buf = '';
  f: Flags = noFlags();

  pad(s: string): void {
    const w = this.f.wid;
    if (w === undefined || w === 0) {
      this.buf += s;
      return;
    }
    const width = w - runeCount(s);
    if (width <= 0) {
      this.buf += s;
      return;
    }
    if (this.f.minus) this.buf += s + ' '.repeat(width);
    else this.buf += (this.f.zero ? '0' : ' ').repeat(width) + s;
  }

  fmtBool(b: boolean, verb: string): void {
    if (verb === 't' || verb === 'v') this.pad(b ? 'true' : 'false');
    else this.badVerb(verb, b);
  }

  fmtInteger(v: bigint, unsigned: boolean, verb: string, val: GoValue): void {
    switch (verb) {
      case 'v':
        if (this.f.sharpV && unsigned) this.integer(v, 16, true, 'v');
        else this.integer(v, 10, unsigned, 'v');
        return;
      case 'd':
        return this.integer(v, 10, unsigned, verb);
      case 'b':
        return this.integer(v, 2, unsigned, verb);
      case 'o':
      case 'O':
        return this.integer(v, 8, unsigned, verb);
      case 'x':
        return this.integer(v, 16, unsigned, verb);
      case 'X':
        return this.integer(v, 16, unsigned, verb, true);
      case 'c':
        return this.pad(encodeRune(runeOf(v)));
      case 'q':
        return this.pad(quoteRune(runeOf(v), this.f.plus));
      case 'U':
        return this.fmtUnicode(v);
    }
    this.badVerb(verb, val);
  }

  fmtUnicode(v: bigint): void {
    let s = 'U+' + (v < 0n ? BigInt.asUintN(64, v) : v).toString(16).toUpperCase();
    const prec = this.f.prec ?? 4;
    const digits = s.length - 2;
    if (digits < prec) s = 'U+' + '0'.repeat(prec - digits) + s.slice(2);
    if (this.f.sharp && v >= 0n && v <= 0x10ffffn) {
      s += " '" + encodeRune(Number(v)) + "'";
    }
    const zero = this.f.zero;
    this.f.zero = false;
    this.pad(s);
    this.f.zero = zero;
  }

  integer(v: bigint, base: number, unsigned: boolean, verb: string, upper = false): void {
    const neg = !unsigned && v < 0n;
    let u = neg ? -v : v;
    if (unsigned && u < 0n) u = BigInt.asUintN(64, u);
    let digits = u.toString(base);
    if (upper) digits = digits.toUpperCase();
    const f = this.f;
    let prec = -1;
    let zeroPad = false;
    if (f.prec !== undefined) {
      prec = f.prec;
      if (prec === 0 && u === 0n) {
        const z = f.zero;
        f.zero = false;
        this.pad('');
        f.zero = z;
        return;
      }
    } else if (f.zero && f.wid !== undefined && !f.minus) {
      prec = f.wid;
      zeroPad = true;
      if (neg || f.plus || f.space) prec--;
    }
    if (prec > digits.length) digits = '0'.repeat(prec - digits.length) + digits;
    if (f.sharp) {
      if (base === 8 && digits[0] !== '0') digits = '0' + digits;
      else if (base === 16) digits = (upper ? '0X' : '0x') + digits;
      else if (base === 2) digits = '0b' + digits;
    }
    if (verb === 'O') digits = '0o' + digits;
    if (neg) digits = '-' + digits;
    else if (f.plus) digits = '+' + digits;
    else if (f.space) digits = ' ' + digits;
    const z = f.zero;
    if (zeroPad || (f.prec !== undefined)) f.zero = false;
    this.pad(digits);
    f.zero = z;
  }

  fmtFloat(x: number, verb: string, val: GoValue): void {
    let fmtc: 'e' | 'E' | 'f' | 'g' | 'G';
    let prec: number;
    switch (verb) {
      case 'v':
        fmtc = 'g';
        prec = -1;
        break;
      case 'g':
      case 'G':
        fmtc = verb;
        prec = -1;
        break;
      case 'e':
      case 'E':
      case 'f':
        fmtc = verb;
        prec = 6;
        break;
      case 'F':
        fmtc = 'f';
        prec = 6;
        break;
      case 'x':
      case 'X': {
        let num = formatHexFloat(x, verb === 'X');
        if (num[0] !== '-' && num[0] !== '+' && (this.f.plus || this.f.space)) num = (this.f.plus ? '+' : ' ') + num;
        this.pad(num);
        return;
      }
      default:
        this.badVerb(verb, val);
        return;
    }
    if (this.f.prec !== undefined) prec = this.f.prec;
    let num = formatFloat(x, fmtc, prec);
    if (this.f.sharp) num = sharpFloat(num, fmtc, prec);
    if (num[0] !== '-' && num[0] !== '+') num = '+' + num;
    if (this.f.space && num[0] === '+' && !this.f.plus) num = ' ' + num.slice(1);
    if (num[1] === 'I' || num[1] === 'N') {
      if (num[1] === 'N' && !this.f.space && !this.f.plus) num = num.slice(1);
      const z = this.f.zero;
      this.f.zero = false;
      this.pad(num);
      this.f.zero = z;
      return;
    }
    if (this.f.plus || num[0] !== '+') {
      if (this.f.zero && !this.f.minus && this.f.wid !== undefined && this.f.wid > num.length) {
        this.buf += num[0];
        const w = this.f.wid;
        this.f.wid = w - 1;
        this.pad(num.slice(1));
        this.f.wid = w;
        return;
      }
      this.pad(num);
      return;
    }
    this.pad(num.slice(1));
  }

  fmtString(s: string, verb: string, val: GoValue): void {
    switch (verb) {
      case 'v':
        if (this.f.sharpV) return this.fmtQ(s);
        return this.fmtS(s);
      case 's':
        return this.fmtS(s);
      case 'x':
        return this.fmtSx(s, '0123456789abcdef');
      case 'X':
        return this.fmtSx(s, '0123456789ABCDEF');
      case 'q':
        return this.fmtQ(s);
    }
    this.badVerb(verb, val);
  }

  truncate(s: string): string {
    const p = this.f.prec;
    if (p === undefined) return s;
    let n = 0;
    for (let i = 0; i < s.length; ) {
      if (n === p) return s.slice(0, i);
      i += decodeRune(s, i)[1];
      n++;
    }
    return s;
  }

  fmtS(s: string): void {
    this.pad(this.truncate(s));
  }

  fmtSx(s: string, digits: string): void {
    let length = s.length;
    if (this.f.prec !== undefined && this.f.prec < length) length = this.f.prec;
    let out = '';
    for (let i = 0; i < length; i++) {
      if (this.f.space && i > 0) out += ' ';
      if (this.f.sharp && (this.f.space || i === 0)) out += digits === '0123456789abcdef' ? '0x' : '0X';
      const c = s.charCodeAt(i);
      out += digits[c >> 4]! + digits[c & 15]!;
    }
    this.pad(out);
  }

  fmtQ(s: string): void {
    s = this.truncate(s);
    if (this.f.sharp && canBackquote(s)) this.pad('`' + s + '`');
    else if (this.f.plus) this.pad(quoteToASCII(s));
    else this.pad(quote(s));
  }

  // Go keeps the width and flags while printing the offending value, and
  // does not call String() methods while "erroring".
  erroring = false;

  badVerb(verb: string, v: GoValue): void {
    const was = this.erroring;
    this.erroring = true;
    this.buf += '%!' + verb + '(';
    if (v !== null) {
      this.buf += typeName(v) + '=';
      this.printArg(v, 'v');
    } else this.buf += '<nil>';
    this.buf += ')';
    this.erroring = was;
  }

  printArg(arg: GoValue, verb: string): void {
    if (arg === null) {
      if (verb === 'T' || verb === 'v') this.pad('<nil>');
      else this.badVerb(verb, arg);
      return;
    }
    if (verb === 'T') {
      this.fmtString(typeName(arg), 's', arg);
      return;
    }
    this.printValue(arg, verb, 0);
  }

  handleMethods(v: GoValue, verb: string): boolean {
    if (this.erroring || this.f.sharpV) return false;
    if (verb !== 'v' && verb !== 's' && verb !== 'x' && verb !== 'X' && verb !== 'q') return false;
    const str = stringerOf(v);
    if (!str) return false;
    this.fmtString(str(), verb, v);
    return true;
  }

  printValue(v: GoValue, verb: string, depth: number): void {
    if (v === null) {
      if (depth === 0) this.buf += '<invalid reflect.Value>';
      else if (verb === 'v') this.buf += '<nil>';
      else this.badVerb(verb, null);
      return;
    }
    if (this.handleMethods(v, verb)) return;
    if (typeof v === 'boolean') return this.fmtBool(v, verb);
    if (typeof v === 'string') return this.fmtString(v, verb, v);
    if (typeof v === 'number') return this.fmtFloat(v, verb, v);
    if (v instanceof GoInt) return this.fmtInteger(v.v, v.unsigned, verb, v);
    if (v instanceof GoMap) {
      if (this.f.sharpV) {
        this.buf += v.type;
        if (v.isNil) {
          this.buf += '(nil)';
          return;
        }
        this.buf += '{';
      } else this.buf += 'map[';
      let first = true;
      for (const k of sortedKeys(v)) {
        if (!first) this.buf += this.f.sharpV ? ', ' : ' ';
        first = false;
        this.printValue(k, verb, depth + 1);
        this.buf += ':';
        this.printValue(v.m.get(k) ?? null, verb, depth + 1);
      }
      this.buf += this.f.sharpV ? '}' : ']';
      return;
    }
    if (v instanceof GoSlice) {
      if (v.elem === 'uint8' && (verb === 's' || verb === 'q' || verb === 'x' || verb === 'X')) {
        const s = String.fromCharCode(...v.items.map((b) => Number((b as GoInt).v)));
        return this.fmtString(s, verb, v);
      }
      if (this.f.sharpV) {
        this.buf += v.type;
        if (v.isNil) {
          this.buf += '(nil)';
          return;
        }
        this.buf += '{';
        v.items.forEach((it, i) => {
          if (i > 0) this.buf += ', ';
          this.printValue(it, verb, depth + 1);
        });
        this.buf += '}';
        return;
      }
      this.buf += '[';
      v.items.forEach((it, i) => {
        if (i > 0) this.buf += ' ';
        this.printValue(it, verb, depth + 1);
      });
      this.buf += ']';
      return;
    }
    if (v instanceof GoStruct) {
      if (v.ptr && depth > 0) {
        // Go prints the address; there is no stable equivalent.
        this.buf += '0xc000000000';
        return;
      }
      if (v.ptr) this.buf += '&';
      if (this.f.sharpV) this.buf += v.type;
      this.buf += '{';
      let i = 0;
      for (const [name, fv] of v.fields) {
        if (i++ > 0) this.buf += this.f.sharpV ? ', ' : ' ';
        if (this.f.plusV || this.f.sharpV) this.buf += name + ':';
        this.printValue(fv, verb, depth + 1);
      }
      this.buf += '}';
      return;
    }
    if (isFunc(v)) {
      this.buf += '0x0';
      return;
    }
  }
}

function runeOf(v: bigint): number {
  if (v < 0n || v > 0x10ffffn) return RUNE_ERROR;
  return Number(v);
}

function sharpFloat(num: string, fmtc: string, prec: number): string {
  // %#g keeps trailing zeros and always has a decimal point.
  let digits = 0;
  if (fmtc === 'g' || fmtc === 'G') digits = prec === -1 ? 6 : prec;
  let tail = '';
  let body = num;
  const eIdx = body.search(/[eE]/);
  if (eIdx >= 0) {
    tail = body.slice(eIdx);
    body = body.slice(0, eIdx);
  }
  let sawNonzero = false;
  let hasPoint = false;
  for (const ch of body) {
    if (ch === '.') hasPoint = true;
    else if (ch >= '0' && ch <= '9') {
      if (ch !== '0') sawNonzero = true;
      if (sawNonzero || hasPoint) digits--;
    }
  }
  if (!hasPoint) {
    if (body.length === 1 || (body.length === 2 && (body[0] === '-' || body[0] === '+'))) digits--;
    body += '.';
  }
  while (digits-- > 0) body += '0';
  return body + tail;
}

/** fmt.Sprint: spaces between operands when neither side is a string. */
export function sprint(args: readonly GoValue[]): string {
  const p = new Printer();
  let prevString = false;
  args.forEach((a, i) => {
    const isString = typeof a === 'string';
    if (i > 0 && !isString && !prevString) p.buf += ' ';
    p.printArg(a, 'v');
    prevString = isString;
  });
  return p.buf;
}

/** fmt.Sprintln: always spaces, trailing newline. */
export function sprintln(args: readonly GoValue[]): string {
  const p = new Printer();
  args.forEach((a, i) => {
    if (i > 0) p.buf += ' ';
    p.printArg(a, 'v');
  });
  return p.buf + '\n';
}

/** fmt.Sprintf over a byte-string format. */
export function sprintf(format: string, args: readonly GoValue[]): string {
  const p = new Printer();
  let argNum = 0;
  let reordered = false;
  let goodArgNum = true;
  const end = format.length;
  let i = 0;

  const argNumber = (pos: number): [number, number, boolean] => {
    // [n] index syntax; returns [argNum, newPos, found]
    if (pos >= end || format[pos] !== '[') return [argNum, pos, false];
    reordered = true;
    for (let j = pos + 1; j < end; j++) {
      if (format[j] === ']') {
        const inner = format.slice(pos + 1, j);
        if (!/^\d+$/.test(inner)) {
          goodArgNum = false;
          return [argNum, j + 1, true];
        }
        const n = Number(inner) - 1;
        if (n >= 0 && n < args.length) return [n, j + 1, true];
        goodArgNum = false;
        return [argNum, j + 1, true];
      }
    }
    goodArgNum = false;
    return [argNum, pos + 1, false];
  };

  const parseNum = (pos: number): [number | undefined, number] => {
    let n = 0;
    let j = pos;
    while (j < end && format.charCodeAt(j) >= 48 && format.charCodeAt(j) <= 57) {
      n = n * 10 + format.charCodeAt(j) - 48;
      if (n > 1e6) return [undefined, end];
      j++;
    }
    return j === pos ? [undefined, pos] : [n, j];
  };

  const intFromArg = (): [number | undefined, boolean] => {
    if (argNum >= args.length) return [undefined, false];
    const a = args[argNum++];
    if (a instanceof GoInt) {
      const n = Number(a.v);
      if (n > 1e6 || n < -1e6) return [undefined, false];
      return [n, true];
    }
    return [undefined, false];
  };

  while (i < end) {
    goodArgNum = true;
    const lasti = i;
    while (i < end && format[i] !== '%') i++;
    if (i > lasti) p.buf += format.slice(lasti, i);
    if (i >= end) break;
    i++;
    p.f = noFlags();
    // flags
    for (; i < end; i++) {
      const c = format[i];
      if (c === '#') p.f.sharp = true;
      else if (c === '0') p.f.zero = true;
      else if (c === '+') p.f.plus = true;
      else if (c === '-') p.f.minus = true;
      else if (c === ' ') p.f.space = true;
      else break;
    }
    let found: boolean;
    [argNum, i, found] = argNumber(i);
    // width
    if (i < end && format[i] === '*') {
      i++;
      const [w, ok] = intFromArg();
      p.f.wid = w;
      if (!ok) p.buf += '%!(BADWIDTH)';
      if (w !== undefined && w < 0) {
        p.f.wid = -w;
        p.f.minus = true;
        p.f.zero = false;
      }
      found = false;
    } else {
      const [w, ni] = parseNum(i);
      p.f.wid = w;
      i = ni;
      if (found && w !== undefined) goodArgNum = false;
    }
    // precision
    if (i + 1 <= end && format[i] === '.') {
      i++;
      if (found) goodArgNum = false;
      [argNum, i, found] = argNumber(i);
      if (i < end && format[i] === '*') {
        i++;
        const [pr, ok] = intFromArg();
        p.f.prec = pr;
        if (pr !== undefined && pr < 0) p.f.prec = undefined;
        if (!ok) p.buf += '%!(BADPREC)';
        found = false;
      } else {
        const [pr, ni] = parseNum(i);
        p.f.prec = pr ?? 0;
        i = ni;
      }
    }
    if (!found) [argNum, i] = argNumber(i);
    if (i >= end) {
      p.buf += '%!(NOVERB)';
      break;
    }
    const [verbRune, size] = decodeRune(format, i);
    const verb = size === 1 ? format[i]! : encodeRune(verbRune);
    i += size;
    if (p.f.minus) p.f.zero = false;
    if (verb === '%') {
      p.buf += '%';
      continue;
    }
    if (!goodArgNum) {
      p.buf += '%!' + verb + '(BADINDEX)';
      continue;
    }
    if (argNum >= args.length) {
      p.buf += '%!' + verb + '(MISSING)';
      continue;
    }
    if (verb === 'w') {
      p.badVerb(verb, args[argNum++] ?? null);
      continue;
    }
    if (verb === 'v') {
      if (p.f.sharp) {
        p.f.sharp = false;
        p.f.sharpV = true;
      }
      if (p.f.plus) {
        p.f.plus = false;
        p.f.plusV = true;
      }
    }
    p.printArg(args[argNum] ?? null, verb);
    argNum++;
  }
  if (!reordered && argNum < args.length) {
    p.f = noFlags();
    p.buf += '%!(EXTRA ';
    for (let k = argNum; k < args.length; k++) {
      if (k > argNum) p.buf += ', ';
      const a = args[k] ?? null;
      if (a === null) p.buf += '<nil>';
      else {
        p.buf += typeName(a) + '=';
        p.printArg(a, 'v');
      }
    }
    p.buf += ')';
  }
  return p.buf;
}

export { quoteWith };
