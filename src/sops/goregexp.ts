/**
 * Go (RE2) regular expressions as sops uses them for `path_regex` and the
 * encryption rules. The translation lives in util/goregexp.ts; here a bad
 * pattern is a configuration error (sops' exit code for config problems)
 * rather than a manifest error.
 */
import { HushError, InvalidConfigError } from '../util/errors.ts';
import { compileGoRegexp as compile } from '../util/goregexp.ts';

export function compileGoRegexp(source: string, what = 'regular expression'): RegExp {
  try {
    return compile(source, what);
  } catch (err) {
    if (!(err instanceof HushError)) throw err;
    const why = err.message.slice(`${what}: invalid regular expression ${JSON.stringify(source)}: `.length);
    throw new InvalidConfigError(`${what} ${JSON.stringify(source)}: ${why}`);
  }
}
