/**
 * service: SecretsManager against a real moto server (through the recording
 * proxy, which forwards every call unchanged). Kubernetes reads (the key
 * Secret) are served from memory.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateSecretCommand, DeleteSecretCommand, PutSecretValueCommand, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { HushError } from '../../util/errors.ts';
import type { StoreClient } from '../types.ts';
import { motoSkipReason, startTestbed, type Testbed } from './testing/testbed.ts';

const CANARY = 'CANARY-aws-7f31c2';
const signal = new AbortController().signal;
const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const strings = (m: Map<string, Uint8Array>): Record<string, string> => Object.fromEntries([...m].map(([k, v]) => [k, text(v)]));

void describe('aws SecretsManager against moto', { skip: motoSkipReason }, () => {
  let tb: Testbed;
  let client: StoreClient;
  let firstVersion = '';
  const code = (c: string) => (e: unknown) => e instanceof HushError && e.code === c && !e.message.includes(CANARY);

  before(async () => {
    tb = await startTestbed();
    const create = (Name: string, v: { SecretString?: string; SecretBinary?: Uint8Array }, tags: Record<string, string> = {}) =>
      tb.sm.send(new CreateSecretCommand({ Name, ...v, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }));
    const db = await create('app/db', { SecretString: `{"user":"svc","password":"${CANARY}","port":5432,"ratio":1.50,"nested":{"k":"v"},"a.b":"dotted","a":{"b":"shadowed"},"x":{"y":"path"}}` }, { env: 'prod', team: 'pay<ments>' });
    firstVersion = db.VersionId ?? '';
    await tb.sm.send(new PutSecretValueCommand({ SecretId: 'app/db', SecretString: `{"user":"svc2","password":"${CANARY}"}` }));
    await tb.sm.send(new UpdateSecretVersionStageCommand({ SecretId: 'app/db', VersionStage: 'BLUE', MoveToVersionId: firstVersion }));
    await create('app/cert', { SecretBinary: new Uint8Array([0x00, 0xff, 0x10, 0x41]) }, { env: 'prod' });
    await create('app/plain', { SecretString: 'just-text' }, { env: 'dev' });
    await create('other/x', { SecretString: '{"k":"v"}' });
    await create('dotted.name', { SecretString: '{"a":"1"}' });
    for (let i = 0; i < 45; i++) await create(`bulk/s${String(i).padStart(2, '0')}`, { SecretString: `v${i}` }, { bulk: 'yes' });
    await create('gone/soon', { SecretString: 'x' });
    await tb.sm.send(new DeleteSecretCommand({ SecretId: 'gone/soon' }));
    ({ client } = await tb.connect({ service: 'SecretsManager' }));
  });

  after(async () => {
    await tb?.stop();
  });

  it('reads the current value whole, a property, a nested path, and a key with dots', async () => {
    assert.equal(text(await client.getSecret({ key: 'app/db' }, signal)), `{"user":"svc2","password":"${CANARY}"}`);
    assert.equal(text(await client.getSecret({ key: 'app/db', property: 'user' }, signal)), 'svc2');
    assert.equal(text(await client.getSecret({ key: 'app/plain' }, signal)), 'just-text');
  });

  it('version: a stage (AWSPREVIOUS, a custom label) or uuid/<VersionId>', async () => {
    assert.equal(text(await client.getSecret({ key: 'app/db', version: 'AWSPREVIOUS', property: 'user' }, signal)), 'svc');
    assert.equal(text(await client.getSecret({ key: 'app/db', version: 'BLUE', property: 'port' }, signal)), '5432');
    assert.equal(text(await client.getSecret({ key: 'app/db', version: `uuid/${firstVersion}`, property: 'ratio' }, signal)), '1.5', 'gjson writes non-integers as Go floats');
    // A dotted property is first one key ("a.b"), then a path (x → y).
    assert.equal(text(await client.getSecret({ key: 'app/db', version: 'BLUE', property: 'a.b' }, signal)), 'dotted');
    assert.equal(text(await client.getSecret({ key: 'app/db', version: 'BLUE', property: 'x.y' }, signal)), 'path');
    assert.equal(text(await client.getSecret({ key: 'app/db', version: 'BLUE', property: 'nested' }, signal)), '{"k":"v"}');
  });

  it('binary secrets come back as their bytes', async () => {
    assert.deepEqual([...(await client.getSecret({ key: 'app/cert' }, signal))], [0x00, 0xff, 0x10, 0x41]);
  });

  it('extract splits a JSON object; a non-JSON value is InvalidData without the value', async () => {
    assert.deepEqual(strings(await client.getSecretMap({ key: 'app/db', version: 'AWSPREVIOUS' }, signal)), {
      user: 'svc',
      password: CANARY,
      port: '5432',
      ratio: '1.50',
      nested: '{"k":"v"}',
      'a.b': 'dotted',
      a: '{"b":"shadowed"}',
      x: '{"y":"path"}',
    });
    await assert.rejects(client.getSecretMap({ key: 'app/plain' }, signal), code('InvalidData'));
  });

  it('metadataPolicy Fetch returns the tags as JSON, or one tag as a property', async () => {
    assert.equal(text(await client.getSecret({ key: 'app/db', metadataPolicy: 'Fetch' }, signal)), '{"env":"prod","team":"pay\\u003cments\\u003e"}');
    assert.equal(text(await client.getSecret({ key: 'app/db', metadataPolicy: 'Fetch', property: 'team' }, signal)), 'pay<ments>');
    assert.deepEqual(strings(await client.getSecretMap({ key: 'app/db', metadataPolicy: 'Fetch' }, signal)), { env: 'prod', team: 'pay<ments>' });
  });

  it('a missing secret, version or deleted secret is NotFound naming the key; a missing property is PropertyNotFound', async () => {
    await assert.rejects(client.getSecret({ key: 'nope/nothing' }, signal), (e: unknown) => code('NotFound')(e) && /GetSecretValue "nope\/nothing": ResourceNotFoundException/.test((e as Error).message));
    await assert.rejects(client.getSecret({ key: 'app/db', version: 'uuid/00000000-0000-0000-0000-000000000000' }, signal), code('NotFound'));
    await assert.rejects(client.getSecret({ key: 'gone/soon' }, signal), code('NotFound'));
    await assert.rejects(client.getSecret({ key: 'app/db', property: 'nope' }, signal), (e: unknown) => code('PropertyNotFound')(e) && (e as Error).message === 'key "nope" does not exist in secret "app/db"');
    await assert.rejects(client.getSecret({ key: 'app/plain', property: 'user' }, signal), (e: unknown) => code('PropertyNotFound')(e) && /not JSON/.test((e as Error).message));
  });

  it('find by name regexp: ListSecrets, then the matches 20 per BatchGetSecretValue call', async () => {
    const before = { list: tb.proxy.count('ListSecrets'), batch: tb.proxy.count('BatchGetSecretValue'), get: tb.proxy.count('GetSecretValue') };
    const found = await client.findSecrets({ name: { regexp: '^bulk/s[0-4]' } }, signal);
    assert.equal(found.size, 45);
    assert.equal(text(found.get('bulk/s07') as Uint8Array), 'v7');
    assert.equal(tb.proxy.count('BatchGetSecretValue') - before.batch, 3, '45 secrets in 3 batch calls');
    assert.equal(tb.proxy.count('GetSecretValue') - before.get, 0, 'no call per secret');
    assert.ok(tb.proxy.count('ListSecrets') - before.list >= 1);
    const app = await client.findSecrets({ name: { regexp: 'app/(db|cert)' } }, signal);
    assert.deepEqual([...app.keys()].sort(), ['app/cert', 'app/db']);
    assert.deepEqual([...(app.get('app/cert') as Uint8Array)], [0x00, 0xff, 0x10, 0x41]);
  });

  it('find by name with a path and by tags: BatchGetSecretValue with filters, as ESO', async () => {
    const byPath = await client.findSecrets({ path: 'app/', name: { regexp: '/p' } }, signal);
    assert.deepEqual(strings(byPath), { 'app/plain': 'just-text' });
    const byTags = await client.findSecrets({ tags: { env: 'prod' } }, signal);
    assert.deepEqual([...byTags.keys()].sort(), ['app/cert', 'app/db']);
    const both = await client.findSecrets({ tags: { bulk: 'yes' }, name: { regexp: 's4[0-2]$' } }, signal);
    assert.deepEqual(strings(both), { 'bulk/s40': 'v40', 'bulk/s41': 'v41', 'bulk/s42': 'v42' });
    await assert.rejects(client.findSecrets({ path: 'app/' }, signal), code('InvalidSpec'));
  });

  it('falls back to one GetSecretValue per secret when BatchGetSecretValue is denied', async () => {
    const { client: c } = await tb.connect({ service: 'SecretsManager' });
    tb.proxy.fail({ match: 'BatchGetSecretValue', times: 1, code: 'AccessDeniedException', message: 'not authorized to perform: secretsmanager:BatchGetSecretValue' });
    const gets = tb.proxy.count('GetSecretValue');
    const found = await c.findSecrets({ name: { regexp: '^app/(db|plain)$' } }, signal);
    assert.deepEqual([...found.keys()].sort(), ['app/db', 'app/plain']);
    assert.equal(tb.proxy.count('GetSecretValue') - gets, 2);
  });

  it('prefix is prepended to every key', async () => {
    const { client: c } = await tb.connect({ service: 'SecretsManager', prefix: 'app/' });
    assert.equal(text(await c.getSecret({ key: 'plain' }, signal)), 'just-text');
  });

  it('concurrent reads of one key share one call; a later read asks again', async () => {
    const { client: c } = await tb.connect({ service: 'SecretsManager' });
    const n = tb.proxy.count('GetSecretValue');
    const props = ['user', 'password', 'user', 'password', 'user'];
    await Promise.all(props.map((property) => c.getSecret({ key: 'app/db', property }, signal)));
    assert.equal(tb.proxy.count('GetSecretValue') - n, 1);
    await c.getSecret({ key: 'app/db' }, signal);
    assert.equal(tb.proxy.count('GetSecretValue') - n, 2, 'nothing kept after the read finished');
  });

  it('records every call for metrics, successes and errors', async () => {
    const { client: c, log } = await tb.connect({ service: 'SecretsManager' });
    await c.getSecret({ key: 'app/plain' }, signal);
    await c.getSecret({ key: 'nope' }, signal).catch(() => undefined);
    await c.findSecrets({ tags: { env: 'dev' } }, signal);
    assert.equal(log.count('GetSecretValue', 'success'), 1);
    assert.equal(log.count('GetSecretValue', 'error'), 1);
    assert.equal(log.count('BatchGetSecretValue', 'success'), 1);
  });
});
