/**
 * One in-flight run of an async job, shared by every caller that asks while
 * it runs (Go's singleflight). Store sessions use it so that a burst of reads
 * arriving with an expired token causes one login, not one each.
 */
export class SingleFlight<T> {
  private current: Promise<T> | undefined;

  /** True while a run is in flight. */
  get busy(): boolean {
    return this.current !== undefined;
  }

  /** Joins the run in flight, or starts `job` as the new one. */
  run(job: () => Promise<T>): Promise<T> {
    if (this.current) return this.current;
    const p = job();
    this.current = p;
    const clear = (): void => {
      if (this.current === p) this.current = undefined;
    };
    p.then(clear, clear);
    return p;
  }
}
