/**
 * What the controller end-to-end tests share: the CRDs installed once, a
 * fresh namespace per test, the controller running in-process with its log
 * lines captured (for the canary checks), and small typed accessors.
 */
import { randomBytes } from 'node:crypto';
import { KubeClient } from '../../src/kube/client.ts';
import { CustomResourceDefinitions, Namespaces, Secrets } from '../../src/kube/resources.ts';
import { allCrds } from '../../src/api/index.ts';
import { Manager, type ManagerOptions } from '../../src/controllers/manager.ts';
import { createControllerMetrics, type ControllerMetrics } from '../../src/metrics/hush.ts';
import { createLogger } from '../../src/util/log.ts';
import { ExternalSecrets, SecretStores, ClusterSecretStores } from '../../src/controllers/resources.ts';
import { baoExpect, loadTestEnv, waitFor, type DevEnv } from './index.ts';

export { ExternalSecrets, SecretStores, ClusterSecretStores, Secrets, Namespaces };

export interface Harness {
  env: DevEnv;
  kube: KubeClient;
}

let shared: Promise<Harness> | undefined;

/** The dev env of this test run, with the external-secrets.io CRDs installed and established. */
export function harness(): Promise<Harness> {
  shared ??= (async () => {
    const env = await loadTestEnv();
    const kube = KubeClient.fromKubeconfig(env.kubeconfig);
    for (const crd of allCrds()) {
      await kube.apply(CustomResourceDefinitions, crd, { fieldManager: 'hush-e2e', force: true });
    }
    for (const crd of allCrds()) {
      await waitFor(
        async () => {
          const got = await kube.get<{ metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }>(CustomResourceDefinitions, crd.metadata.name);
          return got?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
        },
        { timeoutMs: 30_000, message: `CRD ${crd.metadata.name} established` },
      );
    }
    return { env, kube };
  })();
  return shared;
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

export async function createNamespace(kube: KubeClient, prefix = 'e2e', labels: Record<string, string> = {}): Promise<string> {
  const name = uniqueName(prefix);
  await kube.create(Namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
  return name;
}

export interface RunningController {
  manager: Manager;
  metrics: ControllerMetrics;
  /** Every JSON log line the controller wrote. */
  logs: string[];
  stop(): Promise<void>;
}

/** Runs the controllers in this process against the test cluster until stop(). */
export async function startController(h: Harness, options: Partial<ManagerOptions> = {}): Promise<RunningController> {
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', write: (line) => void logs.push(line) });
  const metrics = createControllerMetrics();
  const kube = KubeClient.fromKubeconfig(h.env.kubeconfig);
  const manager = new Manager({
    kube,
    logger,
    metrics,
    controllerClass: 'default',
    concurrency: 4,
    enableClusterStores: true,
    enableClusterExternalSecrets: true,
    ...options,
  });
  const abort = new AbortController();
  const running = manager.run(abort.signal);
  await waitFor(() => manager.isSynced(), { timeoutMs: 30_000, message: 'controller caches synced' });
  return {
    manager,
    metrics,
    logs,
    async stop() {
      abort.abort();
      await running.catch(() => undefined);
      kube.close();
    },
  };
}

/** Writes a KV v2 secret into OpenBao's `secret/` mount. */
export async function putVaultKv2(env: DevEnv, path: string, data: Record<string, unknown>, mount = 'secret'): Promise<void> {
  await baoExpect(env, 'POST', `/v1/${mount}/data/${path}`, { data });
}

export async function deleteVaultKv2(env: DevEnv, path: string, mount = 'secret'): Promise<void> {
  await baoExpect(env, 'DELETE', `/v1/${mount}/metadata/${path}`);
}

export interface SecretView {
  metadata: { name: string; uid: string; resourceVersion: string; labels?: Record<string, string>; annotations?: Record<string, string>; ownerReferences?: { uid: string; kind: string; controller?: boolean }[] };
  data?: Record<string, string>;
  type?: string;
  immutable?: boolean;
}

export async function getSecret(kube: KubeClient, namespace: string, name: string): Promise<SecretView | undefined> {
  return kube.get<SecretView & { metadata: { name: string } }>(Secrets, name, namespace);
}

/** Decoded string values of a Secret's data. */
export function secretStrings(s: SecretView | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(s?.data ?? {})) out[k] = Buffer.from(v, 'base64').toString('utf8');
  return out;
}

export interface EsView {
  metadata: { name: string; namespace: string; uid: string; finalizers?: string[]; resourceVersion: string };
  spec: Record<string, unknown>;
  status?: { refreshTime?: string; syncedResourceVersion?: string; conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

export async function getEs(kube: KubeClient, namespace: string, name: string): Promise<EsView | undefined> {
  return kube.get<EsView>(ExternalSecrets, name, namespace);
}

export function readyOf(obj: { status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] } } | undefined) {
  return obj?.status?.conditions?.find((c) => c.type === 'Ready');
}

/** A SecretStore for the dev OpenBao, authenticated with a token kept in a Secret. */
export async function createVaultTokenStore(h: Harness, namespace: string, name = 'vault', extra: Record<string, unknown> = {}): Promise<void> {
  await h.kube.create(Secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: `${name}-token`, namespace }, stringData: { token: h.env.vaultToken } } as never);
  await h.kube.create(SecretStores, {
    apiVersion: 'external-secrets.io/v1',
    kind: 'SecretStore',
    metadata: { name, namespace },
    spec: {
      provider: {
        vault: { server: h.env.vaultAddr, path: 'secret', version: 'v2', auth: { tokenSecretRef: { name: `${name}-token`, key: 'token' } }, ...extra },
      },
    },
  } as never);
}

export async function waitReady(kube: KubeClient, rt: typeof ExternalSecrets, namespace: string | undefined, name: string, want: 'True' | 'False' = 'True', timeoutMs = 20_000) {
  return waitFor(
    async () => {
      const o = await kube.get<EsView & { metadata: { name: string } }>(rt, name, namespace);
      const r = readyOf(o);
      return r?.status === want ? o : undefined;
    },
    { timeoutMs, message: `${rt.kind} ${namespace ?? ''}/${name} Ready=${want}` },
  );
}
