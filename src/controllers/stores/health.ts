/**
 * Store health: what an ExternalSecret's failure says about the stores it
 * reads, and what to do about it for everyone else who uses them.
 *
 *   (Throttled is not here: the store's call governor, read/governor.ts, saw the answer
 *    itself and pauses every call to the store.)
 *   AuthFailed           → drop the store's clients, so the next attempt logs in afresh and
 *                          reads rotated credentials, CA bundles and client certificates
 *   Unavailable, Timeout → if the store still says Ready, check it now: it turns not-Ready at
 *                          once, and its return (Ready again) wakes every ExternalSecret waiting
 *                          on it, instead of each waiting out its own backoff
 *
 * The decision is a pure function (storeActionFor) so it can be tested as a
 * table; StoreHealth carries it out.
 */
import type { HushError } from '../../util/errors.ts';
import type { Logger } from '../../util/log.ts';
import { parseStoreKey } from '../indexes.ts';
import type { StoreResolver } from './resolver.ts';

export type StoreAction =
  | { kind: 'reconnect' }
  | { kind: 'recheck' }
  | { kind: 'none' };

/** What a failure with `err` on a store means for that store; `storeReady` is its current Ready condition. */
export function storeActionFor(err: HushError, storeReady: boolean | undefined): StoreAction {
  switch (err.code) {
    case 'AuthFailed':
      return { kind: 'reconnect' };
    case 'Unavailable':
    case 'Timeout':
      // A store already not-Ready is being re-checked on its own backoff; asking again would defeat it.
      return storeReady === true ? { kind: 'recheck' } : { kind: 'none' };
    default:
      return { kind: 'none' };
  }
}

export interface StoreHealthDeps {
  resolver: StoreResolver;
  /** The store's Ready condition from the cache (`SecretStore/ns/name` keys), undefined when unknown. */
  isReady: (storeKey: string) => boolean | undefined;
  /** Queues a check of the store now. */
  recheck: (storeKey: string) => void;
  logger: Logger;
}

export class StoreHealth {
  private readonly d: StoreHealthDeps;

  constructor(deps: StoreHealthDeps) {
    this.d = deps;
  }

  /** An ExternalSecret that reads `storeKeys` failed with `err`. */
  reportFailure(storeKeys: readonly string[], err: HushError): void {
    for (const key of storeKeys) {
      const action = storeActionFor(err, this.d.isReady(key));
      const k = parseStoreKey(key);
      switch (action.kind) {
        case 'reconnect':
          this.d.resolver.forgetStore(k.kind, k.namespace, k.name);
          break;
        case 'recheck':
          this.d.recheck(key);
          break;
        case 'none':
          break;
      }
      if (action.kind !== 'none') this.d.logger.debug('store health', { store: key, action: action.kind, code: err.code });
    }
  }
}
