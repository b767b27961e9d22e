import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileGoRegexp, goReplaceAll } from './goregexp.ts';

test('rewrite.regexp expands Go replacement templates', () => {
  const re = compileGoRegexp('^db-(.*)$', 'f');
  assert.equal(goReplaceAll('db-password', re, 'DB_$1'), 'DB_password');
  assert.equal(goReplaceAll('db-password', re, '${1}_x'), 'password_x');
  // Go reads `$1_x` as the group named "1_x", which does not exist → empty.
  assert.equal(goReplaceAll('db-password', re, '$1_x'), '');
  assert.equal(goReplaceAll('a-b-c', compileGoRegexp('-', 'f'), '_'), 'a_b_c');
  assert.equal(goReplaceAll('cost', compileGoRegexp('cost', 'f'), '$$5'), '$5');
});

test('named groups use RE2 spelling', () => {
  const re = compileGoRegexp('^(?P<env>[a-z]+)/(?P<key>.+)$', 'f');
  assert.equal(goReplaceAll('prod/api', re, '${key}-${env}'), 'api-prod');
});

test('inline flags and invalid patterns', () => {
  assert.ok(compileGoRegexp('(?i)^abc$', 'f').test('ABC'));
  assert.throws(() => compileGoRegexp('(', 'spec.dataFrom[0].rewrite[0].regexp.source'), /spec\.dataFrom\[0\]\.rewrite\[0\]\.regexp\.source: invalid regular expression "\("/);
});
