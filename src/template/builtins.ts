/**
 * text/template's predefined functions (funcs.go): and, or, not, len, index,
 * slice, print/printf/println, html, js, urlquery, call, and the comparisons
 * with Go's basic-kind rules (int and uint compare; int and float do not).
 */
import { decodeRune, isPrint } from './gostr.ts';
import { sprint, sprintf, sprintln } from './fmt.ts';
import { allocate } from './limits.ts';
import { fn, GoFuncError, GoInt, GoTypeError, GoMap, GoSlice, truth, typeName, zeroValue, type GoFunc, type GoValue } from './values.ts';

type BasicKind = 'invalid' | 'bool' | 'int' | 'uint' | 'float' | 'string';

function basicKind(v: GoValue): BasicKind {
  if (v === null) return 'invalid';
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'string':
      return 'string';
    case 'number':
      return 'float';
  }
  if (v instanceof GoInt) return v.unsigned ? 'uint' : 'int';
  return 'invalid';
}

function fail(msg: string): never {
  throw new GoFuncError(msg);
}

/** A failure whose text names only types (see GoTypeError): shown even for secret-derived arguments. */
function typeFail(msg: string): never {
  throw new GoTypeError(msg);
}

export function goEq(arg1: GoValue, ...arg2: GoValue[]): boolean {
  if (arg2.length === 0) typeFail('missing argument for comparison');
  const k1 = basicKind(arg1);
  for (const arg of arg2) {
    const k2 = basicKind(arg);
    let t = false;
    if (k1 !== k2) {
      if (k1 === 'int' && k2 === 'uint') t = (arg1 as GoInt).v >= 0n && (arg1 as GoInt).v === (arg as GoInt).v;
      else if (k1 === 'uint' && k2 === 'int') t = (arg as GoInt).v >= 0n && (arg1 as GoInt).v === (arg as GoInt).v;
      else if (arg1 !== null && arg !== null) typeFail(`incompatible types for comparison: ${typeName(arg1)} and ${typeName(arg)}`);
    } else {
      switch (k1) {
        case 'bool':
        case 'string':
        case 'float':
          t = arg1 === arg;
          break;
        case 'int':
        case 'uint':
          t = (arg1 as GoInt).v === (arg as GoInt).v;
          break;
        default: {
          // Non-basic kinds: nil checks, then Go's == on comparable types.
          const n1 = isNilish(arg1);
          const n2 = isNilish(arg);
          if (kindName(arg1) !== kindName(arg) && arg1 !== null && arg !== null) {
            typeFail(`non-comparable types ${typeName(arg1)}: ${typeName(arg1)}, ${typeName(arg)}: ${typeName(arg)}`);
          }
          if (n1 || n2) t = n1 === n2;
          else {
            if (arg instanceof GoSlice || arg instanceof GoMap) typeFail(`non-comparable type ${typeName(arg)}: ${typeName(arg)}`);
            t = arg1 === arg;
          }
        }
      }
    }
    if (t) return true;
  }
  return false;
}

function kindName(v: GoValue): string {
  if (v instanceof GoSlice) return 'slice';
  if (v instanceof GoMap) return 'map';
  return typeof v;
}

function isNilish(v: GoValue): boolean {
  if (v === null) return true;
  if (v instanceof GoSlice || v instanceof GoMap) return v.isNil;
  return false;
}

export function goLt(arg1: GoValue, arg2: GoValue): boolean {
  const k1 = basicKind(arg1);
  if (k1 === 'invalid') typeFail('invalid type for comparison');
  const k2 = basicKind(arg2);
  if (k2 === 'invalid') typeFail('invalid type for comparison');
  if (k1 !== k2) {
    if (k1 === 'int' && k2 === 'uint') return (arg1 as GoInt).v < 0n || (arg1 as GoInt).v < (arg2 as GoInt).v;
    if (k1 === 'uint' && k2 === 'int') return (arg2 as GoInt).v >= 0n && (arg1 as GoInt).v < (arg2 as GoInt).v;
    typeFail(`incompatible types for comparison: ${typeName(arg1)} and ${typeName(arg2)}`);
  }
  switch (k1) {
    case 'bool':
      typeFail('invalid type for comparison');
      break;
    case 'float':
      return (arg1 as number) < (arg2 as number);
    case 'string':
      return (arg1 as string) < (arg2 as string);
  }
  return (arg1 as GoInt).v < (arg2 as GoInt).v;
}

function goLe(a: GoValue, b: GoValue): boolean {
  return goLt(a, b) || goEq(a, b);
}

function indexArg(index: GoValue, cap: number): number {
  let x: bigint;
  if (index instanceof GoInt) x = index.v;
  else if (index === null) typeFail('cannot index slice/array with nil');
  else typeFail(`cannot index slice/array with type ${typeName(index)}`);
  if (x < 0n || x > BigInt(cap)) fail(`index out of range: ${x}`);
  return Number(x);
}

function goIndex(item: GoValue, ...indexes: GoValue[]): GoValue {
  if (item === null) typeFail('index of untyped nil');
  for (const index of indexes) {
    if (item === null) typeFail('index of nil pointer');
    if (typeof item === 'string') {
      const x = indexArg(index, item.length);
      if (x >= item.length) fail(`index out of range: ${x}`);
      item = new GoInt('uint8', BigInt(item.charCodeAt(x)));
    } else if (item instanceof GoSlice) {
      const x = indexArg(index, item.items.length);
      if (x >= item.items.length) fail(`index out of range: ${x}`);
      item = item.items[x] ?? null;
    } else if (item instanceof GoMap) {
      if (index === null) {
        // prepareArg: nil becomes the zero key only if the key type can be nil.
        typeFail(`value is nil; should be of type ${item.key}`);
      }
      if (typeName(index) !== item.key) typeFail(`value has type ${typeName(index)}; should be ${item.key}`);
      const k = index as string;
      item = item.m.has(k) ? (item.m.get(k) ?? null) : zeroValue(item.elem);
    } else {
      typeFail(`can't index item of type ${typeName(item)}`);
    }
  }
  return item;
}

function goSlice(item: GoValue, ...indexes: GoValue[]): GoValue {
  if (item === null) typeFail('slice of untyped nil');
  if (indexes.length > 3) fail(`too many slice indexes: ${indexes.length}`);
  let cap: number;
  let len: number;
  if (typeof item === 'string') {
    if (indexes.length === 3) typeFail('cannot 3-index slice a string');
    cap = len = item.length;
  } else if (item instanceof GoSlice) {
    cap = len = item.items.length;
  } else typeFail(`can't slice item of type ${typeName(item)}`);
  const idx = [0, len, 0];
  indexes.forEach((index, i) => {
    idx[i] = indexArg(index, cap);
  });
  if (idx[0]! > idx[1]!) fail(`invalid slice index: ${idx[0]} > ${idx[1]}`);
  if (indexes.length === 3 && idx[1]! > idx[2]!) fail(`invalid slice index: ${idx[1]} > ${idx[2]}`);
  if (typeof item === 'string') return item.slice(idx[0], idx[1]);
  return new GoSlice(item.elem, item.items.slice(idx[0], idx[1]));
}

function goLen(item: GoValue): GoValue {
  if (typeof item === 'string') return new GoInt('int', BigInt(item.length));
  if (item instanceof GoSlice) return new GoInt('int', BigInt(item.items.length));
  if (item instanceof GoMap) return new GoInt('int', BigInt(item.m.size));
  if (item === null) typeFail('len of nil pointer');
  typeFail(`len of type ${typeName(item)}`);
}

/** evalArgs from funcs.go: a lone string is used as is, anything else is Sprint'ed. */
function evalArgs(args: GoValue[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(args.map((a) => (a === null ? '<no value>' : a)));
}

export function htmlEscape(s: string): string {
  return s.replace(/[\0"'&<>]/g, (c) => {
    switch (c) {
      case '\0':
        return '\xef\xbf\xbd';
      case '"':
        return '&#34;';
      case "'":
        return '&#39;';
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      default:
        return '&gt;';
    }
  });
}

export function jsEscape(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const special = c === 0x5c || c === 0x27 || c === 0x22 || c === 0x3c || c === 0x3e || c === 0x26 || c === 0x3d || c < 0x20 || c >= 0x80;
    if (!special) {
      out += s[i];
      continue;
    }
    if (c < 0x80) {
      switch (c) {
        case 0x5c:
          out += '\\\\';
          break;
        case 0x27:
          out += "\\'";
          break;
        case 0x22:
          out += '\\"';
          break;
        case 0x3c:
          out += '\\u003C';
          break;
        case 0x3e:
          out += '\\u003E';
          break;
        case 0x26:
          out += '\\u0026';
          break;
        case 0x3d:
          out += '\\u003D';
          break;
        default:
          out += '\\u00' + c.toString(16).toUpperCase().padStart(2, '0');
      }
    } else {
      const [r, size] = decodeRune(s, i);
      if (isPrint(r)) out += s.slice(i, i + size);
      else out += '\\u' + r.toString(16).toUpperCase().padStart(4, '0');
      i += size - 1;
    }
  }
  return out;
}

/** url.QueryEscape over a byte string. */
export function queryEscape(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x2e || c === 0x5f || c === 0x7e) {
      out += s[i];
    } else if (c === 0x20) out += '+';
    else out += '%' + c.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

const RV = 'reflect.Value';

function sized(s: string): string {
  allocate(s.length);
  return s;
}

const builtinList: GoFunc[] = [
    fn('and', [RV], RV, () => null, { variadic: RV }),
    fn('or', [RV], RV, () => null, { variadic: RV }),
    fn('call', [RV], RV, () => null, { variadic: RV, canFail: true }),
    fn('not', [RV], 'bool', (a) => !truth(a)),
    fn('len', [RV], 'int', goLen, { canFail: true }),
    fn('index', [RV], RV, goIndex, { variadic: RV, canFail: true }),
    fn('slice', [RV], RV, goSlice, { variadic: RV, canFail: true }),
    fn('print', [], 'string', (...a) => sized(sprint(a)), { variadic: 'interface {}' }),
    fn('printf', ['string'], 'string', (f, ...a) => sized(sprintf(f as string, a)), { variadic: 'interface {}' }),
    fn('println', [], 'string', (...a) => sized(sprintln(a)), { variadic: 'interface {}' }),
    fn('html', [], 'string', (...a) => htmlEscape(evalArgs(a)), { variadic: 'interface {}' }),
    fn('js', [], 'string', (...a) => jsEscape(evalArgs(a)), { variadic: 'interface {}' }),
    fn('urlquery', [], 'string', (...a) => queryEscape(evalArgs(a)), { variadic: 'interface {}' }),
    fn('eq', [RV], 'bool', (a, ...b) => goEq(a, ...b), { variadic: RV, canFail: true }),
    fn('ne', [RV, RV], 'bool', (a, b) => !goEq(a, b), { canFail: true }),
    fn('lt', [RV, RV], 'bool', goLt, { canFail: true }),
    fn('le', [RV, RV], 'bool', goLe, { canFail: true }),
    fn('gt', [RV, RV], 'bool', (a, b) => !goLe(a, b), { canFail: true }),
    fn('ge', [RV, RV], 'bool', (a, b) => !goLt(a, b), { canFail: true }),
];

const builtinSet = new Set(builtinList);

/** The predefined functions, in the order Go lists them. */
export function builtinFuncs(): GoFunc[] {
  return builtinList;
}

export function isBuiltin(f: GoFunc): boolean {
  return builtinSet.has(f);
}
