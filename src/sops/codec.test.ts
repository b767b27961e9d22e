import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateHybridIdentity, generateX25519Identity, identityToRecipient } from 'age-encryption';
import { isHushError } from '../util/errors.ts';
import { ValueCipher } from './cipher.ts';
import { decryptFile, encryptFile, openFile, resealFile, rotateFile } from './codec.ts';
import { DataKeyError, MacMismatchError } from './errors.ts';
import type { KeyContext } from './keys/index.ts';
import type { KeyGroup } from './metadata.ts';
import { parseEncrypted } from './stores/index.ts';
import { getEntry, isMap } from './tree.ts';

const idA = await generateX25519Identity();
const idB = await generateX25519Identity();
const idPQ = await generateHybridIdentity();
const recA = await identityToRecipient(idA);
const recB = await identityToRecipient(idB);
const recPQ = await identityToRecipient(idPQ);

function ctxWith(...ids: string[]): KeyContext {
  // An empty environment so the developer's own keys never take part.
  return { env: {}, home: '', ageIdentities: ids };
}
const age = (recipient: string): KeyGroup => [{ type: 'age', recipient, enc: '' }];

const secretYaml = Buffer.from(`apiVersion: v1
kind: Secret
metadata:
    name: app
stringData:
    password: canary-s3cret
    port: 5432
    ratio: 0.5
    enabled: true
    empty: ""
    gone: null
    hosts:
        - a.example
        - b.example
    note_unencrypted: readable
`);

void test('a file encrypts and decrypts back to the same YAML, nulls and empty strings left as they are', async () => {
  const enc = await encryptFile(secretYaml, 'yaml', { keyGroups: [age(recA)] }, ctxWith());
  const text = enc.toString();
  assert.doesNotMatch(text, /canary-s3cret/);
  assert.match(text, /note_unencrypted: readable/);
  assert.match(text, /empty: ""/);
  assert.match(text, /gone: null/);
  assert.match(text, /port: ENC\[AES256_GCM,data:[^,]+,iv:[^,]+,tag:[^,]+,type:int\]/);
  assert.match(text, /enabled: ENC\[.*type:bool\]/);
  assert.match(text, /\n {4}mac: ENC\[/, 'Flux looks for the literal "mac: ENC[" marker');
  const dec = await decryptFile(enc, 'yaml', ctxWith(idA));
  assert.equal(dec.toString(), secretYaml.toString());
});

void test('each value is bound to its key path: moving a ciphertext to another key fails to decrypt', async () => {
  const enc = (await encryptFile(Buffer.from('a: one\nb: two\n'), 'yaml', { keyGroups: [age(recA)] }, ctxWith())).toString();
  const a = /\na?a: (ENC\[[^\n]+)/.exec('\n' + enc)![1]!;
  const b = /\nb: (ENC\[[^\n]+)/.exec(enc)![1]!;
  const swapped = enc.replace(a, 'XX').replace(b, a).replace('XX', b);
  await assert.rejects(decryptFile(Buffer.from(swapped), 'yaml', ctxWith(idA)), (err: Error) => {
    assert.ok(isHushError(err));
    assert.match(err.message, /value at (a|b)/);
    return true;
  });
});

void test('list indices are not part of the additional data', async () => {
  const enc = await encryptFile(Buffer.from('a:\n    - x\n    - y: z\n'), 'yaml', { keyGroups: [age(recA)] }, ctxWith());
  const opened = await openFile(enc, 'yaml', ctxWith(idA));
  const file = parseEncrypted('yaml', enc);
  const list = getEntry(file.docs[0]!, 'a')!.value as unknown[];
  const cipher = new ValueCipher(opened.dataKey);
  assert.equal(cipher.decrypt(list[0] as string, 'a:'), 'x');
  const inner = list[1];
  assert.ok(isMap(inner as never));
  assert.equal(cipher.decrypt(getEntry(inner as never, 'y')!.value as string, 'a:y:'), 'z');
});

void test('a changed value, a reordered file or a wrong MAC is refused with a MAC mismatch', async () => {
  const enc = (await encryptFile(Buffer.from('x_unencrypted: 1\ny: 2\n'), 'yaml', { keyGroups: [age(recA)] }, ctxWith())).toString();
  const tampered = Buffer.from(enc.replace('x_unencrypted: 1', 'x_unencrypted: 9'));
  await assert.rejects(decryptFile(tampered, 'yaml', ctxWith(idA)), MacMismatchError);
  // --ignore-mac still decrypts
  const out = await decryptFile(tampered, 'yaml', ctxWith(idA), { ignoreMac: true });
  assert.match(out.toString(), /x_unencrypted: 9/);
});

void test('a file encrypted for someone else names the keys it tried, and never the data key', async () => {
  const enc = await encryptFile(secretYaml, 'yaml', { keyGroups: [age(recA)] }, ctxWith());
  await assert.rejects(decryptFile(enc, 'yaml', ctxWith(idB)), (err: Error) => {
    assert.ok(err instanceof DataKeyError);
    assert.match(err.message, new RegExp(recA));
    return true;
  });
  await assert.rejects(decryptFile(enc, 'yaml', ctxWith()), /no age identity found/);
});

void test('post-quantum hybrid age recipients work', async () => {
  const enc = await encryptFile(secretYaml, 'yaml', { keyGroups: [age(recPQ)] }, ctxWith());
  assert.equal((await decryptFile(enc, 'yaml', ctxWith(idPQ))).toString(), secretYaml.toString());
});

void test('encrypted_regex leaves other keys readable; comments follow their container', async () => {
  const src = Buffer.from('# top\napiVersion: v1\nkind: Secret\nstringData:\n    # inside\n    password: p\n');
  const enc = (await encryptFile(src, 'yaml', { keyGroups: [age(recA)], rule: { key: 'encrypted_regex', value: '^(data|stringData)$' } }, ctxWith())).toString();
  assert.match(enc, /^# top\napiVersion: v1\nkind: Secret\n/);
  assert.match(enc, /#ENC\[.*type:comment\]/);
  assert.match(enc, /encrypted_regex: \^\(data\|stringData\)\$/);
  assert.equal((await decryptFile(Buffer.from(enc), 'yaml', ctxWith(idA))).toString(), src.toString());
});

void test('encrypted_comment_regex encrypts only what a marker comment precedes; mac_only_encrypted ignores plain values', async () => {
  const src = Buffer.from('a: plain\n# sops:enc\nb: secret\n');
  const enc = (await encryptFile(src, 'yaml', { keyGroups: [age(recA)], rule: { key: 'encrypted_comment_regex', value: 'sops:enc' }, macOnlyEncrypted: true }, ctxWith())).toString();
  assert.match(enc, /a: plain\n# sops:enc\nb: ENC\[/);
  assert.match(enc, /mac_only_encrypted: true/);
  // With mac_only_encrypted, changing an unencrypted value does not break the MAC.
  const changed = Buffer.from(enc.replace('a: plain', 'a: other'));
  assert.match((await decryptFile(changed, 'yaml', ctxWith(idA))).toString(), /a: other\n# sops:enc\nb: secret/);
});

void test('Shamir key groups: any 2 of 3 groups recover the data key, 1 does not', async () => {
  const idC = await generateX25519Identity();
  const recC = await identityToRecipient(idC);
  const enc = await encryptFile(secretYaml, 'yaml', { keyGroups: [age(recA), age(recB), age(recC)], shamirThreshold: 2 }, ctxWith());
  assert.match(enc.toString(), /key_groups:/);
  assert.match(enc.toString(), /shamir_threshold: 2/);
  assert.equal((await decryptFile(enc, 'yaml', ctxWith(idA, idC))).toString(), secretYaml.toString());
  await assert.rejects(decryptFile(enc, 'yaml', ctxWith(idB)), /1 of the 2 key groups/);
});

void test('re-encrypting after a change keeps unchanged values byte-identical; rotate changes them all', async () => {
  const enc = await encryptFile(secretYaml, 'yaml', { keyGroups: [age(recA)] }, ctxWith());
  const opened = await openFile(enc, 'yaml', ctxWith(idA));
  const resealed = resealFile(opened, opened.docs, 'yaml').toString();
  const values = (s: string) => s.split('\n').filter((l) => /^ {4}(password|port): ENC/.test(l));
  assert.deepEqual(values(resealed), values(enc.toString()));
  const rotated = (await rotateFile(opened, 'yaml', ctxWith(), { add: age(recB) })).toString();
  assert.notDeepEqual(values(rotated), values(enc.toString()));
  assert.equal((await decryptFile(Buffer.from(rotated), 'yaml', ctxWith(idB))).toString(), secretYaml.toString());
});

void test('every format round-trips: JSON, dotenv, INI, binary', async () => {
  const cases: Array<[Parameters<typeof encryptFile>[1], string]> = [
    ['json', '{\n\t"a": 1,\n\t"b": [\n\t\t1.5,\n\t\ttrue,\n\t\tnull,\n\t\t"x\\u003cy"\n\t],\n\t"c": {}\n}\n'],
    ['dotenv', 'A=1\n#comment\nB=two\\nlines\n'],
    ['ini', '[db]\nhost = example\n; note\nport = 5432\n'],
    ['binary', '\u0000\u00ff raw bytes'],
  ];
  for (const [format, text] of cases) {
    const plain = format === 'binary' ? Buffer.from([0, 255, 1, 2, 0xc3]) : Buffer.from(text);
    const enc = await encryptFile(plain, format, { keyGroups: [age(recA)] }, ctxWith());
    assert.deepEqual(await decryptFile(enc, format, ctxWith(idA)), plain, format);
  }
});
