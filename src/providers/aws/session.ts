/**
 * The credentials a store client signs with, kept for the client's life
 * instead of being rebuilt every reconcile (ESO builds a new AWS config, and
 * for roles calls STS, on every reconcile):
 *
 * - the first call obtains them; calls after that reuse them;
 * - temporary credentials (STS) are replaced once two thirds of their life
 *   has passed, and at least a minute before they expire;
 * - credentials without an expiry (keys from a Secret) are re-read every few
 *   minutes, so a rotated key in the Secret is picked up without a restart;
 * - calls that arrive while a refresh runs wait for that one (single-flight);
 * - `invalidate` drops credentials AWS rejected, so the next call gets new ones.
 */
import type { AwsCredentials, CredentialProvider, CredentialSource } from './auth/types.ts';
import { SingleFlight } from '../../util/singleflight.ts';
import { HushError } from '../../util/errors.ts';
import type { ValidationResult } from '../types.ts';
import { toHushError } from '../../cloud/aws/errors.ts';

const STATIC_REREAD_MS = 5 * 60_000;
const MIN_MARGIN_MS = 60_000;

interface Held {
  creds: AwsCredentials;
  refreshAt: number;
}

export class CredentialSession implements CredentialProvider {
  private readonly source: CredentialSource;
  private readonly storeSignal: AbortSignal | undefined;
  private readonly now: () => number;
  private held: Held | undefined;
  private readonly pending = new SingleFlight<Held>();

  constructor(source: CredentialSource, opts: { storeSignal?: AbortSignal; now?: () => number } = {}) {
    this.source = source;
    this.storeSignal = opts.storeSignal;
    this.now = opts.now ?? Date.now;
  }

  get name(): string {
    return this.source.name;
  }

  async get(): Promise<AwsCredentials> {
    const h = this.held;
    if (h && this.now() < h.refreshAt) return h.creds;
    return (await this.refresh()).creds;
  }

  /** Forgets the current credentials (AWS rejected them); the next get() obtains new ones. */
  invalidate(): void {
    if (!this.pending.busy) this.held = undefined;
  }

  private refresh(): Promise<Held> {
    return this.pending.run(async (): Promise<Held> => {
      const obtainedAt = this.now();
      // The store's signal, not a caller's: one cancelled reconcile must not fail a refresh others wait for.
      const creds = await this.source.obtain(this.storeSignal);
      const held: Held = { creds, refreshAt: refreshTime(obtainedAt, creds.expiration) };
      this.held = held;
      return held;
    });
  }
}

function refreshTime(obtainedAt: number, expiration: Date | undefined): number {
  if (!expiration) return obtainedAt + STATIC_REREAD_MS;
  const exp = expiration.getTime();
  const life = exp - obtainedAt;
  return Math.min(obtainedAt + (life * 2) / 3, exp - Math.min(MIN_MARGIN_MS, life / 3));
}

/** The sessions of a store's credential chain (base first); the last signs the store's calls. */
export class StoreSessions {
  private readonly chain: CredentialSession[];
  private lastInvalidated = 0;
  private readonly now: () => number;

  constructor(chain: CredentialSession[], now: () => number = Date.now) {
    this.chain = chain;
    this.now = now;
  }

  /** The credentials that sign the store's calls. */
  current(): Promise<AwsCredentials> {
    return (this.chain[this.chain.length - 1] as CredentialSession).get();
  }

  /**
   * AWS rejected the credentials: drop every step of the chain so the next call
   * re-reads the keys and re-assumes the roles. Returns false when that was
   * already done moments ago (no point hammering STS with the same request).
   */
  invalidate(): boolean {
    if (this.now() - this.lastInvalidated < 10_000) return false;
    this.lastInvalidated = this.now();
    for (const s of this.chain) s.invalidate();
    return true;
  }
}

/** A store check for both services: like ESO, it proves only that credentials can be obtained. */
export async function checkCredentials(sessions: StoreSessions, secrets: Iterable<string>): Promise<ValidationResult> {
  try {
    await sessions.current();
  } catch (err) {
    const e = err instanceof HushError ? err : toHushError(err, 'get credentials', { secrets, kind: 'login' });
    return { state: 'Error', message: `invalid aws credentials: ${e.message}`, error: e };
  }
  return { state: 'Ready', message: 'store validated' };
}
