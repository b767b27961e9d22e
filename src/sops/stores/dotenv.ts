/**
 * dotenv as sops reads and writes it: one `KEY=VALUE` per line split at the
 * first `=`, no quoting, `#` lines as comments, blank lines dropped, `\n` in a
 * value standing for a newline.
 */
import { InvalidDataError } from '../../util/errors.ts';
import { formatGoFloat } from '../scalar.ts';
import type { MapItem, MapNode, Value } from '../tree.ts';
import { comment, entry, isComment, isMap, mapNode } from '../tree.ts';

export function parseDotenv(text: string): MapNode {
  const items: MapItem[] = [];
  for (const [n, line] of text.split('\n').entries()) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      items.push(comment(line.slice(1)));
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) throw new InvalidDataError(`invalid dotenv line ${n + 1}: no "=" in it`);
    items.push(entry(line.slice(0, eq), line.slice(eq + 1).replaceAll('\\n', '\n')));
  }
  return mapNode(items);
}

/** sops' stores.ValToString for non-string values. */
export function valToString(v: Value): string {
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v) || isMap(v) || isComment(v)) throw new InvalidDataError('complex values cannot be written here');
  switch (v.kind) {
    case 'int':
    case 'time':
      return v.text;
    case 'bytes':
      return v.data.toString('utf8');
    case 'float': {
      // FormatFloat(v,'G',-1,64), with ".0" added to whole numbers.
      const f = v.value;
      if (Number.isNaN(f)) return 'NaN';
      if (!Number.isFinite(f)) return f > 0 ? '+Inf' : '-Inf';
      const exp = Math.floor(Math.log10(Math.abs(f) || 1));
      if (exp < -4 || exp >= 21) return f.toExponential().toUpperCase().replace(/E([+-])(\d)$/, 'E$10$2');
      const t = formatGoFloat(f);
      return t.includes('.') ? t : formatGoFloat(f) + '.0';
    }
  }
}

export function stringifyDotenv(doc: MapNode): string {
  let out = '';
  for (const item of doc.items) {
    if (item.kind === 'comment') {
      out += `#${item.text}\n`;
      continue;
    }
    if (isMap(item.value) || Array.isArray(item.value)) {
      throw new InvalidDataError(`cannot use a complex value in a dotenv file (key ${item.key})`);
    }
    const v = typeof item.value === 'string' ? item.value.replaceAll('\n', '\\n') : valToString(item.value);
    out += `${item.key}=${v}\n`;
  }
  return out;
}
