/**
 * Azure Key Vault key source: the data key is encrypted with the vault key's
 * `encrypt` operation, algorithm RSA-OAEP-256, and the result is stored as
 * unpadded base64url, exactly as sops' azkv key source does (it uses
 * encrypt/decrypt, not wrapKey/unwrapKey, so the key needs the encrypt and
 * decrypt operations). A key given without a version is pinned to its current
 * version when the data key is wrapped, as sops does.
 *
 * Credentials come from the environment as Azure's EnvironmentCredential and
 * WorkloadIdentityCredential read them: AZURE_TENANT_ID and AZURE_CLIENT_ID
 * with AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH (PEM with the
 * certificate and its key) or AZURE_FEDERATED_TOKEN_FILE; the authority is
 * AZURE_AUTHORITY_HOST (default login.microsoftonline.com). HTTPS trusts the
 * system roots, or only SSL_CERT_FILE when that is set (as Go, and so sops,
 * does). Managed identity and the Azure CLI's login are not used.
 *
 * The token's resource is fixed for the Azure clouds' vault domains; for any
 * other host it is taken from the vault's 401 challenge, and only if it names
 * the vault's own host or a parent domain of it (the check Azure's own
 * clients make), so a file naming a hostile vault cannot obtain a token for
 * another service.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { certificateAssertion, parseCertificatePem } from '../../providers/azurekv/auth/servicePrincipal.ts';
import { defaultScope, tokenEndpoint } from '../../providers/azurekv/cloud.ts';
import { HttpClient, HttpTransportError, type HttpResponse } from '../../providers/util/http.ts';
import { redactStoreText } from '../../util/redact.ts';
import { AccessDeniedError, AuthError, InvalidConfigError, InvalidDataError, NotFoundError, ThrottledError, UnavailableError } from '../../util/errors.ts';
import type { AzureKey } from '../metadata.ts';
import { keyServiceEgress, type KeyContext } from './types.ts';

const API_VERSION = '7.4';
const ALGORITHM = 'RSA-OAEP-256';
const DEFAULT_AUTHORITY = 'https://login.microsoftonline.com/';
const EXPIRY_MARGIN_MS = 60_000;
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Vault domains whose token resource is known without asking (Key Vault and Managed HSM, per cloud). */
const KNOWN_RESOURCES: Array<[suffix: string, resource: string]> = [
  ['.vault.azure.net', 'https://vault.azure.net'],
  ['.vault.azure.cn', 'https://vault.azure.cn'],
  ['.vault.usgovcloudapi.net', 'https://vault.usgovcloudapi.net'],
  ['.vault.microsoftazure.de', 'https://vault.microsoftazure.de'],
  ['.managedhsm.azure.net', 'https://managedhsm.azure.net'],
  ['.managedhsm.azure.cn', 'https://managedhsm.azure.cn'],
  ['.managedhsm.usgovcloudapi.net', 'https://managedhsm.usgovcloudapi.net'],
];

export interface AzureKeySpec {
  vaultUrl: string;
  name: string;
  /** '' = the key's current version, resolved when wrapping. */
  version: string;
}

/** Parses `https://<vault>/keys/<name>[/<version>]` (sops' --azure-kv and `azure_keyvault` form). */
export function parseAzureKeyUrl(url: string): AzureKeySpec {
  const m = /^(https:\/\/[^/]+)\/keys\/([^/]+)(\/[^/]*)?$/.exec(url.trim());
  if (!m) throw new InvalidConfigError(`${JSON.stringify(url.trim().slice(0, 200))} is not an Azure Key Vault key URL (https://<vault>.vault.azure.net/keys/<name>[/<version>])`);
  return { vaultUrl: m[1]!, name: m[2]!, version: (m[3] ?? '').slice(1) };
}

/** The `key_groups` form: {vaultUrl, key, version}. */
export function azureKeyFromFields(vaultUrl: string, name: string, version: string): AzureKeySpec {
  return parseAzureKeyUrl(`${vaultUrl.replace(/\/+$/, '')}/keys/${name}${version ? `/${version}` : ''}`);
}

function describe(spec: AzureKeySpec): string {
  return `${spec.vaultUrl}/keys/${spec.name}${spec.version ? `/${spec.version}` : ''}`;
}

// --- transport -----------------------------------------------------------------

function tlsCa(ctx: KeyContext): string[] | undefined {
  const file = ctx.env.SSL_CERT_FILE;
  if (!file) return undefined;
  try {
    return [readFileSync(file, 'utf8')];
  } catch {
    throw new InvalidConfigError(`SSL_CERT_FILE names ${file}, which cannot be read`);
  }
}

async function send(url: string, method: string, ctx: KeyContext, what: string, opts: { headers?: Record<string, string>; json?: unknown; form?: Record<string, string> }): Promise<HttpResponse> {
  const u = new URL(url);
  const client = new HttpClient(u.origin, { ca: tlsCa(ctx), timeoutMs: ctx.timeoutMs ?? 15_000, egress: keyServiceEgress(ctx), maxResponseBytes: ctx.maxResponseBytes });
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  let body: string | undefined;
  if (opts.form) {
    body = new URLSearchParams(opts.form).toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  try {
    return await client.request({ method, path: u.pathname + u.search, headers, body, json: opts.json });
  } catch (err) {
    if (err instanceof HttpTransportError) {
      const hint = err.kind === 'tls' ? ' (a private CA? point SSL_CERT_FILE at its PEM)' : '';
      throw new UnavailableError(`${what} at ${u.origin} failed: ${err.message}${hint}`);
    }
    throw err;
  } finally {
    client.close();
  }
}

function jsonOf(res: HttpResponse): Record<string, unknown> {
  try {
    const v = JSON.parse(res.body.toString('utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

// --- credentials ------------------------------------------------------------------

interface Credential {
  id: string;
  what: string;
  tenantId: string;
  clientId: string;
  /** The client_secret or client_assertion form fields, made fresh per request. */
  proof(tokenUrl: string): Record<string, string>;
  /** Credentials sent, cut out of any error text. */
  secrets: string[];
}

function credential(ctx: KeyContext): Credential {
  const env = ctx.env;
  const tenantId = env.AZURE_TENANT_ID ?? '';
  const clientId = env.AZURE_CLIENT_ID ?? '';
  const hash = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 32);
  if (tenantId && clientId && env.AZURE_CLIENT_SECRET) {
    const secret = env.AZURE_CLIENT_SECRET;
    return { id: `secret:${tenantId}:${clientId}:${hash(secret)}`, what: `client secret of app ${clientId}`, tenantId, clientId, proof: () => ({ client_secret: secret }), secrets: [secret] };
  }
  if (tenantId && clientId && env.AZURE_CLIENT_CERTIFICATE_PATH) {
    const path = env.AZURE_CLIENT_CERTIFICATE_PATH;
    let pem: string;
    try {
      pem = readFileSync(path, 'utf8');
    } catch {
      throw new InvalidConfigError(`AZURE_CLIENT_CERTIFICATE_PATH names ${path}, which cannot be read`);
    }
    let cert: ReturnType<typeof parseCertificatePem>;
    try {
      cert = parseCertificatePem(pem);
    } catch (err) {
      throw new InvalidConfigError(`AZURE_CLIENT_CERTIFICATE_PATH (${path}): ${(err as Error).message.replace(/^azurekv authSecretRef\.clientCertificate: /, '')}`);
    }
    return {
      id: `cert:${tenantId}:${clientId}:${hash(pem)}`,
      what: `client certificate of app ${clientId}`,
      tenantId,
      clientId,
      proof: (tokenUrl) => ({ client_assertion_type: JWT_BEARER, client_assertion: certificateAssertion(cert, clientId, tokenUrl) }),
      secrets: [],
    };
  }
  if (tenantId && clientId && env.AZURE_FEDERATED_TOKEN_FILE) {
    const file = env.AZURE_FEDERATED_TOKEN_FILE;
    return {
      id: `federated:${tenantId}:${clientId}:${file}`,
      what: `workload identity of app ${clientId}`,
      tenantId,
      clientId,
      proof: () => {
        try {
          // Re-read every time: the kubelet rotates the projected token.
          return { client_assertion_type: JWT_BEARER, client_assertion: readFileSync(file, 'utf8').trim() };
        } catch {
          throw new InvalidConfigError(`AZURE_FEDERATED_TOKEN_FILE names ${file}, which cannot be read`);
        }
      },
      secrets: [],
    };
  }
  throw new AuthError(
    'no Azure credentials: set AZURE_TENANT_ID and AZURE_CLIENT_ID with AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH or AZURE_FEDERATED_TOKEN_FILE (managed identity and the Azure CLI login are not supported)',
  );
}

const tokenCache = new Map<string, Promise<{ token: string; expiresAt: number }>>();

async function fetchToken(cred: Credential, scope: string, ctx: KeyContext): Promise<{ token: string; expiresAt: number }> {
  const url = tokenEndpoint(ctx.env.AZURE_AUTHORITY_HOST || DEFAULT_AUTHORITY, cred.tenantId);
  const proof = cred.proof(url);
  const what = `Entra ID token request (${cred.what}, tenant ${cred.tenantId})`;
  const res = await send(url, 'POST', ctx, what, { form: { grant_type: 'client_credentials', client_id: cred.clientId, scope, ...proof } });
  const json = jsonOf(res);
  if (res.status !== 200) {
    const reason = redactStoreText([json.error, json.error_description].filter((x) => typeof x === 'string').join(': '), [...cred.secrets, ...Object.values(proof)]);
    const msg = `${what} was refused (HTTP ${res.status}${reason ? `: ${reason}` : ''})`;
    if (res.status === 429) throw new ThrottledError(msg);
    if (res.status >= 500) throw new UnavailableError(msg);
    throw new AuthError(msg);
  }
  const token = json.access_token;
  if (typeof token !== 'string' || token === '') throw new AuthError(`${what}: the answer has no access_token`);
  const secs = Number(json.expires_in);
  return { token, expiresAt: Date.now() + (Number.isFinite(secs) && secs > 0 ? secs : 3600) * 1000 };
}

async function accessToken(cred: Credential, resource: string, ctx: KeyContext): Promise<string> {
  const key = `${cred.id}|${resource}`;
  const hit = tokenCache.get(key);
  if (hit) {
    const t = await hit.catch(() => undefined);
    if (t && t.expiresAt - EXPIRY_MARGIN_MS > Date.now()) return t.token;
    if (tokenCache.get(key) === hit) tokenCache.delete(key);
  }
  const p = fetchToken(cred, defaultScope(resource), ctx);
  tokenCache.set(key, p);
  try {
    return (await p).token;
  } catch (err) {
    if (tokenCache.get(key) === p) tokenCache.delete(key);
    throw err;
  }
}

// --- the vault ------------------------------------------------------------------

const resourceByVault = new Map<string, string>();

/** The `resource` (or `scope`) parameter of a `WWW-Authenticate: Bearer ...` challenge. */
function challengeResource(header: string | string[] | undefined): string | undefined {
  const h = Array.isArray(header) ? header.join(', ') : (header ?? '');
  const params = new Map<string, string>();
  for (const m of h.matchAll(/(\w+)="([^"]*)"/g)) params.set(m[1]!, m[2]!);
  const r = params.get('scope') ?? params.get('resource');
  return r ? r.replace(/\/\.default$/, '') : undefined;
}

async function vaultResource(vaultUrl: string, ctx: KeyContext): Promise<string> {
  const u = new URL(vaultUrl);
  const known = KNOWN_RESOURCES.find(([suffix]) => u.hostname.toLowerCase().endsWith(suffix));
  if (known) return known[1];
  const cached = resourceByVault.get(u.origin);
  if (cached) return cached;
  // Ask the vault: an unauthenticated request answers 401 with its challenge.
  const res = await send(`${u.origin}/keys?api-version=${API_VERSION}&maxresults=1`, 'GET', ctx, 'Key Vault authentication challenge', {});
  const resource = challengeResource(res.headers['www-authenticate']);
  if (res.status !== 401 || resource === undefined) {
    throw new UnavailableError(`${u.origin} did not answer with a Key Vault authentication challenge (HTTP ${res.status}); is it a Key Vault?`);
  }
  let rhost: string;
  try {
    rhost = new URL(resource).host.toLowerCase();
  } catch {
    throw new AuthError(`the Key Vault at ${u.origin} asked for a token for ${JSON.stringify(resource.slice(0, 100))}, which is not a URL`);
  }
  const vhost = u.host.toLowerCase();
  if (rhost !== vhost && !vhost.endsWith(`.${rhost}`)) {
    throw new AuthError(`the Key Vault at ${u.origin} asked for a token for ${resource}, which is not its own domain; refusing`);
  }
  resourceByVault.set(u.origin, resource);
  return resource;
}

async function vaultCall(spec: AzureKeySpec, method: 'GET' | 'POST', path: string, json: unknown, op: string, ctx: KeyContext): Promise<Record<string, unknown>> {
  const cred = credential(ctx);
  const resource = await vaultResource(spec.vaultUrl, ctx);
  const url = `${spec.vaultUrl}${path}?api-version=${API_VERSION}`;
  const what = `Azure Key Vault ${op} with key ${describe(spec)}`;
  for (let attempt = 0; ; attempt++) {
    const token = await accessToken(cred, resource, ctx);
    const res = await send(url, method, ctx, what, { headers: { authorization: `Bearer ${token}` }, json });
    const body = jsonOf(res);
    if (res.status >= 200 && res.status < 300) return body;
    // A token the vault no longer accepts: get a new one, once.
    if (res.status === 401 && attempt === 0) {
      tokenCache.delete(`${cred.id}|${resource}`);
      continue;
    }
    const e = typeof body.error === 'object' && body.error !== null ? (body.error as Record<string, unknown>) : {};
    const reason = [e.code, e.message].filter((x) => typeof x === 'string').join(': ').slice(0, 300);
    const msg = `${what} failed (HTTP ${res.status}${reason ? `: ${reason}` : ''}; credentials: ${cred.what})`;
    if (res.status === 401) throw new AuthError(msg);
    if (res.status === 403) throw new AccessDeniedError(msg);
    if (res.status === 404) throw new NotFoundError(msg);
    if (res.status === 429) throw new ThrottledError(msg);
    if (res.status === 400) throw new InvalidDataError(msg);
    throw new UnavailableError(msg);
  }
}

function keyPath(spec: AzureKeySpec): string {
  return `/keys/${encodeURIComponent(spec.name)}/${encodeURIComponent(spec.version)}`;
}

/** The current version of a key named without one (what sops pins at encryption). */
async function currentVersion(spec: AzureKeySpec, ctx: KeyContext): Promise<string> {
  const body = await vaultCall(spec, 'GET', `/keys/${encodeURIComponent(spec.name)}`, undefined, 'get', ctx);
  const kid = (body.key as { kid?: unknown } | undefined)?.kid;
  const version = typeof kid === 'string' ? /\/keys\/[^/]+\/([^/?]+)/.exec(kid)?.[1] : undefined;
  if (!version) throw new UnavailableError(`Azure Key Vault key ${describe(spec)}: the answer names no key version`);
  return version;
}

export async function wrapAzureKv(spec: AzureKeySpec, dataKey: Uint8Array, ctx: KeyContext): Promise<AzureKey> {
  const s = parseAzureKeyUrl(describe(spec));
  if (!s.version) s.version = await currentVersion(s, ctx);
  const out = await vaultCall(s, 'POST', `${keyPath(s)}/encrypt`, { alg: ALGORITHM, value: Buffer.from(dataKey).toString('base64url') }, 'encrypt', ctx);
  if (typeof out.value !== 'string' || out.value === '') throw new UnavailableError(`Azure Key Vault encrypt with key ${describe(s)} returned no value`);
  return { type: 'azure_kv', vaultUrl: s.vaultUrl, name: s.name, version: s.version, createdAt: '', enc: Buffer.from(out.value, 'base64url').toString('base64url') };
}

export async function unwrapAzureKv(key: AzureKey, ctx: KeyContext): Promise<Buffer> {
  const spec = azureKeyFromFields(key.vaultUrl, key.name, key.version);
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(key.enc)) throw new InvalidDataError(`the data key wrapped for Azure Key Vault key ${describe(spec)} is not base64url`);
  const out = await vaultCall(spec, 'POST', `${keyPath(spec)}/decrypt`, { alg: ALGORITHM, value: key.enc.replace(/=+$/, '') }, 'decrypt', ctx);
  if (typeof out.value !== 'string') throw new UnavailableError(`Azure Key Vault decrypt with key ${describe(spec)} returned no value`);
  return Buffer.from(out.value, 'base64url');
}

/** Forgets cached tokens and vault resources (tests; after a credential change). */
export function clearAzureCaches(): void {
  tokenCache.clear();
  resourceByVault.clear();
}
