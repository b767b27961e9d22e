/**
 * ESO matches `find.name.regexp` with Go's RE2, unanchored. JavaScript's
 * RegExp agrees on the common syntax; this translates the RE2 spellings that
 * differ (`(?i)` and other leading flag groups, `(?P<name>`, `\A`, `\z`, POSIX
 * classes like `[[:alpha:]]`). Known differences that remain: RE2 has no
 * backreferences or lookaround (JS accepts them), and `\b`/`\w` are ASCII in both.
 */
import { InvalidSpecError } from '../../util/errors.ts';

const posix: Record<string, string> = {
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

export function compileGoRegexp(source: string, field: string): RegExp {
  let src = source;
  let flags = '';
  const lead = /^\(\?([imsU]+)\)/.exec(src);
  if (lead) {
    const f = lead[1] as string;
    if (f.includes('U')) throw new InvalidSpecError(`${field}: the RE2 flag U (ungreedy) is not supported`);
    flags += [...new Set(f)].join('');
    src = src.slice(lead[0].length);
  }
  src = src
    .replace(/\(\?P</g, '(?<')
    .replace(/\\A/g, '^')
    .replace(/\\z/g, '$(?![\\s\\S])')
    .replace(/\[:(\^?)([a-z]+):\]/g, (m, neg: string, name: string) => {
      const cls = posix[name];
      if (cls === undefined) return m;
      return neg ? `^${cls}` : cls;
    });
  if (/\\[pP]/.test(src)) flags += 'u';
  try {
    return new RegExp(src, flags);
  } catch {
    throw new InvalidSpecError(`${field}: ${JSON.stringify(source)} is not a valid regular expression`);
  }
}
