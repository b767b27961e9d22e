/**
 * AWS KMS key source: the data key is encrypted with KMS `Encrypt` (JSON
 * protocol, Signature Version 4) under the key ARN and optional encryption
 * context, and the base64 CiphertextBlob is stored. Credentials come from
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN; the endpoint
 * from AWS_ENDPOINT_URL_KMS or AWS_ENDPOINT_URL when set (moto, LocalStack),
 * else the regional endpoint named by the ARN. Role assumption and named
 * profiles are not supported yet.
 */
import { createHash, createHmac } from 'node:crypto';
import { AccessDeniedError, AuthError, InvalidConfigError, InvalidDataError, NotFoundError, NotSupportedError, ThrottledError, UnavailableError } from '../../util/errors.ts';
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

function sha256(data: string): string {
  return createHash('sha256').update(data).digest('hex');
}
function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

function credentials(ctx: KeyContext): Credentials {
  const id = ctx.env.AWS_ACCESS_KEY_ID;
  const secret = ctx.env.AWS_SECRET_ACCESS_KEY;
  if (!id || !secret) throw new AuthError('no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
  return { accessKeyId: id, secretAccessKey: secret, sessionToken: ctx.env.AWS_SESSION_TOKEN || undefined };
}

/** Signs and sends one KMS JSON-protocol request (`op` is the API action, e.g. Encrypt). */
export async function kmsCall(op: string, region: string, body: Record<string, unknown>, ctx: KeyContext): Promise<Record<string, unknown>> {
  const creds = credentials(ctx);
  const endpoint = ctx.env.AWS_ENDPOINT_URL_KMS || ctx.env.AWS_ENDPOINT_URL || `https://kms.${region}.amazonaws.com`;
  const url = new URL(endpoint);
  const payload = JSON.stringify(body);
  const now = new Date();
  const amzDate = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = {
    'content-type': 'application/x-amz-json-1.1',
    host: url.host,
    'x-amz-date': amzDate,
    'x-amz-target': `TrentService.${op}`,
  };
  if (creds.sessionToken) headers['x-amz-security-token'] = creds.sessionToken;
  const names = Object.keys(headers).sort();
  const canonical = ['POST', url.pathname || '/', '', ...names.map((n) => `${n}:${headers[n]}`), '', names.join(';'), sha256(payload)].join('\n');
  const scope = `${day}/${region}/kms/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const kDate = hmac(`AWS4${creds.secretAccessKey}`, day);
  const signingKey = hmac(hmac(hmac(kDate, region), 'kms'), 'aws4_request');
  const signature = createHmac('sha256', signingKey).update(toSign).digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers, body: payload, signal: AbortSignal.timeout(ctx.timeoutMs ?? 15_000) });
  } catch (err) {
    throw new UnavailableError(`AWS KMS ${op} at ${url.origin} failed: ${(err as Error).message}`, { cause: err });
  }
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON
  }
  if (!res.ok) {
    const type = (typeof json.__type === 'string' ? json.__type : '').split('#').pop() ?? '';
    const msg = `AWS KMS ${op} failed: ${type || `HTTP ${res.status}`}${typeof json.message === 'string' ? ': ' + json.message.slice(0, 200) : ''}`;
    if (type === 'NotFoundException') throw new NotFoundError(msg);
    if (type === 'AccessDeniedException') throw new AccessDeniedError(msg);
    if (/Signature|Token|Credential|UnrecognizedClient/i.test(type)) throw new AuthError(msg);
    if (type === 'ThrottlingException') throw new ThrottledError(msg);
    if (/InvalidCiphertext|IncorrectKey|InvalidKeyUsage|Disabled/.test(type)) throw new InvalidDataError(msg);
    throw new UnavailableError(msg);
  }
  return json;
}

export async function wrapKms(spec: KmsKeySpec, dataKey: Uint8Array, ctx: KeyContext): Promise<KmsKey> {
  if (spec.role) throw new NotSupportedError('AWS KMS keys with a role to assume are not supported yet');
  const body: Record<string, unknown> = { KeyId: spec.arn, Plaintext: Buffer.from(dataKey).toString('base64') };
  if (Object.keys(spec.context).length > 0) body.EncryptionContext = spec.context;
  const out = await kmsCall('Encrypt', regionOf(spec.arn), body, ctx);
  if (typeof out.CiphertextBlob !== 'string') throw new UnavailableError('AWS KMS returned no CiphertextBlob');
  return { type: 'kms', ...spec, createdAt: '', enc: out.CiphertextBlob };
}

export async function unwrapKms(key: KmsKey, ctx: KeyContext): Promise<Buffer> {
  if (key.role) throw new NotSupportedError('AWS KMS keys with a role to assume are not supported yet');
  const body: Record<string, unknown> = { CiphertextBlob: key.enc, KeyId: key.arn };
  if (Object.keys(key.context).length > 0) body.EncryptionContext = key.context;
  const out = await kmsCall('Decrypt', regionOf(key.arn), body, ctx);
  if (typeof out.Plaintext !== 'string') throw new UnavailableError('AWS KMS returned no Plaintext');
  return Buffer.from(out.Plaintext, 'base64');
}
