import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SopsSecretError } from './errors.ts';
import { describeOffered, keyContext, keysFromSecretData } from './keys.ts';
import { ageKeyPair } from './testing/age.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

test('entries ending in .agekey give age identities (age-keygen output with comments), sops.vault-token a token; other entries are ignored', async () => {
  const a = await ageKeyPair();
  const b = await ageKeyPair();
  const keys = keysFromSecretData('Secret "ns/keys"', {
    'age.agekey': b64(`# created: 2024-01-01T00:00:00Z\n# public key: ${a.recipient}\n${a.identity}\n`),
    'other.agekey': b64(`${b.identity}\n`),
    'sops.vault-token': b64('hvs.token\n'),
    'README': b64(`${b.identity}\n`),
  });
  assert.deepEqual(keys.ageIdentities, [a.identity, b.identity]);
  assert.equal(keys.vaultToken, 'hvs.token');
  const offered = describeOffered(keys, '/etc/hush/age.txt');
  assert.match(offered, /1 age identity from Secret "ns\/keys" entry "age\.agekey", 1 age identity from .* "other\.agekey", a Vault token from .* "sops\.vault-token", the controller's age key file/);
  assert.ok(!offered.includes('AGE-SECRET-KEY') && !offered.includes('hvs.token'));
});

test('the key context holds only what was given: no controller environment, no home directory', () => {
  const ctx = keyContext({ ageIdentities: ['AGE-SECRET-KEY-1X'], vaultToken: 't', offered: [] }, '/keys.txt');
  assert.deepEqual(ctx.env, { SOPS_AGE_KEY_FILE: '/keys.txt' });
  assert.equal(ctx.home, '');
  assert.equal(ctx.vaultToken, 't');
  assert.deepEqual(keyContext(undefined, undefined).env, {});
});

test('a malformed .agekey entry is a retryable failure naming the entry, not the key', () => {
  assert.throws(() => keysFromSecretData('Secret "ns/keys"', { 'age.agekey': b64('AGE-SECRET-KEY-1-not-really\n') }), (err: unknown) => {
    assert.ok(err instanceof SopsSecretError);
    assert.equal(err.reason, 'DecryptionFailed');
    assert.equal(err.retryable, true);
    assert.match(err.message, /Secret "ns\/keys" entry "age\.agekey": an age identity is malformed/);
    assert.ok(!err.message.includes('not-really'));
    return true;
  });
});
