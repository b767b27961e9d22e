/**
 * What the sandbox costs and what it buys (not a test):
 *
 *   npm run bench:template-pool [-- --rounds N]
 *
 * 1. the cost per render of one ExternalSecret's templates (one batch) in-process vs through the
 *    pool: the latency of one batch at a time, and the throughput with 8 batches in flight;
 * 2. the event-loop delay (perf_hooks monitorEventLoopDelay: p50, p99, max) while a hostile
 *    template runs, in-process vs pool, measured on a loop that has nothing else to do;
 * 3. the time of the heavy template functions whose step costs are in src/template/limits.ts.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { inProcess, renderTemplates, WorkerPool, type JobRunner, type RenderJob } from '../src/sandbox/index.ts';
import { renderTemplate } from '../src/template/index.ts';
import { machineFacts, markdownTable, median } from './lib/report.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '2000' } } });
const rounds = Number(values.rounds);

const b = (s: string) => new Uint8Array(Buffer.from(s));
const data = { user: b('admin'), password: b('p@ss:w/rd'), host: b('db.internal'), port: b('5432'), name: b('app'), config: b('{"region":"eu-west-1","replicas":3}') };
// A typical templated ExternalSecret: a connection string, a .dockerconfigjson, a config file, two plain keys.
const esBatch: RenderJob[] = [
  { name: 'url', text: 'postgres://{{ .user | urlquery }}:{{ .password | urlquery }}@{{ .host }}:{{ .port }}/{{ .name }}?sslmode=require', data },
  { name: '.dockerconfigjson', text: '{{ printf "{\\"auths\\":{\\"%s\\":{\\"auth\\":\\"%s\\"}}}" .host (printf "%s:%s" .user .password | b64enc) }}', data },
  { name: 'app.yaml', text: '{{ $c := .config | fromJson }}region: {{ $c.region }}\nreplicas: {{ $c.replicas }}\nuser: {{ .user | quote }}\n', data },
  { name: 'username', text: '{{ .user }}', data },
  { name: 'password', text: '{{ .password }}', data },
];
const single: RenderJob[] = [esBatch[0]!];

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function latency(runner: JobRunner, jobs: RenderJob[]): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < 200; i++) await renderTemplates(jobs, runner); // warm up (and start the workers)
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    await renderTemplates(jobs, runner);
    times.push(performance.now() - t0);
  }
  times.sort((x, y) => x - y);
  return { p50: median(times), p99: quantile(times, 0.99) };
}

async function throughput(runner: JobRunner, jobs: RenderJob[], inFlight: number): Promise<number> {
  let done = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (done < rounds) {
        done++;
        await renderTemplates(jobs, runner);
      }
    }),
  );
  return rounds / ((performance.now() - t0) / 1000);
}

const us = (ms: number) => `${(ms * 1000).toFixed(0)} µs`;

async function loopDelayDuring(runner: JobRunner, hostile: string): Promise<{ p50: number; p99: number; max: number; outcome: string }> {
  // Sampled every millisecond; a value includes that 1 ms period, so an idle loop reads about 1 ms.
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  await new Promise((r) => setTimeout(r, 20)); // the sampler is running before the hostile job starts
  let outcome: string;
  try {
    const [r] = await renderTemplates([{ name: 'hostile', text: hostile, data: {} }], runner);
    outcome = r && 'error' in r ? `failed: ${r.error.message.slice(0, 70)}` : 'rendered';
  } catch (err) {
    outcome = `failed: ${(err as Error).message.slice(0, 70)}`;
  }
  // Let the sampler run once more: after a synchronous block, its one long sample is taken now.
  await new Promise((r) => setTimeout(r, 20));
  h.disable();
  return { p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: h.max / 1e6, outcome };
}

const facts = machineFacts();
console.log(`machine: ${facts.nproc} CPUs (${facts.cpuModel}), load ${facts.loadAverage.join(' ')}, ${facts.node}; ${rounds} rounds\n`);

const pool = new WorkerPool({ workers: 2, timeoutMs: 60_000 });
try {
  const rows: string[][] = [];
  for (const [label, jobs] of [['one template', single], ['one ExternalSecret (5 templates, one batch)', esBatch]] as const) {
    const a = await latency(inProcess, jobs);
    const p = await latency(pool, jobs);
    const ta = await throughput(inProcess, jobs, 8);
    const tp = await throughput(pool, jobs, 8);
    rows.push([label, us(a.p50), us(a.p99), us(p.p50), us(p.p99), `${ta.toFixed(0)}/s`, `${tp.toFixed(0)}/s`]);
  }
  console.log('## Cost per render\n');
  console.log(markdownTable(['batch', 'in-process p50', 'in-process p99', 'pool p50', 'pool p99', 'in-process, 8 in flight', 'pool (2 workers), 8 in flight'], rows));

  const hostile: [string, string][] = [
    ['bcrypt × 14 (under the step budget)', '{{ range until 14 }}{{ bcrypt "x" }}{{ end }}'],
    ['genPrivateKey "rsa" in a loop (stopped by the step budget)', '{{ range until 100000 }}{{ genPrivateKey "rsa" }}{{ end }}'],
  ];
  const lagRows: string[][] = [];
  for (const [label, text] of hostile) {
    for (const [where, runner] of [['in-process', inProcess], ['pool', pool]] as const) {
      const d = await loopDelayDuring(runner, text);
      lagRows.push([label, where, `${d.p50.toFixed(1)} ms`, `${d.p99.toFixed(1)} ms`, `${d.max.toFixed(0)} ms`, d.outcome]);
    }
  }
  console.log('\n## Event-loop delay while a hostile template runs\n');
  console.log(markdownTable(['template', 'where', 'p50', 'p99', 'max', 'outcome'], lagRows));
} finally {
  await pool.close();
}

const heavy: [string, string, number][] = [
  ['genPrivateKey "rsa" (RSA-4096)', '{{ genPrivateKey "rsa" }}', 5],
  ['genPrivateKey "dsa"', '{{ genPrivateKey "dsa" }}', 2],
  ['genCA (RSA-2048)', '{{ (genCA "x" 1).Cert }}', 5],
  ['genPrivateKey "ecdsa"', '{{ genPrivateKey "ecdsa" }}', 20],
  ['bcrypt (cost 10)', '{{ bcrypt "x" }}', 5],
  ['derivePassword (scrypt)', '{{ derivePassword 1 "long" "pw" "user" "site" }}', 3],
];
const costRows = heavy.map(([label, text, n]) => {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    renderTemplate(text, {});
    times.push(performance.now() - t0);
  }
  return [label, `${median(times).toFixed(1)} ms`, String(n)];
});
console.log('\n## Heavy template functions (in-process, median)\n');
console.log(markdownTable(['function', 'time', 'runs'], costRows));
