/**
 * The azurekv provider (Azure Key Vault): secrets, and keys and certificates
 * through ESO's "key/" and "cert/" prefixes, with service principal, managed
 * identity and workload identity auth.
 */
import type { Agent } from 'node:https';
import { rootCertificates } from 'node:tls';
import { InvalidSpecError } from '../../util/errors.ts';
import type { Diagnostic, Provider, StoreClient, StoreContext } from '../types.ts';
import { tryParseGoDuration } from '../../util/duration.ts';
import { HttpClient } from '../util/http.ts';
import { isReferentUnresolved, type RefScope } from '../util/refs.ts';
import { isObj } from '../util/spec.ts';
import { resolveCa } from '../util/tls.ts';
import { ambientUseOf, checkAmbientVaultUrl } from './ambient.ts';
import { authMethodFor } from './auth/index.ts';
import { imdsBase } from './auth/managedIdentity.ts';
import { checkServicePrincipal } from './auth/servicePrincipal.ts';
import type { AuthContext } from './auth/types.ts';
import { AzureKvStoreClient } from './client.ts';
import { cloudEndpoints } from './cloud.ts';
import { TokenSession } from './session.ts';
import { authRefNamespaces, parseAzureKvSpec, ROOT } from './spec.ts';

/** Retries of one call when the store spec has no retrySettings (the SDK backs off, honouring Retry-After). */
const DEFAULT_RETRIES = 2;
const DEFAULT_RETRY_WAIT_MS = 1000;

export const azureKvProvider: Provider = {
  name: 'azurekv',
  metricsName: 'Azure/KeyVault',

  validateStore(spec: unknown, storeKind: StoreContext['storeKind']): Diagnostic[] {
    return parseAzureKvSpec(spec, storeKind).diagnostics;
  },

  async connect(ctx: StoreContext): Promise<StoreClient> {
    const { spec, diagnostics } = parseAzureKvSpec(ctx.spec, ctx.storeKind);
    if (!spec) throw new InvalidSpecError(diagnostics.map((d) => `${d.field}: ${d.message}`).join('; '));
    const scope: RefScope = { storeKind: ctx.storeKind, namespace: ctx.namespace };
    const referentUnresolved = authRefNamespaces(spec).some((ns) => isReferentUnresolved(scope, ns));
    if (spec.authType === 'ServicePrincipal' && !referentUnresolved) checkServicePrincipal({ spec });
    const cloud = cloudEndpoints(spec);
    // Before anything is read or sent: the controller's own identity needs the policy's consent,
    // and then goes only to the cloud's Key Vault hosts (see ambient.ts).
    const ambient = ambientUseOf(spec);
    if (ambient) {
      ctx.credentials.requireAmbient(ambient);
      checkAmbientVaultUrl(spec, cloud);
    }

    // A store CA is trusted in addition to the system roots, so one caBundle
    // for a private vault does not cut off login.microsoftonline.com.
    const extraCa = await resolveCa(ctx.kube, scope, spec.caBundle, spec.caProvider, ROOT);
    const ca = extraCa ? [...rootCertificates, ...extraCa] : undefined;
    // The Azure SDK connects through this agent, so its connections pass the store's egress guard.
    const agent = ctx.egress.agent('https:', { keepAlive: true, maxSockets: 8, keepAliveMsecs: 15_000, ...(ca ? { ca } : {}) }) as Agent;

    const sent = new Set<string>();
    const env = (name: string): string | undefined => process.env[name];
    let authority: HttpClient | undefined;
    let imds: HttpClient | undefined;
    const authCtx: AuthContext = {
      spec,
      cloud,
      kube: ctx.kube,
      scope,
      credentials: ctx.credentials,
      authority: () => (authority ??= new HttpClient(new URL(cloud.authorityHost).origin, { ca, timeoutMs: 30_000, egress: ctx.egress, maxResponseBytes: ctx.maxResponseBytes })),
      // IMDS comes from the controller's environment, not the store, and is link-local by nature: trusted.
      imds: () => (imds ??= new HttpClient(imdsBase(env), { timeoutMs: 10_000, egress: ctx.egress.trusting(imdsBase(env)), maxResponseBytes: ctx.maxResponseBytes })),
      recordCall: (call, status) => ctx.recordCall(call, status),
      remember: (s) => {
        if (s.length >= 4) sent.add(s);
      },
      sent: () => sent,
      env,
    };
    const session = new TokenSession(authMethodFor(spec.authType), authCtx, ctx.signal);
    const { maxRetries, retryDelayMs } = retrySettings(ctx.storeSpec);
    const client = new AzureKvStoreClient({
      spec,
      session,
      agent,
      maxResponseBytes: ctx.maxResponseBytes,
      fixedResource: cloud.keyVaultResource !== undefined,
      maxRetries,
      retryDelayMs,
      recordCall: ctx.recordCall.bind(ctx),
      sent: () => sent,
      referentUnresolved,
      cleanup: () => {
        authority?.close();
        imds?.close();
      },
    });
    if (!referentUnresolved && cloud.keyVaultResource !== undefined) {
      try {
        // Get a token now, so a store with bad credentials fails at connect with Entra ID's reason.
        await session.token();
      } catch (err) {
        await client.close();
        throw err;
      }
    }
    return client;
  },
};

/** Like the vault provider: default retries unless spec.retrySettings exists, then its maxRetries (0 when unset). */
function retrySettings(storeSpec: Record<string, unknown>): { maxRetries: number; retryDelayMs: number } {
  const rs = storeSpec.retrySettings;
  if (!isObj(rs)) return { maxRetries: DEFAULT_RETRIES, retryDelayMs: DEFAULT_RETRY_WAIT_MS };
  const max = typeof rs.maxRetries === 'number' && rs.maxRetries >= 0 ? Math.floor(rs.maxRetries) : 0;
  const wait = typeof rs.retryInterval === 'string' ? tryParseGoDuration(rs.retryInterval) : undefined;
  return { maxRetries: max, retryDelayMs: wait !== undefined && wait >= 0 ? wait : DEFAULT_RETRY_WAIT_MS };
}
