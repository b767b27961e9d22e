/**
 * A min-heap of (time, key) with lazy deletion: rescheduling a key pushes a new
 * entry and the stale one is skipped when it surfaces. The scheduler keeps one
 * due time per read, so a sweep over every read per tick is never needed.
 */
export class DueHeap {
  private readonly items: { at: number; key: string; seq: number }[] = [];
  private readonly current = new Map<string, number>();
  private seq = 0;

  get size(): number {
    return this.current.size;
  }

  /** Sets (or moves) `key`'s due time. */
  set(key: string, at: number): void {
    const seq = ++this.seq;
    this.current.set(key, seq);
    this.items.push({ at, key, seq });
    this.up(this.items.length - 1);
    // Lazy deletion must not let dead entries pile up without bound.
    if (this.items.length > 64 && this.items.length > 4 * this.current.size) this.rebuild();
  }

  delete(key: string): void {
    this.current.delete(key);
  }

  /** The earliest live due time, or undefined. */
  peek(): number | undefined {
    this.dropDead();
    return this.items[0]?.at;
  }

  /** Removes and returns every key due at or before `now`. */
  takeDue(now: number): string[] {
    const out: string[] = [];
    for (;;) {
      this.dropDead();
      const top = this.items[0];
      if (!top || top.at > now) return out;
      this.pop();
      this.current.delete(top.key);
      out.push(top.key);
    }
  }

  private dropDead(): void {
    for (;;) {
      const top = this.items[0];
      if (!top || this.current.get(top.key) === top.seq) return;
      this.pop();
    }
  }

  private pop(): void {
    const last = this.items.pop()!;
    if (this.items.length === 0) return;
    this.items[0] = last;
    this.down(0);
  }

  private rebuild(): void {
    const live = this.items.filter((e) => this.current.get(e.key) === e.seq);
    this.items.length = 0;
    for (const e of live) {
      this.items.push(e);
      this.up(this.items.length - 1);
    }
  }

  private up(i: number): void {
    const a = this.items;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]!.at <= a[i]!.at) return;
      [a[p], a[i]] = [a[i]!, a[p]!];
      i = p;
    }
  }

  private down(i: number): void {
    const a = this.items;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && a[l]!.at < a[m]!.at) m = l;
      if (r < a.length && a[r]!.at < a[m]!.at) m = r;
      if (m === i) return;
      [a[m], a[i]] = [a[i]!, a[m]!];
      i = m;
    }
  }
}
