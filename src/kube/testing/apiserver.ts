/**
 * Throwaway control plane for src/kube's integration tests: one etcd and one
 * kube-apiserver on loopback, from the binaries scripts/build-k8s.sh caches.
 * A static admin token (--token-auth-file) is the credential; the apiserver
 * generates its own self-signed serving cert in --cert-dir, which the
 * kubeconfig then trusts.
 *
 * The project's real starter lives in src/devenv; this one exists so the
 * runtime can be tested on its own, and adds the knobs those tests need:
 * restarting the apiserver on the same port, compacting etcd, and a TCP
 * proxy that can cut a client off (a network partition).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import https from 'node:https';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeClient } from '../client.ts';
import { freePort } from '../../devenv/ports.ts';
import { requireTool } from '../../testing/tools.ts';

export interface Binaries {
  etcd: string;
  apiserver: string;
}

/** Finds etcd + kube-apiserver: $HUSH_K8S_BIN_DIR, else the newest build in the hush cache. */
export function findBinaries(): Binaries | undefined {
  const dirs: string[] = [];
  if (process.env.HUSH_K8S_BIN_DIR) dirs.push(process.env.HUSH_K8S_BIN_DIR);
  const cache = process.env.HUSH_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'hush');
  const binRoot = path.join(cache, 'bin');
  if (existsSync(binRoot)) {
    for (const d of readdirSync(binRoot).filter((n) => n.startsWith('k8s-')).sort().reverse()) {
      dirs.push(path.join(binRoot, d));
    }
  }
  for (const d of dirs) {
    const etcd = path.join(d, 'etcd');
    const apiserver = path.join(d, 'kube-apiserver');
    if (existsSync(etcd) && existsSync(apiserver)) return { etcd, apiserver };
  }
  return undefined;
}

/** Why integration tests skip, or undefined when they can run; under CI=true a missing binary throws. */
export function skipReason(): string | undefined {
  return requireTool('etcd and kube-apiserver', 'scripts/build-k8s.sh (or set HUSH_K8S_BIN_DIR)', findBinaries() !== undefined) || undefined;
}

export interface ControlPlaneOptions {
  /** Extra kube-apiserver flags, e.g. ["--watch-cache-sizes=configmaps#0"]. */
  apiserverArgs?: string[];
  /** Print the children's output (debugging). */
  verbose?: boolean;
}

export interface TestControlPlane {
  readonly server: string;
  readonly kubeconfigPath: string;
  readonly etcdUrl: string;
  readonly dir: string;
  /** A new client (own agent) talking to the apiserver directly. */
  client(): KubeClient;
  /** A client that talks through a TCP proxy the test can cut (see partition()). */
  proxiedClient(): Promise<{ client: KubeClient; proxy: PartitionProxy }>;
  /** SIGKILLs the apiserver (etcd keeps running). */
  killApiserver(): Promise<void>;
  /** Starts the apiserver again on the same port, cert and etcd. */
  startApiserver(): Promise<void>;
  /** etcd's current revision (= the newest resourceVersion). */
  etcdRevision(): Promise<number>;
  /** Compacts etcd up to its current revision: older resourceVersions become 410 Gone. */
  compactEtcd(): Promise<number>;
  stop(): Promise<void>;
}

export interface PartitionProxy {
  readonly port: number;
  /** Drops every open connection and refuses new ones until heal(). */
  partition(): void;
  /** Stops relaying bytes on the open connections but keeps them open (a silent, stalled peer). New connections still work. */
  freeze(): void;
  heal(): void;
  close(): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // A crashed test must not leave etcd/apiserver behind.
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
}


export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<TestControlPlane> {
  const bins = findBinaries();
  if (!bins) throw new Error(skipReason());
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hush-kube-'));
  const certDir = path.join(dir, 'certs');
  const token = randomBytes(24).toString('hex');
  writeFileSync(path.join(dir, 'tokens.csv'), `${token},admin,admin-uid,"system:masters"\n`, { mode: 0o600 });
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(path.join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(path.join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });

  const etcdPort = await freePort();
  const etcdUrl = `http://127.0.0.1:${etcdPort}`;
  const etcd = spawn(
    bins.etcd,
    [
      `--data-dir=${path.join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      '--listen-peer-urls=http://127.0.0.1:0',
      '--unsafe-no-fsync=true',
      '--log-level=error',
    ],
    { stdio: opts.verbose ? 'inherit' : 'ignore' },
  );
  track(etcd);

  const port = await freePort();
  const server = `https://127.0.0.1:${port}`;
  const kubeconfigPath = path.join(dir, 'kubeconfig');
  const caPath = path.join(certDir, 'apiserver.crt');
  let apiserver: ChildProcess | undefined;
  let stderrTail = '';

  const startApiserver = async (): Promise<void> => {
    const child = spawn(
      bins.apiserver,
      [
        `--etcd-servers=${etcdUrl}`,
        `--cert-dir=${certDir}`,
        `--secure-port=${port}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        '--service-cluster-ip-range=10.0.0.0/24',
        '--authorization-mode=RBAC',
        `--token-auth-file=${path.join(dir, 'tokens.csv')}`,
        `--service-account-issuer=${server}/`,
        `--service-account-key-file=${path.join(dir, 'sa.pub')}`,
        `--service-account-signing-key-file=${path.join(dir, 'sa.key')}`,
        '--disable-admission-plugins=ServiceAccount',
        '--endpoint-reconciler-type=none',
        '--enable-priority-and-fairness=false',
        '--v=0',
        ...(opts.apiserverArgs ?? []),
      ],
      { stdio: ['ignore', opts.verbose ? 'inherit' : 'ignore', 'pipe'] },
    );
    track(child);
    child.stderr?.on('data', (c: Buffer) => {
      stderrTail = (stderrTail + c.toString()).slice(-4000);
      if (opts.verbose) process.stderr.write(c);
    });
    apiserver = child;
    await waitReady(server, caPath, token, child, () => stderrTail);
  };

  try {
    await waitEtcd(etcdUrl, etcd);
    await startApiserver();
  } catch (err) {
    etcd.kill('SIGKILL');
    apiserver?.kill('SIGKILL');
    throw err;
  }
  writeFileSync(kubeconfigPath, kubeconfig(server, caPath, token), { mode: 0o600 });

  const etcdRevision = async (): Promise<number> => {
    const res = await etcdPost(etcdUrl, '/v3/kv/range', { key: Buffer.from('/').toString('base64') });
    return Number((res as { header: { revision: string } }).header.revision);
  };
  const clients: KubeClient[] = [];
  const proxies: PartitionProxy[] = [];

  return {
    server,
    kubeconfigPath,
    etcdUrl,
    dir,
    client() {
      const c = KubeClient.fromKubeconfig(kubeconfigPath);
      clients.push(c);
      return c;
    },
    async proxiedClient() {
      const proxy = await startPartitionProxy(port);
      proxies.push(proxy);
      const proxiedServer = `https://127.0.0.1:${proxy.port}`;
      const file = path.join(dir, `kubeconfig-proxy-${proxy.port}`);
      writeFileSync(file, kubeconfig(proxiedServer, caPath, token), { mode: 0o600 });
      const client = KubeClient.fromKubeconfig(file);
      clients.push(client);
      return { client, proxy };
    },
    async killApiserver() {
      const child = apiserver;
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
    startApiserver,
    etcdRevision,
    async compactEtcd() {
      const rev = await etcdRevision();
      await etcdPost(etcdUrl, '/v3/kv/compaction', { revision: String(rev), physical: true });
      return rev;
    },
    async stop() {
      for (const c of clients) c.close();
      for (const p of proxies) await p.close();
      const children = [apiserver, etcd].filter((c): c is ChildProcess => !!c && c.exitCode === null);
      await Promise.all(
        children.map(
          (c) =>
            new Promise<void>((resolve) => {
              c.once('exit', () => resolve());
              c.kill('SIGKILL');
            }),
        ),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function kubeconfig(server: string, caPath: string, token: string): string {
  // JSON is valid YAML; client-node reads it as a kubeconfig.
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'test', cluster: { server, 'certificate-authority': caPath } }],
    users: [{ name: 'admin', user: { token } }],
    contexts: [{ name: 'test', context: { cluster: 'test', user: 'admin', namespace: 'default' } }],
    'current-context': 'test',
  });
}

async function waitEtcd(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`etcd exited with ${child.exitCode}`);
    try {
      const body = await httpGet(`${url}/health`);
      if (body.includes('"health":"true"')) return;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  throw new Error('etcd did not become healthy within 20 s');
}

async function waitReady(
  server: string,
  caPath: string,
  token: string,
  child: ChildProcess,
  tail: () => string,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`kube-apiserver exited with ${child.exitCode}:\n${tail()}`);
    if (existsSync(caPath)) {
      try {
        const ok = await new Promise<boolean>((resolve) => {
          const req = https.get(
            `${server}/readyz`,
            { ca: readFileSync(caPath), headers: { Authorization: `Bearer ${token}` }, agent: false },
            (res) => {
              res.resume();
              resolve(res.statusCode === 200);
            },
          );
          req.on('error', () => resolve(false));
          req.setTimeout(2000, () => req.destroy());
        });
        if (ok) return;
      } catch {
        // cert half-written; retry
      }
    }
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`kube-apiserver not ready within 60 s:\n${tail()}`);
}

function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
  });
}

function etcdPost(base: string, p: string, body: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = http.request(
      `${base}${p}`,
      { method: 'POST', agent: false, headers: { 'Content-Type': 'application/json' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`etcd ${p}: HTTP ${res.statusCode}: ${text}`));
          else resolve(JSON.parse(text));
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** A TCP relay to 127.0.0.1:targetPort whose connections the test can cut. */
export async function startPartitionProxy(targetPort: number): Promise<PartitionProxy> {
  const sockets = new Set<net.Socket>();
  const pairs = new Set<[net.Socket, net.Socket]>();
  let cut = false;
  const server = net.createServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
      pairs.delete(pair);
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    port,
    partition() {
      cut = true;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    freeze() {
      for (const [a, b] of pairs) {
        a.unpipe(b);
        b.unpipe(a);
        a.pause();
        b.pause();
      }
      pairs.clear();
    },
    heal() {
      cut = false;
    },
    close() {
      cut = true;
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export { freePort };
