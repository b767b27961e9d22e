/**
 * Raw refs: what a read plan asks a store for, and the identity under which
 * identical reads are shared.
 *
 * A remote ref names a key, a version, a metadata policy and a property; the
 * store is asked only for the first three (the whole secret), and the property
 * is applied afterwards by the client's projection. So two properties of one
 * key, or two ExternalSecrets naming one key, are one read.
 */
import type { RawRef, RawSecret, RemoteRef, StoreClient } from '../providers/types.ts';

/** The raw ref a remote ref needs from `client`. */
export function rawRefOf(client: Pick<StoreClient, 'readsProperty'>, ref: RemoteRef): RawRef {
  const raw: RawRef = { key: ref.key };
  if (ref.version !== undefined && ref.version !== '') raw.version = ref.version;
  if (ref.metadataPolicy === 'Fetch') raw.metadataPolicy = 'Fetch';
  if (client.readsProperty && ref.property !== undefined && ref.property !== '') raw.property = ref.property;
  return raw;
}

/**
 * A stable identity for a raw ref. `None` and an absent metadata policy are the same read,
 * and so are an absent and an empty version (the store's latest).
 */
export function rawRefKey(ref: RawRef): string {
  return JSON.stringify([ref.key, ref.version ?? '', ref.metadataPolicy === 'Fetch' ? 'Fetch' : 'None', ref.property ?? null]);
}

/** GetSecret in one step: read the raw ref and project it (tests and one-off reads). */
export async function readValue(client: StoreClient, ref: RemoteRef, signal: AbortSignal): Promise<Uint8Array> {
  return client.projection.value(await client.read(rawRefOf(client, ref), signal), ref);
}

/** GetSecretMap in one step: read the raw ref and split it into keys. */
export async function readMap(client: StoreClient, ref: RemoteRef, signal: AbortSignal): Promise<Map<string, Uint8Array>> {
  return client.projection.map(await client.read(rawRefOf(client, ref), signal), ref);
}

/** A RawSecret with an optional version, without `version: undefined` keys (exactOptionalPropertyTypes). */
export function rawSecret(payload: unknown, version?: string): RawSecret {
  return version === undefined || version === '' ? { payload } : { payload, version };
}
