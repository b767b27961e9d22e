/**
 * A SopsSecret failure: the project's error codes plus the condition reason
 * it shows as. Whether to retry follows one rule: what only a change to the
 * SopsSecret can fix (a tampered file, a manifest that is not a Secret) is
 * terminal; what may be fixed elsewhere (the key Secret, Vault, a Secret in
 * the way) is retried with backoff, since nothing would wake us otherwise.
 */
import { HushError, type ErrorCode } from '../../util/errors.ts';

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
  constructor(reason: Reason, code: ErrorCode, message: string, options: { retryable: boolean; cause?: unknown }) {
    super(code, message, options);
    this.reason = reason;
  }
}

export function invalidManifest(message: string): SopsSecretError {
  return new SopsSecretError(Reasons.InvalidManifest, 'InvalidData', message, { retryable: false });
}
