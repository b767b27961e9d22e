/**
 * One store client's reads: what was read and when, who reads it, and when it is
 * read again.
 *
 * Every raw read (and every find query) of a client is an entry here, shared by
 * all the ExternalSecrets that name it:
 *
 *  - A read asks for an answer no older than a point in time (`freshAfter`). A
 *    kept answer that new is used as it is; a read in flight that started that
 *    late is joined; otherwise one call goes to the store's governor. So the same
 *    key named by a hundred ExternalSecrets in one round is one call.
 *  - The scheduler re-reads each entry at the shortest refreshInterval of its
 *    readers (refreshInterval is a promise of maximum staleness), and the
 *    governor's budget spreads those reads out.
 *  - When an answer's change marker (the store's version, else a digest) differs
 *    from what a reader last applied, exactly the readers of that entry are woken.
 *    An answer that did not change wakes nobody and writes nothing.
 *
 * Answers are kept in memory only while someone reads them (plus a short idle
 * time); values are never written anywhere from here.
 */
import type { FindSpec, RawRef, RawSecret, StoreClient } from '../providers/types.ts';
import { asHushError } from '../util/errors.ts';
import { changeMarker } from './fingerprint.ts';
import type { StoreGovernor } from './governor.ts';
import { DueHeap } from './heap.ts';
import { rawRefKey } from './rawref.ts';

/** What an entry reads: one raw ref, or one find query. */
export type ReadRequest = { kind: 'raw'; ref: RawRef } | { kind: 'find'; find: FindSpec };

export type Answer = { kind: 'raw'; raw: RawSecret; marker: string; at: number } | { kind: 'find'; found: Map<string, Uint8Array>; marker: string; at: number };

interface Outcome {
  answer?: Answer;
  error?: Error;
  /** When the read that produced it started. */
  at: number;
  /** Who asked for that read and waits for it: the only ones a kept error is handed to. */
  requesters: ReadonlySet<string>;
  /**
   * When a poll last found the answer unchanged (the store's marker still the same). It
   * satisfies the scheduler and periodic checks, never a need for a read (force-sync, a
   * refresh asked for, a retry): a list call may lag the store (ListSecrets, five minutes).
   */
  checkedAt?: number;
}

interface ReaderMark {
  intervalMs: number;
  /** The marker of the answer this reader last applied; undefined after a failure (any answer wakes it). */
  marker: string | undefined;
}

interface Entry {
  key: string;
  request: ReadRequest;
  outcome?: Outcome;
  inFlight?: { startedAt: number; promise: Promise<Answer>; requesters: Set<string> };
  readers: Map<string, ReaderMark>;
  lastUsed: number;
  /** The store said this entry changed at this time (push); a read started before it does not cover it. */
  dirtySince?: number | undefined;
}

export interface StoreReaderOptions {
  client: StoreClient;
  governor: StoreGovernor;
  /** Wakes ExternalSecrets (queue keys) whose reads changed. */
  wake: (esKeys: string[]) => void;
  now?: () => number;
  /** How long an answer nobody reads is kept. Default 5 minutes. */
  idleMs?: number;
  /** Told when the client's change feed fails or recovers (logs, metrics, the store's condition). */
  onFeedState?: (state: FeedState) => void;
}

/** How the reader learns of changes, and whether that works right now. */
export interface FeedState {
  /** `push` (the store tells), `poll` (markers without values), or `values` (every refresh reads the value). */
  mode: 'push' | 'poll' | 'push+poll' | 'values';
  /** The last failure of the feed, while it lasts; refreshes then read values within the budget. */
  failing?: { since: number; message: string } | undefined;
}

/** The identity of a read request within one client. */
export function requestKey(req: ReadRequest): string {
  return req.kind === 'raw' ? `r${rawRefKey(req.ref)}` : `f${JSON.stringify([req.find.path ?? null, req.find.name?.regexp ?? null, req.find.tags ? Object.entries(req.find.tags).sort() : null])}`;
}

export class StoreReader {
  readonly client: StoreClient;
  readonly governor: StoreGovernor;
  private readonly wake: (esKeys: string[]) => void;
  private readonly now: () => number;
  private readonly idleMs: number;
  private readonly entries = new Map<string, Entry>();
  /** Which entries each reader (ExternalSecret key) reads. */
  private readonly byReader = new Map<string, Set<string>>();
  private readonly due = new DueHeap();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private lastSweep = 0;
  private closed = false;
  private readonly onFeedState: ((state: FeedState) => void) | undefined;
  /** Poll and push fail apart: in push+poll mode, a working poll must not hide a broken push. */
  private readonly failing: { poll: FeedState['failing']; push: FeedState['failing'] } = { poll: undefined, push: undefined };
  private readonly sweeper: NodeJS.Timeout;
  /** The push subscription while it runs; undefined before the first reader and after a failure. */
  private stopFeed: (() => void) | undefined;
  private resubscribeTimer: NodeJS.Timeout | undefined;
  private resubscribeDelayMs = 1000;

  constructor(opts: StoreReaderOptions) {
    this.client = opts.client;
    this.governor = opts.governor;
    this.wake = opts.wake;
    this.now = opts.now ?? Date.now;
    this.idleMs = opts.idleMs ?? 5 * 60_000;
    this.onFeedState = opts.onFeedState;
    // Kept answers nobody reads are dropped after idleMs, also when nothing else happens here.
    this.sweeper = setInterval(() => this.maybeSweep(this.now()), 60_000);
    this.sweeper.unref();
  }

  /** How this reader learns of changes now. */
  get feed(): FeedState {
    const f = this.client.changes;
    const mode: FeedState['mode'] = f?.subscribe && f.poll ? 'push+poll' : f?.subscribe ? 'push' : f?.poll ? 'poll' : 'values';
    const failing = this.failing.push ?? this.failing.poll;
    return failing ? { mode, failing } : { mode };
  }

  /** Calls per second the scheduled refreshes need (one read per entry per shortest interval of its readers), and the shortest interval. */
  demand(): { callsPerSecond: number; shortestIntervalMs: number | undefined } {
    let reads = 0;
    let polled = 0;
    let pollCount = 0;
    let shortest: number | undefined;
    const poll = this.failing.poll ? undefined : this.client.changes?.poll;
    for (const e of this.entries.values()) {
      const interval = this.intervalOf(e);
      if (!Number.isFinite(interval) || interval <= 0) continue;
      shortest = Math.min(shortest ?? Infinity, interval);
      if (poll && this.pollable(e)) {
        polled += 1000 / interval;
        pollCount++;
      } else {
        reads += 1000 / interval;
      }
    }
    // A refresh the feed can judge costs its share of a poll call (unless the feed is failing).
    const perRef = pollCount > 0 ? (poll!.callsFor?.(pollCount) ?? Math.ceil(pollCount / poll!.maxSize)) / pollCount : 0;
    return { callsPerSecond: reads + polled * perRef, shortestIntervalMs: shortest };
  }

  /**
   * An answer for `req` from a read that started at or after `freshAfter`. `requester`
   * (an ExternalSecret key) is not woken by the answer it waits for itself.
   *
   * `scheduled`: the requester's periodic check. When it already reads this entry, the
   * scheduler owns the entry's freshness (and paces its reads within the budget): the kept
   * answer is used whatever its age, and the check costs no call.
   */
  get(req: ReadRequest, freshAfter: number, requester: string, opts: { scheduled?: boolean } = {}): Promise<Answer> {
    const key = requestKey(req);
    let e = this.entries.get(key);
    if (!e) {
      e = { key, request: req, readers: new Map(), lastUsed: this.now() };
      this.entries.set(key, e);
    }
    e.lastUsed = this.now();
    this.maybeSweep(e.lastUsed);
    const o = e.outcome;
    if (o?.answer && (o.at >= freshAfter || (opts.scheduled && e.readers.has(requester)))) {
      this.governor.countShared();
      return Promise.resolve(o.answer);
    }
    // A kept error goes only to those who asked for that read (a reconcile that let its worker
    // go comes back for it): shared through the window, a NotFound of a moment ago could make
    // a new ExternalSecret with deletionPolicy Delete delete a Secret whose key now exists.
    if (o?.error && o.at >= freshAfter && o.requesters.has(requester)) {
      this.governor.countShared();
      return Promise.reject(o.error);
    }
    if (e.inFlight && e.inFlight.startedAt >= freshAfter) {
      this.governor.countShared();
      e.inFlight.requesters.add(requester);
      return e.inFlight.promise;
    }
    return this.start(e, new Set([requester]));
  }

  /**
   * Records what `esKey` read and applied, and how stale it lets them get (intervalMs; 0 or
   * undefined: never refreshed on a timer, as refreshInterval 0, CreatedOnce and OnChange).
   * Replaces the reader's earlier set: entries it no longer reads forget it.
   */
  setReader(esKey: string, reads: { req: ReadRequest; marker: string | undefined }[], intervalMs: number | undefined): void {
    const keep = new Set<string>();
    const interval = intervalMs && intervalMs > 0 ? intervalMs : 0;
    if (interval > 0) {
      for (const r of reads) {
        const key = requestKey(r.req);
        let e = this.entries.get(key);
        if (!e) {
          e = { key, request: r.req, readers: new Map(), lastUsed: this.now() };
          this.entries.set(key, e);
        }
        keep.add(key);
        e.readers.set(esKey, { intervalMs: interval, marker: r.marker });
        this.reschedule(e);
      }
    }
    for (const key of this.byReader.get(esKey) ?? []) {
      if (keep.has(key)) continue;
      const e = this.entries.get(key);
      if (!e) continue;
      e.readers.delete(esKey);
      this.reschedule(e);
    }
    if (keep.size > 0) this.byReader.set(esKey, keep);
    else this.byReader.delete(esKey);
    if (this.byReader.size > 0) this.subscribe();
    this.arm();
  }

  /** After a failed sync: the next answer of any of the reader's entries wakes it, changed or not. */
  markFailed(esKey: string): void {
    for (const key of this.byReader.get(esKey) ?? []) {
      const m = this.entries.get(key)?.readers.get(esKey);
      if (m) m.marker = undefined;
    }
  }

  removeReader(esKey: string): void {
    this.setReader(esKey, [], 0);
  }

  /** The readers of every entry for `remoteKey` (any version, metadata policy or property). */
  readersOfKey(remoteKey: string): string[] {
    const out: string[] = [];
    for (const e of this.entries.values()) {
      if (e.request.kind === 'raw' && e.request.ref.key === remoteKey) out.push(...e.readers.keys());
    }
    return out;
  }

  /** Every reader registered here (to wake them when this client is replaced). */
  readerKeys(): string[] {
    return [...this.byReader.keys()];
  }

  close(): void {
    this.closed = true;
    clearInterval(this.sweeper);
    clearTimeout(this.timer);
    this.timer = undefined;
    clearTimeout(this.resubscribeTimer);
    this.stopFeed?.();
    this.stopFeed = undefined;
    this.entries.clear();
    this.byReader.clear();
  }

  private start(e: Entry, requesters: Set<string>): Promise<Answer> {
    const startedAt = this.now();
    const req = e.request;
    // The scheduler's timer refreshes go behind everything else; a read someone waits for, or
    // one the store said changed, goes first.
    const background = requesters.size === 0 && e.dirtySince === undefined;
    const call: Promise<Answer> =
      req.kind === 'raw'
        ? this.governor.read(this.client, req.ref, { background }).then((raw) => ({ kind: 'raw', raw, marker: changeMarker(raw), at: startedAt }))
        : this.governor.call('find', (signal) => this.client.findSecrets(req.find, signal), { background }).then((found) => ({ kind: 'find', found, marker: changeMarker({ payload: found }), at: startedAt }));
    const flight = { startedAt, promise: call, requesters };
    e.inFlight = flight;
    if (e.dirtySince !== undefined && startedAt > e.dirtySince) e.dirtySince = undefined;
    call.then(
      (answer) => this.settle(e, flight, { answer, at: startedAt, requesters: flight.requesters }),
      (error: unknown) => this.settle(e, flight, { error: error instanceof Error ? error : asHushError(error), at: startedAt, requesters: flight.requesters }),
    );
    return call;
  }

  private settle(e: Entry, flight: NonNullable<Entry['inFlight']>, outcome: Outcome): void {
    if (this.closed) return;
    if (e.inFlight === flight) e.inFlight = undefined;
    // An older read finishing after a newer one must not replace the newer answer.
    if (e.outcome && e.outcome.at > outcome.at) return;
    const before = e.outcome;
    e.outcome = outcome;
    const woken: string[] = [];
    for (const [esKey, mark] of e.readers) {
      if (flight.requesters.has(esKey)) continue;
      if (outcome.answer) {
        if (mark.marker !== outcome.answer.marker) woken.push(esKey);
      } else if (before?.answer || before === undefined) {
        // A read that starts failing is news too: the readers say so in their status.
        woken.push(esKey);
      }
    }
    this.reschedule(e);
    this.arm();
    if (woken.length > 0) this.wake(woken);
  }

  /** The entry's next scheduled read: its last read plus the shortest interval of its readers. */
  private reschedule(e: Entry): void {
    let interval = Infinity;
    for (const m of e.readers.values()) interval = Math.min(interval, m.intervalMs);
    if (!Number.isFinite(interval)) {
      this.due.delete(e.key);
      return;
    }
    const last = e.inFlight?.startedAt ?? (e.outcome ? Math.max(e.outcome.at, e.outcome.checkedAt ?? -Infinity) : this.now());
    this.due.set(e.key, last + interval);
  }

  private arm(): void {
    if (this.closed) return;
    const next = this.due.peek();
    if (next === undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.timerAt = Infinity;
      return;
    }
    if (this.timer && this.timerAt <= next) return;
    clearTimeout(this.timer);
    this.timerAt = next;
    this.timer = setTimeout(() => this.fire(), Math.max(0, next - this.now()));
    this.timer.unref?.();
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    if (this.closed) return;
    const now = this.now();
    const due = this.due.takeDue(now).flatMap((key) => {
      const e = this.entries.get(key);
      // An entry read in flight is rescheduled when it settles (unless the store said it changed
      // after that read started); one without readers is done.
      if (e === undefined || e.readers.size === 0) return [];
      if (e.inFlight && !(e.dirtySince !== undefined && e.inFlight.startedAt <= e.dirtySince)) return [];
      return [e];
    });
    // Entries the change feed can judge are asked about in batches; the rest have their values read.
    const poll = this.client.changes?.poll;
    // An entry the store said changed is read, not polled.
    const polled = poll ? due.filter((e) => e.dirtySince === undefined && this.pollable(e)) : [];
    const valued = due.filter((e) => !polled.includes(e));
    const calls: { run: () => void; keys: string[] }[] = [];
    // What the store said changed goes first, then the timer's own refreshes.
    for (const e of valued.filter((x) => x.dirtySince !== undefined)) calls.push({ run: () => void this.start(e, new Set()).catch(() => undefined), keys: [e.key] });
    for (let i = 0; i < polled.length; i += poll!.maxSize) {
      const chunk = polled.slice(i, i + poll!.maxSize);
      calls.push({ run: () => this.pollChunk(chunk), keys: chunk.map((e) => e.key) });
    }
    for (const e of valued.filter((x) => x.dirtySince === undefined)) calls.push({ run: () => void this.start(e, new Set()).catch(() => undefined), keys: [e.key] });
    // Never more than the governor can start soon: the rest move back, one call-interval
    // apart, so that a store over its budget is read late (and says so) rather than flooded.
    const g = this.governor.state;
    const room = Math.max(1, this.governor.currentBudget.burst - g.queued);
    const spacing = 1000 / Math.max(0.001, g.callsPerSecond);
    calls.forEach((c, i) => {
      // A scheduled read fails or succeeds for its readers through settle(); nobody awaits it here.
      if (i < room) c.run();
      else for (const key of c.keys) this.due.set(key, now + Math.ceil((i - room + 1) * spacing));
    });
    this.maybeSweep(now);
    this.arm();
  }

  /** Whether the change feed can tell if this entry changed: a raw read with a store version kept. */
  private pollable(e: Entry): boolean {
    return e.request.kind === 'raw' && e.outcome?.answer?.kind === 'raw' && e.outcome.answer.raw.version !== undefined && this.client.changes?.poll !== undefined;
  }

  /**
   * One poll call for these entries: an entry whose marker is still the kept answer's version is
   * fresh as of the poll's start and is not read; the others are read. When the poll fails, they
   * are all read (within the budget) and the feed says it is failing.
   */
  private pollChunk(chunk: Entry[]): void {
    const poll = this.client.changes!.poll!;
    const startedAt = this.now();
    const refs = chunk.map((e) => (e.request as Extract<ReadRequest, { kind: 'raw' }>).ref);
    // Reschedule now, so that the entries are not taken again while the poll is out.
    for (const e of chunk) this.due.set(e.key, startedAt + this.intervalOf(e));
    this.governor.call('poll', (signal, charge) => poll.markers(refs, signal, charge), { background: true }).then(
      (markers) => {
        if (this.closed) return;
        this.setFeedFailing('poll', undefined);
        chunk.forEach((e, i) => {
          const m = markers[i];
          const answer = e.outcome?.answer;
          if (m !== undefined && answer?.kind === 'raw' && answer.raw.version === m && !(e.inFlight && e.inFlight.startedAt > startedAt)) {
            // Unchanged: the kept answer is as good as a read started with the poll.
            if ((e.outcome!.checkedAt ?? -Infinity) < startedAt) e.outcome = { ...e.outcome!, checkedAt: startedAt };
            this.reschedule(e);
          } else if (!e.inFlight) {
            // A changed marker is a change like one a store tells of: its read goes ahead of the polls.
            if (m !== undefined) e.dirtySince ??= startedAt;
            this.start(e, new Set()).catch(() => undefined);
          }
        });
        this.arm();
      },
      (err: unknown) => {
        if (this.closed) return;
        this.setFeedFailing('poll', err);
        for (const e of chunk) if (!e.inFlight) this.start(e, new Set()).catch(() => undefined);
        this.arm();
      },
    );
  }

  private intervalOf(e: Entry): number {
    let interval = Infinity;
    for (const m of e.readers.values()) interval = Math.min(interval, m.intervalMs);
    return interval;
  }

  /** Subscribes to the client's push feed once someone reads; after a failure, again with backoff. */
  private subscribe(): void {
    const feed = this.client.changes;
    if (!feed?.subscribe || this.stopFeed || this.resubscribeTimer || this.closed) return;
    let stopped = false;
    const stop = feed.subscribe({
      onChange: (keys) => {
        if (stopped || this.closed) return;
        this.resubscribeDelayMs = 1000;
        this.setFeedFailing('push', undefined);
        this.pushed(keys);
      },
      onError: (err) => {
        if (stopped || this.closed) return;
        stopped = true;
        this.stopFeed = undefined;
        this.setFeedFailing('push', err);
        // Refreshes go on on their timers meanwhile; the feed is tried again, backing off to 1 min.
        const delay = this.resubscribeDelayMs;
        this.resubscribeDelayMs = Math.min(60_000, delay * 2);
        this.resubscribeTimer = setTimeout(() => {
          this.resubscribeTimer = undefined;
          if (this.byReader.size === 0) return;
          this.subscribe();
          // What changed while the feed was down was told to nobody: every entry is read again,
          // through the scheduler's pacing.
          this.pushedAll();
        }, delay);
        this.resubscribeTimer.unref?.();
      },
    });
    this.stopFeed = () => {
      stopped = true;
      stop();
    };
  }

  /** The store said these keys changed: their entries (and every find, which may match them) are read now. */
  private pushed(keys: string[]): void {
    const changed = new Set(keys);
    const now = this.now();
    for (const e of this.entries.values()) {
      if (e.readers.size === 0) continue;
      const hit = e.request.kind === 'find' || changed.has(e.request.ref.key);
      if (!hit) continue;
      // A read started after the change covers it; one started before, or in the same
      // millisecond, may have missed it.
      if (e.inFlight && e.inFlight.startedAt > now) continue;
      e.dirtySince = now;
      this.due.set(e.key, now);
    }
    // Through the scheduler's pacing, so that a burst of changes stays within the budget.
    this.arm();
  }

  /** Every entry with readers is read again now (the feed may have missed changes). */
  private pushedAll(): void {
    const now = this.now();
    for (const e of this.entries.values()) {
      if (e.readers.size === 0) continue;
      e.dirtySince = now;
      this.due.set(e.key, now);
    }
    this.arm();
  }

  private setFeedFailing(kind: 'poll' | 'push', err: unknown): void {
    const was = this.failing[kind];
    if (err === undefined) {
      if (!was) return;
      this.failing[kind] = undefined;
    } else {
      const message = err instanceof Error ? err.message : 'the change feed failed';
      if (was && was.message === message) return;
      this.failing[kind] = { since: was?.since ?? this.now(), message };
    }
    this.onFeedState?.(this.feed);
  }

  /** Drops answers nobody reads any more, once idle (a pass over the entries at most every 30 s). */
  private maybeSweep(now: number): void {
    if (now - this.lastSweep < 30_000) return;
    this.lastSweep = now;
    for (const [key, e] of this.entries) {
      if (e.readers.size === 0 && !e.inFlight && now - e.lastUsed > this.idleMs) this.entries.delete(key);
    }
  }
}
