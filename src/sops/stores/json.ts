/**
 * JSON as sops reads and writes it: a top-level object only, key order and
 * duplicate keys kept, integers in int64 range read as `int` (3.13.2) and
 * other numbers as `float`, output indented with one tab and escaped the way
 * Go's encoding/json escapes (`<`, `>`, `&`, U+2028, U+2029).
 */
import { InvalidDataError } from '../../util/errors.ts';
import { parseGoInt } from '../scalar.ts';
import type { MapItem, MapNode, Value } from '../tree.ts';
import { entry, float, int, isComment, isMap, mapNode } from '../tree.ts';

class JsonParser {
  readonly #s: string;
  #i = 0;
  #depth = 0;

  constructor(s: string) {
    this.#s = s;
  }

  #fail(what: string): never {
    throw new InvalidDataError(`invalid JSON at offset ${this.#i}: ${what}`);
  }

  #ws(): void {
    while (this.#i < this.#s.length && ' \t\r\n'.includes(this.#s[this.#i]!)) this.#i++;
  }

  #expect(c: string): void {
    this.#ws();
    if (this.#s[this.#i] !== c) this.#fail(`expected ${JSON.stringify(c)}`);
    this.#i++;
  }

  document(): MapNode {
    this.#ws();
    if (this.#s[this.#i] !== '{') {
      this.#fail('sops only supports JSON files whose top level is an object (wrap the data, e.g. {"data": [...]})');
    }
    const m = this.#value();
    this.#ws();
    if (this.#i !== this.#s.length) this.#fail('unexpected data after the top-level object');
    return m as MapNode;
  }

  #value(): Value {
    this.#ws();
    const c = this.#s[this.#i];
    if (c === undefined) this.#fail('unexpected end of input');
    if (++this.#depth > 1000) this.#fail('nested too deeply');
    try {
      if (c === '{') return this.#object();
      if (c === '[') return this.#array();
      if (c === '"') return this.#string();
      if (this.#s.startsWith('true', this.#i)) return (this.#i += 4), true;
      if (this.#s.startsWith('false', this.#i)) return (this.#i += 5), false;
      if (this.#s.startsWith('null', this.#i)) return (this.#i += 4), null;
      return this.#number();
    } finally {
      this.#depth--;
    }
  }

  #object(): MapNode {
    this.#i++;
    const items: MapItem[] = [];
    this.#ws();
    if (this.#s[this.#i] === '}') return this.#i++, mapNode(items);
    for (;;) {
      this.#ws();
      if (this.#s[this.#i] !== '"') this.#fail('expected an object key');
      const key = this.#string();
      this.#expect(':');
      items.push(entry(key, this.#value()));
      this.#ws();
      const c = this.#s[this.#i++];
      if (c === '}') return mapNode(items);
      if (c !== ',') this.#fail('expected "," or "}"');
    }
  }

  #array(): Value[] {
    this.#i++;
    const out: Value[] = [];
    this.#ws();
    if (this.#s[this.#i] === ']') return this.#i++, out;
    for (;;) {
      out.push(this.#value());
      this.#ws();
      const c = this.#s[this.#i++];
      if (c === ']') return out;
      if (c !== ',') this.#fail('expected "," or "]"');
    }
  }

  #string(): string {
    const start = this.#i;
    this.#i++;
    for (;;) {
      const c = this.#s[this.#i];
      if (c === undefined) this.#fail('unterminated string');
      if (c === '\\') this.#i += 2;
      else if (c === '"') break;
      else if (c < ' ') this.#fail('control character in string');
      else this.#i++;
    }
    this.#i++;
    try {
      return JSON.parse(this.#s.slice(start, this.#i)) as string;
    } catch {
      this.#i = start;
      return this.#fail('bad string escape');
    }
  }

  #number(): Value {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/.exec(this.#s.slice(this.#i, this.#i + 400));
    if (!m) this.#fail('unexpected character');
    this.#i += m[0].length;
    const asInt = m[2] === undefined && m[3] === undefined ? parseGoInt(m[0]) : undefined;
    if (asInt !== undefined) return int(asInt);
    const f = Number(m[0]);
    if (!Number.isFinite(f)) this.#fail('number out of range');
    return float(f);
  }
}

export function parseJson(text: string): MapNode {
  return new JsonParser(text).document();
}

/** Go's json.Marshal string escaping. */
function goJsonString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

function scalarJson(v: Value): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return goJsonString(v);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v) || isMap(v) || isComment(v)) throw new Error('not a scalar');
  switch (v.kind) {
    case 'int':
      return v.text;
    case 'float':
      if (!Number.isFinite(v.value)) throw new InvalidDataError('JSON cannot hold NaN or infinite numbers');
      return Object.is(v.value, -0) ? '-0' : String(v.value);
    case 'time':
      return goJsonString(v.text);
    case 'bytes':
      return goJsonString(v.data.toString('utf8'));
  }
}

function render(v: Value, indent: string, level: number): string {
  const pad = indent.repeat(level + 1);
  const close = indent.repeat(level);
  if (isMap(v)) {
    const items = v.items.filter((i) => i.kind === 'entry');
    if (items.length === 0) return '{}';
    return `{\n${items.map((i) => `${pad}${goJsonString(i.key)}: ${render(i.value, indent, level + 1)}`).join(',\n')}\n${close}}`;
  }
  if (Array.isArray(v)) {
    const items = v.filter((x) => !isComment(x));
    if (items.length === 0) return '[]';
    return `[\n${items.map((x) => pad + render(x, indent, level + 1)).join(',\n')}\n${close}]`;
  }
  return scalarJson(v);
}

/** Writes a map as sops does: tab-indented, comments dropped, trailing newline. */
export function stringifyJson(doc: MapNode, indent = '\t'): string {
  return render(doc, indent, 0) + '\n';
}

/** Writes one value (for `decrypt --extract`). */
export function stringifyJsonValue(v: Value): string {
  if (typeof v === 'string') return v; // sops prints extracted strings raw
  return render(v, '\t', 0);
}
