/**
 * onShutdown() is about how a process reacts to signals, so each case runs a
 * small child process and signals it for real.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const shutdownModule = pathToFileURL(path.join(import.meta.dirname, 'shutdown.ts')).href;

interface Outcome {
  code: number | null;
  lines: string[];
  ms: number;
}

/** Runs `body` (hooks registration) in a child, signals it once it prints "ready". */
async function runChild(body: string, signals: NodeJS.Signals[]): Promise<Outcome> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hush-shutdown-'));
  const file = path.join(dir, 'child.ts');
  writeFileSync(
    file,
    `import { onShutdown } from '${shutdownModule}';\n` +
      `const say = (s: string) => process.stdout.write(s + '\\n');\n` +
      `setInterval(() => {}, 1000); // stands for the controller's work keeping the process alive\n` +
      `${body}\nsay('ready');\n`,
  );
  try {
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: string[] = [];
    let buf = '';
    let sentAt = 0;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line === 'ready') {
          sentAt = Date.now();
          for (const [i, sig] of signals.entries()) setTimeout(() => child.kill(sig), i * 100);
        } else {
          lines.push(line);
        }
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    return { code, lines, ms: Date.now() - sentAt };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void test('SIGTERM runs the hooks once, last registered first, waits for them, then exits 0', async () => {
  const out = await runChild(
    `onShutdown(async () => say('first registered'));
     onShutdown(async () => { await new Promise((r) => setTimeout(r, 150)); say('second registered (slow)'); });`,
    ['SIGTERM'],
  );
  assert.deepEqual(out.lines, ['second registered (slow)', 'first registered']);
  assert.equal(out.code, 0);
});

void test('a hook that hangs is abandoned at its timeout; the others still run; exit code 1', async () => {
  const out = await runChild(
    `onShutdown(async () => say('ran after the stuck one'));
     onShutdown(() => { say('stuck'); return new Promise(() => {}); }, { timeoutMs: 200 });`,
    ['SIGINT'],
  );
  assert.deepEqual(out.lines, ['stuck', 'ran after the stuck one']);
  assert.equal(out.code, 1);
  assert.ok(out.ms < 3000, `took ${out.ms} ms`);
});

void test('a second signal exits at once', async () => {
  const out = await runChild(`onShutdown(() => { say('stuck'); return new Promise(() => {}); }, { timeoutMs: 30_000 });`, [
    'SIGTERM',
    'SIGTERM',
  ]);
  assert.deepEqual(out.lines, ['stuck']);
  assert.equal(out.code, 1);
  assert.ok(out.ms < 3000, `took ${out.ms} ms`);
});
