/**
 * service: ParameterStore against a real moto server (through the recording
 * proxy, which forwards every call unchanged). Kubernetes reads are served
 * from memory.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AddTagsToResourceCommand, LabelParameterVersionCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { HushError } from '../../util/errors.ts';
import type { StoreClient } from '../types.ts';
import { motoSkipReason, startTestbed, type Testbed } from './testing/testbed.ts';

const CANARY = 'CANARY-ssm-90ad1e';
const signal = new AbortController().signal;
const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const strings = (m: Map<string, Uint8Array>): Record<string, string> => Object.fromEntries([...m].map(([k, v]) => [k, text(v)]));

void describe('aws ParameterStore against moto', { skip: motoSkipReason }, () => {
  let tb: Testbed;
  let client: StoreClient;
  const put = (Name: string, Value: string, opts: { secure?: boolean; tags?: Record<string, string>; overwrite?: boolean } = {}) =>
    tb.ssm.send(
      new PutParameterCommand({
        Name,
        Value,
        Type: opts.secure ? 'SecureString' : 'String',
        ...(opts.overwrite ? { Overwrite: true } : { Tags: Object.entries(opts.tags ?? {}).map(([Key, Value]) => ({ Key, Value })) }),
      }),
    );

  before(async () => {
    tb = await startTestbed();
    await put('/app/db', `{"user":"svc","password":"${CANARY}","port":5432}`, { secure: true, tags: { env: 'prod', team: 'a&b' } });
    await put('/app/plain', 'v1', { tags: { env: 'dev' } });
    await put('/app/plain', 'v2', { overwrite: true });
    await tb.ssm.send(new LabelParameterVersionCommand({ Name: '/app/plain', ParameterVersion: 1, Labels: ['stable'] }));
    await tb.ssm.send(new AddTagsToResourceCommand({ ResourceType: 'Parameter', ResourceId: '/app/plain', Tags: [{ Key: 'tier', Value: 'web' }] }));
    for (let i = 0; i < 25; i++) await put(`/bulk/${i < 12 ? 'a' : 'b/deep'}/p${String(i).padStart(2, '0')}`, `v${i}`, { tags: { bulk: i % 2 === 0 ? 'even' : 'odd' } });
    ({ client } = await tb.connect({ service: 'ParameterStore' }));
  });

  after(async () => {
    await tb?.stop();
  });

  it('reads a parameter decrypted, a property of it, a version and a label', async () => {
    assert.equal(text(await client.getSecret({ key: '/app/db', property: 'password' }, signal)), CANARY);
    assert.equal(text(await client.getSecret({ key: '/app/plain' }, signal)), 'v2');
    assert.equal(text(await client.getSecret({ key: '/app/plain', version: '1' }, signal)), 'v1');
    assert.equal(text(await client.getSecret({ key: '/app/plain', version: 'stable' }, signal)), 'v1');
  });

  it('extract splits a JSON parameter', async () => {
    assert.deepEqual(strings(await client.getSecretMap({ key: '/app/db' }, signal)), { user: 'svc', password: CANARY, port: '5432' });
  });

  it('metadataPolicy Fetch returns the tags', async () => {
    assert.equal(text(await client.getSecret({ key: '/app/db', metadataPolicy: 'Fetch' }, signal)), '{"env":"prod","team":"a\\u0026b"}');
    assert.equal(text(await client.getSecret({ key: '/app/plain', metadataPolicy: 'Fetch', property: 'tier' }, signal)), 'web');
  });

  it('concurrent reads of many parameters go out as GetParameters calls of 10 names', async () => {
    const n = { one: tb.proxy.count('GetParameter'), many: tb.proxy.count('GetParameters') };
    const keys = Array.from({ length: 12 }, (_, i) => `/bulk/a/p${String(i).padStart(2, '0')}`);
    const values = await Promise.all(keys.map((key) => client.getSecret({ key }, signal)));
    assert.deepEqual(values.map(text), keys.map((_, i) => `v${i}`));
    assert.equal(tb.proxy.count('GetParameters') - n.many, 2, '12 names: one call of 10, one of 2');
    assert.equal(tb.proxy.count('GetParameter') - n.one, 0, 'no call per name');
  });

  it('a missing parameter in a batch fails alone, as NotFound naming it', async () => {
    const results = await Promise.allSettled([client.getSecret({ key: '/app/plain' }, signal), client.getSecret({ key: '/app/missing' }, signal)]);
    assert.equal(results[0].status, 'fulfilled');
    const missing = results[1];
    assert.ok(missing.status === 'rejected');
    const err: unknown = missing.reason;
    assert.ok(err instanceof HushError);
    assert.equal(err.code, 'NotFound');
    assert.match(err.message, /\/app\/missing/);
  });

  it('a missing parameter, version or property is an error naming the key, never the value', async () => {
    await assert.rejects(client.getSecret({ key: '/nope' }, signal), (e: unknown) => e instanceof HushError && e.code === 'NotFound' && /GetParameter "\/nope": ParameterNotFound/.test(e.message));
    await assert.rejects(client.getSecret({ key: '/app/plain', version: '9' }, signal), (e: unknown) => e instanceof HushError && e.code !== 'NotFound' && /ParameterVersionNotFound/.test(e.message));
    await assert.rejects(client.getSecret({ key: '/app/db', property: 'nope' }, signal), (e: unknown) => e instanceof HushError && e.code === 'PropertyNotFound' && !e.message.includes(CANARY));
  });

  it('find by name: GetParametersByPath under the path, recursive and paged', async () => {
    const before = tb.proxy.count('GetParametersByPath');
    const found = await client.findSecrets({ path: '/bulk', name: { regexp: 'p1[0-9]$' } }, signal);
    assert.deepEqual(Object.keys(strings(found)).sort(), [
      '/bulk/a/p10', '/bulk/a/p11', '/bulk/b/deep/p12', '/bulk/b/deep/p13', '/bulk/b/deep/p14', '/bulk/b/deep/p15',
      '/bulk/b/deep/p16', '/bulk/b/deep/p17', '/bulk/b/deep/p18', '/bulk/b/deep/p19',
    ]);
    assert.ok(tb.proxy.count('GetParametersByPath') - before >= 3, '25 parameters need several pages');
    const all = await client.findSecrets({ name: { regexp: '^/app/' } }, signal);
    assert.deepEqual(Object.keys(strings(all)).sort(), ['/app/db', '/app/plain']);
  });

  it('find by tags: DescribeParameters with tag filters, values 10 per GetParameters call', async () => {
    const before = { gets: tb.proxy.count('GetParameters'), one: tb.proxy.count('GetParameter') };
    const found = await client.findSecrets({ tags: { bulk: 'even' } }, signal);
    assert.equal(found.size, 13);
    assert.equal(text(found.get('/bulk/b/deep/p24') as Uint8Array), 'v24');
    assert.equal(tb.proxy.count('GetParameters') - before.gets, 2);
    assert.equal(tb.proxy.count('GetParameter') - before.one, 0);
    const scoped = await client.findSecrets({ tags: { bulk: 'odd' }, path: '/bulk/a' }, signal);
    assert.equal(scoped.size, 6);
  });

  it('falls back to DescribeParameters when GetParametersByPath is denied', async () => {
    tb.proxy.fail({ match: 'GetParametersByPath', times: 1, code: 'AccessDeniedException', message: 'not authorized to perform: ssm:GetParametersByPath' });
    const found = await client.findSecrets({ path: '/app', name: { regexp: 'plain' } }, signal);
    assert.deepEqual(strings(found), { '/app/plain': 'v2' });
  });
});
