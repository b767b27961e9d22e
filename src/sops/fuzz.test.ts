/**
 * A bounded fuzzer: corrupted and truncated encrypted files, in every format,
 * fed to the decoder for a fixed time. Each input must either decrypt to the
 * original plaintext (a harmless change, e.g. whitespace) or fail with a
 * HushError whose message does not contain the plaintext; never crash with
 * another error, never hang, never return altered data.
 * Deterministic: a seeded generator picks the mutations. Comments are not
 * covered by the MAC (in sops either), so they are left out of the comparison.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { isHushError } from '../util/errors.ts';
import { encryptFile, openWithKey, recoverDataKey } from './codec.ts';
import type { Format } from './stores/index.ts';
import { parseEncrypted, stringifyPlain } from './stores/index.ts';

const FUZZ_MS = Number(process.env.HUSH_SOPS_FUZZ_MS ?? 3000);

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

void test(`the decoder survives corrupted and truncated files (${FUZZ_MS} ms)`, async (t) => {
  const id = await generateX25519Identity();
  const ctx = { env: {}, home: '', ageIdentities: [id] };
  const plains: Array<[Format, Buffer]> = [
    ['yaml', Buffer.from('# c\na: canary-s3cret\nb:\n    - 1\n    - {c: true}\nd: 1.5\n---\ne: f\n')],
    ['json', Buffer.from('{"a": "canary-s3cret", "b": [1, {"c": true}], "d": 1.5}')],
    ['dotenv', Buffer.from('A=canary-s3cret\n#c\nB=2\n')],
    ['ini', Buffer.from('[s]\na = canary-s3cret\nb = 2\n')],
    ['binary', Buffer.from('canary-s3cret binary')],
  ];
  const files: Array<{ format: Format; enc: Buffer; expected: Buffer; dataKey: Buffer }> = [];
  for (const [format, plain] of plains) {
    const enc = await encryptFile(plain, format, { keyGroups: [[{ type: 'age', recipient: await identityToRecipient(id), enc: '' }]] }, ctx);
    const opened = openWithKey(parseEncrypted(format, enc), await recoverDataKey(parseEncrypted(format, enc).metadata, ctx));
    files.push({ format, enc, expected: stringifyPlain(format, opened.docs), dataKey: opened.dataKey });
  }
  const rand = rng(42);
  const pick = (n: number) => Math.floor(rand() * n);
  const end = Date.now() + FUZZ_MS;
  let runs = 0;
  let rejected = 0;
  while (Date.now() < end) {
    const f = files[pick(files.length)]!;
    const b = Buffer.from(f.enc);
    let input: Buffer;
    switch (pick(4)) {
      case 0:
        input = b.subarray(0, pick(b.length));
        break;
      case 1:
        for (let i = 0, n = 1 + pick(4); i < n; i++) b[pick(b.length)] = pick(256);
        input = b;
        break;
      case 2: {
        const at = pick(b.length);
        input = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + pick(20))]);
        break;
      }
      default: {
        const chars = ':[]{}"\'\n -#=,ENC\\';
        const at = pick(b.length);
        input = Buffer.concat([b.subarray(0, at), Buffer.from(chars[pick(chars.length)]!), b.subarray(at)]);
      }
    }
    runs++;
    try {
      // The data key is recovered once; age itself is fuzzed by its own project.
      const out = stringifyPlain(f.format, openWithKey(parseEncrypted(f.format, input), f.dataKey).docs);
      // Comments are outside the MAC (as in sops): a damaged one is kept as
      // it is, so compare the data only.
      assert.equal(withoutComments(out), withoutComments(f.expected), `a corrupted ${f.format} file decrypted to different data`);
    } catch (err) {
      if (err instanceof assert.AssertionError) throw err;
      assert.ok(isHushError(err), `${f.format}: non-Hush error ${String(err)}`);
      assert.doesNotMatch(err.message, /canary-s3cret/);
      rejected++;
    }
  }
  t.diagnostic(`${runs} inputs, ${rejected} rejected`);
  assert.ok(runs > 100, `only ${runs} runs`);
  assert.ok(rejected > runs / 2);
});

function withoutComments(b: Buffer): string {
  return b
    .toString('latin1')
    .split('\n')
    .filter((l) => !/^\s*[#;]/.test(l))
    .map((l) => l.replace(/ #.*$/, ''))
    .join('\n');
}
