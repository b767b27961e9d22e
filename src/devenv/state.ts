/**
 * The dev environment's state directory and the JSON file in it that records
 * what is running: ports (fixed for the life of the directory, so restarts
 * keep addresses, tokens and kubeconfigs valid), pids and binary paths.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { InvalidDataError } from '../util/errors.ts';
import type { StartedProcess } from './processes.ts';

export const componentNames = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'openbao'] as const;
export type ComponentName = (typeof componentNames)[number];

export interface Ports {
  etcd: number;
  etcdPeer: number;
  apiserver: number;
  controllerManager: number;
  openbao: number;
  /** Where the dev OpenBao's socket audit device connects (Hush's --vault-audit-listen-addr); absent in environments created before it. */
  openbaoAudit?: number;
}

export interface DevEnvState {
  version: 1;
  createdAt: string;
  ports: Ports;
  /** OpenBao dev root token; the same on every start so clients keep working. */
  openbaoRootToken: string;
  kubeBinDir: string;
  /** Empty while OpenBao has never been part of this environment. */
  baoBin: string;
  /** Flags added to kube-apiserver's own, fixed at creation so that a restart keeps them. */
  apiserverArgs?: string[];
  processes: Partial<Record<ComponentName, StartedProcess>>;
}

export function defaultStateDir(): string {
  const base = process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(base, 'hush', 'dev');
}

export function resolveStateDir(stateDir?: string): string {
  return resolve(stateDir ?? defaultStateDir());
}

/** Every path inside a state directory. */
export interface Layout {
  stateDir: string;
  stateFile: string;
  lockFile: string;
  pkiDir: string;
  etcdDataDir: string;
  logsDir: string;
  kubeconfig: string;
  controllerManagerKubeconfig: string;
  /** The dev OpenBao's -config file (its audit devices). */
  openbaoConfig: string;
}

export function layout(stateDir: string): Layout {
  return {
    stateDir,
    stateFile: join(stateDir, 'state.json'),
    lockFile: join(stateDir, 'lock'),
    pkiDir: join(stateDir, 'pki'),
    etcdDataDir: join(stateDir, 'etcd'),
    logsDir: join(stateDir, 'logs'),
    kubeconfig: join(stateDir, 'kubeconfig'),
    controllerManagerKubeconfig: join(stateDir, 'controller-manager.kubeconfig'),
    openbaoConfig: join(stateDir, 'openbao.hcl'),
  };
}

export function logFile(l: Layout, component: ComponentName): string {
  return join(l.logsDir, `${component}.log`);
}

export async function readState(l: Layout): Promise<DevEnvState | undefined> {
  if (!existsSync(l.stateFile)) return undefined;
  const parsed = JSON.parse(await readFile(l.stateFile, 'utf8')) as DevEnvState;
  if (parsed.version !== 1) throw new InvalidDataError(`unsupported dev env state version in ${l.stateFile}`);
  return parsed;
}

export async function writeState(l: Layout, state: DevEnvState): Promise<void> {
  await mkdir(l.stateDir, { recursive: true, mode: 0o700 });
  // Write-then-rename so a reader never sees half a file.
  const tmp = `${l.stateFile}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  await rename(tmp, l.stateFile);
}
