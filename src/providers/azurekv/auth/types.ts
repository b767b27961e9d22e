/**
 * What an Azure auth method gets and gives. Each method turns the store's
 * configuration into an access token for the Key Vault resource; the session
 * (../session.ts) decides when to ask for one.
 */
import type { StoreCredentialPolicy } from '../../ambient.ts';
import type { ProviderKubeAccess } from '../../types.ts';
import type { HttpClient } from '../../util/http.ts';
import type { RefScope } from '../../util/refs.ts';
import type { CloudEndpoints } from '../cloud.ts';
import type { AzureKvSpec } from '../spec.ts';

export interface AzureToken {
  token: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

export interface AuthContext {
  spec: AzureKvSpec;
  cloud: CloudEndpoints;
  kube: ProviderKubeAccess;
  scope: RefScope;
  /** May this store use the controller's own identity (see ambient.ts). */
  credentials: StoreCredentialPolicy;
  /** Keep-alive client for the Entra ID authority host (TLS as configured for the store). */
  authority(): HttpClient;
  /** Keep-alive client for the managed-identity endpoint (IMDS or its override). */
  imds(): HttpClient;
  recordCall(call: string, status: 'success' | 'error'): void;
  /** Registers a credential this store sends, so error text that echoes it is redacted. */
  remember(secret: string): void;
  /** Credentials remembered so far. */
  sent(): Iterable<string>;
  /** Reads process environment variables (injectable for tests). */
  env(name: string): string | undefined;
}

export interface AzureAuthMethod {
  /** For messages: "service principal (client secret)", "managed identity", ... */
  readonly describe: string;
  /** A fresh token for `resource` (e.g. https://vault.azure.net). */
  token(ctx: AuthContext, resource: string, signal: AbortSignal): Promise<AzureToken>;
}
