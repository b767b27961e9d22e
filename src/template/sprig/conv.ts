/**
 * The conversions sprig leans on: strval (fmt %v or Stringer), spf13/cast's
 * ToInt64/ToInt/ToFloat64 (lenient: bad input becomes 0), and `empty`.
 */
import { sprint, stringerOf } from '../fmt.ts';
import { parseFloatGo, parseIntGo } from '../strconv.ts';
import { GoInt, GoMap, GoSlice, GoStruct, isFunc, type GoValue } from '../values.ts';

export function strval(v: GoValue): string {
  if (typeof v === 'string') return v;
  if (v instanceof GoSlice && v.elem === 'uint8') return String.fromCharCode(...v.items.map((b) => Number((b as GoInt).v)));
  const s = stringerOf(v);
  if (s) return s();
  return sprint([v]);
}

/** Go's int64(f) conversion on amd64: out of range and NaN give the minimum int64. */
export function floatToInt64(f: number): bigint {
  if (!Number.isFinite(f) || f >= 2 ** 63 || f < -(2 ** 63)) return -(1n << 63n);
  return BigInt(Math.trunc(f));
}

function trimZeroDecimal(s: string): string {
  let foundZero = false;
  for (let i = s.length; i > 0; i--) {
    const c = s[i - 1];
    if (c === '.') {
      if (foundZero) return s.slice(0, i - 1);
    } else if (c === '0') foundZero = true;
    else return s;
  }
  return s;
}

export function castToInt64(v: GoValue): bigint {
  if (v instanceof GoInt) return BigInt.asIntN(64, v.v);
  if (typeof v === 'number') return floatToInt64(v);
  if (typeof v === 'string') {
    const r = parseIntGo(trimZeroDecimal(v), 0, 64);
    return typeof r === 'bigint' ? r : 0n;
  }
  if (typeof v === 'boolean') return v ? 1n : 0n;
  return 0n;
}

export function castToFloat64(v: GoValue): number {
  if (typeof v === 'number') return v;
  if (v instanceof GoInt) return Number(v.v);
  if (typeof v === 'string') return parseFloatGo(v) ?? 0;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return 0;
}

/** sprig's empty(): nil, zero numbers, false, and empty strings/slices/maps. */
export function empty(v: GoValue): boolean {
  if (v === null) return true;
  if (typeof v === 'string') return v.length === 0;
  if (typeof v === 'boolean') return !v;
  if (typeof v === 'number') return v === 0;
  if (v instanceof GoInt) return v.v === 0n;
  if (v instanceof GoSlice) return v.items.length === 0;
  if (v instanceof GoMap) return v.m.size === 0;
  if (v instanceof GoStruct) return false;
  if (isFunc(v)) return false;
  return false;
}

export function int(n: number | bigint): GoInt {
  return new GoInt('int', BigInt(n));
}
export function int64(n: number | bigint): GoInt {
  return new GoInt('int64', BigInt(n));
}
/** A Go `int` argument as a JS number (callers already clamp where it matters). */
export function num(v: GoValue): number {
  return Number((v as GoInt).v);
}
