/**
 * Test support: Go's own answers for regular expressions. Builds
 * tools/goregexp-oracle once, caches the binary outside the work tree under a
 * name keyed by a hash of its sources (so an edit rebuilds it), and runs a
 * whole batch of cases through one process.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const sourceDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../../tools/goregexp-oracle');

export interface RegexpCase {
  pattern: string;
  input: string;
  /** Replacement template for ReplaceAllString (and the literal for ReplaceAllLiteralString). */
  repl?: string;
  /** Limit for FindAll and Split; -1 (all) when absent. */
  n?: number;
}

export interface GoAnswer {
  ok: boolean;
  /** Go's err.Error() when the pattern does not compile. */
  err?: string;
  names?: string[];
  match: boolean;
  /** FindAllStringSubmatchIndex, offsets in UTF-16 code units. */
  all: number[][] | null;
  replace: string;
  literal: string;
  split: string[] | null;
}

function cacheDir(): string {
  return join(process.env.HUSH_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'hush'), 'bin');
}

function sourceHash(): string {
  const h = createHash('sha256');
  for (const f of readdirSync(sourceDir).sort()) {
    if (f.endsWith('.go') || f === 'go.mod') h.update(`${f}\0`).update(readFileSync(join(sourceDir, f)));
  }
  return h.digest('hex').slice(0, 16);
}

/** The oracle binary, built if needed; a reason instead when there is no Go toolchain or the build fails. */
export function ensureRegexpOracle(): { path: string } | { reason: string } {
  const bin = join(cacheDir(), `goregexp-oracle-${sourceHash()}`);
  if (existsSync(bin)) return { path: bin };
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.status !== 0) return { reason: 'no Go toolchain: cannot build tools/goregexp-oracle' };
  mkdirSync(cacheDir(), { recursive: true });
  const tmp = `${bin}.tmp-${process.pid}`;
  const build = spawnSync('go', ['build', '-o', tmp, '.'], { cwd: sourceDir, encoding: 'utf8', env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-mod=mod' } });
  if (build.status !== 0) return { reason: `building tools/goregexp-oracle failed: ${build.stderr}` };
  renameSync(tmp, bin);
  return { path: bin };
}

/** Go's answers for every case, in order. */
export function askGo(bin: string, cases: RegexpCase[]): GoAnswer[] {
  const r = spawnSync(bin, [], { input: JSON.stringify(cases), encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`goregexp oracle failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as GoAnswer[];
}
