/**
 * A store's call budget: defaults per provider, and per-store changes through
 * annotations (ESO's CRDs have no field for it, and ESO manifests must stay valid).
 *
 *   hush.dev/calls-per-second      steady calls per second (a number, e.g. "2" or "0.5")
 *   hush.dev/call-burst            calls that may start at once after idling (default: one second's worth)
 *   hush.dev/max-concurrent-calls  calls in flight at once
 *   hush.dev/call-timeout          the longest one call may take (a Go duration, e.g. "10s")
 *
 * The defaults are below what each service documents as its quota, so that one
 * controller stays a fair user of a store shared with other clients.
 */
import { InvalidConfigError } from '../util/errors.ts';
import { parseGoDuration } from '../util/duration.ts';
import type { Budget } from './governor.ts';

export const BUDGET_ANNOTATIONS = {
  callsPerSecond: 'hush.dev/calls-per-second',
  burst: 'hush.dev/call-burst',
  concurrency: 'hush.dev/max-concurrent-calls',
  callTimeout: 'hush.dev/call-timeout',
} as const;

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Per provider key (and AWS service). Why these numbers:
 *  - Parameter Store's standard throughput is 40 GetParameter(s) calls a second per account
 *    and region; 30 leaves room for other clients.
 *  - Secrets Manager allows 10,000 GetSecretValue a second; 50 is what one controller needs.
 *  - Vault/OpenBao, Key Vault and GCP Secret Manager have far higher limits (Key Vault: 4,000
 *    secret GETs per 10 s per vault); 50 keeps one controller from dominating them.
 *  - The kubernetes provider talks to an API server with priority and fairness; 20 is modest.
 *  - A webhook is someone's small service: 10 a second, 4 at once.
 */
const DEFAULTS: Record<string, Omit<Budget, 'burst' | 'callTimeoutMs'>> = {
  vault: { callsPerSecond: 50, concurrency: 8 },
  kubernetes: { callsPerSecond: 20, concurrency: 4 },
  'aws/SecretsManager': { callsPerSecond: 50, concurrency: 8 },
  'aws/ParameterStore': { callsPerSecond: 30, concurrency: 4 },
  azurekv: { callsPerSecond: 50, concurrency: 8 },
  gcpsm: { callsPerSecond: 50, concurrency: 8 },
  webhook: { callsPerSecond: 10, concurrency: 4 },
  fake: { callsPerSecond: 1000, concurrency: 16 },
};
const FALLBACK = { callsPerSecond: 20, concurrency: 4 };

/** The default budget for a provider; `providerSpec` is spec.provider.<key> (AWS picks by service). */
export function defaultBudget(providerKey: string, providerSpec: unknown): Budget {
  let key = providerKey;
  if (providerKey === 'aws') {
    const service = (providerSpec as { service?: unknown } | null)?.service;
    key = service === 'ParameterStore' ? 'aws/ParameterStore' : 'aws/SecretsManager';
  }
  const d = DEFAULTS[key] ?? FALLBACK;
  return { ...d, burst: Math.max(1, Math.ceil(d.callsPerSecond)), callTimeoutMs: DEFAULT_TIMEOUT_MS };
}

/** The store's budget: the provider default with the store's annotations applied. Throws InvalidConfigError naming the annotation. */
export function budgetFor(providerKey: string, providerSpec: unknown, annotations: Record<string, string> | undefined): Budget {
  const b = defaultBudget(providerKey, providerSpec);
  const a = annotations ?? {};
  const rate = a[BUDGET_ANNOTATIONS.callsPerSecond];
  if (rate !== undefined) {
    b.callsPerSecond = positiveNumber(rate, BUDGET_ANNOTATIONS.callsPerSecond, 'a number of calls per second above 0, such as "2" or "0.5"');
    // The burst follows the rate unless it is set too: a store limited to 2/s should not start with 50.
    b.burst = Math.max(1, Math.ceil(b.callsPerSecond));
  }
  const burst = a[BUDGET_ANNOTATIONS.burst];
  if (burst !== undefined) b.burst = positiveInteger(burst, BUDGET_ANNOTATIONS.burst);
  const conc = a[BUDGET_ANNOTATIONS.concurrency];
  if (conc !== undefined) b.concurrency = positiveInteger(conc, BUDGET_ANNOTATIONS.concurrency);
  const timeout = a[BUDGET_ANNOTATIONS.callTimeout];
  if (timeout !== undefined) {
    const field = `metadata.annotations["${BUDGET_ANNOTATIONS.callTimeout}"]`;
    const ms = parseGoDuration(timeout, field);
    if (!(ms >= 100) || ms > 10 * 60_000) throw new InvalidConfigError(`${field}: ${JSON.stringify(timeout)} is out of range; use a duration from 100ms to 10m`);
    b.callTimeoutMs = ms;
  }
  return b;
}

function positiveNumber(text: string, annotation: string, want: string): number {
  const n = /^[0-9]+(\.[0-9]+)?$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!(n > 0) || n > 100_000) throw new InvalidConfigError(`metadata.annotations["${annotation}"]: ${JSON.stringify(text)} is not valid; use ${want}`);
  return n;
}

function positiveInteger(text: string, annotation: string): number {
  const n = /^[0-9]+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!(n >= 1) || n > 10_000) throw new InvalidConfigError(`metadata.annotations["${annotation}"]: ${JSON.stringify(text)} is not valid; use a whole number from 1 to 10000`);
  return n;
}
