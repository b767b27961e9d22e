import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileGoRegexp, GoRegexpError, MAX_PATTERN_LENGTH, MAX_PROGRAM_SIZE, quoteMeta, type GoRegexp } from './goregexp.ts';
import { askGo, ensureRegexpOracle, type RegexpCase } from './testing/goregexp-oracle.ts';

// Every expected value below comes from Go's regexp package, run by tools/goregexp-oracle.
const cases: RegexpCase[] = [
  // Perl classes are ASCII in Go; U+00A0 (no-break space) is not \s.
  { pattern: '^\\s$', input: '\u00a0' },
  { pattern: '\\s+', input: 'a \t\n\f\rb\u000bc\u2003d', repl: '_' },
  { pattern: '\\S+', input: 'a\u00a0b c' },
  { pattern: '\\d+', input: '12\u0663\uff1134' },
  { pattern: '\\D+', input: '1a\u0663b2' },
  { pattern: '\\w+', input: 'héllo_wörld 42' },
  { pattern: '\\W+', input: 'a-b\u00e9c' },
  { pattern: '\\bfoo\\b', input: 'foo foobar éfoo foo' },
  { pattern: '\\Bo\\B', input: 'foo bob o' },
  { pattern: '(?i)\\bk', input: '\u212a k K' },
  // . excludes only \n; (?s) includes it.
  { pattern: '^.$', input: '\r' },
  { pattern: '.+', input: 'a\nb\u2028c\r\nd' },
  { pattern: '(?s)a.b', input: 'a\nb' },
  { pattern: '.', input: '😀x' },
  // Anchors and flags.
  { pattern: '^a|b$', input: 'ab\nab' },
  { pattern: '(?m)^\\w+$', input: 'one\ntwo\n\nthree' },
  { pattern: '(?m)^', input: 'a\nb', repl: '> ' },
  { pattern: '(?m)$', input: 'a\nb\n', repl: '<' },
  { pattern: '\\Aab', input: 'ab\nab' },
  { pattern: '(?m)\\Aab', input: 'ab\nab' },
  { pattern: 'b\\z', input: 'ab\nab' },
  { pattern: '(?m)b\\z', input: 'ab\nb' },
  { pattern: '(?i)straße', input: 'STRASSE Straße STRAẞE' },
  { pattern: '(?i)abc', input: 'xAbCx' },
  { pattern: 'a(?i)b|c', input: 'aB C c' },
  { pattern: 'x(?i:y)z', input: 'xYz xYZ' },
  { pattern: '(?i)a(?-i)b', input: 'Ab AB ab' },
  { pattern: '(?i:a(?-i:b)c)', input: 'ABC AbC' },
  { pattern: '(?U)a+', input: 'aaa' },
  { pattern: '(?U)a+?', input: 'aaa' },
  { pattern: '(?U)<.*>', input: '<a><b>' },
  { pattern: '<.*?>', input: '<a><b>' },
  { pattern: '(?sm)^a.', input: 'a\na\n' },
  { pattern: '(?)x', input: 'x' },
  { pattern: '(?-)x', input: 'x' },
  { pattern: '(?i-)x', input: 'x' },
  // \Q..\E and escapes.
  { pattern: '\\Qa.b*c\\E+', input: 'a.b*cc axbc' },
  { pattern: '\\Q(unclosed', input: 'x(unclosed' },
  { pattern: '\\x41\\x{1F600}\\101\\0', input: 'A😀A\u0000' },
  { pattern: '\\a\\f\\v', input: '\u0007\f\u000b' },
  { pattern: '\\-\\_\\#\\<', input: '-_#<' },
  { pattern: '\\e', input: 'e' },
  { pattern: '\\C', input: 'x' },
  { pattern: '\\x{110000}', input: 'x' },
  { pattern: '\\xZZ', input: 'x' },
  { pattern: 'a\\', input: 'a' },
  { pattern: '[a\\', input: 'a' },
  // POSIX classes.
  { pattern: '[[:alpha:]]+', input: 'abc123é' },
  { pattern: '[[:^alpha:]]+', input: 'abc123é' },
  { pattern: '[[:upper:][:digit:]]+', input: 'aB1c' },
  { pattern: '[[:space:]]', input: '\u000b', repl: 'V' },
  { pattern: '[[:punct:]]+', input: 'a!-/:@[`{~b' },
  { pattern: '[[:word:]]+', input: 'a_b-c' },
  { pattern: '(?i)[[:upper:]]+', input: 'aBc' },
  { pattern: '[[:foo:]]', input: 'x' },
  { pattern: '[[:alpha:]', input: 'x' },
  // Unicode classes.
  { pattern: '\\pL+', input: '12héllo3' },
  { pattern: '\\p{Greek}+', input: 'abc αβγ' },
  { pattern: '\\P{Greek}+', input: 'αβγabc' },
  { pattern: '\\p{^Greek}', input: 'αb' },
  { pattern: '[\\p{Lu}\\d]+', input: 'aB1Cd' },
  { pattern: '\\p{Han}', input: 'a漢' },
  { pattern: '\\p{Letter}', input: '1a' },
  { pattern: '\\pN+', input: 'x²3' },
  { pattern: '\\p{Foo}', input: 'x' },
  { pattern: '\\p{Grek}', input: 'α' },
  { pattern: '\\p{L', input: 'x' },
  { pattern: '\\p{letter}\\p{Uppercase Letter}\\P{decimal-number}', input: '1aBc' },
  { pattern: '[\\p{Letter}\\d]+', input: '-a1-' },
  { pattern: '\\p{^Letter}+', input: 'ab12' },
  { pattern: '\\Q\\p{Letter}\\E', input: '\\p{Letter}' },
  { pattern: '\\\\p{Letter}', input: '\\p{Letter}' },
  { pattern: '\\p{Lettre}', input: 'x' },
  // Bracket classes.
  { pattern: '[]a]+', input: ']a]b' },
  { pattern: '[^]a]+', input: ']ab' },
  { pattern: '[a-]+', input: 'a-b' },
  { pattern: '[\\d-z]+', input: '1-z' },
  { pattern: '[^\\n]+', input: 'a\nb' },
  { pattern: '[^a]', input: '\n' },
  { pattern: '[z-a]', input: 'x' },
  { pattern: '[\\D]+', input: '1ab2' },
  { pattern: '[\\S]+', input: 'a\u00a0 b' },
  { pattern: '[[]+', input: 'a[[b' },
  { pattern: '[a&&b]', input: '&' },
  { pattern: '[a--b]', input: '-' },
  { pattern: '[abc', input: 'a' },
  { pattern: '(?i)[^k]', input: 'kK\u212ax' },
  // Groups, names, replacement templates.
  { pattern: '(?P<first>\\w+) (?P<last>\\w+)', input: 'John Smith', repl: '$last, $first' },
  { pattern: '(?<y>\\d{4})-(?<m>\\d{2})', input: '2024-06', repl: '${m}/${y}' },
  { pattern: 'a(x*)b', input: '-ab-axxb-', repl: '${1}W' },
  { pattern: 'a(x*)b', input: '-ab-axxb-', repl: '$1W' },
  { pattern: 'a(x*)b', input: '-ab-axxb-', repl: '$$1 $ ${1 $0 $01 $9' },
  { pattern: '(a)|(b)', input: 'ab', repl: '[$1|$2]' },
  { pattern: '(?P<n>a)', input: 'a', repl: '$nn ${n}n' },
  { pattern: '(?P<1a>x)', input: 'x', repl: '${1a}' },
  { pattern: '(?P<n>a)(?P<n>b)', input: 'ab' },
  { pattern: '(?P<a-b>x)', input: 'x' },
  { pattern: '(?P<n>a)|(?P<n>b)', input: 'ab', repl: '<$n>' },
  { pattern: '(?<n>a)(?P<n>b)(', input: 'ab' },
  { pattern: '[(?P<n>a)](?P<n>b)', input: 'ab' },
  { pattern: '\\Q(?P<n>\\E(?P<n>b)', input: '(?P<n>b' },
  { pattern: '(?P=n)', input: 'x' },
  { pattern: '(?:a|b)+c', input: 'abacx' },
  { pattern: '(a)(?:b)(c)', input: 'abc', repl: '$2$1' },
  // What Go refuses.
  { pattern: '(?=x)', input: 'x' },
  { pattern: '(?!x)', input: 'x' },
  { pattern: '(?<=a)b', input: 'ab' },
  { pattern: '(?<!a)b', input: 'ab' },
  { pattern: '(a)\\1', input: 'aa' },
  { pattern: '\\8', input: '8' },
  { pattern: '(', input: '' },
  { pattern: ')', input: '' },
  { pattern: 'a)b(', input: '' },
  { pattern: '(?#comment)', input: '' },
  // Repetition.
  { pattern: 'a**', input: 'a' },
  { pattern: 'a*?+', input: 'a' },
  { pattern: '*a', input: 'a' },
  { pattern: '(|*)', input: 'a' },
  { pattern: 'x{2}{3}', input: 'x' },
  { pattern: 'x{1001}', input: 'x' },
  { pattern: 'x{2,1}', input: 'x' },
  { pattern: '(x{500}){3}', input: 'x' },
  { pattern: '((x{10}){10}){10}', input: 'x' },
  { pattern: '(x{0}){1000}', input: 'x' },
  { pattern: 'a{,3}', input: 'a{,3}' },
  { pattern: 'a{01}', input: 'a{01}' },
  { pattern: 'a{2,}b', input: 'ab aab aaab' },
  { pattern: 'a{1,2}?', input: 'aaa' },
  { pattern: '^*$*', input: '' },
  { pattern: '\\b+x', input: 'x' },
  { pattern: '('.repeat(1001) + 'a' + ')'.repeat(1001), input: 'a' },
  { pattern: '('.repeat(999) + 'a' + ')'.repeat(999), input: 'a' },
  // Empty matches and the Find/Replace/Split loops.
  { pattern: 'a*', input: 'baaac', repl: '-' },
  { pattern: '', input: 'abc', repl: '-' },
  { pattern: 'x*', input: 'axbc', repl: '<$0>' },
  { pattern: 'z+', input: 'pizza', n: 1 },
  { pattern: 'z+', input: 'pizza', n: 2 },
  { pattern: 'a', input: '' },
  { pattern: '', input: '' },
  { pattern: 'x*', input: '😀😀', repl: '.' },
  { pattern: '[0-9]', input: 'a1b2c3', n: 2 },
  { pattern: '(a|ab)(c|bcd)(d*)', input: 'abcd' },
  { pattern: 'a|ab', input: 'ab' },
];

function mine(re: GoRegexp, c: RegexpCase) {
  const n = c.n ?? -1;
  return {
    names: re.subexpNames,
    match: re.matchString(c.input),
    all: re.findAll(c.input, n).map((m) => m.indexes),
    replace: re.replaceAll(c.input, c.repl ?? ''),
    literal: re.replaceAllLiteral(c.input, c.repl ?? ''),
    split: re.split(c.input, n),
  };
}

const oracle = ensureRegexpOracle();
// Without Go there are no golden values; on CI that is a failure, not a reason to skip.
const missing = 'reason' in oracle ? oracle.reason : undefined;

describe('Go regular expressions agree with Go regexp', { skip: missing !== undefined && process.env.CI !== 'true' ? missing : false }, () => {
  test('the Go oracle is available', () => {
    assert.equal(missing, undefined, missing);
  });
  const answers = 'path' in oracle ? askGo(oracle.path, cases) : [];
  cases.forEach((c, k) => {
    test(`${JSON.stringify(c.pattern)} on ${JSON.stringify(c.input)}`, () => {
      const go = answers[k];
      assert.ok(go, 'no answer from the oracle');
      let re: GoRegexp;
      try {
        re = compileGoRegexp(c.pattern);
      } catch (err) {
        assert.ok(err instanceof GoRegexpError, `not a GoRegexpError: ${String(err)}`);
        assert.equal(err.message, go.err ?? '(Go compiles it)');
        return;
      }
      assert.equal(go.err, undefined, 'Go refuses this pattern');
      assert.deepEqual(mine(re, c), { names: go.names, match: go.match, all: go.all, replace: go.replace, literal: go.literal, split: go.split });
    });
  });
});

test('a field name goes into the error, with Go’s reason and a hint', () => {
  assert.throws(
    () => compileGoRegexp('(a)\\1', { field: 'spec.dataFrom[0].rewrite[0].regexp.source' }),
    (err: Error) => {
      assert.match(err.message, /^spec\.dataFrom\[0\]\.rewrite\[0\]\.regexp\.source: invalid regular expression "\(a\)\\\\1": invalid escape sequence: `\\1` \(backreferences are not supported/);
      assert.ok(err.cause instanceof GoRegexpError);
      return true;
    },
  );
  assert.throws(() => compileGoRegexp('(?=x)'), (err: GoRegexpError) => err.hint?.includes('lookahead') === true);
});

test('a pattern past Hush’s size limits is refused with Go’s “expression too large” and the limit', () => {
  assert.throws(
    () => compileGoRegexp('a'.repeat(MAX_PATTERN_LENGTH + 1)),
    (err: GoRegexpError) => err.reason === 'expression too large' && /^error parsing regexp: expression too large: `a{60}… \(65537 characters\)`$/.test(err.message) && /64 ?KiB|65536 characters/.test(err.hint ?? ''),
  );
  // 100 alternatives of 1000 repeats: short to write, over 100 000 instructions (Go would compile it).
  const wide = '(?:' + Array.from({ length: 101 }, (_, k) => `x${k}y{1000}`).join('|') + ')';
  assert.throws(
    () => compileGoRegexp(wide, { field: 'spec.dataFrom[0].find.name.regexp' }),
    (err: Error) => /^spec\.dataFrom\[0\]\.find\.name\.regexp: invalid regular expression .*: expression too large: .*\(Hush accepts programs of up to 100000 instructions; this one has \d+\)$/.test(err.message),
  );
  const fits = '(?:' + Array.from({ length: 90 }, (_, k) => `x${k}y{1000}`).join('|') + ')';
  assert.ok(compileGoRegexp(fits).matchString(`x7${'y'.repeat(1000)}`));
  assert.ok(MAX_PROGRAM_SIZE === 100_000);
});

test('QuoteMeta output matches itself literally', () => {
  const s = '1.5+[x]{2}(a|b)^$\\';
  const re = compileGoRegexp(`^${quoteMeta(s)}$`);
  assert.ok(re.matchString(s));
  assert.ok(!re.matchString('1x5+[x]{2}(a|b)^$\\'));
});

test('replace output can be bounded by the caller', () => {
  const seen: number[] = [];
  compileGoRegexp('a').replaceAll('aaaa', 'bb', { onGrow: (n) => seen.push(n) });
  assert.deepEqual(seen, [2, 4, 6, 8]);
});
