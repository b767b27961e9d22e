/**
 * The decryption keys a SopsSecret may use, and the key context handed to the
 * SOPS codec.
 *
 * Only keys given on purpose are used: the referenced Secret's `*.agekey`
 * entries and `sops.vault-token`, and the controller's own age key file. The
 * controller's environment is otherwise hidden from the codec: no
 * VAULT_TOKEN, no ~/.vault-token, no ~/.config/sops/age/keys.txt, no
 * SOPS_AGE_KEY_CMD. Why: the Vault address comes from the file, which any
 * user who can create a SopsSecret writes; a controller-wide Vault token
 * would be sent to whatever address they chose.
 */
import { parseIdentityLines } from '../../sops/keys/age.ts';
import type { KeyContext } from '../../sops/keys/index.ts';
import { HushError } from '../../util/errors.ts';
import { AGE_KEY_SUFFIX, VAULT_TOKEN_KEY } from './resources.ts';
import { Reasons, SopsSecretError } from './errors.ts';

export interface DecryptionKeys {
  ageIdentities: string[];
  vaultToken?: string;
  /** What was offered, for messages (entry names and counts, never key material). */
  offered: string[];
}

/**
 * Reads the keys out of a decryption Secret's `data` (base64 values).
 * `where` names the Secret in messages, e.g. `Secret "team-a/sops-age"`.
 */
export function keysFromSecretData(where: string, data: Record<string, string> | undefined): DecryptionKeys {
  const keys: DecryptionKeys = { ageIdentities: [], offered: [] };
  for (const entry of Object.keys(data ?? {}).sort()) {
    const text = Buffer.from(data![entry]!, 'base64').toString('utf8');
    if (entry.endsWith(AGE_KEY_SUFFIX)) {
      let ids: string[];
      try {
        ids = parseIdentityLines(text, false);
      } catch (err) {
        const why = err instanceof HushError ? err.message : 'unreadable';
        throw new SopsSecretError(Reasons.DecryptionFailed, 'InvalidConfig', `${where} entry "${entry}": ${why}`);
      }
      keys.ageIdentities.push(...ids);
      keys.offered.push(`${ids.length} age identit${ids.length === 1 ? 'y' : 'ies'} from ${where} entry "${entry}"`);
    } else if (entry === VAULT_TOKEN_KEY) {
      const token = text.trim();
      if (token !== '') {
        keys.vaultToken = token;
        keys.offered.push(`a Vault token from ${where} entry "${entry}"`);
      }
    }
  }
  return keys;
}

/**
 * The codec's key context. Identities from the Secret come first; the
 * controller's age key file (SOPS_AGE_KEY_FILE of the controller) is offered
 * after them. age tries every identity it is given, so the order only decides
 * which one is tried first.
 */
export function keyContext(keys: DecryptionKeys | undefined, defaultAgeKeyFile: string | undefined, timeoutMs = 10_000): KeyContext {
  const env: NodeJS.ProcessEnv = {};
  if (defaultAgeKeyFile) env.SOPS_AGE_KEY_FILE = defaultAgeKeyFile;
  const ctx: KeyContext = { env, home: '', timeoutMs, ageIdentities: [...(keys?.ageIdentities ?? [])] };
  if (keys?.vaultToken) ctx.vaultToken = keys.vaultToken;
  return ctx;
}

/** "2 age identities from ..., the controller's age key file" — for the fix hint of a failed decryption. */
export function describeOffered(keys: DecryptionKeys | undefined, defaultAgeKeyFile: string | undefined): string {
  const parts = [...(keys?.offered ?? [])];
  if (defaultAgeKeyFile) parts.push('the controller\'s age key file');
  return parts.length === 0 ? 'no keys at all' : parts.join(', ');
}
