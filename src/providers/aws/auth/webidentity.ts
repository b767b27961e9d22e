/**
 * auth.jwt: IAM Roles for Service Accounts, as EKS does it. The ServiceAccount
 * names its role in the `eks.amazonaws.com/role-arn` annotation (and may set
 * the token audience in `eks.amazonaws.com/audience`, default
 * sts.amazonaws.com); a token for it is minted through the apiserver's
 * TokenRequest API and exchanged with STS AssumeRoleWithWebIdentity.
 *
 * The annotation is read through `readServiceAccount`, which the controller's
 * Kubernetes access offers beside ProviderKubeAccess's own methods.
 */
import { AssumeRoleWithWebIdentityCommand } from '@aws-sdk/client-sts';
import { AuthError, HushError, InvalidConfigError, hasCode } from '../../../util/errors.ts';
import type { ProviderKubeAccess } from '../../types.ts';
import { refNamespace, serviceAccountToken } from '../../util/refs.ts';
import type { ServiceAccountRef } from '../../util/spec.ts';
import { fromSts, stsClient } from './sts.ts';
import type { AuthContext, AwsCredentials, CredentialSource, ServiceAccountReader } from './types.ts';

export const ROLE_ARN_ANNOTATION = 'eks.amazonaws.com/role-arn';
export const AUDIENCE_ANNOTATION = 'eks.amazonaws.com/audience';
const DEFAULT_AUDIENCE = 'sts.amazonaws.com';
/** ESO's session name, kept so that IAM trust policies and CloudTrail queries written for ESO still match. */
export const WEB_IDENTITY_SESSION_NAME = 'external-secrets-provider-aws';
const TOKEN_SECONDS = 3600;

function saReader(kube: ProviderKubeAccess): ServiceAccountReader | undefined {
  const k = kube as ProviderKubeAccess & Partial<ServiceAccountReader>;
  return typeof k.readServiceAccount === 'function' ? { readServiceAccount: (ref) => (k as ServiceAccountReader).readServiceAccount(ref) } : undefined;
}

export function webIdentity(sa: ServiceAccountRef, ctx: AuthContext): CredentialSource {
  const sts = stsClient(ctx, undefined);
  const what = 'aws auth.jwt.serviceAccountRef';
  return {
    name: 'auth.jwt',
    async obtain(signal): Promise<AwsCredentials> {
      const namespace = refNamespace(ctx.scope, sa.namespace);
      if (namespace === undefined) throw new InvalidConfigError(`${what}: service account "${sa.name}" has no namespace`);
      const reader = saReader(ctx.kube);
      if (!reader) {
        throw new InvalidConfigError(`${what}: this controller cannot read ServiceAccount annotations, which web identity needs for ${ROLE_ARN_ANNOTATION}`);
      }
      let annotations: Record<string, string>;
      try {
        annotations = (await reader.readServiceAccount({ name: sa.name, namespace })).annotations;
      } catch (err) {
        // A missing ServiceAccount is a configuration problem, never "the remote secret is gone".
        throw new AuthError(`${what}: ${err instanceof HushError ? err.message : `cannot read service account "${namespace}/${sa.name}"`}`);
      }
      const roleArn = annotations[ROLE_ARN_ANNOTATION];
      if (!roleArn) throw new InvalidConfigError(`an IAM role must be associated with service account ${sa.name} (namespace: ${namespace}): set the ${ROLE_ARN_ANNOTATION} annotation`);
      const audiences = [annotations[AUDIENCE_ANNOTATION] || DEFAULT_AUDIENCE, ...(sa.audiences ?? [])];
      let token: string;
      try {
        token = (await serviceAccountToken(ctx.kube, ctx.scope, sa, what, { audiences, expirationSeconds: TOKEN_SECONDS })).token;
      } catch (err) {
        // A refused audience is the operator's policy, not a failed login: keep its code (terminal).
        if (hasCode(err, 'PolicyRefused')) throw err;
        throw new AuthError(`${what}: error creating service account token: ${err instanceof HushError ? err.message : 'TokenRequest failed'}`);
      }
      ctx.remember(token);
      const out = await ctx.caller.send(
        'AssumeRoleWithWebIdentity',
        `AssumeRoleWithWebIdentity ${roleArn}`,
        (s) => sts.send(new AssumeRoleWithWebIdentityCommand({ RoleArn: roleArn, RoleSessionName: WEB_IDENTITY_SESSION_NAME, WebIdentityToken: token }), { abortSignal: s }),
        signal,
        { kind: 'login' },
      );
      return fromSts(ctx, out.Credentials, `AssumeRoleWithWebIdentity ${roleArn}`);
    },
  };
}
