/**
 * The part of tidwall/gjson's path syntax that ESO users put in
 * `remoteRef.property`: dot-separated keys, `\` escapes (`a\.b` is the key
 * "a.b"), `*` / `?` wildcards in keys, array indexes (`list.0`), and `#`
 * (array length, or `list.#.name` to collect a field from every element).
 *
 * It walks the JSON text itself, like gjson, so objects and arrays come back
 * as their exact source text. Queries (`#(...)`), modifiers (`@reverse`),
 * pipes and multipaths are not supported: such paths find nothing.
 */
import { compileGoRegexp, quoteMeta, type GoRegexp } from '../../util/goregexp.ts';
import { formatFloatF } from './gojson.ts';

export type GjsonType = 'string' | 'number' | 'true' | 'false' | 'null' | 'json';

export interface GjsonResult {
  type: GjsonType;
  /** The value's JSON text. */
  raw: string;
}

interface Component {
  /** The key with escapes removed. */
  key: string;
  /**
   * Set when the key has an unescaped * or ?: matched as a pattern. The path
   * is the tenant's and the keys may be long, so the glob runs on the
   * linear-time engine (util/goregexp.ts), never a backtracking RegExp:
   * `*a*a*a*b` on a long key would take polynomial time there.
   */
  pattern?: GoRegexp;
  count: boolean;
}

/** The value at `path` in the JSON text, or undefined when there is none (or the text is not JSON). */
export function gjsonGet(json: string, path: string): GjsonResult | undefined {
  const comps = parsePath(path);
  if (comps === undefined) return undefined;
  try {
    const start = skipWs(json, 0);
    if (start >= json.length) return undefined;
    return walk(json, start, comps, 0);
  } catch {
    return undefined;
  }
}

/** gjson's Result.String(). */
export function gjsonString(r: GjsonResult): string {
  switch (r.type) {
    case 'string':
      return JSON.parse(r.raw) as string;
    case 'number':
      return /^-?[0-9]+$/.test(r.raw) ? r.raw : formatFloatF(Number(r.raw));
    case 'true':
      return 'true';
    case 'false':
      return 'false';
    case 'null':
      return '';
    case 'json':
      return r.raw;
  }
}

function parsePath(path: string): Component[] | undefined {
  if (path === '') return undefined;
  const first = path[0];
  if (first === '@' || first === '[' || first === '{' || first === '!' || first === '.') return undefined;
  const comps: Component[] = [];
  let key = '';
  let re = '';
  let wild = false;
  let escaped = false;
  const push = (): void => {
    const comp: Component = { key, count: key === '#' && !wild && !escaped };
    if (wild) comp.pattern = compileGoRegexp('(?s)^' + re + '$');
    comps.push(comp);
    key = '';
    re = '';
    wild = false;
    escaped = false;
  };
  for (let i = 0; i < path.length; i++) {
    const c = path[i] as string;
    if (c === '\\') {
      i++;
      const lit = path[i] ?? '';
      key += lit;
      re += quoteMeta(lit);
      // An escaped # is the literal key "#", not the count operator.
      escaped = true;
      continue;
    }
    if (c === '.') {
      push();
      continue;
    }
    if (c === '|') return undefined;
    if (c === '#' && path[i + 1] === '(') return undefined;
    if (c === '*') {
      wild = true;
      re += '.*';
      key += c;
      continue;
    }
    if (c === '?') {
      wild = true;
      re += '.';
      key += c;
      continue;
    }
    key += c;
    re += quoteMeta(c);
  }
  push();
  return comps;
}

function walk(json: string, pos: number, comps: Component[], i: number): GjsonResult | undefined {
  if (i === comps.length) {
    const end = skipValue(json, pos);
    return { type: typeAt(json, pos), raw: json.slice(pos, end) };
  }
  const comp = comps[i] as Component;
  const c = json[pos];
  if (c === '{') {
    let p = skipWs(json, pos + 1);
    if (json[p] === '}') return undefined;
    for (;;) {
      if (json[p] !== '"') throw new SyntaxError('bad object');
      const keyEnd = skipString(json, p);
      const key = JSON.parse(json.slice(p, keyEnd)) as string;
      p = skipWs(json, keyEnd);
      if (json[p] !== ':') throw new SyntaxError('bad object');
      p = skipWs(json, p + 1);
      const matches = comp.pattern ? comp.pattern.matchString(key) : key === comp.key;
      if (matches) return walk(json, p, comps, i + 1);
      p = skipWs(json, skipValue(json, p));
      if (json[p] === ',') {
        p = skipWs(json, p + 1);
        continue;
      }
      return undefined;
    }
  }
  if (c === '[') {
    const elems = arrayElements(json, pos);
    if (comp.count) {
      if (i + 1 === comps.length) return { type: 'number', raw: String(elems.length) };
      const raws: string[] = [];
      for (const e of elems) {
        const r = walk(json, e, comps, i + 1);
        if (r) raws.push(r.raw);
      }
      return { type: 'json', raw: '[' + raws.join(',') + ']' };
    }
    if (comp.pattern || !/^[0-9]+$/.test(comp.key)) return undefined;
    const idx = Number(comp.key);
    const e = elems[idx];
    return e === undefined ? undefined : walk(json, e, comps, i + 1);
  }
  return undefined;
}

function arrayElements(json: string, pos: number): number[] {
  const out: number[] = [];
  let p = skipWs(json, pos + 1);
  if (json[p] === ']') return out;
  for (;;) {
    out.push(p);
    p = skipWs(json, skipValue(json, p));
    if (json[p] === ',') {
      p = skipWs(json, p + 1);
      continue;
    }
    if (json[p] === ']') return out;
    throw new SyntaxError('bad array');
  }
}

function typeAt(json: string, pos: number): GjsonType {
  switch (json[pos]) {
    case '"':
      return 'string';
    case '{':
    case '[':
      return 'json';
    case 't':
      return 'true';
    case 'f':
      return 'false';
    case 'n':
      return 'null';
    default:
      return 'number';
  }
}

function skipWs(json: string, pos: number): number {
  while (pos < json.length) {
    const c = json.charCodeAt(pos);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    pos++;
  }
  return pos;
}

function skipString(json: string, pos: number): number {
  for (let p = pos + 1; p < json.length; p++) {
    const c = json[p];
    if (c === '\\') p++;
    else if (c === '"') return p + 1;
  }
  throw new SyntaxError('unterminated string');
}

function skipValue(json: string, pos: number): number {
  const c = json[pos];
  if (c === '"') return skipString(json, pos);
  if (c === '{' || c === '[') {
    let depth = 0;
    for (let p = pos; p < json.length; p++) {
      const d = json[p];
      if (d === '"') p = skipString(json, p) - 1;
      else if (d === '{' || d === '[') depth++;
      else if (d === '}' || d === ']') {
        depth--;
        if (depth === 0) return p + 1;
      }
    }
    throw new SyntaxError('unterminated value');
  }
  let p = pos;
  while (p < json.length && !',}] \t\r\n'.includes(json[p] as string)) p++;
  if (p === pos) throw new SyntaxError('missing value');
  return p;
}

/**
 * The top-level members of a JSON object as raw results, later duplicates
 * winning (as Go's json.Unmarshal into a map does). Undefined if `json` is not an object.
 */
export function gjsonObjectMembers(json: string): Map<string, GjsonResult> | undefined {
  try {
    let p = skipWs(json, 0);
    if (json[p] !== '{') return undefined;
    const out = new Map<string, GjsonResult>();
    p = skipWs(json, p + 1);
    if (json[p] === '}') return out;
    for (;;) {
      if (json[p] !== '"') return undefined;
      const keyEnd = skipString(json, p);
      const key = JSON.parse(json.slice(p, keyEnd)) as string;
      p = skipWs(json, keyEnd);
      if (json[p] !== ':') return undefined;
      p = skipWs(json, p + 1);
      const end = skipValue(json, p);
      out.set(key, { type: typeAt(json, p), raw: json.slice(p, end) });
      p = skipWs(json, end);
      if (json[p] === ',') {
        p = skipWs(json, p + 1);
        continue;
      }
      return json[p] === '}' ? out : undefined;
    }
  } catch {
    return undefined;
  }
}
