/** sprig's integer, float and decimal arithmetic (numeric.go, functions.go). */
import { randomInt } from 'node:crypto';
import { sprint } from '../fmt.ts';
import { allocate } from '../limits.ts';
import { formatFloat, parseIntGo } from '../strconv.ts';
import { fn, GoFuncError, GoInt, GoSlice, type GoFunc, type GoValue } from '../values.ts';
import { castToFloat64, castToInt64, int, int64, num } from './conv.ts';

const IF = 'interface {}';

function wrap64(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}

/** A decimal as mantissa × 10^exp, what shopspring/decimal computes with. */
interface Dec {
  m: bigint;
  e: number;
}

function decFromFloat(f: number): Dec {
  if (!Number.isFinite(f)) throw new GoFuncError(`Cannot create a Decimal from ${Number.isNaN(f) ? 'NaN' : f > 0 ? '+Inf' : '-Inf'}`);
  if (f === 0) return { m: 0n, e: 0 };
  const s = formatFloat(f, 'e', -1); // shortest round-trip digits
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s)!;
  const digits = m[2]! + (m[3] ?? '');
  return { m: BigInt(m[1] + digits), e: Number(m[4]) - (digits.length - 1) };
}

function align(a: Dec, b: Dec): [bigint, bigint, number] {
  const e = Math.min(a.e, b.e);
  return [a.m * 10n ** BigInt(a.e - e), b.m * 10n ** BigInt(b.e - e), e];
}

function decToFloat(d: Dec): number {
  return Number(`${d.m}e${d.e}`);
}

const ops: Record<string, (a: Dec, b: Dec) => Dec> = {
  add: (a, b) => {
    const [x, y, e] = align(a, b);
    return { m: x + y, e };
  },
  sub: (a, b) => {
    const [x, y, e] = align(a, b);
    return { m: x - y, e };
  },
  mul: (a, b) => ({ m: a.m * b.m, e: a.e + b.e }),
  div: (a, b) => {
    if (b.m === 0n) throw new GoFuncError('decimal division by 0');
    // Quotient to 16 decimal places, rounded half away from zero (DivRound).
    const prec = 16;
    const e = a.e - b.e + prec;
    let aa = a.m;
    let bb = b.m;
    if (e < 0) bb *= 10n ** BigInt(-e);
    else aa *= 10n ** BigInt(e);
    let q = aa / bb;
    const r = aa % bb;
    const r2 = (r < 0n ? -r : r) * 2n;
    if (r2 >= (bb < 0n ? -bb : bb)) q += (aa < 0n) !== (bb < 0n) ? -1n : 1n;
    return { m: q, e: -prec };
  },
};

function decimalOp(op: string, a: GoValue, rest: GoValue[]): number {
  let acc = decFromFloat(castToFloat64(a));
  for (const x of rest) acc = ops[op]!(acc, decFromFloat(castToFloat64(x)));
  return decToFloat(acc);
}

export function untilStep(start: number, stop: number, step: number): number[] {
  const v: number[] = [];
  if (stop < start) {
    if (step >= 0) return v;
    allocate(Math.ceil((start - stop) / -step) * 8);
    for (let i = start; i > stop; i += step) v.push(i);
    return v;
  }
  if (step <= 0) return v;
  allocate(Math.ceil((stop - start) / step) * 8);
  for (let i = start; i < stop; i += step) v.push(i);
  return v;
}

function intSlice(v: number[]): GoSlice {
  return new GoSlice('int', v.map((x) => new GoInt('int', BigInt(x))));
}

function seq(params: number[]): string {
  let increment = 1;
  let list: number[];
  switch (params.length) {
    case 0:
      return '';
    case 1: {
      const start = 1;
      const end = params[0]!;
      if (end < start) increment = -1;
      list = untilStep(start, end + increment, increment);
      break;
    }
    case 3: {
      const [start, step, end] = params as [number, number, number];
      if (end < start) {
        increment = -1;
        if (step > 0) return '';
      }
      list = untilStep(start, end + increment, step);
      break;
    }
    case 2: {
      const [start, end] = params as [number, number];
      const step = end < start ? -1 : 1;
      list = untilStep(start, end + step, step);
      break;
    }
    default:
      return '';
  }
  return list.join(' ');
}

function round(a: GoValue, p: number, rOpt: GoValue[]): number {
  const roundOn = rOpt.length > 0 ? (rOpt[0] as number) : 0.5;
  const val = castToFloat64(a);
  const pow = Math.pow(10, p);
  const digit = pow * val;
  const div = digit % 1; // math.Modf fractional part keeps the sign
  const r = div >= roundOn ? Math.ceil(digit) : Math.floor(digit);
  return r / pow;
}

function divide(a: bigint, b: bigint): bigint {
  if (b === 0n) throw new GoFuncError('runtime error: integer divide by zero');
  return wrap64(a / b);
}

export function mathFuncs(): GoFunc[] {
  return [
    fn('atoi', ['string'], 'int', (s) => {
      // strconv.Atoi: base 10, optional sign, no underscores or prefixes.
      const t = s as string;
      if (!/^[+-]?\d+$/.test(t)) return int(0);
      const r = parseIntGo(t, 10, 64);
      return int(typeof r === 'bigint' ? r : 0n);
    }),
    fn('int64', [IF], 'int64', (v) => int64(castToInt64(v))),
    fn('int', [IF], 'int', (v) => int(castToInt64(v))),
    fn('float64', [IF], 'float64', (v) => castToFloat64(v)),
    fn('seq', [], 'string', (...p) => seq(p.map(num)), { variadic: 'int' }),
    fn('toDecimal', [IF], 'int64', (v) => {
      const r = parseIntGo(sprint([v]), 8, 64);
      return int64(typeof r === 'bigint' ? r : 0n);
    }),
    fn('until', ['int'], '[]int', (c) => intSlice(untilStep(0, num(c), num(c) < 0 ? -1 : 1))),
    fn('untilStep', ['int', 'int', 'int'], '[]int', (a, b, c) => intSlice(untilStep(num(a), num(b), num(c)))),
    fn('add1', [IF], 'int64', (i) => int64(wrap64(castToInt64(i) + 1n))),
    fn('add', [], 'int64', (...v) => int64(v.reduce<bigint>((a, b) => wrap64(a + castToInt64(b)), 0n)), { variadic: IF }),
    fn('sub', [IF, IF], 'int64', (a, b) => int64(wrap64(castToInt64(a) - castToInt64(b)))),
    fn('div', [IF, IF], 'int64', (a, b) => int64(divide(castToInt64(a), castToInt64(b)))),
    fn('mod', [IF, IF], 'int64', (a, b) => {
      const d = castToInt64(b);
      if (d === 0n) throw new GoFuncError('runtime error: integer divide by zero');
      return int64(castToInt64(a) % d);
    }),
    fn('mul', [IF], 'int64', (a, ...v) => int64(v.reduce<bigint>((x, b) => wrap64(x * castToInt64(b)), castToInt64(a))), { variadic: IF }),
    fn('randInt', ['int', 'int'], 'int', (lo, hi) => {
      const n = num(hi) - num(lo);
      if (n <= 0) throw new GoFuncError('invalid argument to Intn');
      return int(randomInt(Math.min(n, 2 ** 48 - 1)) + num(lo));
    }),
    fn('add1f', [IF], 'float64', (i) => decimalOp('add', i, [new GoInt('int', 1n)])),
    fn('addf', [], 'float64', (...v) => decimalOp('add', 0, v), { variadic: IF }),
    fn('subf', [IF], 'float64', (a, ...v) => decimalOp('sub', a, v), { variadic: IF }),
    fn('divf', [IF], 'float64', (a, ...v) => decimalOp('div', a, v), { variadic: IF }),
    fn('mulf', [IF], 'float64', (a, ...v) => decimalOp('mul', a, v), { variadic: IF }),
    fn('biggest', [IF], 'int64', (a, ...v) => int64(v.reduce<bigint>((x, b) => (castToInt64(b) > x ? castToInt64(b) : x), castToInt64(a))), { variadic: IF }),
    fn('max', [IF], 'int64', (a, ...v) => int64(v.reduce<bigint>((x, b) => (castToInt64(b) > x ? castToInt64(b) : x), castToInt64(a))), { variadic: IF }),
    fn('min', [IF], 'int64', (a, ...v) => int64(v.reduce<bigint>((x, b) => (castToInt64(b) < x ? castToInt64(b) : x), castToInt64(a))), { variadic: IF }),
    fn('maxf', [IF], 'float64', (a, ...v) => v.reduce<number>((x, b) => goMax(x, castToFloat64(b)), castToFloat64(a)), { variadic: IF }),
    fn('minf', [IF], 'float64', (a, ...v) => v.reduce<number>((x, b) => goMin(x, castToFloat64(b)), castToFloat64(a)), { variadic: IF }),
    fn('ceil', [IF], 'float64', (a) => Math.ceil(castToFloat64(a))),
    fn('floor', [IF], 'float64', (a) => Math.floor(castToFloat64(a))),
    fn('round', [IF, 'int'], 'float64', (a, p, ...r) => round(a, num(p), r), { variadic: 'float64' }),
  ];
}

/** math.Max/Min: NaN wins, and +0/-0 are ordered. */
function goMax(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
  if (a === 0 && b === 0) return Object.is(a, -0) ? b : a;
  return a > b ? a : b;
}
function goMin(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
  if (a === 0 && b === 0) return Object.is(a, -0) ? a : b;
  return a < b ? a : b;
}
