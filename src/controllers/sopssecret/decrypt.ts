/**
 * spec.encrypted → the plain manifest, as a JSON value. The SOPS codec does
 * the work; this module picks the format, checks that the file holds one
 * document, and turns codec errors into SopsSecret failures with a fix.
 *
 * The plaintext exists only as the returned object: it is never logged,
 * never put into an error, and never parsed from text (the codec's tree is
 * converted directly), so a parser error cannot quote a secret value.
 */
import type { SopsFormat } from '../../api/hush/index.ts';
import { openFile } from '../../sops/codec.ts';
import { DataKeyError, MacMismatchError, MacNotFoundError } from '../../sops/errors.ts';
import type { KeyContext } from '../../sops/keys/index.ts';
import { stringifyPlain } from '../../sops/stores/index.ts';
import { describeError, hasCode, isHushError } from '../../util/errors.ts';
import { Reasons, SopsSecretError, invalidManifest } from './errors.ts';

/** The declared format, else JSON when the text starts with `{`, else YAML (what sops writes for a .yaml file). */
export function detectFormat(text: string, declared?: SopsFormat): SopsFormat {
  if (declared) return declared;
  return text.trimStart().startsWith('{') ? 'json' : 'yaml';
}

export interface DecryptHints {
  /** `SopsSecret "ns/name"`, the start of every message. */
  subject: string;
  /** What keys were offered, for the "no key could decrypt" fix. */
  offered: string;
  /** Where keys go, e.g. `Secret "ns/sops-age" (spec.decryption.secretRef)`. */
  keyHome: string;
}

/** Decrypts and verifies (MAC) the file; returns the one document it holds, as JSON. */
export async function decryptManifest(text: string, format: SopsFormat, ctx: KeyContext, hints: DecryptHints): Promise<unknown> {
  let docs;
  try {
    ({ docs } = await openFile(Buffer.from(text, 'utf8'), format, ctx));
  } catch (err) {
    throw explain(err, format, hints);
  }
  if (docs.length !== 1) {
    throw invalidManifest(`${hints.subject}: spec.encrypted holds ${docs.length} YAML documents; it must hold exactly one v1 Secret. Fix: encrypt one Secret per file and make one SopsSecret for each.`);
  }
  return JSON.parse(stringifyPlain('json', docs).toString('utf8')) as unknown;
}

function explain(err: unknown, format: SopsFormat, h: DecryptHints): SopsSecretError {
  const why = describeError(err);
  const prefix = `${h.subject}: cannot decrypt spec.encrypted (${format}): ${why}.`;
  if (err instanceof DataKeyError) {
    return new SopsSecretError(Reasons.DecryptionFailed, err.code, `${prefix} Keys offered: ${h.offered}. Fix: put an age identity for one of the file's recipients in an entry ending in ".agekey" of ${h.keyHome}, or a Vault token allowed to use the transit key in its "sops.vault-token" entry.`, { cause: err });
  }
  if (err instanceof MacMismatchError || err instanceof MacNotFoundError) {
    // InvalidSpec: the file in spec.encrypted is what is wrong, so only a change to the SopsSecret helps.
    return new SopsSecretError(Reasons.DecryptionFailed, 'InvalidSpec', `${prefix} Fix: the file was changed after it was encrypted; edit it with \`sops edit\` or \`hush sops edit\` (never by hand) and apply it again.`, { cause: err });
  }
  if (hasCode(err, 'InvalidData', 'InvalidSpec', 'InvalidConfig', 'NotSupported')) {
    return new SopsSecretError(Reasons.DecryptionFailed, 'InvalidSpec', `${prefix} Fix: paste the file exactly as sops wrote it under spec.encrypted (a YAML block scalar: \`encrypted: |\`), and re-encrypt it if it was edited by hand.`, { cause: err });
  }
  // Anything else (a key service that failed in an unexpected way) may pass; retry.
  return new SopsSecretError(Reasons.DecryptionFailed, isHushError(err) && err.retryable ? err.code : 'Internal', prefix, { cause: err });
}
