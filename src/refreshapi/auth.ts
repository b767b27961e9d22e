/**
 * Who is calling (TokenReview) and what they may do (SubjectAccessReview), asked of the API
 * server through the controller's own client: the refresh API holds no user list and no
 * policy of its own, so Kubernetes RBAC is the only place rights are granted.
 *
 * Positive token reviews are kept briefly, keyed by a SHA-256 of the token: the token itself
 * is never stored, logged or put in an error. Failed reviews are not kept (a garbage token
 * costs a review each time; the server limits how many reviews it asks for per second).
 */
import { createHash } from 'node:crypto';
import type { KubeClient } from '../kube/client.ts';

export interface UserInfo {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export interface TokenReviewerOptions {
  kube: KubeClient;
  /** Audiences the token must be valid for (empty: the API server's own). */
  audiences?: readonly string[];
  cacheTtlMs?: number;
  maxEntries?: number;
  timeoutMs?: number;
  now?: () => number;
}

export type Authentication = { ok: true; user: UserInfo; cached: boolean } | { ok: false; reason: string };

interface TokenReviewResponse {
  status?: { authenticated?: boolean; user?: UserInfo; audiences?: string[]; error?: string };
}

export class TokenReviewer {
  private readonly cache = new Map<string, { user: UserInfo; until: number }>();
  /** Reviews under way, by digest: a burst of calls with one new token costs one review. */
  private readonly inFlight = new Map<string, Promise<Authentication>>();
  private readonly ttl: number;
  private readonly max: number;
  private readonly now: () => number;
  private readonly o: TokenReviewerOptions;

  constructor(o: TokenReviewerOptions) {
    this.o = o;
    this.ttl = o.cacheTtlMs ?? 30_000;
    this.max = o.maxEntries ?? 1000;
    this.now = o.now ?? Date.now;
  }

  /** A cached positive review, without asking the API server. */
  cached(token: string): UserInfo | undefined {
    const key = digest(token);
    const hit = this.cache.get(key);
    if (!hit) return undefined;
    if (hit.until <= this.now()) {
      this.cache.delete(key);
      return undefined;
    }
    return hit.user;
  }

  /**
   * Reviews the token (throws when the API server cannot be asked: the caller answers 503).
   * Not tied to one caller's abort signal: others may wait on the same review; the client's
   * timeout bounds it.
   */
  async review(token: string): Promise<Authentication> {
    const user = this.cached(token);
    if (user) return { ok: true, user, cached: true };
    const key = digest(token);
    const running = this.inFlight.get(key);
    if (running) return running;
    const p = this.ask(token, key).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, p);
    return p;
  }

  private async ask(token: string, key: string): Promise<Authentication> {
    const spec: Record<string, unknown> = { token };
    if (this.o.audiences?.length) spec.audiences = [...this.o.audiences];
    const res = await this.o.kube.request<TokenReviewResponse>('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
      // `what` names the call in errors; never the token.
      what: 'create tokenreview',
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec },
      timeoutMs: this.o.timeoutMs ?? 5_000,
    });
    const st = res?.status;
    if (!st?.authenticated || !st.user?.username) return { ok: false, reason: 'the token was not accepted' };
    // With audiences asked for, the server answers those the token is valid for; none of them: refuse.
    if (this.o.audiences?.length && !st.audiences?.some((a) => this.o.audiences!.includes(a))) {
      return { ok: false, reason: 'the token is not valid for the refresh API audience' };
    }
    const found: UserInfo = { username: st.user.username, ...(st.user.uid ? { uid: st.user.uid } : {}), groups: st.user.groups ?? [], extra: st.user.extra ?? {} };
    if (this.cache.size >= this.max) {
      // The oldest entry goes first (Map keeps insertion order).
      const first = this.cache.keys().next();
      if (!first.done) this.cache.delete(first.value);
    }
    this.cache.set(key, { user: found, until: this.now() + this.ttl });
    return { ok: true, user: found, cached: false };
  }
}

export interface AccessRequest {
  namespace: string;
  /** Absent: the right on every ExternalSecret of the namespace. */
  name?: string;
}

/**
 * The right a caller needs to refresh an ExternalSecret: the one it would need to set the
 * force-sync annotation itself, `patch` on externalsecrets.external-secrets.io.
 */
export class AccessReviewer {
  private readonly kube: KubeClient;
  private readonly timeoutMs: number;

  constructor(kube: KubeClient, timeoutMs = 5_000) {
    this.kube = kube;
    this.timeoutMs = timeoutMs;
  }

  async mayPatch(user: UserInfo, req: AccessRequest, signal?: AbortSignal): Promise<boolean> {
    const spec = {
      user: user.username,
      ...(user.uid ? { uid: user.uid } : {}),
      groups: user.groups ?? [],
      extra: user.extra ?? {},
      resourceAttributes: {
        namespace: req.namespace,
        verb: 'patch',
        group: 'external-secrets.io',
        resource: 'externalsecrets',
        ...(req.name ? { name: req.name } : {}),
      },
    };
    const res = await this.kube.request<{ status?: { allowed?: boolean; denied?: boolean } }>('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      what: 'create subjectaccessreview',
      body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec },
      signal,
      timeoutMs: this.timeoutMs,
    });
    return res?.status?.allowed === true && res.status.denied !== true;
  }
}

/** The bearer token of an Authorization header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer +([^\s]+)\s*$/i.exec(header);
  return m?.[1];
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
