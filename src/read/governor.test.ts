/**
 * The store governor under an injected clock (node:test mock timers): budget,
 * concurrency, throttling pauses, the not-answering state and batching. The
 * store calls are in-memory functions whose start times the tests record.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, mock, test } from 'node:test';
import type { RawOutcome, RawRef, StoreClient } from '../providers/types.ts';
import { NotFoundError, ThrottledError } from '../util/errors.ts';
import { StoreGovernor, type Budget, type GovernorMetrics } from './governor.ts';

beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 }));
afterEach(() => mock.timers.reset());

/** Lets promise jobs and real setImmediate callbacks run. */
async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}

function budget(b: Partial<Budget>): Budget {
  return { callsPerSecond: 100, burst: 100, concurrency: 100, callTimeoutMs: 30_000, ...b };
}

function counting(): GovernorMetrics & { events: string[] } {
  const events: string[] = [];
  return {
    events,
    call: (n, o) => events.push(`${n}:${o}`),
    batched: (n) => events.push(`batched:${n}`),
    queueWait: () => undefined,
    refused: (r) => events.push(`refused:${r}`),
    shared: () => events.push('shared'),
  };
}

test('calls start at the budget rate: the burst at once, then one per 1/rate', async () => {
  const g = new StoreGovernor({ label: 'SecretStore "ns/s"', budget: budget({ callsPerSecond: 2, burst: 2 }) });
  const started: number[] = [];
  const t0 = Date.now();
  const calls = Array.from({ length: 5 }, () => g.call('read', () => {
    started.push(Date.now() - t0);
    return Promise.resolve('ok');
  }));
  await flush();
  assert.deepEqual(started, [0, 0], 'the burst');
  for (let i = 0; i < 6; i++) {
    mock.timers.tick(250);
    await flush();
  }
  assert.deepEqual(started, [0, 0, 500, 1000, 1500]);
  assert.deepEqual(await Promise.all(calls), ['ok', 'ok', 'ok', 'ok', 'ok']);
});

test('no more calls in flight than the concurrency; the next starts when one ends', async () => {
  const g = new StoreGovernor({ label: 's', budget: budget({ concurrency: 2 }) });
  const release: (() => void)[] = [];
  let running = 0;
  let peak = 0;
  const calls = Array.from({ length: 5 }, () => g.call('read', () => new Promise<void>((r) => {
    running++;
    peak = Math.max(peak, running);
    release.push(() => {
      running--;
      r();
    });
  })));
  await flush();
  assert.equal(release.length, 2);
  assert.equal(g.state.queued, 3);
  release.shift()!();
  await flush();
  assert.equal(release.length, 2, 'one more started');
  while (release.length > 0) {
    release.shift()!();
    await flush();
  }
  await Promise.all(calls);
  assert.equal(peak, 2);
});

test("a throttling answer pauses every call for the store's Retry-After and halves the rate", async () => {
  const m = counting();
  const g = new StoreGovernor({ label: 'SecretStore "ns/s"', budget: budget({ callsPerSecond: 10, burst: 1, concurrency: 1 }), metrics: m });
  const started: number[] = [];
  const t0 = Date.now();
  let first = true;
  const op = (): Promise<string> => {
    started.push(Date.now() - t0);
    if (first) {
      first = false;
      return Promise.reject(new ThrottledError('slow down', { retryAfterMs: 3000 }));
    }
    return Promise.resolve('ok');
  };
  const a = g.call('read', op);
  const b = g.call('read', op);
  await assert.rejects(a, { code: 'Throttled' });
  await flush();
  assert.equal(g.state.callsPerSecond, 5, 'halved');
  mock.timers.tick(2999);
  await flush();
  assert.deepEqual(started, [0], 'nothing during the pause');
  mock.timers.tick(1);
  await flush();
  assert.deepEqual(started, [0, 3000]);
  assert.equal(await b, 'ok');
  assert.ok(g.state.callsPerSecond > 5, 'a success raises the rate again');
  assert.deepEqual(m.events, ['read:throttled', 'read:success']);
});

test('a call that times out marks the store not answering: one queued call goes on as the probe, the rest fail at once, and an answer ends it', async () => {
  const m = counting();
  const g = new StoreGovernor({ label: 'SecretStore "ns/vault"', budget: budget({ concurrency: 1, callTimeoutMs: 1000 }), metrics: m });
  let aborted = 0;
  const hanging = (signal: AbortSignal): Promise<never> => new Promise((_, reject) => signal.addEventListener('abort', () => {
    aborted++;
    reject(new Error('aborted'));
  }));
  const first = g.call('read', hanging);
  const probe = g.call('read', hanging);
  const rest = [g.call('read', () => Promise.resolve(1)), g.call('read', () => Promise.resolve(2))];
  mock.timers.tick(1000);
  await assert.rejects(first, (e: Error & { code?: string }) => e.code === 'Timeout' && e.message === 'the store did not answer within 1s (the limit is the store annotation hush.dev/call-timeout, default 30s)');
  for (const q of rest) await assert.rejects(q, (e: Error & { code?: string }) => e.code === 'Unavailable' && /^the store is not answering: a call to it timed out after 1s; other calls are held back until one answers$/.test(e.message));
  assert.equal(g.state.notAnswering, true);
  await assert.rejects(g.call('read', () => Promise.resolve('x')), { code: 'Unavailable' }, 'refused while the probe runs');
  mock.timers.tick(1000);
  await assert.rejects(probe, { code: 'Timeout' });
  assert.equal(aborted, 2, 'both hung calls were aborted');
  assert.equal(g.state.notAnswering, true, 'a probe that hangs too keeps the store not answering');

  let release: (v: string) => void = () => undefined;
  const next = g.call('read', () => new Promise<string>((r) => (release = r)));
  await flush();
  release('back');
  assert.equal(await next, 'back');
  assert.equal(g.state.notAnswering, false);
  assert.equal(await g.call('read', () => Promise.resolve('normal')), 'normal');
  assert.deepEqual(m.events.filter((e) => e.startsWith('refused')), ['refused:not-answering', 'refused:not-answering', 'refused:not-answering']);
});

test('a call that would wait longer than the queue limit fails with a time to come back', async () => {
  const g = new StoreGovernor({ label: 'SecretStore "ns/s"', budget: budget({ callsPerSecond: 1, burst: 1 }), maxQueueWaitMs: 2500 });
  const calls = Array.from({ length: 5 }, () => g.call('read', () => Promise.resolve('ok')).then((v) => v, (e: Error & { code?: string; retryAfterMs?: number }) => e));
  for (let i = 0; i < 8; i++) {
    mock.timers.tick(500);
    await flush();
  }
  const out = await Promise.all(calls);
  assert.deepEqual(out.slice(0, 3), ['ok', 'ok', 'ok']);
  for (const e of out.slice(3)) {
    assert.ok(e instanceof Error && (e as { code?: string }).code === 'Throttled', String(e));
    assert.match(e.message, /^the store is at its call budget \(1\.0 calls\/s, 100 at once\) with \d+ calls queued; raise it with the store annotation hush.dev\/calls-per-second$/);
    assert.ok(((e as { retryAfterMs?: number }).retryAfterMs ?? 0) >= 1000);
  }
});

test('reads that arrive together go out as batches of the client’s size; one missing key fails alone', async () => {
  const m = counting();
  const g = new StoreGovernor({ label: 's', budget: budget({}), metrics: m });
  const batches: string[][] = [];
  let singles = 0;
  const client = {
    projection: { value: () => new Uint8Array(), map: () => new Map() },
    read: (ref: RawRef) => {
      singles++;
      return Promise.resolve({ payload: ref.key });
    },
    batch: {
      maxSize: 3,
      read: (refs: RawRef[]): Promise<RawOutcome[]> => {
        batches.push(refs.map((r) => r.key));
        return Promise.resolve(refs.map((r) => (r.key === 'k4' ? { error: new NotFoundError('k4 not found') } : { raw: { payload: r.key, version: '1' } })));
      },
    },
    findSecrets: () => Promise.reject(new Error('unused')),
    validate: () => Promise.resolve({ state: 'Ready' as const, message: '' }),
    close: () => Promise.resolve(),
  } satisfies StoreClient;
  const reads = Array.from({ length: 7 }, (_, i) => g.read(client, { key: `k${i}` }).then((r) => r.payload, (e: Error) => e.message));
  await flush();
  assert.deepEqual(await Promise.all(reads), ['k0', 'k1', 'k2', 'k3', 'k4 not found', 'k5', 'k6']);
  assert.deepEqual(batches, [['k0', 'k1', 'k2'], ['k3', 'k4', 'k5']]);
  assert.equal(singles, 1, 'a batch of one is a plain read');
  assert.deepEqual(m.events.filter((e) => e.startsWith('batched')), ['batched:3', 'batched:3']);
});

test('calls in flight together that are all throttled are one episode: one halving, one pause', async () => {
  const g = new StoreGovernor({ label: 's', budget: budget({ callsPerSecond: 50, burst: 50, concurrency: 8 }) });
  const rejects: (() => void)[] = [];
  const calls = Array.from({ length: 8 }, () => g.call('read', () => new Promise<never>((_, reject) => rejects.push(() => reject(new ThrottledError('slow down'))))));
  await flush();
  assert.equal(rejects.length, 8);
  for (const r of rejects) r();
  for (const c of calls) await assert.rejects(c, { code: 'Throttled' });
  assert.deepEqual(g.state.callsPerSecond, 25, 'halved once');
  assert.ok(g.state.pausedForMs <= 1000, `paused once, for the first step: ${g.state.pausedForMs} ms`);
});

test("refs a client's batch cannot carry are read one call each, beside the batch", async () => {
  const g = new StoreGovernor({ label: 's', budget: budget({}) });
  const batches: string[][] = [];
  const singles: string[] = [];
  const client = {
    projection: { value: () => new Uint8Array(), map: () => new Map() },
    read: (ref: RawRef) => {
      singles.push(ref.key);
      return Promise.resolve({ payload: ref.key });
    },
    batch: {
      maxSize: 10,
      accepts: (ref: RawRef) => ref.version === undefined,
      read: (refs: RawRef[]): Promise<RawOutcome[]> => {
        batches.push(refs.map((r) => r.key));
        return Promise.resolve(refs.map((r) => ({ raw: { payload: r.key } })));
      },
    },
    findSecrets: () => Promise.reject(new Error('unused')),
    validate: () => Promise.resolve({ state: 'Ready' as const, message: '' }),
    close: () => Promise.resolve(),
  } satisfies StoreClient;
  await Promise.all([g.read(client, { key: 'a' }), g.read(client, { key: 'pinned', version: '3' }), g.read(client, { key: 'b' })]);
  assert.deepEqual(batches, [['a', 'b']]);
  assert.deepEqual(singles, ['pinned']);
});

test("the scheduler's background refreshes wait behind reads someone waits for, and never fail for waiting", async () => {
  const g = new StoreGovernor({ label: 's', budget: budget({ callsPerSecond: 1, burst: 1 }), maxQueueWaitMs: 1500 });
  const order: string[] = [];
  const op = (name: string) => () => {
    order.push(name);
    return Promise.resolve(name);
  };
  const bg = [g.call('poll', op('bg1'), { background: true }), g.call('poll', op('bg2'), { background: true }), g.call('poll', op('bg3'), { background: true })];
  const fg = g.call('read', op('fg'));
  for (let i = 0; i < 8; i++) {
    mock.timers.tick(500);
    await flush();
  }
  assert.deepEqual(order, ['bg1', 'fg', 'bg2', 'bg3'], 'the foreground read jumps the queued background ones');
  assert.deepEqual(await Promise.all([...bg, fg]), ['bg1', 'bg2', 'bg3', 'fg'], 'background calls waited past the queue limit and were still sent');
});

test('a task that makes several calls takes a token of the budget for each (charge)', async () => {
  const g = new StoreGovernor({ label: 's', budget: budget({ callsPerSecond: 1, burst: 1, callTimeoutMs: 1500 }) });
  const t0 = Date.now();
  const pages: number[] = [];
  const listing = g.call('poll', async (_signal, charge) => {
    for (let i = 0; i < 3; i++) {
      if (i > 0) await charge();
      pages.push(Date.now() - t0);
    }
    return 'listed';
  });
  for (let i = 0; i < 6; i++) {
    mock.timers.tick(500);
    await flush();
  }
  assert.equal(await listing, 'listed', 'three calls over 2 s do not hit the 1.5 s timeout: each call has its own');
  assert.deepEqual(pages, [0, 1000, 2000], 'one call a second, as the budget says');
});
