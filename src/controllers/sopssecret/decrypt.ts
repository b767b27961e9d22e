/**
 * spec.encrypted → the plain manifest, as a JSON value. The SOPS codec does
 * the work; this module picks the format, checks that the file holds one
 * document, and turns codec errors into SopsSecret failures with a fix.
 *
 * The plaintext exists only as the returned object: it is never logged and
 * never put into an error. It is turned into JSON from the codec's own tree
 * (in the sandbox), so a parser error cannot quote a secret value.
 */
import type { SopsFormat } from '../../api/hush/index.ts';
import { recoverDataKey } from '../../sops/codec.ts';
import { DataKeyError, MacMismatchError, MacNotFoundError } from '../../sops/errors.ts';
import { unwrapKey, type KeyContext } from '../../sops/keys/index.ts';
import type { MasterKey } from '../../sops/metadata.ts';
import { sandbox, type JobRunner } from '../../sandbox/index.ts';
import type { AgeOutcome } from '../../sandbox/sops.ts';
import { fromWire } from '../../sandbox/wire.ts';
import { describeError, hasCode, InternalError, isHushError } from '../../util/errors.ts';
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

/**
 * Decrypts and verifies (MAC) the file; returns the one document it holds, as JSON.
 *
 * The file is the tenant's: parsing it, the age work and the decryption run in the sandbox
 * (sandbox/sops.ts), off the event loop and under its limits. Vault and KMS calls stay here,
 * with the key context's timeouts (they are I/O, not CPU, and must not count against a job's clock).
 */
export async function decryptManifest(text: string, format: SopsFormat, ctx: KeyContext, hints: DecryptHints, runner: JobRunner = sandbox()): Promise<unknown> {
  let opened;
  try {
    const parsed = await runner.run('sops.parse', { text, format, age: { env: ctx.env, home: ctx.home, ageIdentities: ctx.ageIdentities ?? [] } });
    const tried = new Map<MasterKey, AgeOutcome>();
    parsed.metadata.keyGroups.forEach((g, i) => g.forEach((k, j) => {
      const o = parsed.age[i]?.[j];
      if (o) tried.set(k, o);
    }));
    const dataKey = await recoverDataKey(parsed.metadata, ctx, (key, c) => {
      if (key.type !== 'age') return unwrapKey(key, c);
      // The worker tried the age keys in the order asked here and stopped at the first that worked.
      const o = tried.get(key);
      if (!o) return Promise.reject(new InternalError('age key not tried in the sandbox'));
      return 'part' in o ? Promise.resolve(Buffer.from(o.part)) : Promise.reject(fromWire(o.error));
    });
    opened = await runner.run('sops.open', { text, format, dataKey: new Uint8Array(dataKey) });
  } catch (err) {
    throw explain(err, format, hints);
  }
  if (opened.docs !== 1) {
    throw invalidManifest(`${hints.subject}: spec.encrypted holds ${opened.docs} YAML documents; it must hold exactly one v1 Secret. Fix: encrypt one Secret per file and make one SopsSecret for each.`);
  }
  return opened.manifest;
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
