/**
 * An ExternalSecret's read plan: the reads its spec needs, computed from the
 * spec alone (no I/O), in ESO's order — every dataFrom[] entry in order (later
 * keys win), then every data[] entry (overriding).
 *
 * Each step names its store reference, what to read (a remote ref, or a find
 * query), and what to do with the answer afterwards (property, decoding,
 * conversion, rewrite). Reading is read/engine.ts's job and applying is
 * read/apply.ts's; a spec a plan cannot be built from fails here, alone, before
 * any store is asked.
 */
import type { FindSpec, RemoteRef } from '../providers/types.ts';
import { InvalidSpecError } from '../util/errors.ts';
import type { ConversionStrategy } from '../controllers/externalsecret/keys.ts';
import type { DecodingStrategy } from '../controllers/externalsecret/decode.ts';
import type { ExternalSecretSpec, RemoteRefSpec, RewriteSpec, StoreRef } from '../controllers/externalsecret/spec.ts';

interface StepBase {
  /** The manifest field, for messages: `spec.data[0] (key: password)`, `spec.dataFrom[1]`. */
  field: string;
  /** The item's sourceRef.storeRef, or undefined for the ExternalSecret's own store. */
  storeRef: StoreRef | undefined;
  decoding: DecodingStrategy | undefined;
  nullBytes: 'Ignore' | 'Fail' | undefined;
}

/** data[]: one value, put under secretKey. */
export interface ValueStep extends StepBase {
  kind: 'value';
  secretKey: string;
  ref: RemoteRef;
}

/** dataFrom[].extract: one value split into keys. */
export interface ExtractStep extends StepBase {
  kind: 'extract';
  ref: RemoteRef;
  conversion: ConversionStrategy | undefined;
  rewrite: RewriteSpec[] | undefined;
}

/** dataFrom[].find: every secret matching the query. */
export interface FindStep extends StepBase {
  kind: 'find';
  find: FindSpec;
  conversion: ConversionStrategy | undefined;
  rewrite: RewriteSpec[] | undefined;
}

export type PlanStep = ValueStep | ExtractStep | FindStep;

export interface ReadPlan {
  steps: PlanStep[];
  /** deletionPolicy Delete or Merge: a secret missing at the provider is skipped, not an error. */
  skipMissing: boolean;
}

/** The read plan of a spec. Throws InvalidSpecError naming the field for an entry that reads nothing. */
export function planReads(spec: ExternalSecretSpec): ReadPlan {
  const steps: PlanStep[] = [];
  for (const [i, item] of (spec.dataFrom ?? []).entries()) {
    const field = `spec.dataFrom[${i}]`;
    const storeRef = item.sourceRef?.storeRef;
    if (item.extract) {
      const r = item.extract;
      steps.push({ kind: 'extract', field, storeRef, ref: remoteRefOf(r), conversion: r.conversionStrategy, decoding: r.decodingStrategy, nullBytes: r.nullBytePolicy, rewrite: item.rewrite });
    } else if (item.find) {
      const f = item.find;
      const find: FindSpec = {};
      if (f.path !== undefined) find.path = f.path;
      if (f.name !== undefined) find.name = f.name;
      if (f.tags !== undefined) find.tags = f.tags;
      steps.push({ kind: 'find', field, storeRef, find, conversion: f.conversionStrategy, decoding: f.decodingStrategy, nullBytes: f.nullBytePolicy, rewrite: item.rewrite });
    } else {
      throw new InvalidSpecError(`${field}: set one of extract or find`);
    }
  }
  for (const [i, item] of (spec.data ?? []).entries()) {
    const r = item.remoteRef;
    steps.push({
      kind: 'value',
      field: `spec.data[${i}] (key: ${item.secretKey})`,
      storeRef: item.sourceRef?.storeRef,
      secretKey: item.secretKey,
      ref: remoteRefOf(r),
      decoding: r.decodingStrategy,
      nullBytes: r.nullBytePolicy,
    });
  }
  const policy = spec.target?.deletionPolicy;
  return { steps, skipMissing: policy === 'Delete' || policy === 'Merge' };
}

function remoteRefOf(r: RemoteRefSpec): RemoteRef {
  const ref: RemoteRef = { key: r.key };
  if (r.property !== undefined) ref.property = r.property;
  if (r.version !== undefined) ref.version = r.version;
  if (r.metadataPolicy !== undefined) ref.metadataPolicy = r.metadataPolicy;
  return ref;
}
