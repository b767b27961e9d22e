import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkTemplateSyntax, renderTarget, validateTemplate } from './template.ts';
import { rewriteKeys } from './keys.ts';
import type { ExternalSecretObject, TemplateSpec } from './spec.ts';

const b = (s: string) => new Uint8Array(Buffer.from(s));
const text = (m: Map<string, Uint8Array>) => Object.fromEntries([...m].map(([k, v]) => [k, Buffer.from(v).toString()]));
const provider = new Map([['user', b('admin')], ['pass', b('s3cr3t')]]);

function es(template: TemplateSpec): ExternalSecretObject {
  return { metadata: { name: 'db', namespace: 'ns', labels: { from: 'es' } }, spec: { target: { template }, data: [] } };
}
const noSources = () => Promise.reject(new Error('no sources in this test'));

test('template.data replaces the provider data; keys are literal, values are Go templates', async () => {
  const r = await renderTarget(es({ type: 'kubernetes.io/basic-auth', data: { url: 'postgres://{{ .user }}:{{ .pass | urlquery }}@db:5432', '{{ .user }}': 'x' } }), provider, noSources);
  assert.deepEqual(text(r.data), { url: 'postgres://admin:s3cr3t@db:5432', '{{ .user }}': 'x' });
  assert.equal(r.type, 'kubernetes.io/basic-auth');
  assert.deepEqual(r.labels, {}, 'the ExternalSecret labels are not copied when a template is used');
});

test('mergePolicy Merge keeps the provider keys next to the templated ones', async () => {
  const r = await renderTarget(es({ mergePolicy: 'Merge', data: { both: '{{ .user }}/{{ .pass }}' } }), provider, noSources);
  assert.deepEqual(text(r.data), { user: 'admin', pass: 's3cr3t', both: 'admin/s3cr3t' });
});

test('templateFrom: ConfigMap items as Values and KeysAndValues, literal, and Labels/Annotations targets, in ESO order', async () => {
  const sources: Record<string, string> = {
    'ConfigMap/tpl/config.yaml': 'user: {{ .user }}\n',
    'ConfigMap/tpl/kv': 'A: "{{ .user }}"\nB: 0123\n',
    'Secret/stpl/lbl': 'team: {{ "payments" }}',
  };
  const read = (kind: string, name: string, key: string) => {
    const v = sources[`${kind}/${name}/${key}`];
    return v === undefined ? Promise.reject(new Error('missing')) : Promise.resolve(v);
  };
  const r = await renderTarget(es({
    templateFrom: [
      { configMap: { name: 'tpl', items: [{ key: 'config.yaml' }, { key: 'kv', templateAs: 'KeysAndValues' }] } },
      { literal: 'C: "{{ .pass | b64enc }}"' },
      { secret: { name: 'stpl', items: [{ key: 'lbl', templateAs: 'KeysAndValues' }] }, target: 'Labels' },
    ],
    data: { A: 'overridden by template.data' },
    metadata: { annotations: { owner: '{{ .user }}' } },
  }), provider, read);
  assert.deepEqual(text(r.data), { 'config.yaml': 'user: admin\n', A: 'overridden by template.data', B: '0123', C: Buffer.from('s3cr3t').toString('base64') });
  assert.deepEqual(r.labels, { team: 'payments' });
  assert.deepEqual(r.annotations, { owner: 'admin' });
});

test('a failing template names the field, template, line and column, and never the values', async () => {
  await assert.rejects(
    renderTarget(es({ data: { conn: 'ok\n{{ .missing }}' } }), provider, noSources),
    (err: Error) => /spec\.target\.template\.data\[conn\]: template: conn:2:3: executing "conn" at <\.missing>: map has no entry for key "missing"/.test(err.message) && !err.message.includes('s3cr3t'),
  );
  await assert.rejects(renderTarget(es({ data: { x: '{{ .user | nosuchfunc }}' } }), provider, noSources), /spec\.target\.template\.data\[x\]: template: x:1: function "nosuchfunc" not defined/);
});

test('rewrite.transform renames keys with a template over .value', async () => {
  const out = await rewriteKeys(new Map([['db/user', b('u')]]), [{ transform: { template: '{{ .value | replace "/" "_" | upper }}' } }], 'spec.dataFrom[0]');
  assert.deepEqual([...out.keys()], ['DB_USER']);
});

test('template validation blocks credential-minting Secret types and unknown engines', async () => {
  assert.match(validateTemplate({ type: 'bootstrap.kubernetes.io/token' })?.message ?? '', /bootstrap token/);
  assert.match(validateTemplate({ type: 'kubernetes.io/service-account-token', metadata: { annotations: { 'kubernetes.io/service-account.name': 'admin' } } })?.message ?? '', /service-account\.name annotation is not allowed/);
  assert.match(validateTemplate({ type: 'kubernetes.io/service-account-token', templateFrom: [{ literal: 'a: b', target: 'Annotations' }] })?.message ?? '', /Annotations is not allowed/);
  assert.match(validateTemplate({ engineVersion: 'v1' })?.message ?? '', /only v2 is supported/);
  assert.equal(validateTemplate({ type: 'kubernetes.io/tls', data: { 'tls.crt': '{{ .crt }}' } }), undefined);
  const bad = await checkTemplateSyntax({ target: { template: { data: { conn: '{{ .user | nosuchfunc }}' } } } });
  assert.match(bad?.message ?? '', /spec\.target\.template\.data\[conn\]: template: conn:1: function "nosuchfunc" not defined/, 'parsed before any store is read');
  assert.equal(bad?.retryable, false, 'a typo waits for a fix, not a retry');
});

test('a function that quotes secret data in its error has those details withheld', async () => {
  const data = new Map([['cfg', b('{"ts":"SECRETVALUE-123"}')]]);
  await assert.rejects(renderTarget(es({ data: { t: '{{ mustToDate "2006" (.cfg | fromJson).ts }}' } }), data, noSources), (err: Error) =>
    /spec\.target\.template\.data\[t\]: template: t:1:3: executing "t" at <mustToDate "2006" \(\.cfg \| fromJson\)\.ts>: error calling mustToDate: \(details withheld/.test(err.message) && !err.message.includes('SECRETVALUE'));
  await assert.rejects(renderTarget(es({ data: { t: '{{ fail "the database is not configured" }}' } }), data, noSources), /error calling fail: the database is not configured/, 'an author\'s own message stays');
});

test('ESO details: one templateFrom entry may hold several sources (configMap, secret, then literal); transform prints <no value> for a missing field', async () => {
  const read = (kind: string) => Promise.resolve(kind === 'ConfigMap' ? 'from-cm' : 'from-secret');
  const r = await renderTarget(es({ templateFrom: [{ configMap: { name: 'c', items: [{ key: 'A' }] }, secret: { name: 's', items: [{ key: 'A' }] }, literal: 'B: lit' }] }), provider, read);
  assert.deepEqual(text(r.data), { A: 'from-secret', B: 'lit' });
  const out = await rewriteKeys(new Map([['k', b('v')]]), [{ transform: { template: '{{ .value }}-{{ .nope }}' } }], 'spec.dataFrom[0]');
  assert.deepEqual([...out.keys()], ['k-<no value>']);
});

test('decision table: which template failures are retried (they depend on store data) and which need a change to the ExternalSecret', async () => {
  const fail = async (template: TemplateSpec, data: Map<string, Uint8Array>) => {
    try {
      await renderTarget(es(template), data, noSources);
    } catch (err) {
      return err as { code: string; retryable: boolean };
    }
    return assert.fail('expected a failure');
  };
  const rows: [string, TemplateSpec, Map<string, Uint8Array> | undefined, string, boolean][] = [
    ['a literal that renders to a list, from store data', { templateFrom: [{ literal: '{{ .user }}' }] }, new Map([['user', b('- a\n- b')]]), 'InvalidData', true],
    ['a literal that renders to text that is no YAML map', { templateFrom: [{ literal: '{{ .user }}' }] }, new Map([['user', b('a: [unclosed')]]), 'InvalidData', true],
    ['a missing key while executing', { data: { a: '{{ .nope }}' } }, undefined, 'InvalidData', true],
    ['a template that does not parse', { data: { a: '{{ .user ' } }, undefined, 'InvalidSpec', false],
  ];
  for (const [what, tpl, data, code, retryable] of rows) {
    const err = await fail(tpl, data ?? provider);
    assert.equal(err.code, code, what);
    assert.equal(err.retryable, retryable, what);
  }
});

test('the manifest\'s templates are parsed in the sandbox, as one batch, before any store is read; the first failure names its field', async () => {
  const { inProcess } = await import('../../sandbox/index.ts');
  const kinds: string[] = [];
  const spy = { run: (kind: string, input: unknown) => (kinds.push(kind), inProcess.run(kind as 'template.parse', input as never)) } as Parameters<typeof checkTemplateSyntax>[1];
  const spec = {
    dataFrom: [{ extract: { key: 'k' }, rewrite: [{ transform: { template: '{{ .value | nosuch }}' } }] }],
    target: { template: { data: { ok: '{{ .a }}', bad: '{{ if }}' } } },
  };
  const err = await checkTemplateSyntax(spec, spy);
  assert.deepEqual(kinds, ['template.parse']);
  assert.equal(err?.code, 'InvalidSpec');
  assert.equal(err?.message, 'spec.dataFrom[0].rewrite[0].transform.template: template: transform:1: function "nosuch" not defined');
  assert.match((await checkTemplateSyntax({ target: { template: { data: { ok: '{{ .a }}', bad: '{{ if }}' } } } }))?.message ?? '', /^spec\.target\.template\.data\[bad\]: template: bad:1: missing value for if$/);
  assert.equal(await checkTemplateSyntax({ target: { template: { data: { ok: '{{ .a }}' } } } }), undefined);
});
