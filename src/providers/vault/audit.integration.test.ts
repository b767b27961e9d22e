/**
 * The audit-socket change feed against the dev environment's real OpenBao
 * (test/e2e/global-setup.ts starts it; src/devenv/openbao-config.ts declares
 * its file and socket audit devices). The listener binds the port the
 * socket device dials; every write goes through OpenBao's HTTP API.
 *
 * Negative assertions always follow a positive sentinel: a later write that
 * must arrive, so "nothing came" means "it was dropped", not "not yet".
 */
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { loadEnv, type DevEnv } from '../../devenv/index.ts';
import { auditFilePath } from '../../devenv/openbao-config.ts';
import { layout } from '../../devenv/state.ts';
import { createLogger } from '../../util/log.ts';
import { requireTool } from '../../testing/tools.ts';
import type { StoreClient } from '../types.ts';
import { MemoryKube, testStoreContext } from '../util/testing/memoryKube.ts';
import { parseListenAddress } from './audit/address.ts';
import { AuditHub } from './audit/hub.ts';
import { AuditListener } from './audit/listener.ts';
import { providerForWithAuditFeed } from '../registry.ts';
import { createVaultProvider } from './provider.ts';

const stateDir = process.env.HUSH_TEST_STATE_DIR;
const skip = requireTool('the dev environment (HUSH_TEST_STATE_DIR)', 'run with --test-global-setup=test/e2e/global-setup.ts', stateDir !== undefined);
const signal = new AbortController().signal;
/** Small enough that a real record of a secret with 100 long field names exceeds it. */
const MAX_LINE = 32 * 1024;
const run = `r${Date.now().toString(36)}`;

/** What one subscription heard. */
class Heard {
  keys: string[] = [];
  errors: Error[] = [];
  private waiters: (() => void)[] = [];
  readonly handlers = {
    onChange: (keys: string[]): void => {
      this.keys.push(...keys);
      this.wake();
    },
    onError: (err: Error): void => {
      this.errors.push(err);
      this.wake();
    },
  };
  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
  /** Resolves once `ok()` holds; fails after timeoutMs. Returns the time it took. */
  async until(ok: () => boolean, what: string, timeoutMs = 5000): Promise<number> {
    const t0 = Date.now();
    while (!ok()) {
      const left = timeoutMs - (Date.now() - t0);
      if (left <= 0) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}; heard keys ${JSON.stringify(this.keys)}, errors ${this.errors.length}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return Date.now() - t0;
  }
}

void describe('vault audit-socket change feed against OpenBao', { skip }, () => {
  let env: DevEnv;
  let hub: AuditHub;
  let listener: AuditListener | undefined;
  const kube = new MemoryKube();
  const clients: StoreClient[] = [];
  const logLines: string[] = [];

  const bao = async (method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; ms: number }> => {
    const t0 = Date.now();
    const r = await fetch(`${env.vaultAddr}/v1/${path}`, {
      method,
      headers: { 'x-vault-token': token ?? env.vaultToken, ...(method === 'PATCH' ? { 'content-type': 'application/merge-patch+json' } : {}) },
      body: body === undefined ? null : JSON.stringify(body),
    });
    await r.arrayBuffer();
    return { status: r.status, ms: Date.now() - t0 };
  };
  const ok = async (method: string, path: string, body?: unknown): Promise<void> => {
    const r = await bao(method, path, body);
    assert.ok(r.status >= 200 && r.status < 300, `${method} ${path}: HTTP ${r.status}`);
  };
  const startListener = async (): Promise<void> => {
    listener = await AuditListener.start({
      address: parseListenAddress(env.vaultAuditAddr!),
      hub,
      maxLineBytes: MAX_LINE,
      logger: createLogger({ level: 'debug', write: (l) => logLines.push(l) }),
    });
  };
  const subscribe = async (spec: Record<string, unknown>): Promise<{ client: StoreClient; heard: Heard; stop: () => void }> => {
    const { ctx } = testStoreContext({ spec: { server: env.vaultAddr, auth: { tokenSecretRef: { name: 'vault-root', key: 'token' } }, ...spec }, kube });
    // The way the controller builds it (--vault-audit-listen-addr).
    const provider = providerForWithAuditFeed(hub)('vault');
    assert.ok(provider);
    const client = await provider.connect(ctx);
    clients.push(client);
    const heard = new Heard();
    const feed = client.changes;
    assert.ok(feed?.subscribe !== undefined, 'a client with a hub offers subscribe');
    const stop = feed.subscribe(heard.handlers);
    return { client, heard, stop };
  };

  before(async () => {
    env = await loadEnv(stateDir ?? '');
    assert.ok(env.vaultAuditAddr, 'the dev env has an audit socket port');
    kube.setSecret('default', 'vault-root', { token: env.vaultToken });
    hub = new AuditHub();
    await startListener();
    for (const [mount, version] of [[`${run}-other`, '2'], [`${run}-kv1`, '1']] as const) {
      await ok('POST', `sys/mounts/${mount}`, { type: 'kv', options: { version } });
    }
    await ok('POST', 'sys/policies/acl/audit-read-only', { policy: 'path "secret/data/*" { capabilities = ["read"] }' });
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await listener?.close();
    await bao('DELETE', `sys/mounts/${run}-other`);
    await bao('DELETE', `sys/mounts/${run}-kv1`);
    await fetch(`${env.vaultAddr}/v1/sys/mounts/secret`, { method: 'DELETE', headers: { 'x-vault-token': env.vaultToken, 'x-vault-namespace': `${run}-ns` } });
    await bao('DELETE', `sys/namespaces/${run}-ns`);
  });

  void it('a KV v2 write reaches a subscriber of its mount within seconds (tens of ms here), as the key relative to the mount', async () => {
    const { client, heard } = await subscribe({ path: 'secret', version: 'v2' });
    const key = `${run}/one`;
    await ok('POST', `secret/data/${key}`, { data: { a: 'b' } });
    const ms = await heard.until(() => heard.keys.includes(key), `onChange(${key})`);
    // Tens of milliseconds measured; the bound leaves room for a loaded machine, far below any refreshInterval.
    assert.ok(ms < 5000, `heard after ${ms} ms`);
    // The key is what a read takes, and the read sees the write that was announced.
    assert.match((await client.read({ key }, signal)).version ?? '', /^1@/);
    // Other spellings ESO accepts for the same secret are announced too.
    assert.ok(heard.keys.includes(`secret/${key}`) && heard.keys.includes(`secret/data/${key}`));
  });

  void it('patch, metadata, delete, undelete and destroy are changes too', async () => {
    const { heard } = await subscribe({ path: 'secret', version: 'v2' });
    const steps: [string, string, string, unknown][] = [
      ['p', 'PATCH', 'data', { data: { c: 'd' } }],
      ['m', 'POST', 'metadata', { custom_metadata: { owner: 'x' } }],
      ['d', 'DELETE', 'data', undefined],
      ['u', 'POST', 'undelete', { versions: [1] }],
      ['x', 'POST', 'destroy', { versions: [1] }],
      ['dm', 'DELETE', 'metadata', undefined],
    ];
    for (const [name, method, segment, body] of steps) {
      const key = `${run}/ops-${name}`;
      await ok('POST', `secret/data/${key}`, { data: { a: 'b' } });
      await heard.until(() => heard.keys.includes(key), `the create of ${key}`);
      heard.keys = [];
      await ok(method, `secret/${segment}/${key}`, body);
      await heard.until(() => heard.keys.includes(key), `${method} secret/${segment}/${key}`);
    }
  });

  void it('a client of a provider without the feed offers no subscribe (it is polled)', async () => {
    const { ctx } = testStoreContext({ spec: { server: env.vaultAddr, path: 'secret', version: 'v2', auth: { tokenSecretRef: { name: 'vault-root', key: 'token' } } }, kube });
    const client = await createVaultProvider().connect(ctx);
    clients.push(client);
    assert.equal(client.changes === undefined || !('subscribe' in client.changes), true);
  });

  void it('a KV v1 write reaches a v1 subscriber', async () => {
    const { heard } = await subscribe({ path: `${run}-kv1`, version: 'v1' });
    await ok('POST', `${run}-kv1/app/one`, { k: 'v' });
    await heard.until(() => heard.keys.includes('app/one'), 'onChange(app/one)');
  });

  void it('a denied write is no change (sentinel: a permitted write after it arrives)', async () => {
    const { heard } = await subscribe({ path: 'secret', version: 'v2' });
    const t = await fetch(`${env.vaultAddr}/v1/auth/token/create`, {
      method: 'POST',
      headers: { 'x-vault-token': env.vaultToken },
      body: JSON.stringify({ policies: ['audit-read-only'], ttl: '10m' }),
    });
    const readOnly = ((await t.json()) as { auth: { client_token: string } }).auth.client_token;
    const denied = await bao('POST', `secret/data/${run}/denied`, { data: { a: 'b' } }, readOnly);
    assert.equal(denied.status, 403);
    // Refused by the backend after the ACL check (check-and-set mismatch): not a change either.
    await ok('POST', `secret/data/${run}/cas`, { data: { a: 'b' } });
    await heard.until(() => heard.keys.includes(`${run}/cas`), 'the create of cas');
    heard.keys = [];
    assert.equal((await bao('POST', `secret/data/${run}/cas`, { options: { cas: 0 }, data: { a: 'c' } })).status, 400);
    await ok('POST', `secret/data/${run}/sentinel-denied`, { data: { a: 'b' } });
    await heard.until(() => heard.keys.includes(`${run}/sentinel-denied`), 'the sentinel');
    assert.deepEqual(heard.keys.filter((k) => k.includes('denied') && !k.includes('sentinel')), []);
    assert.deepEqual(heard.keys.filter((k) => k.includes('cas')), []);
  });

  void it('a write to another mount does not reach this mount\'s subscriber (sentinel: one to this mount does)', async () => {
    const mine = await subscribe({ path: 'secret', version: 'v2' });
    const theirs = await subscribe({ path: `${run}-other`, version: 'v2' });
    await ok('POST', `${run}-other/data/${run}/elsewhere`, { data: { a: 'b' } });
    await theirs.heard.until(() => theirs.heard.keys.includes(`${run}/elsewhere`), 'the other mount\'s subscriber');
    await ok('POST', `secret/data/${run}/sentinel-mount`, { data: { a: 'b' } });
    await mine.heard.until(() => mine.heard.keys.includes(`${run}/sentinel-mount`), 'the sentinel');
    assert.deepEqual(mine.heard.keys.filter((k) => k.includes('elsewhere')), []);
    assert.deepEqual(theirs.heard.keys.filter((k) => k.includes('sentinel')), []);
  });

  void it('a store with a Vault namespace hears that namespace only (sentinels both ways)', async () => {
    const ns = `${run}-ns`;
    assert.equal((await bao('POST', `sys/namespaces/${ns}`)).status, 200);
    const inNs = { 'x-vault-token': env.vaultToken, 'x-vault-namespace': ns };
    const nsCall = async (path: string, body: unknown): Promise<void> => {
      const r = await fetch(`${env.vaultAddr}/v1/${path}`, { method: 'POST', headers: inNs, body: JSON.stringify(body) });
      assert.ok(r.status < 300, `${path} in ${ns}: HTTP ${r.status}`);
    };
    await nsCall('sys/mounts/secret', { type: 'kv', options: { version: '2' } });
    const scoped = await subscribe({ path: 'secret', version: 'v2', namespace: ns });
    const root = await subscribe({ path: 'secret', version: 'v2' });
    await nsCall(`secret/data/${run}/in-ns`, { data: { a: 'b' } });
    await scoped.heard.until(() => scoped.heard.keys.includes(`${run}/in-ns`), 'the namespaced write');
    // The namespace in the path rather than the header is the same write.
    await ok('POST', `${ns}/secret/data/${run}/in-ns-by-path`, { data: { a: 'b' } });
    await scoped.heard.until(() => scoped.heard.keys.includes(`${run}/in-ns-by-path`), 'the write with the namespace in its path');
    await ok('POST', `secret/data/${run}/in-root`, { data: { a: 'b' } });
    await root.heard.until(() => root.heard.keys.includes(`${run}/in-root`), 'the root write');
    await nsCall(`secret/data/${run}/ns-sentinel`, { data: { a: 'b' } });
    await scoped.heard.until(() => scoped.heard.keys.includes(`${run}/ns-sentinel`), 'the namespaced sentinel');
    assert.deepEqual(scoped.heard.keys.filter((k) => k.includes('in-root')), []);
    assert.deepEqual(root.heard.keys.filter((k) => k.includes('in-ns')), []);
  });

  void it('stop() stops: a later write reaches a second subscription but not the stopped one', async () => {
    const stopped = await subscribe({ path: 'secret', version: 'v2' });
    const live = await subscribe({ path: 'secret', version: 'v2' });
    stopped.stop();
    await ok('POST', `secret/data/${run}/after-stop`, { data: { a: 'b' } });
    await live.heard.until(() => live.heard.keys.includes(`${run}/after-stop`), 'the live subscription');
    assert.deepEqual(stopped.heard.keys, []);
  });

  void it('a record longer than the limit is dropped, subscribers are told, and the listener keeps serving', async () => {
    const { heard } = await subscribe({ path: 'secret', version: 'v2' });
    // Values are HMAC'd to a fixed length, names are not: 100 names of 400 characters make a
    // record beyond MAX_LINE (OpenBao refuses JSON bodies with too many strings, so few fields).
    const big = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`field-${i}-`.padEnd(400, 'n'), 'v']));
    await ok('POST', `secret/data/${run}/big`, { data: big });
    await heard.until(() => heard.errors.length > 0, 'onError for the dropped record');
    assert.match(heard.errors[0]!.message, /longer than 32768/);
    assert.ok(listener!.stats.oversized >= 1);
    // A subscriber told of a gap is dropped (the engine subscribes again); a new one is served.
    const again = await subscribe({ path: 'secret', version: 'v2' });
    await ok('POST', `secret/data/${run}/after-big`, { data: { a: 'b' } });
    await again.heard.until(() => again.heard.keys.includes(`${run}/after-big`), 'a write after the dropped record');
    assert.deepEqual(heard.keys.filter((k) => k.includes('after-big')), []);
  });

  void it('with the listener down OpenBao still answers at once; it reconnects when the listener is back', async () => {
    const before = await subscribe({ path: 'secret', version: 'v2' });
    await listener!.close();
    listener = undefined;
    await before.heard.until(() => before.heard.errors.length > 0, 'onError when the listener stops');
    const auditLog = auditFilePath(layout(env.stateDir));
    const size0 = statSync(auditLog).size;
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await bao('POST', `secret/data/${run}/while-down`, { data: { i: String(i) } });
      assert.equal(r.status, 200);
      times.push(r.ms);
    }
    assert.ok(Math.max(...times) < 1000, `write latencies with the listener down: ${times.join(', ')} ms`);
    // The file device kept auditing.
    assert.ok(statSync(auditLog).size > size0);
    hub = new AuditHub();
    await startListener();
    const after = await subscribe({ path: 'secret', version: 'v2' });
    await ok('POST', `secret/data/${run}/back`, { data: { a: 'b' } });
    await after.heard.until(() => after.heard.keys.includes(`${run}/back`), 'a write after the listener came back');
  });

  void it('logs name paths and operations, never values or tokens', () => {
    const all = logLines.join('');
    assert.ok(all.includes(`secret/data/${run}/one`), 'the debug log names the path');
    assert.ok(!all.includes('hmac-sha256'), 'no HMAC in the log');
    assert.ok(!all.includes(env.vaultToken));
  });
});
