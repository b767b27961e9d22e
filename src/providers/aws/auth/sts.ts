/** STS clients for the auth methods: the store's region, the AWS_STS_ENDPOINT override, no SDK retries (the caller retries). */
import { STSClient } from '@aws-sdk/client-sts';
import { AuthError } from '../../../util/errors.ts';
import type { AuthContext, CredentialProvider } from './types.ts';
import { sdkClientDefaults } from '../endpoints.ts';

export function stsClient(ctx: AuthContext, credentials: CredentialProvider | undefined): STSClient {
  return new STSClient({
    ...sdkClientDefaults(ctx.region, ctx.stsEndpoint, ctx.requestTimeoutMs),
    // Web identity calls are unsigned; the SDK still wants a provider, which it never calls for them.
    // memoized: the chain's own session caches; the SDK must not keep a stale copy (see provider.ts).
    credentials: Object.assign(credentials ? () => credentials.get() : () => Promise.resolve({ accessKeyId: '', secretAccessKey: '' }), { memoized: true }),
  });
}

/** An STS answer's credentials, registered for redaction. */
export function fromSts(
  ctx: AuthContext,
  c: { AccessKeyId?: string | undefined; SecretAccessKey?: string | undefined; SessionToken?: string | undefined; Expiration?: Date | undefined } | undefined,
  what: string,
): { accessKeyId: string; secretAccessKey: string; sessionToken?: string; expiration?: Date } {
  if (!c?.AccessKeyId || !c.SecretAccessKey) throw new AuthError(`aws: ${what}: STS answered without credentials`);
  ctx.remember(c.SecretAccessKey);
  ctx.remember(c.SessionToken);
  return {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
    ...(c.Expiration ? { expiration: c.Expiration } : {}),
  };
}
