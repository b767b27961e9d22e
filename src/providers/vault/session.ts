/**
 * The token a store client uses, kept for the client's life instead of a
 * login per reconcile (ESO's default, see issue #376):
 *
 * - the first read logs in; reads after that reuse the token;
 * - once two thirds of the token's TTL have passed, the next read renews it
 *   (auth/token/renew-self) if it is renewable, else logs in again; a renewal
 *   that fails, or that Vault caps at the token's max TTL, leads to a login;
 * - reads that arrive while a login or renewal is running wait for that one
 *   (single-flight), so a burst of reads causes one login, not one each;
 * - `invalidate` drops a token Vault no longer accepts, so the next read logs in.
 *
 * Renewal is lazy (done by the next read) rather than on a timer: an idle store
 * costs nothing, and a token that expired while idle is simply replaced.
 */
import { getOwn, isJsonObject } from '../util/gojson.ts';
import type { VaultApi } from './api.ts';
import { loginResult } from './auth/login.ts';
import type { AuthContext, LoginResult, VaultAuthMethod } from './auth/types.ts';

interface Held {
  token: string;
  obtainedAt: number;
  ttlMs: number;
  renewable: boolean;
}

export class TokenSession {
  private readonly auth: VaultAuthMethod | undefined;
  private readonly ctx: AuthContext;
  private readonly api: VaultApi;
  private readonly now: () => number;
  private held: Held | undefined;
  private pending: Promise<Held> | undefined;
  private checking: { token: string; result: Promise<boolean> } | undefined;

  constructor(auth: VaultAuthMethod | undefined, ctx: AuthContext, now: () => number = Date.now) {
    this.auth = auth;
    this.ctx = ctx;
    this.api = ctx.api;
    this.now = now;
  }

  /** True when a rejected token can be replaced (by a login, or by re-reading the token Secret). */
  get canRefresh(): boolean {
    return this.auth !== undefined;
  }

  /** The token to send, logging in or renewing first when due. Undefined without an auth block. */
  async token(signal: AbortSignal): Promise<string | undefined> {
    if (!this.auth) return undefined;
    const h = this.held;
    if (h && !this.due(h)) return h.token;
    return (await this.refresh(h, signal)).token;
  }

  /**
   * Revokes a token this session obtained by logging in (never a token the user gave us), so
   * replaced or shut-down clients do not leave live tokens behind until their TTL runs out.
   * Best effort: a failure is counted and otherwise ignored.
   */
  async revoke(signal: AbortSignal): Promise<void> {
    const h = this.held;
    this.held = undefined;
    if (!h || !this.auth || this.auth.staticToken) return;
    try {
      await this.api.send({ method: 'POST', path: 'auth/token/revoke-self', token: h.token, signal });
      this.ctx.recordCall('RevokeSelf', 'success');
    } catch {
      this.ctx.recordCall('RevokeSelf', 'error');
    }
  }

  /** Forgets `token` if it is still the current one, so the next token() call logs in. */
  invalidate(token: string | undefined): void {
    if (token !== undefined && this.held?.token === token) this.held = undefined;
  }

  /** True when `token` is no longer the one in use (another read already replaced or dropped it). */
  superseded(token: string | undefined): boolean {
    return token !== undefined && this.held?.token !== token;
  }

  /**
   * Asks Vault whether `token` is still valid (lookup-self). Used after a 403
   * to tell "this token is dead" (log in again) from "this token may not read
   * that path" (a policy answer, which a new login would not change).
   */
  isValid(token: string | undefined, signal: AbortSignal): Promise<boolean> {
    if (token === undefined) return Promise.resolve(false);
    if (this.checking?.token === token) return this.checking.result;
    const result = this.lookupSelf(token, signal).then(
      () => true,
      () => false,
    );
    this.checking = { token, result };
    void result.finally(() => {
      if (this.checking?.result === result) this.checking = undefined;
    });
    return result;
  }

  /** GET auth/token/lookup-self; throws the mapped Hush error. Returns the token's data. */
  async lookupSelf(token: string | undefined, signal: AbortSignal): Promise<Record<string, unknown>> {
    try {
      const a = await this.api.send({ method: 'GET', path: 'auth/token/lookup-self', token, signal });
      if (a.status === 404) throw new Error('lookup-self answered 404');
      this.ctx.recordCall('LookupSelf', 'success');
      const data = isJsonObject(a.body) ? getOwn(a.body, 'data') : undefined;
      return isJsonObject(data) ? data : {};
    } catch (err) {
      this.ctx.recordCall('LookupSelf', 'error');
      throw this.api.toHushError(err, 'look up token (auth/token/lookup-self)', 'login');
    }
  }

  private due(h: Held): boolean {
    return h.ttlMs > 0 && this.now() >= h.obtainedAt + (h.ttlMs * 2) / 3;
  }

  private refresh(current: Held | undefined, signal: AbortSignal): Promise<Held> {
    if (this.pending) return this.pending;
    const p = (async (): Promise<Held> => {
      let next: LoginResult | undefined;
      const stillValid = current !== undefined && this.now() < current.obtainedAt + current.ttlMs;
      if (current && current.renewable && stillValid && !(this.auth as VaultAuthMethod).staticToken) {
        next = await this.renew(current, signal);
      }
      next ??= await (this.auth as VaultAuthMethod).login(this.ctx, signal);
      const held: Held = { token: next.token, obtainedAt: this.now(), ttlMs: next.ttlSeconds * 1000, renewable: next.renewable };
      this.held = held;
      return held;
    })();
    this.pending = p;
    void p.then(
      () => {
        if (this.pending === p) this.pending = undefined;
      },
      () => {
        if (this.pending === p) this.pending = undefined;
      },
    );
    return p;
  }

  /** Renews the token; undefined when a login is the better answer (failure, or the max TTL was reached). */
  private async renew(current: Held, signal: AbortSignal): Promise<LoginResult | undefined> {
    try {
      const a = await this.api.send({ method: 'POST', path: 'auth/token/renew-self', token: current.token, json: {}, namespace: this.ctx.namespace, signal });
      const r = a.status === 404 ? undefined : loginResult(a.body);
      if (!r) {
        this.ctx.recordCall('RenewSelf', 'error');
        return undefined;
      }
      this.ctx.recordCall('RenewSelf', 'success');
      const remaining = current.obtainedAt + current.ttlMs - this.now();
      // Vault caps renewals at the token's max TTL: if renewing bought (almost)
      // nothing, keep the token until it is due again but log in then.
      const capped = r.ttlSeconds * 1000 <= remaining + 1000;
      return { token: r.token || current.token, ttlSeconds: r.ttlSeconds, renewable: r.renewable && !capped };
    } catch {
      this.ctx.recordCall('RenewSelf', 'error');
      return undefined;
    }
  }
}
