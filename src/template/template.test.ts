/**
 * Behaviour of the public API that the differential suite cannot show:
 * error objects (code, name, line, column), limits on runaway templates,
 * byte-exact data, and that secret values stay out of error messages.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isHushError } from '../util/errors.ts';
import { parseTemplate, renderTemplate, renderTemplateBytes, TemplateError } from './index.ts';

function errorOf(f: () => unknown): TemplateError {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof TemplateError, `expected TemplateError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected an error');
}

describe('renderTemplate', () => {
  it('renders ESO-style data (map[string]string) with sprig functions', () => {
    const out = renderTemplate('{{ .user }}:{{ .pass | b64enc }}', { user: 'u', pass: 'p@ss' });
    assert.equal(out, 'u:cEBzcw==');
  });

  it('keeps binary secret bytes exact through b64enc and into the output', () => {
    const bin = new Uint8Array([0x00, 0xff, 0xfe, 0x80, 0x41]);
    assert.equal(renderTemplate('{{ .ks | b64enc }}', { ks: bin }), Buffer.from(bin).toString('base64'));
    assert.deepEqual([...renderTemplateBytes('{{ .ks }}', { ks: bin })], [...bin]);
    assert.equal(renderTemplate('{{ len .ks }}', { ks: bin }), '5');
  });

  it('passes JSON-like data as Go would decode it', () => {
    assert.equal(renderTemplate('{{ .a.b }} {{ typeOf .n }} {{ index .l 1 }}', { a: { b: 'c' }, n: 2, l: [1, 'x'] }), 'c float64 x');
  });

  it('supports custom delimiters', () => {
    assert.equal(renderTemplate('<% .a %> {{ .a }}', { a: 'x' }, { leftDelim: '<%', rightDelim: '%>' }), 'x {{ .a }}');
  });

  it('does not offer env, expandenv or getHostByName', () => {
    for (const f of ['env', 'expandenv', 'getHostByName']) {
      const e = errorOf(() => renderTemplate(`{{ ${f} "HOME" }}`, {}));
      assert.match(e.message, new RegExp(`function "${f}" not defined`));
    }
  });
});

describe('template errors', () => {
  it('name the template, line and column of a missing key, as Go does', () => {
    const e = errorOf(() => renderTemplate('line one\n  {{ .nope }}', { a: 'b' }, { name: 'tls.crt' }));
    assert.equal(e.message, 'template: tls.crt:2:5: executing "tls.crt" at <.nope>: map has no entry for key "nope"');
    assert.equal(e.templateName, 'tls.crt');
    assert.equal(e.line, 2);
    assert.equal(e.column, 5);
    assert.equal(e.phase, 'execute');
    assert.ok(isHushError(e));
    assert.equal(e.code, 'InvalidData', 'execution failed on the data, which may change at the store');
    assert.equal(e.retryable, true);
  });

  it('report parse errors with the line and are not retryable', () => {
    const e = errorOf(() => parseTemplate('ok\n{{ if .a }}', { name: 'k' }));
    assert.equal(e.message, 'template: k:2: unexpected EOF');
    assert.equal(e.phase, 'parse');
    assert.equal(e.line, 2);
    assert.equal(e.code, 'InvalidSpec');
    assert.equal(e.retryable, false);
    const u = errorOf(() => parseTemplate('{{ nosuchfunc 1 }}', { name: 'k' }));
    assert.equal(u.message, 'template: k:1: function "nosuchfunc" not defined');
  });

  it('carry the reason from a failing function', () => {
    const e = errorOf(() => renderTemplate('{{ fail "custom reason" }}', {}));
    assert.match(e.message, /error calling fail: custom reason$/);
  });

  it('never include the secret value the template was working on', () => {
    const secret = 'hunter2-SECRET-VALUE';
    const cases = ['{{ range .s }}{{ end }}', '{{ .s.field }}', '{{ mustFromJson .s }}', '{{ add .s | repeat .s }}', '{{ lt .s 1 }}'];
    for (const t of cases) {
      const e = errorOf(() => renderTemplate(t, { s: secret }));
      assert.ok(!e.message.includes(secret), `${t} leaked: ${e.message}`);
    }
  });
});

describe('limits on runaway templates', () => {
  it('stop endless recursion with a depth error', () => {
    const e = errorOf(() => renderTemplate('{{ define "r" }}x{{ template "r" . }}{{ end }}{{ template "r" . }}', {}, { maxOutputBytes: 1 << 30 }));
    assert.match(e.message, /exceeded maximum template depth \(1000\)/);
  });

  it('stop huge repeat and until before allocating', () => {
    const e = errorOf(() => renderTemplate('{{ repeat 100000000 "abc" }}', {}));
    assert.match(e.message, /exceeds the template output limit/);
    assert.equal(e.phase, 'limit');
    const u = errorOf(() => renderTemplate('{{ until 100000000 }}', {}));
    assert.match(u.message, /exceeds the template output limit/);
  });

  it('stop endless output', () => {
    const e = errorOf(() => renderTemplate('{{ range $i := until 1000 }}{{ range until 1000 }}xxxxxxxxxx{{ end }}{{ end }}', {}, { maxOutputBytes: 100_000 }));
    assert.equal(e.phase, 'limit');
    assert.match(e.message, /output exceeded the limit of 100000 bytes/);
  });

  it('stop long-running loops by counting steps', () => {
    const e = errorOf(() => renderTemplate('{{ range until 1000 }}{{ range until 1000 }}{{ end }}{{ end }}', {}, { maxSteps: 50_000 }));
    assert.equal(e.phase, 'limit');
    assert.match(e.message, /limit of 50000 evaluation steps/);
  });

  it('leave ordinary templates well inside the defaults', () => {
    const out = renderTemplate('{{ range until 2000 }}{{ . }},{{ end }}', {});
    assert.equal(out.split(',').length, 2001);
  });
});
