/**
 * GCP Cloud KMS key source: the data key is the plaintext of Cloud KMS
 * `Encrypt` on the CryptoKey `resource_id`, and the standard base64 of the
 * returned ciphertext is stored, as sops does (its `enc` keeps the base64 form
 * older sops versions wrote). Spoken over Cloud KMS's REST API.
 *
 * Credentials, in sops' order: GOOGLE_CREDENTIALS (a credentials file's path
 * or its JSON), GOOGLE_OAUTH_ACCESS_TOKEN (used as is), then Google's
 * application default credentials: GOOGLE_APPLICATION_CREDENTIALS, the gcloud
 * ADC file, the metadata server. Credential files may be service account keys
 * (JWT bearer grant at the key's token_uri) or `authorized_user` files
 * (refresh-token grant). The endpoint is SOPS_GCP_KMS_ENDPOINT when set (the
 * variable sops reads; `host[:port]` means https), else
 * cloudkms.<SOPS_GCP_KMS_UNIVERSE_DOMAIN or googleapis.com>.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseServiceAccountKey, signAssertion } from '../../providers/gcpsm/auth/serviceaccountkey.ts';
import { AccessDeniedError, AuthError, InvalidConfigError, InvalidDataError, NotFoundError, ThrottledError, UnavailableError } from '../../util/errors.ts';
import type { GcpKmsKey } from '../metadata.ts';
import type { KeyContext } from './types.ts';

const RESOURCE_ID = /^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/;
const SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
const DEFAULT_TOKEN_URI = 'https://oauth2.googleapis.com/token';
/** A cached token is replaced this long before it expires (Google's libraries use a similar margin). */
const EXPIRY_MARGIN_MS = 60_000;
const METADATA_TIMEOUT_MS = 2_000;

/** Checks a CryptoKey resource id as sops does (it refuses anything else before calling KMS). */
export function parseGcpKmsResourceId(s: string): string {
  const id = s.trim();
  if (!RESOURCE_ID.test(id)) {
    throw new InvalidConfigError(`${JSON.stringify(id.slice(0, 200))} is not a GCP KMS key resource id (projects/P/locations/L/keyRings/R/cryptoKeys/K)`);
  }
  return id;
}

export function kmsEndpoint(env: NodeJS.ProcessEnv): string {
  const e = env.SOPS_GCP_KMS_ENDPOINT?.trim();
  if (e) return (/^https?:\/\//.test(e) ? e : `https://${e}`).replace(/\/+$/, '');
  const ud = env.SOPS_GCP_KMS_UNIVERSE_DOMAIN?.trim();
  return `https://cloudkms.${ud || 'googleapis.com'}`;
}

// --- credentials --------------------------------------------------------------

interface TokenSource {
  /** Identifies the credential for the cache (a hash, never the credential). */
  id: string;
  /** What it is, for messages ("service account sa@p.iam.gserviceaccount.com"). */
  what: string;
  /** False for a fixed token: a rejected one cannot be replaced. */
  refreshable: boolean;
  fetch(ctx: KeyContext): Promise<{ token: string; expiresAt: number }>;
}

interface Cached {
  promise: Promise<{ token: string; expiresAt: number }>;
}

/** Tokens by credential, for the life of the process: one exchange serves every key of a file. */
const tokenCache = new Map<string, Cached>();

function hashId(kind: string, material: string): string {
  return `${kind}:${createHash('sha256').update(material).digest('hex').slice(0, 32)}`;
}

function readCredentialsEnv(v: string): { json: string; where: string } {
  // sops: a path if such a file exists, else the JSON itself.
  try {
    if (statSync(v).isFile()) return { json: readFileSync(v, 'utf8'), where: `GOOGLE_CREDENTIALS (${v})` };
  } catch {
    // not a path
  }
  return { json: v, where: 'GOOGLE_CREDENTIALS' };
}

function readFileSource(path: string, where: string): { json: string; where: string } | undefined {
  try {
    return { json: readFileSync(path, 'utf8'), where: `${where} (${path})` };
  } catch {
    return undefined;
  }
}

async function postForm(url: string, form: Record<string, string>, what: string, ctx: KeyContext): Promise<Record<string, unknown>> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(form).toString(),
      signal: AbortSignal.timeout(ctx.timeoutMs ?? 15_000),
    });
  } catch (err) {
    throw new UnavailableError(`${what} at ${new URL(url).origin} failed: ${(err as Error).message}`);
  }
  const json = await jsonOf(res);
  if (!res.ok) {
    const desc = [json.error, json.error_description].filter((x) => typeof x === 'string').join(': ').slice(0, 200);
    const msg = `${what} was refused (HTTP ${res.status}${desc ? `: ${desc}` : ''})`;
    if (res.status >= 500) throw new UnavailableError(msg);
    if (res.status === 429) throw new ThrottledError(msg);
    throw new AuthError(msg);
  }
  return json;
}

function tokenAnswer(json: Record<string, unknown>, what: string): { token: string; expiresAt: number } {
  const token = json.access_token;
  if (typeof token !== 'string' || token === '') throw new AuthError(`${what}: the answer has no access_token`);
  const secs = Number(json.expires_in);
  return { token, expiresAt: Date.now() + (Number.isFinite(secs) && secs > 0 ? secs : 3600) * 1000 };
}

function sourceFromJson(json: string, where: string): TokenSource {
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(json) as Record<string, unknown>;
  } catch {
    throw new InvalidConfigError(`${where}: not a Google credentials JSON file`);
  }
  if (obj?.type === 'authorized_user') {
    const { client_id: clientId, client_secret: clientSecret, refresh_token: refreshToken } = obj;
    if (typeof clientId !== 'string' || typeof clientSecret !== 'string' || typeof refreshToken !== 'string') {
      throw new InvalidConfigError(`${where}: an authorized_user file needs client_id, client_secret and refresh_token`);
    }
    const tokenUri = typeof obj.token_uri === 'string' && obj.token_uri ? obj.token_uri : DEFAULT_TOKEN_URI;
    const what = `Google user credentials from ${where}`;
    return {
      id: hashId('user', json),
      what,
      refreshable: true,
      fetch: async (ctx) =>
        tokenAnswer(await postForm(tokenUri, { grant_type: 'refresh_token', client_id: clientId, client_secret: clientSecret, refresh_token: refreshToken }, `the token refresh for ${what}`, ctx), what),
    };
  }
  const key = parseServiceAccountKey(json, where);
  const what = `service account ${key.clientEmail}`;
  return {
    id: hashId('sa', json),
    what,
    refreshable: true,
    fetch: async (ctx) => {
      const form = { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: signAssertion(key, Date.now()) };
      return tokenAnswer(await postForm(key.tokenUri, form, `the token exchange for ${what}`, ctx), what);
    },
  };
}

function metadataSource(env: NodeJS.ProcessEnv): TokenSource {
  const host = env.GCE_METADATA_HOST || '169.254.169.254';
  const url = `http://${host}/computeMetadata/v1/instance/service-accounts/default/token?scopes=${encodeURIComponent(SCOPE)}`;
  return {
    id: `metadata:${host}`,
    what: `the GCE metadata server at ${host}`,
    refreshable: true,
    fetch: async () => {
      let res: Response;
      try {
        res = await fetch(url, { headers: { 'metadata-flavor': 'Google' }, signal: AbortSignal.timeout(METADATA_TIMEOUT_MS) });
      } catch (err) {
        throw new AuthError(
          `no Google credentials: set GOOGLE_OAUTH_ACCESS_TOKEN, GOOGLE_CREDENTIALS or GOOGLE_APPLICATION_CREDENTIALS, or run on Google Cloud (the metadata server at ${host} did not answer: ${(err as Error).message})`,
        );
      }
      const json = await jsonOf(res);
      if (!res.ok) throw new AuthError(`the GCE metadata server at ${host} refused a token (HTTP ${res.status})`);
      return tokenAnswer(json, `the GCE metadata server at ${host}`);
    },
  };
}

/** Picks the credential the way sops (and then Google's default credentials) would. */
function tokenSource(ctx: KeyContext): TokenSource {
  const env = ctx.env;
  if (env.GOOGLE_CREDENTIALS) {
    const { json, where } = readCredentialsEnv(env.GOOGLE_CREDENTIALS);
    return sourceFromJson(json, where);
  }
  const fixed = env.GOOGLE_OAUTH_ACCESS_TOKEN;
  if (fixed) {
    return { id: hashId('token', fixed), what: 'GOOGLE_OAUTH_ACCESS_TOKEN', refreshable: false, fetch: () => Promise.resolve({ token: fixed, expiresAt: Number.POSITIVE_INFINITY }) };
  }
  if (env.GOOGLE_APPLICATION_CREDENTIALS) {
    const f = readFileSource(env.GOOGLE_APPLICATION_CREDENTIALS, 'GOOGLE_APPLICATION_CREDENTIALS');
    if (!f) throw new InvalidConfigError(`GOOGLE_APPLICATION_CREDENTIALS names ${env.GOOGLE_APPLICATION_CREDENTIALS}, which cannot be read`);
    return sourceFromJson(f.json, f.where);
  }
  const gcloudDir = env.CLOUDSDK_CONFIG || (ctx.home ? join(ctx.home, '.config', 'gcloud') : '');
  const adc = gcloudDir ? readFileSource(join(gcloudDir, 'application_default_credentials.json'), 'the gcloud application default credentials') : undefined;
  if (adc) return sourceFromJson(adc.json, adc.where);
  if (ctx.gcpMetadataCredentials) return metadataSource(env);
  throw new AuthError('no Google credentials: set GOOGLE_OAUTH_ACCESS_TOKEN, GOOGLE_CREDENTIALS or GOOGLE_APPLICATION_CREDENTIALS');
}

async function accessToken(source: TokenSource, ctx: KeyContext): Promise<string> {
  const hit = tokenCache.get(source.id);
  if (hit) {
    const t = await hit.promise.catch(() => undefined);
    if (t && t.expiresAt - EXPIRY_MARGIN_MS > Date.now()) return t.token;
    if (tokenCache.get(source.id) === hit) tokenCache.delete(source.id);
  }
  const entry: Cached = { promise: source.fetch(ctx) };
  tokenCache.set(source.id, entry);
  try {
    return (await entry.promise).token;
  } catch (err) {
    // A failed exchange is not cached: the next call tries again.
    if (tokenCache.get(source.id) === entry) tokenCache.delete(source.id);
    throw err;
  }
}

// --- the KMS calls ----------------------------------------------------------------

async function jsonOf(res: Response): Promise<Record<string, unknown>> {
  const text = await res.text();
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Google's error body: {error: {code, message, status}}. */
function googleError(json: Record<string, unknown>): { status: string; message: string } {
  const e = json.error;
  if (typeof e !== 'object' || e === null) return { status: '', message: '' };
  const o = e as Record<string, unknown>;
  return { status: typeof o.status === 'string' ? o.status : '', message: typeof o.message === 'string' ? o.message.slice(0, 300) : '' };
}

async function kmsCall(resourceId: string, op: 'encrypt' | 'decrypt', body: Record<string, string>, ctx: KeyContext): Promise<Record<string, unknown>> {
  const id = parseGcpKmsResourceId(resourceId);
  const source = tokenSource(ctx);
  const url = `${kmsEndpoint(ctx.env)}/v1/${id}:${op}`;
  const name = `GCP KMS ${op} with key ${id}`;
  for (let attempt = 0; ; attempt++) {
    const token = await accessToken(source, ctx);
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-goog-request-params': `name=${encodeURIComponent(id)}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(ctx.timeoutMs ?? 15_000),
      });
    } catch (err) {
      throw new UnavailableError(`${name} at ${new URL(url).origin} failed: ${(err as Error).message}`);
    }
    const json = await jsonOf(res);
    if (res.ok) return json;
    // A token revoked or expired early: drop it and try once with a new one.
    if (res.status === 401 && attempt === 0 && source.refreshable) {
      tokenCache.delete(source.id);
      continue;
    }
    const { status, message } = googleError(json);
    const msg = `${name} failed: ${status || `HTTP ${res.status}`}${message ? `: ${message}` : ''} (credentials: ${source.what})`;
    if (res.status === 401) throw new AuthError(msg);
    if (res.status === 403) throw new AccessDeniedError(msg);
    if (res.status === 404) throw new NotFoundError(msg);
    if (res.status === 429) throw new ThrottledError(msg);
    if (res.status === 400) throw new InvalidDataError(msg);
    throw new UnavailableError(msg);
  }
}

export async function wrapGcpKms(resourceId: string, dataKey: Uint8Array, ctx: KeyContext): Promise<GcpKmsKey> {
  const id = parseGcpKmsResourceId(resourceId);
  const out = await kmsCall(id, 'encrypt', { plaintext: Buffer.from(dataKey).toString('base64') }, ctx);
  if (typeof out.ciphertext !== 'string' || out.ciphertext === '') throw new UnavailableError(`GCP KMS encrypt with key ${id} returned no ciphertext`);
  // Cloud KMS answers standard base64 already; re-encoding normalises any URL-safe form.
  return { type: 'gcp_kms', resourceId: id, createdAt: '', enc: Buffer.from(out.ciphertext, 'base64').toString('base64') };
}

export async function unwrapGcpKms(key: GcpKmsKey, ctx: KeyContext): Promise<Buffer> {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(key.enc) || key.enc.length % 4 !== 0) {
    throw new InvalidDataError(`the data key wrapped for GCP KMS key ${key.resourceId} is not base64`);
  }
  const out = await kmsCall(key.resourceId, 'decrypt', { ciphertext: key.enc }, ctx);
  if (typeof out.plaintext !== 'string') throw new UnavailableError(`GCP KMS decrypt with key ${key.resourceId} returned no plaintext`);
  return Buffer.from(out.plaintext, 'base64');
}

/** Forgets cached access tokens (tests; a long-lived process after a credential change). */
export function clearGcpTokenCache(): void {
  tokenCache.clear();
}
