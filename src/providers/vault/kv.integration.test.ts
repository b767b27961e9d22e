/**
 * The vault provider's reads against a real OpenBao dev server (KV v2 at
 * secret/, KV v1 at kv1/), authenticated with a token from a Secret.
 * ProviderKubeAccess is served from memory (see memoryKube.ts); the store is real.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RawRef, StoreClient } from '../types.ts';
import { rawRefKey, rawRefOf, readMap, readValue } from '../../read/rawref.ts';
import { MemoryKube, testStoreContext, type CallLog } from '../util/testing/memoryKube.ts';
import { vaultProvider } from './provider.ts';
import { baoSkipReason, startOpenBao, type OpenBao } from './testing/openbao.ts';

const CANARY = 'CANARY-7f3a9c-value';
const signal = new AbortController().signal;
const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const obj = (m: Map<string, Uint8Array>): Record<string, string> => Object.fromEntries([...m].map(([k, v]) => [k, text(v)]));

void describe('vault provider against OpenBao (KV reads)', { skip: baoSkipReason() }, () => {
  let bao: OpenBao;
  let kube: MemoryKube;
  const clients: StoreClient[] = [];

  const connect = async (spec: Record<string, unknown>, token = 'root'): Promise<{ client: StoreClient; log: CallLog }> => {
    const { ctx, log } = testStoreContext({
      spec: { server: bao.addr, auth: { tokenSecretRef: { name: `vault-${token}`, key: 'token' } }, ...spec },
      kube,
    });
    const client = await vaultProvider.connect(ctx);
    clients.push(client);
    return { client, log };
  };

  before(async () => {
    bao = await startOpenBao();
    kube = new MemoryKube().setSecret('default', 'vault-root', { token: bao.rootToken + '\n' });
    const w = async (path: string, body: unknown): Promise<void> => {
      const r = await bao.api('POST', path, body);
      assert.ok(r.status < 300, `seed ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    };
    // Raw JSON so number literals reach Vault exactly as written.
    const raw = async (path: string, json: string): Promise<void> => {
      const r = await fetch(`${bao.addr}/v1/${path}`, { method: 'POST', headers: { 'x-vault-token': bao.rootToken }, body: json });
      assert.ok(r.status < 300, `seed ${path}: ${r.status}`);
    };
    await raw(
      'secret/data/db',
      `{"data":{"user":"admin","password":"${CANARY}","port":5432,"ratio":1.50,"big":12345678901234567890,"enabled":true,"none":null,"nested":{"a":{"b":"deep"},"list":[1,2]},"dotted.key":"dv","html":"<&>"}}`,
    );
    await w('secret/metadata/db', { custom_metadata: { owner: 'team-a', env: 'prod' } });
    await w('secret/data/rotating', { data: { v: 'one' } });
    await w('secret/data/rotating', { data: { v: 'two' } });
    await w('secret/data/team/db-token', { data: { t: '1' } });
    await w('secret/metadata/team/db-token', { custom_metadata: { env: 'prod' } });
    await w('secret/data/team/api-token', { data: { t: '2' } });
    await w('secret/metadata/team/api-token', { custom_metadata: { env: 'dev' } });
    await w('secret/data/team/sub/deep-token', { data: { t: '3' } });
    await w('secret/data/other/thing', { data: { t: '4' } });
    await w('secret/data/gone', { data: { t: '5' } });
    assert.equal((await bao.api('DELETE', 'secret/data/gone')).status, 204);
    await w('sys/mounts/kv1', { type: 'kv', options: { version: '1' } });
    await raw('kv1/app', '{"k":"v1value","n":7,"r":1.50,"big":12345678901234567890}');
    await w('kv1/team/one', { k: 'a' });
    // A token that may read only team/*.
    await w('sys/policies/acl/narrow', { policy: 'path "secret/data/team/*" { capabilities = ["read"] }' });
    const t = await bao.api('POST', 'auth/token/create', { policies: ['narrow'], ttl: '1h' });
    kube.setSecret('default', 'vault-narrow', { token: t.body.auth.client_token });
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await bao?.stop();
  });

  void it('reads a whole KV v2 secret as ESO does (Go JSON of what Vault answers)', async () => {
    const { client, log } = await connect({ path: 'secret', version: 'v2' });
    // KV v2 stores numbers as float64, so Vault itself answers 12345678901234567000 and 1.5.
    assert.equal(
      text(await readValue(client, { key: 'db' }, signal)),
      `{"big":12345678901234567000,"dotted.key":"dv","enabled":true,"html":"\\u003c\\u0026\\u003e","nested":{"a":{"b":"deep"},"list":[1,2]},"none":null,"password":"${CANARY}","port":5432,"ratio":1.5,"user":"admin"}`,
    );
    assert.equal(log.count('ReadSecretData', 'success'), 1);
  });

  void it('reads properties: plain, numbers, bools, objects, nested gjson paths, dotted keys', async () => {
    const { client } = await connect({ path: 'secret' });
    const get = async (property: string): Promise<string> => text(await readValue(client, { key: 'db', property }, signal));
    assert.equal(await get('user'), 'admin');
    assert.equal(await get('port'), '5432');
    assert.equal(await get('ratio'), '1.5');
    assert.equal(await get('big'), '12345678901234567000');
    assert.equal(await get('enabled'), 'true');
    assert.equal(await get('none'), '');
    assert.equal(await get('nested'), '{"a":{"b":"deep"},"list":[1,2]}');
    assert.equal(await get('nested.a.b'), 'deep');
    assert.equal(await get('nested.list.1'), '2');
    assert.equal(await get('dotted.key'), 'dv');
    assert.equal(await get('html'), '<&>');
  });

  void it('accepts the key with the mount and data/ prefixes, and without a store path', async () => {
    const { client } = await connect({ path: 'secret' });
    assert.equal(text(await readValue(client, { key: 'secret/data/db', property: 'user' }, signal)), 'admin');
    assert.equal(text(await readValue(client, { key: 'secret/db', property: 'user' }, signal)), 'admin');
    const { client: noPath } = await connect({});
    assert.equal(text(await readValue(noPath, { key: 'secret/team/db-token', property: 't' }, signal)), '1');
  });

  void it('reads older versions with version=N', async () => {
    const { client } = await connect({ path: 'secret' });
    assert.equal(text(await readValue(client, { key: 'rotating', property: 'v' }, signal)), 'two');
    assert.equal(text(await readValue(client, { key: 'rotating', property: 'v', version: '1' }, signal)), 'one');
    await assert.rejects(readValue(client, { key: 'rotating', version: '9' }, signal), { code: 'NotFound' });
  });

  void it('extracts a secret into keys with Go float64 number rendering', async () => {
    const { client } = await connect({ path: 'secret' });
    const m = obj(await readMap(client, { key: 'db' }, signal));
    assert.equal(m.user, 'admin');
    assert.equal(m.port, '5432');
    assert.equal(m.ratio, '1.5');
    assert.equal(m.big, '12345678901234567000');
    assert.equal(m.enabled, 'true');
    assert.equal(m.none, '');
    assert.equal(m.nested, '{"a":{"b":"deep"},"list":[1,2]}');
    assert.deepEqual(obj(await readMap(client, { key: 'db', property: 'nested.a' }, signal)), { b: 'deep' });
  });

  void it('reads KV v1 mounts, keeping the number literals Vault answers', async () => {
    const { client } = await connect({ path: 'kv1', version: 'v1' });
    assert.equal(text(await readValue(client, { key: 'app' }, signal)), '{"big":12345678901234567890,"k":"v1value","n":7,"r":1.50}');
    assert.equal(text(await readValue(client, { key: 'app', property: 'r' }, signal)), '1.50');
    assert.equal(text(await readValue(client, { key: 'app', property: 'big' }, signal)), '12345678901234567890');
    assert.equal(text(await readValue(client, { key: 'kv1/app', property: 'k' }, signal)), 'v1value');
    assert.deepEqual(obj(await readMap(client, { key: 'app' }, signal)), { big: '12345678901234567000', k: 'v1value', n: '7', r: '1.5' });
    const found = await client.findSecrets({ path: 'team' }, signal);
    assert.deepEqual(obj(found), { 'team/one': '{"k":"a"}' });
    await assert.rejects(client.findSecrets({ tags: { a: 'b' } }, signal), { code: 'NotSupported' });
    await assert.rejects(readValue(client, { key: 'app', metadataPolicy: 'Fetch' }, signal), { code: 'NotSupported' });
  });

  void it('finds secrets by path and name regexp, recursively, skipping deleted ones', async () => {
    const { client, log } = await connect({ path: 'secret' });
    const byName = await client.findSecrets({ name: { regexp: 'token' } }, signal);
    assert.deepEqual(Object.keys(obj(byName)).sort(), ['team/api-token', 'team/db-token', 'team/sub/deep-token']);
    assert.equal(text(byName.get('team/db-token') as Uint8Array), '{"t":"1"}');
    const byPath = await client.findSecrets({ path: 'team', name: { regexp: '^team/d' } }, signal);
    assert.deepEqual(Object.keys(obj(byPath)), ['team/db-token']);
    const all = await client.findSecrets({}, signal);
    assert.ok(all.has('other/thing') && all.has('db') && !all.has('gone'));
    assert.ok(log.count('ListSecrets', 'success') >= 3);
  });

  void it('finds secrets by tags (custom_metadata)', async () => {
    const { client } = await connect({ path: 'secret' });
    assert.deepEqual(Object.keys(obj(await client.findSecrets({ tags: { env: 'prod' } }, signal))).sort(), ['db', 'team/db-token']);
    assert.deepEqual(Object.keys(obj(await client.findSecrets({ path: 'team', tags: { env: 'dev' } }, signal))), ['team/api-token']);
  });

  void it('fetches metadata with metadataPolicy Fetch', async () => {
    const { client } = await connect({ path: 'secret' });
    const all = JSON.parse(text(await readValue(client, { key: 'db', metadataPolicy: 'Fetch' }, signal))) as Record<string, string>;
    assert.equal(all.owner, 'team-a');
    assert.equal(all.current_version, '1');
    assert.equal(all.delete_version_after, '0s');
    assert.match(all.created_time ?? '', /^\d{4}-/);
    assert.equal(text(await readValue(client, { key: 'db', property: 'owner', metadataPolicy: 'Fetch' }, signal)), 'team-a');
    const m = obj(await readMap(client, { key: 'db', metadataPolicy: 'Fetch' }, signal));
    assert.equal(m.env, 'prod');
    await assert.rejects(readValue(client, { key: 'missing', metadataPolicy: 'Fetch' }, signal), { code: 'NotFound' });
  });

  void it('answers NotFound for missing and deleted secrets, PropertyNotFound for missing properties', async () => {
    const { client } = await connect({ path: 'secret' });
    await assert.rejects(readValue(client, { key: 'missing' }, signal), { code: 'NotFound' });
    await assert.rejects(readValue(client, { key: 'gone' }, signal), { code: 'NotFound' });
    await assert.rejects(readValue(client, { key: 'db', property: 'nope' }, signal), {
      code: 'PropertyNotFound',
      message: 'cannot find secret data for key: "nope"',
    });
  });

  void it('reports a narrow policy as AccessDenied without logging in again', async () => {
    const { client, log } = await connect({ path: 'secret' }, 'narrow');
    assert.equal(text(await readValue(client, { key: 'team/db-token', property: 't' }, signal)), '1');
    await assert.rejects(readValue(client, { key: 'db' }, signal), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'AccessDenied');
      assert.equal(e.message, 'vault: read secret/data/db: permission denied (403)');
      return true;
    });
    // One lookup-self to tell a policy denial from a dead token; no second token read.
    assert.equal(log.count('LookupSelf', 'success'), 1);
  });

  void it('validates: Ready with working credentials, Error for a bad token, or a KV version that does not match the mount', async () => {
    assert.deepEqual((await (await connect({ path: 'secret' })).client.validate(signal)).state, 'Ready');
    const wrongVersion = await (await connect({ path: 'kv1', version: 'v2' })).client.validate(signal);
    assert.equal(wrongVersion.state, 'Error');
    assert.match(wrongVersion.message, /uses kv version v1 but store is configured for kv version v2/);
    kube.setSecret('default', 'vault-bogus', { token: 'hvs.bogus' });
    const bad = await (await connect({ path: 'secret' }, 'bogus')).client.validate(signal);
    assert.equal(bad.state, 'Error');
    assert.match(bad.message, /invalid vault credentials/);
  });

  void it('keeps secret values out of every error message', async () => {
    const { client } = await connect({ path: 'secret' });
    const messages: string[] = [];
    const collect = async (p: Promise<unknown>): Promise<void> => {
      await p.then(
        () => assert.fail('expected an error'),
        (e: Error) => messages.push(e.message, String(e.stack)),
      );
    };
    await collect(readValue(client, { key: 'db', property: 'password.x' }, signal));
    await collect(readMap(client, { key: 'db', property: 'password' }, signal));
    await collect(readValue(client, { key: 'db', property: `${CANARY}` }, signal).then(() => undefined));
    await collect(readValue(client, { key: 'db', version: 'x' }, signal));
    const { client: narrow } = await connect({ path: 'secret' }, 'narrow');
    await collect(readValue(narrow, { key: 'db' }, signal));
    assert.ok(messages.length >= 8);
    // The property name itself is not a value; only messages about other things are checked for the value.
    for (const m of messages.filter((x) => !x.includes(`key: "${CANARY}"`))) assert.ok(!m.includes(CANARY), m);
  });

  void it('reads two properties of one key with one call: one raw read, projected twice', async () => {
    const { client, log } = await connect({ path: 'secret' });
    const user = { key: 'db', property: 'user' };
    const port = { key: 'db', property: 'port' };
    // Vault's request does not depend on the property, so both refs are one raw ref.
    assert.equal(rawRefKey(rawRefOf(client, user)), rawRefKey(rawRefOf(client, port)));
    const raw = await client.read(rawRefOf(client, user), signal);
    assert.equal(text(client.projection.value(raw, user)), 'admin');
    assert.equal(text(client.projection.value(raw, port)), '5432');
    assert.equal(obj(client.projection.map(raw, { key: 'db' })).user, 'admin');
    assert.equal(log.count('ReadSecretData'), 1);
  });

  void it('gives the KV v2 version number as the version marker; a new write moves it; KV v1 has none', async () => {
    const { client } = await connect({ path: 'secret' });
    const put = async (v: string): Promise<void> => {
      assert.ok((await bao.api('POST', 'secret/data/versioned', { data: { v } })).status < 300);
    };
    await put('first');
    const one = await client.read({ key: 'versioned' }, signal);
    assert.match(one.version ?? '', /^1@\d{4}-\d\d-\d\dT/);
    await put('second');
    const two = await client.read({ key: 'versioned' }, signal);
    assert.match(two.version ?? '', /^2@/);
    assert.equal(text(client.projection.value(two, { key: 'versioned', property: 'v' })), 'second');
    // An explicit version answers with its own number.
    assert.equal((await client.read({ key: 'versioned', version: '1' }, signal)).version, one.version);
    // Deleted with its metadata and written again, it is version 1 again: the marker still moves.
    assert.ok((await bao.api('DELETE', 'secret/metadata/versioned')).status < 300);
    await put('reborn');
    const reborn = await client.read({ key: 'versioned' }, signal);
    assert.match(reborn.version ?? '', /^1@/);
    assert.notEqual(reborn.version, one.version, 'the same version number, another version');
    assert.deepEqual(await client.changes!.poll!.markers([{ key: 'versioned' }], signal), [reborn.version]);
    const { client: v1 } = await connect({ path: 'kv1', version: 'v1' });
    assert.equal((await v1.read({ key: 'app' }, signal)).version, undefined);
  });

  void it('gives the metadata updated_time as the Fetch version marker: custom_metadata changes move it, not current_version', async () => {
    const { client } = await connect({ path: 'secret' });
    assert.ok((await bao.api('POST', 'secret/data/tagged', { data: { v: 'x' } })).status < 300);
    assert.ok((await bao.api('POST', 'secret/metadata/tagged', { custom_metadata: { owner: 'a' } })).status < 300);
    const updatedTime = async (): Promise<string> => {
      const r = await bao.api('GET', 'secret/metadata/tagged');
      return r.body.data.updated_time as string;
    };
    const fetch = { key: 'tagged', metadataPolicy: 'Fetch' as const };
    const before = await client.read(fetch, signal);
    assert.equal(before.version, await updatedTime());
    assert.match(before.version ?? '', /^\d{4}-\d\d-\d\dT/);
    assert.ok((await bao.api('POST', 'secret/metadata/tagged', { custom_metadata: { owner: 'b' } })).status < 300);
    const after = await client.read(fetch, signal);
    assert.equal(after.version, await updatedTime());
    assert.notEqual(after.version, before.version);
    assert.equal(text(client.projection.value(before, { ...fetch, property: 'current_version' })), '1');
    assert.equal(text(client.projection.value(after, { ...fetch, property: 'current_version' })), '1');
    assert.equal(text(client.projection.value(after, { ...fetch, property: 'owner' })), 'b');
  });

  void it('projects purely: the same raw secret gives the same bytes twice and is left as it was', async () => {
    const { client } = await connect({ path: 'secret' });
    for (const ref of [{ key: 'db' }, { key: 'db', metadataPolicy: 'Fetch' as const }]) {
      const raw = await client.read(ref, signal);
      const snapshot = JSON.stringify(raw);
      const first = client.projection.value(raw, ref);
      first.fill(0); // a reader scribbling on its answer must not reach the next reader
      assert.deepEqual(client.projection.value(raw, ref), client.projection.value(raw, ref));
      assert.notDeepEqual(client.projection.value(raw, ref), first);
      client.projection.map(raw, ref);
      client.projection.value(raw, { ...ref, property: ref.metadataPolicy ? 'owner' : 'nested.a.b' });
      assert.equal(JSON.stringify(raw), snapshot);
    }
  });

  void it('reports static spec problems by field', () => {
    assert.deepEqual(vaultProvider.validateStore({ server: 'not a url', version: 'v3', auth: {} }, 'SecretStore'), [
      { field: 'spec.provider.vault.server', message: 'must be a URL such as https://vault.example:8200' },
      { field: 'spec.provider.vault.version', message: 'must be one of v1, v2' },
      {
        field: 'spec.provider.vault.auth',
        message: 'no auth method given: set one of tokenSecretRef, appRole, kubernetes, ldap, userPass, jwt, cert, iam, gcp',
      },
    ]);
    assert.deepEqual(vaultProvider.validateStore({ server: 'http://x', auth: { appRole: { secretRef: { name: 's', key: 'k' } } } }, 'SecretStore'), [
      { field: 'spec.provider.vault.auth.appRole', message: 'neither roleId nor roleRef was supplied' },
    ]);
  });
  // --- change feed: KV v2 metadata poll ---------------------------------------

  const poll = (client: StoreClient, refs: RawRef[]): Promise<(string | undefined)[]> => {
    const p = client.changes?.poll;
    assert.ok(p, 'a KV v2 client polls');
    assert.equal(p.maxSize, 1, 'Vault has no batch read: one metadata GET per ref');
    return p.markers(refs, signal);
  };
  /** Vault's own answer for the key's data (or the given version): the version number it reports. */
  const vaultVersion = async (key: string, version?: string): Promise<string> => {
    const r = await bao.api('GET', `secret/data/${key}${version ? `?version=${version}` : ''}`);
    assert.equal(r.status, 200);
    // The number and the creation time of that version, as OpenBao itself reports them.
    return `${String(r.body.data.metadata.version)}@${String(r.body.data.metadata.created_time)}`;
  };

  void it('poll: the marker equals the version a read gives now, for current, pinned and Fetch refs; a write moves it', async () => {
    const { client } = await connect({ path: 'secret' });
    const w = async (body: unknown, path = 'secret/data/polled'): Promise<void> => {
      assert.ok((await bao.api('POST', path, body)).status < 300);
    };
    await w({ data: { v: CANARY } });
    await w({ custom_metadata: { owner: 'm-1' } }, 'secret/metadata/polled');
    const refs: RawRef[] = [{ key: 'polled' }, { key: 'polled', version: '1' }, { key: 'polled', metadataPolicy: 'Fetch' }];
    const readVersions = async (): Promise<(string | undefined)[]> => Promise.all(refs.map(async (r) => (await client.read(r, signal)).version));
    const first = await poll(client, refs);
    assert.deepEqual(first, await readVersions());
    assert.equal(first[0], await vaultVersion('polled'));
    assert.match(first[0] ?? '', /^1@/);
    await w({ data: { v: 'second' } });
    const second = await poll(client, refs);
    assert.deepEqual(second, await readVersions());
    assert.match(second[0] ?? '', /^2@/);
    assert.equal(second[1], first[1], 'a pinned version does not move');
    assert.notEqual(second[2], first[2], 'a data write moves updated_time, the Fetch marker');
    // custom_metadata alone: only the Fetch marker moves.
    await w({ custom_metadata: { owner: 'm-2' } }, 'secret/metadata/polled');
    const third = await poll(client, refs);
    assert.deepEqual(third, await readVersions());
    assert.equal(third[0], second[0]);
    assert.notEqual(third[2], second[2]);
    // The key forms read() accepts reach the same metadata: with the mount and data/ prefixes, and without a store path.
    const { client: noPath } = await connect({});
    const forms: [StoreClient, RawRef][] = [
      [client, { key: 'secret/data/polled' }],
      [noPath, { key: 'secret/polled' }],
      [noPath, { key: 'secret/data/polled' }],
      [noPath, { key: 'secret/data/polled', metadataPolicy: 'Fetch' }],
    ];
    for (const [c, ref] of forms) assert.deepEqual(await poll(c, [ref]), [(await c.read(ref, signal)).version], JSON.stringify(ref));
  });

  void it('poll: N refs cost N metadata GETs and no data read, and the answer holds no value', async () => {
    const { client, log } = await connect({ path: 'secret' });
    const refs: RawRef[] = [{ key: 'db' }, { key: 'rotating' }, { key: 'rotating', version: '1' }, { key: 'db', metadataPolicy: 'Fetch' }];
    const markers = await poll(client, refs);
    assert.equal(log.count('ReadSecretMetadata', 'success'), refs.length);
    assert.equal(log.count('ReadSecretData'), 0);
    assert.equal(log.calls.length, refs.length);
    // Version numbers and a timestamp, nothing else: not the data (CANARY) nor custom_metadata (team-a).
    assert.equal(markers.length, refs.length);
    assert.deepEqual(markers.slice(0, 3).map((m) => m?.split('@')[0]), ['1', '2', '1']);
    for (const m of markers.slice(0, 3)) assert.match(m ?? '', /^\d+@\d{4}-\d\d-\d\dT[\d:.]+Z$/, 'a version number and its creation time');
    assert.match(markers[3] ?? '', /^\d{4}-\d\d-\d\dT[\d:.]+Z$/);
    assert.ok(!JSON.stringify(markers).includes(CANARY) && !JSON.stringify(markers).includes('team-a'));
  });

  void it('poll: undefined (the read decides) for missing keys and versions, deleted or destroyed versions; a future deletion_time still counts', async () => {
    const { client } = await connect({ path: 'secret' });
    const w = async (path: string, body: unknown): Promise<void> => {
      assert.ok((await bao.api('POST', path, body)).status < 300, path);
    };
    await w('secret/data/churn', { data: { v: '1' } });
    await w('secret/data/churn', { data: { v: '2' } });
    await w('secret/data/churn', { data: { v: '3' } });
    await w('secret/delete/churn', { versions: [3] }); // the current version, soft-deleted
    await w('secret/destroy/churn', { versions: [1] });
    await w('secret/metadata/only-meta', { custom_metadata: { a: 'b' } }); // metadata but no version at all
    const cannotTell: RawRef[] = [
      { key: 'churn' },
      { key: 'churn', version: '3' },
      { key: 'churn', version: '1' },
      { key: 'churn', version: '9' },
      { key: 'churn', version: '01' },
      { key: 'no-such-key' },
      { key: 'no-such-key', metadataPolicy: 'Fetch' },
      { key: 'only-meta' },
    ];
    assert.deepEqual(await poll(client, cannotTell), cannotTell.map(() => undefined));
    // Where the marker said "cannot tell", the read fails, except for "01" (Vault reads it as 1, destroyed here too).
    for (const ref of cannotTell) await assert.rejects(client.read(ref, signal), { code: 'NotFound' }, JSON.stringify(ref));
    // The version still readable is judged.
    assert.deepEqual(await poll(client, [{ key: 'churn', version: '2' }]), [await vaultVersion('churn', '2')]);
    // delete_version_after sets a deletion_time an hour ahead: the version reads until then, and so is judged.
    await w('secret/metadata/expiring', { delete_version_after: '1h' });
    await w('secret/data/expiring', { data: { v: 'x' } });
    const meta = await bao.api('GET', 'secret/metadata/expiring');
    assert.notEqual(meta.body.data.versions['1'].deletion_time, '');
    assert.deepEqual(await poll(client, [{ key: 'expiring' }]), [(await client.read({ key: 'expiring' }, signal)).version]);
  });

  void it('poll: a store failure throws, and a policy without metadata read is AccessDenied (not a guess)', async () => {
    const { client: narrow } = await connect({ path: 'secret' }, 'narrow');
    assert.match((await narrow.read({ key: 'team/db-token' }, signal)).version ?? '', /^1@/); // data/ is allowed...
    await assert.rejects(poll(narrow, [{ key: 'team/db-token' }]), { code: 'AccessDenied' }); // ...metadata/ is not
    const { ctx } = testStoreContext({ spec: { server: 'http://127.0.0.1:1', path: 'secret', auth: { tokenSecretRef: { name: 'vault-root', key: 'token' } } }, kube });
    const down = await vaultProvider.connect(ctx);
    clients.push(down);
    await assert.rejects(poll(down, [{ key: 'db' }]), { code: 'Unavailable' });
  });

  void it('poll: a KV v1 client has no change feed (v1 keeps no versions: only a read can tell)', async () => {
    const { client } = await connect({ path: 'kv1', version: 'v1' });
    assert.equal(client.changes, undefined);
  });
});
