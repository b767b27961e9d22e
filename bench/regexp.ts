/**
 * Regular expressions: compile and match throughput of Hush's Go-regexp
 * engine (util/goregexp.ts on re2js) against V8's own RegExp (the floor: a
 * JIT-compiled backtracking engine, fast and unsafe on tenants' patterns)
 * and Go's regexp package (the peer ESO runs on, via tools/goregexp-bench),
 * on the same inputs, plus the catastrophic case that motivated the switch.
 *
 *   npm run bench:regexp [-- --rounds 20]
 *
 * Prints a Markdown table; each row also checks that the three engines
 * counted the same matches (or output length), so they did the same work.
 */
import { parseArgs } from 'node:util';
import { goOracle, runJson } from '../src/testing/goOracle.ts';
import { compileGoRegexp } from '../src/util/goregexp.ts';
import { machineFacts } from './lib/report.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '20' } } });
const rounds = Number(values.rounds);

interface Workload {
  name: string;
  kind: 'compile' | 'match' | 'replace';
  patterns: string[];
  inputs: string[];
  /** The replacement in Go's syntax; `js` is the same for String.prototype.replace. */
  repl: string;
  js: string;
  rounds: number;
}

// 10k key names as a store lists them: a few teams, apps and kinds of secret.
const teams = ['alpha', 'beta', 'gamma', 'delta', 'omega'];
const kinds = ['db-password', 'api-token', 'tls-key', 'webhook-secret'];
const keys = Array.from({ length: 10_000 }, (_, i) => `team-${teams[i % teams.length]!}/app-${i}/${kinds[i % kinds.length]!}-${i % 13}`);
const findPattern = '^team-(alpha|beta)/app-[0-9]+/db-[a-z]+-[0-9]+$';
const catastrophic = 'a'.repeat(30_000) + 'b';

const workloads: Workload[] = [
  {
    name: 'compile: 1000 distinct find.name.regexp patterns',
    kind: 'compile',
    // Distinct, and one round only, so that Hush's compile cache never answers.
    patterns: Array.from({ length: 1000 }, (_, i) => `^team-(alpha|beta)/app-${i}[0-9]*/(db|api)-[a-z]+-[0-9]+$`),
    inputs: [],
    repl: '',
    js: '',
    rounds: 1,
  },
  { name: 'find.name.regexp over 10k keys (per key)', kind: 'match', patterns: [findPattern], inputs: keys, repl: '', js: '', rounds },
  {
    name: 'rewrite `^team-([a-z]+)/(.*)$` → `${1}_$2` over 10k keys (per key)',
    kind: 'replace',
    patterns: ['^team-([a-z]+)/(.*)$'],
    inputs: keys,
    repl: '${1}_$2',
    js: '$1_$2',
    rounds: Math.max(1, Math.floor(rounds / 2)),
  },
  { name: 'catastrophic: `^(a+)+$` on 30 000 × "a" + "b"', kind: 'match', patterns: ['^(a+)+$'], inputs: [catastrophic], repl: '', js: '', rounds },
];

interface Timing {
  nsPerOp: number;
  result: number;
}

function time(w: Workload, step: (w: Workload) => number): Timing {
  // Warm up the JIT; compile workloads on other patterns, so that Hush's compile cache never answers in the timed round.
  step({ ...w, rounds: 1, patterns: w.kind === 'compile' ? w.patterns.map((p) => `${p}|warm`) : w.patterns });
  let count = 0;
  let ops = 0;
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < w.rounds; r++) {
    count += step(w);
    ops += w.kind === 'compile' ? w.patterns.length : w.inputs.length;
  }
  const ns = Number(process.hrtime.bigint() - t0);
  return { nsPerOp: ns / ops, result: count / w.rounds };
}

function hush(w: Workload): number {
  if (w.kind === 'compile') {
    let n = 0;
    for (const p of w.patterns) if (compileGoRegexp(p)) n++;
    return n;
  }
  const re = compileGoRegexp(w.patterns[0]!);
  let n = 0;
  if (w.kind === 'match') for (const s of w.inputs) n += re.matchString(s) ? 1 : 0;
  else for (const s of w.inputs) n += re.replaceAll(s, w.repl).length;
  return n;
}

function v8(w: Workload): number {
  if (w.kind === 'compile') {
    let n = 0;
    // V8 parses here and compiles on the first exec, so one exec is part of "compile".
    for (const p of w.patterns) if (new RegExp(p).exec('') === null) n++;
    return n;
  }
  const re = new RegExp(w.patterns[0]!, w.kind === 'replace' ? 'g' : '');
  let n = 0;
  if (w.kind === 'match') for (const s of w.inputs) n += re.test(s) ? 1 : 0;
  else for (const s of w.inputs) n += s.replace(re, w.js).length;
  return n;
}

/** V8 on the catastrophic pattern: seconds double with each extra "a", so it is timed on short inputs only. */
function v8Catastrophic(): string {
  const rows: string[] = [];
  const re = /^(a+)+$/;
  re.test('a'.repeat(18) + 'b');
  for (const n of [22, 24, 26]) {
    const t0 = process.hrtime.bigint();
    re.test('a'.repeat(n) + 'b');
    rows.push(`${n} chars: ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(0)} ms`);
  }
  return rows.join(', ');
}

function fmt(ns: number): string {
  return ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(2)} µs` : `${ns.toFixed(0)} ns`;
}

const go = goOracle('goregexp-bench');
const goTimes: Timing[] | undefined = go.skip === false ? runJson<Timing[]>('goregexp-bench', go.path, workloads) : undefined;

console.log(`machine: ${JSON.stringify(machineFacts())}`);
console.log(`rounds: ${rounds}${goTimes ? '' : `; Go: ${go.skip}`}\n`);
console.log('| workload | Hush (re2js) | V8 RegExp | Go regexp |');
console.log('| --- | ---: | ---: | ---: |');
workloads.forEach((w, k) => {
  const h = time(w, hush);
  const isCatastrophic = w.name.startsWith('catastrophic');
  const v = isCatastrophic ? undefined : time(w, v8);
  const g = goTimes?.[k];
  if (v && v.result !== h.result) throw new Error(`${w.name}: V8 counted ${v.result}, Hush ${h.result}`);
  if (g && g.result !== h.result) throw new Error(`${w.name}: Go counted ${g.result}, Hush ${h.result}`);
  console.log(`| ${w.name} | ${fmt(h.nsPerOp)} | ${v ? fmt(v.nsPerOp) : `never finishes (${v8Catastrophic()})`} | ${g ? fmt(g.nsPerOp) : '–'} |`);
});
