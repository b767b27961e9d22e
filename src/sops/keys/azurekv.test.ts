/**
 * Azure Key Vault key source against the FAKE Azure server of the azurekv
 * provider (src/providers/azurekv/testing/fakeAzure.ts: Key Vault over HTTPS
 * with Entra ID client-credential tokens, real RSA-OAEP-256 key operations).
 * It is a fake because Lowkey Vault, the emulator issue 5 names, is not
 * served by the Maven Central mirror this machine reaches (its app jar 404s;
 * only the client libraries are there), and Entra ID exists only in Azure.
 */
import assert from 'node:assert/strict';
import { constants, privateDecrypt } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { EXIT, runSops } from '../../cli/sops.ts';
import { FakeAzure } from '../../providers/azurekv/testing/fakeAzure.ts';
import { HushError } from '../../util/errors.ts';
import { clearAzureCaches, parseAzureKeyUrl, unwrapAzureKv, wrapAzureKv } from './azurekv.ts';
import type { KeyContext } from './types.ts';

const TENANT = 'hush-tenant';
const APP = 'sops-app';
const SECRET = 'app-client-secret-value';
const dataKey = Buffer.alloc(32, 9);

let az: FakeAzure;
let dir: string;
let caFile: string;
let vault: string;
let version: string;

before(async () => {
  // A vault outside Azure's domains: the token's resource comes from its challenge (its own origin).
  az = await FakeAzure.start({ resource: 'self' });
  az.addApp({ tenantId: TENANT, clientId: APP, secret: SECRET });
  az.addApp({ tenantId: TENANT, clientId: 'denied-app', secret: SECRET });
  az.deny('denied-app');
  version = az.createRsaKey('sops');
  az.createRsaKey('other');
  dir = mkdtempSync(join(tmpdir(), 'hush-azkv-'));
  caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, az.caPem);
  vault = az.vaultUrl.replace(/\/$/, '');
});
after(async () => {
  await az.stop();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => clearAzureCaches());

function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { HOME: dir, SSL_CERT_FILE: caFile, AZURE_AUTHORITY_HOST: az.authorityHost, AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: APP, AZURE_CLIENT_SECRET: SECRET, ...extra };
}
function ctx(extra: NodeJS.ProcessEnv = {}): KeyContext {
  return { env: env(extra), home: dir, timeoutMs: 5000 };
}

async function rejected(p: Promise<unknown>): Promise<HushError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof HushError, String(err));
    return err;
  }
  assert.fail('expected a rejection');
}

void describe('Azure Key Vault key source', () => {
  void test('round trip; a key URL without a version is pinned to the current one; enc is unpadded base64url RSA-OAEP-256', async () => {
    const wrapped = await wrapAzureKv(parseAzureKeyUrl(`${vault}/keys/sops`), dataKey, ctx());
    assert.equal(wrapped.version, version);
    assert.equal(wrapped.vaultUrl, vault);
    assert.match(wrapped.enc, /^[A-Za-z0-9_-]+$/);
    assert.equal(Buffer.from(wrapped.enc, 'base64url').length, 256); // one RSA-2048 block
    assert.deepEqual(await unwrapAzureKv(wrapped, ctx()), dataKey);
    // It is plain RSA-OAEP with SHA-256 over the raw data key (what sops' azkv stores), checked off the wire.
    const priv = (az as unknown as { privateKeys: Map<string, Parameters<typeof privateDecrypt>[0]> }).privateKeys.get(`sops/${version}`)!;
    const raw = privateDecrypt({ key: priv as never, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, Buffer.from(wrapped.enc, 'base64url'));
    assert.deepEqual(raw, dataKey);
  });

  void test('the wrong key, an unknown key, a denied app: clear errors naming vault and key', async () => {
    const wrapped = await wrapAzureKv(parseAzureKeyUrl(`${vault}/keys/sops/${version}`), dataKey, ctx());
    const otherVersion = (await wrapAzureKv(parseAzureKeyUrl(`${vault}/keys/other`), dataKey, ctx())).version;
    const wrong = await rejected(unwrapAzureKv({ ...wrapped, name: 'other', version: otherVersion }, ctx()));
    assert.equal(wrong.code, 'InvalidData');
    assert.match(wrong.message, new RegExp(`Azure Key Vault decrypt with key ${vault.replace(/[.]/g, '\\.')}/keys/other/${otherVersion} failed \\(HTTP 400`));
    const missing = await rejected(wrapAzureKv(parseAzureKeyUrl(`${vault}/keys/nope`), dataKey, ctx()));
    assert.equal(missing.code, 'NotFound');
    assert.match(missing.message, /keys\/nope/);
    const denied = await rejected(unwrapAzureKv(wrapped, ctx({ AZURE_CLIENT_ID: 'denied-app' })));
    assert.equal(denied.code, 'AccessDenied');
    assert.match(denied.message, /client secret of app denied-app/);
    for (const e of [wrong, missing, denied]) assert.ok(!e.message.includes(dataKey.toString('base64url')) && !e.message.includes(SECRET));
  });

  void test('auth failures: a wrong client secret, no credentials, an untrusted CA', async () => {
    const wrapped = await wrapAzureKv(parseAzureKeyUrl(`${vault}/keys/sops/${version}`), dataKey, ctx());
    clearAzureCaches();
    const badSecret = await rejected(unwrapAzureKv(wrapped, ctx({ AZURE_CLIENT_SECRET: 'wrong-secret-value' })));
    assert.equal(badSecret.code, 'AuthFailed');
    assert.match(badSecret.message, /Entra ID token request \(client secret of app sops-app, tenant hush-tenant\) was refused \(HTTP 401: invalid_client: AADSTS7000215/);
    assert.ok(!badSecret.message.includes('wrong-secret-value'));
    const none = await rejected(unwrapAzureKv(wrapped, ctx({ AZURE_CLIENT_SECRET: '' })));
    assert.equal(none.code, 'AuthFailed');
    assert.match(none.message, /no Azure credentials: set AZURE_TENANT_ID and AZURE_CLIENT_ID/);
    const tls = await rejected(unwrapAzureKv(wrapped, ctx({ SSL_CERT_FILE: '' })));
    assert.equal(tls.code, 'Unavailable');
    assert.match(tls.message, /SSL_CERT_FILE/);
  });

  void test('a revoked token is replaced once; a vault whose challenge names another domain gets no token', async () => {
    const c = ctx();
    const wrapped = await wrapAzureKv(parseAzureKeyUrl(`${vault}/keys/sops/${version}`), dataKey, c);
    const before = az.counts.tokens;
    az.revokeTokens();
    assert.deepEqual(await unwrapAzureKv(wrapped, c), dataKey);
    assert.equal(az.counts.tokens - before, 1);

    const azure = await FakeAzure.start(); // challenges for https://vault.azure.net from 127.0.0.1
    try {
      azure.addApp({ tenantId: TENANT, clientId: APP, secret: SECRET });
      const v = azure.createRsaKey('sops');
      const other = { ...c, env: { ...c.env, SSL_CERT_FILE: join(dir, 'ca2.pem') } };
      writeFileSync(join(dir, 'ca2.pem'), azure.caPem);
      const tokensBefore = azure.counts.tokens;
      const err = await rejected(wrapAzureKv(parseAzureKeyUrl(`${azure.vaultUrl}keys/sops/${v}`), dataKey, other));
      assert.equal(err.code, 'AuthFailed');
      assert.match(err.message, /asked for a token for https:\/\/vault\.azure\.net, which is not its own domain/);
      assert.equal(azure.counts.tokens, tokensBefore);
    } finally {
      await azure.stop();
    }
  });
});

void describe('hush sops with azure_kv keys', () => {
  async function run(args: string[], cwd: string, e: NodeJS.ProcessEnv): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await runSops(args, { stdout: (d) => (out += d.toString()), stderr: (d) => (err += d), readStdin: () => Promise.resolve(Buffer.alloc(0)), cwd, env: e });
    return { code, out, err };
  }
  const plain = 'stringData:\n    password: canary-s3cret\n';

  void test('--azure-kv and .sops.yaml key_groups {vaultUrl, key}: files carry azure_kv entries and decrypt; a denied app gets exit 128', async () => {
    writeFileSync(join(dir, 'p.yaml'), plain);
    const enc = await run(['encrypt', '--azure-kv', `${vault}/keys/sops`, 'p.yaml'], dir, env());
    assert.equal(enc.code, 0, enc.err);
    assert.match(enc.out, new RegExp(`azure_kv:\\n {8}- created_at: "[^"]+"\\n {10}enc: [A-Za-z0-9_-]+\\n {10}name: sops\\n {10}vault_url: ${vault.replace(/[.]/g, '\\.')}\\n {10}version: ${version}\\n`));
    writeFileSync(join(dir, 'e.yaml'), enc.out);
    const dec = await run(['decrypt', 'e.yaml'], dir, env());
    assert.equal(dec.code, 0, dec.err);
    assert.equal(dec.out, plain);
    const denied = await run(['decrypt', 'e.yaml'], dir, env({ AZURE_CLIENT_ID: 'denied-app' }));
    assert.equal(denied.code, EXIT.couldNotRetrieveKey);
    assert.match(denied.err, /e\.yaml: .*Azure Key Vault key https:\/\/127\.0\.0\.1:\d+\/keys\/sops\//);
    assert.ok(!denied.err.includes('canary-s3cret'));

    const d = mkdtempSync(join(dir, 'cfg-'));
    writeFileSync(join(d, '.sops.yaml'), `creation_rules:\n  - key_groups:\n      - azure_keyvault:\n          - vaultUrl: ${vault}\n            key: other\n            version: ""\n`);
    writeFileSync(join(d, 's.yaml'), plain);
    const viaConfig = await run(['encrypt', '-i', 's.yaml'], d, { ...env(), HOME: d });
    assert.equal(viaConfig.code, 0, viaConfig.err);
    assert.equal((await run(['decrypt', 's.yaml'], d, { ...env(), HOME: d })).out, plain);
    // updatekeys sees the version-less key in .sops.yaml as the one pinned in the file: nothing to do.
    const upd = await run(['updatekeys', '-y', 's.yaml'], d, { ...env(), HOME: d });
    assert.equal(upd.code, 0, upd.err);
    assert.match(upd.err, /already up to date/);
  });
});
