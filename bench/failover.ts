/**
 * Fail-over time of `hush controller` with leader election: how long after the
 * leader dies does the standby hold the Lease, and reconcile again?
 *
 *   npm run bench:failover -- [--n 1000] [--rounds 3] [--hush-root DIR]
 *                             [--concurrent 4] [--log-level info] [--round-timeout 300]
 *
 * It starts its own dev environment (kube-apiserver, etcd, KCM, OpenBao), writes
 * N ExternalSecrets (2-5 keys each, read from OpenBao through a token-auth
 * SecretStore), runs two replicas of `hush controller` from --hush-root (so an
 * old checkout can be measured with the same script) and waits until all N are
 * synced and the standby answers /readyz. Then, `--rounds` times for each of
 * SIGKILL (the Lease must expire) and SIGTERM (the leader hands the Lease back),
 * it kills the leader and measures from the kill:
 *
 *   t_lease  the standby holds the Lease (holderIdentity, read through the API)
 *   t_first  the first ExternalSecret in list order (es-0000) shows a value
 *            changed in OpenBao after the kill, with `external-secrets.io/force-sync`
 *            set: the new leader's first reconcile
 *   t_all    the same change has arrived for ExternalSecret N/2 and the last one:
 *            whether the new leader first works through a cold queue
 *
 * The sentinel changes are made only once the old leader can no longer act
 * (SIGKILL: it has exited; SIGTERM: it has released the Lease or exited), so it
 * is always the new leader that delivers them. After each round a new standby
 * is started. Only the public command is used (flags, signals, /readyz,
 * /metrics), and the API server's own request counters stand in for the new
 * leader's LIST calls, so old and new code are measured alike.
 *
 * Prints a Markdown table and writes bench/results/failover-<time>.json.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { baoExpect, kubeExpect, type DevEnv } from '../src/devenv/index.ts';
import type { KubeClient } from '../src/kube/client.ts';
import { Leases, Namespaces, Secrets } from '../src/kube/resources.ts';
import { ExternalSecrets, SecretStores } from '../src/controllers/resources.ts';
import { InternalError, TimeoutError, describeError } from '../src/util/errors.ts';
import { cleanUp, cleanUpOnSignals, interruptedBy, onCleanup } from './lib/cleanup.ts';
import { crdsOfCheckout, inParallel, installCrds, startBenchEnv, until } from './lib/env.ts';
import { HushProcess } from './lib/hush-process.ts';
import { checkoutFacts, duration, machineFacts, markdownTable, median, seconds } from './lib/report.ts';

const FORCE_SYNC = 'external-secrets.io/force-sync';
const NAMESPACE = 'bench';
const LEASE_NAMESPACE = 'default';
const LEASE_NAME = 'hush-bench-failover';

const { values: flags } = parseArgs({
  options: {
    n: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '3' },
    'hush-root': { type: 'string', default: join(import.meta.dirname, '..') },
    concurrent: { type: 'string', default: '4' },
    'log-level': { type: 'string', default: 'info' },
    'round-timeout': { type: 'string', default: '300' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (flags.help) {
  process.stdout.write('usage: node bench/failover.ts [--n 1000] [--rounds 3] [--hush-root DIR] [--concurrent 4] [--log-level info] [--round-timeout SECONDS]\n');
  process.exit(0);
}
const n = positiveInt('n', flags.n);
const rounds = positiveInt('rounds', flags.rounds);
const roundTimeoutMs = positiveInt('round-timeout', flags['round-timeout']) * 1000;
const hushRoot = resolve(flags['hush-root']);
if (n < 3) usage('--n must be at least 3 (the first, middle and last ExternalSecret are probes)');

function positiveInt(name: string, value: string): number {
  const v = Number(value);
  if (!Number.isInteger(v) || v < 1) usage(`--${name} must be a positive integer, not "${value}"`);
  return v;
}

function usage(message: string): never {
  process.stderr.write(`bench/failover: ${message}\n`);
  process.exit(2);
}

const started = performance.now();
const startedAt = new Date();
function progress(line: string): void {
  process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(1).padStart(7)} s] ${line}\n`);
}

// ---------------------------------------------------------------- the workload

const width = Math.max(4, String(n - 1).length);
const esName = (i: number): string => `es-${String(i).padStart(width, '0')}`;
const keyCount = (i: number): number => 2 + (i % 4);
const vaultPath = (name: string): string => `bench/${name}`;

function initialData(i: number): Record<string, string> {
  const data: Record<string, string> = {};
  for (let k = 0; k < keyCount(i); k++) data[`key-${k}`] = `v${k}-${i}`;
  return data;
}

async function createWorkload(env: DevEnv, kube: KubeClient): Promise<void> {
  await kube.create(Namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
  await kube.create(Secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'vault-token', namespace: NAMESPACE }, stringData: { token: env.vaultToken } } as never);
  await kube.create(SecretStores, {
    apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name: 'vault', namespace: NAMESPACE },
    spec: { provider: { vault: { server: env.vaultAddr, path: 'secret', version: 'v2', auth: { tokenSecretRef: { name: 'vault-token', key: 'token' } } } } },
  } as never);
  const indexes = Array.from({ length: n }, (_, i) => i);
  await inParallel(indexes, 8, async (i) => {
    await baoExpect(env, 'POST', `secret/data/${vaultPath(esName(i))}`, { data: initialData(i) });
  });
  progress(`wrote ${n} secrets to OpenBao`);
  await inParallel(indexes, 8, async (i) => {
    const name = esName(i);
    await kube.create(ExternalSecrets, {
      apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name, namespace: NAMESPACE },
      spec: {
        // Long enough that no scheduled refresh runs during the benchmark: only the probes' changes need reads.
        refreshInterval: '1h',
        secretStoreRef: { name: 'vault', kind: 'SecretStore' },
        target: { name },
        data: Object.keys(initialData(i)).map((key) => ({ secretKey: key, remoteRef: { key: vaultPath(name), property: key } })),
      },
    } as never);
  });
  progress(`created ${n} ExternalSecrets`);
}

interface EsView {
  metadata: { name: string };
  status?: { conditions?: { type: string; status: string }[] };
}

async function countSynced(kube: KubeClient): Promise<number> {
  const list = await kube.list<EsView>(ExternalSecrets, { namespace: NAMESPACE });
  return list.items.filter((es) => es.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
}

async function waitAllSynced(kube: KubeClient, leader: HushProcess): Promise<void> {
  let last = -1;
  let lastReport = 0;
  await until(
    async () => {
      const synced = await countSynced(kube);
      if (synced !== last && performance.now() - lastReport > 10_000) {
        progress(`initial sync: ${synced}/${n} Ready`);
        lastReport = performance.now();
      }
      last = synced;
      return synced >= n;
    },
    { timeoutMs: Math.max(600_000, n * 1000), intervalMs: 2000, message: `all ${n} ExternalSecrets Ready`, stopIf: () => leader.ifDied('during the initial sync') },
  );
}

// ---------------------------------------------------------------- observations

interface LeaseView {
  metadata: { name: string };
  spec?: { holderIdentity?: string };
}

async function leaseHolder(kube: KubeClient): Promise<string> {
  return (await kube.get<LeaseView>(Leases, LEASE_NAME, LEASE_NAMESPACE))?.spec?.holderIdentity ?? '';
}

async function secretValue(kube: KubeClient, name: string): Promise<string | undefined> {
  const s = await kube.get<{ metadata: { name: string }; data?: Record<string, string> }>(Secrets, name, NAMESPACE);
  const v = s?.data?.['key-0'];
  return v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8');
}

interface Watch {
  deadline: number;
  /** Aborted when the round ends either way, so no poller outlives it. */
  signal: AbortSignal;
  /** Ends the wait at once with this error (the replica that should act has died). */
  stopIf: () => Error | undefined;
}

/** Polls `check` until it holds and resolves with the time (performance.now()) it was first seen. */
async function whenTrue(check: () => Promise<boolean>, intervalMs: number, w: Watch, what: string): Promise<number> {
  for (;;) {
    w.signal.throwIfAborted();
    const stop = w.stopIf();
    if (stop) throw stop;
    try {
      if (await check()) return performance.now();
    } catch {
      // The API server is busy or a connection broke: the next poll decides.
    }
    if (performance.now() > w.deadline) throw new TimeoutError(`timed out after ${roundTimeoutMs / 1000} s waiting for ${what}`);
    await sleep(intervalMs, undefined, { signal: w.signal }).catch(() => undefined);
  }
}

type RequestCounts = Record<string, number>;

/** The API server's apiserver_request_total for LIST and WATCH, summed by "VERB resource". */
async function apiserverRequests(env: DevEnv): Promise<RequestCounts> {
  const res = await kubeExpect(env, 'GET', '/metrics', { timeoutMs: 20_000 });
  const counts: RequestCounts = {};
  for (const line of res.text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const verb = /verb="([A-Z]+)"/.exec(line)?.[1];
    if (verb !== 'LIST' && verb !== 'WATCH') continue;
    const resource = /[{,]resource="([^"]*)"/.exec(line)?.[1] ?? '';
    const key = `${verb} ${resource}`;
    counts[key] = (counts[key] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return counts;
}

function difference(after: RequestCounts, before: RequestCounts): RequestCounts {
  const d: RequestCounts = {};
  for (const [k, v] of Object.entries(after)) {
    const delta = v - (before[k] ?? 0);
    if (delta > 0) d[k] = delta;
  }
  return d;
}

const sumOf = (counts: RequestCounts, verb: string): number =>
  Object.entries(counts).filter(([k]) => k.startsWith(`${verb} `)).reduce((a, [, v]) => a + v, 0);

/** Sum of a metric's samples in Prometheus text, or undefined when it is not exported. */
function metricSum(text: string, name: string): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum = (sum ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/**
 * Counters of the controller's own calls to the API server, if it exports any
 * (names with "list" in them); the API server's counters are measured either way.
 */
function listMetrics(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !/^[a-z_]*list[a-z_]*[{ ]/i.test(line)) continue;
    out[line.slice(0, line.lastIndexOf(' '))] = Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return out;
}

const mb = (bytes: number | undefined): number | undefined => (bytes === undefined || Number.isNaN(bytes) ? undefined : Number((bytes / 1e6).toFixed(1)));

// ---------------------------------------------------------------- replicas

let replicaCount = 0;

async function startReplica(env: DevEnv, logsDir: string): Promise<HushProcess> {
  const name = `replica-${++replicaCount}`;
  return HushProcess.start({
    hushRoot,
    kubeconfig: env.kubeconfig,
    name,
    logFile: join(logsDir, `${name}.log`),
    args: [
      '--enable-leader-election',
      '--leader-election-namespace', LEASE_NAMESPACE,
      '--leader-election-id', LEASE_NAME,
      '--concurrent', flags.concurrent,
      '--log-level', flags['log-level'],
    ],
  });
}

async function waitReady(p: HushProcess): Promise<void> {
  await until(() => p.ready(), { timeoutMs: 120_000, intervalMs: 200, message: `${p.name} /readyz`, stopIf: () => p.ifDied('before it was ready') });
}

/** Until the leader's work queues are empty, when it exports hush_workqueue_depth. */
async function waitQueuesEmpty(p: HushProcess): Promise<void> {
  await until(
    async () => {
      const depth = metricSum(await p.metrics(), 'hush_workqueue_depth');
      return depth === undefined || depth === 0;
    },
    { timeoutMs: 120_000, intervalMs: 500, message: `${p.name}'s work queues to drain`, stopIf: () => p.ifDied('while its queues drained') },
  );
}

// ---------------------------------------------------------------- one fail-over

type Mode = 'SIGKILL' | 'SIGTERM';

interface RoundResult {
  round: number;
  mode: Mode;
  oldLeader: string;
  newLeader: string;
  tLeaseMs: number;
  tFirstMs: number;
  tMiddleMs: number;
  tLastMs: number;
  tAllMs: number;
  /** Kill → the old leader could no longer act (exited, or released the Lease). */
  tOldLeaderStoppedMs: number;
  /** Kill → the probe changes were written (OpenBao value + force-sync annotation). */
  tChangesMs: number;
  /** The new leader already held the Lease when the changes were written (then they may arrive by watch, not list). */
  takeoverBeforeChanges: boolean;
  oldLeaderExit: { code: number | null; signal: string | null };
  /** LIST/WATCH requests the API server served between the kill and t_all, all clients (the benchmark makes none). */
  apiserverRequests: RequestCounts;
  apiserverListRequests: number;
  /** externalsecret_sync_calls_total of the new leader at t_all: reconciles that read the store. */
  newLeaderSyncCalls: number | undefined;
  newLeaderListMetrics: Record<string, number>;
  standbyRssMB: number | undefined;
  standbyPeakRssMB: number | undefined;
  newLeaderPeakRssMB: number | undefined;
}

async function failOver(env: DevEnv, kube: KubeClient, leader: HushProcess, standby: HushProcess, mode: Mode, round: number): Promise<RoundResult> {
  const oldLeader = await leaseHolder(kube);
  if (!oldLeader) throw new InternalError('nobody holds the Lease before the kill');
  const probes = [0, Math.floor(n / 2), n - 1].map((i) => ({ i, name: esName(i), value: `${mode}-${round}-${randomBytes(4).toString('hex')}` }));
  const requestsBefore = await apiserverRequests(env);
  const standbyBefore = standby.memory();

  const tKill = performance.now();
  const round$ = new AbortController();
  const w: Watch = { deadline: tKill + roundTimeoutMs, signal: round$.signal, stopIf: () => standby.ifDied('while taking over') };
  leader.signal(mode);
  let newLeader = '';
  let tLease: number, tFirst: number, tMiddle: number, tLast: number, tStopped: number, tChanged: number;
  let takeoverBeforeChanges: boolean;
  try {
    const leaseTaken = whenTrue(
      async () => {
        const holder = await leaseHolder(kube);
        if (holder === '' || holder === oldLeader) return false;
        newLeader = holder;
        return true;
      },
      50, w, `${standby.name} to hold the Lease`,
    );
    // Not awaited until the probes are out; a failure must not go unhandled meanwhile.
    leaseTaken.catch(() => undefined);
    // The probes must be delivered by the new leader, so change them only once the old one cannot act.
    if (mode === 'SIGKILL') await leader.exited;
    else await Promise.race([leader.exited, whenTrue(async () => (await leaseHolder(kube)) !== oldLeader, 50, w, `${leader.name} to release the Lease`)]);
    tStopped = performance.now();
    takeoverBeforeChanges = ![oldLeader, ''].includes(await leaseHolder(kube));
    await Promise.all(probes.map(async (p) => {
      await baoExpect(env, 'POST', `secret/data/${vaultPath(p.name)}`, { data: { ...initialData(p.i), 'key-0': p.value } });
      await kube.patch(ExternalSecrets, p.name, NAMESPACE, { metadata: { annotations: { [FORCE_SYNC]: `${Date.now()}` } } }, 'merge');
    }));
    tChanged = performance.now();
    [tLease, tFirst, tMiddle, tLast] = await Promise.all([
      leaseTaken,
      ...probes.map((p) => whenTrue(async () => (await secretValue(kube, p.name)) === p.value, 100, w, `Secret ${p.name} to get its new value`)),
    ]) as [number, number, number, number];
  } finally {
    round$.abort();
  }
  // Read at once: the next round's start-up would add to the counts.
  const requestsAfter = await apiserverRequests(env);
  const leaderMetrics = await standby.metrics().catch(() => '');
  const standbyAfter = standby.memory();

  const exitTimer = setTimeout(() => leader.signal('SIGKILL'), 30_000);
  const exit = await leader.exited;
  clearTimeout(exitTimer);
  const requests = difference(requestsAfter, requestsBefore);
  return {
    round,
    mode,
    oldLeader,
    newLeader,
    tLeaseMs: Math.round(tLease - tKill),
    tFirstMs: Math.round(tFirst - tKill),
    tMiddleMs: Math.round(tMiddle - tKill),
    tLastMs: Math.round(tLast - tKill),
    tAllMs: Math.round(Math.max(tMiddle, tLast) - tKill),
    tOldLeaderStoppedMs: Math.round(tStopped - tKill),
    tChangesMs: Math.round(tChanged - tKill),
    takeoverBeforeChanges,
    oldLeaderExit: exit,
    apiserverRequests: requests,
    apiserverListRequests: sumOf(requests, 'LIST'),
    newLeaderSyncCalls: metricSum(leaderMetrics, 'externalsecret_sync_calls_total'),
    newLeaderListMetrics: listMetrics(leaderMetrics),
    standbyRssMB: mb(standbyBefore?.rss),
    standbyPeakRssMB: mb(standbyBefore?.peakRss),
    newLeaderPeakRssMB: mb(standbyAfter?.peakRss),
  };
}

// ---------------------------------------------------------------- report

function summarize(results: RoundResult[]) {
  const modes: Mode[] = ['SIGKILL', 'SIGTERM'];
  return modes.map((mode) => {
    const rs = results.filter((r) => r.mode === mode);
    const stat = (f: (r: RoundResult) => number | undefined) => {
      const v = rs.map(f).filter((x): x is number => x !== undefined);
      return { median: median(v), max: v.length ? Math.max(...v) : NaN };
    };
    return {
      mode,
      rounds: rs.length,
      tLeaseMs: stat((r) => r.tLeaseMs),
      tFirstMs: stat((r) => r.tFirstMs),
      tAllMs: stat((r) => r.tAllMs),
      apiserverListRequests: stat((r) => r.apiserverListRequests),
      newLeaderSyncCalls: stat((r) => r.newLeaderSyncCalls),
      standbyPeakRssMB: stat((r) => r.standbyPeakRssMB),
      newLeaderPeakRssMB: stat((r) => r.newLeaderPeakRssMB),
      takeoverBeforeChanges: rs.filter((r) => r.takeoverBeforeChanges).length,
    };
  });
}

function printReport(summary: ReturnType<typeof summarize>, checkout: ReturnType<typeof checkoutFacts>, totalMs: number): void {
  const caseName = { SIGKILL: 'SIGKILL (Lease expires)', SIGTERM: 'SIGTERM (Lease released)' };
  const fmt = (v: number) => (Number.isFinite(v) ? String(Math.round(v)) : '–');
  const lines = [
    `## Fail-over, ${n} ExternalSecrets, hush ${checkout.commit.slice(0, 12)}${checkout.dirty ? ' (+ uncommitted changes)' : ''}`,
    '',
    `Times in seconds from the kill, median / max of ${rounds} round(s) per case.`,
    '',
    markdownTable(
      ['case', 't_lease median', 't_lease max', 't_first median', 't_first max', 't_all median', 't_all max'],
      summary.map((s) => [caseName[s.mode], seconds(s.tLeaseMs.median), seconds(s.tLeaseMs.max), seconds(s.tFirstMs.median), seconds(s.tFirstMs.max), seconds(s.tAllMs.median), seconds(s.tAllMs.max)]),
    ),
    '',
    markdownTable(
      ['case', 'LIST requests kill→t_all (median)', 'store reads by new leader (median)', 'standby peak RSS MB (median)', 'new leader peak RSS MB (max)'],
      summary.map((s) => [caseName[s.mode], fmt(s.apiserverListRequests.median), fmt(s.newLeaderSyncCalls.median), fmt(s.standbyPeakRssMB.median), fmt(s.newLeaderPeakRssMB.max)]),
    ),
    '',
    `t_lease: the standby holds the Lease. t_first: ${esName(0)} (first in list order) shows a value changed after the kill (force-sync).`,
    `t_all: the same for ${esName(Math.floor(n / 2))} and ${esName(n - 1)}. LIST requests: all clients of the API server (the benchmark makes none).`,
    'Store reads: externalsecret_sync_calls_total of the new leader (3 = only the probes were re-read).',
  ];
  const early = summary.reduce((a, s) => a + s.takeoverBeforeChanges, 0);
  if (early > 0) lines.push(`Note: in ${early} round(s) the new leader took the Lease before the probe changes were written (see takeoverBeforeChanges in the JSON).`);
  lines.push('', `Run took ${duration(totalMs)} in all (set-up and initial sync included).`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

// ---------------------------------------------------------------- main

cleanUpOnSignals();
const machineAtStart = machineFacts();
const checkout = checkoutFacts(hushRoot);
const logsDir = mkdtempSync(join(tmpdir(), 'hush-failover-logs-'));
const results: RoundResult[] = [];
const phases: Record<string, number> = {};
let failure: unknown;
progress(`measuring ${hushRoot} at ${checkout.commit.slice(0, 12)}${checkout.dirty ? ' (+ uncommitted changes)' : ''}: n=${n}, rounds=${rounds} per case`);
progress(`controller logs go to ${logsDir}`);
try {
  let t = performance.now();
  const b = await startBenchEnv(progress);
  onCleanup('stop the dev environment', () => b.stop());
  progress(`dev environment up in ${b.stateDir} (after a hard kill of this run: hush dev down --state-dir ${b.stateDir})`);
  await installCrds(b.kube, crdsOfCheckout(hushRoot));
  phases.envUpMs = Math.round(performance.now() - t);

  t = performance.now();
  await createWorkload(b.env, b.kube);
  phases.createMs = Math.round(performance.now() - t);

  t = performance.now();
  let leader = await startReplica(b.env, logsDir);
  await until(async () => (await leaseHolder(b.kube)) !== '', { timeoutMs: 120_000, intervalMs: 200, message: `${leader.name} to take the Lease`, stopIf: () => leader.ifDied('before taking the Lease') });
  const firstHolder = await leaseHolder(b.kube);
  let standby = await startReplica(b.env, logsDir);
  await waitAllSynced(b.kube, leader);
  phases.initialSyncMs = Math.round(performance.now() - t);
  await waitReady(standby);
  if ((await leaseHolder(b.kube)) !== firstHolder) throw new InternalError('the Lease changed hands during the initial sync; see the logs');
  progress(`all ${n} ExternalSecrets synced by ${leader.name} in ${seconds(phases.initialSyncMs)} s; ${standby.name} is ready`);

  t = performance.now();
  for (let round = 1; round <= rounds; round++) {
    for (const mode of ['SIGKILL', 'SIGTERM'] as const) {
      await waitQueuesEmpty(leader);
      progress(`round ${round}/${rounds}, ${mode}: killing ${leader.name} (pid ${leader.pid}), ${standby.name} stands by`);
      const r = await failOver(b.env, b.kube, leader, standby, mode, round);
      results.push(r);
      progress(`  t_lease ${seconds(r.tLeaseMs)} s, t_first ${seconds(r.tFirstMs)} s, t_all ${seconds(r.tAllMs)} s; LIST requests ${r.apiserverListRequests}, store reads ${r.newLeaderSyncCalls ?? '?'}`);
      leader = standby;
      standby = await startReplica(b.env, logsDir);
      await waitReady(standby);
    }
  }
  phases.roundsMs = Math.round(performance.now() - t);
} catch (err) {
  const signal = interruptedBy();
  failure = signal ? new InternalError(`interrupted by ${signal}`, { cause: err }) : err;
  progress(`FAILED: ${describeError(failure)} (controller logs: ${logsDir})`);
} finally {
  await cleanUp();
}

const totalMs = performance.now() - started;
const summary = summarize(results);
const outDir = join(import.meta.dirname, 'results');
mkdirSync(outDir, { recursive: true });
const outFile = join(outDir, `failover-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(outFile, `${JSON.stringify({
  benchmark: 'failover',
  startedAt: startedAt.toISOString(),
  durationMs: Math.round(totalMs),
  ok: failure === undefined,
  ...(failure === undefined ? {} : { error: describeError(failure) }),
  n,
  rounds,
  flags: { ...flags, 'hush-root': hushRoot },
  checkout,
  machine: { ...machineAtStart, loadAverageAtEnd: machineFacts().loadAverage },
  workload: { namespace: NAMESPACE, keysPerExternalSecret: '2-5', refreshInterval: '1h', store: 'OpenBao KV v2, token auth', probes: [esName(0), esName(Math.floor(n / 2)), esName(n - 1)] },
  phases,
  summary,
  results,
  controllerLogs: logsDir,
}, null, 2)}\n`);
if (results.length > 0) printReport(summary, checkout, totalMs);
progress(`results: ${outFile}; took ${duration(totalMs)}`);
process.exitCode = failure === undefined ? 0 : 1;
