/** Test helpers: a fresh age key pair, and a Secret manifest encrypted for it with Hush's own codec. */
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { encryptFile } from '../../../sops/codec.ts';
import type { KeyContext } from '../../../sops/keys/index.ts';
import type { Format } from '../../../sops/stores/index.ts';

export interface AgeKeyPair {
  identity: string;
  recipient: string;
}

export async function ageKeyPair(): Promise<AgeKeyPair> {
  const identity = await generateIdentity();
  return { identity, recipient: await identityToRecipient(identity) };
}

const noKeys: KeyContext = { env: {}, home: '' };

/** Encrypts `plain` for `recipient`, values of data/stringData only (as the docs' .sops.yaml does). */
export async function encryptForAge(plain: string, recipient: string, format: Format = 'yaml'): Promise<string> {
  const out = await encryptFile(Buffer.from(plain, 'utf8'), format, {
    keyGroups: [[{ type: 'age', recipient, enc: '' }]],
    rule: { key: 'encrypted_regex', value: '^(data|stringData)$' },
  }, noKeys);
  return out.toString('utf8');
}
