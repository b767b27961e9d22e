/**
 * When an Azure Key Vault store authenticates as the controller (managed
 * identity, or workload identity without serviceAccountRef), which vault it
 * may send that token to.
 *
 * Why: the token's resource is fixed by the cloud (cloud.ts), and the SDK's
 * own challenge check is off then, because the session ignores the scope the
 * challenge names. So nothing but this check stops a `vaultUrl` of
 * https://evil.example from receiving a Key Vault token of the controller's
 * identity, good for every vault that identity may read. With the tenant's own
 * credentials (a client secret, its own ServiceAccount) that is the tenant's
 * business; with the controller's it is not.
 */
import { PolicyRefusedError } from '../../util/errors.ts';
import type { AmbientUse } from '../ambient.ts';
import { MANAGED_IDENTITY_USE } from './auth/managedIdentity.ts';
import { CONTROLLER_WORKLOAD_IDENTITY_USE } from './auth/workloadIdentity.ts';
import type { CloudEndpoints } from './cloud.ts';
import type { AzureKvSpec } from './spec.ts';

/** What the store would use of the controller's own identity, or undefined when its credentials are its own. */
export function ambientUseOf(spec: AzureKvSpec): AmbientUse | undefined {
  if (spec.authType === 'ManagedIdentity') return MANAGED_IDENTITY_USE;
  if (spec.authType === 'WorkloadIdentity' && !spec.serviceAccountRef) return CONTROLLER_WORKLOAD_IDENTITY_USE;
  return undefined;
}

/**
 * The DNS suffix a vault must be under to receive a token for the cloud's Key Vault resource:
 * customCloudConfig.keyVaultDNSSuffix, else the resource's host (vault.azure.net,
 * vault.usgovcloudapi.net, vault.azure.cn, ...). Undefined when the resource is taken from the
 * vault's challenge (a custom cloud without keyVaultEndpoint): the SDK checks that one itself.
 */
export function keyVaultSuffix(spec: AzureKvSpec, cloud: CloudEndpoints): string | undefined {
  const configured = spec.customCloudConfig?.keyVaultDNSSuffix?.replace(/^\.+/, '').toLowerCase();
  if (configured) return configured;
  return cloud.keyVaultResource === undefined ? undefined : new URL(cloud.keyVaultResource).hostname.toLowerCase();
}

/** Throws PolicyRefusedError when the controller's own token would go to a host outside the cloud's Key Vault domain. */
export function checkAmbientVaultUrl(spec: AzureKvSpec, cloud: CloudEndpoints): void {
  const suffix = keyVaultSuffix(spec, cloud);
  if (suffix === undefined) return;
  const host = new URL(spec.vaultUrl).hostname.toLowerCase();
  if (host === suffix || host.endsWith(`.${suffix}`)) return;
  throw new PolicyRefusedError(
    `spec.provider.azurekv.vaultUrl: ${JSON.stringify(host)} is not a Key Vault of this cloud (*.${suffix}), ` +
      `and the store authenticates as the controller (${spec.authType}${spec.authType === 'WorkloadIdentity' ? ' without serviceAccountRef' : ''}), ` +
      `whose token must not leave the cloud's Key Vault domain; use a vault under ${suffix} ` +
      '(or set customCloudConfig.keyVaultEndpoint and keyVaultDNSSuffix for a private cloud), or credentials of the store\'s own',
  );
}
