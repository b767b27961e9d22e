import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dataHash, goFormatByteMap, goFormatStringMap, metaHash } from './hash.ts';
import { createHash } from 'node:crypto';

const enc = (s: string) => new TextEncoder().encode(s);

test('formats secret data the way Go %+v prints map[string][]byte', () => {
  assert.equal(goFormatByteMap({ a: enc('hi') }), 'map[a:[104 105]]');
  assert.equal(goFormatByteMap({}), 'map[]');
  assert.equal(goFormatByteMap({ b: enc(''), a: enc('\x00') }), 'map[a:[0] b:[]]');
  assert.equal(goFormatByteMap({ Z: enc('x'), a: enc('y') }), 'map[Z:[120] a:[121]]');
});

test('data hash is SHA3-224 hex of the Go rendering (ESO compatible)', () => {
  const expected = createHash('sha3-224').update('map[a:[104 105]]').digest('hex');
  assert.equal(dataHash({ a: enc('hi') }), expected);
  assert.equal(dataHash({ a: enc('hi') }).length, 56);
  assert.notEqual(dataHash({ a: enc('hi') }), dataHash({ a: enc('ho') }));
});

test('meta hash renders annotations before labels and nil maps as map[]', () => {
  assert.equal(goFormatStringMap(undefined), 'map[]');
  const expected = createHash('sha3-224').update('{annotations:map[] labels:map[app:x]}').digest('hex');
  assert.equal(metaHash({ app: 'x' }, undefined), expected);
});
