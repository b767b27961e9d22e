/** What a gcpsm auth method gets and gives: a way to obtain a Google OAuth2 access token. */
import type { StoreCredentialPolicy } from '../../ambient.ts';
import type { ProviderKubeAccess } from '../../types.ts';
import type { RefScope } from '../../util/refs.ts';
import type { GcpEndpoints } from '../endpoints.ts';
import type { TokenHttp } from './http.ts';

export interface AccessToken {
  token: string;
  /** Undefined when the issuer did not say; the session then refreshes after an hour. */
  expiresAt: Date | undefined;
}

export interface GcpAuthContext {
  kube: ProviderKubeAccess;
  scope: RefScope;
  /** May this store use the controller's own identity (see ambient.ts). */
  credentials: StoreCredentialPolicy;
  endpoints: GcpEndpoints;
  http: TokenHttp;
  recordCall(call: string, status: 'success' | 'error'): void;
  /** Registers a credential so that it is cut out of any error text. */
  remember(secret: string): void;
}

export interface GcpAuthMethod {
  /** For messages: "service account key", "workload identity", ... */
  readonly name: string;
  fetchToken(ctx: GcpAuthContext, signal: AbortSignal): Promise<AccessToken>;
}

/** The OAuth2 scope Secret Manager needs (ESO asks for the same). */
export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

/** Runs one token call and counts it under `call` in the provider-call metric. */
export async function observed<T>(ctx: GcpAuthContext, call: string, fn: () => Promise<T>): Promise<T> {
  try {
    const out = await fn();
    ctx.recordCall(call, 'success');
    return out;
  } catch (err) {
    ctx.recordCall(call, 'error');
    throw err;
  }
}
