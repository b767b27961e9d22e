/**
 * hash.ts against Go: every expected value comes from tools/eso-hash-oracle,
 * which makes ESO's calls (fmt %+v of ESO's own Go types, crypto/sha3). A
 * mismatch here means a cluster moving from ESO to Hush would see every
 * Secret as drifted and rewrite all of them.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createdByLabel, dataHash, fieldManagerFor, goFormatByteMap, metaHash, syncedResourceVersion } from './hash.ts';
import { esoHashOracle, esoHashes, type EsoHashCase } from './testing/esoHash.ts';

const oracle = esoHashOracle();
const enc = (s: string) => new TextEncoder().encode(s);

// Keys whose order differs between UTF-16 code units (JS's default sort) and
// bytes (Go's string order): U+FF61 is EF BD A1 in UTF-8, the emoji a
// surrogate pair D83D DE00 in UTF-16 and F0 9F 98 80 in UTF-8.
const utf16VsBytes = { '\uFF61': enc('halfwidth'), '\u{1F600}': enc('emoji'), '\u00E9': enc('e-acute') };

function manyKeys(n: number): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  // A fixed LCG so the case is the same on every run.
  let x = 12345;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const key = `${'-._Aa0'[x % 6]}${x.toString(36)}${i % 3 === 0 ? '.x' : i % 3 === 1 ? '_y' : '-z'}`;
    out[key] = new Uint8Array([x & 0xff, (x >> 8) & 0xff]);
  }
  return out;
}

const dataCases: { name: string; data: Record<string, Uint8Array> }[] = [
  { name: 'empty map', data: {} },
  { name: 'one key', data: { a: enc('hi') } },
  { name: 'empty value', data: { b: enc(''), a: enc('\x00') } },
  { name: 'case sorts bytewise (Z before a)', data: { a: enc('y'), Z: enc('x') } },
  { name: 'dots, dashes, underscores, digits', data: { 'a.b': enc('1'), 'a-b': enc('2'), a_b: enc('3'), a0: enc('4'), A: enc('5'), '_': enc('6'), '.': enc('7') } },
  { name: 'non-ASCII value', data: { v: enc('pässwörd ✓ 密码 🙂') } },
  { name: 'binary value', data: { bin: new Uint8Array([0, 1, 127, 128, 200, 254, 255]), tls: new Uint8Array(256).map((_, i) => 255 - i) } },
  { name: 'keys ordered differently by UTF-16 and by bytes', data: utf16VsBytes },
  { name: 'value looking like Go syntax', data: { 'k:v': enc('map[a:[1]] ]['), ' ': enc(' ') } },
  { name: 'many keys', data: manyKeys(300) },
];

const metaCases: { name: string; labels: Record<string, string> | undefined; annotations: Record<string, string> | undefined; generation: number }[] = [
  { name: 'no labels, no annotations', labels: undefined, annotations: undefined, generation: 1 },
  { name: 'empty maps', labels: {}, annotations: {}, generation: 2 },
  { name: 'labels only', labels: { app: 'x', 'app.kubernetes.io/name': 'web' }, annotations: undefined, generation: 7 },
  {
    name: 'annotations with spaces and colons',
    labels: { tier: 'db' },
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"a": "b c", "d": [1, 2]}', note: 'x: y z', 'e.io/t': 'a:b map[c:d]' },
    generation: 12,
  },
  { name: 'non-ASCII annotation values, UTF-16 vs bytes order', labels: undefined, annotations: { 'x.io/\uFF61': 'ü', 'x.io/\u{1F600}': '🙂', 'x.io/a': '' }, generation: 3 },
];

const names: [string, string][] = [
  ['default', 'db'],
  ['team-a', 'a-name-that-is-rather-long-for-an-externalsecret-0123456789'],
  ['ns', 'with.dots'],
];

// Around ESO's limit: the whole field owner, not the name, may be 63 bytes.
const ownerNames = ['es', 'x'.repeat(27), 'x'.repeat(28), 'x'.repeat(63), 'x'.repeat(64), 'y'.repeat(253)];

describe('ESO hashes agree with Go (tools/eso-hash-oracle)', { skip: oracle.skip }, () => {
  const bin = oracle.path!;

  test('data-hash: SHA3-224 of %+v of map[string][]byte', () => {
    const cases: EsoHashCase[] = dataCases.map((c) => ({ kind: 'data', data: c.data }));
    const got = esoHashes(bin, cases);
    for (const [i, c] of dataCases.entries()) {
      assert.equal(goFormatByteMap(c.data), got[i]!.text, `${c.name}: rendering`);
      assert.equal(dataHash(c.data), got[i]!.hash, `${c.name}: hash`);
    }
  });

  test('a nil map, a nil value and an empty map hash as ESO hashes them', () => {
    const [nilMap, emptyMap, nilValue, emptyValue] = esoHashes(bin, [
      { kind: 'data', data: null },
      { kind: 'data', data: {} },
      { kind: 'data', data: { a: null } },
      { kind: 'data', data: { a: new Uint8Array() } },
    ]);
    // Hush reads a Secret without data as {} and a key without bytes as empty.
    assert.equal(dataHash({}), nilMap!.hash);
    assert.equal(dataHash({}), emptyMap!.hash);
    assert.equal(dataHash({ a: new Uint8Array() }), nilValue!.hash);
    assert.equal(dataHash({ a: new Uint8Array() }), emptyValue!.hash);
  });

  test('meta hash and status.syncedResourceVersion: %+v of ESO\'s {annotations, labels} struct', () => {
    const got = esoHashes(bin, metaCases.map((c) => ({ kind: 'meta', generation: c.generation, labels: c.labels ?? null, annotations: c.annotations ?? null })));
    for (const [i, c] of metaCases.entries()) {
      assert.equal(metaHash(c.labels, c.annotations), got[i]!.hash, `${c.name}: hash of ${got[i]!.text}`);
      assert.equal(syncedResourceVersion(c), got[i]!.resourceVersion, `${c.name}: syncedResourceVersion`);
    }
  });

  test('created-by label: the hash of "<namespace>/<name>"', () => {
    const got = esoHashes(bin, names.map(([namespace, name]) => ({ kind: 'createdBy', namespace, name })));
    for (const [i, [ns, name]] of names.entries()) assert.equal(createdByLabel(ns, name), got[i]!.hash, `${ns}/${name}`);
  });

  test('field manager: shortened by hash once the whole owner string passes 63 bytes', () => {
    const got = esoHashes(bin, ownerNames.map((name) => ({ kind: 'fieldOwner', name })));
    for (const [i, name] of ownerNames.entries()) assert.equal(fieldManagerFor(name), got[i]!.fieldOwner, `name of ${name.length} bytes`);
  });
});
