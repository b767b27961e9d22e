/**
 * AWS credentials and SDK client settings for every AWS caller in Hush: the
 * providers (Secrets Manager, Parameter Store, with STS for their auth
 * methods) and the sops KMS key source. Each caller decides *where*
 * credentials may come from — a store's Secret, a ServiceAccount token, or a
 * sops user's environment and profile — and this module does the parts that
 * must not differ between them: the shapes, role assumption, what the SDK is
 * told about caching, and how clients retry and time out.
 */
import type { Agent as HttpsAgent } from 'node:https';
import type { EgressGuard } from '../../net/guard.ts';
import { AssumeRoleCommand, type AssumeRoleCommandOutput, type STSClient } from '@aws-sdk/client-sts';
import { fromIni } from '@aws-sdk/credential-provider-ini';
import { join } from 'node:path';
import { AuthError } from '../../util/errors.ts';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
  /** When AWS stops accepting them; undefined for long-lived keys. */
  expiration?: Date | undefined;
}

/** Hands out the current credentials of a source, refreshing them before they expire. */
export interface CredentialProvider {
  get(signal?: AbortSignal): Promise<AwsCredentials>;
}

const CONNECT_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 30_000;

/** Settings every SDK client shares. */
export function sdkClientDefaults(region: string, endpoint: string | undefined, requestTimeoutMs = REQUEST_TIMEOUT_MS, egress?: EgressGuard) {
  // The SDK's NodeHttpHandler connects through these agents, so a store's calls pass its egress guard.
  const agents = egress ? { httpAgent: egress.agent('http:', { keepAlive: true }), httpsAgent: egress.agent('https:', { keepAlive: true }) as HttpsAgent } : {};
  return {
    region,
    ...(endpoint ? { endpoint } : {}),
    // Retries are the caller's (per store, throttling-aware), not the SDK's (per call).
    maxAttempts: 1,
    requestHandler: { connectionTimeout: Math.min(CONNECT_TIMEOUT_MS, requestTimeoutMs), requestTimeout: requestTimeoutMs, throwOnRequestTimeout: true, ...agents },
  };
}

/**
 * The SDK's `credentials` option for a source that caches by itself. Marked
 * memoized so the SDK asks every time instead of keeping its own copy until
 * near expiry: the caller's invalidate() after an auth error must take effect
 * on the very next call.
 */
export function sdkCredentials(get: () => Promise<AwsCredentials>) {
  return Object.assign(
    async () => {
      const c = await get();
      return { ...c, expiration: c.expiration ?? new Date(Date.now() + 60_000) };
    },
    { memoized: true },
  );
}

/** An STS answer's credentials; `remember` registers each secret part for redaction. */
export function fromStsAnswer(
  c: AssumeRoleCommandOutput['Credentials'],
  what: string,
  remember: (secret: string | undefined) => void,
): AwsCredentials & { sessionToken?: string; expiration?: Date } {
  if (!c?.AccessKeyId || !c.SecretAccessKey) throw new AuthError(`aws: ${what}: STS answered without credentials`);
  remember(c.SecretAccessKey);
  remember(c.SessionToken);
  return {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
    ...(c.Expiration ? { expiration: c.Expiration } : {}),
  };
}

export interface AssumeRoleRequest {
  roleArn: string;
  sessionName: string;
  externalId?: string | undefined;
  tags?: { key: string; value: string }[] | undefined;
  transitiveTagKeys?: string[] | undefined;
}

/** STS AssumeRole, with session tags only when there are some (STS refuses an empty list). */
export function assumeRoleCommand(req: AssumeRoleRequest): AssumeRoleCommand {
  const tags = req.tags && req.tags.length > 0 ? req.tags.map((t) => ({ Key: t.key, Value: t.value })) : undefined;
  return new AssumeRoleCommand({
    RoleArn: req.roleArn,
    RoleSessionName: req.sessionName,
    ...(req.externalId ? { ExternalId: req.externalId } : {}),
    ...(tags ? { Tags: tags } : {}),
    ...(tags && req.transitiveTagKeys && req.transitiveTagKeys.length > 0 ? { TransitiveTagKeys: req.transitiveTagKeys } : {}),
  });
}

/** Assumes a role with `sts` (whose own credentials are the previous step's) and returns the role's credentials. */
export async function assumeRole(sts: STSClient, req: AssumeRoleRequest, remember: (secret: string | undefined) => void, signal?: AbortSignal): Promise<AwsCredentials> {
  const out = await sts.send(assumeRoleCommand(req), signal ? { abortSignal: signal } : {});
  return fromStsAnswer(out.Credentials, `AssumeRole ${req.roleArn}`, remember);
}

/** AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN of `env`, if both keys are set. */
export function credentialsFromEnv(env: NodeJS.ProcessEnv): AwsCredentials | undefined {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) return undefined;
  return { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN || undefined };
}

/**
 * A named profile of the shared config and credentials files, read from the
 * files `env` and `home` point at (AWS_SHARED_CREDENTIALS_FILE,
 * AWS_CONFIG_FILE, else ~/.aws/) and never from the process's own
 * environment, so a caller that passes an empty environment gets none of the
 * process's credentials.
 */
export async function profileCredentials(profile: string, env: NodeJS.ProcessEnv, home: string): Promise<AwsCredentials> {
  // No home and no file named by `env` (the controller's SOPS key context): there are no shared
  // files to read. join('', '.aws', ...) would be relative to the working directory, which for a
  // controller started from a login shell is the operator's home.
  if (home === '' && !env.AWS_SHARED_CREDENTIALS_FILE && !env.AWS_CONFIG_FILE) {
    throw new AuthError(`aws: profile ${JSON.stringify(profile)}: no shared credentials or config file in this context`);
  }
  const filepath = env.AWS_SHARED_CREDENTIALS_FILE || join(home, '.aws', 'credentials');
  const configFilepath = env.AWS_CONFIG_FILE || join(home, '.aws', 'config');
  try {
    const c = await fromIni({ profile, filepath, configFilepath, ignoreCache: true })();
    return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken, expiration: c.expiration };
  } catch (err) {
    // The SDK's text names the profile and the files; it never holds a key.
    throw new AuthError(`aws: profile ${JSON.stringify(profile)}: ${err instanceof Error ? err.message.replace(/\s+/g, ' ').slice(0, 200) : 'unreadable'}`, { cause: err });
  }
}
