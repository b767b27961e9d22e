/**
 * Vault auth.kubernetes without serviceAccountRef or secretRef logs in with
 * the controller's own mounted ServiceAccount token, sent to spec.server,
 * which the store's author chose. The capture server stands in for a hostile
 * "Vault": what it records is what the tenant would have received.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HushError } from '../../util/errors.ts';
import { startCaptureServer, type CaptureServer } from '../util/testing/capture.ts';
import { MemoryKube, testStoreContext } from '../util/testing/memoryKube.ts';
import { createVaultProvider } from './provider.ts';

const CONTROLLER_TOKEN = 'controller-sa-token-canary-5e1f';

void describe('vault auth.kubernetes with the controller\'s mounted token', () => {
  let dir: string;
  let capture: CaptureServer;
  let provider: ReturnType<typeof createVaultProvider>;
  const spec = (): Record<string, unknown> => ({ server: capture.url, auth: { kubernetes: { role: 'app' } } });
  const withToken = (): CaptureServer['requests'] => capture.requests.filter((r) => r.body.includes(CONTROLLER_TOKEN) || JSON.stringify(r.headers).includes(CONTROLLER_TOKEN));

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hush-sa-'));
    writeFileSync(join(dir, 'token'), `${CONTROLLER_TOKEN}\n`);
    provider = createVaultProvider({ mountedTokenPath: join(dir, 'token') });
    capture = await startCaptureServer((r) =>
      r.path.endsWith('/login') ? { status: 200, json: { auth: { client_token: 'hvs.from-capture', lease_duration: 3600, renewable: false } } } : { status: 404, json: { errors: [] } },
    );
  });
  after(async () => {
    await capture.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a namespaced SecretStore is refused before any request; the message names the fields and the flag', async () => {
    const { ctx } = testStoreContext({ spec: spec(), kube: new MemoryKube(), namespace: 'team-a' });
    await assert.rejects(provider.connect(ctx), (e: unknown) =>
      e instanceof HushError && e.code === 'PolicyRefused' && !e.retryable &&
      e.message ===
        "spec.provider.vault.auth.kubernetes: this store would use the controller's own mounted ServiceAccount token (no serviceAccountRef or secretRef), " +
          "and a namespaced SecretStore may not use the controller's own credentials; set spec.provider.vault.auth.kubernetes.serviceAccountRef " +
          "(a ServiceAccount of the store's namespace) or spec.provider.vault.auth.kubernetes.secretRef, use a ClusterSecretStore, " +
          'or ask the operator to start hush controller with --ambient-credentials-namespaces=team-a (or --store-ambient-credentials for every namespace)');
    assert.equal(capture.requests.length, 0, 'nothing reached the store\'s server');
  });

  it('a ClusterSecretStore (the positive sentinel) logs in with the mounted token, as ESO does', async () => {
    const client = await provider.connect(testStoreContext({ spec: spec(), kube: new MemoryKube(), storeKind: 'ClusterSecretStore', namespace: undefined }).ctx);
    await client.close();
    const logins = withToken();
    assert.equal(logins.length, 1);
    assert.equal(logins[0]?.path, '/v1/auth/kubernetes/login');
  });

  it('so does a SecretStore of a namespace the operator allows', async () => {
    const before = withToken().length;
    const client = await provider.connect(testStoreContext({ spec: spec(), kube: new MemoryKube(), namespace: 'platform', policy: { ambientNamespaces: ['platform'] } }).ctx);
    await client.close();
    assert.equal(withToken().length, before + 1);
  });
});
