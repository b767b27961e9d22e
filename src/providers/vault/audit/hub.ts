/**
 * The process-wide meeting point of the audit feed: listeners hand it each
 * successful write, Vault store clients subscribe with their scope (namespace,
 * mount, KV version) and get the keys of their store that may have changed.
 *
 * When the feed cannot vouch for what it saw (a record dropped as too long or
 * unreadable, a connection cut mid-record, the listener gone), every
 * subscriber gets onError and is dropped: per the ChangeFeed contract the
 * engine keeps refreshing on its timer and subscribes again later.
 */
import { UnavailableError } from '../../../util/errors.ts';
import { keysFor, type FeedScope } from './keys.ts';
import type { AuditWrite } from './record.ts';

export interface FeedHandlers {
  onChange(keys: string[]): void;
  onError(err: Error): void;
}

interface Subscription {
  scope: FeedScope;
  handlers: FeedHandlers;
}

export class AuditHub {
  private readonly subs = new Set<Subscription>();
  private closedBy: Error | undefined;

  /** Registers a store's interest; returns stop(), which is idempotent. */
  subscribe(scope: FeedScope, handlers: FeedHandlers): () => void {
    const sub: Subscription = { scope, handlers };
    if (this.closedBy) {
      // Told at once rather than never: a subscription to a dead feed would hear nothing.
      const err = this.closedBy;
      queueMicrotask(() => handlers.onError(err));
      return () => {};
    }
    this.subs.add(sub);
    return () => {
      this.subs.delete(sub);
    };
  }

  /** The number of live subscriptions (for tests and metrics). */
  get size(): number {
    return this.subs.size;
  }

  /** A successful write seen by a listener. */
  publish(write: AuditWrite): void {
    for (const sub of [...this.subs]) {
      const keys = keysFor(write, sub.scope);
      if (keys.length === 0) continue;
      try {
        sub.handlers.onChange(keys);
      } catch {
        // One subscriber's failure must not starve the others; the engine logs its own errors.
      }
    }
  }

  /** The feed may have missed a write: every subscriber falls back to its timer. */
  lost(reason: string): void {
    const err = new UnavailableError(`vault audit feed: ${reason}; a change may have been missed, refreshing on the timer until the feed is subscribed again`);
    const subs = [...this.subs];
    this.subs.clear();
    for (const sub of subs) {
      try {
        sub.handlers.onError(err);
      } catch {
        // as in publish
      }
    }
  }

  /** The listener is gone for good: current and later subscribers are told so. */
  close(reason: string): void {
    this.lost(reason);
    this.closedBy = new UnavailableError(`vault audit feed: ${reason}`);
  }
}
