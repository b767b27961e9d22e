/**
 * What the hostile-tenant suite needs: a tenant that holds create rights on
 * SecretStores and ExternalSecrets of one namespace and nothing else (a real
 * ServiceAccount, Role and RoleBinding, and a client that authenticates with
 * that ServiceAccount's token), capture servers on loopback that record every
 * request they get, and a healthy ExternalSecret in another namespace whose
 * propagation time is measured while the tenant attacks.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { KubeClient } from '../../src/kube/client.ts';
import { Secrets, ServiceAccounts, type ResourceType } from '../../src/kube/resources.ts';
import { ExternalSecrets, created, createNamespace, createVaultTokenStore, getSecret, putVaultKv2, secretStrings, uniqueName, type Harness } from './harness.ts';
import { baoExpect, waitFor } from './index.ts';

const Roles: ResourceType = { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'Role', plural: 'roles', namespaced: true };
const RoleBindings: ResourceType = { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'RoleBinding', plural: 'rolebindings', namespaced: true };

export interface Tenant {
  namespace: string;
  /** Authenticates as the tenant's ServiceAccount: SecretStores and ExternalSecrets of `namespace`, nothing else. */
  kube: KubeClient;
}

/**
 * A namespace and a tenant who may create, read, update and delete
 * SecretStores and ExternalSecrets there, and do nothing else (not even read
 * Secrets). The suite creates every tenant object through `kube`, so the
 * API server itself proves that these rights are all the attacks need.
 */
export async function createTenant(h: Harness, prefix = 'tenant'): Promise<Tenant> {
  const namespace = await createNamespace(h.kube, prefix);
  const sa = 'tenant';
  await h.kube.create(ServiceAccounts, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa, namespace } } as never);
  await h.kube.create(Roles, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'tenant', namespace },
    rules: [{ apiGroups: ['external-secrets.io'], resources: ['secretstores', 'externalsecrets'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] }],
  } as never);
  await h.kube.create(RoleBindings, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'tenant', namespace },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'tenant' },
    subjects: [{ kind: 'ServiceAccount', name: sa, namespace }],
  } as never);
  const { token } = await h.kube.createToken(sa, namespace, { expirationSeconds: 3600 });
  const kube = new KubeClient({
    server: h.kube.server,
    ...(h.kube.caPem ? { tls: { ca: h.kube.caPem } } : {}),
    authHeaders: () => Promise.resolve({ authorization: `Bearer ${token}` }),
  });
  created.add(`tenant client ${namespace}`, () => Promise.resolve(kube.close()));
  return { namespace, kube };
}

export interface CapturedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface CaptureServer {
  url: string;
  port: number;
  requests: CapturedRequest[];
  /** TCP connections accepted, TLS attempts included (an http server never sees their requests). */
  connections(): number;
  close(): Promise<void>;
}

/**
 * An HTTP server on loopback that records every request and answers 403.
 * A test proves "nothing arrived" by first seeing the controller give up on
 * the object (a positive sentinel: its Ready=False message), then finding
 * `requests` empty.
 */
export async function captureServer(answer?: (req: CapturedRequest, res: http.ServerResponse) => void): Promise<CaptureServer> {
  const requests: CapturedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(r);
      if (answer) answer(r, res);
      else res.writeHead(403, { 'content-type': 'application/json' }).end('{"errors":["permission denied"]}');
    });
  });
  let connections = 0;
  server.on('connection', () => void connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  created.add(`capture server ${port}`, close);
  return { url: `http://127.0.0.1:${port}`, port, requests, connections: () => connections, close };
}

export interface HealthyProbe {
  namespace: string;
  /** Writes a new value to OpenBao and resolves with the milliseconds until the Secret holds it. */
  propagate(timeoutMs?: number): Promise<number>;
}

/**
 * An ordinary team in another namespace: a Vault SecretStore with its own
 * token and an ExternalSecret refreshed every second. Its propagation time
 * before and during an attack is the suite's measure of "everyone else keeps
 * being served".
 */
export async function healthyProbe(h: Harness): Promise<HealthyProbe> {
  const namespace = await createNamespace(h.kube, 'healthy');
  const path = `hostile/${uniqueName('healthy')}`;
  let n = 0;
  await putVaultKv2(h.env, path, { v: `value-${n}` });
  await createVaultTokenStore(h, namespace);
  await h.kube.create(ExternalSecrets, {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name: 'healthy', namespace },
    spec: { refreshInterval: '1s', secretStoreRef: { name: 'vault', kind: 'SecretStore' }, target: { name: 'healthy' }, data: [{ secretKey: 'v', remoteRef: { key: path, property: 'v' } }] },
  } as never);
  await waitFor(async () => secretStrings(await getSecret(h.kube, namespace, 'healthy')).v === 'value-0', { timeoutMs: 30_000, message: 'healthy Secret synced' });
  return {
    namespace,
    async propagate(timeoutMs = 60_000) {
      n++;
      const want = `value-${n}`;
      const t0 = performance.now();
      await baoExpect(h.env, 'POST', `/v1/secret/data/${path}`, { data: { v: want } });
      await waitFor(async () => secretStrings(await getSecret(h.kube, namespace, 'healthy')).v === want, { timeoutMs, intervalMs: 50, message: `healthy Secret got ${want}` });
      return performance.now() - t0;
    },
  };
}

export interface LagReport {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Event-loop delay of this process (the controller runs in it) between start() and stop(). */
export function lagMonitor(): { start(): void; stop(): LagReport } {
  let h: ReturnType<typeof monitorEventLoopDelay> | undefined;
  return {
    start() {
      h = monitorEventLoopDelay({ resolution: 10 });
      h.enable();
    },
    stop() {
      if (!h) throw new Error('lagMonitor: stop() before start()');
      h.disable();
      const ms = (ns: number) => Math.round(ns / 1e4) / 100;
      return { p50Ms: ms(h.percentile(50)), p99Ms: ms(h.percentile(99)), maxMs: ms(h.max) };
    },
  };
}

/** Creates an object as the tenant (so RBAC proves the tenant may) and registers nothing: the namespace goes at the end. */
export async function asTenant(t: Tenant, rt: ResourceType, obj: Record<string, unknown>): Promise<void> {
  await t.kube.create(rt, obj as never);
}

export { Secrets };
