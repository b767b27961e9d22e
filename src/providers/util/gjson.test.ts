import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gjsonGet, gjsonObjectMembers, gjsonString } from './gjson.ts';

const doc = '{"a":{"b":"x","c.d":"dotted","n":[1,2.50,{"k":"v"}]},"num":12345678901234567890,"f":1.50,"e":1e3,"t":true,"z":null,"s":"q\\"uote","list":[{"name":"one"},{"name":"two"},{"other":1}]}';
const get = (p: string): string | undefined => {
  const r = gjsonGet(doc, p);
  return r && gjsonString(r);
};

void describe('gjson paths', () => {
  void it('reads nested keys, array indexes and escaped dots', () => {
    assert.equal(get('a.b'), 'x');
    assert.equal(get('a.c\\.d'), 'dotted');
    assert.equal(get('a.n.0'), '1');
    assert.equal(get('a.n.2.k'), 'v');
    assert.equal(get('a.n.5'), undefined);
  });

  void it('renders values like gjson Result.String()', () => {
    assert.equal(get('num'), '12345678901234567890'); // integer literal kept
    assert.equal(get('f'), '1.5'); // other numbers: shortest decimal
    assert.equal(get('e'), '1000');
    assert.equal(get('a.n.1'), '2.5');
    assert.equal(get('t'), 'true');
    assert.equal(get('z'), '');
    assert.equal(get('s'), 'q"uote');
    assert.equal(get('a.n'), '[1,2.50,{"k":"v"}]'); // raw JSON
  });

  void it('supports # and wildcards', () => {
    assert.equal(get('list.#'), '3');
    assert.equal(get('list.#.name'), '["one","two"]');
    assert.equal(get('a.*'), 'x');
    assert.equal(get('a.?'), 'x');
    assert.equal(get('a.c?d'), 'dotted');
  });

  void it('finds nothing for misses, unsupported syntax and non-JSON', () => {
    assert.equal(get('missing'), undefined);
    assert.equal(get('a.b.c'), undefined);
    assert.equal(get('list.#(name=="one")'), undefined);
    assert.equal(get('@reverse'), undefined);
    assert.equal(gjsonGet('not json', 'a'), undefined);
  });

  void it('lists raw object members, later duplicates winning', () => {
    const m = gjsonObjectMembers('{"a": {"x" : 1}, "b":"s", "a": [1, 2]}');
    assert.deepEqual([...(m ?? [])].map(([k, r]) => [k, r.raw]), [['a', '[1, 2]'], ['b', '"s"']]);
    assert.equal(gjsonObjectMembers('[1]'), undefined);
  });
});
