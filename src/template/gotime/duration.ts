/**
 * time.Duration for templates: int64 nanoseconds (bigint). Parsing is
 * util/duration.ts's time.ParseDuration (the one Go-duration parser), fed the
 * template's byte strings as they are; this file keeps what only templates
 * need, such as Duration.Round.
 */
import { parseGoDurationNs } from '../../util/duration.ts';

export { GoDurationError as DurationError } from '../../util/duration.ts';

/** time.ParseDuration of a template (byte) string. */
export function parseDuration(s: string): bigint {
  return parseGoDurationNs(s, { byteString: true });
}

const LIMIT = 1n << 63n;
const MAX = LIMIT - 1n;
const MIN = -LIMIT;

/** Duration.Round(m). */
export function roundDuration(d: bigint, m: bigint): bigint {
  if (m <= 0n) return d;
  let r = d % m;
  const lessThanHalf = (x: bigint, y: bigint): boolean => x + x < y;
  if (d < 0n) {
    r = -r;
    if (lessThanHalf(r, m)) return d + r;
    const d1 = d - m + r;
    return d1 < d && d1 >= MIN ? d1 : MIN;
  }
  if (lessThanHalf(r, m)) return d - r;
  const d1 = d + m - r;
  return d1 > d && d1 <= MAX ? d1 : MAX;
}
