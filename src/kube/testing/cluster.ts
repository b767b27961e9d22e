/**
 * A cluster of its own for src/kube's integration tests: the dev environment (src/devenv) with
 * only etcd and kube-apiserver, in a throwaway state dir. Nothing else acts on the objects a test
 * writes (no controller manager rewrites a Deployment's status), and the restart, compaction and
 * partition knobs are devenv's own: stopComponent/startComponent, compactEtcd, proxyApiserver.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient } from '../client.ts';
import { requireTool } from '../../testing/tools.ts';
import { down, proxyApiserver, up, type DevEnv, type PartitionProxy } from '../../devenv/index.ts';

const binaries = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kubectl'];

/**
 * Why the tests skip, or undefined when they can run. Only a finished build counts: up() would
 * otherwise start the minutes-long build of scripts/build-k8s.sh inside a test's before().
 */
export function skipReason(): string | undefined {
  const complete = (dir: string): boolean => binaries.every((b) => existsSync(join(dir, b)));
  const override = process.env.HUSH_KUBE_BIN_DIR;
  if (override) return requireTool(`${binaries.join(', ')} in HUSH_KUBE_BIN_DIR`, 'scripts/build-k8s.sh', complete(override)) || undefined;
  const cache = process.env.HUSH_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'hush');
  const binRoot = join(cache, 'bin');
  const built = existsSync(binRoot) && readdirSync(binRoot).some((d) => d.startsWith('k8s-') && complete(join(binRoot, d)));
  // Under CI=true a missing build fails the run instead of skipping the suite.
  return requireTool('etcd and kube-apiserver (the Kubernetes build)', 'scripts/build-k8s.sh (or set HUSH_KUBE_BIN_DIR)', built) || undefined;
}

export interface TestCluster {
  readonly env: DevEnv;
  /** A new client (own agent) talking to the apiserver directly, as the admin. */
  client(): KubeClient;
  /** A client whose connections go through a relay the test can cut or freeze. */
  proxiedClient(): Promise<{ client: KubeClient; proxy: PartitionProxy }>;
  /** Closes the clients and relays, stops the processes and deletes the state dir. */
  stop(): Promise<void>;
}

/**
 * The dev environment's processes are detached so that they outlive `hush dev up`; a test process
 * that dies without its after() hook must still not leave them behind. The exit hook can only run
 * synchronous code, so it reads the pids from the state file itself.
 */
function killOnExit(stateDir: string): () => void {
  const hook = (): void => {
    try {
      const state = JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8')) as { processes?: Record<string, { pid: number }> };
      for (const p of Object.values(state.processes ?? {})) process.kill(-p.pid, 'SIGKILL');
    } catch {
      // Nothing recorded, or already stopped.
    }
  };
  process.once('exit', hook);
  return () => process.removeListener('exit', hook);
}

export async function startTestCluster(options: { apiserverArgs?: string[] } = {}): Promise<TestCluster> {
  const stateDir = mkdtempSync(join(tmpdir(), 'hush-kube-'));
  const forget = killOnExit(stateDir);
  const clients: KubeClient[] = [];
  const proxies: PartitionProxy[] = [];
  let env: DevEnv;
  try {
    env = await up({ stateDir, components: ['etcd', 'kube-apiserver'], apiserverArgs: options.apiserverArgs });
  } catch (err) {
    await down({ stateDir, purge: true, graceMs: 0 });
    forget();
    throw err;
  }
  const track = (c: KubeClient): KubeClient => {
    clients.push(c);
    return c;
  };
  return {
    env,
    client: () => track(KubeClient.fromKubeconfig(env.kubeconfig)),
    async proxiedClient() {
      const { kubeconfig, proxy } = await proxyApiserver(env);
      proxies.push(proxy);
      return { client: track(KubeClient.fromKubeconfig(kubeconfig)), proxy };
    },
    async stop() {
      for (const c of clients) c.close();
      for (const p of proxies) await p.close();
      await down({ stateDir, purge: true, graceMs: 0 });
      forget();
    },
  };
}
