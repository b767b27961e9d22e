/**
 * Workload identity with the real kube-apiserver minting the ServiceAccount
 * token (TokenRequest), the fake Google token endpoints (testing/tokens.ts)
 * and the fake Secret Manager (testing/server.ts). Covers what the e2e test
 * cannot reach yet: impersonating the Google service account named by the
 * `iam.gke.io/gcp-service-account` annotation, which needs a ServiceAccount
 * read the controller's kube access does not offer (see workloadidentity.ts).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { kubeCall } from '../../devenv/index.ts';
import { HushError } from '../../util/errors.ts';
import { readValue } from '../../read/rawref.ts';
import { DevEnvKube, devEnvSkipReason, loadDevEnv } from '../util/testing/devenvKube.ts';
import { testStoreContext } from '../util/testing/memoryKube.ts';
import type { ServiceAccountReader } from './auth/workloadidentity.ts';
import { gcpsmProvider } from './provider.ts';
import { PROJECT_ID, startFakeSecretManager, type FakeSecretManager } from './testing/server.ts';
import { startFakeGoogleTokens, type FakeGoogleTokens } from './testing/tokens.ts';

const GSA = 'secrets-reader@hush-test.iam.gserviceaccount.com';
const signal = new AbortController().signal;

/** DevEnvKube plus the ServiceAccount read the workload identity auth looks for. */
class KubeWithServiceAccounts extends DevEnvKube implements ServiceAccountReader {
  async readServiceAccount(ref: { name: string; namespace?: string | undefined }): Promise<{ annotations: Record<string, string> }> {
    const res = await kubeCall(this.env, 'GET', `/api/v1/namespaces/${ref.namespace}/serviceaccounts/${ref.name}`);
    if (res.status === 404) return { annotations: {} };
    return { annotations: (res.json as { metadata: { annotations?: Record<string, string> } }).metadata.annotations ?? {} };
  }
}

let kube: KubeWithServiceAccounts;
let sm: FakeSecretManager;
let tokens: FakeGoogleTokens;
const ns = `gcpwi-${Date.now().toString(36)}`;
const envKeys = ['HUSH_GCPSM_ENDPOINT', 'HUSH_GCP_SECURETOKEN_URL', 'HUSH_GCP_IAMCREDENTIALS_URL', 'GCE_METADATA_HOST'] as const;
const savedEnv = Object.fromEntries(envKeys.map((k) => [k, process.env[k]]));

before(async () => {
  if (devEnvSkipReason) return;
  kube = new KubeWithServiceAccounts(await loadDevEnv());
  tokens = await startFakeGoogleTokens();
  sm = await startFakeSecretManager({ authorize: (t) => tokens.principalOf(t) });
  process.env.HUSH_GCPSM_ENDPOINT = sm.url;
  process.env.HUSH_GCP_SECURETOKEN_URL = tokens.secureTokenUrl;
  process.env.HUSH_GCP_IAMCREDENTIALS_URL = tokens.url;
  process.env.GCE_METADATA_HOST = tokens.metadataHost;
  await kube.apply('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } as never);
  await kube.apply(`/api/v1/namespaces/${ns}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'plain' } } as never);
  await kube.apply(`/api/v1/namespaces/${ns}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'annotated', annotations: { 'iam.gke.io/gcp-service-account': GSA } } } as never);
  sm.addVersion('wi-secret', 'hello from GCP');
  sm.deny(`${PROJECT_ID}.svc.id.goog[${ns}/annotated]`, 'wi-'); // only the impersonated GSA may read
});

after(async () => {
  for (const k of envKeys) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
  await sm?.stop();
  await tokens?.stop();
  if (kube) await kubeCall(kube.env, 'DELETE', `/api/v1/namespaces/${ns}`);
});

function spec(sa: string, extra: Record<string, unknown> = {}) {
  return { projectID: PROJECT_ID, auth: { workloadIdentity: { clusterLocation: 'europe-west1', clusterName: 'hush', clusterProjectID: PROJECT_ID, serviceAccountRef: { name: sa }, ...extra } } };
}

test('without the annotation the federated identity itself reads the secret', { skip: devEnvSkipReason }, async () => {
  const { ctx, log } = testStoreContext({ spec: spec('plain'), kube, namespace: ns });
  const client = await gcpsmProvider.connect(ctx);
  try {
    assert.equal(Buffer.from(await readValue(client, { key: 'wi-secret' }, signal)).toString(), 'hello from GCP');
    assert.equal(sm.principals.at(-1), `${PROJECT_ID}.svc.id.goog[${ns}/plain]`);
    assert.equal(log.count('GenerateServiceAccountToken', 'success'), 1);
    assert.equal(log.count('GenerateIDBindToken', 'success'), 1);
    assert.equal(log.count('GenerateAccessToken'), 0);
  } finally {
    await client.close();
  }
});

test('with iam.gke.io/gcp-service-account the federated token impersonates that Google service account', { skip: devEnvSkipReason }, async () => {
  const { ctx: denied } = testStoreContext({ spec: spec('annotated'), kube, namespace: ns });
  // Not allowed to impersonate yet: IAM Credentials answers 403 and the store cannot connect.
  await assert.rejects(gcpsmProvider.connect(denied), (err: unknown) => err instanceof HushError && err.code === 'AccessDenied' && /iam.serviceAccounts.getAccessToken/.test(err.message));

  tokens.allowImpersonation(`${PROJECT_ID}.svc.id.goog[${ns}/annotated]`, GSA);
  const { ctx, log } = testStoreContext({ spec: spec('annotated'), kube, namespace: ns });
  const client = await gcpsmProvider.connect(ctx);
  try {
    assert.equal(Buffer.from(await readValue(client, { key: 'wi-secret' }, signal)).toString(), 'hello from GCP');
    assert.equal(sm.principals.at(-1), GSA);
    assert.equal(log.count('GenerateAccessToken', 'success'), 1);
  } finally {
    await client.close();
  }
});

test('cluster project, location and name fall back to the metadata server', { skip: devEnvSkipReason }, async () => {
  tokens.setMetadata('project/project-id', PROJECT_ID);
  tokens.setMetadata('instance/attributes/cluster-location', 'europe-west1');
  tokens.setMetadata('instance/attributes/cluster-name', 'hush');
  const { ctx } = testStoreContext({ spec: { auth: { workloadIdentity: { serviceAccountRef: { name: 'plain' } } } }, kube, namespace: ns });
  const client = await gcpsmProvider.connect(ctx);
  try {
    assert.equal(Buffer.from(await readValue(client, { key: 'wi-secret' }, signal)).toString(), 'hello from GCP');
  } finally {
    await client.close();
  }
});
