/** What a running dev environment offers to its users: addresses, credentials, files. */
import { join } from 'node:path';
import { apiserverUrl, openbaoUrl } from './components.ts';
import { auditSocketAddr } from './openbao-config.ts';
import { pkiPaths } from './pki.ts';
import { layout, type DevEnvState, type Ports } from './state.ts';

export interface DevEnv {
  stateDir: string;
  /** Admin kubeconfig (user in group system:masters), certificates embedded. */
  kubeconfig: string;
  /** https://127.0.0.1:<port> */
  apiserverUrl: string;
  /** Also the service-account issuer and default token audience. */
  serviceAccountIssuer: string;
  /** The private CA that signed the API server's serving certificate. */
  caFile: string;
  adminCertFile: string;
  adminKeyFile: string;
  /** OpenBao dev server, http://127.0.0.1:<port>, and its root token. */
  vaultAddr: string;
  vaultToken: string;
  /**
   * Where the dev OpenBao's socket audit device connects ("127.0.0.1:<port>"): run
   * `hush controller --vault-audit-listen-addr` on it. Undefined in environments created before it.
   */
  vaultAuditAddr: string | undefined;
  kubeBinDir: string;
  /** The kubectl built with the cluster (same version). */
  kubectl: string;
  logsDir: string;
  ports: Ports;
}

export function describeEnv(stateDir: string, state: DevEnvState): DevEnv {
  const l = layout(stateDir);
  const pki = pkiPaths(l.pkiDir);
  return {
    stateDir,
    kubeconfig: l.kubeconfig,
    apiserverUrl: apiserverUrl(state),
    serviceAccountIssuer: apiserverUrl(state),
    caFile: pki.caCert,
    adminCertFile: pki.adminCert,
    adminKeyFile: pki.adminKey,
    vaultAddr: openbaoUrl(state),
    vaultToken: state.openbaoRootToken,
    vaultAuditAddr: auditSocketAddr(state),
    kubeBinDir: state.kubeBinDir,
    kubectl: join(state.kubeBinDir, 'kubectl'),
    logsDir: l.logsDir,
    ports: { ...state.ports },
  };
}
