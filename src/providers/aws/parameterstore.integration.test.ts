/**
 * service: ParameterStore against a real moto server (through the recording
 * proxy, which forwards every call unchanged). Kubernetes reads are served
 * from memory.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AddTagsToResourceCommand, GetParameterCommand, LabelParameterVersionCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { HushError, NotFoundError } from '../../util/errors.ts';
import { rawRefOf, readMap, readValue } from '../../read/rawref.ts';
import type { RawOutcome, RawRef, RawSecret, StoreClient } from '../types.ts';
import { motoSkipReason, startTestbed, type Testbed } from './testing/testbed.ts';

const CANARY = 'CANARY-ssm-90ad1e';
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
/** What read() answers as the version, or the error code. */
const versionOf = async (c: StoreClient, ref: RawRef): Promise<string | undefined> => {
  try {
    return (await c.read(ref, signal)).version;
  } catch (err) {
    if (err instanceof HushError) return err.code;
    throw err;
  }
};

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
    assert.equal(text(await readValue(client, { key: '/app/db', property: 'password' }, signal)), CANARY);
    assert.equal(text(await readValue(client, { key: '/app/plain' }, signal)), 'v2');
    assert.equal(text(await readValue(client, { key: '/app/plain', version: '1' }, signal)), 'v1');
    assert.equal(text(await readValue(client, { key: '/app/plain', version: 'stable' }, signal)), 'v1');
  });

  it('extract splits a JSON parameter', async () => {
    assert.deepEqual(strings(await readMap(client, { key: '/app/db' }, signal)), { user: 'svc', password: CANARY, port: '5432' });
  });

  it('metadataPolicy Fetch returns the tags', async () => {
    assert.equal(text(await readValue(client, { key: '/app/db', metadataPolicy: 'Fetch' }, signal)), '{"env":"prod","team":"a\\u0026b"}');
    assert.equal(text(await readValue(client, { key: '/app/plain', metadataPolicy: 'Fetch', property: 'tier' }, signal)), 'web');
  });

  it('two properties of one key are one read: the raw secret is read once and projected twice', async () => {
    const { client: c, log } = await tb.connect({ service: 'ParameterStore' });
    const user = { key: '/app/db', property: 'user' };
    const password = { key: '/app/db', property: 'password' };
    assert.deepEqual(rawRefOf(c, user), rawRefOf(c, password), 'the same raw ref');
    const raw = await c.read(rawRefOf(c, user), signal);
    assert.equal(text(c.projection.value(raw, user)), 'svc');
    assert.equal(text(c.projection.value(raw, password)), CANARY);
    assert.equal(log.count('GetParameter'), 1);
  });

  it("version is the parameter's Version and changes when it is put again; tags have none", async () => {
    await put('/ver/p', 'one');
    const r1 = await client.read({ key: '/ver/p' }, signal);
    assert.equal(r1.version, '1');
    await put('/ver/p', 'two', { overwrite: true });
    const r2 = await client.read({ key: '/ver/p' }, signal);
    assert.equal(r2.version, '2');
    assert.equal(text(client.projection.value(r2, { key: '/ver/p' })), 'two');
    // A selector reads that version, and says which it is (a label too).
    assert.equal((await client.read({ key: '/ver/p', version: '1' }, signal)).version, '1');
    assert.equal((await client.read({ key: '/app/plain', version: 'stable' }, signal)).version, '1');
    assert.equal((await client.read({ key: '/ver/p', metadataPolicy: 'Fetch' }, signal)).version, undefined);
  });

  it('the projection is pure: the same raw secret gives the same bytes, and the payload is not changed', async () => {
    const raw: RawSecret = await client.read({ key: '/app/db' }, signal);
    const before = JSON.stringify(raw);
    const a = client.projection.value(raw, { key: '/app/db', property: 'password' });
    a.fill(0);
    assert.equal(text(client.projection.value(raw, { key: '/app/db', property: 'password' })), CANARY);
    assert.deepEqual(client.projection.value(raw, { key: '/app/db' }), client.projection.value(raw, { key: '/app/db' }));
    assert.deepEqual(strings(client.projection.map(raw, { key: '/app/db' })), { user: 'svc', password: CANARY, port: '5432' });
    assert.equal(JSON.stringify(raw), before);
  });

  const raw = (o: RawOutcome | undefined): RawSecret => {
    assert.ok(o && 'raw' in o, 'answered');
    return o.raw;
  };

  it('batch: up to 10 names (selectors too) in one GetParameters call; a missing one fails its own ref with NotFound', async () => {
    const { client: c, log } = await tb.connect({ service: 'ParameterStore' });
    assert.equal(batch(c).maxSize, 10);
    const n = { one: tb.proxy.count('GetParameter'), many: tb.proxy.count('GetParameters') };
    const refs = [{ key: '/bulk/a/p03' }, { key: '/app/missing' }, { key: '/app/plain', version: 'stable' }, { key: '/app/db' }, { key: '/bulk/a/p04', version: '1' }];
    const out = await batch(c).read(refs, signal);
    assert.equal(log.count('GetParameters'), 1);
    assert.equal(log.count('GetParameter'), 0);
    assert.equal(tb.proxy.count('GetParameters') - n.many, 1);
    assert.equal(tb.proxy.count('GetParameter') - n.one, 0);
    assert.deepEqual(tb.proxy.calls.at(-1)?.params.Names, ['/bulk/a/p03', '/app/missing', '/app/plain:stable', '/app/db', '/bulk/a/p04:1']);
    assert.equal(text(c.projection.value(raw(out[0]), { key: '/bulk/a/p03' })), 'v3');
    assert.deepEqual([raw(out[2]).version, text(c.projection.value(raw(out[2]), { key: '/app/plain' }))], ['1', 'v1']);
    assert.equal(text(c.projection.value(raw(out[3]), { key: '/app/db', property: 'password' })), CANARY);
    assert.deepEqual([raw(out[4]).version, text(c.projection.value(raw(out[4]), { key: '/bulk/a/p04' }))], ['1', 'v4']);
    const missing = out[1];
    assert.ok(missing && 'error' in missing);
    assert.ok(missing.error instanceof NotFoundError);
    assert.match(missing.error.message, /"\/app\/missing"/);
    assert.ok(!missing.error.message.includes(CANARY));
  });

  it('batch: several versions of one parameter in one batch each get their own value', async () => {
    const { client: c } = await tb.connect({ service: 'ParameterStore' });
    const refs = [{ key: '/app/plain', version: '1' }, { key: '/app/plain' }, { key: '/app/plain', version: 'stable' }, { key: '/app/plain', version: '2' }];
    const out = await batch(c).read(refs, signal);
    assert.deepEqual(
      out.map((o) => [raw(o).version, text(c.projection.value(raw(o), { key: '/app/plain' }))]),
      [['1', 'v1'], ['2', 'v2'], ['1', 'v1'], ['2', 'v2']],
    );
  });

  it('batch: a missing version is the error GetParameter gives, not NotFound; tags are read alone', async () => {
    const { client: c, log } = await tb.connect({ service: 'ParameterStore' });
    const refs = [{ key: '/app/plain', version: '9' }, { key: '/app/plain', metadataPolicy: 'Fetch' as const }, { key: '/app/plain' }];
    const out = await batch(c).read(refs, signal);
    const bad = out[0];
    assert.ok(bad && 'error' in bad && bad.error instanceof HushError);
    assert.notEqual(bad.error.code, 'NotFound');
    assert.match(bad.error.message, /ParameterVersionNotFound/);
    assert.equal(text(c.projection.value(raw(out[1]), { key: '/app/plain', metadataPolicy: 'Fetch', property: 'tier' })), 'web');
    assert.equal(text(c.projection.value(raw(out[2]), { key: '/app/plain' })), 'v2');
    assert.equal(log.count('ListTagsForResource'), 1);
  });

  it('a missing parameter, version or property is an error naming the key, never the value', async () => {
    await assert.rejects(readValue(client, { key: '/nope' }, signal), (e: unknown) => e instanceof HushError && e.code === 'NotFound' && /GetParameter "\/nope": ParameterNotFound/.test(e.message));
    await assert.rejects(readValue(client, { key: '/app/plain', version: '9' }, signal), (e: unknown) => e instanceof HushError && e.code !== 'NotFound' && /ParameterVersionNotFound/.test(e.message));
    await assert.rejects(readValue(client, { key: '/app/db', property: 'nope' }, signal), (e: unknown) => e instanceof HushError && e.code === 'PropertyNotFound' && !e.message.includes(CANARY));
  });

  it("change feed: the marker is the Version read() answers, before and after a put; `name:N` is N while it exists", async () => {
    const { client: c } = await tb.connect({ service: 'ParameterStore' });
    await put('/feed/a', `${CANARY}-1`, { secure: true });
    const refs: RawRef[] = [{ key: '/feed/a' }, { key: '/feed/a', version: '1' }, { key: '/app/plain' }, { key: '/app/plain', version: '1' }, { key: '/app/plain', version: '2' }];
    const before = await poll(c).markers(refs, signal);
    assert.deepEqual(before, ['1', '1', '2', '1', '2']);
    assert.deepEqual(before, await Promise.all(refs.map((r) => versionOf(c, r))));
    await put('/feed/a', `${CANARY}-2`, { secure: true, overwrite: true });
    const after = await poll(c).markers([...refs, { key: '/feed/a', version: '2' }], signal);
    assert.equal(after[0], '2');
    assert.notEqual(after[0], before[0], 'a put changes the marker');
    assert.deepEqual(after, await Promise.all([...refs, { key: '/feed/a', version: '2' }].map((r) => versionOf(c, r))));
    for (const m of after) assert.match(m ?? '', /^[0-9]+$/, 'a Version, nothing else');
    // With a prefix, the ref's key is the name less the prefix, as for read().
    const { client: prefixed } = await tb.connect({ service: 'ParameterStore', prefix: '/feed' });
    assert.deepEqual(await poll(prefixed).markers([{ key: '/a' }], signal), ['2']);
  });

  it('change feed: 25 names are one Name filter (up to 50 per call), moto answers in pages of 10; no value is read or returned', async () => {
    const { client: c, log } = await tb.connect({ service: 'ParameterStore' });
    assert.equal(poll(c).maxSize, 50);
    const names = Array.from({ length: 25 }, (_, i) => `/bulk/${i < 12 ? 'a' : 'b/deep'}/p${String(i).padStart(2, '0')}`);
    const refs: RawRef[] = [{ key: '/app/db' }, ...names.slice(1).map((key) => ({ key }))];
    const n = { describe: tb.proxy.count('DescribeParameters'), one: tb.proxy.count('GetParameter'), many: tb.proxy.count('GetParameters'), tags: tb.proxy.count('ListTagsForResource') };
    const markers = await poll(c).markers(refs, signal);
    // AWS gives up to 50 per page (MaxResults); moto 10 whatever is asked, so 25 parameters are 3 pages here.
    assert.equal(tb.proxy.count('DescribeParameters') - n.describe, 3);
    assert.equal(log.count('DescribeParameters', 'success'), 3);
    assert.deepEqual([tb.proxy.count('GetParameter') - n.one, tb.proxy.count('GetParameters') - n.many, tb.proxy.count('ListTagsForResource') - n.tags], [0, 0, 0]);
    const asked = tb.proxy.calls.filter((k) => k.action === 'DescribeParameters').slice(-3);
    for (const k of asked) assert.deepEqual(k.params.ParameterFilters, [{ Key: 'Name', Option: 'Equals', Values: refs.map((r) => r.key) }]);
    assert.ok(markers.every((m) => m === '1'));
    assert.ok(!JSON.stringify(markers).includes(CANARY));
    const reads = await batch(c).read(refs, signal);
    assert.deepEqual(markers, reads.map((o) => ('raw' in o ? o.raw.version : 'error')));
    // Every name found: no further page is asked for (moto sends a NextToken after any full page).
    const ten = tb.proxy.count('DescribeParameters');
    await poll(c).markers(refs.slice(0, 10), signal);
    assert.equal(tb.proxy.count('DescribeParameters') - ten, 1);
    // Past 50 names, a second filter call.
    const many: RawRef[] = Array.from({ length: 51 }, (_, i) => ({ key: `/many/${i}` }));
    await poll(c).markers(many, signal);
    const last = tb.proxy.calls.filter((k) => k.action === 'DescribeParameters').slice(-2);
    assert.deepEqual(last.map((k) => (k.params.ParameterFilters as { Values: string[] }[])[0]?.Values.length), [50, 1]);
  });

  it('change feed: what it cannot tell is undefined, never a guess', async () => {
    const { client: c, log } = await tb.connect({ service: 'ParameterStore' });
    const described = await tb.ssm.send(new GetParameterCommand({ Name: '/app/plain' }));
    const refs: RawRef[] = [
      { key: '/app/plain', metadataPolicy: 'Fetch' }, // tags: read() gives no marker
      { key: '/app/plain', version: 'stable' }, // a label: DescribeParameters does not say which version holds it
      { key: '/app/plain', version: '9' }, // past the latest: read() fails
      { key: '/app/missing' },
      { key: described.Parameter?.ARN ?? '' }, // an ARN is not a Name filter value
      { key: '/aws/service/global-infrastructure/version' }, // AWS's own namespace
      { key: 'feed/slash' }, // only "/feed/slash" exists: the filter takes one for the other, GetParameter does not
    ];
    await put('/feed/slash', 'x');
    assert.deepEqual(await poll(c).markers(refs, signal), refs.map(() => undefined));
    // What read() makes of them: the label has a version (the poll leaves it to the read), the others fail.
    const read = await Promise.all([...refs.slice(1, 4), refs[6] as RawRef].map((r) => versionOf(c, r)));
    assert.equal(read[0], '1');
    assert.ok(read[1] !== undefined && !/^[0-9]+$/.test(read[1]), 'version 9 does not exist');
    assert.equal(read[2], 'NotFound');
    assert.equal(read[3], 'NotFound');
    assert.equal(log.count('DescribeParameters'), 1);
    const filter = (tb.proxy.calls.filter((k) => k.action === 'DescribeParameters').at(-1)?.params.ParameterFilters as { Values: string[] }[])[0];
    assert.deepEqual(filter?.Values, ['/app/plain', '/app/missing', 'feed/slash'], 'only names AWS takes, each once');
    // Nothing to ask: no call.
    assert.deepEqual(await poll(c).markers([{ key: '/app/plain', metadataPolicy: 'Fetch' }, { key: '/app/plain', version: 'stable' }], signal), [undefined, undefined]);
    assert.equal(log.count('DescribeParameters'), 1);
  });

  it('change feed: a failing DescribeParameters throws (AccessDenied, Throttled), it does not answer undefined', async () => {
    const { client: c, log } = await tb.connect({ service: 'ParameterStore' });
    const code = (want: string) => (e: unknown) => e instanceof HushError && e.code === want;
    tb.proxy.fail({ match: 'DescribeParameters', times: 1, code: 'AccessDeniedException', message: 'not authorized to perform: ssm:DescribeParameters' });
    await assert.rejects(poll(c).markers([{ key: '/app/plain' }], signal), code('AccessDenied'));
    tb.proxy.fail({ match: 'DescribeParameters', times: 1, code: 'ThrottlingException', message: 'Rate exceeded' });
    await assert.rejects(poll(c).markers([{ key: '/app/plain' }], signal), (e: unknown) => code('Throttled')(e) && ((e as HushError).retryAfterMs ?? 0) > 0);
    assert.equal(log.count('DescribeParameters', 'error'), 2);
    tb.proxy.clearFaults();
    assert.deepEqual(await poll(c).markers([{ key: '/app/plain' }], signal), ['2']);
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
