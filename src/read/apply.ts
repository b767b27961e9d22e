/**
 * The apply step: a read plan and the answers to its reads become the Secret's
 * data, in ESO's order and with ESO's rules — the property projection of the
 * store's provider, then decoding, key conversion or rewrite, key validation
 * and the null-byte policy.
 *
 * No I/O: every answer is already here. Any error aborts the whole result, so a
 * partial Secret is never written and a failing store never blanks keys of an
 * existing one. Only the provider saying "this secret does not exist" may be
 * skipped, under deletionPolicy Delete or Merge; a store that could not be
 * resolved never can be (a typo in secretStoreRef must not look like "every
 * secret is gone" and delete a live Secret).
 */
import type { Projection } from '../providers/types.ts';
import { asHushError, hasCode, type HushError } from '../util/errors.ts';
import { checkNullBytes, decodeValue } from '../controllers/externalsecret/decode.ts';
import { convertKeys, rewriteKeys, validateKeys } from '../controllers/externalsecret/keys.ts';
import type { PlanStep, ReadPlan } from './plan.ts';
import type { Answer } from './reader.ts';

/** What came back for one plan step. */
export type StepResult =
  | { ok: true; storeLabel: string; projection: Projection; answer: Answer }
  /** The read (or the projection) failed: the store's error, rewrapped with the step's field. */
  | { ok: false; stage: 'read'; storeLabel: string; error: unknown }
  /** The step's store could not be resolved or used: never skipped as "missing". */
  | { ok: false; stage: 'store'; error: unknown };

export interface ApplyResult {
  data: Map<string, Uint8Array>;
  /** Steps whose secret did not exist at the provider and were skipped (deletionPolicy Delete/Merge). */
  missing: string[];
}

/**
 * What has been read so far, recorded as it is seen (and again once decoded): the caller cuts
 * these values out of the text of any error that follows, and leaves key names (identifiers)
 * as they are.
 */
export interface ReadLog {
  values: Uint8Array[];
  names: string[];
}

export async function applyPlan(plan: ReadPlan, results: readonly StepResult[], seen: ReadLog = { values: [], names: [] }): Promise<ApplyResult> {
  // Every answer is projected and recorded before any step is applied: the reads ran
  // concurrently, so an error of one store may come after another store's answer, and every
  // value read must be known to the redaction of whatever error follows.
  const projected = plan.steps.map((step, i) => project(step, results[i], seen));
  const data = new Map<string, Uint8Array>();
  const missing: string[] = [];
  for (const [i, step] of plan.steps.entries()) {
    const p = projected[i]!;
    let got: Map<string, Uint8Array> | Uint8Array;
    try {
      if ('error' in p) throw p.error;
      got = await finish(step, p.value, seen);
    } catch (err) {
      if (plan.skipMissing && !p.storeFailed && hasCode(err, 'NotFound')) {
        missing.push(step.field);
        continue;
      }
      throw err;
    }
    if (got instanceof Uint8Array) data.set((step as { secretKey: string }).secretKey, got);
    else for (const [k, v] of got) data.set(k, v);
  }
  return { data, missing };
}

type Projected = { value: Uint8Array | Map<string, Uint8Array> } | { error: unknown; storeFailed: boolean };

/** The provider's projection of one step's answer (property, or keys), or the step's error with its context. */
function project(step: PlanStep, result: StepResult | undefined, seen: ReadLog): Projected & { storeFailed?: boolean } {
  if (!result) return { error: new Error(`internal: no result for ${step.field}`), storeFailed: true };
  if (!result.ok) {
    if (result.stage === 'store') return { error: result.error, storeFailed: true };
    return { error: rewrap(result.error, contextOf(step, result.storeLabel)), storeFailed: false };
  }
  const { answer, projection, storeLabel } = result;
  try {
    if (step.kind === 'value') {
      const v = projection.value(rawOf(answer), step.ref);
      seen.values.push(v);
      return { value: v };
    }
    let m: Map<string, Uint8Array>;
    if (step.kind === 'extract') m = projection.map(rawOf(answer), step.ref);
    else if (answer.kind === 'find') m = answer.found;
    else throw new Error(`internal: ${step.field}.find got a raw answer`);
    for (const [k, v] of m) {
      seen.names.push(k);
      seen.values.push(v);
    }
    return { value: m };
  } catch (err) {
    return { error: rewrap(err, contextOf(step, storeLabel)), storeFailed: false };
  }
}

/** Decoding, key conversion or rewrite, key validation and the null-byte policy of one step. */
async function finish(step: PlanStep, projected: Uint8Array | Map<string, Uint8Array>, seen: ReadLog): Promise<Map<string, Uint8Array> | Uint8Array> {
  if (step.kind === 'value') {
    const value = decodeValue(projected as Uint8Array, step.decoding, step.field);
    seen.values.push(value);
    checkNullBytes(value, step.nullBytes, step.field);
    return value;
  }
  const raw = projected as Map<string, Uint8Array>;
  const sub = `${step.field}.${step.kind}`;
  const renamed = step.rewrite && step.rewrite.length > 0 ? await rewriteKeys(raw, step.rewrite, step.field) : convertKeys(raw, step.conversion, sub);
  seen.names.push(...renamed.keys());
  const valid = validateKeys(renamed, sub);
  const out = new Map<string, Uint8Array>();
  for (const [k, v] of valid) {
    const decoded = decodeValue(v, step.decoding, `${sub} (key: ${k})`);
    seen.values.push(decoded);
    checkNullBytes(decoded, step.nullBytes, `${sub} (key: ${k})`);
    out.set(k, decoded);
  }
  return out;
}

function rawOf(answer: Answer): Extract<Answer, { kind: 'raw' }>['raw'] {
  if (answer.kind !== 'raw') throw new Error('internal: a value step got a find answer');
  return answer.raw;
}

/** `spec.data[0] (key: k): SecretStore "ns/s": key "db" property "password"`, as the messages always read. */
function contextOf(step: PlanStep, storeLabel: string): string {
  switch (step.kind) {
    case 'value':
      return `${step.field}: ${storeLabel}: key "${step.ref.key}"${step.ref.property ? ` property "${step.ref.property}"` : ''}`;
    case 'extract':
      return `${step.field}.extract: ${storeLabel}: key "${step.ref.key}"`;
    case 'find':
      return `${step.field}.find: ${storeLabel}`;
  }
}

/** Names the field, store and key in front of a provider's error, keeping its class and cause. */
function rewrap(err: unknown, prefix: string): HushError {
  return asHushError(err).withContext(prefix);
}
