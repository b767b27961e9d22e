import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convertKey, convertKeys, rewriteKeys, validateKeys } from './keys.ts';
import { decodeValue } from './decode.ts';

const b = (s: string) => new TextEncoder().encode(s);
const text = (u: Uint8Array) => new TextDecoder().decode(u);

test('key conversion turns characters a Secret key cannot hold into _ or _U<hex>_', () => {
  assert.equal(convertKey('team/db-token', 'Default'), 'team_db-token');
  assert.equal(convertKey('team/db-token', undefined), 'team_db-token');
  assert.equal(convertKey('team/db-token', 'Unicode'), 'team_U002f_db-token');
  assert.equal(convertKey('a b.c_d', 'Default'), 'a_b.c_d');
});

test('two keys that convert to one are an error, not a silent overwrite', () => {
  const m = new Map([['a/b', b('1')], ['a_b', b('2')]]);
  assert.throws(() => convertKeys(m, 'Default', 'spec.dataFrom[0].find'), /keys "a\/b" and "a_b" both convert to "a_b"/);
});

test('rewrite regexp renames keys in order', async () => {
  const m = new Map([['db/user', b('u')], ['db/pass', b('p')]]);
  const out = await rewriteKeys(m, [{ regexp: { source: '^db/', target: '' } }, { regexp: { source: '^(.*)$', target: 'DB_$1' } }], 'spec.dataFrom[0]');
  assert.deepEqual([...out.keys()], ['DB_user', 'DB_pass']);
});

test('validation drops empty keys and rejects invalid ones with the field', () => {
  const out = validateKeys(new Map([['', b('x')], ['ok', b('y')]]), 'f');
  assert.deepEqual([...out.keys()], ['ok']);
  assert.throws(() => validateKeys(new Map([['a/b', b('x')]]), 'spec.dataFrom[1].extract'), /spec\.dataFrom\[1\]\.extract: key "a\/b" has the character "\/"/);
});

test('decoding strategies', () => {
  assert.equal(text(decodeValue(b('aGVsbG8='), 'Base64', 'k')), 'hello');
  assert.equal(text(decodeValue(b('aGVs\nbG8='), 'Base64', 'k')), 'hello');
  assert.throws(() => decodeValue(b('not base64!'), 'Base64', 'spec.data[0] (key: k)'), /spec\.data\[0\] \(key: k\): value is not valid base64/);
  assert.equal(text(decodeValue(b('Pz8-'), 'Base64URL', 'k')), '??>');
  assert.equal(text(decodeValue(b('hello world'), 'Auto', 'k')), 'hello world');
  assert.equal(text(decodeValue(b('aGVsbG8='), 'Auto', 'k')), 'hello');
  assert.equal(text(decodeValue(b('aGVsbG8='), 'None', 'k')), 'aGVsbG8=');
});
