/**
 * Plan → read → apply in one call, for tests that exercise a spec against store
 * clients without a cluster: each store name maps to a client; the ExternalSecret's
 * own store is `spec.secretStoreRef.name`.
 */
import type { ExternalSecretSpec } from '../../controllers/externalsecret/spec.ts';
import type { StoreClient } from '../../providers/types.ts';
import { applyPlan, type ApplyResult, type ReadLog } from '../apply.ts';
import { ReadEngine, type BoundClient } from '../engine.ts';
import { executePlan } from '../execute.ts';
import type { Budget } from '../governor.ts';
import { planReads } from '../plan.ts';

export const testBudget: Budget = { callsPerSecond: 1000, burst: 1000, concurrency: 16, callTimeoutMs: 30_000 };

export function boundTestClient(name: string, client: StoreClient, budget: Budget = testBudget): BoundClient {
  return {
    store: { storeKey: `SecretStore/ns/${name}`, label: `SecretStore "${name}"`, kind: 'SecretStore', namespace: 'ns', name, provider: 'test' },
    clientId: `SecretStore/ns/${name}`,
    client,
    budget,
  };
}

export async function syncOnce(spec: ExternalSecretSpec, clients: Record<string, StoreClient>, seen: ReadLog = { values: [], names: [] }, engine = new ReadEngine()): Promise<ApplyResult> {
  const plan = planReads(spec);
  const exec = executePlan(
    plan,
    (ref) => {
      const name = (ref ?? spec.secretStoreRef)?.name ?? '';
      const client = clients[name];
      return client ? Promise.resolve(boundTestClient(name, client)) : Promise.reject(new Error(`test: no store ${name}`));
    },
    engine,
    Date.now(),
    'ns/test',
  );
  return applyPlan(plan, await exec.results, seen);
}
