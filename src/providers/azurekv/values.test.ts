import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allMetadata, flattenedMetadata, jsonObjectMap, keyJson, metadataExtract, objectRef, propertyValue, rfc3339, tagValue } from './values.ts';

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const entries = (m: Map<string, Uint8Array>): [string, string][] => [...m].map(([k, v]) => [k, text(v)]);

test('key prefixes select keys and certificates, as ESO splits them', () => {
  assert.deepEqual(objectRef('db'), { type: 'secret', name: 'db' });
  assert.deepEqual(objectRef('key/signing'), { type: 'key', name: 'signing' });
  assert.deepEqual(objectRef('cert/tls'), { type: 'cert', name: 'tls' });
  assert.deepEqual(objectRef('cert/tls/ignored'), { type: 'cert', name: 'tls' });
});

test('property: a gjson path, then the same path as one dotted key', () => {
  const v = '{"a":{"b":"nested"},"a.b":"flat","n":1.50,"o":{"x":1}}';
  assert.equal(text(propertyValue(v, undefined, 'k')), v);
  assert.equal(text(propertyValue(v, 'a.b', 'k')), 'nested');
  assert.equal(text(propertyValue('{"c.d":"flat"}', 'c.d', 'k')), 'flat');
  assert.equal(text(propertyValue(v, 'n', 'k')), '1.5');
  assert.equal(text(propertyValue(v, 'o', 'k')), '{"x":1}');
  assert.throws(() => propertyValue(v, 'missing', 'db'), /property missing does not exist in key db/);
  assert.throws(() => propertyValue('not json', 'x', 'db'), { code: 'PropertyNotFound' });
});

test('metadataPolicy Fetch: all tags as JSON (Go key order and escaping), one tag, or a path into a tag', () => {
  const meta = allMetadata({ b: '2', a: '<1>', j: '{"x":"y"}' }, { created: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)) }, true);
  assert.equal(text(tagValue(meta, undefined)), '{"a":"\\u003c1\\u003e","attribute.created":"2024-01-02T03:04:05Z","b":"2","j":"{\\"x\\":\\"y\\"}"}');
  assert.equal(text(tagValue(meta, 'b')), '2');
  assert.equal(text(tagValue(meta, 'j.x')), 'y');
  assert.throws(() => tagValue(meta, 'zz'), /tag zz does not exist/);
  // The azcore client (useAzureSDK) returns tags only.
  assert.equal(allMetadata({ a: '1' }, { created: new Date() }, false).size, 1);
  assert.equal(rfc3339(new Date(Date.UTC(2030, 11, 31, 23, 59, 59))), '2030-12-31T23:59:59Z');
});

test('extract with Fetch: tags flattened as <name>_<tag>, JSON object tags expanded', () => {
  const flat = flattenedMetadata('db', { env: 'prod', owner: '{"team":"a","lead":"b"}', bad: '{"n":1}' }, { updated: new Date(Date.UTC(2024, 5, 1)) }, true);
  assert.deepEqual(Object.fromEntries(flat), {
    db_env: 'prod',
    db_owner_team: 'a',
    db_owner_lead: 'b',
    db_bad: '{"n":1}',
    'db_attribute.updated': '2024-06-01T00:00:00Z',
  });
  assert.deepEqual(entries(metadataExtract(flat, 'db', 'env')), [['db_env', 'prod']]);
  assert.deepEqual(entries(metadataExtract(flat, 'db', 'nope')), [['db_nope', '']]);
});

test('extract: strings unquoted, other values as their JSON text, null as empty', () => {
  assert.deepEqual(entries(jsonObjectMap('{"s":"x","n":1.50,"b":true,"o":{"k": [1, 2]},"z":null,"s":"last"}', 'k')), [
    ['s', 'last'],
    ['n', '1.50'],
    ['b', 'true'],
    ['o', '{"k": [1, 2]}'],
    ['z', ''],
  ]);
  assert.equal(jsonObjectMap('null', 'k').size, 0);
  assert.throws(() => jsonObjectMap('[1]', 'k'), { code: 'InvalidData' });
  assert.throws(() => jsonObjectMap('nope', 'k'), /not valid JSON/);
});

test('keys marshal in the Go struct order (default client) or sorted (useAzureSDK)', () => {
  const jwk = { kid: 'https://v/keys/k/1', kty: 'EC', key_ops: ['sign', 'verify'], crv: 'P-256', x: 'eA', y: 'eQ', d: undefined };
  assert.equal(keyJson(jwk, false), '{"kid":"https://v/keys/k/1","kty":"EC","key_ops":["sign","verify"],"crv":"P-256","x":"eA","y":"eQ"}');
  assert.equal(keyJson(jwk, true), '{"crv":"P-256","key_ops":["sign","verify"],"kid":"https://v/keys/k/1","kty":"EC","x":"eA","y":"eQ"}');
});
