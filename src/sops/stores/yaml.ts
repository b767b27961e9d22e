/**
 * YAML documents as sops reads and writes them (go-yaml v3): several
 * documents per file, comments kept as tree entries, plain scalars typed by
 * go-yaml's rules (not YAML 1.2 core's), aliases expanded, duplicate keys and
 * non-string keys rejected. Written with 4-space indentation, sequences
 * indented under their key, multi-line strings as literal blocks, and any
 * string that go-yaml would read as something else double-quoted.
 */
import YAML from 'yaml';
import type { Document, Node as YamlNode, Pair, Scalar as YamlScalar, YAMLMap, YAMLSeq } from 'yaml';
import { InvalidDataError } from '../../util/errors.ts';
import { formatGoFloat, parseGoFloat, parseYamlTimestamp, resolvePlainYaml } from '../scalar.ts';
import type { CommentNode, MapItem, MapNode, Scalar, Value } from '../tree.ts';
import { comment, entry, float, isComment, isMap, mapNode } from '../tree.ts';

const INDENT = 4;

// --- reading ----------------------------------------------------------------

function commentLines(text: string | null | undefined, inline = false): CommentNode[] {
  if (!text) return [];
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => comment(l, inline));
}

function scalarValue(node: YamlScalar): Scalar | null {
  const raw = typeof node.value === 'string' ? node.value : String(node.value);
  const tag = node.tag?.replace(/^tag:yaml\.org,2002:/, '!!');
  if (tag === '!!str' || tag === '!!binary') return raw;
  if (tag === '!!int') {
    const r = resolvePlainYaml(raw);
    if (typeof r === 'object' && r !== null && r.kind === 'int') return r;
    throw new InvalidDataError(`cannot read ${JSON.stringify(raw.slice(0, 30))} as an !!int`);
  }
  if (tag === '!!float') {
    const f = parseGoFloat(raw.replaceAll('_', '')) ?? (resolvePlainYaml(raw) as { value?: number } | null)?.value;
    if (typeof f !== 'number') throw new InvalidDataError(`cannot read ${JSON.stringify(raw.slice(0, 30))} as a !!float`);
    return float(f);
  }
  if (tag === '!!timestamp') {
    const t = parseYamlTimestamp(raw);
    if (t === undefined) throw new InvalidDataError(`cannot read ${JSON.stringify(raw.slice(0, 30))} as a !!timestamp`);
    return { kind: 'time', text: t };
  }
  if (tag === '!!null') return null;
  if (tag === '!!bool') {
    const r = resolvePlainYaml(raw);
    if (typeof r === 'boolean') return r;
    throw new InvalidDataError(`cannot read ${JSON.stringify(raw.slice(0, 30))} as a !!bool`);
  }
  if (node.type !== 'PLAIN' || tag !== undefined) return raw;
  return resolvePlainYaml(raw);
}

class Reader {
  readonly #doc: Document.Parsed;
  #depth = 0;

  constructor(doc: Document.Parsed) {
    this.#doc = doc;
  }

  value(node: YamlNode | null): Value {
    if (node === null) return null;
    if (++this.#depth > 500) throw new InvalidDataError('the YAML is nested too deeply');
    try {
      if (YAML.isAlias(node)) return this.value((node).resolve(this.#doc) ?? null);
      if (YAML.isMap(node)) return this.map(node);
      if (YAML.isSeq(node)) return this.seq(node);
      if (YAML.isScalar(node)) return scalarValue(node);
    } finally {
      this.#depth--;
    }
    throw new InvalidDataError('unsupported YAML node');
  }

  map(node: YAMLMap, headItems: MapItem[] = []): MapNode {
    const items: MapItem[] = [...headItems, ...commentLines(node.commentBefore)];
    for (const pair of node.items as Pair<YamlNode | null, YamlNode | null>[]) {
      const k = pair.key;
      let key: string;
      if (k === null) key = '';
      else if (YAML.isScalar(k)) {
        items.push(...commentLines(k.commentBefore), ...commentLines(k.comment, true));
        const kv = scalarValue(k);
        if (typeof kv !== 'string') throw new InvalidDataError(`the YAML has a non-string key ${JSON.stringify(String(k.value))}; only string keys are supported`);
        key = kv;
      } else throw new InvalidDataError('the YAML has a complex (non-scalar) key; only string keys are supported');
      const v = pair.value;
      if (v === null || YAML.isScalar(v) || YAML.isAlias(v)) {
        if (v !== null && !YAML.isAlias(v)) items.push(...commentLines(v.commentBefore), ...commentLines(v.comment, true));
        items.push(entry(key, this.value(v)));
      } else if (YAML.isMap(v)) {
        const inner = this.map(v);
        inner.items.push(...commentLines(v.comment));
        items.push(entry(key, inner));
      } else if (YAML.isSeq(v)) {
        const inner = this.seq(v);
        inner.push(...commentLines(v.comment));
        items.push(entry(key, inner));
      } else items.push(entry(key, this.value(v)));
    }
    return mapNode(items);
  }

  seq(node: YAMLSeq): Value[] {
    const out: Value[] = [...commentLines(node.commentBefore)];
    for (const item of node.items as (YamlNode | null)[]) {
      if (item !== null && (YAML.isScalar(item) || YAML.isMap(item) || YAML.isSeq(item))) {
        out.push(...commentLines(item.commentBefore));
        if (YAML.isScalar(item)) out.push(...commentLines(item.comment, true));
      }
      if (item !== null && YAML.isMap(item)) {
        const inner = this.map(item);
        out.push(inner, ...commentLines(item.comment));
      } else if (item !== null && YAML.isSeq(item)) {
        out.push(this.seq(item), ...commentLines(item.comment));
      } else out.push(this.value(item));
    }
    return out;
  }
}

/** Parses every document of a YAML file into maps. */
export function parseYaml(text: string): MapNode[] {
  const docs = YAML.parseAllDocuments(text, { schema: 'failsafe', uniqueKeys: true, prettyErrors: false, strict: true });
  if (!Array.isArray(docs)) return []; // an empty stream
  const out: MapNode[] = [];
  for (const [i, doc] of docs.entries()) {
    const err = doc.errors[0];
    if (err) throw new InvalidDataError(`invalid YAML (document ${i + 1}): ${err.message.split('\n')[0] ?? ''}`);
    const contents = doc.contents;
    const head = [...commentLines(doc.commentBefore)];
    let m: MapNode;
    if (contents === null || (YAML.isScalar(contents) && scalarValue(contents) === null)) {
      m = mapNode([...head, ...commentLines(YAML.isScalar(contents) ? contents.comment : null)]);
    } else if (YAML.isMap(contents)) {
      m = new Reader(doc).map(contents, head);
      m.items.push(...commentLines(contents.comment));
    } else if (YAML.isSeq(contents)) {
      throw new InvalidDataError('YAML documents that are sequences are not supported');
    } else if (YAML.isAlias(contents)) {
      throw new InvalidDataError('YAML documents that are aliases are not supported');
    } else {
      throw new InvalidDataError('YAML documents that are single values are not supported');
    }
    m.items.push(...commentLines(doc.comment));
    out.push(m);
  }
  return out;
}

// --- writing ----------------------------------------------------------------

const YAML_11_BOOLS = /^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/;

/** Whether a string can be written unquoted and read back by go-yaml as the same string. */
export function isPlainSafe(s: string): boolean {
  if (s === '' || /^\s|\s$/.test(s)) return false;
   
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]/.test(s)) return false;
  if (/^[-?:,[\]{}#&*!|>'"%@`]/.test(s)) return false;
  if (s.includes(': ') || s.includes(' #') || s.endsWith(':')) return false;
  if (YAML_11_BOOLS.test(s)) return false;
  return resolvePlainYaml(s) === s;
}

function doubleQuoted(s: string): string {
  return JSON.stringify(s);
}

/** Lines for a literal block (`|`, `|-`, `|+`), or undefined when a string cannot be one. */
function literalBlock(s: string, indent: number): { header: string; lines: string[] } | undefined {
  if (!s.includes('\n')) return undefined;
   
  if (/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff]/.test(s)) return undefined;
  const trailing = /\n*$/.exec(s)![0].length;
  const body = trailing > 0 ? s.slice(0, s.length - 1) : s;
  const lines = body.split('\n');
  if (/^[ \t]/.test(lines[0] ?? '') || lines[0] === '') return undefined;
  const chomp = trailing === 0 ? '-' : trailing === 1 ? '' : '+';
  const pad = ' '.repeat(indent);
  return { header: '|' + chomp, lines: lines.map((l) => (l === '' ? '' : pad + l)) };
}

function scalarText(v: Scalar | null): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return isPlainSafe(v) ? v : doubleQuoted(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  switch (v.kind) {
    case 'int':
    case 'time':
      return v.text;
    case 'float': {
      if (Number.isNaN(v.value)) return '.nan';
      if (v.value === Infinity) return '.inf';
      if (v.value === -Infinity) return '-.inf';
      const t = formatGoFloat(v.value);
      // Keep it a float when read back: go-yaml would read "1" as an int.
      return /^-?\d+$/.test(t) ? t + '.0' : t;
    }
    case 'bytes':
      return doubleQuoted(v.data.toString('utf8'));
  }
}

function keyText(k: string): string {
  return isPlainSafe(k) ? k : doubleQuoted(k);
}

class Writer {
  readonly lines: string[] = [];

  /** Writes a scalar after `prefix` (e.g. `key:` or `-`); `inline` is a trailing comment. */
  scalar(prefix: string, v: Scalar | null, indent: number, inline: string): void {
    if (typeof v === 'string') {
      const block = literalBlock(v, indent + INDENT);
      if (block) {
        this.lines.push(`${prefix} ${block.header}${inline}`, ...block.lines);
        return;
      }
    }
    this.lines.push(`${prefix} ${scalarText(v)}${inline}`);
  }

  value(prefix: string, v: Value, indent: number, inline: string, inSeq: boolean): void {
    if (isMap(v)) {
      if (!v.items.some((i) => i.kind === 'entry') && v.items.length === 0) {
        this.lines.push(`${prefix} {}${inline}`);
      } else if (inSeq && inline === '' && v.items[0]?.kind === 'entry') {
        // `- key: value` with the rest of the map aligned under the first key.
        const start = this.lines.length;
        this.map(v, indent + 2);
        this.lines[start] = prefix + ' ' + this.lines[start]!.trimStart();
      } else {
        this.lines.push(prefix + inline);
        this.map(v, inSeq ? indent + 2 : indent + INDENT);
      }
    } else if (Array.isArray(v)) {
      if (v.length === 0) this.lines.push(`${prefix} []${inline}`);
      else {
        this.lines.push(prefix + inline);
        this.seq(v, inSeq ? indent + 2 : indent + INDENT);
      }
    } else if (isComment(v)) {
      this.lines.push(`${' '.repeat(indent)}#${v.text}`);
    } else this.scalar(prefix, v, indent, inline);
  }

  map(m: MapNode, indent: number): void {
    const pad = ' '.repeat(indent);
    let inline: string[] = [];
    if (m.items.length > 0 && !m.items.some((i) => i.kind === 'entry')) {
      for (const c of m.items) this.lines.push(`${pad}#${(c as { text: string }).text}`);
      this.lines.push(`${pad}{}`);
      return;
    }
    for (const item of m.items) {
      if (item.kind === 'comment') {
        if (item.inline) inline.push(item.text);
        else this.lines.push(`${pad}#${item.text}`);
        continue;
      }
      const suffix = inline.length > 0 ? ` #${inline[0]}` : '';
      for (const extra of inline.slice(1)) this.lines.push(`${pad}#${extra}`);
      inline = [];
      this.value(`${pad}${keyText(item.key)}:`, item.value, indent, suffix, false);
    }
    for (const c of inline) this.lines.push(`${pad}#${c}`);
  }

  seq(s: Value[], indent: number): void {
    const pad = ' '.repeat(indent);
    let inline: string[] = [];
    for (const item of s) {
      if (isComment(item)) {
        if (item.inline) inline.push(item.text);
        else this.lines.push(`${pad}#${item.text}`);
        continue;
      }
      const suffix = inline.length > 0 ? ` #${inline[0]}` : '';
      for (const extra of inline.slice(1)) this.lines.push(`${pad}#${extra}`);
      inline = [];
      this.value(`${pad}-`, item, indent, suffix, true);
    }
    for (const c of inline) this.lines.push(`${pad}#${c}`);
  }
}

/** Writes documents as a YAML stream, `---` between documents. */
export function stringifyYaml(docs: readonly MapNode[]): string {
  const parts = docs.map((doc) => {
    const w = new Writer();
    if (doc.items.length === 0) return '{}\n';
    w.map(doc, 0);
    return w.lines.join('\n') + '\n';
  });
  return parts.join('---\n');
}

/** Writes one value (for `decrypt --extract`): scalars bare, collections as YAML. */
export function stringifyYamlValue(v: Value): string {
  if (isMap(v)) return stringifyYaml([v]);
  if (Array.isArray(v)) {
    const w = new Writer();
    if (v.length === 0) return '[]\n';
    w.seq(v, 0);
    return w.lines.join('\n') + '\n';
  }
  if (isComment(v)) return '';
  const w = new Writer();
  w.scalar('', v, -INDENT, '');
  return w.lines.map((l, i) => (i === 0 ? l.slice(1) : l)).join('\n') + '\n';
}

