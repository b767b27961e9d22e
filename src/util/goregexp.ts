/**
 * Go RE2 regular expressions on top of JavaScript's RegExp, for the patterns
 * that appear in manifests (`rewrite.regexp`, `find.name.regexp`). RE2 is a
 * subset of what JS supports except for a few spellings, which we translate:
 * `(?P<name>` named groups, leading inline flags `(?i)`, `(?s)`, `(?m)`, and
 * `\z`. Anything else that JS rejects is reported with the field name.
 */
import { InvalidSpecError } from './errors.ts';

export function compileGoRegexp(pattern: string, field: string, global = false): RegExp {
  let src = pattern;
  let flags = 'u';
  const lead = /^\(\?([imsU]+)\)/.exec(src);
  if (lead) {
    for (const f of lead[1]!) {
      if (f === 'i' || f === 'm' || f === 's') flags += f;
      else throw new InvalidSpecError(`${field}: regular expression flag "${f}" is not supported`);
    }
    src = src.slice(lead[0].length);
  }
  src = src.replace(/\(\?P</g, '(?<').replace(/\\z/g, '$(?![\\s\\S])');
  if (global) flags += 'g';
  try {
    return new RegExp(src, flags);
  } catch (err) {
    throw new InvalidSpecError(`${field}: invalid regular expression "${pattern}": ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`);
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
