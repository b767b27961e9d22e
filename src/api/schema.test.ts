import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  array,
  boolean,
  dateTime,
  integer,
  intOrString,
  map,
  object,
  oneOfKeys,
  preserveUnknown,
  string,
  type Static,
} from './schema.ts';
import type { ExternalSecretSpec } from './v1/externalsecret.ts';
import type { SecretStoreSpec } from './v1/secretstore.ts';

// ---- Type-level checks: compiled by `tsc --noEmit`; a wrong inference fails the type-check. ----
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<_T extends true>(): void {}

const example = object({
  name: string(),
  mode: string({ enum: ['a', 'b'] }),
  count: integer(),
  on: boolean(),
  tags: array(string()),
  labels: map(string()),
  extra: preserveUnknown(),
  port: intOrString(),
  when: dateTime(),
  one: oneOfKeys({ x: string(), y: integer() }),
}, { required: ['name', 'mode'] });

assertType<Equals<Static<typeof example>, {
  name: string;
  mode: 'a' | 'b';
  count?: number;
  on?: boolean;
  tags?: string[];
  labels?: Record<string, string>;
  extra?: Record<string, unknown>;
  port?: number | string;
  when?: string;
  one?: { x?: string; y?: number };
}>>();

// The real API types come out of the same inference.
assertType<Equals<NonNullable<ExternalSecretSpec['target']>['creationPolicy'],
  'Owner' | 'Orphan' | 'Merge' | 'None' | 'CreateOrMerge' | undefined>>();
assertType<Equals<NonNullable<ExternalSecretSpec['data']>[number]['remoteRef']['key'], string>>();
assertType<Equals<NonNullable<SecretStoreSpec['provider']['vault']>['version'], 'v1' | 'v2' | undefined>>();
assertType<Equals<SecretStoreSpec['provider']['aws'], Record<string, unknown> | undefined>>();

// ---- Runtime: what the builders put into the CRD. ----

void test('builders produce plain OpenAPI v3 nodes with only the options that were given', () => {
  assert.deepEqual(string({ enum: ['a', 'b'], description: 'd' }), { type: 'string', enum: ['a', 'b'], description: 'd' });
  assert.deepEqual(string(), { type: 'string' });
  assert.deepEqual(integer({ format: 'int32' }), { type: 'integer', format: 'int32' });
  assert.deepEqual(map(string()), { type: 'object', additionalProperties: { type: 'string' } });
  assert.deepEqual(preserveUnknown(), { type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
  assert.deepEqual(intOrString(), { 'x-kubernetes-int-or-string': true });
  assert.deepEqual(dateTime({ nullable: true }), { type: 'string', format: 'date-time', nullable: true });
});

void test('object() lists required keys only when there are some, and can keep unknown fields', () => {
  assert.deepEqual(object({ a: string() }), { type: 'object', properties: { a: { type: 'string' } } });
  assert.deepEqual(object({ a: string(), b: string() }, { required: ['b'], preserveUnknownFields: true }), {
    type: 'object',
    properties: { a: { type: 'string' }, b: { type: 'string' } },
    required: ['b'],
    'x-kubernetes-preserve-unknown-fields': true,
  });
});

void test('required keys given to object() become the schema\'s required list', () => {
  assert.deepEqual(example.required, ['name', 'mode']);
  assert.equal(example.properties?.mode?.enum?.join(','), 'a,b');
});

void test('oneOfKeys() makes the API server accept exactly one key', () => {
  const u = oneOfKeys({ a: string(), b: string() });
  assert.equal(u.minProperties, 1);
  assert.equal(u.maxProperties, 1);
  assert.deepEqual(Object.keys(u.properties ?? {}), ['a', 'b']);
});
