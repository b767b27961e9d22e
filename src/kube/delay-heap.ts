/**
 * A binary min-heap of (key, readyAt) with at most one live entry per key.
 * The workqueue's delayed adds and the event recorder use it instead of one
 * timer per key: with 10k objects that is 10k timers otherwise.
 *
 * Rescheduling a key leaves its old entry in the heap; `readyAtOf` tells a
 * live entry from a stale one, and stale entries are skipped when they reach
 * the top. This keeps every operation O(log n) without a position index.
 */
export class DelayHeap<K> {
  private readonly heap: { key: K; readyAt: number }[] = [];
  private readonly live = new Map<K, number>();

  get size(): number {
    return this.live.size;
  }

  readyAtOf(key: K): number | undefined {
    return this.live.get(key);
  }

  /** Schedules key at readyAt, or moves it earlier; a later time than the current one is ignored. */
  scheduleEarliest(key: K, readyAt: number): boolean {
    const current = this.live.get(key);
    if (current !== undefined && current <= readyAt) return false;
    this.live.set(key, readyAt);
    this.push({ key, readyAt });
    return true;
  }

  delete(key: K): void {
    this.live.delete(key);
  }

  clear(): void {
    this.heap.length = 0;
    this.live.clear();
  }

  /** The earliest live readyAt, or undefined when empty. */
  peekTime(): number | undefined {
    this.dropStale();
    return this.heap[0]?.readyAt;
  }

  /** Removes and returns every key whose time has come. */
  popDue(now: number): K[] {
    const due: K[] = [];
    for (;;) {
      this.dropStale();
      const top = this.heap[0];
      if (!top || top.readyAt > now) break;
      this.pop();
      this.live.delete(top.key);
      due.push(top.key);
    }
    return due;
  }

  private dropStale(): void {
    for (;;) {
      const top = this.heap[0];
      if (!top || this.live.get(top.key) === top.readyAt) return;
      this.pop();
    }
  }

  private push(entry: { key: K; readyAt: number }): void {
    const h = this.heap;
    h.push(entry);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.readyAt <= entry.readyAt) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = entry;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop();
    if (!last || h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const child = r < h.length && h[r]!.readyAt < h[l]!.readyAt ? r : l;
      if (h[child]!.readyAt >= last.readyAt) break;
      h[i] = h[child]!;
      i = child;
    }
    h[i] = last;
  }
}

/** Node turns a delay above 2^31-1 ms into 1 ms; longer waits re-arm instead. */
export const maxTimerDelayMs = 2 ** 31 - 1;

export function clampDelay(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) return ms > 0 ? maxTimerDelayMs : 0;
  return Math.min(ms, maxTimerDelayMs);
}
