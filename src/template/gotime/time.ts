/**
 * Go's time.Time for templates: an instant (Unix seconds + nanoseconds), a
 * location, and Go's calendar arithmetic (proleptic Gregorian, any year).
 * JS Date is not used for the calendar: it maps years 0–99 to 19xx and has
 * millisecond resolution, both of which Go output would expose.
 */

export const longMonthNames = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
export const longDayNames = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
export const shortMonthNames = longMonthNames.map((m) => m.slice(0, 3));
export const shortDayNames = longDayNames.map((d) => d.slice(0, 3));

/** A zone in effect at some instant: its abbreviation ("" if it has none) and offset east of UTC in seconds. */
export interface ZoneInfo {
  name: string;
  offset: number;
}

export interface Location {
  /** Location.String(): "UTC", "Local", "Europe/Berlin", or a fixed zone's name. */
  readonly name: string;
  lookup(unixSec: number): ZoneInfo;
}

export const UTC: Location = { name: 'UTC', lookup: () => ({ name: 'UTC', offset: 0 }) };

/**
 * time.Local. Hush renders as the Go oracle runs, with TZ=UTC, so Local is a
 * zone called "UTC" at offset 0 that is nonetheless not time.UTC (Go keeps
 * the difference: a parsed "+00:00" lands in Local, "Z" in UTC).
 */
export const LOCAL: Location = { name: 'Local', lookup: () => ({ name: 'UTC', offset: 0 }) };

export function fixedZone(name: string, offset: number): Location {
  return { name, lookup: () => ({ name, offset }) };
}

export interface GoTime {
  /** Seconds since the Unix epoch (a JS number: exact for any year a template meets). */
  sec: number;
  /** 0 ≤ nsec < 1e9. */
  nsec: number;
  loc: Location;
  /** Monotonic clock reading in ns (only for time.Now()), printed by String() as m=±s. */
  mono?: bigint;
}

export const zeroTime = (): GoTime => ({ sec: -62135596800, nsec: 0, loc: UTC });

export function isZero(t: GoTime): boolean {
  return t.sec === -62135596800 && t.nsec === 0;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function civilFromDays(z0: number): [number, number, number] {
  const z = z0 + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

export function isLeap(y: number): boolean {
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
}

export function daysIn(month: number, year: number): number {
  if (month === 2) return isLeap(year) ? 29 : 28;
  return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
}

/** The wall-clock fields of t in its location. */
export interface Civil {
  year: number;
  month: number;
  day: number;
  hour: number;
  min: number;
  sec: number;
  nsec: number;
  /** 0 = Sunday. */
  weekday: number;
  /** 1-based day of the year. */
  yday: number;
  zone: ZoneInfo;
}

export function civil(t: GoTime): Civil {
  const zone = t.loc.lookup(t.sec);
  const local = t.sec + zone.offset;
  const days = Math.floor(local / 86400);
  const sod = local - days * 86400;
  const [year, month, day] = civilFromDays(days);
  return {
    year,
    month,
    day,
    hour: Math.floor(sod / 3600),
    min: Math.floor((sod % 3600) / 60),
    sec: sod % 60,
    nsec: t.nsec,
    weekday: (((days + 4) % 7) + 7) % 7,
    yday: days - daysFromCivil(year, 1, 1) + 1,
    zone,
  };
}

/**
 * time.Date: normalizes out-of-range fields (month 13, day 0, ...) the way
 * Go does, then resolves the wall clock in loc.
 */
export function date(year: number, month: number, day: number, hour: number, min: number, sec: number, nsec: number, loc: Location): GoTime {
  let m = month - 1;
  const y = year + Math.floor(m / 12);
  m = ((m % 12) + 12) % 12;
  let s = sec + Math.floor(nsec / 1e9);
  const ns = ((nsec % 1e9) + 1e9) % 1e9;
  s += min * 60 + hour * 3600;
  const days = daysFromCivil(y, m + 1, 1) + (day - 1);
  const wall = days * 86400 + s;
  // Go: look up the offset at the wall time taken as UTC, then correct if that instant is in another zone period.
  let offset = loc.lookup(wall).offset;
  if (offset !== 0) {
    const again = loc.lookup(wall - offset).offset;
    if (again !== offset) offset = again;
  }
  return { sec: wall - offset, nsec: ns, loc };
}

export const NS = 1_000_000_000n;

export function toNanos(t: GoTime): bigint {
  return BigInt(t.sec) * NS + BigInt(t.nsec);
}

export function fromNanos(ns: bigint, loc: Location, mono?: bigint): GoTime {
  let sec = ns / NS;
  let nsec = ns % NS;
  if (nsec < 0n) {
    nsec += NS;
    sec -= 1n;
  }
  return { sec: Number(sec), nsec: Number(nsec), loc, mono };
}

const MAX_I64 = (1n << 63n) - 1n;
const MIN_I64 = -(1n << 63n);

/** t.Sub(u), saturating at the int64 range as Go does. */
export function sub(t: GoTime, u: GoTime): bigint {
  const d = toNanos(t) - toNanos(u);
  return d > MAX_I64 ? MAX_I64 : d < MIN_I64 ? MIN_I64 : d;
}

export function add(t: GoTime, d: bigint): GoTime {
  return fromNanos(toNanos(t) + d, t.loc, t.mono === undefined ? undefined : t.mono + d);
}

const processStart = process.hrtime.bigint();
const wallAtStart = BigInt(Date.now()) * 1_000_000n;

/** time.Now(): the wall clock in Local, with a monotonic reading. */
export function now(): GoTime {
  const mono = process.hrtime.bigint() - processStart;
  // +1 so the reading is never exactly zero, which Go would not print.
  return fromNanos(wallAtStart + mono, LOCAL, mono + 1n);
}

export function fromDate(d: Date): GoTime {
  return fromNanos(BigInt(d.getTime()) * 1_000_000n, LOCAL);
}
