import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { profileCredentials } from './credentials.ts';

test('with no home and no file named by the environment, no shared credentials file is read, not even one under the working directory', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hush-aws-home-'));
  const cwd = process.cwd();
  try {
    mkdirSync(join(dir, '.aws'));
    writeFileSync(join(dir, '.aws', 'credentials'), '[default]\naws_access_key_id = AKIAOPERATOR\naws_secret_access_key = operator-secret\n');
    // The controller's working directory is the operator's home, which holds their credentials.
    process.chdir(dir);
    await assert.rejects(profileCredentials('default', {}, ''), /no shared credentials or config file/);
    // With the home given, the same file is read: the test can tell the two apart.
    assert.equal((await profileCredentials('default', {}, dir)).accessKeyId, 'AKIAOPERATOR');
  } finally {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  }
});
