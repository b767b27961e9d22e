/**
 * The client of a ClusterSecretStore whose credentials live in each ExternalSecret's namespace
 * (ESO's referent auth), when no namespace is known (the store's own validation): it can only
 * say so. Reads through it fail with a clear message; validation reports Unknown.
 */
import { InvalidConfigError } from '../../util/errors.ts';
import type { StoreClient, ValidationResult } from '../types.ts';

export function referentPlaceholder(provider: string): StoreClient {
  const fail = (): Promise<never> =>
    Promise.reject(new InvalidConfigError(`${provider}: this ClusterSecretStore reads credentials from the ExternalSecret namespace; use it through an ExternalSecret`));
  return {
    // Nothing is ever read, so nothing is projected.
    projection: { value: () => new Uint8Array(0), map: () => new Map() },
    read: fail,
    findSecrets: fail,
    validate: (): Promise<ValidationResult> =>
      Promise.resolve({ state: 'Unknown', message: 'credentials are read from the namespace of each ExternalSecret (referent auth); nothing to check yet' }),
    close: () => Promise.resolve(),
  };
}
