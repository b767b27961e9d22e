/**
 * The Go values a template sees, modelled just closely enough to reproduce Go's
 * behaviour: the dynamic type name (errors, `typeOf`, argument checking), the
 * kind (truth, comparison, `len`, range), and nil-ness (JSON `null`, `<nil>`).
 *
 * Representation: Go string = byte string (see gostr.ts), bool = boolean,
 * float64 = number, every integer type = GoInt (bigint, wrapped so its type
 * name survives), slices, maps, structs and funcs = the classes below.
 * `null` is the nil interface / an invalid reflect.Value.
 */

export type GoValue = null | boolean | string | number | GoInt | GoSlice | GoMap | GoStruct | GoFunc;

export type Kind =
  | 'invalid'
  | 'bool'
  | 'int'
  | 'uint'
  | 'float'
  | 'string'
  | 'slice'
  | 'map'
  | 'struct'
  | 'ptr'
  | 'func';

const intRanges: Record<string, [bigint, bigint]> = {
  int: [-(1n << 63n), (1n << 63n) - 1n],
  int64: [-(1n << 63n), (1n << 63n) - 1n],
  int32: [-(1n << 31n), (1n << 31n) - 1n],
  int16: [-(1n << 15n), (1n << 15n) - 1n],
  int8: [-128n, 127n],
  uint: [0n, (1n << 64n) - 1n],
  uint64: [0n, (1n << 64n) - 1n],
  uint32: [0n, (1n << 32n) - 1n],
  uint16: [0n, 65535n],
  uint8: [0n, 255n],
  uintptr: [0n, (1n << 64n) - 1n],
};

/** Any Go integer. `type` is the Go type name (int, int64, uint8, time.Month, ...). */
export class GoInt {
  readonly type: string;
  readonly v: bigint;
  constructor(type: string, v: bigint) {
    this.type = type;
    this.v = wrapInt(underlyingInt(type), v);
  }
  get unsigned(): boolean {
    return underlyingInt(this.type).startsWith('u');
  }
}

/** Named integer types map to their underlying type for arithmetic. */
const namedInts: Record<string, string> = { 'time.Month': 'int', 'time.Weekday': 'int', 'time.Duration': 'int64' };
export function underlyingInt(type: string): string {
  return namedInts[type] ?? type;
}

/** Two's-complement wraparound, as Go integer arithmetic does. */
export function wrapInt(type: string, v: bigint): bigint {
  const r = intRanges[type];
  if (!r) return v;
  if (v >= r[0] && v <= r[1]) return v;
  const bits = type.endsWith('8') ? 8n : type.endsWith('16') ? 16n : type.endsWith('32') ? 32n : 64n;
  return type.startsWith('u') ? BigInt.asUintN(Number(bits), v) : BigInt.asIntN(Number(bits), v);
}

export function goInt(v: number | bigint): GoInt {
  return new GoInt('int', BigInt(v));
}
export function goInt64(v: number | bigint): GoInt {
  return new GoInt('int64', BigInt(v));
}

export class GoSlice {
  readonly elem: string;
  items: GoValue[];
  /** A nil slice prints as [] but marshals to JSON null. */
  readonly isNil: boolean;
  constructor(elem: string, items: GoValue[], isNil = false) {
    this.elem = elem;
    this.items = items;
    this.isNil = isNil;
  }
  get type(): string {
    return `[]${this.elem}`;
  }
}

/** Maps have string keys in every case a template meets (map[string]T). */
export class GoMap {
  readonly elem: string;
  readonly m: Map<string, GoValue>;
  readonly isNil: boolean;
  readonly key: string;
  constructor(elem: string, m: Map<string, GoValue> = new Map(), isNil = false, key = 'string') {
    this.elem = elem;
    this.m = m;
    this.isNil = isNil;
    this.key = key;
  }
  get type(): string {
    return `map[${this.key}]${this.elem}`;
  }
}

export interface GoMethod {
  fn: GoFunc;
}

/**
 * A struct (or pointer to one) from a function result: sprig's certificate,
 * time.Time, *semver.Version, *url.URL. Methods are looked up before fields,
 * as in Go; `str` is its String() method if it has one (fmt uses it).
 */
export class GoStruct {
  readonly type: string;
  readonly fields: Map<string, GoValue>;
  readonly methods: Map<string, GoFunc>;
  readonly ptr: boolean;
  readonly str: (() => string) | undefined;
  /** Host data the methods work on (a Date, a parsed version, ...). */
  readonly native: unknown;
  /** Its MarshalJSON, if the Go type has one (time.Time, *semver.Version). */
  readonly marshalJSON: (() => string) | undefined;
  constructor(opts: {
    type: string;
    fields?: [string, GoValue][];
    methods?: GoFunc[];
    ptr?: boolean;
    str?: () => string;
    native?: unknown;
    marshalJSON?: () => string;
  }) {
    this.type = opts.type;
    this.fields = new Map(opts.fields ?? []);
    this.methods = new Map((opts.methods ?? []).map((m) => [m.name, m]));
    this.ptr = opts.ptr ?? false;
    this.str = opts.str;
    this.native = opts.native;
    this.marshalJSON = opts.marshalJSON;
  }
  get typeName(): string {
    return this.ptr ? `*${this.type}` : this.type;
  }
}

/** Thrown by a function implementation to return Go's `error` result. */
export class GoFuncError extends Error {}

export interface GoFunc {
  readonly kind: 'func';
  readonly name: string;
  /** Go type names of the fixed parameters. */
  readonly params: readonly string[];
  /** Element type of a trailing variadic parameter, if any. */
  readonly variadic?: string;
  /** Go type name of the first result (for typeOf and argument checking). */
  readonly result: string;
  /** Whether the Go function has a second `error` result. */
  readonly canFail?: boolean;
  readonly impl: (...args: GoValue[]) => GoValue;
}

export function fn(
  name: string,
  params: readonly string[],
  result: string,
  impl: (...args: GoValue[]) => GoValue,
  opts: { variadic?: string; canFail?: boolean } = {},
): GoFunc {
  return { kind: 'func', name, params, result, impl, ...opts };
}

export function isFunc(v: GoValue): v is GoFunc {
  return typeof v === 'object' && v !== null && (v as GoFunc).kind === 'func';
}

/** Go's dynamic type name, as `%T` and reflect print it. */
export function typeName(v: GoValue): string {
  if (v === null) return '<nil>';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'number':
      return 'float64';
  }
  if (v instanceof GoInt) return v.type;
  if (v instanceof GoSlice || v instanceof GoMap) return v.type;
  if (v instanceof GoStruct) return v.typeName;
  return funcTypeName(v);
}

function funcTypeName(f: GoFunc): string {
  const params = [...f.params];
  if (f.variadic !== undefined) params.push(`...${f.variadic}`);
  const res = f.canFail ? `(${f.result}, error)` : f.result;
  return `func(${params.join(', ')}) ${res}`;
}

export function kindOfType(t: string): Kind {
  if (t.startsWith('[]')) return 'slice';
  if (t.startsWith('map[')) return 'map';
  if (t.startsWith('*')) return 'ptr';
  if (t.startsWith('func(')) return 'func';
  switch (t) {
    case 'string':
      return 'string';
    case 'bool':
      return 'bool';
    case 'float64':
    case 'float32':
      return 'float';
    case 'int':
    case 'int64':
    case 'int32':
    case 'int16':
    case 'int8':
    case 'time.Month':
    case 'time.Weekday':
    case 'time.Duration':
      return 'int';
    case 'uint':
    case 'uint64':
    case 'uint32':
    case 'uint16':
    case 'uint8':
    case 'uintptr':
      return 'uint';
    case 'interface {}':
    case '<nil>':
      return 'invalid';
  }
  return 'struct';
}

export function kindOf(v: GoValue): Kind {
  if (v === null) return 'invalid';
  if (v instanceof GoStruct) return v.ptr ? 'ptr' : 'struct';
  if (isFunc(v)) return 'func';
  return kindOfType(typeName(v));
}

/** reflect.Kind's String(), for sprig's kindOf/kindIs. */
export function reflectKindName(v: GoValue): string {
  if (v === null) return 'invalid';
  if (v instanceof GoInt) return underlyingInt(v.type);
  if (typeof v === 'number') return 'float64';
  const k = kindOf(v);
  return k === 'float' ? 'float64' : k;
}

/** Go's template truth (text/template isTrue). */
export function truth(v: GoValue): boolean {
  if (v === null) return false;
  switch (typeof v) {
    case 'string':
      return v.length > 0;
    case 'boolean':
      return v;
    case 'number':
      return v !== 0;
  }
  if (v instanceof GoInt) return v.v !== 0n;
  if (v instanceof GoSlice) return v.items.length > 0;
  if (v instanceof GoMap) return v.m.size > 0;
  return true;
}

/** Whether a value of dynamic type `from` may be passed where `to` is expected. */
export function assignable(v: GoValue, to: string): boolean {
  if (to === 'interface {}' || to === 'reflect.Value') return true;
  return typeName(v) === to;
}

/** The zero value of a type (reflect.Zero), for nil arguments and missing keys. */
export function zeroValue(t: string): GoValue {
  switch (kindOfType(t)) {
    case 'string':
      return '';
    case 'bool':
      return false;
    case 'float':
      return 0;
    case 'int':
    case 'uint':
      return new GoInt(t, 0n);
    case 'slice':
      return new GoSlice(t.slice(2), [], true);
    case 'map': {
      const m = /^map\[([^\]]+)\](.*)$/.exec(t);
      return new GoMap(m?.[2] ?? 'interface {}', new Map(), true, m?.[1] ?? 'string');
    }
  }
  return null;
}

export function canBeNil(t: string): boolean {
  const k = kindOfType(t);
  return k === 'slice' || k === 'map' || k === 'ptr' || k === 'func' || t === 'interface {}' || t === 'reflect.Value' || t === 'error';
}

export function isNilValue(v: GoValue): boolean {
  if (v === null) return true;
  if (v instanceof GoSlice || v instanceof GoMap) return v.isNil;
  return false;
}

/** Builds a map[string]interface{} from entries. */
export function ifaceMap(entries: Iterable<[string, GoValue]> = []): GoMap {
  return new GoMap('interface {}', new Map(entries));
}
export function ifaceSlice(items: GoValue[]): GoSlice {
  return new GoSlice('interface {}', items);
}
export function stringSlice(items: string[], isNil = false): GoSlice {
  return new GoSlice('string', items, isNil);
}

/** Keys in Go's fmt/range order: byte-wise ascending for string keys. */
export function sortedKeys(m: GoMap): string[] {
  return [...m.m.keys()].sort(compareBytes);
}

export function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Length as Go's len() counts it, or undefined if the kind has no length. */
export function lengthOf(v: GoValue): number | undefined {
  if (typeof v === 'string') return v.length;
  if (v instanceof GoSlice) return v.items.length;
  if (v instanceof GoMap) return v.m.size;
  return undefined;
}

/**
 * A function error whose text names only Go types and the template's own
 * constants ("incompatible types for comparison: string and int"), never an
 * argument's value: the executor keeps it even when an argument derives
 * from secret data, because it helps and cannot leak.
 */
export class GoTypeError extends GoFuncError {}
