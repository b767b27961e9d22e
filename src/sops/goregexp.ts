/**
 * Go regular expressions as sops uses them for `path_regex` and the
 * encryption rules, compiled by util/goregexp.ts. Here a bad pattern is a
 * configuration error (sops' exit code for config problems) rather than a
 * manifest error.
 */
import { InvalidConfigError } from '../util/errors.ts';
import { compileGoRegexp as compile, GoRegexpError, type GoRegexp } from '../util/goregexp.ts';

export function compileGoRegexp(source: string, what = 'regular expression'): GoRegexp {
  try {
    return compile(source);
  } catch (err) {
    if (!(err instanceof GoRegexpError)) throw err;
    throw new InvalidConfigError(`${what} ${JSON.stringify(source)}: ${err.detail}`, { cause: err });
  }
}
