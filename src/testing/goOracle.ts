/**
 * Builds a test-only Go program under tools/<name> once and caches the binary
 * outside the work tree, keyed by a hash of its sources, so a changed oracle
 * is rebuilt and an unchanged one costs nothing. Go is a required tool under
 * CI=true (see tools.ts).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MissingToolError, inCi, onPath } from './tools.ts';

const toolsDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../tools');

export class OracleBuildError extends Error {
  readonly code = 'HUSH_TEST_ORACLE_BUILD';
  constructor(name: string, stderr: string) {
    super(`building tools/${name} failed: ${stderr.trim()}`);
    this.name = 'OracleBuildError';
  }
}

export class OracleRunError extends Error {
  readonly code = 'HUSH_TEST_ORACLE_RUN';
  constructor(name: string, status: number | null, stderr: string, cause?: unknown) {
    super(`tools/${name} exited with ${status}: ${stderr.trim()}`, { cause });
    this.name = 'OracleRunError';
  }
}

function cacheDir(): string {
  return join(process.env.HUSH_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'hush'), 'bin');
}

function sourceHash(dir: string): string {
  const h = createHash('sha256');
  for (const f of readdirSync(dir).sort()) {
    if (f.endsWith('.go') || f === 'go.mod' || f === 'go.sum') {
      h.update(f + '\0');
      h.update(readFileSync(join(dir, f)));
    }
  }
  return h.digest('hex').slice(0, 16);
}

export type OracleBinary = { path: string; skip: false } | { path?: undefined; skip: string };

/**
 * The binary of tools/<name>, built if needed. Without Go it returns a skip
 * reason, or throws under CI=true; a failed build always throws.
 */
export function goOracle(name: string): OracleBinary {
  const dir = join(toolsDir, name);
  const bin = join(cacheDir(), `${name}-${sourceHash(dir)}`);
  if (existsSync(bin)) return { path: bin, skip: false };
  if (!onPath('go', ['version'])) {
    const hint = 'Go >= 1.26 on PATH, which scripts/setup.sh checks for';
    if (inCi()) throw new MissingToolError('go', hint);
    return { skip: `go not found: tools/${name} cannot be built; install ${hint}` };
  }
  mkdirSync(cacheDir(), { recursive: true });
  const tmp = `${bin}.tmp-${process.pid}`;
  const build = spawnSync('go', ['build', '-o', tmp, '.'], { cwd: dir, encoding: 'utf8', env: { ...process.env, CGO_ENABLED: '0' } });
  if (build.status !== 0) throw new OracleBuildError(name, build.stderr || String(build.error));
  renameSync(tmp, bin);
  return { path: bin, skip: false };
}

/** Runs an oracle binary with JSON on stdin and parses its JSON stdout. */
export function runJson<T>(name: string, bin: string, input: unknown): T {
  const r = spawnSync(bin, [], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new OracleRunError(name, r.status, r.stderr ?? '', r.error);
  return JSON.parse(r.stdout) as T;
}

/** runJson without blocking the event loop, for callers inside async tests. */
export function runJsonAsync<T>(name: string, bin: string, input: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => reject(new OracleRunError(name, null, '', e)));
    child.on('close', (status) => {
      if (status !== 0) return reject(new OracleRunError(name, status, Buffer.concat(err).toString('utf8')));
      try {
        resolve(JSON.parse(Buffer.concat(out).toString('utf8')) as T);
      } catch (e) {
        reject(new OracleRunError(name, status, 'stdout is not JSON', e));
      }
    });
    child.stdin.end(JSON.stringify(input));
  });
}
