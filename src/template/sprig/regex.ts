/**
 * sprig's regex functions. Patterns are Go regular expressions, compiled by
 * util/goregexp.ts (the one Go-regexp implementation); template strings are
 * Go byte strings, so patterns and inputs are decoded to text first and
 * results encoded back.
 */
import { compileGoRegexp, GoRegexpError, quoteMeta, type GoRegexp } from '../../util/goregexp.ts';
import { fromText, toText } from '../gostr.ts';
import { allocate } from '../limits.ts';
import { fn, GoFuncError, stringSlice, type GoFunc } from '../values.ts';
import { num } from './conv.ts';

function compile(pattern: string): GoRegexp {
  try {
    return compileGoRegexp(toText(pattern));
  } catch (err) {
    // Go's panic text is the compile error's own.
    if (err instanceof GoRegexpError) throw new GoFuncError(err.message, { cause: err });
    throw err;
  }
}

const bounded = { onGrow: allocate };

type Impl = (...a: string[]) => unknown;

export function regexFuncs(): GoFunc[] {
  const S = 'string';
  const defs: [string, string[], string, Impl][] = [
    ['regexMatch', [S, S], 'bool', (r, s) => compile(r).matchString(toText(s))],
    ['regexFindAll', [S, S, 'int'], '[]string', (r, s, n) => {
      const ms = compile(r).findAll(toText(s), Number(n));
      return stringSlice(ms.map((m) => fromText(m.groups[0] ?? '')), ms.length === 0);
    }],
    ['regexFind', [S, S], S, (r, s) => fromText(compile(r).find(toText(s))?.groups[0] ?? '')],
    ['regexReplaceAll', [S, S, S], S, (r, s, repl) => fromText(compile(r).replaceAll(toText(s), toText(repl), bounded))],
    ['regexReplaceAllLiteral', [S, S, S], S, (r, s, repl) => fromText(compile(r).replaceAllLiteral(toText(s), toText(repl), bounded))],
    ['regexSplit', [S, S, 'int'], '[]string', (r, s, n) => {
      const parts = compile(r).split(toText(s), Number(n));
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
