/** STS clients for the auth methods: the store's region, the AWS_STS_ENDPOINT override, no SDK retries (the caller retries). */
import { STSClient } from '@aws-sdk/client-sts';
import { fromStsAnswer, sdkClientDefaults, sdkCredentials, type AwsCredentials } from '../../../cloud/aws/credentials.ts';
import type { AuthContext, CredentialProvider } from './types.ts';

export function stsClient(ctx: AuthContext, credentials: CredentialProvider | undefined): STSClient {
  return new STSClient({
    ...sdkClientDefaults(ctx.region, ctx.stsEndpoint, ctx.requestTimeoutMs, ctx.egress),
    // Web identity calls are unsigned; the SDK still wants a provider, which it never calls for them.
    // memoized: the chain's own session caches; the SDK must not keep a stale copy (see provider.ts).
    credentials: sdkCredentials(credentials ? () => credentials.get() : () => Promise.resolve({ accessKeyId: '', secretAccessKey: '' })),
  });
}

/** An STS answer's credentials, registered for redaction. */
export function fromSts(ctx: AuthContext, c: Parameters<typeof fromStsAnswer>[0], what: string): AwsCredentials {
  return fromStsAnswer(c, what, (s) => ctx.remember(s));
}
