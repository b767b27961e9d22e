/**
 * Network key sources against real servers, both directions with the real
 * `sops`: Vault transit on an OpenBao dev server, and AWS KMS on moto. Each
 * server runs on a free loopback port for this file only and is stopped after.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createKmsKey } from '../../src/sops/keys/awskms.ts';
import { baoBinary, baoSkip, freePort, hush, motoServer, motoSkip, sops, sopsTools, startProcess, stop, tempDir, waitFor } from '../support/sops.ts';

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
  let motoUrl: string;

  /** The requests moto saw while `run` ran: per request, its target or body and its Authorization header. */
  async function recorded(run: () => Promise<void>): Promise<string> {
    assert.ok((await fetch(`${motoUrl}/moto-api/recorder/reset-recording`, { method: 'POST' })).ok);
    assert.ok((await fetch(`${motoUrl}/moto-api/recorder/start-recording`, { method: 'POST' })).ok);
    await run();
    assert.ok((await fetch(`${motoUrl}/moto-api/recorder/stop-recording`, { method: 'POST' })).ok);
    const lines = (await (await fetch(`${motoUrl}/moto-api/recorder/download-recording`)).text()).split('\n').filter(Boolean);
    return lines
      .map((l) => {
        const r = JSON.parse(l) as { headers: Record<string, string>; body: string; body_encoded: boolean };
        const body = r.body_encoded ? Buffer.from(r.body, 'base64').toString('utf8') : r.body;
        return `${r.headers['X-Amz-Target'] ?? ''} ${decodeURIComponent(body)} ${r.headers.Authorization ?? ''}`;
      })
      .join('\n');
  }

  before(async () => {
    dir = tempDir();
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    // The recorder lets a test see which calls reached moto (moto itself accepts any credentials).
    server = startProcess(moto!, ['-H', '127.0.0.1', '-p', String(port)], { PATH: process.env.PATH, HOME: dir, MOTO_ENABLE_RECORDING: 'True', MOTO_RECORDER_FILEPATH: join(dir, 'moto-recording') });
    await waitFor(`${endpoint}/moto-api/`, 30_000);
    motoUrl = endpoint;
    env = {
      PATH: process.env.PATH,
      HOME: dir,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_KMS: endpoint,
      AWS_ENDPOINT_URL: endpoint,
    };
    arn = await createKmsKey('us-east-1', 'hush test', { env, home: dir });
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

  void test('a key with a role: STS AssumeRole (session "sops@<host>") before KMS, and both tools read the file', async () => {
    const role = 'arn:aws:iam::123456789012:role/sops-test';
    let out: Buffer = Buffer.alloc(0);
    const calls = await recorded(async () => {
      const r = await hush(['encrypt', '--kms', `${arn}+${role}`, 's.yaml'], dir, env);
      assert.equal(r.code, 0, r.stderr);
      out = r.stdout;
    });
    const [assume, encrypt] = calls.split('\n');
    assert.match(assume ?? '', /Action=AssumeRole&.*RoleArn=arn:aws:iam::123456789012:role\/sops-test&RoleSessionName=sops@/);
    assert.match(assume ?? '', /Credential=testing\//);
    // KMS is called with the role's temporary key (moto's start with ASIA), not the base key.
    assert.match(encrypt ?? '', /^TrentService\.Encrypt .*Credential=ASIA/);
    assert.match(out.toString(), new RegExp(`role: ${role}`));
    writeFileSync(join(dir, 'role.yaml'), out);
    assert.equal(sops(bin, ['decrypt', 'role.yaml'], dir, env).toString(), plain);
    writeFileSync(join(dir, 'role-sops.yaml'), sops(bin, ['encrypt', '--kms', `${arn}+${role}`, 's.yaml'], dir, env));
    const back = await hush(['decrypt', 'role-sops.yaml'], dir, env);
    assert.equal(back.code, 0, back.stderr);
    assert.equal(back.stdout.toString(), plain);
  });

  void test('credentials from a named profile of the shared credentials file, with no keys in the environment', async () => {
    mkdirSync(join(dir, '.aws'), { recursive: true });
    writeFileSync(join(dir, '.aws', 'credentials'), '[hush-test]\naws_access_key_id = fromprofile\naws_secret_access_key = fromprofile-secret\n');
    const { AWS_ACCESS_KEY_ID: _id, AWS_SECRET_ACCESS_KEY: _secret, ...rest } = env;
    const profileEnv = { ...rest, AWS_PROFILE: 'hush-test' };
    const calls = await recorded(async () => {
      const r = await hush(['encrypt', '--kms', arn, 's.yaml'], dir, profileEnv);
      assert.equal(r.code, 0, r.stderr);
      writeFileSync(join(dir, 'profile.yaml'), r.stdout);
    });
    // The request was signed with the profile's key.
    assert.match(calls, /^TrentService\.Encrypt .*Credential=fromprofile\//);
    assert.equal(sops(bin, ['decrypt', 'profile.yaml'], dir, profileEnv).toString(), plain);
    const none = await hush(['decrypt', 'profile.yaml'], dir, rest);
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /no AWS credentials/);
  });
});
