/** What an auth method gets and gives: a way to obtain a Vault token. */
import type { AmbientUse, StoreCredentialPolicy } from '../../ambient.ts';
import type { ProviderKubeAccess } from '../../types.ts';
import type { RefScope } from '../../util/refs.ts';
import type { VaultApi } from '../api.ts';

export interface LoginResult {
  token: string;
  /** Seconds the token lives; 0 means it does not expire (or is not known to). */
  ttlSeconds: number;
  renewable: boolean;
}

export interface AuthContext {
  api: VaultApi;
  kube: ProviderKubeAccess;
  scope: RefScope;
  /** May this store use the controller's own identity (see ambient.ts). */
  credentials: StoreCredentialPolicy;
  /** Namespace for the login request (auth.namespace, else the store's). */
  namespace: string | undefined;
  recordCall(call: string, status: 'success' | 'error'): void;
  /** Registers a credential so that it is cut out of any error text. */
  remember(secret: string): void;
}

export interface VaultAuthMethod {
  /** Name for messages and logs: "appRole", "kubernetes", ... */
  readonly name: string;
  /**
   * True for tokenSecretRef: the token is read from a Secret, no Vault login
   * happens, and Hush neither renews nor revokes a token it did not create.
   */
  readonly staticToken: boolean;
  /** Set when the method would log in with the controller's own identity: the policy must allow it. */
  readonly ambient?: AmbientUse | undefined;
  login(ctx: AuthContext, signal: AbortSignal): Promise<LoginResult>;
}
