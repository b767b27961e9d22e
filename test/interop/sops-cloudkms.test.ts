/**
 * GCP KMS files, both directions with the real `sops` (v3.13.2): sops can be
 * pointed at a local Cloud KMS with SOPS_GCP_KMS_CLIENT_TYPE=rest and
 * SOPS_GCP_KMS_ENDPOINT=http://127.0.0.1:<port>, and Hush reads the same
 * SOPS_GCP_KMS_ENDPOINT. The Cloud KMS and Google token endpoint are FAKES
 * (src/sops/keys/testing/fakeCloudKms.ts, src/providers/gcpsm/testing/tokens.ts):
 * no Cloud KMS emulator exists. sops runs as a child process, asynchronously,
 * because the fakes serve from this process.
 *
 * Azure Key Vault is not tested against the real sops: its Key Vault client
 * accepts a 401 challenge only when the vault's host is a strict subdomain of
 * the challenge's resource host (`kv.example` under `example`), so a vault on
 * 127.0.0.1 can never pass, and no `*.localhost` name resolves here without
 * editing /etc/hosts. Hush's side of the format (RSA-OAEP-256 `encrypt`,
 * unpadded base64url `enc`, pinned key version) is checked in
 * src/sops/keys/azurekv.test.ts against the facts read from sops' azkv source.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { makeServiceAccountKey, startFakeGoogleTokens, type FakeGoogleTokens } from '../../src/providers/gcpsm/testing/tokens.ts';
import { startFakeCloudKms, type FakeCloudKms } from '../../src/sops/keys/testing/fakeCloudKms.ts';
import { hush, sopsTools, tempDir } from '../support/sops.ts';

const execFileAsync = promisify(execFile);
const tools = sopsTools();
const bin = 'bin' in tools ? tools.bin : '';
const KEY = 'projects/hush/locations/global/keyRings/ring/cryptoKeys/sops';
const SA = 'sops@hush.iam.gserviceaccount.com';
const TOKEN = 'ya29.interop-static-token';
const plain = 'data:\n    password: canary-s3cret\n    port: 5432\n';

async function sops(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  const { stdout } = await execFileAsync(join(bin, 'sops'), args, { cwd, env, encoding: 'utf8', timeout: 30_000 });
  return stdout;
}

void describe('sops interop: GCP KMS (fake Cloud KMS, REST)', { skip: 'skip' in tools ? tools.skip : false }, () => {
  let tokens: FakeGoogleTokens;
  let kms: FakeCloudKms;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let saFile: string;

  before(async () => {
    tokens = await startFakeGoogleTokens();
    kms = await startFakeCloudKms({ authorize: (t) => (t === TOKEN ? 'user:static' : tokens.principalOf(t)) });
    kms.addKey(KEY, ['user:static', SA]);
    dir = tempDir();
    const sa = await makeServiceAccountKey(SA, tokens.tokenUri);
    tokens.registerKey(SA, sa.publicKeyPem);
    saFile = join(dir, 'sa.json');
    writeFileSync(saFile, sa.json);
    env = { PATH: process.env.PATH, HOME: dir, SOPS_GCP_KMS_CLIENT_TYPE: 'rest', SOPS_GCP_KMS_ENDPOINT: kms.url, GOOGLE_OAUTH_ACCESS_TOKEN: TOKEN };
    writeFileSync(join(dir, 's.yaml'), plain);
  });
  after(async () => {
    await Promise.all([tokens?.stop(), kms?.stop()]);
  });

  void test('Hush-encrypted files decrypt with sops, and sops-encrypted files with Hush (GOOGLE_OAUTH_ACCESS_TOKEN)', async () => {
    const r = await hush(['encrypt', '--gcp-kms', KEY, 's.yaml'], dir, env);
    assert.equal(r.code, 0, r.stderr);
    writeFileSync(join(dir, 'h.yaml'), r.stdout);
    assert.equal(await sops(['decrypt', 'h.yaml'], dir, env), plain);
    writeFileSync(join(dir, 'x.yaml'), await sops(['encrypt', '--gcp-kms', KEY, 's.yaml'], dir, env));
    const back = await hush(['decrypt', 'x.yaml'], dir, env);
    assert.equal(back.code, 0, back.stderr);
    assert.equal(back.stdout.toString(), plain);
  });

  void test('JSON files: sops (access token) to Hush (service account key, GOOGLE_CREDENTIALS) and back', async () => {
    // sops itself is not given the key file: the fake token endpoint accepts only the cloud-platform
    // scope, and sops' KMS client also asks for the cloudkms scope.
    const saEnv = { ...env, GOOGLE_OAUTH_ACCESS_TOKEN: undefined, GOOGLE_CREDENTIALS: saFile };
    writeFileSync(join(dir, 'x.json'), await sops(['encrypt', '--gcp-kms', KEY, '--input-type', 'yaml', '--output-type', 'json', 's.yaml'], dir, env));
    const back = await hush(['decrypt', '--output-type', 'yaml', 'x.json'], dir, saEnv);
    assert.equal(back.code, 0, back.stderr);
    assert.equal(back.stdout.toString(), plain);
    const r = await hush(['encrypt', '--gcp-kms', KEY, '--output-type', 'json', 's.yaml'], dir, saEnv);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.toString(), /"gcp_kms": \[\n\t\t\t\{\n\t\t\t\t"created_at": "[^"]+",\n\t\t\t\t"enc": "[A-Za-z0-9+/=]+",\n\t\t\t\t"resource_id": "projects\/hush\//);
    writeFileSync(join(dir, 'h.json'), r.stdout);
    assert.equal(await sops(['decrypt', '--output-type', 'yaml', 'h.json'], dir, env), plain);
    assert.ok((tokens.counts.get('token') ?? 0) >= 1, 'Hush exchanged the service account key for a token');
  });
});
