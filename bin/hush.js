#!/usr/bin/env node
// Entry point of the `hush` command. Hush runs its TypeScript sources directly
// on Node's type stripping (Node >= 22.18), or the compiled dist/ when present.
// On an older Node (the machine's may be past end of life) it re-executes with
// the Node LTS that `npm run setup` installs into the project cache.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { homedir } from 'node:os';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [major, minor] = process.versions.node.split('.').map(Number);
const supported = major > 22 || (major === 22 && minor >= 18);

if (!supported && !process.env.HUSH_REEXEC) {
  const cache = process.env.HUSH_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'hush');
  const lib = join(root, 'scripts', 'lib.sh');
  const found = spawnSync('bash', ['-c', `source "${lib}" && hush_ensure_node`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, HUSH_CACHE_DIR: cache } });
  const nodeBin = found.stdout.trim().split('\n').pop();
  if (found.status !== 0 || !nodeBin) {
    console.error(`hush: Node ${process.versions.node} is too old (need >= 22.18) and installing the Node LTS failed`);
    process.exit(1);
  }
  const r = spawnSync(join(nodeBin, 'node'), [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, HUSH_REEXEC: '1' } });
  process.exit(r.status ?? 1);
}

// A fresh checkout (it has a lockfile but no node_modules) installs its dependencies first, so
// `npx hush dev up` works right after a clone. Output goes to stderr: stdout may be eval'd.
if (existsSync(join(root, 'package-lock.json')) && !existsSync(join(root, 'node_modules'))) {
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: ['ignore', 2, 2] });
  if (r.status !== 0) {
    console.error('hush: installing npm dependencies failed (npm ci); run `npm run setup` to see why');
    process.exit(1);
  }
}

const compiled = join(root, 'dist', 'cli', 'main.js');
const entry = existsSync(compiled) ? compiled : join(root, 'src', 'cli', 'main.ts');
const { main } = await import(pathToFileURL(entry).href);
process.exitCode = await main(process.argv.slice(2));
