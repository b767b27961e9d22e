/**
 * Test support: what kstatus (the rules behind Flux's `wait: true` and health
 * checks) says about objects, computed by the library Flux links, through the
 * Go program in tools/kstatus-oracle. Without Go the caller gets a skip reason
 * from kstatusOracle(); kstatusOf() itself always needs the binary, and under
 * CI=true a missing Go fails (see src/testing/tools.ts).
 */
import { goOracle, runJsonAsync, type OracleBinary } from '../../testing/goOracle.ts';

const NAME = 'kstatus-oracle';

export interface KstatusResult {
  /** InProgress, Failed, Current, Terminating, NotFound or Unknown. */
  status: string;
  message: string;
}

export class KstatusError extends Error {
  readonly code = 'HUSH_TEST_KSTATUS';
  constructor(index: number, message: string) {
    super(`kstatus could not compute the status of object ${index}: ${message}`);
    this.name = 'KstatusError';
  }
}

export class KstatusUnavailableError extends Error {
  readonly code = 'HUSH_TEST_KSTATUS_UNAVAILABLE';
  constructor(reason: string) {
    super(`kstatus oracle unavailable: ${reason}`);
    this.name = 'KstatusUnavailableError';
  }
}

export function kstatusOracle(): OracleBinary {
  return goOracle(NAME);
}

/** kstatus's status.Compute for each object, in order. */
export async function kstatusOf(objs: object[]): Promise<KstatusResult[]> {
  const oracle = kstatusOracle();
  // Under CI=true a missing Go has already thrown MissingToolError.
  if (oracle.path === undefined) throw new KstatusUnavailableError(oracle.skip);
  const out = await runJsonAsync<{ status?: string; message: string; error?: string }[]>(NAME, oracle.path, objs);
  return out.map((r, i) => {
    if (r.error !== undefined || r.status === undefined) throw new KstatusError(i, r.error ?? 'no status');
    return { status: r.status, message: r.message };
  });
}
