/**
 * A TCP relay in front of the dev cluster's kube-apiserver, and a kubeconfig that goes through
 * it, so that one client can be cut off (a network partition) or left hanging on a silent peer
 * while every other client keeps its direct connection. TLS passes through untouched: the relay
 * listens on the same loopback address, which the serving certificate names.
 */
import { readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import type { DevEnv } from './dev-env.ts';
import { LOOPBACK } from './ports.ts';

export interface PartitionProxy {
  readonly port: number;
  /** Drops every open connection and refuses new ones until heal(). */
  partition(): void;
  /** Stops relaying on the open connections but keeps them open (a stalled peer); new ones still work. */
  freeze(): void;
  heal(): void;
  close(): Promise<void>;
}

/** A relay to LOOPBACK:targetPort whose connections can be cut. */
export async function startPartitionProxy(targetPort: number): Promise<PartitionProxy> {
  const sockets = new Set<net.Socket>();
  const pairs = new Set<[net.Socket, net.Socket]>();
  let cut = false;
  const server = net.createServer((downstream) => {
    if (cut) {
      downstream.destroy();
      return;
    }
    const upstream = net.connect(targetPort, LOOPBACK);
    const pair: [net.Socket, net.Socket] = [downstream, upstream];
    sockets.add(downstream);
    sockets.add(upstream);
    pairs.add(pair);
    const drop = (): void => {
      downstream.destroy();
      upstream.destroy();
      sockets.delete(downstream);
      sockets.delete(upstream);
      pairs.delete(pair);
    };
    for (const s of pair) {
      s.on('error', drop);
      s.on('close', drop);
    }
    downstream.pipe(upstream);
    upstream.pipe(downstream);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, resolve);
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const dropAll = (): void => {
    for (const s of sockets) s.destroy();
    sockets.clear();
  };
  return {
    port,
    partition() {
      cut = true;
      dropAll();
    },
    freeze() {
      for (const [a, b] of pairs) {
        a.unpipe(b);
        b.unpipe(a);
        a.pause();
        b.pause();
      }
      // Frozen pairs are no longer relays; a later partition() still destroys their sockets.
      pairs.clear();
    },
    heal() {
      cut = false;
    },
    close() {
      cut = true;
      dropAll();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Starts a relay to the apiserver and writes a copy of the admin kubeconfig (in the state dir)
 * whose server is the relay. The caller closes the proxy; down({ purge }) removes the file.
 */
export async function proxyApiserver(env: Pick<DevEnv, 'kubeconfig' | 'ports' | 'stateDir'>): Promise<{ kubeconfig: string; proxy: PartitionProxy }> {
  const proxy = await startPartitionProxy(env.ports.apiserver);
  const config = JSON.parse(await readFile(env.kubeconfig, 'utf8')) as { clusters: { cluster: { server: string } }[] };
  for (const c of config.clusters) c.cluster.server = `https://${LOOPBACK}:${proxy.port}`;
  const kubeconfig = join(env.stateDir, `kubeconfig-proxy-${proxy.port}`);
  await writeFile(kubeconfig, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
  return { kubeconfig, proxy };
}
