/**
 * Every site where a tenant's regular expression runs finishes promptly on
 * a catastrophic pattern over tens of thousands of characters (issue 9).
 * With a backtracking engine each of these would not finish in any time
 * anyone would wait, so the worker deadline turns that into a red test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LONG, runSite } from './testing/regexp-sites.ts';

const deadline = 15_000;
const opts = { timeout: 20_000 };

test('GoRegexp methods on ^(a+)+$, (a|a)*b and (x+x+)+y', opts, async () => {
  assert.deepEqual(await runSite('goregexp', deadline), {
    match: [false, false, false],
    find: [true, true, true],
    all: 0,
    replace: LONG + 1,
    split: 1,
  });
});

test('rewrite[].regexp renames only the keys that match', opts, async () => {
  assert.deepEqual(await runSite('rewrite', deadline), [`long:${LONG + 1}`, 'renamed']);
});

test('find.name.regexp (fake provider) finds only the keys that match', opts, async () => {
  assert.deepEqual(await runSite('findByName', deadline), ['aaaa']);
});

test('find.name.regexp (gcpsm over gRPC on loopback) finds only the keys that match', opts, async () => {
  assert.deepEqual(await runSite('findByNameGcpsm', deadline), ['aaaa']);
});

test('ClusterSecretStore namespaceRegexes deny a namespace that matches none', opts, async () => {
  assert.equal(await runSite('namespaceRegexes', deadline), 'AccessDenied');
});

test('sprig regexMatch, regexFindAll, regexReplaceAll, regexSplit, regexFind', opts, async () => {
  assert.equal(await runSite('sprig', deadline), `false 0 ${LONG} 1 0`);
});

test('sprig semverCompare on a constraint with a long run of spaces', opts, async () => {
  assert.equal(await runSite('semver', deadline), 'improper constraint');
});

test('webhook jsonPath =~ filter', opts, async () => {
  assert.deepEqual(await runSite('jsonPath', deadline), ['aaa']);
});

test('gjson wildcard keys', opts, async () => {
  assert.equal(await runSite('gjson', deadline), '"short"');
});

test('sops encrypted_regex, encrypted_comment_regex and creation_rules path_regex', opts, async () => {
  assert.deepEqual(await runSite('sops', deadline), { encrypted: false, comment: false, rule: 'second' });
});
