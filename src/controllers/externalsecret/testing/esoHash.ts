/**
 * Test support: ESO's own hashes, from the Go oracle in tools/eso-hash-oracle
 * (Go's fmt and crypto/sha3 on the Go types ESO hashes). Golden values for
 * hash.ts come from here, never from hash.ts itself.
 */
import { goOracle, runJson, type OracleBinary } from '../../../testing/goOracle.ts';

export type EsoHashCase =
  | { kind: 'data'; data: Record<string, Uint8Array | null> | null }
  | { kind: 'meta'; generation?: number; labels?: Record<string, string> | null; annotations?: Record<string, string> | null }
  | { kind: 'createdBy'; namespace: string; name: string }
  | { kind: 'fieldOwner'; name: string };

export interface EsoHashResult {
  /** hex SHA3-224, as ESO writes it (data, meta, createdBy). */
  hash?: string;
  /** The `%+v` text that was hashed, for a readable diff. */
  text?: string;
  /** `<generation>-<meta hash>` (meta). */
  resourceVersion?: string;
  fieldOwner?: string;
  error?: string;
}

const NAME = 'eso-hash-oracle';

export function esoHashOracle(): OracleBinary {
  return goOracle(NAME);
}

/** Runs every case through one oracle process. */
export function esoHashes(bin: string, cases: EsoHashCase[]): EsoHashResult[] {
  const wire = cases.map((c) =>
    c.kind === 'data'
      ? { kind: 'data', data: c.data === null ? null : Object.fromEntries(Object.entries(c.data).map(([k, v]) => [k, v === null ? null : Buffer.from(v).toString('base64')])) }
      : c,
  );
  const out = runJson<{ results: EsoHashResult[] }>(NAME, bin, { cases: wire }).results;
  if (out.length !== cases.length) throw new Error(`${NAME} answered ${out.length} results for ${cases.length} cases`);
  return out;
}
