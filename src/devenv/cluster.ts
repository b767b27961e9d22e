/**
 * Lifecycle of the dev environment: up (start what is missing, reuse what
 * runs), down (stop everything), status, and stopping/starting one component
 * to simulate an outage. All state lives in the state dir (see state.ts).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidConfigError, NotFoundError, TimeoutError, UnavailableError } from '../util/errors.ts';
import { resolveBaoBin, resolveKubeBinDir, type ProgressSink } from './binaries.ts';
import { apiserverUrl, componentSpec, type ComponentContext, type ComponentSpec } from './components.ts';
import { describeEnv, type DevEnv } from './dev-env.ts';
import { kubeCall } from './kube-admin.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { withLock } from './lock.ts';
import { configureOpenBao } from './openbao.ts';
import { ensurePki, pkiPaths } from './pki.ts';
import { freePort, freePorts, portIsFree } from './ports.ts';
import { writeOpenbaoConfig } from './openbao-config.ts';
import { isRunning, startDetached, stopProcess, tailFile, type StartedProcess } from './processes.ts';
import {
  componentNames,
  layout,
  logFile,
  readState,
  resolveStateDir,
  writeState,
  type ComponentName,
  type DevEnvState,
  type Layout,
} from './state.ts';

export interface DevEnvOptions {
  /** Defaults to ${XDG_STATE_HOME:-~/.local/state}/hush/dev. */
  stateDir?: string;
  /** Progress lines for a person (start-up steps, the one-time build). */
  progress?: ProgressSink;
}

export interface UpOptions extends DevEnvOptions {
  /** Run configureOpenBao after start-up (default true; skipped when OpenBao is not started). */
  configureOpenBao?: boolean;
  /**
   * Which components to run (default all). Tests of the Kubernetes runtime take only etcd and
   * kube-apiserver: no controller acts on their objects, and OpenBao need not be installed.
   */
  components?: readonly ComponentName[];
  /**
   * Flags added to kube-apiserver's (e.g. `--watch-cache-sizes=configmaps#0`, so that watches
   * are served by etcd and compactEtcd() makes old resourceVersions 410 Gone). Fixed when the
   * state dir is created.
   */
  apiserverArgs?: readonly string[];
}

/** What each component needs running before it can start. */
const needs: Partial<Record<ComponentName, ComponentName>> = {
  'kube-apiserver': 'etcd',
  'kube-controller-manager': 'kube-apiserver',
};

function wantedComponents(options: UpOptions): readonly ComponentName[] {
  const wanted = options.components ?? componentNames;
  for (const name of wanted) {
    const need = needs[name];
    if (need && !wanted.includes(need)) throw new InvalidConfigError(`${name} cannot run without ${need}`);
  }
  return wanted;
}

async function newState(progress: ProgressSink, wanted: readonly ComponentName[], apiserverArgs: readonly string[] | undefined): Promise<DevEnvState> {
  const [etcd, etcdPeer, apiserver, controllerManager, openbao] = (await freePorts(5)) as [number, number, number, number, number];
  const openbaoAudit = await auditPort(openbao, [etcd, etcdPeer, apiserver, controllerManager]);
  return {
    version: 1,
    createdAt: new Date().toISOString(),
    ports: { etcd, etcdPeer, apiserver, controllerManager, openbao, openbaoAudit },
    openbaoRootToken: `hush-dev-${randomBytes(12).toString('hex')}`,
    kubeBinDir: await resolveKubeBinDir(progress),
    baoBin: wanted.includes('openbao') ? resolveBaoBin(progress) : '',
    ...(apiserverArgs ? { apiserverArgs: [...apiserverArgs] } : {}),
    processes: {},
  };
}

/** A free port for the audit socket, neither taken nor OpenBao's cluster port (the dev listener's port + 1). */
async function auditPort(openbao: number, taken: number[]): Promise<number> {
  for (;;) {
    const p = await freePort();
    if (p !== openbao + 1 && p !== openbao && !taken.includes(p)) return p;
  }
}

function sameArgs(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  return (a ?? []).join('\0') === (b ?? []).join('\0');
}

async function prepareContext(l: Layout, state: DevEnvState): Promise<ComponentContext> {
  await mkdir(l.logsDir, { recursive: true, mode: 0o700 });
  await mkdir(l.etcdDataDir, { recursive: true, mode: 0o700 });
  const pki = await ensurePki(l.pkiDir);
  // Rewritten each time: cheap, and always matches the current ports.
  await writeKubeconfig(l.kubeconfig, {
    server: apiserverUrl(state),
    caFile: pki.caCert,
    certFile: pki.adminCert,
    keyFile: pki.adminKey,
    user: 'hush-dev-admin',
  });
  await writeKubeconfig(l.controllerManagerKubeconfig, {
    server: apiserverUrl(state),
    caFile: pki.caCert,
    certFile: pki.controllerManagerCert,
    keyFile: pki.controllerManagerKey,
    user: 'system:kube-controller-manager',
  });
  await writeOpenbaoConfig(l, state);
  return { layout: l, state, pki };
}

function running(state: DevEnvState, name: ComponentName): StartedProcess | undefined {
  const proc = state.processes[name];
  return proc && isRunning(proc) ? proc : undefined;
}

async function startComponentProcess(ctx: ComponentContext, spec: ComponentSpec, progress: ProgressSink): Promise<StartedProcess> {
  const port = spec.port(ctx);
  if (!(await portIsFree(port))) {
    throw new UnavailableError(
      `cannot start ${spec.name}: port ${port} is in use by a process this dev env did not start; ` +
        `stop it, or use a new state dir (the ports of ${ctx.layout.stateDir} are fixed at creation)`,
    );
  }
  progress(`starting ${spec.name} on 127.0.0.1:${port}`);
  const proc = startDetached({
    bin: spec.bin(ctx),
    args: spec.args(ctx),
    logFile: logFile(ctx.layout, spec.name),
    env: spec.env?.(ctx),
    cwd: ctx.layout.stateDir,
  });
  ctx.state.processes[spec.name] = proc;
  // Saved at once, so that down() can stop it even if start-up fails later.
  await writeState(ctx.layout, ctx.state);
  return proc;
}

/** Waits until healthy; fails fast, pointing at the log, if the process dies. */
async function waitHealthy(ctx: ComponentContext, spec: ComponentSpec, progress: ProgressSink, announce = true): Promise<void> {
  const t0 = Date.now();
  const log = logFile(ctx.layout, spec.name);
  for (;;) {
    if (await spec.healthy(ctx)) break;
    const proc = ctx.state.processes[spec.name];
    if (!proc || !isRunning(proc)) {
      throw new UnavailableError(`${spec.name} exited during start-up; see ${log}:\n${tailFile(log)}`);
    }
    if (Date.now() - t0 > spec.startTimeoutMs) {
      throw new TimeoutError(`${spec.name} did not become healthy within ${spec.startTimeoutMs / 1000}s; see ${log}:\n${tailFile(log)}`);
    }
    await sleep(100);
  }
  if (announce) progress(`${spec.name} healthy after ${((Date.now() - t0) / 1000).toFixed(1)}s`);
}

/** Starts the component unless it runs; true when it was started now. */
async function ensureStarted(ctx: ComponentContext, name: ComponentName, progress: ProgressSink): Promise<boolean> {
  const proc = running(ctx.state, name);
  if (proc) {
    progress(`${name} already running (pid ${proc.pid})`);
    return false;
  }
  await startComponentProcess(ctx, componentSpec(name), progress);
  return true;
}

/**
 * The token and service-account controllers are the last thing a workload
 * needs; waiting for `default/default` means pods and TokenRequests work.
 */
async function waitForDefaultServiceAccount(env: DevEnv, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await kubeCall(env, 'GET', '/api/v1/namespaces/default/serviceaccounts/default')).status !== 200) {
    if (Date.now() > deadline) {
      throw new TimeoutError(`the default ServiceAccount did not appear within ${timeoutMs / 1000}s; see ${env.logsDir}/kube-controller-manager.log`);
    }
    await sleep(200);
  }
}

/**
 * Starts the dev environment, or reuses the one already running from the same
 * state dir: components that run are kept, missing ones are started. The
 * processes outlive the caller; stop them with down().
 */
export async function up(options: UpOptions = {}): Promise<DevEnv> {
  const progress = options.progress ?? (() => {});
  const stateDir = resolveStateDir(options.stateDir);
  const l = layout(stateDir);
  const wanted = wantedComponents(options);
  const wants = (name: ComponentName): boolean => wanted.includes(name);
  return withLock(l.lockFile, async () => {
    let state = await readState(l);
    const missing = wanted.filter((n) => !state || !running(state, n));
    if (!state) {
      progress(`creating a dev environment in ${stateDir}`);
      state = await newState(progress, wanted, options.apiserverArgs);
      await writeState(l, state);
    } else {
      if (options.apiserverArgs && !sameArgs(options.apiserverArgs, state.apiserverArgs)) {
        throw new InvalidConfigError(`the dev environment in ${stateDir} was created with other kube-apiserver flags; use a new state dir`);
      }
      if (state.ports.openbaoAudit === undefined && wants('openbao')) {
        // Created before the audit socket existed: give it a port now; a running OpenBao gets the device when it restarts.
        const p = state.ports;
        p.openbaoAudit = await auditPort(p.openbao, [p.etcd, p.etcdPeer, p.apiserver, p.controllerManager]);
        await writeState(l, state);
      }
      if (missing.length > 0) {
        // Pick up a rebuilt cache (e.g. a new Go version) for what we start now.
        state.kubeBinDir = await resolveKubeBinDir(progress);
        if (wants('openbao')) state.baoBin = resolveBaoBin(progress);
      }
    }
    const ctx = await prepareContext(l, state);
    const env = describeEnv(stateDir, state);
    // OpenBao needs nothing else, so it starts alongside etcd.
    const etcd = wants('etcd') && (await ensureStarted(ctx, 'etcd', progress));
    const openbao = wants('openbao') && (await ensureStarted(ctx, 'openbao', progress));
    if (wants('etcd')) await waitHealthy(ctx, componentSpec('etcd'), progress, etcd);
    if (wants('kube-apiserver')) {
      const apiserver = await ensureStarted(ctx, 'kube-apiserver', progress);
      await waitHealthy(ctx, componentSpec('kube-apiserver'), progress, apiserver);
    }
    if (wants('kube-controller-manager')) {
      const controllerManager = await ensureStarted(ctx, 'kube-controller-manager', progress);
      await waitHealthy(ctx, componentSpec('kube-controller-manager'), progress, controllerManager);
    }
    if (wants('openbao')) await waitHealthy(ctx, componentSpec('openbao'), progress, openbao);
    if (wants('kube-controller-manager')) await waitForDefaultServiceAccount(env);
    if (wants('openbao') && (options.configureOpenBao ?? true)) {
      await configureOpenBao(env);
      progress('OpenBao configured (kubernetes auth, kv1/)');
    }
    return env;
  });
}

export interface DownOptions extends DevEnvOptions {
  /** Also delete the state dir (certificates, etcd data, logs). */
  purge?: boolean;
  /** How long each process gets after SIGTERM before SIGKILL. */
  graceMs?: number;
}

/** Stops every process of the dev environment. Safe when nothing runs. */
export async function down(options: DownOptions = {}): Promise<void> {
  const progress = options.progress ?? (() => {});
  const stateDir = resolveStateDir(options.stateDir);
  const l = layout(stateDir);
  if (!existsSync(stateDir)) return;
  await withLock(l.lockFile, async () => {
    const state = await readState(l);
    if (state) {
      // Clients first, then the API server, then its storage.
      const stages: ComponentName[][] = [['kube-controller-manager', 'openbao'], ['kube-apiserver'], ['etcd']];
      for (const stage of stages) {
        await Promise.all(
          stage.map(async (name) => {
            const proc = state.processes[name];
            if (!proc) return;
            if (isRunning(proc)) progress(`stopping ${name} (pid ${proc.pid})`);
            await stopProcess(proc, options.graceMs);
            delete state.processes[name];
          }),
        );
        await writeState(l, state);
      }
    }
  });
  if (options.purge) await rm(stateDir, { recursive: true, force: true });
}

export interface ComponentStatus {
  name: ComponentName;
  pid: number | undefined;
  running: boolean;
  healthy: boolean;
  port: number;
  logFile: string;
}

export interface DevEnvStatus {
  stateDir: string;
  /** False when no environment was ever created in the state dir. */
  exists: boolean;
  components: ComponentStatus[];
  env: DevEnv | undefined;
}

export async function status(options: DevEnvOptions = {}): Promise<DevEnvStatus> {
  const stateDir = resolveStateDir(options.stateDir);
  const l = layout(stateDir);
  const state = await readState(l);
  if (!state) return { stateDir, exists: false, components: [], env: undefined };
  const ctx: ComponentContext = { layout: l, state, pki: pkiPaths(l.pkiDir) };
  const components = await Promise.all(
    componentNames.map(async (name): Promise<ComponentStatus> => {
      const spec = componentSpec(name);
      const proc = running(state, name);
      return {
        name,
        pid: proc?.pid,
        running: proc !== undefined,
        healthy: proc !== undefined && (await spec.healthy(ctx)),
        port: spec.port(ctx),
        logFile: logFile(l, name),
      };
    }),
  );
  return { stateDir, exists: true, components, env: describeEnv(stateDir, state) };
}

/** The environment recorded in a state dir, without starting anything. */
export async function loadEnv(stateDir?: string): Promise<DevEnv> {
  const dir = resolveStateDir(stateDir);
  const state = await readState(layout(dir));
  if (!state) throw new NotFoundError(`no dev environment in ${dir}; run \`hush dev up\``);
  return describeEnv(dir, state);
}

/**
 * Stops one component, to simulate an outage. Its port, data (etcd) and
 * credentials are kept for startComponent. OpenBao's dev server keeps its
 * data in memory only: a stopped OpenBao comes back empty.
 */
export async function stopComponent(env: Pick<DevEnv, 'stateDir'>, name: ComponentName, options: { graceMs?: number } = {}): Promise<void> {
  const l = layout(env.stateDir);
  await withLock(l.lockFile, async () => {
    const state = await readState(l);
    const proc = state?.processes[name];
    if (!state || !proc) return;
    await stopProcess(proc, options.graceMs);
    delete state.processes[name];
    await writeState(l, state);
  });
}

/**
 * Starts one component again on the same port and waits until it is healthy.
 * A restarted OpenBao is configured again (auth, mounts) unless
 * `configure: false`; its secrets are gone and must be re-seeded.
 */
export async function startComponent(
  env: Pick<DevEnv, 'stateDir'>,
  name: ComponentName,
  options: { configure?: boolean; progress?: ProgressSink } = {},
): Promise<void> {
  const progress = options.progress ?? (() => {});
  const l = layout(env.stateDir);
  await withLock(l.lockFile, async () => {
    const state = await readState(l);
    if (!state) throw new NotFoundError(`no dev environment in ${env.stateDir}`);
    // An environment first brought up without OpenBao has no binary for it yet.
    if (name === 'openbao' && !state.baoBin) state.baoBin = resolveBaoBin(progress);
    const ctx = await prepareContext(l, state);
    await ensureStarted(ctx, name, progress);
    await waitHealthy(ctx, componentSpec(name), progress);
    if (name === 'openbao' && (options.configure ?? true)) await configureOpenBao(describeEnv(env.stateDir, state));
  });
}
