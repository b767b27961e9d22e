/**
 * A SopsSecret failure: the project's error codes plus the condition reason
 * it shows as. Whether to retry follows one rule: what only a change to the
 * SopsSecret can fix (a tampered file, a manifest that is not a Secret) is
 * terminal; what may be fixed elsewhere (the key Secret, Vault, a Secret in
 * the way) is retried with backoff, since nothing would wake us otherwise.
 */
import { HushError, type ErrorCode, type HushErrorOptions } from '../../util/errors.ts';

export const Reasons = {
  Decrypted: 'Decrypted',
  DecryptionFailed: 'DecryptionFailed',
  InvalidManifest: 'InvalidManifest',
  SecretConflict: 'SecretConflict',
  WriteFailed: 'WriteFailed',
} as const;
export type Reason = (typeof Reasons)[keyof typeof Reasons];

export class SopsSecretError extends HushError {
  readonly reason: Reason;
  /** Whether it is retried follows from `code` (util/errors.ts): pick InvalidSpec for what only the SopsSecret can fix. */
  constructor(reason: Reason, code: ErrorCode, message: string, options?: HushErrorOptions) {
    super(code, message, options);
    this.reason = reason;
  }
}

export function invalidManifest(message: string): SopsSecretError {
  return new SopsSecretError(Reasons.InvalidManifest, 'InvalidSpec', message);
}
