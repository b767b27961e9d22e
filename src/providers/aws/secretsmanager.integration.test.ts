/**
 * service: SecretsManager against a real moto server (through the recording
 * proxy, which forwards every call unchanged). Kubernetes reads (the key
 * Secret) are served from memory.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateSecretCommand, DeleteSecretCommand, PutSecretValueCommand, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { HushError, NotFoundError } from '../../util/errors.ts';
import { rawRefOf, readMap, readValue } from '../../read/rawref.ts';
import type { RawOutcome, RawRef, RawSecret, StoreClient } from '../types.ts';
import { motoSkipReason, startTestbed, type Testbed } from './testing/testbed.ts';

const CANARY = 'CANARY-aws-7f31c2';
const signal = new AbortController().signal;
const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const batch = (c: StoreClient): NonNullable<StoreClient['batch']> => {
  assert.ok(c.batch, 'the client reads in batches');
  return c.batch;
};
const strings = (m: Map<string, Uint8Array>): Record<string, string> => Object.fromEntries([...m].map(([k, v]) => [k, text(v)]));
const poll = (c: StoreClient): NonNullable<NonNullable<StoreClient['changes']>['poll']> => {
  assert.ok(c.changes?.poll, 'the client polls change markers');
  return c.changes.poll;
};
/** What read() answers as the version, or 'NotFound'. */
const versionOf = async (c: StoreClient, ref: RawRef): Promise<string | undefined> => {
  try {
    return (await c.read(ref, signal)).version;
  } catch (err) {
    if (err instanceof NotFoundError) return 'NotFound';
    throw err;
  }
};

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
    assert.equal(text(await readValue(client, { key: 'app/db' }, signal)), `{"user":"svc2","password":"${CANARY}"}`);
    assert.equal(text(await readValue(client, { key: 'app/db', property: 'user' }, signal)), 'svc2');
    assert.equal(text(await readValue(client, { key: 'app/plain' }, signal)), 'just-text');
  });

  it('version: a stage (AWSPREVIOUS, a custom label) or uuid/<VersionId>', async () => {
    assert.equal(text(await readValue(client, { key: 'app/db', version: 'AWSPREVIOUS', property: 'user' }, signal)), 'svc');
    assert.equal(text(await readValue(client, { key: 'app/db', version: 'BLUE', property: 'port' }, signal)), '5432');
    assert.equal(text(await readValue(client, { key: 'app/db', version: `uuid/${firstVersion}`, property: 'ratio' }, signal)), '1.5', 'gjson writes non-integers as Go floats');
    // A dotted property is first one key ("a.b"), then a path (x → y).
    assert.equal(text(await readValue(client, { key: 'app/db', version: 'BLUE', property: 'a.b' }, signal)), 'dotted');
    assert.equal(text(await readValue(client, { key: 'app/db', version: 'BLUE', property: 'x.y' }, signal)), 'path');
    assert.equal(text(await readValue(client, { key: 'app/db', version: 'BLUE', property: 'nested' }, signal)), '{"k":"v"}');
  });

  it('binary secrets come back as their bytes', async () => {
    assert.deepEqual([...(await readValue(client, { key: 'app/cert' }, signal))], [0x00, 0xff, 0x10, 0x41]);
  });

  it('extract splits a JSON object; a non-JSON value is InvalidData without the value', async () => {
    assert.deepEqual(strings(await readMap(client, { key: 'app/db', version: 'AWSPREVIOUS' }, signal)), {
      user: 'svc',
      password: CANARY,
      port: '5432',
      ratio: '1.50',
      nested: '{"k":"v"}',
      'a.b': 'dotted',
      a: '{"b":"shadowed"}',
      x: '{"y":"path"}',
    });
    await assert.rejects(readMap(client, { key: 'app/plain' }, signal), code('InvalidData'));
  });

  it('metadataPolicy Fetch returns the tags as JSON, or one tag as a property', async () => {
    assert.equal(text(await readValue(client, { key: 'app/db', metadataPolicy: 'Fetch' }, signal)), '{"env":"prod","team":"pay\\u003cments\\u003e"}');
    assert.equal(text(await readValue(client, { key: 'app/db', metadataPolicy: 'Fetch', property: 'team' }, signal)), 'pay<ments>');
    assert.deepEqual(strings(await readMap(client, { key: 'app/db', metadataPolicy: 'Fetch' }, signal)), { env: 'prod', team: 'pay<ments>' });
  });

  it('a missing secret, version or deleted secret is NotFound naming the key; a missing property is PropertyNotFound', async () => {
    await assert.rejects(readValue(client, { key: 'nope/nothing' }, signal), (e: unknown) => code('NotFound')(e) && /GetSecretValue "nope\/nothing": ResourceNotFoundException/.test((e as Error).message));
    await assert.rejects(readValue(client, { key: 'app/db', version: 'uuid/00000000-0000-0000-0000-000000000000' }, signal), code('NotFound'));
    await assert.rejects(readValue(client, { key: 'gone/soon' }, signal), code('NotFound'));
    await assert.rejects(readValue(client, { key: 'app/db', property: 'nope' }, signal), (e: unknown) => code('PropertyNotFound')(e) && (e as Error).message === 'key "nope" does not exist in secret "app/db"');
    await assert.rejects(readValue(client, { key: 'app/plain', property: 'user' }, signal), (e: unknown) => code('PropertyNotFound')(e) && /not JSON/.test((e as Error).message));
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
    assert.equal(text(await readValue(c, { key: 'plain' }, signal)), 'just-text');
  });

  it('two properties of one key are one read: the raw secret is read once and projected twice', async () => {
    const { client: c, log } = await tb.connect({ service: 'SecretsManager' });
    const user = { key: 'app/db', property: 'user' };
    const password = { key: 'app/db', property: 'password' };
    assert.deepEqual(rawRefOf(c, user), rawRefOf(c, password), 'the same raw ref');
    const raw = await c.read(rawRefOf(c, user), signal);
    assert.equal(text(c.projection.value(raw, user)), 'svc2');
    assert.equal(text(c.projection.value(raw, password)), CANARY);
    assert.deepEqual(strings(c.projection.map(raw, { key: 'app/db' })), { user: 'svc2', password: CANARY });
    assert.equal(log.count('GetSecretValue'), 1);
  });

  it('version is the VersionId of the read and changes when a value is put; tags have none', async () => {
    const created = await tb.sm.send(new CreateSecretCommand({ Name: 'ver/s', SecretString: '{"n":"1"}' }));
    const r1 = await client.read({ key: 'ver/s' }, signal);
    assert.equal(r1.version, created.VersionId);
    assert.ok(r1.version && !r1.version.includes('"n"'));
    const put = await tb.sm.send(new PutSecretValueCommand({ SecretId: 'ver/s', SecretString: '{"n":"2"}' }));
    const r2 = await client.read({ key: 'ver/s' }, signal);
    assert.equal(r2.version, put.VersionId);
    assert.notEqual(r2.version, r1.version);
    assert.equal(text(client.projection.value(r2, { key: 'ver/s', property: 'n' })), '2');
    // A stage reads the VersionId it points at.
    assert.equal((await client.read({ key: 'ver/s', version: 'AWSPREVIOUS' }, signal)).version, created.VersionId);
    assert.equal((await client.read({ key: 'ver/s', metadataPolicy: 'Fetch' }, signal)).version, undefined);
  });

  it('the projection is pure: the same raw secret gives the same bytes, and the payload is not changed', async () => {
    for (const key of ['app/db', 'app/cert']) {
      const raw: RawSecret = await client.read({ key }, signal);
      const before = JSON.stringify(raw, (_k, v: unknown) => (v instanceof Uint8Array ? [...v] : v));
      const a = client.projection.value(raw, { key });
      a.fill(0); // a reader scribbling over its bytes must not reach the next reader
      const b = client.projection.value(raw, { key });
      const c = client.projection.value(raw, { key });
      assert.deepEqual(b, c);
      assert.notDeepEqual(b, a);
      assert.equal(JSON.stringify(raw, (_k, v: unknown) => (v instanceof Uint8Array ? [...v] : v)), before);
    }
    const tags = await client.read({ key: 'app/db', metadataPolicy: 'Fetch' }, signal);
    assert.deepEqual(client.projection.value(tags, { key: 'app/db', property: 'env' }), client.projection.value(tags, { key: 'app/db', property: 'env' }));
  });

  it('batch: three current values are one BatchGetSecretValue call; a missing secret fails its own ref with NotFound', async () => {
    const { client: c, log } = await tb.connect({ service: 'SecretsManager' });
    assert.equal(batch(c).maxSize, 20);
    const n = { batch: tb.proxy.count('BatchGetSecretValue'), get: tb.proxy.count('GetSecretValue') };
    const refs = [{ key: 'app/db' }, { key: 'nope/missing' }, { key: 'app/plain' }, { key: 'app/cert' }];
    const out = await batch(c).read(refs, signal);
    assert.equal(log.count('BatchGetSecretValue'), 1);
    assert.equal(log.count('GetSecretValue'), 0);
    assert.equal(tb.proxy.count('BatchGetSecretValue') - n.batch, 1);
    assert.equal(tb.proxy.count('GetSecretValue') - n.get, 0);
    const raw = (o: RawOutcome | undefined): RawSecret => {
      assert.ok(o && 'raw' in o, 'answered');
      return o.raw;
    };
    assert.equal(text(c.projection.value(raw(out[0]), { key: 'app/db', property: 'user' })), 'svc2');
    assert.equal(text(c.projection.value(raw(out[2]), { key: 'app/plain' })), 'just-text');
    assert.deepEqual([...c.projection.value(raw(out[3]), { key: 'app/cert' })], [0x00, 0xff, 0x10, 0x41]);
    // The batch gives the same VersionId as a single read.
    assert.equal(raw(out[0]).version, (await c.read({ key: 'app/db' }, signal)).version);
    const missing = out[1];
    assert.ok(missing && 'error' in missing);
    assert.ok(missing.error instanceof NotFoundError);
    assert.match(missing.error.message, /GetSecretValue "nope\/missing": ResourceNotFoundException: .*\(Secret does not exist\)/);
    // A secret scheduled for deletion is missing too, as for a single read.
    const gone = (await batch(c).read([{ key: 'gone/soon' }, { key: 'app/plain' }], signal))[0];
    assert.ok(gone && 'error' in gone && gone.error instanceof NotFoundError);
    assert.equal(log.count('BatchGetSecretValue'), 2);
  });

  it('batch: refs with a version or metadataPolicy Fetch are read alone inside the batch read', async () => {
    const { client: c, log } = await tb.connect({ service: 'SecretsManager' });
    const refs = [{ key: 'app/db' }, { key: 'app/db', version: 'AWSPREVIOUS' }, { key: 'app/db', metadataPolicy: 'Fetch' as const }, { key: 'app/plain' }];
    const out = await batch(c).read(refs, signal);
    const value = (i: number, property?: string): string => {
      const o = out[i];
      assert.ok(o && 'raw' in o, `ref ${i} answered`);
      return text(c.projection.value(o.raw, { ...refs[i], key: refs[i]?.key ?? '', ...(property ? { property } : {}) }));
    };
    assert.equal(value(0, 'user'), 'svc2');
    assert.equal(value(1, 'user'), 'svc');
    assert.equal(value(2, 'env'), 'prod');
    assert.equal(value(3), 'just-text');
    assert.equal(log.count('BatchGetSecretValue'), 1);
    assert.equal(log.count('GetSecretValue'), 1);
    assert.equal(log.count('DescribeSecret'), 1);
  });

  it('batch: without the BatchGetSecretValue permission each ref is one GetSecretValue, and stays so', async () => {
    const { client: c, log } = await tb.connect({ service: 'SecretsManager' });
    tb.proxy.fail({ match: 'BatchGetSecretValue', times: 1, code: 'AccessDeniedException', message: 'not authorized to perform: secretsmanager:BatchGetSecretValue' });
    const first = await batch(c).read([{ key: 'app/plain' }, { key: 'other/x' }, { key: 'nope/missing' }], signal);
    assert.deepEqual(first.map((o) => ('raw' in o ? text(c.projection.value(o.raw, { key: 'x' })) : (o.error as HushError).code)), ['just-text', '{"k":"v"}', 'NotFound']);
    await batch(c).read([{ key: 'app/plain' }, { key: 'other/x' }], signal);
    assert.equal(log.count('BatchGetSecretValue'), 1, 'asked once');
    assert.equal(log.count('GetSecretValue'), 5);
  });

  it('batch: a throttled BatchGetSecretValue fails every ref as Throttled with retryAfterMs, without a call per ref', async () => {
    const { client: c, log } = await tb.connect({ service: 'SecretsManager' });
    tb.proxy.fail({ match: 'BatchGetSecretValue', times: 1, code: 'ThrottlingException', message: 'Rate exceeded' });
    const out = await batch(c).read([{ key: 'app/plain' }, { key: 'other/x' }, { key: 'app/db', version: 'AWSPREVIOUS' }], signal);
    for (const o of out) assert.ok('error' in o && o.error instanceof HushError && o.error.code === 'Throttled' && (o.error.retryAfterMs ?? 0) > 0);
    assert.equal(log.count('BatchGetSecretValue'), 1);
    assert.equal(log.count('GetSecretValue'), 0);
    tb.proxy.clearFaults();
  });

  it('change feed: the marker is the VersionId read() answers, for the current value, a stage and uuid/<id>, before and after a put', async () => {
    const { client: c } = await tb.connect({ service: 'SecretsManager' });
    const created = await tb.sm.send(new CreateSecretCommand({ Name: 'feed/a', SecretString: `{"p":"${CANARY}"}` }));
    const first = created.VersionId ?? '';
    const refs: RawRef[] = [{ key: 'feed/a' }, { key: 'feed/a', version: 'AWSCURRENT' }, { key: 'feed/a', version: `uuid/${first}` }, { key: 'app/db', version: 'BLUE' }, { key: 'app/db', version: 'AWSPREVIOUS' }];
    const before = await poll(c).markers(refs, signal);
    assert.deepEqual(before, [first, first, first, firstVersion, firstVersion]);
    assert.deepEqual(before, await Promise.all(refs.map((r) => versionOf(c, r))));
    const put = await tb.sm.send(new PutSecretValueCommand({ SecretId: 'feed/a', SecretString: `{"p":"${CANARY}-2"}` }));
    const after = await poll(c).markers([...refs, { key: 'feed/a', version: 'AWSPREVIOUS' }], signal);
    assert.equal(after[0], put.VersionId);
    assert.notEqual(after[0], before[0], 'a put changes the marker');
    assert.deepEqual(after, await Promise.all([...refs, { key: 'feed/a', version: 'AWSPREVIOUS' }].map((r) => versionOf(c, r))));
    assert.equal(after[2], first, 'a pinned version keeps its id');
    assert.equal(after[5], first, 'AWSPREVIOUS moved to the first version');
  });

  it('change feed: a name is matched exactly although the filter matches prefixes, and an ARN by the whole ARN', async () => {
    const { client: c } = await tb.connect({ service: 'SecretsManager' });
    const p = await tb.sm.send(new CreateSecretCommand({ Name: 'feed/p/x', SecretString: 'child' }));
    const pp = await tb.sm.send(new CreateSecretCommand({ Name: 'feed/pp', SecretString: 'sibling' }));
    const own = await tb.sm.send(new CreateSecretCommand({ Name: 'feed/p', SecretString: 'own' }));
    const refs: RawRef[] = [{ key: 'feed/p' }, { key: 'feed/p/x' }, { key: own.ARN ?? '' }, { key: 'feed/p/' }];
    const markers = await poll(c).markers(refs, signal);
    assert.deepEqual(markers, [own.VersionId, p.VersionId, own.VersionId, undefined]);
    assert.notEqual(own.VersionId, pp.VersionId);
    assert.deepEqual(markers.slice(0, 3), await Promise.all(refs.slice(0, 3).map((r) => versionOf(c, r))));
    // An ARN alone: listed through the name inside it.
    assert.deepEqual(await poll(c).markers([{ key: own.ARN ?? '' }], signal), [own.VersionId]);
    // With a prefix, the ref's key is the name less the prefix, as for read().
    const { client: prefixed } = await tb.connect({ service: 'SecretsManager', prefix: 'feed/' });
    assert.deepEqual(await poll(prefixed).markers([{ key: 'p' }], signal), [own.VersionId]);
  });

  it('change feed: up to 10 refs are one filtered ListSecrets call; more are the cheaper of a call per 10 and a listing of every secret; no value is read or returned', async () => {
    const { client: c, log } = await tb.connect({ service: 'SecretsManager' });
    const refs: RawRef[] = [{ key: 'app/db' }, ...Array.from({ length: 11 }, (_, i) => ({ key: `bulk/s${String(i).padStart(2, '0')}` }))];
    const n = { list: tb.proxy.count('ListSecrets'), get: tb.proxy.count('GetSecretValue'), batch: tb.proxy.count('BatchGetSecretValue'), describe: tb.proxy.count('DescribeSecret') };
    const few = await poll(c).markers(refs.slice(0, 5), signal);
    assert.equal(tb.proxy.count('ListSecrets') - n.list, 1, '5 secrets: one call');
    assert.deepEqual((tb.proxy.calls.filter((k) => k.action === 'ListSecrets').at(-1)!.params.Filters as { Values: string[] }[])[0]?.Values.length, 5);

    // 12 refs, the account's size unknown: one listing of every secret (one page here) beats two filtered calls.
    const markers = await poll(c).markers(refs, signal);
    const full = tb.proxy.calls.filter((k) => k.action === 'ListSecrets').slice(-(tb.proxy.count('ListSecrets') - n.list - 1));
    assert.ok(full.length >= 1 && full.every((k) => k.params.Filters === undefined), 'a listing without a filter');
    assert.equal(log.count('ListSecrets', 'success'), tb.proxy.count('ListSecrets') - n.list);
    assert.equal(poll(c).callsFor?.(12), Math.min(2, full.length), 'what the budget report is told a poll of 12 costs');
    assert.deepEqual([tb.proxy.count('GetSecretValue') - n.get, tb.proxy.count('BatchGetSecretValue') - n.batch, tb.proxy.count('DescribeSecret') - n.describe], [0, 0, 0]);
    for (const m of [...few, ...markers]) assert.match(m ?? '', /^[0-9a-f-]{36}$/, 'a VersionId, nothing else');
    assert.ok(!JSON.stringify(markers).includes(CANARY));
    const reads = await batch(c).read(refs, signal);
    assert.deepEqual(markers, reads.map((o) => ('raw' in o ? o.raw.version : 'error')));
  });

  it('change feed: a name that is the prefix of more than a page of others: later pages are asked for only while a secret is missing', async () => {
    const { client: c, log } = await tb.connect({ service: 'SecretsManager' });
    // moto lists in creation order: "pg" first, then 101 secrets the filter value "pg" also matches.
    const own = await tb.sm.send(new CreateSecretCommand({ Name: 'pg', SecretString: 'y' }));
    for (let i = 0; i <= 100; i++) await tb.sm.send(new CreateSecretCommand({ Name: `pg/${i}`, SecretString: 'x' }));
    assert.deepEqual(await poll(c).markers([{ key: 'pg' }, { key: 'pg/100' }], signal), [own.VersionId, await versionOf(c, { key: 'pg/100' })]);
    assert.equal(log.count('ListSecrets'), 2, 'pages of 100: "pg/100" comes on the second');
    // "pg" is on the first page: found, so the second page is not asked for.
    assert.deepEqual(await poll(c).markers([{ key: 'pg' }], signal), [own.VersionId]);
    assert.equal(log.count('ListSecrets'), 3);
  });

  it('change feed: what it cannot tell is undefined, never a guess', async () => {
    const { client: c, log } = await tb.connect({ service: 'SecretsManager' });
    const refs: RawRef[] = [
      { key: 'app/db', metadataPolicy: 'Fetch' }, // tags: read() gives no marker
      { key: 'nope/missing' },
      { key: 'gone/soon' }, // scheduled for deletion: not listed, read() is NotFound
      { key: 'app/db', version: 'NO-SUCH-STAGE' },
      { key: 'app/db', version: 'uuid/00000000-0000-0000-0000-000000000000' },
      { key: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db' }, // a partial ARN: no exact match
      { key: 'bad*key' }, // not a value AWS takes in a filter: not asked
    ];
    assert.deepEqual(await poll(c).markers(refs, signal), refs.map(() => undefined));
    assert.deepEqual((await Promise.all(refs.slice(1, 5).map((r) => versionOf(c, r)))), ['NotFound', 'NotFound', 'NotFound', 'NotFound']);
    assert.equal(log.count('ListSecrets'), 1);
    const filter = (tb.proxy.calls.filter((k) => k.action === 'ListSecrets').at(-1)?.params.Filters as { Values: string[] }[])[0];
    assert.ok(filter && !filter.Values.includes('bad*key'));
    // Nothing to ask: no call.
    assert.deepEqual(await poll(c).markers([{ key: 'app/db', metadataPolicy: 'Fetch' }], signal), [undefined]);
    assert.equal(log.count('ListSecrets'), 1);
  });

  it('change feed: a failing ListSecrets throws (AccessDenied, Throttled), it does not answer undefined', async () => {
    const { client: c, log } = await tb.connect({ service: 'SecretsManager' });
    tb.proxy.fail({ match: 'ListSecrets', times: 1, code: 'AccessDeniedException', message: 'not authorized to perform: secretsmanager:ListSecrets' });
    await assert.rejects(poll(c).markers([{ key: 'app/db' }], signal), code('AccessDenied'));
    tb.proxy.fail({ match: 'ListSecrets', times: 1, code: 'ThrottlingException', message: 'Rate exceeded' });
    await assert.rejects(poll(c).markers([{ key: 'app/db' }], signal), (e: unknown) => code('Throttled')(e) && ((e as HushError).retryAfterMs ?? 0) > 0);
    assert.equal(log.count('ListSecrets', 'error'), 2);
    tb.proxy.clearFaults();
    assert.equal((await poll(c).markers([{ key: 'app/db' }], signal))[0], await versionOf(c, { key: 'app/db' }));
  });

  it('records every call for metrics, successes and errors', async () => {
    const { client: c, log } = await tb.connect({ service: 'SecretsManager' });
    await readValue(c, { key: 'app/plain' }, signal);
    await readValue(c, { key: 'nope' }, signal).catch(() => undefined);
    await c.findSecrets({ tags: { env: 'dev' } }, signal);
    assert.equal(log.count('GetSecretValue', 'success'), 1);
    assert.equal(log.count('GetSecretValue', 'error'), 1);
    assert.equal(log.count('BatchGetSecretValue', 'success'), 1);
  });
});
