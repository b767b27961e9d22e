/**
 * Go's time.ParseDuration, because ESO's `refreshInterval`, `refreshTime`
 * and `retryInterval` are Go duration strings ("1h", "2h30m", "1.5s", "0").
 * Returns milliseconds (fractions kept for ns/us precision).
 */
import { InvalidSpecError } from '../util/errors.ts';

const unitMs: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3, // U+00B5 micro sign
  'μs': 1e-3, // U+03BC Greek mu
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const part = /^(\d*)(?:\.(\d*))?([a-zµμ]+)/;

export function parseGoDuration(text: string, field = 'duration'): number {
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw invalid(text, field);
  let total = 0;
  while (rest !== '') {
    const m = part.exec(rest);
    if (m === null) throw invalid(text, field);
    const [whole, intPart = '', fracPart, unit = ''] = m;
    // Go requires at least one digit before or after the dot.
    if (intPart === '' && (fracPart === undefined || fracPart === '')) throw invalid(text, field);
    const scale = unitMs[unit];
    if (scale === undefined) throw invalid(text, field, `unknown unit "${unit}"`);
    total += Number(`${intPart === '' ? '0' : intPart}.${fracPart ?? '0'}`) * scale;
    rest = rest.slice(whole.length);
  }
  return sign * total;
}

function invalid(text: string, field: string, why = 'expected a Go duration such as "1h", "15m" or "90s"'): InvalidSpecError {
  return new InvalidSpecError(`${field}: invalid duration "${text}": ${why}`);
}
