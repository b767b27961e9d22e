/**
 * The dev OpenBao's config file (given with -config beside -dev): its audit
 * devices. OpenBao 2.x refuses to enable audit devices through sys/audit
 * unless unsafe_allow_api_audit_creation is set, so they are declared here.
 *
 * Two devices: a file in the logs dir, and a socket to the port where
 * `hush controller --vault-audit-listen-addr` listens (docs/vault-audit-socket.md).
 * Measured with OpenBao 2.7.2 (docs/vault-audit-socket.md, "What we measured"):
 * - without skip_test the server does not start while nothing listens ("audit
 *   backend failed test message: dial tcp ...: connection refused"): a new
 *   device must take a test record;
 * - with the socket as the ONLY device and nothing listening, every audited
 *   request fails with HTTP 500 ("no audit backend succeeded in logging the
 *   request"), and -dev cannot even create its root token;
 * - with the file device beside it, requests are answered in ~10 ms while
 *   nothing listens; a listener that accepts but stops reading delays a
 *   request by up to write_timeout whenever the socket buffers fill.
 * So the file device is not optional.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LOOPBACK } from './ports.ts';
import type { DevEnvState, Layout } from './state.ts';

export const AUDIT_SOCKET_DEVICE = 'hush';
export const AUDIT_FILE_DEVICE = 'file';

export function auditFilePath(l: Layout): string {
  return join(l.logsDir, 'openbao-audit.log');
}

/** Where the socket device connects, or undefined in an environment created before it existed. */
export function auditSocketAddr(state: DevEnvState): string | undefined {
  return state.ports.openbaoAudit === undefined ? undefined : `${LOOPBACK}:${state.ports.openbaoAudit}`;
}

const hclString = (s: string): string => JSON.stringify(s);

export function openbaoConfigHcl(l: Layout, state: DevEnvState): string {
  const out = [
    `audit "file" ${hclString(AUDIT_FILE_DEVICE)} {`,
    `  description = "every request; the device that must not fail"`,
    `  options {`,
    `    file_path = ${hclString(auditFilePath(l))}`,
    `  }`,
    `}`,
  ];
  const addr = auditSocketAddr(state);
  if (addr !== undefined) {
    out.push(
      `audit "socket" ${hclString(AUDIT_SOCKET_DEVICE)} {`,
      `  description = "change feed for hush controller --vault-audit-listen-addr"`,
      `  options {`,
      `    address = ${hclString(addr)}`,
      `    socket_type = "tcp"`,
      // A listener that accepts but stalls delays each audited request by up to this.
      `    write_timeout = "1s"`,
      // Without it OpenBao will not start while Hush is not listening (the device's test record fails).
      `    skip_test = "true"`,
      `  }`,
      `}`,
    );
  }
  return out.join('\n') + '\n';
}

export async function writeOpenbaoConfig(l: Layout, state: DevEnvState): Promise<void> {
  await writeFile(l.openbaoConfig, openbaoConfigHcl(l, state), { mode: 0o600 });
}
