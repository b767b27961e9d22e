/**
 * AWS KMS key source: the data key is encrypted with KMS `Encrypt` under the
 * key ARN and optional encryption context, and the base64 CiphertextBlob is
 * stored, as sops does. Calls go through the AWS SDK with the credential code
 * the providers use (cloud/aws), resolved the way sops resolves them but only
 * from the key context's environment and home, never the process's:
 *
 * - a profile (the key's `aws_profile`, else AWS_PROFILE) from the shared
 *   config and credentials files;
 * - else AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN;
 * - then, for `arn+role` keys, STS AssumeRole of that role with a session
 *   named `sops@<host>` as sops names it.
 *
 * Endpoints come from AWS_ENDPOINT_URL_KMS / AWS_ENDPOINT_URL_STS or
 * AWS_ENDPOINT_URL when set (moto, LocalStack), else the regional endpoint
 * named by the ARN. Instance metadata and web identity are not consulted.
 */
import { CreateKeyCommand, DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { STSClient } from '@aws-sdk/client-sts';
import { hostname } from 'node:os';
import { assumeRole, credentialsFromEnv, profileCredentials, sdkClientDefaults, type AwsCredentials } from '../../cloud/aws/credentials.ts';
import { awsErrorCode, toHushError } from '../../cloud/aws/errors.ts';
import { AuthError, HushError, InvalidConfigError, InvalidDataError, NotFoundError, UnavailableError } from '../../util/errors.ts';
import type { KmsKey } from '../metadata.ts';
import type { KeyContext } from './types.ts';

export interface KmsKeySpec {
  arn: string;
  role: string;
  context: Record<string, string>;
  awsProfile: string;
}

/** Parses one sops KMS entry: `arn[+roleArn]`. */
export function parseKmsArn(s: string, context: Record<string, string> = {}, awsProfile = ''): KmsKeySpec {
  const [arn = '', role = ''] = s.trim().split('+');
  if (!/^arn:aws[\w-]*:kms:[\w-]+:\d*:(key|alias)\/.+/.test(arn)) throw new InvalidConfigError(`${JSON.stringify(arn)} is not an AWS KMS key ARN`);
  return { arn, role, context, awsProfile };
}

function regionOf(arn: string): string {
  return arn.split(':')[3] ?? '';
}

/** sops' role session name: "sops@" and the host name without the characters STS refuses. */
function sessionName(): string {
  return `sops@${hostname().replace(/[^a-zA-Z0-9=,.@-]+/g, '')}`.slice(0, 64);
}

interface Connection {
  kms: KMSClient;
  /** Credentials in play, cut out of any error text. */
  secrets: string[];
}

async function connect(spec: Pick<KmsKeySpec, 'arn' | 'role' | 'awsProfile'>, ctx: KeyContext, region = regionOf(spec.arn)): Promise<Connection> {
  const env = ctx.env;
  const secrets: string[] = [];
  const remember = (v: string | undefined): void => {
    if (v) secrets.push(v);
  };
  const timeout = ctx.timeoutMs ?? 15_000;
  const profile = spec.awsProfile || env.AWS_PROFILE;
  let creds: AwsCredentials | undefined = profile ? await profileCredentials(profile, env, ctx.home) : credentialsFromEnv(env);
  if (!creds) throw new AuthError('no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE');
  remember(creds.secretAccessKey);
  remember(creds.sessionToken);
  if (spec.role) {
    const base = creds;
    const sts = new STSClient({ ...sdkClientDefaults(region, env.AWS_ENDPOINT_URL_STS || env.AWS_ENDPOINT_URL || undefined, timeout), credentials: base });
    try {
      creds = await assumeRole(sts, { roleArn: spec.role, sessionName: sessionName() }, remember);
    } catch (err) {
      throw kmsError(err, `AssumeRole ${spec.role}`, secrets, 'login');
    } finally {
      sts.destroy();
    }
  }
  const endpoint = env.AWS_ENDPOINT_URL_KMS || env.AWS_ENDPOINT_URL || undefined;
  return { kms: new KMSClient({ ...sdkClientDefaults(region, endpoint, timeout), credentials: creds }), secrets };
}

/** KMS's own codes first (a wrong key or ciphertext is bad data, not a config problem), then the providers' mapping. */
function kmsError(err: unknown, action: string, secrets: string[], kind: 'login' | 'read' = 'read'): HushError {
  if (err instanceof HushError) return err;
  const code = awsErrorCode(err);
  const mapped = toHushError(err, action, { secrets, kind });
  if (code === 'NotFoundException') return new NotFoundError(mapped.message, { cause: err });
  if (/^(InvalidCiphertext|IncorrectKey|InvalidKeyUsage|Disabled|KMSInvalidState)/.test(code)) return new InvalidDataError(mapped.message, { cause: err });
  return mapped;
}

async function withKms<T>(spec: Pick<KmsKeySpec, 'arn' | 'role' | 'awsProfile'>, ctx: KeyContext, action: string, call: (kms: KMSClient) => Promise<T>): Promise<T> {
  const { kms, secrets } = await connect(spec, ctx);
  try {
    return await call(kms);
  } catch (err) {
    throw kmsError(err, action, secrets);
  } finally {
    kms.destroy();
  }
}

export async function wrapKms(spec: KmsKeySpec, dataKey: Uint8Array, ctx: KeyContext): Promise<KmsKey> {
  const context = Object.keys(spec.context).length > 0 ? spec.context : undefined;
  const out = await withKms(spec, ctx, `KMS Encrypt with ${spec.arn}`, (kms) =>
    kms.send(new EncryptCommand({ KeyId: spec.arn, Plaintext: dataKey, ...(context ? { EncryptionContext: context } : {}) })),
  );
  if (!out.CiphertextBlob) throw new UnavailableError('AWS KMS returned no CiphertextBlob');
  return { type: 'kms', ...spec, createdAt: '', enc: Buffer.from(out.CiphertextBlob).toString('base64') };
}

export async function unwrapKms(key: KmsKey, ctx: KeyContext): Promise<Buffer> {
  const context = Object.keys(key.context).length > 0 ? key.context : undefined;
  const out = await withKms(key, ctx, `KMS Decrypt with ${key.arn}`, (kms) =>
    kms.send(new DecryptCommand({ CiphertextBlob: Buffer.from(key.enc, 'base64'), KeyId: key.arn, ...(context ? { EncryptionContext: context } : {}) })),
  );
  if (!out.Plaintext) throw new UnavailableError('AWS KMS returned no Plaintext');
  return Buffer.from(out.Plaintext);
}

/** Creates a symmetric KMS key and returns its ARN (tests and local setups against moto). */
export async function createKmsKey(region: string, description: string, ctx: KeyContext): Promise<string> {
  const out = await withKms({ arn: `arn:aws:kms:${region}::key/new`, role: '', awsProfile: '' }, ctx, 'KMS CreateKey', (kms) =>
    kms.send(new CreateKeyCommand({ Description: description })),
  );
  if (!out.KeyMetadata?.Arn) throw new UnavailableError('AWS KMS returned no key ARN');
  return out.KeyMetadata.Arn;
}
