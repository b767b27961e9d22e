/**
 * CA bundles and client certificates for store connections, from the three
 * places ESO lets a store name them: an inline base64 `caBundle`, a
 * `caProvider` (a key of a Secret or ConfigMap) and client cert/key Secrets.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { InvalidConfigError } from '../../util/errors.ts';
import type { ProviderKubeAccess } from '../types.ts';
import { readSecretString, refNamespace, type RefScope } from './refs.ts';
import type { Fields, SecretKeyRef } from './spec.ts';

export interface CaProvider {
  type: 'Secret' | 'ConfigMap';
  name: string;
  key: string;
  namespace?: string | undefined;
}

export function readCaProvider(f: Fields, key = 'caProvider'): CaProvider | undefined {
  const c = f.child(key);
  if (!c) return undefined;
  const type = c.str('type', { required: true, oneOf: ['Secret', 'ConfigMap'] }) as CaProvider['type'] | undefined;
  const name = c.str('name', { required: true });
  const k = c.str('key', { required: true });
  const namespace = c.str('namespace') || undefined;
  if (!type || name === undefined || k === undefined) return undefined;
  return { type, name, key: k, namespace };
}

/** Static checks ESO's webhook does on caProvider.namespace. */
export function checkCaProviderScope(f: Fields, ca: CaProvider | undefined, storeKind: RefScope['storeKind'], key = 'caProvider'): void {
  if (!ca) return;
  if (storeKind === 'ClusterSecretStore' && ca.namespace === undefined) f.problem(`${key}.namespace`, 'is required with a ClusterSecretStore');
  if (storeKind === 'SecretStore' && ca.namespace !== undefined) f.problem(`${key}.namespace`, 'must be empty with a SecretStore');
}

/** Splits PEM text into certificates, checking each parses. */
export function parsePemCertificates(pem: string, what: string): string[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new InvalidConfigError(`${what}: no PEM certificate found`);
  for (const b of blocks) {
    try {
      new X509Certificate(b);
    } catch {
      throw new InvalidConfigError(`${what}: a PEM certificate does not parse`);
    }
  }
  return blocks;
}

/** The CA certificates to trust, or undefined for the system roots. */
export async function resolveCa(
  kube: ProviderKubeAccess,
  scope: RefScope,
  caBundle: string | undefined,
  caProvider: CaProvider | undefined,
  fieldPrefix: string,
): Promise<string[] | undefined> {
  const out: string[] = [];
  if (caBundle) {
    const pem = Buffer.from(caBundle, 'base64').toString('utf8');
    out.push(...parsePemCertificates(pem, `${fieldPrefix}.caBundle`));
  }
  if (caProvider) {
    const what = `${fieldPrefix}.caProvider`;
    const namespace = scope.storeKind === 'ClusterSecretStore' ? caProvider.namespace : refNamespace(scope, undefined);
    if (namespace === undefined) throw new InvalidConfigError(`${what}: no namespace to read ${caProvider.type} "${caProvider.name}" from`);
    const pem =
      caProvider.type === 'Secret'
        ? await readSecretString(kube, { storeKind: 'ClusterSecretStore', namespace }, { name: caProvider.name, key: caProvider.key, namespace }, what)
        : await kube.readConfigMapKey({ name: caProvider.name, key: caProvider.key, namespace });
    out.push(...parsePemCertificates(pem, `${what} (${caProvider.type} "${caProvider.name}", key "${caProvider.key}")`));
  }
  return out.length > 0 ? out : undefined;
}

/** Reads a client certificate and key from Secrets and checks that they parse. */
export async function resolveClientCert(
  kube: ProviderKubeAccess,
  scope: RefScope,
  certRef: SecretKeyRef,
  keyRef: SecretKeyRef,
  what: string,
): Promise<{ cert: string; key: string }> {
  const cert = await readSecretString(kube, scope, certRef, what);
  const key = await readSecretString(kube, scope, keyRef, what);
  checkClientCert(cert, key, what);
  return { cert, key };
}

export function checkClientCert(cert: string, key: string, what: string): void {
  parsePemCertificates(cert, `${what}: client certificate`);
  try {
    createPrivateKey(key);
  } catch {
    // The parser's message could quote key material; say only what is wrong.
    throw new InvalidConfigError(`${what}: the client key is not a valid PEM private key`);
  }
}
