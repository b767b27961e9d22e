/**
 * Google's token endpoints, faked for tests on one loopback HTTP server (no
 * real Google endpoint can run here). What it checks is what a real endpoint
 * would reject:
 *
 * - POST /token — OAuth2 JWT bearer grant of a service account key: the
 *   assertion's RS256 signature against the key registered for its `iss`,
 *   `aud` = this endpoint, the cloud-platform scope, and `exp` in the future.
 *   Answers `invalid_grant` like Google otherwise.
 * - POST /v1/identitybindingtoken — GKE's STS exchange: the grant and token
 *   types, the `identitynamespace:<pool>:<provider>` audience, and that the
 *   subject token's claims name a ServiceAccount and include the pool as an
 *   audience. The fake does NOT verify the Kubernetes token's signature (a
 *   real STS does, with the cluster's OIDC keys); the tests mint it through
 *   the real kube-apiserver's TokenRequest instead.
 * - POST /v1/projects/-/serviceAccounts/<gsa>:generateAccessToken — IAM
 *   Credentials impersonation, allowed for the federated identities `allow`ed.
 * - GET /computeMetadata/v1/... — a metadata server with `Metadata-Flavor: Google`.
 *
 * Issued tokens are opaque random strings; `principalOf` says whom one was
 * issued to, which the fake Secret Manager uses to authorize calls.
 */
import { createPublicKey, createVerify, randomBytes, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeGoogleTokens {
  /** http://127.0.0.1:<port> */
  url: string;
  /** The `host:port` for GCE_METADATA_HOST. */
  metadataHost: string;
  tokenUri: string;
  secureTokenUrl: string;
  /** Accepts JWTs signed by this key for `clientEmail`. */
  registerKey(clientEmail: string, publicKeyPem: string): void;
  /** Lets a federated identity (`<pool>[<ns>/<name>]`) impersonate `gsa`. */
  allowImpersonation(federated: string, gsa: string): void;
  /** Seconds issued tokens live (default 3600). */
  setLifetime(seconds: number): void;
  setMetadata(path: string, value: string): void;
  /** Who a token was issued to: a client email, a federated identity, or an impersonated GSA. */
  principalOf(token: string): string | undefined;
  /** Forgets every issued token (as if they expired). */
  revokeAll(): void;
  /** Requests served, by endpoint ("token", "identitybindingtoken", "generateAccessToken", "metadata"). */
  counts: Map<string, number>;
  stop(): Promise<void>;
}

export async function startFakeGoogleTokens(): Promise<FakeGoogleTokens> {
  const keys = new Map<string, KeyObject>();
  const impersonation = new Map<string, Set<string>>();
  const issued = new Map<string, string>();
  const metadata = new Map<string, string>();
  const counts = new Map<string, number>();
  let lifetime = 3600;
  let base = '';

  const issue = (principal: string): string => {
    const t = `ya29.fake-${randomBytes(24).toString('base64url')}`;
    issued.set(t, principal);
    return t;
  };
  const count = (k: string): void => void counts.set(k, (counts.get(k) ?? 0) + 1);
  const send = (res: http.ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const decodePart = (p: string | undefined): Record<string, unknown> | undefined => {
    try {
      return JSON.parse(Buffer.from(p ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', base);
      if (req.method === 'POST' && url.pathname === '/token') {
        count('token');
        const form = new URLSearchParams(body);
        if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return send(res, 400, { error: 'unsupported_grant_type', error_description: 'Invalid grant_type' });
        const parts = (form.get('assertion') ?? '').split('.');
        const claims = decodePart(parts[1]);
        const key = typeof claims?.iss === 'string' ? keys.get(claims.iss) : undefined;
        const ok =
          parts.length === 3 &&
          key !== undefined &&
          createVerify('RSA-SHA256').update(`${parts[0]}.${parts[1]}`).verify(key, Buffer.from(parts[2] as string, 'base64url'));
        if (!ok || !claims) return send(res, 400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
        if (claims.aud !== `${base}/token`) return send(res, 400, { error: 'invalid_grant', error_description: 'Invalid JWT: Token must be a short-lived token and in a reasonable timeframe' });
        if (claims.scope !== 'https://www.googleapis.com/auth/cloud-platform') return send(res, 400, { error: 'invalid_scope', error_description: 'Invalid OAuth scope' });
        if (typeof claims.exp !== 'number' || claims.exp * 1000 < Date.now()) return send(res, 400, { error: 'invalid_grant', error_description: 'Invalid JWT: expired' });
        return send(res, 200, { access_token: issue(claims.iss as string), expires_in: lifetime, token_type: 'Bearer' });
      }
      if (req.method === 'POST' && url.pathname === '/v1/identitybindingtoken') {
        count('identitybindingtoken');
        let b: Record<string, unknown>;
        try {
          b = JSON.parse(body) as Record<string, unknown>;
        } catch {
          return send(res, 400, { error: 'invalid_request', error_description: 'body is not JSON' });
        }
        if (b.grant_type !== 'urn:ietf:params:oauth:grant-type:token-exchange' || b.subject_token_type !== 'urn:ietf:params:oauth:token-type:jwt') {
          return send(res, 400, { error: 'invalid_request', error_description: 'unsupported grant or token type' });
        }
        const am = /^identitynamespace:([^:]+\.svc\.id\.goog):https:\/\/container\.googleapis\.com\/v1\/projects\/[^/]+\/locations\/[^/]+\/clusters\/[^/]+$/.exec(String(b.audience));
        if (!am) return send(res, 400, { error: 'invalid_target', error_description: 'The audience is not a valid identity namespace' });
        const pool = am[1] as string;
        const claims = decodePart(String(b.subject_token).split('.')[1]);
        const aud = claims?.aud;
        const sub = typeof claims?.sub === 'string' ? /^system:serviceaccount:([^:]+):([^:]+)$/.exec(claims.sub) : null;
        if (!sub || !(Array.isArray(aud) ? aud.includes(pool) : aud === pool)) {
          return send(res, 400, { error: 'invalid_grant', error_description: 'The subject token is not a ServiceAccount token for this identity pool' });
        }
        return send(res, 200, { access_token: issue(`${pool}[${sub[1]}/${sub[2]}]`), token_type: 'Bearer', expires_in: lifetime });
      }
      const gm = /^\/v1\/projects\/-\/serviceAccounts\/([^/]+):generateAccessToken$/.exec(url.pathname);
      if (req.method === 'POST' && gm) {
        count('generateAccessToken');
        const gsa = decodeURIComponent(gm[1] as string);
        const auth = req.headers.authorization ?? '';
        const who = auth.startsWith('Bearer ') ? issued.get(auth.slice(7)) : undefined;
        if (!who) return send(res, 401, { error: { code: 401, message: 'Request had invalid authentication credentials.', status: 'UNAUTHENTICATED' } });
        if (!impersonation.get(who)?.has(gsa)) {
          return send(res, 403, { error: { code: 403, message: `Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).`, status: 'PERMISSION_DENIED' } });
        }
        return send(res, 200, { accessToken: issue(gsa), expireTime: new Date(Date.now() + lifetime * 1000).toISOString() });
      }
      if (req.method === 'GET' && url.pathname.startsWith('/computeMetadata/v1/')) {
        count('metadata');
        if (req.headers['metadata-flavor'] !== 'Google') return send(res, 403, { error: 'missing Metadata-Flavor header' });
        const v = metadata.get(url.pathname.slice('/computeMetadata/v1/'.length));
        if (v === undefined) return send(res, 404, { error: 'not found' });
        res.writeHead(200, { 'content-type': 'application/text' });
        return res.end(v);
      }
      send(res, 404, { error: 'not found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;

  return {
    url: base,
    metadataHost: `127.0.0.1:${port}`,
    tokenUri: `${base}/token`,
    secureTokenUrl: `${base}/v1/identitybindingtoken`,
    registerKey(clientEmail, pem) {
      keys.set(clientEmail, createPublicKey(pem));
    },
    allowImpersonation(federated, gsa) {
      const s = impersonation.get(federated) ?? new Set<string>();
      s.add(gsa);
      impersonation.set(federated, s);
    },
    setLifetime(seconds) {
      lifetime = seconds;
    },
    setMetadata(path, value) {
      metadata.set(path, value);
    },
    principalOf: (t) => issued.get(t),
    revokeAll: () => issued.clear(),
    counts,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A service account key file (as `gcloud iam service-accounts keys create` writes) with a fresh RSA key. */
export async function makeServiceAccountKey(clientEmail: string, tokenUri: string): Promise<{ json: string; publicKeyPem: string }> {
  const { generateKeyPair } = await import('node:crypto');
  const { publicKey, privateKey } = await new Promise<{ publicKey: string; privateKey: string }>((resolve, reject) =>
    generateKeyPair('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } }, (err, pub, priv) =>
      err ? reject(err) : resolve({ publicKey: pub, privateKey: priv }),
    ),
  );
  const json = JSON.stringify({
    type: 'service_account',
    project_id: 'hush-test',
    private_key_id: randomBytes(20).toString('hex'),
    private_key: privateKey,
    client_email: clientEmail,
    client_id: '1234567890',
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: tokenUri,
  });
  return { json, publicKeyPem: publicKey };
}
