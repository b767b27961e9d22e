/**
 * auth.secretRef.secretAccessKeySecretRef: a service account key (the JSON
 * file `gcloud iam service-accounts keys create` writes) kept in a Secret.
 * The key signs a JWT that the key's `token_uri` exchanges for an access
 * token (RFC 7523 JWT bearer grant), as Google's libraries do.
 *
 * The Secret is read again at every token refresh (hourly), so a rotated key
 * is picked up without touching the store.
 */
import { createPrivateKey, createSign, type KeyObject } from 'node:crypto';
import { InvalidConfigError } from '../../../util/errors.ts';
import { readSecretString } from '../../util/refs.ts';
import type { SecretKeyRef } from '../../util/spec.ts';
import { DEFAULT_TOKEN_URI } from '../endpoints.ts';
import { CLOUD_PLATFORM_SCOPE, observed, type AccessToken, type GcpAuthContext, type GcpAuthMethod } from './types.ts';

export interface ServiceAccountKey {
  clientEmail: string;
  privateKey: KeyObject;
  privateKeyId: string | undefined;
  tokenUri: string;
}

/** Parses a service account key file; the messages never quote its content. */
export function parseServiceAccountKey(json: string, what: string): ServiceAccountKey {
  let obj: unknown;
  try {
    obj = JSON.parse(json);
  } catch {
    throw new InvalidConfigError(`${what}: failed to process the provided JSON credentials: not valid JSON`);
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new InvalidConfigError(`${what}: failed to process the provided JSON credentials: not a JSON object`);
  const o = obj as Record<string, unknown>;
  if (o.type !== 'service_account') {
    const t = typeof o.type === 'string' ? JSON.stringify(o.type.slice(0, 40)) : 'missing';
    throw new InvalidConfigError(`${what}: failed to process the provided JSON credentials: 'type' field is ${t} (expected "service_account")`);
  }
  if (typeof o.client_email !== 'string' || o.client_email === '') throw new InvalidConfigError(`${what}: the service account key has no client_email`);
  if (typeof o.private_key !== 'string' || o.private_key === '') throw new InvalidConfigError(`${what}: the service account key has no private_key`);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(o.private_key);
  } catch {
    throw new InvalidConfigError(`${what}: the service account key's private_key is not a valid PEM private key`);
  }
  if (privateKey.asymmetricKeyType !== 'rsa') throw new InvalidConfigError(`${what}: the service account key's private_key is not an RSA key`);
  const tokenUri = typeof o.token_uri === 'string' && o.token_uri !== '' ? o.token_uri : DEFAULT_TOKEN_URI;
  try {
    const u = new URL(tokenUri);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('scheme');
  } catch {
    throw new InvalidConfigError(`${what}: the service account key's token_uri is not an http(s) URL`);
  }
  return {
    clientEmail: o.client_email,
    privateKey,
    privateKeyId: typeof o.private_key_id === 'string' && o.private_key_id !== '' ? o.private_key_id : undefined,
    tokenUri,
  };
}

/** The signed JWT assertion of the JWT bearer grant. */
export function signAssertion(key: ServiceAccountKey, nowMs: number): string {
  // golang.org/x/oauth2/jwt backdates iat by 10 s against clock skew; the assertion lives an hour.
  const iat = Math.floor(nowMs / 1000) - 10;
  const header = { alg: 'RS256', typ: 'JWT', ...(key.privateKeyId ? { kid: key.privateKeyId } : {}) };
  const claims = { iss: key.clientEmail, scope: CLOUD_PLATFORM_SCOPE, aud: key.tokenUri, exp: iat + 3600, iat };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = createSign('RSA-SHA256').update(input).sign(key.privateKey);
  return `${input}.${signature.toString('base64url')}`;
}

function b64url(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64url');
}

/** Exchanges a key for an access token at the key's token_uri. */
export async function exchangeServiceAccountKey(ctx: GcpAuthContext, key: ServiceAccountKey, signal: AbortSignal): Promise<AccessToken> {
  const assertion = signAssertion(key, Date.now());
  ctx.remember(assertion);
  const body = await ctx.http.call({
    url: key.tokenUri,
    form: { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion },
    what: `service account key token exchange for ${key.clientEmail}`,
    signal,
  });
  return accessTokenFrom(body, 'access_token', 'the token endpoint');
}

/** Reads `access_token` + `expires_in` (OAuth2) from a token answer. */
export function accessTokenFrom(body: Record<string, unknown>, field: string, who: string): AccessToken {
  const token = body[field];
  if (typeof token !== 'string' || token === '') throw new InvalidConfigError(`gcpsm: ${who} answered without an ${field}`);
  const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : typeof body.expires_in === 'string' ? Number(body.expires_in) : NaN;
  return { token, expiresAt: Number.isFinite(expiresIn) && expiresIn > 0 ? new Date(Date.now() + expiresIn * 1000) : undefined };
}

export function serviceAccountKeyAuth(secretRef: SecretKeyRef): GcpAuthMethod {
  return {
    name: 'service account key',
    async fetchToken(ctx: GcpAuthContext, signal: AbortSignal): Promise<AccessToken> {
      const what = 'gcpsm auth.secretRef.secretAccessKeySecretRef';
      const json = await readSecretString(ctx.kube, ctx.scope, secretRef, what);
      const key = parseServiceAccountKey(json, `${what} (Secret "${secretRef.name}", key "${secretRef.key}")`);
      return observed(ctx, 'GenerateAccessToken', () => exchangeServiceAccountKey(ctx, key, signal));
    },
  };
}
