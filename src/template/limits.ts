/**
 * Budgets that stop a runaway template: evaluation steps, output bytes and
 * the size of values functions build (`repeat`, `until`, `genPrivateKey` in a
 * loop). Rendering is synchronous, so the budget of the render in progress is
 * kept in a module variable that functions consult without extra plumbing.
 */

export class LimitExceeded extends Error {
  readonly limit: 'steps' | 'output' | 'depth' | 'size';
  constructor(limit: 'steps' | 'output' | 'depth' | 'size', message: string) {
    super(message);
    this.limit = limit;
  }
}

export interface Budget {
  maxSteps: number;
  maxOutputBytes: number;
  steps: number;
}

let current: Budget | undefined;

export function withBudget<T>(b: Budget, f: () => T): T {
  const saved = current;
  current = b;
  try {
    return f();
  } finally {
    current = saved;
  }
}

/** Counts n evaluation steps against the budget of the render in progress. */
export function step(n = 1): void {
  if (current === undefined) return;
  current.steps += n;
  if (current.steps > current.maxSteps) {
    throw new LimitExceeded('steps', `template exceeded the limit of ${current.maxSteps} evaluation steps`);
  }
}

/**
 * Called by functions before they build a value of `bytes` bytes (or items):
 * nothing a function returns may be larger than the output limit, so huge
 * `repeat`/`until` calls fail fast instead of exhausting memory.
 */
export function allocate(bytes: number): void {
  if (current === undefined) return;
  if (bytes > current.maxOutputBytes) {
    throw new LimitExceeded('size', `value of ${bytes} bytes exceeds the template output limit of ${current.maxOutputBytes} bytes`);
  }
  step(Math.ceil(bytes / 1024));
}
