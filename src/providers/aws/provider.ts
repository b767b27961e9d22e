/**
 * The aws provider: `spec.provider.aws` with service SecretsManager or
 * ParameterStore. One client per store, holding the SDK client (its
 * keep-alive connections) and the credential chain (refreshed before it
 * expires). Pacing and backoff of a store's calls belong to the controller's
 * per-store call governor (read/governor.ts), not to the client.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { InvalidSpecError } from '../../util/errors.ts';
import type { Diagnostic, Provider, StoreClient, StoreContext } from '../types.ts';
import { tryParseGoDuration } from '../../util/duration.ts';
import { isReferentUnresolved, type RefScope } from '../util/refs.ts';
import { isObj } from '../util/spec.ts';
import { DEFAULT_CHAIN_USE } from './auth/defaultchain.ts';
import { credentialChain } from './auth/index.ts';
import type { AuthContext } from './auth/types.ts';
import { AwsCaller } from './caller.ts';
import { endpointFromEnv } from './endpoints.ts';
import { sdkClientDefaults, sdkCredentials } from '../../cloud/aws/credentials.ts';
import { ParameterStoreStore } from './parameterstore.ts';
import { SecretsManagerStore } from './secretsmanager.ts';
import { StoreSessions } from './session.ts';
import { authRefNamespaces, parseAwsSpec } from './spec.ts';
import { referentPlaceholder } from '../util/referent.ts';

/** AWS's SDK default is 3 attempts; ESO keeps it unless retrySettings is set. */
const DEFAULT_RETRIES = 2;
const DEFAULT_RETRY_WAIT_MS = 200;

/** Knobs for tests; production uses the defaults. */
export interface AwsProviderTuning {
  requestTimeoutMs?: number;
}

export function createAwsProvider(tuning: AwsProviderTuning = {}): Provider {
  return {
    name: 'aws',
    // One label for the provider; ESO splits it by service (awsMetricsName in spec.ts).
    metricsName: 'AWS/SecretsManager',

    validateStore(spec: unknown, storeKind: StoreContext['storeKind']): Diagnostic[] {
      return parseAwsSpec(spec, storeKind).diagnostics;
    },

    async connect(ctx: StoreContext): Promise<StoreClient> {
      const { spec, diagnostics } = parseAwsSpec(ctx.spec, ctx.storeKind);
      if (!spec) throw new InvalidSpecError(diagnostics.map((d) => `${d.field}: ${d.message}`).join('; '));
      const scope: RefScope = { storeKind: ctx.storeKind, namespace: ctx.namespace };
      if (authRefNamespaces(spec).some((ns) => isReferentUnresolved(scope, ns))) return referentPlaceholder('aws');
      // Before anything is read or sent: a store refused the controller's identity fails here.
      if (spec.auth.method === 'default') ctx.credentials.requireAmbient(DEFAULT_CHAIN_USE);

      const sent = new Set<string>();
      const secrets = (): Iterable<string> => sent;
      const { maxRetries, retryWaitMs } = retrySettings(ctx.storeSpec);
      const caller = new AwsCaller({ recordCall: (c, s) => ctx.recordCall(c, s), maxRetries, retryWaitMs, secrets });
      const authCtx: AuthContext = {
        kube: ctx.kube,
        scope,
        credentials: ctx.credentials,
        region: spec.region,
        caller,
        stsEndpoint: endpointFromEnv('sts'),
        requestTimeoutMs: tuning.requestTimeoutMs,
        egress: ctx.egress,
        remember: (s) => {
          if (s && s.length >= 4) sent.add(s);
        },
        storeSignal: ctx.signal,
      };
      const sessions = new StoreSessions(credentialChain(spec, authCtx, { storeName: ctx.storeName, storeKind: ctx.storeKind, namespace: ctx.namespace }));
      // The session caches and refreshes; the SDK must not keep a copy of its own (see sdkCredentials).
      const credentials = sdkCredentials(() => sessions.current());
      const common = { sessions, caller, prefix: spec.prefix, storeSignal: ctx.signal, secrets };
      const client =
        spec.service === 'SecretsManager'
          ? new SecretsManagerStore({ ...common, sm: new SecretsManagerClient({ ...sdkClientDefaults(spec.region, endpointFromEnv('secretsmanager'), tuning.requestTimeoutMs, ctx.egress), credentials }) })
          : new ParameterStoreStore({ ...common, ssm: new SSMClient({ ...sdkClientDefaults(spec.region, endpointFromEnv('ssm'), tuning.requestTimeoutMs, ctx.egress), credentials }) });
      try {
        // Obtain credentials now, so a store with bad auth fails at connect (ESO's "unable to create client").
        await sessions.current();
      } catch (err) {
        await client.close();
        throw err;
      }
      return client;
    },
  };
}

export const awsProvider: Provider = createAwsProvider();

/** ESO: the SDK's 3 attempts unless spec.retrySettings exists, then maxRetries (default 3) and retryInterval. */
function retrySettings(storeSpec: Record<string, unknown>): { maxRetries: number; retryWaitMs: number } {
  const rs = storeSpec.retrySettings;
  if (!isObj(rs)) return { maxRetries: DEFAULT_RETRIES, retryWaitMs: DEFAULT_RETRY_WAIT_MS };
  const max = typeof rs.maxRetries === 'number' && rs.maxRetries >= 0 ? Math.floor(rs.maxRetries) : 3;
  const wait = typeof rs.retryInterval === 'string' ? tryParseGoDuration(rs.retryInterval) : undefined;
  return { maxRetries: max, retryWaitMs: wait !== undefined && wait > 0 ? wait : DEFAULT_RETRY_WAIT_MS };
}
