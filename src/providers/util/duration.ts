/** Go's time.ParseDuration for provider fields; undefined where the text is not a Go duration. */
import { parseGoDuration as parse } from '../../util/duration.ts';

export function parseGoDuration(text: string): number | undefined {
  try {
    return parse(text);
  } catch {
    return undefined;
  }
}
