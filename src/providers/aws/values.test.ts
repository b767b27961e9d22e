import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HushError } from '../../util/errors.ts';
import { propertyValue, secretMap, tagsJson } from './values.ts';

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const obj = (m: Map<string, Uint8Array>): Record<string, string> => Object.fromEntries([...m].map(([k, v]) => [k, text(v)]));

describe('aws values, as ESO shapes them', () => {
  it('property: a path into the JSON value; numbers keep their text, objects their JSON', () => {
    const v = '{"user":"u","n":1.50,"big":12345678901234567890,"o":{"a":[1,2]},"t":true,"nil":null}';
    assert.equal(text(propertyValue(v, 'user', 'k')), 'u');
    assert.equal(text(propertyValue(v, 'o.a.1', 'k')), '2');
    assert.equal(text(propertyValue(v, 'o', 'k')), '{"a":[1,2]}');
    assert.equal(text(propertyValue(v, 'big', 'k')), '12345678901234567890');
    assert.equal(text(propertyValue(v, 't', 'k')), 'true');
    assert.equal(text(propertyValue(v, 'nil', 'k')), '');
  });

  it('property with dots: the dotted key wins over the path, else the path is used', () => {
    const v = '{"a.b":"dotted","a":{"b":"nested","c":"only-nested"}}';
    assert.equal(text(propertyValue(v, 'a.b', 'k')), 'dotted');
    assert.equal(text(propertyValue(v, 'a.c', 'k')), 'only-nested');
  });

  it('a missing property or a non-JSON value is PropertyNotFound naming the key, without the value', () => {
    assert.throws(() => propertyValue('{"a":1}', 'nope', 'db'), (e: unknown) => e instanceof HushError && e.code === 'PropertyNotFound' && e.message === 'key "nope" does not exist in secret "db"');
    assert.throws(
      () => propertyValue('s3cr3t-plain', 'user', 'db'),
      (e: unknown) => e instanceof HushError && /not JSON/.test(e.message) && !e.message.includes('s3cr3t'),
    );
  });

  it('extract: strings unquoted, everything else kept as its exact JSON text, null empty', () => {
    const v = Buffer.from('{"s":"x\\u0041","n":1.50,"o":{"k": [1, 2]},"b":false,"z":null,"s":"last"}');
    assert.deepEqual(obj(secretMap(v, 'k')), { s: 'last', n: '1.50', o: '{"k": [1, 2]}', b: 'false', z: '' });
    assert.equal(secretMap(Buffer.from('null'), 'k').size, 0);
  });

  it('extract of a value that is not a JSON object fails with InvalidData', () => {
    for (const v of ['pl41n', '["x9q"]', '"z7w"']) {
      assert.throws(() => secretMap(Buffer.from(v), 'k'), (e: unknown) => e instanceof HushError && e.code === 'InvalidData' && !/pl41n|x9q|z7w/.test(e.message));
    }
  });

  it('tags as Go marshals a map: sorted keys, HTML escaped', () => {
    assert.equal(tagsJson([{ Key: 'team', Value: 'a&b' }, { Key: 'env', Value: '<prod>' }]), '{"env":"\\u003cprod\\u003e","team":"a\\u0026b"}');
    assert.equal(tagsJson([]), '{}');
  });
});
