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
    throw new LimitExceeded('steps', `template exceeded the limit of ${current.maxSteps} evaluation steps (costly functions such as genPrivateKey and bcrypt count by their work; the controller's --template-max-steps raises the limit)`);
  }
}

/**
 * What the CPU-heavy functions cost, in steps, charged before they run. An
 * ordinary step (a node, a function call) is well under a microsecond; a key
 * generation is a third of a second. Counted as one step each, a template
 * could call genPrivateKey a hundred thousand times inside its budget, and
 * only the sandbox's wall clock would stop it (sandbox/pool.ts). Charged by
 * their real cost, the budget stops such a loop itself, with a message that
 * says why, before the clock does.
 *
 * The rate: one millisecond of CPU = COST_PER_MS steps, so the default budget
 * of 1,000,000 steps holds about one second of heavy work, half the sandbox's
 * default wall-clock limit (2 s), which leaves room for a slower machine.
 * The times were measured on the development machine (bench/template-pool.ts
 * prints them); RSA key generation varies a lot (a prime search), its cost is
 * the mean.
 *
 * | function | work | time | cost (steps) |
 * | --- | --- | --- | --- |
 * | genPrivateKey "rsa" (or "") | RSA-4096 key | ~330 ms | 330,000 (3 per template) |
 * | genPrivateKey "dsa" | DSA-2048 parameters and key | ~270 ms | 270,000 |
 * | genCA, genSelfSignedCert, genSignedCert | RSA-2048 key + signature | ~50 ms | 50,000 |
 * | genPrivateKey "ecdsa" / "ed25519" | P-256 / Ed25519 key | ~0.1 ms | 100 |
 * | bcrypt, htpasswd | bcrypt, cost 10 | ~65 ms | 65,000 (15 per template) |
 * | derivePassword | scrypt N=32768 r=8 p=2 | ~120 ms | 120,000 |
 * | pkcs12* (PBKDF2, from the file) | per iteration and output block | ~0.2–0.5 µs | 0.5 |
 * | pkcs12* (RFC 7292 KDF, legacy files) | per iteration and block | ~3.5 µs | 3.5 |
 *
 * The PKCS#12 iteration count comes from the file the template is given, so
 * it is the data, not the template, that decides: 10^9 iterations would be
 * minutes of CPU and are stopped here at once.
 */
export const COST_PER_MS = 1000;
export const COST = {
  rsa4096: 330_000,
  dsa2048: 270_000,
  rsa2048: 50_000,
  ellipticKey: 100,
  bcrypt: 65_000,
  scrypt: 120_000,
  pbkdf2Iteration: 0.5,
  pkcs12KdfIteration: 3.5,
} as const;

/** Charges `cost` steps (a fraction is rounded up) before a heavy operation runs. */
export function charge(cost: number): void {
  step(Math.ceil(cost));
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
