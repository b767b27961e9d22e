/**
 * Where ESO reads a key from: the data and metadata path rules of its vault
 * provider (buildPath / buildMetadataPath), so the same ExternalSecret keys
 * reach the same Vault paths.
 */
import { InvalidSpecError } from '../../util/errors.ts';
import type { KvVersion } from './spec.ts';

export interface PathConfig {
  mount: string | undefined;
  version: KvVersion;
}

/** Strips a leading `<mount>/` (and, on v2, a following `data/`) from a key. */
function relativeToMount(key: string, cfg: PathConfig & { mount: string }): string {
  const prefix = cfg.mount + '/';
  if (!key.startsWith(prefix)) return key;
  let out = key.slice(prefix.length);
  if (cfg.version === 'v2' && out.startsWith('data/')) out = out.slice('data/'.length);
  return out;
}

/** The path of a key's data (without the /v1/ prefix). */
export function dataPath(key: string, cfg: PathConfig): string {
  if (cfg.mount !== undefined) {
    const rest = relativeToMount(key, { ...cfg, mount: cfg.mount });
    return cfg.version === 'v2' ? `${cfg.mount}/data/${rest}` : `${cfg.mount}/${rest}`;
  }
  if (cfg.version === 'v2' && !key.includes('/data/')) {
    const slash = key.indexOf('/');
    return slash < 0 ? `${key}/data` : `${key.slice(0, slash)}/data${key.slice(slash)}`;
  }
  return key;
}

/** The path of a key's KV v2 metadata (also what find lists under). */
export function metadataPath(key: string, cfg: PathConfig): string {
  if (cfg.version === 'v1') return cfg.mount === undefined ? key : `${cfg.mount}/${key}`;
  if (cfg.mount === undefined) {
    if (!key.includes('data')) throw new InvalidSpecError(`provided Path isn't a valid kv v2 path: ${JSON.stringify(key)}`);
    return key.replace('/data/', '/metadata/');
  }
  return `${cfg.mount}/metadata/${relativeToMount(key, { ...cfg, mount: cfg.mount })}`;
}

/** Encodes each segment for a URL, keeping the slashes. */
export function encodePath(path: string): string {
  return path
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/');
}
