/**
 * Test support: renders cases with this engine and the Go oracle and lists
 * the differences (output bytes, or success against failure).
 */
import { renderTemplateBytes } from '../index.ts';
import { runOracle, type OracleCase } from './oracle.ts';
import type { TemplateData } from '../convert.ts';

export interface Difference {
  index: number;
  template: string;
  go: string;
  ts: string;
}

function describe(r: { ok: boolean; out?: Buffer; err?: string }): string {
  return r.ok ? `ok ${JSON.stringify(r.out?.toString('latin1'))}` : `error ${r.err ?? ''}`;
}

export function renderTs(c: OracleCase): { ok: boolean; out?: Buffer; err?: string } {
  let data: TemplateData;
  if (c.json !== undefined) data = JSON.parse(c.json) as unknown;
  else data = c.data ?? {};
  try {
    const opts = { name: c.name ?? 'template', leftDelim: c.left || undefined, rightDelim: c.right || undefined, now: c.now || undefined };
    return { ok: true, out: renderTemplateBytes(c.template, data, opts) };
  } catch (e) {
    return { ok: false, err: (e as Error).message };
  }
}

/** Runs every case through both engines in one oracle invocation. */
export function compare(bin: string, cases: OracleCase[]): Difference[] {
  const go = runOracle(bin, cases).results;
  const diffs: Difference[] = [];
  cases.forEach((c, i) => {
    const g = go[i]!;
    const t = renderTs(c);
    const same = g.ok === t.ok && (!g.ok || Buffer.compare(g.out!, t.out!) === 0);
    if (!same) diffs.push({ index: i, template: c.template, go: describe(g), ts: describe(t) });
  });
  return diffs;
}
