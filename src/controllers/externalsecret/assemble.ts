/**
 * Builds the Secret data of an ExternalSecret from its stores, in ESO's order:
 * every dataFrom[] entry in order (later keys win), then every data[] entry in
 * order (overriding). Any error aborts the whole assembly: a partial result is
 * never written, so a failing store cannot blank keys of an existing Secret.
 */
import { InvalidSpecError, asHushError, hasCode, type HushError } from '../../util/errors.ts';
import type { StoreClient } from '../../providers/types.ts';
import { checkNullBytes, decodeValue } from './decode.ts';
import { convertKeys, rewriteKeys, validateKeys } from './keys.ts';
import type { DataFromItem, DataItem, ExternalSecretSpec, StoreRef } from './spec.ts';

/** Resolves a store reference (the ES's own, or an item's sourceRef.storeRef) to a connected client. */
export type ClientResolver = (ref: StoreRef | undefined, field: string) => Promise<{ client: StoreClient; storeLabel: string }>;

export interface AssembleResult {
  data: Map<string, Uint8Array>;
  /** Sources that did not exist at the provider and were skipped (deletionPolicy Delete/Merge). */
  missing: string[];
}

/**
 * What an assembly has read so far, recorded the moment a store answers (values again once
 * decoded), before anything else can fail: the caller cuts the values out of the text of any
 * error that follows, also of one raised half-way through (a later store echoing an earlier
 * value), and leaves the key names (identifiers, docs/security.md) as they are.
 */
export interface ReadLog {
  values: Uint8Array[];
  names: string[];
}

export async function assembleData(spec: ExternalSecretSpec, resolve: ClientResolver, signal: AbortSignal, seen: ReadLog = { values: [], names: [] }): Promise<AssembleResult> {
  const out = new Map<string, Uint8Array>();
  const missing: string[] = [];
  const skipMissing = spec.target?.deletionPolicy === 'Delete' || spec.target?.deletionPolicy === 'Merge';

  // Only the provider saying "this secret does not exist" may be skipped under Delete/Merge. A
  // missing store, auth Secret or client is an error, resolved outside the skip, or a typo in
  // secretStoreRef would look like "all secrets gone" and delete a live Secret.
  for (const [i, item] of (spec.dataFrom ?? []).entries()) {
    const field = `spec.dataFrom[${i}]`;
    const store = await resolve(item.sourceRef?.storeRef, field);
    let got: Map<string, Uint8Array>;
    try {
      got = await readDataFrom(item, field, store, signal, seen);
    } catch (err) {
      if (skipMissing && hasCode(err, 'NotFound')) {
        missing.push(field);
        continue;
      }
      throw err;
    }
    for (const [k, v] of got) out.set(k, v);
  }

  for (const [i, item] of (spec.data ?? []).entries()) {
    const field = `spec.data[${i}] (key: ${item.secretKey})`;
    const store = await resolve(item.sourceRef?.storeRef, field);
    try {
      out.set(item.secretKey, await readDataItem(item, field, store, signal, seen));
    } catch (err) {
      if (skipMissing && hasCode(err, 'NotFound')) {
        missing.push(field);
        continue;
      }
      throw err;
    }
  }
  return { data: out, missing };
}

type ResolvedClient = Awaited<ReturnType<ClientResolver>>;

async function readDataItem(item: DataItem, field: string, { client, storeLabel }: ResolvedClient, signal: AbortSignal, seen: ReadLog): Promise<Uint8Array> {
  const ref = item.remoteRef;
  let value: Uint8Array;
  try {
    value = await client.getSecret(
      { key: ref.key, ...(ref.property === undefined ? {} : { property: ref.property }), ...(ref.version === undefined ? {} : { version: ref.version }), ...(ref.metadataPolicy === undefined ? {} : { metadataPolicy: ref.metadataPolicy }) },
      signal,
    );
  } catch (err) {
    throw rewrap(err, `${field}: ${storeLabel}: key "${ref.key}"${ref.property ? ` property "${ref.property}"` : ''}`);
  }
  seen.values.push(value);
  value = decodeValue(value, ref.decodingStrategy, field);
  seen.values.push(value);
  checkNullBytes(value, ref.nullBytePolicy, field);
  return value;
}

async function readDataFrom(item: DataFromItem, field: string, { client, storeLabel }: ResolvedClient, signal: AbortSignal, seen: ReadLog): Promise<Map<string, Uint8Array>> {
  let raw: Map<string, Uint8Array>;
  let conversion;
  let decoding;
  let nullBytes;
  let sub: string;
  if (item.extract) {
    const ref = item.extract;
    sub = `${field}.extract`;
    conversion = ref.conversionStrategy;
    decoding = ref.decodingStrategy;
    nullBytes = ref.nullBytePolicy;
    try {
      raw = await client.getSecretMap(
        { key: ref.key, ...(ref.property === undefined ? {} : { property: ref.property }), ...(ref.version === undefined ? {} : { version: ref.version }), ...(ref.metadataPolicy === undefined ? {} : { metadataPolicy: ref.metadataPolicy }) },
        signal,
      );
    } catch (err) {
      throw rewrap(err, `${sub}: ${storeLabel}: key "${ref.key}"`);
    }
  } else if (item.find) {
    const f = item.find;
    sub = `${field}.find`;
    conversion = f.conversionStrategy;
    decoding = f.decodingStrategy;
    nullBytes = f.nullBytePolicy;
    try {
      raw = await client.findSecrets({ ...(f.path === undefined ? {} : { path: f.path }), ...(f.name === undefined ? {} : { name: f.name }), ...(f.tags === undefined ? {} : { tags: f.tags }) }, signal);
    } catch (err) {
      throw rewrap(err, `${sub}: ${storeLabel}`);
    }
  } else {
    throw new InvalidSpecError(`${field}: set one of extract or find`);
  }
  for (const [k, v] of raw) {
    seen.names.push(k);
    seen.values.push(v);
  }
  const renamed = item.rewrite && item.rewrite.length > 0 ? await rewriteKeys(raw, item.rewrite, field) : convertKeys(raw, conversion, sub);
  seen.names.push(...renamed.keys());
  const valid = validateKeys(renamed, sub);
  const out = new Map<string, Uint8Array>();
  for (const [k, v] of valid) {
    const decoded = decodeValue(v, decoding, `${sub} (key: ${k})`);
    seen.values.push(decoded);
    checkNullBytes(decoded, nullBytes, `${sub} (key: ${k})`);
    out.set(k, decoded);
  }
  return out;
}

/** Names the field, store and key in front of a provider's error, keeping its class and cause. */
function rewrap(err: unknown, prefix: string): HushError {
  return asHushError(err).withContext(prefix);
}
