/**
 * What the aws provider's integration tests share: a real moto server, the
 * recording proxy in front of it (the provider talks to the proxy through the
 * AWS_*_ENDPOINT variables ESO reads), SDK clients that set up data directly
 * on moto (so the proxy records only the provider's own calls), and a
 * connect() helper with Kubernetes reads served from memory.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { motoBinary, startMoto, type Moto } from './moto.ts';
import type { ProviderKubeAccess, StoreClient, StoreContext } from '../../types.ts';
import { MemoryKube, testStoreContext, type CallLog } from '../../util/testing/memoryKube.ts';
import { endpointEnv } from '../endpoints.ts';
import { createAwsProvider, type AwsProviderTuning } from '../provider.ts';
import { startAwsProxy, type AwsProxy } from './awsproxy.ts';
import { requireTool } from '../../../testing/tools.ts';

export const motoSkipReason: string | false = requireTool('moto_server', 'scripts/install-moto.sh', motoBinary() !== undefined);

export const TEST_KEYS = { accessKeyId: 'AKIAHUSHTESTKEY00001', secretAccessKey: 'hush-test-secret-access-key-0001' };
export const REGION = 'us-east-1';

export interface Testbed {
  moto: Moto;
  proxy: AwsProxy;
  kube: MemoryKube;
  sm: SecretsManagerClient;
  ssm: SSMClient;
  connect(spec: Record<string, unknown>, opts?: { tuning?: AwsProviderTuning; kube?: ProviderKubeAccess; storeSpec?: Record<string, unknown>; storeKind?: StoreContext['storeKind']; namespace?: string | undefined }): Promise<{ client: StoreClient; log: CallLog }>;
  stop(): Promise<void>;
}

export async function startTestbed(): Promise<Testbed> {
  const moto = await startMoto();
  const proxy = await startAwsProxy(moto.endpoint);
  const saved = Object.fromEntries(Object.values(endpointEnv).map((k) => [k, process.env[k]]));
  for (const k of Object.values(endpointEnv)) process.env[k] = proxy.endpoint;
  const admin = { region: REGION, endpoint: moto.endpoint, credentials: { accessKeyId: 'AKIAADMIN', secretAccessKey: 'admin' } };
  const sm = new SecretsManagerClient(admin);
  const ssm = new SSMClient(admin);
  const kube = new MemoryKube();
  kube.setSecret('default', 'aws-keys', { id: TEST_KEYS.accessKeyId, secret: TEST_KEYS.secretAccessKey });
  const clients: StoreClient[] = [];
  return {
    moto,
    proxy,
    kube,
    sm,
    ssm,
    async connect(spec, opts = {}) {
      const provider = createAwsProvider(opts.tuning);
      const { ctx, log } = testStoreContext({
        spec: {
          region: REGION,
          auth: { secretRef: { accessKeyIDSecretRef: { name: 'aws-keys', key: 'id' }, secretAccessKeySecretRef: { name: 'aws-keys', key: 'secret' } } },
          ...spec,
        },
        kube: opts.kube ?? kube,
        ...(opts.storeSpec ? { storeSpec: opts.storeSpec } : {}),
        ...(opts.storeKind ? { storeKind: opts.storeKind } : {}),
        ...('namespace' in opts ? { namespace: opts.namespace } : {}),
      });
      const client = await provider.connect(ctx);
      clients.push(client);
      return { client, log };
    },
    async stop() {
      await Promise.all(clients.map((c) => c.close()));
      sm.destroy();
      ssm.destroy();
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      await proxy.stop();
      await moto.stop();
    },
  };
}
