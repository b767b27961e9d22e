/**
 * Go RE2 regular expressions on top of JavaScript's RegExp, for every pattern
 * users write in manifests and configs (`rewrite.regexp`, `find.name.regexp`,
 * ClusterSecretStore `namespaceRegexes`, sops `path_regex` and encryption
 * rules). Both engines agree on the common syntax and, like Go's
 * MatchString, matching is unanchored. The RE2 spellings JS lacks are
 * translated: leading flag groups `(?i)` `(?m)` `(?s)`, `(?P<name>`, `\A`,
 * `\z` and POSIX classes such as `[[:alpha:]]`. What RE2 rejects (lookaround,
 * backreferences, the ungreedy flag U) is rejected here too, so a pattern never
 * matches differently from Go.
 */
import { InvalidSpecError } from './errors.ts';

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

export interface GoRegexpOptions {
  /** Adds the g flag (for replace-all). */
  global?: boolean;
}

/** Compiles a Go regular expression; `field` names where it came from in errors (`spec.dataFrom[0].rewrite[0].regexp.source`). */
export function compileGoRegexp(pattern: string, field: string, options: GoRegexpOptions | boolean = {}): RegExp {
  const global = typeof options === 'boolean' ? options : options.global === true;
  const fail = (why: string) => new InvalidSpecError(`${field}: invalid regular expression "${pattern}": ${why}`);
  let src = pattern;
  let flags = '';
  const lead = /^\(\?([imsU]+)\)/.exec(src);
  if (lead) {
    for (const f of new Set(lead[1])) {
      if (f === 'U') throw fail('the ungreedy flag U is not supported');
      flags += f;
    }
    src = src.slice(lead[0].length);
  }
  if (/\(\?[=!]|\(\?<[=!]/.test(src)) throw fail('lookaround is not valid in Go regular expressions');
  if (/(^|[^\\])\\[1-9]/.test(src)) throw fail('backreferences are not valid in Go regular expressions');
  let posixError: string | undefined;
  src = src
    .replace(/\(\?P</g, '(?<')
    .replace(/\\A/g, '^')
    .replace(/\\z/g, '$(?![\\s\\S])')
    .replace(/\[:(\^?)([a-z]+):\]/g, (m, neg: string, name: string) => {
      const cls = POSIX[name];
      if (cls === undefined) posixError = `unknown character class ${m}`;
      else if (neg) posixError = `negated POSIX class ${m} is not supported`;
      return cls ?? m;
    });
  if (posixError) throw fail(posixError);
  if (global) flags += 'g';
  // Unicode mode matches Go's code-point semantics, but rejects escapes RE2 allows
  // (such as \- outside a class); fall back to plain mode for those patterns.
  try {
    return new RegExp(src, flags + 'u');
  } catch (err) {
    if (/\\[pP]/.test(src)) throw fail((err as Error).message.replace(/^Invalid regular expression: /, ''));
    try {
      return new RegExp(src, flags);
    } catch (err2) {
      throw fail((err2 as Error).message.replace(/^Invalid regular expression: /, ''));
    }
  }
}

/**
 * Go's Regexp.ReplaceAllString: `$1`, `${1}`, `$name`, `${name}` and `$$`.
 * As in Go, `$name` takes the longest run of letters, digits and underscores,
 * and a reference to a group that does not exist expands to "".
 */
export function goReplaceAll(input: string, re: RegExp, template: string): string {
  const global = re.global ? re : new RegExp(re.source, re.flags + 'g');
  return input.replace(global, (...args: unknown[]) => {
    const last = args[args.length - 1];
    const hasGroups = typeof last === 'object' && last !== null;
    const groups = (hasGroups ? last : {}) as Record<string, string | undefined>;
    const numbered = args.slice(1, hasGroups ? -3 : -2) as (string | undefined)[];
    return expandGoTemplate(template, args[0] as string, numbered, groups);
  });
}

function expandGoTemplate(template: string, whole: string, numbered: (string | undefined)[], named: Record<string, string | undefined>): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c !== '$' || i === template.length - 1) {
      out += c;
      continue;
    }
    const next = template[i + 1]!;
    if (next === '$') {
      out += '$';
      i++;
      continue;
    }
    let name: string;
    if (next === '{') {
      const end = template.indexOf('}', i + 2);
      if (end < 0) {
        out += c;
        continue;
      }
      name = template.slice(i + 2, end);
      i = end;
    } else {
      const m = /^[A-Za-z0-9_]+/.exec(template.slice(i + 1));
      if (!m) {
        out += c;
        continue;
      }
      name = m[0];
      i += name.length;
    }
    if (/^\d+$/.test(name)) {
      const n = Number(name);
      out += n === 0 ? whole : (numbered[n - 1] ?? '');
    } else {
      out += named[name] ?? '';
    }
  }
  return out;
}
