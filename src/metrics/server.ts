/**
 * The metrics and health endpoints: /metrics (Prometheus text), /healthz
 * (the process is alive), /readyz (caches are synced and, with leader
 * election, the process either leads or stands by healthily).
 */
import { createServer, type Server } from 'node:http';
import type { Registry } from './registry.ts';

export interface ProbeServerOptions {
  registry: Registry;
  ready: () => boolean;
}

export function startProbeServer(address: string, opts: ProbeServerOptions): Promise<Server> {
  const { host, port } = parseAddress(address);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(opts.registry.render());
    } else if (path === '/healthz' || path === '/livez') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok\n');
    } else if (path === '/readyz') {
      const ok = opts.ready();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' });
      res.end(ok ? 'ok\n' : 'not ready\n');
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

/** Accepts ":8080", "127.0.0.1:8080", "0" and "[::1]:8080". */
export function parseAddress(address: string): { host: string | undefined; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*))?:?(\d+)$/.exec(address);
  if (!m) throw new Error(`invalid listen address "${address}": use host:port or :port`);
  const host = m[1] ?? (m[2] || undefined);
  return { host, port: Number(m[3]) };
}
