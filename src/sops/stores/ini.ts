/**
 * INI as sops reads and writes it (gopkg.in/ini.v1): sections become maps of
 * string values, a comment before a section or key is kept (after the key in
 * the tree, as sops places it), `=` signs are aligned per section, and values
 * that need it are quoted with backticks or triple quotes.
 */
import { InvalidDataError } from '../../util/errors.ts';
import type { MapItem, MapNode } from '../tree.ts';
import { comment, entry, mapNode } from '../tree.ts';
import { valToString } from './dotenv.ts';

function stripCommentChar(c: string): string {
  if (c.startsWith(';')) return c.replace(/^[; ]+/, '');
  if (c.startsWith('#')) return c.replace(/^[# ]+/, '');
  return c;
}

function unquote(v: string): string {
  if (v.length >= 2 && ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith('`') && v.endsWith('`')) || (v.startsWith("'") && v.endsWith("'")))) {
    return v.slice(1, -1);
  }
  return v;
}

export function parseIni(text: string): MapNode {
  const sections: Array<{ name: string; items: MapItem[] }> = [{ name: 'DEFAULT', items: [] }];
  let current = sections[0]!;
  let pending: string[] = [];
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (line === '') continue;
    if (line.startsWith(';') || line.startsWith('#')) {
      pending.push(line);
      continue;
    }
    if (line.startsWith('[')) {
      const end = line.indexOf(']');
      if (end < 0) throw new InvalidDataError(`invalid INI line ${n + 1}: unclosed section header`);
      current = { name: line.slice(1, end).trim(), items: [] };
      if (pending.length > 0) current.items.push(comment(stripCommentChar(pending.join('\n'))));
      pending = [];
      sections.push(current);
      continue;
    }
    const eq = line.search(/[=:]/);
    const key = (eq < 0 ? line : line.slice(0, eq)).trim();
    let value = eq < 0 ? '' : line.slice(eq + 1).trim();
    if (value.startsWith('"""')) {
      let body = value.slice(3);
      while (!body.includes('"""')) {
        n++;
        if (n >= lines.length) throw new InvalidDataError('invalid INI: unclosed """ value');
        body += '\n' + lines[n]!;
      }
      value = body.slice(0, body.indexOf('"""'));
    } else if (!/^["`']/.test(value)) {
      const hash = value.search(/[#;]/);
      if (hash >= 0) value = value.slice(0, hash).trimEnd();
    } else value = unquote(value);
    current.items.push(entry(key, value));
    if (pending.length > 0) current.items.push(comment(stripCommentChar(pending.join('\n'))));
    pending = [];
  }
  return mapNode(sections.map((s) => entry(s.name, mapNode(s.items))));
}

function quoteValue(v: string): string {
  if (v.includes('\n') || (v.includes('`') && v.includes('"'))) return `"""${v}"""`;
  if (/[#;]/.test(v) || v.startsWith(' ') || v.endsWith(' ') || v.includes('`')) return v.includes('`') ? `"${v}"` : '`' + v + '`';
  return v;
}

function commentLines(text: string): string[] {
  return text.split('\n').map((l) => (/^[#;]/.test(l) ? l : `; ${l}`));
}

export function stringifyIni(doc: MapNode): string {
  const blocks: string[] = [];
  for (const item of doc.items) {
    if (item.kind === 'comment') continue;
    if (item.value === null || typeof item.value !== 'object' || Array.isArray(item.value) || item.value.kind !== 'map') {
      throw new InvalidDataError(`INI section values must be maps (section ${item.key})`);
    }
    const section = item.value;
    const lines: string[] = [];
    let first = 0;
    const head = section.items[0];
    if (head?.kind === 'comment') {
      lines.push(...commentLines(head.text));
      first = 1;
    }
    const keys = section.items.slice(first);
    const width = Math.max(0, ...keys.map((k) => (k.kind === 'entry' ? k.key.length : 0)));
    const body: string[] = [];
    const entries: Array<{ line: string; comment?: string }> = [];
    for (const k of keys) {
      if (k.kind === 'comment') {
        const last = entries[entries.length - 1];
        if (last) last.comment = k.text;
        continue;
      }
      if (typeof k.value === 'object' && k.value !== null && (Array.isArray(k.value) || k.value.kind === 'map')) {
        throw new InvalidDataError(`INI values cannot be nested (key ${k.key} in section ${item.key})`);
      }
      entries.push({ line: `${k.key.padEnd(width)} = ${quoteValue(valToString(k.value))}` });
    }
    for (const e of entries) {
      if (e.comment !== undefined) body.push(...commentLines(e.comment));
      body.push(e.line);
    }
    if (item.key === 'DEFAULT' && body.length === 0 && lines.length === 0) continue;
    blocks.push([...lines, ...(item.key === 'DEFAULT' ? [] : [`[${item.key}]`]), ...body].join('\n') + '\n');
  }
  return blocks.join('\n');
}
