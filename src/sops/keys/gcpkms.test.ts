/**
 * GCP KMS key source against a FAKE Cloud KMS (testing/fakeCloudKms.ts: no
 * Cloud KMS emulator exists) and the gcpsm provider's fake Google token
 * endpoint, both real HTTP servers on loopback. The CLI is run in-process.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { EXIT, runSops } from '../../cli/sops.ts';
import { makeServiceAccountKey, startFakeGoogleTokens, type FakeGoogleTokens } from '../../providers/gcpsm/testing/tokens.ts';
import { HushError } from '../../util/errors.ts';
import { clearGcpTokenCache, kmsEndpoint, parseGcpKmsResourceId, unwrapGcpKms, wrapGcpKms } from './gcpkms.ts';
import { startFakeCloudKms, type FakeCloudKms } from './testing/fakeCloudKms.ts';
import type { KeyContext } from './types.ts';

const KEY = 'projects/hush/locations/global/keyRings/ring/cryptoKeys/sops';
const OTHER = 'projects/hush/locations/global/keyRings/ring/cryptoKeys/other';
const LOCKED = 'projects/hush/locations/global/keyRings/ring/cryptoKeys/locked';
const SA = 'sops@hush.iam.gserviceaccount.com';
const STATIC_TOKEN = 'ya29.static-test-token';
const dataKey = Buffer.alloc(32, 7);

let tokens: FakeGoogleTokens;
let kms: FakeCloudKms;
let dir: string;
let saFile: string;

before(async () => {
  tokens = await startFakeGoogleTokens();
  kms = await startFakeCloudKms({ authorize: (t) => (t === STATIC_TOKEN ? 'user:static' : tokens.principalOf(t)) });
  kms.addKey(KEY, [SA, 'user:static']);
  kms.addKey(OTHER, [SA]);
  kms.addKey(LOCKED, ['someone-else']);
  dir = mkdtempSync(join(tmpdir(), 'hush-gcpkms-'));
  const sa = await makeServiceAccountKey(SA, tokens.tokenUri);
  tokens.registerKey(SA, sa.publicKeyPem);
  saFile = join(dir, 'sa.json');
  writeFileSync(saFile, sa.json);
});
after(async () => {
  await Promise.all([tokens.stop(), kms.stop()]);
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => clearGcpTokenCache());

function ctx(env: NodeJS.ProcessEnv): KeyContext {
  return { env: { SOPS_GCP_KMS_ENDPOINT: kms.url, ...env }, home: dir, timeoutMs: 5000, gcpMetadataCredentials: true };
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

void describe('GCP KMS key source', () => {
  void test('round trip with a service account key: the stored enc is standard base64 and decrypts to the data key', async () => {
    const c = ctx({ GOOGLE_APPLICATION_CREDENTIALS: saFile });
    const wrapped = await wrapGcpKms(KEY, dataKey, c);
    assert.equal(wrapped.resourceId, KEY);
    assert.match(wrapped.enc, /^[A-Za-z0-9+/]+={0,2}$/);
    assert.ok(!wrapped.enc.includes(dataKey.toString('base64')));
    assert.deepEqual(await unwrapGcpKms(wrapped, c), dataKey);
    // GOOGLE_CREDENTIALS as JSON text (sops' own variable) and a fixed access token work too.
    const viaJson = ctx({ GOOGLE_CREDENTIALS: readFileSync(saFile, 'utf8') });
    assert.deepEqual(await unwrapGcpKms(wrapped, viaJson), dataKey);
    assert.deepEqual(await unwrapGcpKms(wrapped, ctx({ GOOGLE_OAUTH_ACCESS_TOKEN: STATIC_TOKEN })), dataKey);
  });

  void test('a ciphertext made under one key does not decrypt under another; an unknown key is NotFound; both name the key', async () => {
    const c = ctx({ GOOGLE_APPLICATION_CREDENTIALS: saFile });
    const wrapped = await wrapGcpKms(KEY, dataKey, c);
    const wrong = await rejected(unwrapGcpKms({ ...wrapped, resourceId: OTHER }, c));
    assert.equal(wrong.code, 'InvalidData');
    assert.match(wrong.message, /GCP KMS decrypt with key projects\/hush\/locations\/global\/keyRings\/ring\/cryptoKeys\/other failed: INVALID_ARGUMENT/);
    const missing = await rejected(wrapGcpKms(`${KEY}-gone`, dataKey, c));
    assert.equal(missing.code, 'NotFound');
    assert.match(missing.message, /cryptoKeys\/sops-gone/);
    const bad = await rejected(wrapGcpKms('projects/x/cryptoKeys/y', dataKey, c));
    assert.equal(bad.code, 'InvalidConfig');
  });

  void test('permission denied is AccessDenied, naming the key and the service account, never the data key', async () => {
    const err = await rejected(wrapGcpKms(LOCKED, dataKey, ctx({ GOOGLE_APPLICATION_CREDENTIALS: saFile })));
    assert.equal(err.code, 'AccessDenied');
    assert.match(err.message, /cryptoKeys\/locked failed: PERMISSION_DENIED: Permission 'cloudkms\.cryptoKeyVersions\.useToEncrypt' denied/);
    assert.match(err.message, /service account sops@hush\.iam\.gserviceaccount\.com/);
    assert.ok(!err.message.includes(dataKey.toString('base64')));
  });

  void test('a rejected fixed token is AuthFailed; missing credentials say which variables to set', async () => {
    const bad = await rejected(wrapGcpKms(KEY, dataKey, ctx({ GOOGLE_OAUTH_ACCESS_TOKEN: 'ya29.revoked' })));
    assert.equal(bad.code, 'AuthFailed');
    assert.match(bad.message, /UNAUTHENTICATED/);
    assert.ok(!bad.message.includes('ya29.revoked'));
    // No credentials anywhere; the metadata server is pointed at a closed port so the test does not wait.
    const none = await rejected(wrapGcpKms(KEY, dataKey, ctx({ GCE_METADATA_HOST: '127.0.0.1:1' })));
    assert.equal(none.code, 'AuthFailed');
    assert.match(none.message, /no Google credentials: set GOOGLE_OAUTH_ACCESS_TOKEN, GOOGLE_CREDENTIALS or GOOGLE_APPLICATION_CREDENTIALS/);
    // Without permission to use the machine's identity (the in-cluster controller), the metadata server is not asked.
    const noAmbient = await rejected(wrapGcpKms(KEY, dataKey, { ...ctx({ GCE_METADATA_HOST: '127.0.0.1:1' }), gcpMetadataCredentials: false }));
    assert.match(noAmbient.message, /^no Google credentials: set [^(]+$/);
    const notSa = join(dir, 'not-sa.json');
    writeFileSync(notSa, '{"type":"external_account"}');
    assert.equal((await rejected(wrapGcpKms(KEY, dataKey, ctx({ GOOGLE_APPLICATION_CREDENTIALS: notSa })))).code, 'InvalidConfig');
  });

  void test('tokens are reused while valid, refreshed near expiry, and replaced once when KMS rejects one', async () => {
    const c = ctx({ GOOGLE_APPLICATION_CREDENTIALS: saFile });
    const exchanges = (): number => tokens.counts.get('token') ?? 0;
    const start = exchanges();
    const w = await wrapGcpKms(KEY, dataKey, c);
    await unwrapGcpKms(w, c);
    assert.equal(exchanges() - start, 1, 'one token exchange serves several calls');
    tokens.revokeAll(); // the server forgets the token: KMS answers 401 and the client gets a new one
    assert.deepEqual(await unwrapGcpKms(w, c), dataKey);
    assert.equal(exchanges() - start, 2);
    tokens.setLifetime(30); // inside the refresh margin: every call exchanges again
    try {
      clearGcpTokenCache();
      await unwrapGcpKms(w, c);
      await unwrapGcpKms(w, c);
      assert.equal(exchanges() - start, 4);
    } finally {
      tokens.setLifetime(3600);
    }
  });

  void test('endpoint: SOPS_GCP_KMS_ENDPOINT (host[:port] means https), else the universe domain', () => {
    assert.equal(kmsEndpoint({ SOPS_GCP_KMS_ENDPOINT: 'http://127.0.0.1:9/' }), 'http://127.0.0.1:9');
    assert.equal(kmsEndpoint({ SOPS_GCP_KMS_ENDPOINT: 'cloudkms.example.fr:443' }), 'https://cloudkms.example.fr:443');
    assert.equal(kmsEndpoint({ SOPS_GCP_KMS_UNIVERSE_DOMAIN: 's3nsapis.fr' }), 'https://cloudkms.s3nsapis.fr');
    assert.equal(kmsEndpoint({}), 'https://cloudkms.googleapis.com');
    assert.equal(parseGcpKmsResourceId(` ${KEY} `), KEY);
  });
});

void describe('hush sops with gcp_kms keys', () => {
  async function run(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await runSops(args, { stdout: (d) => (out += d.toString()), stderr: (d) => (err += d), readStdin: () => Promise.resolve(Buffer.alloc(0)), cwd, env });
    return { code, out, err };
  }
  const plain = 'stringData:\n    password: canary-s3cret\n';

  void test('--gcp-kms: the file carries a gcp_kms entry and decrypts; without KMS access decryption fails with exit 128', async () => {
    const env = { HOME: dir, SOPS_GCP_KMS_ENDPOINT: kms.url, GOOGLE_APPLICATION_CREDENTIALS: saFile };
    writeFileSync(join(dir, 'p.yaml'), plain);
    const enc = await run(['encrypt', '--gcp-kms', KEY, 'p.yaml'], dir, env);
    assert.equal(enc.code, 0, enc.err);
    assert.match(enc.out, /gcp_kms:\n {8}- created_at: "[^"]+"\n {10}enc: [A-Za-z0-9+/=]+\n {10}resource_id: projects\/hush\/locations\/global\/keyRings\/ring\/cryptoKeys\/sops\n/);
    writeFileSync(join(dir, 'e.yaml'), enc.out);
    const dec = await run(['decrypt', 'e.yaml'], dir, env);
    assert.equal(dec.code, 0, dec.err);
    assert.equal(dec.out, plain);
    const denied = await run(['decrypt', 'e.yaml'], dir, { ...env, GOOGLE_APPLICATION_CREDENTIALS: '', GOOGLE_OAUTH_ACCESS_TOKEN: 'ya29.nobody' });
    assert.equal(denied.code, EXIT.couldNotRetrieveKey);
    assert.match(denied.err, /e\.yaml: .*GCP KMS key projects\/hush\/locations\/global\/keyRings\/ring\/cryptoKeys\/sops/);
    assert.ok(!denied.err.includes('canary-s3cret'));
  });

  void test('.sops.yaml key groups age | gcp_kms | gcp_kms with Shamir threshold 2: any two groups decrypt, one does not', async () => {
    const id = await generateX25519Identity();
    const rec = await identityToRecipient(id);
    const d = mkdtempSync(join(dir, 'shamir-'));
    writeFileSync(
      join(d, '.sops.yaml'),
      `creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - age: [${rec}]\n      - gcp_kms:\n          - resource_id: ${KEY}\n      - gcp_kms: [${OTHER}]\n`,
    );
    writeFileSync(join(d, 's.yaml'), plain);
    const base = { HOME: d, SOPS_GCP_KMS_ENDPOINT: kms.url };
    const enc = await run(['encrypt', '-i', 's.yaml'], d, { ...base, GOOGLE_APPLICATION_CREDENTIALS: saFile });
    assert.equal(enc.code, 0, enc.err);
    assert.match(readFileSync(join(d, 's.yaml'), 'utf8'), /shamir_threshold: 2/);
    // The service account can use both KMS keys: groups 2 and 3.
    const byKms = await run(['decrypt', 's.yaml'], d, { ...base, GOOGLE_APPLICATION_CREDENTIALS: saFile });
    assert.equal(byKms.code, 0, byKms.err);
    assert.equal(byKms.out, plain);
    // The static token can use only the first KMS key: with the age identity that is groups 1 and 2.
    const mixed = await run(['decrypt', 's.yaml'], d, { ...base, SOPS_AGE_KEY: id, GOOGLE_OAUTH_ACCESS_TOKEN: STATIC_TOKEN });
    assert.equal(mixed.code, 0, mixed.err);
    assert.equal(mixed.out, plain);
    const ageOnly = await run(['decrypt', 's.yaml'], d, { ...base, SOPS_AGE_KEY: id, GOOGLE_OAUTH_ACCESS_TOKEN: 'ya29.nobody' });
    assert.equal(ageOnly.code, EXIT.couldNotRetrieveKey);
    assert.match(ageOnly.err, /1 of the 2 key groups needed/);
  });

  void test('rotate --add-gcp-kms / --rm-gcp-kms change the keys and the result still decrypts', async () => {
    const env = { HOME: dir, SOPS_GCP_KMS_ENDPOINT: kms.url, GOOGLE_APPLICATION_CREDENTIALS: saFile };
    writeFileSync(join(dir, 'r.yaml'), plain);
    assert.equal((await run(['encrypt', '-i', '--gcp-kms', KEY, 'r.yaml'], dir, env)).code, 0);
    const rot = await run(['rotate', '-i', '--add-gcp-kms', OTHER, '--rm-gcp-kms', KEY, 'r.yaml'], dir, env);
    assert.equal(rot.code, 0, rot.err);
    const text = readFileSync(join(dir, 'r.yaml'), 'utf8');
    assert.match(text, /cryptoKeys\/other/);
    assert.doesNotMatch(text, /cryptoKeys\/sops\n/);
    assert.equal((await run(['decrypt', 'r.yaml'], dir, env)).out, plain);
  });
});
