/**
 * Render time per template for the template engine (not a test).
 *   bash scripts/with-node.sh node bench/template.ts
 */
import { corpus } from '../src/template/testing/corpus.ts';
import { parseTemplate } from '../src/template/index.ts';

// Key generation, password hashing and keystores (PBKDF2, 2048 rounds) are measured apart from the rest.
const slow = /gen(CA|SelfSigned|Signed|PrivateKey)|derivePassword|bcrypt|htpasswd|[pP][kK][cC][sS]12/;
const cases = corpus.filter((c) => !slow.test(c.template) && !c.json);

function bench(label: string, f: () => void, iterations: number): void {
  for (let i = 0; i < Math.min(iterations, 200); i++) f(); // warm up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) f();
  const ns = Number(process.hrtime.bigint() - t0) / iterations;
  console.log(`${label.padEnd(44)} ${(ns / 1000).toFixed(1).padStart(9)} µs/op`);
}

const typical = parseTemplate('postgres://{{ .user | urlquery }}:{{ .password | urlquery }}@{{ .host }}:{{ .port }}/{{ .name }}?sslmode=require');
const dockerCfg = parseTemplate('{{ printf "{\\"auths\\":{\\"%s\\":{\\"auth\\":\\"%s\\"}}}" .host (printf "%s:%s" .user .password | b64enc) }}');
const data = { user: 'admin', password: 'p@ss:w/rd', host: 'db.internal', port: '5432', name: 'app' };

bench('parse + render: connection string', () => parseTemplate('{{ .user }}:{{ .password }}@{{ .host }}').execute(data), 20000);
bench('render (pre-parsed): connection string', () => typical.execute(data), 20000);
bench('render (pre-parsed): .dockerconfigjson', () => dockerCfg.execute(data), 20000);

let n = 0;
const t0 = process.hrtime.bigint();
for (let round = 0; round < 20; round++) {
  for (const c of cases) {
    try {
      parseTemplate(c.template, { leftDelim: c.left, rightDelim: c.right }).executeBytes(c.data ?? {});
    } catch {
      // error cases are part of the corpus
    }
    n++;
  }
}
const per = Number(process.hrtime.bigint() - t0) / n / 1000;
console.log(`${`corpus (${cases.length} templates, parse + render)`.padEnd(44)} ${per.toFixed(1).padStart(9)} µs/op (mean)`);
