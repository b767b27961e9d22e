/**
 * Test support: Go's own answers for regular expressions, from
 * tools/goregexp-oracle, built and cached by the one oracle builder
 * (src/testing/goOracle.ts); a whole batch of cases goes through one process.
 */
import { goOracle, runJson } from '../../testing/goOracle.ts';

export interface RegexpCase {
  pattern: string;
  input: string;
  /** Replacement template for ReplaceAllString (and the literal for ReplaceAllLiteralString). */
  repl?: string;
  /** Limit for FindAll and Split; -1 (all) when absent. */
  n?: number;
}

export interface GoAnswer {
  ok: boolean;
  /** Go's err.Error() when the pattern does not compile. */
  err?: string;
  names?: string[];
  match: boolean;
  /** FindAllStringSubmatchIndex, offsets in UTF-16 code units. */
  all: number[][] | null;
  replace: string;
  literal: string;
  split: string[] | null;
}

/** The oracle binary, built if needed (src/testing/goOracle.ts); a reason instead when there is no Go toolchain outside CI. */
export function ensureRegexpOracle(): { path: string } | { reason: string } {
  const o = goOracle('goregexp-oracle');
  return o.skip === false ? { path: o.path } : { reason: o.skip };
}

/** Go's answers for every case, in order. */
export function askGo(bin: string, cases: RegexpCase[]): GoAnswer[] {
  return runJson<GoAnswer[]>('goregexp-oracle', bin, cases);
}
