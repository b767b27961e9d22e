/**
 * The read step between a plan and its apply: binds each step to its store's
 * client and asks that client's reader for the answer, all steps at once.
 *
 * Steps that need the same raw read (two properties of one key, or one key
 * under two names) share one answer through the reader; different stores are
 * read concurrently, each within its own governor's budget.
 */
import type { StoreRef } from '../controllers/externalsecret/spec.ts';
import type { BoundClient, ReadEngine } from './engine.ts';
import type { StepResult } from './apply.ts';
import type { ReadPlan } from './plan.ts';
import { rawRefOf } from './rawref.ts';
import type { Answer, ReadRequest, StoreReader } from './reader.ts';

/** Resolves a step's store reference (undefined: the ExternalSecret's own) to a connected client. */
export type StoreBinder = (ref: StoreRef | undefined, field: string) => Promise<BoundClient>;

/** One read a sync used, to register the ExternalSecret as its reader afterwards. */
export interface UsedRead {
  reader: StoreReader;
  clientId: string;
  req: ReadRequest;
  answer: Answer | undefined;
}

export interface Execution {
  /** One result per plan step; never rejects (failures are results). */
  results: Promise<StepResult[]>;
  /** Filled in as reads are started. */
  used: UsedRead[];
}

/**
 * Starts every read of `plan`. `freshAfter`: answers must come from reads started at or after
 * this time. `esKey` identifies the ExternalSecret to the readers. `scheduled`: a periodic
 * check, which takes what the scheduler keeps for the refs it already reads (StoreReader.get).
 */
export function executePlan(plan: ReadPlan, bind: StoreBinder, engine: ReadEngine, freshAfter: number, esKey: string, opts: { scheduled?: boolean } = {}): Execution {
  const used: UsedRead[] = [];
  const bindings = new Map<string, Promise<BoundClient>>();
  const bindOnce = (ref: StoreRef | undefined, field: string): Promise<BoundClient> => {
    // The own store is one binding; an item's storeRef another per (kind, name). The field of the
    // first step that names it goes into its error, as a sequential read would have reported it.
    const id = ref ? `${ref.kind ?? 'SecretStore'}/${ref.name}` : '';
    let b = bindings.get(id);
    if (!b) {
      b = bind(ref, field);
      bindings.set(id, b);
    }
    return b;
  };
  const results = Promise.all(
    plan.steps.map(async (step): Promise<StepResult> => {
      let bound: BoundClient;
      try {
        bound = await bindOnce(step.storeRef, step.field);
      } catch (error) {
        return { ok: false, stage: 'store', error };
      }
      const reader = engine.readerFor(bound);
      const req: ReadRequest = step.kind === 'find' ? { kind: 'find', find: step.find } : { kind: 'raw', ref: rawRefOf(bound.client, step.ref) };
      const u: UsedRead = { reader, clientId: bound.clientId, req, answer: undefined };
      used.push(u);
      try {
        const answer = await reader.get(req, freshAfter, esKey, opts);
        u.answer = answer;
        return { ok: true, storeLabel: bound.store.label, projection: bound.client.projection, answer };
      } catch (error) {
        return { ok: false, stage: 'read', storeLabel: bound.store.label, error };
      }
    }),
  );
  return { results, used };
}

/**
 * After a sync that applied its answers: the ExternalSecret becomes the reader of exactly
 * these reads, with its refresh interval, and leaves every reader it no longer uses.
 */
export function registerReads(engine: ReadEngine, esKey: string, used: readonly UsedRead[], intervalMs: number | undefined): void {
  const byReader = new Map<StoreReader, { clientId: string; reads: { req: ReadRequest; marker: string | undefined }[] }>();
  for (const u of used) {
    let g = byReader.get(u.reader);
    if (!g) {
      g = { clientId: u.clientId, reads: [] };
      byReader.set(u.reader, g);
    }
    g.reads.push({ req: u.req, marker: u.answer?.marker });
  }
  for (const [reader, g] of byReader) reader.setReader(esKey, g.reads, intervalMs);
  engine.forgetReader(esKey, new Set([...byReader.values()].map((g) => g.clientId)));
}
