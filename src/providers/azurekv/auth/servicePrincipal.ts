/**
 * authType ServicePrincipal: an app registration's client ID with either a
 * client secret or a client certificate (PEM holding the certificate and its
 * private key), read from Secrets at every token request so a rotated
 * credential is picked up by the next token. Certificates authenticate with a
 * signed client assertion (RFC 7523) whose `x5t` names the certificate.
 */
import { createHash, createPrivateKey, createPublicKey, randomUUID, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { InvalidConfigError } from '../../../util/errors.ts';
import { readSecretString } from '../../util/refs.ts';
import { tokenEndpoint } from '../cloud.ts';
import { requestEntraToken } from './entra.ts';
import type { AuthContext, AzureAuthMethod, AzureToken } from './types.ts';

const errMissingTenant = 'missing tenantID in store config';
const errMissingSecretRef = 'missing secretRef in provider config';
const errMissingClientIDSecret = 'missing accessKeyID/secretAccessKey in store config';
const errInvalidClientCredentials = 'both clientSecret and clientCredentials set';

/** The checks ESO makes when it builds a service-principal client. */
export function checkServicePrincipal(ctx: Pick<AuthContext, 'spec'>): void {
  const { spec } = ctx;
  const a = spec.authSecretRef;
  if (spec.tenantId === undefined) throw new InvalidConfigError(`azurekv: ${errMissingTenant}`);
  if (!a) throw new InvalidConfigError(`azurekv: ${errMissingSecretRef}`);
  if (!a.clientId || (!a.clientSecret && !a.clientCertificate)) throw new InvalidConfigError(`azurekv: ${errMissingClientIDSecret}`);
  if (a.clientSecret && a.clientCertificate) throw new InvalidConfigError(`azurekv: ${errInvalidClientCredentials}`);
}

export const servicePrincipal: AzureAuthMethod = {
  describe: 'service principal',
  async token(ctx: AuthContext, resource: string, signal: AbortSignal): Promise<AzureToken> {
    checkServicePrincipal(ctx);
    const a = ctx.spec.authSecretRef!;
    const tenantId = ctx.spec.tenantId!;
    const clientId = (await readSecretString(ctx.kube, ctx.scope, a.clientId!, 'azurekv authSecretRef.clientId')).trim();
    if (a.clientSecret) {
      const secret = await readSecretString(ctx.kube, ctx.scope, a.clientSecret, 'azurekv authSecretRef.clientSecret');
      return requestEntraToken(ctx, { tenantId, clientId, secret }, resource, 'service principal (client secret)', signal);
    }
    const pem = await readSecretString(ctx.kube, ctx.scope, a.clientCertificate!, 'azurekv authSecretRef.clientCertificate');
    const audience = tokenEndpoint(ctx.cloud.authorityHost, tenantId);
    const assertion = certificateAssertion(parseCertificatePem(pem), clientId, audience);
    return requestEntraToken(ctx, { tenantId, clientId, assertion }, resource, 'service principal (client certificate)', signal);
  },
};

export interface ClientCertificate {
  cert: X509Certificate;
  key: KeyObject;
}

/** A PEM with the client certificate (chain) and its private key, in any order. */
export function parseCertificatePem(pem: string): ClientCertificate {
  const what = 'azurekv authSecretRef.clientCertificate';
  const certBlocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const keyBlock = /-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.exec(pem)?.[0];
  if (certBlocks.length === 0 || keyBlock === undefined) {
    throw new InvalidConfigError(`${what}: expected a PEM with a CERTIFICATE block and its PRIVATE KEY block`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(keyBlock);
  } catch {
    // The parser's message could quote key material; say only what is wrong.
    throw new InvalidConfigError(`${what}: the private key does not parse (encrypted keys are not supported)`);
  }
  const pub = createPublicKey(key).export({ type: 'spki', format: 'der' });
  for (const block of certBlocks) {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(block);
    } catch {
      throw new InvalidConfigError(`${what}: a certificate does not parse`);
    }
    if (cert.publicKey.export({ type: 'spki', format: 'der' }).equals(pub)) return { cert, key };
  }
  throw new InvalidConfigError(`${what}: no certificate in the PEM matches the private key`);
}

/** A JWT client assertion, signed with the certificate's key (RS256 for RSA, ES256/384/512 for EC). */
export function certificateAssertion(c: ClientCertificate, clientId: string, audience: string, now = Date.now()): string {
  const b64u = (b: Buffer | string): string => Buffer.from(b).toString('base64url');
  const type = c.key.asymmetricKeyType;
  let alg: string;
  let hash: string;
  if (type === 'rsa') {
    alg = 'RS256';
    hash = 'sha256';
  } else if (type === 'ec') {
    const curve = c.key.asymmetricKeyDetails?.namedCurve;
    [alg, hash] = curve === 'secp384r1' ? ['ES384', 'sha384'] : curve === 'secp521r1' ? ['ES512', 'sha512'] : ['ES256', 'sha256'];
  } else {
    throw new InvalidConfigError(`azurekv authSecretRef.clientCertificate: ${type ?? 'unknown'} keys are not supported; use RSA or EC`);
  }
  const header = { alg, typ: 'JWT', x5t: b64u(createHash('sha1').update(c.cert.raw).digest()) };
  const secs = Math.floor(now / 1000);
  const claims = { aud: audience, iss: clientId, sub: clientId, jti: randomUUID(), nbf: secs, iat: secs, exp: secs + 600 };
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(claims))}`;
  const sig = sign(hash, Buffer.from(input), type === 'ec' ? { key: c.key, dsaEncoding: 'ieee-p1363' } : c.key);
  return `${input}.${b64u(sig)}`;
}
