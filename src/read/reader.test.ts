/**
 * The reader under an injected clock: shared answers, freshness, the scheduler,
 * and which ExternalSecrets a new answer wakes. The store is an in-memory client
 * that counts its reads, so "no call" is seen as a count, not as silence.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, mock, test } from 'node:test';
import type { RawRef, StoreClient } from '../providers/types.ts';
import { UnavailableError } from '../util/errors.ts';
import { StoreGovernor } from './governor.ts';
import { StoreReader, type ReadRequest } from './reader.ts';

beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 5_000_000 }));
afterEach(() => mock.timers.reset());

async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}

/** A store of versioned values; `fail` makes reads fail; `reads` counts calls per key. */
function memoryStore() {
  const values = new Map<string, { value: string; version: number }>();
  const reads = new Map<string, number>();
  const state = { fail: false };
  const client: StoreClient = {
    projection: { value: (raw) => new TextEncoder().encode(String(raw.payload)), map: () => new Map() },
    read: (ref: RawRef) => {
      reads.set(ref.key, (reads.get(ref.key) ?? 0) + 1);
      if (state.fail) return Promise.reject(new UnavailableError('store down'));
      const v = values.get(ref.key);
      return Promise.resolve({ payload: v?.value ?? '', version: String(v?.version ?? 0) });
    },
    findSecrets: () => Promise.reject(new Error('unused')),
    validate: () => Promise.resolve({ state: 'Ready', message: '' }),
    close: () => Promise.resolve(),
  };
  const put = (key: string, value: string): void => {
    values.set(key, { value, version: (values.get(key)?.version ?? 0) + 1 });
  };
  return { client, reads, put, state };
}

function setup() {
  const store = memoryStore();
  const woken: string[][] = [];
  const governor = new StoreGovernor({ label: 'SecretStore "ns/s"', budget: { callsPerSecond: 1000, burst: 1000, concurrency: 16, callTimeoutMs: 30_000 } });
  const reader = new StoreReader({ client: store.client, governor, wake: (keys) => woken.push([...keys].sort()) });
  return { store, woken, reader };
}

const raw = (key: string): ReadRequest => ({ kind: 'raw', ref: { key } });

test('reads of one key in flight together are one call; a kept answer fresh enough is used; a newer need reads again', async () => {
  const { store, reader } = setup();
  store.put('db', 'one');
  const t0 = Date.now();
  const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => reader.get(raw('db'), t0, `ns/es-${i}`)));
  assert.equal(store.reads.get('db'), 1, 'fifty readers, one call');
  assert.ok(answers.every((a) => a.kind === 'raw' && a.raw.payload === 'one'));
  mock.timers.tick(10_000);
  await reader.get(raw('db'), t0, 'ns/late');
  assert.equal(store.reads.get('db'), 1, 'an answer read after t0 satisfies a need of t0');
  await reader.get(raw('db'), Date.now(), 'ns/force');
  assert.equal(store.reads.get('db'), 2, 'a need newer than the kept answer reads again');
});

test('the scheduler reads each key at the shortest interval of its readers and wakes exactly the readers of a changed key', async () => {
  const { store, reader, woken } = setup();
  store.put('a', 'a1');
  store.put('b', 'b1');
  const t0 = Date.now();
  const a = await reader.get(raw('a'), t0, 'ns/x');
  const b = await reader.get(raw('b'), t0, 'ns/y');
  reader.setReader('ns/x', [{ req: raw('a'), marker: a.marker }], 60_000);
  reader.setReader('ns/y', [{ req: raw('b'), marker: b.marker }], 60_000);
  reader.setReader('ns/z', [{ req: raw('a'), marker: a.marker }, { req: raw('b'), marker: b.marker }], 10_000);
  assert.deepEqual(reader.demand(), { callsPerSecond: 0.2, shortestIntervalMs: 10_000 }, 'two keys, each every 10 s');

  mock.timers.tick(10_000);
  await flush();
  assert.deepEqual([store.reads.get('a'), store.reads.get('b')], [2, 2], 'both read again after 10 s, the shortest interval');
  assert.deepEqual(woken, [], 'nothing changed: nobody woken');

  store.put('a', 'a2');
  mock.timers.tick(10_000);
  await flush();
  assert.deepEqual([store.reads.get('a'), store.reads.get('b')], [3, 3]);
  assert.deepEqual(woken, [['ns/x', 'ns/z']], 'the readers of a, not the reader of b alone');

  reader.removeReader('ns/z');
  reader.removeReader('ns/x');
  mock.timers.tick(10_000);
  await flush();
  assert.equal(store.reads.get('a'), 3, 'a has no reader left: not read on a timer');
  assert.equal(store.reads.get('b'), 3, 'b is now due 60 s after its last read (at 20 s)');
  mock.timers.tick(49_999);
  await flush();
  assert.equal(store.reads.get('b'), 3);
  mock.timers.tick(1);
  await flush();
  assert.equal(store.reads.get('b'), 4, 'read at 80 s');
});

test('a reader is not woken by the read it waits for itself; a failing scheduled read wakes the readers, and after a failed sync any answer does', async () => {
  const { store, reader, woken } = setup();
  store.put('k', 'v1');
  const first = await reader.get(raw('k'), Date.now(), 'ns/a');
  reader.setReader('ns/a', [{ req: raw('k'), marker: first.marker }], 5000);
  reader.setReader('ns/b', [{ req: raw('k'), marker: first.marker }], 5000);
  store.put('k', 'v2');
  mock.timers.tick(1);
  const second = await reader.get(raw('k'), Date.now(), 'ns/a');
  assert.deepEqual(woken, [['ns/b']], 'ns/a asked for this answer and has it');
  reader.setReader('ns/a', [{ req: raw('k'), marker: second.marker }], 5000);

  store.state.fail = true;
  mock.timers.tick(5000);
  await flush();
  assert.deepEqual(woken.at(-1), ['ns/a', 'ns/b'], 'a store that starts failing is news to every reader');
  const count = woken.length;

  store.state.fail = false;
  reader.markFailed('ns/a');
  mock.timers.tick(5000);
  await flush();
  assert.equal(woken.length, count + 1);
  assert.deepEqual(woken.at(-1), ['ns/a', 'ns/b'], 'ns/a failed its sync, so the recovered answer (v2 as before) wakes it; ns/b last applied v1, so v2 wakes it');
});

test('an older read finishing after a newer one does not replace the newer answer', async () => {
  const store = memoryStore();
  const releases: (() => void)[] = [];
  let n = 0;
  const client: StoreClient = {
    ...store.client,
    read: () => {
      const mine = ++n;
      return new Promise((r) => releases.push(() => r({ payload: `answer-${mine}`, version: String(mine) })));
    },
  };
  const governor = new StoreGovernor({ label: 's', budget: { callsPerSecond: 1000, burst: 1000, concurrency: 16, callTimeoutMs: 30_000 } });
  const reader = new StoreReader({ client, governor, wake: () => undefined });
  const older = reader.get(raw('k'), Date.now(), 'ns/a');
  await flush();
  mock.timers.tick(1);
  const newer = reader.get(raw('k'), Date.now(), 'ns/b');
  await flush();
  releases[1]!();
  assert.equal((await newer).kind === 'raw' && (await newer).marker, 'v:2');
  releases[0]!();
  await older;
  const kept = await reader.get(raw('k'), 0, 'ns/c');
  assert.equal(kept.marker, 'v:2');
});

test("the scheduler never queues more than the store's burst: the rest of the due reads move back, one call-interval apart", async () => {
  const store = memoryStore();
  const governor = new StoreGovernor({ label: 's', budget: { callsPerSecond: 2, burst: 2, concurrency: 16, callTimeoutMs: 30_000 } });
  const reader = new StoreReader({ client: store.client, governor, wake: () => undefined });
  const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
  for (const k of keys) reader.setReader(`ns/${k}`, [{ req: raw(k), marker: undefined }], 60_000);
  const total = () => keys.reduce((n, k) => n + (store.reads.get(k) ?? 0), 0);
  mock.timers.tick(60_000);
  await flush();
  assert.equal(total(), 2, 'the burst');
  assert.equal(governor.state.queued, 0, 'nothing waits in the governor queue');
  mock.timers.tick(500);
  await flush();
  assert.equal(total(), 3, 'one more per 1/rate');
  const seen: number[] = [];
  for (let i = 0; i < 3; i++) {
    mock.timers.tick(500);
    await flush();
    seen.push(total());
  }
  assert.deepEqual(seen, [4, 5, 6]);
});

test("a reader's periodic check takes the scheduler's kept answer, however old, without a call", async () => {
  const { store, reader } = setup();
  store.put('k', 'v');
  const a = await reader.get(raw('k'), Date.now(), 'ns/a');
  reader.setReader('ns/a', [{ req: raw('k'), marker: a.marker }], 60_000);
  mock.timers.tick(59_000);
  await reader.get(raw('k'), Date.now() - 1000, 'ns/a', { scheduled: true });
  assert.equal(store.reads.get('k'), 1);
  await reader.get(raw('k'), Date.now() - 1000, 'ns/other', { scheduled: true });
  assert.equal(store.reads.get('k'), 2, 'a requester that does not read the entry yet gets a read within its own freshness');
});

/** The memory store with a change feed: poll answers the stored versions; push hands out its handlers. */
function feedStore(opts: { pollSize?: number; push?: boolean } = {}) {
  const base = memoryStore();
  const polls: string[][] = [];
  const subs: { onChange(keys: string[]): void; onError(err: Error): void; stopped: boolean }[] = [];
  const state = { pollFails: false };
  const client: StoreClient = {
    ...base.client,
    changes: {
      poll: {
        maxSize: opts.pollSize ?? 10,
        markers: async (refs) => {
          polls.push(refs.map((r) => r.key));
          if (state.pollFails) throw new UnavailableError('list call failed');
          // The marker a read would give now: read through the store without counting it as a read.
          const out: (string | undefined)[] = [];
          for (const r of refs) {
            const raw = await base.client.read(r, new AbortController().signal);
            base.reads.set(r.key, (base.reads.get(r.key) ?? 1) - 1);
            out.push(raw.version);
          }
          return out;
        },
      },
      ...(opts.push
        ? {
            subscribe: (h: { onChange(keys: string[]): void; onError(err: Error): void }) => {
              const sub = { ...h, stopped: false };
              subs.push(sub);
              return () => void (sub.stopped = true);
            },
          }
        : {}),
    },
  };
  return { ...base, client, polls, subs, state };
}

test('with a poll feed, a refresh asks for markers in batches and reads only what changed; a failing poll falls back to reads and says so', async () => {
  const store = feedStore({ pollSize: 10 });
  const woken: string[][] = [];
  const feeds: string[] = [];
  const governor = new StoreGovernor({ label: 's', budget: { callsPerSecond: 1000, burst: 1000, concurrency: 16, callTimeoutMs: 30_000 } });
  const reader = new StoreReader({ client: store.client, governor, wake: (k) => woken.push([...k].sort()), onFeedState: (f) => feeds.push(f.failing ? `failing: ${f.failing.message}` : 'ok') });
  const keys = Array.from({ length: 25 }, (_, i) => `k${i}`);
  for (const k of keys) store.put(k, `${k}-1`);
  for (const k of keys) {
    const a = await reader.get(raw(k), Date.now(), `ns/${k}`);
    reader.setReader(`ns/${k}`, [{ req: raw(k), marker: a.marker }], 10_000);
  }
  assert.equal(reader.demand().callsPerSecond.toFixed(6), '0.300000', '25 keys every 10 s, 10 per poll call: 3 calls per round');
  const reads = () => keys.reduce((n, k) => n + (store.reads.get(k) ?? 0), 0);
  assert.equal(reads(), 25);

  mock.timers.tick(10_000);
  await flush();
  assert.deepEqual(store.polls.map((p) => p.length), [10, 10, 5], 'three poll calls');
  assert.equal(reads(), 25, 'nothing changed: no value read');
  assert.deepEqual(woken, []);

  store.put('k7', 'k7-2');
  mock.timers.tick(10_000);
  await flush();
  assert.equal(store.polls.length, 6);
  assert.equal(reads(), 26, 'only the changed key is read');
  assert.deepEqual(woken, [['ns/k7']]);

  store.state.pollFails = true;
  mock.timers.tick(10_000);
  await flush();
  assert.equal(reads(), 51, 'the poll failed: every value is read');
  assert.deepEqual(feeds, ['failing: list call failed']);
  assert.deepEqual(reader.feed, { mode: 'poll', failing: { since: Date.now(), message: 'list call failed' } });
  assert.equal(reader.demand().callsPerSecond.toFixed(6), '2.500000', 'while the feed fails, each refresh is a read');

  store.state.pollFails = false;
  mock.timers.tick(10_000);
  await flush();
  assert.equal(reads(), 51);
  assert.deepEqual(feeds, ['failing: list call failed', 'ok']);
});

test('with a push feed, a change the store tells of is read at once; a read that started before it does not count; a broken feed is subscribed again', async () => {
  const store = feedStore({ push: true });
  const woken: string[][] = [];
  const governor = new StoreGovernor({ label: 's', budget: { callsPerSecond: 1000, burst: 1000, concurrency: 16, callTimeoutMs: 30_000 } });
  const reader = new StoreReader({ client: store.client, governor, wake: (k) => woken.push([...k]) });
  store.put('a', 'a1');
  store.put('b', 'b1');
  const a = await reader.get(raw('a'), Date.now(), 'ns/a');
  const b = await reader.get(raw('b'), Date.now(), 'ns/b');
  assert.equal(store.subs.length, 0, 'no subscription before anyone reads on a timer');
  reader.setReader('ns/a', [{ req: raw('a'), marker: a.marker }], 3_600_000);
  reader.setReader('ns/b', [{ req: raw('b'), marker: b.marker }], 3_600_000);
  assert.equal(store.subs.length, 1, 'one subscription for the reader');

  store.put('a', 'a2');
  store.subs[0]!.onChange(['a']);
  mock.timers.tick(0);
  await flush();
  assert.deepEqual([store.reads.get('a'), store.reads.get('b')], [2, 1], 'a read at once, b not');
  assert.deepEqual(woken, [['ns/a']]);

  store.subs[0]!.onError(new Error('watch closed'));
  assert.equal(reader.feed.failing?.message, 'watch closed');
  mock.timers.tick(999);
  assert.equal(store.subs.length, 1);
  mock.timers.tick(1);
  assert.equal(store.subs.length, 2, 'subscribed again after 1 s');
  await flush();
  assert.deepEqual([store.reads.get('a'), store.reads.get('b')], [3, 2], 'what changed while the feed was down is read again');
  store.put('b', 'b2');
  store.subs[1]!.onChange(['b']);
  mock.timers.tick(0);
  await flush();
  assert.equal(store.reads.get('b'), 3);
  assert.equal(reader.feed.failing, undefined, 'a working feed clears the failure');
  reader.close();
  assert.equal(store.subs[1]!.stopped, true, 'closing the reader stops the feed');
});

test('a change told while a read is in flight starts another read: the one in flight may have missed it', async () => {
  const base = feedStore({ push: true });
  let release: (() => void)[] = [];
  let reads = 0;
  const client: StoreClient = {
    ...base.client,
    read: (ref) => {
      reads++;
      const n = reads;
      return new Promise((r) => release.push(() => r({ payload: `${ref.key}-${n}`, version: String(n) })));
    },
  };
  const governor = new StoreGovernor({ label: 's', budget: { callsPerSecond: 1000, burst: 1000, concurrency: 16, callTimeoutMs: 30_000 } });
  const reader = new StoreReader({ client, governor, wake: () => undefined });
  const first = reader.get(raw('k'), Date.now(), 'ns/a');
  await flush();
  release.shift()!();
  reader.setReader('ns/a', [{ req: raw('k'), marker: (await first).marker }], 3_600_000);
  // A read starts (say, a new ExternalSecret's) and is still out when the store tells of a change.
  mock.timers.tick(1);
  void reader.get(raw('k'), Date.now(), 'ns/b');
  await flush();
  assert.equal(reads, 2);
  mock.timers.tick(1);
  base.subs[0]!.onChange(['k']);
  mock.timers.tick(0);
  await flush();
  assert.equal(reads, 3, 'a read after the change');
  for (const r of release) r();
  release = [];
});

test('a kept error goes only to those who asked for that read; anyone else gets a read of their own', async () => {
  const { store, reader } = setup();
  store.state.fail = true;
  const t0 = Date.now();
  await assert.rejects(reader.get(raw('k'), t0, 'ns/a'), /store down/);
  assert.equal(store.reads.get('k'), 1);
  await assert.rejects(reader.get(raw('k'), t0, 'ns/a'), /store down/);
  assert.equal(store.reads.get('k'), 1, 'the requester comes back for its answer: no call');
  store.state.fail = false;
  const b = await reader.get(raw('k'), t0 - 5000, 'ns/b');
  assert.equal(b.kind, 'raw', 'another ExternalSecret within the share window reads afresh instead of taking the error');
  assert.equal(store.reads.get('k'), 2);
});

test('a poll that finds the value unchanged satisfies the scheduler, not a need for a fresh read', async () => {
  const store = feedStore({ pollSize: 10 });
  const governor = new StoreGovernor({ label: 's', budget: { callsPerSecond: 1000, burst: 1000, concurrency: 16, callTimeoutMs: 30_000 } });
  const reader = new StoreReader({ client: store.client, governor, wake: () => undefined });
  store.put('k', 'v1');
  const a = await reader.get(raw('k'), Date.now(), 'ns/a');
  reader.setReader('ns/a', [{ req: raw('k'), marker: a.marker }], 10_000);
  mock.timers.tick(10_000);
  await flush();
  assert.equal(store.polls.length, 1);
  assert.equal(store.reads.get('k'), 1, 'unchanged: not read');
  await reader.get(raw('k'), Date.now(), 'ns/force');
  assert.equal(store.reads.get('k'), 2, 'a need for a read from now is a read, though the poll just said unchanged');
});
