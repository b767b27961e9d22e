/**
 * A stand-in for Azure Key Vault, Microsoft Entra ID's token endpoint and the
 * managed-identity endpoint (IMDS), for tests. It is a FAKE, used because no
 * real server can run here: the Lowkey Vault app jar is not served by the
 * Maven Central mirror this machine reaches (only its client libraries are),
 * and Entra ID and IMDS exist only in Azure.
 *
 * What it does implement is the wire protocol the real Azure SDK clients
 * speak (Key Vault REST 7.x: challenge authentication, secrets with versions,
 * tags, enabled flags and paged listing, keys as JSON Web Keys, certificates
 * as DER; OAuth 2.0 client credentials with secrets, certificate assertions
 * and federated tokens; IMDS tokens), and it checks credentials for real:
 * a client secret must match, a certificate assertion's signature must verify
 * against the registered certificate, a federated ServiceAccount token's
 * signature must verify against the cluster's keys with the expected issuer,
 * subject and audience, and the vault accepts only tokens it issued for its
 * resource. So a test that passes shows the provider authenticated the way
 * Azure would require.
 */
import { constants, createHash, createPublicKey, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes, verify, X509Certificate, type JsonWebKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { makeTestPki, type TestPki } from '../../util/testing/pki.ts';

export const KEY_VAULT_RESOURCE = 'https://vault.azure.net';
const PAGE_SIZE = 2;

export interface FakeAppRegistration {
  tenantId: string;
  clientId: string;
  secret?: string;
  /** PEM certificate whose key signs client assertions. */
  certificatePem?: string;
  /** A federated identity credential: tokens from this issuer, for this subject and audience. */
  federated?: { issuer: string; subject: string; audience: string; keys: JsonWebKey[] };
}

interface SecretVersion {
  version: string;
  value: string;
  enabled: boolean;
  contentType?: string | undefined;
  tags?: Record<string, string> | undefined;
  created: number;
  updated: number;
  exp?: number | undefined;
  nbf?: number | undefined;
}

interface IssuedToken {
  principal: string;
  resource: string;
  expiresAt: number;
}

export interface FakeAzureOptions {
  /** Lifetime of issued access tokens (default 3600 s). */
  tokenSeconds?: number;
  /**
   * The resource the vault's challenge names and its tokens must be for:
   * 'azure' (default) = https://vault.azure.net; 'self' = the fake's own
   * origin, as a vault outside Azure's clouds (e.g. Azure Stack) would say.
   */
  resource?: 'azure' | 'self';
}

export class FakeAzure {
  readonly pki: TestPki;
  /** https://127.0.0.1:<port>/ : vault and token endpoint share one TLS server. */
  readonly vaultUrl: string;
  /** Entra ID authority host (customCloudConfig.activeDirectoryEndpoint). */
  readonly authorityHost: string;
  /** http://127.0.0.1:<port> : the IMDS stand-in (AZURE_POD_IDENTITY_AUTHORITY_HOST). */
  readonly imdsUrl: string;
  readonly caPem: string;
  /** Token requests by kind, and vault requests by outcome, for assertions. */
  readonly counts = { tokens: 0, tokenRejected: 0, imdsTokens: 0, vaultCalls: 0, vaultUnauthorized: 0 };

  private readonly tls: Server;
  private readonly imds: Server;
  private readonly tokenSeconds: number;
  private readonly apps = new Map<string, FakeAppRegistration>();
  private readonly managedIdentities = new Set<string>();
  private readonly denied = new Set<string>();
  private readonly tokens = new Map<string, IssuedToken>();
  private readonly secrets = new Map<string, SecretVersion[]>();
  private readonly keys = new Map<string, { version: string; jwk: Record<string, unknown>; tags?: Record<string, string> | undefined; created: number }[]>();
  private readonly certs = new Map<string, { version: string; der: Buffer; tags?: Record<string, string> | undefined; created: number }[]>();
  private throttle = 0;
  private throttleRetryAfter: string | null = '1';
  /** Private halves of keys made by createRsaKey, by `name/version`: they serve encrypt/decrypt/wrapkey/unwrapkey. */
  private readonly privateKeys = new Map<string, KeyObject>();
  private readonly resource: string;

  private constructor(pki: TestPki, tls: Server, imds: Server, options: FakeAzureOptions) {
    this.pki = pki;
    this.tls = tls;
    this.imds = imds;
    this.caPem = pki.caPem;
    this.tokenSeconds = options.tokenSeconds ?? 3600;
    this.vaultUrl = `https://127.0.0.1:${(tls.address() as AddressInfo).port}/`;
    this.authorityHost = this.vaultUrl;
    this.imdsUrl = `http://127.0.0.1:${(imds.address() as AddressInfo).port}`;
    this.resource = options.resource === 'self' ? this.vaultUrl.replace(/\/$/, '') : KEY_VAULT_RESOURCE;
  }

  static async start(options: FakeAzureOptions = {}): Promise<FakeAzure> {
    const pki = makeTestPki();
    const box: { self?: FakeAzure } = {};
    const handler = (fn: (f: FakeAzure, req: IncomingMessage, body: string, res: ServerResponse) => void) => (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          fn(box.self!, req, Buffer.concat(chunks).toString('utf8'), res);
        } catch (err) {
          send(res, 500, { error: { code: 'InternalError', message: (err as Error).message } });
        }
      });
    };
    const tls = createHttpsServer({ cert: readFileSync(pki.serverCertPath), key: readFileSync(pki.serverKeyPath) }, handler((f, req, body, res) => f.onTls(req, body, res)));
    const imds = createHttpServer(handler((f, req, _body, res) => f.onImds(req, res)));
    await Promise.all([listen(tls), listen(imds)]);
    box.self = new FakeAzure(pki, tls, imds, options);
    return box.self;
  }

  async stop(): Promise<void> {
    for (const s of [this.tls, this.imds]) s.closeAllConnections();
    await Promise.all([this.tls, this.imds].map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.pki.cleanup();
  }

  // --- test setup ------------------------------------------------------------

  addApp(app: FakeAppRegistration): void {
    this.apps.set(`${app.tenantId}/${app.clientId}`, app);
  }

  /** A managed identity the IMDS stand-in hands tokens for ('' = the system-assigned one). */
  addManagedIdentity(clientId = ''): void {
    this.managedIdentities.add(clientId);
  }

  /** Principals (client IDs) the vault's access policy refuses. */
  deny(clientId: string): void {
    this.denied.add(clientId);
  }

  /** Answers the next `n` vault calls with 429 and this Retry-After (seconds; null sends none). */
  throttleNext(n: number, retryAfter: string | null = '1'): void {
    this.throttle = n;
    this.throttleRetryAfter = retryAfter;
  }

  /** Revokes every token issued so far (the vault answers 401 to them). */
  revokeTokens(): void {
    this.tokens.clear();
  }

  setSecret(name: string, value: string, opts: { tags?: Record<string, string>; enabled?: boolean; contentType?: string; expires?: Date } = {}): string {
    const now = Math.floor(Date.now() / 1000);
    const version = randomBytes(16).toString('hex');
    const list = this.secrets.get(name) ?? [];
    list.push({ version, value, enabled: opts.enabled ?? true, contentType: opts.contentType, tags: opts.tags, created: now, updated: now, exp: opts.expires ? Math.floor(opts.expires.getTime() / 1000) : undefined });
    this.secrets.set(name, list);
    return version;
  }

  /** Replaces the tags of a secret's latest version in place (Key Vault's UpdateSecret): the version id stays. */
  updateSecretTags(name: string, tags: Record<string, string>): void {
    const v = this.secrets.get(name)?.at(-1);
    if (!v) throw new Error(`no secret ${name}`);
    v.tags = { ...tags };
    v.updated = Math.floor(Date.now() / 1000);
  }

  deleteSecret(name: string): void {
    this.secrets.delete(name);
  }

  setKey(name: string, jwk: Record<string, unknown>, tags?: Record<string, string>): string {
    const version = randomBytes(16).toString('hex');
    const list = this.keys.get(name) ?? [];
    list.push({ version, jwk: { ...jwk, kid: `${this.vaultUrl}keys/${name}/${version}` }, tags, created: Math.floor(Date.now() / 1000) });
    this.keys.set(name, list);
    return version;
  }

  /** A new RSA key (or a new version of it) whose operations the vault performs; returns the version. */
  createRsaKey(name: string): string {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = publicKey.export({ format: 'jwk' });
    const version = this.setKey(name, { kty: 'RSA', key_ops: ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey'], n: jwk.n, e: jwk.e });
    this.privateKeys.set(`${name}/${version}`, privateKey);
    return version;
  }

  setCertificate(name: string, der: Buffer, tags?: Record<string, string>): string {
    const version = randomBytes(16).toString('hex');
    const list = this.certs.get(name) ?? [];
    list.push({ version, der, tags, created: Math.floor(Date.now() / 1000) });
    this.certs.set(name, list);
    return version;
  }

  // --- the TLS server: vault and token endpoint ------------------------------

  private onTls(req: IncomingMessage, body: string, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.vaultUrl);
    const token = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname);
    if (token && req.method === 'POST') return this.onToken(decodeURIComponent(token[1] as string), url, body, res);
    return this.onVault(req, url, body, res);
  }

  private onToken(tenantId: string, url: URL, body: string, res: ServerResponse): void {
    const form = new URLSearchParams(body);
    const clientId = form.get('client_id') ?? '';
    const reject = (status: number, error: string, description: string): void => {
      this.counts.tokenRejected++;
      send(res, status, { error, error_description: description, error_codes: [Number(/AADSTS(\d+)/.exec(description)?.[1] ?? 0)] });
    };
    const app = this.apps.get(`${tenantId}/${clientId}`);
    if (!app) return reject(400, 'unauthorized_client', `AADSTS700016: Application with identifier '${clientId}' was not found in the directory '${tenantId}'.`);
    if (form.get('grant_type') !== 'client_credentials') return reject(400, 'unsupported_grant_type', 'AADSTS70003: The app requested an unsupported grant type.');
    const scope = form.get('scope') ?? '';
    if (!scope.endsWith('/.default')) return reject(400, 'invalid_scope', `AADSTS1002012: The provided value for scope ${scope} is not valid.`);
    const secret = form.get('client_secret');
    const assertion = form.get('client_assertion');
    if (secret !== null) {
      if (app.secret === undefined || secret !== app.secret) return reject(401, 'invalid_client', `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`);
    } else if (assertion !== null) {
      if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') return reject(400, 'invalid_request', 'AADSTS50027: Invalid client assertion type.');
      const problem = this.checkAssertion(app, assertion, `${url.origin}${url.pathname}`);
      if (problem) return reject(401, 'invalid_client', problem);
    } else {
      return reject(401, 'invalid_client', "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    }
    this.counts.tokens++;
    send(res, 200, { token_type: 'Bearer', expires_in: this.tokenSeconds, ext_expires_in: this.tokenSeconds, access_token: this.issue(clientId, scope.replace(/\/\.default$/, '')) });
  }

  /** undefined when the assertion is acceptable, else Entra's kind of complaint. */
  private checkAssertion(app: FakeAppRegistration, jwt: string, tokenUrl: string): string | undefined {
    const parts = jwt.split('.');
    if (parts.length !== 3) return 'AADSTS50027: JWT token is invalid or malformed.';
    const [h, p, s] = parts as [string, string, string];
    let header: Record<string, unknown>;
    let claims: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<string, unknown>;
      claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      return 'AADSTS50027: JWT token is invalid or malformed.';
    }
    const now = Date.now() / 1000;
    if (typeof claims.exp !== 'number' || claims.exp < now) return 'AADSTS700024: Client assertion is not within its valid time range.';
    const signed = Buffer.from(`${h}.${p}`);
    const sig = Buffer.from(s, 'base64url');
    if (app.certificatePem && header.x5t !== undefined) {
      const cert = new X509Certificate(app.certificatePem);
      if (header.x5t !== createHash('sha1').update(cert.raw).digest('base64url')) return 'AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application.';
      if (!verifySig(String(header.alg), signed, cert.publicKey, sig)) return 'AADSTS7000274: Client assertion contains an invalid signature.';
      if (claims.aud !== tokenUrl) return `AADSTS700212: No matching federated identity record found for presented assertion audience '${String(claims.aud)}'.`;
      if (claims.iss !== app.clientId || claims.sub !== app.clientId) return 'AADSTS700023: Client assertion issuer and subject must be the client ID.';
      return undefined;
    }
    const fed = app.federated;
    if (!fed) return 'AADSTS700027: Client assertion failed signature validation.';
    const jwk = fed.keys.find((k) => (k as { kid?: string }).kid === header.kid) ?? fed.keys[0];
    if (!jwk || !verifySig(String(header.alg), signed, createPublicKey({ key: jwk, format: 'jwk' }), sig)) return 'AADSTS700027: Client assertion failed signature validation.';
    if (claims.iss !== fed.issuer) return `AADSTS700211: No matching federated identity record found for presented assertion issuer '${String(claims.iss)}'.`;
    if (claims.sub !== fed.subject) return `AADSTS700213: No matching federated identity record found for presented assertion subject '${String(claims.sub)}'.`;
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!aud.includes(fed.audience)) return `AADSTS700212: No matching federated identity record found for presented assertion audience '${aud.join(',')}'.`;
    return undefined;
  }

  private issue(principal: string, resource: string): string {
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, { principal, resource, expiresAt: Date.now() + this.tokenSeconds * 1000 });
    return token;
  }

  private onVault(req: IncomingMessage, url: URL, body: string, res: ServerResponse): void {
    this.counts.vaultCalls++;
    const challenge = `Bearer authorization="${this.authorityHost}fake-tenant", resource="${this.resource}"`;
    const auth = req.headers.authorization ?? '';
    const held = auth.startsWith('Bearer ') ? this.tokens.get(auth.slice(7)) : undefined;
    if (!held || held.expiresAt < Date.now() || held.resource !== this.resource) {
      if (auth !== '') this.counts.vaultUnauthorized++;
      res.setHeader('WWW-Authenticate', challenge);
      return send(res, 401, { error: { code: 'Unauthorized', message: auth === '' ? 'AKV10000: Request is missing a Bearer or PoP token.' : 'AKV10032: Invalid issuer or token.' } });
    }
    if (this.throttle > 0) {
      this.throttle--;
      if (this.throttleRetryAfter !== null) res.setHeader('Retry-After', this.throttleRetryAfter);
      return send(res, 429, { error: { code: 'Throttled', message: 'Request was not processed because too many requests were received.' } });
    }
    if (this.denied.has(held.principal)) {
      return send(res, 403, { error: { code: 'Forbidden', message: `The user, group or application 'appid=${held.principal}' does not have secrets get permission on key vault.`, innererror: { code: 'AccessDenied' } } });
    }
    const parts = url.pathname.split('/').filter((s) => s !== '').map(decodeURIComponent);
    if (req.method === 'POST' && parts[0] === 'keys' && parts.length === 4) return this.keyOperation(parts[1]!, parts[2]!, parts[3]!, body, res);
    if (req.method !== 'GET') return send(res, 405, { error: { code: 'BadParameter', message: 'read-only fake' } });
    const [collection, name, version] = parts as [string | undefined, string | undefined, string | undefined];
    if (collection === 'secrets' && name === undefined) return this.listSecrets(url, res);
    if (collection === 'secrets' && name !== undefined) return this.getSecret(name, version, res);
    if (collection === 'keys' && name !== undefined) return this.getKey(name, version, res);
    if (collection === 'certificates' && name !== undefined) return this.getCertificate(name, version, res);
    return send(res, 404, { error: { code: 'NotFound', message: `no route ${url.pathname}` } });
  }

  /** POST /keys/{name}/{version}/{encrypt|decrypt|wrapkey|unwrapkey} with RSA-OAEP-256 (the only algorithm sops uses). */
  private keyOperation(name: string, version: string, op: string, body: string, res: ServerResponse): void {
    const key = this.privateKeys.get(`${name}/${version}`);
    if (!key) return send(res, 404, { error: { code: 'KeyNotFound', message: `A key with (name/id) ${name}/${version} was not found in this key vault.` } });
    let req: { alg?: unknown; value?: unknown };
    try {
      req = JSON.parse(body) as typeof req;
    } catch {
      return send(res, 400, { error: { code: 'BadParameter', message: 'The request body is not JSON.' } });
    }
    if (req.alg !== 'RSA-OAEP-256') return send(res, 400, { error: { code: 'BadParameter', message: `Invalid algorithm ${String(req.alg)}; this fake serves RSA-OAEP-256 only.` } });
    if (typeof req.value !== 'string') return send(res, 400, { error: { code: 'BadParameter', message: 'value is required.' } });
    const input = Buffer.from(req.value, 'base64url');
    const oaep = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' };
    const kid = `${this.vaultUrl}keys/${name}/${version}`;
    if (op === 'encrypt' || op === 'wrapkey') {
      return send(res, 200, { kid, value: publicEncrypt({ key: createPublicKey(key), ...oaep }, input).toString('base64url') });
    }
    if (op === 'decrypt' || op === 'unwrapkey') {
      try {
        return send(res, 200, { kid, value: privateDecrypt({ key, ...oaep }, input).toString('base64url') });
      } catch {
        return send(res, 400, { error: { code: 'BadParameter', message: 'Error occurred while decrypting the ciphertext.' } });
      }
    }
    return send(res, 404, { error: { code: 'NotFound', message: `no key operation ${op}` } });
  }

  private getSecret(name: string, version: string | undefined, res: ServerResponse): void {
    const list = this.secrets.get(name);
    const v = version ? list?.find((x) => x.version === version) : list?.at(-1);
    if (!v) {
      const what = version ? `(name/id) ${name}/${version}` : `(name/id) ${name}`;
      return send(res, 404, { error: { code: 'SecretNotFound', message: `A secret with ${what} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command.` } });
    }
    if (!v.enabled) return send(res, 403, { error: { code: 'Forbidden', message: 'Operation get is not allowed on a disabled secret.', innererror: { code: 'SecretDisabled' } } });
    send(res, 200, { value: v.value, id: `${this.vaultUrl}secrets/${name}/${v.version}`, ...(v.contentType ? { contentType: v.contentType } : {}), attributes: this.attributes(v), ...(v.tags ? { tags: v.tags } : {}) });
  }

  private listSecrets(url: URL, res: ServerResponse): void {
    const names = [...this.secrets.keys()].sort();
    const skip = Number(url.searchParams.get('$skiptoken') ?? '0');
    const page = names.slice(skip, skip + PAGE_SIZE);
    const value = page.map((name) => {
      const v = this.secrets.get(name)!.at(-1)!;
      return { id: `${this.vaultUrl}secrets/${name}`, attributes: this.attributes(v), ...(v.tags ? { tags: v.tags } : {}), ...(v.contentType ? { contentType: v.contentType } : {}) };
    });
    const more = skip + PAGE_SIZE < names.length;
    send(res, 200, { value, nextLink: more ? `${this.vaultUrl}secrets?api-version=${url.searchParams.get('api-version') ?? '7.4'}&$skiptoken=${skip + PAGE_SIZE}` : null });
  }

  private attributes(v: SecretVersion): Record<string, unknown> {
    return { enabled: v.enabled, created: v.created, updated: v.updated, recoveryLevel: 'Recoverable+Purgeable', recoverableDays: 90, ...(v.exp ? { exp: v.exp } : {}), ...(v.nbf ? { nbf: v.nbf } : {}) };
  }

  private getKey(name: string, version: string | undefined, res: ServerResponse): void {
    const list = this.keys.get(name);
    const k = version ? list?.find((x) => x.version === version) : list?.at(-1);
    if (!k) return send(res, 404, { error: { code: 'KeyNotFound', message: `A key with (name/id) ${name} was not found in this key vault.` } });
    send(res, 200, { key: k.jwk, attributes: { enabled: true, created: k.created, updated: k.created, recoveryLevel: 'Recoverable+Purgeable' }, ...(k.tags ? { tags: k.tags } : {}) });
  }

  private getCertificate(name: string, version: string | undefined, res: ServerResponse): void {
    const list = this.certs.get(name);
    const c = version ? list?.find((x) => x.version === version) : list?.at(-1);
    if (!c) return send(res, 404, { error: { code: 'CertificateNotFound', message: `A certificate with (name/id) ${name} was not found in this key vault.` } });
    send(res, 200, {
      id: `${this.vaultUrl}certificates/${name}/${c.version}`,
      kid: `${this.vaultUrl}keys/${name}/${c.version}`,
      sid: `${this.vaultUrl}secrets/${name}/${c.version}`,
      x5t: createHash('sha1').update(c.der).digest('base64url'),
      cer: c.der.toString('base64'),
      attributes: { enabled: true, created: c.created, updated: c.created, recoveryLevel: 'Recoverable+Purgeable' },
      ...(c.tags ? { tags: c.tags } : {}),
    });
  }

  // --- the IMDS stand-in -------------------------------------------------------

  private onImds(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.imdsUrl);
    if (url.pathname !== '/metadata/identity/oauth2/token') return send(res, 404, { error: 'not_found' });
    if (req.headers.metadata !== 'true') return send(res, 400, { error: 'invalid_request', error_description: 'Required metadata header not specified' });
    const resource = url.searchParams.get('resource') ?? '';
    const clientId = url.searchParams.get('client_id') ?? '';
    if (!this.managedIdentities.has(clientId)) return send(res, 400, { error: 'invalid_request', error_description: 'Identity not found' });
    this.counts.imdsTokens++;
    const expiresOn = Math.floor(Date.now() / 1000) + this.tokenSeconds;
    send(res, 200, {
      access_token: this.issue(clientId === '' ? 'system-assigned' : clientId, resource),
      expires_in: String(this.tokenSeconds),
      expires_on: String(expiresOn),
      resource,
      token_type: 'Bearer',
    });
  }
}

function verifySig(alg: string, data: Buffer, key: ReturnType<typeof createPublicKey>, sig: Buffer): boolean {
  const hash = { RS256: 'sha256', RS384: 'sha384', RS512: 'sha512', ES256: 'sha256', ES384: 'sha384', ES512: 'sha512', PS256: 'sha256' }[alg];
  if (!hash) return false;
  try {
    return verify(hash, data, alg.startsWith('ES') ? { key, dsaEncoding: 'ieee-p1363' } : key, sig);
  } catch {
    return false;
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
}
