/**
 * The listener with a plain TCP client in place of Vault (the OpenBao side is
 * in ../audit.integration.test.ts): limits, bad input, and what the hub hears.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { once } from 'node:events';
import { createLogger } from '../../../util/log.ts';
import { parseListenAddress } from './address.ts';
import { AuditHub } from './hub.ts';
import { AuditListener } from './listener.ts';

const record = (path: string): string =>
  JSON.stringify({ type: 'response', request: { operation: 'update', mount_point: 'secret/', namespace: { id: 'root' }, path }, response: { data: { version: 1 } } }) + '\n';

async function dial(port: number): Promise<Socket> {
  const s = connect(port, '127.0.0.1');
  await once(s, 'connect');
  return s;
}

async function until(ok: () => boolean, what: string): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > 3000) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

void describe('AuditListener', () => {
  const listeners: AuditListener[] = [];
  after(async () => {
    for (const l of listeners) await l.close();
  });
  const start = async (o: { maxLineBytes?: number; maxConnections?: number } = {}): Promise<{ l: AuditListener; keys: string[]; errors: Error[]; logs: string[]; resubscribe: () => void }> => {
    const hub = new AuditHub();
    const logs: string[] = [];
    const l = await AuditListener.start({ address: parseListenAddress('127.0.0.1:0'), hub, logger: createLogger({ level: 'debug', write: (x) => logs.push(x) }), ...o });
    listeners.push(l);
    const keys: string[] = [];
    const errors: Error[] = [];
    // A subscriber told of a gap is dropped; the engine subscribes again, as resubscribe() does.
    const resubscribe = (): void => {
      hub.subscribe({ namespace: '', mount: 'secret', version: 'v2' }, { onChange: (k) => keys.push(...k), onError: (e) => errors.push(e) });
    };
    resubscribe();
    return { l, keys, errors, logs, resubscribe };
  };

  void it('an oversized line is dropped, the hub is told, and the next record on the same connection still counts', async () => {
    const { l, keys, errors, logs, resubscribe } = await start({ maxLineBytes: 1024 });
    const s = await dial(l.port);
    s.write('{"type":"response","secret":"' + 'S'.repeat(100_000) + '"}\n');
    await until(() => errors.length === 1, 'onError for the long line');
    resubscribe();
    s.write(record('secret/data/after'));
    await until(() => keys.includes('after'), 'the record after the long line');
    assert.equal(errors.length, 1);
    assert.equal(l.stats.oversized, 1);
    assert.ok(!logs.join('').includes('SSSS'), 'the long line is not logged');
    s.destroy();
  });

  void it('connections beyond the limit are closed at once; the ones within keep working', async () => {
    const { l, keys } = await start({ maxConnections: 2 });
    const a = await dial(l.port);
    const b = await dial(l.port);
    await until(() => l.stats.connections === 2, 'two accepted');
    const c = await dial(l.port);
    let closed = false;
    c.on('close', () => (closed = true));
    await until(() => closed, 'the third connection to be closed by the listener');
    a.write(record('secret/data/from-a'));
    b.write(record('secret/data/from-b'));
    await until(() => keys.includes('from-a') && keys.includes('from-b'), 'both records');
    a.destroy();
    b.destroy();
  });

  void it('a line that is not JSON and a connection cut mid-record tell the hub; the listener survives both', async () => {
    const { l, errors, keys, resubscribe } = await start();
    const s = await dial(l.port);
    s.write('<xml/>\n');
    await until(() => errors.length === 1, 'onError for the unreadable line');
    resubscribe();
    const cut = await dial(l.port);
    cut.write('{"type":"respo');
    await until(() => l.stats.connections === 2, 'second connection');
    cut.end();
    await until(() => errors.length === 2, 'onError for the cut record');
    resubscribe();
    s.write(record('secret/data/still'));
    await until(() => keys.includes('still'), 'a record after both');
    s.destroy();
  });

  void it('close() tells subscribers, and later subscribers hear at once that the feed is gone', async () => {
    const { l, errors } = await start();
    const hubErrors: Error[] = [];
    await l.close();
    assert.equal(errors.length, 1);
    // Reaching the hub through a fresh subscription on the same (closed) hub.
    const hub = (l as unknown as { o: { hub: AuditHub } }).o.hub;
    hub.subscribe({ namespace: '', mount: 'secret', version: 'v2' }, { onChange: () => {}, onError: (e) => hubErrors.push(e) });
    await until(() => hubErrors.length === 1, 'onError for a subscriber of a closed feed');
  });
});
