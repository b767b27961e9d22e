import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { EXIT, runSops } from './sops.ts';

const id = await generateX25519Identity();
const rec = await identityToRecipient(id);
const other = await generateX25519Identity();

async function run(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runSops(args, {
    stdout: (d) => (out += d.toString()),
    stderr: (d) => (err += d),
    readStdin: () => Promise.resolve(Buffer.alloc(0)),
    cwd,
    env,
  });
  return { code, out, err };
}

const made: string[] = [];
process.on('exit', () => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

function setup(): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = mkdtempSync(join(tmpdir(), 'hush-sops-cli-'));
  made.push(dir);
  writeFileSync(join(dir, '.sops.yaml'), `creation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    age: ${rec}\n    encrypted_regex: ^(data|stringData)$\n`);
  writeFileSync(join(dir, 'plain.yaml'), 'kind: Secret\nstringData:\n    password: canary-s3cret\n');
  return { dir, env: { HOME: dir, SOPS_AGE_KEY: id } };
}

void test('encrypt follows the first matching creation rule; a file no rule matches is refused (exit 5) and untouched', async () => {
  const { dir, env } = setup();
  const miss = await run(['encrypt', '-i', 'plain.yaml'], dir, env);
  assert.equal(miss.code, EXIT.configError);
  assert.match(miss.err, /no creation rule matches plain\.yaml/);
  assert.equal(readFileSync(join(dir, 'plain.yaml'), 'utf8'), 'kind: Secret\nstringData:\n    password: canary-s3cret\n');
  const ok = await run(['encrypt', '--filename-override', 'secrets/x.yaml', 'plain.yaml'], dir, env);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /^kind: Secret\nstringData:\n {4}password: ENC\[/);
  writeFileSync(join(dir, 'enc.yaml'), ok.out);
  const again = await run(['encrypt', '--age', rec, 'enc.yaml'], dir, env);
  assert.equal(again.code, EXIT.alreadyEncrypted);
  const st = await run(['filestatus', 'enc.yaml'], dir, env);
  assert.equal(st.out, '{"encrypted":true}\n');
  assert.equal((await run(['filestatus', 'plain.yaml'], dir, env)).out, '{"encrypted":false}\n');
});

void test('bad input gives a clear error naming the file, a sops exit code, no plaintext, and leaves the file alone', async () => {
  const { dir, env } = setup();
  const enc = (await run(['encrypt', '--age', rec, '--encrypted-regex', '^stringData$', 'plain.yaml'], dir, env)).out;
  writeFileSync(join(dir, 'e.yaml'), enc);
  // wrong key
  const wrong = await run(['decrypt', 'e.yaml'], dir, { HOME: dir, SOPS_AGE_KEY: other });
  assert.equal(wrong.code, EXIT.couldNotRetrieveKey);
  assert.match(wrong.err, /e\.yaml: cannot get the data key/);
  // tampered value: the path inside the file is named
  const ct = /password: (ENC\[[^\]]+\])/.exec(enc)![1]!;
  writeFileSync(join(dir, 't.yaml'), enc.replace(ct, ct.replace(/data:(.)/, (_m, c: string) => `data:${c === 'A' ? 'B' : 'A'}`)));
  const tampered = await run(['decrypt', 't.yaml'], dir, env);
  assert.equal(tampered.code, EXIT.decryptingTree);
  assert.match(tampered.err, /t\.yaml: cannot decrypt the value at stringData\.password: authentication failed/);
  // tampered MAC
  writeFileSync(join(dir, 'm.yaml'), enc.replace('kind: Secret', 'kind: Secret2'));
  const mac = await run(['decrypt', 'm.yaml'], dir, env);
  assert.equal(mac.code, EXIT.macMismatch);
  // truncated file
  writeFileSync(join(dir, 'x.yaml'), enc.slice(0, enc.length / 2));
  const trunc = await run(['decrypt', 'x.yaml'], dir, env);
  assert.notEqual(trunc.code, 0);
  assert.match(trunc.err, /x\.yaml: /);
  // a failed in-place change leaves the file byte-identical
  const before = readFileSync(join(dir, 'm.yaml'));
  const set = await run(['set', 'm.yaml', '["stringData"]["password"]', '"new"'], dir, env);
  assert.equal(set.code, EXIT.macMismatch);
  assert.deepEqual(readFileSync(join(dir, 'm.yaml')), before);
  for (const r of [wrong, tampered, mac, trunc, set]) assert.doesNotMatch(r.err + r.out, /canary-s3cret/);
  assert.equal(readdirSync(dir).filter((f) => f.includes('.hush-')).length, 0, 'no temporary files left');
});

void test('decrypt --extract prints one value; set and unset change the file in place', async () => {
  const { dir, env } = setup();
  writeFileSync(join(dir, 'e.yaml'), (await run(['encrypt', '--age', rec, 'plain.yaml'], dir, env)).out);
  assert.equal((await run(['decrypt', '--extract', '["stringData"]["password"]', 'e.yaml'], dir, env)).out, 'canary-s3cret');
  assert.equal((await run(['decrypt', '--extract', '["nope"]', 'e.yaml'], dir, env)).code, EXIT.generic);
  assert.equal((await run(['set', 'e.yaml', 'stringData.password', '"x"'], dir, env)).code, EXIT.invalidTreePath);
  assert.equal((await run(['set', 'e.yaml', '["stringData"]["user"]', 'not json'], dir, env)).code, EXIT.invalidSetFormat);
  assert.equal((await run(['set', 'e.yaml', '["stringData"]["user"]', '{"a": [1, "b"]}'], dir, env)).code, 0);
  assert.equal((await run(['unset', 'e.yaml', '["stringData"]["password"]'], dir, env)).code, 0);
  assert.equal((await run(['decrypt', 'e.yaml'], dir, env)).out, 'kind: Secret\nstringData:\n    user:\n        a:\n            - 1\n            - b\n');
  assert.equal((await run(['decrypt', '--output-type', 'json', 'e.yaml'], dir, env)).out, '{\n\t"kind": "Secret",\n\t"stringData": {\n\t\t"user": {\n\t\t\t"a": [\n\t\t\t\t1,\n\t\t\t\t"b"\n\t\t\t]\n\t\t}\n\t}\n}\n');
});

void test('edit keeps unchanged ciphertext, exits 200 when nothing changed, and removes its plaintext copy', async () => {
  const { dir, env } = setup();
  writeFileSync(join(dir, 'e.yaml'), (await run(['encrypt', '--age', rec, 'plain.yaml'], dir, env)).out);
  const noop = join(dir, 'noop.sh');
  writeFileSync(noop, `#!/bin/sh\necho "$1" > ${join(dir, 'seen')}\n`);
  chmodSync(noop, 0o755);
  const unchanged = await run(['edit', 'e.yaml'], dir, { ...env, EDITOR: noop });
  assert.equal(unchanged.code, EXIT.fileNotModified);
  const seen = readFileSync(join(dir, 'seen'), 'utf8').trim();
  assert.throws(() => readFileSync(seen), /ENOENT/, 'the plaintext file is gone');
  const add = join(dir, 'add.sh');
  writeFileSync(add, '#!/bin/sh\nprintf "    user: admin\\n" >> "$1"\n');
  chmodSync(add, 0o755);
  const before = readFileSync(join(dir, 'e.yaml'), 'utf8');
  assert.equal((await run(['edit', 'e.yaml'], dir, { ...env, EDITOR: add })).code, 0);
  const after = readFileSync(join(dir, 'e.yaml'), 'utf8');
  const pw = (s: string) => s.split('\n').find((l) => l.includes('password:'));
  assert.equal(pw(after), pw(before));
  assert.match((await run(['decrypt', 'e.yaml'], dir, env)).out, /user: admin/);
  assert.equal((await run(['edit', 'e.yaml'], dir, { HOME: dir, SOPS_AGE_KEY: id })).code, EXIT.noEditor);
});
