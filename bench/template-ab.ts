/**
 * Render time of typical ESO templates in this checkout against another one
 * (not a test). Both engines run in one process, in alternating blocks, and
 * the fastest block of each counts (who goes first alternates): on a shared machine that is the number
 * least disturbed by other work.
 *   bash scripts/with-node.sh node bench/template-ab.ts ../hush-before [rounds]
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';

type Engine = typeof import('../src/template/index.ts');
const other = process.argv[2];
if (!other) throw new Error('usage: node bench/template-ab.ts <other checkout> [rounds]');
const rounds = Number(process.argv[3] ?? '40');
const here: Engine = await import('../src/template/index.ts');
const there = (await import(pathToFileURL(path.resolve(other, 'src/template/index.ts')).href)) as Engine;

const data = { user: 'admin', password: 'p@ss:w/rd', host: 'db.internal', port: '5432', name: 'app', config: '{"db":{"user":"admin","password":"p@ss"}}' };
const templates: [string, string][] = [
  ['connection string', 'postgres://{{ .user | urlquery }}:{{ .password | urlquery }}@{{ .host }}:{{ .port }}/{{ .name }}?sslmode=require'],
  ['.dockerconfigjson', '{{ printf "{\\"auths\\":{\\"%s\\":{\\"auth\\":\\"%s\\"}}}" .host (printf "%s:%s" .user .password | b64enc) }}'],
  ['fromJson + range', '{{ $c := .config | fromJson }}{{ range $k, $v := $c.db }}{{ $k }}={{ $v | upper }};{{ end }}'],
  ['every key (range .)', '{{ range $k, $v := . }}{{ $k | upper }}={{ $v | b64enc }}\n{{ end }}'],
];
const N = 2000;

function block(t: { execute(d: unknown): string }): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) t.execute(data);
  return Number(process.hrtime.bigint() - t0) / N / 1000;
}

console.log(`${'template'.padEnd(22)} ${'this'.padStart(10)} ${'other'.padStart(10)}  (µs per render, best of ${rounds} blocks of ${N})`);
for (const [label, text] of templates) {
  const a = here.parseTemplate(text);
  const b = there.parseTemplate(text);
  if (a.execute(data) !== b.execute(data)) throw new Error(`${label}: the two engines disagree`);
  let bestA = Infinity;
  let bestB = Infinity;
  // Who goes first alternates, so neither always runs right after the other's garbage.
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      bestA = Math.min(bestA, block(a));
      bestB = Math.min(bestB, block(b));
    } else {
      bestB = Math.min(bestB, block(b));
      bestA = Math.min(bestA, block(a));
    }
  }
  console.log(`${label.padEnd(22)} ${bestA.toFixed(2).padStart(10)} ${bestB.toFixed(2).padStart(10)}  ${(((bestA - bestB) / bestB) * 100).toFixed(0).padStart(4)} %`);
}
