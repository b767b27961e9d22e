/**
 * A small schema DSL: each builder returns a plain OpenAPI v3 schema object
 * (exactly what goes into a CRD's `openAPIV3Schema`) that also carries, at the
 * type level only, the TypeScript type of the values it accepts. `Static<S>`
 * reads that type back, so the API types and the generated CRDs come from one
 * source and cannot drift apart.
 *
 * Deliberately missing: `default`. ESO 2.9 removed CRD defaults from its
 * strategy/policy fields because the API server writes them into stored
 * objects and GitOps tools then see a diff they did not make. Hush applies
 * every default in code (see the `defaults` exports of the v1 modules).
 *
 * Everything built here is a structural schema (apiextensions.k8s.io/v1):
 * every node has a `type`, except int-or-string and preserve-unknown nodes.
 */

/** Type-only brand: holds the static type, never present at runtime. */
declare const staticType: unique symbol;

/** The JSON shape of an OpenAPI v3 schema node, as far as CRDs use it. */
export interface JsonSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: JsonSchema;
  items?: JsonSchema;
  enum?: readonly (string | number)[];
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  nullable?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: true;
  'x-kubernetes-int-or-string'?: true;
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
}

/** A schema node whose accepted values have the TypeScript type T. */
export type TSchema<T = unknown> = JsonSchema & { readonly [staticType]?: T };

/** The TypeScript type of the values a schema accepts. */
export type Static<S> = S extends { readonly [staticType]?: infer T } ? T : never;

interface Common {
  description?: string;
}

export interface StringOptions<E extends readonly string[]> extends Common {
  enum?: E;
  pattern?: string;
  /** OpenAPI format, e.g. `date-time` or `byte` (base64). */
  format?: string;
  minLength?: number;
  maxLength?: number;
  /** Allows an explicit `null` (Go's metav1.Time serialises a zero time as null). */
  nullable?: boolean;
}

/** A string; with `enum` the static type is the union of the listed values. */
export function string<const E extends readonly string[] = readonly string[]>(
  options: StringOptions<E> = {},
): TSchema<string[] extends E ? string : E[number]> {
  return { type: 'string', ...clean(options) };
}

export interface NumberOptions extends Common {
  format?: 'int32' | 'int64';
  minimum?: number;
  maximum?: number;
}

export function integer(options: NumberOptions = {}): TSchema<number> {
  return { type: 'integer', ...clean(options) };
}

export function boolean(options: Common = {}): TSchema<boolean> {
  return { type: 'boolean', ...clean(options) };
}

export interface ArrayOptions extends Common {
  minItems?: number;
  maxItems?: number;
}

export function array<I extends TSchema>(items: I, options: ArrayOptions = {}): TSchema<Static<I>[]> {
  return { type: 'array', items, ...clean(options) };
}

/** A map with string keys (OpenAPI `additionalProperties`). */
export function map<V extends TSchema>(value: V, options: Common = {}): TSchema<Record<string, Static<V>>> {
  return { type: 'object', additionalProperties: value, ...clean(options) };
}

/** An object whose content is not checked and is kept as written. */
export function preserveUnknown(options: Common = {}): TSchema<Record<string, unknown>> {
  return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, ...clean(options) };
}

/** Kubernetes' IntOrString: `5` or `"5m"`. */
export function intOrString(options: Common = {}): TSchema<number | string> {
  return { 'x-kubernetes-int-or-string': true, ...clean(options) };
}

/** Any JSON value, kept as written (for user-provided documents). */
export function anyValue(options: Common = {}): TSchema<unknown> {
  return { 'x-kubernetes-preserve-unknown-fields': true, ...clean(options) };
}

type Props = Record<string, TSchema>;

type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** Object type: keys in R are required, the rest optional. */
export type ObjectStatic<P extends Props, R extends keyof P> = Simplify<
  { [K in R]: Static<P[K]> } & { [K in Exclude<keyof P, R>]?: Static<P[K]> }
>;

export interface ObjectOptions<R> extends Common {
  required?: R;
  minProperties?: number;
  maxProperties?: number;
  /**
   * Keep fields the schema does not list, instead of having the API server
   * prune them. Used where ESO may add fields Hush does not know yet.
   */
  preserveUnknownFields?: boolean;
}

/** An object with known properties. */
export function object<P extends Props, const R extends readonly (keyof P & string)[] = []>(
  properties: P,
  options: ObjectOptions<R> = {},
): TSchema<ObjectStatic<P, R[number]>> {
  const { required, preserveUnknownFields, ...rest } = options;
  const schema: JsonSchema = { type: 'object', ...clean(rest), properties };
  if (required !== undefined && required.length > 0) schema.required = [...required];
  if (preserveUnknownFields === true) schema['x-kubernetes-preserve-unknown-fields'] = true;
  return schema;
}

/**
 * An object in which exactly one of the listed keys may be set (ESO's
 * "union" structs such as `spec.provider`), expressed the way ESO does, with
 * min/maxProperties = 1, which the API server enforces without a webhook.
 */
export function oneOfKeys<P extends Props>(
  properties: P,
  options: Common = {},
): TSchema<{ [K in keyof P]?: Static<P[K]> }> {
  return { type: 'object', ...clean(options), properties, minProperties: 1, maxProperties: 1 };
}

/** An RFC 3339 timestamp (metav1.Time). */
export function dateTime(options: Common & { nullable?: boolean } = {}): TSchema<string> {
  return { type: 'string', format: 'date-time', ...clean(options) };
}

/** Drops undefined values so the generated YAML carries only what was set. */
function clean<T extends object>(options: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(options) as [keyof T, T[keyof T]][]) {
    if (v !== undefined) out[k] = v;
  }
  return out;
}
