import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flattenMetadata, unflattenMetadata } from '../metadata.ts';
import { entry, mapNode } from '../tree.ts';
import { parseJson, stringifyJson } from './json.ts';
import { parseYaml, stringifyYaml } from './yaml.ts';

void test('strings that go-yaml would read as another type are quoted, so they stay strings', () => {
  const tricky = ['yes', 'no', 'on', '0755', '1_000', '0x10', '2024-01-02', 'true', 'null', '~', '1e3', '.inf', '', ' lead', 'a: b', 'x #y', '-dash', 'ENC[AES256_GCM,data:QQ==,iv:QQ==,tag:QQ==,type:str]'];
  const doc = mapNode(tricky.map((s, i) => entry(`k${i}`, s)));
  const text = stringifyYaml([doc]);
  assert.match(text, /k17: ENC\[AES256_GCM,/, 'ENC values stay plain (Flux greps for them)');
  const back = parseYaml(text)[0]!;
  assert.deepEqual(back.items.map((i) => (i.kind === 'entry' ? i.value : undefined)), tricky);
});

void test('multi-line strings become literal blocks with the right chomping', () => {
  for (const s of ['a\nb', 'a\nb\n', 'a\nb\n\n', 'x\n\ny\n']) {
    const text = stringifyYaml([mapNode([entry('v', s)])]);
    assert.match(text, /v: \|/);
    assert.equal((parseYaml(text)[0]!.items[0] as { value: unknown }).value, s);
  }
});

void test('YAML: duplicate keys, top-level sequences and non-string keys are rejected', () => {
  assert.throws(() => parseYaml('a: 1\na: 2\n'), /invalid YAML/);
  assert.throws(() => parseYaml('- a\n'), /sequences are not supported/);
  assert.throws(() => parseYaml('1: a\n'), /non-string key/);
});

void test('JSON keeps order and duplicates, reads int64 as int and escapes like Go', () => {
  const doc = parseJson('{"b": 1, "a": 2.0, "a": 9223372036854775807, "s": "<&>"}');
  assert.deepEqual(doc.items.map((i) => (i.kind === 'entry' ? i.key : '')), ['b', 'a', 'a', 's']);
  assert.equal(stringifyJson(doc), '{\n\t"b": 1,\n\t"a": 2,\n\t"a": 9223372036854775807,\n\t"s": "\\u003c\\u0026\\u003e"\n}\n');
  assert.throws(() => parseJson('[1]'), /top level is an object/);
});

void test('flattened metadata keys (dotenv, INI) round-trip', () => {
  const md = mapNode([entry('age', [mapNode([entry('enc', 'E'), entry('recipient', 'R')])]), entry('lastmodified', 'T')]);
  const flat = flattenMetadata(md, '');
  assert.deepEqual(flat.map(([k]) => k), ['age__list_0__map_enc', 'age__list_0__map_recipient', 'lastmodified']);
  assert.deepEqual(unflattenMetadata(flat), md);
});
