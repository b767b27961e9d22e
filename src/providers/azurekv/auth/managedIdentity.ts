/**
 * authType ManagedIdentity: a token from the Azure Instance Metadata Service
 * (IMDS) of the node or pod, for the identity named by `identityId` (a client
 * ID) or the only one assigned. AZURE_POD_IDENTITY_AUTHORITY_HOST replaces
 * the IMDS address, as the Azure SDKs allow (aad-pod-identity, local
 * emulators). A managed identity is always the controller's own (its node's
 * or pod's), so the credential policy must allow it (see ../../ambient.ts).
 */
import { readSecretString } from '../../util/refs.ts';
import { parseTokenAnswer, tokenStatusError, transportError } from './entra.ts';
import type { AmbientUse } from '../../ambient.ts';
import type { AuthContext, AzureAuthMethod, AzureToken } from './types.ts';

export const MANAGED_IDENTITY_USE: AmbientUse = {
  field: 'spec.provider.azurekv.authType',
  credential: 'the managed identity of the node or pod the controller runs on (authType ManagedIdentity)',
  instead:
    'authType ServicePrincipal with spec.provider.azurekv.authSecretRef, or authType WorkloadIdentity with spec.provider.azurekv.serviceAccountRef (a ServiceAccount of the store\'s namespace)',
};

export const IMDS_DEFAULT = 'http://169.254.169.254';
const IMDS_API_VERSION = '2018-02-01';

/** The managed-identity endpoint's origin, honouring the SDKs' override variable. */
export function imdsBase(env: (name: string) => string | undefined): string {
  return (env('AZURE_POD_IDENTITY_AUTHORITY_HOST') || IMDS_DEFAULT).replace(/\/+$/, '');
}

export const managedIdentity: AzureAuthMethod = {
  describe: 'managed identity',
  async token(ctx: AuthContext, resource: string, signal: AbortSignal): Promise<AzureToken> {
    ctx.credentials.requireAmbient(MANAGED_IDENTITY_USE);
    let clientId = ctx.spec.identityId;
    // ESO also accepts the identity's client ID from authSecretRef.clientId.
    if (clientId === undefined && ctx.spec.authSecretRef?.clientId) {
      clientId = (await readSecretString(ctx.kube, ctx.scope, ctx.spec.authSecretRef.clientId, 'azurekv authSecretRef.clientId')).trim();
    }
    const query = new URLSearchParams({ 'api-version': IMDS_API_VERSION, resource });
    if (clientId) query.set('client_id', clientId);
    const what = `managed identity${clientId ? ` ${clientId}` : ''}`;
    let res;
    try {
      res = await ctx.imds().request({ method: 'GET', path: `/metadata/identity/oauth2/token?${query.toString()}`, headers: { Metadata: 'true', accept: 'application/json' }, signal, timeoutMs: 10_000 });
    } catch (err) {
      ctx.recordCall('GetToken', 'error');
      throw transportError(err, `azurekv: ${what}: the managed identity endpoint ${imdsBase((n) => ctx.env(n))} did not answer (is this running on Azure with an identity assigned?)`, ctx.sent());
    }
    if (res.status !== 200) {
      ctx.recordCall('GetToken', 'error');
      throw tokenStatusError(res, `azurekv: ${what}: the managed identity endpoint refused the token request`, ctx.sent());
    }
    ctx.recordCall('GetToken', 'success');
    const t = parseTokenAnswer(res, what);
    ctx.remember(t.token);
    return t;
  },
};
