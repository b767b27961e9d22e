/**
 * Go (RE2) regular expressions, as sops uses them for `path_regex` and the
 * encryption rules, translated to JavaScript. The common subset means the same
 * thing in both; the RE2-only syntax people actually write is translated
 * (`(?i)` and other leading flags, `(?P<name>…)`, `\A`, `\z`, POSIX classes
 * such as `[[:alpha:]]`); what RE2 rejects (lookaround, backreferences) is
 * rejected here too, so a rule never matches differently than sops would.
 * Matching is unanchored, like Go's `regexp.MatchString`.
 */
import { InvalidConfigError } from '../util/errors.ts';

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

export function compileGoRegexp(source: string, what = 'regular expression'): RegExp {
  let flags = 'u';
  let src = source;
  const lead = /^\(\?([imsU]+)\)/.exec(src);
  if (lead) {
    for (const f of lead[1]!) {
      if (f === 'i' && !flags.includes('i')) flags += 'i';
      else if (f === 'm' && !flags.includes('m')) flags += 'm';
      else if (f === 's' && !flags.includes('s')) flags += 's';
      else if (f === 'U') throw new InvalidConfigError(`${what} ${JSON.stringify(source)}: the (?U) flag is not supported`);
    }
    src = src.slice(lead[0].length);
  }
  if (/\(\?[=!]|\(\?<[=!]/.test(src)) {
    throw new InvalidConfigError(`${what} ${JSON.stringify(source)}: lookaround is not valid in Go regular expressions`);
  }
  if (/(^|[^\\])\\[1-9]/.test(src)) {
    throw new InvalidConfigError(`${what} ${JSON.stringify(source)}: backreferences are not valid in Go regular expressions`);
  }
  src = src
    .replace(/\(\?P</g, '(?<')
    .replace(/\\A/g, '^')
    .replace(/\\z/g, '$(?![\\s\\S])')
    .replace(/\[:(\^?)([a-z]+):\]/g, (m, neg: string, name: string) => {
      const cls = POSIX[name];
      if (cls === undefined) throw new InvalidConfigError(`${what} ${JSON.stringify(source)}: unknown class ${m}`);
      if (neg) throw new InvalidConfigError(`${what} ${JSON.stringify(source)}: negated POSIX classes are not supported`);
      return cls;
    });
  try {
    return new RegExp(src, flags);
  } catch (err) {
    throw new InvalidConfigError(`${what} ${JSON.stringify(source)} is not a valid regular expression: ${(err as Error).message}`);
  }
}
