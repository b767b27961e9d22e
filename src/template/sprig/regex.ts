/**
 * sprig's regex functions on Go's RE2 syntax. Patterns are translated to
 * JavaScript (u flag) with Go's meaning kept: ASCII \s, `.` excluding only
 * \n, (?flags) groups, \A \z \Q..\E, POSIX classes; Perl-only features that
 * Go rejects (lookaround, backreferences) are rejected here too. Matching
 * loops follow Go's rules for empty matches.
 */
import { fromText, toText } from '../gostr.ts';
import { allocate } from '../limits.ts';
import { fn, GoFuncError, stringSlice, type GoFunc } from '../values.ts';
import { num } from './conv.ts';

const posix: Record<string, string> = {
  alnum: '0-9A-Za-z', alpha: 'A-Za-z', ascii: '\\x00-\\x7f', blank: '\\t ', cntrl: '\\x00-\\x1f\\x7f', digit: '0-9',
  graph: '!-~', lower: 'a-z', print: ' -~', punct: '!-\\/:-@\\[-`{-~', space: '\\t\\n\\v\\f\\r ', upper: 'A-Z',
  word: '0-9A-Za-z_', xdigit: '0-9A-Fa-f',
};
const perlClass: Record<string, string> = { d: '0-9', s: '\\t\\n\\f\\r ', w: '0-9A-Za-z_' };
const generalCategories = new Set(['L', 'Lu', 'Ll', 'Lt', 'Lm', 'Lo', 'M', 'Mn', 'Mc', 'Me', 'N', 'Nd', 'Nl', 'No', 'P', 'Pc', 'Pd', 'Ps', 'Pe', 'Pi', 'Pf', 'Po', 'S', 'Sm', 'Sc', 'Sk', 'So', 'Z', 'Zs', 'Zl', 'Zp', 'C', 'Cc', 'Cf', 'Cs', 'Co', 'Any']);

function bad(msg: string, expr: string): never {
  throw new GoFuncError(`error parsing regexp: ${msg}: \`${expr}\``);
}

function escapeLiteral(ch: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(ch) ? '\\' + ch : ch;
}

function unicodeClass(name: string, negate: boolean): string {
  if (name === 'Any') return negate ? '[^\\s\\S]' : '[\\s\\S]';
  const p = generalCategories.has(name) ? name : `Script=${name}`;
  return `\\${negate ? 'P' : 'p'}{${p}}`;
}

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
}

/** Translates a Go regexp (as JS text) to a JS source string. */
export function translate(re: string): string {
  let out = '';
  let i = 0;
  const stack: Flags[] = [];
  let flags: Flags = { i: false, m: false, s: false };
  const n = re.length;
  const takeEscape = (inClass: boolean): string => {
    const c = re[i + 1];
    if (c === undefined) bad('trailing backslash at end of expression', '');
    i += 2;
    if (c in perlClass) return inClass ? perlClass[c]! : `[${perlClass[c]}]`;
    if (c === 'D' || c === 'S' || c === 'W') {
      const body = perlClass[c.toLowerCase()]!;
      if (inClass) bad('invalid character class range', `\\${c}`);
      return `[^${body}]`;
    }
    if (c === 'p' || c === 'P') {
      let name: string;
      if (re[i] === '{') {
        const end = re.indexOf('}', i);
        if (end < 0) bad('invalid character class range', re.slice(i - 2));
        name = re.slice(i + 1, end);
        i = end + 1;
      } else {
        name = re[i] ?? '';
        i++;
      }
      let neg = c === 'P';
      if (name.startsWith('^')) {
        neg = !neg;
        name = name.slice(1);
      }
      return unicodeClass(name, neg);
    }
    if (c === 'x') {
      if (re[i] === '{') {
        const end = re.indexOf('}', i);
        const hex = re.slice(i + 1, end);
        if (end < 0 || !/^[0-9a-fA-F]+$/.test(hex)) bad('invalid escape sequence', '\\x');
        i = end + 1;
        return `\\u{${hex}}`;
      }
      const hex = re.slice(i, i + 2);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) bad('invalid escape sequence', '\\x' + hex);
      i += 2;
      return `\\x${hex}`;
    }
    if (c >= '0' && c <= '7') {
      if (c !== '0' && !(re[i] !== undefined && re[i]! >= '0' && re[i]! <= '7')) bad('invalid escape sequence', `\\${c}`);
      let oct = c;
      while (oct.length < 3 && re[i] !== undefined && re[i]! >= '0' && re[i]! <= '7') oct += re[i++];
      return `\\u{${parseInt(oct, 8).toString(16)}}`;
    }
    if (!inClass) {
      if (c === 'A') return '(?<![\\s\\S])';
      if (c === 'z') return '(?![\\s\\S])';
      if (c === 'b' || c === 'B') return '\\' + c;
      if (c === 'Q') {
        const end = re.indexOf('\\E', i);
        const lit = end < 0 ? re.slice(i) : re.slice(i, end);
        i = end < 0 ? n : end + 2;
        return [...lit].map(escapeLiteral).join('');
      }
    }
    if ('afnrtv'.includes(c)) return '\\' + c;
    if (/[!-/:-@[-`{-~]/.test(c)) return '\\' + c;
    return bad('invalid escape sequence', `\\${c}`);
  };
  while (i < n) {
    const ch = re[i]!;
    if (ch === '\\') {
      out += takeEscape(false);
      continue;
    }
    if (ch === '[') {
      let cls = '[';
      i++;
      if (re[i] === '^') {
        cls += '^';
        i++;
      }
      let first = true;
      while (i < n && (re[i] !== ']' || first)) {
        first = false;
        if (re.startsWith('[:', i)) {
          const end = re.indexOf(':]', i);
          let name = end < 0 ? '' : re.slice(i + 2, end);
          const neg = name.startsWith('^');
          if (neg) name = name.slice(1);
          if (end >= 0 && name in posix) {
            if (neg) bad('invalid character class range', re.slice(i, end + 2));
            cls += posix[name];
            i = end + 2;
            continue;
          }
        }
        if (re[i] === '\\') {
          cls += takeEscape(true);
          continue;
        }
        const cp = re.codePointAt(i)!;
        const s = String.fromCodePoint(cp);
        cls += s === '[' || s === '/' ? '\\' + s : s;
        i += s.length;
      }
      if (i >= n) bad('missing closing ]', re.slice(re.lastIndexOf('[')));
      i++;
      out += flags.i ? cls + ']' : cls + ']';
      continue;
    }
    if (ch === '(') {
      if (re[i + 1] === '?') {
        const rest = re.slice(i + 2);
        const named = /^P?<([A-Za-z0-9_]+)>/.exec(rest);
        if (named) {
          stack.push(flags);
          out += `(?<${named[1]}>`;
          i += 2 + named[0].length;
          continue;
        }
        const fl = /^([imsU-]*)(:|\))/.exec(rest);
        if (!fl || fl[1]!.includes('U')) bad('invalid or unsupported Perl syntax', `(?${rest.slice(0, 1)}`);
        const nf = { ...flags };
        let on = true;
        for (const f of fl[1]!) {
          if (f === '-') on = false;
          else nf[f as 'i' | 'm' | 's'] = on;
        }
        const mods = (['i', 'm', 's'] as const).filter((k) => nf[k]).join('');
        const offs = (['i', 'm', 's'] as const).filter((k) => !nf[k]).join('');
        const modStr = `(?${mods}${offs ? '-' + offs : ''}:`;
        i += 2 + fl[0].length;
        if (fl[2] === ':') {
          stack.push(flags);
          flags = nf;
          out += modStr;
        } else {
          // (?flags) applies to the rest of the enclosing group.
          flags = nf;
          out += modStr;
          stack.push({ ...flags, implicit: true } as Flags);
        }
        continue;
      }
      stack.push(flags);
      out += '(';
      i++;
      continue;
    }
    if (ch === ')') {
      while (stack.length > 0 && (stack[stack.length - 1] as Flags & { implicit?: boolean }).implicit) {
        stack.pop();
        out += ')';
      }
      const prev = stack.pop();
      if (prev === undefined) bad('unexpected )', re);
      flags = prev;
      out += ')';
      i++;
      continue;
    }
    if (ch === '|') {
      // Close implicit flag groups at an alternation of their level.
      let closes = '';
      const reopen: Flags[] = [];
      while (stack.length > 0 && (stack[stack.length - 1] as Flags & { implicit?: boolean }).implicit) {
        reopen.push(stack.pop()!);
        closes += ')';
      }
      out += closes + '|';
      i++;
      continue;
    }
    if (ch === '.') {
      out += flags.s ? '[\\s\\S]' : '[^\\n]';
      i++;
      continue;
    }
    if (ch === '^') {
      out += flags.m ? '(?<=^|\\n)' : '(?<![\\s\\S])';
      i++;
      continue;
    }
    if (ch === '$') {
      out += flags.m ? '(?=\\n|(?![\\s\\S]))' : '(?![\\s\\S])';
      i++;
      continue;
    }
    if (ch === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(re.slice(i));
      if (m) {
        if (Number(m[1]) > 1000 || (m[3] && Number(m[3]) > 1000)) bad('invalid repeat count', m[0]);
        out += m[0];
        i += m[0].length;
        continue;
      }
      out += '\\{';
      i++;
      continue;
    }
    if (ch === '}' || ch === '/') {
      out += '\\' + ch;
      i++;
      continue;
    }
    out += ch;
    i++;
  }
  while (stack.length > 0 && (stack[stack.length - 1] as Flags & { implicit?: boolean }).implicit) {
    stack.pop();
    out += ')';
  }
  if (stack.length > 0) bad('missing closing )', re);
  return out;
}

const cache = new Map<string, RegExp>();

export function compile(pattern: string): RegExp {
  let re = cache.get(pattern);
  if (re) return re;
  const src = translate(toText(pattern));
  try {
    re = new RegExp(src, 'gu');
  } catch {
    bad('invalid or unsupported Perl syntax', toText(pattern));
  }
  if (cache.size > 500) cache.clear();
  cache.set(pattern, re);
  return re;
}

interface Match {
  index: number;
  end: number;
  groups: (string | undefined)[];
  named: Record<string, string | undefined>;
}

function execAt(re: RegExp, s: string, pos: number): Match | null {
  re.lastIndex = pos;
  const m = re.exec(s);
  if (!m) return null;
  return { index: m.index, end: m.index + m[0].length, groups: [...m], named: m.groups ?? {} };
}

/** Go's allMatches: empty matches right after a previous match are skipped. */
function allMatches(re: RegExp, s: string, n: number): Match[] {
  const out: Match[] = [];
  let prevEnd = -1;
  for (let pos = 0; (n < 0 || out.length < n) && pos <= s.length; ) {
    const m = execAt(re, s, pos);
    if (!m) break;
    let accept = true;
    if (m.end === pos) {
      if (m.index === prevEnd) accept = false;
      pos += pos < s.length ? String.fromCodePoint(s.codePointAt(pos)!).length : 1;
    } else pos = m.end;
    prevEnd = m.end;
    if (accept) out.push(m);
  }
  return out;
}

/** Regexp.Expand: $1, ${1}, $name, ${name}, $$. */
function expand(template: string, m: Match, names: string[]): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c !== '$') {
      out += c;
      continue;
    }
    if (template[i + 1] === '$') {
      out += '$';
      i++;
      continue;
    }
    let name: string | undefined;
    let len = 0;
    if (template[i + 1] === '{') {
      const end = template.indexOf('}', i + 2);
      const inner = end < 0 ? '' : template.slice(i + 2, end);
      if (end >= 0 && /^[A-Za-z0-9_]+$/.test(inner)) {
        name = inner;
        len = end - i + 1;
      }
    } else {
      const mm = /^[A-Za-z0-9_]+/.exec(template.slice(i + 1));
      if (mm) {
        name = mm[0];
        len = mm[0].length + 1;
      }
    }
    if (name === undefined) {
      out += '$';
      continue;
    }
    i += len - 1;
    if (/^\d+$/.test(name)) {
      const k = Number(name);
      if (k < m.groups.length) out += m.groups[k] ?? '';
    } else if (names.includes(name)) out += m.named[name] ?? '';
  }
  return out;
}

function groupNames(re: RegExp): string[] {
  return [...re.source.matchAll(/\(\?<([A-Za-z0-9_]+)>/g)].map((m) => m[1]!);
}

function replaceAll(re: RegExp, s: string, repl: (m: Match) => string): string {
  let out = '';
  let lastEnd = 0;
  for (let pos = 0; pos <= s.length; ) {
    const m = execAt(re, s, pos);
    if (!m) break;
    out += s.slice(lastEnd, m.index);
    if (m.end > lastEnd || m.index === 0) out += repl(m);
    lastEnd = m.end;
    const width = pos < s.length ? String.fromCodePoint(s.codePointAt(pos)!).length : 1;
    if (pos + width > m.end) pos += width;
    else if (pos + 1 > m.end) pos++;
    else pos = m.end;
    allocate(out.length);
  }
  return out + s.slice(lastEnd);
}

function split(re: RegExp, s: string, n: number, exprEmpty: boolean): string[] | null {
  if (n === 0) return null;
  if (!exprEmpty && s.length === 0) return [''];
  const matches = allMatches(re, s, n);
  const out: string[] = [];
  let beg = 0;
  let end = 0;
  for (const m of matches) {
    if (n > 0 && out.length === n - 1) break;
    end = m.index;
    if (m.end !== 0) out.push(s.slice(beg, end));
    beg = m.end;
  }
  if (end !== s.length) out.push(s.slice(beg));
  return out;
}

function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

type Impl = (...a: string[]) => unknown;

export function regexFuncs(): GoFunc[] {
  const S = 'string';
  const defs: [string, string[], string, Impl][] = [
    ['regexMatch', [S, S], 'bool', (r, s) => allMatches(compile(r), toText(s), 1).length > 0],
    ['regexFindAll', [S, S, 'int'], '[]string', (r, s, n) => {
      const ms = allMatches(compile(r), toText(s), Number(n));
      return stringSlice(ms.map((m) => fromText(m.groups[0] ?? '')), ms.length === 0);
    }],
    ['regexFind', [S, S], S, (r, s) => fromText(allMatches(compile(r), toText(s), 1)[0]?.groups[0] ?? '')],
    ['regexReplaceAll', [S, S, S], S, (r, s, repl) => {
      const re = compile(r);
      const names = groupNames(re);
      return fromText(replaceAll(re, toText(s), (m) => expand(toText(repl), m, names)));
    }],
    ['regexReplaceAllLiteral', [S, S, S], S, (r, s, repl) => fromText(replaceAll(compile(r), toText(s), () => toText(repl)))],
    ['regexSplit', [S, S, 'int'], '[]string', (r, s, n) => {
      const parts = split(compile(r), toText(s), Number(n), r === '');
      return stringSlice((parts ?? []).map(fromText), parts === null);
    }],
  ];
  const out: GoFunc[] = [];
  for (const [name, params, result, impl] of defs) {
    const call = (...a: unknown[]): ReturnType<Impl> =>
      impl(...a.map((x) => (typeof x === 'string' ? x : String(num(x as never)))));
    // regexMatch ignores a bad pattern (false); the others panic on it in Go.
    const lenient = name === 'regexMatch' ? (...a: unknown[]) => { try { return call(...a); } catch { return false; } } : call;
    out.push(fn(name, params, result, lenient as never));
    out.push(fn('must' + name[0]!.toUpperCase() + name.slice(1), params, result, call as never, { canFail: true }));
  }
  out.push(fn('regexQuoteMeta', [S], S, (s) => quoteMeta(s as string)));
  return out;
}
