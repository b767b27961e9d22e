/** sprig's lists, dicts, defaults and reflection helpers (list.go, dict.go, defaults.go, reflect.go). */
import { allocate } from '../limits.ts';
import {
  fn,
  GoFuncError,
  GoInt,
  GoMap,
  GoSlice,
  GoStruct,
  ifaceMap,
  ifaceSlice,
  kindOf,
  reflectKindName,
  sortedKeys,
  stringSlice,
  typeName,
  type GoFunc,
  type GoValue,
} from '../values.ts';
import { castToInt64, empty, num, strval } from './conv.ts';

const IF = 'interface {}';
const MSI = 'map[string]interface {}';
const S = 'string';

function fail(msg: string): never {
  throw new GoFuncError(msg);
}

/** reflect.TypeOf(v).Kind() as sprig's error messages print it; nil panics in Go. */
function kindForMessage(v: GoValue): string {
  if (v === null) fail('runtime error: invalid memory address or nil pointer dereference');
  return reflectKindName(v);
}

function asList(v: GoValue, what: string): GoValue[] {
  if (v instanceof GoSlice) return v.items;
  if (typeof v === 'string' && false) return [];
  return fail(`Cannot ${what} type ${kindForMessage(v)}`);
}

/** reflect.DeepEqual over Go values. */
export function deepEqual(a: GoValue, b: GoValue): boolean {
  if (a === null || b === null) return a === b;
  if (typeName(a) !== typeName(b)) return false;
  if (typeof a !== 'object') return a === b;
  if (a instanceof GoInt) return a.v === (b as GoInt).v;
  if (a instanceof GoSlice) {
    const bs = b as GoSlice;
    if (a.isNil !== bs.isNil) return false;
    return a.items.length === bs.items.length && a.items.every((x, i) => deepEqual(x, bs.items[i] ?? null));
  }
  if (a instanceof GoMap) {
    const bm = b as GoMap;
    if (a.isNil !== bm.isNil || a.m.size !== bm.m.size) return false;
    for (const [k, v] of a.m) if (!bm.m.has(k) || !deepEqual(v, bm.m.get(k) ?? null)) return false;
    return true;
  }
  if (a instanceof GoStruct) {
    const bs = b as GoStruct;
    if (a.native !== undefined || bs.native !== undefined) return a === b;
    for (const [k, v] of a.fields) if (!deepEqual(v, bs.fields.get(k) ?? null)) return false;
    return true;
  }
  return a === b;
}

function inList(haystack: GoValue[], needle: GoValue): boolean {
  return haystack.some((h) => deepEqual(needle, h));
}

function deepCopy(v: GoValue): GoValue {
  if (v instanceof GoSlice) return new GoSlice(v.elem, v.items.map(deepCopy), v.isNil);
  if (v instanceof GoMap) return new GoMap(v.elem, new Map([...v.m].map(([k, x]) => [k, deepCopy(x)])), v.isNil, v.key);
  return v;
}

/** mergo.Merge / MergeWithOverwrite for map[string]interface{}. */
function mergeInto(dst: GoMap, src: GoMap, overwrite: boolean): void {
  for (const [key, s] of src.m) {
    const has = dst.m.has(key);
    const d = has ? (dst.m.get(key) ?? null) : undefined;
    if (s === null || (s instanceof GoMap && s.isNil) || (s instanceof GoSlice && s.isNil)) {
      if (overwrite) dst.m.set(key, s);
      continue;
    }
    if (s instanceof GoMap && d instanceof GoMap) mergeInto(d, s, overwrite);
    if (d !== undefined && !empty(d)) {
      if (s instanceof GoSlice) {
        if (overwrite) dst.m.set(key, s);
        continue;
      }
      if (s instanceof GoMap && d instanceof GoMap) continue;
    }
    if (overwrite || d === undefined || empty(d)) dst.m.set(key, s);
  }
}

function toMap(v: GoValue): GoMap {
  return v as GoMap;
}

function listOf(items: GoValue[]): GoSlice {
  allocate(items.length * 8);
  return ifaceSlice(items);
}

function dig(ps: GoValue[]): GoValue {
  if (ps.length < 3) fail('dig needs at least three arguments');
  const dict = ps[ps.length - 1] ?? null;
  if (!(dict instanceof GoMap) || dict.type !== MSI) fail(`interface conversion: interface {} is ${typeName(dict)}, not ${MSI}`);
  const def = ps[ps.length - 2] ?? null;
  const ks = ps.slice(0, -2).map((k) => {
    if (typeof k !== 'string') fail(`interface conversion: interface {} is ${typeName(k)}, not string`);
    return k;
  });
  let cur: GoMap = dict;
  for (let i = 0; i < ks.length; i++) {
    if (!cur.m.has(ks[i]!)) return def;
    const step = cur.m.get(ks[i]!) ?? null;
    if (i === ks.length - 1) return step;
    if (!(step instanceof GoMap) || step.type !== MSI) fail(`interface conversion: interface {} is ${typeName(step)}, not ${MSI}`);
    cur = step;
  }
  return def;
}

function sliceList(list: GoValue, indices: GoValue[]): GoValue {
  if (!(list instanceof GoSlice)) fail(`list should be type of slice or array but ${kindForMessage(list)}`);
  const l = list.items.length;
  if (l === 0) return null;
  const start = indices.length > 0 ? Number(castToInt64(indices[0] ?? null)) : 0;
  const end = indices.length < 2 ? l : Number(castToInt64(indices[1] ?? null));
  if (start < 0 || end > l || start > end) fail(`reflect: slice index out of range`);
  return new GoSlice(list.elem, list.items.slice(start, end));
}

function chunk(size: number, list: GoValue): GoValue {
  const items = asList(list, 'chunk');
  const l = items.length;
  if (size <= 0) fail('runtime error: integer divide by zero');
  const cs = Math.floor((l - 1) / size) + 1;
  const out: GoValue[] = [];
  for (let i = 0; i < cs; i++) {
    let clen = size;
    if (i === cs - 1) {
      clen = Math.floor(l % size);
      if (clen === 0) clen = size;
    }
    if (clen < 0) fail('runtime error: makeslice: len out of range');
    const part: GoValue[] = [];
    for (let j = 0; j < clen; j++) {
      const ix = i * size + j;
      if (ix >= l) fail(`reflect: slice index out of range`);
      part.push(items[ix] ?? null);
    }
    out.push(ifaceSlice(part));
  }
  return new GoSlice('[]interface {}', out);
}

/** Registers f under `name` and, for the error-returning variant, `mustName`. */
function pair(name: string, params: string[], result: string, impl: (...a: GoValue[]) => GoValue, variadic?: string): GoFunc[] {
  const must = 'must' + name[0]!.toUpperCase() + name.slice(1);
  const opts = variadic === undefined ? {} : { variadic };
  return [fn(name, params, result, impl, opts), fn(must, params, result, impl, { ...opts, canFail: true })];
}

export function collectionFuncs(): GoFunc[] {
  return [
    fn('list', [], '[]interface {}', (...v) => listOf(v), { variadic: IF }),
    fn('tuple', [], '[]interface {}', (...v) => listOf(v), { variadic: IF }),
    fn('dict', [], MSI, (...v) => {
      const d = ifaceMap();
      for (let i = 0; i < v.length; i += 2) {
        const key = strval(v[i] ?? null);
        d.m.set(key, i + 1 >= v.length ? '' : (v[i + 1] ?? null));
      }
      return d;
    }, { variadic: IF }),
    fn('get', [MSI, S], IF, (d, k) => (toMap(d).m.has(k as string) ? (toMap(d).m.get(k as string) ?? null) : '')),
    fn('set', [MSI, S, IF], MSI, (d, k, v) => {
      if (toMap(d).isNil) fail('assignment to entry in nil map');
      toMap(d).m.set(k as string, v);
      return d;
    }),
    fn('unset', [MSI, S], MSI, (d, k) => {
      toMap(d).m.delete(k as string);
      return d;
    }),
    fn('hasKey', [MSI, S], 'bool', (d, k) => toMap(d).m.has(k as string)),
    fn('pluck', [S], '[]interface {}', (k, ...ds) => ifaceSlice(ds.filter((d) => toMap(d).m.has(k as string)).map((d) => toMap(d).m.get(k as string) ?? null)), { variadic: MSI }),
    // Go ranges over maps in random order; sorted is one of the orders Go may produce.
    fn('keys', [], '[]string', (...ds) => stringSlice(ds.flatMap((d) => sortedKeys(toMap(d)))), { variadic: MSI }),
    fn('pick', [MSI], MSI, (d, ...ks) => ifaceMap((ks as string[]).filter((k) => toMap(d).m.has(k)).map((k) => [k, toMap(d).m.get(k) ?? null])), { variadic: S }),
    fn('omit', [MSI], MSI, (d, ...ks) => ifaceMap([...toMap(d).m].filter(([k]) => !(ks as string[]).includes(k))), { variadic: S }),
    fn('merge', [MSI], IF, (dst, ...srcs) => {
      for (const s of srcs) mergeInto(toMap(dst), toMap(s), false);
      return dst;
    }, { variadic: MSI }),
    fn('mustMerge', [MSI], IF, (dst, ...srcs) => {
      for (const s of srcs) mergeInto(toMap(dst), toMap(s), false);
      return dst;
    }, { variadic: MSI, canFail: true }),
    fn('mergeOverwrite', [MSI], IF, (dst, ...srcs) => {
      for (const s of srcs) mergeInto(toMap(dst), toMap(s), true);
      return dst;
    }, { variadic: MSI }),
    fn('mustMergeOverwrite', [MSI], IF, (dst, ...srcs) => {
      for (const s of srcs) mergeInto(toMap(dst), toMap(s), true);
      return dst;
    }, { variadic: MSI, canFail: true }),
    fn('values', [MSI], '[]interface {}', (d) => ifaceSlice(sortedKeys(toMap(d)).map((k) => toMap(d).m.get(k) ?? null))),
    ...pair('append', [IF, IF], '[]interface {}', (l, v) => listOf([...asList(l, 'push on'), v])),
    ...pair('push', [IF, IF], '[]interface {}', (l, v) => listOf([...asList(l, 'push on'), v])),
    ...pair('prepend', [IF, IF], '[]interface {}', (l, v) => listOf([v, ...asList(l, 'prepend on')])),
    ...pair('first', [IF], IF, (l) => {
      const items = asList(l, 'find first on');
      return items.length === 0 ? null : (items[0] ?? null);
    }),
    ...pair('rest', [IF], '[]interface {}', (l) => {
      const items = asList(l, 'find rest on');
      return items.length === 0 ? new GoSlice(IF, [], true) : ifaceSlice(items.slice(1));
    }),
    ...pair('last', [IF], IF, (l) => {
      const items = asList(l, 'find last on');
      return items.length === 0 ? null : (items[items.length - 1] ?? null);
    }),
    ...pair('initial', [IF], '[]interface {}', (l) => {
      const items = asList(l, 'find initial on');
      return items.length === 0 ? new GoSlice(IF, [], true) : ifaceSlice(items.slice(0, -1));
    }),
    ...pair('reverse', [IF], '[]interface {}', (l) => ifaceSlice([...asList(l, 'find reverse on')].reverse())),
    ...pair('uniq', [IF], '[]interface {}', (l) => {
      const out: GoValue[] = [];
      for (const x of asList(l, 'find uniq on')) if (!inList(out, x)) out.push(x);
      return ifaceSlice(out);
    }),
    ...pair('without', [IF], '[]interface {}', (l, ...omit) => ifaceSlice(asList(l, 'find without on').filter((x) => !inList(omit, x))), IF),
    ...pair('has', [IF, IF], 'bool', (needle, hay) => {
      if (hay === null) return false;
      return inList(asList(hay, 'find has on'), needle);
    }),
    ...pair('slice', [IF], IF, (l, ...idx) => sliceList(l, idx), IF),
    ...pair('chunk', ['int', IF], '[][]interface {}', (n, l) => chunk(num(n), l)),
    ...pair('compact', [IF], '[]interface {}', (l) => ifaceSlice(asList(l, 'compact on').filter((x) => !empty(x)))),
    fn('concat', [], IF, (...lists) => {
      const res: GoValue[] = [];
      for (const l of lists) {
        if (!(l instanceof GoSlice)) fail(`Cannot concat type ${kindForMessage(l)} as list`);
        res.push(...l.items);
      }
      return new GoSlice(IF, res, res.length === 0);
    }, { variadic: IF }),
    fn('dig', [], IF, (...ps) => dig(ps), { variadic: IF, canFail: true }),
    fn('deepCopy', [IF], IF, (v) => {
      if (v === null) fail('deepCopy error: nil');
      return deepCopy(v);
    }),
    fn('mustDeepCopy', [IF], IF, (v) => deepCopy(v), { canFail: true }),
    // defaults.go
    fn('default', [IF], IF, (d, ...given) => (given.length === 0 || empty(given[0] ?? null) ? d : (given[0] ?? null)), { variadic: IF }),
    fn('empty', [IF], 'bool', (v) => empty(v)),
    fn('coalesce', [], IF, (...v) => v.find((x) => !empty(x)) ?? null, { variadic: IF }),
    fn('all', [], 'bool', (...v) => v.every((x) => !empty(x)), { variadic: IF }),
    fn('any', [], 'bool', (...v) => v.some((x) => !empty(x)), { variadic: IF }),
    fn('ternary', [IF, IF, 'bool'], IF, (vt, vf, c) => (c ? vt : vf)),
    fn('fail', [S], S, (msg) => fail(msg as string), { canFail: true }),
    // reflect.go
    fn('typeOf', [IF], S, (v) => typeName(v)),
    fn('typeIs', [S, IF], 'bool', (t, v) => t === typeName(v)),
    fn('typeIsLike', [S, IF], 'bool', (t, v) => t === typeName(v) || '*' + (t as string) === typeName(v)),
    fn('kindOf', [IF], S, (v) => reflectKindName(v)),
    fn('kindIs', [S, IF], 'bool', (t, v) => t === reflectKindName(v)),
    fn('deepEqual', [IF, IF], 'bool', (a, b) => deepEqual(a, b)),
  ];
}

export { kindOf };
