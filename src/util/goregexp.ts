/**
 * Go (RE2) regular expressions, the one implementation every Go pattern in
 * Hush goes through: `rewrite.regexp`, `find.name.regexp`, ClusterSecretStore
 * `namespaceRegexes`, the webhook's JSONPath `=~`, sops `path_regex` and
 * creation rules, the template's sprig regex functions and CRD `pattern`s.
 *
 * Go is the judge of every behaviour here (tools/goregexp-oracle checks it):
 * `\s` `\d` `\w` `\b` are ASCII, `.` excludes only `\n`, `^`/`$` are text
 * anchors unless `(?m)`, flags `(?imsU)` nest with groups, `\A` `\z` `\Q..\E`,
 * POSIX classes, `\pL` `\p{Greek}`. What RE2 refuses (backreferences,
 * lookaround) is refused with Go's own error text plus a hint.
 *
 * Today a pattern is translated to a JavaScript RegExp (v flag) and run by
 * V8's backtracking engine. Callers only see GoRegexp's methods, never the
 * RegExp, so a linear-time engine can replace it without touching them
 * (issue 9). Tenant-controlled patterns reach this module from
 * rewrite.regexp, find.name.regexp, the template functions and sops files in
 * tenants' repositories; until the engine is linear, they run in backtracking
 * time.
 *
 * Known differences that remain: a capture inside a repeated group is reset
 * by JavaScript on each iteration where Go keeps the last one that matched,
 * and offsets count UTF-16 code units, not bytes.
 */
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
  readonly #re: RegExp;
  /** The same expression without match indices, which cost time on every exec; enough for a yes or no. */
  readonly #test: RegExp;

  /** Use compileGoRegexp. */
  constructor(source: string, js: RegExp, names: string[]) {
    this.source = source;
    this.#re = js;
    this.#test = new RegExp(js.source, 'v');
    this.subexpNames = names;
  }

  /** MatchString: unanchored, like Go. */
  matchString(s: string): boolean {
    return this.#test.test(s);
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

  #exec(s: string, pos: number): GoMatch | undefined {
    const re = this.#re;
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) return undefined;
    const indexes: number[] = [];
    const groups: (string | undefined)[] = [];
    const d = m.indices!;
    for (let k = 0; k < m.length; k++) {
      const pair = d[k];
      indexes.push(pair ? pair[0] : -1, pair ? pair[1] : -1);
      groups.push(m[k]);
    }
    return { index: m.index, end: m.index + m[0].length, indexes, groups };
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

function build(pattern: string): GoRegexp {
  const { source, names } = new Translator(pattern).run();
  let js: RegExp;
  try {
    js = new RegExp(source, 'gdv');
  } catch (err) {
    // Whatever the translator let through and V8 refuses (an unknown \p name it did not vet).
    throw new GoRegexpError(pattern, 'invalid or unsupported Perl syntax', pattern, undefined, err);
  }
  return new GoRegexp(pattern, js, names);
}

// ---------------------------------------------------------------------------
// Translation. Go's syntax is parsed here with Go's rules and errors, and the
// output uses only unambiguous JavaScript: every non-alphanumeric literal is
// a \u{…} escape, every assertion a group (so it can take a repeat, as in Go).

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  U: boolean;
}

interface Frame {
  /** Flags to restore at this frame's `)`. */
  saved: Flags;
  /** For a `(?flags)` directive: the flags it set. It lasts to its enclosing group's `)`. */
  directive?: Flags;
  /** Whether it opened a JavaScript group (a directive only does when it changes i). */
  paren: boolean;
}

const PERL: Record<string, string> = { d: '0-9', s: '\\t\\n\\f\\r\\u{20}', w: '0-9A-Za-z_' };
const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\u{0}-\\u{7f}',
  blank: '\\t\\u{20}',
  cntrl: '\\u{0}-\\u{1f}\\u{7f}',
  digit: '0-9',
  graph: '\\u{21}-\\u{7e}',
  lower: 'a-z',
  print: '\\u{20}-\\u{7e}',
  punct: '\\u{21}-\\u{2f}\\u{3a}-\\u{40}\\u{5b}-\\u{60}\\u{7b}-\\u{7e}',
  space: '\\t\\n\\v\\f\\r\\u{20}',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

// General categories by Go's names and, since Go 1.25, their long aliases (matched ignoring case, spaces, `_` and `-`).
const CATEGORIES = ['L', 'Lu', 'Ll', 'Lt', 'Lm', 'Lo', 'LC', 'M', 'Mn', 'Mc', 'Me', 'N', 'Nd', 'Nl', 'No', 'P', 'Pc', 'Pd', 'Ps', 'Pe', 'Pi', 'Pf', 'Po', 'S', 'Sm', 'Sc', 'Sk', 'So', 'Z', 'Zs', 'Zl', 'Zp', 'C', 'Cc', 'Cf', 'Cs', 'Co', 'Cn'];
const CATEGORY_ALIASES: Record<string, string> = {
  casedletter: 'LC', closepunctuation: 'Pe', combiningmark: 'M', connectorpunctuation: 'Pc', control: 'Cc', currencysymbol: 'Sc',
  dashpunctuation: 'Pd', decimalnumber: 'Nd', enclosingmark: 'Me', finalpunctuation: 'Pf', format: 'Cf', initialpunctuation: 'Pi',
  letter: 'L', letternumber: 'Nl', lineseparator: 'Zl', lowercaseletter: 'Ll', mark: 'M', mathsymbol: 'Sm', modifierletter: 'Lm',
  modifiersymbol: 'Sk', nonspacingmark: 'Mn', number: 'N', openpunctuation: 'Ps', other: 'C', otherletter: 'Lo', othernumber: 'No',
  otherpunctuation: 'Po', othersymbol: 'So', paragraphseparator: 'Zp', privateuse: 'Co', punctuation: 'P', separator: 'Z',
  spaceseparator: 'Zs', spacingmark: 'Mc', surrogate: 'Cs', symbol: 'S', titlecaseletter: 'Lt', unassigned: 'Cn', uppercaseletter: 'Lu',
  cntrl: 'Cc', digit: 'Nd', punct: 'P',
};
const BINARY: Record<string, string> = { any: 'Any', ascii: 'ASCII', assigned: 'Assigned' };
const CATEGORY_BY_KEY = new Map<string, string>([...CATEGORIES.map((c): [string, string] => [c.toLowerCase(), c]), ...Object.entries(CATEGORY_ALIASES)]);
// Four-letter script names that are full names; the other four-letter names are ISO 15924 codes, which Go refuses.
const FOUR_LETTER_SCRIPTS = new Set(['Cham', 'Kawi', 'Lisu', 'Modi', 'Newa', 'Thai', 'Toto']);

function lit(cp: number): string {
  const ch = String.fromCodePoint(cp);
  return /^[A-Za-z0-9]$/.test(ch) ? ch : `\\u{${cp.toString(16)}}`;
}

function unicodeProperty(name: string): string | undefined {
  const key = name.toLowerCase().replace(/[\s_-]/g, '');
  const binary = BINARY[key];
  if (binary) return binary;
  const cat = CATEGORY_BY_KEY.get(key);
  if (cat) return `gc=${cat}`;
  // Scripts by their exact Go name (unicode.Scripts), one word: Go 1.26 does not find "Old_Italic" spelled any way.
  if (!/^[A-Z][a-z]+$/.test(name) || (name.length === 4 && !FOUR_LETTER_SCRIPTS.has(name))) return undefined;
  try {
    new RegExp(`\\p{sc=${name}}`, 'v');
  } catch {
    return undefined;
  }
  return `sc=${name}`;
}

class Translator {
  private readonly re: string;
  private i = 0;
  private out = '';
  private flags: Flags = { i: false, m: false, s: false, U: false };
  private readonly stack: Frame[] = [];
  private readonly names: string[] = [''];
  /** What the last token was, for Go's repetition errors. */
  private last: 'none' | 'atom' | 'repeat' = 'none';
  private lastRepeatAt = -1;
  /** Product of nested bounded repeat counts in the last atom, and the largest one per open group (Go caps it at 1000). */
  private lastWeight = 1;
  private readonly weights: number[] = [1];

  constructor(re: string) {
    this.re = re;
  }

  private fail(reason: string, expr: string, hint?: string): never {
    throw new GoRegexpError(this.re, reason, expr, hint);
  }

  run(): { source: string; names: string[] } {
    const re = this.re;
    while (this.i < re.length) {
      const ch = re[this.i]!;
      const before = this.i;
      const afterRepeat = this.last === 'repeat';
      switch (ch) {
        case '(':
          this.group();
          break;
        case ')':
          this.close();
          break;
        case '|':
          this.alternate();
          break;
        case '[':
          this.atom(this.charClass());
          break;
        case '\\':
          this.escape();
          break;
        case '.':
          this.i++;
          this.atom(this.flags.s ? '[\\s\\S]' : '[^\\n]');
          break;
        case '^':
          this.i++;
          this.atom(this.flags.m ? '(?:(?<![^\\n]))' : '(?:(?<![\\s\\S]))');
          break;
        case '$':
          this.i++;
          this.atom(this.flags.m ? '(?:(?![^\\n]))' : '(?:(?![\\s\\S]))');
          break;
        case '*':
        case '+':
        case '?':
          this.i++;
          this.repeat(ch, 0, -1, before, afterRepeat);
          break;
        case '{': {
          // Go reads `{` as a literal unless a well-formed count follows (no leading zeros).
          const m = /^\{(0|[1-9]\d*)(?:(,)(0|[1-9]\d*)?)?\}/.exec(re.slice(this.i));
          if (!m) {
            this.i++;
            this.atom(lit(0x7b));
            break;
          }
          const num = (t: string): number => (t.length > 8 ? -1 : Number(t));
          const min = num(m[1]!);
          const max = m[2] === undefined ? min : m[3] === undefined ? -1 : num(m[3]) < 0 ? 1001 : num(m[3]);
          this.i += m[0].length;
          if (min < 0 || min > 1000 || max > 1000 || (max >= 0 && min > max)) this.fail('invalid repeat count', m[0]);
          const js = m[2] === undefined ? `{${min}}` : max < 0 ? `{${min},}` : `{${min},${max}}`;
          this.repeat(js, min, max, before, afterRepeat);
          break;
        }
        default: {
          const cp = re.codePointAt(this.i)!;
          this.i += cp > 0xffff ? 2 : 1;
          this.atom(lit(cp));
        }
      }
    }
    this.closeDirectives();
    if (this.stack.length > 0) this.fail('missing closing )', re);
    return { source: this.out, names: this.names };
  }

  private atom(js: string, weight = 1): void {
    this.out += js;
    this.last = 'atom';
    this.lastWeight = weight;
    this.weigh(weight);
  }

  private weigh(weight: number): void {
    const k = this.weights.length - 1;
    this.weights[k] = Math.max(this.weights[k]!, weight);
  }

  private repeat(js: string, min: number, max: number, before: number, afterRepeat: boolean): void {
    const re = this.re;
    let greedy = true;
    if (re[this.i] === '?') {
      greedy = false;
      this.i++;
    }
    if (afterRepeat) this.fail('invalid nested repetition operator', re.slice(this.lastRepeatAt, this.i));
    if (this.last !== 'atom') this.fail('missing argument to repetition operator', re.slice(before, this.i));
    if (js.startsWith('{')) {
      const m = max === -1 ? min : max;
      const weight = m === 0 ? this.lastWeight : m * this.lastWeight;
      if ((min >= 2 || max >= 2) && weight > 1000) this.fail('invalid repeat count', re.slice(before, this.i));
      this.lastWeight = weight;
      this.weigh(weight);
    }
    // Under (?U) the meanings of `x*` and `x*?` swap.
    if (this.flags.U) greedy = !greedy;
    this.out += js + (greedy ? '' : '?');
    this.last = 'repeat';
    this.lastRepeatAt = before;
  }

  private open(frame: Frame, js: string): void {
    this.stack.push(frame);
    if (!frame.directive) this.weights.push(1);
    this.out += js;
    this.last = 'none';
  }

  private group(): void {
    const re = this.re;
    const start = this.i;
    if (re[this.i + 1] !== '?') {
      this.i++;
      this.names.push('');
      return this.open({ saved: this.flags, paren: true }, '(');
    }
    const t = re.slice(this.i);
    if (t.startsWith('(?P<') || t.startsWith('(?<')) {
      const begin = t[2] === 'P' ? 4 : 3;
      const end = t.indexOf('>');
      const lookbehind = t.startsWith('(?<=') || t.startsWith('(?<!') ? 'lookbehind is not supported in Go regular expressions' : undefined;
      if (end < 0) this.fail('invalid named capture', t, lookbehind);
      const name = t.slice(begin, end);
      if (!/^[A-Za-z0-9_]+$/.test(name)) this.fail('invalid named capture', t.slice(0, end + 1), lookbehind);
      this.i += end + 1;
      this.names.push(name);
      return this.open({ saved: this.flags, paren: true }, '(');
    }
    // (?flags) or (?flags:re), by Go's rules: at most one `-`, and a `-` must be followed by a flag.
    const set = { ...this.flags };
    let negated = false;
    let sawFlag = false;
    for (let k = this.i + 2; ; ) {
      const c = re[k++];
      if (c === 'i' || c === 'm' || c === 's' || c === 'U') {
        set[c] = !negated;
        sawFlag = true;
        continue;
      }
      if (c === '-' && !negated) {
        negated = true;
        sawFlag = false;
        continue;
      }
      if ((c === ':' || c === ')') && !(negated && !sawFlag)) {
        this.i = k;
        const changesI = set.i !== this.flags.i;
        const js = changesI ? (set.i ? '(?i:' : '(?-i:') : '';
        if (c === ':') this.open({ saved: this.flags, paren: true }, js || '(?:');
        else this.open({ saved: this.flags, directive: set, paren: changesI }, js);
        this.flags = set;
        return;
      }
      if (c === undefined) this.fail('missing closing )', re);
      const expr = re.slice(start, k);
      const hint = /^\(\?[=!]/.test(expr)
        ? 'lookahead is not supported in Go regular expressions'
        : expr.startsWith('(?P=')
          ? 'backreferences are not supported in Go regular expressions'
          : undefined;
      this.fail('invalid or unsupported Perl syntax', expr, hint);
    }
  }

  /** Ends the `(?flags)` directives of the current group; returns them, innermost first. */
  private closeDirectives(): Frame[] {
    const closed: Frame[] = [];
    while (this.stack.length > 0 && this.stack[this.stack.length - 1]!.directive) {
      const f = this.stack.pop()!;
      if (f.paren) this.out += ')';
      this.flags = f.saved;
      closed.push(f);
    }
    return closed;
  }

  private close(): void {
    this.i++;
    this.closeDirectives();
    const f = this.stack.pop();
    if (f === undefined) this.fail('unexpected )', this.re);
    this.flags = f.saved;
    this.out += ')';
    const weight = this.weights.pop()!;
    this.atom('', weight);
  }

  private alternate(): void {
    this.i++;
    // A directive reaches to the end of its group, across `|`: end its JavaScript group here and open it again after.
    const closed = this.closeDirectives();
    this.out += '|';
    for (const f of closed.reverse()) {
      this.stack.push(f);
      if (f.paren) this.out += f.directive!.i ? '(?i:' : '(?-i:';
      this.flags = f.directive!;
    }
    this.last = 'none';
  }

  private escape(): void {
    const re = this.re;
    const c = re[this.i + 1];
    if (c === undefined) this.fail('trailing backslash at end of expression', '');
    switch (c) {
      case 'A':
        this.i += 2;
        return this.atom('(?:(?<![\\s\\S]))');
      case 'z':
        this.i += 2;
        return this.atom('(?:(?![\\s\\S]))');
      case 'b':
      case 'B':
        this.i += 2;
        // JavaScript widens \b under the i flag (ſ, K); Go's \b is ASCII whatever the flags.
        return this.atom(`(?-i:\\${c})`);
      case 'C':
        return this.fail('invalid escape sequence', '\\C');
      case 'Q': {
        const end = re.indexOf('\\E', this.i + 2);
        const text = end < 0 ? re.slice(this.i + 2) : re.slice(this.i + 2, end);
        this.i = end < 0 ? re.length : end + 2;
        for (const ch of text) this.atom(lit(ch.codePointAt(0)!));
        return;
      }
    }
    const cls = this.classEscape();
    this.atom(cls ?? lit(this.escapedChar()));
  }

  /** \d \s \w (and capitals), \pX, \p{Name}: a class, or undefined if the escape at i is none of them. */
  private classEscape(): string | undefined {
    const re = this.re;
    const c = re[this.i + 1]!;
    if ('dswDSW'.includes(c)) {
      this.i += 2;
      return `[${c === c.toUpperCase() ? '^' : ''}${PERL[c.toLowerCase()]!}]`;
    }
    if (c !== 'p' && c !== 'P') return undefined;
    const start = this.i;
    let name: string;
    if (re[this.i + 2] === '{') {
      const end = re.indexOf('}', this.i);
      if (end < 0) this.fail('invalid character class range', re.slice(start));
      name = re.slice(this.i + 3, end);
      this.i = end + 1;
    } else {
      const cp = re.codePointAt(this.i + 2);
      name = cp === undefined ? '' : String.fromCodePoint(cp);
      this.i += 2 + name.length;
    }
    let neg = c === 'P';
    const seq = re.slice(start, this.i);
    if (name.startsWith('^')) {
      neg = !neg;
      name = name.slice(1);
    }
    const prop = unicodeProperty(name);
    if (prop === undefined) this.fail('invalid character class range', seq);
    return `\\${neg ? 'P' : 'p'}{${prop}}`;
  }

  /** One escaped character, Go's parseEscape; i is at the backslash. */
  private escapedChar(): number {
    const re = this.re;
    const start = this.i;
    const c = re[this.i + 1];
    if (c === undefined) this.fail('trailing backslash at end of expression', '');
    this.i += 2;
    const bad = (hint?: string): never => this.fail('invalid escape sequence', re.slice(start, this.i), hint);
    const isOct = (ch: string | undefined): boolean => ch !== undefined && ch >= '0' && ch <= '7';
    // A lone digit 1-9 would be a backreference in Perl; Go has none. Two or more octal digits are a character code.
    if (c >= '1' && c <= '7' && !isOct(re[this.i])) bad('backreferences are not supported in Go regular expressions');
    if (c >= '0' && c <= '7') {
      let v = Number(c);
      for (let n = 1; n < 3 && isOct(re[this.i]); n++) v = v * 8 + Number(re[this.i++]);
      return v;
    }
    if (c === '8' || c === '9') bad('backreferences are not supported in Go regular expressions');
    if (c === 'x') {
      if (re[this.i] === '{') {
        // Go blames the text up to the first character that is not a hex digit, or the digit that passes U+10FFFF.
        let v = 0;
        let digits = 0;
        for (this.i++; ; ) {
          const d = re[this.i];
          if (d === undefined) return bad();
          this.i++;
          if (d === '}') break;
          if (!/[0-9A-Fa-f]/.test(d)) return bad();
          v = v * 16 + parseInt(d, 16);
          if (v > 0x10ffff) return bad();
          digits++;
        }
        if (digits === 0) bad();
        return v;
      }
      const hex = re.slice(this.i, this.i + 2);
      this.i += hex.length;
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) bad();
      return parseInt(hex, 16);
    }
    const control: Record<string, number> = { a: 7, f: 12, n: 10, r: 13, t: 9, v: 11 };
    if (control[c] !== undefined) return control[c];
    const cp = re.codePointAt(start + 1)!;
    // Any escaped ASCII punctuation is itself.
    if (cp < 0x80 && !/[A-Za-z0-9]/.test(c)) return cp;
    if (cp > 0xffff) this.i++;
    return bad();
  }

  /** A bracket class, Go's parseClass, as a v-flag class. */
  private charClass(): string {
    const re = this.re;
    const whole = re.slice(this.i);
    this.i++;
    let out = '[';
    if (re[this.i] === '^') {
      out += '^';
      this.i++;
    }
    const classChar = (): number => {
      if (this.i >= re.length) this.fail('missing closing ]', whole);
      if (re[this.i] === '\\') return this.escapedChar();
      const cp = re.codePointAt(this.i)!;
      this.i += cp > 0xffff ? 2 : 1;
      return cp;
    };
    // A `]` right after `[` or `[^` is a literal.
    for (let first = true; first || re[this.i] !== ']'; first = false) {
      if (this.i >= re.length) this.fail('missing closing ]', whole);
      if (re.startsWith('[:', this.i)) {
        const end = re.indexOf(':]', this.i + 2);
        if (end >= 0) {
          let name = re.slice(this.i + 2, end);
          const neg = name.startsWith('^');
          if (neg) name = name.slice(1);
          const body = POSIX[name];
          if (body === undefined) this.fail('invalid character class range', re.slice(this.i, end + 2));
          out += `[${neg ? '^' : ''}${body}]`;
          this.i = end + 2;
          continue;
        }
      }
      if (re[this.i] === '\\' && this.i + 1 < re.length) {
        const cls = this.classEscape();
        if (cls !== undefined) {
          out += cls;
          continue;
        }
      }
      const rangeStart = this.i;
      const lo = classChar();
      let hi = lo;
      if (re[this.i] === '-' && this.i + 1 < re.length && re[this.i + 1] !== ']') {
        this.i++;
        hi = classChar();
        if (hi < lo) this.fail('invalid character class range', re.slice(rangeStart, this.i));
      }
      out += hi === lo ? `\\u{${lo.toString(16)}}` : `\\u{${lo.toString(16)}}-\\u{${hi.toString(16)}}`;
    }
    this.i++;
    return out + ']';
  }
}
