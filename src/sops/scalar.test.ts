import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatGoFloat, parseYamlTimestamp, resolvePlainYaml } from './scalar.ts';

void test('floats are formatted like Go FormatFloat(v, f, -1, 64): shortest digits, never an exponent', () => {
  assert.equal(formatGoFloat(1.5), '1.5');
  assert.equal(formatGoFloat(1e21), '1000000000000000000000');
  assert.equal(formatGoFloat(1e-7), '0.0000001');
  assert.equal(formatGoFloat(-0), '-0');
  assert.equal(formatGoFloat(0.1 + 0.2), '0.30000000000000004');
  assert.equal(formatGoFloat(123456789.125), '123456789.125');
  assert.equal(formatGoFloat(Infinity), '+Inf');
  assert.equal(formatGoFloat(NaN), 'NaN');
});

void test('plain YAML scalars are typed by go-yaml v3 rules, not YAML 1.2 core', () => {
  assert.deepEqual(resolvePlainYaml('1_000'), { kind: 'int', text: '1000' });
  assert.deepEqual(resolvePlainYaml('0755'), { kind: 'int', text: '493' });
  assert.deepEqual(resolvePlainYaml('0x1F'), { kind: 'int', text: '31' });
  assert.equal(resolvePlainYaml('yes'), 'yes');
  assert.equal(resolvePlainYaml('True'), true);
  assert.equal(resolvePlainYaml('~'), null);
  assert.deepEqual(resolvePlainYaml('1e3'), { kind: 'float', value: 1000 });
  assert.deepEqual(resolvePlainYaml('2024-01-02'), { kind: 'time', text: '2024-01-02T00:00:00Z' });
  assert.equal(resolvePlainYaml('3.13.2'), '3.13.2');
});

void test('timestamps become Go MarshalText form', () => {
  assert.equal(parseYamlTimestamp('2001-12-14t21:59:43.10-05:00'), '2001-12-14T21:59:43.1-05:00');
  assert.equal(parseYamlTimestamp('2001-12-14 21:59:43.10'), '2001-12-14T21:59:43.1Z');
  assert.equal(parseYamlTimestamp('2024-13-01'), undefined);
});
