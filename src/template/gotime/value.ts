/**
 * time.Time as a template value: a struct with Go's methods (.Year, .Unix,
 * .Format, .Add, ...), String() for printing and MarshalJSON for toJson.
 */
import { fn, GoFuncError, GoInt, GoStruct, type GoFunc, type GoValue } from '../values.ts';
import { format } from './layout.ts';
import { add, civil, date, fromNanos, isZero, LOCAL, NS, sub, toNanos, UTC, type GoTime } from './time.ts';

export const TIME = 'time.Time';
const DURATION = 'time.Duration';

const int = (n: number | bigint): GoInt => new GoInt('int', BigInt(n));
const int64 = (n: number | bigint): GoInt => new GoInt('int64', BigInt(n));
const ns = (v: GoValue): bigint => (v as GoInt).v;

export function isTime(v: GoValue): v is GoStruct {
  return v instanceof GoStruct && v.type === TIME && !v.ptr;
}

export function timeOf(v: GoValue): GoTime {
  return (v as GoStruct).native as GoTime;
}

/** Time.String(), with the monotonic reading Go appends for time.Now() values. */
export function timeString(t: GoTime): string {
  let s = format(t, '2006-01-02 15:04:05.999999999 -0700 MST');
  if (t.mono !== undefined) {
    const m = t.mono < 0n ? -t.mono : t.mono;
    const frac = String(m % NS).padStart(9, '0');
    s += ` m=${t.mono < 0n ? '-' : '+'}${m / NS}.${frac}`;
  }
  return s;
}

function marshalTime(t: GoTime): string {
  const y = civil(t).year;
  if (y < 0 || y > 9999) throw new GoFuncError('json: error calling MarshalJSON for type time.Time: Time.MarshalJSON: year outside of range [0,9999]');
  return '"' + format(t, '2006-01-02T15:04:05.999999999Z07:00') + '"';
}

const strip = (t: GoTime): GoTime => ({ sec: t.sec, nsec: t.nsec, loc: t.loc });

// Truncate and Round work on the time since Go's zero time (year 1), not since 1970.
const ZERO_NS = -62135596800n * NS;

function truncateOrRound(t: GoTime, d: bigint, round: boolean): GoTime {
  const s = strip(t);
  if (d <= 0n) return s;
  const since = toNanos(s) - ZERO_NS;
  const r = since % d;
  if (!round) return fromNanos(toNanos(s) - r, s.loc);
  if (r + r < d) return fromNanos(toNanos(s) - r, s.loc);
  return fromNanos(toNanos(s) + (d - r), s.loc);
}

export function timeValue(t: GoTime): GoStruct {
  const c = (): ReturnType<typeof civil> => civil(t);
  const other = (v: GoValue): GoTime => timeOf(v);
  const methods: GoFunc[] = [
    fn('Year', [], 'int', () => int(c().year)),
    fn('Month', [], 'time.Month', () => new GoInt('time.Month', BigInt(c().month))),
    fn('Day', [], 'int', () => int(c().day)),
    fn('Hour', [], 'int', () => int(c().hour)),
    fn('Minute', [], 'int', () => int(c().min)),
    fn('Second', [], 'int', () => int(c().sec)),
    fn('Nanosecond', [], 'int', () => int(t.nsec)),
    fn('YearDay', [], 'int', () => int(c().yday)),
    fn('Weekday', [], 'time.Weekday', () => new GoInt('time.Weekday', BigInt(c().weekday))),
    fn('Unix', [], 'int64', () => int64(t.sec)),
    fn('UnixMilli', [], 'int64', () => int64(BigInt(t.sec) * 1000n + BigInt(Math.floor(t.nsec / 1e6)))),
    fn('UnixMicro', [], 'int64', () => int64(BigInt(t.sec) * 1_000_000n + BigInt(Math.floor(t.nsec / 1e3)))),
    fn('UnixNano', [], 'int64', () => int64(BigInt.asIntN(64, toNanos(t)))),
    fn('Format', ['string'], 'string', (l) => format(t, l as string)),
    fn('String', [], 'string', () => timeString(t)),
    fn('IsZero', [], 'bool', () => isZero(t)),
    fn('UTC', [], TIME, () => timeValue({ sec: t.sec, nsec: t.nsec, loc: UTC })),
    fn('Local', [], TIME, () => timeValue({ sec: t.sec, nsec: t.nsec, loc: LOCAL })),
    fn('Add', [DURATION], TIME, (d) => timeValue(add(t, ns(d)))),
    fn('Sub', [TIME], DURATION, (u) => new GoInt(DURATION, sub(t, other(u)))),
    fn('AddDate', ['int', 'int', 'int'], TIME, (y, m, d) => {
      const x = c();
      return timeValue(date(x.year + Number(ns(y)), x.month + Number(ns(m)), x.day + Number(ns(d)), x.hour, x.min, x.sec, t.nsec, t.loc));
    }),
    fn('After', [TIME], 'bool', (u) => toNanos(t) > toNanos(other(u))),
    fn('Before', [TIME], 'bool', (u) => toNanos(t) < toNanos(other(u))),
    fn('Equal', [TIME], 'bool', (u) => toNanos(t) === toNanos(other(u))),
    fn('Compare', [TIME], 'int', (u) => {
      const a = toNanos(t);
      const b = toNanos(other(u));
      return int(a < b ? -1 : a > b ? 1 : 0);
    }),
    fn('Truncate', [DURATION], TIME, (d) => timeValue(truncateOrRound(t, ns(d), false))),
    fn('Round', [DURATION], TIME, (d) => timeValue(truncateOrRound(t, ns(d), true))),
  ];
  return new GoStruct({ type: TIME, methods, native: t, str: () => timeString(t), marshalJSON: () => marshalTime(t) });
}
