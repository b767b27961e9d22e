/**
 * The hashes ESO writes on managed Secrets. They must match ESO byte for byte:
 * a Secret created by ESO carries `reconcile.external-secrets.io/data-hash`,
 * and if Hush computed it differently it would see every adopted Secret as
 * drifted and rewrite all of them at start-up (a "rewrite storm").
 *
 * ESO hashes Go's `%+v` rendering of the value with SHA3-224:
 *   map[string][]byte  → `map[k1:[104 105] k2:[]]` (keys sorted bytewise, bytes decimal)
 *   labels/annotations → `{annotations:map[k:v] labels:map[k:v]}`
 */
import { createHash } from 'node:crypto';

export function sha3_224Hex(input: string | Uint8Array): string {
  return createHash('sha3-224').update(input).digest('hex');
}

function compareBytes(a: string, b: string): number {
  const ba = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  return Buffer.compare(ba, bb);
}

/** Go `%+v` of map[string][]byte. */
export function goFormatByteMap(data: Record<string, Uint8Array>): string {
  const keys = Object.keys(data).sort(compareBytes);
  const parts = keys.map((k) => `${k}:[${Array.from(data[k] ?? []).join(' ')}]`);
  return `map[${parts.join(' ')}]`;
}

/** Go `%+v` of map[string]string. */
export function goFormatStringMap(data: Record<string, string> | undefined): string {
  const keys = Object.keys(data ?? {}).sort(compareBytes);
  return `map[${keys.map((k) => `${k}:${data![k]}`).join(' ')}]`;
}

/** The value of the `reconcile.external-secrets.io/data-hash` annotation. */
export function dataHash(data: Record<string, Uint8Array>): string {
  return sha3_224Hex(goFormatByteMap(data));
}

/** ESO's hash of ExternalSecret labels and annotations, part of status.syncedResourceVersion. */
export function metaHash(labels: Record<string, string> | undefined, annotations: Record<string, string> | undefined): string {
  return sha3_224Hex(`{annotations:${goFormatStringMap(annotations)} labels:${goFormatStringMap(labels)}}`);
}

/** status.syncedResourceVersion: `<generation>-<meta hash>`. */
export function syncedResourceVersion(meta: {
  generation?: number | undefined;
  labels?: Record<string, string> | undefined;
  annotations?: Record<string, string> | undefined;
}): string {
  return `${meta.generation ?? 0}-${metaHash(meta.labels, meta.annotations)}`;
}

/** The `reconcile.external-secrets.io/created-by` label: sha3-224 of `<ns>/<name>`. */
export function createdByLabel(namespace: string, name: string): string {
  return sha3_224Hex(`${namespace}/${name}`);
}

/**
 * The field manager ESO uses for an ExternalSecret. ESO measures the whole
 * owner string, not the name: past 63 bytes (a name longer than 27) it
 * switches to the hash of the name.
 */
export function fieldManagerFor(esName: string): string {
  const direct = `externalsecrets.external-secrets.io/${esName}`;
  return Buffer.byteLength(direct, 'utf8') > 63 ? `externalsecrets.external-secrets.io/sha3/${sha3_224Hex(esName)}` : direct;
}
