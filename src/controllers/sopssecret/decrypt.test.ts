import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decryptManifest, detectFormat } from './decrypt.ts';
import { SopsSecretError } from './errors.ts';
import { keyContext } from './keys.ts';
import { ageKeyPair, encryptForAge } from './testing/age.ts';
import type { JobRunner } from '../../sandbox/index.ts';

const hints = { subject: 'SopsSecret "ns/db"', offered: '1 age identity from Secret "ns/keys" entry "age.agekey"', keyHome: 'Secret "ns/keys" (spec.decryption.secretRef)' };
const manifest = 'apiVersion: v1\nkind: Secret\nmetadata:\n    name: db\nstringData:\n    password: CANARY-decrypt-test\n    port: "5432"\n';

async function failure(p: Promise<unknown>): Promise<SopsSecretError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof SopsSecretError, `expected a SopsSecretError, got ${String(err)}`);
  assert.ok(!err.message.includes('CANARY'), 'plaintext in the message');
  return err;
}

test('format: declared wins, else JSON when it starts with {, else YAML', () => {
  assert.equal(detectFormat('  {"a":1}'), 'json');
  assert.equal(detectFormat('apiVersion: v1'), 'yaml');
  assert.equal(detectFormat('{"a":1}', 'yaml'), 'yaml');
});

test('a YAML and a JSON file encrypted for an age key decrypt to the manifest, MAC checked', async () => {
  const k = await ageKeyPair();
  const ctx = keyContext({ ageIdentities: [k.identity], offered: [] }, undefined);
  const yaml = await encryptForAge(manifest, k.recipient);
  assert.match(yaml, /password: ENC\[AES256_GCM/);
  assert.deepEqual(await decryptManifest(yaml, 'yaml', ctx, hints), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, stringData: { password: 'CANARY-decrypt-test', port: '5432' } });
  const json = await encryptForAge(JSON.stringify({ apiVersion: 'v1', kind: 'Secret', data: { k: 'dg==' } }), k.recipient, 'json');
  assert.deepEqual(await decryptManifest(json, detectFormat(json), ctx, hints), { apiVersion: 'v1', kind: 'Secret', data: { k: 'dg==' } });
});

test('the wrong key: retryable DecryptionFailed that says which keys were offered and where to put the right one', async () => {
  const k = await ageKeyPair();
  const other = await ageKeyPair();
  const yaml = await encryptForAge(manifest, k.recipient);
  const err = await failure(decryptManifest(yaml, 'yaml', keyContext({ ageIdentities: [other.identity], offered: [] }, undefined), hints));
  assert.equal(err.reason, 'DecryptionFailed');
  assert.equal(err.retryable, true);
  assert.match(err.message, /^SopsSecret "ns\/db": cannot decrypt spec\.encrypted \(yaml\): cannot get the data key/);
  assert.match(err.message, /Keys offered: 1 age identity from Secret "ns\/keys"/);
  assert.match(err.message, /Fix: put an age identity .* "\.agekey" of Secret "ns\/keys"/);
});

test('a tampered value or a reordered file is a terminal failure that names the path', async () => {
  const k = await ageKeyPair();
  const ctx = keyContext({ ageIdentities: [k.identity], offered: [] }, undefined);
  const yaml = await encryptForAge(manifest, k.recipient);
  // Swap two encrypted values: each decrypts only under its own path.
  const lines = yaml.split('\n');
  const pw = lines.findIndex((l) => l.includes('password: ENC['));
  const port = lines.findIndex((l) => l.includes('port: ENC['));
  const swapped = [...lines];
  swapped[pw] = `    password: ${lines[port]!.split(': ')[1]}`;
  swapped[port] = `    port: ${lines[pw]!.split(': ')[1]}`;
  const err = await failure(decryptManifest(swapped.join('\n'), 'yaml', ctx, hints));
  assert.equal(err.retryable, false);
  assert.match(err.message, /the value at stringData\.password/);
  // Changing an unencrypted value breaks the MAC.
  const edited = yaml.replace('name: db', 'name: dc');
  const mac = await failure(decryptManifest(edited, 'yaml', ctx, hints));
  assert.equal(mac.retryable, false);
  assert.match(mac.message, /MAC mismatch.*Fix: the file was changed after it was encrypted/);
});

test('a file that is not sops-encrypted, or holds two documents, is refused', async () => {
  const k = await ageKeyPair();
  const ctx = keyContext({ ageIdentities: [k.identity], offered: [] }, undefined);
  const plain = await failure(decryptManifest(manifest, 'yaml', ctx, hints));
  assert.equal(plain.reason, 'DecryptionFailed');
  assert.equal(plain.retryable, false);
  const two = await encryptForAge(`${manifest}---\napiVersion: v1\nkind: Secret\n`, k.recipient);
  const err = await failure(decryptManifest(two, 'yaml', ctx, hints));
  assert.equal(err.reason, 'InvalidManifest');
  assert.match(err.message, /holds 2 YAML documents/);
});

test('the tenant\'s file is parsed, its age keys tried and its values decrypted in the sandbox, under its limits', async () => {
  const { parse, stringify } = await import('yaml');
  const { WorkerPool } = await import('../../sandbox/index.ts');
  const k = await ageKeyPair();
  const other = await ageKeyPair();
  const ctx = keyContext({ ageIdentities: [k.identity], offered: [] }, undefined);
  const file = parse(await encryptForAge(manifest, k.recipient)) as { sops: { age: { recipient: string; enc: string }[] } };
  const foreign = (parse(await encryptForAge(manifest, other.recipient)) as typeof file).sops.age[0]!;
  // A hostile file: every foreign key costs an X25519 attempt before the right one, last, is reached.
  file.sops.age = [...Array.from({ length: 300 }, () => foreign), ...file.sops.age];
  const hostile = stringify(file);

  const pool = new WorkerPool({ workers: 1, timeoutMs: 30_000 });
  try {
    const seen: string[] = [];
    let ageTried = 0;
    const spy = {
      async run(kind: string, input: unknown): Promise<unknown> {
        seen.push(kind);
        const out = await pool.runAny(kind, input);
        if (kind === 'sops.parse') ageTried = (out as { age: unknown[][] }).age.flat().filter((o) => o !== null).length;
        return out;
      },
    } as JobRunner;
    const out = (await decryptManifest(hostile, 'yaml', ctx, hints, spy)) as { stringData: { password: string } };
    assert.equal(out.stringData.password, 'CANARY-decrypt-test');
    assert.deepEqual(seen, ['sops.parse', 'sops.open']);
    assert.equal(ageTried, 301, 'every age key was tried in the worker');
  } finally {
    await pool.close();
  }

  const strict = new WorkerPool({ workers: 1, timeoutMs: 1 });
  try {
    const err = await failure(decryptManifest(hostile, 'yaml', ctx, hints, strict));
    assert.equal(err.code, 'Timeout');
    assert.ok(err.retryable);
    assert.match(err.message, /^SopsSecret "ns\/db": cannot decrypt spec.encrypted \(yaml\): reading the SOPS file took longer than 1 ms and was stopped/);
  } finally {
    await strict.close();
  }
});
