/**
 * The listen address of --vault-audit-listen-addr: "HOST:PORT", ":PORT" (every
 * interface), "[IPv6]:PORT", or "unix:/path/to.sock".
 */
import { InvalidConfigError } from '../../../util/errors.ts';

export type ListenAddress = { kind: 'tcp'; host: string | undefined; port: number } | { kind: 'unix'; path: string };

export function parseListenAddress(text: string): ListenAddress {
  if (text.startsWith('unix:')) {
    const path = text.slice('unix:'.length);
    if (!path.startsWith('/')) throw new InvalidConfigError(`vault audit listen address ${JSON.stringify(text)}: a unix socket needs an absolute path (unix:/run/hush/audit.sock)`);
    return { kind: 'unix', path };
  }
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidConfigError(`vault audit listen address ${JSON.stringify(text)}: expected HOST:PORT, :PORT, [IPv6]:PORT or unix:/path`);
  }
  const host = m[1] ?? m[2];
  return { kind: 'tcp', host: host === '' ? undefined : host, port };
}

/** True when only this machine can connect. */
export function isLoopback(a: ListenAddress): boolean {
  if (a.kind === 'unix') return true;
  return a.host === 'localhost' || a.host === '::1' || (a.host !== undefined && /^127\./.test(a.host));
}
