/**
 * The access token a gcpsm store client sends, kept for the client's life:
 *
 * - the first call fetches a token; calls after that reuse it;
 * - a token is replaced once two thirds of its life have passed (Google's
 *   tokens live an hour, so about every 40 minutes), lazily by the next call:
 *   an idle store costs nothing;
 * - concurrent callers share one fetch (single-flight);
 * - `invalidate` drops a token the server rejected (UNAUTHENTICATED), so the
 *   next call fetches a new one.
 */
import type { AccessToken, GcpAuthContext, GcpAuthMethod } from './auth/types.ts';
import { SingleFlight } from '../../util/singleflight.ts';

/** When the issuer gives no expiry, assume Google's usual hour. */
const DEFAULT_LIFETIME_MS = 3600_000;

interface Held {
  token: string;
  obtainedAt: number;
  refreshAt: number;
}

export class AccessTokenSession {
  private readonly auth: GcpAuthMethod;
  private readonly ctx: GcpAuthContext;
  private readonly now: () => number;
  private held: Held | undefined;
  private readonly pending = new SingleFlight<Held>();

  constructor(auth: GcpAuthMethod, ctx: GcpAuthContext, now: () => number = Date.now) {
    this.auth = auth;
    this.ctx = ctx;
    this.now = now;
  }

  get methodName(): string {
    return this.auth.name;
  }

  async token(signal: AbortSignal): Promise<string> {
    const h = this.held;
    if (h && this.now() < h.refreshAt) return h.token;
    return (await this.refresh(signal)).token;
  }

  invalidate(token: string): void {
    if (this.held?.token === token) this.held = undefined;
  }

  private refresh(signal: AbortSignal): Promise<Held> {
    return this.pending.run(async (): Promise<Held> => {
      const t: AccessToken = await this.auth.fetchToken(this.ctx, signal);
      this.ctx.remember(t.token);
      const obtainedAt = this.now();
      const lifetime = t.expiresAt ? Math.max(0, t.expiresAt.getTime() - obtainedAt) : DEFAULT_LIFETIME_MS;
      const held: Held = { token: t.token, obtainedAt, refreshAt: obtainedAt + (lifetime * 2) / 3 };
      this.held = held;
      return held;
    });
  }
}
