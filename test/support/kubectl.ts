/**
 * The real kubectl (built with the cluster, same version) against the test
 * environment: the shortest way for a test to apply YAML as a user would.
 */
import { execFile } from 'node:child_process';
import type { DevEnv } from '../../src/devenv/index.ts';

export interface KubectlOptions {
  /** Written to kubectl's stdin (for `apply -f -`). */
  input?: string;
  timeoutMs?: number;
}

export class KubectlError extends Error {
  readonly exitCode: number | null;
  readonly stderr: string;
  constructor(args: string[], exitCode: number | null, stderr: string) {
    super(`kubectl ${args.join(' ')} failed (exit ${exitCode}): ${stderr.trim()}`);
    this.name = 'KubectlError';
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

/** Runs kubectl and returns its stdout; throws KubectlError on a non-zero exit. */
export function kubectl(env: DevEnv, args: string[], options: KubectlOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      env.kubectl,
      args,
      {
        env: { ...process.env, KUBECONFIG: env.kubeconfig },
        timeout: options.timeoutMs ?? 30_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        if (err) {
          const code = typeof err.code === 'number' ? err.code : null;
          reject(new KubectlError(args, code, stderr || err.message));
        } else {
          resolve(stdout);
        }
      },
    );
    child.stdin?.end(options.input ?? '');
  });
}

/** `kubectl apply -f -` with the given YAML (one or more documents). */
export function applyYaml(env: DevEnv, yaml: string, namespace?: string): Promise<string> {
  return kubectl(env, ['apply', ...(namespace ? ['-n', namespace] : []), '-f', '-'], { input: yaml });
}

/** `kubectl get -o json`, parsed; undefined when the object does not exist. */
export async function getJson(env: DevEnv, args: string[]): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await kubectl(env, ['get', ...args, '-o', 'json'])) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof KubectlError && /NotFound|not found/.test(err.stderr)) return undefined;
    throw err;
  }
}
