/**
 * Go's reference-time layouts ("2006-01-02T15:04:05Z07:00"): Time.Format and
 * time.Parse / ParseInLocation, chunk for chunk as the time package reads a
 * layout, with its error messages.
 */
import { goTimeQuote } from '../../util/duration.ts';
import {
  civil,
  date,
  daysIn,
  fixedZone,
  isLeap,
  longDayNames,
  longMonthNames,
  shortDayNames,
  shortMonthNames,
  UTC,
  type GoTime,
  type Location,
} from './time.ts';

// Layout elements. Fractional seconds carry their digit count and separator.
type Std =
  | { k: 'none' }
  | { k: 'longMonth' | 'month' | 'numMonth' | 'zeroMonth' | 'longWeekDay' | 'weekDay' | 'day' | 'underDay' | 'zeroDay' }
  | { k: 'underYearDay' | 'zeroYearDay' | 'hour' | 'hour12' | 'zeroHour12' | 'minute' | 'zeroMinute' | 'second' | 'zeroSecond' }
  | { k: 'longYear' | 'year' | 'PM' | 'pm' | 'TZ' }
  | { k: 'tz'; iso: boolean; form: 'plain' | 'colon' | 'seconds' | 'colonSeconds' | 'short' }
  | { k: 'frac'; zeros: boolean; digits: number; sep: string };

const isDigitAt = (s: string, i: number): boolean => i < s.length && s[i]! >= '0' && s[i]! <= '9';
const startsWithLower = (s: string): boolean => s.length > 0 && s[0]! >= 'a' && s[0]! <= 'z';

const zeroX: Std['k'][] = ['zeroMonth', 'zeroDay', 'zeroHour12', 'zeroMinute', 'zeroSecond', 'year'];
const tzForms: [string, 'plain' | 'colon' | 'seconds' | 'colonSeconds' | 'short'][] = [
  ['070000', 'seconds'],
  ['07:00:00', 'colonSeconds'],
  ['0700', 'plain'],
  ['07:00', 'colon'],
  ['07', 'short'],
];

/** time.nextStdChunk: the text before the first layout element, the element, and the rest. */
function nextStdChunk(layout: string): [string, Std, string] {
  for (let i = 0; i < layout.length; i++) {
    const c = layout[i]!;
    const at = (s: string): boolean => layout.startsWith(s, i);
    const pre = layout.slice(0, i);
    switch (c) {
      case 'J':
        if (at('Jan')) {
          if (at('January')) return [pre, { k: 'longMonth' }, layout.slice(i + 7)];
          if (!startsWithLower(layout.slice(i + 3))) return [pre, { k: 'month' }, layout.slice(i + 3)];
        }
        break;
      case 'M':
        if (at('Mon')) {
          if (at('Monday')) return [pre, { k: 'longWeekDay' }, layout.slice(i + 6)];
          if (!startsWithLower(layout.slice(i + 3))) return [pre, { k: 'weekDay' }, layout.slice(i + 3)];
        }
        if (at('MST')) return [pre, { k: 'TZ' }, layout.slice(i + 3)];
        break;
      case '0': {
        const n = layout[i + 1];
        if (n !== undefined && n >= '1' && n <= '6') return [pre, { k: zeroX[n.charCodeAt(0) - 49]! } as Std, layout.slice(i + 2)];
        if (at('002')) return [pre, { k: 'zeroYearDay' }, layout.slice(i + 3)];
        break;
      }
      case '1':
        if (layout[i + 1] === '5') return [pre, { k: 'hour' }, layout.slice(i + 2)];
        return [pre, { k: 'numMonth' }, layout.slice(i + 1)];
      case '2':
        if (at('2006')) return [pre, { k: 'longYear' }, layout.slice(i + 4)];
        return [pre, { k: 'day' }, layout.slice(i + 1)];
      case '_':
        if (layout[i + 1] === '2') {
          // "_2006" is a literal underscore and a year.
          if (layout.startsWith('2006', i + 1)) return [layout.slice(0, i + 1), { k: 'longYear' }, layout.slice(i + 5)];
          return [pre, { k: 'underDay' }, layout.slice(i + 2)];
        }
        if (at('__2')) return [pre, { k: 'underYearDay' }, layout.slice(i + 3)];
        break;
      case '3':
        return [pre, { k: 'hour12' }, layout.slice(i + 1)];
      case '4':
        return [pre, { k: 'minute' }, layout.slice(i + 1)];
      case '5':
        return [pre, { k: 'second' }, layout.slice(i + 1)];
      case 'P':
        if (layout[i + 1] === 'M') return [pre, { k: 'PM' }, layout.slice(i + 2)];
        break;
      case 'p':
        if (layout[i + 1] === 'm') return [pre, { k: 'pm' }, layout.slice(i + 2)];
        break;
      case '-':
      case 'Z':
        for (const [f, form] of tzForms) {
          if (layout.startsWith(f, i + 1)) {
            return [pre, { k: 'tz', iso: c === 'Z', form }, layout.slice(i + 1 + f.length)];
          }
        }
        break;
      case '.':
      case ',': {
        const ch = layout[i + 1];
        if (ch === '0' || ch === '9') {
          let j = i + 1;
          while (j < layout.length && layout[j] === ch) j++;
          if (!isDigitAt(layout, j)) return [pre, { k: 'frac', zeros: ch === '0', digits: j - (i + 1), sep: c }, layout.slice(j)];
        }
        break;
      }
    }
  }
  return [layout, { k: 'none' }, ''];
}

function pad(n: number, width: number): string {
  const neg = n < 0;
  const s = String(Math.abs(n)).padStart(width, '0');
  return neg ? '-' + s : s;
}

/** Time.Format. */
export function format(t: GoTime, layout: string): string {
  const c = civil(t);
  let out = '';
  let rest = layout;
  for (;;) {
    const [prefix, std, suffix] = nextStdChunk(rest);
    out += prefix;
    if (std.k === 'none') break;
    rest = suffix;
    switch (std.k) {
      case 'year':
        out += pad(Math.abs(c.year) % 100, 2);
        break;
      case 'longYear':
        out += pad(c.year, 4);
        break;
      case 'month':
        out += shortMonthNames[c.month - 1];
        break;
      case 'longMonth':
        out += longMonthNames[c.month - 1];
        break;
      case 'numMonth':
        out += String(c.month);
        break;
      case 'zeroMonth':
        out += pad(c.month, 2);
        break;
      case 'weekDay':
        out += shortDayNames[c.weekday];
        break;
      case 'longWeekDay':
        out += longDayNames[c.weekday];
        break;
      case 'day':
        out += String(c.day);
        break;
      case 'underDay':
        out += (c.day < 10 ? ' ' : '') + String(c.day);
        break;
      case 'zeroDay':
        out += pad(c.day, 2);
        break;
      case 'underYearDay':
        out += (c.yday < 100 ? ' ' : '') + (c.yday < 10 ? ' ' : '') + String(c.yday);
        break;
      case 'zeroYearDay':
        out += pad(c.yday, 3);
        break;
      case 'hour':
        out += pad(c.hour, 2);
        break;
      case 'hour12':
      case 'zeroHour12': {
        const h = c.hour % 12 === 0 ? 12 : c.hour % 12;
        out += std.k === 'hour12' ? String(h) : pad(h, 2);
        break;
      }
      case 'minute':
        out += String(c.min);
        break;
      case 'zeroMinute':
        out += pad(c.min, 2);
        break;
      case 'second':
        out += String(c.sec);
        break;
      case 'zeroSecond':
        out += pad(c.sec, 2);
        break;
      case 'PM':
        out += c.hour >= 12 ? 'PM' : 'AM';
        break;
      case 'pm':
        out += c.hour >= 12 ? 'pm' : 'am';
        break;
      case 'tz': {
        const off = c.zone.offset;
        if (off === 0 && std.iso) {
          out += 'Z';
          break;
        }
        let zone = Math.trunc(off / 60);
        let abs = off;
        if (zone < 0) {
          out += '-';
          zone = -zone;
          abs = -abs;
        } else out += '+';
        out += pad(Math.trunc(zone / 60), 2);
        if (std.form === 'colon' || std.form === 'colonSeconds') out += ':';
        if (std.form !== 'short') out += pad(zone % 60, 2);
        if (std.form === 'seconds' || std.form === 'colonSeconds') {
          if (std.form === 'colonSeconds') out += ':';
          out += pad(abs % 60, 2);
        }
        break;
      }
      case 'TZ': {
        if (c.zone.name !== '') {
          out += c.zone.name;
          break;
        }
        let zone = Math.trunc(c.zone.offset / 60);
        if (zone < 0) {
          out += '-';
          zone = -zone;
        } else out += '+';
        out += pad(Math.trunc(zone / 60), 2) + pad(zone % 60, 2);
        break;
      }
      case 'frac':
        out += formatFrac(c.nsec, std);
        break;
    }
  }
  return out;
}

function formatFrac(nsec: number, std: { zeros: boolean; digits: number; sep: string }): string {
  const trim = !std.zeros;
  if (trim && (std.digits === 0 || nsec === 0)) return '';
  let s = std.sep + pad(nsec, 9);
  if (std.digits < 9) s = s.slice(0, s.length - 9 + std.digits);
  if (trim) {
    s = s.replace(/0+$/, '');
    if (s === std.sep) s = '';
  }
  return s;
}

/** time's own quote() for error messages: bytes outside printable ASCII become \xNN (shared with the duration parser). */
export const timeQuote = goTimeQuote;

export class TimeParseError extends Error {}

function parseError(layout: string, value: string, layoutElem: string, valueElem: string, message: string): TimeParseError {
  if (message === '') {
    return new TimeParseError(
      `parsing time ${timeQuote(value)} as ${timeQuote(layout)}: cannot parse ${timeQuote(valueElem)} as ${timeQuote(layoutElem)}`,
    );
  }
  return new TimeParseError(`parsing time ${timeQuote(value)}${message}`);
}

// Go's errBad: one shared value, caught within parse() and turned into a ParseError.
class BadInput extends Error {}
const BAD = new BadInput('bad value for field');

/** getnum: one or two digits (exactly two when fixed). */
function getnum(s: string, fixed: boolean): [number, string] {
  if (!isDigitAt(s, 0)) throw BAD;
  if (!isDigitAt(s, 1)) {
    if (fixed) throw BAD;
    return [s.charCodeAt(0) - 48, s.slice(1)];
  }
  return [(s.charCodeAt(0) - 48) * 10 + s.charCodeAt(1) - 48, s.slice(2)];
}

function getnum3(s: string, fixed: boolean): [number, string] {
  let n = 0;
  let i = 0;
  for (; i < 3 && isDigitAt(s, i); i++) n = n * 10 + s.charCodeAt(i) - 48;
  if (i === 0 || (fixed && i !== 3)) throw BAD;
  return [n, s.slice(i)];
}

/** time.atoi: optional sign, then digits only. */
function atoi(s: string): number {
  let t = s;
  let neg = false;
  if (t[0] === '-' || t[0] === '+') {
    neg = t[0] === '-';
    t = t.slice(1);
  }
  if (!/^[0-9]+$/.test(t)) throw BAD;
  const x = Number(t);
  return neg ? -x : x;
}

function lookupName(tab: string[], val: string): [number, string] {
  for (let i = 0; i < tab.length; i++) {
    const v = tab[i]!;
    if (val.length >= v.length && val.slice(0, v.length).toLowerCase() === v.toLowerCase()) {
      // Go's match folds ASCII letters only; month and day names are ASCII.
      if (/^[A-Za-z]+$/.test(val.slice(0, v.length))) return [i, val.slice(v.length)];
    }
  }
  throw BAD;
}

const cutspace = (s: string): string => s.replace(/^ +/, '');

function skip(value: string, prefix: string): string {
  let v = value;
  let p = prefix;
  while (p.length > 0) {
    if (p[0] === ' ') {
      if (v.length > 0 && v[0] !== ' ') throw BAD;
      p = cutspace(p);
      v = cutspace(v);
      continue;
    }
    if (v.length === 0 || v[0] !== p[0]) throw BAD;
    p = p.slice(1);
    v = v.slice(1);
  }
  return v;
}

const commaOrPeriod = (c: string | undefined): boolean => c === '.' || c === ',';

function parseNanoseconds(value: string, nbytes0: number): [number, string] {
  if (!commaOrPeriod(value[0])) throw BAD;
  let nbytes = nbytes0;
  let v = value;
  if (nbytes > 10) {
    v = v.slice(0, 10);
    nbytes = 10;
  }
  let ns = atoi(v.slice(1, nbytes));
  if (ns < 0) return [0, 'fractional second'];
  for (let i = 0; i < 10 - nbytes; i++) ns *= 10;
  return [ns, ''];
}

function leadingIntLen(s: string): number {
  let i = 0;
  while (isDigitAt(s, i)) i++;
  return i;
}

function parseSignedOffset(value: string): number {
  if (value[0] !== '-' && value[0] !== '+') return 0;
  const n = leadingIntLen(value.slice(1));
  if (n === 0) return 0;
  const x = Number(value.slice(1, 1 + n));
  if (x > 12) return 0;
  return 1 + n;
}

function parseTimeZone(value: string): number {
  if (value.length < 3) return 0;
  if (value.startsWith('ChST') || value.startsWith('MeST')) return 4;
  if (value.startsWith('GMT')) return value.length === 3 ? 3 : 3 + parseSignedOffset(value.slice(3));
  if (value[0] === '+' || value[0] === '-') return parseSignedOffset(value);
  let nUpper = 0;
  while (nUpper < 6 && nUpper < value.length && value[nUpper]! >= 'A' && value[nUpper]! <= 'Z') nUpper++;
  switch (nUpper) {
    case 5:
      return value[4] === 'T' ? 5 : 0;
    case 4:
      return value[3] === 'T' || value.startsWith('WITA') ? 4 : 0;
    case 3:
      return 3;
  }
  return 0;
}

const daysBefore = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365];

/** time.ParseInLocation(layout, value, loc) (time.Parse is loc = UTC). */
export function parse(layout0: string, value0: string, defaultLoc: Location, local: Location): GoTime {
  let layout = layout0;
  let value = value0;
  let rangeErr = '';
  let amSet = false;
  let pmSet = false;
  let year = 0;
  let month = -1;
  let day = -1;
  let yday = -1;
  let hour = 0;
  let min = 0;
  let sec = 0;
  let nsec = 0;
  let z: Location | undefined;
  let zoneOffset = -1;
  let zoneName = '';

  for (;;) {
    const [prefix, std, suffix] = nextStdChunk(layout);
    const stdstr = layout.slice(prefix.length, layout.length - suffix.length);
    try {
      value = skip(value, prefix);
    } catch {
      throw parseError(layout0, value0, prefix, value, '');
    }
    if (std.k === 'none') {
      if (value.length !== 0) throw parseError(layout0, value0, '', value, `: extra text: ${timeQuote(value)}`);
      break;
    }
    layout = suffix;
    const hold = value;
    try {
      switch (std.k) {
        case 'year': {
          if (value.length < 2) throw BAD;
          const p = value.slice(0, 2);
          value = value.slice(2);
          year = atoi(p);
          year += year >= 69 ? 1900 : 2000;
          break;
        }
        case 'longYear':
          if (value.length < 4 || !isDigitAt(value, 0)) throw BAD;
          year = atoi(value.slice(0, 4));
          value = value.slice(4);
          break;
        case 'month':
        case 'longMonth':
          [month, value] = lookupName(std.k === 'month' ? shortMonthNames : longMonthNames, value);
          month++;
          break;
        case 'numMonth':
        case 'zeroMonth':
          [month, value] = getnum(value, std.k === 'zeroMonth');
          if (month <= 0 || month > 12) rangeErr = 'month';
          break;
        case 'weekDay':
          [, value] = lookupName(shortDayNames, value);
          break;
        case 'longWeekDay':
          [, value] = lookupName(longDayNames, value);
          break;
        case 'day':
        case 'underDay':
        case 'zeroDay':
          if (std.k === 'underDay' && value[0] === ' ') value = value.slice(1);
          [day, value] = getnum(value, std.k === 'zeroDay');
          break;
        case 'underYearDay':
        case 'zeroYearDay':
          for (let i = 0; i < 2; i++) if (std.k === 'underYearDay' && value[0] === ' ') value = value.slice(1);
          [yday, value] = getnum3(value, std.k === 'zeroYearDay');
          break;
        case 'hour':
          [hour, value] = getnum(value, false);
          if (hour < 0 || hour >= 24) rangeErr = 'hour';
          break;
        case 'hour12':
        case 'zeroHour12':
          [hour, value] = getnum(value, std.k === 'zeroHour12');
          if (hour < 0 || hour > 12) rangeErr = 'hour';
          break;
        case 'minute':
        case 'zeroMinute':
          [min, value] = getnum(value, std.k === 'zeroMinute');
          if (min < 0 || min >= 60) rangeErr = 'minute';
          break;
        case 'second':
        case 'zeroSecond': {
          [sec, value] = getnum(value, std.k === 'zeroSecond');
          if (sec < 0 || sec >= 60) {
            rangeErr = 'second';
            break;
          }
          // A fractional second in the input that the layout does not have is still accepted.
          if (value.length >= 2 && commaOrPeriod(value[0]) && isDigitAt(value, 1)) {
            const [, next] = nextStdChunk(layout);
            if (next.k === 'frac') break;
            let n = 2;
            while (n < value.length && isDigitAt(value, n)) n++;
            [nsec, rangeErr] = parseNanoseconds(value, n);
            value = value.slice(n);
          }
          break;
        }
        case 'PM':
        case 'pm': {
          if (value.length < 2) throw BAD;
          const p = value.slice(0, 2);
          value = value.slice(2);
          const [pm, am] = std.k === 'PM' ? ['PM', 'AM'] : ['pm', 'am'];
          if (p === pm) pmSet = true;
          else if (p === am) amSet = true;
          else throw BAD;
          break;
        }
        case 'tz': {
          if (std.iso && value[0] === 'Z') {
            value = value.slice(1);
            z = UTC;
            break;
          }
          let sign: string;
          let hh: string;
          let mm: string;
          let ss = '00';
          switch (std.form) {
            case 'colon':
              if (value.length < 6 || value[3] !== ':') throw BAD;
              [sign, hh, mm, value] = [value[0]!, value.slice(1, 3), value.slice(4, 6), value.slice(6)];
              break;
            case 'short':
              if (value.length < 3) throw BAD;
              [sign, hh, mm, value] = [value[0]!, value.slice(1, 3), '00', value.slice(3)];
              break;
            case 'colonSeconds':
              if (value.length < 9 || value[3] !== ':' || value[6] !== ':') throw BAD;
              [sign, hh, mm, ss, value] = [value[0]!, value.slice(1, 3), value.slice(4, 6), value.slice(7, 9), value.slice(9)];
              break;
            case 'seconds':
              if (value.length < 7) throw BAD;
              [sign, hh, mm, ss, value] = [value[0]!, value.slice(1, 3), value.slice(3, 5), value.slice(5, 7), value.slice(7)];
              break;
            default:
              if (value.length < 5) throw BAD;
              [sign, hh, mm, value] = [value[0]!, value.slice(1, 3), value.slice(3, 5), value.slice(5)];
          }
          const [hr] = getnum(hh, true);
          const [mi] = getnum(mm, true);
          const [se] = getnum(ss, true);
          if (hr > 24) rangeErr = 'time zone offset hour';
          if (mi > 60) rangeErr = 'time zone offset minute';
          if (se > 60) rangeErr = 'time zone offset second';
          zoneOffset = (hr * 60 + mi) * 60 + se;
          if (sign === '-') zoneOffset = -zoneOffset;
          else if (sign !== '+') throw BAD;
          break;
        }
        case 'TZ': {
          if (value.startsWith('UTC')) {
            z = UTC;
            value = value.slice(3);
            break;
          }
          const n = parseTimeZone(value);
          if (n === 0) throw BAD;
          zoneName = value.slice(0, n);
          value = value.slice(n);
          break;
        }
        case 'frac':
          if (std.zeros) {
            const ndigit = 1 + std.digits;
            if (value.length < ndigit) throw BAD;
            [nsec, rangeErr] = parseNanoseconds(value, ndigit);
            value = value.slice(ndigit);
          } else {
            if (value.length < 2 || !commaOrPeriod(value[0]) || !isDigitAt(value, 1)) break;
            let i = 0;
            while (i + 1 < value.length && isDigitAt(value, i + 1)) i++;
            [nsec, rangeErr] = parseNanoseconds(value, 1 + i);
            value = value.slice(1 + i);
          }
          break;
      }
    } catch (e) {
      if (e !== BAD) throw e;
      if (rangeErr !== '') throw parseError(layout0, value0, stdstr, value, `: ${rangeErr} out of range`);
      throw parseError(layout0, value0, stdstr, hold, '');
    }
    if (rangeErr !== '') throw parseError(layout0, value0, stdstr, value, `: ${rangeErr} out of range`);
  }
  if (pmSet && hour < 12) hour += 12;
  else if (amSet && hour === 12) hour = 0;

  if (yday >= 0) {
    let d = 0;
    let m = 0;
    if (isLeap(year)) {
      if (yday === 31 + 29) {
        m = 2;
        d = 29;
      } else if (yday > 31 + 29) yday--;
    }
    if (yday < 1 || yday > 365) throw parseError(layout0, value0, '', value, ': day-of-year out of range');
    if (m === 0) {
      m = Math.floor((yday - 1) / 31) + 1;
      if (daysBefore[m]! < yday) m++;
      d = yday - daysBefore[m - 1]!;
    }
    if (month >= 0 && month !== m) throw parseError(layout0, value0, '', value, ': day-of-year does not match month');
    month = m;
    if (day >= 0 && day !== d) throw parseError(layout0, value0, '', value, ': day-of-year does not match day');
    day = d;
  } else {
    if (month < 0) month = 1;
    if (day < 0) day = 1;
  }
  if (day < 1 || day > daysIn(month, year)) throw parseError(layout0, value0, '', value, ': day out of range');

  if (z !== undefined) return date(year, month, day, hour, min, sec, nsec, z);
  if (zoneOffset !== -1) {
    const t = date(year, month, day, hour, min, sec, nsec, UTC);
    t.sec -= zoneOffset;
    const lz = local.lookup(t.sec);
    if (lz.offset === zoneOffset && (zoneName === '' || lz.name === zoneName)) return { ...t, loc: local };
    return { ...t, loc: fixedZone(zoneName, zoneOffset) };
  }
  if (zoneName !== '') {
    const t = date(year, month, day, hour, min, sec, nsec, UTC);
    const lz = local.lookup(t.sec);
    if (lz.name === zoneName) {
      t.sec -= lz.offset;
      return { ...t, loc: local };
    }
    let offset = 0;
    if (zoneName.length > 3 && zoneName.startsWith('GMT')) offset = Number(zoneName.slice(3)) * 3600;
    return { ...t, loc: fixedZone(zoneName, offset) };
  }
  return date(year, month, day, hour, min, sec, nsec, defaultLoc);
}
