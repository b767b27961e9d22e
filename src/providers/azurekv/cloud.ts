/**
 * Which Microsoft Entra ID authority and which Key Vault resource a store
 * uses, by `environmentType` and `customCloudConfig` (facts from ESO and the
 * Azure SDKs' cloud tables). The token's resource is fixed here rather than
 * taken from the vault's 401 challenge, as ESO's default client does: a vault
 * URL pointing at a hostile server then cannot obtain a token for any other
 * Azure service.
 */
import { InvalidConfigError } from '../../util/errors.ts';
import type { AzureKvSpec } from './spec.ts';

export interface CloudEndpoints {
  /** Entra ID authority host, e.g. https://login.microsoftonline.com/ */
  authorityHost: string;
  /** Key Vault resource the token is for, e.g. https://vault.azure.net; undefined: the one the vault's challenge names. */
  keyVaultResource: string | undefined;
}

const clouds = {
  PublicCloud: { authorityHost: 'https://login.microsoftonline.com/', keyVaultResource: 'https://vault.azure.net' },
  USGovernmentCloud: { authorityHost: 'https://login.microsoftonline.us/', keyVaultResource: 'https://vault.usgovcloudapi.net' },
  ChinaCloud: { authorityHost: 'https://login.chinacloudapi.cn/', keyVaultResource: 'https://vault.azure.cn' },
  // Microsoft Cloud Deutschland closed in 2021; ESO's default client still knows its endpoints.
  GermanCloud: { authorityHost: 'https://login.microsoftonline.de/', keyVaultResource: 'https://vault.microsoftazure.de' },
} as const;

const germanGone =
  'Azure Germany (Microsoft Cloud Deutschland) was discontinued on October 29, 2021. Please use AzureStackCloud with custom configuration or migrate to public cloud regions';

export function cloudEndpoints(spec: AzureKvSpec): CloudEndpoints {
  const env = spec.environmentType;
  if (spec.useAzureSDK && env === 'GermanCloud') throw new InvalidConfigError(germanGone);
  const custom = spec.customCloudConfig;
  if (custom) {
    const base = env === 'AzureStackCloud' ? undefined : clouds[env];
    return {
      authorityHost: custom.activeDirectoryEndpoint,
      keyVaultResource: custom.keyVaultEndpoint?.replace(/\/+$/, '') ?? base?.keyVaultResource,
    };
  }
  if (env === 'AzureStackCloud') throw new InvalidConfigError('CustomCloudConfig is required when EnvironmentType is AzureStackCloud');
  return { ...clouds[env] };
}

/** The OAuth 2.0 v2 token endpoint of a tenant. */
export function tokenEndpoint(authorityHost: string, tenantId: string): string {
  return `${authorityHost.replace(/\/+$/, '')}/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`;
}

/** `resource` → the `.default` scope Entra ID issues v2 tokens for. */
export function defaultScope(resource: string): string {
  return resource.endsWith('/.default') ? resource : `${resource.replace(/\/+$/, '')}/.default`;
}
