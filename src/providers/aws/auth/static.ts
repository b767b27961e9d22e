/** auth.secretRef: an access key (and optionally a session token) kept in Kubernetes Secrets. */
import { AuthError, HushError } from '../../../util/errors.ts';
import { readSecretString } from '../../util/refs.ts';
import type { SecretKeyRef } from '../../util/spec.ts';
import type { AuthContext, AwsCredentials, CredentialSource } from './types.ts';

export function staticKeys(
  spec: { accessKeyId: SecretKeyRef; secretAccessKey: SecretKeyRef; sessionToken: SecretKeyRef | undefined },
  ctx: AuthContext,
): CredentialSource {
  const read = async (ref: SecretKeyRef, field: string, label: string): Promise<string> => {
    try {
      // Keys never contain whitespace; a trailing newline from `kubectl create secret --from-file` would break signing.
      const v = (await readSecretString(ctx.kube, ctx.scope, ref, `aws auth.secretRef.${field}`)).trim();
      ctx.remember(v);
      return v;
    } catch (err) {
      // Not a NotFoundError: a missing credentials Secret must not read as "the remote secret is gone" (deletionPolicy Delete).
      const reason = err instanceof HushError ? err.message : 'unreadable';
      throw new AuthError(`aws: could not fetch ${label} secret: ${reason}`);
    }
  };
  return {
    name: 'auth.secretRef',
    async obtain(): Promise<AwsCredentials> {
      const secretAccessKey = await read(spec.secretAccessKey, 'secretAccessKeySecretRef', 'SecretAccessKey');
      const accessKeyId = await read(spec.accessKeyId, 'accessKeyIDSecretRef', 'accessKeyID');
      const sessionToken = spec.sessionToken ? await read(spec.sessionToken, 'sessionTokenSecretRef', 'SessionToken') : undefined;
      if (accessKeyId === '' || secretAccessKey === '') throw new AuthError('aws: auth.secretRef: the access key ID or secret access key is empty');
      return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
    },
  };
}
