/**
 * Key Vault answers and transport failures, as Hush errors. Messages name the
 * operation, the object and the vault, then Key Vault's own error code and
 * message (redacted of anything this store sent), never a value.
 */
import { AccessDeniedError, AuthError, EgressDeniedError, HushError, InternalError, InvalidConfigError, NotFoundError, ThrottledError, TimeoutError, UnavailableError } from '../../util/errors.ts';
import { redactStoreText } from '../../util/redact.ts';

interface RestErrorLike {
  name?: string;
  message?: string;
  code?: string;
  statusCode?: number;
  response?: { headers?: { get(name: string): string | undefined } };
  details?: unknown;
  cause?: unknown;
}

const tlsCodes = /CERT|SELF_SIGNED|ERR_TLS|ERR_SSL|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/;
const connectCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED', 'REQUEST_SEND_ERROR']);

/** The HushError a credential threw, wherever the SDK wrapped it. */
export function findHushError(err: unknown): HushError | undefined {
  for (let e = err, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    if (e instanceof HushError) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export function statusOf(err: unknown): number | undefined {
  const s = (err as RestErrorLike | undefined)?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

/**
 * `action` reads like "GetSecret \"db\" from https://v.vault.azure.net";
 * `notFound` is the message for a 404 (what the user looks for in status).
 */
const OBJECT_NOT_FOUND = new Set(['SecretNotFound', 'KeyNotFound', 'CertificateNotFound']);

export function toHushError(err: unknown, action: string, notFound: string, sent: Iterable<string>): HushError {
  const inner = findHushError(err);
  if (inner) return inner;
  const e = (err ?? {}) as RestErrorLike;
  // The SDK turns the egress guard's refusal into a RestError that keeps only its code and message
  // (the message is the guard's own, naming no secret); give it its class back.
  if ((e as { code?: unknown }).code === 'EgressDenied') return new EgressDeniedError(`azurekv: ${action}: ${(e as { message?: string }).message ?? 'egress refused'}`);
  const status = statusOf(err);
  const { code, message } = keyVaultError(e);
  const reason = redactStoreText(code && message ? `${message} (${code})` : message || code || 'no error message', sent);
  if (status !== undefined) {
    const msg = `azurekv: ${action}: ${reason} (${status})`;
    // Only Key Vault's own "no such object" codes mean the secret is gone (which can delete a
    // Secret under deletionPolicy Delete). A 404 from anything else in the way (a proxy, a wrong
    // custom domain, a path in vaultUrl) is a configuration problem.
    if (status === 404 && code !== undefined && OBJECT_NOT_FOUND.has(code)) return new NotFoundError(`azurekv: ${notFound} (${code})`);
    if (status === 404) return new InvalidConfigError(`${msg}; is vaultUrl a Key Vault?`);
    if (status === 401) return new AuthError(msg);
    if (status === 403) return new AccessDeniedError(msg);
    if (status === 429) {
      const ra = Number(e.response?.headers?.get('retry-after'));
      return new ThrottledError(msg, Number.isFinite(ra) && ra >= 0 ? { retryAfterMs: ra * 1000 } : {});
    }
    if (status >= 500) return new UnavailableError(msg);
    return new InvalidConfigError(msg);
  }
  if (e.name === 'AbortError') return new TimeoutError(`azurekv: ${action}: cancelled or timed out`);
  const c = e.code ?? '';
  if (tlsCodes.test(c) || /certificate/i.test(e.message ?? '')) {
    return new InvalidConfigError(`azurekv: ${action}: TLS: ${redactStoreText(e.message ?? c, sent)} (check vaultUrl and caBundle/caProvider)`);
  }
  if (c === 'ETIMEDOUT' || c === 'ESOCKETTIMEDOUT') return new TimeoutError(`azurekv: ${action}: ${redactStoreText(e.message ?? c, sent)}`);
  if (connectCodes.has(c)) return new UnavailableError(`azurekv: ${action}: ${redactStoreText(e.message ?? c, sent)}`);
  return new InternalError(`azurekv: ${action}: unexpected ${e.name ?? 'error'}${c ? ` (${c})` : ''}`, { cause: err });
}

/** Key Vault's {error: {code, message, innererror}} as the SDK keeps it; falls back to the SDK's own text. */
function keyVaultError(e: RestErrorLike): { code: string | undefined; message: string | undefined } {
  const d = e.details as { error?: { code?: unknown; message?: unknown; innerError?: { code?: unknown } } } | undefined;
  const inner = d?.error;
  const innerCode = typeof inner?.innerError?.code === 'string' ? inner.innerError.code : undefined;
  const code = innerCode ?? (typeof inner?.code === 'string' ? inner.code : e.code);
  const message = typeof inner?.message === 'string' ? inner.message : e.message;
  return { code, message };
}
