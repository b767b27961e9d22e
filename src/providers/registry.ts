/**
 * The providers this build implements, by their key under spec.provider.
 * OpenBao has no key of its own in ESO: its stores use `vault`.
 */
import { awsProvider } from './aws/provider.ts';
import { azureKvProvider } from './azurekv/provider.ts';
import { fakeProvider } from './fake/provider.ts';
import { gcpsmProvider } from './gcpsm/provider.ts';
import { kubernetesProvider } from './kubernetes/provider.ts';
import type { Provider } from './types.ts';
import type { AuditHub } from './vault/audit/hub.ts';
import { createVaultProvider, vaultProvider } from './vault/provider.ts';
import { webhookProvider } from './webhook/provider.ts';

const providers = new Map<string, Provider>([
  [vaultProvider.name, vaultProvider],
  [kubernetesProvider.name, kubernetesProvider],
  [fakeProvider.name, fakeProvider],
  [azureKvProvider.name, azureKvProvider],
  [gcpsmProvider.name, gcpsmProvider],
  [webhookProvider.name, webhookProvider],
  [awsProvider.name, awsProvider],
]);

export const implementedProviders: string[] = [...providers.keys()];

export function providerFor(key: string): Provider | undefined {
  return providers.get(key);
}

/**
 * providerFor, with vault stores fed by the controller's audit-device listener
 * (--vault-audit-listen-addr): their clients offer changes.subscribe.
 */
export function providerForWithAuditFeed(auditFeed: AuditHub): (key: string) => Provider | undefined {
  const vault = createVaultProvider({ auditFeed });
  return (key) => (key === vault.name ? vault : providerFor(key));
}
