/**
 * How each process of the dev environment is started and how we know it is
 * healthy. Only configuration lives here; cluster.ts decides when to start.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidConfigError } from '../util/errors.ts';
import { httpCall } from './http.ts';
import type { Pki } from './pki.ts';
import { LOOPBACK } from './ports.ts';
import type { ComponentName, DevEnvState, Layout } from './state.ts';

export interface ComponentContext {
  layout: Layout;
  state: DevEnvState;
  pki: Pki;
}

export interface ComponentSpec {
  name: ComponentName;
  bin(ctx: ComponentContext): string;
  args(ctx: ComponentContext): string[];
  /** The TCP port it listens on (must be free before it starts). */
  port(ctx: ComponentContext): number;
  healthy(ctx: ComponentContext): Promise<boolean>;
  /** Generous: the first start on a loaded 2-core machine is slow. */
  startTimeoutMs: number;
  env?(ctx: ComponentContext): NodeJS.ProcessEnv;
}

export function apiserverUrl(state: DevEnvState): string {
  return `https://${LOOPBACK}:${state.ports.apiserver}`;
}

export function openbaoUrl(state: DevEnvState): string {
  return `http://${LOOPBACK}:${state.ports.openbao}`;
}

async function ok(url: string, ca?: string): Promise<boolean> {
  try {
    const res = await httpCall(url, { ca, timeoutMs: 3_000 });
    return res.status === 200;
  } catch {
    return false;
  }
}

const etcd: ComponentSpec = {
  name: 'etcd',
  bin: (c) => join(c.state.kubeBinDir, 'etcd'),
  port: (c) => c.state.ports.etcd,
  args: (c) => {
    const client = `http://${LOOPBACK}:${c.state.ports.etcd}`;
    const peer = `http://${LOOPBACK}:${c.state.ports.etcdPeer}`;
    return [
      '--name=hush-dev',
      `--data-dir=${c.layout.etcdDataDir}`,
      `--listen-client-urls=${client}`,
      `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=hush-dev=${peer}`,
      // A throwaway dev cluster: losing the last writes on a power cut is fine,
      // and fsync on every write makes the API server much slower here.
      '--unsafe-no-fsync=true',
      '--log-level=warn',
    ];
  },
  healthy: (c) => ok(`http://${LOOPBACK}:${c.state.ports.etcd}/health`),
  startTimeoutMs: 30_000,
};

const apiserver: ComponentSpec = {
  name: 'kube-apiserver',
  bin: (c) => join(c.state.kubeBinDir, 'kube-apiserver'),
  port: (c) => c.state.ports.apiserver,
  args: (c) => [
    `--etcd-servers=http://${LOOPBACK}:${c.state.ports.etcd}`,
    `--bind-address=${LOOPBACK}`,
    `--advertise-address=${LOOPBACK}`,
    `--secure-port=${c.state.ports.apiserver}`,
    `--tls-cert-file=${c.pki.servingCert}`,
    `--tls-private-key-file=${c.pki.servingKey}`,
    `--client-ca-file=${c.pki.caCert}`,
    '--authorization-mode=Node,RBAC',
    `--service-account-issuer=${apiserverUrl(c.state)}`,
    `--service-account-key-file=${c.pki.saPub}`,
    `--service-account-signing-key-file=${c.pki.saKey}`,
    '--service-cluster-ip-range=10.0.0.0/24',
    // The endpoints reconciler would publish 127.0.0.1 as the `kubernetes`
    // Service's endpoint, which Endpoints validation rejects.
    '--endpoint-reconciler-type=none',
    '--allow-privileged=true',
    // Compacting etcd history every 30 s (default 5 min) makes watch resumes
    // from an old resourceVersion get 410 Gone soon, as on a busy cluster.
    '--etcd-compaction-interval=30s',
    // Without it, open watches (the controller manager's, Hush's) hold a
    // SIGTERM'd API server for a minute; with it they are closed, as during a
    // rolling restart of a real control plane, and clients must re-watch.
    '--shutdown-watch-termination-grace-period=2s',
    '--profiling=false',
    // Last, so that a flag given here overrides the one above.
    ...(c.state.apiserverArgs ?? []),
  ],
  healthy: (c) => ok(`${apiserverUrl(c.state)}/readyz`, readFileSync(c.pki.caCert, 'utf8')),
  startTimeoutMs: 90_000,
};

const controllerManager: ComponentSpec = {
  name: 'kube-controller-manager',
  bin: (c) => join(c.state.kubeBinDir, 'kube-controller-manager'),
  port: (c) => c.state.ports.controllerManager,
  args: (c) => [
    `--kubeconfig=${c.layout.controllerManagerKubeconfig}`,
    // As kubeadm does: each controller acts as its own service account in
    // kube-system with the bootstrap RBAC roles, so RBAC is exercised for real.
    '--use-service-account-credentials=true',
    '--leader-elect=false',
    `--bind-address=${LOOPBACK}`,
    `--secure-port=${c.state.ports.controllerManager}`,
    `--tls-cert-file=${c.pki.servingCert}`,
    `--tls-private-key-file=${c.pki.servingKey}`,
    `--root-ca-file=${c.pki.caCert}`,
    `--service-account-private-key-file=${c.pki.saKey}`,
    `--controllers=${controllers.join(',')}`,
  ],
  healthy: (c) => ok(`https://${LOOPBACK}:${c.state.ports.controllerManager}/healthz`, readFileSync(c.pki.caCert, 'utf8')),
  startTimeoutMs: 60_000,
};

/**
 * The controllers a workload-facing test needs. Pods are never scheduled (no
 * scheduler, no kubelet), so node- and volume-related controllers are left out.
 */
export const controllers = [
  'garbage-collector-controller',
  'namespace-controller',
  'serviceaccount-controller',
  'serviceaccount-token-controller',
  'deployment-controller',
  'replicaset-controller',
  'statefulset-controller',
  'daemonset-controller',
  'job-controller',
  'cronjob-controller',
  'root-ca-certificate-publisher-controller',
];

const openbao: ComponentSpec = {
  name: 'openbao',
  bin: (c) => c.state.baoBin,
  port: (c) => c.state.ports.openbao,
  args: (c) => [
    'server',
    '-dev',
    `-dev-listen-address=${LOOPBACK}:${c.state.ports.openbao}`,
    // Do not write the root token into ~/.bao-token of whoever runs this.
    '-dev-no-store-token',
    // Its audit devices (openbao-config.ts): OpenBao 2.x takes them only from a config file.
    `-config=${c.layout.openbaoConfig}`,
  ],
  env: (c) => {
    // `bao` reads its settings from the environment; a developer's BAO_ADDR or
    // VAULT_TOKEN must not leak into the server.
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('BAO_') || k.startsWith('VAULT_')) delete env[k];
    // Through the environment rather than -dev-root-token-id, which `ps` shows
    // to every user. (The dev server still prints it in its own log, which
    // lives in the private state dir.)
    env.BAO_DEV_ROOT_TOKEN_ID = c.state.openbaoRootToken;
    return env;
  },
  healthy: (c) => ok(`${openbaoUrl(c.state)}/v1/sys/health`),
  startTimeoutMs: 30_000,
};

/** In start order: each depends on the ones before it. */
export const components: readonly ComponentSpec[] = [etcd, apiserver, controllerManager, openbao];

export function componentSpec(name: ComponentName): ComponentSpec {
  const spec = components.find((c) => c.name === name);
  if (!spec) throw new InvalidConfigError(`unknown component ${name}`);
  return spec;
}
