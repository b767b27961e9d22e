/**
 * spec.provider.azurekv, read from the manifest into a typed form with the
 * defaults and the checks of ESO's CRD and admission webhook. Checks ESO only
 * makes when it builds a client (tenantId for a service principal, a client
 * secret *or* a certificate) are made at connect time, as in ESO, so a store
 * ESO admits is admitted here too.
 *
 * `caBundle` and `caProvider` are Hush additions (ESO trusts the system roots
 * only); they have the same shape as the vault provider's.
 */
import type { Diagnostic, StoreContext } from '../types.ts';
import { Fields, type SecretKeyRef, type ServiceAccountRef } from '../util/spec.ts';
import { checkCaProviderScope, readCaProvider, type CaProvider } from '../util/tls.ts';

export const ROOT = 'spec.provider.azurekv';

export const authTypes = ['ServicePrincipal', 'ManagedIdentity', 'WorkloadIdentity'] as const;
export type AzureAuthType = (typeof authTypes)[number];

export const environmentTypes = ['PublicCloud', 'USGovernmentCloud', 'ChinaCloud', 'GermanCloud', 'AzureStackCloud'] as const;
export type AzureEnvironmentType = (typeof environmentTypes)[number];

export interface AzureKvAuthSecretRef {
  clientId?: SecretKeyRef | undefined;
  tenantId?: SecretKeyRef | undefined;
  clientSecret?: SecretKeyRef | undefined;
  clientCertificate?: SecretKeyRef | undefined;
}

export interface AzureCustomCloudConfig {
  activeDirectoryEndpoint: string;
  keyVaultEndpoint?: string | undefined;
  keyVaultDNSSuffix?: string | undefined;
  resourceManagerEndpoint?: string | undefined;
  /** Audience of the federated ServiceAccount token (workload identity). */
  audience?: string | undefined;
}

export interface AzureKvSpec {
  vaultUrl: string;
  authType: AzureAuthType;
  tenantId: string | undefined;
  environmentType: AzureEnvironmentType;
  authSecretRef: AzureKvAuthSecretRef | undefined;
  serviceAccountRef: ServiceAccountRef | undefined;
  identityId: string | undefined;
  /** ESO's switch between its legacy go-autorest client (default) and the azcore one; a few answers differ. */
  useAzureSDK: boolean;
  customCloudConfig: AzureCustomCloudConfig | undefined;
  caBundle: string | undefined;
  caProvider: CaProvider | undefined;
}

export function parseAzureKvSpec(raw: unknown, storeKind: StoreContext['storeKind']): { spec?: AzureKvSpec; diagnostics: Diagnostic[] } {
  const diags: Diagnostic[] = [];
  const f = Fields.of(diags, ROOT, raw);
  if (!f) return { diagnostics: diags };

  const vaultUrl = f.str('vaultUrl', { required: true });
  if (vaultUrl !== undefined) {
    try {
      const u = new URL(vaultUrl);
      if (u.protocol !== 'https:') f.problem('vaultUrl', 'must be an https:// URL such as https://my-vault.vault.azure.net');
    } catch {
      f.problem('vaultUrl', 'must be a URL such as https://my-vault.vault.azure.net');
    }
  }
  const authType = (f.str('authType', { oneOf: authTypes }) ?? 'ServicePrincipal') as AzureAuthType;
  const environmentType = (f.str('environmentType', { oneOf: environmentTypes }) || 'PublicCloud') as AzureEnvironmentType;
  const useAzureSDK = f.bool('useAzureSDK') ?? false;

  let authSecretRef: AzureKvAuthSecretRef | undefined;
  const a = f.child('authSecretRef');
  if (a) {
    authSecretRef = {
      clientId: a.secretRef('clientId'),
      tenantId: a.secretRef('tenantId'),
      clientSecret: a.secretRef('clientSecret'),
      clientCertificate: a.secretRef('clientCertificate'),
    };
  }
  const serviceAccountRef = f.serviceAccountRef('serviceAccountRef');

  let customCloudConfig: AzureCustomCloudConfig | undefined;
  const c = f.child('customCloudConfig');
  if (c) {
    const ad = c.str('activeDirectoryEndpoint');
    if (!useAzureSDK) c.problem('', 'CustomCloudConfig requires UseAzureSDK to be set to true - the legacy SDK does not support custom clouds');
    else if (!ad) c.problem('activeDirectoryEndpoint', 'activeDirectoryEndpoint is required in CustomCloudConfig');
    else checkUrl(c, 'activeDirectoryEndpoint', ad);
    const keyVaultEndpoint = c.str('keyVaultEndpoint') || undefined;
    if (keyVaultEndpoint !== undefined) checkUrl(c, 'keyVaultEndpoint', keyVaultEndpoint);
    customCloudConfig = {
      activeDirectoryEndpoint: ad ?? '',
      keyVaultEndpoint,
      keyVaultDNSSuffix: c.str('keyVaultDNSSuffix') || undefined,
      resourceManagerEndpoint: c.str('resourceManagerEndpoint') || undefined,
      audience: c.str('audience') || undefined,
    };
  }
  if (environmentType === 'AzureStackCloud' && !c) f.problem('customCloudConfig', 'CustomCloudConfig is required when EnvironmentType is AzureStackCloud');

  const caProvider = readCaProvider(f);
  checkCaProviderScope(f, caProvider, storeKind);

  const spec: AzureKvSpec = {
    vaultUrl: vaultUrl ?? '',
    authType,
    tenantId: f.str('tenantId') || undefined,
    environmentType,
    authSecretRef,
    serviceAccountRef,
    identityId: f.str('identityId') || undefined,
    useAzureSDK,
    customCloudConfig,
    caBundle: f.str('caBundle') || undefined,
    caProvider,
  };
  return diags.length > 0 ? { diagnostics: diags } : { spec, diagnostics: diags };
}

function checkUrl(f: Fields, key: string, value: string): void {
  try {
    const u = new URL(value);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') f.problem(key, 'must be an https:// URL');
  } catch {
    f.problem(key, 'must be a URL');
  }
}

/**
 * The namespaces of the refs whose Secret/ServiceAccount is read with the
 * store's credentials; a ClusterSecretStore ref without one is "referent"
 * (ESO's isReferentSpec looks at clientId, clientSecret and serviceAccountRef).
 */
export function authRefNamespaces(spec: AzureKvSpec): (string | undefined)[] {
  const out: (string | undefined)[] = [];
  const a = spec.authSecretRef;
  if (a?.clientId) out.push(a.clientId.namespace);
  if (a?.clientSecret) out.push(a.clientSecret.namespace);
  if (a?.clientCertificate) out.push(a.clientCertificate.namespace);
  if (spec.serviceAccountRef) out.push(spec.serviceAccountRef.namespace);
  return out;
}
