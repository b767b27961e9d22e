import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runController, sandboxOptions } from './controller.ts';

test('sandbox flags: defaults, Go durations, and a clear error for each bad value', () => {
  assert.deepEqual(sandboxOptions(undefined, '2s', '64'), { timeoutMs: 2000, maxOldGenerationSizeMb: 64 });
  assert.deepEqual(sandboxOptions('3', '1500ms', '96'), { workers: 3, timeoutMs: 1500, maxOldGenerationSizeMb: 96 });
  assert.equal(sandboxOptions('0', '2s', '64'), '--sandbox-workers must be a positive integer, not "0"');
  assert.equal(sandboxOptions(undefined, '2', '64'), '--sandbox-timeout must be a positive duration such as 2s or 500ms, not "2"');
  assert.equal(sandboxOptions(undefined, '2s', '8'), '--sandbox-max-heap-mb must be an integer of at least 16, not "8"');
  assert.deepEqual(sandboxOptions(undefined, '2s', '64', '5000000'), { templateMaxSteps: 5_000_000, timeoutMs: 2000, maxOldGenerationSizeMb: 64 });
  assert.equal(sandboxOptions(undefined, '2s', '64', '10'), '--template-max-steps must be an integer of at least 1000, not "10"');
});

test('refresh API flags: plain HTTP off loopback, or half a TLS pair, stops the start with exit code 2', async () => {
  const stderr = process.stderr.write.bind(process.stderr);
  const said: string[] = [];
  process.stderr.write = ((chunk: string) => (said.push(String(chunk)), true));
  try {
    assert.equal(await runController(['--refresh-api-addr', ':8443']), 2);
    assert.equal(await runController(['--refresh-api-addr', ':8443', '--refresh-api-tls-cert-file', 'cert.pem']), 2);
  } finally {
    process.stderr.write = stderr;
  }
  assert.match(said[0] ?? '', /not a loopback address: give --refresh-api-tls-cert-file and --refresh-api-tls-key-file, or --refresh-api-insecure/);
  assert.match(said[1] ?? '', /go together/);
});

test('--vault-audit-listen-addr: a bad address stops the controller before it starts (exit 2); the usage names the flag', async () => {
  const { runController, controllerUsage } = await import('./controller.ts');
  const errors: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = (chunk: string | Uint8Array) => (errors.push(String(chunk)), true);
  try {
    assert.equal(await runController(['--vault-audit-listen-addr', 'localhost']), 2);
    assert.equal(await runController(['--vault-audit-listen-addr', 'unix:relative.sock']), 2);
  } finally {
    process.stderr.write = write;
  }
  assert.match(errors[0] ?? '', /--vault-audit-listen-addr: .*expected HOST:PORT/);
  assert.match(errors[1] ?? '', /absolute path/);
  assert.match(controllerUsage, /--vault-audit-listen-addr ADDR/);
});
