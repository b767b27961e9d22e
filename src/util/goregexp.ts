/**
 * Go (RE2) regular expressions, the one implementation every Go pattern in
 * Hush goes through: `rewrite.regexp`, `find.name.regexp`, ClusterSecretStore
 * `namespaceRegexes`, the webhook's JSONPath `=~` and template key scan,
 * gjson wildcards, sops `path_regex` and encryption rules, the template's
 * sprig regex functions and semver constraints, and CRD `pattern`s. Most of
 * these are written by tenants, so matching must take time linear in the
 * input whatever the pattern (issue 9; docs/security.md, "Regular
 * expressions", lists the sites and limits).
 *
 * The engine is re2js (an exact-version dependency), a JavaScript port of
 * RE2J, itself a port of Go's regexp and regexp/syntax: Go's parser with
 * Go's error texts and limits (repeat counts, nesting depth, program size),
 * and Go's matchers (DFA, one-pass, bounded backtracker, Pike VM), none of
 * which backtracks without bound. re2-wasm was measured too (docs/bench.md,
 * "How the engine was chosen"): it is C++ RE2, whose syntax and errors are
 * not Go's (it accepts `\C`, refuses `\p{Letter}`, and none of its error
 * texts is Go's), and it was slower on short inputs (each call copies the
 * string into WebAssembly). The native `re2` addon needs a C++ build at
 * install time and is C++ RE2 as well.
 *
 * This module keeps Go's *Regexp method semantics on top of one primitive
 * ("leftmost-first match at or after pos, with submatches"): the empty-match
 * rules of FindAll and ReplaceAll, Expand, Split. Offsets are UTF-16 code
 * units of the JavaScript string, which is what re2js reports for string
 * input and what callers slice with; tools/goregexp-oracle converts Go's
 * byte offsets to the same unit so the two compare directly.
 *
 * Go is the judge of every behaviour here (tools/goregexp-oracle checks it).
 * What re2js parses differently from Go is mended before it sees the
 * pattern (see goSyntax below); what RE2 refuses (backreferences,
 * lookaround) is refused with Go's own error text plus a hint.
 */
import { RE2JS, RE2JSSyntaxException, RE2Set } from 're2js';
import { InvalidSpecError } from './errors.ts';

/** A pattern Go's regexp.Compile would reject. `message` is Go's err.Error() text. */
export class GoRegexpError extends InvalidSpecError {
  /** Go's error code text, e.g. "missing closing )". */
  readonly reason: string;
  /** The part of the pattern Go blames. */
  readonly expr: string;
  /** Why, when Go's text alone would puzzle a user (lookaround, backreferences). */
  readonly hint: string | undefined;
  readonly pattern: string;

  constructor(pattern: string, reason: string, expr: string, hint?: string, cause?: unknown) {
    super(`error parsing regexp: ${reason}: \`${expr}\``, cause === undefined ? {} : { cause });
    this.name = 'GoRegexpError';
    this.pattern = pattern;
    this.reason = reason;
    this.expr = expr;
    this.hint = hint;
  }

  /** "reason: `expr` (hint)", for callers that put the pattern in their own words. */
  get detail(): string {
    return `${this.reason}: \`${this.expr}\`${this.hint ? ` (${this.hint})` : ''}`;
  }
}

/** One match: `indexes` are Go's submatch index pairs (-1 for a group that did not take part). */
export interface GoMatch {
  readonly index: number;
  readonly end: number;
  readonly indexes: readonly number[];
  /** groups[0] is the whole match; undefined for a group that did not take part. */
  readonly groups: readonly (string | undefined)[];
}

export interface ReplaceOptions {
  /** Called with the output length as it grows, so a caller can stop runaway output. */
  onGrow?: (length: number) => void;
}

/** A compiled Go regular expression; the methods are Go's *Regexp methods of the same names. */
export class GoRegexp {
  readonly source: string;
  /** Go's SubexpNames: index 0 is the whole match, "" for unnamed groups. */
  readonly subexpNames: readonly string[];
  readonly #re: RE2JS;
  /** Go's numSubexp + 1: the index pairs every match reports. */
  readonly #pairs: number;

  /** Use compileGoRegexp. */
  constructor(source: string, re: RE2JS, names: string[]) {
    this.source = source;
    this.#re = re;
    this.#pairs = names.length;
    this.subexpNames = names;
  }

  /** MatchString: unanchored, like Go; asks for no submatches, so re2js may answer with its DFA. */
  matchString(s: string): boolean {
    return this.#re.test(s);
  }

  /** FindStringSubmatchIndex, as a match object; undefined when nothing matches. */
  find(s: string): GoMatch | undefined {
    return this.#exec(s, 0);
  }

  /** FindAllStringSubmatchIndex: n < 0 means all; an empty match right after a match is skipped, as in Go. */
  findAll(s: string, n = -1): GoMatch[] {
    const out: GoMatch[] = [];
    let prevEnd = -1;
    for (let pos = 0; (n < 0 || out.length < n) && pos <= s.length; ) {
      const m = this.#exec(s, pos);
      if (!m) break;
      const accept = !(m.end === m.index && m.index === prevEnd);
      pos = m.end === pos ? pos + runeWidth(s, pos) : m.end;
      prevEnd = m.end;
      if (accept) out.push(m);
    }
    return out;
  }

  /** ReplaceAllString: `repl` is expanded with Expand's `$1` `${1}` `$name` `${name}` `$$`. */
  replaceAll(s: string, repl: string, options: ReplaceOptions = {}): string {
    return this.replaceAllFunc(s, (m) => this.expand(repl, s, m), options);
  }

  /** ReplaceAllLiteralString. */
  replaceAllLiteral(s: string, repl: string, options: ReplaceOptions = {}): string {
    return this.replaceAllFunc(s, () => repl, options);
  }

  /** Go's replaceAll loop, with the replacement computed per match. */
  replaceAllFunc(s: string, repl: (m: GoMatch) => string, options: ReplaceOptions = {}): string {
    let out = '';
    let lastEnd = 0;
    for (let pos = 0; pos <= s.length; ) {
      const m = this.#exec(s, pos);
      if (!m) break;
      out += s.slice(lastEnd, m.index);
      // No replacement for an empty match right after another match (Go's rule).
      if (m.end > lastEnd || m.index === 0) out += repl(m);
      lastEnd = m.end;
      const width = runeWidth(s, pos);
      pos = pos + width > m.end ? pos + width : m.end;
      options.onGrow?.(out.length);
    }
    return out + s.slice(lastEnd);
  }

  /**
   * Regexp.Expand for one match of `src`. A name is the longest run of
   * letters, digits and underscores; a number with a leading zero is a name;
   * a group that does not exist or did not match expands to nothing; a `$`
   * that starts no valid reference stays as it is.
   */
  expand(template: string, src: string, m: GoMatch): string {
    let out = '';
    let i = 0;
    for (;;) {
      const dollar = template.indexOf('$', i);
      if (dollar < 0) break;
      out += template.slice(i, dollar);
      i = dollar + 1;
      if (template[i] === '$') {
        out += '$';
        i++;
        continue;
      }
      const ref = referenceAt(template, i);
      if (!ref) {
        out += '$';
        continue;
      }
      i = ref.next;
      const group = ref.num >= 0 ? ref.num : this.subexpNames.findIndex((n, k) => n === ref.name && (m.indexes[2 * k] ?? -1) >= 0);
      const start = m.indexes[2 * group] ?? -1;
      if (group >= 0 && start >= 0) out += src.slice(start, m.indexes[2 * group + 1]);
    }
    return out + template.slice(i);
  }

  /** Split: n == 0 gives null (Go's nil), n < 0 all substrings. */
  split(s: string, n = -1): string[] | null {
    if (n === 0) return null;
    if (this.source !== '' && s === '') return [''];
    const out: string[] = [];
    let beg = 0;
    let end = 0;
    for (const m of this.findAll(s, n)) {
      if (n > 0 && out.length === n - 1) break;
      end = m.index;
      if (m.end !== 0) out.push(s.slice(beg, end));
      beg = m.end;
    }
    if (end !== s.length) out.push(s.slice(beg));
    return out;
  }

  /**
   * The leftmost-first match at or after `pos`, the rest of `s` still seen
   * by `^`, `\b` and friends (Go's doExecute with a start position).
   */
  #exec(s: string, pos: number): GoMatch | undefined {
    const [ok, cap] = this.#re.re2().matchWithGroup(s, pos, s.length, UNANCHORED, this.#pairs) as [boolean, number[] | null];
    if (!ok || !cap) return undefined;
    const indexes: number[] = [];
    const groups: (string | undefined)[] = [];
    for (let k = 0; k < this.#pairs; k++) {
      const a = cap[2 * k] ?? -1;
      const b = cap[2 * k + 1] ?? -1;
      indexes.push(a, a < 0 ? -1 : b);
      groups.push(a < 0 ? undefined : s.slice(a, b));
    }
    return { index: indexes[0]!, end: indexes[1]!, indexes, groups };
  }
}

function runeWidth(s: string, pos: number): number {
  if (pos >= s.length) return 1;
  const c = s.codePointAt(pos)!;
  return c > 0xffff ? 2 : 1;
}

function referenceAt(t: string, i: number): { name: string; num: number; next: number } | undefined {
  const brace = t[i] === '{';
  const start = brace ? i + 1 : i;
  const run = /^[\p{L}\p{Nd}_]*/u.exec(t.slice(start))![0];
  if (run === '') return undefined;
  let next = start + run.length;
  if (brace) {
    if (t[next] !== '}') return undefined;
    next++;
  }
  const num = /^(0|[1-9]\d{0,7})$/.test(run) ? Number(run) : -1;
  return { name: run, num, next };
}

export interface CompileOptions {
  /** Where the pattern came from (`spec.dataFrom[0].rewrite[0].regexp.source`); errors then name it. */
  field?: string;
}

const cache = new Map<string, GoRegexp>();
const CACHE_MAX = 512;

/**
 * Compiles `pattern` as Go's regexp.Compile would. A bad pattern throws
 * GoRegexpError; with `field`, an InvalidSpecError naming the field whose
 * cause is the GoRegexpError.
 */
export function compileGoRegexp(pattern: string, options: CompileOptions = {}): GoRegexp {
  const hit = cache.get(pattern);
  if (hit) return hit;
  let re: GoRegexp;
  try {
    re = build(pattern);
  } catch (err) {
    if (options.field === undefined || !(err instanceof GoRegexpError)) throw err;
    throw new InvalidSpecError(`${options.field}: invalid regular expression ${JSON.stringify(pattern)}: ${err.detail}`, { cause: err });
  }
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(pattern, re);
  return re;
}

/** QuoteMeta: `s` escaped so that it matches itself. */
export function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}


// re2js exports its anchor constants only on RE2Set; the value is RE2Flags.UNANCHORED.
const UNANCHORED = RE2Set.UNANCHORED;

/**
 * Hush's own ceilings, below Go's. Go refuses a pattern whose program would
 * pass about 3.3 million instructions ("expression too large"); re2js, like
 * RE2J, at 1.4 million. Compiling that many in JavaScript takes seconds of
 * the event loop and hundreds of megabytes, and no key name or path needs
 * it, so a tenant's pattern is held to these instead, with Go's error text
 * and a hint that says which limit it passed.
 */
export const MAX_PATTERN_LENGTH = 64 * 1024;
export const MAX_PROGRAM_SIZE = 100_000;

function build(pattern: string): GoRegexp {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    throw new GoRegexpError(pattern, 'expression too large', abbreviate(pattern), `Hush accepts patterns of up to ${MAX_PATTERN_LENGTH} characters`);
  }
  const { source, renamed } = goSyntax(pattern);
  let re: RE2JS;
  try {
    re = RE2JS.compile(source);
  } catch (err) {
    if (!(err instanceof RE2JSSyntaxException)) throw new GoRegexpError(pattern, 'invalid or unsupported Perl syntax', pattern, undefined, err);
    const reason = err.error;
    // re2js gives no text where Go blames the whole pattern, or for a trailing backslash nothing at all.
    const blamed = err.input ?? (reason === 'trailing backslash at end of expression' ? '' : pattern);
    const expr = blamed === source ? pattern : blamed;
    throw new GoRegexpError(pattern, reason, expr, hintFor(reason, expr), err);
  }
  if (re.programSize() > MAX_PROGRAM_SIZE) {
    throw new GoRegexpError(pattern, 'expression too large', abbreviate(pattern), `Hush accepts programs of up to ${MAX_PROGRAM_SIZE} instructions; this one has ${re.programSize()}`);
  }
  const names = new Array<string>(re.groupCount() + 1).fill('');
  for (const [name, k] of Object.entries(re.namedGroups())) names[k] = renamed.get(name) ?? name;
  return new GoRegexp(pattern, re, names);
}

/** A long pattern in an error: its start and its length, not all of it. */
function abbreviate(pattern: string): string {
  return pattern.length <= 80 ? pattern : `${pattern.slice(0, 60)}… (${pattern.length} characters)`;
}

function hintFor(reason: string, expr: string): string | undefined {
  if (/^\(\?[=!]/.test(expr)) return 'lookahead is not supported in Go regular expressions';
  if (/^\(\?<[=!]/.test(expr)) return 'lookbehind is not supported in Go regular expressions';
  if (expr.startsWith('(?P=') || (reason === 'invalid escape sequence' && /^\\[1-9]$/.test(expr))) {
    return 'backreferences are not supported in Go regular expressions';
  }
  return undefined;
}

/**
 * The pattern as re2js should read it to agree with Go 1.26, and the names
 * to report for its groups. Two things differ:
 *  - Go accepts the long names of Unicode general categories
 *    (`\p{Letter}`, `\p{Uppercase_Letter}`), matched ignoring case, spaces,
 *    `_` and `-`; re2js knows only the short ones, so a long name is
 *    replaced by its short form.
 *  - Go accepts the same group name twice; re2js refuses it ("duplicate
 *    capture group name"), so a repeated name is handed to re2js as a fresh
 *    one and given back in subexpNames.
 * The scan skips escapes, `\Q…\E` and bracket classes, so only real
 * `\p{…}` escapes and group openings change; errors still quote the
 * tenant's own pattern because re2js blames text the scan left as it was.
 */
function goSyntax(pattern: string): { source: string; renamed: Map<string, string> } {
  const renamed = new Map<string, string>();
  if (!/\\[pP]\{|\(\?P?</.test(pattern)) return { source: pattern, renamed };
  const seen = new Set<string>();
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; ) {
    const ch = pattern[i]!;
    if (ch === '\\') {
      const c = pattern[i + 1];
      if (c === 'Q') {
        const end = pattern.indexOf('\\E', i + 2);
        const stop = end < 0 ? pattern.length : end + 2;
        out += pattern.slice(i, stop);
        i = stop;
        continue;
      }
      if ((c === 'p' || c === 'P') && pattern[i + 2] === '{') {
        const close = pattern.indexOf('}', i + 3);
        if (close > 0) {
          const raw = pattern.slice(i + 3, close);
          const neg = raw.startsWith('^');
          const name = neg ? raw.slice(1) : raw;
          const short = CATEGORY_ALIASES[name.toLowerCase().replace(/[\s_-]/g, '')];
          out += `\\${c}{${neg ? '^' : ''}${short ?? name}}`;
          i = close + 1;
          continue;
        }
      }
      out += pattern.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (inClass) {
      if (pattern.startsWith('[:', i)) {
        const end = pattern.indexOf(':]', i + 2);
        if (end >= 0) {
          out += pattern.slice(i, end + 2);
          i = end + 2;
          continue;
        }
      }
      if (ch === ']') inClass = false;
      out += ch;
      i++;
      continue;
    }
    if (ch === '[') {
      inClass = true;
      // A `]` right after `[` or `[^` is a literal, not the end.
      const first = pattern[i + 1] === '^' ? i + 2 : i + 1;
      const lead = pattern[first] === ']' ? first + 1 : first;
      out += pattern.slice(i, lead);
      i = lead;
      continue;
    }
    const named = /^\(\?P?<([A-Za-z0-9_]+)>/.exec(pattern.slice(i, i + 1024));
    if (named) {
      const name = named[1]!;
      let given = name;
      if (seen.has(name)) {
        for (let k = renamed.size; ; k++) {
          given = `${name}_hush${k}`;
          if (!pattern.includes(given)) break;
        }
        renamed.set(given, name);
      }
      seen.add(name);
      out += named[0].replace(name, given);
      i += named[0].length;
      continue;
    }
    out += ch;
    i++;
  }
  return { source: out, renamed };
}

// Go 1.25's long names of the general categories (unicode.CategoryAliases), keyed as Go compares them.
const CATEGORY_ALIASES: Record<string, string> = {
  casedletter: 'LC', closepunctuation: 'Pe', combiningmark: 'M', connectorpunctuation: 'Pc', control: 'Cc', currencysymbol: 'Sc',
  dashpunctuation: 'Pd', decimalnumber: 'Nd', enclosingmark: 'Me', finalpunctuation: 'Pf', format: 'Cf', initialpunctuation: 'Pi',
  letter: 'L', letternumber: 'Nl', lineseparator: 'Zl', lowercaseletter: 'Ll', mark: 'M', mathsymbol: 'Sm', modifierletter: 'Lm',
  modifiersymbol: 'Sk', nonspacingmark: 'Mn', number: 'N', openpunctuation: 'Ps', other: 'C', otherletter: 'Lo', othernumber: 'No',
  otherpunctuation: 'Po', othersymbol: 'So', paragraphseparator: 'Zp', privateuse: 'Co', punctuation: 'P', separator: 'Z',
  spaceseparator: 'Zs', spacingmark: 'Mc', surrogate: 'Cs', symbol: 'S', titlecaseletter: 'Lt', unassigned: 'Cn', uppercaseletter: 'Lu',
  cntrl: 'Cc', digit: 'Nd', punct: 'P',
};
