/**
 * From a logged KV path to the keys (RawRef.key) a store may have used for it.
 * ESO accepts several spellings of one secret (paths.ts): with a mount set,
 * "app", "secret/app" and "secret/data/app" all read secret/data/app; without
 * a mount, the key is the whole path, with or without "data/". Every spelling
 * is reported: a key nobody reads costs nothing, a spelling left out would be
 * a missed change.
 */
import type { KvVersion } from '../spec.ts';
import type { AuditWrite } from './record.ts';

/** Where a store reads: its Vault namespace ("" = root), its mount (undefined: keys carry it) and KV version. */
export interface FeedScope {
  namespace: string;
  mount: string | undefined;
  version: KvVersion;
}

/** The KV v2 path segments after the mount that name a secret. */
const V2_SEGMENTS = ['data', 'metadata', 'delete', 'destroy', 'undelete'];

const trimSlashes = (s: string): string => s.replace(/^\/+|\/+$/g, '');

/** The secret's name relative to the mount, or undefined when the path names none (a list, config, the mount itself). */
function secretName(rest: string, version: KvVersion): string | undefined {
  if (version === 'v1') return rest === '' ? undefined : rest;
  const slash = rest.indexOf('/');
  if (slash < 0) return undefined; // "config", "data" alone: no secret
  if (!V2_SEGMENTS.includes(rest.slice(0, slash))) return undefined;
  const name = rest.slice(slash + 1);
  return name === '' ? undefined : name;
}

/** The keys of `scope` that the write may have changed; empty when it is not this store's. */
export function keysFor(write: AuditWrite, scope: FeedScope): string[] {
  if (write.namespace !== trimSlashes(scope.namespace)) return [];
  const mount = scope.mount !== undefined ? trimSlashes(scope.mount) : write.mountPoint;
  if (mount === undefined || mount === '') return [];
  // Vault's own idea of the mount, when logged, wins: "secret/x" under a mount "secret/x" is not mount "secret".
  if (write.mountPoint !== undefined && write.mountPoint !== mount) return [];
  if (!write.path.startsWith(mount + '/')) return [];
  const name = secretName(write.path.slice(mount.length + 1), scope.version);
  if (name === undefined) return [];
  const keys = [name, `${mount}/${name}`];
  if (scope.version === 'v2') keys.push(`${mount}/data/${name}`);
  return scope.mount === undefined ? keys.slice(1) : keys;
}
