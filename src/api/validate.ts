/**
 * A small validator for the structural schemas in this folder: it checks a
 * manifest the way the API server (with kubectl's strict field validation)
 * would, without a cluster, and names each problem by its field path, e.g.
 * `spec.data[0].remoteRef.key`. Used by tests and by offline `hush` checks.
 *
 * It implements the subset of OpenAPI v3 that CRDs use here: type, properties,
 * required, additionalProperties, items, enum, pattern, format (byte,
 * date-time), length/size/range limits, nullable, int-or-string and
 * preserve-unknown-fields. Patterns are Go regular expressions, as the API
 * server compiles them. Like the API server, a `null` in a non-nullable
 * field is treated as if the field were absent.
 */
import type { JsonSchema } from './schema.ts';
import { schemaFor } from './crd.ts';
import { compileGoRegexp } from '../util/goregexp.ts';

export interface SchemaIssue {
  /** Field path, e.g. `spec.provider.vault.server`; empty for the object itself. */
  path: string;
  message: string;
}

const identifier = /^[A-Za-z_$][\w$]*$/;

function child(path: string, key: string): string {
  if (identifier.test(key)) return path === '' ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(key)}]`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}


const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Validates `value` against `schema`; returns every problem found (empty when valid). */
export function validateValue(schema: JsonSchema, value: unknown, path = ''): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  check(schema, value, path, issues);
  return issues;
}

function check(schema: JsonSchema, value: unknown, path: string, issues: SchemaIssue[]): void {
  const add = (message: string): void => {
    issues.push({ path, message });
  };
  if (value === null) {
    // Pruned by the API server unless nullable; either way nothing to check.
    return;
  }
  if (schema['x-kubernetes-int-or-string'] === true) {
    if (!(typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value)))) {
      add(`must be an integer or a string, got ${describe(value)}`);
    }
    return;
  }
  switch (schema.type) {
    case undefined:
      return; // only preserve-unknown nodes have no type
    case 'string':
      if (typeof value !== 'string') return add(`must be a string, got ${describe(value)}`);
      return checkString(schema, value, add);
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return add(`must be an integer, got ${describe(value)}`);
      return checkNumber(schema, value, add);
    case 'number':
      if (typeof value !== 'number') return add(`must be a number, got ${describe(value)}`);
      return checkNumber(schema, value, add);
    case 'boolean':
      if (typeof value !== 'boolean') add(`must be a boolean, got ${describe(value)}`);
      return;
    case 'array':
      if (!Array.isArray(value)) return add(`must be an array, got ${describe(value)}`);
      if (schema.minItems !== undefined && value.length < schema.minItems) add(`must have at least ${schema.minItems} items`);
      if (schema.maxItems !== undefined && value.length > schema.maxItems) add(`must have at most ${schema.maxItems} items`);
      if (schema.items !== undefined) {
        const items = schema.items;
        value.forEach((item, i) => check(items, item, `${path}[${i}]`, issues));
      }
      return;
    case 'object':
      if (!isPlainObject(value)) return add(`must be an object, got ${describe(value)}`);
      return checkObject(schema, value, path, issues);
  }
}

function checkString(schema: JsonSchema, value: string, add: (m: string) => void): void {
  if (schema.enum !== undefined && !schema.enum.includes(value)) {
    add(`must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}; got ${JSON.stringify(value)}`);
  }
  const length = [...value].length;
  if (schema.minLength !== undefined && length < schema.minLength) add(`must be at least ${schema.minLength} characters long`);
  if (schema.maxLength !== undefined && length > schema.maxLength) add(`must be at most ${schema.maxLength} characters long`);
  if (schema.pattern !== undefined && !compileGoRegexp(schema.pattern).matchString(value)) {
    add(`${JSON.stringify(value)} does not match the pattern ${schema.pattern}`);
  }
  if (schema.format === 'byte' && !base64.test(value.replace(/\s+/g, ''))) add('must be base64-encoded');
  if (schema.format === 'date-time' && !rfc3339.test(value)) add(`must be an RFC 3339 date-time, got ${JSON.stringify(value)}`);
}

function checkNumber(schema: JsonSchema, value: number, add: (m: string) => void): void {
  if (schema.enum !== undefined && !schema.enum.includes(value)) add(`must be one of ${schema.enum.join(', ')}`);
  if (schema.minimum !== undefined && value < schema.minimum) add(`must be at least ${schema.minimum}`);
  if (schema.maximum !== undefined && value > schema.maximum) add(`must be at most ${schema.maximum}`);
  if (schema.format === 'int32' && (value < -(2 ** 31) || value >= 2 ** 31)) add('must fit in 32 bits');
}

function checkObject(schema: JsonSchema, value: Record<string, unknown>, path: string, issues: SchemaIssue[]): void {
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  // Count what survives the API server's pruning: nulls in non-nullable
  // fields and unknown fields (reported separately below) are dropped.
  const known = (k: string) => preserve || schema.properties === undefined || k in schema.properties;
  const present = Object.keys(value).filter((k) => known(k) && (value[k] !== null || schema.properties?.[k]?.nullable === true));
  if (schema.minProperties !== undefined && present.length < schema.minProperties) {
    issues.push({ path, message: propertyCountMessage(schema, present, 'at least') });
  }
  if (schema.maxProperties !== undefined && present.length > schema.maxProperties) {
    issues.push({ path, message: propertyCountMessage(schema, present, 'at most') });
  }
  for (const key of schema.required ?? []) {
    if (!present.includes(key)) issues.push({ path: child(path, key), message: 'is required' });
  }
  for (const key of Object.keys(value)) {
    const sub = schema.properties?.[key] ?? schema.additionalProperties;
    if (sub !== undefined) check(sub, value[key], child(path, key), issues);
    else if (!preserve && schema.properties !== undefined) issues.push({ path: child(path, key), message: 'unknown field' });
  }
}

function propertyCountMessage(schema: JsonSchema, present: string[], bound: 'at least' | 'at most'): string {
  const n = bound === 'at least' ? schema.minProperties : schema.maxProperties;
  // For ESO's union objects (provider, rewrite, sourceRef) say which keys are meant.
  if (schema.minProperties === 1 && schema.maxProperties === 1 && schema.properties !== undefined) {
    const options = Object.keys(schema.properties);
    const list = options.length > 8 ? `one of ${options.length} keys (${options.slice(0, 8).join(', ')}, ...)` : options.join(', ');
    return present.length === 0
      ? `must set exactly one of: ${list}`
      : `must set exactly one key, found ${present.length}: ${present.join(', ')}`;
  }
  return `must have ${bound} ${n} fields`;
}

/**
 * Validates a whole external-secrets.io object: apiVersion and kind must name
 * a kind Hush serves, metadata.name must be set, and spec/status must match
 * the schema of that version.
 */
export function validateManifest(manifest: unknown): SchemaIssue[] {
  if (!isPlainObject(manifest)) return [{ path: '', message: `must be an object, got ${describe(manifest)}` }];
  const { apiVersion, kind } = manifest;
  if (typeof apiVersion !== 'string') return [{ path: 'apiVersion', message: 'is required' }];
  if (typeof kind !== 'string') return [{ path: 'kind', message: 'is required' }];
  const schema = schemaFor(apiVersion, kind);
  if (schema === undefined) return [{ path: 'kind', message: `${kind} is not a kind Hush serves in ${apiVersion}` }];
  const issues: SchemaIssue[] = [];
  const metadata = manifest.metadata;
  if (!isPlainObject(metadata) || (typeof metadata.name !== 'string' && typeof metadata.generateName !== 'string')) {
    issues.push({ path: 'metadata.name', message: 'is required' });
  }
  issues.push(...validateValue(schema, manifest));
  return issues;
}

/** One line per issue: `spec.data[0].remoteRef.key: is required`. */
export function formatIssues(issues: SchemaIssue[]): string {
  return issues.map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`)).join('\n');
}
