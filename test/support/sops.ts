/**
 * Shared set-up for the SOPS interop tests: the real `sops`/`age` binaries
 * (installed by scripts/install-sops-tools.sh), a CLI runner that captures
 * output, and throwaway servers (OpenBao, moto) on free loopback ports.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runSops } from '../../src/cli/sops.ts';
import { missingTool, requireTool } from '../../src/testing/tools.ts';

const root = resolve(import.meta.dirname, '../..');
const cache = process.env.HUSH_CACHE_DIR ?? join(homedir(), '.cache', 'hush');

/** The go-tools bin dir, or a reason why the tools are missing. */
export function sopsTools(): { bin: string } | { skip: string } {
  const r = spawnSync('bash', [join(root, 'scripts/install-sops-tools.sh')], { encoding: 'utf8', timeout: 900_000 });
  if (r.status !== 0) return { skip: missingTool('sops and age', `scripts/install-sops-tools.sh (it failed: ${(r.stderr || '').trim().split('\n').pop() ?? ''})`) };
  return { bin: r.stdout.trim() };
}

export function motoServer(): string | undefined {
  const p = join(cache, 'venv', 'moto-5.2.5', 'bin', 'moto_server');
  return existsSync(p) ? p : undefined;
}

/** `false`, or why the OpenBao suites skip (a failure under CI=true). */
export function baoSkip(): string | false {
  return requireTool('bao (OpenBao)', 'scripts/setup.sh', baoBinary() !== undefined);
}

/** `false`, or why the moto suites skip (a failure under CI=true). */
export function motoSkip(): string | false {
  return requireTool('moto_server', 'scripts/install-sops-tools.sh --moto', motoServer() !== undefined);
}

export function baoBinary(): string | undefined {
  const p = join(cache, 'venv', 'openbao-2.7.2', 'bin', 'bao');
  return existsSync(p) ? p : undefined;
}

const made: string[] = [];
process.on('exit', () => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** A temporary directory removed when the test process exits. */
export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'hush-sops-interop-'));
  made.push(d);
  return d;
}

export interface RunResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** Runs `hush sops ...` in-process with its own cwd and environment. */
export async function hush(args: string[], cwd: string, env: NodeJS.ProcessEnv, stdin: Buffer = Buffer.alloc(0)): Promise<RunResult> {
  const out: Buffer[] = [];
  let err = '';
  const code = await runSops(args, {
    stdout: (d) => out.push(Buffer.from(d)),
    stderr: (d) => (err += d),
    readStdin: () => Promise.resolve(stdin),
    cwd,
    env,
  });
  return { code, stdout: Buffer.concat(out), stderr: err };
}

/** Runs the real sops; throws with its stderr on failure. */
export function sops(bin: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Buffer {
  return execFileSync(join(bin, 'sops'), args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
}

export function ageKeygen(bin: string, pq = false): { identity: string; recipient: string } {
  const text = execFileSync(join(bin, 'age-keygen'), pq ? ['-pq'] : [], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const identity = text.split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-'))!;
  const recipient = execFileSync(join(bin, 'age-keygen'), ['-y'], { input: identity + '\n', encoding: 'utf8' }).trim();
  return { identity, recipient };
}

export { freePort } from '../../src/devenv/ports.ts';

export async function waitFor(url: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await r.arrayBuffer();
      return;
    } catch {
      if (Date.now() > end) throw new Error(`${url} did not come up`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export function stop(child: ChildProcess): Promise<void> {
  return new Promise((res) => {
    if (child.exitCode !== null || child.signalCode !== null) return res();
    child.once('exit', () => res());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 3000).unref();
  });
}

export function startProcess(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  return spawn(cmd, args, { stdio: 'ignore', env });
}

export function read(path: string): Buffer {
  return readFileSync(path);
}
