/**
 * The set-up the benchmarks share: a throwaway dev environment (etcd,
 * kube-apiserver, kube-controller-manager and OpenBao, started by the
 * project's own devenv in a temporary state dir), the CRDs, and a polling wait.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { down, up, type DevEnv } from '../../src/devenv/index.ts';
import { KubeClient } from '../../src/kube/client.ts';
import { CustomResourceDefinitions, type KubeObject } from '../../src/kube/resources.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { TimeoutError, describeError } from '../../src/util/errors.ts';

export interface BenchEnv {
  env: DevEnv;
  kube: KubeClient;
  stateDir: string;
  /** Stops every component and removes the state dir. Safe to call twice. */
  stop(): Promise<void>;
}

/** Starts a dev environment of its own; `progress` gets the start-up steps. */
export async function startBenchEnv(progress: (line: string) => void = () => {}): Promise<BenchEnv> {
  const stateDir = mkdtempSync(join(tmpdir(), 'hush-bench-'));
  let stopped: Promise<void> | undefined;
  let kube: KubeClient | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      kube?.close();
      await down({ stateDir, purge: true });
    })();
    return stopped;
  };
  try {
    const env = await up({ stateDir, progress });
    kube = KubeClient.fromKubeconfig(env.kubeconfig);
    return { env, kube, stateDir, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

type Crd = KubeObject & { metadata: { name: string } };

/** Applies CRDs and waits until the API server serves them (Established). */
export async function installCrds(kube: KubeClient, crds: Crd[]): Promise<void> {
  for (const crd of crds) await kube.apply(CustomResourceDefinitions, crd, { fieldManager: 'hush-bench', force: true });
  for (const crd of crds) {
    await until(
      async () => {
        const got = await kube.get<Crd & { status?: { conditions?: { type: string; status: string }[] } }>(CustomResourceDefinitions, crd.metadata.name);
        return got?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
      },
      { timeoutMs: 30_000, message: `CRD ${crd.metadata.name} established` },
    );
  }
}

export interface UntilOptions {
  timeoutMs: number;
  /** Default 100 ms. */
  intervalMs?: number;
  /** What is awaited, for the timeout error. */
  message: string;
  /** Checked before each try: an error here ends the wait at once (a process it depends on died). */
  stopIf?: () => Error | undefined;
}

/**
 * Polls until `fn` returns true. A throw from `fn` counts as "not yet" (the
 * API server may be busy); the last one is named if time runs out.
 */
export async function until(fn: () => Promise<boolean> | boolean, options: UntilOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    const stop = options.stopIf?.();
    if (stop) throw stop;
    try {
      if (await fn()) return;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const why = lastError === undefined ? '' : `; last error: ${describeError(lastError)}`;
      throw new TimeoutError(`timed out after ${options.timeoutMs / 1000} s waiting for ${options.message}${why}`, { cause: lastError });
    }
    await sleep(options.intervalMs ?? 100);
  }
}

/**
 * The CRDs a checkout ships in deploy/crds. Measuring an older checkout must
 * use its own CRDs, not whatever this checkout generates.
 */
export function crdsOfCheckout(root: string): Crd[] {
  const dir = join(root, 'deploy', 'crds');
  const crds: Crd[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      const obj = doc.toJS() as Crd | null;
      if (obj?.kind === 'CustomResourceDefinition') crds.push(obj);
    }
  }
  return crds;
}

/** Runs `fn` over `items` with at most `width` calls in flight. */
export async function inParallel<T>(items: readonly T[], width: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, lane));
}
