/**
 * What the key sources share: the environment they read credentials from and
 * the errors they raise. Every source wraps the 32-byte data key (or a Shamir
 * share of it) for one master key and unwraps it again.
 */
import { EgressPolicy } from '../../net/egress.ts';
import { EgressGuard } from '../../net/guard.ts';

export interface KeyContext {
  /** Environment to read credentials and endpoints from (defaults to process.env). */
  env: NodeJS.ProcessEnv;
  /** Home directory (for ~/.config/sops/age/keys.txt and ~/.vault-token). */
  home: string;
  /** Extra age identities (AGE-SECRET-KEY-…) given directly, e.g. from a Flux `.agekey` Secret. */
  ageIdentities?: string[];
  /** Vault token given directly (e.g. Flux `sops.vault-token`); wins over the environment. */
  vaultToken?: string;
  /** Per-request timeout for network key services, in ms. */
  timeoutMs?: number;
  /**
   * Whether GCP KMS may fall back to the GCE metadata server's credentials
   * (the machine's own identity). The CLI does, as sops; the in-cluster
   * controller does not, so one namespace's file cannot use the controller's identity.
   */
  gcpMetadataCredentials?: boolean;
  /**
   * The egress guard for key services whose address comes from the file (Vault transit, Azure
   * Key Vault). The controller sets the tenant scope: a SopsSecret is a tenant's. Unset (the CLI,
   * acting for its own user on their machine): no policy.
   */
  egress?: EgressGuard;
  /** Largest answer accepted from a key service; default 4 MiB. */
  maxResponseBytes?: number;
}

/** The CLI's guard: it acts for the person running it, who may reach whatever they can. */
export function keyServiceEgress(ctx: KeyContext): EgressGuard {
  return ctx.egress ?? new EgressGuard(new EgressPolicy({ allow: ['0.0.0.0/0', '::/0'] }), 'cluster');
}

export function defaultKeyContext(): KeyContext {
  return { env: process.env, home: process.env.HOME ?? '', timeoutMs: 15_000, gcpMetadataCredentials: true };
}
