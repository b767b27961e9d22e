/**
 * Dispatch to the key source for each kind of master key. A master key
 * "template" is a MasterKey whose `enc` is still empty.
 */
import { NotSupportedError } from '../../util/errors.ts';
import type { MasterKey } from '../metadata.ts';
import { describeKey, nowRfc3339 } from '../metadata.ts';
import { unwrapAge, wrapAge } from './age.ts';
import { unwrapKms, wrapKms } from './awskms.ts';
import { unwrapAzureKv, wrapAzureKv } from './azurekv.ts';
import { unwrapGcpKms, wrapGcpKms } from './gcpkms.ts';
import type { KeyContext } from './types.ts';
import { unwrapVault, wrapVault } from './vault.ts';

export type { KeyContext } from './types.ts';
export { defaultKeyContext } from './types.ts';

/** Encrypts `part` (the data key or its Shamir share) for one master key. */
export async function wrapKey(template: MasterKey, part: Uint8Array, ctx: KeyContext): Promise<MasterKey> {
  const createdAt = nowRfc3339();
  switch (template.type) {
    case 'age':
      return wrapAge(template.recipient, part);
    case 'hc_vault':
      return { ...(await wrapVault(template, part, ctx)), createdAt };
    case 'kms':
      return { ...(await wrapKms(template, part, ctx)), createdAt };
    case 'gcp_kms':
      return { ...(await wrapGcpKms(template.resourceId, part, ctx)), createdAt };
    case 'azure_kv':
      return { ...(await wrapAzureKv(template, part, ctx)), createdAt };
    default:
      throw new NotSupportedError(`encrypting with ${describeKey(template)} is not supported yet`);
  }
}

export async function unwrapKey(key: MasterKey, ctx: KeyContext): Promise<Buffer> {
  switch (key.type) {
    case 'age':
      return unwrapAge(key, ctx);
    case 'hc_vault':
      return unwrapVault(key, ctx);
    case 'kms':
      return unwrapKms(key, ctx);
    case 'gcp_kms':
      return unwrapGcpKms(key, ctx);
    case 'azure_kv':
      return unwrapAzureKv(key, ctx);
    default:
      throw new NotSupportedError(`decrypting with ${describeKey(key)} is not supported yet`);
  }
}

/** The same master key with its wrapped data key removed (to wrap a new one). */
export function templateOf(key: MasterKey): MasterKey {
  return { ...key, enc: '', ...('createdAt' in key ? { createdAt: '' } : {}) };
}

/** Whether two master keys name the same key (ignoring the wrapped data). */
export function sameKey(a: MasterKey, b: MasterKey): boolean {
  // An Azure key named without a version (in .sops.yaml or a flag) is the one pinned in the file.
  if (a.type === 'azure_kv' && b.type === 'azure_kv' && (a.version === '' || b.version === '')) {
    return a.vaultUrl.replace(/\/+$/, '') === b.vaultUrl.replace(/\/+$/, '') && a.name === b.name;
  }
  return describeKey(a) === describeKey(b) && (a.type !== 'age' || b.type !== 'age' || a.recipient === b.recipient);
}
