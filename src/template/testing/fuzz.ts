/**
 * A generator of random, mostly well-formed templates and data for the
 * differential fuzzer. Seeded, so a failing case can be replayed.
 */
import type { OracleCase } from './oracle.ts';

/** mulberry32: small, fast, good enough to drive a fuzzer. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const keys = ['a', 'b', 'user', 'pass', 'n', 'csv', 'json', 'empty'];
const values = ['1.2.3', '^1.x', '2006-01-02', '90m', '', 'x', 'hello world', 'Hello_World-2', '42', '-7', '3.5', '0', 'a,b,,c', 'é日本ß', '<&>"\'', 'line1\nline2', '  pad  ', 'true', '{"k":[1,"v"]}', 'aGVsbG8='];
// Functions with deterministic output, and how many arguments they usually take.
const funcs: [string, number][] = [
  ['upper', 1], ['lower', 1], ['title', 1], ['trim', 1], ['quote', 1], ['squote', 2], ['b64enc', 1], ['b64dec', 1], ['b32enc', 1],
  ['len', 1], ['index', 2], ['printf', 2], ['print', 2], ['println', 1], ['eq', 2], ['ne', 2], ['lt', 2], ['gt', 2], ['le', 2], ['ge', 2],
  ['and', 2], ['or', 2], ['not', 1], ['default', 2], ['empty', 1], ['list', 3], ['dict', 4], ['join', 2], ['splitList', 2],
  ['first', 1], ['last', 1], ['rest', 1], ['append', 2], ['has', 2], ['repeat', 2], ['substr', 3], ['trunc', 2], ['add', 2],
  ['sub', 2], ['mul', 2], ['div', 2], ['mod', 2], ['max', 2], ['min', 2], ['toJson', 1], ['toString', 1], ['replace', 3],
  ['contains', 2], ['hasPrefix', 2], ['sha256sum', 1], ['int', 1], ['atoi', 1], ['float64', 1], ['sortAlpha', 1], ['uniq', 1],
  ['compact', 1], ['cat', 3], ['indent', 2], ['nindent', 2], ['kebabcase', 1], ['snakecase', 1], ['camelcase', 1], ['swapcase', 1],
  ['initials', 1], ['wrap', 2], ['abbrev', 2], ['plural', 3], ['ternary', 3], ['coalesce', 2], ['typeOf', 1], ['kindOf', 1],
  ['toStrings', 1], ['until', 1], ['seq', 2], ['urlquery', 1], ['html', 1], ['js', 1], ['fromJson', 1], ['nospace', 1],
  ['trimAll', 2], ['trimSuffix', 2], ['adler32sum', 1], ['addf', 2], ['mulf', 2], ['round', 2], ['toPrettyJson', 1], ['slice', 2],
  ['reverse', 1], ['without', 2], ['concat', 2], ['pick', 2], ['omit', 2], ['hasKey', 2], ['get', 2], ['int64', 1], ['ceil', 1],
  ['semverCompare', 2], ['duration', 1], ['durationRound', 1], ['toDate', 2], ['unixEpoch', 1], ['dateModify', 2],
];
const formats = ['%s', '%v', '%d', '%q', '%x', '%5.2f', '%-4s|', '%T', '%+v', '%03d', '%t', '%g', '%e'];

export function generateCase(r: () => number): OracleCase {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const data: Record<string, string> = {};
  for (const k of keys) if (r() < 0.7) data[k] = pick(values);
  const vars: string[] = [];

  const literal = (): string => {
    switch (Math.floor(r() * 7)) {
      case 0:
        return JSON.stringify(pick(values));
      case 1:
        return String(Math.floor(r() * 20) - 5);
      case 2:
        return pick(['1.5', '0.25', '2.0', '1e3', '-0.5']);
      case 3:
        return pick(['true', 'false']);
      case 4:
        return '`raw ' + pick(['x', 'y']) + '`';
      case 5:
        return JSON.stringify(pick(formats));
      default:
        return JSON.stringify(pick(keys));
    }
  };
  const operand = (depth: number): string => {
    const x = r();
    if (x < 0.3) return '.' + pick(keys);
    if (x < 0.4 && vars.length > 0) return pick(vars);
    if (x < 0.45) return '.';
    if (x < 0.75 || depth > 2) return literal();
    return '(' + pipeline(depth + 1) + ')';
  };
  const command = (depth: number, piped: boolean): string => {
    const [name, arity] = pick(funcs);
    const n = Math.max(0, arity - (piped ? 1 : 0) + (r() < 0.1 ? 1 : 0) - (r() < 0.1 ? 1 : 0));
    const args: string[] = [];
    for (let i = 0; i < n; i++) args.push(operand(depth));
    return [name, ...args].join(' ');
  };
  function pipeline(depth: number): string {
    let p = r() < 0.3 ? operand(depth) : command(depth, false);
    const stages = Math.floor(r() * 3);
    for (let i = 0; i < stages; i++) p += ' | ' + command(depth, true);
    return p;
  }
  const action = (depth: number): string => {
    const x = r();
    const trimL = r() < 0.2 ? '- ' : ' ';
    const trimR = r() < 0.2 ? ' -' : ' ';
    if (x < 0.5 || depth > 1) return `{{${trimL}${pipeline(depth)}${trimR}}}`;
    if (x < 0.6) {
      const v = `$v${vars.length}`;
      vars.push(v);
      return `{{ ${v} := ${pipeline(depth)} }}`;
    }
    if (x < 0.72) return `{{ if ${pipeline(depth)} }}${body(depth + 1)}{{ else }}${body(depth + 1)}{{ end }}`;
    if (x < 0.84) {
      const mark = vars.length;
      const src = pick(['splitList "," .csv', 'list 1 2 3', 'dict "x" 1 "y" "z"', '.', 'until 3', '3', 'splitList "" .a']);
      const iv = `$i${vars.length}`;
      const ev = `$e${vars.length}`;
      vars.push(iv, ev);
      const out = `{{ range ${iv}, ${ev} := ${src} }}${body(depth + 1)}{{ else }}none{{ end }}`;
      vars.length = mark;
      return out;
    }
    if (x < 0.92) return `{{ with ${pipeline(depth)} }}${body(depth + 1)}{{ end }}`;
    return `{{ printf ${JSON.stringify(pick(formats))} ${operand(depth)} }}`;
  };
  function body(depth: number): string {
    const parts: string[] = [];
    const n = 1 + Math.floor(r() * 3);
    for (let i = 0; i < n; i++) parts.push(r() < 0.3 ? pick(['x', ' ', '\n', ', ', '=']) : action(depth));
    return parts.join('');
  }
  return { template: body(0), data };
}

export function generateCases(seed: number, count: number): OracleCase[] {
  const r = rng(seed);
  return Array.from({ length: count }, () => generateCase(r));
}
