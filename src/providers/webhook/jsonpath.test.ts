import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonPathGet, JsonPathError, type Json } from './jsonpath.ts';
import { roundedInteger, singleValue, valueMap } from './values.ts';

const doc = JSON.parse(
  '{"data":{"value":"v","n":1.5,"ok":true,"nil":null,"obj":{"b":2,"a":"<x>"}},"items":[{"name":"db","pw":"p1","n":1},{"name":"api","pw":"p2","n":3}],"a.b":"dotted","empty":[]}',
) as Json;

test('plain paths give one value; a missing key is an error as in PaesslerAG/jsonpath', () => {
  assert.equal(jsonPathGet('$.data.value', doc), 'v');
  assert.equal(jsonPathGet("$['data']['value']", doc), 'v');
  assert.equal(jsonPathGet('$["a.b"]', doc), 'dotted');
  assert.equal(jsonPathGet('$.items[1].name', doc), 'api');
  assert.equal(jsonPathGet('$.items[-1].pw', doc), 'p2');
  assert.throws(() => jsonPathGet('$.data.missing', doc), (e: unknown) => e instanceof JsonPathError && e.message === 'unknown key missing');
  assert.throws(() => jsonPathGet('$.items[5]', doc), JsonPathError);
  assert.throws(() => jsonPathGet('data.value', doc), /must start with \$/);
});

test('wildcards, unions, slices, recursion and filters give every match', () => {
  assert.deepEqual(jsonPathGet('$.items[*].name', doc), ['db', 'api']);
  assert.deepEqual(jsonPathGet('$.items[0,1].pw', doc), ['p1', 'p2']);
  assert.deepEqual(jsonPathGet('$.items[0:1].name', doc), ['db']);
  assert.deepEqual(jsonPathGet('$..pw', doc), ['p1', 'p2']);
  assert.deepEqual(jsonPathGet('$.data.obj.*', doc), ['<x>', 2], 'map wildcards in key order');
  assert.deepEqual(jsonPathGet("$.items[?(@.name == 'api')].pw", doc), ['p2']);
  assert.deepEqual(jsonPathGet('$.items[?(@.n > 1 && @.name != "db")].name', doc), ['api']);
  assert.deepEqual(jsonPathGet('$.items[?(@.name =~ "^d")].name', doc), ['db']);
  assert.deepEqual(jsonPathGet('$.items[?(@.missing)].name', doc), []);
});

test('a selected value becomes bytes as ESO’s extractSecretData writes them', () => {
  const s = (v: Json): string => Buffer.from(singleValue(v)).toString();
  assert.equal(s('x'), 'x');
  assert.equal(s(true), 'true');
  assert.equal(s(null), '');
  assert.equal(s(1.5), '2');
  assert.equal(s(2.5), '2', 'ties to even, like strconv');
  assert.equal(s(-0.2), '-0');
  assert.equal(s(1e21), '1000000000000000000000');
  assert.equal(s(['first', 'second']), 'first');
  assert.equal(s({ b: 1.0, a: '<&>' }), '{"a":"\\u003c\\u0026\\u003e","b":1}');
  assert.throws(() => singleValue([]), /didn't get any result/);
  assert.equal(roundedInteger(3.5), '4');
});

test('a map comes from an object, or from a string holding one', () => {
  const m = (v: Json): Record<string, string> => Object.fromEntries([...valueMap(v)].map(([k, x]) => [k, Buffer.from(x).toString()]));
  assert.deepEqual(m({ a: 'x', n: 1e3, f: 0.5, b: false, z: null, o: { k: [1, 'two'] } }), { a: 'x', n: '1000', f: '0.5', b: 'false', z: '', o: '{"k":[1,"two"]}' });
  assert.deepEqual(m('{"u":"v"}'), { u: 'v' });
  assert.throws(() => valueMap(['a']), /wrong type: \[\]interface \{\}/);
  assert.throws(() => valueMap('not json'), /not JSON/);
});

test('a path whose ".." steps multiply over a deep answer stops at the node budget', { timeout: 20_000 }, () => {
  // 1000 levels deep: each "..*" step yields every descendant of every node so far (~n²/2, then
  // n³/6, ...), which without the budget runs the controller's event loop for hours.
  let doc: Json = 'leaf';
  for (let i = 0; i < 1000; i++) doc = { a: doc };
  assert.throws(() => jsonPathGet('$..*..*..*..*', doc), (err: Error) => err instanceof JsonPathError && /more than 1000000 nodes/.test(err.message));
  // Ordinary recursive paths stay well within it.
  assert.deepEqual(jsonPathGet('$..a', { a: { a: 1 } }), [{ a: 1 }, 1]);
});
