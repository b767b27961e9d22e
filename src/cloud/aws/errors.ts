/**
 * AWS SDK errors as Hush errors, for every AWS caller (the providers and the
 * sops KMS key source). Messages carry the operation, the key and
 * AWS's own error code and text — with request ids and signing details cut
 * out (as ESO's SanitizeErr does) and every credential this store sent
 * redacted — and never a request or response body.
 */
import { AccessDeniedError, AuthError, HushError, InternalError, InvalidConfigError, NotFoundError, ThrottledError, TimeoutError, UnavailableError } from '../../util/errors.ts';
import { redactStoreText } from '../../util/redact.ts';

/** Codes AWS uses for "slow down", across Secrets Manager, SSM and STS. */
const throttlingCodes = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'TooManyUpdates',
  'ProvisionedThroughputExceededException',
  'PriorRequestNotComplete',
  'BandwidthLimitExceeded',
]);

/** Codes that mean the credentials themselves are bad, expired or not recognised. */
const authCodes = new Set([
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'ExpiredToken',
  'ExpiredTokenException',
  'RequestExpired',
  'InvalidAccessKeyId',
  'MissingAuthenticationToken',
  'CredentialsProviderError',
  // STS web identity / role assumption
  'InvalidIdentityToken',
  'IDPRejectedClaim',
  'IDPCommunicationError',
  'RegionDisabledException',
  'PackedPolicyTooLarge',
]);

const accessCodes = new Set(['AccessDeniedException', 'AccessDenied', 'AccessDeniedFault', 'KMSAccessDeniedException', 'DecryptionFailure']);

const notFoundCodes = new Set(['ResourceNotFoundException', 'ParameterNotFound']);

/** Errors worth one more attempt after a pause: the service or the network hiccupped. */
const transientCodes = new Set(['InternalServiceError', 'InternalServerError', 'InternalFailure', 'ServiceUnavailable', 'ServiceUnavailableException', 'RequestTimeout', 'RequestTimeoutException']);
const transientNetCodes = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);

interface SdkErrorShape {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

function shape(err: unknown): SdkErrorShape {
  return typeof err === 'object' && err !== null ? err : {};
}

/** AWS's error code ("ResourceNotFoundException"), or a Node network code ("ECONNREFUSED"). */
export function awsErrorCode(err: unknown): string {
  const s = shape(err);
  return s.Code ?? (s.name && s.name !== 'Error' ? s.name : undefined) ?? s.code ?? 'Error';
}

export function isThrottling(err: unknown): boolean {
  const s = shape(err);
  return throttlingCodes.has(awsErrorCode(err)) || s.$retryable?.throttling === true || s.$metadata?.httpStatusCode === 429;
}

export function isTransient(err: unknown): boolean {
  const s = shape(err);
  const code = awsErrorCode(err);
  if (transientCodes.has(code) || transientNetCodes.has(s.code ?? '')) return true;
  if (code === 'TimeoutError') return true;
  const status = s.$metadata?.httpStatusCode;
  return s.$fault === 'server' && status !== undefined && status >= 500 && status !== 501;
}

/** AWS's message with request ids and signing details removed, credentials redacted, whitespace folded. */
export function cleanMessage(err: unknown, secrets: Iterable<string>): string {
  const raw = shape(err).message ?? '';
  const stripped = raw.replace(/request id: \S+/gi, '').replace(/ Credential=.+/g, '');
  return redactStoreText(stripped, secrets) || 'no error message';
}

export interface MapOptions {
  /** Credentials this store has sent or received, cut out of any error text. */
  secrets: Iterable<string>;
  /** `login` marks STS calls: an access-denied answer there means the identity cannot assume the role. */
  kind?: 'login' | 'read';
  /** Set for reads of a named key: ResourceNotFound/ParameterNotFound become NotFoundError (ESO's NoSecretErr). */
  notFoundIsMissing?: boolean;
  retryAfterMs?: number;
}

/**
 * A Hush error for a failed AWS call. `action` reads like
 * `GetSecretValue "db/creds"`; the result reads like
 * `aws: GetSecretValue "db/creds": ResourceNotFoundException: Secrets Manager can't find the specified secret.`
 */
export function toHushError(err: unknown, action: string, opts: MapOptions): HushError {
  if (err instanceof HushError) return err;
  const code = awsErrorCode(err);
  const s = shape(err);
  const reason = cleanMessage(err, opts.secrets);
  const msg = `aws: ${action}: ${code}: ${reason}`;
  if (isThrottling(err)) return new ThrottledError(msg, opts.retryAfterMs === undefined ? {} : { retryAfterMs: opts.retryAfterMs });
  if (authCodes.has(code)) return new AuthError(msg);
  if (accessCodes.has(code)) return opts.kind === 'login' ? new AuthError(msg) : new AccessDeniedError(msg);
  if (notFoundCodes.has(code)) return opts.notFoundIsMissing ? new NotFoundError(msg) : new InvalidConfigError(msg);
  // Secrets Manager answers a read of a secret scheduled for deletion with this; ESO treats it as missing.
  if (code === 'InvalidRequestException' && /marked (for )?delet/i.test(s.message ?? '') && opts.notFoundIsMissing) return new NotFoundError(msg);
  if (code === 'TimeoutError' || s.code === 'ETIMEDOUT') return new TimeoutError(msg);
  if (code === 'AbortError') return new TimeoutError(msg);
  if (transientNetCodes.has(s.code ?? '') || isTransient(err)) return new UnavailableError(msg);
  if (s.$fault === 'client' || (s.$metadata?.httpStatusCode ?? 0) >= 400) return new InvalidConfigError(msg);
  return new InternalError(`aws: ${action}: unexpected ${code}`, { cause: err });
}
