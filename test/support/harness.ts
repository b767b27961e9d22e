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
import { devEnvVars } from '../../src/cli/dev.ts';
import { EgressPolicy } from '../../src/net/egress.ts';
import { ExternalSecrets, SecretStores, ClusterSecretStores } from '../../src/controllers/resources.ts';
import { SopsSecrets as SopsSecretsType } from '../../src/controllers/sopssecret/resources.ts';
import { baoExpect, Cleanup, loadTestEnv, waitFor, type DevEnv } from './index.ts';
import type { ResourceType } from '../../src/kube/resources.ts';

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

/**
 * What this test file created. Every e2e file calls cleanupCreated() in its
 * after() hook, before it stops its controller, so that the controller can
 * still run the finalizers of what is deleted.
 */
export const created = new Cleanup();

export function cleanupCreated(): Promise<void> {
  return created.run();
}

const namespacesMade = new Set<string>();

/** Records a namespace for deletion at the end of the file (createNamespace does this itself). */
export function trackNamespace(kube: KubeClient, name: string): void {
  namespacesMade.add(name);
  // One step for all namespaces, registered first and so run last: they are deleted together
  // and waited for together.
  created.add('namespaces', async () => {
    const names = [...namespacesMade];
    namespacesMade.clear();
    await deleteNamespaces(kube, names);
  });
}

/** Records a cluster-scoped object for deletion at the end of the file. */
export function trackClusterObject(kube: KubeClient, rt: ResourceType, name: string): void {
  created.add(`${rt.kind} ${name}`, () => kube.delete(rt, name));
}

/**
 * Deletes namespaces and waits until they are gone. Finalizers that no
 * controller will run any more (the file's controller may be stopped, or never
 * ran) are dropped after a grace period: the namespace goes anyway.
 */
export async function deleteNamespaces(kube: KubeClient, names: string[], timeoutMs = 60_000): Promise<void> {
  for (const n of names) await kube.delete(Namespaces, n);
  const started = Date.now();
  let stripped = false;
  await waitFor(
    async () => {
      const left: string[] = [];
      for (const n of names) if (await kube.get(Namespaces, n)) left.push(n);
      if (left.length > 0 && !stripped && Date.now() - started > 5_000) {
        stripped = true;
        for (const n of left) await dropFinalizers(kube, n);
      }
      return left.length === 0;
    },
    { timeoutMs, intervalMs: 250, message: `namespaces ${names.join(', ')} deleted` },
  );
}

async function dropFinalizers(kube: KubeClient, namespace: string): Promise<void> {
  const patch = { metadata: { finalizers: null } };
  for (const rt of [ExternalSecrets, SopsSecretsType]) {
    for (const o of (await kube.list<{ metadata: { name: string; finalizers?: string[] } }>(rt, { namespace }).catch(() => ({ items: [] }))).items) {
      if (o.metadata.finalizers?.length) await kube.patch(rt, o.metadata.name, namespace, patch, 'merge').catch(() => undefined);
    }
  }
  await kube.patch(Namespaces, namespace, undefined, patch, 'merge').catch(() => undefined);
}

export async function createNamespace(kube: KubeClient, prefix = 'e2e', labels: Record<string, string> = {}): Promise<string> {
  const name = uniqueName(prefix);
  await kube.create(Namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
  trackNamespace(kube, name);
  return name;
}

export interface RunningController {
  manager: Manager;
  metrics: ControllerMetrics;
  /** Every JSON log line the controller wrote. */
  logs: string[];
  stop(): Promise<void>;
}

/**
 * Runs the controllers in this process against the test cluster until stop(). The egress policy
 * is read from the variables `hush dev env` exports (HUSH_EGRESS_ALLOW opens loopback, where the
 * dev stores and the tests' own servers listen), as `hush controller` would read them.
 */
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
    egress: EgressPolicy.fromEnv(Object.fromEntries(devEnvVars(h.env))),
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
  created.add(`vault ${mount}/${path}`, () => deleteVaultKv2(env, path, mount));
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
