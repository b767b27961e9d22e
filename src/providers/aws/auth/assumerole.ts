/**
 * `role` and `additionalRoles`: STS AssumeRole with the credentials of the
 * previous step. additionalRoles are assumed in order, then `role`, which
 * alone carries externalID, session tags and transitive tag keys (as in ESO).
 */
import { assumeRoleCommand } from '../../../cloud/aws/credentials.ts';
import { fromSts, stsClient } from './sts.ts';
import type { AuthContext, AwsCredentials, CredentialProvider, CredentialSource } from './types.ts';

export interface AssumeRoleOptions {
  externalID?: string | undefined;
  tags?: { key: string; value: string }[] | undefined;
  transitiveTagKeys?: string[] | undefined;
  now?: () => number;
}

export function assumeRole(roleArn: string, upstream: CredentialProvider, ctx: AuthContext, opts: AssumeRoleOptions = {}): CredentialSource {
  const sts = stsClient(ctx, upstream);
  const now = opts.now ?? Date.now;
  return {
    name: `role ${roleArn}`,
    async obtain(signal): Promise<AwsCredentials> {
      const out = await ctx.caller.send(
        'AssumeRole',
        `AssumeRole ${roleArn}`,
        (s) =>
          sts.send(
            assumeRoleCommand({
              roleArn,
              // The Go SDK names sessions after the time too; something unique per assumption helps CloudTrail.
              sessionName: `hush-${now()}`,
              externalId: opts.externalID,
              tags: opts.tags,
              transitiveTagKeys: opts.transitiveTagKeys,
            }),
            { abortSignal: s },
          ),
        signal,
        { kind: 'login' },
      );
      return fromSts(ctx, out.Credentials, `AssumeRole ${roleArn}`);
    },
  };
}
