/**
 * moto, the AWS service emulator (PyPI `moto[server]`), as a throwaway server
 * on a free loopback port: Secrets Manager, SSM Parameter Store, STS and KMS
 * on one endpoint, accepting any credentials. Installed by
 * scripts/install-moto.sh into the Hush cache.
 *
 * What moto does not do: it does not validate web-identity tokens (any JWT is
 * exchanged), check IAM policies (unless started with
 * INITIAL_NO_AUTH_ACTION_COUNT), or throttle.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, LOOPBACK } from '../../../devenv/ports.ts';
import { superviseChild } from '../../../devenv/testing/children.ts';

export const MOTO_VERSION = '5.2.5';

/** Path of moto_server: $HUSH_MOTO_SERVER, else the venv scripts/install-moto.sh makes. */
export function motoBinary(): string | undefined {
  const cache = process.env.HUSH_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'hush');
  const candidates = [process.env.HUSH_MOTO_SERVER, join(cache, 'venv', `moto-${MOTO_VERSION}`, 'bin', 'moto_server')];
  return candidates.find((c): c is string => c !== undefined && c !== '' && existsSync(c));
}

export interface Moto {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  /** Forgets every resource (POST /moto-api/reset). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export async function startMoto(opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<Moto> {
  const bin = motoBinary();
  if (!bin) throw new Error('moto_server not found: run scripts/install-moto.sh');
  const port = await freePort();
  const home = mkdtempSync(join(tmpdir(), 'hush-moto-'));
  const endpoint = `http://${LOOPBACK}:${port}`;
  // A clean environment: no AWS_* variables of the developer's leak into moto's defaults.
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: home, ...opts.env };
  const child: ChildProcess = spawn(bin, ['-H', LOOPBACK, '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'], env });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const supervised = superviseChild(child);
  const stop = async (): Promise<void> => {
    await supervised.stop();
    rmSync(home, { recursive: true, force: true });
  };

  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`moto_server exited with ${child.exitCode}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
    }
    try {
      const res = await fetch(`${endpoint}/moto-api/`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`moto_server did not answer on ${endpoint} in time: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    endpoint,
    async reset() {
      const res = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!res.ok) throw new Error(`moto reset: ${res.status}`);
    },
    stop,
  };
}
