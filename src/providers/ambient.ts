/**
 * Who may use the controller's own identity, and which ServiceAccount token
 * audiences a store may ask for. Pure decisions, no I/O.
 *
 * Why: a tenant who may create a SecretStore in its namespace chooses the
 * store's server URL. A store without credentials of its own falls back, in
 * ESO, to the controller's: its mounted ServiceAccount token (Vault
 * auth.kubernetes), its cloud identity (the AWS and Google default chains,
 * Azure managed and workload identity). Those would be sent to whatever
 * server the tenant named, or used to read whatever the controller may read.
 * So, after cert-manager's --issuer-ambient-credentials, the controller's own
 * identity is used only for ClusterSecretStores (an administrator wrote them)
 * and for namespaces the operator names; a namespaced SecretStore must bring
 * its own credentials. The same reasoning limits the audiences of tokens
 * minted for a namespaced store's ServiceAccounts: a token for
 * `sts.amazonaws.com` sent to a tenant's "Vault" is a key to that
 * ServiceAccount's cloud role.
 *
 * The SopsSecret path follows the same rule (controllers/sopssecret/keys.ts):
 * it hides the controller's environment from the SOPS codec.
 */
import { PolicyRefusedError } from '../util/errors.ts';

export interface CredentialPolicyOptions {
  /** ClusterSecretStores may use the controller's own identity (--cluster-store-ambient-credentials, default true). */
  clusterStoreAmbient: boolean;
  /** Every SecretStore may (--store-ambient-credentials, default false: ESO's behaviour when true). */
  storeAmbient: boolean;
  /** SecretStores of these namespaces may (--ambient-credentials-namespaces); they may also ask for any token audience. */
  ambientNamespaces: readonly string[];
  /** Token audiences a SecretStore may ask for (--allowed-token-audiences, default "vault"); "*" allows any. */
  allowedTokenAudiences: readonly string[];
  /** A SecretStore may ask for a token without audiences, which gets the API server's own (--allow-default-token-audience, default true). */
  allowDefaultTokenAudience: boolean;
}

export const DEFAULT_CREDENTIAL_POLICY: Readonly<CredentialPolicyOptions> = Object.freeze({
  clusterStoreAmbient: true,
  storeAmbient: false,
  ambientNamespaces: [],
  allowedTokenAudiences: ['vault'],
  allowDefaultTokenAudience: true,
});

/** What a provider would fall back to, for the refusal message. */
export interface AmbientUse {
  /** Where the refused configuration is: "spec.provider.vault.auth.kubernetes". */
  field: string;
  /** What would be used: "the controller's own mounted ServiceAccount token". */
  credential: string;
  /** What to set instead, with full field paths: "spec.provider.vault.auth.kubernetes.serviceAccountRef or ...secretRef". */
  instead: string;
}

/**
 * The policy as one store sees it; handed to providers in StoreContext.credentials.
 * Providers call requireAmbient() right before they would reach for the controller's
 * identity, so a refused store fails before anything is read or sent.
 */
export interface StoreCredentialPolicy {
  /** Whether the controller's own identity may be used for this store. */
  readonly ambientAllowed: boolean;
  /** Throws PolicyRefusedError unless ambientAllowed. */
  requireAmbient(use: AmbientUse): void;
  /**
   * Throws PolicyRefusedError unless a token with these audiences may be minted for this store.
   * `field` names the store field that chose them, for the message.
   */
  checkTokenAudiences(audiences: readonly string[] | undefined, field?: string): void;
}

export type StoreScope = { storeKind: 'SecretStore' | 'ClusterSecretStore'; namespace: string | undefined };

export function storeCredentialPolicy(options: CredentialPolicyOptions, scope: StoreScope): StoreCredentialPolicy {
  const cluster = scope.storeKind === 'ClusterSecretStore';
  const trustedNamespace = !cluster && scope.namespace !== undefined && options.ambientNamespaces.includes(scope.namespace);
  const ambientAllowed = cluster ? options.clusterStoreAmbient : options.storeAmbient || trustedNamespace;
  // Audiences: ClusterSecretStores are written by an administrator, who chose them; a namespace
  // trusted with the controller's own identity is trusted with its own ServiceAccounts' tokens.
  const anyAudience = cluster || trustedNamespace || options.allowedTokenAudiences.includes('*');
  return {
    ambientAllowed,
    requireAmbient(use) {
      if (ambientAllowed) return;
      throw new PolicyRefusedError(ambientRefusal(options, scope, use));
    },
    checkTokenAudiences(audiences, field) {
      if (anyAudience) return;
      const asked = audiences ?? [];
      if (asked.length === 0) {
        if (options.allowDefaultTokenAudience) return;
        throw new PolicyRefusedError(
          `${field ? `${field}: ` : ''}a ServiceAccount token with the API server's default audience may not be minted for a SecretStore ` +
            `(hush controller runs with --allow-default-token-audience=false); set an allowed audience (${allowedList(options)}) in the store, ` +
            'use a ClusterSecretStore, or ask the operator to allow it',
        );
      }
      const refused = asked.filter((a) => !options.allowedTokenAudiences.includes(a));
      if (refused.length === 0) return;
      throw new PolicyRefusedError(
        `${field ? `${field}: ` : ''}ServiceAccount token audience${refused.length === 1 ? '' : 's'} ${refused.map((a) => JSON.stringify(a)).join(', ')} ` +
          `may not be minted for a SecretStore (allowed: ${allowedList(options)}); use an allowed audience, use a ClusterSecretStore, ` +
          `or ask the operator to start hush controller with --allowed-token-audiences=${[...options.allowedTokenAudiences, ...refused].join(',')}` +
          (scope.namespace ? ` or --ambient-credentials-namespaces=${scope.namespace}` : ''),
      );
    },
  };
}

function allowedList(options: CredentialPolicyOptions): string {
  const parts = options.allowedTokenAudiences.map((a) => JSON.stringify(a));
  if (options.allowDefaultTokenAudience) parts.unshift("the API server's default (no audiences)");
  return parts.length === 0 ? 'none' : parts.join(', ');
}

function ambientRefusal(options: CredentialPolicyOptions, scope: StoreScope, use: AmbientUse): string {
  const head = `${use.field}: this store would use ${use.credential}, and`;
  if (scope.storeKind === 'ClusterSecretStore') {
    return (
      `${head} ClusterSecretStores may not use the controller's own credentials (hush controller runs with --cluster-store-ambient-credentials=false); ` +
      `set ${use.instead}, or restart hush controller with --cluster-store-ambient-credentials`
    );
  }
  const listed = [...options.ambientNamespaces, scope.namespace ?? ''].join(',');
  return (
    `${head} a namespaced SecretStore may not use the controller's own credentials; set ${use.instead}, use a ClusterSecretStore, ` +
    `or ask the operator to start hush controller with --ambient-credentials-namespaces=${listed} (or --store-ambient-credentials for every namespace)`
  );
}

/** Parses a comma-separated flag value: trimmed, empty entries dropped. */
export function parseList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
