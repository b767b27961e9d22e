/**
 * authType WorkloadIdentity: a Kubernetes ServiceAccount token, minted through
 * TokenRequest for the audience api://AzureADTokenExchange, exchanged at
 * Entra ID for an access token (federated identity credential). Client and
 * tenant IDs come from the places ESO reads them, in its order:
 * authSecretRef, spec.tenantId, the ServiceAccount's
 * `azure.workload.identity/*` annotations, then AZURE_TENANT_ID.
 *
 * Without serviceAccountRef the controller's own federated token is used, from
 * the variables the Azure workload identity webhook injects
 * (AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE); the credential
 * policy must allow that for the store (see ../../ambient.ts).
 */
import { readFile } from 'node:fs/promises';
import { InvalidConfigError } from '../../../util/errors.ts';
import type { ProviderKubeAccess } from '../../types.ts';
import { readSecretString, refNamespace, serviceAccountToken } from '../../util/refs.ts';
import { requestEntraToken } from './entra.ts';
import type { AmbientUse } from '../../ambient.ts';
import type { AuthContext, AzureAuthMethod, AzureToken } from './types.ts';

export const CONTROLLER_WORKLOAD_IDENTITY_USE: AmbientUse = {
  field: 'spec.provider.azurekv.serviceAccountRef',
  credential: "the controller's own workload identity (authType WorkloadIdentity without serviceAccountRef: AZURE_FEDERATED_TOKEN_FILE)",
  instead: 'spec.provider.azurekv.serviceAccountRef (a ServiceAccount of the store\'s namespace)',
};

export const AZURE_DEFAULT_AUDIENCE = 'api://AzureADTokenExchange';
export const ANNOTATION_CLIENT_ID = 'azure.workload.identity/client-id';
export const ANNOTATION_TENANT_ID = 'azure.workload.identity/tenant-id';
const SA_TOKEN_SECONDS = 600;

export const workloadIdentity: AzureAuthMethod = {
  describe: 'workload identity',
  async token(ctx: AuthContext, resource: string, signal: AbortSignal): Promise<AzureToken> {
    const { tenantId, clientId, assertion } = await federatedCredentials(ctx);
    return requestEntraToken(ctx, { tenantId, clientId, assertion }, resource, `workload identity (client ${clientId})`, signal);
  },
};

async function federatedCredentials(ctx: AuthContext): Promise<{ tenantId: string; clientId: string; assertion: string }> {
  const { spec } = ctx;
  const sa = spec.serviceAccountRef;
  if (!sa) {
    ctx.credentials.requireAmbient(CONTROLLER_WORKLOAD_IDENTITY_USE);
    const clientId = ctx.env('AZURE_CLIENT_ID');
    const tenantId = ctx.env('AZURE_TENANT_ID');
    const file = ctx.env('AZURE_FEDERATED_TOKEN_FILE');
    if (!clientId || !tenantId || !file) {
      throw new InvalidConfigError('azurekv: missing environment variables. AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_FEDERATED_TOKEN_FILE must be set');
    }
    let assertion: string;
    try {
      assertion = (await readFile(file, 'utf8')).trim();
    } catch (err) {
      throw new InvalidConfigError(`azurekv: unable to read token file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    return { tenantId, clientId, assertion };
  }

  const annotations = await readAnnotations(ctx.kube, refNamespace(ctx.scope, sa.namespace), sa.name);
  const a = spec.authSecretRef;
  let clientId = '';
  if (a) {
    if (!a.clientId) throw new InvalidConfigError('azurekv: missing accessKeyID/secretAccessKey in store config');
    clientId = (await readSecretString(ctx.kube, ctx.scope, a.clientId, 'azurekv authSecretRef.clientId')).trim();
  }
  const annotatedClient = annotations?.[ANNOTATION_CLIENT_ID];
  if (annotatedClient !== undefined) {
    if (clientId !== '') throw new InvalidConfigError('azurekv: multiple clientID found. Check secretRef and serviceAccountRef');
    clientId = annotatedClient;
  }
  if (clientId === '') {
    const why = annotations === undefined ? ' (this build cannot read ServiceAccount annotations: set authSecretRef.clientId)' : '';
    throw new InvalidConfigError(`azurekv: missing clientID: either serviceAccountRef or service account annotation '${ANNOTATION_CLIENT_ID}' is missing${why}`);
  }

  let tenantId = '';
  if (a?.tenantId) tenantId = (await readSecretString(ctx.kube, ctx.scope, a.tenantId, 'azurekv authSecretRef.tenantId')).trim();
  if (tenantId === '' && spec.tenantId !== undefined) tenantId = spec.tenantId;
  const annotatedTenant = annotations?.[ANNOTATION_TENANT_ID];
  if (annotatedTenant !== undefined) {
    if (tenantId !== '') throw new InvalidConfigError("azurekv: multiple tenantID found. Check secretRef, 'spec.provider.azurekv.tenantId', and serviceAccountRef");
    tenantId = annotatedTenant;
  }
  if (tenantId === '') tenantId = ctx.env('AZURE_TENANT_ID') ?? '';
  if (tenantId === '') throw new InvalidConfigError('azurekv: missing tenantID in store config');

  const audiences = [spec.customCloudConfig?.audience ?? AZURE_DEFAULT_AUDIENCE, ...(sa.audiences ?? [])];
  const t = await serviceAccountToken(ctx.kube, ctx.scope, sa, 'azurekv serviceAccountRef', { audiences, expirationSeconds: SA_TOKEN_SECONDS });
  return { tenantId, clientId, assertion: t.token };
}

async function readAnnotations(kube: ProviderKubeAccess, namespace: string | undefined, name: string): Promise<Record<string, string> | undefined> {
  if (typeof kube.readServiceAccount !== 'function') return undefined;
  return (await kube.readServiceAccount({ name, namespace })).annotations;
}
