import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cloudEndpoints, tokenEndpoint } from './cloud.ts';
import { parseAzureKvSpec } from './spec.ts';

const fields = (raw: unknown, kind: 'SecretStore' | 'ClusterSecretStore' = 'SecretStore'): string[] => parseAzureKvSpec(raw, kind).diagnostics.map((d) => `${d.field}: ${d.message}`);

test('defaults: ServicePrincipal on the public cloud, ESO legacy client', () => {
  const { spec } = parseAzureKvSpec({ vaultUrl: 'https://v.vault.azure.net', tenantId: 't' }, 'SecretStore');
  assert.equal(spec?.authType, 'ServicePrincipal');
  assert.equal(spec?.environmentType, 'PublicCloud');
  assert.equal(spec?.useAzureSDK, false);
  assert.ok(spec);
  assert.deepEqual(cloudEndpoints(spec), { authorityHost: 'https://login.microsoftonline.com/', keyVaultResource: 'https://vault.azure.net' });
});

test('the webhook rules of ESO, reported with field paths', () => {
  assert.deepEqual(fields({}), ['spec.provider.azurekv.vaultUrl: is required']);
  assert.deepEqual(fields({ vaultUrl: 'http://v' }), ['spec.provider.azurekv.vaultUrl: must be an https:// URL such as https://my-vault.vault.azure.net']);
  assert.deepEqual(fields({ vaultUrl: 'https://v', authType: 'Password' }), ['spec.provider.azurekv.authType: must be one of ServicePrincipal, ManagedIdentity, WorkloadIdentity']);
  assert.deepEqual(fields({ vaultUrl: 'https://v', environmentType: 'AzureStackCloud' }), ['spec.provider.azurekv.customCloudConfig: CustomCloudConfig is required when EnvironmentType is AzureStackCloud']);
  assert.deepEqual(fields({ vaultUrl: 'https://v', customCloudConfig: { activeDirectoryEndpoint: 'https://login.local/' } }), [
    'spec.provider.azurekv.customCloudConfig: CustomCloudConfig requires UseAzureSDK to be set to true - the legacy SDK does not support custom clouds',
  ]);
  assert.deepEqual(fields({ vaultUrl: 'https://v', useAzureSDK: true, customCloudConfig: {} }), ['spec.provider.azurekv.customCloudConfig.activeDirectoryEndpoint: activeDirectoryEndpoint is required in CustomCloudConfig']);
  assert.deepEqual(fields({ vaultUrl: 'https://v', caProvider: { type: 'Secret', name: 'ca', key: 'ca.crt' } }, 'ClusterSecretStore'), ['spec.provider.azurekv.caProvider.namespace: is required with a ClusterSecretStore']);
});

test('environmentType picks the sovereign cloud endpoints; custom clouds override them', () => {
  const spec = (extra: Record<string, unknown>) => parseAzureKvSpec({ vaultUrl: 'https://v', ...extra }, 'SecretStore').spec!;
  assert.deepEqual(cloudEndpoints(spec({ environmentType: 'USGovernmentCloud' })), { authorityHost: 'https://login.microsoftonline.us/', keyVaultResource: 'https://vault.usgovcloudapi.net' });
  assert.deepEqual(cloudEndpoints(spec({ environmentType: 'ChinaCloud' })), { authorityHost: 'https://login.chinacloudapi.cn/', keyVaultResource: 'https://vault.azure.cn' });
  assert.deepEqual(cloudEndpoints(spec({ environmentType: 'GermanCloud' })), { authorityHost: 'https://login.microsoftonline.de/', keyVaultResource: 'https://vault.microsoftazure.de' });
  assert.throws(() => cloudEndpoints(spec({ environmentType: 'GermanCloud', useAzureSDK: true })), /discontinued/);
  const stack = spec({ environmentType: 'AzureStackCloud', useAzureSDK: true, customCloudConfig: { activeDirectoryEndpoint: 'https://adfs.local/adfs/', keyVaultEndpoint: 'https://vault.local.azurestack.external/' } });
  assert.deepEqual(cloudEndpoints(stack), { authorityHost: 'https://adfs.local/adfs/', keyVaultResource: 'https://vault.local.azurestack.external' });
  // Without keyVaultEndpoint an Azure Stack store takes the resource the vault's challenge names.
  assert.equal(cloudEndpoints(spec({ environmentType: 'AzureStackCloud', useAzureSDK: true, customCloudConfig: { activeDirectoryEndpoint: 'https://adfs.local/' } })).keyVaultResource, undefined);
  assert.equal(tokenEndpoint('https://login.microsoftonline.com/', 'my tenant'), 'https://login.microsoftonline.com/my%20tenant/oauth2/v2.0/token');
});
