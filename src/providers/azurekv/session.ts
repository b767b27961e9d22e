/**
 * The access token a store client uses, kept for the client's life and
 * handed to the Key Vault SDK clients as their TokenCredential:
 *
 * - the first read gets a token; reads after that reuse it;
 * - once two thirds of its lifetime have passed, the next read gets a new one
 *   (Entra ID tokens live 60–90 minutes; nothing renews them in place);
 * - reads that arrive while a token request is running wait for that one
 *   (single-flight), so a burst of reads causes one token request;
 * - `invalidate` drops a token the vault rejected, so the next read asks again.
 *
 * The resource is fixed by the store's cloud (see cloud.ts) and the scopes the
 * SDK asks for are ignored, unless the cloud leaves the resource open (a
 * custom cloud without keyVaultEndpoint), where the vault's challenge names it.
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import type { AuthContext, AzureAuthMethod, AzureToken } from './auth/types.ts';
import { SingleFlight } from '../../util/singleflight.ts';


interface Held extends AzureToken {
  obtainedAt: number;
  resource: string;
}

export class TokenSession implements TokenCredential {
  private readonly method: AzureAuthMethod;
  private readonly ctx: AuthContext;
  private readonly fixedResource: string | undefined;
  private readonly storeSignal: AbortSignal;
  private readonly now: () => number;
  private held: Held | undefined;
  private readonly pending = new SingleFlight<Held>();

  constructor(method: AzureAuthMethod, ctx: AuthContext, storeSignal: AbortSignal, now: () => number = Date.now) {
    this.method = method;
    this.ctx = ctx;
    this.fixedResource = ctx.cloud.keyVaultResource;
    this.storeSignal = storeSignal;
    this.now = now;
  }

  get describe(): string {
    return this.method.describe;
  }

  /** TokenCredential, called by the SDK's authentication policy. */
  async getToken(scopes: string | string[], _options?: GetTokenOptions): Promise<AccessToken | null> {
    const requested = (Array.isArray(scopes) ? scopes[0] : scopes)?.replace(/\/\.default$/, '');
    const h = await this.token(this.fixedResource ?? requested ?? '');
    return { token: h.token, expiresOnTimestamp: h.expiresAt, refreshAfterTimestamp: this.refreshAt(h), tokenType: 'Bearer' };
  }

  /** The current token for `resource`, fetching one when none is held or it is due. */
  async token(resource: string = this.fixedResource ?? ''): Promise<Held> {
    const h = this.held;
    if (h && h.resource === resource && this.now() < this.refreshAt(h)) return h;
    return this.refresh(resource);
  }

  /** Forgets `token` if it is still the current one. */
  invalidate(token?: string): void {
    if (token === undefined || this.held?.token === token) this.held = undefined;
  }

  private refreshAt(h: Held): number {
    return h.obtainedAt + ((h.expiresAt - h.obtainedAt) * 2) / 3;
  }

  private refresh(resource: string): Promise<Held> {
    // Token requests follow the store's life, not one read's: a read that is
    // cancelled must not fail the token every other read is waiting for.
    return this.pending.run(async (): Promise<Held> => {
      const obtainedAt = this.now();
      const t = await this.method.token(this.ctx, resource, this.storeSignal);
      const held: Held = { ...t, obtainedAt, resource };
      this.ctx.remember(t.token);
      this.held = held;
      return held;
    });
  }
}
