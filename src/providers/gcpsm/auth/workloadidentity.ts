/**
 * auth.workloadIdentity: GKE Workload Identity, done the way ESO does it.
 *
 * 1. A token for the Kubernetes ServiceAccount is minted through TokenRequest
 *    (15 minutes; audience `<clusterProjectID>.svc.id.goog` plus the ref's own).
 * 2. The identity binding token endpoint (GKE's STS) exchanges it for a Google
 *    access token of the federated identity
 *    `serviceAccount:<project>.svc.id.goog[<namespace>/<name>]`.
 * 3. When the ServiceAccount carries `iam.gke.io/gcp-service-account`, that
 *    token impersonates the Google service account through IAM Credentials
 *    generateAccessToken; without it the federated token is used as is.
 *
 * Cluster project, location and name come from the store, else from the
 * metadata server (as in ESO).
 */
import { UnavailableError } from '../../../util/errors.ts';
import type { ProviderKubeAccess } from '../../types.ts';
import { refNamespace, serviceAccountToken } from '../../util/refs.ts';
import type { ServiceAccountRef } from '../../util/spec.ts';
import { metadataValue } from './metadata.ts';
import { accessTokenFrom } from './serviceaccountkey.ts';
import { CLOUD_PLATFORM_SCOPE, observed, type AccessToken, type GcpAuthContext, type GcpAuthMethod } from './types.ts';

export const GCP_SA_ANNOTATION = 'iam.gke.io/gcp-service-account';
const SA_TOKEN_SECONDS = 15 * 60;

/**
 * Reading a ServiceAccount's annotations is not part of ProviderKubeAccess
 * yet; when the controller's kube access offers it, the annotation is
 * honoured, else the federated token is used directly.
 */
export interface ServiceAccountReader {
  readServiceAccount?(ref: { name: string; namespace?: string | undefined }): Promise<{ annotations: Record<string, string> } | undefined>;
}

export interface WorkloadIdentitySpec {
  serviceAccountRef: ServiceAccountRef;
  clusterLocation: string | undefined;
  clusterName: string | undefined;
  clusterProjectID: string | undefined;
}

export function workloadIdentityAuth(spec: WorkloadIdentitySpec): GcpAuthMethod {
  return {
    name: 'workload identity',
    async fetchToken(ctx: GcpAuthContext, signal: AbortSignal): Promise<AccessToken> {
      const what = 'gcpsm auth.workloadIdentity';
      const project = spec.clusterProjectID ?? (await metadataValue(ctx, 'project/project-id', `${what}.clusterProjectID`, signal));
      const location = spec.clusterLocation ?? (await metadataValue(ctx, 'instance/attributes/cluster-location', `${what}.clusterLocation`, signal));
      const cluster = spec.clusterName ?? (await metadataValue(ctx, 'instance/attributes/cluster-name', `${what}.clusterName`, signal));
      const idPool = `${project}.svc.id.goog`;
      const idProvider = `https://container.googleapis.com/v1/projects/${project}/locations/${location}/clusters/${cluster}`;

      const sa = spec.serviceAccountRef;
      const gcpServiceAccount = await annotatedServiceAccount(ctx.kube, sa, refNamespace(ctx.scope, sa.namespace));
      const ksa = await observed(ctx, 'GenerateServiceAccountToken', () =>
        serviceAccountToken(ctx.kube, ctx.scope, sa, `${what}.serviceAccountRef`, { audiences: [idPool, ...(sa.audiences ?? [])], expirationSeconds: SA_TOKEN_SECONDS }),
      );
      ctx.remember(ksa.token);

      const bound = await observed(ctx, 'GenerateIDBindToken', async () => {
        const body = await ctx.http.call({
          url: ctx.endpoints.secureTokenUrl,
          json: {
            grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
            subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
            requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
            subject_token: ksa.token,
            audience: `identitynamespace:${idPool}:${idProvider}`,
            scope: CLOUD_PLATFORM_SCOPE,
          },
          what: `identity binding token exchange for ServiceAccount "${sa.name}"`,
          signal,
        });
        return accessTokenFrom(body, 'access_token', 'the identity binding token endpoint');
      });
      ctx.remember(bound.token);
      if (gcpServiceAccount === undefined) return bound;

      return observed(ctx, 'GenerateAccessToken', async () => {
        const body = await ctx.http.call({
          url: `${ctx.endpoints.iamCredentialsUrl}/v1/projects/-/serviceAccounts/${encodeURIComponent(gcpServiceAccount)}:generateAccessToken`,
          json: { scope: [CLOUD_PLATFORM_SCOPE] },
          headers: { authorization: `Bearer ${bound.token}` },
          what: `impersonation of ${gcpServiceAccount}`,
          signal,
        });
        const token = body.accessToken;
        if (typeof token !== 'string' || token === '') throw new UnavailableError('gcpsm: IAM Credentials answered without an accessToken');
        const expire = typeof body.expireTime === 'string' ? new Date(body.expireTime) : undefined;
        return { token, expiresAt: expire && !Number.isNaN(expire.getTime()) ? expire : undefined };
      });
    },
  };
}

async function annotatedServiceAccount(kube: ProviderKubeAccess, ref: ServiceAccountRef, namespace: string | undefined): Promise<string | undefined> {
  const k = kube as ProviderKubeAccess & ServiceAccountReader;
  if (typeof k.readServiceAccount !== 'function' || namespace === undefined) return undefined;
  const sa = await k.readServiceAccount({ name: ref.name, namespace });
  const v = sa?.annotations[GCP_SA_ANNOTATION];
  return v ? v : undefined;
}
