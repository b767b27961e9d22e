/**
 * What Flux's `wait: true` and health checks make of Hush's status: the real
 * objects the controller wrote, read back from the apiserver, judged by kstatus
 * itself (the library Flux links, through tools/kstatus-oracle). Golden values
 * from the tool, never from Hush.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanupCreated, ExternalSecrets, SecretStores, createNamespace, createVaultTokenStore, harness, putVaultKv2, startController, uniqueName, waitReady, type Harness, type RunningController } from '../support/harness.ts';
import { waitFor } from '../support/index.ts';
import { kstatusOf } from '../../src/controllers/testing/kstatus.ts';

let h: Harness;
let ctl: RunningController;
before(async () => {
  h = await harness();
  ctl = await startController(h);
});
after(async () => {
  try {
    await cleanupCreated();
  } finally {
    await ctl?.stop();
  }
});

interface Obj { metadata: { name: string; generation?: number }; status?: { observedGeneration?: number; conditions?: { type: string; status: string; message?: string }[] } }
const condition = (o: Obj | undefined, type: string) => o?.status?.conditions?.find((c) => c.type === type);

async function es(ns: string, name: string, spec: Record<string, unknown>) {
  await h.kube.create(ExternalSecrets, {
    apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name, namespace: ns },
    spec: { secretStoreRef: { name: 'vault' }, refreshInterval: '1h', ...spec },
  } as never);
}

test('kstatus: a synced ExternalSecret is Current, a retrying one InProgress, one that needs a person Failed, a changed spec InProgress until reconciled', async () => {
  const ns = await createNamespace(h.kube);
  const path = uniqueName('kstatus');
  await putVaultKv2(h.env, path, { a: 'x' });
  await createVaultTokenStore(h, ns);
  await waitReady(h.kube, SecretStores, ns, 'vault');

  await es(ns, 'ok', { data: [{ secretKey: 'a', remoteRef: { key: path, property: 'a' } }] });
  await es(ns, 'missing', { data: [{ secretKey: 'a', remoteRef: { key: `${path}-nope`, property: 'a' } }] });
  // A template that does not parse: only a change to the ExternalSecret can help (terminal).
  await es(ns, 'broken', { target: { template: { data: { a: '{{ .a ' } } }, data: [{ secretKey: 'a', remoteRef: { key: path, property: 'a' } }] });

  await waitReady(h.kube, ExternalSecrets, ns, 'ok');
  const get = (name: string) => h.kube.get<Obj>(ExternalSecrets, name, ns);
  await waitFor(async () => condition(await get('missing'), 'Reconciling')?.status === 'True', { timeoutMs: 20_000, message: 'missing: Reconciling' });
  await waitFor(async () => condition(await get('broken'), 'Stalled')?.status === 'True', { timeoutMs: 20_000, message: 'broken: Stalled' });

  const [ok, missing, broken] = await Promise.all([get('ok'), get('missing'), get('broken')]);
  assert.equal(ok?.status?.observedGeneration, ok?.metadata.generation);
  assert.match(condition(missing, 'Reconciling')!.message!, /next attempt at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/);
  const verdicts = await kstatusOf([ok!, missing!, broken!]);
  assert.deepEqual(verdicts.map((v) => v.status), ['Current', 'InProgress', 'Failed'], JSON.stringify(verdicts));

  // A spec change is InProgress until the controller has written status for the new generation, then Current.
  await h.kube.patch(ExternalSecrets, 'ok', ns, { spec: { refreshInterval: '2h' } }, 'merge');
  const changed = await get('ok');
  if (changed?.status?.observedGeneration !== changed?.metadata.generation) {
    assert.equal((await kstatusOf([changed!]))[0]!.status, 'InProgress');
  }
  await waitFor(async () => {
    const o = await get('ok');
    return o?.status?.observedGeneration === o?.metadata.generation;
  }, { timeoutMs: 20_000, message: 'ok: observedGeneration caught up' });
  assert.equal((await kstatusOf([(await get('ok'))!]))[0]!.status, 'Current');

  // Fixing the broken one clears Stalled.
  await h.kube.patch(ExternalSecrets, 'broken', ns, { spec: { target: { template: { data: { a: '{{ .a }}' } } } } }, 'merge');
  await waitReady(h.kube, ExternalSecrets, ns, 'broken');
  const fixed = await get('broken');
  assert.equal(condition(fixed, 'Stalled'), undefined);
  assert.equal((await kstatusOf([fixed!]))[0]!.status, 'Current');
});
