/**
 * The audience check of the controller's ProviderKubeAccess, against a real
 * kube-apiserver (TokenRequest) and the kubernetes provider: a SecretStore
 * whose serviceAccount asks for a foreign audience gets no token, and nothing
 * reaches the "remote cluster" it names (a loopback capture server standing in
 * for a tenant's server).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Namespaces, ServiceAccounts } from '../../kube/resources.ts';
import type { KubeClient } from '../../kube/client.ts';
import { skipReason, startTestCluster, type TestCluster } from '../../kube/testing/cluster.ts';
import { DEFAULT_CREDENTIAL_POLICY, storeCredentialPolicy } from '../../providers/ambient.ts';
import { kubernetesProvider } from '../../providers/kubernetes/provider.ts';
import { startCaptureServer, type CaptureServer } from '../../providers/util/testing/capture.ts';
import { testStoreContext } from '../../providers/util/testing/memoryKube.ts';
import { HushError } from '../../util/errors.ts';
import { createKubeAccess } from './kubeaccess.ts';
import { readValue } from '../../read/rawref.ts';

const signal = new AbortController().signal;
const ns = 'tenant-a';

/** The `aud` claim of a JWT the API server issued. */
function audiencesOf(jwt: string): string[] {
  const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { aud?: string[] | string };
  return Array.isArray(payload.aud) ? payload.aud : [payload.aud ?? ''];
}

void describe('ServiceAccount token audiences for a namespaced store', { skip: skipReason() }, () => {
  let cp: TestCluster;
  let kube: KubeClient;
  let capture: CaptureServer;
  const access = (storeKind: 'SecretStore' | 'ClusterSecretStore' = 'SecretStore') =>
    createKubeAccess(kube, storeKind, storeKind === 'SecretStore' ? ns : undefined, storeKind === 'SecretStore' ? undefined : ns, storeCredentialPolicy(DEFAULT_CREDENTIAL_POLICY, { storeKind, namespace: ns }));
  const bearers = (): string[] => capture.requests.map((r) => String(r.headers.authorization ?? '').replace(/^Bearer /, '')).filter((t) => t !== '');

  before(async () => {
    cp = await startTestCluster();
    kube = cp.client();
    await kube.create(Namespaces, { metadata: { name: ns } });
    await kube.create(ServiceAccounts, { metadata: { name: 'app', namespace: ns } });
    // The tenant's "remote cluster": answers a SelfSubjectRulesReview that allows reading Secrets.
    capture = await startCaptureServer(() => ({ status: 201, json: { status: { resourceRules: [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'] }] } } }));
  });
  after(async () => {
    await capture?.stop();
    kube?.close();
    await cp?.stop();
  });

  it('the access object refuses a foreign audience before any TokenRequest, and mints the allowed ones', async () => {
    const a = access();
    for (const audiences of [['sts.amazonaws.com'], ['api://AzureADTokenExchange'], ['vault', 'https://evil.example']]) {
      await assert.rejects(a.createServiceAccountToken({ name: 'app', audiences, field: 'spec.provider.kubernetes.auth.serviceAccount' }), (e: unknown) =>
        e instanceof HushError && e.code === 'PolicyRefused' && /^spec\.provider\.kubernetes\.auth\.serviceAccount: ServiceAccount token audience/.test(e.message) && /--allowed-token-audiences=/.test(e.message));
    }
    // Real tokens for what the defaults allow: "vault", and the API server's own audience.
    assert.deepEqual(audiencesOf((await a.createServiceAccountToken({ name: 'app', audiences: ['vault'] })).token), ['vault']);
    assert.ok((await a.createServiceAccountToken({ name: 'app' })).token.length > 0);
    // A ClusterSecretStore's audiences are its administrator's choice.
    assert.deepEqual(audiencesOf((await access('ClusterSecretStore').createServiceAccountToken({ name: 'app', audiences: ['sts.amazonaws.com'] })).token), ['sts.amazonaws.com']);
  });

  it('the kubernetes provider sends no token for a refused audience to the server the store names', async () => {
    const spec = (audiences: string[]) => ({ remoteNamespace: 'default', server: { url: capture.url }, auth: { serviceAccount: { name: 'app', audiences } } });
    const refused = await kubernetesProvider.connect({ ...testStoreContext({ spec: spec(['sts.amazonaws.com']), kube: access(), namespace: ns }).ctx });
    const result = await refused.validate(signal);
    assert.equal(result.state, 'Error');
    assert.equal(result.error?.code, 'PolicyRefused');
    assert.match(result.error?.message ?? '', /"sts\.amazonaws\.com" may not be minted for a SecretStore/);
    await assert.rejects(readValue(refused, { key: 'db' }, signal), { code: 'PolicyRefused' });
    await refused.close();
    assert.equal(capture.requests.length, 0, 'nothing reached the store\'s server');

    // The positive sentinel: an allowed audience does reach it, as a real token for that audience.
    const allowed = await kubernetesProvider.connect(testStoreContext({ spec: spec(['vault']), kube: access(), namespace: ns }).ctx);
    assert.equal((await allowed.validate(signal)).state, 'Ready');
    await allowed.close();
    assert.equal(bearers().length, 1);
    assert.deepEqual(audiencesOf(bearers()[0] ?? ''), ['vault']);
  });
});
