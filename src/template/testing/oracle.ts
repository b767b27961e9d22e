/**
 * Test support: the Go template oracle (tools/template-oracle), built and
 * cached by the one oracle builder (src/testing/goOracle.ts); a whole batch of
 * cases goes through ONE oracle process (JSON in, JSON out).
 */
import { spawnSync } from 'node:child_process';
import { goOracle } from '../../testing/goOracle.ts';

export interface OracleCase {
  name?: string;
  template: string;
  /** map[string]string data; values are bytes. */
  data?: Record<string, Uint8Array | string>;
  /** Alternatively, JSON data (decoded by encoding/json into interface{}). */
  json?: string;
  left?: string;
  right?: string;
  /** Fixed value for `now` (RFC 3339). */
  now?: string;
}

export interface OracleResult {
  ok: boolean;
  out?: Buffer;
  err?: string;
}

export type OracleCheck =
  | { kind: 'bcrypt'; hash: string; password: string }
  | { kind: 'privkey'; pem: string }
  | { kind: 'cert'; pem: string; ca?: string }
  | { kind: 'pkcs12'; b64: string; password: string }
  /** Go makes a keystore (key set) or trust store (no key) from PEM with a go-pkcs12 encoder. */
  | { kind: 'p12encode'; pem: string; key?: string; password: string; encoder: 'modern' | 'modern2026' | 'legacyRC2' | 'legacyDES' | 'passwordless' };

/** Path of the oracle binary, built if needed by the one oracle builder (src/testing/goOracle.ts); a reason when Go is missing outside CI. */
export function ensureOracle(): { path?: string; reason?: string } {
  const o = goOracle('template-oracle');
  return o.skip === false ? { path: o.path } : { reason: o.skip };
}

function b64(v: Uint8Array | string): string {
  return (typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v)).toString('base64');
}

/** Runs all cases and checks in one oracle process. */
export function runOracle(bin: string, cases: OracleCase[], checks: OracleCheck[] = []): { results: OracleResult[]; checks: unknown[] } {
  const input = JSON.stringify({
    cases: cases.map((c) => ({
      name: c.name,
      template: c.template,
      data: c.json === undefined ? Object.fromEntries(Object.entries(c.data ?? {}).map(([k, v]) => [k, b64(v)])) : undefined,
      json: c.json,
      left: c.left ?? '',
      right: c.right ?? '',
      now: c.now ?? '',
    })),
    checks,
  });
  // TZ=UTC: sprig formats dates in the local zone; the TS engine uses UTC.
  const r = spawnSync(bin, [], { input, encoding: 'utf8', maxBuffer: 1 << 30, env: { ...process.env, TZ: 'UTC' } });
  if (r.status !== 0) throw new Error(`template oracle failed (${r.status}): ${r.stderr}`);
  const parsed = JSON.parse(r.stdout) as { results: { ok: boolean; out?: string; err?: string }[]; checks: unknown[] };
  return {
    results: parsed.results.map((x) => ({ ok: x.ok, err: x.err, out: x.ok ? Buffer.from(x.out ?? '', 'base64') : undefined })),
    checks: parsed.checks,
  };
}
