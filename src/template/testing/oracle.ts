/**
 * Test support: builds the Go oracle (tools/template-oracle) once, caches the
 * binary outside the work tree keyed by a hash of its sources, and runs a
 * whole batch of cases through ONE oracle process (JSON in, JSON out).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inCi, missingTool } from '../../testing/tools.ts';
import { OracleBuildError } from '../../testing/goOracle.ts';

const oracleDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../../tools/template-oracle');

export interface OracleCase {
  name?: string;
  template: string;
  /** map[string]string data; values are bytes. */
  data?: Record<string, Uint8Array | string>;
  /** Alternatively, JSON data (decoded by encoding/json into interface{}). */
  json?: string;
  left?: string;
  right?: string;
  /** Fixed value for `now` (RFC 3339). */
  now?: string;
}

export interface OracleResult {
  ok: boolean;
  out?: Buffer;
  err?: string;
}

export type OracleCheck =
  | { kind: 'bcrypt'; hash: string; password: string }
  | { kind: 'privkey'; pem: string }
  | { kind: 'cert'; pem: string; ca?: string }
  | { kind: 'pkcs12'; b64: string; password: string }
  /** Go makes a keystore (key set) or trust store (no key) from PEM with a go-pkcs12 encoder. */
  | { kind: 'p12encode'; pem: string; key?: string; password: string; encoder: 'modern' | 'modern2026' | 'legacyRC2' | 'legacyDES' | 'passwordless' };

function cacheDir(): string {
  return join(process.env.HUSH_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'hush'), 'bin');
}

function sourceHash(): string {
  const h = createHash('sha256');
  for (const f of readdirSync(oracleDir).sort()) {
    if (f.endsWith('.go') || f === 'go.mod' || f === 'go.sum') {
      h.update(f + '\0');
      h.update(readFileSync(join(oracleDir, f)));
    }
  }
  return h.digest('hex').slice(0, 16);
}

/** Path of the oracle binary, building it if needed; undefined (with a reason) if Go is missing. */
export function ensureOracle(): { path?: string; reason?: string } {
  const bin = join(cacheDir(), `template-oracle-${sourceHash()}`);
  if (existsSync(bin)) return { path: bin };
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.status !== 0) return { reason: missingTool('go', 'Go >= 1.26 on PATH, which scripts/setup.sh checks for') };
  mkdirSync(cacheDir(), { recursive: true });
  const tmp = `${bin}.tmp-${process.pid}`;
  const build = spawnSync('go', ['build', '-o', tmp, '.'], { cwd: oracleDir, encoding: 'utf8', env: { ...process.env, CGO_ENABLED: '0' } });
  if (build.status !== 0) {
    // Offline, a build that cannot reach the module proxy may skip; never in CI.
    if (inCi()) throw new OracleBuildError('template-oracle', build.stderr);
    return { reason: `building the template oracle failed: ${build.stderr}` };
  }
  renameSync(tmp, bin);
  return { path: bin };
}

function b64(v: Uint8Array | string): string {
  return (typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v)).toString('base64');
}

/** Runs all cases and checks in one oracle process. */
export function runOracle(bin: string, cases: OracleCase[], checks: OracleCheck[] = []): { results: OracleResult[]; checks: unknown[] } {
  const input = JSON.stringify({
    cases: cases.map((c) => ({
      name: c.name,
      template: c.template,
      data: c.json === undefined ? Object.fromEntries(Object.entries(c.data ?? {}).map(([k, v]) => [k, b64(v)])) : undefined,
      json: c.json,
      left: c.left ?? '',
      right: c.right ?? '',
      now: c.now ?? '',
    })),
    checks,
  });
  // TZ=UTC: sprig formats dates in the local zone; the TS engine uses UTC.
  const r = spawnSync(bin, [], { input, encoding: 'utf8', maxBuffer: 1 << 30, env: { ...process.env, TZ: 'UTC' } });
  if (r.status !== 0) throw new Error(`template oracle failed (${r.status}): ${r.stderr}`);
  const parsed = JSON.parse(r.stdout) as { results: { ok: boolean; out?: string; err?: string }[]; checks: unknown[] };
  return {
    results: parsed.results.map((x) => ({ ok: x.ok, err: x.err, out: x.ok ? Buffer.from(x.out ?? '', 'base64') : undefined })),
    checks: parsed.checks,
  };
}
