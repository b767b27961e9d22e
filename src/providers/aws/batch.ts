/** What the two services' batch reads share. */
import { HushError } from '../../util/errors.ts';
import type { RawOutcome, RawRef, RawSecret } from '../types.ts';

/**
 * Failures that single reads would meet just the same: the store throttles,
 * the credentials are bad, the store cannot be reached. A batch call failing so
 * fails its refs instead of being retried as one call per ref.
 */
const STORE_WIDE = new Set(['Throttled', 'AuthFailed', 'Unavailable', 'Timeout']);

export function storeWide(err: unknown): boolean {
  return err instanceof HushError && STORE_WIDE.has(err.code);
}

/**
 * Fills the refs a batch call did not answer with one read each, one after the
 * other: the store's call budget is the governor's, and a batch must not turn
 * into twenty calls at once. After a store-wide failure (throttled, auth,
 * unreachable) — also one the batch call itself met, `failed` — the
 * remaining refs get that error without being sent.
 */
export async function readRestAlone(
  refs: RawRef[],
  out: (RawOutcome | undefined)[],
  readOne: (ref: RawRef) => Promise<RawSecret>,
  failed?: HushError,
): Promise<void> {
  for (let i = 0; i < refs.length; i++) {
    if (out[i] !== undefined) continue;
    if (failed) {
      out[i] = { error: failed };
      continue;
    }
    try {
      out[i] = { raw: await readOne(refs[i] as RawRef) };
    } catch (error) {
      out[i] = { error };
      if (storeWide(error)) failed = error as HushError;
    }
  }
}


/** Runs a batch call; a store-wide failure of it is returned (to answer every ref with it), anything else thrown. */
export async function storeWideFailure(call: () => Promise<void>): Promise<HushError | undefined> {
  try {
    await call();
    return undefined;
  } catch (err) {
    if (storeWide(err)) return err as HushError;
    throw err;
  }
}
