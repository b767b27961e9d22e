/**
 * SOPS-specific failures that scripts need to tell apart (the CLI maps them
 * to sops' own exit codes). They extend the project's error classes, so
 * codes and retryability stay uniform.
 */
import { AuthError, InvalidDataError } from '../util/errors.ts';

/** The stored MAC does not match the values: the file was changed or corrupted. */
export class MacMismatchError extends InvalidDataError {}
/** The file has no MAC or it cannot be decrypted. */
export class MacNotFoundError extends InvalidDataError {}
/** No master key (or not enough key groups) could give back the data key. */
export class DataKeyError extends AuthError {}
/** The input already carries sops metadata. */
export class AlreadyEncryptedError extends InvalidDataError {}
