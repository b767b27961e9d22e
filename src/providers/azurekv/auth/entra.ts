/**
 * The OAuth 2.0 client-credentials request to Microsoft Entra ID's v2 token
 * endpoint, shared by the client-secret, client-certificate and
 * federated-token (workload identity) methods; and the mapping of token
 * endpoint answers to Hush errors. Entra's `error_description` (AADSTS code
 * and text) is the reason a person needs, so it goes into the message, with
 * any credential this store sent cut out.
 */
import { AuthError, HushError, InternalError, InvalidConfigError, InvalidDataError, ThrottledError, TimeoutError, UnavailableError } from '../../../util/errors.ts';
import { HttpTransportError, type HttpResponse } from '../../util/http.ts';
import { redactStoreText } from '../../../util/redact.ts';
import { defaultScope, tokenEndpoint } from '../cloud.ts';
import type { AuthContext, AzureToken } from './types.ts';

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface ClientCredentials {
  tenantId: string;
  clientId: string;
  /** client_secret, or client_assertion (+ its type). */
  secret?: string | undefined;
  assertion?: string | undefined;
}

export async function requestEntraToken(ctx: AuthContext, creds: ClientCredentials, resource: string, what: string, signal: AbortSignal): Promise<AzureToken> {
  const url = new URL(tokenEndpoint(ctx.cloud.authorityHost, creds.tenantId));
  const form = new URLSearchParams({ client_id: creds.clientId, scope: defaultScope(resource), grant_type: 'client_credentials' });
  if (creds.secret !== undefined) {
    ctx.remember(creds.secret);
    form.set('client_secret', creds.secret);
  }
  if (creds.assertion !== undefined) {
    ctx.remember(creds.assertion);
    form.set('client_assertion_type', JWT_BEARER);
    form.set('client_assertion', creds.assertion);
  }
  let res: HttpResponse;
  try {
    res = await ctx.authority().request({
      method: 'POST',
      path: url.pathname,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
      signal,
    });
  } catch (err) {
    ctx.recordCall('GetToken', 'error');
    throw transportError(err, `azurekv: ${what}: token request to ${url.origin}`, ctx.sent());
  }
  if (res.status !== 200) {
    ctx.recordCall('GetToken', 'error');
    throw tokenStatusError(res, `azurekv: ${what}: Entra ID refused the token request`, ctx.sent());
  }
  ctx.recordCall('GetToken', 'success');
  return parseTokenAnswer(res, what);
}

/** Reads {access_token, expires_in | expires_on} from a token answer (Entra v2 and IMDS shapes). */
export function parseTokenAnswer(res: HttpResponse, what: string): AzureToken {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(res.body.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new InvalidDataError(`azurekv: ${what}: the token answer is not JSON`);
  }
  const token = body.access_token;
  if (typeof token !== 'string' || token === '') throw new InvalidDataError(`azurekv: ${what}: the token answer has no access_token`);
  const now = Date.now();
  // IMDS sends numbers as strings; expires_on is epoch seconds, expires_in a lifetime.
  const on = Number(body.expires_on);
  const inSecs = Number(body.expires_in);
  let expiresAt = now + 3600_000;
  if (Number.isFinite(on) && on > 0) expiresAt = on * 1000;
  else if (Number.isFinite(inSecs) && inSecs > 0) expiresAt = now + inSecs * 1000;
  return { token, expiresAt };
}

export function tokenStatusError(res: HttpResponse, prefix: string, sent: Iterable<string>): HushError {
  let reason = '';
  try {
    const b = JSON.parse(res.body.toString('utf8')) as Record<string, unknown>;
    const desc = typeof b.error_description === 'string' ? b.error_description : typeof b.message === 'string' ? b.message : '';
    const code = typeof b.error === 'string' ? b.error : '';
    reason = [code, desc].filter((s) => s !== '').join(': ');
  } catch {
    // not JSON: the status says enough
  }
  const msg = `${prefix}: ${redactStoreText(reason || 'no error description', sent)} (${res.status})`;
  if (res.status === 429) return new ThrottledError(msg, retryAfter(res));
  if (res.status >= 500) return new UnavailableError(msg);
  if (res.status === 404) return new InvalidConfigError(`${msg}; check the tenant and the authority (environmentType/customCloudConfig)`);
  return new AuthError(msg);
}

export function transportError(err: unknown, prefix: string, sent: Iterable<string>): HushError {
  if (err instanceof HushError) return err;
  if (err instanceof HttpTransportError) {
    const msg = `${prefix}: ${redactStoreText(err.message, sent)}`;
    if (err.kind === 'timeout' || err.kind === 'aborted') return new TimeoutError(msg);
    if (err.kind === 'tls') return new InvalidConfigError(`${msg} (check caBundle/caProvider)`);
    return new UnavailableError(msg);
  }
  return new InternalError(`${prefix}: unexpected ${err instanceof Error ? err.name : 'error'}`, { cause: err });
}

function retryAfter(res: HttpResponse): { retryAfterMs?: number } {
  const h = res.headers['retry-after'];
  const s = Number(Array.isArray(h) ? h[0] : h);
  return Number.isFinite(s) && s >= 0 ? { retryAfterMs: s * 1000 } : {};
}
