import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referencedKeys } from './templates.ts';

test('referenced keys: .name.key, index .name "key" and index .name `key`, not .other.name.key', () => {
  const keys = referencedKeys(
    ['{{ .creds.token }} x.creds.no {{.creds.user}}-{{ index .creds "a\\"b" }} {{ index  .creds `raw key` }} {{ .x.creds.nested }}', '.creds.first\n.cre.ds'],
    ['creds', 'cre.ds'],
  );
  assert.deepEqual([...keys.get('creds')!].sort(), ['a"b', 'first', 'raw key', 'token', 'user']);
  assert.deepEqual([...keys.get('cre.ds')!], [], 'a dot in a name is a literal dot');
});
