/**
 * Go durations, the one parser for all of Hush: manifests carry them
 * (refreshInterval, retryInterval, timeouts: "1h", "15m30s", "500ms", "0"),
 * status shows them the way Go prints them ("1h0m0s"), and the template's
 * `duration` functions need time.ParseDuration's exact grammar, int64
 * overflow rules and error texts. Durations are parsed to int64 nanoseconds
 * (bigint); parseGoDuration gives milliseconds for timers.
 */
import { InvalidSpecError } from './errors.ts';

/** time.ParseDuration's error; `message` is Go's err.Error() text. */
export class GoDurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GoDurationError';
  }
}

const NS_PER_UNIT: Record<string, bigint> = {
  ns: 1n,
  us: 1000n,
  'µs': 1000n, // U+00B5
  'μs': 1000n, // U+03BC
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
// The parser reads byte strings (one char per UTF-8 byte), so units are looked up by their bytes.
const UNIT_BY_BYTES = new Map(Object.entries(NS_PER_UNIT).map(([k, v]) => [Buffer.from(k, 'utf8').toString('latin1'), v]));
const LIMIT = 1n << 63n;

/** Go's time.quote for a byte string: non-ASCII and control bytes as \xNN. */
export function goTimeQuote(bytes: string): string {
  let out = '"';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes.charCodeAt(i);
    if (c >= 0x80 || c < 0x20) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += (c === 0x22 || c === 0x5c ? '\\' : '') + bytes[i];
  }
  return out + '"';
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/**
 * time.ParseDuration, in nanoseconds. `text` is ordinary text unless
 * `byteString` is set, in which case each char is one byte (the template's
 * Go strings), so that error texts quote the very bytes Go would.
 */
export function parseGoDurationNs(text: string, options: { byteString?: boolean } = {}): bigint {
  const orig = options.byteString ? text : Buffer.from(text, 'utf8').toString('latin1');
  const invalid = (): GoDurationError => new GoDurationError(`time: invalid duration ${goTimeQuote(orig)}`);
  let s = orig;
  let d = 0n;
  let neg = false;
  if (s[0] === '-' || s[0] === '+') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') throw invalid();
  while (s !== '') {
    if (!(s[0] === '.' || isDigit(s[0]))) throw invalid();
    let i = 0;
    let v = 0n;
    for (; isDigit(s[i]); i++) {
      if (v > LIMIT / 10n) throw invalid();
      v = v * 10n + BigInt(s.charCodeAt(i) - 48);
      if (v > LIMIT) throw invalid();
    }
    const pre = i > 0;
    s = s.slice(i);
    let post = false;
    let f = 0n;
    let scale = 1;
    if (s[0] === '.') {
      s = s.slice(1);
      let j = 0;
      // Digits past int64 precision are dropped, not an error (Go's leadingFraction).
      let overflow = false;
      for (; isDigit(s[j]); j++) {
        if (overflow) continue;
        if (f > (LIMIT - 1n) / 10n) {
          overflow = true;
          continue;
        }
        const y = f * 10n + BigInt(s.charCodeAt(j) - 48);
        if (y > LIMIT) {
          overflow = true;
          continue;
        }
        f = y;
        scale *= 10;
      }
      post = j > 0;
      s = s.slice(j);
    }
    if (!pre && !post) throw invalid();
    let k = 0;
    while (k < s.length && !(s[k] === '.' || isDigit(s[k]))) k++;
    if (k === 0) throw new GoDurationError(`time: missing unit in duration ${goTimeQuote(orig)}`);
    const u = s.slice(0, k);
    s = s.slice(k);
    const unit = UNIT_BY_BYTES.get(u);
    if (unit === undefined) throw new GoDurationError(`time: unknown unit ${goTimeQuote(u)} in duration ${goTimeQuote(orig)}`);
    if (v > LIMIT / unit) throw invalid();
    v *= unit;
    if (f > 0n) {
      // Go computes the fraction in float64; so does this, for the same rounding.
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > LIMIT) throw invalid();
    }
    d += v;
    if (d > LIMIT) throw invalid();
  }
  if (neg) return -d;
  if (d > LIMIT - 1n) throw invalid();
  return d;
}

/** A Go duration from a manifest, in milliseconds. `field` names the manifest field in errors. */
export function parseGoDuration(text: string, field = 'duration'): number {
  try {
    return Number(parseGoDurationNs(text)) / 1e6;
  } catch (err) {
    throw new InvalidSpecError(`${field}: invalid duration ${JSON.stringify(text)}: use a Go duration such as "1h", "15m" or "30s"`, { cause: err });
  }
}

/** parseGoDuration for optional settings: undefined where the text is not a Go duration. */
export function tryParseGoDuration(text: string): number | undefined {
  try {
    return Number(parseGoDurationNs(text)) / 1e6;
  } catch {
    return undefined;
  }
}

/** Go's Duration.String for int64 nanoseconds: "1h0m0s", "1m30s", "1.5s", "500ms", "0s". */
export function formatGoDurationNs(d: bigint): string {
  if (d === 0n) return '0s';
  const neg = d < 0n;
  let u = neg ? -d : d;
  let out: string;
  if (u < 1_000_000_000n) {
    // Under a second Go picks the largest unit that keeps a whole part: ns, µs or ms.
    if (u < 1000n) return `${neg ? '-' : ''}${u}ns`;
    out = u < 1_000_000n ? `${decimal(u, 3)}µs` : `${decimal(u, 6)}ms`;
  } else {
    const secs = u / 1_000_000_000n;
    let s = `${secs % 60n}${decimal(u % 1_000_000_000n, 9).replace(/^0/, '')}s`;
    u = secs / 60n;
    if (u > 0n) {
      s = `${u % 60n}m${s}`;
      u /= 60n;
      if (u > 0n) s = `${u}h${s}`;
    }
    out = s;
  }
  return (neg ? '-' : '') + out;
}

/** `v` / 10^prec in decimal, without trailing zeros in the fraction. */
function decimal(v: bigint, prec: number): string {
  const p = 10n ** BigInt(prec);
  const frac = (v % p).toString().padStart(prec, '0').replace(/0+$/, '');
  return `${v / p}${frac ? '.' + frac : ''}`;
}

/** formatGoDurationNs for milliseconds. */
export function formatGoDuration(ms: number): string {
  return formatGoDurationNs(BigInt(Math.round(ms * 1e6)));
}
