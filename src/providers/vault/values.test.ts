import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isJsonObject, parseJson, type JsonObject } from '../util/gojson.ts';
import { secretMap, secretValue } from './values.ts';

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const data = (json: string): JsonObject => {
  const v = parseJson(json);
  assert.ok(isJsonObject(v));
  return v;
};

void describe('vault GetSecret values', () => {
  const d = data('{"user":"admin","port":5432,"ratio":1.50,"on":true,"none":null,"obj":{"z":1,"a":"<b>"},"list":[1,"x"],"a.b":"exact","a":{"b":"nested"}}');

  void it('returns the whole secret as Go json.Marshal output', () => {
    assert.equal(
      text(secretValue(d, undefined)),
      '{"a":{"b":"nested"},"a.b":"exact","list":[1,"x"],"none":null,"obj":{"a":"\\u003cb\\u003e","z":1},"on":true,"port":5432,"ratio":1.50,"user":"admin"}',
    );
  });

  void it('returns a top-level property by its exact key before trying gjson', () => {
    assert.equal(text(secretValue(d, 'user')), 'admin');
    assert.equal(text(secretValue(d, 'port')), '5432');
    assert.equal(text(secretValue(d, 'ratio')), '1.50'); // exact key keeps the literal
    assert.equal(text(secretValue(d, 'on')), 'true');
    assert.equal(text(secretValue(d, 'none')), '');
    assert.equal(text(secretValue(d, 'obj')), '{"a":"\\u003cb\\u003e","z":1}');
    assert.equal(text(secretValue(d, 'a.b')), 'exact');
  });

  void it('falls back to a gjson path', () => {
    assert.equal(text(secretValue(d, 'obj.a')), '<b>');
    assert.equal(text(secretValue(d, 'list.0')), '1');
    assert.equal(text(secretValue(d, 'a\\.b')), 'exact');
  });

  void it('reports a missing property with ESO\'s text', () => {
    assert.throws(() => secretValue(d, 'nope'), (e: Error & { code?: string }) => {
      assert.equal(e.message, 'cannot find secret data for key: "nope"');
      assert.equal(e.code, 'PropertyNotFound');
      return true;
    });
  });
});

void describe('vault GetSecretMap values', () => {
  void it('splits an object, re-encoding numbers through float64', () => {
    const m = secretMap(Buffer.from('{"s":"v","n":1.0,"big":1e3,"b":false,"z":null,"o":{"x":1.50,"y":"<"},"l":[1e2]}'), 'k');
    assert.deepEqual(
      Object.fromEntries([...m].map(([k, v]) => [k, text(v)])),
      { s: 'v', n: '1', big: '1000', b: 'false', z: '', o: '{"x":1.5,"y":"\\u003c"}', l: '[100]' },
    );
  });

  void it('refuses a value that is not a JSON object, without echoing it', () => {
    assert.throws(() => secretMap(Buffer.from('"canary-value"'), 'k'), (e: Error) => !e.message.includes('canary'));
    assert.throws(() => secretMap(Buffer.from('canary-value'), 'k'), (e: Error) => !e.message.includes('canary'));
  });
});
