/**
 * Records core/v1 Events (what `kubectl describe` and `kubectl get events`
 * show) the way client-go's recorder does:
 *
 * - Aggregation: the same (object, type, reason, message) recorded again
 *   bumps `count` and `lastTimestamp` on the existing Event with a PATCH,
 *   instead of creating one Event per occurrence. Repeats recorded while a
 *   write is still queued are folded into that write.
 * - Spam filter: a token bucket per involved object (burst 25, one token per
 *   5 minutes by default), so a hot-looping reconcile cannot flood etcd.
 * - Fire and forget: record() never throws and never blocks a reconcile;
 *   writes go out one at a time in the background, and a failure is logged.
 *
 * Messages must not carry secret values (see util/errors.ts); they are
 * stored in etcd and shown to anyone who can read events.
 */
import os from 'node:os';
import { describeError } from '../util/errors.ts';
import { silentLogger, type Logger } from '../util/log.ts';
import { isAlreadyExists, isNotFound, type KubeClient } from './client.ts';
import { Events, type KubeObject } from './resources.ts';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorderOptions {
  /** source.component / reportingComponent, e.g. "hush-controller". */
  component: string;
  /** reportingInstance; default the host name (the pod name in a cluster). */
  instance?: string;
  logger?: Logger;
  /** Events per object allowed in a burst; default 25. */
  burst?: number;
  /** One more event per object is allowed every refillMs; default 300000 (5 min). */
  refillMs?: number;
  /** Queued writes beyond this are dropped (and logged); default 1000. */
  maxPending?: number;
  /** How many distinct events are remembered for aggregation; default 4096. */
  cacheSize?: number;
  /** Messages longer than this are cut; default 1024 characters. */
  maxMessageLength?: number;
}

export type EventSubject = KubeObject & { apiVersion: string; kind: string };

interface Pending {
  key: string;
  subject: InvolvedObject;
  namespace: string;
  type: EventType;
  reason: string;
  message: string;
  /** Occurrences folded into this write. */
  count: number;
  firstSeen: string;
  lastSeen: string;
}

interface InvolvedObject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
}

interface Recorded {
  name: string;
  namespace: string;
  count: number;
}

export class EventRecorder {
  private readonly client: KubeClient;
  private readonly component: string;
  private readonly instance: string;
  private readonly log: Logger;
  private readonly burst: number;
  private readonly refillMs: number;
  private readonly maxPending: number;
  private readonly cacheSize: number;
  private readonly maxMessageLength: number;
  private readonly pending = new Map<string, Pending>();
  /** LRU (Map keeps insertion order) of events already written. */
  private readonly recorded = new Map<string, Recorded>();
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private pump: Promise<void> | undefined;

  constructor(client: KubeClient, opts: EventRecorderOptions) {
    this.client = client;
    this.component = opts.component;
    this.instance = opts.instance ?? os.hostname();
    this.log = (opts.logger ?? silentLogger).child({ component: 'events' });
    this.burst = opts.burst ?? 25;
    this.refillMs = opts.refillMs ?? 300_000;
    this.maxPending = opts.maxPending ?? 1000;
    this.cacheSize = opts.cacheSize ?? 4096;
    this.maxMessageLength = opts.maxMessageLength ?? 1024;
  }

  record(obj: EventSubject, type: EventType, reason: string, message: string): void {
    try {
      this.enqueue(obj, type, reason, message);
    } catch (err) {
      this.log.warn('could not record event', { reason, error: describeError(err) });
    }
  }

  /** Resolves when every queued event has been written (or has failed). */
  async flush(): Promise<void> {
    while (this.pump) await this.pump;
  }

  private enqueue(obj: EventSubject, type: EventType, reason: string, rawMessage: string): void {
    const meta = obj.metadata;
    const subject: InvolvedObject = { apiVersion: obj.apiVersion, kind: obj.kind, name: meta.name };
    if (meta.namespace) subject.namespace = meta.namespace;
    if (meta.uid) subject.uid = meta.uid;
    if (meta.resourceVersion) subject.resourceVersion = meta.resourceVersion;
    const message =
      rawMessage.length > this.maxMessageLength ? `${rawMessage.slice(0, this.maxMessageLength - 3)}...` : rawMessage;
    const namespace = meta.namespace || 'default';
    const objectId = `${subject.apiVersion}/${subject.kind}/${namespace}/${subject.name}/${subject.uid ?? ''}`;
    const key = `${objectId}\u0000${type}\u0000${reason}\u0000${message}`;
    const now = timestamp();

    const queued = this.pending.get(key);
    if (queued) {
      // Folding a repeat into a queued write costs no API call, so no token either.
      queued.count++;
      queued.lastSeen = now;
      return;
    }
    if (!this.takeToken(objectId)) {
      this.log.debug('event dropped by the per-object rate limit', { kind: subject.kind, name: subject.name, reason });
      return;
    }
    if (this.pending.size >= this.maxPending) {
      this.log.warn('event queue full; dropping event', { kind: subject.kind, name: subject.name, reason });
      return;
    }
    this.pending.set(key, { key, subject, namespace, type, reason, message, count: 1, firstSeen: now, lastSeen: now });
    // Start writing on the next turn of the event loop, so repeats recorded
    // in the same turn (a burst from one reconcile) fold into one write.
    this.pump ??= new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.drain())
      .finally(() => {
        this.pump = undefined;
      });
  }

  private takeToken(objectId: string): boolean {
    const now = Date.now();
    let b = this.buckets.get(objectId);
    if (!b) {
      b = { tokens: this.burst, at: now };
      // Buckets are per object: keep the map bounded like the event cache.
      if (this.buckets.size >= this.cacheSize) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
      this.buckets.set(objectId, b);
    }
    if (this.refillMs > 0) {
      b.tokens = Math.min(this.burst, b.tokens + (now - b.at) / this.refillMs);
    }
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  private async drain(): Promise<void> {
    for (;;) {
      const next = this.pending.values().next();
      if (next.done) return;
      const p = next.value;
      this.pending.delete(p.key);
      try {
        await this.write(p);
      } catch (err) {
        this.log.warn('could not write event', {
          kind: p.subject.kind,
          name: p.subject.name,
          reason: p.reason,
          error: describeError(err),
        });
      }
    }
  }

  private async write(p: Pending): Promise<void> {
    const seen = this.recorded.get(p.key);
    if (seen) {
      const count = seen.count + p.count;
      try {
        await this.client.patch(Events, seen.name, seen.namespace, { count, lastTimestamp: p.lastSeen }, 'merge');
        seen.count = count;
        this.touch(p.key, seen);
        return;
      } catch (err) {
        // The Event expired (default TTL 1 h) or was deleted: start a new one.
        if (!isNotFound(err)) throw err;
        this.recorded.delete(p.key);
      }
    }
    for (let attempt = 0; ; attempt++) {
      const name = eventName(p.subject.name);
      try {
        await this.client.create(Events, {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name, namespace: p.namespace },
          involvedObject: p.subject,
          reason: p.reason,
          message: p.message,
          type: p.type,
          count: p.count,
          firstTimestamp: p.firstSeen,
          lastTimestamp: p.lastSeen,
          source: { component: this.component },
          reportingComponent: this.component,
          reportingInstance: this.instance,
        } as KubeObject);
        this.touch(p.key, { name, namespace: p.namespace, count: p.count });
        return;
      } catch (err) {
        if (!isAlreadyExists(err) || attempt >= 2) throw err;
      }
    }
  }

  private touch(key: string, rec: Recorded): void {
    this.recorded.delete(key);
    this.recorded.set(key, rec);
    while (this.recorded.size > this.cacheSize) {
      const oldest = this.recorded.keys().next().value;
      if (oldest === undefined) break;
      this.recorded.delete(oldest);
    }
  }
}

let lastNanos = 0n;

/** client-go's naming: "<object name>.<unix nanoseconds in hex>", unique per process. */
function eventName(objectName: string): string {
  let nanos = BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
  if (nanos <= lastNanos) nanos = lastNanos + 1n;
  lastNanos = nanos;
  const suffix = `.${nanos.toString(16)}`;
  return objectName.slice(0, 253 - suffix.length) + suffix;
}

/** metav1.Time: RFC 3339 with second precision. */
export function kubeTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function timestamp(): string {
  return kubeTime(new Date());
}
