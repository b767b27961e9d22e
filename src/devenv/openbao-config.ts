/**
 * The dev OpenBao's config file (given with -config beside -dev): its audit
 * devices. OpenBao 2.x refuses to enable audit devices through sys/audit
 * unless unsafe_allow_api_audit_creation is set, so they are declared here.
 *
 * Two devices: a file in the logs dir, and a socket to the port where
 * `hush controller --vault-audit-listen-addr` listens (docs/vault-audit-socket.md).
 * Measured with OpenBao 2.7.2: with nothing listening on the socket, requests
 * are still answered at once; but without skip_test the server does not start
 * at all ("audit backend failed test message: dial tcp ...: connection
 * refused"), because a new device must take a test record. The file device is
 * there so that the socket is never the only device, which Vault's docs warn
 * can stop a server when that device fails.
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
