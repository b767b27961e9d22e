/**
 * Go's time.ParseDuration and Duration.String, because ESO manifests carry Go
 * durations ("1h", "15m30s", "500ms", "0") and status/printer columns show them
 * the way Go prints them ("1h0m0s").
 */
import { InvalidSpecError } from './errors.ts';

const unitMs: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3,
  'μs': 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Parses a Go duration string into milliseconds. `field` names the manifest field in errors. */
export function parseGoDuration(text: string, field = 'duration'): number {
  const s = text.trim();
  if (s === '0' || s === '+0' || s === '-0') return 0;
  const re = /^([+-])?((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/u;
  if (s === '' || !re.test(s)) {
    throw new InvalidSpecError(`${field}: invalid duration "${text}": use a Go duration such as "1h", "15m" or "30s"`);
  }
  const sign = s.startsWith('-') ? -1 : 1;
  let total = 0;
  for (const m of s.replace(/^[+-]/, '').matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/gu)) {
    total += Number(m[1]) * (unitMs[m[2]!] ?? 0);
  }
  return sign * total;
}

/** Formats milliseconds like Go's Duration.String ("1h0m0s", "1m30s", "500ms", "0s"). */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  const neg = ms < 0;
  let rest = Math.abs(ms);
  if (rest < 1000) {
    const out = rest >= 1 ? `${trimFloat(rest)}ms` : rest >= 1e-3 ? `${trimFloat(rest * 1e3)}µs` : `${Math.round(rest * 1e6)}ns`;
    return neg ? `-${out}` : out;
  }
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const sec = trimFloat(rest / 1000);
  let out = '';
  if (h > 0) out += `${h}h`;
  if (h > 0 || m > 0) out += `${m}m`;
  out += `${sec}s`;
  return neg ? `-${out}` : out;
}

function trimFloat(n: number): string {
  return Number(n.toFixed(9)).toString();
}
