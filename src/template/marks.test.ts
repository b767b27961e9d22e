/**
 * Secret marks (marks.ts, exec.ts): a value derived from the template's data
 * never reaches an error message, whatever functions transformed it on the
 * way, while messages about literals stay exactly as Go prints them.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { renderTemplate, TemplateError } from './index.ts';
import { corpus } from './testing/corpus.ts';
import { renderTs } from './testing/differential.ts';
import { generateCases } from './testing/fuzz.ts';

function errorOf(f: () => unknown): TemplateError {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof TemplateError, `expected TemplateError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected an error');
}

const password = 'Hunter2-pass.word';
/** The value and the forms the transformations below turn it into. */
const forms = [
  password,
  password.toUpperCase(),
  password.toLowerCase(),
  Buffer.from(password).toString('base64'),
  Buffer.from(password.toUpperCase()).toString('base64'),
  createHash('sha256').update(password).digest('hex'),
  password.slice(0, 6),
  password.toUpperCase().slice(0, 6),
  password.replace(/[a-z]/g, 'x'),
  'xHunter2x',
];
const data = { password, cfg: JSON.stringify({ ts: password }) };

function assertWithheld(template: string, fn: string): void {
  const e = errorOf(() => renderTemplate(template, data, { name: 't' }));
  for (const f of forms) assert.ok(!e.message.includes(f), `${template} leaked ${JSON.stringify(f)}: ${e.message}`);
  // Go's prefix (template, line, column, the action, the function) stays.
  assert.match(e.message, new RegExp(`^template: t:1:\\d+: executing "(t|p)" at <.*>: error calling ${fn}: `), e.message);
  assert.ok(e.message.endsWith(`error calling ${fn}: (details withheld: an argument derives from secret data)`), e.message);
}

describe('secret marks', () => {
  it('withhold a function error about a value, whatever transformed it first', () => {
    const chains: [string, string][] = [
      ['{{ .password | toString | upper | mustToDate "2006" }}', 'mustToDate'],
      ['{{ .password | b64enc | mustToDate "2006" }}', 'mustToDate'],
      ['{{ .password | upper | b64enc | mustToDate "2006" }}', 'mustToDate'],
      ['{{ .password | sha256sum | mustToDate "2006" }}', 'mustToDate'],
      ['{{ .password | trunc 6 | upper | mustToDate "2006" }}', 'mustToDate'],
      ['{{ .password | regexReplaceAll "[a-z]" "x" | mustToDate "2006" }}', 'mustToDate'],
      ['{{ mustToDate "2006" (.cfg | fromJson).ts }}', 'mustToDate'],
      ['{{ $p := .password | lower }}{{ $p | mustToDate "2006" }}', 'mustToDate'],
      ['{{ range $k, $v := . }}{{ $v | upper | mustToDate "2006" }}{{ end }}', 'mustToDate'],
      ['{{ with .password }}{{ . | upper | b64enc | mustToDate "2006" }}{{ end }}', 'mustToDate'],
      ['{{ (dict "p" .password).p | upper | mustRegexMatch "(" }}', 'mustRegexMatch'],
      // A function may put a value into a map or list that is not marked.
      ['{{ $d := dict }}{{ $_ := set $d "p" .password }}{{ index $d "p" | upper | mustToDate "2006" }}', 'mustToDate'],
      ['{{ $d := dict "x" (dict) }}{{ $_ := set $d.x "p" .password }}{{ $d | toJson | upper | mustToDate "2006" }}', 'mustToDate'],
      ['{{ printf "x%sx" .password | mustToDate "2006" }}', 'mustToDate'],
      ['{{ or "" .password | upper | mustToDate "2006" }}', 'mustToDate'],
      ['{{ define "p" }}{{ . | upper | mustToDate "2006" }}{{ end }}{{ template "p" .password }}', 'mustToDate'],
    ];
    for (const [t, fn] of chains) assertWithheld(t, fn);
  });

  it('say that fail was called with secret-derived text, without the text', () => {
    for (const t of ['{{ fail (printf "x%sx" .password) }}', '{{ .password | upper | fail }}', '{{ fail .password }}']) {
      const e = errorOf(() => renderTemplate(t, data, { name: 't' }));
      for (const f of forms) assert.ok(!e.message.includes(f), `${t} leaked ${JSON.stringify(f)}: ${e.message}`);
      assert.match(e.message, /error calling fail: fail called with text derived from secret data \(withheld\)$/);
    }
  });

  it('keep Go\'s messages for literal arguments', () => {
    assert.equal(errorOf(() => renderTemplate('{{ fail "literal" }}', data, { name: 't' })).message, 'template: t:1:3: executing "t" at <fail "literal">: error calling fail: literal');
    assert.equal(
      errorOf(() => renderTemplate('{{ "not a date" | upper | mustToDate "2006" }}', data, { name: 't' })).message,
      'template: t:1:26: executing "t" at <mustToDate "2006">: error calling mustToDate: parsing time "NOT A DATE" as "2006": cannot parse "NOT A DATE" as "2006"',
    );
    // A key name is an identifier, not a value: range keys are not marked.
    assert.match(errorOf(() => renderTemplate('{{ range $k, $v := . }}{{ $k | semver }}{{ end }}', { 'not-a-version': 'v' })).message, /Invalid Semantic Version/);
  });

  it('keep messages that name only types, also for marked arguments', () => {
    assert.match(errorOf(() => renderTemplate('{{ eq .password 1 }}', data)).message, /error calling eq: incompatible types for comparison: string and int$/);
    assert.match(errorOf(() => renderTemplate('{{ index .password "k" }}', data)).message, /error calling index: cannot index slice\/array with type string$/);
  });

  it('do not print a marked number in executor messages', () => {
    const e = errorOf(() => renderTemplate('{{ range $i, $j := (.n | atoi) }}{{ end }}', { n: '98765' }));
    assert.ok(!e.message.includes('98765'), e.message);
    assert.match(e.message, /can't use <value of type int> to iterate over more than one variable/);
    assert.match(errorOf(() => renderTemplate('{{ range $i, $j := 98765 }}{{ end }}', {})).message, /can't use 98765 to iterate/, 'a literal is printed as Go prints it');
  });

  it('leave rendering unchanged', () => {
    assert.equal(renderTemplate('{{ .password | upper | b64enc | b64dec | lower }}', { password: 'AbC' }), 'abc');
    assert.equal(renderTemplate('{{ $d := dict }}{{ $_ := set $d "p" .password }}{{ $d.p }}', { password: 'x' }), 'x');
  });

  it('keep every data string out of the errors of the corpus and of fuzzed templates', () => {
    const strings = (d: unknown, out: string[] = []): string[] => {
      if (typeof d === 'string') out.push(d);
      else if (Array.isArray(d)) for (const x of d) strings(x, out);
      else if (d !== null && typeof d === 'object') for (const x of Object.values(d)) strings(x, out);
      return out;
    };
    let failures = 0;
    for (const c of [...corpus, ...generateCases(7, 3000), ...generateCases(8, 3000)]) {
      const r = renderTs(c);
      if (r.ok) continue;
      failures++;
      const data: unknown = c.json !== undefined ? JSON.parse(c.json) : (c.data ?? {});
      // A string that the template itself spells out may be printed as the template's own text.
      for (const v of strings(data)) if (v.length >= 4 && !c.template.includes(v)) assert.ok(!r.err!.includes(v), `${c.template}\n${r.err!}`);
    }
    assert.ok(failures > 1000, 'enough failing cases to mean something');
  });
});
