/**
 * sprig's date functions (date.go): formatting with Go layouts in a zone,
 * parsing, duration arithmetic and rounding. `now` is the wall clock unless
 * the render pins it (TemplateOptions.now). Local is UTC, as in ESO's image.
 */
import { formatDuration } from '../fmt.ts';
import { parseDuration, roundDuration } from '../gotime/duration.ts';
import { format, parse } from '../gotime/layout.ts';
import { add, LOCAL, now as clockNow, NS, sub, zeroTime, type GoTime } from '../gotime/time.ts';
import { isTime, TIME, timeOf, timeValue } from '../gotime/value.ts';
import { loadLocation } from '../gotime/zone.ts';
import { parseIntGo } from '../strconv.ts';
import { fn, GoFuncError, GoInt, type GoFunc, type GoValue } from '../values.ts';

const S = 'string';
const IF = 'interface {}';

/** The time a sprig date function takes from an interface{} argument, or now. */
function timeArg(v: GoValue, types: readonly string[]): GoTime {
  if (isTime(v)) return timeOf(v);
  if (v instanceof GoInt && types.includes(v.type)) return { sec: Number(v.v), nsec: 0, loc: LOCAL };
  return clockNow();
}

function dateInZone(layout: string, d: GoValue, zone: string): string {
  const t = timeArg(d, ['int64', 'int', 'int32']);
  const loc = loadLocation(zone) ?? loadLocation('UTC')!;
  return format({ sec: t.sec, nsec: t.nsec, loc }, layout);
}

function durationOf(v: GoValue): string {
  let n = 0n;
  if (typeof v === 'string') {
    const r = parseIntGo(v, 10, 64);
    // strconv.ParseInt returns the clamped value with its range error; sprig ignores the error.
    if (r === 'range') n = v.startsWith('-') ? -(1n << 63n) : (1n << 63n) - 1n;
    else if (r !== undefined) n = r;
  } else if (v instanceof GoInt && v.type === 'int64') n = v.v;
  return formatDuration(BigInt.asIntN(64, n * NS));
}

function durationRound(v: GoValue): string {
  let d = 0n;
  if (typeof v === 'string') {
    try {
      d = parseDuration(v);
    } catch {
      d = 0n;
    }
  } else if (v instanceof GoInt && v.type === 'int64') d = v.v;
  else if (isTime(v)) d = sub(clockNow(), timeOf(v));
  const u = d < 0n ? -d : d;
  const hour = 3600n * NS;
  const steps: [bigint, string][] = [
    [hour * 24n * 365n, 'y'],
    [hour * 24n * 30n, 'mo'],
    [hour * 24n, 'd'],
    [hour, 'h'],
    [60n * NS, 'm'],
    [NS, 's'],
  ];
  for (const [unit, suffix] of steps) if (u > unit) return `${u / unit}${suffix}`;
  return '0s';
}

function dateModify(spec: string, t: GoValue, must: boolean): GoValue {
  let d: bigint;
  try {
    d = parseDuration(spec);
  } catch (e) {
    if (must) throw new GoFuncError((e as Error).message);
    return t;
  }
  return timeValue(add(timeOf(t), d));
}

function toDate(layout: string, value: string, must: boolean): GoValue {
  try {
    return timeValue(parse(layout, value, LOCAL, LOCAL));
  } catch (e) {
    if (must) throw new GoFuncError((e as Error).message);
    return timeValue(zeroTime());
  }
}

/** `now` as a template function; `fixed` pins it (tests, `hush render --now`). */
export function nowFunc(fixed?: GoTime): GoFunc {
  return fn('now', [], TIME, () => timeValue(fixed ?? clockNow()));
}

export function dateFuncs(): GoFunc[] {
  const inZone = (name: string): GoFunc => fn(name, [S, IF, S], S, (f, d, z) => dateInZone(f as string, d, z as string));
  const modify = (name: string, must: boolean): GoFunc =>
    fn(name, [S, TIME], TIME, (s, t) => dateModify(s as string, t, must), must ? { canFail: true } : {});
  return [
    nowFunc(),
    fn('date', [S, IF], S, (f, d) => dateInZone(f as string, d, 'Local')),
    inZone('dateInZone'),
    inZone('date_in_zone'),
    fn('htmlDate', [IF], S, (d) => dateInZone('2006-01-02', d, 'Local')),
    fn('htmlDateInZone', [IF, S], S, (d, z) => dateInZone('2006-01-02', d, z as string)),
    modify('dateModify', false),
    modify('date_modify', false),
    modify('mustDateModify', true),
    modify('must_date_modify', true),
    fn('ago', [IF], S, (d) => formatDuration(roundDuration(sub(clockNow(), timeArg(d, ['int64', 'int'])), NS))),
    fn('duration', [IF], S, (v) => durationOf(v)),
    fn('durationRound', [IF], S, (v) => durationRound(v)),
    fn('toDate', [S, S], TIME, (f, s) => toDate(f as string, s as string, false)),
    fn('mustToDate', [S, S], TIME, (f, s) => toDate(f as string, s as string, true), { canFail: true }),
    fn('unixEpoch', [TIME], S, (t) => String(timeOf(t).sec)),
  ];
}
