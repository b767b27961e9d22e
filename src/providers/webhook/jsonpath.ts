/**
 * The JSONPath that ESO's webhook provider applies to answers
 * (`result.jsonPath`, evaluated by PaesslerAG/jsonpath), for the forms users
 * write:
 *
 *   $.a.b   $['a']["b"]   $.list[0]   $.list[-1]   $.*   $[*]   $..name
 *   $['a','b']   $[0,2]   $[1:3]   $[?(@.name == 'db' && @.n > 1)]
 *
 * Like PaesslerAG, a path of plain keys and indexes yields one value and a
 * missing key is an error ("unknown key x"); as soon as a wildcard, union,
 * slice, filter or `..` appears, the result is the list of every match
 * (missing keys are then skipped). Map wildcards visit keys in sorted order.
 * Filters support comparisons (== != < <= > >= =~), && || ! and parentheses
 * over `@.path`, `$.path`, strings, numbers, true, false and null.
 */
import { compileGoRegexp } from '../../util/goregexp.ts';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export class JsonPathError extends Error {}

type Selector =
  | { kind: 'key'; key: string }
  | { kind: 'index'; index: number }
  | { kind: 'wild' }
  | { kind: 'recurse'; then: Selector }
  | { kind: 'union'; items: ({ key: string } | { index: number })[] }
  | { kind: 'slice'; start: number | undefined; end: number | undefined; step: number }
  | { kind: 'filter'; expr: Expr };

type Expr =
  | { op: 'lit'; value: Json | undefined }
  | { op: 'path'; root: '@' | '$'; path: Selector[] }
  | { op: 'not'; a: Expr }
  | { op: '&&' | '||' | '==' | '!=' | '<' | '<=' | '>' | '>=' | '=~'; a: Expr; b: Expr };

const isObject = (v: Json | undefined): v is { [k: string]: Json } => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Evaluates `path` against `data`. Throws JsonPathError with PaesslerAG-like messages. */
export function jsonPathGet(path: string, data: Json): Json {
  const p = new Parser(path);
  const sels = p.parsePath();
  p.expectEnd();
  const multi = sels.some((s) => s.kind !== 'key' && s.kind !== 'index');
  if (!multi) {
    let cur: Json = data;
    for (const s of sels) cur = plainStep(cur, s as { kind: 'key'; key: string } | { kind: 'index'; index: number });
    return cur;
  }
  nodesLeft = MAX_JSONPATH_NODES; // one budget for the whole evaluation, filters' sub-paths included
  return evalMulti(sels, [data], data);
}

function plainStep(cur: Json, s: { kind: 'key'; key: string } | { kind: 'index'; index: number }): Json {
  if (s.kind === 'key') {
    if (!isObject(cur) || !Object.hasOwn(cur, s.key)) throw new JsonPathError(`unknown key ${s.key}`);
    return cur[s.key] as Json;
  }
  if (!Array.isArray(cur)) throw new JsonPathError(`cannot index a non-array with ${s.index}`);
  const i = s.index < 0 ? cur.length + s.index : s.index;
  if (i < 0 || i >= cur.length) throw new JsonPathError(`index ${s.index} out of bounds`);
  return cur[i] as Json;
}

/**
 * Nodes one evaluation may visit or yield. Both the path and the document are a tenant's, and each
 * `..` step walks every descendant of every node the previous step produced, so `$..*..*..*`
 * over a deeply nested answer multiplies without bound; this runs on the controller's event loop.
 */
export const MAX_JSONPATH_NODES = 1_000_000;
let nodesLeft = MAX_JSONPATH_NODES;

function spend(n: number): void {
  nodesLeft -= n;
  if (nodesLeft < 0) throw new JsonPathError(`the path visits more than ${MAX_JSONPATH_NODES} nodes of the answer; use a narrower path (fewer ".." steps)`);
}

function evalMulti(sels: Selector[], start: Json[], root: Json): Json[] {
  let nodes = start;
  for (const s of sels) {
    const next: Json[] = [];
    for (const n of nodes) select(n, s, root, next);
    spend(next.length);
    nodes = next;
  }
  return nodes;
}

function children(n: Json): Json[] {
  if (Array.isArray(n)) return n;
  if (isObject(n)) return Object.keys(n).sort().map((k) => n[k] as Json);
  return [];
}

function select(n: Json, s: Selector, root: Json, out: Json[]): void {
  switch (s.kind) {
    case 'key':
      if (isObject(n) && Object.hasOwn(n, s.key)) out.push(n[s.key] as Json);
      return;
    case 'index':
      if (Array.isArray(n)) {
        const i = s.index < 0 ? n.length + s.index : s.index;
        if (i >= 0 && i < n.length) out.push(n[i] as Json);
      }
      return;
    case 'wild':
      out.push(...children(n));
      return;
    case 'recurse': {
      const visit = (x: Json): void => {
        spend(1);
        select(x, s.then, root, out);
        for (const c of children(x)) visit(c);
      };
      visit(n);
      return;
    }
    case 'union':
      for (const it of s.items) select(n, 'key' in it ? { kind: 'key', key: it.key } : { kind: 'index', index: it.index }, root, out);
      return;
    case 'slice': {
      if (!Array.isArray(n)) return;
      const len = n.length;
      const norm = (v: number | undefined, dflt: number): number => (v === undefined ? dflt : v < 0 ? Math.max(0, len + v) : Math.min(len, v));
      if (s.step > 0) for (let i = norm(s.start, 0); i < norm(s.end, len); i += s.step) out.push(n[i] as Json);
      else if (s.step < 0) for (let i = s.start === undefined ? len - 1 : Math.min(len - 1, norm(s.start, len - 1)); i > (s.end === undefined ? -1 : norm(s.end, -1)); i += s.step) out.push(n[i] as Json);
      return;
    }
    case 'filter':
      for (const c of children(n)) if (truthy(evalExpr(s.expr, c, root))) out.push(c);
      return;
  }
}

function evalExpr(e: Expr, cur: Json, root: Json): Json | undefined {
  switch (e.op) {
    case 'lit':
      return e.value;
    case 'path': {
      const base = e.root === '@' ? cur : root;
      const multi = e.path.some((s) => s.kind !== 'key' && s.kind !== 'index');
      const r = evalMulti(e.path, [base], root);
      if (multi) return r;
      return r.length === 0 ? undefined : r[0];
    }
    case 'not':
      return !truthy(evalExpr(e.a, cur, root));
    case '&&':
      return truthy(evalExpr(e.a, cur, root)) && truthy(evalExpr(e.b, cur, root));
    case '||':
      return truthy(evalExpr(e.a, cur, root)) || truthy(evalExpr(e.b, cur, root));
    default: {
      const a = evalExpr(e.a, cur, root);
      const b = evalExpr(e.b, cur, root);
      if (a === undefined || b === undefined) return false;
      switch (e.op) {
        case '==':
          return JSON.stringify(a) === JSON.stringify(b);
        case '!=':
          return JSON.stringify(a) !== JSON.stringify(b);
        case '=~':
          return typeof a === 'string' && typeof b === 'string' && compileGoRegexp(b, { field: 'result.jsonPath filter' }).matchString(a);
        default:
          if (typeof a === 'number' && typeof b === 'number') return e.op === '<' ? a < b : e.op === '<=' ? a <= b : e.op === '>' ? a > b : a >= b;
          if (typeof a === 'string' && typeof b === 'string') return e.op === '<' ? a < b : e.op === '<=' ? a <= b : e.op === '>' ? a > b : a >= b;
          return false;
      }
    }
  }
}

function truthy(v: Json | undefined): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  return true;
}

class Parser {
  private readonly s: string;
  private i = 0;

  constructor(s: string) {
    this.s = s.trim();
  }

  parsePath(): Selector[] {
    if (this.s[this.i] !== '$') throw new JsonPathError(`a JSONPath must start with $: ${JSON.stringify(this.s)}`);
    this.i++;
    return this.selectors();
  }

  expectEnd(): void {
    if (this.i < this.s.length) throw new JsonPathError(`unexpected ${JSON.stringify(this.s.slice(this.i, this.i + 10))} at position ${this.i} of the JSONPath`);
  }

  private selectors(): Selector[] {
    const out: Selector[] = [];
    for (;;) {
      const c = this.s[this.i];
      if (c === '.' && this.s[this.i + 1] === '.') {
        this.i += 2;
        const then = this.s[this.i] === '[' ? this.bracket() : this.dotName();
        out.push({ kind: 'recurse', then });
      } else if (c === '.') {
        this.i++;
        out.push(this.dotName());
      } else if (c === '[') {
        out.push(this.bracket());
      } else {
        return out;
      }
    }
  }

  private dotName(): Selector {
    if (this.s[this.i] === '*') {
      this.i++;
      return { kind: 'wild' };
    }
    const m = /^[^.[\]()\s=!<>&|,]+/.exec(this.s.slice(this.i));
    if (!m) throw new JsonPathError(`expected a key at position ${this.i} of the JSONPath`);
    this.i += m[0].length;
    return { kind: 'key', key: m[0] };
  }

  private bracket(): Selector {
    this.i++; // [
    this.ws();
    let sel: Selector;
    if (this.s[this.i] === '*') {
      this.i++;
      sel = { kind: 'wild' };
    } else if (this.s[this.i] === '?') {
      this.i++;
      this.ws();
      if (this.s[this.i] !== '(') throw new JsonPathError('expected ( after ? in a JSONPath filter');
      this.i++;
      const expr = this.orExpr();
      this.ws();
      if (this.s[this.i] !== ')') throw new JsonPathError('expected ) to close a JSONPath filter');
      this.i++;
      sel = { kind: 'filter', expr };
    } else {
      const items: ({ key: string } | { index: number })[] = [];
      let slice: number[] | undefined;
      for (;;) {
        this.ws();
        const c = this.s[this.i];
        if (c === "'" || c === '"') items.push({ key: this.quoted() });
        else {
          const m = /^(-?\d*)\s*(?::\s*(-?\d*)\s*(?::\s*(-?\d*))?)?/.exec(this.s.slice(this.i));
          if (!m || m[0] === '') throw new JsonPathError(`unexpected ${JSON.stringify(this.s.slice(this.i, this.i + 10))} in a JSONPath bracket`);
          this.i += m[0].length;
          if (m[0].includes(':')) slice = [m[1] === '' ? NaN : Number(m[1]), m[2] === '' || m[2] === undefined ? NaN : Number(m[2]), m[3] === '' || m[3] === undefined ? 1 : Number(m[3])];
          else items.push({ index: Number(m[1]) });
        }
        this.ws();
        if (this.s[this.i] === ',') {
          this.i++;
          continue;
        }
        break;
      }
      if (slice) {
        const [a, b, step] = slice as [number, number, number];
        if (step === 0) throw new JsonPathError('a JSONPath slice step cannot be 0');
        sel = { kind: 'slice', start: Number.isNaN(a) ? undefined : a, end: Number.isNaN(b) ? undefined : b, step };
      } else if (items.length === 1) {
        const it = items[0] as { key: string } | { index: number };
        sel = 'key' in it ? { kind: 'key', key: it.key } : { kind: 'index', index: it.index };
      } else {
        sel = { kind: 'union', items };
      }
    }
    this.ws();
    if (this.s[this.i] !== ']') throw new JsonPathError(`expected ] at position ${this.i} of the JSONPath`);
    this.i++;
    return sel;
  }

  private quoted(): string {
    const q = this.s[this.i] as string;
    let out = '';
    this.i++;
    while (this.i < this.s.length && this.s[this.i] !== q) {
      if (this.s[this.i] === '\\' && this.i + 1 < this.s.length) this.i++;
      out += this.s[this.i];
      this.i++;
    }
    if (this.s[this.i] !== q) throw new JsonPathError('unterminated string in the JSONPath');
    this.i++;
    return out;
  }

  private ws(): void {
    while (this.s[this.i] === ' ' || this.s[this.i] === '\t') this.i++;
  }

  private orExpr(): Expr {
    let a = this.andExpr();
    for (;;) {
      this.ws();
      if (!this.s.startsWith('||', this.i)) return a;
      this.i += 2;
      a = { op: '||', a, b: this.andExpr() };
    }
  }

  private andExpr(): Expr {
    let a = this.cmpExpr();
    for (;;) {
      this.ws();
      if (!this.s.startsWith('&&', this.i)) return a;
      this.i += 2;
      a = { op: '&&', a, b: this.cmpExpr() };
    }
  }

  private cmpExpr(): Expr {
    const a = this.unary();
    this.ws();
    for (const op of ['==', '!=', '<=', '>=', '=~', '<', '>'] as const) {
      if (this.s.startsWith(op, this.i)) {
        this.i += op.length;
        return { op, a, b: this.unary() };
      }
    }
    return a;
  }

  private unary(): Expr {
    this.ws();
    const c = this.s[this.i];
    if (c === '!') {
      this.i++;
      return { op: 'not', a: this.unary() };
    }
    if (c === '(') {
      this.i++;
      const e = this.orExpr();
      this.ws();
      if (this.s[this.i] !== ')') throw new JsonPathError('expected ) in a JSONPath filter');
      this.i++;
      return e;
    }
    if (c === '@' || c === '$') {
      this.i++;
      return { op: 'path', root: c, path: this.selectors() };
    }
    if (c === "'" || c === '"') return { op: 'lit', value: this.quoted() };
    const m = /^(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(this.s.slice(this.i));
    if (!m) throw new JsonPathError(`unexpected ${JSON.stringify(this.s.slice(this.i, this.i + 10))} in a JSONPath filter`);
    this.i += m[0].length;
    const t = m[0];
    return { op: 'lit', value: t === 'true' ? true : t === 'false' ? false : t === 'null' ? null : Number(t) };
  }
}
