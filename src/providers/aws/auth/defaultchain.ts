/**
 * No auth block: the SDK's default credential chain — environment variables,
 * the shared config/credentials files, web identity from
 * AWS_WEB_IDENTITY_TOKEN_FILE (EKS IRSA on the controller's own pod), EKS Pod
 * Identity, ECS and EC2 instance metadata — the same chain ESO falls back to.
 * All of it is the controller's own identity, so the credential policy must
 * allow it for the store (see ../../ambient.ts).
 */
import { STSClient } from '@aws-sdk/client-sts';
import { AuthError } from '../../../util/errors.ts';
import { sdkClientDefaults } from '../../../cloud/aws/credentials.ts';
import type { AmbientUse } from '../../ambient.ts';
import type { AuthContext, AwsCredentials, CredentialSource } from './types.ts';

export const DEFAULT_CHAIN_USE: AmbientUse = {
  field: 'spec.provider.aws.auth',
  credential: "the controller's own AWS identity (no auth block: the SDK's default chain of environment variables, shared files, web identity and instance metadata)",
  instead: 'spec.provider.aws.auth.secretRef or spec.provider.aws.auth.jwt (a ServiceAccount of the store\'s namespace)',
};

export function defaultChain(ctx: AuthContext): CredentialSource {
  // A client built without credentials resolves the SDK's default chain; we only borrow that resolver.
  const probe = new STSClient(sdkClientDefaults(ctx.region, ctx.stsEndpoint, ctx.requestTimeoutMs, ctx.egress));
  return {
    name: 'default credential chain',
    async obtain(): Promise<AwsCredentials> {
      ctx.credentials.requireAmbient(DEFAULT_CHAIN_USE);
      let c;
      try {
        c = await probe.config.credentials();
      } catch (err) {
        const reason = err instanceof Error ? err.message.replace(/\s+/g, ' ').slice(0, 200) : 'no credentials';
        throw new AuthError(`aws: no auth block and the default credential chain found no credentials: ${reason}`);
      }
      ctx.remember(c.secretAccessKey);
      ctx.remember(c.sessionToken);
      return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken, expiration: c.expiration };
    },
  };
}
