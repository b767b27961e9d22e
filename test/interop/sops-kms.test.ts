/**
 * Network key sources against real servers, both directions with the real
 * `sops`: Vault transit on an OpenBao dev server, and AWS KMS on moto. Each
 * server runs on a free loopback port for this file only and is stopped after.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { kmsCall } from '../../src/sops/keys/awskms.ts';
import { baoBinary, baoSkip, freePort, hush, motoServer, motoSkip, sops, sopsTools, startProcess, stop, tempDir, waitFor } from './sops-helpers.ts';

const tools = sopsTools();
const bin = 'bin' in tools ? tools.bin : '';
const bao = baoBinary();
const moto = motoServer();
const plain = 'data:\n    password: canary-s3cret\n    port: 5432\n';

void describe('sops interop: Vault transit (OpenBao)', { skip: 'skip' in tools ? tools.skip : baoSkip() }, () => {
  let server: ChildProcess;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  let uri: string;

  before(async () => {
    dir = tempDir();
    const port = await freePort();
    const addr = `http://127.0.0.1:${port}`;
    server = startProcess(bao!, ['server', '-dev', '-dev-root-token-id=root', `-dev-listen-address=127.0.0.1:${port}`], { PATH: process.env.PATH, HOME: dir });
    await waitFor(`${addr}/v1/sys/health`);
    const h = { 'X-Vault-Token': 'root' };
    assert.ok((await fetch(`${addr}/v1/sys/mounts/transit`, { method: 'POST', headers: h, body: JSON.stringify({ type: 'transit' }) })).ok);
    assert.ok((await fetch(`${addr}/v1/transit/keys/hush`, { method: 'POST', headers: h, body: '{}' })).ok);
    uri = `${addr}/v1/transit/keys/hush`;
    env = { PATH: process.env.PATH, HOME: dir, VAULT_ADDR: addr, VAULT_TOKEN: 'root' };
    writeFileSync(join(dir, 's.yaml'), plain);
  });
  after(async () => {
    if (server) await stop(server);
  });

  void test('Hush-encrypted files decrypt with sops, and sops-encrypted files with Hush', async () => {
    const r = await hush(['encrypt', '--hc-vault-transit', uri, 's.yaml'], dir, env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.toString(), /hc_vault:\n {8}- created_at: "[^"]+"\n {10}enc: vault:v1:/);
    writeFileSync(join(dir, 'h.yaml'), r.stdout);
    assert.equal(sops(bin, ['decrypt', 'h.yaml'], dir, env).toString(), plain);
    writeFileSync(join(dir, 'x.yaml'), sops(bin, ['encrypt', '--hc-vault-transit', uri, 's.yaml'], dir, env));
    const back = await hush(['decrypt', 'x.yaml'], dir, env);
    assert.equal(back.code, 0, back.stderr);
    assert.equal(back.stdout.toString(), plain);
  });

  void test('a wrong token fails with exit 128 and names the Vault key', async () => {
    writeFileSync(join(dir, 'w.yaml'), (await hush(['encrypt', '--hc-vault-transit', uri, 's.yaml'], dir, env)).stdout);
    const r = await hush(['decrypt', 'w.yaml'], dir, { ...env, VAULT_TOKEN: 'wrong' });
    assert.equal(r.code, 128);
    assert.match(r.stderr, /w\.yaml: .*Vault transit key .*\/v1\/transit\/keys\/hush/);
  });
});

void describe('sops interop: AWS KMS (moto)', { skip: 'skip' in tools ? tools.skip : motoSkip() }, () => {
  let server: ChildProcess;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  let arn: string;

  before(async () => {
    dir = tempDir();
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    server = startProcess(moto!, ['-H', '127.0.0.1', '-p', String(port)], { PATH: process.env.PATH, HOME: dir });
    await waitFor(`${endpoint}/moto-api/`, 30_000);
    env = {
      PATH: process.env.PATH,
      HOME: dir,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_KMS: endpoint,
      AWS_ENDPOINT_URL: endpoint,
    };
    const created = await kmsCall('CreateKey', 'us-east-1', { Description: 'hush test' }, { env, home: dir });
    arn = (created.KeyMetadata as { Arn: string }).Arn;
    writeFileSync(join(dir, 's.yaml'), plain);
  });
  after(async () => {
    if (server) await stop(server);
  });

  void test('Hush-encrypted files decrypt with sops, and sops-encrypted files with Hush', async () => {
    const r = await hush(['encrypt', '--kms', arn, 's.yaml'], dir, env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.toString(), /kms:\n {8}- arn: arn:aws:kms:us-east-1:/);
    writeFileSync(join(dir, 'h.yaml'), r.stdout);
    assert.equal(sops(bin, ['decrypt', 'h.yaml'], dir, env).toString(), plain);
    writeFileSync(join(dir, 'x.yaml'), sops(bin, ['encrypt', '--kms', arn, 's.yaml'], dir, env));
    const back = await hush(['decrypt', 'x.yaml'], dir, env);
    assert.equal(back.code, 0, back.stderr);
    assert.equal(back.stdout.toString(), plain);
  });
});
