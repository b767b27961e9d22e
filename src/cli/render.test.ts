import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { runRender } from './render.ts';

const examples = join(import.meta.dirname, '../../examples/render');

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runRender(args, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
}

test('renders the documented example: templates, templateFrom and labels, without a cluster', async () => {
  const r = await run(['-f', join(examples, 'externalsecret.yaml'), '--values', join(examples, 'values.yaml'), '--from', join(examples, 'configmap.yaml'), '--decoded']);
  assert.equal(r.code, 0, r.err);
  const secret = parse(r.out) as { kind: string; metadata: { name: string; labels: Record<string, string> }; stringData: Record<string, string> };
  assert.equal(secret.kind, 'Secret');
  assert.equal(secret.metadata.name, 'app-db');
  assert.equal(secret.metadata.labels.app, 'shop');
  assert.equal(secret.stringData.DATABASE_URL, 'postgres://shop:p%40ss+w0rd@db.shop.svc:5432/shop');
  assert.equal(secret.stringData['config.yaml'], 'database:\n  user: shop\n  password: "p@ss w0rd"\n');
});

test('base64 data by default, and JSON output', async () => {
  const r = await run(['-f', join(examples, 'externalsecret.yaml'), '--values', join(examples, 'values.yaml'), '--from', join(examples, 'configmap.yaml'), '-o', 'json']);
  assert.equal(r.code, 0, r.err);
  const secret = JSON.parse(r.out) as { data: Record<string, string> };
  assert.equal(Buffer.from(secret.data.DATABASE_URL!, 'base64').toString(), 'postgres://shop:p%40ss+w0rd@db.shop.svc:5432/shop');
});

test('a broken template fails with exit 1 naming field, template, line and column — and no values', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hush-render-'));
  writeFileSync(join(dir, 'es.yaml'), `apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: { name: x }
spec:
  secretStoreRef: { name: s }
  target:
    template:
      data:
        url: "{{ .password }}\\n{{ .missing }}"
  data:
    - secretKey: password
      remoteRef: { key: k }
`);
  writeFileSync(join(dir, 'values.yaml'), 'password: hunter2-canary\n');
  const r = await run(['-f', join(dir, 'es.yaml'), '--values', join(dir, 'values.yaml')]);
  assert.equal(r.code, 1);
  assert.match(r.err, /spec\.target\.template\.data\[url\]: template: url:2:3: executing "url" at <\.missing>: map has no entry for key "missing"/);
  assert.ok(!r.err.includes('hunter2-canary'));
  assert.equal(r.out, '');
});

test('schema errors and missing templateFrom sources are named; bad usage is exit 2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hush-render-'));
  writeFileSync(join(dir, 'es.yaml'), 'apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata: { name: x }\nspec:\n  refreshPolicy: Sometimes\n  data: [{ secretKey: a, remoteRef: { key: k } }]\n');
  writeFileSync(join(dir, 'values.yaml'), 'a: b\n');
  const bad = await run(['-f', join(dir, 'es.yaml'), '--values', join(dir, 'values.yaml')]);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /spec\.refreshPolicy/);
  const noFrom = await run(['-f', join(examples, 'externalsecret.yaml'), '--values', join(examples, 'values.yaml')]);
  assert.equal(noFrom.code, 1);
  assert.match(noFrom.err, /templateFrom reads ConfigMap "app-config-template": pass the file that holds it with --from/);
  assert.equal((await run(['--values', 'x'])).code, 2);
});

test('a broken values file names the line, not the secret on it; values keep their text', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hush-render-'));
  writeFileSync(join(dir, 'es.yaml'), 'apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata: { name: x }\nspec:\n  secretStoreRef: { name: s }\n  data: [{ secretKey: pin, remoteRef: { key: k } }]\n');
  writeFileSync(join(dir, 'bad.yaml'), 'pin: "0123\npassword: hunter2-canary: x\n');
  const bad = await run(['-f', join(dir, 'es.yaml'), '--values', join(dir, 'bad.yaml')]);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /not valid YAML at line \d+, column \d+/);
  assert.ok(!bad.err.includes('hunter2-canary'));
  writeFileSync(join(dir, 'good.yaml'), 'pin: 0123\n');
  const good = await run(['-f', join(dir, 'es.yaml'), '--values', join(dir, 'good.yaml'), '--decoded']);
  assert.equal(good.code, 0, good.err);
  assert.match(good.out, /pin: "0123"/);
});
