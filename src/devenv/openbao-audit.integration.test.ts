/**
 * The dev OpenBao's declared audit devices, with the real server: it starts and
 * answers while nothing listens on the audit socket (skip_test), lists both
 * devices, and connects to the socket once something listens. An environment
 * of its own (OpenBao only), so the shared test environment is left alone.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { baoBinary, baoSkipReason, startOpenBao } from '../providers/vault/testing/openbao.ts';
import { freePort } from './ports.ts';
import { down, up } from './cluster.ts';
import type { DevEnv } from './dev-env.ts';
import { baoCall } from './openbao.ts';

const dir = mkdtempSync(join(tmpdir(), 'hush-bao-audit-'));
let server: Server | undefined;
after(async () => {
  server?.close();
  await down({ stateDir: dir });
  rmSync(dir, { recursive: true, force: true });
});

test('the dev OpenBao starts with its socket audit device unanswered, and feeds it once it is', { skip: baoSkipReason() }, async () => {
  process.env.HUSH_BAO_BIN ??= baoBinary();
  const env: DevEnv = await up({ stateDir: dir, components: ['openbao'], configureOpenBao: false });
  assert.ok(env.vaultAuditAddr);
  const audit = (await baoCall(env, 'GET', 'sys/audit')).json as { data: Record<string, { type: string; options: Record<string, string> }> };
  assert.equal(audit.data['file/']?.type, 'file');
  assert.equal(audit.data['hush/']?.type, 'socket');
  assert.equal(audit.data['hush/']?.options.address, env.vaultAuditAddr);
  // Nothing listens yet: writes are answered at once.
  const t0 = Date.now();
  assert.equal((await baoCall(env, 'POST', 'secret/data/probe', { data: { a: 'b' } })).status, 200);
  assert.ok(Date.now() - t0 < 1000);
  // Once something listens, the next request's record arrives there.
  const [host, port] = [env.vaultAuditAddr.slice(0, env.vaultAuditAddr.lastIndexOf(':')), Number(env.vaultAuditAddr.slice(env.vaultAuditAddr.lastIndexOf(':') + 1))];
  let received = '';
  server = createServer((s) => s.on('data', (d: Buffer) => (received += d.toString('utf8'))));
  await new Promise<void>((resolve) => server!.listen(port, host, resolve));
  assert.equal((await baoCall(env, 'POST', 'secret/data/probe', { data: { a: 'c' } })).status, 200);
  const deadline = Date.now() + 5000;
  while (!received.includes('"path":"secret/data/probe"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.ok(received.includes('"type":"response"') && received.includes('"path":"secret/data/probe"'), 'a response record reached the socket');
});

/**
 * Why the dev server (and docs/vault-audit-socket.md) keep a file device: with the socket as the
 * only device, OpenBao stops answering once nothing listens. Started while a listener is up (a
 * -dev server cannot even create its root token otherwise), then the listener goes away.
 */
test('a socket as the ONLY audit device: OpenBao fails every request while nothing listens', { skip: baoSkipReason() }, async () => {
  const port = await freePort();
  const sockets = new Set<Socket>();
  const listener = createServer((s) => {
    sockets.add(s);
    s.resume();
  });
  await new Promise<void>((resolve) => listener.listen(port, '127.0.0.1', resolve));
  const bao = await startOpenBao({
    hcl: `audit "socket" "only" {\n  options {\n    address = "127.0.0.1:${port}"\n    socket_type = "tcp"\n    write_timeout = "1s"\n  }\n}\n`,
  });
  try {
    assert.equal((await bao.api('POST', 'secret/data/x', { data: { a: 'b' } })).status, 200);
    await new Promise<void>((resolve) => {
      listener.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await bao.api('POST', 'secret/data/x', { data: { a: String(i) } })).status);
    // The first write may still reach the dead connection's buffer; the ones after it cannot.
    assert.equal(statuses.at(-1), 500, `statuses ${statuses.join(',')}`);
    assert.equal((await bao.api('GET', 'secret/data/x')).status, 500, 'reads fail too');
  } finally {
    await bao.stop();
  }
});
