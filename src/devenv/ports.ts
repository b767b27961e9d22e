/**
 * Free TCP ports on loopback. The kernel picks a port for a listener bound to
 * port 0; we close it at once and hand the number to a child process. Another
 * program could take it in between, which is why components fail loudly (and
 * point at their log) when they cannot bind, rather than us retrying blindly.
 */
import { createServer } from 'node:net';
import { InternalError } from '../util/errors.ts';

export const LOOPBACK = '127.0.0.1';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new InternalError('the kernel assigned no port'))));
    });
  });
}

/** Distinct free ports (the kernel may hand out a just-closed port again). */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** True when nothing accepts connections on the port (so a child can bind it). */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, LOOPBACK, () => server.close(() => resolve(true)));
  });
}
